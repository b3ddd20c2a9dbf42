"""The learning-rate advisor against simulation (theory/advise.py: plateau, check_etas, check_verdict).

The fast tests feed constructed inputs with values worked out by hand. The slow test runs the
issue's check at d = 50 for alternating SGD on h3 (correlation loss, second layer reset) and
asserts its two criteria: the advised eta within a factor 2 of the simulated optimum set, and
the predicted T within 30% of the simulated mean at the advised eta.
"""

from __future__ import annotations

import math

import pytest

from theory.advise import DEFAULT_KAPPA_GRID, Advice, check_etas, check_verdict, plateau
from theory.errors import PredictionError


def _advice(eta, t, grid, d=50):
    return Advice(rule="test rule", d=d, eta=eta, gamma=0.01, kappa=1.0, predicted_T=t, index=3, regime="r",
                  small_eta={"eta": grid[0][0], "gamma": 0.01, "predicted_T": grid[0][1]}, small_eta_ratio=1.0,
                  grid=[{"eta": e, "predicted_T": v} for e, v in grid])


# -- plateau -------------------------------------------------------------------------------------

def test_plateau_is_the_contiguous_run_within_the_fraction():
    # 110 <= 1.1 * 100 is in (the boundary counts), 111 is out; the point at 64 is within 10% but
    # separated from the advised eta by 8 and 16, so it is not part of the plateau
    grid = [(0.25, 300.0), (0.5, 108.0), (1.0, 100.0), (2.0, 110.0), (4.0, 111.0), (8.0, 200.0), (16.0, 105.0)]
    assert plateau(_advice(1.0, 100.0, grid)) == (0.5, 2.0)
    # a wider tolerance reaches 4 (111 <= 120) and stops at 8 (200 > 120)
    assert plateau(_advice(1.0, 100.0, grid), frac=0.2) == (0.5, 4.0)


def test_plateau_includes_the_refined_advised_point_between_grid_points():
    # the advised eta (1.5, from the golden-section refinement) is not on the grid
    grid = [(0.5, 200.0), (1.0, 104.0), (2.0, 106.0), (4.0, 150.0)]
    assert plateau(_advice(1.5, 100.0, grid)) == (1.0, 2.0)
    # nothing within 1%: the plateau is the advised point alone
    assert plateau(_advice(1.5, 100.0, grid), frac=0.01) == (1.5, 1.5)


def test_plateau_skips_non_finite_predictions():
    grid = [(0.5, math.inf), (1.0, 100.0), (2.0, 105.0)]
    assert plateau(_advice(1.0, 100.0, grid)) == (1.0, 2.0)


@pytest.mark.parametrize("frac", [0, -0.1, math.nan, math.inf, True, "0.1"])
def test_plateau_refuses_a_bad_fraction(frac):
    with pytest.raises(PredictionError, match="frac"):
        plateau(_advice(1.0, 100.0, [(1.0, 100.0)]), frac=frac)


# -- check_etas ----------------------------------------------------------------------------------

def test_check_etas_is_the_factor_two_grid_from_one_sixteenth_to_sixteen():
    grid = [(1e-4, 500.0), (1e-2, 100.0), (1.0, 500.0)]
    etas = check_etas(_advice(1e-2, 100.0, grid))
    assert etas == pytest.approx([1e-2 * 2.0 ** k for k in range(-4, 5)], rel=1e-12)


def test_check_etas_widens_to_the_plateau_and_clips_to_the_searched_range():
    # plateau [1e-4, 5e-2]: down to 1e-2 / 128 = 7.8e-5 < 1e-4, so it is clipped and 1e-4 added;
    # up to max(16 * 1e-2, 5e-2) = 0.16
    grid = [(1e-4, 105.0), (1e-3, 101.0), (1e-2, 100.0), (5e-2, 109.0), (1.0, 500.0)]
    etas = check_etas(_advice(1e-2, 100.0, grid))
    assert etas == pytest.approx([1e-4] + [1e-2 * 2.0 ** k for k in range(-6, 5)], rel=1e-12)
    # at the top of the range: 2e-1 * 2 = 0.4, 0.8 are kept, 1.6 is clipped and 1.0 added
    grid = [(1e-3, 500.0), (0.2, 100.0), (1.0, 500.0)]
    etas = check_etas(_advice(0.2, 100.0, grid), span=8)
    assert etas == pytest.approx([0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.0], rel=1e-12)


