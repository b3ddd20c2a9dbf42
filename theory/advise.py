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

Step-size grid. ``kappa`` runs over ``1/32 .. 1`` (factor 2), not beyond: above ``kappa = 1`` the
steps are large and the diffusion prediction stops describing the chain. Measured at ``d = 50``
for alternating SGD on ``h3`` (correlation loss, second layer reset), 400 runs a point from the
positive hemisphere, no censored run, ratio = predicted / simulated mean with its standard error
(delta method)::

    eta     kappa  predicted T  simulated mean +- SE  ratio
    4e-4    1/8         8015        8569 +- 522       0.94 +- 0.06
    4e-4    1/4         3963        4092 +- 225       0.97 +- 0.05
    4e-4    1/2         2023        2607 +- 145       0.78 +- 0.04
    4e-4    1           1148        1411 +- 81        0.81 +- 0.05
    4e-4    2            681        1070 +- 48        0.64 +- 0.03
    4e-4    4            390         837 +- 44        0.47 +- 0.02
    4e-4    8            231         777 +- 37        0.30 +- 0.01
    4e-3    1/8         8548        9454 +- 588       0.90 +- 0.06
    4e-3    1/4         4297        4809 +- 285       0.89 +- 0.05
    4e-3    1/2         2184        2618 +- 153       0.83 +- 0.05
    4e-3    1           1216        1424 +- 62        0.85 +- 0.04
    4e-3    2            714        1064 +- 54        0.67 +- 0.03
    4e-3    4            406         809 +- 40        0.50 +- 0.02
    4e-3    8            239         780 +- 40        0.31 +- 0.02

Up to ``kappa = 1`` the prediction is within 25% of the simulated mean. From ``kappa = 2`` on it is
too optimistic by a growing factor (the predicted ``T`` halves with every doubling of ``kappa``;
the simulated one hardly moves from ``kappa = 4`` to ``8``), so an optimum found there would be an
artefact of the predictor. The advisor's optimum is then usually at ``kappa = 1``, the edge of the
grid, and says so.

Plateau and check. The predicted ``T(eta)`` is flat over a wide range near its optimum, and so is
the simulated one, so an argmin alone says little. :func:`plateau` gives the range of evaluated
``eta`` whose predicted ``T`` is within 10% of the advised ``T``. With ``simulate=True`` the advice
is checked with the reduced engine on the grid :func:`check_etas` (the advised ``eta`` times
``2^k``, ``k = -4 .. 4``, widened to cover the plateau, clipped to the searched range), at the
advised ``kappa``, with a null control (labels independent of ``x``) at the advised point. While
an end of that grid is in the simulated optimum set, the grid is widened by a factor 2 there (at
most 8 points, never beyond the searched range), so the check covers the set.
:func:`check_verdict` then applies the two criteria: the advised ``eta`` is within a factor 2 of
the *simulated optimum set* (every checked ``eta`` whose mean minus 2 SE is at most the best mean
plus 2 SE), and the predicted ``T`` is within 30% of the simulated mean at the advised ``eta``.
Runs that reach the step budget count at the steps they ran, so a mean with censored runs is a
lower bound; the verdict counts them and does not pass on them. Every float is numeric and
labelled so in the output.

Size: about 620 lines, one concept (the advice and its check against simulation: the search,
the plateau, the check grid, the verdict and their text); the docstrings with their measured
table and examples are a third of it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from theory._validate import as_int, as_real
from theory.errors import PredictionError

__all__ = ["Advice", "advise", "plateau", "check_etas", "check_verdict", "with_null_control", "DEFAULT_KAPPA_GRID"]

