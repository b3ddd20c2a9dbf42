"""Probabilists' Hermite polynomials ``He_k``, written once.

``He_0 = 1``, ``He_1 = x`` and the three-term recurrence ``He_{k+1} = x He_k - k He_{k-1}``, so
``E[He_j(z) He_k(z)] = k! delta_jk`` for ``z ~ N(0, 1)``.  Every other module takes ``He_k`` from
here, in one of three forms:

* :func:`he_coefficients` -- the integer coefficients of ``He_k``, low to high (cached);
* :func:`he_polynomial` -- ``He_k(x)`` as a SymPy polynomial expression with those coefficients;
* :func:`he_values` / :func:`he_table` -- the values ``He_0(x) .. He_kmax(x)`` by the recurrence,
  over any ring (``Fraction``, quadratic surds, SymPy numbers) or on a numpy array;

and the inverse basis change, :func:`monomial_to_he`: ``x^n = sum_k c(n, k) He_k``.

The values are computed by the recurrence, not from the coefficients: it is exact over exact
rings and, in floating point, far better conditioned than the monomial sum.  This module checks
no arguments; the public callers (:func:`theory.links.hermite_polynomial`, the Hermite engine)
validate ``k`` and ``kmax`` first.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import sympy as sp

__all__ = ["he_coefficients", "he_polynomial", "he_values", "he_table", "monomial_to_he"]


@lru_cache(maxsize=None)
def he_coefficients(k: int) -> tuple[int, ...]:
    """Integer coefficients of ``He_k``, low to high.

    Parameters
    ----------
    k : int
        The degree, ``k >= 0`` (not checked here).

    Returns
    -------
    tuple of int
        ``c`` with ``He_k(x) = sum_j c[j] x**j``; ``len(c) == k + 1``.

    Examples
    --------
    >>> [he_coefficients(k) for k in range(4)]
    [(1,), (0, 1), (-1, 0, 1), (0, -3, 0, 1)]
    """
    if k == 0:
        return (1,)
    if k == 1:
        return (0, 1)
    prev, cur = he_coefficients(k - 2), he_coefficients(k - 1)
    nxt = [0] + list(cur)
    for j, c in enumerate(prev):
        nxt[j] -= (k - 1) * c
    return tuple(nxt)


def he_polynomial(k: int, var: sp.Expr) -> sp.Expr:
    """``He_k(var)`` as a SymPy expression with integer coefficients.

    Parameters
    ----------
    k : int
        The degree, ``k >= 0`` (not checked here).
    var : sympy.Expr
        The variable.

    Returns
    -------
    sympy.Expr
        ``sum_j c_j var**j`` over the non-zero coefficients of :func:`he_coefficients`.

    Examples
    --------
    >>> x = sp.Symbol("x")
    >>> he_polynomial(3, x)
    x**3 - 3*x
    >>> he_polynomial(0, x)
    1
    """
    if k == 0:
        return sp.Integer(1)
    return sp.Add(*[sp.Integer(c) * var**j for j, c in enumerate(he_coefficients(k)) if c])


def he_values(x, kmax: int, one=1) -> list:
    """``[He_0(x), ..., He_kmax(x)]`` by the recurrence, in the arithmetic of ``x``.

    Parameters
    ----------
    x : number or array
        The point: an ``int``, ``Fraction``, SymPy number, any ring element supporting
        ``x * a - b * j`` with ``j`` an ``int``, or a numpy array (values elementwise).
    kmax : int
        The largest degree, ``kmax >= 0``.
    one : optional
        ``He_0``: the unit of the ring (``1`` by default).

    Returns
    -------
    list
        ``kmax + 1`` values; entry ``k`` is ``He_k(x)``.

    Examples
    --------
    >>> from fractions import Fraction
    >>> he_values(Fraction(1, 2), 3, Fraction(1))
    [Fraction(1, 1), Fraction(1, 2), Fraction(-3, 4), Fraction(-11, 8)]
    """
    vals = [one, x]
    for j in range(1, kmax):
        vals.append(x * vals[j] - vals[j - 1] * j)
    return vals[:kmax + 1]


def he_table(z, kmax: int) -> np.ndarray:
    """Rows ``He_0(z) .. He_kmax(z)`` of a float array, by the recurrence.

    Parameters
    ----------
    z : array_like
        Points.
    kmax : int
        The largest degree, ``kmax >= 0``.

    Returns
    -------
    numpy.ndarray
        Shape ``(kmax + 1,) + z.shape``, float64; row ``k`` is ``He_k(z)``.

    Examples
    --------
    >>> he_table(np.array([0.0, 1.0, 2.0]), 3)
    array([[ 1.,  1.,  1.],
           [ 0.,  1.,  2.],
           [-1.,  0.,  3.],
           [-0., -2.,  2.]])
    """
    z = np.asarray(z, dtype=float)
    out = np.empty((kmax + 1,) + z.shape)
    for k, row in enumerate(he_values(z, kmax, 1.0)):
        out[k] = row
    return out


@lru_cache(maxsize=None)
def monomial_to_he(n: int, k: int) -> int:
    """Coefficient of ``He_k`` in ``x^n``: ``n! / (k! 2^j j!)`` with ``n = k + 2j``, else 0.

    These are the Gaussian moments of the basis change ``x^n = sum_j n!/(2^j j! (n-2j)!) He_{n-2j}``.

    Parameters
    ----------
    n, k : int
        The monomial's degree and the Hermite index, both ``>= 0`` (not checked here).

    Returns
    -------
    int
        The (integer) coefficient.

    Examples
    --------
    >>> [monomial_to_he(4, k) for k in range(5)]   # z^4 = He_4 + 6 He_2 + 3
    [3, 0, 6, 0, 1]
    """
    if k > n or (n - k) % 2:
        return 0
    j = (n - k) // 2
    return math.factorial(n) // (math.factorial(k) * 2**j * math.factorial(j))
