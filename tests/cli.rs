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
