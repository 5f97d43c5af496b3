// Standalone kernel running one building block of dense.wgsl / optim.wgsl, one
// workgroup per agent: for tests against the CPU reference and for benches.

const WG: u32 = 256u;

struct NnTestParams {
    mode: u32,     // 0 forward, 1 input gradient, 2 weight gradient, 3 clip + Adam
    layer: u32,    // index into NET
    x: u32,        // scratch offsets (vec4 units), per agent
    y: u32,
    dx: u32,
    m4: u32,       // sample blocks of 4
    x_act: u32,
    n: u32,        // parameters (Adam)
    scratch_stride: u32,
    lr: f32,
    max_norm: f32,
    t: f32,
    save: u32,     // save region of this layer (forward) ...
    xsave: u32,    // ... and of the layer that produced x (input gradient)
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> P: NnTestParams;
@group(0) @binding(1) var<storage, read_write> params: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> scratch: array<vec4<f32>>;
// Per agent: m[n], v[n], g[n].
@group(0) @binding(3) var<storage, read_write> opt: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let agent = wid.x;
    let pb = agent * PARAMS_PER_AGENT;
    let ob = agent * 3u * PARAMS_PER_AGENT;
    let sb = agent * P.scratch_stride;
    let L = NET[P.layer];
    switch P.mode {
        case 0u: {
            dense_forward(lid, L, pb, sb + P.x, sb + P.y, sb + P.save, P.m4, true, NO_RES);
        }
        case 1u: {
            dense_backward_input(lid, L, pb, sb + P.y, sb + P.x, sb + P.xsave, sb + P.dx, P.m4, P.x_act != 0u, false);
        }
        case 2u: {
            dense_weight_grad(lid, L, ob + 2u * PARAMS_PER_AGENT, sb + P.y, sb + P.x, P.m4);
        }
        default: {
            let norm = grad_norm(lid, ob + 2u * PARAMS_PER_AGENT, P.n);
            adam_step(lid, 0u, P.n, pb, ob, ob + PARAMS_PER_AGENT, ob + 2u * PARAMS_PER_AGENT, P.lr, clip_scale(norm, P.max_norm), P.t);
        }
    }
}
