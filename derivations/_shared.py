r"""Helpers shared by the derivation scripts (not a derivation itself).

Everything here is computed from definitions, independently of the package's own code
paths, so that a derivation can compare its result with :mod:`theory.drift` and
:mod:`theory.predict` as a genuine second opinion:

* :func:`gaussian_expectation` -- exact ``E[poly]`` over independent standard Gaussians from
  the moments ``E[g^(2j)] = (2j-1)!!`` (no quadrature, no Hermite tables);
* :func:`he` -- SymPy's own ``hermite_prob`` (not :func:`theory.links.hermite_polynomial`);
* :func:`mu_by_moments` -- ``mu_i = E[psi(sigma_*(g1), g2) He_i(g1) He_{i-1}(g2)] / (i!(i-1)!)``;
* :func:`exponent_curve` -- the theorem's ``log_d T = min_i (i-1) v 1 - 2 log_d mu_i`` with
  ``eta = d^-alpha``, as the lower envelope of exact lines in ``alpha``, only over indices
  whose leading term is positive.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import sympy as sp

_ROOT = Path(__file__).resolve().parents[1]
if str(_ROOT) not in sys.path:  # scripts run from anywhere find the package
    sys.path.insert(0, str(_ROOT))

from theory.latex import standalone  # noqa: E402
from theory.symbols import D, ETA, Y, Z  # noqa: E402

__all__ = ["G1", "G2", "claim", "gaussian_expectation", "he", "mu_by_moments", "mu_by_joint_moments", "exponent_curve", "Segment", "thresholds",
           "write_tex", "default_outdir"]

G1, G2 = sp.symbols("g1 g2", real=True)
ALPHA = sp.Symbol("alpha", real=True)


def claim(name: str, condition, message: str) -> None:
    """Raise ``AssertionError`` with a clear message unless ``condition`` (survives ``python -O``)."""
    if not condition:
        raise AssertionError(f"{name}: claim failed: {message}")


def gaussian_expectation(expr, variables) -> sp.Expr:
    """``E[expr]`` for independent standard Gaussians ``variables``: ``E[g^n] = (n-1)!!`` (0 for odd n)."""
    poly = sp.Poly(sp.expand(expr), *variables)
    total = sp.Integer(0)
    for monom, coeff in poly.terms():
        if any(n % 2 for n in monom):
            continue
        total += coeff * sp.Mul(*[sp.factorial2(n - 1) for n in monom])
    return sp.expand(total)


def he(k, x=Z) -> sp.Expr:
    """Probabilists' Hermite polynomial from SymPy (independent of :mod:`theory.links`)."""
    return sp.expand(sp.hermite_prob(k, x))


def mu_by_moments(psi, target, i, noise=0) -> sp.Expr:
    """``E[psi(target(g1) + zeta, g2) He_i(g1) He_{i-1}(g2)] / (i! (i-1)!)`` by exact moments.

    ``psi`` is a polynomial in ``y``, ``psi = sum_k y^k c_k(z)``; since ``g1`` (with the
    label noise) and ``g2`` are independent, each term factorises (Fubini):
    ``E[y^k He_i(g1)] E[c_k(g2) He_{i-1}(g2)]``.
    """
    label = target.subs(Z, G1)
    variables = (G1,)
    if noise:
        zeta = sp.Symbol("g3", real=True)
        label = label + noise * zeta
        variables = (G1, zeta)
    total = sp.Integer(0)
    for (k,), c_k in sp.Poly(sp.expand(psi), Y).terms():
        first = gaussian_expectation(sp.expand(label**k) * he(i, G1), variables)
        if first == 0:
            continue
        total += first * gaussian_expectation(sp.expand(c_k.subs(Z, G2)) * he(i - 1, G2), (G2,))
    return sp.expand(total / (sp.factorial(i) * sp.factorial(i - 1)))


def mu_by_joint_moments(psi, target, i) -> sp.Expr:
    """The same ``mu_i`` without factorising ``psi``: one expectation over ``(g1, g2)`` jointly.

    ``psi(target(g1), g2)`` is expanded once into monomials ``g1^r g2^s``; each contributes
    its coefficient times ``E[g1^r He_i(g1)] E[g2^s He_{i-1}(g2)]`` (moments of independent
    Gaussians).
    """
    poly = sp.Poly(sp.expand(psi.subs(Z, G2).subs(Y, target.subs(Z, G1))), G1, G2)
    first = _hermite_moments(i, poly.degree(G1))
    second = _hermite_moments(i - 1, poly.degree(G2))
    total = sp.Add(*[c * first[r] * second[s] for (r, s), c in poly.terms() if first[r] and second[s]])
    return sp.expand(total / (sp.factorial(i) * sp.factorial(i - 1)))