#: Step-size constants scanned at every eta (the theorem fixes gamma only up to a constant); not
#: above 1, where the diffusion prediction is unreliable (the table in the module docstring).
DEFAULT_KAPPA_GRID = (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1 / 2, 1.0)
#: Largest kappa at which the diffusion prediction was checked against simulation.
KAPPA_TRUSTED = 1.0
#: The plateau: evaluated etas whose predicted T is within this fraction of the advised T.
PLATEAU_FRAC = 0.10
#: The check grid: the advised eta times 2^k, |k| <= log2(CHECK_SPAN) (widened to the plateau).
CHECK_SPAN = 16.0
#: The issue's criteria: factor in eta to the simulated optimum set, relative error of predicted T.
ETA_FACTOR = 2.0
T_REL_TOL = 0.30
#: Width, in standard errors on each side, of the simulated optimum set's rule.
SET_SE = 2.0
#: Step budget of a check run, in units of the largest predicted T on the check grid; and of a
#: null-control run, in units of the advised predicted T.
BUDGET_FACTOR = 100
NULL_BUDGET_FACTOR = 10
#: The null control must be at least this many times slower (median) than the simulated mean at the
#: advised point, or the check's verdict is FAIL (the same factor as verify's null controls).
NULL_FACTOR = 4.0
#: At most this many points are added to the check grid (factor 2 outwards) while an end of it is
#: in the simulated optimum set.
MAX_WIDEN = 8
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
    plateau : tuple of float
        ``(eta_lo, eta_hi)`` from :func:`plateau` with ``frac = 0.10``.
    small_eta_ratio : float
        ``small_eta["predicted_T"] / predicted_T``: how much the small learning rate costs.
    grid : list of dict
        Every evaluated ``(eta, gamma, kappa, predicted_T, index)``.
    simulation : dict or None
        With ``simulate=True``: the measured means per ``eta`` (``rows``), the verdict of
        :func:`check_verdict` (``verdict``) and the null control.
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
    #: (eta_lo, eta_hi): the evaluated etas whose predicted T is within 10% of the advised (:func:`plateau`).
    plateau: tuple | None = None
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
        if self.plateau is not None:
            lines.append(f"  plateau (predicted T within {PLATEAU_FRAC:.0%} of the advised, evaluated grid): "
                         f"eta in [{self.plateau[0]:.3g}, {self.plateau[1]:.3g}]")
        for note in self.notes:
            lines.append(f"  NOTE: {note}")
        if self.simulation:
            lines.extend(_check_text(self.simulation))
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
    advice.plateau = plateau(advice)
    if best["kappa"] == max(kappas) == KAPPA_TRUSTED and len(kappas) > 1:
        advice.notes.append(f"the optimum is at the edge of the step-size grid (kappa = {best['kappa']:g}), the "
                            f"largest step at which the diffusion prediction agrees with simulation; larger steps "
                            f"are predicted faster, but the prediction is not trusted there")
    elif best["kappa"] in (min(kappas), max(kappas)) and len(kappas) > 1:
        advice.notes.append(f"the optimum is at the edge of the step-size grid (kappa = {best['kappa']:g}): the "
                            f"predicted optimum may lie beyond it, and the diffusion prediction is least reliable "
                            f"at large steps; check with --simulate")
    if best is grid[0] or best is grid[-1]:
        advice.notes.append("the optimum is at an end of the learning-rate grid (the curve may be flat there)")
    if simulate:
        advice.simulation = _check(prediction, case, advice, runs=runs, seed=seed, max_steps=max_steps,
                                   m_thr=m_thr, start=start, progress=progress)
    return advice


