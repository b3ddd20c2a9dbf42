"""The plan of a verification: which points, at which sizes and step sizes, derived from the prediction.

Nothing here simulates.  :func:`make_plan` reads the theorem's prediction for the case and
decides which claims it implies, which of them can be measured at the configured sizes (the
others are SKIPs with a reason), and the points the sweeps will run.  The numbers the method
fixes in advance are the named fields of :class:`PlanConstants`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from theory.errors import TheoryInputError
from theory.predict import Prediction, crossing_etas, numeric_coefficients, step_size, theorem_time
from theory.verify.config import MAX_STEPS_PER_RUN, VerifyConfig
from theory.verify.records import dedupe

__all__ = ["PlanConstants", "Plan", "make_plan", "eta_star", "eta_max", "is_eta_independent", "allowed_indices",
           "side_slopes", "is_numeric", "theorem_window_slope"]


@dataclass(frozen=True)
class PlanConstants:
    """The numbers the verification method fixes before looking at simulation output.

    Parameters
    ----------
    small_eta_divisor : float
        The small-``eta`` exponent is measured at ``eta*(d) / 8``: three octaves below the
        crossing, inside the small-rate regime at every ``d``.
    small_eta_fallback : float
        The small-``eta`` point when the prediction has no crossing at ``d`` and ``psi`` depends on
        ``eta`` (``1e-6``: far below any crossing at the sizes simulated).  An ``eta``-independent
        prediction (:func:`is_eta_independent`) uses ``eta = 0`` instead.
    sweep_octaves : tuple
        A threshold sweep runs ``eta = eta*(d) 2^k`` for ``k`` in ``range(-4, 8)``: four octaves of
        plateau below the crossing, seven of the ``eta^-2`` side above it (both windows fit).
    figure_octaves : tuple
        At ``fig_d`` outside the threshold sizes the figure needs only the plateau, ``range(-4, 1)``.
    below_window, above_window : tuple
        The slope windows in octaves around the crossing: ``eta_b/16 -> eta_b/4`` and
        ``4 eta_b -> 16 eta_b``, two octaves clear of the bend on either side.
    window_edge_rtol : float
        A window may end on the sweep's first or last ``eta`` up to this relative rounding.
    budget_kappa : float
        The step budget is ``budget_factor`` times the theorem's time at ``kappa = 1/8`` (the
        ``8`` of ``budget / (8 kappa)``), scaled by ``budget_kappa / kappa``: a smaller step needs
        proportionally more steps.
    budget_floor : int
        Steps added to every budget, so a tiny predicted time still leaves room for the start.
    exponential_escape_index : int
        The winning index whose escape is exponential (``i = 2``: the drift is linear in ``m``), so
        leaving ``m = d^-1/2`` costs ``log sqrt(d)`` e-foldings and its times are divided by
        ``ln d`` (the theorem's ``Theta~``); ``i >= 3`` escapes polynomially and ``i = 1`` linearly.
    bootstrap_stream : int
        The bootstrap's generator is ``SeedSequence([seed, 7])``: a stream of its own, apart from
        the runs' seeds, so resampling never reuses a run's random numbers.
    min_finite_replicates : float
        A standard error needs 95% of its bootstrap replicates finite; fewer means the estimate is
        not measurable (too many censored runs), not that it has a small SE.
    tune_octaves : tuple
        The tuned-``gamma`` table tries ``gamma 2^j`` for ``j`` in ``range(-3, 4)``.
    max_kappa : float
        ... as long as ``kappa 2^j <= 1`` (to rounding ``1e-12``): the theorem's range of ``kappa``.
    constants_band : float
        The constants claim: the diffusion's mean hitting time is within this factor (``1.25``,
        i.e. 25%) of the simulated mean.
    constants_min_d : int
        ... at every swept ``eta`` of every threshold sweep with ``d >= 50``: the diffusion is a
        large-``d`` limit (one step moves ``m`` by ``O(d^-1/2)`` of the distance to the threshold),
        and at ``d = 25`` it is measurably low (ratios 0.69 to 0.84 at large ``eta`` in the default run).
    constants_barrier_sds : float
        ... and where the exact one-step drift has no stable zero ``m_s`` with
        ``|m_s| >= 3 / sqrt(d)``, three standard deviations of the start law's ``|m_0|``.  Beyond
        such a zero the drift points back, so a run reaches the threshold (or the far side) by
        escaping it: a rare event whose time depends on the whole law of the step, while the
        diffusion keeps its first two moments.  Stable zeros inside the start's spread are the
        equator's, which the diffusion describes (in the large profile the 38 included points
        below the measured crossing, ``d = 50..1600``, have ratios 0.75 to 1.38, all inside the
        band up to 3 SE).  This rule was written after the large
        profile's first run, where the claim failed at ``d >= 1600`` and large ``eta``
        (docs/scale.md says what it was fixed from).
    constants_stream : int
        The constants claim's bootstrap generator is ``SeedSequence([seed, 11])``.

    Examples
    --------
    >>> c = PlanConstants()
    >>> (c.budget_kappa * 8, c.sweep_octaves, c.below_window, c.above_window)
    (1.0, (-4, 8), (-4, -2), (2, 4))
    """

    small_eta_divisor: float = 8.0
    small_eta_fallback: float = 1e-6
    sweep_octaves: tuple = (-4, 8)
    figure_octaves: tuple = (-4, 1)
    below_window: tuple = (-4, -2)
    above_window: tuple = (2, 4)
    window_edge_rtol: float = 1e-9
    budget_kappa: float = 0.125
    budget_floor: int = 1000
    exponential_escape_index: int = 2
    bootstrap_stream: int = 7
    min_finite_replicates: float = 0.95
    tune_octaves: tuple = (-3, 4)
    max_kappa: float = 1.0
    constants_band: float = 1.25
    constants_min_d: int = 50
    constants_barrier_sds: float = 3.0
    constants_stream: int = 11

    @property
    def windows(self) -> dict:
        """``{"below": below_window, "above": above_window}``."""
        return {"below": self.below_window, "above": self.above_window}

    def log_factor(self, index: int, d: int) -> float:
        """``ln d`` for the exponentially escaping index, else ``1`` (see ``exponential_escape_index``).

        Examples
        --------
        >>> PlanConstants().log_factor(3, 100), round(PlanConstants().log_factor(2, 100), 3)
        (1.0, 4.605)
        """
        return math.log(d) if index == self.exponential_escape_index else 1.0


# ---------------------------------------------------------------------------
# properties of the prediction the plan reads
# ---------------------------------------------------------------------------
def eta_star(pred: Prediction, d: int) -> float | None:
    """The smallest finite-``d`` crossing ``eta*(d)`` of the competing terms; ``None`` without one.

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> from theory.predict import predict
    >>> round(eta_star(predict(make_rule("alternating", "h3", "h3")), 100), 6)
    0.005556
    """
    if not pred.thresholds:
        return None
    crossings = crossing_etas(pred, d)
    if not crossings:
        return None
    return float(min(c[0] for c in crossings))


def eta_max(pred: Prediction, d: int) -> float | None:
    """The largest admissible ``eta = d^-alpha_min``; ``None`` when every ``eta`` is admissible."""
    lo = pred.alpha_min
    return None if lo == -sp.oo else float(d) ** (-float(lo))


def is_eta_independent(pred: Prediction) -> bool:
    """True when the predicted ``T`` does not depend on ``eta`` at all.

    That is: the curve is valid for every ``alpha`` (no largest ``eta``), has no threshold, and
    every piece is constant in ``alpha`` (online SGD: ``psi`` does not involve ``eta``).

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> from theory.predict import predict
    >>> is_eta_independent(predict(make_rule("online", "h3", "h3")))
    True
    >>> is_eta_independent(predict(make_rule("alternating", "h3", "h3")))
    False
    """
    return (pred.alpha_min == -sp.oo and not pred.thresholds
            and all(p.slope == 0 for p in pred.pieces))


def allowed_indices(pred: Prediction, alpha) -> set:
    """Indices that win the asymptotic curve at ``alpha`` (ties at a threshold count for both sides).

    ``alpha = None`` means the small-``eta`` end (``alpha -> oo``).
    """
    alpha = sp.oo if alpha is None else alpha
    out = set()
    for p in pred.pieces:
        lo_ok = p.alpha_min == -sp.oo or (alpha != sp.oo and bool(p.alpha_min <= alpha)) or \
            (alpha == sp.oo and p.alpha_max is None)
        hi_ok = p.alpha_max is None or (alpha != sp.oo and bool(alpha <= p.alpha_max))
        if lo_ok and hi_ok:
            out.add(p.index)
    for t in pred.thresholds:
        if alpha != sp.oo and t.alpha == alpha:
            out |= {t.from_index, t.to_index}
    return out


def side_slopes(pred: Prediction, t) -> tuple[float | None, float | None]:
    """``d log T / d log eta`` just below and just above threshold ``t`` from the asymptotic pieces."""
    below = next((p for p in pred.pieces if p.alpha_min == t.alpha), None)  # larger alpha: smaller eta
    above = next((p for p in pred.pieces if p.alpha_max == t.alpha), None)
    return (None if below is None else 0.0 - float(below.slope)), (None if above is None else 0.0 - float(above.slope))


def is_numeric(pred: Prediction) -> bool:
    """True when the drift coefficients or ``E[psi^2]`` carry floating-point (numeric) coefficients.

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> from theory.predict import predict
    >>> is_numeric(predict(make_rule("alternating", "h3", "h3")))
    False
    """
    exprs = [v for v in pred.mu.values() if isinstance(v, sp.Basic)] + [pred.psi_second_moment]
    return any(isinstance(e, sp.Basic) and e.atoms(sp.Float) for e in exprs)


def theorem_window_slope(pred: Prediction, ds, window) -> float:
    """The theorem's ``d log T / d log eta`` between ``eta*(d) 2^k0`` and ``eta*(d) 2^k1``, mean over ``ds``."""
    k0, k1 = window
    vals = []
    for d in ds:
        star = eta_star(pred, d)
        e0, e1 = star * 2.0**k0, star * 2.0**k1
        vals.append(math.log(theorem_time(pred, d, e1)[0] / theorem_time(pred, d, e0)[0]) / math.log(e1 / e0))
    return float(np.mean(vals))


