//! The size of llvmpipe's compute thread pool: lavapipe (Mesa's CPU Vulkan
//! driver) runs every dispatch's workgroups on it.
//!
//! llvmpipe starts one worker per core by default and reads `LP_NUM_THREADS`
//! once, when an instance first enumerates its adapters. With one worker per
//! core, PPO's iterations (about 20 small dispatches each) were slow in about
//! half the runs on the 2-core machine the engine is tested on: the default
//! preset trained at 205-315 k env-steps/s, against 280-324 k in every run with
//! two workers more (BENCHMARKS.md, 2026-11-22, 8th session). Results do not
//! depend on it: a workgroup runs on one worker whichever it is.
//! [`use_engine_threads`] makes the larger pool the process's default; `wgrl`
//! and the benches call it first thing in `main`. GPUs ignore the variable.

/// Mesa's environment variable for the number of llvmpipe's worker threads.
pub const THREADS_VAR: &str = "LP_NUM_THREADS";

// llvmpipe's ceiling (Mesa's LP_MAX_THREADS, lp_limits.h).
const MAX_THREADS: usize = 32;

/// The pool size the engine asks for: the host's cores plus two, at most
/// llvmpipe's 32.
pub fn engine_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (cores + 2).min(MAX_THREADS)
}

/// Sets [`THREADS_VAR`] to [`engine_threads`] unless the environment sets it
/// already (the user's value wins). Returns the value in effect.
///
/// # Safety
/// As for [`std::env::set_var`]: no other thread may read or write the
/// environment meanwhile. Call it at the start of `main`, before any thread
/// (wgpu's included) exists.
pub unsafe fn use_engine_threads() -> String {
    if let Some(v) = std::env::var_os(THREADS_VAR) {
        return v.to_string_lossy().into_owned();
    }
    let n = engine_threads().to_string();
    // SAFETY: the caller guarantees that no other thread touches the environment.
    unsafe { std::env::set_var(THREADS_VAR, &n) };
    n
}

/// `", LP_NUM_THREADS=N"` on an llvmpipe adapter when the variable is set,
/// else nothing: printed beside the adapter's name so that figures say which
/// pool they came from.
pub fn adapter_note(ctx: &crate::Context) -> String {
    match std::env::var(THREADS_VAR) {
        Ok(n) if ctx.is_llvmpipe() => format!(", {THREADS_VAR}={n}"),
        _ => String::new(),
    }
}
