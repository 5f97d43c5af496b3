//! End to end: the default CartPole preset solves the task with 4 agents at once
//! (a test binary of its own so it has the machine to itself).

use wgrl_gpu::{Context, ContextOptions};
use wgrl_rl::Trainer;
use wgrl_rl::config::{Overrides, resolve};

#[test]
fn default_cartpole_preset_solves_with_four_agents() {
    let ctx = Context::new(&ContextOptions::default())
        .expect("a wgpu adapter (run `make test`, which installs lavapipe)");
    let cfg = resolve(&Overrides {
        env: Some("CartPole-v1".into()),
        agents: Some(4),
        seed: Some(0),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        (cfg.agents, cfg.ppo.envs, cfg.ppo.epochs),
        (4, 16, 2),
        "the default preset changed: re-check this test's budget"
    );
    let mut trainer = Trainer::new(&ctx, &cfg).unwrap();
    let mut logs = 0;
    let report = trainer.train(|_| logs += 1).unwrap();
    // Solved: at some log point every agent's mean return over its last 100
    // episodes reached CartPole's threshold of 475.
    let solved = report.solved_at_step.unwrap_or_else(|| {
        panic!(
            "not solved; final running means {:?}",
            report.last.running_returns()
        )
    });
    assert!(solved <= cfg.total_steps);
    assert!(report.last.agents.iter().all(|a| a.episodes >= 100));
    // The loop never blocked between log points; it only waited at the end.
    assert_eq!(report.blocking_waits_between_log_points, 0);
    assert!(logs >= 50);
}
