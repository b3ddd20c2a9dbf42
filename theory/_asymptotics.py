"""Is a link real-valued and square-integrable under N(0, 1)?  Decided, with the reason.

A link ``f`` is admissible when it is real-valued and ``E[f(z)^2] = int f^2 phi < infinity``
(``phi`` the standard Gaussian density).  Every function a link may use (``exp sin cos sinh
cosh tanh erf sqrt Abs sign Max Min Heaviside``) is finite on the real line, so ``f`` can
fail only

1. by taking complex values: a power ``b**e`` with a non-integer exponent of a base that is
   negative somewhere (SymPy's principal branch is complex there);
2. near a real zero ``z0`` of a base raised to a negative power: if ``|f| ~ C |z - z0|^a``
   on one side, ``f^2`` is integrable there iff ``a > -1/2``;
3. at ``+oo`` or ``-oo``: writing ``log|f| = P(|z|) + C log|z| + O(1)``, ``f^2 phi`` is
   integrable iff ``2 P(x) - x^2/2`` tends to ``-oo`` like a power of ``x``, or is ``O(1)``
   and ``2 C < -1``.

Each check is a proof or a refusal, never a guess: a link is accepted only when every
candidate point and both ends are certified, refused as "not square-integrable" only when
the leading behaviour is certain, and otherwise refused with "could not certify" and the
place.  The tools:

- :class:`_Local`, local orders at a point, one-sided (``t -> 0+``, ``z = z0 + s t``): a
  product adds orders, a power multiplies them, bounded functions have order ``>= 0``, a
  sum takes the minimum and is exact when the minimum is attained once (else the point's
  Taylor coefficients decide, for analytic pieces, or ``sympy.together`` is tried);
- :class:`_Tail`, the same at ``+-oo`` for ``log|f|``: ``exp(g)`` contributes the
  polynomial part of ``g``'s expansion, polynomials their degree, bounded functions
  ``O(1)``; ``sinh``/``cosh`` are written with ``exp`` so that cancellations such as
  ``cosh(z**2) - sinh(z**2) = exp(-z**2)`` are seen;
- interval arithmetic (:mod:`mpmath.iv`, outward rounded; ``tanh`` and ``erf`` through
  their monotonicity, with endpoint values at 80 bits widened; huge arguments of ``exp``-like
  functions clamped to infinity, which keeps every evaluation cheap and still an
  enclosure) to prove that a base has no zero, to isolate its
  zeros (exact ones are recognised with ``nsimplify`` and checked exactly; a zero of order
  ``m`` is certified unique in its cell by an enclosure of the ``m``-th derivative that
  excludes 0), and to find a point where a base is negative.

Only :func:`admissibility_problem` is used elsewhere.

Size: about 2100 lines, over the guide, kept as one module for now: its sections (numbers and
interval enclosures of SymPy constants, real values, points and zero tests, local orders, zeros
of a base, finite singular points, behaviour at infinity) are one decision procedure whose
stages pass private records (``_Point``, ``_Ord``, ``_Growth``, ``_Expn``) to each other, and
only :func:`admissibility_problem` (plus the enclosure helpers the parser uses) leaves the
module.  The seams for a split are the section markers: enclosures / singularities / tails.
No function body is over 80 lines.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import mpmath
import sympy as sp

__all__ = ["admissibility_problem"]

iv = mpmath.iv
_INF = mpmath.inf
_HALF = sp.Rational(1, 2)
#: Highest derivative order tried at a point (a zero of higher order stays undecided).
_TAYLOR_ORDER = 10
#: Largest expression (``count_ops``) that is differentiated for a Taylor coefficient.
_TAYLOR_OPS = 400
#: Work allowed for one search on intervals (locating the zeros of a base, proving a base
#: >= 0), in evaluated tree nodes: about a second of interval arithmetic.  Deterministic, so
#: the same input always gets the same answer.
_EVALUATION_BUDGET = 40_000
#: Shells ``|z| <= r`` searched for zeros of a non-polynomial base, innermost first.
_SHELLS = (2.0137, 8.0531, 32.213, 128.85, 515.41, 2061.6, 8246.5, 65972.0, 1.0553e6)
#: Zero candidates examined per base before giving up.
_MAX_ZEROS = 60
#: |value| below which a numeric Taylor coefficient is not trusted to be nonzero.
_TINY = mpmath.mpf(10) ** -20


# ---------------------------------------------------------------------------
# numbers
# ---------------------------------------------------------------------------
_CONSTANTS: dict = {}
#: Relative error granted to a float standing for a constant (see :func:`_coefficient`).
_FLOAT_SLACK = mpmath.mpf(10) ** -12


def constant_enclosure(value: sp.Expr):
    """An interval (``mpmath.iv``) enclosing a real constant expression, or ``None``.

    Computed bottom-up with a memo shared by all calls, so nested constants cost linear time
    (SymPy's ``evalf`` re-evaluates shared subtrees and can take exponential time on, e.g.,
    ``exp(-exp(-exp(...)))``).
    """
    hit = _CONSTANTS.get(value)
    if hit is None and value not in _CONSTANTS:
        if len(_CONSTANTS) > 20000:
            _CONSTANTS.clear()
        try:
            hit = _interval(value, iv.mpf(0), _CONSTANTS)
        except (TypeError, ValueError, ArithmeticError, RecursionError):
            hit = None
        _CONSTANTS[value] = hit
    return hit


def constant_log10(value: sp.Expr):
    """``(low, high)`` bounds on ``log10 |value|`` of a real constant (``-inf`` for 0), or ``None``
    when no enclosure excluding 0 is available."""
    if value.is_Rational:
        if value == 0:
            return -math.inf, -math.inf
        v = math.log10(abs(value.p)) - math.log10(value.q)
        return v, v
    box = constant_enclosure(value)
    if box is None or _contains_zero(box):
        return None
    lo, hi = sorted((abs(lower_end(box)), abs(upper_end(box))))
    if not mpmath.isfinite(hi):
        return None
    return float(mpmath.log10(lo)), float(mpmath.log10(hi))


def _sign(value: sp.Expr):
    """Sign (+1, -1, 0) of a real constant, ``None`` if undecidable."""
    if value == 0:
        return 0
    if value.is_Rational:
        return 1 if value > 0 else -1
    box = constant_enclosure(value)
    if box is not None and not _contains_zero(box):
        return 1 if lower_end(box) > 0 else -1
    if value.has(sp.Float) or sp.count_ops(value) > 40:
        return None
    try:
        if value.is_positive:
            return 1
        if value.is_negative:
            return -1
    except (TypeError, ValueError, RecursionError):
        return None
    try:
        approx = sp.N(value, 30)
    except (TypeError, ValueError, ArithmeticError, RecursionError):
        return None
    if approx.is_Number and approx.is_real and abs(approx) > _TINY * 10:
        return 1 if approx > 0 else -1
    return None


def _fmt(value) -> str:
    """A short exact-or-numeric rendering of a point or exponent for messages."""
    if isinstance(value, (int, float)):
        return f"{value:.6g}"
    if isinstance(value, sp.CRootOf):
        return f"{float(sp.N(value, 15)):.6g} (a root of {value.poly.as_expr()})"
    if value.is_Rational or len(str(value)) <= 24:
        return str(value)
    return f"{float(sp.N(value, 15)):.6g}"


def _show(expr, limit: int = 60) -> str:
    """An expression for a one-line message, cut to ``limit`` characters."""
    text = sp.sstr(expr)
    return text if len(text) <= limit else text[: limit - 15] + "..." + text[-12:]


def _power(alpha) -> str:
    """An exponent after ``^``: ``-1``, ``(-1/2)``."""
    text = _fmt(alpha)
    return text if isinstance(alpha, sp.Integer) or isinstance(alpha, int) else f"({text})"


# ---------------------------------------------------------------------------
# interval arithmetic
# ---------------------------------------------------------------------------
def _ivn(value) -> object:
    """Interval enclosing a real constant."""
    if value.is_Integer:
        return iv.mpf(int(value))
    if value.is_Rational:
        return iv.mpf(int(value.p)) / iv.mpf(int(value.q))
    if value is sp.pi:
        return iv.pi
    if value is sp.E:
        return iv.e
    if isinstance(value, sp.CRootOf) and value.is_real:
        q = value.eval_rational(n=30)  # within 1e-30 of the root (SymPy's isolating intervals)
        centre = iv.mpf(int(q.p)) / iv.mpf(int(q.q))
        return centre + iv.mpf([-1, 1]) * mpmath.mpf(10) ** -25 * (1 + abs(upper_end(centre)))
    if value.is_Float:  # only made by _coefficient, within 1e-13 relative of the true value
        v = mpmath.mpf(value._mpf_)
        return iv.mpf([v - abs(v) * _FLOAT_SLACK, v + abs(v) * _FLOAT_SLACK])
    return None


def _monotone(f, x):
    """Enclosure of an increasing function on interval ``x``: its endpoint values computed at
    80 bits (mpmath's functions are accurate to about an ulp there), widened by 2^-70
    relative, then rounded outward to the interval precision."""
    lo, hi = lower_end(x), upper_end(x)
    with mpmath.workprec(80):
        a = f(mpmath.mpf(lo)) if mpmath.isfinite(lo) else f(lo)
        b = f(mpmath.mpf(hi)) if mpmath.isfinite(hi) else f(hi)
        tiny = mpmath.mpf(2) ** -1000
        a = a - abs(a) * mpmath.mpf(2) ** -70 - tiny
        b = b + abs(b) * mpmath.mpf(2) ** -70 + tiny
        return iv.mpf([a, b])


#: Arguments of exp/sinh/cosh/tanh/erf beyond this are clamped to +-inf (the result is then
#: bounded by the value at the clamp and the limit); angles beyond _BIG_ANGLE give [-1, 1].
_BIG_ARG = mpmath.mpf(10) ** 5
_BIG_ANGLE = mpmath.mpf(10) ** 30


def _clamp(x, big):
    """``x`` with ends beyond ``+-big`` replaced by ``+-inf`` (an enclosure stays an enclosure
    for the monotone functions it feeds, and huge arguments cost mpmath no time)."""
    lo, hi = lower_end(x), upper_end(x)
    if lo < -big:
        lo = -_INF
    if hi > big:
        hi = _INF
    if lo > big:
        lo = big
    if hi < -big:
        hi = -big
    return iv.mpf([lo, hi])


def _tanh(v):
    if v == _INF:
        return mpmath.mpf(1)
    if v == -_INF:
        return mpmath.mpf(-1)
    return mpmath.tanh(v)


def _erf(v):
    if v == _INF:
        return mpmath.mpf(1)
    if v == -_INF:
        return mpmath.mpf(-1)
    return mpmath.erf(v)


def lower_end(x):
    """Lower end of an mpmath interval ``x`` (``mpmath.iv.mpf``), as an ``mpf``.

    Examples
    --------
    >>> lower_end(mpmath.iv.mpf([1, 2]))
    mpf('1.0')
    """
    return mpmath.mpf(x.a)


def upper_end(x):
    """Upper end of an mpmath interval ``x`` (``mpmath.iv.mpf``), as an ``mpf``.

    Examples
    --------
    >>> upper_end(mpmath.iv.mpf([1, 2]))
    mpf('2.0')
    """
    return mpmath.mpf(x.b)


_COSTS: dict = {}


def _cost(expr: sp.Expr) -> int:
    """Nodes evaluated by one enclosure of ``expr`` (polynomials count their degree)."""
    hit = _COSTS.get(expr)
    if hit is None:
        if len(_COSTS) > 5000:
            _COSTS.clear()
        coeffs = _horner_coefficients(expr) if not expr.is_number else None
        hit = 2 * len(coeffs) if coeffs is not None else 1 + sum(_cost(a) for a in expr.args)
        _COSTS[expr] = hit
    return hit


def _contains_zero(x) -> bool:
    return lower_end(x) <= 0 <= upper_end(x)


def _interval(expr: sp.Expr, x, memo: dict | None = None):
    """An interval enclosing ``expr`` for ``z`` in interval ``x`` (``None``: cannot bound).

    Non-constant expressions are compiled once into closures (:func:`_compile`), so repeated
    evaluation on many cells does no SymPy work; constants are evaluated recursively with a
    memo.
    """
    if memo is not None:
        return _interval_eval(expr, x, memo)
    return _compile(expr)(x)


def _interval_eval(expr: sp.Expr, x, memo: dict):
    hit = memo.get(expr)
    if hit is not None:
        return hit
    out = _interval_raw(expr, x, memo)
    if out is not None and (mpmath.isnan(lower_end(out)) or mpmath.isnan(upper_end(out))):
        out = None
    memo[expr] = out
    return out


_COMPILED: dict = {}


def _compile(expr: sp.Expr):
    """A closure ``x -> enclosure of expr`` (memoised per expression and precision)."""
    key = (expr, iv.prec)
    hit = _COMPILED.get(key)
    if hit is not None:
        return hit
    if len(_COMPILED) > 20000:
        _COMPILED.clear()
    if not expr.free_symbols:
        box = constant_enclosure(expr) if iv.prec == 53 else _interval_eval(expr, iv.mpf(0), {})
        fn = lambda x, box=box: box  # noqa: E731
    elif expr.is_Symbol:
        fn = lambda x: x  # noqa: E731
    else:
        coeffs = _horner_coefficients(expr)
        if coeffs is not None:
            if iv.prec != 53:
                coeffs = [_interval_eval(c, iv.mpf(0), {}) for c in sp.Poly(expr).all_coeffs()]

            def fn(x, coeffs=coeffs):
                acc = coeffs[0]
                for c in coeffs[1:]:
                    acc = acc * x + c
                return acc
        else:
            parts = [_compile(a) for a in expr.args]
            node = expr

            def fn(x, parts=parts, node=node):
                out = _apply(node, [p(x) for p in parts])
                if out is not None and (mpmath.isnan(lower_end(out)) or mpmath.isnan(upper_end(out))):
                    return None
                return out
    _COMPILED[key] = fn
    return fn


def _apply(expr, args):
    """The enclosure of ``expr`` from enclosures ``args`` of its arguments."""
    if expr.is_Add or expr.is_Mul:
        if any(a is None for a in args):
            return None
        acc = args[0]
        for a in args[1:]:
            acc = acc + a if expr.is_Add else acc * a
        return acc
    if expr.is_Pow:
        return _pow_interval(expr.exp, args[0], args[1])
    if any(a is None for a in args):
        return _RANGES.get(type(expr))
    return _function_interval(expr, args)


_POLYNOMIALS: dict = {}


def _horner_coefficients(expr):
    """Enclosures of the coefficients (high to low) of ``expr`` if it is a polynomial of degree
    >= 2 in its single variable, else ``None`` (memoised)."""
    if expr in _POLYNOMIALS:
        return _POLYNOMIALS[expr]
    out = None
    syms = expr.free_symbols
    if len(syms) == 1 and (expr.is_Add or expr.is_Pow or expr.is_Mul):
        (var,) = syms
        if expr.is_polynomial(var):
            try:
                poly = sp.Poly(expr, var)
            except (sp.PolynomialError, TypeError, ValueError):
                poly = None
            if poly is not None and poly.degree() >= 2:
                coeffs = [constant_enclosure(c) for c in poly.all_coeffs()]
                if all(c is not None for c in coeffs):
                    out = coeffs
    if len(_POLYNOMIALS) > 5000:
        _POLYNOMIALS.clear()
    _POLYNOMIALS[expr] = out
    return out


def _interval_raw(expr, x, memo):
    if expr.is_Symbol:
        return x
    if not expr.is_number:
        coeffs = _horner_coefficients(expr)
        if coeffs is not None:
            acc = coeffs[0]
            for c in coeffs[1:]:
                acc = acc * x + c
            return acc
    if expr.is_number:
        direct = _ivn(expr)
        if direct is not None:
            return direct
    if expr.is_Add or expr.is_Mul:
        parts = [_interval(a, x, memo) for a in expr.args]
        if any(p is None for p in parts):
            return None
        acc = parts[0]
        for p in parts[1:]:
            acc = acc + p if expr.is_Add else acc * p
        return acc
    if expr.is_Pow:
        base, e = expr.args
        b = _interval(base, x, memo)
        ev = _interval(e, x, memo)
        return _pow_interval(e, b, ev)
    if not expr.args:
        return None
    args = [_interval(a, x, memo) for a in expr.args]
    if any(a is None for a in args):
        # an argument that cannot be bounded (it may be infinite at a pole): the range of the
        # function still encloses every value where the expression is defined
        return _RANGES.get(type(expr))
    return _function_interval(expr, args)


def _pow_interval(e: sp.Expr, b, ev):
    """Enclosure of ``base**e`` from the enclosures ``b`` of the base and ``ev`` of ``e``."""
    if b is None:
        return None
    if e.is_Integer:
        n = int(e)
        if n >= 0:
            return b**n
        if _contains_zero(b):  # values where defined: 1/b**n is unbounded there
            top = max(abs(lower_end(b)), abs(upper_end(b)))
            if top == 0:
                return None
            if n % 2 == 0 or lower_end(b) >= 0:
                return iv.mpf([lower_end(1 / iv.mpf(top) ** (-n)), _INF])
            if upper_end(b) <= 0:
                return iv.mpf([-_INF, upper_end(-1 / iv.mpf(top) ** (-n))])
            return iv.mpf([-_INF, _INF])
        return iv.mpf(1) / b**(-n)
    if ev is None:
        return None
    if e.is_number:
        if upper_end(b) < 0:
            return None
        lo = max(lower_end(b), mpmath.mpf(0))
        b = iv.mpf([lo, upper_end(b)])
        if lo == 0 and e.is_negative:
            return None
        if lo == 0:
            top = iv.exp(ev * iv.log(iv.mpf(upper_end(b)))) if upper_end(b) != _INF else iv.mpf(_INF)
            return iv.mpf([0, upper_end(top)])
        return iv.exp(_clamp(ev * iv.log(b), _BIG_ARG))
    if lower_end(b) <= 0:
        return None
    return iv.exp(_clamp(ev * iv.log(b), _BIG_ARG))


def _function_interval(expr, args):
    """Enclosure of a function application from the enclosures of its arguments."""
    a0 = args[0]
    if isinstance(expr, (sp.exp, sp.sinh, sp.cosh)):
        a0 = _clamp(a0, _BIG_ARG)
    if isinstance(expr, sp.exp):
        return iv.exp(a0)
    if isinstance(expr, (sp.sin, sp.cos)):
        if max(abs(lower_end(a0)), abs(upper_end(a0))) > _BIG_ANGLE:
            return iv.mpf([-1, 1])
        return iv.sin(a0) if isinstance(expr, sp.sin) else iv.cos(a0)
    if isinstance(expr, sp.tanh):
        return _monotone(_tanh, _clamp(a0, _BIG_ARG))
    if isinstance(expr, sp.erf):
        return _monotone(_erf, _clamp(a0, _BIG_ARG))
    if isinstance(expr, sp.sinh):
        e1, e2 = iv.exp(a0), iv.exp(-a0)
        return (e1 - e2) / 2
    if isinstance(expr, sp.cosh):
        m = iv.mpf([min(abs(lower_end(a0)), abs(upper_end(a0))) if not _contains_zero(a0) else 0, max(abs(lower_end(a0)), abs(upper_end(a0)))])
        e1 = iv.exp(m)
        return (e1 + iv.mpf(1) / e1) / 2
    if isinstance(expr, sp.Abs):
        if _contains_zero(a0):
            return iv.mpf([0, max(-lower_end(a0), upper_end(a0))])
        return a0 if lower_end(a0) > 0 else -a0
    if isinstance(expr, sp.sign):
        lo = -1 if lower_end(a0) < 0 else (0 if lower_end(a0) == 0 else 1)
        hi = 1 if upper_end(a0) > 0 else (0 if upper_end(a0) == 0 else -1)
        return iv.mpf([lo, hi])
    if isinstance(expr, sp.Heaviside):
        lo = 0 if lower_end(a0) < 0 else (_HALF_MPF if lower_end(a0) == 0 else 1)
        hi = 1 if upper_end(a0) > 0 else (_HALF_MPF if upper_end(a0) == 0 else 0)
        return iv.mpf([lo, hi])
    if isinstance(expr, (sp.Max, sp.Min)):
        pick = max if isinstance(expr, sp.Max) else min
        return iv.mpf([pick(lower_end(a) for a in args), pick(upper_end(a) for a in args)])
    return None


_HALF_MPF = mpmath.mpf(0.5)
#: Ranges of the allowed functions over the whole (extended) line.
_RANGES = {sp.sin: iv.mpf([-1, 1]), sp.cos: iv.mpf([-1, 1]), sp.tanh: iv.mpf([-1, 1]),
           sp.erf: iv.mpf([-1, 1]), sp.sign: iv.mpf([-1, 1]), sp.Heaviside: iv.mpf([0, 1]),
           sp.exp: iv.mpf([0, _INF]), sp.cosh: iv.mpf([1, _INF]), sp.Abs: iv.mpf([0, _INF])}


def _point(v) -> object:
    return iv.mpf([v, v])


# ---------------------------------------------------------------------------
# real values
# ---------------------------------------------------------------------------
def _value(expr: sp.Expr, x, prec: int = 53):
    """Enclosure of ``expr`` at the point ``x`` (interval arithmetic at ``prec`` bits), or ``None``.

    Every numeric evaluation here goes through enclosures: rigorous, and with huge arguments of
    ``exp``-like functions clamped, so no evaluation can take unbounded time (mpmath's own
    ``sinh(sinh(...))`` can).
    """
    saved = iv.prec
    iv.prec = prec
    try:
        return _interval(expr, iv.mpf([x, x]))
    except (TypeError, ValueError, ArithmeticError, RecursionError):
        return None
    finally:
        iv.prec = saved


def _negative_witness(base: sp.Expr, var: sp.Symbol):
    """A point where ``base`` is proven negative (its enclosure there is below 0), or ``None``."""
    points = [k / 8 for k in range(-80, 81)] + [-30.3, 30.3, -100.7, 100.7, -1000.3, 1000.3]
    points.sort(key=abs)
    for p in points:
        box = _value(base, mpmath.mpf(p))
        if box is not None and upper_end(box) < 0:
            return p, (lower_end(box) + upper_end(box)) / 2
    return None


def _nonnegative(base: sp.Expr, var: sp.Symbol) -> bool | None:
    """``True``: proven ``base >= 0`` on the line; ``False``: a negative value found; ``None``."""
    # no SymPy assumption queries on user expressions: for cosh/tanh of large arguments they
    # expand with complex=True and take exponential time in the nesting depth
    whole = _interval(base, iv.mpf([-_INF, _INF]))
    if whole is not None and lower_end(whole) >= 0:
        return True
    if base.is_polynomial(var):
        poly = sp.Poly(base, var)
        if poly.domain.is_QQ or poly.domain.is_ZZ:
            if any(m % 2 for _cell, m in poly.intervals()):  # a sign change
                return False
            return bool(poly.LC() > 0) if poly.degree() % 2 == 0 else poly.degree() == 0 and poly.LC() >= 0
    if _negative_witness(base, var) is not None:
        return False
    # a proof on cells: the enclosure's lower end >= 0 on every cell of the line
    cells = [iv.mpf([-_INF, -_SHELLS[-1]]), iv.mpf([_SHELLS[-1], _INF])]
    edges = [-_SHELLS[-1]] + [-r for r in reversed(_SHELLS[:-1])] + list(_SHELLS[:-1]) + [_SHELLS[-1]]
    cells += [iv.mpf([edges[i], edges[i + 1]]) for i in range(len(edges) - 1)]
    budget = _EVALUATION_BUDGET
    cost = _cost(base)
    while cells and budget > 0:
        cell = cells.pop()
        budget -= cost
        val = _interval(base, cell)
        if val is not None and lower_end(val) >= 0:
            continue
        if not (mpmath.isfinite(lower_end(cell)) and mpmath.isfinite(upper_end(cell))) or (upper_end(cell) - lower_end(cell)) < 1e-9:
            return None
        mid = lower_end(cell.mid)
        cells += [iv.mpf([lower_end(cell), mid]), iv.mpf([mid, upper_end(cell)])]
    return True if not cells else None


def _real_value_problem(expr: sp.Expr, var: sp.Symbol) -> str | None:
    """Why ``expr`` is not (or cannot be certified) real-valued, or ``None``."""
    if expr.has(sp.I):  # SymPy made it, e.g. sqrt(-z**2) = I*Abs(z): show a complex value
        for p in (0.53137, -1.7137, 2.2713, -0.31711):
            try:
                v = _complex_value(expr, var, complex(p), {})
            except (ZeroDivisionError, ValueError, TypeError, OverflowError, _NoValue):
                continue
            if math.isfinite(v.real) and math.isfinite(v.imag) and abs(v.imag) > 1e-9 * (1 + abs(v.real)):
                return f"is not real-valued: at z = {p:g} it is {v.real:.4g}{v.imag:+.4g}i"
        return "could not be certified real-valued: it contains the imaginary unit I"
    for sub in sp.preorder_traversal(expr):
        if not (isinstance(sub, sp.Pow) and var in sub.free_symbols):
            continue
        base, e = sub.args
        if e.is_Integer:
            continue
        if var in e.free_symbols:  # b**g(z): needs b > 0
            if var not in base.free_symbols:
                s = _sign(base)
                if s == 1:
                    continue
                return (f"is not real-valued: {_show(sub)} has the base {_show(base)} <= 0" if s is not None
                        else f"could not be certified real-valued: the sign of the base of {_show(sub)} is unknown")
            if _positive_everywhere(base, var):
                continue
            return f"could not be certified real-valued: {_show(sub)} needs its base {_show(base)} > 0 everywhere"
        verdict = _nonnegative(base, var)
        if verdict is True:
            continue
        if verdict is False:
            return _complex_witness(expr, sub, base, var)
        return f"could not be certified real-valued: the base of {_show(sub)} could not be proven >= 0"
    return None


def _complex_witness(expr, sub, base, var) -> str:
    """``sub = base**e`` is complex where ``base < 0``; is the whole link complex there too?

    Refuse as "not real-valued" only at a point where the link's own value is complex (it may
    be real, e.g. ``(z - 1)**0.6 * Heaviside(z - 1)`` is 0 where the power is complex).
    """
    points = [k / 8 for k in range(-80, 81)] + [-30.3, 30.3, -100.7, 100.7]
    points.sort(key=abs)
    first = None
    for p in points:
        box = _value(base, mpmath.mpf(p))
        if box is None or upper_end(box) >= 0:
            continue
        first = first if first is not None else (p, (lower_end(box) + upper_end(box)) / 2)
        try:
            v = _complex_value(expr, var, complex(p), {})
        except (ZeroDivisionError, ValueError, TypeError, OverflowError, _NoValue):
            continue
        if math.isfinite(v.real) and math.isfinite(v.imag) and abs(v.imag) > 1e-9 * (1 + abs(v.real)):
            return (f"is not real-valued: at z = {p:g} the base of {_show(sub)} is "
                    f"{mpmath.nstr((lower_end(box) + upper_end(box)) / 2, 4)} < 0, a non-integer power of a negative "
                    f"number is complex (principal branch), and the link is {v.real:.4g}{v.imag:+.4g}i there")
    where = f" (e.g. at z = {first[0]:g})" if first is not None else ""
    return (f"could not be certified real-valued: the base of {_show(sub)} is negative somewhere{where}, "
            f"where that power is complex, and the link could not be shown real there")


def _positive_everywhere(base: sp.Expr, var: sp.Symbol) -> bool:
    """Proven ``base > 0`` on the whole line (so it has no real zero)."""
    whole = _interval(base, iv.mpf([-_INF, _INF]))
    return whole is not None and lower_end(whole) > 0


def _zero_free(base: sp.Expr, var: sp.Symbol) -> bool:
    """Proven: ``base`` has no real zero."""
    whole = _interval(base, iv.mpf([-_INF, _INF]))
    return whole is not None and not _contains_zero(whole)


# ---------------------------------------------------------------------------
# points and their zero tests
# ---------------------------------------------------------------------------
@dataclass
class _Point:
    """A real point: exact (``value``) or known only inside the interval ``cell``.

    ``known`` maps bases to their certified order and the sign of their leading coefficient
    on the right (``t -> 0+``); it is how a numerically certified simple zero is used.
    """

    value: sp.Expr | None
    cell: object | None = None
    known: dict = field(default_factory=dict)

    def label(self) -> str:
        if self.value is not None:
            return f"z = {_fmt(self.value)}"
        return f"z ~ {mpmath.nstr(lower_end(self.cell.mid), 10)}"

    def is_zero(self, expr: sp.Expr, var: sp.Symbol):
        """Is ``expr`` zero at this point?  ``True``/``False`` proven, ``None`` undecided."""
        if self.value is None:
            val = _interval(expr, self.cell)
            if val is not None and not _contains_zero(val):
                return False
            return None
        if isinstance(self.value, sp.CRootOf) and expr.is_polynomial(var):
            poly = sp.Poly(expr, var)
            if poly.domain.is_QQ or poly.domain.is_ZZ:
                minimal = sp.Poly(self.value.poly.as_expr().subs(self.value.poly.gen, var), var)
                return poly.rem(minimal).is_zero
        val = expr.subs(var, self.value)
        if val == 0:
            return True
        s = _sign(val)
        if s in (1, -1):
            return False
        if s == 0:
            return True
        if sp.count_ops(val) <= 40:  # small exact constants only: simplify can be slow
            try:
                if sp.simplify(val) == 0:
                    return True
            except (TypeError, ValueError, ArithmeticError, RecursionError, NotImplementedError):
                pass
        return None

    def sign_of(self, expr: sp.Expr, var: sp.Symbol):
        """Sign of ``expr`` at this point (nonzero there), ``None`` if undecided."""
        if self.value is None:
            val = _interval(expr, self.cell)
            if val is None or _contains_zero(val):
                return None
            return 1 if lower_end(val) > 0 else -1
        val = expr.subs(var, self.value)
        return _sign(val)


# ---------------------------------------------------------------------------
# local orders
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Ord:
    """One-sided behaviour as ``t -> 0+``.

    ``kind``: ``"theta"`` (``|f| = Theta(t^alpha)``, eventual sign ``sign`` or ``None``),
    ``"bigo"`` (``|f| = O(t^alpha)``; ``alpha = oo`` for faster than any power), ``"zero"``
    (identically 0 near the point on this side), ``"wild"`` (``|f|`` grows faster than any
    power; ``sign`` its eventual sign or ``None``), ``"inf"`` (infinite on a whole
    one-sided neighbourhood), ``"unknown"``.
    """

    kind: str
    alpha: object = sp.Integer(0)
    sign: int | None = None


_UNKNOWN = _Ord("unknown")
_ZERO = _Ord("zero")
_BOUNDED = _Ord("bigo", sp.Integer(0))
_FLAT = _Ord("bigo", sp.oo)


def _is_bounded_like(o: _Ord) -> bool:
    return o.kind in ("theta", "bigo") and o.alpha >= 0 or o.kind == "zero"


class _Local:
    """Local orders of sub-expressions at ``point`` on side ``side`` (+1 right, -1 left)."""

    def __init__(self, point: _Point, side: int, var: sp.Symbol):
        self.point, self.side, self.var = point, side, var
        self.memo: dict = {}

    def order(self, expr: sp.Expr) -> _Ord:
        hit = self.memo.get(expr)
        if hit is None:
            hit = self._order(expr)
            if hit.kind != "theta" and hit.kind not in ("zero", "wild", "inf"):
                refined = self._refine(expr, hit)
                hit = refined if refined is not None else hit
            self.memo[expr] = hit
        return hit

    # exact leading terms for analytic pieces
    def _refine(self, expr, rough: _Ord) -> _Ord | None:
        known = self.point.known.get(expr)
        if known is not None:
            m, right_sign = known
            return _Ord("theta", sp.Integer(m), right_sign * (self.side**m))
        if self.point.value is None:
            s = self.point.sign_of(expr, self.var)
            if s is not None:
                return _Ord("theta", sp.Integer(0), s)
            return None
        near = self._near_enclosure(expr)  # bounded away from 0 and oo on one side: Theta(1)
        if near is not None:
            return near
        smooth = _localize(expr, self.point, self.var)
        if smooth is None:
            if expr.is_Add and rough.kind in ("bigo", "unknown") and sp.count_ops(expr) <= _TAYLOR_OPS:
                together = sp.together(expr)
                if together != expr and not together.is_Add:
                    return self.order(together)
            return None
        return _taylor_order(smooth, self.point, self.var, self.side)

    def _near_enclosure(self, expr) -> _Ord | None:
        """``Theta(1)`` with its sign if an enclosure of ``expr`` on ``(z0, z0 + s 2^-20]`` is
        finite and excludes 0 (e.g. ``2 + sin(1/z)`` near 0)."""
        centre = _ivn(self.point.value) if self.point.value.is_number else None
        if centre is None:
            box = constant_enclosure(self.point.value)
            centre = box
        if centre is None:
            return None
        step = mpmath.mpf(2) ** -20
        cell = (iv.mpf([lower_end(centre), upper_end(centre) + step]) if self.side > 0
                else iv.mpf([lower_end(centre) - step, upper_end(centre)]))
        box = _interval(expr, cell)
        if box is None or _contains_zero(box) or not (mpmath.isfinite(lower_end(box)) and mpmath.isfinite(upper_end(box))):
            return None
        return _Ord("theta", sp.Integer(0), 1 if lower_end(box) > 0 else -1)

    def _order(self, expr) -> _Ord:
        var = self.var
        if var not in expr.free_symbols:
            s = _sign(expr)
            if s == 0:
                return _ZERO
            return _Ord("theta", sp.Integer(0), s)
        if expr == var:
            if self.point.value is not None and self.point.value == 0:
                return _Ord("theta", sp.Integer(1), self.side)
            s = self.point.sign_of(var, var)
            return _Ord("theta", sp.Integer(0), s) if s is not None else _UNKNOWN
        if expr.is_Add:
            return self._add([self.order(a) for a in expr.args])
        if expr.is_Mul:
            return _mul_orders([self.order(a) for a in expr.args])
        if expr.is_Pow:
            base, e = expr.args
            if var in e.free_symbols:
                if var not in base.free_symbols and _sign(base) == 1:
                    return self.order(sp.exp(e * sp.log(base)))
                return _UNKNOWN
            return _pow_order(self.order(base), e)
        if not expr.args:
            return _UNKNOWN
        args = [self.order(a) for a in expr.args]
        g = args[0]
        if isinstance(expr, sp.exp):
            if _is_bounded_like(g):
                return _Ord("theta", sp.Integer(0), 1)
            if g.kind in ("theta", "wild") and g.sign is not None:
                return _Ord("wild", sp.oo, 1) if g.sign > 0 else _FLAT
            return _UNKNOWN
        if isinstance(expr, (sp.cosh,)):
            if _is_bounded_like(g):
                return _Ord("theta", sp.Integer(0), 1)
            return _Ord("wild", sp.oo, 1) if g.kind in ("theta", "wild") else _UNKNOWN
        if isinstance(expr, (sp.sinh, sp.tanh, sp.erf)):
            if g.kind == "zero":
                return _ZERO
            if g.kind == "theta" and g.alpha >= 0:
                return _Ord("theta", g.alpha, g.sign)
            if g.kind == "bigo" and g.alpha >= 0:
                return g
            if isinstance(expr, sp.sinh):
                return _Ord("wild", sp.oo, g.sign) if g.kind in ("theta", "wild") else _UNKNOWN
            if g.kind in ("theta", "wild"):
                return _Ord("theta", sp.Integer(0), g.sign)
            return _BOUNDED
        if isinstance(expr, sp.sin):
            if g.kind == "zero":
                return _ZERO
            if g.kind in ("theta", "bigo") and g.alpha > 0:
                return g
            return _BOUNDED
        if isinstance(expr, sp.cos):
            if g.kind == "zero" or g.kind in ("theta", "bigo") and g.alpha > 0:
                return _Ord("theta", sp.Integer(0), 1)
            return _BOUNDED
        if isinstance(expr, sp.Abs):
            if g.kind in ("theta", "wild"):
                return _Ord(g.kind, g.alpha, 1)
            return g
        if isinstance(expr, sp.sign):
            if g.kind == "zero":
                return _ZERO
            if g.kind in ("theta", "wild") and g.sign is not None:
                return _Ord("theta", sp.Integer(0), g.sign)
            return _BOUNDED
        if isinstance(expr, sp.Heaviside):
            if g.kind == "zero":
                return _Ord("theta", sp.Integer(0), 1)
            if g.kind in ("theta", "wild") and g.sign is not None:
                return _Ord("theta", sp.Integer(0), 1) if g.sign > 0 else _ZERO
            return _BOUNDED
        if isinstance(expr, (sp.Max, sp.Min)):
            return _max_min_order(args, isinstance(expr, sp.Max))
        return _UNKNOWN

    def _add(self, parts: list[_Ord]) -> _Ord:
        parts = [p for p in parts if p.kind != "zero"]
        if not parts:
            return _ZERO
        if any(p.kind in ("unknown", "inf") for p in parts):
            return _UNKNOWN if all(p.kind != "inf" for p in parts) else _Ord("inf")
        wild = [p for p in parts if p.kind == "wild"]
        if wild:
            return wild[0] if len(wild) == 1 else _UNKNOWN
        low = min(p.alpha for p in parts)
        at_low = [p for p in parts if p.alpha == low]
        if len(at_low) == 1 and at_low[0].kind == "theta":
            return at_low[0]
        if all(p.kind == "theta" and p.sign is not None for p in at_low) and len({p.sign for p in at_low}) == 1:
            return _Ord("theta", low, at_low[0].sign)
        return _Ord("bigo", low)


def _taylor_order(expr, point: "_Point", var, side: int) -> _Ord | None:
    """Order of an analytic ``expr`` from its first nonzero derivative at an exact point."""
    if sp.count_ops(expr) > _TAYLOR_OPS:
        return None
    deriv = expr
    for k in range(_TAYLOR_ORDER + 1):
        zero = point.is_zero(deriv, var)
        if zero is False:
            s = point.sign_of(deriv, var)
            return _Ord("theta", sp.Integer(k), None if s is None else s * side**k)
        if zero is None:
            return _Ord("bigo", sp.Integer(k))
        deriv = sp.diff(deriv, var)
        if sp.count_ops(deriv) > 4 * _TAYLOR_OPS:
            return _Ord("bigo", sp.Integer(k + 1))
    return _Ord("bigo", sp.Integer(_TAYLOR_ORDER + 1))


def _localize(expr, point: "_Point", var, cell=None):
    """``expr`` with every non-smooth piece replaced by the smooth branch it takes near an exact
    ``point`` (``Abs(g) -> +-g``, ``sign(g) -> +-1``, ``Heaviside(g) -> 0 or 1``, ``Max``/``Min``
    -> the argument that wins), or ``None`` if some piece is not smooth there (its argument
    vanishes, a base of a negative or fractional power vanishes).  With ``cell``, each choice
    must also hold on the whole interval ``cell`` (an enclosure of the argument excludes 0).
    """
    def keeps(g):
        """Sign of ``g`` at the point, kept on ``cell``; ``None`` if not certain."""
        s = point.sign_of(g, var) if point.is_zero(g, var) is False else None
        if s is None:
            return None
        if cell is not None:
            box = _interval(g, cell)
            if box is None or _contains_zero(box):
                return None
        return s

    def walk(e):
        if var not in e.free_symbols or e.is_Symbol:
            return e
        args = [walk(a) for a in e.args]
        if any(a is None for a in args):
            return None
        if not isinstance(e, (sp.Pow, sp.Abs, sp.sign, sp.Heaviside, sp.Max, sp.Min)) and all(
                a is b for a, b in zip(args, e.args)):
            return e  # nothing replaced below: keep the node (no re-evaluation)
        if isinstance(e, sp.Pow):
            base, ex = args
            if not (ex.is_Integer and ex >= 0) and keeps(base) is None:
                return None
            return base**ex
        if isinstance(e, (sp.Abs, sp.sign, sp.Heaviside)):
            s = keeps(args[0])
            if s is None:
                return None
            if isinstance(e, sp.Abs):
                return s * args[0]
            if isinstance(e, sp.sign):
                return sp.Integer(s)
            return sp.Integer(1 if s > 0 else 0)
        if isinstance(e, (sp.Max, sp.Min)):
            best = args[0]
            for a in args[1:]:
                s = keeps(a - best)
                if s is None:
                    return None
                if (s > 0) == isinstance(e, sp.Max):
                    best = a
            return best
        return e.func(*args)

    try:
        return walk(expr)
    except (TypeError, ValueError, RecursionError):
        return None


def _mul_orders(parts: list[_Ord]) -> _Ord:
    if any(p.kind == "zero" for p in parts):
        if any(p.kind in ("wild", "inf", "unknown") for p in parts):
            return _UNKNOWN
        return _ZERO
    if any(p.kind in ("unknown", "inf") for p in parts):
        return _UNKNOWN if all(p.kind != "inf" for p in parts) or any(
            p.kind == "bigo" and p.alpha == sp.oo for p in parts) else _Ord("inf")
    wild = [p for p in parts if p.kind == "wild"]
    if wild:
        if any(p.kind == "bigo" for p in parts):
            return _UNKNOWN
        sign = 1
        for p in parts:
            sign = None if sign is None or p.sign is None else sign * p.sign
        return _Ord("wild", sp.oo, sign)
    alpha = sp.Integer(0)
    sign = 1
    kind = "theta"
    for p in parts:
        alpha += p.alpha
        if p.kind != "theta":
            kind = "bigo"
        sign = None if sign is None or p.sign is None else sign * p.sign
    if alpha is sp.nan:
        return _UNKNOWN
    return _Ord(kind, alpha, sign if kind == "theta" else None)


def _pow_order(b: _Ord, e: sp.Expr) -> _Ord:
    if b.kind == "unknown":
        return _UNKNOWN
    if b.kind == "inf":
        return _Ord("inf") if e.is_positive else _UNKNOWN
    if b.kind == "zero":
        return _ZERO if e.is_positive else _Ord("inf")
    sign = None
    if b.sign is not None:
        sign = b.sign ** int(e) if e.is_Integer else 1
    if b.kind == "wild":
        return _Ord("wild", sp.oo, sign) if e.is_positive else _FLAT
    if b.kind == "theta":
        return _Ord("theta", b.alpha * e, sign)
    if e.is_positive:  # bigo
        return _Ord("bigo", b.alpha * e)
    return _UNKNOWN


def _max_min_order(args: list[_Ord], is_max: bool) -> _Ord:
    if all(a.kind in ("theta", "zero") and (a.kind == "zero" or a.sign is not None) for a in args):
        # eventual values: +-t^alpha, or 0; the largest (Max) / smallest (Min) wins
        def key(a):
            if a.kind == "zero":
                return (0, 0)
            # positive: bigger for smaller alpha; negative: bigger for bigger alpha
            return (a.sign, -a.alpha if a.sign > 0 else a.alpha)
        ranked = sorted(args, key=key, reverse=is_max)
        if len(ranked) > 1 and key(ranked[0]) == key(ranked[1]):
            first = ranked[0]
            return _Ord("theta", first.alpha, first.sign) if first.kind == "theta" else _ZERO
        return ranked[0]
    bounds = [a for a in args if a.kind in ("theta", "bigo", "zero")]
    if len(bounds) == len(args):
        return _Ord("bigo", min(a.alpha if a.kind != "zero" else sp.oo for a in args))
    return _UNKNOWN


# ---------------------------------------------------------------------------
# zeros of a base
# ---------------------------------------------------------------------------
def _strip(base: sp.Expr, var: sp.Symbol) -> list[sp.Expr]:
    """Pieces whose zeros are the zeros of ``base``: ``Abs(g)``, ``sign(g)``, ``erf(g)``,
    ``tanh(g)``, ``sinh(g)`` -> ``g``; ``g**p -> g`` (p > 0); a product -> its factors."""
    out, todo = [], [base]
    while todo:
        b = todo.pop()
        if var not in b.free_symbols:
            continue
        if isinstance(b, (sp.Abs, sp.sign, sp.erf, sp.tanh, sp.sinh)):
            todo.append(b.args[0])  # zero exactly where the argument is
        elif b.is_Pow and var not in b.exp.free_symbols and _sign(b.exp) == 1:
            todo.append(b.base)
        elif b.is_Mul:
            todo.extend(b.args)
        elif isinstance(b, sp.exp) or (b.is_Pow and b.exp.is_negative):
            continue  # never zero / its own singular base, collected separately
        else:
            out.append(b)
    return out


def _polynomial_zeros(piece: sp.Expr, var: sp.Symbol):
    """Real zeros of a rational polynomial with their multiplicities (a list), or ``None``.

    Degree <= 2: exact roots.  Higher degrees: SymPy's exact isolating intervals (rational
    ends, one root each, all roots of the polynomial separated), refined to width ~1e-12 when
    the root is examined; the sign of the polynomial just right of the root is its value at
    the interval's right end (exact rational arithmetic).
    """
    poly = sp.Poly(piece, var)
    if not (poly.domain.is_QQ or poly.domain.is_ZZ):
        return None
    if poly.degree() <= 2:
        points = []
        for root, mult in sp.real_roots(poly, multiple=False):
            lead = sp.diff(piece, var, mult).subs(var, root)
            points.append(_Point(root, known={piece: (mult, _sign(lead))}))
        points.sort(key=lambda p: abs(float(sp.N(p.value, 15))))
        return points
    return _LazyRoots(poly, piece)


class _LazyRoots:
    """Iterate the real roots of ``poly`` nearest to 0 first, refining each when reached."""

    def __init__(self, poly, piece):
        self.poly, self.piece = poly, piece

    def __iter__(self):
        cells = sorted(self.poly.intervals(), key=lambda c: min(abs(c[0][0]), abs(c[0][1]))
                       if c[0][0] * c[0][1] > 0 else 0)
        for (a, b), mult in cells:
            if a == b:
                lead = self.poly.diff((self.poly.gen, mult)).eval(a)
                yield _Point(sp.Rational(a), known={self.piece: (mult, _sign(sp.Rational(lead)))})
                continue
            eps = sp.Rational(1, 10**12) * max(1, abs(a), abs(b))
            a, b = self.poly.refine_root(a, b, eps=eps)
            right = self.poly.eval(b)
            if right == 0:
                lead = self.poly.diff((self.poly.gen, mult)).eval(b)
                yield _Point(sp.Rational(b), known={self.piece: (mult, _sign(sp.Rational(lead)))})
                continue
            cell = iv.mpf(int(a.p)) / iv.mpf(int(a.q))
            cell = iv.mpf([lower_end(cell), upper_end(iv.mpf(int(b.p)) / iv.mpf(int(b.q)))])
            yield _Point(None, cell, known={self.piece: (mult, 1 if right > 0 else -1)})


def _zeros(base: sp.Expr, var: sp.Symbol):
    """The real zeros of ``base``, nearest to 0 first: yields :class:`_Point` objects (exact
    where recognised), then, if not every zero could be located, one string saying why."""
    for piece in _strip(base, var):
        if _zero_free(piece, var):
            continue
        found = _polynomial_zeros(piece, var) if piece.is_polynomial(var) else None
        if found is not None:
            yield from found
        else:
            yield from _isolated_zeros(piece, var)


def _isolated_zeros(piece: sp.Expr, var: sp.Symbol):
    """Zeros of a non-polynomial ``piece`` by interval bisection, shell by shell from 0 out."""
    deriv = None
    if _cost(piece) <= _TAYLOR_OPS:  # the derivative only sharpens enclosures: skip it when large
        try:
            deriv = sp.diff(piece, var)
        except (TypeError, ValueError, NotImplementedError):
            deriv = None
    budget = [_EVALUATION_BUDGET]
    seen: list = []
    inner = 0.0
    for outer in _SHELLS:
        tails = [iv.mpf([inner, _INF]), iv.mpf([-_INF, -inner])] if inner else [iv.mpf([-_INF, _INF])]
        if all(_excludes_zero(_interval(piece, t)) for t in tails):
            return
        cells = [iv.mpf([-outer, -inner]), iv.mpf([inner, outer])] if inner else [iv.mpf([-outer, outer])]
        clusters = []
        for cell in cells:
            found = _bisect(piece, deriv, var, cell, budget)
            if isinstance(found, tuple):
                yield _Vanishes(piece, found[1], found[2])
                return
            if found is None:
                yield (f"could not locate the zeros of {_show(piece)} for {inner:g} <= |z| <= {outer:g}"
                       if budget[0] > 0 else f"the search for the zeros of {_show(piece)} exceeded its work budget")
                return
            clusters.extend(found)
        for lo, hi, simple in _merge(clusters):
            point = _identify(piece, var, lo, hi, simple)
            if isinstance(point, str):
                yield point
                return
            if point.value is not None and any(point.value == v for v in seen):
                continue
            seen.append(point.value)
            if len(seen) > _MAX_ZEROS:
                yield (f"{_show(piece)} has more than {_MAX_ZEROS} real zeros (the first {_MAX_ZEROS} were "
                       f"examined)")
                return
            yield point
        inner = outer
    tails = [iv.mpf([inner, _INF]), iv.mpf([-_INF, -inner])]
    if not all(_excludes_zero(_interval(piece, t)) for t in tails):
        yield f"could not exclude zeros of {_show(piece)} for |z| > {inner:g}"


@dataclass(frozen=True)
class _Vanishes:
    """``piece`` is identically 0 on ``[lo, hi]`` (proven: its enclosure there is ``[0, 0]``)."""

    piece: sp.Expr
    lo: object
    hi: object


def _excludes_zero(enclosure) -> bool:
    return enclosure is not None and not _contains_zero(enclosure)


def _bisect(piece, deriv, var, cell, budget):
    """Cells of ``cell`` that may hold a zero: ``(lo, hi, simple)``; ``None`` on failure.

    ``simple`` marks a cell with a certified single simple zero (sign change at the ends,
    derivative enclosure excluding 0).
    """
    found = []
    stack = [cell]
    cost = _cost(piece) + (_cost(deriv) if deriv is not None else 0)
    while stack:
        c = stack.pop()
        budget[0] -= cost
        if budget[0] < 0:
            return None
        val = _interval(piece, c)
        if val is None:
            return None
        if not _contains_zero(val):
            continue
        if lower_end(val) == 0 and upper_end(val) == 0:
            return ("vanishes", lower_end(c), upper_end(c))  # identically zero on the whole cell
        dval = _interval(deriv, c) if deriv is not None else None
        if dval is not None and not _contains_zero(dval):
            left, right = _interval(piece, _point(lower_end(c))), _interval(piece, _point(upper_end(c)))
            if left is not None and right is not None and not _contains_zero(left) and not _contains_zero(right):
                if (lower_end(left) > 0) == (lower_end(right) > 0):
                    continue  # monotone without sign change: no zero
                found.append((lower_end(c), upper_end(c), True))
                continue
            # mean value form may still exclude the zero
            mid = lower_end(c.mid)
            mv = _interval(piece, _point(mid))
            if mv is not None and not _contains_zero(mv + dval * (c - mid)):
                continue
        if (upper_end(c) - lower_end(c)) < 1e-7 * max(1, abs(lower_end(c.mid))):
            found.append((lower_end(c), upper_end(c), False))
            continue
        mid = lower_end(c) + (upper_end(c) - lower_end(c)) * mpmath.mpf("0.4980113")  # off-centre: zeros at nice points
        stack.append(iv.mpf([mid, upper_end(c)]))                   # fall inside a cell, not on an edge
        stack.append(iv.mpf([lower_end(c), mid]))
    return found


def _merge(cells):
    cells = sorted(cells, key=lambda c: c[0])
    merged = []
    for lo, hi, simple in cells:
        if merged and lo <= merged[-1][1]:
            plo, phi, _ps = merged[-1]
            merged[-1] = (plo, max(phi, hi), False)
        else:
            merged.append((lo, hi, simple))
    merged.sort(key=lambda c: min(abs(c[0]), abs(c[1])) if c[0] * c[1] > 0 else 0)
    return merged


def _identify(piece, var, lo, hi, simple):
    """The zero in ``[lo, hi]``: exact when recognised, else a certified simple zero in a cell.

    Returns a :class:`_Point` or the text of what could not be certified.
    """
    estimate = _estimate_zero(piece, mpmath.mpf(lo), mpmath.mpf(hi))
    scale = max(mpmath.mpf(1), abs(estimate))
    width = mpmath.mpf(hi) - mpmath.mpf(lo)
    candidate = None
    if abs(estimate) < mpmath.mpf(10) ** -15:
        candidate = sp.Integer(0)
    else:
        try:
            candidate = sp.nsimplify(sp.Float(estimate, 30), [sp.pi], tolerance=float(scale) * 1e-15)
        except (TypeError, ValueError, ArithmeticError, RecursionError):
            candidate = None
        if candidate is not None and (not candidate.is_real or sp.count_ops(candidate) > 12):
            candidate = None
    cell = iv.mpf([lo, hi])
    if candidate is not None and lo - width <= float(candidate) <= hi + width:
        point = _Point(candidate)
        if point.is_zero(piece, var) is True:
            inside = lo <= float(candidate) <= hi
            c = float(candidate)
            pad = 1e-12 * max(1.0, abs(c))
            hull = iv.mpf([min(float(lo), c) - pad, max(float(hi), c) + pad])
            smooth = _localize(piece, point, var, cell=hull)
            if smooth is None:
                return (f"could not certify the zeros of {_show(piece)} near z = {_fmt(candidate)} (it is not "
                        f"smooth there)")
            if simple and inside:  # the cell holds exactly one zero, and it is simple
                point.known[piece] = (1, point.sign_of(sp.diff(smooth, var), var))
                return point
            # multiplicity, and a certificate that the cell holds no other zero: an enclosure
            # of the m-th derivative without 0 allows at most m zeros counted with multiplicity
            order = _taylor_order(smooth, point, var, 1)
            if order is None or order.kind != "theta":
                return f"could not determine the order of the zero of {_show(piece)} at z = {_fmt(candidate)}"
            m = int(order.alpha)
            enclosure = _interval(sp.diff(smooth, var, m), hull)
            if enclosure is not None and not _contains_zero(enclosure):
                point.known[piece] = (m, order.sign)
                return point
            return f"could not certify that {_fmt(candidate)} is the only zero of {_show(piece)} near it"
    if simple:
        deriv = sp.diff(piece, var)
        dval = _interval(deriv, cell)
        s = 1 if lower_end(dval) > 0 else -1
        return _Point(None, cell, known={piece: (1, s)})
    return f"could not certify the zero of {_show(piece)} near z ~ {mpmath.nstr(estimate, 8)}"


def _estimate_zero(piece, a, b):
    """A zero of ``piece`` in ``[a, b]`` to high accuracy (enclosures at 140 bits): bisection on
    a sign change, else the minimum of ``|piece|`` by repeated zooming (even-order zeros)."""
    def val(t):
        box = _value(piece, t, 140)
        if box is None or not (mpmath.isfinite(lower_end(box)) and mpmath.isfinite(upper_end(box))):
            return mpmath.inf
        return (lower_end(box) + upper_end(box)) / 2

    with mpmath.workprec(140):
        a, b = mpmath.mpf(a), mpmath.mpf(b)
        fa, fb = val(a), val(b)
        if mpmath.isfinite(fa) and mpmath.isfinite(fb) and fa * fb < 0:
            for _ in range(130):
                m = (a + b) / 2
                fm = val(m)
                if fm == 0:
                    return m
                if (fm < 0) == (fa < 0):
                    a, fa = m, fm
                else:
                    b = m
            return (a + b) / 2
        for _ in range(16):
            grid = [a + (b - a) * k / 16 for k in range(17)]
            best = min(range(17), key=lambda k: abs(val(grid[k])))
            a, b = grid[max(best - 1, 0)], grid[min(best + 1, 16)]
        return (a + b) / 2


# ---------------------------------------------------------------------------
# finite singular points
# ---------------------------------------------------------------------------
def _singular_bases(expr: sp.Expr, var: sp.Symbol) -> list[sp.Expr]:
    """Bases raised to a negative power: the only places a link can be infinite."""
    out = []
    for sub in sp.preorder_traversal(expr):
        if isinstance(sub, sp.Pow) and var in sub.base.free_symbols and sub.exp.is_number and sub.exp.is_negative:
            if sub.base not in out:
                out.append(sub.base)
    return out


def _point_verdict(expr, point: _Point, var) -> str | None:
    """``None`` if ``expr^2`` is integrable near ``point``; else the reason."""
    where = point.label()
    sides = {}
    for side in (1, -1):
        o = _Local(point, side, var).order(expr)
        sides[side] = o
    bad, unsure = [], []
    for side, o in sides.items():
        name = "right" if side > 0 else "left"
        if o.kind in ("zero",) or o.kind in ("theta", "bigo") and o.alpha > -_HALF:
            continue
        if o.kind == "theta":
            bad.append((name, o))
        elif o.kind in ("wild", "inf"):
            bad.append((name, o))
        else:
            unsure.append((name, o))
    if bad:
        name, o = bad[0]
        both = len(bad) == 2 and (bad[0][1].kind, bad[0][1].alpha) == (bad[1][1].kind, bad[1][1].alpha)
        side_text = "on both sides" if both else f"from the {name}"
        near = f"near {where}" if point.value is None or point.value != 0 else "near z = 0"
        if o.kind == "wild":
            return (f"is not square-integrable under the standard Gaussian: {near} it grows faster "
                    f"than any power of 1/|z - z0| ({side_text})")
        if o.kind == "inf":
            return f"is not square-integrable under the standard Gaussian: it is infinite {side_text} of {where}"
        a = -o.alpha
        pole = f" (a pole of order {a})" if a.is_Integer else ""
        if point.value is not None and not isinstance(point.value, sp.CRootOf):
            shape = f"|{sp.sstr(var - point.value)}|^{_power(o.alpha)}"
        else:
            shape = f"|z - z0|^{_power(o.alpha)}"
        return (f"is not square-integrable under the standard Gaussian: {near} it behaves like "
                f"{shape}{pole} {side_text}, and |z - z0|^-a is square-integrable near z0 only for a < 1/2")
    if unsure:
        return (f"could not be certified square-integrable under the standard Gaussian near {where} "
                f"(the local order of the link there could not be determined)")
    return None


def _singularity_problem(expr: sp.Expr, var: sp.Symbol) -> str | None:
    """The first certain failure at a finite point, else the first uncertainty, else ``None``."""
    pending = None
    checked: list = []
    for base in _singular_bases(expr, var):
        for point in _zeros(base, var):
            if isinstance(point, str):
                pending = pending or ("could not be certified square-integrable under the standard "
                                      f"Gaussian: {point}")
                break
            if isinstance(point, _Vanishes):
                return (f"is infinite or undefined on a whole interval: {_show(base)} is raised to a negative "
                        f"power and vanishes for z in [{mpmath.nstr(point.lo, 6)}, {mpmath.nstr(point.hi, 6)}]")
            if point.value is not None and any(point.value == v for v in checked):
                continue
            checked.append(point.value)
            verdict = _point_verdict(expr, point, var)
            if verdict is not None and not verdict.startswith("could not"):
                return verdict  # one non-integrable point is enough
            pending = pending or verdict
    return pending


# ---------------------------------------------------------------------------
# behaviour at +-infinity
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Expn:
    """``g(s x) = sum_k c_k x^k + O(x^r)`` as ``x -> +oo`` (terms only with ``k > r``).

    ``r = -oo``: no remainder (or one smaller than any power).  ``inf``: ``+1``/``-1`` when
    ``g`` tends to ``+oo``/``-oo`` faster than any power (then ``terms`` is empty).
    """

    terms: tuple = ()
    r: object = -sp.oo
    inf: int = 0

    @property
    def lead(self):
        return max(self.terms, key=lambda kv: kv[0]) if self.terms else None

    def lead_sign(self):
        """Eventual sign of ``g``, ``None`` if not determined."""
        if self.inf:
            return self.inf
        if not self.terms:
            return None
        return _sign(self.lead[1])


def _coefficient(c: sp.Expr) -> sp.Expr:
    """``c`` itself when simple, else a 30-digit float of it (exactness only matters for the
    rational coefficients that decide boundary cases; nested constants would make every later
    step costlier)."""
    if c.is_Rational or c.is_Float or sp.count_ops(c) <= 12:
        return c
    box = constant_enclosure(c)
    if box is None or _contains_zero(box):
        return c
    mid = (lower_end(box) + upper_end(box)) / 2
    if upper_end(box) - lower_end(box) > abs(mid) * mpmath.mpf(10) ** -13:
        return c
    return sp.Float(mid, 30)


def _expn(terms: dict, r) -> _Expn:
    kept = tuple(sorted(((k, _coefficient(c)) for k, c in terms.items() if c != 0 and k > r),
                        key=lambda kv: kv[0]))
    return _Expn(kept, r)


_EXPN_BOUNDED = _Expn((), sp.Integer(0))


def _expn_neg(a: _Expn) -> _Expn:
    return _Expn(tuple((k, -c) for k, c in a.terms), a.r, -a.inf)


def _exp_expansion(g: _Expn | None) -> _Expn | None:
    """Expansion of ``exp(g)`` from that of ``g``: only when ``exp(g)`` is bounded, tends to a
    constant, or tends to +-oo faster than any power (``inf``)."""
    if g is None:
        return None
    if g.inf:
        return _Expn((), -sp.oo, 1) if g.inf > 0 else _Expn((), -sp.oo)
    positive = [(k, c) for k, c in g.terms if k > 0]
    if positive and g.lead[0] > max(g.r, 0):
        ls = g.lead_sign()
        if ls is None:
            return None
        return _Expn((), -sp.oo, 1) if ls > 0 else _Expn((), -sp.oo)
    if g.r > 0:
        return None
    const = dict(g.terms).get(sp.Integer(0), sp.Integer(0))
    size = constant_log10(const) if const != 0 else (-math.inf, -math.inf)
    if g.r < 0 and size is not None and size[1] < 2.8:  # |const| < 600: exp(const) in range
        return _expn({sp.Integer(0): sp.exp(const)}, g.r)
    return _EXPN_BOUNDED


def _expn_add(a: _Expn, b: _Expn) -> _Expn | None:
    if a.inf or b.inf:
        if a.inf and b.inf and a.inf != b.inf:
            return None
        return a if a.inf else b
    terms = dict(a.terms)
    for k, c in b.terms:
        terms[k] = terms.get(k, 0) + c
    return _expn(terms, max(a.r, b.r))


def _expn_mul(a: _Expn, b: _Expn) -> _Expn | None:
    if a.inf or b.inf:
        other = b if a.inf else a
        s = other.lead_sign()
        if (other.inf or other.terms) and s is not None:
            lead_k = other.lead[0] if other.terms and not other.inf else 1
            if other.inf or lead_k > other.r:
                return _Expn((), -sp.oo, (a.inf or 1) * (b.inf or 1) if other.inf else (a.inf or b.inf) * s)
        return None
    deg_a = a.lead[0] if a.terms else -sp.oo
    deg_b = b.lead[0] if b.terms else -sp.oo
    terms: dict = {}
    for ka, ca in a.terms:
        for kb, cb in b.terms:
            terms[ka + kb] = terms.get(ka + kb, 0) + ca * cb
    r = max(_add_inf(deg_a, b.r), _add_inf(deg_b, a.r), _add_inf(a.r, b.r))
    if len(terms) > 64:  # keep the top of the expansion; the rest joins the remainder
        ks = sorted(terms, reverse=True)
        r = max(r, ks[63])
        terms = {k: terms[k] for k in ks[:63]}
    return _expn(terms, r)


def _add_inf(a, b):
    if a == -sp.oo or b == -sp.oo:
        return -sp.oo
    return a + b


def _expn_pow(a: _Expn, e: sp.Expr) -> _Expn | None:
    if a.inf:
        if e.is_positive:
            return _Expn((), -sp.oo, a.inf ** int(e) if e.is_Integer else 1)
        return _Expn((), -sp.oo)
    if e.is_Integer and e > 0:
        out = _Expn(((sp.Integer(0), sp.Integer(1)),), -sp.oo)
        for _ in range(int(e)):
            out = _expn_mul(out, a)
            if out is None:
                return None
        return out
    lead = a.lead
    if lead is None or lead[0] <= a.r:
        if e.is_positive and a.r > -sp.oo:
            return _Expn((), a.r * e) if a.r >= 0 else _Expn((), a.r * e)
        return None
    k, c = lead
    if not e.is_Integer and _sign(c) != 1:
        return None
    # (c x^k)^e (1 + rho)^e, rho = (a - lead) / (c x^k) = O(x^(top - k)) with top < k
    rest = {kk: cc / c for kk, cc in a.terms if kk != k}
    rho_r = a.r - k if a.r > -sp.oo else -sp.oo
    rho = _expn({kk - k: cc for kk, cc in rest.items()}, rho_r)
    lead_rho = max([kk for kk, _ in rho.terms] + ([rho.r] if rho.r > -sp.oo else []), default=-sp.oo)
    scale = c**e
    total = {sp.Integer(0): sp.Integer(1)}
    power = _Expn(((sp.Integer(0), sp.Integer(1)),), -sp.oo)
    remainder = -sp.oo
    if lead_rho > -sp.oo:
        order = 6
        for j in range(1, order + 1):
            power = _expn_mul(power, rho)
            coeff = sp.binomial(e, j)
            for kk, cc in power.terms:
                total[kk] = total.get(kk, 0) + coeff * cc
            remainder = max(remainder, power.r)
        remainder = max(remainder, (order + 1) * lead_rho)
    terms = {kk + k * e: cc * scale for kk, cc in total.items()}
    return _expn(terms, remainder + k * e if remainder > -sp.oo else -sp.oo)


@dataclass(frozen=True)
class _Growth:
    """``log|f(s x)| = P(x) + C log x + O(x^u)`` as ``x -> +oo`` (``u >= 0``; ``C`` only
    meaningful when ``u = 0``), two-sided (``theta``) or an upper bound (``bigo``).

    Other kinds: ``zero`` (identically 0 for large x), ``tiny`` (smaller than ``exp(-K x^N)``
    for all K, N), ``huge`` (larger than ``exp(K x^N)`` for all K, N), ``unknown``.
    """

    kind: str
    P: tuple = ()
    C: object = sp.Integer(0)
    u: object = sp.Integer(0)
    sign: int | None = None

    def shape(self) -> str:
        """``|z|^C exp(...)`` in words, ``|z|`` standing for ``x``."""
        x = sp.Symbol("|z|", positive=True)
        poly = sum((c * x**k for k, c in self.P), sp.Integer(0))
        parts = []
        if poly != 0:
            parts.append(f"exp({sp.sstr(poly)})")
        if self.u > 0:
            parts.append(f"exp(O(|z|^{_fmt(self.u)}))")
        elif self.C != 0:
            parts.append(f"|z|^{_power(self.C)}")
        return " * ".join(parts) if parts else "a constant"


_G_UNKNOWN = _Growth("unknown")
_G_ZERO = _Growth("zero")
_G_TINY = _Growth("tiny")


def _g(kind, P: dict, C, u, sign) -> _Growth:
    u = max(u, sp.Integer(0))
    kept = tuple(sorted(((k, c) for k, c in P.items() if c != 0 and k > u), key=lambda kv: -kv[0]))
    return _Growth(kind, kept, C if u == 0 else sp.Integer(0), u, sign)


def _compare(a: _Growth, b: _Growth):
    """``+1`` if ``a`` certainly dominates ``b``, ``-1`` the converse, ``0`` equal, ``None`` unsure."""
    u = max(a.u, b.u)
    diff = dict(a.P)
    for k, c in b.P:
        diff[k] = diff.get(k, 0) - c
    keys = sorted((k for k, c in diff.items() if c != 0 and k > u), reverse=True)
    if keys:
        s = _sign(diff[keys[0]])
        return s
    if u > 0:
        return None
    d = a.C - b.C
    return _sign(d)


class _Tail:
    """Expansions and growth of sub-expressions at ``s * oo`` (``side`` +1 or -1)."""

    def __init__(self, side: int, var: sp.Symbol):
        self.side, self.var = side, var
        self.x_memo: dict = {}
        self.g_memo: dict = {}

    # -- expansions of g (used inside exp) --------------------------------------------
    def expansion(self, expr) -> _Expn | None:
        if expr in self.x_memo:
            return self.x_memo[expr]
        out = self._expansion(expr)
        self.x_memo[expr] = out
        return out

    def _expansion(self, expr) -> _Expn | None:
        var, s = self.var, self.side
        if var not in expr.free_symbols:
            return _expn({sp.Integer(0): expr}, -sp.oo) if expr.is_real is not False else None
        if expr.is_polynomial(var):
            poly = sp.Poly(expr, var)
            return _expn({sp.Integer(m[0]): c * s ** m[0] for m, c in poly.terms()}, -sp.oo)
        if expr.is_Add or expr.is_Mul:
            acc = None
            for a in expr.args:
                part = self.expansion(a)
                if part is None:
                    return None
                acc = part if acc is None else (_expn_add(acc, part) if expr.is_Add else _expn_mul(acc, part))
                if acc is None:
                    return None
            return acc
        if expr.is_Pow:
            base, e = expr.args
            if var in e.free_symbols:
                if var not in base.free_symbols and _sign(base) == 1:
                    return self.expansion(sp.exp(e * sp.log(base)))
                return None
            b = self.expansion(base)
            return None if b is None else _expn_pow(b, e)
        if not expr.args:
            return None
        g = self.expansion(expr.args[0]) if len(expr.args) == 1 else None
        if isinstance(expr, sp.exp):
            return _exp_expansion(g)
        if isinstance(expr, (sp.sinh, sp.cosh)):  # (exp(g) +- exp(-g)) / 2, without building it
            if g is None:
                return None
            up, down = _exp_expansion(g), _exp_expansion(_expn_neg(g))
            if up is None or down is None:
                return None
            half = _expn({sp.Integer(0): _HALF}, -sp.oo)
            other = _expn({sp.Integer(0): -_HALF if isinstance(expr, sp.sinh) else _HALF}, -sp.oo)
            a, b = _expn_mul(up, half), _expn_mul(down, other)
            return None if a is None or b is None else _expn_add(a, b)
        if isinstance(expr, (sp.tanh, sp.erf, sp.sign, sp.Heaviside)):
            if g is not None:
                ls = g.lead_sign()
                tends = g.inf or (g.terms and g.lead[0] > max(g.r, 0))
                if ls is not None and tends:
                    value = ls if not isinstance(expr, sp.Heaviside) else (1 if ls > 0 else 0)
                    return _expn({sp.Integer(0): sp.Integer(value)}, -sp.oo)
                if ls is not None and isinstance(expr, (sp.sign, sp.Heaviside)) and g.terms and g.lead[0] > g.r:
                    value = ls if isinstance(expr, sp.sign) else (1 if ls > 0 else 0)
                    return _expn({sp.Integer(0): sp.Integer(value)}, -sp.oo)
            return _EXPN_BOUNDED
        if isinstance(expr, (sp.sin, sp.cos)):
            return _EXPN_BOUNDED
        if isinstance(expr, sp.Abs):
            if g is None:
                return None
            ls = g.lead_sign()
            if ls is not None and (g.inf or g.lead[0] > g.r):
                return _expn_mul(g, _expn({sp.Integer(0): sp.Integer(ls)}, -sp.oo))
            top = max([k for k, _ in g.terms] + [g.r])
            return _Expn((), max(top, sp.Integer(0))) if top > -sp.oo else _EXPN_BOUNDED
        if isinstance(expr, (sp.Max, sp.Min)):
            parts = [self.expansion(a) for a in expr.args]
            if any(p is None for p in parts):
                return None
            best = parts[0]
            for p in parts[1:]:
                diff = _expn_add(p, _expn_mul(best, _expn({sp.Integer(0): sp.Integer(-1)}, -sp.oo)) or best)
                ds = diff.lead_sign() if diff is not None else None
                if diff is None or ds is None or not (diff.inf or diff.lead[0] > diff.r):
                    tops = [max([k for k, _ in q.terms] + [q.r]) for q in parts]
                    if any(q.inf for q in parts):
                        return None
                    return _Expn((), max(max(tops), sp.Integer(0)))
                if (ds > 0) == isinstance(expr, sp.Max):
                    best = p
            return best
        return None

    # -- growth of log|f| ---------------------------------------------------------------
    def growth(self, expr) -> _Growth:
        if expr in self.g_memo:
            return self.g_memo[expr]
        out = self._growth(expr)
        if out.kind == "bigo" and not out.P and out.u == 0 and out.C == 0:
            out = self._bounded_refined(expr, out)
        self.g_memo[expr] = out
        return out

    def _bounded_refined(self, expr, rough: _Growth) -> _Growth:
        """A bounded piece whose enclosure on a far tail excludes 0 is Theta(1)."""
        for r in (64, 4096):
            cell = iv.mpf([r, _INF]) if self.side > 0 else iv.mpf([-_INF, -r])
            val = _interval(expr, cell)
            if val is not None and not _contains_zero(val) and mpmath.isfinite(lower_end(val)) and mpmath.isfinite(upper_end(val)):
                return _Growth("theta", (), sp.Integer(0), sp.Integer(0), 1 if lower_end(val) > 0 else -1)
        return rough

    def _growth(self, expr) -> _Growth:
        var, s = self.var, self.side
        if var not in expr.free_symbols:
            sg = _sign(expr)
            return _G_ZERO if sg == 0 else _Growth("theta", (), sp.Integer(0), sp.Integer(0), sg)
        if expr.is_polynomial(var):
            poly = sp.Poly(expr, var)
            deg = poly.degree()
            lead_sign = _sign(poly.LC())
            return _Growth("theta", (), sp.Integer(deg), sp.Integer(0),
                           None if lead_sign is None else lead_sign * s**deg)
        if expr.is_Add:
            return self._add([self.growth(a) for a in expr.args])
        if expr.is_Mul:
            return _mul_growth([self.growth(a) for a in expr.args])
        if expr.is_Pow:
            base, e = expr.args
            if var in e.free_symbols:
                if var not in base.free_symbols and _sign(base) == 1:
                    return self.growth(sp.exp(e * sp.log(base)))
                return _G_UNKNOWN
            b = self.growth(base)
            if b.kind == "bigo" and e.is_negative:
                return _G_UNKNOWN
            return _pow_growth(b, e)
        if not expr.args:
            return _G_UNKNOWN
        a0 = expr.args[0]
        if isinstance(expr, sp.exp):
            return self._exp_growth(a0, 1)
        if isinstance(expr, (sp.sinh, sp.cosh)):  # (exp(g) +- exp(-g)) / 2, without building it
            up = self._exp_growth(a0, 1)
            down = self._exp_growth(a0, -1)
            if isinstance(expr, sp.sinh) and down.kind in ("theta", "huge"):
                down = _Growth(down.kind, down.P, down.C, down.u, -1)
            return self._add([up, down])
        if isinstance(expr, (sp.tanh, sp.erf, sp.sign, sp.Heaviside)):
            g = self.expansion(a0)
            if g is not None:
                ls = g.lead_sign()
                tends = g.inf or (g.terms and g.lead[0] > max(g.r, 0))
                if ls is not None and (tends or isinstance(expr, (sp.sign, sp.Heaviside)) and g.terms
                                       and g.lead[0] > g.r):
                    if isinstance(expr, sp.Heaviside) and ls < 0:
                        return _G_ZERO
                    return _Growth("theta", (), sp.Integer(0), sp.Integer(0),
                                   1 if isinstance(expr, sp.Heaviside) else ls)
            return _Growth("bigo")
        if isinstance(expr, (sp.sin, sp.cos)):
            return _Growth("bigo")
        if isinstance(expr, sp.Abs):
            g = self.growth(a0)
            return _Growth(g.kind, g.P, g.C, g.u, 1) if g.kind in ("theta", "bigo", "huge") else g
        if isinstance(expr, (sp.Max, sp.Min)):
            x = self.expansion(expr)
            if x is not None and (x.inf or x.terms) and x.lead_sign() is not None:
                # the winner is decided: its growth is that of the expansion's leading term
                winner = self._winner(expr)
                if winner is not None:
                    return self.growth(winner)
            parts = [self.growth(a) for a in expr.args]
            merged = self._add(parts)
            return _Growth("bigo", merged.P, merged.C, merged.u) if merged.kind in ("theta", "bigo") else (
                merged if merged.kind in ("zero", "tiny") else _G_UNKNOWN)
        return _G_UNKNOWN

    def _exp_growth(self, g_expr, sign: int) -> _Growth:
        """Growth of ``exp(sign * g)``."""
        g = self.expansion(g_expr)
        if g is not None:
            g = g if sign > 0 else _expn_neg(g)
            if g.inf:
                return _Growth("huge", sign=1) if g.inf > 0 else _G_TINY
            u = max(g.r, sp.Integer(0))
            return _g("theta", {k: c for k, c in g.terms if k > u}, sp.Integer(0), u, 1)
        inner = self.growth(g_expr)
        if inner.kind in ("theta", "bigo") and not inner.P and inner.u == 0:
            if inner.C <= 0:
                return _Growth("theta", (), sp.Integer(0), sp.Integer(0), 1)
            return _g("bigo", {}, sp.Integer(0), inner.C, 1)
        if inner.kind in ("theta", "huge") and inner.sign is not None and (inner.P or inner.kind == "huge"):
            return _Growth("huge", sign=1) if inner.sign * sign > 0 else _G_TINY
        return _G_UNKNOWN

    def _winner(self, expr):
        """The argument of ``Max``/``Min`` that is eventually the value, if decided."""
        args = list(expr.args)
        best = args[0]
        for a in args[1:]:
            d = self.expansion(a - best)
            if d is None:
                return None
            ds = d.lead_sign()
            if ds is None or not (d.inf or d.lead[0] > d.r):
                if d.terms == () and d.r == -sp.oo:
                    continue  # equal eventually
                return None
            if (ds > 0) == isinstance(expr, sp.Max):
                best = a
        return best

    def _add(self, parts: list[_Growth]) -> _Growth:
        parts = [p for p in parts if p.kind not in ("zero",)]
        if not parts:
            return _G_ZERO
        if any(p.kind == "unknown" for p in parts):
            return _G_UNKNOWN
        huge = [p for p in parts if p.kind == "huge"]
        if huge:
            return huge[0] if len(huge) == 1 else _G_UNKNOWN
        regular = [p for p in parts if p.kind in ("theta", "bigo")]
        if not regular:
            return _G_TINY
        best = [regular[0]]
        certain = True
        for p in regular[1:]:
            c = _compare(p, best[0])
            if c is None:
                certain = False
                best.append(p)
            elif c > 0:
                best = [p]
            elif c == 0:
                best.append(p)
        if len(best) == 1 and certain and best[0].kind == "theta" and not any(
                p.kind == "bigo" and _compare(best[0], p) != 1 for p in regular if p is not best[0]):
            return best[0]
        if certain and all(p.kind == "theta" and p.sign is not None for p in best) and len(
                {p.sign for p in best}) == 1 and all(
                _compare(best[0], p) == 1 for p in regular if p not in best):
            return best[0]
        # an upper bound: coefficient-wise maximum of the leading candidates
        u = max(p.u for p in regular)
        P: dict = {}
        for p in regular:
            for k, c in p.P:
                P[k] = c if k not in P else sp.Max(P[k], c)
        C = max(p.C for p in regular) if u == 0 else sp.Integer(0)
        tops = [p for p in regular if _compare(p, best[0]) is None or _compare(p, best[0]) >= 0]
        if certain:
            P = {}
            for p in tops:
                for k, c in p.P:
                    P[k] = c if k not in P else sp.Max(P[k], c)
            C = max(p.C for p in tops) if u == 0 else sp.Integer(0)
        return _g("bigo", P, C, u, None)


def _mul_growth(parts: list[_Growth]) -> _Growth:
    if any(p.kind == "zero" for p in parts):
        return _G_ZERO if not any(p.kind in ("huge", "unknown") for p in parts) else _G_UNKNOWN
    if any(p.kind == "unknown" for p in parts):
        return _G_UNKNOWN
    kinds = {p.kind for p in parts}
    if "huge" in kinds and "tiny" in kinds:
        return _G_UNKNOWN
    if "tiny" in kinds:
        return _G_TINY
    if "huge" in kinds:
        if any(p.kind == "bigo" for p in parts):
            return _G_UNKNOWN
        sign = 1
        for p in parts:
            sign = None if sign is None or p.sign is None else sign * p.sign
        return _Growth("huge", sign=sign)
    P: dict = {}
    C, u, sign, kind = sp.Integer(0), sp.Integer(0), 1, "theta"
    for p in parts:
        for k, c in p.P:
            P[k] = P.get(k, 0) + c
        C += p.C
        u = max(u, p.u)
        sign = None if sign is None or p.sign is None else sign * p.sign
        if p.kind != "theta":
            kind = "bigo"
    return _g(kind, P, C, u, sign if kind == "theta" else None)


def _pow_growth(b: _Growth, e: sp.Expr) -> _Growth:
    if b.kind in ("unknown",):
        return b
    if b.kind == "zero":
        return _G_ZERO if e.is_positive else _Growth("huge", sign=1)
    if b.kind == "tiny":
        return _G_TINY if e.is_positive else _G_UNKNOWN
    sign = None
    if b.sign is not None:
        sign = b.sign ** int(e) if e.is_Integer else 1
    if b.kind == "huge":
        return _Growth("huge", sign=sign) if e.is_positive else _G_TINY
    return _g(b.kind, {k: c * e for k, c in b.P}, b.C * e, b.u, sign if b.kind == "theta" else None)


def _tail_verdict(growth: _Growth) -> tuple[str, str]:
    """``("ok" | "bad" | "unsure", why)`` for ``int^oo f^2 phi`` at one end."""
    if growth.kind in ("zero", "tiny"):
        return "ok", ""
    if growth.kind == "huge":
        return ("bad", "grows faster than exp of any polynomial") if growth.sign is not None or True else (
            "unsure", "")
    if growth.kind == "unknown":
        return "unsure", "its growth could not be bounded"
    # exponent of f^2 phi: 2 P(x) - x^2/2 (+ 2 C log x when u = 0)
    D: dict = {}
    for k, c in growth.P:
        D[k] = D.get(k, 0) + 2 * c
    D[sp.Integer(2)] = D.get(sp.Integer(2), 0) - _HALF
    keys = sorted((k for k, c in D.items() if c != 0 and k > growth.u), reverse=True)
    shape = growth.shape()
    if keys:
        s = _sign(D[keys[0]])
        if s is None:
            return "unsure", f"|f| behaves like {shape}, whose comparison with exp(z^2/4) is undecided"
        if s < 0:
            return "ok", ""
        if growth.kind == "theta":
            x = sp.Symbol("|z|", positive=True)
            expo = sum((D[k] * x**k for k in keys if D[k] != 0 and k > growth.u), sp.Integer(0))
            return "bad", (f"|f| grows like {shape}, so f(z)^2 exp(-z^2/2) grows like exp({sp.sstr(expo)})"
                           + ("" if growth.u == 0 else " at least"))
        return "unsure", f"|f| is only bounded by {shape}, which grows too fast to decide"
    if growth.u > 0:
        return "unsure", f"|f| behaves like {shape}, and the O(|z|^{_fmt(growth.u)}) term decides"
    if 2 * growth.C < -1:
        return "ok", ""
    if growth.kind == "theta":
        return "bad", (f"|f| grows like {shape}, so f(z)^2 exp(-z^2/2) behaves like |z|^{_power(2 * growth.C)}, "
                       f"which is not integrable (that needs an exponent below -1)")
    return "unsure", f"|f| is only bounded by {shape}"


def _tail_problem(expr: sp.Expr, var: sp.Symbol) -> str | None:
    verdicts = {}
    for side in (1, -1):
        verdicts[side] = _tail_verdict(_Tail(side, var).growth(expr))
    if any(v[0] == "unsure" for v in verdicts.values()):
        combined = _combine_exponentials(expr, var)
        if combined is not None and combined != expr:
            for side in (1, -1):
                if verdicts[side][0] == "unsure":
                    verdicts[side] = _tail_verdict(_Tail(side, var).growth(combined))
    for kind in ("bad", "unsure"):
        hits = [side for side, v in verdicts.items() if v[0] == kind]
        if hits:
            side = hits[0]
            both = len(hits) == 2 and verdicts[1][1] == verdicts[-1][1]
            end = "as z -> +-oo" if both else ("as z -> +oo" if side > 0 else "as z -> -oo")
            if kind == "bad":
                return f"is not square-integrable under the standard Gaussian: {end} {verdicts[side][1]}"
            return (f"could not be certified square-integrable under the standard Gaussian {end}: "
                    f"{verdicts[side][1]}")
    return None


def _rewritten_size(expr: sp.Expr, memo: dict) -> int:
    """Tree size of ``expr`` once ``sinh``/``cosh`` are written with two ``exp`` each (memoised on
    shared subtrees, so the estimate itself costs linear time even when the result would not)."""
    hit = memo.get(expr)
    if hit is None:
        inner = sum(_rewritten_size(a, memo) for a in expr.args)
        hit = 1 + (2 * inner + 4 if isinstance(expr, (sp.sinh, sp.cosh)) else inner)
        hit = min(hit, 10**9)
        memo[expr] = hit
    return hit


def _combine_exponentials(expr: sp.Expr, var: sp.Symbol) -> sp.Expr | None:
    """``sinh``/``cosh`` written with ``exp``, expanded and combined: cancellations show."""
    def as_exp(e):
        return e.replace(sp.cosh, lambda a: (_exp(a) + _exp(-a)) / 2).replace(
            sp.sinh, lambda a: (_exp(a) - _exp(-a)) / 2)

    def _exp(a):  # built unevaluated: SymPy's eval asks assumptions of the argument
        return sp.exp(a, evaluate=False) if a.free_symbols else sp.exp(a)
    if _rewritten_size(expr, {}) > 2000:
        return None
    try:
        rewritten = as_exp(expr)
        return sp.powsimp(sp.expand(rewritten, deep=False, power_base=False, power_exp=False, log=False,
                                    multinomial=True), combine="exp")
    except (TypeError, ValueError, RecursionError, NotImplementedError):
        return None


# ---------------------------------------------------------------------------
# entry point
# ---------------------------------------------------------------------------
#: What SymPy and mpmath raise when a routine cannot handle an input.
_SYMPY_FAILURES = (NotImplementedError, sp.PolynomialError, sp.polys.polyerrors.BasePolynomialError,
                   mpmath.libmp.NoConvergence, ArithmeticError, TypeError, ValueError)

def admissibility_problem(expr: sp.Expr, var: sp.Symbol) -> str | None:
    """Why ``expr`` (a function of ``var``) is not an admissible link, or ``None`` if it is.

    The text is a clause ("is not square-integrable under the standard Gaussian: near z = 0
    it behaves like |z|^-1 ...") to follow the link's name.  Three outcomes: certified
    admissible (``None``), certainly not (``"is not ..."``), or not certified either way
    (``"could not be certified ..."``).

    Examples
    --------
    >>> z = sp.Symbol("z", real=True)
    >>> admissibility_problem(sp.sin(z) / z, z) is None
    True
    >>> admissibility_problem(1 / sp.Abs(z), z)
    'is not square-integrable under the standard Gaussian: near z = 0 it behaves like |z|^-1 (a pole of order 1) on both sides, and |z - z0|^-a is square-integrable near z0 only for a < 1/2'
    >>> admissibility_problem(sp.exp(z**2 / 4 - z), z)
    'is not square-integrable under the standard Gaussian: as z -> -oo |f| grows like exp(|z|**2/4 + |z|), so f(z)^2 exp(-z^2/2) grows like exp(2*|z|)'
    """
    if expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        return "is not finite (it contains an infinite or undefined value)"
    try:
        problem = _real_value_problem(expr, var)
        if problem is None:
            problem = _singularity_problem(expr, var)
        if problem is None:
            problem = _tail_problem(expr, var)
    except _SYMPY_FAILURES as exc:  # a SymPy/mpmath routine gave up on this expression
        return (f"could not be certified admissible: the analysis could not handle this expression "
                f"({type(exc).__name__})")
    if problem is None:
        problem = _probe(expr, var)
    if problem is None:
        problem = _magnitude_problem(expr)
    return problem


#: Points where a link's values are checked to be representable (|f| <= 1e300).
_MAGNITUDE_POINTS = (0.0, -1.0, 1.0, -3.0, 3.0, -6.0, 6.0)


def _magnitude_problem(expr: sp.Expr) -> str | None:
    """An admissible link whose value at a point of the Gaussian bulk is proven beyond 1e300
    (``cosh(cosh(...(cosh(z))))``) cannot be used by the numeric stages: say so."""
    for p in _MAGNITUDE_POINTS:
        box = _value(expr, mpmath.mpf(p))
        if box is None or _contains_zero(box):
            continue
        low = min(abs(lower_end(box)), abs(upper_end(box)))
        if low > mpmath.mpf(10) ** 300:
            return (f"takes values beyond the supported magnitude 1e300 (at z = {p:g} |f| is at least "
                    f"{mpmath.nstr(low, 3)}), which the numeric stages cannot represent")
    return None


def _probe(expr: sp.Expr, var: sp.Symbol) -> str | None:
    """A last numeric look at a few points in complex floating point: a clearly complex value
    found there is a true refusal.  Floats only, at this numeric edge; overflow is skipped."""
    if not any(isinstance(p, sp.Pow) and not p.exp.is_Integer for p in sp.preorder_traversal(expr)):
        return None  # only non-integer powers can make a real expression complex
    for p in (-5.3171, -1.7137, -0.31711, 0.53137, 1.91731, 4.43171):
        try:
            v = _complex_value(expr, var, complex(p), {})
        except (ZeroDivisionError, ValueError, TypeError, OverflowError, _NoValue):
            continue
        if math.isfinite(v.real) and math.isfinite(v.imag) and abs(v.imag) > 1e-9 * (1 + abs(v.real)):
            return f"is not real-valued (at z = {p} it is {v.real:.6g}{v.imag:+.6g}i)"
    return None


class _NoValue(Exception):
    """A complex float value is not available (a function of a complex argument, say)."""


def _complex_value(expr, var, x: complex, memo: dict) -> complex:
    """``expr`` at ``x`` in complex floating point, SymPy's principal branches."""
    import cmath

    hit = memo.get(expr)
    if hit is not None:
        return hit
    if expr == var:
        out = x
    elif expr.is_number:
        box = constant_enclosure(expr)
        if box is None:
            raise _NoValue
        out = complex(float((lower_end(box) + upper_end(box)) / 2))
    elif expr.is_Add or expr.is_Mul:
        out = 0j if expr.is_Add else 1 + 0j
        for a in expr.args:
            v = _complex_value(a, var, x, memo)
            out = out + v if expr.is_Add else out * v
    elif expr.is_Pow:
        b = _complex_value(expr.base, var, x, memo)
        e = _complex_value(expr.exp, var, x, memo)
        out = b ** (int(e.real) if expr.exp.is_Integer else e)
    else:
        args = [_complex_value(a, var, x, memo) for a in expr.args]
        real = all(abs(a.imag) <= 1e-12 * (1 + abs(a.real)) for a in args)
        a0 = args[0] if args else 0j
        table = {sp.exp: cmath.exp, sp.sin: cmath.sin, sp.cos: cmath.cos, sp.sinh: cmath.sinh,
                 sp.cosh: cmath.cosh, sp.tanh: cmath.tanh}
        if type(expr) in table:
            out = table[type(expr)](a0)
        elif isinstance(expr, sp.Abs):
            out = complex(abs(a0))
        elif not real:
            raise _NoValue
        elif isinstance(expr, sp.erf):
            out = complex(math.erf(a0.real))
        elif isinstance(expr, sp.sign):
            out = complex((a0.real > 0) - (a0.real < 0))
        elif isinstance(expr, sp.Heaviside):
            out = complex(1.0 if a0.real > 0 else (0.5 if a0.real == 0 else 0.0))
        elif isinstance(expr, (sp.Max, sp.Min)):
            out = complex((max if isinstance(expr, sp.Max) else min)(a.real for a in args))
        else:
            raise _NoValue
    memo[expr] = out
    return out
