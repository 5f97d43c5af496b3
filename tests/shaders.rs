//! Every WGSL file under `shaders/` is part of at least one kernel the engine
//! builds, and every such kernel parses and validates with naga.

use std::collections::BTreeSet;
use std::path::Path;
use wgrl::envs::{BUILTIN_ENVS, builtin};
use wgrl::gpu::ShaderSource;
use wgrl::nn::kernels::{DenseKernels, nn_source};
use wgrl::nn::norm::NormKind;
use wgrl::nn::{Activation, Arch, ModelSpec, NetLayout};

/// A small PPO plan, with or without observation and reward normalisation.
fn small_shape(norm: bool) -> wgrl::rl::ppo::PpoShape {
    wgrl::rl::ppo::PpoShape {
        agents: 2,
        envs: 8,
        steps: 16,
        epochs: 2,
        minibatches: 2,
        iterations: 10,
        anneal_lr: true,
        norm_adv: true,
        clip_vloss: true,
        norm_obs: norm,
        norm_reward: norm,
    }
}

/// Every kernel composition the engine builds.
fn all_kernels() -> Vec<ShaderSource> {
    use wgrl::rl::ppo::{self, RolloutLayout, ScratchLayout};
    let mut out = vec![wgrl::gpu::rng::RngFill::source()];
    for kind in wgrl::nn::norm::NormKind::ALL {
        out.push(wgrl::nn::norm::NormKernel::source(kind, 37, 64));
    }
    for kind in wgrl::nn::activation::ActKind::ALL {
        out.push(wgrl::nn::activation::ActKernel::source(kind.name()));
    }
    for act in [Activation::Tanh, Activation::Relu] {
        let net = NetLayout::actor_critic(4, 2, 64, 2, act);
        for dense in [DenseKernels::Portable, DenseKernels::Subgroup8] {
            out.push(nn_source("nn_test", &net, dense).with(wgrl::nn::shaders::NN_TEST));
        }
    }
    for name in BUILTIN_ENVS {
        let desc = builtin(name).unwrap();
        out.push(desc.vec_env_source());
        // Every env with and without normalisation (a box env gets its log-stds).
        for norm in [false, true] {
            let mut net =
                NetLayout::actor_critic(desc.obs_dim, desc.num_actions(), 64, 2, Activation::Tanh);
            if desc.action_space.is_continuous() {
                net = net.with_log_std(desc.action_space.dim());
            }
            if norm {
                net = net.with_state(ppo::norm_state_words(desc.obs_dim));
            }
            let shape = small_shape(norm);
            let scratch = ScratchLayout::new(&net, shape.m4(), ppo::UPDATE_WG, 1);
            let rollout = RolloutLayout::new(&net, desc.obs_dim, desc.num_actions(), &shape);
            out.push(ppo::rollout_source(&desc, &net, &shape, &rollout));
            // The rollout with its parameters through a uniform binding (CPU adapters).
            let uniform = rollout.clone().with_uniform_params(true);
            out.push(ppo::rollout_source(&desc, &net, &shape, &uniform));
            out.push(ppo::values_source(&desc, &net, &shape, &scratch, true));
            out.push(ppo::gae_source(&desc, &net, &shape, &rollout));
            out.push(ppo::update_source(&desc, &net, &shape, &scratch));
            out.push(ppo::values_source(&desc, &net, &shape, &scratch, false));
            let scratch = scratch.with_dense(DenseKernels::Subgroup8);
            out.push(ppo::update_source(&desc, &net, &shape, &scratch));
            out.push(ppo::values_source(&desc, &net, &shape, &scratch, false));
            out.push(ppo::norm_update_source(&desc, &net, &shape));
            // Without barriers, for workgroups that run in lockstep (lavapipe).
            let scratch = scratch.with_lockstep(true);
            out.push(ppo::update_source(&desc, &net, &shape, &scratch));
            out.push(ppo::values_source(&desc, &net, &shape, &scratch, true));
            let rollout = uniform.with_lockstep(true);
            out.push(ppo::rollout_source(&desc, &net, &shape, &rollout));
        }
    }
    // Every architecture with every norm (and none) and activation families, on a
    // discrete and a box env.
    for name in ["CartPole-v1", "Pendulum-v1"] {
        let desc = builtin(name).unwrap();
        let shape = small_shape(false);
        for norm in [None].into_iter().chain(NormKind::ALL.map(Some)) {
            for arch in [
                Arch::Mlp { depth: 2 },
                Arch::Residual {
                    blocks: 2,
                    expansion: 4,
                },
            ] {
                for act in [Activation::Tanh, Activation::Gelu, Activation::ReGelu2] {
                    let model = ModelSpec {
                        arch,
                        width: 16,
                        activation: act,
                        norm,
                    };
                    let mut net =
                        NetLayout::actor_critic_model(desc.obs_dim, desc.num_actions(), &model);
                    if desc.action_space.is_continuous() {
                        net = net.with_log_std(desc.action_space.dim());
                    }
                    let scratch = ScratchLayout::new(&net, shape.m4(), ppo::UPDATE_WG, 2);
                    let rollout =
                        RolloutLayout::new(&net, desc.obs_dim, desc.num_actions(), &shape);
                    out.push(ppo::rollout_source(&desc, &net, &shape, &rollout));
                    out.push(ppo::update_source(&desc, &net, &shape, &scratch));
                    out.push(ppo::values_source(&desc, &net, &shape, &scratch, false));
                }
            }
        }
    }
    out
}

