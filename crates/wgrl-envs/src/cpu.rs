//! CPU references: each built-in env's dynamics in Rust, and the vectorised
//! kernel's semantics (RNG keys, auto-reset, time limit) so GPU runs can be
//! checked step for step.

use crate::descriptor::{ActionSpace, EnvDescriptor};
use crate::vec_env::{FLAG_TERMINATED, FLAG_TRUNCATED, StepOut};
use wgrl_gpu::rng::{self, Rng};

/// An env's dynamics on the CPU, in the WGSL module's f32 arithmetic.
pub trait ReferenceEnv {
    /// A fresh state drawn from `rng` (same draws as the WGSL `env_reset`).
    fn reset(&self, params: &[f32], rng: &mut Rng) -> Vec<f32>;
    /// Advances `state` by one step; returns (reward, terminated). `action` is
    /// the discrete index as one f32, or a box action already clipped to its bounds.
    fn step(&self, state: &mut [f32], params: &[f32], action: &[f32]) -> (f32, bool);
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

    fn step(&self, s: &mut [f32], p: &[f32], action: &[f32]) -> (f32, bool) {
        let action = action[0] as u32;
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

/// MountainCar-v0 (Gymnasium's `mountain_car.py`, f32).
#[derive(Debug, Clone, Copy, Default)]
pub struct MountainCar;

impl ReferenceEnv for MountainCar {
    fn reset(&self, _params: &[f32], rng: &mut Rng) -> Vec<f32> {
        vec![rng.uniform4()[0] * 0.2 - 0.6, 0.0]
    }

    fn step(&self, s: &mut [f32], p: &[f32], action: &[f32]) -> (f32, bool) {
        let action = action[0] as u32;
        let [min_x, max_x, max_speed, goal_x, goal_v, force, gravity] =
            [p[0], p[1], p[2], p[3], p[4], p[5], p[6]];
        let mut v = s[1] + (action as f32 - 1.0) * force + (3.0 * s[0]).cos() * (-gravity);
        v = v.clamp(-max_speed, max_speed);
        let x = (s[0] + v).clamp(min_x, max_x);
        if x == min_x && v < 0.0 {
            v = 0.0;
        }
        s[0] = x;
        s[1] = v;
        (-1.0, x >= goal_x && v >= goal_v)
    }

    fn observe(&self, s: &[f32], _p: &[f32]) -> Vec<f32> {
        s.to_vec()
    }
}

/// Acrobot-v1 (Gymnasium's `acrobot.py`, book dynamics, one RK4 step, f32).
#[derive(Debug, Clone, Copy, Default)]
pub struct Acrobot;

impl Acrobot {
    fn dsdt(s: [f32; 4], a: f32, p: &[f32]) -> [f32; 4] {
        let [l1, m1, m2, lc1, lc2, moi, _, _, _, g] =
            [p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9]];
        let (i1, i2) = (moi, moi);
        let [t1, t2, dt1, dt2] = s;
        let half_pi = std::f32::consts::PI / 2.0;
        let d1 = m1 * lc1 * lc1 + m2 * (l1 * l1 + lc2 * lc2 + 2.0 * l1 * lc2 * t2.cos()) + i1 + i2;
        let d2 = m2 * (lc2 * lc2 + l1 * lc2 * t2.cos()) + i2;
        let phi2 = m2 * lc2 * g * (t1 + t2 - half_pi).cos();
        let phi1 = -m2 * l1 * lc2 * dt2 * dt2 * t2.sin()
            - 2.0 * m2 * l1 * lc2 * dt2 * dt1 * t2.sin()
            + (m1 * lc1 + m2 * l1) * g * (t1 - half_pi).cos()
            + phi2;
        let ddt2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * dt1 * dt1 * t2.sin() - phi2)
            / (m2 * lc2 * lc2 + i2 - d2 * d2 / d1);
        let ddt1 = -(d2 * ddt2 + phi1) / d1;
        [dt1, dt2, ddt1, ddt2]
    }

    fn wrap(x: f32, lo: f32, hi: f32) -> f32 {
        // Capped like the kernel (a non-finite angle must not loop forever).
        let diff = hi - lo;
        let mut v = x;
        for _ in 0..16 {
            if v <= hi {
                break;
            }
            v -= diff;
        }
        for _ in 0..16 {
            if v >= lo {
                break;
            }
            v += diff;
        }
        v
    }
}

impl ReferenceEnv for Acrobot {
    fn reset(&self, _params: &[f32], rng: &mut Rng) -> Vec<f32> {
        rng.uniform4().iter().map(|u| u * 0.2 - 0.1).collect()
    }

    fn step(&self, s: &mut [f32], p: &[f32], action: &[f32]) -> (f32, bool) {
        let torque = action[0] - 1.0;
        let h = p[8];
        let y0 = [s[0], s[1], s[2], s[3]];
        let add = |a: [f32; 4], b: [f32; 4], f: f32| {
            [
                a[0] + f * b[0],
                a[1] + f * b[1],
                a[2] + f * b[2],
                a[3] + f * b[3],
            ]
        };
        let k1 = Self::dsdt(y0, torque, p);
        let k2 = Self::dsdt(add(y0, k1, 0.5 * h), torque, p);
        let k3 = Self::dsdt(add(y0, k2, 0.5 * h), torque, p);
        let k4 = Self::dsdt(add(y0, k3, h), torque, p);
        let y: Vec<f32> = (0..4)
            .map(|i| y0[i] + h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]))
            .collect();
        let pi = std::f32::consts::PI;
        s[0] = Self::wrap(y[0], -pi, pi);
        s[1] = Self::wrap(y[1], -pi, pi);
        s[2] = y[2].clamp(-p[6], p[6]);
        s[3] = y[3].clamp(-p[7], p[7]);
        let terminated = -s[0].cos() - (s[1] + s[0]).cos() > 1.0;
        (if terminated { 0.0 } else { -1.0 }, terminated)
    }

    fn observe(&self, s: &[f32], _p: &[f32]) -> Vec<f32> {
        vec![s[0].cos(), s[0].sin(), s[1].cos(), s[1].sin(), s[2], s[3]]
    }
}

