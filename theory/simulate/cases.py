"""From a rule described by strings to a :class:`StepModel`, and the sweep's point function.

A *case* is the JSON-friendly description of an algorithm on a problem: ``rule``, ``loss``,
``target``, ``student``, ``a``, ``order``, ``keep_a``, ``psi``, ``noise``.  Workers rebuild
the SymPy rule from it (cached per process), so sweep points stay plain dictionaries that
any executor can ship.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from theory.rules import Rule, make_rule
from theory.simulate._common import StepModel
from theory.simulate.engines import simulate
from theory.simulate.sweep import point_seed

__all__ = ["CASE_KEYS", "case_of", "rule_for", "model_for", "simulate_point"]

CASE_KEYS = ("rule", "loss", "target", "student", "a", "order", "keep_a", "psi", "noise")


def case_of(rule: Rule, psi_text: str | None = None) -> dict:
    """The JSON-friendly case of a :class:`~theory.rules.Rule`."""
    return {"rule": rule.name, "loss": rule.loss, "target": rule.target.name, "student": rule.student.name,
            "a": float(rule.a), "order": rule.order, "keep_a": bool(rule.keep_a), "psi": psi_text,
            "noise": float(rule.target.noise)}


@lru_cache(maxsize=64)
def _rule_cached(rule, loss, target, student, a, order, keep_a, psi, noise) -> Rule:
    return make_rule(rule, target, student, loss=loss, a=a, order=order, keep_a=keep_a, psi=psi, noise=noise)


def rule_for(case: dict) -> Rule:
    """Rebuild the rule of a case (cached)."""
    return _rule_cached(*(case.get(k) for k in CASE_KEYS))


def model_for(case: dict, eta: float, d: int) -> StepModel:
    """The numeric step model of a case at learning rate ``eta`` and dimension ``d``.

    Examples
    --------
    >>> m = model_for({"rule": "online", "loss": "correlation", "target": "He3", "student": "He3",
    ...                "a": 1.0, "order": None, "keep_a": False, "psi": None, "noise": 0.0}, 0.0, 10)
    >>> float(m.kernel(np.array(1.0), np.array(2.0), np.array(9.0), np.array(1.0))[0])
    9.0
    """
    rule = rule_for(case)
    return StepModel(target=rule.target.numeric(), kernel=rule.numeric_kernel(eta, d),
                     noise=float(rule.target.noise), a0=float(rule.a), name=rule.label)


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
