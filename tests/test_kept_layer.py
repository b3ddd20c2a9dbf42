"""A second layer that keeps its updates (``--keep-a``): drift, regimes, and a simulation check.

Test policy: each test pins one property of docs/theory.md, section "Kept second layer".  The
coefficients are exact SymPy (the package's drift against online SGD's and against Mehler's
formula from exact Hermite coefficients), the one-step increment of ``a`` is also checked by Monte
Carlo of the rule's own kernel with a tolerance from its standard error, and the simulation tests
compare kept and reset runs on the same seeds by the paired log-ratio of their hitting times (same
seed: same start and same samples, which removes the start law's large variance), with a tolerance
of four standard errors of that mean.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from theory.drift import drift_coefficients, psi_second_moment
from theory.errors import PredictionError
from theory.hermite import exact_coefficients
from theory.predict import predict, step_size
from theory.predict.kept_layer import crossover_steps, kept_layer_outlook, walk_variance
from theory.rules import make_rule
from theory.simulate import simulate
from theory.simulate.kernels import step_model
from theory.symbols import A, ETA, Y, Z

M = sp.Symbol("m", real=True)
KEPT = make_rule("alternating", "h3", keep_a=True)
RESET = make_rule("alternating", "h3")


def mehler(f, g, kmax):
    """``E[f(u) g(z)] = sum_k k! m^k u_k(f) u_k(g)`` from exact Hermite coefficients."""
    uf, ug = exact_coefficients(f, kmax), exact_coefficients(g, kmax)
    return sp.expand(sum(sp.factorial(k) * M**k * uf[k] * ug[k] for k in range(kmax + 1)))


def test_a_multiplies_only_the_correlational_term():
    mu = drift_coefficients(KEPT, 5, symbolic_a=True)
    assert mu == {1: 0, 2: 9 * ETA, 3: A / 2, 4: 9 * ETA / 2, 5: 0}
    online = drift_coefficients(make_rule("online", "h3"), 5)
    assert {i: sp.diff(v, A) for i, v in mu.items()} == online
    assert sp.expand(psi_second_moment(KEPT, symbolic_a=True)) == 3 * A**2 + 8649 * ETA**2


def test_second_layer_drift_and_walk_exact():
    h3 = sp.expand((Z**3 - 3 * Z) / sp.sqrt(6))
    increment = sp.expand(KEPT.a_next - A)  # eta y sigma(z)
    assert sp.expand(increment - ETA * Y * h3) == 0
    assert mehler(h3, h3, 3) == M**3
    assert mehler(sp.expand(h3**2), sp.expand(h3**2), 6) == 1 + 18 * M**2 + 54 * M**4 + 20 * M**6
    assert walk_variance(KEPT) == 1 and walk_variance(make_rule("alternating", "He3", keep_a=True)) == 36


@pytest.mark.parametrize("m", [0.0, 0.6])
def test_second_layer_increment_by_monte_carlo(m):
    """The rule's own kernel: E[a' - a] = eta m^3 and E[(a' - a)^2] = eta^2 (1 + 18 m^2 + 54 m^4 + 20 m^6)."""
    eta, n = 0.1, 400_000
    model = step_model(KEPT, eta, 50)
    rng = np.random.default_rng(1)
    u, g = rng.standard_normal(n), rng.standard_normal(n)
    z = m * u + math.sqrt(1 - m * m) * g
    y = model.target(u)
    _psi, a_next = model.kernel(y, z, np.full(n, 50.0), np.ones(n))
    da = a_next - 1.0
    # tolerance: 4 standard errors of each sample mean (the error of a Monte-Carlo mean is std/sqrt(n))
    assert abs(da.mean() - eta * m**3) < 4 * da.std() / math.sqrt(n)
    second = eta**2 * (1 + 18 * m**2 + 54 * m**4 + 20 * m**6)
    assert abs((da**2).mean() - second) < 4 * (da**2).std() / math.sqrt(n)


def test_crossover_and_regimes():
    assert crossover_steps(18, 3, 1) == 36 and crossover_steps(18, 3, 1, d=800) == 28800
    assert kept_layer_outlook(KEPT, 200, 0.0005).regime == "coincide"
    assert kept_layer_outlook(KEPT, 200, 0.005).regime == "correlational"
    for d, kappa_x in ((50, 0.125 * (1 + 50 / 80)), (200, 0.125 * (1 + 200 / 80)), (800, 0.125 * (1 + 800 / 80))):
        o = kept_layer_outlook(KEPT, d, 1.0)
        assert (o.regime, o.index, o.crossover_steps) == ("non-correlational", 2, 36.0 * d)
        # at eta = 1 E[psi^2] = 3 a^2 + 8649: kappa_x is the large-eta limit up to 3/8649 relative
        assert o.kappa_at_crossover == pytest.approx(kappa_x, rel=0.01)
    assert kept_layer_outlook(KEPT, 50, 1.0).kappa_at_crossover < 1 < kept_layer_outlook(KEPT, 800, 1.0).kappa_at_crossover


def test_outlook_refuses_other_rules():
    with pytest.raises(PredictionError, match="alternating SGD with the correlation loss"):
        kept_layer_outlook(make_rule("online", "h3"), 50, 0.1)
    with pytest.raises(PredictionError, match="outside the valid range"):
        kept_layer_outlook(KEPT, 50, 2.0)


def paired_log_ratio(d, eta, runs, seed, kappa=0.125):
    """Mean and standard error of log(T_kept / T_reset) over runs that hit in both (same seeds)."""
    gamma = step_size(predict(RESET), d, eta, kappa).gamma
    kept = simulate(KEPT, d, gamma, eta=eta, runs=runs, seed=seed, max_steps=2_000_000)
    reset = simulate(RESET, d, gamma, eta=eta, runs=runs, seed=seed, max_steps=2_000_000)
    both = (kept.status == "hit") & (reset.status == "hit")
    lr = np.log(kept.hitting_times[both] / reset.hitting_times[both])
    return lr.mean(), lr.std(ddof=1) / math.sqrt(both.sum()), int(both.sum())


@pytest.mark.slow
def test_kept_layer_coincides_for_small_eta_d():
    """eta d = 0.1 at d = 200: the walk spreads by about 0.1 over the escape; no difference."""
    mean, se, hits = paired_log_ratio(200, 0.0005, 120, seed=5)
    assert hits == 120
    assert abs(mean) < 4 * se and se < 0.03  # measured: +0.003 +- 0.009 (400 runs)


@pytest.mark.slow
def test_kept_layer_is_faster_in_the_index_2_regime():
    """d = 50, eta = 1: kappa_eff at the crossover 36 d is 0.2 < 1, so the kept layer helps."""
    assert kept_layer_outlook(KEPT, 50, 1.0).kappa_at_crossover < 1
    mean, se, hits = paired_log_ratio(50, 1.0, 200, seed=6)
    assert hits == 200
    assert mean < -4 * se  # measured: -0.48 +- 0.04 (400 runs), a ratio of about 0.62


@pytest.mark.slow
def test_kept_layer_is_stuck_where_gamma_is_too_large_for_it():
    """d = 800, eta = 1: kappa_eff of the kept term reaches 3.5 over the reset escape; kept runs stall.

    Budget: 4 times the reset median (3.75e5, measured); the comparison is of the fractions that hit
    within it, by a two-proportion test with the pooled standard error (4 of them).  Measured with
    40 runs: reset 40/40, kept 7/40.
    """
    d, eta, runs = 800, 1.0, 40
    o = kept_layer_outlook(KEPT, d, eta)
    assert o.kappa_at_crossover > 1 and o.kappa_at_reset > 3
    gamma = step_size(predict(RESET), d, eta).gamma
    kept = simulate(KEPT, d, gamma, eta=eta, runs=runs, seed=9, max_steps=1_500_000)
    reset = simulate(RESET, d, gamma, eta=eta, runs=runs, seed=9, max_steps=1_500_000)
    p_kept, p_reset = kept.hits / runs, reset.hits / runs
    pooled = (kept.hits + reset.hits) / (2 * runs)
    assert p_reset - p_kept > 4 * math.sqrt(pooled * (1 - pooled) * 2 / runs)


def test_predict_keep_a_reports_the_kept_layer_regime(capsys):
    # eta d = 0.1 at d = 200: the walk's spread x ~ eta d / sqrt(6 kappa) ~ 0.1 / sqrt(0.75) < 1/2: "coincide"
    import json

    from theory.cli import main
    assert main(["predict", "--rule", "alternating", "--target", "h3", "--keep-a", "--d", "200", "--eta", "0.0005",
                 "--json"]) == 0
    kept = json.loads(capsys.readouterr().out)["kept_layer"]
    assert kept["regime"] == "coincide" and kept["index"] == 3
    assert kept["spread"] < 0.5
