//! GPU tests of the engine core, run on whatever adapter is present (lavapipe in CI).

use wgrl_gpu::rng::{self, FillMode, FillParams, Rng, RngFill};
use wgrl_gpu::*;

fn ctx() -> Context {
    Context::new(&ContextOptions::default())
        .expect("a wgpu adapter (run `make test`, which installs lavapipe)")
}

/// Runs `rng_fill.wgsl` for `count` invocations: invocation i draws at
/// (env = i % envs, step = step0 + i / envs).
fn fill(ctx: &Context, p: FillParams) -> Vec<[u32; 4]> {
    RngFill::new(ctx, p).unwrap().run().unwrap()
}

fn params(stream: u32, envs: u32, count: u32, mode: u32) -> FillParams {
    let mode = [FillMode::Uniform, FillMode::Normal, FillMode::Words][mode as usize];
    FillParams::new(7, 3, stream, envs, count, mode, 11)
}

#[test]
fn rng_words_match_the_cpu_reference_bitwise() {
    let ctx = ctx();
    let words = fill(&ctx, params(rng::STREAM_ACTION, 1000, 5000, 2));
    for (i, w) in words.iter().enumerate() {
        let i = i as u32;
        let mut r = Rng::new(7, 3, i % 1000, 11 + i / 1000, rng::STREAM_ACTION);
        assert_eq!(*w, r.next4(), "invocation {i}");
    }
    let unif = fill(&ctx, params(rng::STREAM_RESET, 64, 4096, 0));
    for (i, w) in unif.iter().enumerate() {
        let i = i as u32;
        let mut r = Rng::new(7, 3, i % 64, 11 + i / 64, rng::STREAM_RESET);
        assert_eq!(w.map(f32::from_bits), r.uniform4(), "invocation {i}");
    }
    // Box-Muller uses log/sqrt/cos/sin, which GPU drivers may evaluate a few ulp
    // differently from Rust's libm: allow 2e-5 relative (values stay below ~6).
    let normals = fill(&ctx, params(rng::STREAM_INIT, 64, 4096, 1));
    for (i, w) in normals.iter().enumerate() {
        let i = i as u32;
        let mut r = Rng::new(7, 3, i % 64, 11 + i / 64, rng::STREAM_INIT);
        let cpu = r.normal4();
        for k in 0..4 {
            let g = f32::from_bits(w[k]);
            assert!(
                (g - cpu[k]).abs() <= 2e-5 * cpu[k].abs().max(1.0),
                "invocation {i}: {g} vs {}",
                cpu[k]
            );
        }
    }
}

fn mean_var(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n;
    (m, v)
}

fn corr(a: &[f64], b: &[f64]) -> f64 {
    let (ma, va) = mean_var(a);
    let (mb, vb) = mean_var(b);
    let cov = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - ma) * (y - mb))
        .sum::<f64>()
        / a.len() as f64;
    cov / (va * vb).sqrt()
}

fn floats(words: &[[u32; 4]]) -> Vec<f64> {
    words
        .iter()
        .flat_map(|w| w.map(|x| f32::from_bits(x) as f64))
        .collect()
}

// Statistical bounds are 6 standard errors: a correct generator fails one with
// probability ~2e-9, while a broken one (bias, wrong scaling, reused keys) misses
// them by orders of magnitude.
#[test]
fn uniforms_and_normals_have_the_right_moments() {
    let ctx = ctx();
    let n = 1 << 18; // invocations; 4 draws each
    let u = floats(&fill(&ctx, params(0, 4096, n, 0)));
    let nn = u.len() as f64;
    let (m, v) = mean_var(&u);
    assert!(
        (m - 0.5).abs() < 6.0 * (1.0 / 12.0 / nn).sqrt(),
        "uniform mean {m}"
    );
    // Var of the sample variance of U(0,1): (1/80 - 1/144) / n.
    assert!(
        (v - 1.0 / 12.0).abs() < 6.0 * ((1.0 / 80.0 - 1.0 / 144.0) / nn).sqrt(),
        "uniform var {v}"
    );
    assert!(u.iter().all(|&x| x > 0.0 && x < 1.0));

    let z = floats(&fill(&ctx, params(1, 4096, n, 1)));
    let (m, v) = mean_var(&z);
    assert!(m.abs() < 6.0 / nn.sqrt(), "normal mean {m}");
    assert!((v - 1.0).abs() < 6.0 * (2.0 / nn).sqrt(), "normal var {v}");
    // Fourth moment of a standard normal is 3 (its estimator's sd is sqrt(96/n)).
    let k4 = z.iter().map(|x| x.powi(4)).sum::<f64>() / nn;
    assert!(
        (k4 - 3.0).abs() < 6.0 * (96.0 / nn).sqrt(),
        "normal kurtosis {k4}"
    );
}

