"""The theorem's prediction for one rule: the :class:`Prediction` result and :func:`predict`.

Role: runs the drift (:mod:`theory.drift`) and the exact curve (:mod:`theory.predict.curve`) for
a rule and holds the result, with its text table and JSON form.  ``Prediction`` displays in a
notebook through :mod:`theory.display` (the LaTeX layer registers its renderer).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import mpmath
import numpy as np
import sympy as sp

from theory.display import RichDisplay
from theory.drift import Drift, Moment, drift_expansion, psi_moment_expansion, target_information_exponent
from theory.predict.curve import Piece, Threshold, edge_json, evaluate_pieces, solve_curve, terms_of
from theory.rules import Rule
from theory.symbols import ETA

__all__ = ["CONVENTIONS", "Prediction", "predict"]


CONVENTIONS = ("eta = d^(-alpha); e(alpha) = log_d T; thresholds listed from small eta to large eta "
               "(from_index wins at smaller eta, to_index at larger eta); an unbounded end of a piece "
               "(alpha_min = -oo, alpha_max = +oo) is null; mu_i are polynomials in eta and d in the He_k "
               "basis (u_k = E[f He_k]/k!), exact unless mu_exact[i] is false, in which case the floats carry the "
               "error bound mu_error[i] (valid for eta, d > 0); psi_second_moment is null when E[psi^2] is infinite "
               "(psi_second_moment_note says why); finite-d times beyond the double range are null, with log10 given")


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
class Prediction(RichDisplay):
    """The theorem's predictions for one rule (curve exact; coefficients exact or numeric with bounds).

    Attributes
    ----------
    rule : Rule
    mu : dict
        ``{i: mu_i(eta)}`` as SymPy expressions in ``eta`` and ``d`` (floats where numeric).
    psi_second_moment : sympy.Expr
        ``E[psi^2]`` at ``m = 0`` (``oo`` when infinite).
    alpha_min : sympy.Expr
        Lower end of the valid range ``alpha >= alpha_min`` (``-oo``: any ``eta``).
    pieces, refined_pieces : tuple of Piece
        The exact curve ``e(alpha)`` and the refined one (with ``log_d E[psi^2]``).
    thresholds : tuple of Threshold
        Changes of the winning index, from small to large ``eta``.
    information_exponent, smallest_index : int or None
        The target's information exponent; the smallest index that wins anywhere.
    sign_notes, assumptions : tuple of str
        Where an index cannot win (sign), and what the curve assumes about uncertified signs.
    drift, moment : Drift, Moment
        The coefficients with their error bounds.

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> p = predict(make_rule("alternating", "He3"))
    >>> p.exponent_curve(np.array([0.25, 1.0])).tolist(), p.eta_independent
    ([1.5, 2.0], False)
    """

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
        """Whether ``E[psi^2]`` is finite (it is not for a student with a jump)."""
        return self.psi_second_moment != sp.oo

    def exponent(self, alpha) -> sp.Expr:
        """``e(alpha) = log_d T`` (exact)."""
        return evaluate_pieces(self.pieces, sp.nsimplify(alpha))

    def refined_exponent(self, alpha) -> sp.Expr:
        """The refined ``e(alpha)`` (keeping ``log_d E[psi^2]``), exact."""
        return evaluate_pieces(self.refined_pieces, sp.nsimplify(alpha))

    def exponent_curve(self, alphas, *, refined: bool = False) -> np.ndarray:
        """``e(alpha)`` at many ``alpha`` at once, as floats (``nan`` outside the valid range).

        Parameters
        ----------
        alphas : array_like of float
        refined : bool
            Use the refined curve (with ``log_d E[psi^2]``).

        Returns
        -------
        numpy.ndarray
            Same shape as ``alphas``; the same values as :meth:`exponent`, rounded to floats.

        Examples
        --------
        >>> from theory.rules import make_rule
        >>> predict(make_rule("alternating", "He3")).exponent_curve([-1.0, 0.0, 0.5, 2.0]).tolist()
        [nan, 1.0, 2.0, 2.0]
        """
        a = np.asarray(alphas, dtype=float)
        out = np.full(a.shape, np.nan)
        todo = np.ones(a.shape, dtype=bool)
        for p in (self.refined_pieces if refined else self.pieces):
            lo = -np.inf if p.alpha_min == -sp.oo else float(p.alpha_min)
            inside = (a > lo) if p.left_open else (a >= lo)
            if p.alpha_max is not None:
                inside &= a <= float(p.alpha_max)
            hit = todo & inside
            out[hit] = float(p.slope) * a[hit] + float(p.intercept)
            todo &= ~hit
        return out

    @property
    def eta_independent(self) -> bool:
        """``True`` when no ``mu_i`` depends on ``eta``: the curve is flat, with no threshold and no crossing."""
        if self.drift is not None:
            return all(mono[0] == 0 for terms in self.drift.terms.values() for mono in terms)
        return all(not v.has(ETA) for v in self.mu.values())

    @property
    def small_lr_exponent(self):
        """``e(alpha)`` for small learning rates (the last piece's constant), or ``None`` if it is not flat."""
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
        """The prediction as strict JSON (see :data:`CONVENTIONS`)."""
        r = self.rule
        exact = {i: (self.drift is None or all(v.is_exact for v in self.drift.terms[i].values())) for i in self.mu}
        m = self.moment
        psi2_exact = m is None or (m.finite and m.is_exact)
        return {
            "rule": r.name, "loss": r.loss, "target": r.target.name, "student": r.student.name,
            "noise": float(r.target.noise), "a": str(r.a), "order": r.order, "keep_a": r.keep_a,
            **({"depth": r.depth} if getattr(r, "depth", 2) != 2 else {}),
            "psi": str(r.psi), "psi_label_free": str(r.label_free),
            "mu": {str(i): _text(v) for i, v in self.mu.items()},
            "mu_exact": {str(i): exact[i] for i in self.mu},
            "mu_error": {str(i): str(v) for i, v in self.mu_error.items()},
            "numeric": self.numeric,
            "psi_second_moment": _text(self.psi_second_moment) if self.psi_second_moment_finite else None,
            "psi_second_moment_exact": psi2_exact if self.psi_second_moment_finite else None,
            "psi_second_moment_error": str(m.error) if m is not None and m.finite else None,
            "psi_second_moment_note": m.reason if m is not None else "",
            "alpha_min": edge_json(self.alpha_min),
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
        """The prediction as a text table (what ``python -m theory predict`` prints)."""
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


def predict(rule: Rule, imax: int = 8) -> Prediction:
    """Exponent curve, thresholds and regimes for ``rule`` (exact in ``alpha``).

    The drift coefficients may be numeric (links such as ``tanh``): the curve uses their
    certified signs and their powers of ``eta`` and ``d`` only (see :mod:`theory.predict`).

    Parameters
    ----------
    rule : Rule
        From :func:`theory.rules.make_rule`.
    imax : int
        The drift coefficients ``mu_1 .. mu_imax`` that compete.

    Returns
    -------
    Prediction

    Raises
    ------
    RuleError
        When the drift needs a Hermite coefficient that is not certified finite.

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
    term_lists = {i: terms_of(t) for i, t in drift.terms.items() if t}
    alpha_lo, _why = rule.eta_range
    ie = target_information_exponent(rule)
    moment = psi_moment_expansion(rule, 2)
    curve = solve_curve(term_lists, alpha_lo, terms_of(moment.terms) if moment.finite else None, ie, imax)
    return Prediction(rule, drift.mu, moment.expr, alpha_lo, curve.pieces, curve.thresholds, curve.refined_pieces,
                      ie, curve.smallest_index, curve.notes, drift, moment, curve.assumptions)
