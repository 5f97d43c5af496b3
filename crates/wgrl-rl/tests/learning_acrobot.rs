//! End to end on a second env: Acrobot-v1's default preset brings 4 agents to a
//! 100-episode mean return of at least -100 (a test binary of its own).

mod common;

#[test]
fn acrobot_preset_reaches_minus_100_with_four_agents() {
    // The learning-rate schedule anneals over total_steps, so a shorter run is a
    // different run: 300k is short for CI and still solves (issue 5's full figure
    // is 1M steps; the preset's own 500k run solves at 133k).
    let cfg = common::four_agents("Acrobot-v1", Some(300_000), &[]);
    common::assert_solved(&common::train(&cfg, |_| {}));
}
