//! Where a kernel keeps the networks' activations, and the WGSL that runs their
//! forward and backward passes over them.
//!
//! A [`ScratchPlan`] gives every tensor of a [`NetLayout`]'s programs a region of
//! a kernel's scratch (feature-major, four samples per vec4, `m4` sample blocks),
//! plus each step's save region (pre-activations or 2-bit states; norm
//! statistics) and, for training, a pool of gradient buffers. Memory sharing is in
//! the plan: a tensor is stored once however many backward steps read it (an MS
//! norm's output is also the next Linear's saved input), a 2-bit activation keeps
//! only its packed states, and a residual stream that no backward step reads is one
//! region updated in place. [`ScratchPlan::memory`] reports the saved bytes per layer.

use crate::budget;
use crate::kernels::DenseKernels;
use crate::layout::{NetLayout, Op};
use std::fmt;
use std::fmt::Write as _;

/// One thing a layer keeps from forward to backward.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SavedItem {
    /// What it is.
    pub what: String,
    /// Bytes per agent.
    pub bytes: u64,
}

/// What one layer keeps for backward.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LayerMemory {
    /// Layer name (`actor.block0.norm`, `input`, ...).
    pub layer: String,
    /// Its saved tensors and states.
    pub items: Vec<SavedItem>,
}

impl LayerMemory {
    /// Bytes per agent.
    pub fn bytes(&self) -> u64 {
        self.items.iter().map(|i| i.bytes).sum()
    }
}

/// The update scratch of one agent (or of all, see [`ActivationMemory::times`]), by purpose (bytes).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ActivationMemory {
    /// Saved activations per layer, in forward order.
    pub layers: Vec<LayerMemory>,
    /// Forward-only buffers (tensors no backward step reads, e.g. a residual
    /// stream updated in place).
    pub transient_bytes: u64,
    /// Gradient buffers of backward.
    pub gradient_bytes: u64,
}

impl ActivationMemory {
    /// Saved-activation bytes.
    pub fn saved_bytes(&self) -> u64 {
        self.layers.iter().map(LayerMemory::bytes).sum()
    }

    /// The same for `agents` agents.
    pub fn times(&self, agents: u32) -> ActivationMemory {
        let k = agents as u64;
        ActivationMemory {
            layers: self
                .layers
                .iter()
                .map(|l| LayerMemory {
                    layer: l.layer.clone(),
                    items: l
                        .items
                        .iter()
                        .map(|i| SavedItem {
                            what: i.what.clone(),
                            bytes: i.bytes * k,
                        })
                        .collect(),
                })
                .collect(),
            transient_bytes: self.transient_bytes * k,
            gradient_bytes: self.gradient_bytes * k,
        }
    }
}

impl fmt::Display for ActivationMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{:<28} {:>14}  kept for backward", "layer", "bytes")?;
        for l in &self.layers {
            let what: Vec<&str> = l.items.iter().map(|i| i.what.as_str()).collect();
            writeln!(f, "{:<28} {:>14}  {}", l.layer, l.bytes(), what.join("; "))?;
        }
        writeln!(f, "{:<28} {:>14}", "saved activations", self.saved_bytes())?;
        writeln!(
            f,
            "{:<28} {:>14}",
            "forward-only buffers", self.transient_bytes
        )?;
        write!(f, "{:<28} {:>14}", "gradient buffers", self.gradient_bytes)
    }
}

// A gradient buffer: a network's output gradient or a pool buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Buf {
    Dout(usize),
    Pool(usize),
}

// One backward step of one network, before offsets are known.
#[derive(Debug, Clone)]
enum Back {
    Dense {
        net: usize,
        op: usize,
        dy: Buf,
        dx: Option<(Buf, bool)>,
    },
    Norm {
        net: usize,
        op: usize,
        dy: Buf,
        dx: (Buf, bool),
    },
}

