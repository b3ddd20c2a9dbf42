r"""Whole LaTeX documents: :func:`report_latex`, :func:`standalone` and the figure path.

Role: document templates.  :func:`standalone` wraps a fragment in :data:`PREAMBLE`;
:func:`report_latex` assembles the fragments of :mod:`theory.latex.link_fragments` and
:mod:`theory.latex.rule_fragments`, the comparison
with a simulation (:func:`theory.latex.summary.simulation_summary`) in bounded tables, and a
figure whose path is assembled from character codes (:func:`figure_path_tex`), so no user
text reaches TeX as itself.
"""
from __future__ import annotations

import math
import os
import stat
from numbers import Real

import sympy as sp

from theory.errors import TheoryInputError
from theory.latex.escape import escape_text
from theory.latex.link_fragments import exponents_latex, hermite_latex
from theory.latex.rule_fragments import bounds_latex, mu_latex, psi_latex, theorem_latex
from theory.latex.layout import align_block, expr_lines, inline_math, tabular
from theory.latex.notation import Expectation, He, HermiteCoef, LatexInputError, Psi, TheoryLatexPrinter
from theory.latex.summary import is_number, simulation_summary
from theory.symbols import D, ETA, Y, Z

__all__ = ["PREAMBLE", "standalone", "report_latex", "figure_path_tex", "MAX_TABLE_ROWS", "MAX_TABLE_COLUMNS",
           "MAX_CELL_CHARS"]


#: Packages every fragment may use.
PREAMBLE = "\n".join([
    r"\documentclass[11pt]{article}",
    r"\usepackage[margin=2cm]{geometry}",
    r"\usepackage{amsmath,amssymb}",
    r"\usepackage{booktabs,array,longtable}",
    r"\usepackage{graphicx}",
    r"\allowdisplaybreaks",
])


def standalone(fragment: str, title: str | None = None) -> str:
    r"""Wrap a text-mode fragment in a minimal compilable document (:data:`PREAMBLE`).

    Parameters
    ----------
    fragment : str
        Text-mode LaTeX (any fragment of :mod:`theory.latex`).
    title : str, optional
        A section title, escaped with :func:`~theory.latex.escape.escape_text`.

    Returns
    -------
    str
        A compilable document that loads :data:`PREAMBLE`.

    Examples
    --------
    >>> doc = standalone(r"\[ x \]")
    >>> doc.startswith(r"\documentclass") and doc.rstrip().endswith(r"\end{document}")
    True
    """
    head = PREAMBLE + "\n\\begin{document}\n"
    if title:
        head += rf"\section*{{{escape_text(title)}}}" + "\n"
    return head + fragment.rstrip("\n") + "\n\\end{document}\n"


def _check_figure(figure) -> bytes:
    """The absolute path of an includable figure, as bytes (pdfTeX reads file names byte by byte)."""
    path = os.fspath(figure)
    if not isinstance(path, str):
        path = os.fsdecode(path)
    if not os.path.lexists(path):
        raise LatexInputError(f"figure {path!r} does not exist")
    try:
        st = os.stat(path)
    except OSError as exc:
        raise LatexInputError(f"figure {path!r} cannot be read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file (a device, FIFO or socket)"
        raise LatexInputError(f"figure {path!r} is {kind}")
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".png", ".pdf", ".jpg", ".jpeg"):
        raise LatexInputError(f"figure {path!r} must be a .png, .pdf or .jpg file")
    if '"' in path:
        raise LatexInputError(f'figure {path!r}: pdflatex cannot open a file whose path contains a double quote ("); '
                              f"copy the figure to a path without one")
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise LatexInputError(f"figure {path!r} cannot be read ({exc.strerror or exc})") from None
    signature = {".png": (b"\x89PNG\r\n\x1a\n", "PNG"), ".pdf": (b"%PDF", "PDF"), ".jpg": (b"\xff\xd8\xff", "JPEG"),
                 ".jpeg": (b"\xff\xd8\xff", "JPEG")}[ext]
    if not head.startswith(signature[0]):
        raise LatexInputError(f"figure {path!r} is not a {signature[1]} file")
    return os.fsencode(os.path.abspath(path))


