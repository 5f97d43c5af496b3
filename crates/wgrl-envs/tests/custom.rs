//! Custom envs: loading the example manifest, and every kind of bad manifest or
//! module giving an error that names the file, the line and what was expected.
//! These checks run in naga on the host; no GPU is needed.

use wgrl_envs::custom::{self, from_strings};
use wgrl_envs::{ActionSpace, EnvError};

const EXAMPLE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/custom_env");
const MODULE: &str = include_str!("../../../examples/custom_env/point_mass.wgsl");
const MANIFEST: &str = include_str!("../../../examples/custom_env/point_mass.toml");

/// The error text of loading `manifest` + `module` under the names the tests use.
fn error(manifest: &str, module: &str) -> String {
    match from_strings("env.toml", manifest, "env.wgsl", module) {
        Ok(d) => panic!("expected an error, loaded {}", d.name),
        Err(e) => e.to_string(),
    }
}

fn contains_all(text: &str, parts: &[&str]) {
    for p in parts {
        assert!(text.contains(p), "missing {p:?} in:\n{text}");
    }
}

#[test]
fn the_example_loads_with_fields_and_params_from_the_module() {
    let d = custom::load(&std::path::Path::new(EXAMPLE_DIR).join("point_mass.toml")).unwrap();
    assert_eq!(d.name, "PointMass-v0");
    assert_eq!(d.obs_dim, 4);
    assert_eq!(d.action_space, ActionSpace::Discrete { n: 5 });
    assert_eq!(d.max_episode_steps, 200);
    assert_eq!(d.solved_threshold, Some(-15.0));
    assert_eq!(
        d.state_fields,
        ["x", "y", "vx", "vy", "target_x", "target_y"]
    );
    // EnvParams order, not the manifest's (alphabetical in a TOML table).
    let names: Vec<&str> = d.params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["dt", "accel", "max_speed", "goal_radius"]);
    assert_eq!(d.default_params(), [0.1, 1.0, 1.0, 0.1]);
    assert_eq!(d.params[1].range, Some((0.25, 4.0)));
    assert_eq!(d.params[0].range, None);
    assert!(d.module_name.ends_with("point_mass.wgsl"));
}

#[test]
fn a_missing_function_is_named_with_the_signature_expected() {
    let module = MODULE.replace("fn env_observe(", "fn observe_env(");
    let e = error(MANIFEST, &module);
    contains_all(
        &e,
        &[
            "env.wgsl defines no `env_observe`",
            "fn env_observe(s: EnvState, p: EnvParams) -> array<f32, OBS_DIM>",
        ],
    );
}

#[test]
fn a_wrong_signature_points_at_the_function() {
    let module = MODULE.replace(
        "fn env_step(s: ptr<function, EnvState>, p: EnvParams,",
        "fn env_step(p: EnvParams, s: ptr<function, EnvState>,",
    );
    let e = error(MANIFEST, &module);
    let line = MODULE
        .lines()
        .position(|l| l.starts_with("fn env_step("))
        .unwrap()
        + 1;
    contains_all(
        &e,
        &[
            "`env_step` has the wrong signature: argument 1 is EnvParams instead of ptr<function, EnvState>",
            &format!("--> env.wgsl:{line}:1"),
            "found:    fn env_step(p: EnvParams, s: ptr<function, EnvState>, action: u32)",
            "^^^",
        ],
    );

    let module = MODULE.replace(
        "fn env_reset(p: EnvParams, rng: ptr<function, Rng>) -> EnvState {",
        "fn env_reset(rng: ptr<function, Rng>) -> EnvState {\n    let p = EnvParams(0.1, 1.0, 1.0, 0.1);",
    );
    contains_all(
        &error(MANIFEST, &module),
        &["`env_reset` has the wrong signature: 1 arguments instead of 2"],
    );
}

