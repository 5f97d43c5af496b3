//! `wgrl eval`: greedy episodes of a checkpoint's agents.

use crate::DeviceArgs;
use clap::Args;
use std::path::PathBuf;
use wgrl::rl::{Checkpoint, GridAxis, GridReport, evaluate, evaluate_grid, plot_heatmap};

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
    /// Evaluate over a grid of env parameter values instead: `name=lo:hi:n` gives n
    /// evenly spaced values (repeatable; the grid is the product). Prints a table of
    /// returns per point; with two parameters it also writes a heatmap.
    #[arg(long = "grid", value_name = "NAME=LO:HI:N")]
    pub grid: Vec<String>,
    /// Where the two-parameter heatmap goes (default: grid_<a>_<b>.svg beside the checkpoint).
    #[arg(long, value_name = "FILE.svg")]
    pub heatmap: Option<PathBuf>,
    /// The custom env's manifest, when the checkpoint's `env_file` path has moved.
    #[arg(long, value_name = "PATH.toml")]
    pub env_file: Option<PathBuf>,
}

/// Runs `wgrl eval`.
pub fn run(args: EvalArgs, device: &DeviceArgs) -> anyhow::Result<()> {
    if args.episodes == 0 {
        anyhow::bail!("--episodes must be at least 1 (got 0)");
    }
    // Parse the grid before touching the GPU.
    let axes = args
        .grid
        .iter()
        .map(|g| GridAxis::parse(g))
        .collect::<Result<Vec<_>, _>>()?;
    if args.heatmap.is_some() && axes.len() != 2 {
        anyhow::bail!(
            "--heatmap needs exactly two --grid parameters (got {})",
            axes.len()
        );
    }
    let mut ck = Checkpoint::load(&args.checkpoint)?;
    if let Some(f) = &args.env_file {
        ck.config.env_file = Some(f.display().to_string());
    }
    let ctx = crate::context(device)?;
    if !axes.is_empty() {
        let report = evaluate_grid(&ctx, &ck, &axes, args.episodes, args.seed)?;
        return print_grid(&args, &ck, &report);
    }
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

/// Prints a grid evaluation as a table and, for two parameters, writes a heatmap.
fn print_grid(args: &EvalArgs, ck: &Checkpoint, report: &GridReport) -> anyhow::Result<()> {
    let names: Vec<&str> = report.axes.iter().map(|a| a.name.as_str()).collect();
    println!(
        "{}: greedy returns over a grid of {} ({} points x {} agents x {} episodes, eval seed {})",
        ck.config.env,
        names.join(" x "),
        report.points.len(),
        ck.config.agents,
        args.episodes,
        args.seed
    );
    let width = names.iter().map(|n| n.len().max(10)).collect::<Vec<_>>();
    let mut header = String::new();
    for (n, w) in names.iter().zip(&width) {
        header.push_str(&format!("{n:>w$}  "));
    }
    println!("{header}{:>10}  {:>10}  {:>10}", "mean", "min", "max");
    for p in &report.points {
        let mut row = String::new();
        for (v, w) in p.values.iter().zip(&width) {
            row.push_str(&format!("{v:>w$.4}  "));
        }
        println!(
            "{row}{:>10.1}  {:>10.1}  {:>10.1}",
            p.mean(),
            p.min(),
            p.max()
        );
    }
    if let [y, x] = &report.axes[..] {
        let path = args.heatmap.clone().unwrap_or_else(|| {
            args.checkpoint
                .parent()
                .unwrap_or(std::path::Path::new("."))
                .join(format!("grid_{}_{}.svg", y.name, x.name))
        });
        let means: Vec<f64> = report.points.iter().map(|p| p.mean()).collect();
        let title = format!("{}: mean greedy return", ck.config.env);
        plot_heatmap(
            &path,
            &title,
            (&x.name, &x.values),
            (&y.name, &y.values),
            &means,
        )?;
        println!("heatmap: {}", path.display());
    }
    Ok(())
}
