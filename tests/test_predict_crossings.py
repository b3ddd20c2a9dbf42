"""Finite-d crossings of the competing terms (issue 9, item 2).

The direction of every reported crossing is pinned against :func:`winning_index` evaluated
just below and just above it, for several rules, targets and dimensions, and the report's
``from_index``/``to_index`` and text must say the same.  The value of the crossing is pinned
independently where it is known in closed form.
"""
import math

import pytest
import sympy as sp

from theory.predict import crossing_etas, finite_d_report, index_weight, predict, winning_index
from theory.rules import make_rule
from theory.symbols import ETA

CASES = [
    ("alternating", "h3", "h3", {}),
    ("alternating", "He3", "He3", {}),
    ("alternating", "h4", "h4", {}),
    ("alternating", "He5", "He5", {}),
    ("alternating", "h3", "h3", {"loss": "squared"}),
    ("alternating", "He4", "He3", {}),
    ("batch-reuse", "h3", "h3", {}),
    ("batch-reuse", "He4", "He4", {}),
    ("batch-reuse", "h2", "h3", {"order": 2}),
    ("alternating", "relu", "relu", {}),
    ("alternating", "h3 + tanh(z)/10", "h3", {}),
    ("custom", "h3", "h3", {"psi": "y*(3*z**2 - 3) + eta*y**2*z + eta**2*d*y**2*z"}),
]
DS = [20, 100, 1000]

_PREDICTIONS: dict = {}


def prediction(case):
    if case not in _PREDICTIONS:
        rule, target, student, kw = case[0], case[1], case[2], dict(case[3])
        _PREDICTIONS[case] = predict(make_rule(rule, target, student, **kw))
    return _PREDICTIONS[case]


def _case_id(case):
    return "-".join([case[0], case[1], case[2]] + [f"{k}={v}" for k, v in case[3]])


@pytest.mark.parametrize("case", [(r, t, s, tuple(sorted(kw.items()))) for r, t, s, kw in CASES], ids=_case_id)
@pytest.mark.parametrize("d", DS)
def test_crossing_direction_matches_the_winner_on_both_sides(case, d):
    p = prediction((case[0], case[1], case[2], case[3]))
    crossings = crossing_etas(p, d)
    report = finite_d_report(p, d)
    assert len(report["crossings"]) == len(crossings)
    previous = 0.0
    for c, row in zip(crossings, report["crossings"]):
        eta = float(c.eta)
        assert eta > previous  # increasing order
        previous = eta
        below, above = winning_index(p, d, eta * (1 - 1e-7)), winning_index(p, d, eta * (1 + 1e-7))
        assert (c.below, c.above) == (below, above) and below != above
        assert (row["from_index"], row["to_index"]) == (below, above)
        assert f"index {below} -> {above} as eta grows" in report["text"]


def test_h3_crossing_value_and_direction():
    """h3 (alternating): mu_3 = 1/2 and mu_2 = 9 eta (hand derivation: mu_2 = u_1(s s') u_2(s^2)
    = (sqrt(6)/2 ... ) -- docs/theory.md, section 6); d^2 mu_3^-2 = d mu_2^-2 at eta = 1/(18 sqrt d):
    index 3 wins below (4 d^2 < d / (81 eta^2)), index 2 above."""
    p = prediction(("alternating", "h3", "h3", ()))
    for d in (100, 50):
        ((eta, below, above),) = crossing_etas(p, d)
        assert sp.simplify(eta - 1 / (18 * sp.sqrt(d))) == 0
        assert (below, above) == (3, 2)
    r = finite_d_report(p, 100)
    assert r["crossings"][0]["from_index"] == 3 and r["crossings"][0]["to_index"] == 2
    assert r["crossings"][0]["exact"] is True and r["crossings"][0]["eta"] == "1/180"


def _winner_or_none(p, d, eta):
    from theory.errors import PredictionError

    try:
        return winning_index(p, d, eta)
    except PredictionError:
        return None


def test_every_change_of_winner_is_found():
    """Compare with a brute-force scan of the winner on a fine log grid: every change seen on the
    grid lies within one grid cell of a reported crossing with the same two indices."""
    import numpy as np

    for case, ds in [(("batch-reuse", "h3", "h3", ()), (20, 1000)),
                     (("alternating", "h3", "h3", (("loss", "squared"),)), (20, 1000)),
                     (("alternating", "He5", "He5", ()), (20, 1000)),
                     (("batch-reuse", "He6", "He6", (("order", 6),)), (10**9,)),  # roots over 36 decades
                     (("alternating", "He10", "He10", (("loss", "squared"),)), (10**6,))]:
        p = prediction(case)
        for d in ds:
            crossings = crossing_etas(p, d)
            lo = d ** -(float(p.alpha_min) + 3)
            grid = np.geomspace(lo, d ** -float(p.alpha_min), 3000)
            wins = [_winner_or_none(p, d, e) for e in grid]
            # a change to or from "no index positive" is not a crossing of two terms
            seen = [(grid[k], grid[k + 1], wins[k], wins[k + 1]) for k in range(len(grid) - 1)
                    if wins[k] != wins[k + 1] and None not in (wins[k], wins[k + 1])]
            assert len(seen) == len(crossings)
            for (a, b, i, j), c in zip(seen, crossings):
                assert a <= float(c.eta) <= b and (c.below, c.above) == (i, j)


def test_numeric_crossing_is_bracketed():
    """A target with a tanh part (numeric mu_i): the crossing carries a certified relative error,
    and the two terms really swap order across it."""
    p = prediction(("alternating", "h3 + tanh(z)/10", "h3", ()))
    assert p.numeric
    for d in (100, 1000):
        crossings = crossing_etas(p, d)
        assert [(c.below, c.above) for c in crossings] == [(3, 2)]
        for c in crossings:
            assert not c.exact and 0 < c.relative_error <= 1e-6
            from theory.predict import log_times

            lo = log_times(p, d, float(c.eta) * (1 - c.relative_error))
            hi = log_times(p, d, float(c.eta) * (1 + c.relative_error))
            g = lambda t: t[c.below] - t[c.above]  # noqa: E731
            assert g(lo) < 0 < g(hi)  # index below is faster below, index above faster above


def test_crossings_follow_from_the_exponent_curve_thresholds():
    """At large d the finite-d crossing of the two terms that meet at an asymptotic threshold
    alpha* sits at eta ~ d^-alpha* (the ratio of constants is fixed): log_d eta -> -alpha*."""
    p = prediction(("alternating", "He5", "He5", ()))
    (t,) = p.thresholds
    for d in (10**6, 10**8):
        (c,) = [c for c in crossing_etas(p, d) if {c.below, c.above} == {t.from_index, t.to_index}]
        assert (c.below, c.above) == (t.from_index, t.to_index)
        # mu_5 = 5, mu_2 = eta * c2 with c2 exact: eta* = (5 / c2) d^{(w2 - w5)/2}
        c2 = p.mu[2] / ETA
        expected = 5 / float(c2) * d ** ((index_weight(2) - index_weight(5)) / 2)
        assert math.isclose(float(c.eta), expected, rel_tol=1e-9)