def plateau(advice, frac: float = PLATEAU_FRAC) -> tuple:
    """The range of evaluated learning rates whose predicted ``T`` is within ``frac`` of the advised ``T``.

    The points are the advice's grid and the advised point itself, sorted by ``eta``. The range is
    the contiguous run of points around the advised ``eta`` with ``predicted_T <= (1 + frac)
    advice.predicted_T``, so it is resolved only to the grid's spacing (a factor
    ``d^(2/16)`` in ``eta`` for the default grid).

    Parameters
    ----------
    advice : Advice
    frac : float
        Relative tolerance on the predicted ``T`` (``> 0``).

    Returns
    -------
    tuple of float
        ``(eta_lo, eta_hi)`` (numeric).

    Examples
    --------
    >>> a = Advice(rule="r", d=50, eta=1.0, gamma=1.0, kappa=1.0, predicted_T=100.0, index=3, regime="x",
    ...            small_eta={}, small_eta_ratio=1.0,
    ...            grid=[{"eta": e, "predicted_T": t} for e, t in ((0.25, 150.0), (0.5, 105.0), (2.0, 109.0),
    ...                                                            (4.0, 120.0))])
    >>> plateau(a)
    (0.5, 2.0)
    """
    frac = as_real(frac, "frac", lo=0, lo_open=True, error=PredictionError)
    if not (math.isfinite(advice.predicted_T) and advice.predicted_T > 0):
        raise PredictionError(f"plateau needs a finite positive advised T, got {advice.predicted_T!r}")
    limit = (1.0 + frac) * advice.predicted_T
    points = sorted({float(g["eta"]): float(g["predicted_T"]) for g in advice.grid}.items())
    points = sorted(set(points) | {(float(advice.eta), float(advice.predicted_T))})
    k = min(range(len(points)), key=lambda j: abs(math.log(points[j][0] / advice.eta)))
    lo = hi = k
    while lo > 0 and points[lo - 1][1] <= limit:
        lo -= 1
    while hi < len(points) - 1 and points[hi + 1][1] <= limit:
        hi += 1
    return points[lo][0], points[hi][0]


def check_etas(advice, span: float = CHECK_SPAN, frac: float = PLATEAU_FRAC) -> list:
    """The learning rates the ``--simulate`` check simulates.

    The advised ``eta`` times ``2^k`` for every integer ``k`` with ``eta 2^k`` between
    ``min(eta / span, plateau_lo)`` and ``max(eta span, plateau_hi)`` (rounded outwards to the
    factor-2 grid), clipped to the range the advisor searched (the smallest and largest ``eta``
    of its grid: ``d^-2 eta_max .. eta_max``, ``eta_max`` the end of the rule's validity range).
    Where the clipping cuts the factor-2 grid, the end of the searched range is added, so the check
    reaches it.

    Parameters
    ----------
    advice : Advice
    span : float
        The smallest factor covered on either side of the advised ``eta`` (``>= 1``).
    frac : float
        The plateau's tolerance (:func:`plateau`).

    Returns
    -------
    list of float
        Increasing; contains the advised ``eta`` (numeric).

    Examples
    --------
    >>> a = Advice(rule="r", d=50, eta=0.01, gamma=1.0, kappa=1.0, predicted_T=100.0, index=3, regime="x",
    ...            small_eta={}, small_eta_ratio=1.0,
    ...            grid=[{"eta": 1e-4, "predicted_T": 500.0}, {"eta": 1.0, "predicted_T": 500.0}])
    >>> [round(e, 8) for e in check_etas(a, span=4)]
    [0.0025, 0.005, 0.01, 0.02, 0.04]
    """
    span = as_real(span, "span", lo=1, error=PredictionError)
    lo_range = min(float(g["eta"]) for g in advice.grid + [{"eta": advice.eta}])
    hi_range = max(float(g["eta"]) for g in advice.grid + [{"eta": advice.eta}])
    p_lo, p_hi = plateau(advice, frac)
    want_lo, want_hi = min(advice.eta / span, p_lo), max(advice.eta * span, p_hi)
    k_lo = math.floor(math.log2(want_lo / advice.eta) + 1e-9)
    k_hi = math.ceil(math.log2(want_hi / advice.eta) - 1e-9)
    tol = 1e-9
    etas = [advice.eta * 2.0 ** k for k in range(k_lo, k_hi + 1)]
    kept = [e for e in etas if lo_range * (1 - tol) <= e <= hi_range * (1 + tol)]
    if etas[0] < lo_range * (1 - tol) and all(abs(e / lo_range - 1) > tol for e in kept):
        kept.insert(0, lo_range)
    if etas[-1] > hi_range * (1 + tol) and all(abs(e / hi_range - 1) > tol for e in kept):
        kept.append(hi_range)
    return kept


