//! The fused PPO kernels against CPU references.

use wgrl_envs::cpu::ReferenceVecEnv;
use wgrl_gpu::rng::{Rng, STREAM_ACTION};
use wgrl_gpu::{Context, ContextOptions};
use wgrl_nn::cpu;
use wgrl_rl::Trainer;
use wgrl_rl::config::{Overrides, TrainConfig, resolve};
use wgrl_rl::ppo::Transition;

fn ctx() -> Context {
    Context::new(&ContextOptions::default())
        .expect("a wgpu adapter (run `make test`, which installs lavapipe)")
}

fn config(sets: &[&str]) -> TrainConfig {
    resolve(&Overrides {
        preset: Some("cartpole-purejaxrl".into()),
        sets: sets.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    })
    .unwrap()
}

/// The CPU reference of one rollout of every env plus GAE; returns transitions and observations.
fn reference_rollout(
    cfg: &TrainConfig,
    params: &[f32],
    net: &wgrl_nn::NetLayout,
) -> (Vec<Transition>, Vec<f32>) {
    let desc = wgrl_envs::builtin(&cfg.env).unwrap();
    let (k, n, t_max) = (
        cfg.agents as usize,
        cfg.ppo.envs as usize,
        cfg.ppo.steps as usize,
    );
    let mut envs = ReferenceVecEnv::new(&desc, cfg.agents, cfg.ppo.envs, cfg.seed).unwrap();
    let pc = net.param_count as usize;
    let gamma = cfg.ppo.gamma.get(0);
    let lambda = cfg.ppo.gae_lambda.get(0);
    let mut traj = vec![
        Transition {
            action: 0,
            flags: 0,
            logp: 0.0,
            value: 0.0,
            reward: 0.0,
            boot_value: 0.0,
            adv: 0.0,
            ret: 0.0,
            ep_return: 0.0
        };
        k * n * t_max
    ];
    let mut obs = vec![0.0; k * n * t_max * desc.obs_dim as usize];
    let value = |p: &[f32], o: &[f32]| cpu::mlp_forward(net, 1, p, o, 1).last().unwrap()[0];
    for a in 0..k {
        let p = &params[a * pc..(a + 1) * pc];
        for e in 0..n {
            let g = a * n + e;
            for t in 0..t_max {
                let row = (a * t_max + t) * n + e;
                let o = envs.observe(g);
                obs[row * 4..row * 4 + 4].copy_from_slice(&o);
                let logits = cpu::mlp_forward(net, 0, p, &o, 1).last().unwrap().clone();
                let v = value(p, &o);
                let mx = logits.iter().cloned().fold(f32::MIN, f32::max);
                let total: f32 = logits.iter().map(|l| (l - mx).exp()).sum();
                let counter = envs.meta[g].1;
                let u =
                    Rng::new(cfg.seed, a as u32, e as u32, counter, STREAM_ACTION).uniform4()[0];
                let pick = u * total;
                let mut cum = 0.0;
                let mut action = logits.len() - 1;
                for (i, l) in logits.iter().enumerate() {
                    cum += (l - mx).exp();
                    if pick < cum {
                        action = i;
                        break;
                    }
                }
                let logp = logits[action] - mx - total.ln();
                // Step, and look at the pre-reset state for a truncation bootstrap.
                let before = envs.states[g].clone();
                let mut probe = before.clone();
                let out = {
                    use wgrl_envs::cpu::ReferenceEnv;
                    wgrl_envs::cpu::CartPole.step(
                        &mut probe,
                        &desc.default_params(),
                        &[action as f32],
                    );
                    envs.step_one(g, &[action as f32])
                };
                let boot = if out.flags == 2 {
                    value(p, &probe)
                } else {
                    0.0
                };
                traj[row] = Transition {
                    action: action as u32,
                    flags: out.flags | (out.episode_length << 2),
                    logp,
                    value: v,
                    reward: out.reward,
                    boot_value: boot,
                    adv: 0.0,
                    ret: 0.0,
                    ep_return: out.episode_return,
                };
            }
            let mut next = value(p, &envs.observe(g));
            let mut gae = 0.0;
            for t in (0..t_max).rev() {
                let tr = &mut traj[(a * t_max + t) * n + e];
                if tr.flags & 1 != 0 {
                    gae = tr.reward - tr.value;
                } else if tr.flags & 2 != 0 {
                    gae = tr.reward + gamma * tr.boot_value - tr.value;
                } else {
                    gae = tr.reward + gamma * next - tr.value + gamma * lambda * gae;
                }
                tr.adv = gae;
                tr.ret = gae + tr.value;
                next = tr.value;
            }
        }
    }
    (traj, obs)
}

