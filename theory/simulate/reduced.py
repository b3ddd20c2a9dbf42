"""Reduced engine: the exact overlap chain, O(1) work per step whatever the dimension.

With ``theta = e_1`` and ``w = m e_1 + s v`` (``s = sqrt(1 - m^2)``, ``v`` a unit vector orthogonal to
``e_1``), a fresh ``x ~ N(0, I_d)`` is ``u e_1 + g v + r`` with ``u, g ~ N(0, 1)`` and ``R = ||r||^2 ~
chi^2_{d-2}``, all independent. Then ``z = m u + s g``, ``q = ||x||^2 - z^2 = (s u - m g)^2 + R`` (no cancellation), and one step is
exactly

    m' = (m + gamma psi (u - z m)) / sqrt(1 + gamma^2 psi^2 q),   (psi, a') = kernel(y, z, q, a),

(the formula is written once, in ``step.py``), so ``(m, a)`` is a Markov chain with the same law as the overlap of the full ``d``-dimensional engine
(docs/theory.md, section 8). The uniform start is ``m0 = u / sqrt(u^2 + chi^2_{d-1})``, the law of the first
coordinate of a uniform point on the sphere.

Speed: runs are processed as vectors; the random numbers of a block of steps are drawn at once per run
(amortising Python overhead), labels ``target(u)`` and ``u^2 + g^2 + R`` are computed for the whole block
vectorised, only the state-dependent part runs step by step, and finished runs leave the active set at
the end of each block. Each run's two streams are consumed sequentially, one fixed record per step
(normals ``(u, g[, e][, u'])`` from stream 0 and ``R / 2 ~ Gamma((d - 2) / 2)`` from stream 1, after the
start's draws), so block sizes do not affect results.  The streams of a chunk of runs are seeded
together (``streams.run_generators``: the same generators as ``common.generator``'s).

A model whose ``compiled`` kernel is set (and compiles) runs instead one run at a time, at a cost
proportional to the run-steps actually taken, through a numba loop that calls the same step and
event functions on the same records from the same streams, so the hitting times are the same
(``tests/test_kernels.py``):

* when its target also compiles to the same bits (``kernels.compiled_target``: the polynomial
  links, ``relu``, ``abs``), the loop of ``kernels.compiled_run_loop`` draws each step's record
  itself, from the run's two generators, and computes the label: the draws of one step overlap the
  arithmetic of the previous one, and the run costs about its random numbers;
* otherwise the loop of ``kernels.compiled_step_loop`` steps through records drawn by numpy in
  blocks of :data:`RUN_BLOCK` steps, with the labels computed by numpy.
"""
from __future__ import annotations

import numpy as np

from .events import record_events, resolve_events, start_records
from .draws import address, draws_agree
from .kernels import compiled_run_loop, compiled_step_loop, compiled_target
from .streams import run_generators
from .step import LOOP_HIT, LOOP_RUNNING, overlap_geometry, overlap_update
from .common import (
    NO_PROGRESS,
    STATUS_DIVERGED,
    STATUS_HIT,
    STREAM_EXTRA,
    STREAM_STEP,
    as_float_array,
    generator,
    label_columns,
)

__all__ = ["run_reduced", "reduced_increments", "reduced_step", "reduced_start"]

# Target number of (step x run) cells per block: bounds memory (about 7 arrays of this many float64).
BLOCK_CELLS = 1 << 20
MIN_BLOCK = 32
MAX_BLOCK = 4096
TILE = 64  # runs per transpose tile


def reduced_step(m, a, u, g, R, y, kernel, gamma):
    """One exact step of the overlap chain, vectorised over runs.

    Parameters
    ----------
    m, a : ndarray
        Current overlap and second layer.
    u, g : ndarray
        Standard normals: the sample's components along ``theta`` and along ``v``.
    R : ndarray
        ``||r||^2 ~ chi^2_{d-2}``, the squared norm of the sample outside ``span(theta, w)``.
    y : ndarray
        Labels.
    kernel : callable
        ``kernel(y, z, q, a) -> (psi, a_next)``.
    gamma : float

    Returns
    -------
    m_new, a_next, den : ndarray
        The new overlap, the second layer and the normaliser ``sqrt(1 + gamma^2 psi^2 q)``
        (:func:`theory.simulate.step.overlap_geometry` and :func:`~theory.simulate.step.overlap_update`).

    Examples
    --------
    With ``psi = 0`` nothing moves:

    >>> import numpy as np
    >>> one = np.ones(1)
    >>> m, a, den = reduced_step(0.5 * one, one, one, one, one, one, lambda y, z, q, a: (0 * z, a), 0.1)
    >>> float(m[0]), float(den[0])
    (0.5, 1.0)
    """
    z, q = overlap_geometry(m, u, g, R)
    psi, a_next = kernel(y, z, q, a)
    m_new, den = overlap_update(m, u, z, q, psi, gamma)
    return m_new, a_next, den


