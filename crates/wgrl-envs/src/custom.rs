//! Custom envs: a user's WGSL module plus a small TOML manifest, checked with naga
//! before anything is built.
//!
//! The manifest names the module and gives the facts the engine cannot read from
//! WGSL (observation size, action space, time limit, parameter defaults and
//! ranges):
//!
//! ```toml
//! name = "PointMass-v0"
//! module = "point_mass.wgsl"          # relative to this file
//! obs_dim = 4
//! max_episode_steps = 200
//! solved_threshold = -15.0            # optional
//! action_space = { type = "discrete", n = 5 }   # or { type = "box", low = [-1.0], high = [1.0] }
//!
//! [params]                            # one entry per EnvParams field
//! dt = { default = 0.1 }
//! max_speed = { default = 1.0, range = [0.5, 2.0] }
//! ```
//!
//! Loading parses the module together with the engine's env API, then checks in
//! naga's IR that `EnvState` and `EnvParams` exist with supported field types and
//! that `env_reset`, `env_step` and `env_observe` have the signatures the engine
//! calls. Every error names the user's file, and where the IR knows one, the line
//! and column with a caret under the culprit.

use crate::descriptor::{ActionSpace, EnvDescriptor, ParamSpec};
use crate::error::{EnvError, Result};
use crate::task::TaskSpec;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use wgrl_gpu::wgpu::naga;

/// The parsed manifest (`*.toml`) of a custom env.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Env name, shown in logs and summaries (for example `PointMass-v0`).
    pub name: String,
    /// Path of the WGSL module, relative to the manifest.
    pub module: PathBuf,
    /// Floats `env_observe` returns.
    pub obs_dim: u32,
    /// Episodes are truncated after this many steps.
    pub max_episode_steps: u32,
    /// Return at which the env counts as solved (optional).
    #[serde(default)]
    pub solved_threshold: Option<f32>,
    /// The action space: `{ type = "discrete", n = N }` or
    /// `{ type = "box", low = [..], high = [..] }`.
    pub action_space: ActionSpace,
    /// One entry per `EnvParams` field.
    #[serde(default)]
    pub params: BTreeMap<String, toml::Spanned<ParamManifest>>,
    /// Free text for people reading the manifest.
    #[serde(default)]
    pub description: Option<String>,
}

/// One parameter: `name = { default = 1.0, range = [lo, hi] }`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamManifest {
    /// Value used unless a config overrides it.
    pub default: f32,
    /// Values a config may set or sample, inclusive.
    #[serde(default)]
    pub range: Option<[f32; 2]>,
}

/// Loads a custom env from its manifest file: reads the manifest and the module it
/// names, checks both, and returns a descriptor the engine builds like a built-in.
pub fn load(manifest_path: &Path) -> Result<EnvDescriptor> {
    let shown = manifest_path.display().to_string();
    let text = std::fs::read_to_string(manifest_path).map_err(|e| EnvError::Manifest {
        file: shown.clone(),
        message: format!("cannot read the env manifest: {e}"),
    })?;
    let manifest = parse_manifest(&shown, &text)?;
    let module_path = manifest_path
        .parent()
        .unwrap_or(Path::new("."))
        .join(&manifest.module);
    let module_text = std::fs::read_to_string(&module_path).map_err(|e| EnvError::Manifest {
        file: shown.clone(),
        message: format!(
            "cannot read the WGSL module `module = \"{}\"` ({}): {e}",
            manifest.module.display(),
            module_path.display()
        ),
    })?;
    from_manifest(
        &shown,
        &text,
        &manifest,
        &module_path.display().to_string(),
        &module_text,
    )
}

