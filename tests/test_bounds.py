"""Lower bounds beside a prediction (theory/bounds.py), with independently derived answers.

Each case lists the target's information exponent ``p`` and generative exponent ``k*``, derived
by hand below. The test checks the exact bounds ``e_CSQ = max(1, p/2)`` and
``e_SQ = max(1, k*/2)``, the information-theoretic ``1``, and the best exponent of each rule
over its validity range.

Derivations (u_k = E[f He_k]/k!, z ~ N(0, 1)):

- ``He_k``: ``u_j = [j = k]``, so ``p = k``. For odd ``k`` the label is odd, and
  ``u_1(y^3) = E[He_k(z)^3 z] != 0`` (e.g. 36 for ``He3``), so ``T(y) = y^3`` gives ``k* = 1``.
  For even ``k`` the label is even, so ``E[He_j(z) | y] = 0`` for every odd ``j`` (``k* >= 2``),
  and ``u_2(y^2) = E[He_k^2 He_2]/2 > 0`` gives ``k* = 2``.
- ``relu``: ``u_1 = E[z 1{z>0} z] = 1/2 != 0``, so ``p = k* = 1``.
- ``Abs``: even, so ``u_1 = 0``; ``u_2 = E[|z| (z^2 - 1)]/2 = (2 sqrt(2/pi) - sqrt(2/pi))/2 != 0``,
  so ``p = 2`` and ``k* = 2`` (even, and ``u_2(y) != 0``).
- ``z^2 exp(-z^2)``: with ``E[z^(2n) e^(-z^2)] = 3^(-1/2) (2n-1)!! 3^(-n)``, ``u_2`` is
  proportional to ``E[z^4 e^(-z^2)] - E[z^2 e^(-z^2)] = 3^(-1/2) (3/9 - 1/3) = 0``. ``u_4`` is
  nonzero (``-sqrt(3)/162``), so ``p = 4``. The GE is 4 as well. The label is even, so odd ``j``
  drop out. For ``j = 2``, both preimages ``+-sqrt(t)`` of a level ``y`` of ``t e^(-t)``,
  ``t = z^2``, carry the same ``sqrt(t) e^(-t/2)`` chi-square weight, hence
  ``E[He_2(z) | y] = 0``. ``u_4(y) != 0`` closes the bound; the exponent corpus has the full proof.
- ``He3`` with label noise ``0.5``: noise changes neither ``u_k`` (additive, independent) nor
  the GE (convolution with a Gaussian is injective), so ``(3, 1)`` as for ``He3``.
- ``tanh``: odd with ``u_1 = E[tanh'(z)] > 0``, so ``(1, 1)``.

Best exponents: online SGD reaches ``(p - 1) v 1``. Alternating and batch reuse reach
``(k* - 1) v 1`` at the large-eta end of their range, through the ``y^2`` term, and no better
than online for these targets. Both use the same ``p_2 = IE(y^2)``.
"""

from __future__ import annotations

import json

import pytest
import sympy as sp

from theory.bounds import best_exponent, lower_bounds, rule_class
from theory.predict import predict
from theory.rules import make_rule

R = sp.Rational

CASES = [
    # link, noise, (p, k*)
    ("He1", 0, (1, 1)),
    ("He2", 0, (2, 2)),
    ("He3", 0, (3, 1)),
    ("He4", 0, (4, 2)),
    ("He5", 0, (5, 1)),
    ("He6", 0, (6, 2)),
    ("relu", 0, (1, 1)),
    ("Abs(z)", 0, (2, 2)),
    ("z**2*exp(-z**2)", 0, (4, 4)),
    ("He3", 0.5, (3, 1)),
    ("tanh", 0, (1, 1)),
]


def _half(k):
    return max(sp.Integer(1), R(k, 2))


@pytest.mark.parametrize("link, noise, pk", CASES, ids=[f"{c[0]}-noise{c[1]}" for c in CASES])
def test_bounds_for_target(link, noise, pk):
    p, k = pk
    lb = lower_bounds(predict(make_rule("online", link, link, noise=noise)))
    assert (lb.information_exponent.value, lb.generative_exponent.value) == (p, k)
    assert lb.csq == _half(p) and lb.sq == _half(k) and lb.information_theoretic == 1
    # online SGD, correlation loss: a correlational algorithm reaching (p - 1) v 1
    assert lb.rule_class == "correlational"
    assert lb.best == max(p - 1, 1)
    assert lb.violations() == []
    d = lb.to_dict()
    assert d["lower_bounds"] == {"csq_exponent": str(_half(p)), "sq_exponent": str(_half(k)),
                                 "information_exponent_bound": "1"}
    assert d["best_exponent"] == str(max(p - 1, 1))
    json.loads(json.dumps(d), parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))


