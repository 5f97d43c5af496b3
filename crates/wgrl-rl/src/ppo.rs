//! PPO on the GPU: the plan (arena slots, scratch layout, generated constants)
//! and the kernels of an iteration: the rollout (env steps, actor forward,
//! sampling), the critic's values of the rollout (batched), GAE, and the update
//! (shuffle, epochs x minibatches of forward, losses, backward, clipping and
//! Adam, then statistics).

use bytemuck::{Pod, Zeroable};
use wgrl_envs::{EnvDescriptor, EnvKernel, EnvLayout, EnvSlots, VecEnvConfig};
use wgrl_gpu::shader::common;
use wgrl_gpu::{
    Arena, ArenaPlan, Category, Context, Kernel, ParamBuffer, ParamTable, Recorder, ShaderSource,
    Slot, wgpu,
};
use wgrl_nn::kernels::DenseKernels;
use wgrl_nn::{NetLayout, ScratchPlan, budget, shaders as nn};

/// The PPO WGSL pieces in `shaders/rl`, embedded at build time.
pub mod shaders {
    /// Types shared by rollout and update.
    pub const COMMON: (&str, &str) = (
        "shaders/rl/ppo_common.wgsl",
        include_str!("../../../shaders/rl/ppo_common.wgsl"),
    );
    /// The rollout kernel (env steps, batched policy forward, sampling).
    pub const ROLLOUT: (&str, &str) = (
        "shaders/rl/rollout.wgsl",
        include_str!("../../../shaders/rl/rollout.wgsl"),
    );
    /// The GAE kernel.
    pub const GAE: (&str, &str) = (
        "shaders/rl/gae.wgsl",
        include_str!("../../../shaders/rl/gae.wgsl"),
    );
    /// The critic's values of a rollout's observations, batched.
    pub const VALUES: (&str, &str) = (
        "shaders/rl/ppo_values.wgsl",
        include_str!("../../../shaders/rl/ppo_values.wgsl"),
    );
    /// The fused update kernel.
    pub const UPDATE: (&str, &str) = (
        "shaders/rl/ppo_update.wgsl",
        include_str!("../../../shaders/rl/ppo_update.wgsl"),
    );
    /// Categorical policy head, rollout side (sampling).
    pub const HEAD_CATEGORICAL_ROLLOUT: (&str, &str) = (
        "shaders/rl/head_categorical_rollout.wgsl",
        include_str!("../../../shaders/rl/head_categorical_rollout.wgsl"),
    );
    /// Categorical policy head, update side (log-prob, entropy, gradient).
    pub const HEAD_CATEGORICAL_UPDATE: (&str, &str) = (
        "shaders/rl/head_categorical_update.wgsl",
        include_str!("../../../shaders/rl/head_categorical_update.wgsl"),
    );
    /// Diagonal Gaussian policy head, rollout side.
    pub const HEAD_GAUSSIAN_ROLLOUT: (&str, &str) = (
        "shaders/rl/head_gaussian_rollout.wgsl",
        include_str!("../../../shaders/rl/head_gaussian_rollout.wgsl"),
    );
    /// Diagonal Gaussian policy head, update side.
    pub const HEAD_GAUSSIAN_UPDATE: (&str, &str) = (
        "shaders/rl/head_gaussian_update.wgsl",
        include_str!("../../../shaders/rl/head_gaussian_update.wgsl"),
    );
    /// Observation normalisation and reward scaling with the running statistics.
    pub const NORMALIZE: (&str, &str) = (
        "shaders/rl/normalize.wgsl",
        include_str!("../../../shaders/rl/normalize.wgsl"),
    );
    /// Merges an iteration's batch into the running statistics.
    pub const NORM_UPDATE: (&str, &str) = (
        "shaders/rl/norm_update.wgsl",
        include_str!("../../../shaders/rl/norm_update.wgsl"),
    );
}

/// Invocations per workgroup of the normalisation-statistics kernel.
pub const NORM_WG: u32 = 256;
/// Observations and scaled rewards are clipped to +-this (CleanRL's wrappers).
pub const NORM_CLIP: f32 = 10.0;
/// Count the running statistics start from (Gymnasium's RunningMeanStd epsilon).
pub const NORM_INIT_COUNT: f32 = 1e-4;

/// Words of normalisation state per agent for `obs_out` observed floats:
/// observation means and variances, their count, and the return's mean,
/// variance and count (layout in `shaders/rl/normalize.wgsl`).
pub fn norm_state_words(obs_out: u32) -> u32 {
    2 * obs_out + 4
}

/// The initial normalisation state: means 0, variances 1, counts
/// [`NORM_INIT_COUNT`].
pub fn norm_state_init(obs_out: u32) -> Vec<f32> {
    let n = obs_out as usize;
    let mut v = vec![0.0; 2 * n];
    v[n..].fill(1.0);
    v.extend_from_slice(&[NORM_INIT_COUNT, 0.0, 1.0, NORM_INIT_COUNT]);
    v
}

/// Invocations per update workgroup on a GPU.
pub const UPDATE_WG: u32 = 256;
/// Update workgroup widths tried on a CPU adapter, narrowest first. llvmpipe runs a
/// workgroup's lanes eight at a time on one core and pays for every group of
/// eight at each barrier, busy or not: the PureJaxRL preset's update took 44 ms
/// per iteration at 256 lanes, 33 ms at 64 and 31 ms at 32 (with the portable
/// dense layers). A narrower workgroup loops more per lane, so the widest that
/// keeps a minibatch step under lavapipe's loop cap is the fallback.
pub const CPU_UPDATE_WGS: [u32; 4] = [32, 64, 128, 256];
/// Narrower widths tried first where [`auto_update_groups`] would split the
/// update (few agents for the cores; actor and critic then run in their own
/// workgroups, one minibatch step per dispatch), when a step stays within the
/// dispatch loop budget: with the subgroup dense layers the PureJaxRL preset's
/// minibatch dispatch takes about 0.57 ms at 8 lanes (one llvmpipe SIMD group, no
/// switching between groups at barriers) against 0.63 ms at 32 (BENCHMARKS.md).
/// With more agents the update is left at 32 and wider: it packs several steps
/// into a dispatch, and 4x the loop iterations per lane would cost it dispatches.
/// The width follows the agents and the adapter, not `ppo.update_groups`, so that
/// a split and an unsplit update of the same run do the same arithmetic.
pub const CPU_SPLIT_UPDATE_WGS: [u32; 2] = [8, 16];
/// Most invocations (and envs) per workgroup of the rollout kernel (one workgroup
/// per block of envs).
pub const ROLLOUT_WG: u32 = 64;
/// Invocations per rollout workgroup for a block of `eb` envs: no more than the
/// block needs, rounded up to a multiple of 8. A small block (PureJaxRL's 4 envs)
/// in a 64-wide workgroup spends most of each step's barriers on idle lanes
/// (llvmpipe runs a workgroup's lanes 8 at a time, one after another).
fn rollout_wg(eb: u32) -> u32 {
    eb.next_multiple_of(8)
}

