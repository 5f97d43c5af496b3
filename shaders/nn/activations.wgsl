// Hidden activations inside the dense layers (ACT_KIND comes from the generated
// network prelude; the functions are in act_fns.wgsl). What backward keeps
// depends on the kind:
//   ACT_SAVE_OUTPUT (tanh, relu): nothing extra: the derivative follows from the
//       output, which the next layer keeps as its input anyway;
//   ACT_SAVE_PRE (gelu, silu): the pre-activation, one f32 per element;
//   ACT_SAVE_CODES (regelu2, resilu2, retanh2): a 2-bit state per element.
// A 2-bit word covers four outputs x four samples (the dense layers' item): byte
// k is output 4q + k, bits 2s..2s+1 of it sample 4j + s; word (q, j) sits at
// index q * m4 + j of the layer's save region.

const ACT_SAVE_OUTPUT: u32 = 0u;
const ACT_SAVE_PRE: u32 = 1u;
const ACT_SAVE_CODES: u32 = 2u;

fn act_save_mode() -> u32 {
    switch ACT_KIND {
        case 0u, 1u: {
            return ACT_SAVE_PRE;
        }
        case 2u, 3u, 5u: {
            return ACT_SAVE_CODES;
        }
        default: {
            return ACT_SAVE_OUTPUT;
        }
    }
}

fn act_fwd4(z: vec4<f32>) -> vec4<f32> {
    return vec4<f32>(act_forward(z.x), act_forward(z.y), act_forward(z.z), act_forward(z.w));
}

// Derivative from the output y (tanh and relu only).
fn act_grad_from_out4(y: vec4<f32>) -> vec4<f32> {
    if (ACT_KIND == 6u) {
        return select(vec4<f32>(0.0), vec4<f32>(1.0), y > vec4<f32>(0.0));
    }
    return 1.0 - y * y;
}

fn act_grad_pre4(z: vec4<f32>) -> vec4<f32> {
    return vec4<f32>(act_grad(z.x), act_grad(z.y), act_grad(z.z), act_grad(z.w));
}

// The 2-bit states of four samples of one output, as a byte.
fn act_byte(z: vec4<f32>) -> u32 {
    return act_code(z.x) | (act_code(z.y) << 2u) | (act_code(z.z) << 4u) | (act_code(z.w) << 6u);
}

// Slopes of output byte k's four samples.
fn act_slopes4(word: u32, k: u32) -> vec4<f32> {
    let b = (word >> (8u * k)) & 0xffu;
    return vec4<f32>(act_slope(b & 3u), act_slope((b >> 2u) & 3u), act_slope((b >> 4u) & 3u), act_slope((b >> 6u) & 3u));
}

// Words live in the f32 scratch as raw bits, four per vec4.
fn act_word_store(base: u32, w: u32, word: u32) {
    scratch[base + w / 4u][w % 4u] = bitcast<f32>(word);
}
fn act_word_load(base: u32, w: u32) -> u32 {
    return bitcast<u32>(scratch[base + w / 4u][w % 4u]);
}

// The derivative multiplier of element (feature i, sample block j) of a layer's
// activation, from what that layer saved (`y`: its outputs, `save`: its save region).
fn act_deriv4(y: u32, save: u32, i: u32, j: u32, m4: u32) -> vec4<f32> {
    switch act_save_mode() {
        case 1u: {
            return act_grad_pre4(scratch[save + i * m4 + j]);
        }
        case 2u: {
            return act_slopes4(act_word_load(save, (i / 4u) * m4 + j), i % 4u);
        }
        default: {
            return act_grad_from_out4(scratch[y + i * m4 + j]);
        }
    }
}
