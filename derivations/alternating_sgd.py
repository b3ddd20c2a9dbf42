r"""Alternating (layer-wise) SGD, Algorithm 2: ``psi``, ``mu_i``, the threshold ``(p - p_2)/2``,
and the squared-loss corrections.

Derived from the algorithm with SymPy:

1. correlation loss ``l = -y a sigma(z)``: the second layer moves first,
   ``a~ = a - eta dl/da = a + eta y sigma``, then the first layer with ``a~``:
   ``psi = -dl/dz |_{a~} = a y sigma' + eta y^2 sigma sigma'`` (generic ``sigma``);
2. ``mu_i = a i u_i(sigma_*) u_i(sigma) + eta u_{i-1}(sigma sigma') u_i(sigma_*^2)``: shown by
   exact two-variable Gaussian moments for generic cubic ``sigma_*, sigma`` with symbolic
   Hermite coefficients, and for ``He_k``, ``k = 3..8``, against :mod:`theory.drift`;
3. for ``sigma_* = sigma = He_k``: ``p = k``, ``p_2 = IE(He_k^2) = 2``; the exponent curve
   (``eta = d^-alpha``, ``alpha >= 0``) has one threshold, index ``k -> 2`` at
   ``alpha = (p - p_2)/2 = (k - 2)/2``; below it ``T = d^{k-1}``, above it ``T = eta^-2 d``,
   ``T = d`` at ``eta ~ 1``.  (Indices ``i > k`` cannot win: ``T_i >= d^{i-1} > d^{k-1}``, so
   ``mu_i`` is computed up to ``i = k + 1``.)  Checked against :func:`theory.predict.predict`;
4. squared loss ``l = (y - a sigma)^2 / 2``: ``a~ = a + eta (y - a sigma) sigma`` and
   ``psi = (y - a~ sigma) a~ sigma'``.  Collected in ``y``, the label-dependent extra terms
   are ``-3 a eta y sigma^2 sigma' + 2 a eta^2 y sigma^4 sigma' - eta^2 y^2 sigma^3 sigma'``.
   the reported form is ``-2 a eta y sigma^2 sigma'``: the coefficient is **-3** (three products
   contribute ``-a eta y sigma^2`` each).  The ``y``-linear extras change ``mu_i`` only where
   ``u_i(sigma_*) != 0`` (``i = p``), by ``O(eta)``; the ``y^2`` extra changes the even ``mu_i``
   by ``O(eta^2)``.  So for ``alpha > 0`` the exponent curve is unchanged, but at ``eta`` of
   order one ``mu_2`` turns negative for ``eta > eta_0`` (``1/666`` for ``He_3``, ``1/111``
   for ``h_3``): the learning-rate window where index 2 helps closes at constant ``eta``,
   and at finite ``d`` index 2 only beats index 3 once ``d`` exceeds ``d_min``
   (computed below from ``mu_3^2 / mu_2^2``).

Run ``python derivations/alternating_sgd.py``; ``main(outdir)`` returns the derived values.
"""
from __future__ import annotations

import sys
from pathlib import Path

import sympy as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _shared import (G1, claim as _claim, default_outdir, exponent_curve, gaussian_expectation, he,  # noqa: E402
                     mu_by_joint_moments, mu_by_moments, thresholds, write_tex)

from theory.drift import drift_coefficients  # noqa: E402
from theory.latex import (HermiteCoef, Mu, OrderedProduct, OrderedSum, PowerProduct, SoftTheta, Student,  # noqa: E402
                          Target, align_block, escape_text, latex, sum_lines)
from theory.predict import predict  # noqa: E402
from theory.rules import make_rule  # noqa: E402
from theory.symbols import A, D, ETA, Y, Z  # noqa: E402

NAME = "alternating_sgd"
KS = range(3, 9)
GENERIC_DEGREE = 3


def claim(condition, message: str) -> None:
    _claim(NAME, condition, message)


def u(f, k) -> sp.Expr:
    """``u_k(f) = E[f(g) He_k(g)] / k!`` by exact moments."""
    return gaussian_expectation(f.subs(Z, G1) * he(k, G1), (G1,)) / sp.factorial(k)


def ie(f, kmax) -> int | None:
    return next((k for k in range(1, kmax + 1) if u(f, k) != 0), None)


