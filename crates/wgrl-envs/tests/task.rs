//! Task distributions: parameters fixed or sampled per env at every reset, and
//! parameters appended to the observation, through the general env kernel.

mod common;

use common::ctx;
use wgrl_envs::{TaskValue, VecEnv, VecEnvConfig, builtin};

fn cartpole_task(
    params: &[(&str, TaskValue)],
    observe: &[&str],
) -> wgrl_envs::Result<wgrl_envs::EnvDescriptor> {
    let params: Vec<(String, TaskValue)> =
        params.iter().map(|(n, v)| (n.to_string(), *v)).collect();
    let observe: Vec<String> = observe.iter().map(|s| s.to_string()).collect();
    builtin("CartPole-v1").unwrap().with_task(&params, &observe)
}

/// CartPole's parameter order: gravity, masscart, masspole, length, force_mag, tau.
const LENGTH: usize = 3;
const MASSPOLE: usize = 2;

#[test]
fn sampled_parameters_are_uniform_per_env_redrawn_at_resets_and_observed() {
    let desc = cartpole_task(
        &[
            ("length", TaskValue::Range(0.25, 1.0)),
            ("masspole", TaskValue::Fixed(0.2)),
        ],
        &["length"],
    )
    .unwrap();
    assert_eq!(desc.obs_out(), 5);
    let ctx = ctx();
    let (agents, envs) = (2u32, 2048u32);
    let n = (agents * envs) as usize;
    let config = VecEnvConfig {
        agents,
        envs,
        seed: 11,
    };
    let mut venv = VecEnv::new(&ctx, &desc, config).unwrap();
    let obs = venv.reset().unwrap();
    let params = venv.buffers().params.size as usize / 4;
    assert_eq!(params, n * 6);
    let p = read_params(&venv);
    let lengths: Vec<f32> = (0..n).map(|e| p[e * 6 + LENGTH]).collect();
    assert!(lengths.iter().all(|l| (0.25..=1.0).contains(l)));
    assert!((0..n).all(|e| p[e * 6 + MASSPOLE] == 0.2), "fixed masspole");
    assert!((0..n).all(|e| p[e * 6] == 9.8), "untouched gravity");
    // Uniform on [0.25, 1]: mean 0.625, standard deviation 0.75 / sqrt(12) = 0.2165,
    // so the mean of 4096 draws has a standard error of 0.0034; 0.02 is ~6 of them.
    let mean = lengths.iter().map(|&l| l as f64).sum::<f64>() / n as f64;
    assert!((mean - 0.625).abs() < 0.02, "mean length {mean}");
    let var = lengths
        .iter()
        .map(|&l| (l as f64 - mean).powi(2))
        .sum::<f64>()
        / n as f64;
    assert!((var.sqrt() - 0.2165).abs() < 0.02, "std {}", var.sqrt());
    // The observation carries the env's own length after its 4 state floats.
    for e in 0..n {
        assert_eq!(obs[e * 5 + 4], lengths[e], "env {e}");
    }

    // Push every env over the edge: each terminates, auto-resets and draws anew.
    let mut states = venv.states().unwrap();
    for e in 0..n {
        states[e * 4] = 2.39;
        states[e * 4 + 1] = 5.0;
    }
    venv.set_states(&states).unwrap();
    let step = venv.step(&vec![1; n]).unwrap();
    assert!(step.terminated.iter().all(|&t| t));
    let after = read_params(&venv);
    let changed = (0..n)
        .filter(|&e| after[e * 6 + LENGTH] != lengths[e])
        .count();
    assert!(
        changed > n - 10,
        "only {changed} of {n} envs drew a new length"
    );
    // The final observation still shows the finished episode's length; the new
    // observation the new one.
    for e in 0..n {
        assert_eq!(step.final_obs[e * 5 + 4], lengths[e]);
        assert_eq!(step.obs[e * 5 + 4], after[e * 6 + LENGTH]);
    }

    // The same seed draws the same tasks.
    let mut again = VecEnv::new(&ctx, &desc, config).unwrap();
    again.reset().unwrap();
    assert_eq!(read_params(&again)[..6 * 64], p[..6 * 64]);
}

fn read_params(venv: &VecEnv) -> Vec<f32> {
    venv.arena().read(venv.slots().params).unwrap()
}

#[test]
fn task_errors_name_the_parameter_and_the_fix() {
    let err = |params: &[(&str, TaskValue)], observe: &[&str]| {
        cartpole_task(params, observe).unwrap_err().to_string()
    };
    let e = err(&[("lenght", TaskValue::Fixed(0.5))], &[]);
    assert!(
        e.contains("'lenght'") && e.contains("gravity, masscart, masspole, length, force_mag, tau"),
        "{e}"
    );
    let e = err(&[("length", TaskValue::Range(1.0, 0.5))], &[]);
    assert!(
        e.contains("lo is greater than hi") && e.contains("[0.5, 1]"),
        "{e}"
    );
    let e = err(&[("length", TaskValue::Fixed(f32::NAN))], &[]);
    assert!(e.contains("not a finite number"), "{e}");
    let e = err(&[], &["mass"]);
    assert!(e.contains("task.observe names 'mass'"), "{e}");
    let e = err(&[], &["length", "length"]);
    assert!(e.contains("twice"), "{e}");

    // A custom env's declared ranges bound what a task may set.
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/custom_env/point_mass.toml"
    );
    let pm = wgrl_envs::custom::load(std::path::Path::new(dir)).unwrap();
    let e = pm
        .with_task(&[("accel".into(), TaskValue::Range(0.5, 9.0))], &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("hi 9 is outside the range [0.25, 4]"), "{e}");
    assert!(
        pm.with_task(
            &[("accel".into(), TaskValue::Range(0.5, 2.0))],
            &["accel".into()]
        )
        .is_ok()
    );
}
