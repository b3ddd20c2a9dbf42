"""matplotlib figures.  No mathematics here: everything plotted is computed elsewhere.

The figures read result objects by attribute and never import the layers that build them
(:func:`verification_figure` takes a verification report; it does not import ``theory.verify``).
"""
from __future__ import annotations

import math

import numpy as np

from theory.figures import save_png
from theory.predict import numeric_coefficients, theorem_time

__all__ = ["verification_figure"]

#: Resolution of saved figures.
DPI = 110


def verification_figure(report, prediction, path) -> str:
    """Figure 1 at ``fig_d`` (left) and the threshold sweep at every ``d`` (right); returns the path.

    Left: simulated median hitting time against ``eta`` (log-log) with the 25-75% band, the
    theorem's curve ``E[psi^2] min_i mu_i^-2 d^((i-1) v 1)`` (one constant matched at the
    smallest ``eta``), the diffusion prediction of the mean, the tuned-``gamma`` medians, the
    null medians, and the predicted crossing ``eta*`` (dashed).  Right: the same medians
    normalised by ``E[psi^2]`` and by their plateau, against ``eta / eta*(d)``: the theorem
    predicts one curve for all ``d``.

    Parameters
    ----------
    report : theory.verify.VerifyReport
        Read by attribute: ``config``, ``curves`` (one ``SweepCurve`` per swept ``d``) and the
        tables ``figure1``, ``diffusion``, ``tuned`` and ``crossing``.
    prediction : theory.predict.Prediction
        For the theorem's curve on a fine grid of ``eta``.
    path : str or path
        Where the PNG goes (written atomically; a special file there is replaced, not opened).

    Returns
    -------
    str
        ``path``.

    Examples
    --------
    >>> import tempfile, types
    >>> from theory.rules import make_rule
    >>> from theory.predict import predict
    >>> from theory.verify import QUICK, VerifyReport
    >>> report = VerifyReport(QUICK, "case", [])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = verification_figure(report, predict(make_rule("online", "h3", "h3")), tmp + "/f.png")
    ...     open(path, "rb").read(4)
    b'\\x89PNG'
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cfg, tables = report.config, report.tables
    fig, (ax, bx, cx) = plt.subplots(1, 3, figsize=(18, 4.8))
    d0 = cfg.fig_d
    _scaling_panel(cx, report, prediction)
    if d0 not in report.curves:
        ax.text(0.5, 0.5, f"no learning-rate sweep at d = {d0}:\nthe prediction has no threshold"
                + (" (the drift does not depend on eta)" if not prediction.thresholds else ""),
                ha="center", va="center", transform=ax.transAxes)
        ax.set_title(f"{prediction.rule.name} SGD, {cfg.target}, d = {d0}")
        ax.set_axis_off()
    if d0 in report.curves:
        c = report.curves[d0]
        etas, med = c.etas, c.median
        ax.fill_between(etas, c.q25, c.q75, alpha=0.25, color="C0", label="simulated 25-75%")
        ax.plot(etas, med, "o-", color="C0", label=f"simulated median (kappa = {cfg.kappa})")
        fine = np.geomspace(etas[0], etas[-1], 200)
        shape = np.array([numeric_coefficients(prediction, d0, e)[1] * theorem_time(prediction, d0, e)[0] for e in fine])
        scale = med[0] / shape[0] if math.isfinite(med[0]) else 1.0
        ax.plot(fine, shape * scale, "k-", lw=1.2, label="theorem: E[psi^2] min_i mu_i^-2 d^((i-1)v1) (x const)")
        if tables.figure1:
            nm = [(r["eta"], r["null_median"]) for r in tables.figure1
                  if r["null_median"] and math.isfinite(r["null_median"])]
            if nm:
                ax.plot(*zip(*nm), "x", color="0.5", label="null control (median)")
        diff = [r for r in tables.diffusion or [] if r.get("d", c.d) == c.d]
        if diff:
            ax.plot([r["eta"] for r in diff], [r["diffusion_mean"] for r in diff], "s",
                    mfc="none", color="C3", label="diffusion prediction (mean)")
            sim = [(r["eta"], r["simulated_mean"]) for r in diff if r["simulated_mean"] is not None]
            ax.plot(*zip(*sim), ".", color="C3", label="simulated mean")
        if tables.tuned:
            ok = [r for r in tables.tuned if r["median"] is not None]
            ax.plot([r["eta"] for r in ok], [r["median"] for r in ok], "^--", color="C2", label="tuned gamma (median)")
        if c.eta_star:
            ax.axvline(c.eta_star, ls="--", color="C1", label=f"theorem's crossing eta* = {c.eta_star:.3g} (unit constants)")
        for r in tables.crossing or []:
            if r["d"] == d0 and r["eta_b_measured"] and math.isfinite(r["eta_b_measured"]):
                ax.axvline(r["eta_b_measured"], ls=":", color="C1",
                           label=f"measured crossing eta_b = {r['eta_b_measured']:.3g}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("learning rate eta")
        ax.set_ylabel(f"samples to |m| >= {cfg.m_thr}")
        ax.set_title(f"Figure 1: {prediction.rule.name} SGD, {cfg.target}, d = {d0}")
        ax.legend(fontsize=7)
    for k, d in enumerate(sorted(report.curves)):
        c = report.curves[d]
        tn = c.median / c.psi2
        if not math.isfinite(tn[0]):
            continue
        bx.plot(c.point_etas / c.eta_star, tn / tn[0], "o-", color=f"C{k}", label=f"d = {d}")
    bx.axvline(1.0, ls="--", color="k", lw=0.8)
    bx.set_xscale("log")
    bx.set_yscale("log")
    bx.set_xlabel("eta / eta*(d)")
    bx.set_ylabel("median T / E[psi^2], relative to plateau")
    bx.set_title("threshold collapse across d (theorem: one curve)")
    if bx.get_legend_handles_labels()[0]:
        bx.legend(fontsize=7)
    else:
        bx.text(0.5, 0.5, "no threshold for this rule:\nnothing to collapse across d", ha="center", va="center",
                transform=bx.transAxes)
        bx.set_axis_off()
    fig.tight_layout()
    try:
        return save_png(fig, path, dpi=DPI)
    finally:
        plt.close(fig)


def _scaling_panel(cx, report, prediction) -> None:
    """Median ``T`` against ``d`` for each fitted regime (small and large ``eta``), log-log.

    The points are the null-controlled signal points of the scaling claims (``tag`` ``small`` or
    ``large`` in the ``null_controls`` table). Each regime's line has the predicted slope: the
    small-``eta`` exponent, and ``e(alpha_min)`` at the large end (times ``ln d`` where index 2
    wins, as the claim's fit divides by it). It goes through the geometric mean of the points.
    """
    rows = report.tables.null_controls or []
    drawn = False
    for k, tag in enumerate(("small", "large")):
        pts = sorted((r["d"], r["median"]) for r in rows if r.get("tag") == tag and r.get("median")
                     and math.isfinite(r["median"]))
        if len(pts) < 2:
            continue
        ds, med = np.array([p[0] for p in pts], float), np.array([p[1] for p in pts], float)
        color = f"C{k}"
        cx.plot(ds, med, "o", color=color, label=f"{tag} eta: simulated median")
        slope = _predicted_slope(prediction, tag)
        if slope is not None:
            log_factor = np.log(ds) if (tag == "large" and _large_index(prediction) == 2) else np.ones_like(ds)
            ref = np.exp(np.mean(np.log(med / log_factor) - slope * np.log(ds)))
            cx.plot(ds, ref * ds ** slope * log_factor, "-", color=color, lw=1,
                    label=f"{tag} eta: predicted slope {slope:g}" + (" (x ln d)" if log_factor[0] != 1 else ""))
        drawn = True
    cx.set_xscale("log")
    cx.set_yscale("log")
    cx.set_xlabel("dimension d")
    cx.set_ylabel(f"median samples to |m| >= {report.config.m_thr}")
    cx.set_title("T against d, per regime")
    if drawn:
        cx.legend(fontsize=7)
    else:
        cx.text(0.5, 0.5, "no scaling claim was measured", ha="center", va="center", transform=cx.transAxes)


def _predicted_slope(prediction, tag):
    if tag == "small":
        e = prediction.small_lr_exponent
        return None if e is None else float(e)
    lo = prediction.alpha_min
    if lo is None or not getattr(lo, "is_finite", False):
        return None
    try:
        return float(prediction.exponent(lo))
    except Exception:  # noqa: BLE001 - outside the curve's range: no line
        return None


def _large_index(prediction):
    lo = prediction.alpha_min
    for piece in prediction.pieces:
        if getattr(lo, "is_finite", False) and piece.contains(lo):
            return piece.index
    return None
