//! wgrl's GPU layer: the device [`Context`] (owned or borrowed), the buffer
//! [`Arena`], WGSL composition and validation ([`ShaderSource`]), compute
//! [`Kernel`]s, the replayable [`Recorder`], the timestamp [`Profiler`],
//! host readbacks, the counter-based RNG's CPU reference and a bench harness.
//!
//! ```no_run
//! use wgrl_gpu::{Context, ContextOptions};
//! let ctx = Context::new(&ContextOptions::default())?;
//! println!("running on {} ({})", ctx.adapter().name, ctx.adapter().backend);
//! # Ok::<(), wgrl_gpu::GpuError>(())
//! ```
#![warn(missing_docs)]

pub mod arena;
pub mod bench;
pub mod context;
pub mod error;
pub mod kernel;
pub mod llvmpipe;
pub mod profiler;
pub mod readback;
pub mod recorder;
pub mod rng;
pub mod shader;

pub use arena::{
    Arena, ArenaLimits, ArenaPlan, Category, GpuSlice, MemoryReport, Slot, SlotId, fmt_bytes,
};
pub use context::{AdapterReport, Context, ContextOptions, Requirements};
pub use error::{GpuError, Result, ShaderDiagnostic};
pub use kernel::{Kernel, ParamBuffer, ParamRef, ParamTable};
pub use profiler::Profiler;
pub use readback::AsyncReadback;
pub use recorder::Recorder;
pub use shader::{ShaderPart, ShaderSource, ValidatedShader};
pub use wgpu;
