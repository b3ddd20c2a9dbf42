"""A learning-rate advisor: the ``eta`` and ``gamma`` that minimise the predicted sample count at a given ``d``.

The theorem's curve ``e(alpha)`` says which learning rate wins as ``d -> oo``. At a finite
``d`` the constants decide, and the advisor uses the best finite-``d`` predictor the package
has:

1. the exact drift coefficients ``mu_i(eta)`` and ``E[psi^2]`` of the rule;
2. a step size ``gamma`` for each ``eta``. The theorem's step
   ``gamma_0 = kappa max_i 2 i! mu_i d^-((i/2) v 1) / E[psi^2]`` (:func:`theory.predict.step_size`)
   is scanned over the constant ``kappa`` on a factor-2 grid;
3. the diffusion prediction of the mean hitting time (:mod:`theory.diffusion`) of the exact
   one-step map at that ``(eta, gamma)``, from the positive hemisphere, in steps (one sample
   per step).

The search runs on a log grid of ``eta`` over the rule's validity range, and is refined by a
golden-section search in ``log eta`` around the best grid point. The result names the winning
index and the regime of the theorem at the advised point. It also says how much worse the
small-``eta`` choice is: the predicted ``T`` at the small end of the grid, below every
threshold.

With ``simulate=True`` the advice is checked with the reduced engine on a small grid around the
advised ``eta`` (factors ``1/4 .. 4``), at the advised ``gamma`` rule, with a null control
(labels independent of ``x``) at the advised point. The measured optimum is reported next to
the advised one. Every float is numeric and labelled so in the output.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from theory._validate import as_int
from theory.errors import PredictionError

__all__ = ["Advice", "advise", "DEFAULT_KAPPA_GRID"]

#: Step-size constants scanned at every eta (the theorem fixes gamma only up to a constant).
DEFAULT_KAPPA_GRID = (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1 / 2, 1.0, 2.0, 4.0, 8.0)
#: Number of learning rates on the coarse log grid, and golden-section refinements after it.
GRID_POINTS = 17
REFINE_STEPS = 8
#: How far below the validity range's upper end the grid reaches, as a power of d.
GRID_DECADES_IN_D = 2.0


@dataclass
class Advice:
    """The advised ``(eta, gamma)`` at one ``d``, and what it predicts.

    Attributes
    ----------
    rule : str
        The rule's label.
    d : int
    eta, gamma : float
        The advised learning rates (numeric).
    kappa : float
        ``gamma / gamma_0`` times the default ``1/8``: the step-size constant chosen.
    predicted_T : float
        The diffusion mean hitting time at ``(eta, gamma)``, in samples (numeric).
    index : int
        The winning index of the theorem's ``T`` at ``(d, eta)``.
    regime : str
        The theorem's regime at ``alpha = -log_d eta``.
    small_eta : dict
        ``{"eta", "gamma", "predicted_T"}`` at the small end of the grid.
    small_eta_ratio : float
        ``small_eta["predicted_T"] / predicted_T``: how much the small learning rate costs.
    grid : list of dict
        Every evaluated ``(eta, gamma, kappa, predicted_T, index)``.
    simulation : dict or None
        With ``simulate=True``: the measured means per ``eta``, the measured optimum and the
        null control.
    """

    rule: str
    d: int
    eta: float
    gamma: float
    kappa: float
    predicted_T: float
    index: int
    regime: str
    small_eta: dict
    small_eta_ratio: float
    grid: list = field(default_factory=list)
    simulation: dict | None = None
    label: str = "numeric"
    #: Caveats on the advice, e.g. an optimum at the edge of the searched grid.
    notes: list = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready (strict: non-finite floats become ``None``)."""
        def clean(x):
            if isinstance(x, float):
                return x if math.isfinite(x) else None
            if isinstance(x, dict):
                return {k: clean(v) for k, v in x.items()}
            if isinstance(x, (list, tuple)):
                return [clean(v) for v in x]
            return x
        return clean(asdict(self))

    def text(self) -> str:
        """A few plain-text lines."""
        lines = [f"{self.rule} at d = {self.d}:",
                 f"  advised eta = {self.eta:.4g}, gamma = {self.gamma:.4g} (kappa = {self.kappa:g})",
                 f"  predicted T = {self.predicted_T:.4g} samples (diffusion mean, numeric); "
                 f"winning index {self.index}, {self.regime}",
                 f"  small eta ({self.small_eta['eta']:.3g}): predicted T = {self.small_eta['predicted_T']:.4g}, "
                 f"{self.small_eta_ratio:.3g} times the advised"]
        for note in self.notes:
            lines.append(f"  NOTE: {note}")
        if self.simulation:
            s = self.simulation
            lines.append(f"  simulated (reduced engine, {s['runs']} runs per point): measured optimum eta = "
                         f"{s['best_eta']:.4g} (mean T = {s['best_mean']:.4g} +- {s['best_se']:.2g}); at the advised "
                         f"eta: {s['advised_mean']:.4g} +- {s['advised_se']:.2g}; null control median "
                         f"{s['null_median']:.4g} (censored {s['null_censored']} of {s['runs']})")
        return "\n".join(lines)