/// Episodes kept per agent for the running return.
pub const RECENT: usize = 100;

/// Uniform block of the rollout kernel.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct RolloutParams {
    /// Envs per agent.
    pub envs: u32,
    /// Agents.
    pub agents: u32,
    /// Run seed.
    pub seed: u32,
    /// Steps per rollout.
    pub steps: u32,
    /// First step of this chunk.
    pub t0: u32,
    /// Steps in this chunk.
    pub count: u32,
    /// 1: greedy actions (evaluation).
    pub greedy: u32,
    /// 1: the final chunk.
    pub last: u32,
}

/// Uniform block of the update kernel.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct UpdateParams {
    /// Run seed.
    pub seed: u32,
    /// Agents.
    pub agents: u32,
    /// First (epoch x minibatch) step of this dispatch.
    pub first: u32,
    /// Steps in this dispatch.
    pub count: u32,
    /// 1 for the iteration's first dispatch.
    pub is_first: u32,
    /// 1 for its last: it ends with the last Adam step and the statistics.
    pub is_last: u32,
    /// Workgroups per agent in this dispatch: 2 (actor, critic) or 1 (both).
    pub groups: u32,
    /// Planned iterations (learning-rate annealing runs to 0 over them). A
    /// uniform rather than a compiled constant, so that a run with another
    /// `--total-steps` reuses the compiled kernels (lavapipe spends seconds
    /// compiling the update).
    pub iterations: u32,
}

/// Per-agent hyper-parameters on the GPU (`AgentHyper`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable, PartialEq)]
pub struct AgentHyper {
    /// Initial learning rate.
    pub lr: f32,
    /// Discount.
    pub gamma: f32,
    /// GAE lambda.
    pub gae_lambda: f32,
    /// Ratio (and value) clip.
    pub clip: f32,
    /// Entropy bonus coefficient.
    pub ent_coef: f32,
    /// Value loss coefficient.
    pub vf_coef: f32,
    /// Global gradient-norm clip.
    pub max_grad_norm: f32,
    _pad: f32,
}

impl AgentHyper {
    /// Builds the block.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        lr: f32,
        gamma: f32,
        gae_lambda: f32,
        clip: f32,
        ent_coef: f32,
        vf_coef: f32,
        max_grad_norm: f32,
    ) -> Self {
        AgentHyper {
            lr,
            gamma,
            gae_lambda,
            clip,
            ent_coef,
            vf_coef,
            max_grad_norm,
            _pad: 0.0,
        }
    }
}

/// One rollout step of one env (`Transition`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable, PartialEq)]
pub struct Transition {
    /// Action taken.
    pub action: u32,
    /// Bit 0 terminated, bit 1 truncated, bits 2..30 episode length when it ended
    /// here, bit 31 set when the step's observation was NaN or infinite.
    pub flags: u32,
    /// Log-probability of the action under the rollout policy.
    pub logp: f32,
    /// Critic value of the observation.
    pub value: f32,
    /// Reward.
    pub reward: f32,
    /// Critic value GAE bootstraps from when it is not the next row's: of the
    /// final observation of a truncated episode, or, at a rollout's last step
    /// whose episode goes on, of the observation after it (else 0).
    pub boot_value: f32,
    /// GAE advantage.
    pub adv: f32,
    /// Return target (advantage + value).
    pub ret: f32,
    /// Return of the episode that ended at this step.
    pub ep_return: f32,
}

/// Per-agent training statistics on the GPU (`AgentStats`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable, PartialEq)]
pub struct AgentStats {
    /// Updates done.
    pub iteration: u32,
    /// Adam steps done.
    pub adam_t: u32,
    /// Episodes finished.
    pub episodes: u32,
    /// 1 once a loss or gradient was not finite.
    pub nonfinite: u32,
    /// Mean clipped-surrogate loss of the last update.
    pub policy_loss: f32,
    /// Mean value loss.
    pub value_loss: f32,
    /// Mean policy entropy.
    pub entropy: f32,
    /// Mean approximate KL ((r - 1) - log r).
    pub approx_kl: f32,
    /// Fraction of samples whose ratio was clipped.
    pub clip_frac: f32,
    /// Learning rate used.
    pub lr: f32,
    /// Mean gradient norm before clipping.
    pub grad_norm: f32,
    /// Iteration of the first non-finite value.
    pub first_bad_iteration: u32,
    /// Rollout steps whose observation had a NaN or infinite value (the network
    /// saw 0 instead and the env was reset): a bug in the env to fix.
    pub bad_obs: u32,
    _pad: [u32; 3],
    /// Running sums over the current iteration's update dispatches.
    pub sums: [f32; 8],
    /// Ring of the last [`RECENT`] episode returns (slot `n % RECENT` is episode n).
    pub recent_returns: [f32; RECENT],
    /// Their lengths.
    pub recent_lengths: [f32; RECENT],
}

impl AgentStats {
    /// Mean return of the last (up to) [`RECENT`] episodes, if any finished.
    pub fn running_return(&self) -> Option<f64> {
        let n = (self.episodes as usize).min(RECENT);
        (n > 0).then(|| {
            self.recent_returns[..n]
                .iter()
                .map(|&r| r as f64)
                .sum::<f64>()
                / n as f64
        })
    }
    /// Mean length of the same episodes.
    pub fn running_length(&self) -> Option<f64> {
        let n = (self.episodes as usize).min(RECENT);
        (n > 0).then(|| {
            self.recent_lengths[..n]
                .iter()
                .map(|&r| r as f64)
                .sum::<f64>()
                / n as f64
        })
    }
}

/// The sizes of one PPO iteration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PpoShape {
    /// Agents.
    pub agents: u32,
    /// Envs per agent.
    pub envs: u32,
    /// Rollout steps.
    pub steps: u32,
    /// Epochs.
    pub epochs: u32,
    /// Minibatches per epoch.
    pub minibatches: u32,
    /// Iterations planned (for LR annealing).
    pub iterations: u32,
    /// Anneal the learning rate linearly to 0.
    pub anneal_lr: bool,
    /// Normalise advantages per minibatch.
    pub norm_adv: bool,
    /// Clip the value loss.
    pub clip_vloss: bool,
    /// Normalise observations by running statistics.
    pub norm_obs: bool,
    /// Scale rewards by the running std of the discounted return.
    pub norm_reward: bool,
}

impl PpoShape {
    /// Whether the run keeps normalisation statistics (and runs their kernel).
    pub fn normalizes(&self) -> bool {
        self.norm_obs || self.norm_reward
    }
    /// The normalisation constants every PPO kernel gets.
    pub fn norm_prelude(&self) -> String {
        format!(
            "// generated by wgrl from the PPO plan\n\
             const NORM_OBS: bool = {};\nconst NORM_REWARD: bool = {};\nconst NORM_CLIP: f32 = {NORM_CLIP:?};\n",
            self.norm_obs, self.norm_reward
        )
    }
    /// Transitions per agent per iteration.
    pub fn batch(&self) -> u32 {
        self.envs * self.steps
    }
    /// Samples per minibatch.
    pub fn minibatch(&self) -> u32 {
        self.batch() / self.minibatches
    }
    /// Minibatch in blocks of four samples.
    pub fn m4(&self) -> u32 {
        self.minibatch().div_ceil(4)
    }
}

