// Diagonal Gaussian policy head, rollout side: the actor's ACTION_DIM outputs
// are means; the log-stds are parameters of their own (state-independent, at
// LOG_STD_OFF in the agent's block). The sampled action is stored unclipped in
// `traj_act` (log-probabilities are of it) and clipped to the box only when the
// env is stepped (`clip_action`).

@group(0) @binding(8) var<storage, read_write> traj_act: array<f32>;

const HALF_LOG_2PI: f32 = 0.9189385332046727;

struct Sampled {
    action: Action, // raw sample (may lie outside the box)
    logp: f32,
}

fn head_act(out: u32, lid: u32, pb: u32, r: ptr<function, Rng>, greedy: bool) -> Sampled {
    var a: Action;
    var logp = 0.0;
    var noise = vec4<f32>(0.0);
    for (var k = 0u; k < ACTION_DIM; k++) {
        if (k % 4u == 0u) {
            noise = rng_normal4(r);
        }
        let log_std = param_at(pb + LOG_STD_OFF + k);
        var z = noise[k % 4u];
        if (greedy) {
            z = 0.0;
        }
        a[k] = lane_get(out, k, lid) + exp(log_std) * z;
        logp += -0.5 * z * z - log_std - HALF_LOG_2PI;
    }
    return Sampled(a, logp);
}

fn head_action_index(s: Sampled) -> u32 {
    return 0u;
}

fn head_store(row: u32, s: Sampled) {
    for (var k = 0u; k < ACTION_DIM; k++) {
        traj_act[row * ACTION_DIM + k] = s.action[k];
    }
}

// Clipped to the box only here, at the env boundary.
fn head_env_action(s: Sampled) -> Action {
    return clip_action(s.action);
}
