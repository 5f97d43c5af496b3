// MountainCarContinuous-v0 as in Gymnasium's
// classic_control/continuous_mountain_car.py: same constants, force clip,
// update order, the velocity reset at the left wall (Gymnasium's rule; gymnax
// differs), +100 at the goal and the 0.1 * action^2 penalty, in f32. The
// 999-step limit is the engine's (descriptor).

struct EnvState {
    position: f32,
    velocity: f32,
}

struct EnvParams {
    min_position: f32,
    max_position: f32,
    max_speed: f32,
    goal_position: f32,
    goal_velocity: f32,
    power: f32,
    gravity: f32,
}

fn env_reset(p: EnvParams, rng: ptr<function, Rng>) -> EnvState {
    // position uniform in (-0.6, -0.4), at rest.
    return EnvState(rng_uniform(rng) * 0.2 - 0.6, 0.0);
}

fn env_step(s: ptr<function, EnvState>, p: EnvParams, action: Action) -> StepResult {
    let force = clamp(action[0], -1.0, 1.0);
    var v = (*s).velocity + force * p.power - p.gravity * cos(3.0 * (*s).position);
    v = clamp(v, -p.max_speed, p.max_speed);
    var x = (*s).position + v;
    x = clamp(x, p.min_position, p.max_position);
    if (x == p.min_position && v < 0.0) {
        v = 0.0;
    }
    (*s).position = x;
    (*s).velocity = v;
    let terminated = x >= p.goal_position && v >= p.goal_velocity;
    var reward = select(0.0, 100.0, terminated);
    reward -= action[0] * action[0] * 0.1;
    return StepResult(reward, terminated);
}

fn env_observe(s: EnvState, p: EnvParams) -> array<f32, OBS_DIM> {
    return array<f32, OBS_DIM>(s.position, s.velocity);
}
