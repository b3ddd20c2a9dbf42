"""The deep layer-wise variant of alternating SGD (``--rule alternating --depth D``).

Test policy: ``psi`` against the binomial expansion written out by hand (a second derivation,
not the rule's code), ``mu_i`` against two-dimensional Gauss-Hermite quadrature of the definition
(exact for polynomials of degree below twice the number of nodes, so the tolerance is rounding
only), the depth-2 identity with today's Algorithm 2 on every piece of the prediction, the
option's validation (a RuleError naming ``--depth``; one stderr line and exit 2 at the CLI),
the verify configuration's hash (the values below were computed before ``depth`` existed) and
the LaTeX report's derivation.
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import sympy as sp

from test_cli_inputs import one_line_error
from theory.drift import drift_coefficients
from theory.errors import RuleError
from theory.latex import psi_latex
from theory.predict import predict
from theory.rules import make_rule
from theory.symbols import A, ETA, Y, Z
from theory.verify.config import DEFAULT, QUICK, config_hash

#: ``config_hash`` of the default and quick configurations at commit 2333086, before ``depth``.
HASH_BEFORE = {"default": "54c39b3701", "quick": "ffeab95866"}


def by_hand(depth, sigma, a=A):
    """``y sigma' (a + eta y sigma)(1 + eta a y sigma)^(D-2)`` expanded term by term with the binomial theorem."""
    ds = sp.diff(sigma, Z)
    first = a + ETA * Y * sigma
    rest = sum(sp.binomial(depth - 2, k) * (ETA * a * Y * sigma) ** k for k in range(depth - 1))
    return sp.expand(Y * ds * first * rest)


@pytest.mark.parametrize("depth", [2, 3, 4, 5])
@pytest.mark.parametrize("link", ["He3", "h4", "He2"])
def test_psi_is_the_binomial_expansion(depth, link):
    rule = make_rule("alternating", link, depth=depth)
    sigma = rule.student.expr
    assert sp.expand(rule.psi - by_hand(depth, sigma)) == 0
    assert sp.degree(rule.psi, Y) == depth and rule.a_next == A and rule.label_free == 0
    # a = 1: sum_i C(D-1, i-1) eta^(i-1) y^i sigma^(i-1) sigma'
    ones = sum(math.comb(depth - 1, i - 1) * ETA ** (i - 1) * Y**i * sigma ** (i - 1) * sp.diff(sigma, Z)
               for i in range(1, depth + 1))
    assert sp.expand(rule.psi.subs(A, 1) - ones) == 0


def test_psi_for_a_non_polynomial_student():
    rule = make_rule("alternating", "He3", "tanh", depth=3)
    t = sp.tanh(Z)
    expected = Y * (1 - t**2) * (A + ETA * Y * t) * (1 + ETA * A * Y * t)
    assert sp.simplify(rule.psi - sp.expand(expected)) == 0


def quadrature_mu(target, student_poly, depth, eta, j, nodes=40):
    """``E[psi(sigma_*(g), g') He_j(g) He_{j-1}(g')] / (j! (j-1)!)`` by probabilists' Gauss-Hermite quadrature."""
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / w.sum()
    f = np.polynomial.hermite_e.HermiteE
    y = target(x)[:, None]
    s = student_poly(x)[None, :]
    ds = student_poly.deriv()(x)[None, :]
    psi = y * ds * (1 + eta * y * s) ** (depth - 1)
    hj = f.basis(j)(x)[:, None]
    hj1 = f.basis(j - 1)(x)[None, :]
    return float(np.einsum("i,j,ij->", w, w, psi * hj * hj1)) / (math.factorial(j) * math.factorial(j - 1))


@pytest.mark.parametrize("depth", [3, 4])
def test_mu_against_gauss_hermite_quadrature(depth):
    """h3 (unit variance); 40 nodes integrate degree <= 79 exactly, psi * He_j * He_{j-1} has degree <= 33."""
    he3 = np.polynomial.hermite_e.HermiteE.basis(3) / math.sqrt(6)
    rule = make_rule("alternating", "h3", depth=depth)
    imax = 3 * depth
    mu = drift_coefficients(rule, imax)
    for eta in (0.0, 0.3, 1.0):
        for j in range(1, imax + 1):
            exact = float(sp.N(mu[j].subs({A: 1, ETA: eta}))) if j in mu else 0.0
            quad = quadrature_mu(he3, he3, depth, eta, j)
            assert quad == pytest.approx(exact, rel=1e-9, abs=1e-10), (depth, eta, j)