/// A kernel's scratch regions for the networks of a layout (vec4 offsets from
/// the kernel's per-agent or per-workgroup base).
#[derive(Debug, Clone)]
pub struct ScratchPlan {
    /// Sample blocks of four.
    pub m4: u32,
    /// Region of each tensor.
    pub tensor: Vec<u32>,
    /// Save region of each step of each network (0 where it keeps nothing).
    pub save: Vec<Vec<u32>>,
    /// Output-gradient region of each network (training).
    pub dout: Vec<u32>,
    /// Gradient pool buffers (training).
    pub pool: Vec<u32>,
    /// vec4s in all.
    pub stride: u32,
    back: Vec<Back>,
    memory: Option<ActivationMemory>,
}

// Vec4s of a region of `features` values for m4 sample blocks.
fn region(features: u32, m4: u32) -> u32 {
    features * m4
}

impl ScratchPlan {
    /// Plans the regions for `m4` blocks of four samples; `training` adds save
    /// regions and gradient buffers, else the plan serves forward passes only.
    pub fn new(net: &NetLayout, m4: u32, training: bool) -> Self {
        let mut off = 0u32;
        let mut take = |vec4s: u32| {
            let o = off;
            off += vec4s;
            o
        };
        let mut memory = ActivationMemory {
            layers: Vec::new(),
            transient_bytes: 0,
            gradient_bytes: 0,
        };
        let bytes = |vec4s: u32| vec4s as u64 * 16;
        // Tensors: one region each, except the unsaved tensors of a residual
        // stream (all of them when nothing is saved), which share one.
        let mut streams: Vec<Option<u32>> = vec![None; net.programs.len()];
        let mut tensor = Vec::with_capacity(net.tensors.len());
        for t in &net.tensors {
            let size = region(t.features, m4);
            let shared = t.stream.filter(|_| !(training && t.saved));
            let o = match shared {
                Some(s) => *streams[s].get_or_insert_with(|| {
                    memory.transient_bytes += bytes(size);
                    take(size)
                }),
                None => {
                    if !t.saved {
                        memory.transient_bytes += bytes(size);
                    }
                    take(size)
                }
            };
            tensor.push(o);
        }
        // Save regions and the per-layer report, in forward order.
        let act = net.activation;
        let mut save = Vec::new();
        let producer_report = |t: usize, out: &mut Vec<SavedItem>| {
            let info = &net.tensors[t];
            if info.saved {
                out.push(SavedItem {
                    what: format!("output ({} x f32 per sample)", info.features),
                    bytes: bytes(region(info.features, m4)),
                });
            }
        };
        let mut input = Vec::new();
        producer_report(0, &mut input);
        if let Some(i) = input.first_mut() {
            i.what = format!(
                "observations ({} x f32 per sample)",
                net.tensors[0].features
            );
        }
        memory.layers.push(LayerMemory {
            layer: "input".to_string(),
            items: input,
        });
        for prog in &net.programs {
            let mut regions = Vec::new();
            for (name, op) in &prog.ops {
                let mut items = Vec::new();
                let mut r = 0;
                match *op {
                    Op::Dense { layer, y, .. } => {
                        let l = &net.layers[layer];
                        let extra = act.extra_saved_bytes_per_element();
                        if training && l.act && extra > 0.0 {
                            let (size, what) = if extra >= 4.0 {
                                (region(l.n_out, m4), "pre-activation (f32)".to_string())
                            } else {
                                // A u32 word per four outputs x four samples, four words per vec4.
                                (
                                    (l.n_out.div_ceil(4) * m4).div_ceil(4),
                                    format!("{} 2-bit states, 16 per u32", act.name()),
                                )
                            };
                            r = take(size);
                            items.push(SavedItem {
                                what,
                                bytes: bytes(size),
                            });
                        }
                        producer_report(y, &mut items);
                    }
                    Op::Norm { norm, y, .. } => {
                        let n = &net.norms[norm];
                        if training {
                            let per = if n.kind == crate::norm::NormKind::LayerNorm {
                                2
                            } else {
                                1
                            };
                            r = take(per * m4);
                            items.push(SavedItem {
                                what: if per == 2 {
                                    "mean and r per sample"
                                } else {
                                    "r per sample"
                                }
                                .to_string(),
                                bytes: bytes(per * m4),
                            });
                        }
                        producer_report(y, &mut items);
                        if n.kind.is_ms()
                            && let Some(i) = items.last_mut()
                        {
                            i.what += ", also the next Linear's input: stored once";
                        }
                    }
                }
                regions.push(r);
                memory.layers.push(LayerMemory {
                    layer: name.clone(),
                    items,
                });
            }
            save.push(regions);
        }
        let mut plan = ScratchPlan {
            m4,
            tensor,
            save,
            dout: Vec::new(),
            pool: Vec::new(),
            stride: 0,
            back: Vec::new(),
            memory: None,
        };
        if training {
            plan.dout = net
                .programs
                .iter()
                .map(|p| take(region(net.tensors[p.output].features, m4)))
                .collect();
            let (back, widths) = plan_backward(net);
            plan.back = back;
            plan.pool = widths.iter().map(|&w| take(region(w, m4))).collect();
            memory.gradient_bytes = bytes(off - plan.dout[0]);
            plan.memory = Some(memory);
        }
        plan.stride = off;
        plan
    }

