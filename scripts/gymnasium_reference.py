#!/usr/bin/env python3
"""Generate Gymnasium reference transitions for wgrl's parity tests.

Usage:  pip install gymnasium numpy && python3 scripts/gymnasium_reference.py
Writes data/gymnasium/<env>.json. The data is committed; the Rust tests read it
and need no Python. Regenerate only when adding envs or changing the format.

Each file holds
  transitions: one step from a recorded state (set on env.unwrapped.state);
  rollouts:    a reset state, the actions taken, and every state, reward and
               flag that followed, through Gymnasium's TimeLimit wrapper.

Discrete envs record each action as an int. Box (continuous-action) envs record
it as a list of floats, one per action dimension: the RAW action, drawn from a
range wider than the action space's bounds (so about a third of the components
are out of bounds) and rounded to float32 (the space's dtype). Those envs run
inside gymnasium.wrappers.ClipAction, so the env sees the action clipped to the
bounds, as wgrl's engine clips Box actions before the env sees them.
"""
import json
import os
import sys

import gymnasium as gym
import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "gymnasium")


def f(xs):
    return [float(x) for x in xs]


def cartpole(rng):
    env = gym.make("CartPole-v1")
    env.reset(seed=0)
    u = env.unwrapped
    transitions = []
    # States across and beyond the termination box, both actions.
    for i in range(400):
        state = np.array(
            [
                rng.uniform(-2.6, 2.6),
                rng.uniform(-3.0, 3.0),
                rng.uniform(-0.25, 0.25),
                rng.uniform(-3.5, 3.5),
            ]
        )
        action = int(i % 2)
        u.state = state.copy()
        u.steps_beyond_terminated = None
        obs, reward, terminated, truncated, _ = env.step(action)
        transitions.append(
            {
                "state": f(state),
                "action": action,
                "next_state": f(u.state),
                "obs": f(obs),
                "reward": float(reward),
                "terminated": bool(terminated),
            }
        )
    rollouts = []
    # A balancing controller keeps the pole up long enough to hit the 500-step
    # time limit; a random policy terminates early. Both are recorded.
    for k, policy in enumerate(["balance", "random", "random"]):
        env = gym.make("CartPole-v1")
        obs, _ = env.reset(seed=100 + k)
        reset_state = f(env.unwrapped.state)
        actions, states, rewards, terms, truncs = [], [], [], [], []
        while True:
            if policy == "balance":
                x, x_dot, th, th_dot = obs
                action = int(th + 0.5 * th_dot + 0.01 * x + 0.1 * x_dot > 0)
            else:
                action = int(rng.integers(0, 2))
            obs, reward, terminated, truncated, _ = env.step(action)
            actions.append(action)
            states.append(f(env.unwrapped.state))
            rewards.append(float(reward))
            terms.append(bool(terminated))
            truncs.append(bool(truncated))
            if terminated or truncated:
                break
        rollouts.append(
            {
                "policy": policy,
                "reset_state": reset_state,
                "actions": actions,
                "states": states,
                "rewards": rewards,
                "terminated": terms,
                "truncated": truncs,
            }
        )
    return {"transitions": transitions, "rollouts": rollouts}


def record(make, rng, sample_state, margin, step_action, random_action, as_json):
    """One-step transitions from sampled states (each with its distance to the
    termination boundary, so tests can skip flags that f32 rounding may flip) and
    three random-policy episodes through the TimeLimit wrapper. `step_action(i)`
    is the i-th transition's action, `random_action()` a rollout's, and
    `as_json(action)` how an action is written."""
    env = make()
    env.reset(seed=0)
    u = env.unwrapped
    transitions = []
    for i in range(400):
        state = sample_state(rng, i)
        action = step_action(i)
        u.state = state.copy()
        obs, reward, terminated, truncated, _ = env.step(action)
        transitions.append(
            {
                "state": f(state),
                "action": as_json(action),
                "next_state": f(u.state),
                "obs": f(obs),
                "reward": float(reward),
                "terminated": bool(terminated),
                "margin": float(margin(u.state)),
            }
        )
    rollouts = []
    for k in range(3):
        env = make()
        env.reset(seed=200 + k)
        reset_state = f(env.unwrapped.state)
        actions, states, obss, rewards, terms, truncs, margins = [], [], [], [], [], [], []
        while True:
            action = random_action()
            obs, reward, terminated, truncated, _ = env.step(action)
            actions.append(as_json(action))
            states.append(f(env.unwrapped.state))
            obss.append(f(obs))
            rewards.append(float(reward))
            terms.append(bool(terminated))
            truncs.append(bool(truncated))
            margins.append(float(margin(env.unwrapped.state)))
            if terminated or truncated:
                break
        rollouts.append(
            {
                "policy": "random",
                "reset_state": reset_state,
                "actions": actions,
                "states": states,
                "obs": obss,
                "rewards": rewards,
                "terminated": terms,
                "truncated": truncs,
                "margins": margins,
            }
        )
    return {"transitions": transitions, "rollouts": rollouts}