def _hermite_moments(k: int, rmax: int) -> list[sp.Integer]:
    """``E[g^r He_k(g)]`` for ``r = 0..rmax`` from the moments ``(n-1)!!``."""
    coeffs = sp.Poly(he(k, G1), G1).all_coeffs()[::-1]
    out = []
    for r in range(rmax + 1):
        out.append(sp.Add(*[c * (sp.factorial2(r + n - 1) if (r + n) % 2 == 0 else 0)
                            for n, c in enumerate(coeffs)]))
    return out


@dataclass(frozen=True)
class Segment:
    """``alpha_lo <= alpha <= alpha_hi`` (``None``: unbounded): index ``index`` wins with
    ``log_d T = slope * alpha + intercept``."""

    alpha_lo: sp.Expr
    alpha_hi: sp.Expr | None
    index: int
    slope: sp.Expr
    intercept: sp.Expr


def _terms(expr):
    poly = sp.Poly(sp.expand(expr), ETA, D)
    return [(int(e), int(f), c) for (e, f), c in zip(poly.monoms(), poly.coeffs())]


def _leading(terms, alpha):
    top = max(f - alpha * e for e, f, _c in terms)
    lead = [(e, f, c) for e, f, c in terms if f - alpha * e == top]
    return top, sum(c for _e, _f, c in lead), lead[0]


def exponent_curve(mu: dict, alpha_lo=sp.Integer(0)) -> list[Segment]:
    """The theorem's exponent curve ``e(alpha) = log_d min_i mu_i^-2 d^((i-1) v 1)``, exactly.

    With ``eta = d^-alpha`` a term ``c eta^e d^f`` of ``mu_i`` is of order ``d^(f - alpha e)``, so
    ``log_d T_i = (i-1) v 1 - 2 max_terms (f - alpha e)`` is the lower envelope of lines
    ``(i-1) v 1 - 2 f + 2 e alpha``.  Breakpoints are the pairwise intersections of all lines;
    on each interval the winner is found at the midpoint, among the indices whose leading
    coefficient is positive (an index with a negative leading term pushes ``m`` the wrong way).
    """
    lines = {i: _terms(v) for i, v in mu.items() if sp.expand(v) != 0}
    all_lines = [(sp.Integer(2 * e), sp.Integer(max(i - 1, 1) - 2 * f)) for i, ts in lines.items() for e, f, _ in ts]
    points = set()
    for a, (s1, b1) in enumerate(all_lines):
        for s2, b2 in all_lines[a + 1:]:
            if s1 != s2:
                x = (b2 - b1) / (s1 - s2)
                if x > alpha_lo:
                    points.add(x)
    edges = [alpha_lo] + sorted(points) + [None]
    segments: list[Segment] = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        mid = lo + 1 if hi is None else (lo + hi) / 2
        best = None
        for i, ts in lines.items():
            top, coeff, (e, f, _c) = _leading(ts, mid)
            if not coeff > 0:
                continue
            value = max(i - 1, 1) - 2 * top
            if best is None or value < best[0]:
                best = (value, i, sp.Integer(2 * e), sp.Integer(max(i - 1, 1) - 2 * f))
        if best is None:
            continue
        _v, i, slope, intercept = best
        if segments and (segments[-1].index, segments[-1].slope, segments[-1].intercept) == (i, slope, intercept):
            segments[-1] = Segment(segments[-1].alpha_lo, hi, i, slope, intercept)
        else:
            segments.append(Segment(lo, hi, i, slope, intercept))
    return segments


def thresholds(segments: list[Segment]) -> list[tuple[sp.Expr, int, int]]:
    """``(alpha, index below, index above)`` where the winner changes, in the direction of growing eta."""
    out = [(upper.alpha_lo, upper.index, lower.index)
           for lower, upper in zip(segments[:-1], segments[1:]) if upper.index != lower.index]
    return out[::-1]


def write_tex(name: str, outdir, fragment: str) -> Path:
    """Write ``name.tex`` (the fragment) and ``name_doc.tex`` (a document that ``\\input``s it)."""
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.tex"
    path.write_text(fragment, encoding="utf-8")
    (out / f"{name}_doc.tex").write_text(standalone(rf"\input{{{name}.tex}}"), encoding="utf-8")
    return path


def default_outdir() -> Path:
    """``out/derivations`` at the repository root (gitignored)."""
    return _ROOT / "out" / "derivations"