# ---------------------------------------------------------------------------
# the plan
# ---------------------------------------------------------------------------
@dataclass
class Plan:
    """What a verification will run, derived from the configuration and the prediction.

    Parameters
    ----------
    cfg : VerifyConfig
        The configuration.
    pred : Prediction
        The theorem's prediction for ``cfg.case()``.
    constants : PlanConstants
        The numbers the method fixes in advance.

    Attributes
    ----------
    small_exp, large_exp : float or None
        The predicted small- and large-``eta`` exponents (``None``: that claim is not implied).
    main : Threshold or None
        The first interior threshold as ``eta`` grows (the one the sweeps locate); ``interior``
        holds them all.
    skips : dict
        Claim key (``"small"``, ``"large"``) -> the reason it cannot be measured here.
    eta_small, eta_large : dict
        ``d -> eta`` of the exponent claims' points.
    sweep_etas : dict
        ``d -> the swept eta grid`` of the threshold sweeps (and of Figure 1).
    no_crossing : list
        Threshold dimensions without a finite-``d`` crossing.
    points : list
        The signal points, deduplicated, in the order they are simulated.

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> from theory.predict import predict
    >>> from theory.verify import QUICK
    >>> plan = make_plan(QUICK, predict(make_rule("online", "h3", "h3")), plot=False)
    >>> plan.eta_small, plan.sweep_etas, len(plan.points)
    ({25: 0.0, 50: 0.0, 100: 0.0}, {}, 3)
    """

    cfg: VerifyConfig
    pred: Prediction
    constants: PlanConstants = field(default_factory=PlanConstants)
    small_exp: float | None = None
    large_exp: float | None = None
    interior: list = field(default_factory=list)
    skips: dict = field(default_factory=dict)
    eta_small: dict = field(default_factory=dict)
    eta_large: dict = field(default_factory=dict)
    sweep_etas: dict = field(default_factory=dict)
    no_crossing: list = field(default_factory=list)
    points: list = field(default_factory=list)

    @property
    def main(self):
        return self.interior[0] if self.interior else None

    @property
    def base(self) -> dict:
        """The fields every signal point shares."""
        cfg = self.cfg
        return dict(cfg.case(), runs=cfg.runs, m_thr=cfg.m_thr, signed=cfg.signed, engine=cfg.engine,
                    start=cfg.start, null=False, seed=cfg.seed)

    @property
    def threshold_ds(self) -> list:
        """The threshold dimensions that have a sweep."""
        return [d for d in self.cfg.ds_threshold if d in self.sweep_etas]

    def eta_top(self, d: int) -> float | None:
        """The largest ``eta`` simulated at ``d``: ``cfg.eta_top_fraction`` times the top of the valid
        range (:func:`eta_max`; ``None`` when the range is unbounded)."""
        top = eta_max(self.pred, d)
        return None if top is None else top * self.cfg.eta_top_fraction

    def psi2(self, d: int, eta: float) -> float:
        """``E[psi_eta^2]`` at ``(d, eta)``."""
        return numeric_coefficients(self.pred, d, eta)[1]

    def step_budget(self, d: int, eta: float, kappa: float | None = None) -> float:
        """Steps a run at ``(d, eta)`` may take: the theorem's time with its ``E[psi^2]`` cost (what
        this ``gamma`` pays), times ``budget_factor``, for step constant ``kappa`` (default ``cfg.kappa``)."""
        c = self.constants
        t_thm, i_win = theorem_time(self.pred, d, eta)
        kappa = self.cfg.kappa if kappa is None else kappa
        return (self.cfg.budget_factor * self.psi2(d, eta) * t_thm * c.log_factor(i_win, d)
                / (kappa / c.budget_kappa) + c.budget_floor)

    def point(self, tag: str, d: int, eta: float) -> dict:
        """The signal point ``(d, eta)`` with the theorem's step size and its budget."""
        gamma, _i = step_size(self.pred, d, eta, self.cfg.kappa)
        budget = self.step_budget(d, eta)
        return dict(self.base, tag=tag, d=int(d), eta=float(eta), gamma=float(gamma), runs=self.cfg.runs_at(d),
                    max_steps=int(min(budget, MAX_STEPS_PER_RUN)))


