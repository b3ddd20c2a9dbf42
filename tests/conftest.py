"""Test policy: every test pins a mathematical property or cross-checks two independent
code paths (exact SymPy value vs deterministic quadrature vs Monte Carlo with a tolerance
derived from its standard error).  No test asserts a value the code merely echoes."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_cli(*args, timeout=600):
    """Run ``python -m theory ARGS`` in a subprocess; returns CompletedProcess."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
               MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "theory", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT)


@pytest.fixture
def cli():
    return run_cli
