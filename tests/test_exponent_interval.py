"""Soundness of the rigorous enclosures in :mod:`theory._interval`.

Every enclosure is checked against an independent 50-digit evaluation (mpmath): the exact value
must lie inside.  Random expressions come from the link grammar (hypothesis, derandomised).
"""
import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from theory._interval import (CRAMER, compile_expr, growth_bound, hermite_functions, hermite_moments,
                              level_set_moments)
from theory.links import Z

mpmath.mp.dps = 50
PROP = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def he_mp(k, x):
    a, b = mpmath.mpf(1), mpmath.mpf(x)
    if k == 0:
        return a
    for j in range(1, k):
        a, b = b, x * b - j * a
    return b


def psi_mp(k, x):
    x = mpmath.mpf(x)
    return he_mp(k, x) * mpmath.exp(-x * x / 2) / mpmath.sqrt(2 * mpmath.pi) / mpmath.sqrt(mpmath.factorial(k))


# ---------------------------------------------------------------------------
# random grammar expressions
# ---------------------------------------------------------------------------
_consts = st.sampled_from([sp.Rational(1, 10), sp.Rational(3, 10), sp.Integer(2), sp.Rational(-1, 2),
                           sp.pi, sp.sqrt(2), sp.Integer(3)])


def _unary(child):
    return st.one_of(
        child.map(sp.exp), child.map(sp.sin), child.map(sp.cos), child.map(sp.tanh), child.map(sp.erf),
        child.map(sp.Abs), child.map(sp.sign), child.map(sp.Heaviside), child.map(sp.sinh),
        child.map(lambda e: sp.Max(e, 0)), child.map(lambda e: 1 / (1 + sp.exp(-e))),
        child.map(lambda e: e**2), child.map(lambda e: e**3), child.map(lambda e: sp.sqrt(sp.Abs(e))),
        child.map(lambda e: (1 + e**2) ** sp.Rational(-2, 5)),
    )


def _binary(child):
    return st.one_of(
        st.tuples(child, child).map(lambda t: t[0] + t[1]),
        st.tuples(child, child).map(lambda t: t[0] * t[1]),
        st.tuples(_consts, child).map(lambda t: t[0] * t[1]),
        st.tuples(child, _consts).map(lambda t: t[0] - t[1]),
    )


exprs = st.recursive(st.sampled_from([Z, Z, 2 * Z, Z - sp.Rational(1, 3)]),
                     lambda c: st.one_of(_unary(c), _binary(c)), max_leaves=5)


def _mp_value(expr, x):
    f = sp.lambdify(Z, expr, modules=["mpmath"])
    try:
        v = mpmath.mpmathify(f(mpmath.mpf(x)))
    except (ZeroDivisionError, ValueError, OverflowError):
        return None
    if isinstance(v, mpmath.mpc):
        return None
    return v


@PROP
@given(exprs, st.floats(-4, 4), st.floats(1e-6, 0.5))
def test_value_enclosures_contain_the_exact_value(expr, a, w):
    ev = compile_expr(expr, Z)
    s = ev(np.array([a]), np.array([a + w]), 2)
    lo, hi = s.value.lo[0], s.value.hi[0]
    for t in (0.0, 0.37, 1.0):
        x = mpmath.mpf(a) + t * (mpmath.mpf(a + w) - mpmath.mpf(a))
        v = _mp_value(expr, x)
        if v is None:
            continue
        assert lo <= v <= hi, (expr, float(x), float(v), lo, hi)


@PROP
@given(exprs, st.floats(-3, 3), st.floats(1e-4, 0.2))
def test_taylor_coefficients_contain_the_derivatives(expr, a, w):
    """On cells marked smooth, ``c_j`` encloses ``f^(j)(xi)/j!`` at every ``xi`` of the cell."""
    ev = compile_expr(expr, Z)
    s = ev(np.array([a]), np.array([a + w]), 3)
    if not s.ok[0]:
        return
    f = sp.lambdify(Z, expr, modules=["mpmath"])
    for t in (0.25, 0.75):
        x = mpmath.mpf(a) + t * w
        for j in (1, 2, 3):
            try:
                d = mpmath.diff(lambda u: f(u), x, j) / math.factorial(j)
            except (ZeroDivisionError, ValueError):
                continue
            if isinstance(d, mpmath.mpc):
                continue
            c = s.c[j]
            slack = 1e-30 * (1 + abs(d))         # mpmath's numerical differentiation at 50 digits
            assert c.lo[0] - slack <= d <= c.hi[0] + slack, (expr, j, float(x), float(d), c.lo[0], c.hi[0])


