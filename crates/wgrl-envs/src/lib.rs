//! wgrl's environments. An env is a WGSL module (state struct, reset, step,
//! observe) plus a small host [`EnvDescriptor`]; built-in envs are written exactly
//! the way users write their own. The engine composes the module into its general
//! vectorised kernel (auto-reset, time limits, counter-based RNG, K agents x N envs).
//! [`VecEnv`] drives that kernel from the host for tests, debugging and interop.
#![warn(missing_docs)]

pub mod bench;
pub mod builtin;
pub mod cpu;
pub mod custom;
pub mod descriptor;
pub mod error;
pub mod shaders;
pub mod task;
pub mod vec_env;

pub use builtin::{BUILTIN_ENVS, builtin};
pub use descriptor::{ActionSpace, EnvDescriptor, EnvLayout, MAX_EPISODE_STEPS_LIMIT, ParamSpec};
pub use error::{EnvError, Result};
pub use task::{TaskSpec, TaskValue};
pub use vec_env::{
    EnvBuffers, EnvKernel, EnvMeta, EnvMode, EnvSlots, StepBatch, StepOut, VecEnv, VecEnvConfig,
};
