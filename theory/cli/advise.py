"""The ``advise`` sub-command: the learning rates that minimise the predicted sample count at a given ``d``.

Role: parse the rule options (or ``--rule all``) and ``--d``, call :func:`theory.advise.advise`, and print
the advice (text or JSON); with ``--simulate`` the advice is checked with the reduced engine. No
mathematics lives here.
"""
from __future__ import annotations

from theory.cli.common import (UsageError, add_json_flag, add_plot_flag, add_rule_options, check_output_path, emit,
                               int_in, rule_from_args)

__all__ = ["add_parser", "run", "PAPER_RULES"]

#: The rules ``--rule all`` compares (the paper's three).
PAPER_RULES = ("online", "batch-reuse", "alternating")


def add_parser(sub):
    """Add ``advise`` to the sub-parsers ``sub`` of the ``theory`` CLI; returns its parser.

    Examples
    --------
    >>> from theory.cli.common import Parser
    >>> parser = Parser(prog="theory")
    >>> _ = add_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["advise", "--rule", "all", "--target", "h3", "--d", "50"])
    >>> args.rule, args.d, args.simulate
    ('all', 50, False)
    """
    p = sub.add_parser("advise", help="the eta and gamma that minimise the predicted sample count at a given d",
                       description="Search the rule's valid learning rates and a factor-2 grid of step-size "
                                   "constants for the smallest diffusion-predicted mean hitting time at --d "
                                   "(exact mu_i(eta), E[psi^2], the one-step moments of the exact chain). With "
                                   "--rule all the paper's three rules are compared at their best eta.")
    add_rule_options(p)
    p.add_argument("--d", type=int_in(3, 10**6, "--d"), required=True,
                   help="the dimension (an integer in 3..10^6; required)")
    p.add_argument("--simulate", action="store_true",
                   help="check the advice with the reduced engine on eta x 2^k around it (k = -4..4, widened to the "
                        "plateau), with a null control, and print the verdict of the two criteria (default: off)")
    p.add_argument("--runs", type=int_in(2, 10**5, "--runs"), default=64,
                   help="runs per point of the --simulate check (an integer in 2..10^5; default 64)")
    p.add_argument("--seed", type=int_in(0, 2**63 - 1, "--seed"), default=0,
                   help="seed of the --simulate check (default 0)")
    add_plot_flag(p, "the predicted T(eta) (and the simulated means with --simulate)")
    add_json_flag(p)
    p.set_defaults(run=run)
    return p


def run(args) -> int:
    """Print the advice for the rule(s) in ``args``; returns the exit status (1 when a ``--simulate`` check fails)."""
    import sys

    from theory.advise import advise
    from theory.predict import predict

    if args.plot is not None:
        check_output_path(args.plot, "--plot")
    names = PAPER_RULES if args.rule == "all" else (args.rule,)
    if args.rule == "all" and any(getattr(args, k, None) not in (None, False)
                                  for k in ("psi", "order", "keep_a", "depth")):
        raise UsageError("--rule all compares the paper's rules with their default options: --psi, --order, "
                         "--keep-a and --depth do not apply")
    results = []
    for name in names:
        args.rule = name
        rule = rule_from_args(args)
        progress = None if args.json else (lambda text: print(text, file=sys.stderr, flush=True))
        results.append(advise(predict(rule), args.d, simulate=args.simulate, runs=args.runs, seed=args.seed,
                              progress=progress))
    args.rule = "all" if len(names) > 1 else names[0]
    plot = _plot(results, args.plot) if args.plot is not None else None
    if args.json:
        objs = [dict(r.to_dict(), conventions=CONVENTIONS) for r in results]
        out = objs if len(objs) > 1 else objs[0]
        if plot is not None:
            out = {"advice": out, "plot": plot} if isinstance(out, list) else dict(out, plot=plot)
        emit(out, True, "")
        return _status(results)
    text = "\n\n".join(r.text() for r in results)
    if len(results) > 1:
        best = min(results, key=lambda r: r.predicted_T)
        text += f"\n\nbest at d = {args.d}: {best.rule} (predicted T = {best.predicted_T:.4g} at eta = {best.eta:.4g})"
    if plot is not None:
        text += f"\nplot: {plot}"
    emit(None, False, text + "\n" + CONVENTIONS)
    return _status(results)


def _status(results) -> int:
    """0, or 1 when a ``--simulate`` check's verdict is FAIL (as ``verify``: 0 only when every check passes)."""
    failed = [r for r in results if r.simulation and r.simulation["verdict"]["verdict"] != "PASS"]
    return 1 if failed else 0


#: Stated in every output.
CONVENTIONS = ("T counts samples (one per step) until |m| >= 0.5 from the positive hemisphere; predicted T is the "
               "diffusion mean of the exact one-step map (numeric); gamma = kappa-scaled theorem step size, kappa "
               "from the factor-2 grid 1/32..1")


def _plot(results, path):
    from theory.figures import advice_figure, save_png

    return save_png(advice_figure(results), path)
