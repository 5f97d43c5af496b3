//! CPU references of the network kernels, in f32 with the kernels' formulas.
//! Batches are sample-major here (`x[s * n + f]`); the kernels' feature-major layout
//! is a storage detail the tests convert.

use crate::layout::{Activation, LayerLayout, NetLayout, Op};
use crate::norm::NormKind;

/// Pre-activations `z = W x + b` of a layer for `m` samples.
pub fn dense_preact(l: &LayerLayout, p: &[f32], x: &[f32], m: usize) -> Vec<f32> {
    let (ni, no) = (l.n_in as usize, l.n_out as usize);
    let mut z = vec![0.0; m * no];
    for s in 0..m {
        for o in 0..no {
            let mut acc = p[l.b as usize + o];
            for i in 0..ni {
                acc += p[l.w as usize + o * ni + i] * x[s * ni + i];
            }
            z[s * no + o] = acc;
        }
    }
    z
}

/// The factor backward multiplies by at pre-activation z: the exact derivative,
/// or the 2-bit state's slope for Approx-BP kinds.
pub fn act_deriv(a: Activation, z: f32) -> f32 {
    if a.is_approx() {
        a.slope(a.code(z))
    } else {
        a.grad(z)
    }
}

/// `y = act(W x + b)` for `m` samples.
pub fn dense_forward(l: &LayerLayout, a: Activation, p: &[f32], x: &[f32], m: usize) -> Vec<f32> {
    let z = dense_preact(l, p, x, m);
    if l.act {
        z.iter().map(|&v| a.forward(v)).collect()
    } else {
        z
    }
}

/// `dx = W^T dy`, times `deriv` (the derivative factors of the activation that
/// produced x, see [`act_deriv`]) when given.
pub fn dense_backward_input(
    l: &LayerLayout,
    p: &[f32],
    dy: &[f32],
    deriv: Option<&[f32]>,
    m: usize,
) -> Vec<f32> {
    let (ni, no) = (l.n_in as usize, l.n_out as usize);
    let mut dx = vec![0.0; m * ni];
    for s in 0..m {
        for i in 0..ni {
            let mut acc = 0.0;
            for o in 0..no {
                acc += p[l.w as usize + o * ni + i] * dy[s * no + o];
            }
            dx[s * ni + i] = match deriv {
                Some(d) => acc * d[s * ni + i],
                None => acc,
            };
        }
    }
    dx
}

/// Adds `dW = sum_s dy x^T` and `db = sum_s dy` into `g` (at the layer's offsets).
pub fn dense_weight_grad(l: &LayerLayout, dy: &[f32], x: &[f32], m: usize, g: &mut [f32]) {
    let (ni, no) = (l.n_in as usize, l.n_out as usize);
    for o in 0..no {
        for i in 0..ni {
            g[l.w as usize + o * ni + i] +=
                (0..m).map(|s| dy[s * no + o] * x[s * ni + i]).sum::<f32>();
        }
        g[l.b as usize + o] += (0..m).map(|s| dy[s * no + o]).sum::<f32>();
    }
}

/// What a network's forward pass computed: every tensor it wrote, and what its
/// backward needs besides (pre-activations, norm statistics), by step.
#[derive(Debug, Clone)]
pub struct NetActs {
    /// Tensor values by tensor index (empty for tensors of other networks).
    pub tensors: Vec<Vec<f32>>,
    /// Pre-activations of each step that applies the activation.
    pub pre: Vec<Option<Vec<f32>>>,
    /// (mean, r) per sample of each norm step.
    pub stats: Vec<Option<Vec<[f32; 2]>>>,
    /// The output tensor.
    pub output: usize,
}

impl NetActs {
    /// The network's output.
    pub fn output(&self) -> &[f32] {
        &self.tensors[self.output]
    }
}

