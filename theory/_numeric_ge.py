"""Numeric generative-exponent profile: ``lambda_k = E_y[(E[He_k(z) | y])^2] / k!``.

Setting: ``z ~ N(0, 1)``, label ``y = f(z) + s xi`` with ``xi ~ N(0, 1)`` independent
(``s >= 0`` is the noise standard deviation).  ``He_k`` are the probabilists' Hermite
polynomials (``E[He_j He_k] = k! delta_jk``), so ``h_k = He_k / sqrt(k!)`` is orthonormal and

    lambda_k = E_y[(E[h_k(z) | y])^2] = ||P_y h_k||^2  in [0, 1],

the squared length of the projection of ``h_k`` on the functions of ``y``.  ``lambda_k = 1``
exactly when ``He_k(z)`` is a function of ``y``; the **generative exponent** is the smallest
``k >= 1`` with ``lambda_k > 0``.  Every float result is labelled ``"numeric"``: these are
estimates (see "Error estimate" below), used by :mod:`theory.exponents` only as evidence.

Method, noiseless (``s = 0``)
-----------------------------
``f`` is sampled on a symmetric uniform grid of ``[-L, L]``, ``L = max(10, sqrt(2 kmax) + 8.5)``
(``He_k^2 phi`` peaks near ``sqrt(2k)``; the mass beyond ``L``, :func:`_tail_mass`, enters the
error).  The grid is then refined so that every non-smooth point is a node:

1. **flat pieces** (exact ties ``f(z_i) == f(z_{i+1})``) have their ends located by bisection;
   their values are the **atoms** of the law of ``y`` (relu, sign, Heaviside, ...);
2. **jumps** (a cell whose change exceeds twice its smaller neighbour's) are located by
   bisection and become cells of rounding width;
3. **turning points** (slope sign changes) are located by golden-section search;
4. every point where a monotone piece crosses the end value of another piece is located by
   bisection, and the mesh is graded geometrically (ratio 0.7) towards it: there the number of
   preimages changes and ``m_k(f(z))`` has a square-root singularity.

Then ``k! lambda_k = sum_atoms E[He_k 1_A]^2 / P(A) + int_{non-flat} phi(z) m_k(f(z))^2 dz``:
atoms by the exact integrals ``int_a^b He_k phi = [-He_{k-1} phi]_a^b``; the integral by
3-point Gauss-Legendre per cell, with ``m_k(y) = sum_b w_b He_k(z_b) / sum_b w_b`` over the
preimages ``z_b`` of ``y`` on every monotone piece (the coarea formula), ``w_b =
phi(z_b)/|f'(z_b)|``, ``z_b`` found by the Illinois method on the true ``f`` inside its
bracketing cell, ``f'`` by a central difference.  The integrand is then smooth on every cell,
so the rule converges fast (see the study below); it is a sum of squares, so a symmetric zero
(odd ``k``, even ``f``) comes out as a rounding-level number, never a negative one.

Floating point makes ``f`` flat next to a turning point (``cos z == 1.0`` for ``|z| < 1e-8``)
and where it saturates (``erf z == 1.0`` for ``z > 5.92``): atoms of the *float* function.
They are treated as atoms, and what that loses against an injective real function (their
within-level variance of ``He_k``) is added to the error: honest for erf, negligible for
turning points.

Method, noisy (``s > 0``)
-------------------------
``m_k(y) = int He_k phi(z) phi_s(y - f(z)) dz / p(y)`` and ``k! lambda_k = int n_k^2 / p dy``
(``n_k`` the numerator).  The grid of steps 1-2 is subdivided until each cell moves ``f`` by at
most ``s/2``; the ``z``-integrals use 3-point Gauss-Legendre per cell (atoms need no special
treatment) and the ``y``-integral the trapezoid rule with spacing ``s/8`` (spectrally accurate
for these smooth Gaussian mixtures; halving both changes ``lambda`` by < 1e-13 on relu, sign,
cos, He_3), summed only within ``9 s`` of a value of ``f``.  The cost grows like
``range(f) / s``; beyond 3e6 nodes a :class:`NumericGEInputError` says so.

Error estimate (an estimate, not a bound) and status
----------------------------------------------------
Each call computes the profile twice, at the working resolution and at half of it (noisy: also
twice the ``y`` and ``f`` steps); ``errors[k-1]`` is ``2 |lambda_fine - lambda_coarse|`` (the
factor 2 covers convergence as slow as first order, seen near square-root singularities) plus
the floating-point bound above, plus ``2 sqrt(T_k) + T_k`` for the truncation at ``+-L``
(``T_k = 2 int_L^inf He_k^2 phi / k!``), plus ``1e-11`` for the rounding noise of the
central differences (``~ eps |f| / (1e-6 |f'|)``, about 1e-10 relative in the weights; its
measured effect on ``lambda`` is below 2e-12).  Kinks of ``f`` that are not turning points
are not located: they cost ``O(h^2)`` in the cell that holds them, which the comparison sees.

**This error is a resolution difference, not a bound**: it can be much smaller than the true
error (``z^4 e^{-2 z^2}`` gives ``lambda_2 = 1.9e-6 +- 1.1e-7`` while the exact value is 0:
the link is a function of ``z phi(z)``).  The statuses below are therefore statements about
the *estimate*; :mod:`theory.exponents` never decides an exponent from them -- it decides from
proofs and rigorous interval enclosures (:mod:`theory._ge_proofs`, :mod:`theory._interval`) and
shows these numbers only as labelled evidence when it cannot decide.

``lambda_k`` is estimated **positive** when ``lambda_k - error_k > tol``, **zero** when
``lambda_k + error_k <= tol``, and **undecided** otherwise.  The tolerance is absolute on the
natural scale of ``lambda``, ``0 <= lambda_k <= 1 = E[h_k^2]``: the default ``tol = 1e-9`` is
a billionth of the largest possible value and about a thousand times the typical error
estimate.  It is a resolution statement: a coefficient below ``tol`` (``lambda_2(cos 5z) ~
9e-9``; ``(1 + s^2)^(-k)`` for ``f = z`` under large noise) is reported as zero; lower ``tol``
(down to the error estimate) to see it.

Convergence study (measured; ``n`` = base grid points; worst ``k <= 10``)
------------------------------------------------------------------------
``|lambda_k - exact|`` at ``n = 2^9+1, 2^11+1`` (default), ``2^13+1``:

======================  ==============================================  =====================
f                       exact value                                      error
======================  ==============================================  =====================
``z``, ``z^2``          1; 1 (even ``k``), 0 (odd)                       < 2e-14 at all ``n``
sign, Heaviside         ``(2/pi)((k-2)!!)^2/k!`` odd ``k``, 0 even       7e-18
relu                    ``1/2 + He_{k-1}(0)^2 / (pi k!)``                < 3e-15
``clip(z, -0.7, 1.3)``  two atoms + identity (exact integrals)           4e-13, 2e-16, 2e-16
``(z - 0.3)^2``         two-preimage quadrature in ``sqrt(y)``            7e-13, 4e-13, 5e-13
``cos z``               quadrature over ``arccos y + 2 pi n``             1e-12, 4e-13, 2e-13
``He_3``                adaptive quad with polynomial roots              5e-11, 5e-13, 3e-13
======================  ==============================================  =====================

The reported error estimate (about 2.5e-11 at the default) bounded the true error in every
case.  Timing at ``kmax = 10`` (two resolutions): 0.02-0.15 s for these links, 0.3-0.5 s for
``sin 3z`` / ``cos 5z`` (25-40 monotone pieces; the cost grows with their number squared).
Noisy ``f = z`` [``(1+s^2)^(-k)``]: error < 1e-13 for ``s`` in ``{0.05, 0.3, 1, 3}``.

Size: about 830 lines, one concept (the numeric ``lambda_k`` profile of one function): the
module docstring is about 100 lines of method and measured accuracy, and the quadrature stages
(atoms, flat runs, monotone pieces, preimages, noise) share the grid and its error accounting.
No function body is over 80 lines.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from theory.errors import TheoryInputError
from theory.hepoly import he_table
from theory._validate import as_int, as_real
from scipy.special import ndtr

__all__ = [
    "DEFAULT_TOL",
    "NumericGE",
    "NumericExponent",
    "NumericGEInputError",
    "UndecidedExponentError",
    "conditional_hermite_norms",
    "numeric_generative_exponent",
]

#: Default decision tolerance on ``lambda_k`` (absolute, on the scale ``0 <= lambda_k <= 1``).
DEFAULT_TOL = 1e-9

_SQRT2PI = math.sqrt(2.0 * math.pi)
_GL_X, _GL_W = np.polynomial.legendre.leggauss(3)
_GL_FINE = np.polynomial.legendre.leggauss(10)
_ROUNDING = 1e-11   # central differences: ~1e-10 relative noise in the weights (measured <= 2e-12 on lambda)
_JUMP_RATIO = 2.0
_BISECTIONS = 64
_MAX_BRANCHES = 5000
_MAX_NODES = 3_000_000
_GRADING = 0.7 ** np.arange(0, 70)


class NumericGEInputError(TheoryInputError):
    """A bad argument to the numeric generative-exponent functions (the message names it)."""


class UndecidedExponentError(ArithmeticError):
    """A ``lambda_k`` lies within its error estimate of the tolerance: no honest answer."""


# ---------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class NumericGE:
    """``lambda_k = E_y[(E[He_k(z)|y])^2] / k!`` for ``k = 1..kmax`` (numeric).

    Attributes
    ----------
    kmax : int
    noise : float
        Label-noise standard deviation ``s``.
    lambdas : numpy.ndarray
        ``lambdas[k-1] = lambda_k`` (normalised basis ``h_k = He_k/sqrt(k!)``): ``>= 0`` by
        construction (a sum of squares), ``<= 1`` up to ``errors``.
    errors : numpy.ndarray
        Estimated absolute error of each ``lambda_k`` (see the module docstring).
    tol : float
        Decision tolerance: ``lambda_k`` counts as positive when ``lambda_k - error > tol``.
    resolution : int
        Base grid points in ``z``.
    method : str
    label : str
        Always ``"numeric"``.
    """

    kmax: int
    noise: float
    lambdas: np.ndarray
    errors: np.ndarray
    tol: float
    resolution: int
    method: str
    label: str = field(default="numeric")

    def lam(self, k: int) -> float:
        """``lambda_k`` (``1 <= k <= kmax``)."""
        return float(self.lambdas[self._index(k)])

    def error(self, k: int) -> float:
        """Estimated absolute error of ``lambda_k``."""
        return float(self.errors[self._index(k)])

    def status(self, k: int) -> str:
        """``"positive"``, ``"zero"`` or ``"undecided"`` (see the module docstring)."""
        i = self._index(k)
        lam, err = self.lambdas[i], self.errors[i]
        if lam - err > self.tol:
            return "positive"
        if lam + err <= self.tol:
            return "zero"
        return "undecided"

    def _index(self, k) -> int:
        return as_int(k, "k", lo=1, hi=self.kmax, error=NumericGEInputError) - 1


@dataclass(frozen=True, eq=False)
class NumericExponent:
    """Numeric generative exponent; unpacks as ``(exponent, lambdas, tol)``.

    ``exponent`` is the smallest ``k`` in ``[start, kmax]`` whose ``lambda_k`` is positive
    (``lambda_k - error_k > tol``), or ``None`` when every one of them is zero
    (``lambda_k + error_k <= tol``): "none up to kmax", never a guess.  ``lambdas`` is
    ``lambda_1..lambda_kmax`` (index ``k-1``); ``profile`` the full :class:`NumericGE`.
    """

    exponent: int | None
    lambdas: np.ndarray
    tol: float
    profile: NumericGE
    start: int = 1
    label: str = field(default="numeric")

    def __iter__(self):
        return iter((self.exponent, self.lambdas, self.tol))

    def __len__(self) -> int:
        return 3

    def __getitem__(self, i):
        return (self.exponent, self.lambdas, self.tol)[i]


# ---------------------------------------------------------------------------
# public functions
# ---------------------------------------------------------------------------
def conditional_hermite_norms(f, kmax: int, noise: float = 0.0, *, tol: float = DEFAULT_TOL,
                              resolution: int | None = None) -> NumericGE:
    """``lambda_k = E_y[(E[He_k(z) | y])^2] / k!`` for ``k = 1..kmax``, with error estimates.

    Parameters
    ----------
    f : callable
        Numpy-vectorised link ``z -> f(z)`` (may be discontinuous, have flat pieces or be
        non-monotone; a scalar return is broadcast).
    kmax : int
        Largest ``k`` (``>= 1``).
    noise : float
        Label-noise standard deviation ``s >= 0``: ``y = f(z) + s xi``.
    tol : float
        Decision tolerance stored in the result (see :meth:`NumericGE.status`).
    resolution : int, optional
        Base number of grid points in ``z`` (default ``2^11 + 1``; the noisy grid is then
        subdivided so that ``f`` moves by ``<= s/2`` a cell).  The error estimate compares
        with half of it.

    Returns
    -------
    NumericGE
        ``lambdas[k-1] = lambda_k`` in the normalised basis (``0 <= lambda_k <= 1``).

    Examples
    --------
    >>> import numpy as np
    >>> r = conditional_hermite_norms(np.sign, 3)
    >>> np.round(r.lambdas, 6)          # 2/pi, 0, 1/(3 pi)
    array([0.63662 , 0.      , 0.106103])
    >>> r.status(2), r.label
    ('zero', 'numeric')
    >>> round(conditional_hermite_norms(lambda z: z, 1, noise=2.0).lam(1), 9)   # 1/(1+s^2)
    0.2
    """
    kmax, noise, tol = _check_args(kmax, noise, tol)
    if resolution is None:
        resolution = 2**11 + 1
    half = as_int(resolution, "resolution", lo=65, error=NumericGEInputError) // 2
    L = _half_width(kmax)
    rounding = 0.0
    if noise == 0:
        fine, r1 = _deterministic(f, kmax, half, L)
        coarse, r2 = _deterministic(f, kmax, half // 2, L)
        rounding = np.maximum(r1, r2)
        method = "exact preimages on monotone pieces + atoms, Gauss-Legendre in z (noiseless)"
    else:
        fine = _noisy(f, kmax, noise, half, L, 1.0)
        coarse = _noisy(f, kmax, noise, half // 2, L, 2.0)
        method = "z Gauss-Legendre x y trapezoid quadrature of the noisy posterior mean"
    tail = _tail_mass(kmax, L)
    errors = 2.0 * np.abs(fine - coarse) + rounding + 2.0 * np.sqrt(tail) + tail + _ROUNDING
    lambdas = np.asarray(fine, dtype=float)     # >= 0 by construction; <= 1 up to errors
    lambdas.setflags(write=False)
    errors.setflags(write=False)
    return NumericGE(kmax, noise, lambdas, errors, tol, 2 * half + 1, method)


def numeric_generative_exponent(f, kmax: int, noise: float = 0.0, *, start: int = 1,
                                tol: float = DEFAULT_TOL, resolution: int | None = None
                                ) -> NumericExponent:
    """Smallest ``k`` in ``[start, kmax]`` whose *estimated* ``lambda_k`` exceeds ``tol``.

    An estimate, not a decision: the error it uses is a resolution difference (module
    docstring); :func:`theory.exponents.generative_exponent` gives the sound answer.

    Returns a :class:`NumericExponent` that unpacks as ``(k or None, lambdas, tol)``;
    ``None`` means every ``lambda_k`` with ``start <= k <= kmax`` is zero within the
    tolerance (vacuously so when ``start > kmax``).  Raises
    :class:`UndecidedExponentError` when the first ``lambda_k`` that is not a confident
    zero is within its error estimate of ``tol``: the function never guesses.

    Examples
    --------
    >>> import numpy as np
    >>> k, lambdas, tol = numeric_generative_exponent(np.cos, 4)
    >>> k, tol, bool(lambdas[0] < tol)
    (2, 1e-09, True)
    >>> numeric_generative_exponent(lambda z: 0 * z + 3.0, 5).exponent is None
    True
    """
    kmax, noise, tol = _check_args(kmax, noise, tol)
    start = as_int(start, "start", lo=1, error=NumericGEInputError)
    prof = conditional_hermite_norms(f, kmax, noise, tol=tol, resolution=resolution)
    for k in range(start, kmax + 1):
        st = prof.status(k)
        if st == "positive":
            return NumericExponent(k, prof.lambdas, tol, prof, start)
        if st == "undecided":
            raise UndecidedExponentError(
                f"lambda_{k} = {prof.lam(k):.3g} +- {prof.error(k):.2g} is within its error of "
                f"tol = {tol:g}: cannot decide whether it vanishes (raise resolution or change tol)")
    return NumericExponent(None, prof.lambdas, tol, prof, start)


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def _check_args(kmax, noise, tol):
    kmax = as_int(kmax, "kmax", lo=1, error=NumericGEInputError)
    try:
        noise = float(noise)
    except (TypeError, ValueError):
        raise NumericGEInputError(f"noise must be a real number, got {noise!r}") from None
    noise = as_real(noise, "noise", lo=0, error=NumericGEInputError)
    try:
        tol = float(tol)
    except (TypeError, ValueError):
        raise NumericGEInputError(f"tol must be a real number, got {tol!r}") from None
    if not (0 < tol < 1):
        raise NumericGEInputError(f"tol must lie in (0, 1), got {tol!r}")
    return kmax, noise, tol


def _half_width(kmax: int) -> float:
    """Truncation ``L``: ``He_k^2 phi`` peaks near ``sqrt(2k)``; 8.5 more leaves < 1e-16."""
    return max(10.0, math.sqrt(2.0 * kmax) + 8.5)


def _tail_mass(kmax: int, L: float) -> np.ndarray:
    """``T_k = 2 int_L^inf He_k^2 phi dz / k!`` for ``k = 1..kmax`` (200-point Gauss-Legendre)."""
    x, w = np.polynomial.legendre.leggauss(200)
    z = L + 20.0 * (x + 1.0)
    w = 20.0 * w * np.exp(-0.5 * z * z) / _SQRT2PI
    he = he_table(z, kmax)
    fact = np.array([math.factorial(k) for k in range(1, kmax + 1)], float)
    return 2.0 * (he[1:] ** 2 @ w) / fact


def _phi(z):
    return np.exp(-0.5 * z * z) / _SQRT2PI


def _eval(f, z: np.ndarray) -> np.ndarray:
    try:
        y = np.asarray(f(z), dtype=float)
    except Exception as exc:  # noqa: BLE001 - reported as a bad argument
        raise NumericGEInputError(f"f could not be evaluated on a numpy array: {exc}") from exc
    if y.shape != z.shape:
        try:
            y = np.broadcast_to(y, z.shape).astype(float)
        except ValueError:
            raise NumericGEInputError(
                f"f must be vectorised: f(z) has shape {y.shape} for z of shape {z.shape}") from None
    if not np.all(np.isfinite(y)):
        bad = z[~np.isfinite(y)][0]
        raise NumericGEInputError(f"f is not finite at z = {bad:.6g}")
    return y


def _base_grid(half: int, L: float) -> np.ndarray:
    """Symmetric uniform grid with ``z = 0`` and exact ``z_{-i} = -z_i``."""
    return L * (np.arange(-half, half + 1, dtype=float) / half)


def _refine(f, z: np.ndarray, y: np.ndarray):
    """Add bisection-located ends of flat pieces and jumps to the grid; returns ``(z, f(z))``."""
    dy = np.diff(y)
    flat = dy == 0
    atomic = np.zeros(z.size, bool)
    atomic[:-1] |= flat
    atomic[1:] |= flat
    nonflat = ~flat
    left = nonflat & atomic[:-1]          # a flat piece ends inside this cell
    right = nonflat & atomic[1:]          # a flat piece starts inside this cell
    # a jump: the change over the cell exceeds twice the smaller change next to it (smooth
    # f gives a ratio near 1; a false alarm only adds two nodes).  An undetected jump is
    # smaller than a few |f'| h and costs O(h^2), which the coarse/fine comparison sees.
    ady = np.abs(dy)
    nb = np.full_like(ady, np.inf)
    nb[1:] = ady[:-1]
    nb[:-1] = np.minimum(nb[:-1], ady[1:])
    jump = nonflat & ~left & ~right & (ady > _JUMP_RATIO * nb)
    cells, modes = [], []
    for mask, mode in ((left, 0), (right, 1), (jump, 2)):
        idx = np.flatnonzero(mask)
        cells.append(idx)
        modes.append(np.full(idx.size, mode))
    cells = np.concatenate(cells)
    if cells.size == 0:
        return z, y
    modes = np.concatenate(modes)
    a, b = z[cells].copy(), z[cells + 1].copy()
    ya, yb = y[cells].copy(), y[cells + 1].copy()
    c = np.where(modes == 1, yb, ya)          # the atom value followed by modes 0 / 1
    for _ in range(_BISECTIONS):
        mid = 0.5 * (a + b)
        active = (mid > a) & (mid < b)
        if not active.any():
            break
        ym = _eval(f, mid)
        go_right = np.where(modes == 0, ym == c,
                            np.where(modes == 1, ym != c, np.abs(yb - ym) > np.abs(ym - ya)))
        mr = active & go_right
        ml = active & ~go_right
        a = np.where(mr, mid, a)
        ya = np.where(mr, ym, ya)
        b = np.where(ml, mid, b)
        yb = np.where(ml, ym, yb)
    # a flagged "jump" that was only a steep or turning smooth stretch leaves a final
    # bracket of rounding width with no change in f: do not insert it
    real = (modes != 2) | (np.abs(yb - ya) >= 0.25 * np.abs(y[cells + 1] - y[cells]))
    z = np.unique(np.concatenate([z, a[real], b[real]]))
    return z, _eval(f, z)


def _runs(mask: np.ndarray):
    """Start and end (exclusive) indices of the maximal runs of True in ``mask``."""
    m = np.concatenate([[False], mask, [False]]).astype(np.int8)
    d = np.diff(m)
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def _gauss_mass(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``Phi(b) - Phi(a)`` without cancellation in the tails."""
    pos = a > 0
    return np.where(pos, ndtr(-a) - ndtr(-b), ndtr(b) - ndtr(a))


