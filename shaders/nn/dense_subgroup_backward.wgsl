// Backward of dense_subgroup.wgsl's layers (same conventions; dense_backward.wgsl
// calls these when a layer's shape fits).

// Input gradient, when m4 % 8 == 0 and n_in % 16 == 0. Item: inputs i0..i0+15 of
// sample block j; lane s loads weight columns i0 + 2s and i0 + 2s + 1 of each row.
fn dense_backward_input_sg(lid: u32, L: Layer, pb: u32, dy: u32, x: u32, xsave: u32, dx: u32, m4: u32, x_act: bool, accumulate: bool) {
    let s = lid % 8u;
    for (var it = lid; it < (L.n_in / 16u) * m4; it += WG) {
        let i0 = (it / m4) * 16u;
        let j = it % m4;
        let col = pb + L.w + i0 + 2u * s;
        var a0 = vec4<f32>(0.0);
        var a1 = vec4<f32>(0.0);
        var a2 = vec4<f32>(0.0);
        var a3 = vec4<f32>(0.0);
        var a4 = vec4<f32>(0.0);
        var a5 = vec4<f32>(0.0);
        var a6 = vec4<f32>(0.0);
        var a7 = vec4<f32>(0.0);
        var a8 = vec4<f32>(0.0);
        var a9 = vec4<f32>(0.0);
        var a10 = vec4<f32>(0.0);
        var a11 = vec4<f32>(0.0);
        var a12 = vec4<f32>(0.0);
        var a13 = vec4<f32>(0.0);
        var a14 = vec4<f32>(0.0);
        var a15 = vec4<f32>(0.0);
        for (var o = 0u; o < L.n_out; o++) {
            let wa = params[col + o * L.n_in];
            let wb = params[col + o * L.n_in + 1u];
            let d = scratch[dy + o * m4 + j];
            a0 += subgroupBroadcast(wa, 0u) * d;
            a1 += subgroupBroadcast(wb, 0u) * d;
            a2 += subgroupBroadcast(wa, 1u) * d;
            a3 += subgroupBroadcast(wb, 1u) * d;
            a4 += subgroupBroadcast(wa, 2u) * d;
            a5 += subgroupBroadcast(wb, 2u) * d;
            a6 += subgroupBroadcast(wa, 3u) * d;
            a7 += subgroupBroadcast(wb, 3u) * d;
            a8 += subgroupBroadcast(wa, 4u) * d;
            a9 += subgroupBroadcast(wb, 4u) * d;
            a10 += subgroupBroadcast(wa, 5u) * d;
            a11 += subgroupBroadcast(wb, 5u) * d;
            a12 += subgroupBroadcast(wa, 6u) * d;
            a13 += subgroupBroadcast(wb, 6u) * d;
            a14 += subgroupBroadcast(wa, 7u) * d;
            a15 += subgroupBroadcast(wb, 7u) * d;
        }
        for (var g = 0u; g < 4u; g++) {
            dense_in4(i0 + 4u * g, j, pick4(g, a0, a4, a8, a12), pick4(g, a1, a5, a9, a13), pick4(g, a2, a6, a10, a14), pick4(g, a3, a7, a11, a15), x, xsave, dx, m4, x_act, accumulate);
        }
    }
}

