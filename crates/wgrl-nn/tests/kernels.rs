//! The WGSL network building blocks against the CPU reference, on the GPU (lavapipe in CI).

use wgrl_gpu::{Context, ContextOptions};
use wgrl_nn::activation::ActKind;
use wgrl_nn::cpu;
use wgrl_nn::init::init_params;
use wgrl_nn::kernels::{
    DenseKernels, NnTest, NnTestParams, from_feature_major, mode, to_feature_major,
};
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
fn layers_with_every_activation_match_cpu_forward_and_backward() {
    let ctx = ctx();
    layers_match_cpu(&ctx, 70, DenseKernels::Portable, &[(20, 5), (32, 8)]);
}

/// The subgroup dense code (picked on lavapipe) on layers it covers (64 wide: 32-wide
/// forward and input-gradient items, 16-wide weight-gradient items; 8
/// and 16 sample blocks), against the CPU and bit for bit against the portable code.
#[test]
fn subgroup_dense_layers_match_cpu_and_the_portable_code() {
    let ctx = ctx();
    let dense = DenseKernels::for_context(&ctx);
    if ctx.adapter().device_type == "cpu" && ctx.subgroup_size() == Some(8) {
        assert_eq!(dense, DenseKernels::Subgroup8);
    }
    let cases = [(32, 8), (64, 16)];
    let fast = layers_match_cpu(&ctx, 64, dense, &cases);
    let portable = layers_match_cpu(&ctx, 64, DenseKernels::Portable, &cases);
    assert!(
        fast == portable,
        "the {dense:?} and portable dense code differ"
    );
}

