"""The custom rule: ``psi`` given by the user.

Role: the ``custom`` rule class and the check of a user's ``psi`` text.  ``psi`` is an
expression in ``y, z, eta, d`` (and ``a``): a polynomial in ``y`` and ``a`` and a Laurent
polynomial in ``eta`` and ``d`` (integer powers) whose coefficients are functions of ``z``
(bounds in :data:`CUSTOM_LIMITS`, checked on the expression tree before anything is expanded).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import sympy as sp

from theory.errors import RuleError
from theory.links import parse_expression
from theory.rules.base import LABEL_STEP, DerivationStep, Rule, register
from theory.rules.calculus import MAX_ORDER, split_label_free
from theory.symbols import A, D, ETA, Y, Z

__all__ = ["Custom", "CUSTOM_LIMITS", "parse_custom_psi"]

#: Bounds on a custom ``psi`` (checked on the expression tree before anything is expanded):
#: degree in ``y`` and in ``a``, ``|power|`` of ``eta`` and of ``d``, degree of ``z`` in a
#: polynomial part, and the number of terms of the expanded ``psi``.
CUSTOM_LIMITS = {"y": 6, "a": 6, "eta": 6, "d": 6, "z": 100, "terms": 64}


@register
@dataclass(frozen=True)
class Custom(Rule):
    """A rule given by its ``psi`` (option ``psi``, the text; kept in :attr:`psi_text`).

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> r = make_rule("custom", "He3", psi="y*z + eta*y**2")
    >>> r.psi, r.label
    (eta*y**2 + y*z, 'custom rule (psi given), target He3, student He3')
    """

    name: ClassVar[str] = "custom"
    help: ClassVar[str] = "psi given as an expression in y, z, eta, d (and a)"
    options: ClassVar[dict] = {"psi": None}
    alpha_reason: ClassVar[str] = "eta <= 1 (custom rule: assumed)"
    loss_refusal: ClassVar[str] = "psi is given directly"

    psi_text: str | None = field(default=None, compare=False)

    def option_values(self) -> dict:
        return {"psi": self.psi_text}

    def algorithm_label(self) -> str:
        return "custom rule (psi given)"

    @classmethod
    def build(cls, target, student, a, options) -> "Custom":
        text = options["psi"]
        if not text:
            raise RuleError("the custom rule needs --psi, an expression in y, z, eta, d (and a)")
        step = parse_custom_psi(text)
        psi_full = sp.expand(step)
        psi_signal, label_free = split_label_free(psi_full)
        steps = (DerivationStep("psi (given)", psi_full, r"\psi", "given"),
                 DerivationStep(LABEL_STEP[0], psi_signal, *LABEL_STEP[1:]))
        return cls("correlation", target, student, a, step, A, psi_full, psi_signal, label_free,
                   derivation=steps, psi_generic=psi_signal, psi_full_generic=psi_full,
                   student_derivatives=(student.expr,), classical_order=MAX_ORDER + 1, psi_text=text)


def _degree_shape(expr: sp.Expr, text: str) -> tuple[dict, int]:
    """Structural ``({symbol: (lowest power, highest power)}, bound on the number of expanded terms)``.

    Raises :class:`RuleError` when ``psi`` is not a polynomial in ``y, a`` and a Laurent
    polynomial in ``eta, d`` with coefficients that are functions of ``z``.
    """
    poly_syms = (Y, A, ETA, D, Z)
    outer = {Y: "y", A: "a", ETA: "eta", D: "d"}

    def fail(why):
        raise RuleError(f"psi {text!r}: {why}; a custom psi must be a polynomial in y and a and a polynomial "
                        f"in eta and d with integer (possibly negative) powers, whose coefficients are functions "
                        f"of z")

    def walk(e):
        if e.is_number:
            return {}, 1
        if e in poly_syms:
            return {e: (1, 1)}, 1
        if e.is_Add or e.is_Mul:
            parts = [walk(a) for a in e.args]
            degs: dict = {}
            count = 0 if e.is_Add else 1
            for d_, c in parts:
                count = count + c if e.is_Add else count * c
                for s in set(degs) | set(d_):
                    lo1, hi1 = degs.get(s, (0, 0))
                    lo2, hi2 = d_.get(s, (0, 0))
                    degs[s] = (min(lo1, lo2), max(hi1, hi2)) if e.is_Add else (lo1 + lo2, hi1 + hi2)
            return degs, count
        if e.is_Pow:
            base, ex = e.args
            inner = base.free_symbols & set(outer)
            if ex.free_symbols & set(poly_syms):
                fail(f"the exponent of {e} depends on a variable")
            if not inner:
                if ex.is_Integer and base.free_symbols:
                    d_, c = walk(base)
                    n = int(ex)
                    if n >= 0:
                        return {s: (n * lo, n * hi) for s, (lo, hi) in d_.items()}, math.comb(c + n - 1, n)
                return {}, 1  # a function of z
            if not ex.is_Integer:
                fail(f"{e} is not an integer power")
            n = int(ex)
            d_, c = walk(base)
            if n < 0:
                if c != 1:
                    fail(f"{e} divides by a sum containing {', '.join(sorted(outer[s] for s in inner))}")
                if inner & {Y, A}:
                    fail(f"{e} is a negative power of {', '.join(sorted(outer[s] for s in inner & {Y, A}))}")
                return {s: (n * hi, n * lo) for s, (lo, hi) in d_.items()}, 1
            return {s: (n * lo, n * hi) for s, (lo, hi) in d_.items()}, math.comb(c + n - 1, n)
        inner = e.free_symbols & set(outer)
        if inner:
            fail(f"{', '.join(sorted(outer[s] for s in inner))} appears inside {e.func.__name__}(...)")
        return {}, 1  # a function of z

    return walk(expr)


def parse_custom_psi(text) -> sp.Expr:
    """Parse and validate a custom ``psi`` (see :data:`CUSTOM_LIMITS`) before anything is expanded.

    Examples
    --------
    >>> parse_custom_psi("y*z/eta")
    y*z/eta
    >>> parse_custom_psi("sin(y)")
    Traceback (most recent call last):
    ...
    theory.errors.RuleError: psi 'sin(y)': y appears inside sin(...); a custom psi must be a polynomial in y and a and a polynomial in eta and d with integer (possibly negative) powers, whose coefficients are functions of z
    """
    if not isinstance(text, str):
        raise RuleError(f"psi must be a string, got {type(text).__name__}")
    expr = parse_expression(text, {"y": Y, "z": Z, "eta": ETA, "d": D, "a": A}, what="psi", allow_names=True)
    degs, count = _degree_shape(expr, text)
    names = {Y: "y", A: "a", ETA: "eta", D: "d", Z: "z"}
    for sym, (lo, hi) in degs.items():
        limit = CUSTOM_LIMITS[names[sym]]
        if max(abs(lo), abs(hi)) > limit:
            what = "degree" if sym in (Y, A, Z) else "|power|"
            raise RuleError(f"psi {text!r}: {what} of {names[sym]} up to {max(abs(lo), abs(hi))} exceeds the "
                            f"supported {limit}")
    if count > CUSTOM_LIMITS["terms"]:
        raise RuleError(f"psi {text!r} expands to up to {count} terms; at most {CUSTOM_LIMITS['terms']} are "
                        f"supported")
    if sp.expand(expr) == 0:
        raise RuleError(f"psi {text!r} is identically zero")
    return expr
