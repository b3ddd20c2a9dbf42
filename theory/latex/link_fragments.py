r"""LaTeX fragments of a link: its Hermite expansion, its exponents, a notebook summary.

Role: :func:`hermite_latex` (the expansion with exact coefficients and its table),
:func:`exponents_latex` (information, generative and power exponents, how each was decided) and
:func:`profile_latex` (math-mode, for ``$...$`` in notebooks).  The mathematics comes from
:mod:`theory.hermite` and :mod:`theory.exponents` (imported inside the functions); notation and
layout from :mod:`theory.latex.notation` and :mod:`theory.latex.layout`.

Convention, stated in every output that shows a coefficient: probabilists' Hermite polynomials
``He_k``, ``u_k(f) = E[f(z) He_k(z)] / k!`` for ``z ~ N(0, 1)``; the normalised basis
``h_k = He_k / sqrt(k!)`` has coefficients ``sqrt(k!) u_k``.
"""
from __future__ import annotations

import math

import sympy as sp

from theory._validate import as_int
from theory.latex.escape import escape_text
from theory.latex.layout import LINE_WIDTH, align_block, break_lines, inline_math, tabular
from theory.latex.notation import (Approx, CoefTimes, Expectation, He, HermiteCoef, LatexInputError, SoftTheta,
                                   Student, Target, TheoryLatexPrinter, Vee)
from theory.links import Link
from theory.symbols import D, P, Y, Z

__all__ = ["hermite_latex", "exponents_latex", "profile_latex"]


def _as_profile_or_expansion(profile_or_link, kmax):
    from theory.errors import ExpansionError
    from theory.exponents import LinkProfile
    from theory.hermite import KMAX_LIMIT, hermite_expansion
    from theory.links import parse_link

    if kmax is not None:  # checked here too: a profile's own coefficients are sliced, not recomputed
        kmax = as_int(kmax, "kmax", lo=0, hi=KMAX_LIMIT, error=ExpansionError)
    if isinstance(profile_or_link, LinkProfile):
        link = profile_or_link.link
        if kmax is None or kmax <= profile_or_link.expansion.kmax:
            coeffs = profile_or_link.expansion.coefficients[: (kmax if kmax is not None else 10**9) + 1]
            return link, coeffs
        return link, hermite_expansion(link, kmax).coefficients
    if isinstance(profile_or_link, str):
        link = parse_link(profile_or_link)
    elif isinstance(profile_or_link, Link):
        link = profile_or_link
    elif isinstance(profile_or_link, sp.Expr):
        link = Link(profile_or_link, str(profile_or_link))
    else:
        raise LatexInputError(f"expected a LinkProfile, a Link or a link name, got {type(profile_or_link).__name__}")
    return link, hermite_expansion(link, 10 if kmax is None else kmax).coefficients


def _series_terms(coefficients) -> list:
    terms = []
    for c in coefficients:
        if c.exact is not None:
            if c.exact == 0:
                continue
            terms.append(c.exact if c.k == 0 else CoefTimes(c.exact, He(c.k)))
        elif c.value != 0:
            value = Approx(sp.Float(c.value, 17))
            terms.append(value if c.k == 0 else CoefTimes(value, He(c.k)))
    return terms


def _series_is_complete(expr: sp.Expr, kmax: int) -> bool:
    return bool(expr.is_polynomial(Z)) and (Z not in expr.free_symbols or sp.Poly(expr, Z).degree() <= kmax)