def _branches(dy: np.ndarray, flat: np.ndarray, jump: np.ndarray):
    """Cell ranges ``[start, end)`` of the maximal strictly monotone pieces of the interpolant.

    A jump cell (width at rounding level, located by bisection) is a piece of its own, so
    that the values on both sides of a jump are branch ends.
    """
    sgn = np.sign(dy)
    cut = np.concatenate([flat[:-1] | (sgn[1:] != sgn[:-1]) | jump[:-1] | jump[1:], [True]])
    prev_break = np.concatenate([[True], cut[:-1]])
    start = np.flatnonzero(~flat & prev_break)
    if start.size > _MAX_BRANCHES:
        raise NumericGEInputError(
            f"f has {start.size} monotone pieces on the grid (more than {_MAX_BRANCHES}): "
            "too oscillatory for the level-set method; add label noise")
    stop = np.flatnonzero(cut & ~flat) + 1
    return start, stop


def _jump_cells(z: np.ndarray, flat: np.ndarray) -> np.ndarray:
    """Non-flat cells of rounding-level width: the jumps located by :func:`_refine`."""
    return (np.diff(z) <= 1e-12 * np.maximum(1.0, np.abs(z[:-1]))) & ~flat


def _insert_turning_points(f, z: np.ndarray, y: np.ndarray):
    """Locate each interior extremum by golden-section search and make it a grid node."""
    dy = np.diff(y)
    flat = dy == 0
    turn = np.flatnonzero(~flat[:-1] & ~flat[1:] & (np.sign(dy[:-1]) != np.sign(dy[1:])))
    if turn.size == 0:
        return z, y
    sgn = np.sign(dy[turn])                    # +1: maximum near z[turn+1], -1: minimum
    a, b = z[turn].copy(), z[turn + 2].copy()
    r = 0.5 * (math.sqrt(5.0) - 1.0)
    c, d = b - r * (b - a), a + r * (b - a)
    fc, fd = sgn * _eval(f, c), sgn * _eval(f, d)
    for _ in range(90):
        left = fc >= fd                        # the maximum of sgn*f lies in [a, d]
        b = np.where(left, d, b)
        a = np.where(left, a, c)
        nd = np.where(left, c, a + r * (b - a))
        nc = np.where(left, b - r * (b - a), d)
        fn = sgn * _eval(f, np.where(left, nc, nd))
        fd, fc = np.where(left, fc, fn), np.where(left, fn, fd)
        c, d = nc, nd
        if np.all(b - a <= 4e-16 * np.maximum(1.0, np.abs(a))):
            break
    zs = 0.5 * (a + b)
    better = sgn * _eval(f, zs) > sgn * y[turn + 1]
    if not better.any():
        return z, y
    z = np.unique(np.concatenate([z, zs[better]]))
    return z, _eval(f, z)


