// Backward of dense_subgroup.wgsl's layers (same conventions; dense_backward.wgsl
// calls these when a layer's shape fits).

// Input gradient, when m4 % 8 == 0 and n_in % 32 == 0. Item: inputs i0..i0+31 of
// sample block j; lane s loads weight columns i0 + 4s .. i0 + 4s + 3 of each row
// in one load (a multiple of 4 words, as in dense_forward_sg).
fn dense_backward_input_sg(lid: u32, L: Layer, pb: u32, dy: u32, x: u32, xsave: u32, dx: u32, m4: u32, x_act: bool, accumulate: bool) {
    let s = lid % 8u;
    for (var it = lid; it < (L.n_in / 32u) * m4; it += WG) {
        let i0 = (it / m4) * 32u;
        let j = it % m4;
        let col = pb + L.w + i0 + 4u * s;
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
        var a16 = vec4<f32>(0.0);
        var a17 = vec4<f32>(0.0);
        var a18 = vec4<f32>(0.0);
        var a19 = vec4<f32>(0.0);
        var a20 = vec4<f32>(0.0);
        var a21 = vec4<f32>(0.0);
        var a22 = vec4<f32>(0.0);
        var a23 = vec4<f32>(0.0);
        var a24 = vec4<f32>(0.0);
        var a25 = vec4<f32>(0.0);
        var a26 = vec4<f32>(0.0);
        var a27 = vec4<f32>(0.0);
        var a28 = vec4<f32>(0.0);
        var a29 = vec4<f32>(0.0);
        var a30 = vec4<f32>(0.0);
        var a31 = vec4<f32>(0.0);
        for (var o = 0u; o < L.n_out; o++) {
            let c = col + o * L.n_in;
            let w = param4_at(c);
            let d = scratch[dy + o * m4 + j];
            a0 += subgroupBroadcast(w.x, 0u) * d;
            a1 += subgroupBroadcast(w.y, 0u) * d;
            a2 += subgroupBroadcast(w.z, 0u) * d;
            a3 += subgroupBroadcast(w.w, 0u) * d;
            a4 += subgroupBroadcast(w.x, 1u) * d;
            a5 += subgroupBroadcast(w.y, 1u) * d;
            a6 += subgroupBroadcast(w.z, 1u) * d;
            a7 += subgroupBroadcast(w.w, 1u) * d;
            a8 += subgroupBroadcast(w.x, 2u) * d;
            a9 += subgroupBroadcast(w.y, 2u) * d;
            a10 += subgroupBroadcast(w.z, 2u) * d;
            a11 += subgroupBroadcast(w.w, 2u) * d;
            a12 += subgroupBroadcast(w.x, 3u) * d;
            a13 += subgroupBroadcast(w.y, 3u) * d;
            a14 += subgroupBroadcast(w.z, 3u) * d;
            a15 += subgroupBroadcast(w.w, 3u) * d;
            a16 += subgroupBroadcast(w.x, 4u) * d;
            a17 += subgroupBroadcast(w.y, 4u) * d;
            a18 += subgroupBroadcast(w.z, 4u) * d;
            a19 += subgroupBroadcast(w.w, 4u) * d;
            a20 += subgroupBroadcast(w.x, 5u) * d;
            a21 += subgroupBroadcast(w.y, 5u) * d;
            a22 += subgroupBroadcast(w.z, 5u) * d;
            a23 += subgroupBroadcast(w.w, 5u) * d;
            a24 += subgroupBroadcast(w.x, 6u) * d;
            a25 += subgroupBroadcast(w.y, 6u) * d;
            a26 += subgroupBroadcast(w.z, 6u) * d;
            a27 += subgroupBroadcast(w.w, 6u) * d;
            a28 += subgroupBroadcast(w.x, 7u) * d;
            a29 += subgroupBroadcast(w.y, 7u) * d;
            a30 += subgroupBroadcast(w.z, 7u) * d;
            a31 += subgroupBroadcast(w.w, 7u) * d;
        }
        for (var g = 0u; g < 8u; g++) {
            dense_in4(i0 + 4u * g, j, pick8(g, a0, a4, a8, a12, a16, a20, a24, a28), pick8(g, a1, a5, a9, a13, a17, a21, a25, a29), pick8(g, a2, a6, a10, a14, a18, a22, a26, a30), pick8(g, a3, a7, a11, a15, a19, a23, a27, a31), x, xsave, dx, m4, x_act, accumulate);
        }
    }
}

