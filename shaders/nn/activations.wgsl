// Hidden-layer activations, chosen by the generated constant HIDDEN_ACT
// (0 = tanh, 1 = relu). Derivatives are taken from the activation's output,
// which is what the dense layers keep for backward.

fn act_fwd(x: f32) -> f32 {
    if (HIDDEN_ACT == 0u) {
        // Clamped: some drivers evaluate tanh through exp and return NaN for large
        // |x|; tanh(15) already rounds to 1 in f32.
        return tanh(clamp(x, -15.0, 15.0));
    }
    return max(x, 0.0);
}

fn act_fwd4(x: vec4<f32>) -> vec4<f32> {
    if (HIDDEN_ACT == 0u) {
        return tanh(clamp(x, vec4<f32>(-15.0), vec4<f32>(15.0)));
    }
    return max(x, vec4<f32>(0.0));
}

// d act / d x expressed through y = act(x).
fn act_grad4(y: vec4<f32>) -> vec4<f32> {
    if (HIDDEN_ACT == 0u) {
        return 1.0 - y * y;
    }
    return select(vec4<f32>(0.0), vec4<f32>(1.0), y > vec4<f32>(0.0));
}