def _insert_level_crossings(f, z: np.ndarray, y: np.ndarray, spacing: float):
    """Make a node of every point where a branch crosses the end value of another branch.

    There the number of preimages of ``y`` changes and ``m_k(f(z))`` is not smooth; with
    those points as nodes the per-cell quadrature sees only smooth integrands.
    """
    dy = np.diff(y)
    flat = dy == 0
    jump = _jump_cells(z, flat)
    start, stop = _branches(dy, flat, jump)
    # branch ends: turning points (slope sign flips between two ordinary cells: the density
    # blows up, so the crossings get a graded mesh), ends at jumps and flat pieces (a node is
    # enough), and the two ends of the grid (weight phi(L): ignored)
    nodes_at = np.unique(np.concatenate([start, stop]))
    nodes_at = nodes_at[(nodes_at > 0) & (nodes_at < z.size - 1)]
    ordinary = ~flat & ~jump
    turning = (ordinary[nodes_at - 1] & ordinary[np.minimum(nodes_at, dy.size - 1)]
               & (np.sign(dy[nodes_at - 1]) != np.sign(dy[np.minimum(nodes_at, dy.size - 1)])))
    ends = np.unique(y[nodes_at])
    turning_values = np.unique(y[nodes_at[turning]])
    lo_c, val = [], []
    for s0, s1 in zip(start, stop):
        yb = y[s0:s1 + 1]
        inc = yb[-1] > yb[0]
        ys = yb if inc else yb[::-1]
        # end values within rounding of this branch's own ends are its own turning values
        slack = 1e-12 * (ys[-1] - ys[0]) + 8.0 * np.spacing(np.abs(ends))
        inside = ends[(ends > ys[0] + slack) & (ends < ys[-1] - slack)]
        if inside.size == 0:
            continue
        j = np.searchsorted(ys, inside, side="right") - 1
        exact = ys[j] == inside
        inside, j = inside[~exact], j[~exact]
        if inside.size == 0:
            continue
        cell = s0 + (j if inc else yb.size - 2 - j)
        lo_c.append(cell)
        val.append(inside)
    if not lo_c or ends.size == 0:
        return z, y, np.empty(0)
    cell = np.concatenate(lo_c)
    val = np.concatenate(val)
    a, b = z[cell].copy(), z[cell + 1].copy()
    up = y[cell + 1] > y[cell]
    for _ in range(_BISECTIONS):
        mid = 0.5 * (a + b)
        active = (mid > a) & (mid < b)
        if not active.any():
            break
        below = _eval(f, mid) < val
        right = active & (below == up)         # the crossing lies right of mid
        a = np.where(right, mid, a)
        b = np.where(active & ~right, mid, b)
    root = 0.5 * (a + b)
    plain = root[~np.isin(val, turning_values)]
    root = root[np.isin(val, turning_values)]
    # at the crossing of a turning value m_k(f(z)) has a square-root singularity (the
    # density of the turning branch pair blows up): grade the mesh geometrically towards
    # it, from four base cells away down to 1e-10 (closer nodes would only resolve the
    # rounding noise of f; the last cell then costs ~(1e-10)^1.5)
    reach = 4.0 * spacing * _GRADING
    deep = reach[None, :] >= 1e-10 * np.maximum(1.0, np.abs(root))[:, None]
    near = np.concatenate([(root[:, None] - reach[None, :])[deep],
                           (root[:, None] + reach[None, :])[deep]])
    near = near[(near > z[0]) & (near < z[-1])]
    z = np.unique(np.concatenate([z, root, plain, near]))
    return z, _eval(f, z), np.sort(root)


