//! The training loop. The iteration (rollout + update) is recorded once and
//! encoded again for every iteration; the iterations up to each log point (at
//! most ten) go to the queue as one submission, and the host never waits on the
//! GPU between log points; statistics come
//! back through asynchronous readbacks at log points. A blocking wait happens only
//! at a log point whose readback ring is full (the GPU is then several log
//! intervals ahead), and once at the end.

use crate::checkpoint::Checkpoint;
use crate::config::TrainConfig;
use crate::ppo::{
    AgentHyper, AgentStats, Lockstep, PpoKernels, PpoShape, PpoSlots, ROLLOUT_WG, RolloutLayout,
    ScratchLayout, Transition, rollout_params_uniform,
};
use std::collections::VecDeque;
use std::time::Instant;
use wgrl_envs::{EnvBuffers, EnvDescriptor, EnvError, EnvMode, builtin, custom};
use wgrl_gpu::{
    Arena, ArenaLimits, ArenaPlan, AsyncReadback, Context, GpuError, GpuSlice, MemoryReport,
    Recorder, wgpu,
};
use wgrl_nn::kernels::DenseKernels;
use wgrl_nn::norm::NormKind;
use wgrl_nn::{Activation, ActivationMemory, Arch, ModelSpec, NetLayout, init::init_params};

/// Readbacks in flight before a log point waits for the oldest.
const READBACK_RING: usize = 3;
// Iterations go to the queue together, up to the next log point and at most
// this many: on lavapipe every submission costs about 0.4 ms of queue work
// (whole cartpole-purejaxrl runs about 5% faster than with one per iteration),
// and a bound keeps each submission short on GPUs with a watchdog.
const MAX_ITERATIONS_PER_SUBMISSION: u64 = 10;

/// What can stop training.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The config is not valid.
    #[error(transparent)]
    Config(#[from] crate::error::ConfigError),
    /// The env could not be built.
    #[error(transparent)]
    Env(#[from] EnvError),
    /// A GPU-layer error.
    #[error(transparent)]
    Gpu(#[from] GpuError),
    /// A checkpoint could not be written or read.
    #[error(transparent)]
    Checkpoint(#[from] crate::error::CheckpointError),
    /// A loss or gradient became NaN or infinite.
    #[error(
        "training diverged: a loss or gradient of agent {agent} became NaN or infinite at iteration {iteration}; \
         lower the learning rate (ppo.lr) or max_grad_norm{}",
        if *last_good_iteration > 0 { format!(". The last good state is from iteration {last_good_iteration}") } else { String::new() }
    )]
    Diverged {
        /// Agent index.
        agent: u32,
        /// Iteration (0-based) of the first non-finite value.
        iteration: u32,
        /// Iterations completed at the last finite log point (0 if none).
        last_good_iteration: u64,
    },
}

/// The GPU buffers of a training run, with their layouts (see [`Trainer::buffers`]).
#[derive(Debug, Clone)]
pub struct RolloutBuffers<'a> {
    /// The envs' states, parameters and bookkeeping.
    pub env: EnvBuffers<'a>,
    /// Steps per env in a rollout (`ppo.steps`).
    pub steps: u32,
    /// Floats per observation.
    pub obs_dim: u32,
    /// Every observation of the last rollout: `obs_dim` f32 at
    /// [`RolloutBuffers::row`] x `obs_dim`.
    pub observations: GpuSlice<'a>,
    /// Every [`Transition`] of the last rollout (36 bytes each; the action is the
    /// first u32) at [`RolloutBuffers::row`].
    pub transitions: GpuSlice<'a>,
}

impl RolloutBuffers<'_> {
    /// The row of env `env` of agent `agent` at rollout step `step`.
    pub fn row(&self, agent: u32, step: u32, env: u32) -> u64 {
        (agent as u64 * self.steps as u64 + step as u64) * self.env.envs as u64 + env as u64
    }
}

/// Statistics at one log point.
#[derive(Debug, Clone)]
pub struct LogPoint {
    /// Iterations completed.
    pub iteration: u64,
    /// Env steps per agent so far.
    pub env_steps: u64,
    /// Seconds since training started.
    pub wall_seconds: f64,
    /// Env steps per second, all agents together, since the start.
    pub steps_per_second: f64,
    /// Each agent's statistics.
    pub agents: Vec<AgentStats>,
}

impl LogPoint {
    /// Each agent's mean return over its last 100 episodes.
    pub fn running_returns(&self) -> Vec<Option<f64>> {
        self.agents.iter().map(AgentStats::running_return).collect()
    }
    /// Mean over agents of the running returns (agents without episodes skipped).
    pub fn mean_return(&self) -> Option<f64> {
        let r: Vec<f64> = self.running_returns().into_iter().flatten().collect();
        (!r.is_empty()).then(|| r.iter().sum::<f64>() / r.len() as f64)
    }
    /// Mean over agents of a per-agent statistic.
    pub fn mean_of(&self, f: impl Fn(&AgentStats) -> f32) -> f64 {
        self.agents.iter().map(|a| f(a) as f64).sum::<f64>() / self.agents.len().max(1) as f64
    }
    /// Whether every agent has finished at least 100 episodes with a running mean at or above `threshold`.
    pub fn solved(&self, threshold: f64) -> bool {
        self.agents.iter().all(|a| {
            a.episodes as usize >= crate::ppo::RECENT
                && a.running_return().is_some_and(|r| r >= threshold)
        })
    }
}

/// What a finished run reports.
#[derive(Debug, Clone)]
pub struct TrainReport {
    /// Iterations run.
    pub iterations: u64,
    /// Env steps per agent.
    pub env_steps: u64,
    /// Seconds from the first submission to the last result.
    pub wall_seconds: f64,
    /// Env steps per second, all agents together.
    pub steps_per_second: f64,
    /// The last log point.
    pub last: LogPoint,
    /// Env steps per agent at the first log point where every agent was solved.
    pub solved_at_step: Option<u64>,
    /// Seconds at that log point.
    pub solved_at_seconds: Option<f64>,
    /// Blocking waits between log points (the design requires 0).
    pub blocking_waits_between_log_points: u64,
}

