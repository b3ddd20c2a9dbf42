"""Rigorous floating-point enclosures: interval Taylor arithmetic on numpy arrays.

Everything here returns *enclosures*: intervals ``[lo, hi]`` that contain the exact real value,
so that a decision drawn from them ("this integral is not zero") is a proof, up to one stated
assumption about the floating-point library.

Rounding model
--------------
* ``+ - * /`` and ``sqrt`` are IEEE-754 correctly rounded (error <= 1/2 ulp); every such result
  is moved outward by one ulp (:func:`numpy.nextafter`).
* The elementary functions of numpy/scipy (``exp, sin, cos, sinh, cosh, tanh, erf, power``) are
  **assumed** accurate to within ``LIBM_ULPS = 8`` ulps of the exact result (glibc documents
  1-2 ulps for these, numpy's SIMD versions 1-4, Cephes' ``erf`` about 1e-16 relative); their
  results are widened by that many ulps, plus ``2**-1000`` absolute.  ``sin``/``cos`` of
  arguments beyond ``1e6`` in magnitude are not trusted at all: the enclosure is ``[-1, 1]``.
* Constants (``pi``, ``sqrt(2)``, ``erf(1/3)``, ``1/10``, ...) are evaluated by SymPy to 40 digits
  and enclosed by the two neighbouring doubles; rationals that are exactly representable
  (``0``, ``3``, ``1/2``) are kept exact, so that ``Max(0, ...)`` of a negative argument is ``[0, 0]``.

Objects
-------
:class:`Iv` is an array of intervals.  A :class:`Series` is a truncated Taylor expansion with
interval coefficients, ``c_j`` enclosing ``f^(j)(xi) / j!`` for *every* ``xi`` in the cell the
series was evaluated on (interval Taylor arithmetic: the usual recurrences for ``exp, sin, tanh,
erf, u^r, a/b`` evaluated with intervals); ``ok`` marks the cells on which ``f`` is ``C^n``
(no kink, jump or singularity of ``Abs, sign, Heaviside, Max, Min`` or of a power inside), where
the higher coefficients mean something.  Values (``c_0``) are enclosures everywhere; an
evaluation that fails (a pole, a complex value, an overflow) gives ``[-inf, inf]``.

:func:`compile_expr` turns a SymPy expression in ``z`` into an evaluator; :func:`hermite_functions`
evaluates normalised Hermite functions with a running error bound; :func:`growth_bound` proves
``|f(z)| <= C (1 + |z|)^p exp(b |z| + a z^2)`` structurally; :func:`hermite_moments` encloses
``a_k = E[f(z) He_k(z)] / sqrt(k!)`` and :func:`level_set_moments` encloses
``E[He_k(z) 1{f(z) <= c}] / sqrt(k!)``.

Size: about 1200 lines, one concept (interval Taylor arithmetic and what is proved with it:
enclosures of Hermite moments, growth bounds, level-set moments).  The arithmetic (``Iv``,
``Series``) and the compiled evaluators share the rounding model stated above, which is the
module's one assumption; keeping them together keeps that assumption in one place.  No
function body is over 80 lines.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp
from scipy.special import erf as _erf

from theory._text import short_text

__all__ = [
    "Iv", "Series", "NotCompilable", "compile_expr", "float_evaluator", "hermite_functions", "growth_bound",
    "hermite_moments", "level_set_moments", "CRAMER", "LIBM_ULPS",
]

#: Assumed accuracy (ulps) of the elementary functions of numpy/scipy.
LIBM_ULPS = 8
#: Cramer's inequality (Abramowitz & Stegun 22.14.17): ``|He_n(x)| exp(-x^2/4) <= CRAMER sqrt(n!)``.
CRAMER = 1.086435
_TINY = 2.0 ** -1000
_INF = np.inf
_U = 2.0 ** -53                       # unit roundoff
_TRIG_TRUST = 1e6


class NotCompilable(Exception):
    """The expression uses something the interval evaluator does not support."""


# ---------------------------------------------------------------------------
# intervals
# ---------------------------------------------------------------------------
def _dn(x):
    return np.nextafter(x, -_INF)


def _up(x):
    return np.nextafter(x, _INF)


def _libm(lo, hi):
    """Widen libm results by ``LIBM_ULPS`` ulps and ``2**-1000`` absolute."""
    return (lo - LIBM_ULPS * np.abs(np.spacing(lo)) - _TINY,
            hi + LIBM_ULPS * np.abs(np.spacing(hi)) + _TINY)


class Iv:
    """An array of closed intervals ``[lo, hi]`` (NaN never survives: it becomes ``[-inf, inf]``)."""

    __slots__ = ("lo", "hi")

    def __init__(self, lo, hi=None):
        lo = np.asarray(lo, dtype=float)
        hi = lo if hi is None else np.asarray(hi, dtype=float)
        lo, hi = np.broadcast_arrays(lo, hi)
        bad = np.isnan(lo) | np.isnan(hi)
        if bad.any():
            lo = np.where(bad, -_INF, lo)
            hi = np.where(bad, _INF, hi)
        self.lo, self.hi = lo, hi

    @staticmethod
    def const(lo, hi, shape):
        return Iv(np.full(shape, lo), np.full(shape, hi))

    @property
    def shape(self):
        return self.lo.shape

    def mag(self):
        """``max |x|`` over the interval."""
        return np.maximum(np.abs(self.lo), np.abs(self.hi))

    def mig(self):
        """``min |x|`` over the interval."""
        return np.where((self.lo <= 0) & (self.hi >= 0), 0.0, np.minimum(np.abs(self.lo), np.abs(self.hi)))

    def contains_zero(self):
        return (self.lo <= 0) & (self.hi >= 0)

    def __neg__(self):
        return Iv(-self.hi, -self.lo)

    def __add__(self, o):
        o = _as_iv(o, self.shape)
        with np.errstate(invalid="ignore", over="ignore"):
            return Iv(_dn(self.lo + o.lo), _up(self.hi + o.hi))

    __radd__ = __add__

    def __sub__(self, o):
        o = _as_iv(o, self.shape)
        with np.errstate(invalid="ignore", over="ignore"):
            return Iv(_dn(self.lo - o.hi), _up(self.hi - o.lo))

    def __rsub__(self, o):
        return _as_iv(o, self.shape) - self

    def __mul__(self, o):
        o = _as_iv(o, self.shape)
        with np.errstate(invalid="ignore", over="ignore"):
            p = np.stack([self.lo * o.lo, self.lo * o.hi, self.hi * o.lo, self.hi * o.hi])
            bad = np.isnan(p).any(axis=0)
            lo, hi = _dn(p.min(axis=0)), _up(p.max(axis=0))
        return Iv(np.where(bad, np.nan, lo), np.where(bad, np.nan, hi))

    __rmul__ = __mul__

    def sqr(self):
        with np.errstate(invalid="ignore", over="ignore"):
            a, b = self.lo * self.lo, self.hi * self.hi
            hi = _up(np.maximum(a, b))
            lo = np.where(self.contains_zero(), 0.0, _dn(np.minimum(a, b)))
        return Iv(lo, hi)

    def recip(self):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            z = self.contains_zero()
            lo, hi = _dn(1.0 / self.hi), _up(1.0 / self.lo)
        return Iv(np.where(z, np.nan, lo), np.where(z, np.nan, hi))

    def __truediv__(self, o):
        o = _as_iv(o, self.shape)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            z = o.contains_zero()
            p = np.stack([self.lo / o.lo, self.lo / o.hi, self.hi / o.lo, self.hi / o.hi])
            lo, hi = _dn(p.min(axis=0)), _up(p.max(axis=0))
        return Iv(np.where(z, np.nan, lo), np.where(z, np.nan, hi))

    def __rtruediv__(self, o):
        return _as_iv(o, self.shape) / self

    def scale(self, c: float):
        """Multiply by an exactly representable float ``c`` (small integers, 1/2, ...)."""
        return self * Iv.const(c, c, self.shape)

    def hull(self, o):
        return Iv(np.minimum(self.lo, o.lo), np.maximum(self.hi, o.hi))

    def where(self, mask, o):
        return Iv(np.where(mask, self.lo, o.lo), np.where(mask, self.hi, o.hi))

    def __repr__(self):
        return f"Iv({self.lo!r}, {self.hi!r})"


def _as_iv(x, shape):
    if isinstance(x, Iv):
        return x
    x = float(x)
    return Iv.const(x, x, shape)


def _monotone(fn, x: Iv, increasing=True, clip=None):
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        a, b = fn(x.lo), fn(x.hi)
        lo, hi = _libm(a, b) if increasing else _libm(b, a)
    if clip is not None:
        lo, hi = np.maximum(lo, clip[0]), np.minimum(hi, clip[1])
    return Iv(lo, hi)


def iv_exp(x: Iv) -> Iv:
    out = _monotone(np.exp, x)
    return Iv(np.maximum(out.lo, 0.0), out.hi)


def iv_tanh(x):
    return _monotone(np.tanh, x, clip=(-1.0, 1.0))


def iv_erf(x):
    return _monotone(_erf, x, clip=(-1.0, 1.0))


def iv_sinh(x):
    return _monotone(np.sinh, x)


def iv_cosh(x):
    with np.errstate(over="ignore"):
        a, b = np.cosh(x.lo), np.cosh(x.hi)
        lo, hi = _libm(np.minimum(a, b), np.maximum(a, b))
    lo = np.where(x.contains_zero(), 1.0, np.maximum(lo, 1.0))
    return Iv(lo, hi)


def _trig(x: Iv, fn, peak: float) -> Iv:
    """Range of ``fn`` (``np.sin`` or ``np.cos``) over ``x``; maxima at ``peak + 2 pi n``, minima half a period later.

    Endpoint values come from ``fn`` itself (no phase shift, which would cost absolute accuracy
    near the zeros); an extremum counts as inside when it is within ``1e-9 (1 + |x|)`` of the
    interval (conservative: an extra extremum only widens the enclosure).
    """
    with np.errstate(invalid="ignore"):
        a, b = fn(x.lo), fn(x.hi)
        lo, hi = _libm(np.minimum(a, b), np.maximum(a, b))
        two_pi = 2.0 * math.pi
        slack = 1e-9 * (1.0 + np.abs(x.lo) + np.abs(x.hi))
        t_lo, t_hi = x.lo - slack, x.hi + slack
        has_max = np.floor((t_hi - peak) / two_pi) >= np.ceil((t_lo - peak) / two_pi)
        has_min = np.floor((t_hi - peak - math.pi) / two_pi) >= np.ceil((t_lo - peak - math.pi) / two_pi)
    wide = ~(np.abs(x.lo) < _TRIG_TRUST) | ~(np.abs(x.hi) < _TRIG_TRUST) | (x.hi - x.lo >= 6.0)
    hi = np.where(has_max | wide, 1.0, np.minimum(hi, 1.0))
    lo = np.where(has_min | wide, -1.0, np.maximum(lo, -1.0))
    return Iv(lo, hi)


def iv_cos(x):
    return _trig(x, np.cos, 0.0)


def iv_sin(x):
    return _trig(x, np.sin, math.pi / 2)


def iv_abs(x: Iv) -> Iv:
    return Iv(x.mig(), x.mag())


def iv_sign(x: Iv) -> Iv:
    return Iv(np.sign(x.lo), np.sign(x.hi))


def iv_heaviside(x: Iv) -> Iv:
    return Iv(np.heaviside(x.lo, 0.5), np.heaviside(x.hi, 0.5))


def iv_pow_int(x: Iv, n: int) -> Iv:
    if n == 0:
        return Iv.const(1.0, 1.0, x.shape)
    if n < 0:
        return iv_pow_int(x, -n).recip()
    if n == 1:
        return x
    if n == 2:
        return x.sqr()
    with np.errstate(over="ignore", invalid="ignore"):
        a, b = np.power(x.lo, float(n)), np.power(x.hi, float(n))
        if n % 2:
            lo, hi = _libm(a, b)
        else:
            lo, hi = _libm(np.minimum(a, b), np.maximum(a, b))
            lo = np.where(x.contains_zero(), 0.0, np.maximum(lo, 0.0))
    return Iv(lo, hi)


def iv_pow_real(x: Iv, r: float) -> Iv:
    """``x^r`` for non-integer ``r``: defined (real) only for ``x >= 0``."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        neg = x.lo < 0
        a, b = np.power(np.maximum(x.lo, 0.0), r), np.power(np.maximum(x.hi, 0.0), r)
        lo, hi = _libm(a, b) if r > 0 else _libm(b, a)
        lo = np.maximum(lo, 0.0)
        if r < 0:
            hi = np.where(x.lo <= 0, _INF, hi)
    return Iv(np.where(neg, np.nan, lo), np.where(neg, np.nan, hi))


