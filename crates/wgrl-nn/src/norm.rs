//! Row normalisations: LayerNorm and RMSNorm (affine parameters, saving their
//! input) and the memory-sharing variants MS-LayerNorm and MS-RMSNorm (no affine;
//! they save only their output, which the next Linear saves anyway, and one r per
//! row). The affine of a standard norm is folded into the next Linear with
//! [`fold_affine`] (W' = W diag(gamma), b' = b + W beta) and recovered with
//! [`unfold_affine`], so checkpoints and evaluation can move between the two.
//!
//! [`NormKind`] holds the CPU reference; [`NormKernel`] runs the networks' norm
//! layers (`shaders/nn/norm_forward.wgsl`, `norm_backward.wgsl`) on their own.

use crate::shaders;
use bytemuck::{Pod, Zeroable};
use wgrl_gpu::{
    Arena, ArenaPlan, Category, Context, Kernel, ParamBuffer, ParamTable, Recorder, Result,
    ShaderSource, Slot, wgpu,
};

/// Epsilon inside the square root (PyTorch's LayerNorm default).
pub const NORM_EPS: f32 = 1e-5;

/// A normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NormKind {
    /// (x - mean) r * gamma + beta.
    LayerNorm,
    /// x r * gamma.
    RmsNorm,
    /// (x - mean) r, affine folded into the next Linear.
    MsLayerNorm,
    /// x r, affine folded into the next Linear.
    MsRmsNorm,
}

/// What a forward pass produced.
#[derive(Debug, Clone, PartialEq)]
pub struct NormOut {
    /// Outputs, row-major.
    pub y: Vec<f32>,
    /// (mean, r) per row.
    pub stats: Vec<[f32; 2]>,
}

impl NormKind {
    /// Every kind.
    pub const ALL: [NormKind; 4] = [
        NormKind::LayerNorm,
        NormKind::RmsNorm,
        NormKind::MsLayerNorm,
        NormKind::MsRmsNorm,
    ];

    /// The config name.
    pub fn name(self) -> &'static str {
        match self {
            NormKind::LayerNorm => "layernorm",
            NormKind::RmsNorm => "rmsnorm",
            NormKind::MsLayerNorm => "ms-layernorm",
            NormKind::MsRmsNorm => "ms-rmsnorm",
        }
    }

    /// `NORM_KIND` in WGSL.
    pub fn id(self) -> u32 {
        match self {
            NormKind::LayerNorm => 0,
            NormKind::RmsNorm => 1,
            NormKind::MsLayerNorm => 2,
            NormKind::MsRmsNorm => 3,
        }
    }

    /// Subtracts the mean.
    pub fn centred(self) -> bool {
        matches!(self, NormKind::LayerNorm | NormKind::MsLayerNorm)
    }

    /// Memory-sharing: no affine, saves output and r.
    pub fn is_ms(self) -> bool {
        matches!(self, NormKind::MsLayerNorm | NormKind::MsRmsNorm)
    }

    /// The memory-sharing kind with the same normalisation.
    pub fn ms(self) -> NormKind {
        if self.centred() {
            NormKind::MsLayerNorm
        } else {
            NormKind::MsRmsNorm
        }
    }

    /// Forward over `x` (rows of `h`); `gamma` and `beta` are ignored by MS kinds
    /// (and `beta` by RMSNorm).
    pub fn forward(self, x: &[f32], h: usize, gamma: &[f32], beta: &[f32]) -> NormOut {
        let mut y = vec![0.0; x.len()];
        let mut stats = Vec::with_capacity(x.len() / h);
        for (row, out) in x.chunks(h).zip(y.chunks_mut(h)) {
            // Two passes, as the kernel: mean, then squared deviations.
            let n = h as f32;
            let mean = if self.centred() {
                row.iter().sum::<f32>() / n
            } else {
                0.0
            };
            let m2 = row.iter().map(|&v| (v - mean) * (v - mean)).sum::<f32>() / n;
            let r = 1.0 / (m2 + NORM_EPS).sqrt();
            for k in 0..h {
                let xhat = (row[k] - mean) * r;
                out[k] = match self {
                    NormKind::LayerNorm => xhat * gamma[k] + beta[k],
                    NormKind::RmsNorm => xhat * gamma[k],
                    _ => xhat,
                };
            }
            stats.push([mean, r]);
        }
        NormOut { y, stats }
    }

    /// Input gradient from the output gradient `dy`, using what the kind saves:
    /// `x` for standard kinds, `y` for MS kinds, and the per-row statistics.
    pub fn backward(
        self,
        saved: &[f32],
        stats: &[[f32; 2]],
        dy: &[f32],
        h: usize,
        gamma: &[f32],
    ) -> Vec<f32> {
        let mut dx = vec![0.0; dy.len()];
        for (i, ((s, g), out)) in saved
            .chunks(h)
            .zip(dy.chunks(h))
            .zip(dx.chunks_mut(h))
            .enumerate()
        {
            let [mean, r] = stats[i];
            let xhat = |k: usize| {
                if self.is_ms() {
                    s[k]
                } else {
                    (s[k] - mean) * r
                }
            };
            let gk = |k: usize| if self.is_ms() { g[k] } else { g[k] * gamma[k] };
            let n = h as f32;
            let g_mean = if self.centred() {
                (0..h).map(gk).sum::<f32>() / n
            } else {
                0.0
            };
            let gy_mean = (0..h).map(|k| gk(k) * xhat(k)).sum::<f32>() / n;
            for (k, o) in out.iter_mut().enumerate() {
                *o = r * (gk(k) - g_mean - xhat(k) * gy_mean);
            }
        }
        dx
    }

    /// Gradients of gamma and beta (standard kinds; beta's is 0 for RMSNorm).
    pub fn affine_grads(
        self,
        x: &[f32],
        stats: &[[f32; 2]],
        dy: &[f32],
        h: usize,
    ) -> (Vec<f32>, Vec<f32>) {
        let (mut dg, mut db) = (vec![0.0; h], vec![0.0; h]);
        for (i, (row, g)) in x.chunks(h).zip(dy.chunks(h)).enumerate() {
            let [mean, r] = stats[i];
            for k in 0..h {
                dg[k] += g[k] * (row[k] - mean) * r;
                if self.centred() {
                    db[k] += g[k];
                }
            }
        }
        (dg, db)
    }
}