fn check_rollout(sets: &[&str]) {
    let ctx = ctx();
    let cfg = config(sets);
    let trainer = Trainer::new(&ctx, &cfg).unwrap();
    let (arena, slots) = trainer.arena();
    let params = arena.read(slots.params).unwrap();
    trainer.submit_rollout();
    let gpu: Vec<Transition> = arena.read(slots.traj).unwrap();
    let gpu_obs: Vec<f32> = arena.read(slots.traj_obs).unwrap();
    let (cpu_traj, cpu_obs) = reference_rollout(&cfg, &params, trainer.network());
    let mut ended = 0;
    for (i, (g, c)) in gpu.iter().zip(&cpu_traj).enumerate() {
        assert_eq!(
            (g.action, g.flags),
            (c.action, c.flags),
            "transition {i}: {g:?} vs {c:?}"
        );
        // Dot products of 64 terms and exp/log: 1e-4 relative covers summation-order
        // and transcendental differences between the GPU and Rust.
        for (name, x, y) in [
            ("logp", g.logp, c.logp),
            ("value", g.value, c.value),
            ("reward", g.reward, c.reward),
            ("boot", g.boot_value, c.boot_value),
            ("adv", g.adv, c.adv),
            ("ret", g.ret, c.ret),
            ("ep_return", g.ep_return, c.ep_return),
        ] {
            assert!(
                (x - y).abs() <= 1e-4 * y.abs().max(1.0),
                "transition {i} {name}: gpu {x} cpu {y}"
            );
        }
        ended += (g.flags & 3 != 0) as usize;
    }
    assert!(
        ended >= 4,
        "episodes should end during the rollout ({ended})"
    );
    for (k, (g, c)) in gpu_obs.iter().zip(&cpu_obs).enumerate() {
        assert!(
            (g - c).abs() <= 1e-5 * c.abs().max(1.0),
            "obs {k}: {g} vs {c}"
        );
    }
}

#[test]
fn rollout_and_gae_match_the_cpu_reference() {
    // Two agents so per-agent keys and parameters are exercised; 64 steps so
    // episodes end (terminations) inside the rollout; 3 envs leave padding lanes.
    check_rollout(&[
        "agents=2",
        "ppo.envs=3",
        "ppo.steps=64",
        "ppo.minibatches=2",
    ]);
}

#[test]
fn long_rollouts_are_chunked_under_lavapipes_loop_cap() {
    // 600 steps of 70 envs (two workgroups per agent) take several dispatches and
    // cross the 500-step time limit, so truncation bootstraps are exercised too.
    let sets = ["ppo.envs=70", "ppo.steps=600", "ppo.minibatches=20"];
    let cfg = config(&sets);
    let shape = wgrl_rl::ppo::PpoShape {
        agents: 1,
        envs: 70,
        steps: 600,
        epochs: 4,
        minibatches: 2,
        iterations: 1,
        anneal_lr: true,
        norm_adv: true,
        clip_vloss: true,
        norm_obs: false,
        norm_reward: false,
    };
    let net = wgrl_rl::trainer::network(&cfg, &wgrl_envs::builtin("CartPole-v1").unwrap()).unwrap();
    let layout = wgrl_rl::ppo::RolloutLayout::new(&net, 4, 2, &shape);
    assert!(layout.chunk < 600 && layout.groups == 2, "{layout:?}");
    check_rollout(&sets);
}

#[test]
fn updates_split_over_dispatches_run_every_minibatch() {
    let ctx = ctx();
    let cfg = config(&[
        "agents=2",
        "ppo.envs=64",
        "ppo.steps=64",
        "ppo.epochs=3",
        "ppo.minibatches=8",
    ]);
    let trainer = Trainer::new(&ctx, &cfg).unwrap();
    assert!(
        trainer.dispatches_per_iteration() > 3,
        "the update should need several dispatches"
    );
    trainer.submit_rollout();
    trainer.submit_update();
    let (arena, slots) = trainer.arena();
    for s in arena.read(slots.stats).unwrap() {
        // Every one of the 24 Adam steps ran: an invocation that hit lavapipe's
        // loop cap would have left its loops early.
        assert_eq!((s.iteration, s.adam_t, s.nonfinite), (1, 24, 0));
        assert!(s.value_loss > 0.0 && s.entropy > 0.5 && s.approx_kl.is_finite());
    }
}