def reduced_start(gen_normal: np.random.Generator, gen_gamma: np.random.Generator, d: int, start: str) -> float:
    """Initial overlap of one run: exact uniform-on-sphere law, or ``d^{-1/2}`` for ``"fixed"``.

    The uniform start is ``u / sqrt(u^2 + chi^2_{d-1})``: the first coordinate of ``v / ||v||`` with
    ``v ~ N(0, I_d)``. It takes one normal from ``gen_normal`` and one gamma variate from ``gen_gamma``.

    Examples
    --------
    >>> import numpy as np
    >>> reduced_start(None, None, 16, "fixed")
    0.25
    >>> g = np.random.default_rng(0)
    >>> m0 = np.array([reduced_start(g, g, 16, "uniform") for _ in range(4000)])
    >>> bool(abs((m0**2).mean() - 1/16) < 0.005)   # E[m0^2] = 1/d; SE of the mean about 0.0013
    True
    """
    if start == "fixed":
        return d ** -0.5
    u0 = gen_normal.standard_normal()
    rest = 2.0 * gen_gamma.standard_gamma((d - 1) / 2.0)
    if start == "positive":  # the uniform law conditioned on m0 > 0 (the hemisphere of theta)
        u0 = abs(u0)
    return float(u0 / np.sqrt(u0 * u0 + rest))


def _draw_block(gens_step, gens_extra, idx, B, k, half_df):
    """Per-run draws for a block of ``B`` steps, laid out step-major: normals (k, B, n), gamma (B, n).

    Each run fills a contiguous (B, k) record from its own stream; tiles of runs are then transposed
    into the step-major layout (tiling keeps the transpose in cache, several times faster than one
    big strided copy).
    """
    n = len(idx)
    normals = np.empty((k, B, n))
    gam = np.empty((B, n)) if half_df > 0 else np.zeros((B, n))
    T = min(TILE, n)
    tile = np.empty((T, B, k))
    gtile = np.empty((T, B))
    for j0 in range(0, n, T):
        chunk = idx[j0:j0 + T]
        c = len(chunk)
        for jj, i in enumerate(chunk):
            gens_step[i].standard_normal(out=tile[jj])
        normals[:, :, j0:j0 + c] = tile[:c].transpose(2, 1, 0)
        if half_df > 0:
            for jj, i in enumerate(chunk):
                gens_extra[i].standard_gamma(half_df, out=gtile[jj])
            gam[:, j0:j0 + c] = gtile[:c].T
    return normals, gam


def _labels(model, normals, with_noise, with_null):
    col = 2
    if with_noise:
        e = normals[col]
        col += 1
    u_label = normals[col] if with_null else normals[0]
    y = as_float_array(model.target(u_label), u_label.shape)
    if with_noise:
        y = y + model.noise * e
    return y


RUN_BLOCK = 2048  # steps drawn at a time per run on the compiled path


