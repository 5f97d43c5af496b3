//! Activations with exact and Approx-BP backward passes: GELU, SiLU, tanh and
//! ReLU, and the 2-bit variants ReGELU2 and ReSiLU2 (LowMemoryBP's constants) and
//! ReTanh2 (fitted here: `scripts/fit_retanh2.py`, `data/retanh2.json`). The
//! approximate variants compute the exact forward but save only a 2-bit state per
//! element (16 per u32, 16x less than an f32 input); backward multiplies the
//! incoming gradient by the state's constant slope.
//!
//! [`ActKind`] holds the CPU reference (f32, the WGSL's formulas); [`ActKernel`]
//! runs `shaders/nn/act_test.wgsl` for tests and benches.

use crate::shaders;
use bytemuck::{Pod, Zeroable};
use wgrl_gpu::{
    Arena, ArenaPlan, Category, Context, Kernel, ParamBuffer, ParamRef, ParamTable, Recorder,
    Result, ShaderSource, Slot, wgpu,
};

/// ReGELU2 thresholds c1..c3 (LowMemoryBP).
pub const REGELU2_C: [f64; 3] = [
    -3.1858810036855245,
    -0.001178821281161997,
    3.190832613414926,
];
/// ReGELU2 slope increments a1..a3 (LowMemoryBP).
pub const REGELU2_A: [f64; 3] = [
    -0.04922261145617846,
    1.0979632065417297,
    -0.048740595085551286,
];
/// ReSiLU2 thresholds.
pub const RESILU2_C: [f64; 3] = [
    -6.3050461001646445,
    -0.0008684942046214787,
    6.325815242089708,
];
/// ReSiLU2 slope increments.
pub const RESILU2_A: [f64; 3] = [
    -0.04060357190528599,
    1.080925428529668,
    -0.040321856624382146,
];
/// ReTanh2 breakpoints t1, t2 (data/retanh2.json).
pub const RETANH2_T: [f64; 2] = [0.8187295739585569, 1.9793380488102166];
/// ReTanh2 slopes s1 (|x| < t1) and s2 (t1 <= |x| < t2); 0 beyond.
pub const RETANH2_S: [f64; 2] = [0.8871738793284787, 0.23577676165531156];

/// An activation and how its backward works.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActKind {
    /// Exact GELU (erf form).
    Gelu,
    /// x * sigmoid(x).
    Silu,
    /// GELU forward, 2-bit backward.
    ReGelu2,
    /// SiLU forward, 2-bit backward.
    ReSilu2,
    /// tanh.
    Tanh,
    /// tanh forward, 2-bit backward.
    ReTanh2,
    /// max(x, 0).
    Relu,
}

impl ActKind {
    /// Every kind.
    pub const ALL: [ActKind; 7] = [
        ActKind::Gelu,
        ActKind::Silu,
        ActKind::ReGelu2,
        ActKind::ReSilu2,
        ActKind::Tanh,
        ActKind::ReTanh2,
        ActKind::Relu,
    ];

    /// Config names of every kind.
    pub const NAMES: &[&str] = &[
        "tanh", "relu", "gelu", "silu", "regelu2", "resilu2", "retanh2",
    ];

    /// Parses a config name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Bytes backward keeps per element inside a dense layer: 0 for tanh and
    /// relu (their derivative comes from the output, which the next layer keeps),
    /// 4 for gelu and silu (the pre-activation), 1/4 for the 2-bit kinds.
    pub fn extra_saved_bytes_per_element(self) -> f64 {
        match self {
            ActKind::Tanh | ActKind::Relu => 0.0,
            ActKind::Gelu | ActKind::Silu => 4.0,
            _ => 0.25,
        }
    }

