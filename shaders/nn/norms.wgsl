// Row normalisations over H features, one invocation per row (tests, benches):
//   NORM_KIND 0 layernorm   y = (x - mean) r * gamma + beta, saves x, mean, r  (r = 1/sqrt(var + eps))
//             1 rmsnorm     y = x r * gamma,                saves x, r         (r = 1/sqrt(mean(x^2) + eps))
//             2 ms-layernorm y = (x - mean) r, no affine,   saves y and r
//             3 ms-rmsnorm   y = x r, no affine,            saves y and r
// The memory-sharing (MS) variants fold their affine parameters into the next
// Linear and keep only their output, which that Linear saves anyway, plus one r
// per row; their backward formulas are exact (LowMemoryBP):
//   MS-LN:  dx = r (dy - mean(dy) - y mean(dy y))      MS-RMS: dx = r (dy - y mean(dy y))
// Rows are contiguous: element k of row i is at i * H + k.

override NORM_KIND: u32 = 0u;
const NORM_EPS: f32 = 1e-5;

struct NormParams {
    rows: u32,
    h: u32,
    mode: u32, // 0 forward, 1 backward (input gradient), 2 affine-parameter gradients
    _pad: u32,
}

@group(0) @binding(0) var<uniform> P: NormParams;
@group(0) @binding(1) var<storage, read_write> xs: array<f32>;    // input (saved by standard kinds)
@group(0) @binding(2) var<storage, read_write> ys: array<f32>;    // output (saved by MS kinds)
@group(0) @binding(3) var<storage, read_write> stats: array<vec2<f32>>; // (mean, r) per row
@group(0) @binding(4) var<storage, read_write> affine: array<f32>; // gamma[h], beta[h]
@group(0) @binding(5) var<storage, read_write> dys: array<f32>;
@group(0) @binding(6) var<storage, read_write> dxs: array<f32>;
@group(0) @binding(7) var<storage, read_write> daffine: array<f32>; // dgamma[h], dbeta[h]

fn centred() -> bool {
    return NORM_KIND == 0u || NORM_KIND == 2u;
}

fn is_ms() -> bool {
    return NORM_KIND >= 2u;
}

// Mean (0 for RMS kinds) and r of row i's input. Two passes: the mean first, then
// squared deviations, which stays accurate when |mean| is much larger than the spread.
fn row_stats(base: u32) -> vec2<f32> {
    let n = f32(P.h);
    var mean = 0.0;
    if (centred()) {
        var s = 0.0;
        for (var k = 0u; k < P.h; k++) {
            s += xs[base + k];
        }
        mean = s / n;
    }
    var m2 = 0.0;
    for (var k = 0u; k < P.h; k++) {
        let d = xs[base + k] - mean;
        m2 += d * d;
    }
    return vec2<f32>(mean, inverseSqrt(m2 / n + NORM_EPS));
}

// (xhat, g = dy * gamma) of element k of the row at `base`: standard kinds rebuild
// xhat from the saved input, MS kinds read their saved output.
fn backward_terms(base: u32, k: u32, mean: f32, r: f32) -> vec2<f32> {
    if (is_ms()) {
        return vec2<f32>(ys[base + k], dys[base + k]);
    }
    return vec2<f32>((xs[base + k] - mean) * r, dys[base + k] * affine[k]);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = gid.x + gid.y * nwg.x * 64u;
    if (P.mode == 2u) {
        // One invocation per feature: sums over rows (standard kinds only).
        if (i >= P.h || is_ms()) {
            return;
        }
        var dg = 0.0;
        var db = 0.0;
        for (var row = 0u; row < P.rows; row++) {
            let st = stats[row];
            let xhat = (xs[row * P.h + i] - st.x) * st.y;
            let dy = dys[row * P.h + i];
            dg += dy * xhat;
            db += dy;
        }
        daffine[i] = dg;
        daffine[P.h + i] = select(0.0, db, centred());
        return;
    }
    if (i >= P.rows) {
        return;
    }
    let base = i * P.h;
    let n = f32(P.h);
    if (P.mode == 0u) {
        let st = row_stats(base);
        stats[i] = st;
        for (var k = 0u; k < P.h; k++) {
            var y = (xs[base + k] - st.x) * st.y;
            if (!is_ms()) {
                y = y * affine[k] + select(0.0, affine[P.h + k], centred());
            }
            ys[base + k] = y;
        }
        return;
    }
    // Backward. Standard kinds rebuild xhat from the saved input and statistics;
    // MS kinds use the saved output y (= xhat) and r.
    let st = stats[i];
    let mean = st.x;
    let r = st.y;
    var g_mean = 0.0;  // mean of g = dy * gamma
    var gy_mean = 0.0; // mean of g * xhat
    for (var k = 0u; k < P.h; k++) {
        let t = backward_terms(base, k, mean, r);
        g_mean += t.y;
        gy_mean += t.y * t.x;
    }
    g_mean /= n;
    gy_mean /= n;
    if (!centred()) {
        g_mean = 0.0;
    }
    for (var k = 0u; k < P.h; k++) {
        let t = backward_terms(base, k, mean, r);
        dxs[base + k] = r * (t.y - g_mean - t.x * gy_mean);
    }
}