/// Folds a norm's affine into the next dense layer (`w` is `n_out x n_in`,
/// row-major): W' = W diag(gamma), b' = b + W beta.
pub fn fold_affine(
    w: &[f32],
    b: &[f32],
    n_in: usize,
    gamma: &[f32],
    beta: &[f32],
) -> (Vec<f32>, Vec<f32>) {
    let mut wf = w.to_vec();
    let mut bf = b.to_vec();
    for (o, row) in w.chunks(n_in).enumerate() {
        for i in 0..n_in {
            wf[o * n_in + i] = row[i] * gamma[i];
            bf[o] += row[i] * beta[i];
        }
    }
    (wf, bf)
}

/// Inverse of [`fold_affine`] for a known affine (gamma must have no zeros):
/// W = W' diag(1 / gamma), b = b' - W beta.
pub fn unfold_affine(
    wf: &[f32],
    bf: &[f32],
    n_in: usize,
    gamma: &[f32],
    beta: &[f32],
) -> (Vec<f32>, Vec<f32>) {
    let mut w = wf.to_vec();
    let mut b = bf.to_vec();
    for (o, row) in wf.chunks(n_in).enumerate() {
        for i in 0..n_in {
            w[o * n_in + i] = row[i] / gamma[i];
            b[o] -= w[o * n_in + i] * beta[i];
        }
    }
    (w, b)
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct NormTestParams {
    mode: u32,
    _pad: [u32; 3],
}

/// Workgroup size of the standalone norm kernel (as the fused update's).
const NORM_TEST_WG: u32 = 256;

/// What a [`NormKernel`] computed, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct NormResult {
    /// Outputs.
    pub y: Vec<f32>,
    /// (mean, r) per row (mean 0 where the kind keeps none).
    pub stats: Vec<[f32; 2]>,
    /// Input gradients.
    pub dx: Vec<f32>,
    /// dgamma then dbeta (standard kinds).
    pub daffine: Vec<f32>,
}

