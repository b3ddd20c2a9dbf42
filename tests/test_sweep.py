"""Tests of the sweep runner (``theory.simulate.sweep``).

Each test pins one promise of :func:`run_sweep`: records are the same whatever runs the points (one or
two worker processes, threads, a dask cluster); every finished point is on disk as soon as it finishes,
so a failing point, a lost worker, a failing disk or Ctrl-C loses at most the points in flight; and
``resume=True`` finishes the job with exactly the records of an uninterrupted run.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from theory.simulate import (
    SimulationInputError,
    StepModel,
    SweepError,
    canonical_json,
    load_records,
    point_id,
    point_seed,
    run_sweep,
    simulate,
)
from theory.simulate import sweep as sweep_module

REPO = Path(__file__).resolve().parents[1]

POINTS = [{"rule": "online", "d": d, "c": c, "runs": 12, "max_steps": 3000} for d in (8, 12) for c in (0.05, 0.1, 0.2)]
POINTS += [{"rule": "online", "d": 10, "c": 0.1, "runs": 12, "max_steps": 3000, "k": k} for k in range(4)]


# --------------------------------------------------------------------- point functions (top level)
def _online(point):
    return StepModel(target=lambda u: u * (u * u - 3.0), kernel=lambda y, z, q, a: (a * y * (3.0 * z * z - 3.0), a))


def sim_point(point):
    """One record per run: the point's fields, the run index and its outcome."""
    d = point["d"]
    res = simulate(_online(point), d, point["c"] * d ** -1.5, runs=point["runs"], seed=point_seed(point),
                   max_steps=point["max_steps"])
    return [
        {**point, "run": i, "hitting_time": t, "status": s, "final_m": m}
        for i, (t, s, m) in enumerate(zip(res.hitting_times, res.status, res.final_m))
    ]


def failing_point(point):
    if point.get("k") == 2:
        raise RuntimeError("boom at k=2")
    return sim_point(point)


def dying_point(point):
    if point.get("k") == 1:
        os._exit(3)  # the worker process vanishes
    return sim_point(point)


def bad_output_point(point):
    return {"not": "a list"}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """Records of an uninterrupted sweep, computed in threads of this process."""
    out = tmp_path_factory.mktemp("reference")
    with ThreadPoolExecutor(2) as ex:
        return run_sweep(POINTS, sim_point, out, executor=ex, progress=False)


def saved_ids(out) -> set:
    return {p.stem for p in (Path(out) / "points").glob("*.json")}


def no_temp_files(out) -> bool:
    return not [p for p in Path(out).rglob("*") if p.name.endswith(".tmp")]


# ---------------------------------------------------------------------------------------- ids, seeds
def test_point_id_and_seed_depend_on_content_not_key_order():
    a = {"d": 50, "eta": 0.01, "rule": "alternating"}
    b = {"rule": "alternating", "eta": 0.01, "d": 50}
    assert canonical_json(a) == canonical_json(b) == '{"d":50,"eta":0.01,"rule":"alternating"}'
    assert point_id(a) == point_id(b) == hashlib.sha256(canonical_json(a).encode()).hexdigest()[:16]
    assert point_id(a) != point_id({**a, "eta": 0.02})
    assert point_seed(a).entropy == int(hashlib.sha256(canonical_json(a).encode()).hexdigest(), 16)
    x = np.random.default_rng(point_seed(a)).standard_normal(3)
    y = np.random.default_rng(point_seed(b)).standard_normal(3)
    assert np.array_equal(x, y)


@pytest.mark.parametrize("points, match", [
    ([{"a": 1}, {"a": 1}], r"points\[1\] duplicates points\[0\]"),
    ([{"a": float("nan")}], "not JSON-serialisable"),
    ([{"a": object()}], "not JSON-serialisable"),
    (["abc"], "must be a dict"),
])
def test_bad_points_are_rejected(tmp_path, points, match):
    with pytest.raises(SimulationInputError, match=match):
        run_sweep(points, sim_point, tmp_path, progress=False)


