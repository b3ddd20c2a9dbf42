"""Real numbers with error bounds: exact SymPy values or numeric centres with a proven radius.

:class:`Value` is the arithmetic the drift and moment computations run on. An exact value
carries its SymPy expression, and its 40-digit ``mid`` is known to be accurate once a strict
``evalf`` has proven it non-zero. A numeric value is a centre and an absolute error bound. Sums
and products propagate the bound
(``|xy - x'y'| <= |x'| e_y + |y'| e_x + e_x e_y``), plus the working precision's rounding.
A product with an exact zero factor stays an exact zero. A value whose bound covers zero has no
certified sign (:attr:`Value.sign` is ``None``).
"""
from __future__ import annotations

import math

import mpmath
import sympy as sp

from theory.hermite import is_exactly_zero

__all__ = ["Value", "ZERO", "round_up", "total", "mpf_of", "nodes_at_most", "DPS", "FLOAT_DIGITS", "FLOAT_SLACK",
           "EXACT_OPS_LIMIT"]

#: An exact value (or product of exact values) larger than this many SymPy operations is
#: evaluated to 45 digits and carried as numeric, with a bound of its evaluation error.
EXACT_OPS_LIMIT = 400

DPS = 40                      # working precision of the error propagation (decimal digits)
ROUND = mpmath.mpf(10) ** (2 - DPS)  # relative rounding slack per operation at that precision
FLOAT_DIGITS = 17             # digits of the floats put into SymPy expressions
FLOAT_SLACK = 1e-16           # their relative rounding, added to the error bound


def mpf_of(expr: sp.Expr, strict: bool = False):
    with mpmath.workdps(DPS + 5):
        value = sp.N(expr, DPS + 5, strict=strict) if strict else sp.N(expr, DPS + 5)
        return mpmath.mpf(sp.Float(value, DPS + 5)._to_mpmath(mpmath.mp.prec))


