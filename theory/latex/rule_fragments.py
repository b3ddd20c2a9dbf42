r"""LaTeX fragments of an update rule and its prediction: psi, mu_i(eta), the theorem.

Role: :func:`psi_latex` (the derivation of ``psi_eta`` from the algorithm, step by step),
:func:`mu_latex` (the drift coefficients and the drift polynomial) and :func:`theorem_latex`
(the predicted ``T(eta)`` piecewise in ``alpha``, ``eta = d^{-alpha}``, and the thresholds).
The mathematics comes from :mod:`theory.drift` and :mod:`theory.predict` (imported inside the
functions); notation and layout from :mod:`theory.latex.notation` and :mod:`theory.latex.layout`.

The derivation's steps are the rule's typed records (:class:`theory.rules.DerivationStep`), each
carrying its own LaTeX left-hand side and note, written by the rule class that makes the step.
"""
from __future__ import annotations

import sympy as sp

from theory.latex.escape import escape_text
from theory.latex.layout import LINE_WIDTH, align_block, break_lines, expr_lines, grouped_terms
from theory.latex.notation import (Approx, Between, CoefTimes, Expectation, He, HermiteCoef, Linear, Mu, OrderedSum,
                                   PowerProduct, Psi, SoftTheta, Student, Target, TheoryLatexPrinter, Vee,
                                   inline_number)
from theory.symbols import ALPHA, A, D, ETA, M, Y, Z

__all__ = ["psi_latex", "mu_latex", "theorem_latex", "bounds_latex"]


def _rule_intro(rule, printer) -> str:
    parts = [rf"\noindent\textbf{{{escape_text(rule.label)}.}} Target "
             rf"${printer._print(Target(Z))} = {printer._print(rule.target.expr)}$, student "
             rf"${printer._print(Student(Z))} = {printer._print(rule.student.expr)}$, second layer "
             rf"$a = {printer._print(rule.a)}$"]
    if rule.target.noise != 0:
        parts.append(rf", label noise $\zeta \sim \mathcal{{N}}(0, {printer._print(rule.target.noise**2)})$")
    parts.append(r". Each fresh sample $(x, y)$, $z = \langle w, x\rangle$, moves "
                 r"$w \leftarrow (w + \gamma\,\psi\,P_w^\perp x)/\|\cdot\|$, $P_w^\perp = I - ww^\top$.")
    return "".join(parts)


def psi_latex(rule) -> str:
    r"""The derivation of ``psi`` from the algorithm, step by step, and the resulting ``psi_eta``.

    Long expressions are grouped by monomials in ``y, eta, d`` and broken over lines; the
    label-free part (no drift, noise only) is shown separately.

    Parameters
    ----------
    rule : Rule
        From :func:`theory.rules.make_rule`.

    Returns
    -------
    str
        Text-mode LaTeX (paragraphs and ``align*`` blocks).

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> text = psi_latex(make_rule("alternating", "He3", "He3"))
    >>> r"\psi_\eta(y, z) &= 3 a y \left(z^{2} - 1\right)" in text
    True
    """
    printer = TheoryLatexPrinter()
    rows = []
    for step in rule.derivation:
        rows.append((None, r"{\small " + step.note + ":}"))
        rows.append((step.latex, expr_lines(step.expr, printer=printer)))
    if rule.label_free != 0:
        rows.append((None, r"{\small label-free part (independent of $y$: no drift, but it adds noise):}"))
        rows.append((r"\psi_\eta - \psi_\eta\big|_{\text{label}}", expr_lines(rule.label_free, printer=printer)))
    if rule.keep_a and rule.a_next != A:
        rows.append((None, r"{\small the second layer keeps $\tilde a$ (it is not reset):}"))
        rows.append((r"a_{t+1}", expr_lines(rule.a_next, printer=printer)))
    note = rule.latex_note()
    note = note + "\n" if note else ""
    if rule.distributional:
        note += r"\noindent Note: " + escape_text(rule.singularity_note()) + ".\n"
    return _rule_intro(rule, printer) + "\n" + align_block(rows) + "\n" + note


