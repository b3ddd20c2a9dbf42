"""Code generation for the simulators: SymPy expressions to numpy functions and numba kernels.

The symbolic layers (links, rules) describe an algorithm by expressions; this module is the one
place that turns them into numbers:

* :func:`fast_lambdify` -- ``sympy.lambdify`` with small integer powers written as products and
  polynomials in Horner form (``x**3`` in numpy is about 30 times slower than ``x*x*x``);
* :func:`link_function` -- a link ``sigma_*`` as a vectorised numpy function of ``u``;
* :class:`StepKernel` -- a rule's ``step`` and ``a_next`` (SymPy in ``y, z, q, a, eta, d``) at a
  fixed ``eta`` and ``d``, as the vectorised kernel ``(y, z, q, a) -> (psi, a_next)`` of a
  :class:`~theory.simulate.StepModel`; picklable, built lazily;
* :class:`CompiledKernel` -- the same step compiled by numba as a scalar function
  ``f(y, z, q, a, eta, d)``, which the reduced engine runs inside :func:`compiled_run_loop` (or
  :func:`compiled_step_loop`);
* :func:`compiled_target` -- a link's scalar function compiled by numba, for the labels of
  :func:`compiled_run_loop`, when it gives the numpy function's bits (see there);
* :func:`rule_kernels` -- both kernels, from a :class:`~theory.rules.Rule`'s public attributes.

Compilation is lazy and cached per expression.  When numba cannot compile an expression (or is not
installed) a :class:`RuntimeWarning` names the kernel and the reason, once, and the engine runs the
vectorised numpy path, which gives the same hitting times about 100 times more slowly.  Only
numba's own errors and SymPy's "unsupported by this printer" error count as "cannot compile";
any other exception is a bug and propagates.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np
import sympy as sp
from sympy.printing.codeprinter import PrintMethodNotImplementedError

from theory.errors import RuleError
from theory.simulate.common import StepModel
from theory.simulate.draws import address, generator_at
from theory.simulate.step import (make_run_loop, make_step_loop, overlap_geometry, overlap_update, reached,
                                  step_is_finite)
from theory.symbols import A, D, ETA, Q, Y, Z

__all__ = ["fast_lambdify", "link_function", "LinkFunction", "StepKernel", "CompiledKernel", "rule_kernels",
           "compiled_step_loop", "compiled_run_loop", "compiled_target", "step_model", "KERNEL_ARGS"]

#: Arguments of a compiled kernel, in order.
KERNEL_ARGS = (Y, Z, Q, A, ETA, D)
_MAX_PRODUCT_POWER = 12  # x**n with 2 <= n <= 12 is printed as n - 1 products


def _print_pow_as_products(printer, e, fallback):
    if e.exp.is_Integer and 2 <= e.exp <= _MAX_PRODUCT_POWER:
        base = printer.parenthesize(e.base, 100)
        return "(" + "*".join([base] * int(e.exp)) + ")"
    return fallback(e)


def _numpy_printer():
    from sympy.printing.numpy import NumPyPrinter

    class Printer(NumPyPrinter):
        def _print_Pow(self, e, rational=False):
            return _print_pow_as_products(self, e, lambda x: NumPyPrinter._print_Pow(self, x, rational=rational))

    return Printer({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True,
                    "user_functions": {}})


def _math_printer():
    from sympy.printing.pycode import PythonCodePrinter

    class Printer(PythonCodePrinter):
        def _print_Pow(self, e, rational=False):
            return _print_pow_as_products(self, e, lambda x: PythonCodePrinter._print_Pow(self, x, rational=rational))

    return Printer({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": False,
                    "user_functions": {}})


def _numpy_modules(module: str):
    if module == "numpy":
        import scipy.special

        return [{"Heaviside": lambda x, h0=0.5: np.heaviside(x, 0.5), "erf": scipy.special.erf,
                 "sign": np.sign}, "numpy"]
    return [module]


def fast_lambdify(args, expr, module: str = "numpy"):
    """``sympy.lambdify`` whose code writes small integer powers as products.

    Parameters
    ----------
    args : sequence of sympy.Symbol
        The function's arguments, in order.
    expr : sympy.Expr
        An expression this package built (never text).
    module : {"numpy", "math"} or str
        ``"numpy"``: vectorised (``Heaviside(0) = 1/2``, ``erf`` from SciPy); ``"math"``: scalar
        code from the ``math`` module, which numba compiles; another name is passed to lambdify.

    Returns
    -------
    callable

    Examples
    --------
    >>> import numpy as np
    >>> f = fast_lambdify([Z], Z**3 - 3*Z)
    >>> f(np.array([2.0]))
    array([2.])
    >>> fast_lambdify([Z], sp.erf(Z) ** sp.Rational(1, 2), "math")(1.0) == sp.sqrt(sp.erf(1)).evalf(15)
    True
    """
    if not isinstance(expr, sp.Basic):  # never text: only expressions this package built
        raise TypeError(f"fast_lambdify needs a SymPy expression, got {type(expr).__name__}")
    syms = [a for a in args if isinstance(a, sp.Symbol)]
    if syms and expr.is_polynomial(*syms):
        try:
            expr = sp.horner(sp.expand(expr), *syms[::-1])
        except (sp.PolynomialError, ValueError, TypeError):
            pass
    if module == "math":
        return sp.lambdify(args, expr, modules=["math"], printer=_math_printer())
    return sp.lambdify(args, expr, modules=_numpy_modules(module), printer=_numpy_printer())


class LinkFunction:
    """A link's expression ``expr`` in ``z`` as a vectorised numpy function of ``u``; picklable.

    The expression stays attached, so the reduced engine can compile the same function for its
    per-run loop (:func:`compiled_target`).

    Examples
    --------
    >>> import numpy as np
    >>> LinkFunction(Z**3 - 3*Z)(np.array([1.0, 2.0]))
    array([-2.,  2.])
    """

    def __init__(self, expr):
        self.expr = expr
        self._fn = None

    def __getstate__(self):
        return {"expr": self.expr}

    def __setstate__(self, state):
        self.__init__(state["expr"])

    def __call__(self, u):
        if self._fn is None:
            self._fn = fast_lambdify([Z], self.expr)
        return self._fn(u)


def link_function(link) -> Callable[[np.ndarray], np.ndarray]:
    """A link ``sigma_*`` as a vectorised numpy function of ``u`` (float64 in, float64 out).

    Parameters
    ----------
    link : theory.links.Link

    Returns
    -------
    LinkFunction

    Examples
    --------
    >>> import numpy as np
    >>> from theory.links import parse_link
    >>> link_function(parse_link("He3"))(np.array([1.0, 2.0]))
    array([-2.,  2.])
    """
    return LinkFunction(link.expr)


class StepKernel:
    """The vectorised kernel ``(y, z, q, a) -> (psi, a_next)`` of a step at fixed ``eta`` and ``d``.

    Parameters
    ----------
    step, a_next : sympy.Expr
        ``psi`` and the next second layer, in ``y, z, q, a, eta`` (and ``d``).
    eta : float
    d : int or None
        Needed when the expressions contain ``d``.

    Examples
    --------
    >>> import numpy as np
    >>> k = StepKernel(A * Y * (3 * Z**2 - 3), A, 0.01, None)
    >>> psi, a = k(np.array([1.0]), np.array([2.0]), np.array([5.0]), np.array([1.0]))
    >>> float(psi[0]), float(a[0])
    (9.0, 1.0)
    """

    def __init__(self, step, a_next, eta, d):
        self.step, self.a_next, self.eta, self.d = step, a_next, eta, d
        self._fn = None

    def __getstate__(self):
        return {"step": self.step, "a_next": self.a_next, "eta": self.eta, "d": self.d}

    def __setstate__(self, state):
        self.__init__(state["step"], state["a_next"], state["eta"], state["d"])

    def _build(self):
        subs = {ETA: self.eta}
        if self.d is not None:
            subs[D] = self.d
        step, a_next = self.step.subs(subs), self.a_next.subs(subs)
        if D in (step.free_symbols | a_next.free_symbols):
            raise RuleError("this rule's psi uses d: give d when building its numeric kernel")
        args = (Y, Z, Q, A)
        self._fn = (fast_lambdify(args, sp.N(step, 17)), fast_lambdify(args, sp.N(a_next, 17)))

    def __call__(self, y, z, q, a):
        if self._fn is None:
            self._build()
        psi = np.asarray(self._fn[0](y, z, q, a), dtype=float)
        a_new = np.asarray(self._fn[1](y, z, q, a), dtype=float)
        shape = np.broadcast(y, z, q, a).shape
        return np.broadcast_to(psi, shape), np.broadcast_to(a_new, shape)


_COMPILED: dict = {}  # (str(step), str(a_next)) -> numba dispatcher, or None after a warned failure
_LOOP: list = []      # the compiled step loop, built once
_RUN_LOOP: dict = {}  # (kernel, target) -> the compiled run loop
_TARGETS: dict = {}   # str(expr) -> compiled scalar target, or None


def _numba():
    """The numba module, or ``None`` (after warning once) when it is not installed."""
    try:
        import numba
    except ImportError as exc:
        if not _COMPILED.get("numba-missing-warned"):
            _COMPILED["numba-missing-warned"] = True
            warnings.warn(f"numba is not importable ({exc}); the reduced engine runs its vectorised numpy path, "
                          "about 100 times slower", RuntimeWarning, stacklevel=3)
        return None
    return numba


def _compile_scalar(step, a_next):
    """``kernel(y, z, q, a, eta, d) -> (psi, a_next)`` compiled by numba (raises on failure)."""
    numba = _numba()
    if numba is None:
        return None
    f_psi = numba.njit(fast_lambdify(KERNEL_ARGS, sp.N(step, 17), "math"))
    f_a = numba.njit(fast_lambdify(KERNEL_ARGS, sp.N(a_next, 17), "math"))

    @numba.njit
    def kernel(y, z, q, a, eta, d):
        return f_psi(y, z, q, a, eta, d), f_a(y, z, q, a, eta, d)

    kernel(0.5, 0.25, 3.0, 1.0, 0.01, 10.0)  # compile now, so that a failure is seen here
    return kernel


def _compile_failures():
    """The exceptions that mean "this expression cannot be compiled" (not a bug)."""
    from numba.core.errors import NumbaError

    return (NumbaError, PrintMethodNotImplementedError)


@dataclass(frozen=True, eq=False)
class CompiledKernel:
    """A step compiled by numba: the scalar kernel ``f(y, z, q, a, eta, d)`` and its arguments.

    The reduced engine calls :meth:`function` once per simulation; compilation happens there, the
    first time, and is cached per expression.  When it fails, :meth:`function` warns once
    (:class:`RuntimeWarning`, naming the kernel and the reason) and returns ``None``: the engine
    then runs the vectorised path, with the same hitting times.

    Parameters
    ----------
    step, a_next : sympy.Expr
        ``psi`` and the next second layer, in ``y, z, q, a, eta, d``.
    eta : float
    d : float
        ``0.0`` when the expressions do not use ``d``.
    name : str
        Named in the warning.

    Examples
    --------
    >>> k = CompiledKernel(A * Y * (3 * Z**2 - 3), A, 0.0, 0.0, "online")
    >>> fn = k.function()
    >>> fn(1.0, 2.0, 5.0, 1.0, k.eta, k.d)
    (9.0, 1.0)
    """

    step: sp.Expr
    a_next: sp.Expr
    eta: float
    d: float
    name: str = ""

    def function(self):
        """The compiled scalar kernel, or ``None`` after a (warned) compilation failure."""
        key = (str(self.step), str(self.a_next))
        if key not in _COMPILED:
            _COMPILED[key] = None
            try:
                _COMPILED[key] = _compile_scalar(self.step, self.a_next)
            except _compile_failures() as exc:
                reason = " ".join(str(exc).split())[:300]
                warnings.warn(f"numba cannot compile the kernel of {self.name or key[0]!r} "
                              f"({type(exc).__name__}: {reason}); the reduced engine runs its vectorised "
                              "numpy path instead (same hitting times, about 100 times slower)",
                              RuntimeWarning, stacklevel=2)
        return _COMPILED[key]


def rule_kernels(rule, eta: float, d: int | None = None) -> tuple[StepKernel, CompiledKernel]:
    """The vectorised and the compiled kernel of a rule's exact step at ``eta`` and ``d``.

    Parameters
    ----------
    rule : theory.rules.Rule
        Read through its public ``step``, ``a_next``, ``distributional`` and ``label``.
    eta : float
    d : int, optional
        Needed when the rule's step uses ``d`` (batch reuse).

    Returns
    -------
    (StepKernel, CompiledKernel)

    Raises
    ------
    RuleError
        When ``psi`` contains a Dirac delta (a student with a jump): per sample its gradient is zero
        almost surely, which is not the algorithm the drift describes.

    Examples
    --------
    >>> import numpy as np
    >>> from theory.rules import make_rule
    >>> numeric, compiled = rule_kernels(make_rule("online", "He3", "He3"), 0.0)
    >>> float(numeric(np.array(1.0), np.array(2.0), np.array(9.0), np.array(1.0))[0]), compiled.d
    (9.0, 0.0)
    """
    if rule.distributional or rule.step.has(sp.DiracDelta):
        raise RuleError("no numeric kernel: " + (rule.singularity_note() or
                        f"the step of the {rule.name} rule contains a Dirac delta"))
    numeric = StepKernel(rule.step, rule.a_next, float(eta), None if d is None else int(d))
    compiled = CompiledKernel(rule.step, rule.a_next, float(eta), float(d) if d is not None else 0.0,
                              rule.label)
    return numeric, compiled


def compiled_step_loop():
    """The per-run loop of :func:`theory.simulate.step.make_step_loop`, compiled by numba (once).

    The step and event functions of :mod:`theory.simulate.step` are compiled as they are and passed
    in, so the compiled loop runs exactly the arithmetic of the vectorised path.  ``None`` (after a
    warning) when numba is not installed.
    """
    if not _LOOP:
        numba = _numba()
        if numba is None:
            return None
        # inlined into the loop at numba-IR level (same operations; compiles faster than four calls)
        parts = [numba.njit(inline="always")(f) for f in (overlap_geometry, overlap_update, step_is_finite, reached)]
        _LOOP.append(numba.njit(make_step_loop(*parts)))
    return _LOOP[0]


def compiled_run_loop(kern, label):
    """The per-run loop of :func:`theory.simulate.step.make_run_loop` for ``kern`` and ``label``, compiled by numba.

    Built from the same step and event functions as :func:`compiled_step_loop`, once per pair of
    compiled kernel and target (their code is compiled into the loop, so a call types only numbers);
    the two generators are passed by address (:func:`theory.simulate.draws.address`) and opened
    with :func:`theory.simulate.draws.generator_at`.  ``None`` (after a warning) without numba or
    when the loop does not compile.
    """
    key = (kern, label)
    if key not in _RUN_LOOP:
        numba = _numba()
        if numba is None:
            return None
        _RUN_LOOP[key] = None
        parts = [numba.njit(inline="always")(f) for f in (overlap_geometry, overlap_update, step_is_finite, reached)]
        loop = numba.njit(make_run_loop(kern, label, *parts, stream=generator_at()))
        g = np.random.default_rng(0)
        try:  # compile now, with the argument types of the engine's calls
            loop(0.0, 0.0, 0.1, 1.0, 0, 1e-3, 0.5, False, address(g), address(g), 1.5, False, False, 0.0)
        except _compile_failures() as exc:
            reason = " ".join(str(exc).split())[:300]
            warnings.warn(f"numba cannot compile the run loop ({type(exc).__name__}: {reason}); the reduced engine "
                          "steps through records drawn by numpy instead (same hitting times, about twice as slow)",
                          RuntimeWarning, stacklevel=2)
        else:
            _RUN_LOOP[key] = loop
    return _RUN_LOOP[key]


# Operations whose float64 result is correctly rounded (or exact), so numpy's vectorised loops and
# numba's scalar code give the same bits: +, -, *, /, sqrt, small integer powers (printed as
# products), abs, max, min, sign.  exp, log, tanh, erf, ... are not: numpy may use its own SIMD
# implementations where numba calls the C library, and the two can differ in the last bit.
_EXACT_HEADS = (sp.Symbol, sp.Number, sp.Add, sp.Mul, sp.Abs, sp.Max, sp.Min, sp.sign)


def _exact_in_float64(expr) -> bool:
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Pow):
            e = node.exp
            if not ((e.is_Integer and -1 <= e <= _MAX_PRODUCT_POWER and e != 0) or e in (sp.S.Half, -sp.S.Half)):
                return False
        elif not isinstance(node, _EXACT_HEADS):
            return False
    return expr.free_symbols <= {Z}


def compiled_target(target):
    """The scalar numba function of a model's target, when it gives the numpy function's bits, else ``None``.

    Only a :class:`LinkFunction` (which carries its expression) qualifies, and only when every
    operation of its expression is correctly rounded in float64 (arithmetic, ``sqrt``, small integer
    powers, ``abs``, ``max``, ``min``, ``sign``: the polynomial links ``He_k``, ``h_k``, ``relu``,
    ``abs``) and the compiled function reproduces the numpy one bit for bit on 10^4 probe points.
    Otherwise (``tanh``, ``erf``, ``exp``, ...: numpy may round differently from the C library)
    the reduced engine draws its records in blocks and computes the labels with numpy, which gives
    the same numbers more slowly.

    Examples
    --------
    >>> from theory.links import parse_link
    >>> h3 = link_function(parse_link("h3"))
    >>> compiled_target(h3)(2.0) == float(h3(2.0))
    True
    >>> compiled_target(link_function(parse_link("tanh"))) is None
    True
    """
    expr = getattr(target, "expr", None)
    if not isinstance(target, LinkFunction) or not isinstance(expr, sp.Basic):
        return None
    key = str(expr)
    if key not in _TARGETS:
        _TARGETS[key] = None
        numba = _numba() if _exact_in_float64(expr) else None
        if numba is not None:
            try:
                fn = numba.njit(fast_lambdify([Z], expr, "math"))
                probe = np.concatenate([np.random.default_rng(0).standard_normal(10_000), np.linspace(-9, 9, 37)])
                mine = np.array([float(fn(float(u))) for u in probe])
                ref = np.broadcast_to(np.asarray(target(probe), dtype=np.float64), probe.shape)
                if np.array_equal(mine.view(np.uint64), ref.view(np.uint64)):
                    _TARGETS[key] = fn
            except _compile_failures():
                pass  # the block path computes the labels with numpy: same numbers
    return _TARGETS[key]


def step_model(rule, eta: float, d: int | None = None):
    """The :class:`~theory.simulate.common.StepModel` of ``rule`` at learning rate ``eta`` (and ``d``).

    The target's numpy function, the vectorised kernel of ``rule.step``/``rule.a_next`` and its
    compiled twin, the label noise and the initial second layer.

    Examples
    --------
    >>> from theory.rules import make_rule
    >>> m = step_model(make_rule("online", "He3"), 0.0, 10)
    >>> float(m.kernel(np.array(1.0), np.array(2.0), np.array(9.0), np.array(1.0))[0]), m.name
    (9.0, 'online SGD (correlation loss), target He3, student He3')
    """
    numeric, compiled = rule_kernels(rule, eta, d)
    return StepModel(target=link_function(rule.target), kernel=numeric, noise=float(rule.target.noise),
                     a0=float(rule.a), name=rule.label, compiled=compiled)
