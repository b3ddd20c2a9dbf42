"""Safe parsing of user expressions into SymPy, with bounded sizes.

Parsing never evaluates user text.  The string is read by :func:`ast.parse` (which only
builds a syntax tree) and the tree is walked against an allow-list of node types, names
and functions; anything else raises :class:`~theory.errors.LinkError` naming the
offending token.  Numeric literals become exact SymPy rationals (``0.1`` is ``1/10``).
``^`` is accepted as a synonym of ``**``.

Sizes are bounded before and while an expression is built (text, nesting, numbers written
or computed, degree, expansion, non-smooth pieces: see :func:`parse_expression` and the
``MAX_*`` constants), for every user expression: links, the custom rule's ``psi`` and the
noise (:func:`parse_noise`).  Whether a parsed link is admissible (real, square-integrable)
is decided afterwards, in :mod:`theory.links`.

Size: about 700 lines, one concept (the allow-list walker and the size limits it enforces while
building).  The walker's methods share the limits and the size accounting; splitting them would
scatter one set of checks over several modules.
"""
from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass
from typing import Mapping

import mpmath
import sympy as sp

from theory._asymptotics import constant_enclosure, constant_log10, lower_end, upper_end
from theory.errors import LinkError
from theory.named_links import named_link, relu, sigmoid
from theory._text import clip_text as _short
from theory.symbols import Z

__all__ = [
    "parse_expression", "parse_noise", "log10_abs",
    "MAX_TEXT", "MAX_DEPTH", "NUMBER_MIN", "NUMBER_MAX", "MAX_LITERAL_DIGITS", "MAX_EXPONENT",
    "MAX_DEGREE", "MAX_TERMS", "MAX_EXACT_DIGITS", "MAX_NONSMOOTH", "MAX_CONSTANT_NESTING",
]


# Limits on user expressions (see parse_expression); each message names the one it hit.
#: Characters in an expression.
MAX_TEXT = 2000
#: Levels of genuine nesting (a flat chain ``a + b + ...`` is one level).
MAX_DEPTH = 50
#: Magnitude range of every number, written or computed: 0, or |x| in [NUMBER_MIN, NUMBER_MAX].
NUMBER_MIN, NUMBER_MAX = 1e-300, 1e300
_MIN_TEXT, _MAX_TEXT = "1e-300", "1e300"  # NUMBER_MIN, NUMBER_MAX as written in messages
#: Significant digits of a written number.
MAX_LITERAL_DIGITS = 40
#: Largest |exponent| of a numeric power.
MAX_EXPONENT = 200
#: Total degree (each function application counting as one more variable).
MAX_DEGREE = 200
#: Terms of the full expansion.
MAX_TERMS = 5000
#: Decimal digits of an exact coefficient of the full expansion.
MAX_EXACT_DIGITS = 2000
#: Non-smooth pieces (Abs, sign, Heaviside, Max, Min, relu).
MAX_NONSMOOTH = 16
#: Nested function applications inside a constant (exp(exp(1)) has 2).
MAX_CONSTANT_NESTING = 8


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
    "relu": relu,
    "sigmoid": sigmoid,
}
_CONSTANTS: dict[str, sp.Expr] = {"pi": sp.pi, "E": sp.E}

_NONSMOOTH = (sp.Abs, sp.sign, sp.Heaviside, sp.Max, sp.Min)

_LITERAL = re.compile(r"(?P<int>[0-9_]*)(?:\.(?P<frac>[0-9_]*))?(?:[eE](?P<exp>[+-]?[0-9_]+))?")
_LOG10_2 = math.log10(2)


def _digits(n: int) -> float:
    """Decimal digits of ``|n|`` (a bound, from the bit length: no string conversion)."""
    return max(1.0, abs(n).bit_length() * _LOG10_2)


def log10_abs(value: sp.Expr) -> float | None:
    """``log10 |value|`` of a real constant (``-inf`` for 0), ``None`` when it cannot be bounded.

    From a rigorous enclosure computed bottom-up (never SymPy's ``evalf``, whose cost can
    grow exponentially on nested constants).
    """
    bounds = constant_log10(value)
    if bounds is None:
        return None
    low, high = bounds
    return high if high > -low else low