def _mu_definition(printer) -> str:
    i = sp.Symbol("i", integer=True, positive=True)
    k = sp.Symbol("k", integer=True, nonnegative=True)
    z1, z2 = sp.Symbol("z_1", real=True), sp.Symbol("z_2", real=True)
    zeta = sp.Symbol("zeta", real=True)
    g_k = sp.Function("g_k")(Z)
    expectation = Expectation(Psi(OrderedSum(Target(z1), zeta), z2) * He(i, z1) * He(i - 1, z2))
    top = printer._print(expectation)
    bottom = printer._print(sp.factorial(i) * sp.factorial(i - 1))
    return (rf"{printer._print(Mu(i))} = \frac{{{top}}}{{{bottom}}} = "
            rf"\sum_{{k}} {printer._print(HermiteCoef(i, Expectation(Y**k, Z)))}\, "
            rf"{printer._print(HermiteCoef(i - 1, g_k))}, \qquad "
            rf"{printer._print(Psi(Y, Z))} = \sum_k y^k g_k(z)")


def mu_latex(rule, imax: int = 8, *, symbolic_a: bool = False) -> str:
    r"""The drift coefficients ``mu_i(eta)``, ``i = 1..imax``, and the drift polynomial in ``m``.

    Parameters
    ----------
    rule : Rule
        From :func:`theory.rules.make_rule`.
    imax : int
        Coefficients ``mu_1 .. mu_imax``.
    symbolic_a : bool
        Keep the second layer ``a`` as a symbol instead of the rule's value.

    Returns
    -------
    str
        Text-mode LaTeX (the definition of ``mu_i``, an ``align*`` block, the drift in ``m``).

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> text = mu_latex(make_rule("alternating", "He3", "He3"), 4)
    >>> r"\mu_{2}(\eta) &= 324 \eta" in text, r"\mu_{3}(\eta) &= 3" in text
    (True, True)
    """
    from theory.drift import drift_expansion

    printer = TheoryLatexPrinter()
    drift = drift_expansion(rule, imax, symbolic_a=symbolic_a)
    mu = drift.mu
    rows = [(printer._print(Mu(i)), _mu_lines(printer, drift, i)) for i, v in mu.items() if v != 0]
    zero = [i for i, v in mu.items() if v == 0]
    i = sp.Symbol("i", integer=True, positive=True)
    inner = sp.expand(sum(sp.factorial(j) * v * M ** (j - 1) for j, v in mu.items()))
    inner = inner.xreplace({f: sp.Float(f, 10) for f in inner.atoms(sp.Float)})
    drift_lhs = r"\mathbb{E}\bigl[\langle \theta, \psi_\eta P_w^\perp x\rangle\bigr]"
    drift_general = rf"(1 - m^2) \sum_{{i}} {printer._print(sp.factorial(i))}\, {printer._print(Mu(i))}\, m^{{i-1}}"
    drift_lines = break_lines(printer, grouped_terms(inner, (M,)), LINE_WIDTH)
    drift_lines[0] = r"(1 - m^2)\Bigl(" + drift_lines[0]
    drift_lines[-1] += r"\Bigr)"
    out = [r"\noindent Drift coefficients ($z_1, z_2$ independent standard Gaussians, $\mathrm{He}_k$ basis):",
           r"\[ " + _mu_definition(printer) + r" \]",
           align_block(rows) if rows else r"\noindent All $\mu_i$ vanish up to $i = " + str(imax) + "$."]
    if zero:
        out.append(rf"\noindent $\mu_i = 0$ for $i \in \{{{', '.join(map(str, zero))}\}}$"
                   + (" exactly" if not drift.is_exact else "")
                   + (r" (second layer $a$ kept symbolic)." if symbolic_a else "."))
    numeric = [j for j, err in drift.error.items() if err != 0]
    if numeric:
        bounds = ", ".join(rf"$|\Delta\mu_{{{j}}}| \le {printer._print(drift.error[j])}$" for j in numeric)
        out.append(r"\noindent $\dagger$: numeric coefficient (quadrature of Hermite coefficients), shown to 10 "
                   r"digits; the error bounds, valid for $\eta, d > 0$, are " + bounds + ".")
    for note in drift.notes:
        out.append(r"\noindent Note: " + escape_text(note) + ".")
    out.append(r"\noindent Population drift of the overlap $m = \langle w, \theta\rangle$ "
               rf"(terms up to $i = {imax}$" + ("; numeric coefficients rounded to 10 digits" if numeric else "")
               + "):")
    out.append(align_block([(drift_lhs, drift_general), ("", drift_lines)]))
    return "\n".join(out) + "\n"


