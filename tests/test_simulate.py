"""Tests of the simulation engines (``theory.simulate``).

Test policy: each test pins one mathematical property of the simulated chain or cross-checks two code
paths that must agree:

* the full ``d``-dimensional engine and the reduced overlap chain are equal in law (two-sample tests on
  hitting times, for online SGD, batch reuse and alternating SGD with the second layer reset or kept),
  and the same tests reject engines run at a different ``d`` or ``gamma`` (power);
* the full engine's mean one-step change of ``m`` matches the drift: the second-order formula of
  docs/theory.md, sections 4 and 7 at a step small enough for the rest of the expansion to be negligible
  (checked by quadrature), and an independent quadrature of the exact one-step map at a larger step;
* online SGD with ``He_3`` needs ``~ d^2`` steps (fitted exponent);
* determinism, input validation, divergence and censoring are reported as documented.

Monte Carlo tolerances are stated in standard errors computed from the samples themselves; two-sample
tests fail at p < 0.001 (see ``ALPHA``). All seeds are fixed, so every test is deterministic.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.polynomial.hermite_e import hermegauss
from scipy import stats
from scipy.special import gammaln, roots_genlaguerre

from theory.simulate import (
    SimulationInputError,
    SimulationResult,
    StepModel,
    one_step_increments,
    simulate,
)
from theory.simulate.full import full_step, run_full
from theory.simulate.reduced import reduced_step, run_reduced
from theory.simulate.common import child_sequence

# Eight equality-in-law comparisons plus the extra cases run in this file: at a per-test level of
# 0.001 the chance that any of them fails by bad luck for a correct engine is below about 1.5%
# (Bonferroni), while the power checks below reject clearly different laws with p far below 1e-3.
ALPHA = 1e-3

SQRT6 = math.sqrt(6.0)


# ---------------------------------------------------------------------------------------- models
def he3(u):
    """``He_3(u) = u^3 - 3u``."""
    return u * (u * u - 3.0)


def dhe3(z):
    """``He_3'(z) = 3 z^2 - 3``."""
    return 3.0 * z * z - 3.0


def h3(u):
    """Unit-variance ``h_3 = He_3 / sqrt(6)``."""
    return he3(u) / SQRT6


def dh3(z):
    return dhe3(z) / SQRT6


def online_model(noise=0.0):
    """Online SGD, correlation loss, ``sigma = sigma_* = He_3``: ``psi = a y sigma'(z)``."""
    return StepModel(target=he3, kernel=lambda y, z, q, a: (a * y * dhe3(z), a), noise=noise, name="online")


def batch_reuse_model(eta):
    """Batch reuse, ``He_3``: a first step with ``eta`` on the same sample, then the gradient at ``w~``."""

    def kernel(y, z, q, a):
        psi1 = y * dhe3(z)
        z_tilde = z + eta * psi1 * q
        return y * dhe3(z_tilde), a

    return StepModel(target=he3, kernel=kernel, name="batch-reuse")


def alternating_model(eta, keep):
    """Alternating SGD, ``h_3``: ``a~ = a + eta y sigma(z)``, ``psi = a~ y sigma'(z)``; keep ``a~`` or reset."""

    def kernel(y, z, q, a):
        a_tilde = a + eta * y * h3(z)
        return a_tilde * y * dh3(z), (a_tilde if keep else a)

    return StepModel(target=h3, kernel=kernel, name="alternating-" + ("kept" if keep else "reset"))


def times_with_censoring(res: SimulationResult) -> np.ndarray:
    """Hitting times with every non-hit at ``max_steps + 1`` (the same censoring for both engines)."""
    return np.where(res.status == "hit", res.hitting_times, res.max_steps + 1)


# Runs finish in tens to a few thousand steps with these (d, gamma = c d^{-3/2}).
EQUALITY_CASES = [
    ("online", lambda d: online_model(), 8, 0.05),
    ("online", lambda d: online_model(), 20, 0.1),
    ("batch-reuse", lambda d: batch_reuse_model(0.2 / d), 8, 0.003),
    ("batch-reuse", lambda d: batch_reuse_model(0.2 / d), 20, 0.004),
    ("alternating-reset", lambda d: alternating_model(0.3, keep=False), 8, 0.3),
    ("alternating-reset", lambda d: alternating_model(0.3, keep=False), 20, 1.0),
    ("alternating-kept", lambda d: alternating_model(0.3, keep=True), 8, 0.3),
    ("alternating-kept", lambda d: alternating_model(0.3, keep=True), 20, 1.0),
]
RUNS = 300
MAX_STEPS = 20_000