def _row_ok(r, i):
    for key in ("eta", "mean"):
        v = r.get(key) if isinstance(r, dict) else None
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not (math.isfinite(v) and v > 0):
            raise PredictionError(f"check_verdict: rows[{i}][{key!r}] must be a finite positive number, got {v!r}")
    se = r.get("se")
    if isinstance(se, bool) or not isinstance(se, (int, float)) or not (math.isfinite(se) and se >= 0):
        raise PredictionError(f"check_verdict: rows[{i}]['se'] must be a finite number >= 0, got {se!r}")


def with_null_control(verdict: dict, null_median: float, advised_mean: float, *,
                      factor: float = NULL_FACTOR) -> dict:
    """``verdict`` (from :func:`check_verdict`) with the null control applied.

    The check passes only if the null control's median (labels independent of ``x``; censored runs
    count at the steps they ran, so the median is a lower bound) is at least ``factor`` times the
    simulated mean at the advised ``eta``. Adds ``null_ok``.

    Examples
    --------
    >>> v = {"verdict": "PASS", "reason": "both criteria hold"}
    >>> with_null_control(v, 5000.0, 1000.0)["verdict"], with_null_control(v, 3000.0, 1000.0)["verdict"]
    ('PASS', 'FAIL')
    """
    ok = bool(null_median >= factor * advised_mean)
    out = dict(verdict, null_ok=ok)
    if not ok and verdict["verdict"] == "PASS":
        out.update(verdict="FAIL", reason=f"the null control's median {null_median:.4g} is not {factor:g} times the "
                                          f"simulated mean {advised_mean:.4g} at the advised eta: the signal is not "
                                          f"told apart from labels independent of x")
    return out


