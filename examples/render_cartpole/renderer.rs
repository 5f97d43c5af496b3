//! A render pipeline that draws CartPole envs from wgrl's env-state buffer: the
//! vertex shader reads each env's `x` and `theta` from the engine's arena page, so
//! no state passes through the CPU. Used by the example's headless and window
//! modes and by the render test.

use wgrl::envs::EnvBuffers;
use wgrl::wgpu;

/// Bytes of one RGBA8 pixel.
const PIXEL_BYTES: u32 = 4;
/// Background colour (light grey-white).
pub const BACKGROUND: [f64; 3] = [0.97, 0.97, 0.95];
/// The cart colour as it lands in an Rgba8Unorm target (0.2, 0.35, 0.8 in the shader).
pub const CART_RGB: [u8; 3] = [51, 89, 204];

/// `View` in cartpole.wgsl.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct View {
    cols: u32,
    rows: u32,
    first_env: u32,
    stride_words: u32,
    x_field: u32,
    theta_field: u32,
    _pad: [u32; 2],
}

/// Draws `count` envs, starting at `first_env`, as a grid of carts and poles.
pub struct CartPoleRenderer {
    pipeline: wgpu::RenderPipeline,
    bind_group: wgpu::BindGroup,
    /// Envs drawn.
    pub count: u32,
    /// Grid columns.
    pub cols: u32,
    /// Grid rows.
    pub rows: u32,
}

impl CartPoleRenderer {
    /// Builds the pipeline for `format` targets and binds the engine's state buffer.
    /// Fails when the envs are not CartPole-like (no `x` or `theta` state field).
    pub fn new(
        device: &wgpu::Device,
        format: wgpu::TextureFormat,
        envs: &EnvBuffers<'_>,
        first_env: u32,
        count: u32,
    ) -> Result<Self, String> {
        let field = |name: &str| {
            envs.state_field(name).ok_or_else(|| {
                format!(
                    "the env has no state field `{name}` to draw (fields: {})",
                    envs.state_fields.join(", ")
                )
            })
        };
        let (x_field, theta_field) = (field("x")?, field("theta")?);
        if count == 0 || first_env + count > envs.count() {
            return Err(format!(
                "cannot draw envs {first_env}..{} of {}",
                first_env + count,
                envs.count()
            ));
        }
        let cols = (count as f64).sqrt().ceil() as u32;
        let rows = count.div_ceil(cols);
        let view = View {
            cols,
            rows,
            first_env,
            stride_words: (envs.state_bytes / 4) as u32,
            x_field,
            theta_field,
            _pad: [0; 2],
        };
        let uniform = wgpu::util::DeviceExt::create_buffer_init(
            device,
            &wgpu::util::BufferInitDescriptor {
                label: Some("cartpole view"),
                contents: bytemuck::bytes_of(&view),
                usage: wgpu::BufferUsages::UNIFORM,
            },
        );
        let shader = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("cartpole.wgsl"),
            source: wgpu::ShaderSource::Wgsl(include_str!("cartpole.wgsl").into()),
        });
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("cartpole view + states"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::VERTEX,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                },
                wgpu::BindGroupLayoutEntry {
                    binding: 1,
                    visibility: wgpu::ShaderStages::VERTEX,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Storage { read_only: true },
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                },
            ],
        });
        // The engine's own buffer, bound where the slot lives: no copy.
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("cartpole bind group"),
            layout: &layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: uniform.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: envs.states.binding(),
                },
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("cartpole pipeline layout"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("cartpole pipeline"),
            layout: Some(&pipeline_layout),
            vertex: wgpu::VertexState {
                module: &shader,
                entry_point: Some("vs_main"),
                compilation_options: Default::default(),
                buffers: &[],
            },
            fragment: Some(wgpu::FragmentState {
                module: &shader,
                entry_point: Some("fs_main"),
                compilation_options: Default::default(),
                targets: &[Some(wgpu::ColorTargetState {
                    format,
                    blend: None,
                    write_mask: wgpu::ColorWrites::ALL,
                })],
            }),
            primitive: wgpu::PrimitiveState::default(),
            depth_stencil: None,
            multisample: wgpu::MultisampleState::default(),
            multiview_mask: None,
            cache: None,
        });
        Ok(CartPoleRenderer {
            pipeline,
            bind_group,
            count,
            cols,
            rows,
        })
    }

    /// Records a pass that clears `target` and draws every env.
    pub fn draw(&self, encoder: &mut wgpu::CommandEncoder, target: &wgpu::TextureView) {
        let [r, g, b] = BACKGROUND;
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("cartpole grid"),
            color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                view: target,
                depth_slice: None,
                resolve_target: None,
                ops: wgpu::Operations {
                    load: wgpu::LoadOp::Clear(wgpu::Color { r, g, b, a: 1.0 }),
                    store: wgpu::StoreOp::Store,
                },
            })],
            depth_stencil_attachment: None,
            timestamp_writes: None,
            occlusion_query_set: None,
            multiview_mask: None,
        });
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.bind_group, &[]);
        pass.draw(0..18, 0..self.count);
    }
}