use wgrl_rl::ppo::AgentHyper;
use wgrl_rl::reference::{LossOptions, minibatch_loss};

fn hyper(cfg: &TrainConfig) -> AgentHyper {
    let p = &cfg.ppo;
    AgentHyper::new(
        p.lr.get(0),
        p.gamma.get(0),
        p.gae_lambda.get(0),
        p.clip.get(0),
        p.ent_coef.get(0),
        p.vf_coef.get(0),
        p.max_grad_norm.get(0),
    )
}

#[test]
fn ppo_loss_gradient_matches_finite_differences() {
    // A rollout from the GPU provides realistic samples; the policy is then
    // perturbed so ratios leave the clip range and the value clip engages.
    let ctx = ctx();
    let cfg = config(&[
        "ppo.envs=4",
        "ppo.steps=8",
        "ppo.minibatches=1",
        "model.width=8",
    ]);
    let trainer = Trainer::new(&ctx, &cfg).unwrap();
    let (arena, slots) = trainer.arena();
    trainer.submit_rollout();
    let trs: Vec<Transition> = arena.read(slots.traj).unwrap();
    let obs: Vec<f32> = arena.read(slots.traj_obs).unwrap();
    let net = trainer.network();
    let mut params = arena.read(slots.params).unwrap();
    for (k, p) in params.iter_mut().enumerate() {
        *p += 0.3 * (((k * 7919) % 13) as f32 / 13.0 - 0.5);
    }
    let hp = hyper(&cfg);
    for opt in [
        LossOptions {
            norm_adv: true,
            clip_vloss: true,
        },
        LossOptions {
            norm_adv: false,
            clip_vloss: false,
        },
    ] {
        let mut g = vec![0.0f32; params.len()];
        minibatch_loss(net, &params, &obs, &trs, &hp, opt, Some(&mut g));
        let mut checked = 0;
        for k in (0..params.len()).step_by(3) {
            // Central differences (f64 loss, h = 1e-3); the loss is piecewise smooth
            // (max and clamp), so parameters whose step crosses a kink are skipped:
            // there the one-sided slopes differ.
            let h = 1e-3f32;
            let mut p = params.clone();
            p[k] += h;
            let up = minibatch_loss(net, &p, &obs, &trs, &hp, opt, None).total;
            p[k] -= h;
            let mid = minibatch_loss(net, &p, &obs, &trs, &hp, opt, None).total;
            p[k] -= h;
            let down = minibatch_loss(net, &p, &obs, &trs, &hp, opt, None).total;
            let (right, left) = ((up - mid) / h as f64, (mid - down) / h as f64);
            if (right - left).abs() > 0.05 * right.abs().max(left.abs()).max(1e-3) {
                continue;
            }
            let fd = (up - down) / (2.0 * h as f64);
            // The loss is computed in f32 (as on the GPU): its rounding, ~1e-7 |L|,
            // divided by 2h is the finite difference's noise floor.
            let noise = 4.0 * 1.2e-7 * mid.abs().max(1.0) / (2.0 * h as f64);
            assert!(
                (fd - g[k] as f64).abs() <= 2e-3 * fd.abs() + noise,
                "param {k}: fd {fd} analytic {} ({opt:?})",
                g[k]
            );
            checked += 1;
        }
        assert!(
            checked > params.len() / 6,
            "too few parameters checked: {checked}"
        );
    }
}

#[test]
fn one_update_matches_the_cpu_reference() {
    // Exact activations, one saving pre-activations, and Approx-BP ones saving 2-bit states.
    for act in ["tanh", "gelu", "silu", "regelu2", "retanh2"] {
        check_one_update(act);
    }
}