#: Defines ``\TheoryFigure``: a file name assembled from character codes, so no character of a
#: path ever reaches TeX's input as itself (``}``, ``%``, ``\``, ``#``, newlines, ...).
_FIGURE_MACROS = "\n".join([
    r"\newcommand\TheoryFigName{}",
    r"\newcommand\TheoryFigLit[1]{\expandafter\gdef\expandafter\TheoryFigName\expandafter{\TheoryFigName#1}}",
    r"\newcommand\TheoryFigChar[1]{\begingroup\lccode`\?=#1\relax\lowercase{\endgroup\TheoryFigLit{?}}}",
    r"\newcommand\TheoryFigInclude[1]{\begingroup\def\TheoryFigArg##1{\endgroup\includegraphics[#1]{##1}}"
    r"\expandafter\TheoryFigArg\expandafter{\TheoryFigName}}",
])


def figure_path_tex(path: bytes) -> str:
    r"""TeX that sets ``\TheoryFigName`` to the file name ``path`` (bytes), one safe token at a time.

    ASCII letters, digits, ``.``, ``/`` and ``-`` are written as themselves; every other byte
    as ``\TheoryFigChar{code}``, which makes that character with category "other" (so it can
    never open a group, start a comment or a command).  Needs the definitions in the report's
    preamble.

    Examples
    --------
    >>> print(figure_path_tex(b"/tmp/a}b%c.png"))
    \gdef\TheoryFigName{}%
    \TheoryFigLit{/tmp/a}%
    \TheoryFigChar{125}%
    \TheoryFigLit{b}%
    \TheoryFigChar{37}%
    \TheoryFigLit{c.png}%
    """
    out, lit = [r"\gdef\TheoryFigName{}"], ""
    for b in path:
        ch = chr(b)
        if b < 128 and (ch.isalnum() or ch in "./-"):
            lit += ch
            continue
        if lit:
            out.append(r"\TheoryFigLit{" + lit + "}")
            lit = ""
        out.append(r"\TheoryFigChar{" + str(b) + "}")
    if lit:
        out.append(r"\TheoryFigLit{" + lit + "}")
    return "%\n".join(out) + "%"


#: Rows typeset from a simulation summary (more are counted, not shown).
MAX_TABLE_ROWS = 200


#: Columns per table; wider row sets are split into several tables.
MAX_TABLE_COLUMNS = 7


#: Characters of a text cell shown.
MAX_CELL_CHARS = 40


def _cell(printer, value) -> str:
    if value is None:
        return "--"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"${value}$" if abs(value) < 10**15 else inline_math(printer, sp.Float(value, 4))
    if isinstance(value, Real):
        if not math.isfinite(value):
            return escape_text(str(value))
        return inline_math(printer, sp.Float(value, 4))
    return _short(value)


def _short(text) -> str:
    """A key or string cell, cut to MAX_CELL_CHARS characters and escaped."""
    text = str(text)
    return escape_text(text if len(text) <= MAX_CELL_CHARS else text[:MAX_CELL_CHARS - 3] + "...")


def _split_columns(columns, keys=("tag", "d", "eta")):
    """Groups of at most MAX_TABLE_COLUMNS columns, each starting with the key columns present."""
    lead = [k for k in keys if k in columns]
    rest = [c for c in columns if c not in lead]
    width = max(1, MAX_TABLE_COLUMNS - len(lead))
    if not rest:
        return [lead]
    return [lead + rest[i:i + width] for i in range(0, len(rest), width)]


def _table_block(printer, columns, rows, names=None) -> str:
    names = names or {}
    header = [names.get(c, _short(c)) for c in columns]
    body = [[_cell(printer, r.get(c)) for c in columns] for r in rows]
    spec = "@{}" + "l" * len(header) + "@{}"
    return "{\\small\n" + tabular(spec, header, body, long=True) + "\n}"


