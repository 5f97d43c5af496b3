//! CartPole on the GPU against the CPU reference and Gymnasium's own transitions.

mod common;

use common::{close, ctx, f32s, reference};
use wgrl_envs::cpu::{CartPole, ReferenceVecEnv};
use wgrl_envs::*;
use wgrl_gpu::Context;

fn venv(ctx: &Context, agents: u32, envs: u32, seed: u32) -> VecEnv {
    VecEnv::new(
        ctx,
        &builtin("CartPole-v1").unwrap(),
        VecEnvConfig { agents, envs, seed },
    )
    .unwrap()
}

/// Whether a state sits so close to the termination box that f32 vs f64 (or GPU vs
/// CPU trig) rounding may decide the flag either way.
fn near_boundary(s: &[f32], eps: f32) -> bool {
    (s[0].abs() - CartPole::X_THRESHOLD).abs() < eps
        || (s[2].abs() - CartPole::THETA_THRESHOLD).abs() < eps
}

#[test]
fn every_builtin_env_module_validates_and_matches_its_descriptor() {
    for name in BUILTIN_ENVS {
        let desc = builtin(name).unwrap();
        let layout = desc.check().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(layout.state_bytes, 4 * desc.state_dim() as u64);
        assert_eq!(layout.params_bytes, 4 * desc.params.len() as u64);
    }
}

#[test]
fn reset_draws_uniform_states_in_the_gymnasium_box_per_agent_and_env() {
    let ctx = ctx();
    let mut e = venv(&ctx, 4, 256, 9);
    let obs = e.reset().unwrap();
    assert_eq!(obs.len(), 4 * 256 * 4);
    assert!(
        obs.iter().all(|x| x.abs() < 0.05),
        "reset outside (-0.05, 0.05)"
    );
    let mean = obs.iter().map(|&x| x as f64).sum::<f64>() / obs.len() as f64;
    // Uniform(-0.05, 0.05) has sd 0.0289; the mean of 4096 draws has sd 4.5e-4.
    assert!(mean.abs() < 6.0 * 4.5e-4, "mean {mean}");
    // Every env's state is different (keys differ by agent and env).
    let mut rows: Vec<Vec<u32>> = obs
        .chunks(4)
        .map(|c| c.iter().map(|x| x.to_bits()).collect())
        .collect();
    rows.sort();
    rows.dedup();
    assert_eq!(rows.len(), 1024);
    // The GPU reset is exactly the CPU reference's.
    let r = ReferenceVecEnv::new(&e.descriptor().clone(), 4, 256, 9).unwrap();
    let mut cpu = r;
    cpu.reset(); // VecEnv::new resets once and `reset()` again
    for g in 0..1024 {
        assert_eq!(&obs[g * 4..g * 4 + 4], &cpu.observe(g)[..], "env {g}");
    }
}

#[test]
fn random_steps_match_the_cpu_reference_including_auto_reset() {
    let ctx = ctx();
    let (agents, envs) = (2, 512);
    let mut gpu = venv(&ctx, agents, envs, 3);
    let mut cpu = ReferenceVecEnv::new(&builtin("CartPole-v1").unwrap(), agents, envs, 3).unwrap();
    let n = (agents * envs) as usize;
    let mut skipped = vec![false; n];
    // 40 single-step dispatches, then one dispatch of 25 steps: long enough for
    // many episodes to end and auto-reset.
    for (dispatches, steps) in [(40, 1), (1, 25)] {
        for _ in 0..dispatches {
            gpu.step_random(steps);
            let mut last = Vec::new();
            for _ in 0..steps {
                last = (0..n)
                    .map(|g| {
                        let a = cpu.random_action(g);
                        // Look at the state this step lands on, before any auto-reset.
                        let mut next = cpu.states[g].clone();
                        CartPole.step_into(&mut next, a[0] as u32);
                        if near_boundary(&next, 1e-5) {
                            skipped[g] = true;
                        }
                        cpu.step_one(g, &a)
                    })
                    .collect();
            }
            let out = gpu.last_step().unwrap();
            let states = gpu.states().unwrap();
            for g in (0..n).filter(|&g| !skipped[g]) {
                // GPU and CPU differ only in sin/cos rounding (a few ulp), amplified by
                // at most tens of steps of CartPole dynamics: 1e-4 is far above that
                // and far below any real divergence (an auto-reset moves states by ~1).
                for k in 0..4 {
                    assert!(
                        close(states[g * 4 + k], cpu.states[g][k], 1e-4),
                        "env {g} field {k}: {} vs {}",
                        states[g * 4 + k],
                        cpu.states[g][k]
                    );
                }
                assert_eq!(out.out[g].flags, last[g].flags, "env {g}");
                assert_eq!(out.out[g].episode_length, last[g].episode_length, "env {g}");
            }
        }
    }
    let ended = cpu.meta.iter().filter(|m| m.1 > 30 && m.0 < 65).count();
    assert!(
        ended > n / 2,
        "too few episodes ended to exercise auto-reset: {ended}"
    );
    assert!(
        skipped.iter().filter(|s| **s).count() < n / 100,
        "too many near-boundary envs skipped"
    );
}

