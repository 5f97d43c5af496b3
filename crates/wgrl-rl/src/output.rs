//! The run folder `wgrl train` writes: `config.toml` (the resolved config),
//! `metrics.csv` (one row per log point), `summary.json`, `learning_curve.svg` and
//! checkpoints. Whole files are written atomically (temporary file, sync, rename),
//! so a crash never leaves a half-written one behind.

use crate::error::OutputError;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// File name of the resolved config in a run folder.
pub const CONFIG_FILE: &str = "config.toml";
/// File name of the metrics table in a run folder.
pub const METRICS_FILE: &str = "metrics.csv";
/// File name of the run summary in a run folder.
pub const SUMMARY_FILE: &str = "summary.json";
/// File name of the learning-curve picture in a run folder.
pub const CURVE_FILE: &str = "learning_curve.svg";
/// File name of the latest checkpoint in a run folder.
pub const CHECKPOINT_FILE: &str = "checkpoint.wgrl";

/// Writes `bytes` to `path` atomically: into `.<file>.tmp-<pid>` in the same folder,
/// flushed and synced, then renamed over `path`. On failure `path` is untouched and
/// the temporary file is removed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("'{}' does not name a file", path.display()),
        )
    })?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.flush()?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)
    })();
    match result {
        Ok(()) => {
            // Make the rename itself durable where the platform allows syncing a folder.
            #[cfg(unix)]
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
            Ok(())
        }
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// A run folder that exists and is writable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunDir {
    path: PathBuf,
}

