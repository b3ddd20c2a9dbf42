"""Events of a block of steps, for both engines: the first hit and the first divergence per run, and
the per-run result arrays they are written into.

An engine simulates a block of ``B`` steps for its active runs, keeping the overlap ``M``, the
normaliser ``D`` and the second layer ``A`` after each step; :func:`resolve_events` then finds, per
run, the first step that diverged and the first that hit, with the tests of ``step.py``
(:func:`~theory.simulate.step.step_is_finite`, :func:`~theory.simulate.step.reached`), the same
functions the compiled loop runs after every step.
"""
from __future__ import annotations

import numpy as np

from theory.simulate.common import STATUS_CENSORED, STATUS_DIVERGED, STATUS_HIT
from theory.simulate.step import reached, step_is_finite

__all__ = ["resolve_events", "start_records", "record_events", "initial_hits"]


def resolve_events(M, D, A, thr, signed, rows):
    """First hit and first divergence row in a block of per-step records.

    Parameters
    ----------
    M, D, A : ndarray, shape (B, n)
        Overlap after each step, the normaliser of that step and the second layer after it.
    thr : float
    signed : bool
    rows : int
        Only the first ``rows`` rows are valid steps.

    Returns
    -------
    first_hit, first_bad : ndarray of int64, shape (n,)
        Row index of the first hit / first non-finite record, ``rows`` if none.

    Notes
    -----
    Cheap column reductions find the candidate runs first: a column whose sum is finite has only
    finite entries (a non-finite entry makes the sum inf or NaN), and a column can contain a hit only
    if its NaN-ignoring maximum (or minimum) crosses the threshold. Only those columns are scanned.

    Examples
    --------
    >>> import numpy as np
    >>> M = np.array([[0.1, 0.2], [0.6, np.nan], [0.7, 0.9]])
    >>> resolve_events(M, np.ones_like(M), np.ones_like(M), 0.5, False, 3)
    (array([1, 2]), array([3, 1]))
    """
    M, D, A = M[:rows], D[:rows], A[:rows]
    n = M.shape[1]
    first_hit = np.full(n, rows, dtype=np.int64)
    first_bad = np.full(n, rows, dtype=np.int64)
    total = M.sum(axis=0)
    total += D.sum(axis=0)
    total += A.sum(axis=0)
    cand = np.flatnonzero(~np.isfinite(total))
    if cand.size:
        bad = ~step_is_finite(M[:, cand], D[:, cand], A[:, cand])
        first_bad[cand] = np.where(bad.any(axis=0), bad.argmax(axis=0), rows)
    with np.errstate(invalid="ignore"):
        reach = np.fmax.reduce(M, axis=0) >= thr
        if not signed:
            reach |= np.fmin.reduce(M, axis=0) <= -thr
    cand = np.flatnonzero(reach)
    if cand.size:
        hit = reached(M[:, cand], thr, signed)
        first_hit[cand] = np.where(hit.any(axis=0), hit.argmax(axis=0), rows)
    return first_hit, first_bad


def start_records(m0, m_thr, signed):
    """Per-run result arrays for starting overlaps ``m0``; runs already recovered at the start are hits
    at step 0.  Returns ``(hitting, steps, status, final_m, active)``, ``active`` the runs to simulate.
    """
    runs = len(m0)
    hitting = np.full(runs, -1, dtype=np.int64)
    steps = np.zeros(runs, dtype=np.int64)
    status = np.full(runs, STATUS_CENSORED, dtype="<U8")
    final_m = np.array(m0, dtype=np.float64)
    done0 = initial_hits(final_m, m_thr, signed)
    hitting[done0] = 0
    status[done0] = STATUS_HIT
    return hitting, steps, status, final_m, np.flatnonzero(~done0)


def record_events(M, first_hit, first_bad, B, active, t_done, status, steps, final_m, hitting):
    """Write the hits and divergences of one block into the per-run arrays; returns the runs to keep.

    Shared by both engines: ``first_hit``/``first_bad`` come from :func:`resolve_events` on the
    block's overlaps ``M`` (shape ``(B, n)``) of the runs ``active``; steps are counted from
    ``t_done``.
    """
    cols = np.arange(M.shape[1])
    is_hit = first_hit < np.minimum(first_bad, B)
    is_bad = (first_bad < B) & ~is_hit
    for mask, rows, label in ((is_hit, first_hit, STATUS_HIT), (is_bad, first_bad, STATUS_DIVERGED)):
        if mask.any():
            idx = active[mask]
            status[idx] = label
            steps[idx] = t_done + rows[mask] + 1
            final_m[idx] = M[rows[mask], cols[mask]]
            if label == STATUS_HIT:
                hitting[idx] = t_done + rows[mask] + 1
    return ~(is_hit | is_bad)


def initial_hits(m0, thr, signed):
    """Runs that already satisfy the weak-recovery condition at the start."""
    return reached(m0, thr, signed)
