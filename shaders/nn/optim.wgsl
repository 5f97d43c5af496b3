// Global gradient-norm clipping and Adam, for kernels in which one workgroup of
// WG invocations owns one agent's parameters (reductions: common/reduce.wgsl).

// Sum of squares of the gradients opt[gb + lo .. gb + hi), in a fixed order;
// every invocation gets it. gb and lo are multiples of 4 (layout boundaries), so
// it reads whole vec4s up to the last multiple of 4 and the rest word by word.
// Uniform control flow.
fn grad_sumsq(lid: u32, gb: u32, lo: u32, hi: u32) -> f32 {
    let hi4 = lo + (hi - lo) / 4u * 4u;
    var acc = vec4<f32>(0.0);
    for (var k = lo + 4u * lid; k < hi4; k += 4u * WG) {
        let g = opt4_at(gb + k);
        acc += g * g;
    }
    for (var k = hi4 + lid; k < hi; k += WG) {
        let g = opt_at(gb + k);
        acc.x += g * g;
    }
    let s = wg_sum4(lid, acc);
    return (s.x + s.y) + (s.z + s.w);
}

// Global L2 norm of n gradients at opt[gb..]; every invocation gets it.
fn grad_norm(lid: u32, gb: u32, n: u32) -> f32 {
    return sqrt(grad_sumsq(lid, gb, 0u, n));
}

// Scale that clips a gradient of norm `norm` to at most `max_norm` (PyTorch's
// clip_grad_norm_: max_norm / (norm + 1e-6), never above 1).
fn clip_scale(norm: f32, max_norm: f32) -> f32 {
    return min(1.0, max_norm / (norm + 1e-6));
}

const ADAM_B1: f32 = 0.9;
const ADAM_B2: f32 = 0.999;
const ADAM_EPS: f32 = 1e-5; // CleanRL / PureJaxRL PPO use eps 1e-5

// Adam on four parameters p with gradients g (already scaled) and moments m, v:
// the new (m, v, p).
fn adam4(g: vec4<f32>, m0: vec4<f32>, v0: vec4<f32>, p0: vec4<f32>, lr: f32, bc1: f32, bc2: f32) -> array<vec4<f32>, 3> {
    let m = ADAM_B1 * m0 + (1.0 - ADAM_B1) * g;
    let v = ADAM_B2 * v0 + (1.0 - ADAM_B2) * g * g;
    return array<vec4<f32>, 3>(m, v, p0 - lr * (m / bc1) / (sqrt(v / bc2) + ADAM_EPS));
}

// One Adam step (bias-corrected, step t >= 1) on parameters [lo, hi) with
// gradient opt[gb..] * scale, moments at opt[mb..] and opt[vb..]. pb, mb, vb, gb
// and lo are multiples of 4: whole vec4s up to the last multiple of 4, then word
// by word (the same arithmetic per word either way).
fn adam_step(lid: u32, lo: u32, hi: u32, pb: u32, mb: u32, vb: u32, gb: u32, lr: f32, scale: f32, t: f32) {
    let bc1 = 1.0 - pow(ADAM_B1, t);
    let bc2 = 1.0 - pow(ADAM_B2, t);
    let hi4 = lo + (hi - lo) / 4u * 4u;
    for (var k = lo + 4u * lid; k < hi4; k += 4u * WG) {
        let r = adam4(opt4_at(gb + k) * scale, opt4_at(mb + k), opt4_at(vb + k), param4_at(pb + k), lr, bc1, bc2);
        opt4_set(mb + k, r[0]);
        opt4_set(vb + k, r[1]);
        param4_set(pb + k, r[2]);
    }
    for (var k = hi4 + lid; k < hi; k += WG) {
        let r = adam4(vec4<f32>(opt_at(gb + k) * scale), vec4<f32>(opt_at(mb + k)), vec4<f32>(opt_at(vb + k)), vec4<f32>(param_at(pb + k)), lr, bc1, bc2);
        opt_set(mb + k, r[0].x);
        opt_set(vb + k, r[1].x);
        param_set(pb + k, r[2].x);
    }
}
