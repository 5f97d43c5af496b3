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
// 16 outputs (or inputs) of one sample block per activation load instead of 4.
// Every subgroup's lanes are all active at each broadcast: item counts are
// multiples of 8 and 8 consecutive items share their weights. A lane runs no
// more loop iterations here than in the portable code, which is what
// wgrl_nn::budget counts against lavapipe's loop cap. The per-output lines are
// unrolled on purpose (WGSL has no unroll; each broadcast needs a constant lane).
const DENSE_SG: bool = true;

// Forward, when m4 % 8 == 0, n_out % 16 == 0 and n_in % 4 == 0. Item: outputs
// o0..o0+15 of sample block j; lane s holds weight rows o0 + 2s and o0 + 2s + 1.
fn dense_forward_sg(lid: u32, L: Layer, pb: u32, x: u32, y: u32, save: u32, m4: u32, keep: bool, res: u32) {
    let s = lid % 8u;
    for (var it = lid; it < (L.n_out / 16u) * m4; it += WG) {
        let o0 = (it / m4) * 16u;
        let j = it % m4;
        let ra = pb + L.w + (o0 + 2u * s) * L.n_in;
        let rb = ra + L.n_in;
        let ba = param_at(pb + L.b + o0 + 2u * s);
        let bb = param_at(pb + L.b + o0 + 2u * s + 1u);
        var a0 = vec4<f32>(subgroupBroadcast(ba, 0u));
        var a1 = vec4<f32>(subgroupBroadcast(bb, 0u));
        var a2 = vec4<f32>(subgroupBroadcast(ba, 1u));
        var a3 = vec4<f32>(subgroupBroadcast(bb, 1u));
        var a4 = vec4<f32>(subgroupBroadcast(ba, 2u));
        var a5 = vec4<f32>(subgroupBroadcast(bb, 2u));
        var a6 = vec4<f32>(subgroupBroadcast(ba, 3u));
        var a7 = vec4<f32>(subgroupBroadcast(bb, 3u));
        var a8 = vec4<f32>(subgroupBroadcast(ba, 4u));
        var a9 = vec4<f32>(subgroupBroadcast(bb, 4u));
        var a10 = vec4<f32>(subgroupBroadcast(ba, 5u));
        var a11 = vec4<f32>(subgroupBroadcast(bb, 5u));
        var a12 = vec4<f32>(subgroupBroadcast(ba, 6u));
        var a13 = vec4<f32>(subgroupBroadcast(bb, 6u));
        var a14 = vec4<f32>(subgroupBroadcast(ba, 7u));
        var a15 = vec4<f32>(subgroupBroadcast(bb, 7u));
        for (var i = 0u; i < L.n_in; i += 4u) {
            let wa = vec4<f32>(param_at(ra + i), param_at(ra + i + 1u), param_at(ra + i + 2u), param_at(ra + i + 3u));
            let wb = vec4<f32>(param_at(rb + i), param_at(rb + i + 1u), param_at(rb + i + 2u), param_at(rb + i + 3u));
            let x0 = scratch[x + (i + 0u) * m4 + j];
            a0 += subgroupBroadcast(wa.x, 0u) * x0;
            a1 += subgroupBroadcast(wb.x, 0u) * x0;
            a2 += subgroupBroadcast(wa.x, 1u) * x0;
            a3 += subgroupBroadcast(wb.x, 1u) * x0;
            a4 += subgroupBroadcast(wa.x, 2u) * x0;
            a5 += subgroupBroadcast(wb.x, 2u) * x0;
            a6 += subgroupBroadcast(wa.x, 3u) * x0;
            a7 += subgroupBroadcast(wb.x, 3u) * x0;
            a8 += subgroupBroadcast(wa.x, 4u) * x0;
            a9 += subgroupBroadcast(wb.x, 4u) * x0;
            a10 += subgroupBroadcast(wa.x, 5u) * x0;
            a11 += subgroupBroadcast(wb.x, 5u) * x0;
            a12 += subgroupBroadcast(wa.x, 6u) * x0;
            a13 += subgroupBroadcast(wb.x, 6u) * x0;
            a14 += subgroupBroadcast(wa.x, 7u) * x0;
            a15 += subgroupBroadcast(wb.x, 7u) * x0;
            let x1 = scratch[x + (i + 1u) * m4 + j];
            a0 += subgroupBroadcast(wa.y, 0u) * x1;
            a1 += subgroupBroadcast(wb.y, 0u) * x1;
            a2 += subgroupBroadcast(wa.y, 1u) * x1;
            a3 += subgroupBroadcast(wb.y, 1u) * x1;
            a4 += subgroupBroadcast(wa.y, 2u) * x1;
            a5 += subgroupBroadcast(wb.y, 2u) * x1;
            a6 += subgroupBroadcast(wa.y, 3u) * x1;
            a7 += subgroupBroadcast(wb.y, 3u) * x1;
            a8 += subgroupBroadcast(wa.y, 4u) * x1;
            a9 += subgroupBroadcast(wb.y, 4u) * x1;
            a10 += subgroupBroadcast(wa.y, 5u) * x1;
            a11 += subgroupBroadcast(wb.y, 5u) * x1;
            a12 += subgroupBroadcast(wa.y, 6u) * x1;
            a13 += subgroupBroadcast(wb.y, 6u) * x1;
            a14 += subgroupBroadcast(wa.y, 7u) * x1;
            a15 += subgroupBroadcast(wb.y, 7u) * x1;
            let x2 = scratch[x + (i + 2u) * m4 + j];
            a0 += subgroupBroadcast(wa.z, 0u) * x2;
            a1 += subgroupBroadcast(wb.z, 0u) * x2;
            a2 += subgroupBroadcast(wa.z, 1u) * x2;
            a3 += subgroupBroadcast(wb.z, 1u) * x2;
            a4 += subgroupBroadcast(wa.z, 2u) * x2;
            a5 += subgroupBroadcast(wb.z, 2u) * x2;
            a6 += subgroupBroadcast(wa.z, 3u) * x2;
            a7 += subgroupBroadcast(wb.z, 3u) * x2;
            a8 += subgroupBroadcast(wa.z, 4u) * x2;
            a9 += subgroupBroadcast(wb.z, 4u) * x2;
            a10 += subgroupBroadcast(wa.z, 5u) * x2;
            a11 += subgroupBroadcast(wb.z, 5u) * x2;
            a12 += subgroupBroadcast(wa.z, 6u) * x2;
            a13 += subgroupBroadcast(wb.z, 6u) * x2;
            a14 += subgroupBroadcast(wa.z, 7u) * x2;
            a15 += subgroupBroadcast(wb.z, 7u) * x2;
            let x3 = scratch[x + (i + 3u) * m4 + j];
            a0 += subgroupBroadcast(wa.w, 0u) * x3;
            a1 += subgroupBroadcast(wb.w, 0u) * x3;
            a2 += subgroupBroadcast(wa.w, 1u) * x3;
            a3 += subgroupBroadcast(wb.w, 1u) * x3;
            a4 += subgroupBroadcast(wa.w, 2u) * x3;
            a5 += subgroupBroadcast(wb.w, 2u) * x3;
            a6 += subgroupBroadcast(wa.w, 3u) * x3;
            a7 += subgroupBroadcast(wb.w, 3u) * x3;
            a8 += subgroupBroadcast(wa.w, 4u) * x3;
            a9 += subgroupBroadcast(wb.w, 4u) * x3;
            a10 += subgroupBroadcast(wa.w, 5u) * x3;
            a11 += subgroupBroadcast(wb.w, 5u) * x3;
            a12 += subgroupBroadcast(wa.w, 6u) * x3;
            a13 += subgroupBroadcast(wb.w, 6u) * x3;
            a14 += subgroupBroadcast(wa.w, 7u) * x3;
            a15 += subgroupBroadcast(wb.w, 7u) * x3;
        }
        // One copy of the epilogue, not four: llvmpipe's compile time grows with copies.
        for (var g = 0u; g < 4u; g++) {
            dense_out4(L, o0 + 4u * g, j, pick4(g, a0, a4, a8, a12), pick4(g, a1, a5, a9, a13), pick4(g, a2, a6, a10, a14), pick4(g, a3, a7, a11, a15), y, save, m4, keep, res);
        }
    }
}