    /// The config name.
    pub fn name(self) -> &'static str {
        match self {
            ActKind::Gelu => "gelu",
            ActKind::Silu => "silu",
            ActKind::ReGelu2 => "regelu2",
            ActKind::ReSilu2 => "resilu2",
            ActKind::Tanh => "tanh",
            ActKind::ReTanh2 => "retanh2",
            ActKind::Relu => "relu",
        }
    }

    /// `ACT_KIND` in WGSL.
    pub fn id(self) -> u32 {
        match self {
            ActKind::Gelu => 0,
            ActKind::Silu => 1,
            ActKind::ReGelu2 => 2,
            ActKind::ReSilu2 => 3,
            ActKind::Tanh => 4,
            ActKind::ReTanh2 => 5,
            ActKind::Relu => 6,
        }
    }

    /// Whether backward uses a 2-bit state instead of the input.
    pub fn is_approx(self) -> bool {
        matches!(self, ActKind::ReGelu2 | ActKind::ReSilu2 | ActKind::ReTanh2)
    }

    /// The exact kind whose forward this one computes.
    pub fn exact(self) -> ActKind {
        match self {
            ActKind::ReGelu2 => ActKind::Gelu,
            ActKind::ReSilu2 => ActKind::Silu,
            ActKind::ReTanh2 => ActKind::Tanh,
            k => k,
        }
    }

    /// Forward, as the WGSL computes it.
    pub fn forward(self, x: f32) -> f32 {
        match self.exact() {
            ActKind::Gelu => 0.5 * x * (1.0 + erf_approx(x * std::f32::consts::FRAC_1_SQRT_2)),
            ActKind::Silu => x * sigmoid(x),
            ActKind::Tanh => x.clamp(-15.0, 15.0).tanh(),
            _ => x.max(0.0),
        }
    }

    /// Exact derivative at x.
    pub fn grad(self, x: f32) -> f32 {
        match self.exact() {
            ActKind::Gelu => {
                0.5 * (1.0 + erf_approx(x * std::f32::consts::FRAC_1_SQRT_2))
                    + x * 0.398_942_3 * (-0.5 * x * x).exp()
            }
            ActKind::Silu => {
                let s = sigmoid(x);
                s * (1.0 + x * (1.0 - s))
            }
            ActKind::Tanh => {
                let t = x.clamp(-15.0, 15.0).tanh();
                1.0 - t * t
            }
            _ => {
                if x > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }

    /// The 2-bit state of x (approximate kinds; 0 for the others).
    pub fn code(self, x: f32) -> u32 {
        let above = |c: f64| u32::from(x > c as f32);
        match self {
            ActKind::ReGelu2 => REGELU2_C.iter().map(|&c| above(c)).sum(),
            ActKind::ReSilu2 => RESILU2_C.iter().map(|&c| above(c)).sum(),
            ActKind::ReTanh2 => RETANH2_T
                .iter()
                .map(|&t| u32::from(x.abs() >= t as f32))
                .sum(),
            _ => 0,
        }
    }

    /// The backward slope of a state (approximate kinds).
    pub fn slope(self, code: u32) -> f32 {
        let cumulative =
            |a: [f64; 3]| [0.0, a[0], a[0] + a[1], a[0] + a[1] + a[2]][code as usize] as f32;
        match self {
            ActKind::ReGelu2 => cumulative(REGELU2_A),
            ActKind::ReSilu2 => cumulative(RESILU2_A),
            ActKind::ReTanh2 => [RETANH2_S[0], RETANH2_S[1], 0.0, 0.0][code as usize] as f32,
            _ => 1.0,
        }
    }

    /// Bytes saved per element for backward: 4 (the f32 input) or 1/4 (2 bits).
    pub fn saved_bytes_per_element(self) -> f64 {
        if self.is_approx() { 0.25 } else { 4.0 }
    }
}

/// Numerical Recipes' erfcc-based erf (|error| <= ~1.2e-7 * erfc), as in `act_fns.wgsl`.
pub fn erf_approx(x: f32) -> f32 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_2
        + t * (1.000_023_7
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_204
                                + t * (1.488_515_9 + t * (-0.822_152_2 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    if x >= 0.0 { 1.0 - erfc } else { erfc - 1.0 }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Packs 2-bit states, 16 per u32 (element k of a word in bits 2k..2k+1).
pub fn pack(codes: &[u32]) -> Vec<u32> {
    codes
        .chunks(16)
        .map(|c| {
            c.iter()
                .enumerate()
                .fold(0u32, |w, (k, &v)| w | ((v & 3) << (2 * k)))
        })
        .collect()
}

/// Unpacks `n` states.
pub fn unpack(words: &[u32], n: usize) -> Vec<u32> {
    (0..n)
        .map(|i| (words[i / 16] >> (2 * (i % 16))) & 3)
        .collect()
}

/// Uniform block of `act_test.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Pod, Zeroable)]
struct ActParams {
    n: u32,
    mode: u32,
    _pad: [u32; 2],
}

/// `shaders/nn/act_test.wgsl` for one kind over `n` elements, with its slots.
#[derive(Debug)]
pub struct ActKernel {
    ctx: Context,
    kernel: Kernel,
    arena: Arena,
    /// Inputs.
    pub x: Slot<f32>,
    /// Outputs.
    pub y: Slot<f32>,
    /// Packed 2-bit states.
    pub codes: Slot<u32>,
    /// Incoming gradients.
    pub dy: Slot<f32>,
    /// Input gradients.
    pub dx: Slot<f32>,
    groups: [u32; 3],
    bind: [wgpu::BindGroup; 2],
    _params: ParamBuffer,
}

impl ActKernel {
    /// The activation pieces for `kind` (to compose into other kernels).
    pub fn source(name: &str) -> ShaderSource {
        ShaderSource::new(name)
            .with(shaders::ACT_FNS)
            .with(shaders::ACT_TEST)
    }

    /// Builds the kernel for `kind` over `n` elements.
    pub fn new(ctx: &Context, kind: ActKind, n: u32) -> Result<Self> {
        let kernel = Kernel::new(
            ctx,
            &Self::source(&format!("act/{}", kind.name())),
            "main",
            &[("ACT_KIND", kind.id() as f64)],
        )?;
        let words = n.div_ceil(16).max(1) as u64;
        let mut plan = ArenaPlan::new();
        let x = plan.add::<f32>("act.x", Category::Scratch, n as u64);
        let y = plan.add::<f32>("act.y", Category::Scratch, n as u64);
        let codes = plan.add::<u32>("act.codes", Category::ActivationState, words);
        let dy = plan.add::<f32>("act.dy", Category::Scratch, n as u64);
        let dx = plan.add::<f32>("act.dx", Category::Scratch, n as u64);
        let arena = Arena::new(ctx, &plan)?;
        let mut table = ParamTable::new();
        let refs: [ParamRef; 2] = [
            table.push(&ActParams {
                n,
                mode: 0,
                _pad: [0; 2],
            }),
            table.push(&ActParams {
                n,
                mode: 1,
                _pad: [0; 2],
            }),
        ];
        let params = table.build(ctx)?;
        let bind = |r| {
            kernel.bind(
                ctx,
                &[
                    params.binding(r),
                    arena.binding(x),
                    arena.binding(y),
                    arena.binding(codes),
                    arena.binding(dy),
                    arena.binding(dx),
                ],
            )
        };
        let bind = [bind(refs[0])?, bind(refs[1])?];
        let groups = kernel.groups_for(ctx, words)?;
        Ok(ActKernel {
            ctx: ctx.clone(),
            kernel,
            arena,
            x,
            y,
            codes,
            dy,
            dx,
            groups,
            bind,
            _params: params,
        })
    }

    /// The arena (write inputs, read results).
    pub fn arena(&self) -> &Arena {
        &self.arena
    }

    /// The dispatch list of the forward (`backward == false`) or backward pass.
    pub fn recorder(&self, backward: bool) -> Recorder {
        let mut rec = Recorder::new();
        rec.dispatch(&self.kernel, &self.bind[backward as usize], self.groups);
        rec
    }

    /// Submits one pass (reading a slot afterwards waits for it).
    pub fn run(&self, backward: bool) {
        self.recorder(backward).submit(&self.ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approx_constants_satisfy_the_fit_constraints() {
        // LowMemoryBP's constraints: slopes sum to 1 and sum a_i c_i = 0, so the
        // surrogate is 0 at -inf and x at +inf.
        for (a, c) in [(REGELU2_A, REGELU2_C), (RESILU2_A, RESILU2_C)] {
            assert!((a.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            assert!(a.iter().zip(c).map(|(a, c)| a * c).sum::<f64>().abs() < 1e-9);
        }
        // ReTanh2 reaches +-1 at t2.
        let [s1, s2] = RETANH2_S;
        let [t1, t2] = RETANH2_T;
        assert!((s1 * t1 + s2 * (t2 - t1) - 1.0).abs() < 1e-12);
    }

    /// (tanh - g)^2 integrated over the real line (by symmetry 2x over [0, 40]),
    /// Simpson's rule per piece, in f64.
    fn retanh2_objective(s1: f64, t1: f64, t2: f64) -> f64 {
        let s2 = (1.0 - s1 * t1) / (t2 - t1);
        let g = |x: f64| {
            if x < t1 {
                s1 * x
            } else if x < t2 {
                s1 * t1 + s2 * (x - t1)
            } else {
                1.0
            }
        };
        let f = |x: f64| (x.tanh() - g(x)).powi(2);
        let simpson = |a: f64, b: f64| {
            let n = 4000;
            let h = (b - a) / n as f64;
            (0..=n)
                .map(|i| {
                    f(a + i as f64 * h)
                        * if i == 0 || i == n {
                            1.0
                        } else if i % 2 == 1 {
                            4.0
                        } else {
                            2.0
                        }
                })
                .sum::<f64>()
                * h
                / 3.0
        };
        2.0 * (simpson(0.0, t1) + simpson(t1, t2) + simpson(t2, 40.0))
    }

    #[test]
    fn retanh2_constants_are_the_least_squares_fit_of_tanh() {
        let [s1, _] = RETANH2_S;
        let [t1, t2] = RETANH2_T;
        let best = retanh2_objective(s1, t1, t2);
        // data/retanh2.json's value, recomputed here independently of scipy.
        assert!((best - 0.0023724290222541774).abs() < 1e-9, "{best}");
        // Moving any free parameter either way makes the fit worse.
        for d in [1e-3, -1e-3, 1e-2, -1e-2] {
            for (ds1, dt1, dt2) in [(d, 0.0, 0.0), (0.0, d, 0.0), (0.0, 0.0, d)] {
                let v = retanh2_objective(s1 + ds1, t1 + dt1, t2 + dt2);
                assert!(
                    v > best,
                    "perturbation ({ds1}, {dt1}, {dt2}) gives {v} <= {best}"
                );
            }
        }
    }

    #[test]
    fn packing_round_trips_for_any_length() {
        for n in [0usize, 1, 15, 16, 17, 33, 1000] {
            let codes: Vec<u32> = (0..n).map(|i| (i as u32 * 7 + 3) % 4).collect();
            let words = pack(&codes);
            assert_eq!(words.len(), n.div_ceil(16));
            assert_eq!(unpack(&words, n), codes);
        }
    }

    #[test]
    fn exact_gradients_match_finite_differences() {
        for kind in [ActKind::Gelu, ActKind::Silu, ActKind::Tanh] {
            for i in 0..200 {
                let x = -6.0 + i as f32 * 0.06 + 0.013;
                // Central difference of the f32 forward with h = 1e-2: truncation
                // ~h^2 f'''/6 < 1e-4 and rounding ~1e-7/h = 1e-5.
                let h = 1e-2f32;
                let fd =
                    (kind.forward(x + h) as f64 - kind.forward(x - h) as f64) / (2.0 * h as f64);
                assert!(
                    (fd - kind.grad(x) as f64).abs() < 2e-4,
                    "{kind:?} at {x}: fd {fd} vs {}",
                    kind.grad(x)
                );
            }
        }
    }

    #[test]
    fn slopes_are_the_surrogates_derivative() {
        // ReGELU2's slope in state s is the derivative of sum a_i ReLU(x - c_i)
        // between the thresholds.
        for x in [-5.0f32, -1.0, 0.5, 4.0] {
            let want: f64 = REGELU2_A
                .iter()
                .zip(REGELU2_C)
                .filter(|(_, c)| (x as f64) > *c)
                .map(|(a, _)| a)
                .sum();
            assert!((ActKind::ReGelu2.slope(ActKind::ReGelu2.code(x)) as f64 - want).abs() < 1e-7);
        }
        assert_eq!(ActKind::ReTanh2.code(0.5), 0);
        assert_eq!(ActKind::ReTanh2.code(-1.0), 1);
        assert_eq!(ActKind::ReTanh2.code(3.0), 2);
        assert_eq!(ActKind::ReTanh2.slope(2), 0.0);
    }
}
