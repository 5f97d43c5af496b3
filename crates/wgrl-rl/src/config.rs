//! Training configuration: the [`TrainConfig`] type, its validation, the built-in
//! presets, and [`resolve`], which layers defaults, a preset, a config file,
//! `--set key=value` overrides and explicit command-line flags into one config.
//!
//! Precedence, lowest first: built-in defaults < preset < config file < each
//! `--set` in order < explicit flags (`--env`, `--agents`, `--seed`,
//! `--total-steps`). Unknown keys are rejected with the nearest valid key.

use crate::error::ConfigError;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Algorithms `algo` may name.
pub const ALGOS: &[&str] = &["ppo"];
/// Network architectures `model.arch` may name.
pub const ARCHS: &[&str] = &["mlp", "residual"];
/// Hidden-layer activations `model.activation` may name.
pub const ACTIVATIONS: &[&str] = wgrl_nn::activation::ActKind::NAMES;
/// Normalisation layers `model.norm` may name.
pub const NORMS: &[&str] = &["none", "layernorm", "rmsnorm", "ms-layernorm", "ms-rmsnorm"];

/// Built-in presets: (name, TOML text). Each is a partial config layered over the
/// defaults.
pub const PRESETS: &[(&str, &str)] = &[
    ("cartpole", include_str!("../../../presets/cartpole.toml")),
    (
        "cartpole-purejaxrl",
        include_str!("../../../presets/cartpole-purejaxrl.toml"),
    ),
    ("acrobot", include_str!("../../../presets/acrobot.toml")),
    (
        "mountaincar",
        include_str!("../../../presets/mountaincar.toml"),
    ),
    ("pendulum", include_str!("../../../presets/pendulum.toml")),
    (
        "mountaincar-continuous",
        include_str!("../../../presets/mountaincar-continuous.toml"),
    ),
];

/// The preset used for an env when no `--preset` is given: (env id, preset name).
pub const ENV_DEFAULT_PRESETS: &[(&str, &str)] = &[
    ("CartPole-v1", "cartpole"),
    ("Acrobot-v1", "acrobot"),
    ("MountainCar-v0", "mountaincar"),
    ("Pendulum-v1", "pendulum"),
    ("MountainCarContinuous-v0", "mountaincar-continuous"),
];

/// The env trained when neither a flag, a file nor a `--set` names one.
pub const DEFAULT_ENV: &str = "CartPole-v1";

/// Names from other RL libraries (CleanRL, PureJaxRL, Stable-Baselines3) and their
/// wgrl keys, used to suggest the right key for an unknown one.
const KEY_ALIASES: &[(&str, &str)] = &[
    ("learning_rate", "ppo.lr"),
    ("num_envs", "ppo.envs"),
    ("n_envs", "ppo.envs"),
    ("num_steps", "ppo.steps"),
    ("n_steps", "ppo.steps"),
    ("update_epochs", "ppo.epochs"),
    ("n_epochs", "ppo.epochs"),
    ("num_minibatches", "ppo.minibatches"),
    ("clip_coef", "ppo.clip"),
    ("clip_eps", "ppo.clip"),
    ("clip_range", "ppo.clip"),
    ("total_timesteps", "total_steps"),
    ("hidden_size", "model.width"),
    ("hidden_dim", "model.width"),
    ("hidden", "model.width"),
    ("units", "model.width"),
    ("layers", "model.depth"),
    ("num_layers", "model.depth"),
    ("n_layers", "model.depth"),
    ("env_name", "env"),
    ("env_id", "env"),
];

/// A hyper-parameter that is one value for all agents or one value per agent (sweeps).
///
/// In TOML it is a number (`lr = 2.5e-4`) or a list of numbers, one per agent
/// (`lr = [1e-3, 2.5e-4]`).
#[derive(Clone, Debug, PartialEq)]
pub enum PerAgent {
    /// The same value for every agent.
    One(f32),
    /// One value per agent, in agent order; its length must equal `agents`.
    Each(Vec<f32>),
}

impl Serialize for PerAgent {
    /// Serialises each f32 as the f64 with the same shortest decimal form, so that
    /// `2.5e-4` is written as `0.00025` rather than `0.0002500000118743628`.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            PerAgent::One(v) => s.serialize_f64(pretty_f64(*v)),
            PerAgent::Each(vs) => s.collect_seq(vs.iter().map(|v| pretty_f64(*v))),
        }
    }
}

impl<'de> Deserialize<'de> for PerAgent {
    /// Accepts a number (integer or float) or a list of numbers, with an error that
    /// says so (rather than serde's "did not match any variant of untagged enum").
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PerAgent;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number, or a list of numbers with one per agent")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<PerAgent, E> {
                Ok(PerAgent::One(v as f32))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<PerAgent, E> {
                Ok(PerAgent::One(v as f32))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<PerAgent, E> {
                Ok(PerAgent::One(v as f32))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PerAgent, A::Error> {
                let mut vs = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(v) = seq.next_element::<f64>()? {
                    vs.push(v as f32);
                }
                Ok(PerAgent::Each(vs))
            }
        }
        d.deserialize_any(V)
    }
}

fn pretty_f64(v: f32) -> f64 {
    format!("{v}").parse::<f64>().unwrap_or(v as f64)
}

impl PerAgent {
    /// The value for `agent`.
    ///
    /// # Panics
    /// If this is a list shorter than `agent + 1` ([`TrainConfig::validate`] rules
    /// that out for `agent < agents`).
    pub fn get(&self, agent: usize) -> f32 {
        match self {
            PerAgent::One(v) => *v,
            PerAgent::Each(vs) => vs[agent],
        }
    }

    /// The values for agents `0..agents`.
    pub fn values(&self, agents: u32) -> Vec<f32> {
        (0..agents as usize).map(|a| self.get(a)).collect()
    }
}

/// Everything that defines a training run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// Env id, for example `CartPole-v1`; for a custom env, its manifest's name.
    pub env: String,
    /// A custom env's manifest (TOML naming a WGSL module); when set, the env is
    /// loaded from it instead of the built-ins (`--env-file`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env_file: Option<String>,
    /// Algorithm; `ppo` is the only valid value.
    pub algo: String,
    /// Independent agents trained side by side, each with its own envs and network.
    pub agents: u32,
    /// Seed of every random stream (env resets, actions, init, minibatch shuffles).
    pub seed: u32,
    /// Env steps to train for, per agent.
    pub total_steps: u64,
    /// PPO hyper-parameters.
    pub ppo: PpoConfig,
    /// Network shape.
    pub model: ModelConfig,
    /// Logging and checkpointing.
    pub log: LogConfig,
    /// Task distribution: env parameters fixed or sampled per env at every reset,
    /// and parameters appended to the observation.
    #[serde(default, skip_serializing_if = "TaskConfig::is_empty")]
    pub task: TaskConfig,
}

