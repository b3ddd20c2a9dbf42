"""Hermite coefficients in closed form for piecewise sums of ``c z^n exp(b z - a z^2)``.

The second method of :mod:`theory.hermite`.  A link that is, on intervals with real endpoints, a
sum of ``c z^n exp(b z - a z^2)`` (``Abs``, ``Max``, ``sign``, ``Heaviside``, ``cos``, ``exp(z)``,
``z exp(-z^2/2)``, ...) has exact ``u_k``: incomplete Gaussian moments by an exact recursion
(integration by parts), giving rationals, radicals, ``erf`` and ``exp``.  The pieces come from
the exact real roots of the (polynomial) arguments of the piecewise functions, innermost first
(:func:`piecewise_branches`, at most :data:`MAX_PIECES`); piecewise polynomials with rational or
quadratic-surd breakpoints take an all-rational path (``_polynomial_pieces_u``), rational tilts
another (``_tilted_rational_u``).  Outside the class :class:`NotInClass` is raised and the
engine moves on.

Size: about 700 lines, one concept (exact integrals of the class over pieces).  Its three exact
paths share the piece splitting and the field arithmetic (``_QS``); ``_polynomial_pieces_u`` is
one 170-line recursion over pieces and indices whose inner loops share the tables of values at
the breakpoints (``He_j``, the moments ``P_n``, the derivatives of each piece): cut apart, each
part would need all of them as arguments.
"""
from __future__ import annotations

import math
from fractions import Fraction

import sympy as sp

from theory.hepoly import he_coefficients, he_values
from theory.links import EXPAND_DEGREE, degree_bound
from theory.symbols import Z

__all__ = ["NotInClass", "piecewise_branches", "closed_form_coefficients", "tidy", "MAX_PIECES",
           "MAX_BREAKPOINT", "PIECEWISE_ATOMS", "SYMPY_FAILURES"]


class NotInClass(Exception):
    """The function is outside the class the closed-form piecewise method handles.

    Raised by :func:`piecewise_branches`; the Hermite engine then uses another method (Stein's
    identity or the rigorous numeric path).  Not a user error: it never reaches the caller of
    :func:`hermite_expansion`.
    """


#: The non-smooth functions whose branches split a link into pieces.
PIECEWISE_ATOMS = (sp.Abs, sp.sign, sp.Max, sp.Min, sp.Heaviside)
#: Most pieces the closed-form method splits a link into (an internal limit of that method:
#: beyond it the numeric method is used).
MAX_PIECES = 96
#: Bound on the generic closed-form path (complex or irrational tilts, e.g. powers of sin and cos):
#: (number of ``z^n exp(b z - a z^2)`` terms) x (number of coefficients). Its symbolic cost grows
#: with both (``exp(z) sin(z)**24 z`` at ``kmax = 8``, 225 units, took 3.6 s), so larger cases go to
#: the rigorous numeric enclosure (``exp(z) sin(z)**40 z``: certified in 1.6 s instead of no answer).
MAX_GENERIC_WORK = 64
#: Bound on the terms of a branch once written as ``z^n exp(b z - a z^2)`` (estimated before expanding).
MAX_EXPANDED_TERMS = 64
_MAX_SWITCH_DEGREE = 2

#: SymPy failures inside the exact methods: the link is then left to the numeric method.
SYMPY_FAILURES = (NotImplementedError, TypeError, AttributeError, ArithmeticError, RecursionError,
                   sp.PolynomialError, sp.CoercionFailed, IndexError, KeyError)


def _innermost_atoms(expr):
    out = []
    for a in sp.preorder_traversal(expr):
        if isinstance(a, PIECEWISE_ATOMS) and not any(arg.has(*PIECEWISE_ATOMS) for arg in a.args):
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
    except SYMPY_FAILURES:
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
    if not expr.has(*PIECEWISE_ATOMS):
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


def _term_count_bound(expr: sp.Expr) -> int:
    """An upper bound on the terms of ``expr`` once expanded into ``z^n exp(...)`` monomials, without expanding.

    ``sin, cos, sinh, cosh`` count 2 exponentials; a power ``b^n`` of ``m`` terms at most
    ``C(n + m - 1, m - 1)`` monomials; sums add and products multiply.

    Examples
    --------
    >>> _term_count_bound(sp.exp(Z) * sp.sin(Z) ** 40 * Z), _term_count_bound((1 + Z) ** 3 * sp.cos(Z))
    (41, 8)
    """
    if isinstance(expr, (sp.sin, sp.cos, sp.sinh, sp.cosh)):
        return 2
    if expr.is_Add:
        return sum(_term_count_bound(a) for a in expr.args)
    if expr.is_Mul:
        out = 1
        for a in expr.args:
            out *= _term_count_bound(a)
        return out
    if expr.is_Pow and expr.exp.is_Integer and expr.exp > 0 and Z in expr.base.free_symbols:
        m = _term_count_bound(expr.base)
        return 1 if m == 1 else int(sp.binomial(int(expr.exp) + m - 1, m - 1))
    return 1


def _terms(branch: sp.Expr) -> list[tuple[sp.Expr, int, sp.Expr, sp.Expr]]:
    """Write ``branch`` as a sum of ``coeff * z^n * exp(b z - a z^2)``: list of (coeff, n, b, a)."""
    if _term_count_bound(branch) > MAX_EXPANDED_TERMS:
        raise NotInClass  # bounded before expanding (exp(z) sin(z)**120: no answer for minutes): numerics
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


def closed_form_coefficients(expr: sp.Expr, kmax: int) -> list[sp.Expr]:
    """Exact ``u_0 .. u_kmax`` of a piecewise sum of ``c z^n exp(b z - a z^2)``.

    Parameters
    ----------
    expr : sympy.Expr
        A function of ``z`` in the class (see the module docstring).
    kmax : int
        The last index.

    Returns
    -------
    list of sympy.Expr
        ``u_0 .. u_kmax``, in canonical form (:func:`tidy`).

    Raises
    ------
    NotInClass
        If ``expr`` is outside the class.

    Examples
    --------
    >>> closed_form_coefficients(sp.Abs(Z), 2)
    [sqrt(2)/sqrt(pi), 0, sqrt(2)/(2*sqrt(pi))]
    """
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
    if len(plan) * (kmax + 1) > MAX_GENERIC_WORK:
        raise NotInClass  # bounded before the work: the numeric enclosure answers instead
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
        value = tidy(total / sp.factorial(k))
        if not value.is_real and value.is_number:
            value = tidy(sp.re(sp.expand_complex(value)))
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


def tidy(value: sp.Expr) -> sp.Expr:
    """Canonical form without ``simplify`` (whose cost is unbounded): expand, collect exponentials.

    Examples
    --------
    >>> tidy(sp.exp(Z) * sp.exp(2 * Z) * (1 + Z))
    z*exp(3*z) + exp(3*z)
    """
    value = sp.expand(value)
    if value.has(sp.exp, sp.erf):
        value = sp.powsimp(value, combine="exp")
    if value.is_number and not value.has(sp.erf, sp.exp, sp.I, sp.pi) and value.is_algebraic:
        value = sp.radsimp(value)
    return value
