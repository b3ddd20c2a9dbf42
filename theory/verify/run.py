"""Running a verification: the output folder, the sweeps, the claims from the plan, the report.

:func:`verify` is the orchestration: plan (:mod:`theory.verify.plan`), run the signal and null
sweeps, evaluate the claims (:mod:`theory.verify.claims`), add the informational tables, draw
the figure and write ``report.json`` (:mod:`theory.verify.report`).
"""
from __future__ import annotations

import json
import math
import os
import threading
from pathlib import Path

import numpy as np

from theory._io import atomic_write
from theory.predict import negative_traps, predict, step_size, theorem_time
from theory.simulate.cases import check_records, rule_for, simulate_point
from theory.simulate.sweep import TaskBatch, read_regular_file, run_sweep
from theory.verify.claims import (Bootstrap, ConstantsClaim, NullControlClaim, NullControls, ScalingClaim, Sweep,
                                  ThresholdClaim, WindowSlopeClaim, skip)
from theory.verify.config import (CONFIG_FILE, CONFIG_FORMAT, DEFAULT, MAX_STEPS_PER_RUN, NULL_FACTOR, VerifyConfig,
                                  VerifyError, config_dict, config_hash, default_out_dir)
from theory.verify.numerics import diffusion_summary, one_step_trap
from theory.verify.plan import Plan, eta_star, is_numeric, make_plan, side_slopes, theorem_window_slope
from theory.verify.profiles import simulated_transition
from theory.verify.records import dedupe, find_point, group, median, point_key
from theory.verify.report import SweepCurve, VerifyReport, VerifyTables, describe

__all__ = ["verify", "assess", "prepare_out"]


def verify(cfg: VerifyConfig = DEFAULT, *, out_dir=None, executor=None, resume=False, progress=True,
           plot=True, transition=None) -> VerifyReport:
    """Check every claim the theorem's prediction implies for ``cfg`` against simulation.

    The claims are the small- and large-``eta`` exponents, and for each threshold inside the valid
    range its scaling in ``d`` and the slopes on either side, plus the null control (see
    :mod:`theory.verify`).  A claim that cannot be measured at these sizes is a counted SKIP with
    its reason, and the verdict is then ``"incomplete"``, never ``"pass"``.

    Parameters
    ----------
    cfg : VerifyConfig
        The case and the sizes (default :data:`DEFAULT`, the headline case).
    out_dir : str or path, optional
        Folder for records, ``report.json`` and ``figure1.png`` (default :func:`default_out_dir`,
        one folder per configuration); a folder that holds another configuration is refused.
    executor : concurrent.futures.Executor, optional
        Runs the sweeps' points (default: one worker process per core).
    resume : bool
        Reuse saved points after :func:`theory.simulate.cases.check_records` accepts them; the
        others are recomputed and listed in ``report.resume``.
    progress : bool
        Show the sweeps' progress on stderr.
    plot : bool
        Draw Figure 1 (which also sweeps ``cfg.fig_d``).
    transition : list, optional
        The predicted raw-sample transition (:func:`theory.verify.profiles.transition_table`):
        reported beside the simulated ratio of small- to large-``eta`` medians at every swept ``d``.

    Returns
    -------
    VerifyReport
        Claims, tables, the verdict, and the paths of the figure and the records.

    Raises
    ------
    VerifyError
        The theorem predicts no recovery, or the output folder cannot be used.

    Examples
    --------
    A tiny online run (no threshold, so only the exponent and the null control are implied):

    >>> import tempfile
    >>> from dataclasses import replace
    >>> from theory.verify import QUICK
    >>> tiny = replace(QUICK, rule="online", ds_scaling=(16, 24, 32), ds_threshold=(16, 24, 32), fig_d=24,
    ...                runs=10, null_runs=10, bootstrap=50)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     report = verify(tiny, out_dir=tmp, progress=False, plot=False)
    >>> [c.name for c in report.claims]
    ['small-eta exponent of T in d', 'null control (signal 4x faster than null)']
    """
    rule = rule_for(cfg.case())
    pred = predict(rule)
    if not pred.pieces:
        raise VerifyError(f"the theorem predicts no recovery for {rule.label}: no mu_i is positive")
    out = Path(out_dir) if out_dir is not None else Path(default_out_dir(cfg))
    prepare_out(out, cfg)
    sweeps = _Sweeps(out, executor, resume, progress)
    plan = make_plan(cfg, pred, plot)
    # the numeric tasks depend on the plan alone: submitted before the sweeps, they fill the workers'
    # idle time at the end of each sweep (their results, and the records, do not depend on the order)
    means_batch = _diffusion_means(plan, executor) if cfg.diffusion else None
    traps_batch = _trap_tasks(plan, executor)
    try:
        groups = group(sweeps(plan.points, "signal") if plan.points else [])
        null_points = [q for q in map(NullControls(groups, {}, cfg.null_runs_at).point, plan.points) if q is not None]
        null_groups = group(sweeps(null_points, "null") if null_points else [])
        means = _means_by_point(plan, means_batch) if means_batch is not None else None
        # the claims (bootstraps, this process only) are computed while the tuned sweeps keep the workers busy
        assessing = _InBackground(assess, plan, groups, null_groups, means)
        tuned = _tuned_rows(plan, plan.sweep_etas[cfg.fig_d], sweeps) if cfg.tune and cfg.fig_d in plan.sweep_etas \
            else None
        claims, tables = assessing.result()
        _informational_tables(plan, groups, NullControls(groups, null_groups, cfg.null_runs_at), tables,
                              traps_batch, tuned)
    except BaseException:
        for batch in (means_batch, traps_batch):
            if batch is not None:
                batch.cancel()
        raise

    if transition is not None:
        tables.transition = simulated_transition(plan, groups, transition)
    numeric = is_numeric(pred)
    report = VerifyReport(cfg, describe(cfg, pred, numeric), claims, tables, None, str(out), sweeps.stats, numeric,
                          _curves(plan, groups))
    if plot:
        from theory.plots import verification_figure

        report.plot = verification_figure(report, pred, out / "figure1.png")
    try:
        atomic_write(out / "report.json", json.dumps(report.to_dict(), indent=1, allow_nan=False) + "\n")
    except OSError as exc:
        raise VerifyError(f"--out {str(out)!r}: cannot write report.json ({exc.strerror or exc})") from None
    return report


