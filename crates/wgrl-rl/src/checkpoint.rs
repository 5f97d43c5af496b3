//! Checkpoints: the config, progress counters, every agent's parameters and Adam
//! moments, and any extra named state, in one checksummed binary file.
//!
//! Layout (all integers and floats little-endian):
//!
//! | bytes | contents |
//! |---|---|
//! | 8 | magic `WGRLCKPT` |
//! | 4 | format version (u32) |
//! | 4 | header length `H` (u32) |
//! | `H` | header: JSON with the config (as TOML text), counters and tensor names and lengths |
//! | ... | f32 blobs: params, Adam m, Adam v, then each extra tensor in header order |
//! | 4 | CRC-32 (crc32fast) of every preceding byte (u32) |
//!
//! Saving writes a temporary file next to the target, syncs it and renames it over
//! the target, so an interrupted or failed save never leaves a half-written
//! checkpoint behind.

use crate::config::TrainConfig;
use crate::error::CheckpointError;
use crate::output::write_atomic;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The checkpoint format this build writes and reads. Version 2 pads each
/// agent's parameters so that every layer's weights start at a multiple of 4
/// words (`wgrl_nn::NetLayout::param_count`); version 1 files are refused.
pub const FORMAT_VERSION: u32 = 2;

/// The first bytes of every checkpoint file.
pub const MAGIC: &[u8; 8] = b"WGRLCKPT";

/// Bytes before the header: magic, version, header length.
const PREAMBLE: usize = 16;

/// Everything needed to resume training or evaluate the agents.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    /// The config the run was trained with.
    pub config: TrainConfig,
    /// Iterations completed.
    pub iteration: u64,
    /// Env steps taken, per agent.
    pub env_steps: u64,
    /// Parameters per agent.
    pub param_count: u32,
    /// All agents' parameters, agent-major: `config.agents * param_count` values.
    pub params: Vec<f32>,
    /// Adam first moments, laid out like `params`.
    pub adam_m: Vec<f32>,
    /// Adam second moments, laid out like `params`.
    pub adam_v: Vec<f32>,
    /// Extra named state (for example observation normalisation statistics); may be empty.
    pub tensors: BTreeMap<String, Vec<f32>>,
}

#[derive(Serialize, Deserialize)]
struct Header {
    config: String,
    iteration: u64,
    env_steps: u64,
    agents: u32,
    param_count: u32,
    tensors: Vec<TensorEntry>,
}

#[derive(Serialize, Deserialize)]
struct TensorEntry {
    name: String,
    len: u64,
}

impl Checkpoint {
    /// Checks that the vectors' lengths agree with `config.agents` and `param_count`.
    pub fn check_lengths(&self) -> Result<(), CheckpointError> {
        let agents = self.config.agents as u64;
        let expected = agents * self.param_count as u64;
        if self.param_count == 0 {
            return Err(CheckpointError::Inconsistent(
                "checkpoint has param_count = 0; a network has at least one parameter".to_string(),
            ));
        }
        for (name, v) in [
            ("params", &self.params),
            ("adam_m", &self.adam_m),
            ("adam_v", &self.adam_v),
        ] {
            if v.len() as u64 != expected {
                return Err(CheckpointError::Inconsistent(format!(
                    "checkpoint {name} holds {} values but agents = {agents} x param_count = {} needs {expected}; \
                     build it from the trainer's full, agent-major parameter buffers",
                    v.len(),
                    self.param_count
                )));
            }
        }
        Ok(())
    }

