// What the engine gives every env module. An env module defines:
//   struct EnvState  { ... }   4-byte scalar fields (f32, u32, i32) only
//   struct EnvParams { ... }   f32 fields: the env's (task) parameters
//   fn env_reset(p: EnvParams, rng: ptr<function, Rng>) -> EnvState
//   fn env_step(s: ptr<function, EnvState>, p: EnvParams, action: Action) -> StepResult
//   fn env_observe(s: EnvState, p: EnvParams) -> array<f32, OBS_DIM>
// The engine's generated prelude defines OBS_DIM, NUM_ACTIONS and
// MAX_EPISODE_STEPS; the action file defines `Action`. Time limits (truncation)
// and auto-reset are the engine's job, not the module's.

struct StepResult {
    reward: f32,
    terminated: bool,
}

// Engine bookkeeping kept per env beside its state.
struct EnvMeta {
    elapsed: u32,        // steps in the current episode (time limit)
    counter: u32,        // steps ever taken by this env: the RNG's step key
    episode_return: f32, // running return of the current episode
    _pad: u32,
}

const FLAG_TERMINATED: u32 = 1u;
const FLAG_TRUNCATED: u32 = 2u;
