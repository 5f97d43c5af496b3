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
