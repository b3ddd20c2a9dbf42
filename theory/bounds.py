"""Lower bounds on the sample complexity, placed beside a prediction.

For a Gaussian single-index target, write ``n ~ d^e`` for the number of samples an algorithm
needs for weak recovery. Three lower bounds on ``e`` are known. Each one holds for a class of
algorithms:

===========================  =====================  ==============================================
bound                        exponent               holds for
===========================  =====================  ==============================================
information-theoretic        ``1``                  every estimator (``d`` parameters, ``O(1)``
                                                    information per sample)
statistical query (SQ) /     ``max(1, k*/2)``       SQ algorithms, and low-degree polynomial
low-degree                                          tests; ``k*`` is the generative exponent
                                                    (Damian, Pillaud-Vivien, Lee, Bruna 2024)
correlational SQ (CSQ)       ``max(1, p/2)``        algorithms that query the labels only
                                                    through correlations ``E[y f(x)]``; ``p`` is
                                                    the information exponent (Damian, Lee,
                                                    Soltanolkotabi 2022; Abbe, Boix-Adsera,
                                                    Misiakiewicz 2023)
===========================  =====================  ==============================================

An update rule belongs to the correlational class when its ``psi`` is a polynomial of degree at
most one in the label ``y``. Examples are online SGD with the correlation loss or the squared
loss, where the label-free term ``a sigma sigma'`` issues no query about ``y``. A ``psi`` with a
``y^2`` term or higher is outside that class. Batch reuse and alternating SGD are, as soon as
``eta > 0``, and only the SQ and information-theoretic bounds constrain them. That is how a large
learning rate can beat the CSQ bound: the paper's phase transition.

These bounds concern the query complexity of the respective classes. Reading them as sample
exponents is the standard heuristic, with tolerance ``tau ~ n^(-1/2)``. They are lower bounds up
to polylogarithmic factors, like the theorem's ``Theta~``.

:func:`lower_bounds` compares them with the best exponent of the prediction,
``min e(alpha)`` over the rule's validity range, and reports the gap to each bound. A prediction
whose best exponent falls below a bound that applies to its class would contradict a theorem.
It is reported as a violation, never hidden. The exponent corpus checks that this never happens.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from theory.exponents import generative_exponent, information_exponent
from theory.symbols import Y

__all__ = ["LowerBounds", "lower_bounds", "best_exponent", "rule_class"]

_HALF = sp.Rational(1, 2)


def rule_class(rule) -> str:
    """``"correlational"`` if the rule's ``psi`` has degree <= 1 in ``y``, else ``"general"``.

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> rule_class(make_rule("online", "He3", "He3")), rule_class(make_rule("alternating", "He3", "He3"))
    ('correlational', 'general')
    """
    psi = sp.expand(rule.psi_generic)
    if not psi.has(Y):
        return "correlational"
    try:
        degree = sp.Poly(psi, Y).degree()
    except sp.PolynomialError:
        return "general"
    return "correlational" if degree <= 1 else "general"


def best_exponent(prediction) -> tuple[sp.Expr, sp.Expr | None, bool]:
    """``(e_best, alpha_at, attained)``: the infimum of ``e(alpha)`` over the validity range.

    ``alpha_at`` is where the infimum is reached. It is ``None`` when ``e`` is constant on an
    unbounded piece. A prediction without pieces (no index wins, nothing is learned) gives
    ``(oo, None, False)``. ``attained`` is ``False`` when the infimum is approached only at an
    excluded (open) end of a piece.

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> from theory.predict import predict
    >>> best_exponent(predict(make_rule("alternating", "He3", "He3")))
    (1, 0, True)
    """
    if not prediction.pieces:                     # no index wins anywhere: nothing is learned
        return sp.oo, None, False
    best = None
    for piece in prediction.pieces:
        ends = []
        if piece.alpha_min != -sp.oo:
            ends.append((piece.alpha_min, not piece.left_open))
        if piece.alpha_max is not None:
            ends.append((piece.alpha_max, True))
        if piece.slope != 0 and (piece.alpha_min == -sp.oo or piece.alpha_max is None):
            # an unbounded piece with a slope that falls towards its open end has no minimum
            falls_left = piece.slope > 0 and piece.alpha_min == -sp.oo
            falls_right = piece.slope < 0 and piece.alpha_max is None
            if falls_left or falls_right:
                return -sp.oo, None, False
        if not ends:                              # constant on the whole line
            cand = [(piece.intercept, None, True)]
        else:
            cand = [(piece.slope * a + piece.intercept, a, closed) for a, closed in ends]
        for value, at, closed in cand:
            key = (value, 0 if closed else 1)
            if best is None or key < (best[0], 0 if best[2] else 1):
                best = (value, at, closed)
    return best


@dataclass(frozen=True)
class LowerBounds:
    """Known lower bounds on ``e`` (``n ~ d^e``) for the target, and the prediction's gap to each.

    Attributes
    ----------
    information_exponent, generative_exponent : Exponent
        The target's exponents, with their status (exact, certified, undecided).
    csq, sq, information_theoretic : sympy.Rational or None
        The three bounds. ``None`` means the exponent they depend on is undecided, or the target
        is constant (then nothing can be learned).
    sq_range : tuple or None
        ``(low, high)`` bounds on ``sq`` when the generative exponent is undecided.
    best, best_alpha, best_attained
        From :func:`best_exponent`.
    rule_class : str
        ``"correlational"`` or ``"general"``; see :func:`rule_class`.
    """

    information_exponent: object
    generative_exponent: object
    csq: sp.Expr | None
    sq: sp.Expr | None
    sq_range: tuple | None
    information_theoretic: sp.Expr
    best: sp.Expr
    best_alpha: sp.Expr | None
    best_attained: bool
    rule_class: str

    def applies(self, name: str) -> bool:
        """Whether the bound ``name`` ("csq", "sq", "information_theoretic") binds this rule."""
        return name != "csq" or self.rule_class == "correlational"

    def gaps(self) -> dict:
        """``best - bound`` for each decided bound (a negative gap on an applicable bound is a violation)."""
        out = {}
        for name in ("csq", "sq", "information_theoretic"):
            bound = getattr(self, name)
            out[name] = None if bound is None or not self.best.is_finite else self.best - bound
        return out

    def violations(self) -> list[str]:
        """Names of the bounds that bind this rule and that the prediction's best exponent beats."""
        return [name for name, gap in self.gaps().items() if gap is not None and gap < 0 and self.applies(name)]

    def to_dict(self) -> dict:
        """JSON keys: ``lower_bounds`` (exact rational strings or ``null``) and ``best_exponent``."""
        def s(x):
            return None if x is None else str(x)
        out = {
            "lower_bounds": {
                "csq_exponent": s(self.csq),
                "sq_exponent": s(self.sq),
                "information_exponent_bound": s(self.information_theoretic),
            },
            "best_exponent": s(self.best) if self.best.is_finite else None,
            "best_alpha": s(self.best_alpha),
            "best_attained": self.best_attained,
            "rule_class": self.rule_class,
            "bound_applies": {n: self.applies(n) for n in ("csq", "sq", "information_theoretic")},
            "gaps": {n: s(g) for n, g in self.gaps().items()},
            "violations": self.violations(),
        }
        if self.sq_range is not None:
            out["lower_bounds"]["sq_exponent_range"] = [s(v) for v in self.sq_range]
        return out

    def table(self) -> str:
        """Plain-text table, one line per bound."""
        where = "" if self.best_alpha is None else f" at alpha = {self.best_alpha}"
        if not self.best_attained:
            where += " (an infimum, approached at an excluded end)"
        best = str(self.best) if self.best.is_finite else (
            "none (no index wins: the prediction learns nothing)" if self.best == sp.oo else "unbounded below")
        lines = [f"lower bounds on e (n ~ d^e); best exponent of this rule: {best}{where}; "
                 f"rule class: {self.rule_class}"]
        rows = [("information-theoretic", self.information_theoretic, "1", "every estimator"),
                ("SQ / low-degree", self.sq, f"max(1, k*/2), k* = GE = {_exp_text(self.generative_exponent)}",
                 "SQ and low-degree algorithms"),
                ("CSQ", self.csq, f"max(1, p/2), p = IE = {_exp_text(self.information_exponent)}",
                 "correlational algorithms (psi linear in y)")]
        key = {"information-theoretic": "information_theoretic", "SQ / low-degree": "sq", "CSQ": "csq"}
        gaps = self.gaps()
        for name, value, formula, who in rows:
            g = gaps[key[name]]
            applies = self.applies(key[name])
            if value is None:
                shown = "undecided" if self.sq_range is None or key[name] != "sq" else \
                    f"in [{self.sq_range[0]}, {self.sq_range[1]}]"
                lines.append(f"  {name:22s} e >= {shown:10s} {formula}; for {who}")
                continue
            note = "binds this rule" if applies else "does not bind this rule"
            gap = "" if g is None else f", gap {g}"
            flag = "  VIOLATED: the prediction beats a bound that applies" if applies and g is not None and g < 0 else ""
            lines.append(f"  {name:22s} e >= {str(value):10s} {formula}; for {who}; {note}{gap}{flag}")
        return "\n".join(lines)


