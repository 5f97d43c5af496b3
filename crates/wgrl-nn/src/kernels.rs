//! A standalone kernel that runs one network building block (dense forward, input
//! gradient, weight gradient, clipped Adam) with one workgroup per agent, so the
//! WGSL the fused training kernels use can be tested against [`crate::cpu`] and benchmarked.

use crate::layout::{LayerLayout, NetLayout};
use crate::shaders;
use bytemuck::{Pod, Zeroable};
use wgrl_gpu::{
    Arena, ArenaPlan, Category, Context, Kernel, ParamBuffer, ParamRef, ParamTable, Recorder,
    Result, ShaderSource, Slot,
};

/// Uniform block of `nn_test.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable, Default)]
pub struct NnTestParams {
    /// 0 forward, 1 input gradient, 2 weight gradient, 3 clip + Adam.
    pub mode: u32,
    /// Layer index in the layout.
    pub layer: u32,
    /// Input activations (vec4 offset in an agent's scratch).
    pub x: u32,
    /// Output activations (forward) or output gradient (backward).
    pub y: u32,
    /// Input gradient (mode 1).
    pub dx: u32,
    /// Samples / 4.
    pub m4: u32,
    /// Whether x came out of an activation (mode 1).
    pub x_act: u32,
    /// Parameters per agent to update (mode 3).
    pub n: u32,
    /// vec4s of scratch per agent.
    pub scratch_stride: u32,
    /// Learning rate (mode 3).
    pub lr: f32,
    /// Grad-norm clip (mode 3).
    pub max_norm: f32,
    /// Adam step, 1-based (mode 3).
    pub t: f32,
    /// Save region of this layer's activation (forward).
    pub save: u32,
    /// Save region of the layer that produced x (input gradient).
    pub xsave: u32,
    /// Padding to the uniform's 16-byte size.
    pub _pad: [u32; 2],
}

/// Mode ids of [`NnTestParams::mode`].
pub mod mode {
    /// Dense forward.
    pub const FORWARD: u32 = 0;
    /// Input gradient.
    pub const BACKWARD_INPUT: u32 = 1;
    /// Weight and bias gradient.
    pub const WEIGHT_GRAD: u32 = 2;
    /// Global-norm clip then Adam.
    pub const ADAM: u32 = 3;
}

/// Which code the dense layers run: the portable kernels everywhere, or with
/// subgroup broadcasts where a layer's shape allows (`shaders/nn/dense_subgroup.wgsl`).
/// Both give bitwise-identical results.
///
/// The subgroup path is for CPU adapters (lavapipe), whose storage loads are
/// per-lane loops: in the PPO update's workgroups (32 lanes then) it cut a
/// `cartpole-purejaxrl` minibatch step from 1.1 to 0.72 ms (with 256-lane
/// workgroups, as in `cargo bench --bench nn`, it is slower; see BENCHMARKS.md).
/// It assumes 8-lane subgroups of consecutive invocations, which llvmpipe has;
/// GPUs keep the portable kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DenseKernels {
    /// Storage loads only; any adapter.
    #[default]
    Portable,
    /// Subgroup broadcasts of weights (and output gradients) in 8-lane subgroups.
    Subgroup8,
}

impl DenseKernels {
    /// [`DenseKernels::Subgroup8`] on a CPU adapter whose device has subgroups of
    /// exactly 8 lanes enabled, else [`DenseKernels::Portable`].
    pub fn for_context(ctx: &Context) -> Self {
        if ctx.adapter().device_type == "cpu" && ctx.subgroup_size() == Some(8) {
            DenseKernels::Subgroup8
        } else {
            DenseKernels::Portable
        }
    }

    /// The WGSL piece that goes with `dense_forward.wgsl`.
    pub fn forward_piece(self) -> (&'static str, &'static str) {
        match self {
            DenseKernels::Portable => shaders::DENSE_SUBGROUP_OFF,
            DenseKernels::Subgroup8 => shaders::DENSE_SUBGROUP,
        }
    }

    /// The WGSL piece that goes with `dense_backward.wgsl`.
    pub fn backward_piece(self) -> (&'static str, &'static str) {
        match self {
            DenseKernels::Portable => shaders::DENSE_SUBGROUP_BACKWARD_OFF,
            DenseKernels::Subgroup8 => shaders::DENSE_SUBGROUP_BACKWARD,
        }
    }

    /// Whether a layer's forward over `m4` sample blocks takes the subgroup path
    /// (the condition in `dense_forward.wgsl`).
    pub fn forward_fits(self, l: &LayerLayout, m4: u32) -> bool {
        self == DenseKernels::Subgroup8
            && m4.is_multiple_of(8)
            && l.n_out.is_multiple_of(32)
            && l.n_in.is_multiple_of(4)
    }

    /// Whether a layer's input gradient over `m4` sample blocks takes the
    /// subgroup path (the condition in `dense_backward.wgsl`).
    pub fn input_grad_fits(self, l: &LayerLayout, m4: u32) -> bool {
        self == DenseKernels::Subgroup8 && m4.is_multiple_of(8) && l.n_in.is_multiple_of(32)
    }

