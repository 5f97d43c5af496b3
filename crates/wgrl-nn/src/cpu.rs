//! CPU references of the network kernels, in f32 with the kernels' formulas.
//! Batches are sample-major here (`x[s * n + f]`); the kernels' feature-major layout
//! is a storage detail the tests convert.

use crate::layout::{Activation, LayerLayout, NetLayout};

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

/// Outputs of every layer of network `net` (the input first).
pub fn mlp_forward(
    layout: &NetLayout,
    net: usize,
    p: &[f32],
    x: &[f32],
    m: usize,
) -> Vec<Vec<f32>> {
    let (first, count) = layout.nets[net];
    let mut acts = vec![x.to_vec()];
    for l in &layout.layers[first..first + count] {
        let y = dense_forward(l, layout.activation, p, acts.last().unwrap(), m);
        acts.push(y);
    }
    acts
}

/// Backward of network `net` from the output gradient `dout`; adds parameter
/// gradients into `g` and returns the gradient with respect to the input.
pub fn mlp_backward(
    layout: &NetLayout,
    net: usize,
    p: &[f32],
    acts: &[Vec<f32>],
    dout: &[f32],
    m: usize,
    g: &mut [f32],
) -> Vec<f32> {
    let (first, count) = layout.nets[net];
    let mut d = dout.to_vec();
    for k in (0..count).rev() {
        let l = &layout.layers[first + k];
        dense_weight_grad(l, &d, &acts[k], m, g);
        // The activation that produced this layer's input, at its pre-activation.
        let deriv = (k > 0).then(|| {
            let prev = &layout.layers[first + k - 1];
            dense_preact(prev, p, &acts[k - 1], m)
                .iter()
                .map(|&z| act_deriv(layout.activation, z))
                .collect::<Vec<f32>>()
        });
        d = dense_backward_input(l, p, &d, deriv.as_deref(), m);
    }
    d
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

    /// Loss = sum of (output * c) with fixed coefficients c, so d loss / d out = c.
    fn loss(layout: &NetLayout, p: &[f32], x: &[f32], c: &[f32], m: usize) -> f64 {
        let acts = mlp_forward(layout, 0, p, x, m);
        acts.last()
            .unwrap()
            .iter()
            .zip(c)
            .map(|(a, b)| (*a as f64) * (*b as f64))
            .sum()
    }

    #[test]
    fn mlp_gradients_match_finite_differences() {
        for act in [
            Activation::Tanh,
            Activation::Relu,
            Activation::Gelu,
            Activation::Silu,
        ] {
            let layout = NetLayout::actor_critic(3, 2, 5, 2, act);
            let mut p = init_params(&layout, 1, 3);
            // Non-zero biases so every term is exercised.
            for (k, v) in p.iter_mut().enumerate() {
                *v += 0.05 * ((k % 7) as f32 - 3.0);
            }
            let m = 4;
            let x: Vec<f32> = (0..m * 3)
                .map(|k| ((k * 37 % 11) as f32 - 5.0) * 0.2)
                .collect();
            let c: Vec<f32> = (0..m * 2).map(|k| (k as f32 - 3.5) * 0.3).collect();
            let acts = mlp_forward(&layout, 0, &p, &x, m);
            let mut g = vec![0.0; p.len()];
            mlp_backward(&layout, 0, &p, &acts, &c, m, &mut g);
            let (first, count) = layout.nets[0];
            let end = layout.layers[first + count - 1].b as usize + 2;
            for k in 0..end {
                // Central differences in f64 around f32 parameters: h = 1e-3 gives
                // truncation error ~1e-6 and rounding error ~1e-4 relative; relu kinks are
                // avoided by the input choice (checked: no pre-activation within h of 0).
                let h = 1e-3f32;
                let mut pp = p.clone();
                pp[k] += h;
                let up = loss(&layout, &pp, &x, &c, m);
                pp[k] -= 2.0 * h;
                let down = loss(&layout, &pp, &x, &c, m);
                let fd = (up - down) / (2.0 * h as f64);
                assert!(
                    (fd - g[k] as f64).abs() < 2e-3 * fd.abs().max(1.0) + 1e-3,
                    "{act:?} param {k}: fd {fd} vs {}",
                    g[k]
                );
            }
            // Critic parameters are untouched by the actor's backward.
            assert!(g[end..].iter().all(|&v| v == 0.0));
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
