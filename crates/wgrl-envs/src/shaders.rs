//! The env WGSL pieces in `shaders/envs`, embedded at build time.

/// Types every env module may use (`StepResult`) and the contract in comments.
pub const ENV_API: (&str, &str) = (
    "shaders/envs/env_api.wgsl",
    include_str!("../../../shaders/envs/env_api.wgsl"),
);
/// `Action`, `random_action` and `action_from_words` for discrete spaces.
pub const ACTION_DISCRETE: (&str, &str) = (
    "shaders/envs/action_discrete.wgsl",
    include_str!("../../../shaders/envs/action_discrete.wgsl"),
);
/// `Action`, `clip_action`, `random_action` and `action_from_words` for box spaces.
pub const ACTION_BOX: (&str, &str) = (
    "shaders/envs/action_box.wgsl",
    include_str!("../../../shaders/envs/action_box.wgsl"),
);
/// The general vectorised reset / step kernel.
pub const VEC_ENV: (&str, &str) = (
    "shaders/envs/vec_env.wgsl",
    include_str!("../../../shaders/envs/vec_env.wgsl"),
);
/// CartPole-v1.
pub const CARTPOLE: (&str, &str) = (
    "shaders/envs/cartpole.wgsl",
    include_str!("../../../shaders/envs/cartpole.wgsl"),
);
/// MountainCar-v0.
pub const MOUNTAIN_CAR: (&str, &str) = (
    "shaders/envs/mountain_car.wgsl",
    include_str!("../../../shaders/envs/mountain_car.wgsl"),
);
/// Acrobot-v1.
pub const ACROBOT: (&str, &str) = (
    "shaders/envs/acrobot.wgsl",
    include_str!("../../../shaders/envs/acrobot.wgsl"),
);
/// Pendulum-v1.
pub const PENDULUM: (&str, &str) = (
    "shaders/envs/pendulum.wgsl",
    include_str!("../../../shaders/envs/pendulum.wgsl"),
);
/// MountainCarContinuous-v0.
pub const MOUNTAIN_CAR_CONTINUOUS: (&str, &str) = (
    "shaders/envs/mountain_car_continuous.wgsl",
    include_str!("../../../shaders/envs/mountain_car_continuous.wgsl"),
);
