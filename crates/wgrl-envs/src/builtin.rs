//! The built-in envs, described exactly as a user's env would be.

use crate::descriptor::{ActionSpace, EnvDescriptor, ParamSpec};
use crate::error::{EnvError, Result};
use crate::shaders;

/// Names of the built-in envs.
pub const BUILTIN_ENVS: &[&str] = &["CartPole-v1"];

fn params(list: &[(&str, f32)]) -> Vec<ParamSpec> {
    list.iter()
        .map(|(n, d)| ParamSpec {
            name: n.to_string(),
            default: *d,
        })
        .collect()
}

/// CartPole-v1 with Gymnasium's constants, 500-step limit and 475 threshold.
pub fn cartpole() -> EnvDescriptor {
    EnvDescriptor {
        name: "CartPole-v1".into(),
        obs_dim: 4,
        action_space: ActionSpace::Discrete { n: 2 },
        max_episode_steps: 500,
        state_fields: ["x", "x_dot", "theta", "theta_dot"]
            .map(String::from)
            .to_vec(),
        params: params(&[
            ("gravity", 9.8),
            ("masscart", 1.0),
            ("masspole", 0.1),
            ("length", 0.5),
            ("force_mag", 10.0),
            ("tau", 0.02),
        ]),
        solved_threshold: Some(475.0),
        module_name: shaders::CARTPOLE.0.into(),
        module_source: shaders::CARTPOLE.1.into(),
    }
}

/// Looks up a built-in env by name (case-insensitive); unknown names list the valid ones.
pub fn builtin(name: &str) -> Result<EnvDescriptor> {
    match name.to_ascii_lowercase().as_str() {
        "cartpole-v1" | "cartpole" => Ok(cartpole()),
        _ => Err(EnvError::UnknownEnv {
            name: name.to_string(),
            valid: BUILTIN_ENVS.iter().map(|s| s.to_string()).collect(),
        }),
    }
}
