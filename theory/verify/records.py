"""Records and points: grouping a sweep's records by point, finding a point, its null control.

A *point* is the dict a sweep simulates (the case, ``d``, ``eta``, ``gamma``, the run count, the
budget, ``tag``); a *record* is one run of it (the point's fields plus ``run``, ``status`` and
``hitting_time``).  Records of one point share :func:`point_key`.
"""
from __future__ import annotations

import math

import numpy as np

from theory.simulate.sweep import point_id

__all__ = ["ETA_RTOL", "RECORD_FIELDS", "point_key", "hitting_times", "median", "group", "dedupe", "find_point",
           "null_point"]

#: Relative tolerance in ``eta`` when looking a point up by ``(d, eta)``: grids are built by
#: multiplying by powers of two, so the same ``eta`` may come out of two products one ulp apart.
ETA_RTOL = 1e-12
#: Fields a record adds to its point.
RECORD_FIELDS = ("run", "status", "hitting_time", "point_id")


def point_key(p: dict) -> str:
    """The id of the point a point or record belongs to (record fields left out).

    Examples
    --------
    >>> point_key({"d": 50, "eta": 0.01}) == point_key({"d": 50, "eta": 0.01, "run": 3, "status": "hit"})
    True
    """
    return point_id({k: v for k, v in p.items() if k not in RECORD_FIELDS})


def hitting_times(records) -> np.ndarray:
    """Hitting times of ``records``; a run that did not hit counts as ``inf``.

    Examples
    --------
    >>> hitting_times([{"status": "hit", "hitting_time": 5}, {"status": "censored", "hitting_time": None}])
    array([ 5., inf])
    """
    return np.array([r["hitting_time"] if r["status"] == "hit" else np.inf for r in records], dtype=float)


def median(t: np.ndarray) -> float:
    """Median of hitting times (``nan`` for none; ``inf`` when half or more are censored).

    Examples
    --------
    >>> median(np.array([1.0, 2.0, np.inf]))
    2.0
    """
    return float(np.median(t)) if t.size else float("nan")


def group(records) -> dict:
    """``{point_key: hitting times}`` of every point in ``records``.

    Examples
    --------
    >>> g = group([{"d": 8, "run": 0, "status": "hit", "hitting_time": 3}])
    >>> list(g.values())
    [array([3.])]
    """
    groups: dict = {}
    for r in records:
        groups.setdefault(point_key(r), []).append(r)
    return {k: hitting_times(v) for k, v in groups.items()}


def dedupe(points) -> list:
    """``points`` in order, without a second point equal to an earlier one up to its tag.

    Examples
    --------
    >>> len(dedupe([{"tag": "small", "d": 8}, {"tag": "sweep", "d": 8}]))
    1
    """
    seen, out = set(), []
    for p in points:
        k = point_key(dict(p, tag=""))
        if k not in seen:
            seen.add(k)
            out.append(p)
    return out


def _same(p: dict, d: int, eta: float) -> bool:
    return p["d"] == d and abs(p["eta"] - eta) <= ETA_RTOL * max(1.0, eta)


def find_point(points, d: int, eta: float, tag: str | None = None) -> dict:
    """The point at ``(d, eta)`` (``eta`` to :data:`ETA_RTOL`), preferring one tagged ``tag``.

    A point deduplicated into another tag (:func:`dedupe`) is found under that tag.

    Examples
    --------
    >>> pts = [{"tag": "small", "d": 8, "eta": 0.1}]
    >>> find_point(pts, 8, 0.1 * (1 + 1e-15), "sweep")["tag"]
    'small'
    """
    if tag is not None:
        for p in points:
            if p["tag"] == tag and _same(p, d, eta):
                return p
    for p in points:
        if _same(p, d, eta):
            return p
    raise KeyError((tag, d, eta))


def null_point(p: dict, runs: int, signal_median: float, factor: float) -> dict | None:
    """The null control of point ``p``: labels independent of ``x``, same ``gamma``, ``runs`` runs and
    a budget of ``factor`` times the signal median; ``None`` when that median is infinite.

    Examples
    --------
    >>> null_point({"d": 8, "null": False}, 10, 100.0, 4.0)
    {'d': 8, 'null': True, 'runs': 10, 'max_steps': 401}
    >>> null_point({"d": 8}, 10, float("inf"), 4.0) is None
    True
    """
    if not math.isfinite(signal_median):
        return None
    return dict(p, null=True, runs=runs, max_steps=int(factor * signal_median) + 1)
