//! `cargo bench --bench nn`: the network building blocks (dense forward, input
//! gradient, weight gradient, clipped Adam) as the PPO update runs them: one
//! workgroup per agent, 4 agents, a 64x64 tanh layer over a minibatch of 512.
//! Each runs with the portable dense code and, where the adapter has it (lavapipe),
//! the subgroup code. Under `cargo test` it runs one small sample.

use wgrl::gpu::{Profiler, bench};
use wgrl::nn::kernels::{DenseKernels, NnTest, NnTestParams, mode};
use wgrl::nn::{Activation, NetLayout};

fn main() {
    // SAFETY: first in main, before any other thread exists.
    let ctx = unsafe { bench::bench_context() };
    let smoke = bench::smoke_mode();
    let (agents, m, samples) = if smoke {
        (1u32, 32u32, 1)
    } else {
        (4, 512, 15)
    };
    let layout = NetLayout::actor_critic(64, 2, 64, 2, Activation::Tanh);
    let l = layout.layers[1]; // 64 -> 64, tanh
    let m4 = m / 4;
    let region = 64 * m4;
    let mut codes = vec![DenseKernels::Portable];
    let picked = DenseKernels::for_context(&ctx);
    if picked != DenseKernels::Portable {
        codes.push(picked);
    }
    let base = NnTestParams {
        layer: 1,
        x: 0,
        y: region,
        dx: 2 * region,
        m4,
        x_act: 1,
        scratch_stride: 3 * region,
        ..Default::default()
    };
    let pc = layout.param_count;
    let profiler = Profiler::new(&ctx, 1).expect("profiler");
    let cases = [
        (
            "forward",
            NnTestParams {
                mode: mode::FORWARD,
                ..base
            },
            2.0 * (l.n_in * l.n_out * m) as f64,
        ),
        (
            "backward_input",
            NnTestParams {
                mode: mode::BACKWARD_INPUT,
                ..base
            },
            2.0 * (l.n_in * l.n_out * m) as f64,
        ),
        (
            "weight_grad",
            NnTestParams {
                mode: mode::WEIGHT_GRAD,
                ..base
            },
            2.0 * ((l.n_in + 1) * l.n_out * m) as f64,
        ),
        (
            "adam",
            NnTestParams {
                mode: mode::ADAM,
                n: pc,
                lr: 1e-3,
                max_norm: 0.5,
                t: 1.0,
                ..base
            },
            0.0,
        ),
    ];
    for dense in codes {
        let nn = NnTest::with_dense(&ctx, &layout, agents, 3 * region, dense).expect("nn kernel");
        for &(name, p, flops) in &cases {
            if name == "adam" && dense != DenseKernels::Portable {
                continue; // Adam has no subgroup code
            }
            let rec = nn.recorder(p);
            let t = bench::measure(1, samples, || {
                rec.submit(&ctx);
                ctx.wait()
            })
            .expect("bench");
            let gpu_ms = profiler.as_ref().map(|pr| {
                let ns: Vec<f64> = (0..samples.min(5))
                    .map(|_| rec.profile(&ctx, pr).expect("profile")[0].1)
                    .collect();
                bench::median(&ns) * 1e-6
            });
            let total_flops = flops * agents as f64;
            print!(
                "nn/{name} ({dense:?}): {agents} agents, M = {m}: median {:.3} ms",
                t.median * 1e3
            );
            if let Some(ms) = gpu_ms {
                print!(", GPU {ms:.3} ms");
                if flops > 0.0 {
                    print!(", {:.2} GFLOP/s", total_flops / (ms * 1e-3) / 1e9);
                }
            }
            if name == "adam" {
                print!(" ({pc} parameters per agent)");
            }
            println!();
        }
    }
}
