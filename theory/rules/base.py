"""The base class of update rules, their registry, and :func:`make_rule`.

Role: what every rule shares.  A rule is one subclass of :class:`Rule`, registered with
:func:`register`, that declares

* ``name`` (the CLI's ``--rule``), ``help`` (one line for listings);
* ``options``: the options that apply to it, with their defaults (``loss``, ``order``,
  ``keep_a``, ``psi``, or its own); any other option given to it is refused;
* ``alpha_min`` and ``alpha_reason``: its validity range ``eta = d^-alpha`` with ``alpha >= alpha_min``;
* ``eta_independent``: whether ``psi`` (hence every ``mu_i``) is independent of ``eta`` by construction;
* how ``psi`` follows from its step (:meth:`Rule.algorithm`), as :class:`DerivationStep` records
  that carry their LaTeX label and note.

:func:`make_rule` looks the class up by name; :attr:`Rule.spec` is the plain JSON-able
description that :func:`make_rule` (or :meth:`Rule.from_spec`) turns back into an equal rule.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import ClassVar

import sympy as sp

from theory.display import RichDisplay
from theory.errors import RuleError
from theory.links import Link, parse_link
from theory.rules.calculus import (GENERIC_STUDENT, LOSSES, MAX_ORDER, SIGMA_DERIVATIVES, generic_to_symbols,
                                   loss_expr, smooth_suggestion, split_label_free, student_derivatives)
from theory.symbols import A, Y, Z

__all__ = ["DerivationStep", "Derived", "Rule", "GradientRule", "register", "registry", "rule_class", "make_rule",
           "LABEL_STEP"]


@dataclass(frozen=True)
class DerivationStep:
    """One step of a rule's derivation of ``psi``.

    Attributes
    ----------
    text : str
        The plain description (``"psi = -dl/dz"``).
    expr : sympy.Expr
        The expression this step produces.
    latex : str
        The left-hand side in LaTeX (``\\psi = -\\partial_z \\ell``).
    note : str
        A short LaTeX-ready note on the step (``"one gradient step"``).

    A step unpacks as ``(text, expr)``, the pair the derivation held before it was typed.

    Examples
    --------
    >>> text, expr = DerivationStep("psi (given)", Y * Z, r"\\psi", "given")
    >>> text, expr
    ('psi (given)', y*z)
    """

    text: str
    expr: sp.Expr
    latex: str
    note: str

    def __iter__(self):
        return iter((self.text, self.expr))


#: The last step of every rule: the label-dependent part of ``psi``.
LABEL_STEP = ("label-dependent part psi_eta(y, z)", r"\psi_\eta(y, z)", "label-dependent part (the terms with $y$)")


@dataclass(frozen=True)
class Derived:
    """What :meth:`Rule.algorithm` returns: the exact step, the new second layer, ``psi_full``, the steps."""

    step: sp.Expr | None
    a_next: sp.Expr
    psi_full: sp.Expr
    steps: tuple


_REGISTRY: dict[str, type] = {}


def register(cls: type) -> type:
    """Class decorator: add a :class:`Rule` subclass to the registry under ``cls.name``."""
    if not (isinstance(cls, type) and issubclass(cls, Rule)) or not cls.name:
        raise TypeError(f"register needs a Rule subclass with a name, got {cls!r}")
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"a rule named {cls.name!r} is already registered")
    _REGISTRY[cls.name] = cls
    return cls


def registry() -> dict[str, type]:
    """``{name: rule class}`` of every registered rule, in registration order.

    Each class carries ``help`` (one line) and ``options`` (``{option: default}``, the options
    that apply to it); a CLI lists rules and options from here.

    Examples
    --------
    >>> list(registry())[:4]
    ['online', 'batch-reuse', 'alternating', 'custom']
    >>> registry()["alternating"].options
    {'loss': 'correlation', 'keep_a': False, 'depth': 2}
    """
    return dict(_REGISTRY)


def rule_class(name) -> type:
    """The registered class of rule ``name``; :class:`RuleError` for an unknown name."""
    cls = _REGISTRY.get(name) if isinstance(name, str) else None
    if cls is None:
        raise RuleError(f"unknown rule {name!r}; choose one of {', '.join(_REGISTRY)}")
    return cls


def _json_number(x: sp.Expr):
    """An exact number as JSON: an int, a float when it round-trips exactly, else its text (``'1/3'``)."""
    if x.is_Integer:
        return int(x)
    f = float(x)
    return f if math.isfinite(f) and sp.Rational(repr(f)) == x else str(x)


def _second_layer(a) -> sp.Expr:
    """The second-layer value as an exact number (floats by their shortest repr: 0.1 is 1/10; text as a rational)."""
    if isinstance(a, sp.Expr) and a.is_number and a.is_real and a.is_finite:
        return a
    if isinstance(a, str):
        try:
            a = sp.Rational(a)
        except (TypeError, ValueError, SyntaxError):
            raise RuleError(f"the second layer a must be a finite real number, got {a!r}") from None
        if not (a == 0 or sp.Rational(1, 10**300) <= abs(a) <= 10**300):
            raise RuleError(f"the second layer a = {a} is outside the supported range (0 or 1e-300 <= |a| <= 1e300)")
        return a
    if isinstance(a, bool) or not isinstance(a, (int, float)) or (isinstance(a, float) and not math.isfinite(a)):
        raise RuleError(f"the second layer a must be a finite real number, got {a!r}")
    if isinstance(a, float) and not (a == 0 or 1e-300 <= abs(a) <= 1e300):
        raise RuleError(f"the second layer a = {a!r} is outside the supported range (0 or 1e-300 <= |a| <= 1e300)")
    if isinstance(a, int) and abs(a) > 10**300:
        raise RuleError("the second layer a is outside the supported range (|a| <= 1e300)")
    return sp.Rational(repr(a)) if isinstance(a, float) else sp.Integer(a)


@dataclass(frozen=True)
class Rule(RichDisplay):
    """An update rule with its derived ``psi`` (the base class; each rule is a registered subclass).

    Attributes
    ----------
    name : str
        The rule's name (``make_rule``'s first argument, the CLI's ``--rule``). It is a class
        attribute, as are ``help``, ``options``, ``alpha_min``, ``alpha_reason``,
        ``eta_independent`` and ``loss_refusal``.
    help : str
        One line describing the algorithm.
    options : dict
        ``{option: default}`` of the options that apply (``loss``, ``order``, ``keep_a``, ``psi``, ...).
    alpha_min, alpha_reason
        The validity range ``alpha >= alpha_min`` of ``eta = d^-alpha`` and why (:attr:`eta_range`).
    eta_independent : bool
        ``True`` when ``psi`` does not depend on ``eta`` by construction, so no ``mu_i`` does
        (no threshold and no finite-``d`` crossing can exist).
    loss_refusal : str
        Why ``--loss`` is refused, for a rule without the ``loss`` option.
    loss : str
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
    order : int or None
        The expansion order (batch reuse; ``None`` for the other rules).
    keep_a : bool
        Whether the second layer keeps its update (alternating; ``False`` for the other rules).
    derivation : tuple of DerivationStep
        The derivation steps, for reports; each unpacks as ``(text, expr)``.
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

    name: ClassVar[str] = ""
    help: ClassVar[str] = ""
    options: ClassVar[dict] = {}
    #: ``{option: help}`` for options of this class that the shared ones (loss, order, keep_a, psi)
    #: do not cover; a command-line interface adds ``--option`` for each, with this help.
    option_help: ClassVar[dict] = {}
    alpha_min: ClassVar[sp.Expr] = sp.Integer(0)
    alpha_reason: ClassVar[str] = "eta <= 1"
    eta_independent: ClassVar[bool] = False
    loss_refusal: ClassVar[str] = "it has no loss"

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

    # -- what a rule class provides ------------------------------------------------------------
    @classmethod
    def build(cls, target: Link, student: Link, a: sp.Expr, options: dict) -> "Rule":
        """The rule for ``target``, ``student``, second layer ``a`` and its resolved ``options``."""
        raise NotImplementedError

    def option_values(self) -> dict:
        """``{option: value}`` of this rule's options (what :attr:`spec` records)."""
        return {k: getattr(self, k) for k in type(self).options}

    def algorithm_label(self) -> str:
        """The algorithm part of :attr:`label` (``"online SGD (correlation loss)"``)."""
        return f"{self.name} SGD ({self.loss} loss)"

    # -- shared behaviour ------------------------------------------------------------------------
    @classmethod
    def resolve_options(cls, given: dict) -> dict:
        """Refuse options that do not apply; return every option of the class, defaults filled in.

        ``given`` holds the options a caller set (``None``/``False`` already mean "not given").
        """
        for key in ("psi", "keep_a", "order", *sorted(set(given) - {"psi", "keep_a", "order", "loss"})):
            if key in given and key not in cls.options:
                owners = [n for n, c in _REGISTRY.items() if key in c.options]
                flag = "--" + key.replace("_", "-")
                if len(owners) == 1:
                    raise RuleError(f"{flag} applies only to the {owners[0]} rule, not to the {cls.name} rule")
                raise RuleError(f"{flag} does not apply to the {cls.name} rule, got {given[key]!r}")
        if "loss" in given and "loss" not in cls.options:
            raise RuleError(f"--loss does not apply to the {cls.name} rule ({cls.loss_refusal}), got {given['loss']!r}")
        return {k: given.get(k, default) for k, default in cls.options.items()}

    @classmethod
    def from_spec(cls, spec: dict) -> "Rule":
        """The rule :attr:`spec` describes (``make_rule(**spec)``)."""
        return make_rule(**spec)

    @property
    def spec(self) -> dict:
        """A plain JSON-able description: ``make_rule(**rule.spec)`` gives an equal rule.

        Keys: ``rule``, ``target``, ``student`` (link names), ``a`` and ``noise`` (exact: an int,
        a float that round-trips, or a rational as text) and every option of the rule.

        Examples
        --------
        >>> r = make_rule("custom", "He3", psi="y*z**2")
        >>> r.spec
        {'rule': 'custom', 'target': 'He3', 'student': 'He3', 'a': 1, 'noise': 0, 'psi': 'y*z**2'}
        >>> make_rule(**r.spec) == r
        True
        """
        out = {"rule": self.name, "target": self.target.name, "student": self.student.name,
               "a": _json_number(self.a), "noise": _json_number(sp.nsimplify(self.target.noise))}
        out.update(self.option_values())
        return out

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
                f"simulated (a smooth student such as {smooth_suggestion(self.student)} can)")

    @property
    def eta_range(self) -> tuple[sp.Expr, str]:
        """Smallest ``alpha`` (``eta = d^-alpha``) where the theory applies, and why."""
        return self.alpha_min, self.alpha_reason

    @property
    def label(self) -> str:
        """One line: the algorithm, the target and the student."""
        return f"{self.algorithm_label()}, target {self.target.name}, student {self.student.name}"

    def latex_note(self) -> str:
        """Text-mode LaTeX the reports add after the derivation of ``psi`` (default: none).

        A rule whose options change the algorithm beyond its step records (the deep variant of
        alternating SGD) says here what the network and the order of its updates are.
        """
        return ""

    def psi_at(self, a=None) -> sp.Expr:
        """``psi`` with the second layer ``a`` substituted (default: the rule's ``a``)."""
        return self.psi.subs(A, self.a if a is None else a)


