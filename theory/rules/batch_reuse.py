"""Batch reuse (Algorithm 1): two gradient steps on one sample.

Role: the ``batch-reuse`` rule class.  ``w~ = w + eta psi_1 P_w^perp x`` so
``<w~, x> = z + eta q psi_1(y, z)``; the step with ``gamma`` uses the gradient at ``w~``:
``psi = psi_1(y, z + eta q psi_1(y, z))``, expanded in ``eta d`` (``q -> d``) to order ``r``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import sympy as sp

from theory._validate import as_int
from theory.errors import RuleError
from theory.rules.base import DerivationStep, Derived, GradientRule, register
from theory.rules.calculus import GENERIC_STUDENT, MAX_ORDER, loss_expr, smooth_suggestion
from theory.symbols import A, D, ETA, Q, Y, Z

__all__ = ["BatchReuse"]


@register
@dataclass(frozen=True)
class BatchReuse(GradientRule):
    """Batch reuse: the second step's gradient is taken at the first step's ``w~``.

    The expansion in ``eta d`` is a Taylor series of the student's gradient, so order ``r``
    needs ``sigma^(r)`` as a function: a student with a kink or jump is refused at that order.

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> make_rule("batch-reuse", "He2").psi
    4*a**2*d*eta*y**2*z + 2*a*y*z
    """

    name: ClassVar[str] = "batch-reuse"
    help: ClassVar[str] = "Algorithm 1: two steps on one sample, psi = psi_1(y, z + eta q psi_1)"
    options: ClassVar[dict] = {"loss": "correlation", "order": None}
    alpha_min: ClassVar[sp.Expr] = sp.Integer(1)
    alpha_reason: ClassVar[str] = "eta d <= 1"

    def algorithm_label(self) -> str:
        return f"{self.name} SGD ({self.loss} loss, order {self.order})"

    @classmethod
    def expansion_order(cls, student, options) -> int:
        """The order ``r`` (default: exact for a polynomial student, else 2), checked."""
        order = options.get("order")
        sigma = student.expr
        psi1 = sp.expand(-sp.diff(loss_expr(options["loss"], A * sigma, Y), Z)) if sigma.is_polynomial(Z) else None
        deg_psi1 = sp.Poly(psi1, Z).degree() if psi1 is not None else None
        default = (deg_psi1 + 1) if deg_psi1 is not None else 2
        used = default if order is None else order
        try:
            as_int(used, "--order", lo=1, hi=MAX_ORDER, error=RuleError)
        except RuleError:
            raise RuleError(f"--order must be an integer in [1, {MAX_ORDER}], got {order!r}") from None
        if deg_psi1 is not None and used > deg_psi1 + 1:
            raise RuleError(f"expansion order {used} is too high to be useful: psi_1 has degree {deg_psi1} "
                            f"in z, so the expansion is already exact at order {deg_psi1 + 1}")
        return used

    @classmethod
    def derivative_order(cls, options) -> int:
        return options["order"]

    @classmethod
    def check_student(cls, student, classical, options) -> None:
        p, order = classical, options["order"]
        if p < order:
            kind = "jump" if p == 0 else "kink"
            raise RuleError(f"student {student.name!r} has no classical derivative of order {p + 1} (sigma^({p + 1}) "
                            f"contains a Dirac delta at a {kind}), which the batch-reuse rule at order {order} "
                            f"needs: the expansion in eta*d is a Taylor series of the student's gradient and does "
                            f"not describe the algorithm across a {kind}; use a smooth student (e.g. "
                            f"{smooth_suggestion(student)})" + (f" or --order {p}" if p >= 2 else ""))

    @classmethod
    def algorithm(cls, options, sigma, psi_full=None) -> Derived:
        order = options["order"]
        ell, steps = cls.loss_steps(options, sigma)
        psi1 = -sp.diff(ell, Z)
        psi1 = sp.expand(psi1) if psi_full is None or sigma.is_polynomial(Z) else psi1
        z_tilde = Z + ETA * Q * psi1
        step = psi1.subs(Z, z_tilde) if not sigma.has(GENERIC_STUDENT) else None
        steps.append(DerivationStep("psi_1 = -dl/dz at w", psi1, r"\psi_1 = -\partial_z \ell", r"first step, at $w$"))
        steps.append(DerivationStep("<w~, x> = z + eta q psi_1", z_tilde, r"\langle \tilde w, x\rangle",
                                    r"inner step with $\eta$: $\tilde w = w + \eta\,\psi_1 P_w^\perp x$, "
                                    r"$q = \|P_w^\perp x\|^2 = \|x\|^2 - z^2$"))
        steps.append(DerivationStep("psi = psi_1(y, <w~, x>)", step,
                                    r"\psi = \psi_1\bigl(y, \langle \tilde w, x\rangle\bigr)",
                                    r"second step, gradient at $\tilde w$"))
        if psi_full is None:
            delta = ETA * D * psi1
            taylor = sp.Integer(0)
            deriv = psi1
            for j in range(order):
                taylor += deriv * delta**j / sp.factorial(j)
                deriv = sp.diff(deriv, Z)
            psi_full = sp.expand(taylor)
        steps.append(DerivationStep(f"Taylor to order {order} in eta d (q -> d)", psi_full, r"\psi",
                                    rf"Taylor expansion to order ${order}$ in $\eta d$, with $q \to d$ "
                                    r"($\|x\|^2 \approx d$)"))
        return Derived(step, A, psi_full, tuple(steps))
