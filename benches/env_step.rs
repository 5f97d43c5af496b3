//! `cargo bench --bench env_step`: env stepping throughput through the general env
//! kernel, and the RNG kernel. Under `cargo test` it runs one small sample.

use wgrl::envs::{BUILTIN_ENVS, bench::env_throughput, builtin, custom};
use wgrl::gpu::bench;

fn main() {
    // SAFETY: first in main, before any other thread exists.
    let ctx = unsafe { bench::bench_context() };
    let smoke = bench::smoke_mode();
    let (envs, steps, samples) = if smoke {
        (1024, 10, 1)
    } else {
        (65536, 500, 15)
    };
    // The built-in envs and the custom-env example, loaded from its manifest.
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/custom_env/point_mass.toml"
    );
    let mut descs: Vec<_> = BUILTIN_ENVS
        .iter()
        .map(|name| builtin(name).expect("built-in env"))
        .collect();
    descs.push(custom::load(std::path::Path::new(example)).expect("the custom env example"));
    for desc in &descs {
        let name = &desc.name;
        let r = env_throughput(&ctx, desc, envs, steps, samples)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        print!(
            "env_step/{name}: {} envs x {} steps: median {:.3} ms/dispatch, {:.1} M env-steps/s",
            r.envs,
            r.steps,
            r.median_seconds * 1e3,
            r.steps_per_second / 1e6
        );
        match r.gpu_ms_per_dispatch {
            Some(ms) => println!(
                ", GPU {ms:.3} ms/dispatch ({:.1} M/s)",
                r.gpu_steps_per_second.unwrap_or(0.0) / 1e6
            ),
            None => println!(" (no timestamps)"),
        }
        assert!(r.steps_per_second > 0.0);
    }
}
