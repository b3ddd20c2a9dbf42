"""Mean hitting time of the overlap from a one-dimensional diffusion (docs/theory.md, section 9).

The overlap ``m = <w, theta>`` of a spherical SGD run is a Markov chain.  One step, exactly,
with ``u, g ~ N(0, 1)``, ``R ~ chi^2_{d-2}``, label noise ``zeta ~ N(0, s^2)`` independent::

    s_m = sqrt(1 - m^2),  z = m u + s_m g,  q = u^2 + g^2 + R - z^2 (= ||P_w^perp x||^2),
    y = target(u) + zeta,  (psi, a_next) = kernel(y, z, q, a0),
    m' = (m + gamma psi (u - z m)) / sqrt(1 + gamma^2 psi^2 q).

:func:`one_step_moments` computes, by deterministic quadrature of that exact map,

    b(m) = E[m' - m]          (drift per step)
    v(m) = E[(m' - m)^2]      (raw second moment per step, *not* the variance)

The diffusion uses the raw second moment because that is what the one-step expansion of the
chain's backward equation contains: ``T(m) = 1 + E[T(m')] = 1 + T + b T' + v T''/2 + ...``,
hence ``v T''/2 + b T' = -1`` with ``T`` in steps.  (``v - b^2``, the variance, differs by
``b^2 = O(gamma^2 v)``.)  The small-``gamma`` forms of docs/theory.md, section 9 are available with
``order="second"``: ``b2 = gamma E[psi (u - z m)] - (gamma^2/2) m E[psi^2 q]`` and
``v2 = gamma^2 E[psi^2 (u - z m)^2]``.

:func:`mean_exit_time` solves the backward equation by second-order finite differences on a
(possibly non-uniform) grid and one tridiagonal solve; :func:`mean_hitting_time` chains the two
and averages the exit time over the start law.  Every float result is labelled ``"numeric"``
(:class:`NumericFloat`, or a ``label`` field).

Quadrature (``nodes = (n_u, n_g, n_R, n_zeta)``): Gauss-Hermite for ``u, g, zeta``
(probabilists' nodes, weights divided by their sum ``sqrt(2 pi)``), generalised Gauss-Laguerre
with ``alpha = (d-2)/2 - 1`` for ``R = 2 X``, ``X ~ Gamma((d-2)/2)`` (weights divided by their
sum ``Gamma(alpha + 1)``).  For online SGD on ``He_3/sqrt(6)`` at ``d = 30``, ``gamma = 0.002``
the default nodes agree with twice as many in every direction to 1e-5 relative in ``b`` and
``v``, and with a 4-million-sample Monte Carlo of the map within its standard error.

Size: about 510 lines for one concept (the diffusion prediction: quadrature of the exact one-step
map, the backward equation, the start law); the input checks and the quadrature nodes are the
only parts that could move, and they are short.

Validation (``tests/test_diffusion.py``): the solver is exact for quadratic ``T``, second
order against the constant-drift closed form, and agrees with an independent scale-function
quadrature to 2e-5; the second-order moments equal exact SymPy Gaussian expectations (and the
drift ``3 m^2 (1 - m^2)`` of docs/theory.md, section 4); the exact moments agree with Monte Carlo of
the map within 4 standard errors.  Hitting times, online SGD on ``He_3/sqrt(6)``, ``d = 30``,
uniform start, ``m_thr = 0.5``, 800 runs of the exact reduced chain: ``gamma = 0.002``:
diffusion 2828 steps, chain 3565 +- 134, ratio 0.79; ``gamma = 0.001``: 6891 vs 7603 +- 283,
ratio 0.91.  A chain with Gaussian steps of the same ``b`` and ``v`` matches the diffusion
(ratio 0.94-1.02 +- 0.03), so the gap is the diffusion approximation itself: ``psi`` is
heavy-tailed and the exact chain moves partly by rare large steps.  It shrinks with ``gamma``.

The small-``gamma`` forms are only leading orders: relative errors ``O(gamma^2)`` in ``b`` and
``O(gamma)`` in ``v`` (the ``gamma^3 m E[psi (u - z m) psi^2 q]`` cross term), with large
constants when ``psi`` is heavy-tailed.  Same example: at ``gamma = 0.002`` the second-order
drift at ``m = 0.3`` is 6% too large and the second-order ``v`` 28% (``m = 0``) to 63%
(``m = 0.3``) too large; they agree to 1e-3 only for ``gamma <~ 1e-5``.  With them the
predicted hitting time at ``gamma = 0.002`` is 2268 instead of 2828 steps (the chain: 3565).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from theory._validate import as_int
from theory.errors import TheoryInputError
from scipy.interpolate import CubicSpline
from scipy.linalg import solve_banded
from scipy.linalg import eigh_tridiagonal
from scipy.special import betaln

__all__ = [
    "DiffusionInputError",
    "NumericFloat",
    "OneStepMoments",
    "HittingTimeProfile",
    "stable_zeros",
    "one_step_moments",
    "mean_exit_time",
    "hitting_time_profile",
    "mean_hitting_time",
]

#: Default quadrature nodes ``(n_u, n_g, n_R, n_zeta)``.
DEFAULT_NODES = (48, 48, 16, 12)


#: Finest grid of the backward equation (points): the grid is refined up to this when the cell Peclet
#: number demands it (an internal limit; about 2 MB of tridiagonal bands).
MAX_EXIT_GRID = 256_001


class DiffusionInputError(TheoryInputError):
    """A bad argument to the diffusion functions (the message names it)."""


class NumericFloat(float):
    """A float computed numerically; ``label`` is ``"numeric"``.  Behaves as a float."""

    __slots__ = ()
    label = "numeric"


class OneStepMoments(NamedTuple):
    """``(b, v)``: drift ``E[m'-m]`` and raw second moment ``E[(m'-m)^2]`` on ``m_grid``.

    Unpacks as a pair of arrays; ``label`` is ``"numeric"``.
    """

    b: np.ndarray
    v: np.ndarray

    @property
    def label(self) -> str:
        return "numeric"


@dataclass(frozen=True, eq=False)
class HittingTimeProfile:
    """Result of :func:`hitting_time_profile`.

    Attributes
    ----------
    mean : NumericFloat
        Mean hitting time (steps) averaged over the start law.
    m_grid, T : numpy.ndarray
        The solve grid and the mean exit time ``T(m)`` on it (``T = 0`` where absorbed).
    b, v : numpy.ndarray
        Drift and second moment on ``m_grid`` (spline of the quadrature values).
    m_nodes, b_nodes, v_nodes : numpy.ndarray
        Where :func:`one_step_moments` was evaluated, and its values.
    """

    mean: NumericFloat
    m_grid: np.ndarray
    T: np.ndarray
    b: np.ndarray
    v: np.ndarray
    m_nodes: np.ndarray
    b_nodes: np.ndarray
    v_nodes: np.ndarray
    d: int
    gamma: float
    m_thr: float
    signed: bool
    start: str
    order: str
    label: str = field(default="numeric")

    def stable_zeros(self, rtol: float = 1e-6) -> list:
        """The drift's stable zeros, read off the quadrature values ``b_nodes`` (:func:`stable_zeros`).

        Examples
        --------
        Online SGD on ``He_3/sqrt 6`` at ``d = 30``: the equator holds the overlap, and the one stable
        zero lies just below it.  (``b(0) = gamma E[psi u / sqrt(1 + gamma^2 psi^2 q)] < 0``: the
        normalisation caps the large ``|u|`` steps, which carry the positive part of
        ``E[He_3(u) u] = 0``.)

        >>> import numpy as np
        >>> he3 = lambda z: (z**3 - 3*z) / np.sqrt(6)
        >>> kern = lambda y, z, q, a: (a * y * (3*z**2 - 3) / np.sqrt(6), a)
        >>> prof = hitting_time_profile(he3, kern, d=30, gamma=0.002)
        >>> [round(m, 2) for m in prof.stable_zeros()], bool(prof.b_nodes[40] < 0)
        ([-0.05], True)
        """
        return stable_zeros(self.m_nodes, self.b_nodes, rtol)


def stable_zeros(m_grid, b, rtol: float = 1e-6) -> list:
    """Overlaps where a drift ``b`` on an increasing ``m_grid`` crosses from ``b > 0`` to ``b < 0``.

    A node's sign counts only where ``|b| > rtol max|b|`` (so rounding near a zero of ``b``
    cannot make one), and each zero is placed by linear interpolation between the two signed
    nodes around it; zeros beyond the ends of the grid are not listed.

    Examples
    --------
    The rounding-level ``-1e-12`` makes no zero of its own; the crossing back up at ``0.15`` is
    unstable and is not listed:

    >>> stable_zeros([-0.2, -0.1, 0.0, 0.1, 0.2], [1.0, 0.5, -1e-12, -0.5, 1.0])
    [0.0]
    """
    m = np.asarray(m_grid, float)
    b = np.asarray(b, float)
    tol = rtol * float(np.max(np.abs(b))) if b.size else 0.0
    k = np.flatnonzero(np.abs(b) > tol)
    return [float(m[i] - b[i] * (m[j] - m[i]) / (b[j] - b[i])) for i, j in zip(k, k[1:]) if b[i] > 0 > b[j]]


# ---------------------------------------------------------------------------
# input checks
# ---------------------------------------------------------------------------
def _check_d(d) -> int:
    return as_int(d, "d", lo=3, error=DiffusionInputError)


def _check_positive(name, x) -> float:
    try:
        x = float(x)
    except (TypeError, ValueError):
        raise DiffusionInputError(f"{name} must be a real number, got {x!r}") from None
    if not (math.isfinite(x) and x > 0):
        raise DiffusionInputError(f"{name} must be a finite number > 0, got {x!r}")
    return x


def _check_noise(noise) -> float:
    try:
        noise = float(noise)
    except (TypeError, ValueError):
        raise DiffusionInputError(f"noise must be a real number, got {noise!r}") from None
    if not (math.isfinite(noise) and noise >= 0):
        raise DiffusionInputError(f"noise must be a finite number >= 0, got {noise!r}")
    return noise


def _check_m_thr(m_thr) -> float:
    try:
        m_thr = float(m_thr)
    except (TypeError, ValueError):
        raise DiffusionInputError(f"m_thr must be a real number, got {m_thr!r}") from None
    if not (0 < m_thr < 1):
        raise DiffusionInputError(f"m_thr must lie in (0, 1), got {m_thr!r}")
    return m_thr


def _check_grid(m_grid, name="m_grid", min_size=3) -> np.ndarray:
    try:
        m = np.asarray(m_grid, dtype=float)
    except (TypeError, ValueError):
        raise DiffusionInputError(f"{name} must be an array of overlaps") from None
    if m.ndim != 1 or m.size < min_size:
        raise DiffusionInputError(f"{name} must be a 1-d array of at least {min_size} points")
    if not np.all(np.isfinite(m)) or np.any(np.abs(m) > 1):
        raise DiffusionInputError(f"{name} must lie in [-1, 1]")
    return m


# ---------------------------------------------------------------------------
# one-step moments
# ---------------------------------------------------------------------------
def gamma_nodes(n: int, shape: float) -> tuple[np.ndarray, np.ndarray]:
    """Gauss quadrature nodes and weights (summing to 1) for ``X ~ Gamma(shape, 1)``.

    These are the generalised Gauss-Laguerre nodes for ``alpha = shape - 1``, by Golub-Welsch: the
    eigenvalues of the Jacobi matrix of the Laguerre recurrence (diagonal ``2i + alpha + 1``,
    off-diagonal ``sqrt(i (i + alpha))``), with weights the squared first components of its
    eigenvectors. The weights come out normalised, so no ``Gamma(alpha + 1)`` is ever formed.
    ``scipy.special.roots_genlaguerre`` forms it and overflows once ``alpha > ~170``, that is
    ``d > ~344``. The nodes agree with it to 1e-15 relative where it works.

    Examples
    --------
    >>> x, w = gamma_nodes(8, 199.0)           # d = 400
    >>> round(float(w.sum()), 12), round(float(w @ x), 9), round(float(w @ x**2 - (w @ x)**2), 9)
    (1.0, 199.0, 199.0)
    """
    alpha = shape - 1.0
    i = np.arange(n, dtype=float)
    off = np.sqrt(np.arange(1, n, dtype=float) * (np.arange(1, n, dtype=float) + alpha))
    x, v = eigh_tridiagonal(2.0 * i + alpha + 1.0, off)
    w = v[0] ** 2
    return x, w / w.sum()


def _nodes(d: int, nodes, noise: float):
    if nodes is None:
        nodes = DEFAULT_NODES
    try:
        nodes = tuple(int(n) for n in nodes)
    except (TypeError, ValueError):
        raise DiffusionInputError(f"nodes must be 3 or 4 integers, got {nodes!r}") from None
    if len(nodes) == 3:
        nodes = nodes + (DEFAULT_NODES[3],)
    if len(nodes) != 4 or min(nodes) < 1:
        raise DiffusionInputError(f"nodes must be 3 or 4 integers >= 1, got {nodes!r}")
    nu, ng, nr, nz = nodes
    xu, wu = np.polynomial.hermite_e.hermegauss(nu)
    xg, wg = np.polynomial.hermite_e.hermegauss(ng)
    wu, wg = wu / wu.sum(), wg / wg.sum()              # the sums are sqrt(2 pi)
    xr, wr = gamma_nodes(nr, 0.5 * (d - 2))
    xr = 2.0 * xr                                      # R = 2 X, X ~ Gamma((d-2)/2)
    if noise > 0 and nz > 1:
        xz, wz = np.polynomial.hermite_e.hermegauss(nz)
        xz, wz = noise * xz, wz / wz.sum()
    else:
        xz, wz = np.zeros(1), np.ones(1)
    U, G, R, Zt = np.meshgrid(xu, xg, xr, xz, indexing="ij")
    W = (wu[:, None, None, None] * wg[None, :, None, None] * wr[None, None, :, None]
         * wz[None, None, None, :])
    return U.ravel(), G.ravel(), R.ravel(), Zt.ravel(), W.ravel()


def one_step_moments(target, kernel, *, d: int, gamma: float, m_grid, noise: float = 0.0,
                     a0: float = 1.0, nodes=None, order: str = "exact",
                     chunk: int = 8) -> OneStepMoments:
    """Drift ``b(m) = E[m'-m]`` and second moment ``v(m) = E[(m'-m)^2]`` of the exact step.

    Parameters
    ----------
    target : callable
        Vectorised link ``sigma_*``; the label is ``y = target(u) + zeta``.
    kernel : callable
        ``kernel(y, z, q, a0) -> (psi, a_next)`` (vectorised; ``a_next`` is ignored).
    d : int
        Dimension (``>= 3``).
    gamma : float
        First-layer step (``> 0``).
    m_grid : array_like
        Overlaps in ``[-1, 1]`` at which to evaluate.
    noise : float
        Label-noise standard deviation ``s >= 0``.
    a0 : float
        Second-layer weight passed to ``kernel``.
    nodes : tuple of int, optional
        ``(n_u, n_g, n_R[, n_zeta])``; default :data:`DEFAULT_NODES`.
    order : {"exact", "second"}
        The exact map, or the small-``gamma`` forms of docs/theory.md, section 9.
    chunk : int
        Number of ``m`` values evaluated together (memory vs speed).

    Returns
    -------
    OneStepMoments
        ``(b, v)`` arrays shaped like ``m_grid``.

    Examples
    --------
    Online SGD with ``sigma_* = sigma = He_3/sqrt(6)`` at ``d = 30``.  At ``m = 0`` the
    second-order variance is ``gamma^2 E[psi^2 u^2] = 21 gamma^2`` (``E[He_3(u)^2 u^2] / 6 = 7``
    times ``E[sigma'(g)^2] = 3``); the exact map gives only about 15 ``gamma^2`` already at
    ``gamma = 0.002``, because ``psi`` is heavy-tailed and the normalisation caps large steps.

    >>> import numpy as np
    >>> he3 = lambda z: (z**3 - 3*z) / np.sqrt(6)
    >>> kern = lambda y, z, q, a: (a * y * (3*z**2 - 3) / np.sqrt(6), a)
    >>> moments = one_step_moments(he3, kern, d=30, gamma=0.002, m_grid=[0.0, 0.3])
    >>> b, v = moments
    >>> b2, v2 = one_step_moments(he3, kern, d=30, gamma=0.002, m_grid=[0.0, 0.3], order="second")
    >>> round(float(v2[0]) / 0.002**2, 6), round(float(v[0]) / 0.002**2, 2)
    (21.0, 15.04)
    >>> moments.label, bool(b[1] > 0)
    ('numeric', True)
    """
    d = _check_d(d)
    gamma = _check_positive("gamma", gamma)
    noise = _check_noise(noise)
    m = _check_grid(np.atleast_1d(m_grid), min_size=1)
    if order not in ("exact", "second"):
        raise DiffusionInputError(f"order must be 'exact' or 'second', got {order!r}")
    chunk = as_int(chunk, "chunk", lo=1, error=DiffusionInputError)
    U, G, R, Zt, W = _nodes(d, nodes, noise)
    y = np.asarray(target(U), dtype=float) + Zt
    if y.shape != U.shape:
        y = np.broadcast_to(y, U.shape)
    b = np.empty(m.size)
    v = np.empty(m.size)
    for i0 in range(0, m.size, int(chunk)):
        mm = m[i0:i0 + int(chunk), None]
        sm = np.sqrt(np.maximum(1.0 - mm * mm, 0.0))
        z = mm * U + sm * G
        q = U * U + G * G + R - z * z
        out = kernel(y, z, q, a0)
        psi = np.broadcast_to(np.asarray(out[0] if isinstance(out, tuple) else out, float), z.shape)
        lever = U - z * mm                                   # = <theta, P_w^perp x>
        if order == "exact":
            x = (gamma * psi) ** 2 * q
            root = np.sqrt(1.0 + x)
            # m' - m = (gamma psi lever - m (sqrt(1+x) - 1)) / sqrt(1+x), without cancellation
            dm = (gamma * psi * lever - mm * x / (root + 1.0)) / root
            b[i0:i0 + mm.shape[0]] = dm @ W
            v[i0:i0 + mm.shape[0]] = (dm * dm) @ W
        else:
            b[i0:i0 + mm.shape[0]] = (gamma * psi * lever - 0.5 * gamma**2 * mm * psi**2 * q) @ W
            v[i0:i0 + mm.shape[0]] = (gamma**2 * psi**2 * lever**2) @ W
    shape = np.shape(m_grid)
    return OneStepMoments(b.reshape(shape), v.reshape(shape))


# ---------------------------------------------------------------------------
# backward equation
# ---------------------------------------------------------------------------
def mean_exit_time(b, v, m_grid, *, m_thr: float, signed: bool = False) -> np.ndarray:
    """Solve ``v(m) T''/2 + b(m) T' = -1`` for the mean exit time ``T`` on ``m_grid``.

    Unsigned: absorbing at ``-m_thr`` and ``+m_thr`` (both must be grid points);
    ``T = 0`` at grid points with ``|m| >= m_thr``.  Signed: absorbing only at ``+m_thr``
    (a grid point), reflecting (``T' = 0``) at the left end ``m_grid[0]`` -- pass a grid
    starting at ``-1`` for the sphere's natural end; ``T = 0`` for ``m >= m_thr``.

    Second-order central differences on the (possibly non-uniform) grid, one tridiagonal
    solve (:func:`scipy.linalg.solve_banded`).  Exact for quadratic ``T`` (zero drift,
    constant ``v``); ``O(h^2)`` otherwise, as long as the cell Peclet number
    ``|b| h / v`` stays below 1 (checked: a :class:`DiffusionInputError` otherwise).

    Parameters
    ----------
    b, v : array_like
        Drift and second moment per step on ``m_grid`` (``v > 0`` where ``T`` is solved).
    m_grid : array_like
        Strictly increasing grid in ``[-1, 1]``.
    m_thr : float
        Threshold in ``(0, 1)``.
    signed : bool
        See above.

    Returns
    -------
    numpy.ndarray
        ``T`` on ``m_grid`` (steps).

    Examples
    --------
    Pure diffusion: ``T(x) = (m_thr^2 - x^2) / v``.

    >>> import numpy as np
    >>> x = np.linspace(-0.5, 0.5, 11)
    >>> T = mean_exit_time(np.zeros(11), np.full(11, 1e-4), x, m_thr=0.5)
    >>> round(float(T[5]), 9), bool(np.allclose(T, (0.25 - x**2) / 1e-4, rtol=1e-12))
    (2500.0, True)
    """
    m_thr = _check_m_thr(m_thr)
    x = _check_grid(m_grid)
    b = np.asarray(b, dtype=float)
    v = np.asarray(v, dtype=float)
    if b.shape != x.shape or v.shape != x.shape:
        raise DiffusionInputError("b, v and m_grid must have the same 1-d shape")
    if np.any(np.diff(x) <= 0):
        raise DiffusionInputError("m_grid must be strictly increasing")
    if not (np.all(np.isfinite(b)) and np.all(np.isfinite(v))):
        raise DiffusionInputError("b and v must be finite")
    tolx = 1e-9
    hi = np.flatnonzero(np.abs(x - m_thr) <= tolx)
    if hi.size != 1:
        raise DiffusionInputError(f"m_thr = {m_thr} must be a point of m_grid")
    hi = int(hi[0])
    if signed:
        lo = 0
    else:
        lo_idx = np.flatnonzero(np.abs(x + m_thr) <= tolx)
        if lo_idx.size != 1:
            raise DiffusionInputError(f"-m_thr = {-m_thr} must be a point of m_grid (unsigned)")
        lo = int(lo_idx[0])
    T = np.zeros(x.size)
    # unknowns: interior points lo+1..hi-1 (unsigned) or lo..hi-1 (signed, reflecting at lo)
    first = lo if signed else lo + 1
    idx = np.arange(first, hi)
    n = idx.size
    if n == 0:
        return T
    if np.any(v[idx] <= 0):
        raise DiffusionInputError("v must be > 0 wherever T is solved")
    hp = x[idx + 1] - x[idx]
    hm = np.where(idx > 0, x[idx] - x[np.maximum(idx - 1, 0)], hp)
    if signed:
        hm[0] = hp[0]                     # ghost point T_{-1} = T_1 mirrors T'(x_0) = 0
    bb, vv, s = b[idx], v[idx], hm + hp
    c_m = vv / (hm * s) - bb * hp / (hm * s)
    c_0 = -vv / (hm * hp) + bb * (hp - hm) / (hm * hp)
    c_p = vv / (hp * s) + bb * hm / (hp * s)
    if signed:                            # reflecting end: v (T_1 - T_0) / h^2 = -1
        c_0[0], c_p[0], c_m[0] = -vv[0] / hp[0] ** 2, vv[0] / hp[0] ** 2, 0.0
    peclet = np.abs(bb) * np.maximum(hm, hp) / vv
    if peclet.max() > 1.0:
        raise DiffusionInputError(
            f"m_grid too coarse for this drift: the cell Peclet number |b| h / v reaches "
            f"{peclet.max():.3g} (> 1); refine m_grid")
    ab = np.zeros((3, n))
    ab[0, 1:] = c_p[:-1]
    ab[1] = c_0
    ab[2, :-1] = c_m[1:]
    T[idx] = solve_banded((1, 1), ab, -np.ones(n))
    return T


# ---------------------------------------------------------------------------
# hitting time
# ---------------------------------------------------------------------------
def _start_weights(x: np.ndarray, d: int, start: str, T: np.ndarray, signed: bool) -> float:
    """Average of ``T`` over the start law (``T`` on grid ``x``, zero outside it)."""
    if start == "fixed":
        m0 = 1.0 / math.sqrt(d)
        return float(CubicSpline(x, T)(m0)) if x[0] <= m0 <= x[-1] else 0.0
    if start in ("uniform", "positive"):
        # density of m0 = <w, theta> for w uniform on S^{d-1}: (1-m^2)^((d-3)/2) / B(1/2, (d-1)/2);
        # "positive" is the same law conditioned on m0 > 0 (twice the density on m > 0)
        logc = -betaln(0.5, 0.5 * (d - 1))
        if d == 3:
            dens = np.full(x.shape, math.exp(logc))
        else:
            with np.errstate(divide="ignore"):
                dens = np.exp(logc + 0.5 * (d - 3) * np.log1p(-x * x))
        if start == "positive":
            dens = np.where(x > 0, 2.0 * dens, 0.0)
    elif start == "gaussian":
        dens = np.sqrt(d / (2 * math.pi)) * np.exp(-0.5 * d * x * x)
    else:
        raise DiffusionInputError(f"start must be 'uniform', 'positive', 'fixed' or 'gaussian', got {start!r}")
    dens = np.where(np.isfinite(dens), dens, 0.0)
    return float(np.trapezoid(T * dens, x))


def hitting_time_profile(target, kernel, *, d: int, gamma: float, m_thr: float = 0.5,
                         noise: float = 0.0, a0: float = 1.0, signed: bool = False,
                         start: str = "uniform", nodes=None, order: str = "exact",
                         n_moments: int = 81, n_grid: int = 4001) -> HittingTimeProfile:
    """Diffusion prediction of the mean number of steps until ``|m| >= m_thr``.

    ``b`` and ``v`` are computed by :func:`one_step_moments` at ``n_moments`` equally spaced
    overlaps, interpolated by cubic splines onto ``n_grid`` points, and the backward equation
    is solved by :func:`mean_exit_time` (the grid is refined beyond ``n_grid``, up to
    :data:`MAX_EXIT_GRID`, until the cell Peclet number is below 0.9).  The grid is
    ``[-m_thr, m_thr]`` (unsigned) or ``[-1, m_thr]`` (signed: reflecting at ``-1``, absorbing at ``+m_thr`` only).  The exit
    time is averaged over the start law: ``"uniform"`` on the sphere (density of ``m0``
    proportional to ``(1 - m^2)^((d-3)/2)``), ``"gaussian"`` (``N(0, 1/d)``, the prototype's
    approximation) or ``"fixed"`` (``m0 = d^(-1/2)``).  Starts that are already absorbed
    count as 0 steps.

    Returns
    -------
    HittingTimeProfile
    """
    d = _check_d(d)
    gamma = _check_positive("gamma", gamma)
    m_thr = _check_m_thr(m_thr)
    if start not in ("uniform", "positive", "fixed", "gaussian"):
        raise DiffusionInputError(f"start must be 'uniform', 'positive', 'fixed' or 'gaussian', got {start!r}")
    n_moments = as_int(n_moments, "n_moments", lo=5, error=DiffusionInputError)
    n_grid = as_int(n_grid, "n_grid", lo=5, error=DiffusionInputError)
    left = -1.0 if signed else -m_thr
    m_nodes = np.linspace(left, m_thr, int(n_moments))
    bn, vn = one_step_moments(target, kernel, d=d, gamma=gamma, m_grid=m_nodes, noise=noise,
                              a0=a0, nodes=nodes, order=order)
    b_spline, v_spline = CubicSpline(m_nodes, bn), CubicSpline(m_nodes, vn)
    n_grid = int(n_grid)
    while True:  # refine until the cell Peclet number |b| h / v is below 1 (large d: v ~ 1/d^2 is tiny)
        x = np.linspace(left, m_thr, n_grid)
        x[-1] = m_thr
        b, v = b_spline(x), v_spline(x)
        h = (m_thr - left) / (n_grid - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            peclet = float(np.nanmax(np.abs(b) * h / v))
        if not peclet > 0.9 or n_grid >= MAX_EXIT_GRID:
            break
        n_grid = min(MAX_EXIT_GRID, 2 * n_grid - 1 if peclet <= 1.8 else int((n_grid - 1) * peclet / 0.9) + 1)
    T = mean_exit_time(b, v, x, m_thr=m_thr, signed=signed)
    mean = NumericFloat(_start_weights(x, d, start, T, signed))
    return HittingTimeProfile(mean, x, T, b, v, m_nodes, np.asarray(bn), np.asarray(vn), d,
                              gamma, m_thr, bool(signed), start, order)


def mean_hitting_time(target, kernel, *, d: int, gamma: float, m_thr: float = 0.5,
                      noise: float = 0.0, a0: float = 1.0, signed: bool = False,
                      start: str = "uniform", nodes=None, order: str = "exact") -> NumericFloat:
    """Mean steps until weak recovery predicted by the diffusion (see :func:`hitting_time_profile`).

    Examples
    --------
    >>> import numpy as np
    >>> he3 = lambda z: (z**3 - 3*z) / np.sqrt(6)
    >>> kern = lambda y, z, q, a: (a * y * (3*z**2 - 3) / np.sqrt(6), a)
    >>> t = mean_hitting_time(he3, kern, d=30, gamma=0.002)
    >>> 1000 < t < 10000, t.label
    (True, 'numeric')
    """
    return hitting_time_profile(target, kernel, d=d, gamma=gamma, m_thr=m_thr, noise=noise,
                                a0=a0, signed=signed, start=start, nodes=nodes,
                                order=order).mean
