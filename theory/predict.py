"""The main theorem's predictions: exponent curves, thresholds, regimes, step sizes.

docs/theory.md, section 6: with ``gamma`` in the theorem's range, the number of iterations to
weak recovery is

    T(eta) = min over i with mu_i(eta) > 0 of  mu_i(eta)^(-2) d^((i-1) v 1),

up to log factors.  With ``eta = d^(-alpha)`` each ``mu_i`` is a polynomial in ``eta, d``
(integer powers) whose terms ``c eta^e d^f`` scale as ``d^(f - alpha e)``; for large ``d`` the
dominant term decides both the size and the **sign** of ``mu_i``.  Hence

    e(alpha) = log_d T = min over i with dominant coefficient > 0 of
               (i-1) v 1  -  2 max_terms (f - alpha e),

a piecewise-linear function with rational breakpoints, computed here exactly.  An index
whose dominant term is negative cannot win there; :attr:`Prediction.sign_notes` says where
that happens.  The *refined* curve adds ``log_d E[psi^2]`` (docs/theory.md, section 7: the
normalisation cost the step size must pay when ``psi``'s non-correlational part is large).

Numeric coefficients
--------------------
The curve depends only on which coefficients vanish, their signs and their powers of
``eta`` and ``d``, so it stays exact (rationals in ``alpha``) when the coefficients are
numeric (:mod:`theory.drift`: value and error bound).  A coefficient is used with its sign
when the sign is certified (``|value| > error``); one that is not is treated as zero, which
:attr:`Prediction.assumptions` states, together with whether the curve would change if it
were positive or negative.  Exact zeros (parity, degree) are exact.

Thresholds are listed in the direction of increasing learning rate (decreasing
``alpha``): ``from_index`` wins just above the threshold's ``alpha`` (smaller ``eta``),
``to_index`` just below it (larger ``eta``).  The same holds at finite ``d``
(:func:`crossing_etas`): ``index below`` wins just below the crossing, ``index above``
just above it.

Finite ``d``
------------
:func:`numeric_coefficients`, :func:`finite_d_times`, :func:`step_size` evaluate the
polynomials at ``(d, eta)`` in mpmath (no overflow or underflow at any ``eta > 0``); times
beyond the double range are ``inf`` as floats and ``null`` in JSON, where their ``log10``
is given as well.  Decisions (which index wins, which ``mu_i`` is positive) use the error
bounds: an index counts as positive only when ``mu_i(d, eta) > error``.

JSON conventions: an unbounded end of a piece (``alpha = -oo`` or ``+oo``) is ``null``;
``E[psi^2]`` is ``null`` when it is infinite (the reason is given); numeric values carry an
error bound next to them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import math

import mpmath
import sympy as sp

from theory.drift import (Drift, Moment, Value, drift_expansion, psi_moment_expansion, round_up,
                          target_information_exponent)
from theory.errors import PredictionError
from theory.rules import D, ETA, Rule
from theory.symbols import ALPHA

__all__ = ["Piece", "Threshold", "Prediction", "predict", "finite_d_times", "winning_index",
           "crossing_etas", "Crossing", "step_size", "theorem_time", "index_weight", "check_eta", "finite_d_report",
           "DEFAULT_KAPPA", "numeric_coefficients", "numeric_bounds", "log_times", "negative_traps"]


CONVENTIONS = ("eta = d^(-alpha); e(alpha) = log_d T; thresholds listed from small eta to large eta "
               "(from_index wins at smaller eta, to_index at larger eta); an unbounded end of a piece "
               "(alpha_min = -oo, alpha_max = +oo) is null; mu_i are polynomials in eta and d in the He_k "
               "basis (u_k = E[f He_k]/k!), exact unless mu_exact[i] is false, in which case the floats carry the "
               "error bound mu_error[i] (valid for eta, d > 0); psi_second_moment is null when E[psi^2] is infinite "
               "(psi_second_moment_note says why); finite-d times beyond the double range are null, with log10 given")


def index_weight(i: int) -> int:
    """``(i - 1) v 1``: the power of ``d`` in the theorem's ``T`` for index ``i``."""
    return max(i - 1, 1)


def _edge(x):
    return None if x is None or x in (sp.oo, -sp.oo) else str(x)


