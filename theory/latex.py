r"""LaTeX output in the paper's notation: a printer subclass, notation objects, report templates.

Every mathematical expression reaches LaTeX through :class:`TheoryLatexPrinter`, either by a
``_print_<Class>`` method (SymPy's own classes: ``hermite_prob`` as ``\mathrm{He}_k(z)``,
``Max`` as ``\max(z, 0)``, ``sign``, ``Heaviside``, derivatives as primes) or by the
``_latex`` hook of a small notation object defined here (``\mu_i(\eta)``, ``u_k(f)``,
``\sigma_*``, ``\psi_\eta``, ``\tilde\Theta``, ``\vee``, ``\mathbb{E}``, ...).  The
template functions below only arrange printed expressions into ``align*`` blocks, tables
and documents; long sums are broken into lines term by term.

Convention, stated in every output that shows a coefficient: probabilists' Hermite
polynomials ``He_k``, ``u_k(f) = E[f(z) He_k(z)] / k!`` for ``z ~ N(0, 1)``; the
normalised basis ``h_k = He_k / sqrt(k!)`` has coefficients ``sqrt(k!) u_k``.

Fragments (:func:`hermite_latex`, :func:`exponents_latex`, :func:`psi_latex`,
:func:`mu_latex`, :func:`theorem_latex`) are text-mode LaTeX for a document body that loads
``amsmath``, ``amssymb`` and ``booktabs`` (:data:`PREAMBLE`); :func:`standalone` wraps one
in a compilable document, :func:`report_latex` writes a whole document, and
:func:`profile_latex` is math-mode (for ``$...$`` in notebooks).

User text never reaches TeX as itself: strings go through :func:`escape_text`, a figure's
path is assembled from character codes (:func:`figure_path_tex`), and simulation inputs are
summarised into bounded tables (:func:`report_latex`).

Examples
--------
>>> import sympy as sp
>>> from theory.links import Z
>>> latex(He(3) + 2 * sp.Max(Z, 0))
'\\mathrm{He}_{3}(z) + 2 \\max(z, 0)'
>>> latex(PowerProduct((Mu(2), -2), (D, Vee(P - 1, 1))))
'\\mu_{2}(\\eta)^{-2} d^{(p - 1) \\vee 1}'
"""
from __future__ import annotations

import math
import os
import re
import stat
from fractions import Fraction
from numbers import Real

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE

from theory.drift import M
from theory.errors import TheoryInputError
from theory.links import Z, Link
from theory.rules import A, D, ETA, Q, Y
from theory.symbols import ALPHA, P

__all__ = [
    "TheoryLatexPrinter", "latex", "LatexInputError", "PREAMBLE",
    "He", "P", "ALPHA", "A", "D", "ETA", "Q", "Y", "M", "OrderedSum", "OrderedProduct",
    "Target", "Student", "Psi", "Mu", "HermiteCoef", "Expectation", "SoftTheta", "Vee", "PowerProduct",
    "hermite_latex", "exponents_latex", "psi_latex", "mu_latex", "theorem_latex", "report_latex",
    "profile_latex", "standalone", "escape_text", "align_block", "sum_lines", "figure_path_tex",
]


#: Packages every fragment may use.
PREAMBLE = "\n".join([
    r"\documentclass[11pt]{article}",
    r"\usepackage[margin=2cm]{geometry}",
    r"\usepackage{amsmath,amssymb}",
    r"\usepackage{booktabs,array,longtable}",
    r"\usepackage{graphicx}",
    r"\allowdisplaybreaks",
])

#: Approximate printed characters per displayed line before a long sum is broken.
LINE_WIDTH = 56


class LatexInputError(TheoryInputError):
    """Bad input to a LaTeX template (a simulation summary, a figure path, ...)."""


# ---------------------------------------------------------------------------
# notation objects: each prints itself through the printer (``_latex`` hook)
# ---------------------------------------------------------------------------
class _Notation(sp.Function):
    """Base of the unevaluated notation functions (never evaluated, only printed)."""

    is_commutative = True


class Target(_Notation):
    r"""The target link ``sigma_*``: prints ``\sigma_*(z)``; bare ``\sigma_*`` inside ``u_k(.)``.

    Examples
    --------
    >>> latex(Target(Z)**2)
    '\\sigma_*(z)^{2}'
    """

    nargs = 1
    _symbol = r"\sigma_*"

    def _latex(self, printer, exp=None):
        body = f"{self._symbol}({printer._print(self.args[0])})"
        return body if exp is None else f"{body}^{{{exp}}}"


class Student(Target):
    r"""The student activation ``sigma``: prints ``\sigma(z)``; derivatives print with primes.

    Examples
    --------
    >>> latex(Student(Z).diff(Z) * Student(Z).diff(Z, 3))
    "\\sigma'(z) \\sigma^{(3)}(z)"
    """

    _symbol = r"\sigma"


class Psi(_Notation):
    r"""``\psi_\eta(y, z)``, the scalar multiplying ``P_w^\perp x`` in the update.

    Examples
    --------
    >>> latex(Psi(Y, Z))
    '\\psi_\\eta(y, z)'
    """

    nargs = 2

    def _latex(self, printer, exp=None):
        body = rf"\psi_\eta({printer._print(self.args[0])}, {printer._print(self.args[1])})"
        return body if exp is None else f"{body}^{{{exp}}}"


