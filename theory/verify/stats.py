"""Estimators the claims share: log-log slopes, the break of a threshold sweep, a bootstrap SE.

Pure functions of arrays; no records, no configuration.
"""
from __future__ import annotations

import numpy as np

__all__ = ["log_slope", "standard_error", "fit_break"]


def log_slope(x, y) -> float:
    """Least-squares slope of ``log y`` on ``log x``; ``nan`` when a ``y`` is not finite and positive.

    Examples
    --------
    >>> round(log_slope([10, 20, 40], [100, 400, 1600]), 12)
    2.0
    """
    x, y = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
    if not np.all(np.isfinite(y)):
        return float("nan")
    return float(np.polyfit(x, y, 1)[0])


def standard_error(values, min_finite: float) -> float | None:
    """Standard deviation of the finite bootstrap replicates ``values``.

    ``None`` (not measurable) when fewer than a fraction ``min_finite`` of them are finite: the
    replicates that could not be measured are then too many to leave out.

    Examples
    --------
    >>> standard_error([1.0, 2.0, 3.0], 0.95)
    1.0
    >>> standard_error([1.0, 2.0, float("nan")], 0.95) is None
    True
    """
    v = np.asarray(values, float)
    ok = np.isfinite(v)
    if ok.mean() < min_finite:
        return None
    return float(np.std(v[ok], ddof=1))


_LOG_GRID = np.linspace(-1.0, 1.0, 401)


def fit_break(etas, tn) -> float:
    """Crossing ``eta_b`` of the two competing mechanisms, fitted to every sweep point of one ``d``.

    Model (the theorem's two terms with their rates adding): ``tn(eta) = P / (1 + (eta/eta_b)^2)``,
    a flat small-``eta`` term and an ``eta^-2`` large-``eta`` term that cross at ``eta_b``.  Least
    squares on ``log tn``; ``P`` in closed form, ``log eta_b`` by a grid search of 401 points over
    the swept range.  Returns ``nan`` when the optimum sits on the edge of the range (no break
    seen) or a ``tn`` is not finite.

    Examples
    --------
    >>> etas = 0.01 * 2.0 ** np.arange(-4, 5)
    >>> round(fit_break(etas, 1000 / (1 + (etas / 0.01) ** 2)), 4)
    0.01
    """
    x = np.log(np.asarray(etas, float))
    y = np.log(np.asarray(tn, float))
    if not np.all(np.isfinite(y)):
        return float("nan")
    lo, hi = x[0], x[-1]
    cand = lo + (hi - lo) * (_LOG_GRID + 1) / 2
    shape = -np.log1p(np.exp(2 * (x[None, :] - cand[:, None])))  # (grid, points)
    logp = (y[None, :] - shape).mean(axis=1, keepdims=True)
    sse = ((y[None, :] - shape - logp) ** 2).sum(axis=1)
    k = int(np.argmin(sse))
    if k in (0, len(cand) - 1):
        return float("nan")
    return float(np.exp(cand[k]))
