"""The evidence document: its shape, and small constructors for its parts.

The evidence is the one source of truth of an audit. :func:`explain.audit` builds it, the JSON
exporter writes it (canonical JSON, :mod:`._evidence`), and the HTML and PDF exporters render
it, never anything else. Numbers stay numbers here; how a number is shown is a *format* name
next to it, applied by :mod:`._view` identically for every exporter.

Shape (schema ``explain.audit``, version :data:`SCHEMA_VERSION`)::

    {
      "schema": "explain.audit",
      "schema_version": "1.1",
      "report": {"id", "title", "version", "generated_at" (ISO 8601, UTC), "verdict",
                 "verdict_reason", "counts": {status: n}},
      "card": {"name", "version", "owner", "contact", "intended_use", "decision", "users",
               "affected_persons", "out_of_scope": [..], "limitations": [..], "previous_version",
               "automated_decision"},
      "policy": {threshold name: value, ...},
      "findings": [Finding, ...],
      "sections": [Section, ...],          # in reading order; appendices have "appendix": true
      "frameworks": [Framework, ...],      # regulatory profiles applied, with effective dates
      "crosswalk": [Requirement, ...],     # requirement -> the sections that answer it
      "glossary": [{"term", "definition"}],
      "signoff": [{"role", "name", "date"}],
      "provenance": Provenance             # hashes, versions, seeds, the call that made it
    }

Provenance::

    {"model": {"type": class path, "sha256": model fingerprint},
     "datasets": [{"name": "train" | "test" | "reference", "sha256", "rows", "columns",
                   "schema_sha256"}],
     "config_sha256": SHA-256 of the canonical JSON of policy + card + audit arguments,
     "versions": {library: version}, "python": str, "platform": str,
     "random_state": int, "call": str (the explain.audit(...) call, data shown by hash)}

The evidence never holds its own hash: exporters compute ``sha256(canonical_json(evidence))``
and print it (PDF cover, HTML header).

Section ids, in reading order (:data:`SECTION_TITLES`): ``document_control``, ``summary``,
``intended_use``, ``design``, ``data``, ``performance``, ``robustness``,
``global_explanations``, ``local_explanations``, ``fairness``, ``drift``, ``champion`` (only
with ``audit(champion=...)``), ``limitations``, ``monitoring``, ``change_log`` (only with
``audit(previous=...)``), ``standards``, ``signoff``; appendices ``crosswalk``, ``provenance``,
``glossary``.

Finding::

    {"id": "fairness.impact_ratio.sex", "section": "fairness", "title": str,
     "metric": str, "comparison": ">=" | "<=" | None, "threshold": number | None,
     "observed": number | None, "ci_low": number | None, "ci_high": number | None,
     "format": format name of threshold/observed/ci, "status": Status, "message": str,
     "severity": "high" | "medium" | "low", "owner": str}

``severity`` (the impact if the finding is not remediated) and ``owner`` (who must remediate
it, at most 200 characters) are set by :func:`._governance.rate_findings`; they are new in
version 1.1, and evidence of version 1.0, without them, is still read (shown as missing).

Section::

    {"id": "fairness", "title": "Fairness and bias audit", "status": Status,
     "requirements": [requirement id, ...], "summary": str, "appendix": bool,
     "not_applicable": str | None,         # the reason, when the whole section does not apply
     "blocks": [Block, ...]}

Blocks (``type`` decides the rest):

- ``{"type": "text", "text": str}``: a paragraph.
- ``{"type": "list", "items": [str, ...]}``: a bulleted list.
- ``{"type": "facts", "rows": [{"label": str, "value": any, "format": str}, ...]}``: a
  two-column table of labelled values (a model card, dataset facts).
- ``{"type": "table", "id": str, "caption": str, "columns": [{"key", "label", "format"}],
  "rows": [{key: value}], "note": str | None}``: a data table; machine readers find it by id.
- ``{"type": "findings", "ids": [finding id, ...]}``: the findings of the section as a table
  (metric, threshold, observed, CI, status, severity, owner, message): where each finding is
  given in full, once in the report.
- ``{"type": "finding_index", "ids": [finding id, ...]}``: a compact table of findings (status,
  severity, owner, title), each linking to the section that gives it in full; the executive
  summary's list of the findings that need attention (new in 1.1).
- ``{"type": "chart", "id": str, "caption": str, "alt": str, "chart": Chart}``: a figure, drawn
  by the exporter from the data in ``chart``; ``alt`` describes it in words (PDF/UA, HTML).
- ``{"type": "notice", "title": str, "text": str}``: a boxed text, e.g. a sample
  adverse-action notice.
- ``{"type": "highlighted_text", "id": str, "caption": str, "tokens": [str],
  "values": [number | null], "scale": number, "legend": str}``: a document whose pieces are
  coloured by their contribution: ``tokens`` are the document's pieces in order (their
  concatenation is the text), ``values`` each piece's contribution, ``null`` for the text
  between words (not coloured); ``scale`` (> 0) is the contribution drawn in the strongest
  colour (shared by the documents of a section); ``legend`` says what the colours mean. The
  exporters colour a piece by sign (blue positive, orange and underlined negative) and by
  ``|value| / scale`` in four steps (:mod:`._view`); the text is always escaped.

Charts (``kind`` decides the rest):

- ``{"kind": "bar", "labels": [str], "values": [number], "errors": [number] | None,
  "xlabel": str, "reference": number | None, "highlight": [bool] | None}``: horizontal bars in
  the given order, optional error bars (± value), a vertical reference line, highlighted bars.
- ``{"kind": "line", "series": [{"name": str, "x": [number], "y": [number]}], "xlabel": str,
  "ylabel": str, "diagonal": bool}``: lines (e.g. a reliability curve, with the diagonal).

Formats: ``text``, ``int``, ``float`` (4 significant digits), ``float2`` (2 decimals),
``pct`` (percent, 1 decimal), ``pvalue``, ``hash`` (SHA-256 hex), ``status``, ``bool``.
``None`` shows as "n/a" (or a dash in tables).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

__all__ = [
    "APPENDICES",
    "FORMATS",
    "SECTION_TITLES",
    "SCHEMA",
    "SCHEMA_VERSION",
    "STATUSES",
    "Status",
    "bar_chart",
    "chart",
    "column",
    "facts",
    "OPTIONAL_SECTIONS",
    "SEVERITIES",
    "finding",
    "finding_index",
    "findings_block",
    "highlighted_text",
    "line_chart",
    "notice",
    "paragraph",
    "bullets",
    "section",
    "table",
    "worst",
]

SECTION_TITLES: dict[str, str] = {
    "document_control": "Document control",
    "summary": "Executive summary",
    "intended_use": "System, intended use and scope",
    "design": "Model design and conceptual soundness",
    "data": "Data",
    "performance": "Performance and generalization",
    "robustness": "Robustness and stability",
    "global_explanations": "Global explanations",
    "local_explanations": "Local explanations and reason codes",
    "fairness": "Fairness and bias audit",
    "drift": "Drift",
    "champion": "Comparison with the champion",
    "limitations": "Limitations, risks and human oversight",
    "monitoring": "Monitoring plan and change management",
    "change_log": "Change log against the previous report",
    "standards": "Standards and conformity references",
    "signoff": "Sign-off",
    "crosswalk": "Regulation crosswalk",
    "provenance": "Reproducibility and provenance",
    "glossary": "Glossary",
}
"""Every section id with its title, in reading order; the last three are appendices."""
OPTIONAL_SECTIONS: tuple[str, ...] = ("champion", "change_log")
"""Sections only in some reports: ``audit(champion=...)``, ``audit(previous=...)``."""
APPENDICES: tuple[str, ...] = ("crosswalk", "provenance", "glossary")

SCHEMA = "explain.audit"
SCHEMA_VERSION = "1.1"
"""1.1 added each finding's ``severity`` and ``owner`` and the ``finding_index`` block; 1.0 is still read."""

