// Standalone activation kernel (tests and benches): one invocation per 16
// elements, the ones whose 2-bit states share a u32 word.
//   mode 0: y = act(x); approximate kinds also pack their states into `codes`.
//   mode 1: dx = dy * act'(x) (exact kinds) or dy * slope(state) (approximate kinds).

override ACT_KIND: u32 = 0u;

struct ActParams {
    n: u32,
    mode: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> P: ActParams;
@group(0) @binding(1) var<storage, read_write> xs: array<f32>;
@group(0) @binding(2) var<storage, read_write> ys: array<f32>;
@group(0) @binding(3) var<storage, read_write> codes: array<u32>;
@group(0) @binding(4) var<storage, read_write> dys: array<f32>;
@group(0) @binding(5) var<storage, read_write> dxs: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let w = gid.x + gid.y * nwg.x * 64u;
    let first = w * 16u;
    if (first >= P.n) {
        return;
    }
    let count = min(16u, P.n - first);
    if (P.mode == 0u) {
        var word = 0u;
        for (var k = 0u; k < count; k++) {
            let x = xs[first + k];
            ys[first + k] = act_forward(x);
            word |= act_code(x) << (2u * k);
        }
        if (act_is_approx()) {
            codes[w] = word;
        }
    } else {
        let word = codes[w];
        for (var k = 0u; k < count; k++) {
            let i = first + k;
            if (act_is_approx()) {
                dxs[i] = dys[i] * act_slope((word >> (2u * k)) & 3u);
            } else {
                dxs[i] = dys[i] * act_grad(xs[i]);
            }
        }
    }
}