@dataclass(frozen=True)
class Piece:
    """On ``alpha_min <= alpha <= alpha_max``: ``e(alpha) = slope*alpha + intercept``, won by ``index``."""

    alpha_min: sp.Expr
    alpha_max: sp.Expr | None
    index: int
    regime: str
    slope: sp.Expr
    intercept: sp.Expr
    #: ``alpha_min`` itself excluded (the edge of the valid range is then a piece of its own)
    left_open: bool = False

    def contains(self, alpha) -> bool:
        above = alpha > self.alpha_min if self.left_open else alpha >= self.alpha_min
        return above and (self.alpha_max is None or alpha <= self.alpha_max)

    def to_dict(self) -> dict:
        """JSON-friendly; an unbounded end (``-oo`` or ``+oo``) is ``null``."""
        return {"alpha_min": _edge(self.alpha_min), "alpha_max": _edge(self.alpha_max),
                "left_open": self.left_open, "index": self.index, "regime": self.regime,
                "slope": str(self.slope), "intercept": str(self.intercept)}

    def describe(self) -> str:
        hi = "oo" if self.alpha_max is None else str(self.alpha_max)
        if self.alpha_max is not None and self.alpha_max == self.alpha_min:
            where = f"alpha = {self.alpha_min} exactly"
        else:
            where = f"{self.alpha_min} {'<' if self.left_open else '<='} alpha <= {hi}"
        return f"{where}: e(alpha) = {_linear(self.slope, self.intercept)}  (index {self.index}, {self.regime})"


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


def _irrational(expr: sp.Expr) -> bool:
    """Whether an exact expression has coefficients that are not rational (erf, exp, pi, radicals)."""
    return any(not a.is_Rational for a in expr.atoms(sp.Number)) or bool(expr.atoms(sp.Function)) \
        or expr.has(sp.pi, sp.E) or any(p.exp.is_Rational and not p.exp.is_Integer for p in expr.atoms(sp.Pow))


def _text(expr: sp.Expr) -> str:
    """``str(expr)``, without SymPy's sorting of terms for large sums (quadratic in their size)."""
    return str(expr) if len(expr.args) < 40 else sp.sstr(expr, order="none")


def _short(expr: sp.Expr, digits: int = 8) -> str:
    """An expression with its floats shown to ``digits`` significant digits (for text output)."""
    floats = expr.atoms(sp.Float)
    if not floats:
        return _text(expr)
    marks = {f: sp.Symbol(f"__f{k}__") for k, f in enumerate(floats)}
    text = str(expr.xreplace(marks))
    for f, m in marks.items():
        text = text.replace(str(m), mpmath.nstr(f._to_mpmath(mpmath.mp.prec), digits))
    return text