# ------------------------------------------------------------------------------------- determinism
def test_records_are_identical_for_one_and_two_workers_and_threads(tmp_path, reference):
    with ProcessPoolExecutor(1) as ex:
        one = run_sweep(POINTS, sim_point, tmp_path / "one", executor=ex, progress=False)
    with ProcessPoolExecutor(2) as ex:
        two = run_sweep(POINTS, sim_point, tmp_path / "two", executor=ex, progress=False)
    default = run_sweep(POINTS, sim_point, tmp_path / "default", progress=False)  # cpu_count processes
    assert one == two == default == reference
    assert len(reference) == sum(p["runs"] for p in POINTS)
    # in point order, each record tagged with its point
    ids = [point_id(p) for p in POINTS]
    assert [r["point_id"] for r in reference] == [i for i, p in zip(ids, POINTS) for _ in range(p["runs"])]


def test_files_on_disk_match_the_records(tmp_path, reference):
    with ThreadPoolExecutor(2) as ex:
        recs = run_sweep(POINTS, sim_point, tmp_path, executor=ex, progress=True)
    assert recs == reference == load_records(tmp_path)
    assert saved_ids(tmp_path) == {point_id(p) for p in POINTS}
    for p in POINTS:
        data = json.loads((tmp_path / "points" / f"{point_id(p)}.json").read_text())
        assert data["point"] == p and data["id"] == point_id(p)
        assert data["records"] == [r for r in reference if r["point_id"] == point_id(p)]
    with open(tmp_path / "records.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(reference)
    assert rows[0]["point_id"] == reference[0]["point_id"]
    assert [int(r["hitting_time"]) for r in rows] == [r["hitting_time"] for r in reference]
    assert [r.get("k", "") for r in rows] == [str(r["k"]) if "k" in r else "" for r in reference]
    assert no_temp_files(tmp_path)


# ------------------------------------------------------------------------------- failure and resume
def test_failing_point_keeps_earlier_points_and_resume_completes(tmp_path, reference):
    failing = next(i for i, p in enumerate(POINTS) if p.get("k") == 2)
    with ProcessPoolExecutor(2) as ex:
        with pytest.raises(SweepError) as info:
            run_sweep(POINTS, failing_point, tmp_path, executor=ex, progress=False)
    err = info.value
    assert err.index == failing and err.point == POINTS[failing] and err.point_id == point_id(POINTS[failing])
    assert point_id(POINTS[failing]) in str(err) and '"k":2' in str(err) and "boom at k=2" in str(err)
    assert isinstance(err.__cause__, RuntimeError)
    saved = saved_ids(tmp_path)
    # points submitted before the failing one had started, so they finished and were saved
    assert {point_id(p) for p in POINTS[:failing]} <= saved
    assert point_id(POINTS[failing]) not in saved
    assert load_records(tmp_path) == [r for r in reference if r["point_id"] in saved]
    assert no_temp_files(tmp_path)

    submitted = []

    class Counting(ThreadPoolExecutor):
        def submit(self, fn, *args, **kwargs):
            submitted.append(args[1])
            return super().submit(fn, *args, **kwargs)

    with Counting(2) as ex:
        final = run_sweep(POINTS, sim_point, tmp_path, executor=ex, resume=True, progress=False)
    assert final == reference == load_records(tmp_path)
    assert sorted(map(point_id, submitted)) == sorted(point_id(p) for p in POINTS if point_id(p) not in saved)


def test_lost_worker_is_reported_and_resume_completes(tmp_path, reference):
    with ProcessPoolExecutor(2) as ex:
        with pytest.raises(SweepError, match="failed with BrokenProcessPool"):
            run_sweep(POINTS, dying_point, tmp_path, executor=ex, progress=False)
    saved = saved_ids(tmp_path)
    assert load_records(tmp_path) == [r for r in reference if r["point_id"] in saved]
    final = run_sweep(POINTS, sim_point, tmp_path, resume=True, progress=False)
    assert final == reference


def test_failing_disk_keeps_saved_points(tmp_path, reference, monkeypatch):
    real_write = sweep_module.atomic_write
    calls = {"points": 0}

    def flaky_write(path, text):
        if path.parent.name == "points":
            calls["points"] += 1
            if calls["points"] == 4:
                raise OSError(28, "No space left on device")  # as on a full disk
        return real_write(path, text)

    monkeypatch.setattr(sweep_module, "atomic_write", flaky_write)
    with ThreadPoolExecutor(1) as ex:
        with pytest.raises(OSError, match="No space left"):
            run_sweep(POINTS, sim_point, tmp_path, executor=ex, progress=False)
    monkeypatch.setattr(sweep_module, "atomic_write", real_write)
    assert len(saved_ids(tmp_path)) == 3
    assert load_records(tmp_path) == [r for r in reference if r["point_id"] in saved_ids(tmp_path)]
    with ThreadPoolExecutor(2) as ex:
        assert run_sweep(POINTS, sim_point, tmp_path, executor=ex, resume=True, progress=False) == reference


def test_atomic_write_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "x.json"
    sweep_module.atomic_write(target, "old")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sweep_module.os, "replace", broken_replace)
    with pytest.raises(OSError):
        sweep_module.atomic_write(target, "new")
    assert target.read_text() == "old" and no_temp_files(tmp_path)


