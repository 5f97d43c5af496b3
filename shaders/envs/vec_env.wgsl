// The general vectorised env kernel: one invocation per (agent, env), any env
// module. It resets, observes, or steps `steps` times with actions from the
// `actions` buffer or drawn from the counter-based RNG, auto-resetting finished
// episodes, and keeps the time limit (truncation) apart from termination.
// Between steps the state stays in registers; only the last step's results are written.

const MODE_RESET: u32 = 0u;
const MODE_STEP: u32 = 1u;        // actions from the buffer (host API, policies)
const MODE_STEP_RANDOM: u32 = 2u; // uniform random actions (benches, smoke tests)
const MODE_OBSERVE: u32 = 3u;     // recompute observations after the host set states

struct VecEnvParams {
    envs: u32,   // envs per agent
    agents: u32,
    seed: u32,
    steps: u32,  // steps per dispatch
    mode: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

// What one step produced. On a finished episode `episode_return` and
// `episode_length` describe it and `final_obs` holds its last observation
// (the observation in `obs` is then the first of the next episode).
struct StepOut {
    reward: f32,
    flags: u32,
    episode_return: f32,
    episode_length: u32,
}

@group(0) @binding(0) var<uniform> P: VecEnvParams;
@group(0) @binding(1) var<storage, read_write> states: array<EnvState>;
@group(0) @binding(2) var<storage, read_write> env_meta: array<EnvMeta>;
@group(0) @binding(3) var<storage, read_write> env_params: array<EnvParams>;
@group(0) @binding(4) var<storage, read_write> actions: array<u32>;
@group(0) @binding(5) var<storage, read_write> obs: array<f32>;
@group(0) @binding(6) var<storage, read_write> final_obs: array<f32>;
@group(0) @binding(7) var<storage, read_write> step_out: array<StepOut>;

// Env g's action: ACTION_WORDS words (a discrete index, or box floats as bits).
fn load_action(g: u32) -> Action {
    var w: array<u32, ACTION_WORDS>;
    for (var k = 0u; k < ACTION_WORDS; k++) {
        w[k] = actions[g * ACTION_WORDS + k];
    }
    return action_from_words(w);
}

fn write_obs(g: u32, o: array<f32, OBS_OUT>) {
    for (var k = 0u; k < OBS_OUT; k++) {
        obs[g * OBS_OUT + k] = o[k];
    }
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let g = gid.x + gid.y * nwg.x * 64u;
    if (g >= P.envs * P.agents) {
        return;
    }
    let agent = g / P.envs;
    let env = g % P.envs;
    var p = env_params[g];
    var s = states[g];
    var m = env_meta[g];
    let reset_key = rng_key(P.seed, agent, STREAM_RESET);
    let task_key = rng_key(P.seed, agent, STREAM_TASK);

    if (P.mode == MODE_RESET) {
        // Bump the counter so this reset never reuses an auto-reset's key.
        m.counter += 1u;
        s = begin_episode(&p, &m, task_key, reset_key, env);
        states[g] = s;
        env_meta[g] = m;
        if (TASK_SAMPLES) {
            env_params[g] = p;
        }
        write_obs(g, observe(s, p));
        step_out[g] = StepOut(0.0, 0u, 0.0, 0u);
        return;
    }
    if (P.mode == MODE_OBSERVE) {
        write_obs(g, observe(s, p));
        return;
    }

    let action_key = rng_key(P.seed, agent, STREAM_ACTION);
    var out = StepOut(0.0, 0u, 0.0, 0u);
    for (var t = 0u; t < P.steps; t++) {
        var action: Action;
        if (P.mode == MODE_STEP_RANDOM) {
            var r = rng_at(action_key, env, m.counter);
            action = random_action(&r);
        } else {
            action = load_action(g);
        }
        let res = env_step(&s, p, action);
        m.counter += 1u;
        m.elapsed += 1u;
        m.episode_return += res.reward;
        // Gymnasium's TimeLimit: truncated once the limit is reached, whether or
        // not the episode also terminated on that step.
        let flags = select(0u, FLAG_TERMINATED, res.terminated)
            | select(0u, FLAG_TRUNCATED, m.elapsed >= MAX_EPISODE_STEPS);
        out = StepOut(res.reward, flags, 0.0, 0u);
        if (flags != 0u) {
            out.episode_return = m.episode_return;
            out.episode_length = m.elapsed;
            if (t + 1u == P.steps) {
                let fo = observe(s, p);
                for (var k = 0u; k < OBS_OUT; k++) {
                    final_obs[g * OBS_OUT + k] = fo[k];
                }
            }
            s = begin_episode(&p, &m, task_key, reset_key, env);
        }
    }
    states[g] = s;
    env_meta[g] = m;
    if (TASK_SAMPLES) {
        env_params[g] = p;
    }
    write_obs(g, observe(s, p));
    step_out[g] = out;
}