def _claims_table(printer, claims) -> str:
    body = []
    for c in claims[:MAX_TABLE_ROWS]:
        name = str(c.get("name", ""))
        status = str(c.get("status") or ("pass" if c.get("pass") else "fail")).upper()
        se = c.get("se")
        meas = c.get("measured")
        meas_cell = _cell(printer, meas) if not is_number(se) else (
            _cell(printer, meas)[:-1] + r" \pm " + _cell(printer, se)[1:] if is_number(meas) and math.isfinite(meas)
            and math.isfinite(se) else _cell(printer, meas))
        body.append([r"\parbox[t]{0.5\linewidth}{\raggedright " + escape_text(name) + "}",
                     _cell(printer, c.get("predicted")), meas_cell, escape_text(status)])
    return "{\\small\n" + tabular("@{}llll@{}", ["claim", "predicted", "measured", "verdict"], body, long=True) + "\n}"


def _comparison_table(printer, prediction, simulation) -> str:
    from theory.predict import finite_d_times, winning_index

    summary = simulation_summary(simulation)
    rows, meta = summary["rows"], summary["meta"]
    out = []
    if summary["claims"]:
        out.append(_claims_table(printer, summary["claims"]))
    if not rows:
        if meta:
            items = [[_short(k), _cell(printer, v)] for k, v in meta.items()]
            out.append("\\begin{center}\n" + tabular("@{}ll@{}", ["quantity", "value"], items) + "\n\\end{center}")
        return "\n\n".join(out)
    shown = rows[:MAX_TABLE_ROWS]
    columns = []
    for r in shown:
        columns += [k for k in r if k not in columns]
    for group in _split_columns(columns):
        out.append(_table_block(printer, group, shown))
    if len(rows) > len(shown):
        out.append(rf"\noindent (The first {len(shown)} of {len(rows)} rows are shown.)")
    numeric_errors = (TheoryInputError, ArithmeticError, ValueError, TypeError)
    if all(is_number(r.get("d")) and is_number(r.get("eta")) and 2 <= r["d"] <= 1e9 and r["d"] == int(r["d"])
           and 0 < r["eta"] < math.inf for r in shown):
        pred_rows = []
        for r in shown:
            d, eta = int(r["d"]), r["eta"]
            alpha = -math.log(eta) / math.log(d)
            row = {"d": d, "eta": eta, "alpha": alpha}
            try:  # the theorem's columns at this (d, eta); a value they cannot be computed at is shown as --
                row["e"] = float(prediction.exponent(sp.Float(alpha, 15)))
            except numeric_errors:
                row["e"] = None
            try:
                times = finite_d_times(prediction, d, sp.nsimplify(eta))
                win = winning_index(prediction, d, sp.nsimplify(eta))
                row["index"], row["T_i"] = int(win), times[win]
            except numeric_errors:
                row["index"], row["T_i"] = None, None
            for key in ("median", "mean"):
                if key in columns:
                    v = r.get(key)
                    row["log_" + key] = math.log(v) / math.log(d) if is_number(v) and v > 0 and math.isfinite(v) \
                        else None
            pred_rows.append(row)
        names = {"d": "$d$", "eta": r"$\eta$", "alpha": r"$\alpha = -\log_d\eta$", "e": r"$e(\alpha)$",
                 "index": r"$i^*(d, \eta)$", "T_i": r"$\mu_{i^*}^{-2} d^{(i^*-1)\vee 1}$",
                 "log_median": r"$\log_d$ median", "log_mean": r"$\log_d$ mean"}
        cols = [c for c in names if any(c in pr for pr in pred_rows)]
        out.append(_table_block(printer, cols, pred_rows, names))
        out.append(r"\noindent Predicted columns: $e(\alpha) = \log_d T$ from the theorem (exponent only, "
                   r"no constants); $i^*$ the index minimising $\mu_i^{-2} d^{(i-1)\vee 1}$ at this finite $d$ "
                   r"and $\eta$, and that value. Compare $\log_d$ of the simulated times with $e(\alpha)$ only "
                   r"up to the constants and log factors the theorem hides.")
    if meta:
        info = "; ".join(f"{_short(k)}: {_cell(printer, v)}" for k, v in meta.items())
        out.append(r"\noindent " + info + ".")
    return "\n\n".join(out)


