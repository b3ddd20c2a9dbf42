r"""Online SGD: ``mu_i = i u_i(sigma_*) u_i(sigma)`` and ``T = d^{(p-1) v 1}`` with no threshold.

Derived here from the definitions, with SymPy, independently of :mod:`theory.drift`:

1. the algorithm -- one gradient step of the correlation loss ``l = -y a sigma(z)`` --
   gives ``psi = -dl/dz = a y sigma'(z)``, for a generic (undefined) function ``sigma``;
   the squared loss adds only the label-free term ``-a^2 sigma sigma'``;
2. ``mu_i = E[psi(sigma_*(z1), z2) He_i(z1) He_{i-1}(z2)] / (i! (i-1)!)`` computed by exact
   Gaussian moments ``E[g^(2j)] = (2j-1)!!`` (no integration, no Hermite tables from the
   package) for ``sigma_*`` and ``sigma`` generic polynomials of degree 5 with symbolic
   Hermite coefficients: it equals ``a i u_i(sigma_*) u_i(sigma)`` for every ``i`` -- the
   Stein identity ``E[sigma' He_{i-1}] = E[sigma He_i]`` at work;
3. for ``sigma_* = sigma = He_k``, ``k = 1..6``: only ``mu_k = k`` survives, so
   ``T = mu_k^{-2} d^{(k-1) v 1}`` does not depend on ``eta``: no threshold, exponent
   ``(p-1) v 1`` with ``p = IE(He_k) = k``.  Checked against :func:`theory.predict.predict`
   and :func:`theory.drift.drift_coefficients` (a second code path).

Run ``python derivations/online_sgd.py``; ``main(outdir)`` returns the derived values.
"""
from __future__ import annotations

import sys
from pathlib import Path

import sympy as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _shared import claim as _claim, default_outdir, he, mu_by_joint_moments, mu_by_moments, write_tex  # noqa: E402

from theory.drift import drift_coefficients  # noqa: E402
from theory.exponents import information_exponent  # noqa: E402
from theory.latex import (HermiteCoef, Mu, PowerProduct, SoftTheta, Student, Target, Vee, align_block,  # noqa: E402
                          escape_text, latex)
from theory.predict import predict  # noqa: E402
from theory.rules import make_rule  # noqa: E402
from theory.symbols import A, D, ETA, P, Y, Z  # noqa: E402

NAME = "online_sgd"
KS = range(1, 7)
DEGREE = 5


def claim(condition, message: str) -> None:
    _claim(NAME, condition, message)


def derive_psi():
    """psi of one gradient step, for a generic activation: correlation and squared loss."""
    sigma = Student(Z)
    corr = -sp.diff(-Y * A * sigma, Z)
    squared = sp.expand(-sp.diff((Y - A * sigma) ** 2 / 2, Z))
    claim(sp.simplify(corr - A * Y * sp.diff(sigma, Z)) == 0, f"correlation-loss psi is {corr}, not a y sigma'")
    label_free = sp.expand(squared - corr)
    claim(Y not in label_free.free_symbols and sp.simplify(label_free + A**2 * sigma * sp.diff(sigma, Z)) == 0,
          f"squared loss adds {label_free}, expected the label-free -a^2 sigma sigma'")
    return corr, squared, label_free


def derive_general_mu():
    """``mu_i = a i u_i(sigma_*) u_i(sigma)`` for generic degree-5 polynomials (symbolic coefficients)."""
    b = sp.symbols(f"b0:{DEGREE + 1}")
    c = sp.symbols(f"c0:{DEGREE + 1}")
    target = sum(b[j] * he(j, Z) for j in range(DEGREE + 1))
    student = sum(c[j] * he(j, Z) for j in range(DEGREE + 1))
    psi = A * Y * sp.diff(student, Z)
    out = {}
    for i in range(1, DEGREE + 2):
        mu = mu_by_joint_moments(psi, target, i)
        expected = A * i * b[i] * c[i] if i <= DEGREE else sp.Integer(0)
        claim(sp.expand(mu - expected) == 0, f"mu_{i} = {mu}, expected a*{i}*u_{i}(sigma_*)*u_{i}(sigma) = {expected}")
        out[i] = mu
    return out


