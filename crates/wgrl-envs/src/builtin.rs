//! The built-in envs, described exactly as a user's env would be.

use crate::descriptor::{ActionSpace, EnvDescriptor, ParamSpec};
use crate::error::{EnvError, Result};
use crate::shaders;
use crate::task::TaskSpec;

/// Names of the built-in envs.
pub const BUILTIN_ENVS: &[&str] = &[
    "CartPole-v1",
    "MountainCar-v0",
    "Acrobot-v1",
    "Pendulum-v1",
    "MountainCarContinuous-v0",
];

fn params(list: &[(&str, f32)]) -> Vec<ParamSpec> {
    list.iter()
        .map(|(n, d)| ParamSpec {
            name: n.to_string(),
            default: *d,
            range: None,
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
        task: TaskSpec::default(),
        module_source: shaders::CARTPOLE.1.into(),
    }
}

/// MountainCar-v0 with Gymnasium's constants, 200-step limit and -110 threshold.
pub fn mountain_car() -> EnvDescriptor {
    EnvDescriptor {
        name: "MountainCar-v0".into(),
        obs_dim: 2,
        action_space: ActionSpace::Discrete { n: 3 },
        max_episode_steps: 200,
        state_fields: ["position", "velocity"].map(String::from).to_vec(),
        params: params(&[
            ("min_position", -1.2),
            ("max_position", 0.6),
            ("max_speed", 0.07),
            ("goal_position", 0.5),
            ("goal_velocity", 0.0),
            ("force", 0.001),
            ("gravity", 0.0025),
        ]),
        solved_threshold: Some(-110.0),
        module_name: shaders::MOUNTAIN_CAR.0.into(),
        task: TaskSpec::default(),
        module_source: shaders::MOUNTAIN_CAR.1.into(),
    }
}

/// Acrobot-v1 with Gymnasium's constants, 500-step limit and -100 threshold.
pub fn acrobot() -> EnvDescriptor {
    let pi = std::f32::consts::PI;
    EnvDescriptor {
        name: "Acrobot-v1".into(),
        obs_dim: 6,
        action_space: ActionSpace::Discrete { n: 3 },
        max_episode_steps: 500,
        state_fields: ["theta1", "theta2", "dtheta1", "dtheta2"]
            .map(String::from)
            .to_vec(),
        params: params(&[
            ("link_length_1", 1.0),
            ("link_mass_1", 1.0),
            ("link_mass_2", 1.0),
            ("link_com_pos_1", 0.5),
            ("link_com_pos_2", 0.5),
            ("link_moi", 1.0),
            ("max_vel_1", 4.0 * pi),
            ("max_vel_2", 9.0 * pi),
            ("dt", 0.2),
            ("gravity", 9.8),
        ]),
        solved_threshold: Some(-100.0),
        module_name: shaders::ACROBOT.0.into(),
        task: TaskSpec::default(),
        module_source: shaders::ACROBOT.1.into(),
    }
}

/// Pendulum-v1 with Gymnasium's constants, a box action (torque in [-2, 2]) and
/// the 200-step limit. Gymnasium gives it no reward threshold; wgrl uses -200,
/// the mean return PPO reaches when the pendulum swings up and stays up.
pub fn pendulum() -> EnvDescriptor {
    EnvDescriptor {
        name: "Pendulum-v1".into(),
        obs_dim: 3,
        action_space: ActionSpace::Box {
            low: vec![-2.0],
            high: vec![2.0],
        },
        max_episode_steps: 200,
        state_fields: ["theta", "theta_dot"].map(String::from).to_vec(),
        params: params(&[
            ("max_speed", 8.0),
            ("max_torque", 2.0),
            ("dt", 0.05),
            ("g", 10.0),
            ("m", 1.0),
            ("l", 1.0),
        ]),
        solved_threshold: Some(-200.0),
        module_name: shaders::PENDULUM.0.into(),
        task: TaskSpec::default(),
        module_source: shaders::PENDULUM.1.into(),
    }
}

/// MountainCarContinuous-v0 with Gymnasium's constants, a box action (force in
/// [-1, 1]), the 999-step limit and the 90 threshold.
pub fn mountain_car_continuous() -> EnvDescriptor {
    EnvDescriptor {
        name: "MountainCarContinuous-v0".into(),
        obs_dim: 2,
        action_space: ActionSpace::Box {
            low: vec![-1.0],
            high: vec![1.0],
        },
        max_episode_steps: 999,
        state_fields: ["position", "velocity"].map(String::from).to_vec(),
        params: params(&[
            ("min_position", -1.2),
            ("max_position", 0.6),
            ("max_speed", 0.07),
            ("goal_position", 0.45),
            ("goal_velocity", 0.0),
            ("power", 0.0015),
            ("gravity", 0.0025),
        ]),
        solved_threshold: Some(90.0),
        module_name: shaders::MOUNTAIN_CAR_CONTINUOUS.0.into(),
        task: TaskSpec::default(),
        module_source: shaders::MOUNTAIN_CAR_CONTINUOUS.1.into(),
    }
}

/// Looks up a built-in env by name (case-insensitive); unknown names list the valid ones.
pub fn builtin(name: &str) -> Result<EnvDescriptor> {
    match name.to_ascii_lowercase().as_str() {
        "cartpole-v1" | "cartpole" => Ok(cartpole()),
        "mountaincar-v0" | "mountaincar" => Ok(mountain_car()),
        "acrobot-v1" | "acrobot" => Ok(acrobot()),
        "pendulum-v1" | "pendulum" => Ok(pendulum()),
        "mountaincarcontinuous-v0" | "mountaincarcontinuous" => Ok(mountain_car_continuous()),
        _ => Err(EnvError::UnknownEnv {
            name: name.to_string(),
            valid: BUILTIN_ENVS.iter().map(|s| s.to_string()).collect(),
        }),
    }
}
