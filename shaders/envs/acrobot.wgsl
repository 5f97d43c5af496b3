// Acrobot-v1 as in Gymnasium's classic_control/acrobot.py (Sutton & Barto's
// "book" dynamics): one RK4 step of length dt per action, angles wrapped to
// [-pi, pi], angular velocities bounded, no torque noise; f32 instead of f64. The
// 500-step limit is the engine's (descriptor).

struct EnvState {
    theta1: f32,
    theta2: f32,
    dtheta1: f32,
    dtheta2: f32,
}

struct EnvParams {
    link_length_1: f32,
    link_mass_1: f32,
    link_mass_2: f32,
    link_com_pos_1: f32,
    link_com_pos_2: f32,
    link_moi: f32,
    max_vel_1: f32,
    max_vel_2: f32,
    dt: f32,
    gravity: f32,
}

const ACROBOT_PI: f32 = 3.141592653589793;

fn env_reset(p: EnvParams, rng: ptr<function, Rng>) -> EnvState {
    // Each state variable uniform in (-0.1, 0.1).
    let u = rng_uniform4(rng) * 0.2 - 0.1;
    return EnvState(u.x, u.y, u.z, u.w);
}

// d/dt of (theta1, theta2, dtheta1, dtheta2) under torque a.
fn acrobot_dsdt(s: vec4<f32>, a: f32, p: EnvParams) -> vec4<f32> {
    let m1 = p.link_mass_1;
    let m2 = p.link_mass_2;
    let l1 = p.link_length_1;
    let lc1 = p.link_com_pos_1;
    let lc2 = p.link_com_pos_2;
    let i1 = p.link_moi;
    let i2 = p.link_moi;
    let g = p.gravity;
    let theta1 = s.x;
    let theta2 = s.y;
    let dtheta1 = s.z;
    let dtheta2 = s.w;
    let d1 = m1 * lc1 * lc1 + m2 * (l1 * l1 + lc2 * lc2 + 2.0 * l1 * lc2 * cos(theta2)) + i1 + i2;
    let d2 = m2 * (lc2 * lc2 + l1 * lc2 * cos(theta2)) + i2;
    let phi2 = m2 * lc2 * g * cos(theta1 + theta2 - ACROBOT_PI / 2.0);
    let phi1 = -m2 * l1 * lc2 * dtheta2 * dtheta2 * sin(theta2)
        - 2.0 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin(theta2)
        + (m1 * lc1 + m2 * l1) * g * cos(theta1 - ACROBOT_PI / 2.0)
        + phi2;
    let ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * dtheta1 * dtheta1 * sin(theta2) - phi2)
        / (m2 * lc2 * lc2 + i2 - d2 * d2 / d1);
    let ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
    return vec4<f32>(dtheta1, dtheta2, ddtheta1, ddtheta2);
}

// Gymnasium's wrap: shift by the period until inside [lo, hi]. One RK4 step moves
// an angle by at most dt * 9 pi, so a few shifts suffice; the cap keeps a
// non-finite angle (from non-finite parameters) from looping forever.
fn acrobot_wrap(x: f32, lo: f32, hi: f32) -> f32 {
    var v = x;
    let diff = hi - lo;
    for (var k = 0u; k < 16u && v > hi; k++) {
        v -= diff;
    }
    for (var k = 0u; k < 16u && v < lo; k++) {
        v += diff;
    }
    return v;
}

fn env_step(s: ptr<function, EnvState>, p: EnvParams, action: Action) -> StepResult {
    let torque = f32(action) - 1.0; // AVAIL_TORQUE = [-1, 0, 1]
    let y0 = vec4<f32>((*s).theta1, (*s).theta2, (*s).dtheta1, (*s).dtheta2);
    let h = p.dt;
    let k1 = acrobot_dsdt(y0, torque, p);
    let k2 = acrobot_dsdt(y0 + 0.5 * h * k1, torque, p);
    let k3 = acrobot_dsdt(y0 + 0.5 * h * k2, torque, p);
    let k4 = acrobot_dsdt(y0 + h * k3, torque, p);
    let y = y0 + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
    (*s).theta1 = acrobot_wrap(y.x, -ACROBOT_PI, ACROBOT_PI);
    (*s).theta2 = acrobot_wrap(y.y, -ACROBOT_PI, ACROBOT_PI);
    (*s).dtheta1 = clamp(y.z, -p.max_vel_1, p.max_vel_1);
    (*s).dtheta2 = clamp(y.w, -p.max_vel_2, p.max_vel_2);
    let terminated = -cos((*s).theta1) - cos((*s).theta2 + (*s).theta1) > 1.0;
    return StepResult(select(-1.0, 0.0, terminated), terminated);
}

fn env_observe(s: EnvState, p: EnvParams) -> array<f32, OBS_DIM> {
    return array<f32, OBS_DIM>(cos(s.theta1), sin(s.theta1), cos(s.theta2), sin(s.theta2), s.dtheta1, s.dtheta2);
}
