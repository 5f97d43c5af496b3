#!/usr/bin/env python3
"""Derive ReTanh2's constants: the odd piecewise-linear surrogate of tanh with a
2-bit state, fitted to tanh itself (as LowMemoryBP fits ReGELU2 to GELU, not to
its derivative).

    g(x) = s1 * x                        for |x| <  t1
         = sign(x) * (s1*t1 + s2*(|x| - t1))  for t1 <= |x| < t2
         = sign(x)                       for |x| >= t2

with s2 = (1 - s1*t1) / (t2 - t1) so that g reaches +-1 at t2 and stays there
(tanh is bounded). The backward pass multiplies the incoming gradient by g's
slope, chosen by the 2-bit state [|x| >= t1] + [|x| >= t2]: s1, s2 or 0.

We minimise J(s1, t1, t2) = integral over the real line of (tanh(x) - g(x))^2,
i.e. 2 * integral_0^inf by symmetry, and write data/retanh2.json.
Usage: pip install numpy scipy && python3 scripts/fit_retanh2.py
"""
import json
import os

import numpy as np
from scipy import integrate, optimize

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "retanh2.json")


def g(x, s1, t1, t2):
    s2 = (1.0 - s1 * t1) / (t2 - t1)
    if x < t1:
        return s1 * x
    if x < t2:
        return s1 * t1 + s2 * (x - t1)
    return 1.0


def objective(p):
    s1, t1, t2 = p
    if not (0 < t1 < t2) or s1 * t1 >= 1.0:
        return 1e9
    f = lambda x: (np.tanh(x) - g(x, s1, t1, t2)) ** 2
    # Piecewise integration at the kinks; beyond 40, tanh(x) == 1 in f64.
    pts = [0.0, t1, t2, 40.0]
    total = sum(integrate.quad(f, a, b, epsabs=1e-14, epsrel=1e-12, limit=200)[0] for a, b in zip(pts, pts[1:]))
    return 2.0 * total


def main():
    res = optimize.minimize(objective, x0=[0.9, 0.5, 2.0], method="Nelder-Mead",
                            options={"xatol": 1e-12, "fatol": 1e-16, "maxiter": 20000, "maxfev": 40000})
    s1, t1, t2 = (float(v) for v in res.x)
    s2 = (1.0 - s1 * t1) / (t2 - t1)
    data = {
        "generator": "scripts/fit_retanh2.py",
        "objective": "integral over R of (tanh(x) - g(x))^2",
        "s1": s1, "t1": t1, "s2": s2, "t2": t2,
        "value": float(res.fun),
    }
    tmp = OUT + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(data, fh, indent=2)
        fh.write("\n")
    os.replace(tmp, OUT)
    print(json.dumps(data, indent=2))


if __name__ == "__main__":
    main()
