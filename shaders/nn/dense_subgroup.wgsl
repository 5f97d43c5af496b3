// Dense layers for adapters whose subgroups are 8 lanes of consecutive
// local_invocation_index (lavapipe's llvmpipe; wgrl_nn::DenseKernels picks this
// file only there). Same layout, results and summation order as dense_forward.wgsl
// and dense_backward.wgsl, which call these when a layer's shape fits.
//
// Why: llvmpipe runs a storage-buffer load whose address it cannot prove uniform
// as a loop over the 8 lanes (~50 instructions per lane for a vec4), so the
// portable kernels spend most of their time loading. Here each lane of a subgroup
// loads a different part of the weights the subgroup needs and subgroupBroadcast
// (an extract and a splat on llvmpipe) hands them to the others: a lane covers
// 32 outputs (or inputs) of one sample block per activation load instead of 4,
// and a weight gradient item 16 outputs. The accumulators (32 vec4s, four AVX
// registers each) spill to the stack, but a spilled multiply-add costs far less
// than a load loop: with items half as wide the whole cartpole-purejaxrl run
// took about 5% longer (BENCHMARKS.md).
// Every subgroup's lanes are all active at each broadcast: item counts are
// multiples of 8 and 8 consecutive items share their weights. A lane runs no
// more loop iterations here than in the portable code, which is what
// wgrl_nn::budget counts against lavapipe's loop cap. The per-output lines are
// unrolled on purpose (WGSL has no unroll; each broadcast needs a constant lane).
const DENSE_SG: bool = true;