@pytest.mark.parametrize("name, make, d, c", EQUALITY_CASES, ids=[f"{n}-d{d}" for n, _, d, _ in EQUALITY_CASES])
def test_full_and_reduced_engines_equal_in_law(name, make, d, c):
    model = make(d)
    gamma = c * d ** -1.5
    full = simulate(model, d, gamma, runs=RUNS, seed=101, engine="full", max_steps=MAX_STEPS)
    red = simulate(model, d, gamma, runs=RUNS, seed=202, engine="reduced", max_steps=MAX_STEPS)
    assert full.hits >= 0.9 * RUNS and red.hits >= 0.9 * RUNS  # the comparison is about hitting times
    assert full.diverged == red.diverged == 0
    p_ks = stats.ks_2samp(times_with_censoring(full), times_with_censoring(red)).pvalue
    assert p_ks >= ALPHA, f"{name} d={d}: KS p = {p_ks:.2g}"


def test_equality_in_law_with_noise_fixed_start_and_signed_threshold():
    model = online_model(noise=1.0)
    d, gamma = 12, 0.08 * 12 ** -1.5
    kw = dict(runs=RUNS, max_steps=MAX_STEPS, start="fixed", signed=True)
    full = simulate(model, d, gamma, seed=3, engine="full", **kw)
    red = simulate(model, d, gamma, seed=4, engine="reduced", **kw)
    assert np.all(full.final_m[full.status == "hit"] >= 0.5)
    assert np.all(red.final_m[red.status == "hit"] >= 0.5)
    assert stats.ks_2samp(times_with_censoring(full), times_with_censoring(red)).pvalue >= ALPHA


def test_equality_in_law_of_the_null_chain():
    # Without signal, |m| still random-walks to the threshold at small d: compare those laws too.
    model = online_model()
    d, gamma = 6, 0.1 * 6 ** -1.5
    full = simulate(model, d, gamma, runs=RUNS, seed=5, engine="full", null=True, max_steps=5000)
    red = simulate(model, d, gamma, runs=RUNS, seed=6, engine="reduced", null=True, max_steps=5000)
    assert stats.ks_2samp(times_with_censoring(full), times_with_censoring(red)).pvalue >= ALPHA


@pytest.mark.parametrize("d_other, gamma_factor", [(40, 1.0), (20, 1.5)], ids=["d20-vs-d40", "gamma-x1.5"])
def test_two_sample_test_has_power(d_other, gamma_factor):
    # The equality tests above would be empty if the KS test could not tell different laws apart:
    # the full engine at d = 20 against the reduced one at twice the dimension, or 1.5 times the step.
    model = online_model()
    gamma = 0.1 * 20 ** -1.5
    full = simulate(model, 20, gamma, runs=RUNS, seed=101, engine="full", max_steps=MAX_STEPS)
    other = simulate(model, d_other, gamma * gamma_factor, runs=RUNS, seed=202, engine="reduced",
                     max_steps=MAX_STEPS)
    assert stats.ks_2samp(times_with_censoring(full), times_with_censoring(other)).pvalue < ALPHA


@pytest.mark.parametrize("engine", ["full", "reduced"])
def test_uniform_start_law(engine):
    # With psi = 0 the first layer never moves, so final_m is the start: m0^2 ~ Beta(1/2, (d-1)/2).
    model = StepModel(target=he3, kernel=lambda y, z, q, a: (0.0 * z, a))
    d = 7
    res = simulate(model, d, 0.1, runs=2000, seed=9, engine=engine, max_steps=1, m_thr=0.999, start="uniform")
    assert res.censored == res.runs
    p = stats.kstest(res.final_m**2, stats.beta(0.5, (d - 1) / 2).cdf).pvalue
    assert p >= ALPHA
    # and the sign is symmetric: binomial test of the number of positive starts
    assert stats.binomtest(int((res.final_m > 0).sum()), res.runs).pvalue >= ALPHA


