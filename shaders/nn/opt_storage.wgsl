// Word i of the optimizer's storage `opt` (gradients, Adam moments), an array of
// vec4s for the same reason as `params` (params_storage.wgsl): the gradient and
// moment blocks, every layer's weights and every network's range start at
// multiples of 4 words, so the weight gradient and Adam move four words at once.
fn opt_at(i: u32) -> f32 {
    return opt[i / 4u][i % 4u];
}

fn opt_set(i: u32, v: f32) {
    opt[i / 4u][i % 4u] = v;
}

// Words i .. i + 3 at any i, word by word (opt4_set needs a multiple of 4).
fn opt_set_words4(i: u32, v: vec4<f32>) {
    opt_set(i, v.x);
    opt_set(i + 1u, v.y);
    opt_set(i + 2u, v.z);
    opt_set(i + 3u, v.w);
}

// Words i .. i + 3; i must be a multiple of 4.
fn opt4_at(i: u32) -> vec4<f32> {
    return opt[i / 4u];
}

fn opt4_set(i: u32, v: vec4<f32>) {
    opt[i / 4u] = v;
}
