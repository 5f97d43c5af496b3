// GAE(gamma, lambda) over each env's rollout, backwards, one invocation per
// (agent, env). An episode boundary stops the recursion: a terminated step has no
// future value, a truncated one bootstraps from its final observation's value
// (computed in the rollout). The rollout's last chunk left each env's next value
// in its workgroup's scratch at R_LASTV. Rewards are scaled here when reward
// scaling is on (the rollout stores them raw).

@group(0) @binding(0) var<uniform> P: RolloutParams;
@group(0) @binding(1) var<storage, read_write> traj: array<Transition>;
@group(0) @binding(2) var<storage, read_write> scratch: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> hyper: array<AgentHyper>;
@group(0) @binding(4) var<storage, read_write> params: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let g = gid.x + gid.y * nwg.x * 64u;
    if (g >= P.envs * P.agents) {
        return;
    }
    let agent = g / P.envs;
    let env = g % P.envs;
    let hp = hyper[agent];
    let w = agent * G + env / EB;
    let lane = env % EB;
    var next_value = scratch[w * RS + R_LASTV + lane / 4u][lane % 4u];
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