def test_check_etas_refuses_a_span_below_one():
    with pytest.raises(PredictionError, match="span"):
        check_etas(_advice(1.0, 100.0, [(1.0, 100.0)]), span=0.5)


# -- check_verdict -------------------------------------------------------------------------------

ROWS = [{"eta": 0.25, "mean": 400.0, "se": 20.0}, {"eta": 0.5, "mean": 130.0, "se": 10.0},
        {"eta": 1.0, "mean": 120.0, "se": 10.0}, {"eta": 2.0, "mean": 100.0, "se": 10.0},
        {"eta": 4.0, "mean": 150.0, "se": 10.0}]


def test_verdict_pass_with_the_set_rule_and_the_ratio_and_its_se():
    v = check_verdict(1.0, 100.0, ROWS)
    # best 100 +- 10: bound 120; 130 - 20 = 110 and 120 - 20 = 100 are in, 150 - 20 = 130 and 400 - 40 are out
    assert v["optimum_set"] == [0.5, 1.0, 2.0] and v["optimum_range"] == [0.5, 2.0]
    assert v["best"] == {"eta": 2.0, "mean": 100.0, "se": 10.0}
    assert v["eta_check"]["status"] == "PASS" and v["eta_check"]["factor"] == pytest.approx(1.0)
    t = v["T_check"]
    assert t["ratio"] == pytest.approx(100 / 120, rel=1e-12)
    assert t["ratio_se"] == pytest.approx(100 * 10 / 120 ** 2, rel=1e-12)          # delta method
    assert t["margin_se"] == pytest.approx((0.30 - 20 / 120) / (1000 / 14400), rel=1e-12)
    assert t["status"] == "PASS" and v["verdict"] == "PASS" and v["label"] == "numeric"
    assert v["set_rule"] == "mean - 2 SE <= best mean + 2 SE"


def test_verdict_factor_two_is_measured_to_the_nearest_member():
    rows = [{"eta": 0.125, "mean": 1000.0, "se": 10.0}, {"eta": 0.25, "mean": 300.0, "se": 10.0},
            {"eta": 0.5, "mean": 200.0, "se": 10.0}, {"eta": 1.0, "mean": 100.0, "se": 10.0}]
    # advised 0.25 is not in the set {1.0} (300 - 20 > 120; 200 - 20 > 120): factor 4 -> FAIL
    v = check_verdict(0.25, 300.0, rows)
    assert v["optimum_set"] == [1.0] and v["eta_check"]["factor"] == pytest.approx(4.0)
    assert v["eta_check"]["status"] == "FAIL" and v["T_check"]["status"] == "PASS" and v["verdict"] == "FAIL"
    assert "factor" in v["reason"]
    # advised 0.5 is a factor 2 from 1.0: the boundary passes
    v = check_verdict(0.5, 200.0, rows)
    assert v["eta_check"]["factor"] == pytest.approx(2.0) and v["eta_check"]["status"] == "PASS"


def test_verdict_thirty_percent_band():
    # at eta = 1 the simulated mean is 120: 0.7 * 120 = 84 is the lower edge
    assert check_verdict(1.0, 84.0001, ROWS)["T_check"]["status"] == "PASS"
    v = check_verdict(1.0, 83.0, ROWS)
    assert v["T_check"]["status"] == "FAIL" and v["verdict"] == "FAIL" and v["T_check"]["margin_se"] < 0
    assert check_verdict(1.0, 156.0, ROWS)["T_check"]["status"] == "PASS"          # 1.3 * 120
    assert check_verdict(1.0, 157.0, ROWS)["T_check"]["status"] == "FAIL"


