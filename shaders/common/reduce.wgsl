// Workgroup reductions for kernels of WG invocations (WG a power of two).

var<workgroup> red: array<vec4<f32>, WG>;

// Sum of `v` over the workgroup, in a fixed tree order (deterministic). Must be
// called from uniform control flow; every invocation gets the total.
fn wg_sum4(lid: u32, v: vec4<f32>) -> vec4<f32> {
    red[lid] = v;
    barrier_workgroup();
    for (var s = WG / 2u; s > 0u; s >>= 1u) {
        if (lid < s) {
            red[lid] += red[lid + s];
        }
        barrier_workgroup();
    }
    let total = red[0];
    barrier_workgroup();
    return total;
}
