"""The ``simulate`` sub-command: hitting times of weak recovery by simulation, as text or JSON.

Role: parse the rule options and the simulation's sizes, choose the step size (the theorem's,
:func:`theory.predict.step_size`, unless ``--gamma`` is given), bound the worst-case work
(:data:`SIMULATE_WORK_LIMIT`) and print :func:`theory.simulate.simulate`; no mathematics lives
here.
"""
from __future__ import annotations

from theory.cli.common import (UsageError, add_json_flag, add_plot_flag, add_rule_options, check_output_path, emit,
                               float_arg, int_in, rule_from_args)

__all__ = ["add_parser", "run", "SIMULATE_WORK_LIMIT", "SIMULATE_CONVENTIONS"]

#: Largest worst-case amount of work ``simulate`` accepts: runs x max-steps (x d for the full
#: engine).  An internal limit, about 10 hours at 3e7 run-steps per second.
SIMULATE_WORK_LIMIT = 10**12

#: What the fields of ``simulate --json`` mean (stated in the output).
SIMULATE_CONVENTIONS = ("hitting_times[i] is the number of steps (fresh samples) until run i first reached "
                        "weak recovery, null when it did not (status says censored: no recovery within max_steps, "
                        "or diverged: psi, a or the normalisation became non-finite); median is over all runs with "
                        "censored and diverged runs counted as infinite, null when at least half did not hit; mean "
                        "is over the runs that hit, null if none did; final_m null for a non-finite overlap")


def add_parser(sub):
    """Add ``simulate`` to the sub-parsers ``sub`` of the ``theory`` CLI; returns its parser.

    Examples
    --------
    >>> from theory.cli.common import Parser
    >>> parser = Parser(prog="theory")
    >>> _ = add_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["simulate", "--rule", "online", "--target", "He3", "--d", "50", "--eta", "0.01"])
    >>> (args.runs, args.start, args.engine)
    (100, 'positive', 'reduced')
    """
    p = sub.add_parser("simulate", help="hitting times of weak recovery by simulation",
                       description="Simulate SGD on the single-index model and report the hitting times of "
                                   "weak recovery |m| >= m_thr.")
    add_rule_options(p)
    p.add_argument("--d", type=int_in(2, 10**7, "--d"), required=True, help="dimension (an integer in 2..10^7; "
                   "required)")
    p.add_argument("--eta", type=float_arg("--eta", positive=True), required=True,
                   help="learning rate eta of the rule (a number > 0 within the rule's valid range; required)")
    p.add_argument("--gamma", type=float_arg("--gamma", positive=True), default=None,
                   help="first-layer step size (a number > 0; default: the theorem's step size with --kappa)")
    p.add_argument("--kappa", type=float_arg("--kappa", positive=True, upper=64), default=None,
                   help="step-size constant, gamma = kappa max_i 2 i! mu_i d^-((i/2) v 1) / E[psi^2] "
                        "(0 < kappa <= 64; default 0.125); not with --gamma")
    p.add_argument("--runs", type=int_in(1, 10**6, "--runs"), default=100,
                   help="independent runs (an integer in 1..10^6; default 100)")
    p.add_argument("--seed", type=int_in(0, 2**63 - 1, "--seed"), default=0,
                   help="random seed; run i uses the i-th child of SeedSequence(seed), so the same seed gives "
                        "the same runs (an integer in 0..2^63-1; default 0)")
    p.add_argument("--engine", choices=["reduced", "full"], default="reduced",
                   help="reduced: the exact overlap chain, O(1) per step; full: the d-dimensional reference "
                        "(equal in law; default reduced)")
    p.add_argument("--m-thr", type=float_arg("--m-thr", open_unit=True), default=0.5,
                   help="weak-recovery threshold on |m| (a number in (0, 1); default 0.5)")
    p.add_argument("--max-steps", type=int_in(1, 10**9, "--max-steps"), default=200_000,
                   help="steps after which a run that has not recovered is censored (an integer in 1..10^9; "
                        "default 200000)")
    p.add_argument("--signed", action="store_true", help="stop at m >= m_thr instead of |m| >= m_thr (default: off)")
    p.add_argument("--start", choices=["uniform", "positive", "fixed"], default="positive",
                   help="uniform on the sphere; positive: the same conditioned on m0 > 0 (the hemisphere of theta, "
                        "where runs do not stall at a negative trap); fixed: m0 = d^-1/2 (default positive)")
    p.add_argument("--null", action="store_true", help="null control: labels independent of x (default: off)")
    add_plot_flag(p, "the empirical distribution of the hitting times (censoring marked) and the overlap paths "
                     "m_t of 4 illustrative runs (fresh runs of the same chain, seed + 1)")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar on stderr (default: shown when a simulation takes over three seconds)")
    add_json_flag(p)
    p.set_defaults(run=run)
    return p