def check_verdict(advised_eta: float, predicted_T: float, rows, *, eta_factor: float = ETA_FACTOR,
                  t_tol: float = T_REL_TOL, n_se: float = SET_SE) -> dict:
    """Apply the issue's two criteria to a simulated ``T(eta)`` curve.

    1. *Factor in eta*: the advised ``eta`` is within a factor ``eta_factor`` of some ``eta`` in the
       simulated optimum set, the rows with ``mean - n_se SE <= best mean + n_se SE`` (``best``: the
       row with the smallest mean).
    2. *Predicted T*: ``|predicted_T / mean - 1| <= t_tol`` with ``mean`` the simulated mean at the
       advised ``eta``; the ratio's standard error is ``predicted_T SE / mean^2`` (delta method; the
       prediction has no sampling error), and ``margin_se`` says how many of them the ratio is
       inside (positive) or outside (negative) the band.

    A row's ``censored`` count (runs that reached the step budget, counted at the steps they ran)
    makes its mean a lower bound. If the advised row or a row of the optimum set has censored
    runs, the criteria are undecided and the verdict is FAIL with that reason.

    Parameters
    ----------
    advised_eta, predicted_T : float
        The advice (``> 0``).
    rows : sequence of dict
        ``{"eta", "mean", "se"}`` and optionally ``"censored"``; one row must be at the advised
        ``eta`` (relative difference below ``1e-9``).
    eta_factor, t_tol, n_se : float
        The criteria's tolerances (``eta_factor >= 1``, ``t_tol > 0``, ``n_se >= 0``).

    Returns
    -------
    dict
        ``verdict`` (``"PASS"``/``"FAIL"``), ``reason``, ``eta_check`` and ``T_check`` (each with its
        ``status`` and numbers), ``optimum_set`` (its etas), ``optimum_range``, ``best``,
        ``set_rule``, ``censored`` (in the deciding rows) and ``label`` ``"numeric"``.

    Examples
    --------
    >>> rows = [{"eta": 0.5, "mean": 130.0, "se": 5.0}, {"eta": 1.0, "mean": 110.0, "se": 5.0},
    ...         {"eta": 2.0, "mean": 100.0, "se": 5.0}, {"eta": 4.0, "mean": 200.0, "se": 5.0}]
    >>> v = check_verdict(1.0, 100.0, rows)
    >>> v["verdict"], v["optimum_set"], round(v["T_check"]["ratio"], 4)
    ('PASS', [1.0, 2.0], 0.9091)
    """
    advised_eta = as_real(advised_eta, "advised_eta", lo=0, lo_open=True, error=PredictionError)
    predicted_T = as_real(predicted_T, "predicted_T", lo=0, lo_open=True, error=PredictionError)
    eta_factor = as_real(eta_factor, "eta_factor", lo=1, error=PredictionError)
    t_tol = as_real(t_tol, "t_tol", lo=0, lo_open=True, error=PredictionError)
    n_se = as_real(n_se, "n_se", lo=0, error=PredictionError)
    rows = list(rows)
    if not rows:
        raise PredictionError("check_verdict needs at least one simulated row")
    for i, r in enumerate(rows):
        _row_ok(r, i)
    at = [r for r in rows if abs(r["eta"] / advised_eta - 1) < 1e-9]
    if not at:
        raise PredictionError(f"check_verdict needs a simulated row at the advised eta = {advised_eta:.6g}")
    adv = at[0]
    best = min(rows, key=lambda r: r["mean"])
    bound = best["mean"] + n_se * best["se"]
    members = sorted((r for r in rows if r["mean"] - n_se * r["se"] <= bound), key=lambda r: r["eta"])
    nearest = min(members, key=lambda r: abs(math.log(r["eta"] / advised_eta)))
    factor = math.exp(abs(math.log(nearest["eta"] / advised_eta)))
    eta_ok = factor <= eta_factor * (1 + 1e-9)
    ratio = predicted_T / adv["mean"]
    ratio_se = predicted_T * adv["se"] / adv["mean"] ** 2
    t_ok = abs(ratio - 1) <= t_tol * (1 + 1e-12)                   # the band's edge counts, as 2.0 does
    margin = (t_tol - abs(ratio - 1)) / ratio_se if ratio_se > 0 else (math.inf if t_ok else -math.inf)
    deciding = {id(r): r for r in members + [adv]}.values()
    censored = sum(int(r.get("censored", 0)) for r in deciding)
    if censored:
        verdict, reason = "FAIL", (f"undecided: {censored} censored runs in the advised row or the optimum set "
                                   f"(their means are lower bounds)")
    elif eta_ok and t_ok:
        verdict, reason = "PASS", "both criteria hold"
    else:
        verdict = "FAIL"
        reason = " and ".join(w for w, ok in (("the advised eta is not within the factor of the optimum set", eta_ok),
                                              ("the predicted T is outside the band", t_ok)) if not ok)
    return {"verdict": verdict, "reason": reason,
            "eta_check": {"status": "PASS" if eta_ok else "FAIL", "advised_eta": advised_eta,
                          "nearest_eta_in_set": nearest["eta"], "factor": factor, "tolerance": eta_factor},
            "T_check": {"status": "PASS" if t_ok else "FAIL", "predicted_T": predicted_T,
                        "simulated_mean": adv["mean"], "simulated_se": adv["se"], "ratio": ratio,
                        "ratio_se": ratio_se, "tolerance": t_tol, "margin_se": margin},
            "optimum_set": [r["eta"] for r in members],
            "optimum_range": [members[0]["eta"], members[-1]["eta"]],
            "best": {"eta": best["eta"], "mean": best["mean"], "se": best["se"]},
            "set_rule": f"mean - {n_se:g} SE <= best mean + {n_se:g} SE",
            "censored": censored, "label": "numeric"}


