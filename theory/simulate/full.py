"""Full engine: the reference ``d``-dimensional simulation, one fresh Gaussian sample per step per run.

The first layer of every run is stored explicitly (an array of shape ``(runs, d)``), ``theta = e_1`` so the
overlap is ``w[:, 0]``, and each step does exactly what the algorithm does in ``d`` dimensions:

    z = <w, x>,  q = ||x||^2 - z^2,  (psi, a') = kernel(y, z, q, a),  w <- normalise(w + gamma psi (x - z w)).

Runs are vectorised in chunks (bounded memory), samples for a block of steps are drawn per run at once,
and each run's streams are consumed sequentially, one fixed record per step (the start, then ``x``
from stream 0; ``(e[, u'])`` from stream 1), so chunk and block sizes do not change results.
"""
from __future__ import annotations

import numpy as np

from .events import record_events, resolve_events, start_records
from .common import (
    NO_PROGRESS,
    STREAM_EXTRA,
    STREAM_STEP,
    as_float_array,
    generator,
    label_columns,
)

__all__ = ["run_full", "full_increments", "full_step", "full_start"]

CHUNK_CELLS = 1 << 20   # runs x d per vectorised chunk
BLOCK_CELLS = 1 << 21   # runs x steps x d drawn at once
MAX_BLOCK = 256


def full_step(W, X, y, a, kernel, gamma):
    """One step of the full algorithm for a stack of runs.

    Parameters
    ----------
    W : ndarray, shape (n, d)
        Unit first-layer vectors (updated in place).
    X : ndarray, shape (n, d)
        Fresh samples.
    y, a : ndarray, shape (n,)
        Labels and current second layers.

    Returns
    -------
    a_next : ndarray
    norm : ndarray
        ``||w + gamma psi (x - z w)||`` before normalising (``inf`` on overflow).

    Examples
    --------
    >>> import numpy as np
    >>> W = np.array([[1.0, 0.0]]); X = np.array([[0.0, 2.0]])
    >>> a, nrm = full_step(W, X, np.ones(1), np.ones(1), lambda y, z, q, a: (y, a), 0.5)
    >>> W.round(6).tolist(), float(nrm[0])
    ([[0.707107, 0.707107]], 1.4142135623730951)
    """
    z = np.einsum("ij,ij->i", W, X)
    step = X - z[:, None] * W  # P_w^perp x
    q = np.einsum("ij,ij->i", step, step)  # ||x||^2 - z^2 without cancellation
    psi, a_next = kernel(y, z, q, a)
    c = np.multiply(psi, gamma)
    step *= np.reshape(c, (-1, 1)) if np.ndim(c) else c
    W += step
    norm = np.sqrt(np.einsum("ij,ij->i", W, W))
    W /= norm[:, None]
    return a_next, norm


def full_start(gen: np.random.Generator, d: int, start: str) -> np.ndarray:
    """Initial first layer: uniform on the sphere (``"positive"``: reflected into the hemisphere of
    ``theta``, i.e. conditioned on ``m0 > 0``), or ``m0 = d^{-1/2}`` with a uniform orthogonal rest."""
    if start == "fixed":
        m0 = d ** -0.5
        r = gen.standard_normal(d - 1)
        return np.concatenate(([m0], np.sqrt(1.0 - m0 * m0) * r / np.linalg.norm(r)))
    v = gen.standard_normal(d)
    if start == "positive":
        v[0] = abs(v[0])
    return v / np.linalg.norm(v)


def _labels(model, X, E, with_noise, with_null):
    """Labels for a block: ``X`` (n, B, d), ``E`` (n, B, k') extra normals ``(e[, u'])``."""
    u = E[..., int(with_noise)] if with_null else X[..., 0]
    y = as_float_array(model.target(u), u.shape)
    if with_noise:
        y = y + model.noise * E[..., 0]
    return y


