"""The calculus the rules share: losses, the generic student, and a student's derivatives.

Role: the pieces every rule class uses to derive ``psi`` from its algorithm -- the two losses,
the generic student ``sigma(z)`` whose derivatives stand for any student
(:data:`SIGMA_DERIVATIVES`), the derivatives of a concrete student with their classical order
(a Dirac delta at a jump or kink ends it), and the split of ``psi`` into its label-dependent
and label-free parts.
"""
from __future__ import annotations

import sympy as sp

from theory.errors import RuleError
from theory.links import Link
from theory.symbols import Y, Z

__all__ = ["LOSSES", "MAX_ORDER", "SIGMA_DERIVATIVES", "GENERIC_STUDENT", "loss_expr", "split_label_free",
           "smooth_suggestion", "classical_part", "generic_to_symbols", "student_derivatives"]

LOSSES = ("correlation", "squared")
#: Highest expansion order a rule may use (batch reuse's ``--order``).
MAX_ORDER = 10

#: ``sigma_n`` stands for the ``n``-th derivative of a generic student in :attr:`Rule.psi_generic`.
SIGMA_DERIVATIVES = tuple(sp.Symbol(f"sigma_{n}", real=True) for n in range(MAX_ORDER + 2))

#: The generic student ``sigma``; ``GENERIC_STUDENT(Z)`` is the expression rules are derived for once.
GENERIC_STUDENT = sp.Function("sigma")


def loss_expr(kind: str, prediction: sp.Expr, label: sp.Expr) -> sp.Expr:
    """The loss on one sample: ``correlation`` ``-label * prediction``, ``squared`` ``(label - prediction)^2 / 2``.

    Examples
    --------
    >>> loss_expr("squared", Z, Y)
    (y - z)**2/2
    """
    if kind == "correlation":
        return -label * prediction
    if kind == "squared":
        return (label - prediction) ** 2 / 2
    raise RuleError(f"unknown loss {kind!r}; choose one of {', '.join(LOSSES)}")


def split_label_free(psi_full: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """``(label-dependent part, label-free part)`` of an expanded ``psi`` (the terms without ``y``).

    Examples
    --------
    >>> split_label_free(Y * Z + Z**2)
    (y*z, z**2)
    """
    expanded = sp.expand(psi_full)
    label_free = sp.Add(*[t for t in sp.Add.make_args(expanded) if Y not in t.free_symbols])
    return sp.expand(expanded - label_free), label_free


def smooth_suggestion(student: Link) -> str:
    """A smooth student to suggest in place of one with a jump or a kink."""
    expr = student.expr
    if expr.has(sp.sign):
        return "tanh(8*z) for sign(z)"
    if expr.has(sp.Heaviside):
        return "sigmoid(8*z) for Heaviside(z)"
    return "tanh, erf or a polynomial"


def classical_part(expr: sp.Expr) -> sp.Expr | None:
    """``expr`` as a function of ``z``, or ``None`` when it contains a Dirac delta (or an
    unevaluated derivative).

    A term ``h(z) DiracDelta(z - c)`` with ``h`` continuous at ``c`` and ``h(c) = 0`` is the zero
    distribution and is dropped (``2 z DiracDelta(z)`` in the second derivative of ``z |z|``).

    Examples
    --------
    >>> classical_part(2 * Z * sp.DiracDelta(Z) + Z), classical_part(sp.DiracDelta(Z))
    (z, None)
    """
    if not expr.has(sp.DiracDelta, sp.Derivative, sp.Subs):
        return expr
    kept = []
    for term in sp.Add.make_args(sp.expand(expr)):
        if not term.has(sp.DiracDelta, sp.Derivative, sp.Subs):
            kept.append(term)
            continue
        deltas = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.DiracDelta)]
        if len(deltas) != 1 or len(deltas[0].args) != 1 or term.has(sp.Derivative, sp.Subs):
            return None
        arg = deltas[0].args[0]
        h = term / deltas[0]
        if h.has(sp.DiracDelta, sp.sign, sp.Heaviside, sp.Piecewise, sp.Max, sp.Min) \
                or not arg.is_polynomial(Z) or sp.degree(arg, Z) != 1:
            return None
        c = sp.solve(arg, Z)[0]
        value = h.subs(Z, c)
        if value != 0:
            return None  # a genuine delta (or h is not finite at c)
    return sp.Add(*kept)


def generic_to_symbols(expr: sp.Expr, order: int) -> sp.Expr:
    """Replace ``sigma(z)`` and its derivatives up to ``order`` by :data:`SIGMA_DERIVATIVES`.

    Examples
    --------
    >>> s = GENERIC_STUDENT(Z)
    >>> generic_to_symbols(Y * sp.diff(s, Z) * s, 1)
    sigma_0*sigma_1*y
    """
    s = GENERIC_STUDENT(Z)
    mapping = {sp.Derivative(s, (Z, n)): SIGMA_DERIVATIVES[n] for n in range(order + 1, 0, -1)}
    mapping[s] = SIGMA_DERIVATIVES[0]
    out = sp.expand(expr.xreplace(mapping))
    if out.has(GENERIC_STUDENT):
        raise RuleError(f"internal: could not write psi in terms of the student's derivatives: {out}")
    return out


def student_derivatives(student: Link, order: int) -> tuple[tuple, int]:
    """``(sigma^(0..order), classical order)``; derivatives beyond the classical order are raw SymPy.

    Examples
    --------
    >>> from theory.links import parse_link
    >>> student_derivatives(parse_link("He3"), 2)
    ((z**3 - 3*z, 3*z**2 - 3, 6*z), 2)
    """
    derivs, p = [student.expr], 0
    for n in range(1, order + 1):
        raw = sp.diff(derivs[-1], Z)
        clean = classical_part(raw)
        if clean is None or p < n - 1:
            derivs.append(raw)
        else:
            derivs.append(clean)
            p = n
    return tuple(derivs), p