def derive_psi(loss: str, sigma=None):
    """Algorithm 2 on one sample: returns (a~, psi) for a generic (or given) ``sigma``."""
    sigma = Student(Z) if sigma is None else sigma
    a_t = sp.Symbol("a_tilde", real=True)
    if loss == "correlation":
        ell = -Y * a_t * sigma
    else:
        ell = (Y - a_t * sigma) ** 2 / 2
    a_tilde = sp.expand(A - ETA * sp.diff(ell, a_t).subs(a_t, A))
    psi = sp.expand(-sp.diff(ell, Z).subs(a_t, a_tilde))  # a~ is held fixed in the first-layer step
    return a_tilde, psi


def derive_correlation():
    a_tilde, psi = derive_psi("correlation")
    sigma = Student(Z)
    ds = sp.diff(sigma, Z)
    claim(sp.expand(a_tilde - (A + ETA * Y * sigma)) == 0, f"a~ = {a_tilde}, expected a + eta y sigma")
    theory_form = A * Y * ds + ETA * Y**2 * sigma * ds
    claim(sp.expand(psi - theory_form) == 0, f"psi = {psi}, expected a y sigma' + eta y^2 sigma sigma'")
    return a_tilde, psi


def derive_general_mu():
    """mu_i formula for generic cubic sigma_*, sigma with symbolic Hermite coefficients."""
    n = GENERIC_DEGREE
    b = sp.symbols(f"b0:{n + 1}")
    c = sp.symbols(f"c0:{n + 1}")
    target = sum(b[j] * he(j) for j in range(n + 1))
    student = sum(c[j] * he(j) for j in range(n + 1))
    psi = sp.expand(A * Y * sp.diff(student, Z) + ETA * Y**2 * student * sp.diff(student, Z))
    for i in range(1, 2 * n + 2):
        mu = mu_by_joint_moments(psi, target, i)
        formula = A * i * u(target, i) * u(student, i) + ETA * u(sp.expand(student * sp.diff(student, Z)), i - 1) \
            * u(sp.expand(target**2), i)
        claim(sp.expand(mu - formula) == 0, f"generic cubic: mu_{i} = {mu} differs from the formula {formula}")
    return n


def derive_hermite_links():
    rows = {}
    for k in KS:
        link = he(k)
        _a, psi = derive_psi("correlation", link)
        psi = psi.subs(A, 1)
        imax = k + 1
        mu = {i: mu_by_moments(psi, link, i) for i in range(1, imax + 1)}
        formula = {i: i * u(link, i) ** 2 + ETA * u(sp.expand(link * sp.diff(link, Z)), i - 1) * u(sp.expand(link**2), i)
                   for i in mu}
        claim(all(sp.expand(mu[i] - formula[i]) == 0 for i in mu), f"He_{k}: mu {mu} != formula {formula}")
        rule = make_rule("alternating", f"He{k}", f"He{k}")
        package = drift_coefficients(rule, imax)
        claim(all(sp.expand(package[i] - mu[i]) == 0 for i in mu), f"He_{k}: theory.drift {package} != {mu}")
        p, p2 = ie(link, k), ie(sp.expand(link**2), 2 * k)
        claim((p, p2) == (k, 2), f"He_{k}: (p, p_2) = {(p, p2)}, expected ({k}, 2)")
        segments = exponent_curve(mu, alpha_lo=sp.Integer(0))
        found = thresholds(segments)
        alpha_star = sp.Rational(p - p2, 2)
        claim(found == [(alpha_star, p, p2)], f"He_{k}: thresholds {found}, expected index {p} -> {p2} at {alpha_star}")
        small, large = segments[-1], segments[0]
        claim(small.slope == 0 and small.intercept == max(p - 1, 1), f"He_{k}: small-eta piece {small}")
        claim((large.slope, large.intercept) == (2, 1) and large.index == 2,
              f"He_{k}: large-eta piece {large}, expected T = eta^-2 d (index 2)")
        claim(large.slope * 0 + large.intercept == max(p2 - 1, 1), f"He_{k}: T at eta ~ 1 should be d^((p_2-1) v 1)")
        prediction = predict(rule, imax=imax)
        got = [(t.alpha, t.from_index, t.to_index) for t in prediction.thresholds]
        claim(got == found, f"He_{k}: theory.predict thresholds {got} != derived {found}")
        rows[k] = {"mu": mu, "p": p, "p2": p2, "alpha": alpha_star, "segments": segments,
                   "u2": (u(sp.expand(link * sp.diff(link, Z)), 1), u(sp.expand(link**2), 2))}
    return rows