    /// Saved activations per layer, forward-only and gradient bytes (training plans).
    pub fn memory(&self) -> Option<&ActivationMemory> {
        self.memory.as_ref()
    }

    fn buf(&self, b: Buf) -> u32 {
        match b {
            Buf::Dout(n) => self.dout[n],
            Buf::Pool(i) => self.pool[i],
        }
    }

    // The FwdOp of step `i` of network `n`.
    fn forward_op(&self, net: &NetLayout, n: usize, i: usize, barrier: bool) -> String {
        let save = self.save[n][i];
        let (kind, idx, x, y, res) = match net.programs[n].ops[i].1 {
            Op::Dense { layer, x, y, res } => (0, layer, x, y, res.map(|r| self.tensor[r])),
            Op::Norm { norm, x, y } => (1, norm, x, y, None),
        };
        let res = res.map_or("NO_RES".to_string(), |r| format!("{r}u"));
        format!(
            "FwdOp({kind}u, {idx}u, {}u, {}u, {save}u, {res}, {}u)",
            self.tensor[x], self.tensor[y], barrier as u32
        )
    }

    // (x_act, save region of x's producer): whether x came out of an activation.
    fn producer(&self, net: &NetLayout, n: usize, x: usize) -> (bool, u32) {
        net.programs[n]
            .ops
            .iter()
            .enumerate()
            .find_map(|(i, (_, op))| match *op {
                Op::Dense { layer, y, .. } if y == x && net.layers[layer].act => {
                    Some((true, self.save[n][i]))
                }
                _ => None,
            })
            .unwrap_or((false, 0))
    }

    /// The networks' forward passes over this plan's regions, as a table of steps
    /// for `shaders/nn/net_forward.wgsl` and functions running it:
    /// `net_forward_all(lid, pb, sb, keep)` (every network, step by step, one
    /// barrier per step) and `net_forward_<n>(lid, pb, sb, keep)` for network n
    /// alone. With `keep`, steps write what backward needs to their save regions.
    /// `FWD_RANGE[n]` is network n's (first, count) in the table and
    /// `FWD_RANGE[networks]` every network's, for kernels that pick at run time
    /// with one call of `run_forward` (llvmpipe inlines each call site). The
    /// tables are private variables, for the reason in `NetLayout::prelude`.
    pub fn forward_wgsl(&self, net: &NetLayout) -> String {
        let sig = "(lid: u32, pb: u32, sb: u32, keep: bool)";
        let steps = net.programs.iter().map(|p| p.ops.len()).max().unwrap_or(0);
        let mut ops = Vec::new();
        for i in 0..steps {
            let last = net.programs.iter().rposition(|p| i < p.ops.len());
            for (n, p) in net.programs.iter().enumerate() {
                if i < p.ops.len() {
                    ops.push(self.forward_op(net, n, i, Some(n) == last));
                }
            }
        }
        let steps_all = ops.len();
        let mut funcs = format!(
            "fn net_forward_all{sig} {{\n    run_forward(lid, pb, sb, {}u, keep, 0u, {}u);\n}}\n",
            self.m4,
            ops.len()
        );
        for (n, p) in net.programs.iter().enumerate() {
            let first = ops.len();
            for i in 0..p.ops.len() {
                ops.push(self.forward_op(net, n, i, true));
            }
            let _ = writeln!(
                funcs,
                "fn net_forward_{n}{sig} {{\n    run_forward(lid, pb, sb, {}u, keep, {first}u, {}u);\n}}",
                self.m4,
                p.ops.len()
            );
        }
        // (first, count) of each network's steps, then of all of them together.
        let mut ranges: Vec<String> = Vec::new();
        let mut first = steps_all;
        for p in &net.programs {
            ranges.push(format!("vec2<u32>({first}u, {}u)", p.ops.len()));
            first += p.ops.len();
        }
        ranges.push(format!("vec2<u32>(0u, {steps_all}u)"));
        format!(
            "// generated by wgrl from the scratch plan\nvar<private> FWD_OPS: array<FwdOp, {}> = array<FwdOp, {}>(\n    {}\n);\n\
             var<private> FWD_RANGE: array<vec2<u32>, {}> = array<vec2<u32>, {}>({});\n{funcs}",
            ops.len(),
            ops.len(),
            ops.join(",\n    "),
            ranges.len(),
            ranges.len(),
            ranges.join(", ")
        )
    }

