//! The recorder: the list of dispatches (and copies) of one iteration, built once
//! and replayed into a command encoder as often as needed. wgpu command buffers are
//! single-use, so replaying the list is how the same work is submitted each iteration.

use crate::context::Context;
use crate::error::Result;
use crate::kernel::Kernel;
use crate::profiler::Profiler;

#[derive(Debug, Clone)]
enum Command {
    Dispatch {
        label: String,
        pipeline: wgpu::ComputePipeline,
        bind_group: wgpu::BindGroup,
        groups: [u32; 3],
    },
    Copy {
        src: wgpu::Buffer,
        src_offset: u64,
        dst: wgpu::Buffer,
        dst_offset: u64,
        bytes: u64,
    },
}

/// A replayable list of GPU commands.
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    commands: Vec<Command>,
}

impl Recorder {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a dispatch of `kernel` with `bind_group` over `groups` workgroups.
    pub fn dispatch(&mut self, kernel: &Kernel, bind_group: &wgpu::BindGroup, groups: [u32; 3]) {
        self.commands.push(Command::Dispatch {
            label: kernel.name().to_string(),
            pipeline: kernel.pipeline().clone(),
            bind_group: bind_group.clone(),
            groups,
        });
    }

    /// Appends a buffer-to-buffer copy (the buffers must differ: copies within one
    /// buffer are not allowed; use a copy kernel for those).
    pub fn copy(&mut self, src: (&wgpu::Buffer, u64), dst: (&wgpu::Buffer, u64), bytes: u64) {
        self.commands.push(Command::Copy {
            src: src.0.clone(),
            src_offset: src.1,
            dst: dst.0.clone(),
            dst_offset: dst.1,
            bytes,
        });
    }

    /// Appends every command of `other`.
    pub fn extend(&mut self, other: &Recorder) {
        self.commands.extend(other.commands.iter().cloned());
    }

    /// Number of dispatches in the list.
    pub fn dispatches(&self) -> usize {
        self.commands
            .iter()
            .filter(|c| matches!(c, Command::Dispatch { .. }))
            .count()
    }

    /// Dispatch labels in order (what a profile's rows refer to).
    pub fn labels(&self) -> Vec<String> {
        self.commands
            .iter()
            .filter_map(|c| match c {
                Command::Dispatch { label, .. } => Some(label.clone()),
                Command::Copy { .. } => None,
            })
            .collect()
    }

    /// Replays the list into `encoder`. Consecutive dispatches share one compute pass
    /// (cheapest); with a profiler, each dispatch gets its own pass with timestamps.
    pub fn encode(&self, encoder: &mut wgpu::CommandEncoder, profiler: Option<&Profiler>) {
        let mut i = 0;
        let mut timed = 0u32;
        while i < self.commands.len() {
            match &self.commands[i] {
                Command::Copy {
                    src,
                    src_offset,
                    dst,
                    dst_offset,
                    bytes,
                } => {
                    encoder.copy_buffer_to_buffer(src, *src_offset, dst, *dst_offset, *bytes);
                    i += 1;
                }
                Command::Dispatch { .. } => {
                    let timestamp_writes = profiler.and_then(|p| p.pass_writes(timed));
                    let one_per_pass = timestamp_writes.is_some();
                    let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                        label: Some("wgrl"),
                        timestamp_writes,
                    });
                    while let Some(Command::Dispatch {
                        pipeline,
                        bind_group,
                        groups,
                        ..
                    }) = self.commands.get(i)
                    {
                        pass.set_pipeline(pipeline);
                        pass.set_bind_group(0, bind_group, &[]);
                        pass.dispatch_workgroups(groups[0], groups[1], groups[2]);
                        i += 1;
                        if one_per_pass {
                            timed += 1;
                            break;
                        }
                    }
                }
            }
        }
        if let Some(p) = profiler {
            p.resolve(encoder, timed);
        }
    }

    /// Encodes and submits the list without waiting.
    pub fn submit(&self, ctx: &Context) -> wgpu::SubmissionIndex {
        let mut encoder = ctx
            .device()
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("wgrl"),
            });
        self.encode(&mut encoder, None);
        ctx.queue().submit([encoder.finish()])
    }

    /// Encodes with per-dispatch timestamps, submits, waits and returns the GPU time
    /// of each dispatch in nanoseconds, labelled. For benches and `--profile`.
    pub fn profile(&self, ctx: &Context, profiler: &Profiler) -> Result<Vec<(String, f64)>> {
        let mut encoder = ctx
            .device()
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("wgrl profile"),
            });
        self.encode(&mut encoder, Some(profiler));
        ctx.queue().submit([encoder.finish()]);
        let times = profiler.read(ctx, self.dispatches() as u32)?;
        Ok(self.labels().into_iter().zip(times).collect())
    }
}
