//! Shared set-up of the end-to-end learning tests (each test binary trains once).
// Each test binary uses some of these helpers.
#![allow(dead_code)]

use wgrl_gpu::{Context, ContextOptions};
use wgrl_rl::config::{Overrides, TrainConfig, resolve};
use wgrl_rl::{LogPoint, TrainReport, Trainer};

/// The config for `env`'s default preset with 4 agents and seed 0, plus overrides.
pub fn four_agents(env: &str, total_steps: Option<u64>, sets: &[&str]) -> TrainConfig {
    resolve(&Overrides {
        env: Some(env.into()),
        agents: Some(4),
        seed: Some(0),
        total_steps,
        sets: sets.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    })
    .unwrap()
}

/// Trains `cfg` on the default adapter, calling `on_log` at every log point.
pub fn train(cfg: &TrainConfig, on_log: impl FnMut(&LogPoint)) -> TrainReport {
    let ctx = Context::new(&ContextOptions::default())
        .expect("a wgpu adapter (run `make test`, which installs lavapipe)");
    Trainer::new(&ctx, cfg).unwrap().train(on_log).unwrap()
}

/// Panics with every agent's running mean unless every agent solved at some log point.
pub fn assert_solved(report: &TrainReport) -> u64 {
    report.solved_at_step.unwrap_or_else(|| {
        panic!(
            "not solved; final running means {:?}",
            report.last.running_returns()
        )
    })
}