def _check(prediction, case, advice, *, runs, seed, max_steps, m_thr, start, progress):
    from theory.simulate import simulate
    from theory.simulate.cases import model_for

    d = advice.d
    lo_range = min(g["eta"] for g in advice.grid + [{"eta": advice.eta}])
    hi_range = max(g["eta"] for g in advice.grid + [{"eta": advice.eta}])
    root = np.random.SeedSequence([seed, d])

    def row(eta):
        if abs(eta / advice.eta - 1) < 1e-9:
            eta, gamma, t_pred = advice.eta, advice.gamma, advice.predicted_T
        else:
            gamma, t_pred = _predicted(prediction, case, d, eta, advice.kappa, m_thr=m_thr, start=start)
        budget = max_steps or int(max(BUDGET_FACTOR * max(t_pred if math.isfinite(t_pred) else 0.0,
                                                          advice.predicted_T), 1e4))
        # one stream per eta, from the seed and the eta's position on the factor-2 grid
        k = round(math.log2(eta / advice.eta) * 64)
        child = np.random.SeedSequence([seed, d, 1, k + 2**20])
        res = simulate(model_for(case, eta, d), d, gamma, runs=runs, seed=child, m_thr=m_thr, max_steps=budget,
                       start=start)
        t = np.asarray(res.steps, dtype=float)                      # censored and diverged runs count at
        #                                                             the steps they ran (a lower bound)
        mean, se = float(t.mean()), float(t.std(ddof=1) / math.sqrt(t.size))
        if progress:
            progress(f"advise --simulate: eta = {eta:.3g}: mean T = {mean:.4g} +- {se:.2g} "
                     f"(predicted {t_pred:.4g}, censored {int(res.censored)} at {budget:.3g} steps)")
        return {"eta": eta, "gamma": gamma, "predicted_T": t_pred, "mean": mean, "se": se,
                "censored": int(res.censored), "max_steps": budget}

    rows = [row(eta) for eta in check_etas(advice)]
    widened = 0
    # widen the grid by factors of 2 while an end point is in the simulated optimum set
    while widened < MAX_WIDEN:
        verdict = check_verdict(advice.eta, advice.predicted_T, rows)
        new = []
        if rows[0]["eta"] in verdict["optimum_set"] and rows[0]["eta"] > lo_range * (1 + 1e-9):
            new.append(max(rows[0]["eta"] / 2, lo_range))
        if rows[-1]["eta"] in verdict["optimum_set"] and rows[-1]["eta"] < hi_range * (1 - 1e-9):
            new.append(min(rows[-1]["eta"] * 2, hi_range))
        if not new:
            break
        rows = sorted(rows + [row(e) for e in new], key=lambda r: r["eta"])
        widened += len(new)
    verdict = check_verdict(advice.eta, advice.predicted_T, rows)
    at_end = [name for name, r, edge in (("lower", rows[0], lo_range), ("upper", rows[-1], hi_range))
              if r["eta"] in verdict["optimum_set"] and abs(r["eta"] / edge - 1) < 1e-9]
    open_ends = [name for name, r in (("lower", rows[0]), ("upper", rows[-1])) if r["eta"] in verdict["optimum_set"]]
    null_budget = max_steps or int(max(NULL_BUDGET_FACTOR * advice.predicted_T, 1e4))
    null = simulate(model_for(case, advice.eta, d), d, advice.gamma, runs=runs,
                    seed=np.random.SeedSequence([seed, d, 2]), m_thr=m_thr, max_steps=null_budget, start=start,
                    null=True)
    nt = np.asarray(null.steps, dtype=float)
    best = verdict["best"]
    adv = next(r for r in rows if r["eta"] == advice.eta)
    verdict = with_null_control(verdict, float(np.median(nt)), adv["mean"])
    null_ok = verdict["null_ok"]
    return {"runs": runs, "max_steps": max(r["max_steps"] for r in rows), "rows": rows, "kappa": advice.kappa,
            "widened": widened, "set_at_range_end": at_end, "set_open_ends": open_ends,
            "searched_range": [lo_range, hi_range],
            "best_eta": best["eta"], "best_mean": best["mean"], "best_se": best["se"],
            "advised_mean": adv["mean"], "advised_se": adv["se"], "censored": sum(r["censored"] for r in rows),
            "verdict": verdict, "plateau": list(advice.plateau),
            "null_median": float(np.median(nt)), "null_max_steps": null_budget, "null_ok": null_ok,
            "null_factor": NULL_FACTOR,
            "null_censored": int(null.censored), "censored_count_at": "max_steps",
            "seed": seed, "label": "numeric"}


