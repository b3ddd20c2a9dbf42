"""The main theorem's predictions: exponent curves, thresholds, regimes, step sizes.

THEORY.md section 6: with ``gamma`` in the theorem's range, the number of iterations to
weak recovery is

    T(eta) = min over i with mu_i(eta) > 0 of  mu_i(eta)^(-2) d^((i-1) v 1),

up to log factors.  With ``eta = d^(-alpha)`` each ``mu_i`` is a polynomial in ``eta, d``
whose terms ``c eta^e d^f`` scale as ``d^(f - alpha e)``; for large ``d`` the dominant term
decides both the size and the **sign** of ``mu_i``.  Hence

    e(alpha) = log_d T = min over i with dominant coefficient > 0 of
               (i-1) v 1  -  2 max_terms (f - alpha e),

a piecewise-linear function with rational breakpoints, computed here exactly.  An index
whose dominant term is negative cannot win there; :attr:`Prediction.sign_notes` says where
that happens.  The *refined* curve adds ``log_d E[psi^2]`` (THEORY.md section 7: the
normalisation cost the step size must pay when ``psi``'s non-correlational part is large).

Thresholds are listed in the direction of increasing learning rate (decreasing
``alpha``): ``from_index`` wins just above the threshold's ``alpha`` (smaller ``eta``),
``to_index`` just below it (larger ``eta``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import math

import sympy as sp

from theory.drift import drift_coefficients, psi_second_moment
from theory.errors import PredictionError
from theory.exponents import information_exponent
from theory.rules import D, ETA, Rule

__all__ = ["Piece", "Threshold", "Prediction", "predict", "finite_d_times", "winning_index",
           "crossing_etas", "step_size", "theorem_time", "index_weight", "check_eta", "finite_d_report",
           "DEFAULT_KAPPA", "numeric_coefficients", "negative_traps"]

ALPHA = sp.Symbol("alpha", real=True)


def index_weight(i: int) -> int:
    """``(i - 1) v 1``: the power of ``d`` in the theorem's ``T`` for index ``i``."""
    return max(i - 1, 1)


@dataclass(frozen=True)
class Piece:
    """On ``alpha_min <= alpha <= alpha_max``: ``e(alpha) = slope*alpha + intercept``, won by ``index``."""

    alpha_min: sp.Expr
    alpha_max: sp.Expr | None
    index: int
    regime: str
    slope: sp.Expr
    intercept: sp.Expr

    def to_dict(self) -> dict:
        return {"alpha_min": str(self.alpha_min), "alpha_max": None if self.alpha_max is None else str(self.alpha_max),
                "index": self.index, "regime": self.regime, "slope": str(self.slope),
                "intercept": str(self.intercept)}

    def describe(self) -> str:
        hi = "oo" if self.alpha_max is None else str(self.alpha_max)
        return (f"{self.alpha_min} <= alpha <= {hi}: e(alpha) = {_linear(self.slope, self.intercept)}"
                f"  (index {self.index}, {self.regime})")


@dataclass(frozen=True)
class Threshold:
    alpha: sp.Expr
    from_index: int
    to_index: int
    at_boundary: bool = False

    def to_dict(self) -> dict:
        return {"alpha": str(self.alpha), "from_index": self.from_index, "to_index": self.to_index,
                "at_boundary": self.at_boundary}


def _linear(slope, intercept) -> str:
    if slope == 0:
        return str(intercept)
    s = "alpha" if slope == 1 else f"{slope}*alpha"
    if intercept == 0:
        return s
    return f"{s} + {intercept}" if intercept > 0 else f"{s} - {-intercept}"