#[test]
fn adjacent_streams_steps_and_envs_are_uncorrelated() {
    let ctx = ctx();
    let envs = 4096u32;
    let n = envs * 64; // 64 consecutive steps of 4096 envs
    let a = floats(&fill(&ctx, params(5, envs, n, 0)));
    let b = floats(&fill(&ctx, params(6, envs, n, 0)));
    let bound = 6.0 / (a.len() as f64).sqrt();
    assert!(
        corr(&a, &b).abs() < bound,
        "adjacent streams: {}",
        corr(&a, &b)
    );
    // Draw i is at env (i/4) % envs, step (i/4) / envs; shifting by 4*envs moves one step.
    let s = 4 * envs as usize;
    let r = corr(&a[..a.len() - s], &a[s..]);
    assert!(r.abs() < bound * 1.01, "adjacent steps: {r}");
    let r = corr(&a[..a.len() - 4], &a[4..]);
    assert!(r.abs() < bound, "adjacent envs: {r}");
    // Draws within one block (x, y of the same call) are independent too.
    let x: Vec<f64> = a.iter().step_by(4).copied().collect();
    let y: Vec<f64> = a.iter().skip(1).step_by(4).copied().collect();
    let r = corr(&x, &y);
    assert!(
        r.abs() < 6.0 / (x.len() as f64).sqrt(),
        "lanes of one block: {r}"
    );
}

#[test]
fn arena_round_trips_and_reports_memory() {
    let ctx = ctx();
    let mut plan = ArenaPlan::new();
    let a = plan.add::<f32>("a", Category::Params, 1000);
    let b = plan.add::<u32>("b", Category::Stats, 7);
    let arena = Arena::new(&ctx, &plan).unwrap();
    let xs: Vec<f32> = (0..1000).map(|i| i as f32 * 0.5).collect();
    arena.write(a, &xs).unwrap();
    arena.write(b, &[1, 2, 3, 4, 5, 6, 7]).unwrap();
    assert_eq!(arena.read(a).unwrap(), xs);
    assert_eq!(arena.read(b).unwrap(), vec![1, 2, 3, 4, 5, 6, 7]);
    let err = arena.write(b, &[1, 2]).unwrap_err().to_string();
    assert!(err.contains("'b' holds 28 bytes"), "{err}");
    let report = arena.memory_report();
    assert_eq!(report.by_category["params"], 4000);
    assert_eq!(report.by_category["stats"], 28);
    assert_eq!(ctx.host_readbacks(), 2);
}

#[test]
fn plan_larger_than_the_device_binding_is_an_error() {
    let ctx = ctx();
    let max = ctx.limits().max_storage_buffer_binding_size;
    let mut plan = ArenaPlan::new();
    plan.add::<f32>("huge", Category::Rollout, max / 4 + 1024);
    let err = Arena::new(&ctx, &plan).unwrap_err().to_string();
    assert!(
        err.contains("'huge'") && err.contains("over by 4.0 KiB"),
        "{err}"
    );
}

#[test]
fn recorder_replays_and_profiler_times_each_dispatch() {
    let ctx = ctx();
    let src = RngFill::source();
    let kernel = Kernel::new(&ctx, &src, "main", &[]).unwrap();
    let mut plan = ArenaPlan::new();
    let out = plan.add::<[u32; 4]>("out", Category::Scratch, 256);
    let arena = Arena::new(&ctx, &plan).unwrap();
    let mut table = ParamTable::new();
    let p1 = table.push(&params(0, 16, 256, 2));
    let mut later = params(0, 16, 256, 2);
    later.step0 = 99;
    let p2 = table.push(&later);
    let pb = table.build(&ctx).unwrap();
    let bg1 = kernel
        .bind(&ctx, &[pb.binding(p1), arena.binding(out)])
        .unwrap();
    let bg2 = kernel
        .bind(&ctx, &[pb.binding(p2), arena.binding(out)])
        .unwrap();
    let mut rec = Recorder::new();
    rec.dispatch(&kernel, &bg1, [4, 1, 1]);
    rec.dispatch(&kernel, &bg2, [4, 1, 1]);
    assert_eq!(rec.dispatches(), 2);
    // Replaying twice gives the same result: the second dispatch wins.
    rec.submit(&ctx);
    rec.submit(&ctx);
    let got = arena.read(out).unwrap();
    assert_eq!(got[17], Rng::new(7, 3, 1, 99 + 1, 0).next4());
    if let Some(prof) = Profiler::new(&ctx, 8).unwrap() {
        let times = rec.profile(&ctx, &prof).unwrap();
        assert_eq!(times.len(), 2);
        assert!(
            times.iter().all(|(l, ns)| l == "rng_fill" && *ns >= 0.0),
            "{times:?}"
        );
    }
}

