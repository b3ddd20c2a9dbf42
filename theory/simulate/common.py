"""Shared pieces of the simulation engines: the step model, the result, input checks, random streams,
progress and the step budget.

Conventions used by both engines (``full.py`` and ``reduced.py``):

* the hidden direction is ``theta = e_1``, so the overlap is ``m = <w, theta> = w[0]``;
* one step consumes one fresh sample ``x ~ N(0, I_d)`` with label ``y = target(<x, theta>) + noise * N(0, 1)``;
* with ``z = <w, x>`` and ``q = ||x||^2 - z^2`` the kernel returns ``(psi, a_next)`` and the first layer moves
  to ``normalise(w + gamma * psi * (x - z w))``;
* the hitting time is the number of steps after which ``|m| >= m_thr`` (``m >= m_thr`` when signed) holds
  for the first time; ``0`` if the start already satisfies it;
* a run *diverges* at the first step where ``psi``, ``a`` or ``m`` is not finite or the normalisation
  ``||w + gamma psi (x - z w)||`` overflows; a step that diverges is never counted as a hit.

Random streams: run ``i`` of a simulation seeded with ``seed`` uses the ``i``-th child of
``SeedSequence(seed)`` (the one ``SeedSequence.spawn`` would give, computed without mutating the caller's
object), and two PCG64 streams on that child's own children ``j = 0, 1``: stream 0 gives the normals
(first those of the start, then one fixed-size record per step), stream 1 the other variates (the
reduced engine's chi-square draws, the full engine's label-noise and null inputs). Each stream is
consumed strictly sequentially, so the block and chunk sizes an engine picks at run time never change
the numbers a step sees.
"""
from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from theory._validate import as_int, as_real
from theory.display import RichDisplay
from theory.errors import TheoryInputError

__all__ = [
    "StepModel",
    "SimulationInputError",
    "SimulationResult",
    "STATUS_HIT",
    "STATUS_CENSORED",
    "STATUS_DIVERGED",
    "Progress",
    "NO_PROGRESS",
    "STARTS",
    "DEFAULT_START",
    "step_budget",
    "check_int",
    "check_positive",
    "check_choice",
    "check_bool",
    "check_model",
    "check_threshold",
    "check_engine",
    "check_start",
    "as_seed_sequence",
    "child_sequence",
    "generator",
    "STREAM_STEP",
    "STREAM_EXTRA",
    "label_columns",
    "as_float_array",
]

STATUS_HIT = "hit"
STATUS_CENSORED = "censored"
STATUS_DIVERGED = "diverged"

ENGINES = ("reduced", "full")
#: The starts of a run: ``w`` uniform on the sphere; the same law conditioned on ``m0 > 0``; or
#: ``m0 = d^{-1/2}`` exactly (see :func:`theory.simulate.simulate`).
STARTS = ("uniform", "positive", "fixed")
#: The documented default start of :func:`theory.simulate.simulate` (and of ``verify``).
DEFAULT_START = "positive"


class SimulationInputError(TheoryInputError):
    """A simulation input is invalid; the message names the input.

    Examples
    --------
    >>> issubclass(SimulationInputError, ValueError)
    True
    """


SimulationInputError.__module__ = "theory.simulate"  # shown in tracebacks under its public name


@dataclass(frozen=True)
class StepModel:
    """One training algorithm, seen as a spherical step per fresh sample.

    Parameters
    ----------
    target : callable
        The link ``sigma_*``: maps a float64 array ``u`` to ``sigma_*(u)`` elementwise.
    kernel : callable
        ``kernel(y, z, q, a) -> (psi, a_next)``, vectorised and broadcasting, where ``y`` is the label,
        ``z = <w, x>``, ``q = ||x||^2 - z^2`` and ``a`` the current second layer. The first layer then
        moves to ``normalise(w + gamma * psi * (x - z w))`` and the second layer becomes ``a_next``.
    noise : float, optional
        Standard deviation ``s`` of the label noise, ``y = target(u) + s * N(0, 1)``. Default 0.
    a0 : float, optional
        Initial second-layer value. Default 1.
    name : str, optional
        A label carried into results.
    compiled : CompiledKernel or None, optional
        The same step as a numba-compiled scalar kernel (:mod:`theory.simulate.kernels`). When
        given, the reduced engine runs its compiled per-run loop; ``None`` (the default, and what a
        hand-written kernel has) runs the vectorised numpy path. The two give the same hitting times.

    Examples
    --------
    Online SGD with correlation loss for ``sigma = sigma_* = He_3``:

    >>> import numpy as np
    >>> he3 = lambda u: u**3 - 3*u
    >>> online = StepModel(target=he3, kernel=lambda y, z, q, a: (a*y*(3*z**2 - 3), a), name="online")
    >>> psi, a = online.kernel(np.array([1.0]), np.array([2.0]), np.array([5.0]), 1.0)
    >>> float(psi[0]), a
    (9.0, 1.0)
    """

    target: Callable[[np.ndarray], np.ndarray]
    kernel: Callable[..., tuple]
    noise: float = 0.0
    a0: float = 1.0
    name: str = ""
    compiled: Any = None


