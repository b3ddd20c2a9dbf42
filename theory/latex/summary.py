r"""Simulation summaries for a report: any accepted simulation JSON, checked and reduced to rows.

Role: :func:`simulation_summary` accepts the output of ``simulate --json``, verify's
``report.json``, ``records.json`` or a ``points/<id>.json``, or plain rows, checks its schema
(every number finite or null, every scalar a scalar) and returns bounded, typed rows that
:mod:`theory.latex.report` typesets.  Input never reaches TeX from here unescaped: this module
produces data, not LaTeX.
"""
from __future__ import annotations

import math
from numbers import Real

from theory.latex.notation import LatexInputError

__all__ = ["simulation_summary", "is_number"]


def _quantiles(times) -> dict:
    """Counts, median and quartiles of hitting times (``None`` = did not hit, counted as infinite)."""
    import numpy as np

    t = np.array([np.inf if v is None else float(v) for v in times], dtype=float)
    if not t.size:
        return {"runs": 0}
    fin = t[np.isfinite(t)]

    def q(p):
        v = float(np.quantile(t, p))
        return v if math.isfinite(v) else None

    return {"runs": int(t.size), "hits": int(fin.size), "median": q(0.5), "q25": q(0.25), "q75": q(0.75),
            "mean": float(fin.mean()) if fin.size else None}


def is_number(v) -> bool:
    return isinstance(v, Real) and not isinstance(v, bool)


def _times_of(records, where: str) -> list:
    out = []
    for k, r in enumerate(records):
        status, t = r.get("status"), r.get("hitting_time")
        if status == "hit":
            if not is_number(t) or not math.isfinite(t) or t < 0:
                raise LatexInputError(f"simulation summary: {where} record {k} is a hit without a finite hitting "
                                      f"time >= 0")
            out.append(t)
        elif status in ("censored", "diverged"):
            out.append(None)
        else:
            raise LatexInputError(f"simulation summary: {where} record {k} has status {status!r}")
    return out


def _from_simulate(sim: dict) -> dict:
    times, status = sim["hitting_times"], sim["status"]
    if not (isinstance(times, list) and isinstance(status, list) and len(times) == len(status)):
        raise LatexInputError("simulation summary: 'hitting_times' and 'status' must be lists of the same length")
    records = [{"status": s, "hitting_time": t} for s, t in zip(status, times)]
    row = {k: sim[k] for k in ("d", "eta", "gamma") if is_number(sim.get(k))}
    q = _quantiles(_times_of(records, "simulate"))
    row.update(runs=q["runs"], hits=q.get("hits"), censored=status.count("censored"),
               diverged=status.count("diverged"), median=q.get("median"), q25=q.get("q25"), q75=q.get("q75"),
               mean=q.get("mean"))
    meta = {k: sim[k] for k in ("rule", "loss", "target", "student", "engine", "seed", "m_thr", "max_steps",
                                "start", "null", "gamma_rule") if k in sim}
    return {"kind": "simulate --json output", "rows": [row], "meta": meta, "claims": [],
            "caption": "Hitting times from simulate (median and quartiles over all runs; runs that did not hit "
                       "count as infinite, shown as --)."}


def _from_records(records: list, what: str) -> dict:
    groups: dict = {}
    for k, r in enumerate(records):
        groups.setdefault(str(r.get("point_id")), []).append(r)
    rows = []
    for pid, recs in groups.items():
        first = recs[0]
        row = {k: first[k] for k in ("tag", "d", "eta", "gamma") if k in first and (is_number(first[k]) or k == "tag")}
        if first.get("null"):
            row["null"] = True
        q = _quantiles(_times_of(recs, what))
        row.update(runs=q["runs"], hits=q.get("hits"), median=q.get("median"), q25=q.get("q25"), q75=q.get("q75"))
        rows.append(row)
    return {"kind": what, "rows": rows, "meta": {"points": len(rows), "records": len(records)}, "claims": [],
            "caption": "Per-point summary of the saved runs (median and quartiles over all runs of a point; runs "
                       "that did not hit count as infinite, shown as --)."}