    /// The networks' backward passes (one after another, sharing the gradient
    /// pool) as a table of steps for `shaders/nn/net_backward.wgsl`, and
    /// `net_backward_all(lid, pb, gb, sb)` running it from the output gradients at
    /// [`ScratchPlan::dout`]; parameter gradients go to `opt` at base `gb`.
    /// `BWD_RANGE[n]` is network n's (first, count) in the table and
    /// `BWD_RANGE[networks]` every network's. Training plans only.
    pub fn backward_wgsl(&self, net: &NetLayout) -> String {
        assert!(self.memory.is_some(), "backward needs a training plan");
        let ops: Vec<String> = self
            .back
            .iter()
            .map(|step| {
                let (n, op, dy, dx) = match *step {
                    Back::Dense { net, op, dy, dx } => (net, op, dy, dx),
                    Back::Norm { net, op, dy, dx } => (net, op, dy, Some(dx)),
                };
                let (kind, idx, x, y, affine) = match net.programs[n].ops[op].1 {
                    Op::Dense { layer, x, y, .. } => (0, layer, x, y, false),
                    Op::Norm { norm, x, y } => (1, norm, x, y, !net.norms[norm].kind.is_ms()),
                };
                let (x_act, xsave) = self.producer(net, n, x);
                let (dx, acc) = dx.map_or((0, false), |(b, acc)| (self.buf(b), acc));
                let flags =
                    dx_flag(step) | (x_act as u32) << 1 | (acc as u32) << 2 | (affine as u32) << 3;
                format!(
                    "BwdOp({kind}u, {idx}u, {}u, {}u, {}u, {}u, {xsave}u, {dx}u, {flags}u)",
                    self.buf(dy),
                    self.tensor[x],
                    self.tensor[y],
                    self.save[n][op],
                )
            })
            .collect();
        // (first, count) of each network's steps (they run network after
        // network), then of all of them.
        let owner = |b: &Back| match *b {
            Back::Dense { net, .. } | Back::Norm { net, .. } => net,
        };
        let mut ranges: Vec<String> = (0..net.programs.len())
            .map(|n| {
                let first = self.back.iter().position(|b| owner(b) == n).unwrap_or(0);
                let count = self.back.iter().filter(|b| owner(b) == n).count();
                format!("vec2<u32>({first}u, {count}u)")
            })
            .collect();
        ranges.push(format!("vec2<u32>(0u, {}u)", ops.len()));
        format!(
            "// generated by wgrl from the scratch plan\n\
             var<private> BWD_OPS: array<BwdOp, {}> = array<BwdOp, {}>(\n    {}\n);\n\
             var<private> BWD_RANGE: array<vec2<u32>, {}> = array<vec2<u32>, {}>({});\n\
             fn net_backward_all(lid: u32, pb: u32, gb: u32, sb: u32) {{\n    run_backward(lid, pb, gb, sb, {}u, 0u, {}u);\n}}\n",
            ops.len(),
            ops.len(),
            ops.join(",\n    "),
            ranges.len(),
            ranges.len(),
            ranges.join(", "),
            self.m4,
            ops.len()
        )
    }

