//! WGSL composition and validation. A kernel's source is a list of named parts
//! (shared pieces from `shaders/common`, an env module, a kernel body, small
//! generated preludes) joined in order. Validation runs naga before wgpu sees the
//! code, and errors are rendered against the part they point into: file, line,
//! column and a caret.

use crate::error::{GpuError, Result, ShaderDiagnostic};
use std::borrow::Cow;
use wgpu::naga;

/// The shared WGSL pieces in `shaders/common`, embedded at build time.
pub mod common {
    /// Counter-based RNG keyed by (seed, agent, env, step, stream).
    pub const RNG: (&str, &str) = (
        "shaders/common/rng.wgsl",
        include_str!("../../../shaders/common/rng.wgsl"),
    );
    /// Counter-based random permutations (minibatch shuffles).
    pub const SHUFFLE: (&str, &str) = (
        "shaders/common/shuffle.wgsl",
        include_str!("../../../shaders/common/shuffle.wgsl"),
    );
    /// Deterministic workgroup tree reductions (`wg_sum4`).
    pub const REDUCE: (&str, &str) = (
        "shaders/common/reduce.wgsl",
        include_str!("../../../shaders/common/reduce.wgsl"),
    );
    /// `barrier_storage` and `barrier_workgroup`: WGSL's barriers.
    pub const BARRIERS: (&str, &str) = (
        "shaders/common/barriers.wgsl",
        include_str!("../../../shaders/common/barriers.wgsl"),
    );
    /// The same functions, empty, for workgroups that run in lockstep
    /// ([`Context::lockstep_lanes`](crate::Context::lockstep_lanes)).
    pub const BARRIERS_LOCKSTEP: (&str, &str) = (
        "shaders/common/barriers_lockstep.wgsl",
        include_str!("../../../shaders/common/barriers_lockstep.wgsl"),
    );

    /// The barrier functions for a kernel whose workgroups run in lockstep or not.
    pub fn barriers(lockstep: bool) -> (&'static str, &'static str) {
        if lockstep {
            BARRIERS_LOCKSTEP
        } else {
            BARRIERS
        }
    }
    /// Test kernel that fills buffers with RNG draws (used by the statistical tests and bench).
    pub const RNG_FILL: (&str, &str) = (
        "shaders/common/rng_fill.wgsl",
        include_str!("../../../shaders/common/rng_fill.wgsl"),
    );
}

/// One named piece of WGSL.
#[derive(Debug, Clone)]
pub struct ShaderPart {
    /// Where the text came from (a path under `shaders/`, a user's file, or `<generated ...>`).
    pub name: String,
    /// The WGSL text.
    pub text: Cow<'static, str>,
}

/// A kernel's WGSL: named parts concatenated in order.
#[derive(Debug, Clone)]
pub struct ShaderSource {
    name: String,
    parts: Vec<ShaderPart>,
}

/// A validated module: naga's IR and analysis, plus the composed text wgpu compiles.
#[derive(Debug)]
pub struct ValidatedShader {
    /// The composed WGSL.
    pub text: String,
    /// naga's IR of the composed module.
    pub module: naga::Module,
    /// naga's validation info.
    pub info: naga::valid::ModuleInfo,
}

impl ShaderSource {
    /// An empty source named `name` (the name appears in errors and labels).
    pub fn new(name: impl Into<String>) -> Self {
        ShaderSource {
            name: name.into(),
            parts: Vec::new(),
        }
    }

    /// Appends a part.
    pub fn part(mut self, name: impl Into<String>, text: impl Into<Cow<'static, str>>) -> Self {
        self.parts.push(ShaderPart {
            name: name.into(),
            text: text.into(),
        });
        self
    }

    /// Appends an embedded `(path, text)` pair such as [`common::RNG`].
    pub fn with(self, piece: (&'static str, &'static str)) -> Self {
        self.part(piece.0, piece.1)
    }

    /// The source's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The parts, in order.
    pub fn parts(&self) -> &[ShaderPart] {
        &self.parts
    }

