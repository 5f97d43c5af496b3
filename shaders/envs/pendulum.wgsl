// Pendulum-v1 as in Gymnasium's classic_control/pendulum.py: same constants,
// torque clip, cost (with the angle normalised into [-pi, pi)), semi-implicit
// Euler step and speed clip, in f32. The angle itself is not wrapped, as in
// Gymnasium. It never terminates; the 200-step limit is the engine's (descriptor).

struct EnvState {
    theta: f32,
    theta_dot: f32,
}

struct EnvParams {
    max_speed: f32,
    max_torque: f32,
    dt: f32,
    g: f32,
    m: f32,
    l: f32,
}

const PENDULUM_PI: f32 = 3.141592653589793;

fn env_reset(p: EnvParams, rng: ptr<function, Rng>) -> EnvState {
    // theta uniform in (-pi, pi), theta_dot uniform in (-1, 1).
    let u = rng_uniform4(rng);
    return EnvState((u.x * 2.0 - 1.0) * PENDULUM_PI, u.y * 2.0 - 1.0);
}

// ((x + pi) mod 2 pi) - pi with Python's floored modulo.
fn angle_normalize(x: f32) -> f32 {
    let period = 2.0 * PENDULUM_PI;
    let y = x + PENDULUM_PI;
    return y - period * floor(y / period) - PENDULUM_PI;
}

fn env_step(s: ptr<function, EnvState>, p: EnvParams, action: Action) -> StepResult {
    let th = (*s).theta;
    let thdot = (*s).theta_dot;
    let u = clamp(action[0], -p.max_torque, p.max_torque);
    let an = angle_normalize(th);
    let costs = an * an + 0.1 * thdot * thdot + 0.001 * (u * u);
    var newthdot = thdot + (3.0 * p.g / (2.0 * p.l) * sin(th) + 3.0 / (p.m * p.l * p.l) * u) * p.dt;
    newthdot = clamp(newthdot, -p.max_speed, p.max_speed);
    (*s).theta = th + newthdot * p.dt;
    (*s).theta_dot = newthdot;
    return StepResult(-costs, false);
}

fn env_observe(s: EnvState, p: EnvParams) -> array<f32, OBS_DIM> {
    return array<f32, OBS_DIM>(cos(s.theta), sin(s.theta), s.theta_dot);
}