def hermite_latex(profile_or_link, kmax: int | None = None, *, role: str = "target") -> str:
    r"""The Hermite expansion ``f(z) = sum_k u_k He_k(z)`` with exact coefficients (text-mode fragment).

    Numeric coefficients (quadrature) are marked ``\dagger`` with their error bound; the
    basis is stated, and a table gives ``u_k`` and the normalised-basis coefficient
    ``sqrt(k!) u_k`` of ``h_k = He_k / sqrt(k!)``.

    Parameters
    ----------
    profile_or_link : LinkProfile, Link, str or sympy.Expr
    kmax : int, optional
        Highest index shown (default: the profile's, or 10).
    role : {"target", "student"}
        Print the function as ``\sigma_*`` or ``\sigma``.

    Returns
    -------
    str
        Text-mode LaTeX (an ``align*`` block, a note on the coefficients and a table).

    Examples
    --------
    >>> text = hermite_latex("He3", 4)
    >>> r"\sigma_*(z) &= \mathrm{He}_{3}(z)" in text
    True
    >>> r"\dagger" in hermite_latex("tanh", 3)
    True
    """
    if role not in ("target", "student"):
        raise LatexInputError(f"role must be 'target' or 'student', got {role!r}")
    link, coefficients = _as_profile_or_expansion(profile_or_link, kmax)
    kmax = coefficients[-1].k
    printer = TheoryLatexPrinter()
    fn = (Target if role == "target" else Student)(Z)
    name = fn._symbol
    terms = _series_terms(coefficients)
    complete = _series_is_complete(link.expr, kmax)
    lines = break_lines(printer, terms, LINE_WIDTH)
    if not complete:
        lines[-1] += r" + \cdots"
    k = sp.Symbol("k", integer=True, nonnegative=True)
    definition = (rf"{printer._print(fn)} = \sum_{{k \ge 0}} {printer._print(HermiteCoef(k, fn))}\, "
                  rf"{printer._print(He(k))}, \qquad "
                  rf"{printer._print(HermiteCoef(k, fn))} = "
                  rf"\frac{{{printer._print(Expectation(fn * He(k)))}}}{{{printer._print(sp.factorial(k))}}}, "
                  r"\quad z \sim \mathcal{N}(0, 1)")
    numeric = [c for c in coefficients if c.exact is None]
    out = [rf"\noindent Hermite expansion of ${name}$ (link \texttt{{{escape_text(link.name)}}}) in the "
           r"probabilists' basis $\mathrm{He}_k$, with $\mathbb{E}[\mathrm{He}_j(z)\mathrm{He}_k(z)] = k!\,\delta_{jk}$:",
           r"\[ " + definition + r" \]",
           align_block([(printer._print(fn), [printer._print(link.expr)]), (printer._print(fn), lines)])]
    notes = []
    if not complete:
        notes.append(rf"terms with $k > {kmax}$ are not shown")
    if link.noise != 0:
        notes.append(rf"labels carry Gaussian noise, $y = \sigma_*(z) + \zeta$, "
                     rf"$\zeta \sim \mathcal{{N}}(0, {printer._print(link.noise**2)})$, which leaves $u_k$ unchanged")
    if numeric:
        err = max(c.error for c in numeric)
        notes.append(rf"$\dagger$: numeric (tanh-sinh quadrature), absolute error at most "
                     rf"${printer._print(sp.Float(err, 2))}$; all other coefficients are exact")
    if notes:
        out.append(r"\noindent " + "; ".join(notes) + ".")
    rows = []
    for c in coefficients:
        if c.exact is not None:
            exact = inline_math(printer, c.exact)
            norm = inline_math(printer, sp.sqrt(sp.factorial(c.k)) * c.exact)
        else:
            exact = r"$\dagger$ numeric"
            norm = "$0$" if c.value == 0 else inline_math(printer, sp.Float(math.sqrt(math.factorial(c.k)) * c.value, 10))
        value = "0" if c.value == 0 else printer._print(sp.Float(c.value, 12))
        if c.exact is None:
            value += r" \pm " + printer._print(sp.Float(c.error, 2))
        rows.append([str(c.k), exact, "$" + value + "$", norm])
    header = ["$k$", rf"$u_k({name})$", "value", r"$\sqrt{k!}\,u_k$ (basis $h_k = \mathrm{He}_k/\sqrt{k!}$)"]
    out.append("\\begin{center}\n" + tabular("@{}rlll@{}", header, rows)
               + "\n\\end{center}")
    return "\n".join(out) + "\n"


def _exponent_cells(printer, e) -> list[str]:
    """``[value, how decided, reason]`` cells for one :class:`~theory.exponents.Exponent`."""
    status = getattr(e, "status", "exact" if e.exact else "certified")
    if e.value is not None:
        value = f"${e.value}$"
    elif status == "none":
        value = "none"
    elif e.upper is None:
        value = (rf"none up to ${e.searched_to}$" if e.lower is not None and e.lower > e.searched_to
                 else rf"$\ge {e.lower}$")
    else:
        value = rf"${e.lower} \le \cdot \le {e.upper}$"
    how = {"exact": "exact", "none": "exact", "certified": "certified (rigorous interval enclosure)",
           "undecided": "undecided (only the bounds are proven)"}.get(status, status)
    return [value, how, r"{\small " + escape_text(e.reason) + "}"]


