//! End to end with the residual policy and Approx-BP layers: embedding Linear,
//! a residual block [MS-LayerNorm -> Linear(32 -> 64) -> ReGELU2 -> Linear(64 -> 32)
//! -> + residual], a final MS-LayerNorm and the heads, for the actor and the
//! critic, solves CartPole with 4 agents. A test binary of its own so it has the
//! machine to itself.

mod common;

#[test]
fn residual_regelu2_ms_layernorm_solves_cartpole_with_four_agents() {
    // The default CartPole preset's PPO settings at lr 5e-3 (its rate when
    // BENCHMARKS.md's parity table was measured); with seed 0 every agent's
    // 100-episode mean passes 475 at about 241k steps.
    let sets = [
        "ppo.lr=5e-3",
        "model.arch=residual",
        "model.width=32",
        "model.blocks=1",
        "model.expansion=2",
        "model.activation=regelu2",
        "model.norm=ms-layernorm",
    ];
    let report = common::train(&common::four_agents("CartPole-v1", None, &sets), |_| {});
    common::assert_solved(&report);
    assert_eq!(report.blocking_waits_between_log_points, 0);
}