@pytest.mark.parametrize("engine", ["full", "reduced"])
def test_default_start_is_the_positive_hemisphere(engine):
    # The documented default (issue 10): the uniform law conditioned on m0 > 0, the same |m0| law.
    model = StepModel(target=he3, kernel=lambda y, z, q, a: (0.0 * z, a))
    d = 7
    res = simulate(model, d, 0.1, runs=2000, seed=9, engine=engine, max_steps=1, m_thr=0.999)
    uniform = simulate(model, d, 0.1, runs=2000, seed=9, engine=engine, max_steps=1, m_thr=0.999, start="uniform")
    assert res.start == "positive" and bool(np.all(res.final_m > 0))
    # same streams, the sign taken off: exactly the uniform start's |m0|
    assert np.array_equal(res.final_m, np.abs(uniform.final_m))


@pytest.mark.parametrize("engine", ["full", "reduced"])
def test_fixed_start(engine):
    model = StepModel(target=he3, kernel=lambda y, z, q, a: (0.0 * z, a))
    res = simulate(model, 16, 0.1, runs=5, seed=0, engine=engine, max_steps=3, start="fixed")
    np.testing.assert_allclose(res.final_m, 0.25, rtol=1e-12)
    assert list(res.steps) == [3] * 5


# ---------------------------------------------------------------- the reduction, sample path by path
@settings(max_examples=200, deadline=None)
@given(
    m=st.floats(-0.999, 0.999),
    u=st.floats(-6, 6),
    g=st.floats(-6, 6),
    r=st.lists(st.floats(-6, 6), min_size=1, max_size=6),
    psi=st.floats(-1e3, 1e3),
    gamma=st.floats(1e-6, 10.0),
)
def test_reduced_step_is_the_full_step_on_the_same_sample(m, u, g, r, psi, gamma):
    # With theta = e_1, w = m e_1 + s e_2 and x = (u, g, r), the full d-dimensional step and the
    # overlap map of docs/theory.md, section 8 see the same (z, q), hand the kernel the same inputs and
    # give the same m' (up to rounding).
    seen = {}

    def kernel(y, z, q, a):
        seen.setdefault("inputs", []).append((float(np.ravel(z)[0]), float(np.ravel(q)[0])))
        return psi + 0.0 * z, a

    s = math.sqrt(1 - m * m)
    W = np.array([[m, s] + [0.0] * len(r)])
    X = np.array([[u, g] + list(r)])
    full_step(W, X, np.zeros(1), np.ones(1), kernel, gamma)
    one = np.ones(1)
    R = float(sum(v * v for v in r))  # ||r||^2: the sample outside span(theta, w)
    m_red, _, _ = reduced_step(m * one, one, u * one, g * one, R * one, 0 * one, kernel, gamma)
    (z_full, q_full), (z_red, q_red) = seen["inputs"]
    scale = 1.0 + float((X * X).sum())
    assert z_full == pytest.approx(z_red, abs=1e-12 * scale)
    assert q_full == pytest.approx(q_red, abs=1e-10 * scale)
    assert m_red[0] == pytest.approx(W[0, 0], abs=1e-9)
    assert abs(m_red[0]) <= 1.0 + 1e-12


# ------------------------------------------------------------------------------------------ drift
def _gauss_hermite(n):
    x, w = hermegauss(n)
    return x, w / math.sqrt(2.0 * math.pi)  # hermegauss weights sum to sqrt(2 pi)


def _chi2_nodes(n, df):
    """Nodes and weights for E[f(R)], R ~ chi^2_df: R = 2t, t ~ Gamma(df/2), generalised Gauss-Laguerre."""
    k = df / 2.0
    t, w = roots_genlaguerre(n, k - 1.0)
    return 2.0 * t, np.exp(np.log(w) - gammaln(k))


