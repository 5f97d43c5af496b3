//! CPU reference of `shaders/common/rng.wgsl`, bit-for-bit for the integer part.
//! Used by tests (the GPU must produce exactly these words) and by host code that
//! needs the same random numbers the GPU draws (initialisation, for example).

/// Stream id for env resets (matches `STREAM_RESET` in WGSL).
pub const STREAM_RESET: u32 = 0;
/// Stream id for action sampling.
pub const STREAM_ACTION: u32 = 1;
/// Stream id for minibatch shuffles.
pub const STREAM_SHUFFLE: u32 = 2;
/// Stream id for parameter initialisation.
pub const STREAM_INIT: u32 = 3;
/// Stream id for task parameters sampled at resets (matches `STREAM_TASK` in WGSL).
pub const STREAM_TASK: u32 = 4;

/// The pcg4d hash (Jarzynski & Olano, JCGT 2020).
pub fn pcg4d(v: [u32; 4]) -> [u32; 4] {
    let mut v = v.map(|x| x.wrapping_mul(1664525).wrapping_add(1013904223));
    let mix = |v: &mut [u32; 4]| {
        v[0] = v[0].wrapping_add(v[1].wrapping_mul(v[3]));
        v[1] = v[1].wrapping_add(v[2].wrapping_mul(v[0]));
        v[2] = v[2].wrapping_add(v[0].wrapping_mul(v[1]));
        v[3] = v[3].wrapping_add(v[1].wrapping_mul(v[2]));
    };
    mix(&mut v);
    v = v.map(|x| x ^ (x >> 16));
    mix(&mut v);
    v
}

/// A counter-based generator at one (seed, agent, env, step, stream) key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rng {
    key: [u32; 4],
    env: u32,
    step: u32,
    ctr: u32,
}

impl Rng {
    /// The generator for a full key.
    pub fn new(seed: u32, agent: u32, env: u32, step: u32, stream: u32) -> Self {
        Rng {
            key: pcg4d([seed, agent, stream, 0x9e37_79b9]),
            env,
            step,
            ctr: 0,
        }
    }

    /// Four fresh words.
    pub fn next4(&mut self) -> [u32; 4] {
        let k = self.key;
        let out = pcg4d([self.env ^ k[0], self.step ^ k[1], self.ctr ^ k[2], k[3]]);
        self.ctr = self.ctr.wrapping_add(1);
        out
    }

    /// Four uniforms in (0, 1).
    pub fn uniform4(&mut self) -> [f32; 4] {
        self.next4().map(unit)
    }

    /// Four standard normals (Box-Muller). Transcendentals differ by a few ulp
    /// between GPU and CPU, so compare these with a tolerance.
    pub fn normal4(&mut self) -> [f32; 4] {
        let u = self.uniform4();
        let r0 = (-2.0 * u[0].ln()).sqrt();
        let r1 = (-2.0 * u[2].ln()).sqrt();
        let a0 = std::f32::consts::TAU * u[1];
        let a1 = std::f32::consts::TAU * u[3];
        [r0 * a0.cos(), r0 * a0.sin(), r1 * a1.cos(), r1 * a1.sin()]
    }
}

/// Top 24 bits to a uniform in (0, 1), centred in its bucket.
pub fn unit(x: u32) -> f32 {
    ((x >> 8) as f32 + 0.5) * (1.0 / 16_777_216.0)
}

/// What [`RngFill`] writes per invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FillMode {
    /// Four uniforms in (0, 1), as f32 bits.
    Uniform = 0,
    /// Four standard normals, as f32 bits.
    Normal = 1,
    /// Four raw words.
    Words = 2,
    /// `perm_index(i, count)` of the shuffle keyed by (seed, agent, iteration =
    /// `step0`, epoch = `envs`), in the first word.
    Shuffle = 3,
}

/// Uniform block of `rng_fill.wgsl`.
#[repr(C)]
#[derive(Debug, Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
pub struct FillParams {
    /// Run seed.
    pub seed: u32,
    /// Agent key.
    pub agent: u32,
    /// Stream key.
    pub stream: u32,
    /// Invocation i draws at env `i % envs`...
    pub envs: u32,
    /// Invocations.
    pub count: u32,
    /// [`FillMode`] as u32.
    pub mode: u32,
    /// ...and step `step0 + i / envs`.
    pub step0: u32,
    _pad: u32,
}

impl FillParams {
    /// Parameters for `count` invocations over `envs` envs from step `step0`.
    pub fn new(
        seed: u32,
        agent: u32,
        stream: u32,
        envs: u32,
        count: u32,
        mode: FillMode,
        step0: u32,
    ) -> Self {
        FillParams {
            seed,
            agent,
            stream,
            envs,
            count,
            mode: mode as u32,
            step0,
            _pad: 0,
        }
    }
}

