// Diagonal Gaussian policy head, update side. With z = (a - mean) / std:
//   logp = sum_k -z_k^2 / 2 - log_std_k - log(2 pi) / 2
//   entropy = sum_k log_std_k + (1 + log(2 pi)) / 2   (state-independent)
//   dlogp/dmean_k = z_k / std_k,  dlogp/dlog_std_k = z_k^2 - 1,  dentropy/dlog_std_k = 1.
// The means' gradients go down the actor; the log-std gradients are summed over
// the minibatch per invocation, then reduced over the workgroup (fixed order).

@group(0) @binding(8) var<storage, read_write> traj_act: array<f32>;

const HALF_LOG_2PI: f32 = 0.9189385332046727;

struct HeadEval {
    logp: f32,
    entropy: f32,
    z: array<f32, ACTION_DIM>, // (a - mean) / std per dimension, reused by head_grad
}

var<private> log_std_grad: array<f32, ACTION_DIM>;

fn head_begin() {
    for (var k = 0u; k < ACTION_DIM; k++) {
        log_std_grad[k] = 0.0;
    }
}

fn head_eval(means: u32, s: u32, row: u32, tr: Transition, pb: u32) -> HeadEval {
    var he: HeadEval;
    he.logp = 0.0;
    he.entropy = 0.0;
    for (var k = 0u; k < ACTION_DIM; k++) {
        let log_std = param_at(pb + LOG_STD_OFF + k);
        let z = (traj_act[row * ACTION_DIM + k] - sget(means + k * M4, s)) * exp(-log_std);
        he.z[k] = z;
        he.logp += -0.5 * z * z - log_std - HALF_LOG_2PI;
        he.entropy += log_std + 0.5 + HALF_LOG_2PI;
    }
    return he;
}

fn head_grad(means: u32, dout: u32, s: u32, row: u32, tr: Transition, pb: u32, he: HeadEval, dlogp: f32, ent_coef: f32, inv_m: f32) {
    for (var k = 0u; k < ACTION_DIM; k++) {
        let z = he.z[k];
        let inv_std = exp(-param_at(pb + LOG_STD_OFF + k));
        sset(dout + k * M4, s, dlogp * z * inv_std * inv_m);
        log_std_grad[k] += dlogp * (z * z - 1.0) * inv_m;
    }
}

fn head_zero(dout: u32, s: u32) {
    for (var k = 0u; k < ACTION_DIM; k++) {
        sset(dout + k * M4, s, 0.0);
    }
}

// Writes the log-std gradients (the entropy bonus adds -ent_coef to each; its
// per-sample mean is the same constant). Uniform control flow.
fn head_finish(lid: u32, gb: u32, ent_coef: f32) {
    for (var k0 = 0u; k0 < ACTION_DIM; k0 += 4u) {
        var v = vec4<f32>(0.0);
        for (var j = 0u; j < 4u && k0 + j < ACTION_DIM; j++) {
            v[j] = log_std_grad[k0 + j];
        }
        let total = wg_sum4(lid, v);
        if (lid == 0u) {
            for (var j = 0u; j < 4u && k0 + j < ACTION_DIM; j++) {
                opt_set(gb + LOG_STD_OFF + k0 + j, total[j] - ent_coef);
            }
        }
    }
}