struct Pending {
    log: usize,
    iteration: u64,
    submission: wgpu::SubmissionIndex,
}

/// A PPO run on one device: K agents x N envs, all state in one arena.
pub struct Trainer {
    ctx: Context,
    config: TrainConfig,
    desc: EnvDescriptor,
    net: NetLayout,
    shape: PpoShape,
    arena: Arena,
    slots: PpoSlots,
    kernels: PpoKernels,
    activations: ActivationMemory,
    iteration_rec: Recorder,
    readbacks: Vec<AsyncReadback>,
    snapshots: Vec<wgpu::Buffer>,
    pending: VecDeque<Pending>,
    iterations_done: u64,
    last_good: Option<(usize, u64)>,
}

impl std::fmt::Debug for Trainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trainer")
            .field("env", &self.desc.name)
            .field("shape", &self.shape)
            .finish()
    }
}

/// The env a config trains on: its custom env manifest (`env_file`) if it names
/// one, else the built-in env called `env`.
pub fn env_descriptor(config: &TrainConfig) -> Result<EnvDescriptor, TrainError> {
    with_task(&base_env(config)?, config)
}

/// The config's env without its task distribution.
fn base_env(config: &TrainConfig) -> Result<EnvDescriptor, TrainError> {
    Ok(match &config.env_file {
        Some(path) => custom::load(std::path::Path::new(path))?,
        None => builtin(&config.env)?,
    })
}

/// `desc` with the config's task distribution (`[task]`).
fn with_task(desc: &EnvDescriptor, config: &TrainConfig) -> Result<EnvDescriptor, TrainError> {
    let params: Vec<(String, wgrl_envs::TaskValue)> = config
        .task
        .params
        .iter()
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    Ok(desc.with_task(&params, &config.task.observe)?)
}

/// The model a config names (architecture, width, activation, norm).
pub fn model_spec(config: &TrainConfig) -> Result<ModelSpec, TrainError> {
    let m = &config.model;
    let invalid = |key: &str, value: &str, valid: &[&str]| {
        crate::error::ConfigError::Invalid(format!(
            "model.{key} = '{value}' is not supported; valid values: {}",
            valid.join(", ")
        ))
    };
    let activation = Activation::parse(&m.activation)
        .ok_or_else(|| invalid("activation", &m.activation, Activation::NAMES))?;
    let norm = match m.norm.as_str() {
        "none" => None,
        name => Some(
            NormKind::ALL
                .into_iter()
                .find(|k| k.name() == name)
                .ok_or_else(|| invalid("norm", name, crate::config::NORMS))?,
        ),
    };
    let arch = match m.arch.as_str() {
        "mlp" => Arch::Mlp { depth: m.depth },
        "residual" => Arch::Residual {
            blocks: m.blocks,
            expansion: m.expansion,
        },
        other => return Err(invalid("arch", other, crate::config::ARCHS).into()),
    };
    Ok(ModelSpec {
        arch,
        width: m.width,
        activation,
        norm,
    })
}

/// The network of a config: a separate actor and critic of the config's model.
pub fn network(config: &TrainConfig, desc: &EnvDescriptor) -> Result<NetLayout, TrainError> {
    let mut net =
        NetLayout::actor_critic_model(desc.obs_out(), desc.num_actions(), &model_spec(config)?);
    if desc.action_space.is_continuous() {
        net = net.with_log_std(desc.action_space.dim());
    }
    if config.ppo.norm_obs || config.ppo.norm_reward {
        net = net.with_state(crate::ppo::norm_state_words(desc.obs_out()));
    }
    Ok(net)
}

/// Initial parameters of every agent: seeded orthogonal weights, zero biases and
/// log-stds, and fresh normalisation statistics.
pub fn initial_params(net: &NetLayout, desc: &EnvDescriptor, agents: u32, seed: u32) -> Vec<f32> {
    let mut p = init_params(net, agents, seed);
    if let Some((off, len)) = net.state {
        let init = crate::ppo::norm_state_init(desc.obs_out());
        debug_assert_eq!(init.len(), len as usize);
        for a in p.chunks_mut(net.param_count as usize) {
            a[off as usize..(off + len) as usize].copy_from_slice(&init);
        }
    }
    p
}

fn shape_of(config: &TrainConfig) -> PpoShape {
    PpoShape {
        agents: config.agents,
        envs: config.ppo.envs,
        steps: config.ppo.steps,
        epochs: config.ppo.epochs,
        minibatches: config.ppo.minibatches,
        iterations: config.iterations().min(u32::MAX as u64) as u32,
        anneal_lr: config.ppo.anneal_lr,
        norm_adv: config.ppo.norm_adv,
        clip_vloss: config.ppo.clip_vloss,
        norm_obs: config.ppo.norm_obs,
        norm_reward: config.ppo.norm_reward,
    }
}

fn hyper_of(config: &TrainConfig) -> Vec<AgentHyper> {
    let k = config.agents;
    let p = &config.ppo;
    let (lr, g, l, c, e, v, n) = (
        p.lr.values(k),
        p.gamma.values(k),
        p.gae_lambda.values(k),
        p.clip.values(k),
        p.ent_coef.values(k),
        p.vf_coef.values(k),
        p.max_grad_norm.values(k),
    );
    (0..k as usize)
        .map(|a| AgentHyper::new(lr[a], g[a], l[a], c[a], e[a], v[a], n[a]))
        .collect()
}