def _regime(prediction, d, eta) -> str:
    alpha = -math.log(eta) / math.log(d)
    for piece in prediction.pieces:
        lo = float(piece.alpha_min) if piece.alpha_min.is_finite else -math.inf
        hi = math.inf if piece.alpha_max is None else float(piece.alpha_max)
        if lo - 1e-12 <= alpha <= hi + 1e-12:
            return piece.regime
    return "outside the theorem's range"


def _case(rule) -> dict:
    from theory.simulate.cases import case_of
    return case_of(rule)


def _predicted(prediction, case, d, eta, kappa, *, m_thr, start):
    from theory.diffusion import mean_hitting_time
    from theory.predict import step_size
    from theory.simulate.cases import model_for

    gamma = step_size(prediction, d, eta, kappa).gamma
    model = model_for(case, eta, d)
    try:
        t = float(mean_hitting_time(model.target, model.kernel, d=d, gamma=gamma, m_thr=m_thr, noise=model.noise,
                                    a0=model.a0, start=start))
    except (ValueError, FloatingPointError):
        t = math.inf
    return gamma, (t if math.isfinite(t) and t > 0 else math.inf)


def _best_over_kappa(prediction, case, d, eta, kappas, **kw):
    best = (math.inf, None, None)
    for k in kappas:
        gamma, t = _predicted(prediction, case, d, eta, k, **kw)
        if t < best[0]:
            best = (t, gamma, k)
    return best


def advise(prediction, d: int, *, kappas=DEFAULT_KAPPA_GRID, m_thr: float = 0.5, start: str = "positive",
           simulate: bool = False, runs: int = 64, seed: int = 0, max_steps: int | None = None,
           progress=None) -> Advice:
    """Advise ``(eta, gamma)`` for ``prediction``'s rule at dimension ``d``.

    Parameters
    ----------
    prediction : Prediction
        From :func:`theory.predict.predict`.
    d : int
        The dimension (at least 3).
    kappas : sequence of float
        Step-size constants scanned at each ``eta``.
    m_thr : float
        Weak-recovery threshold on ``|m|``.
    start : str
        The start law of the diffusion and of the check (``"positive"``: the hemisphere of the
        target direction).
    simulate : bool
        Check the advice with the reduced engine (see the module docstring).
    runs, seed, max_steps : int
        For the check.
    progress : callable, optional
        Called with a short text after each evaluation (the CLI prints it on stderr).

    Returns
    -------
    Advice

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> from theory.predict import predict
    >>> a = advise(predict(make_rule("alternating", "h3", "h3")), 50, kappas=(0.125,))
    >>> a.index in (2, 3) and a.predicted_T <= a.small_eta["predicted_T"]
    True
    """
    from theory.predict import theorem_time

    d = as_int(d, "d", lo=3, error=PredictionError)
    rule = prediction.rule
    lo, _why = rule.eta_range
    eta_max = 1.0 if lo == -math.inf or not lo.is_finite else float(d) ** (-float(lo))
    case = _case(rule)
    kw = {"m_thr": m_thr, "start": start}
    etas = eta_max * np.geomspace(float(d) ** (-GRID_DECADES_IN_D), 1.0, GRID_POINTS)
    grid = []
    for eta in etas:
        t, gamma, kappa = _best_over_kappa(prediction, case, d, float(eta), kappas, **kw)
        index = theorem_time(prediction, d, float(eta))[1]
        grid.append({"eta": float(eta), "gamma": gamma, "kappa": kappa, "predicted_T": t, "index": index})
        if progress:
            progress(f"advise: d = {d}, eta = {eta:.3g}: T = {t:.4g}")
    finite = [g for g in grid if math.isfinite(g["predicted_T"])]
    if not finite:
        raise PredictionError(f"no learning rate gives a finite predicted hitting time at d = {d}")
    k = min(range(len(grid)), key=lambda j: grid[j]["predicted_T"])
    # golden-section refinement in log eta between the neighbours of the best grid point
    a_, b_ = math.log(grid[max(k - 1, 0)]["eta"]), math.log(grid[min(k + 1, len(grid) - 1)]["eta"])
    best = grid[k]
    phi = (math.sqrt(5) - 1) / 2
    cache = {}

    def f(x):
        if x not in cache:
            t, gamma, kappa = _best_over_kappa(prediction, case, d, math.exp(x), kappas, **kw)
            cache[x] = (t, gamma, kappa)
        return cache[x][0]
    if b_ > a_:
        c_, d_ = b_ - phi * (b_ - a_), a_ + phi * (b_ - a_)
        for _ in range(REFINE_STEPS):
            if f(c_) < f(d_):
                b_, d_ = d_, c_
                c_ = b_ - phi * (b_ - a_)
            else:
                a_, c_ = c_, d_
                d_ = a_ + phi * (b_ - a_)
        for x, (t, gamma, kappa) in cache.items():
            if t < best["predicted_T"]:
                eta = math.exp(x)
                best = {"eta": eta, "gamma": gamma, "kappa": kappa, "predicted_T": t,
                        "index": theorem_time(prediction, d, eta)[1]}
    small = grid[0]
    advice = Advice(rule=rule.label, d=d, eta=best["eta"], gamma=best["gamma"], kappa=best["kappa"],
                    predicted_T=best["predicted_T"], index=int(best["index"]),
                    regime=_regime(prediction, d, best["eta"]),
                    small_eta={k_: small[k_] for k_ in ("eta", "gamma", "predicted_T")},
                    small_eta_ratio=small["predicted_T"] / best["predicted_T"], grid=grid)
    if best["kappa"] in (min(kappas), max(kappas)) and len(kappas) > 1:
        advice.notes.append(f"the optimum is at the edge of the step-size grid (kappa = {best['kappa']:g}): the "
                            f"predicted optimum may lie beyond it, and the diffusion prediction is least reliable "
                            f"at large steps; check with --simulate")
    if best is grid[0] or best is grid[-1]:
        advice.notes.append("the optimum is at an end of the learning-rate grid (the curve may be flat there)")
    if simulate:
        advice.simulation = _check(prediction, case, advice, runs=runs, seed=seed, max_steps=max_steps,
                                   m_thr=m_thr, start=start, progress=progress)
    return advice


