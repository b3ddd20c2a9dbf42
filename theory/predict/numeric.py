"""The prediction at a finite ``d`` and ``eta``: coefficients, times, winner and step size (mpmath).

Role: evaluates a :class:`~theory.predict.Prediction`'s polynomials at ``(d, eta)`` in mpmath at
:data:`WORKING_DPS` digits (no overflow or underflow at any ``eta > 0``), with error bounds; a
decision (which index wins, which ``mu_i`` is positive) counts a value only when it exceeds its
bound.  Times beyond the double range are ``inf`` as floats.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import mpmath
import numpy as np
import sympy as sp

from theory._validate import as_real
from theory.errors import PredictionError
from theory.predict.curve import index_weight, monomial_terms, terms_of
from theory.predict.prediction import Prediction

__all__ = ["WORKING_DPS", "DEFAULT_KAPPA", "StepSize", "check_dimension", "term_evaluators", "as_mp",
           "numeric_bounds", "numeric_coefficients", "log_times", "finite_d_times", "winning_index", "theorem_time",
           "step_size", "check_eta", "negative_traps"]

#: Decimal digits of the finite-``d`` arithmetic.
WORKING_DPS = 30
_NUMERIC: dict = {}

#: Default fraction of the drift that the normalisation's shrinkage may cost at the start.
DEFAULT_KAPPA = 0.125


def check_dimension(d) -> int:
    """``d`` as an int; :class:`PredictionError` unless it is an integer ``>= 2`` (an integral float is accepted).

    Examples
    --------
    >>> check_dimension(100.0)
    100
    """
    if isinstance(d, bool) or int(d) != d or d < 2:
        raise PredictionError(f"d must be an integer >= 2, got {d}")
    return int(d)


class StepSize(NamedTuple):
    """The theorem's step size and the index that sets it (unpacks as ``gamma, index``)."""

    gamma: float
    index: int


def term_evaluators(prediction: Prediction):
    """Per prediction (cached), the terms as mpmath numbers: ``{i: [(e, f, mid, rad)]}`` and the same for ``E[psi^2]`` (or ``None``)."""
    key = id(prediction)
    hit = _NUMERIC.get(key)
    if hit is not None and hit[0] is prediction:
        return hit[1], hit[2]
    if len(_NUMERIC) > 256:
        _NUMERIC.clear()

    def convert(terms):
        out = []
        for e, f, v in terms:
            rad = v.rad if not v.is_exact else abs(v.mid) * mpmath.mpf(10) ** (-35)
            out.append((e, f, v.mid, rad))
        return out

    if prediction.drift is not None:
        mus = {i: convert(terms_of(t)) for i, t in prediction.drift.terms.items() if t}
    else:
        mus = {i: convert(monomial_terms(v)) for i, v in prediction.mu.items() if v != 0}
    m = prediction.moment
    if m is not None:
        psi2 = convert(terms_of(m.terms)) if m.finite else None
    else:
        psi2 = convert(monomial_terms(prediction.psi_second_moment)) if prediction.psi_second_moment_finite else None
    _NUMERIC[key] = (prediction, mus, psi2)
    return mus, psi2


def _polyval(terms, d, eta):
    """``(value, error bound)`` of ``sum c eta^e d^f`` at ``(d, eta)`` (mpmath, no overflow)."""
    value, error = mpmath.mpf(0), mpmath.mpf(0)
    for e, f, mid, rad in terms:
        mono = eta**e * d**f
        value += mid * mono
        error += rad * mono
    return value, error + abs(value) * mpmath.mpf(10) ** (3 - WORKING_DPS)


def as_mp(x):
    """``x`` (a number or an exact SymPy number) as an mpmath number at the working precision."""
    if isinstance(x, sp.Basic):
        x = sp.Float(sp.N(x, WORKING_DPS), WORKING_DPS)._to_mpmath(mpmath.mp.prec)
    return mpmath.mpf(x)


def numeric_bounds(prediction: Prediction, d, eta) -> tuple[dict, tuple | None]:
    """``({i: (mu_i, error)}, (E[psi^2], error) or None)`` at ``(d, eta)`` as mpmath numbers.

    ``None`` for ``E[psi^2]`` when it is infinite.  Computed in mpmath: no overflow or
    underflow for any ``eta > 0``.
    """
    mus, psi2 = term_evaluators(prediction)
    with mpmath.workdps(WORKING_DPS):
        d_, eta_ = as_mp(d), as_mp(eta)
        out = {i: _polyval(t, d_, eta_) for i, t in mus.items()}
        p2 = _polyval(psi2, d_, eta_) if psi2 is not None else None
    return out, p2


