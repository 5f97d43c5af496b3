//! wgrl's reinforcement-learning layer: PPO as two fused GPU kernels per
//! iteration ([`ppo`]), the [`trainer::Trainer`] that records them once and
//! replays them without host round trips, greedy evaluation, the training config
//! and its presets, checkpoints, and the run folder (`config.toml`, `metrics.csv`,
//! `summary.json`, the learning-curve picture) that `wgrl train` writes.

#![warn(missing_docs)]

pub mod checkpoint;
pub mod config;
pub mod error;
pub mod output;
pub mod ppo;
pub mod reference;
pub mod trainer;

pub use checkpoint::{Checkpoint, FORMAT_VERSION};
pub use config::{
    LogConfig, ModelConfig, Overrides, PerAgent, PpoConfig, Resolved, TrainConfig, resolve,
    resolve_with_preset,
};
pub use error::{CheckpointError, ConfigError, OutputError};
pub use output::{
    AdapterSummary, MemorySummary, MetricsCsv, MetricsRow, RunDir, Summary, plot_heatmap,
    plot_learning_curve, write_atomic,
};
pub use trainer::{
    EvalReport, GridAxis, GridPoint, GridReport, LogPoint, RolloutBuffers, TrainError, TrainReport,
    Trainer, env_descriptor, evaluate, evaluate_grid,
};