def test_verdict_does_not_pass_on_censored_runs_in_the_deciding_rows():
    rows = [dict(r) for r in ROWS]
    rows[0]["censored"] = 3                       # eta = 0.25 is outside the set: does not decide
    assert check_verdict(1.0, 100.0, rows)["verdict"] == "PASS"
    rows[1]["censored"] = 2                       # eta = 0.5 is in the set
    v = check_verdict(1.0, 100.0, rows)
    assert v["verdict"] == "FAIL" and v["censored"] == 2 and "censored" in v["reason"]


@pytest.mark.parametrize("rows, match", [
    ([], "at least one"),
    ([{"eta": 2.0, "mean": 100.0, "se": 1.0}], "advised eta"),
    ([{"eta": 1.0, "mean": -1.0, "se": 1.0}], "mean"),
    ([{"eta": 1.0, "mean": 100.0, "se": math.nan}], "se"),
    ([{"eta": 1.0, "mean": 100.0}], "se"),
    ([{"eta": True, "mean": 100.0, "se": 1.0}], "eta"),
])
def test_verdict_refuses_bad_rows(rows, match):
    with pytest.raises(PredictionError, match=match):
        check_verdict(1.0, 100.0, rows)


def test_verdict_refuses_bad_tolerances():
    with pytest.raises(PredictionError, match="eta_factor"):
        check_verdict(1.0, 100.0, ROWS, eta_factor=0.5)
    with pytest.raises(PredictionError, match="predicted_T"):
        check_verdict(1.0, math.inf, ROWS)


def test_the_text_prints_the_verdict_lines():
    grid = [(0.25, 300.0), (0.5, 105.0), (1.0, 100.0), (2.0, 108.0), (4.0, 200.0)]
    adv = _advice(1.0, 100.0, grid)
    adv.plateau = plateau(adv)
    rows = [dict(r, predicted_T=100.0, censored=0, max_steps=10**4) for r in ROWS]
    adv.simulation = {"runs": 64, "max_steps": 10**4, "rows": rows, "kappa": 1.0, "widened": 0,
                      "set_at_range_end": [], "set_open_ends": [], "searched_range": [0.25, 4.0], "censored": 0,
                      "verdict": check_verdict(1.0, 100.0, rows), "null_median": 1e4, "null_max_steps": 10**4,
                      "null_censored": 64, "null_ok": True, "null_factor": 4.0}
    text = adv.text()
    assert "plateau (predicted T within 10% of the advised, evaluated grid): eta in [0.5, 2]" in text
    assert "criterion 1, advised eta within a factor 2 of the optimum set: PASS" in text
    assert "criterion 2, predicted T within 30% of the simulated mean at the advised eta: PASS" in text
    assert "= 0.833 +- 0.069 (1 SE)" in text and "verdict: PASS" in text
    assert "median >= 1e+04 (censored 64 of 64" in text and "; ok: needs 4x the simulated mean" in text
    assert "eta in [0.5, 2], 3 of 5 points" in text


def test_the_figure_shades_the_plateau_and_draws_the_error_bars():
    pytest.importorskip("matplotlib")
    from theory.figures import advice_figure
    grid = [(0.25, 300.0), (0.5, 105.0), (1.0, 100.0), (2.0, 108.0), (4.0, 200.0)]
    adv = _advice(1.0, 100.0, grid)
    adv.plateau = plateau(adv)
    rows = [dict(r, predicted_T=100.0, censored=0) for r in ROWS]
    adv.simulation = {"rows": rows, "kappa": 1.0, "verdict": check_verdict(1.0, 100.0, rows)}
    ax = advice_figure([adv]).axes[0]
    spans = [p for p in ax.patches if p.get_label().startswith("plateau")]
    assert len(spans) == 1
    span = spans[0]
    if hasattr(span, "get_width"):                # matplotlib >= 3.9: a Rectangle
        x0, x1 = span.get_x(), span.get_x() + span.get_width()
    else:                                         # older: a Polygon
        x0, x1 = sorted({v[0] for v in span.get_xy()})
    assert (x0, x1) == pytest.approx((0.5, 2.0))
    # one error-bar container for the optimum set (3 points) and one for the others (2 points)
    sizes = sorted(len(c.lines[0].get_xdata()) for c in ax.containers)
    assert sizes == [2, 3]


