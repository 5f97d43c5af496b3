// The PPO update. For each (epoch, minibatch) step it gathers a shuffled sample
// of the rollout, runs the actor and critic forward layer by layer, computes the
// clipped-surrogate, value and entropy losses and their gradients (the policy
// head's part: head_categorical_update or head_gaussian_update),
// backpropagates, and stores each network's sum of squared gradients; the next
// step starts with the Adam step of the one before, clipped by the global norm
// of both networks' gradients. With GROUPS = 1 one workgroup per agent does all
// of it, several steps per dispatch (as many as lavapipe's loop cap allows);
// with GROUPS = 2 the actor and the critic each have a workgroup and every
// step is a dispatch, since its Adam needs the other workgroup's sum. The last
// Adam step and the statistics close the update (the last dispatch, or with two
// groups a tail dispatch of one workgroup per agent). Phases are separated by
// storage barriers; every sum runs in a fixed order and both ways do the same
// arithmetic, so the update is deterministic and the same either way. The first
// dispatch files the rollout's finished episodes into the agent's statistics.
// Plan-time constants (sizes, offsets, flags) come from the generated prelude.

struct UpdateParams {
    seed: u32,
    agents: u32,
    first: u32,  // first (epoch * MINIBATCHES + minibatch) step of this dispatch
    count: u32,  // steps in this dispatch
    is_first: u32,
    is_last: u32, // ends with the last Adam step and the statistics
    groups: u32,  // workgroups per agent in this dispatch: GROUPS, or 1 in the tail
    iterations: u32, // planned iterations (a uniform: a new run length reuses the compiled kernel)
}

const RECENT: u32 = 100u;

struct AgentStats {
    iteration: u32,      // updates done (drives LR annealing and shuffle keys)
    adam_t: u32,         // Adam steps done
    episodes: u32,       // episodes finished so far
    nonfinite: u32,      // 1 once a loss or gradient was NaN or infinite
    policy_loss: f32,    // means over the last iteration's minibatches
    value_loss: f32,
    entropy: f32,
    approx_kl: f32,
    clip_frac: f32,
    lr: f32,             // learning rate used in the last iteration
    grad_norm: f32,      // mean pre-clip gradient norm
    first_bad_iteration: u32,
    bad_obs: u32,        // rollout steps whose observation was NaN or infinite
    _pad1: u32,
    _pad2: u32,
    _pad3: u32,
    // Running sums over the iteration's dispatches: policy loss, value loss,
    // entropy, approx KL, clip fraction, gradient norm (per-sample means already),
    // and the count of non-finite gradient norms; the critic's workgroup owns the
    // value loss, the actor's the others.
    sums: array<f32, 8>,
    recent_returns: array<f32, RECENT>, // ring of the last episode returns
    recent_lengths: array<f32, RECENT>,
}

@group(0) @binding(0) var<uniform> U: UpdateParams;
@group(0) @binding(1) var<storage, read_write> params: array<vec4<f32>>;
// Per agent: Adam m, Adam v, gradient; PARAMS_PER_AGENT each.
@group(0) @binding(2) var<storage, read_write> opt: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> traj: array<Transition>;
@group(0) @binding(4) var<storage, read_write> traj_obs: array<f32>;
@group(0) @binding(5) var<storage, read_write> scratch: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> hyper: array<AgentHyper>;
@group(0) @binding(7) var<storage, read_write> stats: array<AgentStats>;

// Scalar per-sample slot s of a region of M4 vec4s.
fn sget(off: u32, s: u32) -> f32 {
    return scratch[off + s / 4u][s % 4u];
}
fn sset(off: u32, s: u32, v: f32) {
    scratch[off + s / 4u][s % 4u] = v;
}

// What a workgroup works on: one network of a split update, or both (the
// index of its steps in FWD_RANGE and BWD_RANGE).
const ROLE_ACTOR: u32 = 0u;
const ROLE_CRITIC: u32 = 1u;
const ROLE_BOTH: u32 = 2u;

// The actor's parameters are its layers and the log-stds after the critic's.
fn actor_sumsq(lid: u32, gb: u32) -> f32 {
    var s = grad_sumsq(lid, gb, 0u, ACTOR_END);
    if (TRAINABLE > CRITIC_END) {
        s += grad_sumsq(lid, gb, CRITIC_END, TRAINABLE);
    }
    return s;
}

// Slot of a network's sum of squared gradients for a step (parity-buffered:
// one workgroup may write step s's while the other still reads step s - 1's).
fn sumsq_slot(ab: u32, step: u32, net: u32) -> u32 {
    return ab + SUMSQ_OFF + 2u * (step % 2u) + net;
}