def test_resume_with_everything_saved_submits_nothing(tmp_path, reference):
    with ThreadPoolExecutor(2) as ex:
        run_sweep(POINTS, sim_point, tmp_path, executor=ex, progress=False)

    class Refusing(ThreadPoolExecutor):
        def submit(self, *args, **kwargs):
            raise AssertionError("nothing should be recomputed")

    with Refusing(1) as ex:
        assert run_sweep(POINTS, sim_point, tmp_path, executor=ex, resume=True, progress=False) == reference


def test_resume_recomputes_a_corrupt_point_file(tmp_path, reference):
    with ThreadPoolExecutor(2) as ex:
        run_sweep(POINTS, sim_point, tmp_path, executor=ex, progress=False)
    (tmp_path / "points" / f"{point_id(POINTS[0])}.json").write_text("{truncated")
    with ThreadPoolExecutor(2) as ex, pytest.warns(UserWarning, match="recomputed"):
        assert run_sweep(POINTS, sim_point, tmp_path, executor=ex, resume=True, progress=False) == reference


def test_point_function_must_return_records(tmp_path):
    with ThreadPoolExecutor(1) as ex, pytest.raises(SweepError, match="list of dicts"):
        run_sweep(POINTS[:1], bad_output_point, tmp_path, executor=ex, progress=False)


# ------------------------------------------------------------------------------------------- Ctrl-C
SCRIPT = """
import sys, time
from theory.simulate import StepModel, point_seed, run_sweep, simulate

def point_fn(point):
    with open(sys.argv[3], "a") as log:
        log.write(f"{sys.argv[2]} {point['k']}\\n")
    time.sleep(point["sleep"])
    model = StepModel(target=lambda u: u * (u * u - 3.0), kernel=lambda y, z, q, a: (a * y * (3.0 * z * z - 3.0), a))
    res = simulate(model, 10, 0.1 * 10 ** -1.5, runs=8, seed=point_seed(point), max_steps=3000)
    return [{"k": point["k"], "run": i, "t": int(t)} for i, t in enumerate(res.hitting_times)]

if __name__ == "__main__":
    points = [{"k": k, "sleep": 0.4} for k in range(10)]
    run_sweep(points, point_fn, sys.argv[1], resume=sys.argv[2] == "resume", progress=False)
"""


def _run_script(script, out, mode, log, **kw):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, str(script), str(out), mode, str(log)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT to a child process")
def test_sigint_mid_sweep_then_resume_gives_the_uninterrupted_records(tmp_path):
    script = tmp_path / "sweep_script.py"
    script.write_text(textwrap.dedent(SCRIPT))
    out, log = tmp_path / "interrupted", tmp_path / "calls.log"

    proc = _run_script(script, out, "fresh", log)
    deadline = time.monotonic() + 60
    while len(saved_ids(out)) < 2:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "sweep made no progress"
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0 and b"KeyboardInterrupt" in err
    assert b"Exception in thread" not in err  # the pool went down cleanly
    saved_after_kill = saved_ids(out)
    assert 2 <= len(saved_after_kill) < 10
    killed = json.loads((out / "records.json").read_text())
    # the aggregate is valid JSON and lags the point files by at most the point being saved at the signal
    in_aggregate = {r["point_id"] for r in killed}
    assert in_aggregate <= saved_after_kill and len(saved_after_kill - in_aggregate) <= 1
    assert no_temp_files(out)

    proc = _run_script(script, out, "resume", log)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    proc = _run_script(script, tmp_path / "uninterrupted", "reference", log)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()

    resumed = load_records(out)
    assert resumed == load_records(tmp_path / "uninterrupted")
    # no point lost, none duplicated
    assert [(r["k"], r["run"]) for r in resumed] == [(k, i) for k in range(10) for i in range(8)]
    calls = [line.split() for line in log.read_text().splitlines()]
    resumed_ks = sorted(int(k) for mode, k in calls if mode == "resume")
    saved_ks = {k for k in range(10) if point_id({"k": k, "sleep": 0.4}) in saved_after_kill}
    assert resumed_ks == sorted(set(range(10)) - saved_ks)  # resume recomputed exactly the missing points


