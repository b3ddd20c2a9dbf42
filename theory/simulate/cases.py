"""From a rule described by strings to a :class:`StepModel`, and the sweep's point function.

A *case* is the JSON-friendly description of an algorithm on a problem: ``rule``, ``loss``,
``target``, ``student``, ``a``, ``order``, ``keep_a``, ``psi``, ``noise``.  Workers rebuild
the SymPy rule from it (cached per process), so sweep points stay plain dictionaries that
any executor can ship.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from theory._validate import as_int
from theory.rules import Rule, make_rule
from theory.simulate.common import SimulationInputError, StepModel
from theory.simulate.engines import simulate
from theory.simulate.kernels import step_model
from theory.simulate.sweep import point_seed

__all__ = ["CASE_KEYS", "case_of", "rule_for", "rule_options", "model_for", "simulate_point", "check_records",
           "RECORD_KEYS"]

CASE_KEYS = ("rule", "loss", "target", "student", "a", "order", "keep_a", "psi", "noise")
#: Fields :func:`simulate_point` adds to the point in each record (besides ``point_id`` from the sweep).
RECORD_KEYS = ("run", "status", "hitting_time")
_STATUSES = ("hit", "censored", "diverged")



def case_of(rule: Rule, psi_text: str | None = None) -> dict:
    """The JSON-friendly case of a :class:`~theory.rules.Rule`.

    The keys are :data:`CASE_KEYS`, plus any option of the rule's own class that is set to other
    than its class default (for example ``transform``, or ``depth`` above 2), so a case rebuilds
    the same rule while the cases (and hence the seeds) of the rules that have no such option, or
    leave it at its default, stay what they always were.
    """
    case = {"rule": rule.name, "loss": rule.loss, "target": rule.target.name, "student": rule.student.name,
            "a": float(rule.a), "order": rule.order, "keep_a": bool(rule.keep_a),
            "psi": psi_text if psi_text is not None else rule.spec.get("psi"), "noise": float(rule.target.noise)}
    for key, value in rule.spec.items():
        if key not in CASE_KEYS and key not in case and value is not None \
                and value != type(rule).options.get(key):
            case[key] = value
    return case


def rule_options(case: dict) -> dict:
    """The keyword options of :func:`~theory.rules.make_rule` that a case actually sets.

    Options at their "not given" value (``order=None``, ``keep_a=False``, ``psi=None``) and at
    ``make_rule``'s defaults (``loss="correlation"``, ``a=1``, ``noise=0``) are left out, so
    ``make_rule`` sees exactly the options that carry information and can refuse those that do
    not apply to the rule.

    Examples
    --------
    >>> rule_options({"rule": "online", "loss": "correlation", "a": 1.0, "order": None, "keep_a": False,
    ...               "psi": None, "noise": 0.0})
    {}
    >>> rule_options({"rule": "alternating", "loss": "squared", "a": 2.0, "keep_a": True})
    {'loss': 'squared', 'a': 2.0, 'keep_a': True}
    """
    out = {}
    if case.get("loss") not in (None, "correlation"):
        out["loss"] = case["loss"]
    if case.get("a") is not None and case["a"] != 1:
        out["a"] = case["a"]
    if case.get("order") is not None:
        out["order"] = case["order"]
    if case.get("keep_a"):
        out["keep_a"] = True
    if case.get("psi") is not None:
        out["psi"] = case["psi"]
    if case.get("noise") not in (None, 0):
        out["noise"] = case["noise"]
    for key in _class_options():          # a rule class's own options (e.g. transform)
        if case.get(key) is not None:
            out[key] = case[key]
    return out


def _class_options() -> tuple:
    """Options of registered rule classes that are not among :data:`CASE_KEYS` (e.g. ``transform``)."""
    from theory.rules import registry
    return tuple(sorted({k for cls in registry().values() for k in cls.options} - set(CASE_KEYS)))


@lru_cache(maxsize=64)
def _rule_cached(rule, target, student, options) -> Rule:
    return make_rule(rule, target, student, **dict(options))


def rule_for(case: dict) -> Rule:
    """Rebuild the rule of a case (cached); only the options the case sets are passed on."""
    student = case.get("student") or case.get("target")
    return _rule_cached(case.get("rule"), case.get("target"), student, tuple(sorted(rule_options(case).items())))


def model_for(case: dict, eta: float, d: int) -> StepModel:
    """The numeric step model of a case at learning rate ``eta`` and dimension ``d``.

    Built from the rule's public attributes through :mod:`theory.simulate.kernels`: the target's
    numpy function, the vectorised kernel of ``rule.step``/``rule.a_next`` and its compiled twin
    (``StepModel.compiled``), the label noise and the initial second layer.

    Examples
    --------
    >>> m = model_for({"rule": "online", "loss": "correlation", "target": "He3", "student": "He3",
    ...                "a": 1.0, "order": None, "keep_a": False, "psi": None, "noise": 0.0}, 0.0, 10)
    >>> float(m.kernel(np.array(1.0), np.array(2.0), np.array(9.0), np.array(1.0))[0])
    9.0
    >>> m.compiled is not None
    True
    """
    return step_model(rule_for(case), eta, d)


def simulate_point(point: dict) -> list[dict]:
    """Sweep point function: run one grid point and return one tidy record per run.

    ``point`` holds a case plus ``d``, ``eta``, ``gamma``, ``runs``, ``m_thr``, ``signed``,
    ``engine``, ``max_steps``, ``start``, ``null`` and any labels (``tag``...).  Its random
    stream comes from :func:`~theory.simulate.sweep.point_seed` of the whole point.
    """
    model = model_for(point, point["eta"], point["d"])
    result = simulate(model, point["d"], point["gamma"], runs=point["runs"], seed=point_seed(point),
                      engine=point.get("engine", "reduced"), m_thr=point.get("m_thr", 0.5),
                      signed=point.get("signed", False), max_steps=point["max_steps"],
                      start=point.get("start", "uniform"), null=point.get("null", False))
    out = []
    times = np.asarray(result.hitting_times)
    for i in range(result.runs):
        rec = dict(point)
        status = str(result.status[i])
        rec.update({"run": i, "status": status,
                    "hitting_time": int(times[i]) if status == "hit" else None})
        out.append(rec)
    return out


def check_records(point: dict, records: list) -> str | None:
    """Check saved records of :func:`simulate_point` against their point; ``None`` when they match.

    Used by ``run_sweep(..., validate=check_records)`` on resume: a saved point is reused only if it
    has exactly ``point["runs"]`` records, runs ``0 .. runs-1`` once each, every record repeats every
    field of the point (so its configuration and seed) and has no other field than
    :data:`RECORD_KEYS` and ``point_id``, each status is one of hit/censored/diverged, and a hit carries
    an integer hitting time in ``[0, max_steps]`` while the others carry none.

    Examples
    --------
    >>> p = {"d": 10, "runs": 2, "max_steps": 100, "seed": 1}
    >>> ok = [dict(p, point_id="x", run=r, status="hit", hitting_time=5) for r in range(2)]
    >>> check_records(p, ok) is None
    True
    >>> check_records(p, ok[:1])
    'expected 2 records (runs = 2), found 1'
    >>> check_records(p, [ok[0], dict(ok[1], seed=2)])
    "record 1 has seed = 2, not the point's 1"
    """
    runs = point.get("runs")
    if not isinstance(records, list):
        return "records are not a list"
    if len(records) != runs:
        return f"expected {runs} records (runs = {runs}), found {len(records)}"
    allowed = set(point) | set(RECORD_KEYS) | {"point_id"}
    seen = set()
    max_steps = point.get("max_steps")
    for k, rec in enumerate(records):
        if not isinstance(rec, dict):
            return f"record {k} is not an object"
        extra = sorted(set(rec) - allowed)
        if extra:
            return f"record {k} has unexpected field(s) {', '.join(map(repr, extra[:3]))}"
        missing = sorted(allowed - set(rec))
        if missing:
            return f"record {k} lacks field(s) {', '.join(map(repr, missing[:3]))}"
        for key, value in point.items():
            if rec[key] != value or type(rec[key]) is not type(value):
                return f"record {k} has {key} = {rec[key]!r}, not the point's {value!r}"
        run = rec["run"]
        if not _is_int_in(run, 0, runs - 1) or run in seen:
            return f"record {k} has run index {run!r} (each of 0..{runs - 1} must appear once)"
        seen.add(run)
        status, t = rec["status"], rec["hitting_time"]
        if status not in _STATUSES:
            return f"record {k} has status {status!r}"
        if status == "hit":
            if not _is_int_in(t, 0, max_steps):
                return f"record {k} is a hit with hitting time {t!r} outside [0, {max_steps}]"
        elif t is not None:
            return f"record {k} is {status} but has hitting time {t!r}"
    return None


def _is_int_in(value, lo: int, hi: int) -> bool:
    """``value`` is an integer (not a bool) in ``[lo, hi]`` (:func:`theory._validate.as_int`)."""
    try:
        as_int(value, "value", lo=lo, hi=hi, error=SimulationInputError)
    except SimulationInputError:
        return False
    return True
