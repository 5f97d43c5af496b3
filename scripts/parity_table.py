#!/usr/bin/env python3
"""Learning parity of exact and Approx-BP variants: reads two `wgrl train` run
folders (same seeds as parallel agents) and prints a Markdown table row with the
env steps at which each agent's 100-episode running mean first reached the
threshold, the medians and the ratio approx / exact.

usage: parity_table.py LABEL THRESHOLD EXACT_RUN APPROX_RUN
"""
import csv
import statistics
import sys


def first_crossings(run, threshold):
    with open(f"{run}/metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    agents = sorted(k for k in rows[0] if k.startswith("return_agent_"))
    out = []
    for a in agents:
        hit = next((int(r["env_steps"]) for r in rows if r[a] and float(r[a]) >= threshold), None)
        out.append(hit)
    return out


def fmt(steps):
    return ", ".join("-" if s is None else f"{s // 1000}k" for s in steps)


def main():
    label, threshold, exact, approx = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
    e, a = first_crossings(exact, threshold), first_crossings(approx, threshold)
    if None in e or None in a:
        med_e = med_a = ratio = "not all agents reached it"
    else:
        me, ma = statistics.median(e), statistics.median(a)
        med_e, med_a, ratio = f"{me / 1000:.0f}k", f"{ma / 1000:.0f}k", f"{ma / me:.2f}x"
    print(f"| {label} | {fmt(e)} | {med_e} | {fmt(a)} | {med_a} | {ratio} |")


if __name__ == "__main__":
    main()
