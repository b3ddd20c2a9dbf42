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

Layout: :mod:`theory.cli.common` holds what the commands share (parser class, argument types,
rule options, JSON output); one module per sub-command (:mod:`~theory.cli.exponents`,
:mod:`~theory.cli.predict`, :mod:`~theory.cli.simulate`, :mod:`~theory.cli.verify`,
:mod:`~theory.cli.latex`) defines ``add_parser(sub)`` and its ``run(args)``; this module puts
them together in :data:`COMMANDS` order.
"""
from __future__ import annotations

import argparse
import sys

from theory.cli import advise, exponents, latex, predict, simulate, verify
from theory.cli.common import JSON_ENCODING, Parser
from theory.cli.simulate import SIMULATE_WORK_LIMIT
from theory.cli.verify import MAX_WORKERS
from theory.errors import TheoryInputError

__all__ = ["main", "build_parser", "COMMANDS", "JSON_ENCODING", "MAX_WORKERS", "SIMULATE_WORK_LIMIT"]

#: The sub-command modules, in the order ``theory --help`` lists them.
COMMANDS = (exponents, predict, simulate, verify, advise, latex)


def _version() -> str:
    from theory._version import VERSION as __version__

    return f"theory (sgd-theory-verifier) {__version__}"


def build_parser() -> argparse.ArgumentParser:
    """The ``theory`` argument parser with every sub-command of :data:`COMMANDS`.

    Returns
    -------
    argparse.ArgumentParser
        Its errors raise :class:`theory.cli.common.UsageError`; each sub-command sets ``run``.

    Examples
    --------
    >>> args = build_parser().parse_args(["exponents", "He3", "--kmax", "4"])
    >>> args.command, args.kmax
    ('exponents', 4)
    """
    parser = Parser(prog="theory", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=_version(),
                        help="print the package version and exit")
    sub = parser.add_subparsers(dest="command", parser_class=Parser, metavar="COMMAND")
    sub.required = True
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv=None) -> int:
    """Run the CLI on ``argv`` (default: ``sys.argv[1:]``); returns the exit status.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after the program name.

    Returns
    -------
    int
        0 success, 1 a verification did not pass, 2 bad input (one line on stderr), 130 interrupted.

    Examples
    --------
    >>> main(["exponents", "He3", "--kmax", "3", "--powers", "1"]) == 0  # doctest: +ELLIPSIS
    link      He3  =  z**3 - 3*z
    ...
    True
    """
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