/// `[task]`: env parameters fixed or sampled per env at every reset (domain
/// randomisation), and parameters the policy observes.
///
/// ```toml
/// [task]
/// observe = ["length"]          # appended to the observation, in this order
/// [task.params]
/// length = [0.25, 1.0]          # uniform per env, drawn at every reset
/// masspole = 0.2                # the same for every env
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskConfig {
    /// Parameter name -> a value or `[lo, hi]`.
    #[serde(default)]
    pub params: std::collections::BTreeMap<String, wgrl_envs::TaskValue>,
    /// Parameters appended to the observation.
    #[serde(default)]
    pub observe: Vec<String>,
}

impl TaskConfig {
    /// Whether the task changes nothing.
    pub fn is_empty(&self) -> bool {
        self.params.is_empty() && self.observe.is_empty()
    }
}

/// PPO hyper-parameters (CleanRL / PureJaxRL semantics).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PpoConfig {
    /// Envs per agent.
    pub envs: u32,
    /// Rollout length per env per iteration.
    pub steps: u32,
    /// Passes over each rollout.
    pub epochs: u32,
    /// Minibatches per epoch; must divide `envs * steps`.
    pub minibatches: u32,
    /// Adam learning rate.
    pub lr: PerAgent,
    /// Anneal the learning rate linearly to 0 over the run.
    pub anneal_lr: bool,
    /// Discount factor.
    pub gamma: PerAgent,
    /// GAE lambda.
    pub gae_lambda: PerAgent,
    /// PPO ratio clip epsilon.
    pub clip: PerAgent,
    /// Clip the value loss around the old values with the same epsilon.
    pub clip_vloss: bool,
    /// Entropy bonus coefficient.
    pub ent_coef: PerAgent,
    /// Value loss coefficient.
    pub vf_coef: PerAgent,
    /// Global gradient-norm clip.
    pub max_grad_norm: PerAgent,
    /// Normalise advantages per minibatch.
    pub norm_adv: bool,
    /// Normalise observations by a running mean and variance merged on the GPU
    /// each iteration (Gymnasium's NormalizeObservation, clipped at +-10 as in
    /// CleanRL), saved in checkpoints and frozen in evaluation.
    #[serde(default)]
    pub norm_obs: bool,
    /// Scale rewards by the running std of the discounted return (Gymnasium's
    /// NormalizeReward, clipped at +-10 as in CleanRL). Episode returns in the
    /// metrics stay unscaled.
    #[serde(default)]
    pub norm_reward: bool,
    /// Workgroups per agent in the update: 1 runs the actor and the critic in one
    /// workgroup; 2 gives each its own (one dispatch per minibatch, their gradient
    /// norms combined at the next), which uses two cores or compute units for an
    /// agent; 0 picks 2 when twice the agents fit the adapter's parallelism
    /// (CPU cores on a CPU adapter), else 1. Results are bitwise the same either way.
    #[serde(default)]
    pub update_groups: u32,
    /// Whether the dense layers of the update and values kernels may use subgroup
    /// broadcasts where the adapter allows it (a CPU adapter with 8-lane subgroups,
    /// such as lavapipe; see `wgrl_nn::kernels::DenseKernels`). `false` keeps the
    /// portable kernels. Results are bitwise the same either way.
    #[serde(default = "default_true")]
    pub subgroups: bool,
    /// Whether the rollout and values kernels may read the network parameters
    /// through a uniform binding where that is faster: a CPU adapter (lavapipe),
    /// when every agent's parameters fit the device's largest uniform binding
    /// (64 KiB by default; see `wgrl_rl::ppo::rollout_params_uniform`). `false`
    /// keeps a storage binding. Results are bitwise the same either way.
    #[serde(default = "default_true")]
    pub uniform_params: bool,
    /// Whether kernels whose workgroups run in lockstep leave out their barriers:
    /// on lavapipe, a workgroup of at most 8 invocations is one llvmpipe SIMD
    /// group, whose invocations see each other's memory operations in program
    /// order, and barriers only cost there (see
    /// `wgrl_gpu::Context::lockstep_lanes`). `false` keeps the barriers. Results
    /// are bitwise the same either way.
    #[serde(default = "default_true")]
    pub lockstep: bool,
}

fn default_true() -> bool {
    true
}

/// Network shape (shared by the policy and value networks).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// Architecture; one of [`ARCHS`].
    pub arch: String,
    /// Hidden units per layer.
    pub width: u32,
    /// Hidden layers (`mlp`).
    pub depth: u32,
    /// Residual blocks (`residual`).
    #[serde(default = "default_blocks")]
    pub blocks: u32,
    /// Hidden expansion of each residual block: its inner Linear has
    /// `expansion x width` units (`residual`).
    #[serde(default = "default_expansion")]
    pub expansion: u32,
    /// Hidden activation; one of [`ACTIVATIONS`].
    pub activation: String,
    /// Normalisation layer; one of [`NORMS`]. In an MLP a norm precedes every
    /// Linear after the first; in a residual net it opens every block and
    /// precedes the heads.
    pub norm: String,
}

fn default_blocks() -> u32 {
    2
}

fn default_expansion() -> u32 {
    4
}

/// Logging and checkpointing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// Iterations between log points (metrics rows, progress updates).
    pub interval: u32,
    /// Write checkpoints.
    pub checkpoint: bool,
}

impl Default for TrainConfig {
    /// PureJaxRL's CartPole config (the `cartpole-purejaxrl` preset), one agent,
    /// seed 0, a log point every 10 iterations, checkpoints on.
    fn default() -> Self {
        TrainConfig {
            env: DEFAULT_ENV.to_string(),
            env_file: None,
            algo: "ppo".to_string(),
            agents: 1,
            seed: 0,
            total_steps: 500_000,
            ppo: PpoConfig::default(),
            model: ModelConfig::default(),
            log: LogConfig::default(),
            task: TaskConfig::default(),
        }
    }
}

