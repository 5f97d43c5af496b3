//! Subcommands of the `wgrl` binary that go beyond `info`: training, evaluation and
//! benchmarks. Each returns `anyhow::Result`; `main` prints `error: ...` and exits 1.

pub mod bench;
pub mod eval;
pub mod train;

/// A rate in compact form: `950`, `48.2k`, `1.23M`, `2.05G`.
pub fn rate(v: f64) -> String {
    let a = v.abs();
    if !v.is_finite() {
        format!("{v}")
    } else if a >= 1e9 {
        format!("{:.2}G", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.2}M", v / 1e6)
    } else if a >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

/// A mean episode return, or `n/a` before any episode finished.
pub fn ret(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_string(), |r| format!("{r:.1}"))
}

/// "1 agent" / "4 agents".
pub fn agents(k: u32) -> String {
    if k == 1 {
        "1 agent".to_string()
    } else {
        format!("{k} agents")
    }
}

/// "solved at 120000 steps (8.1 s)" / "not solved (threshold 475)" / "" without a threshold.
pub fn solved(threshold: Option<f64>, at_step: Option<u64>, at_seconds: Option<f64>) -> String {
    match (threshold, at_step) {
        (None, _) => "no solved threshold".to_string(),
        (Some(t), Some(s)) => format!(
            "solved (all agents >= {t}) at {s} steps{}",
            at_seconds.map_or_else(String::new, |w| format!(" ({w:.1} s of training)"))
        ),
        (Some(t), None) => format!("not solved (threshold {t})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(rate(950.0), "950");
        assert_eq!(rate(48_200.0), "48.2k");
        assert_eq!(rate(1_234_567.0), "1.23M");
        assert_eq!(ret(None), "n/a");
        assert_eq!(ret(Some(487.46)), "487.5");
        assert_eq!(agents(1), "1 agent");
        assert_eq!(agents(3), "3 agents");
        assert_eq!(
            solved(Some(475.0), Some(1000), Some(2.0)),
            "solved (all agents >= 475) at 1000 steps (2.0 s of training)"
        );
        assert_eq!(
            solved(Some(475.0), None, None),
            "not solved (threshold 475)"
        );
    }
}
