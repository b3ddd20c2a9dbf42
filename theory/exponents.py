"""Information, generative and power exponents of a link, each decided soundly or left open.

Definitions (``z ~ N(0, 1)``, ``y = sigma_*(z) + zeta``, ``zeta ~ N(0, s^2)``):

* information exponent ``IE = min{k >= 1 : u_k(sigma_*) != 0}`` (label noise does not
  change it);
* power exponents ``p_j = IE(E[y^j | z])``: the exponents reachable with the label
  transformation ``T(y) = y^j``.  Without noise ``p_j = IE(sigma_*^j)``; with noise
  ``E[y^j | z] = sum_{l even} C(j, l) s^l (l-1)!! sigma_*^(j-l)``;
* generative exponent ``GE = min{k >= 1 : E_y[(E[He_k(z) | y])^2] > 0}``, the smallest
  information exponent of any ``T(y)`` in ``L^2``.  It does not depend on label noise
  (see :mod:`theory._ge_proofs`), so it is decided for the noiseless labels.

Every exponent is an :class:`Exponent` with a ``status``:

``exact``
    decided by exact arithmetic and proofs;
``certified``
    decided, with a step that rests on a rigorous floating-point enclosure (interval
    arithmetic, :mod:`theory._interval`; its one assumption is the stated accuracy of the
    elementary functions);
``undecided``
    ``value`` is ``None`` and ``lower <= exponent <= upper`` is all that is proven
    (``upper`` ``None``: no witness up to ``searched_to``); numeric estimates may be attached
    as ``evidence``, labelled as estimates;
``none``
    provably no exponent (a constant link: ``y`` is independent of ``z``).

How an information exponent is decided: scan ``u_1, u_2, ...``; a coefficient is *proven zero*
only when exact (or forbidden by parity), *proven non-zero* when exact or when its rigorous
enclosure excludes 0.  ``lower`` is the first index not proven zero, ``upper`` the first proven
non-zero.  Polynomials are scanned to their degree, one coefficient at a time, stopping at the
first non-zero one (no expansion to the full degree of ``E[y^j|z]``).

How the generative exponent is decided:

* **lower bound** -- ``GE >= 1``; indices ``k`` with ``E[He_k | y] = 0`` proven: odd ``k`` for
  even links (parity), ``k`` such that ``y`` is a function of ``r_k = He_{k-1} phi`` (an
  identity, :func:`theory._ge_proofs.function_of_rk`), after peeling strictly monotone
  layers (:func:`theory._ge_proofs.strip_injective`, which preserves ``sigma(y)``);
* **upper bound** -- witnesses ``T(y)`` with ``E[T(y) He_k(z)] != 0`` proven: ``T(y) = y^j``
  (the ``upper`` of each power exponent, hence ``GE <= IE`` and ``GE <= min_j p_j``), the
  same for the reduced link, and level-set indicators ``T(y) = 1{y <= c}`` certified by
  interval arithmetic (:func:`theory._ge_proofs.certify_level_witness`).

When the bounds meet the exponent is decided; otherwise it is undecided with both bounds and
the numeric estimates of ``lambda_k`` (:mod:`theory._numeric_ge`) as evidence.

Size: about 700 lines, one concept (deciding the exponents, with their result types).
:func:`generative_exponent` is 83 lines: its steps (lower bound, the power witnesses, the reduced
link, the level-set witnesses, the numeric evidence) share the running best bounds through three
small closures, and read in the order the module docstring gives them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import sympy as sp

from theory.display import RichDisplay
from theory.errors import ExpansionError
from theory.hepoly import monomial_to_he
from theory.hermite import HermiteExpansion, KMAX_LIMIT, hermite_expansion, is_exactly_zero
from theory._text import expr_text, short_text
from theory.links import Z, Link, parse_link
from theory._validate import as_int

__all__ = [
    "Exponent",
    "information_exponent",
    "power_exponents",
    "conditional_power",
    "generative_exponent",
    "LinkProfile",
    "profile",
    "POLY_DEGREE_LIMIT",
]

#: Internal limit: largest polynomial degree (of a link or of ``E[y^j|z]``) whose exponents are
#: computed exactly.  Beyond it exponents are refused with a message naming this limit.
POLY_DEGREE_LIMIT = 20_000
#: Largest number of power exponents ``p_1 .. p_powers`` computed on request.
MAX_POWERS = 12
#: Powers ``T(y) = y^j`` tried as generative-exponent witnesses for polynomial links.
POLYNOMIAL_GE_POWERS = 6

EXACT, CERTIFIED, UNDECIDED, NONE = "exact", "certified", "undecided", "none"

#: What a ``null`` exponent means in JSON output.
NULL_MEANING = ("null: no value decided -- see the matching *_status: 'none' means provably no "
                "exponent (constant link), 'undecided' means only the bounds *_lower <= exponent <= "
                "*_upper are proven (upper null: no witness up to searched_to)")


@dataclass(frozen=True)
class Exponent(RichDisplay):
    """An exponent with how it was decided (see the module docstring for ``status``).

    ``value`` is the exponent when ``status`` is ``exact`` or ``certified``, else ``None``;
    ``lower``/``upper`` are proven bounds (equal to ``value`` when decided; ``upper`` ``None``
    means no witness up to ``searched_to``); ``only_even`` says that odd indices are proven
    impossible; ``evidence`` holds ``(k, estimate, spread)`` numeric estimates (not bounds) of
    ``lambda_k`` for an undecided generative exponent.  ``exact`` is true for ``exact`` and
    ``none``.  ``tolerance`` is kept for compatibility and is ``None``: no decision rests on a
    tolerance.
    """

    value: int | None
    exact: bool
    searched_to: int
    reason: str = ""
    tolerance: float | None = None
    lower: int | None = None
    upper: int | None = None
    status: str = EXACT
    evidence: tuple = ()
    only_even: bool = False

    @classmethod
    def decided(cls, k: int, exact: bool, searched_to: int, reason: str, only_even: bool = False) -> "Exponent":
        return cls(k, exact, searched_to, reason, None, k, k, EXACT if exact else CERTIFIED, (), only_even)

    @classmethod
    def none(cls, reason: str) -> "Exponent":
        return cls(None, True, 0, reason, None, None, None, NONE)

    @classmethod
    def open(cls, lower: int, upper: int | None, searched_to: int, reason: str, evidence=(),
             only_even: bool = False) -> "Exponent":
        return cls(None, False, searched_to, reason, None, lower, upper, UNDECIDED, tuple(evidence),
                   only_even)

    @property
    def is_decided(self) -> bool:
        return self.status != UNDECIDED

    def __str__(self) -> str:
        if self.status == NONE:
            return "none"
        if self.status == EXACT:
            return f"{self.value}"
        if self.status == CERTIFIED:
            return f"{self.value} (certified)"
        even = ", even" if self.only_even else ""
        if self.upper is None:
            if self.lower is not None and self.lower > self.searched_to:
                return f"none up to {self.searched_to}"
            return f"undecided: >= {self.lower}{even} (no index proven up to {self.searched_to})"
        return f"undecided: {self.lower} <= . <= {self.upper}{even}"

    def to_dict(self) -> dict:
        """JSON-ready description: value, status, proven bounds, reason, evidence (estimates)."""
        return {"value": self.value, "status": self.status, "lower": self.lower, "upper": self.upper,
                "searched_to": self.searched_to, "only_even": self.only_even, "reason": self.reason,
                "evidence": [{"k": k, "lambda_estimate": _finite(v), "estimate_spread": _finite(e),
                              "kind": "numeric estimate, not a bound"} for k, v, e in self.evidence]}


def _finite(x):
    return x if isinstance(x, (int, float)) and math.isfinite(x) else None


def _as_link(link) -> Link:
    if isinstance(link, Link):
        return link
    if isinstance(link, str):
        return parse_link(link)
    if isinstance(link, sp.Expr):
        return Link(link, str(link))
    raise ExpansionError(f"expected a link, got {type(link).__name__}")


# ---------------------------------------------------------------------------
# constants
# ---------------------------------------------------------------------------
def _constant_value(expr: sp.Expr):
    """The constant value of ``expr`` if proven constant (everywhere or almost everywhere), else ``None``."""
    from theory._ge_proofs import proven_constant
    from theory.hermite import NotInClass, piecewise_branches

    if Z not in expr.free_symbols:
        return expr
    poly = _poly_form(expr)
    if poly is not None:
        return expr if poly.degree() <= 0 else None
    value = proven_constant(expr)
    if value is not None:
        return value
    if expr.has(sp.Abs, sp.sign, sp.Max, sp.Min, sp.Heaviside):
        try:
            branches = [b for b, _l, _r in piecewise_branches(expr)]
        except (NotInClass, TypeError, ValueError, NotImplementedError, AttributeError, ArithmeticError,
                sp.PolynomialError, RecursionError):
            return None
        if all(Z not in b.free_symbols for b in branches) and all(
                is_exactly_zero(sp.expand(b - branches[0])) for b in branches[1:]):
            return branches[0]
    return None


# ---------------------------------------------------------------------------
# information exponents
# ---------------------------------------------------------------------------
def _poly_form(expr):
    """``sympy.Poly`` in ``z`` with numeric coefficients, or ``None``."""
    if isinstance(expr, sp.Poly):
        return expr
    if not expr.is_polynomial(Z):
        return None
    poly = sp.Poly(expr, Z)
    if any(c.free_symbols for c in poly.coeffs()):
        return None
    return poly


def _poly_ie(poly: sp.Poly) -> Exponent:
    """Exact IE of a polynomial: ``u_k = sum_n c_n T(k, j)``, ``n = k + 2j``, from ``k = 1`` up.

    ``T(k, j) = n! / (k! 2^j j!) = C(n, k) (2j-1)!!`` is the coefficient of ``He_k`` in ``z^n``;
    ``T(k, j+1) = T(k, j) (k+2j+1)(k+2j+2) / (2j+2)`` (an exact integer division), so each ``u_k``
    costs ``O(degree)`` integer operations and the scan stops at the first non-zero ``u_k``.
    """
    deg = poly.degree()
    if deg > POLY_DEGREE_LIMIT:
        raise ExpansionError(
            f"internal limit: exact exponents are computed for polynomials of degree up to "
            f"{POLY_DEGREE_LIMIT}; this one (possibly E[y^j|z] for a power j) has degree {deg}")
    coeffs = dict((m[0], c) for m, c in zip(poly.monoms(), poly.coeffs()))
    rational = all(c.is_Rational for c in coeffs.values())
    if rational:
        den = 1
        for c in coeffs.values():
            den = den * int(c.q) // math.gcd(den, int(c.q))
        ints = {n: int(c.p) * (den // int(c.q)) for n, c in coeffs.items()}
    sparse = len(coeffs) * 20 < deg           # few terms: T(k, j) directly from factorials
    for k in range(1, deg + 1):
        if rational and sparse:
            total = sum(c * monomial_to_he(n, k) for n, c in ints.items() if n >= k and (n - k) % 2 == 0)
            if total == 0:
                continue
            u = sp.Rational(total, den)
        elif rational:
            total, T, n = 0, 1, k
            while n <= deg:
                c = ints.get(n)
                if c:
                    total += c * T
                j = (n - k) // 2
                T = T * (n + 1) * (n + 2) // (2 * j + 2)
                n += 2
            if total == 0:
                continue
            u = sp.Rational(total, den)
        else:
            ns = [n for n in coeffs if n >= k and (n - k) % 2 == 0]
            if not ns:
                continue
            u = sp.Add(*[coeffs[n] * monomial_to_he(n, k) for n in ns])
            if is_exactly_zero(u):
                continue
        before = f", u_1..u_{k - 1} = 0" if k > 2 else (", u_1 = 0" if k == 2 else "")
        return Exponent.decided(k, True, deg, f"u_{k} = {_short(u)} != 0{before}")
    return Exponent.none("constant: every u_k with k >= 1 vanishes")


def _short(v) -> str:
    """A short text for an exact value (its 15-digit value when the exact form is long)."""
    if isinstance(v, sp.Basic) and sp.count_ops(v) > 30:
        return expr_text(sp.N(v, 15))
    text = expr_text(v)
    return text if len(text) <= 80 else expr_text(sp.N(v, 15))


def _ie_of_expr(expr, kmax: int, expansion: HermiteExpansion | None = None) -> Exponent:
    poly = _poly_form(expr) if not isinstance(expr, sp.Poly) else expr
    if poly is not None:
        if poly.degree() <= 0:
            return Exponent.none("constant: every u_k with k >= 1 vanishes")
        return _poly_ie(poly)
    if Z not in expr.free_symbols:
        return Exponent.none("constant: every u_k with k >= 1 vanishes")
    if _constant_value(expr) is not None:
        return Exponent.none("constant (proven): every u_k with k >= 1 vanishes")
    if expansion is None or expansion.kmax < kmax:
        first_try = min(kmax, _FIRST_SCAN)
        if first_try < kmax:          # most exponents are small: look at a few coefficients first
            result = _scan_ie(hermite_expansion(expr, first_try), first_try, kmax)
            if result.is_decided:
                return result
        expansion = hermite_expansion(expr, kmax)
    return _scan_ie(expansion, kmax, kmax)


_FIRST_SCAN = 8


def _scan_ie(expansion: HermiteExpansion, upto: int, kmax: int) -> Exponent:
    """IE from ``u_1..u_upto``: first index not proven zero, first proven non-zero."""
    lower, first = 1, None
    for c in expansion.coefficients[1:upto + 1]:
        if c.proven_zero and lower == c.k:
            lower = c.k + 1
            continue
        if c.proven_nonzero:
            first = c
            break
    if first is not None and first.k == lower:
        k = first.k
        before = f", u_1..u_{k - 1} = 0" if k > 2 else (", u_1 = 0" if k == 2 else "")
        if first.is_exact:
            return Exponent.decided(k, True, kmax, f"u_{k} = {_short(first.exact)} != 0{before}")
        return Exponent.decided(k, False, kmax, f"u_{k} = {first.value:.6g} +- {first.error:.1g} "
                                f"(rigorous enclosure) != 0{before}")
    unknown = [c for c in expansion.coefficients[lower:(first.k if first else upto + 1)]
               if not c.proven_zero]
    why = ", ".join(f"u_{c.k} = {c.value:.3g} +- {c.error:.1g}" + ("" if c.rigorous else " (estimate)")
                    for c in unknown[:4])
    if first is None:
        if lower > kmax:
            return Exponent.open(kmax + 1, None, kmax, f"u_1..u_{kmax} = 0 exactly; not proven constant")
        return Exponent.open(lower, None, kmax, f"no u_k (k <= {kmax}) proven non-zero; undecided: {why}")
    return Exponent.open(lower, first.k, kmax,
                         f"u_{first.k} != 0 proven; not decided whether {why} vanish")


def information_exponent(link, kmax: int = 10) -> Exponent:
    """Information exponent of a link (exact, certified by a rigorous enclosure, or undecided).

    For polynomial links the search runs to the degree, so the answer is exact whatever
    ``kmax`` is.

    Parameters
    ----------
    link : str, sympy.Expr or Link
        A registered name (``"He3"``, ``"relu"``), an expression in ``z`` (parsed by
        :func:`~theory.links.parse_link`), a SymPy expression in ``Z`` or a :class:`Link`.
    kmax : int, optional
        Non-polynomial links: coefficients ``u_1 .. u_kmax`` are scanned.

    Returns
    -------
    Exponent
        ``value`` the exponent when ``status`` is ``exact`` or ``certified``; ``none`` for a
        constant link; ``undecided`` with proven ``lower``/``upper`` otherwise.

    Examples
    --------
    >>> information_exponent("He3").value
    3
    >>> information_exponent("relu").value
    1
    >>> str(information_exponent("5")), str(information_exponent("tanh"))
    ('none', '1 (certified)')
    """
    link = _as_link(link)
    return _ie_of_expr(link.expr, kmax)


def _noise_terms(s, j):
    """``[(coefficient, power of f)]`` of ``E[(f + s xi)^j | z] = sum_{l even} C(j, l) s^l (l-1)!! f^(j-l)``."""
    out = []
    for l in range(0, j + 1, 2):
        moment = sp.factorial2(l - 1) if l else 1
        coef = sp.binomial(j, l) * s**l * moment
        if coef != 0:
            out.append((coef, j - l))
    return out


def conditional_power(link: Link, j: int) -> sp.Expr:
    """``E[y^j | z]`` for ``y = sigma_*(z) + zeta``, ``zeta ~ N(0, s^2)``, exactly.

    Parameters
    ----------
    link : Link
        The link, with its noise ``s``.
    j : int
        The power, ``j >= 1``.

    Returns
    -------
    sympy.Expr
        ``sum_{l even} C(j, l) s^l (l-1)!! sigma_*^(j-l)``.

    Examples
    --------
    >>> conditional_power(parse_link("z", noise=1), 2)
    z**2 + 1
    """
    f = link.expr
    poly = _poly_form(f)
    if poly is not None:
        return _conditional_power_poly(poly, link.noise, j).as_expr()
    return sp.Add(*[c * f**n for c, n in _noise_terms(link.noise, j)])


def _conditional_power_poly(poly: sp.Poly, s, j: int) -> sp.Poly:
    total = sp.Poly(0, Z)
    for c, n in _noise_terms(s, j):
        total = total + poly**n * c
    return total


def _power_ie(link: Link, j: int, kmax: int) -> Exponent:
    poly = _poly_form(link.expr)
    if poly is not None:
        deg = poly.degree() * j
        if deg > POLY_DEGREE_LIMIT:
            raise ExpansionError(
                f"internal limit: E[y^{j}|z] has degree {deg} > {POLY_DEGREE_LIMIT}, the largest "
                f"polynomial degree handled exactly (ask for fewer powers)")
        return _ie_of_expr(_conditional_power_poly(poly, link.noise, j), kmax)
    return _ie_of_expr(conditional_power(link, j), kmax)


def power_exponents(link, powers: int = 3, kmax: int = 10) -> dict[int, Exponent]:
    """``p_j = IE(E[y^j | z])`` for ``j = 1..powers``.

    Parameters
    ----------
    link : str, sympy.Expr or Link
        A registered name (``"He3"``, ``"relu"``), an expression in ``z`` (parsed by
        :func:`~theory.links.parse_link`), a SymPy expression in ``Z`` or a :class:`Link`.
    powers : int, optional
        The largest ``j``, in ``[1, MAX_POWERS]``.
    kmax : int, optional
        As in :func:`information_exponent`, for each ``E[y^j | z]``.

    Returns
    -------
    dict of int to Exponent
        ``{j: p_j}`` for ``j = 1 .. powers``.

    Examples
    --------
    >>> {j: e.value for j, e in power_exponents("He3", 3).items()}
    {1: 3, 2: 2, 3: 1}
    """
    link = _as_link(link)
    powers = as_int(powers, "powers", lo=1, hi=MAX_POWERS, error=ExpansionError)
    return {j: _power_ie(link, j, kmax) for j in range(1, powers + 1)}


# ---------------------------------------------------------------------------
# generative exponent
# ---------------------------------------------------------------------------
def _lower_reason(lower: int, vanish: dict, steps) -> str:
    if lower == 1:
        return "GE >= 1 by definition"
    parts = []
    odd = [k for k in range(1, lower) if k % 2 and vanish.get(k) == "the link is even"]
    if odd:
        parts.append("sigma_* is even, so E[He_k(z)|y] = 0 for odd k")
    for k in range(1, lower):
        if k not in odd:
            parts.append(f"k = {k}: {vanish[k]}")
    text = "; ".join(parts)
    if steps and any("r_" in vanish.get(k, "") or "phi(z)" in vanish.get(k, "") for k in range(1, lower)):
        text += f" (after peeling strictly monotone layers: {'; '.join(steps)})"
    return f"{text}: GE >= {lower}"


def generative_exponent(link, kmax: int = 10, powers: int = 6,
                        _powers_cache: dict[int, Exponent] | None = None) -> Exponent:
    """Generative exponent: exact, certified, or undecided with proven bounds (never a guess).

    Decided for the noiseless labels (the generative exponent does not depend on label noise);
    ``_powers_cache`` may hold noiseless power exponents already computed.

    Parameters
    ----------
    link : str, sympy.Expr or Link
        A registered name (``"He3"``, ``"relu"``), an expression in ``z`` (parsed by
        :func:`~theory.links.parse_link`), a SymPy expression in ``Z`` or a :class:`Link`.
    kmax : int, optional
        Indices searched for the lower bound and level-set witnesses.
    powers : int, optional
        Witnesses ``T(y) = y^j`` tried, ``j = 1 .. powers``.

    Returns
    -------
    Exponent
        Decided (``exact`` or ``certified``) when the proven bounds meet, ``none`` for a constant
        link, else ``undecided`` with both bounds and numeric estimates of ``lambda_k`` as
        ``evidence``.

    Examples
    --------
    >>> generative_exponent("He3").value, generative_exponent("He4").value
    (1, 2)
    >>> generative_exponent("He3").reason
    'GE >= 1 by definition; GE <= 1: u_1(E[y^3|z]) != 0 (T(y) = y^3)'
    >>> g = generative_exponent("z**4*exp(-2*z**2)")
    >>> g.value, g.status
    (4, 'exact')
    """
    from theory._ge_proofs import certify_level_witness, lambda_estimates, strip_injective, vanishing_indices

    link = _as_link(link)
    f = link.expr
    if _constant_value(f) is not None:
        return Exponent.none("constant link: y is independent of z")
    noiseless = Link(f, link.name)
    cache = dict(_powers_cache or {})
    core, steps = strip_injective(f)
    vanish = vanishing_indices(f, core, kmax)
    lower = next((k for k in range(1, kmax + 2) if k not in vanish), kmax + 1)
    only_even = all(k in vanish for k in range(1, kmax + 1, 2))
    witnesses: list = []       # (k, exact, text)

    def best():
        return min((w[0] for w in witnesses), default=None)

    def best_is_exact():
        return any(ex for k, ex, _t in witnesses if k == best())

    def add_power(e: Exponent, j: int, of: str):
        if e.upper is None:
            return
        if of == "y":
            cond = "y" if j == 1 else f"E[y^{j}|z]"
            text = f"u_{e.upper}({cond}) != 0 (T(y) = {'y' if j == 1 else f'y^{j}'})"
        else:
            power = "" if j == 1 else f"^{j}"
            text = (f"u_{e.upper}(h{power}) != 0 for h = {of}, a function of y (y is a strictly "
                    f"monotone function of h): T(y) = h(y){power}")
        witnesses.append((e.upper, e.status == EXACT and e.upper == e.lower, text))

    poly = _poly_form(f) is not None
    n_pow = max(powers, POLYNOMIAL_GE_POWERS) if poly else powers
    for j in range(1, n_pow + 1):
        if j not in cache:
            cache[j] = _power_ie(noiseless, j, kmax)
        add_power(cache[j], j, "y")
        if best() == lower:
            break
    if core != f and (best() is None or best() > lower or not best_is_exact()):
        core_link = Link(core, short_text(core))
        cpoly = _poly_form(core) is not None
        for j in range(1, (max(powers, POLYNOMIAL_GE_POWERS) if cpoly else powers) + 1):
            add_power(_power_ie(core_link, j, kmax), j, short_text(core))
            if best() == lower and best_is_exact():
                break
    if best() is None or best() > lower:
        top = min(best() - 1 if best() else kmax, kmax)
        ks = [k for k in range(lower, top + 1) if k not in vanish]
        w = certify_level_witness(core, ks) if ks else None
        if w is not None:
            on = "y" if core == f else f"the reduced link {short_text(core)} (a bijective function of y)"
            witnesses.append((w.k, False, f"{w.describe()}, computed on {on}"))
    k_up = best()
    for k, _ex, text in witnesses:
        if k in vanish:                       # a proof and a witness disagree: a bug, never an answer
            raise RuntimeError(f"internal inconsistency for {short_text(f)}: E[He_{k}|y] = 0 is proven "
                               f"({vanish[k]}) but {text}")
    note = "" if link.noise == 0 else " (decided for the noiseless labels: GE does not depend on label noise)"
    lower_reason = _lower_reason(lower, vanish, steps)
    if k_up is not None and k_up == lower:
        exact = any(ex for k, ex, _t in witnesses if k == k_up)
        text = next(t for k, ex, t in sorted(witnesses, key=lambda w: (w[0], not w[1])) if k == k_up)
        return Exponent.decided(k_up, exact, kmax, f"{lower_reason}; GE <= {k_up}: {text}{note}", only_even)
    top = min((k_up - 1) if k_up else kmax, kmax)
    evidence = ()
    if top >= lower:
        est = lambda_estimates(core, top)
        if est is not None:
            evidence = tuple((k, v, e) for k, v, e in est if k >= lower and k not in vanish)
    if k_up is None:
        upper_text = f"no witness T(y) proven for k <= {kmax}"
    else:
        upper_text = "GE <= " + str(k_up) + ": " + next(t for k, _e, t in witnesses if k == k_up)
    open_ks = [k for k in range(lower, (k_up or kmax + 1)) if k not in vanish]
    ev_text = ""
    if evidence:
        ev_text = "; numeric estimates (not bounds): " + ", ".join(
            f"lambda_{k} ~ {v:.3g} (spread {e:.1g})" for k, v, e in evidence[:4])
    reason = (f"{lower_reason}; {upper_text}; not decided whether E[He_k|y] = 0 for k in "
              f"{open_ks}{ev_text}{note}")
    return Exponent.open(lower, k_up, kmax, reason, evidence, only_even)


# ---------------------------------------------------------------------------
# profile
# ---------------------------------------------------------------------------
_CONVENTIONS = {
    "basis": "probabilists' Hermite He_k, u_k = E[f(z) He_k(z)]/k!, z ~ N(0,1); normalised basis "
             "h_k = He_k/sqrt(k!) has coefficients sqrt(k!) u_k",
    "exponent_status": "exact: decided by exact arithmetic and proofs; certified: decided with a "
                       "rigorous floating-point enclosure (interval arithmetic; assumes numpy/scipy "
                       "elementary functions accurate to 8 ulps); undecided: only the bounds are "
                       "proven; none: provably no exponent (constant link)",
    "null": NULL_MEANING,
    "hermite_error": "numeric coefficients: |value - u_k| <= error; error_is_bound false means the "
                     "error is a quadrature estimate, not a proven bound; null values are not finite "
                     "in double precision",
    "noise": "label noise y = sigma_*(z) + s xi changes power exponents, not IE or GE",
}


def _exact_text(v) -> str | None:
    return None if v is None else expr_text(v)


@dataclass(frozen=True)
class LinkProfile(RichDisplay):
    """Hermite expansion and exponents of one link: what ``python -m theory exponents`` prints.

    In a notebook it displays as HTML (:meth:`_repr_html_`) and, once :mod:`theory.latex` is
    imported (importing :mod:`theory` does it), as typeset LaTeX through the renderer that module
    registers with :mod:`theory.display`; this module never imports the LaTeX layer.
    """

    link: Link
    expansion: HermiteExpansion
    information_exponent: Exponent
    generative_exponent: Exponent
    power_exponents: dict[int, Exponent] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready dictionary (strict JSON: no NaN/Infinity); conventions are stated in it."""
        ge, ie = self.generative_exponent, self.information_exponent
        return {
            "link": self.link.name,
            "expression": _exact_text(self.link.expr),
            "noise": float(self.link.noise),
            "basis": "He_k (probabilists'), u_k = E[f He_k]/k!",
            "conventions": dict(_CONVENTIONS),
            "information_exponent": ie.value,
            "generative_exponent": ge.value,
            "information_exponent_exact": ie.exact,
            "generative_exponent_exact": ge.exact,
            "information_exponent_status": ie.status,
            "generative_exponent_status": ge.status,
            "information_exponent_lower": ie.lower,
            "information_exponent_upper": ie.upper,
            "generative_exponent_lower": ge.lower,
            "generative_exponent_upper": ge.upper,
            "generative_exponent_reason": ge.reason,
            "information_exponent_detail": ie.to_dict(),
            "generative_exponent_detail": ge.to_dict(),
            "hermite": [
                {"k": c.k, "exact": _exact_text(c.exact), "value": _finite(c.value),
                 "error": _finite(c.error), "method": c.method, "error_is_bound": c.rigorous}
                for c in self.expansion.coefficients
            ],
            "power_exponents": {str(j): e.value for j, e in self.power_exponents.items()},
            "power_exponents_detail": {str(j): e.to_dict() for j, e in self.power_exponents.items()},
        }

    def table(self) -> str:
        """A plain-text report."""
        lines = [f"link      {self.link.name}  =  {_exact_text(self.link.expr)}",
                 f"noise     s = {self.link.noise}",
                 "basis     He_k (probabilists'), u_k = E[f(z) He_k(z)] / k!, z ~ N(0,1)", "",
                 f"{'k':>3}  {'u_k (exact)':<40} {'u_k (numeric)':>22}"]
        for c in self.expansion.coefficients:
            exact = _exact_text(c.exact) if c.exact is not None else "-"
            num = f"{c.value:.12g}" + (f" +- {c.error:.1g}" if c.exact is None else "")
            if c.exact is None and not c.rigorous:
                num += " (estimate)"
            lines.append(f"{c.k:>3}  {exact:<40} {num:>22}")
        lines += ["", f"information exponent  {self.information_exponent}   ({self.information_exponent.reason})",
                  f"generative exponent   {self.generative_exponent}   ({self.generative_exponent.reason})"]
        if self.power_exponents:
            lines.append("power exponents       " + ", ".join(
                f"p_{j} = {e}" for j, e in self.power_exponents.items()) + "   (p_j = IE(E[y^j|z]))")
        lines.append("status: exact = exact arithmetic and proofs; certified = rigorous interval enclosure; "
                     "undecided = only the bounds shown are proven")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def _repr_html_(self) -> str:
        from html import escape

        rows = "".join(
            f"<tr><td>{c.k}</td><td>{escape(_exact_text(c.exact)) if c.exact is not None else '&ndash;'}</td>"
            f"<td>{c.value:.10g}</td></tr>" for c in self.expansion.coefficients)
        powers = ", ".join(f"p<sub>{j}</sub> = {escape(str(e))}" for j, e in self.power_exponents.items())
        return (f"<p><b>{escape(self.link.name)}</b> = {escape(_exact_text(self.link.expr))}, noise s = "
                f"{self.link.noise}; IE = {escape(str(self.information_exponent))}, "
                f"GE = {escape(str(self.generative_exponent))}; {powers}</p>"
                f"<table><tr><th>k</th><th>u<sub>k</sub> exact (He<sub>k</sub> basis)</th><th>numeric</th></tr>"
                f"{rows}</table>")



