"""The exact overlap step and its two events, written once for every path that runs them.

One step of the reduced chain (docs/theory.md, section 8) from overlap ``m`` on the sample
``(u, g, R)`` is

    z = m u + s g,   q = (s u - m g)^2 + R,   s = sqrt(1 - m^2),
    (psi, a') = kernel(y, z, q, a),
    m' = (m + gamma psi (u - z m)) / den,   den = sqrt(1 + gamma^2 psi^2 q),

and after it a run has *diverged* when ``m'``, ``den`` or ``a'`` is not finite, and has *hit* when
``m' >= m_thr`` (or ``|m'| >= m_thr`` when unsigned).

The functions here are plain arithmetic on numpy ufuncs, so the same source serves every path:
numpy broadcasts them over the runs of a block (the vectorised path of ``reduced.py``, and the
event tests of both engines), and numba compiles them, with :func:`make_step_loop` and
:func:`make_run_loop`, into the per-run loops of the compiled paths (``kernels.compiled_step_loop``,
``kernels.compiled_run_loop``).  All paths perform the same IEEE operations in the same order, so
given the same kernel values they give the same bits.

A step's random record is, in order, the normals ``u, g`` (then ``e``, the label noise, when the
model has noise, then ``u'``, the null input, for a null control) from a run's stream 0, and one
``R / 2 ~ Gamma((d - 2) / 2)`` from its stream 1 (none when ``d = 2``, where ``R = 0``); the label is
``y = target(u) + noise e`` (``target(u')`` for a null control).  :func:`make_step_loop` reads
these from arrays drawn in blocks; :func:`make_run_loop` draws them one step at a time from the two
generators themselves, the same numbers in the same order.

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

__all__ = ["overlap_geometry", "overlap_update", "step_is_finite", "reached", "make_step_loop", "make_run_loop",
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


def _same_generator(generator):
    return generator


def make_run_loop(kern, label, geometry=overlap_geometry, update=overlap_update, finite=step_is_finite, hit=reached,
                  stream=_same_generator):
    """The per-run loop that draws each step's record itself, for the scalar kernel and label given.

    The loop ``loop(eta, d, m, a, steps, gamma, thr, signed, normals, extra, half_df, with_noise,
    with_null, noise)`` runs up to ``steps`` steps of one run: each step draws its record (module
    docstring) from the generators ``stream(normals)`` (stream 0) and ``stream(extra)`` (stream 1),
    forms the label ``y = label(u) (+ noise e)``, and then does exactly what
    :func:`make_step_loop`'s loop does with that record and ``kern(y, z, q, a, eta, d)``.  It
    returns ``(code, t, m, a)`` as that loop does, ``t = steps`` when the run went through.  A
    run's numbers are those of :func:`make_step_loop` fed with the same records, whatever
    ``steps`` is: the generators are consumed strictly in order, and a call stops drawing at its
    last step.

    ``kernels.compiled_run_loop`` compiles it with numba, passing for ``stream`` the function that
    opens a generator from its address (``draws.generator_at``); there the draws of one step and
    the arithmetic of the previous one are independent, so the processor overlaps them and the loop
    costs little more than its random numbers.  With the defaults (Python functions, generators
    passed as they are) it runs in Python.

    Examples
    --------
    >>> import numpy as np
    >>> loop = make_run_loop(lambda y, z, q, a, eta, d: (y * (3 * z * z - 3), a), lambda u: u)
    >>> g0, g1 = np.random.default_rng(0), np.random.default_rng(1)
    >>> code, t, m, a = loop(0.0, 0.0, 0.1, 1.0, 5, 0.0, 0.5, False, g0, g1, 1.5, False, False, 0.0)
    >>> code == LOOP_RUNNING, t, float(m)
    (True, 5, 0.1)
    >>> bool(g0.standard_normal() == np.random.default_rng(0).standard_normal(11)[10])  # 2 normals a step
    True
    """
    def loop(eta, dd, m, a, steps, gamma, thr, signed, normals, extra, half_df, with_noise, with_null, noise):
        gen_n, gen_x = stream(normals), stream(extra)
        for t in range(steps):
            u = gen_n.standard_normal()
            g = gen_n.standard_normal()
            e = gen_n.standard_normal() if with_noise else 0.0
            u_label = gen_n.standard_normal() if with_null else u
            R = 2.0 * gen_x.standard_gamma(half_df) if half_df > 0 else 0.0
            y = float(label(u_label))
            if with_noise:
                y = y + noise * e
            z, q = geometry(m, u, g, R)
            psi, a_next = kern(y, z, q, a, eta, dd)
            m_new, den = update(m, u, z, q, psi, gamma)
            if not finite(m_new, den, a_next):
                return LOOP_DIVERGED, t, m_new, a_next
            m, a = m_new, a_next
            if hit(m, thr, signed):
                return LOOP_HIT, t, m, a
        return LOOP_RUNNING, steps, m, a

    return loop
