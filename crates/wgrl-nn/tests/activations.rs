//! The activation kernels (exact and Approx-BP) on the GPU against the CPU reference.

use wgrl_gpu::{Context, ContextOptions};
use wgrl_nn::activation::{ActKernel, ActKind, pack, unpack};

fn ctx() -> Context {
    Context::new(&ContextOptions::default())
        .expect("a wgpu adapter (run `make test`, which installs lavapipe)")
}

/// Inputs covering every state boundary region, plus a length not divisible by 16.
fn inputs(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| -8.0 + 16.0 * ((i * 7919) % n) as f32 / n as f32 + 1e-3)
        .collect()
}

struct Run {
    y: Vec<f32>,
    dx: Vec<f32>,
    codes: Vec<u32>,
}

fn run(ctx: &Context, kind: ActKind, x: &[f32], dy: &[f32]) -> Run {
    let k = ActKernel::new(ctx, kind, x.len() as u32).unwrap();
    k.arena().write(k.x, x).unwrap();
    k.arena().write(k.dy, dy).unwrap();
    k.run(false);
    k.run(true);
    Run {
        y: k.arena().read(k.y).unwrap(),
        dx: k.arena().read(k.dx).unwrap(),
        codes: k.arena().read(k.codes).unwrap(),
    }
}

#[test]
fn approx_forward_is_the_exact_forward_bitwise_and_backward_is_slope_times_grad() {
    let ctx = ctx();
    let n = 1003;
    let x = inputs(n);
    let dy: Vec<f32> = (0..n).map(|i| 0.5 + (i % 5) as f32 * 0.25).collect();
    for kind in [ActKind::ReGelu2, ActKind::ReSilu2, ActKind::ReTanh2] {
        let approx = run(&ctx, kind, &x, &dy);
        let exact = run(&ctx, kind.exact(), &x, &dy);
        assert!(
            approx
                .y
                .iter()
                .zip(&exact.y)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "{kind:?} forward differs from {:?}",
            kind.exact()
        );
        // The packed states are the CPU's, bit for bit (including the last, partial word).
        let want: Vec<u32> = x.iter().map(|&v| kind.code(v)).collect();
        assert_eq!(approx.codes, pack(&want), "{kind:?} states");
        assert_eq!(unpack(&approx.codes, n), want);
        // Backward is exactly dy times the state's slope: one f32 multiply.
        for i in 0..n {
            assert_eq!(
                approx.dx[i].to_bits(),
                (dy[i] * kind.slope(want[i])).to_bits(),
                "{kind:?} element {i}"
            );
        }
        // Every state occurs in the inputs.
        for s in 0..if kind == ActKind::ReTanh2 { 3 } else { 4 } {
            assert!(want.contains(&s), "{kind:?} state {s} untested");
        }
    }
}

#[test]
fn exact_kernels_match_the_cpu_reference() {
    let ctx = ctx();
    let n = 1003;
    let x = inputs(n);
    let dy = vec![1.0f32; n];
    for kind in [ActKind::Gelu, ActKind::Silu, ActKind::Tanh, ActKind::Relu] {
        let gpu = run(&ctx, kind, &x, &dy);
        for ((&xi, &gy), &gdx) in x.iter().zip(&gpu.y).zip(&gpu.dx) {
            // exp, tanh and division may differ by a few ulp between the GPU and
            // Rust's libm: 1e-6 relative (4e-6 near zero crossings of sums).
            let (y, g) = (kind.forward(xi), kind.grad(xi));
            assert!(
                (gy - y).abs() <= 1e-6 * y.abs().max(4.0),
                "{kind:?} forward at {xi}: {gy} vs {y}"
            );
            assert!(
                (gdx - g).abs() <= 1e-6 * g.abs().max(4.0),
                "{kind:?} grad at {xi}: {gdx} vs {g}"
            );
        }
    }
}

#[test]
fn gelu_matches_the_erf_form_to_about_1e7() {
    let ctx = ctx();
    let n = 4001;
    let x: Vec<f32> = (0..n)
        .map(|i| -10.0 + 20.0 * i as f32 / (n - 1) as f32)
        .collect();
    let gpu = run(&ctx, ActKind::Gelu, &x, &vec![1.0; n]);
    let mut worst = 0.0f64;
    for (&xi, &y) in x.iter().zip(&gpu.y) {
        let v = xi as f64;
        let exact = 0.5 * v * (1.0 + libm::erf(v / std::f64::consts::SQRT_2));
        // The erf approximation is within ~1.2e-7 of erf; GELU scales it by |x|/2,
        // and f32 rounding of the result adds half an ulp.
        let err = (y as f64 - exact).abs() / (v.abs() * 0.5).max(1.0);
        worst = worst.max(err);
    }
    assert!(worst < 3e-7, "worst relative error {worst}");
}