/// Forward of network `net` on `m` samples `x` (sample-major).
pub fn net_forward(layout: &NetLayout, net: usize, p: &[f32], x: &[f32], m: usize) -> NetActs {
    let prog = &layout.programs[net];
    let mut t = vec![Vec::new(); layout.tensors.len()];
    t[prog.input] = x.to_vec();
    let mut pre = vec![None; prog.ops.len()];
    let mut stats = vec![None; prog.ops.len()];
    for (i, (_, op)) in prog.ops.iter().enumerate() {
        match *op {
            Op::Dense { layer, x, y, res } => {
                let l = &layout.layers[layer];
                let z = dense_preact(l, p, &t[x], m);
                let mut out: Vec<f32> = if l.act {
                    z.iter().map(|&v| layout.activation.forward(v)).collect()
                } else {
                    z.clone()
                };
                if let Some(r) = res {
                    for (o, v) in out.iter_mut().zip(&t[r]) {
                        *o += v;
                    }
                }
                if l.act {
                    pre[i] = Some(z);
                }
                t[y] = out;
            }
            Op::Norm { norm, x, y } => {
                let n = &layout.norms[norm];
                let (gamma, beta) = n.affine(p);
                let o = n.kind.forward(&t[x], n.h as usize, &gamma, &beta);
                t[y] = o.y;
                stats[i] = Some(o.stats);
            }
        }
    }
    NetActs {
        tensors: t,
        pre,
        stats,
        output: prog.output,
    }
}

/// The output of network `net` on `m` samples.
pub fn net_output(layout: &NetLayout, net: usize, p: &[f32], x: &[f32], m: usize) -> Vec<f32> {
    net_forward(layout, net, p, x, m).output().to_vec()
}

/// Backward of network `net` from the output gradient `dout`; adds parameter
/// gradients into `g` and returns the gradient with respect to the input.
pub fn net_backward(
    layout: &NetLayout,
    net: usize,
    p: &[f32],
    acts: &NetActs,
    dout: &[f32],
    m: usize,
    g: &mut [f32],
) -> Vec<f32> {
    let prog = &layout.programs[net];
    let t = &acts.tensors;
    let mut grads: Vec<Option<Vec<f32>>> = vec![None; t.len()];
    grads[prog.output] = Some(dout.to_vec());
    // The activation derivative of the step that produced tensor `x`, if it has one.
    let deriv = |x: usize| -> Option<Vec<f32>> {
        prog.ops
            .iter()
            .enumerate()
            .find_map(|(i, (_, op))| match op {
                Op::Dense { y, .. } if *y == x => acts.pre[i]
                    .as_ref()
                    .map(|z| z.iter().map(|&v| act_deriv(layout.activation, v)).collect()),
                _ => None,
            })
    };
    let add = |grads: &mut Vec<Option<Vec<f32>>>, x: usize, d: Vec<f32>| match &mut grads[x] {
        Some(acc) => acc.iter_mut().zip(&d).for_each(|(a, v)| *a += v),
        slot => *slot = Some(d),
    };
    for (i, (_, op)) in prog.ops.iter().enumerate().rev() {
        match *op {
            Op::Dense { layer, x, y, res } => {
                let l = &layout.layers[layer];
                let dy = grads[y].take().expect("gradient of a dense output");
                dense_weight_grad(l, &dy, &t[x], m, g);
                let dx = dense_backward_input(l, p, &dy, deriv(x).as_deref(), m);
                if let Some(r) = res {
                    add(&mut grads, r, dy);
                }
                add(&mut grads, x, dx);
            }
            Op::Norm { norm, x, y } => {
                let n = &layout.norms[norm];
                let h = n.h as usize;
                let dy = grads[y].take().expect("gradient of a norm output");
                let st = acts.stats[i].as_ref().expect("norm statistics");
                let (gamma, _) = n.affine(p);
                let saved = if n.kind.is_ms() { &t[y] } else { &t[x] };
                let mut dx = n.kind.backward(saved, st, &dy, h, &gamma);
                if let Some(d) = deriv(x) {
                    dx.iter_mut().zip(&d).for_each(|(a, v)| *a *= v);
                }
                if !n.kind.is_ms() {
                    let (dg, db) = n.kind.affine_grads(&t[x], st, &dy, h);
                    for k in 0..h {
                        g[n.g as usize + k] += dg[k];
                        if n.kind == NormKind::LayerNorm {
                            g[n.b as usize + k] += db[k];
                        }
                    }
                }
                add(&mut grads, x, dx);
            }
        }
    }
    grads[prog.input].take().unwrap_or_default()
}

/// Adam hyper-parameters as the kernels use them.
pub const ADAM_B1: f32 = 0.9;
/// Second-moment decay.
pub const ADAM_B2: f32 = 0.999;
/// Epsilon (CleanRL / PureJaxRL PPO).
pub const ADAM_EPS: f32 = 1e-5;

