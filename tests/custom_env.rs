//! A custom env gets what a built-in env gets: the host vectorised API, auto-reset,
//! truncation, per-env parameters; and NaN observations are counted, not trained on.

use std::path::Path;
use wgrl::envs::{VecEnv, VecEnvConfig, custom};
use wgrl::gpu::{Context, ContextOptions};
use wgrl::rl::{Overrides, Trainer, resolve};

const EXAMPLE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/custom_env/point_mass.toml"
);

fn ctx() -> Context {
    Context::new(&ContextOptions::default())
        .expect("a wgpu adapter (run `make test`, which installs lavapipe)")
}

/// PointMass-v0's step on the host (the same formulas as point_mass.wgsl) for one
/// state [x, y, vx, vy, tx, ty] and params [dt, accel, max_speed, goal_radius].
fn point_mass_step(s: &mut [f32], p: &[f32], action: u32) -> (f32, bool) {
    let (dt, accel, max_speed, goal) = (p[0], p[1], p[2], p[3]);
    let a = match action {
        1 => [accel, 0.0],
        2 => [-accel, 0.0],
        3 => [0.0, accel],
        4 => [0.0, -accel],
        _ => [0.0, 0.0],
    };
    let mut v = [s[2] + a[0] * dt, s[3] + a[1] * dt];
    let speed = (v[0] * v[0] + v[1] * v[1]).sqrt();
    if speed > max_speed {
        v = [v[0] * (max_speed / speed), v[1] * (max_speed / speed)];
    }
    let mut pos = [s[0] + v[0] * dt, s[1] + v[1] * dt];
    for k in 0..2 {
        if pos[k].abs() > 1.0 {
            pos[k] = pos[k].clamp(-1.0, 1.0);
            v[k] = 0.0;
        }
    }
    s[..4].copy_from_slice(&[pos[0], pos[1], v[0], v[1]]);
    let dist = ((pos[0] - s[4]).powi(2) + (pos[1] - s[5]).powi(2)).sqrt();
    (-dist, dist < goal)
}

#[test]
fn custom_env_runs_through_the_host_api_like_a_builtin() {
    let ctx = ctx();
    let desc = custom::load(Path::new(EXAMPLE)).unwrap();
    let (agents, envs) = (2u32, 8u32);
    let n = (agents * envs) as usize;
    let mut venv = VecEnv::new(
        &ctx,
        &desc,
        VecEnvConfig {
            agents,
            envs,
            seed: 7,
        },
    )
    .unwrap();
    let obs = venv.reset().unwrap();
    let states = venv.states().unwrap();
    assert_eq!(obs.len(), n * 4);
    assert_eq!(states.len(), n * 6);
    for e in 0..n {
        let s = &states[e * 6..e * 6 + 6];
        assert!(s.iter().all(|v| v.abs() <= 0.8), "reset state {s:?}");
        assert_eq!((s[2], s[3]), (0.0, 0.0));
        // Observation: target - position, velocity.
        assert_eq!(obs[e * 4], s[4] - s[0]);
    }
    // Different envs draw different targets.
    assert_ne!(states[4], states[6 + 4]);

    // Each env gets its own parameters: double the thrust of odd envs.
    let mut params = Vec::new();
    for e in 0..n {
        params.extend_from_slice(&[0.1, if e % 2 == 1 { 2.0 } else { 1.0 }, 1.0, 0.1]);
    }
    venv.set_params(&params).unwrap();
    let actions: Vec<u32> = (0..n as u32).map(|e| e % 5).collect();
    let mut expect = venv.states().unwrap();
    let step = venv.step(&actions).unwrap();
    let after = venv.states().unwrap();
    for e in 0..n {
        let s = &mut expect[e * 6..e * 6 + 6];
        let (reward, terminated) = point_mass_step(s, &params[e * 4..e * 4 + 4], actions[e]);
        // The same f32 operations in the same order, except that WGSL's `length`
        // and `distance` may be computed differently (inverse sqrt, fused
        // multiply-add): a few ulps at these magnitudes (|v| <= 1).
        assert!(
            (step.rewards[e] - reward).abs() < 1e-6,
            "env {e}: {} vs {reward}",
            step.rewards[e]
        );
        assert_eq!(step.terminated[e], terminated);
        if !terminated {
            for k in 0..6 {
                assert!((after[e * 6 + k] - s[k]).abs() < 1e-6, "env {e} field {k}");
            }
        }
    }

    // Put env 0 on its target: it terminates and auto-resets with a new episode.
    let mut on_target = after.clone();
    on_target[0] = on_target[4];
    on_target[1] = on_target[5];
    on_target[2] = 0.0;
    on_target[3] = 0.0;
    venv.set_states(&on_target).unwrap();
    let step = venv.step(&vec![0; n]).unwrap();
    assert!(step.terminated[0] && !step.truncated[0]);
    assert_eq!(step.out[0].episode_length, 2);
    assert_eq!(venv.meta().unwrap()[0].elapsed, 0);

    // Coasting never reaches the target (unless reset onto it): the 200-step limit truncates.
    let mut truncated_at = None;
    for t in 1..=200u32 {
        let step = venv.step(&vec![0; n]).unwrap();
        if step.truncated[0] {
            truncated_at = Some(t);
            assert_eq!(step.out[0].episode_length, 200);
            break;
        }
    }
    assert_eq!(truncated_at, Some(200));
    assert!(
        venv.step(&vec![5; n]).is_err(),
        "action 5 is out of range for 5 actions"
    );
}

