// Parameter word i, for kernels that bind `params` as storage (an array of vec4s:
// every layer's weights start at a multiple of 4 words, so a kernel can load four
// consecutive weights at once with param4_at). The forward building blocks (dense
// and norm layers, observation normalisation, the Gaussian head's log-stds) read
// parameters through param_at and param4_at, so a kernel that only reads them can
// bind them another way and define its own: the rollout and values kernels on a
// CPU adapter read them through a uniform binding
// (wgrl_rl::ppo::params_binding_wgsl).
fn param_at(i: u32) -> f32 {
    return params[i / 4u][i % 4u];
}

// Words i .. i + 3; i must be a multiple of 4.
fn param4_at(i: u32) -> vec4<f32> {
    return params[i / 4u];
}

fn param_set(i: u32, v: f32) {
    params[i / 4u][i % 4u] = v;
}

fn param4_set(i: u32, v: vec4<f32>) {
    params[i / 4u] = v;
}
