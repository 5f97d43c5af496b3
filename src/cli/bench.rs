//! `wgrl bench env` (env stepping throughput), `wgrl bench ppo` (full PPO
//! training runs of the built-in presets) and `wgrl bench memory` (the PPO
//! update's saved activations and peak arena, exact against Approx-BP layers).

use crate::DeviceArgs;
use clap::Args;
use serde::Serialize;
use std::time::Instant;
use wgrl::envs::{self, builtin};
use wgrl::rl::{Overrides, Trainer, resolve_with_preset};

/// Arguments of `wgrl bench env`.
#[derive(Args, Debug)]
pub struct BenchEnvArgs {
    /// Env name.
    #[arg(long, default_value = "CartPole-v1")]
    pub env: String,
    /// A custom env's manifest to bench instead of a built-in env.
    #[arg(long, value_name = "PATH.toml")]
    pub env_file: Option<std::path::PathBuf>,
    /// Envs stepped in parallel.
    #[arg(long, default_value_t = 65536)]
    pub envs: u32,
    /// Steps per env per dispatch.
    #[arg(long, default_value_t = 500)]
    pub steps: u32,
    /// Timed dispatches (the median is reported).
    #[arg(long, default_value_t = 10)]
    pub samples: usize,
    /// Make the last line one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Runs `wgrl bench env`.
pub fn env(args: BenchEnvArgs, device: &DeviceArgs, start: Instant) -> anyhow::Result<()> {
    let BenchEnvArgs {
        env,
        env_file,
        envs,
        steps,
        samples,
        json,
    } = args;
    let desc = match &env_file {
        Some(path) => envs::custom::load(path)?,
        None => builtin(&env)?,
    };
    if envs == 0 || steps == 0 || samples == 0 {
        anyhow::bail!(
            "--envs, --steps and --samples must be at least 1 (got {envs}, {steps}, {samples})"
        );
    }
    let ctx = crate::context(device)?;
    // Start-up cost: process start to the first dispatch done (env reset).
    let first = envs::VecEnv::new(
        &ctx,
        &desc,
        envs::VecEnvConfig {
            agents: 1,
            envs: 1,
            seed: 0,
        },
    )?;
    ctx.wait()?;
    let startup_ms = start.elapsed().as_secs_f64() * 1e3;
    drop(first);
    let r = envs::bench::env_throughput(&ctx, &desc, envs, steps, samples)?;
    println!(
        "adapter: {} ({}{})",
        r.adapter,
        r.backend,
        wgrl::gpu::llvmpipe::adapter_note(&ctx)
    );
    println!("startup to first dispatch: {startup_ms:.0} ms");
    println!(
        "{}: {} envs x {} steps, median {:.2} ms per dispatch: {:.1} M env-steps/s",
        r.env,
        r.envs,
        r.steps,
        r.median_seconds * 1e3,
        r.steps_per_second / 1e6
    );
    if let (Some(ms), Some(sps)) = (r.gpu_ms_per_dispatch, r.gpu_steps_per_second) {
        println!(
            "GPU time (timestamps): {ms:.2} ms per dispatch: {:.1} M env-steps/s",
            sps / 1e6
        );
    }
    if json {
        let mut v = serde_json::to_value(&r)?;
        v["startup_to_first_dispatch_ms"] = serde_json::json!(startup_ms);
        println!("{}", serde_json::to_string(&v)?);
    }
    Ok(())
}

/// The presets `wgrl bench ppo` runs by default, in order.
pub const PPO_PRESETS: &[&str] = &["cartpole-purejaxrl", "cartpole"];

/// Arguments of `wgrl bench ppo`.
#[derive(Args, Debug)]
pub struct BenchPpoArgs {
    /// Agents trained side by side (default: each preset's).
    #[arg(long, value_name = "K")]
    pub agents: Option<u32>,
    /// Preset to run (repeatable; default: cartpole-purejaxrl, then cartpole).
    #[arg(long = "preset", value_name = "NAME")]
    pub presets: Vec<String>,
    /// Env steps per agent instead of each preset's total_steps (for quick smoke runs).
    #[arg(long, value_name = "N")]
    pub total_steps: Option<u64>,
    /// Make the last line one JSON object: {"adapter": ..., "results": [...]}.
    #[arg(long)]
    pub json: bool,
}

/// GPU time of one dispatch of an iteration.
#[derive(Debug, Serialize)]
struct DispatchTime {
    label: String,
    ms: f64,
}

/// One preset's result.
#[derive(Debug, Serialize)]
struct PpoBenchResult {
    preset: String,
    env: String,
    agents: u32,
    /// Env steps per agent.
    env_steps: u64,
    iterations: u64,
    /// The first preset's wall time runs from process start (start-up, adapter,
    /// kernel compilation included); later ones from just before `Trainer::new`.
    wall_seconds: f64,
    wall_from_process_start: bool,
    /// Env steps per second of training, all agents together.
    steps_per_second: f64,
    final_return_mean: Option<f64>,
    solved_threshold: Option<f64>,
    solved_at_step: Option<u64>,
    solved_at_seconds: Option<f64>,
    dispatches_per_iteration: usize,
    /// Per-dispatch GPU times of one profiled iteration (empty without timestamps).
    gpu_ms_per_dispatch: Vec<DispatchTime>,
    gpu_ms_per_iteration: Option<f64>,
    adapter: String,
}

/// Runs `wgrl bench ppo`.
pub fn ppo(args: BenchPpoArgs, device: &DeviceArgs, start: Instant) -> anyhow::Result<()> {
    let names: Vec<String> = if args.presets.is_empty() {
        PPO_PRESETS.iter().map(|s| s.to_string()).collect()
    } else {
        args.presets.clone()
    };
    // Resolve (and so validate) every preset before touching the GPU.
    let configs = names
        .iter()
        .map(|name| {
            let r = resolve_with_preset(&Overrides {
                preset: Some(name.clone()),
                agents: args.agents,
                total_steps: args.total_steps,
                ..Overrides::default()
            })?;
            builtin(&r.config.env)?;
            Ok((name.clone(), r.config))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let ctx = crate::context(device)?;
    let adapter = ctx.adapter().clone();
    println!(
        "adapter: {} ({}{})",
        adapter.name,
        adapter.backend,
        wgrl::gpu::llvmpipe::adapter_note(&ctx)
    );
    let mut results = Vec::with_capacity(configs.len());
    for (i, (name, config)) in configs.into_iter().enumerate() {
        let t0 = if i == 0 { start } else { Instant::now() };
        let mut trainer = Trainer::new(&ctx, &config)?;
        let report = trainer.train(|_| {})?;
        let wall = t0.elapsed().as_secs_f64();
        let dispatches = trainer.dispatches_per_iteration();
        let profile: Vec<DispatchTime> = trainer
            .profile_iteration()?
            .into_iter()
            .map(|(label, ns)| DispatchTime {
                label,
                ms: ns * 1e-6,
            })
            .collect();
        let gpu_total = (!profile.is_empty()).then(|| profile.iter().map(|d| d.ms).sum::<f64>());
        let r = PpoBenchResult {
            preset: name,
            env: config.env.clone(),
            agents: config.agents,
            env_steps: report.env_steps,
            iterations: report.iterations,
            wall_seconds: wall,
            wall_from_process_start: i == 0,
            steps_per_second: report.steps_per_second,
            final_return_mean: report.last.mean_return(),
            solved_threshold: trainer.env().solved_threshold.map(f64::from),
            solved_at_step: report.solved_at_step,
            solved_at_seconds: report.solved_at_seconds,
            dispatches_per_iteration: dispatches,
            gpu_ms_per_dispatch: profile,
            gpu_ms_per_iteration: gpu_total,
            adapter: adapter.name.clone(),
        };
        println!(
            "{}: {} x {} env steps ({} iterations) in {:.1} s {}; {} steps/s while training; \
             final mean return {}; {}; {} dispatches per iteration",
            r.preset,
            super::agents(r.agents),
            r.env_steps,
            r.iterations,
            r.wall_seconds,
            if r.wall_from_process_start {
                "from process start"
            } else {
                "from trainer creation"
            },
            super::rate(r.steps_per_second),
            super::ret(r.final_return_mean),
            super::solved(r.solved_threshold, r.solved_at_step, r.solved_at_seconds),
            r.dispatches_per_iteration
        );
        if r.gpu_ms_per_dispatch.is_empty() {
            println!("  GPU time per dispatch: unavailable (the adapter has no timestamp queries)");
        } else {
            let parts: Vec<String> = r
                .gpu_ms_per_dispatch
                .iter()
                .enumerate()
                .map(|(i, d)| format!("#{i} {} {:.3} ms", d.label, d.ms))
                .collect();
            println!(
                "  GPU time per dispatch: {} (iteration total {:.3} ms)",
                parts.join(", "),
                r.gpu_ms_per_iteration.unwrap_or(0.0)
            );
        }
        results.push(r);
    }
    if args.json {
        let v = serde_json::json!({
            "adapter": adapter.name,
            "backend": adapter.backend,
            "device_type": adapter.device_type,
            "results": results,
        });
        println!("{}", serde_json::to_string(&v)?);
    }
    Ok(())
}

/// Arguments of `wgrl bench memory`.
#[derive(Args, Debug)]
pub struct BenchMemoryArgs {
    /// Env whose observations and actions size the networks.
    #[arg(long, default_value = "CartPole-v1")]
    pub env: String,
    /// Residual width H.
    #[arg(long, default_value_t = 256)]
    pub width: u32,
    /// Residual blocks.
    #[arg(long, default_value_t = 2)]
    pub blocks: u32,
    /// Block expansion m (inner layers of m x H units).
    #[arg(long, default_value_t = 4)]
    pub expansion: u32,
    /// Envs per agent.
    #[arg(long, default_value_t = 256)]
    pub envs: u32,
    /// Rollout steps.
    #[arg(long, default_value_t = 128)]
    pub steps: u32,
    /// Minibatches per epoch (the minibatch is envs x steps / minibatches: 8192 by default).
    #[arg(long, default_value_t = 4)]
    pub minibatches: u32,
    /// Make the last line one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// The two models `wgrl bench memory` compares: (label, activation, norm).
const MEMORY_VARIANTS: [(&str, &str, &str); 2] = [
    ("exact", "gelu", "layernorm"),
    ("approx", "regelu2", "ms-layernorm"),
];

/// Runs `wgrl bench memory`: plans the PPO update of a residual policy with exact
/// (gelu + layernorm) and Approx-BP (regelu2 + ms-layernorm) layers and prints
/// the saved activations per layer and the arena's peak for each.
pub fn memory(args: BenchMemoryArgs) -> anyhow::Result<()> {
    let mut results = Vec::new();
    for (label, act, norm) in MEMORY_VARIANTS {
        let mut c = wgrl::rl::TrainConfig {
            env: args.env.clone(),
            ..Default::default()
        };
        c.ppo.envs = args.envs;
        c.ppo.steps = args.steps;
        c.ppo.minibatches = args.minibatches;
        c.model.arch = "residual".into();
        c.model.width = args.width;
        c.model.blocks = args.blocks;
        c.model.expansion = args.expansion;
        c.model.activation = act.into();
        c.model.norm = norm.into();
        // A plan, not an allocation: no page limit, so models larger than this
        // machine's bindings can be compared; 256-byte slot alignment as on most GPUs.
        let limits = unbounded_plan_limits();
        let m = wgrl::rl::trainer::plan_memory(&c, &limits)?;
        if results.is_empty() {
            println!(
                "PPO update of a residual policy on {}: width {}, {} blocks, expansion {}, minibatch {} (planned, 1 agent)",
                c.env,
                c.model.width,
                c.model.blocks,
                c.model.expansion,
                c.ppo.envs * c.ppo.steps / c.ppo.minibatches
            );
        }
        println!("\n{act} + {norm} ({label}):\n{}", m.activations);
        println!(
            "peak arena: {} ({} bytes)",
            wgrl::gpu::fmt_bytes(m.arena.total_bytes),
            m.arena.total_bytes
        );
        results.push(m);
    }
    let (e, a) = (&results[0], &results[1]);
    let drop = |x: u64, y: u64| 100.0 * (1.0 - y as f64 / x as f64);
    let (act_e, act_a) = (e.activations.saved_bytes(), a.activations.saved_bytes());
    let (peak_e, peak_a) = (e.arena.total_bytes, a.arena.total_bytes);
    println!(
        "\nregelu2 + ms-layernorm against gelu + layernorm: saved activations {:.1}% lower, peak arena {:.1}% lower",
        drop(act_e, act_a),
        drop(peak_e, peak_a)
    );
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "activation_bytes_exact": act_e,
                "activation_bytes_approx": act_a,
                "peak_bytes_exact": peak_e,
                "peak_bytes_approx": peak_a,
            })
        );
    }
    Ok(())
}

fn unbounded_plan_limits() -> wgrl::gpu::ArenaLimits {
    wgrl::gpu::ArenaLimits {
        page_bytes: u64::MAX / 4,
        alignment: 256,
        uniform_bytes: u64::MAX / 4,
        budget_bytes: None,
    }
}