/// An env whose observation turns NaN after a few steps of every episode.
const NAN_MODULE: &str = "
struct EnvState { t: f32 }
struct EnvParams { bad_after: f32 }
fn env_reset(p: EnvParams, rng: ptr<function, Rng>) -> EnvState {
    return EnvState(0.0);
}
fn env_step(s: ptr<function, EnvState>, p: EnvParams, action: Action) -> StepResult {
    (*s).t += 1.0;
    return StepResult(f32(action), false);
}
fn env_observe(s: EnvState, p: EnvParams) -> array<f32, OBS_DIM> {
    // sqrt of a negative number is NaN in WGSL.
    let v = select(1.0, sqrt(p.bad_after - s.t), s.t > p.bad_after);
    return array<f32, OBS_DIM>(v, s.t * 0.01);
}
";
const NAN_MANIFEST: &str = "
name = \"NanAfterFive-v0\"
module = \"nan.wgsl\"
obs_dim = 2
max_episode_steps = 50
action_space = { type = \"discrete\", n = 2 }
[params]
bad_after = { default = 5.0 }
";

#[test]
fn nan_observations_are_counted_and_never_reach_the_network() {
    let desc = custom::from_strings("nan.toml", NAN_MANIFEST, "nan.wgsl", NAN_MODULE).unwrap();
    let config = resolve(&Overrides {
        env_file: Some("nan.toml".into()),
        agents: Some(2),
        total_steps: Some(16 * 32 * 3),
        sets: vec![
            "ppo.envs=16".into(),
            "ppo.steps=32".into(),
            "log.interval=1".into(),
        ],
        ..Default::default()
    })
    .unwrap();
    let ctx = ctx();
    let mut trainer = Trainer::with_env(&ctx, &config, desc).unwrap();
    let mut bad = Vec::new();
    let report = trainer
        .train(|lp| bad.push(lp.agents.iter().map(|a| a.bad_obs).collect::<Vec<_>>()))
        .unwrap();
    // Every episode's observation turns NaN at t = 6, its 7th step: that step is
    // flagged and ends the episode, so env steps 6, 13, 20, ... are the bad ones:
    // floor(32 k / 7) of them per env after k iterations of 32 steps.
    for (i, per_agent) in bad.iter().enumerate() {
        let expect = 16 * (32 * (i as u32 + 1) / 7);
        assert_eq!(
            per_agent,
            &vec![expect; 2],
            "bad observations after iteration {}",
            i + 1
        );
    }
    let len = report.last.agents[0].running_length().unwrap();
    assert!((len - 7.0).abs() < 1e-9, "episode length {len}");
    let ck = trainer.checkpoint().unwrap();
    assert!(
        ck.params.iter().all(|p| p.is_finite()),
        "parameters stayed finite"
    );
    assert_eq!(ck.config.env, "NanAfterFive-v0");
}