def iv_max(a: Iv, b: Iv) -> Iv:
    return Iv(np.maximum(a.lo, b.lo), np.maximum(a.hi, b.hi))


def iv_min(a: Iv, b: Iv) -> Iv:
    return Iv(np.minimum(a.lo, b.lo), np.minimum(a.hi, b.hi))


# ---------------------------------------------------------------------------
# interval Taylor series
# ---------------------------------------------------------------------------
@dataclass
class Series:
    """``c[j]`` encloses ``f^(j)(xi)/j!`` for every ``xi`` in the cell where ``ok``."""

    c: list
    ok: np.ndarray

    @property
    def order(self):
        return len(self.c) - 1

    @property
    def value(self) -> Iv:
        return self.c[0]


def _zero_like(x: Iv):
    return Iv.const(0.0, 0.0, x.shape)


def _s_const(lo, hi, shape, order):
    c = [Iv.const(lo, hi, shape)] + [Iv.const(0.0, 0.0, shape) for _ in range(order)]
    return Series(c, np.ones(shape, bool))


def _s_add(a: Series, b: Series, sign=1):
    c = [x + y if sign > 0 else x - y for x, y in zip(a.c, b.c)]
    return Series(c, a.ok & b.ok)


def _s_mul(a: Series, b: Series):
    n = a.order
    c = []
    for k in range(n + 1):
        acc = a.c[0] * b.c[k]
        for j in range(1, k + 1):
            acc = acc + a.c[j] * b.c[k - j]
        c.append(acc)
    return Series(c, a.ok & b.ok)


