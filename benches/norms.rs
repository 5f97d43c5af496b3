//! `cargo bench --bench norms`: forward + backward of each normalisation layer
//! the networks use (one workgroup, as in the fused update) over 8192 rows of 256
//! features, standard beside memory-sharing, with what each saves for backward. Under `cargo test` it runs one small sample.

use wgrl::gpu::bench;
use wgrl::nn::norm::{NormKernel, NormKind};

fn main() {
    // SAFETY: first in main, before any other thread exists.
    let ctx = unsafe { bench::bench_context() };
    let smoke = bench::smoke_mode();
    let (rows, h, samples) = if smoke {
        (64u32, 32u32, 1)
    } else {
        (8192, 256, 15)
    };
    let n = (rows * h) as usize;
    let x: Vec<f32> = (0..n)
        .map(|i| ((i * 7919) % 1000) as f32 / 250.0 - 2.0)
        .collect();
    let affine: Vec<f32> = (0..2 * h).map(|i| if i < h { 1.0 } else { 0.0 }).collect();
    for kind in NormKind::ALL {
        let k = NormKernel::new(&ctx, kind, rows, h).expect("kernel");
        k.write(&x, &x, &affine).expect("write");
        let mut rec = k.recorder(0);
        rec.extend(&k.recorder(1));
        if !kind.is_ms() {
            rec.extend(&k.recorder(2));
        }
        let t = bench::measure(1, samples, || {
            rec.submit(&ctx);
            ctx.wait()
        })
        .expect("bench");
        // Standard kinds save their input (and the next Linear its output) plus
        // LayerNorm's mean and r or RMSNorm's r; MS kinds save only r (their output
        // is the next Linear's saved input, stored once).
        let stats = if kind == NormKind::LayerNorm { 8 } else { 4 };
        let saved = if kind.is_ms() {
            format!("{stats} B/row (r; output shared)")
        } else {
            format!(
                "{} B/row (input + {})",
                4 * h + stats,
                if stats == 8 { "mean, r" } else { "r" }
            )
        };
        println!(
            "norm/{}: {rows} x {h}: forward+backward median {:.3} ms, saves {saved}",
            kind.name(),
            t.median * 1e3
        );
    }
}