impl RunDir {
    /// Creates the folder (and its parents) and checks it can be written to. An
    /// existing folder must be empty, so one run never mixes with another.
    pub fn create(path: &Path) -> Result<Self, OutputError> {
        let err = |e: io::Error| OutputError::RunDir {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        // A folder with files in it would mix this run's outputs with another's.
        if fs::read_dir(path).is_ok_and(|mut d| d.next().is_some()) {
            return Err(OutputError::RunDir {
                path: path.to_path_buf(),
                reason: "it already exists and is not empty (remove it)".into(),
            });
        }
        fs::create_dir_all(path).map_err(err)?;
        let probe = path.join(format!(".wgrl-write-probe-{}", std::process::id()));
        let written = fs::write(&probe, b"probe");
        let _ = fs::remove_file(&probe);
        written.map_err(err)?;
        Ok(RunDir {
            path: path.to_path_buf(),
        })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A file inside the folder.
    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// `config.toml` inside the folder.
    pub fn config_path(&self) -> PathBuf {
        self.join(CONFIG_FILE)
    }

    /// `metrics.csv` inside the folder.
    pub fn metrics_path(&self) -> PathBuf {
        self.join(METRICS_FILE)
    }

    /// `summary.json` inside the folder.
    pub fn summary_path(&self) -> PathBuf {
        self.join(SUMMARY_FILE)
    }

    /// `learning_curve.svg` inside the folder.
    pub fn curve_path(&self) -> PathBuf {
        self.join(CURVE_FILE)
    }

    /// `checkpoint.wgrl` inside the folder.
    pub fn checkpoint_path(&self) -> PathBuf {
        self.join(CHECKPOINT_FILE)
    }

    /// Writes a file inside the folder atomically.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<PathBuf, OutputError> {
        let path = self.join(name);
        write_atomic(&path, bytes).map_err(|e| write_error(&path, e))?;
        Ok(path)
    }
}

fn write_error(path: &Path, e: io::Error) -> OutputError {
    OutputError::Write {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// The mean of the agents that have a value; `None` when none has.
pub fn mean_return(returns: &[Option<f64>]) -> Option<f64> {
    let (sum, n) = returns
        .iter()
        .flatten()
        .fold((0.0, 0u32), |(s, n), r| (s + r, n + 1));
    (n > 0).then(|| sum / n as f64)
}

/// One log point: a row of `metrics.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricsRow {
    /// Iterations completed.
    pub iteration: u64,
    /// Env steps taken, per agent.
    pub env_steps: u64,
    /// Seconds since training started.
    pub wall_seconds: f64,
    /// Env steps per second over all agents.
    pub steps_per_second: f64,
    /// Per agent: running mean return of its last 100 episodes; `None` (an empty
    /// cell) until one has finished.
    pub returns: Vec<Option<f64>>,
    /// Episodes finished so far, over all agents.
    pub episodes: u64,
    /// Rollout steps so far, over all agents, whose observation was NaN or infinite
    /// (the env was reset and the network saw 0 instead): nonzero means an env bug.
    pub bad_obs: u64,
    /// Policy (clipped surrogate) loss of the last update, mean over agents.
    pub policy_loss: f64,
    /// Value loss of the last update, mean over agents.
    pub value_loss: f64,
    /// Policy entropy, mean over agents.
    pub entropy: f64,
    /// Approximate KL between old and new policy, mean over agents.
    pub approx_kl: f64,
    /// Fraction of samples whose ratio was clipped, mean over agents.
    pub clip_frac: f64,
    /// Learning rate of the last update (agent 0's when they differ).
    pub lr: f64,
}

/// `metrics.csv`: a header, then one line per log point, flushed as it is written
/// so that the file can be watched while training runs.
#[derive(Debug)]
pub struct MetricsCsv {
    path: PathBuf,
    agents: u32,
    out: BufWriter<File>,
}

impl MetricsCsv {
    /// Creates (or truncates) the file and writes the header.
    pub fn create(path: &Path, agents: u32) -> Result<Self, OutputError> {
        let file = File::create(path).map_err(|e| write_error(path, e))?;
        let mut csv = MetricsCsv {
            path: path.to_path_buf(),
            agents,
            out: BufWriter::new(file),
        };
        let header = Self::header(agents);
        csv.write_line(&header)?;
        Ok(csv)
    }

    /// The header line (without newline) for `agents` agents.
    pub fn header(agents: u32) -> String {
        let mut cols: Vec<String> = [
            "iteration",
            "env_steps",
            "wall_seconds",
            "steps_per_second",
            "return_mean",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        cols.extend((0..agents).map(|a| format!("return_agent_{a}")));
        cols.extend(
            [
                "episodes",
                "bad_obs",
                "policy_loss",
                "value_loss",
                "entropy",
                "approx_kl",
                "clip_frac",
                "lr",
            ]
            .iter()
            .map(|s| s.to_string()),
        );
        cols.join(",")
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one row and flushes it.
    pub fn append(&mut self, row: &MetricsRow) -> Result<(), OutputError> {
        if row.returns.len() != self.agents as usize {
            return Err(OutputError::Invalid(format!(
                "metrics row for iteration {} has {} per-agent returns but '{}' has columns for {} agents; \
                 pass one entry (None if no episode has finished) per agent",
                row.iteration,
                row.returns.len(),
                self.path.display(),
                self.agents
            )));
        }
        let cell = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
        let mut cols = vec![
            row.iteration.to_string(),
            row.env_steps.to_string(),
            row.wall_seconds.to_string(),
            row.steps_per_second.to_string(),
            cell(mean_return(&row.returns)),
        ];
        cols.extend(row.returns.iter().map(|r| cell(*r)));
        cols.extend([
            row.episodes.to_string(),
            row.bad_obs.to_string(),
            row.policy_loss.to_string(),
            row.value_loss.to_string(),
            row.entropy.to_string(),
            row.approx_kl.to_string(),
            row.clip_frac.to_string(),
            row.lr.to_string(),
        ]);
        self.write_line(&cols.join(","))
    }

    fn write_line(&mut self, line: &str) -> Result<(), OutputError> {
        writeln!(self.out, "{line}")
            .and_then(|_| self.out.flush())
            .map_err(|e| write_error(&self.path, e))
    }
}

/// The adapter a run used, as `summary.json` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AdapterSummary {
    /// Adapter name as the driver reports it.
    pub name: String,
    /// Backend: `vulkan`, `metal`, `dx12`, `gl`.
    pub backend: String,
    /// Device type: `discrete_gpu`, `integrated_gpu`, `virtual_gpu`, `cpu`, `other`.
    pub device_type: String,
}

impl From<&wgrl_gpu::AdapterReport> for AdapterSummary {
    fn from(a: &wgrl_gpu::AdapterReport) -> Self {
        AdapterSummary {
            name: a.name.clone(),
            backend: a.backend.clone(),
            device_type: a.device_type.clone(),
        }
    }
}

/// GPU memory a run allocated, as `summary.json` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MemorySummary {
    /// Bytes of all arena pages (the peak: nothing is allocated after start-up).
    pub total_bytes: u64,
    /// Bytes per category (`params`, `rollout`, ...).
    pub by_category: BTreeMap<String, u64>,
    /// Bytes the PPO update keeps from forward to backward, all agents.
    pub saved_activation_bytes: u64,
    /// Saved-activation bytes per layer, in forward order.
    pub saved_activations_by_layer: Vec<LayerBytes>,
}

/// One layer's saved-activation bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LayerBytes {
    /// Layer name (`actor.block0.norm`).
    pub layer: String,
    /// Bytes, all agents.
    pub bytes: u64,
}

impl MemorySummary {
    /// The arena report and the update's saved activations (all agents).
    pub fn new(m: &wgrl_gpu::MemoryReport, activations: &wgrl_nn::ActivationMemory) -> Self {
        MemorySummary {
            total_bytes: m.total_bytes,
            by_category: m.by_category.clone(),
            saved_activation_bytes: activations.saved_bytes(),
            saved_activations_by_layer: activations
                .layers
                .iter()
                .map(|l| LayerBytes {
                    layer: l.layer.clone(),
                    bytes: l.bytes(),
                })
                .collect(),
        }
    }
}

/// The field names of `summary.json`, in order: tools read them, so they are a
/// contract (checked by this module's tests and the CLI tests).
pub const SUMMARY_FIELDS: &[&str] = &[
    "env",
    "algo",
    "agents",
    "seed",
    "total_steps",
    "iterations",
    "wall_seconds",
    "steps_per_second",
    "adapter",
    "final_return_mean",
    "final_return_per_agent",
    "solved_threshold",
    "solved_at_step",
    "solved_at_seconds",
    "host_readbacks",
    "blocking_waits",
    "memory",
    "bad_observations",
];

/// `summary.json`: what a run did, read by tools and benchmarks. The field names are
/// a stable interface.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Env id.
    pub env: String,
    /// Algorithm.
    pub algo: String,
    /// Agents trained.
    pub agents: u32,
    /// Seed.
    pub seed: u32,
    /// Env steps trained, per agent.
    pub total_steps: u64,
    /// Iterations completed.
    pub iterations: u64,
    /// Training wall time in seconds.
    pub wall_seconds: f64,
    /// Env steps per second over all agents.
    pub steps_per_second: f64,
    /// The adapter used.
    pub adapter: AdapterSummary,
    /// Mean over agents of the final running mean return; null if no episode finished.
    pub final_return_mean: Option<f64>,
    /// Each agent's final running mean return (null where none finished).
    pub final_return_per_agent: Vec<Option<f64>>,
    /// The env's solved threshold, if it has one.
    pub solved_threshold: Option<f64>,
    /// Env steps per agent at the first log point where every agent had 100+ episodes
    /// and a running mean at or above the threshold.
    pub solved_at_step: Option<u64>,
    /// Seconds into training when the mean return first reached the threshold.
    pub solved_at_seconds: Option<f64>,
    /// Buffer readbacks to the host during the run.
    pub host_readbacks: u64,
    /// Times the host blocked waiting for the GPU.
    pub blocking_waits: u64,
    /// Arena memory.
    pub memory: MemorySummary,
    /// Rollout steps, over all agents, whose observation was NaN or infinite (the
    /// network saw 0 instead and the env was reset); nonzero means an env bug.
    pub bad_observations: u64,
}

