//! Every WGSL file under `shaders/` is part of at least one kernel the engine
//! builds, and every such kernel parses and validates with naga.

use std::collections::BTreeSet;
use std::path::Path;
use wgrl::envs::{BUILTIN_ENVS, builtin};
use wgrl::gpu::ShaderSource;
use wgrl::gpu::shader::common;

/// Every kernel composition the engine builds.
fn all_kernels() -> Vec<ShaderSource> {
    let mut out = vec![
        ShaderSource::new("rng_fill")
            .with(common::RNG)
            .with(common::RNG_FILL),
    ];
    for name in BUILTIN_ENVS {
        out.push(builtin(name).unwrap().vec_env_source());
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