impl Default for PpoConfig {
    /// PureJaxRL's CartPole PPO hyper-parameters.
    fn default() -> Self {
        PpoConfig {
            envs: 4,
            steps: 128,
            epochs: 4,
            minibatches: 4,
            lr: PerAgent::One(2.5e-4),
            anneal_lr: true,
            gamma: PerAgent::One(0.99),
            gae_lambda: PerAgent::One(0.95),
            clip: PerAgent::One(0.2),
            clip_vloss: true,
            ent_coef: PerAgent::One(0.01),
            vf_coef: PerAgent::One(0.5),
            max_grad_norm: PerAgent::One(0.5),
            norm_adv: true,
            norm_obs: false,
            norm_reward: false,
            update_groups: 0,
            subgroups: true,
            uniform_params: true,
            lockstep: true,
        }
    }
}

impl Default for ModelConfig {
    /// A 64x2 tanh MLP without normalisation.
    fn default() -> Self {
        ModelConfig {
            arch: "mlp".to_string(),
            width: 64,
            depth: 2,
            blocks: default_blocks(),
            expansion: default_expansion(),
            activation: "tanh".to_string(),
            norm: "none".to_string(),
        }
    }
}

impl Default for LogConfig {
    /// A log point every 10 iterations, checkpoints on.
    fn default() -> Self {
        LogConfig {
            interval: 10,
            checkpoint: true,
        }
    }
}

impl TrainConfig {
    /// Env steps per agent per iteration (`ppo.envs * ppo.steps`).
    pub fn batch_per_agent(&self) -> u64 {
        self.ppo.envs as u64 * self.ppo.steps as u64
    }

    /// Samples per minibatch (`batch_per_agent / ppo.minibatches`); 0 if
    /// `ppo.minibatches` is 0.
    pub fn minibatch_size(&self) -> u64 {
        self.batch_per_agent()
            .checked_div(self.ppo.minibatches as u64)
            .unwrap_or(0)
    }

    /// Training iterations: `total_steps / batch_per_agent`, rounded down (0 if the
    /// batch is empty; [`TrainConfig::validate`] ensures at least 1).
    pub fn iterations(&self) -> u64 {
        self.total_steps
            .checked_div(self.batch_per_agent())
            .unwrap_or(0)
    }

    /// The config as TOML, as written to a run folder's `config.toml`; feeding the
    /// file back with `--config` gives the same config.
    pub fn to_toml_string(&self) -> String {
        let body = toml::to_string(self).expect("a TrainConfig always serialises to TOML");
        format!(
            "# Resolved wgrl training config. Train again with it: wgrl train --config <this file>\n\n{body}"
        )
    }

    /// Checks every value and their combinations; the error names the key, the
    /// value, the limit and the fix.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(m));
        if !ALGOS.contains(&self.algo.as_str()) {
            return bad(format!(
                "algo = '{}' is not supported; valid algorithms: {}",
                self.algo,
                ALGOS.join(", ")
            ));
        }
        if self.agents == 0 {
            return bad(
                "agents = 0: at least one agent is needed; set agents to 1 or more (--agents)"
                    .to_string(),
            );
        }
        let p = &self.ppo;
        for (name, v, what) in [
            ("ppo.envs", p.envs, "each agent needs at least one env"),
            (
                "ppo.steps",
                p.steps,
                "each rollout needs at least one step per env",
            ),
            (
                "ppo.epochs",
                p.epochs,
                "each iteration needs at least one pass over its rollout",
            ),
            (
                "ppo.minibatches",
                p.minibatches,
                "each epoch needs at least one minibatch",
            ),
        ] {
            if v == 0 {
                return bad(format!("{name} = 0: {what}; set {name} to 1 or more"));
            }
        }
        let batch = self.batch_per_agent();
        let mb = p.minibatches as u64;
        if !batch.is_multiple_of(mb) {
            return bad(format!(
                "ppo.minibatches = {mb} does not divide the batch of {} envs x {} steps = {batch}; \
                 use a divisor of {batch} such as {}",
                p.envs,
                p.steps,
                divisor_suggestions(batch, mb)
            ));
        }
        if self.total_steps < batch {
            return bad(format!(
                "total_steps = {} is less than one batch ({} envs x {} steps = {batch} env steps per agent \
                 per iteration); set total_steps to at least {batch} (--total-steps)",
                self.total_steps, p.envs, p.steps
            ));
        }
        let per_agent: [(&str, &PerAgent); 7] = [
            ("ppo.lr", &p.lr),
            ("ppo.gamma", &p.gamma),
            ("ppo.gae_lambda", &p.gae_lambda),
            ("ppo.clip", &p.clip),
            ("ppo.ent_coef", &p.ent_coef),
            ("ppo.vf_coef", &p.vf_coef),
            ("ppo.max_grad_norm", &p.max_grad_norm),
        ];
        for (name, v) in per_agent {
            if let PerAgent::Each(vs) = v
                && vs.len() != self.agents as usize
            {
                return bad(format!(
                    "{name} lists {} value{} but agents = {}; give one value or {}",
                    vs.len(),
                    if vs.len() == 1 { "" } else { "s" },
                    self.agents,
                    self.agents
                ));
            }
        }
        let positive = |x: f32| x.is_finite() && x > 0.0;
        let non_negative = |x: f32| x.is_finite() && x >= 0.0;
        let unit = |x: f32| (0.0..=1.0).contains(&x);
        check_values(
            "ppo.lr",
            &p.lr,
            positive,
            "must be a finite number > 0",
            "a typical value is 2.5e-4",
        )?;
        check_values(
            "ppo.gamma",
            &p.gamma,
            unit,
            "is outside [0, 1]",
            "a typical value is 0.99",
        )?;
        check_values(
            "ppo.gae_lambda",
            &p.gae_lambda,
            unit,
            "is outside [0, 1]",
            "a typical value is 0.95",
        )?;
        check_values(
            "ppo.clip",
            &p.clip,
            positive,
            "must be a finite number > 0",
            "a typical value is 0.2",
        )?;
        check_values(
            "ppo.ent_coef",
            &p.ent_coef,
            non_negative,
            "must be a finite number >= 0",
            "a typical value is 0.01 (0 turns the entropy bonus off)",
        )?;
        check_values(
            "ppo.vf_coef",
            &p.vf_coef,
            non_negative,
            "must be a finite number >= 0",
            "a typical value is 0.5",
        )?;
        check_values(
            "ppo.max_grad_norm",
            &p.max_grad_norm,
            positive,
            "must be a finite number > 0",
            "a typical value is 0.5",
        )?;
        let m = &self.model;
        for (name, v, valid) in [
            ("model.arch", &m.arch, ARCHS),
            ("model.activation", &m.activation, ACTIVATIONS),
            ("model.norm", &m.norm, NORMS),
        ] {
            if !valid.contains(&v.as_str()) {
                return bad(format!(
                    "{name} = '{v}' is not supported; valid values: {}",
                    valid.join(", ")
                ));
            }
        }
        if m.width == 0 {
            return bad(
                "model.width = 0: hidden layers need at least one unit; set model.width to 1 or more (64 is typical)"
                    .to_string(),
            );
        }
        if m.depth == 0 {
            return bad(
                "model.depth = 0: the network needs at least one hidden layer; set model.depth to 1 or more (2 is typical)"
                    .to_string(),
            );
        }
        if m.arch == "residual" && m.blocks == 0 {
            return bad(
                "model.blocks = 0: a residual net needs at least one block; set model.blocks to 1 or more (2 is typical)"
                    .to_string(),
            );
        }
        if m.arch == "residual" && m.expansion == 0 {
            return bad(
                "model.expansion = 0: a residual block's inner layer has expansion x width units; set model.expansion to 1 or more (4 is typical)"
                    .to_string(),
            );
        }
        if p.update_groups > 2 {
            return bad(format!(
                "ppo.update_groups = {}: the update runs in 1 or 2 workgroups per agent; set it to 0 (auto), 1 or 2",
                p.update_groups
            ));
        }
        if self.log.interval == 0 {
            return bad(
                "log.interval = 0: set log.interval to 1 or more iterations between log points"
                    .to_string(),
            );
        }
        Ok(())
    }
}