/// Refuses a run the device cannot execute correctly: more workgroups than one
/// dispatch dimension allows, indices past u32, or (on lavapipe, a CPU adapter)
/// a single minibatch or rollout step over its per-invocation loop cap, where
/// loops would silently stop early.
fn check_plan(
    ctx: &Context,
    desc: &EnvDescriptor,
    net: &NetLayout,
    shape: &PpoShape,
    run: &RunPlan,
) -> Result<(), TrainError> {
    let rollout = &run.rollout;
    let plan_error = |m: String| Err(TrainError::Gpu(GpuError::Plan(m)));
    let max_groups = ctx.limits().max_compute_workgroups_per_dimension as u64;
    let agents = shape.agents as u64;
    let per_agent = run.scratch.groups as u64;
    if agents * per_agent > max_groups {
        let most = max_groups / per_agent;
        return plan_error(format!(
            "agents = {agents} but the update runs {per_agent} workgroup(s) per agent and this device dispatches at most {max_groups}; use at most {most} agents{}",
            if per_agent > 1 {
                " or ppo.update_groups = 1"
            } else {
                ""
            }
        ));
    }
    let rollout_groups = agents * rollout.groups as u64;
    if rollout_groups > max_groups {
        return plan_error(format!(
            "agents x ceil(ppo.envs / {ROLLOUT_WG}) = {rollout_groups} rollout workgroups, more than this device's {max_groups}; reduce agents or ppo.envs"
        ));
    }
    let rows = agents * shape.envs as u64 * shape.steps as u64 * desc.obs_out().max(1) as u64;
    if rows > u32::MAX as u64 {
        return plan_error(format!(
            "agents x ppo.envs x ppo.steps x {} observation floats = {rows} values, more than the kernels' 32-bit indices address ({}); reduce agents, ppo.envs or ppo.steps",
            desc.obs_out(),
            u32::MAX
        ));
    }
    // The networks' activations are one scratch slot (one storage binding): say
    // which model size overflows it, and by how much.
    let binding = ArenaLimits::from_limits(&ctx.limits()).page_bytes;
    let agents64 = shape.agents as u64;
    let update_bytes = run.scratch.vec4s_per_agent() * 16 * agents64;
    let rollout_bytes = rollout.stride as u64 * 16 * rollout.groups as u64 * agents64;
    let model = &net.model;
    let sizes = match model.arch {
        wgrl_nn::Arch::Residual { blocks, expansion } => format!(
            "model.arch = residual with model.width = {}, model.expansion = {expansion} ({} inner units) and model.blocks = {blocks}",
            model.width,
            model.width * expansion
        ),
        wgrl_nn::Arch::Mlp { depth } => {
            format!("model.width = {} and model.depth = {depth}", model.width)
        }
    };
    if update_bytes > binding {
        return plan_error(format!(
            "{sizes}: the PPO update's activations for minibatches of {} samples x {} agents need {} in one storage binding, \
             over this device's max_storage_buffer_binding_size of {} by {}; use more ppo.minibatches, fewer agents, \
             or a smaller model.width or model.expansion (an Approx-BP activation and an ms- norm also save less){}",
            shape.minibatch(),
            shape.agents,
            wgrl_gpu::fmt_bytes(update_bytes),
            wgrl_gpu::fmt_bytes(binding),
            wgrl_gpu::fmt_bytes(update_bytes - binding),
            if run.scratch.groups > 1 {
                "; the split update (ppo.update_groups = 2) holds a copy per network: ppo.update_groups = 1 halves it"
            } else {
                ""
            }
        ));
    }
    if rollout_bytes > binding {
        return plan_error(format!(
            "{sizes}: the rollout's activations for {} envs x {} agents need {} in one storage binding, \
             over this device's max_storage_buffer_binding_size of {} by {}; use fewer ppo.envs or agents, or a smaller model",
            shape.envs,
            shape.agents,
            wgrl_gpu::fmt_bytes(rollout_bytes),
            wgrl_gpu::fmt_bytes(binding),
            wgrl_gpu::fmt_bytes(rollout_bytes - binding)
        ));
    }
    if ctx.adapter().device_type == "cpu" {
        let cap = wgrl_nn::budget::LAVAPIPE_LOOP_LIMIT;
        let (per, scan) = crate::ppo::update_step_iterations(
            net,
            shape,
            &run.scratch,
            desc.obs_out(),
            desc.num_actions(),
        );
        if per + scan > cap {
            return plan_error(format!(
                "one minibatch of {} samples needs about {} loop iterations per GPU invocation, over the CPU driver's cap of {cap} \
                 (lavapipe stops loops there and would compute garbage) with {sizes}; use more minibatches (ppo.minibatches) or a smaller network",
                shape.minibatch(),
                per + scan
            ));
        }
        let norm = crate::ppo::norm_update_iterations(shape, desc.obs_out());
        if norm > cap {
            return plan_error(format!(
                "merging the normalisation statistics of {} rollout rows needs about {norm} loop iterations per GPU invocation, over the CPU driver's cap of {cap}; \
                 use fewer ppo.envs x ppo.steps or turn off ppo.norm_obs / ppo.norm_reward",
                shape.batch()
            ));
        }
        if rollout.per_step > cap {
            return plan_error(format!(
                "one rollout step needs about {} loop iterations per GPU invocation, over the CPU driver's cap of {cap} with {sizes}; use a smaller network",
                rollout.per_step
            ));
        }
    }
    Ok(())
}

// A run's plan: the rollout's and update's scratch layouts and the arena slots.
struct RunPlan {
    rollout: RolloutLayout,
    scratch: ScratchLayout,
    arena: ArenaPlan,
    slots: PpoSlots,
}

// `device_type` picks the update's workgroup width and, with `groups`
// (`ppo.update_groups`), how many workgroups share an agent's update; with
// `uniform_bytes` (the device's largest uniform binding, 0 for never) whether
// the rollout and values kernels read the parameters through a uniform binding.
// Where workgroups of up to `lockstep_lanes` invocations run in lockstep
// (lavapipe, `ppo.lockstep`), the rollout's blocks have at most that many envs:
// such a workgroup runs without barriers, and an agent's blocks spread over the
// cores.
fn plan_run(
    desc: &EnvDescriptor,
    net: &NetLayout,
    shape: &PpoShape,
    device_type: &str,
    groups: u32,
    uniform_bytes: u64,
    lockstep_lanes: Option<u32>,
) -> Result<RunPlan, TrainError> {
    let block = lockstep_lanes.unwrap_or(ROLLOUT_WG);
    let rollout = RolloutLayout::with_block(net, desc.obs_out(), desc.num_actions(), shape, block)
        .with_uniform_params(rollout_params_uniform(
            device_type,
            uniform_bytes,
            shape.agents,
            net,
        ));
    let env_layout = desc.check()?;
    let scratch = ScratchLayout::for_device(
        net,
        shape,
        desc.obs_out(),
        desc.num_actions(),
        device_type,
        groups,
    );
    let mut arena = ArenaPlan::new();
    let slots = PpoSlots::plan(
        &mut arena,
        desc,
        &env_layout,
        net,
        shape,
        &scratch,
        &rollout,
    );
    Ok(RunPlan {
        rollout,
        scratch,
        arena,
        slots,
    })
}