def numeric_coefficients(prediction: Prediction, d, eta) -> tuple[dict[int, float], float]:
    """``({i: mu_i}, E[psi^2])`` as floats at ``(d, eta)`` -- the numeric edge of the results.

    Floats outside the double range become ``0.0`` or ``inf``; ``E[psi^2]`` is ``inf`` when it
    is infinite.  :func:`numeric_bounds` gives the same with error bounds and no rounding to
    doubles.

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> from theory.predict import predict
    >>> numeric_coefficients(predict(make_rule("alternating", "h3", "h3")), 100, 0.01)
    ({2: 0.09, 3: 0.5, 4: 0.045, 6: 0.0008333333333333334}, 3.8649)
    """
    mus, p2 = numeric_bounds(prediction, d, eta)
    return {i: float(v) for i, (v, _e) in mus.items()}, (float(p2[0]) if p2 is not None else math.inf)


def log_times(prediction: Prediction, d, eta) -> dict[int, mpmath.mpf]:
    """Natural logs of ``mu_i^-2 d^((i-1) v 1)`` for every ``i`` with ``mu_i(d, eta)`` certified positive."""
    mus, _p2 = numeric_bounds(prediction, d, eta)
    with mpmath.workdps(WORKING_DPS):
        log_d = mpmath.log(as_mp(d))
        return {i: index_weight(i) * log_d - 2 * mpmath.log(v) for i, (v, err) in mus.items() if v > err}


def finite_d_times(prediction: Prediction, d, eta) -> dict[int, float]:
    """``mu_i(eta)^-2 d^((i-1) v 1)`` for every ``i`` with ``mu_i`` certified positive at this ``(d, eta)``.

    Numeric (floats; ``inf`` beyond the double range, see :func:`log_times`).
    """
    with mpmath.workdps(WORKING_DPS):
        return {i: float(mpmath.exp(v)) for i, v in log_times(prediction, d, eta).items()}


def winning_index(prediction: Prediction, d, eta) -> int:
    """The index minimising ``mu_i^-2 d^((i-1) v 1)`` at finite ``d`` and ``eta``."""
    times = log_times(prediction, d, eta)
    if not times:
        raise PredictionError(f"no mu_i is positive at d = {d}, eta = {eta}")
    return min(times, key=times.get)


def theorem_time(prediction: Prediction, d, eta) -> tuple[float, int]:
    """``min_i mu_i^-2 d^((i-1) v 1)`` over positive ``mu_i`` and its index (numeric, no constants;
    ``inf`` beyond the double range)."""
    times = log_times(prediction, d, eta)
    if not times:
        raise PredictionError(f"no mu_i is positive at d = {d}, eta = {eta}")
    i = min(times, key=times.get)
    with mpmath.workdps(WORKING_DPS):
        return float(mpmath.exp(times[i])), i


