"""The exact exponent curve ``e(alpha)``: its pieces, thresholds and regimes.

Role: the piecewise-linear algebra of docs/theory.md, section 6, on coefficient lists.  Each
``mu_i`` is a list of terms ``c eta^e d^f`` (:func:`terms_of`); with ``eta = d^-alpha`` a term
scales as ``d^(f - alpha e)``, the dominant term decides the size and the sign of ``mu_i``, and

    e(alpha) = min over i with dominant coefficient > 0 of  (i-1) v 1  -  2 max_terms (f - alpha e),

with rational breakpoints.  :func:`solve_curve` computes the pieces, the thresholds between
them, the refined curve (with ``log_d E[psi^2]``), the notes on signs and on the edge of the
valid range, and what the curve assumes about coefficients without a certified sign.  Nothing
here evaluates at a finite ``d`` (that is :mod:`theory.predict.numeric`).
"""
from __future__ import annotations

from dataclasses import dataclass

import mpmath
import sympy as sp

from theory.values import Value, round_up
from theory.errors import PredictionError
from theory.symbols import D, ETA

__all__ = ["Piece", "Threshold", "Curve", "index_weight", "edge_json", "terms_of", "monomial_terms",
           "evaluate_pieces", "solve_curve"]


def index_weight(i: int) -> int:
    """``(i - 1) v 1``: the power of ``d`` in the theorem's ``T`` for index ``i``."""
    return max(i - 1, 1)


def edge_json(x):
    """An end of a piece as JSON: ``None`` when unbounded (``-oo``/``+oo``), else its text."""
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
        return {"alpha_min": edge_json(self.alpha_min), "alpha_max": edge_json(self.alpha_max),
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


def terms_of(terms: dict) -> list[tuple[int, int, Value]]:
    """``[(e, f, Value)]`` from a drift's ``{(e, f, g): Value}`` (``a`` already substituted).

    Examples
    --------
    >>> from theory.values import Value
    >>> terms_of({(1, 0, 0): Value.exact_(sp.Integer(9))})[0][:2]
    (1, 0)
    """
    out = []
    for mono, v in terms.items():
        e, f = mono[0], mono[1]
        if len(mono) > 2 and mono[2]:
            raise PredictionError("mu depends on the second layer a; substitute a number first")
        out.append((int(e), int(f), v))
    return out


def monomial_terms(expr: sp.Expr) -> list[tuple[int, int, Value]]:
    """``[(e, f, Value)]`` with ``expr = sum c eta^e d^f`` (exact coefficients).

    Examples
    --------
    >>> sorted((e, f, v.exact) for e, f, v in monomial_terms(3 * ETA**2 * D + 1))
    [(0, 0, 1), (2, 1, 3)]
    """
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


def evaluate_pieces(pieces, alpha):
    """``e(alpha)`` on ``pieces`` (the first piece containing ``alpha``); :class:`PredictionError` outside them."""
    for p in pieces:
        if p.contains(alpha):
            return p.slope * alpha + p.intercept
    raise PredictionError(f"alpha = {alpha} is outside the rule's valid range")


@dataclass(frozen=True)
class Curve:
    """What :func:`solve_curve` returns (the curve part of a :class:`~theory.predict.Prediction`)."""

    pieces: tuple
    thresholds: tuple
    refined_pieces: tuple
    smallest_index: int | None
    notes: tuple
    assumptions: tuple


def solve_curve(term_lists: dict, alpha_lo, moment_terms, information_exponent: int | None, imax: int) -> Curve:
    """The exact curve of coefficient lists ``{i: [(e, f, Value)]}`` on ``alpha >= alpha_lo``.

    ``moment_terms`` are the terms of ``E[psi^2]`` (``None`` when it is infinite): they give
    the refined curve.  Coefficients without a certified sign are treated as zero, and the
    returned ``assumptions`` say whether that matters.

    Examples
    --------
    >>> from theory.values import Value
    >>> mu = {2: [(1, 0, Value.exact_(sp.Integer(9)))], 3: [(0, 0, Value.exact_(sp.Rational(1, 2)))]}
    >>> c = solve_curve(mu, sp.Integer(0), None, 3, 8)
    >>> [(t.alpha, t.from_index, t.to_index) for t in c.thresholds]
    [(1/2, 3, 2)]
    """
    ie = information_exponent
    extra_all = moment_terms
    extra = [(e, f, v) for e, f, v in extra_all if v.sign is not None] if extra_all is not None else None
    if extra is not None and not extra and extra_all:
        extra = None  # no certified term of E[psi^2]: no refined curve (noted below)
    certified, undecided = _split_certified(term_lists)
    assumptions = _assumption_notes(certified, undecided, alpha_lo)
    if extra is not None and len(extra) < len(extra_all):
        assumptions.append(f"{len(extra_all) - len(extra)} coefficient(s) of E[psi^2] without a certified sign are "
                           f"treated as zero in the refined curve")
    term_lists = certified
    raw = _pieces(term_lists, alpha_lo, lambda i: "")
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
    return Curve(pieces, tuple(thresholds), refined, smallest, tuple(notes), tuple(assumptions))


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
