r"""Online SGD on transformed labels ``T(y)``: the demonstration that a new rule is one class.

Role: the ``online-transform`` rule class.  Each fresh sample takes one gradient step of the loss
on the label ``T(y)``, a polynomial in ``y`` given as text (option ``transform``), so ``psi``
stays polynomial in ``y`` as :mod:`theory.drift` needs.

Derivation of the drift coefficients
------------------------------------
With the correlation loss ``l = -T(y) a sigma(z)`` the step is ``psi = -dl/dz = a T(y) sigma'(z)``.
The drift coefficient (docs/theory.md, section 4), with ``y = sigma_*(g) + zeta`` and ``g, g'``
independent standard Gaussians, factorises because ``T(y)`` depends on ``g`` and ``sigma'`` on ``g'``:

    mu_i = E[a T(y) sigma'(g') He_i(g) He_{i-1}(g')] / (i! (i-1)!)
         = a u_i(tau) u_{i-1}(sigma'),        tau(g) = E[T(sigma_*(g) + zeta) | g].

Stein's identity ``E[sigma'(g) He_{i-1}(g)] = E[sigma(g) He_i(g)]`` gives
``u_{i-1}(sigma') = i! u_i(sigma) / (i-1)! = i u_i(sigma)``, hence the closed form

    mu_i = a i u_i(tau) u_i(sigma),           tau = T o sigma_*  without label noise.

It does not depend on ``eta`` (one plain gradient step), so the curve is flat and the winning
index is the smallest ``i`` with ``u_i(T o sigma_*) u_i(sigma) > 0``, weighted by
``d^((i-1) v 1) / mu_i^2``.  The transform lowers the effective information exponent from that
of ``sigma_*`` to that of ``T o sigma_*``, the mechanism behind the generative exponent: for
``sigma_* = He_3`` and ``T(y) = y^2``, ``He_3^2 = He_6 + 9 He_4 + 18 He_2 + 6``, so
``u_2(T o sigma_*) = 18`` and index 2 is available (``d^1`` instead of ``d^2``) to a student
with ``u_2(sigma) != 0``.

With the squared loss ``l = (T(y) - a sigma)^2 / 2``, ``psi = a T(y) sigma' - a^2 sigma sigma'``;
the second term has no ``y`` and drops from the drift, so ``mu_i`` are the same.

Examples
--------
>>> from theory.rules import make_rule
>>> r = make_rule("online-transform", "He3", "He2", transform="y**2")
>>> r.psi, r.label
(2*a*y**2*z, 'online-transform SGD (correlation loss, T(y) = y**2), target He3, student He2')
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import ClassVar

import sympy as sp

from theory.errors import LinkError, RuleError
from theory.links import parse_expression
from theory.rules.base import DerivationStep, register
from theory.rules.calculus import loss_expr
from theory.rules.online import Online
from theory.symbols import A, Y

__all__ = ["OnlineTransform", "TRANSFORM_MAX_DEGREE", "parse_transform"]

#: Highest degree in ``y`` of a label transform (as for a custom ``psi``).
TRANSFORM_MAX_DEGREE = 6


@lru_cache(maxsize=64)
def parse_transform(text) -> sp.Expr:
    """Parse a label transform ``T(y)``: a non-constant polynomial in ``y`` of degree at most 6.

    Examples
    --------
    >>> parse_transform("y**2 - 1")
    y**2 - 1
    >>> parse_transform("exp(y)")
    Traceback (most recent call last):
    ...
    theory.errors.RuleError: --transform 'exp(y)' must be a polynomial in y of degree 1 to 6
    """
    if not isinstance(text, str):
        raise RuleError(f"--transform must be a string, got {type(text).__name__}")
    try:
        expr = sp.expand(parse_expression(text, {"y": Y}, what="transform", allow_names=False))
    except LinkError as exc:
        raise RuleError(f"--transform {text!r}: {exc}") from None
    if not expr.is_polynomial(Y) or not 1 <= sp.degree(expr, Y) <= TRANSFORM_MAX_DEGREE:
        raise RuleError(f"--transform {text!r} must be a polynomial in y of degree 1 to {TRANSFORM_MAX_DEGREE}")
    return expr


@register
@dataclass(frozen=True)
class OnlineTransform(Online):
    """Online SGD on the label ``T(y)`` (option ``transform``, required); see the module docstring."""

    name: ClassVar[str] = "online-transform"
    help: ClassVar[str] = "online SGD on the transformed label T(y), a polynomial in y: psi = a T(y) sigma'"
    options: ClassVar[dict] = {"loss": "correlation", "transform": None}
    option_help: ClassVar[dict] = {"transform": "online-transform only (required there): the label transform T(y), a "
                                                "polynomial in y of degree 1 to 6 (default: none)"}

    transform: str | None = field(default=None, compare=False)

    def algorithm_label(self) -> str:
        return f"{self.name} SGD ({self.loss} loss, T(y) = {parse_transform(self.transform)})"

    @classmethod
    def label_of(cls, options) -> sp.Expr:
        return parse_transform(options["transform"])

    @classmethod
    def loss_steps(cls, options, sigma):
        loss, t = options["loss"], cls.label_of(options)
        ell = loss_expr(loss, A * sigma, t)
        return ell, [DerivationStep("transformed label T(y)", t, "T(y)", "label transform"),
                     DerivationStep(f"{loss} loss l(T(y), a sigma(z))", ell, r"\ell\bigl(T(y), a\sigma(z)\bigr)",
                                    f"{loss} loss on the transformed label")]

    @classmethod
    def build(cls, target, student, a, options):
        if not options.get("transform"):
            raise RuleError("the online-transform rule needs --transform, a polynomial in y such as 'y**2'")
        parse_transform(options["transform"])
        return super().build(target, student, a, options)
