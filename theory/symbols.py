"""The symbols every layer shares, defined once.

Each symbol carries the assumptions the derivations rely on; two modules that built their own
``Symbol("eta")`` with different assumptions would produce expressions that never cancel, so
every module imports them from here.

=========  ==========================================================================
``Z``      the Gaussian pre-activation ``z = <w, x>`` every link is a function of (real)
``Y``      the label ``y`` (real)
``Q``      ``q = ||P_w^perp x||^2`` in the two-step rules (positive)
``A``      the second-layer weight ``a`` (real)
``ETA``    the learning rate ``eta`` (positive)
``D``      the dimension ``d`` (positive)
``M``      the overlap ``m = <w, theta>`` (real)
``ALPHA``  the exponent of ``eta = d^(-alpha)`` (real)
``P``      a generic information exponent, in statements such as ``d^{(p-1) v 1}``
=========  ==========================================================================
"""

from __future__ import annotations

import sympy as sp

__all__ = ["Z", "Y", "Q", "A", "ETA", "D", "M", "ALPHA", "P"]

Z = sp.Symbol("z", real=True)
Y = sp.Symbol("y", real=True)
Q = sp.Symbol("q", positive=True)
A = sp.Symbol("a", real=True)
ETA = sp.Symbol("eta", positive=True)
D = sp.Symbol("d", positive=True)
M = sp.Symbol("m", real=True)
ALPHA = sp.Symbol("alpha", real=True)
P = sp.Symbol("p", positive=True, integer=True)