def derive_squared_loss():
    """Squared loss: the extra terms, the reported -2 vs the derived -3, and what they change."""
    a_tilde, psi = derive_psi("squared")
    sigma = Student(Z)
    ds = sp.diff(sigma, Z)
    claim(sp.expand(a_tilde - (A + ETA * (Y - A * sigma) * sigma)) == 0, f"a~ = {a_tilde}")
    _c, corr = derive_psi("correlation")
    by_power = sp.Poly(psi, Y).as_dict()
    parts = {k[0]: sp.expand(v) for k, v in by_power.items()}
    online_sq = A * Y * ds - A**2 * sigma * ds  # eta = 0: one squared-loss gradient step
    claim(sp.expand(psi.subs(ETA, 0) - online_sq) == 0, "eta = 0 should give the online squared-loss psi")
    extra_label = sp.expand(parts.get(1, 0) * Y + parts.get(2, 0) * Y**2 - corr)
    coefficient = sp.expand(extra_label).coeff(ETA, 1).coeff(Y, 1)
    derived = -3 * A * sigma**2 * ds
    claim(sp.expand(coefficient - derived) == 0, f"the eta*y term is {coefficient}, expected -3 a sigma^2 sigma'")
    theory_md = -2 * A * sigma**2 * ds
    claim(sp.expand(coefficient - theory_md) != 0, "the reported -2 a eta y sigma^2 sigma' would have matched")
    expected_extra = ETA * Y * derived + 2 * A * ETA**2 * Y * sigma**4 * ds - ETA**2 * Y**2 * sigma**3 * ds
    claim(sp.expand(extra_label - expected_extra) == 0, f"label-dependent extra terms {extra_label}")
    label_free = parts.get(0, sp.Integer(0))
    # the three products that make -3:
    contributions = [Y * (-ETA * A * sigma**2), (-A * sigma) * (ETA * Y * sigma), (-ETA * Y * sigma**2) * A]
    claim(sp.expand(sum(contributions) - coefficient * ETA * Y / ds) == 0, "the three contributions should sum to -3")
    # check against theory.rules for He_3
    rule = make_rule("alternating", "He3", "He3", loss="squared")
    concrete = sp.expand(psi.subs(Student(Z), he(3)).doit())
    claim(sp.expand(rule.psi_full - concrete) == 0, "theory.rules' squared-loss psi differs from the derivation")
    return psi, extra_label, label_free, coefficient


def derive_squared_effects():
    """Which mu_i change, and whether any prediction changes."""
    out = {}
    for name, link in (("He3", he(3)), ("h3", he(3) / sp.sqrt(6))):
        _a, corr = derive_psi("correlation", link)
        _a, sq = derive_psi("squared", link)
        corr, sq = corr.subs(A, 1), sq.subs(A, 1)
        imax = 7
        mu_c = {i: mu_by_moments(corr, link, i) for i in range(1, imax + 1)}
        mu_s = {i: mu_by_moments(sq, link, i) for i in range(1, imax + 1)}
        changed = {i: sp.factor(mu_s[i] - mu_c[i]) for i in mu_c if sp.expand(mu_s[i] - mu_c[i]) != 0}
        # y-linear extras only where u_i(sigma_*) != 0; y^2 extras only where u_i(sigma_*^2) != 0
        allowed = {i for i in mu_c if u(link, i) != 0 or u(sp.expand(link**2), i) != 0}
        claim(set(changed) <= allowed, f"{name}: squared loss changed mu_i at {sorted(changed)}, allowed {allowed}")
        # for alpha > 0 the leading terms are those of the correlation loss: same exponent curve
        seg_c = exponent_curve(mu_c, alpha_lo=sp.Integer(0))
        seg_s = exponent_curve(mu_s, alpha_lo=sp.Integer(0))
        claim([(s.alpha_lo, s.alpha_hi, s.index, s.slope, s.intercept) for s in seg_c]
              == [(s.alpha_lo, s.alpha_hi, s.index, s.slope, s.intercept) for s in seg_s],
              f"{name}: the squared loss changed the exponent curve")
        roots = [r for r in sp.solve(sp.Eq(mu_s[2], 0), ETA) if r > 0]
        claim(len(roots) == 1, f"{name}: mu_2 should change sign once for eta > 0, roots {roots}")
        eta0 = roots[0]
        claim(sp.expand(mu_s[2].subs(ETA, 2 * eta0)) < 0 < sp.expand(mu_s[2].subs(ETA, eta0 / 2)),
              f"{name}: mu_2 should be positive below eta_0 = {eta0} and negative above")
        # smallest d where index 2 can beat index 3 somewhere: d >= min_eta mu_3^2 / mu_2^2 on (0, eta_0)
        ratio = sp.lambdify(ETA, (mu_s[3] / mu_s[2]) ** 2)
        from scipy.optimize import minimize_scalar

        best = minimize_scalar(lambda e: ratio(e), bounds=(float(eta0) * 1e-6, float(eta0) * (1 - 1e-9)),
                               method="bounded", options={"xatol": 1e-12})
        ratio_c = sp.lambdify(ETA, (mu_c[3] / mu_c[2]) ** 2)
        claim(ratio_c(1.0) < 2 < best.fun, f"{name}: with the correlation loss index 2 should beat index 3 at "
                                           f"eta = 1 for every d >= 2 (needs mu_3^2/mu_2^2 = {ratio_c(1.0)} < 2)")
        claim(sp.Poly(mu_c[2], ETA).coeffs() and all(c > 0 for c in sp.Poly(mu_c[2], ETA).coeffs()),
              f"{name}: the correlation-loss mu_2 = {mu_c[2]} should be positive for every eta > 0")
        out[name] = {"mu_correlation": mu_c, "mu_squared": mu_s, "changed": changed, "eta0": eta0,
                     "d_min": float(best.fun), "eta_at_d_min": float(best.x),
                     "d_min_correlation": float(ratio_c(1.0))}
    return out


