//! `cargo bench --bench ppo`: one PPO iteration (rollout chunks, GAE, update
//! dispatches) of the default CartPole preset with 1 and 4 agents, and of the
//! Pendulum preset with 4 agents (Gaussian head, observation normalisation and
//! reward scaling, whose statistics kernel is one of the dispatches), and of a
//! residual policy with exact (gelu + layernorm) and Approx-BP (regelu2 +
//! ms-layernorm) layers; median wall time and env-steps/s, plus GPU time per dispatch. Under `cargo test` it runs
//! one small iteration of each env.

use wgrl::gpu::bench;
use wgrl::rl::Trainer;
use wgrl::rl::config::{Overrides, resolve};

fn main() {
    // SAFETY: first in main, before any other thread exists.
    let ctx = unsafe { bench::bench_context() };
    let smoke = bench::smoke_mode();
    // A residual policy (width 64, 2 blocks, expansion 4) with exact layers beside
    // Approx-BP ones: the iteration's cost of the memory savings.
    let residual = [
        "model.arch=residual",
        "model.width=64",
        "model.blocks=2",
        "model.expansion=4",
    ];
    let exact: Vec<&str> = residual
        .iter()
        .copied()
        .chain(["model.activation=gelu", "model.norm=layernorm"])
        .collect();
    let approx: Vec<&str> = residual
        .iter()
        .copied()
        .chain(["model.activation=regelu2", "model.norm=ms-layernorm"])
        .collect();
    let runs: Vec<(&str, &str, u32, &[&str])> = if smoke {
        vec![
            ("CartPole-v1", "cartpole", 1, &[]),
            ("Pendulum-v1", "pendulum", 1, &[]),
            ("CartPole-v1", "cartpole-residual-approx", 1, &approx),
        ]
    } else {
        vec![
            ("CartPole-v1", "cartpole", 1, &[]),
            ("CartPole-v1", "cartpole", 4, &[]),
            ("Pendulum-v1", "pendulum", 4, &[]),
            ("CartPole-v1", "cartpole-residual-exact", 1, &exact),
            ("CartPole-v1", "cartpole-residual-approx", 1, &approx),
        ]
    };
    for (env, label, agents, model) in runs {
        let mut sets: Vec<String> = model.iter().map(|s| s.to_string()).collect();
        if smoke {
            sets.extend([
                "ppo.envs=4".to_string(),
                "ppo.steps=8".to_string(),
                "ppo.minibatches=2".to_string(),
            ]);
        }
        let cfg = resolve(&Overrides {
            env: Some(env.into()),
            agents: Some(agents),
            sets,
            ..Default::default()
        })
        .expect("preset");
        let mut trainer = Trainer::new(&ctx, &cfg).expect("trainer");
        let samples = if smoke { 1 } else { 10 };
        let mut times = Vec::new();
        for _ in 0..samples + 1 {
            // profile_iteration submits one whole iteration and waits for it.
            let t = std::time::Instant::now();
            let profile = trainer.profile_iteration().expect("iteration");
            times.push((t.elapsed().as_secs_f64(), profile));
        }
        times.remove(0); // warm-up
        let wall: Vec<f64> = times.iter().map(|t| t.0).collect();
        let median = bench::median(&wall);
        let steps = (cfg.batch_per_agent() * agents as u64) as f64;
        println!(
            "ppo/iteration/{label} x{agents}: {} dispatches, median {:.2} ms, {:.0} env-steps/s",
            trainer.dispatches_per_iteration(),
            median * 1e3,
            steps / median
        );
        if let Some((_, profile)) = times.last() {
            for (label, ns) in profile {
                println!("    {label}: {:.3} ms GPU", ns * 1e-6);
            }
        }
    }
}
