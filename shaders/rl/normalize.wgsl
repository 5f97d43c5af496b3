// Observation normalisation and reward scaling (Gymnasium's NormalizeObservation
// and NormalizeReward, with CleanRL's clip at +-NORM_CLIP). The running
// statistics live in the agent's non-trainable block at STATE_OFF, so they
// travel into checkpoints with the parameters:
//   [obs mean x OBS_OUT | obs var x OBS_OUT | obs count | return mean | return var | return count]
// They are frozen during an iteration (the rollout and the update see the same
// normalisation) and merged with the iteration's batch at its end (norm_update.wgsl).
// NORM_OBS, NORM_REWARD and NORM_CLIP come from the generated plan.

const NORM_EPS: f32 = 1e-8;
const NS_OBS_COUNT: u32 = 2u * OBS_OUT;
const NS_RET_MEAN: u32 = 2u * OBS_OUT + 1u;
const NS_RET_VAR: u32 = 2u * OBS_OUT + 2u;
const NS_RET_COUNT: u32 = 2u * OBS_OUT + 3u;

// Feature k of an observation as the network sees it (pb: the agent's parameter base).
fn norm_obs(pb: u32, k: u32, x: f32) -> f32 {
    if (!NORM_OBS) {
        return x;
    }
    let mean = param_at(pb + STATE_OFF + k);
    let v = param_at(pb + STATE_OFF + OBS_OUT + k);
    return clamp((x - mean) / sqrt(v + NORM_EPS), -NORM_CLIP, NORM_CLIP);
}

// A reward as GAE sees it: divided by the running std of the discounted return.
fn scale_reward(pb: u32, r: f32) -> f32 {
    if (!NORM_REWARD) {
        return r;
    }
    let v = param_at(pb + STATE_OFF + NS_RET_VAR);
    return clamp(r / sqrt(v + NORM_EPS), -NORM_CLIP, NORM_CLIP);
}