/// Up to two divisors of `batch` to suggest instead of `mb`: the smallest ones above
/// `mb`, else the largest ones below it.
fn divisor_suggestions(batch: u64, mb: u64) -> String {
    let mut divisors: Vec<u64> = Vec::new();
    let mut d = 1;
    while d * d <= batch {
        if batch.is_multiple_of(d) {
            divisors.push(d);
            if d != batch / d {
                divisors.push(batch / d);
            }
        }
        d += 1;
    }
    divisors.sort_unstable();
    let mut picks: Vec<u64> = divisors
        .iter()
        .copied()
        .filter(|&d| d > mb)
        .take(2)
        .collect();
    if picks.len() < 2 {
        let below: Vec<u64> = divisors.iter().copied().filter(|&d| d < mb).collect();
        for &d in below.iter().rev().take(2 - picks.len()) {
            picks.insert(0, d);
        }
    }
    picks.sort_unstable();
    picks
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join(" or ")
}

fn check_values(
    name: &str,
    v: &PerAgent,
    ok: impl Fn(f32) -> bool,
    requirement: &str,
    fix: &str,
) -> Result<(), ConfigError> {
    match v {
        PerAgent::One(x) if !ok(*x) => Err(ConfigError::Invalid(format!(
            "{name} = {x} {requirement}; {fix}"
        ))),
        PerAgent::Each(xs) => match xs.iter().enumerate().find(|(_, x)| !ok(**x)) {
            Some((i, x)) => Err(ConfigError::Invalid(format!(
                "{name} = {x} for agent {i} {requirement}; {fix}"
            ))),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// The preset named `name`, parsed.
pub fn preset(name: &str) -> Result<toml::Table, ConfigError> {
    let Some((_, text)) = PRESETS.iter().find(|(n, _)| *n == name) else {
        return Err(ConfigError::UnknownPreset {
            name: name.to_string(),
            valid: PRESETS.iter().map(|(n, _)| n.to_string()).collect(),
        });
    };
    text.parse::<toml::Table>()
        .map_err(|e| parse_error(Path::new(&format!("presets/{name}.toml")), &e))
}

/// The preset used for `env` when no `--preset` is given, if the env has one.
pub fn default_preset_for(env: &str) -> Option<&'static str> {
    ENV_DEFAULT_PRESETS
        .iter()
        .find(|(e, _)| *e == env)
        .map(|(_, p)| *p)
}

/// What the command line asks for, before it is layered over presets and defaults.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Overrides {
    /// `--env`: the env id (also picks the default preset).
    pub env: Option<String>,
    /// `--env-file`: a custom env's manifest (no default preset applies).
    pub env_file: Option<PathBuf>,
    /// `--preset`: a name from [`PRESETS`].
    pub preset: Option<String>,
    /// `--config`: a TOML file.
    pub config_file: Option<PathBuf>,
    /// `--set key=value`, in order; the value is parsed as TOML, else taken as a string.
    pub sets: Vec<String>,
    /// `--agents`.
    pub agents: Option<u32>,
    /// `--seed`.
    pub seed: Option<u32>,
    /// `--total-steps`.
    pub total_steps: Option<u64>,
}

/// A resolved config and the preset it was built on.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    /// The validated config.
    pub config: TrainConfig,
    /// The preset layered under the file and overrides, if any.
    pub preset: Option<String>,
}

/// Builds and validates the config the command line asks for (see the module docs
/// for the precedence).
pub fn resolve(o: &Overrides) -> Result<TrainConfig, ConfigError> {
    resolve_with_preset(o).map(|r| r.config)
}

