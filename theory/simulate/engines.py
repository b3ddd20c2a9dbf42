"""Public entry points of the simulators: :func:`simulate` and :func:`one_step_increments`.

Two engines run the same Markov chain (docs/theory.md, sections 1, 4 and 8):

``"full"``
    the reference: ``d``-dimensional first layers, one fresh ``x ~ N(0, I_d)`` per step (``full.py``);
``"reduced"``
    the exact overlap chain ``(m, a)``, O(1) work per step whatever ``d`` (``reduced.py``).

They are equal in law (``tests/test_simulate.py`` checks it with two-sample tests); they do not share
sample paths. Both take the training algorithm as a :class:`StepModel`, whose kernel maps
``(y, z, q, a)`` to ``(psi, a_next)``.
"""
from __future__ import annotations

import numpy as np

from theory._validate import as_real

from .common import (
    DEFAULT_START,
    Progress,
    SimulationInputError,
    SimulationResult,
    StepModel,
    as_seed_sequence,
    check_bool,
    check_engine,
    check_int,
    check_model,
    check_positive,
    check_start,
    check_threshold,
    child_sequence,
)
from .full import full_increments, run_full
from .kernels import step_model
from .reduced import reduced_increments, run_reduced

__all__ = ["StepModel", "SimulationResult", "SimulationInputError", "simulate", "one_step_increments",
           "RUN_CHUNK"]

#: Runs whose random streams are created and simulated together.  Each run holds two generators
#: (about 2 kB), so streams are made chunk by chunk: memory stays bounded whatever ``runs`` is, and
#: because every run consumes only its own streams, the chunk size never changes a run's numbers.
RUN_CHUNK = 4096


def simulate(
    model: StepModel,
    d: int,
    gamma: float,
    *,
    runs: int,
    seed,
    engine: str = "reduced",
    m_thr: float = 0.5,
    signed: bool = False,
    max_steps: int = 200_000,
    start: str = DEFAULT_START,
    null: bool = False,
    progress: bool = False,
    eta: float | None = None,
) -> SimulationResult:
    """Run independent SGD runs until weak recovery and return their hitting times.

    Parameters
    ----------
    model : StepModel or theory.rules.Rule
        Link, kernel, label noise and initial second layer; a :class:`~theory.rules.Rule` is
        turned into its step model at ``eta`` (:func:`theory.simulate.kernels.step_model`).
    d : int
        Dimension, ``>= 2``.
    gamma : float
        First-layer step size, ``> 0``.
    runs : int
        Number of independent runs, ``>= 1``.
    seed : int or numpy.random.SeedSequence
        Run ``i`` uses the ``i``-th spawned child of this seed (the caller's SeedSequence is not
        mutated), so the same seed gives identical results, and a run's outcome does not depend on
        how many other runs are simulated with it.
    engine : {"reduced", "full"}
        Exact overlap chain (fast) or the ``d``-dimensional reference.
    m_thr : float
        Weak-recovery threshold in ``(0, 1)``: a run stops when ``|m| >= m_thr``.
    signed : bool
        Stop at ``m >= m_thr`` instead (recovery of ``+theta`` only).
    max_steps : int
        Runs that have not hit after this many steps are censored.
    start : {"positive", "uniform", "fixed"}
        Where each run starts (default ``"positive"``):

        * ``"positive"`` -- ``w`` uniform on the hemisphere of ``theta`` (the uniform law conditioned
          on ``m0 > 0``), where the theorem's runs live. This is the default, and what ``verify``
          uses, because of a finding of docs/theory.md (section "Findings", *a trap at negative
          overlap*): for alternating SGD with an odd link, indices 2 and 3 pull in opposite
          directions for ``m < 0`` and the drift has a stable zero near ``m_c = -2 mu_2 / (3! mu_3)``;
          runs started in the wrong hemisphere stall there (at ``d = 200`` a quarter of uniform-start
          runs had not recovered after 10^6 steps, against a median of 1.5e5).
        * ``"uniform"`` -- ``w`` uniform on the sphere, ``m0`` of either sign (the algorithm's own
          random initialisation; up to the sign, the same ``|m0|`` law as ``"positive"``).
        * ``"fixed"`` -- ``m0 = d^{-1/2}`` exactly, the rest of ``w`` uniform.
    null : bool
        Null control: the label is computed from an independent standard normal instead of
        ``<x, theta>``, so it carries no signal.
    progress : bool
        Show a progress bar on stderr (runs finished, step reached) once the simulation has taken
        more than three seconds.
    eta : float, optional
        The rule's learning rate, required when ``model`` is a ``Rule`` (and refused otherwise).

    Returns
    -------
    SimulationResult

    Raises
    ------
    SimulationInputError
        If an input is invalid; the message names it.

    Examples
    --------
    Online SGD, correlation loss, ``sigma = sigma_* = He_3`` (``psi = a y sigma'(z)``):

    >>> import numpy as np
    >>> he3 = lambda u: u**3 - 3*u
    >>> model = StepModel(target=he3, kernel=lambda y, z, q, a: (a*y*(3*z**2 - 3), a), name="online")
    >>> res = simulate(model, 20, 0.002, runs=50, seed=1)
    >>> res.hits + res.censored + res.diverged == res.runs == 50
    True
    >>> res.hitting_times.dtype, res.median is not None
    (dtype('int64'), True)
    >>> again = simulate(model, 20, 0.002, runs=50, seed=1)
    >>> bool(np.array_equal(res.hitting_times, again.hitting_times))
    True

    A rule runs directly, at its learning rate ``eta``:

    >>> from theory.rules import make_rule
    >>> simulate(make_rule("online", "He3"), 20, 0.002, eta=0.0, runs=50, seed=1).hits == res.hits
    True
    >>> simulate(model, 1, 0.002, runs=5, seed=1)
    Traceback (most recent call last):
    ...
    theory.simulate.SimulationInputError: d must be an integer >= 2, got 1
    """
    from theory.rules import Rule

    if isinstance(model, Rule):
        if eta is None:
            raise SimulationInputError("simulating a Rule needs its learning rate: pass eta=...")
        model = step_model(model, as_real(eta, "eta", lo=0, error=SimulationInputError), d)
    elif eta is not None:
        raise SimulationInputError("eta applies only when model is a Rule (a StepModel already has its eta)")
    model = check_model(model)
    d = check_int("d", d, 2)
    gamma = check_positive("gamma", gamma)
    runs = check_int("runs", runs, 1)
    max_steps = check_int("max_steps", max_steps, 1)
    m_thr = check_threshold(m_thr)
    engine = check_engine(engine)
    start = check_start(start)
    signed = check_bool("signed", signed)
    null = check_bool("null", null)
    root = as_seed_sequence(seed)
    progress = check_bool("progress", progress)

    runner = run_reduced if engine == "reduced" else run_full
    bar = Progress(runs, max_steps, enabled=progress)
    parts = []
    try:
        for lo in range(0, runs, RUN_CHUNK):  # streams made per chunk: bounded memory, same numbers
            run_seqs = [child_sequence(root, i) for i in range(lo, min(runs, lo + RUN_CHUNK))]
            parts.append(runner(model, d, gamma, run_seqs, m_thr=m_thr, signed=signed, max_steps=max_steps,
                                start=start, null=null, progress=bar))
    finally:
        bar.close()
    out = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    return SimulationResult.from_runs(
        **out,
        gamma=gamma,
        d=d,
        runs=runs,
        engine=engine,
        seed=seed,
        m_thr=m_thr,
        signed=signed,
        max_steps=max_steps,
        start=start,
        null=null,
        model_name=str(getattr(model, "name", "")),
        noise=float(model.noise),
        a0=float(model.a0),
    )