@dataclass(frozen=True)
class Prediction:
    """The theorem's predictions for one rule (curve exact; coefficients exact or numeric with bounds)."""

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
    drift: Drift | None = field(default=None, compare=False)
    moment: Moment | None = field(default=None, compare=False)
    assumptions: tuple[str, ...] = field(default=())

    @property
    def mu_error(self) -> dict:
        """``{i: bound on |mu_i - mu[i]|}`` (0 where exact)."""
        if self.drift is None:
            return {i: sp.Integer(0) for i in self.mu}
        return self.drift.error

    @property
    def numeric(self) -> bool:
        """Whether any coefficient (``mu_i`` or ``E[psi^2]``) is numeric."""
        return (self.drift is not None and not self.drift.is_exact) or \
            (self.moment is not None and self.moment.finite and not self.moment.is_exact)

    @property
    def psi_second_moment_finite(self) -> bool:
        return self.psi_second_moment != sp.oo

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
        """``e(alpha)`` at the largest valid learning rate ``eta = d^-alpha_min`` (exactly there)."""
        if not self.pieces:
            return None
        first = self.pieces[0]
        if self.alpha_min == -sp.oo:
            return first.intercept if first.slope == 0 else None
        if not first.contains(self.alpha_min):
            return None
        return first.slope * self.alpha_min + first.intercept

    @property
    def large_lr_limit_exponent(self):
        """The limit of ``e(alpha)`` as ``alpha`` decreases to ``alpha_min`` (``eta`` just below the edge).

        Differs from :attr:`large_lr_exponent` only when the edge ``eta = d^-alpha_min`` itself
        makes a coefficient change sign (all terms of ``mu_i`` tie there): see :attr:`edge_notes`.
        """
        inner = [p for p in self.pieces if not (p.alpha_max is not None and p.alpha_max == p.alpha_min)]
        if not inner:
            return None
        first = inner[0]
        if self.alpha_min == -sp.oo:
            return first.intercept if first.slope == 0 else None
        return first.slope * self.alpha_min + first.intercept

    def to_dict(self) -> dict:
        r = self.rule
        exact = {i: (self.drift is None or all(v.is_exact for v in self.drift.terms[i].values())) for i in self.mu}
        m = self.moment
        psi2_exact = m is None or (m.finite and m.is_exact)
        return {
            "rule": r.name, "loss": r.loss, "target": r.target.name, "student": r.student.name,
            "noise": float(r.target.noise), "a": str(r.a), "order": r.order, "keep_a": r.keep_a,
            "psi": str(r.psi), "psi_label_free": str(r.label_free),
            "mu": {str(i): _text(v) for i, v in self.mu.items()},
            "mu_exact": {str(i): exact[i] for i in self.mu},
            "mu_error": {str(i): str(v) for i, v in self.mu_error.items()},
            "numeric": self.numeric,
            "psi_second_moment": _text(self.psi_second_moment) if self.psi_second_moment_finite else None,
            "psi_second_moment_exact": psi2_exact if self.psi_second_moment_finite else None,
            "psi_second_moment_error": str(m.error) if m is not None and m.finite else None,
            "psi_second_moment_note": m.reason if m is not None else "",
            "alpha_min": _edge(self.alpha_min),
            "pieces": [p.to_dict() for p in self.pieces],
            "thresholds": [t.to_dict() for t in self.thresholds],
            "refined_pieces": [p.to_dict() for p in self.refined_pieces],
            "small_lr_exponent": None if self.small_lr_exponent is None else str(self.small_lr_exponent),
            "large_lr_exponent": None if self.large_lr_exponent is None else str(self.large_lr_exponent),
            "large_lr_limit_exponent": (None if self.large_lr_limit_exponent is None
                                        else str(self.large_lr_limit_exponent)),
            "information_exponent": self.information_exponent,
            "smallest_index": self.smallest_index,
            "sign_notes": list(self.sign_notes),
            "assumptions": list(self.assumptions),
            "drift_notes": list(self.drift.notes) if self.drift is not None else [],
            "conventions": CONVENTIONS,
        }

    def table(self) -> str:
        r = self.rule
        lo, why = r.eta_range
        lines = [r.label, f"psi_eta(y, z) = {r.psi}"]
        if r.label_free != 0:
            lines.append(f"label-free part (no drift, adds noise) = {r.label_free}")
        if r.distributional:
            lines.append("note: " + r.singularity_note())
        head = ("drift coefficients mu_i(eta)   [mu_i = E[psi(sigma_*(g) + zeta, g') He_i(g) He_{i-1}(g')] / (i! (i-1)!),"
                "\n   g, g' independent N(0, 1): the target's and the student's projections at overlap 0]")
        if self.numeric:
            head += "\n  (numeric coefficients are floats, each with an error bound valid for eta, d > 0)"
        lines += ["", head]
        errors = self.mu_error
        for i, v in self.mu.items():
            if v == 0:
                continue
            line = f"  mu_{i} = {_short(v)}"
            if errors[i] != 0:
                line += f"   [numeric; |error| <= {_short(errors[i], 3)}]"
            elif _irrational(v):
                line += f"   (~ {_short(sp.N(v, 8))})"
            lines.append(line)
        zero = [str(i) for i, v in self.mu.items() if v == 0]
        if zero:
            lines.append(f"  (mu_i = 0 exactly for i = {', '.join(zero)})")
        if self.drift is not None:
            lines += ["  note: " + n for n in self.drift.notes]
        m = self.moment
        if self.psi_second_moment_finite:
            psi2 = f"E[psi^2] at m = 0: {_short(self.psi_second_moment)}"
            if m is not None and not m.is_exact:
                psi2 += f"   [numeric; |error| <= {_short(m.error, 3)}]"
            elif _irrational(self.psi_second_moment):
                psi2 += f"   (~ {_short(sp.N(self.psi_second_moment, 8))})"
        elif r.distributional:
            psi2 = "E[psi^2] at m = 0: infinite (psi contains a Dirac delta: see the note above)"
        else:
            psi2 = "E[psi^2] at m = 0: " + (m.reason if m is not None and m.reason else "infinite")
        lines += ["", psi2, "",
                  f"predicted sample complexity T = d^e(alpha), eta = d^-alpha, valid for alpha >= {lo} ({why}):"]
        lines += ["  " + p.describe() for p in self.pieces]
        if not self.pieces:
            lines.append("  no mu_i is certified positive: the theorem predicts no recovery")
        if self.thresholds:
            lines.append("thresholds (as eta grows):")
            for t in self.thresholds:
                extra = " (at the edge of the valid range)" if t.at_boundary else ""
                lines.append(f"  alpha = {t.alpha}  (eta = d^-{t.alpha}): index {t.from_index} -> {t.to_index}{extra}")
        elif self.pieces:
            lines.append("no threshold: the same index wins for every learning rate")
        large = f"large-eta exponent: {self.large_lr_exponent}"
        if self.large_lr_limit_exponent != self.large_lr_exponent:
            large += f" at the edge eta = d^-{self.alpha_min}, {self.large_lr_limit_exponent} just inside it"
        lines.append(f"small-eta exponent: {self.small_lr_exponent}    {large}")
        if [p.describe() for p in self.refined_pieces] != [p.describe() for p in self.pieces]:
            if self.refined_pieces:
                lines.append("refined (keeping E[psi^2]):")
                lines += ["  " + p.describe() for p in self.refined_pieces]
        lines += ["note: " + n for n in self.sign_notes]
        lines += ["assumption: " + n for n in self.assumptions]
        return "\n".join(lines)

    def __str__(self):
        return self.table()