def one_step_moments(m, d, gamma, n=80, n_r=40):
    """Quadrature over (u, g, R) of the exact one-step map of docs/theory.md, section 8, online SGD, He_3, a = 1.

    Returns E[m' - m], E[psi (u - z m)], E[psi^2 q]. Gauss-Hermite in u, g and generalised Gauss-Laguerre
    in R; the last two expectations are polynomial and exact, the first converges (checked below).
    """
    x, w = _gauss_hermite(n)
    R, wr = _chi2_nodes(n_r, d - 2)
    u, g, RR = x[:, None, None], x[None, :, None], R[None, None, :]
    W = w[:, None, None] * w[None, :, None] * wr[None, None, :]
    s = math.sqrt(1.0 - m * m)
    z = m * u + s * g
    q = u * u + g * g + RR - z * z
    psi = he3(u) * dhe3(z)
    c = gamma * psi
    m_next = (m + c * (u - z * m)) / np.sqrt(1.0 + c * c * q)
    return float((W * (m_next - m)).sum()), float((W * psi * (u - z * m)).sum()), float((W * psi**2 * q).sum())


def test_first_order_drift_coefficient_by_quadrature():
    # E[psi <theta, P_w^perp x>] = (1 - m^2) sum_i i! mu_i m^(i-1) with mu_3 = 3 u_3(He_3)^2 = 3: 18 m^2 (1 - m^2)
    for m in (0.1, 0.3, 0.7):
        _, first, _ = one_step_moments(m, 20, 1e-3, n=40, n_r=20)
        assert first == pytest.approx(18 * m * m * (1 - m * m), rel=1e-12)


def test_full_engine_mean_increment_matches_second_order_drift():
    # Predicted drift to second order in gamma: gamma (1-m^2) 3! mu_3 m^2 - (gamma^2/2) m E[psi^2 q].
    # m' - m has higher-order terms too; gamma = 2e-5 makes them small: the quadrature of the exact map
    # below puts them at about 0.1 standard error of this Monte Carlo mean (asserted, < 0.25 SE).
    # At this gamma the signal term is about 80 SE and the second-order (normalisation) term about 1 SE:
    # this test pins the signal term to within 5%; the next test checks the full map, shrinkage
    # included, at a larger step.
    m, d, gamma, samples = 0.3, 20, 2e-5, 4_000_000
    exact, first, psi2q = one_step_moments(m, d, gamma)
    predicted = gamma * (1 - m * m) * math.factorial(3) * 3 * m**2 - gamma**2 / 2 * m * psi2q
    inc = one_step_increments(online_model(), d, gamma, m, samples=samples, seed=2024, engine="full")
    se = inc.std(ddof=1) / math.sqrt(samples)
    assert abs(exact - predicted) < 0.25 * se, "higher-order terms are not negligible at this gamma"
    assert abs(inc.mean() - predicted) < 4 * se, (inc.mean(), predicted, se)


@pytest.mark.parametrize("engine", ["full", "reduced"])
def test_mean_increment_matches_quadrature_of_exact_map(engine):
    # At gamma = 3e-3 the normalisation dominates: the exact mean is ~4e-5 while the second-order
    # formula predicts about -3.5e-3, some 100 standard errors away. The engines must follow the exact map.
    m, d, gamma, samples = 0.3, 20, 3e-3, 1_000_000
    exact, first, psi2q = one_step_moments(m, d, gamma)
    exact_fine, _, _ = one_step_moments(m, d, gamma, n=120, n_r=60)
    inc = one_step_increments(online_model(), d, gamma, m, samples=samples, seed=77, engine=engine)
    se = inc.std(ddof=1) / math.sqrt(samples)
    assert abs(exact - exact_fine) < 0.01 * se  # quadrature converged
    assert abs(inc.mean() - exact) < 4 * se, (inc.mean(), exact, se)
    second_order = gamma * first - gamma**2 / 2 * m * psi2q
    assert abs(second_order - exact) > 20 * se  # the check above can see higher-order terms


def test_one_step_increments_full_vs_reduced_samples_agree_in_law():
    model = alternating_model(0.5, keep=False)
    a = one_step_increments(model, 9, 0.05, 0.4, samples=20_000, seed=1, engine="full")
    b = one_step_increments(model, 9, 0.05, 0.4, samples=20_000, seed=2, engine="reduced")
    assert stats.ks_2samp(a, b).pvalue >= ALPHA


