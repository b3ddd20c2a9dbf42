"""Predictions for links without exact Hermite expansions, and the finite-d numerics
(issue 9, items 5, 10 and the predict part of item 6).
"""
import json
import math

import numpy as np
import pytest

from theory.simulate.kernels import rule_kernels
import sympy as sp

from theory.drift import drift_expansion
from theory.errors import PredictionError
from theory.predict import (check_eta, finite_d_report, finite_d_times, log_times, numeric_bounds,
                            numeric_coefficients, predict, step_size, theorem_time, winning_index)
from theory.rules import make_rule
from theory.symbols import A, ETA, Q, Y, Z

R = sp.Rational


def strict_json(obj) -> dict:
    """Round-trip through RFC 8259 JSON: no NaN/Infinity, no non-JSON types."""
    text = json.dumps(obj, allow_nan=False)
    return json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))


@pytest.mark.parametrize("rule, kw", [("online", {}), ("alternating", {}), ("alternating", {"loss": "squared"}),
                                      ("batch-reuse", {})])
@pytest.mark.parametrize("link", ["tanh", "sigmoid", "erf"])
def test_predict_runs_on_numeric_links(rule, kw, link):
    p = predict(make_rule(rule, link, link, **kw))
    assert p.pieces, p.table()
    for piece in p.pieces:  # the curve stays exact
        assert piece.slope.is_Rational and piece.intercept.is_Rational
        assert piece.alpha_min == -sp.oo or piece.alpha_min.is_Rational
    o = strict_json(p.to_dict())
    if link != "erf":  # erf's own coefficients are exact (Stein), but its powers are not
        assert o["numeric"] is True and not all(o["mu_exact"].values())
    assert "numeric" in p.table()


def test_online_tanh_curve():
    """mu_1 = u_1(tanh)^2 > 0 (certified), index weight 1: T = d at every learning rate."""
    p = predict(make_rule("online", "tanh", "tanh"))
    assert [(q.alpha_min, q.alpha_max, q.index, q.slope, q.intercept) for q in p.pieces] == [(-sp.oo, None, 1, 0, 1)]
    assert p.information_exponent == 1 and p.thresholds == ()


def test_numeric_threshold_is_exact():
    """A tanh perturbation of h3 (numeric coefficients) keeps the h3 structure: mu_3 > 0 constant,
    mu_2 = c eta with c > 0, so the threshold is exactly alpha = 1/2 (index 3 -> 2), as for h3."""
    p = predict(make_rule("alternating", "h3 + tanh(z)/10", "h3"))
    assert p.numeric
    assert [(t.alpha, t.from_index, t.to_index) for t in p.thresholds] == [(R(1, 2), 3, 2)]
    assert p.exponent(R(1, 4)) == R(3, 2) and p.exponent(1) == 2


def test_json_unbounded_ends_are_null():
    """predict --json used to write -oo on one side and null on the other."""
    o = strict_json(predict(make_rule("online", "He3", "He3")).to_dict())
    assert o["alpha_min"] is None and o["pieces"][0]["alpha_min"] is None and o["pieces"][0]["alpha_max"] is None
    conventions = o.pop("conventions")
    assert "unbounded end" in conventions and "null" in conventions and "oo" not in json.dumps(o)
    o = strict_json(predict(make_rule("alternating", "He3", "He3")).to_dict())
    assert o["pieces"][0]["alpha_min"] == "0" and o["pieces"][-1]["alpha_max"] is None


def test_undecided_coefficients_are_stated():
    """sigmoid: u_2(sigmoid) = 0 (sigmoid - 1/2 is odd) is not proven by parity; the curve treats such
    coefficients as zero and says so, and here it does not depend on them (index 1 always wins)."""
    p = predict(make_rule("online", "sigmoid", "sigmoid"))
    assert p.assumptions and all("no certified sign" in a and "does not depend" in a for a in p.assumptions)
    assert any("mu_2" in a for a in p.assumptions)
    assert "assumption:" in p.table()


def test_undecided_coefficient_that_matters_is_flagged():
    """A prediction whose curve depends on a coefficient without certified sign must say so:
    online SGD with target sigmoid(z) - 1/2 - u_1 He_1 (IE 3 in truth, u_3 < 0) and student He2 - He3:
    mu_2 = 2 u_2(target) u_2(student) is 0 in truth but not provably so, and index 2 (weight 1) would
    beat index 3 (weight 2) if it were positive."""
    u1 = drift_expansion(make_rule("online", "sigmoid", "z"), 1).terms[1][(0, 0, 0)].value
    target = f"sigmoid(z) - 1/2 - {u1!r}*z"
    p = predict(make_rule("online", target, "z**2 - 1 - (z**3 - 3*z)"))
    assert [(q.index, q.slope, q.intercept) for q in p.pieces] == [(3, 0, 2)]
    flagged = [a for a in p.assumptions if "mu_2" in a]
    assert flagged and "would change if it were positive" in flagged[0]


