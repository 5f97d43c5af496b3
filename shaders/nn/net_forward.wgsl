// Runs steps [first, first + count) of a generated table of forward steps
// (FWD_OPS: dense layers and norms over a kernel's scratch; offsets from `sb`).
// A table instead of straight-line calls keeps one copy of each building block in
// the compiled kernel: llvmpipe compiles a kernel with every call inlined, and
// its compile time grows with the copies. `barrier` marks where a step of every
// network ends.

struct FwdOp {
    kind: u32,    // 0 dense, 1 norm
    idx: u32,     // into NET or NORMS
    x: u32,
    y: u32,
    save: u32,    // the step's save region (activation states, norm statistics)
    res: u32,     // tensor added to a dense output, or NO_RES
    barrier: u32,
}

fn run_forward(lid: u32, pb: u32, sb: u32, m4: u32, keep: bool, first: u32, count: u32) {
    for (var i = first; i < first + count; i++) {
        let op = FWD_OPS[i];
        var res = NO_RES;
        if (op.res != NO_RES) {
            res = sb + op.res;
        }
        if (op.kind == 0u) {
            dense_forward(lid, NET[op.idx], pb, sb + op.x, sb + op.y, sb + op.save, m4, keep, res);
        } else {
            norm_forward(lid, NORMS[op.idx], pb, sb + op.x, sb + op.y, sb + op.save, m4, keep);
        }
        if (op.barrier != 0u) {
            barrier_storage();
        }
    }
}
