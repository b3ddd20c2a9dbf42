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

Role of this package: one class per rule, registered by name (:func:`registry`), built by
:func:`make_rule`; :mod:`theory.rules.base` holds what they share.

Rules
-----
``online`` (:mod:`~theory.rules.online`)
    one gradient step per fresh sample: ``psi = -d/dz l(a sigma(z), y)``.
``batch-reuse`` (:mod:`~theory.rules.batch_reuse`)
    Algorithm 1 (two steps on one sample): ``w~ = w + eta psi_1 P_w^perp x`` so
    ``<w~, x> = z + eta q psi_1(y, z)``; then the step with ``gamma`` uses the gradient at
    ``w~``: ``psi = psi_1(y, z + eta q psi_1(y, z))``.
``alternating`` (:mod:`~theory.rules.alternating`)
    Algorithm 2 (layer-wise): ``a~ = a - eta dl/da`` first, then the first layer with ``a~``:
    ``psi = -d/dz l(a~ sigma(z), y)``.  The second layer is reset to ``a`` after each step
    (``keep_a=False``, the form the paper reports) or keeps ``a~`` (``keep_a=True``).
``custom`` (:mod:`~theory.rules.custom`)
    ``psi`` given by the user as an expression in ``y, z, eta, d`` (and ``a``): a polynomial
    in ``y`` and ``a`` and a Laurent polynomial in ``eta`` and ``d`` (integer powers) whose
    coefficients are functions of ``z`` (see :data:`CUSTOM_LIMITS`).
``online-transform`` (:mod:`~theory.rules.online_transform`)
    online SGD on a transformed label ``T(y)`` (a polynomial in ``y``): ``psi = a T(y) sigma'(z)``.

Options that do not apply to a rule are refused, not ignored: ``psi`` needs ``custom``,
``keep_a`` needs ``alternating``, ``order`` needs ``batch-reuse`` (``None``/``False`` mean
"not given"), and ``loss`` does not apply to ``custom``.  Each class lists its own in
``options``.

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

from theory.rules.base import DerivationStep, Rule, make_rule, register, registry, rule_class
from theory.rules.calculus import LOSSES, MAX_ORDER, SIGMA_DERIVATIVES
from theory.rules.online import Online
from theory.rules.batch_reuse import BatchReuse
from theory.rules.alternating import Alternating
from theory.rules.custom import CUSTOM_LIMITS, Custom
from theory.rules.online_transform import OnlineTransform
from theory.symbols import A, D, ETA, Q, Y

__all__ = ["Y", "Q", "A", "ETA", "D", "RULES", "LOSSES", "SIGMA_DERIVATIVES", "CUSTOM_LIMITS", "MAX_ORDER", "Rule",
           "DerivationStep", "make_rule", "register", "registry", "rule_class", "Online", "BatchReuse",
           "Alternating", "Custom", "OnlineTransform"]

#: The names of the registered rules (at import time; :func:`registry` is the live view).
RULES = tuple(registry())