def _log_sum(logs) -> float:
    """``log10(sum 10**l)`` without overflow."""
    logs = [v for v in logs if v != -math.inf]
    if not logs:
        return -math.inf
    top = max(logs)
    return top + math.log10(sum(10.0 ** (v - top) for v in logs))


@dataclass(frozen=True)
class _Size:
    """Bounds on what downstream stages will build from an expression.

    ``degree``: total degree in the variables, each function application (and each power
    with a non-integer or negative exponent) counting as one more variable; ``terms``: an
    upper estimate of the number of terms of the full expansion; ``log_norm``: ``log10`` of
    a bound on the sum of the absolute values of the expanded coefficients (``||pq|| <=
    ||p|| ||q||``); ``digits``: a bound on the decimal digits of any exact coefficient of the
    expansion.
    """

    degree: int
    terms: int
    log_norm: float
    digits: float


_TERMS_CAP = 10**12


def _size(expr: sp.Expr, memo: dict) -> _Size:
    hit = memo.get(expr)
    if hit is not None:
        return hit
    constant = not expr.free_symbols
    if expr.is_Symbol:
        out = _Size(1, 1, 0.0, 0.0)
    elif expr.is_Rational:
        out = _Size(0, 1, log10_abs(expr), max(_digits(expr.p), _digits(expr.q)))
    elif expr.is_Add or expr.is_Mul:
        parts = [_size(a, memo) for a in expr.args]
        if expr.is_Add:
            out = _Size(max(p.degree for p in parts), min(_TERMS_CAP, sum(p.terms for p in parts)),
                        _log_sum(p.log_norm for p in parts),
                        sum(p.digits for p in parts) + math.log10(len(parts)))
        else:
            terms = 1
            for p in parts:
                terms = min(_TERMS_CAP, terms * p.terms)
            out = _Size(sum(p.degree for p in parts), terms, sum(p.log_norm for p in parts),
                        sum(p.digits for p in parts))
    elif expr.is_Pow and expr.exp.is_Integer and expr.exp > 0 and not constant:
        n, base = int(expr.exp), _size(expr.base, memo)
        degree = n * base.degree
        t = base.terms
        terms = 1 if t == 1 else min(_TERMS_CAP, math.comb(n + t - 1, t - 1))
        if len(expr.base.free_symbols) == 1 and expr.base.is_polynomial(*expr.base.free_symbols):
            terms = min(terms, degree + 1)  # collected univariate polynomial
        out = _Size(degree, terms, n * base.log_norm, n * (base.digits + math.log10(t)))
    else:  # a generator: function application, non-polynomial power, constant atom
        inner = [_size(a, memo) for a in expr.args]
        if constant:
            log_norm = log10_abs(expr)
            out = _Size(0, 1, 0.0 if log_norm is None else log_norm, 1.0)
        else:
            out = _Size(1, 1, 0.0, max([p.digits for p in inner if expr.is_Pow] or [0.0]))
    memo[expr] = out
    return out


def _constant_nesting(expr: sp.Expr, memo: dict) -> int:
    """Depth of nested function applications in a constant (``exp(exp(1))`` has 2)."""
    key = ("nesting", expr)
    hit = memo.get(key)
    if hit is None:
        inner = max((_constant_nesting(a, memo) for a in expr.args), default=0)
        hit = inner + (1 if isinstance(expr, sp.Function) else 0)
        memo[key] = hit
    return hit


def _nonsmooth_count(expr: sp.Expr) -> int:
    """Kinks and jumps: each distinct ``Abs``/``sign``/``Heaviside``, and ``Max``/``Min`` of
    ``n`` arguments counting ``n - 1``."""
    return sum(len(a.args) - 1 if isinstance(a, (sp.Max, sp.Min)) else 1 for a in expr.atoms(*_NONSMOOTH))


