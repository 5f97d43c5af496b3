// Backward of the dense layers of dense_forward.wgsl (same layout and conventions):
// input gradients and weight gradients, the latter written into `opt` at base `gb`.

// dx = W^T dy, multiplied by the derivative of the activation that produced x
// when `x_act` (x is then the previous layer's output).
fn dense_backward_input(lid: u32, L: Layer, pb: u32, dy: u32, x: u32, dx: u32, m4: u32, x_act: bool) {
    let items = L.n_in * m4;
    for (var it = lid; it < items; it += WG) {
        let i = it / m4;
        let j = it % m4;
        var acc = vec4<f32>(0.0);
        let col = pb + L.w + i;
        var o = 0u;
        for (; o + 4u <= L.n_out; o += 4u) {
            acc += params[col + o * L.n_in] * scratch[dy + o * m4 + j]
                + params[col + (o + 1u) * L.n_in] * scratch[dy + (o + 1u) * m4 + j]
                + params[col + (o + 2u) * L.n_in] * scratch[dy + (o + 2u) * m4 + j]
                + params[col + (o + 3u) * L.n_in] * scratch[dy + (o + 3u) * m4 + j];
        }
        for (; o < L.n_out; o++) {
            acc += params[col + o * L.n_in] * scratch[dy + o * m4 + j];
        }
        if (x_act) {
            acc *= act_grad4(scratch[x + i * m4 + j]);
        }
        scratch[dx + i * m4 + j] = acc;
    }
}

// dW[o][i] = sum over samples of dy[o] x[i]; db[o] = sum of dy[o]. Overwrites the gradient.
fn dense_weight_grad(lid: u32, L: Layer, gb: u32, dy: u32, x: u32, m4: u32) {
    let cols = L.n_in + 1u;
    let items = L.n_out * cols;
    for (var it = lid; it < items; it += WG) {
        let o = it / cols;
        let i = it % cols;
        var acc = vec4<f32>(0.0);
        if (i < L.n_in) {
            for (var j = 0u; j < m4; j++) {
                acc += scratch[dy + o * m4 + j] * scratch[x + i * m4 + j];
            }
            opt[gb + L.w + o * L.n_in + i] = (acc.x + acc.y) + (acc.z + acc.w);
        } else {
            for (var j = 0u; j < m4; j++) {
                acc += scratch[dy + o * m4 + j];
            }
            opt[gb + L.b + o] = (acc.x + acc.y) + (acc.z + acc.w);
        }
    }
}
