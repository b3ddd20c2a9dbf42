"""What every sub-command of the CLI shares: the parser class, argument types, rule options, JSON.

Role: the one module the sub-command modules (:mod:`theory.cli.exponents`, ``predict``,
``simulate``, ``verify``, ``latex``) import from; it imports none of them.  Errors a user can
cause here are :class:`UsageError` (syntax, options that do not go together) and
:class:`CommandError` (a file that cannot be read or written); :func:`theory.cli.main` turns
both, like every :class:`~theory.errors.TheoryInputError`, into one line on stderr and exit 2.

Options a user did not give reach :func:`theory.rules.make_rule` as "not given" (they are left
out of the call, :func:`rule_from_args`), so it can refuse options that do not apply to the rule.
"""
from __future__ import annotations

import argparse
import json
import math
import sys

from theory.errors import TheoryInputError

__all__ = ["UsageError", "CommandError", "Parser", "int_in", "float_arg", "JSON_ENCODING", "to_json", "emit",
           "add_json_flag", "LINK_HELP", "RULE_OPTIONS", "add_rule_options", "given_rule_options",
           "rule_from_args", "check_output_path", "add_plot_flag"]

#: Stated in every ``--json`` object.
JSON_ENCODING = ("RFC 8259 JSON; a number that is infinite, unbounded or undefined (NaN) is written as null "
                 "(see conventions for what null means in each field)")

#: Help text of every LINK argument.
LINK_HELP = ("registered name (He1..He40, h1..h40, relu, abs, sign, tanh, sigmoid, erf) or an expression in z "
             "(numbers, + - * / ** ^, pi, E, exp sin cos sinh cosh tanh erf sqrt Abs sign Max Min Heaviside relu "
             "sigmoid)")


class UsageError(TheoryInputError):
    """Bad command-line syntax, or options that cannot be used together."""


class CommandError(TheoryInputError):
    """A command could not read or write a file it needs (the message names the file)."""


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors raise :class:`UsageError` (one line, no usage dump).

    Examples
    --------
    >>> Parser(prog="theory").parse_args(["--nope"])
    Traceback (most recent call last):
    ...
    theory.cli.common.UsageError: unrecognized arguments: --nope
    """

    def error(self, message):  # main() adds the one "theory: error:" prefix
        raise UsageError(message)


def int_in(lo: int, hi: int, name: str):
    """An argparse ``type``: an integer in ``[lo, hi]``.

    Parameters
    ----------
    lo, hi : int
        The inclusive bounds.
    name : str
        The option's name (argparse names it in its message).

    Returns
    -------
    callable
        ``parse(text) -> int``, raising :class:`argparse.ArgumentTypeError` with the reason.

    Examples
    --------
    >>> int_in(1, 10, "--order")("3")
    3
    >>> int_in(1, 10, "--order")("11")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be an integer in [1, 10], got 11
    """
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"must be an integer in [{lo}, {hi}], got {value}")
        return value
    return parse


def float_arg(name: str, *, positive=False, nonneg=False, open_unit=False, upper=None):
    """An argparse ``type``: a finite number of at most 64 characters, optionally bounded.

    Parameters
    ----------
    name : str
        The option's name (argparse names it in its message).
    positive, nonneg, open_unit : bool
        Require ``> 0``, ``>= 0``, or a value in ``(0, 1)``.
    upper : float, optional
        Require ``<= upper``.

    Returns
    -------
    callable
        ``parse(text) -> float``, raising :class:`argparse.ArgumentTypeError` with the reason.

    Examples
    --------
    >>> float_arg("--eta", positive=True)("0.5")
    0.5
    >>> float_arg("--eta", positive=True)("inf")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be a finite number, got 'inf'
    """
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

    Parameters
    ----------
    obj : object
        Dicts, lists, tuples, numbers (numpy's too), strings; anything else becomes its ``str``.

    Returns
    -------
    str
        The JSON text; a dict gains ``json_encoding`` and ``version`` (the package's) fields unless it has them.

    Examples
    --------
    >>> to_json({"median": float("inf"), "x": 1})[:46]
    '{"median": null, "x": 1, "json_encoding": "RFC'
    >>> import json
    >>> json.loads(to_json([1.0, float("nan")]))
    [1.0, None]
    """
    from theory._version import VERSION as __version__

    data = _json_safe(obj)
    if isinstance(data, dict):
        data.setdefault("json_encoding", JSON_ENCODING)
        data.setdefault("version", __version__)
    return json.dumps(data, indent=None, sort_keys=False, allow_nan=False)


def emit(obj, as_json: bool, text: str) -> None:
    """Write ``obj`` as one line of JSON, or ``text`` with exactly one final newline, to stdout.

    Examples
    --------
    >>> emit({"x": 1}, False, "x = 1\\n\\n")
    x = 1
    """
    if as_json:
        sys.stdout.write(to_json(obj) + "\n")
    else:
        sys.stdout.write(text.rstrip("\n") + "\n")


def add_json_flag(p) -> None:
    """Add ``--json`` to the sub-parser ``p``."""
    p.add_argument("--json", action="store_true", help="one JSON object on stdout (default: a text report)")


