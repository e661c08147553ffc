"""The evidence as display strings: one view that the HTML and the PDF exporters both render.

Every number is formatted here, once, by :func:`format_value`, so the HTML page and the PDF show
the same text for the same evidence. :func:`build_view` walks the evidence generically: it knows
the block types of :mod:`._schema`, not what any section means. Besides ``report``, ``card`` and
``provenance`` (for the cover), it reads three top-level fields by name and adds a block for each,
ahead of the blocks of the section that shows it:

- ``crosswalk`` -> a ``crosswalk`` block in the ``crosswalk`` appendix: each requirement with the
  sections that answer it (those it lists under ``sections`` and those naming its ``id`` in their
  ``requirements``); the PDF adds their page numbers.
- ``signoff`` -> a ``signoff`` block (name, role, date and a signature line per person) in the
  ``signoff`` section, when the list is not empty.
- the evidence SHA-256 -> a ``facts`` row in the ``provenance`` appendix (the evidence cannot
  hold its own hash).

View blocks are the evidence blocks with every value turned into text: ``facts`` rows are
``[label, value, kind]``, ``table`` rows are lists of cells and its ``columns`` are
``{label, kind}``, where ``kind`` (``text``, ``number``, ``hash``, ``status``) tells an exporter
how to align and set a cell. Tables and charts are numbered in reading order (``label``); a chart
names the SVG ``file`` the exporter draws it into. A ``highlighted_text`` block becomes
``pieces`` ``{text, level, value}`` (``level`` from -4 to 4, :func:`highlight_level`: the sign of
the contribution and its size against the block's ``scale``; 0 uncoloured) and a ``legend`` of the
eight steps with their ranges; it is numbered as a figure.

Findings: a ``findings`` block's rows carry the finding's display strings, its ``severity_label``
and ``owner`` (a dash when the evidence, version 1.0, has none) and an ``anchor``: set (to
``finding-<id>``, made safe for HTML ids and Typst labels) on the one row, the first in reading
order, that gives the finding in full, ``None`` on any repetition. A ``finding_index`` block (the
executive summary's list of what needs attention) has rows of status, severity, owner and title,
each with the ``target`` anchor of that row (or, for a finding no table gives, its ``section_id``
and ``section_number``), so each exporter links the index to the finding in full.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from explain.errors import SchemaError
from explain.report._evidence import canonical_json, sha256_hex
from explain.report._regulations import crosswalk_summary
from explain.report._schema import APPENDICES, SEVERITIES, STATUSES

__all__ = ["SEVERITY_LABELS", "STATUS_LABELS", "build_view", "format_value"]

STATUS_LABELS: dict[str, str] = {
    "pass": "PASS",
    "warn": "WARN",
    "fail": "FAIL",
    "not_applicable": "N/A",
    "info": "INFO",
}
"""How each status is written (a word, so colour is never the only cue)."""

SEVERITY_LABELS: dict[str, str] = {s: s.capitalize() for s in SEVERITIES}
"""How each severity is written; a finding without one (evidence 1.0) shows a dash."""

_COMPARISONS = {">=": "≥", "<=": "≤", ">": ">", "<": "<"}
_NUMERIC = frozenset({"int", "float", "float2", "pct", "pvalue"})
_SHORT_HASH = 16
DASH = "\u2013"  # en dash
"""A missing value in a table cell."""


def _float4(x: float) -> str:
    """Four significant digits; thousands separators (and all the digits) from 1e4."""
    if x == 0 or not math.isfinite(x):
        return "0" if x == 0 else str(x)
    if abs(x) >= 1e4:
        return f"{round(x):,}"
    return f"{x:.4g}"  # 0.0001234 stays plain, 1.2e-05 goes scientific


def format_value(value: Any, fmt: str = "text", *, missing: str = "n/a") -> str:
    """Format one evidence value for display; the single rule set of every exporter.

    Parameters
    ----------
    value : str, int, float, bool or None
        The value as stored in the evidence.
    fmt : str
        A format name from :data:`explain.report._schema.FORMATS`. ``pct`` takes a fraction
        (0.123 shows as 12.3%).
    missing : str
        The text for ``None``.

    Examples
    --------
    >>> [format_value(v, f) for v, f in [(1234567, "int"), (0.812345, "float"), (0.8, "float"),
    ...  (0.5, "float2"), (0.1234, "pct"), (0.0004, "pvalue"), (0.0321, "pvalue")]]
    ['1,234,567', '0.8123', '0.8', '0.50', '12.3%', '< 0.001', '0.032']
    >>> format_value("not_applicable", "status"), format_value(True, "bool"), format_value(None, "int")
    ('N/A', 'yes', 'n/a')
    """
    if value is None:
        return missing
    if fmt == "text" or fmt == "hash":
        return str(value)
    if fmt == "status":
        return STATUS_LABELS.get(str(value), str(value).replace("_", " ").upper())
    if fmt == "bool":
        return "yes" if value else "no"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)  # a non-number under a number format is shown as written, never hidden
    if fmt == "int":
        return f"{round(value):,}"
    if fmt == "float":
        return _float4(float(value))
    if fmt == "float2":
        return f"{value:,.2f}"
    if fmt == "pct":
        return f"{100 * value:.1f}%"
    if fmt == "pvalue":
        return "< 0.001" if value < 0.001 else f"{value:.3f}"
    raise SchemaError(f"Unknown format {fmt!r} in the evidence; expected one of text, int, float, ...")


def _kind(fmt: str) -> str:
    if fmt in _NUMERIC:
        return "number"
    return fmt if fmt in ("hash", "status") else "text"


def _display_time(stamp: str | None) -> tuple[str, str]:
    """``(date, date and time)`` of an ISO 8601 stamp, in UTC."""
    if not stamp:
        return "n/a", "n/a"
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp, stamp  # shown as written rather than guessed at
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc)
    return when.strftime("%Y-%m-%d"), when.strftime("%Y-%m-%d %H:%M:%S UTC")


def _finding_row(f: Mapping[str, Any]) -> dict[str, str | None]:
    fmt = f.get("format", "float")
    threshold = DASH
    if f.get("threshold") is not None:
        sign = _COMPARISONS.get(f.get("comparison") or "", f.get("comparison") or "")
        threshold = f"{sign} {format_value(f['threshold'], fmt)}".strip()
    low, high = f.get("ci_low"), f.get("ci_high")
    ci = DASH if low is None and high is None else f"[{format_value(low, fmt)}, {format_value(high, fmt)}]"
    return {
        "id": str(f["id"]),
        "title": str(f.get("title", "")),
        "metric": str(f.get("metric", "")),
        "threshold": threshold,
        "observed": format_value(f.get("observed"), fmt, missing=DASH),
        "ci": ci,
        "status": str(f["status"]),
        "status_label": format_value(f["status"], "status"),
        "message": str(f.get("message") or ""),
        "severity": str(f.get("severity") or ""),
        "severity_label": SEVERITY_LABELS.get(str(f.get("severity")), DASH),
        "owner": str(f.get("owner") or "") or DASH,
        "section": str(f.get("section", "")),
        "anchor": None,  # set on the one row that gives the finding in full (_link_findings)
    }


def _anchor(text: str) -> str:
    """An id safe in HTML and as a Typst label: letters, digits, ``_ . -``."""
    return re.sub(r"[^A-Za-z0-9_.-]", "-", text)


def _finding_anchors(findings: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """A distinct anchor per finding id (``finding-<id>``, made safe; ``-2`` ... on a clash)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for fid in findings:
        base = anchor = "finding-" + _anchor(fid)
        n = 1
        while anchor in used:
            n += 1
            anchor = f"{base}-{n}"
        used.add(anchor)
        out[fid] = anchor
    return out


