"""Named sizes of a verification: ``default``, ``quick`` and ``large``.

``large`` is the phase transition in raw sample counts.  At ``d = 50`` the large learning rate
does not win in raw samples: ``T`` pays ``E[psi_eta^2]`` through the stable step size, and for
the headline case ``E[psi^2] = 3 (2883 eta^2 + 1)`` grows faster than the theorem's
``eta^-2`` gain until ``d`` is a few thousand.  The profile finds, from the finite-``d``
prediction alone (the diffusion's mean hitting time at the theorem's step size, before any
simulation), the smallest ``d`` of :data:`TRANSITION_GRID` at which the best large-``eta`` mean
is at least :data:`TRANSITION_FACTOR` times below the small-``eta`` mean, and sweeps ``eta`` over
four decades there, with every threshold sweep from ``d = 50`` up to it.  Runs per point drop
from 100 to 80 (null controls from 40 to 10) at ``d >= 1000``, where one run costs ``~2 d^2``
steps at small ``eta``.  (With 40, up to 15 runs of a point next to the crossing at ``d = 1600``
were trapped, so 8% of the bootstrap's resamples had an infinite median there and the
threshold slope's SE was not measurable over ``d >= 1600``.)  No tuned-``gamma`` table.
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from theory.predict import Prediction, predict, step_size
from theory.simulate.cases import rule_for
from theory.simulate.sweep import run_tasks
from theory.verify.config import DEFAULT, QUICK, VerifyConfig, VerifyError
from theory.verify.numerics import diffusion_point
from theory.verify.plan import Plan, PlanConstants, eta_max, eta_star
from theory.verify.records import find_point, median, point_key

__all__ = ["PROFILES", "profile_config", "transition_table", "simulated_transition", "TRANSITION_FACTOR",
           "TRANSITION_GRID"]

PROFILES = ("default", "quick", "large")
#: The raw-sample win the large profile looks for: best large-``eta`` mean ``T`` this many times
#: below the small-``eta`` mean.
TRANSITION_FACTOR = 10.0
#: The dimensions searched for that win (the profile simulates at the first that reaches it).
TRANSITION_GRID = (400, 800, 1200, 1600, 2400, 3200, 4800, 6400)
#: The large profile's threshold sweeps below the transition dimension.
LARGE_THRESHOLD_DS = (50, 100, 200, 400, 800, 1600)


def transition_table(cfg: VerifyConfig, pred: Prediction, ds=TRANSITION_GRID, executor=None) -> list:
    """Per ``d``: the diffusion's mean ``T`` at small ``eta`` and at the best large ``eta``, and their ratio.

    Small ``eta`` is ``eta*(d) / 16`` (the sweeps' first point, on the plateau); large ``eta``
    runs over the sweeps' grid ``eta*(d) 2^k`` for ``k >= 2`` (two octaves above the crossing) up
    to the largest admissible ``eta``.  Every mean is at the theorem's step size with
    ``cfg.kappa``: the finite-``d`` prediction with its constants.

    Parameters
    ----------
    cfg : VerifyConfig
        The case and ``kappa``, ``m_thr``, start.
    pred : Prediction
        Its prediction (must have a crossing at every ``d``).
    ds : sequence of int
        Dimensions.
    executor : concurrent.futures.Executor, optional
        Spreads the diffusion solves over workers.

    Returns
    -------
    list of dict
        ``{"d", "eta_small", "mean_small", "eta_best", "mean_best", "ratio"}`` (numeric), for the
        dimensions of ``ds`` at which the prediction has a crossing.
    """
    c = PlanConstants()
    jobs, index = [], []
    ds = [d for d in ds if eta_star(pred, d) is not None]  # no crossing at d: no transition to look for there
    for d in ds:
        star = eta_star(pred, d)
        top = eta_max(pred, d) or star * 16
        etas = [star * 2.0 ** c.sweep_octaves[0]]
        k = 2
        while star * 2.0**k < top:
            etas.append(star * 2.0**k)
            k += 1
        etas.append(top)
        for e in etas:
            jobs.append((cfg.case(), d, e, step_size(pred, d, e, cfg.kappa).gamma, cfg.m_thr, cfg.signed, cfg.start))
            index.append((d, e))
    values = run_tasks(diffusion_point, jobs, executor)
    rows = []
    for d in ds:
        got = [(e, v) for (dd, e), v in zip(index, values) if dd == d]
        (e0, small), large = got[0], [g for g in got[1:] if math.isfinite(g[1])]
        e_best, best = min(large, key=lambda g: g[1]) if large else (float("nan"), float("nan"))
        rows.append({"d": d, "eta_small": e0, "mean_small": small, "eta_best": e_best, "mean_best": best,
                     "ratio": small / best if best > 0 else float("nan")})
    return rows


def profile_config(name: str, base: VerifyConfig | None = None, executor=None,
                   grid=TRANSITION_GRID) -> tuple[VerifyConfig, list | None]:
    """The configuration of profile ``name`` for the case of ``base``, and (large) its transition table.

    ``default`` and ``quick`` are :data:`~theory.verify.config.DEFAULT` and
    :data:`~theory.verify.config.QUICK` sizes; ``large`` is described in the module docstring
    (``grid``: the dimensions it searches, default :data:`TRANSITION_GRID`).
    The case fields (rule, target, loss, ...) and the seed come from ``base``.

    Examples
    --------
    >>> profile_config("quick")[0].runs
    48
    >>> profile_config("huge")
    Traceback (most recent call last):
    ...
    theory.verify.config.VerifyError: --profile 'huge': the profiles are default, quick, large
    """
    if name not in PROFILES:
        raise VerifyError(f"--profile {name!r}: the profiles are {', '.join(PROFILES)}")
    base = base or DEFAULT
    case = {k: getattr(base, k) for k in ("rule", "target", "student", "loss", "a", "order", "keep_a", "psi",
                                          "noise", "seed", "kappa", "m_thr", "signed", "start", "engine", "depth")}
    if name == "default":
        return replace(DEFAULT, **case), None
    if name == "quick":
        return replace(QUICK, **case), None
    cfg = replace(DEFAULT, **case, tune=False, diffusion=True, fewer_runs_from_d=1000, fewer_runs=80)
    pred = predict(rule_for(cfg.case()))
    table = transition_table(cfg, pred, ds=grid, executor=executor)
    reached = [r["d"] for r in table if r["ratio"] >= TRANSITION_FACTOR]
    if not table:
        raise VerifyError(f"the prediction for {pred.rule.label} has no crossing at d = {', '.join(map(str, grid))}: "
                          f"no raw-sample transition in the learning rate to show")
    if not reached:
        raise VerifyError(f"the finite-d prediction reaches a {TRANSITION_FACTOR:g}x raw-sample win of large over "
                          f"small eta at no d up to {max(grid)} (best ratio "
                          f"{max(r['ratio'] for r in table):.3g}); the large profile has nothing to show for this case")
    d_star = reached[0]
    ds = tuple(d for d in LARGE_THRESHOLD_DS if d < d_star) + (d_star,)
    return replace(cfg, ds_scaling=ds, ds_threshold=ds, fig_d=d_star), table


def simulated_transition(plan: Plan, groups: dict, predicted: list) -> list:
    """The predicted raw-sample ratio small/best-large ``eta`` per ``d``, and the simulated one where swept.

    Simulated: the median (and mean) ``T`` at the sweep's first ``eta`` (``eta*/16``) over the
    smallest median among its points with ``eta >= 4 eta*`` (two octaves above the crossing).

    Parameters
    ----------
    plan : Plan
        The verification's plan (its sweeps).
    groups : dict
        ``point_key -> hitting times`` of the signal points.
    predicted : list
        :func:`transition_table` rows.

    Returns
    -------
    list of dict
        The predicted rows with ``sim_median_small``, ``sim_median_best``, ``eta_best_sim``,
        ``sim_ratio_median`` and ``sim_ratio_mean`` (``None`` where ``d`` was not swept).
    """
    rows = []
    for r in predicted:
        row = dict(r, sim_median_small=None, sim_median_best=None, eta_best_sim=None, sim_ratio_median=None,
                   sim_ratio_mean=None)
        d = r["d"]
        if d in plan.sweep_etas:
            star = eta_star(plan.pred, d)
            pts = [find_point(plan.points, d, e, "sweep") for e in plan.sweep_etas[d]]
            t = {p["eta"]: groups[point_key(p)] for p in pts}
            small = t[pts[0]["eta"]]
            large = {e: x for e, x in t.items() if e >= 4 * star * (1 - 1e-9)}
            e_best = min(large, key=lambda e: median(large[e]))
            mean = (lambda x: float(x.mean()) if np.all(np.isfinite(x)) else float("nan"))
            row.update(sim_median_small=median(small), sim_median_best=median(large[e_best]), eta_best_sim=e_best,
                       sim_ratio_median=median(small) / median(large[e_best]),
                       sim_ratio_mean=mean(small) / mean(large[e_best]))
        rows.append(row)
    return rows