def test_mu_closed_form_for_he3_depth_3():
    """By hand: He3^2 = He6 + 9He4 + 18He2 + 6 and He3^3 = He9 + 27He7 + 216He5 + 558He3 + 324He1 (product rule
    He_a He_b = sum_r r! C(a, r) C(b, r) He_{a+b-2r} applied to He3^2 He3)."""
    mu = drift_coefficients(make_rule("alternating", "He3", depth=3), 9)
    # mu_j = sum_i C(2, i-1) eta^(i-1) (j/i) u_j(He3^i)^2
    u1 = {1: 0, 3: 1}
    u2 = {2: 18, 4: 9, 6: 1}
    u3 = {1: 324, 3: 558, 5: 216, 7: 27, 9: 1}
    for j in range(1, 10):
        expected = j * u1.get(j, 0) ** 2 + 2 * ETA * sp.Rational(j, 2) * u2.get(j, 0) ** 2 \
            + ETA**2 * sp.Rational(j, 3) * u3.get(j, 0) ** 2
        assert sp.expand(mu.get(j, 0).subs(A, 1) - expected) == 0, j
    assert sp.expand(mu[1].subs(A, 1)) == 324**2 * ETA**2 / 3


@pytest.mark.parametrize("link, student, loss", [("He3", None, "correlation"), ("h4", None, "correlation"),
                                                 ("He3", "relu", "correlation"), ("h3", None, "squared"),
                                                 ("He2", None, "squared")])
def test_depth_2_is_algorithm_2(link, student, loss):
    old = make_rule("alternating", link, student, loss=loss)
    new = make_rule("alternating", link, student, loss=loss, depth=2)
    assert new == old and new.spec == old.spec
    assert sp.expand(new.psi - old.psi) == 0 and new.a_next == old.a_next and new.label == old.label
    p_old, p_new = predict(old, 6), predict(new, 6)
    assert p_new.mu == p_old.mu and sp.expand(p_new.psi_second_moment - p_old.psi_second_moment) == 0
    assert p_new.pieces == p_old.pieces and p_new.thresholds == p_old.thresholds
    assert psi_latex(new) == psi_latex(old)


def test_depth_3_prediction_for_h3_is_the_min_over_terms():
    """p = (3, 2, 1): e(alpha) = min(2, 1 + 2 alpha, 1 + 4 alpha); the max reading would give 9 at alpha = 2."""
    pred = predict(make_rule("alternating", "h3", depth=3))
    for alpha in (sp.Integer(0), sp.Rational(1, 4), sp.Rational(1, 2), sp.Integer(1), sp.Integer(2)):
        assert pred.exponent(alpha) == min(2, 1 + 2 * alpha, 1 + 4 * alpha)


@pytest.mark.parametrize("value", [1, 9, 0, -3, "x", "2.5", 2.5, True, None.__class__, "3; 4"])
def test_depth_is_validated(value):
    with pytest.raises(RuleError, match="--depth must be an integer in 2..8"):
        make_rule("alternating", "He3", depth=value)


def test_depth_accepts_its_text_and_records_an_int():
    r = make_rule("alternating", "He3", depth="4")
    assert r.depth == 4 and r.spec["depth"] == 4 and make_rule(**r.spec) == r


@pytest.mark.parametrize("kwargs, needle", [
    ({"depth": 3, "loss": "squared"}, "--depth 3 is derived for the correlation loss only"),
    ({"depth": 3, "keep_a": True}, "--keep-a applies with --depth 2 only"),
])
def test_depth_refuses_what_is_not_derived(kwargs, needle):
    with pytest.raises(RuleError, match=needle):
        make_rule("alternating", "He3", **kwargs)


@pytest.mark.parametrize("rule", ["online", "batch-reuse", "online-transform"])
def test_depth_with_another_rule_is_refused(rule):
    with pytest.raises(RuleError, match=f"--depth applies only to the alternating rule, not to the {rule} rule"):
        make_rule(rule, "He3", depth=3, transform="y" if rule == "online-transform" else None)


