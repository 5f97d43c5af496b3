//! The WGSL network building blocks against the CPU reference, on the GPU (lavapipe in CI).

use wgrl_gpu::{Context, ContextOptions};
use wgrl_nn::cpu;
use wgrl_nn::init::init_params;
use wgrl_nn::kernels::{NnTest, NnTestParams, from_feature_major, mode, to_feature_major};
use wgrl_nn::{Activation, NetLayout};

fn ctx() -> Context {
    Context::new(&ContextOptions::default())
        .expect("a wgpu adapter (run `make test`, which installs lavapipe)")
}

/// Deterministic pseudo-random values in [-1, 1).
fn data(n: usize, salt: u32) -> Vec<f32> {
    (0..n)
        .map(|k| {
            let w = wgrl_gpu::rng::pcg4d([k as u32, salt, 0, 0])[0];
            (w >> 8) as f32 / 8_388_608.0 - 1.0
        })
        .collect()
}

// Tolerance: each output is a dot product of up to 64 terms of magnitude <= ~1
// computed in f32 in a different association order (vec4 lanes, FMA on some
// drivers) than the CPU loop: error <= n * eps * sum|terms| ~ 64 * 1.2e-7 * 64 ~ 5e-4
// in the worst case, ~1e-5 in practice. 1e-4 relative (1e-4 absolute near 0).
fn assert_close(gpu: &[f32], cpu: &[f32], what: &str) {
    assert_eq!(gpu.len(), cpu.len(), "{what}");
    for (k, (g, c)) in gpu.iter().zip(cpu).enumerate() {
        assert!(
            (g - c).abs() <= 1e-4 * c.abs().max(1.0),
            "{what}[{k}]: gpu {g} cpu {c}"
        );
    }
}

#[test]
// Several per-agent arrays are indexed by agent in lockstep.
#[allow(clippy::needless_range_loop)]
fn dense_forward_backward_and_weight_grads_match_cpu() {
    let ctx = ctx();
    for act in [Activation::Tanh, Activation::Relu] {
        let layout = NetLayout::actor_critic(5, 3, 72, 2, act);
        let agents = 2u32;
        let (m, m4) = (20usize, 5u32);
        let w = layout.max_width() as usize;
        // Scratch per agent: x, y, dx regions of w features x m4 blocks each.
        let region = (w * m / 4) as u32;
        let nn = NnTest::new(&ctx, &layout, agents, 3 * region).unwrap();
        let mut params = init_params(&layout, agents, 11);
        for (k, v) in params.iter_mut().enumerate() {
            *v += 0.01 * ((k % 13) as f32 - 6.0); // non-zero biases
        }
        nn.arena().write(nn.params, &params).unwrap();
        let pc = layout.param_count as usize;
        for (li, l) in layout.layers.iter().enumerate() {
            let (ni, no) = (l.n_in as usize, l.n_out as usize);
            // Inputs look like the previous layer's activations.
            let xs: Vec<Vec<f32>> = (0..agents)
                .map(|a| {
                    data(m * ni, 100 + a)
                        .iter()
                        .map(|v| if li % 3 == 0 { *v } else { cpu::act(act, *v) })
                        .collect()
                })
                .collect();
            let dys: Vec<Vec<f32>> = (0..agents).map(|a| data(m * no, 200 + a)).collect();
            let mut scratch = vec![[0.0f32; 4]; 3 * region as usize * agents as usize];
            for a in 0..agents as usize {
                let base = a * 3 * region as usize;
                let fx = to_feature_major(&xs[a], m, ni);
                scratch[base..base + fx.len()].copy_from_slice(&fx);
            }
            nn.arena().write(nn.scratch, &scratch).unwrap();
            let p = NnTestParams {
                layer: li as u32,
                x: 0,
                y: region,
                dx: 2 * region,
                m4,
                scratch_stride: 3 * region,
                ..Default::default()
            };
            nn.run(NnTestParams {
                mode: mode::FORWARD,
                ..p
            });
            let out = nn.arena().read(nn.scratch).unwrap();
            for a in 0..agents as usize {
                let base = a * 3 * region as usize + region as usize;
                let got = from_feature_major(&out[base..base + no * m / 4], m, no);
                let want = cpu::dense_forward(l, act, &params[a * pc..(a + 1) * pc], &xs[a], m);
                assert_close(
                    &got,
                    &want,
                    &format!("{act:?} layer {li} forward, agent {a}"),
                );
            }
            // Backward: put dy where y was and check dx and the weight gradient.
            let mut scratch = out;
            for a in 0..agents as usize {
                let base = a * 3 * region as usize + region as usize;
                let fd = to_feature_major(&dys[a], m, no);
                scratch[base..base + fd.len()].copy_from_slice(&fd);
            }
            nn.arena().write(nn.scratch, &scratch).unwrap();
            let x_act = li % 3 != 0;
            nn.run(NnTestParams {
                mode: mode::BACKWARD_INPUT,
                x_act: x_act as u32,
                ..p
            });
            nn.run(NnTestParams {
                mode: mode::WEIGHT_GRAD,
                ..p
            });
            let out = nn.arena().read(nn.scratch).unwrap();
            let opt = nn.arena().read(nn.opt).unwrap();
            for a in 0..agents as usize {
                let pa = &params[a * pc..(a + 1) * pc];
                let base = a * 3 * region as usize + 2 * region as usize;
                let got = from_feature_major(&out[base..base + ni * m / 4], m, ni);
                let want = cpu::dense_backward_input(l, act, pa, &dys[a], &xs[a], x_act, m);
                assert_close(
                    &got,
                    &want,
                    &format!("{act:?} layer {li} input grad, agent {a}"),
                );
                let mut g = vec![0.0; pc];
                cpu::dense_weight_grad(l, &dys[a], &xs[a], m, &mut g);
                let gb = a * 3 * pc + 2 * pc;
                let range = l.w as usize..(l.b + l.n_out) as usize;
                assert_close(
                    &opt[gb + range.start..gb + range.end],
                    &g[range],
                    &format!("{act:?} layer {li} weight grad, agent {a}"),
                );
            }
        }
    }
}

