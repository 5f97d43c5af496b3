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

/// A box-action custom env: a puck on a line pushed by a force in [-1, 1]
/// toward 0, rewarded by minus its distance (the first iteration's near-random
/// policy scores about -36 over 50 steps; steering straight home about -3; 40k
/// steps of PPO reach about -4.7).
const PUCK_MODULE: &str = r#"
struct EnvState { x: f32 }
struct EnvParams { dt: f32 }
fn env_reset(p: EnvParams, rng: ptr<function, Rng>) -> EnvState {
    return EnvState(rng_uniform(rng) * 2.0 - 1.0);
}
fn env_step(s: ptr<function, EnvState>, p: EnvParams, action: Action) -> StepResult {
    (*s).x = clamp((*s).x + p.dt * action[0], -2.0, 2.0);
    return StepResult(-abs((*s).x), false);
}
fn env_observe(s: EnvState, p: EnvParams) -> array<f32, OBS_DIM> {
    return array<f32, OBS_DIM>(s.x);
}
"#;

const PUCK_MANIFEST: &str = r#"
name = "Puck1D-v0"
module = "puck.wgsl"
obs_dim = 1
max_episode_steps = 50
action_space = { type = "box", low = [-1.0], high = [1.0] }
[params]
dt = { default = 0.2 }
"#;

#[test]
fn a_custom_box_env_trains_with_the_gaussian_head() {
    let desc =
        wgrl::envs::custom::from_strings("puck.toml", PUCK_MANIFEST, "puck.wgsl", PUCK_MODULE)
            .unwrap();
    let config = resolve(&Overrides {
        preset: Some("pendulum".into()),
        agents: Some(2),
        seed: Some(0),
        total_steps: Some(40_960),
        sets: vec![
            "ppo.gamma=0.95".into(),
            "ppo.envs=16".into(),
            "log.interval=1".into(),
        ],
        ..Default::default()
    })
    .unwrap();
    let ctx = Context::new(&ContextOptions::default())
        .expect("a wgpu adapter (run `make test`, which installs lavapipe)");
    let mut trainer = Trainer::with_env(&ctx, &config, desc).unwrap();
    assert!(
        trainer.arena().1.traj_act.is_some(),
        "box actions are stored"
    );
    let mut first = None;
    let report = trainer
        .train(|log| {
            if first.is_none() {
                first = log.mean_return();
            }
        })
        .unwrap();
    let (first, last) = (first.unwrap(), report.last.mean_return().unwrap());
    assert!(
        first < -15.0,
        "the first log point should be near random: {first}"
    );
    assert!(last > -8.0, "trained mean return {last} (first {first})");
}
