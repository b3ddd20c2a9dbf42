"""Online SGD on transformed labels ``T(y)``: the closed form of its drift and the generative-exponent effect.

Closed form (derived in :mod:`theory.rules.online_transform`): ``mu_i = a i u_i(T o sigma_*) u_i(sigma)``.
Here ``u_i`` is computed independently of :mod:`theory.hermite`: Gaussian moments
``E[z^n] = (n-1)!!`` of the expanded polynomial ``f He_i`` (SymPy's ``hermite_prob``).
"""
import pytest
import sympy as sp

from theory.drift import drift_coefficients
from theory.latex import psi_latex, theorem_latex
from theory.links import parse_link
from theory.predict import predict
from theory.rules import make_rule
from theory.symbols import Y, Z


def gaussian_mean(poly: sp.Expr) -> sp.Expr:
    p = sp.Poly(sp.expand(poly), Z)
    return sum(c * (sp.factorial2(n - 1) if n % 2 == 0 else 0) for (n,), c in p.terms())


def u(f: sp.Expr, i: int) -> sp.Expr:
    return gaussian_mean(f * sp.hermite_prob(i, Z)) / sp.factorial(i)


@pytest.mark.parametrize("transform", ["y**2", "y**2 - 1"])            # y^2 and He_2(y)
@pytest.mark.parametrize("target", ["He3", "He2"])
@pytest.mark.parametrize("student, a", [("z + z**2 + z**3", 1), ("He2", 2), ("z**4 + z", sp.Rational(1, 3))])
def test_mu_closed_form(transform, target, student, a):
    r = make_rule("online-transform", target, student, transform=transform, a=a)
    t = sp.sympify(transform, locals={"y": Y})
    composed = t.subs(Y, parse_link(target).expr)
    s = parse_link(student).expr
    mu = drift_coefficients(r, 8)
    expected = {i: a * i * u(composed, i) * u(s, i) for i in range(1, 9)}
    assert {i: sp.nsimplify(mu[i]) for i in mu} == expected
    assert any(v != 0 for v in expected.values())  # the case is not vacuous


def test_squared_loss_has_the_same_drift():
    corr = drift_coefficients(make_rule("online-transform", "He3", "He2", transform="y**2"), 6)
    sq = make_rule("online-transform", "He3", "He2", transform="y**2", loss="squared")
    assert drift_coefficients(sq, 6) == corr and sq.label_free != 0


def test_transform_lowers_the_exponent_of_He3_from_3_to_2():
    """He_3^2 = He_6 + 9 He_4 + 18 He_2 + 6: T(y) = y^2 makes index 2 available (d^1, not d^2)."""
    plain = predict(make_rule("online", "He3", "z**3 + z**2"))
    moved = predict(make_rule("online-transform", "He3", "z**3 + z**2", transform="y**2"))
    assert plain.small_lr_exponent == 2 and {p.index for p in plain.pieces} == {3}
    assert moved.small_lr_exponent == 1 and {p.index for p in moved.pieces} == {2}
    assert moved.mu[2] == 2 * 18 * 1 and moved.mu[3] == 0  # a i u_2(He3^2) u_2(sigma); u_3(He3^2) = 0 (even)
    assert moved.thresholds == () and moved.exponent(sp.Rational(7, 3)) == 1  # flat: psi has no eta


def test_predict_and_latex_work_on_it():
    r = make_rule("online-transform", "He3", "He2", transform="y**2")
    p = predict(r)
    assert "online-transform SGD" in p.table() and p.to_dict()["rule"] == "online-transform"
    text = psi_latex(r)
    assert "transformed label" in text and r"2 a y^{2} z" in text
    assert r"index } i = 2\ \text{(generative regime)}" in theorem_latex(p)
