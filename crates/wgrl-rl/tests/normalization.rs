//! Observation normalisation and reward scaling: the GPU's running statistics
//! against a CPU reference of Gymnasium's RunningMeanStd merge (in f64), and
//! their use by the rollout (the network sees normalised observations) and by
//! GAE (scaled rewards).

use wgrl_gpu::{Context, ContextOptions};
use wgrl_nn::cpu;
use wgrl_rl::Trainer;
use wgrl_rl::config::{Overrides, TrainConfig, resolve};
use wgrl_rl::ppo::{NORM_CLIP, NORM_INIT_COUNT, Transition};

fn ctx() -> Context {
    Context::new(&ContextOptions::default())
        .expect("a wgpu adapter (run `make test`, which installs lavapipe)")
}

fn config() -> TrainConfig {
    // The Pendulum preset turns both on; a small batch keeps the test quick.
    let sets = [
        "agents=2",
        "ppo.envs=5",
        "ppo.steps=48",
        "ppo.epochs=1",
        "ppo.minibatches=2",
        "total_steps=2400",
    ];
    resolve(&Overrides {
        env: Some("Pendulum-v1".into()),
        sets: sets.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    })
    .unwrap()
}

/// Running (mean, var, count) per feature, as Gymnasium's RunningMeanStd.
#[derive(Clone, Debug)]
struct Moments {
    mean: f64,
    var: f64,
    count: f64,
}

impl Moments {
    fn new() -> Self {
        Moments {
            mean: 0.0,
            var: 1.0,
            count: NORM_INIT_COUNT as f64,
        }
    }
    fn update(&mut self, batch: &[f64]) {
        let n = batch.len() as f64;
        let mean = batch.iter().sum::<f64>() / n;
        let var = batch.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
        let delta = mean - self.mean;
        let tot = self.count + n;
        let m2 = self.var * self.count + var * n + delta * delta * self.count * n / tot;
        self.mean += delta * n / tot;
        self.var = m2 / tot;
        self.count = tot;
    }
}

/// f32 reductions over a few hundred values in a different order than f64:
/// 1e-4 relative (means near 0 compare on the variance's scale).
fn assert_moments(what: &str, gpu: [f32; 3], cpu: &Moments) {
    let scale = cpu.var.sqrt().max(1e-3);
    assert!(
        (gpu[0] as f64 - cpu.mean).abs() <= 1e-4 * scale,
        "{what} mean: gpu {} cpu {}",
        gpu[0],
        cpu.mean
    );
    assert!(
        (gpu[1] as f64 - cpu.var).abs() <= 1e-4 * cpu.var,
        "{what} var: gpu {} cpu {}",
        gpu[1],
        cpu.var
    );
    assert!(
        (gpu[2] as f64 - cpu.count).abs() <= 1e-6 * cpu.count,
        "{what} count: gpu {} cpu {}",
        gpu[2],
        cpu.count
    );
}

