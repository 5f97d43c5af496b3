//! `cargo bench --bench rng`: throughput of the counter-based RNG kernel
//! (uniforms and normals) and of counter-based shuffles (permutation indices).
//! Under `cargo test` it runs one small sample.

use wgrl::gpu::rng::{FillMode, FillParams, RngFill};
use wgrl::gpu::{Profiler, bench};

fn main() {
    // SAFETY: first in main, before any other thread exists.
    let ctx = unsafe { bench::bench_context() };
    let smoke = bench::smoke_mode();
    let (count, samples) = if smoke { (4096u32, 1) } else { (1 << 22, 15) };
    let profiler = Profiler::new(&ctx, 1).expect("profiler");
    for mode in [FillMode::Uniform, FillMode::Normal, FillMode::Shuffle] {
        let fill =
            RngFill::new(&ctx, FillParams::new(1, 0, 0, 4096, count, mode, 0)).expect("rng kernel");
        let t = bench::measure(1, samples, || {
            fill.recorder().submit(&ctx);
            ctx.wait()
        })
        .expect("bench");
        // Four draws per invocation; a shuffle invocation yields one index.
        let draws = count as f64 * if mode == FillMode::Shuffle { 1.0 } else { 4.0 };
        print!(
            "rng/{mode:?}: {draws} values: median {:.3} ms, {:.0} M values/s",
            t.median * 1e3,
            draws / t.median / 1e6
        );
        if let Some(p) = &profiler {
            let ns: Vec<f64> = (0..samples.min(5))
                .map(|_| fill.recorder().profile(&ctx, p).expect("profile")[0].1)
                .collect();
            println!(", GPU {:.3} ms", bench::median(&ns) * 1e-6);
        } else {
            println!();
        }
    }
}
