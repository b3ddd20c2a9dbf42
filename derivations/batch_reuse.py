r"""Batch-reuse SGD (Algorithm 1): the Taylor form of ``psi``, its ``mu_i``, and the thresholds for ``He_3``.

Derived from the two-step algorithm with SymPy:

1. the inner step ``w~ = w + eta psi_1 P_w^perp x`` gives ``<w~, x> = z + eta q psi_1`` with
   ``q = ||x||^2 - z^2`` (checked with explicit vectors);
2. the outer step uses the gradient at ``w~``: ``psi = psi_1(y, z + eta q psi_1)``.  Its Taylor
   series in ``delta = eta q psi_1``, taken by differentiating a generic (undefined)
   ``sigma`` and with ``q -> d``, is the reported form (docs/theory.md, section 5)

       psi_eta = sum_{k=1}^{r} (eta d)^(k-1) / (k-1)! sigma^(k)(z) sigma'(z)^(k-1) a^k y^k

   (the reported form is written for ``a = 1``), exact for a polynomial ``sigma`` of degree ``r``
   (checked for ``He_3`` against the un-expanded ``psi_1(y, z + eta d psi_1)``);
3. ``mu_i`` by exact Gaussian moments for ``sigma_* = sigma = He_3`` (``a = 1``), checked
   against :func:`theory.drift.drift_coefficients`;
4. the exponent curve ``e(alpha) = log_d T``, ``eta = d^-alpha``, over the valid range
   ``eta d <= 1`` (``alpha >= 1``): index 3 wins for ``alpha > 3/2`` (``T = d^2``), index 2 on
   ``1 <= alpha <= 3/2`` (``T = eta^-2 d^-1``), index 1 ties with index 2 exactly at the edge
   ``alpha = 1`` and would win beyond it; the large-``eta`` exponent ``e(1) = 1 =
   (GE - 1) v 1`` with ``GE(He_3) = 1`` (witness ``u_1(He_3^3) != 0``).  Checked against
   :func:`theory.predict.predict`.  The same large-``eta`` claim is checked for ``He_4``
   (``GE = 2``).

Run ``python derivations/batch_reuse.py``; ``main(outdir)`` returns the derived values.
"""
from __future__ import annotations

import sys
from pathlib import Path

import sympy as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _shared import (G1, claim as _claim, default_outdir, exponent_curve, gaussian_expectation,  # noqa: E402
                     he, mu_by_moments, thresholds, write_tex)

from theory.drift import drift_coefficients  # noqa: E402
from theory.latex import (Mu, OrderedProduct, OrderedSum, PowerProduct, SoftTheta, Student, align_block,  # noqa: E402
                          escape_text, latex)
from theory.predict import predict  # noqa: E402
from theory.rules import make_rule  # noqa: E402
from theory.symbols import A, D, ETA, Q, Y, Z  # noqa: E402

NAME = "batch_reuse"
ORDER = 3  # degree of He_3: the expansion is exact at this order


def claim(condition, message: str) -> None:
    _claim(NAME, condition, message)


def derive_inner_product():
    """``<w~, x> = z + eta q psi_1`` with explicit vectors (``w = e_1`` by rotation invariance)."""
    n = 4
    x = sp.Matrix(sp.symbols(f"x1:{n + 1}", real=True))
    w = sp.Matrix([1] + [0] * (n - 1))
    psi1 = sp.Symbol("psi_1", real=True)
    z = (w.T * x)[0]
    projected = x - z * w  # P_w^perp x
    w_tilde = w + ETA * psi1 * projected
    inner = sp.expand((w_tilde.T * x)[0])
    q = sp.expand((x.T * x)[0] - z**2)
    claim(sp.expand(inner - (z + ETA * q * psi1)) == 0, f"<w~, x> = {inner}, not z + eta q psi_1")
    claim(sp.expand((projected.T * projected)[0] - q) == 0, "||P_w^perp x||^2 != ||x||^2 - z^2")
    return inner


def taylor_form(sigma, order, a=A):
    """the reported form (docs/theory.md, section 5): sum_k (eta d)^(k-1)/(k-1)! sigma^(k) sigma'^(k-1) a^k y^k."""
    ds = sp.diff(sigma, Z)
    return sp.Add(*[(ETA * D) ** (k - 1) / sp.factorial(k - 1) * sp.diff(sigma, Z, k) * ds ** (k - 1) * a**k * Y**k
                    for k in range(1, order + 1)])


def derive_taylor_generic(order=ORDER):
    """Taylor series of psi_1(y, z + delta) in delta = eta d psi_1, for a generic sigma."""
    t = sp.Symbol("t", real=True)
    sigma = Student(Z)
    psi1_shifted = A * Y * sp.diff(Student(Z + t), Z)  # psi_1(y, z + t), correlation loss
    psi1 = A * Y * sp.diff(sigma, Z)
    delta = ETA * D * psi1  # q -> d
    series = sp.Add(*[sp.diff(psi1_shifted, t, j).subs(t, 0).doit() / sp.factorial(j) * delta**j
                      for j in range(order)])
    reference = taylor_form(sigma, order)
    claim(sp.simplify(sp.expand(series - reference)) == 0,
          f"Taylor series of psi_1(y, z + eta d psi_1) is {series}, not the reported form (docs/theory.md, section 5) {reference}")
    return series