# --------------------------------------------------------------------------------------------- dask
def test_dask_executor_gives_the_same_records(tmp_path, reference):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            recs = run_sweep(POINTS, sim_point, tmp_path, executor=client.get_executor(), progress=False)
    assert recs == reference


def numpy_point(point):
    return [{"x": np.float64(np.nan), "i": np.int64(3), "arr": np.arange(2), "inf": float("inf"), "ok": True}]


def test_records_are_plain_standard_json(tmp_path):
    with ThreadPoolExecutor(1) as ex:
        recs = run_sweep([{"a": 1}], numpy_point, tmp_path, executor=ex, progress=False)
    assert recs == [{"point_id": point_id({"a": 1}), "x": None, "i": 3, "arr": [0, 1], "inf": None, "ok": True}]

    def reject(name):
        raise ValueError(f"non-standard JSON constant {name}")

    for path in [tmp_path / "records.json", *(tmp_path / "points").glob("*.json")]:
        json.loads(path.read_text(), parse_constant=reject)


# ------------------------------------------------------------------------ resume checks what it reuses
def _count_records(point, records):
    return None if len(records) == point["runs"] else f"{len(records)} records for {point['runs']} runs"


def test_resume_rejects_saved_points_that_fail_the_checks(tmp_path, reference, monkeypatch):
    with ThreadPoolExecutor(2) as ex:
        run_sweep(POINTS, sim_point, tmp_path, executor=ex, progress=False)
    pdir = tmp_path / "points"
    ids = [point_id(p) for p in POINTS]
    data = json.loads((pdir / f"{ids[0]}.json").read_text())
    (pdir / f"{ids[0]}.json").write_text(json.dumps(dict(data, records=data["records"][:3])))  # truncated
    (pdir / f"{ids[1]}.json").write_text(json.dumps(dict(data, extra=1)))                    # unexpected field
    (pdir / f"{ids[2]}.json").unlink()
    os.mkfifo(pdir / f"{ids[2]}.json")                                                      # reading would block
    (pdir / f"{ids[3]}.json").write_text("[" * 100_000)                                      # nested too deeply
    big = pdir / f"{ids[4]}.json"
    big.write_text(big.read_text() + " " * 4096)  # still valid JSON, and larger than every other file here
    monkeypatch.setattr(sweep_module, "MAX_POINT_FILE_BYTES", big.stat().st_size - 1)      # over the size limit
    stats = {}
    with ThreadPoolExecutor(2) as ex:
        records = run_sweep(POINTS, sim_point, tmp_path, executor=ex, resume=True, progress=False,
                            validate=_count_records, stats=stats)
    assert records == reference
    reasons = {r["id"]: r["reason"] for r in stats["rejected"]}
    assert set(ids[:5]) <= set(reasons)
    assert all("limit" in reasons[i] for i in reasons if i not in ids[:4]), reasons  # the rest: over the lowered limit
    assert "3 records for 12 runs" in reasons[ids[0]]
    assert "unexpected fields" in reasons[ids[1]]
    assert "not a regular file" in reasons[ids[2]] and "FIFO" in reasons[ids[2]]
    assert "unreadable" in reasons[ids[3]]
    assert "limit" in reasons[ids[4]]
    assert stats["computed"] == len(reasons) and stats["reused"] == len(POINTS) - len(reasons)


