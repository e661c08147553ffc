"""Characters the report's font can draw, and the stand-in for those it cannot.

The archival PDF embeds every glyph it prints, in the fonts shipped in ``fonts/`` (DejaVu Sans):
Latin, Greek, Cyrillic and many symbols, but no Han, Japanese, Korean, Devanagari, Thai, ...
glyphs. A character the fonts lack (in a category name, a document, a finding) is printed in the
PDF as its code point, ``[U+4E2D]``, so the PDF can always be written; the evidence attached to
the PDF, the JSON and the HTML keep the text as it was. The mapping is a pure function of the
text, so :mod:`._verify` renders the same bytes again.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = ["drawable", "printable"]

_FACES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSansMono.ttf")
_KEEP = frozenset("\n\t\r")


@lru_cache(maxsize=1)
def _font_characters() -> frozenset[int]:
    """The code points every face the report uses can draw."""
    from fontTools.ttLib import TTFont  # a dependency of matplotlib

    found: set[int] | None = None
    for face in _FACES:
        with resources.files("explain.report").joinpath("fonts", face).open("rb") as f:
            chars = set(TTFont(f).getBestCmap())
        found = chars if found is None else found & chars
    return frozenset(found or ())


def printable(text: str) -> str:
    """``text`` with each character the report's fonts cannot draw written as ``[U+4E2D]``.

    >>> printable("Zürich, Αθήνα and 北京")
    'Zürich, Αθήνα and [U+5317][U+4EAC]'
    """
    chars = _font_characters()
    if all(ord(c) in chars or c in _KEEP for c in text):
        return text
    return "".join(c if ord(c) in chars or c in _KEEP else f"[U+{ord(c):04X}]" for c in text)


def drawable(value: Any) -> Any:
    """A copy of a JSON-like value (dicts, lists, strings, numbers) whose strings, keys included,
    are :func:`printable`.

    >>> drawable({"北": ["a", 1.5, None]})
    {'[U+5317]': ['a', 1.5, None]}
    """
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {drawable(k): drawable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [drawable(v) for v in value]
    return value
