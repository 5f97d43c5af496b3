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

/// A recorded action: a discrete index, or a box action's raw floats (possibly
/// outside the bounds: Gymnasium's ClipAction clipped them, as the engine does).
#[derive(Deserialize, Clone)]
#[serde(untagged)]
pub enum Action {
    Index(u32),
    Floats(Vec<f32>),
}

impl Action {
    pub fn index(&self) -> u32 {
        match self {
            Action::Index(a) => *a,
            Action::Floats(_) => panic!("a box action where a discrete one was expected"),
        }
    }
}

/// Steps `e` with one recorded action per env, through the host API that fits
/// the env's action space.
pub fn step_recorded(e: &mut wgrl_envs::VecEnv, actions: &[Action]) -> wgrl_envs::StepBatch {
    if e.descriptor().action_space.is_continuous() {
        let flat: Vec<f32> = actions
            .iter()
            .flat_map(|a| match a {
                Action::Floats(v) => v.clone(),
                Action::Index(i) => vec![*i as f32],
            })
            .collect();
        e.step_continuous(&flat).unwrap()
    } else {
        let idx: Vec<u32> = actions.iter().map(Action::index).collect();
        e.step(&idx).unwrap()
    }
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
    pub action: Action,
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
    pub actions: Vec<Action>,
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