def _check(prediction, case, advice, *, runs, seed, max_steps, m_thr, start, progress):
    from theory.simulate import simulate
    from theory.simulate.cases import model_for

    d = advice.d
    lo, _ = prediction.rule.eta_range
    eta_max = 1.0 if not lo.is_finite else float(d) ** (-float(lo))
    factors = (0.25, 0.5, 1.0, 2.0, 4.0)
    etas = sorted({min(advice.eta * f, eta_max) for f in factors})
    budget = max_steps or int(min(5e7 / runs, max(50 * advice.predicted_T, 1e4)))
    ss = np.random.SeedSequence([seed, d])
    children = ss.spawn(len(etas) + 1)
    rows = []
    for eta, child in zip(etas, children):
        gamma, _t = _predicted(prediction, case, d, eta, advice.kappa, m_thr=m_thr, start=start)
        res = simulate(model_for(case, eta, d), d, gamma, runs=runs, seed=child, m_thr=m_thr, max_steps=budget,
                       start=start)
        t = np.asarray(res.steps, dtype=float)                      # censored and diverged runs count at
        #                                                             the steps they ran (a lower bound)
        mean, se = float(t.mean()), float(t.std(ddof=1) / math.sqrt(t.size))
        rows.append({"eta": eta, "gamma": gamma, "mean": mean, "se": se, "censored": int(res.censored)})
        if progress:
            progress(f"advise --simulate: eta = {eta:.3g}: mean T = {mean:.4g} +- {se:.2g}")
    gamma_adv = advice.gamma
    null = simulate(model_for(case, advice.eta, d), d, gamma_adv, runs=runs, seed=children[-1], m_thr=m_thr,
                    max_steps=budget, start=start, null=True)
    nt = np.asarray(null.steps, dtype=float)
    best = min(rows, key=lambda r: r["mean"])
    adv = min(rows, key=lambda r: abs(math.log(r["eta"] / advice.eta)))
    return {"runs": runs, "max_steps": budget, "rows": rows, "best_eta": best["eta"], "best_mean": best["mean"],
            "best_se": best["se"], "advised_mean": adv["mean"], "advised_se": adv["se"],
            "null_median": float(np.median(nt)),
            "null_censored": int(null.censored), "censored_count_at": "max_steps",
            "seed": seed, "label": "numeric"}