def _exp_text(e) -> str:
    if e.value is not None and e.status in ("exact", "certified"):
        return str(e.value)
    if getattr(e, "status", None) == "none":
        return "none"
    return f"undecided in [{e.lower}, {e.upper}]"


def _half_bound(k) -> sp.Expr:
    return sp.Max(sp.Integer(1), sp.Integer(k) * _HALF)


def lower_bounds(prediction, *, kmax: int | None = None) -> LowerBounds:
    """The lower bounds for ``prediction``'s target, and its best exponent against them.

    Parameters
    ----------
    prediction : Prediction
        From :func:`theory.predict.predict`.
    kmax : int, optional
        Passed to the exponent searches (their defaults otherwise).

    Returns
    -------
    LowerBounds

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> from theory.predict import predict
    >>> lb = lower_bounds(predict(make_rule("alternating", "He3", "He3")))
    >>> lb.to_dict()["lower_bounds"], lb.to_dict()["best_exponent"]
    ({'csq_exponent': '3/2', 'sq_exponent': '1', 'information_exponent_bound': '1'}, '1')
    >>> lower_bounds(predict(make_rule("online", "He3", "He3"))).gaps()["csq"]
    1/2
    """
    target = prediction.rule.target
    kw = {} if kmax is None else {"kmax": kmax}
    ie = information_exponent(target, **kw)
    ge = generative_exponent(target, **kw)
    csq = _half_bound(ie.value) if ie.value is not None and ie.status in ("exact", "certified") else None
    sq, sq_range = None, None
    if ge.value is not None and ge.status in ("exact", "certified"):
        sq = _half_bound(ge.value)
    elif ge.lower is not None and ge.upper is not None:
        sq_range = (_half_bound(ge.lower), _half_bound(ge.upper))
        if sq_range[0] == sq_range[1]:
            sq, sq_range = sq_range[0], None
    best, at, attained = best_exponent(prediction)
    return LowerBounds(information_exponent=ie, generative_exponent=ge, csq=csq, sq=sq, sq_range=sq_range,
                       information_theoretic=sp.Integer(1), best=best, best_alpha=at, best_attained=attained,
                       rule_class=rule_class(prediction.rule))
