// CartPole-v1 as in Gymnasium's classic_control/cartpole.py (Barto, Sutton &
// Anderson 1983): same constants, Euler integration, termination box and reward,
// computed in f32 instead of f64. The 500-step limit is the engine's (descriptor).

struct EnvState {
    x: f32,
    x_dot: f32,
    theta: f32,
    theta_dot: f32,
}

struct EnvParams {
    gravity: f32,
    masscart: f32,
    masspole: f32,
    length: f32, // half the pole's length
    force_mag: f32,
    tau: f32, // seconds between state updates
}

const X_THRESHOLD: f32 = 2.4;
const THETA_THRESHOLD: f32 = 0.20943951023931953; // 12 degrees: 12 * 2 * pi / 360

fn env_reset(p: EnvParams, rng: ptr<function, Rng>) -> EnvState {
    // Each state variable uniform in (-0.05, 0.05).
    let u = rng_uniform4(rng) * 0.1 - 0.05;
    return EnvState(u.x, u.y, u.z, u.w);
}

fn env_step(s: ptr<function, EnvState>, p: EnvParams, action: Action) -> StepResult {
    let force = select(-p.force_mag, p.force_mag, action == 1u);
    let costheta = cos((*s).theta);
    let sintheta = sin((*s).theta);
    let total_mass = p.masspole + p.masscart;
    let polemass_length = p.masspole * p.length;
    let temp = (force + polemass_length * (*s).theta_dot * (*s).theta_dot * sintheta) / total_mass;
    let thetaacc = (p.gravity * sintheta - costheta * temp)
        / (p.length * (4.0 / 3.0 - p.masspole * costheta * costheta / total_mass));
    let xacc = temp - polemass_length * thetaacc * costheta / total_mass;
    // Euler: positions advance with the old velocities.
    (*s).x = (*s).x + p.tau * (*s).x_dot;
    (*s).x_dot = (*s).x_dot + p.tau * xacc;
    (*s).theta = (*s).theta + p.tau * (*s).theta_dot;
    (*s).theta_dot = (*s).theta_dot + p.tau * thetaacc;
    let terminated = (*s).x < -X_THRESHOLD || (*s).x > X_THRESHOLD
        || (*s).theta < -THETA_THRESHOLD || (*s).theta > THETA_THRESHOLD;
    // Gymnasium pays 1 for every step, the terminating one included.
    return StepResult(1.0, terminated);
}

fn env_observe(s: EnvState, p: EnvParams) -> array<f32, OBS_DIM> {
    return array<f32, OBS_DIM>(s.x, s.x_dot, s.theta, s.theta_dot);
}
