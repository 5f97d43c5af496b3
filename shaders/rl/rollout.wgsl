// PPO rollout: one workgroup runs a block of EB envs of one agent for `count`
// steps (one chunk of the T-step rollout; chunks keep every invocation under
// lavapipe's loop-iteration cap). Per step: lanes observe their env, the
// workgroup runs the actor forward on the whole block together (dense layers,
// lanes over neurons x envs), then lanes sample an action (the policy head:
// head_categorical_rollout or head_gaussian_rollout), step their env,
// auto-reset it and write the transition. The critic's values of the
// observations come after the rollout, batched (ppo_values.wgsl): the steps are
// a chain, and only the actor is needed to act. A truncated episode's final
// observation goes through the critic here, for its bootstrap value; the last
// chunk also puts the value of each env's next observation in its last
// transition's boot_value (GAE's bootstrap when the episode goes on).
// Plan constants (WG, EB, EB4, G, RS, R_X, ...) and the network passes
// (net_forward_*) come from the generated prelude.

@group(0) @binding(0) var<uniform> P: RolloutParams;
@group(0) @binding(1) var<storage, read_write> states: array<EnvState>;
@group(0) @binding(2) var<storage, read_write> env_meta: array<EnvMeta>;
@group(0) @binding(3) var<storage, read_write> env_params: array<EnvParams>;
// Binding 4, the network parameters, and param_at: generated (params_binding_wgsl).
@group(0) @binding(5) var<storage, read_write> traj: array<Transition>;
@group(0) @binding(6) var<storage, read_write> traj_obs: array<f32>;
@group(0) @binding(7) var<storage, read_write> scratch: array<vec4<f32>>;

var<workgroup> any_trunc: atomic<u32>;
var<workgroup> any_trunc_plain: u32;

fn lane_put(off: u32, feature: u32, lane: u32, v: f32) {
    scratch[off + feature * EB4 + lane / 4u][lane % 4u] = v;
}
fn lane_get(off: u32, feature: u32, lane: u32) -> f32 {
    return scratch[off + feature * EB4 + lane / 4u][lane % 4u];
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let agent = wid.x / G;
    let env = (wid.x % G) * EB + lid;
    let live = lid < EB && env < P.envs;
    let g = agent * P.envs + env;
    let pb = agent * PARAMS_PER_AGENT;
    let sb = wid.x * RS;
    let actor_out = sb + R_ACTOR_OUT;
    let critic_out = sb + R_CRITIC_OUT;
    let reset_key = rng_key(P.seed, agent, STREAM_RESET);
    let action_key = rng_key(P.seed, agent, STREAM_ACTION);
    let task_key = rng_key(P.seed, agent, STREAM_TASK);
    var s: EnvState;
    var m: EnvMeta;
    var p: EnvParams;
    if (live) {
        s = states[g];
        m = env_meta[g];
        p = env_params[g];
    } else if (lid < EB4 * 4u) {
        // Padding lanes of the last block keep zero inputs.
        for (var k = 0u; k < OBS_OUT; k++) {
            lane_put(sb + R_X, k, lid, 0.0);
        }
    }

    // Workgroup memory is not zero-initialised (the engine turns that off).
    if (lid == 0u) {
        atomicStore(&any_trunc, 0u);
    }
    barrier_workgroup();
    for (var t = P.t0; t < P.t0 + P.count; t++) {
        let row = (agent * P.steps + t) * P.envs + env;
        var bad_obs = false;
        if (live) {
            var o = observe(s, p);
            for (var k = 0u; k < OBS_OUT; k++) {
                // A NaN or infinite observation (a custom env's bug) is never fed
                // to the network: it sees 0, the step is flagged and counted, and
                // the env is reset after it.
                if (nonfinite(o[k])) {
                    o[k] = 0.0;
                    bad_obs = true;
                }
                // The rollout keeps raw observations; the network sees them normalised.
                lane_put(sb + R_X, k, lid, norm_obs(pb, k, o[k]));
                traj_obs[row * OBS_OUT + k] = o[k];
            }
        }
        barrier_storage();
        net_forward_0(lid, pb, sb, false);

        var trunc_only = false;
        if (live) {
            var r = rng_at(action_key, env, m.counter);
            let smp = head_act(actor_out, lid, pb, &r, P.greedy != 0u);

            let res = env_step(&s, p, head_env_action(smp));
            m.counter += 1u;
            m.elapsed += 1u;
            m.episode_return += res.reward;
            var flags = select(0u, FLAG_TERMINATED, res.terminated || bad_obs)
                | select(0u, FLAG_TRUNCATED, m.elapsed >= MAX_EPISODE_STEPS);
            var ep_return = 0.0;
            if (flags != 0u) {
                if (flags == FLAG_TRUNCATED) {
                    // Bootstrap from the final observation (the forward below).
                    trunc_only = true;
                    let fo = observe(s, p);
                    for (var k = 0u; k < OBS_OUT; k++) {
                        lane_put(sb + R_X, k, lid, norm_obs(pb, k, fo[k]));
                    }
                    atomicOr(&any_trunc, 1u);
                }
                ep_return = m.episode_return;
                flags |= (m.elapsed & EPISODE_LENGTH_MASK) << 2u;
                flags |= select(0u, FLAG_BAD_OBS, bad_obs);
                s = begin_episode(&p, &m, task_key, reset_key, env);
            }
            // The value comes from the values kernel.
            traj[row] = Transition(head_action_index(smp), flags, smp.logp, 0.0, res.reward, 0.0, 0.0, 0.0, ep_return);
            head_store(row, smp);
        }
        barrier_workgroup();
        if (lid == 0u) {
            any_trunc_plain = atomicLoad(&any_trunc);
            atomicStore(&any_trunc, 0u);
        }
        if (any_trunc_flag() != 0u) {
            barrier_storage();
            net_forward_1(lid, pb, sb, false);
            if (trunc_only) {
                traj[row].boot_value = lane_get(critic_out, 0u, lid);
            }
        }
        barrier_storage();
    }
    if (live) {
        states[g] = s;
        env_meta[g] = m;
        if (TASK_SAMPLES) {
            env_params[g] = p;
        }
    }
    if (P.last != 0u) {
        // Value of the observation after the rollout: GAE's bootstrap for an
        // episode that goes on past it (a last step that ended its episode
        // needs none, or has its own).
        if (live) {
            let o = observe(s, p);
            for (var k = 0u; k < OBS_OUT; k++) {
                lane_put(sb + R_X, k, lid, norm_obs(pb, k, o[k]));
            }
        }
        barrier_storage();
        net_forward_1(lid, pb, sb, false);
        let last_row = (agent * P.steps + P.steps - 1u) * P.envs + env;
        if (live && (traj[last_row].flags & 3u) == 0u) {
            traj[last_row].boot_value = lane_get(critic_out, 0u, lid);
        }
    }
}