@dataclass(frozen=True)
class Prediction:
    """Exact predictions of the theorem for one rule."""

    rule: Rule
    mu: dict
    psi_second_moment: sp.Expr
    alpha_min: sp.Expr
    pieces: tuple[Piece, ...]
    thresholds: tuple[Threshold, ...]
    refined_pieces: tuple[Piece, ...]
    information_exponent: int | None
    smallest_index: int | None
    sign_notes: tuple[str, ...] = field(default=())

    def exponent(self, alpha) -> sp.Expr:
        """``e(alpha) = log_d T`` (exact)."""
        return _evaluate(self.pieces, sp.nsimplify(alpha))

    def refined_exponent(self, alpha) -> sp.Expr:
        return _evaluate(self.refined_pieces, sp.nsimplify(alpha))

    @property
    def small_lr_exponent(self):
        last = self.pieces[-1] if self.pieces else None
        return last.intercept if last is not None and last.slope == 0 else None

    @property
    def large_lr_exponent(self):
        if not self.pieces:
            return None
        first = self.pieces[0]
        if self.alpha_min == -sp.oo:
            return first.intercept if first.slope == 0 else None
        return first.slope * self.alpha_min + first.intercept

    def to_dict(self) -> dict:
        r = self.rule
        return {
            "rule": r.name, "loss": r.loss, "target": r.target.name, "student": r.student.name,
            "noise": float(r.target.noise), "a": str(r.a), "order": r.order, "keep_a": r.keep_a,
            "psi": str(r.psi), "psi_label_free": str(r.label_free),
            "mu": {str(i): str(v) for i, v in self.mu.items()},
            "psi_second_moment": str(self.psi_second_moment),
            "alpha_min": str(self.alpha_min),
            "pieces": [p.to_dict() for p in self.pieces],
            "thresholds": [t.to_dict() for t in self.thresholds],
            "refined_pieces": [p.to_dict() for p in self.refined_pieces],
            "small_lr_exponent": None if self.small_lr_exponent is None else str(self.small_lr_exponent),
            "large_lr_exponent": None if self.large_lr_exponent is None else str(self.large_lr_exponent),
            "information_exponent": self.information_exponent,
            "smallest_index": self.smallest_index,
            "sign_notes": list(self.sign_notes),
            "conventions": "eta = d^(-alpha); e(alpha) = log_d T; thresholds listed from small eta to large eta",
        }

    def table(self) -> str:
        r = self.rule
        lo, why = r.eta_range
        lines = [r.label, f"psi_eta(y, z) = {r.psi}"]
        if r.label_free != 0:
            lines.append(f"label-free part (no drift, adds noise) = {r.label_free}")
        lines += ["", "drift coefficients mu_i(eta)   [mu_i = E[psi He_i(a) He_{i-1}(b)] / (i! (i-1)!)]"]
        lines += [f"  mu_{i} = {v}" for i, v in self.mu.items() if v != 0]
        zero = [str(i) for i, v in self.mu.items() if v == 0]
        if zero:
            lines.append(f"  (mu_i = 0 for i = {', '.join(zero)})")
        lines += ["", f"E[psi^2] at m = 0: {self.psi_second_moment}", "",
                  f"predicted sample complexity T = d^e(alpha), eta = d^-alpha, valid for alpha >= {lo} ({why}):"]
        lines += ["  " + p.describe() for p in self.pieces]
        if self.thresholds:
            lines.append("thresholds (as eta grows):")
            for t in self.thresholds:
                extra = " (at the edge of the valid range)" if t.at_boundary else ""
                lines.append(f"  alpha = {t.alpha}  (eta = d^-{t.alpha}): index {t.from_index} -> {t.to_index}{extra}")
        else:
            lines.append("no threshold: the same index wins for every learning rate")
        lines.append(f"small-eta exponent: {self.small_lr_exponent}    large-eta exponent: {self.large_lr_exponent}")
        if [p.describe() for p in self.refined_pieces] != [p.describe() for p in self.pieces]:
            lines.append("refined (keeping E[psi^2]):")
            lines += ["  " + p.describe() for p in self.refined_pieces]
        lines += ["note: " + n for n in self.sign_notes]
        return "\n".join(lines)

    def __str__(self):
        return self.table()


def _terms(expr: sp.Expr) -> list[tuple[int, int, sp.Expr]]:
    """``[(e, f, c)]`` with ``expr = sum c eta^e d^f``."""
    expr = sp.expand(expr)
    if expr == 0:
        return []
    extra = expr.free_symbols - {ETA, D}
    if extra:
        raise PredictionError(f"mu depends on {sorted(map(str, extra))}; substitute numbers first")
    poly = sp.Poly(expr, ETA, D)
    return [(int(e), int(f), c) for (e, f), c in zip(poly.monoms(), poly.coeffs())]


