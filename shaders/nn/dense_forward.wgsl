// Dense layers over a minibatch, run cooperatively by one workgroup of WG
// invocations. Activations are feature-major with four samples per vec4: feature
// f of samples 4j..4j+3 is scratch[off + f * m4 + j]. Adjacent invocations take
// adjacent sample blocks (or groups of four) of the same feature, so weights are
// read once per lane group (a broadcast) and activations are contiguous vector loads.
// Parameters of a layer at parameter base `pb`: W[o][i] = param_at(pb + L.w + o * L.n_in + i),
// b[o] = param_at(pb + L.b + o). Gradients use the same offsets from base `gb` in `opt`.
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
const NO_RES: u32 = 0xffffffffu;

fn dense_forward(lid: u32, L: Layer, pb: u32, x: u32, y: u32, save: u32, m4: u32, keep: bool, res: u32) {
    if (DENSE_SG && m4 % 8u == 0u && L.n_out % 32u == 0u && L.n_in % 4u == 0u) {
        dense_forward_sg(lid, L, pb, x, y, save, m4, keep, res);
        return;
    }
    let o4 = L.n_out / 4u;
    // Paths a kernel's plan never takes are left out at compile time
    // (DENSE_FWD_BLOCKS, DENSE_FWD_REST_ACT: generated from its layers' shapes),
    // since llvmpipe's compile time grows faster than the code.
    if (DENSE_FWD_BLOCKS) {
        dense_forward_blocks(lid, L, pb, x, y, save, m4, keep, res);
    }
    // The last n_out % 4 outputs (the heads, or an odd width): with an activation,
    // one item per sample block covers all of them, so their 2-bit states still
    // share one word.
    let rest = L.n_out - o4 * 4u;
    if (rest == 0u) {
        return;
    }
    if (L.act == 0u) {
        dense_forward_head(lid, L, pb, x, y, m4, res, o4 * 4u, rest);
        return;
    }
    if (DENSE_FWD_REST_ACT) {
        dense_forward_rest_act(lid, L, pb, x, y, save, m4, keep, res, o4, rest);
    }
}

// Outputs 0..n_out - n_out % 4 of a layer that does not take the subgroup path.
// Items compute four output neurons for four blocks of four samples when m4 is a
// multiple of 4 (else for one block), so every weight load feeds four vec4 FMAs and
// every input load four (on lavapipe, per-lane loads are scalar loops over the
// lanes: reuse is what makes this fast), and four outputs' 2-bit states fill
// exactly one word per block. Each output still sums its inputs in order 0..n_in,
// so the blocking does not change a bit of the result.
fn dense_forward_blocks(lid: u32, L: Layer, pb: u32, x: u32, y: u32, save: u32, m4: u32, keep: bool, res: u32) {
    let o4 = L.n_out / 4u;
    if (m4 % 4u == 0u) {
        let q = m4 / 4u;
        for (var it = lid; it < o4 * q; it += WG) {
            let o = (it / q) * 4u;
            let j = (it % q) * 4u;
            let r0 = pb + L.w + o * L.n_in;
            let r1 = r0 + L.n_in;
            let r2 = r1 + L.n_in;
            let r3 = r2 + L.n_in;
            let b = vec4<f32>(param_at(pb + L.b + o), param_at(pb + L.b + o + 1u), param_at(pb + L.b + o + 2u), param_at(pb + L.b + o + 3u));
            // a<output><block>
            var a00 = vec4<f32>(b.x);
            var a01 = a00;
            var a02 = a00;
            var a03 = a00;
            var a10 = vec4<f32>(b.y);
            var a11 = a10;
            var a12 = a10;
            var a13 = a10;
            var a20 = vec4<f32>(b.z);
            var a21 = a20;
            var a22 = a20;
            var a23 = a20;
            var a30 = vec4<f32>(b.w);
            var a31 = a30;
            var a32 = a30;
            var a33 = a30;
            for (var i = 0u; i < L.n_in; i++) {
                let xr = x + i * m4 + j;
                let x0 = scratch[xr];
                let x1 = scratch[xr + 1u];
                let x2 = scratch[xr + 2u];
                let x3 = scratch[xr + 3u];
                let w0 = param_at(r0 + i);
                let w1 = param_at(r1 + i);
                let w2 = param_at(r2 + i);
                let w3 = param_at(r3 + i);
                a00 += w0 * x0;
                a01 += w0 * x1;
                a02 += w0 * x2;
                a03 += w0 * x3;
                a10 += w1 * x0;
                a11 += w1 * x1;
                a12 += w1 * x2;
                a13 += w1 * x3;
                a20 += w2 * x0;
                a21 += w2 * x1;
                a22 += w2 * x2;
                a23 += w2 * x3;
                a30 += w3 * x0;
                a31 += w3 * x1;
                a32 += w3 * x2;
                a33 += w3 * x3;
            }
            // One copy of the epilogue, not four: llvmpipe's compile time grows with copies.
            for (var k = 0u; k < 4u; k++) {
                dense_out4(L, o, j + k, pick4(k, a00, a01, a02, a03), pick4(k, a10, a11, a12, a13), pick4(k, a20, a21, a22, a23), pick4(k, a30, a31, a32, a33), y, save, m4, keep, res);
            }
        }
    } else {
        for (var it = lid; it < o4 * m4; it += WG) {
            let o = (it / m4) * 4u;
            let j = it % m4;
            let r0 = pb + L.w + o * L.n_in;
            let r1 = r0 + L.n_in;
            let r2 = r1 + L.n_in;
            let r3 = r2 + L.n_in;
            var a0 = vec4<f32>(param_at(pb + L.b + o));
            var a1 = vec4<f32>(param_at(pb + L.b + o + 1u));
            var a2 = vec4<f32>(param_at(pb + L.b + o + 2u));
            var a3 = vec4<f32>(param_at(pb + L.b + o + 3u));
            for (var i = 0u; i < L.n_in; i++) {
                let xv = scratch[x + i * m4 + j];
                a0 += param_at(r0 + i) * xv;
                a1 += param_at(r1 + i) * xv;
                a2 += param_at(r2 + i) * xv;
                a3 += param_at(r3 + i) * xv;
            }
            dense_out4(L, o, j, a0, a1, a2, a3, y, save, m4, keep, res);
        }
    }
}