def _check_text(s) -> list:
    v = s["verdict"]
    lines = [f"  check (reduced engine, {s['runs']} runs a point at kappa = {s['kappa']:g}, at most {s['max_steps']:.3g} "
             f"steps a run, {BUDGET_FACTOR}x the predicted T; a censored run counts at the steps it ran, so a mean "
             f"with censored runs is a lower bound; {s['censored']} censored in all; grid widened by "
             f"{s['widened']} while an end of it was in the optimum set):",
             "    eta         predicted T   simulated mean +- SE     censored"]
    for r in s["rows"]:
        mark = "  <- advised" if r["eta"] == v["eta_check"]["advised_eta"] else ""
        mark += "  (optimum set)" if r["eta"] in v["optimum_set"] else ""
        lines.append(f"    {r['eta']:<10.3g}  {r['predicted_T']:>11.4g}   {r['mean']:>10.4g} +- {r['se']:<9.2g}"
                     f"  {r['censored']:>5d}{mark}")
    e, t = v["eta_check"], v["T_check"]
    lines += [f"  simulated optimum set ({v['set_rule']}; best mean {v['best']['mean']:.4g} +- "
              f"{v['best']['se']:.2g} at eta = {v['best']['eta']:.3g}): eta in [{v['optimum_range'][0]:.3g}, "
              f"{v['optimum_range'][1]:.3g}], {len(v['optimum_set'])} of {len(s['rows'])} points",
              f"  criterion 1, advised eta within a factor {e['tolerance']:g} of the optimum set: {e['status']} "
              f"(nearest eta in the set {e['nearest_eta_in_set']:.3g}, factor {e['factor']:.3g})",
              f"  criterion 2, predicted T within {t['tolerance']:.0%} of the simulated mean at the advised eta: "
              f"{t['status']} (predicted / simulated = {t['predicted_T']:.4g} / {t['simulated_mean']:.4g} = "
              f"{t['ratio']:.3f} +- {t['ratio_se']:.3f} (1 SE); margin to the band's edge {t['margin_se']:.2g} SE, "
              f"positive inside)",
              f"  verdict: {v['verdict']} ({v['reason']})"]
    if s["set_at_range_end"]:
        lines.append(f"  the optimum set reaches the {' and '.join(s['set_at_range_end'])} end of the searched range "
                     f"[{s['searched_range'][0]:.3g}, {s['searched_range'][1]:.3g}]: it may extend beyond")
    elif s["set_open_ends"]:
        lines.append(f"  the optimum set reaches the {' and '.join(s['set_open_ends'])} end of the check grid after "
                     f"{s['widened']} added points: it may extend beyond")
    half = s["null_censored"] * 2 >= s["runs"]
    lines.append(f"  null control at the advised point (labels independent of x): median "
                 f"{'>= ' if half else ''}{s['null_median']:.4g} (censored {s['null_censored']} of {s['runs']} at "
                 f"{s['null_max_steps']:.3g} steps; "
                 f"{'ok' if s['null_ok'] else 'FAIL'}: needs {s['null_factor']:g}x the simulated mean at the advised eta)")
    return lines
