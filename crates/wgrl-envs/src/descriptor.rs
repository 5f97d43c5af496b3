//! Env descriptors: the host-side facts about an env module (observation size,
//! action space, time limit, parameters), and how its step kernel is composed.

use crate::error::{EnvError, Result};
use crate::shaders;
use crate::task::TaskSpec;
use wgrl_gpu::ShaderSource;
use wgrl_gpu::wgpu::naga;

/// An env's action space. In a custom env's manifest it reads
/// `{ type = "discrete", n = N }` or `{ type = "box", low = [..], high = [..] }`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum ActionSpace {
    /// `n` actions, `0..n`.
    Discrete {
        /// Number of actions.
        n: u32,
    },
    /// A box of `low.len()` floats. Actions outside `[low, high]` are clipped to
    /// it before the env sees them (Gymnasium's `ClipAction`), so the bounds must
    /// be finite.
    Box {
        /// Lower bound per dimension.
        low: Vec<f32>,
        /// Upper bound per dimension.
        high: Vec<f32>,
    },
}

impl ActionSpace {
    /// Whether actions are continuous (a box).
    pub fn is_continuous(&self) -> bool {
        matches!(self, ActionSpace::Box { .. })
    }

    /// Floats (box) or 1 (discrete) per action.
    pub fn dim(&self) -> u32 {
        match self {
            ActionSpace::Discrete { .. } => 1,
            ActionSpace::Box { low, .. } => low.len() as u32,
        }
    }

    /// Outputs of a policy head for this space: one logit per discrete action, or
    /// one mean per box dimension.
    pub fn policy_outputs(&self) -> u32 {
        match self {
            ActionSpace::Discrete { n } => *n,
            ActionSpace::Box { low, .. } => low.len() as u32,
        }
    }

    /// `action` as the env sees it: a box action clipped to the bounds
    /// (Gymnasium's `ClipAction`, as the kernels do); a discrete one unchanged.
    pub fn clip(&self, action: &[f32]) -> Vec<f32> {
        match self {
            ActionSpace::Discrete { .. } => action.to_vec(),
            ActionSpace::Box { low, high } => action
                .iter()
                .zip(low.iter().zip(high))
                .map(|(a, (&lo, &hi))| a.clamp(lo, hi))
                .collect(),
        }
    }

    /// Problems with the space, as a sentence, if any.
    pub fn problem(&self) -> Option<String> {
        match self {
            ActionSpace::Discrete { n: 0 } => {
                Some("the discrete action space has 0 actions".to_string())
            }
            ActionSpace::Discrete { .. } => None,
            ActionSpace::Box { low, high } => {
                if low.is_empty() || low.len() != high.len() {
                    return Some(format!(
                        "a box action space needs as many low bounds as high bounds, at least one (low has {}, high has {})",
                        low.len(),
                        high.len()
                    ));
                }
                low.iter().zip(high).enumerate().find_map(|(k, (&lo, &hi))| {
                    (!lo.is_finite() || !hi.is_finite() || lo > hi).then(|| {
                        format!(
                            "box action dimension {k} has bounds [{lo}, {hi}]; bounds must be finite with low <= high (actions are clipped to them)"
                        )
                    })
                })
            }
        }
    }
}

/// Longest time limit an env may have: the rollout packs an episode's length
/// into 29 bits of a transition's flags.
pub const MAX_EPISODE_STEPS_LIMIT: u32 = (1 << 29) - 1;

/// One env parameter (a field of `EnvParams`, in order).
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSpec {
    /// Field name in `EnvParams`.
    pub name: String,
    /// Value used unless the config overrides or samples it.
    pub default: f32,
    /// Values a config may set or sample, inclusive (None: any finite value).
    pub range: Option<(f32, f32)>,
}

/// Everything the engine needs to know about an env besides its WGSL.
#[derive(Debug, Clone)]
pub struct EnvDescriptor {
    /// Name, e.g. `CartPole-v1`.
    pub name: String,
    /// Floats per observation.
    pub obs_dim: u32,
    /// Action space.
    pub action_space: ActionSpace,
    /// Time limit: episodes are truncated after this many steps.
    pub max_episode_steps: u32,
    /// Names of the `EnvState` fields, in order (all 4-byte scalars).
    pub state_fields: Vec<String>,
    /// The `EnvParams` fields, in order.
    pub params: Vec<ParamSpec>,
    /// Return at which the env counts as solved (Gymnasium's `reward_threshold`).
    pub solved_threshold: Option<f32>,
    /// Path or name of the WGSL module (shown in errors).
    pub module_name: String,
    /// The WGSL module text.
    pub module_source: String,
    /// The run's task distribution (fixed or sampled parameters, parameters
    /// appended to the observation); empty for the env as it is. See
    /// [`EnvDescriptor::with_task`].
    pub task: TaskSpec,
}

/// The env's layout as naga computed it from the module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvLayout {
    /// Bytes of one `EnvState`.
    pub state_bytes: u64,
    /// Bytes of one `EnvParams`.
    pub params_bytes: u64,
}

impl EnvDescriptor {
    /// Words of state per env.
    pub fn state_dim(&self) -> u32 {
        self.state_fields.len() as u32
    }

    /// Number of discrete actions, or the dimension of a box action.
    pub fn num_actions(&self) -> u32 {
        self.action_space.policy_outputs()
    }

    /// Floats per observation as the engine stores and the policy sees it:
    /// `obs_dim` plus the parameters the task appends.
    pub fn obs_out(&self) -> u32 {
        self.obs_dim + self.task.observed.len() as u32
    }