def test_resume_rejects_records_without_the_point_id(tmp_path, reference):
    with ThreadPoolExecutor(2) as ex:
        run_sweep(POINTS, sim_point, tmp_path, executor=ex, progress=False)
    path = tmp_path / "points" / f"{point_id(POINTS[0])}.json"
    data = json.loads(path.read_text())
    data["records"][0]["point_id"] = "0" * 16
    path.write_text(json.dumps(data))
    stats = {}
    with ThreadPoolExecutor(2) as ex:
        assert run_sweep(POINTS, sim_point, tmp_path, executor=ex, resume=True, progress=False,
                         stats=stats) == reference
    assert [r["reason"] for r in stats["rejected"]] == ["record 0 does not carry the point id"]
    assert stats["reused"] == len(POINTS) - 1


def test_default_pool_never_exceeds_the_available_cores():
    from theory.simulate.sweep import available_cores

    n = available_cores()
    assert 1 <= n <= (os.cpu_count() or 1)
    if hasattr(os, "sched_getaffinity"):
        assert n == len(os.sched_getaffinity(0))


def test_serial_executor_gives_the_pool_records_in_this_process(tmp_path, reference):
    from theory.simulate.sweep import SerialExecutor
    with SerialExecutor() as ex:
        assert run_sweep(POINTS, sim_point, tmp_path, executor=ex, progress=False) == reference
    with SerialExecutor() as ex:
        fut = ex.submit(int, "x")
        assert isinstance(fut.exception(), ValueError)


def test_cost_orders_submission_but_never_the_records(tmp_path, reference):
    seen = []

    class Recording(ThreadPoolExecutor):
        def submit(self, fn, *args, **kwargs):
            seen.append(args[1]["runs"])
            return super().submit(fn, *args, **kwargs)

    with Recording(1) as ex:
        recs = run_sweep(POINTS, sim_point, tmp_path, executor=ex, progress=False, cost=lambda p: p["runs"])
    assert recs == reference
    assert seen == sorted(seen, reverse=True)


def test_throttled_aggregates_hold_every_saved_point_when_a_sweep_stops(tmp_path, reference, monkeypatch):
    """With mid-run rewrites switched off, the aggregates are still complete after a failing point."""
    from theory.simulate.sweep import SerialExecutor
    monkeypatch.setattr(sweep_module, "AGGREGATE_INTERVAL", 1e9)
    writes = []
    original = sweep_module._Store.write_aggregates
    monkeypatch.setattr(sweep_module._Store, "write_aggregates", lambda self: (writes.append(1), original(self)))
    with SerialExecutor() as ex, pytest.raises(SweepError):
        run_sweep(POINTS, failing_point, tmp_path, executor=ex, progress=False)
    saved = saved_ids(tmp_path)
    assert saved == {point_id(p) for p in POINTS if p.get("k") != 2}  # the serial executor ran every point
    aggregate = json.loads((tmp_path / "records.json").read_text())
    assert aggregate == [r for r in reference if r["point_id"] in saved]
    assert len(writes) == 2  # the first save (interval elapsed since -inf), then the flush on the way out


def _blas_threads() -> list:
    """Worker side: the thread count of every native thread pool loaded here (OpenBLAS is, by numpy)."""
    from threadpoolctl import threadpool_info

    return [(pool["internal_api"], pool["num_threads"]) for pool in threadpool_info()]


def test_worker_pools_run_one_native_thread_per_worker():
    # a fresh process has OpenBLAS at one thread per core; each worker of worker_pool has one
    import subprocess
    import sys

    from theory.simulate.sweep import available_cores, worker_pool
    code = "import numpy, threadpoolctl; print(max(p['num_threads'] for p in threadpoolctl.threadpool_info()))"
    # (without the *_NUM_THREADS variables: a dask LocalCluster with processes, as another test starts, sets
    # them in this process)
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    fresh = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                               timeout=120, env=env).stdout)
    assert fresh >= 1
    with worker_pool(2) as pool:
        pools = [pool.submit(_blas_threads).result(timeout=120) for _ in range(4)]
    assert all(p for p in pools)  # numpy's BLAS is seen
    assert {n for p in pools for _api, n in p} == {1}
    if available_cores() > 1:
        assert fresh > 1  # the limit is not the default: without it a worker's BLAS has a thread per core