// Forward, when m4 % 8 == 0, n_out % 32 == 0 and n_in % 4 == 0. Item: outputs
// o0..o0+31 of sample block j; lane s holds weight rows o0 + 4s .. o0 + 4s + 3,
// four weights of each per load (rows start at multiples of 4 words: weights
// at a multiple of 4 in the layout, n_in % 4 == 0), and their four biases.
fn dense_forward_sg(lid: u32, L: Layer, pb: u32, x: u32, y: u32, save: u32, m4: u32, keep: bool, res: u32) {
    let s = lid % 8u;
    for (var it = lid; it < (L.n_out / 32u) * m4; it += WG) {
        let o0 = (it / m4) * 32u;
        let j = it % m4;
        let r0 = pb + L.w + (o0 + 4u * s) * L.n_in;
        let r1 = r0 + L.n_in;
        let r2 = r1 + L.n_in;
        let r3 = r2 + L.n_in;
        let bias = param4_at(pb + L.b + o0 + 4u * s);
        let b0 = bias.x;
        let b1 = bias.y;
        let b2 = bias.z;
        let b3 = bias.w;
        var a0 = vec4<f32>(subgroupBroadcast(b0, 0u));
        var a1 = vec4<f32>(subgroupBroadcast(b1, 0u));
        var a2 = vec4<f32>(subgroupBroadcast(b2, 0u));
        var a3 = vec4<f32>(subgroupBroadcast(b3, 0u));
        var a4 = vec4<f32>(subgroupBroadcast(b0, 1u));
        var a5 = vec4<f32>(subgroupBroadcast(b1, 1u));
        var a6 = vec4<f32>(subgroupBroadcast(b2, 1u));
        var a7 = vec4<f32>(subgroupBroadcast(b3, 1u));
        var a8 = vec4<f32>(subgroupBroadcast(b0, 2u));
        var a9 = vec4<f32>(subgroupBroadcast(b1, 2u));
        var a10 = vec4<f32>(subgroupBroadcast(b2, 2u));
        var a11 = vec4<f32>(subgroupBroadcast(b3, 2u));
        var a12 = vec4<f32>(subgroupBroadcast(b0, 3u));
        var a13 = vec4<f32>(subgroupBroadcast(b1, 3u));
        var a14 = vec4<f32>(subgroupBroadcast(b2, 3u));
        var a15 = vec4<f32>(subgroupBroadcast(b3, 3u));
        var a16 = vec4<f32>(subgroupBroadcast(b0, 4u));
        var a17 = vec4<f32>(subgroupBroadcast(b1, 4u));
        var a18 = vec4<f32>(subgroupBroadcast(b2, 4u));
        var a19 = vec4<f32>(subgroupBroadcast(b3, 4u));
        var a20 = vec4<f32>(subgroupBroadcast(b0, 5u));
        var a21 = vec4<f32>(subgroupBroadcast(b1, 5u));
        var a22 = vec4<f32>(subgroupBroadcast(b2, 5u));
        var a23 = vec4<f32>(subgroupBroadcast(b3, 5u));
        var a24 = vec4<f32>(subgroupBroadcast(b0, 6u));
        var a25 = vec4<f32>(subgroupBroadcast(b1, 6u));
        var a26 = vec4<f32>(subgroupBroadcast(b2, 6u));
        var a27 = vec4<f32>(subgroupBroadcast(b3, 6u));
        var a28 = vec4<f32>(subgroupBroadcast(b0, 7u));
        var a29 = vec4<f32>(subgroupBroadcast(b1, 7u));
        var a30 = vec4<f32>(subgroupBroadcast(b2, 7u));
        var a31 = vec4<f32>(subgroupBroadcast(b3, 7u));
        for (var i = 0u; i < L.n_in; i += 4u) {
            let w0 = param4_at(r0 + i);
            let w1 = param4_at(r1 + i);
            let w2 = param4_at(r2 + i);
            let w3 = param4_at(r3 + i);
            let x0 = scratch[x + (i + 0u) * m4 + j];
            a0 += subgroupBroadcast(w0.x, 0u) * x0;
            a1 += subgroupBroadcast(w1.x, 0u) * x0;
            a2 += subgroupBroadcast(w2.x, 0u) * x0;
            a3 += subgroupBroadcast(w3.x, 0u) * x0;
            a4 += subgroupBroadcast(w0.x, 1u) * x0;
            a5 += subgroupBroadcast(w1.x, 1u) * x0;
            a6 += subgroupBroadcast(w2.x, 1u) * x0;
            a7 += subgroupBroadcast(w3.x, 1u) * x0;
            a8 += subgroupBroadcast(w0.x, 2u) * x0;
            a9 += subgroupBroadcast(w1.x, 2u) * x0;
            a10 += subgroupBroadcast(w2.x, 2u) * x0;
            a11 += subgroupBroadcast(w3.x, 2u) * x0;
            a12 += subgroupBroadcast(w0.x, 3u) * x0;
            a13 += subgroupBroadcast(w1.x, 3u) * x0;
            a14 += subgroupBroadcast(w2.x, 3u) * x0;
            a15 += subgroupBroadcast(w3.x, 3u) * x0;
            a16 += subgroupBroadcast(w0.x, 4u) * x0;
            a17 += subgroupBroadcast(w1.x, 4u) * x0;
            a18 += subgroupBroadcast(w2.x, 4u) * x0;
            a19 += subgroupBroadcast(w3.x, 4u) * x0;
            a20 += subgroupBroadcast(w0.x, 5u) * x0;
            a21 += subgroupBroadcast(w1.x, 5u) * x0;
            a22 += subgroupBroadcast(w2.x, 5u) * x0;
            a23 += subgroupBroadcast(w3.x, 5u) * x0;
            a24 += subgroupBroadcast(w0.x, 6u) * x0;
            a25 += subgroupBroadcast(w1.x, 6u) * x0;
            a26 += subgroupBroadcast(w2.x, 6u) * x0;
            a27 += subgroupBroadcast(w3.x, 6u) * x0;
            a28 += subgroupBroadcast(w0.x, 7u) * x0;
            a29 += subgroupBroadcast(w1.x, 7u) * x0;
            a30 += subgroupBroadcast(w2.x, 7u) * x0;
            a31 += subgroupBroadcast(w3.x, 7u) * x0;
            let x1 = scratch[x + (i + 1u) * m4 + j];
            a0 += subgroupBroadcast(w0.y, 0u) * x1;
            a1 += subgroupBroadcast(w1.y, 0u) * x1;
            a2 += subgroupBroadcast(w2.y, 0u) * x1;
            a3 += subgroupBroadcast(w3.y, 0u) * x1;
            a4 += subgroupBroadcast(w0.y, 1u) * x1;
            a5 += subgroupBroadcast(w1.y, 1u) * x1;
            a6 += subgroupBroadcast(w2.y, 1u) * x1;
            a7 += subgroupBroadcast(w3.y, 1u) * x1;
            a8 += subgroupBroadcast(w0.y, 2u) * x1;
            a9 += subgroupBroadcast(w1.y, 2u) * x1;
            a10 += subgroupBroadcast(w2.y, 2u) * x1;
            a11 += subgroupBroadcast(w3.y, 2u) * x1;
            a12 += subgroupBroadcast(w0.y, 3u) * x1;
            a13 += subgroupBroadcast(w1.y, 3u) * x1;
            a14 += subgroupBroadcast(w2.y, 3u) * x1;
            a15 += subgroupBroadcast(w3.y, 3u) * x1;
            a16 += subgroupBroadcast(w0.y, 4u) * x1;
            a17 += subgroupBroadcast(w1.y, 4u) * x1;
            a18 += subgroupBroadcast(w2.y, 4u) * x1;
            a19 += subgroupBroadcast(w3.y, 4u) * x1;
            a20 += subgroupBroadcast(w0.y, 5u) * x1;
            a21 += subgroupBroadcast(w1.y, 5u) * x1;
            a22 += subgroupBroadcast(w2.y, 5u) * x1;
            a23 += subgroupBroadcast(w3.y, 5u) * x1;
            a24 += subgroupBroadcast(w0.y, 6u) * x1;
            a25 += subgroupBroadcast(w1.y, 6u) * x1;
            a26 += subgroupBroadcast(w2.y, 6u) * x1;
            a27 += subgroupBroadcast(w3.y, 6u) * x1;
            a28 += subgroupBroadcast(w0.y, 7u) * x1;
            a29 += subgroupBroadcast(w1.y, 7u) * x1;
            a30 += subgroupBroadcast(w2.y, 7u) * x1;
            a31 += subgroupBroadcast(w3.y, 7u) * x1;
            let x2 = scratch[x + (i + 2u) * m4 + j];
            a0 += subgroupBroadcast(w0.z, 0u) * x2;
            a1 += subgroupBroadcast(w1.z, 0u) * x2;
            a2 += subgroupBroadcast(w2.z, 0u) * x2;
            a3 += subgroupBroadcast(w3.z, 0u) * x2;
            a4 += subgroupBroadcast(w0.z, 1u) * x2;
            a5 += subgroupBroadcast(w1.z, 1u) * x2;
            a6 += subgroupBroadcast(w2.z, 1u) * x2;
            a7 += subgroupBroadcast(w3.z, 1u) * x2;
            a8 += subgroupBroadcast(w0.z, 2u) * x2;
            a9 += subgroupBroadcast(w1.z, 2u) * x2;
            a10 += subgroupBroadcast(w2.z, 2u) * x2;
            a11 += subgroupBroadcast(w3.z, 2u) * x2;
            a12 += subgroupBroadcast(w0.z, 3u) * x2;
            a13 += subgroupBroadcast(w1.z, 3u) * x2;
            a14 += subgroupBroadcast(w2.z, 3u) * x2;
            a15 += subgroupBroadcast(w3.z, 3u) * x2;
            a16 += subgroupBroadcast(w0.z, 4u) * x2;
            a17 += subgroupBroadcast(w1.z, 4u) * x2;
            a18 += subgroupBroadcast(w2.z, 4u) * x2;
            a19 += subgroupBroadcast(w3.z, 4u) * x2;
            a20 += subgroupBroadcast(w0.z, 5u) * x2;
            a21 += subgroupBroadcast(w1.z, 5u) * x2;
            a22 += subgroupBroadcast(w2.z, 5u) * x2;
            a23 += subgroupBroadcast(w3.z, 5u) * x2;
            a24 += subgroupBroadcast(w0.z, 6u) * x2;
            a25 += subgroupBroadcast(w1.z, 6u) * x2;
            a26 += subgroupBroadcast(w2.z, 6u) * x2;
            a27 += subgroupBroadcast(w3.z, 6u) * x2;
            a28 += subgroupBroadcast(w0.z, 7u) * x2;
            a29 += subgroupBroadcast(w1.z, 7u) * x2;
            a30 += subgroupBroadcast(w2.z, 7u) * x2;
            a31 += subgroupBroadcast(w3.z, 7u) * x2;
            let x3 = scratch[x + (i + 3u) * m4 + j];
            a0 += subgroupBroadcast(w0.w, 0u) * x3;
            a1 += subgroupBroadcast(w1.w, 0u) * x3;
            a2 += subgroupBroadcast(w2.w, 0u) * x3;
            a3 += subgroupBroadcast(w3.w, 0u) * x3;
            a4 += subgroupBroadcast(w0.w, 1u) * x3;
            a5 += subgroupBroadcast(w1.w, 1u) * x3;
            a6 += subgroupBroadcast(w2.w, 1u) * x3;
            a7 += subgroupBroadcast(w3.w, 1u) * x3;
            a8 += subgroupBroadcast(w0.w, 2u) * x3;
            a9 += subgroupBroadcast(w1.w, 2u) * x3;
            a10 += subgroupBroadcast(w2.w, 2u) * x3;
            a11 += subgroupBroadcast(w3.w, 2u) * x3;
            a12 += subgroupBroadcast(w0.w, 3u) * x3;
            a13 += subgroupBroadcast(w1.w, 3u) * x3;
            a14 += subgroupBroadcast(w2.w, 3u) * x3;
            a15 += subgroupBroadcast(w3.w, 3u) * x3;
            a16 += subgroupBroadcast(w0.w, 4u) * x3;
            a17 += subgroupBroadcast(w1.w, 4u) * x3;
            a18 += subgroupBroadcast(w2.w, 4u) * x3;
            a19 += subgroupBroadcast(w3.w, 4u) * x3;
            a20 += subgroupBroadcast(w0.w, 5u) * x3;
            a21 += subgroupBroadcast(w1.w, 5u) * x3;
            a22 += subgroupBroadcast(w2.w, 5u) * x3;
            a23 += subgroupBroadcast(w3.w, 5u) * x3;
            a24 += subgroupBroadcast(w0.w, 6u) * x3;
            a25 += subgroupBroadcast(w1.w, 6u) * x3;
            a26 += subgroupBroadcast(w2.w, 6u) * x3;
            a27 += subgroupBroadcast(w3.w, 6u) * x3;
            a28 += subgroupBroadcast(w0.w, 7u) * x3;
            a29 += subgroupBroadcast(w1.w, 7u) * x3;
            a30 += subgroupBroadcast(w2.w, 7u) * x3;
            a31 += subgroupBroadcast(w3.w, 7u) * x3;
        }
        // One copy of the epilogue, not eight: llvmpipe's compile time grows with copies.
        for (var g = 0u; g < 8u; g++) {
            dense_out4(L, o0 + 4u * g, j, pick8(g, a0, a4, a8, a12, a16, a20, a24, a28), pick8(g, a1, a5, a9, a13, a17, a21, a25, a29), pick8(g, a2, a6, a10, a14, a18, a22, a26, a30), pick8(g, a3, a7, a11, a15, a19, a23, a27, a31), y, save, m4, keep, res);
        }
    }
}

// Vector g (0..7) of eight (the backward's input-gradient items use it too).
fn pick8(g: u32, a: vec4<f32>, b: vec4<f32>, c: vec4<f32>, d: vec4<f32>, e: vec4<f32>, f: vec4<f32>, h: vec4<f32>, k: vec4<f32>) -> vec4<f32> {
    return select(pick4(g, a, b, c, d), pick4(g % 4u, e, f, h, k), g >= 4u);
}