class Mu(_Notation):
    r"""The drift coefficient ``\mu_i(\eta)``.

    Examples
    --------
    >>> latex(Mu(sp.Symbol("i")))
    '\\mu_{i}(\\eta)'
    """

    nargs = 1

    def _latex(self, printer, exp=None):
        body = rf"\mu_{{{printer._print(self.args[0])}}}(\eta)"
        return body if exp is None else f"{body}^{{{exp}}}"


class HermiteCoef(_Notation):
    r"""The Hermite coefficient ``u_k(f) = E[f He_k] / k!`` (``He_k`` basis).

    A :class:`Target` or :class:`Student` argument prints without its variable.

    Examples
    --------
    >>> latex(sp.Mul(HermiteCoef(3, Target(Z)), HermiteCoef(3, Student(Z)), evaluate=False), order="none")
    'u_{3}(\\sigma_*) u_{3}(\\sigma)'
    >>> latex(HermiteCoef(2, Target(Z)**2))
    'u_{2}(\\sigma_*^{2})'
    """

    nargs = 2

    def _latex(self, printer, exp=None):
        k, f = self.args
        if isinstance(f, Target):
            inner = f._symbol
        elif isinstance(f, sp.Function) and type(f).__name__ and f.args == (Z,) and not f.is_number \
                and isinstance(type(f), sp.core.function.UndefinedFunction):
            inner = printer._print(type(f))
        else:  # a function of z is named without its argument: u_k(\sigma \sigma'), u_k(\sigma_*^{2})
            inner = printer._print(f)
            if f.free_symbols == {Z}:
                inner = inner.replace(f"({printer._print(Z)})", "")
        body = rf"u_{{{printer._print(k)}}}({inner})"
        return body if exp is None else f"{body}^{{{exp}}}"


class Expectation(_Notation):
    r"""``\mathbb{E}[X]`` or, with a second argument, ``\mathbb{E}[X \mid Y]``.

    Examples
    --------
    >>> latex(Expectation(Y**2, Z))
    '\\mathbb{E}\\left[y^{2} \\mid z\\right]'
    """

    nargs = (1, 2)

    def _latex(self, printer, exp=None):
        inner = printer._print(self.args[0])
        if len(self.args) == 2:
            inner += r" \mid " + printer._print(self.args[1])
        body = rf"\mathbb{{E}}\left[{inner}\right]"
        return body if exp is None else f"{body}^{{{exp}}}"


class SoftTheta(_Notation):
    r"""``\tilde\Theta(x)``: order ``x`` up to constants and log factors.

    Examples
    --------
    >>> latex(SoftTheta(D**2))
    '\\tilde\\Theta\\left(d^{2}\\right)'
    """

    nargs = 1

    def _latex(self, printer, exp=None):
        return rf"\tilde\Theta\left({printer._print(self.args[0])}\right)"


class Vee(_Notation):
    r"""``a \vee b = max(a, b)``; evaluates when both arguments are numbers.

    Examples
    --------
    >>> Vee(2, 1), latex(D**Vee(P - 1, 1)), latex(D**-Vee(P / 2, 1))
    (2, 'd^{(p - 1) \\vee 1}', 'd^{- \\left(\\frac{p}{2} \\vee 1\\right)}')
    """

    nargs = 2
    precedence = PRECEDENCE["Add"]  # bracketed inside products: d^{-((i/2) \vee 1)}

    @classmethod
    def eval(cls, a, b):
        if a.is_number and b.is_number:
            return sp.Max(a, b)
        return None

    def _latex(self, printer, exp=None):
        parts = []
        for arg in self.args:
            text = printer._print(arg)
            parts.append(f"({text})" if isinstance(arg, sp.Add) else text)
        body = r" \vee ".join(parts)
        return body if exp is None else f"({body})^{{{exp}}}"


class PowerProduct(sp.Basic):
    r"""An unevaluated product ``b_1^{e_1} b_2^{e_2} ...`` printed in the given order with
    inline exponents (``\eta^{-2} d^{1/2}``), factors with exponent 0 dropped.

    Examples
    --------
    >>> latex(PowerProduct((ETA, -2), (D, 1)))
    '\\eta^{-2} d'
    >>> latex(PowerProduct((D, sp.Rational(-3, 2))))
    'd^{-3/2}'
    >>> latex(PowerProduct((D, 0)))
    '1'
    """

    def __new__(cls, *factors):
        args = [sp.Tuple(_as_number(b), _as_number(e)) for b, e in factors]
        return sp.Basic.__new__(cls, *args)

    def as_expr(self) -> sp.Expr:
        return sp.Mul(*[b**e for b, e in self.args])

    def _latex(self, printer):
        parts = []
        for base, e in self.args:
            if e == 0:
                continue
            b = printer._print(base)
            if e == 1:
                parts.append(b)
            else:
                parts.append(f"{b}^{{{_inline_number(printer, e)}}}")
        return " ".join(parts) if parts else "1"


class _Linear(sp.Basic):
    r"""``slope * var + intercept`` printed as ``\frac{3}{2} \alpha - 1`` (slope first)."""

    def _latex(self, printer):
        slope, var, intercept = self.args
        terms = []
        if slope != 0:
            terms.append(_CoefTimes(slope, var))
        if intercept != 0 or not terms:
            terms.append(intercept)
        return _join_signed(printer, terms)


