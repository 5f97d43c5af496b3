//! Where each layer's weights live in an agent's parameter block, and the WGSL
//! constants that tell kernels the same.

use crate::activation::ActKind;
use crate::norm::NormKind;

/// Hidden-layer activation (any [`ActKind`], exact or Approx-BP).
pub type Activation = ActKind;

/// An MLP: `input -> width x depth -> output`, activation after every hidden layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MlpSpec {
    /// Input features.
    pub input: u32,
    /// Hidden width.
    pub width: u32,
    /// Hidden layers.
    pub depth: u32,
    /// Outputs (no activation).
    pub output: u32,
}

/// One dense layer inside an agent's parameter block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayerLayout {
    /// Inputs.
    pub n_in: u32,
    /// Outputs.
    pub n_out: u32,
    /// Offset of W (`n_out x n_in`, row-major: `W[o][i]` at `w + o * n_in + i`).
    pub w: u32,
    /// Offset of the bias (`n_out`).
    pub b: u32,
    /// Whether the hidden activation follows (false for output layers).
    pub act: bool,
    /// Orthogonal-init gain.
    pub gain: f32,
}

impl LayerLayout {
    /// (W, b) of this layer in one agent's parameters.
    pub fn params<'a>(&self, p: &'a [f32]) -> (&'a [f32], &'a [f32]) {
        let w = &p[self.w as usize..(self.w + self.n_out * self.n_in) as usize];
        (w, &p[self.b as usize..(self.b + self.n_out) as usize])
    }
}

/// Network architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    /// `depth` hidden layers of `width`: Linear -> activation, with a norm (if
    /// any) before every Linear after the first.
    Mlp {
        /// Hidden layers.
        depth: u32,
    },
    /// SimBa-style residual net: an embedding Linear, `blocks` blocks of
    /// [norm -> Linear(H -> mH) -> activation -> Linear(mH -> H) -> + residual],
    /// a final norm, then the head.
    Residual {
        /// Residual blocks.
        blocks: u32,
        /// Hidden expansion m of each block.
        expansion: u32,
    },
}

/// The shape every network of a model shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelSpec {
    /// Architecture.
    pub arch: Arch,
    /// Hidden width H.
    pub width: u32,
    /// Hidden activation.
    pub activation: Activation,
    /// Normalisation layer, if any.
    pub norm: Option<NormKind>,
}

impl ModelSpec {
    /// An MLP without normalisation.
    pub fn mlp(width: u32, depth: u32, activation: Activation) -> Self {
        ModelSpec {
            arch: Arch::Mlp { depth },
            width,
            activation,
            norm: None,
        }
    }
}

/// One normalisation layer inside an agent's parameter block.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NormLayout {
    /// Kind.
    pub kind: NormKind,
    /// Features per row.
    pub h: u32,
    /// Offset of gamma (`h`; standard kinds only).
    pub g: u32,
    /// Offset of beta (`h`; LayerNorm only).
    pub b: u32,
}

impl NormLayout {
    /// (gamma, beta) of this norm in one agent's parameters: 1 and 0 where the
    /// kind has none (MS kinds; RMSNorm's beta).
    pub fn affine(&self, p: &[f32]) -> (Vec<f32>, Vec<f32>) {
        let h = self.h as usize;
        let gamma = if self.kind.is_ms() {
            vec![1.0; h]
        } else {
            p[self.g as usize..self.g as usize + h].to_vec()
        };
        let beta = if self.kind == NormKind::LayerNorm {
            p[self.b as usize..self.b as usize + h].to_vec()
        } else {
            vec![0.0; h]
        };
        (gamma, beta)
    }
}

/// One step of a network's forward pass over activation tensors (indices into
/// [`NetLayout::tensors`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// `y = act(W x + b)` (act where the layer has one), plus `res` when given
    /// (a residual connection: `y = res + W x + b`).
    Dense {
        /// Index into [`NetLayout::layers`].
        layer: usize,
        /// Input tensor.
        x: usize,
        /// Output tensor.
        y: usize,
        /// Tensor added to the output.
        res: Option<usize>,
    },
    /// `y = norm(x)`.
    Norm {
        /// Index into [`NetLayout::norms`].
        norm: usize,
        /// Input tensor.
        x: usize,
        /// Output tensor.
        y: usize,
    },
}