impl Summary {
    /// The summary as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a summary always serialises to JSON")
    }

    /// Writes the summary to `path` atomically.
    pub fn write(&self, path: &Path) -> Result<(), OutputError> {
        let mut json = self.to_json();
        json.push('\n');
        write_atomic(path, json.as_bytes()).map_err(|e| write_error(path, e))
    }
}

/// Formats an axis value compactly: 250000 -> `250k`, 1500000 -> `1.5M`.
fn compact(v: f64) -> String {
    let a = v.abs();
    let (x, suffix) = if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e3 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    let s = format!("{x:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}{suffix}")
}

/// Draws the learning curve as an SVG: x = env steps per agent, y = return; a thin
/// line per agent, the mean over agents as a thick black line, and a dashed line at
/// the solved threshold. `points` are (env steps, per-agent returns) in step order;
/// empty input gives an empty but valid plot.
pub fn plot_learning_curve(
    path: &Path,
    title: &str,
    points: &[(u64, Vec<Option<f64>>)],
    threshold: Option<f64>,
) -> Result<(), OutputError> {
    let svg =
        render_learning_curve(title, points, threshold).map_err(|reason| OutputError::Write {
            path: path.to_path_buf(),
            reason: format!("plotting failed: {reason}"),
        })?;
    write_atomic(path, svg.as_bytes()).map_err(|e| write_error(path, e))
}