class _Builder:
    """Walks a Python syntax tree and builds a SymPy expression from allowed nodes only.

    Associative chains (``a + b - c + ...``, ``a * b / c * ...``) are collected iteratively
    and built in one call, and chains of unary signs collapse, so a long flat input costs no
    recursion; genuine nesting is bounded by :data:`MAX_DEPTH` before building starts.  Every
    node built is checked against the size limits at once, so no limit is exceeded by more
    than one operation.
    """

    def __init__(self, text: str, what: str, symbols: Mapping[str, sp.Symbol], allow_names: bool):
        self.text = text
        self.what = what
        self.symbols = symbols
        self.allow_names = allow_names
        self.memo: dict = {}
        self.seen: set = set()

    def fail(self, node: ast.AST | None, why: str):
        token = ""
        if node is not None and hasattr(node, "col_offset"):
            seg = ast.get_source_segment(self.text, node)
            if seg and seg != self.text:
                token = f" at {_short(seg)!r}"
        raise LinkError(f"{self.what} {_short(self.text)!r}: {why}{token}")

    # -- size checks -------------------------------------------------------------------
    def checked(self, node: ast.AST | None, expr: sp.Expr) -> sp.Expr:
        """Check a freshly built node, and every sub-expression not checked before (SymPy and
        the named links build structure of their own), against every size limit; return it."""
        todo = [expr]
        while todo:
            sub = todo.pop()
            if sub in self.seen or sub.is_Atom and not sub.is_number:
                continue
            self.seen.add(sub)
            self.check_one(node, sub)
            todo.extend(a for a in sub.args if isinstance(a, sp.Expr))
        return expr

    def check_one(self, node, expr: sp.Expr):
        if expr in (sp.zoo, sp.nan, sp.oo, -sp.oo):
            self.fail(node, "the value is not a finite number (division by zero?)")
        if not expr.free_symbols:
            self.check_constant(node, expr)
        else:
            for term in sp.Add.make_args(expr):
                coeff = term.as_coeff_Mul()[0]
                if coeff.is_Rational and coeff != 0:
                    self.check_magnitude(node, coeff, "the coefficient")
        size = _size(expr, self.memo)
        if size.degree > MAX_DEGREE:
            self.fail(node, f"total degree {size.degree} exceeds the limit {MAX_DEGREE} (each variable "
                            f"counts 1, and so does each function application)")
        if size.terms > MAX_TERMS:
            self.fail(node, f"expanded, it would have about {_num(size.terms)} terms, more than the "
                            f"limit {MAX_TERMS}")
        if size.log_norm > math.log10(NUMBER_MAX) + 1e-9:
            self.fail(node, f"expanded, its coefficients could reach 1e{math.ceil(size.log_norm)}, "
                            f"beyond the supported magnitude {_MAX_TEXT}")
        if size.digits > MAX_EXACT_DIGITS:
            self.fail(node, f"expanded, its exact coefficients could need {math.ceil(size.digits)} digits, "
                            f"more than the limit {MAX_EXACT_DIGITS}")

    def check_magnitude(self, node, value: sp.Expr, name: str):
        log = log10_abs(value)
        if log is None or log == -math.inf:
            return
        if not (math.log10(NUMBER_MIN) - 1e-9 <= log <= math.log10(NUMBER_MAX) + 1e-9):
            self.fail(node, f"{name} {_approx(value, log)} is out of range: numbers must be 0 or of "
                            f"magnitude between {_MIN_TEXT} and {_MAX_TEXT}")

    def check_constant(self, node, value: sp.Expr):
        if value.is_Rational:
            self.check_magnitude(node, value, "the constant")
            return
        if value.has(sp.I) or value.is_extended_real is False:
            self.fail(node, f"{_short(str(value))} is not a real number (only real values are supported)")
        bounds = constant_log10(value)
        if bounds is None:
            box = constant_enclosure(value)
            if box is not None and -NUMBER_MIN < lower_end(box) and upper_end(box) < NUMBER_MIN:
                self.fail(node, f"the constant {_short(str(value))} is below the supported magnitude "
                                f"{_MIN_TEXT} (or 0, which could not be proven)")
            if box is None or not (mpmath.isfinite(lower_end(box)) and mpmath.isfinite(upper_end(box))):
                self.fail(node, f"the constant {_short(str(value))} cannot be evaluated")
            return  # an enclosure around 0 that reaches into the range: a number in range or 0
        low, high = bounds
        if low < math.log10(NUMBER_MIN) - 1e-9 or high > math.log10(NUMBER_MAX) + 1e-9:
            log = high if high > math.log10(NUMBER_MAX) else low
            self.fail(node, f"the constant {_approx(value, log)} is out of range: numbers must be 0 or of "
                            f"magnitude between {_MIN_TEXT} and {_MAX_TEXT}")

    # -- the walk ------------------------------------------------------------------------
    def build(self, node: ast.AST) -> sp.Expr:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            self.fail(node, f"{_describe(node)} is not allowed")
        return method(node)

    def _Expression(self, node):
        return self.build(node.body)

    def _Constant(self, node):
        value = node.value
        if isinstance(value, complex):
            self.fail(node, "imaginary numbers are not allowed (only real values are supported)")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(node, "only numbers are allowed as literals")
        seg = ast.get_source_segment(self.text, node) or repr(value)
        return self.checked(node, self.literal(node, seg))

    def literal(self, node, seg: str) -> sp.Rational:
        """The exact value of a numeric literal, bounded from its text before any conversion."""
        text = seg.replace("_", "")
        if text[:2].lower() in ("0x", "0o", "0b"):
            if len(text) > 4 * MAX_LITERAL_DIGITS:
                self.fail(node, f"the number {_short(seg)} has too many digits (at most {MAX_LITERAL_DIGITS} "
                                f"significant digits)")
            value = sp.Integer(int(text, 0))
            self.check_magnitude(node, value, "the number")
            return value
        match = _LITERAL.fullmatch(text)
        if not match or not (match.group("int") or match.group("frac")):
            self.fail(node, "unreadable number")
        whole, frac, exp_text = match.group("int") or "", match.group("frac") or "", match.group("exp")
        if exp_text is not None and len(exp_text.lstrip("+-").lstrip("0")) > 6:
            self.fail(node, f"the number {_short(seg)} is out of range: numbers must be 0 or of magnitude "
                            f"between {_MIN_TEXT} and {_MAX_TEXT}")
        exponent = (int(exp_text) if exp_text is not None else 0) - len(frac)
        digits = (whole + frac).lstrip("0")
        if not digits:
            return sp.Integer(0)
        stripped = digits.rstrip("0")
        exponent += len(digits) - len(stripped)
        if len(stripped) > MAX_LITERAL_DIGITS:
            self.fail(node, f"the number {_short(seg)} has {len(stripped)} significant digits, more than "
                            f"the limit {MAX_LITERAL_DIGITS}")
        magnitude = exponent + len(stripped) - 1  # floor(log10 |value|)
        top = round(math.log10(NUMBER_MAX))
        if magnitude < round(math.log10(NUMBER_MIN)) or magnitude > top or (
                magnitude == top and stripped != "1"):
            self.fail(node, f"the number {_short(seg)} is out of range: numbers must be 0 or of magnitude "
                            f"between {_MIN_TEXT} and {_MAX_TEXT}")
        mantissa = int(stripped)
        return sp.Integer(mantissa * 10**exponent) if exponent >= 0 else sp.Rational(mantissa, 10**-exponent)

    def _Name(self, node):
        name = node.id
        if name in self.symbols:
            return self.symbols[name]
        if name in _CONSTANTS:
            return _CONSTANTS[name]
        if self.allow_names:
            expr = named_link(name)
            if expr is not None:
                return self.checked(node, expr)
        allowed = ", ".join(sorted(self.symbols)) + ", pi, E"
        self.fail(None, f"unknown name {name!r} (allowed variables and constants: {allowed}; "
                        f"functions: {', '.join(sorted(_FUNCTIONS))})")

    def _UnaryOp(self, node):
        negative = False
        inner = node
        while isinstance(inner, ast.UnaryOp):  # a chain of signs collapses, without recursion
            if isinstance(inner.op, ast.USub):
                negative = not negative
            elif not isinstance(inner.op, ast.UAdd):
                self.fail(inner, f"operator {type(inner.op).__name__} is not allowed")
            inner = inner.operand
        operand = self.build(inner)
        return self.checked(node, -operand) if negative else operand

    def _BinOp(self, node):
        op = node.op
        if isinstance(op, (ast.Add, ast.Sub)):
            terms = []
            for sign, sub in _chain(node, (ast.Add, ast.Sub)):
                value = self.build(sub)
                terms.append(-value if sign < 0 else value)
            return self.checked(node, sp.Add(*terms))
        if isinstance(op, (ast.Mult, ast.Div)):
            factors = []
            for sign, sub in _chain(node, (ast.Mult, ast.Div)):
                value = self.build(sub)
                if sign < 0:
                    if value == 0:
                        self.fail(sub, "division by zero")
                    value = self.pow(sub, value, sp.Integer(-1))
                factors.append(value)
            return self.checked(node, sp.Mul(*factors))
        if isinstance(op, ast.Pow):
            return self.checked(node, self.pow(node, self.build(node.left), self.build(node.right)))
        self.fail(node, f"operator {type(op).__name__} is not allowed")

    def pow(self, node, base: sp.Expr, exponent: sp.Expr) -> sp.Expr:
        """``base**exponent`` with its size bounded by logarithms before SymPy computes it."""
        if exponent.is_number:
            if exponent.is_real is False:
                self.fail(node, f"exponent {exponent} is not a real number")
            if abs(exponent) > MAX_EXPONENT:
                self.fail(node, f"exponent {exponent} is out of range (|exponent| <= {MAX_EXPONENT})")
            if base == 0 and exponent.is_negative:
                self.fail(node, "division by zero (0 to a negative power)")
            coeff = base.as_coeff_Mul()[0]
            log = log10_abs(coeff) if coeff.is_number else None
            if log is not None and log not in (0.0, -math.inf):
                scaled = log * float(exponent)
                if not math.log10(NUMBER_MIN) - 1e-9 <= scaled <= math.log10(NUMBER_MAX) + 1e-9:
                    self.fail(node, f"the power is about 1e{math.floor(scaled)}, out of range: numbers must be "
                                    f"0 or of magnitude between {_MIN_TEXT} and {_MAX_TEXT}")
        return base**exponent

    def _Call(self, node):
        if not isinstance(node.func, ast.Name):
            self.fail(node.func, f"only plain function names can be called, not {_describe(node.func)}")
        name = node.func.id
        if node.keywords:
            self.fail(node, f"keyword arguments to {name}() are not allowed")
        args = [self.build(a) for a in node.args]
        if all(not a.free_symbols for a in args):
            nesting = 1 + max((_constant_nesting(a, self.memo) for a in args), default=0)
            if nesting > MAX_CONSTANT_NESTING:
                self.fail(node, f"a constant nests {nesting} function applications, more than the limit "
                                f"{MAX_CONSTANT_NESTING} (SymPy's evaluation of such constants takes time "
                                f"exponential in their depth)")
        if name in _EXP_LIKE and len(args) == 1 and not args[0].free_symbols:
            box = constant_enclosure(args[0])
            if box is not None and max(abs(lower_end(box)), abs(upper_end(box))) > _EXP_ARG_MAX:
                what = ("involves exp(-x) out of range" if name == "sigmoid" else "is out of range")
                self.fail(node, f"{name}(x) of a number x beyond +-{_EXP_ARG_MAX} (here x is about "
                                f"{_approx_box(box)}) {what}: numbers must be 0 or of magnitude "
                                f"between {_MIN_TEXT} and {_MAX_TEXT}")
        if name in _FUNCTIONS:
            if name in ("Max", "max", "Min", "min"):
                if len(args) < 2:
                    self.fail(node, f"{name}() takes at least 2 arguments, got {len(args)}")
            elif len(args) != 1:
                self.fail(node, f"{name}() takes 1 argument, got {len(args)}")
            if name == "relu":
                name, args = "Max", [args[0], sp.Integer(0)]
            if name in _UNEVALUATED and not all(_cheap_to_evaluate(a) for a in args):
                # SymPy's eval of these asks assumptions of (or compares) the arguments, which for
                # nested or large non-polynomial arguments expands them with complex=True: time
                # exponential in the nesting depth (cosh(cosh(cosh(sigmoid(z)**200))) took 5 s)
                return self.checked(node, _unevaluated(_FUNCTIONS[name], args))
            return self.checked(node, _FUNCTIONS[name](*args))
        if self.allow_names and len(args) == 1:
            expr = named_link(name)
            if expr is not None:
                return self.checked(node, expr.subs(Z, args[0]))
        self.fail(None, f"unknown function {name!r} (allowed: {', '.join(sorted(_FUNCTIONS))}, "
                        f"and registered link names)")