def one_step_increments(
    model: StepModel,
    d: int,
    gamma: float,
    m: float,
    *,
    samples: int,
    seed,
    engine: str = "full",
    a: float | None = None,
    null: bool = False,
) -> np.ndarray:
    """Samples of the one-step change ``m' - m`` from a fixed overlap ``m``.

    Each sample is one step on a fresh input from ``w = m theta + sqrt(1 - m^2) v``; their mean estimates
    the drift ``E[m' - m | m]`` (docs/theory.md, sections 4 and 7), with standard error ``std / sqrt(samples)``.

    Parameters
    ----------
    model : StepModel
    d : int
        Dimension, ``>= 2``.
    gamma : float
        Step size, ``> 0``.
    m : float
        Overlap in ``[-1, 1]``.
    samples : int
        Number of independent one-step samples, ``>= 1``.
    seed : int or numpy.random.SeedSequence
    engine : {"full", "reduced"}
        ``"full"`` draws ``x`` in ``d`` dimensions; ``"reduced"`` uses the exact overlap map.
    a : float, optional
        Second-layer value before the step (default ``model.a0``).
    null : bool
        Labels from an independent input (no signal).

    Returns
    -------
    numpy.ndarray of float64, shape (samples,)

    Examples
    --------
    >>> import numpy as np
    >>> he3 = lambda u: u**3 - 3*u
    >>> model = StepModel(target=he3, kernel=lambda y, z, q, a: (a*y*(3*z**2 - 3), a))
    >>> inc = one_step_increments(model, 10, 1e-3, 0.3, samples=20_000, seed=0)
    >>> inc.shape, bool(inc.mean() > 0)
    ((20000,), True)
    """
    model = check_model(model)
    d = check_int("d", d, 2)
    gamma = check_positive("gamma", gamma)
    samples = check_int("samples", samples, 1)
    engine = check_engine(engine)
    null = check_bool("null", null)
    try:
        m = float(m)
    except (TypeError, ValueError):
        raise SimulationInputError(f"m must be a number in [-1, 1], got {m!r}") from None
    if not -1.0 <= m <= 1.0:
        raise SimulationInputError(f"m must be a number in [-1, 1], got {m!r}")
    a = model.a0 if a is None else a
    try:
        a = float(a)
    except (TypeError, ValueError):
        raise SimulationInputError(f"a must be a finite number, got {a!r}") from None
    if not np.isfinite(a):
        raise SimulationInputError(f"a must be a finite number, got {a!r}")
    ss = as_seed_sequence(seed)
    fn = full_increments if engine == "full" else reduced_increments
    return fn(model, d, gamma, m, a, ss, samples, null=null)