/// Runs a width-`width` actor's three layers forward and backward for every
/// activation and each (samples, sample blocks) case, checks them against the
/// CPU reference and returns every case's scratch and optimiser state.
fn layers_match_cpu(
    ctx: &Context,
    width: u32,
    dense: DenseKernels,
    cases: &[(usize, u32)],
) -> Vec<(Vec<[f32; 4]>, Vec<f32>)> {
    let mut results = Vec::new();
    let wd = width as usize;
    // The actor: at width 70 = 17 blocks of four + 2 leftover outputs, and a
    // 3-action head, so both the blocked and the leftover paths (and their 2-bit
    // words) are exercised; 5 sample blocks take the kernels' one-block items, 8
    // their four-block items; width 64 with 8 or 16 blocks fits the subgroup code. Each layer's forward saves what its
    // activation's backward needs; the next layer's input gradient reads it back.
    for (act, &(m, m4)) in ActKind::ALL
        .into_iter()
        .flat_map(|a| cases.iter().map(move |c| (a, c)))
    {
        let layout = NetLayout::actor_critic(5, 3, width, 2, act);
        let w = layout.max_width();
        let region = w * m4; // vec4s per activation region
        // Regions: X, Y0, Y1, Y2, S0, S1, D (dy), D1, D0.
        let off = |k: u32| k * region;
        let nn = NnTest::with_dense(ctx, &layout, 1, 9 * region, dense).unwrap();
        let mut params = init_params(&layout, 1, 11);
        for (k, v) in params.iter_mut().enumerate() {
            *v += 0.02 * ((k % 13) as f32 - 6.0);
        }
        nn.arena().write(nn.params, &params).unwrap();
        let x = data(m * 5, 100);
        let mut scratch = vec![[0.0f32; 4]; 9 * region as usize];
        let fx = to_feature_major(&x, m, 5);
        scratch[..fx.len()].copy_from_slice(&fx);
        let dy2 = data(m * 3, 200);
        let fd = to_feature_major(&dy2, m, 3);
        scratch[off(6) as usize..off(6) as usize + fd.len()].copy_from_slice(&fd);
        nn.arena().write(nn.scratch, &scratch).unwrap();
        let p = NnTestParams {
            m4,
            scratch_stride: 9 * region,
            ..Default::default()
        };
        for (l, (xin, y, save)) in [
            (off(0), off(1), off(4)),
            (off(1), off(2), off(5)),
            (off(2), off(3), 0),
        ]
        .into_iter()
        .enumerate()
        {
            nn.run(NnTestParams {
                mode: mode::FORWARD,
                layer: l as u32,
                x: xin,
                y,
                save,
                ..p
            });
        }
        // Layer 2 (head): input gradient into D1 through layer 1's saved activation,
        // then layer 1: into D0 through layer 0's.
        nn.run(NnTestParams {
            mode: mode::BACKWARD_INPUT,
            layer: 2,
            x: off(2),
            y: off(6),
            dx: off(7),
            xsave: off(5),
            x_act: 1,
            ..p
        });
        nn.run(NnTestParams {
            mode: mode::WEIGHT_GRAD,
            layer: 2,
            x: off(2),
            y: off(6),
            ..p
        });
        nn.run(NnTestParams {
            mode: mode::BACKWARD_INPUT,
            layer: 1,
            x: off(1),
            y: off(7),
            dx: off(8),
            xsave: off(4),
            x_act: 1,
            ..p
        });
        // Layer 1's weights (width x width; at 70, blocks of four outputs x four
        // inputs, then two leftover inputs and the bias) from its output gradient in D1.
        nn.run(NnTestParams {
            mode: mode::WEIGHT_GRAD,
            layer: 1,
            x: off(1),
            y: off(7),
            ..p
        });
        // Layer 0's (5 inputs: one block of four columns, one leftover column; its
        // bias comes with the block) from its output gradient in D0.
        nn.run(NnTestParams {
            mode: mode::WEIGHT_GRAD,
            layer: 0,
            x: off(0),
            y: off(8),
            ..p
        });
        let out = nn.arena().read(nn.scratch).unwrap();
        let opt = nn.arena().read(nn.opt).unwrap();
        // Tensors of the actor: the input, then each layer's output.
        let acts = cpu::net_forward(&layout, 0, &params, &x, m).tensors;
        let region_of = |k: u32, n: usize| {
            from_feature_major(&out[off(k) as usize..off(k) as usize + n * m / 4], m, n)
        };
        for (k, n) in [(1u32, wd), (2, wd), (3, 3)] {
            assert_close(
                &region_of(k, n),
                &acts[k as usize],
                &format!("{dense:?} {act:?} M = {m} forward of layer {}", k - 1),
            );
        }
        let ls = &layout.layers;
        let deriv = |li: usize| -> Vec<f32> {
            cpu::dense_preact(&ls[li], &params, &acts[li], m)
                .iter()
                .map(|&z| cpu::act_deriv(act, z))
                .collect()
        };
        let d1 = cpu::dense_backward_input(&ls[2], &params, &dy2, Some(&deriv(1)), m);
        assert_close(
            &region_of(7, wd),
            &d1,
            &format!("{act:?} input gradient of layer 2"),
        );
        let d0 = cpu::dense_backward_input(&ls[1], &params, &d1, Some(&deriv(0)), m);
        assert_close(
            &region_of(8, wd),
            &d0,
            &format!("{act:?} input gradient of layer 1"),
        );
        let mut g = vec![0.0; layout.param_count as usize];
        cpu::dense_weight_grad(&ls[2], &dy2, &acts[2], m, &mut g);
        cpu::dense_weight_grad(&ls[1], &d1, &acts[1], m, &mut g);
        cpu::dense_weight_grad(&ls[0], &d0, &acts[0], m, &mut g);
        let pc = layout.param_count as usize;
        for li in [0, 1, 2] {
            let range = ls[li].w as usize..(ls[li].b + ls[li].n_out) as usize;
            assert_close(
                &opt[2 * pc + range.start..2 * pc + range.end],
                &g[range],
                &format!("{act:?} weight gradient of layer {li} (M = {m})"),
            );
        }
        results.push((out, opt));
    }
    results
}

#[test]
fn clipped_adam_matches_cpu_over_several_steps() {
    let ctx = ctx();
    let layout = NetLayout::actor_critic(4, 2, 64, 2, Activation::Tanh);
    let pc = layout.param_count as usize;
    // All parameters (whole vec4s), and a count that ends inside a vec4 (the
    // word-by-word tail of optim.wgsl; the words after it must stay as they were).
    for n in [pc, pc - 3] {
        clipped_adam_matches_cpu(&ctx, &layout, n);
    }
}

fn clipped_adam_matches_cpu(ctx: &Context, layout: &NetLayout, n: usize) {
    let agents = 3u32;
    let pc = layout.param_count as usize;
    let nn = NnTest::new(ctx, layout, agents, 4).unwrap();
    let mut p = init_params(layout, agents, 5);
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
            n: n as u32,
            lr: 3e-3,
            max_norm: 0.5,
            t: t as f32,
            scratch_stride: 4,
            ..Default::default()
        });
        for a in 0..agents as usize {
            let g = opt[a * 3 * pc + 2 * pc..a * 3 * pc + 2 * pc + n].to_vec();
            let (_, scale) = cpu::clip_scale(&g, 0.5);
            if a > 0 {
                assert!(scale < 0.1, "large gradients must be clipped");
            }
            cpu::adam_step(
                &mut p[a * pc..a * pc + n],
                &mut m[a * pc..a * pc + n],
                &mut v[a * pc..a * pc + n],
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
                "n {n} step {t} param {k}: gpu {} cpu {}",
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