class _CoefTimes(sp.Basic):
    """``coefficient basis``, the coefficient printed on its own (parenthesised if a sum)."""

    def _latex(self, printer):
        coef, basis = self.args
        b = printer._print(basis)
        if coef == 1:
            return b
        c = printer._print(coef)
        if isinstance(coef, sp.Add):
            c = rf"\left({c}\right)"
        return f"{c} {b}"

    def could_extract_minus_sign(self):
        return self.args[0].could_extract_minus_sign()

    def __neg__(self):
        return _CoefTimes(-self.args[0], self.args[1])


class OrderedSum(sp.Expr):
    r"""A sum printed in the order its terms are given (SymPy would sort them).

    Examples
    --------
    >>> latex(OrderedSum(Z, ETA * Q * sp.Symbol("psi_1")))
    'z + \\eta \\psi_{1} q'
    """

    is_commutative = True

    def _latex(self, printer):
        return _join_signed(printer, self.args)

    def doit(self, **hints):
        return sp.Add(*self.args)


class OrderedProduct(sp.Expr):
    r"""A product printed in the order its factors are given; sums are parenthesised.

    Examples
    --------
    >>> k = sp.Symbol("k")
    >>> latex(OrderedProduct((ETA * D)**(k - 1) / sp.factorial(k - 1), Y**k))
    '\\frac{\\left(d \\eta\\right)^{k - 1}}{\\left(k - 1\\right)!} y^{k}'
    """

    is_commutative = True

    def _latex(self, printer):
        parts = []
        for factor in self.args:
            text = printer._print(factor)
            parts.append(rf"\left({text}\right)" if isinstance(factor, (sp.Add, OrderedSum)) else text)
        return " ".join(parts)

    def doit(self, **hints):
        return sp.Mul(*self.args)


class _Approx(sp.Basic):
    r"""A numeric (quadrature) value, marked with ``\dagger``."""

    def _latex(self, printer):
        value = float(self.args[0])
        # braced: a value printed as ``a \cdot 10^{-17}`` must not take a second superscript
        return rf"{{{printer._print(sp.Float(abs(value), 10))}}}^{{\dagger}}"

    def could_extract_minus_sign(self):
        return float(self.args[0]) < 0

    def __neg__(self):
        return _Approx(sp.Float(-float(self.args[0]), 17))


class _Between(sp.Basic):
    r"""``lo \le x \le hi`` with infinite ends dropped."""

    def _latex(self, printer):
        lo, x, hi = self.args
        left = "" if lo == -sp.oo else printer._print(lo) + r" \le "
        right = "" if hi == sp.oo else r" \le " + printer._print(hi)
        if not left and not right:
            return r"\text{all } " + printer._print(x)
        return left + printer._print(x) + right


def He(k, x=Z) -> sp.Expr:
    r"""The probabilists' Hermite polynomial ``He_k(x)``, unevaluated (for printing).

    Examples
    --------
    >>> latex(He(2, sp.Symbol("u")))
    '\\mathrm{He}_{2}(u)'
    >>> sp.expand(He(3).doit())
    z**3 - 3*z
    """
    return sp.hermite_prob(k, x, evaluate=False)


# ---------------------------------------------------------------------------
# the printer
# ---------------------------------------------------------------------------
class TheoryLatexPrinter(LatexPrinter):
    r"""SymPy's LaTeX printer in the paper's notation.

    * ``hermite_prob(k, x)`` prints ``\mathrm{He}_{k}(x)`` (SymPy has no printer for it);
    * ``Max(0, z)`` prints ``\max(z, 0)`` (variables first), ``sign`` ``\operatorname{sign}(z)``,
      ``Heaviside(z)`` ``\mathbf{1}\{z > 0\}`` (not ``\theta``, which is the direction);
    * derivatives of one-variable functions print with primes: ``\sigma'(z)``,
      ``\sigma''(z)``, ``\sigma^{(k)}(z)``, and their powers as ``\sigma'(z)^{2}``;
    * calls print with plain parentheses, ``\tanh(z)`` rather than ``\tanh{\left(z \right)}``.

    Examples
    --------
    >>> TheoryLatexPrinter().doprint(sp.hermite_prob(4, Z, evaluate=False)**2)
    '\\mathrm{He}_{4}(z)^{2}'
    >>> latex(sp.sign(Z) * Z**2), latex(sp.Heaviside(Z)), latex(sp.tanh(Z))
    ('z^{2} \\operatorname{sign}(z)', '\\mathbf{1}\\{z > 0\\}', '\\tanh(z)')
    """

    printmethod = "_latex"

    def _print_hermite_prob(self, expr, exp=None):
        n, x = expr.args
        body = rf"\mathrm{{He}}_{{{self._print(n)}}}({self._print(x)})"
        return body if exp is None else f"{body}^{{{exp}}}"

    def _print_Max(self, expr, exp=None):
        args = sorted(expr.args, key=lambda a: (a.is_number, sp.default_sort_key(a)))
        body = r"\max(" + ", ".join(self._print(a) for a in args) + ")"
        return body if exp is None else f"{body}^{{{exp}}}"

    def _print_Min(self, expr, exp=None):
        args = sorted(expr.args, key=lambda a: (a.is_number, sp.default_sort_key(a)))
        body = r"\min(" + ", ".join(self._print(a) for a in args) + ")"
        return body if exp is None else f"{body}^{{{exp}}}"

    def _print_sign(self, expr, exp=None):
        body = rf"\operatorname{{sign}}({self._print(expr.args[0])})"
        return body if exp is None else f"{body}^{{{exp}}}"

    def _print_Heaviside(self, expr, exp=None):
        body = rf"\mathbf{{1}}\{{{self._print(expr.args[0])} > 0\}}"
        return body if exp is None else f"{body}^{{{exp}}}"

    def _print_Function(self, expr, exp=None):
        text = super()._print_Function(expr, exp)
        # \tanh{\left(z \right)} -> \tanh(z) for a bare symbol argument
        if len(expr.args) == 1 and expr.args[0].is_Symbol:
            arg = self._print(expr.args[0])
            text = text.replace(r"{\left(" + arg + r" \right)}", "(" + arg + ")")
        return text

    def _derivative_parts(self, expr):
        """``(function symbol, order)`` when ``expr`` is a derivative of f(x) in x, else None."""
        f = expr.expr
        if not (isinstance(f, sp.Function) and len(f.args) == 1 and len(expr.variable_count) == 1):
            return None
        var, order = expr.variable_count[0]
        if f.args[0] != var:
            return None
        name = f._symbol if isinstance(f, Target) else self._print(type(f))
        return name, var, order

    def _print_Derivative(self, expr, exp=None):
        parts = self._derivative_parts(expr)
        if parts is None:
            return super()._print_Derivative(expr)
        name, var, order = parts
        if order == 1:
            body = f"{name}'"
        elif order == 2:
            body = f"{name}''"
        else:
            body = f"{name}^{{({self._print(order)})}}"
        body += f"({self._print(var)})"
        return body if exp is None else f"{body}^{{{exp}}}"

    def _print_Mul(self, expr):
        # -x with x of low precedence (a \vee b): keep the brackets SymPy would drop
        if len(expr.args) == 2 and expr.args[0] == -1 and getattr(expr.args[1], "precedence", 100) < PRECEDENCE["Mul"]:
            return r"- \left(" + self._print(expr.args[1]) + r"\right)"
        return super()._print_Mul(expr)

    def _print_Pow(self, expr):
        if isinstance(expr.base, _Notation):
            return self._print(expr.base, exp=_inline_number(self, expr.exp))
        if isinstance(expr.base, sp.Derivative) and self._derivative_parts(expr.base) is not None \
                and not (expr.exp.is_Rational and expr.exp < 0):
            return self._print_Derivative(expr.base, exp=self._print(expr.exp))
        return super()._print_Pow(expr)