def _chain(node: ast.AST, ops) -> list[tuple[int, ast.AST]]:
    """Operands of an associative chain with their signs (+1, or -1 after ``-`` / ``/``), in order.

    ``a - (b + c) * d`` gives ``[(+1, a), (-1, (b + c) * d)]``; ``a - (b - c)`` gives
    ``[(+1, a), (-1, b), (+1, c)]``.  Iterative: a chain of any length costs no recursion.
    """
    out = []
    stack = [(node, 1)]
    while stack:
        current, sign = stack.pop()
        if isinstance(current, ast.BinOp) and isinstance(current.op, ops):
            flip = -1 if isinstance(current.op, (ast.Sub, ast.Div)) else 1
            stack.append((current.right, sign * flip))
            stack.append((current.left, sign))
        else:
            out.append((sign, current))
    return out


def _nesting_depth(tree: ast.AST) -> int:
    """Depth of genuine nesting, computed iteratively: associative chains and chains of unary
    signs count as one level, parentheses as none."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, ast.Expression):
            stack.append((node.body, depth))
            continue
        if isinstance(node, ast.UnaryOp):
            while isinstance(node, ast.UnaryOp):
                node = node.operand
            stack.append((node, depth))
            continue
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div)):
            ops = (ast.Add, ast.Sub) if isinstance(node.op, (ast.Add, ast.Sub)) else (ast.Mult, ast.Div)
            children = [sub for _s, sub in _chain(node, ops)]
        else:
            children = list(ast.iter_child_nodes(node))
        for child in children:
            if isinstance(child, (ast.expr_context, ast.operator, ast.unaryop)):
                continue
            stack.append((child, depth + 1))
    return deepest


#: Built unevaluated unless every argument is a polynomial or a constant (see _Builder._Call).
_UNEVALUATED = ("sinh", "cosh", "tanh", "Max", "max", "Min", "min")


def _cheap_to_evaluate(arg: sp.Expr) -> bool:
    """Constants and polynomials: SymPy's assumptions about them cost little."""
    return not arg.free_symbols or arg.is_polynomial(*arg.free_symbols)


