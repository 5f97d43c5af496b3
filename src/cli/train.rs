//! `wgrl train`: resolve the config, train, and write the run folder
//! (`config.toml`, `metrics.csv`, `checkpoint.wgrl`, `learning_curve.svg`,
//! `summary.json`).

use crate::DeviceArgs;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use wgrl::rl::output::CONFIG_FILE;
use wgrl::rl::{
    AdapterSummary, Checkpoint, LogPoint, MemorySummary, MetricsCsv, MetricsRow, OutputError,
    Overrides, RunDir, Summary, TrainConfig, TrainError, Trainer, env_descriptor,
    plot_learning_curve, resolve_with_preset,
};

/// Arguments of `wgrl train`.
#[derive(Args, Debug)]
pub struct TrainArgs {
    /// Env to train on (default: the config file's, else CartPole-v1). Also picks the
    /// env's default preset when --preset is not given.
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    /// A custom env's manifest (TOML naming a WGSL module) to train on instead of a
    /// built-in env; see examples/custom_env.
    #[arg(long, value_name = "PATH.toml", conflicts_with = "env")]
    pub env_file: Option<PathBuf>,
    /// Built-in hyper-parameter preset: cartpole, cartpole-purejaxrl (default: the env's own).
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// TOML config file layered over the preset (for example a run folder's config.toml).
    #[arg(long, value_name = "FILE.toml")]
    pub config: Option<PathBuf>,
    /// Independent agents trained side by side.
    #[arg(long, value_name = "K")]
    pub agents: Option<u32>,
    /// Seed of every random stream.
    #[arg(long, value_name = "S")]
    pub seed: Option<u32>,
    /// Env steps to train for, per agent.
    #[arg(long, value_name = "N")]
    pub total_steps: Option<u64>,
    /// Run folder (default: runs/<env>-<preset>-seed<seed>-<unix time>).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Override one config key, e.g. --set ppo.lr=1e-3 --set ppo.envs=64 (repeatable;
    /// later ones win; explicit flags win over all).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub sets: Vec<String>,
    /// No progress bar or per-log-point lines; only the final summary line.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The default run folder: `runs/<env>-<preset or custom>-seed<seed>-<unix time>`.
fn default_out(config: &TrainConfig, preset: Option<&str>) -> PathBuf {
    let unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    PathBuf::from("runs").join(format!(
        "{}-{}-seed{}-{unix}",
        clean(&config.env),
        clean(preset.unwrap_or("custom")),
        config.seed
    ))
}

/// What the log-point callback collects.
struct Progress {
    csv: MetricsCsv,
    csv_error: Option<OutputError>,
    points: Vec<(u64, Vec<Option<f64>>)>,
    last: Option<LogPoint>,
    solved: Option<(u64, f64)>,
    threshold: Option<f64>,
    bar: ProgressBar,
    plain: bool,
    total_steps: u64,
}

impl Progress {
    fn log(&mut self, lp: &LogPoint) {
        let returns = lp.running_returns();
        if self.csv_error.is_none() {
            let row = MetricsRow {
                iteration: lp.iteration,
                env_steps: lp.env_steps,
                wall_seconds: lp.wall_seconds,
                steps_per_second: lp.steps_per_second,
                returns: returns.clone(),
                episodes: lp.agents.iter().map(|a| a.episodes as u64).sum(),
                bad_obs: lp.agents.iter().map(|a| a.bad_obs as u64).sum(),
                policy_loss: lp.mean_of(|a| a.policy_loss),
                value_loss: lp.mean_of(|a| a.value_loss),
                entropy: lp.mean_of(|a| a.entropy),
                approx_kl: lp.mean_of(|a| a.approx_kl),
                clip_frac: lp.mean_of(|a| a.clip_frac),
                lr: lp.agents.first().map_or(0.0, |a| a.lr as f64),
            };
            if let Err(e) = self.csv.append(&row) {
                self.csv_error = Some(e);
            }
        }
        if self.solved.is_none() && self.threshold.is_some_and(|t| lp.solved(t)) {
            self.solved = Some((lp.env_steps, lp.wall_seconds));
        }
        let msg = format!(
            "{} steps/s, return {}",
            super::rate(lp.steps_per_second),
            super::ret(lp.mean_return())
        );
        self.bar.set_position(lp.env_steps);
        if self.plain {
            let pct = 100.0 * lp.env_steps as f64 / self.total_steps.max(1) as f64;
            eprintln!(
                "iteration {}: {}/{} env steps per agent ({pct:.0}%), {:.1} s, {msg}",
                lp.iteration, lp.env_steps, self.total_steps, lp.wall_seconds
            );
        }
        self.bar.set_message(msg);
        self.points.push((lp.env_steps, returns));
        self.last = Some(lp.clone());
    }
}

fn progress_bar(total: u64, visible: bool) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] [{wide_bar}] {human_pos}/{human_len} steps (eta {eta}) {msg}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message("waiting for the first log point");
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Runs `wgrl train`.
pub fn run(args: TrainArgs, device: &DeviceArgs, start: Instant) -> anyhow::Result<()> {
    // Everything the user gave is checked before any file is created.
    let resolved = resolve_with_preset(&Overrides {
        env: args.env.clone(),
        env_file: args
            .env_file
            .as_ref()
            .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone())),
        preset: args.preset.clone(),
        config_file: args.config.clone(),
        sets: args.sets.clone(),
        agents: args.agents,
        seed: args.seed,
        total_steps: args.total_steps,
    })?;
    let mut config = resolved.config;
    // A custom env is loaded and checked here, before any file is created.
    let desc = env_descriptor(&config)?;
    config.env = desc.name.clone();
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(&config, resolved.preset.as_deref()));
    let ctx = crate::context(device)?;
    // The env loaded and checked above, not loaded a second time.
    let mut trainer = Trainer::with_env(&ctx, &config, desc.clone())?;

    let run = RunDir::create(&out)?;
    run.write(CONFIG_FILE, config.to_toml_string().as_bytes())?;
    let csv = MetricsCsv::create(&run.metrics_path(), config.agents)?;

    let iterations = config.iterations();
    let total_steps = iterations * config.batch_per_agent();
    let visible = !args.quiet && std::io::stderr().is_terminal();
    if !args.quiet {
        eprintln!(
            "training {} with {} (preset {}): {} x {} envs, {iterations} iterations of {} env steps, \
             {total_steps} env steps per agent, on {} ({}); run folder {}",
            config.env,
            config.algo,
            resolved.preset.as_deref().unwrap_or("none"),
            super::agents(config.agents),
            config.ppo.envs,
            config.batch_per_agent(),
            ctx.adapter().name,
            ctx.adapter().backend,
            run.path().display()
        );
    }
    let mut progress = Progress {
        csv,
        csv_error: None,
        points: Vec::new(),
        last: None,
        solved: None,
        threshold: desc.solved_threshold.map(f64::from),
        bar: progress_bar(total_steps, visible),
        plain: !args.quiet && !visible,
        total_steps,
    };

    let result = trainer.train(|lp| progress.log(lp));
    let train_end = start.elapsed().as_secs_f64();
    let (host_readbacks, blocking_waits) = (ctx.host_readbacks(), ctx.blocking_waits());
    progress.bar.finish_and_clear();

    let base =
        |total_steps: u64, iterations: u64, steps_per_second: f64, last: &LogPoint| Summary {
            env: config.env.clone(),
            algo: config.algo.clone(),
            agents: config.agents,
            seed: config.seed,
            total_steps,
            iterations,
            wall_seconds: train_end,
            steps_per_second,
            adapter: AdapterSummary::from(ctx.adapter()),
            final_return_mean: last.mean_return(),
            final_return_per_agent: last.running_returns(),
            solved_threshold: desc.solved_threshold.map(f64::from),
            solved_at_step: None,
            solved_at_seconds: None,
            host_readbacks,
            blocking_waits,
            memory: MemorySummary::new(&trainer.memory_report(), trainer.activation_memory()),
            bad_observations: last.agents.iter().map(|a| a.bad_obs as u64).sum(),
        };
    let title = format!(
        "{} — {}, {}, seed {}",
        config.env,
        config.algo.to_uppercase(),
        super::agents(config.agents),
        config.seed
    );

    let report = match result {
        Ok(report) => report,
        Err(e @ TrainError::Diverged { .. }) => {
            // Keep what is good: the last finite state, the metrics and the curve so far.
            let mut kept = Vec::new();
            if config.log.checkpoint {
                match trainer.last_good_checkpoint() {
                    Ok(Some(ck)) => match ck.save(&run.checkpoint_path()) {
                        Ok(()) => kept.push(format!(
                            "the last good checkpoint (iteration {}) in {}",
                            ck.iteration,
                            run.checkpoint_path().display()
                        )),
                        Err(save) => kept.push(format!("no checkpoint (saving it failed: {save})")),
                    },
                    Ok(None) => {}
                    Err(read) => kept.push(format!("no checkpoint (reading it failed: {read})")),
                }
            }
            if plot_learning_curve(
                &run.curve_path(),
                &title,
                &progress.points,
                desc.solved_threshold.map(f64::from),
            )
            .is_ok()
            {
                kept.push(format!(
                    "the learning curve so far in {}",
                    run.curve_path().display()
                ));
            }
            if let Some(last) = &progress.last {
                let mut s = base(last.env_steps, last.iteration, last.steps_per_second, last);
                (s.solved_at_step, s.solved_at_seconds) =
                    (progress.solved.map(|s| s.0), progress.solved.map(|s| s.1));
                if s.write(&run.summary_path()).is_ok() {
                    kept.push(format!("a summary in {}", run.summary_path().display()));
                }
            }
            kept.push(format!("the metrics in {}", run.metrics_path().display()));
            anyhow::bail!("{e}. Kept {}", kept.join(", "));
        }
        Err(e) => return Err(e.into()),
    };

    let mut saved_checkpoint: Option<PathBuf> = None;
    if config.log.checkpoint {
        let ck: Checkpoint = trainer.checkpoint()?;
        ck.save(&run.checkpoint_path())?;
        saved_checkpoint = Some(run.checkpoint_path());
    }
    plot_learning_curve(
        &run.curve_path(),
        &title,
        &progress.points,
        desc.solved_threshold.map(f64::from),
    )?;
    let mut summary = base(
        report.env_steps,
        report.iterations,
        report.steps_per_second,
        &report.last,
    );
    summary.solved_at_step = report.solved_at_step;
    summary.solved_at_seconds = report.solved_at_seconds;
    summary.write(&run.summary_path())?;
    if summary.bad_observations > 0 {
        eprintln!(
            "warning: {} rollout steps had a NaN or infinite observation from {}; the network saw 0 \
             in their place and those envs were reset (column bad_obs in metrics.csv). Check env_observe \
             and env_step for divisions by zero or unbounded growth.",
            summary.bad_observations, config.env
        );
    }
    if let Some(e) = progress.csv_error {
        return Err(e.into());
    }

    if let Some(ck) = &saved_checkpoint {
        println!(
            "evaluate with: wgrl eval --checkpoint {}",
            shell_path(ck.as_path())
        );
    }
    println!(
        "{}: {} x {} env steps in {train_end:.1} s ({} steps/s); final mean return {}; {}; \
         adapter {} ({}); blocking waits between log points {}; run folder {}",
        config.env,
        super::agents(config.agents),
        report.env_steps,
        super::rate(report.steps_per_second),
        super::ret(summary.final_return_mean),
        super::solved(
            summary.solved_threshold,
            report.solved_at_step,
            report.solved_at_seconds
        ),
        ctx.adapter().name,
        ctx.adapter().backend,
        report.blocking_waits_between_log_points,
        run.path().display()
    );
    Ok(())
}

/// A path as it can be pasted into a shell (quoted when it has unusual characters).
fn shell_path(p: &Path) -> String {
    let s = p.display().to_string();
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./+:=@".contains(c))
    {
        s
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}
