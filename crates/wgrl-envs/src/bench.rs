//! Env stepping throughput, shared by `cargo bench` and `wgrl bench env`.

use crate::descriptor::EnvDescriptor;
use crate::error::Result;
use crate::vec_env::{VecEnv, VecEnvConfig};
use serde::Serialize;
use wgrl_gpu::{Context, Profiler, bench};

/// Result of an env stepping benchmark.
#[derive(Debug, Clone, Serialize)]
pub struct EnvBench {
    /// Env name.
    pub env: String,
    /// Envs stepped in parallel.
    pub envs: u64,
    /// Steps per env per dispatch.
    pub steps: u32,
    /// Env-steps per second from the median wall time of a dispatch (submit to done).
    pub steps_per_second: f64,
    /// Median wall seconds per dispatch.
    pub median_seconds: f64,
    /// Median GPU time per dispatch from timestamps, when the adapter has them.
    pub gpu_ms_per_dispatch: Option<f64>,
    /// Env-steps per second by GPU time.
    pub gpu_steps_per_second: Option<f64>,
    /// Timed samples.
    pub samples: usize,
    /// Adapter name.
    pub adapter: String,
    /// Adapter backend.
    pub backend: String,
}

/// Steps `envs` envs (one agent) `steps` times per dispatch with random actions
/// and auto-reset, through the general env kernel; median over `samples` dispatches.
pub fn env_throughput(
    ctx: &Context,
    desc: &EnvDescriptor,
    envs: u32,
    steps: u32,
    samples: usize,
) -> Result<EnvBench> {
    let mut venv = VecEnv::new(
        ctx,
        desc,
        VecEnvConfig {
            agents: 1,
            envs,
            seed: 1,
        },
    )?;
    let rec = venv.random_steps_recorder(steps);
    let timing = bench::measure(1, samples, || {
        rec.submit(ctx);
        ctx.wait()
    })?;
    let total = envs as f64 * steps as f64;
    let gpu = match Profiler::new(ctx, 1)? {
        Some(p) => {
            let mut ns = Vec::new();
            for _ in 0..samples.clamp(1, 5) {
                ns.extend(rec.profile(ctx, &p)?.into_iter().map(|(_, t)| t));
            }
            Some(bench::median(&ns) * 1e-6)
        }
        None => None,
    };
    Ok(EnvBench {
        env: desc.name.clone(),
        envs: envs as u64,
        steps,
        steps_per_second: total / timing.median,
        median_seconds: timing.median,
        gpu_ms_per_dispatch: gpu,
        gpu_steps_per_second: gpu.map(|ms| total / (ms * 1e-3)),
        samples: timing.samples.len(),
        adapter: ctx.adapter().name.clone(),
        backend: ctx.adapter().backend.clone(),
    })
}
