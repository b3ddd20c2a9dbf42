"""Where the winning index changes at a finite ``d``, and the finite-``d`` report.

Role: the crossings ``mu_i^2 d^w_j = mu_j^2 d^w_i`` of the competing terms as ``eta`` grows
(exact algebraic roots when the coefficients are rational, else floats with a certified relative
error), the intervals where no ``mu_i`` is certified positive, and :func:`finite_d_report`, which
gathers them with the times and the step size at one ``eta`` (``predict --d --eta``).
"""
from __future__ import annotations

import math

import mpmath
import numpy as np
import sympy as sp

from theory.errors import PredictionError
from theory.predict.curve import index_weight, monomial_terms
from theory.predict.numeric import (DEFAULT_KAPPA, WORKING_DPS, check_dimension, check_eta, log_times,
                                    numeric_bounds, step_size, term_evaluators, winning_index)
from theory.predict.prediction import Prediction
from theory.symbols import ETA

__all__ = ["Crossing", "crossing_etas", "finite_d_report"]


class Crossing(tuple):
    """``(eta, index below, index above)``, with ``exact`` (bool) and ``relative_error`` (0 when exact).

    The index below wins just below ``eta``, the index above just above it.
    """

    def __new__(cls, eta, below, above, relative_error=0.0):
        obj = super().__new__(cls, (eta, below, above))
        obj.relative_error = float(relative_error)
        return obj

    @property
    def eta(self):
        return self[0]

    @property
    def below(self) -> int:
        return self[1]

    @property
    def above(self) -> int:
        return self[2]

    @property
    def exact(self) -> bool:
        return not isinstance(self[0], sp.Float)


def _eta_polynomial(terms, d_):
    """``{e: coefficient}`` of the Laurent polynomial in ``eta`` at fixed ``d`` (mpmath)."""
    out: dict = {}
    for e, f, mid, _rad in terms:
        out[e] = out.get(e, 0) + mid * d_**f
    return out


def _positive_roots(poly, lo, hi):
    """Real roots in ``[lo, hi]`` of a Laurent polynomial ``{e: c}`` in ``eta`` (mpmath numbers).

    Candidates from the companion matrix (numpy) of the polynomial in ``t = eta / sqrt(lo hi)``
    with normalised coefficients, then a few Newton steps at 30 digits on the original
    polynomial.  Near-real roots are kept: a spurious candidate only splits an interval, on
    which the winner is then evaluated.
    """
    if not poly:
        return []
    emin, emax = min(poly), max(poly)
    if emax == emin:
        return []
    s = mpmath.sqrt(lo * hi)
    scaled = [poly.get(e, 0) * s ** (e - emin) for e in range(emax, emin - 1, -1)]
    top = max(abs(c) for c in scaled)
    if top == 0:
        return []
    coeffs = [float(c / top) for c in scaled]
    while coeffs and coeffs[0] == 0:
        coeffs.pop(0)
    if len(coeffs) < 2:
        return []
    exps = sorted(poly)

    def f(x):
        return sum(poly[e] * x ** (e - emin) for e in exps)

    def df(x):
        return sum((e - emin) * poly[e] * x ** (e - emin - 1) for e in exps if e != emin)

    out = []
    for r in np.roots(coeffs):
        if not (abs(r.imag) <= 1e-6 * max(1.0, abs(r.real)) and r.real > 0):
            continue
        x = mpmath.mpf(float(r.real)) * s
        for _ in range(8):  # Newton refinement; keep the candidate if it does not converge
            slope = df(x)
            if slope == 0:
                break
            step = f(x) / slope
            if not abs(step) < x / 2:
                break
            x -= step
            if abs(step) <= abs(x) * mpmath.mpf(10) ** (4 - WORKING_DPS):
                break
        if lo <= x <= hi:
            out.append(x)
    return out


def _exact_root(prediction, i, j, d, approx):
    """The exact root of ``mu_i^2 d^w_j = mu_j^2 d^w_i`` nearest ``approx`` when the coefficients are
    rational, else ``None``."""
    if prediction.drift is not None and not all(v.is_exact for k in (i, j) for v in prediction.drift.terms[k].values()):
        return None
    eq = sp.expand(prediction.mu[i] ** 2 * d ** index_weight(j) - prediction.mu[j] ** 2 * d ** index_weight(i))
    if eq.free_symbols - {ETA}:
        return None
    terms = monomial_terms(eq)
    if not terms or not all(v.exact.is_Rational for _e, _f, v in terms):
        return None
    lowest = min(e for e, _f, _v in terms)
    poly = sp.Poly(sp.Add(*[v.exact * ETA ** (e - lowest) for e, _f, v in terms]), ETA)
    try:
        roots = poly.real_roots()
    except (sp.PolynomialError, NotImplementedError):
        return None
    best = min(roots, key=lambda r: abs(float(r) - float(approx)), default=None)
    if best is None or abs(float(best) - float(approx)) > 1e-9 * abs(float(approx)):
        return None
    return best


