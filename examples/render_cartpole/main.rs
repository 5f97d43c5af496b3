//! Trains CartPole inside a host application's own wgpu device, then draws every
//! env (a grid of carts and poles) with a render pipeline that reads the engine's
//! env-state buffer directly: no state goes through the CPU.
//!
//! ```text
//! cargo run --release --example render_cartpole -- --out cartpole.png
//! cargo run --release --example render_cartpole --features window     # in a window
//! ```
//!
//! Options: `--out FILE` (PNG, default cartpole.png), `--agents K` (default 4),
//! `--total-steps N` (default: the cartpole preset's), `--cell PX` (pixels per env,
//! default 64), `--window` (needs the `window` feature).

mod renderer;
#[cfg(feature = "window")]
mod window;

use renderer::{CartPoleRenderer, Headless};
use std::path::{Path, PathBuf};
use wgrl::gpu::{Context, Requirements};
use wgrl::rl::{Overrides, Trainer, resolve};
use wgrl::wgpu;

struct Args {
    out: PathBuf,
    agents: u32,
    total_steps: Option<u64>,
    cell: u32,
    window: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        out: PathBuf::from("cartpole.png"),
        agents: 4,
        total_steps: None,
        cell: 64,
        window: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        let number = |name: &str, v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{name} takes a whole number, got '{v}'"))
        };
        match flag.as_str() {
            "--out" => args.out = PathBuf::from(value("--out")?),
            "--agents" => args.agents = number("--agents", value("--agents")?)? as u32,
            "--total-steps" => {
                args.total_steps = Some(number("--total-steps", value("--total-steps")?)?)
            }
            "--cell" => args.cell = number("--cell", value("--cell")?)?.clamp(16, 512) as u32,
            "--window" => args.window = true,
            other => {
                return Err(format!(
                    "unknown option '{other}'; options: --out FILE, --agents K, --total-steps N, --cell PX, --window"
                ));
            }
        }
    }
    Ok(args)
}

/// What a host application does anyway: its own instance, adapter and device.
/// The engine is then handed the device and queue and creates nothing itself.
fn host_device(
    compatible_surface: Option<&wgpu::Surface<'_>>,
    instance: &wgpu::Instance,
) -> Result<(wgpu::Device, wgpu::Queue, wgpu::AdapterInfo), String> {
    let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
        power_preference: wgpu::PowerPreference::HighPerformance,
        force_fallback_adapter: false,
        compatible_surface,
        ..Default::default()
    }))
    .map_err(|e| {
        format!(
            "no GPU adapter ({e}); on Debian/Ubuntu run `make train` or install mesa-vulkan-drivers"
        )
    })?;
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        label: Some("host app device"),
        // The engine's kernels bind up to 8 storage buffers and use 256-wide
        // workgroups, within WebGPU's defaults; the adapter's own limits let the
        // arena use big pages.
        required_limits: adapter.limits(),
        ..Default::default()
    }))
    .map_err(|e| format!("could not open a device: {e}"))?;
    Ok((device, queue, adapter.get_info()))
}

/// Trains the default CartPole preset with `args.agents` agents on `ctx`.
fn train(ctx: &Context, args: &Args) -> Result<Trainer, String> {
    let config = resolve(&Overrides {
        env: Some("CartPole-v1".into()),
        agents: Some(args.agents),
        total_steps: args.total_steps,
        ..Default::default()
    })
    .map_err(|e| e.to_string())?;
    Trainer::new(ctx, &config).map_err(|e| e.to_string())
}

/// Writes `bytes` to `path` through a temporary file and a rename, so a crash
/// never leaves half a picture.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("png.tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

fn encode_png(pixels: &[u8], width: u32, height: u32) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, width, height);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().map_err(|e| e.to_string())?;
    w.write_image_data(pixels).map_err(|e| e.to_string())?;
    w.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

fn headless(args: &Args) -> Result<(), String> {
    let instance =
        wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let (device, queue, info) = host_device(None, &instance)?;
    let ctx = Context::from_device(&device, &queue, &info, &Requirements::default())
        .map_err(|e| e.to_string())?;
    let mut trainer = train(&ctx, args)?;
    println!(
        "training CartPole-v1 on {} ({}): {} agents x {} envs",
        info.name,
        ctx.adapter().backend,
        args.agents,
        trainer.shape().envs
    );
    let report = trainer
        .train(|lp| {
            println!(
                "  {} env steps per agent, mean return {:.1}",
                lp.env_steps,
                lp.mean_return().unwrap_or(f64::NAN)
            )
        })
        .map_err(|e| e.to_string())?;

    let buffers = trainer.buffers();
    let count = buffers.env.count();
    let renderer = CartPoleRenderer::new(&device, Headless::FORMAT, &buffers.env, 0, count)?;
    let frame = Headless::new(
        &device,
        renderer.cols * args.cell,
        renderer.rows * args.cell,
    );
    // One encoder for the engine's work and the app's: a greedy rollout, then the
    // frame drawn from the state buffer that rollout left.
    let mut encoder = device.create_command_encoder(&Default::default());
    trainer.encode_rollout(&mut encoder, true);
    frame.encode(&mut encoder, &renderer);
    queue.submit([encoder.finish()]);
    let pixels = frame.pixels(&device)?;
    let png = encode_png(&pixels, frame.width, frame.height)?;
    write_atomic(&args.out, &png)
        .map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
    let carts = renderer::count_blobs(&pixels, frame.width, frame.height, renderer::CART_RGB);
    println!(
        "trained to a mean return of {:.1}; drew {count} envs ({carts} carts visible, {} x {} grid) into {} ({} x {} px)",
        report.last.mean_return().unwrap_or(f64::NAN),
        renderer.cols,
        renderer.rows,
        args.out.display(),
        frame.width,
        frame.height
    );
    Ok(())
}

fn main() {
    let result = parse_args().and_then(|args| {
        if args.window {
            #[cfg(feature = "window")]
            return window::run(&args);
            #[cfg(not(feature = "window"))]
            return Err("--window needs the `window` feature: cargo run --release --example render_cartpole --features window -- --window".into());
        }
        headless(&args)
    });
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
