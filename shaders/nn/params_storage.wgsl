// Parameter word i, for kernels that bind `params` as storage. The forward
// building blocks (dense and norm layers, observation normalisation, the
// Gaussian head's log-stds) read parameters through it, so a kernel that only
// reads them can bind them another way and define its own: the rollout on a CPU
// adapter reads them through a uniform binding (wgrl_rl::ppo::RolloutLayout).
fn param_at(i: u32) -> f32 {
    return params[i];
}
