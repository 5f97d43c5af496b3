//! The host-facing vectorised env API: create N envs for each of K agents, reset,
//! set and get raw states, step with actions from the host, and read observations,
//! rewards and flags. For tests, debugging and interop; the training loop drives
//! the same kernel without any host round trip.

use crate::descriptor::{EnvDescriptor, EnvLayout};
use crate::error::{EnvError, Result};
use bytemuck::{Pod, Zeroable};
use wgrl_gpu::{
    Arena, ArenaPlan, Category, Context, GpuSlice, Kernel, ParamBuffer, ParamRef, ParamTable,
    Recorder, Slot, SlotId,
};

/// Bit set in [`StepOut::flags`] when the episode terminated.
pub const FLAG_TERMINATED: u32 = 1;
/// Bit set in [`StepOut::flags`] when the episode hit the time limit.
pub const FLAG_TRUNCATED: u32 = 2;

/// Uniform block of `vec_env.wgsl` (`VecEnvParams`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
pub struct VecEnvParams {
    /// Envs per agent.
    pub envs: u32,
    /// Agents.
    pub agents: u32,
    /// Run seed.
    pub seed: u32,
    /// Steps per dispatch.
    pub steps: u32,
    /// Kernel mode (reset, step, random step, observe).
    pub mode: u32,
    _pad: [u32; 3],
}

impl VecEnvParams {
    /// The block for `config` in `mode`, taking `steps` steps per dispatch.
    pub fn new(config: VecEnvConfig, steps: u32, mode: EnvMode) -> Self {
        VecEnvParams {
            envs: config.envs,
            agents: config.agents,
            seed: config.seed,
            steps,
            mode: mode as u32,
            _pad: [0; 3],
        }
    }
}

/// Per-env engine bookkeeping (`EnvMeta` in WGSL).
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable, PartialEq)]
pub struct EnvMeta {
    /// Steps in the current episode.
    pub elapsed: u32,
    /// Steps ever taken: the RNG step key.
    pub counter: u32,
    /// Running return of the current episode.
    pub episode_return: f32,
    _pad: u32,
}

/// What one step produced for one env (`StepOut` in WGSL).
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable, PartialEq)]
pub struct StepOut {
    /// Reward of the step.
    pub reward: f32,
    /// [`FLAG_TERMINATED`] | [`FLAG_TRUNCATED`].
    pub flags: u32,
    /// Return of the episode that just ended (0 otherwise).
    pub episode_return: f32,
    /// Length of the episode that just ended (0 otherwise).
    pub episode_length: u32,
}

/// How many envs and which seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VecEnvConfig {
    /// Independent agents (the leading dimension).
    pub agents: u32,
    /// Envs per agent.
    pub envs: u32,
    /// Seed of the counter-based RNG.
    pub seed: u32,
}

/// The arena slots an env batch uses. Add them to any plan with [`EnvSlots::plan`],
/// so a trainer keeps envs and networks in one arena.
#[derive(Debug, Clone, Copy)]
pub struct EnvSlots {
    /// `EnvState` per env (layout from the module).
    pub states: SlotId,
    /// [`EnvMeta`] per env.
    pub meta: Slot<EnvMeta>,
    /// `EnvParams` per env.
    pub params: Slot<f32>,
    /// Actions, `action_dim` words per env: a `u32` index (discrete) or the bits
    /// of `action_dim` f32s (box).
    pub actions: Slot<u32>,
    /// `obs_dim` floats per env.
    pub obs: Slot<f32>,
    /// Last observation of the episode that just ended, per env.
    pub final_obs: Slot<f32>,
    /// [`StepOut`] per env.
    pub step_out: Slot<StepOut>,
}

impl EnvSlots {
    /// Adds the slots for `count` envs of `desc` to `plan`.
    pub fn plan(
        plan: &mut ArenaPlan,
        desc: &EnvDescriptor,
        layout: &EnvLayout,
        count: u64,
    ) -> Self {
        let obs = desc.obs_out() as u64 * count;
        EnvSlots {
            states: plan.add_raw("env.states", Category::EnvState, layout.state_bytes, count),
            meta: plan.add("env.meta", Category::EnvState, count),
            params: plan.add(
                "env.params",
                Category::EnvState,
                layout.params_bytes / 4 * count,
            ),
            actions: plan.add(
                "env.actions",
                Category::EnvIo,
                count * desc.action_space.dim() as u64,
            ),
            obs: plan.add("env.obs", Category::EnvIo, obs),
            final_obs: plan.add("env.final_obs", Category::EnvIo, obs),
            step_out: plan.add("env.step_out", Category::EnvIo, count),
        }
    }
}

