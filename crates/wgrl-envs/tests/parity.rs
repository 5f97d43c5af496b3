//! MountainCar-v0, Acrobot-v1, Pendulum-v1 and MountainCarContinuous-v0 against
//! Gymnasium's own transitions and the CPU reference (CartPole has its own test
//! file with more cases). Box actions in the data are raw (up to 1.5x the bounds):
//! the engine clips them as Gymnasium's ClipAction did when the data was made.

mod common;

use common::{close, ctx, f32s, reference, step_recorded};
use wgrl_envs::cpu::ReferenceVecEnv;
use wgrl_envs::*;

/// The envs checked against Gymnasium's data here.
const ENVS: [&str; 4] = [
    "MountainCar-v0",
    "Acrobot-v1",
    "Pendulum-v1",
    "MountainCarContinuous-v0",
];

/// Per-env tolerance: MountainCar (both) and Pendulum are a few f32 operations
/// on values of order 1-10 (f32 rounding ~1e-7 relative per operation, with
/// sin of angles up to 3 pi adding ~1e-6 absolute): 1e-5 relative. Acrobot is
/// one RK4 step of stiff-ish dynamics with velocities up to 9 pi, so f32 vs f64
/// differences reach ~1e-5 relative: 1e-4.
fn tol(env: &str) -> f32 {
    if env == "Acrobot-v1" { 1e-4 } else { 1e-5 }
}

/// States compared field by field; Acrobot's angles (fields 0, 1) modulo 2 pi.
fn state_close(env: &str, got: &[f32], want: &[f32]) -> bool {
    got.iter().zip(want).enumerate().all(|(k, (&g, &w))| {
        if env == "Acrobot-v1" && k < 2 {
            let d = (g - w).rem_euclid(std::f32::consts::TAU);
            d.min(std::f32::consts::TAU - d) <= tol(env)
        } else {
            close(g, w, tol(env))
        }
    })
}

/// Termination flags may differ only where the state sits within rounding of the boundary.
const MARGIN: f64 = 1e-4;

#[test]
fn one_step_transitions_match_gymnasium() {
    let ctx = ctx();
    for name in ENVS {
        let data = reference(name);
        let n = data.transitions.len() as u32;
        let mut e = VecEnv::new(
            &ctx,
            &builtin(name).unwrap(),
            VecEnvConfig {
                agents: 1,
                envs: n,
                seed: 0,
            },
        )
        .unwrap();
        let obs_dim = e.descriptor().obs_dim as usize;
        let states: Vec<f32> = data
            .transitions
            .iter()
            .flat_map(|t| f32s(&t.state))
            .collect();
        e.set_states(&states).unwrap();
        let actions: Vec<common::Action> =
            data.transitions.iter().map(|t| t.action.clone()).collect();
        let out = step_recorded(&mut e, &actions);
        let after = e.states().unwrap();
        let sd = e.descriptor().state_dim() as usize;
        let (mut checked, mut ended) = (0, 0);
        for (i, t) in data.transitions.iter().enumerate() {
            if t.margin.abs() < MARGIN {
                continue;
            }
            assert_eq!(out.terminated[i], t.terminated, "{name} transition {i}");
            assert!(
                close(out.rewards[i], t.reward, tol(name)),
                "{name} transition {i} reward: {} vs {}",
                out.rewards[i],
                t.reward
            );
            let got = if t.terminated {
                &out.final_obs[i * obs_dim..(i + 1) * obs_dim]
            } else {
                &out.obs[i * obs_dim..(i + 1) * obs_dim]
            };
            for (k, (&g, &w)) in got.iter().zip(&t.obs).enumerate() {
                assert!(
                    close(g, w as f32, tol(name)),
                    "{name} transition {i} obs {k}: {g} vs {w}"
                );
            }
            if !t.terminated {
                assert!(
                    state_close(name, &after[i * sd..(i + 1) * sd], &f32s(&t.next_state)),
                    "{name} transition {i}: {:?} vs {:?}",
                    &after[i * sd..(i + 1) * sd],
                    t.next_state
                );
            }
            checked += 1;
            ended += t.terminated as usize;
        }
        assert!(checked > 350, "{name}: only {checked} transitions checked");
        // Pendulum never terminates; the others must show some terminations.
        if name != "Pendulum-v1" {
            assert!(
                ended > 10,
                "{name}: the data should include terminations ({ended})"
            );
        }
    }
}