def test_the_kappa_grid_stops_at_one():
    assert DEFAULT_KAPPA_GRID == (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1 / 2, 1.0)


# -- the check at d = 50 -----------------------------------------------------------------

@pytest.mark.slow
def test_advised_learning_rate_at_d50_passes_both_criteria():
    """Alternating h3 at d = 50, 200 runs a point.

    The search is restricted to kappa = 1, where the default grid's optimum is at every eta (the
    predicted T decreases in kappa up to the grid's end; the full search gives the same advice,
    docs/advise_output.md), to keep the test near 20 s on one core. Tolerances are the issue's; the
    check's own rule (2 SE) sets the optimum set. The measured ratio at this seed is quoted in the
    docs; with 200 runs its SE is about 0.06, so the 30% band is several SE away.
    """
    from theory.advise import advise
    from theory.predict import predict
    from theory.rules import make_rule

    adv = advise(predict(make_rule("alternating", "h3", "h3")), 50, kappas=(1.0,), simulate=True, runs=200,
                 seed=0)
    # the default-grid advice (docs/advise_output.md): the low end of the grid, 50^-2
    assert adv.eta == pytest.approx(4e-4, rel=1e-9) and adv.kappa == 1.0
    lo, hi = adv.plateau
    assert lo == pytest.approx(4e-4, rel=1e-9) and 4e-3 < hi < 6e-3
    s = adv.simulation
    v = s["verdict"]
    assert s["censored"] == 0
    assert v["eta_check"]["status"] == "PASS" and v["eta_check"]["factor"] <= 2.0
    assert abs(v["T_check"]["ratio"] - 1) <= 0.30 and v["T_check"]["status"] == "PASS"
    assert v["verdict"] == "PASS"
    # the null control is far slower than the signal at the advised point
    assert s["null_median"] > 4 * s["advised_mean"]


@pytest.mark.slow
def test_advised_learning_rate_at_d400_passes_both_criteria():
    """Alternating h3 at d = 400, 100 runs a point (about 14 points, 5e4 steps a run).

    The same restriction to kappa = 1 as at d = 50. With 100 runs the ratio's SE is about 0.09,
    and the ratio measured with 200 runs (docs/advise_output.md) is 0.99, so the 30% band is about
    3 SE away; the step budget (100x the predicted T) leaves no run censored.
    """
    from theory.advise import advise
    from theory.predict import predict
    from theory.rules import make_rule

    adv = advise(predict(make_rule("alternating", "h3", "h3")), 400, kappas=(1.0,), simulate=True, runs=100,
                 seed=0)
    # the default-grid advice (docs/advise_output.md): eta = 9.6e-4 inside a plateau from 400^-2 to 1.1e-2
    assert adv.eta == pytest.approx(9.595e-4, rel=1e-3)
    lo, hi = adv.plateau
    assert lo == pytest.approx(400.0 ** -2, rel=1e-9) and 1e-2 < hi < 1.3e-2
    s = adv.simulation
    v = s["verdict"]
    assert s["censored"] == 0
    assert v["eta_check"]["status"] == "PASS" and v["T_check"]["status"] == "PASS" and v["verdict"] == "PASS"
    assert s["null_median"] > 4 * s["advised_mean"]


def test_a_null_control_as_fast_as_the_signal_fails_the_check():
    from theory.advise import with_null_control
    rows = [dict(r, censored=0) for r in ROWS]
    passed = check_verdict(1.0, 100.0, rows)
    assert passed["verdict"] == "PASS"
    mean = next(r["mean"] for r in rows if r["eta"] == 1.0)
    assert with_null_control(passed, 4 * mean, mean)["verdict"] == "PASS"          # exactly the factor: enough
    failed = with_null_control(passed, 3.9 * mean, mean)
    assert failed["verdict"] == "FAIL" and not failed["null_ok"] and "null control" in failed["reason"]
    # a check that already failed keeps its own reason
    bad = check_verdict(1.0, 10.0, rows)
    assert bad["verdict"] == "FAIL" and with_null_control(bad, 3.9 * mean, mean)["reason"] == bad["reason"]
