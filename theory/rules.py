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
    (``keep_a=False``, the form the paper reports) or keeps ``a~`` (``keep_a=True``).
``custom``
    ``psi`` given by the user as an expression in ``y, z, eta, d`` (and ``a``): a polynomial
    in ``y`` and ``a`` and a Laurent polynomial in ``eta`` and ``d`` (integer powers) whose
    coefficients are functions of ``z`` (see :data:`CUSTOM_LIMITS`).

Options that do not apply to a rule are refused, not ignored: ``psi`` needs ``custom``,
``keep_a`` needs ``alternating``, ``order`` needs ``batch-reuse`` (``None``/``False`` mean
"not given"), and ``loss`` does not apply to ``custom``.

Students with kinks and jumps
-----------------------------
Every rule is also derived once for a generic student ``sigma`` (:attr:`Rule.psi_generic`, a
polynomial in the symbols :data:`SIGMA_DERIVATIVES` ``sigma_n`` standing for ``sigma^(n)(z)``).
:attr:`Rule.classical_order` is the largest ``n`` for which ``sigma^(n)`` is a function (no
Dirac delta): ``1`` for ``relu`` and ``abs``, ``0`` for ``sign`` and ``Heaviside``.  When the
rule needs ``sigma'`` of a student with a jump (``classical_order == 0``), ``psi`` contains a
Dirac delta: the drift :mod:`theory.drift` derives is then the limit of smooth students, by
Stein's identity, while ``E[psi^2]`` is infinite, so there is no step size and no simulation
(:func:`theory.simulate.kernels.rule_kernels` refuses).  Batch reuse expands the student's gradient in
``eta d`` to order ``r``, which needs ``sigma^(r)`` as a function; across a kink or jump that
expansion does not describe the algorithm, so it is refused.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import sympy as sp

from theory.errors import RuleError
from theory.links import Z, Link, parse_expression, parse_link
from theory.symbols import A, D, ETA, Q, Y

__all__ = ["Y", "Q", "A", "ETA", "D", "RULES", "LOSSES", "SIGMA_DERIVATIVES", "CUSTOM_LIMITS", "Rule",
           "make_rule"]


RULES = ("online", "batch-reuse", "alternating", "custom")
LOSSES = ("correlation", "squared")
MAX_ORDER = 10

#: ``sigma_n`` stands for the ``n``-th derivative of a generic student in :attr:`Rule.psi_generic`.
SIGMA_DERIVATIVES = tuple(sp.Symbol(f"sigma_{n}", real=True) for n in range(MAX_ORDER + 2))

#: Bounds on a custom ``psi`` (checked on the expression tree before anything is expanded):
#: degree in ``y`` and in ``a``, ``|power|`` of ``eta`` and of ``d``, degree of ``z`` in a
#: polynomial part, and the number of terms of the expanded ``psi``.
CUSTOM_LIMITS = {"y": 6, "a": 6, "eta": 6, "d": 6, "z": 100, "terms": 64}

