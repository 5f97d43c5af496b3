//! Error types of the RL layer. Every message says what was wrong, the value or
//! limit involved, and what to do about it.

use std::path::PathBuf;

/// Errors from building a training config out of presets, files, `--set`s and flags.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A key that no config field has.
    #[error("unknown config key '{key}' (in {source_name}); {}", hint(.suggestion, .valid_here))]
    UnknownKey {
        /// The dotted key path as given.
        key: String,
        /// Where it came from (`--set`, `config file 'run.toml'`, `preset 'cartpole'`).
        source_name: String,
        /// The nearest valid key, when one is close enough to be a likely typo.
        suggestion: Option<String>,
        /// The valid keys in the same section (listed when there is no suggestion).
        valid_here: Vec<String>,
    },
    /// A key that names a section was given a plain value, or a value key was given a table.
    #[error("{0}")]
    Shape(String),
    /// A config file that is not valid TOML.
    #[error("config file '{}' is not valid TOML: {detail}fix the TOML syntax at that position", .path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// toml's rendered error (with line, column and a caret).
        detail: String,
    },
    /// A config file that could not be read.
    #[error("cannot read config file '{}': {reason}; check the path given to --config", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS reason.
        reason: String,
    },
    /// A preset name that does not exist.
    #[error("unknown preset '{name}'; valid presets are: {}", .valid.join(", "))]
    UnknownPreset {
        /// The name given.
        name: String,
        /// The valid names.
        valid: Vec<String>,
    },
    /// A malformed `--set key=value`.
    #[error("{0}")]
    Set(String),
    /// A value of the wrong type for its key (a string where a number belongs, ...).
    #[error("invalid config value: {0}")]
    Type(String),
    /// A config that parses but whose values do not make sense together.
    #[error("{0}")]
    Invalid(String),
}

fn hint(suggestion: &Option<String>, valid_here: &[String]) -> String {
    match suggestion {
        Some(s) => format!("did you mean '{s}'?"),
        None => format!("valid keys there: {}", valid_here.join(", ")),
    }
}

/// Errors from saving or loading a checkpoint.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// Reading, writing or renaming failed.
    #[error("cannot {op} checkpoint '{}': {source}", .path.display())]
    Io {
        /// What was being done (`read`, `write`).
        op: &'static str,
        /// The checkpoint file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file does not start with the checkpoint magic.
    #[error(
        "'{}' is not a wgrl checkpoint (it does not start with WGRLCKPT); pass a file written by `wgrl train`",
        .path.display()
    )]
    NotCheckpoint {
        /// The file.
        path: PathBuf,
    },
    /// The file was written by another checkpoint format version.
    #[error(
        "checkpoint '{}' was written by format version {found}; this wgrl reads version {expected}: \
         retrain, or evaluate it with the wgrl that wrote it",
        .path.display()
    )]
    Version {
        /// The file.
        path: PathBuf,
        /// The version in the file.
        found: u32,
        /// The version this build reads.
        expected: u32,
    },
    /// The stored checksum does not match the contents.
    #[error(
        "checkpoint '{}' is corrupted: checksum mismatch (stored {stored:08x}, computed {computed:08x}); \
         use another checkpoint or retrain",
        .path.display()
    )]
    Checksum {
        /// The file.
        path: PathBuf,
        /// The checksum stored in the file.
        stored: u32,
        /// The checksum of the contents.
        computed: u32,
    },
    /// The file ends before its contents do.
    #[error(
        "checkpoint '{}' is truncated: {detail}; it was probably cut short while being copied. \
         Copy it again or use another checkpoint",
        .path.display()
    )]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Sizes involved.
        detail: String,
    },
    /// Lengths or counts that do not agree with each other.
    #[error("{0}")]
    Inconsistent(String),
    /// The embedded config could not be read back.
    #[error("checkpoint '{}' holds an unreadable config: {reason}; use another checkpoint or retrain", .path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// Errors from writing a run folder (config, metrics, summary, plots).
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The run folder cannot be created or written.
    #[error("cannot use '{}' as the run folder: {reason}; choose another --out", .path.display())]
    RunDir {
        /// The folder.
        path: PathBuf,
        /// The OS reason.
        reason: String,
    },
    /// Writing a file failed.
    #[error("cannot write '{}': {reason}; check free disk space and permissions, or choose another --out", .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The OS reason.
        reason: String,
    },
    /// Inputs that do not fit the file being written (for example a row with the wrong number of agents).
    #[error("{0}")]
    Invalid(String),
}