#[test]
fn clipped_adam_matches_cpu_over_several_steps() {
    let ctx = ctx();
    let layout = NetLayout::actor_critic(4, 2, 64, 2, Activation::Tanh);
    let agents = 3u32;
    let pc = layout.param_count as usize;
    let nn = NnTest::new(&ctx, &layout, agents, 4).unwrap();
    let mut p = init_params(&layout, agents, 5);
    nn.arena().write(nn.params, &p).unwrap();
    let mut opt = vec![0.0f32; 3 * pc * agents as usize];
    let (mut m, mut v) = (
        vec![0.0f32; pc * agents as usize],
        vec![0.0f32; pc * agents as usize],
    );
    for t in 1..=3 {
        // Agent 0's gradient is small (no clipping), the others' large (clipped).
        for a in 0..agents as usize {
            let g: Vec<f32> = data(pc, 300 + t * 10 + a as u32)
                .iter()
                .map(|x| x * if a == 0 { 1e-3 } else { 0.5 })
                .collect();
            opt[a * 3 * pc + 2 * pc..(a + 1) * 3 * pc].copy_from_slice(&g);
        }
        nn.arena().write(nn.opt, &opt).unwrap();
        nn.run(NnTestParams {
            mode: mode::ADAM,
            n: pc as u32,
            lr: 3e-3,
            max_norm: 0.5,
            t: t as f32,
            scratch_stride: 4,
            ..Default::default()
        });
        for a in 0..agents as usize {
            let g = opt[a * 3 * pc + 2 * pc..(a + 1) * 3 * pc].to_vec();
            let (_, scale) = cpu::clip_scale(&g, 0.5);
            if a > 0 {
                assert!(scale < 0.1, "large gradients must be clipped");
            }
            cpu::adam_step(
                &mut p[a * pc..(a + 1) * pc],
                &mut m[a * pc..(a + 1) * pc],
                &mut v[a * pc..(a + 1) * pc],
                &g,
                3e-3,
                scale,
                t as f32,
            );
        }
        opt = nn.arena().read(nn.opt).unwrap();
        // Adam divides by sqrt(v) + eps, so parameter errors scale with lr * relative
        // error of the moments (~1e-6): 1e-6 absolute on parameters of size ~0.2.
        let got = nn.arena().read(nn.params).unwrap();
        for k in 0..p.len() {
            assert!(
                (got[k] - p[k]).abs() < 2e-6,
                "step {t} param {k}: gpu {} cpu {}",
                got[k],
                p[k]
            );
        }
        for a in 0..agents as usize {
            assert_close(
                &opt[a * 3 * pc..a * 3 * pc + pc],
                &m[a * pc..(a + 1) * pc],
                "adam m",
            );
        }
    }
}
