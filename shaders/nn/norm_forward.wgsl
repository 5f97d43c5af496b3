// Norm layers inside the fused kernels, in the dense layers' layout (feature f
// of samples 4j..4j+3 is scratch[off + f * m4 + j]); one item per block of four
// samples, run cooperatively by a workgroup of WG invocations. N.kind is
// NormKind::id: 0 layernorm, 1 rmsnorm (standard: affine gamma at param_at(pb + N.g),
// LayerNorm's beta at N.b; backward reads their input), 2 ms-layernorm,
// 3 ms-rmsnorm (no affine, folded into the next Linear; backward reads their
// output). Statistics per sample block: r at st + j, and for LayerNorm the mean
// at st + m4 + j (MS-LN's backward needs no mean: it works from y).
// Every sum runs in feature order, as the CPU reference (wgrl_nn::norm).

const LN_EPS: f32 = 1e-5;

fn norm_centred(N: NormL) -> bool {
    return N.kind == 0u || N.kind == 2u;
}

// y = norm(x); with `keep`, the statistics backward needs go to `st`.
fn norm_forward(lid: u32, N: NormL, pb: u32, x: u32, y: u32, st: u32, m4: u32, keep: bool) {
    let n = f32(N.h);
    for (var j = lid; j < m4; j += WG) {
        var mean = vec4<f32>(0.0);
        if (norm_centred(N)) {
            for (var k = 0u; k < N.h; k++) {
                mean += scratch[x + k * m4 + j];
            }
            mean = mean / n;
        }
        // Second pass over squared deviations: accurate when |mean| >> spread.
        var m2 = vec4<f32>(0.0);
        for (var k = 0u; k < N.h; k++) {
            let d = scratch[x + k * m4 + j] - mean;
            m2 += d * d;
        }
        let r = 1.0 / sqrt(m2 / n + LN_EPS);
        if (keep) {
            scratch[st + j] = r;
            if (N.kind == 0u) {
                scratch[st + m4 + j] = mean;
            }
        }
        for (var k = 0u; k < N.h; k++) {
            var v = (scratch[x + k * m4 + j] - mean) * r;
            if (N.kind == 0u) {
                v = v * param_at(pb + N.g + k) + param_at(pb + N.b + k);
            } else if (N.kind == 1u) {
                v = v * param_at(pb + N.g + k);
            }
            scratch[y + k * m4 + j] = v;
        }
    }
}

