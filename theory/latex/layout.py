r"""Line layout: long sums broken into lines, ``align*`` blocks, tables.

Role: arrange already-printed expressions (:mod:`theory.latex.notation`) on the page.  A long
sum is broken term by term at about :data:`LINE_WIDTH` glyphs (:func:`break_lines`); an
expression is first grouped by monomials in ``y, eta, d, q`` (:func:`grouped_terms`);
:func:`align_block` and :func:`tabular` assemble environments.  No mathematics and no document
structure lives here.

Examples
--------
>>> from theory.symbols import ETA, Y
>>> sum_lines([Y, -ETA * Y**2])
['y - \\eta y^{2}']
"""
from __future__ import annotations

import re

import sympy as sp

from theory.latex.notation import TheoryLatexPrinter, join_signed, split_sign
from theory.symbols import D, ETA, Q, Y, Z

__all__ = ["LINE_WIDTH", "sum_lines", "break_lines", "grouped_terms", "expr_lines", "align_block", "tabular",
           "inline_math"]


#: Approximate printed characters per displayed line before a long sum is broken.
LINE_WIDTH = 56


def sum_lines(terms, width: int | None = LINE_WIDTH, *, continued: bool = False) -> list[str]:
    r"""Print a sum term by term, in the given order, broken into lines of about ``width`` glyphs.

    ``terms`` is a list of expressions or an expression (then grouped by monomials in
    ``y, eta, d, q``).  With ``continued`` the first term carries its sign (``+ ...``), for a
    line that continues an earlier sum.  A group too long for one line is itself broken,
    inside ``\bigl( ... \bigr)``.

    Examples
    --------
    >>> sum_lines([Y, -ETA * Y**2], continued=True)
    ['+ y - \\eta y^{2}']
    >>> sum_lines(3 * Y * (Z**2 - 1) - ETA * Y**2 * Z)
    ['3 y \\left(z^{2} - 1\\right) - \\eta y^{2} z']
    """
    if isinstance(terms, sp.Basic):
        terms = grouped_terms(terms, (Y, ETA, D, Q))
    return break_lines(TheoryLatexPrinter(), terms, width, continued=continued)


class _Group(sp.Basic):
    r"""``prefix (polynomial in z)``: one term of a sum grouped by monomials in ``y, eta, d``."""

    def _latex(self, printer):
        prefix, inner = self.args
        return f"{printer._print(prefix)} \\left({join_signed(printer, _ordered_terms(inner))}\\right)"

    def could_extract_minus_sign(self):
        return self.args[0].could_extract_minus_sign()

    def __neg__(self):
        return _Group(-self.args[0], self.args[1])

    def as_expr(self):
        return self.args[0] * self.args[1]


def _units(printer, terms, width, continued):
    """``(text, starts_line)`` pieces that must stay on one line; an over-long group splits at its
    inner terms and starts a new line."""
    units = []
    first = not continued
    for term in terms:
        sign, body = split_sign(term, first)
        first = False
        text = printer._print(body)
        if width is not None and isinstance(body, _Group) and _visual_len(text) > width:
            inner = [piece for piece, _ in _units(printer, _ordered_terms(body.args[1]), width, False)]
            inner[0] = f"{sign}{printer._print(body.args[0])} \\bigl({inner[0]}"
            inner[-1] = f"{inner[-1]}\\bigr)"
            units += [(piece, n == 0) for n, piece in enumerate(inner)]
        else:
            units.append((sign + text, False))
    return units


def break_lines(printer, terms, width=LINE_WIDTH, *, continued=False) -> list[str]:
    """Print ``terms`` as a sum, in order, broken into lines of about ``width`` glyphs."""
    lines, current = [], ""
    for piece, starts_line in _units(printer, terms, width, continued):
        if current and width is not None and (starts_line or _visual_len(current) + _visual_len(piece) > width):
            lines.append(current)
            current = piece
        else:
            current = f"{current} {piece}" if current else piece
    lines.append(current or "0")
    return lines


_INVISIBLE = re.compile(r"\\(left|right|mathrm|operatorname|mathbb|mathbf|frac|tfrac|dfrac|bigl|bigr|Bigl|Bigr)\b")


_COMMAND = re.compile(r"\\[a-zA-Z]+")


def _visual_len(text: str) -> int:
    """A rough count of the glyphs ``text`` prints (commands count as one, braces as none)."""
    text = _COMMAND.sub("x", _INVISIBLE.sub("", text))
    return sum(1 for ch in text if ch not in "{}^_ ")