def derive_exact_he3(order=ORDER):
    """For sigma = He_3 the series stops: it equals the exact psi_1(y, z + eta d psi_1)."""
    sigma = he(3)
    psi1 = A * Y * sp.diff(sigma, Z)
    exact = sp.expand((A * Y * sp.diff(sigma, Z)).subs(Z, Z + ETA * D * psi1))
    series = sp.expand(taylor_form(sigma, order))
    claim(sp.expand(exact - series) == 0, "the order-3 Taylor form is not exact for He_3")
    shorter = sp.expand(taylor_form(sigma, order - 1))
    claim(sp.expand(exact - shorter) != 0, "order 2 should not be exact for He_3 (sanity)")
    rule = make_rule("batch-reuse", "He3", "He3")
    claim(sp.expand(rule.psi - series) == 0, f"theory.rules psi {rule.psi} differs from the derived {series}")
    step = sp.expand(rule.step.subs(Q, D))
    claim(sp.expand(step - exact) == 0, "theory.rules' exact step differs from psi_1(y, z + eta q psi_1)")
    return series, rule


def derive_mu(series, rule, imax=7):
    psi = series.subs(A, 1)
    mu = {i: mu_by_moments(psi, he(3), i) for i in range(1, imax + 1)}
    package = drift_coefficients(rule, imax)
    claim(all(sp.expand(package[i] - mu[i]) == 0 for i in mu), f"theory.drift {package} != moments {mu}")
    return mu


def derive_thresholds(mu, rule):
    segments = exponent_curve(mu, alpha_lo=sp.Integer(1))
    summary = [(s.alpha_lo, s.alpha_hi, s.index, s.slope, s.intercept) for s in segments]
    claim(summary == [(1, sp.Rational(3, 2), 2, 2, -1), (sp.Rational(3, 2), None, 3, 0, 2)],
          f"exponent curve {summary}, expected index 2 (e = 2 alpha - 1) on [1, 3/2], index 3 (e = 2) above")
    found = thresholds(segments)
    claim(found == [(sp.Rational(3, 2), 3, 2)], f"thresholds {found}, expected 3 -> 2 at alpha = 3/2")
    # index 1 at the edge alpha = 1 (eta = 1/d): it ties with index 2 there and wins beyond
    beyond = exponent_curve(mu, alpha_lo=sp.Rational(1, 2))
    at_edge = [s for s in beyond if s.alpha_lo < 1 <= (s.alpha_hi if s.alpha_hi is not None else sp.oo)]
    claim(at_edge and at_edge[0].index == 1 and at_edge[0].alpha_hi == 1,
          f"index 1 should win just below alpha = 1 (eta d > 1), got {beyond}")
    claim(at_edge[0].slope + at_edge[0].intercept == segments[0].slope + segments[0].intercept,
          "index 1 and index 2 should tie at alpha = 1")
    large = segments[0].slope * 1 + segments[0].intercept
    # the generative exponent of He_3 by moments: u_1(He_3^3) = E[He_3(g)^3 g] != 0, so GE = 1
    witness = gaussian_expectation(he(3, G1) ** 3 * G1, (G1,))
    claim(witness != 0, "u_1(He_3^3) should be non-zero")
    ge = 1
    claim(large == max(ge - 1, 1), f"large-eta exponent {large} != (GE - 1) v 1 = {max(ge - 1, 1)}")
    prediction = predict(rule, imax=max(mu))
    got = [(t.alpha, t.from_index, t.to_index) for t in prediction.thresholds]
    claim(got == [(sp.Rational(3, 2), 3, 2), (1, 2, 1)], f"theory.predict thresholds {got}")
    claim(prediction.large_lr_exponent == 1 and prediction.small_lr_exponent == 2,
          f"theory.predict exponents {prediction.small_lr_exponent}, {prediction.large_lr_exponent}")
    return segments, found, large, int(witness)


def derive_he4_large_eta():
    """He_4 (GE = 2 since even): the large-eta exponent is (GE - 1) v 1 = 1 as well."""
    rule = make_rule("batch-reuse", "He4", "He4")
    imax = 6
    mu = {i: mu_by_moments(sp.expand(rule.psi.subs(A, 1)), he(4), i) for i in range(1, imax + 1)}
    segments = exponent_curve(mu, alpha_lo=sp.Integer(1))
    claim(mu[1] == 0, "He_4 is even: mu_1 must vanish")
    large = segments[0].slope + segments[0].intercept
    claim(large == 1 and segments[0].index == 2, f"He_4: large-eta exponent {large} (index {segments[0].index}), "
                                                 "expected 1 from index 2 = GE")
    claim(segments[-1].intercept == 3 and segments[-1].slope == 0, "He_4: small-eta exponent should be 3")
    return {"segments": segments, "large_eta_exponent": large}