def _terms_of(terms: dict) -> list[tuple[int, int, Value]]:
    """``[(e, f, Value)]`` from ``{(e, f, g): Value}`` (``a`` already substituted)."""
    out = []
    for mono, v in terms.items():
        e, f = mono[0], mono[1]
        if len(mono) > 2 and mono[2]:
            raise PredictionError("mu depends on the second layer a; substitute a number first")
        out.append((int(e), int(f), v))
    return out


def _terms(expr: sp.Expr) -> list[tuple[int, int, Value]]:
    """``[(e, f, Value)]`` with ``expr = sum c eta^e d^f`` (exact coefficients)."""
    expr = sp.expand(expr)
    if expr == 0:
        return []
    extra = expr.free_symbols - {ETA, D}
    if extra:
        raise PredictionError(f"mu depends on {sorted(map(str, extra))}; substitute numbers first")
    out: dict = {}
    for term in sp.Add.make_args(expr):
        c, e, f = sp.Integer(1), 0, 0
        for factor in sp.Mul.make_args(term):
            base, ex = factor.as_base_exp()
            if base == ETA and ex.is_Integer:
                e += int(ex)
            elif base == D and ex.is_Integer:
                f += int(ex)
            elif factor.is_number:
                c *= factor
            else:
                raise PredictionError(f"mu term {term} is not a monomial in eta and d")
        out[(e, f)] = out.get((e, f), sp.Integer(0)) + c
    return [(e, f, Value.exact_(c)) for (e, f), c in out.items() if c != 0]


def _dominant(terms, alpha) -> tuple[sp.Expr, Value]:
    """(exponent of d, summed coefficient of the dominant terms) at a given alpha."""
    best = max(f - alpha * e for e, f, _c in terms)
    parts = [c for e, f, c in terms if f - alpha * e == best]
    coeff = parts[0]
    for c in parts[1:]:
        coeff = coeff + c
    return best, coeff


def _evaluate(pieces, alpha):
    for p in pieces:
        if p.contains(alpha):
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
        if coeff.sign != 1:
            continue
        e, f, _c = max(terms, key=lambda t: t[1] - alpha * t[0])
        slope, intercept = sp.Integer(2 * e), sp.Integer(index_weight(i) - 2 * f)
        if extra:
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


def _describe_term(i, e, f, v: Value) -> str:
    mono = "*".join([s for s in ((f"eta^{e}" if e != 1 else "eta") if e else "",
                                 (f"d^{f}" if f != 1 else "d") if f else "") if s])
    which = f"the {mono} term of mu_{i}" if mono else f"the constant term of mu_{i}"
    return f"{which} ({mpmath.nstr(v.mid, 3)} +- {round_up(v.error):.3g})"


