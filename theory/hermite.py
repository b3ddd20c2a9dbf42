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
    Links whose derivative is in that class (``erf``) use Stein's identity
    ``E[f He_k] = E[f' He_{k-1}]``.
``numeric``
    everything else (``tanh``, ``sigmoid``): mpmath quadrature at a stated working
    precision, each value with its quadrature error estimate; never presented as exact.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

import mpmath
import sympy as sp

from theory.errors import ExpansionError
from theory.links import EVEN, ODD, Z, Link, parity

__all__ = [
    "HermiteCoefficient",
    "HermiteExpansion",
    "hermite_expansion",
    "exact_coefficients",
    "hermite_coefficients_table",
    "gaussian_expectation",
    "is_exactly_zero",
    "KMAX_LIMIT",
]

#: Largest ``kmax`` accepted.
KMAX_LIMIT = 200
#: Working precision (decimal digits) of the numeric method.
NUMERIC_DPS = 30


# ---------------------------------------------------------------------------
# integer tables
# ---------------------------------------------------------------------------
@lru_cache(maxsize=None)
def _he_coeffs(k: int) -> tuple[int, ...]:
    """Integer coefficients of ``He_k``, low to high."""
    if k == 0:
        return (1,)
    if k == 1:
        return (0, 1)
    prev, cur = _he_coeffs(k - 2), _he_coeffs(k - 1)
    nxt = [0] + list(cur)
    for j, c in enumerate(prev):
        nxt[j] -= (k - 1) * c
    return tuple(nxt)


def hermite_coefficients_table(kmax: int) -> list[tuple[int, ...]]:
    """Integer coefficient lists (low to high) of ``He_0 .. He_kmax``.

    Examples
    --------
    >>> hermite_coefficients_table(3)
    [(1,), (0, 1), (-1, 0, 1), (0, -3, 0, 1)]
    """
    return [_he_coeffs(k) for k in range(kmax + 1)]


@lru_cache(maxsize=None)
def _monomial_to_he(n: int, k: int) -> int:
    """Coefficient of ``He_k`` in ``z^n``: ``n! / (k! 2^j j!)`` with ``n = k + 2j`` (0 otherwise)."""
    if k > n or (n - k) % 2:
        return 0
    j = (n - k) // 2
    return math.factorial(n) // (math.factorial(k) * 2**j * math.factorial(j))


# ---------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class HermiteCoefficient:
    """``u_k = E[f He_k] / k!`` in the ``He_k`` basis.

    ``exact`` is a SymPy expression when the value is exact, else ``None``; ``value`` is a
    float (numeric); ``error`` an absolute error bound on ``value`` for numeric
    coefficients (``0.0`` for exact ones, whose float is just a rounding).
    """

    k: int
    exact: sp.Expr | None
    value: float
    error: float = 0.0
    method: str = "polynomial"

    @property
    def is_exact(self) -> bool:
        return self.exact is not None

    @property
    def sign(self) -> int | None:
        """``+1``, ``-1`` or ``0`` when decided, ``None`` when a numeric value is within its error of 0.

        Exact values are decided exactly; a numeric value has a sign only when
        ``|value| > error`` (its error bound), and is never decided to be zero.
        """
        if self.exact is not None:
            if is_exactly_zero(self.exact):
                return 0
            return 1 if self.value > 0 else -1
        if abs(self.value) > self.error:
            return 1 if self.value > 0 else -1
        return None

    def is_zero(self, tol: float | None = None) -> bool:
        """Exact zero test for exact values; ``|value| <= max(tol, 10*error)`` for numeric ones."""
        if self.exact is not None:
            return is_exactly_zero(self.exact)
        bound = max(tol if tol is not None else 0.0, 10 * self.error, 10.0 ** (-NUMERIC_DPS // 2))
        return abs(self.value) <= bound


@dataclass(frozen=True)
class HermiteExpansion:
    """Hermite coefficients ``u_0 .. u_kmax`` of a function of ``z`` (``He_k`` basis)."""

    expr: sp.Expr
    coefficients: tuple[HermiteCoefficient, ...]
    basis: str = "He"

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
            raise ExpansionError(f"the Hermite coefficients of {self.expr} are only known numerically")
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


def is_exactly_zero(expr: sp.Expr) -> bool:
    """Decide whether an exact SymPy number/expression is zero.

    Rationals and radicals are decided exactly.  Closed forms with ``erf``/``exp`` are
    evaluated to 60 digits: a value above ``1e-45`` is non-zero; below it, zero is
    confirmed by simplification.
    """
    if expr == 0:
        return True
    if expr.free_symbols:
        return sp.expand(expr) == 0
    if expr.is_Rational:
        return False
    value = sp.N(expr, 60)
    if value.is_number and abs(complex(value)) > 1e-45:
        return False
    return sp.simplify(expr) == 0


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
                total += c * _monomial_to_he(n, k)
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
        terms = [coeffs[n] * _monomial_to_he(n, k) for n in range(k, n_max + 1, 2) if coeffs[n] != 0]
        out.append(sp.expand(sp.Add(*terms)))
    return out


# ---------------------------------------------------------------------------
# method 2: piecewise sums of z^n exp(b z - a z^2)
# ---------------------------------------------------------------------------
class _NotInClass(Exception):
    pass


_PIECEWISE_ATOMS = (sp.Abs, sp.sign, sp.Max, sp.Min, sp.Heaviside)


def _pieces(expr: sp.Expr) -> list[tuple[sp.Expr, sp.Expr, sp.Expr]]:
    """Split ``expr`` into ``(branch, left, right)`` on disjoint intervals covering the line."""
    if expr.has(*_PIECEWISE_ATOMS) or expr.has(sp.Piecewise):
        pw = sp.piecewise_fold(expr.rewrite(sp.Piecewise))
    else:
        return [(expr, -sp.oo, sp.oo)]
    if not isinstance(pw, sp.Piecewise):
        if pw.has(sp.Piecewise):
            raise _NotInClass
        return [(pw, -sp.oo, sp.oo)]
    covered = sp.EmptySet
    out = []
    for branch, cond in pw.args:
        if branch.has(sp.Piecewise) or branch.has(*_PIECEWISE_ATOMS):
            raise _NotInClass
        region = sp.S.Reals if cond is sp.true else cond.as_set()
        region = sp.Intersection(region, sp.S.Reals) - covered
        covered = sp.Union(covered, region)
        for interval in (region.args if isinstance(region, sp.Union) else (region,)):
            if interval is sp.EmptySet or isinstance(interval, sp.FiniteSet):
                continue  # measure zero
            if not isinstance(interval, sp.Interval):
                raise _NotInClass
            out.append((branch, interval.start, interval.end))
    if covered != sp.S.Reals and (sp.S.Reals - covered).measure != 0:
        raise _NotInClass
    return out


def _terms(branch: sp.Expr) -> list[tuple[sp.Expr, int, sp.Expr, sp.Expr]]:
    """Write ``branch`` as a sum of ``coeff * z^n * exp(b z - a z^2)``: list of (coeff, n, b, a)."""
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
                raise _NotInClass
        exparg = sp.expand(exparg)
        if not exparg.is_polynomial(Z):
            raise _NotInClass
        poly = sp.Poly(exparg, Z)
        if poly.degree() > 2:
            raise _NotInClass
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
        raise _NotInClass
    complex_beta = not beta.is_real
    if complex_beta and (left != -sp.oo or right != sp.oo):
        raise _NotInClass
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
    plan = []
    nmax = 0
    for branch, left, right in _pieces(expr):
        for coeff, n, beta, a_quad in _terms(branch):
            plan.append((coeff, n, left, right, beta, a_quad))
            nmax = max(nmax, n + kmax)
    moments: dict[tuple, list] = {}
    for _c, _n, left, right, beta, a_quad in plan:
        key = (left, right, beta, a_quad)
        if key not in moments:
            moments[key] = _tilted_moments(left, right, beta, a_quad, nmax)
    out = []
    for k in range(kmax + 1):
        he = _he_coeffs(k)
        total = sp.Integer(0)
        for coeff, n, left, right, beta, a_quad in plan:
            G = moments[(left, right, beta, a_quad)]
            total += coeff * sp.Add(*[c * G[n + j] for j, c in enumerate(he) if c])
        value = _tidy(total / sp.factorial(k))
        if not value.is_real and value.is_number:
            value = _tidy(sp.re(sp.expand_complex(value)))
        out.append(value)
    return out


def _tidy(value: sp.Expr) -> sp.Expr:
    value = sp.expand(value)
    if value.has(sp.erf, sp.exp, sp.I):
        value = sp.simplify(value)
    return sp.radsimp(sp.nsimplify(value)) if value.is_number and value.is_algebraic else value


# ---------------------------------------------------------------------------
# method 3: numeric
# ---------------------------------------------------------------------------
def _numeric_u(expr: sp.Expr, ks, dps: int = NUMERIC_DPS):
    """``{k: (u_k, error)}`` by tanh-sinh quadrature on (-inf, 0] and [0, inf).

    The quadrature nodes are the same for every ``k``, so ``f(t) phi(t)`` and
    ``He_0(t) .. He_kmax(t)`` (three-term recurrence) are computed once per node.
    """
    f = sp.lambdify(Z, expr, modules=["mpmath"])
    kmax = max(ks)
    cache: dict = {}

    def node(t):
        hit = cache.get(t)
        if hit is None:
            weight = mpmath.re(mpmath.mpmathify(f(t))) * mpmath.exp(-t * t / 2) / mpmath.sqrt(2 * mpmath.pi)
            he = [mpmath.mpf(1), t]
            for n in range(1, kmax):
                he.append(t * he[n] - n * he[n - 1])
            hit = cache[t] = (weight, he)
        return hit

    out = {}
    with mpmath.workdps(dps):
        for k in ks:
            def integrand(t, k=k):
                weight, he = node(t)
                return weight * he[k]
            val, err = mpmath.quad(integrand, [-mpmath.inf, 0, mpmath.inf], error=True)
            fact = mpmath.factorial(k)
            out[k] = (float(val / fact), float(err / fact) + abs(float(val / fact)) * 10.0 ** (1 - dps))
    return out


# ---------------------------------------------------------------------------
# public entry points
# ---------------------------------------------------------------------------
def _check_kmax(kmax) -> int:
    if isinstance(kmax, bool) or not isinstance(kmax, int) or not 0 <= kmax <= KMAX_LIMIT:
        raise ExpansionError(f"kmax must be an integer in [0, {KMAX_LIMIT}], got {kmax!r}")
    return kmax


def _as_expr(f) -> sp.Expr:
    if isinstance(f, Link):
        return f.expr
    if isinstance(f, sp.Expr):
        return f
    if isinstance(f, (int, Fraction)):
        return sp.Rational(f)
    raise ExpansionError(f"expected a Link or a SymPy expression in z, got {type(f).__name__}")


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
    coeffs = _poly_coefficients(expr)
    if coeffs is not None:
        return _polynomial_u(coeffs, kmax)
    try:
        return _closed_form_u(expr, kmax)
    except _NotInClass:
        pass
    stein = _stein_u(expr, kmax)
    if stein is not None and all(v is not None for v in stein):
        return stein
    raise ExpansionError(f"no exact Hermite expansion is known for {expr}; use hermite_expansion for numerics")


def _stein_u(expr: sp.Expr, kmax: int):
    """``u_k(f) = u_{k-1}(f') / k`` when ``f'`` is in the closed-form class; ``u_0`` exact if f is odd."""
    if expr.has(*_PIECEWISE_ATOMS) or expr.has(sp.Piecewise):
        return None
    deriv = sp.diff(expr, Z)
    if deriv.has(sp.DiracDelta, sp.Derivative):
        return None
    try:
        du = _closed_form_u(deriv, max(kmax - 1, 0))
    except _NotInClass:
        return None
    u0 = sp.Integer(0) if parity(expr) == ODD else None
    return [u0] + [_tidy(du[k - 1] / k) for k in range(1, kmax + 1)]


def hermite_expansion(f, kmax: int) -> HermiteExpansion:
    """Hermite coefficients ``u_0 .. u_kmax`` of ``f`` (``He_k`` basis), exact where possible.

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
    >>> t.exact is None, round(t.value, 6), t.method
    (True, 0.605706, 'numeric')
    """
    _check_kmax(kmax)
    expr = _as_expr(f)
    coeffs = _poly_coefficients(expr)
    method = "polynomial"
    values: list[sp.Expr | None]
    if coeffs is not None:
        values = _polynomial_u(coeffs, kmax)
    else:
        try:
            values = _closed_form_u(expr, kmax)
            method = "closed form"
        except _NotInClass:
            values = _stein_u(expr, kmax) or [None] * (kmax + 1)
            method = "closed form (Stein)"
    if any(v is not None and v.free_symbols for v in values):
        raise ExpansionError(f"{expr} depends on symbols other than z; use exact_coefficients")
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
    numeric = _numeric_u(expr, missing) if missing else {}
    out = []
    for k, v in enumerate(values):
        if v is None:
            val, err = numeric[k]
            out.append(HermiteCoefficient(k, None, val, err, "numeric"))
        else:
            out.append(HermiteCoefficient(k, v, float(sp.N(v, 20)), 0.0, methods[k]))
    return HermiteExpansion(expr, tuple(out))


def gaussian_expectation(f) -> sp.Expr:
    """Exact ``E[f(z)]`` for ``z ~ N(0, 1)`` (``u_0``), when it is known exactly.

    Examples
    --------
    >>> gaussian_expectation(Z**6)
    15
    """
    return exact_coefficients(f, 0)[0]