/// The update kernel's scratch of one workgroup: the networks' activations, save
/// regions and gradient buffers ([`ScratchPlan`]), the minibatch's sample
/// indices and the gradient-norm slots; with the workgroup's width and how many
/// workgroups share an agent's update.
#[derive(Debug, Clone)]
pub struct ScratchLayout {
    /// The networks' regions.
    pub plan: ScratchPlan,
    /// Sample indices of the minibatch (vec4 offset).
    pub idx: u32,
    /// Four vec4 slots (x used): the actor's and the critic's sums of squared
    /// gradients, for even and odd minibatch steps (the agent's first block's).
    pub sumsq: u32,
    /// vec4s per workgroup.
    pub stride: u32,
    /// Invocations per update workgroup.
    pub wg: u32,
    /// Workgroups per agent: 1 (actor and critic in one) or 2 (one each).
    pub groups: u32,
    /// The dense layers' code in the update and values kernels.
    pub dense: DenseKernels,
    /// Whether the update and values kernels leave out their barriers: their
    /// workgroups run in lockstep ([`Context::lockstep_lanes`]).
    pub lockstep: bool,
}

impl ScratchLayout {
    /// Lays out the scratch for `net` and minibatches of `m4` blocks, worked on by
    /// `groups` workgroups per agent of `wg` invocations ([`UPDATE_WG`] on a GPU;
    /// see [`CPU_UPDATE_WGS`]).
    pub fn new(net: &NetLayout, m4: u32, wg: u32, groups: u32) -> Self {
        assert!(
            groups == 1 || (groups == 2 && net.programs.len() == 2),
            "the update splits an actor and a critic"
        );
        let plan = ScratchPlan::new(net, m4, true);
        let idx = plan.stride;
        let sumsq = idx + m4;
        ScratchLayout {
            plan,
            idx,
            sumsq,
            stride: sumsq + 4,
            wg,
            groups,
            dense: DenseKernels::Portable,
            lockstep: false,
        }
    }

    /// This layout with the dense layers' code `dense`.
    pub fn with_dense(mut self, dense: DenseKernels) -> Self {
        self.dense = dense;
        self
    }

    /// The same layout, its kernels without barriers or with them.
    pub fn with_lockstep(mut self, lockstep: bool) -> Self {
        self.lockstep = lockstep;
        self
    }

    /// vec4s of scratch the update needs per agent (every workgroup's block).
    pub fn vec4s_per_agent(&self) -> u64 {
        self.stride as u64 * self.groups as u64
    }

    /// The layout for an adapter of `device_type` ([`wgrl_gpu::AdapterReport`]'s
    /// names). Width: on a CPU adapter with few agents for its cores the narrowest
    /// of [`CPU_SPLIT_UPDATE_WGS`] whose minibatch step fits the dispatch loop budget,
    /// else the narrowest of [`CPU_UPDATE_WGS`] whose
    /// minibatch step stays under lavapipe's loop cap, else [`UPDATE_WG`].
    /// Workgroups per agent: `groups` when 1 or 2, else (0)
    /// [`auto_update_groups`].
    pub fn for_device(
        net: &NetLayout,
        shape: &PpoShape,
        obs_dim: u32,
        actions: u32,
        device_type: &str,
        groups: u32,
    ) -> Self {
        let groups = match groups {
            1 | 2 => groups,
            _ => auto_update_groups(device_type, shape.agents),
        };
        let wide = ScratchLayout::new(net, shape.m4(), UPDATE_WG, groups);
        if device_type != "cpu" {
            return wide;
        }
        // The narrowest of `widths` whose minibatch step stays within `limit`.
        let fit = |widths: &[u32], limit: u64| {
            widths
                .iter()
                .map(|&wg| ScratchLayout::new(net, shape.m4(), wg, groups))
                .find(|s| {
                    let (per, scan) = update_step_iterations(net, shape, s, obs_dim, actions);
                    per + scan <= limit
                })
        };
        let narrow = auto_update_groups(device_type, shape.agents) == 2;
        narrow
            .then(|| fit(&CPU_SPLIT_UPDATE_WGS, budget::DISPATCH_LOOP_BUDGET))
            .flatten()
            .or_else(|| fit(&CPU_UPDATE_WGS, budget::LAVAPIPE_LOOP_LIMIT))
            .unwrap_or(wide)
    }
}

/// Workgroups per agent for the update when `ppo.update_groups` is 0 (auto): 2
/// on a CPU adapter when twice the agents fit the host's cores (lavapipe runs a
/// workgroup per thread and a thread per core: the PureJaxRL preset's single
/// agent then uses both cores of a 2-core machine), else 1. On a GPU the split
/// doubles the update's activation memory for a gain not measured yet, so it is
/// left to the config.
pub fn auto_update_groups(device_type: &str, agents: u32) -> u32 {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
    if device_type == "cpu" && 2 * agents <= cores {
        2
    } else {
        1
    }
}

/// How the rollout kernel covers the envs: blocks of `eb` envs per workgroup,
/// `groups` workgroups per agent, and its scratch per workgroup.
#[derive(Debug, Clone)]
pub struct RolloutLayout {
    /// Envs per workgroup.
    pub eb: u32,
    /// Workgroups per agent.
    pub groups: u32,
    /// The networks' regions (forward only).
    pub plan: ScratchPlan,
    /// vec4s per workgroup.
    pub stride: u32,
    /// Steps per rollout dispatch (chunks keep lavapipe's loop cap).
    pub chunk: u32,
    /// Loop iterations of one rollout step per invocation.
    pub per_step: u64,
    /// Whether the rollout (and the values kernel) bind the parameters as a
    /// uniform buffer (see [`rollout_params_uniform`]) rather than as storage.
    /// The parameter slot is then planned with [`ArenaPlan::add_uniform`].
    pub uniform_params: bool,
    /// Whether the rollout kernel leaves out its barriers: its workgroups run in
    /// lockstep ([`Context::lockstep_lanes`]).
    pub lockstep: bool,
}

/// Whether the rollout should read the network parameters through a uniform
/// binding: on a CPU adapter, where llvmpipe gathers uniform loads at per-lane
/// addresses but runs a storage load inside a loop as a loop over the lanes
/// (the `cartpole-purejaxrl` rollout: 2.4 -> 1.4 ms per iteration), when all
/// agents' parameters fit one uniform binding. GPUs keep storage: uniform reads
/// at per-lane addresses serialise there. Results are bitwise the same.
pub fn rollout_params_uniform(
    device_type: &str,
    max_uniform_bytes: u64,
    agents: u32,
    net: &NetLayout,
) -> bool {
    device_type == "cpu" && params_uniform_bytes(agents, net) <= max_uniform_bytes
}