def _link_findings(sections: Sequence[dict[str, Any]], findings: Mapping[str, Mapping[str, Any]]) -> None:
    """Give the first findings-table row of each finding (in reading order) its ``anchor``, and
    point each ``finding_index`` row at it (``target``); a row whose finding no table gives points
    at the finding's section instead (``target`` None, ``section_id`` set), or nowhere when that
    section is not in the report either (both None)."""
    anchors = _finding_anchors(findings)
    given: dict[str, str] = {}
    for s in sections:
        for block in s["blocks"]:
            if block["type"] != "findings":
                continue
            for row in block["rows"]:
                if row["id"] not in given:
                    row["anchor"] = given[row["id"]] = anchors[row["id"]]
    by_id = {s["id"]: s for s in sections}
    for s in sections:
        for block in s["blocks"]:
            if block["type"] != "finding_index":
                continue
            for row in block["rows"]:
                home = by_id.get(row["section"])
                row["target"] = given.get(row["id"])
                row["section_id"] = home["id"] if home else None
                row["section_number"] = home["number"] if home else ""
                row["section_title"] = home["title"] if home else row["section"]


HIGHLIGHT_STEPS = 4
"""Colour steps of a ``highlighted_text`` block on each side of zero."""
HIGHLIGHT_COLORS: dict[int, str] = {
    -4: "#e8793a",
    -3: "#f5a56a",
    -2: "#facba0",
    -1: "#fde3cc",
    1: "#d6e6f4",
    2: "#b3d1ec",
    3: "#86b5de",
    4: "#5a96cb",
}
"""Fill of each step: orange for negative contributions, blue for positive (told apart without
colour too: negative pieces are underlined); light enough for black text at every step."""