#[test]
fn an_unsupported_state_field_type_is_refused() {
    let module = MODULE
        .replace("    x: f32,\n    y: f32,\n", "    pos: vec2<f32>,\n")
        .replace("(*s).x", "(*s).pos.x")
        .replace("(*s).y", "(*s).pos.y")
        .replace("s.target_x - s.x", "s.target_x - s.pos.x")
        .replace("s.target_y - s.y", "s.target_y - s.pos.y")
        .replace(
            "EnvState(u.x, u.y, 0.0, 0.0, u.z, u.w)",
            "EnvState(u.xy, 0.0, 0.0, u.z, u.w)",
        );
    let e = error(MANIFEST, &module);
    let line = MODULE
        .lines()
        .position(|l| l.starts_with("struct EnvState"))
        .unwrap()
        + 1;
    contains_all(
        &e,
        &[
            "EnvState.pos has type vec2<f32>",
            "use f32, u32 or i32",
            &format!("env.wgsl:{line}:"),
        ],
    );
}

#[test]
fn an_observation_size_that_differs_from_the_manifest_is_refused() {
    // The module returns a fixed-size array of 4 but the manifest says 3.
    let module = MODULE
        .replace("-> array<f32, OBS_DIM>", "-> array<f32, 4>")
        .replace("return array<f32, OBS_DIM>(", "return array<f32, 4>(");
    let e = error(&MANIFEST.replace("obs_dim = 4", "obs_dim = 3"), &module);
    contains_all(
        &e,
        &[
            "`env_observe` has the wrong signature: it returns array<f32, 4> instead of array<f32, 3>",
            "obs_dim",
            "env.wgsl:",
        ],
    );
    // Written with OBS_DIM, the module writes 4 values into an array of 3: naga's
    // error points at the constructor in the user's file.
    let e = error(&MANIFEST.replace("obs_dim = 4", "obs_dim = 3"), MODULE);
    let line = MODULE
        .lines()
        .position(|l| l.contains("return array<f32, OBS_DIM>("))
        .unwrap()
        + 1;
    contains_all(&e, &[&format!("env.wgsl:{line}:")]);
}

#[test]
fn unknown_manifest_keys_are_refused_with_their_line() {
    let manifest = MANIFEST.replace("obs_dim = 4", "obs_dim = 4\nobs_size = 4");
    let e = error(&manifest, MODULE);
    contains_all(&e, &["env.toml", "line 6", "unknown field `obs_size`"]);

    let manifest = MANIFEST.replace("dt = { default = 0.1 }", "dt = { default = 0.1, step = 1 }");
    contains_all(
        &error(&manifest, MODULE),
        &["env.toml", "unknown field `step`"],
    );
}

#[test]
fn params_must_match_envparams_both_ways() {
    let manifest = MANIFEST.replace("dt = { default = 0.1 }\n", "");
    contains_all(
        &error(&manifest, MODULE),
        &[
            "EnvParams.dt has no entry in the manifest",
            "env.wgsl:",
            "under [params] in env.toml",
        ],
    );
    let manifest = MANIFEST.replace(
        "dt = { default = 0.1 }",
        "dt = { default = 0.1 }\nfriction = { default = 0.5 }",
    );
    let line = manifest
        .lines()
        .position(|l| l.starts_with("friction"))
        .unwrap()
        + 1;
    contains_all(
        &error(&manifest, MODULE),
        &[
            &format!("env.toml:{line}:"),
            "params.friction is not a field of EnvParams",
            "dt, accel, max_speed, goal_radius",
        ],
    );
}

