// Standalone kernel running one pass of the norm layers the networks use
// (norm_forward.wgsl, norm_backward.wgsl) with one workgroup, as the fused
// kernels run one per agent: for tests against the CPU reference and benches.
// The generated prelude gives NORM (the layer), M4 and the regions of `scratch`
// (feature-major, four rows per vec4): X, Y, ST (statistics), DY, DX.

struct NormTestParams {
    mode: u32, // 0 forward, 1 input gradient, 2 affine-parameter gradients
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> P: NormTestParams;
@group(0) @binding(1) var<storage, read_write> params: array<vec4<f32>>;  // gamma[h], beta[h]
@group(0) @binding(2) var<storage, read_write> scratch: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> opt: array<vec4<f32>>;     // dgamma[h], dbeta[h]

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
    switch P.mode {
        case 0u: {
            norm_forward(lid, NORM, 0u, X, Y, ST, M4, true);
        }
        case 1u: {
            norm_backward(lid, NORM, 0u, X, Y, ST, DY, DX, M4, 0u, false, false);
        }
        default: {
            if (NORM.kind < 2u) {
                norm_affine_grad(lid, NORM, 0u, X, ST, DY, M4);
            }
        }
    }
}