def _split_certified(term_lists):
    """Drop the terms whose sign is not certified; return ``(certified lists, undecided terms)``."""
    certified, undecided = {}, []
    for i, terms in term_lists.items():
        keep = []
        for e, f, v in terms:
            if v.sign is None:
                undecided.append((i, e, f, v))
            else:
                keep.append((e, f, v))
        if keep:
            certified[i] = keep
    return certified, undecided


def _curve_key(pieces):
    return [(p.alpha_min, p.alpha_max, p.index, p.slope, p.intercept) for p in pieces]


def _assumption_notes(certified, undecided, alpha_lo) -> list[str]:
    """State what the curve assumes about each undecided coefficient, and whether it matters."""
    if not undecided:
        return []
    base = _curve_key(_pieces(certified, alpha_lo, lambda i: ""))
    notes = []
    for i, e, f, v in undecided[:40]:
        changes = []
        for sign in (1, -1):
            lists = {k: list(t) for k, t in certified.items()}
            forced = Value.numeric(sign * max(v.error, 1e-300), 0)
            lists.setdefault(i, []).append((e, f, forced))
            if _curve_key(_pieces(lists, alpha_lo, lambda i: "")) != base:
                changes.append("positive" if sign == 1 else "negative")
        effect = ("the curve does not depend on it" if not changes else
                  f"the curve would change if it were {' or '.join(changes)}")
        notes.append(f"{_describe_term(i, e, f, v)} has no certified sign (|value| <= error); the curve treats it "
                     f"as zero; {effect}")
    if len(undecided) > 40:
        notes.append(f"{len(undecided) - 40} more coefficients without a certified sign are treated as zero")
    return notes


def predict(rule: Rule, imax: int = 8) -> Prediction:
    """Exponent curve, thresholds and regimes for ``rule`` (exact in ``alpha``).

    The drift coefficients may be numeric (links such as ``tanh``): the curve uses their
    certified signs and their powers of ``eta`` and ``d`` only (see the module docstring).

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> p = predict(make_rule("alternating", "He3", "He3"))
    >>> [(t.alpha, t.from_index, t.to_index) for t in p.thresholds]
    [(1/2, 3, 2)]
    >>> p.exponent(sp.Rational(1, 4)), p.exponent(1)
    (3/2, 2)
    >>> q = predict(make_rule("alternating", "tanh", "tanh"))
    >>> q.numeric, [(t.alpha, t.from_index, t.to_index) for t in q.thresholds], q.small_lr_exponent
    (True, [], 1)
    """
    drift = drift_expansion(rule, imax)
    mu = drift.mu
    term_lists = {i: _terms_of(t) for i, t in drift.terms.items() if t}
    alpha_lo, _why = rule.eta_range
    ie = target_information_exponent(rule)
    moment = psi_moment_expansion(rule, 2)
    psi2 = moment.expr
    extra_all = _terms_of(moment.terms) if moment.finite else None
    extra = [(e, f, v) for e, f, v in extra_all if v.sign is not None] if extra_all is not None else None
    if extra is not None and not extra and extra_all:
        extra = None  # no certified term of E[psi^2]: no refined curve (noted below)
    certified, undecided = _split_certified(term_lists)
    assumptions = _assumption_notes(certified, undecided, alpha_lo)
    if extra is not None and len(extra) < len(extra_all):
        assumptions.append(f"{len(extra_all) - len(extra)} coefficient(s) of E[psi^2] without a certified sign are "
                           f"treated as zero in the refined curve")
    term_lists = certified

    def provisional(i):
        return ""

    raw = _pieces(term_lists, alpha_lo, provisional)
    raw, edge_notes = _edge_point(raw, term_lists, alpha_lo)
    # boundary: indices that tie at alpha_lo (e.g. batch reuse reaching index 1 at eta d = 1)
    boundary_tie = []
    if alpha_lo != -sp.oo and raw:
        first_value = raw[0].slope * alpha_lo + raw[0].intercept
        for i, terms in term_lists.items():
            b, coeff = _dominant(terms, alpha_lo)
            if coeff.sign == 1 and index_weight(i) - 2 * b == first_value and i != raw[0].index:
                boundary_tie.append(i)
    winners = {p.index for p in raw} | set(boundary_tie)
    smallest = min(winners) if winners else None

    def regime_of(i):
        if i == ie:
            return "information-exponent regime"
        if i == smallest:
            return "generative regime"
        return "intermediate regime"

    pieces = tuple(Piece(p.alpha_min, p.alpha_max, p.index, regime_of(p.index), p.slope, p.intercept, p.left_open)
                   for p in raw)
    refined = ()
    if extra is not None:
        refined = _edge_point(_pieces(term_lists, alpha_lo, regime_of, extra), term_lists, alpha_lo, extra)[0]
        refined = tuple(Piece(p.alpha_min, p.alpha_max, p.index, regime_of(p.index), p.slope, p.intercept,
                              p.left_open) for p in refined)
    thresholds = []
    for left, right in zip(pieces[:-1], pieces[1:]):
        if left.index != right.index:
            thresholds.append(Threshold(right.alpha_min, right.index, left.index,
                                        at_boundary=right.left_open and right.alpha_min == alpha_lo))
    for i in sorted(boundary_tie):
        if pieces and i < pieces[0].index:
            thresholds.append(Threshold(alpha_lo, pieces[0].index, i, at_boundary=True))
    thresholds.sort(key=lambda t: -t.alpha)
    notes = _sign_notes(term_lists, alpha_lo) + edge_notes
    if ie is not None and ie > imax:
        notes.append(f"imax = {imax} is below the target's information exponent {ie}: indices above {imax} are "
                     f"not considered (raise imax to {ie} or more)")
    if extra is None:
        notes.append("no refined curve: E[psi^2] is infinite" if extra_all is None else
                     "no refined curve: no coefficient of E[psi^2] has a certified sign")
    return Prediction(rule, mu, psi2, alpha_lo, pieces, tuple(thresholds), refined, ie, smallest, tuple(notes),
                      drift, moment, tuple(assumptions))


