r"""Alternating SGD with a second layer that keeps its updates (``--keep-a``): the joint
``(m, a)`` dynamics and when kept and reset second layers differ.

Derived with SymPy from the algorithm and exact Gaussian moments (``_shared``), then checked
against :mod:`theory.rules`, :mod:`theory.drift` and :mod:`theory.predict.kept_layer`:

1. the step: ``a~ = a + eta y sigma(z)``, ``psi = a~ y sigma'(z) = a y sigma' + eta y^2 sigma sigma'``.
   The second layer multiplies **only the correlational (``y``-linear) term**: ``d psi / d a = y sigma'``,
   online SGD's ``psi``.  With ``--keep-a`` the next step starts from ``a_{t+1} = a~_t``; the
   first-layer step of step ``t`` uses ``a~_t`` (not ``a_t``) in both cases.
2. the joint drift at overlap ``m`` (``u = <theta, x>``, ``z = <w, x>`` standard with correlation ``m``):
   ``E[a_{t+1} - a_t] = eta E[y sigma(z)] = eta sum_k k! m^k u_k(sigma_*) u_k(sigma)`` (Mehler),
   ``E[(a_{t+1} - a_t)^2] = eta^2 sum_k k! m^k u_k(sigma_*^2) u_k(sigma^2)``, and the first-layer drift
   ``E[psi (u - m z)] = (1 - m^2) sum_i i! mu_i(a, eta) m^(i-1)`` with ``mu_i`` *linear* in ``a``:
   ``mu_i = a i u_i(sigma_*) u_i(sigma) + eta u_{i-1}(sigma sigma') u_i(sigma_*^2)``.  Shown for
   generic cubic ``sigma_*, sigma`` (symbolic Hermite coefficients) and for ``h3``, where
   ``E[da] = eta m^3``, ``E[da^2] = eta^2 (1 + 18 m^2 + 54 m^4 + 20 m^6)``,
   ``sum_i i! mu_i m^(i-1) = 18 eta m + 3 a m^2 + 108 eta m^3 + 60 eta m^5``, ``E[psi^2]|_{m=0} = 3 a^2 + 8649 eta^2``.
3. the consequences, for ``h3`` with the verifier's step size ``gamma`` (section 7 of docs/theory.md,
   fixed from the ``a = 1`` prediction):

   * the walk: over the reset escape time ``T_3 = d^2 / (6 kappa)`` (index 3, ``eta -> 0``) ``a``
     spreads by ``x = eta sqrt(T_3 E[y^2 sigma^2]) = eta d / sqrt(6 kappa)``, while its drift over the
     plateau is ``eta d^(1/2) / (4 kappa)``, smaller by ``d^(-1/2)``: ``a`` is a martingale to leading
     order, and ``eta d << 1`` is where kept and reset coincide;
   * the step size: at ``eta -> 0`` ``psi = a y sigma'``, so the kept chain is the reset chain with the
     step ``gamma |a_t|`` (``(m, a) -> (-m, -a)`` is a symmetry for an odd student and an unsigned
     threshold); the shrinkage-to-drift ratio at the start is ``kappa_eff = kappa |a|``: ``gamma``
     becomes too large (``kappa_eff > 1``) once ``|a| > 1/kappa = 8``;
   * large ``eta``: index 2 does not scale with ``a``, but ``|a_t| ~ eta sqrt(t)`` makes the
     correlational term ``3 |a| m^2`` overtake ``18 eta m`` at ``m = d^(-1/2)`` after
     ``t_x = 36 d`` steps, *independently of eta*, while the reset time is ``T_2 ~ 3.4 ln(sqrt(d)/2) t_x``:
     the kept layer is faster there;  and the ``3 a^2`` term of ``E[psi^2]``
     stalls index 2 alone after ``t = (1/kappa - 1) 2883 = 20181`` steps and puts the kept
     correlational term at ``kappa_eff = kappa (1 + 12 d / 961)`` (about ``kappa (1 + d/80)``) at ``t_x``: above
     ``d = (961/12) (1/kappa - 1) = 560.6``
     the fixed ``gamma`` is too large for the kept layer's own term;
   * at large ``eta`` the whole step depends on ``eta`` only through ``a / eta`` and ``gamma eta``
     (``-> 36 kappa / (8649 d)``), so ``T_keep / T_reset`` tends to a limit that depends on ``d`` only.

Run ``python derivations/kept_second_layer.py``; ``main(outdir)`` returns the derived values.
"""
from __future__ import annotations

import sys
from pathlib import Path

import sympy as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _shared import G1, G2, claim as _claim, default_outdir, gaussian_expectation, he, write_tex  # noqa: E402