_GENERIC = sp.Function("sigma")


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
    psi_generic, psi_full_generic : sympy.Expr
        ``psi`` and ``psi_full`` for a generic student: polynomials in ``y``, ``a``, ``eta``,
        ``d`` and :data:`SIGMA_DERIVATIVES` (``sigma_n`` = ``sigma^(n)(z)``).  For the custom
        rule they equal ``psi`` and ``psi_full`` (functions of ``z``, no ``sigma_n``).
    student_derivatives : tuple of sympy.Expr
        ``sigma^(0), sigma^(1), ...`` of the student, as far as the rule uses them; a Dirac
        delta that multiplies a continuous factor vanishing at its point is dropped.
    classical_order : int
        Largest ``n`` (up to what the rule uses) such that ``sigma^(0..n)`` are functions.
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
    psi_generic: sp.Expr | None = field(default=None, compare=False)
    psi_full_generic: sp.Expr | None = field(default=None, compare=False)
    student_derivatives: tuple = field(default=(), compare=False)
    classical_order: int = MAX_ORDER + 1

    @property
    def uses_order(self) -> int:
        """Highest derivative of the student that ``psi_full_generic`` uses (``-1``: none)."""
        expr = self.psi_full_generic if self.psi_full_generic is not None else sp.Integer(0)
        used = [n for n, s in enumerate(SIGMA_DERIVATIVES) if expr.has(s)]
        return max(used) if used else -1

    @property
    def distributional(self) -> bool:
        """``True`` when ``psi`` contains a Dirac delta (a student with a jump: ``E[psi^2]`` is infinite)."""
        return self.uses_order > self.classical_order

    def singularity_note(self) -> str:
        """One sentence on a distributional ``psi`` (empty when ``psi`` is a function)."""
        if not self.distributional:
            return ""
        n = self.classical_order + 1
        which = "sigma'" if n == 1 else f"sigma^({n})"
        return (f"student {self.student.name!r} is not smooth enough: {which} is a Dirac delta (at its "
                f"{'jump' if n == 1 else 'kink'}), so psi contains a Dirac delta; mu_i are the limits of smooth "
                f"students (Stein's identity), E[psi^2] is infinite, no step size exists and the rule cannot be "
                f"simulated (a smooth student such as {_smooth_suggestion(self.student)} can)")

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
        if self.name == "custom":
            return f"custom rule (psi given), target {self.target.name}, student {self.student.name}"
        extra = ""
        if self.name == "batch-reuse":
            extra = f", order {self.order}"
        if self.name == "alternating":
            extra = ", second layer kept" if self.keep_a else ", second layer reset"
        return f"{self.name} SGD ({self.loss} loss{extra}), target {self.target.name}, student {self.student.name}"

    def psi_at(self, a=None) -> sp.Expr:
        """``psi`` with the second layer ``a`` substituted (default: the rule's ``a``)."""
        return self.psi.subs(A, self.a if a is None else a)


def _split_label_free(psi_full: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    expanded = sp.expand(psi_full)
    label_free = sp.Add(*[t for t in sp.Add.make_args(expanded) if Y not in t.free_symbols])
    return sp.expand(expanded - label_free), label_free


def _smooth_suggestion(student: Link) -> str:
    expr = student.expr
    if expr.has(sp.sign):
        return "tanh(8*z) for sign(z)"
    if expr.has(sp.Heaviside):
        return "sigmoid(8*z) for Heaviside(z)"
    return "tanh, erf or a polynomial"


def _classical(expr: sp.Expr) -> sp.Expr | None:
    """``expr`` as a function of ``z``, or ``None`` when it contains a Dirac delta (or an
    unevaluated derivative).

    A term ``h(z) DiracDelta(z - c)`` with ``h`` continuous at ``c`` and ``h(c) = 0`` is the zero
    distribution and is dropped (``2 z DiracDelta(z)`` in the second derivative of ``z |z|``).
    """
    if not expr.has(sp.DiracDelta, sp.Derivative, sp.Subs):
        return expr
    kept = []
    for term in sp.Add.make_args(sp.expand(expr)):
        if not term.has(sp.DiracDelta, sp.Derivative, sp.Subs):
            kept.append(term)
            continue
        deltas = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.DiracDelta)]
        if len(deltas) != 1 or len(deltas[0].args) != 1 or term.has(sp.Derivative, sp.Subs):
            return None
        arg = deltas[0].args[0]
        h = term / deltas[0]
        if h.has(sp.DiracDelta, sp.sign, sp.Heaviside, sp.Piecewise, sp.Max, sp.Min) \
                or not arg.is_polynomial(Z) or sp.degree(arg, Z) != 1:
            return None
        c = sp.solve(arg, Z)[0]
        value = h.subs(Z, c)
        if value != 0:
            return None  # a genuine delta (or h is not finite at c)
    return sp.Add(*kept)