// Bytes of the rollout's uniform parameter array: every agent's parameters, in
// vec4s (WGSL uniform arrays have a 16-byte stride).
fn params_uniform_bytes(agents: u32, net: &NetLayout) -> u64 {
    wgrl_gpu::arena::uniform_binding_bytes(agents as u64 * net.param_count as u64 * 4)
}

/// The parameter binding of a forward-only kernel (rollout, values) at
/// `binding`: a uniform array of `agents` agents' parameters and its `param_at`,
/// or a storage array (whose `param_at` is `shaders/nn/params_storage.wgsl`).
pub fn params_binding_wgsl(binding: u32, uniform: bool, net: &NetLayout, agents: u32) -> String {
    if uniform {
        format!(
            "@group(0) @binding({binding}) var<uniform> params_u: array<vec4<f32>, {}>;\n\
             fn param_at(i: u32) -> f32 {{\n    return params_u[i / 4u][i % 4u];\n}}\n\
             fn param4_at(i: u32) -> vec4<f32> {{\n    return params_u[i / 4u];\n}}\n",
            params_uniform_bytes(agents, net) / 16
        )
    } else {
        format!(
            "@group(0) @binding({binding}) var<storage, read_write> params: array<vec4<f32>>;\n"
        )
    }
}

// A forward-only kernel's parameter binding and, for storage, its `param_at`.
fn with_params_binding(
    src: ShaderSource,
    binding: u32,
    uniform: bool,
    net: &NetLayout,
    agents: u32,
) -> ShaderSource {
    let src = src.part(
        "<generated parameter binding>",
        params_binding_wgsl(binding, uniform, net, agents),
    );
    if uniform {
        src
    } else {
        src.with(nn::PARAMS_STORAGE)
    }
}

impl RolloutLayout {
    /// The layout for `shape` and `net`: blocks of up to [`ROLLOUT_WG`] envs.
    pub fn new(net: &NetLayout, obs_dim: u32, actions: u32, shape: &PpoShape) -> Self {
        Self::with_block(net, obs_dim, actions, shape, ROLLOUT_WG)
    }

    /// The layout with blocks of at most `max_envs` envs (1 to [`ROLLOUT_WG`]) per
    /// workgroup.
    pub fn with_block(
        net: &NetLayout,
        obs_dim: u32,
        actions: u32,
        shape: &PpoShape,
        max_envs: u32,
    ) -> Self {
        let eb = shape.envs.min(max_envs.clamp(1, ROLLOUT_WG));
        let wg = rollout_wg(eb);
        let groups = shape.envs.div_ceil(eb);
        let plan = ScratchPlan::new(net, eb.div_ceil(4), false);
        // Loop iterations per step: the actor's forward, the critic's when an
        // episode is truncated (together at most both networks' forward), plus the
        // per-env work (observe, sample, step).
        let per_step =
            plan.forward_iterations(net, wg) + 4 * obs_dim as u64 + 4 * actions as u64 + 8;
        let chunk = (budget::DISPATCH_LOOP_BUDGET / per_step).clamp(1, shape.steps as u64) as u32;
        RolloutLayout {
            eb,
            groups,
            stride: plan.stride,
            plan,
            chunk,
            per_step,
            uniform_params: false,
            lockstep: false,
        }
    }

    /// The same layout, reading the parameters through a uniform binding or not.
    pub fn with_uniform_params(mut self, uniform: bool) -> Self {
        self.uniform_params = uniform;
        self
    }

    /// The same layout, its kernel without barriers or with them.
    pub fn with_lockstep(mut self, lockstep: bool) -> Self {
        self.lockstep = lockstep;
        self
    }

    /// Invocations per rollout workgroup.
    pub fn wg(&self) -> u32 {
        rollout_wg(self.eb)
    }

    /// The rollout plan's generated constants (rollout and GAE kernels).
    pub fn prelude(&self, net: &NetLayout) -> String {
        format!(
            "// generated by wgrl from the rollout plan\n\
             const WG: u32 = {}u;\nconst EB: u32 = {}u;\nconst EB4: u32 = {}u;\nconst G: u32 = {}u;\n\
             const RS: u32 = {}u;\nconst R_X: u32 = {}u;\n\
             const R_ACTOR_OUT: u32 = {}u;\nconst R_CRITIC_OUT: u32 = {}u;\n",
            rollout_wg(self.eb),
            self.eb,
            self.eb.div_ceil(4),
            self.groups,
            self.stride,
            self.plan.tensor[0],
            self.plan.tensor[net.programs[0].output],
            self.plan.tensor[net.programs[1].output],
        )
    }
}

/// Loop iterations one update invocation runs for one minibatch step, and the
/// extra the first dispatch of an iteration spends filing episodes.
pub fn update_step_iterations(
    net: &NetLayout,
    shape: &PpoShape,
    scratch: &ScratchLayout,
    obs_dim: u32,
    actions: u32,
) -> (u64, u64) {
    let (wg, plan) = (scratch.wg, &scratch.plan);
    let mut per = plan.forward_iterations(net, wg) + plan.backward_iterations(net, wg);
    per += budget::elementwise(shape.minibatch() as u64, wg)
        * (2 * obs_dim as u64 + 5 * actions as u64 + 8);
    // Adam and the gradient norm, each over at most three ranges (actor, critic,
    // log-stds).
    per += 2 * budget::elementwise4(net.param_count as u64, 3, wg) + 2 * budget::wg_sum(wg) + 8;
    // The first dispatch also scans the batch (twice) and runs a prefix sum.
    let scan = 2 * budget::elementwise(shape.batch() as u64, wg) + 2 * budget::wg_sum(wg);
    (per, scan)
}

/// Minibatch steps (of epochs x minibatches) per update dispatch, within the loop
/// budget (one when actor and critic run in their own workgroups).
pub fn update_steps_per_dispatch(
    net: &NetLayout,
    shape: &PpoShape,
    scratch: &ScratchLayout,
    obs_dim: u32,
    actions: u32,
) -> u32 {
    let (per, scan) = update_step_iterations(net, shape, scratch, obs_dim, actions);
    let total = (shape.epochs * shape.minibatches) as u64;
    if scratch.groups > 1 {
        // Each step's Adam needs the other workgroup's gradient norm from the step
        // before: a dispatch per step.
        return 1;
    }
    ((budget::DISPATCH_LOOP_BUDGET.saturating_sub(scan)) / per.max(1)).clamp(1, total) as u32
}