def _edge_point(raw, term_lists, alpha_lo, extra=None):
    """Evaluate the curve *at* the edge ``alpha = alpha_lo`` of the valid range, not only inside it.

    With ``eta = c d^-alpha_lo`` every term of ``mu_i`` whose power of ``d`` is the same at
    ``alpha_lo`` contributes to the leading coefficient, a polynomial in ``c``: at the edge
    (``c = 1``) it can be negative while the single dominant term inside the range is positive
    (squared-loss alternating SGD on ``h3``: ``mu_2 = 324 eta (1 - 666 eta)``).  The edge then
    becomes a piece of its own and the inner piece is open at ``alpha_lo``; the note says for which
    ``c`` the inner winner still wins at this scale.
    """
    if alpha_lo == -sp.oo or not raw or raw[0].alpha_min != alpha_lo:
        return raw, []
    first = raw[0]
    inner_value = first.slope * alpha_lo + first.intercept
    edge = _winner(term_lists, alpha_lo, extra)
    if edge is not None and edge[2] == inner_value:
        return raw, []
    notes = []
    c = sp.Symbol("c", positive=True)
    terms = term_lists.get(first.index, [])
    best = max(f - alpha_lo * e for e, f, _v in terms)
    poly_terms = [(e, v) for e, f, v in terms if f - alpha_lo * e == best]
    if all(v.is_exact for _e, v in poly_terms):
        poly = sp.Add(*[v.exact * c**e for e, v in poly_terms])
        roots = sorted(r for r in sp.Poly(poly, c).real_roots() if r > 0) if poly.is_polynomial(c) else []
        where = (f"eta = c d^-{alpha_lo} with c < {roots[0]} (~ {float(roots[0]):.4g})" if roots and
                 sp.Poly(poly, c).eval(roots[0] / 2) > 0 else "no c <= 1")
        notes.append(f"at the edge eta = d^-{alpha_lo} the terms of mu_{first.index} tie and sum to "
                     f"{sp.factor(poly.subs(c, 1))} <= 0: index {first.index} wins at this scale only for {where}")
    else:
        notes.append(f"at the edge eta = d^-{alpha_lo} the terms of mu_{first.index} tie and their sum has no "
                     f"certified positive sign: index {first.index} is not counted there")
    out = [Piece(first.alpha_min, first.alpha_max, first.index, first.regime, first.slope, first.intercept, True)]
    out += raw[1:]
    if edge is not None:
        i, (slope, intercept), _v = edge
        out.insert(0, Piece(alpha_lo, alpha_lo, i, "", slope, intercept))
    else:
        notes.append(f"at the edge eta = d^-{alpha_lo} no mu_i is certified positive: no recovery predicted there")
    return out, notes


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
        signs = {p: _dominant(terms, p)[1].sign for p in probes}
        bad = sorted(p for p, s in signs.items() if s != 1)
        if bad:
            where = ", ".join(str(b) for b in bad[:4])
            uncertain = [p for p in bad if signs[p] is None]
            what = "a non-positive" if not uncertain else "a non-positive or uncertified"
            notes.append(f"mu_{i} has {what} leading term at alpha = {where}: index {i} cannot win there")
    return notes