def _generic_to_symbols(expr: sp.Expr, order: int) -> sp.Expr:
    """Replace ``sigma(z)`` and its derivatives by :data:`SIGMA_DERIVATIVES`."""
    s = _GENERIC(Z)
    mapping = {sp.Derivative(s, (Z, n)): SIGMA_DERIVATIVES[n] for n in range(order + 1, 0, -1)}
    mapping[s] = SIGMA_DERIVATIVES[0]
    out = sp.expand(expr.xreplace(mapping))
    if out.has(_GENERIC):
        raise RuleError(f"internal: could not write psi in terms of the student's derivatives: {out}")
    return out


def _student_derivatives(student: Link, order: int) -> tuple[tuple, int]:
    """``(sigma^(0..order), classical order)``; derivatives beyond the classical order are raw SymPy."""
    derivs, p = [student.expr], 0
    raw = student.expr
    for n in range(1, order + 1):
        raw = sp.diff(derivs[-1], Z)
        clean = _classical(raw)
        if clean is None or p < n - 1:
            derivs.append(raw)
        else:
            derivs.append(clean)
            p = n
    return tuple(derivs), p


def _degree_shape(expr: sp.Expr, text: str) -> tuple[dict, int]:
    """Structural ``({symbol: (lowest power, highest power)}, bound on the number of expanded terms)``.

    Raises :class:`RuleError` when ``psi`` is not a polynomial in ``y, a`` and a Laurent
    polynomial in ``eta, d`` with coefficients that are functions of ``z``.
    """
    poly_syms = (Y, A, ETA, D, Z)
    outer = {Y: "y", A: "a", ETA: "eta", D: "d"}

    def fail(why):
        raise RuleError(f"psi {text!r}: {why}; a custom psi must be a polynomial in y and a and a polynomial "
                        f"in eta and d with integer (possibly negative) powers, whose coefficients are functions "
                        f"of z")

    def walk(e):
        if e.is_number:
            return {}, 1
        if e in poly_syms:
            return {e: (1, 1)}, 1
        if e.is_Add or e.is_Mul:
            parts = [walk(a) for a in e.args]
            degs: dict = {}
            count = 0 if e.is_Add else 1
            for d_, c in parts:
                count = count + c if e.is_Add else count * c
                for s in set(degs) | set(d_):
                    lo1, hi1 = degs.get(s, (0, 0))
                    lo2, hi2 = d_.get(s, (0, 0))
                    degs[s] = (min(lo1, lo2), max(hi1, hi2)) if e.is_Add else (lo1 + lo2, hi1 + hi2)
            return degs, count
        if e.is_Pow:
            base, ex = e.args
            inner = base.free_symbols & set(outer)
            if ex.free_symbols & set(poly_syms):
                fail(f"the exponent of {e} depends on a variable")
            if not inner:
                if ex.is_Integer and base.free_symbols:
                    d_, c = walk(base)
                    n = int(ex)
                    if n >= 0:
                        return {s: (n * lo, n * hi) for s, (lo, hi) in d_.items()}, math.comb(c + n - 1, n)
                return {}, 1  # a function of z
            if not ex.is_Integer:
                fail(f"{e} is not an integer power")
            n = int(ex)
            d_, c = walk(base)
            if n < 0:
                if c != 1:
                    fail(f"{e} divides by a sum containing {', '.join(sorted(outer[s] for s in inner))}")
                if inner & {Y, A}:
                    fail(f"{e} is a negative power of {', '.join(sorted(outer[s] for s in inner & {Y, A}))}")
                return {s: (n * hi, n * lo) for s, (lo, hi) in d_.items()}, 1
            return {s: (n * lo, n * hi) for s, (lo, hi) in d_.items()}, math.comb(c + n - 1, n)
        inner = e.free_symbols & set(outer)
        if inner:
            fail(f"{', '.join(sorted(outer[s] for s in inner))} appears inside {e.func.__name__}(...)")
        return {}, 1  # a function of z

    return walk(expr)