Status = Literal["pass", "warn", "fail", "not_applicable", "info"]
STATUSES: tuple[str, ...] = ("pass", "warn", "fail", "not_applicable", "info")
"""``info``: reported without a threshold (nothing to pass or fail)."""

SEVERITIES: tuple[str, ...] = ("high", "medium", "low")
"""A finding's severity, most severe first: the impact if it is not remediated."""

FORMATS: tuple[str, ...] = ("text", "int", "float", "float2", "pct", "pvalue", "hash", "status", "bool")

_SEVERITY = {"fail": 3, "warn": 2, "pass": 1, "info": 0, "not_applicable": -1}


def worst(statuses: Iterable[str]) -> Status:
    """The most severe status (fail > warn > pass > info > not_applicable); ``info`` if none.

    >>> worst(["pass", "warn", "info"]), worst([])
    ('warn', 'info')
    """
    found = list(statuses)
    if not found:
        return "info"
    return max(found, key=_SEVERITY.__getitem__)  # type: ignore[return-value,arg-type]


def _check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {FORMATS}")
    return fmt


def finding(
    id: str,
    section: str,
    title: str,
    *,
    metric: str,
    observed: float | None,
    threshold: float | None = None,
    comparison: Literal[">=", "<=", ">", "<"] | None = None,
    ci: tuple[float | None, float | None] | None = None,
    status: Status | None = None,
    message: str = "",
    format: str = "float",
    warn_margin: float | None = None,
) -> dict[str, Any]:
    """One judged result. Without ``status`` it is decided from ``observed``, ``comparison`` and
    ``threshold``: fail when the comparison does not hold, warn when it holds by less than
    ``warn_margin``, pass otherwise; ``not_applicable`` when ``observed`` is ``None``.

    >>> finding("a", "s", "AUC", metric="roc_auc", observed=0.7, threshold=0.65, comparison=">=")["status"]
    'pass'
    >>> finding("a", "s", "gap", metric="gap", observed=0.09, threshold=0.1, comparison="<=",
    ...         warn_margin=0.02)["status"]
    'warn'
    """
    if status is None:
        if observed is None:
            status = "not_applicable"
        elif threshold is None or comparison is None:
            status = "info"
        else:
            holds = {
                ">=": observed >= threshold,
                "<=": observed <= threshold,
                ">": observed > threshold,
                "<": observed < threshold,
            }[comparison]
            margin = abs(observed - threshold)
            if not holds:
                status = "fail"
            elif warn_margin is not None and margin < warn_margin:
                status = "warn"
            else:
                status = "pass"
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    low, high = ci if ci is not None else (None, None)
    return {
        "id": id,
        "section": section,
        "title": title,
        "metric": metric,
        "comparison": comparison,
        "threshold": threshold,
        "observed": observed,
        "ci_low": low,
        "ci_high": high,
        "format": _check_format(format),
        "status": status,
        "message": message,
    }


