"""A JAX-CPU PPO run with PureJaxRL's CartPole config, to time against wgrl on the
same machine at the same moment (the machine's speed varies between minutes).

Written for wgrl's benchmarks, not PureJaxRL's code: the same algorithm and
hyper-parameters as its `ppo.py` CartPole config (gymnax CartPole-v1, 4 envs x
128 steps, 4 epochs x 4 minibatches, lr 2.5e-4 annealed, gamma 0.99, lambda
0.95, clip 0.2, entropy 0.01, value 0.5, max grad norm 0.5, separate 64-64 tanh
actor and critic, orthogonal init), the whole run jitted as one function.

    python3 -m venv /tmp/jaxenv
    /tmp/jaxenv/bin/pip install "jax[cpu]" gymnax flax optax six
    /usr/bin/time /tmp/jaxenv/bin/python scripts/jax_ppo_baseline.py

Prints the mean return of the episodes finished in the last iteration and the
time from process start.
"""

import time

START = time.time()

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import flax.linen as nn  # noqa: E402
import gymnax  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

ENVS, STEPS, EPOCHS, MINIBATCHES = 4, 128, 4, 4
TOTAL = 500_000
LR, GAMMA, LAMBDA, CLIP, ENT, VF, MAX_NORM = 2.5e-4, 0.99, 0.95, 0.2, 0.01, 0.5, 0.5
ITERATIONS = TOTAL // (ENVS * STEPS)
BATCH = ENVS * STEPS
MB = BATCH // MINIBATCHES


class ActorCritic(nn.Module):
    actions: int

    @nn.compact
    def __call__(self, x):
        def dense(n, scale):
            return nn.Dense(n, kernel_init=nn.initializers.orthogonal(scale),
                            bias_init=nn.initializers.zeros)

        a = jnp.tanh(dense(64, np.sqrt(2))(x))
        a = jnp.tanh(dense(64, np.sqrt(2))(a))
        logits = dense(self.actions, 0.01)(a)
        c = jnp.tanh(dense(64, np.sqrt(2))(x))
        c = jnp.tanh(dense(64, np.sqrt(2))(c))
        value = dense(1, 1.0)(c)[:, 0]
        return logits, value


def make_train():
    env, env_params = gymnax.make("CartPole-v1")
    net = ActorCritic(env.action_space(env_params).n)
    schedule = lambda count: LR * (  # noqa: E731
        1.0 - (count // (MINIBATCHES * EPOCHS)) / ITERATIONS)
    tx = optax.chain(optax.clip_by_global_norm(MAX_NORM),
                     optax.adam(schedule, eps=1e-5))
    v_reset = jax.vmap(env.reset, in_axes=(0, None))
    v_step = jax.vmap(env.step, in_axes=(0, 0, 0, None))

    def train(key):
        key, k_init, k_reset = jax.random.split(key, 3)
        obs_dim = env.observation_space(env_params).shape[0]
        params = net.init(k_init, jnp.zeros((1, obs_dim)))
        opt = tx.init(params)
        obs, state = v_reset(jax.random.split(k_reset, ENVS), env_params)
        # Per env: running episode return, and the return of the last finished one.
        ep_ret = jnp.zeros(ENVS)

        def rollout_step(carry, _):
            params, obs, state, ep_ret, key = carry
            key, k_act, k_step = jax.random.split(key, 3)
            logits, value = net.apply(params, obs)
            action = jax.random.categorical(k_act, logits)
            logp = jax.nn.log_softmax(logits)[jnp.arange(ENVS), action]
            # gymnax >= 0.0.9 returns termination and truncation apart; PureJaxRL's
            # `done` is either (it does not bootstrap truncated episodes).
            obs2, state, reward, terminated, truncated, _ = v_step(
                jax.random.split(k_step, ENVS), state, action, env_params)
            done = jnp.logical_or(terminated, truncated).astype(jnp.float32)
            ep_ret = ep_ret + reward
            finished = jnp.where(done, ep_ret, jnp.nan)
            ep_ret = jnp.where(done, 0.0, ep_ret)
            out = (obs, action, logp, value, reward, done, finished)
            return (params, obs2, state, ep_ret, key), out

        def loss_fn(params, b):
            obs, action, logp_old, value_old, adv, ret = b
            logits, value = net.apply(params, obs)
            logp_all = jax.nn.log_softmax(logits)
            logp = logp_all[jnp.arange(obs.shape[0]), action]
            v_clip = value_old + jnp.clip(value - value_old, -CLIP, CLIP)
            v_loss = 0.5 * jnp.maximum((value - ret) ** 2, (v_clip - ret) ** 2).mean()
            ratio = jnp.exp(logp - logp_old)
            adv = (adv - adv.mean()) / (adv.std() + 1e-8)
            pg = jnp.maximum(-adv * ratio,
                             -adv * jnp.clip(ratio, 1 - CLIP, 1 + CLIP)).mean()
            entropy = -(jnp.exp(logp_all) * logp_all).sum(-1).mean()
            return pg + VF * v_loss - ENT * entropy

        def iteration(carry, _):
            params, opt, obs, state, ep_ret, key = carry
            (params, obs, state, ep_ret, key), traj = jax.lax.scan(
                rollout_step, (params, obs, state, ep_ret, key), None, STEPS)
            t_obs, t_act, t_logp, t_val, t_rew, t_done, t_fin = traj
            _, last_val = net.apply(params, obs)

            def gae_step(carry, x):
                gae, next_val = carry
                val, rew, done = x
                delta = rew + GAMMA * next_val * (1 - done) - val
                gae = delta + GAMMA * LAMBDA * (1 - done) * gae
                return (gae, val), gae

            _, adv = jax.lax.scan(gae_step, (jnp.zeros(ENVS), last_val),
                                  (t_val, t_rew, t_done), reverse=True)
            ret = adv + t_val
            flat = jax.tree_util.tree_map(
                lambda x: x.reshape((BATCH,) + x.shape[2:]),
                (t_obs, t_act, t_logp, t_val, adv, ret))

            def epoch(carry, _):
                params, opt, key = carry
                key, k_perm = jax.random.split(key)
                perm = jax.random.permutation(k_perm, BATCH)
                mbs = jax.tree_util.tree_map(
                    lambda x: x[perm].reshape((MINIBATCHES, MB) + x.shape[1:]), flat)

                def minibatch(carry, b):
                    params, opt = carry
                    grads = jax.grad(loss_fn)(params, b)
                    updates, opt = tx.update(grads, opt)
                    return (optax.apply_updates(params, updates), opt), None

                (params, opt), _ = jax.lax.scan(minibatch, (params, opt), mbs)
                return (params, opt, key), None

            (params, opt, key), _ = jax.lax.scan(epoch, (params, opt, key), None, EPOCHS)
            return (params, opt, obs, state, ep_ret, key), jnp.nanmean(t_fin)

        carry = (params, opt, obs, state, ep_ret, key)
        _, returns = jax.lax.scan(iteration, carry, None, ITERATIONS)
        return returns

    return train


if __name__ == "__main__":
    returns = jax.block_until_ready(jax.jit(make_train())(jax.random.PRNGKey(0)))
    last = float(np.nanmean(np.asarray(returns)[-10:]))
    print(f"{ITERATIONS} iterations, {ITERATIONS * BATCH} env steps; "
          f"mean return of episodes finished in the last 10 iterations {last:.1f}; "
          f"{time.time() - START:.2f} s from process start")