/// What a config's training run would allocate, planned without a device.
#[derive(Debug, Clone)]
pub struct RunMemory {
    /// The arena by category and slot; `total_bytes` is the run's peak (nothing is
    /// allocated after start-up).
    pub arena: MemoryReport,
    /// What the PPO update keeps from forward to backward, per layer (all agents).
    pub activations: ActivationMemory,
}

/// Plans `config`'s training run under `limits` (pages, alignment) and reports its
/// memory, without a device: for comparing models that may not fit this machine.
pub fn plan_memory(config: &TrainConfig, limits: &ArenaLimits) -> Result<RunMemory, TrainError> {
    config.validate()?;
    let desc = env_descriptor(config)?;
    let net = network(config, &desc)?;
    let shape = shape_of(config);
    // Planned as for a GPU: the same memory as on most devices (a split update,
    // the default only on CPU adapters, doubles the update's scratch).
    let run = plan_run(
        &desc,
        &net,
        &shape,
        "discrete_gpu",
        config.ppo.update_groups,
        0,
        None,
    )?;
    Ok(RunMemory {
        arena: run.arena.layout(limits)?.memory_report(),
        activations: update_memory(&run.scratch, shape.agents),
    })
}

fn update_memory(scratch: &ScratchLayout, agents: u32) -> ActivationMemory {
    scratch
        .plan
        .memory()
        .expect("the update plan is a training plan")
        .times(agents)
}

/// How a run's update is built: whether there is one (evaluation has none), its
/// workgroups per agent (`ppo.update_groups`) and whether its dense layers may use
/// subgroups (`ppo.subgroups`); whether the rollout and values kernels may
/// read the parameters through a uniform binding (`ppo.uniform_params`); and
/// whether kernels whose workgroups run in lockstep leave out their barriers
/// (`ppo.lockstep`).
#[derive(Clone, Copy)]
struct UpdateOptions {
    enabled: bool,
    groups: u32,
    subgroups: bool,
    uniform_params: bool,
    lockstep: bool,
}

/// Plans and allocates a run's arena, builds its kernels and writes the envs'
/// default parameters: what training and evaluation share.
fn build_run(
    ctx: &Context,
    desc: &EnvDescriptor,
    net: &NetLayout,
    shape: &PpoShape,
    seed: u32,
    update: UpdateOptions,
) -> Result<(Arena, PpoSlots, PpoKernels, ActivationMemory), TrainError> {
    let uniform_bytes = if update.uniform_params {
        ctx.limits().max_uniform_buffer_binding_size
    } else {
        0
    };
    let lockstep_lanes = ctx.lockstep_lanes().filter(|_| update.lockstep);
    let mut run = plan_run(
        desc,
        net,
        shape,
        &ctx.adapter().device_type,
        update.groups,
        uniform_bytes,
        lockstep_lanes,
    )?;
    if update.subgroups {
        run.scratch.dense = DenseKernels::for_context(ctx);
    }
    if let Some(lanes) = lockstep_lanes {
        run.scratch.lockstep = run.scratch.wg <= lanes;
        run.rollout.lockstep = run.rollout.wg() <= lanes;
    }
    check_plan(ctx, desc, net, shape, &run)?;
    let arena = Arena::new(ctx, &run.arena)?;
    let slots = run.slots;
    let kernels = PpoKernels::new(
        ctx,
        desc,
        net,
        shape,
        &run.scratch,
        &run.rollout,
        seed,
        &arena,
        &slots,
        update.enabled,
    )?;
    slots
        .env
        .write_default_params(&arena, desc, shape.agents as u64 * shape.envs as u64)?;
    Ok((
        arena,
        slots,
        kernels,
        update_memory(&run.scratch, shape.agents),
    ))
}

impl Trainer {
    /// Validates `config`, plans and allocates the arena, builds the kernels,
    /// initialises parameters (orthogonal, seeded) and resets the envs.
    pub fn new(ctx: &Context, config: &TrainConfig) -> Result<Self, TrainError> {
        config.validate()?;
        Self::with_env(ctx, config, base_env(config)?)
    }

    /// Like [`Trainer::new`] for an env the caller already holds: a custom env built
    /// with [`wgrl_envs::custom::from_strings`] or [`wgrl_envs::custom::load`], or a
    /// hand-made [`EnvDescriptor`]. `config.env` is set to the env's name.
    pub fn with_env(
        ctx: &Context,
        config: &TrainConfig,
        desc: EnvDescriptor,
    ) -> Result<Self, TrainError> {
        config.validate()?;
        // The config's task distribution, unless the caller's env already has one.
        let desc = if config.task.is_empty() {
            desc
        } else {
            with_task(&desc, config)?
        };
        let mut config = config.clone();
        config.env = desc.name.clone();
        let config = &config;
        let net = network(config, &desc)?;
        let shape = shape_of(config);
        let (arena, slots, kernels, activations) = build_run(
            ctx,
            &desc,
            &net,
            &shape,
            config.seed,
            UpdateOptions {
                enabled: true,
                groups: config.ppo.update_groups,
                subgroups: config.ppo.subgroups,
                uniform_params: config.ppo.uniform_params,
                lockstep: config.ppo.lockstep,
            },
        )?;
        arena.write(
            slots.params,
            &initial_params(&net, &desc, shape.agents, config.seed),
        )?;
        arena.write(slots.hyper, &hyper_of(config))?;
        kernels.env.submit(ctx, EnvMode::Reset);

        let mut iteration_rec = Recorder::new();
        kernels.record_rollout(&mut iteration_rec, false);
        kernels.record_update(&mut iteration_rec);

        let stats_bytes = arena.range(slots.stats).2;
        let readbacks = (0..READBACK_RING)
            .map(|_| AsyncReadback::new(ctx, stats_bytes))
            .collect::<Result<Vec<_>, _>>()?;
        let snap_bytes = arena.range(slots.params).2 + arena.range(slots.opt).2 + stats_bytes;
        let snapshots = ctx.checked("training snapshots", |device| {
            (0..=READBACK_RING)
                .map(|i| {
                    device.create_buffer(&wgpu::BufferDescriptor {
                        label: Some(&format!("wgrl snapshot {i}")),
                        size: snap_bytes,
                        usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC,
                        mapped_at_creation: false,
                    })
                })
                .collect::<Vec<_>>()
        })?;
        Ok(Trainer {
            ctx: ctx.clone(),
            config: config.clone(),
            desc,
            net,
            shape,
            arena,
            slots,
            kernels,
            activations,
            iteration_rec,
            readbacks,
            snapshots,
            pending: VecDeque::new(),
            iterations_done: 0,
            last_good: None,
        })
    }