def step_size(prediction: Prediction, d, eta, kappa: float = DEFAULT_KAPPA) -> StepSize:
    """The theorem's step size at finite ``d`` and ``eta`` (numeric), and the index that sets it.

    ``gamma = kappa max_i [2 i! mu_i d^-((i/2) v 1)] / E[psi^2]`` over ``i`` with ``mu_i > 0``
    (certified): the theorem's scaling ``c mu_i d^-((i/2) v 1)`` with ``c = 2 i! kappa``, i.e.
    the step at which the normalisation's shrinkage of ``m`` at the start ``m = d^-1/2``
    (``gamma^2 d E[psi^2] m / 2``, docs/theory.md, section 7) is ``kappa`` times index ``i``'s drift
    (``gamma i! mu_i m^(i-1)``).  ``kappa <= 1`` is the range where drift beats shrinkage at
    the start.  The max over ``i`` keeps ``gamma`` continuous in ``eta``.

    Returns
    -------
    StepSize
        ``(gamma, index)``, a named tuple.

    Raises
    ------
    PredictionError
        When ``E[psi^2]`` is infinite (a student with a jump), when no ``mu_i`` is positive, or
        when ``gamma`` is outside the double range.

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> from theory.predict import predict
    >>> s = step_size(predict(make_rule("online", "h3", "h3")), 100, 0.0, kappa=0.125)
    >>> s.index, round(s.gamma / (0.125 * 2 * 6 * 0.5 * 100**-1.5 / 3), 12)
    (3, 1.0)
    """
    as_real(kappa, "kappa", lo=0, hi=64, lo_open=True, error=PredictionError)
    mus, p2 = numeric_bounds(prediction, d, eta)
    if p2 is None:
        reason = prediction.moment.reason if prediction.moment is not None else "E[psi^2] is infinite"
        raise PredictionError(f"no step size for {prediction.rule.label}: {reason}")
    with mpmath.workdps(WORKING_DPS):
        cands = {i: 2 * math.factorial(i) * v * mpmath.mpf(d) ** (-max(i / 2, 1)) for i, (v, err) in mus.items()
                 if v > err}
        if not cands:
            raise PredictionError(f"no mu_i is positive at d = {d}, eta = {eta}: the theorem gives no step size")
        i = max(cands, key=cands.get)
        if not p2[0] > p2[1]:
            raise PredictionError(f"E[psi^2] at d = {d}, eta = {eta} is not certified positive")
        gamma = kappa * cands[i] / p2[0]
    value = float(gamma)
    if not (0 < value < math.inf) or value < 1e-300:
        raise PredictionError(f"the step size gamma = {mpmath.nstr(gamma, 4)} at d = {d}, eta = {eta} is outside "
                              f"the double-precision range the simulators use")
    return StepSize(value, i)


def check_eta(rule_or_prediction, d, eta) -> None:
    """Raise :class:`PredictionError` when ``eta`` or ``d`` is outside the rule's valid range.

    ``eta`` must be a finite number ``> 0`` (any such double is handled: the finite-``d``
    numerics run in mpmath) and at most the rule's upper end (``eta <= 1`` alternating,
    ``eta d <= 1`` batch reuse).
    """
    rule = rule_or_prediction.rule if isinstance(rule_or_prediction, Prediction) else rule_or_prediction
    try:
        eta_f = float(eta)
    except (TypeError, ValueError, OverflowError):
        raise PredictionError(f"eta must be a number, got {eta!r}") from None
    if not math.isfinite(eta_f) or not eta_f > 0:
        raise PredictionError(f"eta must be a finite number > 0, got {eta}")
    check_dimension(d)
    lo, why = rule.eta_range
    if lo != -sp.oo and eta_f > float(d) ** (-float(lo)) * (1 + 1e-12):
        raise PredictionError(f"eta = {eta} is outside the valid range of the {rule.name} rule "
                              f"at d = {d} ({why}, i.e. eta <= {float(d) ** -float(lo):.6g})")


def negative_traps(prediction: Prediction, d, eta, m_thr: float = 0.5) -> list[float]:
    """Stable zeros of the population drift ``(1 - m^2) sum_i i! mu_i m^(i-1)`` in ``(-m_thr, 0)``.

    When an even index (here 2) wins while an odd one (3) is still present, the two pull in
    opposite directions for ``m < 0``: runs started in the wrong hemisphere drift to the zero
    ``m_c`` and stay there (numeric roots of the drift polynomial at this ``eta``).

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> from theory.predict import predict
    >>> # h3: 18 eta + 3 m + 108 eta m^2 + 60 eta m^4 = 0; at eta = 0.03 and m = -0.25 it is -0.0005
    >>> [round(m, 2) for m in negative_traps(predict(make_rule("alternating", "h3", "h3")), 100, 0.03)]
    [-0.25]
    """
    mu, _ = numeric_coefficients(prediction, d, eta)
    top = max(mu) if mu else 0
    coeffs = np.zeros(top + 2)  # low to high in m, of sum_i i! mu_i m^(i-1)
    for i, v in mu.items():
        coeffs[i - 1] += math.factorial(i) * v
    poly = np.polynomial.Polynomial(coeffs)
    out = []
    for r in poly.roots():
        if abs(r.imag) < 1e-12 and -m_thr < r.real < 0:
            x = r.real
            h = 1e-7 * max(1.0, abs(x))
            if poly(x - h) > 0 > poly(x + h):  # drift pushes towards x from both sides
                out.append(float(x))
    return sorted(out)