def derive_hermite_links():
    """For He_k, k = 1..6: the mu_i, the exponent and the absence of a threshold."""
    rows = {}
    for k in KS:
        link = he(k, Z)
        psi = Y * sp.diff(link, Z)  # a = 1
        mu = {i: mu_by_moments(psi, link, i) for i in range(1, k + 3)}
        nonzero = {i: v for i, v in mu.items() if v != 0}
        claim(nonzero == {k: sp.Integer(k)}, f"He_{k}: nonzero mu_i are {nonzero}, expected only mu_{k} = {k}")
        p = information_exponent(f"He{k}").value
        claim(p == k, f"IE(He_{k}) = {p}, expected {k}")
        rule = make_rule("online", f"He{k}", f"He{k}")
        package_mu = drift_coefficients(rule, k + 2)
        claim(all(sp.expand(package_mu[i] - mu[i]) == 0 for i in mu),
              f"He_{k}: theory.drift gives {package_mu}, moments give {mu}")
        prediction = predict(rule, imax=k + 2)
        exponent = max(p - 1, 1)
        claim(not prediction.thresholds, f"He_{k}: online SGD should have no threshold, got {prediction.thresholds}")
        claim(len(prediction.pieces) == 1 and prediction.pieces[0].slope == 0
              and prediction.pieces[0].intercept == exponent and prediction.pieces[0].index == k,
              f"He_{k}: predicted pieces {[pc.describe() for pc in prediction.pieces]}, expected T = d^{exponent}")
        # the theorem's T_k = mu_k^-2 d^((k-1) v 1) has no eta in it
        T = mu[k] ** -2 * D ** exponent
        claim(ETA not in T.free_symbols, f"He_{k}: T depends on eta: {T}")
        rows[k] = {"mu": nonzero, "information_exponent": p, "exponent": exponent, "T": T}
    return rows


def to_latex(corr, squared, label_free, rows) -> str:
    i = sp.Symbol("i", integer=True, positive=True)
    sigma = Student(Z)
    general = [
        (None, r"One gradient step on a fresh sample; the spherical step multiplies "
               r"$P_w^\perp x$ by $\psi = -\partial_z \ell$:"),
        (r"\psi_{\mathrm{corr}}", latex(corr)),
        (r"\psi_{\mathrm{sq}}", latex(squared)),
        (None, r"The squared loss adds only the label-free term "
               f"${latex(label_free)}$, which has no drift. Exact Gaussian moments, for "
               rf"$\sigma_*, \sigma$ generic polynomials of degree {DEGREE} with symbolic Hermite coefficients:"),
        (latex(Mu(i)), latex(sp.Mul(A, i, HermiteCoef(i, Target(Z)), HermiteCoef(i, Student(Z)), evaluate=False),
                             order="none")),
    ]
    table = []
    for k, r in rows.items():
        table.append(" & ".join([f"$\\mathrm{{He}}_{{{k}}}$", f"${r['information_exponent']}$",
                                 f"${latex(r['mu'][k])}$",
                                 f"${latex(SoftTheta(PowerProduct((D, r['exponent']))))}$"]) + r" \\")
    return "\n".join([
        r"\subsection*{Online SGD}",
        align_block(general),
        r"\noindent For $\sigma_* = \sigma = \mathrm{He}_k$ ($a = 1$) only $\mu_k = k$ is non-zero, so "
        f"$T = {latex(SoftTheta(PowerProduct((Mu(P), -2), (D, Vee(P - 1, 1)))))}$ does not depend on $\\eta$: "
        r"no learning-rate threshold.",
        r"\begin{center}", r"\begin{tabular}{@{}llll@{}}", r"\toprule",
        r"link & $p = \mathrm{IE}$ & $\mu_p$ & $T$ (every $\eta$) \\", r"\midrule", *table,
        r"\bottomrule", r"\end{tabular}", r"\end{center}",
        r"\noindent " + escape_text("Checked: generic-polynomial identity by exact moments; "
                                    "theory.drift and theory.predict agree for every k."),
    ]) + "\n"


def main(outdir=None) -> dict:
    """Derive and check the online-SGD results; write the LaTeX; return the derived values."""
    outdir = default_outdir() if outdir is None else Path(outdir)
    corr, squared, label_free = derive_psi()
    general_mu = derive_general_mu()
    rows = derive_hermite_links()
    tex = write_tex(NAME, outdir, to_latex(corr, squared, label_free, rows))
    return {"psi": corr, "psi_squared_loss": squared, "general_mu": general_mu,
            "mu": {k: r["mu"] for k, r in rows.items()},
            "exponent": {k: r["exponent"] for k, r in rows.items()},
            "thresholds": {k: [] for k in rows}, "tex": str(tex)}


if __name__ == "__main__":
    result = main()
    print(f"online SGD: exponents {result['exponent']}, no thresholds; LaTeX in {result['tex']}")