#[test]
fn one_step_transitions_match_gymnasium() {
    let data = reference("CartPole-v1");
    assert!(data.gymnasium_version.starts_with('1'));
    let ctx = ctx();
    let n = data.transitions.len() as u32;
    let mut e = venv(&ctx, 1, n, 0);
    let states: Vec<f32> = data
        .transitions
        .iter()
        .flat_map(|t| f32s(&t.state))
        .collect();
    e.set_states(&states).unwrap();
    let actions: Vec<u32> = data.transitions.iter().map(|t| t.action.index()).collect();
    let out = e.step(&actions).unwrap();
    let mut terminated = 0;
    for (i, t) in data.transitions.iter().enumerate() {
        let want = f32s(&t.next_state);
        assert_eq!(f32s(&t.obs), want, "Gymnasium's observation is its state");
        if near_boundary(&want, 1e-5) {
            continue;
        }
        assert_eq!(
            out.terminated[i],
            t.terminated,
            "transition {i}: {t:?}",
            t = t.state
        );
        assert!(!out.truncated[i]);
        assert_eq!(out.rewards[i], t.reward);
        // Finished episodes were auto-reset: their last observation is in final_obs.
        let got = if t.terminated {
            &out.final_obs[i * 4..i * 4 + 4]
        } else {
            &out.obs[i * 4..i * 4 + 4]
        };
        // One Euler step in f32 from the f32-rounded state vs Gymnasium's f64:
        // inputs round at 6e-8 relative, and the update adds a few ulp; 1e-5 covers
        // it with margin while catching any wrong constant or ordering (>= 1e-3).
        for k in 0..4 {
            assert!(
                close(got[k], want[k], 1e-5),
                "transition {i} field {k}: {} vs {}",
                got[k],
                want[k]
            );
        }
        terminated += t.terminated as usize;
    }
    assert!(
        terminated > 50 && terminated < 350,
        "the data should exercise both outcomes: {terminated}"
    );
}

#[test]
fn rollouts_match_gymnasium_including_the_500_step_time_limit() {
    let data = reference("CartPole-v1");
    let ctx = ctx();
    assert!(
        data.rollouts.iter().any(|r| *r.truncated.last().unwrap()),
        "need a truncated rollout"
    );
    for r in &data.rollouts {
        let mut e = venv(&ctx, 1, 1, 0);
        e.set_states(&f32s(&r.reset_state)).unwrap();
        let mut open_loop = f32s(&r.reset_state);
        for (t, a) in r.actions.iter().map(|a| a.index()).enumerate() {
            // Teacher forcing: start every step from Gymnasium's previous state, so
            // the whole episode is checked step by step (open-loop f32 trajectories
            // of this unstable system drift from f64 ones within a few seconds).
            let prev = if t == 0 {
                f32s(&r.reset_state)
            } else {
                f32s(&r.states[t - 1])
            };
            if t > 0 {
                e.set_states(&prev).unwrap();
            }
            let out = e.step(&[a]).unwrap();
            let want = f32s(&r.states[t]);
            let ended = r.terminated[t] || r.truncated[t];
            let got = if ended {
                &out.final_obs[..]
            } else {
                &out.obs[..]
            };
            for k in 0..4 {
                assert!(
                    close(got[k], want[k], 1e-5),
                    "{} rollout, step {t}, field {k}: {} vs {}",
                    r.policy,
                    got[k],
                    want[k]
                );
            }
            assert_eq!(out.rewards[0], r.rewards[t]);
            assert_eq!(
                (out.terminated[0], out.truncated[0]),
                (r.terminated[t], r.truncated[t]),
                "{} rollout step {t}",
                r.policy
            );
            if ended {
                assert_eq!(out.out[0].episode_length as usize, t + 1);
                assert_eq!(out.out[0].episode_return, r.rewards.iter().sum::<f32>());
            }
            // Open loop for the first 50 steps (1 s): f32 drift stays below 1e-4 there.
            if t < 50 {
                CartPole.step_into(&mut open_loop, a);
                for k in 0..4 {
                    assert!(
                        close(open_loop[k], want[k], 1e-4),
                        "open loop step {t} field {k}"
                    );
                }
            }
        }
    }
}