// The last `rest` (1 to 3) outputs of a layer without an activation (a head):
// an item per sample block computes all of them, so each input load serves every
// output, and where rows start at multiples of 4 words (n_in % 4 == 0) each
// weight load brings four inputs. Fewer loads is what counts on lavapipe, where
// each per-lane load is a loop over the lanes. Outputs past n_out reuse the last
// row and are not stored. Each output still sums its inputs in order 0..n_in.
fn dense_forward_head(lid: u32, L: Layer, pb: u32, x: u32, y: u32, m4: u32, res: u32, o: u32, rest: u32) {
    let o1 = min(o + 1u, L.n_out - 1u);
    let o2 = min(o + 2u, L.n_out - 1u);
    let r0 = pb + L.w + o * L.n_in;
    let r1 = pb + L.w + o1 * L.n_in;
    let r2 = pb + L.w + o2 * L.n_in;
    let g4 = select(0u, L.n_in / 4u, L.n_in % 4u == 0u);
    for (var j = lid; j < m4; j += WG) {
        var a0 = vec4<f32>(param_at(pb + L.b + o));
        var a1 = vec4<f32>(param_at(pb + L.b + o1));
        var a2 = vec4<f32>(param_at(pb + L.b + o2));
        for (var g = 0u; g < g4; g++) {
            let i = 4u * g;
            let w0 = param4_at(r0 + i);
            let w1 = param4_at(r1 + i);
            let w2 = param4_at(r2 + i);
            let x0 = scratch[x + i * m4 + j];
            let x1 = scratch[x + (i + 1u) * m4 + j];
            let x2 = scratch[x + (i + 2u) * m4 + j];
            let x3 = scratch[x + (i + 3u) * m4 + j];
            a0 += w0.x * x0;
            a1 += w1.x * x0;
            a2 += w2.x * x0;
            a0 += w0.y * x1;
            a1 += w1.y * x1;
            a2 += w2.y * x1;
            a0 += w0.z * x2;
            a1 += w1.z * x2;
            a2 += w2.z * x2;
            a0 += w0.w * x3;
            a1 += w1.w * x3;
            a2 += w2.w * x3;
        }
        for (var i = 4u * g4; i < L.n_in; i++) {
            let xv = scratch[x + i * m4 + j];
            a0 += param_at(r0 + i) * xv;
            a1 += param_at(r1 + i) * xv;
            a2 += param_at(r2 + i) * xv;
        }
        for (var k = 0u; k < rest; k++) {
            var acc = pick4(k, a0, a1, a2, a2);
            if (res != NO_RES) {
                acc += scratch[res + (o + k) * m4 + j];
            }
            scratch[y + (o + k) * m4 + j] = acc;
        }
    }
}

// The last `rest` outputs of a layer with an activation, one item per sample
// block, so that their 2-bit states share one word.
fn dense_forward_rest_act(lid: u32, L: Layer, pb: u32, x: u32, y: u32, save: u32, m4: u32, keep: bool, res: u32, o4: u32, rest: u32) {
    let mode = act_save_mode();
    for (var j = lid; j < m4; j += WG) {
        var word = 0u;
        for (var k = 0u; k < rest; k++) {
            let o = o4 * 4u + k;
            var acc = vec4<f32>(param_at(pb + L.b + o));
            let row = pb + L.w + o * L.n_in;
            for (var i = 0u; i < L.n_in; i++) {
                acc += param_at(row + i) * scratch[x + i * m4 + j];
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

// Outputs o..o+3 of sample block j from their pre-activations: keep what the
// activation's backward needs, activate, add the residual, store.
fn dense_out4(L: Layer, o: u32, j: u32, z0: vec4<f32>, z1: vec4<f32>, z2: vec4<f32>, z3: vec4<f32>, y: u32, save: u32, m4: u32, keep: bool, res: u32) {
    var a0 = z0;
    var a1 = z1;
    var a2 = z2;
    var a3 = z3;
    if (L.act != 0u) {
        let mode = act_save_mode();
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

// Vector g (0..3) of a, b, c, d, by selects rather than by indexing a local
// array with a runtime index (which compilers may put in memory).
fn pick4(g: u32, a: vec4<f32>, b: vec4<f32>, c: vec4<f32>, d: vec4<f32>) -> vec4<f32> {
    return select(select(a, b, g == 1u), select(c, d, g == 3u), g >= 2u);
}