// Weight gradient of columns 0..n_in and the bias, when n_in % 32 == 0 and
// n_out % 16 == 0. Item: outputs o0..o0+15 of input columns i..i+3; lane s loads
// the gradients of outputs o0 + s and o0 + 8 + s, the subgroup shares them; each
// output's four gradient words are stored at once. Lane s also sums the two
// gradients it loads, which are those outputs' bias gradients; the subgroup
// whose items start at column 0 stores them.
fn dense_weight_grad_sg(lid: u32, L: Layer, gb: u32, dy: u32, x: u32, m4: u32) {
    let s = lid % 8u;
    let q = L.n_in / 4u;
    for (var it = lid; it < (L.n_out / 16u) * q; it += WG) {
        let o0 = (it / q) * 16u;
        let i = (it % q) * 4u;
        var a0_0 = vec4<f32>(0.0); var a0_1 = vec4<f32>(0.0); var a0_2 = vec4<f32>(0.0); var a0_3 = vec4<f32>(0.0);
        var a1_0 = vec4<f32>(0.0); var a1_1 = vec4<f32>(0.0); var a1_2 = vec4<f32>(0.0); var a1_3 = vec4<f32>(0.0);
        var a2_0 = vec4<f32>(0.0); var a2_1 = vec4<f32>(0.0); var a2_2 = vec4<f32>(0.0); var a2_3 = vec4<f32>(0.0);
        var a3_0 = vec4<f32>(0.0); var a3_1 = vec4<f32>(0.0); var a3_2 = vec4<f32>(0.0); var a3_3 = vec4<f32>(0.0);
        var a4_0 = vec4<f32>(0.0); var a4_1 = vec4<f32>(0.0); var a4_2 = vec4<f32>(0.0); var a4_3 = vec4<f32>(0.0);
        var a5_0 = vec4<f32>(0.0); var a5_1 = vec4<f32>(0.0); var a5_2 = vec4<f32>(0.0); var a5_3 = vec4<f32>(0.0);
        var a6_0 = vec4<f32>(0.0); var a6_1 = vec4<f32>(0.0); var a6_2 = vec4<f32>(0.0); var a6_3 = vec4<f32>(0.0);
        var a7_0 = vec4<f32>(0.0); var a7_1 = vec4<f32>(0.0); var a7_2 = vec4<f32>(0.0); var a7_3 = vec4<f32>(0.0);
        var a8_0 = vec4<f32>(0.0); var a8_1 = vec4<f32>(0.0); var a8_2 = vec4<f32>(0.0); var a8_3 = vec4<f32>(0.0);
        var a9_0 = vec4<f32>(0.0); var a9_1 = vec4<f32>(0.0); var a9_2 = vec4<f32>(0.0); var a9_3 = vec4<f32>(0.0);
        var a10_0 = vec4<f32>(0.0); var a10_1 = vec4<f32>(0.0); var a10_2 = vec4<f32>(0.0); var a10_3 = vec4<f32>(0.0);
        var a11_0 = vec4<f32>(0.0); var a11_1 = vec4<f32>(0.0); var a11_2 = vec4<f32>(0.0); var a11_3 = vec4<f32>(0.0);
        var a12_0 = vec4<f32>(0.0); var a12_1 = vec4<f32>(0.0); var a12_2 = vec4<f32>(0.0); var a12_3 = vec4<f32>(0.0);
        var a13_0 = vec4<f32>(0.0); var a13_1 = vec4<f32>(0.0); var a13_2 = vec4<f32>(0.0); var a13_3 = vec4<f32>(0.0);
        var a14_0 = vec4<f32>(0.0); var a14_1 = vec4<f32>(0.0); var a14_2 = vec4<f32>(0.0); var a14_3 = vec4<f32>(0.0);
        var a15_0 = vec4<f32>(0.0); var a15_1 = vec4<f32>(0.0); var a15_2 = vec4<f32>(0.0); var a15_3 = vec4<f32>(0.0);
        var ba = vec4<f32>(0.0);
        var bb = vec4<f32>(0.0);
        for (var j = 0u; j < m4; j++) {
            let da = scratch[dy + (o0 + s) * m4 + j];
            let db = scratch[dy + (o0 + 8u + s) * m4 + j];
            ba += da;
            bb += db;
            let x0 = scratch[x + (i + 0u) * m4 + j];
            let x1 = scratch[x + (i + 1u) * m4 + j];
            let x2 = scratch[x + (i + 2u) * m4 + j];
            let x3 = scratch[x + (i + 3u) * m4 + j];
            let d0 = subgroupBroadcast(da, 0u);
            a0_0 += d0 * x0; a0_1 += d0 * x1; a0_2 += d0 * x2; a0_3 += d0 * x3;
            let d1 = subgroupBroadcast(da, 1u);
            a1_0 += d1 * x0; a1_1 += d1 * x1; a1_2 += d1 * x2; a1_3 += d1 * x3;
            let d2 = subgroupBroadcast(da, 2u);
            a2_0 += d2 * x0; a2_1 += d2 * x1; a2_2 += d2 * x2; a2_3 += d2 * x3;
            let d3 = subgroupBroadcast(da, 3u);
            a3_0 += d3 * x0; a3_1 += d3 * x1; a3_2 += d3 * x2; a3_3 += d3 * x3;
            let d4 = subgroupBroadcast(da, 4u);
            a4_0 += d4 * x0; a4_1 += d4 * x1; a4_2 += d4 * x2; a4_3 += d4 * x3;
            let d5 = subgroupBroadcast(da, 5u);
            a5_0 += d5 * x0; a5_1 += d5 * x1; a5_2 += d5 * x2; a5_3 += d5 * x3;
            let d6 = subgroupBroadcast(da, 6u);
            a6_0 += d6 * x0; a6_1 += d6 * x1; a6_2 += d6 * x2; a6_3 += d6 * x3;
            let d7 = subgroupBroadcast(da, 7u);
            a7_0 += d7 * x0; a7_1 += d7 * x1; a7_2 += d7 * x2; a7_3 += d7 * x3;
            let d8 = subgroupBroadcast(db, 0u);
            a8_0 += d8 * x0; a8_1 += d8 * x1; a8_2 += d8 * x2; a8_3 += d8 * x3;
            let d9 = subgroupBroadcast(db, 1u);
            a9_0 += d9 * x0; a9_1 += d9 * x1; a9_2 += d9 * x2; a9_3 += d9 * x3;
            let d10 = subgroupBroadcast(db, 2u);
            a10_0 += d10 * x0; a10_1 += d10 * x1; a10_2 += d10 * x2; a10_3 += d10 * x3;
            let d11 = subgroupBroadcast(db, 3u);
            a11_0 += d11 * x0; a11_1 += d11 * x1; a11_2 += d11 * x2; a11_3 += d11 * x3;
            let d12 = subgroupBroadcast(db, 4u);
            a12_0 += d12 * x0; a12_1 += d12 * x1; a12_2 += d12 * x2; a12_3 += d12 * x3;
            let d13 = subgroupBroadcast(db, 5u);
            a13_0 += d13 * x0; a13_1 += d13 * x1; a13_2 += d13 * x2; a13_3 += d13 * x3;
            let d14 = subgroupBroadcast(db, 6u);
            a14_0 += d14 * x0; a14_1 += d14 * x1; a14_2 += d14 * x2; a14_3 += d14 * x3;
            let d15 = subgroupBroadcast(db, 7u);
            a15_0 += d15 * x0; a15_1 += d15 * x1; a15_2 += d15 * x2; a15_3 += d15 * x3;
        }
        // q is a multiple of 8, so the items of columns 0..31 of o0 are one subgroup's.
        if (i < 32u) {
            opt_set(gb + L.b + o0 + s, hsum(ba));
            opt_set(gb + L.b + o0 + 8u + s, hsum(bb));
        }
        let r0 = gb + L.w + (o0 + 0u) * L.n_in + i;
        opt4_set(r0, vec4<f32>(hsum(a0_0), hsum(a0_1), hsum(a0_2), hsum(a0_3)));
        let r1 = gb + L.w + (o0 + 1u) * L.n_in + i;
        opt4_set(r1, vec4<f32>(hsum(a1_0), hsum(a1_1), hsum(a1_2), hsum(a1_3)));
        let r2 = gb + L.w + (o0 + 2u) * L.n_in + i;
        opt4_set(r2, vec4<f32>(hsum(a2_0), hsum(a2_1), hsum(a2_2), hsum(a2_3)));
        let r3 = gb + L.w + (o0 + 3u) * L.n_in + i;
        opt4_set(r3, vec4<f32>(hsum(a3_0), hsum(a3_1), hsum(a3_2), hsum(a3_3)));
        let r4 = gb + L.w + (o0 + 4u) * L.n_in + i;
        opt4_set(r4, vec4<f32>(hsum(a4_0), hsum(a4_1), hsum(a4_2), hsum(a4_3)));
        let r5 = gb + L.w + (o0 + 5u) * L.n_in + i;
        opt4_set(r5, vec4<f32>(hsum(a5_0), hsum(a5_1), hsum(a5_2), hsum(a5_3)));
        let r6 = gb + L.w + (o0 + 6u) * L.n_in + i;
        opt4_set(r6, vec4<f32>(hsum(a6_0), hsum(a6_1), hsum(a6_2), hsum(a6_3)));
        let r7 = gb + L.w + (o0 + 7u) * L.n_in + i;
        opt4_set(r7, vec4<f32>(hsum(a7_0), hsum(a7_1), hsum(a7_2), hsum(a7_3)));
        let r8 = gb + L.w + (o0 + 8u) * L.n_in + i;
        opt4_set(r8, vec4<f32>(hsum(a8_0), hsum(a8_1), hsum(a8_2), hsum(a8_3)));
        let r9 = gb + L.w + (o0 + 9u) * L.n_in + i;
        opt4_set(r9, vec4<f32>(hsum(a9_0), hsum(a9_1), hsum(a9_2), hsum(a9_3)));
        let r10 = gb + L.w + (o0 + 10u) * L.n_in + i;
        opt4_set(r10, vec4<f32>(hsum(a10_0), hsum(a10_1), hsum(a10_2), hsum(a10_3)));
        let r11 = gb + L.w + (o0 + 11u) * L.n_in + i;
        opt4_set(r11, vec4<f32>(hsum(a11_0), hsum(a11_1), hsum(a11_2), hsum(a11_3)));
        let r12 = gb + L.w + (o0 + 12u) * L.n_in + i;
        opt4_set(r12, vec4<f32>(hsum(a12_0), hsum(a12_1), hsum(a12_2), hsum(a12_3)));
        let r13 = gb + L.w + (o0 + 13u) * L.n_in + i;
        opt4_set(r13, vec4<f32>(hsum(a13_0), hsum(a13_1), hsum(a13_2), hsum(a13_3)));
        let r14 = gb + L.w + (o0 + 14u) * L.n_in + i;
        opt4_set(r14, vec4<f32>(hsum(a14_0), hsum(a14_1), hsum(a14_2), hsum(a14_3)));
        let r15 = gb + L.w + (o0 + 15u) * L.n_in + i;
        opt4_set(r15, vec4<f32>(hsum(a15_0), hsum(a15_1), hsum(a15_2), hsum(a15_3)));
    }
}