fn wgsl_files(dir: &Path, root: &Path, out: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            wgsl_files(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "wgsl") {
            out.insert(format!(
                "shaders/{}",
                path.strip_prefix(root).unwrap().display()
            ));
        }
    }
}

#[test]
fn every_kernel_validates_with_naga() {
    for k in all_kernels() {
        if let Err(e) = k.validate() {
            panic!("{e}");
        }
    }
}

#[test]
fn every_shader_file_is_used_by_a_validated_kernel() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("shaders");
    let mut files = BTreeSet::new();
    wgsl_files(&root, &root, &mut files);
    assert!(files.len() >= 6, "{files:?}");
    let used: BTreeSet<String> = all_kernels()
        .iter()
        .flat_map(|k| k.parts().iter().map(|p| p.name.clone()).collect::<Vec<_>>())
        .collect();
    let unused: Vec<&String> = files.iter().filter(|f| !used.contains(*f)).collect();
    assert!(
        unused.is_empty(),
        "shader files no validated kernel uses: {unused:?}"
    );
}

/// A run's length reaches the kernels through uniforms, never their text: the
/// drivers' shader caches key on the text, so another `--total-steps` must reuse
/// the compiled kernels (on lavapipe the PPO kernels take seconds to compile).
#[test]
fn kernel_text_does_not_depend_on_the_run_length() {
    use wgrl::rl::ppo::{self, RolloutLayout, ScratchLayout};
    let desc = builtin("CartPole-v1").unwrap();
    let net = NetLayout::actor_critic(desc.obs_dim, desc.num_actions(), 64, 2, Activation::Tanh);
    let texts = |iterations: u32| -> Vec<String> {
        let shape = wgrl::rl::ppo::PpoShape {
            iterations,
            ..small_shape(false)
        };
        let scratch = ScratchLayout::new(&net, shape.m4(), ppo::UPDATE_WG, 2)
            .with_dense(DenseKernels::Subgroup8);
        let rollout = RolloutLayout::new(&net, desc.obs_dim, desc.num_actions(), &shape);
        [
            ppo::rollout_source(&desc, &net, &shape, &rollout),
            ppo::gae_source(&desc, &net, &shape, &rollout),
            ppo::update_source(&desc, &net, &shape, &scratch),
            ppo::values_source(&desc, &net, &shape, &scratch, false),
            ppo::norm_update_source(&desc, &net, &shape),
        ]
        .iter()
        .map(|k| k.text())
        .collect()
    };
    let short = texts(10);
    let long = texts(976);
    for (a, b) in short.iter().zip(&long) {
        assert_eq!(a, b, "a kernel's text changed with the planned iterations");
    }
}

/// A run-time index into a module-scope `const` array makes naga's SPIR-V
/// writer copy the whole array into a temporary at every access (the step
/// tables did, once per layer call, until they became `var<private>`; see
/// BENCHMARKS.md). Kernels index such tables through a variable instead.
#[test]
fn no_kernel_indexes_a_constant_array_at_run_time() {
    use wgpu::naga::{Expression, TypeInner};
    let mut found = Vec::new();
    for k in all_kernels() {
        let v = k.validate().unwrap();
        let m = &v.module;
        let funs = m.functions.iter().map(|(h, f)| (f, &v.info[h])).chain(
            m.entry_points
                .iter()
                .enumerate()
                .map(|(i, e)| (&e.function, v.info.get_entry_point(i))),
        );
        for (f, info) in funs {
            for (_, e) in f.expressions.iter() {
                let Expression::Access { base, index } = *e else {
                    continue;
                };
                // A constant index is resolved at compile time: no copy.
                if matches!(
                    f.expressions[index],
                    Expression::Literal(_) | Expression::Constant(_)
                ) {
                    continue;
                }
                let Expression::Constant(c) = f.expressions[base] else {
                    continue;
                };
                if let TypeInner::Array { .. } = info[base].ty.inner_with(&m.types) {
                    found.push(format!(
                        "{}: fn {} indexes const {}",
                        k.name(),
                        f.name.as_deref().unwrap_or("?"),
                        m.constants[c].name.as_deref().unwrap_or("?")
                    ));
                }
            }
        }
    }
    found.dedup();
    assert!(found.is_empty(), "{}", found.join("\n"));
}
