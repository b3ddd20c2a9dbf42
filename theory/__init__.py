"""Symbolic-numeric verifier for SGD learning of Gaussian single-index models.

Data flows one way through the modules: a link (:mod:`theory.links`) becomes Hermite
coefficients (:mod:`theory.hermite`), coefficients become exponents
(:mod:`theory.exponents`); an update rule (:mod:`theory.rules`) becomes drift coefficients
(:mod:`theory.drift`) and predictions (:mod:`theory.predict`), which choose step sizes for
the simulators (:mod:`theory.simulate`); :mod:`theory.verify` compares the two, and
:mod:`theory.latex` typesets all of it.  Conventions: probabilists' Hermite polynomials ``He_k``,
``u_k(f) = E[f(z) He_k(z)] / k!`` under ``z ~ N(0, 1)``, unless a function says otherwise.
"""
from theory.errors import (ExpansionError, LinkError, PredictionError, RuleError,
                           TheoryInputError)
from theory.exponents import (Exponent, LinkProfile, generative_exponent,
                              information_exponent, power_exponents, profile)
from theory.hermite import (HermiteCoefficient, HermiteExpansion, exact_coefficients,
                            gaussian_expectation, hermite_expansion)
from theory.links import Z, Link, hermite_polynomial, parse_link
from theory.rules import Rule, make_rule
from theory.drift import drift_coefficients, drift_polynomial, psi_second_moment
from theory.predict import Prediction, crossing_etas, predict, step_size

__all__ = [
    "TheoryInputError", "LinkError", "ExpansionError", "RuleError", "PredictionError",
    "Z", "Link", "parse_link", "hermite_polynomial",
    "HermiteCoefficient", "HermiteExpansion", "hermite_expansion", "exact_coefficients",
    "gaussian_expectation",
    "Exponent", "LinkProfile", "information_exponent", "generative_exponent", "power_exponents",
    "profile",
    "Rule", "make_rule", "drift_coefficients", "drift_polynomial", "psi_second_moment",
    "Prediction", "predict", "crossing_etas", "step_size",
]
__version__ = "0.1.0"