/// Arena slots of a PPO run.
#[derive(Debug, Clone, Copy)]
pub struct PpoSlots {
    /// The envs.
    pub env: EnvSlots,
    /// Sizes of the env module's `EnvState` and `EnvParams`.
    pub env_layout: EnvLayout,
    /// Network parameters, agent-major.
    pub params: Slot<f32>,
    /// Adam m, Adam v and the gradient, per agent.
    pub opt: Slot<f32>,
    /// Rollout transitions, per agent `[step][env]`.
    pub traj: Slot<Transition>,
    /// Rollout observations (raw, before normalisation).
    pub traj_obs: Slot<f32>,
    /// Rollout actions of a box action space (`action_dim` raw samples per row),
    /// None for discrete spaces (the transition holds the action).
    pub traj_act: Option<Slot<f32>>,
    /// Each env's running discounted return for reward scaling, carried across
    /// iterations; None without reward scaling.
    pub ret_acc: Option<Slot<f32>>,
    /// Update scratch (activations and deltas).
    pub scratch: Slot<[f32; 4]>,
    /// Per-agent hyper-parameters.
    pub hyper: Slot<AgentHyper>,
    /// Per-agent statistics and counters.
    pub stats: Slot<AgentStats>,
}

impl PpoSlots {
    /// Adds every slot of a run to `plan`.
    pub fn plan(
        plan: &mut ArenaPlan,
        desc: &EnvDescriptor,
        env_layout: &EnvLayout,
        net: &NetLayout,
        shape: &PpoShape,
        scratch: &ScratchLayout,
        rollout: &RolloutLayout,
    ) -> Self {
        let agents = shape.agents as u64;
        // The update and the rollout run in different dispatches: they share one scratch slot.
        let scratch_vec4 = (scratch.vec4s_per_agent() * agents)
            .max(rollout.stride as u64 * rollout.groups as u64 * agents);
        let p = net.param_count as u64 * agents;
        let rows = shape.batch() as u64 * agents;
        PpoSlots {
            env: EnvSlots::plan(plan, desc, env_layout, agents * shape.envs as u64),
            env_layout: *env_layout,
            params: if rollout.uniform_params {
                plan.add_uniform("ppo.params", Category::Params, p)
            } else {
                plan.add("ppo.params", Category::Params, p)
            },
            opt: plan.add("ppo.adam_moments_and_grads", Category::Optimizer, 3 * p),
            traj: plan.add("ppo.rollout", Category::Rollout, rows),
            traj_obs: plan.add(
                "ppo.rollout_obs",
                Category::Rollout,
                rows * desc.obs_out() as u64,
            ),
            traj_act: desc.action_space.is_continuous().then(|| {
                plan.add(
                    "ppo.rollout_actions",
                    Category::Rollout,
                    rows * desc.action_space.dim() as u64,
                )
            }),
            ret_acc: shape.norm_reward.then(|| {
                plan.add(
                    "ppo.return_acc",
                    Category::Stats,
                    agents * shape.envs as u64,
                )
            }),
            scratch: plan.add("ppo.activations", Category::Activations, scratch_vec4),
            hyper: plan.add("ppo.hyper", Category::Stats, agents),
            stats: plan.add("ppo.stats", Category::Stats, agents),
        }
    }
}

/// The policy head's rollout and update pieces for `desc`'s action space.
fn head_sources(desc: &EnvDescriptor) -> [(&'static str, &'static str); 2] {
    if desc.action_space.is_continuous() {
        [
            shaders::HEAD_GAUSSIAN_ROLLOUT,
            shaders::HEAD_GAUSSIAN_UPDATE,
        ]
    } else {
        [
            shaders::HEAD_CATEGORICAL_ROLLOUT,
            shaders::HEAD_CATEGORICAL_UPDATE,
        ]
    }
}

/// Composes the rollout kernel for `desc` and `net`.
pub fn rollout_source(
    desc: &EnvDescriptor,
    net: &NetLayout,
    shape: &PpoShape,
    rollout: &RolloutLayout,
) -> ShaderSource {
    let src = desc
        .env_source(&format!("ppo_rollout/{}", desc.name))
        .part("<generated network layout>", net.prelude())
        .part("<generated rollout plan>", rollout.prelude(net))
        .part("<generated network passes>", rollout.plan.forward_wgsl(net));
    let src = with_params_binding(src, 4, rollout.uniform_params, net, shape.agents);
    // Every invocation reads the flag a workgroup's envs set when an episode was
    // truncated: through workgroupUniformLoad (a barrier), or directly in lockstep.
    let flag = if rollout.lockstep {
        "any_trunc_plain"
    } else {
        "workgroupUniformLoad(&any_trunc_plain)"
    };
    let src = src
        .part(
            "<generated truncation flag>",
            format!("fn any_trunc_flag() -> u32 {{\n    return {flag};\n}}\n"),
        )
        .with(common::barriers(rollout.lockstep));
    // The rollout's few envs per workgroup never fit the subgroup path.
    with_forward_pieces(src, net, &rollout.plan, shape, DenseKernels::Portable)
        .with(head_sources(desc)[0])
        .with(shaders::ROLLOUT)
}

// What a forward-only PPO kernel (rollout, values) adds to its plan: the dense
// paths `plan` takes with `dense`, the normalisation constants, the layers and
// the forward table's runner.
fn with_forward_pieces(
    src: ShaderSource,
    net: &NetLayout,
    plan: &ScratchPlan,
    shape: &PpoShape,
    dense: DenseKernels,
) -> ShaderSource {
    src.part("<generated dense paths>", plan.dense_paths_wgsl(net, dense))
        .part("<generated normalisation plan>", shape.norm_prelude())
        .with(nn::ACT_FNS)
        .with(nn::ACTIVATIONS)
        .with(nn::DENSE_FORWARD)
        .with(dense.forward_piece())
        .with(nn::NORM_FORWARD)
        .with(nn::NET_FORWARD)
        .with(shaders::COMMON)
        .with(shaders::NORMALIZE)
}

/// Composes the GAE kernel.
pub fn gae_source(
    desc: &EnvDescriptor,
    net: &NetLayout,
    shape: &PpoShape,
    rollout: &RolloutLayout,
) -> ShaderSource {
    desc.env_source(&format!("ppo_gae/{}", desc.name))
        .part("<generated network layout>", net.prelude())
        .part("<generated rollout plan>", rollout.prelude(net))
        .part("<generated normalisation plan>", shape.norm_prelude())
        .with(nn::PARAMS_STORAGE)
        .with(shaders::COMMON)
        .with(shaders::NORMALIZE)
        .with(shaders::GAE)
}

/// Composes the normalisation-statistics kernel.
pub fn norm_update_source(desc: &EnvDescriptor, net: &NetLayout, shape: &PpoShape) -> ShaderSource {
    desc.env_source(&format!("ppo_norm_update/{}", desc.name))
        .part("<generated network layout>", net.prelude())
        .part("<generated normalisation plan>", shape.norm_prelude())
        .with(common::BARRIERS)
        .with(common::REDUCE)
        .with(nn::PARAMS_STORAGE)
        .with(shaders::COMMON)
        .with(shaders::NORMALIZE)
        .with(shaders::NORM_UPDATE)
}