def highlight_level(value: float | None, scale: float) -> int:
    """The colour step of a contribution: 0 for none (or the text between words), else its sign
    times ``ceil(HIGHLIGHT_STEPS * |value| / scale)``, at most :data:`HIGHLIGHT_STEPS`.

    >>> [highlight_level(v, 1.0) for v in (None, 0.0, 0.1, -0.3, 0.5, -0.76, 2.0)]
    [0, 0, 1, -2, 2, -4, 4]
    """
    if value is None or value == 0 or not scale > 0:
        return 0
    step = min(HIGHLIGHT_STEPS, math.ceil(HIGHLIGHT_STEPS * abs(value) / scale - 1e-12))
    return int(math.copysign(max(step, 1), value))


def _highlighted(block: Mapping[str, Any]) -> dict[str, Any]:
    """A ``highlighted_text`` block as pieces ``{text, level, value}`` and a legend of the steps
    (their ranges of contribution); levels below zero are negative contributions."""
    scale = float(block["scale"])
    pieces = []
    for t, v in zip(block["tokens"], block["values"], strict=True):
        level = highlight_level(v, scale)
        value = "" if v is None else format_value(v, "float")
        pieces.append({"text": str(t), "level": level, "value": value, "color": HIGHLIGHT_COLORS.get(level, "")})
    steps = [-k for k in range(HIGHLIGHT_STEPS, 0, -1)] + list(range(1, HIGHLIGHT_STEPS + 1))
    legend = []
    for level in steps:
        low, high = (abs(level) - 1) * scale / HIGHLIGHT_STEPS, abs(level) * scale / HIGHLIGHT_STEPS
        sign = "+" if level > 0 else "\u2212"
        top = f"{sign}{format_value(high, 'float')}"
        label = f"up to {top}" if low == 0 else f"{sign}{format_value(low, 'float')} to {top}"
        legend.append({"level": level, "label": label, "color": HIGHLIGHT_COLORS[level]})
    return {
        "type": "highlighted_text",
        "id": str(block["id"]),
        "caption": str(block["caption"]),
        "legend_text": str(block["legend"]),
        "pieces": pieces,
        "legend": legend,
    }


