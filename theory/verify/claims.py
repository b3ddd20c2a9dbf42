"""Claims: one small class per kind, each an estimator over records, and one shared bootstrap.

Every measured claim is an estimate computed from per-point medians of hitting times.  Its
standard error comes from :class:`Bootstrap`: the same estimator applied to each bootstrap
replicate of the medians (runs resampled within each point, with one fixed generator), so the
SE covers the whole fit.  A claim passes when ``|measured - predicted| <= 3 SE`` and the
measurement can tell the prediction from its alternative (:func:`judge`).

Kinds
    :class:`ScalingClaim` (exponent of ``T`` in ``d``), :class:`ThresholdClaim` (how the break
    ``eta_b(d)`` moves with ``d``), :class:`WindowSlopeClaim` (slope of ``T`` in ``eta`` on one
    side of the break), :class:`NullControlClaim` (every point used beats its null run) and
    :class:`ConstantsClaim` (the diffusion's mean hitting time against the simulated mean: the
    constants, not only the exponents; judged on means, with their own bootstrap).

Size: about 600 lines, one concept (a claim kind is an estimator plus its judgement, and the
kinds share the bootstrap and the judging rule); each class is short, and most of the length is
the docstrings that state each rule fixed before the run.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from theory.verify.config import NULL_FACTOR, Z_TOL
from theory.verify.plan import PlanConstants
from theory.verify.records import median, null_point, point_key
from theory.verify.stats import fit_break, log_slope, standard_error

__all__ = ["Claim", "judge", "skip", "Bootstrap", "Sweep", "ScalingClaim", "ThresholdClaim", "WindowSlopeClaim",
           "NullControls", "NullControlClaim", "ConstantsClaim"]


@dataclass
class Claim:
    """One claim: a prediction, a measurement with its bootstrap SE, and the verdict.

    ``alternative`` is the competing hypothesis the measurement must be able to exclude (e.g.
    the other regime's exponent, or a threshold that does not move): a claim passes only if
    ``|measured - predicted| <= 3 SE`` **and** ``3 SE < |predicted - alternative|``; a
    measurement too noisy to tell the two apart is a FAIL ("inconclusive"), never a PASS.

    Parameters
    ----------
    name : str
        What is claimed.
    predicted : float or str
        The prediction (a string for a non-numeric one, e.g. ``"all"``).
    measured, se : float or None
        The measurement and its bootstrap standard error (``None``: not measurable).
    passed : bool
        Whether it passed.
    detail : str
        How it was measured, and why it failed or was skipped.
    alternative : float or None
        The competing hypothesis.
    skipped : bool
        Implied by the prediction but not measurable at these sizes.

    Examples
    --------
    >>> Claim("c", 2.0, 2.1, 0.1, True).to_dict()["tolerance"]
    0.30000000000000004
    """

    name: str
    predicted: object
    measured: float | None
    se: float | None
    passed: bool
    detail: str = ""
    alternative: float | None = None
    skipped: bool = False

    @property
    def status(self) -> str:
        """``"pass"``, ``"fail"`` or ``"skip"`` (implied by the prediction, not measurable here)."""
        return "skip" if self.skipped else ("pass" if self.passed else "fail")

    def to_dict(self) -> dict:
        """The claim as report.json holds it."""
        return {"name": self.name, "predicted": self.predicted, "measured": self.measured, "se": self.se,
                "tolerance": None if self.se is None else Z_TOL * self.se, "alternative": self.alternative,
                "status": self.status, "pass": bool(self.passed) and not self.skipped, "detail": self.detail}


def skip(name, predicted, reason) -> Claim:
    """A claim the prediction implies that cannot be measured here, with its reason.

    Examples
    --------
    >>> skip("c", 1.0, "no crossing").status
    'skip'
    """
    return Claim(name, predicted, None, None, False, "SKIP: " + reason, None, skipped=True)


def judge(measured, se, predicted, alternative) -> tuple[bool, str]:
    """``(passed, why)``: within ``Z_TOL`` SE of the prediction, and able to exclude the alternative.

    Examples
    --------
    >>> judge(2.1, 0.1, 2.0, 1.0)
    (True, '')
    >>> judge(1.0, 0.1, 2.0, None)
    (False, 'FAIL: 10.0 SE from the prediction')
    """
    if se is None or measured is None or not math.isfinite(measured):
        return False, "FAIL: not measurable (too many censored runs or no break in range)"
    if alternative is not None and Z_TOL * se >= abs(predicted - alternative):
        return False, (f"FAIL (inconclusive): 3 SE = {Z_TOL * se:.3g} cannot separate the prediction "
                       f"{predicted:g} from the alternative {alternative:g}")
    if abs(measured - predicted) <= Z_TOL * se:
        return True, ""
    return False, f"FAIL: {abs(measured - predicted) / se:.1f} SE from the prediction"


class Bootstrap:
    """Per-point medians of hitting times, and their bootstrap replicates (runs resampled).

    The replicates of every point are drawn once, in the order of the sorted point keys, from
    ``SeedSequence([seed, constants.bootstrap_stream])``; every claim reads the same replicates.

    Parameters
    ----------
    groups : dict
        ``point_key -> hitting times`` (:func:`theory.verify.records.group`).
    B : int
        Resamples.
    seed : int
        The configuration's seed.
    constants : PlanConstants, optional
        For the bootstrap stream and the finite fraction a standard error needs.

    Examples
    --------
    >>> from theory.verify.records import group
    >>> p = {"d": 25, "eta": 0.01}
    >>> boot = Bootstrap(group([dict(p, run=r, status="hit", hitting_time=t) for r, t in enumerate([1, 2, 3])]), 50, 0)
    >>> boot.median(p), len({boot.replicate(b)(p) for b in range(boot.B)}) > 1
    (2.0, True)
    """

    def __init__(self, groups: dict, B: int, seed: int, constants: PlanConstants | None = None):
        self.constants = constants or PlanConstants()
        self.groups = groups
        rng = np.random.default_rng(np.random.SeedSequence([seed, self.constants.bootstrap_stream]))
        self.med = {}
        for key in sorted(groups, key=str):
            t = groups[key]
            idx = rng.integers(0, t.size, size=(B, t.size))
            self.med[key] = np.median(t[idx], axis=1)
        self.B = B
        self._keys: dict = {}  # id(point) -> (point, key): a point's key is hashed once, not once a replicate

    def key(self, p: dict) -> str:
        """:func:`theory.verify.records.point_key` of ``p``, remembered for the point object."""
        hit = self._keys.get(id(p))
        if hit is None or hit[0] is not p:
            hit = self._keys[id(p)] = (p, point_key(p))
        return hit[1]

    def median(self, p: dict) -> float:
        """The median hitting time of point ``p``."""
        return median(self.groups[self.key(p)])

    def replicate(self, b: int):
        """``p -> the b-th bootstrap replicate of p's median``."""
        return lambda p: self.med[self.key(p)][b]

    def measure(self, estimate) -> tuple[float, float | None]:
        """``(estimate(median), bootstrap SE of estimate)`` for an estimator ``estimate(median_of)``."""
        value = estimate(self.median)
        se = standard_error([estimate(self.replicate(b)) for b in range(self.B)],
                            self.constants.min_finite_replicates)
        return value, se


def _finite_or_none(x: float) -> float | None:
    return x if math.isfinite(x) else None


@dataclass
class ScalingClaim:
    """The exponent of ``T`` in ``d``: the log-log slope of the median over one point per ``d``.

    Parameters
    ----------
    name : str
    points : list of dict
        One point per ``d``, in increasing ``d``.
    wins : list of int
        The finite-``d`` winning index at each point.
    log_factors : list of float
        What each median is divided by (``ln d`` for the exponentially escaping index, else 1).
    predicted : float
    alternative : float or None
    kappa : float
        The step-size constant (reported in the detail).

    Examples
    --------
    >>> from theory.verify.records import group, point_key
    >>> pts = [{"d": d, "tag": "small"} for d in (25, 50, 100)]
    >>> recs = [dict(p, run=k, status="hit", hitting_time=d * d * (1 + k / 20)) for p in pts
    ...         for k, d in ((k, p["d"]) for k in range(20))]
    >>> boot = Bootstrap(group(recs), 50, 0)
    >>> c = ScalingClaim("exponent", pts, [3, 3, 3], [1.0] * 3, 2.0, 1.0, 0.125).evaluate(boot)
    >>> c.status, round(c.measured, 6)
    ('pass', 2.0)
    """

    name: str
    points: list
    wins: list
    log_factors: list
    predicted: float
    alternative: float | None
    kappa: float

    def estimate(self, median_of) -> float:
        ds = [p["d"] for p in self.points]
        return log_slope(ds, [median_of(p) / f for p, f in zip(self.points, self.log_factors)])

    def evaluate(self, boot: Bootstrap) -> Claim:
        slope, se = boot.measure(self.estimate)
        wins, ds = self.wins, [p["d"] for p in self.points]
        med = [boot.median(p) / f for p, f in zip(self.points, self.log_factors)]
        logs = "median T / ln d" if set(wins) == {2} else ("median T" if 2 not in wins else "median T / ln d (i=2 points)")
        detail = (f"fit of log({logs}) on log d over d = {', '.join(map(str, ds))}; winning index "
                  f"{sorted(set(wins))}; kappa = {self.kappa}; medians "
                  f"{', '.join(f'{m * f:.3g}' for m, f in zip(med, self.log_factors))}")
        meas = _finite_or_none(slope)
        ok, why = judge(meas, se, self.predicted, self.alternative)
        return Claim(self.name, float(self.predicted), meas, se, ok, detail + (f"; {why}" if why else ""),
                     self.alternative)


@dataclass
class Sweep:
    """The threshold sweep at one ``d``: its points in increasing ``eta``, and ``E[psi^2]`` at each.

    ``T / E[psi^2]`` is the normalised time the threshold claims read (the diffusion of ``m`` has
    exactly this scaling when ``gamma`` is proportional to ``1/E[psi^2]``).

    Parameters
    ----------
    d : int
    points : list of dict
        The sweep's points, in increasing ``eta``.
    psi2 : list of float
        ``E[psi_eta^2]`` at each point.
    eta_star : float, optional
        The theorem's crossing ``eta*(d)`` (the anchor of the informational windows).

    Examples
    --------
    >>> s = Sweep(25, [{"d": 25, "eta": 0.01}, {"d": 25, "eta": 0.02}], [2.0, 4.0])
    >>> s.normalised(lambda p: 100.0).tolist()
    [50.0, 25.0]
    """

    d: int
    points: list
    psi2: list
    eta_star: float | None = None

    @property
    def etas(self) -> np.ndarray:
        return np.array([p["eta"] for p in self.points])

    def normalised(self, median_of) -> np.ndarray:
        """``median T / E[psi^2]`` at every point of the sweep."""
        return np.array([median_of(p) / s for p, s in zip(self.points, self.psi2)])

    def fit_break(self, median_of) -> float:
        """The fitted break ``eta_b`` of this sweep (:func:`theory.verify.stats.fit_break`)."""
        return fit_break([p["eta"] for p in self.points], [median_of(p) / s for p, s in zip(self.points, self.psi2)])


@dataclass
class ThresholdClaim:
    """The threshold moves as ``d^-alpha*``: log-log slope of the fitted break ``eta_b(d)`` in ``d``.

    Parameters
    ----------
    name : str
    sweeps : list of Sweep
        One sweep per ``d`` (at least two).
    predicted : float
        ``-alpha*``.
    alternative : float
        A break that does not move with ``d`` (``0``).

    Examples
    --------
    >>> from theory.verify.records import group
    >>> sweeps, recs = [], []
    >>> for d in (25, 50, 100):
    ...     b = 0.1 * d ** -0.5
    ...     pts = [{"d": d, "eta": b * 2.0 ** k} for k in range(-4, 6)]
    ...     recs += [dict(p, run=r, status="hit", hitting_time=1e4 / (1 + (p["eta"] / b) ** 2) * (1 + r / 40))
    ...              for p in pts for r in range(20)]
    ...     sweeps.append(Sweep(d, pts, [1.0] * len(pts), eta_star=b))
    >>> c = ThresholdClaim("threshold", sweeps, -0.5, 0.0).evaluate(Bootstrap(group(recs), 50, 0))
    >>> c.status, round(c.measured, 2)
    ('pass', -0.5)
    """

    name: str
    sweeps: list
    predicted: float
    alternative: float = 0.0

    def breaks(self, median_of) -> list:
        return [s.fit_break(median_of) for s in self.sweeps]

    def estimate(self, median_of) -> float:
        b = self.breaks(median_of)
        return log_slope([s.d for s in self.sweeps], b) if all(math.isfinite(x) for x in b) else float("nan")

    def evaluate(self, boot: Bootstrap, note: str = "") -> Claim:
        """The claim; ``note`` is appended to the detail (e.g. dimensions left out)."""
        slope, se = boot.measure(self.estimate)
        b0 = self.breaks(boot.median)
        detail = (f"break eta_b = fitted crossing of P/(1 + (eta/eta_b)^2) to median T / E[psi^2] over the sweep; "
                  f"breaks {', '.join(f'{b:.3g}' for b in b0)} vs predicted crossings eta* = "
                  f"{', '.join(f'{s.eta_star:.3g}' for s in self.sweeps)} at d = "
                  f"{', '.join(str(s.d) for s in self.sweeps)}" + note)
        meas = _finite_or_none(slope)
        ok, why = judge(meas, se, self.predicted, self.alternative)
        return Claim(self.name, self.predicted, meas, se, ok,
                     detail + "; alternative: a break that does not move with d" + (f"; {why}" if why else ""),
                     self.alternative)


@dataclass
class WindowSlopeClaim:
    """Slope of ``T / E[psi^2]`` in ``eta`` between ``anchor 2^k0`` and ``anchor 2^k1``, mean over ``d``.

    The anchor is the fitted break ``eta_b(d)`` of each sweep (``anchor="measured"``) or the
    theorem's crossing ``eta*(d)`` (``anchor="predicted"``, for the informational table).  The
    slope is interpolated in ``log eta``; a window outside the swept range (to
    ``constants.window_edge_rtol``) or over a censored median is not measurable.

    Parameters
    ----------
    name : str
    side : str
        ``"below"`` or ``"above"`` the crossing.
    sweeps : list of Sweep
    window : tuple
        ``(k0, k1)`` in octaves around the anchor.
    predicted : float
    alternative : float or None
        The other side's predicted slope (reported; not used to judge when it equals ``predicted``).
    anchor : str
        ``"measured"`` or ``"predicted"``.
    constants : PlanConstants, optional

    Examples
    --------
    >>> from theory.verify.records import group
    >>> sweeps, recs = [], []
    >>> for d in (25, 50):
    ...     pts = [{"d": d, "eta": 0.01 * 2.0 ** k} for k in range(-5, 7)]
    ...     recs += [dict(p, run=r, status="hit", hitting_time=1e4 / (1 + (p["eta"] / 0.01) ** 2) * (1 + r / 40))
    ...              for p in pts for r in range(20)]
    ...     sweeps.append(Sweep(d, pts, [1.0] * len(pts)))
    >>> c = WindowSlopeClaim("above", "above", sweeps, (2, 4), -2.0, 0.0).evaluate(Bootstrap(group(recs), 50, 0))
    >>> c.status, round(c.measured, 1)
    ('pass', -2.0)
    """

    name: str
    side: str
    sweeps: list
    window: tuple
    predicted: float | None = None
    alternative: float | None = None
    anchor: str = "measured"
    constants: PlanConstants | None = None

    def estimate(self, median_of) -> float:
        k0, k1 = self.window
        rtol = (self.constants or PlanConstants()).window_edge_rtol
        vals = []
        for s in self.sweeps:
            etas, tn = s.etas, s.normalised(median_of)
            a = fit_break(etas, tn) if self.anchor == "measured" else s.eta_star
            e0, e1 = a * 2.0**k0, a * 2.0**k1
            if not (math.isfinite(a) and etas[0] * (1 - rtol) <= e0 and e1 <= etas[-1] * (1 + rtol)) \
                    or not np.all(np.isfinite(tn)) or np.any(tn <= 0):
                vals.append(float("nan"))
                continue
            lx, ly = np.log(etas), np.log(tn)
            y0, y1 = np.interp(math.log(e0), lx, ly), np.interp(math.log(e1), lx, ly)
            vals.append((y1 - y0) / math.log(e1 / e0))
        return float(np.mean(vals)) if vals else float("nan")

    def evaluate(self, boot: Bootstrap) -> Claim:
        m0, se = boot.measure(self.estimate)
        meas = _finite_or_none(m0)
        ok, why = judge(meas, se, self.predicted, self.alternative if self.alternative != self.predicted else None)
        where = "eta_b/16 -> eta_b/4" if self.side == "below" else "4 eta_b -> 16 eta_b"
        return Claim(self.name, self.predicted, meas, se, ok,
                     f"{where} around the measured crossing eta_b(d), averaged over d = "
                     f"{', '.join(str(s.d) for s in self.sweeps)}; predicted from min_i mu_i^-2 d^((i-1) v 1)"
                     + (f"; {why}" if why else ""), self.alternative)


class NullControls:
    """Signal medians against their null runs (labels independent of ``x``, same ``gamma``).

    A point passes when its null median exceeds ``factor`` times its signal median; the null runs
    are censored at that budget, so a null median is often infinite.

    Parameters
    ----------
    groups, null_groups : dict
        ``point_key -> hitting times`` of the signal and of the null sweeps.
    runs : int or callable
        Runs of each null point, or ``runs(d)`` (fewer at large ``d``).
    factor : float
        ``F``.

    Examples
    --------
    >>> from theory.verify.records import group, null_point
    >>> p = {"d": 25, "eta": 0.01, "null": False}
    >>> sig = [dict(p, run=r, status="hit", hitting_time=100) for r in range(5)]
    >>> nul = [dict(null_point(p, 5, 100.0, 4.0), run=r, status="censored", hitting_time=None) for r in range(5)]
    >>> NullControls(group(sig), group(nul), 5).check(p)
    (True, inf)
    """

    def __init__(self, groups: dict, null_groups: dict, runs, factor: float = NULL_FACTOR):
        self.groups, self.null_groups, self.runs, self.factor = groups, null_groups, runs, factor

    def _runs(self, p: dict) -> int:
        """Null runs of point ``p``: ``runs``, or ``runs(d)`` when it is a function of the dimension."""
        return int(self.runs(p["d"])) if callable(self.runs) else int(self.runs)

    def point(self, p: dict) -> dict | None:
        """The null point of signal point ``p`` (``None`` when its signal median is infinite)."""
        return null_point(p, self._runs(p), median(self.groups[point_key(p)]), self.factor)

    def check(self, p: dict) -> tuple[bool, float]:
        """``(passed, null median)`` of signal point ``p`` (``(False, nan)`` without a null run)."""
        med = median(self.groups[point_key(p)])
        nul = null_point(p, self._runs(p), med, self.factor)
        nk = None if nul is None else point_key(nul)
        if nk is None or nk not in self.null_groups:
            return False, float("nan")
        nmed = median(self.null_groups[nk])
        return nmed > self.factor * med, nmed


@dataclass
class NullControlClaim:
    """Every point a claim used beats its null control by the factor ``F``.

    Parameters
    ----------
    points : list of dict
        The points the other claims used (deduplicated).
    nulls : NullControls

    Examples
    --------
    >>> from theory.verify.records import group, null_point
    >>> p = {"d": 25, "eta": 0.01, "null": False, "tag": "small", "gamma": 0.1}
    >>> sig = [dict(p, run=r, status="hit", hitting_time=100) for r in range(5)]
    >>> nul = [dict(null_point(p, 5, 100.0, 4.0), run=r, status="hit", hitting_time=50) for r in range(5)]
    >>> claim, rows = NullControlClaim([p], NullControls(group(sig), group(nul), 5)).evaluate()
    >>> claim.status, claim.detail
    ('fail', '0/1 points pass; failing: d=25, eta=0.01')
    """

    points: list
    nulls: NullControls

    @property
    def name(self) -> str:
        return f"null control (signal {self.nulls.factor:g}x faster than null)"

    def rows(self) -> list:
        """One row per point: tag, d, eta, gamma, median, null_median, null_ok."""
        rows = []
        for p in self.points:
            ok, nmed = self.nulls.check(p)
            rows.append({"tag": p["tag"], "d": p["d"], "eta": p["eta"], "gamma": p["gamma"],
                         "median": median(self.nulls.groups[point_key(p)]), "null_median": nmed, "null_ok": ok})
        return rows

    def evaluate(self) -> tuple[Claim, list]:
        """``(claim, rows)``; a SKIP when no point was used."""
        rows = self.rows()
        if not rows:
            return skip(self.name, "all", "no claim was measured, so no point needs a null control"), rows
        bad = [f"d={r['d']}, eta={r['eta']:.3g}" for r in rows if not r["null_ok"]]
        n_ok = len(rows) - len(bad)
        return Claim(self.name, "all", float(n_ok), None, not bad,
                     f"{n_ok}/{len(rows)} points pass" + (f"; failing: {'; '.join(bad[:6])}" if bad else "")), rows


class ConstantsClaim:
    """The finite-``d`` prediction of the mean hitting time (the diffusion) against simulation.

    For each point ``i`` with a diffusion mean ``P_i`` and simulated hitting times, the log ratio
    ``l_i = ln(P_i / mean_i)`` has standard error ``s_i = SE(mean_i) / mean_i``.  The rules, fixed
    before the run (:class:`~theory.verify.plan.PlanConstants`):

    * a point is **excluded**, and listed with the reason, when ``d < constants_min_d`` (the
      diffusion is a large-``d`` limit), when a run is censored (the mean of a sample with
      censored runs is not measurable: the heavy-tailed region, near the crossing, where runs
      wander to the drift's negative trap), or when the exact drift has a stable zero ``m_s``
      beyond the start's spread, ``|m_s| >= constants_barrier_sds / sqrt(d)`` (reaching the
      threshold is then an escape against the drift, which two moments do not describe; the
      row's ``stable_zeros``, from :func:`theory.verify.numerics.diffusion_summary`);
    * every included point must be consistent with the band: ``|l_i| <= ln(band) + 3 s_i``;
    * the systematic error, the bias-corrected root mean square ``S = sqrt(mean(l_i^2 - s_i^2))``
      (``0`` when negative), must be resolved below the band: ``S + 3 SE(S) <= ln(band)``, with
      ``SE(S)`` from resampling the runs within every point.  A noisy measurement cannot pass;
    * at least three distinct ``d`` are included.

    Parameters
    ----------
    rows : list of dict
        ``{"d", "eta", "diffusion_mean", "times"}`` (``times``: the point's hitting times, ``inf``
        for censored runs), and optionally ``"stable_zeros"`` (the drift's stable zeros).
    constants : PlanConstants
        Band, smallest ``d`` and the bootstrap stream.
    seed, B : int
        The configuration's seed and the bootstrap resamples.

    Examples
    --------
    Means that agree with the prediction to 5%, at three dimensions:

    >>> rng = np.random.default_rng(0)
    >>> rows = [{"d": d, "eta": e, "diffusion_mean": 1.05 * 100.0 * d,
    ...          "times": rng.exponential(100.0 * d, 400)} for d in (50, 100, 200) for e in (0.1, 1.0)]
    >>> claim, table = ConstantsClaim(rows, PlanConstants(), seed=1, B=200).evaluate()
    >>> claim.status, [r["status"] for r in table][:2]
    ('pass', ['ok', 'ok'])
    >>> rows[0]["diffusion_mean"] *= 3
    >>> ConstantsClaim(rows, PlanConstants(), seed=1, B=200).evaluate()[0].status
    'fail'
    """

    def __init__(self, rows: list, constants: PlanConstants, seed: int, B: int):
        self.rows, self.c, self.seed, self.B = rows, constants, seed, B

    @property
    def name(self) -> str:
        return f"diffusion mean hitting time within {round((self.c.constants_band - 1) * 100)}% (rms log error)"

    def _excluded(self, r: dict) -> str | None:
        if r["d"] < self.c.constants_min_d:
            return f"excluded: d < {self.c.constants_min_d}"
        if not np.all(np.isfinite(r["times"])):
            return "excluded: censored runs"
        far = [m for m in r.get("stable_zeros", ()) if abs(m) >= self.c.constants_barrier_sds / math.sqrt(r["d"])]
        if far:
            return f"excluded: drift's stable zero at m = {min(far, key=abs):.3f}"
        if not (math.isfinite(r["diffusion_mean"]) and r["diffusion_mean"] > 0):
            return "excluded: no diffusion mean"
        return None

    @staticmethod
    def _rms(l2_minus_s2: np.ndarray) -> float:
        return math.sqrt(max(0.0, float(np.mean(l2_minus_s2))))

    def evaluate(self) -> tuple[Claim, list]:
        """``(claim, table rows)``; every row carries its ratio, SE and status."""
        band = math.log(self.c.constants_band)
        table, used = [], []
        for r in self.rows:
            t = np.asarray(r["times"], float)
            fin = t[np.isfinite(t)]
            mean = float(fin.mean()) if fin.size else float("nan")
            se = float(fin.std(ddof=1) / math.sqrt(fin.size)) if fin.size > 1 else float("nan")
            why = self._excluded(r)
            ratio = r["diffusion_mean"] / mean if fin.size and mean > 0 else float("nan")
            status = why
            if why is None:
                l_, s_ = math.log(ratio), se / mean
                status = "ok" if abs(l_) <= band + Z_TOL * s_ else "outside"
                used.append((t, r["diffusion_mean"]))
            table.append({"d": r["d"], "eta": r["eta"], "diffusion_mean": r["diffusion_mean"],
                          "simulated_mean": mean if fin.size else None, "se": se if fin.size > 1 else None,
                          "ratio": ratio if math.isfinite(ratio) else None, "status": status})
        predicted = f"<= {band:.3f}"
        n_d = len({row["d"] for row in table if row["status"] in ("ok", "outside")})
        if n_d < 3:
            return skip(self.name, predicted, f"{n_d} dimension(s) with d >= {self.c.constants_min_d} and no "
                                              f"censored run; the claim needs 3"), table

        def stat(samples) -> float:
            return self._rms(np.array([math.log(p / x.mean()) ** 2 - x.var(ddof=1) / x.size / x.mean() ** 2
                                       for x, p in samples]))

        measured = stat(used)
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, self.c.constants_stream]))
        reps = [stat([(t[rng.integers(0, t.size, t.size)], p) for t, p in used]) for _ in range(self.B)]
        se = standard_error(reps, self.c.min_finite_replicates)
        outside = [row for row in table if row["status"] == "outside"]
        ok_rows = [row for row in table if row["status"] in ("ok", "outside")]
        worst = max(ok_rows, key=lambda row: abs(math.log(row["ratio"])))
        n_ex = len(table) - len(ok_rows)
        detail = (f"{len(ok_rows)} points at d = {', '.join(map(str, sorted({r['d'] for r in ok_rows})))}, "
                  f"ratios diffusion/simulated {min(r['ratio'] for r in ok_rows):.3f} to "
                  f"{max(r['ratio'] for r in ok_rows):.3f} (worst {worst['ratio']:.3f} at d = {worst['d']}, "
                  f"eta = {worst['eta']:.3g}); {n_ex} excluded by the rules fixed in advance (see the table)")
        if se is None:
            return Claim(self.name, predicted, measured, None, False, "FAIL: not measurable; " + detail), table
        passed = not outside and measured + Z_TOL * se <= band
        if outside:
            detail = f"FAIL: {len(outside)} point(s) outside the band beyond 3 SE; " + detail
        elif not passed:
            detail = f"FAIL: rms + 3 SE = {measured + Z_TOL * se:.3f} exceeds ln {self.c.constants_band:g}; " + detail
        return Claim(self.name, predicted, measured, se, passed, detail), table