/// Loop iterations one invocation of the normalisation kernel runs.
pub fn norm_update_iterations(shape: &PpoShape, obs_out: u32) -> u64 {
    let rows = shape.batch() as u64;
    let mut n = 8;
    if shape.norm_obs {
        n +=
            obs_out as u64 * (2 * budget::elementwise(rows, NORM_WG) + 2 * budget::wg_sum(NORM_WG));
    }
    if shape.norm_reward {
        n += 2 * budget::elementwise(shape.envs as u64, NORM_WG) * (shape.steps as u64 + 1)
            + 2 * budget::wg_sum(NORM_WG);
    }
    n
}

/// The update kernel's generated constants and network passes.
pub fn update_prelude(shape: &PpoShape, net: &NetLayout, scratch: &ScratchLayout) -> String {
    format!(
        "{}{}",
        update_plan_constants(shape, net, scratch),
        scratch.plan.backward_wgsl(net)
    )
}

// The update plan's constants and forward table (the values kernel's prelude too).
fn update_plan_constants(shape: &PpoShape, net: &NetLayout, scratch: &ScratchLayout) -> String {
    let plan = &scratch.plan;
    format!(
        "// generated by wgrl from the PPO plan\n\
         const WG: u32 = {}u;\n\
         const M: u32 = {}u;\nconst M4: u32 = {}u;\nconst BATCH: u32 = {}u;\n\
         const EPOCHS: u32 = {}u;\nconst MINIBATCHES: u32 = {}u;\n\
         const ANNEAL_LR: bool = {};\nconst NORM_ADV: bool = {};\nconst CLIP_VLOSS: bool = {};\n\
         const SCRATCH_STRIDE: u32 = {}u;\nconst X_OFF: u32 = {}u;\nconst IDX_OFF: u32 = {}u;\n\
         const LOGITS_OFF: u32 = {}u;\nconst VALUES_OFF: u32 = {}u;\n\
         const DLOGITS_OFF: u32 = {}u;\nconst DVALUES_OFF: u32 = {}u;\n\
         const GROUPS: u32 = {}u;\nconst SUMSQ_OFF: u32 = {}u;\n\
         const ACTOR_END: u32 = {}u;\nconst CRITIC_END: u32 = {}u;\n{}",
        scratch.wg,
        shape.minibatch(),
        shape.m4(),
        shape.batch(),
        shape.epochs,
        shape.minibatches,
        shape.anneal_lr,
        shape.norm_adv,
        shape.clip_vloss,
        scratch.stride,
        plan.tensor[0],
        scratch.idx,
        plan.tensor[net.programs[0].output],
        plan.tensor[net.programs[1].output],
        plan.dout[0],
        plan.dout[1],
        scratch.groups,
        scratch.sumsq,
        net.net_params[0].1,
        net.net_params[1].1,
        plan.forward_wgsl(net),
    )
}

/// Composes the update kernel.
pub fn update_source(
    desc: &EnvDescriptor,
    net: &NetLayout,
    shape: &PpoShape,
    scratch: &ScratchLayout,
) -> ShaderSource {
    desc.env_source(&format!("ppo_update/{}", desc.name))
        .with(common::SHUFFLE)
        .part("<generated network layout>", net.prelude())
        .part("<generated PPO plan>", update_prelude(shape, net, scratch))
        .part(
            "<generated dense paths>",
            scratch.plan.dense_paths_wgsl(net, scratch.dense),
        )
        .part("<generated normalisation plan>", shape.norm_prelude())
        .with(nn::PARAMS_STORAGE)
        .with(nn::OPT_STORAGE)
        .with(nn::ACT_FNS)
        .with(nn::ACTIVATIONS)
        .with(nn::DENSE_FORWARD)
        .with(nn::DENSE_BACKWARD)
        .with(scratch.dense.forward_piece())
        .with(scratch.dense.backward_piece())
        .with(nn::NORM_FORWARD)
        .with(nn::NORM_BACKWARD)
        .with(nn::NET_FORWARD)
        .with(nn::NET_BACKWARD)
        .with(common::barriers(scratch.lockstep))
        .with(common::REDUCE)
        .with(nn::OPTIM)
        .with(shaders::COMMON)
        .with(shaders::NORMALIZE)
        .with(head_sources(desc)[1])
        .with(shaders::UPDATE)
}

/// Composes the kernel that computes the critic's values of a rollout's
/// observations after the rollout (the update's scratch layout and forward
/// table); `uniform_params` as the rollout's ([`RolloutLayout::uniform_params`]).
pub fn values_source(
    desc: &EnvDescriptor,
    net: &NetLayout,
    shape: &PpoShape,
    scratch: &ScratchLayout,
    uniform_params: bool,
) -> ShaderSource {
    let src = desc
        .env_source(&format!("ppo_values/{}", desc.name))
        .part("<generated network layout>", net.prelude())
        .part(
            "<generated PPO plan>",
            update_plan_constants(shape, net, scratch),
        );
    let src = with_params_binding(src, 1, uniform_params, net, shape.agents)
        .with(common::barriers(scratch.lockstep));
    with_forward_pieces(src, net, &scratch.plan, shape, scratch.dense).with(shaders::VALUES)
}

/// Uniform block of the values kernel: the minibatch-sized chunks of the batch
/// one dispatch covers.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct ValuesParams {
    /// First chunk.
    pub first: u32,
    /// Chunks.
    pub count: u32,
    _pad: [u32; 2],
}

/// Loop iterations one invocation of the values kernel runs per chunk of a
/// minibatch (an over-estimate: the forward of both networks).
pub fn values_chunk_iterations(net: &NetLayout, scratch: &ScratchLayout, obs_dim: u32) -> u64 {
    let m = scratch.plan.m4 as u64 * 4;
    budget::elementwise(m, scratch.wg) * (obs_dim as u64 + 2)
        + scratch.plan.forward_iterations(net, scratch.wg)
        + 4
}

/// Chunks of the batch per values dispatch: as many as lavapipe's loop cap allows
/// (each of the agent's workgroups takes every `groups`-th chunk).
pub fn values_chunks_per_dispatch(
    net: &NetLayout,
    shape: &PpoShape,
    scratch: &ScratchLayout,
    obs_dim: u32,
) -> u32 {
    let per = values_chunk_iterations(net, scratch, obs_dim).max(1);
    let rounds = (budget::DISPATCH_LOOP_BUDGET / per).max(1);
    (rounds * scratch.groups as u64).clamp(1, shape.minibatches as u64) as u32
}

/// Which of a run's kernels leave out their barriers because their workgroups
/// run in lockstep ([`Context::lockstep_lanes`], `ppo.lockstep`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Lockstep {
    /// The rollout kernel.
    pub rollout: bool,
    /// The update and the critic's values kernels.
    pub update: bool,
}