def make_plan(cfg: VerifyConfig, pred: Prediction, plot: bool = True,
              constants: PlanConstants | None = None) -> Plan:
    """The plan of ``cfg`` for prediction ``pred`` (``plot``: also sweep ``fig_d`` for Figure 1).

    Parameters
    ----------
    cfg : VerifyConfig
        The configuration.
    pred : Prediction
        The prediction for ``cfg.case()``.
    plot : bool
        Whether Figure 1 is drawn (its dimension is then swept too).
    constants : PlanConstants, optional
        The method's fixed numbers (default :class:`PlanConstants`).

    Returns
    -------
    Plan

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> from theory.predict import predict
    >>> from theory.verify import QUICK
    >>> plan = make_plan(QUICK, predict(make_rule("alternating", "h3", "h3")), plot=False)
    >>> sorted(plan.sweep_etas), plan.skips
    ([25, 50, 100], {})
    """
    plan = Plan(cfg, pred, constants or PlanConstants())
    if pred.small_lr_exponent is not None:
        plan.small_exp = float(pred.small_lr_exponent)
    if pred.alpha_min != -sp.oo and pred.large_lr_exponent is not None:
        plan.large_exp = float(pred.large_lr_exponent)
    plan.interior = [t for t in pred.thresholds if not t.at_boundary]
    planned = _exponent_points(plan)
    _skip_off_regime(plan, planned)
    points = []
    for d in sorted(set(cfg.ds_scaling) | set(cfg.large_ds)):  # in the order d, then small before large
        points += [p for key in ("small", "large") if key not in plan.skips for p in planned[key]
                   if p is not None and p["d"] == d]
    plan.points = dedupe(points + _sweep_points(plan, plot))
    return plan


