//! The GPU layer's error type. Every variant says what was wrong and what to do.

use std::fmt;

/// Errors from device set-up, planning, shader building and GPU work.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// No adapter matched (or none exists at all).
    #[error("{0}")]
    NoAdapter(String),
    /// The adapter or a borrowed device lacks features or limits the engine needs.
    #[error("{0}")]
    Unsupported(String),
    /// Device creation failed.
    #[error("could not create a device on {adapter}: {reason}")]
    RequestDevice {
        /// Adapter name.
        adapter: String,
        /// wgpu's reason.
        reason: String,
    },
    /// An arena plan does not fit the device.
    #[error("{0}")]
    Plan(String),
    /// A WGSL shader failed to parse or validate; the text is a rendered diagnostic.
    #[error("{0}")]
    Shader(ShaderDiagnostic),
    /// wgpu reported a validation or out-of-memory error for an operation.
    #[error("wgpu rejected {what}: {reason}")]
    Wgpu {
        /// What the engine was doing.
        what: String,
        /// wgpu's message.
        reason: String,
    },
    /// Waiting for or mapping a buffer failed (device lost, for example).
    #[error("GPU readback failed: {0}")]
    Readback(String),
    /// Bad input from the caller (sizes, names, values).
    #[error("{0}")]
    Invalid(String),
}

/// A shader error rendered against the original source files, with file, line,
/// column and a caret under the offending code.
#[derive(Debug, Clone)]
pub struct ShaderDiagnostic {
    /// The shader (kernel) being built.
    pub shader: String,
    /// The file the first error points into, if it could be located.
    pub file: Option<String>,
    /// 1-based line within `file`.
    pub line: Option<u32>,
    /// 1-based column within `file`.
    pub column: Option<u32>,
    /// The fully rendered message.
    pub rendered: String,
}

impl fmt::Display for ShaderDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rendered)
    }
}

/// Result alias for the GPU layer.
pub type Result<T, E = GpuError> = std::result::Result<T, E>;