def test_exactly_representable_constants_are_exact():
    ev = compile_expr(sp.sqrt(sp.Max(0, Z)), Z)      # Max(0, z) at z < 0 must be exactly [0, 0]
    s = ev(np.array([-2.0]), np.array([-1.0]), 0)
    assert s.value.lo[0] == 0.0 and s.value.hi[0] >= 0.0 and np.isfinite(s.value.hi[0])


# ---------------------------------------------------------------------------
# Hermite functions
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("x", [0.0, 0.3, -1.7, 4.5, 9.0, -15.0, 30.0, 39.0])
def test_hermite_function_errors_are_bounds(x):
    vals, errs = hermite_functions(np.array([x]), 120)
    for k in (0, 1, 2, 5, 17, 40, 80, 120):
        exact = psi_mp(k, x)
        assert abs(vals[k, 0] - exact) <= errs[k, 0], (x, k, vals[k, 0], float(exact), errs[k, 0])


def test_cramer_inequality_on_a_grid():
    """``|He_n(x)| e^{-x^2/4} <= CRAMER sqrt(n!)`` (A&S 22.14.17), checked for n <= 300, |x| <= 60
    with an independent normalised recurrence (the sup found is 1.0, at n = 0, x = 0)."""
    x = np.linspace(-60, 60, 48001)
    a, b = np.exp(-x * x / 4), x * np.exp(-x * x / 4)
    worst = max(np.abs(a).max(), np.abs(b).max())
    for n in range(1, 300):
        a, b = b, (x * b - math.sqrt(n) * a) / math.sqrt(n + 1)
        worst = max(worst, np.abs(b).max())
    assert worst <= CRAMER


# ---------------------------------------------------------------------------
# Hermite moments a_k = E[f He_k]/sqrt(k!)
# ---------------------------------------------------------------------------
def _ref_moment(expr, k, breaks=()):
    """25-digit tanh-sinh quadrature on unit pieces of [-12, 12] split at the kinks (the mass of
    ``|f psi_k|`` beyond 12 is below 1e-25 for these bounded-growth ``f``)."""
    f = sp.lambdify(Z, expr, modules=["mpmath"])
    with mpmath.workdps(25):
        pts = sorted(set([mpmath.mpf(x) for x in range(-12, 13)] + [mpmath.mpf(b) for b in breaks
                                                                      if abs(b) < 12]))
        return mpmath.quad(lambda t: f(t) * psi_mp(k, t), pts)


@pytest.mark.parametrize("expr, breaks, tight", [
    (sp.tanh(Z), (), 1e-10),
    (1 / (1 + sp.exp(-Z)), (), 1e-10),
    (sp.exp(-Z**4), (), 1e-9),
    (sp.Abs(Z - sp.Rational(3, 10)), (0.3,), 1e-9),
    (sp.sign(sp.sin(Z)), [n * math.pi for n in range(-12, 13)], 1e-9),
    (Z * sp.tanh(Z), (), 1e-9),
    (sp.sqrt(sp.Abs(Z)), (0,), 1e-6),
    (sp.sin(Z**2), (), 1e-8),
])
def test_moments_enclose_quadrature(expr, breaks, tight):
    m = hermite_moments(expr, Z, 12)
    assert m is not None
    for k in range(13):
        ref = _ref_moment(expr, k, breaks)
        assert abs(m.estimate[k] - ref) <= m.bound[k], (expr, k)
        assert m.bound[k] <= tight


