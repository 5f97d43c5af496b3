// Critic values of a rollout's observations, batched after the rollout. The
// rollout runs only the actor per step (its steps are a sequential chain, and
// the critic is not needed to act); here the critic goes over the whole batch in
// chunks of a minibatch, with the update's scratch layout and forward table
// (FWD_RANGE[1]), so its dense layers run on wide sample blocks. Each output
// still sums its inputs in the same order as one observation at a time would
// (the compiler may fuse multiply-adds differently in the wider code path, so
// the last bit can differ). GROUPS workgroups per agent take the
// chunks in turn; a dispatch covers chunks [first, first + count) (several
// dispatches when lavapipe's loop cap calls for it).

struct ValuesParams {
    first: u32,
    count: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> V: ValuesParams;
// Binding 1, the network parameters, and param_at: generated (params_binding_wgsl),
// a uniform binding where the rollout's is.
@group(0) @binding(2) var<storage, read_write> traj: array<Transition>;
@group(0) @binding(3) var<storage, read_write> traj_obs: array<f32>;
@group(0) @binding(4) var<storage, read_write> scratch: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let agent = wid.x / GROUPS;
    let pb = agent * PARAMS_PER_AGENT;
    let sb = wid.x * SCRATCH_STRIDE;
    let tb = agent * BATCH;
    let critic = FWD_RANGE[1];
    for (var c = V.first + wid.x % GROUPS; c < V.first + V.count; c += GROUPS) {
        let r0 = tb + c * M;
        // Padding samples (M not a multiple of 4) see zero inputs.
        for (var s = lid; s < M4 * 4u; s += WG) {
            for (var k = 0u; k < OBS_OUT; k++) {
                var x = 0.0;
                if (s < M) {
                    x = norm_obs(pb, k, traj_obs[(r0 + s) * OBS_OUT + k]);
                }
                scratch[sb + X_OFF + k * M4 + s / 4u][s % 4u] = x;
            }
        }
        barrier_storage();
        run_forward(lid, pb, sb, M4, false, critic.x, critic.y);
        for (var s = lid; s < M; s += WG) {
            traj[r0 + s].value = scratch[sb + VALUES_OFF + s / 4u][s % 4u];
        }
        // The next chunk's gather overwrites the inputs.
        barrier_storage();
    }
}
