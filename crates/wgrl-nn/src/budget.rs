//! Loop-iteration counts of the network kernels, per invocation.
//!
//! lavapipe (Mesa's llvmpipe) gives every shader invocation one budget of 65535
//! loop iterations for all of its loops together (`LP_MAX_TGSI_LOOP_ITERATIONS`
//! in gallivm); when it runs out, every loop exits early and the kernel silently
//! computes garbage. Real GPUs have no such limit, but the engine must be correct
//! on lavapipe, so fused kernels are split into dispatches whose invocations stay
//! well under the cap. These functions count the iterations (loop back-edges) one
//! invocation runs in each building block, matching the WGSL.

use crate::layout::LayerLayout;

/// lavapipe's per-invocation cap.
pub const LAVAPIPE_LOOP_LIMIT: u64 = 65_535;
/// What one dispatch's invocations may use: half the cap, a margin for the small
/// loops the estimates leave out.
pub const DISPATCH_LOOP_BUDGET: u64 = LAVAPIPE_LOOP_LIMIT / 2;

fn per_lane(items: u64, wg: u32) -> u64 {
    items.div_ceil(wg as u64)
}

/// Items of the dense kernels' main loops over `m4` sample blocks: four sample
/// blocks per item when `m4` is a multiple of 4, else one (as the WGSL chooses).
fn sample_items(groups: u64, m4: u32) -> u64 {
    if m4.is_multiple_of(4) {
        groups * (m4 / 4) as u64
    } else {
        groups * m4 as u64
    }
}

/// Iterations of an item's epilogue: a loop over its four sample blocks when
/// items cover four.
fn epilogue(m4: u32) -> u64 {
    if m4.is_multiple_of(4) { 4 } else { 0 }
}

/// `dense_forward` over `m4` sample blocks with `wg` invocations: items of four
/// outputs loop over all inputs; one item per sample block covers the leftovers.
pub fn dense_forward(l: &LayerLayout, m4: u32, wg: u32) -> u64 {
    let (blocks, rest) = ((l.n_out / 4) as u64, (l.n_out % 4) as u64);
    // The leftover loop, an item per sample block: with an activation, `rest`
    // outputs of n_in + 1 iterations each; without (a head), groups of four
    // inputs when n_in % 4 == 0 (else single inputs), then a store per output.
    let n_in = l.n_in as u64;
    let leftovers = if rest == 0 {
        0
    } else if l.act {
        per_lane(m4 as u64, wg) * (rest * (n_in + 1) + 1)
    } else {
        let groups = if n_in.is_multiple_of(4) { n_in / 4 } else { 0 };
        per_lane(m4 as u64, wg) * ((groups + 1) + (n_in - 4 * groups + 1) + (rest + 1)) + 1
    };
    per_lane(sample_items(blocks, m4), wg) * (l.n_in as u64 + 1 + epilogue(m4)) + leftovers + 2
}

/// `dense_backward_input`: items of four inputs loop over all outputs.
pub fn dense_backward_input(l: &LayerLayout, m4: u32, wg: u32) -> u64 {
    let (blocks, rest) = ((l.n_in / 4) as u64, (l.n_in % 4) as u64);
    // Two loops: blocks of four inputs, then leftover inputs; both over all outputs.
    per_lane(sample_items(blocks, m4), wg) * (l.n_out as u64 + 1 + epilogue(m4))
        + per_lane(rest * m4 as u64, wg) * (l.n_out as u64 + 1)
        + 2
}

/// `dense_weight_grad`: items of four outputs x four inputs (the last ones of
/// a layer partly past its end; the first column's with the bias) loop over the
/// sample blocks, then store each output's row.
pub fn dense_weight_grad(l: &LayerLayout, m4: u32, wg: u32) -> u64 {
    let items = (l.n_out as u64).div_ceil(4) * (l.n_in as u64).div_ceil(4);
    per_lane(items, wg) * (m4 as u64 + 1 + 4 + 1) + 2
}

/// An element-wise pass over `n` values (Adam, norms, gathers).
pub fn elementwise(n: u64, wg: u32) -> u64 {
    per_lane(n, wg)
}

/// Adam or the gradient norm over `n` parameters split in `ranges` ranges
/// (`shaders/nn/optim.wgsl`): a loop over each range's vec4s, then its last
/// words (at most three) one per lane.
pub fn elementwise4(n: u64, ranges: u64, wg: u32) -> u64 {
    per_lane(n.div_ceil(4), wg) + 2 * ranges
}

/// `wg_sum4`: one iteration per tree level.
pub fn wg_sum(wg: u32) -> u64 {
    wg.max(2).ilog2() as u64 + 1
}

/// `norm_forward`: per sample block, three passes over the features.
pub fn norm_forward(h: u32, m4: u32, wg: u32) -> u64 {
    per_lane(m4 as u64, wg) * (3 * h as u64 + 3) + 1
}

/// `norm_backward`: per sample block, two passes over the features.
pub fn norm_backward(h: u32, m4: u32, wg: u32) -> u64 {
    per_lane(m4 as u64, wg) * (2 * h as u64 + 2) + 1
}

/// `norm_affine_grad`: per feature, a pass over the sample blocks.
pub fn norm_affine_grad(h: u32, m4: u32, wg: u32) -> u64 {
    per_lane(h as u64, wg) * (m4 as u64 + 1) + 1
}