def _s_div(a: Series, b: Series):
    b0 = b.c[0]
    q = [a.c[0] / b0]
    for k in range(1, a.order + 1):
        acc = a.c[k]
        for j in range(1, k + 1):
            acc = acc - b.c[j] * q[k - j]
        q.append(acc / b0)
    return Series(q, a.ok & b.ok & ~b0.contains_zero())


def _s_exp_like(u: Series, f0: Iv):
    """Series of ``e = exp(u)``: ``e_k = (1/k) sum_j j u_j e_{k-j}``."""
    e = [f0]
    for k in range(1, u.order + 1):
        acc = _zero_like(f0)
        for j in range(1, k + 1):
            acc = acc + u.c[j].scale(float(j)) * e[k - j]
        e.append(acc / Iv.const(float(k), float(k), f0.shape))
    return e


def _s_exp(u: Series):
    return Series(_s_exp_like(u, iv_exp(u.c[0])), u.ok.copy())


def _s_pair(u: Series, f0: Iv, g0: Iv, sign_g: float):
    """``f' = g u'``, ``g' = sign_g f u'`` (sin/cos: -1, sinh/cosh: +1)."""
    f, g = [f0], [g0]
    shape = f0.shape
    for k in range(1, u.order + 1):
        af, ag = _zero_like(f0), _zero_like(f0)
        for j in range(1, k + 1):
            ju = u.c[j].scale(float(j))
            af = af + ju * g[k - j]
            ag = ag + ju * f[k - j]
        kk = Iv.const(float(k), float(k), shape)
        f.append(af / kk)
        g.append((ag / kk).scale(sign_g))
    return f, g


def _s_ode(u: Series, f0: Iv, deriv_series):
    """``f' = D(f) u'`` where ``deriv_series(f_coeffs, m)`` gives coefficient ``m`` of ``D(f)``."""
    f = [f0]
    shape = f0.shape
    for k in range(1, u.order + 1):
        acc = _zero_like(f0)
        for j in range(1, k + 1):
            acc = acc + u.c[j].scale(float(j)) * deriv_series(f, k - j)
        f.append(acc / Iv.const(float(k), float(k), shape))
    return f