def _run_chunk(model, d, gamma, seqs, m_thr, signed, max_steps, start, null, block, progress=NO_PROGRESS):
    with_noise, with_null = label_columns(model, null)
    k_extra = with_noise + with_null
    gens_step = [generator(ss, STREAM_STEP) for ss in seqs]
    gens_extra = [generator(ss, STREAM_EXTRA) for ss in seqs] if k_extra else None
    W0 = np.array([full_start(g, d, start) for g in gens_step])
    m0 = W0[:, 0].copy()

    hitting, steps, status, final_m, active = start_records(m0, m_thr, signed)
    progress.runs_done(len(m0) - active.size)
    W = W0[active].copy()
    a = np.full(active.size, float(model.a0))
    t_done = 0
    while active.size and t_done < max_steps:
        n = active.size
        B = block if block is not None else min(MAX_BLOCK, max(1, BLOCK_CELLS // (n * d)))
        B = min(B, max_steps - t_done)
        X = np.empty((n, B, d))
        for j, i in enumerate(active):
            gens_step[i].standard_normal(out=X[j])
        E = None
        if k_extra:
            E = np.empty((n, B, k_extra))
            for j, i in enumerate(active):
                gens_extra[i].standard_normal(out=E[j])
        Y = np.ascontiguousarray(_labels(model, X, E, with_noise, with_null).T)
        M = np.empty((B, n))
        D = np.empty((B, n))
        A = np.empty((B, n))
        for t in range(B):
            a, D[t] = full_step(W, X[:, t, :], Y[t], a, model.kernel, gamma)
            a = as_float_array(a, (n,))
            A[t] = a
            M[t] = W[:, 0]
        first_hit, first_bad = resolve_events(M, D, A, m_thr, signed, B)
        keep = record_events(M, first_hit, first_bad, B, active, t_done, status, steps, final_m, hitting)
        t_done += B
        progress.runs_done(active.size - int(keep.sum()))
        progress.at_step(t_done)
        active = active[keep]
        W = W[keep]
        a = A[B - 1, keep].copy()
    steps[active] = t_done
    final_m[active] = W[:, 0]
    progress.runs_done(active.size)
    return hitting, status, steps, final_m


def run_full(model, d, gamma, run_seqs, *, m_thr, signed, max_steps, start, null, block=None, chunk=None,
             progress=NO_PROGRESS):
    """Simulate independent runs in ``d`` dimensions; see :func:`theory.simulate.simulate`.

    Parameters
    ----------
    run_seqs : list of numpy.random.SeedSequence
        One per run; its child 0 feeds the normals of the start and then ``x`` (``d`` per step), child 1
        the extra normals ``(e[, u'])`` per step.
    block, chunk : int, optional
        Force the block length / number of runs vectorised together (testing only: results do not
        depend on them).

    Returns
    -------
    dict with arrays ``hitting_times``, ``status``, ``steps``, ``final_m``.
    """
    runs = len(run_seqs)
    C = chunk if chunk is not None else max(1, min(runs, CHUNK_CELLS // d))
    parts = []
    with np.errstate(all="ignore"):
        for lo in range(0, runs, C):
            parts.append(_run_chunk(model, d, float(gamma), run_seqs[lo:lo + C], m_thr, signed, max_steps,
                                    start, null, block, progress))
    hitting, status, steps, final_m = (np.concatenate(p) for p in zip(*parts))
    return {"hitting_times": hitting, "status": status, "steps": steps, "final_m": final_m}


def full_increments(model, d, gamma, m, a, ss, samples, *, null=False, chunk=None):
    """``samples`` draws of ``m' - m`` for one full step from ``w = m e_1 + sqrt(1 - m^2) e_2``.

    Streams: child 0 of ``ss`` gives ``x`` (``d`` normals per sample), child 1 the extra normals
    ``(e[, u'])``; both consumed sequentially, so ``chunk`` does not affect the output.
    """
    with_noise, with_null = label_columns(model, null)
    k_extra = with_noise + with_null
    g_step = generator(ss, STREAM_STEP)
    g_extra = generator(ss, STREAM_EXTRA)
    C = chunk if chunk is not None else max(1, CHUNK_CELLS // d)
    w = np.zeros(d)
    w[0], w[1] = m, np.sqrt(max(0.0, 1.0 - m * m))
    out = np.empty(samples)
    with np.errstate(all="ignore"):
        for lo in range(0, samples, C):
            n = min(C, samples - lo)
            X = g_step.standard_normal((n, d))
            E = g_extra.standard_normal((n, k_extra)) if k_extra else None
            Y = _labels(model, X, E, with_noise, with_null)
            W = np.tile(w, (n, 1))
            full_step(W, X, Y, np.full(n, float(a)), model.kernel, float(gamma))
            out[lo:lo + n] = W[:, 0] - m
    return out
