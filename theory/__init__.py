"""Symbolic-numeric verifier for SGD learning of Gaussian single-index models.

Data flows one way through the modules: a link (:mod:`theory.links`) becomes Hermite
coefficients (:mod:`theory.hermite`), coefficients become exponents
(:mod:`theory.exponents`).  Conventions: probabilists' Hermite polynomials ``He_k``,
``u_k(f) = E[f(z) He_k(z)] / k!`` under ``z ~ N(0, 1)``, unless a function says otherwise.
"""
from theory.errors import (ExpansionError, LinkError, PredictionError, RuleError,
                           TheoryInputError)
from theory.exponents import (Exponent, LinkProfile, generative_exponent,
                              information_exponent, power_exponents, profile)
from theory.hermite import (HermiteCoefficient, HermiteExpansion, exact_coefficients,
                            gaussian_expectation, hermite_expansion)
from theory.links import Z, Link, hermite_polynomial, parse_link

__all__ = [
    "TheoryInputError", "LinkError", "ExpansionError", "RuleError", "PredictionError",
    "Z", "Link", "parse_link", "hermite_polynomial",
    "HermiteCoefficient", "HermiteExpansion", "hermite_expansion", "exact_coefficients",
    "gaussian_expectation",
    "Exponent", "LinkProfile", "information_exponent", "generative_exponent", "power_exponents",
    "profile",
]
__version__ = "0.1.0"