def generic(name, sample_state, margin):
    """`record` for a discrete env: transitions cycle through the actions,
    rollouts draw them uniformly."""

    def run(rng):
        n_actions = gym.make(name).action_space.n
        return record(
            lambda: gym.make(name),
            rng,
            lambda rng, i: sample_state(rng),
            margin,
            lambda i: int(i % n_actions),
            lambda: int(rng.integers(0, n_actions)),
            lambda a: a,
        )

    return run


def generic_box(name, sample_state, margin, widen=1.5):
    """`record` for a Box action space: the env is wrapped in ClipAction and each
    action is a list of floats, the raw (unclipped) action drawn uniformly from
    the bounds' centre +/- `widen` times their half-width, rounded to float32."""

    def make():
        return gym.wrappers.ClipAction(gym.make(name))

    def run(rng):
        # ClipAction's own action_space is unbounded; the bounds are the env's.
        space = make().unwrapped.action_space
        low = np.asarray(space.low, dtype=np.float64)
        high = np.asarray(space.high, dtype=np.float64)
        mid, half = (high + low) / 2, (high - low) / 2

        def raw_action():
            a = rng.uniform(mid - widen * half, mid + widen * half)
            return a.astype(np.float32)

        return record(make, rng, sample_state, margin, lambda i: raw_action(), raw_action, f)

    return run


def mountain_car_state(rng):
    # Positions across the track (both walls and the goal), speeds up to the cap.
    return np.array([rng.uniform(-1.25, 0.6), rng.uniform(-0.075, 0.075)])


def mountain_car_margin(s):
    # Terminated when position >= 0.5 and velocity >= 0.
    return min(abs(s[0] - 0.5), abs(s[1])) if s[0] >= 0.45 else 1.0


def acrobot_state(rng):
    return np.array(
        [
            rng.uniform(-np.pi, np.pi),
            rng.uniform(-np.pi, np.pi),
            rng.uniform(-4 * np.pi, 4 * np.pi),
            rng.uniform(-9 * np.pi, 9 * np.pi),
        ]
    )


def acrobot_margin(s):
    return -np.cos(s[0]) - np.cos(s[1] + s[0]) - 1.0


def pendulum_state(rng, i):
    # Gymnasium never normalises the unwrapped angle, so sample beyond +/-pi;
    # speeds slightly beyond max_speed 8 exercise the speed clip.
    return np.array([rng.uniform(-3 * np.pi, 3 * np.pi), rng.uniform(-8.5, 8.5)])


def pendulum_margin(s):
    # Pendulum never terminates.
    return 1.0


def mountain_car_continuous_state(rng, i):
    # Every 4th state near the goal, moving right, so that many steps terminate;
    # the rest across the track (both walls and the goal), speeds up to the cap.
    if i % 4 == 0:
        return np.array([rng.uniform(0.40, 0.6), rng.uniform(0.0, 0.07)])
    return np.array([rng.uniform(-1.25, 0.6), rng.uniform(-0.075, 0.075)])


def mountain_car_continuous_margin(s):
    # Terminated when position >= 0.45 and velocity >= 0.
    return min(abs(s[0] - 0.45), abs(s[1])) if s[0] >= 0.40 else 1.0


SEEDS = {
    "CartPole-v1": 12345,
    "MountainCar-v0": 2024,
    "Acrobot-v1": 2025,
    "Pendulum-v1": 2026,
    "MountainCarContinuous-v0": 2027,
}

GENERATORS = {
    "CartPole-v1": cartpole,
    "MountainCar-v0": generic("MountainCar-v0", mountain_car_state, mountain_car_margin),
    "Acrobot-v1": generic("Acrobot-v1", acrobot_state, acrobot_margin),
    "Pendulum-v1": generic_box("Pendulum-v1", pendulum_state, pendulum_margin),
    "MountainCarContinuous-v0": generic_box(
        "MountainCarContinuous-v0",
        mountain_car_continuous_state,
        mountain_car_continuous_margin,
    ),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    names = sys.argv[1:] or list(GENERATORS)
    for name in names:
        # Each env draws from its own seed, so adding an env never changes
        # another env's data (CartPole keeps the seed its data was made with).
        rng = np.random.default_rng(SEEDS.get(name, 0))
        data = GENERATORS[name](rng)
        data = {
            "env": name,
            "gymnasium_version": gym.__version__,
            "generator": "scripts/gymnasium_reference.py",
            **data,
        }
        path = os.path.join(OUT, f"{name}.json")
        tmp = path + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(data, fh, separators=(",", ":"))
            fh.write("\n")
        os.replace(tmp, path)
        lens = [len(r["actions"]) for r in data["rollouts"]]
        print(f"{path}: {len(data['transitions'])} transitions, rollouts of {lens} steps")


if __name__ == "__main__":
    main()