# ---------------------------------------------------------------------------------------- scaling
def test_online_he3_hitting_time_grows_like_d_squared():
    # Information exponent 3: T ~ d^2 with gamma = c d^{-3/2} (docs/theory.md, sections 3, 6, 7), from the
    # uniform start. c = 0.1 is near the rule of thumb mu_3 / E[psi^2] ~ 3/108 times a few; medians are
    # about 1.3 d^2. With 300 runs the median of a hitting time (coefficient of variation ~ 1) has a
    # relative standard error of about 0.07, which gives the fitted slope a standard error near 0.05:
    # the tolerance 0.25 leaves room for the log factors the theory allows at these small d.
    # max_steps = 10 d^2 censors only the far tail, which does not move a median.
    ds = np.array([16, 32, 64, 128])
    medians = []
    for d in ds:
        res = simulate(online_model(), int(d), 0.1 * d ** -1.5, runs=300, seed=int(d), max_steps=int(10 * d * d))
        assert res.median is not None
        medians.append(res.median)
    slope = np.polyfit(np.log(ds), np.log(medians), 1)[0]
    assert abs(slope - 2.0) < 0.25, (slope, medians)


def test_null_control_rarely_hits_where_the_signal_does():
    d, gamma = 40, 0.1 * 40 ** -1.5
    signal = simulate(online_model(), d, gamma, runs=100, seed=1, max_steps=20_000)
    null = simulate(online_model(), d, gamma, runs=100, seed=1, max_steps=20_000, null=True)
    assert signal.hits >= 90
    assert null.hits <= 20
    assert null.median is None


# ---------------------------------------------------------------------------------- reproducibility
@pytest.mark.parametrize("engine", ["full", "reduced"])
def test_same_seed_same_results(engine):
    model = alternating_model(0.3, keep=True)
    kw = dict(runs=40, engine=engine, max_steps=3000)
    a = simulate(model, 10, 0.05, seed=12, **kw)
    b = simulate(model, 10, 0.05, seed=12, **kw)
    c = simulate(model, 10, 0.05, seed=13, **kw)
    assert a.to_dict() == b.to_dict()
    assert not np.array_equal(a.hitting_times, c.hitting_times)


def test_seed_sequence_is_not_mutated_and_equals_its_entropy():
    model = online_model()
    ss = np.random.SeedSequence(4321)
    a = simulate(model, 10, 0.05, runs=20, seed=ss)
    b = simulate(model, 10, 0.05, runs=20, seed=ss)
    c = simulate(model, 10, 0.05, runs=20, seed=4321)
    assert ss.n_children_spawned == 0
    assert np.array_equal(a.hitting_times, b.hitting_times)
    assert np.array_equal(a.hitting_times, c.hitting_times)
    # run i uses the i-th spawned child, as SeedSequence.spawn would give it
    assert child_sequence(ss, 3).spawn_key == np.random.SeedSequence(4321).spawn(4)[3].spawn_key


@pytest.mark.parametrize("engine", ["full", "reduced"])
def test_runs_do_not_depend_on_other_runs(engine):
    model = online_model()
    small = simulate(model, 10, 0.05, runs=7, seed=5, engine=engine, max_steps=4000)
    large = simulate(model, 10, 0.05, runs=30, seed=5, engine=engine, max_steps=4000)
    assert np.array_equal(small.hitting_times, large.hitting_times[:7])
    assert np.array_equal(small.final_m, large.final_m[:7])


def test_block_and_chunk_sizes_do_not_change_results():
    model = StepModel(target=he3, kernel=batch_reuse_model(0.02).kernel, noise=0.5)
    seqs = [child_sequence(np.random.SeedSequence(8), i) for i in range(25)]
    kw = dict(m_thr=0.5, signed=False, max_steps=2500, start="uniform", null=False)
    base = run_reduced(model, 10, 0.01, seqs, **kw)
    for block in (1, 7, 300):
        other = run_reduced(model, 10, 0.01, seqs, block=block, **kw)
        for key in base:
            assert np.array_equal(base[key], other[key]), (block, key)
    base = run_full(model, 10, 0.01, seqs, **kw)
    for block, chunk in ((1, 25), (13, 4), (64, 1)):
        other = run_full(model, 10, 0.01, seqs, block=block, chunk=chunk, **kw)
        for key in base:
            assert np.array_equal(base[key], other[key]), (block, chunk, key)