/// The kernels of a run bound to its arena: env reset, rollout chunks (sampling
/// and greedy), the critic's values (training), GAE, and the update dispatches.
#[derive(Debug)]
pub struct PpoKernels {
    /// The general env kernel over the run's env slots.
    pub env: EnvKernel,
    rollout: Kernel,
    gae: Kernel,
    update: Option<Kernel>,
    // The values kernel, a bind group per dispatch and its workgroups (training only).
    values: Option<(Kernel, Vec<wgpu::BindGroup>, u32)>,
    // The normalisation-statistics kernel and its bind group (training with normalisation).
    norm: Option<(Kernel, wgpu::BindGroup)>,
    // Per chunk: (sampling, greedy) bind groups.
    rollout_bg: Vec<[wgpu::BindGroup; 2]>,
    gae_bg: wgpu::BindGroup,
    // Update bind groups with their workgroup counts.
    update_bg: Vec<(wgpu::BindGroup, u32)>,
    rollout_groups: u32,
    gae_groups: [u32; 3],
    agents: u32,
    lockstep: Lockstep,
    _params: ParamBuffer,
}

impl PpoKernels {
    /// Builds the kernels; `with_update: false` builds only what evaluation needs.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        ctx: &Context,
        desc: &EnvDescriptor,
        net: &NetLayout,
        shape: &PpoShape,
        scratch: &ScratchLayout,
        rollout_layout: &RolloutLayout,
        seed: u32,
        arena: &Arena,
        slots: &PpoSlots,
        with_update: bool,
    ) -> wgrl_envs::Result<Self> {
        let config = VecEnvConfig {
            agents: shape.agents,
            envs: shape.envs,
            seed,
        };
        let env = EnvKernel::new(ctx, desc, config, arena, &slots.env)?;
        // Every kernel's source first, then the pipelines side by side.
        let mut sources = vec![
            rollout_source(desc, net, shape, rollout_layout),
            gae_source(desc, net, shape, rollout_layout),
        ];
        if with_update {
            sources.push(values_source(
                desc,
                net,
                shape,
                scratch,
                rollout_layout.uniform_params,
            ));
            sources.push(update_source(desc, net, shape, scratch));
            if shape.normalizes() {
                sources.push(norm_update_source(desc, net, shape));
            }
        }
        let mut kernels = Kernel::new_many(ctx, &sources.iter().collect::<Vec<_>>())?.into_iter();
        let mut next_kernel = || kernels.next().expect("a kernel per source");
        let rollout = next_kernel();
        let gae = next_kernel();
        let gae_groups = gae.groups_for(ctx, shape.agents as u64 * shape.envs as u64)?;
        let mut table = ParamTable::new();
        let block = |t0: u32, count: u32, greedy: u32| RolloutParams {
            envs: shape.envs,
            agents: shape.agents,
            seed,
            steps: shape.steps,
            t0,
            count,
            greedy,
            last: (t0 + count == shape.steps) as u32,
        };
        let chunks: Vec<(u32, u32)> = (0..shape.steps)
            .step_by(rollout_layout.chunk as usize)
            .map(|t0| (t0, rollout_layout.chunk.min(shape.steps - t0)))
            .collect();
        let chunk_refs: Vec<_> = chunks
            .iter()
            .map(|&(t0, n)| [table.push(&block(t0, n, 0)), table.push(&block(t0, n, 1))])
            .collect();
        let gae_ref = table.push(&block(0, shape.steps, 0));
        let total = shape.epochs * shape.minibatches;
        let per =
            update_steps_per_dispatch(net, shape, scratch, desc.obs_out(), desc.num_actions());
        let split = scratch.groups > 1;
        let mut update_refs: Vec<_> = (0..total)
            .step_by(per as usize)
            .map(|first| {
                let count = per.min(total - first);
                let p = table.push(&UpdateParams {
                    seed,
                    agents: shape.agents,
                    first,
                    count,
                    is_first: (first == 0) as u32,
                    is_last: (!split && first + count == total) as u32,
                    groups: scratch.groups,
                    iterations: shape.iterations.max(1),
                });
                (p, shape.agents * scratch.groups)
            })
            .collect();
        if split {
            // The tail: one workgroup per agent takes the last step's Adam (both
            // networks) and files the statistics.
            let p = table.push(&UpdateParams {
                seed,
                agents: shape.agents,
                first: total,
                count: 0,
                is_first: 0,
                is_last: 1,
                groups: 1,
                iterations: shape.iterations.max(1),
            });
            update_refs.push((p, shape.agents));
        }
        let per_values = values_chunks_per_dispatch(net, shape, scratch, desc.obs_out());
        let values_refs: Vec<_> = (0..shape.minibatches)
            .step_by(per_values as usize)
            .map(|first| {
                table.push(&ValuesParams {
                    first,
                    count: per_values.min(shape.minibatches - first),
                    _pad: [0; 2],
                })
            })
            .collect();
        let params = table.build(ctx)?;
        // A box space's raw actions are binding 8 of the rollout and the update.
        let act = slots.traj_act.map(|s| arena.binding(s));
        let bind_rollout = |r| {
            let mut b = vec![
                params.binding(r),
                arena.binding(slots.env.states),
                arena.binding(slots.env.meta),
                arena.binding(slots.env.params),
                arena.binding(slots.params),
                arena.binding(slots.traj),
                arena.binding(slots.traj_obs),
                arena.binding(slots.scratch),
            ];
            b.extend(act.clone());
            rollout.bind(ctx, &b)
        };
        let rollout_bg = chunk_refs
            .iter()
            .map(|[a, b]| Ok([bind_rollout(*a)?, bind_rollout(*b)?]))
            .collect::<wgrl_gpu::Result<Vec<_>>>()?;
        let gae_bg = gae.bind(
            ctx,
            &[
                params.binding(gae_ref),
                arena.binding(slots.traj),
                arena.binding(slots.hyper),
                arena.binding(slots.params),
            ],
        )?;
        let values = if with_update {
            let k = next_kernel();
            let bgs = values_refs
                .iter()
                .map(|r| {
                    k.bind(
                        ctx,
                        &[
                            params.binding(*r),
                            arena.binding(slots.params),
                            arena.binding(slots.traj),
                            arena.binding(slots.traj_obs),
                            arena.binding(slots.scratch),
                        ],
                    )
                })
                .collect::<wgrl_gpu::Result<Vec<_>>>()?;
            Some((k, bgs, shape.agents * scratch.groups))
        } else {
            None
        };
        let (update, update_bg) = if with_update {
            let k = next_kernel();
            let bgs = update_refs
                .iter()
                .map(|(r, groups)| {
                    let mut b = vec![
                        params.binding(*r),
                        arena.binding(slots.params),
                        arena.binding(slots.opt),
                        arena.binding(slots.traj),
                        arena.binding(slots.traj_obs),
                        arena.binding(slots.scratch),
                        arena.binding(slots.hyper),
                        arena.binding(slots.stats),
                    ];
                    b.extend(act.clone());
                    Ok((k.bind(ctx, &b)?, *groups))
                })
                .collect::<wgrl_gpu::Result<Vec<_>>>()?;
            (Some(k), bgs)
        } else {
            (None, Vec::new())
        };
        let norm = if with_update && shape.normalizes() {
            let k = next_kernel();
            // Without reward scaling the kernel never touches ret_acc; any slot
            // satisfies the binding.
            let ret_acc = slots
                .ret_acc
                .map_or_else(|| arena.binding(slots.hyper), |s| arena.binding(s));
            let bg = k.bind(
                ctx,
                &[
                    params.binding(gae_ref),
                    arena.binding(slots.params),
                    arena.binding(slots.traj),
                    arena.binding(slots.traj_obs),
                    ret_acc,
                    arena.binding(slots.hyper),
                ],
            )?;
            Some((k, bg))
        } else {
            None
        };
        Ok(PpoKernels {
            env,
            rollout,
            gae,
            update,
            values,
            norm,
            rollout_bg,
            gae_bg,
            update_bg,
            rollout_groups: shape.agents * rollout_layout.groups,
            gae_groups,
            agents: shape.agents,
            lockstep: Lockstep {
                rollout: rollout_layout.lockstep,
                update: scratch.lockstep && with_update,
            },
            _params: params,
        })
    }

    /// Appends the rollout chunks, the critic's values of the rollout (training
    /// kernels, sampling rollouts) and GAE. A greedy rollout (evaluation) leaves
    /// the transitions' values at 0: only its episode returns are read.
    pub fn record_rollout(&self, rec: &mut Recorder, greedy: bool) {
        for bg in &self.rollout_bg {
            rec.dispatch(
                &self.rollout,
                &bg[greedy as usize],
                [self.rollout_groups, 1, 1],
            );
        }
        if let (Some((k, bgs, groups)), false) = (&self.values, greedy) {
            for bg in bgs {
                rec.dispatch(k, bg, [*groups, 1, 1]);
            }
        }
        rec.dispatch(&self.gae, &self.gae_bg, self.gae_groups);
    }

    /// Appends the update dispatches (one or two workgroups per agent each), then the
    /// merge of the iteration's batch into the normalisation statistics. No-op
    /// without an update kernel.
    pub fn record_update(&self, rec: &mut Recorder) {
        if let Some(k) = &self.update {
            for (bg, groups) in &self.update_bg {
                rec.dispatch(k, bg, [*groups, 1, 1]);
            }
        }
        if let Some((k, bg)) = &self.norm {
            rec.dispatch(k, bg, [self.agents, 1, 1]);
        }
    }

    /// Which kernels run without barriers.
    pub fn lockstep(&self) -> Lockstep {
        self.lockstep
    }

    /// Dispatches per iteration (rollout chunks + values + GAE + update parts +
    /// statistics).
    pub fn dispatches_per_iteration(&self) -> usize {
        self.rollout_bg.len()
            + self.values.as_ref().map_or(0, |v| v.1.len())
            + 1
            + self.update_bg.len()
            + self.norm.is_some() as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wgrl_nn::Activation;

    fn shape(envs: u32, steps: u32, minibatches: u32) -> PpoShape {
        PpoShape {
            agents: 1,
            envs,
            steps,
            epochs: 4,
            minibatches,
            iterations: 10,
            anneal_lr: true,
            norm_adv: true,
            clip_vloss: false,
            norm_obs: false,
            norm_reward: false,
        }
    }

    fn iterations(net: &NetLayout, s: &PpoShape, l: &ScratchLayout) -> u64 {
        let (per, scan) = update_step_iterations(net, s, l, 4, 2);
        per + scan
    }

    #[test]
    fn cpu_adapters_get_the_narrowest_update_workgroup_under_the_loop_cap() {
        // PureJaxRL's CartPole: minibatches of 128 samples, 64-64 tanh.
        let net = NetLayout::actor_critic(4, 2, 64, 2, Activation::Tanh);
        let s = shape(4, 128, 4);
        // One agent: where the host's cores would split the update, one SIMD group
        // of lanes, split or not; else 32.
        let splits = auto_update_groups("cpu", 1) == 2;
        for groups in [1, 2] {
            let l = ScratchLayout::for_device(&net, &s, 4, 2, "cpu", groups);
            assert_eq!(l.wg, if splits { 8 } else { 32 });
            assert!(iterations(&net, &s, &l) <= budget::LAVAPIPE_LOOP_LIMIT);
        }
        // Agents enough to fill the cores: 32 lanes.
        let many = PpoShape { agents: 64, ..s };
        assert_eq!(
            ScratchLayout::for_device(&net, &many, 4, 2, "cpu", 1).wg,
            32
        );
        let gpu = ScratchLayout::for_device(&net, &s, 4, 2, "discrete_gpu", 1);
        assert_eq!(gpu.wg, UPDATE_WG);
        // Minibatches of 2048 samples at width 256: 32 lanes would loop past the cap,
        // so a wider workgroup is taken, the narrowest that fits.
        let big = NetLayout::actor_critic(4, 2, 256, 2, Activation::Tanh);
        let s = shape(64, 128, 4);
        let narrow = ScratchLayout::new(&big, s.m4(), 32, 1);
        assert!(iterations(&big, &s, &narrow) > budget::LAVAPIPE_LOOP_LIMIT);
        let cpu = ScratchLayout::for_device(&big, &s, 4, 2, "cpu", 1);
        assert!(cpu.wg > 32 && cpu.wg <= UPDATE_WG);
        // Split, the narrow widths would loop past the dispatch budget: the same width.
        let big_split = ScratchLayout::for_device(&big, &s, 4, 2, "cpu", 2);
        assert_eq!(big_split.wg, cpu.wg);
        assert!(iterations(&big, &s, &cpu) <= budget::LAVAPIPE_LOOP_LIMIT);
        let half = ScratchLayout::new(&big, s.m4(), cpu.wg / 2, 1);
        assert!(iterations(&big, &s, &half) > budget::LAVAPIPE_LOOP_LIMIT);
    }

    #[test]
    fn the_rollout_binds_parameters_as_uniform_only_on_cpu_adapters_when_they_fit() {
        // One agent's 64-64 actor-critic: 9,155 words padded to 9,160 (36,640 B).
        let net = NetLayout::actor_critic(4, 2, 64, 2, Activation::Tanh);
        assert_eq!(params_uniform_bytes(1, &net), 36_640);
        assert!(rollout_params_uniform("cpu", 65_536, 1, &net));
        assert!(!rollout_params_uniform("cpu", 65_536, 2, &net));
        assert!(!rollout_params_uniform("cpu", 0, 1, &net));
        assert!(!rollout_params_uniform("discrete_gpu", 65_536, 1, &net));
        // The binding declares exactly the rounded array; storage declares no size.
        assert!(
            params_binding_wgsl(4, false, &net, 1)
                .contains("@binding(4) var<storage, read_write> params: array<vec4<f32>>")
        );
        let uniform = params_binding_wgsl(1, true, &net, 1);
        assert!(
            uniform.contains("@binding(1) var<uniform> params_u: array<vec4<f32>, 2290>"),
            "{uniform}"
        );
    }
}