def exponents_latex(profile) -> str:
    r"""A table of the information, generative and power exponents of a link (text-mode fragment).

    Each row says how the exponent was decided (exact; certified by a rigorous interval
    enclosure; or undecided, with the proven bounds); below it, the online-SGD sample
    complexity ``d^{(p-1) v 1}`` at ``p = IE`` when the information exponent is decided.

    Parameters
    ----------
    profile : LinkProfile
        From :func:`theory.exponents.profile`.

    Returns
    -------
    str
        Text-mode LaTeX (a ``tabular`` and a sentence).

    Examples
    --------
    >>> from theory.exponents import profile
    >>> text = exponents_latex(profile("He3", kmax=4))
    >>> r"$\mathrm{GE}(\sigma_*)$ & $1$" in text
    True
    >>> r"d^{(p - 1) \vee 1}\right) = \tilde\Theta\left(d^{2}\right)" in text
    True
    """
    printer = TheoryLatexPrinter()
    rows = [[r"$\mathrm{IE}(\sigma_*)$", *_exponent_cells(printer, profile.information_exponent)],
            [r"$\mathrm{GE}(\sigma_*)$", *_exponent_cells(printer, profile.generative_exponent)]]
    for j, e in profile.power_exponents.items():
        rows.append([rf"$p_{{{j}}} = \mathrm{{IE}}({printer._print(Expectation(Y**j, Z))})$",
                     *_exponent_cells(printer, e)])
    table = tabular(r"@{}l l l p{0.5\linewidth}@{}", ["exponent", "value", "decided", "witness"], rows)
    out = [rf"\noindent Exponents of $\sigma_*(z) = {printer._print(profile.link.expr)}$ "
           rf"(link \texttt{{{escape_text(profile.link.name)}}}"
           + (rf", label noise $s = {printer._print(profile.link.noise)}$" if profile.link.noise != 0 else "")
           + r"): information exponent $\mathrm{IE} = \min\{k \ge 1 : u_k(\sigma_*) \ne 0\}$, generative exponent "
           r"$\mathrm{GE} = \min\{k \ge 1 : \mathbb{E}_y[\mathbb{E}[\mathrm{He}_k(z) \mid y]^2] > 0\}$, "
           r"power exponents $p_j = \mathrm{IE}(\mathbb{E}[y^j \mid z])$.",
           "\\begin{center}\n" + table + "\n\\end{center}"]
    ie = profile.information_exponent.value
    if ie is not None:
        general = SoftTheta(D ** Vee(P - 1, 1))
        out.append(rf"\noindent Online SGD: $n = {printer._print(general)} = "
                   rf"{printer._print(SoftTheta(D ** Vee(ie - 1, 1)))}$ samples at $p = {ie}$.")
    return "\n".join(out) + "\n"


def profile_latex(profile) -> str:
    r"""Math-mode summary of a :class:`~theory.exponents.LinkProfile` (no ``$`` delimiters).

    An ``aligned`` block: the link, its ``He_k`` expansion (exact coefficients, numeric ones
    marked ``\dagger``) and its exponents.  Used by ``LinkProfile._repr_latex_``.

    Parameters
    ----------
    profile : LinkProfile
        From :func:`theory.exponents.profile`.

    Returns
    -------
    str
        Math-mode LaTeX, to be put inside ``$...$``.

    Examples
    --------
    >>> from theory.exponents import profile
    >>> print(profile_latex(profile("He3", kmax=4)))
    \begin{aligned}
    \sigma_*(z) &= z^{3} - 3 z \\
    &= \mathrm{He}_{3}(z) \\
    &\text{basis } \mathrm{He}_k,\ u_k = \mathbb{E}[\sigma_*(z)\mathrm{He}_k(z)]/k! \\
    &\mathrm{IE} = 3,\quad \mathrm{GE} = 1,\quad p_{1} = 3,\ p_{2} = 2,\ p_{3} = 1
    \end{aligned}
    """
    printer = TheoryLatexPrinter()
    coefficients = profile.expansion.coefficients
    lines = break_lines(printer, _series_terms(coefficients), LINE_WIDTH)
    if not _series_is_complete(profile.link.expr, coefficients[-1].k):
        lines[-1] += r" + \cdots"
    rows = [rf"{printer._print(Target(Z))} &= {printer._print(profile.link.expr)}"]
    rows.append(f"&= {lines[0]}")
    rows += [rf"&\quad {line}" for line in lines[1:]]
    basis = r"&\text{basis } \mathrm{He}_k,\ u_k = \mathbb{E}[\sigma_*(z)\mathrm{He}_k(z)]/k!"
    if any(c.exact is None for c in coefficients):
        basis += r";\ \dagger\ \text{numeric}"
    if profile.link.noise != 0:
        basis += rf";\ \text{{noise }} s = {printer._print(profile.link.noise)}"
    rows.append(basis)

    def show(e):
        return r"\text{" + escape_text(str(e)) + "}" if e.value is None or not e.exact else str(e.value)

    ex = (rf"&\mathrm{{IE}} = {show(profile.information_exponent)},\quad "
          rf"\mathrm{{GE}} = {show(profile.generative_exponent)}")
    if profile.power_exponents:
        ex += r",\quad " + r",\ ".join(f"p_{{{j}}} = {show(e)}" for j, e in profile.power_exponents.items())
    rows.append(ex)
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"
