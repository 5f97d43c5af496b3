//! Window mode (`--features window`, `--window`): the app owns a surface and a
//! device; every frame it records one training iteration (until the planned
//! iterations are done, then a greedy rollout) and the grid of envs into the same
//! command encoder, and presents. Nothing is read back to draw.

use crate::renderer::CartPoleRenderer;
use crate::{Args, host_device, train};
use std::sync::Arc;
use wgrl::gpu::{Context, Requirements};
use wgrl::rl::Trainer;
use wgrl::wgpu;
use winit::application::ApplicationHandler;
use winit::event::WindowEvent;
use winit::event_loop::{ActiveEventLoop, EventLoop};
use winit::window::{Window, WindowId};

struct Running {
    window: Arc<Window>,
    surface: wgpu::Surface<'static>,
    config: wgpu::SurfaceConfiguration,
    device: wgpu::Device,
    queue: wgpu::Queue,
    trainer: Trainer,
    renderer: CartPoleRenderer,
    planned: u64,
}

struct App<'a> {
    args: &'a Args,
    instance: wgpu::Instance,
    running: Option<Running>,
    error: Option<String>,
}

impl App<'_> {
    fn start(&mut self, event_loop: &ActiveEventLoop) -> Result<Running, String> {
        let attrs = Window::default_attributes().with_title("wgrl: CartPole, every env");
        let window = Arc::new(event_loop.create_window(attrs).map_err(|e| e.to_string())?);
        let surface = self
            .instance
            .create_surface(window.clone())
            .map_err(|e| e.to_string())?;
        let (device, queue, info) = host_device(Some(&surface), &self.instance)?;
        let ctx = Context::from_device(&device, &queue, &info, &Requirements::default())
            .map_err(|e| e.to_string())?;
        let trainer = train(&ctx, self.args)?;
        let size = window.inner_size();
        let adapter_formats = {
            let adapter =
                pollster::block_on(self.instance.request_adapter(&wgpu::RequestAdapterOptions {
                    compatible_surface: Some(&surface),
                    ..Default::default()
                }))
                .map_err(|e| e.to_string())?;
            surface.get_capabilities(&adapter).formats
        };
        // A non-sRGB format keeps the colours the same as in the PNG.
        let format = adapter_formats
            .iter()
            .copied()
            .find(|f| !f.is_srgb())
            .or_else(|| adapter_formats.first().copied())
            .ok_or("the surface supports no format")?;
        let config = wgpu::SurfaceConfiguration {
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
            format,
            color_space: wgpu::SurfaceColorSpace::Auto,
            width: size.width.max(1),
            height: size.height.max(1),
            present_mode: wgpu::PresentMode::AutoVsync,
            desired_maximum_frame_latency: 2,
            alpha_mode: wgpu::CompositeAlphaMode::Auto,
            view_formats: vec![],
        };
        surface.configure(&device, &config);
        let buffers = trainer.buffers();
        let count = buffers.env.count();
        let renderer = CartPoleRenderer::new(&device, format, &buffers.env, 0, count)?;
        let planned = trainer.shape().iterations as u64;
        Ok(Running {
            window,
            surface,
            config,
            device,
            queue,
            trainer,
            renderer,
            planned,
        })
    }
}

impl Running {
    fn frame(&mut self) -> Result<(), String> {
        let texture = match self.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(t)
            | wgpu::CurrentSurfaceTexture::Suboptimal(t) => t,
            wgpu::CurrentSurfaceTexture::Outdated | wgpu::CurrentSurfaceTexture::Lost => {
                self.surface.configure(&self.device, &self.config);
                return Ok(());
            }
            other => return Err(format!("no frame to draw into: {other:?}")),
        };
        let view = texture.texture.create_view(&Default::default());
        let mut encoder = self.device.create_command_encoder(&Default::default());
        if self.trainer.iterations_done() < self.planned {
            self.trainer.encode_iteration(&mut encoder);
        } else {
            self.trainer.encode_rollout(&mut encoder, true);
        }
        self.renderer.draw(&mut encoder, &view);
        self.queue.submit([encoder.finish()]);
        self.queue.present(texture);
        self.window.set_title(&format!(
            "wgrl: CartPole, {} envs, iteration {}/{}",
            self.renderer.count,
            self.trainer.iterations_done().min(self.planned),
            self.planned
        ));
        Ok(())
    }
}

impl ApplicationHandler for App<'_> {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.running.is_none() {
            match self.start(event_loop) {
                Ok(r) => {
                    r.window.request_redraw();
                    self.running = Some(r);
                }
                Err(e) => {
                    self.error = Some(e);
                    event_loop.exit();
                }
            }
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _: WindowId, event: WindowEvent) {
        let Some(r) = self.running.as_mut() else {
            return;
        };
        match event {
            WindowEvent::CloseRequested => event_loop.exit(),
            WindowEvent::Resized(size) => {
                r.config.width = size.width.max(1);
                r.config.height = size.height.max(1);
                r.surface.configure(&r.device, &r.config);
            }
            WindowEvent::RedrawRequested => {
                if let Err(e) = r.frame() {
                    self.error = Some(e);
                    event_loop.exit();
                    return;
                }
                r.window.request_redraw();
            }
            _ => {}
        }
    }
}

/// Opens the window and runs until it is closed.
pub fn run(args: &Args) -> Result<(), String> {
    let event_loop = EventLoop::new().map_err(|e| format!("no window system: {e}"))?;
    let mut app = App {
        args,
        instance: wgpu::Instance::new(
            wgpu::InstanceDescriptor::new_without_display_handle_from_env(),
        ),
        running: None,
        error: None,
    };
    event_loop.run_app(&mut app).map_err(|e| e.to_string())?;
    app.error.map_or(Ok(()), Err)
}
