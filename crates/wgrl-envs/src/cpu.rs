//! CPU references: each built-in env's dynamics in Rust, and the vectorised
//! kernel's semantics (RNG keys, auto-reset, time limit) so GPU runs can be
//! checked step for step.

use crate::descriptor::EnvDescriptor;
use crate::vec_env::{FLAG_TERMINATED, FLAG_TRUNCATED, StepOut};
use wgrl_gpu::rng::{self, Rng};

/// An env's dynamics on the CPU, in the WGSL module's f32 arithmetic.
pub trait ReferenceEnv {
    /// A fresh state drawn from `rng` (same draws as the WGSL `env_reset`).
    fn reset(&self, params: &[f32], rng: &mut Rng) -> Vec<f32>;
    /// Advances `state` by one step; returns (reward, terminated).
    fn step(&self, state: &mut [f32], params: &[f32], action: u32) -> (f32, bool);
    /// The observation of `state`.
    fn observe(&self, state: &[f32], params: &[f32]) -> Vec<f32>;
}

/// CartPole-v1 (Gymnasium's `cartpole.py`, f32).
#[derive(Debug, Clone, Copy, Default)]
pub struct CartPole;

impl CartPole {
    /// Termination box: |x| > 2.4.
    pub const X_THRESHOLD: f32 = 2.4;
    /// Termination box: |theta| > 12 degrees.
    pub const THETA_THRESHOLD: f32 = 12.0 * 2.0 * std::f32::consts::PI / 360.0;
}

impl ReferenceEnv for CartPole {
    fn reset(&self, _params: &[f32], rng: &mut Rng) -> Vec<f32> {
        rng.uniform4().iter().map(|u| u * 0.1 - 0.05).collect()
    }

    fn step(&self, s: &mut [f32], p: &[f32], action: u32) -> (f32, bool) {
        let [gravity, masscart, masspole, length, force_mag, tau] =
            [p[0], p[1], p[2], p[3], p[4], p[5]];
        let force = if action == 1 { force_mag } else { -force_mag };
        let (sintheta, costheta) = s[2].sin_cos();
        let total_mass = masspole + masscart;
        let polemass_length = masspole * length;
        let temp = (force + polemass_length * s[3] * s[3] * sintheta) / total_mass;
        let thetaacc = (gravity * sintheta - costheta * temp)
            / (length * (4.0 / 3.0 - masspole * costheta * costheta / total_mass));
        let xacc = temp - polemass_length * thetaacc * costheta / total_mass;
        s[0] += tau * s[1];
        s[1] += tau * xacc;
        s[2] += tau * s[3];
        s[3] += tau * thetaacc;
        let terminated = s[0] < -Self::X_THRESHOLD
            || s[0] > Self::X_THRESHOLD
            || s[2] < -Self::THETA_THRESHOLD
            || s[2] > Self::THETA_THRESHOLD;
        (1.0, terminated)
    }

    fn observe(&self, s: &[f32], _p: &[f32]) -> Vec<f32> {
        s.to_vec()
    }
}

/// The CPU reference of a built-in env by name.
pub fn reference(name: &str) -> Option<Box<dyn ReferenceEnv>> {
    match name {
        "CartPole-v1" => Some(Box::new(CartPole)),
        _ => None,
    }
}

/// The vectorised kernel's semantics on the CPU: same RNG keys, auto-reset and
/// time limit as `vec_env.wgsl`.
pub struct ReferenceVecEnv {
    env: Box<dyn ReferenceEnv>,
    desc: EnvDescriptor,
    envs: u32,
    seed: u32,
    /// Per env state.
    pub states: Vec<Vec<f32>>,
    /// Per env (elapsed, counter, running return).
    pub meta: Vec<(u32, u32, f32)>,
    params: Vec<f32>,
}

impl ReferenceVecEnv {
    /// `agents x envs` envs reset exactly as the GPU's first reset does.
    pub fn new(desc: &EnvDescriptor, agents: u32, envs: u32, seed: u32) -> Option<Self> {
        let env = reference(&desc.name)?;
        let n = (agents * envs) as usize;
        let mut me = ReferenceVecEnv {
            env,
            desc: desc.clone(),
            envs,
            seed,
            states: vec![Vec::new(); n],
            meta: vec![(0, 0, 0.0); n],
            params: desc.default_params(),
        };
        me.reset();
        Some(me)
    }

    fn key(&self, g: usize, stream: u32) -> (u32, u32, u32) {
        (self.seed, g as u32 / self.envs, stream)
    }

    fn reset_rng(&self, g: usize, counter: u32) -> Rng {
        let (seed, agent, stream) = self.key(g, rng::STREAM_RESET);
        Rng::new(seed, agent, g as u32 % self.envs, counter, stream)
    }

    /// The host reset (bumps each env's counter, as the kernel does).
    pub fn reset(&mut self) {
        for g in 0..self.states.len() {
            self.meta[g].1 += 1;
            let mut r = self.reset_rng(g, self.meta[g].1);
            self.states[g] = self.env.reset(&self.params, &mut r);
            self.meta[g].0 = 0;
            self.meta[g].2 = 0.0;
        }
    }

    /// The action the GPU's random mode draws for env `g` at its current counter.
    pub fn random_action(&self, g: usize) -> u32 {
        let (seed, agent, stream) = self.key(g, rng::STREAM_ACTION);
        let mut r = Rng::new(seed, agent, g as u32 % self.envs, self.meta[g].1, stream);
        let n = self.desc.num_actions();
        ((r.uniform4()[0] * n as f32) as u32).min(n - 1)
    }

    /// One step of env `g`, with auto-reset; returns the step's record.
    pub fn step_one(&mut self, g: usize, action: u32) -> StepOut {
        let (reward, terminated) = self.env.step(&mut self.states[g], &self.params, action);
        let m = &mut self.meta[g];
        m.1 += 1;
        m.0 += 1;
        m.2 += reward;
        let mut flags = 0;
        if terminated {
            flags |= FLAG_TERMINATED;
        }
        if m.0 >= self.desc.max_episode_steps {
            flags |= FLAG_TRUNCATED;
        }
        let mut out = StepOut {
            reward,
            flags,
            ..bytemuck::Zeroable::zeroed()
        };
        if flags != 0 {
            out.episode_return = m.2;
            out.episode_length = m.0;
            let counter = m.1;
            let mut r = self.reset_rng(g, counter);
            self.states[g] = self.env.reset(&self.params, &mut r);
            let m = &mut self.meta[g];
            m.0 = 0;
            m.2 = 0.0;
        }
        out
    }

    /// Observation of env `g`.
    pub fn observe(&self, g: usize) -> Vec<f32> {
        self.env.observe(&self.states[g], &self.params)
    }
}