def profile(link, *, kmax: int = 10, powers: int = 3, noise=None, progress=None) -> LinkProfile:
    """Hermite expansion, information, generative and power exponents of a link.

    Parameters
    ----------
    link : str or Link
        A registered name or an expression in ``z``.
    kmax : int
        Coefficients ``u_0 .. u_kmax`` are listed; exponent searches go at least this far.
    powers : int
        Power exponents ``p_1 .. p_powers``.
    noise : number, optional
        Label-noise standard deviation (overrides the link's).
    progress : callable, optional
        Called with a short text before each stage (expansion, each power, the generative
        exponent), for callers that show progress on long requests (``kmax`` 200, 12 powers:
        a few seconds).

    Returns
    -------
    LinkProfile
        The expansion, the information, generative and power exponents.

    Examples
    --------
    >>> p = profile("He3", kmax=4)
    >>> p.information_exponent.value, p.generative_exponent.value
    (3, 1)
    >>> [p.power_exponents[j].value for j in (1, 2, 3)]
    [3, 2, 1]
    """
    link = _as_link(link)
    if noise is not None:
        link = link.with_noise(noise)
    kmax = as_int(kmax, "kmax", lo=1, hi=KMAX_LIMIT, error=ExpansionError)
    powers = as_int(powers, "powers", lo=1, hi=MAX_POWERS, error=ExpansionError)
    say = progress or (lambda _text: None)
    say(f"Hermite coefficients u_0..u_{kmax}")
    expansion = hermite_expansion(link, kmax)
    ie = _ie_of_expr(link.expr, kmax, expansion=expansion)
    pw = {1: ie}
    for j in range(2, powers + 1):
        say(f"power exponent p_{j} ({j}/{powers})")
        pw[j] = _power_ie(link, j, kmax)
    cache = pw if link.noise == 0 else {1: ie}
    say("generative exponent")
    ge = generative_exponent(link, kmax, powers=powers, _powers_cache=cache)
    return LinkProfile(link, expansion, ie, ge, pw)