def _deterministic(f, kmax: int, half: int, L: float):
    """``(lambda_1..kmax, rounding bound)`` for ``s = 0`` on a base grid of ``2 half + 1``."""
    z = _base_grid(half, L)
    z, y = _refine(f, z, _eval(f, z))
    z, y = _insert_turning_points(f, z, y)
    z, y, roots = _insert_level_crossings(f, z, y, L / half)
    fact = np.array([math.factorial(k) for k in range(1, kmax + 1)], float)
    dz, dy = np.diff(z), np.diff(y)
    flat = dy == 0
    total = np.zeros(kmax)
    rounding = np.zeros(kmax)
    # atom pieces (value, probability, int He_k phi): grouped by exact value at the end
    a_val, a_prob, a_mom = [], [], []

    # flat runs: exact Gaussian integrals, int_a^b He_k phi = [-He_{k-1} phi]_a^b
    s, e = _runs(flat)
    if s.size:
        za, zb = z[s], z[e]
        prob = _gauss_mass(za, zb)
        mom = he_table(za, kmax - 1) * _phi(za) - he_table(zb, kmax - 1) * _phi(zb)
        a_val.append(y[s])
        a_prob.append(prob)
        a_mom.append(mom)
        sat = _saturated_runs(z, y, flat, s, e)
        if sat.any():
            rounding += _within_variance(za[sat], zb[sat], prob[sat], mom[:, sat], kmax)
    vals = np.unique(y[s]) if s.size else np.empty(0)

    # continuous part: m_k(y) from the exact preimages on every monotone branch
    cell = np.flatnonzero(~flat & (dz > 0))
    if cell.size:
        # 3-point Gauss-Legendre per cell; 10 points in the graded cells next to a level
        # crossing, where the integrand carries the square-root singularity
        mid = 0.5 * (z[cell] + z[cell + 1])
        graded = np.zeros(cell.size, bool)
        if roots.size:
            j = np.clip(np.searchsorted(roots, mid), 1, roots.size) - 1
            dist = np.minimum(np.abs(mid - roots[j]), np.abs(mid - roots[np.minimum(j + 1, roots.size - 1)]))
            graded = dist <= 4.5 * L / half
        zq, wq, own = [], [], []
        for mask, (gx, gw) in ((~graded, (_GL_X, _GL_W)), (graded, _GL_FINE)):
            c = cell[mask]
            h = 0.5 * dz[c]
            zz = (mid[mask][:, None] + h[:, None] * gx[None, :]).ravel()
            zq.append(zz)
            wq.append((h[:, None] * gw[None, :]).ravel() * _phi(zz))
            own.append(np.repeat(c, gx.size))
        zq, wq, own = np.concatenate(zq), np.concatenate(wq), np.concatenate(own)
        yq = _eval(f, zq)
        # a quadrature point in the level set of an atom belongs to the atom
        pseudo = np.isin(yq, vals)
        order = np.argsort(yq, kind="stable")
        keep = order[~pseudo[order]]
        den, num, lone = _preimage_sums(f, z, y, dz, flat, yq[keep], own[keep], kmax)
        good = ~lone
        mk = num[:, good] / den[good]
        total += (mk ** 2) @ wq[keep[good]]
        # points where f is flat to the last bit (next to a turning point), whose density
        # phi/|f'| cannot be resolved, form atoms of the floating-point f; what lumping
        # them loses (their within-level variance) is counted as rounding error
        lone = keep[lone]
        if lone.size:
            he = he_table(zq[lone], kmax)[1:]
            lv, li = np.unique(yq[lone], return_inverse=True)
            p0 = np.bincount(li, weights=wq[lone], minlength=lv.size)
            p1 = np.stack([np.bincount(li, weights=wq[lone] * r, minlength=lv.size) for r in he])
            p2 = np.stack([np.bincount(li, weights=wq[lone] * r * r, minlength=lv.size) for r in he])
            rounding += np.maximum(p2 - p1 ** 2 / p0, 0.0).sum(axis=1)
            pseudo[lone] = True
        if pseudo.any():
            a_val.append(yq[pseudo])
            a_prob.append(wq[pseudo])
            a_mom.append(he_table(zq[pseudo], kmax)[1:] * wq[pseudo])
    if a_val:
        vals, inv = np.unique(np.concatenate(a_val), return_inverse=True)
        P = np.bincount(inv, weights=np.concatenate(a_prob), minlength=vals.size)
        mom = np.concatenate(a_mom, axis=1)
        M = np.stack([np.bincount(inv, weights=row, minlength=vals.size) for row in mom])
        ok = P > 0
        total += (M[:, ok] ** 2 / P[ok]).sum(axis=1)
    return total / fact, rounding / fact


