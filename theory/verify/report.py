"""The report of a verification: its claims, typed tables, the verdict, and their text and JSON forms.

Readers (plots, the CLI, LaTeX) take tables by attribute (``report.tables.null_controls``);
:meth:`VerifyTables.items` gives the titled form that the text report and ``report.json`` show.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from theory.verify.config import JSON_CONVENTIONS, NULL_FACTOR, Z_TOL, VerifyConfig, config_dict, config_hash

__all__ = ["VerifyTables", "SweepCurve", "VerifyReport", "describe", "LINK_NOTES", "json_safe"]

#: A note printed after the case when target and student are both this link.
LINK_NOTES = {"h3": "He_3/sqrt(6), unit variance"}


@dataclass
class VerifyTables:
    """The tables of a report, each a list of row dicts, or ``None`` when absent for this case.

    Parameters
    ----------
    fig_d : int
        Dimension of the Figure 1 tables (in their titles).
    m_thr : float
        Weak-recovery threshold (in the trap table's title).
    null_controls : list or None
        Every point a claim used against its null run.
    crossing : list or None
        Measured break ``eta_b`` against the theorem's ``eta*``, per ``d``.
    windows : list or None
        The slope windows around the theorem's ``eta*`` (informational).
    figure1 : list or None
        The sweep at ``fig_d``: medians, quartiles, means, censored counts, null medians.
    traps : list or None
        The stable zero of the drift at negative ``m``, per ``eta`` of the figure.
    diffusion : list or None
        The diffusion prediction of the mean hitting time at every swept point, against the
        simulated mean (the constants claim's table).
    tuned : list or None
        The per-point tuned ``gamma`` (informational).
    transition : list or None
        The large profile's raw-sample transition, predicted and simulated, per ``d``.

    Examples
    --------
    >>> t = VerifyTables(50, 0.5, null_controls=[{"d": 25}])
    >>> [title[:13] for title, _ in t.items()]
    ['null controls']
    """

    fig_d: int = 50
    m_thr: float = 0.5
    null_controls: list | None = None
    crossing: list | None = None
    windows: list | None = None
    figure1: list | None = None
    traps: list | None = None
    diffusion: list | None = None
    tuned: list | None = None
    transition: list | None = None

    def titles(self) -> dict:
        """``attribute -> title`` in the order the report shows them."""
        return {
            "null_controls": "null controls (median steps; null runs censored at F x signal median count as infinite)",
            "crossing": "crossing: measured eta_b against the theorem's eta* (unit constants); Theta~ fixes it only "
                        "up to the ratio of the two terms' hidden constants, so a d-independent ratio is what the "
                        "theorem predicts",
            "windows": "informational: slopes in windows around the theorem's eta* with unit constants (the windows "
                       "as first registered; they straddle the real crossing when the ratio above is far from 1)",
            "figure1": f"Figure 1 data at d = {self.fig_d} (rule-of-thumb gamma)",
            "traps": f"stable zero m_c of the drift in (-{self.m_thr}, 0): runs started with m0 < 0 stall there "
                     f"(exact drift polynomial; why the default start is the theta hemisphere)",
            "diffusion": "constants: the diffusion's mean hitting time against the simulated mean (+- its SE) at every "
                         "swept point; status ok = inside the 25% band up to 3 SE; exclusions are the rules fixed "
                         "before the run",
            "tuned": f"per-point tuned gamma at d = {self.fig_d} (kappa <= 1, null-controlled; informational)",
            "transition": "the transition in raw samples: T at small eta (eta*/16) over T at the best large eta "
                          "(eta >= 4 eta*); predicted from the diffusion's means at the theorem's step size, "
                          "simulated from medians (and means) where d was swept",
        }

    def items(self) -> list:
        """``[(title, rows)]`` of the tables present, in order."""
        return [(title, getattr(self, name)) for name, title in self.titles().items()
                if getattr(self, name) is not None]


@dataclass
class SweepCurve:
    """The medians of one threshold sweep, as the figure draws them (not written to report.json).

    Parameters
    ----------
    d : int
    etas : numpy.ndarray
        The swept grid of ``eta``.
    point_etas : numpy.ndarray
        The ``eta`` of the point simulated at each grid value (equal to rounding: a point may
        have been deduplicated into one built by another product of powers of two).
    median, q25, q75 : numpy.ndarray
        Median hitting time and its quartiles at each point.
    psi2 : numpy.ndarray
        ``E[psi^2]`` at each point's ``eta``.
    eta_star : float
        The theorem's crossing at ``d``.

    Examples
    --------
    >>> c = SweepCurve(25, *(np.array([0.01, 0.02]),) * 2, np.array([100.0, 50.0]), *(np.array([1.0, 1.0]),) * 3,
    ...                eta_star=0.01)
    >>> (c.median / c.psi2).tolist()
    [100.0, 50.0]
    """

    d: int
    etas: np.ndarray
    point_etas: np.ndarray
    median: np.ndarray
    q25: np.ndarray
    q75: np.ndarray
    psi2: np.ndarray
    eta_star: float


@dataclass
class VerifyReport:
    """A verification's result: the claims, the tables, the verdict, the files written.

    Parameters
    ----------
    config : VerifyConfig
    description : str
        The case, the theorem and the method, as printed above the claims.
    claims : list of Claim
    tables : VerifyTables
    plot : str or None
        Path of ``figure1.png``.
    out_dir : str or None
        The folder of records and report.
    resume : dict or None
        What a resumed run reused, computed and rejected.
    numeric : bool
        The prediction has floating-point coefficients.
    curves : dict
        ``d -> SweepCurve`` of every sweep, for the figure.

    Examples
    --------
    >>> from theory.verify import QUICK, Claim
    >>> r = VerifyReport(QUICK, "case", [Claim("c", 2.0, 2.1, 0.1, True)])
    >>> r.verdict, r.verdict_line()
    ('pass', 'VERDICT: PASS (1 of 1 claims passed)')
    """

    config: VerifyConfig
    description: str
    claims: list
    tables: VerifyTables = field(default_factory=VerifyTables)
    plot: str | None = None
    out_dir: str | None = None
    resume: dict | None = None
    numeric: bool = False
    curves: dict = field(default_factory=dict)

    @property
    def counts(self) -> dict:
        """Claims, passed, failed, skipped."""
        statuses = [c.status for c in self.claims]
        return {"claims": len(statuses), "passed": statuses.count("pass"), "failed": statuses.count("fail"),
                "skipped": statuses.count("skip")}

    @property
    def verdict(self) -> str:
        """``"pass"`` (every implied claim measured and passed), ``"fail"`` (a claim failed) or
        ``"incomplete"`` (none failed, but some implied claims could not be measured)."""
        n = self.counts
        if n["failed"] or not n["claims"]:
            return "fail"
        return "incomplete" if n["skipped"] else "pass"

    @property
    def passed(self) -> bool:
        """True only for the verdict ``"pass"``."""
        return self.verdict == "pass"

    def to_dict(self) -> dict:
        """The report as report.json holds it (strict JSON data)."""
        return json_safe({"case": self.config.case(), "description": self.description,
                          "config": config_dict(self.config), "config_hash": config_hash(self.config),
                          "claims": [c.to_dict() for c in self.claims], "counts": self.counts,
                          "verdict": self.verdict, "pass": self.passed, "plot": self.plot,
                          "out_dir": self.out_dir, "resume": self.resume, "numeric_prediction": self.numeric,
                          "tables": dict(self.tables.items()), "conventions": JSON_CONVENTIONS,
                          "version": _version()})

    def verdict_line(self) -> str:
        """The last line of the text report."""
        n = self.counts
        if self.verdict == "pass":
            return f"VERDICT: PASS ({n['passed']} of {n['claims']} claims passed)"
        if self.verdict == "fail":
            return (f"VERDICT: FAIL ({n['failed']} failed, {n['passed']} passed, {n['skipped']} skipped, "
                    f"of {n['claims']} claims)")
        return (f"VERDICT: INCOMPLETE ({n['skipped']} of {n['claims']} claims the prediction implies could not be "
                f"measured here (SKIP, reasons above); {n['passed']} passed, none failed)")

    def table(self) -> str:
        """The text report: description, claims with details, tables, files, verdict."""
        lines = [self.description, "", f"{'claim':<46} {'predicted':>10} {'measured':>18}  verdict"]
        for c in self.claims:
            meas = "-" if c.measured is None else (f"{c.measured:.3f}" + (f" +- {c.se:.3f}" if c.se else ""))
            pred = c.predicted if isinstance(c.predicted, str) else f"{c.predicted:.3f}"
            lines.append(f"{c.name:<46} {pred:>10} {meas:>18}  {c.status.upper()}")
            if c.detail:
                lines.append(f"    {c.detail}")
        for title, rows in self.tables.items():
            if not rows:
                continue
            lines += ["", title]
            keys = list(rows[0])
            lines.append("  " + "  ".join(f"{k:>11}" for k in keys))
            for r in rows:
                lines.append("  " + "  ".join(f"{_fmt(r[k]):>11}" for k in keys))
        if self.resume is not None:
            lines += ["", _resume_text(self.resume)]
        lines += ["", f"plot: {self.plot}" if self.plot else "plot: (none)",
                  f"records: {self.out_dir}", self.verdict_line()]
        return "\n".join(lines)


def describe(cfg: VerifyConfig, pred, numeric: bool = False) -> str:
    """The lines above the claims: the case, the theorem, the start, the step size, the verdict rule.

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> from theory.predict import predict
    >>> from theory.verify import DEFAULT
    >>> describe(DEFAULT, predict(make_rule("alternating", "h3", "h3"))).splitlines()[0][:40]
    'case: alternating SGD (correlation loss,'
    """
    r = pred.rule
    student = cfg.student or cfg.target
    norm = f" ({LINK_NOTES[cfg.target]})" if cfg.target == student and cfg.target in LINK_NOTES else ""
    lo, why = r.eta_range
    th = ", ".join(f"alpha = {t.alpha} (index {t.from_index} -> {t.to_index})" for t in pred.thresholds) or "none"
    return (f"case: {r.label}{norm}; a = {r.a}; weak recovery at {'m' if cfg.signed else '|m|'} >= {cfg.m_thr}; "
            f"{cfg.engine} engine\n"
            f"theorem: e(alpha) = log_d T with eta = d^-alpha, valid for alpha >= {lo} ({why}); "
            f"thresholds: {th}; small-eta exponent {pred.small_lr_exponent}, large-eta exponent "
            f"{pred.large_lr_exponent}\n"
            f"start: {cfg.start}" + (" (uniform on the sphere conditioned on m0 > 0, the hemisphere of theta: "
                                     "the theorem's runs; see the trap table for the other half)"
                                     if cfg.start == "positive" else "") + "\n"
            f"step size: gamma = kappa max_i 2 i! mu_i d^-((i/2) v 1) / E[psi^2], kappa = {cfg.kappa}; "
            f"null factor F = {NULL_FACTOR:g}; tolerance {Z_TOL:g} bootstrap SE ({cfg.bootstrap} resamples)"
            + ("\nnumeric: mu_i(eta) and E[psi^2] have floating-point (numeric) coefficients for this link, so the "
               "step sizes, budgets and finite-d predictions are numeric (the exponent curve depends only on which "
               "coefficients vanish, their signs and degrees: see predict)"
               if numeric else "")
            + "\nverdict: every claim the prediction implies is listed; one that cannot be measured at these sizes "
              "is a counted SKIP with its reason, and the verdict is then INCOMPLETE, not PASS")


def _resume_text(resume: dict) -> str:
    text = (f"resume: reused {resume['reused']} saved point(s), computed {resume['computed']}; "
            f"{len(resume['rejected'])} saved point(s) did not match and were recomputed")
    for r in resume["rejected"][:8]:
        text += f"\n    {r['sweep']}/{r['id']}: {r['reason']}"
    if len(resume["rejected"]) > 8:
        text += f"\n    ... and {len(resume['rejected']) - 8} more (report.json lists them all)"
    return text


def json_safe(obj):
    """Plain RFC 8259 data: non-finite floats become null, numpy scalars Python numbers, tuples lists.

    Examples
    --------
    >>> json_safe({"a": (float("inf"), np.int64(2))})
    {'a': [None, 2]}
    """
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray)):
        return [json_safe(v) for v in obj]
    if obj is None or isinstance(obj, str):
        return obj
    return str(obj)


def _fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        if math.isinf(v):
            return "inf"
        return f"{v:.4g}"
    return str(v)


def _version() -> str:
    from theory._version import VERSION as __version__
    return __version__