@dataclass(frozen=True, eq=False)
class SimulationResult(RichDisplay):
    """Outcome of :func:`theory.simulate.simulate`: one entry per run.

    Attributes
    ----------
    hitting_times : numpy.ndarray of int64
        Steps until weak recovery; ``-1`` where the run was censored or diverged.
    status : numpy.ndarray of str
        ``"hit"``, ``"censored"`` or ``"diverged"`` per run.
    steps : numpy.ndarray of int64
        Steps each run actually took (hitting time, ``max_steps``, or the step at which it diverged).
    final_m : numpy.ndarray of float64
        Overlap at the stopping step (may be NaN for a diverged run).
    hits, censored, diverged : int
        Counts of the three outcomes.
    median : float or None
        Median hitting time over *all* runs, censored and diverged runs counted as ``+inf``; ``None``
        when that median is not finite (at least half the runs did not hit).
    mean : float or None
        Mean hitting time over the runs that hit; ``None`` if none did.
    gamma, d, runs, engine, seed, m_thr, signed, max_steps, start, null, model_name, noise, a0
        The inputs.
    """

    hitting_times: np.ndarray
    status: np.ndarray
    steps: np.ndarray
    final_m: np.ndarray
    hits: int
    censored: int
    diverged: int
    median: float | None
    mean: float | None
    gamma: float
    d: int
    runs: int
    engine: str
    seed: Any
    m_thr: float
    signed: bool
    max_steps: int
    start: str
    null: bool
    model_name: str = ""
    noise: float = 0.0
    a0: float = 1.0
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_runs(cls, *, hitting_times, status, steps, final_m, **inputs) -> "SimulationResult":
        """Build a result from per-run arrays, computing the counts and summaries."""
        ht = np.asarray(hitting_times, dtype=np.int64)
        st = np.asarray(status, dtype="<U8")
        hit_mask = st == STATUS_HIT
        as_inf = np.where(hit_mask, ht.astype(np.float64), np.inf)
        median = float(np.median(as_inf)) if as_inf.size else None
        if median is not None and not math.isfinite(median):
            median = None
        mean = float(ht[hit_mask].mean()) if hit_mask.any() else None
        return cls(
            hitting_times=ht,
            status=st,
            steps=np.asarray(steps, dtype=np.int64),
            final_m=np.asarray(final_m, dtype=np.float64),
            hits=int(hit_mask.sum()),
            censored=int((st == STATUS_CENSORED).sum()),
            diverged=int((st == STATUS_DIVERGED).sum()),
            median=median,
            mean=mean,
            **inputs,
        )

    @property
    def hit_fraction(self) -> float:
        """Fraction of runs that reached weak recovery."""
        return self.hits / self.runs if self.runs else 0.0

    @property
    def total_steps(self) -> int:
        """Run-steps simulated, summed over runs."""
        return int(self.steps.sum())

    def to_dict(self) -> dict:
        """JSON-friendly dictionary: lists, ints, floats; ``None`` for a run's hitting time when it did
        not hit (instead of ``-1``), for a NaN overlap and for an undefined median or mean.

        Examples
        --------
        >>> import json
        >>> from theory.simulate import StepModel, simulate
        >>> model = StepModel(target=lambda u: u**3 - 3*u, kernel=lambda y, z, q, a: (a*y*(3*z**2 - 3), a))
        >>> res = simulate(model, 10, 1e-3, runs=3, seed=0, max_steps=50)
        >>> sorted(json.loads(json.dumps(res.to_dict())))[:4]
        ['a0', 'censored', 'd', 'diverged']
        """
        return {
            "model_name": self.model_name,
            "engine": self.engine,
            "d": int(self.d),
            "gamma": float(self.gamma),
            "runs": int(self.runs),
            "seed": _seed_to_json(self.seed),
            "m_thr": float(self.m_thr),
            "signed": bool(self.signed),
            "max_steps": int(self.max_steps),
            "start": self.start,
            "null": bool(self.null),
            "noise": float(self.noise),
            "a0": float(self.a0),
            "hits": self.hits,
            "censored": self.censored,
            "diverged": self.diverged,
            "median": self.median,
            "mean": self.mean,
            "hitting_times": [int(t) if st == STATUS_HIT else None for t, st in zip(self.hitting_times, self.status)],
            "status": [str(s) for s in self.status],
            "steps": [int(t) for t in self.steps],
            "final_m": [float(v) if math.isfinite(v) else None for v in self.final_m],
        }


