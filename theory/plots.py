"""matplotlib figures.  No mathematics here: everything plotted is computed elsewhere."""
from __future__ import annotations

import math

import numpy as np

__all__ = ["verification_figure"]


def verification_figure(report, prediction, groups, points, sweep_etas, path) -> str:
    """Figure 1 at ``fig_d`` (left) and the threshold sweep at every ``d`` (right); returns the path.

    Left: simulated median hitting time against ``eta`` (log-log) with the 25-75% band, the
    theorem's curve ``E[psi^2] min_i mu_i^-2 d^((i-1) v 1)`` (one constant matched at the
    smallest ``eta``), the diffusion prediction of the mean, the tuned-``gamma`` medians, the
    null medians, and the predicted crossing ``eta*`` (dashed).  Right: the same medians
    normalised by ``E[psi^2]`` and by their plateau, against ``eta / eta*(d)``: the theorem
    predicts one curve for all ``d``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from theory.predict import numeric_coefficients, theorem_time
    from theory.verify import _eta_star, _key, _median

    cfg = report.config
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.8))
    d0 = cfg.fig_d
    if d0 in sweep_etas:
        etas = np.array(sweep_etas[d0])
        ps = [next(p for p in points if p["d"] == d0 and abs(p["eta"] - e) <= 1e-12 * max(1, e)) for e in etas]
        t = [groups[_key(p)] for p in ps]
        med = np.array([_median(x) for x in t])
        lo = np.array([np.quantile(x, 0.25) for x in t])
        hi = np.array([np.quantile(x, 0.75) for x in t])
        ax.fill_between(etas, lo, hi, alpha=0.25, color="C0", label="simulated 25-75%")
        ax.plot(etas, med, "o-", color="C0", label=f"simulated median (kappa = {cfg.kappa})")
        fine = np.geomspace(etas[0], etas[-1], 200)
        shape = np.array([numeric_coefficients(prediction, d0, e)[1] * theorem_time(prediction, d0, e)[0] for e in fine])
        scale = med[0] / shape[0] if math.isfinite(med[0]) else 1.0
        ax.plot(fine, shape * scale, "k-", lw=1.2, label="theorem: E[psi^2] min_i mu_i^-2 d^((i-1)v1) (x const)")
        for title, rows in report.tables.items():
            if title.startswith("diffusion") and rows:
                ax.plot([r["eta"] for r in rows], [r["diffusion_mean"] for r in rows], "s", mfc="none", color="C3",
                        label="diffusion prediction (mean)")
            if title.startswith("per-point tuned") and rows:
                ok = [r for r in rows if r["median"] is not None]
                ax.plot([r["eta"] for r in ok], [r["median"] for r in ok], "^--", color="C2",
                        label="tuned gamma (median)")
            if title.startswith("Figure 1") and rows:
                nm = [(r["eta"], r["null_median"]) for r in rows if r["null_median"] and math.isfinite(r["null_median"])]
                if nm:
                    ax.plot(*zip(*nm), "x", color="0.5", label="null control (median)")
        star = _eta_star(prediction, d0)
        if star:
            ax.axvline(star, ls="--", color="C1", label=f"theorem's crossing eta* = {star:.3g} (unit constants)")
        for title, rows in report.tables.items():
            if title.startswith("crossing:"):
                for r in rows:
                    if r["d"] == d0 and r["eta_b_measured"] and math.isfinite(r["eta_b_measured"]):
                        ax.axvline(r["eta_b_measured"], ls=":", color="C1",
                                   label=f"measured crossing eta_b = {r['eta_b_measured']:.3g}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("learning rate eta")
        ax.set_ylabel(f"samples to |m| >= {cfg.m_thr}")
        ax.set_title(f"Figure 1: {prediction.rule.name} SGD, {cfg.target}, d = {d0}")
        ax.legend(fontsize=7)
    for k, d in enumerate(sorted(sweep_etas)):
        star = _eta_star(prediction, d)
        ps = [next(p for p in points if p["d"] == d and abs(p["eta"] - e) <= 1e-12 * max(1, e))
              for e in sweep_etas[d]]
        tn = np.array([_median(groups[_key(p)]) / numeric_coefficients(prediction, d, p["eta"])[1] for p in ps])
        if not math.isfinite(tn[0]):
            continue
        x = np.array([p["eta"] for p in ps]) / star
        bx.plot(x, tn / tn[0], "o-", color=f"C{k}", label=f"d = {d}")
    bx.axvline(1.0, ls="--", color="k", lw=0.8)
    bx.set_xscale("log")
    bx.set_yscale("log")
    bx.set_xlabel("eta / eta*(d)")
    bx.set_ylabel("median T / E[psi^2], relative to plateau")
    bx.set_title("threshold collapse across d (theorem: one curve)")
    if bx.get_legend_handles_labels()[0]:
        bx.legend(fontsize=7)
    else:
        bx.text(0.5, 0.5, "no threshold for this rule", ha="center", va="center", transform=bx.transAxes)
    fig.tight_layout()
    _save_atomically(fig, path)
    plt.close(fig)
    return str(path)


def _save_atomically(fig, path) -> None:
    """Save to a temporary file in the same folder, then rename over ``path``.

    An interrupted save leaves no partial figure, and a special file at ``path`` (a FIFO, which
    a direct save would block on) is replaced rather than opened.
    """
    import os
    import tempfile

    path = os.fspath(path)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".figure.", suffix=".png")
    try:
        with os.fdopen(fd, "wb") as fh:
            fig.savefig(fh, dpi=110, format="png")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