def _dominant(terms, alpha) -> tuple[sp.Expr, sp.Expr]:
    """(exponent of d, summed coefficient of the dominant terms) at a given alpha."""
    best = max(f - alpha * e for e, f, _c in terms)
    coeff = sum(c for e, f, c in terms if f - alpha * e == best)
    return best, coeff


def _evaluate(pieces, alpha):
    for p in pieces:
        if alpha >= p.alpha_min and (p.alpha_max is None or alpha <= p.alpha_max):
            return p.slope * alpha + p.intercept
    raise PredictionError(f"alpha = {alpha} is outside the rule's valid range")


def _breakpoints(lines, alpha_lo) -> list[sp.Expr]:
    points = set()
    for i, (s1, b1) in enumerate(lines):
        for s2, b2 in lines[i + 1:]:
            if s1 != s2:
                x = sp.Rational(b2 - b1, 1) / (s1 - s2)
                if alpha_lo == -sp.oo or x > alpha_lo:
                    points.add(x)
    return sorted(points)


def _winner(term_lists, alpha, extra=None):
    """(index, exponent line (slope, intercept)) winning at a generic alpha, or None."""
    best = None
    for i, terms in term_lists.items():
        _b, coeff = _dominant(terms, alpha)
        if not coeff > 0:
            continue
        e, f, _c = max(terms, key=lambda t: t[1] - alpha * t[0])
        slope, intercept = sp.Integer(2 * e), sp.Integer(index_weight(i) - 2 * f)
        if extra is not None:
            es, fs, _ = max(extra, key=lambda t: t[1] - alpha * t[0])
            if fs - alpha * es > 0:
                slope, intercept = slope - es, intercept + fs
        value = slope * alpha + intercept
        if best is None or value < best[2]:
            best = (i, (slope, intercept), value)
    return best


def _pieces(term_lists, alpha_lo, regime_of, extra=None):
    lines = []
    for i, terms in term_lists.items():
        lines += [(sp.Integer(2 * e), sp.Integer(index_weight(i) - 2 * f)) for e, f, _c in terms]
    if extra:
        lines += [(sp.Integer(-e), sp.Integer(f)) for e, f, _c in extra] + [(sp.Integer(0), sp.Integer(0))]
    points = _breakpoints(lines, alpha_lo)
    edges = ([alpha_lo] if alpha_lo != -sp.oo else [None]) + points + [None]
    pieces: list[Piece] = []
    for left, right in zip(edges[:-1], edges[1:]):
        if left is None and right is None:
            mid = sp.Integer(0)
        elif left is None:
            mid = right - 1
        elif right is None:
            mid = left + 1
        else:
            mid = (left + right) / 2
        win = _winner(term_lists, mid, extra)
        if win is None:
            continue
        i, (slope, intercept), _v = win
        lo = -sp.oo if left is None else left
        if pieces and pieces[-1].index == i and pieces[-1].slope == slope and pieces[-1].intercept == intercept \
                and pieces[-1].alpha_max == lo:
            prev = pieces[-1]
            pieces[-1] = Piece(prev.alpha_min, right, i, prev.regime, slope, intercept)
        else:
            pieces.append(Piece(lo, right, i, regime_of(i), slope, intercept))
    return pieces