/// Where the envs' own data lives on the GPU, with its layout: what a renderer
/// binds to draw every env straight from the engine's buffers (no CPU copy).
///
/// Envs are agent-major: env `e` of agent `a` is index `a * envs + e`. Every
/// `EnvState` and `EnvParams` field is 4 bytes, in declaration order, so field
/// `k` of env `i` is the 32-bit word `i * state_bytes / 4 + k`.
#[derive(Debug, Clone)]
pub struct EnvBuffers<'a> {
    /// Agents (the leading dimension).
    pub agents: u32,
    /// Envs per agent.
    pub envs: u32,
    /// One `EnvState` per env.
    pub states: GpuSlice<'a>,
    /// Bytes per `EnvState` (naga's layout of the module's struct).
    pub state_bytes: u64,
    /// The `EnvState` field names, in order.
    pub state_fields: &'a [String],
    /// One `EnvParams` per env (f32 fields in the descriptor's order).
    pub params: GpuSlice<'a>,
    /// Bytes per `EnvParams`.
    pub params_bytes: u64,
    /// One [`EnvMeta`] per env (steps into the episode, running return).
    pub meta: GpuSlice<'a>,
}

impl EnvBuffers<'_> {
    /// Envs in all (agents x envs).
    pub fn count(&self) -> u32 {
        self.agents * self.envs
    }
    /// The 32-bit word index of `field` within an `EnvState`, if it exists.
    pub fn state_field(&self, field: &str) -> Option<u32> {
        self.state_fields
            .iter()
            .position(|f| f == field)
            .map(|k| k as u32)
    }
}

impl EnvSlots {
    /// The env buffers of these slots for `agents` x `envs` envs of `desc`.
    pub fn buffers<'a>(
        &self,
        arena: &'a Arena,
        desc: &'a EnvDescriptor,
        layout: &EnvLayout,
        agents: u32,
        envs: u32,
    ) -> EnvBuffers<'a> {
        EnvBuffers {
            agents,
            envs,
            states: arena.slice(self.states),
            state_bytes: layout.state_bytes,
            state_fields: &desc.state_fields,
            params: arena.slice(self.params),
            params_bytes: layout.params_bytes,
            meta: arena.slice(self.meta),
        }
    }

    /// Writes every env's default parameters (`count` envs).
    pub fn write_default_params(
        &self,
        arena: &Arena,
        desc: &EnvDescriptor,
        count: u64,
    ) -> Result<()> {
        let defaults = desc.default_params();
        let all: Vec<f32> = (0..count).flat_map(|_| defaults.iter().copied()).collect();
        Ok(arena.write(self.params, &all)?)
    }
}

/// What a dispatch of the env kernel does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvMode {
    /// Reset every env.
    Reset = 0,
    /// Step once with actions from the `actions` slot.
    Step = 1,
    /// Step `steps` times with random actions drawn on the GPU.
    StepRandom = 2,
    /// Recompute observations from the states.
    Observe = 3,
}

/// The general env kernel bound to env slots in some arena, with one prepared
/// bind group per mode. [`VecEnv`] drives it from the host; a trainer records it
/// next to its own kernels.
#[derive(Debug)]
pub struct EnvKernel {
    kernel: Kernel,
    params: ParamBuffer,
    random_block: ParamRef,
    bind_groups: [wgpu::BindGroup; 4],
    groups: [u32; 3],
    config: VecEnvConfig,
}