/// Builds a custom env from text held in memory (for apps that embed their env):
/// `manifest_name` and `module_name` are shown in errors. Needs no GPU: the checks
/// run in naga.
///
/// ```
/// let module = "
///     struct EnvState { t: f32 }
///     struct EnvParams { speed: f32 }
///     fn env_reset(p: EnvParams, rng: ptr<function, Rng>) -> EnvState {
///         return EnvState(rng_uniform(rng));
///     }
///     fn env_step(s: ptr<function, EnvState>, p: EnvParams, action: Action) -> StepResult {
///         (*s).t += p.speed * f32(action);
///         return StepResult(1.0, (*s).t > 10.0);
///     }
///     fn env_observe(s: EnvState, p: EnvParams) -> array<f32, OBS_DIM> {
///         return array<f32, OBS_DIM>(s.t);
///     }";
/// let manifest = r#"
///     name = "Counter-v0"
///     module = "counter.wgsl"
///     obs_dim = 1
///     max_episode_steps = 100
///     action_space = { type = "discrete", n = 2 }
///     [params]
///     speed = { default = 0.5, range = [0.0, 1.0] }
/// "#;
/// let env = wgrl_envs::custom::from_strings("counter.toml", manifest, "counter.wgsl", module)?;
/// assert_eq!(env.state_fields, ["t"]);
/// assert_eq!(env.default_params(), [0.5]);
///
/// // A mistake names the file, the line and what was expected.
/// let broken = module.replace("action: Action", "action: f32");
/// let err = wgrl_envs::custom::from_strings("counter.toml", manifest, "counter.wgsl", &broken)
///     .unwrap_err()
///     .to_string();
/// assert!(err.contains("argument 3 is f32 instead of u32") && err.contains("counter.wgsl:"), "{err}");
/// # Ok::<(), wgrl_envs::EnvError>(())
/// ```
pub fn from_strings(
    manifest_name: &str,
    manifest_text: &str,
    module_name: &str,
    module_text: &str,
) -> Result<EnvDescriptor> {
    let manifest = parse_manifest(manifest_name, manifest_text)?;
    from_manifest(
        manifest_name,
        manifest_text,
        &manifest,
        module_name,
        module_text,
    )
}

/// Parses a manifest; TOML errors (unknown keys included) carry line, column and caret.
pub fn parse_manifest(file: &str, text: &str) -> Result<Manifest> {
    toml::from_str(text).map_err(|e| EnvError::Manifest {
        file: file.to_string(),
        message: e.to_string().trim_end().to_string(),
    })
}