# ---------------------------------------------------------------------------
# finite d
# ---------------------------------------------------------------------------
_NUMERIC: dict = {}
_FIN_DPS = 30


def _evaluators(prediction: Prediction):
    """Per prediction (cached): ``{i: [(e, f, mid, rad)]}`` and the same for ``E[psi^2]`` (or ``None``)."""
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
        mus = {i: convert(_terms_of(t)) for i, t in prediction.drift.terms.items() if t}
    else:
        mus = {i: convert(_terms(v)) for i, v in prediction.mu.items() if v != 0}
    m = prediction.moment
    if m is not None:
        psi2 = convert(_terms_of(m.terms)) if m.finite else None
    else:
        psi2 = convert(_terms(prediction.psi_second_moment)) if prediction.psi_second_moment_finite else None
    _NUMERIC[key] = (prediction, mus, psi2)
    return mus, psi2


def _polyval(terms, d, eta):
    """``(value, error bound)`` of ``sum c eta^e d^f`` at ``(d, eta)`` (mpmath, no overflow)."""
    value, error = mpmath.mpf(0), mpmath.mpf(0)
    for e, f, mid, rad in terms:
        mono = eta**e * d**f
        value += mid * mono
        error += rad * mono
    return value, error + abs(value) * mpmath.mpf(10) ** (3 - _FIN_DPS)


def _as_mp(x):
    if isinstance(x, sp.Basic):
        x = sp.Float(sp.N(x, _FIN_DPS), _FIN_DPS)._to_mpmath(mpmath.mp.prec)
    return mpmath.mpf(x)