def _run_reduced_compiled(model, fn, loop, d, gamma, run_seqs, *, m_thr, signed, max_steps, start, null,
                          progress=NO_PROGRESS):
    """Same chain, same streams, one run at a time through a compiled loop.

    Each run draws its records exactly as :func:`_draw_block` does (``(B, k)`` normals from stream 0,
    ``B`` gamma variates from stream 1, strictly in order), so the numbers a step sees are the same
    as on the vectorised path; the cost is proportional to the run-steps actually taken.
    """
    eta, dd = model.compiled.eta, model.compiled.d
    with_noise, with_null = label_columns(model, null)
    k = 2 + with_noise + with_null
    half_df = (d - 2) / 2.0
    gens = list(zip(run_generators(run_seqs, STREAM_STEP), run_generators(run_seqs, STREAM_EXTRA)))
    m0 = np.array([reduced_start(gs, gx, d, start) for gs, gx in gens], dtype=np.float64)
    hitting, steps, status, final_m, active = start_records(m0, m_thr, signed)
    progress.runs_done(len(m0) - active.size)
    thr, gam_f = float(m_thr), float(gamma)
    with np.errstate(all="ignore"):
        for i in active:
            gs, gx = gens[i]
            m, a = final_m[i], float(model.a0)
            t = 0
            while t < max_steps:
                B = min(RUN_BLOCK, max_steps - t)
                normals = gs.standard_normal((B, k)).T
                gam = gx.standard_gamma(half_df, B) if half_df > 0 else np.zeros(B)
                U, G = np.ascontiguousarray(normals[0]), np.ascontiguousarray(normals[1])
                R = 2.0 * gam
                Y = np.ascontiguousarray(_labels(model, normals, with_noise, with_null), dtype=np.float64)
                code, row, m, a = loop(fn, eta, dd, m, a, U, G, R, Y, gam_f, thr, signed)
                progress.at_step(t + row)
                if code:
                    steps[i] = t + row + 1
                    status[i] = STATUS_HIT if code == LOOP_HIT else STATUS_DIVERGED
                    if code == LOOP_HIT:
                        hitting[i] = t + row + 1
                    break
                t += B
            else:
                steps[i] = t
            final_m[i] = m
            progress.runs_done(1)
    return {"hitting_times": hitting, "status": status, "steps": steps, "final_m": final_m}


RUN_CALL = 1 << 16  # steps per call of the run loop: progress is reported (and Ctrl-C seen) between calls


def _run_reduced_drawing(model, loop, d, gamma, run_seqs, *, m_thr, signed, max_steps, start, null,
                         progress=NO_PROGRESS):
    """Same chain, same streams, one run at a time through the compiled loop that draws its records.

    The loop draws each step's record from the run's generators in the order :func:`_draw_block`
    lays them out (normals ``(u, g[, e][, u'])`` from stream 0, then ``R / 2`` from stream 1) and
    computes the label with the target compiled to the same bits; so a step sees the numbers it
    sees on the other paths.  It is called for at most :data:`RUN_CALL` steps at a time, with the
    addresses of the generators, which ``gens`` keeps alive.
    """
    eta, dd = model.compiled.eta, model.compiled.d
    with_noise, with_null = label_columns(model, null)
    half_df = (d - 2) / 2.0
    gens = list(zip(run_generators(run_seqs, STREAM_STEP), run_generators(run_seqs, STREAM_EXTRA)))
    m0 = np.array([reduced_start(gs, gx, d, start) for gs, gx in gens], dtype=np.float64)
    hitting, steps, status, final_m, active = start_records(m0, m_thr, signed)
    progress.runs_done(len(m0) - active.size)
    thr, gam_f, noise, a0 = float(m_thr), float(gamma), float(model.noise), float(model.a0)
    for i in active:
        at_step, at_extra = address(gens[i][0]), address(gens[i][1])
        m, a, t, code = final_m[i], a0, 0, LOOP_RUNNING
        while t < max_steps:
            n = min(RUN_CALL, max_steps - t)
            code, row, m, a = loop(eta, dd, m, a, n, gam_f, thr, signed, at_step, at_extra, half_df, with_noise,
                                   with_null, noise)
            progress.at_step(t + row)
            if code:
                t += row + 1
                break
            t += n
        steps[i] = t
        if code:
            status[i] = STATUS_HIT if code == LOOP_HIT else STATUS_DIVERGED
            if code == LOOP_HIT:
                hitting[i] = t
        final_m[i] = m
        progress.runs_done(1)
    return {"hitting_times": hitting, "status": status, "steps": steps, "final_m": final_m}


