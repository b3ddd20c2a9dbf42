r"""LaTeX output in the paper's notation: the top layer that typesets every result of the package.

Role: the package's public face for LaTeX, re-exporting seven modules, one concept each, layered
so that each imports only those before it:

* :mod:`theory.latex.escape` -- :func:`escape_text`, the one way user text reaches TeX;
* :mod:`theory.latex.notation` -- notation objects (``\mu_i(\eta)``, ``u_k(f)``, ``\sigma_*``,
  ...), :class:`TheoryLatexPrinter`, :func:`latex`, :func:`He`;
* :mod:`theory.latex.layout` -- long sums broken into lines, :func:`align_block`, tables;
* :mod:`theory.latex.link_fragments` -- :func:`hermite_latex`, :func:`exponents_latex`,
  :func:`profile_latex`;
* :mod:`theory.latex.rule_fragments` -- :func:`psi_latex`, :func:`mu_latex`, :func:`theorem_latex`;
* :mod:`theory.latex.summary` and :mod:`theory.latex.report` -- simulation summaries,
  :func:`report_latex`, :func:`standalone`, figure paths.

Fragments are text-mode LaTeX for a document body that loads ``amsmath``, ``amssymb`` and
``booktabs`` (:data:`PREAMBLE`); :func:`standalone` wraps one in a compilable document,
:func:`report_latex` writes a whole document, and :func:`profile_latex` is math-mode (for
``$...$`` in notebooks).  User text never reaches TeX as itself: strings go through
:func:`escape_text`, a figure's path is assembled from character codes
(:func:`figure_path_tex`), and simulation inputs are summarised into bounded tables.

Importing this package registers the notebook renderers of the lower layers' result objects
with :mod:`theory.display` (a :class:`~theory.exponents.LinkProfile` displays as
:func:`profile_latex`, a :class:`~theory.predict.Prediction` as :func:`theorem_latex`, a
:class:`~theory.rules.Rule` as :func:`psi_latex`), so those layers never import this one.

Examples
--------
>>> import sympy as sp
>>> from theory.symbols import D, P, Z
>>> latex(He(3) + 2 * sp.Max(Z, 0))
'\\mathrm{He}_{3}(z) + 2 \\max(z, 0)'
>>> latex(PowerProduct((Mu(2), -2), (D, Vee(P - 1, 1))))
'\\mu_{2}(\\eta)^{-2} d^{(p - 1) \\vee 1}'
"""
from theory import display as _display
from theory.exponents import LinkProfile as _LinkProfile
from theory.latex.escape import escape_text
from theory.latex.link_fragments import exponents_latex, hermite_latex, profile_latex
from theory.latex.layout import align_block, sum_lines
from theory.latex.notation import (Expectation, He, HermiteCoef, LatexInputError, Mu, OrderedProduct, OrderedSum,
                                   PowerProduct, Psi, SoftTheta, Student, Target, TheoryLatexPrinter, Vee,
                                   latex)
from theory.latex.report import PREAMBLE, figure_path_tex, report_latex, standalone
from theory.latex.rule_fragments import bounds_latex, mu_latex, psi_latex, theorem_latex
from theory.predict import Prediction as _Prediction
from theory.rules import Rule as _Rule
from theory.symbols import ALPHA, A, D, ETA, M, P, Q, Y

__all__ = [
    "TheoryLatexPrinter", "latex", "LatexInputError", "PREAMBLE",
    "He", "P", "ALPHA", "A", "D", "ETA", "Q", "Y", "M", "OrderedSum", "OrderedProduct",
    "Target", "Student", "Psi", "Mu", "HermiteCoef", "Expectation", "SoftTheta", "Vee", "PowerProduct",
    "hermite_latex", "exponents_latex", "psi_latex", "mu_latex", "theorem_latex", "bounds_latex", "report_latex",
    "profile_latex", "standalone", "escape_text", "align_block", "sum_lines", "figure_path_tex",
]


def _profile_display(profile) -> str:
    """A link profile in a notebook: :func:`profile_latex` in ``$...$`` (it is math-mode)."""
    return "$" + profile_latex(profile) + "$"


_display.register(_LinkProfile, "latex", _profile_display)
_display.register(_Prediction, "latex", theorem_latex)
_display.register(_Rule, "latex", psi_latex)
