"""Links: a real function of one standard Gaussian variable ``z``, with label noise.

Users give a link as a string, either a registered name (``He3``, ``h3``, ``relu``, ``abs``,
``sign``, ``tanh``, ``sigmoid``, ``erf``: :mod:`theory.named_links`) or an expression in ``z``
such as ``"z**3 - 3*z"`` or ``"sign(z)*z**2"``, read without evaluation and with bounded sizes by
:mod:`theory.expression_parser`.  This module holds :class:`Link`, :func:`parse_link`, the
structural tests every layer above uses (:func:`parity`, :func:`degree_bound`) and
admissibility: a link is admitted only if it is certified real-valued and square-integrable
under the standard Gaussian, at its finite singular points and at both ends
(:mod:`theory._asymptotics`); otherwise the message says why, or what could not be certified,
and where.

The names of the parser and the registry stay importable from here (``from theory.links import
parse_expression, hermite_polynomial, MAX_TEXT``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from theory._asymptotics import admissibility_problem
from theory.errors import LinkError
from theory.expression_parser import (MAX_CONSTANT_NESTING, MAX_DEGREE, MAX_DEPTH, MAX_EXACT_DIGITS,
                                      MAX_EXPONENT, MAX_LITERAL_DIGITS, MAX_NONSMOOTH, MAX_TERMS,
                                      MAX_TEXT, NUMBER_MAX, NUMBER_MIN, parse_expression, parse_noise)
from theory.named_links import MAX_HERMITE_NAME, REGISTERED_NAMES, hermite_polynomial, named_link
from theory._text import clip_text as _short
from theory.symbols import Z

__all__ = [
    "Z",
    "Link",
    "parse_expression",
    "parse_link",
    "named_link",
    "hermite_polynomial",
    "REGISTERED_NAMES",
    "parity",
    "EVEN",
    "ODD",
    "degree_bound",
    "check_admissible",
    "EXPAND_DEGREE",
    "MAX_HERMITE_NAME", "MAX_TEXT", "MAX_DEPTH", "NUMBER_MIN", "NUMBER_MAX", "MAX_LITERAL_DIGITS",
    "MAX_EXPONENT", "MAX_DEGREE", "MAX_TERMS", "MAX_EXACT_DIGITS", "MAX_NONSMOOTH",
    "MAX_CONSTANT_NESTING",
]


@dataclass(frozen=True)
class Link:
    """A link function ``sigma_*(z)`` (or a student activation), with optional label noise.

    Attributes
    ----------
    expr : sympy.Expr
        The function of :data:`Z`.
    name : str
        How the user wrote it.
    noise : sympy.Rational
        Standard deviation ``s`` of independent Gaussian label noise (0 for none).

    Examples
    --------
    >>> link = parse_link("He3", noise=0.5)
    >>> link.expr, link.noise, link.is_odd
    (z**3 - 3*z, 1/2, True)
    """

    expr: sp.Expr
    name: str
    noise: sp.Expr = field(default=sp.Integer(0))

    def __str__(self) -> str:
        return self.name

    @property
    def is_polynomial(self) -> bool:
        return bool(self.expr.is_polynomial(Z))

    @property
    def is_constant(self) -> bool:
        return Z not in self.expr.free_symbols

    @property
    def is_even(self) -> bool:
        """``f(-z) == f(z)`` proven (see :func:`parity`); ``False`` means "not proven"."""
        return parity(self.expr) == EVEN

    @property
    def is_odd(self) -> bool:
        """``f(-z) == -f(z)`` proven (see :func:`parity`); ``False`` means "not proven"."""
        return parity(self.expr) == ODD

    def with_noise(self, noise) -> "Link":
        return Link(self.expr, self.name, parse_noise(noise))


#: Values of :func:`parity`.
EVEN, ODD = 1, -1

# Functions with f(-x) = -f(x): an odd argument gives an odd result.
_ODD_FUNCTIONS = (sp.sin, sp.sinh, sp.tanh, sp.erf, sp.sign, sp.atan, sp.asinh)
# Functions with f(-x) = f(x): any argument of definite parity gives an even result.
_EVEN_FUNCTIONS = (sp.cos, sp.cosh, sp.Abs)


def _structural_parity(expr: sp.Expr, var: sp.Symbol):
    """Parity proven from the expression tree alone, or ``None`` (linear in the tree size).

    Rules: constants are even, ``z`` is odd; sums of terms of one parity keep it; products
    multiply parities; ``b**n`` with integer ``n`` has parity ``parity(b)**n``; any function
    of even arguments is even; ``sin, sinh, tanh, erf, sign, atan, asinh`` keep parity;
    ``cos, cosh, Abs`` of an argument of definite parity are even.  Each rule is a proof, so
    the answer is sound; ``None`` only means "not proven this way".
    """
    if var not in expr.free_symbols:
        return EVEN
    if expr == var:
        return ODD
    if expr.is_Add or expr.is_Mul:
        parts = [_structural_parity(a, var) for a in expr.args]
        if any(p is None for p in parts):
            return None
        if expr.is_Add:
            return parts[0] if all(p == parts[0] for p in parts) else None
        sign = 1
        for p in parts:
            sign *= p
        return sign
    if expr.is_Pow:
        base, exp = expr.args
        if var in exp.free_symbols:
            pb, pe = _structural_parity(base, var), _structural_parity(exp, var)
            return EVEN if pb == EVEN and pe == EVEN else None
        pb = _structural_parity(base, var)
        if pb is None:
            return None
        if pb == EVEN:
            return EVEN
        if exp.is_Integer:
            return ODD if int(exp) % 2 else EVEN
        return None
    args = [_structural_parity(a, var) for a in expr.args]
    if not args or any(p is None for p in args):
        return None
    if all(p == EVEN for p in args):
        return EVEN
    if len(args) == 1 and isinstance(expr, _EVEN_FUNCTIONS):
        return EVEN
    if len(args) == 1 and isinstance(expr, _ODD_FUNCTIONS):
        return args[0]
    return None


def degree_bound(expr: sp.Expr) -> int | None:
    """An upper bound on the degree in ``z`` of a polynomial expression, from its tree (no expansion).

    Parameters
    ----------
    expr : sympy.Expr
        An expression in ``z``.

    Returns
    -------
    int or None
        The bound, or ``None`` if ``expr`` is not visibly a polynomial in ``z``.

    Examples
    --------
    >>> degree_bound((Z**2 + 1)**3 * Z), degree_bound(sp.exp(Z))
    (7, None)
    """
    if Z not in expr.free_symbols:
        return 0
    if expr == Z:
        return 1
    if expr.is_Add:
        parts = [degree_bound(a) for a in expr.args]
        return None if None in parts else max(parts)
    if expr.is_Mul:
        parts = [degree_bound(a) for a in expr.args]
        return None if None in parts else sum(parts)
    if expr.is_Pow and expr.exp.is_Integer and expr.exp >= 0:
        b = degree_bound(expr.base)
        return None if b is None else b * int(expr.exp)
    return None


#: Arguments of exp/sin/cos/sinh/cosh whose degree bound exceeds this are not expanded to test
#: membership in the class (quadratic exponents): the expansion alone would cost seconds.
EXPAND_DEGREE = 8


def parity(expr: sp.Expr, var: sp.Symbol = Z):
    """``EVEN`` (1) when ``f(-z) == f(z)`` is proven, ``ODD`` (-1) when ``f(-z) == -f(z)`` is,
    else ``None`` (not proven: the function may still have a parity SymPy cannot see).

    Decided structurally (:func:`_structural_parity`) and, for polynomials, by exact
    expansion.  No ``simplify``: the cost is linear in the size of the expression.  The zero
    function is reported as even.

    Parameters
    ----------
    expr : sympy.Expr
        The function.
    var : sympy.Symbol, optional
        Its variable (``z`` by default).

    Returns
    -------
    int or None
        ``EVEN``, ``ODD`` or ``None``.

    Examples
    --------
    >>> parity(Z**3 - 3*Z), parity(sp.Abs(Z) + sp.cos(3*Z)), parity(sp.tanh(Z)**2)
    (-1, 1, 1)
    >>> parity(sp.Max(Z, 0)) is None
    True
    """
    found = _structural_parity(expr, var)
    if found is not None:
        return found
    if expr.is_polynomial(var):
        poly = sp.Poly(expr, var)
        degrees = {m[0] % 2 for m in poly.monoms()}
        if degrees == {0}:
            return EVEN
        if degrees == {1}:
            return ODD
    return None


def check_admissible(expr: sp.Expr, text: str) -> None:
    """Reject links that are complex-valued or not square-integrable under N(0, 1).

    Decided by :func:`theory._asymptotics.admissibility_problem`: finite singular points (real
    zeros of every base raised to a negative power, with their one-sided orders), growth at
    both ends, and real values of every non-integer power.  A link is accepted only when all
    three are certified; the message says which failed, where, and whether it is certain
    ("is not ...") or could not be certified.

    Parameters
    ----------
    expr : sympy.Expr
        The link, a function of ``z`` only.
    text : str
        How the user wrote it, quoted in the message.

    Raises
    ------
    LinkError
        If ``expr`` has another free variable, is not admissible, or cannot be certified so.

    Examples
    --------
    >>> check_admissible(Z**3, "z**3")
    >>> check_admissible(sp.exp(Z**2), "exp(z**2)")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    theory.errors.LinkError: link 'exp(z**2)' is not square-integrable under the standard Gaussian: ...
    """
    extra = expr.free_symbols - {Z}
    if extra:
        raise LinkError(f"link {_short(text)!r} uses variables other than z: {sorted(map(str, extra))}")
    try:
        problem = admissibility_problem(expr, Z)
    except RecursionError:
        problem = "could not be certified admissible: it is nested too deeply for the analysis"
    if problem is not None:
        raise LinkError(f"link {_short(text)!r} {problem}")



def parse_link(text: str, noise=0) -> Link:
    """Parse a user's link: a registered name or an expression in ``z``.

    Parameters
    ----------
    text : str
        ``"He3"``, ``"h3"``, ``"relu"``, ``"z**3 - 3*z"``, ``"sign(z)*z**2"``, ...
    noise : number or str, optional
        Standard deviation of Gaussian label noise, ``>= 0``.

    Raises
    ------
    LinkError
        Unparseable text, a disallowed token, a link that is complex-valued or not
        square-integrable under the standard Gaussian, or negative noise.

    Returns
    -------
    Link
        The expression, the name as given (stripped) and the noise as an exact number.

    Examples
    --------
    >>> parse_link("He3").expr
    z**3 - 3*z
    >>> parse_link("relu").expr
    Max(0, z)
    >>> parse_link("exp(z**2)")
    Traceback (most recent call last):
    ...
    theory.errors.LinkError: link 'exp(z**2)' is not square-integrable under the standard Gaussian: as z -> +-oo |f| grows like exp(|z|**2), so f(z)^2 exp(-z^2/2) grows like exp(3*|z|**2/2)
    >>> parse_link("1/Abs(z)")
    Traceback (most recent call last):
    ...
    theory.errors.LinkError: link '1/Abs(z)' is not square-integrable under the standard Gaussian: near z = 0 it behaves like |z|^-1 (a pole of order 1) on both sides, and |z - z0|^-a is square-integrable near z0 only for a < 1/2
    """
    if not isinstance(text, str):
        raise LinkError(f"link must be a string, got {type(text).__name__}")
    name = text.strip()
    expr = named_link(name) if name.isidentifier() else None
    if expr is None:
        expr = parse_expression(text, {"z": Z}, what="link")
    check_admissible(expr, name)
    return Link(expr, name, parse_noise(noise))
