//! GPU timestamp profiling: one timestamp pair per compute pass (the portable
//! `TIMESTAMP_QUERY` feature; lavapipe has it), resolved and read after the work.

use crate::context::Context;
use crate::error::{GpuError, Result};

/// Timestamp queries for up to `capacity` dispatches.
#[derive(Debug)]
pub struct Profiler {
    query_set: wgpu::QuerySet,
    resolve: wgpu::Buffer,
    capacity: u32,
    period_ns: f32,
}

impl Profiler {
    /// A profiler for up to `capacity` timed dispatches, or `None` when the device
    /// has no timestamp queries.
    pub fn new(ctx: &Context, capacity: u32) -> Result<Option<Self>> {
        if !ctx.has_timestamps() {
            return Ok(None);
        }
        let capacity = capacity.clamp(1, 2048);
        let (query_set, resolve) = ctx.checked("profiler", |device| {
            let qs = device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("wgrl timestamps"),
                ty: wgpu::QueryType::Timestamp,
                count: capacity * 2,
            });
            let buf = device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("wgrl timestamp resolve"),
                size: capacity as u64 * 16,
                usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            });
            (qs, buf)
        })?;
        Ok(Some(Profiler {
            query_set,
            resolve,
            capacity,
            period_ns: ctx.queue().get_timestamp_period(),
        }))
    }

    pub(crate) fn pass_writes(&self, index: u32) -> Option<wgpu::ComputePassTimestampWrites<'_>> {
        (index < self.capacity).then(|| wgpu::ComputePassTimestampWrites {
            query_set: &self.query_set,
            beginning_of_pass_write_index: Some(index * 2),
            end_of_pass_write_index: Some(index * 2 + 1),
        })
    }

    pub(crate) fn resolve(&self, encoder: &mut wgpu::CommandEncoder, timed: u32) {
        let n = timed.min(self.capacity);
        if n > 0 {
            encoder.resolve_query_set(&self.query_set, 0..n * 2, &self.resolve, 0);
        }
    }

    /// Reads the first `n` dispatch durations in nanoseconds (blocking).
    pub fn read(&self, ctx: &Context, n: u32) -> Result<Vec<f64>> {
        let n = n.min(self.capacity);
        if n == 0 {
            return Ok(Vec::new());
        }
        let bytes = crate::readback::read_buffer_blocking(ctx, &self.resolve, 0, n as u64 * 16)?;
        let ticks: Vec<u64> = bytemuck::pod_collect_to_vec(&bytes);
        ticks
            .chunks(2)
            .map(|c| {
                let d = c[1].checked_sub(c[0]).ok_or_else(|| {
                    GpuError::Readback("GPU timestamps went backwards".to_string())
                })?;
                Ok(d as f64 * self.period_ns as f64)
            })
            .collect()
    }
}