/// An activation tensor: `features` values per sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    /// What it is, for the memory report (`actor.block0.norm`, ...).
    pub name: String,
    /// Values per sample.
    pub features: u32,
    /// Whether some backward step reads it (else it lives only during forward).
    pub saved: bool,
    /// The residual stream it belongs to (network index), if any: unsaved
    /// tensors of one stream share storage and are updated in place.
    pub stream: Option<usize>,
}

/// One network's forward pass.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    /// Steps in forward order; each has a display name (`actor.block0.fc1`).
    pub ops: Vec<(String, Op)>,
    /// Input tensor.
    pub input: usize,
    /// Output tensor.
    pub output: usize,
}

/// The layers of several networks packed into one parameter block per agent,
/// optionally followed by a state-independent log-std vector (trainable) and a
/// block of non-trainable state (observation and return statistics) that travels
/// with the parameters into checkpoints:
/// `[layers and norms | log_std | state]`, `param_count` words in all.
/// Each network is a [`Program`] of dense and norm steps over activation tensors.
#[derive(Debug, Clone, PartialEq)]
pub struct NetLayout {
    /// All dense layers, network after network.
    pub layers: Vec<LayerLayout>,
    /// All norm layers.
    pub norms: Vec<NormLayout>,
    /// `(first layer, layer count)` of each network.
    pub nets: Vec<(usize, usize)>,
    /// `[start, end)` of each network's parameters (its layers and norms).
    pub net_params: Vec<(u32, u32)>,
    /// Each network's forward pass.
    pub programs: Vec<Program>,
    /// Activation tensors of every network (tensor 0 is the shared input).
    pub tensors: Vec<Tensor>,
    /// Words per agent: every trainable parameter plus the state block. A
    /// multiple of 4, as is every layer's weight offset and every network's
    /// start, so kernels can load four weights of a row at once; the padding
    /// words stay zero (their gradients are zero, so Adam leaves them).
    pub param_count: u32,
    /// Trainable words per agent (the optimizer's range, from 0).
    pub trainable: u32,
    /// Offset and length of the log-std vector (Gaussian policies), if any.
    pub log_std: Option<(u32, u32)>,
    /// Offset and length of the non-trainable state block, if any.
    pub state: Option<(u32, u32)>,
    /// Hidden activation.
    pub activation: Activation,
    /// The model the networks were built from.
    pub model: ModelSpec,
}

/// One network to build: (name, inputs, outputs, hidden init gain, output init gain).
pub type NetSpec<'a> = (&'a str, u32, u32, f32, f32);

// Builds one network's program, adding its layers, norms and tensors.
struct Builder<'a> {
    l: &'a mut NetLayout,
    off: u32,
}