def run_reduced(model, d, gamma, run_seqs, *, m_thr, signed, max_steps, start, null, block=None,
                progress=NO_PROGRESS):
    """Simulate independent runs of the overlap chain; see :func:`theory.simulate.simulate`.

    Parameters
    ----------
    run_seqs : list of numpy.random.SeedSequence
        One per run; its child 0 feeds the normals (start, then ``(u, g[, e][, u'])`` per step), child 1
        the gamma variates (start's ``chi^2_{d-1} / 2``, then ``R / 2`` per step).
    block : int, optional
        Force a block length of the vectorised path (testing only: results do not depend on it);
        without it, a model with a ``compiled`` kernel runs a compiled per-run loop (module docstring).
    progress : Progress, optional
        Told when runs stop and how far the active runs are.

    Returns
    -------
    dict with arrays ``hitting_times``, ``status``, ``steps``, ``final_m``.
    """
    if model.compiled is not None and block is None:
        fn, loop = model.compiled.function(), compiled_step_loop()
        if fn is not None and loop is not None:  # else: warned once, the vectorised path below
            options = dict(m_thr=m_thr, signed=signed, max_steps=max_steps, start=start, null=null, progress=progress)
            label = compiled_target(model.target)
            run_loop = compiled_run_loop(fn, label) if label is not None and draws_agree((d - 2) / 2.0) else None
            if run_loop is not None:
                return _run_reduced_drawing(model, run_loop, d, gamma, run_seqs, **options)
            return _run_reduced_compiled(model, fn, loop, d, gamma, run_seqs, **options)
    with_noise, with_null = label_columns(model, null)
    k = 2 + with_noise + with_null
    half_df = (d - 2) / 2.0
    gens_step = run_generators(run_seqs, STREAM_STEP)
    gens_extra = run_generators(run_seqs, STREAM_EXTRA)
    m0 = np.array([reduced_start(gs, gx, d, start) for gs, gx in zip(gens_step, gens_extra)], dtype=np.float64)
    hitting, steps, status, final_m, active = start_records(m0, m_thr, signed)
    progress.runs_done(len(m0) - active.size)
    m = m0[active].copy()
    a = np.full(active.size, float(model.a0))
    t_done = 0
    kernel, step_gamma = model.kernel, float(gamma)

    with np.errstate(all="ignore"):
        while active.size and t_done < max_steps:
            n = active.size
            B = block if block is not None else min(MAX_BLOCK, max(MIN_BLOCK, BLOCK_CELLS // n))
            B = min(B, max_steps - t_done)
            normals, gam = _draw_block(gens_step, gens_extra, active, B, k, half_df)
            U, G = normals[0], normals[1]
            gam *= 2.0  # R = ||r||^2 = 2 Gamma((d-2)/2)
            Y = _labels(model, normals, with_noise, with_null)
            M = np.empty((B, n))
            D = np.empty((B, n))
            A = np.empty((B, n))
            for u, g, Rt, y, m_row, d_row, a_row in zip(U, G, gam, Y, M, D, A):
                m_row[...], a_row[...], d_row[...] = reduced_step(m, a, u, g, Rt, y, kernel, step_gamma)
                m, a = m_row, a_row
            first_hit, first_bad = resolve_events(M, D, A, m_thr, signed, B)
            keep = record_events(M, first_hit, first_bad, B, active, t_done, status, steps, final_m, hitting)
            t_done += B
            progress.runs_done(active.size - int(keep.sum()))
            progress.at_step(t_done)
            active = active[keep]
            m = M[B - 1, keep].copy()
            a = A[B - 1, keep].copy()
        # whatever is still active ran to max_steps: censored
        steps[active] = t_done
        final_m[active] = m
        progress.runs_done(active.size)
    return {"hitting_times": hitting, "status": status, "steps": steps, "final_m": final_m}


def reduced_increments(model, d, gamma, m, a, ss, samples, *, null=False, chunk=1 << 16):
    """``samples`` draws of ``m' - m`` for one reduced step from overlap ``m`` and second layer ``a``.

    Streams: child 0 of ``ss`` gives the normals ``(u, g[, e][, u'])`` per sample, child 1 gives ``R / 2``;
    both are consumed sequentially, so ``chunk`` does not affect the output.
    """
    with_noise, with_null = label_columns(model, null)
    k = 2 + with_noise + with_null
    half_df = (d - 2) / 2.0
    g_step = generator(ss, STREAM_STEP)
    g_extra = generator(ss, STREAM_EXTRA)
    out = np.empty(samples)
    with np.errstate(all="ignore"):
        for lo in range(0, samples, chunk):
            n = min(chunk, samples - lo)
            normals = np.ascontiguousarray(g_step.standard_normal((n, k)).T)
            R = 2.0 * g_extra.standard_gamma(half_df, n) if half_df > 0 else np.zeros(n)
            U, G = normals[0], normals[1]
            Y = _labels(model, normals, with_noise, with_null)
            mm = np.full(n, float(m))
            m_new, _, _ = reduced_step(mm, np.full(n, float(a)), U, G, R, Y, model.kernel, float(gamma))
            out[lo:lo + n] = m_new - mm
    return out