    /// Initial parameter values, in `EnvParams` order: the defaults, with the
    /// task's fixed values in their place (sampled ones are drawn at each reset).
    pub fn default_params(&self) -> Vec<f32> {
        let mut v: Vec<f32> = self.params.iter().map(|p| p.default).collect();
        for &(i, x) in &self.task.fixed {
            v[i] = x;
        }
        v
    }

    /// The constants the engine generates for this env.
    pub fn prelude(&self) -> String {
        let action = match &self.action_space {
            ActionSpace::Discrete { n } => {
                format!("const NUM_ACTIONS: u32 = {n}u;\nconst ACTION_DIM: u32 = 1u;\n")
            }
            ActionSpace::Box { low, high } => {
                let d = low.len();
                let list = |v: &[f32]| {
                    v.iter()
                        .map(|x| format!("{x:?}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                format!(
                    "const ACTION_DIM: u32 = {d}u;\n\
                     const ACTION_LOW: array<f32, {d}> = array<f32, {d}>({});\n\
                     const ACTION_HIGH: array<f32, {d}> = array<f32, {d}>({});\n",
                    list(low),
                    list(high)
                )
            }
        };
        format!(
            "// generated by wgrl from the {} descriptor\n\
             const OBS_DIM: u32 = {}u;\n\
             {action}\
             const MAX_EPISODE_STEPS: u32 = {}u;\n",
            self.name, self.obs_dim, self.max_episode_steps
        )
    }

    /// The env module with what it may use (RNG, generated constants, the env API,
    /// the action space) and nothing the engine adds after it.
    pub fn module_with_api(&self, kernel_name: &str) -> ShaderSource {
        let action = match self.action_space {
            ActionSpace::Discrete { .. } => shaders::ACTION_DISCRETE,
            ActionSpace::Box { .. } => shaders::ACTION_BOX,
        };
        ShaderSource::new(kernel_name)
            .with(wgrl_gpu::shader::common::RNG)
            .part(
                format!("<generated prelude for {}>", self.name),
                self.prelude(),
            )
            .with(shaders::ENV_API)
            .with(action)
            .part(self.module_name.clone(), self.module_source.clone())
    }

    /// The WGSL pieces every kernel that runs this env needs, before the kernel body:
    /// RNG, generated constants, the env API, the action space, the env module and
    /// the task distribution's `task_sample` and `observe`.
    pub fn env_source(&self, kernel_name: &str) -> ShaderSource {
        self.module_with_api(kernel_name).part(
            format!("<generated task distribution for {}>", self.name),
            self.task.wgsl(self),
        )
    }

    /// The general vectorised step kernel for this env.
    pub fn vec_env_source(&self) -> ShaderSource {
        self.env_source(&format!("vec_env/{}", self.name))
            .with(shaders::VEC_ENV)
    }

    /// Validates the composed step kernel with naga and checks that the module's
    /// `EnvState` and `EnvParams` match the descriptor.
    pub fn check(&self) -> Result<EnvLayout> {
        if self.obs_dim == 0 {
            return Err(self.module_error("obs_dim is 0; an env must observe at least one float"));
        }
        if let Some(problem) = self.action_space.problem() {
            return Err(self.module_error(&problem));
        }
        if self.max_episode_steps == 0 || self.max_episode_steps > MAX_EPISODE_STEPS_LIMIT {
            return Err(self.module_error(&format!(
                "max_episode_steps is {}; use a value in 1..={MAX_EPISODE_STEPS_LIMIT}",
                self.max_episode_steps
            )));
        }
        let v = self.vec_env_source().validate()?;
        let state = self.struct_fields(&v.module, "EnvState")?;
        let params = self.struct_fields(&v.module, "EnvParams")?;
        if state.0.len() != self.state_fields.len() {
            return Err(self.module_error(&format!(
                "EnvState has {} fields ({}) but the descriptor lists {} ({})",
                state.0.len(),
                state.0.join(", "),
                self.state_fields.len(),
                self.state_fields.join(", ")
            )));
        }
        let names: Vec<String> = self.params.iter().map(|p| p.name.clone()).collect();
        if params.0 != names {
            return Err(self.module_error(&format!(
                "EnvParams fields are ({}) but the descriptor lists ({})",
                params.0.join(", "),
                names.join(", ")
            )));
        }
        Ok(EnvLayout {
            state_bytes: state.1,
            params_bytes: params.1,
        })
    }

    /// Field names and byte size of a struct, requiring 4-byte scalar fields.
    fn struct_fields(&self, module: &naga::Module, name: &str) -> Result<(Vec<String>, u64)> {
        let (_, ty) = module
            .types
            .iter()
            .find(|(_, t)| t.name.as_deref() == Some(name))
            .ok_or_else(|| self.module_error(&format!("the module defines no `struct {name}`")))?;
        let naga::TypeInner::Struct { members, span } = &ty.inner else {
            return Err(self.module_error(&format!("`{name}` must be a struct")));
        };
        let mut fields = Vec::new();
        for m in members {
            let ok = matches!(
                module.types[m.ty].inner,
                naga::TypeInner::Scalar(naga::Scalar { width: 4, .. })
            );
            let field = m.name.clone().unwrap_or_default();
            if !ok {
                return Err(self.module_error(&format!(
                    "{name}.{field} must be a 4-byte scalar (f32, u32 or i32)"
                )));
            }
            fields.push(field);
        }
        Ok((fields, *span as u64))
    }

    fn module_error(&self, message: &str) -> EnvError {
        EnvError::Module {
            env: self.name.clone(),
            message: message.to_string(),
        }
    }
}
