"""Pictures for the ``exponents``, ``predict`` and ``simulate`` commands (matplotlib, PNG).

These functions compute nothing. They draw what the lower layers computed: a link profile, a
prediction, a simulation result. Each returns a ``matplotlib.figure.Figure``, built without
``pyplot``, so no global state leaks and no display is needed. :func:`save_png` writes the
figure atomically.

* :func:`spectrum_figure` draws the Hermite spectrum ``|u_k| sqrt(k!)`` on a log scale. Exact
  and numeric coefficients are marked differently, parity-forced zeros are marked at the floor,
  and the exponents are annotated.
* :func:`exponent_curve_figure` draws the exponent curve ``e(alpha)``: one line per competing
  index, the winning envelope, the thresholds, and the lower bounds. With ``d`` it adds a
  second panel of ``T(eta)`` at that ``d``: the theorem's ``min_i mu_i^-2 d^((i-1) v 1)``
  without constants, and divided by the constant ``c`` of the step size
  ``gamma = c mu_i d^-((i/2) v 1)`` that :func:`theory.predict.step_size` chooses.
* :func:`simulation_figure` draws the empirical distribution of hitting times, with censored
  runs marked, and optionally a few overlap paths ``m_t``.
"""

from __future__ import annotations

import io
import math

import numpy as np

from theory._io import atomic_write

__all__ = ["spectrum_figure", "exponent_curve_figure", "simulation_figure", "advice_figure", "save_png"]


def _figure(ncols: int = 1, width: float = 6.4, height: float = 4.2):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width * ncols, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
    return fig, axes


