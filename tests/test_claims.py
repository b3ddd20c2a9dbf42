"""Each claim kind on synthetic records with a known answer: it PASSes when the data agree with the
prediction, FAILs when they contradict it, and is not measurable (FAIL) or a SKIP (verdict INCOMPLETE)
where data are missing.  No simulation: records are built by hand.

Run-to-run spread: every point gets ``n`` runs at fixed quantiles of an exponential law scaled so their
median is the point's median ``T``, so the bootstrap SE is that of a real, modestly noisy point.
"""
import math
from dataclasses import replace

import numpy as np
import pytest

from theory.predict import predict
from theory.rules import make_rule
from theory.verify import (QUICK, Bootstrap, NullControlClaim, NullControls, ScalingClaim, Sweep, ThresholdClaim,
                           VerifyReport, WindowSlopeClaim, assess, make_plan)
from theory.verify.records import group, null_point, point_key

RUNS = 40
# exponential quantiles with median 1: T_run = median * q
_Q = -np.log1p(-(np.arange(RUNS) + 0.5) / RUNS) / math.log(2)


def runs(p, med, n=RUNS, censored=0):
    """``n`` records of point ``p`` with median ``med``; the ``censored`` slowest never hit."""
    q = _Q if n == RUNS else -np.log1p(-(np.arange(n) + 0.5) / n) / math.log(2)
    out = []
    for r, x in enumerate(q):
        if r >= n - censored:
            out.append(dict(p, run=r, status="censored", hitting_time=None))
        else:
            out.append(dict(p, run=r, status="hit", hitting_time=float(med * x)))
    return out


def boot_of(records, B=200, seed=1):
    return Bootstrap(group(records), B, seed)


DS = (25, 50, 100, 200)