def _seed_to_json(seed):
    if isinstance(seed, np.random.SeedSequence):
        return {"entropy": seed.entropy, "spawn_key": list(seed.spawn_key)}
    return seed


# ----------------------------------------------------------------------------------------------- checks
def check_int(name: str, value, minimum: int) -> int:
    """Return ``value`` as an int if it is an integer ``>= minimum``, else raise SimulationInputError."""
    return as_int(value, name, lo=minimum, error=SimulationInputError)


def check_positive(name: str, value) -> float:
    """Return ``value`` as a float if it is a finite number ``> 0``, else raise SimulationInputError."""
    return as_real(value, name, lo=0, lo_open=True, error=SimulationInputError)


def check_choice(name: str, value, choices) -> str:
    """Return ``value`` if it is one of ``choices``, else raise SimulationInputError."""
    if not isinstance(value, str) or value not in choices:
        raise SimulationInputError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


def check_bool(name: str, value) -> bool:
    """Return ``value`` if it is a bool, else raise SimulationInputError."""
    if not isinstance(value, (bool, np.bool_)):
        raise SimulationInputError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_model(model) -> StepModel:
    """Check that ``model`` looks like a :class:`StepModel` with sane numbers."""
    for attr in ("target", "kernel"):
        if not callable(getattr(model, attr, None)):
            raise SimulationInputError(f"model.{attr} must be callable, got {getattr(model, attr, None)!r}")
    as_real(getattr(model, "noise", 0.0), "model.noise", lo=0, error=SimulationInputError)
    as_real(getattr(model, "a0", 1.0), "model.a0", error=SimulationInputError)
    compiled = getattr(model, "compiled", None)
    if compiled is not None and not callable(getattr(compiled, "function", None)):
        raise SimulationInputError(f"model.compiled must be a CompiledKernel or None, got {compiled!r}")
    return model


def check_threshold(m_thr) -> float:
    """Weak-recovery threshold in the open interval (0, 1)."""
    return as_real(m_thr, "m_thr", lo=0, hi=1, lo_open=True, hi_open=True, error=SimulationInputError)


def check_engine(engine) -> str:
    """One of :data:`ENGINES`."""
    return check_choice("engine", engine, ENGINES)


def check_start(start) -> str:
    """One of :data:`STARTS`."""
    return check_choice("start", start, STARTS)


