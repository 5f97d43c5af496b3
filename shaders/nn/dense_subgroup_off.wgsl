// In place of dense_subgroup.wgsl on adapters without 8-lane subgroups: DENSE_SG
// is false, so dense_forward.wgsl never calls this; it exists so every kernel
// composes the same way.
const DENSE_SG: bool = false;

fn dense_forward_sg(lid: u32, L: Layer, pb: u32, x: u32, y: u32, save: u32, m4: u32, keep: bool, res: u32) {}
