"""The result of :func:`explain.audit`: :class:`AuditReport` holds the evidence document, checked,
and exports it (JSON, HTML, PDF); it reads back the JSON it wrote, running no code."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError, SchemaError
from ._evidence import canonical_json, sha256_hex
from ._schema import SCHEMA, SCHEMA_VERSION

__all__ = ["AuditReport"]


class AuditReport:
    """The result of :func:`explain.audit`: the evidence document, and exporters that render it.

    Attributes
    ----------
    evidence : dict
        The evidence (a deep copy each time): every number of the report, schema
        ``explain.audit`` version ``1.1``.
    verdict : str
        ``"pass"``, ``"warn"`` or ``"fail"``: the worst status of any finding.
    """

    def __init__(self, evidence: Mapping[str, Any]) -> None:
        _check_evidence(evidence)
        self._evidence = copy.deepcopy(dict(evidence))
        self._bytes = canonical_json(self._evidence)

    @property
    def evidence(self) -> dict[str, Any]:
        return copy.deepcopy(self._evidence)

    @property
    def verdict(self) -> str:
        return str(self._evidence["report"]["verdict"])

    @property
    def evidence_sha256(self) -> str:
        """SHA-256 of the canonical evidence JSON: the value printed on the report's cover."""
        return sha256_hex(self._bytes)

    @property
    def findings(self) -> pd.DataFrame:
        """One row per finding: section, id, title, metric, threshold, observed, CI, status, severity,
        owner (who must remediate it) and message. Evidence of schema 1.0 has no severity or owner:
        those columns are then missing values."""
        cols = [
            "section",
            "id",
            "title",
            "metric",
            "comparison",
            "threshold",
            "observed",
            "ci_low",
            "ci_high",
            "status",
            "severity",
            "owner",
            "message",
        ]
        return pd.DataFrame(self._evidence["findings"], columns=cols)

    def section(self, id: str) -> dict[str, Any]:
        """The section ``id`` (e.g. ``"fairness"``) as a dict (a copy)."""
        for s in self._evidence["sections"]:
            if s["id"] == id:
                return copy.deepcopy(s)
        raise InputError(f"no section {id!r}; sections: {[s['id'] for s in self._evidence['sections']]}.")

    def table(self, section: str, id: str) -> pd.DataFrame:
        """The data table ``id`` of a section, as a DataFrame (columns keyed as in the evidence)."""
        for block in self.section(section)["blocks"]:
            if block["type"] == "table" and block["id"] == id:
                return pd.DataFrame(block["rows"], columns=[c["key"] for c in block["columns"]])
        raise InputError(f"section {section!r} has no table {id!r}.")

    def to_json(self, path: str | Path) -> Path:
        """Write the evidence as canonical JSON (the bytes whose SHA-256 is :attr:`evidence_sha256`)."""
        p = Path(path)
        p.write_bytes(self._bytes)
        return p

    def to_html(self, path: str | Path) -> Path:
        """Write one self-contained HTML file (inline CSS and SVG charts, the evidence embedded)."""
        from ._html import render_html

        p = Path(path)
        render_html(self._evidence, p)
        return p

    def to_pdf(self, path: str | Path) -> Path:
        """Write the archival PDF (PDF/A-3b, PDF/UA-1) with the evidence attached; needs the ``pdf`` extra.
        The report date is the evidence's ``generated_at``, so the same evidence gives the same bytes."""
        from ._pdf import render_pdf

        p = Path(path)
        stamp = datetime.fromisoformat(self._evidence["report"]["generated_at"].replace("Z", "+00:00"))
        render_pdf(self._evidence, p, timestamp=stamp)
        return p

    @classmethod
    def from_json(cls, path: str | Path) -> AuditReport:
        """Read an evidence document written by :meth:`to_json` (plain JSON: no code is run).

        Any file gives either a report that writes its JSON, HTML and PDF again, or a
        :class:`~explain.errors.SchemaError` naming the first field that is wrong.
        """
        from .._jsonfile import read_json
        from ._validation import check_evidence
        from ._view import build_view

        data = read_json(path, "audit evidence file", "pass the file AuditReport.to_json() wrote")
        check_evidence(data)
        try:
            report = cls(data)
            build_view(report._evidence)  # what every exporter renders
        except SchemaError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError) as exc:
            raise SchemaError(
                f"the audit evidence in {str(path)!r} cannot be rendered ({exc!r}); use the file "
                "AuditReport.to_json() wrote."
            ) from exc
        return report

    def __repr__(self) -> str:
        r = self._evidence["report"]
        counts = ", ".join(f"{k} {v}" for k, v in r["counts"].items() if v)
        return f"AuditReport(id={r['id']!r}, verdict={r['verdict']!r}, findings: {counts})"

    def _repr_html_(self) -> str:
        import html

        r = self._evidence["report"]
        rows = "".join(
            f"<tr><td>{html.escape(f['title'])}</td><td>{html.escape(f['status'])}</td>"
            f"<td>{html.escape(f['message'])}</td></tr>"
            for f in self._evidence["findings"]
        )
        return (
            f"<div><strong>{html.escape(r['title'])}</strong>: verdict <strong>{html.escape(r['verdict'])}"
            f"</strong><table><tr><th>Finding</th><th>Status</th><th>Detail</th></tr>{rows}</table></div>"
        )


def _check_evidence(evidence: Mapping[str, Any]) -> None:
    if evidence.get("schema") != SCHEMA:
        raise SchemaError(f"not an audit evidence document (schema {evidence.get('schema')!r}, expected {SCHEMA!r}).")
    major = str(evidence.get("schema_version", "")).split(".")[0]
    if major != SCHEMA_VERSION.split(".")[0]:
        raise SchemaError(
            f"evidence schema version {evidence.get('schema_version')!r} is not readable by this explain "
            f"(reads {SCHEMA_VERSION}); use the explain version that wrote it."
        )
    for key in ("report", "findings", "sections", "provenance"):
        if key not in evidence:
            raise SchemaError(f"evidence lacks {key!r}.")
