//! MountainCar-v0 and Acrobot-v1 against Gymnasium's own transitions and the CPU
//! reference (CartPole has its own test file with more cases).

mod common;

use common::{close, ctx, f32s, reference};
use wgrl_envs::cpu::ReferenceVecEnv;
use wgrl_envs::*;

/// Per-env tolerance: MountainCar is a few f32 operations (1e-5 relative);
/// Acrobot is one RK4 step of stiff-ish dynamics with velocities up to 9 pi, so
/// f32 vs f64 differences reach ~1e-5 relative: 1e-4.
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
    for name in ["MountainCar-v0", "Acrobot-v1"] {
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
        let actions: Vec<u32> = data.transitions.iter().map(|t| t.action).collect();
        let out = e.step(&actions).unwrap();
        let after = e.states().unwrap();
        let sd = e.descriptor().state_dim() as usize;
        let (mut checked, mut ended) = (0, 0);
        for (i, t) in data.transitions.iter().enumerate() {
            if t.margin.abs() < MARGIN {
                continue;
            }
            assert_eq!(out.terminated[i], t.terminated, "{name} transition {i}");
            assert_eq!(out.rewards[i], t.reward, "{name} transition {i}");
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
        assert!(
            ended > 10,
            "{name}: the data should include terminations ({ended})"
        );
    }
}

#[test]
fn episodes_match_gymnasium_step_by_step_through_the_time_limit() {
    let ctx = ctx();
    for name in ["MountainCar-v0", "Acrobot-v1"] {
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
            for (t, &a) in r.actions.iter().enumerate() {
                // Teacher forcing: start each step from Gymnasium's previous state.
                let prev = if t == 0 {
                    f32s(&r.reset_state)
                } else {
                    f32s(&r.states[t - 1])
                };
                e.set_states(&prev).unwrap();
                let out = e.step(&[a]).unwrap();
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
                    assert_eq!(out.rewards[0], r.rewards[t], "{name} step {t}");
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
                    cpu.step_one(g, a)
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
                "MountainCar-v0" => (-0.6..-0.4).contains(&s[0]) && s[1] == 0.0,
                "Acrobot-v1" => s.iter().all(|v| (-0.1..0.1).contains(v)),
                _ => s.iter().all(|v| v.abs() < 0.05),
            };
            assert!(ok, "{name}: reset state {s:?} outside Gymnasium's range");
        }
        // Exactly one time limit of random steps in one dispatch. Random MountainCar
        // and Acrobot episodes never end earlier (Gymnasium's data agrees), so every
        // env is truncated on the last step and auto-reset from the same key on both
        // sides, whatever rounding did to the trajectories before.
        let limit = desc.max_episode_steps;
        gpu.step_random(limit);
        let mut last = Vec::new();
        for _ in 0..limit {
            last = (0..n)
                .map(|g| {
                    let a = cpu.random_action(g);
                    cpu.step_one(g, a)
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