/// The RNG test kernel (`rng_fill.wgsl`) with its output slot: fills `count x 4`
/// draws on the GPU. Used by the statistical tests and the RNG bench.
#[derive(Debug)]
pub struct RngFill {
    ctx: crate::Context,
    arena: crate::Arena,
    out: crate::Slot<[u32; 4]>,
    params: crate::ParamBuffer,
    block: crate::ParamRef,
    recorder: crate::Recorder,
}

impl RngFill {
    /// The test kernel's WGSL: the RNG, shuffles and `rng_fill.wgsl`.
    pub fn source() -> crate::ShaderSource {
        use crate::shader::common;
        crate::ShaderSource::new("rng_fill")
            .with(common::RNG)
            .with(common::SHUFFLE)
            .with(common::RNG_FILL)
    }

    /// Builds the kernel for `p.count` invocations.
    pub fn new(ctx: &crate::Context, p: FillParams) -> crate::Result<Self> {
        let src = Self::source();
        let kernel = crate::Kernel::new(ctx, &src, "main", &[])?;
        let mut plan = crate::ArenaPlan::new();
        let out = plan.add::<[u32; 4]>("rng.out", crate::Category::Scratch, p.count as u64);
        let arena = crate::Arena::new(ctx, &plan)?;
        let mut table = crate::ParamTable::new();
        let block = table.push(&p);
        let params = table.build(ctx)?;
        let bg = kernel.bind(ctx, &[params.binding(block), arena.binding(out)])?;
        let mut recorder = crate::Recorder::new();
        recorder.dispatch(&kernel, &bg, kernel.groups_for(ctx, p.count as u64)?);
        Ok(RngFill {
            ctx: ctx.clone(),
            arena,
            out,
            params,
            block,
            recorder,
        })
    }

    /// Changes the parameters (same `count`) for the next run.
    pub fn set(&self, p: FillParams) {
        self.params.write(&self.ctx, self.block, &p);
    }

    /// The replayable dispatch.
    pub fn recorder(&self) -> &crate::Recorder {
        &self.recorder
    }

    /// Runs the kernel and reads the draws back (blocking).
    pub fn run(&self) -> crate::Result<Vec<[u32; 4]>> {
        self.recorder.submit(&self.ctx);
        self.arena.read(self.out)
    }
}

/// CPU reference of `feistel` in `shaders/common/shuffle.wgsl`.
pub fn feistel(x: u32, h: u32, key: [u32; 4]) -> u32 {
    let mask = (1u32 << h).wrapping_sub(1);
    let (mut l, mut r) = (x >> h, x & mask);
    for k in 0..4u32 {
        let f = pcg4d([r, key[0], key[1] ^ k, key[2]])[0] & mask;
        let next = l ^ f;
        l = r;
        r = next;
    }
    (l << h) | r
}

/// Half the bit width of the smallest power of 4 that holds `n`.
pub fn feistel_half_bits(n: u32) -> u32 {
    let mut h = 0;
    while h < 16 && (1u64 << (2 * h)) < n as u64 {
        h += 1;
    }
    h
}

/// Element `i` of a random permutation of `0..n` keyed by `key` (as the GPU computes it).
pub fn perm_index(i: u32, n: u32, key: [u32; 4]) -> u32 {
    let h = feistel_half_bits(n);
    let mut x = feistel(i, h, key);
    while x >= n {
        x = feistel(x, h, key);
    }
    x
}

/// The key the PPO update uses to shuffle agent `agent`'s batch at (iteration, epoch).
pub fn shuffle_key(seed: u32, agent: u32, iteration: u32, epoch: u32) -> [u32; 4] {
    let k = pcg4d([seed, agent, STREAM_SHUFFLE, 0x9e37_79b9]);
    [k[0] ^ iteration, k[1] ^ (epoch << 2), k[2], k[3]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perm_index_is_a_permutation_for_any_size() {
        for n in [1u32, 2, 3, 5, 64, 100, 511, 512, 513, 4096, 10_000] {
            let key = shuffle_key(3, 1, 7, 2);
            let mut seen = vec![false; n as usize];
            for i in 0..n {
                let j = perm_index(i, n, key) as usize;
                assert!(!seen[j], "n = {n}: {j} twice");
                seen[j] = true;
            }
            if n >= 64 {
                // Not the identity, and a different key gives a different order.
                assert!((0..n).any(|i| perm_index(i, n, key) != i));
                let other = shuffle_key(3, 1, 7, 3);
                assert!((0..n).any(|i| perm_index(i, n, key) != perm_index(i, n, other)));
            }
        }
    }
}
