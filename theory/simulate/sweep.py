"""Resumable, deterministic, parallel sweeps over parameter points.

A sweep is a list of *points* (JSON-serialisable dicts such as ``{"rule": "alternating", "d": 50,
"eta": 0.01, "gamma": 1e-4, "runs": 100}``) and a picklable top-level *point function* mapping one point
to a list of tidy record dicts (for example one per run). :func:`run_sweep` evaluates the points on any
:class:`concurrent.futures.Executor` and keeps the results safe on disk:

* every point has a stable id, a hash of its canonical JSON (:func:`point_id`), and seeds its own
  randomness from that JSON (:func:`point_seed`), so records never depend on the number of workers or
  on the order points finish in;
* each finished point is written at once, atomically (temporary file + :func:`os.replace`), to
  ``out_dir/points/<id>.json``, and the aggregates ``out_dir/records.json`` and ``out_dir/records.csv``
  (all finished points, in point order) are rewritten atomically at most every
  :data:`AGGREGATE_INTERVAL` seconds while the sweep runs and always when it ends, however it ends
  (rewriting them after every point made the parent's share of a sweep grow like the square of
  its points: 13 of 117 seconds of the default verification, serial in any worker count);
* so a sweep stopped by Ctrl-C, a failing point, a lost worker or a full disk loses at most the points
  in flight, and ``resume=True`` skips the saved points and ends with the same records as an
  uninterrupted run;
* on resume a saved point is reused only after it is checked: a regular file of bounded size
  (:data:`MAX_POINT_FILE_BYTES`), valid JSON, the same id and point, a list of records that are
  objects carrying that id, and whatever the caller's ``validate`` function checks (for simulation
  points, :func:`theory.simulate.cases.check_records`: run count, run indices, seeds and every field).
  Anything else is recomputed, and the reason is reported (``stats``), never silently reused.

Layout of ``out_dir``::

    points/<id>.json   {"id": ..., "point": {...}, "records": [...]}
    records.json       [record, ...]   every record carries "point_id"
    records.csv        the same, one row per record, columns in first-seen order

Size: about 540 lines, one concept (the sweep's store, its checked resume and its executor loop);
most of it is docstrings and the checks that make a resume safe, which read best next to the store
they guard.
"""
from __future__ import annotations

import concurrent.futures as cf
import csv
import hashlib
import io
import json
import math
import os
import stat as _stat
import sys
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Callable

import numpy as np

from theory._io import atomic_write, json_default

from .common import SimulationInputError

__all__ = ["run_sweep", "point_seed", "point_id", "canonical_json", "load_records", "SweepError",
           "available_cores", "read_regular_file", "file_kind", "SerialExecutor", "run_tasks", "TaskBatch",
           "one_native_thread", "worker_pool"]

#: Largest saved point file that resume reads back (an internal limit: a simulation point with 100 000
#: runs is about 40 MB); a larger file is recomputed, not read.
MAX_POINT_FILE_BYTES = 256 * 2**20

POINTS_DIR = "points"
RECORDS_JSON = "records.json"
RECORDS_CSV = "records.csv"


class SweepError(RuntimeError):
    """A sweep point failed; the points finished before it are saved.

    Attributes
    ----------
    index : int
        Position of the failing point in ``points``.
    point : dict
        The failing point.
    point_id : str
        Its id.
    """

    def __init__(self, message, *, index, point, point_id):
        super().__init__(message)
        self.index = index
        self.point = point
        self.point_id = point_id


SweepError.__module__ = "theory.simulate"


