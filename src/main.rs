//! The `wgrl` command line: `info`, `train`, `eval`, `bench env`, `bench ppo`.

mod cli;

use clap::{Args, Parser, Subcommand};
use std::process::ExitCode;
use std::time::Instant;
use wgrl::envs;
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
pub(crate) struct DeviceArgs {
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
    /// Train agents with PPO and write a run folder (config.toml, metrics.csv,
    /// checkpoint.wgrl, learning_curve.svg, summary.json).
    Train(cli::train::TrainArgs),
    /// Run greedy episodes of a checkpoint's agents and print their returns.
    Eval(cli::eval::EvalArgs),
    /// Benchmarks.
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Step envs with random actions and auto-reset; print env-steps per second.
    Env(cli::bench::BenchEnvArgs),
    /// Train each built-in CartPole preset in full; print time, throughput and returns.
    Ppo(cli::bench::BenchPpoArgs),
    /// Plan a residual policy's PPO update with exact and Approx-BP layers; print
    /// saved activations per layer and peak arena bytes.
    Memory(cli::bench::BenchMemoryArgs),
}

fn main() -> ExitCode {
    let start = Instant::now();
    // SAFETY: the first thing in main, before any other thread exists.
    unsafe { wgrl::gpu::llvmpipe::use_engine_threads() };
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap's own "error: ..." text; --help and --version are not errors.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(cli, start) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The device context the global `--adapter` / `--backend` flags ask for.
pub(crate) fn context(args: &DeviceArgs) -> anyhow::Result<Context> {
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
        Command::Train(args) => cli::train::run(args, &cli.device, start),
        Command::Eval(args) => cli::eval::run(args, &cli.device),
        Command::Bench { what } => match what {
            BenchCommand::Env(args) => cli::bench::env(args, &cli.device, start),
            BenchCommand::Ppo(args) => cli::bench::ppo(args, &cli.device, start),
            BenchCommand::Memory(args) => cli::bench::memory(args),
        },
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
    // The compute pool size lavapipe runs with (null on other adapters).
    let llvmpipe_threads = ctx
        .is_llvmpipe()
        .then(|| std::env::var(wgrl::gpu::llvmpipe::THREADS_VAR).ok())
        .flatten();
    if json {
        let v = serde_json::json!({
            "adapter": a,
            "limits": limits,
            "features": features,
            "timestamps": ctx.has_timestamps(),
            "llvmpipe_threads": llvmpipe_threads,
            "envs": envs::BUILTIN_ENVS,
        });
        println!("{}", serde_json::to_string(&v)?);
        return Ok(());
    }
    println!("adapter:     {}", a.name);
    println!("backend:     {}", a.backend);
    println!("device type: {}", a.device_type);
    println!("driver:      {}", a.driver);
    if let Some(n) = &llvmpipe_threads {
        println!(
            "llvmpipe threads: {n} ({})",
            wgrl::gpu::llvmpipe::THREADS_VAR
        );
    }
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
