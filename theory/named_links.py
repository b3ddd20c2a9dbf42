"""The registry of named links: ``He<k>``, ``h<k>``, relu, abs, sign, tanh, sigmoid, erf.

A user may give a link by name instead of an expression; :func:`named_link` maps the name to
its SymPy expression.  ``He<k>`` (``1 <= k <= MAX_HERMITE_NAME``) is the probabilists' Hermite
polynomial (:func:`hermite_polynomial`, from :mod:`theory.hepoly`), ``h<k> = He_k / sqrt(k!)``
its unit-variance normalisation.  The expression parser (:mod:`theory.expression_parser`) also
reads these names inside expressions (``h3(2*z)``) when it is allowed to.
"""
from __future__ import annotations

import sympy as sp

from theory.errors import LinkError
from theory.hepoly import he_polynomial
from theory._validate import as_int
from theory.symbols import Z

__all__ = ["MAX_HERMITE_NAME", "REGISTERED_NAMES", "hermite_polynomial", "named_link", "relu", "sigmoid"]

#: Largest ``k`` of the names ``He<k>`` and ``h<k>``.
MAX_HERMITE_NAME = 40


def hermite_polynomial(k: int, var: sp.Expr = Z) -> sp.Expr:
    """Probabilists' Hermite polynomial ``He_k`` with integer coefficients.

    Built by the recurrence ``He_{k+1} = z He_k - k He_{k-1}`` over the integers
    (:func:`theory.hepoly.he_polynomial`).

    Parameters
    ----------
    k : int
        The degree, ``k >= 0``.
    var : sympy.Expr, optional
        The variable (``z`` by default).

    Returns
    -------
    sympy.Expr
        ``He_k(var)``, expanded.

    Raises
    ------
    LinkError
        If ``k`` is not an integer ``>= 0``.

    Examples
    --------
    >>> hermite_polynomial(3)
    z**3 - 3*z
    >>> hermite_polynomial(0)
    1
    """
    return he_polynomial(as_int(k, "Hermite index", lo=0, error=LinkError), var)


def sigmoid(x):
    """The logistic function ``1 / (1 + exp(-x))`` of a SymPy expression.

    Examples
    --------
    >>> sigmoid(sp.Integer(0))
    1/2
    """
    return 1 / (1 + sp.exp(-x))


def relu(x):
    """``max(x, 0)`` of a SymPy expression.

    Examples
    --------
    >>> relu(sp.Integer(-2))
    0
    """
    return sp.Max(x, 0)


_NAMED = {
    "relu": sp.Max(Z, 0),
    "abs": sp.Abs(Z),
    "sign": sp.sign(Z),
    "tanh": sp.tanh(Z),
    "sigmoid": sigmoid(Z),
    "erf": sp.erf(Z),
}

#: Registered link names (besides ``He1``..``He40`` and ``h1``..``h40``).
REGISTERED_NAMES = tuple(_NAMED) + ("He1..He40", "h1..h40")


def _hermite_name(name: str):
    """Return ``(k, normalised)`` for ``He<k>``/``h<k>`` names, else ``None``."""
    for prefix, normalised in (("He", False), ("h", True)):
        if name.startswith(prefix) and name[len(prefix):].isdigit():
            k = int(name[len(prefix):])
            if 1 <= k <= MAX_HERMITE_NAME and str(k) == name[len(prefix):]:
                return k, normalised
            raise LinkError(
                f"unknown link name {name!r}: Hermite names run from {prefix}1 to {prefix}{MAX_HERMITE_NAME}"
            )
    return None


def named_link(name: str) -> sp.Expr | None:
    """The expression of a registered link name, or ``None`` if ``name`` is not registered.

    ``He<k>`` is the probabilists' Hermite polynomial, ``h<k> = He_k / sqrt(k!)`` its
    unit-variance normalisation.

    Parameters
    ----------
    name : str
        The name, as written (``"He3"``, ``"relu"``).

    Returns
    -------
    sympy.Expr or None
        Its expression in ``z``.

    Raises
    ------
    LinkError
        For ``He<k>``/``h<k>`` with ``k`` outside ``[1, MAX_HERMITE_NAME]``.

    Examples
    --------
    >>> named_link("He3")
    z**3 - 3*z
    >>> named_link("h2")
    sqrt(2)*(z**2 - 1)/2
    >>> named_link("nope") is None
    True
    """
    hk = _hermite_name(name)
    if hk is not None:
        k, normalised = hk
        poly = hermite_polynomial(k)
        return poly / sp.sqrt(sp.factorial(k)) if normalised else poly
    return _NAMED.get(name)
