//! End to end: the default CartPole preset solves the task with 4 agents at once
//! (a test binary of its own so it has the machine to itself).

mod common;

#[test]
fn default_cartpole_preset_solves_with_four_agents() {
    let cfg = common::four_agents("CartPole-v1", None, &[]);
    assert_eq!(
        (cfg.agents, cfg.ppo.envs, cfg.ppo.epochs),
        (4, 16, 2),
        "the default preset changed: re-check this test's budget"
    );
    let mut logs = 0;
    let report = common::train(&cfg, |_| logs += 1);
    // Solved: at some log point every agent's mean return over its last 100
    // episodes reached CartPole's threshold of 475.
    let solved = common::assert_solved(&report);
    assert!(solved <= cfg.total_steps);
    assert!(report.last.agents.iter().all(|a| a.episodes >= 100));
    // The loop never blocked between log points; it only waited at the end.
    assert_eq!(report.blocking_waits_between_log_points, 0);
    assert!(logs >= 50);
}