/// A heatmap of mean returns over a two-parameter grid, as an SVG written
/// atomically to `path`: `x` varies along the columns, `y` along the rows, and
/// `means[iy * x.len() + ix]` is the mean at `(x[ix], y[iy])`. Each cell is labelled
/// with its mean.
pub fn plot_heatmap(
    path: &Path,
    title: &str,
    (x_name, x): (&str, &[f32]),
    (y_name, y): (&str, &[f32]),
    means: &[f64],
) -> Result<(), OutputError> {
    if means.len() != x.len() * y.len() || x.is_empty() || y.is_empty() {
        return Err(OutputError::Invalid(format!(
            "a heatmap of {} x {} cells needs {} values, got {}",
            x.len(),
            y.len(),
            x.len() * y.len(),
            means.len()
        )));
    }
    let svg = render_heatmap(title, (x_name, x), (y_name, y), means).map_err(|reason| {
        OutputError::Write {
            path: path.to_path_buf(),
            reason: format!("plotting failed: {reason}"),
        }
    })?;
    write_atomic(path, svg.as_bytes()).map_err(|e| write_error(path, e))
}

fn render_heatmap(
    title: &str,
    (x_name, x): (&str, &[f32]),
    (y_name, y): (&str, &[f32]),
    means: &[f64],
) -> Result<String, String> {
    use plotters::prelude::*;
    let finite: Vec<f64> = means.iter().copied().filter(|v| v.is_finite()).collect();
    let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    // Dark blue (low) to yellow (high), linear; grey for cells without a value.
    let colour = |v: f64| {
        if !v.is_finite() {
            return RGBColor(200, 200, 200);
        }
        let t = if hi > lo { (v - lo) / (hi - lo) } else { 1.0 };
        let mix = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
        RGBColor(mix(40.0, 250.0), mix(40.0, 220.0), mix(120.0, 40.0))
    };
    let (nx, ny) = (x.len(), y.len());
    let mut svg = String::new();
    {
        let e = |e: DrawingAreaErrorKind<_>| e.to_string();
        let root = SVGBackend::with_string(&mut svg, (860, 640)).into_drawing_area();
        root.fill(&WHITE).map_err(e)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(0.0..nx as f64, 0.0..ny as f64)
            .map_err(e)?;
        let label = |values: &[f32], v: f64| {
            let i = v.floor() as usize;
            if (v - i as f64 - 0.5).abs() < 1e-6 && i < values.len() {
                let t = format!("{:.4}", values[i]);
                t.trim_end_matches('0').trim_end_matches('.').to_string()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(x_name)
            .y_desc(y_name)
            .x_labels(2 * nx + 1)
            .y_labels(2 * ny + 1)
            .x_label_formatter(&|v| label(x, *v))
            .y_label_formatter(&|v| label(y, *v))
            .draw()
            .map_err(e)?;
        for iy in 0..ny {
            for ix in 0..nx {
                let v = means[iy * nx + ix];
                let (x0, y0) = (ix as f64, iy as f64);
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x0, y0), (x0 + 1.0, y0 + 1.0)],
                        colour(v).filled(),
                    )))
                    .map_err(e)?;
                let text = if v.is_finite() {
                    compact(v)
                } else {
                    "n/a".into()
                };
                let ink = if v.is_finite() && hi > lo && (v - lo) / (hi - lo) > 0.6 {
                    BLACK
                } else {
                    WHITE
                };
                chart
                    .draw_series(std::iter::once(Text::new(
                        text,
                        (x0 + 0.5, y0 + 0.5),
                        ("sans-serif", 16).into_font().color(&ink).pos(
                            plotters::style::text_anchor::Pos::new(
                                plotters::style::text_anchor::HPos::Center,
                                plotters::style::text_anchor::VPos::Center,
                            ),
                        ),
                    )))
                    .map_err(e)?;
            }
        }
        root.present().map_err(e)?;
    }
    Ok(svg)
}

