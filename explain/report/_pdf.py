"""Render the evidence to an archival PDF with Typst (PDF/A-3b + PDF/UA-1).

The template, the evidence and the charts are written into a fresh temporary directory that is
Typst's root, and only the fonts shipped in ``fonts/`` are loaded, so the compile sees nothing
else on the machine: no system fonts, no user files, no network packages. The evidence goes in as
canonical JSON and is attached to the PDF as an associated file; its SHA-256 is printed on the
cover. With a pinned ``timestamp`` the same evidence gives the same bytes.
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Mapping, Sequence
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from explain.errors import require
from explain.report._evidence import canonical_json, sha256_hex

__all__ = ["FONT_FAMILY", "font_dir", "render_pdf"]

FONT_FAMILY = "DejaVu Sans"
"""The family every text in the report (and its charts) is set in; shipped in ``fonts/``."""

_PDF_STANDARDS = ["a-3b", "ua-1"]


def font_dir() -> Path:
    """Return the folder of the fonts shipped with ``explain``."""
    return Path(str(resources.files("explain.report") / "fonts"))


def _importance_svg(rows: Sequence[Mapping[str, Any]]) -> tuple[bytes, str]:
    """Draw the importance bar chart as SVG with real text; return it and its alt text."""
    import io

    import matplotlib
    from matplotlib.figure import Figure

    names = [str(r["feature"]) for r in rows]
    # Matplotlib reads text between dollar signs as math; a feature name is shown as written.
    labels = [name.replace("$", r"\$") for name in names]
    values = [float(r["value"]) for r in rows]
    with matplotlib.rc_context(
        {
            "svg.fonttype": "none",  # text stays text: searchable, set in the shipped font by Typst
            "svg.hashsalt": "explain-report",  # fixed ids, hence identical bytes
            "font.family": "sans-serif",
            "font.sans-serif": [FONT_FAMILY],
        }
    ):
        fig = Figure(figsize=(6.0, 0.4 * len(rows) + 1.2))
        ax = fig.add_subplot()
        ax.barh(range(len(rows)), values, color="#3b6ea5")
        ax.set_yticks(range(len(rows)), labels=labels)
        ax.invert_yaxis()
        ax.set_xlabel("Importance (mean |SHAP value|)")
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    ranked = sorted(zip(names, values, strict=True), key=lambda nv: -nv[1])
    alt = "Horizontal bar chart of global feature importance. " + "; ".join(
        f"{name}: {value:.4g}" for name, value in ranked
    )
    return buffer.getvalue(), alt


def _prepare_root(root: Path, evidence_json: bytes, svg: bytes) -> Path:
    template = resources.files("explain.report") / "templates" / "audit.typ"
    main = root / "audit.typ"
    main.write_bytes(template.read_bytes())
    (root / "evidence.json").write_bytes(evidence_json)
    (root / "importance.svg").write_bytes(svg)
    return main


def render_pdf(evidence: Mapping[str, Any], path: str | Path, *, timestamp: datetime) -> str:
    """Write the audit PDF for ``evidence`` to ``path``.

    Parameters
    ----------
    evidence : mapping
        The evidence document (``schema_version``, ``title``, ``model``, ``summary``, ``importance``
        rows with ``feature``, ``value``, ``spread``).
    path : str or Path
        Where to write the PDF.
    timestamp : datetime
        The report date, written into the document metadata; pin it for byte-identical output.

    Returns
    -------
    str
        The SHA-256 (hex) of the PDF bytes written. The evidence SHA-256 is printed on the cover
        and equals ``sha256_hex(canonical_json(evidence))``.

    Raises
    ------
    MissingDependencyError
        If the optional ``typst`` package (the ``pdf`` extra) is not installed.
    """
    typst: Any = require("typst", extra="pdf", purpose="Writing the audit PDF")
    evidence_json = canonical_json(evidence)
    svg, alt = _importance_svg(evidence["importance"])
    sys_inputs = {"evidence-sha256": sha256_hex(evidence_json), "importance-alt": alt}
    with tempfile.TemporaryDirectory(prefix="explain-report-") as tmp:
        root = Path(tmp)
        main = _prepare_root(root, evidence_json, svg)
        # Only the shipped fonts: neither the machine's nor those built into Typst (it bundles its
        # own DejaVu Sans Mono, which would otherwise compete with ours).
        fonts = typst.Fonts(include_system_fonts=False, include_embedded_fonts=False, font_paths=[str(font_dir())])
        pdf, diagnostics = typst.compile_with_warnings(
            str(main),
            root=str(root),
            font_paths=fonts,
            ignore_system_fonts=True,
            sys_inputs=sys_inputs,
            pdf_standards=_PDF_STANDARDS,
            timestamp=timestamp,
        )
    for diagnostic in diagnostics:
        # A warning here is a template bug (e.g. a font falling back); surface it, never hide it.
        warnings.warn(f"Typst: {diagnostic.message}", RuntimeWarning, stacklevel=2)
    Path(path).write_bytes(pdf)
    return sha256_hex(pdf)