trait StepInto {
    fn step_into(&self, s: &mut [f32], a: u32);
}
impl StepInto for CartPole {
    fn step_into(&self, s: &mut [f32], a: u32) {
        use wgrl_envs::cpu::ReferenceEnv;
        self.step(
            s,
            &builtin("CartPole-v1").unwrap().default_params(),
            &[a as f32],
        );
    }
}

#[test]
fn agents_are_independent_and_seeds_are_reproducible() {
    let ctx = ctx();
    let mut one = venv(&ctx, 1, 64, 5);
    let mut four = venv(&ctx, 4, 64, 5);
    one.step_random(30);
    four.step_random(30);
    let a = one.states().unwrap();
    let b = four.states().unwrap();
    // Agent 0 sees the same envs whether or not other agents run beside it.
    assert_eq!(a, b[..a.len()]);
    assert_ne!(b[..a.len()], b[a.len()..2 * a.len()], "agents must differ");
    let mut again = venv(&ctx, 1, 64, 5);
    again.step_random(30);
    assert_eq!(
        again.states().unwrap(),
        a,
        "same seed, same device: bitwise identical"
    );
    let mut other = venv(&ctx, 1, 64, 6);
    other.step_random(30);
    assert_ne!(other.states().unwrap(), a);
}

#[test]
fn bad_input_gets_clear_errors() {
    let ctx = ctx();
    let err = builtin("Cartpole-v9").unwrap_err().to_string();
    assert!(
        err.contains("unknown env 'Cartpole-v9'") && err.contains("CartPole-v1"),
        "{err}"
    );
    let desc = builtin("CartPole-v1").unwrap();
    let err = VecEnv::new(
        &ctx,
        &desc,
        VecEnvConfig {
            agents: 0,
            envs: 4,
            seed: 0,
        },
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("agents = 0"), "{err}");
    let err = VecEnv::new(
        &ctx,
        &desc,
        VecEnvConfig {
            agents: 1,
            envs: 0,
            seed: 0,
        },
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("envs = 0"), "{err}");
    let mut e = venv(&ctx, 1, 4, 0);
    let err = e.step(&[0, 1, 2, 0]).unwrap_err().to_string();
    assert!(err.contains("action 2 for env 2 is out of range"), "{err}");
    let err = e.step(&[0, 1]).unwrap_err().to_string();
    assert!(err.contains("4 envs but 2 actions"), "{err}");
    let err = e.set_states(&[0.0; 3]).unwrap_err().to_string();
    assert!(err.contains("x, x_dot, theta, theta_dot"), "{err}");
    // A module that breaks the interface is caught before any GPU work.
    let mut broken = desc.clone();
    broken.module_source = broken
        .module_source
        .replace(
            "theta_dot: f32,\n}",
            "theta_dot: f32,\n    extra: vec2<f32>,\n}",
        )
        .replace(
            "EnvState(u.x, u.y, u.z, u.w)",
            "EnvState(u.x, u.y, u.z, u.w, vec2<f32>())",
        );
    let err = broken.check().unwrap_err().to_string();
    assert!(
        err.contains("EnvState.extra must be a 4-byte scalar"),
        "{err}"
    );
    let mut broken = desc.clone();
    broken.module_source = broken
        .module_source
        .replace("fn env_observe", "fn env_look");
    let err = VecEnv::new(
        &ctx,
        &broken,
        VecEnvConfig {
            agents: 1,
            envs: 1,
            seed: 0,
        },
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("env_observe") && err.contains("vec_env.wgsl"),
        "{err}"
    );
}
