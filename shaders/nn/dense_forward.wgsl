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
// loops when it runs out, so inner loops are unrolled by 4 and callers size their
// dispatches with the iteration counts in wgrl_nn::budget.

// y = act(W x + b) (act only where L.act != 0).
fn dense_forward(lid: u32, L: Layer, pb: u32, x: u32, y: u32, m4: u32) {
    let items = L.n_out * m4;
    for (var it = lid; it < items; it += WG) {
        let o = it / m4;
        let j = it % m4;
        var acc = vec4<f32>(params[pb + L.b + o]);
        let row = pb + L.w + o * L.n_in;
        // Unrolled by 4: lavapipe caps the loop iterations of an invocation.
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

