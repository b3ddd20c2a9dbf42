"""Command-line interface: argument parsing, output formats and exit codes only.

Exit status: 0 success, 1 a verification did not pass (a claim failed, or a claim the prediction
implies could not be measured), 2 bad input or an unusable file (one line on stderr, never a
traceback), 130 interrupted.  No mathematics lives here; every command is a thin layer over the
public API in :mod:`theory`.

Options a user did not give reach :func:`theory.rules.make_rule` as "not given" (they are left
out of the call), so it can refuse options that do not apply to the rule; options specific to
the CLI (``--kappa`` with ``--gamma``, ``--eta`` without ``--d``, ``--workers`` above the number
of cores) are refused here.  Every ``--json`` output is strict RFC 8259 JSON: a value that is
infinite, unbounded or undefined is written as ``null`` (the object's ``json_encoding`` field says
so, and each command's ``conventions`` say what ``null`` means in its fields).
"""
from __future__ import annotations

import argparse
import json
import math
import sys

from theory.errors import TheoryInputError

__all__ = ["main", "build_parser", "JSON_ENCODING", "MAX_WORKERS", "SIMULATE_WORK_LIMIT"]

#: Stated in every ``--json`` object.
JSON_ENCODING = ("RFC 8259 JSON; a number that is infinite, unbounded or undefined (NaN) is written as null "
                 "(see conventions for what null means in each field)")
#: Hard ceiling on ``--workers`` even with ``--force-workers`` (an internal limit).
MAX_WORKERS = 64
#: Largest worst-case amount of work ``simulate`` accepts: runs x max-steps (x d for the full
#: engine).  An internal limit, about 10 hours at 3e7 run-steps per second.
SIMULATE_WORK_LIMIT = 10**12


class UsageError(TheoryInputError):
    """Bad command-line syntax, or options that cannot be used together."""