# ----------------------------------------------------------------------------- outcomes and inputs
@pytest.mark.parametrize("engine", ["full", "reduced"])
@pytest.mark.parametrize("bad", ["psi-inf", "psi-nan", "a-inf", "some"])
def test_divergence_is_reported_and_never_a_hit(engine, bad):
    def kernel(y, z, q, a):
        psi = y * dhe3(z)
        if bad == "psi-inf":
            return psi * np.inf, a
        if bad == "psi-nan":
            return psi * np.nan, a
        if bad == "a-inf":
            return psi, a * np.inf
        return np.where(np.abs(z) > 2.5, np.inf, psi), a  # diverges when a rare large z shows up

    model = StepModel(target=he3, kernel=kernel)
    res = simulate(model, 10, 0.001, runs=30, seed=1, engine=engine, max_steps=2000, start="fixed")
    assert res.hits + res.censored + res.diverged == 30
    assert np.all(res.hitting_times[res.status == "diverged"] == -1)
    if bad != "some":
        assert res.diverged == 30
        assert np.all(res.steps == 1)
    else:
        assert res.diverged >= 25  # P(|z| > 2.5) = 1.2% per step: within 2000 steps nearly surely
    json.dumps(res.to_dict())  # NaN overlaps become None


def test_huge_but_finite_psi_overflowing_the_normalisation_is_divergence():
    model = StepModel(target=he3, kernel=lambda y, z, q, a: (1e200 + 0 * z, a))
    for engine in ("full", "reduced"):
        res = simulate(model, 10, 1.0, runs=5, seed=0, engine=engine, max_steps=10, start="fixed")
        assert res.diverged == 5, engine


def test_censoring_and_summaries():
    model = online_model()
    res = simulate(model, 30, 1e-6, runs=10, seed=0, max_steps=50)
    assert res.censored == 10 and res.hits == 0
    assert res.median is None and res.mean is None
    assert np.all(res.hitting_times == -1) and np.all(res.steps == 50)
    # median over all runs with non-hits at +inf; None once it is not finite
    r = SimulationResult.from_runs(
        hitting_times=[5, 7, -1, 3, -1], status=["hit", "hit", "censored", "hit", "diverged"],
        steps=[5, 7, 9, 3, 2], final_m=[0.6, 0.5, 0.1, -0.7, np.nan], gamma=0.1, d=4, runs=5,
        engine="reduced", seed=0, m_thr=0.5, signed=False, max_steps=9, start="uniform", null=False)
    assert (r.hits, r.censored, r.diverged) == (3, 1, 1)
    assert r.median == 7.0 and r.mean == 5.0
    r2 = SimulationResult.from_runs(
        hitting_times=[5, -1, -1], status=["hit", "censored", "censored"], steps=[5, 9, 9],
        final_m=[0.6, 0, 0], gamma=0.1, d=4, runs=3, engine="full", seed=0, m_thr=0.5, signed=False,
        max_steps=9, start="uniform", null=False)
    assert r2.median is None and r2.mean == 5.0


def test_start_above_threshold_is_a_hit_at_time_zero():
    model = online_model()
    res = simulate(model, 2, 0.01, runs=200, seed=0, max_steps=10)
    # at d = 2, P(|m0| >= 1/2) = P(|cos| >= 1/2) = 2/3 for a uniform angle
    zero = int((res.hitting_times == 0).sum())
    assert stats.binomtest(zero, 200, 2 / 3).pvalue >= ALPHA
    assert np.all(np.abs(res.final_m[res.hitting_times == 0]) >= 0.5)


def test_to_dict_is_json_round_trippable():
    res = simulate(alternating_model(0.1, keep=False), 10, 0.05, runs=5, seed=SEED_FOR_DICT, max_steps=500)
    data = json.loads(json.dumps(res.to_dict()))
    assert data["runs"] == 5 and data["engine"] == "reduced" and data["seed"] == SEED_FOR_DICT
    assert len(data["hitting_times"]) == 5 and set(data["status"]) <= {"hit", "censored", "diverged"}
    assert [t is None for t in data["hitting_times"]] == [s != "hit" for s in data["status"]]
    censored = simulate(online_model(), 30, 1e-6, runs=3, seed=0, max_steps=5).to_dict()
    assert censored["hitting_times"] == [None, None, None] and censored["median"] is None
    ss_res = simulate(online_model(), 10, 0.05, runs=2, seed=np.random.SeedSequence(3), max_steps=5)
    assert json.loads(json.dumps(ss_res.to_dict()))["seed"] == {"entropy": 3, "spawn_key": []}


