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
    (:func:`_polynomial_pieces_u`).  Links whose derivative is in that class (``erf``) use
    Stein's identity ``E[f He_k] = E[f' He_{k-1}]``.  Whatever SymPy cannot do here
    (a switch that is not polynomial, ``sign(sin z)``) falls to the next method.
``numeric``
    everything else (``tanh``, ``sigmoid``, ``sign(sin z)``): a rigorous enclosure by interval
    arithmetic (:func:`theory._interval.hermite_moments`; ``rigorous`` true, ``error`` a proven
    bound, typically 1e-12) or, when no enclosure is possible, a Gauss-Legendre estimate
    (``rigorous`` false, ``error`` an estimate).  Never presented as exact.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy as sp

from theory._text import short_text
from theory.errors import ExpansionError, TheoryInputError
from theory.hepoly import he_coefficients, he_values, monomial_to_he
from theory._validate import as_int
from theory.links import EVEN, EXPAND_DEGREE, ODD, Z, Link, degree_bound, parity

__all__ = [
    "HermiteCoefficient",
    "HermiteExpansion",
    "hermite_expansion",
    "exact_coefficients",
    "gaussian_expectation",
    "is_exactly_zero",
    "KMAX_LIMIT",
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
class HermiteExpansion:
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
# method 2: piecewise sums of z^n exp(b z - a z^2)
# ---------------------------------------------------------------------------
class NotInClass(Exception):
    """The function is outside the class the closed-form piecewise method handles.

    Raised by :func:`piecewise_branches`; the Hermite engine then uses another method (Stein's
    identity or the rigorous numeric path).  Not a user error: it never reaches the caller of
    :func:`hermite_expansion`.
    """


_PIECEWISE_ATOMS = (sp.Abs, sp.sign, sp.Max, sp.Min, sp.Heaviside)
#: Most pieces the closed-form method splits a link into (an internal limit of that method:
#: beyond it the numeric method is used).
MAX_PIECES = 96
_MAX_SWITCH_DEGREE = 2

# SymPy failures inside the exact methods: the link is then left to the numeric method.
_SYMPY_FAILURES = (NotImplementedError, TypeError, AttributeError, ArithmeticError, RecursionError,
                   sp.PolynomialError, sp.CoercionFailed, IndexError, KeyError)


def _innermost_atoms(expr):
    out = []
    for a in sp.preorder_traversal(expr):
        if isinstance(a, _PIECEWISE_ATOMS) and not any(arg.has(*_PIECEWISE_ATOMS) for arg in a.args):
            out.append(a)
    return list(dict.fromkeys(out))


def _switches(atom):
    """Polynomials whose sign decides the branch of ``atom``."""
    if isinstance(atom, (sp.Max, sp.Min)):
        args = list(atom.args)
        return [args[i] - args[j] for i in range(len(args)) for j in range(i + 1, len(args))]
    return [atom.args[0]]


def _real_roots(h):
    """Exact real roots of the polynomial ``h`` (degree <= 2 factors), else :class:`NotInClass`."""
    if Z not in h.free_symbols:
        return []
    if not h.is_polynomial(Z):
        raise NotInClass
    poly = sp.Poly(h, Z)
    if poly.degree() > 2 * _MAX_SWITCH_DEGREE + 8:
        raise NotInClass
    roots = []
    try:
        factors = sp.factor_list(poly)[1] if poly.domain.is_QQ or poly.domain.is_ZZ else [(poly, 1)]
    except _SYMPY_FAILURES:
        raise NotInClass from None
    for fac, _m in factors:
        d = fac.degree()
        c = fac.all_coeffs()
        if d == 1:
            roots.append(-c[1] / c[0])
        elif d == 2:
            a, b, cc = c
            disc = b * b - 4 * a * cc
            if disc.is_negative:
                continue
            if not disc.is_nonnegative:
                raise NotInClass
            r = sp.sqrt(disc)
            roots += [(-b - r) / (2 * a), (-b + r) / (2 * a)]
        elif d > 2:
            if not (fac.domain.is_QQ or fac.domain.is_ZZ) or fac.count_roots() > 0:
                raise NotInClass
    return roots


def _sample(left, right):
    if left == -sp.oo and right == sp.oo:
        return sp.Integer(0)
    if left == -sp.oo:
        return right - 1
    if right == sp.oo:
        return left + 1
    return (left + right) / 2


def _positive_at(h, point) -> bool:
    v = h.subs(Z, point)
    if v.is_Rational:
        return bool(v > 0)
    val = sp.N(v, 40)
    if val == 0:
        raise NotInClass
    return bool(val > 0)


def _branch_of(atom, point):
    if isinstance(atom, sp.Abs):
        h = atom.args[0]
        return h if _positive_at(h, point) else -h
    if isinstance(atom, sp.sign):
        return sp.Integer(1) if _positive_at(atom.args[0], point) else sp.Integer(-1)
    if isinstance(atom, sp.Heaviside):
        return sp.Integer(1) if _positive_at(atom.args[0], point) else sp.Integer(0)
    args = list(atom.args)
    best = args[0]
    for a in args[1:]:
        bigger = _positive_at(a - best, point)
        if bigger == isinstance(atom, sp.Max):
            best = a
    return best


def _order_key(x):
    return float(sp.N(x, 30))


_PIECES_CACHE: dict = {}

#: Breakpoints farther out than this make the exact engine decline (the coefficients go to the
#: rigorous numeric path): the closed form would carry ``exp(-c^2/2) < 1e-5000``, which SymPy's
#: evalf takes seconds or more to evaluate, for a piece of Gaussian mass below that.
MAX_BREAKPOINT = 150


def piecewise_branches(expr: sp.Expr) -> list[tuple[sp.Expr, sp.Expr, sp.Expr]]:
    """``expr`` as smooth branches on intervals: ``[(branch, left, right), ...]`` covering the line.

    Each ``branch`` is free of ``Abs, sign, Max, Min, Heaviside`` and equals ``expr`` on
    ``(left, right)``; the ends are exact (rationals or quadratic surds, ``-oo``/``oo``).  Cached:
    the same link is split for its expansion, its constancy test and its powers.

    Parameters
    ----------
    expr : sympy.Expr
        A function of ``z``.

    Returns
    -------
    list of (sympy.Expr, sympy.Expr, sympy.Expr)
        The pieces, left to right.

    Raises
    ------
    NotInClass
        If ``expr`` is outside the class the closed-form method splits (non-polynomial switches,
        roots of degree above two, more than :data:`MAX_PIECES` pieces, far breakpoints).

    Examples
    --------
    >>> piecewise_branches(sp.Abs(Z))
    [(-z, -oo, 0), (z, 0, oo)]
    """
    hit = _PIECES_CACHE.get(expr)
    if hit is None:
        try:
            hit = _split_pieces(expr)
        except NotInClass:
            hit = NotInClass
        if len(_PIECES_CACHE) > 256:
            _PIECES_CACHE.clear()
        _PIECES_CACHE[expr] = hit
    if hit is NotInClass:
        raise NotInClass
    return list(hit)


def _split_pieces(expr: sp.Expr) -> list[tuple[sp.Expr, sp.Expr, sp.Expr]]:
    """Split ``expr`` into ``(branch, left, right)`` on intervals covering the line (branches free of
    ``Abs, sign, Max, Min, Heaviside``).

    Bottom-up: the innermost piecewise atoms switch where polynomial arguments change sign;
    their exact real roots (rational or quadratic surds) split the current interval, and on
    each sub-interval every atom is replaced by its branch, read off at an interior point (no
    root lies inside, so the branch is constant there).  Repeated until no atom is left.
    Raises :class:`NotInClass` for non-polynomial switches, roots of higher degree, or more
    than :data:`MAX_PIECES` pieces.
    """
    if expr.has(sp.Piecewise):
        raise NotInClass
    if not expr.has(*_PIECEWISE_ATOMS):
        return [(expr, -sp.oo, sp.oo)]
    work = [(expr, -sp.oo, sp.oo)]
    out = []
    while work:
        e, left, right = work.pop()
        atoms = _innermost_atoms(e)
        if not atoms:
            out.append((e, left, right))
            if len(out) > MAX_PIECES:
                raise NotInClass
            continue
        cuts = set()
        for atom in atoms:
            for h in _switches(atom):
                for r in _real_roots(sp.expand(h)):
                    if (left == -sp.oo or _order_key(r) > _order_key(left)) and \
                            (right == sp.oo or _order_key(r) < _order_key(right)):
                        cuts.add(sp.nsimplify(r) if r.is_Rational else r)
        points = sorted(cuts, key=_order_key)
        if points and max(abs(_order_key(r)) for r in points) > MAX_BREAKPOINT:
            raise NotInClass  # exp(-c^2/2) at such a c is beyond what evalf handles in bounded time
        bounds = [left] + points + [right]
        if len(bounds) - 1 + len(out) + len(work) > MAX_PIECES:
            raise NotInClass
        for a, b in zip(bounds, bounds[1:]):
            s0 = _sample(a, b)
            repl = {atom: _branch_of(atom, s0) for atom in atoms}
            work.append((e.xreplace(repl), a, b))
    out.sort(key=lambda p: -1e308 if p[1] == -sp.oo else _order_key(p[1]))
    merged = []
    for branch, a, b in out:
        if merged and merged[-1][0] == branch and merged[-1][2] == a:
            merged[-1] = (branch, merged[-1][1], b)
        else:
            merged.append((branch, a, b))
    return merged


def _terms(branch: sp.Expr) -> list[tuple[sp.Expr, int, sp.Expr, sp.Expr]]:
    """Write ``branch`` as a sum of ``coeff * z^n * exp(b z - a z^2)``: list of (coeff, n, b, a)."""
    for fn in branch.atoms(sp.exp, sp.sin, sp.cos, sp.sinh, sp.cosh):
        bound = degree_bound(fn.args[0])
        if bound is None or bound > EXPAND_DEGREE:
            raise NotInClass  # not a polynomial of degree <= 2 unless a large cancellation: numerics
    if branch.has(sp.sin, sp.cos, sp.sinh, sp.cosh):
        branch = branch.rewrite(sp.exp)
    branch = sp.powsimp(sp.expand(branch), combine="exp")
    out = []
    for term in sp.Add.make_args(branch):
        coeff, n, exparg = sp.Integer(1), 0, sp.Integer(0)
        for factor in sp.Mul.make_args(term):
            if Z not in factor.free_symbols:
                coeff *= factor
            elif factor == Z:
                n += 1
            elif factor.is_Pow and factor.base == Z and factor.exp.is_Integer and factor.exp > 0:
                n += int(factor.exp)
            elif isinstance(factor, sp.exp) or (factor.is_Pow and factor.base == sp.E):
                exparg += factor.exp if factor.is_Pow else factor.args[0]
            else:
                raise NotInClass
        exparg = sp.expand(exparg)
        if not exparg.is_polynomial(Z):
            raise NotInClass
        poly = sp.Poly(exparg, Z)
        if poly.degree() > 2:
            raise NotInClass
        c2, c1, c0 = ([sp.Integer(0)] * 3 + poly.all_coeffs())[-3:]
        coeff *= sp.exp(c0)
        out.append((coeff, n, c1, -c2))
    return out


def _tilted_moments(left, right, beta, a_quad, nmax):
    """``G_n = int_left^right z^n exp(beta z - A z^2/2) dz / sqrt(2 pi)``, ``A = 1 + 2 a_quad``.

    Integration by parts gives ``A G_n = beta G_{n-1} + (n-1) G_{n-2} - [z^(n-1) e(z)]/sqrt(2 pi)``.
    """
    A = 1 + 2 * a_quad
    if not (A.is_positive):
        raise NotInClass
    complex_beta = not beta.is_real
    if complex_beta and (left != -sp.oo or right != sp.oo):
        raise NotInClass
    mu = beta / A
    root = sp.sqrt(A)

    def Phi(x):
        if x == sp.oo:
            return sp.Integer(1)
        if x == -sp.oo:
            return sp.Integer(0)
        return (1 + sp.erf(root * (x - mu) / sp.sqrt(2))) / 2

    def edge(x, n):  # x^(n-1) e(x) / sqrt(2 pi), zero at infinity
        if x in (sp.oo, -sp.oo):
            return sp.Integer(0)
        return x ** (n - 1) * sp.exp(beta * x - A * x**2 / 2) / sp.sqrt(2 * sp.pi)

    G = [sp.exp(beta**2 / (2 * A)) / root * (Phi(right) - Phi(left))]
    for n in range(1, nmax + 1):
        val = beta * G[n - 1] - (edge(right, n) - edge(left, n))
        if n >= 2:
            val += (n - 1) * G[n - 2]
        G.append(sp.expand(val / A))
    return G


def _closed_form_u(expr: sp.Expr, kmax: int) -> list[sp.Expr]:
    pieces = piecewise_branches(expr)
    fast = _polynomial_pieces_u(pieces, kmax)
    if fast is not None:
        return fast
    plan = []
    nmax = 0
    for branch, left, right in pieces:
        for coeff, n, beta, a_quad in _terms(branch):
            plan.append((coeff, n, left, right, beta, a_quad))
            nmax = max(nmax, n + kmax)
    fast = _tilted_rational_u(plan, kmax)
    if fast is not None:
        return fast
    moments: dict[tuple, list] = {}
    for _c, _n, left, right, beta, a_quad in plan:
        key = (left, right, beta, a_quad)
        if key not in moments:
            moments[key] = _tilted_moments(left, right, beta, a_quad, nmax)
    out = []
    for k in range(kmax + 1):
        he = he_coefficients(k)
        total = sp.Integer(0)
        for coeff, n, left, right, beta, a_quad in plan:
            G = moments[(left, right, beta, a_quad)]
            total += coeff * sp.Add(*[c * G[n + j] for j, c in enumerate(he) if c])
        value = _tidy(total / sp.factorial(k))
        if not value.is_real and value.is_number:
            value = _tidy(sp.re(sp.expand_complex(value)))
        out.append(value)
    return out


def _tilted_rational_u(plan, kmax: int):
    """Exact ``u_0..u_kmax`` for ``sum coeff z^n e^{beta z - a z^2}`` on pieces, rational ``beta, a`` and ends.

    ``G_n = int_l^r z^n e^{beta z - A z^2/2} dz/sqrt(2 pi)`` (``A = 1 + 2a``) satisfies
    ``A G_n = beta G_{n-1} + (n-1) G_{n-2} - [z^{n-1} E]_l^r`` with ``E(x) = e^{beta x - A x^2/2}/sqrt(2 pi)``,
    so ``G_n = a_n C (Phi(r) - Phi(l)) - P_n(r) E(r) + P_n(l) E(l)``, ``C = e^{beta^2/(2A)}/sqrt(A)``,
    ``Phi(x) = (1 + erf(sqrt(A)(x - beta/A)/sqrt 2))/2``, where ``A a_n = beta a_{n-1} + (n-1) a_{n-2}``
    (``a_0 = 1``) and ``A P_n = beta P_{n-1} + (n-1) P_{n-2} + x^{n-1}`` (``P_0 = 0``): rational
    recurrences, so every ``u_k`` is a rational combination of these atoms.  ``None`` if the
    plan has an irrational or complex parameter.
    """
    keyed = []
    for coeff, n, left, right, beta, a_quad in plan:
        fb, fa = _as_fraction(beta) if beta.is_number else None, _as_fraction(a_quad) if a_quad.is_number else None
        if fb is None or fa is None:
            return None
        ends = []
        for x in (left, right):
            if x in (sp.oo, -sp.oo):
                ends.append(x)
            else:
                fx = _as_fraction(x)
                if fx is None:
                    return None
                ends.append(fx)
        A = 1 + 2 * fa
        if A <= 0:
            return None
        rat, rest = coeff.as_coeff_Mul()
        frat = _as_fraction(rat)
        if frat is None or rest.has(Z):
            return None
        keyed.append((frat, rest, n, ends[0], ends[1], fb, A))
    nmax = max(n for _f, _r, n, *_ in keyed) + kmax
    seqs: dict = {}
    edges: dict = {}
    for _f, _r, _n, left, right, b, A in keyed:
        if (b, A) not in seqs:
            a = [Fraction(1)]
            for n in range(1, nmax + 1):
                a.append((b * a[n - 1] + (n - 1) * (a[n - 2] if n >= 2 else 0)) / A)
            seqs[(b, A)] = a
        for x in (left, right):
            if isinstance(x, Fraction) and (b, A, x) not in edges:
                P = [Fraction(0)]
                power = Fraction(1)
                for n in range(1, nmax + 1):
                    P.append((b * P[n - 1] + (n - 1) * (P[n - 2] if n >= 2 else 0) + power) / A)
                    power *= x
                edges[(b, A, x)] = P

    def rat(q):
        return sp.Rational(q.numerator, q.denominator)

    def atom_C(b, A):
        return sp.exp(rat(b * b / (2 * A))) / sp.sqrt(rat(A))

    def atom_erf(b, A, x):
        return sp.erf(sp.sqrt(rat(A)) * (rat(x) - rat(b / A)) / sp.sqrt(2))

    def atom_E(b, A, x):
        return sp.exp(rat(b * x - A * x * x / 2)) / sp.sqrt(2 * sp.pi)

    out = []
    for k in range(kmax + 1):
        he = he_coefficients(k)
        acc: dict = {}

        def add(atom, q):
            if q:
                acc[atom] = acc.get(atom, Fraction(0)) + q

        for frat, rest, n, left, right, b, A in keyed:
            a = seqs[(b, A)]
            mean = frat * sum((c * a[n + j] for j, c in enumerate(he) if c), Fraction(0))
            C = atom_C(b, A) * rest
            for x, sgn in ((right, 1), (left, -1)):
                if x == sp.oo:
                    add(C, sgn * mean)
                    continue
                if x == -sp.oo:
                    continue
                add(C, sgn * mean / 2)
                add(C * atom_erf(b, A, x), sgn * mean / 2)
                P = edges[(b, A, x)]
                q = frat * sum((c * P[n + j] for j, c in enumerate(he) if c), Fraction(0))
                add(atom_E(b, A, x) * rest, -sgn * q)
        fact = math.factorial(k)
        terms = [sp.Mul(rat(q / fact), atom) for atom, q in acc.items() if q]
        out.append(sp.Add(*terms) if terms else sp.Integer(0))
    return out


def _as_fraction(x) -> Fraction | None:
    if x.is_Rational:
        return Fraction(int(x.p), int(x.q))
    return None


class _QS:
    """``a + b sqrt(d)`` with rational ``a, b`` (``d`` a fixed square-free integer, 1 for the rationals)."""

    __slots__ = ("a", "b", "d")

    def __init__(self, a, b=0, d=1):
        self.a, self.b, self.d = Fraction(a), Fraction(b), d

    def _co(self, o):
        return o if isinstance(o, _QS) else _QS(o, 0, self.d)

    def __add__(self, o):
        o = self._co(o)
        return _QS(self.a + o.a, self.b + o.b, self.d)

    __radd__ = __add__

    def __sub__(self, o):
        o = self._co(o)
        return _QS(self.a - o.a, self.b - o.b, self.d)

    def __rsub__(self, o):
        return self._co(o) - self

    def __neg__(self):
        return _QS(-self.a, -self.b, self.d)

    def __mul__(self, o):
        o = self._co(o)
        return _QS(self.a * o.a + self.d * self.b * o.b, self.a * o.b + self.b * o.a, self.d)

    __rmul__ = __mul__

    def __bool__(self):
        return bool(self.a) or bool(self.b)

    def key(self):
        return (self.a, self.b)

    def sign(self) -> int:
        """Exact sign of ``a + b sqrt(d)``."""
        if not self.b:
            return (self.a > 0) - (self.a < 0)
        if not self.a:
            return (self.b > 0) - (self.b < 0)
        sa, sb = (1 if self.a > 0 else -1), (1 if self.b > 0 else -1)
        if sa == sb:
            return sa
        return sa if self.a * self.a > self.b * self.b * self.d else sb

    def sym(self):
        a = sp.Rational(self.a.numerator, self.a.denominator)
        if not self.b:
            return a
        return a + sp.Rational(self.b.numerator, self.b.denominator) * sp.sqrt(self.d)


def _as_qs(x, d_holder):
    """An exact endpoint as :class:`_QS`: rational, or ``a + b sqrt(d)`` with one ``d`` per call."""
    if x.is_Rational:
        return _QS(Fraction(int(x.p), int(x.q)), 0, d_holder[0])
    coeff_map = sp.expand(sp.radsimp(x)).as_coefficients_dict()
    a = Fraction(0)
    b = Fraction(0)
    d = None
    for term, c in coeff_map.items():
        if not c.is_Rational:
            return None
        if term == 1:
            a += Fraction(int(c.p), int(c.q))
        elif term.is_Pow and term.exp == sp.Rational(1, 2) and term.base.is_Integer and term.base > 1:
            if d is not None and d != int(term.base):
                return None
            d = int(term.base)
            b += Fraction(int(c.p), int(c.q))
        else:
            return None
    if d is None:
        return _QS(a, 0, d_holder[0])
    if d_holder[0] not in (1, d):
        return None
    d_holder[0] = d
    return _QS(a, b, d)


def _polynomial_pieces_u(pieces, kmax: int):
    """Exact ``u_0..u_kmax`` of a piecewise polynomial with rational coefficients.

    Breakpoints must be rational or lie in one quadratic field ``Q(sqrt d)``.  Repeated
    integration by parts (``He_k phi = -(He_{k-1} phi)'``) gives, for a polynomial ``p`` of degree
    ``m`` on ``(l, r)``,

        int_l^r p He_k phi = sum_{i < min(k, m+1)} [p^(i)(x) He_{k-1-i}(x) phi(x)]_{x=r}^{x=l}
                             + int_l^r p^(k) phi,

    and ``int_l^r z^n phi = A_n (Phi(r) - Phi(l)) + P_n(l) phi(l) - P_n(r) phi(r)`` with
    ``A_n = (n-1)!!`` (even ``n``, else 0), ``P_0 = 0``, ``P_1 = 1``, ``P_n(x) = x^(n-1) + (n-1) P_{n-2}(x)``.
    So ``k! u_k`` is an exact combination of ``1``, ``erf(c/sqrt 2)`` and ``exp(-c^2/2)/sqrt(2 pi)``
    over the breakpoints ``c``, in ``O(pieces * kmax * m)`` field operations (no SymPy arithmetic
    until the final sums); ``None`` when the link is not of this form.
    """
    d_holder = [1]
    polys, bounds = [], []
    for branch, left, right in pieces:
        ends = []
        for x in (left, right):
            if x in (sp.oo, -sp.oo):
                ends.append(x)
            else:
                try:
                    q = _as_qs(x, d_holder)
                except (TypeError, ValueError, AttributeError):
                    q = None
                if q is None:
                    return None
                ends.append(q)
        if not branch.is_polynomial(Z):
            return None
        coeffs = [_as_fraction(c) for c in reversed(sp.Poly(branch, Z).all_coeffs())]
        if any(c is None for c in coeffs):
            return None
        polys.append(coeffs)
        bounds.append(tuple(ends))
    d = d_holder[0]
    # field arithmetic: plain Fractions for the rationals (fast), _QS for Q(sqrt d)
    if d == 1:
        bounds = [tuple(x.a if isinstance(x, _QS) else x for x in b) for b in bounds]
        zero, one = Fraction(0), Fraction(1)

        def key_of(x):
            return x

        def sign_of(x):
            return (x > 0) - (x < 0)

        def sym_of(x):
            return sp.Rational(x.numerator, x.denominator)
    else:
        for b in bounds:
            for x in b:
                if isinstance(x, _QS):
                    x.d = d
        zero, one = _QS(0, 0, d), _QS(1, 0, d)

        def key_of(x):
            return x.key()

        def sign_of(x):
            return x.sign()

        def sym_of(x):
            return x.sym()

    def finite(x):
        return not isinstance(x, sp.Basic)

    mmax = max(len(c) for c in polys) - 1
    points: dict = {}
    for b in bounds:
        for x in b:
            if finite(x):
                points.setdefault(key_of(x), x)
    he_at, P_at = {}, {}
    for key, x in points.items():
        he_at[key] = he_values(x, kmax, one)
        P = [zero, one]
        power = one
        for n in range(2, mmax + 1):
            power = power * x
            P.append(power + P[n - 2] * (n - 1))
        P_at[key] = P
    A = [Fraction(0)] * (mmax + 1)
    dfact = 1
    for n in range(0, mmax + 1, 2):
        A[n] = Fraction(dfact)
        dfact *= n + 1
    # derivatives of every piece's polynomial, and their values at the piece's ends
    derivs = []
    for coeffs in polys:
        ds = [coeffs]
        while len(ds[-1]) > 1:
            c = ds[-1]
            ds.append([c[i] * i for i in range(1, len(c))])
        derivs.append(ds)

    def poly_at(c, x):
        acc = zero
        for a in reversed(c):
            acc = acc * x + a
        return acc

    dvals = []
    for ds, (left, right) in zip(derivs, bounds):
        ends = {}
        for x in (left, right):
            if finite(x):
                ends[key_of(x)] = [poly_at(c, x) for c in ds]
        dvals.append(ends)
    sqrt_2pi = sp.sqrt(2 * sp.pi)
    phi_atom, erf_atom = {}, {}

    def phi_of(x):
        key = key_of(x * x)
        if key not in phi_atom:
            phi_atom[key] = sp.exp(-sym_of(x * x) / 2) / sqrt_2pi
        return key

    def erf_of(x):
        """Key and sign with erf(x/sqrt 2) = sign * atom[key] (atom argument positive)."""
        s = sign_of(x)
        y = x if s > 0 else -x
        if key_of(y) not in erf_atom:
            erf_atom[key_of(y)] = sp.erf(sp.radsimp(sym_of(y) / sp.sqrt(2)))
        return key_of(y), s

    out = []
    for k in range(kmax + 1):
        const = zero
        erf_c: dict = {}
        phi_c: dict = {}
        for coeffs, ds, ends, (left, right) in zip(polys, derivs, dvals, bounds):
            m = len(coeffs) - 1
            for x, sgn in ((left, 1), (right, -1)):
                if not finite(x):
                    continue
                vals, hv = ends[key_of(x)], he_at[key_of(x)]
                acc = zero
                for i in range(min(k, m + 1)):
                    if vals[i]:
                        acc = acc + vals[i] * hv[k - 1 - i]
                if acc:
                    key = phi_of(x)
                    phi_c[key] = phi_c.get(key, zero) + acc * sgn
            if k <= m:
                g = ds[k]
                mean = sum((g[n] * A[n] for n in range(0, len(g), 2) if g[n]), Fraction(0))
                for x, sgn in ((right, 1), (left, -1)):
                    if x == sp.oo:
                        const = const + mean
                        continue
                    if x == -sp.oo:
                        continue
                    if mean:
                        const = const + Fraction(sgn) * mean / 2
                        if x:
                            key, sx = erf_of(x)
                            erf_c[key] = erf_c.get(key, zero) + one * (Fraction(sgn * sx) * mean / 2)
                    Q = zero
                    P = P_at[key_of(x)]
                    for n in range(1, len(g)):
                        if g[n]:
                            Q = Q + P[n] * g[n]
                    if Q:
                        key = phi_of(x)
                        phi_c[key] = phi_c.get(key, zero) - Q * sgn
        fact = math.factorial(k)

        def coef(c):
            if d == 1:
                return sp.Rational(c.numerator, c.denominator * fact)
            a = sp.Rational(c.a.numerator, c.a.denominator * fact)
            if not c.b:
                return a
            return a + sp.Rational(c.b.numerator, c.b.denominator * fact) * sp.sqrt(d)

        terms = [coef(const)] if const else []
        terms += [sp.Mul(coef(c), erf_atom[key]) for key, c in sorted(erf_c.items()) if c]
        terms += [sp.Mul(coef(c), phi_atom[key]) for key, c in sorted(phi_c.items()) if c]
        total = sp.Add(*terms) if terms else sp.Integer(0)
        out.append(sp.expand(total) if d != 1 else total)
    return out


def _tidy(value: sp.Expr) -> sp.Expr:
    """Canonical form without ``simplify`` (whose cost is unbounded): expand, collect exponentials."""
    value = sp.expand(value)
    if value.has(sp.exp, sp.erf):
        value = sp.powsimp(value, combine="exp")
    if value.is_number and not value.has(sp.erf, sp.exp, sp.I, sp.pi) and value.is_algebraic:
        value = sp.radsimp(value)
    return value


# ---------------------------------------------------------------------------
# method 3: numeric
# ---------------------------------------------------------------------------
def numeric_coefficients(expr: sp.Expr, ks) -> dict[int, tuple[float, float, bool]]:
    """``{k: (u_k, error, rigorous)}`` for the ``k`` in ``ks``, numerically.

    First choice: :func:`theory._interval.hermite_moments`, a rigorous enclosure (two-point
    Gauss-Legendre with an interval Taylor remainder, Cramer-bounded tails): ``error`` is a proven
    bound and ``rigorous`` is true.  When no enclosure is possible (no structural growth bound,
    an unbounded enclosure at an integrable singularity, a function the interval evaluator does
    not know) the value is an eight-point composite Gauss-Legendre estimate and ``error`` twice its
    change between 2048 and 4096 cells: an *estimate*, ``rigorous`` false.
    """
    from theory._interval import NotCompilable, hermite_moments

    ks = sorted(set(ks))
    kmax = max(ks)
    try:
        moments = hermite_moments(expr, Z, kmax)
    except NotCompilable:
        moments = None
    out = {}
    if moments is not None:
        for k in ks:
            scale = math.exp(0.5 * math.lgamma(k + 1)) if k > 20 else math.sqrt(math.factorial(k))
            val = moments.estimate[k] / scale
            err = moments.bound[k] / scale * (1 + 1e-12) + abs(val) * 1e-15
            out[k] = (float(val), float(err), True)
        return out
    est = _gauss_legendre_estimate(expr, kmax)
    for k in ks:
        val, err = est[k]
        out[k] = (val, err, False)
    return out


#: Old private name of :func:`numeric_coefficients`, kept until ``theory.drift`` imports the public
#: one (issue 10 merge); then removed.
_numeric_u = numeric_coefficients


def _gauss_legendre_estimate(expr: sp.Expr, kmax: int):
    """Composite 8-point Gauss-Legendre at two resolutions (floats; an estimate, not a bound)."""
    from theory._interval import NotCompilable, float_evaluator, hermite_functions

    try:
        f = float_evaluator(expr, Z)
    except NotCompilable:
        f = None
    L = 12.0 + math.sqrt(2.0 * kmax)
    gx, gw = np.polynomial.legendre.leggauss(8)
    results = []
    for cells in (2048, 4096):
        edges = np.linspace(-L, L, cells + 1)
        h = np.diff(edges)
        mid = 0.5 * (edges[:-1] + edges[1:])
        x = (mid[:, None] + 0.5 * h[:, None] * gx[None, :]).ravel()
        w = (0.5 * h[:, None] * gw[None, :]).ravel()
        fx = np.full_like(x, np.nan)
        if f is not None:
            try:
                with np.errstate(all="ignore"):
                    fx = np.real(np.asarray(f(x), dtype=complex)) * np.ones_like(x)
            except Exception:  # noqa: BLE001 -- evaluation failure: no numeric value
                pass
        vals, _err = hermite_functions(x, kmax)
        with np.errstate(all="ignore"):
            results.append(vals @ (w * fx))
    out = {}
    for k in range(kmax + 1):
        scale = math.exp(0.5 * math.lgamma(k + 1))
        a, b = results[1][k] / scale, results[0][k] / scale
        if not (math.isfinite(a) and math.isfinite(b)):
            out[k] = (float("nan"), float("inf"))
        else:
            out[k] = (float(a), float(2 * abs(a - b) + 1e-15 * abs(a)))
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
        return _closed_form_u(expr, kmax), "closed form"
    except NotInClass:
        pass
    except TheoryInputError:
        raise
    except (ValueError, *_SYMPY_FAILURES):
        pass
    try:
        stein = _stein_u(expr, kmax)
    except TheoryInputError:
        raise
    except (ValueError, *_SYMPY_FAILURES):
        stein = None
    return (stein or [None] * (kmax + 1)), "closed form (Stein)"


def exact_coefficients(f, kmax: int) -> list[sp.Expr]:
    """Exact ``u_0 .. u_kmax`` (``He_k`` basis), raising :class:`ExpansionError` if not exact.

    Coefficients may depend on other symbols (``eta``, ``d``, ``a``): only ``z`` is
    integrated out.

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
    if expr.has(*_PIECEWISE_ATOMS) or expr.has(sp.Piecewise):
        return None
    deriv = sp.diff(expr, Z)
    if deriv.has(sp.DiracDelta, sp.Derivative):
        return None
    try:
        du = _closed_form_u(deriv, max(kmax - 1, 0))
    except NotInClass:
        return None
    u0 = sp.Integer(0) if parity(expr) == ODD else None
    return [u0] + [_tidy(du[k - 1] / k) for k in range(1, kmax + 1)]


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

    Examples
    --------
    >>> gaussian_expectation(Z**6)
    15
    """
    return exact_coefficients(f, 0)[0]
