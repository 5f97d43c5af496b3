// The backward half of dense_subgroup_off.wgsl: never called (DENSE_SG is false).

fn dense_backward_input_sg(lid: u32, L: Layer, pb: u32, dy: u32, x: u32, xsave: u32, dx: u32, m4: u32, x_act: bool, accumulate: bool) {}

fn dense_weight_grad_sg(lid: u32, L: Layer, gb: u32, dy: u32, x: u32, m4: u32) {}
