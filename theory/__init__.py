"""Symbolic-numeric verifier for SGD learning of Gaussian single-index models.

Data flows one way through the modules: a link (:mod:`theory.links`) becomes Hermite
coefficients (:mod:`theory.hermite`), coefficients become exponents
(:mod:`theory.exponents`); an update rule (:mod:`theory.rules`) becomes drift coefficients
(:mod:`theory.drift`) and predictions (:mod:`theory.predict`), which choose step sizes for
the simulators (:mod:`theory.simulate`); :mod:`theory.verify` compares the two, and
:mod:`theory.latex` typesets all of it.  Conventions: probabilists' Hermite polynomials ``He_k``,
``u_k(f) = E[f(z) He_k(z)] / k!`` under ``z ~ N(0, 1)``, unless a function says otherwise.

The names here are the public surface, one or two per job:

* a link: :func:`parse_link`, :func:`hermite_expansion`, :func:`profile`,
  :func:`information_exponent`, :func:`generative_exponent`;
* a rule and its prediction: :func:`make_rule`, :func:`drift_coefficients`, :func:`predict`;
* simulation: :func:`simulate` (one configuration), :func:`run_sweep` (many, resumable);
* verification: :func:`verify` with a :class:`VerifyConfig`;
* LaTeX: :func:`hermite_latex`, :func:`theorem_latex`, :func:`report_latex`, :func:`standalone`
  (the other fragments are in :mod:`theory.latex`);
* the errors a user can cause, all :class:`TheoryInputError`.

Everything else is reached by its module path (``from theory.symbols import Z``,
``from theory.predict import step_size``).  ``theory.simulate``, ``theory.verify`` and
``theory.predict`` are the functions; their modules are imported by name
(``from theory.simulate.sweep import load_records``, ``import theory.verify``).  Importing
``theory`` imports :mod:`theory.latex`, which registers the notebook display of profiles,
rules and predictions (:mod:`theory.display`).

Examples
--------
>>> import theory
>>> theory.information_exponent("He3").value
3
"""
from theory.errors import (ExpansionError, LinkError, PredictionError, RuleError,
                           TheoryInputError)
from theory.links import parse_link
from theory.hermite import hermite_expansion
from theory.exponents import generative_exponent, information_exponent, profile
from theory.rules import make_rule
from theory.drift import drift_coefficients
from theory.predict import predict
from theory.simulate import run_sweep, simulate
from theory.verify import VerifyConfig, verify
from theory.latex import hermite_latex, report_latex, standalone, theorem_latex
import theory.figures  # noqa: E402,F401  (registers the notebook pictures: _repr_png_)

__all__ = [
    "parse_link", "hermite_expansion", "profile", "information_exponent", "generative_exponent",
    "make_rule", "drift_coefficients", "predict",
    "simulate", "run_sweep",
    "verify", "VerifyConfig",
    "hermite_latex", "theorem_latex", "report_latex", "standalone",
    "TheoryInputError", "LinkError", "ExpansionError", "RuleError", "PredictionError",
]
from theory._version import VERSION as __version__  # noqa: E402
