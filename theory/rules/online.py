"""Online SGD: one gradient step per fresh sample.

Role: the ``online`` rule class.  ``psi = -d/dz l(a sigma(z), y)``; with the correlation loss
``psi = a y sigma'(z)``, which does not depend on ``eta``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import sympy as sp

from theory.rules.base import DerivationStep, Derived, GradientRule, register
from theory.symbols import A, Z

__all__ = ["Online"]

#: The gradient step's derivation record (shared by the rules that take one plain step).
GRADIENT_STEP = ("psi = -dl/dz", r"\psi = -\partial_z \ell", "one gradient step")


@register
@dataclass(frozen=True)
class Online(GradientRule):
    """Online SGD: ``w <- normalise(w - gamma P_w^perp grad_w l)`` on each fresh sample.

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> make_rule("online", "He3").psi
    3*a*y*z**2 - 3*a*y
    >>> make_rule("online", "He3").eta_range
    (-oo, 'psi does not depend on eta')
    """

    name: ClassVar[str] = "online"
    help: ClassVar[str] = "one gradient step per fresh sample: psi = -dl/dz"
    alpha_min: ClassVar[sp.Expr] = -sp.oo
    alpha_reason: ClassVar[str] = "psi does not depend on eta"
    eta_independent: ClassVar[bool] = True

    @classmethod
    def algorithm(cls, options, sigma, psi_full=None) -> Derived:
        ell, steps = cls.loss_steps(options, sigma)
        psi1 = -sp.diff(ell, Z)
        psi1 = sp.expand(psi1) if psi_full is None or sigma.is_polynomial(Z) else psi1
        step = psi1 if psi_full is None else psi_full
        steps.append(DerivationStep(GRADIENT_STEP[0], step, *GRADIENT_STEP[1:]))
        return Derived(step, A, step, tuple(steps))