impl Builder<'_> {
    fn tensor(&mut self, name: String, features: u32, stream: Option<usize>) -> usize {
        self.l.tensors.push(Tensor {
            name,
            features,
            saved: false,
            stream,
        });
        self.l.tensors.len() - 1
    }

    fn dense(&mut self, n_in: u32, n_out: u32, act: bool, gain: f32) -> usize {
        // Weights start at a multiple of 4 words (see NetLayout::param_count).
        let w = self.off.next_multiple_of(4);
        let b = w + n_out * n_in;
        self.off = b + n_out;
        self.l.layers.push(LayerLayout {
            n_in,
            n_out,
            w,
            b,
            act,
            gain,
        });
        self.l.layers.len() - 1
    }

    fn norm(&mut self, kind: NormKind, h: u32) -> usize {
        // Standard kinds own gamma (and LayerNorm beta); MS kinds have no parameters.
        let g = self.off;
        if !kind.is_ms() {
            self.off += h;
        }
        let b = self.off;
        if kind == NormKind::LayerNorm {
            self.off += h;
        }
        self.l.norms.push(NormLayout { kind, h, g, b });
        self.l.norms.len() - 1
    }

    // Adds a dense step from tensor x to a new tensor of n_out features (in
    // residual stream `stream`, if any), plus `res` when given; returns its output.
    #[allow(clippy::too_many_arguments)]
    fn push_dense(
        &mut self,
        ops: &mut Vec<(String, Op)>,
        name: String,
        x: usize,
        n_out: u32,
        act: bool,
        gain: f32,
        res: Option<usize>,
        stream: Option<usize>,
    ) -> usize {
        let y = self.tensor(format!("{name} output"), n_out, stream);
        let layer = self.dense(self.l.tensors[x].features, n_out, act, gain);
        ops.push((name, Op::Dense { layer, x, y, res }));
        y
    }

    // Adds a norm step on tensor x when the model has a norm; returns what the
    // next step reads (x itself without a norm).
    fn push_norm(
        &mut self,
        ops: &mut Vec<(String, Op)>,
        name: String,
        x: usize,
        model: &ModelSpec,
    ) -> usize {
        let Some(kind) = model.norm else {
            return x;
        };
        let h = self.l.tensors[x].features;
        let y = self.tensor(format!("{name} output"), h, None);
        let norm = self.norm(kind, h);
        ops.push((name, Op::Norm { norm, x, y }));
        y
    }

    fn build(&mut self, spec: &NetSpec, model: &ModelSpec) -> Program {
        let (name, input, output, hidden_gain, out_gain) = *spec;
        let net = self.l.programs.len();
        let h = model.width;
        let mut ops = Vec::new();
        debug_assert_eq!(self.l.tensors[0].features, input);
        let out = match model.arch {
            Arch::Mlp { depth } => {
                let mut x = 0usize;
                for d in 0..depth {
                    if d > 0 {
                        x = self.push_norm(&mut ops, format!("{name}.norm{}", d - 1), x, model);
                    }
                    x = self.push_dense(
                        &mut ops,
                        format!("{name}.fc{d}"),
                        x,
                        h,
                        true,
                        hidden_gain,
                        None,
                        None,
                    );
                }
                x = self.push_norm(&mut ops, format!("{name}.norm{}", depth - 1), x, model);
                self.push_dense(
                    &mut ops,
                    format!("{name}.head"),
                    x,
                    output,
                    false,
                    out_gain,
                    None,
                    None,
                )
            }
            Arch::Residual { blocks, expansion } => {
                let stream = Some(net);
                let mut hcur = self.push_dense(
                    &mut ops,
                    format!("{name}.embed"),
                    0,
                    h,
                    false,
                    hidden_gain,
                    None,
                    stream,
                );
                for k in 0..blocks {
                    let p = format!("{name}.block{k}");
                    let u = self.push_norm(&mut ops, format!("{p}.norm"), hcur, model);
                    let a = self.push_dense(
                        &mut ops,
                        format!("{p}.fc1"),
                        u,
                        h * expansion,
                        true,
                        hidden_gain,
                        None,
                        None,
                    );
                    hcur = self.push_dense(
                        &mut ops,
                        format!("{p}.fc2"),
                        a,
                        h,
                        false,
                        hidden_gain,
                        Some(hcur),
                        stream,
                    );
                }
                let u = self.push_norm(&mut ops, format!("{name}.norm"), hcur, model);
                self.push_dense(
                    &mut ops,
                    format!("{name}.head"),
                    u,
                    output,
                    false,
                    out_gain,
                    None,
                    None,
                )
            }
        };
        Program {
            ops,
            input: 0,
            output: out,
        }
    }
}

impl NetLayout {
    /// Packs the networks of `specs` (built from `model`) one after another; every
    /// network reads the same input (tensor 0).
    pub fn build(specs: &[NetSpec], model: &ModelSpec) -> Self {
        let input = specs.first().map_or(0, |s| s.1);
        let mut l = NetLayout {
            layers: Vec::new(),
            norms: Vec::new(),
            nets: Vec::new(),
            net_params: Vec::new(),
            programs: Vec::new(),
            tensors: vec![Tensor {
                name: "input".to_string(),
                features: input,
                saved: false,
                stream: None,
            }],
            param_count: 0,
            trainable: 0,
            log_std: None,
            state: None,
            activation: model.activation,
            model: *model,
        };
        let mut off = 0;
        for spec in specs {
            assert_eq!(spec.1, input, "every network reads the same input");
            let first = l.layers.len();
            let mut b = Builder { l: &mut l, off };
            let program = b.build(spec, model);
            let end = b.off.next_multiple_of(4);
            l.net_params.push((off, end));
            off = end;
            l.nets.push((first, l.layers.len() - first));
            l.programs.push(program);
        }
        l.param_count = off;
        l.trainable = off;
        l.mark_saved();
        l
    }