@dataclass(frozen=True)
class GradientRule(Rule):
    """A rule made of gradient steps on a loss: ``psi`` is derived once for a generic student.

    Subclasses provide :meth:`algorithm` (the step, for a student ``sigma`` given as an expression
    in ``z``) and may override :meth:`label_of` (the label the loss sees), :meth:`expansion_order`
    and :meth:`derivative_order`.
    """

    options: ClassVar[dict] = {"loss": "correlation"}

    @classmethod
    def label_of(cls, options: dict) -> sp.Expr:
        """The label the loss is evaluated on (``y``; a transform of it for some rules)."""
        return Y

    @classmethod
    def loss_steps(cls, options: dict, sigma: sp.Expr) -> tuple[sp.Expr, list]:
        """``(l(label, a sigma), [its derivation step])``."""
        loss = options["loss"]
        ell = loss_expr(loss, A * sigma, cls.label_of(options))
        return ell, [DerivationStep(f"{loss} loss l(y, a sigma(z))", ell, r"\ell\bigl(y, a\sigma(z)\bigr)",
                                    f"{loss} loss")]

    @classmethod
    def algorithm(cls, options: dict, sigma: sp.Expr, psi_full: sp.Expr | None = None) -> Derived:
        """The step for the student ``sigma`` (any expression in ``z``, or the generic one).

        With ``psi_full`` given (the generic result with the student substituted) an expensive
        expansion is not redone: only the algorithm's exact step and the displayed steps.
        """
        raise NotImplementedError

    @classmethod
    def expansion_order(cls, student: Link, options: dict) -> int | None:
        """The expansion order the rule uses (``None``: none); may refuse the options."""
        return None

    @classmethod
    def derivative_order(cls, options: dict) -> int:
        """How many derivatives of the student the rule's ``psi`` uses."""
        return 1

    @classmethod
    def check_student(cls, student: Link, classical: int, options: dict) -> None:
        """Refuse a student whose classical order is too low for the rule (default: accept)."""

    @classmethod
    def build(cls, target: Link, student: Link, a: sp.Expr, options: dict) -> "Rule":
        options = dict(options, order=cls.expansion_order(student, options)) if "order" in options else options
        needed = cls.derivative_order(options)
        generic = cls.algorithm(options, GENERIC_STUDENT(Z))
        full_generic = generic_to_symbols(generic.psi_full, needed + 1)
        derivs, p = student_derivatives(student, max(needed, 1))
        cls.check_student(student, p, options)
        subs = {SIGMA_DERIVATIVES[n]: derivs[n] for n in range(len(derivs))}
        generic_signal, generic_free = split_label_free(full_generic)
        if student.is_polynomial:
            def concrete(expr):
                return sp.expand(expr.xreplace(subs))
        else:  # substitute without expanding: readable, and no blow-up for large students
            def concrete(expr):
                return sp.Add(*[t.xreplace(subs) for t in sp.Add.make_args(expr)])
        psi_signal, label_free = concrete(generic_signal), concrete(generic_free)
        psi_full = psi_signal + label_free
        derived = cls.algorithm(options, student.expr, psi_full)
        steps = derived.steps + (DerivationStep(LABEL_STEP[0], psi_signal, *LABEL_STEP[1:]),)
        own = {f.name for f in fields(cls)}
        extra = {k: v for k, v in options.items() if k in own and k != "loss"}
        return cls(options["loss"], target, student, a, derived.step, derived.a_next, psi_full, psi_signal,
                   label_free, derivation=steps, psi_generic=generic_signal, psi_full_generic=full_generic,
                   student_derivatives=derivs, classical_order=p, **extra)


