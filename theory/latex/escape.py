r"""User text into TeX: :func:`escape_text`, the one way a string reaches a LaTeX document.

Role: every character that TeX would read as markup (``\ { } $ & # ^ _ % ~``), every accented
letter and every other non-ASCII character is mapped to a command or a safe fallback, so that
a link's name, a file name or a note from the user prints as itself and never runs as TeX.
"""
from __future__ import annotations

__all__ = ["escape_text"]


_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
    "%": r"\%", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
    "<": r"\ensuremath{<}", ">": r"\ensuremath{>}", "|": r"\ensuremath{|}",
    # not special in themselves, but they change the meaning of a neighbouring \\, \item or \par:
    "[": "{[}", "]": "{]}", "*": "{*}", "\n": " ", "\r": " ", "\t": " ", "\f": " ", "\v": " ",
}


_ACCENTS = {"\u0301": "'", "\u0300": "`", "\u0302": "^", "\u0308": '"', "\u0303": "~", "\u0327": "c",
            "\u030c": "v", "\u030a": "r", "\u0304": "="}


def _escape_char(ch: str) -> str:
    if ch in _TEXT_ESCAPES:
        return _TEXT_ESCAPES[ch]
    code = ord(ch)
    if 32 <= code < 127:
        return ch
    import unicodedata

    parts = unicodedata.normalize("NFD", ch)
    if len(parts) == 2 and parts[0].isascii() and parts[0].isalpha() and parts[1] in _ACCENTS:
        return "\\" + _ACCENTS[parts[1]] + "{" + parts[0] + "}"
    return "{[}U+" + f"{code:04X}" + "{]}"  # control characters and anything pdflatex may not have


def escape_text(text: str) -> str:
    r"""Escape plain text for LaTeX text mode: nothing in ``text`` can act as TeX.

    Every character TeX treats specially (``\ { } $ & # % _ ^ ~``) and those that change the
    meaning of their neighbours (``[ ] *`` after ``\\``, newlines and other control characters,
    which would end a paragraph or be invalid) is replaced by a form that prints it; accented
    Latin letters become accent commands, and other non-ASCII characters their code point
    ``[U+XXXX]`` (pdflatex cannot set them all).  So a string such as ``\write18{...}`` prints
    as text and never runs.

    Examples
    --------
    >>> escape_text("u_3 = 1 != 0; E[y^2|z] ~ 50%")
    'u\\_3 = 1 != 0; E{[}y\\textasciicircum{}2\\ensuremath{|}z{]} \\textasciitilde{} 50\\%'
    >>> escape_text("\\immediate\\write18{rm x}\n")
    '\\textbackslash{}immediate\\textbackslash{}write18\\{rm x\\} '
    >>> escape_text("café \u65e5")
    "caf\\'{e} {[}U+65E5{]}"
    """
    return "".join(_escape_char(ch) for ch in str(text))
