// Box action space: ACTION_DIM floats, bounded by ACTION_LOW and ACTION_HIGH
// (generated from the descriptor). The engine clips every action to the box
// before the env sees it, as Gymnasium's ClipAction wrapper does, so policies
// may sample outside it and env modules only ever see actions inside it.
alias Action = array<f32, ACTION_DIM>;
const ACTION_WORDS: u32 = ACTION_DIM;

fn clip_action(a: Action) -> Action {
    var c = a;
    for (var k = 0u; k < ACTION_DIM; k++) {
        c[k] = clamp(a[k], ACTION_LOW[k], ACTION_HIGH[k]);
    }
    return c;
}

// Uniform in the box (Gymnasium's Box.sample for bounded boxes).
fn random_action(r: ptr<function, Rng>) -> Action {
    var a: Action;
    for (var k = 0u; k < ACTION_DIM; k++) {
        a[k] = ACTION_LOW[k] + (ACTION_HIGH[k] - ACTION_LOW[k]) * rng_uniform(r);
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
