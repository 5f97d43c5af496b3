// Draws a grid of CartPole envs straight from wgrl's env-state buffer: one
// instance per env, 18 vertices each (track, pole, cart: two triangles apiece,
// in that order, so the cart is drawn over the pole's foot).

struct View {
    cols: u32,         // cells per row
    rows: u32,
    first_env: u32,    // index of the first env drawn
    stride_words: u32, // 32-bit words per EnvState
    x_field: u32,      // word of `x` within an EnvState
    theta_field: u32,  // word of `theta`
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<uniform> V: View;
@group(0) @binding(1) var<storage, read> states: array<f32>;

struct VsOut {
    @builtin(position) pos: vec4<f32>,
    @location(0) color: vec3<f32>,
}

// Colours (sRGB-free: the target is Rgba8Unorm, so these bytes land as written).
const TRACK: vec3<f32> = vec3<f32>(0.6, 0.6, 0.6);
const POLE: vec3<f32> = vec3<f32>(0.8, 0.5, 0.2);
const CART: vec3<f32> = vec3<f32>(0.2, 0.35, 0.8);

// Gymnasium's CartPole terminates at |x| > 2.4; the track spans 80% of a cell.
const X_LIMIT: f32 = 2.4;
const TRACK_HALF: f32 = 0.4;
const CART_SIZE: vec2<f32> = vec2<f32>(0.16, 0.08);
const POLE_SIZE: vec2<f32> = vec2<f32>(0.04, 0.35);
const AXLE_Y: f32 = -0.12;

// Corner v (0..6) of a unit square centred on the origin, as two triangles.
fn corner(v: u32) -> vec2<f32> {
    let c = array<vec2<f32>, 6>(
        vec2<f32>(-0.5, -0.5), vec2<f32>(0.5, -0.5), vec2<f32>(0.5, 0.5),
        vec2<f32>(-0.5, -0.5), vec2<f32>(0.5, 0.5), vec2<f32>(-0.5, 0.5),
    );
    return c[v];
}

@vertex
fn vs_main(@builtin(vertex_index) v: u32, @builtin(instance_index) i: u32) -> VsOut {
    let env = V.first_env + i;
    let x = states[env * V.stride_words + V.x_field];
    let theta = states[env * V.stride_words + V.theta_field];
    let cart_x = clamp(x / X_LIMIT, -1.0, 1.0) * TRACK_HALF;
    let part = v / 6u;
    let c = corner(v % 6u);
    var local: vec2<f32>; // in cell units, origin at the cell's centre, y up
    var color: vec3<f32>;
    if (part == 0u) {
        local = vec2<f32>(0.0, AXLE_Y - CART_SIZE.y * 0.5) + c * vec2<f32>(0.96, 0.01);
        color = TRACK;
    } else if (part == 1u) {
        // theta = 0 is upright; positive theta leans right (Gymnasium's convention).
        let along = (c + vec2<f32>(0.0, 0.5)) * POLE_SIZE; // x across, y along the pole
        let dir = vec2<f32>(sin(theta), cos(theta));
        let across = vec2<f32>(dir.y, -dir.x);
        local = vec2<f32>(cart_x, AXLE_Y) + across * along.x + dir * along.y;
        color = POLE;
    } else {
        local = vec2<f32>(cart_x, AXLE_Y) + c * CART_SIZE;
        color = CART;
    }
    let col = f32(i % V.cols);
    let row = f32(i / V.cols);
    let cell = vec2<f32>(2.0 / f32(V.cols), 2.0 / f32(V.rows));
    let centre = vec2<f32>(-1.0 + (col + 0.5) * cell.x, 1.0 - (row + 0.5) * cell.y);
    var out: VsOut;
    out.pos = vec4<f32>(centre + local * cell, 0.0, 1.0);
    out.color = color;
    return out;
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    return vec4<f32>(in.color, 1.0);
}