def _saturated_runs(z, y, flat, s, e) -> np.ndarray:
    """Flat runs that ``f`` reaches by a change of a few ulps: floating-point saturation.

    ``erf(z)`` is exactly ``1.0`` for ``z > 5.92`` (and a staircase of one-ulp levels just
    before): atoms of the float function that the real function does not have.  A run is
    flagged when, on one side, the rounding-width cells next to it and the first ordinary
    cell after them all move ``f`` by at most 16 ulps (a genuine flat end, like relu's, is
    followed by an ordinary cell with an ordinary change; a genuine jump, like round's,
    moves ``f`` by much more).
    """
    dz, dy = np.diff(z), np.diff(y)
    n = dy.size
    thin = dz <= 1e-12 * np.maximum(1.0, np.abs(z[:-1]))
    ulp16 = 16.0 * np.spacing(np.abs(y[s]))
    out = np.zeros(s.size, bool)
    for step, first in ((-1, s - 1), (1, e)):
        cell = first.copy()
        small = (cell >= 0) & (cell < n)
        for _ in range(4):
            c = np.clip(cell, 0, n - 1)
            small &= (cell >= 0) & (cell < n) & (np.abs(dy[c]) <= ulp16)
            cell = np.where(thin[c], cell + step, cell)
        c = np.clip(cell, 0, n - 1)
        out |= small & (cell >= 0) & (cell < n) & ~thin[c] & (np.abs(dy[c]) <= ulp16)
    return out