def make_rule(rule: str, target, student=None, *, loss: str | None = "correlation", a=1, order: int | None = None,
              keep_a: bool | None = False, psi: str | None = None, noise=0, **options) -> Rule:
    """Build an update rule and derive its ``psi`` with SymPy.

    Parameters
    ----------
    rule : str
        A registered rule (:func:`registry`): ``"online"``, ``"batch-reuse"``, ``"alternating"``,
        ``"custom"``, ``"online-transform"``.
    target : str or Link
    student : str or Link, optional
        Default: the target.
    loss : {"correlation", "squared"} or None
        ``None`` means the default, ``"correlation"``.  The custom rule takes no loss.
    a : number or str
        Second-layer value (fixed, reset to after each step, or initial when ``keep_a``); a
        string is read as an exact rational (``"1/3"``).
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
    **options
        Options of other registered rules (``transform`` of ``online-transform``).

    Returns
    -------
    Rule
        An instance of the rule's registered class.

    Raises
    ------
    RuleError
        Unknown rule or loss; an option given to a rule it does not apply to (``None`` and
        ``False`` mean "not given"); a custom ``psi`` outside the supported class; batch
        reuse with a student that lacks the derivatives its expansion needs.

    Examples
    --------
    >>> from theory.symbols import ETA
    >>> r = make_rule("alternating", "He3", "He3")
    >>> sp.factor(r.psi - (A*Y*sp.diff(Z**3 - 3*Z, Z) + ETA*Y**2*(Z**3 - 3*Z)*sp.diff(Z**3 - 3*Z, Z)))
    0
    >>> make_rule("online", "He3").psi
    3*a*y*z**2 - 3*a*y
    >>> make_rule("online", "He3", "sign").psi_generic
    a*sigma_1*y
    >>> make_rule("online", "He3", "He3", keep_a=True)
    Traceback (most recent call last):
    ...
    theory.errors.RuleError: --keep-a applies only to the alternating rule, not to the online rule
    """
    cls = rule_class(rule)
    if loss is not None and loss not in LOSSES:
        raise RuleError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    given = {k: v for k, v in dict(options, order=order, keep_a=keep_a, psi=psi).items()
             if v is not None and v is not False}
    if "keep_a" in given:
        given["keep_a"] = bool(given["keep_a"])
    if loss not in (None, "correlation"):
        given["loss"] = loss
    resolved = cls.resolve_options(given)
    target = target if isinstance(target, Link) else parse_link(target, noise=noise)
    if noise:
        target = target.with_noise(noise)
    if student is None:  # the target's link, without its label noise
        student = Link(target.expr, target.name)
    student = student if isinstance(student, Link) else parse_link(student)
    return cls.build(target, student, _second_layer(a), resolved)