impl EnvKernel {
    /// Builds the kernel for `desc` over `slots` of `arena` (`config.agents x config.envs` envs).
    pub fn new(
        ctx: &Context,
        desc: &EnvDescriptor,
        config: VecEnvConfig,
        arena: &Arena,
        slots: &EnvSlots,
    ) -> Result<Self> {
        let count = config.agents as u64 * config.envs as u64;
        let kernel = Kernel::new(ctx, &desc.vec_env_source(), "main", &[])?;
        let groups = kernel.groups_for(ctx, count)?;
        let mut table = ParamTable::new();
        let refs = [
            EnvMode::Reset,
            EnvMode::Step,
            EnvMode::StepRandom,
            EnvMode::Observe,
        ]
        .map(|mode| {
            table.push(&VecEnvParams::new(
                config,
                if mode == EnvMode::Step || mode == EnvMode::StepRandom {
                    1
                } else {
                    0
                },
                mode,
            ))
        });
        let params = table.build(ctx)?;
        let bind = |r: ParamRef| {
            kernel.bind(
                ctx,
                &[
                    params.binding(r),
                    arena.binding(slots.states),
                    arena.binding(slots.meta),
                    arena.binding(slots.params),
                    arena.binding(slots.actions),
                    arena.binding(slots.obs),
                    arena.binding(slots.final_obs),
                    arena.binding(slots.step_out),
                ],
            )
        };
        let bind_groups = [
            bind(refs[0])?,
            bind(refs[1])?,
            bind(refs[2])?,
            bind(refs[3])?,
        ];
        Ok(EnvKernel {
            kernel,
            params,
            random_block: refs[2],
            bind_groups,
            groups,
            config,
        })
    }

    /// Appends one dispatch in `mode` to `rec`.
    pub fn record(&self, rec: &mut Recorder, mode: EnvMode) {
        rec.dispatch(&self.kernel, &self.bind_groups[mode as usize], self.groups);
    }

    /// Sets how many steps one [`EnvMode::StepRandom`] dispatch takes (queued write).
    pub fn set_random_steps(&self, ctx: &Context, steps: u32) {
        self.params.write(
            ctx,
            self.random_block,
            &VecEnvParams::new(self.config, steps, EnvMode::StepRandom),
        );
    }

    /// Records and submits one dispatch in `mode`.
    pub fn submit(&self, ctx: &Context, mode: EnvMode) {
        let mut rec = Recorder::new();
        self.record(&mut rec, mode);
        rec.submit(ctx);
    }
}

/// Observations, rewards and flags of one step of every env, agent-major.
#[derive(Debug, Clone, PartialEq)]
pub struct StepBatch {
    /// `obs_dim` floats per env: the next observation (the first of a new episode
    /// where one ended).
    pub obs: Vec<f32>,
    /// Reward per env.
    pub rewards: Vec<f32>,
    /// Whether the episode terminated.
    pub terminated: Vec<bool>,
    /// Whether the episode hit the time limit.
    pub truncated: Vec<bool>,
    /// Last observation of episodes that ended (other envs' entries are stale).
    pub final_obs: Vec<f32>,
    /// Per env: the step's full record.
    pub out: Vec<StepOut>,
}

/// N envs for each of K agents on the GPU, driven from the host.
///
/// ```no_run
/// use wgrl_envs::{builtin, VecEnv, VecEnvConfig};
/// use wgrl_gpu::{Context, ContextOptions};
/// let ctx = Context::new(&ContextOptions::default())?;
/// let mut envs = VecEnv::new(&ctx, &builtin("CartPole-v1")?, VecEnvConfig { agents: 1, envs: 8, seed: 0 })?;
/// let obs = envs.reset()?;
/// let step = envs.step(&[1; 8])?;
/// assert_eq!(obs.len(), 8 * 4);
/// assert_eq!(step.rewards, vec![1.0; 8]);
/// # Ok::<(), wgrl_envs::EnvError>(())
/// ```
#[derive(Debug)]
pub struct VecEnv {
    ctx: Context,
    desc: EnvDescriptor,
    layout: EnvLayout,
    config: VecEnvConfig,
    arena: Arena,
    slots: EnvSlots,
    kernel: EnvKernel,
    random_steps: u32,
}

use wgrl_gpu::wgpu;