    /// The resolved config.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }
    /// The env descriptor.
    pub fn env(&self) -> &EnvDescriptor {
        &self.desc
    }
    /// The network layout.
    pub fn network(&self) -> &NetLayout {
        &self.net
    }
    /// The iteration's shape.
    pub fn shape(&self) -> &PpoShape {
        &self.shape
    }
    /// The context.
    pub fn context(&self) -> &Context {
        &self.ctx
    }
    /// The arena's memory by category and slot.
    pub fn memory_report(&self) -> MemoryReport {
        self.arena.memory_report()
    }

    /// What the PPO update keeps from forward to backward, per layer (all agents).
    pub fn activation_memory(&self) -> &ActivationMemory {
        &self.activations
    }
    /// The arena and its slots (for hosts that read engine buffers directly).
    pub fn arena(&self) -> (&Arena, &PpoSlots) {
        (&self.arena, &self.slots)
    }

    /// The GPU buffers a host renders or reads from without a copy through the
    /// CPU: the envs' states, parameters and bookkeeping, and the rollout's
    /// observations and transitions, with their layouts. Their contents are those
    /// of the last work submitted (read them in work submitted after it).
    pub fn buffers(&self) -> RolloutBuffers<'_> {
        RolloutBuffers {
            env: self.slots.env.buffers(
                &self.arena,
                &self.desc,
                &self.slots.env_layout,
                self.shape.agents,
                self.shape.envs,
            ),
            steps: self.shape.steps,
            obs_dim: self.desc.obs_out(),
            observations: self.arena.slice(self.slots.traj_obs),
            transitions: self.arena.slice(self.slots.traj),
        }
    }

    /// Records one training iteration (rollout, GAE, update) into the caller's
    /// command encoder, for hosts that submit the engine's work with their own
    /// (a renderer's frame, for example). Nothing is read back: statistics
    /// accumulate on the GPU; read them with [`Trainer::read_stats`].
    ///
    /// ```no_run
    /// # fn demo(trainer: &mut wgrl_rl::Trainer, device: &wgpu::Device, queue: &wgpu::Queue) {
    /// let mut encoder = device.create_command_encoder(&Default::default());
    /// trainer.encode_iteration(&mut encoder);
    /// // ... the host's own passes, reading trainer.buffers() ...
    /// queue.submit([encoder.finish()]);
    /// # }
    /// ```
    pub fn encode_iteration(&mut self, encoder: &mut wgpu::CommandEncoder) {
        self.iteration_rec.encode(encoder, None);
        self.iterations_done += 1;
    }

    /// Records a rollout of the current policy (no update) into the caller's
    /// encoder: `greedy` takes each policy's most likely action instead of sampling.
    /// The envs advance `ppo.steps` steps, auto-resetting as in training.
    pub fn encode_rollout(&self, encoder: &mut wgpu::CommandEncoder, greedy: bool) {
        let mut rec = Recorder::new();
        self.kernels.record_rollout(&mut rec, greedy);
        rec.encode(encoder, None);
    }

    /// Every agent's statistics now (a blocking readback: waits for submitted work).
    pub fn read_stats(&self) -> Result<Vec<AgentStats>, TrainError> {
        Ok(self.arena.read(self.slots.stats)?)
    }

    /// Iterations run so far (by [`Trainer::train`] or [`Trainer::encode_iteration`]).
    pub fn iterations_done(&self) -> u64 {
        self.iterations_done
    }

    /// Which kernels run without barriers (`ppo.lockstep` on an adapter whose
    /// workgroups of their width run in lockstep: lavapipe).
    pub fn lockstep(&self) -> Lockstep {
        self.kernels.lockstep()
    }

    /// Dispatches per iteration.
    pub fn dispatches_per_iteration(&self) -> usize {
        self.kernels.dispatches_per_iteration()
    }

    /// Runs one iteration with a GPU timestamp around every dispatch and returns
    /// the labelled times in nanoseconds (empty without timestamp support). Blocking.
    pub fn profile_iteration(&mut self) -> Result<Vec<(String, f64)>, TrainError> {
        let n = self.kernels.dispatches_per_iteration() as u32;
        match wgrl_gpu::Profiler::new(&self.ctx, n)? {
            Some(p) => Ok(self.iteration_rec.profile(&self.ctx, &p)?),
            None => Ok(Vec::new()),
        }
    }

    /// Submits only the rollout (for tests and debugging; `train` records both phases).
    pub fn submit_rollout(&self) {
        let mut rec = Recorder::new();
        self.kernels.record_rollout(&mut rec, false);
        rec.submit(&self.ctx);
    }

    /// Submits only the update (for tests and debugging).
    pub fn submit_update(&self) {
        let mut rec = Recorder::new();
        self.kernels.record_update(&mut rec);
        rec.submit(&self.ctx);
    }

    /// Runs every planned iteration, calling `on_log` at each log point.
    pub fn train(&mut self, mut on_log: impl FnMut(&LogPoint)) -> Result<TrainReport, TrainError> {
        let total = self.shape.iterations as u64;
        let interval = self.config.log.interval.max(1) as u64;
        let start = Instant::now();
        let mut logs = 0usize;
        let mut last: Option<LogPoint> = None;
        let mut solved: Option<(u64, f64)> = None;
        let threshold = self.desc.solved_threshold.map(f64::from);
        let mut between = 0u64;
        let mut waits_mark = self.ctx.blocking_waits();
        let mut handle =
            |lp: LogPoint, solved: &mut Option<(u64, f64)>, last: &mut Option<LogPoint>| {
                if solved.is_none() && threshold.is_some_and(|t| lp.solved(t)) {
                    *solved = Some((lp.env_steps, lp.wall_seconds));
                }
                on_log(&lp);
                *last = Some(lp);
            };
        // Iterations recorded since the last submission.
        let mut batch: Option<(wgpu::CommandEncoder, u64)> = None;
        for it in 0..total {
            let (encoder, batched) = batch.get_or_insert_with(|| {
                let encoder =
                    self.ctx
                        .device()
                        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                            label: Some("wgrl iterations"),
                        });
                (encoder, 0)
            });
            self.iteration_rec.encode(encoder, None);
            *batched += 1;
            let log_now = (it + 1) % interval == 0 || it + 1 == total;
            if !log_now && *batched < MAX_ITERATIONS_PER_SUBMISSION {
                continue;
            }
            let (mut encoder, _) = batch.take().expect("a batch is open");
            if log_now {
                between += self.ctx.blocking_waits() - waits_mark;
                let slot = logs % READBACK_RING;
                // The GPU is READBACK_RING log points behind: wait for the oldest here,
                // at a log point, until this slot's readback has been taken.
                while self.readbacks[slot].is_pending() {
                    let oldest = self
                        .pending
                        .front()
                        .expect("a pending readback")
                        .submission
                        .clone();
                    self.ctx.wait_for(oldest)?;
                    while let Some(lp) = self.poll_log(start)? {
                        handle(lp, &mut solved, &mut last);
                    }
                }
                let (src, off, bytes) = self.arena.range(self.slots.stats);
                self.readbacks[slot].encode_copy(&mut encoder, src, off, 0, bytes);
                self.encode_snapshot(&mut encoder, logs % self.snapshots.len());
            }
            let submission = self.ctx.queue().submit([encoder.finish()]);
            self.iterations_done = it + 1;
            if log_now {
                self.readbacks[logs % READBACK_RING].request();
                self.pending.push_back(Pending {
                    log: logs,
                    iteration: it + 1,
                    submission,
                });
                logs += 1;
                waits_mark = self.ctx.blocking_waits();
            }
            while let Some(lp) = self.poll_log(start)? {
                handle(lp, &mut solved, &mut last);
            }
        }
        between += self.ctx.blocking_waits() - waits_mark;
        // The end of training: wait once for everything, then take the last readbacks.
        self.ctx.wait()?;
        while !self.pending.is_empty() {
            match self.poll_log(start)? {
                Some(lp) => handle(lp, &mut solved, &mut last),
                None => self.ctx.wait()?,
            }
        }
        let wall = start.elapsed().as_secs_f64();
        let last = last.expect("at least one log point");
        let env_steps = self.iterations_done * self.shape.batch() as u64;
        Ok(TrainReport {
            iterations: self.iterations_done,
            env_steps,
            wall_seconds: wall,
            steps_per_second: (env_steps * self.shape.agents as u64) as f64 / wall,
            last,
            solved_at_step: solved.map(|s| s.0),
            solved_at_seconds: solved.map(|s| s.1),
            blocking_waits_between_log_points: between,
        })
    }

    fn encode_snapshot(&self, encoder: &mut wgpu::CommandEncoder, index: usize) {
        let mut off = 0;
        for id in [
            self.slots.params.id(),
            self.slots.opt.id(),
            self.slots.stats.id(),
        ] {
            let (buf, src, bytes) = self.arena.range(id);
            encoder.copy_buffer_to_buffer(buf, src, &self.snapshots[index], off, bytes);
            off += bytes;
        }
    }

    /// Takes the oldest pending log point if its readback arrived (never blocks).
    fn poll_log(&mut self, start: Instant) -> Result<Option<LogPoint>, TrainError> {
        let Some(front) = self.pending.front() else {
            return Ok(None);
        };
        let slot = front.log % READBACK_RING;
        let Some(bytes) = self.readbacks[slot].try_take()? else {
            return Ok(None);
        };
        let front = self.pending.pop_front().expect("front exists");
        let agents: Vec<AgentStats> = bytemuck::pod_collect_to_vec(&bytes);
        let wall = start.elapsed().as_secs_f64();
        let env_steps = front.iteration * self.shape.batch() as u64;
        if let Some((a, s)) = agents.iter().enumerate().find(|(_, s)| s.nonfinite != 0) {
            return Err(TrainError::Diverged {
                agent: a as u32,
                iteration: s.first_bad_iteration,
                last_good_iteration: self.last_good.map_or(0, |g| g.1),
            });
        }
        self.last_good = Some((front.log % self.snapshots.len(), front.iteration));
        Ok(Some(LogPoint {
            iteration: front.iteration,
            env_steps,
            wall_seconds: wall,
            steps_per_second: (env_steps * self.shape.agents as u64) as f64 / wall.max(1e-9),
            agents,
        }))
    }

    /// A checkpoint of the current state (blocking readback; call after training).
    pub fn checkpoint(&self) -> Result<Checkpoint, TrainError> {
        let params = self.arena.read(self.slots.params)?;
        let opt = self.arena.read(self.slots.opt)?;
        let stats = self.arena.read(self.slots.stats)?;
        Ok(self.assemble_checkpoint(params, opt, stats.first().map_or(0, |s| s.iteration as u64)))
    }

    /// A checkpoint of the state at the last log point whose statistics were all
    /// finite (what to keep when training diverges), if there was one.
    pub fn last_good_checkpoint(&self) -> Result<Option<Checkpoint>, TrainError> {
        let Some((index, iteration)) = self.last_good else {
            return Ok(None);
        };
        let p = self.arena.range(self.slots.params).2;
        let o = self.arena.range(self.slots.opt).2;
        let buf = &self.snapshots[index];
        let bytes = wgrl_gpu::readback::read_buffer_blocking(&self.ctx, buf, 0, p + o)?;
        let params: Vec<f32> = bytemuck::pod_collect_to_vec(&bytes[..p as usize]);
        let opt: Vec<f32> = bytemuck::pod_collect_to_vec(&bytes[p as usize..]);
        Ok(Some(self.assemble_checkpoint(params, opt, iteration)))
    }

    fn assemble_checkpoint(&self, params: Vec<f32>, opt: Vec<f32>, iteration: u64) -> Checkpoint {
        let pc = self.net.param_count as usize;
        let (mut m, mut v) = (
            Vec::with_capacity(params.len()),
            Vec::with_capacity(params.len()),
        );
        for a in 0..self.shape.agents as usize {
            let base = a * 3 * pc;
            m.extend_from_slice(&opt[base..base + pc]);
            v.extend_from_slice(&opt[base + pc..base + 2 * pc]);
        }
        Checkpoint {
            config: self.config.clone(),
            iteration,
            env_steps: iteration * self.shape.batch() as u64,
            param_count: self.net.param_count,
            params,
            adam_m: m,
            adam_v: v,
            tensors: Default::default(),
        }
    }
}

