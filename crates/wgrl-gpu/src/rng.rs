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
