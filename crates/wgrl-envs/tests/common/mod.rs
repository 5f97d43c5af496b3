//! What the env test binaries share: the context, tolerances and the Gymnasium
//! reference data in data/gymnasium (written by scripts/gymnasium_reference.py).
// Each test binary reads only some of the data's fields.
#![allow(dead_code)]

use serde::Deserialize;
use wgrl_gpu::{Context, ContextOptions};

pub fn ctx() -> Context {
    Context::new(&ContextOptions::default())
        .expect("a wgpu adapter (run `make test`, which installs lavapipe)")
}

/// Within `tol` absolute or relative.
pub fn close(a: f32, b: f32, tol: f32) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

pub fn f32s(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

#[derive(Deserialize)]
pub struct Reference {
    pub gymnasium_version: String,
    pub transitions: Vec<Transition>,
    pub rollouts: Vec<Rollout>,
}

/// One step from a recorded state. `margin` (distance of the result to the
/// termination boundary) is recorded for the envs added after CartPole.
#[derive(Deserialize)]
pub struct Transition {
    pub state: Vec<f64>,
    pub action: u32,
    pub next_state: Vec<f64>,
    pub obs: Vec<f64>,
    pub reward: f32,
    pub terminated: bool,
    #[serde(default)]
    pub margin: f64,
}

/// An episode: the state after each action; observations and margins are
/// recorded for the envs added after CartPole (whose observation is its state).
#[derive(Deserialize)]
pub struct Rollout {
    #[serde(default)]
    pub policy: String,
    pub reset_state: Vec<f64>,
    pub actions: Vec<u32>,
    pub states: Vec<Vec<f64>>,
    #[serde(default)]
    pub obs: Vec<Vec<f64>>,
    pub rewards: Vec<f32>,
    pub terminated: Vec<bool>,
    pub truncated: Vec<bool>,
    #[serde(default)]
    pub margins: Vec<f64>,
}

/// The committed reference data of `env`.
pub fn reference(env: &str) -> Reference {
    let path = format!(
        "{}/../../data/gymnasium/{env}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}
