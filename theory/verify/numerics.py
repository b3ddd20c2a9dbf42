"""Numeric tasks of a verification that are not simulation: the diffusion's mean hitting time and
the one-step drift's negative trap at one point.  Top-level functions of plain arguments, so a
process pool or a dask cluster can run them (:func:`theory.simulate.sweep.run_tasks`).
"""
from __future__ import annotations

import numpy as np

from theory.diffusion import hitting_time_profile, one_step_moments, stable_zeros
from theory.simulate.cases import model_for

__all__ = ["diffusion_point", "diffusion_summary", "one_step_trap"]


def diffusion_point(case: dict, d: int, eta: float, gamma: float, m_thr: float, signed: bool, start: str) -> float:
    """The diffusion's mean hitting time of one point (``nan`` when the numerics fail; a worker task).

    Examples
    --------
    >>> case = {"rule": "online", "loss": "correlation", "target": "h3", "student": "h3", "a": 1.0,
    ...         "order": None, "keep_a": False, "psi": None, "noise": 0.0}
    >>> 1000 < diffusion_point(case, 30, 0.0, 0.002, 0.5, False, "uniform") < 10000
    True
    """
    return diffusion_summary(case, d, eta, gamma, m_thr, signed, start)[0]


def diffusion_summary(case: dict, d: int, eta: float, gamma: float, m_thr: float, signed: bool,
                      start: str) -> tuple:
    """``(mean, stable zeros)`` of the diffusion at one point (a worker task).

    The mean hitting time (``nan`` when the numerics fail) and the overlaps where the exact
    one-step drift has a stable zero inside the solve interval
    (:meth:`theory.diffusion.HittingTimeProfile.stable_zeros`; empty on failure).

    Examples
    --------
    >>> case = {"rule": "online", "loss": "correlation", "target": "h3", "student": "h3", "a": 1.0,
    ...         "order": None, "keep_a": False, "psi": None, "noise": 0.0}
    >>> mean, zeros = diffusion_summary(case, 30, 0.0, 0.002, 0.5, False, "uniform")
    >>> 1000 < mean < 10000, [round(m, 2) for m in zeros]
    (True, [-0.05])
    """
    model = model_for(case, eta, d)
    try:
        prof = hitting_time_profile(model.target, model.kernel, d=d, gamma=gamma, m_thr=m_thr, noise=model.noise,
                                    a0=model.a0, signed=signed, start=start)
        return float(prof.mean), prof.stable_zeros()
    except (ArithmeticError, ValueError, np.linalg.LinAlgError):  # numeric failure: reported as no mean
        return float("nan"), []


def one_step_trap(case: dict, d: int, m_thr: float, eta: float, gamma: float):
    """Stable zero in (-m_thr, 0) of the exact one-step drift E[m' - m] at this gamma (numeric; a worker task)."""
    model = model_for(case, eta, d)
    grid = np.linspace(-m_thr, 0.0, 101)[1:-1]
    b = np.asarray(one_step_moments(model.target, model.kernel, d=d, gamma=gamma, m_grid=grid,
                                    noise=model.noise, a0=model.a0)[0])
    zeros = stable_zeros(grid, b)
    return zeros[0] if zeros else None
