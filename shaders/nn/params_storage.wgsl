// Parameter word i, for kernels that bind `params` as storage. The forward
// building blocks (dense and norm layers, observation normalisation, the
// Gaussian head's log-stds) read parameters through it, so a kernel that only
// reads them can bind them another way and define its own: the rollout and
// values kernels on a CPU adapter read them through a uniform binding
// (wgrl_rl::ppo::params_binding_wgsl).
fn param_at(i: u32) -> f32 {
    return params[i];
}