fn from_manifest(
    manifest_name: &str,
    manifest_text: &str,
    m: &Manifest,
    module_name: &str,
    module_text: &str,
) -> Result<EnvDescriptor> {
    let manifest_err = |span: Option<std::ops::Range<usize>>, message: String| EnvError::Manifest {
        file: match span {
            Some(s) => {
                let (line, col) = line_col(manifest_text, s.start);
                format!("{manifest_name}:{line}:{col}")
            }
            None => manifest_name.to_string(),
        },
        message,
    };
    if m.obs_dim == 0 {
        return Err(manifest_err(
            None,
            "obs_dim = 0; an env must observe at least one float".into(),
        ));
    }
    if m.max_episode_steps == 0 || m.max_episode_steps > crate::descriptor::MAX_EPISODE_STEPS_LIMIT
    {
        return Err(manifest_err(
            None,
            format!(
                "max_episode_steps = {}; use a value in 1..={}",
                m.max_episode_steps,
                crate::descriptor::MAX_EPISODE_STEPS_LIMIT
            ),
        ));
    }
    let action_space = m.action_space.clone();
    if let Some(problem) = action_space.problem() {
        return Err(manifest_err(None, format!("action_space: {problem}")));
    }
    let (action_ty, action_note) = match &action_space {
        ActionSpace::Discrete { .. } => ("u32".to_string(), "Action = u32".to_string()),
        ActionSpace::Box { low, .. } => (
            format!("array<f32, {}>", low.len()),
            format!(
                "Action = array<f32, ACTION_DIM>, ACTION_DIM = {}",
                low.len()
            ),
        ),
    };
    for (name, p) in &m.params {
        let v = p.get_ref();
        if !v.default.is_finite() {
            return Err(manifest_err(
                Some(p.span()),
                format!("params.{name}.default is not a finite number"),
            ));
        }
        if let Some([lo, hi]) = v.range {
            if !(lo.is_finite() && hi.is_finite()) || lo > hi {
                return Err(manifest_err(
                    Some(p.span()),
                    format!("params.{name}.range = [{lo}, {hi}]: lo must be finite and at most hi"),
                ));
            }
            if v.default < lo || v.default > hi {
                return Err(manifest_err(
                    Some(p.span()),
                    format!(
                        "params.{name}.default = {} is outside its range [{lo}, {hi}]",
                        v.default
                    ),
                ));
            }
        }
    }

    // The module with the engine's env API and no kernel: what the user wrote must
    // parse and validate on its own terms before its signatures are checked.
    let mut desc = EnvDescriptor {
        name: m.name.clone(),
        obs_dim: m.obs_dim,
        action_space,
        max_episode_steps: m.max_episode_steps,
        state_fields: Vec::new(),
        params: Vec::new(),
        solved_threshold: m.solved_threshold,
        module_name: module_name.to_string(),
        module_source: module_text.to_string(),
        task: TaskSpec::default(),
    };
    let source = desc.module_with_api(&format!("env module {module_name}"));
    let v = source.validate()?;
    let ir = Ir {
        module: &v.module,
        source: &source,
        file: module_name,
    };

    let (_, state_fields) = ir.scalar_struct("EnvState", false)?;
    let (params_ty, param_fields) = ir.scalar_struct("EnvParams", true)?;
    ir.function(
        "env_reset",
        &["EnvParams", "ptr<function, Rng>"],
        "EnvState",
        "fn env_reset(p: EnvParams, rng: ptr<function, Rng>) -> EnvState",
    )?;
    ir.function(
        "env_step",
        &["ptr<function, EnvState>", "EnvParams", &action_ty],
        "StepResult",
        &format!(
            "fn env_step(s: ptr<function, EnvState>, p: EnvParams, action: Action) -> StepResult  ({action_note})"
        ),
    )?;
    ir.function(
        "env_observe",
        &["EnvState", "EnvParams"],
        &format!("array<f32, {}>", m.obs_dim),
        &format!(
            "fn env_observe(s: EnvState, p: EnvParams) -> array<f32, OBS_DIM>  (OBS_DIM = obs_dim = {})",
            m.obs_dim
        ),
    )?;

    let mut params = Vec::with_capacity(param_fields.len());
    for field in &param_fields {
        let Some(p) = m.params.get(field) else {
            return Err(EnvError::Gpu(ir.source.error_at(
                &format!(
                    "EnvParams.{field} has no entry in the manifest; add `{field} = {{ default = ... }}` under [params] in {manifest_name}"
                ),
                ir.module.types.get_span(params_ty),
                "declared here",
            )));
        };
        let p = p.get_ref();
        params.push(ParamSpec {
            name: field.clone(),
            default: p.default,
            range: p.range.map(|[lo, hi]| (lo, hi)),
        });
    }
    if let Some((name, p)) = m.params.iter().find(|(k, _)| !param_fields.contains(k)) {
        return Err(manifest_err(
            Some(p.span()),
            format!(
                "params.{name} is not a field of EnvParams in {module_name}; its fields are: {}",
                param_fields.join(", ")
            ),
        ));
    }
    desc.state_fields = state_fields;
    desc.params = params;
    desc.check()?;
    Ok(desc)
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |n| n + 1) + 1;
    (line, col)
}

/// IR checks over the validated module, with errors located in the user's file.
struct Ir<'a> {
    module: &'a naga::Module,
    source: &'a wgrl_gpu::ShaderSource,
    file: &'a str,
}

