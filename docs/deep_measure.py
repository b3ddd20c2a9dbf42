"""Measurements behind docs/theory.md, section 13 (the deep layer-wise variant); output in docs/deep_measure_output.txt.

``python docs/deep_measure.py minmax``: h3, depth 3, eta = d^-alpha for alpha = 1, 2 at d = 25, 50, 100, 200,
the slope of log(median T) on log d with its bootstrap SE (400 resamples of the runs at every d).
The min reading of the reported formula predicts 2 at both; the max reading 5 and 9.

``python docs/deep_measure.py direct``: the Gaussian-bump target at d = 50: depth 3 at eta = 1 against
depth 2 at eta = 1 and at eta = 1e-6 (reduced engine, kappa = 1/8, positive start, |m| >= 1/2).

One process, one core; every run seeded.
"""
from __future__ import annotations

import sys
import time

import numpy as np

from theory.predict import predict, step_size, theorem_time
from theory.rules import make_rule
from theory.simulate import simulate
from theory.simulate.cases import case_of, model_for

BUMP = "He3 + (1225*sqrt(223183009) - 1680700)/151749*(z*exp(-12*z**2) - z/125)"
KAPPA = 0.125


def run(rule, pred, d, eta, runs, max_steps, seed):
    gamma = step_size(pred, d, eta, KAPPA).gamma
    res = simulate(model_for(case_of(rule), eta, d), d, gamma, runs=runs, seed=seed, max_steps=max_steps,
                   start="positive")
    times = np.where(np.asarray(res.status) == "hit", np.asarray(res.hitting_times, dtype=float), np.inf)
    return gamma, times


def slope_with_se(ds, samples, rng, boot=400):
    x = np.log(ds)

    def fit(meds):
        return np.polyfit(x, np.log(meds), 1)[0]

    est = fit([np.median(s) for s in samples])
    reps = [fit([np.median(rng.choice(s, len(s))) for s in samples]) for _ in range(boot)]
    reps = np.asarray(reps)
    reps = reps[np.isfinite(reps)]
    return est, float(np.std(reps, ddof=1))


def minmax():
    rule = make_rule("alternating", "h3", depth=3)
    pred = predict(rule)
    rng = np.random.default_rng(7)
    ds = (25, 50, 100, 200)
    for alpha, e_max in ((1, 5), (2, 9)):
        samples = []
        for d in ds:
            eta = float(d) ** -alpha
            t0 = time.time()
            gamma, times = run(rule, pred, d, eta, 100, 2_000_000, 1000 * alpha + d)
            samples.append(times)
            print(f"alpha = {alpha}, d = {d}: eta = {eta:.3g}, gamma = {gamma:.4g}, winning index "
                  f"{theorem_time(pred, d, eta)[1]}, median T = {np.median(times):.4g}, censored "
                  f"{int(np.sum(~np.isfinite(times)))}/100 ({time.time() - t0:.0f} s)", flush=True)
        est, se = slope_with_se(ds, samples, rng)
        print(f"alpha = {alpha}: slope of log median T on log d = {est:.3f} +- {se:.3f} (bootstrap SE); "
              f"min reading 2, max reading {e_max}", flush=True)


def direct():
    d = 50
    rows = [(3, 1.0, 48, 20_000_000), (2, 1.0, 8, 20_000_000), (2, 1e-6, 16, 60_000_000)]
    for depth, eta, runs, budget in rows:
        rule = make_rule("alternating", BUMP, depth=depth)
        pred = predict(rule)
        t0 = time.time()
        gamma, times = run(rule, pred, d, eta, runs, budget, 50 + depth)
        hit = np.isfinite(times)
        print(f"depth {depth}, d = {d}, eta = {eta:g}: gamma = {gamma:.4g}, winning index "
              f"{theorem_time(pred, d, eta)[1]}, median T = {np.median(times):.4g} "
              f"(quartiles {np.quantile(times, 0.25):.3g}..{np.quantile(times, 0.75):.3g}), hit {int(hit.sum())}/"
              f"{runs} within {budget:g} steps ({time.time() - t0:.0f} s)", flush=True)


if __name__ == "__main__":
    {"minmax": minmax, "direct": direct}[sys.argv[1]]()