def _certified_bracket(prediction, i, j, d, root):
    """Smallest relative ``delta`` with the sign of ``log T_i - log T_j`` certified at ``root (1 -+ delta)``."""
    delta = 1e-12
    while delta < 1e-1:
        signs = []
        for eta in (root * (1 - delta), root * (1 + delta)):
            mus, _ = numeric_bounds(prediction, d, eta)
            (vi, ei), (vj, ej) = mus[i], mus[j]
            if not (vi > ei and vj > ej):
                break
            gap = (index_weight(i) - index_weight(j)) * mpmath.log(d) - 2 * (mpmath.log(vi) - mpmath.log(vj))
            err = 2 * (ei / vi + ej / vj) * (1 + mpmath.mpf(10) ** -6)
            signs.append(0 if abs(gap) <= err else (1 if gap > 0 else -1))
        if len(signs) == 2 and 0 not in signs and signs[0] != signs[1]:
            return delta
        delta *= 10
    return None


def _scan_range(prediction: Prediction, d, eta_min=None, eta_max=None) -> tuple[float, float]:
    a0 = float(prediction.alpha_min) if prediction.alpha_min != -sp.oo else 0.0
    lo = float(eta_min) if eta_min is not None else float(d) ** (-(a0 + 3))
    hi = float(eta_max) if eta_max is not None else float(d) ** (-a0)
    return lo, hi


def _winner_intervals(prediction: Prediction, d, eta_min=None, eta_max=None):
    """``(edges, winners, pair_roots)``: the winner (or ``None``) on each interval between
    consecutive candidate points (see :func:`crossing_etas`)."""
    d = check_dimension(d)
    lo, hi = _scan_range(prediction, d, eta_min, eta_max)
    mus, _ = term_evaluators(prediction)
    with mpmath.workdps(WORKING_DPS):
        d_ = mpmath.mpf(d)
        lo_, hi_ = mpmath.mpf(lo), mpmath.mpf(hi)
        polys = {i: _eta_polynomial(t, d_) for i, t in mus.items()}
        candidates = []
        for i in polys:
            candidates += _positive_roots(polys[i], lo_, hi_)
        keys = sorted(polys)
        for a, i in enumerate(keys):
            for j in keys[a + 1:]:
                # mu_i^2 d^w_j = mu_j^2 d^w_i with both mu positive: mu_i d^(w_j/2) = mu_j d^(w_i/2)
                si, sj = mpmath.sqrt(d_ ** index_weight(j)), mpmath.sqrt(d_ ** index_weight(i))
                eq = {e: polys[i].get(e, 0) * si - polys[j].get(e, 0) * sj for e in set(polys[i]) | set(polys[j])}
                candidates += [(r, i, j) for r in _positive_roots(eq, lo_, hi_)]
        points = sorted({(c[0] if isinstance(c, tuple) else c) for c in candidates})
        pair_roots = [c for c in candidates if isinstance(c, tuple)]
        edges = [lo_] + [p for p in points if lo_ < p < hi_] + [hi_]

    def winner(eta):
        try:
            return winning_index(prediction, d, eta)
        except PredictionError:
            return None

    winners = [winner(mpmath.sqrt(a * b)) for a, b in zip(edges[:-1], edges[1:])]
    return edges, winners, pair_roots


def crossing_etas(prediction: Prediction, d, eta_min=None, eta_max=None) -> list[Crossing]:
    """Learning rates where the finite-``d`` winning index changes, in increasing order.

    Every change of the winner happens where two terms are equal, ``mu_i^2 d^w_j = mu_j^2 d^w_i``
    (``w_i = (i-1) v 1``), so the candidates are the positive roots of these polynomials (and
    of each ``mu_i``) in ``[eta_min, eta_max]`` (default: ``d^-(alpha_min + 3)`` to
    ``d^-alpha_min``, ``alpha_min`` of the rule's valid range; ``d^-3`` to ``1`` when it has
    none); the winner is evaluated between consecutive candidates.  Returns
    :class:`Crossing` tuples ``(eta, index below, index above)``: exact algebraic ``eta`` when
    the coefficients are rational, else a float whose ``relative_error`` is certified from the
    coefficients' error bounds.

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> from theory.predict import predict
    >>> crossing_etas(predict(make_rule("alternating", "h3", "h3")), 50)
    [(sqrt(2)/180, 3, 2)]
    """
    edges, winners, pair_roots = _winner_intervals(prediction, d, eta_min, eta_max)
    d = int(d)
    mids = edges[:-1]
    out = []
    for k in range(len(mids) - 1):
        i, j = winners[k], winners[k + 1]
        if i is None or j is None or i == j:
            continue
        at = edges[k + 1]
        pair = (min(i, j), max(i, j))
        same = [r for r, a, b in pair_roots if (a, b) == pair and abs(r - at) <= abs(at) * mpmath.mpf(10) ** -15]
        root = same[0] if same else at
        exact = _exact_root(prediction, i, j, d, root)
        if exact is not None:
            out.append(Crossing(exact, i, j, 0.0))
        else:
            rel = _certified_bracket(prediction, i, j, d, root)
            out.append(Crossing(sp.Float(mpmath.nstr(root, 17), 17), i, j, rel if rel is not None else math.nan))
    return out


