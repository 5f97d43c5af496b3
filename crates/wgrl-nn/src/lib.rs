//! wgrl's networks. Parameters of every agent live in one arena slot, laid out
//! by [`NetLayout`]; the WGSL building blocks in `shaders/nn` (dense layers over
//! batches, activations, Adam, grad-norm) are composed
//! into the engine's fused kernels and into standalone kernels for tests and
//! benches. [`cpu`] holds the reference implementations the kernels are tested against.
#![warn(missing_docs)]

pub mod activation;
pub mod budget;
pub mod cpu;
pub mod init;
pub mod kernels;
pub mod layout;
pub mod norm;
pub mod program;
pub mod shaders;

pub use layout::{Activation, Arch, LayerLayout, MlpSpec, ModelSpec, NetLayout, NormLayout, Op};
pub use program::{ActivationMemory, ScratchPlan};