def _has_float(prediction) -> bool:
    """True when the prediction's drift coefficients or E[psi^2] carry floating-point coefficients."""
    exprs = [v for v in prediction.mu.values() if isinstance(v, sp.Basic)] + [prediction.psi_second_moment]
    return any(isinstance(e, sp.Basic) and bool(e.atoms(sp.Float)) for e in exprs)


def _definitions() -> str:
    printer = TheoryLatexPrinter()
    k = sp.Symbol("k", integer=True, nonnegative=True)
    j = sp.Symbol("j", integer=True, nonnegative=True)
    return "\n".join([
        r"\section{Setting and conventions}",
        r"Inputs $x \sim \mathcal{N}(0, I_d)$, an unknown unit direction $\theta$, labels "
        r"$y = \sigma_*(\langle x, \theta\rangle) + \zeta$ with optional noise $\zeta \sim \mathcal{N}(0, s^2)$. "
        r"The student is one neuron $a\,\sigma(\langle w, x\rangle)$ with $w$ on the unit sphere; "
        r"$m = \langle w, \theta\rangle$ is the overlap, weak recovery is $|m| \ge 1/2$.",
        r"Hermite polynomials are the probabilists' ones, "
        + "$" + printer._print(Expectation(He(j) * He(k))) + r" = k!\,\delta_{jk}$, and "
        + "$" + printer._print(HermiteCoef(k, sp.Function("f")(Z))) + " = "
        + printer._print(Expectation(sp.Function("f")(Z) * He(k)) / sp.factorial(k)) + "$"
        r" (the normalised basis $h_k = \mathrm{He}_k/\sqrt{k!}$ has coefficients $\sqrt{k!}\,u_k$). "
        r"$\mathrm{IE}(f) = \min\{k \ge 1: u_k(f) \ne 0\}$; "
        r"$\mathrm{GE} = \min\{k \ge 1: \mathbb{E}_y[\mathbb{E}[\mathrm{He}_k(z)\mid y]^2] > 0\}$; "
        r"$p_j = \mathrm{IE}(\mathbb{E}[y^j \mid z])$.",
        r"Every rule moves $w \leftarrow (w + \gamma\,\psi_\eta(y, z)\,P_w^\perp x)/\|\cdot\|$, $z = \langle w, x\rangle$; "
        r"the population drift of $m$ is $(1 - m^2)\sum_i i!\,\mu_i(\eta)\,m^{i-1}$ and the theorem predicts "
        r"$T(\eta) = \min_{i: \mu_i > 0} \tilde\Theta(\mu_i(\eta)^{-2} d^{(i-1)\vee 1})$.",
    ])