def _json_float(x) -> float | None:
    """A finite float, or ``None`` (beyond the double range)."""
    value = float(x)
    return value if math.isfinite(value) and (value != 0 or x == 0) else None


def _json_bound(x) -> float | None:
    """An error bound as a float rounded up (the smallest double when it underflows), ``None`` if it overflows."""
    value = float(x)
    if value == 0 and x > 0:
        return 5e-324
    return value * (1 + 1e-15) if math.isfinite(value) else None


def finite_d_report(prediction: Prediction, d, eta=None) -> dict:
    """Crossings of the competing terms at finite ``d`` and, given ``eta``, ``T_i`` and ``gamma`` (numeric).

    ``crossings`` run in increasing ``eta``: ``from_index`` wins just below ``eta``, ``to_index``
    just above.  With ``eta``: ``mu`` (values and error bounds at this point), ``theorem_T``
    (``null`` beyond the double range) with ``theorem_log10_T``, the winning index and the step
    size (``gamma`` is ``null`` with ``gamma_note`` when there is none).
    """
    check_dimension(d)
    out: dict = {"d": int(d)}
    lines = [f"at d = {d}:"]
    if not prediction.rule.eta_independent:
        lo, hi = _scan_range(prediction, d)
        crossings = crossing_etas(prediction, d)
        out["crossings_scanned"] = [lo, hi]
        out["crossings"] = [{"eta": str(c.eta), "eta_float": float(c.eta), "exact": c.exact,
                             "relative_error": None if math.isnan(c.relative_error) else c.relative_error,
                             "from_index": c.below, "to_index": c.above} for c in crossings]
        for c in crossings:
            i, j = c.below, c.above
            how = "" if c.exact else (f" (numeric, relative error <= {c.relative_error:.1g})"
                                      if not math.isnan(c.relative_error) else " (numeric, not certified)")
            lines.append(f"  mu_{i}^-2 d^{index_weight(i)} = mu_{j}^-2 d^{index_weight(j)} at eta = {c.eta} "
                         f"~ {float(c.eta):.4g}{how}: index {i} -> {j} as eta grows")
        if not crossings:
            lines.append(f"  no crossing for {lo:.3g} <= eta <= {hi:.3g}")
        gaps = _no_winner_intervals(prediction, d)
        out["no_positive_mu"] = [list(g) for g in gaps]
        for a, b in gaps:
            lines.append(f"  no mu_i is certified positive for {a:.4g} <= eta <= {b:.4g}: no recovery predicted there")
    if eta is not None:
        check_eta(prediction, d, eta)
        mus, _p2 = numeric_bounds(prediction, d, eta)
        logs = log_times(prediction, d, eta)
        win = min(logs, key=logs.get) if logs else None
        ln10 = math.log(10)
        times = {str(i): _json_float(mpmath.exp(v)) for i, v in logs.items()}
        log10 = {str(i): float(v) / ln10 for i, v in logs.items()}
        out.update({"eta": float(eta), "winning_index": win,
                    "mu": {str(i): {"value": _json_float(v), "error": _json_bound(e)} for i, (v, e) in mus.items()},
                    "theorem_T": times, "theorem_log10_T": log10, "kappa": DEFAULT_KAPPA})
        shown = ", ".join(f"{i}: {mpmath.nstr(mpmath.exp(v), 4)}" for i, v in sorted(logs.items()))
        if win is None:
            lines.append(f"  eta = {eta}: no mu_i is certified positive: the theorem predicts no recovery")
        else:
            lines.append(f"  eta = {eta}: index {win} wins; mu_i^-2 d^((i-1) v 1) = {shown}")
        try:
            gamma, gi = step_size(prediction, d, eta)
            out.update({"gamma": gamma, "gamma_index": gi, "gamma_note": ""})
            lines.append(f"  step size gamma = kappa max_i 2 i! mu_i d^-((i/2) v 1) / E[psi^2] = {gamma:.4g} "
                         f"(kappa = {DEFAULT_KAPPA}, set by index {gi})")
        except PredictionError as exc:
            out.update({"gamma": None, "gamma_index": None, "gamma_note": str(exc)})
            lines.append(f"  no step size: {exc}")
    out["text"] = "\n".join(lines)
    return out


def _no_winner_intervals(prediction: Prediction, d) -> list[tuple[float, float]]:
    """Maximal ``[a, b]`` in the scanned range where no ``mu_i`` is certified positive."""
    edges, winners, _ = _winner_intervals(prediction, d)
    out: list = []
    for k, w in enumerate(winners):
        if w is not None:
            continue
        a, b = float(edges[k]), float(edges[k + 1])
        if out and out[-1][1] == a:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out
