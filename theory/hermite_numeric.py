"""Numeric Hermite coefficients: a rigorous enclosure where possible, else an estimate.

The third method of :mod:`theory.hermite`, for what has no exact form (``tanh``, ``sigmoid``,
``sign(sin z)``): :func:`numeric_coefficients`.
"""
from __future__ import annotations

import math

import numpy as np
import sympy as sp

from theory.symbols import Z

__all__ = ["numeric_coefficients"]


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
