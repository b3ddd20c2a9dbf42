"""The numeric kernel of a rule's exact step (numpy, and numba when it compiles).

Role: code generation for the simulators, kept here unchanged until it moves to
``theory/simulate/kernels.py`` (issue 10, one kernel layer); :meth:`theory.rules.Rule.numeric_kernel`
delegates to :func:`kernel`.
"""
from __future__ import annotations

import sympy as sp

from theory.errors import RuleError
from theory.symbols import A, D, ETA, Q, Y, Z

__all__ = ["kernel"]


def kernel(step: sp.Expr, a_next: sp.Expr, eta: float, d: int | None):
    """A picklable numpy kernel ``(y, z, q, a) -> (psi, a_next)`` of ``step`` and ``a_next`` at ``eta``, ``d``.

    Examples
    --------
    >>> import numpy as np
    >>> k = kernel(Y * Z, A, 0.1, None)
    >>> [v.tolist() for v in k(np.array([2.0]), np.array([3.0]), np.array([1.0]), np.array([1.0]))]
    [[6.0], [1.0]]
    """
    return _Kernel(step, a_next, eta, d)


class _Kernel:
    """Picklable numpy kernel: lambdified lazily from SymPy expressions."""

    def __init__(self, step, a_next, eta, d):
        self.step, self.a_next, self.eta, self.d = step, a_next, eta, d
        self._fn = None

    def __getstate__(self):
        return {"step": self.step, "a_next": self.a_next, "eta": self.eta, "d": self.d}

    def __setstate__(self, state):
        self.__init__(state["step"], state["a_next"], state["eta"], state["d"])

    def _build(self):
        from theory.links import fast_lambdify

        subs = {ETA: self.eta}
        if self.d is not None:
            subs[D] = self.d
        step, a_next = self.step.subs(subs), self.a_next.subs(subs)
        if D in (step.free_symbols | a_next.free_symbols):
            raise RuleError("this rule's psi uses d: give d when building its numeric kernel")
        args = (Y, Z, Q, A)
        self._fn = (fast_lambdify(args, sp.N(step, 17)), fast_lambdify(args, sp.N(a_next, 17)))

    def jit(self):
        """``(compiled, (eta, d))``: a numba-compiled scalar kernel ``f(y, z, q, a, eta, d)`` and its
        runtime arguments, or ``None`` when numba is missing or the expression cannot be compiled.

        The arithmetic is the same as the numpy kernel's (Horner form, powers as products), so the
        reduced engine's compiled path reproduces the vectorised path's numbers.
        """
        fn = _compiled_kernel(str(self.step), str(self.a_next), self.step, self.a_next)
        return None if fn is None else (fn, (self.eta, float(self.d) if self.d is not None else 0.0))

    def __call__(self, y, z, q, a):
        import numpy as np

        if self._fn is None:
            self._build()
        psi = np.asarray(self._fn[0](y, z, q, a), dtype=float)
        a_new = np.asarray(self._fn[1](y, z, q, a), dtype=float)
        shape = np.broadcast(y, z, q, a).shape
        return np.broadcast_to(psi, shape), np.broadcast_to(a_new, shape)


_COMPILED: dict = {}


def _compiled_kernel(key_step, key_a, step, a_next):
    key = (key_step, key_a)
    if key not in _COMPILED:
        _COMPILED[key] = None
        try:
            import numba

            from theory.links import fast_lambdify

            args = (Y, Z, Q, A, ETA, D)
            f_psi = numba.njit(fast_lambdify(args, sp.N(step, 17), "math"))
            f_a = numba.njit(fast_lambdify(args, sp.N(a_next, 17), "math"))

            @numba.njit
            def kernel(y, z, q, a, eta, d):
                return f_psi(y, z, q, a, eta, d), f_a(y, z, q, a, eta, d)

            kernel(0.5, 0.25, 3.0, 1.0, 0.01, 10.0)  # compile now; failures fall back to numpy
            _COMPILED[key] = kernel
        except Exception:  # noqa: BLE001 - any compile failure means: use the numpy path
            _COMPILED[key] = None
    return _COMPILED[key]
