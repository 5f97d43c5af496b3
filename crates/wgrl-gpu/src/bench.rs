//! A small benchmark harness shared by `cargo bench` targets and `wgrl bench`:
//! warm-up, repeated samples, medians. GPU work is timed to completion (the caller
//! waits inside the closure), so wall time is what a user would see.

use crate::error::Result;
use serde::Serialize;
use std::time::Instant;

/// Timing of repeated runs, in seconds.
#[derive(Debug, Clone, Serialize)]
pub struct Timing {
    /// Every sample, in the order taken.
    pub samples: Vec<f64>,
    /// Median sample.
    pub median: f64,
    /// Fastest sample.
    pub min: f64,
    /// Slowest sample.
    pub max: f64,
}

impl Timing {
    /// Summarises samples (at least one).
    pub fn from_samples(samples: Vec<f64>) -> Self {
        let mut sorted = samples.clone();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
        };
        Timing {
            median,
            min: sorted[0],
            max: sorted[n - 1],
            samples,
        }
    }
}

/// Runs `f` `warmup` times untimed, then `samples` times timed.
pub fn measure(warmup: usize, samples: usize, mut f: impl FnMut() -> Result<()>) -> Result<Timing> {
    for _ in 0..warmup {
        f()?;
    }
    let mut out = Vec::with_capacity(samples.max(1));
    for _ in 0..samples.max(1) {
        let t = Instant::now();
        f()?;
        out.push(t.elapsed().as_secs_f64());
    }
    Ok(Timing::from_samples(out))
}

/// True when a `cargo bench` target runs under `cargo test` (no `--bench` argument):
/// benches then run one small sample as a smoke test.
pub fn smoke_mode() -> bool {
    !std::env::args().any(|a| a == "--bench")
}

/// Median of a slice (empty gives NaN).
pub fn median(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    Timing::from_samples(xs.to_vec()).median
}

/// The context a `cargo bench` target runs on: the best adapter, announced on
/// stdout; without one, the error and exit status 1. It first sets llvmpipe's
/// pool size as `wgrl` does ([`crate::llvmpipe::use_engine_threads`]).
///
/// # Safety
/// As for [`crate::llvmpipe::use_engine_threads`]: call it first in `main`,
/// before any other thread exists.
pub unsafe fn bench_context() -> crate::Context {
    // SAFETY: the caller guarantees that no other thread exists yet.
    unsafe { crate::llvmpipe::use_engine_threads() };
    match crate::Context::new(&crate::ContextOptions::default()) {
        Ok(ctx) => {
            let a = ctx.adapter();
            println!(
                "adapter: {} ({}, {}{})",
                a.name,
                a.backend,
                a.device_type,
                crate::llvmpipe::adapter_note(&ctx)
            );
            ctx
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1)
        }
    }
}
