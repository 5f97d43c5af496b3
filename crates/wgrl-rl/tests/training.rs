//! Training-loop contracts: determinism, no blocking waits between log points,
//! divergence handling, checkpoints and evaluation.

use wgrl_gpu::{Context, ContextOptions};
use wgrl_rl::config::{Overrides, TrainConfig, resolve};
use wgrl_rl::ppo::Lockstep;
use wgrl_rl::{Checkpoint, TrainError, Trainer, evaluate};

fn ctx() -> Context {
    Context::new(&ContextOptions::default())
        .expect("a wgpu adapter (run `make test`, which installs lavapipe)")
}

fn small(sets: &[&str]) -> TrainConfig {
    small_on("CartPole-v1", sets)
}

// A short run on `env` (its default preset, small rollouts, a log point per iteration).
fn small_on(env: &str, sets: &[&str]) -> TrainConfig {
    let mut all = vec![
        "ppo.envs=8",
        "ppo.steps=32",
        "total_steps=2560",
        "log.interval=1",
    ];
    all.extend_from_slice(sets);
    resolve(&Overrides {
        env: Some(env.into()),
        sets: all.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    })
    .unwrap()
}

fn params_after(ctx: &Context, cfg: &TrainConfig) -> Vec<u32> {
    let mut t = Trainer::new(ctx, cfg).unwrap();
    t.train(|_| {}).unwrap();
    read_params(&t)
}

// A small run of `env` with the case's settings and the one knob a test turns.
fn trainer_with(ctx: &Context, env: &str, extra: &[&str], knob: &str) -> Trainer {
    let mut sets = extra.to_vec();
    sets.push(knob);
    Trainer::new(ctx, &small_on(env, &sets)).unwrap()
}

fn read_params(t: &Trainer) -> Vec<u32> {
    let (arena, slots) = t.arena();
    arena
        .read(slots.params)
        .unwrap()
        .iter()
        .map(|p| p.to_bits())
        .collect()
}

#[test]
fn same_seed_same_device_gives_bitwise_identical_parameters() {
    let ctx = ctx();
    let cfg = small(&["agents=2", "seed=3"]);
    let a = params_after(&ctx, &cfg);
    let b = params_after(&ctx, &cfg);
    assert!(a == b, "two runs with the same seed differ");
    let other = params_after(&ctx, &small(&["agents=2", "seed=4"]));
    assert!(a != other, "a different seed must give a different run");
}

/// A small residual net with an Approx-BP activation and a memory-sharing norm:
/// the bitwise-equality tests' case for norm gradients and a shared stream.
const RESIDUAL_WITH_NORMS: &[&str] = &[
    "model.arch=residual",
    "model.width=16",
    "model.blocks=1",
    "model.expansion=2",
    "model.activation=regelu2",
    "model.norm=ms-layernorm",
    "ppo.minibatches=2",
];

#[test]
fn an_update_split_over_actor_and_critic_workgroups_gives_the_same_parameters() {
    // One workgroup per agent against one each for the actor and the critic (a
    // dispatch per minibatch, the gradient norms combined at the next): the same
    // arithmetic in the same order, so bitwise the same parameters. CartPole
    // (categorical head), Pendulum (the actor's log-stds sit after the critic's
    // layers) and a residual net with norms (norm gradients, a shared stream).
    let ctx = ctx();
    for (env, extra) in [
        ("CartPole-v1", &["agents=2", "seed=5"][..]),
        ("Pendulum-v1", &["ppo.norm_obs=true", "seed=6"][..]),
        ("CartPole-v1", RESIDUAL_WITH_NORMS),
    ] {
        let run = |groups: &str| {
            let mut t = trainer_with(&ctx, env, extra, groups);
            let before = read_params(&t);
            t.train(|_| {}).unwrap();
            (before, read_params(&t))
        };
        let (initial, one) = run("ppo.update_groups=1");
        let (_, two) = run("ppo.update_groups=2");
        assert!(one == two, "{extra:?}: the split update differs");
        assert!(
            one != initial,
            "{extra:?}: training must move the parameters"
        );
    }
}

