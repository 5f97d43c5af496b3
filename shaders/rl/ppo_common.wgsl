// Types shared by the PPO rollout, GAE and update kernels.

struct RolloutParams {
    envs: u32,   // envs per agent
    agents: u32,
    seed: u32,
    steps: u32,  // T: the whole rollout
    t0: u32,     // first step of this chunk
    count: u32,  // steps in this chunk
    greedy: u32, // 1: most likely action (evaluation)
    last: u32,   // 1: the final chunk (store next values)
}

// Per-agent hyper-parameters (sweeps give agents different values).
struct AgentHyper {
    lr: f32,
    gamma: f32,
    gae_lambda: f32,
    clip: f32,
    ent_coef: f32,
    vf_coef: f32,
    max_grad_norm: f32,
    _pad: f32,
}

// One step of one env. `flags`: bit 0 terminated, bit 1 truncated, bits 2..30 the
// episode's length when it ended at this step, bit 31 FLAG_BAD_OBS.
struct Transition {
    action: u32,
    flags: u32,
    logp: f32,
    value: f32,
    reward: f32,
    boot_value: f32,
    adv: f32,
    ret: f32,
    ep_return: f32,
}

// The observation of this step had a NaN or infinite value: the network saw 0
// there instead, and the episode was ended (reset) after the step.
const FLAG_BAD_OBS: u32 = 0x80000000u;
const EPISODE_LENGTH_MASK: u32 = 0x1fffffffu;

fn nonfinite(x: f32) -> bool {
    // Bit test: fast-math compilers may fold x != x away.
    return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u;
}
