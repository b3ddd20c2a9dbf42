"""What a verification depends on: :class:`VerifyConfig`, its hash and its default folder.

The configuration is the user's input (the case, the sizes, the seeds); everything that
follows from the theorem's prediction for that case is in :mod:`theory.verify.plan`.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, fields, replace

from theory.errors import TheoryInputError

__all__ = ["VerifyConfig", "VerifyError", "DEFAULT", "QUICK", "config_dict", "config_hash", "default_out_dir",
           "JSON_CONVENTIONS", "CONFIG_FILE", "CONFIG_FORMAT", "MAX_STEPS_PER_RUN", "Z_TOL", "NULL_FACTOR"]

#: A claim passes when ``|measured - predicted| <= Z_TOL`` bootstrap standard errors.
Z_TOL = 3.0
#: A signal point passes its null control when its median is ``NULL_FACTOR`` times faster.
NULL_FACTOR = 4.0
#: Written to every verification folder; a folder holding another configuration is refused.
CONFIG_FILE = "config.json"
CONFIG_FORMAT = 1
#: Longest run the verifier simulates (steps): runs are censored there, and a claim whose runs are
#: expected (without the budget's margin) to need more is a SKIP.
MAX_STEPS_PER_RUN = 5e7

#: How report.json and ``verify --json`` encode what JSON cannot hold.
JSON_CONVENTIONS = ("RFC 8259 JSON; null marks a value that is undefined, unbounded or infinite: a median or "
                    "null_median of null means at least half of those runs did not reach weak recovery within "
                    "their step budget (an infinite median), a measured value or SE of null means it could not "
                    "be measured, a ratio of null that it is undefined")


class VerifyError(TheoryInputError):
    """A verification cannot be planned for this case (e.g. nothing positive to follow), or its
    output folder cannot be used.  A :class:`theory.errors.TheoryInputError`, so the CLI reports it
    as bad input.

    Examples
    --------
    >>> issubclass(VerifyError, TheoryInputError)
    True
    """


@dataclass(frozen=True)
class VerifyConfig:
    """Everything a verification run depends on (the defaults are the paper's headline case).

    Parameters
    ----------
    rule, target, student, loss, a, order, keep_a, psi, noise
        The case (see :func:`theory.rules.make_rule`); ``student`` defaults to ``target``.
    depth
        Alternating SGD's depth (``None`` or 2: Algorithm 2). Left out of the case and of the
        configuration's hash when it is ``None`` or 2, so the records and folders of existing
        configurations keep their seeds and hashes.
    ds_scaling, ds_threshold
        Dimensions of the exponent fits and of the threshold sweeps.
    ds_large
        Dimensions of the large-``eta`` exponent fit when they differ from ``ds_scaling``
        (``None``: the same); index 1 costs about ``d`` steps a run, so it reaches far larger ``d``.
    fig_d
        Dimension of Figure 1 and of the informational tables.
    runs, null_runs, tune_runs
        Runs per signal point, per null point and per tuned-``gamma`` point.
    kappa
        Step-size constant of every point.
    m_thr, signed, start, engine
        Weak-recovery threshold, whether it is signed, the initialisation and the engine.
    seed
        Base seed; each point seeds itself from all its parameters.
    bootstrap
        Bootstrap resamples of the runs behind every standard error.
    tune, diffusion
        Whether to add the per-point tuned-``gamma`` and the diffusion tables.
    budget_factor
        Margin of the step budget over the theorem's time.
    eta_top_fraction
        The largest ``eta`` simulated (the large-``eta`` exponent's points, the sweeps' last point)
        as a fraction ``c`` of the valid range's top: ``eta d = c`` for batch reuse, whose range
        ends at ``eta d = 1``, where ``psi`` is heaviest-tailed.
    fewer_runs_from_d, fewer_runs, fewer_null_runs
        From this dimension on (``None``: never), signal points run ``fewer_runs`` runs and null
        points ``fewer_null_runs`` (the large-``d`` profile: a run there costs ``d^2`` steps).

    Examples
    --------
    >>> VerifyConfig().case()["student"]
    'h3'
    """

    rule: str = "alternating"
    target: str = "h3"
    student: str | None = None
    loss: str = "correlation"
    a: float = 1.0
    order: int | None = None
    keep_a: bool = False
    psi: str | None = None
    noise: float = 0.0
    ds_scaling: tuple = (25, 50, 100, 200, 400)
    ds_threshold: tuple = (25, 50, 100, 200)
    fig_d: int = 50
    runs: int = 100
    null_runs: int = 40
    kappa: float = 0.125
    m_thr: float = 0.5
    signed: bool = False
    start: str = "positive"
    engine: str = "reduced"
    seed: int = 20251021
    bootstrap: int = 400
    tune: bool = True
    tune_runs: int = 40
    diffusion: bool = True
    budget_factor: float = 30.0
    eta_top_fraction: float = 1.0
    ds_large: tuple | None = None
    fewer_runs_from_d: int | None = None
    fewer_runs: int = 40
    fewer_null_runs: int = 10
    depth: int | None = None

    @property
    def large_ds(self) -> tuple:
        """The dimensions of the large-``eta`` exponent fit."""
        return self.ds_scaling if self.ds_large is None else self.ds_large

    def runs_at(self, d: int) -> int:
        """Runs of a signal point at dimension ``d``.

        Examples
        --------
        >>> from dataclasses import replace
        >>> cfg = replace(VerifyConfig(), fewer_runs_from_d=1000)
        >>> cfg.runs_at(400), cfg.runs_at(1600), cfg.null_runs_at(1600)
        (100, 40, 10)
        """
        return self.fewer_runs if self.fewer_runs_from_d is not None and d >= self.fewer_runs_from_d else self.runs

    def null_runs_at(self, d: int) -> int:
        """Runs of a null point at dimension ``d``."""
        return (self.fewer_null_runs if self.fewer_runs_from_d is not None and d >= self.fewer_runs_from_d
                else self.null_runs)

    def case(self) -> dict:
        """The case as the simulators name it: rule, loss, target, student and the rule's options."""
        case = {"rule": self.rule, "loss": self.loss, "target": self.target,
                "student": self.student or self.target, "a": float(self.a), "order": self.order,
                "keep_a": bool(self.keep_a), "psi": self.psi, "noise": float(self.noise)}
        if self.depth not in (None, 2):
            case["depth"] = self.depth
        return case


DEFAULT = VerifyConfig()
QUICK = replace(DEFAULT, ds_scaling=(25, 50, 100), ds_threshold=(25, 50, 100), runs=48, null_runs=16,
                bootstrap=200, tune=False, diffusion=False)


def config_dict(cfg: VerifyConfig) -> dict:
    """Every field of ``cfg`` as plain JSON data (tuples become lists); ``depth`` only when it is not 2.

    Leaving out ``depth = None`` or ``2`` keeps the hash (:func:`config_hash`) and the saved
    ``config.json`` of every configuration from before the deep variant unchanged.

    Examples
    --------
    >>> config_dict(QUICK)["ds_scaling"]
    [25, 50, 100]
    """
    out = {f.name: (list(v) if isinstance(v := getattr(cfg, f.name), tuple) else v) for f in fields(cfg)}
    if out["depth"] in (None, 2):
        del out["depth"]
    return out


def config_hash(cfg: VerifyConfig) -> str:
    """A 10-hex-digit hash of the whole configuration (every field of :class:`VerifyConfig`).

    Distinct configurations get distinct default folders (:func:`default_out_dir`), so a quick
    run never overwrites a full run's records, report or figure.

    Examples
    --------
    >>> config_hash(DEFAULT) == config_hash(replace(DEFAULT))
    True
    >>> config_hash(DEFAULT) != config_hash(QUICK)
    True
    """
    blob = json.dumps({"format": CONFIG_FORMAT, "config": config_dict(cfg)}, sort_keys=True,
                      separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:10]


def default_out_dir(cfg: VerifyConfig) -> str:
    """``results/verify-<rule>-<loss>-<target>-<student>-<config hash>``.

    Examples
    --------
    >>> default_out_dir(DEFAULT).startswith("results/verify-alternating-correlation-h3-h3-")
    True
    """
    return os.path.join("results", "verify-" + _slug(cfg.case()) + "-" + config_hash(cfg))


def _slug(case: dict) -> str:
    rule = case["rule"] + (f"{case['depth']}" if case.get("depth") not in (None, 2) else "")
    parts = [rule, case["loss"], case["target"], case["student"]]
    return "-".join(str(p).replace("*", "").replace("/", "_").replace(" ", "")[:20] for p in parts)
