// Dense layers over a minibatch, run cooperatively by one workgroup of WG
// invocations. Activations are feature-major with four samples per vec4: feature
// f of samples 4j..4j+3 is scratch[off + f * m4 + j]. Adjacent invocations take
// adjacent sample blocks of the same feature, so weights are read once per lane
// group (a broadcast) and activations are contiguous vector loads.
// Parameters of a layer at parameter base `pb`: W[o][i] = params[pb + L.w + o * L.n_in + i],
// b[o] = params[pb + L.b + o]. Gradients use the same offsets from base `gb` in `opt`.
// Every sum runs in a fixed order, so results are deterministic.
//
// lavapipe (llvmpipe) gives each invocation one budget of 65535 loop iterations
// for all its loops together (LP_MAX_TGSI_LOOP_ITERATIONS) and silently exits
// loops when it runs out, so callers size their
// dispatches with the iteration counts in wgrl_nn::budget.

// y = act(W x + b) (act only where L.act != 0), plus the tensor at `res` unless it
// is NO_RES (a residual connection; res may be y itself, updated in place). With
// `keep`, what the activation's backward needs is written to the layer's save
// region (see activations.wgsl).
// Each item computes four output neurons for one block of four samples, so every
// input load feeds four FMAs (on lavapipe, per-lane loads are scalar loops over
// the lanes: reuse is what makes this fast), and its four outputs' 2-bit states
// fill exactly one word.
const NO_RES: u32 = 0xffffffffu;

fn dense_forward(lid: u32, L: Layer, pb: u32, x: u32, y: u32, save: u32, m4: u32, keep: bool, res: u32) {
    let o4 = L.n_out / 4u;
    let items = o4 * m4;
    let mode = act_save_mode();
    for (var it = lid; it < items; it += WG) {
        let o = (it / m4) * 4u;
        let j = it % m4;
        let r0 = pb + L.w + o * L.n_in;
        let r1 = r0 + L.n_in;
        let r2 = r1 + L.n_in;
        let r3 = r2 + L.n_in;
        var a0 = vec4<f32>(params[pb + L.b + o]);
        var a1 = vec4<f32>(params[pb + L.b + o + 1u]);
        var a2 = vec4<f32>(params[pb + L.b + o + 2u]);
        var a3 = vec4<f32>(params[pb + L.b + o + 3u]);
        for (var i = 0u; i < L.n_in; i++) {
            let xv = scratch[x + i * m4 + j];
            a0 += params[r0 + i] * xv;
            a1 += params[r1 + i] * xv;
            a2 += params[r2 + i] * xv;
            a3 += params[r3 + i] * xv;
        }
        if (L.act != 0u) {
            if (keep && mode == ACT_SAVE_PRE) {
                scratch[save + o * m4 + j] = a0;
                scratch[save + (o + 1u) * m4 + j] = a1;
                scratch[save + (o + 2u) * m4 + j] = a2;
                scratch[save + (o + 3u) * m4 + j] = a3;
            }
            if (keep && mode == ACT_SAVE_CODES) {
                let word = act_byte(a0) | (act_byte(a1) << 8u) | (act_byte(a2) << 16u) | (act_byte(a3) << 24u);
                act_word_store(save, (o / 4u) * m4 + j, word);
            }
            a0 = act_fwd4(a0);
            a1 = act_fwd4(a1);
            a2 = act_fwd4(a2);
            a3 = act_fwd4(a3);
        }
        if (res != NO_RES) {
            a0 += scratch[res + o * m4 + j];
            a1 += scratch[res + (o + 1u) * m4 + j];
            a2 += scratch[res + (o + 2u) * m4 + j];
            a3 += scratch[res + (o + 3u) * m4 + j];
        }
        scratch[y + o * m4 + j] = a0;
        scratch[y + (o + 1u) * m4 + j] = a1;
        scratch[y + (o + 2u) * m4 + j] = a2;
        scratch[y + (o + 3u) * m4 + j] = a3;
    }
    // The last n_out % 4 outputs (the heads, or an odd width): one item per sample
    // block covers all of them, so their 2-bit states still share one word.
    let rest = L.n_out - o4 * 4u;
    if (rest == 0u) {
        return;
    }
    for (var j = lid; j < m4; j += WG) {
        var word = 0u;
        for (var k = 0u; k < rest; k++) {
            let o = o4 * 4u + k;
            var acc = vec4<f32>(params[pb + L.b + o]);
            let row = pb + L.w + o * L.n_in;
            for (var i = 0u; i < L.n_in; i++) {
                acc += params[row + i] * scratch[x + i * m4 + j];
            }
            if (L.act != 0u) {
                if (keep && mode == ACT_SAVE_PRE) {
                    scratch[save + o * m4 + j] = acc;
                }
                word |= act_byte(acc) << (8u * k);
                acc = act_fwd4(acc);
            }
            if (res != NO_RES) {
                acc += scratch[res + o * m4 + j];
            }
            scratch[y + o * m4 + j] = acc;
        }
        if (L.act != 0u && keep && mode == ACT_SAVE_CODES) {
            act_word_store(save, o4 * m4 + j, word);
        }
    }
}
