"""The ``predict`` sub-command: psi, drift coefficients, the exponent curve and its thresholds.

Role: parse the rule options, ``--imax``, and optionally a finite ``--d`` (and ``--eta``), and
print :func:`theory.predict.predict` (and :func:`theory.predict.finite_d_report`); no mathematics
lives here.
"""
from __future__ import annotations

from theory.cli.common import (UsageError, add_json_flag, add_plot_flag, add_rule_options, check_output_path, emit,
                               float_arg, int_in, rule_from_args)

__all__ = ["add_parser", "run"]


def add_parser(sub):
    """Add ``predict`` to the sub-parsers ``sub`` of the ``theory`` CLI; returns its parser.

    Examples
    --------
    >>> from theory.cli.common import Parser
    >>> parser = Parser(prog="theory")
    >>> _ = add_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["predict", "--rule", "online", "--target", "He3"])
    >>> args.imax, args.d, args.eta
    (8, None, None)
    """
    p = sub.add_parser("predict", help="psi, drift coefficients mu_i(eta), exponent curve and thresholds",
                       description="Derive psi_eta from the update rule, the drift coefficients mu_i(eta), the "
                                   "exponent curve e(alpha) = log_d T with eta = d^-alpha, and the thresholds.")
    add_rule_options(p)
    p.add_argument("--imax", type=int_in(1, 40, "--imax"), default=8,
                   help="drift coefficients mu_1..mu_imax (an integer in 1..40; default 8)")
    p.add_argument("--d", type=int_in(2, 10**9, "--d"), default=None,
                   help="a finite dimension: crossings of the competing terms and, with --eta, the step size "
                        "(an integer in 2..10^9; default: none, asymptotics only)")
    p.add_argument("--eta", type=float_arg("--eta", positive=True), default=None,
                   help="learning rate at the finite --d, within the rule's valid range (a number > 0; needs --d; "
                        "default: none)")
    add_plot_flag(p, "the exponent curve e(alpha) (each index's line, the envelope, the thresholds and the lower "
                     "bounds) and, with --d, T(eta) at that d,")
    add_json_flag(p)
    p.set_defaults(run=run)
    return p


def run(args) -> int:
    """Print the prediction for the rule in ``args``; returns the exit status 0."""
    from theory.predict import finite_d_report, predict

    if args.eta is not None and args.d is None:
        raise UsageError("--eta needs --d (the learning rate is evaluated at a finite dimension)")
    from theory.bounds import lower_bounds

    if args.plot is not None:
        check_output_path(args.plot, "--plot")
    prediction = predict(rule_from_args(args), imax=args.imax)
    report = finite_d_report(prediction, args.d, args.eta) if args.d is not None else None
    kept = None
    if getattr(prediction.rule, "keep_a", False) and args.d is not None and args.eta is not None:
        from theory.predict.kept_layer import kept_layer_outlook

        kept = kept_layer_outlook(prediction.rule, args.d, args.eta)
    bounds = lower_bounds(prediction)
    if args.json:  # build only the output asked for: printing large exact forms is not free
        obj = prediction.to_dict()
        obj.update(bounds.to_dict())
        if report is not None:
            obj["finite_d"] = report
        if kept is not None:
            obj["kept_layer"] = dict(kept._asdict(), label="numeric estimate (docs/theory.md, section 12)")
        if args.plot is not None:
            obj["plot"] = _plot(prediction, bounds, args)
        emit(obj, True, "")
    else:
        text = prediction.table() + "\n\n" + bounds.table()
        text += ("\n\n" + report["text"] if report is not None else "")
        if kept is not None:
            text += ("\n\nkept second layer (--keep-a) at this (d, eta): the curve above treats a as fixed; the walk "
                     f"a <- a + eta y sigma(z) gives regime '{kept.regime}' (index {kept.index} sets gamma; spread of "
                     f"a over the reset escape x = {kept.spread:.3g}; kappa_eff at the end of that escape "
                     f"{kept.kappa_at_reset:.3g}, above about 1.3 kept runs slow down or stall; numeric estimates, "
                     f"docs/theory.md, section 12)")
        if args.plot is not None:
            text += "\n\nplot: " + _plot(prediction, bounds, args)
        emit({}, False, text)
    return 0


def _plot(prediction, bounds, args) -> str:
    from theory.figures import exponent_curve_figure, save_png

    return save_png(exponent_curve_figure(prediction, args.d, bounds=bounds), args.plot)