def predict(rule: Rule, imax: int = 8) -> Prediction:
    """Exact exponent curve, thresholds and regimes for ``rule``.

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> p = predict(make_rule("alternating", "He3", "He3"))
    >>> [(t.alpha, t.from_index, t.to_index) for t in p.thresholds]
    [(1/2, 3, 2)]
    >>> p.exponent(sp.Rational(1, 4)), p.exponent(1)
    (3/2, 2)
    """
    mu = drift_coefficients(rule, imax)
    term_lists = {i: _terms(v) for i, v in mu.items() if v != 0}
    alpha_lo, _why = rule.eta_range
    ie = information_exponent(rule.target, max(imax, 10)).value
    psi2 = psi_second_moment(rule)
    extra = _terms(psi2)

    def provisional(i):
        return ""

    raw = _pieces(term_lists, alpha_lo, provisional)
    # boundary: indices that tie at alpha_lo (e.g. batch reuse reaching index 1 at eta d = 1)
    boundary_tie = []
    if alpha_lo != -sp.oo and raw:
        first_value = raw[0].slope * alpha_lo + raw[0].intercept
        for i, terms in term_lists.items():
            b, coeff = _dominant(terms, alpha_lo)
            if coeff > 0 and index_weight(i) - 2 * b == first_value and i != raw[0].index:
                boundary_tie.append(i)
    winners = {p.index for p in raw} | set(boundary_tie)
    smallest = min(winners) if winners else None

    def regime_of(i):
        if i == ie:
            return "information-exponent regime"
        if i == smallest:
            return "generative regime"
        return "intermediate regime"

    pieces = tuple(Piece(p.alpha_min, p.alpha_max, p.index, regime_of(p.index), p.slope, p.intercept) for p in raw)
    refined = tuple(_pieces(term_lists, alpha_lo, regime_of, extra))
    thresholds = []
    for left, right in zip(pieces[:-1], pieces[1:]):
        if left.index != right.index:
            thresholds.append(Threshold(right.alpha_min, right.index, left.index))
    for i in sorted(boundary_tie):
        if pieces and i < pieces[0].index:
            thresholds.append(Threshold(alpha_lo, pieces[0].index, i, at_boundary=True))
    thresholds.sort(key=lambda t: -t.alpha)
    notes = _sign_notes(term_lists, alpha_lo)
    return Prediction(rule, mu, psi2, alpha_lo, pieces, tuple(thresholds), refined, ie, smallest, tuple(notes))


def _sign_notes(term_lists, alpha_lo) -> list[str]:
    notes = []
    for i, terms in term_lists.items():
        lines = [(sp.Integer(2 * e), sp.Integer(-2 * f)) for e, f, _c in terms]
        points = _breakpoints(lines, alpha_lo)
        probes = points + ([alpha_lo] if alpha_lo != -sp.oo else [])
        probes += [(a + b) / 2 for a, b in zip(points[:-1], points[1:])]
        probes += [(points[-1] + 1) if points else (alpha_lo + 1 if alpha_lo != -sp.oo else 0)]
        if points and alpha_lo == -sp.oo:
            probes.append(points[0] - 1)
        bad = sorted({p for p in probes if not _dominant(terms, p)[1] > 0})
        if bad:
            where = ", ".join(str(b) for b in bad[:4])
            notes.append(f"mu_{i} has a non-positive leading term at alpha = {where}: index {i} cannot win there")
    return notes


# ---------------------------------------------------------------------------
# finite d
# ---------------------------------------------------------------------------
_NUMERIC: dict = {}


def numeric_coefficients(prediction: Prediction, d, eta) -> tuple[dict[int, float], float]:
    """``({i: mu_i}, E[psi^2])`` as floats at ``(d, eta)`` -- the numeric edge of the exact results.

    The exact polynomials are lambdified once per prediction (cached), so sweeps and bootstrap
    loops do not pay for symbolic substitution.
    """
    key = id(prediction)
    if key not in _NUMERIC or _NUMERIC[key][0] is not prediction:
        fns = {i: sp.lambdify((D, ETA), v, "math") for i, v in prediction.mu.items() if v != 0}
        _NUMERIC[key] = (prediction, fns, sp.lambdify((D, ETA), prediction.psi_second_moment, "math"))
    _p, fns, psi2 = _NUMERIC[key]
    d, eta = float(d), float(eta)
    return {i: float(f(d, eta)) for i, f in fns.items()}, float(psi2(d, eta))


