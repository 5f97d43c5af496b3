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

/// The CPU reference of one rollout of every env plus GAE (either policy head);
/// returns transitions, observations and (box spaces) raw actions.
fn reference_rollout(
    cfg: &TrainConfig,
    params: &[f32],
    net: &wgrl_nn::NetLayout,
) -> (Vec<Transition>, Vec<f32>, Vec<f32>) {
    let desc = wgrl_envs::builtin(&cfg.env).unwrap();
    let env_ref = wgrl_envs::cpu::reference(&cfg.env).unwrap();
    let od = desc.obs_dim as usize;
    let ad = desc.action_space.dim() as usize;
    let gaussian = desc.action_space.is_continuous();
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
    let mut obs = vec![0.0; k * n * t_max * od];
    let mut raw_actions = vec![0.0; if gaussian { k * n * t_max * ad } else { 0 }];
    let value = |p: &[f32], o: &[f32]| cpu::net_output(net, 1, p, o, 1)[0];
    for a in 0..k {
        let p = &params[a * pc..(a + 1) * pc];
        for e in 0..n {
            let g = a * n + e;
            for t in 0..t_max {
                let row = (a * t_max + t) * n + e;
                let o = envs.observe(g);
                obs[row * od..(row + 1) * od].copy_from_slice(&o);
                let logits = cpu::net_output(net, 0, p, &o, 1);
                let v = value(p, &o);
                let counter = envs.meta[g].1;
                let mut rng = Rng::new(cfg.seed, a as u32, e as u32, counter, STREAM_ACTION);
                let (action, env_action, logp) = if gaussian {
                    // mean + std * N(0, 1) from the same counter-based draws as the GPU.
                    let (ls_off, _) = net.log_std.unwrap();
                    let z = rng.normal4();
                    let mut raw = vec![0.0; ad];
                    let mut logp = 0.0;
                    for i in 0..ad {
                        let ls = p[ls_off as usize + i];
                        raw[i] = logits[i] + ls.exp() * z[i];
                        logp += -0.5 * z[i] * z[i] - ls - 0.918_938_5;
                    }
                    raw_actions[row * ad..(row + 1) * ad].copy_from_slice(&raw);
                    (0u32, desc.action_space.clip(&raw), logp)
                } else {
                    let mx = logits.iter().cloned().fold(f32::MIN, f32::max);
                    let total: f32 = logits.iter().map(|l| (l - mx).exp()).sum();
                    let pick = rng.uniform4()[0] * total;
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
                    (action as u32, vec![action as f32], logp)
                };
                // Step, and look at the pre-reset state for a truncation bootstrap.
                let mut probe = envs.states[g].clone();
                env_ref.step(&mut probe, &desc.default_params(), &env_action);
                let out = envs.step_one(g, &env_action);
                let boot = if out.flags == 2 {
                    value(p, &env_ref.observe(&probe, &desc.default_params()))
                } else {
                    0.0
                };
                traj[row] = Transition {
                    action,
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
            // The last step of an episode that goes on bootstraps from the next
            // observation's value, kept in its boot_value.
            let last = &mut traj[(a * t_max + t_max - 1) * n + e];
            if last.flags & 3 == 0 {
                last.boot_value = next;
            }
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
    (traj, obs, raw_actions)
}

/// `tol`: relative tolerance of transition floats and actions; `obs_tol` of
/// observations. Returns the GPU's transitions.
fn check_rollout(sets: &[&str], tol: f32, obs_tol: f32) -> Vec<Transition> {
    let ctx = ctx();
    let cfg = config(sets);
    let trainer = Trainer::new(&ctx, &cfg).unwrap();
    let (arena, slots) = trainer.arena();
    let params = arena.read(slots.params).unwrap();
    trainer.submit_rollout();
    let gpu: Vec<Transition> = arena.read(slots.traj).unwrap();
    let gpu_obs: Vec<f32> = arena.read(slots.traj_obs).unwrap();
    let (cpu_traj, cpu_obs, cpu_act) = reference_rollout(&cfg, &params, trainer.network());
    if let Some(slot) = slots.traj_act {
        // Raw Gaussian samples: mean (a 64-term dot product) + std * normal.
        let gpu_act: Vec<f32> = arena.read(slot).unwrap();
        assert_eq!(gpu_act.len(), cpu_act.len());
        for (k, (g, c)) in gpu_act.iter().zip(&cpu_act).enumerate() {
            assert!(
                (g - c).abs() <= tol * c.abs().max(1.0),
                "action {k}: {g} vs {c}"
            );
        }
    }
    let mut ended = 0;
    for (i, (g, c)) in gpu.iter().zip(&cpu_traj).enumerate() {
        assert_eq!(
            (g.action, g.flags),
            (c.action, c.flags),
            "transition {i}: {g:?} vs {c:?}"
        );
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
                (x - y).abs() <= tol * y.abs().max(1.0),
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
            (g - c).abs() <= obs_tol * c.abs().max(1.0),
            "obs {k}: {g} vs {c}"
        );
    }
    gpu
}

#[test]
fn rollout_and_gae_match_the_cpu_reference() {
    // Two agents so per-agent keys and parameters are exercised; 66 steps so
    // episodes end (terminations) inside the rollout; 3 envs leave padding lanes,
    // and the values kernel's chunks of 99 samples a padding sample.
    // Dot products of 64 terms and exp/log: 1e-4 relative covers summation-order
    // and transcendental differences between the GPU and Rust.
    let sets = [
        "agents=2",
        "ppo.envs=3",
        "ppo.steps=66",
        "ppo.minibatches=2",
    ];
    check_rollout(&sets, 1e-4, 1e-5);
    // Both ways of binding the rollout's parameters (uniform on a CPU adapter
    // when they fit, as two agents' 32-32 networks do; storage) match the
    // reference and each other bit for bit.
    let [uniform, storage] = ["true", "false"].map(|on| {
        let flag = format!("ppo.uniform_params={on}");
        let mut s = sets.to_vec();
        s.extend(["model.width=32", &flag]);
        check_rollout(&s, 1e-4, 1e-5)
    });
    assert!(
        bytemuck::cast_slice::<Transition, u8>(&uniform)
            == bytemuck::cast_slice::<Transition, u8>(&storage),
        "the uniform and storage parameter bindings gave different rollouts"
    );
}

#[test]
fn the_rollout_reads_parameters_through_a_uniform_binding_on_a_cpu_adapter() {
    let ctx = ctx();
    let cpu = ctx.adapter().device_type == "cpu";
    let fits = ctx.limits().max_uniform_buffer_binding_size >= 64 << 10;
    // One agent's 64-64 actor-critic: 36 KiB of parameters.
    for (on, expect) in [("true", cpu && fits), ("false", false)] {
        let cfg = config(&[&format!("ppo.uniform_params={on}")]);
        let trainer = Trainer::new(&ctx, &cfg).unwrap();
        let (arena, slots) = trainer.arena();
        assert_eq!(
            arena.layout().spec(slots.params).uniform,
            expect,
            "ppo.uniform_params={on} on a {} adapter",
            ctx.adapter().device_type
        );
    }
    // Two agents' need 72 KiB: more than a 64 KiB uniform binding holds, so the
    // rollout keeps storage there.
    if ctx.limits().max_uniform_buffer_binding_size < 72 << 10 {
        let cfg = config(&["agents=2"]);
        let trainer = Trainer::new(&ctx, &cfg).unwrap();
        let (arena, slots) = trainer.arena();
        assert!(!arena.layout().spec(slots.params).uniform);
    }
}

#[test]
fn residual_rollout_matches_the_cpu_reference() {
    // The rollout's forward of a residual net with norms (in-place residual
    // stream, MS-LayerNorm) and of an MLP with LayerNorm, against the CPU networks.
    for model in [
        [
            "model.arch=residual",
            "model.norm=ms-layernorm",
            "model.activation=regelu2",
        ],
        [
            "model.arch=mlp",
            "model.norm=layernorm",
            "model.activation=tanh",
        ],
    ] {
        let mut sets = vec![
            "agents=2",
            "ppo.envs=3",
            "ppo.steps=32",
            "ppo.minibatches=2",
            "model.width=16",
        ];
        sets.extend(model);
        check_rollout(&sets, 1e-4, 1e-5);
    }
}

#[test]
fn gaussian_rollout_and_gae_match_the_cpu_reference() {
    // Pendulum: box actions sampled from the Gaussian head (raw samples stored,
    // clipped at the env); 210 steps cross its 200-step limit, so every env is
    // truncated and bootstrapped once.
    // Pendulum episodes run 200 steps open loop (CartPole's end within tens), so
    // ulp-level differences between the GPU's and Rust's sin/exp compound through
    // the dynamics: up to ~5e-4 relative by the time limit, hence 2e-3.
    // Two agents' parameters take a storage binding; one agent's fit a uniform
    // binding on a CPU adapter, which the Gaussian head's log-stds are read from.
    for agents in ["agents=2", "agents=1"] {
        check_rollout(
            &[
                "env=Pendulum-v1",
                agents,
                "ppo.envs=4",
                "ppo.steps=210",
                "ppo.minibatches=2",
            ],
            2e-3,
            2e-3,
        );
    }
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
    // The critic's values of the 20 minibatch-sized chunks take several dispatches too.
    let shape = wgrl_rl::ppo::PpoShape {
        minibatches: 20,
        ..shape
    };
    let scratch = wgrl_rl::ppo::ScratchLayout::for_device(&net, &shape, 4, 2, "cpu", 0);
    assert!(wgrl_rl::ppo::values_chunks_per_dispatch(&net, &shape, &scratch, 4) < 20);
    check_rollout(&sets, 1e-4, 1e-5);
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
use wgrl_rl::reference::{Head, LossOptions, minibatch_loss};

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
    check_loss_gradient(&[]);
}

#[test]
fn gaussian_ppo_loss_gradient_matches_finite_differences() {
    // Includes the log-std parameters' gradient (surrogate and entropy terms).
    check_loss_gradient(&["env=Pendulum-v1", "ppo.ent_coef=0.05"]);
}

/// Runs one rollout; returns its transitions, observations and (box spaces) raw actions.
fn rollout(trainer: &Trainer) -> (Vec<Transition>, Vec<f32>, Vec<f32>) {
    let (arena, slots) = trainer.arena();
    trainer.submit_rollout();
    let actions = slots
        .traj_act
        .map(|s| arena.read(s).unwrap())
        .unwrap_or_default();
    (
        arena.read(slots.traj).unwrap(),
        arena.read(slots.traj_obs).unwrap(),
        actions,
    )
}

/// The head's view of a rollout: categorical, or Gaussian with the raw actions.
fn head_of(actions: &[f32]) -> Head<'_> {
    if actions.is_empty() {
        Head::Categorical
    } else {
        Head::Gaussian { actions }
    }
}

fn check_loss_gradient(extra: &[&str]) {
    // A rollout from the GPU provides realistic samples; the policy is then
    // perturbed so ratios leave the clip range and the value clip engages.
    let ctx = ctx();
    let mut sets = vec![
        "ppo.envs=4",
        "ppo.steps=8",
        "ppo.minibatches=1",
        "model.width=8",
    ];
    sets.extend_from_slice(extra);
    let cfg = config(&sets);
    let trainer = Trainer::new(&ctx, &cfg).unwrap();
    let (arena, slots) = trainer.arena();
    let (trs, obs, actions) = rollout(&trainer);
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
            head: head_of(&actions),
        },
        LossOptions {
            norm_adv: false,
            clip_vloss: false,
            head: head_of(&actions),
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
        check_one_update(&[&format!("model.activation={act}")], "CartPole-v1");
    }
    // A width the subgroup layers do not take (not a multiple of 32; on lavapipe
    // the portable code must then be compiled in for it) and a wider one they do.
    check_one_update(&["model.width=48"], "CartPole-v1");
    check_one_update(&["model.width=64"], "CartPole-v1");
}

#[test]
fn one_gaussian_update_matches_the_cpu_reference() {
    check_one_update(&["model.activation=tanh"], "Pendulum-v1");
}

#[test]
fn one_update_of_residual_and_normed_networks_matches_the_cpu_reference() {
    // Every norm kind in the residual net (standard kinds save their input and
    // train an affine, MS kinds share their output and update the residual stream
    // in place), no norm (the stream itself feeds the blocks), and norms in an MLP
    // (after a tanh, whose derivative comes from the norm's input).
    let residual = [
        "model.arch=residual",
        "model.width=8",
        "model.blocks=2",
        "model.expansion=2",
    ];
    for (norm, act) in [
        ("layernorm", "gelu"),
        ("ms-layernorm", "regelu2"),
        ("rmsnorm", "silu"),
        ("ms-rmsnorm", "resilu2"),
        ("none", "gelu"),
    ] {
        let (n, a) = (
            format!("model.norm={norm}"),
            format!("model.activation={act}"),
        );
        let mut sets = residual.to_vec();
        sets.extend([n.as_str(), a.as_str()]);
        check_one_update(&sets, "CartPole-v1");
    }
    check_one_update(
        &[
            "model.norm=layernorm",
            "model.activation=tanh",
            "model.width=8",
        ],
        "CartPole-v1",
    );
    check_one_update(
        &[
            "model.norm=ms-layernorm",
            "model.activation=tanh",
            "model.width=8",
        ],
        "CartPole-v1",
    );
    check_one_update(
        &[
            residual[0],
            residual[1],
            "model.norm=ms-rmsnorm",
            "model.activation=gelu",
        ],
        "Pendulum-v1",
    );
}

fn check_one_update(model: &[&str], env: &str) {
    let ctx = ctx();
    // One epoch of one minibatch: the whole batch, so the shuffle only reorders sums.
    let act = model.join(" ");
    let env_set = format!("env={env}");
    let mut sets = vec![
        "agents=2",
        "ppo.envs=4",
        "ppo.steps=16",
        "ppo.epochs=1",
        "ppo.minibatches=1",
        "ppo.lr=[1e-2, 3e-3]",
        &env_set,
    ];
    sets.extend_from_slice(model);
    let cfg = config(&sets);
    let trainer = Trainer::new(&ctx, &cfg).unwrap();
    let (arena, slots) = trainer.arena();
    let (trs, obs, actions) = rollout(&trainer);
    let od = trainer.env().obs_out() as usize;
    let ad = trainer.env().action_space.dim() as usize;
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
            &obs[a * b * od..(a + 1) * b * od],
            &trs[a * b..(a + 1) * b],
            &hp,
            LossOptions {
                norm_adv: true,
                clip_vloss: true,
                head: if actions.is_empty() {
                    Head::Categorical
                } else {
                    Head::Gaussian {
                        actions: &actions[a * b * ad..(a + 1) * b * ad],
                    }
                },
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
