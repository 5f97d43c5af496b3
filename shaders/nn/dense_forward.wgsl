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

// y = act(W x + b) (act only where L.act != 0). Each item computes four output
// neurons for one block of four samples, so every input load feeds four FMAs
// (on lavapipe, per-lane loads are gathers: reuse is what makes this fast).
fn dense_forward(lid: u32, L: Layer, pb: u32, x: u32, y: u32, m4: u32) {
    let o4 = L.n_out / 4u;
    let items = o4 * m4;
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
            a0 = act_fwd4(a0);
            a1 = act_fwd4(a1);
            a2 = act_fwd4(a2);
            a3 = act_fwd4(a3);
        }
        scratch[y + o * m4 + j] = a0;
        scratch[y + (o + 1u) * m4 + j] = a1;
        scratch[y + (o + 2u) * m4 + j] = a2;
        scratch[y + (o + 3u) * m4 + j] = a3;
    }
    // Outputs left over when n_out is not a multiple of 4 (policy and value heads).
    let rest = (L.n_out - o4 * 4u) * m4;
    for (var it = lid; it < rest; it += WG) {
        let o = o4 * 4u + it / m4;
        let j = it % m4;
        var acc = vec4<f32>(params[pb + L.b + o]);
        let row = pb + L.w + o * L.n_in;
        var i = 0u;
        for (; i + 4u <= L.n_in; i += 4u) {
            acc += params[row + i] * scratch[x + i * m4 + j]
                + params[row + i + 1u] * scratch[x + (i + 1u) * m4 + j]
                + params[row + i + 2u] * scratch[x + (i + 2u) * m4 + j]
                + params[row + i + 3u] * scratch[x + (i + 3u) * m4 + j];
        }
        for (; i < L.n_in; i++) {
            acc += params[row + i] * scratch[x + i * m4 + j];
        }
        if (L.act != 0u) {
            acc = act_fwd4(acc);
        }
        scratch[y + o * m4 + j] = acc;
    }
}