def finite_d_times(prediction: Prediction, d, eta) -> dict[int, float]:
    """``mu_i(eta)^-2 d^((i-1) v 1)`` for every ``i`` with ``mu_i > 0`` at this ``(d, eta)`` (numeric)."""
    mu, _ = numeric_coefficients(prediction, d, eta)
    return {i: v**-2 * float(d) ** index_weight(i) for i, v in mu.items() if v > 0}


def winning_index(prediction: Prediction, d, eta) -> int:
    """The index minimising ``mu_i^-2 d^((i-1) v 1)`` at finite ``d`` and ``eta``."""
    times = finite_d_times(prediction, d, eta)
    if not times:
        raise PredictionError(f"no mu_i is positive at d = {d}, eta = {eta}")
    return min(times, key=times.get)


def crossing_etas(prediction: Prediction, d, eta_min=None, eta_max=None) -> list[tuple[sp.Expr, int, int]]:
    """Exact learning rates where the finite-``d`` winning index changes.

    Solves ``mu_i(eta)^2 d^w_j = mu_j(eta)^2 d^w_i`` for ``eta`` between the consecutive winners
    of a fine log grid; returns ``(eta, index below, index above)`` with exact roots when SymPy
    finds them.
    """
    import numpy as np

    d = sp.nsimplify(d)
    lo = eta_min if eta_min is not None else float(d) ** (-(float(prediction.alpha_min) + 3)
                                                          if prediction.alpha_min != -sp.oo else -3.0)
    hi = eta_max if eta_max is not None else float(d) ** (-float(prediction.alpha_min)
                                                         if prediction.alpha_min != -sp.oo else 0.0)
    grid = np.geomspace(lo, hi, 400)
    winners = [winning_index(prediction, d, e) for e in grid]
    out = []
    for k in range(len(grid) - 1):
        i, j = winners[k], winners[k + 1]
        if i == j:
            continue
        eq = prediction.mu[i] ** 2 * d ** index_weight(j) - prediction.mu[j] ** 2 * d ** index_weight(i)
        eq = sp.expand(eq.subs(D, d))
        roots = [r for r in sp.Poly(eq, ETA).real_roots() if grid[k] <= float(r) <= grid[k + 1]] \
            if eq.is_polynomial(ETA) else []
        root = roots[0] if roots else sp.Float((grid[k] * grid[k + 1]) ** 0.5)
        out.append((sp.nsimplify(root) if roots else root, i, j))
    return out


#: Default fraction of the drift that the normalisation's shrinkage may cost at the start.
DEFAULT_KAPPA = 0.125


def step_size(prediction: Prediction, d, eta, kappa: float = DEFAULT_KAPPA) -> tuple[float, int]:
    """The theorem's step size at finite ``d`` and ``eta`` (numeric), and the index that sets it.

    ``gamma = kappa max_i [2 i! mu_i d^-((i/2) v 1)] / E[psi^2]`` over ``i`` with ``mu_i > 0``:
    the theorem's scaling ``c mu_i d^-((i/2) v 1)`` with ``c = 2 i! kappa``, i.e. the step at
    which the normalisation's shrinkage of ``m`` at the start ``m = d^-1/2``
    (``gamma^2 d E[psi^2] m / 2``, THEORY.md section 7) is ``kappa`` times index ``i``'s drift
    (``gamma i! mu_i m^(i-1)``).  ``kappa <= 1`` is the range where drift beats shrinkage at
    the start.  The max over ``i`` keeps ``gamma`` continuous in ``eta``.

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> g, i = step_size(predict(make_rule("online", "h3", "h3")), 100, 0.0, kappa=0.125)
    >>> i, round(g / (0.125 * 2 * 6 * 0.5 * 100**-1.5 / 3), 12)
    (3, 1.0)
    """
    if not 0 < kappa <= 64:
        raise PredictionError(f"kappa must be in (0, 64], got {kappa}")
    mu, psi2 = numeric_coefficients(prediction, d, eta)
    cands = {i: 2 * math.factorial(i) * v * float(d) ** (-max(i / 2, 1)) for i, v in mu.items() if v > 0}
    if not cands:
        raise PredictionError(f"no mu_i is positive at d = {d}, eta = {eta}: the theorem gives no step size")
    i = max(cands, key=cands.get)
    return kappa * cands[i] / psi2, i