def canonical_json(point: Mapping) -> str:
    """The canonical JSON text of a point: sorted keys, no spaces, ASCII, no NaN.

    Examples
    --------
    >>> canonical_json({"d": 50, "eta": 0.01, "rule": "online"})
    '{"d":50,"eta":0.01,"rule":"online"}'
    >>> canonical_json({"rule": "online", "eta": 0.01, "d": 50})
    '{"d":50,"eta":0.01,"rule":"online"}'
    """
    if not isinstance(point, Mapping):
        raise SimulationInputError(f"a sweep point must be a dict, got {point!r}")
    try:
        return json.dumps(point, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise SimulationInputError(f"sweep point {point!r} is not JSON-serialisable: {exc}") from None


def point_id(point: Mapping) -> str:
    """Stable id of a point: the first 16 hex digits of the SHA-256 of its canonical JSON.

    Examples
    --------
    >>> point_id({"d": 50, "eta": 0.01})
    '53ac50e4e4621636'
    """
    return hashlib.sha256(canonical_json(point).encode("ascii")).hexdigest()[:16]


def point_seed(point: Mapping) -> np.random.SeedSequence:
    """A SeedSequence whose entropy is the SHA-256 of the point's canonical JSON (256 bits).

    A point function seeds itself with this, so its records depend on the point alone.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.random.default_rng(point_seed({"d": 50, "seed": 0})).integers(1000)
    >>> b = np.random.default_rng(point_seed({"seed": 0, "d": 50})).integers(1000)
    >>> bool(a == b)
    True
    """
    digest = hashlib.sha256(canonical_json(point).encode("ascii")).digest()
    return np.random.SeedSequence(int.from_bytes(digest, "big"))


def _evaluate_point(point_fn, point, pid):
    """Worker side: run the point function and return JSON-normalised records tagged with the point id."""
    out = point_fn(dict(point))
    if isinstance(out, Mapping) or not hasattr(out, "__iter__"):
        raise TypeError(f"point_fn must return a list of dicts, got {type(out).__name__}")
    records = []
    for rec in out:
        if not isinstance(rec, Mapping):
            raise TypeError(f"point_fn must return a list of dicts, got an item of type {type(rec).__name__}")
        rec = dict(rec)
        if rec.setdefault("point_id", pid) != pid:
            raise ValueError(f"record field 'point_id' is reserved for the point id, got {rec['point_id']!r}")
        records.append({"point_id": pid, **rec})
    return _finite_or_none(json.loads(json.dumps(records, default=json_default)))


def _finite_or_none(obj):
    """Replace NaN and infinities by None, so that the saved files are standard JSON."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, list):
        return [_finite_or_none(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _finite_or_none(v) for k, v in obj.items()}
    return obj


class SerialExecutor(cf.Executor):
    """An executor that runs each submitted call at once, in the calling process (one worker).

    ``run_sweep(..., executor=SerialExecutor())`` is the one-worker sweep: no child process, so
    its wall time is the single-core baseline that a pool's speed-up is measured against.

    Examples
    --------
    >>> with SerialExecutor() as ex:
    ...     ex.submit(pow, 2, 10).result()
    1024
    """

    def submit(self, fn, /, *args, **kwargs):
        fut: cf.Future = cf.Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - delivered through the future, as a pool would
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            fut.set_exception(exc)
        return fut


def run_tasks(fn: Callable, args: list, executor: cf.Executor | None = None) -> list:
    """``[fn(*a) for a in args]``, on ``executor`` when one is given; results in the order of ``args``.

    For small numeric tasks that are not sweep points (nothing is saved): ``fn`` must be a picklable
    top-level function for a process pool.

    Examples
    --------
    >>> run_tasks(pow, [(2, 3), (3, 2)])
    [8, 9]
    """
    return TaskBatch(fn, args, executor).results()


class TaskBatch:
    """Tasks ``fn(*a)`` submitted now, their results collected later (in the order of ``args``).

    Submitting independent work before a sweep lets the executor's workers fill the sweep's tail
    with it instead of waiting for one another at the end of each phase. Without an executor the
    tasks run, in this process, when :meth:`results` is first called. :meth:`cancel` drops the
    tasks that have not started (for a run that stops early).

    Examples
    --------
    >>> batch = TaskBatch(pow, [(2, 3), (3, 2)], SerialExecutor())
    >>> batch.results(), batch.results()
    ([8, 9], [8, 9])
    """

    def __init__(self, fn: Callable, args: list, executor: cf.Executor | None = None):
        self.fn, self.args = fn, list(args)
        self._futures = None if executor is None else [executor.submit(fn, *a) for a in self.args]
        self._results: list | None = None

    def results(self) -> list:
        """The tasks' results (computed or waited for once)."""
        if self._results is None:
            if self._futures is None:
                self._results = [self.fn(*a) for a in self.args]
            else:
                self._results = [f.result() for f in self._futures]
        return self._results

    def cancel(self) -> None:
        """Cancel the tasks that have not started."""
        for f in self._futures or ():
            f.cancel()


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one).

    Examples
    --------
    >>> available_cores() >= 1
    True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - platforms without affinity masks
        return max(1, os.cpu_count() or 1)


