"""Theory against simulation: claims, fits, null controls and the verdict (the ``verify`` package).

What decides PASS/FAIL are the theorem's claims, which are about **scaling** (docs/theory.md
sections 6 and 10): how ``T`` grows with ``d`` in each regime, and how the threshold in
``eta`` moves with ``d``.  Everything below was fixed before looking at simulation output.

Step size (one mechanism for every point)
    ``gamma = kappa * max_i [2 i! mu_i(eta) d^-((i/2) v 1)] / E[psi_eta^2]`` over ``i`` with
    ``mu_i > 0``.  This is the theorem's scaling ``c mu_i d^-((i/2) v 1)`` with
    ``c = 2 i! kappa``: the step at which the normalisation's shrinkage of ``m`` at the
    start ``m = d^-1/2`` (``gamma^2 d E[psi^2] m / 2``) is ``kappa`` times the winning
    index's drift (docs/theory.md, section 7).  ``kappa = 1/8`` by default, inside the range the
    theorem allows (``kappa <= 1``: drift beats shrinkage at the start), and the same for
    all points; taking the max over ``i`` keeps ``gamma`` continuous in ``eta``, so it
    does not plant a kink at the predicted threshold.

Log factors (the theorem's ``Theta~``)
    Decided from the escape mechanism, not from the data
    (:attr:`PlanConstants.exponential_escape_index`): the winning index ``i = 2``
    grows ``m`` exponentially from ``d^-1/2``, which costs ``log sqrt(d)`` e-foldings, so
    its fit divides the median by ``ln d``; ``i >= 3`` escapes polynomially (time set by
    ``m0^-(i-2)``, no log) and ``i = 1`` linearly: no division.

Claims (``z = 3``: a claim passes when ``|measured - predicted| <= 3 SE``, SE from a
bootstrap over runs of the whole fit).  The list is derived from the prediction: claim 1 when
``e(alpha)`` has a flat small-``eta`` piece, claim 2 when the rule has a largest admissible ``eta``,
claims 3-4 for each threshold inside the valid range, claim 5 always.  A claim that cannot be
measured at the configured sizes (no crossing of the competing terms at finite ``d``, a finite-``d``
winning index other than the asymptotic one, a second interior threshold, no step size) is a
**SKIP** with its reason, counted in the verdict: ``pass`` only when every implied claim was
measured and passed, ``fail`` when one failed, ``incomplete`` otherwise.

    1. small-``eta`` exponent of ``T`` in ``d`` (``eta = eta*(d)/8``, inside the small-rate
       regime at every ``d``), predicted ``e(alpha)`` for large ``alpha``;
    2. large-``eta`` exponent (``eta = d^-alpha_min``: ``1`` for alternating, ``1/d`` for batch
       reuse), predicted ``e(alpha_min)``;
    3. threshold scaling: the measured break ``eta_b(d)`` -- where the normalised median
       ``T / E[psi_eta^2]`` (the diffusion of ``m`` has exactly this scaling when ``gamma`` is
       proportional to ``1/E[psi^2]``) first falls to half its small-``eta`` plateau --
       moves like ``d^-alpha*``: log-log slope ``-alpha*``;
    4. on either side of the predicted crossing ``eta*(d)`` of the two competing terms of the
       exact ``mu_i(eta)``: log-slope of normalised ``T`` against ``eta`` from ``eta*/16`` to
       ``eta*/4`` and from ``4 eta*`` to ``16 eta*``, pooled over ``d``; predicted by
       ``min_i mu_i^-2 d^((i-1) v 1)`` (0 and -2 for alternating SGD);
    5. null control: every point used above must be faster than its null run (labels drawn
       independently of ``x``, same ``gamma``) by a factor ``F = 4`` in the median.

Not deciding the verdict, reported beside it: Figure 1 at ``d = 50``, a per-point tuned
``gamma``, and the diffusion prediction of the mean hitting time (docs/theory.md, section 9).

Files: one folder per configuration (default ``results/verify-<case>-<hash of the whole
configuration>``, holding ``config.json``; a folder holding another configuration is refused),
with the sweeps' records, ``report.json`` (RFC 8259 JSON, :data:`JSON_CONVENTIONS`) and
``figure1.png``, all written atomically.  ``resume`` reuses a saved point only after checking its
records against the point (run count, run indices, seed and every configuration field).

Modules (data flows down the list; nothing here imports :mod:`theory.plots` except where
:func:`verify` draws the figure, and plots never imports verify):

* :mod:`theory.verify.config` -- :class:`VerifyConfig`, its hash and default folder;
* :mod:`theory.verify.records` -- grouping records by point, finding a point, its null control;
* :mod:`theory.verify.stats` -- log-log slopes, the break fit, the bootstrap standard error;
* :mod:`theory.verify.plan` -- which points, sizes and step sizes, derived from the prediction,
  and the method's fixed numbers (:class:`PlanConstants`);
* :mod:`theory.verify.claims` -- one class per claim kind, an estimator over records, and the
  shared :class:`Bootstrap`;
* :mod:`theory.verify.report` -- typed tables (:class:`VerifyTables`), the report and verdict;
* :mod:`theory.verify.numerics` -- the diffusion mean and the one-step trap of one point (worker tasks);
* :mod:`theory.verify.profiles` -- the named sizes, and the large profile's raw-sample transition;
* :mod:`theory.verify.run` -- the sweeps and :func:`verify`.
"""
from __future__ import annotations

from theory.verify.claims import (Bootstrap, Claim, ConstantsClaim, NullControlClaim, NullControls, ScalingClaim, Sweep,
                                  ThresholdClaim, WindowSlopeClaim, judge, skip)
from theory.verify.config import (CONFIG_FILE, CONFIG_FORMAT, DEFAULT, JSON_CONVENTIONS, MAX_STEPS_PER_RUN,
                                  NULL_FACTOR, QUICK, Z_TOL, VerifyConfig, VerifyError, config_hash, default_out_dir)
from theory.verify.plan import (Plan, PlanConstants, allowed_indices, eta_star, is_eta_independent, is_numeric,
                                make_plan, side_slopes)
from theory.verify.report import SweepCurve, VerifyReport, VerifyTables
from theory.verify.run import assess, verify
from theory.verify.stats import fit_break

__all__ = ["VerifyConfig", "Claim", "VerifyReport", "verify", "DEFAULT", "QUICK", "config_hash",
           "default_out_dir", "JSON_CONVENTIONS", "VerifyError", "assess", "VerifyTables", "SweepCurve", "Plan",
           "PlanConstants", "make_plan", "Bootstrap", "ScalingClaim", "ThresholdClaim", "WindowSlopeClaim",
           "NullControls", "NullControlClaim", "ConstantsClaim", "Sweep", "judge", "skip", "fit_break", "allowed_indices",
           "side_slopes", "eta_star", "is_eta_independent", "is_numeric", "CONFIG_FILE", "CONFIG_FORMAT",
           "MAX_STEPS_PER_RUN", "NULL_FACTOR", "Z_TOL"]

