"""The main theorem's predictions: exponent curves, thresholds, regimes, step sizes.

docs/theory.md, section 6: with ``gamma`` in the theorem's range, the number of iterations to
weak recovery is

    T(eta) = min over i with mu_i(eta) > 0 of  mu_i(eta)^(-2) d^((i-1) v 1),

up to log factors.  With ``eta = d^(-alpha)`` each ``mu_i`` is a polynomial in ``eta, d``
(integer powers) whose terms ``c eta^e d^f`` scale as ``d^(f - alpha e)``; for large ``d`` the
dominant term decides both the size and the **sign** of ``mu_i``.  Hence

    e(alpha) = log_d T = min over i with dominant coefficient > 0 of
               (i-1) v 1  -  2 max_terms (f - alpha e),

a piecewise-linear function with rational breakpoints, computed here exactly.  An index
whose dominant term is negative cannot win there; :attr:`Prediction.sign_notes` says where
that happens.  The *refined* curve adds ``log_d E[psi^2]`` (docs/theory.md, section 7: the
normalisation cost the step size must pay when ``psi``'s non-correlational part is large).

Numeric coefficients
--------------------
The curve depends only on which coefficients vanish, their signs and their powers of
``eta`` and ``d``, so it stays exact (rationals in ``alpha``) when the coefficients are
numeric (:mod:`theory.drift`: value and error bound).  A coefficient is used with its sign
when the sign is certified (``|value| > error``); one that is not is treated as zero, which
:attr:`Prediction.assumptions` states, together with whether the curve would change if it
were positive or negative.  Exact zeros (parity, degree) are exact.

Thresholds are listed in the direction of increasing learning rate (decreasing
``alpha``): ``from_index`` wins just above the threshold's ``alpha`` (smaller ``eta``),
``to_index`` just below it (larger ``eta``).  The same holds at finite ``d``
(:func:`crossing_etas`): ``index below`` wins just below the crossing, ``index above``
just above it.

Finite ``d``
------------
:func:`numeric_coefficients`, :func:`finite_d_times`, :func:`step_size` evaluate the
polynomials at ``(d, eta)`` in mpmath (no overflow or underflow at any ``eta > 0``); times
beyond the double range are ``inf`` as floats and ``null`` in JSON, where their ``log10``
is given as well.  Decisions (which index wins, which ``mu_i`` is positive) use the error
bounds: an index counts as positive only when ``mu_i(d, eta) > error``.

Modules
-------
=====================================  ====================================================
:mod:`~theory.predict.curve`           the exact piecewise curve, thresholds and regimes
:mod:`~theory.predict.prediction`      :class:`Prediction` and :func:`predict`
:mod:`~theory.predict.numeric`         finite ``d``: coefficients, times, winner, step size
:mod:`~theory.predict.crossings`       finite ``d``: crossings and :func:`finite_d_report`
=====================================  ====================================================

JSON conventions: an unbounded end of a piece (``alpha = -oo`` or ``+oo``) is ``null``;
``E[psi^2]`` is ``null`` when it is infinite (the reason is given); numeric values carry an
error bound next to them.
"""
from __future__ import annotations

from theory.predict.curve import Piece, Threshold, index_weight
from theory.predict.prediction import CONVENTIONS, Prediction, predict
from theory.predict.numeric import (DEFAULT_KAPPA, StepSize, check_eta, finite_d_times, log_times,
                                    negative_traps, numeric_bounds, numeric_coefficients, step_size,
                                    theorem_time, winning_index)
from theory.predict.crossings import Crossing, crossing_etas, finite_d_report

__all__ = ["Piece", "Threshold", "Prediction", "predict", "finite_d_times", "winning_index",
           "crossing_etas", "Crossing", "step_size", "StepSize", "theorem_time", "index_weight", "check_eta",
           "finite_d_report", "DEFAULT_KAPPA", "CONVENTIONS", "numeric_coefficients", "numeric_bounds", "log_times",
           "negative_traps"]