impl VecEnv {
    /// Checks the env module, plans and allocates the envs, builds the kernel and
    /// resets every env.
    pub fn new(ctx: &Context, desc: &EnvDescriptor, config: VecEnvConfig) -> Result<Self> {
        if config.agents == 0 || config.envs == 0 {
            return Err(EnvError::Invalid(format!(
                "need at least one agent and one env per agent (got agents = {}, envs = {})",
                config.agents, config.envs
            )));
        }
        let count = config.agents as u64 * config.envs as u64;
        if count > u32::MAX as u64 / desc.obs_out().max(1) as u64 {
            return Err(EnvError::Invalid(format!(
                "{} agents x {} envs = {count} envs is more than one kernel can index; use fewer",
                config.agents, config.envs
            )));
        }
        let layout = desc.check()?;
        let mut plan = ArenaPlan::new();
        let slots = EnvSlots::plan(&mut plan, desc, &layout, count);
        let arena = Arena::new(ctx, &plan)?;
        slots.write_default_params(&arena, desc, count)?;
        let kernel = EnvKernel::new(ctx, desc, config, &arena, &slots)?;
        kernel.submit(ctx, EnvMode::Reset);
        Ok(VecEnv {
            ctx: ctx.clone(),
            desc: desc.clone(),
            layout,
            config,
            arena,
            slots,
            kernel,
            random_steps: 1,
        })
    }

