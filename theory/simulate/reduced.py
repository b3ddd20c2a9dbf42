"""Reduced engine: the exact overlap chain, O(1) work per step whatever the dimension.

With ``theta = e_1`` and ``w = m e_1 + s v`` (``s = sqrt(1 - m^2)``, ``v`` a unit vector orthogonal to
``e_1``), a fresh ``x ~ N(0, I_d)`` is ``u e_1 + g v + r`` with ``u, g ~ N(0, 1)`` and ``R = ||r||^2 ~
chi^2_{d-2}``, all independent. Then ``z = m u + s g``, ``q = u^2 + g^2 + R - z^2``, and one step is
exactly

    m' = (m + gamma psi (u - z m)) / sqrt(1 + gamma^2 psi^2 q),   (psi, a') = kernel(y, z, q, a),

so ``(m, a)`` is a Markov chain with the same law as the overlap of the full ``d``-dimensional engine
(THEORY.md section 8). The uniform start is ``m0 = u / sqrt(u^2 + chi^2_{d-1})``, the law of the first
coordinate of a uniform point on the sphere.

Speed: runs are processed as vectors; the random numbers of a block of steps are drawn at once per run
(amortising Python overhead), labels ``target(u)`` and ``u^2 + g^2 + R`` are computed for the whole block
vectorised, only the state-dependent part runs step by step, and finished runs leave the active set at
the end of each block. Each run's streams are consumed one fixed record per step (normals
``(u, g[, e][, u'])`` from stream 1 and ``R / 2 ~ Gamma((d - 2) / 2)`` from stream 2), so block sizes
do not affect results.
"""
from __future__ import annotations

import numpy as np

from ._common import (
    STATUS_CENSORED,
    STATUS_DIVERGED,
    STATUS_HIT,
    STREAM_EXTRA,
    STREAM_START,
    STREAM_STEP,
    as_float_array,
    generator,
    initial_hits,
    label_columns,
    resolve_events,
)

__all__ = ["run_reduced", "reduced_increments", "reduced_step", "reduced_start"]

# Target number of (step x run) cells per block: bounds memory (about 7 arrays of this many float64).
BLOCK_CELLS = 1 << 19
MIN_BLOCK = 32
MAX_BLOCK = 4096


def reduced_step(m, a, u, g, Q, y, kernel, gamma, out_m=None, out_den=None):
    """One exact step of the overlap chain, vectorised over runs.

    Parameters
    ----------
    m, a : ndarray
        Current overlap and second layer.
    u, g : ndarray
        Standard normals: the sample's components along ``theta`` and along ``v``.
    Q : ndarray
        ``||x||^2 = u^2 + g^2 + R`` with ``R ~ chi^2_{d-2}``.
    y : ndarray
        Labels.
    kernel : callable
        ``kernel(y, z, q, a) -> (psi, a_next)``.
    gamma : float
    out_m, out_den : ndarray, optional
        Where to write the new overlap and the normaliser ``sqrt(1 + gamma^2 psi^2 q)``.

    Returns
    -------
    m_new, a_next, den : ndarray

    Examples
    --------
    With ``psi = 0`` nothing moves:

    >>> import numpy as np
    >>> one = np.ones(1)
    >>> m, a, den = reduced_step(0.5 * one, one, one, one, 3 * one, one, lambda y, z, q, a: (0 * z, a), 0.1)
    >>> float(m[0]), float(den[0])
    (0.5, 1.0)
    """
    s = m * m
    np.subtract(1.0, s, out=s)
    np.maximum(s, 0.0, out=s)  # guards rounding when |m| is within an ulp of 1
    np.sqrt(s, out=s)
    s *= g
    z = m * u
    z += s
    q = z * z
    np.subtract(Q, q, out=q)
    psi, a_next = kernel(y, z, q, a)
    c = np.multiply(psi, gamma)
    v = z * m
    np.subtract(u, v, out=v)
    v *= c
    v += m
    c *= c
    c *= q
    c += 1.0
    den = np.sqrt(c, out=out_den)
    m_new = np.divide(v, den, out=out_m)
    return m_new, a_next, den


def reduced_start(gen: np.random.Generator, d: int, start: str) -> float:
    """Initial overlap of one run: exact uniform-on-sphere law, or ``d^{-1/2}`` for ``"fixed"``."""
    if start == "fixed":
        return d ** -0.5
    u0 = gen.standard_normal()
    rest = 2.0 * gen.standard_gamma((d - 1) / 2.0)
    return float(u0 / np.sqrt(u0 * u0 + rest))