/// An offscreen RGBA8 target and the buffer its pixels are copied into.
pub struct Headless {
    texture: wgpu::Texture,
    readback: wgpu::Buffer,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    padded_row: u32,
}

impl Headless {
    /// The texture format the headless target uses.
    pub const FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;

    /// A `width` x `height` target.
    pub fn new(device: &wgpu::Device, width: u32, height: u32) -> Self {
        let texture = device.create_texture(&wgpu::TextureDescriptor {
            label: Some("cartpole frame"),
            size: wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: Self::FORMAT,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
            view_formats: &[],
        });
        // Texture-to-buffer copies need rows aligned to 256 bytes.
        let padded_row = (width * PIXEL_BYTES).next_multiple_of(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT);
        let readback = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("cartpole frame readback"),
            size: padded_row as u64 * height as u64,
            usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
            mapped_at_creation: false,
        });
        Headless {
            texture,
            readback,
            width,
            height,
            padded_row,
        }
    }

    /// Records `renderer`'s frame into the target and the copy into the readback buffer.
    pub fn encode(&self, encoder: &mut wgpu::CommandEncoder, renderer: &CartPoleRenderer) {
        let view = self.texture.create_view(&Default::default());
        renderer.draw(encoder, &view);
        encoder.copy_texture_to_buffer(
            self.texture.as_image_copy(),
            wgpu::TexelCopyBufferInfo {
                buffer: &self.readback,
                layout: wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(self.padded_row),
                    rows_per_image: Some(self.height),
                },
            },
            wgpu::Extent3d {
                width: self.width,
                height: self.height,
                depth_or_array_layers: 1,
            },
        );
    }

    /// The pixels of the last encoded frame, tightly packed RGBA8 rows (waits for
    /// the GPU by polling the device).
    pub fn pixels(&self, device: &wgpu::Device) -> Result<Vec<u8>, String> {
        let slice = self.readback.slice(..);
        let (tx, rx) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| format!("waiting for the frame failed: {e}"))?;
        rx.recv()
            .map_err(|e| format!("the frame's map callback never ran: {e}"))?
            .map_err(|e| format!("mapping the frame failed: {e}"))?;
        let mut out = Vec::with_capacity((self.width * self.height * PIXEL_BYTES) as usize);
        {
            let data = slice
                .get_mapped_range()
                .map_err(|e| format!("reading the mapped frame failed: {e}"))?;
            for row in data.chunks(self.padded_row as usize) {
                out.extend_from_slice(&row[..(self.width * PIXEL_BYTES) as usize]);
            }
        }
        self.readback.unmap();
        Ok(out)
    }
}

/// Counts 4-connected blobs of pixels within 2 of `rgb` in a tightly packed RGBA8 image.
pub fn count_blobs(pixels: &[u8], width: u32, height: u32, rgb: [u8; 3]) -> usize {
    let (w, h) = (width as usize, height as usize);
    let matches = |i: usize| {
        let p = &pixels[i * 4..i * 4 + 3];
        p.iter().zip(rgb).all(|(&a, b)| a.abs_diff(b) <= 2)
    };
    let mut seen = vec![false; w * h];
    let mut blobs = 0;
    let mut stack = Vec::new();
    for start in 0..w * h {
        if seen[start] || !matches(start) {
            continue;
        }
        blobs += 1;
        seen[start] = true;
        stack.push(start);
        while let Some(i) = stack.pop() {
            let (x, y) = (i % w, i / w);
            let mut visit = |j: usize| {
                if !seen[j] && matches(j) {
                    seen[j] = true;
                    stack.push(j);
                }
            };
            if x > 0 {
                visit(i - 1);
            }
            if x + 1 < w {
                visit(i + 1);
            }
            if y > 0 {
                visit(i - w);
            }
            if y + 1 < h {
                visit(i + w);
            }
        }
    }
    blobs
}
