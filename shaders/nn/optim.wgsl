// Global gradient-norm clipping and Adam, for kernels in which one workgroup of
// WG invocations owns one agent's parameters (reductions: common/reduce.wgsl).

// Sum of squares of the gradients opt[gb + lo .. gb + hi), in a fixed order;
// every invocation gets it. Uniform control flow.
fn grad_sumsq(lid: u32, gb: u32, lo: u32, hi: u32) -> f32 {
    var acc = 0.0;
    for (var k = lo + lid; k < hi; k += WG) {
        let g = opt[gb + k];
        acc += g * g;
    }
    return wg_sum4(lid, vec4<f32>(acc, 0.0, 0.0, 0.0)).x;
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

// One Adam step (bias-corrected, step t >= 1) on parameters [lo, hi) with
// gradient opt[gb..] * scale, moments at opt[mb..] and opt[vb..].
fn adam_step(lid: u32, lo: u32, hi: u32, pb: u32, mb: u32, vb: u32, gb: u32, lr: f32, scale: f32, t: f32) {
    let bc1 = 1.0 - pow(ADAM_B1, t);
    let bc2 = 1.0 - pow(ADAM_B2, t);
    for (var k = lo + lid; k < hi; k += WG) {
        let g = opt[gb + k] * scale;
        let m = ADAM_B1 * opt[mb + k] + (1.0 - ADAM_B1) * g;
        let v = ADAM_B2 * opt[vb + k] + (1.0 - ADAM_B2) * g * g;
        opt[mb + k] = m;
        opt[vb + k] = v;
        params[pb + k] -= lr * (m / bc1) / (sqrt(v / bc2) + ADAM_EPS);
    }
}