#[test]
fn async_readback_delivers_without_blocking_calls() {
    let ctx = ctx();
    let mut plan = ArenaPlan::new();
    let a = plan.add::<u32>("a", Category::Stats, 64);
    let arena = Arena::new(&ctx, &plan).unwrap();
    arena.write(a, &(0..64).collect::<Vec<u32>>()).unwrap();
    let rb = AsyncReadback::new(&ctx, 256).unwrap();
    let (buf, off, bytes) = arena.range(a);
    let mut enc = ctx.device().create_command_encoder(&Default::default());
    rb.encode_copy(&mut enc, buf, off, 0, bytes);
    ctx.queue().submit([enc.finish()]);
    rb.request();
    let waits = ctx.blocking_waits();
    // Poll (never wait) until the mapping completes; lavapipe finishes promptly.
    let data = loop {
        if let Some(d) = rb.try_take().unwrap() {
            break d;
        }
        std::thread::yield_now();
    };
    let words: Vec<u32> = bytemuck::pod_collect_to_vec(&data);
    assert_eq!(words, (0..64).collect::<Vec<u32>>());
    assert_eq!(ctx.blocking_waits(), waits, "async readback must not block");
    assert!(!rb.is_pending());
}

#[test]
fn broken_shader_is_an_error_not_a_panic() {
    let ctx = ctx();
    let src = ShaderSource::new("bad").part(
        "my_kernel.wgsl",
        "@compute @workgroup_size(64)\nfn main() {\n  let x = undefined_thing;\n}\n",
    );
    let err = Kernel::new(&ctx, &src, "main", &[]).unwrap_err();
    let GpuError::Shader(d) = &err else {
        panic!("{err}")
    };
    assert_eq!(
        (d.file.as_deref(), d.line),
        (Some("my_kernel.wgsl"), Some(3)),
        "{}",
        d.rendered
    );
    let src = RngFill::source();
    let err = Kernel::new(&ctx, &src, "nope", &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("no compute entry point 'nope'"), "{err}");
}

#[test]
fn borrowed_device_is_used_as_is_and_missing_limits_are_named() {
    let owned = ctx();
    let mut info = owned.adapter_info().clone();
    info.name = "host".into();
    let borrowed = Context::from_device(
        owned.device(),
        owned.queue(),
        &info,
        &Requirements::default(),
    )
    .unwrap();
    assert_eq!(borrowed.adapter().name, "host");
    let greedy = Requirements {
        storage_buffers_per_stage: u32::MAX,
        ..Requirements::default()
    };
    let err = Context::from_device(owned.device(), owned.queue(), &info, &greedy)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("max_storage_buffers_per_shader_stage"),
        "{err}"
    );
}

#[test]
fn gpu_shuffles_are_the_cpu_reference_permutations() {
    let ctx = ctx();
    // A size that is no power of 4, so cycle-walking runs; two epochs of one iteration.
    let n = 1000u32;
    for (iteration, epoch) in [(0u32, 0u32), (7, 3)] {
        let got = fill(
            &ctx,
            FillParams::new(11, 2, 0, epoch, n, FillMode::Shuffle, iteration),
        );
        let key = rng::shuffle_key(11, 2, iteration, epoch);
        let mut seen = vec![false; n as usize];
        for (i, w) in got.iter().enumerate() {
            assert_eq!(w[0], rng::perm_index(i as u32, n, key), "element {i}");
            assert!(
                !std::mem::replace(&mut seen[w[0] as usize], true),
                "{} twice",
                w[0]
            );
        }
    }
}
