//! Where each layer's weights live in an agent's parameter block, and the WGSL
//! constants that tell kernels the same.

use crate::activation::ActKind;

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

/// The layers of several networks packed into one parameter block per agent,
/// optionally followed by a state-independent log-std vector (trainable) and a
/// block of non-trainable state (observation and return statistics) that travels
/// with the parameters into checkpoints:
/// `[layers | log_std | state]`, `param_count` words in all.
#[derive(Debug, Clone, PartialEq)]
pub struct NetLayout {
    /// All layers, network after network.
    pub layers: Vec<LayerLayout>,
    /// `(first layer, layer count)` of each network.
    pub nets: Vec<(usize, usize)>,
    /// Words per agent: every trainable parameter plus the state block.
    pub param_count: u32,
    /// Trainable words per agent (the optimizer's range, from 0).
    pub trainable: u32,
    /// Offset and length of the log-std vector (Gaussian policies), if any.
    pub log_std: Option<(u32, u32)>,
    /// Offset and length of the non-trainable state block, if any.
    pub state: Option<(u32, u32)>,
    /// Hidden activation.
    pub activation: Activation,
}

impl NetLayout {
    /// Packs `specs` (with their hidden and output init gains) one after another.
    pub fn new(specs: &[(MlpSpec, f32, f32)], activation: Activation) -> Self {
        let mut layers = Vec::new();
        let mut nets = Vec::new();
        let mut off = 0u32;
        for (spec, hidden_gain, out_gain) in specs {
            let first = layers.len();
            let mut n_in = spec.input;
            for l in 0..=spec.depth {
                let last = l == spec.depth;
                let n_out = if last { spec.output } else { spec.width };
                let w = off;
                let b = w + n_out * n_in;
                off = b + n_out;
                layers.push(LayerLayout {
                    n_in,
                    n_out,
                    w,
                    b,
                    act: !last,
                    gain: if last { *out_gain } else { *hidden_gain },
                });
                n_in = n_out;
            }
            nets.push((first, layers.len() - first));
        }
        NetLayout {
            layers,
            nets,
            param_count: off,
            trainable: off,
            log_std: None,
            state: None,
            activation,
        }
    }

    /// Appends a trainable log-std vector of `dim` values (initialised to 0, as
    /// CleanRL and PureJaxRL do). Call before [`NetLayout::with_state`].
    pub fn with_log_std(mut self, dim: u32) -> Self {
        assert!(self.state.is_none(), "log-std goes before the state block");
        self.log_std = Some((self.param_count, dim));
        self.param_count += dim;
        self.trainable = self.param_count;
        self
    }

    /// Appends `words` of non-trainable state (the optimizer never touches it).
    pub fn with_state(mut self, words: u32) -> Self {
        self.state = Some((self.param_count, words));
        self.param_count += words;
        self
    }

    /// CleanRL / PureJaxRL actor-critic: separate actor (`obs -> actions`, gains
    /// sqrt 2 hidden, 0.01 head) and critic (`obs -> 1`, gains sqrt 2 hidden, 1.0 head).
    pub fn actor_critic(
        obs: u32,
        actions: u32,
        width: u32,
        depth: u32,
        activation: Activation,
    ) -> Self {
        let s2 = std::f32::consts::SQRT_2;
        Self::new(
            &[
                (
                    MlpSpec {
                        input: obs,
                        width,
                        depth,
                        output: actions,
                    },
                    s2,
                    0.01,
                ),
                (
                    MlpSpec {
                        input: obs,
                        width,
                        depth,
                        output: 1,
                    },
                    s2,
                    1.0,
                ),
            ],
            activation,
        )
    }

    /// Widest layer output (sizes private arrays and delta buffers).
    pub fn max_width(&self) -> u32 {
        self.layers
            .iter()
            .map(|l| l.n_out.max(l.n_in))
            .max()
            .unwrap_or(1)
    }

    /// The WGSL constants describing this layout (`NET`, `NET_LAYERS`, offsets of
    /// each network, `PARAMS_PER_AGENT` (all words), `TRAINABLE`, `LOG_STD_OFF`,
    /// `STATE_OFF`, `MAX_WIDTH`, `ACT_KIND`).
    pub fn prelude(&self) -> String {
        let mut s = String::from(
            "// generated by wgrl from the network layout\n\
             struct Layer { n_in: u32, n_out: u32, w: u32, b: u32, act: u32 }\n",
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
        s += &format!("const NET_LAYERS: u32 = {n}u;\n");
        s += &format!(
            "const NET: array<Layer, {n}> = array<Layer, {n}>({});\n",
            rows.join(", ")
        );
        for (k, (first, count)) in self.nets.iter().enumerate() {
            s += &format!(
                "const NET{k}_FIRST: u32 = {first}u;\nconst NET{k}_LAYERS: u32 = {count}u;\n"
            );
        }
        s += &format!(
            "const PARAMS_PER_AGENT: u32 = {}u;\nconst TRAINABLE: u32 = {}u;\n\
             const LOG_STD_OFF: u32 = {}u;\nconst STATE_OFF: u32 = {}u;\n\
             const MAX_WIDTH: u32 = {}u;\nconst ACT_KIND: u32 = {}u;\n",
            self.param_count,
            self.trainable,
            self.log_std.map_or(0, |l| l.0),
            self.state.map_or(0, |l| l.0),
            self.max_width(),
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
        // actor 4*64+64 + 64*64+64 + 64*2+2 = 4610; critic 4545 (CleanRL's CartPole agent).
        assert_eq!(l.param_count, 4610 + 4545);
        assert_eq!(l.nets, vec![(0, 3), (3, 3)]);
        assert_eq!(l.layers[3].w, 4610);
        assert!(!l.layers[2].act && l.layers[1].act);
        assert_eq!(l.layers[2].gain, 0.01);
        assert_eq!(l.layers[5].gain, 1.0);
    }
}
