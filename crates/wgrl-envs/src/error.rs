//! Errors of the env layer.

use wgrl_gpu::GpuError;

/// What can go wrong creating or driving envs.
#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    /// The env name is not built in.
    #[error("unknown env '{name}'; valid envs are: {}", valid.join(", "))]
    UnknownEnv {
        /// The name asked for.
        name: String,
        /// Every valid name.
        valid: Vec<String>,
    },
    /// Bad sizes, actions or states from the caller.
    #[error("{0}")]
    Invalid(String),
    /// The env module does not match its descriptor or the engine's interface.
    #[error("env '{env}': {message}")]
    Module {
        /// Env name.
        env: String,
        /// What is wrong and what was expected.
        message: String,
    },
    /// A custom env's manifest is malformed or does not match its module.
    #[error("{file}: {message}")]
    Manifest {
        /// The manifest's path, with `:line:column` when the error has a place.
        file: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A GPU-layer error (device, arena, shader).
    #[error(transparent)]
    Gpu(#[from] GpuError),
}

/// Result alias for the env layer.
pub type Result<T, E = EnvError> = std::result::Result<T, E>;
