//! Embedding: a host that owns the wgpu device hands it to the engine, records the
//! engine's work into its own command encoder, and draws from the engine's buffers
//! (the render_cartpole example's renderer) without copying them through the CPU.

#[path = "../examples/render_cartpole/renderer.rs"]
#[allow(dead_code)]
mod renderer;

use renderer::{CART_RGB, CartPoleRenderer, Headless, count_blobs};
use wgrl::gpu::{Context, Requirements};
use wgrl::rl::{Overrides, Trainer, resolve};
use wgrl::wgpu;

/// The host's own instance, adapter and device, with `limits`.
fn host_device(limits: Option<wgpu::Limits>) -> (wgpu::Device, wgpu::Queue, wgpu::AdapterInfo) {
    let instance =
        wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
    let adapter = pollster::block_on(instance.request_adapter(&Default::default()))
        .expect("a wgpu adapter (run `make test`, which installs lavapipe)");
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        required_limits: limits.unwrap_or_else(|| adapter.limits()),
        ..Default::default()
    }))
    .expect("a device");
    (device, queue, adapter.get_info())
}

#[test]
fn a_host_device_without_the_limits_the_engine_needs_is_named() {
    // WebGL2-class limits: no storage buffers at all.
    let (device, queue, info) = host_device(Some(wgpu::Limits::downlevel_webgl2_defaults()));
    let e = Context::from_device(&device, &queue, &info, &Requirements::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("max_storage_buffers_per_shader_stage is 0 but the engine binds up to 8"),
        "{e}"
    );
}

#[test]
fn the_host_encodes_training_and_draws_every_env_from_the_state_buffer() {
    let (device, queue, info) = host_device(None);
    let ctx = Context::from_device(&device, &queue, &info, &Requirements::default()).unwrap();
    let config = resolve(&Overrides {
        env: Some("CartPole-v1".into()),
        agents: Some(2),
        seed: Some(5),
        ..Default::default()
    })
    .unwrap();
    let mut trainer = Trainer::new(&ctx, &config).unwrap();

    // Two iterations and a rollout, recorded into the host's encoder and submitted
    // by the host together with its frame.
    let buffers = trainer.buffers();
    assert_eq!(buffers.env.count(), 2 * config.ppo.envs);
    assert_eq!(buffers.env.state_field("theta"), Some(2));
    let count = buffers.env.count();
    let renderer =
        CartPoleRenderer::new(&device, Headless::FORMAT, &buffers.env, 0, count).unwrap();
    let frame = Headless::new(&device, renderer.cols * 32, renderer.rows * 32);
    let mut encoder = device.create_command_encoder(&Default::default());
    trainer.encode_iteration(&mut encoder);
    trainer.encode_iteration(&mut encoder);
    trainer.encode_rollout(&mut encoder, false);
    frame.encode(&mut encoder, &renderer);
    queue.submit([encoder.finish()]);
    let pixels = frame.pixels(&device).unwrap();

    assert_eq!(trainer.iterations_done(), 2);
    let stats = trainer.read_stats().unwrap();
    assert!(
        stats.iter().all(|s| s.iteration == 2),
        "{:?}",
        stats.iter().map(|s| s.iteration).collect::<Vec<_>>()
    );

    // One cart per env drawn.
    assert_eq!(
        count_blobs(&pixels, frame.width, frame.height, CART_RGB),
        count as usize
    );

    // And each cart sits where its state says: the pixel at the cart's centre, as
    // computed on the host from the state buffer, has the cart's colour.
    let (arena, slots) = trainer.arena();
    let states: Vec<f32> =
        bytemuck::pod_collect_to_vec(&arena.read_bytes(slots.env.states).unwrap());
    let words = 4usize;
    for env in 0..count as usize {
        let x = states[env * words];
        let (col, row) = (
            (env as u32 % renderer.cols) as f32,
            (env as u32 / renderer.cols) as f32,
        );
        // cartpole.wgsl: the cart's centre is (x / 2.4 * 0.4, -0.12) cells from the cell's centre.
        let px = ((col + 0.5 + x.clamp(-2.4, 2.4) / 2.4 * 0.4) * 32.0) as usize;
        let py = ((row + 0.5 + 0.12) * 32.0) as usize;
        let i = (py * frame.width as usize + px) * 4;
        let rgb = [pixels[i], pixels[i + 1], pixels[i + 2]];
        assert!(
            rgb.iter().zip(CART_RGB).all(|(&a, b)| a.abs_diff(b) <= 2),
            "env {env} (x = {x}): pixel ({px}, {py}) is {rgb:?}, not the cart colour"
        );
    }
}