/// `min(1, max_norm / (norm + 1e-6))` with the gradient's global L2 norm.
pub fn clip_scale(g: &[f32], max_norm: f32) -> (f32, f32) {
    let norm = g.iter().map(|x| x * x).sum::<f32>().sqrt();
    (norm, (max_norm / (norm + 1e-6)).min(1.0))
}

/// One Adam step at step `t` (1-based) on gradient `g * scale`.
pub fn adam_step(
    p: &mut [f32],
    m: &mut [f32],
    v: &mut [f32],
    g: &[f32],
    lr: f32,
    scale: f32,
    t: f32,
) {
    let bc1 = 1.0 - ADAM_B1.powf(t);
    let bc2 = 1.0 - ADAM_B2.powf(t);
    for k in 0..p.len() {
        let gk = g[k] * scale;
        m[k] = ADAM_B1 * m[k] + (1.0 - ADAM_B1) * gk;
        v[k] = ADAM_B2 * v[k] + (1.0 - ADAM_B2) * gk * gk;
        p[k] -= lr * (m[k] / bc1) / ((v[k] / bc2).sqrt() + ADAM_EPS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init::init_params;

    use crate::layout::{Arch, ModelSpec};

    /// Loss = sum of (output * c) with fixed coefficients c, so d loss / d out = c.
    fn loss(layout: &NetLayout, p: &[f32], x: &[f32], c: &[f32], m: usize) -> f64 {
        net_output(layout, 0, p, x, m)
            .iter()
            .zip(c)
            .map(|(a, b)| (*a as f64) * (*b as f64))
            .sum()
    }

    // Every architecture x norm with the exact activations (the Approx-BP kinds'
    // backward is deliberately not the derivative; they are tested against slopes).
    fn models() -> Vec<ModelSpec> {
        let mut out = Vec::new();
        for act in [
            Activation::Tanh,
            Activation::Relu,
            Activation::Gelu,
            Activation::Silu,
        ] {
            out.push(ModelSpec::mlp(5, 2, act));
        }
        for norm in [None].into_iter().chain(NormKind::ALL.map(Some)) {
            for (arch, act) in [
                (Arch::Mlp { depth: 2 }, Activation::Tanh),
                (Arch::Mlp { depth: 2 }, Activation::Gelu),
                (
                    Arch::Residual {
                        blocks: 2,
                        expansion: 2,
                    },
                    Activation::Gelu,
                ),
                (
                    Arch::Residual {
                        blocks: 1,
                        expansion: 3,
                    },
                    Activation::Tanh,
                ),
            ] {
                out.push(ModelSpec {
                    arch,
                    width: 5,
                    activation: act,
                    norm,
                });
            }
        }
        out
    }

    #[test]
    fn network_gradients_match_finite_differences() {
        for model in models() {
            let layout = NetLayout::actor_critic_model(3, 2, &model);
            let mut p = init_params(&layout, 1, 3);
            // Non-zero biases and non-identity affines so every term is exercised.
            for (k, v) in p.iter_mut().enumerate() {
                *v += 0.05 * ((k % 7) as f32 - 3.0);
            }
            let m = 4;
            let x: Vec<f32> = (0..m * 3)
                .map(|k| ((k * 37 % 11) as f32 - 5.0) * 0.2)
                .collect();
            let c: Vec<f32> = (0..m * 2).map(|k| (k as f32 - 3.5) * 0.3).collect();
            let acts = net_forward(&layout, 0, &p, &x, m);
            let mut g = vec![0.0; p.len()];
            let dx = net_backward(&layout, 0, &p, &acts, &c, m, &mut g);
            // The actor's parameters end where the critic's first layer starts.
            let end = layout.layers[layout.nets[1].0].w as usize;
            // Central differences in f64 around f32 values: h = 1e-3 gives
            // truncation error ~1e-6 and rounding error ~1e-4 relative (more through
            // a norm's 1/sqrt(var), hence the looser bound with norms); relu kinks
            // are avoided by the input choice.
            let tol = if model.norm.is_some() { 5e-3 } else { 2e-3 };
            let h = 1e-3f32;
            let fd = |pp: &[f32], xx: &[f32]| loss(&layout, pp, xx, &c, m);
            for k in 0..end {
                let mut pp = p.clone();
                pp[k] += h;
                let up = fd(&pp, &x);
                pp[k] -= 2.0 * h;
                let down = fd(&pp, &x);
                let want = (up - down) / (2.0 * h as f64);
                assert!(
                    (want - g[k] as f64).abs() < tol * want.abs().max(1.0),
                    "{model:?} param {k}: fd {want} vs {}",
                    g[k]
                );
            }
            for k in 0..x.len() {
                let mut xx = x.clone();
                xx[k] += h;
                let up = fd(&p, &xx);
                xx[k] -= 2.0 * h;
                let want = (up - fd(&p, &xx)) / (2.0 * h as f64);
                assert!(
                    (want - dx[k] as f64).abs() < tol * want.abs().max(1.0),
                    "{model:?} input {k}: fd {want} vs {}",
                    dx[k]
                );
            }
            // Critic parameters are untouched by the actor's backward.
            assert!(g[end..].iter().all(|&v| v == 0.0), "{model:?}");
        }
    }

    #[test]
    fn folding_norm_affines_preserves_the_network() {
        // A standard-norm network with a random affine computes what its MS twin
        // computes with the affines folded into the following Linears, and unfolding
        // recovers the standard parameters.
        for (kind, arch) in [
            (
                NormKind::LayerNorm,
                Arch::Residual {
                    blocks: 2,
                    expansion: 2,
                },
            ),
            (
                NormKind::RmsNorm,
                Arch::Residual {
                    blocks: 1,
                    expansion: 4,
                },
            ),
            (NormKind::LayerNorm, Arch::Mlp { depth: 3 }),
            (NormKind::RmsNorm, Arch::Mlp { depth: 2 }),
        ] {
            let model = ModelSpec {
                arch,
                width: 6,
                activation: Activation::Gelu,
                norm: Some(kind),
            };
            let std = NetLayout::actor_critic_model(3, 2, &model);
            let ms = NetLayout::actor_critic_model(
                3,
                2,
                &ModelSpec {
                    norm: Some(kind.ms()),
                    ..model
                },
            );
            let mut p = init_params(&std, 1, 5);
            for (k, v) in p.iter_mut().enumerate() {
                *v += 0.1 * ((k % 5) as f32 - 2.0);
            }
            let folded = std.fold_norms(&ms, &p).unwrap();
            assert_eq!(folded.len(), ms.param_count as usize);
            let m = 3;
            let x: Vec<f32> = (0..m * 3).map(|k| (k as f32 * 0.7).sin()).collect();
            for net in 0..2 {
                let a = net_output(&std, net, &p, &x, m);
                let b = net_output(&ms, net, &folded, &x, m);
                for (u, v) in a.iter().zip(&b) {
                    // Same math up to f32 reassociation of W diag(gamma) x.
                    assert!(
                        (u - v).abs() < 1e-5 * u.abs().max(1.0),
                        "{kind:?} {arch:?}: {u} vs {v}"
                    );
                }
            }
            let back = std.unfold_norms(&ms, &folded, Some(&p)).unwrap();
            for (u, v) in back.iter().zip(&p) {
                assert!(
                    (u - v).abs() < 1e-5 * v.abs().max(1.0),
                    "{kind:?} {arch:?}: {u} vs {v}"
                );
            }
        }
    }

    #[test]
    fn adam_first_step_moves_each_parameter_by_about_lr() {
        let mut p = vec![1.0, -2.0, 0.5];
        let (mut m, mut v) = (vec![0.0; 3], vec![0.0; 3]);
        let g = [0.3, -4.0, 1e-3];
        adam_step(&mut p, &mut m, &mut v, &g, 0.01, 1.0, 1.0);
        // With bias correction the first step is lr * g / (|g| + eps).
        for (k, want) in [
            1.0 - 0.01 * 0.3 / (0.3 + 1e-5),
            -2.0 + 0.01 * 4.0 / (4.0 + 1e-5),
            0.5 - 0.01 * 1e-3 / (1e-3 + 1e-5),
        ]
        .iter()
        .enumerate()
        {
            assert!((p[k] - want).abs() < 1e-6, "{k}: {} vs {want}", p[k]);
        }
        let (norm, scale) = clip_scale(&[3.0, 4.0], 0.5);
        assert!((norm - 5.0).abs() < 1e-6 && (scale - 0.1).abs() < 1e-6);
        assert_eq!(clip_scale(&[0.1], 0.5).1, 1.0);
    }
}