CLI_ERRORS = [
    (["predict", "--rule", "alternating", "--target", "He3", "--depth", "9"], "--depth must be an integer in 2..8"),
    (["predict", "--rule", "online", "--target", "He3", "--depth", "3"], "--depth applies only to the alternating"),
    (["latex", "psi", "--rule", "alternating", "--target", "He3", "--depth", "3", "--loss", "squared"],
     "correlation loss only"),
    (["simulate", "--rule", "alternating", "--target", "He3", "--depth", "x", "--d", "20", "--eta", "0.1"],
     "--depth must be an integer"),
    (["verify", "--rule", "batch-reuse", "--depth", "3", "--quick"], "--depth applies only to the alternating"),
    (["advise", "--rule", "all", "--target", "h3", "--d", "50", "--depth", "3"], "--depth do not apply"),
]


@pytest.mark.parametrize("args, needle", CLI_ERRORS)
def test_cli_errors_are_one_line(capsys, args, needle):
    """In process (each sub-command's path to make_rule); the subprocess test below checks the real exit."""
    from theory.cli import main

    assert main(args) == 2
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert out == "" and len(lines) == 1 and lines[0].startswith("theory: error: ") and needle in lines[0], err


def test_cli_error_exit_status_in_a_subprocess(cli):
    one_line_error(cli(*CLI_ERRORS[0][0], timeout=120), CLI_ERRORS[0][1])


def test_cli_predict_depth_3(capsys):
    from theory.cli import main

    assert main(["predict", "--rule", "alternating", "--target", "h3", "--depth", "3"]) == 0
    out = capsys.readouterr().out
    assert "depth 3, layers stepped together" in out and "alpha = 1/2" in out


def test_verify_cli_puts_depth_in_the_config(monkeypatch):
    import sys

    from theory.cli import main

    seen = {}

    class Stop(Exception):
        pass

    def fake_verify(cfg, **kw):
        seen["cfg"] = cfg
        raise Stop

    monkeypatch.setattr(sys.modules["theory.verify"], "verify", fake_verify)
    with pytest.raises(Stop):
        main(["verify", "--depth", "3", "--quick", "--workers", "1", "--no-progress"])
    cfg = seen["cfg"]
    assert cfg.depth == 3 and cfg.case()["depth"] == 3 and config_hash(cfg) != config_hash(QUICK)


def test_config_hash_is_unchanged_at_depth_2():
    assert config_hash(DEFAULT) == HASH_BEFORE["default"] and config_hash(QUICK) == HASH_BEFORE["quick"]
    for cfg in (replace(DEFAULT, depth=2), replace(QUICK, depth=2)):
        assert config_hash(cfg) in HASH_BEFORE.values() and "depth" not in cfg.case()
    deep = replace(DEFAULT, depth=3)
    assert config_hash(deep) != HASH_BEFORE["default"] and deep.case()["depth"] == 3


def test_case_and_seeds_are_unchanged_at_depth_2():
    from theory.simulate.cases import case_of, rule_for

    assert "depth" not in case_of(make_rule("alternating", "h3"))
    deep = case_of(make_rule("alternating", "h3", depth=3))
    assert deep["depth"] == 3 and rule_for(deep).depth == 3


def test_latex_contains_the_derivation():
    text = psi_latex(make_rule("alternating", "He3", depth=3))
    for needle in (r"\textbf{Depth 3 (layer-wise).}", r"f(x) = b_2\, b_1\,\sigma", "simultaneously",
                   r"\binom{2}{i-1}", r"\tilde b_{2}", r"\min_{i \le 3}", r"2^{2}"):
        assert needle in text, needle
    assert "Depth" not in psi_latex(make_rule("alternating", "He3"))


def test_report_contains_the_derivation():
    from theory.latex import report_latex

    rule = make_rule("alternating", "h3", depth=4)
    doc = report_latex(rule, predict(rule, 4))
    assert r"\textbf{Depth 4 (layer-wise).}" in doc and r"\binom{3}{i-1}" in doc and doc.rstrip().endswith(r"\end{document}")