#[test]
fn episodes_match_gymnasium_step_by_step_through_the_time_limit() {
    let ctx = ctx();
    for name in ENVS {
        let data = reference(name);
        let desc = builtin(name).unwrap();
        assert!(
            data.rollouts.iter().any(|r| *r.truncated.last().unwrap()),
            "{name}: need a truncated episode"
        );
        for r in &data.rollouts {
            let mut e = VecEnv::new(
                &ctx,
                &desc,
                VecEnvConfig {
                    agents: 1,
                    envs: 1,
                    seed: 0,
                },
            )
            .unwrap();
            for (t, a) in r.actions.iter().enumerate() {
                // Teacher forcing: start each step from Gymnasium's previous state.
                let prev = if t == 0 {
                    f32s(&r.reset_state)
                } else {
                    f32s(&r.states[t - 1])
                };
                e.set_states(&prev).unwrap();
                let out = step_recorded(&mut e, std::slice::from_ref(a));
                let ended = r.terminated[t] || r.truncated[t];
                let got = if ended { &out.final_obs } else { &out.obs };
                for (k, (&g, &w)) in got.iter().zip(&r.obs[t]).enumerate() {
                    assert!(
                        close(g, w as f32, tol(name)),
                        "{name} step {t} obs {k}: {g} vs {w}"
                    );
                }
                assert_eq!(out.truncated[0], r.truncated[t], "{name} step {t}");
                if r.margins[t].abs() >= MARGIN {
                    assert_eq!(out.terminated[0], r.terminated[t], "{name} step {t}");
                    assert!(
                        close(out.rewards[0], r.rewards[t], tol(name)),
                        "{name} step {t} reward: {} vs {}",
                        out.rewards[0],
                        r.rewards[t]
                    );
                }
                if ended {
                    assert_eq!(out.out[0].episode_length as usize, t + 1);
                }
            }
            if *r.truncated.last().unwrap() {
                assert_eq!(
                    r.actions.len() as u32,
                    desc.max_episode_steps,
                    "{name}: truncation happens exactly at the time limit"
                );
            }
        }
    }
}

#[test]
fn random_steps_match_the_cpu_reference_for_every_env() {
    let ctx = ctx();
    for name in BUILTIN_ENVS {
        let desc = builtin(name).unwrap();
        let (agents, envs) = (2, 64);
        let mut gpu = VecEnv::new(
            &ctx,
            &desc,
            VecEnvConfig {
                agents,
                envs,
                seed: 4,
            },
        )
        .unwrap();
        let mut cpu = ReferenceVecEnv::new(&desc, agents, envs, 4).unwrap();
        let n = (agents * envs) as usize;
        let sd = desc.state_dim() as usize;
        let mut mismatched_flags = 0;
        let mut skipped = vec![false; n];
        for step in 0..40 {
            // Re-synchronise every step: Acrobot is chaotic, and GPU and CPU
            // transcendentals differ by an ulp or two.
            let states: Vec<f32> = cpu.states.iter().flatten().copied().collect();
            gpu.set_states(&states).unwrap();
            gpu.step_random(1);
            let out: Vec<StepOut> = (0..n)
                .map(|g| {
                    let a = cpu.random_action(g);
                    cpu.step_one(g, &a)
                })
                .collect();
            let got = gpu.last_step().unwrap();
            let after = gpu.states().unwrap();
            for g in 0..n {
                if skipped[g] {
                    continue;
                }
                if got.out[g].flags != out[g].flags {
                    // Only a state within rounding of a boundary may flip; that env
                    // then resets (and restarts its clock) on one side only, so it
                    // leaves the comparison.
                    mismatched_flags += 1;
                    skipped[g] = true;
                    continue;
                }
                assert_eq!(
                    got.out[g].episode_length, out[g].episode_length,
                    "{name} env {g} step {step}"
                );
                assert!(
                    state_close(name, &after[g * sd..(g + 1) * sd], &cpu.states[g]),
                    "{name} env {g} step {step}: {:?} vs {:?}",
                    &after[g * sd..(g + 1) * sd],
                    cpu.states[g]
                );
            }
        }
        assert!(
            mismatched_flags <= 2,
            "{name}: {mismatched_flags} flag mismatches"
        );
    }
}