def latex(expr, **settings) -> str:
    r"""Print ``expr`` with :class:`TheoryLatexPrinter`.

    Examples
    --------
    >>> latex(ETA * Y**2 * Student(Z) * Student(Z).diff(Z))
    "\\eta y^{2} \\sigma(z) \\sigma'(z)"
    """
    return TheoryLatexPrinter(settings).doprint(expr)


# ---------------------------------------------------------------------------
# small template helpers
# ---------------------------------------------------------------------------
_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
    "%": r"\%", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
    "<": r"\ensuremath{<}", ">": r"\ensuremath{>}", "|": r"\ensuremath{|}",
    # not special in themselves, but they change the meaning of a neighbouring \\, \item or \par:
    "[": "{[}", "]": "{]}", "*": "{*}", "\n": " ", "\r": " ", "\t": " ", "\f": " ", "\v": " ",
}
_ACCENTS = {"\u0301": "'", "\u0300": "`", "\u0302": "^", "\u0308": '"', "\u0303": "~", "\u0327": "c",
            "\u030c": "v", "\u030a": "r", "\u0304": "="}


def _escape_char(ch: str) -> str:
    if ch in _TEXT_ESCAPES:
        return _TEXT_ESCAPES[ch]
    code = ord(ch)
    if 32 <= code < 127:
        return ch
    import unicodedata

    parts = unicodedata.normalize("NFD", ch)
    if len(parts) == 2 and parts[0].isascii() and parts[0].isalpha() and parts[1] in _ACCENTS:
        return "\\" + _ACCENTS[parts[1]] + "{" + parts[0] + "}"
    return "{[}U+" + f"{code:04X}" + "{]}"  # control characters and anything pdflatex may not have


def escape_text(text: str) -> str:
    r"""Escape plain text for LaTeX text mode: nothing in ``text`` can act as TeX.

    Every character TeX treats specially (``\ { } $ & # % _ ^ ~``) and those that change the
    meaning of their neighbours (``[ ] *`` after ``\\``, newlines and other control characters,
    which would end a paragraph or be invalid) is replaced by a form that prints it; accented
    Latin letters become accent commands, and other non-ASCII characters their code point
    ``[U+XXXX]`` (pdflatex cannot set them all).  So a string such as ``\write18{...}`` prints
    as text and never runs.

    Examples
    --------
    >>> escape_text("u_3 = 1 != 0; E[y^2|z] ~ 50%")
    'u\\_3 = 1 != 0; E{[}y\\textasciicircum{}2\\ensuremath{|}z{]} \\textasciitilde{} 50\\%'
    >>> escape_text("\\immediate\\write18{rm x}\n")
    '\\textbackslash{}immediate\\textbackslash{}write18\\{rm x\\} '
    >>> escape_text("café \u65e5")
    "caf\\'{e} {[}U+65E5{]}"
    """
    return "".join(_escape_char(ch) for ch in str(text))


def _as_number(value) -> sp.Basic:
    """A SymPy object from a SymPy object or a Python number; never parses text."""
    if isinstance(value, sp.Basic):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction)):
        raise LatexInputError(f"expected a number or a SymPy expression, got {type(value).__name__}")
    if isinstance(value, float):
        return sp.Float(value)
    return sp.Rational(value)


