"""What an exported report's bytes depend on besides its evidence: the renderer's versions.

The PDF is a function of the evidence, the report date and three versions: ``explain`` (template,
view, charts), ``typst`` (layout) and ``matplotlib`` (the SVG charts); the HTML page of the
evidence and two of them (``explain``, ``matplotlib``). The exporters write these versions into
the file as a *generator* string (``explain-0.1.0+typst-0.15.2+matplotlib-3.11.2``), and
:func:`explain.audit` records the same libraries in the evidence (``provenance.versions``), which
is hashed. An exporter refuses to render evidence that does not record them all, or records other
versions than the ones running (:func:`check_recorded`): the file could then not be checked
against its own evidence. :mod:`._verify` renders the file again and compares bytes, with the
versions the evidence records; the generator string is only checked against them, never trusted:
it is unsigned metadata anyone can edit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import metadata
from typing import Any

from explain.errors import InputError

__all__ = ["HTML_LIBRARIES", "PDF_LIBRARIES", "check_recorded", "format_generator", "parse_generator", "recorded",
           "running", "valid_version"]  # fmt: skip

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


def valid_version(text: str) -> bool:
    """``text`` is a PEP 440 version: what explain writes, and all it will echo in a ``pip install``.

    Examples
    --------
    >>> valid_version("0.15.2"), valid_version("1.0; rm -rf /")
    (True, False)
    """
    from packaging.version import InvalidVersion, Version

    try:
        Version(text)
    except (InvalidVersion, TypeError):
        return False
    return len(text) <= 40


def check_recorded(evidence: Mapping[str, Any], libraries: Sequence[str], what: str) -> None:
    """Refuse to render evidence that does not record every version of the renderer, or records
    other versions than those running: the file could not be checked against its own evidence.

    Raises
    ------
    InputError
        Naming each version that is missing or differs, and the fix.
    """
    now = running(libraries)
    pinned = recorded(evidence, libraries)
    absent = [name for name in libraries if name not in pinned]
    if absent:
        raise InputError(
            f"This evidence does not record which version of {', '.join(absent)} it is rendered with "
            f"(provenance.versions). {what} rendered from it could not be checked by `explain verify`, which "
            "renders the evidence again with the versions it records. Run the audit again with the renderer "
            'installed (pip install "explain[pdf]" for a PDF): explain.audit records them.'
        )
    differ = {name: v for name, v in pinned.items() if now[name] != v}
    if differ:
        listed = ", ".join(f"{name} {v!r} (this is {now[name]})" for name, v in differ.items())
        pins = " ".join(f"{name}=={v}" for name, v in differ.items() if valid_version(v))
        fix = f"Render it with the recorded versions (pip install {pins}), or run" if pins else "Run"
        raise InputError(
            f"This evidence records {listed}. {what} rendered now could not be checked against its own "
            f"evidence by `explain verify`. {fix} the audit again with the versions installed here."
        )