def _parse_custom_psi(text) -> sp.Expr:
    """Parse and validate a custom ``psi`` (see :data:`CUSTOM_LIMITS`) before anything is expanded."""
    if not isinstance(text, str):
        raise RuleError(f"psi must be a string, got {type(text).__name__}")
    expr = parse_expression(text, {"y": Y, "z": Z, "eta": ETA, "d": D, "a": A}, what="psi", allow_names=True)
    degs, count = _degree_shape(expr, text)
    names = {Y: "y", A: "a", ETA: "eta", D: "d", Z: "z"}
    for sym, (lo, hi) in degs.items():
        limit = CUSTOM_LIMITS[names[sym]]
        if max(abs(lo), abs(hi)) > limit:
            what = "degree" if sym in (Y, A, Z) else "|power|"
            raise RuleError(f"psi {text!r}: {what} of {names[sym]} up to {max(abs(lo), abs(hi))} exceeds the "
                            f"supported {limit}")
    if count > CUSTOM_LIMITS["terms"]:
        raise RuleError(f"psi {text!r} expands to up to {count} terms; at most {CUSTOM_LIMITS['terms']} are "
                        f"supported")
    if sp.expand(expr) == 0:
        raise RuleError(f"psi {text!r} is identically zero")
    return expr


def _second_layer(a) -> sp.Expr:
    """The second-layer value as an exact number (floats by their shortest repr: 0.1 is 1/10)."""
    if isinstance(a, sp.Expr) and a.is_number and a.is_real and a.is_finite:
        return a
    if isinstance(a, bool) or not isinstance(a, (int, float)) or (isinstance(a, float) and not math.isfinite(a)):
        raise RuleError(f"the second layer a must be a finite real number, got {a!r}")
    if isinstance(a, float) and not (a == 0 or 1e-300 <= abs(a) <= 1e300):
        raise RuleError(f"the second layer a = {a!r} is outside the supported range (0 or 1e-300 <= |a| <= 1e300)")
    if isinstance(a, int) and abs(a) > 10**300:
        raise RuleError("the second layer a is outside the supported range (|a| <= 1e300)")
    return sp.Rational(repr(a)) if isinstance(a, float) else sp.Integer(a)


def _check_options(rule, loss, order, keep_a, psi):
    given = lambda v: v is not None and v is not False  # noqa: E731
    if given(psi) and rule != "custom":
        raise RuleError(f"--psi applies only to the custom rule, not to the {rule} rule")
    if given(keep_a) and rule != "alternating":
        raise RuleError(f"--keep-a applies only to the alternating rule, not to the {rule} rule")
    if given(order) and rule != "batch-reuse":
        raise RuleError(f"--order applies only to the batch-reuse rule, not to the {rule} rule")
    if rule == "custom" and loss not in (None, "correlation"):
        raise RuleError(f"--loss does not apply to the custom rule (psi is given directly), got {loss!r}")