def assess(plan: Plan, groups: dict, null_groups: dict, diffusion_means: dict | None = None
           ) -> tuple[list, VerifyTables]:
    """The claims the plan implies, judged on the records; and the tables they fill.

    Parameters
    ----------
    plan : Plan
        From :func:`theory.verify.plan.make_plan`.
    groups, null_groups : dict
        ``point_key -> hitting times`` of the signal points and of their null controls
        (:func:`theory.verify.records.group` of the sweeps' records).
    diffusion_means : dict, optional
        ``point_key -> (the diffusion's mean hitting time, the drift's stable zeros)`` of the sweep
        points (:func:`theory.verify.numerics.diffusion_summary`): adds the constants claim
        (:class:`~theory.verify.claims.ConstantsClaim`) and its table.

    Returns
    -------
    claims : list of Claim
        Exponents, threshold claims, null control (SKIPs where the plan says so).
    tables : VerifyTables
        With ``null_controls`` and, when a threshold was measured, ``crossing`` and ``windows``.

    Examples
    --------
    Synthetic records for an online plan, with ``T = 2 d^2`` (predicted exponent 2) and null runs
    that never hit:

    >>> from theory.rules import make_rule
    >>> from theory.predict import predict
    >>> from theory.verify import QUICK
    >>> from theory.verify.records import null_point
    >>> plan = make_plan(QUICK, predict(make_rule("online", "h3", "h3")), plot=False)
    >>> sig = [dict(p, run=r, status="hit", hitting_time=2 * p["d"] ** 2 * (1 + r / 50)) for p in plan.points
    ...        for r in range(30)]
    >>> med = {p["d"]: 2 * p["d"] ** 2 * (1 + 14.5 / 50) for p in plan.points}
    >>> nul = [dict(null_point(p, 16, med[p["d"]], 4.0), run=r, status="censored", hitting_time=None)
    ...        for p in plan.points for r in range(16)]
    >>> claims, tables = assess(plan, group(sig), group(nul))
    >>> [(c.status, round(c.measured, 3)) for c in claims]
    [('pass', 2.0), ('pass', 3.0)]
    """
    cfg = plan.cfg
    nulls = NullControls(groups, null_groups, cfg.null_runs_at, NULL_FACTOR)
    boot = Bootstrap(groups, cfg.bootstrap, cfg.seed, plan.constants)
    tables = VerifyTables(cfg.fig_d, cfg.m_thr)
    used: list = []
    claims = _exponent_claims(plan, boot, used) + _threshold_claims(plan, boot, used, tables)
    null_claim, tables.null_controls = NullControlClaim(dedupe(used), nulls).evaluate()
    claims.append(null_claim)
    if diffusion_means:
        rows = [{"d": p["d"], "eta": p["eta"], "diffusion_mean": diffusion_means[point_key(p)][0],
                 "stable_zeros": diffusion_means[point_key(p)][1], "times": groups[point_key(p)]}
                for p in _sweep_points_of(plan)]
        constants_claim, tables.diffusion = ConstantsClaim(rows, plan.constants, cfg.seed, cfg.bootstrap).evaluate()
        claims.insert(len(claims) - 1, constants_claim)
    return claims, tables


