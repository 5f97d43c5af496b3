// Backward of the dense layers of dense_forward.wgsl (same layout and conventions):
// input gradients and weight gradients, the latter written into `opt` at base `gb`.

// dx = W^T dy, multiplied by the derivative of the activation that produced x
// when `x_act` (x is then the previous layer's output and `xsave` that layer's
// save region), and added to what dx holds when `accumulate` (x also feeds a
// residual connection). Items cover four inputs for four blocks of samples when
// m4 is a multiple of 4 (else one block), so each weight load and each dy load
// feed four vec4 FMAs, and the four inputs' 2-bit states are one word per block.
// Every input still sums over outputs in order 0..n_out.
fn dense_backward_input(lid: u32, L: Layer, pb: u32, dy: u32, x: u32, xsave: u32, dx: u32, m4: u32, x_act: bool, accumulate: bool) {
    if (DENSE_SG && m4 % 8u == 0u && L.n_in % 32u == 0u) {
        dense_backward_input_sg(lid, L, pb, dy, x, xsave, dx, m4, x_act, accumulate);
        return;
    }
    let i4 = L.n_in / 4u;
    // Left out at compile time when no step of the kernel's plan takes it.
    if (DENSE_DX_BLOCKS) {
        dense_backward_input_blocks(lid, L, pb, dy, x, xsave, dx, m4, x_act, accumulate);
    }
    // Inputs left over when n_in is not a multiple of 4.
    let rest = (L.n_in - i4 * 4u) * m4;
    for (var it = lid; it < rest; it += WG) {
        let i = i4 * 4u + it / m4;
        let j = it % m4;
        var acc = vec4<f32>(0.0);
        for (var o = 0u; o < L.n_out; o++) {
            acc += param_at(pb + L.w + o * L.n_in + i) * scratch[dy + o * m4 + j];
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

// Inputs 0..n_in - n_in % 4 of a layer whose input gradient does not take the
// subgroup path, four at a time.
fn dense_backward_input_blocks(lid: u32, L: Layer, pb: u32, dy: u32, x: u32, xsave: u32, dx: u32, m4: u32, x_act: bool, accumulate: bool) {
    let i4 = L.n_in / 4u;
    if (m4 % 4u == 0u) {
        let q = m4 / 4u;
        for (var it = lid; it < i4 * q; it += WG) {
            let i = (it / q) * 4u;
            let j = (it % q) * 4u;
            let col = pb + L.w + i;
            // a<input><block>
            var a00 = vec4<f32>(0.0);
            var a01 = a00;
            var a02 = a00;
            var a03 = a00;
            var a10 = a00;
            var a11 = a00;
            var a12 = a00;
            var a13 = a00;
            var a20 = a00;
            var a21 = a00;
            var a22 = a00;
            var a23 = a00;
            var a30 = a00;
            var a31 = a00;
            var a32 = a00;
            var a33 = a00;
            for (var o = 0u; o < L.n_out; o++) {
                let dr = dy + o * m4 + j;
                let d0 = scratch[dr];
                let d1 = scratch[dr + 1u];
                let d2 = scratch[dr + 2u];
                let d3 = scratch[dr + 3u];
                let w = col + o * L.n_in;
                let w0 = param_at(w);
                let w1 = param_at(w + 1u);
                let w2 = param_at(w + 2u);
                let w3 = param_at(w + 3u);
                a00 += w0 * d0;
                a01 += w0 * d1;
                a02 += w0 * d2;
                a03 += w0 * d3;
                a10 += w1 * d0;
                a11 += w1 * d1;
                a12 += w1 * d2;
                a13 += w1 * d3;
                a20 += w2 * d0;
                a21 += w2 * d1;
                a22 += w2 * d2;
                a23 += w2 * d3;
                a30 += w3 * d0;
                a31 += w3 * d1;
                a32 += w3 * d2;
                a33 += w3 * d3;
            }
            // One copy of the epilogue, not four: llvmpipe's compile time grows with copies.
            for (var k = 0u; k < 4u; k++) {
                dense_in4(i, j + k, pick4(k, a00, a01, a02, a03), pick4(k, a10, a11, a12, a13), pick4(k, a20, a21, a22, a23), pick4(k, a30, a31, a32, a33), x, xsave, dx, m4, x_act, accumulate);
            }
        }
    } else {
        for (var it = lid; it < i4 * m4; it += WG) {
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
                a0 += param_at(w) * d;
                a1 += param_at(w + 1u) * d;
                a2 += param_at(w + 2u) * d;
                a3 += param_at(w + 3u) * d;
            }
            dense_in4(i, j, a0, a1, a2, a3, x, xsave, dx, m4, x_act, accumulate);
        }
    }
}

// dW[o][i] = sum over samples of dy[o] x[i]; db[o] = sum of dy[o] (the bias is
// input column n_in, with x = 1). Overwrites the gradient. Items cover four
// outputs of four input columns, so each dy load and each x load feed four vec4
// FMAs (on lavapipe each per-lane load is a loop over the lanes: reuse is what
// makes this fast), and the items of columns 0..3 also sum their outputs' bias
// from the dy they load. The last items of a layer whose n_out or n_in is not a
// multiple of 4 (the heads) reuse its last row or column past the end and store
// only what is inside. Every sum runs over sample blocks in order.
fn dense_weight_grad(lid: u32, L: Layer, gb: u32, dy: u32, x: u32, m4: u32) {
    if (DENSE_SG && L.n_in % 32u == 0u && L.n_out % 16u == 0u) {
        dense_weight_grad_sg(lid, L, gb, dy, x, m4);
        return;
    }
    let og = (L.n_out + 3u) / 4u;
    let ig = (L.n_in + 3u) / 4u;
    for (var it = lid; it < og * ig; it += WG) {
        let o = (it / ig) * 4u;
        let i = (it % ig) * 4u;
        let d0r = dy + o * m4;
        let d1r = dy + min(o + 1u, L.n_out - 1u) * m4;
        let d2r = dy + min(o + 2u, L.n_out - 1u) * m4;
        let d3r = dy + min(o + 3u, L.n_out - 1u) * m4;
        let x0r = x + i * m4;
        let x1r = x + min(i + 1u, L.n_in - 1u) * m4;
        let x2r = x + min(i + 2u, L.n_in - 1u) * m4;
        let x3r = x + min(i + 3u, L.n_in - 1u) * m4;
        // a<output><input>, b<output>: the bias
        var a00 = vec4<f32>(0.0);
        var a01 = a00;
        var a02 = a00;
        var a03 = a00;
        var a10 = a00;
        var a11 = a00;
        var a12 = a00;
        var a13 = a00;
        var a20 = a00;
        var a21 = a00;
        var a22 = a00;
        var a23 = a00;
        var a30 = a00;
        var a31 = a00;
        var a32 = a00;
        var a33 = a00;
        var b0 = a00;
        var b1 = a00;
        var b2 = a00;
        var b3 = a00;
        for (var j = 0u; j < m4; j++) {
            let d0 = scratch[d0r + j];
            let d1 = scratch[d1r + j];
            let d2 = scratch[d2r + j];
            let d3 = scratch[d3r + j];
            let x0 = scratch[x0r + j];
            let x1 = scratch[x1r + j];
            let x2 = scratch[x2r + j];
            let x3 = scratch[x3r + j];
            a00 += d0 * x0;
            a01 += d0 * x1;
            a02 += d0 * x2;
            a03 += d0 * x3;
            a10 += d1 * x0;
            a11 += d1 * x1;
            a12 += d1 * x2;
            a13 += d1 * x3;
            a20 += d2 * x0;
            a21 += d2 * x1;
            a22 += d2 * x2;
            a23 += d2 * x3;
            a30 += d3 * x0;
            a31 += d3 * x1;
            a32 += d3 * x2;
            a33 += d3 * x3;
            b0 += d0;
            b1 += d1;
            b2 += d2;
            b3 += d3;
        }
        // One copy of the stores, not four: llvmpipe's compile time grows with copies.
        let cols = L.n_in - i;
        for (var k = 0u; k < min(4u, L.n_out - o); k++) {
            let s = vec4<f32>(hsum(pick4(k, a00, a10, a20, a30)), hsum(pick4(k, a01, a11, a21, a31)), hsum(pick4(k, a02, a12, a22, a32)), hsum(pick4(k, a03, a13, a23, a33)));
            let row = gb + L.w + (o + k) * L.n_in + i;
            if (cols >= 4u) {
                opt_set_words4(row, s);
            } else {
                opt_set(row, s.x);
                if (cols > 1u) {
                    opt_set(row + 1u, s.y);
                }
                if (cols > 2u) {
                    opt_set(row + 2u, s.z);
                }
            }
            if (i == 0u) {
                opt_set(gb + L.b + o + k, hsum(pick4(k, b0, b1, b2, b3)));
            }
        }
    }
}

// The sum of a vec4's lanes in the fixed order the CPU reference uses.
fn hsum(a: vec4<f32>) -> f32 {
    return (a.x + a.y) + (a.z + a.w);
}

// Input gradients i..i+3 of sample block j from their sums over outputs: times
// the derivative of x's activation, plus what dx holds, stored.
fn dense_in4(i: u32, j: u32, s0: vec4<f32>, s1: vec4<f32>, s2: vec4<f32>, s3: vec4<f32>, x: u32, xsave: u32, dx: u32, m4: u32, x_act: bool, accumulate: bool) {
    var a0 = s0;
    var a1 = s1;
    var a2 = s2;
    var a3 = s3;
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
