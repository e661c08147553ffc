"""Render the evidence to an archival PDF with Typst (PDF/A-3b + PDF/UA-1).

The template, the view (display strings, :mod:`._view`), the charts (:mod:`._charts`) and the
evidence are written into a fresh temporary directory that is Typst's root, and only the fonts
shipped in ``fonts/`` are loaded (a character they cannot draw is printed as its code point,
:mod:`._glyphs`), so the compile sees nothing else on the machine: no system
fonts, no user files, no network packages. The evidence is attached byte for byte as canonical
JSON (a PDF/A-3 associated file, relationship Data); its SHA-256 is printed on the cover and
written into the document keywords (``evidence-sha256:<hex>``), next to the generator
(``generator:explain-<version>+typst-<version>+matplotlib-<version>``, :mod:`._renderer`) that
:mod:`._verify` needs to render it again. With a pinned ``timestamp`` the same evidence gives the
same bytes. Evidence that records other versions of these libraries than the running ones is
refused: its PDF could not be checked against it.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from collections.abc import Mapping
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

from explain.errors import require
from explain.report._charts import chart_svgs
from explain.report._evidence import canonical_json, sha256_hex
from explain.report._glyphs import drawable
from explain.report._renderer import PDF_LIBRARIES, check_recorded, format_generator, running
from explain.report._view import build_view

__all__ = ["FONT_FAMILY", "font_dir", "generator", "pdf_timestamp", "render_pdf", "render_pdf_bytes"]

FONT_FAMILY = "DejaVu Sans"
"""The family every text in the report (and its charts) is set in; shipped in ``fonts/``."""

HASH_KEYWORD = "evidence-sha256:"
GENERATOR_KEYWORD = "generator:"
_PDF_STANDARDS = ["a-3b", "ua-1"]


def font_dir() -> Path:
    """Return the folder of the fonts shipped with ``explain``."""
    return Path(str(resources.files("explain.report") / "fonts"))


def generator() -> str:
    """What writes the PDF bytes: the versions of ``explain`` (template, view), ``typst`` and ``matplotlib``.

    Two PDFs of the same evidence are byte-identical only when the three versions match.
    """
    require("typst", extra="pdf", purpose="Writing the audit PDF")
    return format_generator(running(PDF_LIBRARIES))


def pdf_timestamp(timestamp: datetime) -> datetime:
    """The timestamp as written into the PDF: UTC, whole seconds (a naive one is taken as UTC)."""
    if timestamp.tzinfo is None:
        timestamp = timestamp.replace(tzinfo=timezone.utc)
    return timestamp.astimezone(timezone.utc).replace(microsecond=0)


def _inputs(evidence_json: bytes) -> dict[str, str]:
    """The values explain computes for the template (``sys.inputs``); never user text."""
    return {"evidence-sha256": sha256_hex(evidence_json), "generator": generator()}


def _compile(evidence_json: bytes, view: Mapping[str, Any], svgs: Mapping[str, bytes], timestamp: datetime) -> bytes:
    typst: Any = require("typst", extra="pdf", purpose="Writing the audit PDF")
    template = resources.files("explain.report") / "templates" / "audit.typ"
    with tempfile.TemporaryDirectory(prefix="explain-report-") as tmp:
        root = Path(tmp)
        main = root / "audit.typ"
        main.write_bytes(template.read_bytes())
        (root / "evidence.json").write_bytes(evidence_json)
        (root / "view.json").write_text(json.dumps(view, ensure_ascii=False), encoding="utf-8")
        for name, svg in svgs.items():
            (root / name).write_bytes(svg)
        # Only the shipped fonts: neither the machine's nor those built into Typst (it bundles its
        # own DejaVu Sans Mono, which would otherwise compete with ours).
        fonts = typst.Fonts(include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(font_dir())])
        pdf, diagnostics = typst.compile_with_warnings(
            str(main),
            root=str(root),
            font_paths=fonts,
            ignore_system_fonts=True,
            sys_inputs=_inputs(evidence_json),
            pdf_standards=_PDF_STANDARDS,
            timestamp=pdf_timestamp(timestamp),
        )
    for diagnostic in diagnostics:
        # A warning here is a template bug (e.g. a font falling back); surface it, never hide it.
        warnings.warn(f"Typst: {diagnostic.message}", RuntimeWarning, stacklevel=3)
    return bytes(pdf)


def render_pdf_bytes(evidence: Mapping[str, Any], *, timestamp: datetime) -> bytes:
    """The audit PDF of ``evidence`` as bytes (see :func:`render_pdf`)."""
    require("typst", extra="pdf", purpose="Writing the audit PDF")  # before any work
    data = canonical_json(evidence)
    # Render what is attached, not the caller's objects: canonical JSON rounds floats to 10
    # digits, and a chart drawn from the unrounded values would differ in its last decimals from
    # the one :mod:`._verify` draws from the attachment.
    attached = json.loads(data)
    check_recorded(attached, PDF_LIBRARIES, "A PDF")
    # the pages and charts print a character the shipped fonts lack as its code point (._glyphs);
    # the attachment keeps the text as it is
    shown = drawable(attached)
    view = build_view(shown)
    return _compile(data, view, chart_svgs(shown, view), timestamp)


def render_pdf(evidence: Mapping[str, Any], path: str | Path, *, timestamp: datetime) -> str:
    """Write the audit PDF for ``evidence`` to ``path``.

    Parameters
    ----------
    evidence : mapping
        The evidence document (schema ``explain.audit``, see :mod:`explain.report._schema`).
    path : str or Path
        Where to write the PDF.
    timestamp : datetime
        The document date written into the PDF metadata, in whole seconds, UTC (a naive datetime
        is taken as UTC). Pin it for byte-identical output; :func:`explain.report._verify.verify_pdf`
        reads it back to render the file again.

    Returns
    -------
    str
        The SHA-256 (hex) of the PDF bytes written. The evidence SHA-256 is printed on the cover
        and equals ``sha256_hex(canonical_json(evidence))``.

    Raises
    ------
    MissingDependencyError
        If the optional ``typst`` package (the ``pdf`` extra) is not installed.
    SchemaError
        If the evidence holds an unknown block type, chart kind or format.
    InputError
        If the evidence records other versions of ``explain``, ``typst`` or ``matplotlib`` than
        the ones installed (``provenance.versions``): the PDF could not be verified against it.
    """
    pdf = render_pdf_bytes(evidence, timestamp=timestamp)
    Path(path).write_bytes(pdf)
    return sha256_hex(pdf)