def one_native_thread() -> None:
    """Run this process's native thread pools (OpenBLAS, MKL, OpenMP) with one thread each.

    One worker is one core: the numeric tasks' matrices are small, and a second BLAS thread
    gained no wall time on them while it spun on a core that another worker was using
    (measured on 2 cores: the diffusion means took 2.1 s wall and 4.0 s CPU with OpenBLAS's
    default of one thread per core, 2.1 s and 2.1 s with one thread; the default verification
    took 22.3 s and 19.9 s).  It is the initializer of every process pool :func:`worker_pool`
    makes, and the CLI's commands that compute call it for their own process.  Dask's workers
    start with one such thread already (its nanny sets ``OMP_NUM_THREADS=1`` and the like).

    Examples
    --------
    >>> from threadpoolctl import threadpool_info
    >>> one_native_thread()
    >>> {pool["num_threads"] for pool in threadpool_info()} <= {1}
    True
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


def worker_pool(workers: int) -> cf.ProcessPoolExecutor:
    """A process pool of ``workers`` processes, each with one native thread (:func:`one_native_thread`).

    Examples
    --------
    >>> with worker_pool(2) as pool:
    ...     pool.submit(pow, 2, 10).result()
    1024
    """
    return cf.ProcessPoolExecutor(max_workers=workers, initializer=one_native_thread)


def read_regular_file(path, limit: int, what: str) -> str:
    """Read a UTF-8 text file of at most ``limit`` bytes; refuse anything else with a reason.

    Raises :class:`OSError` subclasses for missing or unreadable files and :class:`ValueError`
    (with a message naming ``what`` and the path) for a directory, a device, a FIFO or a socket
    (reading those can block or never end), a file over ``limit`` bytes, or bytes that are not
    UTF-8.  The size is checked before reading and the read itself is bounded, so a file that
    grows (or a special file that reports size 0) cannot exhaust memory.

    Examples
    --------
    >>> read_regular_file("/dev/zero", 100, "input")
    Traceback (most recent call last):
    ...
    ValueError: input '/dev/zero' is not a regular file (a character device)
    """
    st = os.stat(path)
    if not _stat.S_ISREG(st.st_mode):
        raise ValueError(f"{what} {os.fspath(path)!r} is not a regular file ({file_kind(st.st_mode)})")
    if st.st_size > limit:
        raise ValueError(f"{what} {os.fspath(path)!r} is {_size(st.st_size)}, over the {_size(limit)} limit "
                         f"(checked before reading)")
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{what} {os.fspath(path)!r} is over the {_size(limit)} limit")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{what} {os.fspath(path)!r} is not UTF-8 text (byte {exc.start})") from None


def file_kind(mode) -> str:
    """What a non-regular file is, from its ``st_mode``: ``"a directory"``, ``"a FIFO"``...

    Examples
    --------
    >>> import stat
    >>> file_kind(stat.S_IFDIR)
    'a directory'
    """
    for test, name in ((_stat.S_ISDIR, "a directory"), (_stat.S_ISCHR, "a character device"),
                       (_stat.S_ISBLK, "a block device"), (_stat.S_ISFIFO, "a FIFO"),
                       (_stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def _size(n: int) -> str:
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("kB", 2**10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"


# Temporary aliases: theory/verify.py and theory/_cli_latex.py still import these private names from here
# (issue 10, H1/H3: they switch to theory._io.atomic_write and sweep.file_kind); remove once they do.


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, sort_keys=True)
    return value


#: Seconds between two rewrites of a running sweep's aggregates (the point files are written at once).
AGGREGATE_INTERVAL = 2.0


class _Store:
    """The on-disk state of one sweep: per-point files and the aggregates."""

    def __init__(self, out_dir, points, ids):
        self.root = Path(out_dir)
        self.pdir = self.root / POINTS_DIR
        self.pdir.mkdir(parents=True, exist_ok=True)
        self.points = points
        self.ids = ids
        self.records: dict[int, list] = {}
        self._json_cache: dict[int, str] = {}
        self._csv_cache: dict[int, tuple] = {}
        self._written_at = -math.inf
        self._stale = False

    def point_path(self, i) -> Path:
        return self.pdir / f"{self.ids[i]}.json"

    def load(self, i, validate=None) -> str | None:
        """Reuse the saved point ``i`` if it checks out; returns ``None`` (reused or absent) or why not.

        ``"absent"`` is returned when there is no saved file (nothing to report).
        """
        path = self.point_path(i)
        if not os.path.lexists(path):
            return "absent"
        try:
            text = read_regular_file(path, MAX_POINT_FILE_BYTES, "saved point")
            data = json.loads(text)
        except (OSError, ValueError, RecursionError) as exc:
            msg = str(getattr(exc, "strerror", None) or exc).replace(repr(str(path)), "").replace("saved point  ", "")
            if isinstance(exc, RecursionError):
                msg = "nested too deeply"
            return f"unreadable: {' '.join(msg.split())[:200]}"
        reason = _check_saved(data, self.ids[i], self.points[i])
        if reason is None and validate is not None:
            try:
                reason = validate(self.points[i], data["records"])
            except Exception as exc:  # a validator that trips over a malformed record rejects it
                reason = f"records fail the check ({type(exc).__name__}: {exc})"
        if reason is not None:
            return reason
        self.records[i] = data["records"]
        return None

    def save(self, i, records) -> None:
        # one record per line, each encoded by json's C encoder (``indent`` would select its pure-Python
        # encoder: 11 s of the parent's time in the default verification); the same text feeds records.json
        body = ",\n".join(json.dumps(rec, allow_nan=False) for rec in records)
        head = json.dumps({"id": self.ids[i], "point": self.points[i]}, allow_nan=False)[:-1]
        atomic_write(self.point_path(i), head + ', "records": [\n' + body + ("\n" if body else "") + "]}\n")
        self._json_cache[i] = body
        self.records[i] = records
        self._stale = True
        if time.monotonic() - self._written_at >= AGGREGATE_INTERVAL:
            self.write_aggregates()

    def flush(self) -> None:
        """Rewrite the aggregates if a point was saved since they were last written."""
        if self._stale:
            self.write_aggregates()

    def all_records(self) -> list:
        return [rec for i in sorted(self.records) for rec in self.records[i]]

    def write_aggregates(self) -> None:
        """Rewrite records.json and records.csv from the finished points, in point order.

        The text of each point's records is cached, so a rewrite costs about one write of the files.
        """
        order = sorted(self.records)
        columns: dict[str, None] = {}
        for i in order:
            for rec in self.records[i]:
                for key in rec:
                    columns.setdefault(key, None)
        header = tuple(columns)
        json_parts, csv_parts = [], []
        for i in order:
            if i not in self._json_cache:
                self._json_cache[i] = ",\n".join(json.dumps(rec, allow_nan=False) for rec in self.records[i])
            if self._json_cache[i]:
                json_parts.append(self._json_cache[i])
            cached = self._csv_cache.get(i)
            if cached is None or cached[0] != header:
                buf = io.StringIO()
                writer = csv.DictWriter(buf, fieldnames=list(header), restval="", lineterminator="\n")
                for rec in self.records[i]:
                    writer.writerow({k: _csv_cell(v) for k, v in rec.items()})
                cached = self._csv_cache[i] = (header, buf.getvalue())
            csv_parts.append(cached[1])
        atomic_write(self.root / RECORDS_JSON, "[\n" + ",\n".join(json_parts) + "\n]\n")
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow(header)
        atomic_write(self.root / RECORDS_CSV, buf.getvalue() + "".join(csv_parts))
        self._written_at, self._stale = time.monotonic(), False


def _check_saved(data, pid, point) -> str | None:
    """Generic checks of a saved point file: its shape, id, point and records (``None`` when sound)."""
    if not isinstance(data, dict):
        return f"not a JSON object (a {type(data).__name__})"
    if set(data) != {"id", "point", "records"}:
        return f"unexpected fields {sorted(set(data) ^ {'id', 'point', 'records'})}"
    if data["id"] != pid:
        return f"id {data['id']!r} is not the point's id {pid}"
    try:
        if canonical_json(data["point"]) != canonical_json(point):
            return "it holds a different point (configuration changed)"
    except SimulationInputError:
        return "its point is not a JSON object"
    records = data["records"]
    if not isinstance(records, list):
        return "records are not a list"
    for k, rec in enumerate(records):
        if not isinstance(rec, dict):
            return f"record {k} is not an object"
        if rec.get("point_id") != pid:
            return f"record {k} does not carry the point id"
    return None


def _terminate_pool(pool) -> None:
    """Stop a ProcessPoolExecutor we own at once (Ctrl-C): terminate its workers, drop queued work.

    Its futures are left to the pool (which cancels the queued ones and fails the rest as broken):
    cancelling them here as well trips CPython 3.11's pool manager (InvalidStateError on cancelled
    futures).
    """
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for p in procs:
        try:
            p.terminate()
        except Exception:  # pragma: no cover - a worker already gone
            pass
    pool.shutdown(wait=False, cancel_futures=True)


def run_sweep(
    points,
    point_fn: Callable[[dict], list],
    out_dir,
    *,
    executor: cf.Executor | None = None,
    resume: bool = False,
    progress: bool = True,
    validate: Callable[[dict, list], str | None] | None = None,
    stats: dict | None = None,
    cost: Callable[[dict], float] | None = None,
) -> list[dict]:
    """Evaluate ``point_fn`` on every point, in parallel, saving each point as it finishes.

    Parameters
    ----------
    points : sequence of dict
        JSON-serialisable parameter points, all distinct.
    point_fn : callable
        A picklable top-level function ``point_fn(point) -> list[dict]`` that seeds itself from the point
        (use :func:`point_seed`). Records may hold numpy scalars and arrays; they are stored as standard
        JSON, with NaN and infinities as ``None``.
    out_dir : str or path-like
        Folder for ``points/<id>.json``, ``records.json`` and ``records.csv`` (created if needed).
    executor : concurrent.futures.Executor, optional
        Where to run the points, e.g. ``dask.distributed.Client(...).get_executor()``. Default: a local
        ``ProcessPoolExecutor`` with one worker per available core (:func:`available_cores`), shut down
        at the end.
    resume : bool
        Skip points already saved under ``out_dir`` (the final records are the same as an uninterrupted
        run's). Without it every point is recomputed and its file overwritten. A saved point is reused
        only if it passes the checks listed in the module docstring and ``validate``.
    progress : bool
        Show a tqdm progress bar (on stderr).
    validate : callable, optional
        ``validate(point, records) -> None | str``: ``None`` accepts a saved point's records on resume,
        a string rejects them (the point is recomputed) and says why.
    stats : dict, optional
        Filled with ``reused`` (points taken from disk), ``computed`` (points evaluated) and
        ``rejected`` (a list of ``{"id", "reason"}`` for saved points that failed a check and were
        recomputed). Without it, a rejected point raises a warning instead.
    cost : callable, optional
        ``cost(point) -> float``, an estimate of a point's work: points are submitted costliest
        first, so the longest point does not start last and leave the other workers idle. The
        order of submission never changes a record (each point seeds itself).

    Returns
    -------
    list of dict
        The records of all points, in point order, each with a ``"point_id"`` field.

    Raises
    ------
    SweepError
        When a point function raises (or its worker is lost). Points that finished, including those
        running at the time, are saved first; the message names the point.
    SimulationInputError
        For points that are not dicts, not JSON-serialisable, or duplicated.

    Examples
    --------
    >>> import tempfile
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> def fn(point):
    ...     rng = np.random.default_rng(point_seed(point))
    ...     return [{"x": point["x"], "run": r, "draw": int(rng.integers(100))} for r in range(2)]
    >>> with tempfile.TemporaryDirectory() as out, ThreadPoolExecutor(2) as ex:
    ...     recs = run_sweep([{"x": 1}, {"x": 2}], fn, out, executor=ex, progress=False)
    ...     again = run_sweep([{"x": 1}, {"x": 2}], fn, out, executor=ex, progress=False, resume=True)
    >>> [(r["x"], r["run"]) for r in recs], recs == again
    ([(1, 0), (1, 1), (2, 0), (2, 1)], True)
    """
    points = list(points)
    canon = [canonical_json(p) for p in points]
    points = [json.loads(c) for c in canon]  # plain JSON data, as a worker and a reload will see it
    ids = [hashlib.sha256(c.encode("ascii")).hexdigest()[:16] for c in canon]
    seen: dict[str, int] = {}
    for i, pid in enumerate(ids):
        if pid in seen:
            raise SimulationInputError(f"points[{i}] duplicates points[{seen[pid]}]: {canon[i]}")
        seen[pid] = i
    if not callable(point_fn):
        raise SimulationInputError(f"point_fn must be callable, got {point_fn!r}")

    store = _Store(out_dir, points, ids)
    rejected = []
    if resume:
        for i in range(len(points)):
            reason = store.load(i, validate)
            if reason is not None and reason != "absent":
                rejected.append({"id": ids[i], "reason": reason})
                if stats is None:
                    warnings.warn(f"ignoring saved point {store.point_path(i)}: {reason}; it will be recomputed")
    pending = [i for i in range(len(points)) if i not in store.records]
    if cost is not None:
        pending.sort(key=lambda i: -float(cost(points[i])))
    if stats is not None:
        stats.update(reused=len(points) - len(pending), computed=len(pending), rejected=rejected)

    from tqdm import tqdm

    bar = tqdm(total=len(points), initial=len(points) - len(pending), disable=not progress,
               desc="sweep", unit="point", file=sys.stderr)
    try:
        if pending:
            _run_pending(store, pending, point_fn, executor, bar)
        store.write_aggregates()
    finally:
        try:
            store.flush()  # on the way out of an error or Ctrl-C too: the aggregates hold every saved point
        finally:
            bar.close()
    return store.all_records()


def _run_pending(store: _Store, pending, point_fn, executor, bar) -> None:
    own = executor is None
    pool = worker_pool(min(available_cores(), len(pending))) if own else executor
    futures: dict = {}
    clean_exit = False
    try:
        for i in pending:
            futures[pool.submit(_evaluate_point, point_fn, store.points[i], store.ids[i])] = i
        failures: list = []
        handled = set()
        for fut in cf.as_completed(futures):
            handled.add(fut)
            i = futures[fut]
            exc = fut.exception()
            if exc is not None:
                failures.append((i, exc))
                break
            store.save(i, fut.result())
            bar.update(1)
        if failures:
            # stop what has not started, keep what is running: save its results, then report
            for fut in futures:
                if fut not in handled:
                    fut.cancel()
            for fut in cf.as_completed([f for f in futures if f not in handled and not f.cancelled()]):
                i = futures[fut]
                try:
                    exc = fut.exception()
                except cf.CancelledError:
                    continue
                if exc is not None:
                    failures.append((i, exc))
                else:
                    store.save(i, fut.result())
                    bar.update(1)
            i, exc = failures[0]
            n_saved = len(store.records)
            more = f" ({len(failures) - 1} more point(s) failed too)" if len(failures) > 1 else ""
            raise SweepError(
                f"sweep point {i} (id {store.ids[i]}) failed with {type(exc).__name__}: {exc}{more}\n"
                f"  point: {canonical_json(store.points[i])}\n"
                f"  {n_saved} of {len(store.points)} points are saved under {store.root}; fix the cause and "
                f"rerun with resume=True to finish the sweep",
                index=i, point=store.points[i], point_id=store.ids[i],
            ) from exc
        clean_exit = True
    except SweepError:
        clean_exit = True
        raise
    finally:
        if not clean_exit:  # Ctrl-C, a failed save (full disk), ...: stop everything now
            if own:
                _terminate_pool(pool)
            else:
                for fut in futures:
                    fut.cancel()
        elif own:
            pool.shutdown(wait=True)


def load_records(out_dir) -> list[dict]:
    """The aggregate records saved by :func:`run_sweep` under ``out_dir``.

    Examples
    --------
    >>> import tempfile
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> def fn(point):
    ...     return [{"x": point["x"]}]
    >>> with tempfile.TemporaryDirectory() as out, ThreadPoolExecutor(1) as ex:
    ...     _ = run_sweep([{"x": 3}], fn, out, executor=ex, progress=False)
    ...     [r["x"] for r in load_records(out)]
    [3]
    """
    return json.loads((Path(out_dir) / RECORDS_JSON).read_text(encoding="utf-8"))
