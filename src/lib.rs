//! # wgrl
//!
//! A GPU-first reinforcement-learning engine: environments, networks and training
//! run as WGSL compute kernels over one persistent buffer arena, on any adapter
//! wgpu supports (Vulkan, Metal, DX12, GL), including Mesa's software lavapipe.
//!
//! This crate re-exports the engine's crates and `wgpu` itself, so users depend on
//! one crate and get matching versions:
//! - [`gpu`]: device context (owned or borrowed), arena, kernels, recorder, profiler;
//! - [`envs`]: env modules, built-in envs, the host vectorised env API;
//! - [`nn`]: network layouts, init, WGSL layer building blocks, CPU references;
//! - [`rl`]: PPO kernels, the trainer, evaluation, config, checkpoints, run output.
//!
//! ```no_run
//! use wgrl::envs::{builtin, VecEnv, VecEnvConfig};
//! use wgrl::gpu::{Context, ContextOptions};
//!
//! let ctx = Context::new(&ContextOptions::default())?;
//! let mut envs = VecEnv::new(&ctx, &builtin("CartPole-v1")?, VecEnvConfig { agents: 2, envs: 1024, seed: 0 })?;
//! envs.step_random(100);
//! let obs = envs.observations()?;
//! assert_eq!(obs.len(), 2 * 1024 * 4);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

pub use wgpu;
pub use wgrl_envs as envs;
pub use wgrl_gpu as gpu;
pub use wgrl_nn as nn;
pub use wgrl_rl as rl;

/// The README's Rust examples, compiled as doc tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