fn check_one_update(act: &str) {
    let ctx = ctx();
    // One epoch of one minibatch: the whole batch, so the shuffle only reorders sums.
    let activation = format!("model.activation={act}");
    let cfg = config(&[
        "agents=2",
        "ppo.envs=4",
        "ppo.steps=16",
        "ppo.epochs=1",
        "ppo.minibatches=1",
        "ppo.lr=[1e-2, 3e-3]",
        &activation,
    ]);
    let trainer = Trainer::new(&ctx, &cfg).unwrap();
    let (arena, slots) = trainer.arena();
    trainer.submit_rollout();
    let trs: Vec<Transition> = arena.read(slots.traj).unwrap();
    let obs: Vec<f32> = arena.read(slots.traj_obs).unwrap();
    let before = arena.read(slots.params).unwrap();
    trainer.submit_update();
    let after = arena.read(slots.params).unwrap();
    let stats = arena.read(slots.stats).unwrap();
    // Per agent: Adam m, Adam v, then the (unclipped) gradient of the minibatch.
    let opt = arena.read(slots.opt).unwrap();
    let net = trainer.network();
    let pc = net.param_count as usize;
    let b = 64;
    for a in 0..2 {
        let mut hp = hyper(&cfg);
        hp.lr = cfg.ppo.lr.get(a);
        let p = &before[a * pc..(a + 1) * pc];
        let mut g = vec![0.0f32; pc];
        let terms = minibatch_loss(
            net,
            p,
            &obs[a * b * 4..(a + 1) * b * 4],
            &trs[a * b..(a + 1) * b],
            &hp,
            LossOptions {
                norm_adv: true,
                clip_vloss: true,
            },
            Some(&mut g),
        );
        // The gradient itself, not only Adam's sign-like first step: a derivative off
        // by a positive factor (a wrong activation slope, say) shows here. Sums of
        // up to 64 samples x 64 terms in different orders: 1e-4 of the gradient's
        // scale (its largest entry) per component.
        let gpu_g = &opt[a * 3 * pc + 2 * pc..(a + 1) * 3 * pc];
        let g_scale = g.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        for k in 0..pc {
            assert!(
                (gpu_g[k] - g[k]).abs() <= 1e-4 * g_scale,
                "{act}: agent {a} gradient {k}: gpu {} cpu {}",
                gpu_g[k],
                g[k]
            );
        }
        let (_, scale) = cpu::clip_scale(&g, hp.max_grad_norm);
        let mut want = p.to_vec();
        let (mut m, mut v) = (vec![0.0; pc], vec![0.0; pc]);
        cpu::adam_step(&mut want, &mut m, &mut v, &g, hp.lr, scale, 1.0);
        // Adam's first step moves each parameter by about lr * sign(g); the GPU's
        // gradient differs from the CPU's by summation order (~1e-6 relative), which
        // only matters where |g| is tiny, so compare the step with 2% of lr slack.
        let mut moved = 0;
        for k in 0..pc {
            let (gs, cs) = (after[a * pc + k] - p[k], want[k] - p[k]);
            assert!(
                (gs - cs).abs() <= 0.02 * hp.lr + 1e-6,
                "{act}: agent {a} param {k}: gpu step {gs} cpu step {cs} (g = {})",
                g[k]
            );
            moved += (cs.abs() > 0.5 * hp.lr) as usize;
        }
        // The critic (half the parameters) moves by about lr; the actor's hidden
        // layers sit behind a 0.01-gain head, so their gradients are near Adam's eps.
        assert!(
            moved > pc / 3,
            "the update should move the critic: {moved} of {pc}"
        );
        let s = &stats[a];
        assert_eq!((s.iteration, s.adam_t), (1, 1));
        assert!(
            (s.policy_loss as f64 - terms.policy).abs() < 1e-4,
            "{} vs {}",
            s.policy_loss,
            terms.policy
        );
        assert!(
            (s.value_loss as f64 - terms.value).abs() < 1e-3 * terms.value.max(1.0),
            "{} vs {}",
            s.value_loss,
            terms.value
        );
        assert!((s.entropy as f64 - terms.entropy).abs() < 1e-4);
        // Episodes that ended in the rollout were filed in (step, env) order.
        let done: Vec<f32> = trs[a * b..(a + 1) * b]
            .iter()
            .filter(|t| t.flags & 3 != 0)
            .map(|t| t.ep_return)
            .collect();
        assert_eq!(s.episodes as usize, done.len());
        assert_eq!(&s.recent_returns[..done.len()], &done[..]);
        // First minibatch of the first epoch: the policy is the rollout's, ratio = 1.
        assert!(s.approx_kl.abs() < 1e-6 && s.clip_frac == 0.0);
    }
}