    /// Total envs (agents x envs per agent).
    pub fn len(&self) -> usize {
        (self.config.agents * self.config.envs) as usize
    }
    /// Always false: a `VecEnv` has at least one env.
    pub fn is_empty(&self) -> bool {
        false
    }
    /// The descriptor.
    pub fn descriptor(&self) -> &EnvDescriptor {
        &self.desc
    }
    /// The config.
    pub fn config(&self) -> VecEnvConfig {
        self.config
    }
    /// The arena holding the envs (for hosts that bind env buffers directly).
    pub fn arena(&self) -> &Arena {
        &self.arena
    }
    /// The envs' states, parameters and bookkeeping on the GPU, with their layout
    /// (for renderers). Observations and actions are in [`VecEnv::slots`]: `obs`
    /// (`obs_dim` floats per env) and `actions` (`action_dim` words per env).
    pub fn buffers(&self) -> EnvBuffers<'_> {
        self.slots.buffers(
            &self.arena,
            &self.desc,
            &self.layout,
            self.config.agents,
            self.config.envs,
        )
    }

    /// The env slots in [`VecEnv::arena`].
    pub fn slots(&self) -> &EnvSlots {
        &self.slots
    }

    /// Resets every env and returns the observations.
    pub fn reset(&mut self) -> Result<Vec<f32>> {
        self.kernel.submit(&self.ctx, EnvMode::Reset);
        self.observations()
    }

    /// Steps every env once with one discrete action per env (agent-major) and
    /// returns the results. Episodes that end are reset automatically. Box envs
    /// take [`VecEnv::step_continuous`].
    pub fn step(&mut self, actions: &[u32]) -> Result<StepBatch> {
        if self.desc.action_space.is_continuous() {
            return Err(EnvError::Invalid(format!(
                "{} has a box action space: step it with step_continuous (action_dim = {} floats per env)",
                self.desc.name,
                self.desc.action_space.dim()
            )));
        }
        if actions.len() != self.len() {
            return Err(EnvError::Invalid(format!(
                "step needs one action per env: {} envs but {} actions",
                self.len(),
                actions.len()
            )));
        }
        let n = self.desc.num_actions();
        if let Some((i, a)) = actions.iter().enumerate().find(|(_, a)| **a >= n) {
            return Err(EnvError::Invalid(format!(
                "action {a} for env {i} is out of range: {} has actions 0..{}",
                self.desc.name,
                n - 1
            )));
        }
        self.step_words(actions)
    }

    /// Steps every env of a box action space once: `action_dim` floats per env
    /// (agent-major). Each action is clipped to the space's bounds before the env
    /// sees it, as Gymnasium's `ClipAction` does; NaN is refused.
    pub fn step_continuous(&mut self, actions: &[f32]) -> Result<StepBatch> {
        let dim = self.desc.action_space.dim() as usize;
        if !self.desc.action_space.is_continuous() {
            return Err(EnvError::Invalid(format!(
                "{} has a discrete action space: step it with step (one u32 per env)",
                self.desc.name
            )));
        }
        if actions.len() != self.len() * dim {
            return Err(EnvError::Invalid(format!(
                "step_continuous needs {dim} floats per env: {} envs x {dim} = {} but got {}",
                self.len(),
                self.len() * dim,
                actions.len()
            )));
        }
        if let Some(i) = actions.iter().position(|a| a.is_nan()) {
            return Err(EnvError::Invalid(format!(
                "action {i} (env {}, dimension {}) is NaN",
                i / dim,
                i % dim
            )));
        }
        let words: Vec<u32> = actions.iter().map(|a| a.to_bits()).collect();
        self.step_words(&words)
    }

    /// Writes checked actions (their words) to the actions slot and steps once.
    fn step_words(&mut self, words: &[u32]) -> Result<StepBatch> {
        self.arena.write(self.slots.actions, words)?;
        self.kernel.submit(&self.ctx, EnvMode::Step);
        self.last_step()
    }

    /// Records `steps` steps of every env with uniform random actions drawn on the
    /// GPU, in one dispatch, into a replayable list (for benches and smoke runs).
    pub fn random_steps_recorder(&mut self, steps: u32) -> Recorder {
        if steps != self.random_steps {
            self.kernel.set_random_steps(&self.ctx, steps);
            self.random_steps = steps;
        }
        let mut rec = Recorder::new();
        self.kernel.record(&mut rec, EnvMode::StepRandom);
        rec
    }

    /// Steps every env `steps` times with random actions; submits without waiting.
    pub fn step_random(&mut self, steps: u32) {
        self.random_steps_recorder(steps).submit(&self.ctx);
    }

    /// Results of the last step (blocking readback).
    pub fn last_step(&self) -> Result<StepBatch> {
        let out = self.arena.read(self.slots.step_out)?;
        Ok(StepBatch {
            obs: self.observations()?,
            rewards: out.iter().map(|o| o.reward).collect(),
            terminated: out.iter().map(|o| o.flags & FLAG_TERMINATED != 0).collect(),
            truncated: out.iter().map(|o| o.flags & FLAG_TRUNCATED != 0).collect(),
            final_obs: self.arena.read(self.slots.final_obs)?,
            out,
        })
    }

    /// Current observations, `obs_dim` floats per env (blocking readback).
    pub fn observations(&self) -> Result<Vec<f32>> {
        Ok(self.arena.read(self.slots.obs)?)
    }

    /// Raw states, `state_dim` 4-byte words per env as f32 (blocking readback).
    pub fn states(&self) -> Result<Vec<f32>> {
        let bytes = self.arena.read_bytes(self.slots.states)?;
        Ok(bytemuck::pod_collect_to_vec(&bytes))
    }

    /// Overwrites every env's raw state and recomputes the observations. The
    /// episode clocks are left as they are.
    pub fn set_states(&mut self, states: &[f32]) -> Result<()> {
        let words = (self.layout.state_bytes / 4) as usize;
        if states.len() != words * self.len() {
            return Err(EnvError::Invalid(format!(
                "set_states needs {} floats ({} envs x {} state fields: {}) but got {}",
                words * self.len(),
                self.len(),
                words,
                self.desc.state_fields.join(", "),
                states.len()
            )));
        }
        self.arena
            .write_bytes(self.slots.states, bytemuck::cast_slice(states))?;
        self.kernel.submit(&self.ctx, EnvMode::Observe);
        Ok(())
    }

    /// Per-env bookkeeping (episode clock, RNG counter, running return).
    pub fn meta(&self) -> Result<Vec<EnvMeta>> {
        Ok(self.arena.read(self.slots.meta)?)
    }

    /// Overwrites every env's parameters (`EnvParams` order, one block per env).
    pub fn set_params(&mut self, params: &[f32]) -> Result<()> {
        let per = self.desc.params.len();
        if params.len() != per * self.len() {
            return Err(EnvError::Invalid(format!(
                "set_params needs {} floats ({} envs x {} params) but got {}",
                per * self.len(),
                self.len(),
                per,
                params.len()
            )));
        }
        Ok(self.arena.write(self.slots.params, params)?)
    }

    /// The context.
    pub fn context(&self) -> &Context {
        &self.ctx
    }
}