    // A tensor is saved when a backward step reads it: a dense layer's input
    // (its weight gradient), a standard norm's input, an MS norm's output, and
    // the output of an activation whose derivative comes from its output.
    fn mark_saved(&mut self) {
        let from_output = self.activation.extra_saved_bytes_per_element() == 0.0;
        let mut saved = vec![false; self.tensors.len()];
        for p in &self.programs {
            saved[p.output] = true; // the loss reads the outputs
            for (_, op) in &p.ops {
                match *op {
                    Op::Dense { layer, x, y, .. } => {
                        saved[x] = true;
                        saved[y] |= self.layers[layer].act && from_output;
                    }
                    Op::Norm { norm, x, y } => {
                        if self.norms[norm].kind.is_ms() {
                            saved[y] = true;
                        } else {
                            saved[x] = true;
                        }
                    }
                }
            }
        }
        for (t, s) in self.tensors.iter_mut().zip(saved) {
            t.saved = s;
        }
    }

    /// Packs MLPs (with their hidden and output init gains) one after another;
    /// they must share their input size.
    pub fn new(specs: &[(MlpSpec, f32, f32)], activation: Activation) -> Self {
        let names = ["net0", "net1", "net2", "net3"];
        let width = specs.first().map_or(1, |s| s.0.width);
        let depth = specs.first().map_or(1, |s| s.0.depth);
        let model = ModelSpec::mlp(width, depth, activation);
        let specs: Vec<NetSpec> = specs
            .iter()
            .enumerate()
            .map(|(i, (s, hg, og))| {
                assert!(
                    s.width == width && s.depth == depth,
                    "networks share their shape"
                );
                (names[i.min(3)], s.input, s.output, *hg, *og)
            })
            .collect();
        Self::build(&specs, &model)
    }

    /// Appends a trainable log-std vector of `dim` values (initialised to 0, as
    /// CleanRL and PureJaxRL do). Call before [`NetLayout::with_state`].
    pub fn with_log_std(mut self, dim: u32) -> Self {
        assert!(self.state.is_none(), "log-std goes before the state block");
        self.log_std = Some((self.param_count, dim));
        self.param_count = (self.param_count + dim).next_multiple_of(4);
        self.trainable = self.param_count;
        self
    }

    /// Appends `words` of non-trainable state (the optimizer never touches it).
    pub fn with_state(mut self, words: u32) -> Self {
        self.state = Some((self.param_count, words));
        self.param_count = (self.param_count + words).next_multiple_of(4);
        self
    }

    /// CleanRL / PureJaxRL actor-critic MLP without norms: separate actor
    /// (`obs -> actions`, gains sqrt 2 hidden, 0.01 head) and critic (`obs -> 1`,
    /// gains sqrt 2 hidden, 1.0 head).
    pub fn actor_critic(
        obs: u32,
        actions: u32,
        width: u32,
        depth: u32,
        activation: Activation,
    ) -> Self {
        Self::actor_critic_model(obs, actions, &ModelSpec::mlp(width, depth, activation))
    }

    /// A separate actor and critic of any [`ModelSpec`], with CleanRL's gains.
    pub fn actor_critic_model(obs: u32, actions: u32, model: &ModelSpec) -> Self {
        let s2 = std::f32::consts::SQRT_2;
        Self::build(
            &[
                ("actor", obs, actions, s2, 0.01),
                ("critic", obs, 1, s2, 1.0),
            ],
            model,
        )
    }

    // Per agent: for each norm of `self`, the dense layer right after it.
    fn norm_consumers(&self) -> Vec<usize> {
        let mut out = vec![usize::MAX; self.norms.len()];
        for prog in &self.programs {
            for (_, op) in &prog.ops {
                if let Op::Norm { norm, y, .. } = *op {
                    out[norm] = prog
                        .ops
                        .iter()
                        .find_map(|(_, o)| match *o {
                            Op::Dense { layer, x, .. } if x == y => Some(layer),
                            _ => None,
                        })
                        .expect("every norm feeds a dense layer");
                }
            }
        }
        out
    }