#[test]
fn bad_ranges_and_sizes_are_refused() {
    let manifest = MANIFEST.replace("range = [0.25, 4.0] }\nmax", "range = [4.0, 0.25] }\nmax");
    contains_all(
        &error(&manifest, MODULE),
        &["params.accel.range = [4, 0.25]", "at most hi"],
    );
    let manifest = MANIFEST.replace("accel = { default = 1.0,", "accel = { default = 9.0,");
    contains_all(
        &error(&manifest, MODULE),
        &["params.accel.default = 9 is outside its range [0.25, 4]"],
    );
    contains_all(
        &error(&MANIFEST.replace("obs_dim = 4", "obs_dim = 0"), MODULE),
        &["obs_dim = 0"],
    );
    contains_all(
        &error(&MANIFEST.replace("n = 5", "n = 0"), MODULE),
        &["action_space", "0 actions"],
    );
    contains_all(
        &error(
            &MANIFEST.replace("max_episode_steps = 200", "max_episode_steps = 0"),
            MODULE,
        ),
        &["max_episode_steps = 0"],
    );
}

#[test]
fn wgsl_syntax_errors_point_into_the_users_file() {
    let module = MODULE.replace("let speed = length(v);", "let speed = length(v)");
    let e = error(MANIFEST, &module);
    contains_all(&e, &["--> env.wgsl:", "^"]);
}

#[test]
fn missing_files_are_named() {
    let e = custom::load(std::path::Path::new("/nonexistent/env.toml")).unwrap_err();
    assert!(matches!(e, EnvError::Manifest { .. }), "{e}");
    contains_all(&e.to_string(), &["/nonexistent/env.toml", "cannot read"]);

    let dir = std::env::temp_dir().join(format!("wgrl-custom-missing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("env.toml");
    std::fs::write(&path, MANIFEST.replace("point_mass.wgsl", "nowhere.wgsl")).unwrap();
    let e = custom::load(&path).unwrap_err().to_string();
    std::fs::remove_dir_all(&dir).ok();
    contains_all(
        &e,
        &["env.toml", "nowhere.wgsl", "cannot read the WGSL module"],
    );
}

/// A box-action custom env: a 1-D puck pushed by a clipped force.
const BOX_MODULE: &str = r#"
struct EnvState { x: f32 }
struct EnvParams { dt: f32 }
fn env_reset(p: EnvParams, rng: ptr<function, Rng>) -> EnvState {
    return EnvState(rng_uniform(rng) - 0.5);
}
fn env_step(s: ptr<function, EnvState>, p: EnvParams, action: Action) -> StepResult {
    (*s).x += p.dt * action[0];
    return StepResult(-abs((*s).x), false);
}
fn env_observe(s: EnvState, p: EnvParams) -> array<f32, OBS_DIM> {
    return array<f32, OBS_DIM>(s.x);
}
"#;

const BOX_MANIFEST: &str = r#"
name = "Puck1D-v0"
module = "env.wgsl"
obs_dim = 1
max_episode_steps = 50
action_space = { type = "box", low = [-0.5], high = [0.5] }
[params]
dt = { default = 0.1 }
"#;

#[test]
fn a_box_action_space_loads_and_its_signature_is_checked() {
    let d = from_strings("env.toml", BOX_MANIFEST, "env.wgsl", BOX_MODULE).unwrap();
    assert_eq!(
        d.action_space,
        ActionSpace::Box {
            low: vec![-0.5],
            high: vec![0.5]
        }
    );
    // A box env whose step takes a discrete action.
    let e = error(
        BOX_MANIFEST,
        &BOX_MODULE
            .replace("action: Action", "action: u32")
            .replace("action[0]", "f32(action)"),
    );
    contains_all(
        &e,
        &[
            "argument 3 is u32 instead of array<f32, 1>",
            "ACTION_DIM = 1",
        ],
    );
    // Bounds that cannot clip.
    let e = error(
        &BOX_MANIFEST.replace("high = [0.5]", "high = [0.5, 1.0]"),
        BOX_MODULE,
    );
    contains_all(&e, &["action_space", "low has 1, high has 2"]);
    let e = error(
        &BOX_MANIFEST.replace("low = [-0.5]", "low = [0.75]"),
        BOX_MODULE,
    );
    contains_all(&e, &["bounds [0.75, 0.5]", "low <= high"]);
}
