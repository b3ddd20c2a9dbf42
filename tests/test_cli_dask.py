"""``verify --dask-scheduler ADDRESS``: the same records on a dask cluster as in a local run.

The test starts a ``LocalCluster`` (real worker processes listening on TCP). It passes the
cluster's address on the command line, and compares every record file with those of a local
run of the same configuration.
"""

from __future__ import annotations

import filecmp
import os
import subprocess
import sys

import pytest

distributed = pytest.importorskip("distributed")

ARGS = ["verify", "--quick", "--d", "25", "50", "100", "--runs", "16", "--no-progress"]


def _verify(*extra):
    return subprocess.run([sys.executable, "-m", "theory", *ARGS, *extra], capture_output=True, text=True,
                          timeout=900)


def test_verify_on_a_dask_cluster_gives_the_local_records(tmp_path):
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        remote = _verify("--dask-scheduler", cluster.scheduler_address, "--out", str(tmp_path / "dask"))
    local = _verify("--workers", "1", "--out", str(tmp_path / "local"))
    assert local.returncode in (0, 1) and remote.returncode == local.returncode, remote.stderr[-2000:]
    strip = [line for line in local.stdout.splitlines() if not line.startswith(("plot:", "records:"))]
    assert [line for line in remote.stdout.splitlines() if not line.startswith(("plot:", "records:"))] == strip
    files = sorted(p.relative_to(tmp_path / "local") for p in (tmp_path / "local").rglob("*")
                   if p.is_file() and p.suffix in (".json", ".csv") and p.name != "report.json")
    assert len(files) > 10
    for rel in files:
        assert filecmp.cmp(tmp_path / "local" / rel, tmp_path / "dask" / rel, shallow=False), rel


def test_an_unreachable_scheduler_is_one_line_exit_2():
    out = _verify("--dask-scheduler", "tcp://127.0.0.1:9", "--out", os.devnull + "-nowhere")
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "--dask-scheduler" in out.stderr, out.stderr