#[test]
fn kernels_without_barriers_give_the_same_parameters() {
    // On lavapipe a workgroup of at most 8 invocations is one SIMD group run in
    // lockstep, and the kernels of such workgroups leave their barriers out
    // (`ppo.lockstep`): here the rollout, in blocks of 8 envs (CartPole's 16 envs
    // in two workgroups instead of one of 16 lanes with barriers) and, where the
    // cores let one agent's update split over actor and critic, its 8-lane update
    // and values.
    // Without barriers the invocations still see each other's memory operations
    // in program order: bitwise the same parameters as with them. CartPole,
    // Pendulum (the actor's log-stds) and a residual net with norms.
    let ctx = ctx();
    let lanes = ctx.lockstep_lanes();
    let split = wgrl_rl::ppo::auto_update_groups(&ctx.adapter().device_type, 1) == 2;
    for (env, extra) in [
        ("CartPole-v1", &["seed=7", "ppo.envs=16"][..]),
        ("Pendulum-v1", &["ppo.norm_obs=true", "seed=8"][..]),
        ("CartPole-v1", RESIDUAL_WITH_NORMS),
    ] {
        let run = |on: &str| {
            let mut t = trainer_with(&ctx, env, extra, &format!("ppo.lockstep={on}"));
            let lockstep = t.lockstep();
            t.train(|_| {}).unwrap();
            (lockstep, read_params(&t))
        };
        let (on, with) = run("true");
        let (off, without) = run("false");
        assert_eq!(off, Lockstep::default(), "{env} {extra:?}");
        let expect = Lockstep {
            rollout: lanes == Some(8),
            update: lanes == Some(8) && split,
        };
        assert_eq!(on, expect, "{env} {extra:?} on {:?}", ctx.adapter());
        assert!(
            with == without,
            "{env} {extra:?}: barriers change the result"
        );
    }
}

#[test]
fn the_loop_never_blocks_between_log_points() {
    let ctx = ctx();
    // A log point every iteration keeps the readback ring full, so some log
    // points wait for the GPU; waits between log points must still be zero.
    let mut t = Trainer::new(&ctx, &small(&[])).unwrap();
    let waits_before = ctx.blocking_waits();
    let mut iterations = Vec::new();
    let report = t.train(|lp| iterations.push(lp.iteration)).unwrap();
    assert_eq!(report.blocking_waits_between_log_points, 0);
    assert_eq!(
        iterations,
        (1..=10).collect::<Vec<u64>>(),
        "every log point arrives, in order"
    );
    // Readbacks: one per log point; blocking waits: at most one per log point plus the end.
    assert!(ctx.blocking_waits() - waits_before <= 11);
    assert!(ctx.host_readbacks() >= 10);
}

#[test]
fn nan_stops_training_with_the_iteration_and_agent() {
    let ctx = ctx();
    // An absurd learning rate for agent 1 only: its parameters blow up.
    let cfg = small(&[
        "agents=2",
        "ppo.lr=[2.5e-4, 1e30]",
        "ppo.max_grad_norm=1e30",
    ]);
    let mut t = Trainer::new(&ctx, &cfg).unwrap();
    match t.train(|_| {}) {
        Err(TrainError::Diverged {
            agent, iteration, ..
        }) => {
            assert_eq!(agent, 1);
            assert!(iteration < 10);
        }
        other => panic!("expected divergence, got {other:?}"),
    }
}

