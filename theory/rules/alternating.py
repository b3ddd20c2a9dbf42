r"""Alternating (layer-wise) SGD, Algorithm 2, and its deep layer-wise variant (option ``depth``).

Role: the ``alternating`` rule class.  ``a~ = a - eta dl/da`` first, then the first layer with
``a~``: ``psi = -d/dz l(a~ sigma(z), y)``.  The second layer is reset to ``a`` after each step
(``keep_a=False``, the form the paper reports) or keeps ``a~`` (``keep_a=True``).

Deep layer-wise variant (``depth = D``, an integer in 2..8; ``D = 2`` is Algorithm 2 above)
-------------------------------------------------------------------------------------------
Network: ``f(x) = b_{D-1} ... b_2 b_1 sigma(<w, x>)`` with ``D - 1`` scalar layers; the layer
next to the neuron is the second layer, ``b_1 = a``, and ``b_2 = ... = b_{D-1} = 1`` at the start
of every step (all of them are reset after it).  Loss: the correlation loss ``l = -y f(x)``.

Order of the updates on one sample:

1. the ``D - 1`` scalar layers step **simultaneously** with ``eta``, each gradient taken at the
   current values (each layer sees the others at their start values):
   ``b~_1 = a + eta y sigma(z)`` and ``b~_j = 1 + eta a y sigma(z)`` for ``j >= 2``;
2. then the first layer steps with ``gamma``, using the product of the updated layers:
   ``psi = -dl/dz |_{b~} = y sigma'(z) (a + eta y sigma)(1 + eta a y sigma)^(D-2)``.

For ``a = 1``: ``psi = y sigma' (1 + eta y sigma)^(D-1)
= sum_{i=1}^{D} C(D-1, i-1) eta^(i-1) y^i sigma^(i-1) sigma'``, a polynomial of degree ``D`` in
``y``, so the ``i``-th term reaches the exponent ``p_i = IE(sigma_*^i)``.  With Stein's identity
(``sigma^(i-1) sigma' = (sigma^i)'/i``), ``mu_j = sum_i C(D-1, i-1) eta^(i-1) (j/i) u_j(sigma_*^i)
u_j(sigma^i)``.  ``D = 2`` gives Algorithm 2's ``psi`` exactly.

Why simultaneous: updating the layers one after the other (``b_1`` first, then ``b_2`` with
``b~_1``, ...) doubles the ``y``-degree at each layer, ``2^(D-1)`` in all; the reported "terms in
``y^i`` for ``i <= D``" is the simultaneous form (``derivations/deep_alternating.py`` derives both).
Only the correlation loss and a reset second layer are derived for ``D > 2``: ``--loss squared``
and ``--keep-a`` with ``--depth`` above 2 are refused.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

import sympy as sp

from theory.errors import RuleError
from theory.rules.base import DerivationStep, Derived, GradientRule, register
from theory.symbols import A, ETA, Y, Z

__all__ = ["Alternating", "MAX_DEPTH", "depth_option"]

#: Largest ``depth`` of the deep variant (``psi`` has ``y``-degree ``depth``).
MAX_DEPTH = 8


def depth_option(value) -> int:
    """The ``depth`` option as an int in ``2..MAX_DEPTH`` (an int, or its decimal text from the CLI).

    Examples
    --------
    >>> depth_option("3"), depth_option(2)
    (3, 2)
    >>> depth_option("1")
    Traceback (most recent call last):
    ...
    theory.errors.RuleError: --depth must be an integer in 2..8, got '1'
    """
    if isinstance(value, str) and re.fullmatch(r"\s*[+]?[0-9]{1,3}\s*", value):
        number = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        number = None
    if number is None or not 2 <= number <= MAX_DEPTH:
        shown = value if isinstance(value, (str, int)) and len(str(value)) <= 40 else type(value).__name__
        raise RuleError(f"--depth must be an integer in 2..{MAX_DEPTH}, got {shown!r}")
    return number


def layer_chain(depth: int, tilde: bool = False, first: str = "b_1") -> str:
    r"""The product ``b_{D-1} ... b_2 b_1`` in LaTeX (``b_2\, b_1`` at depth 3), optionally with tildes.

    Examples
    --------
    >>> layer_chain(3), layer_chain(5, first="a")
    ('b_2\\, b_1', 'b_{4}\\cdots b_2\\, a')
    """
    t = (lambda x: r"\tilde " + x) if tilde else (lambda x: x)
    if first == "b_1" and tilde:
        first = r"\tilde b_1"
    top = t("b_2") if depth == 3 else t(f"b_{{{depth - 1}}}") + r"\cdots " + t("b_2")
    return top + r"\, " + first


def layer_symbols(depth: int) -> tuple:
    """The scalar layers ``b_1 .. b_{depth-1}`` as SymPy symbols."""
    return tuple(sp.Symbol(f"b_{j}", real=True) for j in range(1, depth))


@register
@dataclass(frozen=True)
class Alternating(GradientRule):
    """Alternating SGD: the second layer steps first, the first layer uses the updated ``a~``.

    With ``depth = D > 2`` the ``D - 1`` scalar layers step simultaneously first (see the module
    docstring).

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> make_rule("alternating", "He2", keep_a=True).a_next
    a + eta*y*z**2 - eta*y
    >>> make_rule("alternating", "He1", depth=3).psi
    a**2*eta*y**2*z + a*eta**2*y**3*z**2 + a*y + eta*y**2*z
    """

    name: ClassVar[str] = "alternating"
    help: ClassVar[str] = ("Algorithm 2 (layer-wise): a~ = a - eta dl/da, then psi = -dl/dz with a~; --depth D: "
                           "D - 1 scalar layers step together first")
    options: ClassVar[dict] = {"loss": "correlation", "keep_a": False, "depth": 2}
    option_help: ClassVar[dict] = {"depth": f"alternating only: depth D of the layer-wise network f = b_(D-1) ... "
                                            f"b_2 a sigma(w.x); its D - 1 scalar layers step simultaneously with "
                                            f"eta, then the first layer (an integer in 2..{MAX_DEPTH}; default 2, "
                                            f"Algorithm 2; above 2 only the correlation loss and a reset layer)"}

    depth: int = 2

    def algorithm_label(self) -> str:
        kept = ", second layer kept" if self.keep_a else ", second layer reset"
        deep = "" if self.depth == 2 else f", depth {self.depth}, layers stepped together"
        return f"{self.name} SGD ({self.loss} loss{deep}{kept})"

    @classmethod
    def resolve_options(cls, given: dict) -> dict:
        resolved = super().resolve_options(given)
        depth = resolved["depth"] = depth_option(resolved["depth"])
        if depth > 2 and resolved["loss"] != "correlation":
            raise RuleError(f"--depth {depth} is derived for the correlation loss only; --loss "
                            f"{resolved['loss']} applies with --depth 2")
        if depth > 2 and resolved["keep_a"]:
            raise RuleError(f"--depth {depth} resets its scalar layers after every step; --keep-a applies with "
                            f"--depth 2 only")
        return resolved

    @classmethod
    def algorithm(cls, options, sigma, psi_full=None) -> Derived:
        depth = options.get("depth", 2)
        if depth != 2:
            return cls._deep_algorithm(depth, sigma, psi_full)
        ell, steps = cls.loss_steps(options, sigma)
        a_tilde = sp.expand(A - ETA * sp.diff(ell, A))
        steps.append(DerivationStep("a~ = a - eta dl/da", a_tilde, r"\tilde a = a - \eta\,\partial_a \ell",
                                    r"second layer first, with $\eta$"))
        step = sp.expand((-sp.diff(ell, Z)).subs(A, a_tilde)) if psi_full is None else psi_full
        steps.append(DerivationStep("psi = -dl/dz with a~", step,
                                    r"\psi = -\partial_z \ell\bigl(y, \tilde a\sigma(z)\bigr)",
                                    r"first layer, using $\tilde a$"))
        return Derived(step, a_tilde if options["keep_a"] else A, step, tuple(steps))

    @classmethod
    def _deep_algorithm(cls, depth, sigma, psi_full=None) -> Derived:
        """The depth-``D`` step: the scalar layers simultaneously with ``eta``, then the first layer."""
        b = layer_symbols(depth)
        start = {b[0]: A, **{bj: sp.Integer(1) for bj in b[1:]}}
        ell = -Y * sp.Mul(*b) * sigma
        steps = [DerivationStep(f"correlation loss l(y, b_{depth - 1} ... b_2 a sigma(z))", ell.subs(start),
                                r"\ell\bigl(y, " + layer_chain(depth, first="a") + r"\,\sigma(z)\bigr)",
                                rf"correlation loss of the depth-{depth} network, $b_1 = a$, $b_j = 1$ ($j \ge 2$)")]
        tilde = {bj: sp.expand(start[bj] - ETA * sp.diff(ell, bj).subs(start)) for bj in b}
        for j, bj in enumerate(b, start=1):
            if j > 2:
                continue  # b~_3 .. b~_{D-1} equal b~_2
            lhs = r"\tilde a = \tilde b_1" if j == 1 else rf"\tilde b_{{{j}}}"
            text = "a~ = b~_1 = a - eta dl/db_1" if j == 1 else f"b~_{j} = 1 - eta dl/db_{j}"
            note = (r"the scalar layers first, simultaneously, with $\eta$ (each gradient at the others' start "
                    r"values)" if j == 1 else rf"layer {j}" + (r" (and every layer $2 \le j \le " + str(depth - 1)
                                                               + "$)" if j == 2 and depth > 3 else ""))
            steps.append(DerivationStep(text, tilde[bj], lhs, note))
        step = sp.expand((-sp.diff(ell, Z)).subs(tilde)) if psi_full is None else psi_full
        steps.append(DerivationStep("psi = -dl/dz with b~", step,
                                    r"\psi = -\partial_z \ell\bigl(y, " + layer_chain(depth, tilde=True)
                                    + r"\,\sigma(z)\bigr)",
                                    r"then the first layer, using the product of the updated layers"))
        return Derived(step, A, step, tuple(steps))

    def latex_note(self) -> str:
        if self.depth == 2:
            return ""
        dd = self.depth
        return (r"\noindent\textbf{Depth " + str(dd) + r" (layer-wise).} Network $f(x) = " + layer_chain(dd)
                + r"\,\sigma(\langle w, x\rangle)$ with $b_1 = a$ and $b_j = 1$ ($j \ge 2$) at the "
                r"start of every step (all reset after it), correlation loss $\ell = -y f(x)$. Order: the "
                + str(dd - 1) + r" scalar layers step simultaneously with $\eta$, "
                r"$\tilde b_1 = a + \eta y\sigma(z)$, $\tilde b_j = 1 + \eta a y\sigma(z)$, then the first layer "
                r"with $\gamma$ uses their product: $\psi = y\sigma'(z)\,(a + \eta y\sigma)(1 + \eta a y\sigma)^{"
                + str(dd - 2) + r"}$; for $a = 1$, $\psi = \sum_{i=1}^{" + str(dd) + r"} \binom{" + str(dd - 1)
                + r"}{i-1}\eta^{i-1} y^i \sigma^{i-1}\sigma'$, of degree " + str(dd) + r" in $y$, so the $i$-th "
                r"term reaches the exponent $p_i = \mathrm{IE}(\sigma_*^i)$ and "
                r"$\mu_j = \sum_{i} \binom{" + str(dd - 1) + r"}{i-1}\eta^{i-1}\tfrac{j}{i}\,u_j(\sigma_*^i)\,"
                r"u_j(\sigma^i)$. The sample complexity is the minimum over the terms, "
                r"$\min_{i \le " + str(dd) + r"} \eta^{-2(i-1)} d^{(p_i - 1)\vee 1}$ (the fastest escape wins). "
                r"Updating the layers one after the other would give degree $2^{" + str(dd - 1) + r"}$ in $y$ "
                r"instead.")
