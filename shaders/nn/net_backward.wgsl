// Runs steps [first, first + count) of the generated table of backward steps
// (BWD_OPS, offsets from `sb`; network after network): each
// step reads its output's gradient at `dy`, writes parameter gradients to `opt`
// at base `gb`, and (flag 1) its input's gradient to `dx`, times the derivative of
// the activation that produced the input (flag 2; `xsave` is that layer's save
// region), added to what dx holds (flag 4: a residual stream's gradient). Flag 8:
// a standard norm's affine gradients. A barrier follows every step.

struct BwdOp {
    kind: u32,    // 0 dense, 1 norm
    idx: u32,     // into NET or NORMS
    dy: u32,
    x: u32,
    y: u32,
    save: u32,    // norm statistics
    xsave: u32,
    dx: u32,
    flags: u32,
}

fn run_backward(lid: u32, pb: u32, gb: u32, sb: u32, m4: u32, first: u32, count: u32) {
    for (var i = first; i < first + count; i++) {
        let op = BWD_OPS[i];
        let x_act = (op.flags & 2u) != 0u;
        let acc = (op.flags & 4u) != 0u;
        if (op.kind == 0u) {
            dense_weight_grad(lid, NET[op.idx], gb, sb + op.dy, sb + op.x, m4);
            if ((op.flags & 1u) != 0u) {
                dense_backward_input(lid, NET[op.idx], pb, sb + op.dy, sb + op.x, sb + op.xsave, sb + op.dx, m4, x_act, acc);
            }
        } else {
            norm_backward(lid, NORMS[op.idx], pb, sb + op.x, sb + op.y, sb + op.save, sb + op.dy, sb + op.dx, m4, sb + op.xsave, x_act, acc);
            if ((op.flags & 8u) != 0u) {
                norm_affine_grad(lid, NORMS[op.idx], gb, sb + op.x, sb + op.save, sb + op.dy, m4);
            }
        }
        barrier_storage();
    }
}