    // Checks that `ms` is this network with every standard norm replaced by its
    // memory-sharing twin.
    fn check_twin(&self, ms: &NetLayout) -> Result<(), String> {
        let twin = ModelSpec {
            norm: self.model.norm.map(NormKind::ms),
            ..self.model
        };
        if ms.model != twin
            || self.layers.len() != ms.layers.len()
            || self.log_std.map(|l| l.1) != ms.log_std.map(|l| l.1)
            || self.state.map(|l| l.1) != ms.state.map(|l| l.1)
        {
            return Err(format!(
                "the memory-sharing twin of {:?} is {twin:?} with the same heads, not {:?}",
                self.model, ms.model
            ));
        }
        Ok(())
    }

    // Copies dense layers, log-stds and state from `src` (layout `from`) into
    // `dst` (layout `to`), agent by agent.
    fn copy_shared(from: &NetLayout, to: &NetLayout, src: &[f32], dst: &mut [f32]) {
        for (a, b) in from.layers.iter().zip(&to.layers) {
            let n = (a.n_out * a.n_in + a.n_out) as usize;
            dst[b.w as usize..b.w as usize + n]
                .copy_from_slice(&src[a.w as usize..a.w as usize + n]);
        }
        for (a, b) in [(from.log_std, to.log_std), (from.state, to.state)] {
            if let (Some((ao, n)), Some((bo, _))) = (a, b) {
                dst[bo as usize..(bo + n) as usize]
                    .copy_from_slice(&src[ao as usize..(ao + n) as usize]);
            }
        }
    }

    /// Folds this (standard-norm) network's affines into the dense layers after
    /// them, giving the parameters of `ms`, its memory-sharing twin (W' = W
    /// diag(gamma), b' = b + W beta). `params` holds whole agents of this layout;
    /// the result holds the same agents in `ms`'s layout and computes the same
    /// function (up to f32 rounding).
    pub fn fold_norms(&self, ms: &NetLayout, params: &[f32]) -> Result<Vec<f32>, String> {
        self.check_twin(ms)?;
        let consumers = self.norm_consumers();
        let (pc, mc) = (self.param_count as usize, ms.param_count as usize);
        let mut out = vec![0.0; params.len() / pc * mc];
        for (src, dst) in params.chunks(pc).zip(out.chunks_mut(mc)) {
            Self::copy_shared(self, ms, src, dst);
            for (n, &li) in self.norms.iter().zip(&consumers) {
                let (gamma, beta) = n.affine(src);
                let (l, t) = (&self.layers[li], &ms.layers[li]);
                let (w, b) = l.params(src);
                let (wf, bf) = crate::norm::fold_affine(w, b, l.n_in as usize, &gamma, &beta);
                dst[t.w as usize..t.w as usize + wf.len()].copy_from_slice(&wf);
                dst[t.b as usize..t.b as usize + bf.len()].copy_from_slice(&bf);
            }
        }
        Ok(out)
    }

    /// The inverse of [`NetLayout::fold_norms`]: `folded` holds agents of `ms`;
    /// the affines come from `affine` (agents of this layout, the ones folded) or
    /// are the identity (gamma 1, beta 0) when None.
    pub fn unfold_norms(
        &self,
        ms: &NetLayout,
        folded: &[f32],
        affine: Option<&[f32]>,
    ) -> Result<Vec<f32>, String> {
        self.check_twin(ms)?;
        let consumers = self.norm_consumers();
        let (pc, mc) = (self.param_count as usize, ms.param_count as usize);
        let agents = folded.len() / mc;
        let mut out = match affine {
            Some(a) if a.len() == agents * pc => a.to_vec(),
            Some(a) => {
                return Err(format!(
                    "the affine source holds {} words, not {} agents x {pc}",
                    a.len(),
                    agents
                ));
            }
            None => crate::init::init_params(self, agents as u32, 0),
        };
        for (src, dst) in folded.chunks(mc).zip(out.chunks_mut(pc)) {
            Self::copy_shared(ms, self, src, dst);
            for (n, &li) in self.norms.iter().zip(&consumers) {
                let (gamma, beta) = n.affine(dst);
                if gamma.contains(&0.0) {
                    return Err("a norm's gamma has a zero; it cannot be unfolded".to_string());
                }
                let (t, l) = (&ms.layers[li], &self.layers[li]);
                let (w, b) = t.params(src);
                let (wu, bu) = crate::norm::unfold_affine(w, b, l.n_in as usize, &gamma, &beta);
                dst[l.w as usize..l.w as usize + wu.len()].copy_from_slice(&wu);
                dst[l.b as usize..l.b as usize + bu.len()].copy_from_slice(&bu);
            }
        }
        Ok(out)
    }

