//! The normalisation kernels on the GPU against the CPU reference.

use wgrl_gpu::{Context, ContextOptions};
use wgrl_nn::norm::{NormKernel, NormKind};

fn data(n: usize, salt: u32) -> Vec<f32> {
    (0..n)
        .map(|k| {
            ((wgrl_gpu::rng::pcg4d([k as u32, salt, 1, 1])[0] >> 8) as f32 / 8_388_608.0 - 1.0)
                * 3.0
                + 0.5
        })
        .collect()
}

// Sums of 64 terms in the same order on both sides, but 1/sqrt, FMA contraction
// and division may differ by a few ulp: 2e-5 relative to the values' scale.
fn close(a: &[f32], b: &[f32], what: &str) {
    assert_eq!(a.len(), b.len());
    for (k, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= 2e-5 * y.abs().max(1.0),
            "{what}[{k}]: gpu {x} cpu {y}"
        );
    }
}

#[test]
fn norm_kernels_match_the_cpu_reference() {
    let ctx = Context::new(&ContextOptions::default())
        .expect("a wgpu adapter (run `make test`, which installs lavapipe)");
    // An odd width too: gamma and beta then end inside a vec4 of their slots.
    for (rows, h) in [(37u32, 64usize), (37, 63)] {
        check_norms(&ctx, rows, h);
    }
}

fn check_norms(ctx: &Context, rows: u32, h: usize) {
    let n = rows as usize * h;
    let x = data(n, 1);
    let dy = data(n, 2);
    let gamma: Vec<f32> = data(h, 3).iter().map(|v| 1.0 + 0.2 * v).collect();
    let beta = data(h, 4);
    for kind in NormKind::ALL {
        let k = NormKernel::new(ctx, kind, rows, h as u32).unwrap();
        let affine: Vec<f32> = gamma.iter().chain(&beta).copied().collect();
        k.write(&x, &dy, &affine).unwrap();
        k.run(0);
        k.run(1);
        k.run(2);
        let got = k.read().unwrap();
        let cpu = kind.forward(&x, h, &gamma, &beta);
        let name = kind.name();
        close(&got.y, &cpu.y, &format!("{name} y"));
        // The kernel keeps the mean only where backward reads it (LayerNorm).
        let want_stats: Vec<[f32; 2]> = cpu
            .stats
            .iter()
            .map(|&[m, r]| [if kind == NormKind::LayerNorm { m } else { 0.0 }, r])
            .collect();
        close(
            &got.stats.concat(),
            &want_stats.concat(),
            &format!("{name} stats"),
        );
        let saved = if kind.is_ms() { &cpu.y } else { &x };
        close(
            &got.dx,
            &kind.backward(saved, &cpu.stats, &dy, h, &gamma),
            &format!("{name} dx"),
        );
        if !kind.is_ms() {
            let (dg, db) = kind.affine_grads(&x, &cpu.stats, &dy, h);
            close(&got.daffine[..h], &dg, &format!("{name} dgamma"));
            if kind == NormKind::LayerNorm {
                close(&got.daffine[h..], &db, &format!("{name} dbeta"));
            }
        }
    }
}