def report_latex(rule, prediction, *, simulation=None, figure=None, kmax: int | None = None) -> str:
    r"""A complete standalone ``.tex`` document for one rule.

    Sections: setting and conventions; target and student (Hermite expansions, exponents);
    the update rule (derivation of ``psi``); the drift coefficients and ``E[psi^2]``; the
    predicted ``T(eta)`` and thresholds; optionally a simulation table compared with the
    prediction and a figure.

    Parameters
    ----------
    rule : Rule
    prediction : Prediction
        ``predict(rule, imax)``; its ``mu`` sets ``imax`` for the drift section.
    simulation : dict or list, optional
        Simulation results, summarised (never dumped): the output of ``simulate --json``
        (counts, median and quartiles), verify's ``report.json`` (its claims and the points they
        used), verify's ``records.json`` or a ``points/<id>.json`` (one row per point), or rows
        ``{"rows": [{...}, ...], "caption": ..., other scalars}`` / a list of rows.  Rows are
        printed as tables of at most :data:`MAX_TABLE_COLUMNS` columns and
        :data:`MAX_TABLE_ROWS` rows; when every row has numeric ``d`` and ``eta``, a second table
        gives the predicted ``e(alpha)``, winning index and ``mu_i^-2 d^{(i-1) v 1}`` (and
        ``log_d`` of ``median``/``mean`` if present).  Every string is escaped.
    figure : path, optional
        A PNG (or PDF/JPG) included with ``\includegraphics``.  Its path is written as
        character codes (:func:`figure_path_tex`), so any file name works except one with a
        double quote, which pdflatex cannot open (refused).
    kmax : int, optional
        Hermite coefficients shown (default: ``imax``, at least the link's degree up to 12).

    Returns
    -------
    str
        A whole document, from ``\documentclass`` to ``\end{document}``.

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> from theory.predict import predict
    >>> r = make_rule("online", "He3", "He3")
    >>> doc = report_latex(r, predict(r, 4), simulation={"rows": [{"d": 50, "eta": 0.01, "median": 2500}]})
    >>> doc.startswith(r"\documentclass") and r"\end{document}" in doc and r"\mathrm{He}_{3}(z)" in doc
    True
    """
    from theory.exponents import profile

    imax = max(prediction.mu) if prediction.mu else 8
    if kmax is None:
        kmax = imax
        for link in (rule.target, rule.student):
            if link.expr.is_polynomial(Z) and Z in link.expr.free_symbols:
                kmax = max(kmax, min(int(sp.Poly(link.expr, Z).degree()), 12))
    graphic = _check_figure(figure) if figure is not None else None
    summary = simulation_summary(simulation) if simulation is not None else None
    printer = TheoryLatexPrinter()
    target_profile = profile(rule.target, kmax=kmax, powers=3)
    preamble = PREAMBLE + ("\n" + _FIGURE_MACROS if graphic is not None else "")
    from theory._version import VERSION

    parts = [preamble, f"% written by sgd-theory-verifier {VERSION}", r"\title{" + escape_text(rule.label) + "}",
             r"\date{}", r"\begin{document}", r"\maketitle", _definitions(),
             r"\section{Target and student}", hermite_latex(target_profile, kmax, role="target"),
             exponents_latex(target_profile),
             hermite_latex(rule.student, kmax, role="student"),
             r"\section{Update rule}", psi_latex(rule),
             r"\section{Drift coefficients}", mu_latex(rule, imax),
             align_block([(None, r"Normalisation cost at $m = 0$ (with the label-free part):"),
                          (printer._print(Expectation(Psi(Y, Z) ** 2)),
                           expr_lines(prediction.psi_second_moment, gens=(ETA, D), printer=printer))])]
    if _has_float(prediction):
        parts.append(r"\noindent\textbf{Numeric.} For this link the drift coefficients $\mu_i(\eta)$ and "
                     r"$\mathbb{E}[\psi_\eta^2]$ have floating-point (numeric) coefficients, printed as decimals; "
                     r"the finite-$d$ values below are numeric as well.")
    from theory.bounds import lower_bounds

    parts += [r"\section{Prediction}", theorem_latex(prediction),
              r"\section{Lower bounds}", bounds_latex(lower_bounds(prediction))]
    if summary is not None:
        parts += [r"\section{Simulation}"]
        parts.append(r"\noindent Input: " + escape_text(summary["kind"]) + "."
                     + (" " + escape_text(summary["caption"]) if summary["caption"] else ""))
        parts.append(_comparison_table(printer, prediction, simulation))
    if graphic is not None:
        parts += [r"\section{Figure}" if simulation is None else "",
                  figure_path_tex(graphic) + "\n\\begin{center}\n\\TheoryFigInclude{width=0.85\\linewidth}\n"
                  "\\end{center}"]
    parts.append(r"\end{document}")
    return "\n\n".join(p for p in parts if p) + "\n"
