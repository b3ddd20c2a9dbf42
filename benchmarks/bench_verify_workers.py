"""Wall time of ``python -m theory verify`` with one worker against its default (every core).

Run ``python benchmarks/bench_verify_workers.py`` (``--quick`` passes ``--quick`` to both runs).
It runs the same verification twice in fresh processes, in this order:

1. ``python -m theory verify --workers 1`` (serial: no process pool at all);
2. ``python -m theory verify`` (the default: one worker per available core).

Each run compiles its own kernels (numba's cache is not on disk; with the default every
worker process compiles them once), as a user's run does.  It prints the two wall
times and peak resident memory (of the main process, and of the largest worker), their ratio
(target: at least 1.8 on 2 cores) and whether the records of the two runs
are byte-identical (they must be: the per-run seed streams do not depend on the worker count).
The anchor is the serial run, measured in the same invocation.
"""
from __future__ import annotations

import argparse
import filecmp
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["main", "timed_verify", "records_identical"]


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def timed_verify(out: Path, extra: list[str]) -> tuple[float, float, float]:
    """Run ``python -m theory verify --out OUT EXTRA...``; returns (wall seconds, peak RSS of the
    main process in MB, peak RSS of any one worker process in MB; 0 without workers).

    Resident memory is sampled from ``/proc`` every 0.2 s (Linux; zeros elsewhere). Its standard
    output is kept in ``OUT.txt`` beside the output folder.
    """
    cmd = [sys.executable, "-m", "theory", "verify", "--out", str(out), *extra]
    out.parent.mkdir(parents=True, exist_ok=True)
    peak_main = peak_worker = 0.0
    with open(out.with_suffix(".txt"), "w", encoding="utf-8") as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=log)
        while proc.poll() is None:
            peak_main = max(peak_main, _rss_mb(proc.pid))
            for child in _children(proc.pid):
                peak_worker = max(peak_worker, _rss_mb(child))
            time.sleep(0.2)
        return time.perf_counter() - t0, peak_main, peak_worker


#: Keys of report.json that name the output folder (they differ between the two runs by construction).
PATH_KEYS = ("plot", "out_dir")


def _tree(path: Path) -> list[Path]:
    return sorted(p.relative_to(path) for p in path.rglob("*.json*") if p.is_file())


def _report(path: Path) -> dict:
    report = json.loads((path / "report.json").read_text(encoding="utf-8"))
    return {k: v for k, v in report.items() if k not in PATH_KEYS}


def records_identical(a: Path, b: Path) -> bool:
    """True when both runs wrote the same record files with the same bytes, and the same report.

    The report is compared as JSON without the keys that name the output folder; figures are
    not compared.
    """
    ta, tb = _tree(a), _tree(b)
    if ta != tb or not ta:
        return False
    records = [p for p in ta if p.name != "report.json"]
    return (all(filecmp.cmp(a / p, b / p, shallow=False) for p in records)
            and _report(a) == _report(b))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="benchmark verify --quick instead of the default")
    p.add_argument("--keep", type=Path, default=None,
                   help="keep both runs' output folders (and their text output) under this folder")
    args = p.parse_args(argv)
    extra = ["--quick"] if args.quick else []
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep if args.keep is not None else Path(scratch)
        load = os.getloadavg()[0]
        t1, m1, _ = timed_verify(tmp / "serial", ["--workers", "1", *extra])
        tn, mn, wn = timed_verify(tmp / "default", extra)
        same = records_identical(tmp / "serial", tmp / "default")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"verify{' --quick' if args.quick else ''} on {cores} core(s), load average before: "
          f"{load:.2f}")
    print(f"  --workers 1 : {t1:8.1f} s   peak memory {m1:6.0f} MB")
    print(f"  default     : {tn:8.1f} s   peak memory {mn:6.0f} MB (main), {wn:6.0f} MB (largest worker)")
    print(f"  speed-up    : {t1 / tn:8.2f}x (target >= 1.8 on 2 cores)")
    print(f"  records identical: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
