r"""The paper's notation in LaTeX: notation objects, :class:`TheoryLatexPrinter`, :func:`latex`.

Role: every mathematical expression reaches LaTeX through :class:`TheoryLatexPrinter`, either
by a ``_print_<Class>`` method (SymPy's own classes: ``hermite_prob`` as ``\mathrm{He}_k(z)``,
``Max`` as ``\max(z, 0)``, ``sign``, ``Heaviside``, derivatives as primes) or by the ``_latex``
hook of a small notation object defined here (``\mu_i(\eta)``, ``u_k(f)``, ``\sigma_*``,
``\psi_\eta``, ``\tilde\Theta``, ``\vee``, ``\mathbb{E}``, ...).  It knows nothing of user
text (:mod:`theory.latex.escape`), lines, tables or documents (:mod:`theory.latex.layout` and
above).  Examples are in the package docstring (:mod:`theory.latex`) and on each object.
"""
from __future__ import annotations

from fractions import Fraction

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE

from theory.errors import TheoryInputError
from theory.symbols import Z

__all__ = [
    "LatexInputError", "TheoryLatexPrinter", "latex", "He",
    "Target", "Student", "Psi", "Mu", "HermiteCoef", "Expectation", "SoftTheta", "Vee", "PowerProduct",
    "OrderedSum", "OrderedProduct", "Linear", "CoefTimes", "Approx", "Between",
    "inline_number", "split_sign", "join_signed",
]


class LatexInputError(TheoryInputError):
    """Bad input to a LaTeX template (a simulation summary, a figure path, ...)."""


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
    >>> from theory.symbols import Y
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
    >>> from theory.symbols import Y
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
    >>> from theory.symbols import D
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
    >>> from theory.symbols import D, P
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
    >>> from theory.symbols import D, ETA
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
                parts.append(f"{b}^{{{inline_number(printer, e)}}}")
        return " ".join(parts) if parts else "1"


class Linear(sp.Basic):
    r"""``slope * var + intercept`` printed as ``\frac{3}{2} \alpha - 1`` (slope first)."""

    def _latex(self, printer):
        slope, var, intercept = self.args
        terms = []
        if slope != 0:
            terms.append(CoefTimes(slope, var))
        if intercept != 0 or not terms:
            terms.append(intercept)
        return join_signed(printer, terms)


class CoefTimes(sp.Basic):
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
        return CoefTimes(-self.args[0], self.args[1])


class OrderedSum(sp.Expr):
    r"""A sum printed in the order its terms are given (SymPy would sort them).

    Examples
    --------
    >>> from theory.symbols import ETA, Q
    >>> latex(OrderedSum(Z, ETA * Q * sp.Symbol("psi_1")))
    'z + \\eta \\psi_{1} q'
    """

    is_commutative = True

    def _latex(self, printer):
        return join_signed(printer, self.args)

    def doit(self, **hints):
        return sp.Add(*self.args)


class OrderedProduct(sp.Expr):
    r"""A product printed in the order its factors are given; sums are parenthesised.

    Examples
    --------
    >>> from theory.symbols import D, ETA, Y
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


class Approx(sp.Basic):
    r"""A numeric (quadrature) value, marked with ``\dagger``."""

    def _latex(self, printer):
        value = float(self.args[0])
        # braced: a value printed as ``a \cdot 10^{-17}`` must not take a second superscript
        return rf"{{{printer._print(sp.Float(abs(value), 10))}}}^{{\dagger}}"

    def could_extract_minus_sign(self):
        return float(self.args[0]) < 0

    def __neg__(self):
        return Approx(sp.Float(-float(self.args[0]), 17))


class Between(sp.Basic):
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
            return self._print(expr.base, exp=inline_number(self, expr.exp))
        if isinstance(expr.base, sp.Derivative) and self._derivative_parts(expr.base) is not None \
                and not (expr.exp.is_Rational and expr.exp < 0):
            return self._print_Derivative(expr.base, exp=self._print(expr.exp))
        return super()._print_Pow(expr)


def latex(expr, **settings) -> str:
    r"""Print ``expr`` with :class:`TheoryLatexPrinter`.

    Examples
    --------
    >>> from theory.symbols import ETA, Y
    >>> latex(ETA * Y**2 * Student(Z) * Student(Z).diff(Z))
    "\\eta y^{2} \\sigma(z) \\sigma'(z)"
    """
    return TheoryLatexPrinter(settings).doprint(expr)


def _as_number(value) -> sp.Basic:
    """A SymPy object from a SymPy object or a Python number; never parses text."""
    if isinstance(value, sp.Basic):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction)):
        raise LatexInputError(f"expected a number or a SymPy expression, got {type(value).__name__}")
    if isinstance(value, float):
        return sp.Float(value)
    return sp.Rational(value)


def inline_number(printer, value) -> str:
    """An exponent or table entry: integers plainly, rationals as ``p/q``, others by the printer."""
    value = _as_number(value)
    if value.is_Integer:
        return str(int(value))
    if value.is_Rational:
        return f"{value.p}/{value.q}"
    return printer._print(value)


def split_sign(term, first: bool) -> tuple[str, sp.Basic]:
    """``(sign, body)`` of one term of a printed sum: ``"- "``/``""`` first, ``"- "``/``"+ "`` after.

    Examples
    --------
    >>> split_sign(-Z, False)
    ('- ', z)
    """
    neg = bool(term.could_extract_minus_sign())
    body = -term if neg else term
    sign = ("- " if neg else "") if first else ("- " if neg else "+ ")
    return sign, body


def join_signed(printer, terms) -> str:
    """Print a sum in the given term order (SymPy would re-sort it); ``"0"`` for no terms.

    Examples
    --------
    >>> join_signed(TheoryLatexPrinter(), [Z**2, sp.S(-1), Z])
    'z^{2} - 1 + z'
    """
    pieces = []
    for n, term in enumerate(terms):
        sign, body = split_sign(term, n == 0)
        pieces.append(sign + printer._print(body))
    return " ".join(pieces) or "0"