SEED_FOR_DICT = 99


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(d=1), "d"),
        (dict(d=2.5), "d"),
        (dict(gamma=0.0), "gamma"),
        (dict(gamma=-1e-3), "gamma"),
        (dict(gamma=float("nan")), "gamma"),
        (dict(runs=0), "runs"),
        (dict(runs=-3), "runs"),
        (dict(max_steps=0), "max_steps"),
        (dict(m_thr=0.0), "m_thr"),
        (dict(m_thr=1.0), "m_thr"),
        (dict(m_thr=1.5), "m_thr"),
        (dict(engine="gpu"), "engine"),
        (dict(start="cold"), "start"),
        (dict(seed=-1), "seed"),
        (dict(seed="abc"), "seed"),
        (dict(signed="yes"), "signed"),
        (dict(null=1), "null"),
        (dict(model=StepModel(target=he3, kernel=None)), "model.kernel"),
        (dict(model=StepModel(target=he3, kernel=lambda y, z, q, a: (z, a), noise=-1.0)), "model.noise"),
    ],
)
def test_bad_inputs_raise_naming_the_input(kwargs, name):
    args = dict(model=online_model(), d=10, gamma=0.01, runs=3, seed=0)
    args.update(kwargs)
    with pytest.raises(SimulationInputError, match=rf"^{name}\b"):
        simulate(**args)


@pytest.mark.parametrize(
    "kwargs, name",
    [(dict(m=1.5), "m"), (dict(samples=0), "samples"), (dict(gamma=0), "gamma"), (dict(engine="x"), "engine"),
     (dict(d=1), "d")],
)
def test_one_step_bad_inputs(kwargs, name):
    args = dict(model=online_model(), d=10, gamma=0.01, m=0.3, samples=10, seed=0)
    args.update(kwargs)
    with pytest.raises(SimulationInputError, match=rf"^{name}\b"):
        one_step_increments(**args)


def test_simulation_input_error_is_a_value_error():
    with pytest.raises(ValueError):
        simulate(online_model(), 0, 0.1, runs=1, seed=0)


# ----------------------------------------------------------------------- bounded memory, progress (issue 9, item 7)
def _compiled_online_model():
    from theory.simulate.cases import model_for

    return model_for({"rule": "online", "loss": "correlation", "target": "He3", "student": "He3", "a": 1.0,
                      "order": None, "keep_a": False, "psi": None, "noise": 0.0}, 0.0, 10)


@pytest.mark.parametrize("engine, make", [("full", online_model), ("reduced", online_model),
                                          ("reduced", _compiled_online_model)])
def test_run_chunks_do_not_change_any_run(engine, make, monkeypatch):
    from theory.simulate import engines

    model = make()
    base = simulate(model, 10, 0.05, runs=11, seed=9, engine=engine, max_steps=3000)
    monkeypatch.setattr(engines, "RUN_CHUNK", 3)  # streams made 3 runs at a time
    other = simulate(model, 10, 0.05, runs=11, seed=9, engine=engine, max_steps=3000)
    for key in ("hitting_times", "status", "steps", "final_m"):
        assert np.array_equal(getattr(base, key), getattr(other, key)), key


def test_memory_does_not_grow_with_generators_for_every_run():
    import tracemalloc

    from theory.simulate import engines

    runs = 40_000
    tracemalloc.start()
    res = simulate(online_model(), 10, 0.05, runs=runs, seed=0, max_steps=2)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert res.runs == runs
    # two PCG64 generators and their SeedSequence cost about 2.2 kB per run (88 MB here if all were made up
    # front); made RUN_CHUNK runs at a time, they cost at most RUN_CHUNK * 2.2 kB, plus tens of bytes of
    # results per run
    assert peak < engines.RUN_CHUNK * 4000 + runs * 200, peak


def test_progress_reports_finished_runs_on_stderr(capsys):
    from theory.simulate.common import Progress

    bar = Progress(4, 100, enabled=True, delay=0)
    bar.runs_done(3)
    bar.runs_done(1)
    bar.close()
    captured = capsys.readouterr()
    assert captured.out == "" and "4/4" in captured.err
    quiet = Progress(4, 100, enabled=False)
    quiet.runs_done(4)
    quiet.close()
    assert capsys.readouterr().err == ""
