"""The prediction's result objects: the named step size, the vectorised curve, eta-independence, display.

Test policy: each property is checked against an independent path (the exact curve, the
2-tuple the callers unpack, the drift's own eta powers).
"""
import numpy as np
import pytest
import sympy as sp

from theory.display import RichDisplay
from theory.errors import PredictionError
from theory.predict import StepSize, predict, step_size
from theory.rules import make_rule
from theory.symbols import ETA


@pytest.fixture(scope="module")
def alt():
    return predict(make_rule("alternating", "h3", "h3"))


def test_step_size_is_named_and_unpacks(alt):
    s = step_size(alt, 100, 0.01)
    assert isinstance(s, StepSize) and isinstance(s, tuple) and len(s) == 2
    gamma, index = s
    assert (gamma, index) == (s.gamma, s.index) and index in alt.mu and gamma > 0


@pytest.mark.parametrize("kappa", [0, -1, 65, True, float("nan")])
def test_step_size_refuses_bad_kappa(alt, kappa):
    with pytest.raises(PredictionError, match="kappa"):
        step_size(alt, 100, 0.01, kappa=kappa)


@pytest.mark.parametrize("rule, target, kw", [("alternating", "He3", {}), ("batch-reuse", "He3", {}),
                                               ("alternating", "h3", {"loss": "squared"}), ("online", "He4", {})])
def test_exponent_curve_matches_the_exact_curve(rule, target, kw):
    p = predict(make_rule(rule, target, **kw))
    lo = -3.0 if p.alpha_min == -sp.oo else float(p.alpha_min)
    # grid points, every breakpoint, and the edge itself
    alphas = sorted(set(np.linspace(lo, lo + 4, 41).round(6)) | {float(t.alpha) for t in p.thresholds})
    exact = [float(p.exponent(sp.Rational(a).limit_denominator(10**6))) for a in alphas]
    assert p.exponent_curve(np.array(alphas)) == pytest.approx(exact, abs=1e-12)
    refined = [float(p.refined_exponent(sp.Rational(a).limit_denominator(10**6))) for a in alphas]
    assert p.exponent_curve(alphas, refined=True) == pytest.approx(refined, abs=1e-12)


def test_exponent_curve_is_nan_outside_the_valid_range_and_keeps_shape():
    p = predict(make_rule("batch-reuse", "He3"))
    out = p.exponent_curve(np.array([[0.5, 1.0], [2.0, 0.999]]))
    assert out.shape == (2, 2) and np.isnan(out[0, 0]) and np.isnan(out[1, 1])
    assert out[0, 1] == float(p.exponent(1)) and out[1, 0] == float(p.exponent(2))
    with pytest.raises(PredictionError):
        p.exponent(sp.Rational(1, 2))


@pytest.mark.parametrize("rule, kw, expected", [("online", {}, True), ("online", {"loss": "squared"}, True),
                                                ("alternating", {}, False), ("batch-reuse", {}, False),
                                                ("custom", {"psi": "y*z**2"}, True),
                                                ("custom", {"psi": "y*z**2 + eta*y**2*z"}, False)])
def test_eta_independent_is_read_from_the_coefficients(rule, kw, expected):
    p = predict(make_rule(rule, "He3", **kw))
    assert p.eta_independent is expected
    assert expected == all(not sp.expand(v).has(ETA) for v in p.mu.values())
    if expected:
        assert p.thresholds == ()


def test_prediction_is_rich_display(alt):
    assert isinstance(alt, RichDisplay)