def _sweep_points_of(plan: Plan) -> list:
    """The swept points, by ``d`` then ``eta`` (the constants claim's points)."""
    return [find_point(plan.points, d, e, "sweep") for d in sorted(plan.sweep_etas) for e in plan.sweep_etas[d]]


def _diffusion_means(plan: Plan, executor) -> TaskBatch:
    """The diffusion mean and drift zeros of every swept point, submitted to the executor (:func:`_means_by_point`)."""
    cfg = plan.cfg
    args = [(cfg.case(), p["d"], p["eta"], p["gamma"], cfg.m_thr, cfg.signed, cfg.start)
            for p in _sweep_points_of(plan)]
    return TaskBatch(diffusion_summary, args, executor)


def _means_by_point(plan: Plan, batch: TaskBatch) -> dict:
    """``point_key -> (diffusion mean, stable zeros)`` from the batch of :func:`_diffusion_means`."""
    return {point_key(p): v for p, v in zip(_sweep_points_of(plan), batch.results())}


def _fig_points(plan: Plan) -> list:
    """The swept points at ``fig_d`` (Figure 1's), in ``eta`` order; empty when ``fig_d`` is not swept."""
    d = plan.cfg.fig_d
    return [find_point(plan.points, d, e, "sweep") for e in plan.sweep_etas.get(d, [])]


def _trap_tasks(plan: Plan, executor) -> TaskBatch:
    """The one-step negative-``m`` trap at each of Figure 1's points, submitted to the executor."""
    cfg = plan.cfg
    return TaskBatch(one_step_trap, [(cfg.case(), cfg.fig_d, cfg.m_thr, p["eta"], p["gamma"])
                                     for p in _fig_points(plan)], executor)


def _point_cost(point: dict) -> float:
    """A simulation point's work bound: runs times its per-run step budget (for the sweep's order)."""
    return float(point.get("runs", 1)) * float(point.get("max_steps", 1))


class _Sweeps:
    """Runs one named sweep of points in the output folder, and totals what a resume reused."""

    def __init__(self, out: Path, executor, resume: bool, progress: bool):
        self.out, self.executor, self.resume, self.progress = out, executor, resume, progress
        self.stats = {"reused": 0, "computed": 0, "rejected": []} if resume else None

    def __call__(self, points: list, sub: str) -> list:
        st = {} if self.resume else None
        recs = run_sweep(points, simulate_point, self.out / sub, executor=self.executor, resume=self.resume,
                         progress=self.progress, validate=check_records, stats=st, cost=_point_cost)
        if st is not None:
            self.stats["reused"] += st["reused"]
            self.stats["computed"] += st["computed"]
            self.stats["rejected"] += [dict(r, sweep=sub) for r in st["rejected"]]
        return recs


