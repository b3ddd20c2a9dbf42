"""Hermite expansions under the standard Gaussian, exact where possible.

Convention (used by every function here unless it says otherwise): probabilists'
Hermite polynomials ``He_k`` with ``E[He_j(z) He_k(z)] = k! delta_jk`` for ``z ~ N(0, 1)``,
and coefficients

    u_k(f) = E[f(z) He_k(z)] / k!,     so that  f = sum_k u_k(f) He_k.

The normalised basis ``h_k = He_k / sqrt(k!)`` has coefficients ``sqrt(k!) u_k``; see
:meth:`HermiteExpansion.normalised`.

Three methods, tried in order, and reported per coefficient:

``polynomial``
    basis change ``z^n = sum_j n! / (2^j j! (n-2j)!) He_{n-2j}`` -- Gaussian moments,
    no integration; integer arithmetic when the coefficients are rational.
``closed form``
    links that are, piecewise on intervals with real endpoints, sums of
    ``c z^n exp(b z - a z^2)`` (``Abs``, ``Max``, ``sign``, ``Heaviside``, ``cos``,
    ``exp(z)``, ``z exp(-z^2/2)``, ...): incomplete Gaussian moments by an exact
    recursion (integration by parts), giving rationals, radicals, ``erf`` and ``exp``.
    The pieces come from the exact real roots of the (polynomial) arguments of the
    piecewise functions, innermost first (:func:`piecewise_branches`, at most :data:`MAX_PIECES`);
    piecewise polynomials with rational breakpoints take an all-rational path
    (:mod:`theory.hermite_piecewise`).  Links whose derivative is in that class (``erf``) use
    Stein's identity ``E[f He_k] = E[f' He_{k-1}]``.  Whatever SymPy cannot do here
    (a switch that is not polynomial, ``sign(sin z)``) falls to the next method.
``numeric``
    everything else (``tanh``, ``sigmoid``, ``sign(sin z)``): a rigorous enclosure by interval
    arithmetic (:func:`theory._interval.hermite_moments`; ``rigorous`` true, ``error`` a proven
    bound, typically 1e-12) or, when no enclosure is possible, a Gauss-Legendre estimate
    (``rigorous`` false, ``error`` an estimate).  Never presented as exact
    (:mod:`theory.hermite_numeric`).

This module holds the result types, the polynomial method, the exact-zero test and the entry
points; the other two methods live in the modules named above, whose public names are
re-exported here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from theory.display import RichDisplay
from theory._text import short_text
from theory.errors import ExpansionError, TheoryInputError
from theory.hepoly import monomial_to_he
from theory._validate import as_int
from theory.hermite_numeric import numeric_coefficients
from theory.hermite_piecewise import (MAX_BREAKPOINT, MAX_PIECES, PIECEWISE_ATOMS, SYMPY_FAILURES, NotInClass,
                                      closed_form_coefficients, piecewise_branches, tidy)
from theory.links import EVEN, ODD, Z, Link, parity

__all__ = [
    "HermiteCoefficient",
    "HermiteExpansion",
    "hermite_expansion",
    "exact_coefficients",
    "gaussian_expectation",
    "is_exactly_zero",
    "KMAX_LIMIT",
    "NotInClass",
    "piecewise_branches",
    "numeric_coefficients",
    "MAX_PIECES",
    "MAX_BREAKPOINT",
]

#: Largest ``kmax`` accepted.
KMAX_LIMIT = 200


# ---------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class HermiteCoefficient:
    """``u_k = E[f He_k] / k!`` in the ``He_k`` basis.

    ``exact`` is a SymPy expression when the value is exact, else ``None``; ``value`` is a
    float; ``error`` bounds ``|value - u_k|`` (``0.0`` for exact coefficients, whose float is
    just a rounding).  For numeric coefficients ``rigorous`` says whether ``error`` is a
    *proven* bound (interval enclosure) or only a quadrature estimate.
    """

    k: int
    exact: sp.Expr | None
    value: float
    error: float = 0.0
    method: str = "polynomial"
    rigorous: bool = True

    @property
    def is_exact(self) -> bool:
        return self.exact is not None

    @property
    def sign(self) -> int | None:
        """``+1``, ``-1`` or ``0`` when decided, ``None`` when undecided.

        Exact values are decided exactly; a numeric value has a sign only when its error is a
        proven bound (``rigorous``) and ``|value| > error``; it is never decided to be zero.
        """
        if self.exact is not None:
            return _exact_sign(self.exact)
        if self.rigorous and math.isfinite(self.value) and abs(self.value) > self.error:
            return 1 if self.value > 0 else -1
        return None

    @property
    def proven_nonzero(self) -> bool:
        """``u_k != 0`` is proven (exactly, or by a rigorous enclosure that excludes 0)."""
        s = self.sign
        return s is not None and s != 0

    @property
    def proven_zero(self) -> bool:
        """``u_k = 0`` is proven (only exact coefficients can be)."""
        return self.exact is not None and is_exactly_zero(self.exact)

    def is_zero(self, tol: float | None = None) -> bool:
        """Exact zero test for exact values; for numeric ones ``|value| <= max(tol, 10*error)``.

        For numeric coefficients this says "indistinguishable from zero", not "zero": use
        :attr:`proven_zero` / :attr:`proven_nonzero` for decisions.
        """
        if self.exact is not None:
            return is_exactly_zero(self.exact)
        bound = max(tol if tol is not None else 0.0, 10 * self.error, 1e-15)
        return not math.isfinite(self.value) or abs(self.value) <= bound


@dataclass(frozen=True)
class HermiteExpansion(RichDisplay):
    """Hermite coefficients ``u_0 .. u_kmax`` of a function of ``z`` (``He_k`` basis)."""

    expr: sp.Expr
    coefficients: tuple[HermiteCoefficient, ...]

    @property
    def kmax(self) -> int:
        return len(self.coefficients) - 1

    @property
    def is_exact(self) -> bool:
        return all(c.is_exact for c in self.coefficients)

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(sorted({c.method for c in self.coefficients}))

    def __getitem__(self, k: int) -> HermiteCoefficient:
        return self.coefficients[k]

    def exact_values(self) -> list[sp.Expr]:
        """The exact ``u_k`` as SymPy expressions; raises if any coefficient is numeric."""
        if not self.is_exact:
            raise ExpansionError(f"the Hermite coefficients of {short_text(self.expr)} are only known numerically")
        return [c.exact for c in self.coefficients]

    def normalised(self) -> list[tuple[int, sp.Expr | None, float]]:
        """Coefficients in the normalised basis ``h_k = He_k / sqrt(k!)``: ``sqrt(k!) u_k``.

        Returns ``(k, exact or None, float value)`` triples.

        Examples
        --------
        >>> hermite_expansion(Z**3 - 3*Z, 3).normalised()[3][1]
        sqrt(6)
        """
        out = []
        for c in self.coefficients:
            scale = sp.sqrt(sp.factorial(c.k))
            exact = sp.radsimp(scale * c.exact) if c.exact is not None else None
            out.append((c.k, exact, float(math.sqrt(math.factorial(c.k)) * c.value)))
        return out


#: What SymPy's evalf raises on numbers beyond its reach (huge exponents, deep trees).
_EVALF_FAILURES = (OverflowError, ValueError, MemoryError, RecursionError, TypeError)


def is_exactly_zero(expr: sp.Expr) -> bool:
    """Decide whether an exact SymPy number/expression is zero.

    Rationals and radicals are decided exactly.  Closed forms with ``erf``/``exp`` are evaluated
    to 60 significant digits (SymPy's adaptive ``evalf``) and compared with the size of their
    largest term: a value above ``1e-40`` of it is non-zero (so ``e^{-4 10^61}`` is non-zero, not
    "small").  Below that -- a cancellation to 40 digits -- zero is confirmed by ``simplify``
    (small expressions) or by a 300-digit evaluation still below ``1e-280`` of the largest term
    (large ones, where ``simplify`` has no bounded cost).
    """
    if expr == 0:
        return True
    if expr.free_symbols:
        return sp.expand(expr) == 0
    if expr.is_Rational:
        return False
    try:
        return _is_exactly_zero(expr)
    except _EVALF_FAILURES:
        raise ExpansionError(f"the exact value {short_text(expr)} cannot be evaluated (its numbers exceed what "
                             f"SymPy's evalf handles), so whether it vanishes cannot be decided") from None


def _is_exactly_zero(expr: sp.Expr) -> bool:
    terms = sp.Add.make_args(expr)
    value = sp.N(expr, 60)
    if not value.is_number:
        return sp.simplify(expr) == 0
    # magnitudes as SymPy Floats: their exponent range is unbounded (doubles underflow at 1e-308)
    mag = sp.Abs(value).evalf(20)
    scale = max(sp.Abs(sp.N(t, 20)).evalf(20) for t in terms) if len(terms) > 1 else mag
    if len(terms) == 1:
        return bool(mag == 0) and sp.simplify(expr) == 0
    if mag > scale * sp.Float("1e-40"):
        return False
    if sp.count_ops(expr) <= 60:
        return sp.simplify(expr) == 0
    value = sp.N(expr, 300)
    return bool(value.is_number and sp.Abs(value).evalf(20) <= scale * sp.Float("1e-280"))


def _exact_sign(expr: sp.Expr) -> int:
    if is_exactly_zero(expr):
        return 0
    if expr.is_Rational:
        return 1 if expr > 0 else -1
    value = sp.N(expr, 60)
    if not value.is_real:
        value = sp.re(value)
    return 1 if value > 0 else -1


# ---------------------------------------------------------------------------
# method 1: polynomials
# ---------------------------------------------------------------------------
def _poly_coefficients(expr: sp.Expr) -> list[sp.Expr] | None:
    """Coefficients low-to-high of ``expr`` as a polynomial in ``z``, or ``None``."""
    if not expr.is_polynomial(Z):
        return None
    poly = sp.Poly(sp.expand(expr), Z)
    return list(reversed(poly.all_coeffs()))


def _u_from_rational(coeffs: list[Fraction], kmax: int) -> list[Fraction]:
    n_max = len(coeffs) - 1
    out = []
    for k in range(kmax + 1):
        total = Fraction(0)
        for n in range(k, n_max + 1, 2):
            c = coeffs[n]
            if c:
                total += c * monomial_to_he(n, k)
        out.append(total)
    return out


def _polynomial_u(coeffs: list[sp.Expr], kmax: int) -> list[sp.Expr]:
    """Exact ``u_k`` of a polynomial given by SymPy coefficients (low to high)."""
    if not coeffs:
        return [sp.Integer(0)] * (kmax + 1)
    lead = next((c for c in reversed(coeffs) if c != 0), sp.Integer(0))
    if lead == 0:
        return [sp.Integer(0)] * (kmax + 1)
    # Fast path: rational coefficients up to one common factor (e.g. 1/sqrt(k!)).
    scaled = [sp.nsimplify(c / lead) if not (c / lead).is_Rational else c / lead for c in coeffs]
    if all(c.is_Rational for c in scaled):
        fr = [Fraction(int(c.p), int(c.q)) for c in scaled]
        return [lead * sp.Rational(u.numerator, u.denominator) for u in _u_from_rational(fr, kmax)]
    # General path: symbolic coefficients (eta, d, a, radicals).
    n_max = len(coeffs) - 1
    out = []
    for k in range(kmax + 1):
        terms = [coeffs[n] * monomial_to_he(n, k) for n in range(k, n_max + 1, 2) if coeffs[n] != 0]
        out.append(sp.expand(sp.Add(*terms)))
    return out


# ---------------------------------------------------------------------------
# public entry points
# ---------------------------------------------------------------------------
def _check_kmax(kmax) -> int:
    return as_int(kmax, "kmax", lo=0, hi=KMAX_LIMIT, error=ExpansionError)


def _as_expr(f) -> sp.Expr:
    if isinstance(f, Link):
        return f.expr
    if isinstance(f, sp.Expr):
        return f
    if isinstance(f, (int, Fraction)):
        return sp.Rational(f)
    raise ExpansionError(f"expected a Link or a SymPy expression in z, got {type(f).__name__}")


def _exact_values(expr: sp.Expr, kmax: int):
    """``(values, method)``: exact ``u_k`` or ``None`` where the exact methods do not apply.

    Any failure of SymPy inside the closed-form and Stein methods (``as_set`` not implemented,
    a polynomial error, ...) means "not in the class": the caller falls back to numerics.
    """
    coeffs = _poly_coefficients(expr)
    if coeffs is not None:
        return _polynomial_u(coeffs, kmax), "polynomial"
    try:
        return closed_form_coefficients(expr, kmax), "closed form"
    except NotInClass:
        pass
    except TheoryInputError:
        raise
    except (ValueError, *SYMPY_FAILURES):
        pass
    try:
        stein = _stein_u(expr, kmax)
    except TheoryInputError:
        raise
    except (ValueError, *SYMPY_FAILURES):
        stein = None
    return (stein or [None] * (kmax + 1)), "closed form (Stein)"


def exact_coefficients(f, kmax: int) -> list[sp.Expr]:
    """Exact ``u_0 .. u_kmax`` (``He_k`` basis), raising :class:`ExpansionError` if not exact.

    Coefficients may depend on other symbols (``eta``, ``d``, ``a``): only ``z`` is
    integrated out.

    Parameters
    ----------
    f : Link or sympy.Expr
        A function of :data:`~theory.links.Z`.
    kmax : int
        Highest index, ``0 <= kmax <= 200``.

    Returns
    -------
    list of sympy.Expr
        ``u_0 .. u_kmax``.

    Examples
    --------
    >>> exact_coefficients(Z**4, 4)
    [3, 0, 6, 0, 1]
    >>> exact_coefficients(sp.Max(Z, 0), 2)
    [sqrt(2)/(2*sqrt(pi)), 1/2, sqrt(2)/(4*sqrt(pi))]
    """
    _check_kmax(kmax)
    expr = _as_expr(f)
    values, _method = _exact_values(expr, kmax)
    if all(v is not None for v in values):
        return values
    raise ExpansionError(f"no exact Hermite expansion is known for {short_text(expr)} (its coefficients are only "
                         f"known numerically)")


def _stein_u(expr: sp.Expr, kmax: int):
    """``u_k(f) = u_{k-1}(f') / k`` when ``f'`` is in the closed-form class; ``u_0`` exact if f is odd."""
    if expr.has(*PIECEWISE_ATOMS) or expr.has(sp.Piecewise):
        return None
    deriv = sp.diff(expr, Z)
    if deriv.has(sp.DiracDelta, sp.Derivative):
        return None
    try:
        du = closed_form_coefficients(deriv, max(kmax - 1, 0))
    except NotInClass:
        return None
    u0 = sp.Integer(0) if parity(expr) == ODD else None
    return [u0] + [tidy(du[k - 1] / k) for k in range(1, kmax + 1)]


def _evaluable(v: sp.Expr) -> bool:
    """Whether SymPy can evaluate ``v`` to the precision the zero test uses."""
    if v.is_Rational:
        return True
    try:
        return sp.N(v, 60).is_number
    except _EVALF_FAILURES:
        return False


def _float_of(v: sp.Expr) -> float:
    try:
        return float(sp.N(v, 20))
    except (TypeError, ValueError, OverflowError):
        return float("nan")


def hermite_expansion(f, kmax: int) -> HermiteExpansion:
    """Hermite coefficients ``u_0 .. u_kmax`` of ``f`` (``He_k`` basis), exact where possible.

    Exact methods first (polynomial, closed form, Stein); coefficients they cannot give are
    exact zeros when parity forbids them, else numeric: a rigorous enclosure when
    :func:`theory._interval.hermite_moments` applies (``rigorous`` true: ``error`` is a proven
    bound), otherwise a quadrature estimate (``rigorous`` false).

    Parameters
    ----------
    f : Link or sympy.Expr
        A function of :data:`~theory.links.Z`.
    kmax : int
        Highest index, ``0 <= kmax <= 200``.

    Returns
    -------
    HermiteExpansion
        One :class:`HermiteCoefficient` per ``k``, each with its value, its exact form or
        ``None``, its error and the method that gave it.

    Examples
    --------
    >>> e = hermite_expansion(sp.Max(Z, 0), 2)
    >>> [c.exact for c in e.coefficients]
    [sqrt(2)/(2*sqrt(pi)), 1/2, sqrt(2)/(4*sqrt(pi))]
    >>> t = hermite_expansion(sp.tanh(Z), 1)[1]
    >>> t.exact is None, round(t.value, 6), t.method, t.rigorous, t.error < 1e-10
    (True, 0.605706, 'numeric', True, True)
    """
    _check_kmax(kmax)
    expr = _as_expr(f)
    values, method = _exact_values(expr, kmax)
    if any(v is not None and v.free_symbols for v in values):
        raise ExpansionError(f"{short_text(expr)} depends on symbols other than z: its expansion has symbolic "
                             f"coefficients (exact_coefficients gives them)")
    # an exact form SymPy cannot evaluate (exp(-c^2/2) at a breakpoint c = 9e30 overflows evalf's
    # intermediate integers) is of no use to any decision: such coefficients go to the numeric path
    values = [v if v is None or _evaluable(v) else None for v in values]
    methods = [method if v is not None else "numeric" for v in values]
    missing = [k for k, v in enumerate(values) if v is None]
    if missing:
        # parity makes half the coefficients exactly zero: never leave those to quadrature
        par = parity(expr)
        forbidden = 1 if par == EVEN else (0 if par == ODD else None)
        for k in missing:
            if k % 2 == forbidden:
                values[k], methods[k] = sp.Integer(0), "parity"
        missing = [k for k in missing if values[k] is None]
    if missing:
        # f a function of r_k = He_{k-1} phi: E[f He_k] = E[f E[He_k | r_k]] = 0 (theory._ge_proofs)
        from theory._ge_proofs import rk_indices

        ks = rk_indices(expr) if sp.count_ops(expr) <= 400 else set()
        for k in missing:
            if ks is None or k in ks:
                values[k], methods[k] = sp.Integer(0), "identity"
        missing = [k for k in missing if values[k] is None]
    numeric = numeric_coefficients(expr, missing) if missing else {}
    out = []
    for k, v in enumerate(values):
        if v is None:
            val, err, rig = numeric[k]
            out.append(HermiteCoefficient(k, None, val, err, "numeric", rig))
        else:
            out.append(HermiteCoefficient(k, v, _float_of(v), 0.0, methods[k]))
    return HermiteExpansion(expr, tuple(out))


def gaussian_expectation(f) -> sp.Expr:
    """Exact ``E[f(z)]`` for ``z ~ N(0, 1)`` (``u_0``), when it is known exactly.

    Parameters
    ----------
    f : Link or sympy.Expr
        A function of :data:`~theory.links.Z`.

    Returns
    -------
    sympy.Expr
        ``E[f(z)]``; :class:`~theory.errors.ExpansionError` if it is only known numerically.

    Examples
    --------
    >>> gaussian_expectation(Z**6)
    15
    """
    return exact_coefficients(f, 0)[0]