/// One norm layer of the networks (`shaders/nn/norm_forward.wgsl` and
/// `norm_backward.wgsl`, run by `shaders/nn/norms.wgsl`) over `rows x h`, with
/// its slots: the same code the training kernels run, for tests and benches.
#[derive(Debug)]
pub struct NormKernel {
    ctx: Context,
    kernel: Kernel,
    arena: Arena,
    kind: NormKind,
    rows: u32,
    h: u32,
    /// gamma then beta.
    pub affine: Slot<f32>,
    /// Feature-major rows (x, y, statistics, dy, dx regions).
    pub scratch: Slot<[f32; 4]>,
    /// dgamma then dbeta.
    pub daffine: Slot<f32>,
    bind: [wgpu::BindGroup; 3],
    _params: ParamBuffer,
}

// vec4 offsets of the regions for m4 blocks of four rows: x, y, stats, dy, dx.
fn norm_regions(h: u32, m4: u32) -> [u32; 5] {
    let f = h * m4;
    [0, f, 2 * f, 2 * f + 2 * m4, 3 * f + 2 * m4]
}

// vec4s of the scratch: the regions, the last (dx) h x m4 long.
fn norm_scratch_len(h: u32, m4: u32) -> u32 {
    norm_regions(h, m4)[4] + h * m4
}

// Words of the affine and affine-gradient slots: gamma and beta, rounded up to
// whole vec4s (the kernel binds them as arrays of vec4, params_storage.wgsl).
fn affine_words(h: u32) -> u64 {
    (2 * h as u64).next_multiple_of(4)
}

impl NormKernel {
    /// The WGSL of the norm kernel for `kind` over `rows x h`.
    pub fn source(kind: NormKind, rows: u32, h: u32) -> ShaderSource {
        let m4 = rows.div_ceil(4);
        let [x, y, st, dy, dx] = norm_regions(h, m4);
        let gb = if kind == NormKind::LayerNorm { h } else { 0 };
        let prelude = format!(
            "const WG: u32 = {NORM_TEST_WG}u;\nconst ACT_KIND: u32 = 4u;\nconst M4: u32 = {m4}u;\n\
             struct NormL {{ h: u32, g: u32, b: u32, kind: u32 }}\n\
             const NORM: NormL = NormL({h}u, 0u, {gb}u, {}u);\n\
             const X: u32 = {x}u;\nconst Y: u32 = {y}u;\nconst ST: u32 = {st}u;\nconst DY: u32 = {dy}u;\nconst DX: u32 = {dx}u;\n",
            kind.id()
        );
        ShaderSource::new(format!("norm/{}", kind.name()))
            .part("<generated norm plan>", prelude)
            .with(shaders::ACT_FNS)
            .with(shaders::ACTIVATIONS)
            .with(shaders::PARAMS_STORAGE)
            .with(shaders::OPT_STORAGE)
            .with(shaders::NORM_FORWARD)
            .with(shaders::NORM_BACKWARD)
            .with(shaders::NORMS)
    }

    /// Builds the kernel for `kind` over `rows` rows of `h` features.
    pub fn new(ctx: &Context, kind: NormKind, rows: u32, h: u32) -> Result<Self> {
        let kernel = Kernel::new(ctx, &Self::source(kind, rows, h), "main", &[])?;
        let m4 = rows.div_ceil(4);
        let mut plan = ArenaPlan::new();
        let affine = plan.add::<f32>("norm.affine", Category::Params, affine_words(h));
        let scratch = plan.add::<[f32; 4]>(
            "norm.scratch",
            Category::Activations,
            norm_scratch_len(h, m4) as u64,
        );
        let daffine = plan.add::<f32>("norm.daffine", Category::Grads, affine_words(h));
        let arena = Arena::new(ctx, &plan)?;
        let mut table = ParamTable::new();
        let refs = [0, 1, 2].map(|mode| table.push(&NormTestParams { mode, _pad: [0; 3] }));
        let params = table.build(ctx)?;
        let bind = |r| {
            kernel.bind(
                ctx,
                &[
                    params.binding(r),
                    arena.binding(affine),
                    arena.binding(scratch),
                    arena.binding(daffine),
                ],
            )
        };
        let bind = [bind(refs[0])?, bind(refs[1])?, bind(refs[2])?];
        Ok(NormKernel {
            ctx: ctx.clone(),
            kernel,
            arena,
            kind,
            rows,
            h,
            affine,
            scratch,
            daffine,
            bind,
            _params: params,
        })
    }