/// Per-agent line colours (matplotlib's tab10), cycled.
const AGENT_COLORS: [plotters::style::RGBColor; 10] = {
    use plotters::style::RGBColor as C;
    [
        C(31, 119, 180),
        C(255, 127, 14),
        C(44, 160, 44),
        C(214, 39, 40),
        C(148, 103, 189),
        C(140, 86, 75),
        C(227, 119, 194),
        C(127, 127, 127),
        C(188, 189, 34),
        C(23, 190, 207),
    ]
};

fn render_learning_curve(
    title: &str,
    points: &[(u64, Vec<Option<f64>>)],
    threshold: Option<f64>,
) -> Result<String, String> {
    use plotters::prelude::*;

    let agents = points.iter().map(|(_, r)| r.len()).max().unwrap_or(0);
    let finite = |v: &Option<f64>| v.filter(|x| x.is_finite());
    let (mut x0, mut x1) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (s, _)| {
            (lo.min(*s as f64), hi.max(*s as f64))
        });
    if !x0.is_finite() {
        (x0, x1) = (0.0, 1.0);
    }
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    let ys = points
        .iter()
        .flat_map(|(_, r)| r.iter().filter_map(finite))
        .chain(threshold.filter(|t| t.is_finite()));
    let (mut y0, mut y1) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| {
        (lo.min(y), hi.max(y))
    });
    if !y0.is_finite() {
        (y0, y1) = (0.0, 1.0);
    }
    let pad = ((y1 - y0) * 0.05).max(1e-3 * y1.abs().max(1.0));
    let (y0, y1) = (y0 - pad, y1 + pad);

    let mut svg = String::new();
    {
        let e = |e: DrawingAreaErrorKind<_>| e.to_string();
        let root = SVGBackend::with_string(&mut svg, (960, 600)).into_drawing_area();
        root.fill(&WHITE).map_err(e)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc("env steps per agent")
            .y_desc("episode return (mean of last 100)")
            .x_label_formatter(&|v| compact(*v))
            .y_label_formatter(&|v| compact(*v))
            .draw()
            .map_err(e)?;

        for a in 0..agents {
            let line: Vec<(f64, f64)> = points
                .iter()
                .filter_map(|(s, r)| r.get(a).and_then(finite).map(|y| (*s as f64, y)))
                .collect();
            let color = AGENT_COLORS[a % AGENT_COLORS.len()].mix(0.7);
            chart
                .draw_series(LineSeries::new(line, color.stroke_width(1)))
                .map_err(e)?;
        }
        let mut labelled = false;
        let mean: Vec<(f64, f64)> = points
            .iter()
            .filter_map(|(s, r)| {
                let r: Vec<Option<f64>> = r.iter().map(finite).collect();
                mean_return(&r).map(|m| (*s as f64, m))
            })
            .collect();
        if !mean.is_empty() {
            labelled = true;
            chart
                .draw_series(LineSeries::new(mean, BLACK.stroke_width(3)))
                .map_err(e)?
                .label(if agents > 1 {
                    "mean over agents"
                } else {
                    "return"
                })
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(3))
                });
        }
        if let Some(t) = threshold.filter(|t| t.is_finite()) {
            labelled = true;
            let red = RGBColor(200, 30, 30);
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(x0, t), (x1, t)],
                    10,
                    6,
                    red.stroke_width(2),
                ))
                .map_err(e)?
                .label(format!("solved ({})", compact(t)))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], red.stroke_width(2))
                });
        }
        if labelled {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerRight)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .draw()
                .map_err(e)?;
        }
        root.present().map_err(e)?;
    }
    Ok(svg)
}

/// A fresh folder under the system temp folder for one test, removed on drop.
#[cfg(test)]
pub(crate) struct TestDir(PathBuf);