def _derive_psi_full(rule: str, loss: str, sigma: sp.Expr, used_order, keep_a, psi_full=None):
    """``(step, a_next, psi_full, derivation)`` of a rule for the student ``sigma`` (any expression in z).

    With ``psi_full`` given (the generic result with the student substituted), the expensive
    Taylor expansion is not redone: only the algorithm's exact step and the displayed steps.
    """
    derivation: list[tuple[str, sp.Expr]] = []
    ell = _loss(loss, A * sigma, Y)
    derivation.append((f"{loss} loss l(y, a sigma(z))", ell))
    psi1 = -sp.diff(ell, Z)  # -dl/dz: the coefficient of x in -grad_w l
    psi1 = sp.expand(psi1) if psi_full is None or sigma.is_polynomial(Z) else psi1
    a_next = A
    if rule == "online":
        step = psi1 if psi_full is None else psi_full
        derivation.append(("psi = -dl/dz", step))
        psi_full = step
    elif rule == "batch-reuse":
        z_tilde = Z + ETA * Q * psi1
        step = psi1.subs(Z, z_tilde) if not sigma.has(_GENERIC) else None
        derivation.append(("psi_1 = -dl/dz at w", psi1))
        derivation.append(("<w~, x> = z + eta q psi_1", z_tilde))
        derivation.append(("psi = psi_1(y, <w~, x>)", step))
        if psi_full is None:
            delta = ETA * D * psi1
            taylor = sp.Integer(0)
            deriv = psi1
            for j in range(used_order):
                taylor += deriv * delta**j / sp.factorial(j)
                deriv = sp.diff(deriv, Z)
            psi_full = sp.expand(taylor)
        derivation.append((f"Taylor to order {used_order} in eta d (q -> d)", psi_full))
    else:  # alternating
        a_tilde = sp.expand(A - ETA * sp.diff(ell, A))
        derivation.append(("a~ = a - eta dl/da", a_tilde))
        step = sp.expand((-sp.diff(ell, Z)).subs(A, a_tilde)) if psi_full is None else psi_full
        derivation.append(("psi = -dl/dz with a~", step))
        psi_full = step
        if keep_a:
            a_next = a_tilde
    return step, a_next, psi_full, derivation