    /// Widest layer input or output.
    pub fn max_width(&self) -> u32 {
        self.layers
            .iter()
            .map(|l| l.n_out.max(l.n_in))
            .max()
            .unwrap_or(1)
    }

    /// The WGSL declarations describing this layout (`NET` and `NORMS`, the layers
    /// the step tables index, `PARAMS_PER_AGENT` (all words), `TRAINABLE`,
    /// `LOG_STD_OFF`, `STATE_OFF`, `ACT_KIND`).
    pub fn prelude(&self) -> String {
        let mut s = String::from(
            "// generated by wgrl from the network layout\n\
             struct Layer { n_in: u32, n_out: u32, w: u32, b: u32, act: u32 }\n\
             struct NormL { h: u32, g: u32, b: u32, kind: u32 }\n",
        );
        // WGSL has no empty arrays: a network without norms gets one unused entry.
        let norms: Vec<String> = if self.norms.is_empty() {
            vec!["NormL(0u, 0u, 0u, 0u)".to_string()]
        } else {
            self.norms
                .iter()
                .map(|n| format!("NormL({}u, {}u, {}u, {}u)", n.h, n.g, n.b, n.kind.id()))
                .collect()
        };
        // The tables are private variables, not consts: kernels index them at
        // run time, and naga stores a whole const array into a temporary at every
        // such access (a spill per layer call; ~20% of the first-run compile on
        // lavapipe and ~8% of a rollout's time, see BENCHMARKS.md).
        s += &format!(
            "var<private> NORMS: array<NormL, {}> = array<NormL, {}>({});\n",
            norms.len(),
            norms.len(),
            norms.join(", ")
        );
        let n = self.layers.len();
        let rows: Vec<String> = self
            .layers
            .iter()
            .map(|l| {
                format!(
                    "Layer({}u, {}u, {}u, {}u, {}u)",
                    l.n_in, l.n_out, l.w, l.b, l.act as u32
                )
            })
            .collect();
        s += &format!(
            "var<private> NET: array<Layer, {n}> = array<Layer, {n}>({});\n",
            rows.join(", ")
        );
        s += &format!(
            "const PARAMS_PER_AGENT: u32 = {}u;\nconst TRAINABLE: u32 = {}u;\n\
             const LOG_STD_OFF: u32 = {}u;\nconst STATE_OFF: u32 = {}u;\n\
             const ACT_KIND: u32 = {}u;\n",
            self.param_count,
            self.trainable,
            self.log_std.map_or(0, |l| l.0),
            self.state.map_or(0, |l| l.0),
            self.activation.id()
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actor_critic_64x2_has_cleanrl_parameter_count() {
        let l = NetLayout::actor_critic(4, 2, 64, 2, Activation::Tanh);
        // actor 4*64+64 + 64*64+64 + 64*2+2 = 4610; critic 4545 (CleanRL's CartPole
        // agent); each network padded to a multiple of 4 words: 4612 and 4548.
        assert_eq!(l.param_count, 4612 + 4548);
        assert_eq!(l.nets, vec![(0, 3), (3, 3)]);
        assert_eq!(l.net_params, vec![(0, 4612), (4612, 4612 + 4548)]);
        assert_eq!(l.layers[3].w, 4612);
        assert!(l.layers.iter().all(|d| d.w % 4 == 0));
        assert!(!l.layers[2].act && l.layers[1].act);
        assert_eq!(l.layers[2].gain, 0.01);
        assert_eq!(l.layers[5].gain, 1.0);
    }
}