def _exponent_points(plan: Plan) -> dict:
    """The points of the exponent claims, one per ``d``; a point without a step size is a SKIP."""
    cfg, pred, c = plan.cfg, plan.pred, plan.constants
    planned = {"small": [], "large": []}

    def try_point(key, d, eta):
        try:
            return plan.point(key, d, eta)
        except TheoryInputError as exc:
            plan.skips.setdefault(key, f"at d = {d}, eta = {eta:.3g} the theorem gives no step size ({exc})")
            return None

    independent = is_eta_independent(pred)
    for d in sorted(set(cfg.ds_scaling) | set(cfg.large_ds)):
        star = eta_star(pred, d)
        if plan.small_exp is not None and d in cfg.ds_scaling:
            plan.eta_small[d] = star / c.small_eta_divisor if star is not None else (
                0.0 if independent else c.small_eta_fallback)
            planned["small"].append(try_point("small", d, plan.eta_small[d]))
        if plan.large_exp is not None and plan.eta_top(d) is not None and d in cfg.large_ds:
            plan.eta_large[d] = plan.eta_top(d)
            planned["large"].append(try_point("large", d, plan.eta_large[d]))
    return planned


def _skip_off_regime(plan: Plan, planned: dict) -> None:
    """SKIP an exponent claim whose points sit outside its asymptotic regime or exceed the run budget.

    An exponent claim is asymptotic: it is measured only where the finite-``d`` theorem time is won
    by the index the asymptotic curve names there (else the points would measure another regime).
    """
    pred, skips = plan.pred, plan.skips
    for key, alpha in (("small", None), ("large", pred.alpha_min)):
        if key in skips or not planned[key]:
            continue
        allowed = allowed_indices(pred, alpha)
        off = [(p["d"], theorem_time(pred, p["d"], p["eta"])[1]) for p in planned[key]]
        off = [(d, w) for d, w in off if w not in allowed]
        if off:
            where = f"alpha = {alpha} (eta = d^-alpha_min)" if key == "large" else "small eta"
            skips[key] = (f"at d = {', '.join(str(d) for d, _ in off)} the finite-d theorem time at eta = "
                          f"{(plan.eta_large if key == 'large' else plan.eta_small)[off[0][0]]:.3g} is won by index "
                          f"{' or '.join(map(str, sorted({w for _, w in off})))}, not by the index "
                          f"{' or '.join(map(str, sorted(allowed)))} of the asymptotic curve at {where}: these sizes "
                          f"do not reach the regime the exponent describes")
    for key in ("small", "large"):  # a claim whose runs are expected to need more than the per-run cap
        # the expected time is the budget without its margin: the margin only sets where runs are
        # censored, and a cap below the margin censors nothing a run of the expected length reaches
        def expected(p):
            return plan.step_budget(p["d"], p["eta"]) / plan.cfg.budget_factor
        over = [p for p in planned[key] if p is not None and expected(p) > MAX_STEPS_PER_RUN]
        if over and key not in skips:
            worst = max(over, key=expected)
            skips[key] = (f"at d = {', '.join(str(p['d']) for p in over)} the theorem's time with the step size's "
                          f"E[psi^2] cost is about {expected(worst):.2g} steps a run "
                          f"(d = {worst['d']}, eta = {worst['eta']:.3g}), beyond the per-run cap of "
                          f"{MAX_STEPS_PER_RUN:.0e} steps")
    for key in ("small", "large"):
        if key in skips:
            (plan.eta_small if key == "small" else plan.eta_large).clear()