// Weight gradient of columns 0..n_in, when n_in % 32 == 0 and n_out % 8 == 0
// (the bias column and other leftovers stay with dense_weight_grad). Item:
// outputs o0..o0+7 of input columns i..i+3; lane s loads output o0 + s's
// gradient, the subgroup shares it.
fn dense_weight_grad_sg(lid: u32, L: Layer, gb: u32, dy: u32, x: u32, m4: u32) {
    let s = lid % 8u;
    let q = L.n_in / 4u;
    for (var it = lid; it < (L.n_out / 8u) * q; it += WG) {
        let o0 = (it / q) * 8u;
        let i = (it % q) * 4u;
        var a00 = vec4<f32>(0.0); var a01 = vec4<f32>(0.0); var a02 = vec4<f32>(0.0); var a03 = vec4<f32>(0.0);
        var a10 = vec4<f32>(0.0); var a11 = vec4<f32>(0.0); var a12 = vec4<f32>(0.0); var a13 = vec4<f32>(0.0);
        var a20 = vec4<f32>(0.0); var a21 = vec4<f32>(0.0); var a22 = vec4<f32>(0.0); var a23 = vec4<f32>(0.0);
        var a30 = vec4<f32>(0.0); var a31 = vec4<f32>(0.0); var a32 = vec4<f32>(0.0); var a33 = vec4<f32>(0.0);
        var a40 = vec4<f32>(0.0); var a41 = vec4<f32>(0.0); var a42 = vec4<f32>(0.0); var a43 = vec4<f32>(0.0);
        var a50 = vec4<f32>(0.0); var a51 = vec4<f32>(0.0); var a52 = vec4<f32>(0.0); var a53 = vec4<f32>(0.0);
        var a60 = vec4<f32>(0.0); var a61 = vec4<f32>(0.0); var a62 = vec4<f32>(0.0); var a63 = vec4<f32>(0.0);
        var a70 = vec4<f32>(0.0); var a71 = vec4<f32>(0.0); var a72 = vec4<f32>(0.0); var a73 = vec4<f32>(0.0);
        for (var j = 0u; j < m4; j++) {
            let dv = scratch[dy + (o0 + s) * m4 + j];
            let x0 = scratch[x + (i + 0u) * m4 + j];
            let x1 = scratch[x + (i + 1u) * m4 + j];
            let x2 = scratch[x + (i + 2u) * m4 + j];
            let x3 = scratch[x + (i + 3u) * m4 + j];
            let d0 = subgroupBroadcast(dv, 0u);
            a00 += d0 * x0; a01 += d0 * x1; a02 += d0 * x2; a03 += d0 * x3;
            let d1 = subgroupBroadcast(dv, 1u);
            a10 += d1 * x0; a11 += d1 * x1; a12 += d1 * x2; a13 += d1 * x3;
            let d2 = subgroupBroadcast(dv, 2u);
            a20 += d2 * x0; a21 += d2 * x1; a22 += d2 * x2; a23 += d2 * x3;
            let d3 = subgroupBroadcast(dv, 3u);
            a30 += d3 * x0; a31 += d3 * x1; a32 += d3 * x2; a33 += d3 * x3;
            let d4 = subgroupBroadcast(dv, 4u);
            a40 += d4 * x0; a41 += d4 * x1; a42 += d4 * x2; a43 += d4 * x3;
            let d5 = subgroupBroadcast(dv, 5u);
            a50 += d5 * x0; a51 += d5 * x1; a52 += d5 * x2; a53 += d5 * x3;
            let d6 = subgroupBroadcast(dv, 6u);
            a60 += d6 * x0; a61 += d6 * x1; a62 += d6 * x2; a63 += d6 * x3;
            let d7 = subgroupBroadcast(dv, 7u);
            a70 += d7 * x0; a71 += d7 * x1; a72 += d7 * x2; a73 += d7 * x3;
        }
        let r0 = gb + L.w + (o0 + 0u) * L.n_in + i;
        opt[r0 + 0u] = hsum(a00); opt[r0 + 1u] = hsum(a01); opt[r0 + 2u] = hsum(a02); opt[r0 + 3u] = hsum(a03);
        let r1 = gb + L.w + (o0 + 1u) * L.n_in + i;
        opt[r1 + 0u] = hsum(a10); opt[r1 + 1u] = hsum(a11); opt[r1 + 2u] = hsum(a12); opt[r1 + 3u] = hsum(a13);
        let r2 = gb + L.w + (o0 + 2u) * L.n_in + i;
        opt[r2 + 0u] = hsum(a20); opt[r2 + 1u] = hsum(a21); opt[r2 + 2u] = hsum(a22); opt[r2 + 3u] = hsum(a23);
        let r3 = gb + L.w + (o0 + 3u) * L.n_in + i;
        opt[r3 + 0u] = hsum(a30); opt[r3 + 1u] = hsum(a31); opt[r3 + 2u] = hsum(a32); opt[r3 + 3u] = hsum(a33);
        let r4 = gb + L.w + (o0 + 4u) * L.n_in + i;
        opt[r4 + 0u] = hsum(a40); opt[r4 + 1u] = hsum(a41); opt[r4 + 2u] = hsum(a42); opt[r4 + 3u] = hsum(a43);
        let r5 = gb + L.w + (o0 + 5u) * L.n_in + i;
        opt[r5 + 0u] = hsum(a50); opt[r5 + 1u] = hsum(a51); opt[r5 + 2u] = hsum(a52); opt[r5 + 3u] = hsum(a53);
        let r6 = gb + L.w + (o0 + 6u) * L.n_in + i;
        opt[r6 + 0u] = hsum(a60); opt[r6 + 1u] = hsum(a61); opt[r6 + 2u] = hsum(a62); opt[r6 + 3u] = hsum(a63);
        let r7 = gb + L.w + (o0 + 7u) * L.n_in + i;
        opt[r7 + 0u] = hsum(a70); opt[r7 + 1u] = hsum(a71); opt[r7 + 2u] = hsum(a72); opt[r7 + 3u] = hsum(a73);
    }
}
