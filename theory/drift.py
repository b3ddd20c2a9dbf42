"""Drift coefficients ``mu_i(eta)`` of an update rule and the moments of its ``psi``.

With ``theta = m w + sqrt(1 - m^2) v`` and a fresh sample, the population drift of the
overlap is (docs/theory.md, section 4; re-derived in ``derivations/general_theorem.py``)

    E[<theta, psi P_w^perp x>] = E[psi(y, z) (u - m z)] = (1 - m^2) sum_i i! mu_i m^(i-1),
    mu_i = E[psi(sigma_*(g) + zeta, g') He_i(g) He_{i-1}(g')] / (i! (i-1)!),

``g, g'`` independent standard Gaussians (the target's and the student's projections at overlap
0; ``a`` is the second layer).  ``psi`` is a polynomial in ``y``,
``psi = sum_k y^k g_k(z)``, so the expectation factorises:

    mu_i = sum_k u_i(E[y^k | z]) u_{i-1}(g_k),

a finite sum of products of Hermite coefficients (``He_k`` basis): a polynomial in ``eta``,
``d`` and ``a`` (integer powers).

Size: about 780 lines, one concept (the drift and moment expansions of a rule): the coefficient
cache, the term algebra and the two entry points share private records, and the number type they
run on lives in :mod:`theory.values`.

Exact and numeric
-----------------
Every Hermite coefficient comes from :func:`theory.hermite.hermite_expansion`: exact
(polynomials, closed forms, parity zeros) or numeric with an error bound.  Each monomial
coefficient of ``mu_i`` is a :class:`Value`: exact when every input is exact, otherwise a
numeric centre with an absolute error bound propagated through the sums and products
(``|xy - x'y'| <= |x'| e_y + |y'| e_x + e_x e_y``, plus the rounding of a 40-digit working
precision and of the final 17-digit float).  A product with an exact zero factor (parity,
degree) is an exact zero, never a small number.  :class:`Drift` keeps both: ``mu`` (SymPy
expressions, floats where numeric) and ``error`` (a polynomial bound on ``|mu_i - mu[i]|``
for ``eta, d > 0``).

A numeric coefficient's error is never taken below a rounding floor relative to the
function's scale (:func:`_with_floor`): the quadrature's own estimate is not a bound for a
coefficient that is exactly zero.  A numeric value whose error covers zero has no certified
sign (:attr:`Value.sign` is ``None``); :mod:`theory.predict` treats such coefficients as zero
and says so.

To share quadratures, each function of ``z`` is split into ``z^n * core`` and
``u_j(z^n core) = sum_m c(n, j, m) u_m(core)`` with exact rational ``c`` (``z He_m = He_{m+1}
+ m He_{m-1}``); each core is expanded once (and cached), after simplifications that hold
almost everywhere (``Heaviside(x)^2 = Heaviside(x)``, ``sign(x)^2 = 1``).  Two named limits keep
exact forms affordable: a smooth core whose closed form would have more than
:data:`EXACT_TERMS_LIMIT` terms is integrated numerically, and an exact value larger than
:data:`EXACT_OPS_LIMIT` operations is carried as a 45-digit number; both are labelled numeric.

Students with jumps
-------------------
When the student jumps (``sign``, ``Heaviside``), its derivative is a Dirac delta and so is part
of ``psi`` (:attr:`theory.rules.Rule.distributional`).  The rules use it linearly, as
``sigma^k sigma' = (sigma^(k+1) / (k+1))'``, and Stein's identity
``E[Q'(z) He_j(z)] = E[Q(z) He_{j+1}(z)]`` gives ``u_j(Q') = (j+1) u_{j+1}(Q)``: the limit of the
drift of smooth students, whatever the smoothing.  ``E[psi^2]`` is infinite there (the square
of a delta), which :func:`psi_moment` reports as ``oo``.

Integrability
-------------
Before a function's Hermite coefficients are computed, ``E[|f| (1 + z^2)^(k/2)]`` is checked
finite (the admissibility test of :mod:`theory.links` applied to ``sqrt(|f|) (1 + z^2)^w``):
``E[y^k | z] = sigma_*^k`` needs ``sigma_*`` in ``L^k``.  A drift that needs a coefficient not
certified finite raises :class:`~theory.errors.RuleError`; a moment of ``psi`` that is not
certified finite is ``oo`` with the reason in :attr:`Moment.reason`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache

import mpmath
import numpy as np
import sympy as sp

from theory.errors import LinkError, RuleError, TheoryInputError
from theory.exponents import conditional_power
from theory.hermite import exact_coefficients, hermite_expansion
from theory.links import EVEN, ODD, parity
from theory.rules import SIGMA_DERIVATIVES, Rule
from theory.symbols import A, D, ETA, M, Y, Z
from theory.values import DPS, EXACT_OPS_LIMIT, FLOAT_DIGITS, ZERO, Value, nodes_at_most, round_up, total

__all__ = ["M", "Value", "Drift", "Moment", "drift_expansion", "target_information_exponent", "drift_coefficients",
           "drift_polynomial", "psi_moment_expansion", "psi_moment", "psi_second_moment", "label_moments",
           "EXACT_TERMS_LIMIT", "EXACT_OPS_LIMIT", "EXACT_BREAKPOINTS_LIMIT", "NUMERIC_FLOOR", "round_up"]




# ---------------------------------------------------------------------------
# Hermite coefficients of cores, cached
# ---------------------------------------------------------------------------
_CORES: dict = {}
_CORES_MAX = 512

#: A smooth non-polynomial core whose closed form would expand to more than this many
#: ``z^n exp(b z - a z^2)`` terms is integrated numerically (labelled numeric): its exact
#: form would be an unreadable sum of ``erf``/``exp`` values that costs seconds to build.
EXACT_TERMS_LIMIT = 32

_PIECEWISE = (sp.Abs, sp.sign, sp.Heaviside, sp.Max, sp.Min, sp.Piecewise)


def _terms_estimate(expr: sp.Expr) -> int:
    """An upper estimate of the number of terms of ``expr`` expanded (sines and cosines as two exponentials)."""
    if expr.is_Add:
        return sum(_terms_estimate(a) for a in expr.args)
    if expr.is_Mul:
        return math.prod(_terms_estimate(a) for a in expr.args)
    if expr.is_Pow and expr.exp.is_Integer and expr.exp > 0:
        c, n = _terms_estimate(expr.base), int(expr.exp)
        return math.comb(c + n - 1, n)
    if isinstance(expr, (sp.sin, sp.cos, sp.sinh, sp.cosh)):
        return 2
    return 1


#: A core that is not piecewise polynomial (it has exp, sin, ... ) and has more breakpoints than
#: this is integrated numerically: its exact coefficients would be sums of erf/exp products over
#: every piece, slow to build and unreadable (piecewise polynomials stay exact at any count).
EXACT_BREAKPOINTS_LIMIT = 4


def _numeric_first(core: sp.Expr) -> bool:
    if core.is_polynomial(Z):
        return False
    if not core.has(*_PIECEWISE):
        return _terms_estimate(core) > EXACT_TERMS_LIMIT
    transcendental = core.has(sp.exp, sp.sin, sp.cos, sp.sinh, sp.cosh, sp.tanh, sp.erf)
    atoms = {a for a in core.atoms(*_PIECEWISE)}
    return transcendental and len(atoms) > EXACT_BREAKPOINTS_LIMIT


def _almost_everywhere(core: sp.Expr) -> sp.Expr:
    """A simpler function equal to ``core`` except on a null set (so with the same Hermite coefficients).

    ``Heaviside(x)^n -> Heaviside(x)``, ``sign(x)^(2n) -> 1``, ``sign(x)^(2n+1) -> sign(x)`` and
    ``Heaviside(x) Max(0, x)^k -> Max(0, x)^k`` (``k >= 1``), for factors of a product; they differ
    only where ``x = 0``, a null set for the non-constant ``x`` of a link.
    """
    if not core.has(sp.Heaviside, sp.sign):
        return core
    factors: dict = {}
    for f in sp.Mul.make_args(core):
        b, e = f.as_base_exp()
        factors[b] = factors.get(b, 0) + e
    out = {}
    for b, e in factors.items():
        if isinstance(b, sp.Heaviside) and e.is_Integer and e > 0:
            e = sp.Integer(1)
        elif isinstance(b, sp.sign) and e.is_Integer and e > 0:
            e = sp.Integer(int(e) % 2)
        out[b] = e
    for b in list(out):
        if isinstance(b, sp.Heaviside) and out[b] == 1:
            relu = sp.Max(0, b.args[0])
            if relu in out and out[relu].is_positive:
                out[b] = sp.Integer(0)
    return sp.Mul(*[b**e for b, e in out.items() if e != 0])


def _core_coefficients(core: sp.Expr, kmax: int, force_numeric: bool) -> tuple[Value, ...]:
    """``u_0 .. u_kmax`` of a function of ``z`` as :class:`Value` (cached across calls)."""
    core = _almost_everywhere(core)
    key = (core, force_numeric)
    hit = _CORES.get(key)
    if hit is not None and hit[0] >= kmax:
        return hit[1][:kmax + 1]
    if len(_CORES) > _CORES_MAX:
        _CORES.clear()
    if core.is_number:
        values = tuple(Value.exact_(core if k == 0 else sp.Integer(0)) for k in range(kmax + 1))
    elif force_numeric or _numeric_first(core):
        from theory.hermite import numeric_coefficients

        par = parity(core)
        forbidden = 1 if par == EVEN else (0 if par == ODD else None)
        ks = [k for k in range(kmax + 1) if k % 2 != forbidden]
        numeric = numeric_coefficients(core, ks) if ks else {}
        values = _with_floor(core, [numeric.get(k) for k in range(kmax + 1)])
    else:
        try:
            expansion = hermite_expansion(core, kmax)
        except TheoryInputError:
            raise
        except (NotImplementedError, ArithmeticError, ValueError, TypeError, RecursionError) as exc:
            # a failure inside the Hermite engine: refuse clearly rather than guess
            raise RuleError(f"the Hermite coefficients of {core} (needed by the drift) could not be computed: "
                            f"{type(exc).__name__}: {str(exc).strip()[:120] or 'no detail'}") from None
        values = _with_floor(core, [None if c.exact is not None else (c.value, c.error, c.rigorous)
                                    for c in expansion.coefficients], expansion.coefficients)
    _CORES[key] = (kmax, values)
    return values


#: Relative rounding floor of a numeric Hermite coefficient (see :func:`_with_floor`).
NUMERIC_FLOOR = 1e-24


def _brief(expr: sp.Expr, limit: int = 120) -> str:
    text = str(expr)
    return text if len(text) <= limit else text[:limit] + "..."


def _with_floor(core, numeric, coefficients=None) -> tuple[Value, ...]:
    """Numeric coefficients as :class:`Value` with an error that covers the quadrature's rounding floor.

    A coefficient computed by quadrature at 30 digits cannot be known better than about
    ``10^-30 E[|f He_k|] / k!``, whatever the quadrature's own error estimate says (for a
    coefficient that is exactly 0 the estimate is far below the value's noise: ``u_3(relu)``
    comes out as ``-4e-39 +- 2e-64``).  So each error is raised to at least
    ``NUMERIC_FLOOR * S * sqrt(k!) / k!`` with ``S`` a scale of ``f`` (the largest of
    ``sqrt(j!) |u_j|`` and of ``|f|`` at a few points), and by the float rounding of the value.
    Items are ``(value, error, rigorous)``; an estimate that is not a proven bound
    (``rigorous`` false) is widened to cover 0, so that no sign is ever certified from it.
    """
    scale = 0.0
    for j, item in enumerate(numeric):
        if item is not None:
            scale = max(scale, abs(item[0]) * math.sqrt(math.factorial(j)))
        elif coefficients is not None:
            scale = max(scale, abs(coefficients[j].value) * math.sqrt(math.factorial(j)))
    if any(item is not None for item in numeric):
        from theory._interval import NotCompilable, float_evaluator

        try:  # the interval engine's evaluator: lambdify of nested Min/Max/Heaviside costs exponential time
            f = float_evaluator(core, Z)
            with np.errstate(all="ignore"):
                values = np.abs(np.asarray(f(np.array([-2.0, -1.0, -0.5, 0.5, 1.0, 2.0])), dtype=float))
            values = values[np.isfinite(values)]
            if values.size:
                scale = max(scale, float(values.max()))
        except (NotCompilable, ZeroDivisionError, ValueError, TypeError, OverflowError):
            pass
    out = []
    for k, item in enumerate(numeric):
        if item is None:
            out.append(Value.exact_(coefficients[k].exact) if coefficients is not None else ZERO)
            continue
        value, error, rigorous = item
        if not (math.isfinite(value) and math.isfinite(error)):
            raise RuleError(f"the Hermite coefficient u_{k} of {_brief(core)} (needed by the drift) has no finite "
                            f"numeric bound: its size ({value:.3g}) or its tails are beyond double precision; "
                            f"a link whose label moments are this large cannot be predicted numerically (scale it down)")
        floor = NUMERIC_FLOOR * scale * math.sqrt(math.factorial(k)) / math.factorial(k)
        error = max(error, floor) + abs(value) * 2.0**-52
        if not rigorous:
            # a quadrature estimate without a proven bound never certifies a sign: widen it to cover 0
            error = max(error, 2.0 * abs(value))
        out.append(Value.numeric(value, error))
    return tuple(out)


_L1: dict = {}


def _l1_reason(expr: sp.Expr, kmax: int) -> str | None:
    """``None`` when ``E[|f(z)| (1 + z^2)^(kmax/2 + 1/2)]`` is certified finite under N(0, 1)
    (so ``u_0 .. u_kmax`` of ``f`` are finite), else the reason.

    Decided by the admissibility test of :mod:`theory.links` (square-integrability) applied to
    ``sqrt(|f|) (1 + z^2)^w`` with ``4 w >= kmax + 1``.
    """
    if expr.is_number or expr.is_polynomial(Z):
        return None
    w = -(-(kmax + 1) // 4) if kmax > 0 else 0
    probe = sp.sqrt(sp.Abs(expr)) * (1 + Z**2) ** w
    if probe not in _L1:
        from theory.links import check_admissible

        try:
            check_admissible(probe, str(expr))
            _L1[probe] = None
        except LinkError as exc:
            _L1[probe] = str(exc)
    return _L1[probe]


#: Up to this power, ``z^n`` times a non-polynomial core is handled by :func:`_shift` (sharing the
#: core's expansion); beyond it ``z^n core`` is expanded as one function.
_SHIFT_MAX = 4


@lru_cache(maxsize=4096)
def _shift(n: int, j: int) -> tuple[tuple[int, Fraction], ...]:
    """``u_j(z^n f) = sum_m c_m u_m(f)``: the pairs ``(m, c_m)`` (exact rationals).

    ``z^n He_j = sum_m b_m He_m`` (from ``z He_m = He_{m+1} + m He_{m-1}``) and
    ``u_j(z^n f) = E[z^n He_j f] / j! = sum_m b_m m! u_m(f) / j!``.
    """
    vec = {j: 1}
    for _ in range(n):
        nxt: dict = {}
        for m, b in vec.items():
            nxt[m + 1] = nxt.get(m + 1, 0) + b
            if m:
                nxt[m - 1] = nxt.get(m - 1, 0) + m * b
        vec = nxt
    return tuple((m, Fraction(b * math.factorial(m), math.factorial(j))) for m, b in sorted(vec.items()) if b)


# ---------------------------------------------------------------------------
# psi as a list of terms
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Term:
    """``coeff * y^ky * eta^e d^f a^g * z^nz * prod sigma_n^kappa_n * prod atom^power``."""

    coeff: sp.Expr
    ky: int
    mono: tuple[int, int, int]
    nz: int
    kappa: tuple[int, ...]
    atoms: tuple

    def key(self):
        return (self.ky, self.mono, self.nz, self.kappa, self.atoms)


_NS = len(SIGMA_DERIVATIVES)
_SIGMA_INDEX = {s: n for n, s in enumerate(SIGMA_DERIVATIVES)}


def _split(expr: sp.Expr) -> list[_Term]:
    """Split an expanded ``psi`` into :class:`_Term` s (raises :class:`RuleError` on anything else)."""
    out: dict = {}
    for term in sp.Add.make_args(sp.expand(expr)):
        if term == 0:
            continue
        coeff, ky, mono, nz = sp.Integer(1), 0, [0, 0, 0], 0
        kappa = [0] * _NS
        atoms: dict = {}
        for factor in sp.Mul.make_args(term):
            if factor.is_number:
                coeff *= factor
                continue
            base, ex = factor.as_base_exp()
            if base in (Y, ETA, D, A) or base in _SIGMA_INDEX:
                if not ex.is_Integer or (int(ex) < 0 and base not in (ETA, D)):
                    raise RuleError(f"psi term {term} is not polynomial in {base}")
                n = int(ex)
                if base == Y:
                    ky += n
                elif base in _SIGMA_INDEX:
                    kappa[_SIGMA_INDEX[base]] += n
                else:
                    mono[(ETA, D, A).index(base)] += n
            elif base == Z and ex.is_Integer and ex > 0:
                nz += int(ex)
            elif factor.free_symbols <= {Z}:
                atoms[base] = atoms.get(base, sp.Integer(0)) + ex
            else:
                raise RuleError(f"psi term {term}: the factor {factor} is not supported (psi must be a polynomial "
                                f"in y, eta, d, a with coefficients that are functions of z)")
        t = _Term(sp.Integer(1), ky, tuple(mono), nz, tuple(kappa),
                  tuple(sorted(((b, e) for b, e in atoms.items() if e != 0), key=lambda p: sp.default_sort_key(p[0]))))
        k = t.key()
        out[k] = out.get(k, sp.Integer(0)) + coeff
    return [_Term(c, *k) for k, c in out.items() if c != 0]


def _multiply(left: list[_Term], right: list[_Term]) -> list[_Term]:
    out: dict = {}
    for s in left:
        for t in right:
            atoms = dict(s.atoms)
            for b, e in t.atoms:
                atoms[b] = atoms.get(b, sp.Integer(0)) + e
            key = (s.ky + t.ky, tuple(a + b for a, b in zip(s.mono, t.mono)), s.nz + t.nz,
                   tuple(a + b for a, b in zip(s.kappa, t.kappa)),
                   tuple(sorted(((b, e) for b, e in atoms.items() if e != 0), key=lambda p: sp.default_sort_key(p[0]))))
            out[key] = out.get(key, sp.Integer(0)) + s.coeff * t.coeff
    return [_Term(sp.expand(c), *k) for k, c in out.items() if sp.expand(c) != 0]


def _atoms_expr(atoms) -> sp.Expr:
    return sp.Mul(*[b**e for b, e in atoms])


# ---------------------------------------------------------------------------
# the two sides of mu_i
# ---------------------------------------------------------------------------
class _Context:
    """Per-call bookkeeping: the rule, the precision mode, and caches of both sides."""

    def __init__(self, rule: Rule, force_numeric: bool):
        self.rule, self.force = rule, force_numeric
        self.target_powers: dict = {}
        self.student: dict = {}
        self.notes: set = set()

    def core(self, expr, kmax):
        return _core_coefficients(expr, kmax, self.force)

    # target side ---------------------------------------------------------
    def target_power(self, n: int, kmax: int) -> tuple[Value, ...]:
        """``u_0..u_kmax`` of ``sigma_*^n``."""
        hit = self.target_powers.get(n)
        if hit is not None and len(hit) > kmax:
            return hit
        expr = self.rule.target.expr ** n
        if n >= 2:
            why = _l1_reason(expr, kmax)
            if why is not None:
                raise RuleError(f"the drift of the {self.rule.name} rule needs the Hermite coefficients of "
                                f"E[y^{n}|z] ~ sigma_*(z)^{n} up to order {kmax}, which are not certified finite "
                                f"(target {self.rule.target.name!r}; integrability test: {why})")
        values = self.core(expr, max(kmax, IE_SEARCH) if n == 1 else kmax)
        self.target_powers[n] = values
        return values

    def label(self, k: int, kmax: int) -> list[Value]:
        """``u_0..u_kmax`` of ``E[y^k | z] = sum_l C(k, l) s^l (l-1)!! sigma_*^(k-l)`` (``l`` even)."""
        s = self.rule.target.noise
        out = [ZERO] * (kmax + 1)
        for l in range(0, k + 1, 2):
            if l and s == 0:
                break
            c = sp.binomial(k, l) * s**l * (sp.factorial2(l - 1) if l else 1)
            u = self.target_power(k - l, kmax)
            out = [o + u[j].scale(c) if not u[j].is_exact_zero else o for j, o in enumerate(out)]
        return out

    # student side --------------------------------------------------------
    def function_of(self, t: _Term) -> sp.Expr:
        derivs = self.rule.student_derivatives
        return _atoms_expr(t.atoms) * sp.Mul(*[derivs[n] ** k for n, k in enumerate(t.kappa) if k])

    def student_side(self, t: _Term, kmax: int) -> list[Value]:
        """``u_0..u_kmax`` of the ``z``-function of the term (Stein's identity across a jump)."""
        key = (t.nz, t.kappa, t.atoms)
        hit = self.student.get(key)
        if hit is not None and len(hit) > kmax:
            return hit
        p = self.rule.classical_order
        beyond = [n for n, k in enumerate(t.kappa) if k and n > p]
        if beyond:
            if p == 0 and beyond == [1] and t.kappa[1] == 1 and t.nz == 0 and not t.atoms:
                k0 = t.kappa[0]
                q = self.rule.student_derivatives[0] ** (k0 + 1)
                why = _l1_reason(q, kmax + 1)
                if why is not None:
                    raise RuleError(f"the drift needs the Hermite coefficients of sigma(z)^{k0 + 1}, which are not "
                                    f"certified finite (student {self.rule.student.name!r}; integrability test: {why})")
                u = self.core(q, kmax + 1)
                values = [u[j + 1].scale(sp.Rational(j + 1, k0 + 1)) for j in range(kmax + 1)]
                self.notes.add(f"student {self.rule.student.name!r} jumps: its derivative is a Dirac delta, and "
                               f"E[sigma^k sigma' He_j] = E[sigma^(k+1) He_(j+1)] / (k+1) (Stein's identity: the "
                               f"limit of smooth students)")
            else:
                raise RuleError(f"the drift of the {self.rule.name} rule with student {self.rule.student.name!r} "
                                f"needs sigma^({max(beyond)}) beyond a Dirac delta (term {t.coeff}*"
                                f"{sp.Mul(*[SIGMA_DERIVATIVES[n]**k for n, k in enumerate(t.kappa) if k])}), "
                                f"which is not defined even as a limit of smooth students")
        else:
            core = self.function_of(t)
            why = _l1_reason(Z**t.nz * core, kmax)
            if why is not None:
                raise RuleError(f"the drift of the {self.rule.name} rule needs the Hermite coefficients of "
                                f"{Z**t.nz * core} up to order {kmax}, which are not certified finite "
                                f"(integrability test: {why})")
            nz = t.nz
            if nz > _SHIFT_MAX and not core.is_polynomial(Z):
                core, nz = Z**nz * core, 0  # one function rather than a core expanded to order kmax + nz
            u = self.core(core, kmax + nz)
            values = []
            for j in range(kmax + 1):
                parts = [u[m].scale(sp.Rational(c.numerator, c.denominator)) for m, c in _shift(nz, j)
                         if not u[m].is_exact_zero]
                values.append(total(parts))
        self.student[key] = values
        return values


#: Exact sums with more tree nodes than this are kept as they are (not expanded and factored).
_TIDY_NODES = 600


def _as_expr(terms: dict, symbolic_a: bool) -> tuple[sp.Expr, sp.Expr]:
    """``(expression, error bound)`` of ``{(e, f, g): Value}``; exact parts stay exact."""
    exact, numeric, error = [], [], []
    for (e, f, g), v in terms.items():
        mono = ETA**e * D**f * A**g
        if v.is_exact:
            exact.append(v.exact * mono)
        else:
            numeric.append(sp.Float(mpmath.nstr(v.mid, FLOAT_DIGITS), FLOAT_DIGITS) * mono)
            error.append(sp.Float(round_up(v.error), 3) * ETA**e * D**f * (sp.Abs(A) ** g if g else 1))
    expr = sp.Add(*exact)
    if nodes_at_most(expr, _TIDY_NODES):
        expr = sp.factor_terms(sp.expand(expr))  # tidy only what is small: both are superlinear in the size
    if numeric:
        expr = expr + sp.Add(*numeric)
    return expr, sp.Add(*error)


#: How far :func:`target_information_exponent` looks (the target's own expansion, shared with the drift).
IE_SEARCH = 10


def target_information_exponent(rule: Rule) -> int | None:
    """The information exponent of the rule's target from the coefficients the drift uses.

    The first ``k >= 1`` whose ``u_k`` is certified non-zero, all earlier ones being exact
    zeros; ``None`` when an earlier coefficient has no certified sign or nothing is found up
    to :data:`IE_SEARCH` (polynomial targets: searched to their degree, exactly).

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> target_information_exponent(make_rule("online", "He3", "He3")), target_information_exponent(make_rule("online", "tanh", "tanh"))
    (3, 1)
    """
    expr = rule.target.expr
    if Z not in expr.free_symbols:
        return None
    kmax = IE_SEARCH
    if expr.is_polynomial(Z):
        kmax = max(kmax, int(sp.Poly(expr, Z).degree()))
    for k, v in enumerate(_core_coefficients(expr, kmax, False)):
        if k == 0:
            continue
        if v.sign is None:
            return None
        if v.sign != 0:
            return k
    return None


# ---------------------------------------------------------------------------
# drift
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Drift:
    """``mu_1 .. mu_imax`` of a rule, exact where the inputs are, else numeric with error bounds.

    Attributes
    ----------
    mu : dict of int to sympy.Expr
        ``mu_i`` as polynomials in ``eta``, ``d`` (and ``a``); numeric coefficients are floats.
    error : dict of int to sympy.Expr
        A bound on ``|mu_i - mu[i]|`` valid for ``eta, d > 0`` (``0`` where ``mu_i`` is exact).
    terms : dict of int to dict
        ``{(e, f, g): Value}``: the coefficient of ``eta^e d^f a^g`` in ``mu_i`` (exact zeros omitted).
    notes : tuple of str
        How the coefficients were obtained when it is not plain (Stein's identity, ...).
    """

    mu: dict
    error: dict
    terms: dict
    notes: tuple = field(default=())

    @property
    def is_exact(self) -> bool:
        return all(v.is_exact for t in self.terms.values() for v in t.values())

    def undecided(self) -> list[tuple[int, tuple, Value]]:
        """Monomial coefficients whose sign is not certified (``|value| <= error``)."""
        return [(i, mono, v) for i, t in self.terms.items() for mono, v in t.items() if v.sign is None]


def drift_expansion(rule: Rule, imax: int = 8, *, symbolic_a: bool = False, force_numeric: bool = False) -> Drift:
    """``mu_1 .. mu_imax`` with their error bounds (see the module docstring).

    Parameters
    ----------
    rule : Rule
    imax : int
        Highest index, ``1 <= imax <= 60``.
    symbolic_a : bool
        Keep the second layer ``a`` as a symbol.
    force_numeric : bool
        Compute every Hermite coefficient by quadrature, also where an exact form exists (to
        check the numeric path against the exact one).

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> dr = drift_expansion(make_rule("online", "tanh", "tanh"), 3)
    >>> dr.mu[2], dr.error[2]
    (0, 0)
    >>> round(float(dr.mu[1]), 12), float(dr.error[1]) < 1e-10   # mu_1 = u_1(tanh)^2, proven bound
    (0.366879164362, True)
    """
    if isinstance(imax, bool) or not isinstance(imax, int) or not 1 <= imax <= 60:
        raise RuleError(f"imax must be an integer in [1, 60], got {imax!r}")
    psi = rule.psi_generic if rule.psi_generic is not None else rule.psi
    if not symbolic_a:
        psi = psi.xreplace({A: rule.a})
    ctx = _Context(rule, force_numeric)
    mu: dict = {i: {} for i in range(1, imax + 1)}
    with mpmath.workdps(DPS):
        for t in _split(psi):
            if t.ky == 0:
                continue  # label-free: no drift
            label = ctx.label(t.ky, imax)
            student = ctx.student_side(t, imax - 1)
            coeff = Value.exact_(t.coeff)
            for i in range(1, imax + 1):
                if label[i].is_exact_zero or student[i - 1].is_exact_zero:
                    continue
                mu[i][t.mono] = mu[i].get(t.mono, ZERO) + coeff * label[i] * student[i - 1]
    terms = {i: {m: v for m, v in t.items() if not v.is_exact_zero} for i, t in mu.items()}
    exprs, errors = {}, {}
    for i, t in terms.items():
        exprs[i], errors[i] = _as_expr(t, symbolic_a)
    return Drift(exprs, errors, terms, tuple(sorted(ctx.notes)))


def drift_coefficients(rule: Rule, imax: int = 8, *, symbolic_a: bool = False) -> dict[int, sp.Expr]:
    """``mu_1 .. mu_imax`` as expressions in ``eta``, ``d`` (and ``a`` if ``symbolic_a``).

    Exact when every Hermite coefficient involved is; otherwise the numeric coefficients are
    floats, and :func:`drift_expansion` gives their error bounds.

    Parameters
    ----------
    rule : Rule
        From :func:`theory.rules.make_rule`.
    imax : int
        The largest index ``i``.
    symbolic_a : bool
        Keep the second layer ``a`` as a symbol instead of the rule's value.

    Returns
    -------
    dict
        ``{i: mu_i}`` for ``i = 1 .. imax``, SymPy expressions (a polynomial in ``eta`` and ``d``
        with integer powers; exact zeros from parity and degree are exact).

    Raises
    ------
    RuleError
        When a Hermite coefficient the drift needs is not certified finite.

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> mu = drift_coefficients(make_rule("alternating", "He3", "He3"), 4)
    >>> mu[2], mu[3]
    (324*eta, 3)
    >>> drift_coefficients(make_rule("online", "He3", "He3"), 3)
    {1: 0, 2: 0, 3: 3}
    >>> drift_coefficients(make_rule("online", "sign", "sign"), 3)   # Stein: mu_i = i u_i(sign)^2
    {1: 2/pi, 2: 0, 3: 1/(6*pi)}
    """
    return drift_expansion(rule, imax, symbolic_a=symbolic_a).mu


def drift_polynomial(rule: Rule, imax: int = 8, *, symbolic_a: bool = False) -> sp.Expr:
    """``(1 - m^2) sum_{i <= imax} i! mu_i m^(i-1)`` in the overlap ``m`` (symbol :data:`M`)."""
    mu = drift_coefficients(rule, imax, symbolic_a=symbolic_a)
    return sp.expand((1 - M**2) * sum(sp.factorial(i) * mu[i] * M ** (i - 1) for i in mu))


def label_moments(rule: Rule, nmax: int) -> list[sp.Expr]:
    """Exact ``E[y^n]`` for ``n = 0..nmax`` (``y = sigma_*(u) + zeta``, ``u ~ N(0,1)``)."""
    return [exact_coefficients(conditional_power(rule.target, n), 0)[0] if n else sp.Integer(1)
            for n in range(nmax + 1)]


# ---------------------------------------------------------------------------
# moments of psi
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Moment:
    """``E[psi_full^power]`` at ``m = 0``: exact, numeric with an error bound, or not finite.

    ``expr`` is ``oo`` when the moment is infinite or could not be certified finite, with the
    reason in ``reason``; ``error`` bounds ``|E[psi^p] - expr|`` for ``eta, d > 0``.
    """

    power: int
    expr: sp.Expr
    error: sp.Expr
    terms: dict
    finite: bool
    reason: str = ""

    @property
    def is_exact(self) -> bool:
        return self.finite and all(v.is_exact for v in self.terms.values())


def psi_moment_expansion(rule: Rule, power: int, *, symbolic_a: bool = False,
                         force_numeric: bool = False) -> Moment:
    """``E[psi_full(y, z)^power]`` at overlap ``m = 0`` (``y`` independent of ``z``), with its error bound.

    ``psi^p = sum y^k a^g eta^e d^f z^n core(z)`` gives ``E[psi^p] = sum E[y^k] E[z^n core]``.

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> m = psi_moment_expansion(make_rule("online", "He3", "sign"), 2)
    >>> m.finite, m.expr
    (False, oo)
    """
    if isinstance(power, bool) or not isinstance(power, int) or not 1 <= power <= 8:
        raise RuleError(f"power must be an integer in [1, 8], got {power!r}")
    psi = rule.psi_full_generic if rule.psi_full_generic is not None else rule.psi_full
    if not symbolic_a:
        psi = psi.xreplace({A: rule.a})
    base = _split(psi)

    def infinite(reason):
        return Moment(power, sp.oo, sp.Integer(0), {}, False, reason)

    if power >= 2 and rule.distributional:
        return infinite(f"E[psi^{power}] is infinite: " + rule.singularity_note())
    ctx = _Context(rule, force_numeric)
    kmax_y = max((t.ky for t in base), default=0) * power
    if kmax_y > 2:
        why = _l1_reason(rule.target.expr ** kmax_y, 0)
        if why is not None:
            return infinite(f"E[psi^{power}] is infinite or not certified finite: it needs E[y^{kmax_y}] "
                            f"(target {rule.target.name!r}; integrability test: {why})")
    if not rule.distributional:
        for t in base:
            f = Z**t.nz * ctx.function_of(t)
            why = _l1_reason(f**power, 0)
            if why is not None:
                return infinite(f"E[psi^{power}] is infinite or not certified finite: it needs E[|{f}|^{power}] "
                                f"(integrability test: {why})")
    terms = base
    for _ in range(power - 1):
        terms = _multiply(terms, base)
    total: dict = {}
    with mpmath.workdps(DPS):
        for t in terms:
            ey = ctx.label(t.ky, 0)[0]
            if ey.is_exact_zero:
                continue
            ez = ctx.student_side(t, 0)[0]
            if ez.is_exact_zero:
                continue
            total[t.mono] = total.get(t.mono, ZERO) + Value.exact_(t.coeff) * ey * ez
    total = {m: v for m, v in total.items() if not v.is_exact_zero}
    expr, error = _as_expr(total, symbolic_a)
    return Moment(power, expr, error, total, True, "")


def psi_moment(rule: Rule, power: int, *, symbolic_a: bool = False) -> sp.Expr:
    """``E[psi_full(y, z)^power]`` at overlap ``m = 0`` (``y`` independent of ``z``).

    Exact when the inputs are; numeric coefficients are floats (bounds in
    :func:`psi_moment_expansion`); ``oo`` when the moment is infinite (or not certified finite).

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> psi_moment(make_rule("online", "h3", "h3"), 4)  # E[y^4] E[s'^4] = (3348/36) * (81*60/36)
    12555
    """
    return psi_moment_expansion(rule, power, symbolic_a=symbolic_a).expr


def psi_second_moment(rule: Rule, *, symbolic_a: bool = False) -> sp.Expr:
    """``E[psi_full(y, z)^2]`` at overlap ``m = 0`` (``y`` independent of ``z``).

    This is the normalisation cost that the step size has to balance (docs/theory.md, section 7).
    It keeps the label-free part of ``psi``, which adds noise although no drift.  ``oo`` when
    ``psi`` contains a Dirac delta (a student with a jump) or a moment it needs diverges
    (e.g. ``E[y^4]`` for alternating SGD with target ``exp(z**2/5)``).

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> psi_second_moment(make_rule("online", "He3", "He3"))
    108
    """
    return psi_moment(rule, 2, symbolic_a=symbolic_a)