def _s_tanh(u: Series):
    one = Iv.const(1.0, 1.0, u.c[0].shape)

    def w(f, m):  # coefficient m of 1 - tanh(u)^2, from t_0..t_m
        acc = _zero_like(f[0])
        for i in range(m // 2 + 1):
            j = m - i
            acc = acc + (f[i].sqr() if i == j else (f[i] * f[j]).scale(2.0))
        return one - acc if m == 0 else -acc

    return Series(_s_ode(u, iv_tanh(u.c[0]), w), u.ok.copy())


_TWO_OVER_SQRTPI = (math.nextafter(2 / math.sqrt(math.pi), -math.inf), math.nextafter(2 / math.sqrt(math.pi), math.inf))


def _s_erf(u: Series):
    sq = _s_mul(u, u)
    e = _s_exp(Series([-u.c[0].sqr()] + [-c for c in sq.c[1:]], u.ok))
    k2 = Iv.const(*_TWO_OVER_SQRTPI, u.c[0].shape)
    d = [k2 * c for c in e.c]          # series of erf'(u) = 2/sqrt(pi) exp(-u^2)
    return Series(_s_ode(u, iv_erf(u.c[0]), lambda f, m: d[m]), u.ok.copy())


def _s_pow_int(u: Series, n: int):
    """``u^n`` by binary powering (valid whatever the sign of ``u``)."""
    if n < 0:
        return _s_div(_s_const(1.0, 1.0, u.c[0].shape, u.order), _s_pow_int(u, -n))
    result = _s_const(1.0, 1.0, u.c[0].shape, u.order)
    base, first = u, True
    while n:
        if n & 1:
            result = base if first else _s_mul(result, base)
            first = False
        n >>= 1
        if n:
            sq = _s_mul(base, base)
            base = Series([base.c[0].sqr()] + sq.c[1:], sq.ok)
    return result


def _s_pow_real(u: Series, r: float):
    """``p = u^r`` (non-integer ``r``): ``p_k = (1/(k u_0)) sum_i (r i - (k - i)) u_i p_{k-i}``."""
    u0 = u.c[0]
    p = [iv_pow_real(u0, r)]
    shape = u0.shape
    for k in range(1, u.order + 1):
        acc = _zero_like(u0)
        for i in range(1, k + 1):
            coef = Iv.const(*_enclose_float(r * i - (k - i)), shape)
            acc = acc + coef * u.c[i] * p[k - i]
        p.append(acc / (u0 * Iv.const(float(k), float(k), shape)))
    return Series(p, u.ok & (u0.lo > 0))


def _enclose_float(x: float):
    return math.nextafter(x, -math.inf), math.nextafter(x, math.inf)


def _s_branch(u: Series, kind: str):
    """Abs / sign / Heaviside: smooth where the argument keeps one sign."""
    u0 = u.c[0]
    pos, neg = u0.lo > 0, u0.hi < 0
    if kind == "abs":
        c = [iv_abs(u0)] + [ci.where(pos, -ci) for ci in u.c[1:]]
    else:
        v = iv_sign(u0) if kind == "sign" else iv_heaviside(u0)
        c = [v] + [_zero_like(u0) for _ in u.c[1:]]
    return Series(c, u.ok & (pos | neg))


def _s_maxmin(a: Series, b: Series, is_max: bool):
    a0, b0 = a.c[0], b.c[0]
    a_wins = (a0.lo >= b0.hi) if is_max else (a0.hi <= b0.lo)
    b_wins = (b0.lo >= a0.hi) if is_max else (b0.hi <= a0.lo)
    c = [iv_max(a0, b0) if is_max else iv_min(a0, b0)]
    for x, y in zip(a.c[1:], b.c[1:]):
        c.append(x.where(a_wins, y))
    return Series(c, (a_wins & a.ok) | (b_wins & b.ok))


# ---------------------------------------------------------------------------
# compiling SymPy expressions
# ---------------------------------------------------------------------------
def _const_interval(expr) -> tuple[float, float]:
    if expr.is_Rational:
        from fractions import Fraction

        q = Fraction(int(expr.p), int(expr.q))
        try:
            x = float(q)
        except OverflowError:
            x = math.inf if q > 0 else -math.inf
        if math.isfinite(x) and Fraction(x) == q:
            return x, x                      # exactly representable
    try:
        v = sp.N(expr, 40)
    except Exception as exc:  # noqa: BLE001 -- any evaluation failure means "not compilable"
        raise NotCompilable(f"cannot evaluate the constant {short_text(expr)}") from exc
    if not v.is_real or not v.is_number:
        raise NotCompilable(f"constant {short_text(expr)} is not a real number")
    x = float(v)
    if math.isnan(x):
        raise NotCompilable(f"constant {short_text(expr)} is not a number")
    return math.nextafter(x, -math.inf), math.nextafter(x, math.inf)


_UNARY = {
    sp.exp: "exp", sp.sin: "sin", sp.cos: "cos", sp.sinh: "sinh", sp.cosh: "cosh",
    sp.tanh: "tanh", sp.erf: "erf", sp.Abs: "abs", sp.sign: "sign", sp.Heaviside: "heaviside",
}


class Evaluator:
    """Interval Taylor evaluation of one SymPy expression in ``z`` (see :func:`compile_expr`)."""

    def __init__(self, expr: sp.Expr, var: sp.Symbol):
        self.expr = expr
        self.var = var
        self._consts: dict = {}
        self._check(expr)

    def _check(self, e):
        if self.var not in e.free_symbols:
            self._consts[e] = _const_interval(e)
            return
        if e == self.var:
            return
        if e.is_Add or e.is_Mul:
            for a in e.args:
                self._check(a)
            return
        if e.is_Pow:
            b, x = e.args
            if self.var in x.free_symbols:
                if self.var in b.free_symbols:
                    raise NotCompilable(f"{short_text(e)}: variable exponent of a variable base")
                lo, hi = _const_interval(b)
                if lo <= 0:
                    raise NotCompilable(f"{short_text(e)}: power of a non-positive constant")
                self._consts[("log", b)] = _const_interval(sp.log(b))
                self._check(x)
                return
            if not x.is_number or not x.is_real:
                raise NotCompilable(f"{short_text(e)}: exponent is not a real number")
            self._check(b)
            return
        func = type(e)
        if func is sp.Heaviside and len(e.args) == 2 and e.args[1] != sp.Rational(1, 2):
            raise NotCompilable(f"{short_text(e)}: Heaviside with H(0) != 1/2")
        if func in _UNARY and (len(e.args) == 1 or func is sp.Heaviside):
            self._check(e.args[0])
            return
        if func in (sp.Max, sp.Min):
            for a in e.args:
                self._check(a)
            return
        raise NotCompilable(f"no interval enclosure for {func.__name__}")

    def __call__(self, lo, hi=None, order: int = 0) -> Series:
        """Enclose ``f`` (and ``f^(j)/j!``, ``j <= order``) over the cells ``[lo, hi]``."""
        x = Iv(lo, hi)
        memo: dict = {}
        with np.errstate(all="ignore"):
            return self._ev(self.expr, x, order, memo)

    def _ev(self, e, x: Iv, n: int, memo) -> Series:
        hit = memo.get(e)
        if hit is not None:
            return hit
        out = self._ev1(e, x, n, memo)
        memo[e] = out
        return out

    def _ev1(self, e, x, n, memo):
        shape = x.shape
        if self.var not in e.free_symbols:
            return _s_const(*self._consts[e], shape, n)
        if e == self.var:
            c = [x] + ([Iv.const(1.0, 1.0, shape)] if n >= 1 else []) + [Iv.const(0.0, 0.0, shape)
                                                                        for _ in range(n - 1)]
            return Series(c, np.ones(shape, bool))
        if e.is_Add:
            args = list(e.args)
            acc = self._ev(args[0], x, n, memo)
            for a in args[1:]:
                acc = _s_add(acc, self._ev(a, x, n, memo))
            return acc
        if e.is_Mul:
            args = list(e.args)
            acc = self._ev(args[0], x, n, memo)
            for a in args[1:]:
                acc = _s_mul(acc, self._ev(a, x, n, memo))
            return acc
        if e.is_Pow:
            b, p = e.args
            if self.var in p.free_symbols:   # c**u = exp(u log c)
                u = self._ev(p, x, n, memo)
                lg = _s_const(*self._consts[("log", b)], shape, n)
                return _s_exp(_s_mul(u, lg))
            u = self._ev(b, x, n, memo)
            if p.is_Integer:
                k = int(p)
                s = _s_pow_int(u, k)
                # the direct power is a tighter enclosure of the value than the products
                return Series([_tight(iv_pow_int(u.c[0], k), s.c[0])] + s.c[1:], s.ok)
            return _s_pow_real(u, float(p))
        func = type(e)
        if func in (sp.Max, sp.Min):
            args = list(e.args)
            acc = self._ev(args[0], x, n, memo)
            for a in args[1:]:
                acc = _s_maxmin(acc, self._ev(a, x, n, memo), func is sp.Max)
            return acc
        kind = _UNARY[func]
        u = self._ev(e.args[0], x, n, memo)
        if kind == "exp":
            return _s_exp(u)
        if kind in ("sin", "cos"):
            s0, c0 = iv_sin(u.c[0]), iv_cos(u.c[0])
            s, c = _s_pair(u, s0, c0, -1.0)          # s' = c u', c' = -s u'
            return Series(s if kind == "sin" else c, u.ok.copy())
        if kind in ("sinh", "cosh"):
            s0, c0 = iv_sinh(u.c[0]), iv_cosh(u.c[0])
            s, c = _s_pair(u, s0, c0, 1.0)
            return Series(s if kind == "sinh" else c, u.ok.copy())
        if kind == "tanh":
            return _s_tanh(u)
        if kind == "erf":
            return _s_erf(u)
        return _s_branch(u, kind)


def _tight(a: Iv, b: Iv) -> Iv:
    """Intersection of two enclosures of the same quantity."""
    return Iv(np.maximum(a.lo, b.lo), np.minimum(a.hi, b.hi))


def float_evaluator(expr: sp.Expr, var: sp.Symbol):
    """A numpy function ``x -> f(x)`` (midpoints of point enclosures; NaN where not real/finite).

    Used instead of ``sympy.lambdify``, whose code printers rewrite ``Heaviside`` as a
    ``Piecewise`` at a cost exponential in the nesting.
    """
    ev = compile_expr(expr, var)

    def f(x):
        x = np.asarray(x, dtype=float)
        v = ev(x, x, 0).value
        with np.errstate(invalid="ignore", over="ignore"):
            out = 0.5 * (v.lo + v.hi)
            # a point whose enclosure is wide has no float value (sin(1e40): the rounding of the
            # argument spans many periods); NaN, not the midpoint of [-1, 1]
            sharp = (v.hi - v.lo) <= 1e-6 * (1.0 + np.abs(out))
        return np.where(np.isfinite(v.lo) & np.isfinite(v.hi) & sharp, out, np.nan)

    return f


def compile_expr(expr: sp.Expr, var: sp.Symbol) -> Evaluator:
    """An interval evaluator of ``expr``; raises :class:`NotCompilable` for unsupported nodes.

    Examples
    --------
    >>> import sympy as sp
    >>> z = sp.Symbol("z", real=True)
    >>> s = compile_expr(sp.exp(-z**2), z)(0.0, 1.0)
    >>> bool(s.value.lo[()] <= math.exp(-1) and s.value.hi[()] >= 1.0)
    True
    """
    return Evaluator(expr, var)


# ---------------------------------------------------------------------------
# normalised Hermite functions with a running error bound
# ---------------------------------------------------------------------------
_INV_SQRT_2PI_UP = math.nextafter(1.0 / math.sqrt(2.0 * math.pi), math.inf)


def hermite_functions(x, kmax: int):
    """``psi_j(x) = He_j(x) phi(x) / sqrt(j!)`` for ``j = 0..kmax`` with rigorous error bounds.

    Forward recurrence ``psi_{j+1} = (x psi_j - sqrt(j) psi_{j-1}) / sqrt(j+1)`` in floating
    point, with a running bound ``E_j >= |computed - exact|``: the local rounding of every step
    (at most ``5.2 u`` times the sum of the magnitudes of its two products, ``u = 2^-53``, from
    the correctly rounded ``*, -, sqrt, /`` and the rounding of the coefficients) propagated
    through the same recurrence with absolute values, the bound's own arithmetic rounded up.
    ``psi_0 = phi(x)`` carries the error of ``exp`` (``LIBM_ULPS``) and of ``x^2``.

    Returns ``(values, errors)``, arrays of shape ``(kmax + 1,) + x.shape``.

    Examples
    --------
    >>> v, e = hermite_functions(np.array([0.0, 1.0]), 2)
    >>> bool(abs(v[2, 1] - 0.0) <= e[2, 1])        # He_2(1) = 0
    True
    """
    x = np.asarray(x, dtype=float)
    ax = np.abs(x)
    vals = np.empty((kmax + 1,) + x.shape)
    errs = np.empty((kmax + 1,) + x.shape)
    t = x * x
    with np.errstate(under="ignore", over="ignore"):
        p0 = np.exp(-0.5 * t) * (1.0 / math.sqrt(2.0 * math.pi))
    e0 = p0 * ((0.5 * t + 1.0) * 1.01 * _U + (LIBM_ULPS + 3) * 2 * _U) + _TINY
    vals[0], errs[0] = p0, e0
    if kmax == 0:
        return vals, errs
    grow = 1.0 + 16 * _U
    p1 = x * p0
    e1 = (ax * e0 + _U * np.abs(p1)) * grow + _TINY
    vals[1], errs[1] = p1, e1
    for j in range(1, kmax):
        a = 1.0 / math.sqrt(j + 1.0)
        b = math.sqrt(j / (j + 1.0))
        a_up, b_up = a * (1 + 4 * _U), b * (1 + 4 * _U)
        pa = (a * x) * vals[j]
        pb = b * vals[j - 1]
        vals[j + 1] = pa - pb
        local = 5.2 * _U * (a_up * ax * np.abs(vals[j]) + b_up * np.abs(vals[j - 1]))
        errs[j + 1] = (a_up * ax * errs[j] + b_up * errs[j - 1] + local) * grow + _TINY
    return vals, errs


def _cramer_bound(mig):
    """``max |psi_j|`` over ``|x| >= mig``, every ``j``: ``CRAMER exp(-mig^2/4) / sqrt(2 pi)`` (rounded up)."""
    with np.errstate(under="ignore"):
        return CRAMER * np.exp(-0.25 * mig * mig) * _INV_SQRT_2PI_UP * (1 + 1e-12) + _TINY


# ---------------------------------------------------------------------------
# structural growth bounds: |f(z)| <= C (1+|z|)^p exp(b|z| + a z^2) for every real z
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Growth:
    """``|f(z)| <= exp(logc) (1 + |z|)^p exp(b |z| + a z^2)`` for all real ``z``."""

    logc: float
    p: float
    b: float
    a: float

    def __add__(self, o):
        hi = max(self.logc, o.logc)
        return Growth(hi + math.log1p(math.exp(min(self.logc, o.logc) - hi)), max(self.p, o.p),
                      max(self.b, o.b), max(self.a, o.a))

    def __mul__(self, o):
        return Growth(self.logc + o.logc, self.p + o.p, self.b + o.b, self.a + o.a)

    def power(self, r: float):
        return Growth(self.logc * r, self.p * r, self.b * r, self.a * r)


_BOUNDED = (sp.sin, sp.cos, sp.tanh, sp.erf, sp.sign, sp.Heaviside)


def _num(e) -> float | None:
    try:
        v = float(sp.N(e, 30))
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _sup_bound(g: Growth) -> float | None:
    """``log`` of a bound of ``C (1+t)^p e^{b t + a t^2}`` over ``t >= 0`` when ``a < 0`` (``log(1+t) <= t``)."""
    if g.a >= 0:
        return None
    lin = max(g.p, 0.0) + max(g.b, 0.0)
    return g.logc + lin * lin / (4.0 * -g.a) * (1 + 1e-12) + 1e-12


def growth_bound(expr: sp.Expr, var: sp.Symbol) -> Growth | None:
    """A structural bound ``|f(z)| <= C (1+|z|)^p e^{b|z| + a z^2}``, or ``None`` if none is proven.

    Rules (each an inequality valid for every real ``z``): constants and ``z``; sums (the larger
    exponents, summed constants); products (summed exponents); ``|g|^r``; bounded functions
    (``sin, cos, tanh, erf, sign, Heaviside``: 1); ``exp(h)`` with ``h <= alpha z^2 + beta |z| +
    gamma`` (:func:`_quadratic_upper`); ``sinh, cosh`` by ``exp(|h|)``; negative powers of a base
    with a proven positive lower bound (:func:`_lower_bound`).  Constants are rounded up.

    Examples
    --------
    >>> z = sp.Symbol("z", real=True)
    >>> g = growth_bound(z**3 * sp.exp(-z**2 / 8) * sp.tanh(z), z)
    >>> round(g.p, 6), round(g.a, 6)
    (3.0, -0.125)
    """
    g = _growth(expr, var)
    if g is None:
        return None
    slack = 1e-9
    return Growth(g.logc + slack * (1 + abs(g.logc)), g.p + slack, g.b + slack, g.a + slack * 1e-3)


def _growth(e, v):
    if v not in e.free_symbols:
        c = _num(sp.Abs(e))
        if c is None:
            return None
        return Growth(math.log(c) if c > 0 else -745.0, 0.0, 0.0, 0.0)
    if e == v:
        return Growth(0.0, 1.0, 0.0, 0.0)
    if e.is_Add:
        out = None
        for a in e.args:
            g = _growth(a, v)
            if g is None:
                return None
            out = g if out is None else out + g
        return out
    if e.is_Mul:
        out = Growth(0.0, 0.0, 0.0, 0.0)
        for a in e.args:
            g = _growth(a, v)
            if g is None:
                return None
            out = out * g
        return out
    if e.is_Pow:
        b, r = e.args
        if v in r.free_symbols:
            if v in b.free_symbols:
                return None
            return _growth(sp.exp(r * sp.log(b)), v)
        rv = _num(r)
        if rv is None:
            return None
        if rv >= 0:
            g = _growth(b, v)
            return None if g is None else g.power(rv)
        m = _lower_bound(b, v)
        if m is None or m <= 0:
            return None
        return Growth(rv * math.log(m), 0.0, 0.0, 0.0)
    if isinstance(e, _BOUNDED):
        return Growth(0.0, 0.0, 0.0, 0.0)
    if isinstance(e, sp.Abs):
        return _growth(e.args[0], v)
    if isinstance(e, (sp.Max, sp.Min)):
        out = None
        for a in e.args:
            g = _growth(a, v)
            if g is None:
                return None
            out = g if out is None else out + g
        return out
    if isinstance(e, sp.exp):
        q = _quadratic_upper(e.args[0], v)
        return None if q is None else Growth(q[2], 0.0, q[1], q[0])
    if isinstance(e, (sp.sinh, sp.cosh)):
        g = _growth(e.args[0], v)
        if g is not None and g.a < 0:
            m = _sup_bound(g)
            return None if m is None or m > 700 else Growth(math.exp(m), 0.0, 0.0, 0.0)
        if g is None or g.a > 0 or g.b > 0 or g.p > 2:
            return None
        c = math.exp(g.logc)
        if g.p <= 1:
            return Growth(c, 0.0, c, 0.0)            # e^{C(1+|z|)}
        return Growth(2 * c, 0.0, 0.0, 2 * c)        # C(1+|z|)^2 <= 2C(1+z^2)
    return None


def _quadratic_upper(h, v):
    """``(alpha, beta, gamma)`` with ``h(z) <= alpha z^2 + beta |z| + gamma`` for all real ``z``."""
    if v not in h.free_symbols:
        c = _num(h)
        return None if c is None else (0.0, 0.0, c)
    if h.is_polynomial(v):
        poly = sp.Poly(h, v)
        coeffs = [_num(c) for c in reversed(poly.all_coeffs())]       # low to high
        if any(c is None for c in coeffs):
            return None
        d = poly.degree()
        if d <= 2:
            coeffs += [0.0] * (3 - len(coeffs))
            return coeffs[2], abs(coeffs[1]), coeffs[0]
        lead = coeffs[d]
        if d % 2 or lead >= 0:
            return None
        # h <= sum_{i<d} |c_i| |z|^i - |c_d| |z|^d: negative for |z| >= R, at most M below
        R = max(1.0, sum(abs(c) for c in coeffs[:d]) / abs(lead))
        M = sum(abs(c) * R**i for i, c in enumerate(coeffs[:d]))
        return 0.0, 0.0, M * (1 + 1e-12)
    if h.is_Add:
        out = (0.0, 0.0, 0.0)
        for a in h.args:
            q = _quadratic_upper(a, v)
            if q is None:
                return None
            out = tuple(x + y for x, y in zip(out, q))
        return out
    if h.is_Mul:
        coeff, rest = h.as_independent(v)
        c = _num(coeff)
        if c is not None and c < 0 and _lower_bound(rest, v) is not None:
            m = _lower_bound(rest, v)
            return 0.0, 0.0, c * m                    # c * rest <= c * m  (c < 0, rest >= m)
    g = _growth(h, v)
    if g is not None and g.a < 0:
        m = _sup_bound(g)
        return None if m is None or m > 700 else (0.0, 0.0, math.exp(m))
    if g is None or g.a > 0 or g.b > 0 or g.p > 2:
        return None
    c = math.exp(g.logc)
    if g.p <= 1:
        return 0.0, c, c
    return 2 * c, 0.0, 2 * c


def _lower_bound(e, v) -> float | None:
    """A number ``m`` with ``e(z) >= m`` for every real ``z`` (``None`` if not proven)."""
    if v not in e.free_symbols:
        return _num(e)
    if isinstance(e, sp.Abs) or (e.is_Pow and e.exp.is_Integer and int(e.exp) % 2 == 0):
        return 0.0
    if isinstance(e, sp.cosh):
        return 1.0
    if isinstance(e, (sp.exp, sp.Heaviside)):
        return 0.0
    if isinstance(e, sp.tanh) or isinstance(e, sp.erf) or isinstance(e, sp.sign) or isinstance(e, (sp.sin, sp.cos)):
        return -1.0
    if e.is_Add:
        total = 0.0
        for a in e.args:
            m = _lower_bound(a, v)
            if m is None:
                return None
            total += m
        return total - 1e-12 * (1 + abs(total))
    if e.is_Mul:
        total = 1.0
        for a in e.args:
            m = _lower_bound(a, v)
            if m is None or m < 0:
                return None
            total *= m
        return total * (1 - 1e-12)
    if e.is_Pow:
        m = _lower_bound(e.base, v)
        r = _num(e.exp)
        if m is not None and m > 0 and r is not None and r > 0:
            return m**r * (1 - 1e-12)
        if m is not None and m >= 0 and r is not None and r > 0:
            return 0.0
    if isinstance(e, sp.Max):
        ms = [_lower_bound(a, v) for a in e.args]
        ms = [m for m in ms if m is not None]
        return max(ms) if ms else None
    return None


def _tail_integral(L: float, g: Growth) -> float:
    """Upper bound of ``int_L^inf (1+z)^p e^{b z - c z^2} dz`` with ``c = 1/4 - a``; ``inf`` if none.

    For ``z >= L`` the log-derivative of the integrand is at most ``-kappa``,
    ``kappa = 2 c L - b - p/(1+L)`` (when ``p >= 0``; ``2cL - b`` when ``p < 0``), so the integrand is
    below its value at ``L`` times ``e^{-kappa (z - L)}`` and the integral below ``value / kappa``.
    """
    c = 0.25 - g.a
    if c <= 0:
        return math.inf
    kappa = 2 * c * L - g.b - (g.p / (1 + L) if g.p > 0 else 0.0)
    if kappa <= 0:
        return math.inf
    log_val = g.p * math.log1p(L) + g.b * L - c * L * L
    if log_val > 700:  # beyond double range: no usable bound from this L
        return math.inf
    return math.exp(log_val) / kappa * (1 + 1e-9)


# ---------------------------------------------------------------------------
# rigorous Hermite moments a_k = E[f(z) He_k(z)] / sqrt(k!)
# ---------------------------------------------------------------------------
_TAYLOR_ORDER = 4
_SUBDIVISIONS = 40
_MAX_ROUGH = 512            # non-smooth cells bisected further only while there are at most this many
_MAX_STRADDLE = 4096        # level sets: straddling cells bisected only while there are at most this many
_CHUNK = 4096


@dataclass(frozen=True)
class Moments:
    """``estimate[k] +- bound[k]`` encloses ``a_k = E[f He_k] / sqrt(k!)`` (normalised basis)."""

    estimate: np.ndarray
    bound: np.ndarray
    half_width: float
    cells: int


def hermite_moments(expr: sp.Expr, var: sp.Symbol, kmax: int, *, cells: int = 8192,
                    evaluator: Evaluator | None = None) -> Moments | None:
    """Enclose ``a_k = int f(z) psi_k(z) dz`` (``psi_k = He_k phi / sqrt(k!)``), ``k = 0..kmax``.

    Composite two-point Gauss-Legendre on ``[-L, L]`` with a rigorous remainder: on a cell of
    width ``h`` where ``f`` is ``C^4``, ``int g = (h/2)(g(x_1) + g(x_2)) + h^5 g''''(xi) / 4320``,
    ``g = f psi_k``, ``g'''' = sum_i C(4,i) f^(i) psi_k^(4-i)``, ``|psi_k^(m)| <= sqrt((k+1)..(k+m))
    max_j |psi_j|`` and ``max_j |psi_j| <= CRAMER e^{-x^2/4}/sqrt(2 pi)`` (Cramer's inequality);
    ``f^(i)`` are enclosed by interval Taylor arithmetic over the cell.  Cells where ``f`` is not
    smooth (kinks, jumps) are bisected ``40`` times and the last ones bounded by
    ``h max|f| max|psi|``.  Point values carry their interval radius and the running error of
    :func:`hermite_functions`; sums carry ``gamma_n`` times the sum of magnitudes; the nodes'
    rounding costs ``|delta x| max|g'|``.  The tails ``|z| > L`` are bounded through
    :func:`growth_bound`.  Returns ``None`` when no bound is possible (no growth bound, or an
    unbounded enclosure, e.g. at an integrable singularity).
    """
    ev = evaluator or compile_expr(expr, var)
    g = growth_bound(expr, var)
    if g is None or g.a >= 0.25:
        return None
    logc = g.logc + math.log(CRAMER * _INV_SQRT_2PI_UP)
    L, tail = None, math.inf
    for cand in range(8, 61, 2):
        t = 2.0 * math.exp(logc) * _tail_integral(float(cand), g) if logc < 700 else math.inf
        if t <= 1e-17:
            L, tail = float(cand), t
            break
        if t < tail:
            L, tail = float(cand), t
    if L is None:
        return None
    edges = np.linspace(-L, L, cells + 1)
    lo, hi = edges[:-1], edges[1:]
    smooth_lo, smooth_hi, rough = [], [], []
    s = ev(lo, hi, _TAYLOR_ORDER)
    for depth in range(_SUBDIVISIONS + 1):
        good = s.ok & np.all([np.isfinite(c.lo) & np.isfinite(c.hi) for c in s.c], axis=0)
        smooth_lo.append(lo[good])
        smooth_hi.append(hi[good])
        bad_lo, bad_hi = lo[~good], hi[~good]
        if bad_lo.size == 0:
            break
        if depth == _SUBDIVISIONS or bad_lo.size > _MAX_ROUGH:
            rough.append((bad_lo, bad_hi, ev(bad_lo, bad_hi, 0).value))
            break
        mid = 0.5 * (bad_lo + bad_hi)
        lo, hi = np.concatenate([bad_lo, mid]), np.concatenate([mid, bad_hi])
        s = ev(lo, hi, _TAYLOR_ORDER)
    slo, shi = np.concatenate(smooth_lo), np.concatenate(smooth_hi)
    est = np.zeros(kmax + 1)
    err = np.zeros(kmax + 1)
    ks = np.arange(kmax + 1, dtype=float)
    # P_m(k) = sqrt((k+1)...(k+m))
    P = [np.ones(kmax + 1)]
    for m in range(1, _TAYLOR_ORDER + 1):
        P.append(P[-1] * np.sqrt(ks + m))
    n_terms = 2 * slo.size
    gamma = (n_terms + 8) * _U / (1 - (n_terms + 8) * _U) + 4 * _U
    abs_sum = np.zeros(kmax + 1)
    Pm = np.stack([P[_TAYLOR_ORDER - i] * math.comb(_TAYLOR_ORDER, i) * math.factorial(i)
                   for i in range(_TAYLOR_ORDER + 1)], axis=1)          # (kmax+1, order+1)
    sq = np.sqrt(ks + 1)
    r3 = 1.0 / (2.0 * math.sqrt(3.0))
    for c0 in range(0, slo.size, _CHUNK):
        a_, b_ = slo[c0:c0 + _CHUNK], shi[c0:c0 + _CHUNK]
        h = b_ - a_
        m = 0.5 * (a_ + b_)
        x = np.concatenate([m - r3 * h, m + r3 * h])
        fv = ev(x, x, 0).value
        fm = 0.5 * (fv.lo + fv.hi)
        fr = np.maximum(fv.hi - fm, fm - fv.lo) + _U * np.abs(fm)
        w = np.concatenate([0.5 * h, 0.5 * h])
        vals, errs = hermite_functions(x, kmax)
        W = w * fm
        est += vals @ W
        err += errs @ np.abs(W) + (np.abs(vals) + errs) @ (w * fr)
        abs_sum += np.abs(vals) @ np.abs(W)
        sc = ev(a_, b_, _TAYLOR_ORDER)
        bpsi = _cramer_bound(Iv(a_, b_).mig())
        h5 = h**5 / 4320.0 * (1 + 8 * _U)
        Q = np.stack([h5 * bpsi * sc.c[i].mag() for i in range(_TAYLOR_ORDER + 1)])   # (order+1, cells)
        dx = 2 * _U * (np.abs(m) + h)
        rem = Pm @ Q + np.outer(np.ones(kmax + 1), h * dx * bpsi * sc.c[1].mag()) \
            + np.outer(sq, h * dx * bpsi * sc.c[0].mag())
        # on any cell |int g - (h/2)(g(x1) + g(x2))| <= 2 h max|f| max|psi|: take the smaller bound
        crude = 2.0 * h * bpsi * sc.c[0].mag()
        with np.errstate(invalid="ignore"):
            err += np.sum(np.minimum(rem, crude[None, :]), axis=1) * (1 + 1e-12)
    err += gamma * abs_sum
    for a_, b_, v in rough:
        err += np.sum((b_ - a_) * v.mag() * _cramer_bound(Iv(a_, b_).mig())) * (1 + 1e-12)
    err += tail
    if not np.all(np.isfinite(err)) or not np.all(np.isfinite(est)):
        return None
    err = err * (1 + 1e-10) + _TINY
    return Moments(est, err, L, int(slo.size))


# ---------------------------------------------------------------------------
# level sets: G_k(c) = E[He_k(z) 1{f(z) <= c}] / sqrt(k!)
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class LevelMoments:
    """``estimate[i] +- bound[i]`` encloses ``E[He_k 1{f <= c}] / sqrt(k!)`` for ``k = ks[i]``."""

    level: float
    ks: tuple
    estimate: np.ndarray
    bound: np.ndarray
    undecided_cells: int

    def nonzero(self) -> np.ndarray:
        """Which enclosures exclude 0: a proof that ``E[He_k | y] != 0``."""
        return np.abs(self.estimate) > self.bound


def level_set_moments(ev: Evaluator, level: float, ks, *, cells: int = 2048,
                      max_depth: int = 48) -> LevelMoments:
    """Enclose ``G_k(c) = int_{f(z) <= c} psi_k(z) dz`` for the float ``c = level`` and each ``k`` in ``ks``.

    ``psi_k = -(psi_{k-1})' / sqrt(k)`` (from ``(He_{k-1} phi)' = -He_k phi``), so on every
    interval ``[a, b]`` of ``{f <= c}`` the integral is ``(psi_{k-1}(a) - psi_{k-1}(b)) / sqrt(k)``:
    only the boundary of the level set matters.  Cells of ``[-L, L]`` whose interval enclosure of
    ``f`` lies in ``(-inf, c]`` are in the set, those above ``c`` out; the others are bisected up
    to ``max_depth`` times (or to 4 ulps) and what remains contributes at most ``h max |psi_k|``
    (Cramer).  For ``|z| > L >= sqrt(4k + 2)`` (beyond every zero of ``He_k``, where it is
    positive), ``int_{|z|>L} |psi_k| = 2 psi_{k-1}(L) / sqrt(k)``: whatever ``f`` does there, that
    bounds the tail.
    """
    ks = tuple(int(k) for k in ks)
    if not ks or min(ks) < 1:
        raise ValueError("ks must be integers >= 1")
    kmax = max(ks)
    L = max(12.0, math.sqrt(4 * kmax + 2) + 10.0)
    edges = np.linspace(-L, L, cells + 1)
    lo, hi = edges[:-1], edges[1:]
    in_lo, in_hi = [], []
    und_lo, und_hi = [], []
    c = float(level)
    for depth in range(max_depth + 1):
        v = ev(lo, hi, 0).value
        inside = v.hi <= c
        outside = v.lo > c
        in_lo.append(lo[inside])
        in_hi.append(hi[inside])
        mid_cells = ~(inside | outside)
        slo, shi = lo[mid_cells], hi[mid_cells]
        if slo.size == 0:
            break
        mid = 0.5 * (slo + shi)
        splittable = (mid > slo) & (mid < shi) & ((shi - slo) > 4 * np.abs(np.spacing(mid)))
        if depth == max_depth or slo.size > _MAX_STRADDLE:
            splittable[:] = False
        und_lo.append(slo[~splittable])
        und_hi.append(shi[~splittable])
        slo, shi, mid = slo[splittable], shi[splittable], mid[splittable]
        if slo.size == 0:
            break
        lo, hi = np.concatenate([slo, mid]), np.concatenate([mid, shi])
    a = np.concatenate(in_lo) if in_lo else np.empty(0)
    b = np.concatenate(in_hi) if in_hi else np.empty(0)
    order = np.argsort(a)
    a, b = a[order], b[order]
    # merge touching cells into runs
    if a.size:
        start = np.ones(a.size, bool)
        start[1:] = a[1:] != b[:-1]
        run_a = a[start]
        end = np.ones(a.size, bool)
        end[:-1] = start[1:]
        run_b = b[end]
    else:
        run_a = run_b = np.empty(0)
    pts = np.concatenate([run_a, run_b, [L]])
    vals, errs = hermite_functions(pts, kmax)
    na = run_a.size
    est = np.zeros(len(ks))
    bound = np.zeros(len(ks))
    ul = np.concatenate(und_lo) if und_lo else np.empty(0)
    uh = np.concatenate(und_hi) if und_hi else np.empty(0)
    und = float(np.sum((uh - ul) * _cramer_bound(Iv(ul, uh).mig()))) * (1 + 1e-12) if ul.size else 0.0
    n_terms = 2 * na + 4
    gamma = (n_terms + 4) * _U / (1 - (n_terms + 4) * _U)
    for i, k in enumerate(ks):
        r = vals[k - 1] / math.sqrt(k)
        re = errs[k - 1] / math.sqrt(k) * (1 + 4 * _U) + np.abs(r) * 4 * _U
        s_plus = np.sum(r[:na]) - np.sum(r[na:2 * na])
        mag = np.sum(np.abs(r[:2 * na]))
        tail = 2.0 * (abs(r[-1]) + re[-1]) * (1 + 4 * _U)
        est[i] = s_plus
        bound[i] = (np.sum(re[:2 * na]) + gamma * mag + tail + und) * (1 + 1e-12) + _TINY
    return LevelMoments(c, ks, est, bound, int(ul.size))
