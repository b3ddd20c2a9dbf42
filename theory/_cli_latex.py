"""The ``latex`` sub-command: LaTeX fragments and reports on stdout or in a file.

Usage (registered by :mod:`theory.cli` through ``register(add_latex)``)::

    theory latex hermite LINK [--noise S] [--kmax K] [--powers J] [-o FILE] [--standalone]
    theory latex exponents LINK [...same...]
    theory latex psi     --rule R --target T [rule options] [--imax I] [-o FILE] [--standalone]
    theory latex mu      ...
    theory latex theorem ...
    theory latex report  ... [--simulation JSON_FILE] [--figure PNG] [-o FILE]

Fragments are printed as text-mode LaTeX for a document that loads ``amsmath``,
``amssymb`` and ``booktabs``; ``--standalone`` wraps one in a minimal compilable document.
``report`` always writes a whole document.  No mathematics lives here: every branch is a
call into :mod:`theory.latex`.
"""
from __future__ import annotations

import json
import os
import sys

from theory.cli import UsageError, _add_rule_options, _float, _int_in, _Parser, _rule_from_args

__all__ = ["add_latex"]


def _add_output(p, *, fragment=True):
    p.add_argument("-o", "--output", metavar="FILE", default=None, help="write the LaTeX here (default: stdout)")
    p.add_argument("--standalone", action="store_true",
                   help="wrap the fragment in a minimal compilable document" if fragment
                   else "accepted for uniformity: a report is always a whole document")


def _add_link_options(p):
    p.add_argument("link", help="registered name (He3, h3, relu, abs, sign, tanh, sigmoid, erf) or expression in z")
    p.add_argument("--noise", type=_float("--noise", nonneg=True), default=0.0, help="label-noise std s >= 0")
    p.add_argument("--kmax", type=_int_in(1, 200, "--kmax"), default=10, help="coefficients u_0..u_kmax (default 10)")
    p.add_argument("--powers", type=_int_in(1, 12, "--powers"), default=3, help="power exponents p_1..p_J")


def add_latex(sub):
    r"""Add ``latex WHAT ...`` to the sub-parsers ``sub`` of the ``theory`` CLI.

    Examples
    --------
    >>> from theory.cli import _Parser
    >>> parser = _Parser(prog="theory")
    >>> _ = add_latex(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["latex", "theorem", "--rule", "alternating", "--target", "He3"])
    >>> args.what, args.imax, args.standalone
    ('theorem', 8, False)
    >>> print(_render(args).splitlines()[1])
    \[ T(\eta) = \min_{i:\ \mu_i(\eta) > 0} \tilde\Theta\left(\mu_{i}(\eta)^{-2} d^{(i - 1) \vee 1}\right), \qquad \eta = d^{-\alpha} \]
    """
    p = sub.add_parser("latex", help="LaTeX: Hermite expansions, exponents, psi, mu_i, the theorem, full reports")
    what = p.add_subparsers(dest="what", parser_class=_Parser, metavar="WHAT")
    what.required = True

    for name, helptext in (("hermite", "Hermite expansion of a link (He_k basis)"),
                           ("exponents", "table of information, generative and power exponents")):
        q = what.add_parser(name, help=helptext)
        _add_link_options(q)
        _add_output(q)
        q.set_defaults(run=_run_latex)

    for name, helptext in (("psi", "derivation of psi_eta for an update rule"),
                           ("mu", "drift coefficients mu_i(eta)"),
                           ("theorem", "predicted T(eta): exponent curve and thresholds"),
                           ("report", "complete standalone .tex report")):
        q = what.add_parser(name, help=helptext)
        _add_rule_options(q)
        q.add_argument("--imax", type=_int_in(1, 40, "--imax"), default=8, help="mu_1..mu_imax (default 8)")
        if name == "mu":
            q.add_argument("--symbolic-a", action="store_true", help="keep the second layer a symbolic")
        if name == "report":
            q.add_argument("--simulation", metavar="JSON_FILE", default=None,
                           help='simulation summary: {"rows": [{"d": ..., "eta": ..., "median": ...}, ...]} '
                                "or a list of such rows")
            q.add_argument("--figure", metavar="PNG", default=None, help="figure to include")
        _add_output(q, fragment=name != "report")
        q.set_defaults(run=_run_latex)
    return p


def _read_simulation(path: str):
    from theory.latex import LatexInputError

    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise LatexInputError(f"--simulation: file {path!r} does not exist") from None
    except IsADirectoryError:
        raise LatexInputError(f"--simulation: {path!r} is a directory") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LatexInputError(f"--simulation: cannot read {path!r}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise LatexInputError(f"--simulation: {path!r} is not valid JSON ({exc.msg}, line {exc.lineno})") from None


def _render(args) -> str:
    from theory import latex as tl

    if args.what in ("hermite", "exponents"):
        from theory.exponents import profile
        from theory.links import parse_link

        link = parse_link(args.link, noise=args.noise)
        if args.what == "hermite":
            return tl.hermite_latex(link, args.kmax)
        return tl.exponents_latex(profile(link, kmax=args.kmax, powers=args.powers))
    rule = _rule_from_args(args)
    if args.what == "psi":
        return tl.psi_latex(rule)
    if args.what == "mu":
        return tl.mu_latex(rule, args.imax, symbolic_a=args.symbolic_a)
    from theory.predict import predict

    prediction = predict(rule, imax=args.imax)
    if args.what == "theorem":
        return tl.theorem_latex(prediction)
    simulation = _read_simulation(args.simulation) if args.simulation is not None else None
    return tl.report_latex(rule, prediction, simulation=simulation, figure=args.figure)


def _write(text: str, path: str | None) -> None:
    if path is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise UsageError(f"-o: directory {directory!r} does not exist")
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise UsageError(f"-o: cannot write {path!r}: {exc.strerror or exc}") from None


def _run_latex(args) -> int:
    text = _render(args)
    if args.standalone and args.what != "report":
        from theory.latex import standalone

        text = standalone(text)
    _write(text, args.output)
    return 0