# ---------------------------------------------------------------------------
# scaling: exponent of T in d
# ---------------------------------------------------------------------------
def scaling(exponent, lf=None, censor_at=None, spread=1):
    pts = [{"tag": "small", "d": d, "eta": 0.001} for d in DS]
    recs = []
    for p in pts:
        med = 3.0 * p["d"] ** exponent * (math.log(p["d"]) if lf else 1.0)
        if spread != 1:  # a wildly noisy point: runs spread over `spread` decades
            recs += [dict(p, run=r, status="hit", hitting_time=float(med * spread ** (2 * r / (RUNS - 1) - 1)))
                     for r in range(RUNS)]
        else:
            recs += runs(p, med, censored=RUNS // 2 + 1 if p["d"] == censor_at else 0)
    factors = [math.log(p["d"]) if lf else 1.0 for p in pts]
    return pts, recs, factors


def test_scaling_claim_passes_on_the_predicted_exponent():
    pts, recs, lf = scaling(2.0)
    c = ScalingClaim("small", pts, [3] * 4, lf, 2.0, 1.0, 0.125).evaluate(boot_of(recs))
    assert c.status == "pass", c.detail
    assert c.measured == pytest.approx(2.0, abs=1e-9)  # the medians lie on d^2 exactly
    assert 0 < c.se < 0.2


def test_scaling_claim_fails_on_a_slope_of_one_against_two():
    pts, recs, lf = scaling(1.0)
    c = ScalingClaim("small", pts, [3] * 4, lf, 2.0, 1.0, 0.125).evaluate(boot_of(recs))
    assert c.status == "fail" and c.measured == pytest.approx(1.0, abs=1e-9)
    assert "SE from the prediction" in c.detail


def test_scaling_claim_divides_by_ln_d_for_the_exponential_escape():
    pts, recs, lf = scaling(1.0, lf=True)  # T = 3 d ln d: slope 1 only after the division
    c = ScalingClaim("large", pts, [2] * 4, lf, 1.0, 2.0, 0.125).evaluate(boot_of(recs))
    assert c.status == "pass" and c.measured == pytest.approx(1.0, abs=1e-9)
    assert "median T / ln d" in c.detail
    undivided = ScalingClaim("large", pts, [2] * 4, [1.0] * 4, 1.0, 2.0, 0.125).evaluate(boot_of(recs))
    assert undivided.measured == pytest.approx(1 + 1 / math.log(math.sqrt(25 * 200)), abs=0.05)  # the ln d bias


def test_scaling_claim_that_cannot_tell_the_alternative_apart_is_inconclusive():
    pts, recs, lf = scaling(2.0, spread=1e3)
    c = ScalingClaim("small", pts, [3] * 4, lf, 2.0, 1.0, 0.125).evaluate(boot_of(recs))
    assert c.status == "fail" and "inconclusive" in c.detail and 3 * c.se >= 1.0


def test_scaling_claim_is_not_measurable_when_a_median_is_censored():
    pts, recs, lf = scaling(2.0, censor_at=100)
    c = ScalingClaim("small", pts, [3] * 4, lf, 2.0, 1.0, 0.125).evaluate(boot_of(recs))
    assert c.status == "fail" and c.measured is None and "not measurable" in c.detail


# ---------------------------------------------------------------------------
# threshold: the break eta_b(d) moves as d^-alpha*
# ---------------------------------------------------------------------------
def sweeps(break_of_d, shape=lambda x: 1 / (1 + x**2), ds=DS, octaves=range(-4, 8)):
    """A sweep per d around 0.05 d^-1/2 (the grid the plan would build) with T/E[psi^2] = 1e4 d^2 shape(eta/eta_b)."""
    out, recs = [], []
    for d in ds:
        star, b = 0.05 * d**-0.5, break_of_d(d)
        pts = [{"tag": "sweep", "d": d, "eta": star * 2.0**k} for k in octaves]
        psi2 = [3.0 + p["eta"] for p in pts]  # E[psi^2] grows with eta; the claims must divide it out
        for p, s in zip(pts, psi2):
            recs += runs(p, s * 1e4 * d**2 * shape(p["eta"] / b))
        out.append(Sweep(d, pts, psi2, eta_star=star))
    return out, recs


def test_threshold_claim_passes_when_the_break_moves_as_predicted():
    sw, recs = sweeps(lambda d: 0.2 * d**-0.5)
    c = ThresholdClaim("thr", sw, -0.5, 0.0).evaluate(boot_of(recs))
    assert c.status == "pass", c.detail
    assert c.measured == pytest.approx(-0.5, abs=0.02)  # the break fit's grid is 0.5% of the range


def test_threshold_claim_fails_for_a_break_that_does_not_move():
    sw, recs = sweeps(lambda d: 0.02)
    c = ThresholdClaim("thr", sw, -0.5, 0.0).evaluate(boot_of(recs))
    assert c.status == "fail" and abs(c.measured) < 0.02 and "SE from the prediction" in c.detail


def test_threshold_claim_fails_for_a_break_in_the_wrong_place():
    sw, recs = sweeps(lambda d: 2.0 / d)  # moves as d^-1, not d^-1/2
    c = ThresholdClaim("thr", sw, -0.5, 0.0).evaluate(boot_of(recs))
    assert c.status == "fail" and c.measured == pytest.approx(-1.0, abs=0.03)


def test_threshold_claim_is_not_measurable_without_a_break_in_range():
    sw, recs = sweeps(lambda d: 1e3)  # the plateau never bends inside the sweep
    c = ThresholdClaim("thr", sw, -0.5, 0.0).evaluate(boot_of(recs))
    assert c.status == "fail" and c.measured is None and "not measurable" in c.detail


# ---------------------------------------------------------------------------
# windows: slope of T/E[psi^2] in eta either side of the break
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("side, window, predicted, other", [("below", (-4, -2), 0.0, -2.0),
                                                             ("above", (2, 4), -2.0, 0.0)])
def test_window_slopes_pass_on_the_two_term_model(side, window, predicted, other):
    sw, recs = sweeps(lambda d: 0.2 * d**-0.5)
    c = WindowSlopeClaim(side, side, sw, window, predicted, other).evaluate(boot_of(recs))
    # the model's own slopes over those windows: ln((1 + 16^-2)/(1 + 4^-2))/ln 4 and ln((1 + 16^2)/(1 + 4^2))/ln 4
    exact = {"below": math.log((1 + 16**-2) / (1 + 4**-2)) / math.log(4),
             "above": -math.log((1 + 16**2) / (1 + 4**2)) / math.log(4)}[side]
    assert c.measured == pytest.approx(exact, abs=0.02)
    assert c.status == "pass", c.detail


def test_window_slope_fails_when_the_large_eta_side_falls_as_eta_to_the_minus_one():
    sw, recs = sweeps(lambda d: 0.2 * d**-0.5, shape=lambda x: 1 / math.sqrt(1 + x**2), octaves=range(-4, 12))
    c = WindowSlopeClaim("above", "above", sw, (2, 4), -2.0, 0.0).evaluate(boot_of(recs))
    assert c.status == "fail" and c.measured == pytest.approx(-1.0, abs=0.1)


def test_window_outside_the_sweep_is_not_measurable():
    sw, recs = sweeps(lambda d: 0.2 * d**-0.5, octaves=range(-1, 8))  # too little plateau for eta_b/16
    c = WindowSlopeClaim("below", "below", sw, (-4, -2), 0.0, -2.0).evaluate(boot_of(recs))
    assert c.status == "fail" and c.measured is None and "not measurable" in c.detail


# ---------------------------------------------------------------------------
# null control
# ---------------------------------------------------------------------------
POINTS = [{"tag": "small", "d": d, "eta": 0.001, "gamma": 0.01, "null": False} for d in DS]


def null_setup(null_median_factor, missing=()):
    sig, nul = [], []
    for p in POINTS:
        sig += runs(p, 100.0 * p["d"])
    groups = group(sig)
    for p in POINTS:
        if p["d"] in missing:
            continue
        med = float(np.median(groups[point_key(p)]))
        q = null_point(p, 16, med, 4.0)
        # null runs censored at their budget of 4x the signal median, or hitting at `factor` x it
        nul += [dict(q, run=r, status="censored", hitting_time=None) if null_median_factor is None else
                dict(q, run=r, status="hit", hitting_time=med * null_median_factor) for r in range(16)]
    return NullControls(groups, group(nul), 16, 4.0)


def test_null_control_passes_when_null_runs_do_not_recover():
    claim, rows = NullControlClaim(POINTS, null_setup(None)).evaluate()
    assert claim.status == "pass" and claim.measured == 4.0 and all(r["null_median"] == math.inf for r in rows)


def test_null_control_fails_when_the_null_moves_as_fast_as_the_signal():
    claim, rows = NullControlClaim(POINTS, null_setup(1.5)).evaluate()
    assert claim.status == "fail" and claim.measured == 0.0 and "failing: d=25" in claim.detail
    assert not any(r["null_ok"] for r in rows)


def test_null_control_without_its_null_runs_fails_that_point():
    claim, rows = NullControlClaim(POINTS, null_setup(None, missing=(50,))).evaluate()
    assert claim.status == "fail" and claim.detail.startswith("3/4 points pass; failing: d=50")
    assert math.isnan(rows[1]["null_median"])


def test_null_control_without_points_is_a_skip():
    claim, rows = NullControlClaim([], null_setup(None)).evaluate()
    assert claim.status == "skip" and rows == []


# ---------------------------------------------------------------------------
# the assembly: claims the plan implies, judged on synthetic records (no simulation)
# ---------------------------------------------------------------------------
def plan_records(plan, median_of, null_factor=None):
    sig = [r for p in plan.points for r in runs(p, median_of(p))]
    groups = group(sig)
    nul = []
    for p in plan.points:
        med = float(np.median(groups[point_key(p)]))
        q = null_point(p, plan.cfg.null_runs, med, 4.0)
        nul += [dict(q, run=r, status="censored" if null_factor is None else "hit",
                     hitting_time=None if null_factor is None else med * null_factor) for r in range(plan.cfg.null_runs)]
    return groups, group(nul)


def test_assembly_on_the_headline_case_passes_on_two_term_data_and_fails_on_contradicting_data():
    cfg = replace(QUICK, ds_scaling=DS, ds_threshold=DS, bootstrap=100)
    pred = predict(make_rule("alternating", "h3", "h3"))
    plan = make_plan(cfg, pred, plot=False)
    assert plan.skips == {} and sorted(plan.sweep_etas) == list(DS)

    def two_terms(p, small_exponent=2.0, moving=True):
        # flat piece d^small_exponent below the break, eta^-2 above; the break at 4 eta*(d) (or fixed)
        d, eta = p["d"], p["eta"]
        b = 4 * 0.05 * d**-0.5 * math.sqrt(6) / 2 if moving else 0.05
        lf = math.log(d) if eta == 1.0 else 1.0
        return plan.psi2(d, eta) * 50 * d**small_exponent / (1 + (eta / b) ** 2) * lf

    claims, tables = assess(plan, *plan_records(plan, two_terms))
    status = {c.name.split(":")[0]: c.status for c in claims}
    assert status["small-eta exponent of T in d"] == "pass", claims[0].detail
    assert status["threshold moves as d^-1/2"] == "pass", claims[2].detail
    assert status["null control (signal 4x faster than null)"] == "pass"
    assert [r["d"] for r in tables.crossing] == list(DS) and len(tables.windows) == 2
    assert len(tables.null_controls) == len({point_key(dict(p, tag="")) for p in plan.points})

    claims, _ = assess(plan, *plan_records(plan, lambda p: two_terms(p, small_exponent=1.0)))
    assert claims[0].status == "fail" and claims[0].measured == pytest.approx(1.0, abs=0.05)
    claims, _ = assess(plan, *plan_records(plan, lambda p: two_terms(p, moving=False)))
    assert claims[2].name == "threshold moves as d^-1/2" and claims[2].status == "fail"
    claims, _ = assess(plan, *plan_records(plan, two_terms, null_factor=1.0))
    assert claims[-1].status == "fail" and VerifyReport(cfg, "", claims).verdict == "fail"


def test_assembly_lists_what_the_sizes_cannot_measure_as_skips_and_the_verdict_is_incomplete():
    """Squared loss, h3, d = 16, 20, 24: the large-eta exponent and the threshold are implied but not
    measurable (the finite-d winner at eta = 1 is index 3; the competing terms never cross)."""
    cfg = replace(QUICK, loss="squared", ds_scaling=(16, 20, 24), ds_threshold=(16, 20, 24), fig_d=20, runs=10)
    plan = make_plan(cfg, predict(make_rule("alternating", "h3", "h3", loss="squared")), plot=False)
    assert set(plan.skips) == {"large"} and plan.no_crossing == [16, 20, 24]
    claims, tables = assess(plan, *plan_records(plan, lambda p: 30.0 * p["d"] ** 2))
    skipped = [c.name for c in claims if c.status == "skip"]
    assert skipped == ["large-eta exponent of T in d", "threshold moves as d^-1/2",
                       "below the crossing: d log(T/E[psi^2]) / d log eta",
                       "above the crossing: d log(T/E[psi^2]) / d log eta"]
    assert all(c.detail.startswith("SKIP: ") for c in claims if c.status == "skip")
    report = VerifyReport(cfg, "", claims, tables)
    assert claims[0].status == "pass" and claims[-1].status == "pass"
    assert report.verdict == "incomplete" and not report.passed
    assert tables.crossing is None and tables.windows is None


# ------------------------------------------------------------------------- constants (diffusion means)
def _const_rows(factor=1.0, n=400, ds=(50, 100, 200), etas=(0.01, 0.1, 1.0), seed=0):
    """Exponential hitting times with mean 100 d, a prediction ``factor`` times the true mean."""
    rng = np.random.default_rng(seed)
    return [{"d": d, "eta": e, "diffusion_mean": factor * 100.0 * d, "times": rng.exponential(100.0 * d, n)}
            for d in ds for e in etas]


def _constants(rows, B=200):
    from theory.verify import ConstantsClaim, PlanConstants
    return ConstantsClaim(rows, PlanConstants(), seed=3, B=B).evaluate()


def test_constants_claim_passes_a_prediction_right_to_10_percent():
    # 400 exponential runs: SE of each mean is 5%, so the rms of 9 log ratios resolves 0.095 well below ln 1.25
    claim, table = _constants(_const_rows(1.10))
    assert claim.status == "pass", claim.detail
    assert abs(claim.measured - math.log(1.10)) < 3 * claim.se
    assert all(r["status"] == "ok" for r in table)


def test_constants_claim_fails_a_prediction_off_by_a_factor_2():
    # ln 2 = 0.69 against ln 1.25 + 3 SE = 0.37: every point is outside unless its mean is 7 SE off
    claim, table = _constants(_const_rows(2.0))
    assert claim.status == "fail"
    assert "outside the band" in claim.detail
    assert all(r["status"] == "outside" for r in table)


def test_constants_claim_fails_one_point_off_by_a_factor_3():
    rows = _const_rows(1.0)
    rows[4]["diffusion_mean"] *= 3
    claim, table = _constants(rows)
    assert claim.status == "fail" and [r["status"] for r in table].count("outside") == 1


def test_constants_claim_cannot_pass_on_noisy_means():
    # 8 runs a point: SE of a mean ~35%, so rms + 3 SE cannot be resolved below ln 1.25 even when exact
    claim, _ = _constants(_const_rows(1.0, n=8))
    assert claim.status == "fail" and "exceeds ln 1.25" in claim.detail


def test_constants_claim_exclusions_are_the_fixed_rules():
    rows = _const_rows(1.0, ds=(25, 50, 100, 200))
    rows[-1]["times"][0] = np.inf  # a censored run
    rows[0]["diffusion_mean"] *= 5  # at d = 25: excluded, so it cannot fail the claim
    claim, table = _constants(rows)
    status = [r["status"] for r in table]
    assert status[:3] == ["excluded: d < 50"] * 3 and status[-1] == "excluded: censored runs"
    assert claim.status == "pass" and "4 excluded" in claim.detail


def test_constants_claim_excludes_a_stable_zero_beyond_the_start_spread_only():
    # 3 / sqrt(d): 0.42 at d = 50, 0.21 at d = 200; a zero inside that is the equator's and is kept
    rows = _const_rows(1.0)
    rows[0]["stable_zeros"] = [-0.05]          # d = 50, inside the start's spread: kept
    rows[-1]["stable_zeros"] = [-0.38, 0.39]   # d = 200: excluded, and it cannot fail the claim
    rows[-1]["diffusion_mean"] *= 4
    claim, table = _constants(rows)
    assert table[0]["status"] == "ok"
    assert table[-1]["status"] == "excluded: drift's stable zero at m = -0.380"
    assert claim.status == "pass" and "1 excluded" in claim.detail


def test_the_drift_of_h3_at_large_eta_and_d_has_a_stable_zero_below_the_threshold():
    # the large profile's failing points: at d = 2400, eta = 0.29 (the theorem's step, kappa = 1/8) the exact
    # drift vanishes at m = +-0.37..0.40 < m_thr = 0.5, beyond 3/sqrt(d) = 0.061; at eta = 1e-3 it has only
    # the equator's zero; at d = 50, eta = 1 none
    from theory.predict import predict, step_size
    from theory.simulate.cases import rule_for
    from theory.verify import DEFAULT
    from theory.verify.numerics import diffusion_summary
    case = DEFAULT.case()
    pred = predict(rule_for(case))

    def zeros(d, eta):
        gamma, _ = step_size(pred, d, eta, DEFAULT.kappa)
        mean, z = diffusion_summary(case, d, eta, gamma, DEFAULT.m_thr, DEFAULT.signed, DEFAULT.start)
        assert math.isfinite(mean)
        return z

    far = [m for m in zeros(2400, 0.29) if abs(m) >= 3 / math.sqrt(2400)]
    assert len(far) == 2 and far[0] < 0 < far[1] and all(0.3 < abs(m) < 0.45 for m in far)
    assert all(abs(m) < 3 / math.sqrt(2400) for m in zeros(2400, 1e-3))
    assert zeros(50, 1.0) == []


def test_constants_claim_needs_three_dimensions():
    claim, _ = _constants(_const_rows(1.0, ds=(50, 100)))
    assert claim.status == "skip" and "needs 3" in claim.detail
