//! End to end: the PointMass-v0 example env (examples/custom_env) trains with its
//! train.toml to its solved threshold, -15 (a random policy scores about -170),
//! with 4 agents and a fixed seed, and its greedy policy evaluates above it.

use std::path::PathBuf;
use wgrl::gpu::{Context, ContextOptions};
use wgrl::rl::{Overrides, Trainer, evaluate, resolve};

#[test]
fn point_mass_example_is_solved_by_four_agents() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/custom_env");
    let config = resolve(&Overrides {
        env_file: Some(dir.join("point_mass.toml")),
        config_file: Some(dir.join("train.toml")),
        agents: Some(4),
        seed: Some(0),
        ..Default::default()
    })
    .unwrap();
    let ctx = Context::new(&ContextOptions::default())
        .expect("a wgpu adapter (run `make test`, which installs lavapipe)");
    let mut trainer = Trainer::new(&ctx, &config).unwrap();
    assert_eq!(trainer.config().env, "PointMass-v0");
    let report = trainer.train(|_| {}).unwrap();
    let solved = report.solved_at_step.unwrap_or_else(|| {
        panic!(
            "not solved; running means {:?}",
            report.last.running_returns()
        )
    });
    assert!(solved <= 150_000, "solved only at {solved} steps");
    let eval = evaluate(&ctx, &trainer.checkpoint().unwrap(), 8, 1).unwrap();
    assert!(eval.mean() >= -15.0, "greedy mean return {}", eval.mean());
}
