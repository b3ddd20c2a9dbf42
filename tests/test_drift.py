import math

import numpy as np
import pytest
import sympy as sp

from theory.drift import M, drift_coefficients, drift_polynomial, psi_second_moment
from theory.exponents import conditional_power
from theory.hermite import exact_coefficients
from theory.rules import make_rule
from theory.symbols import A, D, ETA, Y, Z


def _gaussian_moment(n):
    return 0 if n % 2 else math.prod(range(n - 1, 0, -2))


def direct_drift(rule):
    """E[psi(y, z) (u - m z)] computed without Hermite algebra: z, g independent N(0,1),
    u = m z + s g, s^2 = 1 - m^2, expand and take Gaussian moments monomial by monomial."""
    g, s = sp.symbols("g s", real=True)
    u = M * Z + s * g
    psi = rule.psi_full.subs(A, rule.a)
    poly_y = sp.Poly(sp.expand(psi), Y)
    total = 0
    for (k,), coeff in zip(poly_y.monoms(), poly_y.coeffs()):
        yk = conditional_power(rule.target, k).subs(Z, u)
        total += coeff * yk
    expr = sp.expand(total * (u - M * Z))
    out = 0
    for mon, c in sp.Poly(expr, Z, g).terms():
        out += c * _gaussian_moment(mon[0]) * _gaussian_moment(mon[1])
    return sp.expand(sp.expand(out).subs(s, sp.sqrt(1 - M**2)))


@pytest.mark.parametrize("rule, target, student, kw", [
    ("online", "He3", "He3", {}),
    ("online", "He4", "z**3 + z", {}),
    ("alternating", "He3", "He3", {}),
    ("alternating", "h3", "h3", dict(loss="squared")),
    ("alternating", "He4", "He4", dict(noise=sp.Rational(1, 2))),
    ("batch-reuse", "He3", "He3", {}),
    ("batch-reuse", "He2", "He3", dict(loss="squared", order=2)),
])
def test_drift_identity_exact(rule, target, student, kw):
    r = make_rule(rule, target, student, **kw)
    imax = 30
    assert sp.expand(drift_polynomial(r, imax) - direct_drift(r)) == 0


def test_online_mu_is_i_u_i_u_i():
    r = make_rule("online", "He4", "z**4 + z**3")
    mu = drift_coefficients(r, 6)
    ut = exact_coefficients(r.target.expr, 6)
    us = exact_coefficients(r.student.expr, 6)
    assert all(sp.expand(mu[i] - i * ut[i] * us[i]) == 0 for i in range(1, 7))


def test_alternating_mu_matches_theory_md_form():
    """mu_i = a i u_i(s*) u_i(s) + eta u_{i-1}(s s') u_i(s*^2)  (docs/theory.md, section 5)."""
    r = make_rule("alternating", "He5", "h3")
    mu = drift_coefficients(r, 10, symbolic_a=True)
    t, s = r.target.expr, r.student.expr
    ut, us = exact_coefficients(t, 10), exact_coefficients(s, 10)
    ut2, uss = exact_coefficients(t**2, 10), exact_coefficients(sp.expand(s * sp.diff(s, Z)), 10)
    for i in range(1, 11):
        assert sp.expand(mu[i] - (A * i * ut[i] * us[i] + ETA * uss[i - 1] * ut2[i])) == 0


def test_mu_monte_carlo_within_standard_error():
    """Sample estimate of E[psi(s*(a) + zeta, b) He_i(a) He_{i-1}(b)] / (i!(i-1)!) with label noise."""
    eta = sp.Rational(3, 10)
    noise = 0.5
    r = make_rule("alternating", "h3", "h3", noise=sp.Rational(1, 2))
    mu = drift_coefficients(r, 4)
    f = sp.lambdify((Y, Z), r.psi_at().subs(ETA, eta), "numpy")
    rng = np.random.default_rng(12345)
    n = 2_000_000
    a, b = rng.standard_normal(n), rng.standard_normal(n)
    y = (a**3 - 3 * a) / math.sqrt(6) + noise * rng.standard_normal(n)
    psi = f(y, b)
    for i in (2, 3, 4):
        he_i = np.polynomial.hermite_e.hermeval(a, [0] * i + [1])
        he_im1 = np.polynomial.hermite_e.hermeval(b, [0] * (i - 1) + [1])
        samples = psi * he_i * he_im1 / (math.factorial(i) * math.factorial(i - 1))
        se = samples.std() / math.sqrt(n)
        exact = float(mu[i].subs(ETA, eta))
        assert abs(samples.mean() - exact) < 4 * se, (i, samples.mean(), exact, se)


def test_psi_second_moment_against_quadrature():
    """psi^2 is a polynomial of high degree with very heavy tails (y^6 z^8 terms), so a Monte-Carlo
    mean is not a usable check; 2-D Gauss-Hermite quadrature with 120 nodes per axis is exact
    for polynomials of degree < 240 in each variable (up to floating-point rounding)."""
    r = make_rule("batch-reuse", "h3", "h3")
    d, eta = 20, sp.Rational(1, 40)
    exact = float(psi_second_moment(r).subs({D: d, ETA: eta}))
    f = sp.lambdify((Y, Z), r.psi_full.subs({A: 1, D: d, ETA: eta}), "numpy")
    x, w = np.polynomial.hermite_e.hermegauss(120)
    w = w / math.sqrt(2 * math.pi)
    u, z = np.meshgrid(x, x, indexing="ij")
    value = float(np.sum(np.outer(w, w) * f((u**3 - 3 * u) / math.sqrt(6), z) ** 2))
    assert value == pytest.approx(exact, rel=1e-9)
