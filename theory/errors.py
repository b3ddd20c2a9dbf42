"""Exceptions for bad user input.

Every error a user can cause by what they type derives from :class:`TheoryInputError`;
the CLI turns exactly these into one line on stderr and exit status 2.  Anything else
escaping is a bug in this package and is allowed to show a traceback.
"""

__all__ = ["TheoryInputError", "LinkError", "ExpansionError", "RuleError", "PredictionError"]


class TheoryInputError(ValueError):
    """Base class: a user-supplied input is invalid.  The message names the input."""


class LinkError(TheoryInputError):
    """A link (or other user expression) could not be parsed or is not admissible."""


class ExpansionError(TheoryInputError):
    """A Hermite-expansion request is out of range (``kmax``, noise, ...)."""


class RuleError(TheoryInputError):
    """An update rule cannot be built from the given options."""


class PredictionError(TheoryInputError):
    """A prediction was asked outside the range where it is defined."""
