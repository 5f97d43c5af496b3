// Backward of the dense layers of dense_forward.wgsl (same layout and conventions):
// input gradients and weight gradients, the latter written into `opt` at base `gb`.

// dx = W^T dy, multiplied by the derivative of the activation that produced x
// when `x_act` (x is then the previous layer's output and `xsave` that layer's
// save region), and added to what dx holds when `accumulate` (x also feeds a
// residual connection). Items cover four inputs for one block of samples, so each
// dy load feeds four FMAs and the four inputs' 2-bit states are one word.
fn dense_backward_input(lid: u32, L: Layer, pb: u32, dy: u32, x: u32, xsave: u32, dx: u32, m4: u32, x_act: bool, accumulate: bool) {
    let i4 = L.n_in / 4u;
    let items = i4 * m4;
    for (var it = lid; it < items; it += WG) {
        let i = (it / m4) * 4u;
        let j = it % m4;
        let col = pb + L.w + i;
        var a0 = vec4<f32>(0.0);
        var a1 = vec4<f32>(0.0);
        var a2 = vec4<f32>(0.0);
        var a3 = vec4<f32>(0.0);
        for (var o = 0u; o < L.n_out; o++) {
            let d = scratch[dy + o * m4 + j];
            let w = col + o * L.n_in;
            a0 += params[w] * d;
            a1 += params[w + 1u] * d;
            a2 += params[w + 2u] * d;
            a3 += params[w + 3u] * d;
        }
        if (x_act) {
            a0 *= act_deriv4(x, xsave, i, j, m4);
            a1 *= act_deriv4(x, xsave, i + 1u, j, m4);
            a2 *= act_deriv4(x, xsave, i + 2u, j, m4);
            a3 *= act_deriv4(x, xsave, i + 3u, j, m4);
        }
        if (accumulate) {
            a0 += scratch[dx + i * m4 + j];
            a1 += scratch[dx + (i + 1u) * m4 + j];
            a2 += scratch[dx + (i + 2u) * m4 + j];
            a3 += scratch[dx + (i + 3u) * m4 + j];
        }
        scratch[dx + i * m4 + j] = a0;
        scratch[dx + (i + 1u) * m4 + j] = a1;
        scratch[dx + (i + 2u) * m4 + j] = a2;
        scratch[dx + (i + 3u) * m4 + j] = a3;
    }
    // Inputs left over when n_in is not a multiple of 4.
    let rest = (L.n_in - i4 * 4u) * m4;
    for (var it = lid; it < rest; it += WG) {
        let i = i4 * 4u + it / m4;
        let j = it % m4;
        var acc = vec4<f32>(0.0);
        for (var o = 0u; o < L.n_out; o++) {
            acc += params[pb + L.w + o * L.n_in + i] * scratch[dy + o * m4 + j];
        }
        if (x_act) {
            acc *= act_deriv4(x, xsave, i, j, m4);
        }
        if (accumulate) {
            acc += scratch[dx + i * m4 + j];
        }
        scratch[dx + i * m4 + j] = acc;
    }
}

// dW[o][i] = sum over samples of dy[o] x[i]; db[o] = sum of dy[o] (the bias is
// input column n_in, with x = 1). Overwrites the gradient. Items cover four
// outputs of one input column, so each x load feeds four FMAs.
fn dense_weight_grad(lid: u32, L: Layer, gb: u32, dy: u32, x: u32, m4: u32) {
    let cols = L.n_in + 1u;
    let o4 = L.n_out / 4u;
    let items = o4 * cols;
    for (var it = lid; it < items; it += WG) {
        let o = (it / cols) * 4u;
        let i = it % cols;
        var a0 = vec4<f32>(0.0);
        var a1 = vec4<f32>(0.0);
        var a2 = vec4<f32>(0.0);
        var a3 = vec4<f32>(0.0);
        for (var j = 0u; j < m4; j++) {
            var xv = vec4<f32>(1.0);
            if (i < L.n_in) {
                xv = scratch[x + i * m4 + j];
            }
            a0 += scratch[dy + o * m4 + j] * xv;
            a1 += scratch[dy + (o + 1u) * m4 + j] * xv;
            a2 += scratch[dy + (o + 2u) * m4 + j] * xv;
            a3 += scratch[dy + (o + 3u) * m4 + j] * xv;
        }
        let sums = vec4<f32>((a0.x + a0.y) + (a0.z + a0.w), (a1.x + a1.y) + (a1.z + a1.w), (a2.x + a2.y) + (a2.z + a2.w), (a3.x + a3.y) + (a3.z + a3.w));
        for (var k = 0u; k < 4u; k++) {
            if (i < L.n_in) {
                opt[gb + L.w + (o + k) * L.n_in + i] = sums[k];
            } else {
                opt[gb + L.b + o + k] = sums[k];
            }
        }
    }
    // Outputs left over when n_out is not a multiple of 4 (the heads).
    let rest = (L.n_out - o4 * 4u) * cols;
    for (var it = lid; it < rest; it += WG) {
        let o = o4 * 4u + it / cols;
        let i = it % cols;
        var acc = vec4<f32>(0.0);
        for (var j = 0u; j < m4; j++) {
            var xv = vec4<f32>(1.0);
            if (i < L.n_in) {
                xv = scratch[x + i * m4 + j];
            }
            acc += scratch[dy + o * m4 + j] * xv;
        }
        let sum = (acc.x + acc.y) + (acc.z + acc.w);
        if (i < L.n_in) {
            opt[gb + L.w + o * L.n_in + i] = sum;
        } else {
            opt[gb + L.b + o] = sum;
        }
    }
}
