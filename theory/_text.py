"""Text for SymPy expressions that never fails: numbers too long for Python's int-to-text
conversion limit (4300 digits) are shown as 15-digit floats, and reasons stay short.
"""
from __future__ import annotations

import sympy as sp

__all__ = ["clip_text", "expr_text", "short_text"]

_MAX_BITS = 12_000          # about 3600 decimal digits, below the 4300-digit conversion limit


def expr_text(e) -> str:
    """``str(e)``, with every rational whose numerator or denominator is too long printed as a float.

    Examples
    --------
    >>> expr_text(sp.Integer(10)**5000 * sp.Symbol("z"))
    '1.0e+5000*z'
    """
    try:
        return str(e)
    except ValueError:
        pass
    if not isinstance(e, sp.Basic):
        return repr(e)
    big = {r: sp.Float(sp.N(r, 15), 15) for r in e.atoms(sp.Rational)
           if int(r.p).bit_length() > _MAX_BITS or int(r.q).bit_length() > _MAX_BITS}
    try:
        return str(e.xreplace(big))
    except ValueError:
        return f"<expression with numbers of more than {_MAX_BITS // 3} digits>"


def short_text(e, limit: int = 120) -> str:
    """:func:`expr_text`, cut to ``limit`` characters (for reasons and messages).

    Examples
    --------
    >>> short_text(sp.Symbol("z") ** 2, 10)
    'z**2'
    """
    text = expr_text(e)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def clip_text(text: str, limit: int = 80) -> str:
    """``text`` cut to ``limit`` characters for a one-line message, keeping its head and its tail.

    Examples
    --------
    >>> clip_text("z" * 100, 30)
    'zzzzzzzzzzzzzzz...zzzzzzzzzzzz'
    """
    return text if len(text) <= limit else text[: limit - 15] + "..." + text[-12:]