// Adam step `step` of the iteration (Adam's t counts from `adam_t0` steps done
// before it) on the role's parameters, clipped by the global norm of both
// networks' gradients; returns that norm. Uniform control flow.
fn apply_adam(lid: u32, role: u32, ab: u32, pb: u32, mb_: u32, vb: u32, gb: u32, step: u32, adam_t0: u32, lr: f32, max_norm: f32) -> f32 {
    let norm = sqrt(scratch[sumsq_slot(ab, step, 0u)].x + scratch[sumsq_slot(ab, step, 1u)].x);
    let scale = clip_scale(norm, max_norm);
    let t = f32(adam_t0 + step + 1u);
    if (role == ROLE_BOTH) {
        adam_step(lid, 0u, TRAINABLE, pb, mb_, vb, gb, lr, scale, t);
    } else if (role == ROLE_ACTOR) {
        adam_step(lid, 0u, ACTOR_END, pb, mb_, vb, gb, lr, scale, t);
        adam_step(lid, CRITIC_END, TRAINABLE, pb, mb_, vb, gb, lr, scale, t);
    } else {
        adam_step(lid, ACTOR_END, CRITIC_END, pb, mb_, vb, gb, lr, scale, t);
    }
    barrier_storage();
    return norm;
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let agent = wid.x / U.groups;
    var role = ROLE_BOTH;
    if (U.groups > 1u) {
        role = wid.x % U.groups;
    }
    let actor = role != ROLE_CRITIC;
    let critic = role != ROLE_ACTOR;
    let pb = agent * PARAMS_PER_AGENT;
    let mb_ = agent * 3u * PARAMS_PER_AGENT;
    let vb = mb_ + PARAMS_PER_AGENT;
    let gb = vb + PARAMS_PER_AGENT;
    // The agent's first scratch block (it holds the gradient-norm slots), then this workgroup's.
    let ab = agent * GROUPS * SCRATCH_STRIDE;
    let sb = ab + select(0u, role, role != ROLE_BOTH) * SCRATCH_STRIDE;
    let tb = agent * BATCH;
    let hp = hyper[agent];
    let iteration = stats[agent].iteration;
    let adam_t0 = stats[agent].adam_t;

    if (U.is_first != 0u && actor) {
        file_episodes(lid, agent, tb);
    }

    var lr = hp.lr;
    if (ANNEAL_LR) {
        // Linear to 0 over the planned iterations; never negative if training runs on.
        lr = hp.lr * max(0.0, 1.0 - f32(iteration) / f32(U.iterations));
    }
    let inv_m = 1.0 / f32(M);
    // Per-invocation running sums: (policy loss, value loss, entropy, approx KL),
    // (clip frac, grad norm, non-finite grad norms).
    var acc_a = vec4<f32>(0.0);
    var acc_b = vec4<f32>(0.0);

    let h = feistel_half_bits(BATCH);
    for (var step = U.first; step < U.first + U.count; step++) {
        let epoch = step / MINIBATCHES;
        let mbi = step % MINIBATCHES;
        let key = shuffle_key(U.seed, agent, iteration, epoch);
        {
            // 0. The previous step's Adam.
            if (step > 0u) {
                let norm = apply_adam(lid, role, ab, pb, mb_, vb, gb, step - 1u, adam_t0, lr, hp.max_grad_norm);
                if (actor) {
                    acc_b.y += norm;
                    acc_b.z += select(0.0, 1.0, nonfinite(norm));
                }
            }

            // 1. Gather the minibatch (padding samples, when M is not a multiple of 4, are zero).
            var adv_sums = vec4<f32>(0.0);
            for (var s = lid; s < M4 * 4u; s += WG) {
                if (s < M) {
                    let i = perm_index(mbi * M + s, BATCH, h, key);
                    sset(sb + IDX_OFF, s, bitcast<f32>(i));
                    for (var k = 0u; k < OBS_OUT; k++) {
                        sset(sb + X_OFF + k * M4, s, norm_obs(pb, k, traj_obs[(tb + i) * OBS_OUT + k]));
                    }
                    let a = traj[tb + i].adv;
                    adv_sums += vec4<f32>(a, a * a, 0.0, 0.0);
                } else {
                    for (var k = 0u; k < OBS_OUT; k++) {
                        sset(sb + X_OFF + k * M4, s, 0.0);
                    }
                }
            }
            let adv_tot = wg_sum4(lid, adv_sums);
            barrier_storage();
            let adv_mean = adv_tot.x * inv_m;
            // Population std, as PureJaxRL (jnp.std); CleanRL's unbiased std differs by sqrt(M/(M-1)).
            let adv_std = sqrt(max(adv_tot.y * inv_m - adv_mean * adv_mean, 0.0));

            // 2. Forward: the role's steps of the generated table (one call site:
            // llvmpipe compiles a copy of the layers per call).
            let fwd = FWD_RANGE[role];
            run_forward(lid, pb, sb, M4, true, fwd.x, fwd.y);

            // 3. Losses and their gradients with respect to logits and value.
            let logits = sb + LOGITS_OFF;
            let values = sb + VALUES_OFF;
            head_begin();
            for (var s = lid; s < M4 * 4u; s += WG) {
                if (s >= M) {
                    if (actor) {
                        head_zero(sb + DLOGITS_OFF, s);
                    }
                    if (critic) {
                        sset(sb + DVALUES_OFF, s, 0.0);
                    }
                    continue;
                }
                let row = tb + bitcast<u32>(sget(sb + IDX_OFF, s));
                let tr = traj[row];
                if (actor) {
                    var adv = tr.adv;
                    if (NORM_ADV) {
                        adv = (adv - adv_mean) / (adv_std + 1e-8);
                    }
                    let he = head_eval(logits, s, row, tr, pb);
                    let logratio = he.logp - tr.logp;
                    let ratio = exp(logratio);
                    let clipped = clamp(ratio, 1.0 - hp.clip, 1.0 + hp.clip);
                    let pg1 = -adv * ratio;
                    let pg2 = -adv * clipped;
                    // d max(pg1, pg2) / d ratio: through pg1 when it is the max, else through
                    // the clamp, which passes gradient only inside the clip range.
                    var dratio = -adv;
                    if (pg2 > pg1 && (ratio < 1.0 - hp.clip || ratio > 1.0 + hp.clip)) {
                        dratio = 0.0;
                    }
                    head_grad(logits, sb + DLOGITS_OFF, s, row, tr, pb, he, dratio * ratio, hp.ent_coef, inv_m);
                    acc_a += vec4<f32>(max(pg1, pg2), 0.0, he.entropy, (ratio - 1.0) - logratio) * inv_m;
                    acc_b.x += select(0.0, 1.0, abs(ratio - 1.0) > hp.clip) * inv_m;
                }
                if (critic) {
                    let v = sget(values, s);
                    var vloss: f32;
                    var dv: f32;
                    if (CLIP_VLOSS) {
                        let vu = (v - tr.ret) * (v - tr.ret);
                        let vc = tr.value + clamp(v - tr.value, -hp.clip, hp.clip);
                        let vcl = (vc - tr.ret) * (vc - tr.ret);
                        vloss = 0.5 * max(vu, vcl);
                        if (vu >= vcl) {
                            dv = v - tr.ret;
                        } else if (abs(v - tr.value) <= hp.clip) {
                            dv = vc - tr.ret;
                        } else {
                            dv = 0.0;
                        }
                    } else {
                        vloss = 0.5 * (v - tr.ret) * (v - tr.ret);
                        dv = v - tr.ret;
                    }
                    sset(sb + DVALUES_OFF, s, hp.vf_coef * dv * inv_m);
                    acc_a.y += vloss * inv_m;
                }
            }
            barrier_storage();

            // 4. Backward, from the heads down (generated), and the head's own
            // parameters (a Gaussian's log-stds).
            let bwd = BWD_RANGE[role];
            run_backward(lid, pb, gb, sb, M4, bwd.x, bwd.y);
            if (actor) {
                head_finish(lid, gb, hp.ent_coef);
            }
            barrier_storage();

            // 5. Each network's sum of squared gradients, for the next step's Adam.
            if (actor) {
                let s0 = actor_sumsq(lid, gb);
                if (lid == 0u) {
                    scratch[sumsq_slot(ab, step, 0u)] = vec4<f32>(s0, 0.0, 0.0, 0.0);
                }
            }
            if (critic) {
                let s1 = grad_sumsq(lid, gb, ACTOR_END, CRITIC_END);
                if (lid == 0u) {
                    scratch[sumsq_slot(ab, step, 1u)] = vec4<f32>(s1, 0.0, 0.0, 0.0);
                }
            }
            barrier_storage();
        }
    }
    // The update's last Adam step (both networks: one workgroup per agent here).
    if (U.is_last != 0u) {
        let norm = apply_adam(lid, ROLE_BOTH, ab, pb, mb_, vb, gb, EPOCHS * MINIBATCHES - 1u, adam_t0, lr, hp.max_grad_norm);
        acc_b.y += norm;
        acc_b.z += select(0.0, 1.0, nonfinite(norm));
    }

    // Sums over this dispatch's minibatches; every invocation added the same
    // grad norms (and non-finite counts), so divide those by WG. Each workgroup
    // keeps to its own sums.
    let ta = wg_sum4(lid, acc_a);
    let tb2 = wg_sum4(lid, acc_b);
    if (lid == 0u) {
        if (actor) {
            if (U.is_first != 0u) {
                for (var k = 0u; k < 8u; k++) {
                    if (k != 1u) {
                        stats[agent].sums[k] = 0.0;
                    }
                }
            }
            stats[agent].sums[0] += ta.x;
            stats[agent].sums[2] += ta.z;
            stats[agent].sums[3] += ta.w;
            stats[agent].sums[4] += tb2.x;
            stats[agent].sums[5] += tb2.y / f32(WG);
            stats[agent].sums[6] += tb2.z / f32(WG);
        }
        if (critic) {
            if (U.is_first != 0u) {
                stats[agent].sums[1] = 0.0;
            }
            stats[agent].sums[1] += ta.y;
        }
        if (U.is_last != 0u) {
            let sums = stats[agent].sums;
            let broken = sums[6] > 0.0 || nonfinite(sums[0]) || nonfinite(sums[1]) || nonfinite(sums[2]);
            if (broken && stats[agent].nonfinite == 0u) {
                stats[agent].nonfinite = 1u;
                stats[agent].first_bad_iteration = iteration;
            }
            let upd = f32(EPOCHS * MINIBATCHES);
            stats[agent].policy_loss = sums[0] / upd;
            stats[agent].value_loss = sums[1] / upd;
            stats[agent].entropy = sums[2] / upd;
            stats[agent].approx_kl = sums[3] / upd;
            stats[agent].clip_frac = sums[4] / upd;
            stats[agent].grad_norm = sums[5] / upd;
            stats[agent].lr = lr;
            stats[agent].adam_t = adam_t0 + EPOCHS * MINIBATCHES;
            stats[agent].iteration = iteration + 1u;
        }
    }
}