def add_plot_flag(p, what: str) -> None:
    """Add ``--plot FILE`` to the sub-parser ``p``: "also draw ``what`` as a PNG"."""
    p.add_argument("--plot", default=None, metavar="FILE", help=f"also draw {what} as a PNG (default: no picture)")


#: The ``make_rule`` keyword options that have hand-written command-line flags below.
_SHARED_OPTIONS = ("loss", "a", "order", "keep_a", "psi", "noise")


def _extra_options() -> dict:
    """``{option: help}`` declared by rule classes beyond the shared ones (one flag each)."""
    from theory.rules import registry
    out = {}
    for cls in registry().values():
        for key, text in cls.option_help.items():
            if key not in _SHARED_OPTIONS:
                out.setdefault(key, text)
    return out


#: The ``make_rule`` keyword options that the CLI passes on when given (the shared ones, then each
#: registered rule class's own).
RULE_OPTIONS = _SHARED_OPTIONS + tuple(_extra_options())


def _rule_names() -> str:
    from theory.rules import registry
    return " | ".join(registry())


def add_rule_options(p, *, verify=False) -> None:
    """Add the options that describe an update rule to ``p``; defaults of None/False mean "not given".

    With ``verify``, ``--rule`` and ``--target`` are optional (verify's configuration has defaults).
    """
    if verify:
        p.add_argument("--rule", default=None,
                       help=f"update rule: {_rule_names()} (default: alternating)")
        p.add_argument("--target", default=None, help="link sigma_* (default: h3 = He_3/sqrt(6), unit variance); "
                       + LINK_HELP)
    else:
        p.add_argument("--rule", required=True,
                       help=f"update rule: {_rule_names()} (required)")
        p.add_argument("--target", required=True, help="link sigma_* (required): " + LINK_HELP)
    p.add_argument("--student", default=None, help="student activation sigma, same syntax as the target "
                   "(default: the target)")
    p.add_argument("--loss", default=None, help="correlation | squared (default: correlation)")
    p.add_argument("--a", type=float_arg("--a"), default=None,
                   help="second-layer value a: fixed, reset to after each step, or initial with --keep-a "
                        "(a finite number; default 1)")
    p.add_argument("--order", type=int_in(1, 10, "--order"), default=None,
                   help="batch-reuse only: terms r of the expansion in eta*d (an integer in 1..10; default: the "
                        "exact order for polynomial students, else 2)")
    p.add_argument("--keep-a", action="store_true",
                   help="alternating only: keep the updated second layer instead of resetting it to a "
                        "(default: off)")
    p.add_argument("--psi", default=None,
                   help="custom rule only (required there): psi as an expression in y, z, eta, d, a "
                        "(default: none)")
    p.add_argument("--noise", type=float_arg("--noise", nonneg=True), default=None,
                   help="label-noise std s of the target (a number >= 0; default 0)")
    for key, text in _extra_options().items():
        p.add_argument("--" + key.replace("_", "-"), dest=key, default=None, help=text)


def given_rule_options(args) -> dict:
    """The rule options the user actually gave (None/False are "not given" and are left out).

    Examples
    --------
    >>> import argparse
    >>> given_rule_options(argparse.Namespace(loss=None, a=0.5, order=None, keep_a=False, psi=None, noise=None))
    {'a': 0.5}
    """
    out = {}
    for key in RULE_OPTIONS:
        value = getattr(args, key, None)
        if value is None or value is False:
            continue
        out[key] = value
    return out


def rule_from_args(args, *, default_rule=None, default_target=None):
    """The :class:`~theory.rules.Rule` the parsed ``args`` describe (the student defaults to the target).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed by a parser with :func:`add_rule_options`.
    default_rule, default_target : str, optional
        Used where ``--rule`` / ``--target`` were not given.

    Returns
    -------
    theory.rules.Rule

    Examples
    --------
    >>> p = Parser(prog="theory")
    >>> add_rule_options(p)
    >>> rule_from_args(p.parse_args(["--rule", "online", "--target", "He3"])).label
    'online SGD (correlation loss), target He3, student He3'
    """
    from theory.rules import make_rule  # looked up at call time (tests patch it)

    rule = args.rule if args.rule is not None else default_rule
    target = args.target if args.target is not None else default_target
    student = args.student if args.student is not None else target
    return make_rule(rule, target, student, **given_rule_options(args))


def check_output_path(path: str, flag: str, *, hint: str = "") -> None:
    """Refuse an output path that is not a regular file or a new name in an existing folder (before any work).

    ``flag`` names the option in the message (``-o``, ``--plot``); ``hint`` is appended to the
    message about a path that is not a regular file.
    """
    import os
    import stat

    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise CommandError(f"{flag}: directory {directory!r} " + ("is not a directory" if os.path.exists(directory)
                                                                   else "does not exist"))
    if os.path.lexists(path):
        st = os.stat(path) if os.path.exists(path) else None
        if st is None or not stat.S_ISREG(st.st_mode):
            from theory.simulate.sweep import file_kind

            kind = "a dangling link" if st is None else file_kind(st.st_mode)
            raise CommandError(f"{flag}: {path!r} is {kind}, not a regular file{hint}")
    if not os.access(directory, os.W_OK):
        raise CommandError(f"{flag}: cannot write in directory {directory!r} (permission denied)")