def section(
    id: str,
    title: str,
    *,
    requirements: Sequence[str],
    summary: str,
    blocks: Sequence[Mapping[str, Any]] = (),
    findings: Sequence[Mapping[str, Any]] = (),
    not_applicable: str | None = None,
    appendix: bool = False,
) -> dict[str, Any]:
    """A report section; its status is the worst of its ``findings`` (or ``not_applicable``)."""
    status: Status = "not_applicable" if not_applicable else worst(f["status"] for f in findings)
    return {
        "id": id,
        "title": title,
        "status": status,
        "requirements": list(requirements),
        "summary": summary,
        "appendix": appendix,
        "not_applicable": not_applicable,
        "blocks": [dict(b) for b in blocks],
    }


def paragraph(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def bullets(items: Iterable[str]) -> dict[str, Any]:
    return {"type": "list", "items": list(items)}


def facts(rows: Iterable[Sequence[Any]]) -> dict[str, Any]:
    """Labelled values; a row is ``(label, value)`` (format ``text``) or ``(label, value, format)``."""
    out = []
    for row in rows:
        label, value, fmt = (*row, "text") if len(row) == 2 else tuple(row)
        out.append({"label": label, "value": value, "format": _check_format(fmt)})
    return {"type": "facts", "rows": out}


def column(key: str, label: str, format: str = "text") -> dict[str, str]:
    return {"key": key, "label": label, "format": _check_format(format)}


def table(
    id: str,
    caption: str,
    columns: Sequence[Mapping[str, str]],
    rows: Iterable[Mapping[str, Any]],
    *,
    note: str | None = None,
) -> dict[str, Any]:
    """A data table; every row holds a value (or ``None``) for every column key."""
    keys = [c["key"] for c in columns]
    out = []
    for row in rows:
        missing = [k for k in keys if k not in row]
        if missing:
            raise ValueError(f"table {id!r}: row lacks {missing}")
        out.append({k: row[k] for k in keys})
    cols = [dict(c) for c in columns]
    return {"type": "table", "id": id, "caption": caption, "columns": cols, "rows": out, "note": note}


def findings_block(ids: Iterable[str]) -> dict[str, Any]:
    return {"type": "findings", "ids": list(ids)}


def finding_index(ids: Iterable[str]) -> dict[str, Any]:
    """A compact table of findings, each linking to where it is given in full."""
    return {"type": "finding_index", "ids": list(ids)}


def notice(title: str, text: str) -> dict[str, Any]:
    return {"type": "notice", "title": title, "text": text}


def highlighted_text(
    id: str, caption: str, tokens: Sequence[str], values: Sequence[float | None], *, scale: float, legend: str
) -> dict[str, Any]:
    """A ``highlighted_text`` block (see the module docstring): ``tokens`` and ``values`` of the
    same length, a value per word and ``None`` for the text between words.

    >>> b = highlighted_text("d", "A document", ["python", " and ", "excel"], [0.5, None, -0.25],
    ...                      scale=0.5, legend="blue: up")
    >>> b["tokens"], b["values"], b["scale"]
    (['python', ' and ', 'excel'], [0.5, None, -0.25], 0.5)
    """
    if len(tokens) != len(values):
        raise ValueError(f"highlighted_text {id!r}: {len(tokens)} tokens and {len(values)} values")
    if not (scale > 0 and math.isfinite(scale)):
        raise ValueError(f"highlighted_text {id!r}: scale={scale!r}; pass a positive number")
    return {
        "type": "highlighted_text",
        "id": id,
        "caption": caption,
        "tokens": [str(t) for t in tokens],
        "values": [None if v is None else float(v) for v in values],
        "scale": float(scale),
        "legend": legend,
    }


def chart(id: str, caption: str, alt: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    if not alt:
        raise ValueError(f"chart {id!r} needs alt text")
    return {"type": "chart", "id": id, "caption": caption, "alt": alt, "chart": dict(spec)}


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    xlabel: str,
    errors: Sequence[float] | None = None,
    reference: float | None = None,
    highlight: Sequence[bool] | None = None,
) -> dict[str, Any]:
    return {
        "kind": "bar",
        "labels": [str(x) for x in labels],
        "values": [float(v) for v in values],
        "errors": None if errors is None else [float(e) for e in errors],
        "xlabel": xlabel,
        "reference": reference,
        "highlight": None if highlight is None else [bool(h) for h in highlight],
    }


def line_chart(
    series: Sequence[Mapping[str, Any]], *, xlabel: str, ylabel: str, diagonal: bool = False
) -> dict[str, Any]:
    return {
        "kind": "line",
        "series": [
            {"name": str(s["name"]), "x": [float(v) for v in s["x"]], "y": [float(v) for v in s["y"]]} for s in series
        ],
        "xlabel": xlabel,
        "ylabel": ylabel,
        "diagonal": diagonal,
    }