def _inline_number(printer, value) -> str:
    """An exponent or table entry: integers plainly, rationals as ``p/q``, others by the printer."""
    value = _as_number(value)
    if value.is_Integer:
        return str(int(value))
    if value.is_Rational:
        return f"{value.p}/{value.q}"
    return printer._print(value)


def _join_signed(printer, terms) -> str:
    """Print a sum in the given term order (SymPy would re-sort it)."""
    return " ".join(_break_lines(printer, terms, width=None))


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
        terms = _grouped_terms(terms, (Y, ETA, D, Q))
    return _break_lines(TheoryLatexPrinter(), terms, width, continued=continued)


class _Group(sp.Basic):
    r"""``prefix (polynomial in z)``: one term of a sum grouped by monomials in ``y, eta, d``."""

    def _latex(self, printer):
        prefix, inner = self.args
        return f"{printer._print(prefix)} \\left({_join_signed(printer, _ordered_terms(inner))}\\right)"

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
        neg = bool(term.could_extract_minus_sign())
        body = -term if neg else term
        sign = ("- " if neg else "") if first else ("- " if neg else "+ ")
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


def _break_lines(printer, terms, width=LINE_WIDTH, *, continued=False) -> list[str]:
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


def _grouped_terms(expr: sp.Expr, gens) -> list:
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


def _sum_lines(expr, *, gens=(Y, ETA, D, Q), width=LINE_WIDTH, printer=None):
    printer = printer or TheoryLatexPrinter()
    return _break_lines(printer, _grouped_terms(expr, gens), width)


def align_block(rows) -> str:
    r"""An ``align*`` environment from ``(lhs, rhs_lines)`` rows (already printed LaTeX).

    ``rhs_lines`` is a string or a list of continuation lines.  A row whose ``lhs`` is
    ``None`` is a line of text: ``\intertext`` between equations, a paragraph before or
    after the environment.

    Examples
    --------
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


def _tabular(columns: str, header, rows, *, long=False) -> str:
    env = "longtable" if long else "tabular"
    lines = [rf"\begin{{{env}}}{{{columns}}}", r"\toprule", " & ".join(header) + r" \\", r"\midrule"]
    if long:
        lines += [r"\endhead"]
    lines += [" & ".join(row) + r" \\" for row in rows]
    lines += [r"\bottomrule", rf"\end{{{env}}}"]
    return "\n".join(lines)


def _math(printer, expr) -> str:
    return "$" + printer._print(expr) + "$"


def standalone(fragment: str, title: str | None = None) -> str:
    r"""Wrap a text-mode fragment in a minimal compilable document (:data:`PREAMBLE`).

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