/// Pendulum-v1 (Gymnasium's `pendulum.py`, f32).
#[derive(Debug, Clone, Copy, Default)]
pub struct Pendulum;

impl Pendulum {
    /// Python's `((x + pi) % (2 pi)) - pi` (floored modulo), as the kernel computes it.
    pub fn angle_normalize(x: f32) -> f32 {
        let pi = std::f32::consts::PI;
        let period = 2.0 * pi;
        let y = x + pi;
        y - period * (y / period).floor() - pi
    }
}

impl ReferenceEnv for Pendulum {
    fn reset(&self, _params: &[f32], rng: &mut Rng) -> Vec<f32> {
        let u = rng.uniform4();
        vec![(u[0] * 2.0 - 1.0) * std::f32::consts::PI, u[1] * 2.0 - 1.0]
    }

    fn step(&self, s: &mut [f32], p: &[f32], action: &[f32]) -> (f32, bool) {
        let [max_speed, max_torque, dt, g, m, l] = [p[0], p[1], p[2], p[3], p[4], p[5]];
        let (th, thdot) = (s[0], s[1]);
        let u = action[0].clamp(-max_torque, max_torque);
        let an = Self::angle_normalize(th);
        let costs = an * an + 0.1 * thdot * thdot + 0.001 * (u * u);
        let newthdot = (thdot + (3.0 * g / (2.0 * l) * th.sin() + 3.0 / (m * l * l) * u) * dt)
            .clamp(-max_speed, max_speed);
        s[0] = th + newthdot * dt;
        s[1] = newthdot;
        (-costs, false)
    }

    fn observe(&self, s: &[f32], _p: &[f32]) -> Vec<f32> {
        vec![s[0].cos(), s[0].sin(), s[1]]
    }
}

/// MountainCarContinuous-v0 (Gymnasium's `continuous_mountain_car.py`, f32).
#[derive(Debug, Clone, Copy, Default)]
pub struct MountainCarContinuous;

impl ReferenceEnv for MountainCarContinuous {
    fn reset(&self, _params: &[f32], rng: &mut Rng) -> Vec<f32> {
        vec![rng.uniform4()[0] * 0.2 - 0.6, 0.0]
    }

    fn step(&self, s: &mut [f32], p: &[f32], action: &[f32]) -> (f32, bool) {
        let [min_x, max_x, max_speed, goal_x, goal_v, power, gravity] =
            [p[0], p[1], p[2], p[3], p[4], p[5], p[6]];
        let force = action[0].clamp(-1.0, 1.0);
        let mut v =
            (s[1] + force * power - gravity * (3.0 * s[0]).cos()).clamp(-max_speed, max_speed);
        let x = (s[0] + v).clamp(min_x, max_x);
        if x == min_x && v < 0.0 {
            v = 0.0;
        }
        s[0] = x;
        s[1] = v;
        let terminated = x >= goal_x && v >= goal_v;
        let reward = if terminated { 100.0 } else { 0.0 } - action[0] * action[0] * 0.1;
        (reward, terminated)
    }

    fn observe(&self, s: &[f32], _p: &[f32]) -> Vec<f32> {
        s.to_vec()
    }
}

/// The CPU reference of a built-in env by name.
pub fn reference(name: &str) -> Option<Box<dyn ReferenceEnv>> {
    match name {
        "CartPole-v1" => Some(Box::new(CartPole)),
        "MountainCar-v0" => Some(Box::new(MountainCar)),
        "Acrobot-v1" => Some(Box::new(Acrobot)),
        "Pendulum-v1" => Some(Box::new(Pendulum)),
        "MountainCarContinuous-v0" => Some(Box::new(MountainCarContinuous)),
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

    /// The action the GPU's random mode draws for env `g` at its current counter
    /// (the index as one f32 for discrete spaces).
    pub fn random_action(&self, g: usize) -> Vec<f32> {
        let (seed, agent, stream) = self.key(g, rng::STREAM_ACTION);
        let mut r = Rng::new(seed, agent, g as u32 % self.envs, self.meta[g].1, stream);
        match &self.desc.action_space {
            ActionSpace::Discrete { n } => {
                vec![((r.uniform4()[0] * *n as f32) as u32).min(n - 1) as f32]
            }
            ActionSpace::Box { low, high } => low
                .iter()
                .zip(high)
                .map(|(&lo, &hi)| lo + (hi - lo) * r.uniform4()[0])
                .collect(),
        }
    }

    /// One step of env `g`, with auto-reset; returns the step's record. Box
    /// actions are clipped to the space's bounds first, as the kernel does.
    pub fn step_one(&mut self, g: usize, action: &[f32]) -> StepOut {
        let action = self.desc.action_space.clip(action);
        let (reward, terminated) = self.env.step(&mut self.states[g], &self.params, &action);
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