def _sweep_points(plan: Plan, plot: bool) -> list:
    """The threshold sweeps: ``eta*(d) 2^k`` up to the largest admissible ``eta`` at each ``d``."""
    cfg, pred, c = plan.cfg, plan.pred, plan.constants
    points = []
    for d in sorted(set(cfg.ds_threshold) | ({cfg.fig_d} if plot else set())):
        star = eta_star(pred, d)
        if star is None:
            if d in cfg.ds_threshold:
                plan.no_crossing.append(d)
            continue
        top = plan.eta_top(d) or star * 16
        ks = range(*c.sweep_octaves) if d in cfg.ds_threshold else range(*c.figure_octaves)
        grid = [star * 2.0**k for k in ks if star * 2.0**k <= top * (1 + 1e-12)]
        if d == cfg.fig_d:
            k = c.sweep_octaves[1]
            while star * 2.0**k < top:
                grid.append(star * 2.0**k)
                k += 1
        if d == cfg.fig_d or d in cfg.ds_threshold:
            grid.append(top)
        try:
            pts = [plan.point("sweep", d, e) for e in sorted(set(grid))]
        except TheoryInputError:
            if d in cfg.ds_threshold:
                plan.no_crossing.append(d)
            continue
        plan.sweep_etas[d] = sorted(set(grid))
        points += pts
    return points
