"""When a kept second layer (``--keep-a``) changes the escape of alternating SGD.

Role: the small prediction of docs/theory.md, section "Kept second layer" (derived in
``derivations/kept_second_layer.py``).  With the correlation loss the second layer multiplies only
the correlational part of ``psi = a y sigma' + eta y^2 sigma sigma'``, so ``mu_i`` is linear in
``a``; a kept layer walks, ``a_{t+1} = a_t + eta y sigma(z)``, with mean increment
``eta E[y sigma(z)] = eta sum_k k! m^k u_k(sigma_*) u_k(sigma)`` (``O(m^p)``: negligible on the
plateau) and variance ``eta^2 E[y^2] E[sigma^2]`` per step at ``m = 0``.  Three regimes follow, at
the verifier's step size ``gamma`` (fixed from the ``a = 1`` prediction):

``"coincide"``
    the winning index is correlational and the walk's spread over the reset escape time,
    ``x = eta sqrt(T V)``, is small (``x < 1/2``): ``|a_t - a_0| << 1`` throughout;
``"correlational"``
    the same index with ``x >= 1/2``: the kept chain is the reset chain with a random step
    ``gamma |a_t|`` (exactly so as ``eta -> 0``);
``"non-correlational"``
    the winning index does not scale with ``a`` (index 2 of ``h3``): the kept walk grows to
    ``|a| ~ eta sqrt(t V)`` and the correlational index overtakes the winner after
    :func:`crossover_steps` steps.

In the last two regimes the fixed ``gamma`` meets a growing ``|a|``: the shrinkage of the
normalisation grows like ``a^2`` and the kept drift like ``|a|``, so their ratio ``kappa_eff`` grows
with the walk (:attr:`KeptLayerOutlook.kappa_at_crossover`, :attr:`KeptLayerOutlook.kappa_at_reset`).
Numbers are floats (estimates, not proofs); which regime applies depends on constants, and
docs/theory.md, section 12 gives the measured ratios ``T_keep / T_reset``.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import sympy as sp

from theory.drift import drift_coefficients, label_moments, psi_second_moment
from theory.errors import PredictionError
from theory.hermite import gaussian_expectation
from theory.predict.numeric import DEFAULT_KAPPA, check_eta, numeric_coefficients, step_size
from theory.predict.prediction import predict
from theory.symbols import A, ETA

__all__ = ["KeptLayerOutlook", "walk_variance", "crossover_steps", "kept_layer_outlook"]

#: Spread ``x = eta sqrt(T V)`` below which a kept layer is predicted not to matter.
COINCIDE_SPREAD = 0.5


class KeptLayerOutlook(NamedTuple):
    """What :func:`kept_layer_outlook` predicts at one ``(d, eta)`` (floats are estimates).

    Attributes
    ----------
    regime : str
        ``"coincide"``, ``"correlational"`` or ``"non-correlational"`` (module docstring).
    index : int
        The index that sets the step size (the winner at ``a = 1``).
    plateau_steps : float
        Escape time of that index at the verifier's ``gamma`` from ``m = d^-1/2`` (drift only).
    spread : float
        ``x = eta sqrt(plateau_steps V)``: the kept walk's spread over the reset escape.
    crossover_steps : float
        Steps after which ``|a_t| ~ eta sqrt(t V)`` makes the correlational index's drift equal the
        winner's at ``m = d^-1/2`` (``inf`` when the winner is correlational).
    kappa_at_crossover : float
        Shrinkage over drift of the kept correlational term at that time (``kappa_eff``; above 1
        the fixed ``gamma`` is too large for it); ``nan`` when there is no crossover.
    kappa_at_reset : float
        The same ratio when ``|a|`` has its r.m.s. value ``sqrt(a_0^2 + spread^2)`` of the end of
        the reset escape.  Measured (docs/theory.md, section 12): kept runs were faster wherever it
        was at most 1.3 and mostly stuck where it was about 4.
    """

    regime: str
    index: int
    plateau_steps: float
    spread: float
    crossover_steps: float
    kappa_at_crossover: float
    kappa_at_reset: float


def walk_variance(rule) -> sp.Expr:
    """``E[y^2] E[sigma^2]``: the variance of ``(a_{t+1} - a_t) / eta`` at ``m = 0``, exact.

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> walk_variance(make_rule("alternating", "h3", keep_a=True))
    1
    >>> walk_variance(make_rule("alternating", "He3", keep_a=True))
    36
    """
    return sp.nsimplify(label_moments(rule, 2)[2] * gaussian_expectation(sp.expand(rule.student.expr ** 2)))


def crossover_steps(winner_slope, correlational_slope, variance, d=1, gap=1):
    """``t`` with ``c_p eta sqrt(t V) m^(p-1) = c_j eta m^(j-1)`` at ``m = d^-1/2``.

    ``winner_slope`` is ``c_j = j! mu_j / eta`` (the winner, independent of ``a``),
    ``correlational_slope`` is ``c_p = p! mu_p / a``, ``variance`` is ``V`` and ``gap = p - j``:
    ``t = (c_j / c_p)^2 d^gap / V``.  Exact for exact arguments.

    Examples
    --------
    >>> crossover_steps(18, 3, 1)        # h3: 36 steps per unit of d
    36
    >>> crossover_steps(18, 3, 1, d=200)
    7200
    """
    return sp.nsimplify(winner_slope) ** 2 / sp.nsimplify(correlational_slope) ** 2 \
        * sp.nsimplify(d) ** gap / sp.nsimplify(variance)


def _plateau(i: int, gamma: float, drift: float, d: int, m_thr: float) -> float:
    """Escape time of ``dm/dt = gamma drift m^(i-1)`` from ``m = d^-1/2`` to ``m_thr``."""
    m0 = d ** -0.5
    rate = gamma * drift
    if i == 1:
        return (m_thr - m0) / rate
    if i == 2:
        return math.log(m_thr / m0) / rate
    return (m0 ** (2 - i) - m_thr ** (2 - i)) / ((i - 2) * rate)


def kept_layer_outlook(rule, d, eta, kappa: float = DEFAULT_KAPPA, m_thr: float = 0.5) -> KeptLayerOutlook:
    """The regime of a kept second layer at ``(d, eta)``, with the numbers that decide it.

    Parameters
    ----------
    rule : Rule
        Alternating SGD with the correlation loss (``keep_a`` either way; ``a`` is the start).
    d : int
    eta : float
    kappa : float
        The verifier's step-size constant (docs/theory.md, section 7).
    m_thr : float
        Weak-recovery threshold.

    Returns
    -------
    KeptLayerOutlook

    Raises
    ------
    PredictionError
        For another rule or loss, or ``eta`` outside the rule's range.

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> r = make_rule("alternating", "h3", keep_a=True)
    >>> o = kept_layer_outlook(r, 200, 0.0005)
    >>> o.regime, o.index, round(o.spread, 2)
    ('coincide', 3, 0.11)
    >>> kept_layer_outlook(r, 200, 0.005).regime
    'correlational'
    >>> o = kept_layer_outlook(r, 800, 1.0)
    >>> o.regime, o.index, o.crossover_steps, round(o.kappa_at_crossover, 2), round(o.kappa_at_reset, 1)
    ('non-correlational', 2, 28800.0, 1.37, 3.5)
    """
    if rule.name != "alternating" or rule.loss != "correlation":
        raise PredictionError(f"kept_layer_outlook needs alternating SGD with the correlation loss, got {rule.label}")
    check_eta(rule, d, eta)
    reset = type(rule).build(rule.target, rule.student, rule.a, {"loss": "correlation", "keep_a": False})
    prediction = predict(reset)
    gamma, index = step_size(prediction, d, eta, kappa)
    mus, _moment = numeric_coefficients(prediction, d, eta)
    a0 = float(rule.a)
    plateau = _plateau(index, gamma, math.factorial(index) * mus[index], d, m_thr)
    variance = float(walk_variance(rule))
    spread = float(eta) * math.sqrt(plateau * variance)
    symbolic = drift_coefficients(reset, max(mus), symbolic_a=True)
    slope = {i: sp.diff(v, A) for i, v in symbolic.items()}
    psi2 = psi_second_moment(reset, symbolic_a=True).subs(ETA, float(eta))
    m0 = d ** -0.5

    def kappa_eff(p, a):
        """Shrinkage ``gamma^2 d E[psi^2](a) m0 / 2`` over index ``p``'s drift ``gamma p! mu_p m0^(p-1)``."""
        drift = math.factorial(p) * float(slope[p]) * abs(a) * m0 ** (p - 1)
        return gamma * d * float(psi2.subs(A, a)) * m0 / 2 / drift

    a_end = math.hypot(a0, spread)
    if slope[index] != 0:
        regime = "coincide" if spread < COINCIDE_SPREAD * max(abs(a0), 1.0) else "correlational"
        return KeptLayerOutlook(regime, index, plateau, spread, math.inf, math.nan, kappa_eff(index, a_end))
    corr = [i for i in sorted(slope) if slope[i] != 0 and i > index]
    if not corr:
        return KeptLayerOutlook("non-correlational", index, plateau, spread, math.inf, math.nan, math.nan)
    p = corr[0]
    c_j = math.factorial(index) * float(sp.diff(symbolic[index], ETA))
    c_p = math.factorial(p) * float(slope[p])
    t_x = float(crossover_steps(c_j, c_p, variance, d, p - index))
    a_x = float(eta) * math.sqrt(t_x * variance)
    return KeptLayerOutlook("non-correlational", index, plateau, spread, t_x, kappa_eff(p, a_x), kappa_eff(p, a_end))
