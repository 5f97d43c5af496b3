//! End to end with continuous actions: Pendulum-v1's default preset (Gaussian
//! policy, observation normalisation, reward scaling) improves 4 agents far past
//! a random policy within CI's budget (a test binary of its own).

mod common;

#[test]
fn pendulum_preset_learns_with_four_agents() {
    // 164k steps per agent (40 iterations, about 45 s on lavapipe) is a third of
    // the preset's 500k run, which reaches -192 (BENCHMARKS.md). A random policy
    // scores about -1250 (the first log point here); every agent must be past
    // -900 and the mean past -800 by the end.
    let cfg = common::four_agents("Pendulum-v1", Some(163_840), &[]);
    let mut first = None;
    let report = common::train(&cfg, |log| {
        if first.is_none() {
            first = log.mean_return();
        }
    });
    let last = report.last.running_returns();
    let first = first.expect("a log point");
    assert!(
        first < -1100.0,
        "the first log point should be near random: {first}"
    );
    assert!(
        last.iter().all(|r| r.is_some_and(|r| r >= -900.0)),
        "every agent past -900: {last:?}"
    );
    let mean = last.iter().flatten().sum::<f64>() / 4.0;
    assert!(mean >= -800.0, "mean {mean} ({last:?})");
}
