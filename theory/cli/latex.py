"""The ``latex`` sub-command: LaTeX fragments and reports on stdout or in a file.

Role: parse ``latex WHAT ...``, check the files it reads and writes, and call
:mod:`theory.latex`.

Usage::

    theory latex hermite LINK [--noise S] [--kmax K] [-o FILE] [--standalone]
    theory latex exponents LINK [--noise S] [--kmax K] [--powers J] [-o FILE] [--standalone]
    theory latex psi     --rule R --target T [rule options] [-o FILE] [--standalone]
    theory latex mu      ... [--imax I] [--symbolic-a]
    theory latex theorem ... [--imax I]
    theory latex report  ... [--imax I] [--simulation JSON_FILE] [--figure PNG] [-o FILE]

Fragments are printed as text-mode LaTeX for a document that loads ``amsmath``,
``amssymb`` and ``booktabs``; ``--standalone`` wraps one in a minimal compilable document.
``report`` always writes a whole document (``--standalone`` is refused there).  Each command
takes only the options it uses.  Files: ``--simulation`` must be a regular file of at most
:data:`MAX_SIMULATION_BYTES` (checked before reading); ``-o`` must be a regular file or a new
name in an existing folder, and is written atomically (an existing file is replaced only by a
complete new one).  No mathematics lives here: every branch is a call into :mod:`theory.latex`.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from theory._io import atomic_write
from theory.cli.common import (LINK_HELP, CommandError, Parser, UsageError, add_rule_options, check_output_path,
                               float_arg, int_in, rule_from_args)

__all__ = ["add_parser", "MAX_SIMULATION_BYTES"]

#: Largest ``--simulation`` file read (an internal limit: ``simulate --json`` with 10^5 runs is
#: about 4 MB, a verify records.json with 10^5 runs per point far less than this).
MAX_SIMULATION_BYTES = 64 * 2**20


def _add_output(p, *, fragment=True):
    p.add_argument("-o", "--output", metavar="FILE", default=None,
                   help="write the LaTeX to this file, replaced atomically (default: stdout)")
    p.add_argument("--standalone", action="store_true",
                   help="wrap the fragment in a minimal compilable document (default: off)" if fragment
                   else "not used: a report is always a whole document (refused; default: off)")


def _add_link_options(p, *, powers=True):
    p.add_argument("link", help=LINK_HELP)
    p.add_argument("--noise", type=float_arg("--noise", nonneg=True), default=0.0,
                   help="label-noise std s (a number >= 0; default 0)")
    p.add_argument("--kmax", type=int_in(1, 200, "--kmax"), default=10,
                   help="coefficients u_0..u_kmax (an integer in 1..200; default 10)")
    if powers:
        p.add_argument("--powers", type=int_in(1, 12, "--powers"), default=3,
                       help="power exponents p_1..p_J (J an integer in 1..12; default 3)")


def add_parser(sub):
    r"""Add ``latex WHAT ...`` to the sub-parsers ``sub`` of the ``theory`` CLI.

    Examples
    --------
    >>> from theory.cli.common import Parser
    >>> parser = Parser(prog="theory")
    >>> _ = add_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["latex", "theorem", "--rule", "alternating", "--target", "He3"])
    >>> args.what, args.imax, args.standalone
    ('theorem', 8, False)
    >>> print(_render(args).splitlines()[1])
    \[ T(\eta) = \min_{i:\ \mu_i(\eta) > 0} \tilde\Theta\left(\mu_{i}(\eta)^{-2} d^{(i - 1) \vee 1}\right), \qquad \eta = d^{-\alpha} \]
    """
    p = sub.add_parser("latex", help="LaTeX: Hermite expansions, exponents, psi, mu_i, the theorem, full reports")
    what = p.add_subparsers(dest="what", parser_class=Parser, metavar="WHAT")
    what.required = True

    for name, helptext in (("hermite", "Hermite expansion of a link (He_k basis)"),
                           ("exponents", "table of information, generative and power exponents")):
        q = what.add_parser(name, help=helptext)
        _add_link_options(q, powers=name == "exponents")
        _add_output(q)
        q.set_defaults(run=_run_latex)

    for name, helptext in (("psi", "derivation of psi_eta for an update rule"),
                           ("mu", "drift coefficients mu_i(eta)"),
                           ("theorem", "predicted T(eta): exponent curve and thresholds"),
                           ("report", "complete standalone .tex report")):
        q = what.add_parser(name, help=helptext)
        add_rule_options(q)
        if name != "psi":
            q.add_argument("--imax", type=int_in(1, 40, "--imax"), default=8,
                           help="drift coefficients mu_1..mu_imax (an integer in 1..40; default 8)")
        if name == "mu":
            q.add_argument("--symbolic-a", action="store_true",
                           help="keep the second layer a symbolic (default: off, its value)")
        if name == "report":
            q.add_argument("--simulation", metavar="JSON_FILE", default=None,
                           help="simulation results to summarise: the output of simulate --json, verify's "
                                "report.json, records.json or a points/<id>.json, or rows "
                                '{"rows": [{"d": ..., "eta": ..., "median": ...}, ...]} / a list of rows '
                                "(a regular file of at most 64 MB; default: none)")
            q.add_argument("--figure", metavar="PNG", default=None,
                           help="figure to include: a .png, .pdf or .jpg file (default: none)")
        _add_output(q, fragment=name != "report")
        q.set_defaults(run=_run_latex)
    return p


def _read_simulation(path: str):
    """The parsed JSON of a ``--simulation`` file: a regular file, bounded in size, checked before reading."""
    from theory.latex import LatexInputError
    from theory.simulate.sweep import read_regular_file

    try:
        text = read_regular_file(path, MAX_SIMULATION_BYTES, "file")
    except FileNotFoundError:
        raise LatexInputError(f"--simulation: file {path!r} does not exist") from None
    except OSError as exc:
        raise LatexInputError(f"--simulation: cannot read {path!r}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise LatexInputError(f"--simulation: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise LatexInputError(f"--simulation: {path!r} is not valid JSON ({exc.msg}, line {exc.lineno})") from None
    except RecursionError:
        raise LatexInputError(f"--simulation: {path!r} is nested too deeply to be a simulation summary") from None
    except ValueError:  # the only other ValueError of json.loads: an integer beyond the conversion limit
        raise LatexInputError(f"--simulation: {path!r} holds an integer with more than "
                              f"{sys.get_int_max_str_digits() if hasattr(sys, 'get_int_max_str_digits') else 4300} "
                              f"digits, which is not a simulation result") from None


def _render(args) -> str:
    from theory import latex as tl
    from theory.latex.summary import simulation_summary

    if args.what in ("hermite", "exponents"):
        from theory.exponents import profile
        from theory.links import parse_link

        link = parse_link(args.link, noise=args.noise)
        if args.what == "hermite":
            return tl.hermite_latex(link, args.kmax)
        return tl.exponents_latex(profile(link, kmax=args.kmax, powers=args.powers))
    rule = rule_from_args(args)
    if args.what == "psi":
        return tl.psi_latex(rule)
    if args.what == "mu":
        return tl.mu_latex(rule, args.imax, symbolic_a=args.symbolic_a)
    from theory.predict import predict

    prediction = predict(rule, imax=args.imax)
    if args.what == "theorem":
        return tl.theorem_latex(prediction)
    simulation = None
    if args.simulation is not None:
        simulation = _read_simulation(args.simulation)
        try:  # the schema is checked here so that the message names the file
            simulation_summary(simulation)
        except tl.LatexInputError as exc:
            raise tl.LatexInputError(f"--simulation {args.simulation!r}: {exc}") from None
    return tl.report_latex(rule, prediction, simulation=simulation, figure=args.figure)


def _write(text: str, path: str | None) -> None:
    if path is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    try:
        atomic_write(Path(os.path.realpath(path)), text)
    except OSError as exc:
        raise CommandError(f"-o: cannot write {path!r}: {exc.strerror or exc}") from None


def _run_latex(args) -> int:
    if args.what == "report" and args.standalone:
        raise UsageError("--standalone does not apply to latex report: a report is always a whole document")
    if args.output is not None:
        check_output_path(args.output, "-o", hint="; omit -o to write to stdout")
    text = _render(args)
    if args.standalone and args.what != "report":
        from theory.latex import standalone

        text = standalone(text)
    _write(text, args.output)
    return 0