def to_latex(corr_psi, rows, sq_psi, extra, label_free, coefficient, effects) -> str:
    i = sp.Symbol("i", integer=True, positive=True)
    sigma = Student(Z)
    ds = sp.diff(sigma, Z)
    general = OrderedSum(OrderedProduct(A, i, HermiteCoef(i, Target(Z)), HermiteCoef(i, Student(Z))),
                         OrderedProduct(ETA, HermiteCoef(i - 1, OrderedProduct(sigma, ds)),
                                        HermiteCoef(i, Target(Z) ** 2)))
    rows_corr = [
        (None, r"Correlation loss $\ell = -y\,a\sigma(z)$; the second layer moves first, with $\eta$, then the "
               r"first layer with $\tilde a$:"),
        (r"\tilde a", latex(OrderedSum(A, ETA * Y * sigma))),
        (r"\psi_\eta(y, z)", latex(OrderedSum(A * Y * ds, ETA * Y**2 * sigma * ds))),
        (None, rf"Exact Gaussian moments (generic cubic $\sigma_*, \sigma$ with symbolic coefficients, and "
               rf"$\mathrm{{He}}_k$, $k = {min(KS)}..{max(KS)}$):"),
        (latex(Mu(i)), latex(general)),
    ]
    table = []
    for k, r in rows.items():
        table.append(f"$\\mathrm{{He}}_{{{k}}}$ & ${r['p']}$ & ${r['p2']}$ & ${latex(r['mu'][2])}$ & "
                     f"${latex(r['alpha'])}$ & ${latex(SoftTheta(PowerProduct((D, r['p'] - 1))))}$ & "
                     f"${latex(SoftTheta(PowerProduct((ETA, -2), (D, 1))))}$ \\\\")
    sq_rows = [
        (None, r"Squared loss $\ell = (y - a\sigma)^2/2$: "
               rf"$\tilde a = {latex(OrderedSum(A, OrderedProduct(ETA, OrderedSum(Y, -A * sigma), sigma)))}$ and "
               r"$\psi = (y - \tilde a\sigma)\,\tilde a\,\sigma'$, collected in $y$:"),
        (r"\psi_\eta(y, z)", sum_lines([A * Y * ds, ETA * Y**2 * sigma * ds])
         + sum_lines([ETA * Y * coefficient, 2 * A * ETA**2 * Y * sigma**4 * ds, -ETA**2 * Y**2 * sigma**3 * ds],
                     continued=True)
         + sum_lines([-A**2 * sigma * ds, 2 * A**2 * ETA * sigma**3 * ds, -A**2 * ETA**2 * sigma**5 * ds],
                     continued=True)),
        (None, r"(first line: the correlation-loss $\psi_\eta$; second: the label-dependent extra terms; "
               r"third: label-free, no drift)."),
        (None, rf"The $\eta y$ coefficient is ${latex(coefficient)}$: three products of "
               r"$(y - a\sigma - \eta y\sigma^2 + \eta a\sigma^3)(a + \eta y\sigma - \eta a\sigma^2)$ contribute "
               r"$-a\eta y\sigma^2$ each. the reported form is $-2a\eta y\sigma^2\sigma'$; the derivation gives "
               r"$-3a\eta y\sigma^2\sigma'$."),
    ]
    eff = []
    for name, e in effects.items():
        changed = ", ".join(f"${latex(Mu(j))}$" for j in e["changed"])
        eff.append(f"\\texttt{{{name}}} & {changed} & ${latex(e['mu_squared'][2])}$ & "
                   f"${latex(e['eta0'])}$ & ${latex(sp.Float(e['d_min'], 3))}$ \\\\")
    return "\n".join([
        r"\subsection*{Alternating SGD}",
        align_block(rows_corr),
        r"\noindent With $\sigma_* = \sigma = \mathrm{He}_k$, $a = 1$: $p = \mathrm{IE}(\sigma_*)$, "
        r"$p_2 = \mathrm{IE}(\sigma_*^2)$, one threshold at $\alpha = (p - p_2)/2$ ($\eta = d^{-\alpha}$):",
        r"\begin{center}", r"\begin{tabular}{@{}lllllll@{}}", r"\toprule",
        r"link & $p$ & $p_2$ & $\mu_2(\eta)$ & $\alpha^*$ & $T$, $\alpha > \alpha^*$ & $T$, $\alpha < \alpha^*$ \\",
        r"\midrule", *table, r"\bottomrule", r"\end{tabular}", r"\end{center}",
        align_block(sq_rows),
        r"\noindent The $y$-linear extras change $\mu_i$ only where $u_i(\sigma_*) \ne 0$ ($i = p$), the $y^2$ "
        r"extra only where $u_i(\sigma_*^2) \ne 0$; for $\alpha > 0$ the leading terms, hence the exponent "
        r"curve and the threshold, are unchanged. At $\eta$ of order one $\mu_2$ changes sign at $\eta_0$, and at "
        r"finite $d$ index 2 beats index 3 somewhere only if $d > d_{\min} = \min_{\eta < \eta_0} "
        r"\mu_3(\eta)^2/\mu_2(\eta)^2$:",
        r"\begin{center}", r"\begin{tabular}{@{}lllll@{}}", r"\toprule",
        r"link & $\mu_i$ changed & squared-loss $\mu_2$ & $\eta_0$ & $d_{\min}$ \\",
        r"\midrule", *eff, r"\bottomrule", r"\end{tabular}", r"\end{center}",
        r"\noindent With the correlation loss $\mu_2 > 0$ for every $\eta$ and index 2 already wins at "
        r"$\eta = 1$ for every $d \ge 2$; with the squared loss the window "
        r"$d^{-(p - p_2)/2} \lesssim \eta < \eta_0$ needs $d > d_{\min}$ (the same for "
        r"$\mathrm{He}_3$ and $h_3$: rescaling $\sigma_*, \sigma$ rescales $\eta$).",
        r"\noindent " + escape_text("Checked against theory.rules, theory.drift and theory.predict."),
    ]) + "\n"


