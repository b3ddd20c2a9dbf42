"""Training algorithms, written once as the actual step, and the ``psi`` each one induces.

Student: ``f(x) = a sigma(<w, x>)`` with ``w`` on the unit sphere.  Losses on one sample
``(x, y)``: ``correlation`` ``l = -y f(x)``; ``squared`` ``l = (y - f(x))^2 / 2``.  Every
first-layer step is a spherical gradient step

    w  <-  normalise( w - gamma P_w^perp grad_w l ) = normalise( w + gamma psi P_w^perp x ),

so a rule is fully described by the scalar ``psi`` it multiplies ``P_w^perp x`` with, and by
how it moves the second layer.  Both are SymPy expressions in

* ``y`` the label, ``z = <w, x>``, ``q = ||P_w^perp x||^2 = ||x||^2 - z^2``,
* ``a`` the current second layer, ``eta`` the learning rate of the inner/second-layer step.

``Rule.step`` is that exact ``psi`` (what the simulators run), ``Rule.a_next`` the new second
layer.  ``Rule.psi`` is the ``psi_eta(y, z)`` of the theory: ``q`` replaced by ``d``
(``||x||^2 ~ d``), Taylor-expanded in ``eta`` to the rule's order (exact for polynomial
students), label-free terms split off (they vanish from the drift because ``P_w^perp x`` is
independent of ``z``; they still add noise, so :attr:`Rule.psi_full` keeps them).

Rules
-----
``online``
    one gradient step per fresh sample: ``psi = -d/dz l(a sigma(z), y)``.
``batch-reuse``
    Algorithm 1 (two steps on one sample): ``w~ = w + eta psi_1 P_w^perp x`` so
    ``<w~, x> = z + eta q psi_1(y, z)``; then the step with ``gamma`` uses the gradient at
    ``w~``: ``psi = psi_1(y, z + eta q psi_1(y, z))``.
``alternating``
    Algorithm 2 (layer-wise): ``a~ = a - eta dl/da`` first, then the first layer with ``a~``:
    ``psi = -d/dz l(a~ sigma(z), y)``.  The second layer is reset to ``a`` after each step
    (``keep_a=False``, the form THEORY.md gives) or keeps ``a~`` (``keep_a=True``).
``custom``
    ``psi`` given by the user as an expression in ``y, z, eta, d`` (and ``a``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from theory.errors import RuleError
from theory.links import Z, Link, parse_expression, parse_link

__all__ = ["Y", "Q", "A", "ETA", "D", "RULES", "LOSSES", "Rule", "make_rule"]

Y = sp.Symbol("y", real=True)
Q = sp.Symbol("q", positive=True)
A = sp.Symbol("a", real=True)
ETA = sp.Symbol("eta", positive=True)
D = sp.Symbol("d", positive=True)

RULES = ("online", "batch-reuse", "alternating", "custom")
LOSSES = ("correlation", "squared")
MAX_ORDER = 10


def _loss(kind: str, prediction: sp.Expr, label: sp.Expr) -> sp.Expr:
    if kind == "correlation":
        return -label * prediction
    if kind == "squared":
        return (label - prediction) ** 2 / 2
    raise RuleError(f"unknown loss {kind!r}; choose one of {', '.join(LOSSES)}")


@dataclass(frozen=True)
class Rule:
    """An update rule with its derived ``psi``.

    Attributes
    ----------
    name, loss : str
    target, student : Link
    a : sympy.Expr
        Value of the second layer (initial value when it is kept).
    step : sympy.Expr
        Exact ``psi`` of the algorithm, in ``y, z, q, a, eta`` (what the simulators run).
    a_next : sympy.Expr
        Second layer after the step, in ``y, z, q, a, eta``.
    psi_full : sympy.Expr
        ``step`` with ``q -> d``, expanded to the rule's order in ``eta``; a polynomial in ``y``
        when the algorithm is.
    psi : sympy.Expr
        The label-dependent part of ``psi_full``: ``psi_eta(y, z)`` of the drift.
    label_free : sympy.Expr
        ``psi_full - psi`` (no contribution to the drift).
    derivation : tuple of (str, sympy.Expr)
        The derivation steps, for reports.
    """

    name: str
    loss: str
    target: Link
    student: Link
    a: sp.Expr
    step: sp.Expr
    a_next: sp.Expr
    psi_full: sp.Expr
    psi: sp.Expr
    label_free: sp.Expr
    order: int | None = None
    keep_a: bool = False
    derivation: tuple = field(default=(), compare=False)

    @property
    def eta_range(self) -> tuple[sp.Expr, str]:
        """Smallest ``alpha`` (``eta = d^-alpha``) where the theory applies, and why."""
        if self.name == "batch-reuse":
            return sp.Integer(1), "eta d <= 1"
        if self.name == "alternating":
            return sp.Integer(0), "eta <= 1"
        if self.name == "online":
            return -sp.oo, "psi does not depend on eta"
        return sp.Integer(0), "eta <= 1 (custom rule: assumed)"

    @property
    def label(self) -> str:
        extra = ""
        if self.name == "batch-reuse":
            extra = f", order {self.order}"
        if self.name == "alternating":
            extra = ", second layer kept" if self.keep_a else ", second layer reset"
        return f"{self.name} SGD ({self.loss} loss{extra}), target {self.target.name}, student {self.student.name}"

    def psi_at(self, a=None) -> sp.Expr:
        """``psi`` with the second layer ``a`` substituted (default: the rule's ``a``)."""
        return self.psi.subs(A, self.a if a is None else a)

    def numeric_kernel(self, eta: float, d: int | None = None):
        """A numpy kernel ``(y, z, q, a) -> (psi, a_next)`` of the exact algorithm (floats).

        See :class:`theory.simulate.StepModel` for how the simulators use it.
        """
        return _Kernel(self.step, self.a_next, float(eta), None if d is None else int(d))


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


def _split_label_free(psi_full: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    expanded = sp.expand(psi_full)
    label_free = sp.Add(*[t for t in sp.Add.make_args(expanded) if Y not in t.free_symbols])
    return sp.expand(expanded - label_free), label_free


def _needs_derivatives(student: Link, order: int, rule: str):
    expr = student.expr
    for j in range(1, order + 1):
        expr = sp.diff(expr, Z)
        if expr.has(sp.DiracDelta) or expr.has(sp.Derivative) or expr.has(sp.Subs):
            raise RuleError(f"student {student.name!r} has no classical derivative of order {j}, "
                            f"which the {rule} rule at order {order} needs")


def make_rule(rule: str, target, student, *, loss: str = "correlation", a=1, order: int | None = None,
              keep_a: bool = False, psi: str | None = None, noise=0) -> Rule:
    """Build an update rule and derive its ``psi`` with SymPy.

    Parameters
    ----------
    rule : {"online", "batch-reuse", "alternating", "custom"}
    target, student : str or Link
    loss : {"correlation", "squared"}
    a : number
        Second-layer value (fixed, reset to after each step, or initial when ``keep_a``).
    order : int, optional
        Batch reuse: number of terms ``r`` of the expansion in ``eta d`` (default: the
        degree of the student, which makes the correlation-loss expansion exact).
    keep_a : bool
        Alternating SGD: keep the updated second layer instead of resetting it.
    psi : str, optional
        The custom rule's ``psi`` as an expression in ``y, z, eta, d, a``.
    noise : number
        Label noise std of the target.

    Examples
    --------
    >>> r = make_rule("alternating", "He3", "He3")
    >>> sp.factor(r.psi - (A*Y*sp.diff(Z**3 - 3*Z, Z) + ETA*Y**2*(Z**3 - 3*Z)*sp.diff(Z**3 - 3*Z, Z)))
    0
    >>> make_rule("online", "He3", "He3").psi
    3*a*y*z**2 - 3*a*y
    """
    if rule not in RULES:
        raise RuleError(f"unknown rule {rule!r}; choose one of {', '.join(RULES)}")
    if loss not in LOSSES:
        raise RuleError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    target = target if isinstance(target, Link) else parse_link(target, noise=noise)
    if noise:
        target = target.with_noise(noise)
    student = student if isinstance(student, Link) else parse_link(student)
    a_val = a if isinstance(a, sp.Expr) else (sp.Rational(repr(a)) if isinstance(a, float) else sp.Integer(a))
    sigma = student.expr
    derivation: list[tuple[str, sp.Expr]] = []
    ell = _loss(loss, A * sigma, Y)
    derivation.append((f"{loss} loss l(y, a sigma(z))", ell))
    psi1 = sp.expand(-sp.diff(ell, Z))  # -dl/dz: the coefficient of x in -grad_w l
    if rule != "custom":
        _needs_derivatives(student, 1, rule)
    a_next = A
    used_order = None

    if rule == "online":
        step = psi1
        derivation.append(("psi = -dl/dz", step))
        psi_full = step
    elif rule == "batch-reuse":
        deg_psi1 = sp.Poly(psi1, Z).degree() if psi1.is_polynomial(Z) else None
        default = (deg_psi1 + 1) if deg_psi1 is not None else 2
        used_order = default if order is None else order
        if isinstance(used_order, bool) or not isinstance(used_order, int) or not 1 <= used_order <= MAX_ORDER:
            raise RuleError(f"--order must be an integer in [1, {MAX_ORDER}], got {order!r}")
        if deg_psi1 is not None and used_order > deg_psi1 + 1:
            raise RuleError(f"expansion order {used_order} is too high to be useful: psi_1 has degree {deg_psi1} "
                            f"in z, so the expansion is already exact at order {deg_psi1 + 1}")
        _needs_derivatives(student, used_order, rule)
        z_tilde = Z + ETA * Q * psi1
        step = psi1.subs(Z, z_tilde)
        derivation.append(("psi_1 = -dl/dz at w", psi1))
        derivation.append(("<w~, x> = z + eta q psi_1", z_tilde))
        derivation.append(("psi = psi_1(y, <w~, x>)", step))
        delta = ETA * D * psi1
        taylor = sp.Integer(0)
        deriv = psi1
        for j in range(used_order):
            taylor += deriv * delta**j / sp.factorial(j)
            deriv = sp.diff(deriv, Z)
        psi_full = sp.expand(taylor)
        derivation.append((f"Taylor to order {used_order} in eta d (q -> d)", psi_full))
    elif rule == "alternating":
        a_tilde = sp.expand(A - ETA * sp.diff(ell, A))
        derivation.append(("a~ = a - eta dl/da", a_tilde))
        step = sp.expand((-sp.diff(ell, Z)).subs(A, a_tilde))
        derivation.append(("psi = -dl/dz with a~", step))
        psi_full = step
        if keep_a:
            a_next = a_tilde
    else:  # custom
        if not psi:
            raise RuleError("the custom rule needs --psi, an expression in y, z, eta, d (and a)")
        step = parse_expression(psi, {"y": Y, "z": Z, "eta": ETA, "d": D, "a": A}, what="psi",
                                allow_names=True)
        psi_full = sp.expand(step)
        step = step.subs(D, D)  # d stays symbolic; the simulator substitutes it
        derivation.append(("psi (given)", psi_full))
    psi_signal, label_free = _split_label_free(psi_full)
    if psi_signal.has(Q):
        psi_signal, label_free = psi_signal.subs(Q, D), label_free.subs(Q, D)
        psi_full = psi_full.subs(Q, D)
    derivation.append(("label-dependent part psi_eta(y, z)", psi_signal))
    return Rule(rule, loss, target, student, a_val, step, a_next, psi_full, psi_signal, label_free,
                used_order, keep_a, tuple(derivation))


def theory_psi_reference(rule: str, student: Link, order: int | None = None) -> sp.Expr:
    """THEORY.md section 5's forms of ``psi`` (correlation loss, ``a`` symbolic), for checks.

    Online ``a y sigma'``; batch reuse ``sum_k (eta d)^(k-1)/(k-1)! sigma^(k) sigma'^(k-1) y^k``
    (with ``a^k`` for a general second layer); alternating ``a y sigma' + eta y^2 sigma sigma'``.
    """
    s = student.expr
    ds = sp.diff(s, Z)
    if rule == "online":
        return A * Y * ds
    if rule == "alternating":
        return A * Y * ds + ETA * Y**2 * s * ds
    if rule == "batch-reuse":
        r = order or (sp.Poly(s, Z).degree())
        return sum((ETA * D) ** (k - 1) / sp.factorial(k - 1) * sp.diff(s, Z, k) * ds ** (k - 1) * A**k * Y**k
                   for k in range(1, r + 1))
    raise RuleError(f"no reference form for rule {rule!r}")