from theory.drift import drift_coefficients, psi_second_moment  # noqa: E402
from theory.latex import Student, align_block, escape_text, latex  # noqa: E402
from theory.predict.kept_layer import crossover_steps, kept_layer_outlook  # noqa: E402
from theory.rules import make_rule  # noqa: E402
from theory.symbols import A, D, ETA, Y, Z  # noqa: E402

NAME = "kept_second_layer"
M = sp.Symbol("m", real=True)
S = sp.Symbol("s", positive=True)  # sqrt(1 - m^2)
T = sp.Symbol("t", positive=True)
KAPPA = sp.Symbol("kappa", positive=True)
H3 = he(3) / sp.sqrt(6)


def claim(condition, message: str) -> None:
    _claim(NAME, condition, message)


def u(f, k) -> sp.Expr:
    """``u_k(f) = E[f(g) He_k(g)] / k!`` by exact moments."""
    return gaussian_expectation(sp.expand(f).subs(Z, G1) * he(k, G1), (G1,)) / sp.factorial(k)


def correlated(expr_of_u_z) -> sp.Expr:
    """``E[F(u, z)]`` for standard ``u, z`` with correlation ``m``: ``u = g1``, ``z = m g1 + s g2``.

    The result is reduced with ``s^2 = 1 - m^2`` (odd powers of ``s`` come with odd powers of ``g2``
    and vanish).
    """
    value = gaussian_expectation(sp.expand(expr_of_u_z(G1, M * G1 + S * G2)), (G1, G2))
    poly = sp.Poly(value, S)
    out = sp.Integer(0)
    for (k,), c in poly.terms():
        claim(k % 2 == 0, f"an odd power s^{k} survived the expectation")
        out += c * (1 - M**2) ** (k // 2)
    return sp.expand(out)


def derive_step():
    """Algorithm 2 on one sample for a generic student; what ``a`` multiplies."""
    sigma = Student(Z)
    a_t = sp.Symbol("a_tilde", real=True)
    ell = -Y * a_t * sigma
    a_tilde = sp.expand(A - ETA * sp.diff(ell, a_t).subs(a_t, A))
    psi = sp.expand(-sp.diff(ell, Z).subs(a_t, a_tilde))
    ds = sp.diff(sigma, Z)
    claim(sp.expand(a_tilde - (A + ETA * Y * sigma)) == 0, f"a~ = {a_tilde}")
    claim(sp.expand(psi - (A * Y * ds + ETA * Y**2 * sigma * ds)) == 0, f"psi = {psi}")
    claim(sp.expand(sp.diff(psi, A) - Y * ds) == 0, "a should multiply only the correlational term y sigma'")
    claim(sp.Poly(psi, Y).degree() == 2 and sp.expand(sp.diff(psi, A, 2)) == 0, "psi is linear in a")
    kept = make_rule("alternating", "h3", keep_a=True)
    reset = make_rule("alternating", "h3")
    concrete = sp.expand(a_tilde.subs(Student(Z), H3).doit())
    claim(sp.expand(kept.a_next - concrete) == 0, f"theory.rules' kept a_next {kept.a_next} != a~")
    claim(reset.a_next == A, "the reset rule should return to a")
    claim(sp.expand(kept.step - reset.step) == 0, "kept and reset should take the same first-layer step from a")
    return a_tilde, psi


def derive_generic():
    """Generic cubic target and student: Mehler for E[y sigma], and mu_i linear in a."""
    n = 3
    b = sp.symbols(f"b0:{n + 1}")
    c = sp.symbols(f"c0:{n + 1}")
    target = sum(b[j] * he(j) for j in range(n + 1))
    student = sum(c[j] * he(j) for j in range(n + 1))
    ds = sp.diff(student, Z)
    e_y_sigma = correlated(lambda g, z: target.subs(Z, g) * student.subs(Z, z))
    mehler = sum(sp.factorial(k) * M**k * b[k] * c[k] for k in range(n + 1))
    claim(sp.expand(e_y_sigma - mehler) == 0, f"generic cubic: E[y sigma(z)] = {e_y_sigma} is not Mehler's {mehler}")
    psi = A * Y * ds + ETA * Y**2 * student * ds
    drift = correlated(lambda g, z: sp.expand(psi.subs(Z, z).subs(Y, target.subs(Z, g))) * (g - M * z))
    mu = {i: A * i * u(target, i) * u(student, i) + ETA * u(student * ds, i - 1) * u(target**2, i)
          for i in range(1, 2 * n + 2)}
    formula = sp.expand((1 - M**2) * sum(sp.factorial(i) * mu[i] * M ** (i - 1) for i in mu))
    claim(sp.expand(drift - formula) == 0, "generic cubic: E[psi (u - m z)] is not (1-m^2) sum i! mu_i m^(i-1)")
    online = sp.expand((1 - M**2) * sum(sp.factorial(i) * i * b[i] * c[i] * M ** (i - 1) for i in range(1, n + 1)))
    claim(sp.expand(sp.diff(drift, A) - online) == 0, "generic cubic: d/da of the drift is not online SGD's drift")
    return {"E[y sigma]": mehler, "mu": mu}


def derive_h3():
    """The default case: the joint drift of (m, a), the walk's variance and E[psi^2]."""
    kept = make_rule("alternating", "h3", keep_a=True)
    da = sp.expand(kept.a_next - A)  # eta y sigma(z)
    mean_da = correlated(lambda g, z: da.subs({Z: z, Y: H3.subs(Z, g)}))
    second_da = correlated(lambda g, z: sp.expand(da**2).subs({Z: z, Y: H3.subs(Z, g)}))
    claim(sp.expand(mean_da - ETA * M**3) == 0, f"h3: E[da] = {mean_da}, expected eta m^3")
    claim(sp.expand(second_da - ETA**2 * (1 + 18 * M**2 + 54 * M**4 + 20 * M**6)) == 0, f"h3: E[da^2] = {second_da}")
    mehler2 = ETA**2 * sum(sp.factorial(k) * M**k * u(H3**2, k) ** 2 for k in range(7))
    claim(sp.expand(second_da - mehler2) == 0, "h3: E[da^2] is not Mehler's sum over sigma^2 coefficients")
    drift = correlated(lambda g, z: sp.expand(kept.psi.subs({Z: z, Y: H3.subs(Z, g)})) * (g - M * z))
    poly = sp.expand(18 * ETA * M + 3 * A * M**2 + 108 * ETA * M**3 + 60 * ETA * M**5)  # every index
    claim(sp.expand(drift - (1 - M**2) * poly) == 0, f"h3: first-layer drift {sp.factor(drift)}")
    mu = drift_coefficients(kept, 5, symbolic_a=True)
    claim(mu == {1: 0, 2: 9 * ETA, 3: A / 2, 4: 9 * ETA / 2, 5: 0}, f"theory.drift's mu_i(a) = {mu}")
    psi2 = sp.expand(psi_second_moment(kept, symbolic_a=True))
    psi2_moments = sp.expand(gaussian_expectation(sp.expand(kept.psi_full.subs({Z: G2, Y: H3.subs(Z, G1)}) ** 2),
                                                  (G1, G2)))
    claim(sp.expand(psi2 - (3 * A**2 + 8649 * ETA**2)) == 0 and sp.expand(psi2 - psi2_moments) == 0,
          f"h3: E[psi^2] at m = 0 is {psi2} (moments: {psi2_moments})")
    # the cross moment of the two layers' increments at m = 0: E[da * psi u] / eta
    cross = gaussian_expectation(sp.expand((da / ETA * kept.psi).subs({Z: G2, Y: H3.subs(Z, G1)}) * G1),
                                 (G1, G2))
    claim(sp.simplify(cross - ETA * u(H3**3, 1) * gaussian_expectation(
        sp.expand((H3**2 * sp.diff(H3, Z)).subs(Z, G2)), (G2,))) == 0 and cross.subs(ETA, 1) > 0,
          f"h3: E[(da/eta) psi u] at m = 0 is {cross}")
    return {"E[da]": mean_da, "E[da^2]": second_da, "drift": poly, "mu": mu, "E[psi^2]": psi2, "cross": cross}


def derive_scales(h3):
    """Orders of magnitude: the walk, the step size, the large-eta crossover (h3, symbols d, eta, kappa)."""
    mu, psi2 = h3["mu"], h3["E[psi^2]"]
    var_da0 = h3["E[da^2]"].subs(M, 0) / ETA**2  # E[y^2 sigma^2] at m = 0
    m0 = D ** sp.Rational(-1, 2)
    # index-3 step size of the a = 1 prediction: gamma = kappa 2 i! mu_i d^-(3/2) / E[psi^2](a = 1)
    gamma3 = KAPPA * 2 * 6 * mu[3].subs(A, 1) * D ** sp.Rational(-3, 2) / psi2.subs(A, 1)
    plateau = sp.simplify((1 / (gamma3 * 6 * mu[3].subs(A, 1) * m0)).subs(ETA, 0))  # 1/(gamma 3 m0)
    claim(sp.simplify(plateau - D**2 / (6 * KAPPA)) == 0, f"index-3 escape time {plateau}")
    spread = sp.sqrt(ETA**2 * plateau * var_da0)
    claim(sp.simplify(spread - ETA * D / sp.sqrt(6 * KAPPA)) == 0, f"walk spread over the plateau {spread}")
    # drift of a over the plateau (m from m0 to 2 m0 along dm/dt = 3 gamma m^2): eta (4 - 1) m0^2 / (6 gamma)
    drift_a = sp.simplify(ETA * 3 * m0**2 / (6 * gamma3.subs(ETA, 0)))
    claim(sp.simplify(drift_a - ETA * sp.sqrt(D) / (4 * KAPPA)) == 0, f"drift of a over the plateau {drift_a}")
    claim(sp.limit(drift_a / spread, D, sp.oo) == 0, "the drift of a should be negligible against its walk")
    # effective kappa of the kept layer: shrinkage / drift at m0 with gamma fixed at a = 1
    kappa_eff = sp.simplify((gamma3**2 * D * psi2 * m0 / 2) / (gamma3 * 6 * mu[3] * m0**2))
    claim(sp.simplify(kappa_eff.subs(ETA, 0) - KAPPA * A) == 0, f"kappa_eff(eta = 0) = {kappa_eff.subs(ETA, 0)}")
    claim(sp.solve(sp.Eq(kappa_eff.subs({ETA: 0, KAPPA: sp.Rational(1, 8)}), 1), A) == [8],
          "gamma should become too large at |a| = 1/kappa = 8")
    # large eta: |a_t| ~ eta sqrt(t E[y^2 sigma^2]); 3! (mu_3/a) |a| m^2 = 2! mu_2 m at m = d^-1/2
    t_x = sp.solve(sp.Eq(6 * (mu[3] / A) * ETA * sp.sqrt(T * var_da0) * m0**2, 2 * mu[2] * m0), T)
    claim(t_x == [36 * D], f"crossover time {t_x}, expected 36 d")
    claim(sp.simplify(crossover_steps(2 * mu[2] / ETA, 6 * mu[3] / A, var_da0) - 36) == 0,
          "theory.predict.kept_layer.crossover_steps disagrees")
    # index-2 step size and net growth rate at large eta, times d
    gamma2 = KAPPA * 2 * 2 * mu[2] / D / psi2.subs(A, 1)
    growth = sp.limit((gamma2 * 2 * mu[2] - gamma2**2 * D * psi2.subs(A, 1) / 2) * D, ETA, sp.oo)
    claim(sp.simplify(growth - (648 * KAPPA / 8649 - 648 * KAPPA**2 / 8649)) == 0, f"index-2 growth rate {growth}/d")
    ratio_tx = sp.simplify(1 / (36 * growth))  # T_2 / t_x = ratio_tx * ln(m_thr sqrt d)
    claim(abs(float(ratio_tx.subs(KAPPA, sp.Rational(1, 8))) - 3.4) < 0.05, f"T_2/t_x = {ratio_tx} ln(...)")
    # index 2 alone stalls when 3 a^2 exceeds E[psi^2](a = 1)/kappa - 8649 eta^2 (large eta)
    a_stall2 = sp.limit((psi2.subs(A, 1) / KAPPA - 8649 * ETA**2) / (3 * ETA**2), ETA, sp.oo)  # (a/eta)^2
    t_stall = sp.simplify(a_stall2 / var_da0)
    claim(t_stall.subs(KAPPA, sp.Rational(1, 8)) == 20181, f"index-2 stall time {t_stall}")
    # kappa_eff of the kept correlational term at t_x (large eta): shrinkage / drift of 3 |a| m^2 at m0
    a_t = ETA * sp.sqrt(T * var_da0)
    psi2_t = psi2.subs(A, a_t)
    kappa3 = sp.limit((gamma2 * D * psi2_t / 2 / (6 * mu[3] / A * a_t * m0)).subs(T, 36 * D), ETA, sp.oo)
    claim(sp.simplify(kappa3 - KAPPA * (1 + 12 * D / 961)) == 0, f"kept index-3 kappa_eff at t_x: {kappa3}")
    d_unstable = sp.solve(sp.Eq(kappa3.subs(KAPPA, sp.Rational(1, 8)), 1), D)
    claim(d_unstable == [sp.Rational(6727, 12)], f"kappa_eff = 1 at d = {d_unstable} (about 560)")
    # eta-scaling: psi / eta depends on a/eta only, and gamma2 eta has a finite limit
    lim_g = sp.limit(gamma2 * ETA, ETA, sp.oo)
    claim(sp.simplify(lim_g - 36 * KAPPA / (8649 * D)) == 0, f"gamma eta -> {lim_g}")
    return {"plateau": plateau, "spread": spread, "drift_a": drift_a, "kappa_eff": kappa_eff,
            "t_cross": t_x[0], "growth": growth, "T2_over_tx": ratio_tx, "t_stall": t_stall,
            "kappa3_at_tx": kappa3, "d_unstable": d_unstable[0], "gamma_eta": lim_g}


def derive_outlook():
    """The library's regimes for the default case at the three simulated dimensions."""
    rows = {}
    for d in (50, 200, 800):
        for eta in (0.1 / d, 1.0 / d, 4.0 / d, d ** -0.5, 1.0):
            o = kept_layer_outlook(make_rule("alternating", "h3", keep_a=True), d, eta)
            rows[(d, eta)] = o
        claim(rows[(d, 0.1 / d)].regime == "coincide", f"d = {d}: eta = 0.1/d should coincide")
        claim(rows[(d, 1.0)].regime == "non-correlational", f"d = {d}: eta = 1 should be index 2's regime")
        claim(rows[(d, 1.0 / d)].regime == "correlational", f"d = {d}: eta = 1/d should be index 3's regime, spread > 1/2")
        # index 2 sets gamma once 2 2! mu_2 / d > 2 3! mu_3 d^-3/2, i.e. eta > d^-1/2 / 6: 4/d is below only at d = 800
        claim(rows[(d, 4.0 / d)].regime == ("correlational" if d == 800 else "non-correlational"),
              f"d = {d}: eta = 4/d: {rows[(d, 4.0 / d)]}")
    return rows


def to_latex(h3, scales) -> str:
    sigma = Student(Z)
    rows = [
        (None, r"Correlation loss, second layer kept: $a_{t+1} = \tilde a_t$ and the first layer steps with $\tilde a_t$:"),
        (r"\tilde a", latex(A + ETA * Y * sigma)),
        (r"\psi", latex(A * Y * sp.diff(sigma, Z) + ETA * Y**2 * sigma * sp.diff(sigma, Z))),
        (None, r"so $a$ multiplies only the correlational term.  For $\sigma_* = \sigma = h_3$, at overlap $m$:"),
        (r"\mathbb{E}[a_{t+1} - a_t]", latex(h3["E[da]"])),
        (r"\mathbb{E}[(a_{t+1} - a_t)^2]", latex(sp.factor(h3["E[da^2]"]))),
        (r"\textstyle\sum_i i!\,\mu_i m^{i-1}", latex(h3["drift"])),
        (r"\mathbb{E}[\psi^2]_{m=0}", latex(h3["E[psi^2]"])),
        (None, r"With the verifier's $\gamma$ (fixed at $a = 1$):"),
        (r"T_3", latex(scales["plateau"])),
        (r"\text{spread of } a \text{ over } T_3", latex(scales["spread"])),
        (r"\text{drift of } a \text{ over the plateau}", latex(scales["drift_a"])),
        (r"\kappa_{\mathrm{eff}}(a)", latex(sp.factor(scales["kappa_eff"]))),
        (r"t_\times", latex(scales["t_cross"])),
        (r"\kappa_{\mathrm{eff}}(t_\times)", latex(scales["kappa3_at_tx"])),
    ]
    return "\n".join([
        r"\subsection*{Kept second layer}",
        align_block(rows),
        r"\noindent " + escape_text(
            "eta d << 1: kept and reset coincide. Index-3 regime: the kept chain is the reset chain with step "
            "gamma |a_t|, a_t a martingale. Large eta: the kept correlational term overtakes index 2 after "
            "36 d steps; kept is faster until the fixed gamma is too large for it (d > 560.6 at kappa = 1/8)."),
    ]) + "\n"


def main(outdir=None) -> dict:
    """Derive and check the kept-second-layer results; write the LaTeX; return the derived values."""
    outdir = default_outdir() if outdir is None else Path(outdir)
    a_tilde, psi = derive_step()
    generic = derive_generic()
    h3 = derive_h3()
    scales = derive_scales(h3)
    outlook = derive_outlook()
    tex = write_tex(NAME, outdir, to_latex(h3, scales))
    return {"a_tilde": a_tilde, "psi": psi, "generic": generic, "h3": h3, "scales": scales,
            "outlook": outlook, "tex": str(tex)}


if __name__ == "__main__":
    result = main()
    s = result["scales"]
    print(f"kept second layer: E[da] = {result['h3']['E[da]']}, spread over T_3 = {s['spread']}, "
          f"t_x = {s['t_cross']}, kappa_eff(t_x) = {s['kappa3_at_tx']}; LaTeX in {result['tex']}")
