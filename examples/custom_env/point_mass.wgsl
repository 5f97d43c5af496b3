// PointMass-v0: a puck on a 2-D table steers to a target drawn at reset.
// Written the way any wgrl env is: a state struct, a params struct, and
// env_reset / env_step / env_observe. The engine adds the time limit,
// auto-reset, per-env random streams and the K agents x N envs batching.

struct EnvState {
    x: f32,
    y: f32,
    vx: f32,
    vy: f32,
    target_x: f32,
    target_y: f32,
}

// Every field needs an entry under [params] in point_mass.toml.
struct EnvParams {
    dt: f32,          // seconds per step
    accel: f32,       // acceleration of a thrust action
    max_speed: f32,   // speed is clipped to this
    goal_radius: f32, // the episode ends once the puck is this close
}

const TABLE: f32 = 1.0; // the table is [-1, 1] x [-1, 1]

fn env_reset(p: EnvParams, rng: ptr<function, Rng>) -> EnvState {
    // Puck and target uniform in [-0.8, 0.8]^2; the puck starts at rest.
    let u = rng_uniform4(rng) * 1.6 - 0.8;
    return EnvState(u.x, u.y, 0.0, 0.0, u.z, u.w);
}

// Actions: 0 coast, 1 +x, 2 -x, 3 +y, 4 -y.
fn env_step(s: ptr<function, EnvState>, p: EnvParams, action: Action) -> StepResult {
    var a = vec2<f32>(0.0, 0.0);
    switch action {
        case 1u: { a.x = p.accel; }
        case 2u: { a.x = -p.accel; }
        case 3u: { a.y = p.accel; }
        case 4u: { a.y = -p.accel; }
        default: {}
    }
    var v = vec2<f32>((*s).vx, (*s).vy) + a * p.dt;
    let speed = length(v);
    if (speed > p.max_speed) {
        v = v * (p.max_speed / speed);
    }
    var pos = vec2<f32>((*s).x, (*s).y) + v * p.dt;
    // Walls stop the puck along the axis it hit.
    if (abs(pos.x) > TABLE) {
        pos.x = clamp(pos.x, -TABLE, TABLE);
        v.x = 0.0;
    }
    if (abs(pos.y) > TABLE) {
        pos.y = clamp(pos.y, -TABLE, TABLE);
        v.y = 0.0;
    }
    (*s).x = pos.x;
    (*s).y = pos.y;
    (*s).vx = v.x;
    (*s).vy = v.y;
    let dist = distance(pos, vec2<f32>((*s).target_x, (*s).target_y));
    // Pay the distance every step: the sooner the puck arrives, the better.
    return StepResult(-dist, dist < p.goal_radius);
}

fn env_observe(s: EnvState, p: EnvParams) -> array<f32, OBS_DIM> {
    return array<f32, OBS_DIM>(s.target_x - s.x, s.target_y - s.y, s.vx, s.vy);
}