/// Returns of greedy evaluation episodes.
#[derive(Debug, Clone)]
pub struct EvalReport {
    /// Per agent, the return of each evaluation episode.
    pub returns: Vec<Vec<f32>>,
}

impl EvalReport {
    /// All returns together.
    pub fn all(&self) -> impl Iterator<Item = f32> + '_ {
        self.returns.iter().flatten().copied()
    }
    /// Mean of all returns.
    pub fn mean(&self) -> f64 {
        let n = self.all().count().max(1);
        self.all().map(f64::from).sum::<f64>() / n as f64
    }
    /// Smallest return.
    pub fn min(&self) -> f32 {
        self.all().fold(f32::INFINITY, f32::min)
    }
    /// Largest return.
    pub fn max(&self) -> f32 {
        self.all().fold(f32::NEG_INFINITY, f32::max)
    }
}

/// Runs `episodes` greedy episodes per agent of a checkpoint's policy (one env
/// each, from fresh resets keyed by `seed`).
pub fn evaluate(
    ctx: &Context,
    ck: &Checkpoint,
    episodes: u32,
    seed: u32,
) -> Result<EvalReport, TrainError> {
    let config = &ck.config;
    config.validate()?;
    let desc = env_descriptor(config)?;
    let returns = greedy_returns(ctx, ck, &desc, episodes, None, seed)?;
    Ok(EvalReport { returns })
}