    /// WGSL constants that switch off the portable dense paths no step of this
    /// plan takes with `dense` (`DENSE_FWD_BLOCKS`: a forward's four-output
    /// blocks; `DENSE_FWD_REST_ACT`: the last `n_out % 4` outputs of a layer with
    /// an activation; `DENSE_DX_BLOCKS`: an input gradient's four-input blocks).
    /// Only code size changes: llvmpipe's compile time grows faster than a
    /// kernel's code, and the dense functions serve every layer of a table.
    pub fn dense_paths_wgsl(&self, net: &NetLayout, dense: DenseKernels) -> String {
        let m4 = self.m4;
        let forward: Vec<_> = net
            .programs
            .iter()
            .flat_map(|p| &p.ops)
            .filter_map(|(_, op)| match *op {
                Op::Dense { layer, .. } => Some(&net.layers[layer]),
                Op::Norm { .. } => None,
            })
            .collect();
        let fwd_blocks = forward
            .iter()
            .any(|l| l.n_out >= 4 && !dense.forward_fits(l, m4));
        let fwd_rest_act = forward.iter().any(|l| l.n_out % 4 != 0 && l.act);
        let dx_blocks = self.back.iter().any(|b| match *b {
            Back::Dense {
                net: n,
                op,
                dx: Some(_),
                ..
            } => {
                let Op::Dense { layer, .. } = net.programs[n].ops[op].1 else {
                    unreachable!()
                };
                let l = &net.layers[layer];
                l.n_in >= 4 && !dense.input_grad_fits(l, m4)
            }
            _ => false,
        });
        format!(
            "const DENSE_FWD_BLOCKS: bool = {fwd_blocks};\n\
             const DENSE_FWD_REST_ACT: bool = {fwd_rest_act};\n\
             const DENSE_DX_BLOCKS: bool = {dx_blocks};\n"
        )
    }

    /// Loop iterations one invocation of a `wg`-wide workgroup runs in the forward
    /// pass of every network.
    pub fn forward_iterations(&self, net: &NetLayout, wg: u32) -> u64 {
        let m4 = self.m4;
        net.programs
            .iter()
            .flat_map(|p| &p.ops)
            .map(|(_, op)| match *op {
                Op::Dense { layer, .. } => budget::dense_forward(&net.layers[layer], m4, wg) + 1,
                Op::Norm { norm, .. } => budget::norm_forward(net.norms[norm].h, m4, wg) + 1,
            })
            .sum()
    }

    /// Loop iterations of the backward pass of every network (training plans).
    pub fn backward_iterations(&self, net: &NetLayout, wg: u32) -> u64 {
        let m4 = self.m4;
        self.back
            .iter()
            .map(|b| match *b {
                Back::Dense { net: n, op, dx, .. } => {
                    let Op::Dense { layer, .. } = net.programs[n].ops[op].1 else {
                        unreachable!()
                    };
                    let l = &net.layers[layer];
                    budget::dense_weight_grad(l, m4, wg)
                        + dx.map_or(0, |_| budget::dense_backward_input(l, m4, wg))
                        + 1
                }
                Back::Norm { net: n, op, .. } => {
                    let Op::Norm { norm, .. } = net.programs[n].ops[op].1 else {
                        unreachable!()
                    };
                    let h = net.norms[norm].h;
                    budget::norm_backward(h, m4, wg) + budget::norm_affine_grad(h, m4, wg) + 1
                }
            })
            .sum()
    }
}

// Flag 1 of a backward step: it writes its input's gradient.
fn dx_flag(step: &Back) -> u32 {
    match step {
        Back::Dense { dx, .. } => dx.is_some() as u32,
        Back::Norm { .. } => 1,
    }
}