def _unevaluated(function, args):
    """``function(*args)`` without SymPy's evaluation; for Max/Min, nested calls of the same
    kind are flattened and repeated arguments dropped (the same function, in fewer terms)."""
    if function in (sp.Max, sp.Min):
        flat = []
        for a in args:
            for b in (a.args if isinstance(a, function) else (a,)):
                if b not in flat:
                    flat.append(b)
        if len(flat) == 1:
            return flat[0]
        return function(*flat, evaluate=False)
    return function(*args, evaluate=False)
#: Functions whose value at a number x is about exp(|x|) or exp(-|x|) in size.
_EXP_LIKE = ("exp", "sinh", "cosh", "sigmoid")
#: log(NUMBER_MAX) rounded down: exp of a larger argument leaves the range [1e-300, 1e300].
_EXP_ARG_MAX = 690


def _approx_box(box) -> str:
    mid = (lower_end(box) + upper_end(box)) / 2
    return mpmath.nstr(mid, 4)


def _num(n: int) -> str:
    return f"{n:,}" if n < 10**15 else f"1e{math.floor(math.log10(n))}"


def _approx(value: sp.Expr, log: float) -> str:
    if -6 <= log <= 6:
        return str(value)
    sign = "-" if value.is_negative else ""
    mantissa = 10 ** (log - math.floor(log))
    return f"{sign}{mantissa:.3g}e{math.floor(log)}"


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

    Sizes are bounded before and while the expression is built, so that no input can make
    this function, or a later stage, run out of time or memory:

    - at most :data:`MAX_TEXT` characters and :data:`MAX_DEPTH` levels of nesting (a flat
      chain such as ``z + z + ... + z`` is one level);
    - every number, written or computed (a product, a power), is 0 or has magnitude in
      ``[NUMBER_MIN, NUMBER_MAX]`` = ``[1e-300, 1e300]`` (the range of the double-precision
      numbers the numeric stages use), and a written number has at most
      :data:`MAX_LITERAL_DIGITS` significant digits; literal text is checked *before* it is
      converted, and powers of numbers by logarithms before they are computed;
    - numeric exponents satisfy ``|exponent| <= MAX_EXPONENT``;
    - the total degree is at most :data:`MAX_DEGREE` (each function application counts as
      one more variable), the full expansion has at most :data:`MAX_TERMS` terms,
      coefficients of magnitude at most ``NUMBER_MAX`` and exact coefficients of at most
      :data:`MAX_EXACT_DIGITS` digits;
    - at most :data:`MAX_NONSMOOTH` non-smooth pieces (``Abs``, ``sign``, ``Heaviside``,
      ``Max``, ``Min``, ``relu``);
    - a constant nests at most :data:`MAX_CONSTANT_NESTING` function applications
      (``exp(-exp(-exp(-1)))`` has 3: SymPy evaluates such constants when it builds them, in
      time exponential in the depth).

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

    Returns
    -------
    sympy.Expr
        The expression, with exact rational numbers.

    Raises
    ------
    LinkError
        On any syntax error, disallowed token or exceeded limit; the one-line message quotes
        the input, says which limit and where.

    Examples
    --------
    >>> parse_expression("z^2 - 0.5", {"z": Z})
    z**2 - 1/2
    >>> parse_expression("__import__('os')", {"z": Z})
    Traceback (most recent call last):
    ...
    theory.errors.LinkError: expression "__import__('os')": only numbers are allowed as literals at "'os'"
    >>> parse_expression("1e400*z", {"z": Z})
    Traceback (most recent call last):
    ...
    theory.errors.LinkError: expression '1e400*z': the number 1e400 is out of range: numbers must be 0 or of magnitude between 1e-300 and 1e300 at '1e400'
    >>> parse_expression("+".join(["z"] * 500), {"z": Z})
    500*z
    """
    if not isinstance(text, str):
        raise LinkError(f"{what} must be a string, got {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise LinkError(f"{what} is empty")
    if len(stripped) > MAX_TEXT:
        raise LinkError(f"{what} is too long ({len(stripped)} characters; at most {MAX_TEXT})")
    stripped = stripped.replace("^", "**")  # textual, so that ^ gets the precedence of **
    try:
        tree = ast.parse(stripped, mode="eval")
    except SyntaxError as exc:
        raise LinkError(f"{what} {_short(text)!r} is not a valid expression: {exc.msg} "
                        f"(column {exc.offset})") from None
    except (RecursionError, MemoryError):
        raise LinkError(f"{what} {_short(text)!r} is nested too deeply to be read") from None
    depth = _nesting_depth(tree)
    if depth > MAX_DEPTH:
        raise LinkError(f"{what} {_short(text)!r} is nested {depth} levels deep, more than the limit "
                        f"{MAX_DEPTH}")
    builder = _Builder(stripped, what, symbols, allow_names)
    try:
        expr = builder.build(tree)
    except RecursionError:  # a SymPy routine on a legal but deep tree: still the user's input
        raise LinkError(f"{what} {_short(text)!r} is nested too deeply to be processed") from None
    builder.checked(None, expr)  # everything reachable, subtrees made by substitution too
    pieces = _nonsmooth_count(expr)
    if pieces > MAX_NONSMOOTH:
        raise LinkError(f"{what} {_short(text)!r} has {pieces} non-smooth pieces (Abs, sign, Heaviside, "
                        f"Max, Min, relu), more than the limit {MAX_NONSMOOTH}")
    return expr


def parse_noise(noise) -> sp.Expr:
    """The label-noise standard deviation as an exact SymPy number.

    Parameters
    ----------
    noise : int, float, str or sympy.Expr
        A float is read exactly from its shortest repr (``0.1`` is ``1/10``); a string is parsed
        as a constant expression (``"sqrt(2)/2"``).

    Returns
    -------
    sympy.Expr
        A real number ``>= 0``, 0 or of magnitude within ``[NUMBER_MIN, NUMBER_MAX]``.

    Raises
    ------
    LinkError
        Not a real number, negative, infinite or out of range.

    Examples
    --------
    >>> parse_noise(0.1), parse_noise("sqrt(2)/2")
    (1/10, sqrt(2)/2)
    """
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
    log = log10_abs(value)
    if log is not None and log != -math.inf and not (
            math.log10(NUMBER_MIN) - 1e-9 <= log <= math.log10(NUMBER_MAX) + 1e-9):
        raise LinkError(f"noise {noise!r} is out of range: it must be 0 or between {_MIN_TEXT} and "
                        f"{_MAX_TEXT}")
    return value
