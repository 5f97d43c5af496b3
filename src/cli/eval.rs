//! `wgrl eval`: greedy episodes of a checkpoint's agents.

use crate::DeviceArgs;
use clap::Args;
use std::path::PathBuf;
use wgrl::rl::{Checkpoint, evaluate};

/// Arguments of `wgrl eval`.
#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Checkpoint written by `wgrl train` (a run folder's checkpoint.wgrl).
    #[arg(long, value_name = "PATH")]
    pub checkpoint: PathBuf,
    /// Greedy episodes per agent.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub episodes: u32,
    /// Seed of the evaluation env resets.
    #[arg(long, value_name = "S", default_value_t = 0)]
    pub seed: u32,
    /// The custom env's manifest, when the checkpoint's `env_file` path has moved.
    #[arg(long, value_name = "PATH.toml")]
    pub env_file: Option<PathBuf>,
}

/// Runs `wgrl eval`.
pub fn run(args: EvalArgs, device: &DeviceArgs) -> anyhow::Result<()> {
    if args.episodes == 0 {
        anyhow::bail!("--episodes must be at least 1 (got 0)");
    }
    let mut ck = Checkpoint::load(&args.checkpoint)?;
    if let Some(f) = &args.env_file {
        ck.config.env_file = Some(f.display().to_string());
    }
    let ctx = crate::context(device)?;
    let report = evaluate(&ctx, &ck, args.episodes, args.seed)?;
    let c = &ck.config;
    println!(
        "checkpoint {}: {} ({}), {}, seed {}, iteration {}, {} env steps per agent",
        args.checkpoint.display(),
        c.env,
        c.algo,
        super::agents(c.agents),
        c.seed,
        ck.iteration,
        ck.env_steps
    );
    println!(
        "{} greedy episodes per agent (eval seed {}) on {} ({})",
        args.episodes,
        args.seed,
        ctx.adapter().name,
        ctx.adapter().backend
    );
    let stats = |r: &[f32]| {
        let n = r.len().max(1) as f64;
        let mean = r.iter().map(|&x| x as f64).sum::<f64>() / n;
        let min = r.iter().copied().fold(f32::INFINITY, f32::min);
        let max = r.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        format!("mean {mean:.1}, min {min:.1}, max {max:.1}")
    };
    for (a, r) in report.returns.iter().enumerate() {
        println!("agent {a}: return {} over {} episodes", stats(r), r.len());
    }
    println!(
        "return over all {} episodes: mean {:.1}, min {:.1}, max {:.1}",
        report.all().count(),
        report.mean(),
        report.min(),
        report.max()
    );
    Ok(())
}