def save_png(fig, path, dpi: int = 110) -> str:
    """Write ``fig`` to ``path`` as PNG, atomically; return the path as a string."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    atomic_write(path, buf.getvalue())
    return str(path)


def _exp_label(name, e) -> str:
    if e is None or e.value is None:
        return f"{name} = {getattr(e, 'status', 'none')}" if e is not None else f"{name} = none"
    tag = "" if e.status == "exact" else f" ({e.status})"
    return f"{name} = {e.value}{tag}"


def spectrum_figure(profile):
    """``|u_k| sqrt(k!)`` against ``k`` for a :class:`~theory.exponents.LinkProfile`.

    Parameters
    ----------
    profile : LinkProfile

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from theory.exponents import profile
    >>> fig = spectrum_figure(profile("relu", kmax=12))
    >>> len(fig.axes[0].lines) >= 1
    True
    """
    fig, (ax,) = _figure()
    ks, vals, kinds = [], [], []
    for c in profile.expansion.coefficients:
        norm = abs(float(c.value)) * math.sqrt(math.factorial(c.k))
        ks.append(c.k)
        vals.append(norm)
        kinds.append("exact" if c.exact is not None else "numeric")
    vals = np.array(vals)
    positive = vals[vals > 0]
    floor = (positive.min() / 10) if positive.size else 1e-16
    shown = np.where(vals > 0, vals, floor)
    for kind, marker in (("exact", "o"), ("numeric", "s")):
        sel = [i for i, kd in enumerate(kinds) if kd == kind and vals[i] > 0]
        if sel:
            ax.plot([ks[i] for i in sel], shown[sel], marker, ls="none", label=f"{kind} |u_k| sqrt(k!)",
                    mfc="C0" if kind == "exact" else "none", color="C0" if kind == "exact" else "C1")
    zeros = [i for i in range(len(ks)) if vals[i] == 0]
    if zeros:
        ax.plot([ks[i] for i in zeros], shown[zeros], "x", color="0.5", ls="none", label="exactly 0 (at the floor)")
    ax.set_yscale("log")
    ax.set_xlabel("k")
    ax.set_ylabel("|u_k| sqrt(k!)   (u_k = E[f He_k] / k!)")
    ie, ge = profile.information_exponent, profile.generative_exponent
    if ie is not None and ie.value is not None:
        ax.axvline(ie.value, color="C2", ls="--", lw=1, label=_exp_label("IE", ie))
    powers = ", ".join(f"p_{j}={e.value if e.value is not None else '?'}" for j, e in
                       sorted(profile.power_exponents.items()))
    ax.set_title(f"Hermite spectrum of {profile.link.text if hasattr(profile.link, 'text') else profile.link.expr}",
                 fontsize=10)
    ax.text(0.98, 0.97, f"{_exp_label('IE', ie)}\n{_exp_label('GE', ge)}\n{powers}", transform=ax.transAxes,
            ha="right", va="top", fontsize=8, bbox={"fc": "white", "ec": "0.7"})
    ax.legend(loc="center right", fontsize=8)
    return fig


def _curve_range(prediction):
    lo = prediction.alpha_min
    lo = -0.5 if lo == -math.inf or str(lo) == "-oo" else float(lo)
    ends = [float(p.alpha_max) for p in prediction.pieces if p.alpha_max is not None]
    hi = max(ends + [lo + 1.0]) + 0.5
    return lo, hi


def exponent_curve_figure(prediction, d: int | None = None, *, kappa: float = 0.125, bounds=None):
    """The exponent curve ``e(alpha)`` and, with ``d``, ``T(eta)`` at that dimension.

    Parameters
    ----------
    prediction : Prediction
    d : int, optional
        Adds the right panel of ``T(eta)`` at this ``d``.
    kappa : float
        The step-size constant of the constants curve (verify's default).
    bounds : LowerBounds, optional
        Drawn as horizontal lines (from :func:`theory.bounds.lower_bounds`).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> from theory.predict import predict
    >>> fig = exponent_curve_figure(predict(make_rule("alternating", "He3", "He3")))
    >>> fig.axes[0].get_xlabel()
    'alpha  (eta = d^-alpha)'
    """
    fig, axes = _figure(2 if d is not None else 1)
    ax = axes[0]
    lo, hi = _curve_range(prediction)
    alphas = np.linspace(lo, hi, 400)
    for i, mu in sorted(prediction.mu.items()):
        # each index's own line: log_d (mu_i^-2 d^((i-1) v 1)) with mu_i ~ eta^(deg) -> slope 2 deg
        piece_lines = [p for p in prediction.pieces if p.index == i]
        for p in piece_lines:
            ax.plot(alphas, [float(p.slope) * a + float(p.intercept) for a in alphas], ":", lw=0.8,
                    color=f"C{i % 10}")
    env = []
    for a in alphas:
        try:
            env.append(float(prediction.exponent(a)))
        except Exception:  # noqa: BLE001 - outside the validity range: not drawn
            env.append(np.nan)
    ax.plot(alphas, env, "k-", lw=2, label="e(alpha) = log_d T (winning envelope)")
    for p in prediction.pieces:
        a0 = float(p.alpha_min) if p.alpha_min != -math.inf and str(p.alpha_min) != "-oo" else lo
        a1 = float(p.alpha_max) if p.alpha_max is not None else hi
        mid = (max(a0, lo) + min(a1, hi)) / 2
        ax.annotate(f"index {p.index}", (mid, float(p.slope) * mid + float(p.intercept)), textcoords="offset points",
                    xytext=(0, 6), ha="center", fontsize=8, color=f"C{p.index % 10}")
    for t in prediction.thresholds:
        ax.axvline(float(t.alpha), color="C1", ls="--", lw=1)
        ax.annotate(f"alpha = {t.alpha}: {t.from_index} -> {t.to_index}", (float(t.alpha), ax.get_ylim()[0]),
                    rotation=90, fontsize=7, va="bottom", ha="right", color="C1")
    if bounds is not None:
        for name, value, style in (("CSQ", bounds.csq, "-."), ("SQ", bounds.sq, "--"),
                                   ("inf.-theoretic", bounds.information_theoretic, ":")):
            if value is not None:
                binds = "" if bounds.applies({"CSQ": "csq", "SQ": "sq"}.get(name, "information_theoretic")) \
                    else " (does not bind)"
                ax.axhline(float(value), color="0.4", ls=style, lw=1, label=f"{name} bound {value}{binds}")
    ax.set_xlabel("alpha  (eta = d^-alpha)")
    ax.set_ylabel("e(alpha) = log_d T")
    ax.set_title(f"{prediction.rule.label}", fontsize=10)
    ax.legend(fontsize=8, loc="best")
    if d is not None:
        _time_panel(axes[1], prediction, d, kappa)
    return fig


def _time_panel(bx, prediction, d, kappa):
    from theory.predict import numeric_coefficients, step_size, theorem_time

    lo, hi = _curve_range(prediction)
    etas = np.geomspace(float(d) ** (-hi), float(d) ** (-max(lo, 0.0)), 120)
    plain, const = [], []
    for e in etas:
        try:
            t, i = theorem_time(prediction, d, float(e))
            gamma, _ = step_size(prediction, d, float(e), kappa)
            mu, _m2 = numeric_coefficients(prediction, d, float(e))
        except Exception:  # noqa: BLE001 - outside the validity range: not drawn
            plain.append(np.nan)
            const.append(np.nan)
            continue
        plain.append(t)
        # the theorem's step is gamma = c mu_i d^-((i/2) v 1); its time is mu_i^-2 d^((i-1) v 1) / c
        c = gamma * float(d) ** max(i / 2, 1) / mu[i] if mu.get(i) else math.nan
        const.append(t / c if c and math.isfinite(c) else np.nan)
    bx.loglog(etas, plain, "k-", label="theorem: min_i mu_i^-2 d^((i-1) v 1)")
    bx.loglog(etas, const, "C3-", label=f"with the step size's constant (kappa = {kappa})")
    bx.set_xlabel("eta")
    bx.set_ylabel(f"T (samples) at d = {d}")
    bx.set_title(f"finite d = {d}", fontsize=10)
    bx.legend(fontsize=8)


def simulation_figure(result, paths=None):
    """Empirical distribution of hitting times (censored marked) and, optionally, overlap paths.

    Parameters
    ----------
    result : SimulationResult
    paths : sequence of (steps, m) arrays, optional
        A few overlap paths ``m_t`` to draw in a second panel.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = _figure(2 if paths else 1)
    ax = axes[0]
    t = np.asarray(result.hitting_times, dtype=float)
    hit = np.isfinite(t)
    n = t.size
    if hit.any():
        ts = np.sort(t[hit])
        ax.step(ts, np.arange(1, ts.size + 1) / n, where="post", label=f"hit ({ts.size} of {n})")
    cens = int(getattr(result, "censored", 0) or 0)
    div = int(getattr(result, "diverged", 0) or 0)
    if cens:
        ax.axvline(result.max_steps, color="C3", ls="--", label=f"censored at max_steps ({cens} runs)")
    if div:
        ax.plot([], [], " ", label=f"diverged: {div} runs")
    ax.set_xscale("log")
    ax.set_ylim(0, 1)
    ax.set_xlabel("hitting time (steps = samples)")
    ax.set_ylabel("empirical CDF (fraction of all runs)")
    import textwrap

    fig.suptitle("\n".join(textwrap.wrap(f"{result.model_name}; d = {result.d}, gamma = {result.gamma:.3g}, "
                                          f"m_thr = {result.m_thr}", 110)), fontsize=9)
    ax.minorticks_off()
    ax.legend(fontsize=8)
    if paths:
        bx = axes[1]
        for k, (steps, m) in enumerate(paths):
            bx.plot(np.asarray(steps) + 1, m, lw=0.8, color=f"C{k % 10}")
        bx.axhline(result.m_thr, color="0.4", ls="--", lw=1, label=f"m_thr = {result.m_thr}")
        if not result.signed:
            bx.axhline(-result.m_thr, color="0.4", ls="--", lw=1)
        bx.set_xscale("log")
        bx.set_title("overlap paths of 4 illustrative runs (fresh runs of the same chain)", fontsize=9)
        bx.set_xlabel("step t + 1")
        bx.set_ylabel("overlap m_t")
        bx.legend(fontsize=8)
    return fig


def advice_figure(advices):
    """Predicted ``T(eta)`` of each advice's grid (and the simulated means of its check), log-log.

    The predicted curve is a line through the evaluated grid, the advised point a star, the plateau
    (predicted ``T`` within 10% of the advised) a shaded band. With a check, the simulated means
    are drawn with 2 SE error bars (filled where the eta is in the simulated optimum set), together
    with the predicted ``T`` at the checked etas at the check's ``kappa``.

    Parameters
    ----------
    advices : sequence of theory.advise.Advice

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, (ax,) = _figure()
    for k, adv in enumerate(advices):
        grid = sorted((g for g in adv.grid if math.isfinite(g["predicted_T"])), key=lambda g: g["eta"])
        color = f"C{k % 10}"
        name = adv.rule.split(' (')[0]
        ax.loglog([g["eta"] for g in grid], [g["predicted_T"] for g in grid], "-", color=color,
                  label=f"{name}: predicted T (diffusion mean)")
        if adv.plateau is not None:
            ax.axvspan(adv.plateau[0], adv.plateau[1], color=color, alpha=0.12,
                       label=f"plateau: predicted T within 10% [{adv.plateau[0]:.2g}, {adv.plateau[1]:.2g}]")
        ax.plot([adv.eta], [adv.predicted_T], "*", ms=12, color=color, label=f"advised eta = {adv.eta:.3g}")
        if adv.simulation:
            rows = adv.simulation["rows"]
            members = set(adv.simulation.get("verdict", {}).get("optimum_set", []))
            ax.plot([r["eta"] for r in rows], [r["predicted_T"] for r in rows], ":", color=color, lw=1,
                    label=f"predicted at the checked etas (kappa = {adv.simulation['kappa']:g})")
            for inset, mfc, what in ((False, "none", "simulated mean +- 2 SE"),
                                     (True, color, "in the simulated optimum set")):
                sel = [r for r in rows if (r["eta"] in members) == inset]
                if sel:
                    ax.errorbar([r["eta"] for r in sel], [r["mean"] for r in sel], yerr=[2 * r["se"] for r in sel],
                                fmt="o", mfc=mfc, color=color, capsize=2, label=what)
            v = adv.simulation.get("verdict")
            if v:
                ax.set_title(f"d = {adv.d}: check {v['verdict']} (eta {v['eta_check']['status']}, "
                             f"T {v['T_check']['status']}: pred/sim = {v['T_check']['ratio']:.2f} +- "
                             f"{v['T_check']['ratio_se']:.2f})", fontsize=9)
    ax.set_xlabel("eta")
    ax.set_ylabel(f"T (samples) at d = {advices[0].d}")
    ax.legend(fontsize=7)
    return fig


def png_bytes(fig, dpi: int = 90) -> bytes:
    """``fig`` as PNG bytes (for notebook display)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _register_pictures() -> None:
    """Notebook display: a profile shows its spectrum, a prediction its exponent curve, a result its CDF."""
    from theory.display import register
    from theory.exponents import LinkProfile
    from theory.predict import Prediction
    from theory.simulate.common import SimulationResult

    register(LinkProfile, "png", lambda p: png_bytes(spectrum_figure(p)))
    register(Prediction, "png", lambda p: png_bytes(exponent_curve_figure(p)))
    register(SimulationResult, "png", lambda r: png_bytes(simulation_figure(r)))


_register_pictures()
