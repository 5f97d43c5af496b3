//! The `wgrl` command line: adapter info and benchmarks (training arrives with PPO).

use clap::{Args, Parser, Subcommand};
use std::process::ExitCode;
use std::time::Instant;
use wgrl::envs::{self, builtin};
use wgrl::gpu::{Context, ContextOptions};

#[derive(Parser)]
#[command(
    name = "wgrl",
    version,
    about = "GPU-first reinforcement learning in WGSL, on any wgpu adapter"
)]
struct Cli {
    #[command(flatten)]
    device: DeviceArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct DeviceArgs {
    /// Use the adapter whose name contains this text (default: WGPU_ADAPTER_NAME, else the best GPU).
    #[arg(long, global = true)]
    adapter: Option<String>,
    /// Restrict to a backend: vulkan, metal, dx12, gl (default: WGPU_BACKEND, else all).
    #[arg(long, global = true)]
    backend: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Print the adapter, backend, limits and features the engine will use.
    Info {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Step envs with random actions and auto-reset; print env-steps per second.
    Env {
        /// Env name.
        #[arg(long, default_value = "CartPole-v1")]
        env: String,
        /// Envs stepped in parallel.
        #[arg(long, default_value_t = 65536)]
        envs: u32,
        /// Steps per env per dispatch.
        #[arg(long, default_value_t = 500)]
        steps: u32,
        /// Timed dispatches (the median is reported).
        #[arg(long, default_value_t = 10)]
        samples: usize,
        /// Make the last line one JSON object.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let start = Instant::now();
    let cli = Cli::parse();
    match run(cli, start) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn context(args: &DeviceArgs) -> anyhow::Result<Context> {
    let backends = match args.backend.as_deref() {
        None => None,
        Some(b) => Some(wgpu::Backends::from_comma_list(b))
            .filter(|b| !b.is_empty())
            .map(Some)
            .ok_or_else(|| {
                anyhow::anyhow!("unknown backend '{b}'; use one of vulkan, metal, dx12, gl")
            })?,
    };
    let options = ContextOptions {
        backends,
        adapter_name: args.adapter.clone(),
        ..ContextOptions::default()
    };
    Ok(Context::new(&options)?)
}

fn run(cli: Cli, start: Instant) -> anyhow::Result<()> {
    match cli.command {
        Command::Info { json } => info(&context(&cli.device)?, json),
        Command::Bench {
            what:
                BenchCommand::Env {
                    env,
                    envs,
                    steps,
                    samples,
                    json,
                },
        } => {
            let desc = builtin(&env)?;
            if envs == 0 || steps == 0 || samples == 0 {
                anyhow::bail!(
                    "--envs, --steps and --samples must be at least 1 (got {envs}, {steps}, {samples})"
                );
            }
            let ctx = context(&cli.device)?;
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
            println!("adapter: {} ({})", r.adapter, r.backend);
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
    }
}

fn info(ctx: &Context, json: bool) -> anyhow::Result<()> {
    let a = ctx.adapter();
    let l = ctx.limits();
    let limits = serde_json::json!({
        "max_storage_buffer_binding_size": l.max_storage_buffer_binding_size,
        "max_buffer_size": l.max_buffer_size,
        "max_storage_buffers_per_shader_stage": l.max_storage_buffers_per_shader_stage,
        "max_compute_workgroups_per_dimension": l.max_compute_workgroups_per_dimension,
        "max_compute_invocations_per_workgroup": l.max_compute_invocations_per_workgroup,
        "max_compute_workgroup_storage_size": l.max_compute_workgroup_storage_size,
        "min_storage_buffer_offset_alignment": l.min_storage_buffer_offset_alignment,
        "min_uniform_buffer_offset_alignment": l.min_uniform_buffer_offset_alignment,
    });
    let features: Vec<String> = ctx
        .features()
        .iter_names()
        .map(|(n, _)| n.to_string())
        .collect();
    if json {
        let v = serde_json::json!({
            "adapter": a,
            "limits": limits,
            "features": features,
            "timestamps": ctx.has_timestamps(),
            "envs": envs::BUILTIN_ENVS,
        });
        println!("{}", serde_json::to_string(&v)?);
        return Ok(());
    }
    println!("adapter:     {}", a.name);
    println!("backend:     {}", a.backend);
    println!("device type: {}", a.device_type);
    println!("driver:      {}", a.driver);
    println!("limits:");
    for (k, v) in limits.as_object().into_iter().flatten() {
        println!("  {k:<40} {v}");
    }
    println!(
        "features:    {}",
        if features.is_empty() {
            "(none)".to_string()
        } else {
            features.join(", ")
        }
    );
    println!(
        "timestamps:  {}",
        if ctx.has_timestamps() {
            "yes (kernel profiling available)"
        } else {
            "no"
        }
    );
    println!("envs:        {}", envs::BUILTIN_ENVS.join(", "));
    Ok(())
}
