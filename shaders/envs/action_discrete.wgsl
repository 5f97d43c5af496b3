// Discrete action space: an action is an index in [0, NUM_ACTIONS), stored as one u32.
alias Action = u32;
const ACTION_WORDS: u32 = 1u;

fn random_action(r: ptr<function, Rng>) -> Action {
    return min(u32(rng_uniform(r) * f32(NUM_ACTIONS)), NUM_ACTIONS - 1u);
}

// The action stored in an actions buffer (the host API checks the range).
fn action_from_words(w: array<u32, ACTION_WORDS>) -> Action {
    return w[0];
}