def grouped_terms(expr: sp.Expr, gens) -> list:
    """Terms of ``expr`` grouped by monomials in ``gens`` (ascending); a coefficient that is a
    polynomial in ``z`` becomes ``content (primitive polynomial)`` with a positive leading term."""
    expr = sp.expand(expr)
    gens = [g for g in gens if g in expr.free_symbols]
    if not gens or not expr.is_polynomial(*gens):
        return _ordered_terms(expr)
    poly = sp.Poly(expr, *gens)
    out = []
    for monom, coeff in sorted(poly.terms(), key=lambda t: t[0]):
        mono = sp.Mul(*[g**e for g, e in zip(gens, monom)])
        content, inner = _split_content(coeff)
        if isinstance(inner, sp.Add):
            out.append(_Group(mono * content, inner))
        else:
            out.append(mono * content * inner)
    return out


def _split_content(coeff: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """``coeff = content * inner``: content free of ``z``, inner a sum with a positive leading term."""
    coeff = sp.expand(coeff)
    if Z not in coeff.free_symbols or not isinstance(coeff, sp.Add):
        return sp.factor_terms(coeff), sp.Integer(1)
    content, inner = sp.Integer(1), sp.Integer(1)
    for factor in sp.Mul.make_args(sp.factor_terms(coeff)):
        if Z in factor.free_symbols:
            inner *= factor
        else:
            content *= factor
    rational, inner = sp.expand(inner).as_content_primitive()
    content, inner = content * rational, sp.expand(inner)
    lead = _ordered_terms(inner)[0]
    if lead.could_extract_minus_sign():
        content, inner = -content, sp.expand(-inner)
    return content, inner


def _ordered_terms(expr: sp.Expr) -> list[sp.Expr]:
    if isinstance(expr, sp.Add):
        return list(TheoryLatexPrinter()._as_ordered_terms(expr))
    return [expr]


def expr_lines(expr, *, gens=(Y, ETA, D, Q), width=LINE_WIDTH, printer=None):
    printer = printer or TheoryLatexPrinter()
    return break_lines(printer, grouped_terms(expr, gens), width)


def align_block(rows) -> str:
    r"""An ``align*`` environment from ``(lhs, rhs_lines)`` rows (already printed LaTeX).

    ``rhs_lines`` is a string or a list of continuation lines.  A row whose ``lhs`` is
    ``None`` is a line of text: ``\intertext`` between equations, a paragraph before or
    after the environment.

    Examples
    --------
    >>> from theory.latex.notation import Mu, latex
    >>> print(align_block([(None, "First:"), (latex(Mu(3)), ["3", "+ 1"]), (None, "then"), ("x", "1")]))
    \noindent First:
    \begin{align*}
    \mu_{3}(\eta) &= 3 \\
    &\quad + 1 \\
    \intertext{then}
    x &= 1
    \end{align*}
    """
    rows = list(rows)
    before, after = [], []
    while rows and rows[0][0] is None:
        before.append(rows.pop(0)[1])
    while rows and rows[-1][0] is None:
        after.insert(0, rows.pop()[1])
    items = []
    for lhs, rhs in rows:
        if lhs is None:
            items.append((True, rf"\intertext{{{rhs}}}"))
            continue
        lines = [rhs] if isinstance(rhs, str) else list(rhs)
        text = f"{lhs} &= {lines[0]}"
        for line in lines[1:]:
            text += " \\\\\n" + rf"&\quad {line}"
        items.append((False, text))
    body = ""
    for n, (is_text, text) in enumerate(items):
        body += text
        if n + 1 < len(items):
            body += "\n" if is_text else " \\\\\n"
    out = [r"\noindent " + t for t in before]
    if body:
        out.append("\\begin{align*}\n" + body + "\n\\end{align*}")
    out += [r"\noindent " + t for t in after]
    return "\n".join(out)


def tabular(columns: str, header, rows, *, long=False) -> str:
    env = "longtable" if long else "tabular"
    lines = [rf"\begin{{{env}}}{{{columns}}}", r"\toprule", " & ".join(header) + r" \\", r"\midrule"]
    if long:
        lines += [r"\endhead"]
    lines += [" & ".join(row) + r" \\" for row in rows]
    lines += [r"\bottomrule", rf"\end{{{env}}}"]
    return "\n".join(lines)


def inline_math(printer, expr) -> str:
    return "$" + printer._print(expr) + "$"