def test_moments_refuse_without_growth_bound():
    """``tanh(z)/z``: ``1/z`` has no proven lower bound, so no tail bound and no enclosure is claimed;
    ``tanh(1/z)/(z^2 + 1/100)`` is bounded by 100 and gets one."""
    assert hermite_moments(sp.tanh(Z) / Z, Z, 3) is None
    assert hermite_moments(sp.tanh(1 / Z) / (Z**2 + sp.Rational(1, 100)), Z, 3) is not None


@pytest.mark.parametrize("expr", [Z**3 * sp.exp(-Z**2 / 8) * sp.tanh(Z), sp.exp(Z * sp.exp(-Z**2)),
                                  sp.cosh(Z / 3) + Z**4, 1 / (1 + sp.exp(-Z)) ** 3, sp.exp(-Z**4 + 3 * Z**3),
                                  sp.sinh(Z * sp.exp(-Z**2 / 2))])
def test_growth_bounds_hold(expr):
    g = growth_bound(expr, Z)
    assert g is not None
    f = sp.lambdify(Z, expr, modules=["mpmath"])
    for x in np.linspace(-30, 30, 121):
        bound = mpmath.exp(g.logc) * (1 + abs(x)) ** g.p * mpmath.exp(g.b * abs(x) + g.a * x * x)
        assert abs(f(mpmath.mpf(x))) <= bound, (expr, x)


# ---------------------------------------------------------------------------
# level sets
# ---------------------------------------------------------------------------
def _exact_level(intervals, k):
    """``int over the union of intervals of psi_k = sum (psi_{k-1}(a) - psi_{k-1}(b))/sqrt(k)``."""
    total = mpmath.mpf(0)
    for a, b in intervals:
        pa = 0 if a == -math.inf else psi_mp(k - 1, a)
        pb = 0 if b == math.inf else psi_mp(k - 1, b)
        total += (pa - pb) / mpmath.sqrt(k)
    return total


@pytest.mark.parametrize("expr, c, intervals", [
    (Z, 0.7, [(-math.inf, 0.7)]),
    (Z**2, 2.0, [(-math.sqrt(2), math.sqrt(2))]),
    (sp.sign(Z), 0.0, [(-math.inf, 0.0)]),
    (Z**3 - 3 * Z, 0.5, None),            # roots of z^3 - 3z - 0.5 (numpy, polished in mpmath)
    (sp.cos(Z), 0.2, None),
])
def test_level_set_enclosures(expr, c, intervals):
    if intervals is None:
        if expr == sp.cos(Z):
            # {cos z <= c} = union of [t + 2 pi n, 2 pi (n+1) - t], t = arccos c; |z| > 30 weighs < 1e-190
            t = math.acos(c)
            intervals = [(t + 2 * math.pi * n, 2 * math.pi * (n + 1) - t) for n in range(-6, 6)]
        else:
            roots = sorted(float(mpmath.findroot(lambda x: x**3 - 3 * x - 0.5, r))
                           for r in np.roots([1, 0, -3, -0.5]).real)
            intervals = [(-math.inf, roots[0]), (roots[1], roots[2])]
    ev = compile_expr(expr, Z)
    res = level_set_moments(ev, c, list(range(1, 9)))
    for i, k in enumerate(res.ks):
        exact = _exact_level(intervals, k)
        assert abs(res.estimate[i] - exact) <= res.bound[i], (expr, k, res.estimate[i], float(exact))
        assert res.bound[i] < 1e-10
        assert bool(res.nonzero()[i]) == (abs(exact) > res.bound[i] + abs(res.estimate[i] - exact))


def test_level_sets_of_functions_of_r2_vanish_at_k2():
    """``z^2 e^{-z^2}`` is a function of ``r_2``: ``G_2(c) = 0`` for every ``c`` -- never certified."""
    ev = compile_expr(Z**4 * sp.exp(-2 * Z**2), Z)
    for c in (0.001, 0.01, 0.05, 0.1, 0.13):
        res = level_set_moments(ev, c, [2, 4])
        assert not res.nonzero()[0]
        assert abs(res.estimate[0]) <= res.bound[0] < 1e-10