def theorem_time(prediction: Prediction, d, eta) -> tuple[float, int]:
    """``min_i mu_i^-2 d^((i-1) v 1)`` over positive ``mu_i`` and its index (numeric, no constants)."""
    times = finite_d_times(prediction, d, eta)
    if not times:
        raise PredictionError(f"no mu_i is positive at d = {d}, eta = {eta}")
    i = min(times, key=times.get)
    return times[i], i


def check_eta(rule_or_prediction, d, eta) -> None:
    """Raise :class:`PredictionError` when ``eta`` or ``d`` is outside the rule's valid range."""
    rule = rule_or_prediction.rule if isinstance(rule_or_prediction, Prediction) else rule_or_prediction
    if not eta > 0:
        raise PredictionError(f"eta must be > 0, got {eta}")
    if isinstance(d, bool) or int(d) != d or d < 2:
        raise PredictionError(f"d must be an integer >= 2, got {d}")
    lo, why = rule.eta_range
    if lo != -sp.oo and float(eta) > float(d) ** (-float(lo)) * (1 + 1e-12):
        raise PredictionError(f"eta = {eta} is outside the valid range of the {rule.name} rule "
                              f"at d = {d} ({why}, i.e. eta <= {float(d) ** -float(lo):.6g})")


def finite_d_report(prediction: Prediction, d, eta=None) -> dict:
    """Crossings of the competing terms at finite ``d`` and, given ``eta``, ``T_i`` and ``gamma`` (numeric)."""
    if isinstance(d, bool) or int(d) != d or d < 2:
        raise PredictionError(f"d must be an integer >= 2, got {d}")
    out: dict = {"d": int(d)}
    lines = [f"at d = {d}:"]
    if prediction.rule.name != "online":
        crossings = crossing_etas(prediction, d)
        out["crossings"] = [{"eta": str(e), "eta_float": float(e), "from_index": j, "to_index": i}
                            for e, i, j in crossings]
        for e, i, j in crossings:
            lines.append(f"  mu_{j}^-2 d^{index_weight(j)} = mu_{i}^-2 d^{index_weight(i)} at eta = {e} "
                         f"~ {float(e):.4g}: index {j} -> {i} as eta grows")
    if eta is not None:
        check_eta(prediction, d, eta)
        times = finite_d_times(prediction, d, eta)
        win = min(times, key=times.get)
        gamma, gi = step_size(prediction, d, eta)
        out.update({"eta": float(eta), "winning_index": win,
                    "theorem_T": {str(i): t for i, t in times.items()}, "gamma": gamma, "kappa": DEFAULT_KAPPA})
        lines.append(f"  eta = {eta}: index {win} wins; mu_i^-2 d^((i-1) v 1) = "
                     + ", ".join(f"{i}: {t:.4g}" for i, t in sorted(times.items())))
        lines.append(f"  step size gamma = kappa max_i 2 i! mu_i d^-((i/2) v 1) / E[psi^2] = {gamma:.4g} "
                     f"(kappa = {DEFAULT_KAPPA}, set by index {gi})")
    out["text"] = "\n".join(lines)
    return out


def negative_traps(prediction: Prediction, d, eta, m_thr: float = 0.5) -> list[float]:
    """Stable zeros of the population drift ``(1 - m^2) sum_i i! mu_i m^(i-1)`` in ``(-m_thr, 0)``.

    When an even index (here 2) wins while an odd one (3) is still present, the two pull in
    opposite directions for ``m < 0``: runs started in the wrong hemisphere drift to the zero
    ``m_c`` and stay there (numeric roots of the exact drift polynomial at this ``eta``).

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> # h3: 18 eta + 3 m + 108 eta m^2 + 60 eta m^4 = 0; at eta = 0.03 and m = -0.25 it is -0.0005
    >>> [round(m, 2) for m in negative_traps(predict(make_rule("alternating", "h3", "h3")), 100, 0.03)]
    [-0.25]
    """
    import numpy as np

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
