"""What an exported report's bytes depend on besides its evidence: the renderer's versions.

The PDF is a function of the evidence, the report date and three versions: ``explain`` (template,
view, charts), ``typst`` (layout) and ``matplotlib`` (the SVG charts); the HTML page of the
evidence and two of them (``explain``, ``matplotlib``). The exporters write these versions into
the file as a *generator* string (``explain-0.1.0+typst-0.15.2+matplotlib-3.11.2``), and
:func:`explain.audit` records the same libraries in the evidence (``provenance.versions``), which
is hashed. An exporter refuses to render evidence that records other versions than the ones
running (:func:`check_recorded`): the file could then not be checked against its own evidence.
:mod:`._verify` renders the file again and compares bytes; the versions tell it whether a
difference is a change to the file or only another renderer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import metadata
from typing import Any

from explain.errors import InputError

__all__ = ["HTML_LIBRARIES", "PDF_LIBRARIES", "check_recorded", "format_generator", "parse_generator", "recorded",
           "running"]  # fmt: skip

PDF_LIBRARIES = ("explain", "typst", "matplotlib")
HTML_LIBRARIES = ("explain", "matplotlib")


def running(libraries: Sequence[str]) -> dict[str, str]:
    """The installed version of each library (``"missing"`` for one that is not installed).

    Examples
    --------
    >>> from explain import __version__
    >>> running(["explain"]) == {"explain": __version__}
    True
    """
    from explain import __version__

    versions = {}
    for name in libraries:
        try:
            versions[name] = __version__ if name == "explain" else metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions


def format_generator(versions: Mapping[str, str]) -> str:
    """``{"explain": "0.1.0", "typst": "0.15.2"}`` -> ``"explain-0.1.0+typst-0.15.2"``.

    Examples
    --------
    >>> format_generator({"explain": "0.1.0", "typst": "0.15.2"})
    'explain-0.1.0+typst-0.15.2'
    """
    return "+".join(f"{name}-{version}" for name, version in versions.items())


def parse_generator(text: str) -> dict[str, str] | None:
    """The versions of a generator string, or ``None`` when it is not one.

    Examples
    --------
    >>> parse_generator("explain-0.1.0+typst-0.15.2+matplotlib-3.11.2")
    {'explain': '0.1.0', 'typst': '0.15.2', 'matplotlib': '3.11.2'}
    >>> parse_generator("Word 2016") is None
    True
    """
    versions = {}
    for part in text.split("+"):
        name, sep, version = part.rpartition("-")
        if not sep or not name or not version:
            return None
        versions[name] = version
    return versions if "explain" in versions else None


def recorded(evidence: Mapping[str, Any], libraries: Sequence[str]) -> dict[str, str]:
    """The versions of ``libraries`` the evidence records (``provenance.versions``), where it does."""
    provenance = evidence.get("provenance")
    versions = provenance.get("versions") if isinstance(provenance, Mapping) else None
    if not isinstance(versions, Mapping):
        return {}
    return {name: str(versions[name]) for name in libraries if isinstance(versions.get(name), str)}


def check_recorded(evidence: Mapping[str, Any], libraries: Sequence[str], what: str) -> None:
    """Refuse to render evidence that records other versions of the renderer than those running.

    Raises
    ------
    InputError
        Naming each version that differs, and the fix.
    """
    now = running(libraries)
    differ = {name: v for name, v in recorded(evidence, libraries).items() if now[name] != v}
    if differ:
        listed = ", ".join(f"{name} {v} (this is {now[name]})" for name, v in differ.items())
        pins = " ".join(f"{name}=={v}" for name, v in differ.items())
        raise InputError(
            f"This evidence records {listed}. {what} rendered now could not be checked against its own "
            f"evidence by `explain verify`. Render it with the recorded versions (pip install {pins}), or run "
            "the audit again with the versions installed here."
        )