/// Like [`resolve`], and also says which preset was used.
pub fn resolve_with_preset(o: &Overrides) -> Result<Resolved, ConfigError> {
    let keys = KeySet::new();

    // Parse and check every layer first: the env (which picks the default preset)
    // may come from any of them.
    let file = match &o.config_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
                path: path.clone(),
                reason: e.to_string(),
            })?;
            let table = text
                .parse::<toml::Table>()
                .map_err(|e| parse_error(path, &e))?;
            keys.check(&table, &format!("config file '{}'", path.display()), "")?;
            Some(table)
        }
        None => None,
    };
    let mut sets = Vec::with_capacity(o.sets.len());
    for s in &o.sets {
        let table = parse_set(s)?;
        keys.check(&table, "--set", "")?;
        sets.push(table);
    }

    let env = o
        .env
        .clone()
        .or_else(|| sets.iter().rev().find_map(table_env))
        .or_else(|| file.as_ref().and_then(table_env))
        .unwrap_or_else(|| DEFAULT_ENV.to_string());
    let custom = o.env_file.is_some()
        || sets.iter().any(|t| t.contains_key("env_file"))
        || file.as_ref().is_some_and(|t| t.contains_key("env_file"));
    let preset_name = match &o.preset {
        Some(p) => Some(p.clone()),
        // Built-in presets are tuned for built-in envs, not a custom one.
        None if custom => None,
        None => default_preset_for(&env).map(str::to_string),
    };

    let mut merged = toml::Table::try_from(TrainConfig::default())
        .expect("the default config always serialises to a TOML table");
    if let Some(name) = &preset_name {
        let table = preset(name)?;
        keys.check(&table, &format!("preset '{name}'"), "")?;
        merge(&mut merged, table);
    }
    if let Some(table) = file {
        merge(&mut merged, table);
    }
    for table in sets {
        merge(&mut merged, table);
    }

    let mut config: TrainConfig = toml::Value::Table(merged)
        .try_into()
        .map_err(|e: toml::de::Error| ConfigError::Type(type_error_text(&e)))?;
    if let Some(env) = &o.env {
        config.env = env.clone();
    }
    if let Some(f) = &o.env_file {
        config.env_file = Some(f.display().to_string());
    }
    if let Some(a) = o.agents {
        config.agents = a;
    }
    if let Some(s) = o.seed {
        config.seed = s;
    }
    if let Some(t) = o.total_steps {
        config.total_steps = t;
    }
    config.validate()?;
    Ok(Resolved {
        config,
        preset: preset_name,
    })
}

fn table_env(t: &toml::Table) -> Option<String> {
    t.get("env").and_then(|v| v.as_str()).map(str::to_string)
}

/// toml's "message\nin `ppo.envs`\n" -> "message for key `ppo.envs`; give ..."
fn type_error_text(e: &toml::de::Error) -> String {
    let text = e.to_string();
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let message = lines.next().unwrap_or("").to_string();
    let key = lines.find_map(|l| l.strip_prefix("in ").map(str::to_string));
    match key {
        Some(k) => format!("{message} for key {k}; give {k} a value of that type"),
        None => format!("{message}; check the types of the values set"),
    }
}

fn parse_error(path: &Path, e: &toml::de::Error) -> ConfigError {
    let mut detail = e.to_string();
    if !detail.contains(", column ") {
        // Errors without the input attached render without a position; add it.
        if let Some(span) = e.span() {
            detail = format!("at byte {}: {detail}", span.start);
        }
    }
    if !detail.ends_with('\n') {
        detail.push('\n');
    }
    ConfigError::Parse {
        path: path.to_path_buf(),
        detail,
    }
}

/// Parses `key=value` into a nested table `{ key.path = value }`.
fn parse_set(s: &str) -> Result<toml::Table, ConfigError> {
    let Some((key, value)) = s.split_once('=') else {
        return Err(ConfigError::Set(format!(
            "--set '{s}' has no '='; write --set key=value, for example --set ppo.lr=1e-3"
        )));
    };
    let key = key.trim();
    let value = value.trim();
    let segments: Vec<&str> = key.split('.').map(str::trim).collect();
    if segments.iter().any(|s| s.is_empty()) {
        return Err(ConfigError::Set(format!(
            "--set '{s}' has an empty key part in '{key}'; write --set key=value, for example --set ppo.lr=1e-3"
        )));
    }
    let parsed = format!("v = {value}")
        .parse::<toml::Table>()
        .ok()
        .filter(|t| t.len() == 1)
        .and_then(|mut t| t.remove("v"));
    let mut v = parsed.unwrap_or_else(|| toml::Value::String(value.to_string()));
    for seg in segments.iter().rev() {
        let mut t = toml::Table::new();
        t.insert(seg.to_string(), v);
        v = toml::Value::Table(t);
    }
    match v {
        toml::Value::Table(t) => Ok(t),
        _ => unreachable!("at least one key segment"),
    }
}

/// Recursively merges `over` into `base`: tables merge key by key, anything else
/// replaces.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// The valid key paths, derived from the default config's TOML form.
struct KeySet {
    leaves: BTreeSet<String>,
    sections: BTreeSet<String>,
}

impl KeySet {
    fn new() -> Self {
        let table = toml::Table::try_from(TrainConfig::default())
            .expect("the default config always serialises to a TOML table");
        let mut ks = KeySet {
            leaves: BTreeSet::new(),
            sections: BTreeSet::new(),
        };
        ks.walk(&table, "");
        // Optional keys absent from the default config. `task.params.*` names
        // depend on the env and are checked against it when the env is built.
        ks.leaves.insert("env_file".to_string());
        ks.sections.insert("task".to_string());
        ks.sections.insert("task.params".to_string());
        ks.leaves.insert("task.observe".to_string());
        ks
    }

    fn walk(&mut self, t: &toml::Table, prefix: &str) {
        for (k, v) in t {
            let path = join_key(prefix, k);
            match v {
                toml::Value::Table(sub) => {
                    self.walk(sub, &path);
                    self.sections.insert(path);
                }
                _ => {
                    self.leaves.insert(path);
                }
            }
        }
    }

    /// Rejects keys that are not config keys, and values whose shape (table or not)
    /// does not fit their key.
    fn check(&self, t: &toml::Table, source: &str, prefix: &str) -> Result<(), ConfigError> {
        for (k, v) in t {
            let path = join_key(prefix, k);
            let is_table = matches!(v, toml::Value::Table(_));
            if prefix == "task.params" {
                if is_table {
                    return Err(ConfigError::Shape(format!(
                        "config key '{path}' (in {source}) takes a number or [lo, hi], not a table"
                    )));
                }
            } else if self.sections.contains(&path) {
                match v {
                    toml::Value::Table(sub) => self.check(sub, source, &path)?,
                    _ => {
                        return Err(ConfigError::Shape(format!(
                            "config key '{path}' (in {source}) is a section, not a value; set its keys \
                             instead, for example {}",
                            self.leaves
                                .iter()
                                .find(|l| l.starts_with(&format!("{path}.")))
                                .map(|l| format!("'{l}'"))
                                .unwrap_or_default()
                        )));
                    }
                }
            } else if self.leaves.contains(&path) {
                if is_table {
                    return Err(ConfigError::Shape(format!(
                        "config key '{path}' (in {source}) takes a value, not a table; write {path} = <value>"
                    )));
                }
            } else {
                // Name the full key (`pp.lr`, not `pp`) so the suggestion can match it.
                let mut key = path;
                let mut inner = v;
                while let toml::Value::Table(sub) = inner {
                    match sub.iter().next() {
                        Some((k, v)) => {
                            key = join_key(&key, k);
                            inner = v;
                        }
                        None => break,
                    }
                }
                let valid_here = self
                    .leaves
                    .iter()
                    .chain(&self.sections)
                    .filter(|c| split_key(c).0 == prefix)
                    .cloned()
                    .collect();
                return Err(ConfigError::UnknownKey {
                    suggestion: nearest_key(&key, &self.leaves),
                    key,
                    source_name: source.to_string(),
                    valid_here,
                });
            }
        }
        Ok(())
    }
}