def numeric_bounds(prediction: Prediction, d, eta) -> tuple[dict, tuple | None]:
    """``({i: (mu_i, error)}, (E[psi^2], error) or None)`` at ``(d, eta)`` as mpmath numbers.

    ``None`` for ``E[psi^2]`` when it is infinite.  Computed in mpmath: no overflow or
    underflow for any ``eta > 0``.
    """
    mus, psi2 = _evaluators(prediction)
    with mpmath.workdps(_FIN_DPS):
        d_, eta_ = _as_mp(d), _as_mp(eta)
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
    >>> numeric_coefficients(predict(make_rule("alternating", "h3", "h3")), 100, 0.01)
    ({2: 0.09, 3: 0.5, 4: 0.045, 6: 0.0008333333333333334}, 3.8649)
    """
    mus, p2 = numeric_bounds(prediction, d, eta)
    return {i: float(v) for i, (v, _e) in mus.items()}, (float(p2[0]) if p2 is not None else math.inf)


def log_times(prediction: Prediction, d, eta) -> dict[int, mpmath.mpf]:
    """Natural logs of ``mu_i^-2 d^((i-1) v 1)`` for every ``i`` with ``mu_i(d, eta)`` certified positive."""
    mus, _p2 = numeric_bounds(prediction, d, eta)
    with mpmath.workdps(_FIN_DPS):
        log_d = mpmath.log(_as_mp(d))
        return {i: index_weight(i) * log_d - 2 * mpmath.log(v) for i, (v, err) in mus.items() if v > err}


def _to_float(x) -> float:
    value = float(x)
    return value


def finite_d_times(prediction: Prediction, d, eta) -> dict[int, float]:
    """``mu_i(eta)^-2 d^((i-1) v 1)`` for every ``i`` with ``mu_i`` certified positive at this ``(d, eta)``.

    Numeric (floats; ``inf`` beyond the double range, see :func:`log_times`).
    """
    with mpmath.workdps(_FIN_DPS):
        return {i: _to_float(mpmath.exp(v)) for i, v in log_times(prediction, d, eta).items()}


def winning_index(prediction: Prediction, d, eta) -> int:
    """The index minimising ``mu_i^-2 d^((i-1) v 1)`` at finite ``d`` and ``eta``."""
    times = log_times(prediction, d, eta)
    if not times:
        raise PredictionError(f"no mu_i is positive at d = {d}, eta = {eta}")
    return min(times, key=times.get)


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
    import numpy as np

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
            if abs(step) <= abs(x) * mpmath.mpf(10) ** (4 - _FIN_DPS):
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
    terms = _terms(eq)
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
    if isinstance(d, bool) or int(d) != d or d < 2:
        raise PredictionError(f"d must be an integer >= 2, got {d}")
    d = int(d)
    lo, hi = _scan_range(prediction, d, eta_min, eta_max)
    mus, _ = _evaluators(prediction)
    with mpmath.workdps(_FIN_DPS):
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


#: Default fraction of the drift that the normalisation's shrinkage may cost at the start.
DEFAULT_KAPPA = 0.125


def step_size(prediction: Prediction, d, eta, kappa: float = DEFAULT_KAPPA) -> tuple[float, int]:
    """The theorem's step size at finite ``d`` and ``eta`` (numeric), and the index that sets it.

    ``gamma = kappa max_i [2 i! mu_i d^-((i/2) v 1)] / E[psi^2]`` over ``i`` with ``mu_i > 0``
    (certified): the theorem's scaling ``c mu_i d^-((i/2) v 1)`` with ``c = 2 i! kappa``, i.e.
    the step at which the normalisation's shrinkage of ``m`` at the start ``m = d^-1/2``
    (``gamma^2 d E[psi^2] m / 2``, docs/theory.md, section 7) is ``kappa`` times index ``i``'s drift
    (``gamma i! mu_i m^(i-1)``).  ``kappa <= 1`` is the range where drift beats shrinkage at
    the start.  The max over ``i`` keeps ``gamma`` continuous in ``eta``.

    Raises :class:`PredictionError` when ``E[psi^2]`` is infinite (a student with a jump), when
    no ``mu_i`` is positive, or when ``gamma`` is outside the double range.

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> g, i = step_size(predict(make_rule("online", "h3", "h3")), 100, 0.0, kappa=0.125)
    >>> i, round(g / (0.125 * 2 * 6 * 0.5 * 100**-1.5 / 3), 12)
    (3, 1.0)
    """
    if not 0 < kappa <= 64:
        raise PredictionError(f"kappa must be in (0, 64], got {kappa}")
    mus, p2 = numeric_bounds(prediction, d, eta)
    if p2 is None:
        reason = prediction.moment.reason if prediction.moment is not None else "E[psi^2] is infinite"
        raise PredictionError(f"no step size for {prediction.rule.label}: {reason}")
    with mpmath.workdps(_FIN_DPS):
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
    return value, i


def theorem_time(prediction: Prediction, d, eta) -> tuple[float, int]:
    """``min_i mu_i^-2 d^((i-1) v 1)`` over positive ``mu_i`` and its index (numeric, no constants;
    ``inf`` beyond the double range)."""
    times = log_times(prediction, d, eta)
    if not times:
        raise PredictionError(f"no mu_i is positive at d = {d}, eta = {eta}")
    i = min(times, key=times.get)
    with mpmath.workdps(_FIN_DPS):
        return _to_float(mpmath.exp(times[i])), i


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
    if isinstance(d, bool) or int(d) != d or d < 2:
        raise PredictionError(f"d must be an integer >= 2, got {d}")
    lo, why = rule.eta_range
    if lo != -sp.oo and eta_f > float(d) ** (-float(lo)) * (1 + 1e-12):
        raise PredictionError(f"eta = {eta} is outside the valid range of the {rule.name} rule "
                              f"at d = {d} ({why}, i.e. eta <= {float(d) ** -float(lo):.6g})")


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
    if isinstance(d, bool) or int(d) != d or d < 2:
        raise PredictionError(f"d must be an integer >= 2, got {d}")
    out: dict = {"d": int(d)}
    lines = [f"at d = {d}:"]
    if prediction.rule.name != "online":
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


def negative_traps(prediction: Prediction, d, eta, m_thr: float = 0.5) -> list[float]:
    """Stable zeros of the population drift ``(1 - m^2) sum_i i! mu_i m^(i-1)`` in ``(-m_thr, 0)``.

    When an even index (here 2) wins while an odd one (3) is still present, the two pull in
    opposite directions for ``m < 0``: runs started in the wrong hemisphere drift to the zero
    ``m_c`` and stay there (numeric roots of the drift polynomial at this ``eta``).

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