def to_latex(inner, mu, segments, found, large) -> str:
    k = sp.Symbol("k", integer=True, positive=True)
    r = sp.Symbol("r", integer=True, positive=True)
    sigma = Student(Z)
    general = sp.Sum(OrderedProduct((ETA * D) ** (k - 1) / sp.factorial(k - 1), sp.Derivative(sigma, (Z, k)),
                                    sp.diff(sigma, Z) ** (k - 1), A**k, Y**k), (k, 1, r))
    rows = [(None, r"Inner step with $\eta$, then the step with $\gamma$ at the gradient of $\tilde w$ "
                   r"($q = \|x\|^2 - z^2 \approx d$):"),
            (r"\langle \tilde w, x\rangle", latex(OrderedSum(Z, ETA * Q * sp.Symbol("psi_1")))),
            (r"\psi", r"\psi_1\bigl(y, z + \eta q\,\psi_1(y, z)\bigr), \qquad \psi_1 = " + latex(A * Y * sp.diff(sigma, Z))),
            (None, r"Taylor expansion in $\eta q \psi_1$ (derivatives of a generic $\sigma$, $q \to d$), "
                   r"exact when $\sigma$ is a polynomial of degree $r$:"),
            (r"\psi_\eta(y, z)", latex(general))]
    mu_rows = [(latex(Mu(i)), latex(v)) for i, v in mu.items() if v != 0]
    seg_rows = []
    for s in segments:
        hi = r"\infty)" if s.alpha_hi is None else latex(s.alpha_hi) + "]"
        seg_rows.append(f"$[{latex(s.alpha_lo)}, {hi}$ & ${s.index}$ & "
                        f"${latex(s.slope * sp.Symbol('alpha') + s.intercept)}$ & "
                        f"${latex(SoftTheta(PowerProduct((ETA, -s.slope), (D, s.intercept))))}$ \\\\")
    thr = "; ".join(f"$\\alpha = {latex(a)}$: index ${i} \\to {j}$" for a, i, j in found)
    return "\n".join([
        r"\subsection*{Batch-reuse SGD}",
        align_block(rows),
        r"\noindent For $\sigma_* = \sigma = \mathrm{He}_3$, $a = 1$, $r = 3$ (exact Gaussian moments; $\mu_i = 0$ "
        r"otherwise):",
        align_block(mu_rows),
        r"\noindent With $\eta = d^{-\alpha}$ on the valid range $\eta d \le 1$ ($\alpha \ge 1$), "
        r"$\log_d T = \min_{i:\mu_i > 0} (i-1)\vee 1 - 2\log_d \mu_i$:",
        r"\begin{center}", r"\begin{tabular}{@{}llll@{}}", r"\toprule",
        r"$\alpha$ & index & $\log_d T$ & $T$ \\", r"\midrule", *seg_rows, r"\bottomrule", r"\end{tabular}",
        r"\end{center}",
        rf"\noindent Threshold: {thr}; at the edge $\alpha = 1$ ($\eta = 1/d$) index 1 ties with index 2 and "
        rf"would win beyond it. Largest-$\eta$ exponent $e(1) = {large} = (\mathrm{{GE}} - 1) \vee 1$ with "
        r"$\mathrm{GE}(\mathrm{He}_3) = 1$ (witness $u_1(\mathrm{He}_3^3) \ne 0$); for $\mathrm{He}_4$, "
        r"$\mathrm{GE} = 2$ and again $e(1) = 1$.",
        r"\noindent " + escape_text("Checked against theory.rules, theory.drift and theory.predict."),
    ]) + "\n"


def main(outdir=None) -> dict:
    """Derive and check the batch-reuse results; write the LaTeX; return the derived values."""
    outdir = default_outdir() if outdir is None else Path(outdir)
    inner = derive_inner_product()
    generic = derive_taylor_generic()
    series, rule = derive_exact_he3()
    mu = derive_mu(series, rule)
    segments, found, large, witness = derive_thresholds(mu, rule)
    he4 = derive_he4_large_eta()
    tex = write_tex(NAME, outdir, to_latex(inner, mu, segments, found, large))
    return {"inner_product": inner, "psi_generic": generic, "psi": series, "mu": mu,
            "segments": segments, "thresholds": found, "large_eta_exponent": large,
            "ge_witness_u1_he3_cubed": witness, "he4": he4, "tex": str(tex)}


if __name__ == "__main__":
    result = main()
    print(f"batch reuse, He_3: thresholds {result['thresholds']}, large-eta exponent {result['large_eta_exponent']}; "
          f"LaTeX in {result['tex']}")