def _mu_lines(printer, drift, i) -> list[str]:
    r"""The lines of ``mu_i``: exact monomials as they are, numeric coefficients marked ``\dagger``."""
    terms = drift.terms[i]
    if all(v.is_exact for v in terms.values()):
        return expr_lines(drift.mu[i], gens=(ETA, D, A), printer=printer)
    out = []
    for (e, f, g), v in sorted(terms.items()):
        mono = ETA**e * D**f * A**g
        if v.is_exact:
            out.append(v.exact * mono)
        else:
            value = Approx(sp.Float(v.value, 17))
            out.append(value if mono == 1 else CoefTimes(value, mono))
    return break_lines(printer, out, LINE_WIDTH)


def _regime_text(piece) -> str:
    return rf"\text{{index }} i = {piece.index}\ \text{{({escape_text(piece.regime)})}}"


def _cases_rows(printer, pieces, *, in_eta: bool) -> list[str]:
    rows = []
    for p in pieces:
        hi = sp.oo if p.alpha_max is None else p.alpha_max
        if in_eta:
            value = printer._print(SoftTheta(PowerProduct((ETA, -p.slope), (D, p.intercept))))
            lo_eta = PowerProduct((D, -hi)) if hi != sp.oo else sp.Integer(0)
            hi_eta = PowerProduct((D, -p.alpha_min)) if p.alpha_min != -sp.oo else sp.oo
            cond = printer._print(Between(lo_eta, ETA, hi_eta)) if lo_eta != 0 else \
                printer._print(Between(-sp.oo, ETA, hi_eta))
        else:
            value = printer._print(Linear(p.slope, ALPHA, p.intercept))
            cond = printer._print(Between(p.alpha_min, ALPHA, hi))
        rows.append(rf"{value}, & {cond},\quad {_regime_text(p)}")
    return rows


def _cases(rows) -> str:
    return "\\begin{cases}\n" + " \\\\\n".join(rows) + "\n\\end{cases}"


def theorem_latex(prediction) -> str:
    r"""The main theorem's prediction: ``T(eta)`` piecewise, as ``cases`` in ``alpha`` (``eta = d^{-alpha}``),
    and the learning-rate thresholds.

    Parameters
    ----------
    prediction : Prediction
        From :func:`theory.predict.predict`.

    Returns
    -------
    str
        Text-mode LaTeX (the theorem's formula, ``cases`` in ``alpha``, the thresholds).

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> from theory.predict import predict
    >>> text = theorem_latex(predict(make_rule("alternating", "He3", "He3"), 6))
    >>> r"2 \alpha + 1, & 0 \le \alpha \le \frac{1}{2}" in text
    True
    >>> r"\alpha = \frac{1}{2}\ (\eta = d^{-1/2})" in text
    True
    """
    printer = TheoryLatexPrinter()
    rule = prediction.rule
    i = sp.Symbol("i", integer=True, positive=True)
    lo, why = rule.eta_range
    theorem = (r"T(\eta) = \min_{i:\ \mu_i(\eta) > 0} "
               + printer._print(SoftTheta(PowerProduct((Mu(i), -2), (D, Vee(i - 1, 1)))))
               + r", \qquad \eta = d^{-\alpha}")
    out = [rf"\noindent\textbf{{Prediction}} for {escape_text(rule.label)}. Iterations (fresh samples) to weak "
           r"recovery, with the step size $\gamma$ in the theorem's range:",
           r"\[ " + theorem + r" \]"]
    if not prediction.pieces:
        out.append(r"\noindent No $\mu_i$ is positive: the theorem predicts no recovery.")
        return "\n".join(out) + "\n"
    valid = "" if lo == -sp.oo else (rf", valid for $\alpha \ge {inline_number(printer, lo)}$, i.e.\ "
                                     rf"${printer._print(Between(-sp.oo, ETA, PowerProduct((D, -lo))))}$"
                                     + (" (assumed for a custom rule)" if "assumed" in why else ""))
    out.append(rf"\noindent so that $\log_d T = e(\alpha)$ is piecewise linear{valid}:")
    out.append(r"\[ \log_d T = e(\alpha) = " + _cases(_cases_rows(printer, prediction.pieces, in_eta=False)) + r" \]")
    out.append(r"\[ T(\eta) = " + _cases(_cases_rows(printer, prediction.pieces, in_eta=True)) + r" \]")
    if prediction.thresholds:
        rows = []
        for t in prediction.thresholds:
            where = printer._print(PowerProduct((D, -t.alpha)))
            edge = r"\ \text{(edge of the valid range)}" if t.at_boundary else ""
            alpha = printer._print(t.alpha)
            rows.append(rf"\alpha = {alpha}\ (\eta = {where}): &\quad i = {t.from_index} \to {t.to_index}{edge}")
        out.append(r"\noindent Thresholds, in the direction of increasing $\eta$:")
        out.append("\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}")
    else:
        out.append(r"\noindent No threshold: the same index wins for every learning rate.")
    small, large = prediction.small_lr_exponent, prediction.large_lr_exponent
    parts = []
    if small is not None:
        parts.append(rf"small $\eta$: $T = {printer._print(SoftTheta(PowerProduct((D, small))))}$")
    if large is not None:
        parts.append(rf"largest $\eta$: $T = {printer._print(SoftTheta(PowerProduct((D, large))))}$")
    if parts:
        out.append(r"\noindent " + "; ".join(parts) + ".")
    if [p.to_dict() for p in prediction.refined_pieces] != [p.to_dict() for p in prediction.pieces]:
        out.append(r"\noindent Refined by the normalisation cost $\mathbb{E}[\psi_\eta^2]$ "
                   r"($T \approx \mathbb{E}[\psi_\eta^2]\,\mu_i^{-2} d^{(i-1)\vee 1}$):")
        out.append(r"\[ e_{\mathrm{refined}}(\alpha) = "
                   + _cases(_cases_rows(printer, prediction.refined_pieces, in_eta=False)) + r" \]")
    if prediction.sign_notes:
        out.append(r"\noindent Sign notes: " + "; ".join(escape_text(n) for n in prediction.sign_notes) + ".")
    if getattr(prediction, "numeric", False):
        out.append(r"\noindent Some drift coefficients are numeric (quadrature, with error bounds); the curve "
                   r"depends only on which coefficients vanish, their certified signs and their powers of "
                   r"$\eta$ and $d$, so it is exact.")
    for note in getattr(prediction, "assumptions", ()):
        out.append(r"\noindent Assumption: " + escape_text(note) + ".")
    return "\n".join(out) + "\n"