def prepare_out(out: Path, cfg: VerifyConfig) -> None:
    """Create the output folder, refuse one that holds another configuration, record this one.

    Every failure is a :class:`VerifyError` naming the folder: a path that is not a folder, one
    that cannot be created or written, or one whose ``config.json`` describes a different
    configuration (its results are never mixed with or overwritten by this one's).

    Parameters
    ----------
    out : pathlib.Path
        The folder.
    cfg : VerifyConfig
        The configuration it is for.

    Examples
    --------
    >>> import tempfile
    >>> from theory.verify import QUICK
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     prepare_out(Path(tmp), QUICK)
    ...     sorted(os.listdir(tmp))
    ['config.json']
    """
    if out.exists() and not out.is_dir():
        raise VerifyError(f"--out {str(out)!r} exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise VerifyError(f"--out {str(out)!r}: cannot create the folder ({exc.strerror or exc})") from None
    path = out / CONFIG_FILE
    mine = {"format": CONFIG_FORMAT, "config_hash": config_hash(cfg), "config": config_dict(cfg)}
    if os.path.lexists(path):
        try:
            theirs = json.loads(read_regular_file(path, 1 << 20, "config file"))
            ok = isinstance(theirs, dict) and isinstance(theirs.get("config"), dict)
        except (OSError, ValueError, RecursionError):
            ok, theirs = False, None
        if not ok:
            raise VerifyError(f"--out {str(out)!r}: its {CONFIG_FILE} is unreadable, so the folder may hold another "
                              f"verification; choose another --out or remove that file")
        if theirs.get("config_hash") != mine["config_hash"] or theirs["config"] != mine["config"]:
            both = set(mine["config"]) & set(theirs["config"])
            diff = sorted((k for k in set(mine["config"]) | set(theirs["config"])
                           if mine["config"].get(k) != theirs["config"].get(k)), key=lambda k: (k not in both, k))
            shown = ", ".join(f"{k} {theirs['config'].get(k)!r} -> {mine['config'].get(k)!r}" for k in diff[:4])
            raise VerifyError(f"--out {str(out)!r} holds the results of another configuration (differs in: "
                              f"{shown or 'format'}); choose another --out (the default folder name includes a "
                              f"hash of the configuration) or remove the folder")
    try:
        atomic_write(path, json.dumps(mine, indent=1, sort_keys=True, allow_nan=False) + "\n")
    except OSError as exc:
        raise VerifyError(f"--out {str(out)!r}: cannot write to the folder ({exc.strerror or exc})") from None


# ---------------------------------------------------------------------------
# claims from the plan
# ---------------------------------------------------------------------------
SMALL_NAME, LARGE_NAME = "small-eta exponent of T in d", "large-eta exponent of T in d"
SIDE_NAMES = {side: f"{side} the crossing: d log(T/E[psi^2]) / d log eta" for side in ("below", "above")}


def _exponent_claims(plan: Plan, boot: Bootstrap, used: list) -> list:
    """The small- and large-``eta`` exponent claims the prediction implies (their points go to ``used``)."""
    pred, small, large = plan.pred, plan.small_exp, plan.large_exp

    def scaling(name, tag, etas, predicted, other):
        ps = [find_point(plan.points, d, etas[d], tag) for d in sorted(etas)]
        used.extend(ps)
        wins = [theorem_time(pred, p["d"], p["eta"])[1] for p in ps]
        lf = [plan.constants.log_factor(i, p["d"]) for i, p in zip(wins, ps)]
        alternative = other if other is not None and other != predicted else None
        return ScalingClaim(name, ps, wins, lf, predicted, alternative, plan.cfg.kappa).evaluate(boot)

    claims = []
    if small is None:
        claims.append(skip(SMALL_NAME, "-", "the exponent curve has no constant small-eta piece; this verifier "
                                            "measures exponents only where e(alpha) is flat"))
    elif "small" in plan.skips:
        claims.append(skip(SMALL_NAME, small, plan.skips["small"]))
    else:
        claims.append(scaling(SMALL_NAME, "small", plan.eta_small, small, large))
    if large is not None:
        if "large" in plan.skips:
            claims.append(skip(LARGE_NAME, large, plan.skips["large"]))
        else:
            claims.append(scaling(LARGE_NAME, "large", plan.eta_large, large, small))
    return claims


def _threshold_claims(plan: Plan, boot: Bootstrap, used: list, tables: VerifyTables) -> list:
    """The threshold claims (scaling of the break, slopes either side) and the crossing tables."""
    pred, main, thr_ds = plan.pred, plan.main, plan.threshold_ds
    claims = []
    if main is not None and len(thr_ds) < 2:
        reason = (f"the competing terms mu_i^-2 d^((i-1) v 1) do not cross inside the valid range of eta at "
                  f"d = {', '.join(map(str, plan.no_crossing))} (no change of the finite-d winning index), so the "
                  f"threshold at alpha = {main.alpha} (index {main.from_index} -> {main.to_index}) cannot be "
                  f"located at these sizes; {len(thr_ds)} of the 2 or more dimensions needed have a crossing")
        below, above = side_slopes(pred, main)
        claims += [skip(f"threshold moves as d^-{main.alpha}", -float(main.alpha), reason),
                   skip(SIDE_NAMES["below"], "-" if below is None else below, reason),
                   skip(SIDE_NAMES["above"], "-" if above is None else above, reason)]
    if main is not None and len(thr_ds) >= 2:
        sweeps = []
        for d in thr_ds:
            ps = [find_point(plan.points, d, e, "sweep") for e in plan.sweep_etas[d]]
            sweeps.append(Sweep(d, ps, [plan.psi2(p["d"], p["eta"]) for p in ps], eta_star(pred, d)))
            used.extend(ps)
        note = f"; no crossing at d = {', '.join(map(str, plan.no_crossing))} (left out)" if plan.no_crossing else ""
        threshold = ThresholdClaim(f"threshold moves as d^-{main.alpha}", sweeps, -float(main.alpha), 0.0)
        claims.append(threshold.evaluate(boot, note))
        windows = plan.constants.windows
        slope = {side: theorem_window_slope(pred, thr_ds, w) for side, w in windows.items()}
        for side, w in windows.items():
            other = slope["above" if side == "below" else "below"]
            claims.append(WindowSlopeClaim(SIDE_NAMES[side], side, sweeps, w, slope[side], other,
                                           constants=plan.constants).evaluate(boot))
        # informational: the same windows around the theorem's crossing with unit constants
        tables.windows = []
        for side, w in windows.items():
            m_, se = boot.measure(WindowSlopeClaim(SIDE_NAMES[side], side, sweeps, w, anchor="predicted",
                                                   constants=plan.constants).estimate)
            tables.windows.append({"window": ("eta*/16 -> eta*/4" if side == "below" else "4 eta* -> 16 eta*"),
                                   "predicted": slope[side], "measured": m_, "se": se})
        tables.crossing = [{"d": s.d, "eta_star_theorem": s.eta_star, "eta_b_measured": b, "ratio": b / s.eta_star}
                           for s, b in zip(sweeps, threshold.breaks(boot.median))]
    for t in plan.interior[1:]:
        below, above = side_slopes(pred, t)
        reason = (f"verify locates one threshold per run, the first as eta grows (alpha = {main.alpha}); the "
                  f"threshold at alpha = {t.alpha} (index {t.from_index} -> {t.to_index}) is not measured")
        claims += [skip(f"threshold moves as d^-{t.alpha}", -float(t.alpha), reason),
                   skip(f"below the crossing at alpha = {t.alpha}: slope in eta", "-" if below is None else below,
                        reason),
                   skip(f"above the crossing at alpha = {t.alpha}: slope in eta", "-" if above is None else above,
                        reason)]
    return claims


# ---------------------------------------------------------------------------
# informational tables and the figure's curves
# ---------------------------------------------------------------------------
class _InBackground:
    """``fn(*args)`` in a daemon thread of this process; :meth:`result` waits for it and re-raises its error.

    A daemon thread, so that Ctrl-C in the main thread ends the run at once.
    """

    def __init__(self, fn, *args):
        self._out: list = []
        self._thread = threading.Thread(target=self._run, args=(fn, args), daemon=True)
        self._thread.start()

    def _run(self, fn, args):
        try:
            self._out.append((True, fn(*args)))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller of result()
            self._out.append((False, exc))

    def result(self):
        self._thread.join()
        ok, value = self._out[0]
        if not ok:
            raise value
        return value


def _informational_tables(plan: Plan, groups: dict, nulls: NullControls, tables: VerifyTables,
                          traps_batch: TaskBatch, tuned: list | None) -> None:
    """Figure 1 data, negative-``m`` traps (``traps_batch``: :func:`_trap_tasks`) and the tuned rows at ``fig_d``."""
    cfg, pred = plan.cfg, plan.pred
    if cfg.fig_d not in plan.sweep_etas:
        return
    rows = []
    for e, p in zip(plan.sweep_etas[cfg.fig_d], _fig_points(plan)):
        t = groups[point_key(p)]
        fin = t[np.isfinite(t)]
        _ok, nmed = nulls.check(p)
        rows.append({"eta": e, "gamma": p["gamma"], "index": theorem_time(pred, p["d"], e)[1],
                     "median": median(t), "q25": float(np.quantile(t, 0.25)),
                     "q75": float(np.quantile(t, 0.75)), "mean": float(fin.mean()) if fin.size else None,
                     "censored": int((~np.isfinite(t)).sum()), "null_median": nmed})
    tables.figure1 = rows
    one_step = traps_batch.results()
    traps = [{"eta": r["eta"], "population": (negative_traps(pred, cfg.fig_d, r["eta"], cfg.m_thr) or [None])[0],
              "one_step": o} for r, o in zip(rows, one_step)]
    if any(t["population"] is not None or t["one_step"] is not None for t in traps):
        tables.traps = traps
    if tuned is not None:
        tables.tuned = tuned


def _curves(plan: Plan, groups: dict) -> dict:
    """``d -> SweepCurve`` of every sweep: the numbers Figure 1 draws."""
    curves = {}
    for d, etas in plan.sweep_etas.items():
        ps = [find_point(plan.points, d, e) for e in etas]
        t = [groups[point_key(p)] for p in ps]
        curves[d] = SweepCurve(d, np.array(etas), np.array([p["eta"] for p in ps]), np.array([median(x) for x in t]),
                               np.array([np.quantile(x, 0.25) for x in t]), np.array([np.quantile(x, 0.75) for x in t]),
                               np.array([plan.psi2(d, p["eta"]) for p in ps]), eta_star(plan.pred, d))
    return curves


def _tuned_rows(plan: Plan, etas, sweeps) -> list:
    """Per ``eta``: the fastest median over ``gamma 2^j`` (``kappa 2^j <= 1``) that beats its null run."""
    cfg, pred, c = plan.cfg, plan.pred, plan.constants
    mults = [2.0**j for j in range(*c.tune_octaves) if cfg.kappa * 2.0**j <= c.max_kappa + 1e-12]
    pts = []
    for e in etas:
        gamma0, _ = step_size(pred, cfg.fig_d, e, cfg.kappa)
        budget = plan.step_budget(cfg.fig_d, e)
        for mlt in mults:
            pts.append(dict(plan.base, tag="tuned", d=cfg.fig_d, eta=float(e), gamma=float(gamma0 * mlt),
                            runs=cfg.tune_runs, max_steps=int(min(budget / mlt, MAX_STEPS_PER_RUN)), mult=mlt))
    nulls = NullControls(group(sweeps(pts, "tuned")), {}, max(cfg.null_runs // 2, 10), NULL_FACTOR)
    null_points = [q for q in map(nulls.point, pts) if q is not None]
    nulls.null_groups = group(sweeps(null_points, "tuned-null")) if null_points else {}
    rows = []
    for e in etas:
        best = None
        for p in pts:
            if p["eta"] != float(e):
                continue
            med = median(nulls.groups[point_key(p)])
            if not math.isfinite(med):
                continue
            _ok, nmed = nulls.check(p)
            if nmed > NULL_FACTOR * med and (best is None or med < best[0]):
                best = (med, p["mult"], p["gamma"], nmed)
        rows.append({"eta": float(e), "best_kappa": None if best is None else cfg.kappa * best[1],
                     "gamma": None if best is None else best[2], "median": None if best is None else best[0],
                     "null_median": None if best is None else best[3]})
    return rows
