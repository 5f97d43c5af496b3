// GAE(gamma, lambda) over each env's rollout, backwards, one invocation per
// (agent, env). An episode boundary stops the recursion: a terminated step has no
// future value, a truncated one bootstraps from its final observation's value
// (computed in the rollout). The rollout's last step bootstraps from the value
// of the observation after it, which the rollout left in that step's
// boot_value. Rewards are scaled here when reward scaling is on (the rollout
// stores them raw).

@group(0) @binding(0) var<uniform> P: RolloutParams;
@group(0) @binding(1) var<storage, read_write> traj: array<Transition>;
@group(0) @binding(2) var<storage, read_write> hyper: array<AgentHyper>;
@group(0) @binding(3) var<storage, read_write> params: array<vec4<f32>>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let g = gid.x + gid.y * nwg.x * 64u;
    if (g >= P.envs * P.agents) {
        return;
    }
    let agent = g / P.envs;
    let env = g % P.envs;
    let hp = hyper[agent];
    var next_value = traj[(agent * P.steps + P.steps - 1u) * P.envs + env].boot_value;
    let pb = agent * PARAMS_PER_AGENT;
    var gae = 0.0;
    for (var k = 0u; k < P.steps; k++) {
        let row = (agent * P.steps + (P.steps - 1u - k)) * P.envs + env;
        var tr = traj[row];
        let reward = scale_reward(pb, tr.reward);
        if ((tr.flags & FLAG_TERMINATED) != 0u) {
            gae = reward - tr.value;
        } else if ((tr.flags & FLAG_TRUNCATED) != 0u) {
            gae = reward + hp.gamma * tr.boot_value - tr.value;
        } else {
            gae = reward + hp.gamma * next_value - tr.value + hp.gamma * hp.gae_lambda * gae;
        }
        tr.adv = gae;
        tr.ret = gae + tr.value;
        traj[row] = tr;
        next_value = tr.value;
    }
}
