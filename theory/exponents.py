"""Information, generative and power exponents of a link.

Definitions (``z ~ N(0, 1)``, ``y = sigma_*(z) + zeta``, ``zeta ~ N(0, s^2)``):

* information exponent ``IE = min{k >= 1 : u_k(sigma_*) != 0}`` (label noise does not
  change it);
* power exponents ``p_j = IE(E[y^j | z])``: the exponents reachable with the label
  transformation ``T(y) = y^j``.  Without noise ``p_j = IE(sigma_*^j)``; with noise
  ``E[y^j | z] = sum_{l even} C(j, l) s^l (l-1)!! sigma_*^(j-l)``;
* generative exponent ``GE = min{k >= 1 : E_y[(E[He_k(z) | y])^2] > 0}``, the smallest
  information exponent of any ``T(y)`` in ``L^2``.

How the generative exponent is decided, exactly where possible:

* **upper bound** -- every witness ``T(y) = y^j`` with ``u_k(E[y^j|z]) != 0`` proves
  ``GE <= k``; in particular ``GE <= IE`` (``j = 1``) and ``GE <= min_j p_j``;
* **lower bound** -- ``GE >= 1`` always; if ``sigma_*`` is even (checked exactly:
  ``sigma_*(-z) == sigma_*(z)``) then ``z -> -z`` preserves the law of ``(z, y)`` and
  ``E[He_k(z) | y] = (-1)^k E[He_k(z) | y] = 0`` for odd ``k``: ``GE >= 2``;
* a constant link makes ``y`` independent of ``z``: no exponent.

When the bounds meet the answer is exact and the reason says which witness proves
it (for polynomial links they always meet within a few powers: non-even polynomials have
``GE = 1``, even non-constant ones ``GE = 2``).  Otherwise the conditional expectations
are computed numerically (:mod:`theory._numeric_ge`) with a stated tolerance.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from theory.errors import ExpansionError
from theory.hermite import HermiteExpansion, hermite_expansion, KMAX_LIMIT
from theory.links import Z, Link, parse_link

__all__ = [
    "Exponent",
    "information_exponent",
    "power_exponents",
    "conditional_power",
    "generative_exponent",
    "LinkProfile",
    "profile",
]

#: Relative tolerance under which a numeric Hermite coefficient counts as zero.
NUMERIC_ZERO_TOL = 1e-12


@dataclass(frozen=True)
class Exponent:
    """An exponent with how it was decided.

    ``value`` is ``None`` when no index up to ``searched_to`` qualifies ("none up to
    kmax"), or when the link is constant and there is provably none (``exact`` true).
    """

    value: int | None
    exact: bool
    searched_to: int
    reason: str = ""
    tolerance: float | None = None

    def __str__(self) -> str:
        if self.value is None:
            return "none" if self.exact else f"none up to {self.searched_to}"
        return f"{self.value}" + ("" if self.exact else " (numeric)")

    def to_json(self):
        return self.value


def _as_link(link) -> Link:
    if isinstance(link, Link):
        return link
    if isinstance(link, str):
        return parse_link(link)
    if isinstance(link, sp.Expr):
        return Link(link, str(link))
    raise ExpansionError(f"expected a link, got {type(link).__name__}")


def _search_bound(expr: sp.Expr, kmax: int) -> int:
    """How far to search: the degree for polynomials (exact answer), else ``kmax``."""
    if expr.is_polynomial(Z):
        return max(kmax, int(sp.Poly(expr, Z).degree()) if Z in expr.free_symbols else 0)
    return kmax


def _first_nonzero(expansion: HermiteExpansion, start: int = 1):
    for c in expansion.coefficients[start:]:
        if not c.is_zero(NUMERIC_ZERO_TOL):
            return c
    return None


def _ie_of_expr(expr: sp.Expr, kmax: int) -> Exponent:
    if Z not in expr.free_symbols:
        return Exponent(None, True, 0, "constant: every u_k with k >= 1 vanishes")
    bound = _search_bound(expr, kmax)
    if bound > KMAX_LIMIT:
        raise ExpansionError(f"degree {bound} exceeds the supported kmax {KMAX_LIMIT}")
    expansion = hermite_expansion(expr, bound)
    first = _first_nonzero(expansion)
    exact_all = expansion.is_exact
    poly = expr.is_polynomial(Z)
    if first is None:
        if poly or (exact_all and _is_constant_a_e(expr)):
            return Exponent(None, True, bound, "all u_k vanish for 1 <= k <= degree")
        return Exponent(None, False, bound, f"u_1..u_{bound} vanish" + ("" if exact_all else " numerically"),
                        None if exact_all else NUMERIC_ZERO_TOL)
    prefix_exact = all(c.is_exact for c in expansion.coefficients[1:first.k + 1])
    if prefix_exact:
        before = f", u_1..u_{first.k - 1} = 0" if first.k > 2 else (", u_1 = 0" if first.k == 2 else "")
        return Exponent(first.k, True, bound, f"u_{first.k} = {first.exact} != 0{before}")
    return Exponent(first.k, False, bound,
                    f"u_{first.k} = {first.value:.6g} +- {first.error:.1g}; earlier |u_k| <= tolerance",
                    NUMERIC_ZERO_TOL)


def _is_constant_a_e(expr: sp.Expr) -> bool:
    """``expr`` equals a constant except on a null set (e.g. ``sign(z)**2``)."""
    from theory.hermite import _NotInClass, _pieces

    try:
        values = {sp.simplify(branch) for branch, _left, _right in _pieces(expr)}
    except _NotInClass:
        return False
    return len(values) == 1 and Z not in next(iter(values)).free_symbols


def information_exponent(link, kmax: int = 10) -> Exponent:
    """Information exponent of a link: exact for exact coefficients, numeric otherwise.

    For polynomial links the search runs to the degree, so the answer is exact whatever
    ``kmax`` is.

    Examples
    --------
    >>> information_exponent("He3").value
    3
    >>> information_exponent("relu").value
    1
    >>> str(information_exponent("5"))
    'none'
    """
    link = _as_link(link)
    return _ie_of_expr(link.expr, kmax)


def conditional_power(link: Link, j: int) -> sp.Expr:
    """``E[y^j | z]`` for ``y = sigma_*(z) + zeta``, ``zeta ~ N(0, s^2)``, exactly.

    Examples
    --------
    >>> conditional_power(parse_link("z", noise=1), 2)
    z**2 + 1
    """
    s = link.noise
    f = link.expr
    total = sp.Integer(0)
    for l in range(0, j + 1, 2):
        moment = sp.factorial2(l - 1) if l else 1
        total += sp.binomial(j, l) * s**l * moment * f ** (j - l)
    return sp.expand(total) if f.is_polynomial(Z) else total


def power_exponents(link, powers: int = 3, kmax: int = 10) -> dict[int, Exponent]:
    """``p_j = IE(E[y^j | z])`` for ``j = 1..powers``.

    Examples
    --------
    >>> {j: e.value for j, e in power_exponents("He3", 3).items()}
    {1: 3, 2: 2, 3: 1}
    """
    link = _as_link(link)
    if isinstance(powers, bool) or not isinstance(powers, int) or not 1 <= powers <= 12:
        raise ExpansionError(f"powers must be an integer in [1, 12], got {powers!r}")
    return {j: _ie_of_expr(conditional_power(link, j), kmax) for j in range(1, powers + 1)}


def generative_exponent(link, kmax: int = 10, powers: int = 6,
                        _powers_cache: dict[int, Exponent] | None = None) -> Exponent:
    """Generative exponent, exact when symmetry and power witnesses meet, else numeric.

    Examples
    --------
    >>> generative_exponent("He3").value, generative_exponent("He4").value
    (1, 2)
    >>> generative_exponent("He3").reason
    'GE >= 1 by definition; GE <= 1: u_1(E[y^3|z]) != 0 (T(y) = y^3)'
    """
    link = _as_link(link)
    if link.is_constant:
        return Exponent(None, True, 0, "constant link: y is independent of z")
    even = link.is_even
    lower = 2 if even else 1
    lower_reason = ("sigma_* is even, so E[He_k(z)|y] = 0 for odd k: GE >= 2" if even
                    else "GE >= 1 by definition")
    cache = dict(_powers_cache or {})
    upper, witness, upper_exact = None, None, True
    for j in range(1, powers + 1):
        if j not in cache:
            cache[j] = _ie_of_expr(conditional_power(link, j), kmax)
        pj = cache[j]
        if pj.value is not None and (upper is None or pj.value < upper):
            upper, witness, upper_exact = pj.value, j, pj.exact
        if upper == lower:
            break
    if upper is not None and upper == lower:
        t = "y" if witness == 1 else f"y^{witness}"
        cond = "y" if witness == 1 else f"E[y^{witness}|z]"
        return Exponent(upper, upper_exact, max(upper, lower),
                        f"{lower_reason}; GE <= {upper}: u_{upper}({cond}) != 0 (T(y) = {t})")
    return _numeric_generative(link, kmax, lower, upper, witness, even)


def _numeric_generative(link: Link, kmax: int, lower: int, upper, witness, even) -> Exponent:
    from theory import _numeric_ge

    f = link.numeric("numpy")
    top = kmax if upper is None else min(kmax, upper - 1)
    result = _numeric_ge.numeric_generative_exponent(f, top, noise=float(link.noise), start=lower)
    value, tol = result[0], result[2]
    if value is not None:
        return Exponent(value, False, value, f"numeric: E_y[E[He_{value}|y]^2] > tolerance", tol)
    if upper is not None:
        return Exponent(upper, False, upper,
                        f"numeric: E_y[E[He_k|y]^2] <= tolerance for {lower} <= k < {upper}; "
                        f"GE <= {upper} exactly (T(y) = y^{witness})", tol)
    return Exponent(None, False, kmax, f"numeric: no k <= {kmax} with E_y[E[He_k|y]^2] > tolerance", tol)


@dataclass(frozen=True)
class LinkProfile:
    """Hermite expansion and exponents of one link: what ``python -m theory exponents`` prints."""

    link: Link
    expansion: HermiteExpansion
    information_exponent: Exponent
    generative_exponent: Exponent
    power_exponents: dict[int, Exponent] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready dictionary; ``hermite`` lists ``u_k`` in the ``He_k`` convention."""
        return {
            "link": self.link.name,
            "expression": str(self.link.expr),
            "noise": float(self.link.noise),
            "basis": "He_k (probabilists'), u_k = E[f He_k]/k!",
            "information_exponent": self.information_exponent.value,
            "generative_exponent": self.generative_exponent.value,
            "information_exponent_exact": self.information_exponent.exact,
            "generative_exponent_exact": self.generative_exponent.exact,
            "generative_exponent_reason": self.generative_exponent.reason,
            "hermite": [
                {"k": c.k, "exact": None if c.exact is None else str(c.exact), "value": c.value,
                 "error": c.error, "method": c.method}
                for c in self.expansion.coefficients
            ],
            "power_exponents": {str(j): e.value for j, e in self.power_exponents.items()},
        }

    def table(self) -> str:
        """A plain-text report."""
        lines = [f"link      {self.link.name}  =  {self.link.expr}",
                 f"noise     s = {self.link.noise}",
                 "basis     He_k (probabilists'), u_k = E[f(z) He_k(z)] / k!, z ~ N(0,1)", "",
                 f"{'k':>3}  {'u_k (exact)':<40} {'u_k (numeric)':>22}"]
        for c in self.expansion.coefficients:
            exact = str(c.exact) if c.exact is not None else "-"
            num = f"{c.value:.12g}" + (f" +- {c.error:.1g}" if c.exact is None else "")
            lines.append(f"{c.k:>3}  {exact:<40} {num:>22}")
        lines += ["", f"information exponent  {self.information_exponent}   ({self.information_exponent.reason})",
                  f"generative exponent   {self.generative_exponent}   ({self.generative_exponent.reason})"]
        if self.power_exponents:
            lines.append("power exponents       " + ", ".join(
                f"p_{j} = {e}" for j, e in self.power_exponents.items()) + "   (p_j = IE(E[y^j|z]))")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def _repr_html_(self) -> str:
        from html import escape

        rows = "".join(
            f"<tr><td>{c.k}</td><td>{escape(str(c.exact)) if c.exact is not None else '&ndash;'}</td>"
            f"<td>{c.value:.10g}</td></tr>" for c in self.expansion.coefficients)
        powers = ", ".join(f"p<sub>{j}</sub> = {e}" for j, e in self.power_exponents.items())
        return (f"<p><b>{escape(self.link.name)}</b> = {escape(str(self.link.expr))}, noise s = {self.link.noise}; "
                f"IE = {self.information_exponent}, GE = {self.generative_exponent}; {powers}</p>"
                f"<table><tr><th>k</th><th>u<sub>k</sub> exact (He<sub>k</sub> basis)</th><th>numeric</th></tr>"
                f"{rows}</table>")

    def _repr_latex_(self) -> str:
        from theory.latex import profile_latex

        return "$" + profile_latex(self) + "$"


def profile(link, *, kmax: int = 10, powers: int = 3, noise=None) -> LinkProfile:
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
    if isinstance(kmax, bool) or not isinstance(kmax, int) or not 1 <= kmax <= KMAX_LIMIT:
        raise ExpansionError(f"kmax must be an integer in [1, {KMAX_LIMIT}], got {kmax!r}")
    expansion = hermite_expansion(link, kmax)
    ie = information_exponent(link, kmax)
    pw = power_exponents(link, powers, kmax)
    ge = generative_exponent(link, kmax, powers=max(powers, 6), _powers_cache=pw)
    return LinkProfile(link, expansion, ie, ge, pw)
