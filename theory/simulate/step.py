"""The exact overlap step and its two events, written once for every path that runs them.

One step of the reduced chain (docs/theory.md, section 8) from overlap ``m`` on the sample
``(u, g, R)`` is

    z = m u + s g,   q = (s u - m g)^2 + R,   s = sqrt(1 - m^2),
    (psi, a') = kernel(y, z, q, a),
    m' = (m + gamma psi (u - z m)) / den,   den = sqrt(1 + gamma^2 psi^2 q),

and after it a run has *diverged* when ``m'``, ``den`` or ``a'`` is not finite, and has *hit* when
``m' >= m_thr`` (or ``|m'| >= m_thr`` when unsigned).

The functions here are plain arithmetic on numpy ufuncs, so the same source serves two paths:
numpy broadcasts them over the runs of a block (the vectorised path of ``reduced.py``, and the
event tests of both engines), and numba compiles them, with :func:`make_step_loop`, into the
per-run loop of the compiled path (``kernels.compiled_step_loop``).  Both paths perform the same
IEEE operations in the same order, so given the same kernel values they give the same bits.

Examples
--------
>>> z, q = overlap_geometry(0.6, 1.0, 0.5, 2.0)
>>> round(float(z), 12), round(float(q), 12)
(1.0, 2.25)
>>> m_new, den = overlap_update(0.6, 1.0, z, q, 0.0, 0.1)
>>> float(m_new), float(den)
(0.6, 1.0)
>>> bool(reached(-0.7, 0.5, False)), bool(reached(-0.7, 0.5, True))
(True, False)
"""
from __future__ import annotations

import numpy as np

__all__ = ["overlap_geometry", "overlap_update", "step_is_finite", "reached", "make_step_loop",
           "LOOP_RUNNING", "LOOP_HIT", "LOOP_DIVERGED"]

#: Codes :func:`make_step_loop`'s loop returns: ran through the block, hit, diverged.
LOOP_RUNNING, LOOP_HIT, LOOP_DIVERGED = 0, 1, 2


def overlap_geometry(m, u, g, R):
    """``(z, q)`` of a sample ``(u, g, R)`` seen from overlap ``m``: ``z = <w, x>``, ``q = ||x||^2 - z^2``.

    ``q`` is formed as ``(s u - m g)^2 + R``, which has no cancellation when ``x`` is nearly
    parallel to ``w``; ``max(1 - m^2, 0)`` guards rounding when ``|m|`` is within an ulp of 1.
    """
    s = np.sqrt(np.maximum(1.0 - m * m, 0.0))
    z = m * u + s * g
    p = s * u - m * g
    q = p * p + R
    return z, q


def overlap_update(m, u, z, q, psi, gamma):
    """``(m', den)``: the overlap after the step and the normaliser ``sqrt(1 + gamma^2 psi^2 q)``."""
    c = psi * gamma
    v = (u - z * m) * c + m
    den = np.sqrt(c * c * q + 1.0)
    return v / den, den


def step_is_finite(m_new, den, a_next):
    """``True`` where the step is sound: the overlap, the normaliser and the second layer are finite."""
    return np.isfinite(m_new) & np.isfinite(den) & np.isfinite(a_next)


def reached(m, thr, signed):
    """``True`` where ``m`` satisfies weak recovery: ``m >= thr``, or also ``m <= -thr`` when unsigned."""
    return (m >= thr) | ((m <= -thr) & (not signed))


def make_step_loop(geometry=overlap_geometry, update=overlap_update, finite=step_is_finite, hit=reached):
    """The per-run loop over a block of samples, built from the step and event functions given.

    The loop ``loop(kern, eta, d, m, a, U, G, R, Y, gamma, thr, signed)`` runs the steps of one run
    on the samples ``U[t], G[t], R[t], Y[t]`` with the scalar kernel ``kern(y, z, q, a, eta, d)`` and
    returns ``(code, t, m, a)``: :data:`LOOP_DIVERGED` at the first unsound step ``t`` (with its
    non-finite values), :data:`LOOP_HIT` at the first step ``t`` after which ``m`` has reached the
    threshold, or :data:`LOOP_RUNNING` with ``t = len(U)`` and the state at the end of the block.

    With the default (Python) functions the loop runs in Python; ``kernels.compiled_step_loop``
    passes their numba-compiled versions and compiles the loop itself.

    Examples
    --------
    >>> import numpy as np
    >>> loop = make_step_loop()
    >>> kern = lambda y, z, q, a, eta, d: (y * (3 * z * z - 3), a)
    >>> one = np.ones(3)
    >>> code, t, m, a = loop(kern, 0.0, 0.0, 0.1, 1.0, one, one, one, 2 * one, 0.0, 0.5, False)
    >>> code == LOOP_RUNNING, t, float(m)
    (True, 3, 0.1)
    """
    def loop(kern, eta, dd, m, a, U, G, R, Y, gamma, thr, signed):
        for t in range(U.shape[0]):
            z, q = geometry(m, U[t], G[t], R[t])
            psi, a_next = kern(Y[t], z, q, a, eta, dd)
            m_new, den = update(m, U[t], z, q, psi, gamma)
            if not finite(m_new, den, a_next):
                return LOOP_DIVERGED, t, m_new, a_next
            m, a = m_new, a_next
            if hit(m, thr, signed):
                return LOOP_HIT, t, m, a
        return LOOP_RUNNING, U.shape[0], m, a

    return loop
