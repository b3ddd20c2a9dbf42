"""Rich display in notebooks without upward imports.

Result objects of the lower layers (a link profile, a prediction, a simulation result) inherit
:class:`RichDisplay`.  They do not know how to typeset themselves: the LaTeX layer, which sits
above them, registers a renderer per class with :func:`register` when it is imported (importing
:mod:`theory` imports it), and :mod:`theory.figures` registers the pictures (``_repr_png_``).  So ``exponents`` never imports ``latex`` and the import graph stays
acyclic, while ``display(profile)`` in Jupyter shows the typeset profile.

A class without a registered renderer displays as its ``repr`` (IPython's fallback when
``_repr_latex_`` returns ``None``).
"""

from __future__ import annotations

from typing import Callable

__all__ = ["RichDisplay", "register", "render"]

_RENDERERS: dict[tuple[type, str], Callable] = {}


def register(cls: type, kind: str, renderer: Callable) -> None:
    """Register ``renderer(obj)`` as the ``kind`` display of ``cls``: a ``str`` for "latex" and "html",
    PNG ``bytes`` for "png"."""
    if kind not in ("latex", "html", "png"):
        raise ValueError(f"kind must be 'latex', 'html' or 'png', got {kind!r}")
    _RENDERERS[(cls, kind)] = renderer


def render(obj, kind: str) -> str | None:
    """The ``kind`` display of ``obj`` from the nearest registered class in its MRO, or ``None``."""
    for cls in type(obj).__mro__:
        fn = _RENDERERS.get((cls, kind))
        if fn is not None:
            return fn(obj)
    return None


class RichDisplay:
    """Mixin: ``_repr_latex_`` / ``_repr_html_`` through the renderers registered for the class."""

    __slots__ = ()

    def _repr_latex_(self) -> str | None:
        return render(self, "latex")

    def _repr_html_(self) -> str | None:
        return render(self, "html")

    def _repr_png_(self) -> bytes | None:
        return render(self, "png")