def _draw_block(gens_step, gens_extra, idx, B, k, half_df):
    """Per-run draws for a block of ``B`` steps, laid out step-major: normals (k, B, n), gamma (B, n)."""
    n = len(idx)
    raw = np.empty((n, B, k))
    for j, i in enumerate(idx):
        gens_step[i].standard_normal(out=raw[j])
    normals = np.ascontiguousarray(raw.transpose(2, 1, 0))
    if half_df > 0:
        rawg = np.empty((n, B))
        for j, i in enumerate(idx):
            gens_extra[i].standard_gamma(half_df, out=rawg[j])
        gam = np.ascontiguousarray(rawg.T)
    else:
        gam = np.zeros((B, n))
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


def run_reduced(model, d, gamma, run_seqs, *, m_thr, signed, max_steps, start, null, block=None):
    """Simulate independent runs of the overlap chain; see :func:`theory.simulate.simulate`.

    Parameters
    ----------
    run_seqs : list of numpy.random.SeedSequence
        One per run; its children 0, 1, 2 feed the start, the per-step normals and ``R``.
    block : int, optional
        Force a block length (testing only: results do not depend on it).

    Returns
    -------
    dict with arrays ``hitting_times``, ``status``, ``steps``, ``final_m``.
    """
    runs = len(run_seqs)
    with_noise, with_null = label_columns(model, null)
    k = 2 + with_noise + with_null
    half_df = (d - 2) / 2.0
    gens_step = [generator(ss, STREAM_STEP) for ss in run_seqs]
    gens_extra = [generator(ss, STREAM_EXTRA) for ss in run_seqs] if half_df > 0 else None

    m0 = np.array([reduced_start(generator(ss, STREAM_START), d, start) for ss in run_seqs], dtype=np.float64)
    hitting = np.full(runs, -1, dtype=np.int64)
    steps = np.zeros(runs, dtype=np.int64)
    status = np.full(runs, STATUS_CENSORED, dtype="<U8")
    final_m = m0.copy()

    done0 = initial_hits(m0, m_thr, signed)
    hitting[done0] = 0
    status[done0] = STATUS_HIT
    active = np.flatnonzero(~done0)
    m = m0[active].copy()
    a = np.full(active.size, float(model.a0))
    t_done = 0
    kernel, target_gamma = model.kernel, float(gamma)

    with np.errstate(all="ignore"):
        while active.size and t_done < max_steps:
            n = active.size
            B = block if block is not None else min(MAX_BLOCK, max(MIN_BLOCK, BLOCK_CELLS // n))
            B = min(B, max_steps - t_done)
            normals, gam = _draw_block(gens_step, gens_extra, active, B, k, half_df)
            U, G = normals[0], normals[1]
            Q = U * U
            Q += G * G
            gam *= 2.0
            Q += gam
            Y = _labels(model, normals, with_noise, with_null)
            M = np.empty((B, n))
            D = np.empty((B, n))
            A = np.empty((B, n))
            shape = (n,)
            for t in range(B):
                _, a, _ = reduced_step(m, a, U[t], G[t], Q[t], Y[t], kernel, target_gamma, out_m=M[t], out_den=D[t])
                a = as_float_array(a, shape)
                A[t] = a
                m = M[t]
            first_hit, first_bad = resolve_events(M, D, A, m_thr, signed, B)
            cols = np.arange(n)
            is_hit = first_hit < np.minimum(first_bad, B)
            is_bad = (first_bad < B) & ~is_hit
            for mask, rows, label in ((is_hit, first_hit, STATUS_HIT), (is_bad, first_bad, STATUS_DIVERGED)):
                if mask.any():
                    runs_idx = active[mask]
                    status[runs_idx] = label
                    steps[runs_idx] = t_done + rows[mask] + 1
                    final_m[runs_idx] = M[rows[mask], cols[mask]]
                    if label == STATUS_HIT:
                        hitting[runs_idx] = t_done + rows[mask] + 1
            t_done += B
            keep = ~(is_hit | is_bad)
            active = active[keep]
            m = M[B - 1, keep].copy()
            a = A[B - 1, keep].copy()
        # whatever is still active ran to max_steps: censored
        steps[active] = t_done
        final_m[active] = m
    return {"hitting_times": hitting, "status": status, "steps": steps, "final_m": final_m}


def reduced_increments(model, d, gamma, m, a, ss, samples, *, null=False, chunk=1 << 16):
    """``samples`` draws of ``m' - m`` for one reduced step from overlap ``m`` and second layer ``a``.

    Streams: child 1 of ``ss`` gives the normals ``(u, g[, e][, u'])`` per sample, child 2 gives ``R / 2``;
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
            Q = U * U + G * G + R
            Y = _labels(model, normals, with_noise, with_null)
            mm = np.full(n, float(m))
            m_new, _, _ = reduced_step(mm, np.full(n, float(a)), U, G, Q, Y, model.kernel, float(gamma))
            out[lo:lo + n] = m_new - mm
    return out