def run(args) -> int:
    """Simulate the rule in ``args`` and print the hitting times; returns the exit status 0."""
    from theory.predict import DEFAULT_KAPPA, check_eta, predict, step_size
    from theory.simulate import simulate
    from theory.simulate.cases import case_of, model_for

    if args.gamma is not None and args.kappa is not None:
        raise UsageError("give --gamma or --kappa, not both (--kappa sets the theorem's step size; --gamma "
                         "replaces it)")
    work = args.runs * args.max_steps * (args.d if args.engine == "full" else 1)
    if work > SIMULATE_WORK_LIMIT:
        raise UsageError(f"--runs {args.runs} x --max-steps {args.max_steps}"
                         + (f" x --d {args.d} (full engine)" if args.engine == "full" else "")
                         + f" = {work:.3g} exceeds this tool's limit of {SIMULATE_WORK_LIMIT:.0e} "
                           "(an internal bound on the worst-case work, about 10 hours); lower --runs or --max-steps"
                         + (" or use --engine reduced" if args.engine == "full" else ""))
    if args.plot is not None:
        check_output_path(args.plot, "--plot")
    rule = rule_from_args(args)
    check_eta(rule, args.d, args.eta)
    numeric = False
    if args.gamma is None:
        kappa = args.kappa if args.kappa is not None else DEFAULT_KAPPA
        prediction = predict(rule)
        gamma, index = step_size(prediction, args.d, args.eta, kappa)
        from theory.verify import is_numeric

        numeric = is_numeric(prediction)
        how = f"theorem step size, kappa = {kappa}, index {index}" + (
            " (numeric: mu_i and E[psi^2] have floating-point coefficients)" if numeric else "")
    else:
        gamma, how = args.gamma, "given"
    model = model_for(case_of(rule, args.psi), args.eta, args.d)
    result = simulate(model, args.d, gamma, runs=args.runs, seed=args.seed, engine=args.engine,
                      m_thr=args.m_thr, signed=args.signed, max_steps=args.max_steps, start=args.start,
                      null=args.null, progress=not args.no_progress)
    n, hits, cens, div = args.runs, result.hits, result.censored, result.diverged
    plot = _plot(result, model, gamma, args) if args.plot is not None else None
    if args.json:  # the per-run lists are built only when they are printed
        obj = result.to_dict()
        obj.update({"rule": rule.name, "loss": rule.loss, "target": rule.target.name, "student": rule.student.name,
                    "eta": args.eta, "gamma_rule": how, "numeric_step_size": numeric,
                    "conventions": SIMULATE_CONVENTIONS})
        if plot is not None:
            obj["plot"] = plot
        emit(obj, True, "")
        return 0
    if result.median is not None:
        median = f"{result.median:g}"
    else:
        median = f"not reached: at least half the runs did not hit ({cens} censored, {div} diverged)"
    lines = [rule.label,
             f"d = {args.d}, eta = {args.eta}, gamma = {gamma:.6g} ({how}), {args.engine} engine, {n} runs, "
             f"seed {args.seed}{', NULL labels' if args.null else ''}",
             f"hit {hits}/{n}; censored {cens} (no recovery within {args.max_steps} steps); diverged {div} "
             f"(psi, a or the normalisation became non-finite)",
             f"median hitting time: {median}"]
    if result.mean is not None:
        lines.append(f"mean hitting time of the runs that hit: {result.mean:.6g}")
    if div:
        lines.append(f"DIVERGED: {div} of {n} runs blew up (non-finite psi, a or normaliser); they are neither hits "
                     f"nor censored. A smaller --gamma (or --kappa) avoids it.")
    if plot is not None:
        lines.append(f"plot: {plot}")
    emit(None, False, "\n".join(lines))
    return 0


def _plot(result, model, gamma, args) -> str:
    from theory.figures import save_png, simulation_figure
    from theory.simulate.paths import PATH_STEP_LIMIT, overlap_paths

    paths = overlap_paths(model, args.d, gamma, runs=4, seed=args.seed + 1, max_steps=min(args.max_steps,
                          PATH_STEP_LIMIT), m_thr=args.m_thr, signed=args.signed, start=args.start)
    return save_png(simulation_figure(result, paths), args.plot)