// The backward steps of every network in order, with their gradient buffers, and
// the width (features) each pool buffer needs. A tensor's gradient lives in one
// buffer; a residual connection passes its output's gradient buffer on to its
// input unchanged, and a step whose input already has a gradient adds to it.
fn plan_backward(net: &NetLayout) -> (Vec<Back>, Vec<u32>) {
    let mut steps = Vec::new();
    let mut widths: Vec<u32> = Vec::new();
    for (n, prog) in net.programs.iter().enumerate() {
        let mut grad: Vec<Option<Buf>> = vec![None; net.tensors.len()];
        grad[prog.output] = Some(Buf::Dout(n));
        // A free pool buffer (no live gradient in it) for `features`.
        let alloc = |grad: &[Option<Buf>], widths: &mut Vec<u32>, features: u32| {
            let live = |i: usize| grad.contains(&Some(Buf::Pool(i)));
            let i = (0..widths.len()).find(|&i| !live(i)).unwrap_or_else(|| {
                widths.push(0);
                widths.len() - 1
            });
            widths[i] = widths[i].max(features);
            Buf::Pool(i)
        };
        for (i, (_, op)) in prog.ops.iter().enumerate().rev() {
            match *op {
                Op::Dense { x, y, res, .. } => {
                    let dy = grad[y].expect("gradient of a dense output");
                    let dx = (x != prog.input).then(|| match grad[x] {
                        Some(b) => (b, true),
                        None => (alloc(&grad, &mut widths, net.tensors[x].features), false),
                    });
                    grad[y] = None;
                    if let Some(r) = res {
                        debug_assert!(grad[r].is_none());
                        grad[r] = Some(dy);
                    }
                    if let Some((b, _)) = dx {
                        grad[x] = Some(b);
                    }
                    steps.push(Back::Dense {
                        net: n,
                        op: i,
                        dy,
                        dx,
                    });
                }
                Op::Norm { x, y, .. } => {
                    let dy = grad[y].expect("gradient of a norm output");
                    let dx = match grad[x] {
                        Some(b) => (b, true),
                        None => (alloc(&grad, &mut widths, net.tensors[x].features), false),
                    };
                    grad[y] = None;
                    grad[x] = Some(dx.0);
                    steps.push(Back::Norm {
                        net: n,
                        op: i,
                        dy,
                        dx,
                    });
                }
            }
        }
    }
    (steps, widths)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Activation;
    use crate::layout::{Arch, ModelSpec};
    use crate::norm::NormKind;

    #[test]
    fn dense_paths_keep_exactly_the_portable_code_a_plan_takes() {
        let paths = |net: &NetLayout, m4: u32, dense: DenseKernels| {
            let text = ScratchPlan::new(net, m4, true).dense_paths_wgsl(net, dense);
            ["DENSE_FWD_BLOCKS", "DENSE_FWD_REST_ACT", "DENSE_DX_BLOCKS"]
                .map(|name| text.contains(&format!("const {name}: bool = true;")))
        };
        // 64-64 tanh over 32 sample blocks: with subgroups every hidden layer and
        // every input gradient (64 inputs) takes the subgroup path; the heads'
        // 2 and 1 outputs take the no-activation rest path, which is always kept.
        let net = NetLayout::actor_critic(4, 2, 64, 2, Activation::Tanh);
        assert_eq!(paths(&net, 32, DenseKernels::Subgroup8), [false; 3]);
        assert_eq!(paths(&net, 32, DenseKernels::Portable), [true, false, true]);
        // 4 sample blocks (16 samples) do not fit the subgroup path.
        assert_eq!(paths(&net, 4, DenseKernels::Subgroup8), [true, false, true]);
        // Width 70: 70 % 4 outputs after the blocks, with an activation; 70
        // inputs do not fit the subgroup input gradient.
        let odd = NetLayout::actor_critic(4, 2, 70, 2, Activation::Tanh);
        assert_eq!(paths(&odd, 32, DenseKernels::Subgroup8), [true, true, true]);
        assert_eq!(DenseKernels::ALL_PATHS.matches("= true;").count(), 3);
    }

    fn residual(act: Activation, norm: NormKind) -> NetLayout {
        let model = ModelSpec {
            arch: Arch::Residual {
                blocks: 2,
                expansion: 4,
            },
            width: 16,
            activation: act,
            norm: Some(norm),
        };
        NetLayout::actor_critic_model(4, 2, &model)
    }

    fn layer<'a>(m: &'a ActivationMemory, name: &str) -> &'a LayerMemory {
        m.layers.iter().find(|l| l.layer == name).unwrap()
    }

    #[test]
    fn block_memory_follows_the_block_arithmetic() {
        // Per sample of one block (H = 16, m = 4): gelu + layernorm keeps the
        // norm's input (H), its mean and r (2), its output = fc1's input (H), the
        // gelu pre-activation (mH) and its output = fc2's input (mH); regelu2 +
        // ms-layernorm keeps r (1), the norm's output once (H), 2-bit states
        // (mH / 16 words) and the activation output (mH).
        let (h, mh, m4) = (16u64, 64u64, 8u32);
        let samples = 4 * m4 as u64;
        let exact = ScratchPlan::new(&residual(Activation::Gelu, NormKind::LayerNorm), m4, true);
        let approx = ScratchPlan::new(
            &residual(Activation::ReGelu2, NormKind::MsLayerNorm),
            m4,
            true,
        );
        let (e, a) = (exact.memory().unwrap(), approx.memory().unwrap());
        let block = |m: &ActivationMemory, k: u32| -> u64 {
            ["norm", "fc1", "fc2"]
                .iter()
                .map(|s| layer(m, &format!("actor.block{k}.{s}")).bytes())
                .sum()
        };
        // Block 1's norm input is block 0's output (saved by block0.fc2 when exact).
        assert_eq!(block(e, 0), (2 + h + mh + mh + h) * samples * 4);
        assert_eq!(
            block(a, 0),
            (1 + h + mh) * samples * 4 + mh / 16 * samples * 4
        );
        // Nothing of the residual stream is kept with MS norms: it is one forward-only
        // region, updated in place by every block.
        assert_eq!(layer(a, "actor.embed").bytes(), 0);
        assert_eq!(layer(a, "actor.block1.fc2").bytes(), 0);
        let net = residual(Activation::ReGelu2, NormKind::MsLayerNorm);
        let stream: Vec<u32> = (0..net.tensors.len())
            .filter(|&t| net.tensors[t].stream == Some(0))
            .map(|t| approx.tensor[t])
            .collect();
        assert_eq!(stream.len(), 3);
        assert!(stream.iter().all(|&o| o == stream[0]));
        assert_eq!(a.transient_bytes, 2 * h * samples * 4);
        // With standard norms every stream tensor is a norm's saved input.
        let net = residual(Activation::Gelu, NormKind::LayerNorm);
        let mut offs: Vec<u32> = (0..net.tensors.len())
            .filter(|&t| net.tensors[t].stream == Some(0))
            .map(|t| exact.tensor[t])
            .collect();
        offs.dedup();
        assert_eq!(offs.len(), 3);
        assert_eq!(e.transient_bytes, 0);
        // Gradient buffers are the same for both: the residual stream's (H), the
        // block's inner (mH) and the norm output's (H), plus the heads' (3).
        assert_eq!(e.gradient_bytes, a.gradient_bytes);
        assert_eq!(e.gradient_bytes, (h + mh + h + 3) * samples * 4);
    }

    #[test]
    fn ms_norm_output_is_stored_once_for_norm_and_linear() {
        // The MS norm's output tensor is the next Linear's input: one region, read
        // by the norm's backward (as y) and the Linear's weight gradient (as x).
        let net = residual(Activation::ReGelu2, NormKind::MsLayerNorm);
        let plan = ScratchPlan::new(&net, 4, true);
        let bwd = plan.backward_wgsl(&net);
        for (_, op) in &net.programs[0].ops {
            if let Op::Norm { y, .. } = *op {
                let y_off = plan.tensor[y];
                let uses: Vec<&str> = bwd
                    .lines()
                    .filter(|l| l.contains(&format!(", {y_off}u, ")))
                    .collect();
                // One dense step reads it as x, one norm step as y.
                assert!(
                    uses.iter()
                        .any(|l| l.trim_start().starts_with("BwdOp(0u, "))
                );
                assert!(
                    uses.iter()
                        .any(|l| l.trim_start().starts_with("BwdOp(1u, "))
                );
            }
        }
    }
}
