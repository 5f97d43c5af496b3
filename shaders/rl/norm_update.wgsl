// Merges one iteration's batch into the running normalisation statistics, one
// workgroup per agent, after the update (so the next iteration normalises with
// them). Observations: mean and variance of every feature over the rollout's
// raw observations, two passes with fixed-order reductions. Returns: each env's
// discounted return R = R * gamma * (1 - terminated) + reward, continued from
// the previous iteration (ret_acc), its mean and variance over all steps and
// envs, recomputed in a second pass instead of stored. Both merge with the
// running (mean, var, count) by Chan et al.'s parallel formula, as Gymnasium's
// RunningMeanStd does.

const WG: u32 = 256u;

@group(0) @binding(0) var<uniform> P: RolloutParams;
@group(0) @binding(1) var<storage, read_write> params: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> traj: array<Transition>;
@group(0) @binding(3) var<storage, read_write> traj_obs: array<f32>;
@group(0) @binding(4) var<storage, read_write> ret_acc: array<f32>;
@group(0) @binding(5) var<storage, read_write> hyper: array<AgentHyper>;

// Merges a batch (mean_b, var_b, n_b) into the statistics at param_at(mean_at),
// param_at(var_at) with count `n`; returns nothing, writes mean and var.
fn merge_moments(mean_at: u32, var_at: u32, n: f32, mean_b: f32, var_b: f32, n_b: f32) {
    let mean = param_at(mean_at);
    let delta = mean_b - mean;
    let tot = n + n_b;
    param_set(mean_at, mean + delta * n_b / tot);
    param_set(var_at, (param_at(var_at) * n + var_b * n_b + delta * delta * n * n_b / tot) / tot);
}

fn discount(r: f32, gamma: f32, tr: Transition) -> f32 {
    return r * gamma * select(1.0, 0.0, (tr.flags & FLAG_TERMINATED) != 0u) + tr.reward;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let agent = wid.x;
    let ns = agent * PARAMS_PER_AGENT + STATE_OFF;
    let rows = P.steps * P.envs;
    let tb = agent * rows;
    let n_b = f32(rows);
    if (NORM_OBS) {
        let n = param_at(ns + NS_OBS_COUNT);
        for (var k = 0u; k < OBS_OUT; k++) {
            var acc = 0.0;
            for (var i = lid; i < rows; i += WG) {
                acc += traj_obs[(tb + i) * OBS_OUT + k];
            }
            let mean_b = wg_sum4(lid, vec4<f32>(acc, 0.0, 0.0, 0.0)).x / n_b;
            var acc2 = 0.0;
            for (var i = lid; i < rows; i += WG) {
                let d = traj_obs[(tb + i) * OBS_OUT + k] - mean_b;
                acc2 += d * d;
            }
            let var_b = wg_sum4(lid, vec4<f32>(acc2, 0.0, 0.0, 0.0)).x / n_b;
            if (lid == 0u) {
                merge_moments(ns + k, ns + OBS_OUT + k, n, mean_b, var_b, n_b);
            }
        }
        if (lid == 0u) {
            param_set(ns + NS_OBS_COUNT, n + n_b);
        }
    }
    if (NORM_REWARD) {
        let gamma = hyper[agent].gamma;
        var acc = 0.0;
        for (var env = lid; env < P.envs; env += WG) {
            var r = ret_acc[agent * P.envs + env];
            for (var t = 0u; t < P.steps; t++) {
                r = discount(r, gamma, traj[(agent * P.steps + t) * P.envs + env]);
                acc += r;
            }
        }
        let mean_b = wg_sum4(lid, vec4<f32>(acc, 0.0, 0.0, 0.0)).x / n_b;
        var acc2 = 0.0;
        for (var env = lid; env < P.envs; env += WG) {
            var r = ret_acc[agent * P.envs + env];
            for (var t = 0u; t < P.steps; t++) {
                r = discount(r, gamma, traj[(agent * P.steps + t) * P.envs + env]);
                acc2 += (r - mean_b) * (r - mean_b);
            }
            ret_acc[agent * P.envs + env] = r;
        }
        let var_b = wg_sum4(lid, vec4<f32>(acc2, 0.0, 0.0, 0.0)).x / n_b;
        if (lid == 0u) {
            let n = param_at(ns + NS_RET_COUNT);
            merge_moments(ns + NS_RET_MEAN, ns + NS_RET_VAR, n, mean_b, var_b, n_b);
            param_set(ns + NS_RET_COUNT, n + n_b);
        }
    }
}