def _within_variance(a, b, prob, mom, kmax) -> np.ndarray:
    """``sum_runs int_a^b He_k^2 phi - (int_a^b He_k phi)^2 / P`` (128-point Gauss-Legendre)."""
    x, w = np.polynomial.legendre.leggauss(128)
    zz = 0.5 * (a[:, None] + b[:, None]) + 0.5 * (b - a)[:, None] * x[None, :]
    ww = 0.5 * (b - a)[:, None] * w[None, :] * _phi(zz)
    he2 = (he_table(zz, kmax)[1:] ** 2 * ww).sum(axis=2)
    ok = prob > 0
    return np.maximum(he2[:, ok] - mom[:, ok] ** 2 / prob[ok], 0.0).sum(axis=1)


def _preimage_sums(f, z, y, dz, flat, ys, own, kmax):
    """``sum_b w_b`` and ``sum_b w_b He_k(z_b)`` over the preimages ``z_b`` of each ``ys``.

    ``own[i]`` is the cell of the quadrature point that produced ``ys[i]``; the third
    return value marks the points whose own density ``phi / |f'|`` is not resolvable in
    floating point (``f`` flat to the last bit next to a turning point): the caller uses
    ``m_k = He_k(z)`` there, an error bounded by their weight (about ``1e-8`` of the mass).

    ``w_b = phi(z_b) / |f'(z_b)|``; the preimage is found in its bracketing cell by the
    Illinois method on the true ``f``, the derivative by a central difference whose steps
    never cross the end of a flat piece or of a jump cell.
    """
    degenerate = _jump_cells(z, flat)
    start, stop = _branches(np.diff(y), flat, degenerate)
    event = np.zeros(z.size, bool)                  # ends of flat pieces and of jump cells
    for mask in (flat, degenerate):
        event[:-1] |= mask
        event[1:] |= mask
    pt, cl = [], []
    for s0, s1 in zip(start, stop):
        yb = y[s0:s1 + 1]
        inc = yb[-1] > yb[0]
        lo_v, hi_v = (yb[0], yb[-1]) if inc else (yb[-1], yb[0])
        lo = np.searchsorted(ys, lo_v, side="left")
        hi = np.searchsorted(ys, hi_v, side="right")
        if hi <= lo:
            continue
        yy = ys[lo:hi]
        if inc:
            j = np.clip(np.searchsorted(yb, yy, side="right") - 1, 0, yb.size - 2)
        else:
            j = np.clip(yb.size - 1 - np.searchsorted(yb[::-1], yy, side="left"), 0, yb.size - 2)
        pt.append(np.arange(lo, hi))
        cl.append(s0 + j)
    den = np.zeros(ys.size)
    num = np.zeros((kmax, ys.size))
    if not pt:
        return den, num, np.ones(ys.size, bool)
    pt = np.concatenate(pt)
    cl = np.concatenate(cl)
    target = ys[pt]
    sg = np.where(y[cl + 1] > y[cl], 1.0, -1.0)
    a, b = z[cl].copy(), z[cl + 1].copy()
    ga, gb = sg * (y[cl] - target), sg * (y[cl + 1] - target)     # ga <= 0 <= gb
    root = np.where(gb == 0, b, a)
    idx = np.flatnonzero((ga < 0) & (gb > 0))
    a, b, ga, gb, sg, tg = a[idx], b[idx], ga[idx], gb[idx], sg[idx], target[idx]
    last = np.zeros(idx.size, np.int8)
    for _ in range(60):                             # Illinois (modified regula falsi)
        if idx.size == 0:
            break
        c = (a * gb - b * ga) / (gb - ga)
        c = np.where((c > a) & (c < b), c, 0.5 * (a + b))
        gc = sg * (_eval(f, c) - tg)
        root[idx] = c
        neg, pos = gc < 0, gc > 0
        ga, gb = (np.where(neg, gc, np.where(pos & (last == 1), 0.5 * ga, ga)),
                  np.where(pos, gc, np.where(neg & (last == -1), 0.5 * gb, gb)))
        a, b = np.where(neg, c, a), np.where(pos, c, b)
        last = np.where(neg, -1, np.where(pos, 1, 0)).astype(np.int8)
        go = ((np.abs(gc) > 2.0 * np.spacing(np.abs(tg)))
              & (b - a > 4e-16 * np.maximum(1.0, np.abs(c))))
        idx, a, b, ga, gb, sg, tg, last = (idx[go], a[go], b[go], ga[go], gb[go], sg[go],
                                           tg[go], last[go])
    # derivative by central difference, one-sided next to an event node
    eps = 1e-6 * np.maximum(1.0, np.abs(root))
    zl, zr = z[cl], z[cl + 1]
    el = np.where(event[cl], np.minimum(eps, root - zl), eps)
    er = np.where(event[cl + 1], np.minimum(eps, zr - root), eps)
    lo_z, hi_z = root - el, root + er
    span = hi_z - lo_z
    fp = np.abs(_eval(f, hi_z) - _eval(f, lo_z))
    ok = (span > 0) & (fp > 0)
    w = np.zeros(pt.size)
    w[ok] = _phi(root[ok]) * span[ok] / fp[ok]
    mine = cl == own[pt]
    good = np.zeros(ys.size, bool)
    good[pt[mine & (w > 0) & np.isfinite(w)]] = True
    good[pt[(span > 0) & (fp == 0)]] = False         # a preimage where f is flat in floats
    den = np.bincount(pt, weights=w, minlength=ys.size)
    he = he_table(root, kmax)
    num = np.stack([np.bincount(pt, weights=w * he[k], minlength=ys.size) for k in range(1, kmax + 1)])
    return den, num, ~good