#[test]
fn checkpoints_round_trip_and_evaluate_greedily() {
    let ctx = ctx();
    let cfg = small(&["agents=2"]);
    let mut t = Trainer::new(&ctx, &cfg).unwrap();
    t.train(|_| {}).unwrap();
    let ck = t.checkpoint().unwrap();
    assert_eq!((ck.iteration, ck.env_steps), (10, 2560));
    let dir = std::env::temp_dir().join(format!("wgrl-ck-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ck.wgrl");
    ck.save(&path).unwrap();
    let back = Checkpoint::load(&path).unwrap();
    assert_eq!(back.params, ck.params);
    let report = evaluate(&ctx, &back, 5, 0).unwrap();
    assert_eq!(report.returns.len(), 2);
    assert!(
        report.all().all(|r| (1.0..=500.0).contains(&r)),
        "{:?}",
        report.returns
    );
    // Greedy evaluation is deterministic.
    assert_eq!(evaluate(&ctx, &back, 5, 0).unwrap().returns, report.returns);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn plans_the_device_cannot_run_are_refused_before_allocation() {
    let ctx = ctx();
    // More agents than one dispatch dimension holds (the update runs one or two workgroups each).
    let too_many = ctx.limits().max_compute_workgroups_per_dimension + 1;
    let err = Trainer::new(&ctx, &small(&[&format!("agents={too_many}")]))
        .unwrap_err()
        .to_string();
    assert!(err.contains(&format!("agents = {too_many}")), "{err}");
    // One minibatch of 65536 samples would run past lavapipe's loop cap (about
    // 130k iterations per invocation; 32768 samples now fit, just).
    let big = small(&[
        "ppo.envs=2048",
        "ppo.steps=64",
        "ppo.minibatches=2",
        "total_steps=131072",
    ]);
    let result = Trainer::new(&ctx, &big);
    if ctx.adapter().device_type == "cpu" {
        let err = result.unwrap_err().to_string();
        assert!(
            err.contains("ppo.minibatches") && err.contains("65535"),
            "{err}"
        );
    } else {
        result.unwrap();
    }
}

#[test]
fn the_learning_rate_anneals_to_zero_and_never_below() {
    let ctx = ctx();
    let mut t = Trainer::new(&ctx, &small(&["log.interval=5"])).unwrap();
    let first = t.train(|_| {}).unwrap();
    assert!(first.last.agents[0].lr > 0.0);
    // Training past the planned iterations keeps the rate at zero.
    let again = t.train(|_| {}).unwrap();
    assert_eq!(again.last.agents[0].lr, 0.0);
}

#[test]
fn a_task_distribution_is_sampled_in_the_rollout_observed_and_evaluated_on_a_grid() {
    let ctx = ctx();
    let cfg = small(&[
        "task.params.length=[0.25, 1.0]",
        "task.params.masspole=0.2",
        "task.observe=['length']",
    ]);
    let mut t = Trainer::new(&ctx, &cfg).unwrap();
    assert_eq!(t.env().obs_out(), 5);
    assert_eq!(t.network().layers[0].n_in, 5);
    t.train(|_| {}).unwrap();
    let (arena, slots) = t.arena();
    // CartPole's params: gravity, masscart, masspole, length, force_mag, tau.
    let params: Vec<f32> = arena.read(slots.env.params).unwrap();
    let lengths: Vec<f32> = params.chunks(6).map(|p| p[3]).collect();
    assert!(
        lengths.iter().all(|l| (0.25..=1.0).contains(l)),
        "{lengths:?}"
    );
    assert!(
        lengths.windows(2).any(|w| w[0] != w[1]),
        "every env drew the same length"
    );
    assert!(params.chunks(6).all(|p| p[2] == 0.2));
    // Every stored observation's fifth value is a sampled length; early random
    // episodes are short, so the rollout saw many resets and many lengths.
    let obs: Vec<f32> = arena.read(slots.traj_obs).unwrap();
    let seen: Vec<f32> = obs.chunks(5).map(|o| o[4]).collect();
    assert!(seen.iter().all(|l| (0.25..=1.0).contains(l)));
    let mut distinct = seen.clone();
    distinct.sort_by(f32::total_cmp);
    distinct.dedup();
    assert!(
        distinct.len() > 8,
        "only {} distinct lengths observed",
        distinct.len()
    );

    // The checkpoint keeps the task: a grid evaluation fixes length per env.
    let ck = t.checkpoint().unwrap();
    let axes = [wgrl_rl::GridAxis::parse("length=0.25:1.0:3").unwrap()];
    let grid = wgrl_rl::evaluate_grid(&ctx, &ck, &axes, 2, 0).unwrap();
    assert_eq!(grid.points.len(), 3);
    assert_eq!(grid.points[2].values, vec![1.0]);
    assert!(
        grid.points
            .iter()
            .all(|p| p.returns.len() == 2 && p.mean() >= 1.0)
    );
    let e = wgrl_rl::evaluate_grid(
        &ctx,
        &ck,
        &[wgrl_rl::GridAxis::parse("mass=1:2:2").unwrap()],
        1,
        0,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("'mass'") && e.contains("force_mag"), "{e}");
}

#[test]
fn grid_specs_are_checked() {
    use wgrl_rl::GridAxis;
    assert_eq!(
        GridAxis::parse("length=0.5:1.5:3").unwrap().values,
        vec![0.5, 1.0, 1.5]
    );
    assert_eq!(
        GridAxis::parse("length=0.5:1.5:1").unwrap().values,
        vec![0.5]
    );
    for (spec, want) in [
        ("length=0.5:1.5:0", "at least 1 value"),
        ("length=1.5:0.5:3", "at most hi"),
        ("length=0.5:1.5", "three ':'-separated fields"),
        ("length", "no '='"),
        ("length=a:1:2", "lo 'a' is not a number"),
    ] {
        let e = GridAxis::parse(spec).unwrap_err().to_string();
        assert!(e.contains(want), "{spec}: {e}");
    }
}
