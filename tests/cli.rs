//! The `wgrl` binary: output contracts and clear, non-zero-exit errors.

use std::process::{Command, Output};

fn wgrl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wgrl"))
        .args(args)
        .env("XDG_RUNTIME_DIR", "/tmp")
        .output()
        .expect("run wgrl")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn info_names_the_adapter_and_limits() {
    let o = wgrl(&["info", "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    let line = String::from_utf8_lossy(&o.stdout);
    let v: serde_json::Value = serde_json::from_str(line.lines().last().unwrap()).unwrap();
    assert!(!v["adapter"]["name"].as_str().unwrap().is_empty());
    assert!(
        v["limits"]["max_storage_buffer_binding_size"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert!(
        v["envs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == "CartPole-v1")
    );
}

#[test]
fn wgrl_gives_llvmpipe_two_workers_more_than_cores_unless_the_user_sets_it() {
    let info = |threads: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_wgrl"));
        cmd.args(["info", "--json"]).env("XDG_RUNTIME_DIR", "/tmp");
        match threads {
            Some(n) => cmd.env("LP_NUM_THREADS", n),
            None => cmd.env_remove("LP_NUM_THREADS"),
        };
        let o = cmd.output().expect("run wgrl");
        assert!(o.status.success(), "{}", text(&o));
        let v: serde_json::Value =
            serde_json::from_str(String::from_utf8_lossy(&o.stdout).lines().last().unwrap())
                .unwrap();
        v
    };
    let v = info(None);
    if !v["adapter"]["name"]
        .as_str()
        .unwrap()
        .starts_with("llvmpipe")
    {
        assert!(v["llvmpipe_threads"].is_null(), "{v}");
        return;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let expected = (cores + 2).min(32).to_string();
    assert_eq!(v["llvmpipe_threads"], expected.as_str());
    assert_eq!(info(Some("5"))["llvmpipe_threads"], "5");
}

#[test]
fn bench_env_json_last_line_has_the_contract_fields() {
    let o = wgrl(&[
        "bench",
        "env",
        "--envs",
        "256",
        "--steps",
        "20",
        "--samples",
        "2",
        "--json",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let v: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(v["env"], "CartPole-v1");
    assert_eq!(v["envs"], 256);
    assert_eq!(v["steps"], 20);
    assert!(v["steps_per_second"].as_f64().unwrap() > 0.0);
    assert!(!v["adapter"].as_str().unwrap().is_empty());
}

#[test]
fn unknown_env_lists_the_valid_ones() {
    let o = wgrl(&["bench", "env", "--env", "Pong-v9"]);
    assert!(!o.status.success());
    let t = text(&o);
    assert!(
        t.contains("unknown env 'Pong-v9'") && t.contains("CartPole-v1"),
        "{t}"
    );
    assert!(!t.contains("panicked"), "{t}");
}

#[test]
fn zero_envs_is_an_error() {
    let o = wgrl(&["bench", "env", "--envs", "0"]);
    assert!(!o.status.success());
    assert!(text(&o).contains("must be at least 1"), "{}", text(&o));
}

#[test]
fn no_adapter_says_how_to_install_the_software_driver() {
    // No adapter matches this name, so the engine must say what exists.
    let o = wgrl(&["--adapter", "no-such-gpu-xyz", "info"]);
    assert!(!o.status.success());
    let t = text(&o);
    assert!(
        t.contains("no adapter name contains \"no-such-gpu-xyz\"") && t.contains("available:"),
        "{t}"
    );
    // A backend with no adapters on this machine (DX12 exists only on Windows).
    if !cfg!(windows) {
        let o = wgrl(&["--backend", "dx12", "info"]);
        assert!(!o.status.success());
        let t = text(&o);
        assert!(
            t.contains("mesa-vulkan-drivers") && !t.contains("panicked"),
            "{t}"
        );
    }
}

#[test]
fn a_plan_over_the_device_limits_is_an_error() {
    // 2^27 envs x 4 observation floats = 2 GiB for one slot: over any binding limit.
    let o = wgrl(&["bench", "env", "--envs", "134217728", "--steps", "1"]);
    assert!(!o.status.success());
    let t = text(&o);
    assert!(t.contains("over by") && t.contains("env."), "{t}");
    assert!(!t.contains("panicked"), "{t}");
}

#[test]
fn bench_memory_shows_approx_bp_savings_per_layer() {
    // Issue 4's configuration (the defaults): residual policy, width 256, 2 blocks,
    // expansion 4, minibatch 8192. A plan, so it runs on any adapter.
    let o = wgrl(&["bench", "memory", "--json"]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    for layer in [
        "actor.block0.norm",
        "actor.block1.fc1",
        "critic.norm",
        "critic.head",
    ] {
        assert!(t.contains(layer), "{layer}: {t}");
    }
    assert!(
        t.contains("2-bit states") && t.contains("stored once"),
        "{t}"
    );
    let out = String::from_utf8_lossy(&o.stdout);
    let v: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    let get = |k: &str| v[k].as_u64().unwrap_or_else(|| panic!("{k}: {v}")) as f64;
    // The figures: saved activations at least 45% lower, peak arena at
    // least 30% lower with regelu2 + ms-layernorm than with gelu + layernorm.
    assert!(
        get("activation_bytes_approx") <= 0.55 * get("activation_bytes_exact"),
        "{v}"
    );
    assert!(
        get("peak_bytes_approx") <= 0.70 * get("peak_bytes_exact"),
        "{v}"
    );
}

#[test]
fn a_residual_net_over_the_binding_limit_names_the_size() {
    let dir = TempDir::new("too-wide");
    let out = dir.0.join("run");
    let o = wgrl(&[
        "train",
        "--env",
        "CartPole-v1",
        "--set",
        "model.arch=residual",
        "--set",
        "model.width=1024",
        "--set",
        "model.expansion=8",
        "--set",
        "ppo.envs=256",
        "--set",
        "ppo.minibatches=1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let t = text(&o);
    assert!(
        t.contains("model.expansion = 8 (8192 inner units)")
            && t.contains("max_storage_buffer_binding_size")
            && t.contains(" by "),
        "{t}"
    );
    assert!(!t.contains("panicked"), "{t}");
    assert!(!out.join("checkpoint.wgrl").exists());
}

/// A fresh folder under the system temp folder, removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let p = std::env::temp_dir().join(format!("wgrl-cli-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }
    fn join(&self, name: &str) -> std::path::PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Flags for a run of a few seconds on lavapipe: 4 envs x 64 steps, 4 iterations.
const SMALL: &[&str] = &[
    "--total-steps",
    "1024",
    "--set",
    "ppo.envs=4",
    "--set",
    "ppo.steps=64",
    "--set",
    "log.interval=2",
];

fn train(out: &std::path::Path, extra: &[&str]) -> Output {
    let out = out.to_str().expect("utf-8 temp path");
    let mut args = vec!["train", "--out", out];
    args.extend_from_slice(SMALL);
    args.extend_from_slice(extra);
    wgrl(&args)
}

#[test]
fn train_writes_the_run_folder_and_eval_reads_its_checkpoint() {
    let dir = TempDir::new("train");
    let run = dir.join("run");
    let o = train(&run, &["--agents", "2", "--seed", "3"]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    let last = String::from_utf8_lossy(&o.stdout);
    let last = last.lines().last().unwrap_or_default();
    assert!(
        last.contains("CartPole-v1") && last.contains("steps/s") && last.contains("run folder"),
        "{t}"
    );

    let config = std::fs::read_to_string(run.join("config.toml")).unwrap();
    assert!(
        config.contains("agents = 2") && config.contains("seed = 3"),
        "{config}"
    );
    assert!(config.contains("envs = 4"), "{config}");

    let metrics = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    let lines: Vec<&str> = metrics.lines().collect();
    assert!(lines[0].starts_with("iteration,env_steps,"), "{metrics}");
    assert!(lines[0].contains("return_agent_1"), "{metrics}");
    assert!(lines.len() >= 2, "{metrics}");
    let cols = lines[0].split(',').count();
    assert!(
        lines.iter().all(|l| l.split(',').count() == cols),
        "{metrics}"
    );

    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("summary.json")).unwrap()).unwrap();
    for key in wgrl::rl::output::SUMMARY_FIELDS {
        assert!(
            summary.get(key).is_some(),
            "summary.json lacks {key}: {summary}"
        );
    }
    assert_eq!(summary["env"], "CartPole-v1");
    assert_eq!(summary["algo"], "ppo");
    assert_eq!(summary["agents"], 2);
    assert_eq!(summary["seed"], 3);
    assert_eq!(summary["total_steps"], 1024);
    assert_eq!(summary["iterations"], 4);
    assert_eq!(
        summary["final_return_per_agent"].as_array().unwrap().len(),
        2
    );
    assert!(summary["steps_per_second"].as_f64().unwrap() > 0.0);
    assert!(summary["wall_seconds"].as_f64().unwrap() > 0.0);
    assert!(summary["blocking_waits"].as_u64().unwrap() >= 1);
    assert!(summary["host_readbacks"].as_u64().unwrap() >= 1);
    assert!(!summary["adapter"]["name"].as_str().unwrap().is_empty());
    assert!(summary["memory"]["total_bytes"].as_u64().unwrap() > 0);

    let svg = std::fs::read_to_string(run.join("learning_curve.svg")).unwrap();
    assert!(svg.contains("<svg"));

    // The checkpoint evaluates.
    let ckpt = run.join("checkpoint.wgrl");
    let ckpt_s = ckpt.to_str().unwrap();
    let o = wgrl(&["eval", "--checkpoint", ckpt_s, "--episodes", "3"]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("mean") && t.contains("agent 1"), "{t}");

    // A grid over two parameters: a table and a heatmap beside the checkpoint.
    let o = wgrl(&[
        "eval",
        "--checkpoint",
        ckpt_s,
        "--episodes",
        "1",
        "--grid",
        "length=0.25:0.75:2",
        "--grid",
        "force_mag=5:15:2",
    ]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        t.contains("length") && t.contains("force_mag") && t.contains("mean"),
        "{t}"
    );
    let heatmap = std::fs::read_to_string(run.join("grid_length_force_mag.svg")).unwrap();
    assert!(heatmap.contains("<svg"));
    for (grid, want) in [
        ("length=0.75:0.25:2", "at most hi"),
        ("length=0.25:0.75:0", "at least 1 value"),
        ("mass=1:2:2", "not a parameter of CartPole-v1"),
    ] {
        let o = wgrl(&["eval", "--checkpoint", ckpt_s, "--grid", grid]);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(1), "{t}");
        assert!(t.contains(want) && !t.contains("panicked"), "{grid}: {t}");
    }

    // A flipped byte is reported as corruption.
    let mut bytes = std::fs::read(&ckpt).unwrap();
    let i = bytes.len() / 2;
    bytes[i] ^= 0x40;
    let bad = dir.join("corrupt.wgrl");
    std::fs::write(&bad, &bytes).unwrap();
    let o = wgrl(&["eval", "--checkpoint", bad.to_str().unwrap()]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(t.contains("checksum") && t.contains("corrupt"), "{t}");
    assert!(!t.contains("panicked"), "{t}");
}

/// Runs `wgrl train` with bad input; it must fail with status 1, an `error:` line
/// containing `expect`, no panic, and no run folder.
fn bad_train(tag: &str, extra: &[&str], expect: &[&str]) {
    let dir = TempDir::new(tag);
    let run = dir.join("run");
    // The small run's flags without --total-steps, so that a case may give its own.
    let mut args = vec!["train", "--out", run.to_str().expect("utf-8 temp path")];
    args.extend_from_slice(&SMALL[2..]);
    args.extend_from_slice(extra);
    let o = wgrl(&args);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(t.contains("error: "), "{t}");
    for e in expect {
        assert!(t.contains(e), "expected '{e}' in: {t}");
    }
    assert!(!t.contains("panicked"), "{t}");
    assert!(!run.exists(), "a failed run left {}", run.display());
}

#[test]
fn train_rejects_bad_input_before_writing_anything() {
    // 4 envs x 64 steps = 256, not divisible by 3.
    bad_train(
        "mb",
        &["--set", "ppo.minibatches=3"],
        &["ppo.minibatches = 3 does not divide", "256"],
    );
    bad_train(
        "steps0",
        &["--total-steps", "0"],
        &["total_steps = 0", "--total-steps"],
    );
    bad_train("lr", &["--set", "ppo.lr=-1"], &["ppo.lr = -1", "> 0"]);
    bad_train(
        "task-name",
        &["--set", "task.params.lenght=[0.3, 0.6]"],
        &[
            "'lenght'",
            "gravity, masscart, masspole, length, force_mag, tau",
        ],
    );
    bad_train(
        "task-range",
        &["--set", "task.params.length=[0.6, 0.3]"],
        &["task.params.length = [0.6, 0.3]", "lo is greater than hi"],
    );
    bad_train(
        "key",
        &["--set", "ppo.learning_rate=1e-3"],
        &[
            "unknown config key 'ppo.learning_rate'",
            "did you mean 'ppo.lr'",
        ],
    );
    bad_train("agents", &["--agents", "0"], &["agents = 0"]);
    bad_train(
        "env",
        &["--env", "Pong-v9"],
        &["unknown env 'Pong-v9'", "CartPole-v1"],
    );
    bad_train(
        "preset",
        &["--preset", "cartpol"],
        &["unknown preset", "cartpole"],
    );

    let dir = TempDir::new("config-files");
    let file = dir.join("broken.toml");
    std::fs::write(&file, "seed = 1\n[ppo]\nenvs = = 4\n").unwrap();
    bad_train(
        "toml",
        &["--config", file.to_str().unwrap()],
        &["not valid TOML", "line 3", "broken.toml"],
    );
    let missing = dir.join("missing.toml");
    bad_train(
        "missing",
        &["--config", missing.to_str().unwrap()],
        &["cannot read config file", "missing.toml"],
    );
}

#[test]
fn train_names_an_unwritable_run_folder() {
    let mut args = vec!["train", "--out", "/proc/wgrl-test"];
    args.extend_from_slice(SMALL);
    let o = wgrl(&args);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(t.contains("/proc/wgrl-test") && t.contains("--out"), "{t}");
    assert!(!t.contains("panicked"), "{t}");
}

#[test]
fn train_reports_divergence_and_exits_1() {
    let dir = TempDir::new("diverge");
    let run = dir.join("run");
    let o = train(&run, &["--set", "ppo.lr=1e30"]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(t.contains("diverged") && t.contains("agent 0"), "{t}");
    assert!(!t.contains("panicked"), "{t}");
    // What was seen before the divergence is kept.
    assert!(run.join("config.toml").exists(), "{t}");
    assert!(run.join("metrics.csv").exists(), "{t}");
}

#[test]
fn eval_rejects_zero_episodes_and_missing_files() {
    let o = wgrl(&[
        "eval",
        "--checkpoint",
        "/nonexistent/c.wgrl",
        "--episodes",
        "0",
    ]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(t.contains("--episodes must be at least 1"), "{t}");
    let o = wgrl(&["eval", "--checkpoint", "/nonexistent/c.wgrl"]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(
        t.contains("cannot read checkpoint '/nonexistent/c.wgrl'"),
        "{t}"
    );
    assert!(!t.contains("panicked"), "{t}");
}

#[test]
fn bench_ppo_json_last_line_lists_each_preset() {
    let o = wgrl(&["bench", "ppo", "--total-steps", "2048", "--json"]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    let out = String::from_utf8_lossy(&o.stdout);
    let v: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert!(!v["adapter"].as_str().unwrap().is_empty());
    let results = v["results"].as_array().unwrap();
    let presets: Vec<&str> = results
        .iter()
        .map(|r| r["preset"].as_str().unwrap())
        .collect();
    assert_eq!(presets, ["cartpole-purejaxrl", "cartpole"]);
    for r in results {
        assert_eq!(r["env_steps"], 2048, "{r}");
        assert!(r["steps_per_second"].as_f64().unwrap() > 0.0, "{r}");
        assert!(r["wall_seconds"].as_f64().unwrap() > 0.0, "{r}");
        assert!(r["dispatches_per_iteration"].as_u64().unwrap() >= 1, "{r}");
        for key in [
            "final_return_mean",
            "solved_at_step",
            "solved_at_seconds",
            "agents",
        ] {
            assert!(r.get(key).is_some(), "{key}: {r}");
        }
    }
}

const POINT_MASS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/custom_env/point_mass.toml"
);

#[test]
fn train_and_eval_a_custom_env_from_its_manifest() {
    let dir = TempDir::new("custom");
    let run = dir.join("run");
    let o = train(&run, &["--env-file", POINT_MASS]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["env"], "PointMass-v0");
    assert_eq!(summary["solved_threshold"], -15.0);
    assert_eq!(summary["bad_observations"], 0);
    let config = std::fs::read_to_string(run.join("config.toml")).unwrap();
    assert!(
        config.contains("env = \"PointMass-v0\"") && config.contains("point_mass.toml"),
        "{config}"
    );
    // The checkpoint's config names the manifest, so eval finds the env by itself.
    let ckpt = run.join("checkpoint.wgrl");
    let o = wgrl(&[
        "eval",
        "--checkpoint",
        ckpt.to_str().unwrap(),
        "--episodes",
        "2",
    ]);
    let t = text(&o);
    assert!(o.status.success() && t.contains("PointMass-v0"), "{t}");
}

#[test]
fn a_broken_custom_env_fails_before_the_run_folder_exists() {
    let dir = TempDir::new("custom-bad");
    let manifest = std::fs::read_to_string(POINT_MASS)
        .unwrap()
        .replace("point_mass.wgsl", "env.wgsl");
    let module = std::fs::read_to_string(POINT_MASS.replace(".toml", ".wgsl"))
        .unwrap()
        .replace(
            "fn env_observe(s: EnvState, p: EnvParams)",
            "fn env_observe(s: EnvState)",
        );
    std::fs::write(dir.join("env.toml"), &manifest).unwrap();
    std::fs::write(dir.join("env.wgsl"), &module).unwrap();
    let path = dir.join("env.toml");
    bad_train(
        "custom-bad-sig",
        &["--env-file", path.to_str().unwrap()],
        &["env.wgsl:", "`env_observe` has the wrong signature", "^"],
    );
    std::fs::write(
        dir.join("env.toml"),
        manifest.replace("obs_dim", "observation_dim"),
    )
    .unwrap();
    bad_train(
        "custom-bad-key",
        &["--env-file", path.to_str().unwrap()],
        &["env.toml", "unknown field `observation_dim`"],
    );
}

#[test]
fn every_builtin_env_trains_from_its_preset_and_evaluates() {
    // `--env NAME` picks each env's preset; a few iterations each (the continuous
    // envs with their Gaussian head and normalisation statistics in the checkpoint).
    for (env, preset) in [
        ("Pendulum-v1", "pendulum"),
        ("MountainCarContinuous-v0", "mountaincar-continuous"),
        ("MountainCar-v0", "mountaincar"),
    ] {
        let dir = TempDir::new(&format!("preset-{preset}"));
        let run = dir.join("run");
        let o = wgrl(&[
            "train",
            "--env",
            env,
            "--out",
            run.to_str().unwrap(),
            "--total-steps",
            "8192",
            "--quiet",
        ]);
        let t = text(&o);
        assert!(o.status.success(), "{env}: {t}");
        let config = std::fs::read_to_string(run.join("config.toml")).unwrap();
        assert!(config.contains(&format!("env = \"{env}\"")), "{config}");
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(run.join("summary.json")).unwrap())
                .unwrap();
        // MountainCarContinuous's 999-step episodes may not end in 2 iterations, so
        // the return may be null; the run itself must be complete.
        assert_eq!(summary["env"], env);
        assert!(
            summary["iterations"].as_u64() >= Some(1),
            "{env}: {summary}"
        );
        let o = wgrl(&[
            "eval",
            "--checkpoint",
            run.join("checkpoint.wgrl").to_str().unwrap(),
            "--episodes",
            "1",
        ]);
        let t = text(&o);
        assert!(o.status.success() && t.contains(env), "{env}: {t}");
    }
}
