//! Compute kernels: a validated shader turned into a pipeline once, bind groups
//! built once, and a table of per-dispatch uniform parameters.

use crate::context::Context;
use crate::error::{GpuError, Result};
use crate::shader::ShaderSource;
use bytemuck::Pod;

/// A compute pipeline built from a validated [`ShaderSource`].
#[derive(Debug, Clone)]
pub struct Kernel {
    name: String,
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
    workgroup_size: [u32; 3],
}

impl Kernel {
    /// Validates `source` with naga, then builds its `entry` point with the given
    /// `override` constants. Shader errors come back as [`GpuError::Shader`] with
    /// file, line and caret; wgpu errors as [`GpuError::Wgpu`]; neither panics.
    pub fn new(
        ctx: &Context,
        source: &ShaderSource,
        entry: &str,
        constants: &[(&str, f64)],
    ) -> Result<Self> {
        let validated = source.validate()?;
        let ep = validated
            .module
            .entry_points
            .iter()
            .find(|e| e.name == entry && e.stage == wgpu::naga::ShaderStage::Compute)
            .ok_or_else(|| {
                GpuError::Invalid(format!(
                    "shader '{}' has no compute entry point '{entry}'",
                    source.name()
                ))
            })?;
        let workgroup_size = ep.workgroup_size;
        let limits = ctx.limits();
        let invocations = workgroup_size.iter().product::<u32>();
        if invocations > limits.max_compute_invocations_per_workgroup {
            return Err(GpuError::Unsupported(format!(
                "kernel '{}' uses {invocations} invocations per workgroup but the device allows {}",
                source.name(),
                limits.max_compute_invocations_per_workgroup
            )));
        }
        let label = source.name().to_string();
        let (pipeline, layout) = ctx.checked(&format!("kernel '{label}'"), |device| {
            let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(&label),
                source: wgpu::ShaderSource::Wgsl(validated.text.into()),
            });
            let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(&label),
                layout: None,
                module: &module,
                entry_point: Some(entry),
                compilation_options: wgpu::PipelineCompilationOptions {
                    constants,
                    zero_initialize_workgroup_memory: false,
                },
                cache: None,
            });
            let layout = pipeline.get_bind_group_layout(0);
            (pipeline, layout)
        })?;
        Ok(Kernel {
            name: label,
            pipeline,
            layout,
            workgroup_size,
        })
    }

    /// Builds the `main` entry point of each source, as [`Kernel::new`] does, on
    /// a thread per source: drivers translate and optimise each pipeline on the
    /// calling thread (lavapipe spends about 0.35 s on PPO's update kernel even
    /// with a warm shader cache), so a run's kernels build side by side. Returns
    /// the kernels in the order of `sources`, or the first source's error.
    pub fn new_many(ctx: &Context, sources: &[&ShaderSource]) -> Result<Vec<Self>> {
        std::thread::scope(|scope| {
            let jobs: Vec<_> = sources
                .iter()
                .map(|source| scope.spawn(move || Kernel::new(ctx, source, "main", &[])))
                .collect();
            jobs.into_iter()
                .map(|job| {
                    job.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        })
    }

    /// The kernel's name (its shader's name).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The pipeline.
    pub fn pipeline(&self) -> &wgpu::ComputePipeline {
        &self.pipeline
    }
    /// Workgroup size declared by the entry point.
    pub fn workgroup_size(&self) -> [u32; 3] {
        self.workgroup_size
    }

    /// Builds a bind group for group 0; entry `i` binds `@binding(i)`.
    pub fn bind(
        &self,
        ctx: &Context,
        resources: &[wgpu::BindingResource<'_>],
    ) -> Result<wgpu::BindGroup> {
        let entries: Vec<wgpu::BindGroupEntry<'_>> = resources
            .iter()
            .enumerate()
            .map(|(i, r)| wgpu::BindGroupEntry {
                binding: i as u32,
                resource: r.clone(),
            })
            .collect();
        ctx.checked(&format!("bind group of kernel '{}'", self.name), |device| {
            device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(&self.name),
                layout: &self.layout,
                entries: &entries,
            })
        })
    }

    /// Workgroup counts covering `invocations` threads along x, spilling into y when
    /// x would exceed the device's per-dimension limit. Kernels recover the flat
    /// index as `gid.x + gid.y * num_workgroups.x * workgroup_size.x`.
    pub fn groups_for(&self, ctx: &Context, invocations: u64) -> Result<[u32; 3]> {
        let per = self.workgroup_size[0] as u64;
        let groups = invocations.div_ceil(per).max(1);
        let max = ctx.limits().max_compute_workgroups_per_dimension as u64;
        if groups <= max {
            return Ok([groups as u32, 1, 1]);
        }
        let y = groups.div_ceil(max);
        if y > max {
            return Err(GpuError::Plan(format!(
                "kernel '{}' needs {groups} workgroups, more than {max} x {max}; reduce envs or agents",
                self.name
            )));
        }
        Ok([groups.div_ceil(y) as u32, y as u32, 1])
    }
}

/// Where a block of kernel parameters sits in a [`ParamBuffer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamRef {
    offset: u64,
    size: u64,
}

/// Collects per-dispatch uniform parameter blocks (plan-time constants) into one
/// buffer; each block is aligned for binding at its own offset.
#[derive(Debug, Default)]
pub struct ParamTable {
    data: Vec<u8>,
}

impl ParamTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a block; `T` must match the WGSL uniform struct (16-byte multiple).
    pub fn push<T: Pod>(&mut self, value: &T) -> ParamRef {
        // 256 is the largest min_uniform_buffer_offset_alignment wgpu allows.
        let offset = crate::arena::align_up(self.data.len() as u64, 256);
        self.data.resize(offset as usize, 0);
        self.data.extend_from_slice(bytemuck::bytes_of(value));
        ParamRef {
            offset,
            size: std::mem::size_of::<T>() as u64,
        }
    }

    /// Uploads the table.
    pub fn build(&self, ctx: &Context) -> Result<ParamBuffer> {
        let mut data = self.data.clone();
        data.resize(
            crate::arena::align_up(data.len().max(16) as u64, 16) as usize,
            0,
        );
        let buffer = ctx.checked("kernel parameter table", |device| {
            let b = device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("wgrl kernel params"),
                size: data.len() as u64,
                usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            ctx.queue().write_buffer(&b, 0, &data);
            b
        })?;
        Ok(ParamBuffer { buffer })
    }
}

/// The uploaded parameter table.
#[derive(Debug, Clone)]
pub struct ParamBuffer {
    buffer: wgpu::Buffer,
}

impl ParamBuffer {
    /// Overwrites one block (queued; takes effect for the next submission).
    pub fn write<T: Pod>(&self, ctx: &Context, r: ParamRef, value: &T) {
        debug_assert_eq!(std::mem::size_of::<T>() as u64, r.size);
        ctx.queue()
            .write_buffer(&self.buffer, r.offset, bytemuck::bytes_of(value));
    }

    /// The binding of one block.
    pub fn binding(&self, r: ParamRef) -> wgpu::BindingResource<'_> {
        wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: &self.buffer,
            offset: r.offset,
            size: wgpu::BufferSize::new(r.size),
        })
    }
}
