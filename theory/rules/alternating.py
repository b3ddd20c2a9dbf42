"""Alternating (layer-wise) SGD, Algorithm 2.

Role: the ``alternating`` rule class.  ``a~ = a - eta dl/da`` first, then the first layer with
``a~``: ``psi = -d/dz l(a~ sigma(z), y)``.  The second layer is reset to ``a`` after each step
(``keep_a=False``, the form the paper reports) or keeps ``a~`` (``keep_a=True``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import sympy as sp

from theory.rules.base import DerivationStep, Derived, GradientRule, register
from theory.symbols import A, ETA, Z

__all__ = ["Alternating"]


@register
@dataclass(frozen=True)
class Alternating(GradientRule):
    """Alternating SGD: the second layer steps first, the first layer uses the updated ``a~``.

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> make_rule("alternating", "He2", keep_a=True).a_next
    a + eta*y*z**2 - eta*y
    """

    name: ClassVar[str] = "alternating"
    help: ClassVar[str] = "Algorithm 2 (layer-wise): a~ = a - eta dl/da, then psi = -dl/dz with a~"
    options: ClassVar[dict] = {"loss": "correlation", "keep_a": False}

    def algorithm_label(self) -> str:
        kept = ", second layer kept" if self.keep_a else ", second layer reset"
        return f"{self.name} SGD ({self.loss} loss{kept})"

    @classmethod
    def algorithm(cls, options, sigma, psi_full=None) -> Derived:
        ell, steps = cls.loss_steps(options, sigma)
        a_tilde = sp.expand(A - ETA * sp.diff(ell, A))
        steps.append(DerivationStep("a~ = a - eta dl/da", a_tilde, r"\tilde a = a - \eta\,\partial_a \ell",
                                    r"second layer first, with $\eta$"))
        step = sp.expand((-sp.diff(ell, Z)).subs(A, a_tilde)) if psi_full is None else psi_full
        steps.append(DerivationStep("psi = -dl/dz with a~", step,
                                    r"\psi = -\partial_z \ell\bigl(y, \tilde a\sigma(z)\bigr)",
                                    r"first layer, using $\tilde a$"))
        return Derived(step, a_tilde if options["keep_a"] else A, step, tuple(steps))