impl Ir<'_> {
    /// A struct whose fields are all 4-byte scalars (`f32_only`: all f32).
    fn scalar_struct(
        &self,
        name: &str,
        f32_only: bool,
    ) -> Result<(naga::Handle<naga::Type>, Vec<String>)> {
        let Some((handle, ty)) = self
            .module
            .types
            .iter()
            .find(|(_, t)| t.name.as_deref() == Some(name))
        else {
            return Err(EnvError::Module {
                env: self.file.to_string(),
                message: format!(
                    "{} defines no `struct {name}`; an env module must declare it (see the env API in the README)",
                    self.file
                ),
            });
        };
        let naga::TypeInner::Struct { members, .. } = &ty.inner else {
            return Err(self.at_type(handle, &format!("`{name}` must be a struct")));
        };
        let mut fields = Vec::new();
        for member in members {
            let field = member.name.clone().unwrap_or_default();
            let ok = match self.module.types[member.ty].inner {
                naga::TypeInner::Scalar(s) if f32_only => s == naga::Scalar::F32,
                naga::TypeInner::Scalar(s) => s.width == 4 && s.kind != naga::ScalarKind::Bool,
                _ => false,
            };
            if !ok {
                let expected = if f32_only { "f32" } else { "f32, u32 or i32" };
                return Err(self.at_type(
                    handle,
                    &format!(
                        "{name}.{field} has type {}, which the engine cannot store per env; use {expected} \
                         (split vectors into scalar fields)",
                        self.type_name(member.ty)
                    ),
                ));
            }
            fields.push(field);
        }
        Ok((handle, fields))
    }

    /// A function with the given argument and result types (as WGSL spells them).
    fn function(&self, name: &str, args: &[&str], result: &str, expected: &str) -> Result<()> {
        let Some((handle, f)) = self
            .module
            .functions
            .iter()
            .find(|(_, f)| f.name.as_deref() == Some(name))
        else {
            return Err(EnvError::Module {
                env: self.file.to_string(),
                message: format!("{} defines no `{name}`; expected `{expected}`", self.file),
            });
        };
        let got_args: Vec<String> = f.arguments.iter().map(|a| self.type_name(a.ty)).collect();
        let got_result = f
            .result
            .as_ref()
            .map_or_else(|| "()".to_string(), |r| self.type_name(r.ty));
        if got_args != args || got_result != result {
            let names = f
                .arguments
                .iter()
                .map(|a| a.name.clone().unwrap_or_default());
            let shown: Vec<String> = names
                .zip(&got_args)
                .map(|(n, t)| format!("{n}: {t}"))
                .collect();
            let got = format!("fn {name}({}) -> {got_result}", shown.join(", "));
            let what = if got_args.len() != args.len() {
                format!("{} arguments instead of {}", got_args.len(), args.len())
            } else if let Some(i) = (0..args.len()).find(|&i| got_args[i] != args[i]) {
                format!(
                    "argument {} is {} instead of {}",
                    i + 1,
                    got_args[i],
                    args[i]
                )
            } else {
                format!("it returns {got_result} instead of {result}")
            };
            let mut message = format!(
                "`{name}` has the wrong signature: {what}\n  expected: {expected}\n  found:    {got}"
            );
            if name == "env_observe" && got_result != result {
                message.push_str(
                    "\n  (the manifest's obs_dim sets OBS_DIM; return array<f32, OBS_DIM> with that many values)",
                );
            }
            return Err(EnvError::Gpu(self.source.error_at(
                &message,
                self.module.functions.get_span(handle),
                "defined here",
            )));
        }
        Ok(())
    }

    fn at_type(&self, handle: naga::Handle<naga::Type>, message: &str) -> EnvError {
        EnvError::Gpu(self.source.error_at(
            message,
            self.module.types.get_span(handle),
            "declared here",
        ))
    }

    /// A type as WGSL spells it (named types by name).
    fn type_name(&self, ty: naga::Handle<naga::Type>) -> String {
        let t = &self.module.types[ty];
        // Aliases (`Action`: a scalar or an array) are named types in naga;
        // compare what they are.
        if let Some(n) = &t.name
            && !matches!(
                t.inner,
                naga::TypeInner::Scalar(_) | naga::TypeInner::Array { .. }
            )
        {
            return n.clone();
        }
        match &t.inner {
            naga::TypeInner::Scalar(s) => scalar_name(*s),
            naga::TypeInner::Vector { size, scalar } => {
                format!("vec{}<{}>", *size as u8, scalar_name(*scalar))
            }
            naga::TypeInner::Pointer { base, space } => {
                let space = match space {
                    naga::AddressSpace::Function => "function".to_string(),
                    naga::AddressSpace::Private => "private".to_string(),
                    naga::AddressSpace::WorkGroup => "workgroup".to_string(),
                    other => format!("{other:?}").to_lowercase(),
                };
                format!("ptr<{space}, {}>", self.type_name(*base))
            }
            naga::TypeInner::Array { base, size, .. } => match size {
                naga::ArraySize::Constant(n) => format!("array<{}, {n}>", self.type_name(*base)),
                _ => format!("array<{}>", self.type_name(*base)),
            },
            other => format!("{other:?}"),
        }
    }
}

fn scalar_name(s: naga::Scalar) -> String {
    match (s.kind, s.width) {
        (naga::ScalarKind::Float, 4) => "f32".into(),
        (naga::ScalarKind::Float, 2) => "f16".into(),
        (naga::ScalarKind::Uint, 4) => "u32".into(),
        (naga::ScalarKind::Sint, 4) => "i32".into(),
        (naga::ScalarKind::Bool, _) => "bool".into(),
        (k, w) => format!("{k:?}{}", w * 8).to_lowercase(),
    }
}
