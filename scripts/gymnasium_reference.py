#!/usr/bin/env python3
"""Generate Gymnasium reference transitions for wgrl's parity tests.

Usage:  pip install gymnasium numpy && python3 scripts/gymnasium_reference.py
Writes data/gymnasium/<env>.json. The data is committed; the Rust tests read it
and need no Python. Regenerate only when adding envs or changing the format.

Each file holds
  transitions: one step from a recorded state (set on env.unwrapped.state);
  rollouts:    a reset state, the actions taken, and every state, reward and
               flag that followed, through Gymnasium's TimeLimit wrapper.
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


GENERATORS = {"CartPole-v1": cartpole}


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(12345)
    names = sys.argv[1:] or list(GENERATORS)
    for name in names:
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