def bounds_latex(bounds) -> str:
    r"""A table of the lower bounds on the sample exponent beside the rule's best exponent.

    Parameters
    ----------
    bounds : theory.bounds.LowerBounds

    Returns
    -------
    str
        A ``tabular`` with one row per bound: its exponent, who it binds, and the gap.

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> from theory.predict import predict
    >>> from theory.bounds import lower_bounds
    >>> text = bounds_latex(lower_bounds(predict(make_rule("alternating", "He3", "He3"))))
    >>> r"\max(1, k^*/2)" in text and "does not bind" in text
    True
    """
    printer = TheoryLatexPrinter()
    gaps = bounds.gaps()

    def cell(value):
        return "undecided" if value is None else "$" + printer._print(value) + "$"
    rows = [("information-theoretic", "$1$", bounds.information_theoretic, "information_theoretic",
             "every estimator"),
            ("SQ / low-degree", r"$\max(1, k^*/2)$", bounds.sq, "sq", "SQ and low-degree algorithms"),
            ("CSQ", r"$\max(1, p/2)$", bounds.csq, "csq", r"correlational algorithms ($\psi$ linear in $y$)")]
    body = []
    for name, formula, value, key, who in rows:
        binds = "binds" if bounds.applies(key) else "does not bind"
        body.append(f"{name} & {formula} & {cell(value)} & {who}; {binds} & {cell(gaps[key])} \\\\")
    best = cell(bounds.best) if bounds.best.is_finite else "unbounded below"
    where = "" if bounds.best_alpha is None else rf" at $\alpha = {printer._print(bounds.best_alpha)}$"
    head = (rf"\noindent Lower bounds on the sample exponent $e$ ($n \sim d^e$) for this target, beside the "
            rf"rule's best exponent {best}{where} (rule class: {escape_text(bounds.rule_class)}); the gap is "
            r"the best exponent minus the bound.")
    table = ("\\begin{center}\n\\begin{tabular}{llcp{0.42\\linewidth}c}\nbound & formula & $e \\ge$ & holds for & gap \\\\\n"
             "\\hline\n" + "\n".join(body) + "\n\\end{tabular}\n\\end{center}")
    return head + "\n" + table