fn join_key(prefix: &str, k: &str) -> String {
    if prefix.is_empty() {
        k.to_string()
    } else {
        format!("{prefix}.{k}")
    }
}

fn split_key(path: &str) -> (&str, &str) {
    path.rsplit_once('.').unwrap_or(("", path))
}

/// The valid key most likely meant by `given`: a known name from another library,
/// the same name in another section, an abbreviation (`learning_rate` -> `lr`), a
/// word of the name (`num_envs` -> `envs`), or the closest spelling by strsim.
fn nearest_key(given: &str, valid: &BTreeSet<String>) -> Option<String> {
    let (g_section, g_last) = split_key(given);
    if let Some((_, to)) = KEY_ALIASES.iter().find(|(from, _)| *from == g_last) {
        return Some(to.to_string());
    }
    let initials: String = g_last.split('_').filter_map(|w| w.chars().next()).collect();
    let words: Vec<&str> = g_last.split('_').collect();
    let mut best: Option<(f64, &String)> = None;
    for c in valid {
        let (c_section, c_last) = split_key(c);
        let mut score = if c_last == g_last {
            1.0
        } else if g_last.contains('_') && initials == c_last {
            0.95
        } else if words.len() > 1 && words.contains(&c_last) {
            0.9
        } else {
            strsim::normalized_damerau_levenshtein(given, c)
                .max(strsim::normalized_damerau_levenshtein(g_last, c_last) * 0.95)
        };
        if c_section == g_section {
            score += 0.05;
        }
        if best.is_none_or(|(b, _)| score > b) {
            best = Some((score, c));
        }
    }
    best.filter(|(s, _)| *s >= 0.6).map(|(_, c)| c.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::TestDir;

    fn temp_file(name: &str, text: &str) -> (TestDir, PathBuf) {
        let dir = TestDir::new("config");
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    fn sets(s: &[&str]) -> Overrides {
        Overrides {
            sets: s.iter().map(|s| s.to_string()).collect(),
            ..Overrides::default()
        }
    }

    fn invalid(f: impl FnOnce(&mut TrainConfig)) -> String {
        let mut c = TrainConfig::default();
        f(&mut c);
        c.validate().unwrap_err().to_string()
    }

    #[test]
    fn defaults_validate_and_match_the_purejaxrl_preset() {
        let d = TrainConfig::default();
        d.validate().unwrap();
        assert_eq!(d.batch_per_agent(), 512);
        assert_eq!(d.minibatch_size(), 128);
        assert_eq!(d.iterations(), 976);
        let r = resolve(&Overrides {
            preset: Some("cartpole-purejaxrl".into()),
            ..Overrides::default()
        })
        .unwrap();
        assert_eq!(r, d);
    }

    #[test]
    fn every_preset_resolves_and_validates() {
        for (name, _) in PRESETS {
            let t = preset(name).unwrap();
            KeySet::new().check(&t, name, "").unwrap();
            let r = resolve_with_preset(&Overrides {
                preset: Some(name.to_string()),
                ..Overrides::default()
            })
            .unwrap();
            r.config.validate().unwrap();
            assert_eq!(r.preset.as_deref(), Some(*name));
        }
        // The env's default preset applies when none is named.
        let r = resolve_with_preset(&Overrides::default()).unwrap();
        assert_eq!(r.preset.as_deref(), Some("cartpole"));
        assert_eq!(r.config.ppo.envs, 16);
        assert_eq!(r.config.log.interval, 5);
        // Every built-in env has a default preset, made for it.
        for env in wgrl_envs::BUILTIN_ENVS {
            let r = resolve_with_preset(&Overrides {
                env: Some(env.to_string()),
                ..Overrides::default()
            })
            .unwrap();
            assert_eq!(r.preset.as_deref(), default_preset_for(env), "{env}");
            assert!(r.preset.is_some(), "{env} has no default preset");
            assert_eq!(r.config.env, *env);
        }
    }

    #[test]
    fn unknown_preset_lists_valid_ones() {
        let e = resolve(&Overrides {
            preset: Some("cartpol".into()),
            ..Overrides::default()
        })
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "unknown preset 'cartpol'; valid presets are: cartpole, cartpole-purejaxrl, acrobot, mountaincar, pendulum, mountaincar-continuous"
        );
    }

    #[test]
    fn precedence_preset_file_set_flags() {
        let (_dir, file) = temp_file(
            "run.toml",
            "total_steps = 100000\nseed = 5\n[ppo]\nenvs = 8\nsteps = 16\nepochs = 2\n",
        );
        // Preset (cartpole: envs 16, steps 64, lr 3e-3) < file.
        let c = resolve(&Overrides {
            config_file: Some(file.clone()),
            ..Overrides::default()
        })
        .unwrap();
        assert_eq!((c.ppo.envs, c.ppo.steps, c.ppo.epochs), (8, 16, 2));
        assert_eq!(c.ppo.lr, PerAgent::One(3e-3)); // from the preset
        assert_eq!(c.total_steps, 100000);
        assert_eq!(c.seed, 5);
        // File < --set (in order) < flags.
        let c = resolve(&Overrides {
            config_file: Some(file.clone()),
            sets: vec![
                "ppo.envs=16".into(),
                "ppo.epochs=3".into(),
                "ppo.epochs=6".into(),
                "seed=9".into(),
                "agents=3".into(),
            ],
            seed: Some(11),
            total_steps: Some(4096),
            ..Overrides::default()
        })
        .unwrap();
        assert_eq!((c.ppo.envs, c.ppo.steps, c.ppo.epochs), (16, 16, 6));
        assert_eq!(c.seed, 11);
        assert_eq!(c.agents, 3);
        assert_eq!(c.total_steps, 4096);
        let c = resolve(&Overrides {
            sets: vec!["agents=3".into()],
            agents: Some(2),
            ..Overrides::default()
        })
        .unwrap();
        assert_eq!(c.agents, 2);
        // --preset beats the env's default preset.
        let c = resolve(&Overrides {
            env: Some("CartPole-v1".into()),
            preset: Some("cartpole-purejaxrl".into()),
            ..Overrides::default()
        })
        .unwrap();
        assert_eq!(c.ppo.envs, 4);
    }

    #[test]
    fn set_parses_numbers_lists_strings_and_bools() {
        let c = resolve(&sets(&[
            "ppo.lr=1e-3",
            "agents=2",
            "ppo.gamma=[0.99, 0.9]",
            "model.activation=relu",
            "model.arch=\"mlp\"",
            "ppo.norm_adv=false",
            "ppo.clip = 1",
        ]))
        .unwrap();
        assert_eq!(c.ppo.lr, PerAgent::One(1e-3));
        assert_eq!(c.ppo.gamma, PerAgent::Each(vec![0.99, 0.9]));
        assert_eq!(c.ppo.gamma.values(2), vec![0.99, 0.9]);
        assert_eq!(c.ppo.lr.values(2), vec![1e-3, 1e-3]);
        assert_eq!(c.model.activation, "relu");
        assert!(!c.ppo.norm_adv);
        assert_eq!(c.ppo.clip, PerAgent::One(1.0));
        let e = resolve(&sets(&["ppo.lr"])).unwrap_err().to_string();
        assert!(e.contains("has no '='"), "{e}");
        let e = resolve(&sets(&["ppo..lr=1"])).unwrap_err().to_string();
        assert!(e.contains("empty key part"), "{e}");
        let e = resolve(&sets(&["ppo.lr=[1e-3, \"a\"]"]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("expected f64 for key `ppo.lr`"), "{e}");
        let e = resolve(&sets(&["ppo.lr=fast"])).unwrap_err().to_string();
        assert!(
            e.contains("expected a number, or a list of numbers with one per agent"),
            "{e}"
        );
        let e = resolve(&sets(&["ppo.envs=many"])).unwrap_err().to_string();
        assert!(e.starts_with("invalid config value: "), "{e}");
        assert!(e.contains("ppo.envs"), "{e}");
    }

    #[test]
    fn unknown_keys_suggest_the_nearest() {
        let e = resolve(&sets(&["ppo.learning_rate=1e-3"]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "unknown config key 'ppo.learning_rate' (in --set); did you mean 'ppo.lr'?"
        );
        let e = resolve(&sets(&["model.widht=32"])).unwrap_err().to_string();
        assert_eq!(
            e,
            "unknown config key 'model.widht' (in --set); did you mean 'model.width'?"
        );
        let e = resolve(&sets(&["lr=1e-3"])).unwrap_err().to_string();
        assert!(e.ends_with("did you mean 'ppo.lr'?"), "{e}");
        let e = resolve(&sets(&["pp.lr=1e-3"])).unwrap_err().to_string();
        assert_eq!(
            e,
            "unknown config key 'pp.lr' (in --set); did you mean 'ppo.lr'?"
        );
        let e = resolve(&sets(&["ppo.num_envs=8"])).unwrap_err().to_string();
        assert!(e.ends_with("did you mean 'ppo.envs'?"), "{e}");
        let e = resolve(&sets(&["ppo.gae_lamda=0.9"]))
            .unwrap_err()
            .to_string();
        assert!(e.ends_with("did you mean 'ppo.gae_lambda'?"), "{e}");
        let e = resolve(&sets(&["zzzzqqq=1"])).unwrap_err().to_string();
        assert_eq!(
            e,
            "unknown config key 'zzzzqqq' (in --set); valid keys there: agents, algo, env, env_file, seed, \
             total_steps, log, model, ppo, task"
        );
        let e = resolve(&sets(&["log.zzzzqqq=1"])).unwrap_err().to_string();
        assert!(
            e.ends_with("valid keys there: log.checkpoint, log.interval"),
            "{e}"
        );
        let (_dir, file) = temp_file("bad.toml", "[model]\nwidht = 32\n");
        let e = resolve(&Overrides {
            config_file: Some(file.clone()),
            ..Overrides::default()
        })
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            format!(
                "unknown config key 'model.widht' (in config file '{}'); did you mean 'model.width'?",
                file.display()
            )
        );
        let e = resolve(&sets(&["ppo=1"])).unwrap_err().to_string();
        assert!(e.contains("'ppo' (in --set) is a section"), "{e}");
        let e = resolve(&sets(&["ppo.lr.x=1"])).unwrap_err().to_string();
        assert!(e.contains("'ppo.lr' (in --set) takes a value"), "{e}");
    }

    #[test]
    fn malformed_toml_names_file_line_and_column() {
        let (_dir, file) = temp_file("broken.toml", "seed = 1\n[ppo]\nenvs = = 4\n");
        let e = resolve(&Overrides {
            config_file: Some(file.clone()),
            ..Overrides::default()
        })
        .unwrap_err()
        .to_string();
        assert!(e.contains(&file.display().to_string()), "{e}");
        assert!(e.contains("line 3, column 8"), "{e}");
        let missing = PathBuf::from("/nonexistent/wgrl/run.toml");
        let e = resolve(&Overrides {
            config_file: Some(missing),
            ..Overrides::default()
        })
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("cannot read config file '/nonexistent/wgrl/run.toml': "),
            "{e}"
        );
    }

    #[test]
    fn to_toml_string_round_trips_through_resolve() {
        let mut c = resolve(&sets(&[
            "agents=2",
            "ppo.lr=[1e-3, 2.5e-4]",
            "model.activation=relu",
            "task.params.length=[0.25, 1.0]",
            "task.params.masspole=0.2",
            "task.observe=['length']",
        ]))
        .unwrap();
        c.seed = 42;
        let text = c.to_toml_string();
        assert!(text.contains("lr = [0.001, 0.00025]"), "{text}");
        assert!(
            text.contains("length = [0.25, 1.0]") && text.contains("masspole = 0.2"),
            "{text}"
        );
        let (_dir, file) = temp_file("config.toml", &text);
        let back = resolve(&Overrides {
            config_file: Some(file),
            ..Overrides::default()
        })
        .unwrap();
        assert_eq!(back, c);
        // Even on top of a different preset.
        let (_dir, file) = temp_file("config.toml", &TrainConfig::default().to_toml_string());
        let back = resolve(&Overrides {
            config_file: Some(file),
            ..Overrides::default()
        })
        .unwrap();
        assert_eq!(back, TrainConfig::default());
    }

    #[test]
    fn validation_messages() {
        assert_eq!(
            invalid(|c| c.agents = 0),
            "agents = 0: at least one agent is needed; set agents to 1 or more (--agents)"
        );
        assert_eq!(
            invalid(|c| c.ppo.envs = 0),
            "ppo.envs = 0: each agent needs at least one env; set ppo.envs to 1 or more"
        );
        assert_eq!(
            invalid(|c| c.ppo.update_groups = 3),
            "ppo.update_groups = 3: the update runs in 1 or 2 workgroups per agent; set it to 0 (auto), 1 or 2"
        );
        assert!(invalid(|c| c.ppo.steps = 0).starts_with("ppo.steps = 0: "));
        assert!(invalid(|c| c.ppo.epochs = 0).starts_with("ppo.epochs = 0: "));
        assert!(invalid(|c| c.ppo.minibatches = 0).starts_with("ppo.minibatches = 0: "));
        assert_eq!(
            invalid(|c| c.ppo.minibatches = 3),
            "ppo.minibatches = 3 does not divide the batch of 4 envs x 128 steps = 512; \
             use a divisor of 512 such as 4 or 8"
        );
        assert!(
            invalid(|c| c.ppo.minibatches = 1000).ends_with("such as 256 or 512"),
            "{}",
            invalid(|c| c.ppo.minibatches = 1000)
        );
        assert_eq!(
            invalid(|c| c.total_steps = 100),
            "total_steps = 100 is less than one batch (4 envs x 128 steps = 512 env steps per agent \
             per iteration); set total_steps to at least 512 (--total-steps)"
        );
        assert!(
            invalid(|c| c.total_steps = 0).starts_with("total_steps = 0 is less than one batch")
        );
        assert_eq!(
            invalid(|c| c.ppo.lr = PerAgent::One(-1e-3)),
            "ppo.lr = -0.001 must be a finite number > 0; a typical value is 2.5e-4"
        );
        assert!(
            invalid(|c| c.ppo.lr = PerAgent::One(f32::NAN)).starts_with("ppo.lr = NaN must be")
        );
        assert_eq!(
            invalid(|c| {
                c.agents = 3;
                c.ppo.lr = PerAgent::Each(vec![1e-3, 1e-3, f32::INFINITY]);
            }),
            "ppo.lr = inf for agent 2 must be a finite number > 0; a typical value is 2.5e-4"
        );
        assert_eq!(
            invalid(|c| c.ppo.gamma = PerAgent::One(1.5)),
            "ppo.gamma = 1.5 is outside [0, 1]; a typical value is 0.99"
        );
        assert!(
            invalid(|c| c.ppo.gae_lambda = PerAgent::One(-0.1))
                .starts_with("ppo.gae_lambda = -0.1 is outside [0, 1]")
        );
        assert!(
            invalid(|c| c.ppo.clip = PerAgent::One(0.0))
                .starts_with("ppo.clip = 0 must be a finite number > 0")
        );
        assert!(
            invalid(|c| c.ppo.max_grad_norm = PerAgent::One(0.0))
                .starts_with("ppo.max_grad_norm = 0 must be")
        );
        assert!(
            invalid(|c| c.ppo.ent_coef = PerAgent::One(-0.01))
                .starts_with("ppo.ent_coef = -0.01 must be a finite number >= 0")
        );
        assert!(
            invalid(|c| c.ppo.vf_coef = PerAgent::One(-1.0))
                .starts_with("ppo.vf_coef = -1 must be a finite number >= 0")
        );
        // Zero is fine for the coefficients.
        let mut c = TrainConfig::default();
        c.ppo.ent_coef = PerAgent::One(0.0);
        c.ppo.gamma = PerAgent::One(1.0);
        c.validate().unwrap();
        assert_eq!(
            invalid(|c| {
                c.agents = 4;
                c.ppo.lr = PerAgent::Each(vec![1e-3; 3]);
            }),
            "ppo.lr lists 3 values but agents = 4; give one value or 4"
        );
        assert_eq!(
            invalid(|c| c.algo = "sac".into()),
            "algo = 'sac' is not supported; valid algorithms: ppo"
        );
        assert_eq!(
            invalid(|c| c.model.arch = "cnn".into()),
            "model.arch = 'cnn' is not supported; valid values: mlp, residual"
        );
        assert_eq!(
            invalid(|c| c.model.activation = "swish".into()),
            "model.activation = 'swish' is not supported; valid values: tanh, relu, gelu, silu, regelu2, resilu2, retanh2"
        );
        assert_eq!(
            invalid(|c| c.model.norm = "layer".into()),
            "model.norm = 'layer' is not supported; valid values: none, layernorm, rmsnorm, ms-layernorm, ms-rmsnorm"
        );
        assert!(invalid(|c| c.model.width = 0).starts_with("model.width = 0: "));
        assert!(invalid(|c| c.model.depth = 0).starts_with("model.depth = 0: "));
        let residual = |f: fn(&mut TrainConfig)| {
            invalid(move |c| {
                c.model.arch = "residual".into();
                f(c)
            })
        };
        assert!(residual(|c| c.model.blocks = 0).starts_with("model.blocks = 0: "));
        assert!(residual(|c| c.model.expansion = 0).starts_with("model.expansion = 0: "));
        assert!(invalid(|c| c.log.interval = 0).starts_with("log.interval = 0: "));
    }

    #[test]
    fn per_agent_list_mismatch_through_resolve() {
        let e = resolve(&sets(&["agents=4", "ppo.lr=[1e-3, 3e-4, 1e-4]"]))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "ppo.lr lists 3 values but agents = 4; give one value or 4"
        );
        let c = resolve(&Overrides {
            sets: vec!["ppo.lr=[1e-3, 3e-4]".into()],
            agents: Some(2),
            ..Overrides::default()
        })
        .unwrap();
        assert_eq!(c.ppo.lr.get(1), 3e-4);
    }
}