#[test]
fn resets_and_time_limit_auto_resets_match_the_cpu_reference_for_every_env() {
    let ctx = ctx();
    for name in BUILTIN_ENVS {
        let desc = builtin(name).unwrap();
        let (agents, envs) = (2u32, 64u32);
        let n = (agents * envs) as usize;
        let mut gpu = VecEnv::new(
            &ctx,
            &desc,
            VecEnvConfig {
                agents,
                envs,
                seed: 7,
            },
        )
        .unwrap();
        let mut cpu = ReferenceVecEnv::new(&desc, agents, envs, 7).unwrap();
        // Both reset once on creation, from the same RNG keys: bitwise equal.
        let flat = |c: &ReferenceVecEnv| c.states.iter().flatten().copied().collect::<Vec<f32>>();
        let first = gpu.states().unwrap();
        assert_eq!(first, flat(&cpu), "{name}: reset states");
        // Gymnasium's reset distributions.
        for s in first.chunks(desc.state_dim() as usize) {
            let ok = match *name {
                "MountainCar-v0" | "MountainCarContinuous-v0" => {
                    (-0.6..-0.4).contains(&s[0]) && s[1] == 0.0
                }
                "Pendulum-v1" => s[0].abs() <= std::f32::consts::PI && s[1].abs() < 1.0,
                "Acrobot-v1" => s.iter().all(|v| (-0.1..0.1).contains(v)),
                _ => s.iter().all(|v| v.abs() < 0.05),
            };
            assert!(ok, "{name}: reset state {s:?} outside Gymnasium's range");
        }
        // Exactly one time limit of random steps in one dispatch. Random MountainCar,
        // Acrobot, Pendulum and MountainCarContinuous episodes never end earlier
        // (Gymnasium's data agrees), so every
        // env is truncated on the last step and auto-reset from the same key on both
        // sides, whatever rounding did to the trajectories before.
        let limit = desc.max_episode_steps;
        gpu.step_random(limit);
        let mut last = Vec::new();
        for _ in 0..limit {
            last = (0..n)
                .map(|g| {
                    let a = cpu.random_action(g);
                    cpu.step_one(g, &a)
                })
                .collect::<Vec<StepOut>>();
        }
        if *name == "CartPole-v1" {
            continue; // random CartPole episodes end long before the limit (cartpole.rs covers them)
        }
        let got = gpu.last_step().unwrap();
        let after = gpu.states().unwrap();
        let sd = desc.state_dim() as usize;
        let mut compared = 0;
        for g in 0..n {
            let both_truncated =
                got.out[g].episode_length == limit && last[g].episode_length == limit;
            if both_truncated {
                assert!(got.truncated[g] && last[g].flags & 2 != 0, "{name} env {g}");
                assert_eq!(
                    &after[g * sd..(g + 1) * sd],
                    &cpu.states[g][..],
                    "{name} env {g}: state after auto-reset"
                );
                compared += 1;
            }
        }
        assert!(
            compared >= n * 9 / 10,
            "{name}: only {compared} of {n} envs reached the time limit on both sides"
        );
    }
}

#[test]
fn box_actions_are_clipped_and_wrong_calls_are_refused() {
    let ctx = ctx();
    let desc = builtin("MountainCarContinuous-v0").unwrap();
    let cfg = VecEnvConfig {
        agents: 1,
        envs: 3,
        seed: 0,
    };
    let mut e = VecEnv::new(&ctx, &desc, cfg).unwrap();
    let start = vec![-0.5f32, 0.0, -0.5, 0.0, -0.5, 0.0];
    e.set_states(&start).unwrap();
    // 5.0 and 1.0 push the same (clipped) force; the penalty is on the clipped action.
    let out = e.step_continuous(&[5.0, 1.0, -0.25]).unwrap();
    let s = e.states().unwrap();
    assert_eq!(&s[0..2], &s[2..4], "an action of 5 acts as 1");
    assert_eq!(out.rewards[0], -0.1);
    assert_eq!(out.rewards[1], -0.1);
    assert!(close(out.rewards[2], -0.00625, 1e-6));
    assert!(
        s[5] < s[1],
        "a negative force slows the car relative to a positive one"
    );

    let err = e.step(&[0, 0, 0]).unwrap_err().to_string();
    assert!(
        err.contains("box action space") && err.contains("step_continuous"),
        "{err}"
    );
    let err = e.step_continuous(&[0.0, 0.0]).unwrap_err().to_string();
    assert!(err.contains("3 envs x 1 = 3 but got 2"), "{err}");
    let err = e
        .step_continuous(&[0.0, f32::NAN, 0.0])
        .unwrap_err()
        .to_string();
    assert!(err.contains("action 1") && err.contains("NaN"), "{err}");

    let mut d = VecEnv::new(&ctx, &builtin("CartPole-v1").unwrap(), cfg).unwrap();
    let err = d.step_continuous(&[0.0; 3]).unwrap_err().to_string();
    assert!(err.contains("discrete action space"), "{err}");

    let mut bad = desc.clone();
    bad.action_space = ActionSpace::Box {
        low: vec![1.0],
        high: vec![-1.0],
    };
    let err = VecEnv::new(&ctx, &bad, cfg).unwrap_err().to_string();
    assert!(
        err.contains("[1, -1]") && err.contains("low <= high"),
        "{err}"
    );
}