class CommandError(TheoryInputError):
    """A command could not read or write a file it needs (the message names the file)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage dump; main() adds the one "theory: error:" prefix
        raise UsageError(message)


def _int_in(lo, hi, name):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"must be an integer in [{lo}, {hi}], got {value}")
        return value
    return parse


def _float(name, *, positive=False, nonneg=False, open_unit=False, upper=None):
    def parse(text):
        if len(text) > 64:
            raise argparse.ArgumentTypeError(f"must be a number, got {len(text)} characters")
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
        if positive and value <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        if nonneg and value < 0:
            raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
        if open_unit and not 0 < value < 1:
            raise argparse.ArgumentTypeError(f"must be in (0, 1), got {text}")
        if upper is not None and value > upper:
            raise argparse.ArgumentTypeError(f"must be <= {upper:g}, got {text}")
        return value
    return parse


def _json_safe(obj):
    """Strict JSON data: non-finite floats -> None, tuples -> lists, other objects -> str."""
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, int):
        return obj
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    try:  # numpy scalars and the like
        import numpy as np

        if isinstance(obj, np.bool_):
            return bool(obj)
        if isinstance(obj, np.integer):
            return int(obj)
        if isinstance(obj, np.floating):
            return _json_safe(float(obj))
        if isinstance(obj, np.ndarray):
            return _json_safe(obj.tolist())
    except ImportError:  # pragma: no cover
        pass
    return str(obj)


def to_json(obj) -> str:
    """One line of strict RFC 8259 JSON (``allow_nan=False``), with :data:`JSON_ENCODING` stated.

    Examples
    --------
    >>> to_json({"median": float("inf"), "x": 1})[:46]
    '{"median": null, "x": 1, "json_encoding": "RFC'
    >>> import json
    >>> json.loads(to_json([1.0, float("nan")]))
    [1.0, None]
    """
    data = _json_safe(obj)
    if isinstance(data, dict):
        data.setdefault("json_encoding", JSON_ENCODING)
    return json.dumps(data, indent=None, sort_keys=False, allow_nan=False)


def _emit(obj, as_json: bool, text: str):
    if as_json:
        sys.stdout.write(to_json(obj) + "\n")
    else:
        sys.stdout.write(text.rstrip("\n") + "\n")


def _common_flags(p):
    p.add_argument("--json", action="store_true", help="one JSON object on stdout (default: a text report)")


# ---------------------------------------------------------------------------
# exponents
# ---------------------------------------------------------------------------
LINK_HELP = ("registered name (He1..He40, h1..h40, relu, abs, sign, tanh, sigmoid, erf) or an expression in z "
             "(numbers, + - * / ** ^, pi, E, exp sin cos sinh cosh tanh erf sqrt Abs sign Max Min Heaviside relu "
             "sigmoid)")


def _add_exponents(sub):
    p = sub.add_parser("exponents", help="Hermite expansion, information/generative/power exponents of a link",
                       description="Hermite coefficients u_k = E[f(z) He_k(z)]/k! (probabilists' He_k, z ~ N(0,1)), "
                                   "the information, generative and power exponents of a link.")
    p.add_argument("link", help=LINK_HELP)
    p.add_argument("--noise", type=_float("--noise", nonneg=True), default=0.0,
                   help="label-noise std s, y = f(z) + s N(0,1) (a number >= 0; default 0)")
    p.add_argument("--kmax", type=_int_in(1, 200, "--kmax"), default=10,
                   help="list u_0..u_kmax (an integer in 1..200; default 10)")
    p.add_argument("--powers", type=_int_in(1, 12, "--powers"), default=3,
                   help="power exponents p_1..p_K, p_j = IE(E[y^j | z]) (K an integer in 1..12; default 3)")
    _common_flags(p)
    p.set_defaults(run=_run_exponents)


def _run_exponents(args) -> int:
    from theory.exponents import profile
    from theory.links import parse_link

    prof = profile(parse_link(args.link, noise=args.noise), kmax=args.kmax, powers=args.powers)
    _emit(prof.to_dict(), args.json, prof.table())
    return 0


_COMMANDS = [_add_exponents]


# ---------------------------------------------------------------------------
# predict
# ---------------------------------------------------------------------------
RULE_OPTIONS = ("loss", "a", "order", "keep_a", "psi", "noise")


def _add_rule_options(p, *, verify=False):
    """The options that describe an update rule; defaults of None/False mean "not given"."""
    if verify:
        p.add_argument("--rule", default=None,
                       help="update rule: online | batch-reuse | alternating | custom (default: alternating)")
        p.add_argument("--target", default=None, help="link sigma_* (default: h3 = He_3/sqrt(6), unit variance); "
                       + LINK_HELP)
    else:
        p.add_argument("--rule", required=True,
                       help="update rule: online | batch-reuse | alternating | custom (required)")
        p.add_argument("--target", required=True, help="link sigma_* (required): " + LINK_HELP)
    p.add_argument("--student", default=None, help="student activation sigma, same syntax as the target "
                   "(default: the target)")
    p.add_argument("--loss", default=None, help="correlation | squared (default: correlation)")
    p.add_argument("--a", type=_float("--a"), default=None,
                   help="second-layer value a: fixed, reset to after each step, or initial with --keep-a "
                        "(a finite number; default 1)")
    p.add_argument("--order", type=_int_in(1, 10, "--order"), default=None,
                   help="batch-reuse only: terms r of the expansion in eta*d (an integer in 1..10; default: the "
                        "exact order for polynomial students, else 2)")
    p.add_argument("--keep-a", action="store_true",
                   help="alternating only: keep the updated second layer instead of resetting it to a "
                        "(default: off)")
    p.add_argument("--psi", default=None,
                   help="custom rule only (required there): psi as an expression in y, z, eta, d, a "
                        "(default: none)")
    p.add_argument("--noise", type=_float("--noise", nonneg=True), default=None,
                   help="label-noise std s of the target (a number >= 0; default 0)")


def _given_rule_options(args) -> dict:
    """The rule options the user actually gave (None/False are "not given" and are left out)."""
    out = {}
    for key in RULE_OPTIONS:
        value = getattr(args, key, None)
        if value is None or value is False:
            continue
        out[key] = value
    return out


def _rule_from_args(args, *, default_rule=None, default_target=None):
    from theory.rules import make_rule

    rule = args.rule if args.rule is not None else default_rule
    target = args.target if args.target is not None else default_target
    student = args.student if args.student is not None else target
    return make_rule(rule, target, student, **_given_rule_options(args))


def _add_predict(sub):
    p = sub.add_parser("predict", help="psi, drift coefficients mu_i(eta), exponent curve and thresholds",
                       description="Derive psi_eta from the update rule, the drift coefficients mu_i(eta), the "
                                   "exponent curve e(alpha) = log_d T with eta = d^-alpha, and the thresholds.")
    _add_rule_options(p)
    p.add_argument("--imax", type=_int_in(1, 40, "--imax"), default=8,
                   help="drift coefficients mu_1..mu_imax (an integer in 1..40; default 8)")
    p.add_argument("--d", type=_int_in(2, 10**9, "--d"), default=None,
                   help="a finite dimension: crossings of the competing terms and, with --eta, the step size "
                        "(an integer in 2..10^9; default: none, asymptotics only)")
    p.add_argument("--eta", type=_float("--eta", positive=True), default=None,
                   help="learning rate at the finite --d, within the rule's valid range (a number > 0; needs --d; "
                        "default: none)")
    _common_flags(p)
    p.set_defaults(run=_run_predict)


def _run_predict(args) -> int:
    from theory.predict import finite_d_report, predict

    if args.eta is not None and args.d is None:
        raise UsageError("--eta needs --d (the learning rate is evaluated at a finite dimension)")
    prediction = predict(_rule_from_args(args), imax=args.imax)
    report = finite_d_report(prediction, args.d, args.eta) if args.d is not None else None
    if args.json:  # build only the output asked for: printing large exact forms is not free
        obj = prediction.to_dict()
        if report is not None:
            obj["finite_d"] = report
        _emit(obj, True, "")
    else:
        text = prediction.table() + ("\n\n" + report["text"] if report is not None else "")
        _emit({}, False, text)
    return 0


_COMMANDS.append(_add_predict)


# ---------------------------------------------------------------------------
# simulate
# ---------------------------------------------------------------------------
SIMULATE_CONVENTIONS = ("hitting_times[i] is the number of steps (fresh samples) until run i first reached "
                        "weak recovery, null when it did not (status says censored: no recovery within max_steps, "
                        "or diverged: psi, a or the normalisation became non-finite); median is over all runs with "
                        "censored and diverged runs counted as infinite, null when at least half did not hit; mean "
                        "is over the runs that hit, null if none did; final_m null for a non-finite overlap")


def _add_simulate(sub):
    p = sub.add_parser("simulate", help="hitting times of weak recovery by simulation",
                       description="Simulate SGD on the single-index model and report the hitting times of "
                                   "weak recovery |m| >= m_thr.")
    _add_rule_options(p)
    p.add_argument("--d", type=_int_in(2, 10**7, "--d"), required=True, help="dimension (an integer in 2..10^7; "
                   "required)")
    p.add_argument("--eta", type=_float("--eta", positive=True), required=True,
                   help="learning rate eta of the rule (a number > 0 within the rule's valid range; required)")
    p.add_argument("--gamma", type=_float("--gamma", positive=True), default=None,
                   help="first-layer step size (a number > 0; default: the theorem's step size with --kappa)")
    p.add_argument("--kappa", type=_float("--kappa", positive=True, upper=64), default=None,
                   help="step-size constant, gamma = kappa max_i 2 i! mu_i d^-((i/2) v 1) / E[psi^2] "
                        "(0 < kappa <= 64; default 0.125); not with --gamma")
    p.add_argument("--runs", type=_int_in(1, 10**6, "--runs"), default=100,
                   help="independent runs (an integer in 1..10^6; default 100)")
    p.add_argument("--seed", type=_int_in(0, 2**63 - 1, "--seed"), default=0,
                   help="random seed; run i uses the i-th child of SeedSequence(seed), so the same seed gives "
                        "the same runs (an integer in 0..2^63-1; default 0)")
    p.add_argument("--engine", choices=["reduced", "full"], default="reduced",
                   help="reduced: the exact overlap chain, O(1) per step; full: the d-dimensional reference "
                        "(equal in law; default reduced)")
    p.add_argument("--m-thr", type=_float("--m-thr", open_unit=True), default=0.5,
                   help="weak-recovery threshold on |m| (a number in (0, 1); default 0.5)")
    p.add_argument("--max-steps", type=_int_in(1, 10**9, "--max-steps"), default=200_000,
                   help="steps after which a run that has not recovered is censored (an integer in 1..10^9; "
                        "default 200000)")
    p.add_argument("--signed", action="store_true", help="stop at m >= m_thr instead of |m| >= m_thr (default: off)")
    p.add_argument("--start", choices=["uniform", "positive", "fixed"], default="uniform",
                   help="uniform on the sphere; positive: the same conditioned on m0 > 0; fixed: m0 = d^-1/2 "
                        "(default uniform)")
    p.add_argument("--null", action="store_true", help="null control: labels independent of x (default: off)")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar on stderr (default: shown when a simulation takes over three seconds)")
    _common_flags(p)
    p.set_defaults(run=_run_simulate)


def _run_simulate(args) -> int:
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
    rule = _rule_from_args(args)
    check_eta(rule, args.d, args.eta)
    numeric = False
    if args.gamma is None:
        kappa = args.kappa if args.kappa is not None else DEFAULT_KAPPA
        prediction = predict(rule)
        gamma, index = step_size(prediction, args.d, args.eta, kappa)
        from theory.verify import _is_numeric

        numeric = _is_numeric(prediction)
        how = f"theorem step size, kappa = {kappa}, index {index}" + (
            " (numeric: mu_i and E[psi^2] have floating-point coefficients)" if numeric else "")
    else:
        gamma, how = args.gamma, "given"
    model = model_for(case_of(rule, args.psi), args.eta, args.d)
    result = simulate(model, args.d, gamma, runs=args.runs, seed=args.seed, engine=args.engine,
                      m_thr=args.m_thr, signed=args.signed, max_steps=args.max_steps, start=args.start,
                      null=args.null, progress=not args.no_progress)
    n, hits, cens, div = args.runs, result.hits, result.censored, result.diverged
    if args.json:  # the per-run lists are built only when they are printed
        obj = result.to_dict()
        obj.update({"rule": rule.name, "loss": rule.loss, "target": rule.target.name, "student": rule.student.name,
                    "eta": args.eta, "gamma_rule": how, "numeric_step_size": numeric,
                    "conventions": SIMULATE_CONVENTIONS})
        _emit(obj, True, "")
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
    _emit(None, False, "\n".join(lines))
    return 0


# ---------------------------------------------------------------------------
# verify
# ---------------------------------------------------------------------------
def _add_verify(sub):
    p = sub.add_parser("verify", help="check the theorem's predictions against simulation (default: Figure 1 case)",
                       description="Check every claim the theorem's prediction implies against simulation. Exit "
                                   "status 0 when every implied claim was measured and passed, 1 when one failed "
                                   "or could not be measured (SKIP), 2 on bad input.")
    _add_rule_options(p, verify=True)
    p.add_argument("--d", type=_int_in(8, 100_000, "--d"), nargs="+", default=None,
                   help="dimensions for the scaling fits, at least 3 distinct (integers in 8..100000; default "
                        "25 50 100 200 400, with --quick 25 50 100)")
    p.add_argument("--runs", type=_int_in(10, 100_000, "--runs"), default=None,
                   help="runs per point (an integer in 10..100000; default 100, with --quick 48)")
    p.add_argument("--kappa", type=_float("--kappa", positive=True, upper=64), default=None,
                   help="step-size constant of every point (0 < kappa <= 64; default 0.125)")
    p.add_argument("--seed", type=_int_in(0, 2**63 - 1, "--seed"), default=None,
                   help="base seed; each point seeds itself from all its parameters (an integer in 0..2^63-1; "
                        "default 20251021)")
    p.add_argument("--start", choices=["uniform", "positive", "fixed"], default=None,
                   help="initialisation (default positive: uniform on the hemisphere of theta)")
    p.add_argument("--signed", action="store_true",
                   help="weak recovery means m >= 0.5, not |m| >= 0.5 (default: off)")
    p.add_argument("--quick", action="store_true",
                   help="smaller sizes: d = 25 50 100, 48 runs, no tuned-gamma or diffusion tables (default: off)")
    p.add_argument("--out", default=None,
                   help="output folder for records, report.json and figure1.png (default: "
                        "results/verify-<case>-<hash of the configuration>); a folder holding another "
                        "configuration is refused")
    p.add_argument("--resume", action="store_true",
                   help="reuse points saved in the output folder after checking them against the configuration "
                        "(default: off, recompute everything)")
    p.add_argument("--workers", type=_int_in(1, 10**6, "--workers"), default=None,
                   help="worker processes (an integer from 1 to the number of available cores; default: one per "
                        "core)")
    p.add_argument("--force-workers", action="store_true",
                   help=f"allow --workers above the number of cores (at most {MAX_WORKERS}; default: off)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr (default: shown, "
                   "except with --json)")
    _common_flags(p)
    p.set_defaults(run=_run_verify)


def _run_verify(args) -> int:
    import dataclasses

    from theory.simulate.sweep import SweepError, available_cores
    from theory.verify import DEFAULT, QUICK, verify

    cores = available_cores()
    if args.force_workers and args.workers is None:
        raise UsageError("--force-workers needs --workers")
    if args.workers is not None and args.workers > MAX_WORKERS:
        raise UsageError(f"--workers {args.workers}: at most {MAX_WORKERS} worker processes (an internal limit; "
                         f"this machine has {cores} available core(s))")
    if args.workers is not None and args.workers > cores and not args.force_workers:
        raise UsageError(f"--workers {args.workers} is more than the {cores} CPU core(s) available: extra workers "
                         f"add memory (each holds its own SymPy and NumPy, about 200 MB), not speed; pass "
                         f"--force-workers to use them anyway")
    cfg = QUICK if args.quick else DEFAULT
    # make_rule sees exactly the options given, so it can refuse those that do not apply
    _rule_from_args(args, default_rule=cfg.rule, default_target=cfg.target)
    changes = {k: getattr(args, k) for k in ("rule", "target", "student", "loss", "a", "order", "psi", "noise",
                                             "runs", "kappa", "seed", "start") if getattr(args, k) is not None}
    if args.keep_a:
        changes["keep_a"] = True
    if args.signed:
        changes["signed"] = True
    if args.d is not None:
        if len(set(args.d)) < 3:
            raise UsageError("--d needs at least 3 distinct dimensions for a fit")
        ds = tuple(sorted(set(args.d)))
        changes.update(ds_scaling=ds, ds_threshold=ds, fig_d=50 if 50 in ds else ds[len(ds) // 2])
    cfg = dataclasses.replace(cfg, **changes)
    executor = None
    if args.workers is not None:
        from concurrent.futures import ProcessPoolExecutor

        executor = ProcessPoolExecutor(max_workers=args.workers)
    try:
        report = verify(cfg, out_dir=args.out, executor=executor, resume=args.resume,
                        progress=not args.no_progress and not args.json)
    except OSError as exc:  # a file of the output folder could not be written (disk full, permissions)
        name = f" {exc.filename!r}" if getattr(exc, "filename", None) else ""
        raise CommandError(f"verify: cannot write{name}: {exc.strerror or exc}") from None
    except SweepError as exc:
        if isinstance(exc.__cause__, TheoryInputError):
            raise CommandError(f"verify: {exc.__cause__}") from None
        raise
    finally:
        if executor is not None:
            executor.shutdown()
    _emit(report.to_dict(), args.json, report.table())
    return 0 if report.passed else 1


_COMMANDS += [_add_simulate, _add_verify]


def register(adder):
    """Add a sub-command (used by the modules that define predict/simulate/verify/latex)."""
    _COMMANDS.append(adder)
    return adder


def _version() -> str:
    from theory import __version__

    return f"theory (sgd-theory-verifier) {__version__}"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="theory", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=_version(),
                        help="print the package version and exit")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    sub.required = True
    from theory._cli_latex import add_latex  # imports this module's helpers, so registered late

    if add_latex not in _COMMANDS:
        _COMMANDS.append(add_latex)
    for adder in _COMMANDS:
        adder(sub)
    return parser


def main(argv=None) -> int:
    """Run the CLI; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
        return args.run(args)
    except TheoryInputError as exc:
        msg = " ".join(str(exc).split())
        sys.stderr.write(f"theory: error: {msg}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("theory: interrupted\n")
        return 130
    except SystemExit as exc:  # --help and --version exit through argparse
        return exc.code if isinstance(exc.code, int) else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