# ---------------------------------------------------------------------------
# Hermite expansions and exponents
# ---------------------------------------------------------------------------
def _as_profile_or_expansion(profile_or_link, kmax):
    from theory.exponents import LinkProfile
    from theory.hermite import hermite_expansion
    from theory.links import parse_link

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
            terms.append(c.exact if c.k == 0 else _CoefTimes(c.exact, He(c.k)))
        elif c.value != 0:
            value = _Approx(sp.Float(c.value, 17))
            terms.append(value if c.k == 0 else _CoefTimes(value, He(c.k)))
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
    lines = _break_lines(printer, terms, LINE_WIDTH)
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
            exact = _math(printer, c.exact)
            norm = _math(printer, sp.sqrt(sp.factorial(c.k)) * c.exact)
        else:
            exact = r"$\dagger$ numeric"
            norm = "$0$" if c.value == 0 else _math(printer, sp.Float(math.sqrt(math.factorial(c.k)) * c.value, 10))
        value = "0" if c.value == 0 else printer._print(sp.Float(c.value, 12))
        if c.exact is None:
            value += r" \pm " + printer._print(sp.Float(c.error, 2))
        rows.append([str(c.k), exact, "$" + value + "$", norm])
    header = ["$k$", rf"$u_k({name})$", "value", r"$\sqrt{k!}\,u_k$ (basis $h_k = \mathrm{He}_k/\sqrt{k!}$)"]
    out.append("\\begin{center}\n" + _tabular("@{}rlll@{}", header, rows)
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
    table = _tabular(r"@{}l l l p{0.5\linewidth}@{}", ["exponent", "value", "decided", "witness"], rows)
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
    lines = _break_lines(printer, _series_terms(coefficients), LINE_WIDTH)
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


# ---------------------------------------------------------------------------
# update rules, drift, theorem
# ---------------------------------------------------------------------------
_STEP_LABELS = [
    (re.compile(r"^(correlation|squared) loss l\(y, a sigma\(z\)\)$"),
     lambda m: (r"\ell\bigl(y, a\sigma(z)\bigr)", rf"{m.group(1)} loss")),
    (re.compile(r"^psi = -dl/dz$"), lambda m: (r"\psi = -\partial_z \ell", "one gradient step")),
    (re.compile(r"^psi_1 = -dl/dz at w$"), lambda m: (r"\psi_1 = -\partial_z \ell", "first step, at $w$")),
    (re.compile(r"^<w~, x> = z \+ eta q psi_1$"),
     lambda m: (r"\langle \tilde w, x\rangle",
                r"inner step with $\eta$: $\tilde w = w + \eta\,\psi_1 P_w^\perp x$, "
                r"$q = \|P_w^\perp x\|^2 = \|x\|^2 - z^2$")),
    (re.compile(r"^psi = psi_1\(y, <w~, x>\)$"),
     lambda m: (r"\psi = \psi_1\bigl(y, \langle \tilde w, x\rangle\bigr)", r"second step, gradient at $\tilde w$")),
    (re.compile(r"^Taylor to order (\d+) in eta d \(q -> d\)$"),
     lambda m: (r"\psi", rf"Taylor expansion to order ${m.group(1)}$ in $\eta d$, with $q \to d$ "
                         r"($\|x\|^2 \approx d$)")),
    (re.compile(r"^a~ = a - eta dl/da$"),
     lambda m: (r"\tilde a = a - \eta\,\partial_a \ell", r"second layer first, with $\eta$")),
    (re.compile(r"^psi = -dl/dz with a~$"),
     lambda m: (r"\psi = -\partial_z \ell\bigl(y, \tilde a\sigma(z)\bigr)", r"first layer, using $\tilde a$")),
    (re.compile(r"^psi \(given\)$"), lambda m: (r"\psi", "given")),
    (re.compile(r"^label-dependent part psi_eta\(y, z\)$"),
     lambda m: (r"\psi_\eta(y, z)", "label-dependent part (the terms with $y$)")),
]


def _step_label(description: str) -> tuple[str, str]:
    for pattern, make in _STEP_LABELS:
        m = pattern.match(description)
        if m:
            return make(m)
    return r"\text{" + escape_text(description) + "}", escape_text(description)


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

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> text = psi_latex(make_rule("alternating", "He3", "He3"))
    >>> r"\psi_\eta(y, z) &= 3 a y \left(z^{2} - 1\right)" in text
    True
    """
    printer = TheoryLatexPrinter()
    rows = []
    for description, expr in rule.derivation:
        lhs, note = _step_label(description)
        rows.append((None, r"{\small " + note + ":}"))
        rows.append((lhs, _sum_lines(expr, printer=printer)))
    if rule.label_free != 0:
        rows.append((None, r"{\small label-free part (independent of $y$: no drift, but it adds noise):}"))
        rows.append((r"\psi_\eta - \psi_\eta\big|_{\text{label}}", _sum_lines(rule.label_free, printer=printer)))
    if rule.keep_a and rule.a_next != A:
        rows.append((None, r"{\small the second layer keeps $\tilde a$ (it is not reset):}"))
        rows.append((r"a_{t+1}", _sum_lines(rule.a_next, printer=printer)))
    note = ""
    if rule.distributional:
        note = r"\noindent Note: " + escape_text(rule.singularity_note()) + ".\n"
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
    imax : int
    symbolic_a : bool
        Keep the second layer ``a`` as a symbol instead of the rule's value.

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
    drift_lines = _break_lines(printer, _grouped_terms(inner, (M,)), LINE_WIDTH)
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
        return _sum_lines(drift.mu[i], gens=(ETA, D, A), printer=printer)
    out = []
    for (e, f, g), v in sorted(terms.items()):
        mono = ETA**e * D**f * A**g
        if v.is_exact:
            out.append(v.exact * mono)
        else:
            value = _Approx(sp.Float(v.value, 17))
            out.append(value if mono == 1 else _CoefTimes(value, mono))
    return _break_lines(printer, out, LINE_WIDTH)


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
            cond = printer._print(_Between(lo_eta, ETA, hi_eta)) if lo_eta != 0 else \
                printer._print(_Between(-sp.oo, ETA, hi_eta))
        else:
            value = printer._print(_Linear(p.slope, ALPHA, p.intercept))
            cond = printer._print(_Between(p.alpha_min, ALPHA, hi))
        rows.append(rf"{value}, & {cond},\quad {_regime_text(p)}")
    return rows


def _cases(rows) -> str:
    return "\\begin{cases}\n" + " \\\\\n".join(rows) + "\n\\end{cases}"


def theorem_latex(prediction) -> str:
    r"""The main theorem's prediction: ``T(eta)`` piecewise, as ``cases`` in ``alpha`` (``eta = d^{-alpha}``),
    and the learning-rate thresholds.

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
    valid = "" if lo == -sp.oo else (rf", valid for $\alpha \ge {_inline_number(printer, lo)}$, i.e.\ "
                                     rf"${printer._print(_Between(-sp.oo, ETA, PowerProduct((D, -lo))))}$"
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


# ---------------------------------------------------------------------------
# the report
# ---------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------
# simulation summaries
# ---------------------------------------------------------------------------
#: Rows typeset from a simulation summary (more are counted, not shown).
MAX_TABLE_ROWS = 200
#: Columns per table; wider row sets are split into several tables.
MAX_TABLE_COLUMNS = 7
#: Characters of a text cell shown.
MAX_CELL_CHARS = 40


def _quantiles(times) -> dict:
    """Counts, median and quartiles of hitting times (``None`` = did not hit, counted as infinite)."""
    import numpy as np

    t = np.array([np.inf if v is None else float(v) for v in times], dtype=float)
    if not t.size:
        return {"runs": 0}
    fin = t[np.isfinite(t)]

    def q(p):
        v = float(np.quantile(t, p))
        return v if math.isfinite(v) else None

    return {"runs": int(t.size), "hits": int(fin.size), "median": q(0.5), "q25": q(0.25), "q75": q(0.75),
            "mean": float(fin.mean()) if fin.size else None}


def _number(v) -> bool:
    return isinstance(v, Real) and not isinstance(v, bool)


def _times_of(records, where: str) -> list:
    out = []
    for k, r in enumerate(records):
        status, t = r.get("status"), r.get("hitting_time")
        if status == "hit":
            if not _number(t) or not math.isfinite(t) or t < 0:
                raise LatexInputError(f"simulation summary: {where} record {k} is a hit without a finite hitting "
                                      f"time >= 0")
            out.append(t)
        elif status in ("censored", "diverged"):
            out.append(None)
        else:
            raise LatexInputError(f"simulation summary: {where} record {k} has status {status!r}")
    return out


def _from_simulate(sim: dict) -> dict:
    times, status = sim["hitting_times"], sim["status"]
    if not (isinstance(times, list) and isinstance(status, list) and len(times) == len(status)):
        raise LatexInputError("simulation summary: 'hitting_times' and 'status' must be lists of the same length")
    records = [{"status": s, "hitting_time": t} for s, t in zip(status, times)]
    row = {k: sim[k] for k in ("d", "eta", "gamma") if _number(sim.get(k))}
    q = _quantiles(_times_of(records, "simulate"))
    row.update(runs=q["runs"], hits=q.get("hits"), censored=status.count("censored"),
               diverged=status.count("diverged"), median=q.get("median"), q25=q.get("q25"), q75=q.get("q75"),
               mean=q.get("mean"))
    meta = {k: sim[k] for k in ("rule", "loss", "target", "student", "engine", "seed", "m_thr", "max_steps",
                                "start", "null", "gamma_rule") if k in sim}
    return {"kind": "simulate --json output", "rows": [row], "meta": meta, "claims": [],
            "caption": "Hitting times from simulate (median and quartiles over all runs; runs that did not hit "
                       "count as infinite, shown as --)."}


def _from_records(records: list, what: str) -> dict:
    groups: dict = {}
    for k, r in enumerate(records):
        groups.setdefault(str(r.get("point_id")), []).append(r)
    rows = []
    for pid, recs in groups.items():
        first = recs[0]
        row = {k: first[k] for k in ("tag", "d", "eta", "gamma") if k in first and (_number(first[k]) or k == "tag")}
        if first.get("null"):
            row["null"] = True
        q = _quantiles(_times_of(recs, what))
        row.update(runs=q["runs"], hits=q.get("hits"), median=q.get("median"), q25=q.get("q25"), q75=q.get("q75"))
        rows.append(row)
    return {"kind": what, "rows": rows, "meta": {"points": len(rows), "records": len(records)}, "claims": [],
            "caption": "Per-point summary of the saved runs (median and quartiles over all runs of a point; runs "
                       "that did not hit count as infinite, shown as --)."}


def _from_verify(report: dict) -> dict:
    claims = report["claims"]
    if not isinstance(claims, list) or not all(isinstance(c, dict) for c in claims):
        raise LatexInputError("simulation summary: verify report 'claims' must be a list of objects")
    tables = report.get("tables") or {}
    if not isinstance(tables, dict):
        raise LatexInputError("simulation summary: verify report 'tables' must be an object")
    rows = next((v for k, v in tables.items() if str(k).startswith("null controls")), [])
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise LatexInputError("simulation summary: verify report tables must be lists of objects")
    rows = [{k: r.get(k) for k in ("tag", "d", "eta", "gamma", "median", "null_median")} for r in rows]
    desc = report.get("description")
    meta = {k: report[k] for k in ("verdict", "config_hash", "out_dir") if k in report}
    if isinstance(report.get("counts"), dict):
        meta.update({f"claims {k}": v for k, v in report["counts"].items() if k != "claims"})
    return {"kind": "verify report.json", "rows": rows, "meta": meta, "claims": claims,
            "caption": (desc.splitlines()[0] if isinstance(desc, str) and desc else "verify report")
            + ". Points used by the claims, with their median hitting times."}


def _check_scalar(where, key, value):
    if not (value is None or isinstance(value, (str, bool, Real))):
        raise LatexInputError(f"simulation summary: {where} entry {key!r} must be a number or a string, "
                              f"got {type(value).__name__}")


def _summarise_list(value) -> str:
    nums = [v for v in value if _number(v) and math.isfinite(v)]
    if nums and len(nums) == len(value):
        import statistics

        return f"{len(value)} numbers: median {statistics.median(nums):.3g}, {min(nums):.3g} to {max(nums):.3g}"
    return f"a list of {len(value)} entries"


def _check_numbers(obj, where="simulation summary") -> None:
    """Refuse integers too large for a float (JSON integers are unbounded); iterative, any depth."""
    stack = [obj]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, int) and not isinstance(v, bool):
            try:
                float(v)
            except OverflowError:
                raise LatexInputError(f"{where}: an integer of about {int(v.bit_length() * 0.30103)} digits is out "
                                      f"of the range of a floating-point number") from None


def _simulation_summary(simulation) -> dict:
    """Normalise any accepted simulation input to ``{"kind", "rows", "meta", "claims", "caption"}``.

    Accepted: the output of ``simulate --json``; verify's ``report.json``; verify's ``records.json``
    (per-run records) or a saved ``points/<id>.json``; ``{"rows": [...], ...}`` or a list of rows
    (scalar entries).  List-valued entries are summarised, never dumped.
    """
    _check_numbers(simulation)
    if isinstance(simulation, dict) and "hitting_times" in simulation and "status" in simulation:
        return _from_simulate(simulation)
    if isinstance(simulation, dict) and "claims" in simulation and "config" in simulation:
        return _from_verify(simulation)
    if isinstance(simulation, dict) and set(simulation) == {"id", "point", "records"} \
            and isinstance(simulation["records"], list):
        records = simulation["records"]
        if not all(isinstance(r, dict) for r in records):
            raise LatexInputError("simulation summary: 'records' must be a list of objects")
        return _from_records(records, "saved sweep point")
    if isinstance(simulation, list) and simulation and all(isinstance(r, dict) for r in simulation) \
            and all({"point_id", "run", "status"} <= set(r) for r in simulation):
        return _from_records(simulation, "records.json")
    if isinstance(simulation, list):
        rows, meta = simulation, {}
    elif isinstance(simulation, dict):
        meta = {k: v for k, v in simulation.items() if k != "rows"}
        rows = simulation.get("rows", [])
    else:
        raise LatexInputError(f"simulation summary must be a JSON object or a list of rows, "
                              f"got {type(simulation).__name__}")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise LatexInputError("simulation summary: 'rows' must be a list of objects")
    for r in rows:
        for key, value in r.items():
            _check_scalar("row", key, value)
    caption = meta.pop("caption", None) or meta.pop("title", None)
    for key, value in list(meta.items()):
        if isinstance(value, list):
            meta[key] = _summarise_list(value)
        elif isinstance(value, dict):
            meta[key] = f"an object with {len(value)} entries"
        else:
            _check_scalar("summary", key, value)
    if caption is not None and not isinstance(caption, str):
        caption = str(caption)
    return {"kind": "rows", "rows": rows, "meta": meta, "claims": [], "caption": caption}


def _simulation_rows(simulation) -> tuple[list[dict], dict]:
    """Rows and scalar metadata of any accepted simulation input (see :func:`_simulation_summary`)."""
    summary = _simulation_summary(simulation)
    return summary["rows"], summary["meta"]


def _cell(printer, value) -> str:
    if value is None:
        return "--"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"${value}$" if abs(value) < 10**15 else _math(printer, sp.Float(value, 4))
    if isinstance(value, Real):
        if not math.isfinite(value):
            return escape_text(str(value))
        return _math(printer, sp.Float(value, 4))
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
    return "{\\small\n" + _tabular(spec, header, body, long=True) + "\n}"


def _claims_table(printer, claims) -> str:
    body = []
    for c in claims[:MAX_TABLE_ROWS]:
        name = str(c.get("name", ""))
        status = str(c.get("status") or ("pass" if c.get("pass") else "fail")).upper()
        se = c.get("se")
        meas = c.get("measured")
        meas_cell = _cell(printer, meas) if not _number(se) else (
            _cell(printer, meas)[:-1] + r" \pm " + _cell(printer, se)[1:] if _number(meas) and math.isfinite(meas)
            and math.isfinite(se) else _cell(printer, meas))
        body.append([r"\parbox[t]{0.5\linewidth}{\raggedright " + escape_text(name) + "}",
                     _cell(printer, c.get("predicted")), meas_cell, escape_text(status)])
    return "{\\small\n" + _tabular("@{}llll@{}", ["claim", "predicted", "measured", "verdict"], body, long=True) + "\n}"


def _comparison_table(printer, prediction, simulation) -> str:
    from theory.predict import finite_d_times, winning_index

    summary = _simulation_summary(simulation)
    rows, meta = summary["rows"], summary["meta"]
    out = []
    if summary["claims"]:
        out.append(_claims_table(printer, summary["claims"]))
    if not rows:
        if meta:
            items = [[_short(k), _cell(printer, v)] for k, v in meta.items()]
            out.append("\\begin{center}\n" + _tabular("@{}ll@{}", ["quantity", "value"], items) + "\n\\end{center}")
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
    if all(_number(r.get("d")) and _number(r.get("eta")) and 2 <= r["d"] <= 1e9 and r["d"] == int(r["d"])
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
                    row["log_" + key] = math.log(v) / math.log(d) if _number(v) and v > 0 and math.isfinite(v) \
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
    summary = _simulation_summary(simulation) if simulation is not None else None
    printer = TheoryLatexPrinter()
    target_profile = profile(rule.target, kmax=kmax, powers=3)
    preamble = PREAMBLE + ("\n" + _FIGURE_MACROS if graphic is not None else "")
    parts = [preamble, r"\title{" + escape_text(rule.label) + "}",
             r"\date{}", r"\begin{document}", r"\maketitle", _definitions(),
             r"\section{Target and student}", hermite_latex(target_profile, kmax, role="target"),
             exponents_latex(target_profile),
             hermite_latex(rule.student, kmax, role="student"),
             r"\section{Update rule}", psi_latex(rule),
             r"\section{Drift coefficients}", mu_latex(rule, imax),
             align_block([(None, r"Normalisation cost at $m = 0$ (with the label-free part):"),
                          (printer._print(Expectation(Psi(Y, Z) ** 2)),
                           _sum_lines(prediction.psi_second_moment, gens=(ETA, D), printer=printer))])]
    if _has_float(prediction):
        parts.append(r"\noindent\textbf{Numeric.} For this link the drift coefficients $\mu_i(\eta)$ and "
                     r"$\mathbb{E}[\psi_\eta^2]$ have floating-point (numeric) coefficients, printed as decimals; "
                     r"the finite-$d$ values below are numeric as well.")
    parts += [r"\section{Prediction}", theorem_latex(prediction)]
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