def _block(block: Mapping[str, Any], findings: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    kind = block.get("type")
    if kind == "text":
        return {"type": "text", "text": str(block["text"])}
    if kind == "list":
        return {"type": "list", "items": [str(item) for item in block["items"]]}
    if kind == "facts":
        rows = [
            [str(r["label"]), format_value(r["value"], r.get("format", "text")), _kind(r.get("format", "text"))]
            for r in block["rows"]
        ]
        return {"type": "facts", "rows": rows}
    if kind == "table":
        columns = block["columns"]
        return {
            "type": "table",
            "id": str(block.get("id", "")),
            "caption": str(block.get("caption", "")),
            "note": None if block.get("note") is None else str(block["note"]),
            "columns": [{"label": str(c["label"]), "kind": _kind(c.get("format", "text"))} for c in columns],
            "rows": [
                [format_value(row.get(c["key"]), c.get("format", "text"), missing=DASH) for c in columns]
                for row in block["rows"]
            ],
        }
    if kind == "findings":
        unknown = [i for i in block["ids"] if i not in findings]
        if unknown:
            raise SchemaError(f"A findings block names findings that are not in the evidence: {unknown}.")
        return {"type": "findings", "rows": [_finding_row(findings[i]) for i in block["ids"]]}
    if kind == "finding_index":
        unknown = [i for i in block["ids"] if i not in findings]
        if unknown:
            raise SchemaError(f"A finding index names findings that are not in the evidence: {unknown}.")
        keep = ("id", "title", "status", "status_label", "severity", "severity_label", "owner", "section")
        return {
            "type": "finding_index",
            "rows": [{k: v for k, v in _finding_row(findings[i]).items() if k in keep} for i in block["ids"]],
        }
    if kind == "chart":
        return {"type": "chart", "id": str(block["id"]), "caption": str(block["caption"]), "alt": str(block["alt"])}
    if kind == "notice":
        return {"type": "notice", "title": str(block["title"]), "text": str(block["text"])}
    if kind == "highlighted_text":
        return _highlighted(block)
    raise SchemaError(f"Unknown block type {kind!r} in the evidence; expected one of text, list, facts, table, ...")


def _evidence_hash_block(evidence_sha: str) -> dict[str, Any]:
    """The one fact the evidence cannot hold about itself."""
    return {"type": "facts", "rows": [["Evidence SHA-256", evidence_sha, "hash"]]}


def _signoff_block(ev: Mapping[str, Any]) -> dict[str, Any]:
    rows = [
        {"role": str(s.get("role") or ""), "name": str(s.get("name") or ""), "date": str(s.get("date") or "")}
        for s in ev.get("signoff") or []
    ]
    return {"type": "signoff", "rows": rows}


def _crosswalk_block(ev: Mapping[str, Any], sections: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    by_id = {s["id"]: s for s in sections}
    rows = []
    for req in ev.get("crosswalk") or []:
        answered = [sid for sid in req.get("sections", []) if sid in by_id]
        if "status" not in req:  # evidence written before statuses: the sections' own declarations
            answered += [s["id"] for s in sections if req.get("id") in s["requirements"] and s["id"] not in answered]
        answered.sort(key=[s["id"] for s in sections].index)
        rows.append(
            {
                "id": str(req.get("id", "")),
                "framework": str(req.get("framework") or ""),
                "reference": str(req.get("reference") or req.get("id", "")),
                "text": str(req.get("text") or ""),
                "status": str(req.get("status") or ""),
                "note": str(req.get("note") or ""),
                "sections": [
                    {"id": sid, "number": by_id[sid]["number"], "title": by_id[sid]["title"]} for sid in answered
                ],
            }
        )
    summary = crosswalk_summary(rows) if any(r["status"] for r in rows) else ""
    return {"type": "crosswalk", "rows": rows, "summary": summary}


def _number_sections(sections: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    out, main, appendix = [], 0, 0
    for s in sections:
        is_appendix = bool(s.get("appendix")) or s["id"] in APPENDICES
        if is_appendix:
            number = chr(ord("A") + appendix)
            appendix += 1
            heading = f"Appendix {number}. {s['title']}"
        else:
            main += 1
            number = str(main)
            heading = f"{number} {s['title']}"
        out.append(
            {
                "id": str(s["id"]),
                "number": number,
                "title": str(s["title"]),
                "heading": heading,
                "appendix": is_appendix,
                "status": str(s["status"]),
                "status_label": format_value(s["status"], "status"),
                "summary": str(s.get("summary") or ""),
                "not_applicable": s.get("not_applicable"),
                "requirements": [str(r) for r in s.get("requirements", [])],
                "blocks": [],
            }
        )
    return out


def _number_captions(sections: Sequence[dict[str, Any]]) -> None:
    """Number tables and figures in reading order; charts get the file name of their SVG."""
    tables = figures = charts = 0
    for s in sections:
        for block in s["blocks"]:
            if block["type"] == "table":
                tables += 1
                block["label"] = f"Table {tables}"
            elif block["type"] == "chart":
                figures += 1
                charts += 1
                block["label"] = f"Figure {figures}"
                block["file"] = f"chart-{charts}.svg"
            elif block["type"] == "highlighted_text":
                figures += 1
                block["label"] = f"Figure {figures}"


def build_view(evidence: Mapping[str, Any]) -> dict[str, Any]:
    """Turn the evidence into the display strings every exporter renders.

    Parameters
    ----------
    evidence : mapping
        The evidence document (schema ``explain.audit``).

    Returns
    -------
    dict
        JSON-ready: ``title``, ``report`` (id, version, date, generated, verdict, verdict_status,
        verdict_reason, counts), ``model`` (name, version, owner), ``evidence_sha256``, ``provenance``
        (the cover box: label, detail, sha256, short), ``statuses`` (status -> label), and
        ``sections`` (id, number, title, heading, appendix, status, status_label, summary,
        not_applicable, requirements, blocks), each chart block with its ``file`` name.

    Raises
    ------
    SchemaError
        If a block type or format is unknown, or a findings block names a missing finding.
    """
    evidence_sha = sha256_hex(canonical_json(evidence))
    report, card, prov = evidence.get("report", {}), evidence.get("card", {}), evidence.get("provenance", {})
    findings = {f["id"]: f for f in evidence.get("findings", [])}
    sections = _number_sections(evidence.get("sections", []))
    generated = {
        "provenance": [_evidence_hash_block(evidence_sha)],
        "signoff": [_signoff_block(evidence)] if evidence.get("signoff") else [],
        "crosswalk": [_crosswalk_block(evidence, sections)],
    }
    for s, source in zip(sections, evidence.get("sections", []), strict=True):
        s["blocks"] = generated.get(s["id"], []) + [_block(b, findings) for b in source.get("blocks", [])]
    _number_captions(sections)
    _link_findings(sections, findings)
    date, stamp = _display_time(report.get("generated_at"))
    counts = report.get("counts") or {}
    box = [
        {
            "label": "Model",
            "detail": str(prov.get("model", {}).get("type", "")),
            "sha256": str(prov.get("model", {}).get("sha256", "")),
        }
    ]
    for d in prov.get("datasets", []):
        shape = f"{format_value(d.get('rows'), 'int')} rows \u00d7 {format_value(d.get('columns'), 'int')} columns"
        box.append({"label": f"Data: {d.get('name', '')}", "detail": shape, "sha256": str(d.get("sha256", ""))})
    for entry in box:
        entry["short"] = entry["sha256"][:_SHORT_HASH]
    return {
        "title": str(report.get("title", "Model audit report")),
        "report": {
            "id": str(report.get("id", "")),
            "version": str(report.get("version", "")),
            "date": date,
            "generated": stamp,
            "verdict": format_value(report.get("verdict", "info"), "status"),
            "verdict_status": str(report.get("verdict", "info")),
            "verdict_reason": str(report.get("verdict_reason") or ""),
            "counts": [{"status": s, "label": STATUS_LABELS[s], "count": str(counts.get(s, 0))} for s in STATUSES],
        },
        "model": {
            "name": str(card.get("name", "")),
            "version": str(card.get("version", "")),
            "owner": str(card.get("owner") or ""),
        },
        "evidence_sha256": evidence_sha,
        "provenance": box,
        "statuses": dict(STATUS_LABELS),
        "sections": sections,
    }
