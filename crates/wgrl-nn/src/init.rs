//! Seeded orthogonal initialisation on the host (as `torch.nn.init.orthogonal_`
//! and flax's `orthogonal`): W = gain * Q from the QR decomposition of a Gaussian
//! matrix, biases zero. The Gaussians come from the engine's counter-based RNG, so
//! the same seed gives the same parameters on every machine.

use crate::layout::NetLayout;
use wgrl_gpu::rng::{Rng, STREAM_INIT};

/// An `rows x cols` matrix (row-major) with orthonormal rows (rows <= cols) or
/// columns (rows > cols), times `gain`.
pub fn orthogonal(rows: usize, cols: usize, gain: f32, rng: &mut Rng) -> Vec<f32> {
    // Work on a tall matrix a (big x small) and orthonormalise its columns.
    let (big, small) = (rows.max(cols), rows.min(cols));
    let mut draws = Vec::with_capacity(big * small + 3);
    while draws.len() < big * small {
        draws.extend(rng.normal4().map(f64::from));
    }
    // Column-major columns of length `big`.
    let mut q: Vec<Vec<f64>> = (0..small)
        .map(|c| draws[c * big..(c + 1) * big].to_vec())
        .collect();
    // Modified Gram-Schmidt: R's diagonal comes out positive, which is the sign
    // convention the reference implementations apply (q *= sign(diag(r))).
    for c in 0..small {
        for k in 0..c {
            let (done, rest) = q.split_at_mut(c);
            let r: f64 = done[k].iter().zip(rest[0].iter()).map(|(a, b)| a * b).sum();
            for (v, u) in rest[0].iter_mut().zip(done[k].iter()) {
                *v -= r * u;
            }
        }
        let norm = q[c].iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-12);
        q[c].iter_mut().for_each(|v| *v /= norm);
    }
    let mut w = vec![0.0f32; rows * cols];
    for r in 0..rows {
        for c in 0..cols {
            // rows >= cols: W = Q (big = rows); otherwise W = Q^T.
            let v = if rows >= cols { q[c][r] } else { q[r][c] };
            w[r * cols + c] = (gain as f64 * v) as f32;
        }
    }
    w
}

/// Parameters of `agents` agents for `layout`, agent-major; agent `a` uses the
/// RNG key (seed, a, layer, 0, STREAM_INIT) for layer `layer`. Biases and
/// norm betas start at 0, norm gammas at 1.
pub fn init_params(layout: &NetLayout, agents: u32, seed: u32) -> Vec<f32> {
    let p = layout.param_count as usize;
    let mut out = vec![0.0f32; p * agents as usize];
    for agent in 0..agents {
        let base = agent as usize * p;
        for (li, l) in layout.layers.iter().enumerate() {
            let mut rng = Rng::new(seed, agent, li as u32, 0, STREAM_INIT);
            let w = orthogonal(l.n_out as usize, l.n_in as usize, l.gain, &mut rng);
            out[base + l.w as usize..base + l.w as usize + w.len()].copy_from_slice(&w);
        }
        // Norms start as the identity affine: gamma 1, beta 0.
        for n in layout.norms.iter().filter(|n| !n.kind.is_ms()) {
            out[base + n.g as usize..base + (n.g + n.h) as usize].fill(1.0);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gram(w: &[f32], rows: usize, cols: usize, by_rows: bool) -> Vec<f64> {
        let n = if by_rows { rows } else { cols };
        let mut g = vec![0.0; n * n];
        for a in 0..n {
            for b in 0..n {
                g[a * n + b] = if by_rows {
                    (0..cols)
                        .map(|c| w[a * cols + c] as f64 * w[b * cols + c] as f64)
                        .sum()
                } else {
                    (0..rows)
                        .map(|r| w[r * cols + a] as f64 * w[r * cols + b] as f64)
                        .sum()
                };
            }
        }
        g
    }

    #[test]
    fn orthogonal_matrices_are_orthonormal_times_gain() {
        for (rows, cols, gain) in [(64, 4, 1.4), (2, 64, 0.01), (64, 64, 2.0f32.sqrt())] {
            let w = orthogonal(rows, cols, gain, &mut Rng::new(1, 0, 0, 0, STREAM_INIT));
            let by_rows = rows <= cols;
            let n = rows.min(cols);
            let g = gram(&w, rows, cols, by_rows);
            let g2 = (gain as f64).powi(2);
            for a in 0..n {
                for b in 0..n {
                    let want = if a == b { g2 } else { 0.0 };
                    // f32 storage of unit vectors: 1e-5 relative to gain^2.
                    assert!(
                        (g[a * n + b] - want).abs() < 1e-5 * g2.max(1.0),
                        "{rows}x{cols} ({a},{b}) = {}",
                        g[a * n + b]
                    );
                }
            }
        }
    }

    #[test]
    fn init_is_seeded_and_per_agent() {
        let l = NetLayout::actor_critic(4, 2, 16, 2, crate::Activation::Tanh);
        let a = init_params(&l, 2, 7);
        assert_eq!(a, init_params(&l, 2, 7));
        assert_ne!(a, init_params(&l, 2, 8));
        let p = l.param_count as usize;
        assert_ne!(a[..p], a[p..]);
        // Biases start at zero.
        for layer in &l.layers {
            assert!(
                a[layer.b as usize..(layer.b + layer.n_out) as usize]
                    .iter()
                    .all(|&b| b == 0.0)
            );
        }
    }
}
