"""Overlap paths ``m_t`` of a few runs, for pictures.

The engines return only hitting times. For a picture, :func:`overlap_paths` runs a few
independent runs of the same reduced chain and records ``m_t`` at about ``points``
log-spaced times. It uses the reduced engine's start law and step
(:func:`~theory.simulate.reduced.reduced_start`, :func:`~theory.simulate.reduced.reduced_step`)
with fresh samples from its own seed. These are illustrative runs of the same law, not the runs
whose hitting times a :class:`~theory.simulate.common.SimulationResult` holds, and a caller
labels them so.

Each run stops at weak recovery, at divergence, or at ``max_steps``.
"""

from __future__ import annotations

import numpy as np

from theory.simulate.common import SimulationInputError, StepModel, check_int, check_positive, check_threshold
from theory.simulate.reduced import reduced_start, reduced_step
from theory.simulate.step import reached, step_is_finite

__all__ = ["overlap_paths", "PATH_STEP_LIMIT"]

#: Longest path recorded (steps): a picture needs no more, and the loop is per step in numpy.
PATH_STEP_LIMIT = 2_000_000


def overlap_paths(model: StepModel, d: int, gamma: float, *, runs: int = 4, seed: int = 0, max_steps: int = 200_000,
                  m_thr: float = 0.5, signed: bool = False, start: str = "positive", points: int = 300):
    """``[(steps, m), ...]``: ``m_t`` of ``runs`` runs at log-spaced steps (each to its stopping time).

    Parameters
    ----------
    model : StepModel
    d : int
        Dimension, at least 3.
    gamma : float
        Step size.
    runs, seed, max_steps : int
        How many paths, their seed, and the longest (at most :data:`PATH_STEP_LIMIT`).
    m_thr, signed, start
        As in :func:`theory.simulate.simulate`.
    points : int
        About how many times are recorded per path.

    Returns
    -------
    list of (numpy.ndarray, numpy.ndarray)

    Examples
    --------
    >>> import numpy as np
    >>> from theory.simulate import StepModel
    >>> he3 = lambda u: u**3 - 3*u
    >>> model = StepModel(target=he3, kernel=lambda y, z, q, a: (a*y*(3*z**2 - 3), a), name="online")
    >>> paths = overlap_paths(model, 20, 0.002, runs=2, seed=1, max_steps=20000)
    >>> len(paths), all(t[0] == 0 and np.all(np.diff(t) > 0) for t, m in paths)
    (2, True)
    """
    d = check_int("d", d, 3)
    gamma = check_positive("gamma", gamma)
    runs = check_int("runs", runs, 1)
    max_steps = check_int("max_steps", max_steps, 1)
    if max_steps > PATH_STEP_LIMIT:
        raise SimulationInputError(f"max_steps for overlap paths is at most {PATH_STEP_LIMIT} (a picture's limit), "
                                   f"got {max_steps}")
    m_thr = check_threshold(m_thr)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 1]))
    m = np.array([reduced_start(rng, rng, d, start) for _ in range(runs)])
    a = np.full(runs, float(model.a0))
    alive = ~reached(m, m_thr, signed)
    marks = set(np.unique(np.geomspace(1, max_steps, points).astype(np.int64)).tolist())
    record_t = [[0] for _ in range(runs)]
    record_m = [[float(mi)] for mi in m]
    block = 4096
    t = 0
    while t < max_steps and alive.any():
        n = min(block, max_steps - t)
        U = rng.standard_normal((n, runs))
        G = rng.standard_normal((n, runs))
        R = rng.chisquare(d - 2, (n, runs))
        Zeta = rng.standard_normal((n, runs)) if model.noise else None
        for k in range(n):
            u = U[k]
            y = model.target(u) + (model.noise * Zeta[k] if Zeta is not None else 0.0)
            m_new, a_next, den = reduced_step(m, a, u, G[k], R[k], y, model.kernel, gamma)
            ok = step_is_finite(m_new, den, a_next)
            m = np.where(alive & ok, m_new, m)
            a = np.where(alive & ok, a_next, a)
            step = t + k + 1
            stop = alive & (~ok | reached(m, m_thr, signed))
            record = step in marks
            for j in np.flatnonzero(alive & (stop | record)):
                record_t[j].append(step)
                record_m[j].append(float(m[j]))
            alive = alive & ~stop
            if not alive.any():
                break
        t += n
    return [(np.asarray(ts), np.asarray(ms)) for ts, ms in zip(record_t, record_m)]