// Files the episodes that ended during the rollout into the agent's ring of
// recent returns, in (step, env) order. Lanes scan contiguous ranges; an
// exclusive prefix sum of their counts gives each episode its number.
fn file_episodes(lid: u32, agent: u32, tb: u32) {
    let per = (BATCH + WG - 1u) / WG;
    let lo = min(lid * per, BATCH);
    let hi = min(lo + per, BATCH);
    var count = 0u;
    var bad = 0u;
    for (var i = lo; i < hi; i++) {
        let f = traj[tb + i].flags;
        count += select(0u, 1u, (f & 3u) != 0u);
        bad += select(0u, 1u, (f & FLAG_BAD_OBS) != 0u);
    }
    // Hillis-Steele inclusive scan over the workgroup (counts are exact in f32).
    red[lid] = vec4<f32>(f32(count), f32(bad), 0.0, 0.0);
    barrier_workgroup();
    for (var off = 1u; off < WG; off <<= 1u) {
        var v = red[lid].xy;
        if (lid >= off) {
            v += red[lid - off].xy;
        }
        barrier_workgroup();
        red[lid] = vec4<f32>(v, 0.0, 0.0);
        barrier_workgroup();
    }
    let before = u32(red[lid].x) - count;
    let total = u32(red[WG - 1u].x);
    let total_bad = u32(red[WG - 1u].y);
    barrier_workgroup();
    let n0 = stats[agent].episodes;
    barrier_storage();
    var n = n0 + before;
    for (var i = lo; i < hi; i++) {
        let tr = traj[tb + i];
        if ((tr.flags & 3u) != 0u) {
            // Only the last RECENT episodes can survive in the ring.
            if (n + RECENT >= n0 + total) {
                stats[agent].recent_returns[n % RECENT] = tr.ep_return;
                stats[agent].recent_lengths[n % RECENT] = f32((tr.flags >> 2u) & EPISODE_LENGTH_MASK);
            }
            n++;
        }
    }
    barrier_storage();
    if (lid == 0u) {
        stats[agent].episodes = n0 + total;
        stats[agent].bad_obs += total_bad;
    }
    barrier_storage();
}