@pytest.mark.parametrize("link, k", [("He3", 1), ("He4", 2), ("He5", 1), ("He6", 2)])
def test_alternating_beats_csq_and_meets_sq(link, k):
    """The large learning rate escapes the CSQ bound, which does not bind a y^2 rule, and stays above SQ."""
    lb = lower_bounds(predict(make_rule("alternating", link, link)))
    assert lb.rule_class == "general"
    assert lb.best == max(k - 1, 1) and lb.best_alpha == 0 and lb.best_attained
    assert lb.gaps()["csq"] < 0 and not lb.applies("csq")        # below the CSQ bound: allowed here
    assert lb.gaps()["sq"] >= 0 and lb.violations() == []


def test_batch_reuse_best_is_at_the_edge_of_its_range():
    lb = lower_bounds(predict(make_rule("batch-reuse", "He3", "He3")))
    assert (lb.best, lb.best_alpha, lb.best_attained) == (1, 1, True)      # e = 2 alpha - 1 at alpha = 1
    assert lb.rule_class == "general"


def test_a_violation_is_reported_not_hidden():
    """A correlational rule whose curve beats the CSQ bound is flagged (synthetic curve)."""
    from dataclasses import replace
    pred = predict(make_rule("online", "He4", "He4"))
    fake = replace(pred, pieces=tuple(replace(pc, intercept=R(3, 2)) for pc in pred.pieces))
    lb = lower_bounds(fake)
    assert lb.best == R(3, 2) and lb.csq == 2
    assert lb.violations() == ["csq"]
    assert "VIOLATED" in lb.table()


def test_best_exponent_open_end_and_unbounded_fall():
    from theory.predict import Piece
    class P:  # the minimum is approached at an excluded end
        pieces = (Piece(alpha_min=R(1), alpha_max=R(3, 2), index=2, regime="r", slope=2, intercept=-1,
                        left_open=True),)
    assert best_exponent(P) == (1, 1, False)
    class Q:  # slope > 0 on a piece unbounded to the left: no minimum
        pieces = (Piece(alpha_min=-sp.oo, alpha_max=R(0), index=2, regime="r", slope=1, intercept=1),)
    assert best_exponent(Q)[0] == -sp.oo


def test_rule_class_from_psi_degree():
    assert rule_class(make_rule("online", "He3", "He3", loss="squared")) == "correlational"
    assert rule_class(make_rule("batch-reuse", "He3", "He3")) == "general"
    # He1 student: sigma'' = 0 removes batch reuse's y^2 term, so the rule is correlational
    assert rule_class(make_rule("batch-reuse", "He1", "He1")) == "correlational"


def test_table_names_each_bound_and_its_class():
    text = lower_bounds(predict(make_rule("alternating", "He3", "He3"))).table()
    assert "CSQ" in text and "SQ / low-degree" in text and "information-theoretic" in text
    assert "does not bind this rule" in text and "best exponent of this rule: 1 at alpha = 0" in text


def test_predict_cli_json_and_text_carry_the_bounds(tmp_path):
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-m", "theory", "predict", "--rule", "alternating", "--target", "He4",
                          "--json"], capture_output=True, text=True, timeout=600, check=True).stdout
    obj = json.loads(out, parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))
    assert obj["lower_bounds"] == {"csq_exponent": "2", "sq_exponent": "1", "information_exponent_bound": "1"}
    assert obj["best_exponent"] == "1" and obj["rule_class"] == "general"
    text = subprocess.run([sys.executable, "-m", "theory", "predict", "--rule", "online", "--target", "He4",
                           "--plot", str(tmp_path / "curve.png")], capture_output=True, text=True, timeout=600,
                          check=True).stdout
    assert "CSQ                    e >= 2" in text and "binds this rule, gap 1" in text
    from test_figures import assert_nontrivial_png
    assert_nontrivial_png(tmp_path / "curve.png")


def test_latex_report_has_the_bounds_table():
    from theory.latex import report_latex
    rule = make_rule("online", "He4")
    text = report_latex(rule, predict(rule))
    assert r"\section{Lower bounds}" in text and r"\max(1, p/2)" in text


def test_a_prediction_that_learns_nothing_has_no_best_exponent():
    """Online SGD with an even student on an odd target: every mu_i vanishes, no piece, no best exponent."""
    pred = predict(make_rule("online", "He3", "He2"))
    assert not pred.pieces
    lb = lower_bounds(pred)
    assert lb.best == sp.oo and lb.to_dict()["best_exponent"] is None and lb.violations() == []
    assert "learns nothing" in lb.table()
