"""Links: safe parsing of user expressions, the registry of named links, label noise.

A link is a real function of one standard Gaussian variable ``z``.  Users give it as a
string, either a registered name (``He3``, ``h3``, ``relu``, ``abs``, ``sign``, ``tanh``,
``sigmoid``, ``erf``) or an expression in ``z`` such as ``"z**3 - 3*z"`` or
``"sign(z)*z**2"``.

Parsing never evaluates user text.  The string is read by :func:`ast.parse` (which only
builds a syntax tree) and the tree is walked against an allow-list of node types, names
and functions; anything else raises :class:`~theory.errors.LinkError` naming the
offending token.  Numeric literals become exact SymPy rationals (``0.1`` is ``1/10``).

``^`` is accepted as a synonym of ``**``.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Mapping

import mpmath
import sympy as sp

from theory.errors import LinkError

__all__ = [
    "Z",
    "Link",
    "parse_expression",
    "parse_link",
    "named_link",
    "hermite_polynomial",
    "REGISTERED_NAMES",
    "parity",
    "EVEN",
    "ODD",
]

#: The Gaussian variable every link is a function of.
Z = sp.Symbol("z", real=True)

MAX_HERMITE_NAME = 40

_MAX_TEXT = 2000
_MAX_POWER = 200


def hermite_polynomial(k: int, var: sp.Expr = Z) -> sp.Expr:
    """Probabilists' Hermite polynomial ``He_k`` with integer coefficients.

    Built by the recurrence ``He_{k+1} = z He_k - k He_{k-1}`` over the integers.

    Examples
    --------
    >>> hermite_polynomial(3)
    z**3 - 3*z
    >>> hermite_polynomial(0)
    1
    """
    if k < 0:
        raise LinkError(f"Hermite index must be >= 0, got {k}")
    prev, cur = [1], [0, 1]  # coefficient lists, low to high
    if k == 0:
        return sp.Integer(1)
    for n in range(1, k):
        nxt = [0] + cur
        for j, c in enumerate(prev):
            nxt[j] -= n * c
        prev, cur = cur, nxt
    return sp.Add(*[sp.Integer(c) * var**j for j, c in enumerate(cur) if c])


def _sigmoid(x):
    return 1 / (1 + sp.exp(-x))


def _relu(x):
    return sp.Max(x, 0)


# Functions a user may call, with the SymPy constructor each maps to.
_FUNCTIONS: dict[str, object] = {
    "exp": sp.exp,
    "sin": sp.sin,
    "cos": sp.cos,
    "sinh": sp.sinh,
    "cosh": sp.cosh,
    "tanh": sp.tanh,
    "erf": sp.erf,
    "sqrt": sp.sqrt,
    "Abs": sp.Abs,
    "abs": sp.Abs,
    "sign": sp.sign,
    "Max": sp.Max,
    "max": sp.Max,
    "Min": sp.Min,
    "min": sp.Min,
    "Heaviside": sp.Heaviside,
    "relu": _relu,
    "sigmoid": _sigmoid,
}
_CONSTANTS: dict[str, sp.Expr] = {"pi": sp.pi, "E": sp.E}

_NAMED = {
    "relu": sp.Max(Z, 0),
    "abs": sp.Abs(Z),
    "sign": sp.sign(Z),
    "tanh": sp.tanh(Z),
    "sigmoid": _sigmoid(Z),
    "erf": sp.erf(Z),
}

#: Registered link names (besides ``He1``..``He40`` and ``h1``..``h40``).
REGISTERED_NAMES = tuple(_NAMED) + ("He1..He40", "h1..h40")


def _hermite_name(name: str):
    """Return ``(k, normalised)`` for ``He<k>``/``h<k>`` names, else ``None``."""
    for prefix, normalised in (("He", False), ("h", True)):
        if name.startswith(prefix) and name[len(prefix):].isdigit():
            k = int(name[len(prefix):])
            if 1 <= k <= MAX_HERMITE_NAME and str(k) == name[len(prefix):]:
                return k, normalised
            raise LinkError(
                f"unknown link name {name!r}: Hermite names run from {prefix}1 to {prefix}{MAX_HERMITE_NAME}"
            )
    return None


def named_link(name: str) -> sp.Expr | None:
    """The expression of a registered link name, or ``None`` if ``name`` is not registered.

    ``He<k>`` is the probabilists' Hermite polynomial, ``h<k> = He_k / sqrt(k!)`` its
    unit-variance normalisation.

    Examples
    --------
    >>> named_link("He3")
    z**3 - 3*z
    >>> named_link("h2")
    sqrt(2)*(z**2 - 1)/2
    >>> named_link("nope") is None
    True
    """
    hk = _hermite_name(name)
    if hk is not None:
        k, normalised = hk
        poly = hermite_polynomial(k)
        return poly / sp.sqrt(sp.factorial(k)) if normalised else poly
    return _NAMED.get(name)


class _Builder:
    """Walks a Python syntax tree and builds a SymPy expression from allowed nodes only."""

    def __init__(self, text: str, what: str, symbols: Mapping[str, sp.Symbol], allow_names: bool):
        self.text = text
        self.what = what
        self.symbols = symbols
        self.allow_names = allow_names

    def fail(self, node: ast.AST | None, why: str):
        token = ""
        if node is not None and hasattr(node, "col_offset"):
            seg = ast.get_source_segment(self.text, node)
            if seg:
                token = f" at {seg!r}"
        raise LinkError(f"{self.what} {self.text!r}: {why}{token}")

    def build(self, node: ast.AST) -> sp.Expr:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            self.fail(node, f"{_describe(node)} is not allowed")
        return method(node)

    def _Expression(self, node):
        return self.build(node.body)

    def _Constant(self, node):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(node, "only numbers are allowed as literals")
        seg = ast.get_source_segment(self.text, node) or repr(value)
        try:
            return sp.Rational(seg.replace("_", ""))
        except (TypeError, ValueError):
            self.fail(node, "unreadable number")

    def _Name(self, node):
        name = node.id
        if name in self.symbols:
            return self.symbols[name]
        if name in _CONSTANTS:
            return _CONSTANTS[name]
        if self.allow_names:
            expr = named_link(name)
            if expr is not None:
                return expr
        allowed = ", ".join(sorted(self.symbols)) + ", pi, E"
        self.fail(None, f"unknown name {name!r} (allowed variables and constants: {allowed}; "
                        f"functions: {', '.join(sorted(_FUNCTIONS))})")

    def _UnaryOp(self, node):
        operand = self.build(node.operand)
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return operand
        self.fail(node, f"operator {type(node.op).__name__} is not allowed")

    def _BinOp(self, node):
        left, right = self.build(node.left), self.build(node.right)
        op = node.op
        if isinstance(op, ast.Add):
            return left + right
        if isinstance(op, ast.Sub):
            return left - right
        if isinstance(op, ast.Mult):
            return left * right
        if isinstance(op, ast.Div):
            if right == 0:
                self.fail(node, "division by zero")
            return left / right
        if isinstance(op, ast.Pow):
            if right.is_number and (not right.is_real or abs(right) > _MAX_POWER):
                self.fail(node, f"exponent {right} is out of range (|exponent| <= {_MAX_POWER})")
            return left**right
        self.fail(node, f"operator {type(op).__name__} is not allowed")

    def _Call(self, node):
        if not isinstance(node.func, ast.Name):
            self.fail(node.func, f"only plain function names can be called, not {_describe(node.func)}")
        name = node.func.id
        if node.keywords:
            self.fail(node, f"keyword arguments to {name}() are not allowed")
        args = [self.build(a) for a in node.args]
        if name in _FUNCTIONS:
            nargs = 2 if name in ("Max", "max", "Min", "min") else 1
            if name in ("Max", "max", "Min", "min") and len(args) >= 2:
                return _FUNCTIONS[name](*args)
            if len(args) != nargs:
                self.fail(node, f"{name}() takes {nargs} argument(s), got {len(args)}")
            return _FUNCTIONS[name](*args)
        if self.allow_names and len(args) == 1:
            expr = named_link(name)
            if expr is not None:
                return expr.subs(Z, args[0])
        self.fail(None, f"unknown function {name!r} (allowed: {', '.join(sorted(_FUNCTIONS))}, "
                        f"and registered link names)")


def _describe(node: ast.AST) -> str:
    kinds = {
        "Attribute": "attribute access",
        "Lambda": "lambda",
        "Subscript": "subscripting",
        "Compare": "comparison",
        "BoolOp": "boolean operator",
        "IfExp": "conditional expression",
        "ListComp": "comprehension",
        "GeneratorExp": "generator expression",
        "JoinedStr": "f-string",
        "NamedExpr": "assignment",
        "Starred": "star argument",
    }
    return kinds.get(type(node).__name__, type(node).__name__)


def parse_expression(text: str, symbols: Mapping[str, sp.Symbol], *, what: str = "expression",
                     allow_names: bool = True) -> sp.Expr:
    """Parse ``text`` into a SymPy expression using only allowed names and operations.

    Parameters
    ----------
    text : str
        The user's expression.
    symbols : mapping of str to Symbol
        Variables the expression may use.
    what : str
        How to call the input in error messages (``"link"``, ``"psi"``, ...).
    allow_names : bool
        Whether registered link names (``He3``, ``relu``, ...) may be used.

    Raises
    ------
    LinkError
        On any syntax error or disallowed token; the message quotes the input and the token.

    Examples
    --------
    >>> parse_expression("z^2 - 0.5", {"z": Z})
    z**2 - 1/2
    >>> parse_expression("__import__('os')", {"z": Z})
    Traceback (most recent call last):
    ...
    theory.errors.LinkError: expression "__import__('os')": only numbers are allowed as literals at "'os'"
    """
    if not isinstance(text, str):
        raise LinkError(f"{what} must be a string, got {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise LinkError(f"{what} is empty")
    if len(stripped) > _MAX_TEXT:
        raise LinkError(f"{what} is too long ({len(stripped)} characters; at most {_MAX_TEXT})")
    stripped = stripped.replace("^", "**")  # textual, so that ^ gets the precedence of **
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as exc:
        raise LinkError(f"{what} {text!r} is not a valid expression: {exc.msg} "
                        f"(column {exc.offset})") from None
    return _Builder(stripped, what, symbols, allow_names).build(tree)


@dataclass(frozen=True)
class Link:
    """A link function ``sigma_*(z)`` (or a student activation), with optional label noise.

    Attributes
    ----------
    expr : sympy.Expr
        The function of :data:`Z`.
    name : str
        How the user wrote it.
    noise : sympy.Rational
        Standard deviation ``s`` of independent Gaussian label noise (0 for none).
    """

    expr: sp.Expr
    name: str
    noise: sp.Expr = field(default=sp.Integer(0))

    def __str__(self) -> str:
        return self.name

    @property
    def is_polynomial(self) -> bool:
        return bool(self.expr.is_polynomial(Z))

    @property
    def is_constant(self) -> bool:
        return Z not in self.expr.free_symbols

    @property
    def is_even(self) -> bool:
        """``f(-z) == f(z)`` proven (see :func:`parity`); ``False`` means "not proven"."""
        return parity(self.expr) == EVEN

    @property
    def is_odd(self) -> bool:
        """``f(-z) == -f(z)`` proven (see :func:`parity`); ``False`` means "not proven"."""
        return parity(self.expr) == ODD

    def with_noise(self, noise) -> "Link":
        return Link(self.expr, self.name, _parse_noise(noise))

    def numeric(self, module: str = "numpy"):
        """A vectorised numeric version of the link (``lambdify``; floats, labelled numeric)."""
        return fast_lambdify([Z], self.expr, module)


def fast_lambdify(args, expr, module: str = "numpy"):
    """``sympy.lambdify`` whose code writes small integer powers as products.

    numpy's ``x**3`` is roughly 30 times slower per element than ``x*x*x``; simulations
    call these functions millions of times.  Polynomials are put in Horner form first.
    """
    from sympy.printing.numpy import NumPyPrinter

    class _Printer(NumPyPrinter):
        def _print_Pow(self, e, rational=False):
            if e.exp.is_Integer and 2 <= e.exp <= 12:
                base = self.parenthesize(e.base, 100)
                return "(" + "*".join([base] * int(e.exp)) + ")"
            return super()._print_Pow(e, rational=rational)

    if not isinstance(expr, sp.Basic):  # never text: only expressions this package built
        raise TypeError(f"fast_lambdify needs a SymPy expression, got {type(expr).__name__}")
    syms = [a for a in args if isinstance(a, sp.Symbol)]
    if syms and expr.is_polynomial(*syms):
        try:
            expr = sp.horner(sp.expand(expr), *syms[::-1])
        except (sp.PolynomialError, ValueError, TypeError):
            pass
    if module == "math":
        from sympy.printing.pycode import PythonCodePrinter

        class _MathPrinter(PythonCodePrinter):
            _print_Pow = _Printer._print_Pow

        printer = _MathPrinter({"fully_qualified_modules": False, "inline": True,
                                "allow_unknown_functions": False, "user_functions": {}})
        return sp.lambdify(args, expr, modules=["math"], printer=printer)
    printer = _Printer({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True,
                        "user_functions": {}})
    return sp.lambdify(args, expr, modules=_lambdify_modules(module), printer=printer)


def _lambdify_modules(module: str):
    if module == "numpy":
        import numpy as np
        import scipy.special

        return [{"Heaviside": lambda x, h0=0.5: np.heaviside(x, 0.5), "erf": scipy.special.erf,
                 "sign": np.sign}, "numpy"]
    return [module]


#: Values of :func:`parity`.
EVEN, ODD = 1, -1

# Functions with f(-x) = -f(x): an odd argument gives an odd result.
_ODD_FUNCTIONS = (sp.sin, sp.sinh, sp.tanh, sp.erf, sp.sign, sp.atan, sp.asinh)
# Functions with f(-x) = f(x): any argument of definite parity gives an even result.
_EVEN_FUNCTIONS = (sp.cos, sp.cosh, sp.Abs)


def _structural_parity(expr: sp.Expr, var: sp.Symbol):
    """Parity proven from the expression tree alone, or ``None`` (linear in the tree size).

    Rules: constants are even, ``z`` is odd; sums of terms of one parity keep it; products
    multiply parities; ``b**n`` with integer ``n`` has parity ``parity(b)**n``; any function
    of even arguments is even; ``sin, sinh, tanh, erf, sign, atan, asinh`` keep parity;
    ``cos, cosh, Abs`` of an argument of definite parity are even.  Each rule is a proof, so
    the answer is sound; ``None`` only means "not proven this way".
    """
    if var not in expr.free_symbols:
        return EVEN
    if expr == var:
        return ODD
    if expr.is_Add or expr.is_Mul:
        parts = [_structural_parity(a, var) for a in expr.args]
        if any(p is None for p in parts):
            return None
        if expr.is_Add:
            return parts[0] if all(p == parts[0] for p in parts) else None
        sign = 1
        for p in parts:
            sign *= p
        return sign
    if expr.is_Pow:
        base, exp = expr.args
        if var in exp.free_symbols:
            pb, pe = _structural_parity(base, var), _structural_parity(exp, var)
            return EVEN if pb == EVEN and pe == EVEN else None
        pb = _structural_parity(base, var)
        if pb is None:
            return None
        if pb == EVEN:
            return EVEN
        if exp.is_Integer:
            return ODD if int(exp) % 2 else EVEN
        return None
    args = [_structural_parity(a, var) for a in expr.args]
    if not args or any(p is None for p in args):
        return None
    if all(p == EVEN for p in args):
        return EVEN
    if len(args) == 1 and isinstance(expr, _EVEN_FUNCTIONS):
        return EVEN
    if len(args) == 1 and isinstance(expr, _ODD_FUNCTIONS):
        return args[0]
    return None


def parity(expr: sp.Expr, var: sp.Symbol = Z):
    """``EVEN`` (1) when ``f(-z) == f(z)`` is proven, ``ODD`` (-1) when ``f(-z) == -f(z)`` is,
    else ``None`` (not proven: the function may still have a parity SymPy cannot see).

    Decided structurally (:func:`_structural_parity`) and, for polynomials, by exact
    expansion.  No ``simplify``: the cost is linear in the size of the expression.  The zero
    function is reported as even.

    Examples
    --------
    >>> parity(Z**3 - 3*Z), parity(sp.Abs(Z) + sp.cos(3*Z)), parity(sp.tanh(Z)**2)
    (-1, 1, 1)
    >>> parity(sp.Max(Z, 0)) is None
    True
    """
    found = _structural_parity(expr, var)
    if found is not None:
        return found
    if expr.is_polynomial(var):
        poly = sp.Poly(expr, var)
        degrees = {m[0] % 2 for m in poly.monoms()}
        if degrees == {0}:
            return EVEN
        if degrees == {1}:
            return ODD
    return None


def _parse_noise(noise) -> sp.Expr:
    if isinstance(noise, str):
        value = parse_expression(noise, {}, what="noise", allow_names=False)
    elif isinstance(noise, sp.Expr):
        value = noise
    elif isinstance(noise, bool) or not isinstance(noise, (int, float)):
        raise LinkError(f"noise must be a number, got {noise!r}")
    elif isinstance(noise, float) and not mpmath.isfinite(noise):
        raise LinkError(f"noise must be finite, got {noise!r}")
    else:
        value = sp.Rational(repr(noise)) if isinstance(noise, float) else sp.Integer(noise)
    if not value.is_number or not value.is_real:
        raise LinkError(f"noise must be a real number, got {noise!r}")
    if value < 0:
        raise LinkError(f"noise standard deviation must be >= 0, got {noise}")
    return value


def _check_admissible(expr: sp.Expr, text: str) -> None:
    """Reject links that are complex-valued or not square-integrable under N(0, 1)."""
    extra = expr.free_symbols - {Z}
    if extra:
        raise LinkError(f"link {text!r} uses variables other than z: {sorted(map(str, extra))}")
    # Exponentials: exp(g) with polynomial g of degree > 2 growing, or z^2 coefficient >= 1/4.
    for e in expr.atoms(sp.exp):
        arg = sp.expand(e.args[0])
        if arg.is_polynomial(Z):
            poly = sp.Poly(arg, Z)
            deg = poly.degree()
            if deg >= 2:
                lead = poly.LC()
                grows = lead > 0 if deg % 2 == 0 else lead != 0
                if deg > 2 and grows or deg == 2 and lead >= sp.Rational(1, 4):
                    raise LinkError(f"link {text!r} is not square-integrable under the standard Gaussian: "
                                    f"{e} grows too fast (E[f(z)^2] = infinity)")
    # Poles: a denominator with a real zero.
    _num, den = sp.fraction(sp.together(expr))
    if Z in den.free_symbols and den.is_polynomial(Z):
        real_roots = [r for r in sp.Poly(den, Z).real_roots()]
        if real_roots:
            raise LinkError(f"link {text!r} has a pole at z = {real_roots[0]}: not square-integrable "
                            f"under the standard Gaussian")
    # Numeric guard: real values and tails below exp(z^2/4).
    f = sp.lambdify(Z, expr, modules=["mpmath"])
    with mpmath.workdps(30):
        for point in (-7.3, -2.1, -0.4, 0.6, 1.7, 6.9):
            try:
                v = mpmath.mpmathify(f(mpmath.mpf(point)))
            except (ZeroDivisionError, ValueError, TypeError, OverflowError):
                raise LinkError(f"link {text!r} cannot be evaluated at z = {point}") from None
            if isinstance(v, mpmath.mpc) and abs(v.imag) > mpmath.mpf(10) ** -20 * (1 + abs(v.real)):
                raise LinkError(f"link {text!r} is not real-valued (at z = {point} it is {mpmath.nstr(v, 6)})")
        for point in (-60, 60):
            try:
                v = abs(mpmath.mpmathify(f(mpmath.mpf(point))))
            except (ZeroDivisionError, ValueError, TypeError, OverflowError):
                continue
            if v > 0 and mpmath.log(v) > point**2 / 4 - 50:
                raise LinkError(f"link {text!r} is not square-integrable under the standard Gaussian: "
                                f"it grows like exp(z^2/4) or faster")


def parse_link(text: str, noise=0) -> Link:
    """Parse a user's link: a registered name or an expression in ``z``.

    Parameters
    ----------
    text : str
        ``"He3"``, ``"h3"``, ``"relu"``, ``"z**3 - 3*z"``, ``"sign(z)*z**2"``, ...
    noise : number or str, optional
        Standard deviation of Gaussian label noise, ``>= 0``.

    Raises
    ------
    LinkError
        Unparseable text, a disallowed token, a link that is complex-valued or not
        square-integrable under the standard Gaussian, or negative noise.

    Examples
    --------
    >>> parse_link("He3").expr
    z**3 - 3*z
    >>> parse_link("relu").expr
    Max(0, z)
    >>> parse_link("exp(z**2)")
    Traceback (most recent call last):
    ...
    theory.errors.LinkError: link 'exp(z**2)' is not square-integrable under the standard Gaussian: exp(z**2) grows too fast (E[f(z)^2] = infinity)
    """
    if not isinstance(text, str):
        raise LinkError(f"link must be a string, got {type(text).__name__}")
    name = text.strip()
    expr = named_link(name) if name.isidentifier() else None
    if expr is None:
        expr = parse_expression(text, {"z": Z}, what="link")
    _check_admissible(expr, name)
    return Link(expr, name, _parse_noise(noise))