def make_rule(rule: str, target, student, *, loss: str | None = "correlation", a=1, order: int | None = None,
              keep_a: bool | None = False, psi: str | None = None, noise=0) -> Rule:
    """Build an update rule and derive its ``psi`` with SymPy.

    Parameters
    ----------
    rule : {"online", "batch-reuse", "alternating", "custom"}
    target, student : str or Link
    loss : {"correlation", "squared"} or None
        ``None`` means the default, ``"correlation"``.  The custom rule takes no loss.
    a : number
        Second-layer value (fixed, reset to after each step, or initial when ``keep_a``).
    order : int, optional
        Batch reuse only: number of terms ``r`` of the expansion in ``eta d`` (default: the
        degree of the student, which makes the correlation-loss expansion exact).
    keep_a : bool, optional
        Alternating SGD only: keep the updated second layer instead of resetting it.
    psi : str, optional
        Custom rule only: ``psi`` as an expression in ``y, z, eta, d, a``, a polynomial in ``y``
        and ``a`` and a Laurent polynomial in ``eta, d`` with coefficients functions of ``z``
        (bounds in :data:`CUSTOM_LIMITS`).
    noise : number
        Label noise std of the target.

    Raises
    ------
    RuleError
        Unknown rule or loss; an option given to a rule it does not apply to (``None`` and
        ``False`` mean "not given"); a custom ``psi`` outside the supported class; batch
        reuse with a student that lacks the derivatives its expansion needs.

    Examples
    --------
    >>> r = make_rule("alternating", "He3", "He3")
    >>> sp.factor(r.psi - (A*Y*sp.diff(Z**3 - 3*Z, Z) + ETA*Y**2*(Z**3 - 3*Z)*sp.diff(Z**3 - 3*Z, Z)))
    0
    >>> make_rule("online", "He3", "He3").psi
    3*a*y*z**2 - 3*a*y
    >>> make_rule("online", "He3", "sign").psi_generic
    a*sigma_1*y
    >>> make_rule("online", "He3", "He3", keep_a=True)
    Traceback (most recent call last):
    ...
    theory.errors.RuleError: --keep-a applies only to the alternating rule, not to the online rule
    """
    if rule not in RULES:
        raise RuleError(f"unknown rule {rule!r}; choose one of {', '.join(RULES)}")
    if loss is not None and loss not in LOSSES:
        raise RuleError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    _check_options(rule, loss, order, keep_a, psi)
    loss = loss or "correlation"
    keep_a = bool(keep_a)
    target = target if isinstance(target, Link) else parse_link(target, noise=noise)
    if noise:
        target = target.with_noise(noise)
    student = student if isinstance(student, Link) else parse_link(student)
    a_val = _second_layer(a)
    used_order = None

    if rule == "custom":
        if not psi:
            raise RuleError("the custom rule needs --psi, an expression in y, z, eta, d (and a)")
        step = _parse_custom_psi(psi)
        psi_full = sp.expand(step)
        derivation = [("psi (given)", psi_full)]
        psi_signal, label_free = _split_label_free(psi_full)
        derivation.append(("label-dependent part psi_eta(y, z)", psi_signal))
        return Rule(rule, loss, target, student, a_val, step, A, psi_full, psi_signal, label_free, None, keep_a,
                    tuple(derivation), psi_signal, psi_full, (student.expr,), MAX_ORDER + 1)

    if rule == "batch-reuse":
        sigma = student.expr
        psi1 = sp.expand(-sp.diff(_loss(loss, A * sigma, Y), Z)) if sigma.is_polynomial(Z) else None
        deg_psi1 = sp.Poly(psi1, Z).degree() if psi1 is not None else None
        default = (deg_psi1 + 1) if deg_psi1 is not None else 2
        used_order = default if order is None else order
        if isinstance(used_order, bool) or not isinstance(used_order, int) or not 1 <= used_order <= MAX_ORDER:
            raise RuleError(f"--order must be an integer in [1, {MAX_ORDER}], got {order!r}")
        if deg_psi1 is not None and used_order > deg_psi1 + 1:
            raise RuleError(f"expansion order {used_order} is too high to be useful: psi_1 has degree {deg_psi1} "
                            f"in z, so the expansion is already exact at order {deg_psi1 + 1}")

    # generic student: psi as a polynomial in sigma^(n)
    _s, _a, full_generic, _d = _derive_psi_full(rule, loss, _GENERIC(Z), used_order, keep_a)
    needed = used_order if rule == "batch-reuse" else 1
    full_generic = _generic_to_symbols(full_generic, needed + 1)
    derivs, p = _student_derivatives(student, max(needed, 1))
    if rule == "batch-reuse" and p < used_order:
        kind = "jump" if p == 0 else "kink"
        raise RuleError(f"student {student.name!r} has no classical derivative of order {p + 1} (sigma^({p + 1}) "
                        f"contains a Dirac delta at a {kind}), which the batch-reuse rule at order {used_order} "
                        f"needs: the expansion in eta*d is a Taylor series of the student's gradient and does not "
                        f"describe the algorithm across a {kind}; use a smooth student (e.g. "
                        f"{_smooth_suggestion(student)})" + (f" or --order {p}" if p >= 2 else ""))
    subs = {SIGMA_DERIVATIVES[n]: derivs[n] for n in range(len(derivs))}
    generic_signal, generic_free = _split_label_free(full_generic)
    if student.is_polynomial:
        def concrete(expr):
            return sp.expand(expr.xreplace(subs))
    else:  # substitute without expanding: readable, and no blow-up for large students
        def concrete(expr):
            return sp.Add(*[t.xreplace(subs) for t in sp.Add.make_args(expr)])
    psi_signal, label_free = concrete(generic_signal), concrete(generic_free)
    psi_full = psi_signal + label_free
    step, a_next, _full, derivation = _derive_psi_full(rule, loss, student.expr, used_order, keep_a, psi_full)
    derivation.append(("label-dependent part psi_eta(y, z)", psi_signal))
    return Rule(rule, loss, target, student, a_val, step, a_next, psi_full, psi_signal, label_free,
                used_order, keep_a, tuple(derivation), generic_signal, full_generic, derivs, p)


def theory_psi_reference(rule: str, student: Link, order: int | None = None) -> sp.Expr:
    """docs/theory.md, section 5's forms of ``psi`` (correlation loss, ``a`` symbolic), for checks.

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
