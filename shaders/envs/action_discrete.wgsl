// Discrete action space: an action is an index in [0, NUM_ACTIONS), stored as one u32.
alias Action = u32;

fn random_action(r: ptr<function, Rng>) -> Action {
    return min(u32(rng_uniform(r) * f32(NUM_ACTIONS)), NUM_ACTIONS - 1u);
}
