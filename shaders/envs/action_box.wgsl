// Box action space: ACTION_DIM floats, bounded by ACTION_LOW and ACTION_HIGH
// (generated from the descriptor). The engine clips every action to the box
// before the env sees it, as Gymnasium's ClipAction wrapper does, so policies
// may sample outside it and env modules only ever see actions inside it.
alias Action = array<f32, ACTION_DIM>;
const ACTION_WORDS: u32 = ACTION_DIM;

// The bounds are copied into variables once per call: indexing a const array at
// run time makes naga copy it into a temporary at every access.
fn clip_action(a: Action) -> Action {
    var c = a;
    var lo = ACTION_LOW;
    var hi = ACTION_HIGH;
    for (var k = 0u; k < ACTION_DIM; k++) {
        c[k] = clamp(c[k], lo[k], hi[k]);
    }
    return c;
}

// Uniform in the box (Gymnasium's Box.sample for bounded boxes).
fn random_action(r: ptr<function, Rng>) -> Action {
    var a: Action;
    var lo = ACTION_LOW;
    var hi = ACTION_HIGH;
    for (var k = 0u; k < ACTION_DIM; k++) {
        a[k] = lo[k] + (hi[k] - lo[k]) * rng_uniform(r);
    }
    return a;
}

// The action stored (as f32 bits) in an actions buffer, clipped to the box.
fn action_from_words(w: array<u32, ACTION_WORDS>) -> Action {
    var a: Action;
    for (var k = 0u; k < ACTION_DIM; k++) {
        a[k] = bitcast<f32>(w[k]);
    }
    return clip_action(a);
}
