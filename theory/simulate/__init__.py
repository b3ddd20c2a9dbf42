"""Simulation layer: exact simulators of SGD on Gaussian single-index models, and parallel sweeps.

* :class:`StepModel` -- a training algorithm as a kernel ``(y, z, q, a) -> (psi, a_next)``;
* :func:`simulate` -- hitting times of weak recovery, with the ``"full"`` ``d``-dimensional reference
  engine or the ``"reduced"`` exact overlap chain (O(1) per step, equal in law);
* :func:`one_step_increments` -- samples of ``m' - m`` at a fixed overlap, for drift checks;
* :func:`run_sweep` -- a resumable, deterministic, parallel sweep over parameter points;
* :func:`step_budget` -- the steps a run is given, from the theorem's time (used by ``verify``).

Modules: ``common`` (step model, result, checks, streams, step budget), ``step`` (the exact overlap
step and its hit/divergence tests, written once), ``events`` (a block's events), ``kernels`` (SymPy
to numpy and numba: the one code-generation layer), ``reduced`` and ``full`` (the engines),
``engines`` (the entry points), ``cases`` (rule descriptions to step models), ``sweep``.

Examples
--------
>>> from theory.simulate import StepModel, simulate
>>> model = StepModel(target=lambda u: u**3 - 3*u, kernel=lambda y, z, q, a: (a*y*(3*z**2 - 3), a))
>>> simulate(model, 12, 0.003, runs=20, seed=0).runs
20
"""
from .common import DEFAULT_START, SimulationInputError, SimulationResult, StepModel, step_budget
from .engines import one_step_increments, simulate
from .sweep import SweepError, canonical_json, load_records, point_id, point_seed, run_sweep

__all__ = [
    "StepModel",
    "SimulationResult",
    "SimulationInputError",
    "simulate",
    "one_step_increments",
    "run_sweep",
    "point_seed",
    "point_id",
    "canonical_json",
    "load_records",
    "SweepError",
    "step_budget",
    "DEFAULT_START",
]