class Value:
    """A real number: exact (a SymPy expression) or numeric (a centre with an absolute error bound).

    ``exact`` is the SymPy value or ``None``; ``mid`` (mpmath, 40 digits) and ``rad`` bound the
    number: ``|x - mid| <= rad`` (``rad = 0`` for exact values).

    Examples
    --------
    >>> x = Value.numeric(0.5, 1e-20) * Value.exact_(sp.Integer(3))
    >>> float(x.mid), float(x.rad) < 1e-19, x.sign, x.is_exact
    (1.5, True, 1, False)
    >>> Value.numeric(1e-30, 1e-29).sign is None
    True
    """

    __slots__ = ("exact", "mid", "rad", "_zero", "_sign", "_accurate")

    def __init__(self, exact, mid, rad, accurate=False):
        self.exact, self.mid, self.rad = exact, mid, rad
        self._zero = self._sign = None
        # exact values only: ``mid`` is known to DPS digits relative (an accurate non-zero mid
        # proves the value non-zero and gives its sign)
        self._accurate = accurate
        if accurate and exact is not None and mid != 0:
            self._zero, self._sign = False, (1 if mid > 0 else -1)

    @classmethod
    def exact_(cls, expr) -> "Value":
        if isinstance(expr, int):
            expr = sp.Integer(expr)
        if not isinstance(expr, sp.Expr) or expr.free_symbols:
            raise TypeError(f"an exact Value needs a SymPy number, got {expr!r}")
        if expr == 0:
            return cls(expr, mpmath.mpf(0), mpmath.mpf(0))
        if expr.is_Rational:
            with mpmath.workdps(DPS + 5):
                return cls(expr, mpmath.mpf(int(expr.p)) / int(expr.q), mpmath.mpf(0), accurate=True)
        try:  # SymPy's evalf tracks its accuracy: a strict result is correct to the digits asked for
            return cls(expr, mpf_of(expr, strict=True), mpmath.mpf(0), accurate=True)
        except sp.core.evalf.PrecisionExhausted:  # cannot be told from 0 this way: decided later, exactly
            return cls(expr, mpf_of(expr), mpmath.mpf(0))

    @classmethod
    def numeric(cls, value, error) -> "Value":
        with mpmath.workdps(DPS):
            return cls(None, mpmath.mpf(value), mpmath.mpf(error))

    @property
    def is_exact(self) -> bool:
        return self.exact is not None

    @property
    def is_exact_zero(self) -> bool:
        if self._zero is None:
            self._zero = self.exact is not None and (self.exact == 0 or is_exactly_zero(self.exact))
        return self._zero

    @property
    def sign(self) -> int | None:
        """``+1``, ``-1``, ``0`` (exact zero only) when decided; ``None`` when ``|mid| <= rad``."""
        if self.exact is not None:
            if self._sign is None:
                self._sign = 0 if self.is_exact_zero else (1 if mpf_of(self.exact) > 0 else -1)
            return self._sign
        if abs(self.mid) > self.rad:
            return 1 if self.mid > 0 else -1
        return None

    @property
    def value(self) -> float:
        return float(self.mid)

    @property
    def error(self) -> float:
        """Absolute error bound of :attr:`value` (the float), rounded up."""
        if self.exact is not None:
            return 0.0
        return float(self.rad) * (1 + 1e-12) + abs(float(self.mid)) * FLOAT_SLACK

    def _numeric_rad(self):
        return self.rad if self.exact is None else abs(self.mid) * ROUND

    def _demoted(self) -> "Value":
        """An exact value too large to carry (:data:`EXACT_OPS_LIMIT`), as a 45-digit numeric value."""
        if self.exact is None or nodes_at_most(self.exact, EXACT_OPS_LIMIT) \
                or sp.count_ops(self.exact) <= EXACT_OPS_LIMIT:
            return self
        if self._accurate:
            mid = self.mid
        else:
            try:
                mid = mpf_of(self.exact, strict=True)
            except sp.core.evalf.PrecisionExhausted:
                return self
        with mpmath.workdps(DPS):
            return Value(None, mid, abs(mid) * mpmath.mpf(10) ** (5 - DPS) + mpmath.mpf(10) ** (-2 * DPS))

    def __add__(self, other: "Value") -> "Value":
        if self.exact is not None and other.exact is not None:
            # a sum may cancel: its mid is not known to be accurate (re-evaluated if it is demoted)
            with mpmath.workdps(DPS + 5):
                mid = self.mid + other.mid
            return Value(self.exact + other.exact, mid, mpmath.mpf(0))._demoted()
        with mpmath.workdps(DPS):
            mid = self.mid + other.mid
            return Value(None, mid, self._numeric_rad() + other._numeric_rad() + abs(mid) * ROUND)

    def __mul__(self, other: "Value") -> "Value":
        if self.exact is not None and other.exact is not None:
            # relative errors add in a product: accurate factors give an accurate product
            with mpmath.workdps(DPS + 5):
                mid = self.mid * other.mid
            return Value(self.exact * other.exact, mid, mpmath.mpf(0),
                         accurate=self._accurate and other._accurate)._demoted()
        with mpmath.workdps(DPS):
            mid = self.mid * other.mid
            ra, rb = self._numeric_rad(), other._numeric_rad()
            rad = abs(self.mid) * rb + abs(other.mid) * ra + ra * rb + abs(mid) * ROUND
            return Value(None, mid, rad)

    def scale(self, factor) -> "Value":
        """``factor * self`` for an exact number ``factor``."""
        return self * Value.exact_(factor)

    def __repr__(self) -> str:
        if self.exact is not None:
            return f"Value({self.exact})"
        return f"Value({mpmath.nstr(self.mid, 17)} +- {mpmath.nstr(self.rad, 3)})"

    def to_dict(self) -> dict:
        """JSON-friendly: ``exact`` (string or null), ``value``, ``error`` (0 for exact)."""
        return {"exact": None if self.exact is None else str(self.exact), "value": self.value,
                "error": self.error}


ZERO = Value.exact_(sp.Integer(0))


def round_up(x: float, digits: int = 3) -> float:
    """``x >= 0`` rounded up to ``digits`` significant digits (for printing error bounds).

    Examples
    --------
    >>> round_up(1.2301e-17), round_up(0.0)
    (1.24e-17, 0.0)
    """
    if x <= 0 or not math.isfinite(x):
        return x
    e = math.floor(math.log10(x)) - digits + 1
    return float(f"{math.ceil(x / 10.0**e * (1 + 1e-12))}e{e}")


def total(values) -> Value:
    out = ZERO
    for v in values:
        out = out + v
    return out


def nodes_at_most(expr: sp.Expr, limit: int) -> bool:
    """Whether ``expr`` has at most ``limit`` tree nodes (stops counting past the limit)."""
    for n, _node in enumerate(sp.preorder_traversal(expr), 1):
        if n > limit:
            return False
    return True
