"""Drift coefficients ``mu_i(eta)`` of an update rule, exactly.

With ``theta = m w + sqrt(1 - m^2) v`` and a fresh sample, the population drift of the
overlap is (THEORY.md section 4; re-derived in ``derivations/general_theorem.py``)

    E[<theta, psi P_w^perp x>] = E[psi(y, z) (u - m z)] = (1 - m^2) sum_i i! mu_i m^(i-1),
    mu_i = E[psi(sigma_*(a) + zeta, b) He_i(a) He_{i-1}(b)] / (i! (i-1)!),

``a, b`` independent standard Gaussians.  When ``psi`` is a polynomial in ``y``,
``psi = sum_k y^k g_k(z)``, the expectation factorises:

    mu_i = sum_k u_i(E[y^k | z]) u_{i-1}(g_k),

so every ``mu_i`` is a finite sum of products of exact Hermite coefficients
(``He_k`` basis) -- a polynomial in ``eta``, ``d`` and ``a`` with exact coefficients.
"""
from __future__ import annotations

import sympy as sp

from theory.errors import RuleError
from theory.exponents import conditional_power
from theory.hermite import exact_coefficients
from theory.rules import A, Y, Rule

__all__ = ["M", "drift_coefficients", "drift_polynomial", "psi_moment", "psi_second_moment", "label_moments"]

#: The overlap ``m = <w, theta>``.
M = sp.Symbol("m", real=True)


def _y_parts(psi: sp.Expr) -> dict[int, sp.Expr]:
    expanded = sp.expand(psi)
    if not expanded.is_polynomial(Y):
        raise RuleError(f"psi = {psi} is not a polynomial in y; exact drift needs psi polynomial in y")
    poly = sp.Poly(expanded, Y)
    return {int(k[0]): c for k, c in zip(poly.monoms(), poly.coeffs())}


def drift_coefficients(rule: Rule, imax: int = 8, *, symbolic_a: bool = False) -> dict[int, sp.Expr]:
    """Exact ``mu_1 .. mu_imax`` as expressions in ``eta``, ``d`` (and ``a`` if ``symbolic_a``).

    Examples
    --------
    >>> from theory.rules import make_rule, ETA
    >>> mu = drift_coefficients(make_rule("alternating", "He3", "He3"), 4)
    >>> mu[2], mu[3]
    (324*eta, 3)
    >>> drift_coefficients(make_rule("online", "He3", "He3"), 3)
    {1: 0, 2: 0, 3: 3}
    """
    if isinstance(imax, bool) or not isinstance(imax, int) or not 1 <= imax <= 60:
        raise RuleError(f"imax must be an integer in [1, 60], got {imax!r}")
    psi = rule.psi if symbolic_a else rule.psi_at()
    parts = _y_parts(psi)
    mu = {i: sp.Integer(0) for i in range(1, imax + 1)}
    for k, g in parts.items():
        if k == 0:
            continue  # label-free: no drift
        u_label = exact_coefficients(conditional_power(rule.target, k), imax)
        u_g = exact_coefficients(g, imax - 1)
        for i in range(1, imax + 1):
            if u_label[i] != 0 and u_g[i - 1] != 0:
                mu[i] += u_label[i] * u_g[i - 1]
    return {i: sp.factor_terms(sp.expand(v)) for i, v in mu.items()}


def drift_polynomial(rule: Rule, imax: int = 8, *, symbolic_a: bool = False) -> sp.Expr:
    """``(1 - m^2) sum_{i <= imax} i! mu_i m^(i-1)`` in the overlap ``m`` (symbol :data:`M`)."""
    mu = drift_coefficients(rule, imax, symbolic_a=symbolic_a)
    return sp.expand((1 - M**2) * sum(sp.factorial(i) * mu[i] * M ** (i - 1) for i in mu))


def label_moments(rule: Rule, nmax: int) -> list[sp.Expr]:
    """Exact ``E[y^n]`` for ``n = 0..nmax`` (``y = sigma_*(u) + zeta``, ``u ~ N(0,1)``)."""
    return [exact_coefficients(conditional_power(rule.target, n), 0)[0] if n else sp.Integer(1)
            for n in range(nmax + 1)]


def psi_moment(rule: Rule, power: int, *, symbolic_a: bool = False) -> sp.Expr:
    """Exact ``E[psi_full(y, z)^power]`` at overlap ``m = 0`` (``y`` independent of ``z``).

    ``psi^p = sum_k y^k G_k(z)`` gives ``E[psi^p] = sum_k E[y^k] E[G_k(z)]``, both exact.

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> psi_moment(make_rule("online", "h3", "h3"), 4)  # E[y^4] E[s'^4] = (3348/36) * (81*60/36)
    12555
    """
    if isinstance(power, bool) or not isinstance(power, int) or power < 1:
        raise RuleError(f"power must be a positive integer, got {power!r}")
    psi = rule.psi_full if symbolic_a else rule.psi_full.subs(A, rule.a)
    parts = _y_parts(sp.expand(psi**power))
    moments = label_moments(rule, max(parts))
    total = sum((moments[k] * exact_coefficients(g, 0)[0] for k, g in parts.items()), sp.Integer(0))
    return sp.factor_terms(sp.expand(total))


def psi_second_moment(rule: Rule, *, symbolic_a: bool = False) -> sp.Expr:
    """Exact ``E[psi_full(y, z)^2]`` at overlap ``m = 0`` (``y`` independent of ``z``).

    This is the normalisation cost that the step size has to balance (THEORY.md section 7).
    It keeps the label-free part of ``psi``, which adds noise although no drift.

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> psi_second_moment(make_rule("online", "He3", "He3"))
    108
    """
    return psi_moment(rule, 2, symbolic_a=symbolic_a)