def as_seed_sequence(seed) -> np.random.SeedSequence:
    """A SeedSequence from an int ``>= 0`` or a SeedSequence (returned unchanged, never spawned from)."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    try:
        return np.random.SeedSequence(as_int(seed, "seed", lo=0, error=SimulationInputError))
    except SimulationInputError:
        raise SimulationInputError(f"seed must be a non-negative int or a numpy.random.SeedSequence, "
                                   f"got {seed!r}") from None


def child_sequence(ss: np.random.SeedSequence, *path: int) -> np.random.SeedSequence:
    """The descendant of ``ss`` reached by ``spawn`` indices ``path``, without mutating ``ss``.

    ``child_sequence(ss, i)`` equals ``SeedSequence(ss.entropy).spawn(i + 1)[i]`` for a fresh ``ss``.
    """
    return np.random.SeedSequence(
        entropy=ss.entropy, spawn_key=tuple(ss.spawn_key) + tuple(path), pool_size=ss.pool_size
    )


def generator(ss: np.random.SeedSequence, *path: int) -> np.random.Generator:
    """A PCG64 Generator on the descendant ``path`` of ``ss``."""
    return np.random.Generator(np.random.PCG64(child_sequence(ss, *path)))


# streams of one run: child (run, j)
STREAM_STEP = 0
STREAM_EXTRA = 1


def label_columns(model: StepModel, null: bool) -> tuple[bool, bool]:
    """Which extra per-step variates are drawn: (label noise, independent null input)."""
    return bool(model.noise > 0), bool(null)


def as_float_array(value, shape) -> np.ndarray:
    """``value`` as a float64 array broadcast to ``shape`` (read-only view when broadcasting)."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != shape:
        arr = np.broadcast_to(arr, shape)
    return arr


class Progress:
    """Progress of one simulation on stderr: runs finished so far and the step the runs in flight reached.

    A tqdm bar that appears only after ``delay`` seconds (short simulations print nothing); the
    engines call :meth:`runs_done` when runs stop and :meth:`at_step` as the active runs advance.
    ``Progress(runs, max_steps, enabled=False)`` is a no-op.

    Examples
    --------
    >>> p = Progress(10, 100, enabled=False)
    >>> p.runs_done(3); p.at_step(50); p.close()
    """

    def __init__(self, runs: int, max_steps: int, *, enabled: bool = True, delay: float = 3.0,
                 desc: str = "simulate"):
        self.enabled = bool(enabled)
        self.max_steps = int(max_steps)
        self._bar = None
        self._last = 0.0
        if self.enabled:
            from tqdm import tqdm

            self._bar = tqdm(total=int(runs), unit="run", desc=desc, file=sys.stderr, delay=delay,
                             mininterval=0.5)

    def runs_done(self, k) -> None:
        """``k`` more runs have stopped (hit, censored or diverged)."""
        if self._bar is not None and k:
            self._bar.update(int(k))

    def at_step(self, t) -> None:
        """The runs in flight have taken ``t`` steps (shown at most twice a second)."""
        if self._bar is None:
            return
        now = time.monotonic()
        if now - self._last >= 0.5:
            self._last = now
            self._bar.set_postfix_str(f"step {int(t):,} of at most {self.max_steps:,}", refresh=False)
            self._bar.update(0)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


NO_PROGRESS = Progress(0, 0, enabled=False)




#: Steps a run always gets on top of its budget (short runs are not cut by rounding).
STEP_BUDGET_FLOOR = 1000
#: The step-size constant at which the budget equals ``factor`` times the theorem's time.
REFERENCE_KAPPA = 0.125


def step_budget(theorem_time: float, psi2: float, kappa: float, *, factor: float, log_factor: float = 1.0) -> float:
    """The step budget of a run: ``factor`` times the theorem's time, with its ``E[psi^2]`` cost.

    ``factor * psi2 * theorem_time * log_factor / (kappa / REFERENCE_KAPPA) + STEP_BUDGET_FLOOR``: a run
    with step size ``kappa`` times the theorem's needs time inversely proportional to ``kappa``, and
    ``log_factor`` is the ``log d`` of the index-2 case (docs/theory.md). Callers cap it and take
    ``int``.

    Parameters
    ----------
    theorem_time : float
        The theorem's hitting time at ``(d, eta)``, per unit ``E[psi^2]``.
    psi2 : float
        ``E[psi^2]`` at ``(d, eta)``.
    kappa : float
        Step-size constant of the runs.
    factor : float
        Margin over the theorem's time.
    log_factor : float, optional
        Extra factor (``log d`` when the leading index is 2). Default 1.

    Returns
    -------
    float

    Examples
    --------
    >>> step_budget(100.0, 2.0, 0.125, factor=30.0)
    7000.0
    """
    return factor * psi2 * theorem_time * log_factor / (kappa / REFERENCE_KAPPA) + STEP_BUDGET_FLOOR
