//! GPU-to-host reads. The blocking read is for tests, debugging and the host env API;
//! the training loop uses [`AsyncReadback`], which never blocks: it maps a staging
//! buffer and hands the bytes over once the GPU has finished.

use crate::context::Context;
use crate::error::{GpuError, Result};
use std::sync::{Arc, Mutex};

/// Copies `bytes` at `offset` of `buffer` to the host and waits (one readback, one wait).
pub fn read_buffer_blocking(
    ctx: &Context,
    buffer: &wgpu::Buffer,
    offset: u64,
    bytes: u64,
) -> Result<Vec<u8>> {
    let staging = ctx.device().create_buffer(&wgpu::BufferDescriptor {
        label: Some("wgrl readback"),
        size: bytes,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let mut encoder = ctx
        .device()
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("wgrl readback"),
        });
    encoder.copy_buffer_to_buffer(buffer, offset, &staging, 0, bytes);
    ctx.queue().submit([encoder.finish()]);
    let result: Arc<Mutex<Option<Result<(), wgpu::BufferAsyncError>>>> = Arc::default();
    let r = result.clone();
    staging.map_async(wgpu::MapMode::Read, .., move |res| {
        *r.lock().unwrap() = Some(res);
    });
    ctx.wait()?;
    match result.lock().unwrap().take() {
        Some(Ok(())) => {}
        Some(Err(e)) => return Err(GpuError::Readback(e.to_string())),
        None => {
            return Err(GpuError::Readback(
                "buffer was not mapped after waiting".into(),
            ));
        }
    }
    let data = staging
        .get_mapped_range(..)
        .map_err(|e| GpuError::Readback(e.to_string()))?
        .to_vec();
    staging.unmap();
    ctx.count_readback();
    Ok(data)
}

#[derive(Debug, Default)]
enum MapState {
    #[default]
    Idle,
    Pending,
    Ready,
    Failed(String),
}

/// A staging buffer allocated at start-up for non-blocking reads.
///
/// Per read: [`encode_copy`](Self::encode_copy) into the iteration's encoder, submit,
/// [`request`](Self::request), then call [`try_take`](Self::try_take) at later
/// iterations until it returns the bytes.
#[derive(Debug)]
pub struct AsyncReadback {
    ctx: Context,
    staging: wgpu::Buffer,
    bytes: u64,
    state: Arc<Mutex<MapState>>,
}

impl AsyncReadback {
    /// Allocates a staging buffer of `bytes` (a multiple of 4).
    pub fn new(ctx: &Context, bytes: u64) -> Result<Self> {
        let staging = ctx.checked("readback staging buffer", |device| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("wgrl async readback"),
                size: bytes,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        })?;
        Ok(AsyncReadback {
            ctx: ctx.clone(),
            staging,
            bytes,
            state: Arc::default(),
        })
    }

    /// Whether a read is in flight (a new copy must wait until it is taken).
    pub fn is_pending(&self) -> bool {
        !matches!(*self.state.lock().unwrap(), MapState::Idle)
    }

    /// Records a copy of `bytes` from `src` at `offset` into the staging buffer at `dst_offset`.
    pub fn encode_copy(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        src: &wgpu::Buffer,
        offset: u64,
        dst_offset: u64,
        bytes: u64,
    ) {
        encoder.copy_buffer_to_buffer(src, offset, &self.staging, dst_offset, bytes);
    }

    /// Asks for the staging buffer to be mapped once the submitted copies finish.
    pub fn request(&self) {
        *self.state.lock().unwrap() = MapState::Pending;
        let state = self.state.clone();
        self.staging.map_async(wgpu::MapMode::Read, .., move |res| {
            *state.lock().unwrap() = match res {
                Ok(()) => MapState::Ready,
                Err(e) => MapState::Failed(e.to_string()),
            };
        });
    }

    /// Returns the bytes if the mapping finished, without blocking.
    pub fn try_take(&self) -> Result<Option<Vec<u8>>> {
        self.ctx.poll()?;
        let mut state = self.state.lock().unwrap();
        match std::mem::take(&mut *state) {
            MapState::Ready => {
                let data = self
                    .staging
                    .get_mapped_range(..)
                    .map_err(|e| GpuError::Readback(e.to_string()))?
                    .to_vec();
                self.staging.unmap();
                self.ctx.count_readback();
                Ok(Some(data))
            }
            MapState::Failed(e) => Err(GpuError::Readback(e)),
            other => {
                *state = other;
                Ok(None)
            }
        }
    }

    /// Size of the staging buffer.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}