    /// The arena.
    pub fn arena(&self) -> &Arena {
        &self.arena
    }

    /// Writes row-major inputs `x`, output gradients `dy` and `affine` (gamma then beta).
    pub fn write(&self, x: &[f32], dy: &[f32], affine: &[f32]) -> Result<()> {
        let (h, m4) = (self.h as usize, self.rows.div_ceil(4) as usize);
        let [xo, _, _, dyo, _] = norm_regions(self.h, m4 as u32).map(|o| o as usize);
        let mut s = vec![[0.0f32; 4]; norm_scratch_len(self.h, m4 as u32) as usize];
        for (row, (xr, dr)) in x.chunks(h).zip(dy.chunks(h)).enumerate() {
            for k in 0..h {
                s[xo + k * m4 + row / 4][row % 4] = xr[k];
                s[dyo + k * m4 + row / 4][row % 4] = dr[k];
            }
        }
        self.arena.write(self.scratch, &s)?;
        // The slot holds whole vec4s: zero words after gamma and beta.
        let mut padded = affine.to_vec();
        padded.resize(affine_words(self.h) as usize, 0.0);
        self.arena.write(self.affine, &padded)
    }

    /// Reads the results back, row-major.
    pub fn read(&self) -> Result<NormResult> {
        let (h, rows, m4) = (
            self.h as usize,
            self.rows as usize,
            self.rows.div_ceil(4) as usize,
        );
        let [_, yo, st, _, dxo] = norm_regions(self.h, m4 as u32).map(|o| o as usize);
        let s = self.arena.read(self.scratch)?;
        let rowmajor = |off: usize| -> Vec<f32> {
            (0..rows * h)
                .map(|i| s[off + (i % h) * m4 + i / h / 4][(i / h) % 4])
                .collect()
        };
        let stats = (0..rows)
            .map(|r| {
                let mean = if self.kind == NormKind::LayerNorm {
                    s[st + m4 + r / 4][r % 4]
                } else {
                    0.0
                };
                [mean, s[st + r / 4][r % 4]]
            })
            .collect();
        Ok(NormResult {
            y: rowmajor(yo),
            stats,
            dx: rowmajor(dxo),
            daffine: {
                let mut d = self.arena.read(self.daffine)?;
                d.truncate(2 * h);
                d
            },
        })
    }

    /// Dispatch list of a pass: 0 forward, 1 input gradient, 2 affine gradients.
    pub fn recorder(&self, mode: usize) -> Recorder {
        let mut rec = Recorder::new();
        rec.dispatch(&self.kernel, &self.bind[mode], [1, 1, 1]);
        rec
    }

