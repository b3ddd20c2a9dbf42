"""The ``exponents`` sub-command: Hermite coefficients and exponents of a link, as text or JSON.

Role: parse ``LINK [--noise S] [--kmax K] [--powers J] [--json]`` and print
:func:`theory.exponents.profile` of the link; no mathematics lives here.
"""
from __future__ import annotations

from theory.cli.common import LINK_HELP, add_json_flag, add_plot_flag, check_output_path, emit, float_arg, int_in

__all__ = ["add_parser", "run"]


def add_parser(sub):
    """Add ``exponents`` to the sub-parsers ``sub`` of the ``theory`` CLI; returns its parser.

    Examples
    --------
    >>> from theory.cli.common import Parser
    >>> parser = Parser(prog="theory")
    >>> _ = add_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["exponents", "He3"])
    >>> args.kmax, args.powers, args.json
    (10, 3, False)
    """
    p = sub.add_parser("exponents", help="Hermite expansion, information/generative/power exponents of a link",
                       description="Hermite coefficients u_k = E[f(z) He_k(z)]/k! (probabilists' He_k, z ~ N(0,1)), "
                                   "the information, generative and power exponents of a link.")
    p.add_argument("link", help=LINK_HELP)
    p.add_argument("--noise", type=float_arg("--noise", nonneg=True), default=0.0,
                   help="label-noise std s, y = f(z) + s N(0,1) (a number >= 0; default 0)")
    p.add_argument("--kmax", type=int_in(1, 200, "--kmax"), default=10,
                   help="list u_0..u_kmax (an integer in 1..200; default 10)")
    p.add_argument("--powers", type=int_in(1, 12, "--powers"), default=3,
                   help="power exponents p_1..p_K, p_j = IE(E[y^j | z]) (K an integer in 1..12; default 3)")
    add_plot_flag(p, "the Hermite spectrum |u_k| sqrt(k!) (exact and numeric marked, exponents annotated)")
    add_json_flag(p)
    p.set_defaults(run=run)
    return p


def run(args) -> int:
    """Print the profile of ``args.link``; returns the exit status 0."""
    from theory.exponents import profile
    from theory.links import parse_link

    if args.plot is not None:
        check_output_path(args.plot, "--plot")
    prof = profile(parse_link(args.link, noise=args.noise), kmax=args.kmax, powers=args.powers)
    obj, text = prof.to_dict(), prof.table()
    if args.plot is not None:
        from theory.figures import save_png, spectrum_figure

        where = save_png(spectrum_figure(prof), args.plot)
        obj["plot"] = where
        text += "\nplot: " + where
    emit(obj, args.json, text)
    return 0
