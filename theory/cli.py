"""Command-line interface: argument parsing, output formats and exit codes only.

Exit status: 0 success, 1 a verification claim failed, 2 bad input (one line on stderr,
never a traceback).  No mathematics lives here; every command is a thin layer over the
public API in :mod:`theory`.
"""
from __future__ import annotations

import argparse
import json
import sys

from theory.errors import TheoryInputError

__all__ = ["main", "build_parser"]


class UsageError(TheoryInputError):
    """Bad command-line syntax."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage dump
        raise UsageError(f"{self.prog}: {message}")


def _int_in(lo, hi, name):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer, got {text!r}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{name} must be in [{lo}, {hi}], got {value}")
        return value
    return parse


def _float(name, *, positive=False, nonneg=False, open_unit=False):
    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text!r}") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise argparse.ArgumentTypeError(f"{name} must be finite, got {text!r}")
        if positive and value <= 0:
            raise argparse.ArgumentTypeError(f"{name} must be > 0, got {text}")
        if nonneg and value < 0:
            raise argparse.ArgumentTypeError(f"{name} must be >= 0, got {text}")
        if open_unit and not 0 < value < 1:
            raise argparse.ArgumentTypeError(f"{name} must be in (0, 1), got {text}")
        return value
    return parse


def _emit(obj, as_json: bool, text: str):
    if as_json:
        sys.stdout.write(json.dumps(obj, indent=None, sort_keys=False) + "\n")
    else:
        sys.stdout.write(text.rstrip("\n") + "\n")


# ---------------------------------------------------------------------------
# exponents
# ---------------------------------------------------------------------------
def _add_exponents(sub):
    p = sub.add_parser("exponents", help="Hermite expansion, information/generative/power exponents of a link")
    p.add_argument("link", help="registered name (He3, h3, relu, abs, sign, tanh, sigmoid, erf) or expression in z")
    p.add_argument("--noise", type=_float("--noise", nonneg=True), default=0.0, help="label-noise std s >= 0")
    p.add_argument("--kmax", type=_int_in(1, 200, "--kmax"), default=10, help="list u_0..u_kmax (default 10)")
    p.add_argument("--powers", type=_int_in(1, 12, "--powers"), default=3, help="power exponents p_1..p_K")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
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
def _add_rule_options(p, *, d_required=False):
    p.add_argument("--rule", required=True, help="online | batch-reuse | alternating | custom")
    p.add_argument("--target", required=True, help="link sigma_* (name or expression in z)")
    p.add_argument("--student", default=None, help="student activation sigma (default: the target)")
    p.add_argument("--loss", default="correlation", help="correlation | squared")
    p.add_argument("--a", type=_float("--a"), default=1.0, help="second-layer value a (default 1)")
    p.add_argument("--order", type=_int_in(1, 10, "--order"), default=None,
                   help="batch reuse: terms of the expansion in eta*d (default: exact for polynomial students)")
    p.add_argument("--keep-a", action="store_true", help="alternating: keep the updated second layer")
    p.add_argument("--psi", default=None, help="custom rule: psi as an expression in y, z, eta, d, a")
    p.add_argument("--noise", type=_float("--noise", nonneg=True), default=0.0, help="label-noise std")


def _rule_from_args(args):
    from theory.rules import make_rule

    student = args.student if args.student is not None else args.target
    return make_rule(args.rule, args.target, student, loss=args.loss, a=args.a, order=args.order,
                     keep_a=args.keep_a, psi=args.psi, noise=args.noise)


def _add_predict(sub):
    p = sub.add_parser("predict", help="psi, drift coefficients mu_i(eta), exponent curve and thresholds")
    _add_rule_options(p)
    p.add_argument("--imax", type=_int_in(1, 40, "--imax"), default=8, help="mu_1..mu_imax (default 8)")
    p.add_argument("--d", type=_int_in(2, 10**9, "--d"), default=None, help="finite d: crossings and step sizes")
    p.add_argument("--eta", type=_float("--eta", positive=True), default=None, help="with --d: learning rate")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(run=_run_predict)


def _run_predict(args) -> int:
    from theory.predict import finite_d_report, predict

    if args.eta is not None and args.d is None:
        raise UsageError("--eta needs --d")
    prediction = predict(_rule_from_args(args), imax=args.imax)
    obj = prediction.to_dict()
    text = prediction.table()
    if args.d is not None:
        report = finite_d_report(prediction, args.d, args.eta)
        obj["finite_d"] = report
        text += "\n\n" + report["text"]
    _emit(obj, args.json, text)
    return 0


_COMMANDS.append(_add_predict)


# ---------------------------------------------------------------------------
# simulate
# ---------------------------------------------------------------------------
def _add_simulate(sub):
    p = sub.add_parser("simulate", help="hitting times of weak recovery by simulation")
    _add_rule_options(p)
    p.add_argument("--d", type=_int_in(2, 10**7, "--d"), required=True, help="dimension")
    p.add_argument("--eta", type=_float("--eta", positive=True), required=True, help="learning rate eta")
    p.add_argument("--gamma", type=_float("--gamma", positive=True), default=None,
                   help="first-layer step (default: the theorem's step size with --kappa)")
    p.add_argument("--kappa", type=_float("--kappa", positive=True), default=None,
                   help="step-size constant: gamma = kappa max_i 2 i! mu_i d^-((i/2) v 1) / E[psi^2] (default 1/8)")
    p.add_argument("--runs", type=_int_in(1, 10**6, "--runs"), default=100)
    p.add_argument("--seed", type=_int_in(0, 2**63 - 1, "--seed"), default=0)
    p.add_argument("--engine", choices=["reduced", "full"], default="reduced")
    p.add_argument("--m-thr", type=_float("--m-thr", open_unit=True), default=0.5)
    p.add_argument("--max-steps", type=_int_in(1, 10**9, "--max-steps"), default=200_000)
    p.add_argument("--signed", action="store_true", help="stop at m >= m_thr instead of |m| >= m_thr")
    p.add_argument("--start", choices=["uniform", "positive", "fixed"], default="uniform",
                   help="uniform on the sphere; positive: the same conditioned on m0 > 0; fixed: m0 = d^-1/2")
    p.add_argument("--null", action="store_true", help="null control: labels independent of x")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(run=_run_simulate)


def _run_simulate(args) -> int:
    from theory.predict import DEFAULT_KAPPA, check_eta, predict, step_size
    from theory.simulate import simulate
    from theory.simulate.cases import case_of, model_for

    rule = _rule_from_args(args)
    check_eta(rule, args.d, args.eta)
    if args.gamma is not None and args.kappa is not None:
        raise UsageError("give --gamma or --kappa, not both")
    if args.gamma is None:
        gamma, index = step_size(predict(rule), args.d, args.eta, args.kappa or DEFAULT_KAPPA)
        how = f"theorem step size, kappa = {args.kappa or DEFAULT_KAPPA}, index {index}"
    else:
        gamma, how = args.gamma, "given"
    model = model_for(case_of(rule, args.psi), args.eta, args.d)
    result = simulate(model, args.d, gamma, runs=args.runs, seed=args.seed, engine=args.engine,
                      m_thr=args.m_thr, signed=args.signed, max_steps=args.max_steps, start=args.start,
                      null=args.null)
    obj = result.to_dict()
    obj.update({"rule": rule.name, "loss": rule.loss, "target": rule.target.name, "student": rule.student.name,
                "eta": args.eta, "gamma_rule": how})
    hits = [t for t in obj["hitting_times"] if t is not None]
    text = (f"{rule.label}\nd = {args.d}, eta = {args.eta}, gamma = {gamma:.6g} ({how}), {args.engine} engine, "
            f"{args.runs} runs, seed {args.seed}{', NULL labels' if args.null else ''}\n"
            f"hit {len(hits)}/{args.runs}, censored {obj['censored']} (max {args.max_steps} steps), "
            f"diverged {obj.get('diverged', 0)}\n"
            f"median hitting time: {obj['median'] if obj['median'] is not None else 'not reached (> half censored)'}")
    _emit(obj, args.json, text)
    return 0


# ---------------------------------------------------------------------------
# verify
# ---------------------------------------------------------------------------
def _add_verify(sub):
    p = sub.add_parser("verify", help="check the theorem's predictions against simulation (default: Figure 1 case)")
    p.add_argument("--rule", default=None, help="default: alternating")
    p.add_argument("--target", default=None, help="default: h3 (He_3/sqrt(6), unit variance)")
    p.add_argument("--student", default=None, help="default: the target")
    p.add_argument("--loss", default=None, help="correlation | squared")
    p.add_argument("--a", type=_float("--a"), default=None)
    p.add_argument("--order", type=_int_in(1, 10, "--order"), default=None)
    p.add_argument("--keep-a", action="store_true")
    p.add_argument("--psi", default=None)
    p.add_argument("--noise", type=_float("--noise", nonneg=True), default=None)
    p.add_argument("--d", type=_int_in(8, 100_000, "--d"), nargs="+", default=None,
                   help="dimensions for the scaling fits (at least 3)")
    p.add_argument("--runs", type=_int_in(10, 100_000, "--runs"), default=None)
    p.add_argument("--kappa", type=_float("--kappa", positive=True), default=None)
    p.add_argument("--seed", type=_int_in(0, 2**63 - 1, "--seed"), default=None)
    p.add_argument("--start", choices=["uniform", "positive", "fixed"], default=None,
                   help="initialisation (default positive: uniform on the hemisphere of theta)")
    p.add_argument("--signed", action="store_true", help="weak recovery means m >= 0.5, not |m| >= 0.5")
    p.add_argument("--quick", action="store_true", help="smaller sizes (under a minute)")
    p.add_argument("--out", default=None, help="output directory (records, report.json, figure1.png)")
    p.add_argument("--resume", action="store_true", help="reuse the points already saved in --out")
    p.add_argument("--workers", type=_int_in(1, 256, "--workers"), default=None)
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(run=_run_verify)


def _run_verify(args) -> int:
    import dataclasses

    from theory.verify import DEFAULT, QUICK, verify

    cfg = QUICK if args.quick else DEFAULT
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
    if "rule" in changes or "target" in changes:
        changes.setdefault("rule", cfg.rule)
    cfg = dataclasses.replace(cfg, **changes)
    executor = None
    if args.workers is not None:
        from concurrent.futures import ProcessPoolExecutor

        executor = ProcessPoolExecutor(max_workers=args.workers)
    try:
        report = verify(cfg, out_dir=args.out, executor=executor, resume=args.resume,
                        progress=not args.no_progress and not args.json)
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


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="theory", description=__doc__.splitlines()[0])
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


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