def _noisy(f, kmax: int, s: float, half: int, L: float, coarsen: float) -> np.ndarray:
    z = _base_grid(half, L)
    z, y = _refine(f, z, _eval(f, z))
    # subdivide cells so that f moves by at most s/2 (coarse pass: s) per cell
    dz, dy = np.diff(z), np.diff(y)
    target = 0.5 * s * coarsen
    pieces = np.where(dz > 1e-9 * L, np.ceil(np.abs(dy) / target), 1.0)
    if pieces.sum() * _GL_X.size > _MAX_NODES:
        raise NumericGEInputError(
            f"noise = {s:g} is too small for the noisy quadrature of this f (it would need "
            f"{int(pieces.sum())} cells); use noise=0 or a larger noise")
    pieces = pieces.astype(int)
    many = np.flatnonzero(pieces > 1)
    if many.size:
        extra = [z[j] + dz[j] * np.arange(1, pieces[j]) / pieces[j] for j in many]
        z = np.unique(np.concatenate([z] + extra))
        y = _eval(f, z)
        dz = np.diff(z)
    h = 0.5 * dz
    mid = 0.5 * (z[:-1] + z[1:])
    zq = (mid[:, None] + h[:, None] * _GL_X[None, :]).ravel()
    wq = (h[:, None] * _GL_W[None, :]).ravel() * _phi(zq)
    yq = _eval(f, zq)
    # merge exactly equal labels (atoms) -> weighted moments A_k(y_i) = sum w He_k
    yu, inv = np.unique(yq, return_inverse=True)
    he = he_table(zq, kmax) * wq
    A = np.stack([np.bincount(inv, weights=row, minlength=yu.size) for row in he], axis=1)
    # y grid: spacing s/8 (coarse: s/4), only within 9 s of some label value
    step = s / 8.0 * coarsen
    reach = 9.0 * s
    grid = np.arange(yu[0] - reach, yu[-1] + reach + step, step)
    pos = np.searchsorted(yu, grid)
    near = np.minimum(np.abs(grid - yu[np.clip(pos - 1, 0, yu.size - 1)]),
                      np.abs(yu[np.clip(pos, 0, yu.size - 1)] - grid)) <= reach
    grid = grid[near]
    if grid.size > _MAX_NODES:
        raise NumericGEInputError(
            f"noise = {s:g} is too small against the range of f for the noisy quadrature; "
            "use noise=0 or a larger noise")
    total = np.zeros(kmax)
    chunk, block = 64, 4096
    inv2s2 = 0.5 / (s * s)
    for g0 in range(0, grid.size, chunk):
        g = grid[g0:g0 + chunk]
        lo = np.searchsorted(yu, g[0] - reach, side="left")
        hi = np.searchsorted(yu, g[-1] + reach, side="right")
        acc = np.zeros((g.size, kmax + 1))
        for b0 in range(lo, hi, block):
            b1 = min(hi, b0 + block)
            K = np.exp(-inv2s2 * (g[:, None] - yu[None, b0:b1]) ** 2)
            acc += K @ A[b0:b1]
        p = acc[:, 0]
        ok = p > 1e-300
        total += (acc[ok, 1:] ** 2 / p[ok, None]).sum(axis=0)
    fact = np.array([math.factorial(k) for k in range(1, kmax + 1)], float)
    return total * step / (s * _SQRT2PI) / fact