    /// The composed WGSL text: parts joined by newlines.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for p in &self.parts {
            out.push_str(&p.text);
            if !p.text.ends_with('\n') {
                out.push('\n');
            }
        }
        out
    }

    /// Parses and validates the composed module with naga (the version wgpu uses).
    pub fn validate(&self) -> Result<ValidatedShader> {
        let text = self.text();
        let module = naga::front::wgsl::parse_str(&text).map_err(|e| {
            let spans: Vec<(naga::Span, String)> =
                e.labels().map(|(s, l)| (s, l.to_string())).collect();
            let notes: Vec<String> = e.notes().map(str::to_string).collect();
            self.diagnostic(&text, e.message(), &spans, &notes)
        })?;
        // Subgroup broadcasts are allowed here (the CPU adapter's dense layers use
        // them); wgpu checks again that the device has the feature.
        let mut validator = naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            naga::valid::Capabilities::default() | naga::valid::Capabilities::SUBGROUP,
        );
        validator
            .subgroup_stages(naga::valid::ShaderStages::COMPUTE)
            .subgroup_operations(naga::valid::SubgroupOperationSet::BALLOT);
        let info = validator.validate(&module).map_err(|e| {
            let mut message = e.as_inner().to_string();
            let mut src = std::error::Error::source(e.as_inner());
            while let Some(s) = src {
                message.push_str(": ");
                message.push_str(&s.to_string());
                src = s.source();
            }
            let spans: Vec<(naga::Span, String)> = e.spans().cloned().collect();
            self.diagnostic(&text, &message, &spans, &[])
        })?;
        Ok(ValidatedShader { text, module, info })
    }

    /// An error located at `span` of the composed text (for example a span naga's IR
    /// keeps for a function or type), rendered like a validation error: the part's
    /// file name, line, column, the source line and a caret.
    pub fn error_at(&self, message: &str, span: naga::Span, label: &str) -> GpuError {
        self.diagnostic(&self.text(), message, &[(span, label.to_string())], &[])
    }

    /// Maps a byte offset of the composed text to (part index, 1-based line, 1-based column).
    fn locate(&self, offset: usize) -> Option<(usize, u32, u32)> {
        let mut start = 0usize;
        for (i, p) in self.parts.iter().enumerate() {
            let len = p.text.len() + usize::from(!p.text.ends_with('\n'));
            if offset < start + len {
                let local = (offset - start).min(p.text.len());
                let before = &p.text[..local];
                let line = before.matches('\n').count() as u32 + 1;
                let col = (local - before.rfind('\n').map_or(0, |n| n + 1)) as u32 + 1;
                return Some((i, line, col));
            }
            start += len;
        }
        None
    }

    fn diagnostic(
        &self,
        text: &str,
        message: &str,
        spans: &[(naga::Span, String)],
        notes: &[String],
    ) -> GpuError {
        let mut out = format!("error: {message}\n");
        let mut first = None;
        for (span, label) in spans {
            let Some(range) = span.to_range() else {
                continue;
            };
            let Some((pi, line, col)) = self.locate(range.start.min(text.len())) else {
                continue;
            };
            let part = &self.parts[pi];
            // naga lists spans from the enclosing item down to the culprit: the
            // last one is the most specific, so it is the error's location.
            first = Some((part.name.clone(), line, col));
            let src_line = part.text.lines().nth(line as usize - 1).unwrap_or("");
            let width = (range.end - range.start)
                .clamp(1, src_line.len().saturating_sub(col as usize - 1).max(1));
            let gutter = line.to_string().len();
            out.push_str(&format!(
                "{:gutter$}--> {}:{}:{}\n{:gutter$} |\n{} | {}\n{:gutter$} | {}{} {}\n",
                "",
                part.name,
                line,
                col,
                "",
                line,
                src_line,
                "",
                " ".repeat(col as usize - 1),
                "^".repeat(width),
                label,
            ));
        }
        for n in notes {
            out.push_str(&format!("  = note: {n}\n"));
        }
        let names: Vec<&str> = self.parts.iter().map(|p| p.name.as_str()).collect();
        out.push_str(&format!(
            "  (in shader '{}', composed from {})",
            self.name,
            names.join(" + ")
        ));
        let (file, line, column) = match first {
            Some((f, l, c)) => (Some(f), Some(l), Some(c)),
            None => (None, None, None),
        };
        GpuError::Shader(ShaderDiagnostic {
            shader: self.name.clone(),
            file,
            line,
            column,
            rendered: out,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_pieces_validate() {
        crate::rng::RngFill::source().validate().unwrap();
    }

    #[test]
    fn parse_error_points_at_the_right_file_line_and_column() {
        let src = ShaderSource::new("broken")
            .with(common::RNG)
            .part("user/env.wgsl", "fn f() -> f32 {\n    return 1.0\n}\n");
        let GpuError::Shader(d) = src.validate().unwrap_err() else {
            panic!("expected a shader error")
        };
        assert_eq!(d.file.as_deref(), Some("user/env.wgsl"));
        // naga reports the missing `;` where it found the next token, the `}` on line 3.
        assert_eq!(d.line, Some(3), "{}", d.rendered);
        assert!(
            d.rendered.contains("--> user/env.wgsl:3:1"),
            "{}",
            d.rendered
        );
        assert!(d.rendered.contains("3 | }"), "{}", d.rendered);
        assert!(d.rendered.contains('^'), "{}", d.rendered);
    }

    #[test]
    fn validation_error_is_located_too() {
        // Parses, but returns the wrong type: a validation (not parse) error.
        let src = ShaderSource::new("typed")
            .part("a.wgsl", "const K: u32 = 1u;\n")
            .part(
                "b.wgsl",
                "fn g() -> f32 {\n  let x: u32 = K;\n  return x;\n}\n",
            );
        let GpuError::Shader(d) = src.validate().unwrap_err() else {
            panic!("expected a shader error")
        };
        assert_eq!(d.file.as_deref(), Some("b.wgsl"), "{}", d.rendered);
        // naga points at the returned expression, whose value comes from line 2.
        assert_eq!(d.line, Some(2), "{}", d.rendered);
    }
}