#[cfg(test)]
impl TestDir {
    pub(crate) fn new(tag: &str) -> Self {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "wgrl-rl-{tag}-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TestDir(dir)
    }
}

#[cfg(test)]
impl std::ops::Deref for TestDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

#[cfg(test)]
impl AsRef<Path> for TestDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

#[cfg(test)]
impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> TestDir {
        TestDir::new("output")
    }

    fn row(returns: Vec<Option<f64>>) -> MetricsRow {
        MetricsRow {
            iteration: 10,
            env_steps: 20480,
            wall_seconds: 1.5,
            steps_per_second: 27306.5,
            returns,
            episodes: 412,
            bad_obs: 0,
            policy_loss: -0.012,
            value_loss: 3.25,
            entropy: 0.69,
            approx_kl: 0.004,
            clip_frac: 0.125,
            lr: 0.0025,
        }
    }

    #[test]
    fn a_non_empty_run_folder_is_refused() {
        let dir = std::env::temp_dir().join(format!("wgrl-nonempty-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("old.txt"), b"old").unwrap();
        let err = RunDir::create(&dir).unwrap_err().to_string();
        assert!(err.contains("not empty"), "{err}");
        fs::remove_dir_all(&dir).unwrap();
        // An empty existing folder is fine.
        fs::create_dir_all(&dir).unwrap();
        RunDir::create(&dir).unwrap();
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn write_atomic_replaces_and_leaves_no_temp_file() {
        let dir = temp_dir();
        let p = dir.join("a.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        assert!(write_atomic(&dir.join("missing/a.txt"), b"x").is_err());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    }

    #[test]
    fn run_dir_creates_parents_and_names_bad_paths() {
        let dir = temp_dir();
        let run = RunDir::create(&dir.join("runs/a/b")).unwrap();
        assert!(run.path().is_dir());
        assert_eq!(std::fs::read_dir(run.path()).unwrap().count(), 0);
        let p = run.write(CONFIG_FILE, b"seed = 1\n").unwrap();
        assert_eq!(p, run.config_path());
        // A file in the way.
        let file = dir.join("file");
        std::fs::write(&file, b"x").unwrap();
        let e = RunDir::create(&file.join("run")).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!(
                "cannot use '{}' as the run folder: ",
                file.join("run").display()
            )),
            "{e}"
        );
        assert!(e.ends_with("; choose another --out"), "{e}");
    }

    #[test]
    fn metrics_csv_header_and_rows() {
        let dir = temp_dir();
        let p = dir.join(METRICS_FILE);
        let mut csv = MetricsCsv::create(&p, 3).unwrap();
        csv.append(&row(vec![Some(100.0), None, Some(50.5)]))
            .unwrap();
        csv.append(&row(vec![None, None, None])).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "iteration,env_steps,wall_seconds,steps_per_second,return_mean,return_agent_0,return_agent_1,\
             return_agent_2,episodes,bad_obs,policy_loss,value_loss,entropy,approx_kl,clip_frac,lr"
        );
        assert_eq!(
            lines[1],
            "10,20480,1.5,27306.5,75.25,100,,50.5,412,0,-0.012,3.25,0.69,0.004,0.125,0.0025"
        );
        assert_eq!(
            lines[2],
            "10,20480,1.5,27306.5,,,,,412,0,-0.012,3.25,0.69,0.004,0.125,0.0025"
        );
        let cols = lines[0].split(',').count();
        assert!(lines.iter().all(|l| l.split(',').count() == cols));
        let e = csv.append(&row(vec![Some(1.0)])).unwrap_err().to_string();
        assert!(e.contains("has 1 per-agent returns but"), "{e}");
    }

    #[test]
    fn summary_json_has_exactly_the_required_keys() {
        let adapter = wgrl_gpu::AdapterReport {
            name: "llvmpipe".into(),
            backend: "vulkan".into(),
            device_type: "cpu".into(),
            driver: "llvmpipe 24".into(),
        };
        let mut by_category = BTreeMap::new();
        by_category.insert("params".to_string(), 4096u64);
        let memory = wgrl_gpu::MemoryReport {
            total_bytes: 8192,
            page_bytes: vec![8192],
            by_category,
            by_slot: vec![],
        };
        let net = wgrl_nn::NetLayout::actor_critic(4, 2, 8, 1, wgrl_nn::Activation::Gelu);
        let activations = wgrl_nn::ScratchPlan::new(&net, 2, true)
            .memory()
            .unwrap()
            .times(2);
        let s = Summary {
            env: "CartPole-v1".into(),
            algo: "ppo".into(),
            agents: 2,
            seed: 0,
            total_steps: 300_000,
            iterations: 146,
            wall_seconds: 12.5,
            steps_per_second: 48_000.0,
            adapter: (&adapter).into(),
            final_return_mean: Some(487.5),
            final_return_per_agent: vec![Some(500.0), Some(475.0)],
            solved_threshold: Some(475.0),
            solved_at_step: Some(120_000),
            solved_at_seconds: None,
            host_readbacks: 15,
            blocking_waits: 0,
            memory: MemorySummary::new(&memory, &activations),
            bad_observations: 0,
        };
        let v: serde_json::Value = serde_json::from_str(&s.to_json()).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let mut expected = SUMMARY_FIELDS.to_vec();
        let mut keys_sorted = keys.clone();
        keys_sorted.sort_unstable();
        expected.sort_unstable();
        assert_eq!(keys_sorted, expected);
        let adapter_keys: Vec<&String> = v["adapter"].as_object().unwrap().keys().collect();
        assert_eq!(adapter_keys.len(), 3);
        assert_eq!(v["adapter"]["device_type"], "cpu");
        let mem_keys: Vec<&String> = v["memory"].as_object().unwrap().keys().collect();
        assert_eq!(mem_keys.len(), 4);
        assert_eq!(v["memory"]["by_category"]["params"], 4096);
        // Per layer: the input, then each network's fc0, fc1 and head; fc0 keeps its
        // gelu pre-activations (8 x f32) and output (8 x f32) for 8 samples x 2 agents.
        let layers = v["memory"]["saved_activations_by_layer"]
            .as_array()
            .unwrap();
        assert_eq!(layers.len(), 5);
        assert_eq!(layers[1]["layer"], "actor.fc0");
        assert_eq!(layers[1]["bytes"], 2 * 2 * 8 * 8 * 4);
        assert_eq!(
            v["memory"]["saved_activation_bytes"],
            activations.saved_bytes()
        );
        assert!(v["solved_at_seconds"].is_null());
        let dir = temp_dir();
        s.write(&dir.join(SUMMARY_FILE)).unwrap();
        assert!(dir.join(SUMMARY_FILE).exists());
    }

    #[test]
    fn learning_curve_svg() {
        let dir = temp_dir();
        let points: Vec<(u64, Vec<Option<f64>>)> = (0..50u64)
            .map(|i| {
                let s = i * 2048;
                (
                    s,
                    vec![
                        Some(20.0 + i as f64 * 9.0),
                        if i < 3 {
                            None
                        } else {
                            Some(10.0 + i as f64 * 8.0)
                        },
                        Some(f64::NAN),
                    ],
                )
            })
            .collect();
        type Points = Vec<(u64, Vec<Option<f64>>)>;
        let cases: Vec<(&str, Points, Option<f64>)> = vec![
            ("normal", points, Some(475.0)),
            ("empty", vec![], None),
            ("empty_threshold", vec![], Some(475.0)),
            ("single", vec![(4096, vec![Some(22.0)])], Some(475.0)),
            (
                "no_returns",
                vec![(0, vec![None, None]), (512, vec![None, None])],
                None,
            ),
        ];
        for (name, pts, t) in cases {
            let p = dir.join(format!("{name}.svg"));
            plot_learning_curve(&p, "CartPole-v1 (ppo)", &pts, t).unwrap();
            let svg = std::fs::read_to_string(&p).unwrap();
            assert!(svg.contains("<svg"), "{name}");
            assert!(svg.trim_end().ends_with("</svg>"), "{name}");
            assert!(svg.contains("env steps per agent"), "{name}");
        }
        assert_eq!(compact(250_000.0), "250k");
        assert_eq!(compact(1_500_000.0), "1.5M");
        assert_eq!(compact(475.0), "475");
    }
}