    /// The dense layers' path switches with every path kept, for kernels whose
    /// layer shapes or sample blocks are only known at run time (see
    /// [`ScratchPlan::dense_paths_wgsl`](crate::program::ScratchPlan::dense_paths_wgsl)).
    pub const ALL_PATHS: &'static str = "const DENSE_FWD_BLOCKS: bool = true;\n\
        const DENSE_FWD_REST_ACT: bool = true;\nconst DENSE_DX_BLOCKS: bool = true;\n";
}

/// The network pieces composed for `layout` (generated constants, activations,
/// dense layers, optimiser) before a kernel body.
pub fn nn_source(name: &str, layout: &NetLayout, dense: DenseKernels) -> ShaderSource {
    ShaderSource::new(name)
        .part("<generated network layout>", layout.prelude())
        .part("<generated dense paths>", DenseKernels::ALL_PATHS)
        .with(shaders::ACT_FNS)
        .with(shaders::ACTIVATIONS)
        .with(shaders::PARAMS_STORAGE)
        .with(shaders::OPT_STORAGE)
        .with(shaders::DENSE_FORWARD)
        .with(shaders::DENSE_BACKWARD)
        .with(dense.forward_piece())
        .with(dense.backward_piece())
        .with(wgrl_gpu::shader::common::BARRIERS)
        .with(wgrl_gpu::shader::common::REDUCE)
        .with(shaders::OPTIM)
}

/// The standalone kernel with its arena: parameters, scratch (feature-major vec4
/// activations) and optimiser state (`m`, `v`, `g` per agent).
#[derive(Debug)]
pub struct NnTest {
    ctx: Context,
    kernel: Kernel,
    arena: Arena,
    /// Parameters, agent-major.
    pub params: Slot<f32>,
    /// Scratch, `scratch_stride` vec4 per agent.
    pub scratch: Slot<[f32; 4]>,
    /// `m`, `v`, `g` per agent.
    pub opt: Slot<f32>,
    table: ParamBuffer,
    block: ParamRef,
    bind_group: wgpu::BindGroup,
    agents: u32,
}

use wgrl_gpu::wgpu;

impl NnTest {
    /// Builds the kernel for `agents` agents with `scratch_vec4` vec4s of scratch
    /// each, with the dense code [`DenseKernels::for_context`] picks.
    pub fn new(ctx: &Context, layout: &NetLayout, agents: u32, scratch_vec4: u32) -> Result<Self> {
        Self::with_dense(
            ctx,
            layout,
            agents,
            scratch_vec4,
            DenseKernels::for_context(ctx),
        )
    }

    /// As [`NnTest::new`], with the given dense code.
    pub fn with_dense(
        ctx: &Context,
        layout: &NetLayout,
        agents: u32,
        scratch_vec4: u32,
        dense: DenseKernels,
    ) -> Result<Self> {
        let src = nn_source("nn_test", layout, dense).with(shaders::NN_TEST);
        let kernel = Kernel::new(ctx, &src, "main", &[])?;
        let p = layout.param_count as u64 * agents as u64;
        let mut plan = ArenaPlan::new();
        let params = plan.add::<f32>("nn.params", Category::Params, p);
        let scratch = plan.add::<[f32; 4]>(
            "nn.scratch",
            Category::Activations,
            scratch_vec4 as u64 * agents as u64,
        );
        let opt = plan.add::<f32>("nn.opt", Category::Optimizer, 3 * p);
        let arena = Arena::new(ctx, &plan)?;
        let mut t = ParamTable::new();
        let block = t.push(&NnTestParams::default());
        let table = t.build(ctx)?;
        let bind_group = kernel.bind(
            ctx,
            &[
                table.binding(block),
                arena.binding(params),
                arena.binding(scratch),
                arena.binding(opt),
            ],
        )?;
        Ok(NnTest {
            ctx: ctx.clone(),
            kernel,
            arena,
            params,
            scratch,
            opt,
            table,
            block,
            bind_group,
            agents,
        })
    }

    /// The arena (read and write the slots with it).
    pub fn arena(&self) -> &Arena {
        &self.arena
    }

    /// Sets the parameters of the next run and returns its dispatch list.
    pub fn recorder(&self, p: NnTestParams) -> Recorder {
        self.table.write(&self.ctx, self.block, &p);
        let mut rec = Recorder::new();
        rec.dispatch(&self.kernel, &self.bind_group, [self.agents, 1, 1]);
        rec
    }

    /// Runs one block (submits without waiting; reading a slot waits).
    pub fn run(&self, p: NnTestParams) {
        self.recorder(p).submit(&self.ctx);
    }
}

/// Feature-major vec4 layout of a sample-major batch (`m` a multiple of 4).
pub fn to_feature_major(x: &[f32], m: usize, n: usize) -> Vec<[f32; 4]> {
    let m4 = m / 4;
    let mut out = vec![[0.0; 4]; n * m4];
    for s in 0..m {
        for f in 0..n {
            out[f * m4 + s / 4][s % 4] = x[s * n + f];
        }
    }
    out
}

/// Inverse of [`to_feature_major`].
pub fn from_feature_major(v: &[[f32; 4]], m: usize, n: usize) -> Vec<f32> {
    let m4 = m / 4;
    let mut out = vec![0.0; m * n];
    for s in 0..m {
        for f in 0..n {
            out[s * n + f] = v[f * m4 + s / 4][s % 4];
        }
    }
    out
}