def test_finite_d_no_overflow_at_tiny_eta():
    """predict --d 100 --eta 1e-300 raised OverflowError: T_2 = d / (9 eta)^2 ~ 1e600."""
    p = predict(make_rule("alternating", "h3", "h3"))
    times = finite_d_times(p, 100, 1e-300)
    assert times[2] == math.inf and times[3] == pytest.approx(4 * 100**2)
    logs = log_times(p, 100, 1e-300)
    assert float(logs[2]) == pytest.approx(math.log(100) - 2 * math.log(9e-300), rel=1e-12)
    assert winning_index(p, 100, 1e-300) == 3 and theorem_time(p, 100, 1e-300) == (pytest.approx(40000.0), 3)
    r = strict_json(finite_d_report(p, 100, 1e-300))
    assert r["theorem_T"]["2"] is None and r["theorem_log10_T"]["2"] == pytest.approx(float(logs[2]) / math.log(10))
    assert r["winning_index"] == 3 and r["gamma"] > 0
    # the smallest positive double works too; mu_2 underflows as a float but not in the decision
    assert winning_index(p, 100, 5e-324) == 3
    mus, _ = numeric_bounds(p, 100, 5e-324)
    assert mus[2][0] > 0


@pytest.mark.parametrize("eta", [0.0, -1.0, math.inf, math.nan])
def test_check_eta_refuses_non_finite(eta):
    with pytest.raises(PredictionError, match="eta"):
        check_eta(predict(make_rule("online", "He3", "He3")), 100, eta)


def test_numeric_step_size_and_times():
    """step_size and theorem_time work on numeric predictions: gamma = kappa 2 i! mu_i d^-(i/2 v 1) / E[psi^2]
    with the numbers checked by hand from numeric_coefficients."""
    p = predict(make_rule("alternating", "tanh", "tanh"))
    d, eta = 100, 0.05
    mu, psi2 = numeric_coefficients(p, d, eta)
    gamma, i = step_size(p, d, eta, kappa=0.125)
    cands = {j: 2 * math.factorial(j) * v * d ** -max(j / 2, 1) for j, v in mu.items() if v > 0}
    assert i == max(cands, key=cands.get) and gamma == pytest.approx(0.125 * cands[i] / psi2, rel=1e-12)
    t, w = theorem_time(p, d, eta)
    assert w == 1 and t == pytest.approx(d / mu[1] ** 2, rel=1e-12)


def test_no_step_size_for_a_jump_student():
    p = predict(make_rule("online", "He3", "sign", a=-1))
    assert p.pieces and p.psi_second_moment == sp.oo and p.refined_pieces == ()
    with pytest.raises(PredictionError, match="E\\[psi\\^2\\] is infinite.*sign.*tanh\\(8\\*z\\)"):
        step_size(p, 100, 0.1)
    r = strict_json(finite_d_report(p, 100, 0.1))
    assert r["gamma"] is None and "infinite" in r["gamma_note"]
    o = strict_json(p.to_dict())
    assert o["psi_second_moment"] is None and "Dirac delta" in o["psi_second_moment_note"]


@pytest.mark.parametrize("student", ["tanh", "sigmoid", "erf"])
@pytest.mark.parametrize("rule, kw", [("online", {}), ("alternating", {"keep_a": True}),
                                      ("alternating", {"loss": "squared"}), ("batch-reuse", {})])
def test_numeric_students_have_working_kernels(student, rule, kw):
    """The simulators' kernel (lambdify of Rule.step / a_next) agrees with SymPy's own evaluation."""
    r = make_rule(rule, "He3", student, **kw)
    k = rule_kernels(r, 0.01, 50)[0]
    rng = np.random.default_rng(7)
    y, z, q, a = rng.standard_normal(5), rng.standard_normal(5), 48 + rng.standard_normal(5), np.ones(5)
    psi, a_next = k(y, z, q, a)
    for n in range(5):
        subs = {Y: float(y[n]), Z: float(z[n]), Q: float(q[n]), A: 1.0, ETA: 0.01}
        assert psi[n] == pytest.approx(float(r.step.subs(subs)), rel=1e-12, abs=1e-14)
        assert a_next[n] == pytest.approx(float(r.a_next.subs(subs)), rel=1e-12, abs=1e-14)


def test_text_labels_numeric_values():
    text = predict(make_rule("alternating", "tanh", "tanh")).table()
    assert "mu_1 = 0.36687916" in text and "[numeric; |error| <= " in text
    assert "E[psi^2] at m = 0: " in text and text.count("numeric;") >= 3


def test_the_edge_of_the_valid_range_is_evaluated_where_the_terms_tie():
    """Squared-loss alternating SGD on h3: mu_2 = 9 eta (1 - 111 eta) (unit-variance He_3).

    For alpha > 0 the eta term dominates mu_2 (positive), so index 2 wins on (0, 1/2]; at the
    edge eta = d^0 = 1 both terms scale as d^0 and sum to 9 (1 - 111) < 0, so index 2 cannot win
    there and index 3 (mu_3 > 0, exponent 2) does.  The curve must say both, and the note must
    give the scale c < 1/111 at which index 2 still wins with eta = c.
    """
    p = predict(make_rule("alternating", "h3", "h3", loss="squared"))
    assert p.exponent(0) == 2 and p.exponent(sp.Rational(1, 4)) == sp.Rational(3, 2)
    assert p.large_lr_exponent == 2 and p.large_lr_limit_exponent == 1
    edge = [t for t in p.thresholds if t.at_boundary]
    assert [(t.alpha, t.from_index, t.to_index) for t in edge] == [(0, 2, 3)]
    assert any("c < 1/111" in n for n in p.sign_notes)
    # the correlation loss has no such edge effect: mu_2 = 18 eta is positive at eta = 1
    q = predict(make_rule("alternating", "h3", "h3"))
    assert q.large_lr_exponent == q.large_lr_limit_exponent == 1
    assert not any(t.at_boundary for t in q.thresholds)
