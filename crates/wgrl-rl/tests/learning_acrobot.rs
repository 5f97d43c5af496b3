//! End to end on a second env: Acrobot-v1's default preset brings 4 agents to a
//! 100-episode mean return of at least -100 (a test binary of its own).

use wgrl_gpu::{Context, ContextOptions};
use wgrl_rl::Trainer;
use wgrl_rl::config::{Overrides, resolve};

#[test]
fn acrobot_preset_reaches_minus_100_with_four_agents() {
    let ctx = Context::new(&ContextOptions::default())
        .expect("a wgpu adapter (run `make test`, which installs lavapipe)");
    // The learning-rate schedule anneals over total_steps, so a shorter run is a
    // different run: 300k is short for CI and still solves (issue 5's full figure
    // is 1M steps; the preset's own 500k run solves at 133k).
    let cfg = resolve(&Overrides {
        env: Some("Acrobot-v1".into()),
        agents: Some(4),
        seed: Some(0),
        total_steps: Some(300_000),
        ..Default::default()
    })
    .unwrap();
    let mut trainer = Trainer::new(&ctx, &cfg).unwrap();
    let report = trainer.train(|_| {}).unwrap();
    assert!(
        report.solved_at_step.is_some(),
        "not solved; final running means {:?}",
        report.last.running_returns()
    );
}
