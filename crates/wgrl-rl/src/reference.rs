//! CPU reference of the PPO minibatch loss and its gradient, with the update
//! kernel's formulas (CleanRL / PureJaxRL semantics) for the categorical and the
//! diagonal Gaussian policy head, for tests.

use crate::ppo::{AgentHyper, Transition};
use wgrl_nn::{NetLayout, cpu};

/// Loss terms of one minibatch (means over samples).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LossTerms {
    /// Clipped surrogate.
    pub policy: f64,
    /// (Clipped) value loss.
    pub value: f64,
    /// Mean entropy.
    pub entropy: f64,
    /// Total: policy + vf_coef * value - ent_coef * entropy.
    pub total: f64,
}

/// Options that are plan constants on the GPU.
#[derive(Debug, Clone, Copy)]
pub struct LossOptions<'a> {
    /// Normalise advantages over the minibatch.
    pub norm_adv: bool,
    /// Clip the value loss.
    pub clip_vloss: bool,
    /// The policy head.
    pub head: Head<'a>,
}

/// The policy head of the loss.
#[derive(Debug, Clone, Copy)]
pub enum Head<'a> {
    /// Softmax over the actor's outputs; actions from the transitions.
    Categorical,
    /// Diagonal Gaussian: the actor's outputs are means, the log-stds are the
    /// parameters at `net.log_std`; `actions` holds each sample's raw action
    /// (`action_dim` floats per sample, sample-major).
    Gaussian {
        /// Raw sampled actions.
        actions: &'a [f32],
    },
}

/// log(2 pi) / 2.
const HALF_LOG_2PI: f32 = 0.918_938_5;

/// The loss of `params` on samples (`obs` sample-major, `trs`) and, if `grad` is
/// given, its gradient added into `grad`.
pub fn minibatch_loss(
    net: &NetLayout,
    params: &[f32],
    obs: &[f32],
    trs: &[Transition],
    hp: &AgentHyper,
    opt: LossOptions,
    grad: Option<&mut [f32]>,
) -> LossTerms {
    let m = trs.len();
    let inv_m = 1.0 / m as f32;
    let (mean, std) = {
        let mean = trs.iter().map(|t| t.adv).sum::<f32>() * inv_m;
        let sq = trs.iter().map(|t| t.adv * t.adv).sum::<f32>() * inv_m;
        (mean, (sq - mean * mean).max(0.0).sqrt())
    };
    let actor = cpu::net_forward(net, 0, params, obs, m);
    let critic = cpu::net_forward(net, 1, params, obs, m);
    let logits = actor.output();
    let values = critic.output();
    let a_n = net.layers[net.nets[0].0 + net.nets[0].1 - 1].n_out as usize;
    let mut dlogits = vec![0.0f32; m * a_n];
    let mut dvalues = vec![0.0f32; m];
    let mut dlog_std = vec![0.0f32; a_n];
    let mut terms = LossTerms::default();
    for (s, tr) in trs.iter().enumerate() {
        let adv = if opt.norm_adv {
            (tr.adv - mean) / (std + 1e-8)
        } else {
            tr.adv
        };
        let l = &logits[s * a_n..(s + 1) * a_n];
        // Log-prob of the sample's action and the entropy (and, categorical, the log-sum-exp).
        let (new_logp, entropy, lse) = match opt.head {
            Head::Categorical => {
                let mx = l.iter().cloned().fold(f32::MIN, f32::max);
                let lse = mx + l.iter().map(|x| (x - mx).exp()).sum::<f32>().ln();
                let entropy: f32 = -l.iter().map(|x| (x - lse).exp() * (x - lse)).sum::<f32>();
                (l[tr.action as usize] - lse, entropy, lse)
            }
            Head::Gaussian { actions } => {
                let (off, _) = net.log_std.expect("a Gaussian head needs log-stds");
                let (mut logp, mut entropy) = (0.0, 0.0);
                for k in 0..a_n {
                    let ls = params[off as usize + k];
                    let z = (actions[s * a_n + k] - l[k]) * (-ls).exp();
                    logp += -0.5 * z * z - ls - HALF_LOG_2PI;
                    entropy += ls + 0.5 + HALF_LOG_2PI;
                }
                (logp, entropy, 0.0)
            }
        };
        let logratio = new_logp - tr.logp;
        let ratio = logratio.exp();
        let clipped = ratio.clamp(1.0 - hp.clip, 1.0 + hp.clip);
        let (pg1, pg2) = (-adv * ratio, -adv * clipped);
        let dratio = if pg2 > pg1 && (ratio < 1.0 - hp.clip || ratio > 1.0 + hp.clip) {
            0.0
        } else {
            -adv
        };
        let dlogp = dratio * ratio;
        match opt.head {
            Head::Categorical => {
                for k in 0..a_n {
                    let lp = l[k] - lse;
                    let pk = lp.exp();
                    let onehot = if k == tr.action as usize { 1.0 } else { 0.0 };
                    dlogits[s * a_n + k] =
                        (dlogp * (onehot - pk) + hp.ent_coef * pk * (lp + entropy)) * inv_m;
                }
            }
            Head::Gaussian { actions } => {
                let (off, _) = net.log_std.expect("a Gaussian head needs log-stds");
                for k in 0..a_n {
                    let ls = params[off as usize + k];
                    let inv_std = (-ls).exp();
                    let z = (actions[s * a_n + k] - l[k]) * inv_std;
                    dlogits[s * a_n + k] = dlogp * z * inv_std * inv_m;
                    dlog_std[k] += dlogp * (z * z - 1.0) * inv_m;
                }
            }
        }
        let v = values[s];
        let (vloss, dv) = if opt.clip_vloss {
            let vu = (v - tr.ret).powi(2);
            let vc = tr.value + (v - tr.value).clamp(-hp.clip, hp.clip);
            let vcl = (vc - tr.ret).powi(2);
            let dv = if vu >= vcl {
                v - tr.ret
            } else if (v - tr.value).abs() <= hp.clip {
                vc - tr.ret
            } else {
                0.0
            };
            (0.5 * vu.max(vcl), dv)
        } else {
            (0.5 * (v - tr.ret).powi(2), v - tr.ret)
        };
        dvalues[s] = hp.vf_coef * dv * inv_m;
        terms.policy += pg1.max(pg2) as f64 / m as f64;
        terms.value += vloss as f64 / m as f64;
        terms.entropy += entropy as f64 / m as f64;
    }
    terms.total =
        terms.policy + hp.vf_coef as f64 * terms.value - hp.ent_coef as f64 * terms.entropy;
    if let Some(g) = grad {
        cpu::net_backward(net, 0, params, &actor, &dlogits, m, g);
        cpu::net_backward(net, 1, params, &critic, &dvalues, m, g);
        if let (Head::Gaussian { .. }, Some((off, _))) = (opt.head, net.log_std) {
            // The entropy bonus adds -ent_coef per log-std (its mean over samples).
            for (k, d) in dlog_std.iter().enumerate() {
                g[off as usize + k] += d - hp.ent_coef;
            }
        }
    }
    terms
}
