//! `cargo bench --bench activations`: forward + backward of every activation over
//! 4M elements, exact beside Approx-BP, with the bytes each saves for backward.
//! Under `cargo test` it runs one small sample.

use wgrl::gpu::{Profiler, bench};
use wgrl::nn::activation::{ActKernel, ActKind};

fn main() {
    // SAFETY: first in main, before any other thread exists.
    let ctx = unsafe { bench::bench_context() };
    let smoke = bench::smoke_mode();
    let (n, samples) = if smoke { (4096u32, 1) } else { (1 << 22, 15) };
    let profiler = Profiler::new(&ctx, 2).expect("profiler");
    let x: Vec<f32> = (0..n)
        .map(|i| -6.0 + 12.0 * ((i as u64 * 7919) % n as u64) as f32 / n as f32)
        .collect();
    for kind in [
        ActKind::Gelu,
        ActKind::ReGelu2,
        ActKind::Silu,
        ActKind::ReSilu2,
        ActKind::Tanh,
        ActKind::ReTanh2,
        ActKind::Relu,
    ] {
        let k = ActKernel::new(&ctx, kind, n).expect("kernel");
        k.arena().write(k.x, &x).expect("write");
        k.arena().write(k.dy, &x).expect("write");
        let mut rec = k.recorder(false);
        rec.extend(&k.recorder(true));
        let t = bench::measure(1, samples, || {
            rec.submit(&ctx);
            ctx.wait()
        })
        .expect("bench");
        print!(
            "act/{}: forward+backward of {n}: median {:.3} ms, saves {} bytes/element",
            kind.name(),
            t.median * 1e3,
            kind.saved_bytes_per_element()
        );
        if let Some(p) = &profiler {
            let runs: Vec<Vec<f64>> = (0..samples.min(5))
                .map(|_| {
                    rec.profile(&ctx, p)
                        .expect("profile")
                        .into_iter()
                        .map(|(_, ns)| ns)
                        .collect()
                })
                .collect();
            let fwd: Vec<f64> = runs.iter().map(|r| r[0]).collect();
            let bwd: Vec<f64> = runs.iter().map(|r| r[1]).collect();
            print!(
                " (GPU forward {:.3} ms, backward {:.3} ms)",
                bench::median(&fwd) * 1e-6,
                bench::median(&bwd) * 1e-6
            );
        }
        println!();
    }
}
