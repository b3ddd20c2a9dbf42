"""Argument checks written once, in the spirit of numpy's ``polyutils._as_int``.

Every public function that takes a count, an order or a size calls :func:`as_int`; every one that
takes a real parameter calls :func:`as_real`.  A bool is never accepted as a number (``True`` is an
``int`` in Python, and ``kmax=True`` is always a mistake).  The exception class is the caller's, so
each layer keeps raising its own subclass of :class:`~theory.errors.TheoryInputError`.
"""

from __future__ import annotations

import math
import numbers

from theory.errors import TheoryInputError

__all__ = ["as_int", "as_real"]


def _range_text(lo, hi) -> str:
    if lo is not None and hi is not None:
        return f"an integer in [{lo}, {hi}]"
    if lo is not None:
        return f"an integer >= {lo}"
    if hi is not None:
        return f"an integer <= {hi}"
    return "an integer"


def as_int(value, name: str, *, lo: int | None = None, hi: int | None = None,
           error: type[TheoryInputError] = TheoryInputError) -> int:
    """Return ``value`` as an ``int`` if it is an integer (not a bool) in ``[lo, hi]``.

    Parameters
    ----------
    value : object
        What the caller received.
    name : str
        The argument's name, used in the message.
    lo, hi : int, optional
        Inclusive bounds; ``None`` means unbounded.
    error : type
        The exception class to raise (a subclass of ``TheoryInputError``).

    Examples
    --------
    >>> as_int(3, "kmax", lo=0, hi=200)
    3
    >>> as_int(True, "kmax")
    Traceback (most recent call last):
    ...
    theory.errors.TheoryInputError: kmax must be an integer, got True
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise error(f"{name} must be {_range_text(lo, hi)}, got {value!r}")
    v = int(value)
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise error(f"{name} must be {_range_text(lo, hi)}, got {value!r}")
    return v


def as_real(value, name: str, *, lo: float | None = None, hi: float | None = None, lo_open: bool = False,
            hi_open: bool = False, error: type[TheoryInputError] = TheoryInputError) -> float:
    """Return ``value`` as a finite ``float`` (not a bool) in the given interval.

    ``lo_open``/``hi_open`` make that end strict.  Exact rationals (``fractions.Fraction``,
    ``sympy.Rational``) are accepted when they are ``numbers.Real``.

    Examples
    --------
    >>> as_real(0.5, "m_thr", lo=0, hi=1, lo_open=True, hi_open=True)
    0.5
    >>> as_real(float("inf"), "noise", lo=0)
    Traceback (most recent call last):
    ...
    theory.errors.TheoryInputError: noise must be a finite number >= 0, got inf
    """
    lo_s = "" if lo is None else (f"> {lo:g}" if lo_open else f">= {lo:g}")
    hi_s = "" if hi is None else (f"< {hi:g}" if hi_open else f"<= {hi:g}")
    where = " and ".join(s for s in (lo_s, hi_s) if s)
    what = f"a finite number {where}".rstrip()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise error(f"{name} must be {what}, got {value!r}")
    v = float(value)
    bad = not math.isfinite(v)
    if lo is not None:
        bad = bad or (v <= lo if lo_open else v < lo)
    if hi is not None:
        bad = bad or (v >= hi if hi_open else v > hi)
    if bad:
        raise error(f"{name} must be {what}, got {value!r}")
    return v