/// One axis of an evaluation grid: an env parameter and the values it takes.
#[derive(Debug, Clone, PartialEq)]
pub struct GridAxis {
    /// Parameter name (a field of the env's `EnvParams`).
    pub name: String,
    /// Values, in order.
    pub values: Vec<f32>,
}

impl GridAxis {
    /// Parses `name=lo:hi:n`: `n` evenly spaced values from `lo` to `hi` (just `lo`
    /// when `n` is 1).
    pub fn parse(spec: &str) -> Result<Self, crate::error::ConfigError> {
        let bad = |why: &str| {
            crate::error::ConfigError::Invalid(format!(
                "--grid '{spec}': {why}; write name=lo:hi:n, for example length=0.25:1.0:4"
            ))
        };
        let (name, range) = spec.split_once('=').ok_or_else(|| bad("no '='"))?;
        let parts: Vec<&str> = range.split(':').collect();
        let [lo, hi, n] = parts[..] else {
            return Err(bad("expected three ':'-separated fields after '='"));
        };
        let lo: f32 = lo
            .trim()
            .parse()
            .map_err(|_| bad(&format!("lo '{lo}' is not a number")))?;
        let hi: f32 = hi
            .trim()
            .parse()
            .map_err(|_| bad(&format!("hi '{hi}' is not a number")))?;
        let n: i64 = n
            .trim()
            .parse()
            .map_err(|_| bad(&format!("n '{n}' is not a whole number")))?;
        if n < 1 {
            return Err(bad(&format!("n = {n}; a grid axis needs at least 1 value")));
        }
        if !(lo.is_finite() && hi.is_finite()) || lo > hi {
            return Err(bad(&format!(
                "lo = {lo} must be finite and at most hi = {hi}"
            )));
        }
        let name = name.trim();
        if name.is_empty() {
            return Err(bad("the parameter name is empty"));
        }
        let n = n as usize;
        let values = (0..n)
            .map(|i| {
                if n == 1 {
                    lo
                } else {
                    // In f64, so that the ends are exactly lo and hi.
                    (lo as f64 + (hi as f64 - lo as f64) * i as f64 / (n - 1) as f64) as f32
                }
            })
            .collect();
        Ok(GridAxis {
            name: name.to_string(),
            values,
        })
    }
}

/// Greedy returns at every point of a parameter grid.
#[derive(Debug, Clone)]
pub struct GridReport {
    /// The axes, in the order given.
    pub axes: Vec<GridAxis>,
    /// One entry per grid point, the last axis varying fastest.
    pub points: Vec<GridPoint>,
}

/// One point of a [`GridReport`].
#[derive(Debug, Clone)]
pub struct GridPoint {
    /// The parameter values, one per axis.
    pub values: Vec<f32>,
    /// Every episode's return at this point (all agents).
    pub returns: Vec<f32>,
}

