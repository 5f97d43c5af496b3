// Categorical policy head, rollout side: the actor's NUM_ACTIONS outputs are
// logits. The action is sampled by inverse CDF (or the most likely one when
// greedy) and kept in the transition's `action` field.

struct Sampled {
    action: Action, // what the env is stepped with
    logp: f32,      // log-probability of the sampled action
}

fn head_act(out: u32, lid: u32, pb: u32, r: ptr<function, Rng>, greedy: bool) -> Sampled {
    var mx = lane_get(out, 0u, lid);
    for (var k = 1u; k < NUM_ACTIONS; k++) {
        mx = max(mx, lane_get(out, k, lid));
    }
    var total = 0.0;
    for (var k = 0u; k < NUM_ACTIONS; k++) {
        total += exp(lane_get(out, k, lid) - mx);
    }
    var action = 0u;
    if (greedy) {
        for (var k = 1u; k < NUM_ACTIONS; k++) {
            if (lane_get(out, k, lid) > lane_get(out, action, lid)) {
                action = k;
            }
        }
    } else {
        // Inverse CDF: the first action whose cumulative weight exceeds u * total.
        let pick = rng_uniform(r) * total;
        var cum = 0.0;
        var found = false;
        for (var k = 0u; k < NUM_ACTIONS; k++) {
            cum += exp(lane_get(out, k, lid) - mx);
            if (!found && pick < cum) {
                action = k;
                found = true;
            }
        }
        if (!found) {
            action = NUM_ACTIONS - 1u;
        }
    }
    return Sampled(action, lane_get(out, action, lid) - mx - log(total));
}

// The transition's `action` field.
fn head_action_index(s: Sampled) -> u32 {
    return s.action;
}

fn head_store(row: u32, s: Sampled) {}

fn head_env_action(s: Sampled) -> Action {
    return s.action;
}