    /// Submits a pass.
    pub fn run(&self, mode: usize) {
        self.recorder(mode).submit(&self.ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize, salt: u32) -> Vec<f32> {
        (0..n)
            .map(|k| {
                ((wgrl_gpu::rng::pcg4d([k as u32, salt, 9, 9])[0] >> 8) as f32 / 8_388_608.0 - 1.0)
                    * 2.0
                    + 0.3
            })
            .collect()
    }

    #[test]
    fn standard_gradients_match_finite_differences() {
        let (rows, h) = (3, 7);
        let x = data(rows * h, 1);
        let gamma: Vec<f32> = data(h, 2).iter().map(|v| 1.0 + 0.3 * v).collect();
        let beta = data(h, 3);
        let c = data(rows * h, 4); // loss = sum c * y
        for kind in [NormKind::LayerNorm, NormKind::RmsNorm] {
            let out = kind.forward(&x, h, &gamma, &beta);
            let dx = kind.backward(&x, &out.stats, &c, h, &gamma);
            let (dg, db) = kind.affine_grads(&x, &out.stats, &c, h);
            let loss = |x: &[f32], g: &[f32], b: &[f32]| {
                kind.forward(x, h, g, b)
                    .y
                    .iter()
                    .zip(&c)
                    .map(|(y, c)| (*y as f64) * (*c as f64))
                    .sum::<f64>()
            };
            // Central differences of the f32 forward, h = 1e-2: truncation ~1e-5,
            // rounding ~1e-7 * |loss| / h ~ 1e-5.
            let e = 1e-2f32;
            let fd = |f: &dyn Fn(f32) -> f64| (f(e) - f(-e)) / (2.0 * e as f64);
            for k in 0..x.len() {
                let got = fd(&|d| {
                    let mut x2 = x.clone();
                    x2[k] += d;
                    loss(&x2, &gamma, &beta)
                });
                assert!(
                    (got - dx[k] as f64).abs() < 2e-3 * got.abs().max(1.0),
                    "{kind:?} dx[{k}]: fd {got} vs {}",
                    dx[k]
                );
            }
            for k in 0..h {
                let got = fd(&|d| {
                    let mut g2 = gamma.clone();
                    g2[k] += d;
                    loss(&x, &g2, &beta)
                });
                assert!(
                    (got - dg[k] as f64).abs() < 2e-3 * got.abs().max(1.0),
                    "{kind:?} dgamma[{k}]"
                );
                if kind.centred() {
                    let got = fd(&|d| {
                        let mut b2 = beta.clone();
                        b2[k] += d;
                        loss(&x, &gamma, &b2)
                    });
                    assert!(
                        (got - db[k] as f64).abs() < 2e-3 * got.abs().max(1.0),
                        "{kind:?} dbeta[{k}]"
                    );
                }
            }
        }
    }

    #[test]
    fn ms_backward_equals_the_standard_backward_without_affine() {
        let (rows, h) = (5, 64);
        let x = data(rows * h, 5);
        let dy = data(rows * h, 6);
        let (ones, zeros) = (vec![1.0; h], vec![0.0; h]);
        for kind in [NormKind::LayerNorm, NormKind::RmsNorm] {
            let std_out = kind.forward(&x, h, &ones, &zeros);
            let ms_out = kind.ms().forward(&x, h, &ones, &zeros);
            assert_eq!(std_out.y, ms_out.y);
            let a = kind.backward(&x, &std_out.stats, &dy, h, &ones);
            // The MS backward sees only its output and r.
            let b = kind.ms().backward(&ms_out.y, &ms_out.stats, &dy, h, &ones);
            for k in 0..a.len() {
                // Same formula, xhat recomputed from x vs saved: a few ulp of r * |dy|.
                assert!(
                    (a[k] - b[k]).abs() < 1e-5 * a[k].abs().max(1.0),
                    "{kind:?} [{k}]: {} vs {}",
                    a[k],
                    b[k]
                );
            }
        }
    }

    #[test]
    fn folding_and_unfolding_preserve_the_function() {
        let (rows, h, n_out) = (4, 16, 8);
        let x = data(rows * h, 7);
        let gamma: Vec<f32> = data(h, 8).iter().map(|v| 1.0 + 0.4 * v).collect();
        let beta = data(h, 9);
        let w = data(n_out * h, 10);
        let b = data(n_out, 11);
        let dense = |y: &[f32], w: &[f32], b: &[f32]| -> Vec<f32> {
            y.chunks(h)
                .flat_map(|row| {
                    (0..n_out)
                        .map(move |o| b[o] + (0..h).map(|i| w[o * h + i] * row[i]).sum::<f32>())
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        for kind in [NormKind::LayerNorm, NormKind::RmsNorm] {
            let beta_k: Vec<f32> = if kind.centred() {
                beta.clone()
            } else {
                vec![0.0; h]
            };
            let standard = dense(&kind.forward(&x, h, &gamma, &beta_k).y, &w, &b);
            let (wf, bf) = fold_affine(&w, &b, h, &gamma, &beta_k);
            let folded = dense(&kind.ms().forward(&x, h, &gamma, &beta_k).y, &wf, &bf);
            for (s, f) in standard.iter().zip(&folded) {
                // Reassociated sums of 16 terms of size ~3: 1e-5 relative.
                assert!(
                    (s - f).abs() < 1e-5 * s.abs().max(1.0),
                    "{kind:?}: {s} vs {f}"
                );
            }
            let (w2, b2) = unfold_affine(&wf, &bf, h, &gamma, &beta_k);
            assert!(w2.iter().zip(&w).all(|(a, b)| (a - b).abs() < 1e-6));
            assert!(b2.iter().zip(&b).all(|(a, c)| (a - c).abs() < 1e-5));
        }
    }
}