    /// Encodes the checkpoint into its file format.
    pub fn to_bytes(&self) -> Result<Vec<u8>, CheckpointError> {
        self.check_lengths()?;
        let header = Header {
            config: self.config.to_toml_string(),
            iteration: self.iteration,
            env_steps: self.env_steps,
            agents: self.config.agents,
            param_count: self.param_count,
            tensors: self
                .tensors
                .iter()
                .map(|(name, v)| TensorEntry {
                    name: name.clone(),
                    len: v.len() as u64,
                })
                .collect(),
        };
        let header = serde_json::to_vec(&header).expect("a checkpoint header always serialises");
        let floats = 3 * self.params.len() + self.tensors.values().map(Vec::len).sum::<usize>();
        let mut out = Vec::with_capacity(PREAMBLE + header.len() + 4 * floats + 4);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        let header_len = u32::try_from(header.len()).map_err(|_| {
            CheckpointError::Inconsistent(format!(
                "checkpoint header is {} bytes, over the format's 4 GiB limit; use fewer or shorter tensor names",
                header.len()
            ))
        })?;
        out.extend_from_slice(&header_len.to_le_bytes());
        out.extend_from_slice(&header);
        for blob in [&self.params, &self.adam_m, &self.adam_v]
            .into_iter()
            .chain(self.tensors.values())
        {
            for x in blob {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        Ok(out)
    }

    /// Decodes a checkpoint; `path` is only used in error messages.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Self, CheckpointError> {
        let p = || path.to_path_buf();
        let truncated = |detail: String| CheckpointError::Truncated { path: p(), detail };
        if bytes.len() < MAGIC.len() {
            if MAGIC.starts_with(bytes) && !bytes.is_empty() {
                return Err(truncated(format!("it is only {} bytes long", bytes.len())));
            }
            return Err(CheckpointError::NotCheckpoint { path: p() });
        }
        if &bytes[..8] != MAGIC {
            return Err(CheckpointError::NotCheckpoint { path: p() });
        }
        if bytes.len() < PREAMBLE {
            return Err(truncated(format!("it is only {} bytes long", bytes.len())));
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().unwrap());
        if version != FORMAT_VERSION {
            return Err(CheckpointError::Version {
                path: p(),
                found: version,
                expected: FORMAT_VERSION,
            });
        }
        let checksum = || {
            let n = bytes.len() - 4;
            let stored = u32::from_le_bytes(bytes[n..].try_into().unwrap());
            let computed = crc32fast::hash(&bytes[..n]);
            if stored == computed {
                Ok(())
            } else {
                Err(CheckpointError::Checksum {
                    path: p(),
                    stored,
                    computed,
                })
            }
        };
        let header_len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
        if PREAMBLE + header_len + 4 > bytes.len() {
            return Err(truncated(format!(
                "it is {} bytes long but its header alone claims {} bytes",
                bytes.len(),
                PREAMBLE + header_len + 4
            )));
        }
        let header: Header = match serde_json::from_slice(&bytes[PREAMBLE..PREAMBLE + header_len]) {
            Ok(h) => h,
            Err(e) => {
                checksum()?;
                return Err(CheckpointError::Inconsistent(format!(
                    "checkpoint '{}' has an unreadable header ({e}) although its checksum matches; \
                     it was not written by this wgrl: retrain, or use the wgrl that wrote it",
                    path.display()
                )));
            }
        };
        let model = header.agents as u64 * header.param_count as u64;
        let floats = header
            .tensors
            .iter()
            .try_fold(3 * model, |acc, t| acc.checked_add(t.len));
        let expected = floats
            .and_then(|f| f.checked_mul(4))
            .and_then(|b| b.checked_add((PREAMBLE + header_len + 4) as u64));
        let Some(expected) = expected else {
            checksum()?;
            return Err(CheckpointError::Inconsistent(format!(
                "checkpoint '{}' declares tensor sizes too large to exist; use another checkpoint or retrain",
                path.display()
            )));
        };
        if (bytes.len() as u64) < expected {
            return Err(truncated(format!(
                "it is {} bytes long but its header describes {expected} bytes",
                bytes.len()
            )));
        }
        checksum()?;
        if bytes.len() as u64 > expected {
            return Err(CheckpointError::Inconsistent(format!(
                "checkpoint '{}' is {} bytes long but its header describes {expected} bytes; \
                 use another checkpoint or retrain",
                path.display(),
                bytes.len()
            )));
        }

        let config: TrainConfig =
            toml::from_str(&header.config).map_err(|e| CheckpointError::Config {
                path: p(),
                reason: e.message().to_string(),
            })?;
        if config.agents != header.agents {
            return Err(CheckpointError::Inconsistent(format!(
                "checkpoint '{}' stores {} agents but its config says agents = {}; use another checkpoint or retrain",
                path.display(),
                header.agents,
                config.agents
            )));
        }

        let mut at = PREAMBLE + header_len;
        let mut take = |len: u64| -> Vec<f32> {
            let len = len as usize;
            let v = bytes[at..at + 4 * len]
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
                .collect();
            at += 4 * len;
            v
        };
        let params = take(model);
        let adam_m = take(model);
        let adam_v = take(model);
        let mut tensors = BTreeMap::new();
        for t in &header.tensors {
            let v = take(t.len);
            if tensors.insert(t.name.clone(), v).is_some() {
                return Err(CheckpointError::Inconsistent(format!(
                    "checkpoint '{}' names tensor '{}' twice; use another checkpoint or retrain",
                    path.display(),
                    t.name
                )));
            }
        }
        let ckpt = Checkpoint {
            config,
            iteration: header.iteration,
            env_steps: header.env_steps,
            param_count: header.param_count,
            params,
            adam_m,
            adam_v,
            tensors,
        };
        ckpt.check_lengths()?;
        Ok(ckpt)
    }

    /// Writes the checkpoint to `path` atomically: a temporary file in the same
    /// folder, synced, then renamed over `path`. On failure `path` is untouched and
    /// the temporary file is removed.
    pub fn save(&self, path: &Path) -> Result<(), CheckpointError> {
        let bytes = self.to_bytes()?;
        write_atomic(path, &bytes).map_err(|source| CheckpointError::Io {
            op: "write",
            path: path.to_path_buf(),
            source,
        })
    }

    /// Reads and checks a checkpoint written by [`Checkpoint::save`].
    pub fn load(path: &Path) -> Result<Self, CheckpointError> {
        let bytes = std::fs::read(path).map_err(|source| CheckpointError::Io {
            op: "read",
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(&bytes, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::TestDir;

    fn temp_dir() -> TestDir {
        TestDir::new("ckpt")
    }

    fn sample() -> Checkpoint {
        let mut config = TrainConfig {
            agents: 2,
            ..TrainConfig::default()
        };
        config.ppo.lr = crate::config::PerAgent::Each(vec![1e-3, 3e-4]);
        let n = 2 * 5;
        let f = |k: f32| (0..n).map(|i| k * i as f32 - 0.1).collect::<Vec<f32>>();
        let mut tensors = BTreeMap::new();
        tensors.insert("obs_norm.mean".to_string(), vec![1.5, f32::NAN, -0.0]);
        tensors.insert("obs_norm.var".to_string(), vec![]);
        Checkpoint {
            config,
            iteration: 17,
            env_steps: 17 * 512,
            param_count: 5,
            params: f(0.37),
            adam_m: f(-1e-7),
            adam_v: vec![f32::MIN_POSITIVE; n],
            tensors,
        }
    }

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn round_trip_is_bitwise_exact() {
        let dir = temp_dir();
        let path = dir.join("ckpt.wgrl");
        let c = sample();
        c.save(&path).unwrap();
        let back = Checkpoint::load(&path).unwrap();
        assert_eq!(back.config, c.config);
        assert_eq!(
            (back.iteration, back.env_steps, back.param_count),
            (17, 17 * 512, 5)
        );
        assert_eq!(bits(&back.params), bits(&c.params));
        assert_eq!(bits(&back.adam_m), bits(&c.adam_m));
        assert_eq!(bits(&back.adam_v), bits(&c.adam_v));
        assert_eq!(back.tensors.len(), 2);
        for (k, v) in &c.tensors {
            assert_eq!(bits(&back.tensors[k]), bits(v));
        }
        // No temp files left behind; saving again replaces the file.
        c.save(&path).unwrap();
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("ckpt.wgrl")]);
    }

    #[test]
    fn refuses_other_files() {
        let dir = temp_dir();
        let path = dir.join("not.wgrl");
        std::fs::write(&path, b"hello, this is not a checkpoint").unwrap();
        let e = Checkpoint::load(&path).unwrap_err().to_string();
        assert!(e.contains("is not a wgrl checkpoint"), "{e}");
        std::fs::write(&path, b"").unwrap();
        let e = Checkpoint::load(&path).unwrap_err().to_string();
        assert!(e.contains("is not a wgrl checkpoint"), "{e}");
        let e = Checkpoint::load(&dir.join("missing.wgrl"))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("cannot read checkpoint"), "{e}");
    }

    #[test]
    fn refuses_other_versions() {
        let mut bytes = sample().to_bytes().unwrap();
        bytes[8..12].copy_from_slice(&1u32.to_le_bytes());
        let e = Checkpoint::from_bytes(&bytes, Path::new("old.wgrl"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "checkpoint 'old.wgrl' was written by format version 1; this wgrl reads version 2: \
             retrain, or evaluate it with the wgrl that wrote it"
        );
    }

    #[test]
    fn flipped_bytes_fail_the_checksum() {
        let bytes = sample().to_bytes().unwrap();
        // A byte in the blobs, one in the header, and one in the checksum itself.
        for i in [bytes.len() - 20, 30, bytes.len() - 1] {
            let mut b = bytes.clone();
            b[i] ^= 0x10;
            let e = Checkpoint::from_bytes(&b, Path::new("c.wgrl")).unwrap_err();
            assert!(
                e.to_string().contains("corrupted: checksum mismatch"),
                "byte {i}: {e}"
            );
        }
    }

    #[test]
    fn truncated_files_are_refused() {
        let bytes = sample().to_bytes().unwrap();
        for n in [4, 12, 20, bytes.len() / 2, bytes.len() - 1] {
            let e = Checkpoint::from_bytes(&bytes[..n], Path::new("c.wgrl"))
                .unwrap_err()
                .to_string();
            assert!(e.contains("is truncated"), "{n} bytes: {e}");
        }
        let mut long = bytes.clone();
        long.extend_from_slice(&[0; 8]);
        let e = Checkpoint::from_bytes(&long, Path::new("c.wgrl")).unwrap_err();
        assert!(matches!(e, CheckpointError::Checksum { .. }), "{e}");
    }

    #[test]
    fn inconsistent_lengths_are_refused() {
        let mut c = sample();
        c.adam_m.pop();
        let e = c.to_bytes().unwrap_err().to_string();
        assert_eq!(
            e,
            "checkpoint adam_m holds 9 values but agents = 2 x param_count = 5 needs 10; \
             build it from the trainer's full, agent-major parameter buffers"
        );
        let dir = temp_dir();
        let path = dir.join("c.wgrl");
        assert!(c.save(&path).is_err());
        assert!(!path.exists());

        // A header whose agent count disagrees with its config (checksum fixed up).
        let good = sample();
        let mut bytes = good.to_bytes().unwrap();
        let hl = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
        let header = String::from_utf8(bytes[16..16 + hl].to_vec()).unwrap();
        let patched = header
            .replace("\"agents\":2", "\"agents\":1")
            .replace("\"param_count\":5", "\"param_count\":10");
        assert_eq!(patched.len(), header.len() + 1);
        let mut out = bytes[..12].to_vec();
        out.extend_from_slice(&(patched.len() as u32).to_le_bytes());
        out.extend_from_slice(patched.as_bytes());
        out.extend_from_slice(&bytes[16 + hl..bytes.len() - 4]);
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        bytes = out;
        let e = Checkpoint::from_bytes(&bytes, Path::new("c.wgrl"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("stores 1 agents but its config says agents = 2"),
            "{e}"
        );
    }

    #[test]
    fn failed_save_leaves_no_file() {
        let dir = temp_dir();
        let path = dir.join("no/such/dir/c.wgrl");
        let e = sample().save(&path).unwrap_err().to_string();
        assert!(e.starts_with("cannot write checkpoint"), "{e}");
        assert!(!path.exists());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        // Saving over a directory fails and leaves the directory and no temp file.
        let target = dir.join("is_a_dir");
        std::fs::create_dir(&target).unwrap();
        assert!(sample().save(&target).is_err());
        assert!(target.is_dir());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    }
}
