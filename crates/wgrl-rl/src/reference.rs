//! CPU reference of the PPO minibatch loss and its gradient, with the update
//! kernel's formulas (CleanRL / PureJaxRL semantics), for tests.

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
pub struct LossOptions {
    /// Normalise advantages over the minibatch.
    pub norm_adv: bool,
    /// Clip the value loss.
    pub clip_vloss: bool,
}

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
    let actor = cpu::mlp_forward(net, 0, params, obs, m);
    let critic = cpu::mlp_forward(net, 1, params, obs, m);
    let logits = actor.last().unwrap();
    let values = critic.last().unwrap();
    let a_n = net.layers[net.nets[0].0 + net.nets[0].1 - 1].n_out as usize;
    let mut dlogits = vec![0.0f32; m * a_n];
    let mut dvalues = vec![0.0f32; m];
    let mut terms = LossTerms::default();
    for (s, tr) in trs.iter().enumerate() {
        let adv = if opt.norm_adv {
            (tr.adv - mean) / (std + 1e-8)
        } else {
            tr.adv
        };
        let l = &logits[s * a_n..(s + 1) * a_n];
        let mx = l.iter().cloned().fold(f32::MIN, f32::max);
        let lse = mx + l.iter().map(|x| (x - mx).exp()).sum::<f32>().ln();
        let entropy: f32 = -l.iter().map(|x| (x - lse).exp() * (x - lse)).sum::<f32>();
        let new_logp = l[tr.action as usize] - lse;
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
        for k in 0..a_n {
            let lp = l[k] - lse;
            let pk = lp.exp();
            let onehot = if k == tr.action as usize { 1.0 } else { 0.0 };
            dlogits[s * a_n + k] =
                (dlogp * (onehot - pk) + hp.ent_coef * pk * (lp + entropy)) * inv_m;
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
        cpu::mlp_backward(net, 0, params, &actor, &dlogits, m, g);
        cpu::mlp_backward(net, 1, params, &critic, &dvalues, m, g);
    }
    terms
}