def main(outdir=None) -> dict:
    """Derive and check the alternating-SGD results; write the LaTeX; return the derived values."""
    outdir = default_outdir() if outdir is None else Path(outdir)
    a_tilde, corr_psi = derive_correlation()
    derive_general_mu()
    rows = derive_hermite_links()
    sq_psi, extra, label_free, coefficient = derive_squared_loss()
    effects = derive_squared_effects()
    tex = write_tex(NAME, outdir, to_latex(corr_psi, rows, sq_psi, extra, label_free, coefficient, effects))
    return {"a_tilde": a_tilde, "psi": corr_psi,
            "mu": {k: r["mu"] for k, r in rows.items()},
            "thresholds": {k: [(r["alpha"], r["p"], r["p2"])] for k, r in rows.items()},
            "psi_squared": sq_psi, "squared_extra_label_terms": extra, "squared_label_free": label_free,
            "squared_eta_y_coefficient": coefficient, "squared_effects": effects, "tex": str(tex)}


if __name__ == "__main__":
    result = main()
    eff = result["squared_effects"]
    print(f"alternating SGD: thresholds {result['thresholds']}; squared loss eta*y coefficient "
          f"{result['squared_eta_y_coefficient']} (reported: -2 a sigma^2 sigma'); eta_0 = "
          f"{ {k: str(v['eta0']) for k, v in eff.items()} }, d_min = { {k: round(v['d_min'], 1) for k, v in eff.items()} }; "
          f"LaTeX in {result['tex']}")