impl GridPoint {
    /// Mean return.
    pub fn mean(&self) -> f64 {
        self.returns.iter().map(|&r| r as f64).sum::<f64>() / self.returns.len().max(1) as f64
    }
    /// Smallest return.
    pub fn min(&self) -> f32 {
        self.returns.iter().copied().fold(f32::INFINITY, f32::min)
    }
    /// Largest return.
    pub fn max(&self) -> f32 {
        self.returns
            .iter()
            .copied()
            .fold(f32::NEG_INFINITY, f32::max)
    }
}

/// Evaluates a checkpoint's greedy policies over a grid of env parameter values:
/// `episodes` episodes per agent at every point of the axes' product. Parameters on
/// the grid are fixed per env (the training task's sampling of them is off);
/// other task settings stay as trained, so observed parameters are still observed.
pub fn evaluate_grid(
    ctx: &Context,
    ck: &Checkpoint,
    axes: &[GridAxis],
    episodes: u32,
    seed: u32,
) -> Result<GridReport, TrainError> {
    let config = &ck.config;
    config.validate()?;
    let mut desc = env_descriptor(config)?;
    let mut fields = Vec::with_capacity(axes.len());
    for axis in axes {
        let i = desc.param_index(&axis.name, "--grid")?;
        if fields.contains(&i) {
            return Err(EnvError::Invalid(format!("--grid names '{}' twice", axis.name)).into());
        }
        if let Some((lo, hi)) = desc.params[i].range
            && axis.values.iter().any(|v| !(lo..=hi).contains(v))
        {
            return Err(EnvError::Invalid(format!(
                "--grid {}: values must lie in [{lo}, {hi}], the range {} declares",
                axis.name, desc.name
            ))
            .into());
        }
        fields.push(i);
    }
    desc.task.sampled.retain(|(i, _, _)| !fields.contains(i));
    let mut points: Vec<Vec<f32>> = vec![Vec::new()];
    for axis in axes {
        points = points
            .iter()
            .flat_map(|p| {
                axis.values.iter().map(move |&v| {
                    let mut q = p.clone();
                    q.push(v);
                    q
                })
            })
            .collect();
    }
    let n_points = points.len() as u32;
    let envs = n_points.checked_mul(episodes).ok_or_else(|| {
        crate::error::ConfigError::Invalid(format!(
            "{n_points} grid points x {episodes} episodes is too many envs; use fewer"
        ))
    })?;
    let base = desc.default_params();
    let mut params = Vec::with_capacity(config.agents as usize * envs as usize * base.len());
    for _ in 0..config.agents {
        for point in &points {
            let mut p = base.clone();
            for (&i, &v) in fields.iter().zip(point) {
                p[i] = v;
            }
            for _ in 0..episodes {
                params.extend_from_slice(&p);
            }
        }
    }
    let returns = greedy_returns(ctx, ck, &desc, envs, Some(&params), seed)?;
    let points = points
        .into_iter()
        .enumerate()
        .map(|(k, values)| {
            let lo = k * episodes as usize;
            GridPoint {
                values,
                returns: returns
                    .iter()
                    .flat_map(|r| r[lo..lo + episodes as usize].iter().copied())
                    .collect(),
            }
        })
        .collect();
    Ok(GridReport {
        axes: axes.to_vec(),
        points,
    })
}

/// Each agent's greedy return on each of `envs` envs (one episode each, from fresh
/// resets keyed by `seed`), with per-env parameters `params` if given.
fn greedy_returns(
    ctx: &Context,
    ck: &Checkpoint,
    desc: &EnvDescriptor,
    envs: u32,
    params: Option<&[f32]>,
    seed: u32,
) -> Result<Vec<Vec<f32>>, TrainError> {
    if envs == 0 {
        return Err(
            crate::error::ConfigError::Invalid("--episodes must be at least 1".into()).into(),
        );
    }
    let config = &ck.config;
    let net = network(config, desc)?;
    if net.param_count != ck.param_count
        || ck.params.len() as u64 != net.param_count as u64 * config.agents as u64
    {
        return Err(crate::error::CheckpointError::Inconsistent(format!(
            "the checkpoint holds {} parameters per agent but its config describes a network of {}",
            ck.param_count, net.param_count
        ))
        .into());
    }
    // Every env runs one time limit's worth of steps, so each finishes an episode.
    let batch = envs.checked_mul(desc.max_episode_steps).ok_or_else(|| {
        crate::error::ConfigError::Invalid(format!(
            "{envs} evaluation envs x {} steps per episode is too many for one evaluation; use fewer episodes",
            desc.max_episode_steps
        ))
    })?;
    let shape = PpoShape {
        agents: config.agents,
        envs,
        steps: desc.max_episode_steps,
        epochs: 1,
        // No update runs; one-sample minibatches keep its unused scratch minimal.
        minibatches: batch,
        iterations: 1,
        anneal_lr: false,
        norm_adv: false,
        clip_vloss: false,
        // Evaluation normalises with the checkpoint's statistics and never updates them.
        norm_obs: config.ppo.norm_obs,
        norm_reward: false,
    };
    let (arena, slots, kernels, _) = build_run(
        ctx,
        desc,
        &net,
        &shape,
        seed,
        UpdateOptions {
            enabled: false,
            groups: 1,
            subgroups: false,
            uniform_params: config.ppo.uniform_params,
            lockstep: config.ppo.lockstep,
        },
    )?;
    arena.write(slots.params, &ck.params)?;
    arena.write(slots.hyper, &hyper_of(config))?;
    if let Some(p) = params {
        arena.write(slots.env.params, p)?;
    }
    let mut rec = Recorder::new();
    kernels.env.record(&mut rec, EnvMode::Reset);
    kernels.record_rollout(&mut rec, true);
    rec.submit(ctx);
    let traj: Vec<Transition> = arena.read(slots.traj)?;
    let (t_max, n) = (shape.steps as usize, envs as usize);
    Ok((0..config.agents as usize)
        .map(|a| {
            (0..n)
                .map(|e| {
                    (0..t_max)
                        .map(|t| traj[(a * t_max + t) * n + e])
                        .find(|tr| tr.flags & 3 != 0)
                        .map_or(f32::NAN, |tr| tr.ep_return)
                })
                .collect()
        })
        .collect())
}