#[test]
fn statistics_merge_like_gymnasium_and_feed_the_rollout_and_gae() {
    let ctx = ctx();
    let cfg = config();
    let trainer = Trainer::new(&ctx, &cfg).unwrap();
    let (arena, slots) = trainer.arena();
    let net = trainer.network().clone();
    let (off, words) = net.state.expect("normalisation keeps a state block");
    let od = trainer.env().obs_out() as usize;
    assert_eq!(words as usize, 2 * od + 4);
    let pc = net.param_count as usize;
    let (agents, envs, steps) = (2usize, 5usize, 48usize);
    let gamma = cfg.ppo.gamma.get(0) as f64;
    let lambda = cfg.ppo.gae_lambda.get(0);

    let mut obs_m = vec![vec![Moments::new(); od]; agents];
    let mut ret_m = vec![Moments::new(); agents];
    let mut ret_acc = vec![0.0f64; agents * envs];
    for iteration in 0..3 {
        let before: Vec<f32> = arena.read(slots.params).unwrap();
        trainer.submit_rollout();
        let traj: Vec<Transition> = arena.read(slots.traj).unwrap();
        let obs: Vec<f32> = arena.read(slots.traj_obs).unwrap();

        for a in 0..agents {
            let p = &before[a * pc..(a + 1) * pc];
            let st = &p[off as usize..];
            let rows = a * envs * steps..(a + 1) * envs * steps;
            // The rollout stored raw observations and fed the critic normalised ones.
            for row in rows.clone().step_by(7) {
                let o = &obs[row * od..(row + 1) * od];
                let x: Vec<f32> = (0..od)
                    .map(|k| {
                        ((o[k] - st[k]) / (st[od + k] + 1e-8).sqrt()).clamp(-NORM_CLIP, NORM_CLIP)
                    })
                    .collect();
                let v = cpu::net_output(&net, 1, p, &x, 1)[0];
                assert!(
                    (v - traj[row].value).abs() <= 1e-4 * v.abs().max(1.0),
                    "iteration {iteration} row {row}: critic {v} vs rollout {}",
                    traj[row].value
                );
            }
            // GAE ran on rewards divided by the return's running std.
            let scale = 1.0 / (st[2 * od + 2] + 1e-8).sqrt();
            for e in 0..envs {
                for t in 0..steps - 1 {
                    let tr = traj[(a * steps + t) * envs + e];
                    let next = traj[(a * steps + t + 1) * envs + e];
                    if tr.flags & 3 != 0 {
                        continue;
                    }
                    let r = (tr.reward * scale).clamp(-NORM_CLIP, NORM_CLIP);
                    let want =
                        r + gamma as f32 * next.value - tr.value + gamma as f32 * lambda * next.adv;
                    assert!(
                        (tr.adv - want).abs() <= 1e-4 * want.abs().max(1.0),
                        "iteration {iteration} agent {a} env {e} step {t}: adv {} vs {want}",
                        tr.adv
                    );
                }
            }
            // CPU merges of this iteration's batch.
            for k in 0..od {
                let batch: Vec<f64> = rows.clone().map(|row| obs[row * od + k] as f64).collect();
                obs_m[a][k].update(&batch);
            }
            let mut returns = Vec::with_capacity(envs * steps);
            for e in 0..envs {
                let r = &mut ret_acc[a * envs + e];
                for t in 0..steps {
                    let tr = traj[(a * steps + t) * envs + e];
                    let done = (tr.flags & 1 != 0) as u8 as f64;
                    *r = *r * gamma * (1.0 - done) + tr.reward as f64;
                    returns.push(*r);
                }
            }
            ret_m[a].update(&returns);
        }

        trainer.submit_update();
        let after: Vec<f32> = arena.read(slots.params).unwrap();
        let gpu_acc: Vec<f32> = arena.read(slots.ret_acc.unwrap()).unwrap();
        for a in 0..agents {
            let st = &after[a * pc + off as usize..];
            for (k, m) in obs_m[a].iter().enumerate() {
                assert_moments(
                    &format!("iteration {iteration} agent {a} obs {k}"),
                    [st[k], st[od + k], st[2 * od]],
                    m,
                );
            }
            assert_moments(
                &format!("iteration {iteration} agent {a} return"),
                [st[2 * od + 1], st[2 * od + 2], st[2 * od + 3]],
                &ret_m[a],
            );
            for e in 0..envs {
                let (g, c) = (gpu_acc[a * envs + e] as f64, ret_acc[a * envs + e]);
                assert!((g - c).abs() <= 1e-4 * c.abs().max(1.0), "{g} vs {c}");
            }
        }
    }
    // Pendulum's observations are far from N(0, 1): the statistics moved.
    let st = &arena.read(slots.params).unwrap()[off as usize..];
    assert!(st[od + 2] > 2.0, "theta_dot variance {}", st[od + 2]);
}

#[test]
fn checkpoints_carry_the_statistics_and_evaluation_uses_them_frozen() {
    let ctx = ctx();
    let mut t = Trainer::new(&ctx, &config()).unwrap();
    t.train(|_| {}).unwrap();
    let ck = t.checkpoint().unwrap();
    let (off, words) = t.network().state.unwrap();
    let pc = t.network().param_count as usize;
    let live: Vec<f32> = t.arena().0.read(t.arena().1.params).unwrap();
    assert_eq!(
        ck.params, live,
        "the checkpoint holds the statistics with the weights"
    );
    let stats = |p: &[f32]| p[off as usize..(off + words) as usize].to_vec();
    assert_ne!(
        stats(&ck.params[..pc]),
        wgrl_rl::ppo::norm_state_init(3),
        "training moved the statistics"
    );

    let dir = std::env::temp_dir().join(format!("wgrl-norm-ck-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ck.wgrl");
    ck.save(&path).unwrap();
    let back = wgrl_rl::Checkpoint::load(&path).unwrap();
    assert_eq!(back.params, ck.params);
    // Evaluation is deterministic, so frozen statistics give the same returns
    // twice; with the statistics reset, the same weights act differently.
    let a = wgrl_rl::evaluate(&ctx, &back, 3, 0).unwrap();
    assert_eq!(
        wgrl_rl::evaluate(&ctx, &back, 3, 0).unwrap().returns,
        a.returns
    );
    let mut reset = back.clone();
    for agent in reset.params.chunks_mut(pc) {
        agent[off as usize..(off + words) as usize]
            .copy_from_slice(&wgrl_rl::ppo::norm_state_init(3));
    }
    let b = wgrl_rl::evaluate(&ctx, &reset, 3, 0).unwrap();
    assert_ne!(
        a.returns, b.returns,
        "evaluation must normalise with the checkpoint's statistics"
    );
    std::fs::remove_dir_all(&dir).ok();
}
