// Activation functions, their exact derivatives, and the Approx-BP variants'
// 2-bit states and slopes. ACT_KIND selects one (an override constant):
//   0 gelu   1 silu   2 regelu2   3 resilu2   4 tanh   5 retanh2   6 relu
// The approximate variants share the exact forward (bitwise); backward multiplies
// the incoming gradient by a piecewise-constant slope picked by a 2-bit state
// saved in forward, 16 states per u32.

const SQRT1_2: f32 = 0.7071067811865476;
const INV_SQRT_2PI: f32 = 0.3989422804014327;

// erf via the complementary error function of Numerical Recipes (erfcc, a
// Chebyshev fit with fractional error < 1.2e-7 everywhere), so |erf error| <=
// 1.2e-7 * erfc <= 2.4e-7 and far less away from 0. WGSL has no erf.
fn erf_approx(x: f32) -> f32 {
    let z = abs(x);
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
        + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
        + t * (-0.82215223 + t * 0.17087277))))))));
    let erfc = t * exp(poly);
    return select(erfc - 1.0, 1.0 - erfc, x >= 0.0);
}

fn sigmoid(x: f32) -> f32 {
    return 1.0 / (1.0 + exp(-x));
}

// ReGELU2 and ReSiLU2 constants (LowMemoryBP paper and code): thresholds c1..c3
// and the slopes of the four states: 0, a1, a1 + a2, a1 + a2 + a3 (= 1).
const REGELU2_C: vec3<f32> = vec3<f32>(-3.1858810036855245, -0.001178821281161997, 3.190832613414926);
const REGELU2_SLOPE: vec4<f32> = vec4<f32>(0.0, -0.04922261145617846, 1.0487405950855513, 1.0);
const RESILU2_C: vec3<f32> = vec3<f32>(-6.3050461001646445, -0.0008684942046214787, 6.325815242089708);
const RESILU2_SLOPE: vec4<f32> = vec4<f32>(0.0, -0.04060357190528599, 1.0403218566243821, 1.0);
// ReTanh2: odd piecewise-linear fit of tanh (scripts/fit_retanh2.py ->
// data/retanh2.json): slope s1 for |x| < t1, s2 for t1 <= |x| < t2, 0 beyond.
const RETANH2_T: vec2<f32> = vec2<f32>(0.8187295739585569, 1.9793380488102166);
const RETANH2_SLOPE: vec4<f32> = vec4<f32>(0.8871738793284787, 0.23577676165531156, 0.0, 0.0);

fn act_forward(x: f32) -> f32 {
    switch ACT_KIND {
        case 0u, 2u: {
            return 0.5 * x * (1.0 + erf_approx(x * SQRT1_2));
        }
        case 1u, 3u: {
            return x * sigmoid(x);
        }
        case 4u, 5u: {
            // Clamped: some drivers compute tanh through exp and overflow.
            return tanh(clamp(x, -15.0, 15.0));
        }
        default: {
            return max(x, 0.0);
        }
    }
}

// Exact derivative at the input x.
fn act_grad(x: f32) -> f32 {
    switch ACT_KIND {
        case 0u, 2u: {
            return 0.5 * (1.0 + erf_approx(x * SQRT1_2)) + x * INV_SQRT_2PI * exp(-0.5 * x * x);
        }
        case 1u, 3u: {
            let s = sigmoid(x);
            return s * (1.0 + x * (1.0 - s));
        }
        case 4u, 5u: {
            let t = tanh(clamp(x, -15.0, 15.0));
            return 1.0 - t * t;
        }
        default: {
            return select(0.0, 1.0, x > 0.0);
        }
    }
}

// Whether ACT_KIND saves a 2-bit state instead of its input.
fn act_is_approx() -> bool {
    return ACT_KIND == 2u || ACT_KIND == 3u || ACT_KIND == 5u;
}

// The 2-bit state of x (approximate kinds).
fn act_code(x: f32) -> u32 {
    if (ACT_KIND == 5u) {
        let a = abs(x);
        return select(0u, 1u, a >= RETANH2_T.x) + select(0u, 1u, a >= RETANH2_T.y);
    }
    var c = REGELU2_C;
    if (ACT_KIND == 3u) {
        c = RESILU2_C;
    }
    return select(0u, 1u, x > c.x) + select(0u, 1u, x > c.y) + select(0u, 1u, x > c.z);
}

// The backward slope of a 2-bit state.
fn act_slope(code: u32) -> f32 {
    if (ACT_KIND == 5u) {
        return RETANH2_SLOPE[code];
    }
    if (ACT_KIND == 3u) {
        return RESILU2_SLOPE[code];
    }
    return REGELU2_SLOPE[code];
}