def _from_verify(report: dict) -> dict:
    claims = report["claims"]
    if not isinstance(claims, list) or not all(isinstance(c, dict) for c in claims):
        raise LatexInputError("simulation summary: verify report 'claims' must be a list of objects")
    tables = report.get("tables") or {}
    if not isinstance(tables, dict):
        raise LatexInputError("simulation summary: verify report 'tables' must be an object")
    rows = next((v for k, v in tables.items() if str(k).startswith("null controls")), [])
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise LatexInputError("simulation summary: verify report tables must be lists of objects")
    rows = [{k: r.get(k) for k in ("tag", "d", "eta", "gamma", "median", "null_median")} for r in rows]
    desc = report.get("description")
    meta = {k: report[k] for k in ("verdict", "config_hash", "out_dir") if k in report}
    if isinstance(report.get("counts"), dict):
        meta.update({f"claims {k}": v for k, v in report["counts"].items() if k != "claims"})
    return {"kind": "verify report.json", "rows": rows, "meta": meta, "claims": claims,
            "caption": (desc.splitlines()[0] if isinstance(desc, str) and desc else "verify report")
            + ". Points used by the claims, with their median hitting times."}


def _check_scalar(where, key, value):
    if not (value is None or isinstance(value, (str, bool, Real))):
        raise LatexInputError(f"simulation summary: {where} entry {key!r} must be a number or a string, "
                              f"got {type(value).__name__}")


def _summarise_list(value) -> str:
    nums = [v for v in value if is_number(v) and math.isfinite(v)]
    if nums and len(nums) == len(value):
        import statistics

        return f"{len(value)} numbers: median {statistics.median(nums):.3g}, {min(nums):.3g} to {max(nums):.3g}"
    return f"a list of {len(value)} entries"


def _check_numbers(obj, where="simulation summary") -> None:
    """Refuse integers too large for a float (JSON integers are unbounded); iterative, any depth."""
    stack = [obj]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, int) and not isinstance(v, bool):
            try:
                float(v)
            except OverflowError:
                raise LatexInputError(f"{where}: an integer of about {int(v.bit_length() * 0.30103)} digits is out "
                                      f"of the range of a floating-point number") from None


def simulation_summary(simulation) -> dict:
    """Normalise any accepted simulation input to ``{"kind", "rows", "meta", "claims", "caption"}``.

    Accepted: the output of ``simulate --json``; verify's ``report.json``; verify's ``records.json``
    (per-run records) or a saved ``points/<id>.json``; ``{"rows": [...], ...}`` or a list of rows
    (scalar entries).  List-valued entries are summarised, never dumped.
    """
    _check_numbers(simulation)
    if isinstance(simulation, dict) and "hitting_times" in simulation and "status" in simulation:
        return _from_simulate(simulation)
    if isinstance(simulation, dict) and "claims" in simulation and "config" in simulation:
        return _from_verify(simulation)
    if isinstance(simulation, dict) and set(simulation) == {"id", "point", "records"} \
            and isinstance(simulation["records"], list):
        records = simulation["records"]
        if not all(isinstance(r, dict) for r in records):
            raise LatexInputError("simulation summary: 'records' must be a list of objects")
        return _from_records(records, "saved sweep point")
    if isinstance(simulation, list) and simulation and all(isinstance(r, dict) for r in simulation) \
            and all({"point_id", "run", "status"} <= set(r) for r in simulation):
        return _from_records(simulation, "records.json")
    if isinstance(simulation, list):
        rows, meta = simulation, {}
    elif isinstance(simulation, dict):
        meta = {k: v for k, v in simulation.items() if k != "rows"}
        rows = simulation.get("rows", [])
    else:
        raise LatexInputError(f"simulation summary must be a JSON object or a list of rows, "
                              f"got {type(simulation).__name__}")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise LatexInputError("simulation summary: 'rows' must be a list of objects")
    for r in rows:
        for key, value in r.items():
            _check_scalar("row", key, value)
    caption = meta.pop("caption", None) or meta.pop("title", None)
    for key, value in list(meta.items()):
        if isinstance(value, list):
            meta[key] = _summarise_list(value)
        elif isinstance(value, dict):
            meta[key] = f"an object with {len(value)} entries"
        else:
            _check_scalar("summary", key, value)
    if caption is not None and not isinstance(caption, str):
        caption = str(caption)
    return {"kind": "rows", "rows": rows, "meta": meta, "claims": [], "caption": caption}
