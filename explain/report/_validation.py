"""Checking an evidence document read from a file: the shape of :mod:`._schema`, or a SchemaError.

:meth:`AuditReport.from_json` reads files other people wrote, so every field an exporter reads
is checked for its type before a report is made of it: a report that loads always writes its
JSON, HTML and PDF again. Messages give the path of the first bad field
(``sections[3].blocks[2].rows``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..errors import SchemaError
from ._governance import MAX_OWNER
from ._schema import FORMATS, SCHEMA, SCHEMA_VERSION, SEVERITIES, STATUSES, worst

__all__ = ["check_evidence"]

_COMPARISONS = (None, ">=", "<=", ">", "<")
_POLICY_MAPPINGS = ("severity", "owners")  # the policy fields whose value is a mapping (overrides)
_FIX = "the evidence file is damaged or was edited by hand; use the JSON that AuditReport.to_json() wrote"


def _fail(where: str, what: str) -> SchemaError:
    return SchemaError(f"evidence field {where} {what}; {_FIX}.")


def _dict(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(where, f"should be an object, not {type(value).__name__}")
    return value


def _list(value: Any, where: str, item: Callable[[Any, str], Any] | None = None) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(where, f"should be a list, not {type(value).__name__}")
    if item is not None:
        for i, v in enumerate(value):
            item(v, f"{where}[{i}]")
    return value


def _text(value: Any, where: str, optional: bool = False) -> None:
    if not (isinstance(value, str) or (optional and value is None)):
        raise _fail(where, f"should be text, not {type(value).__name__}")


def _number(value: Any, where: str, optional: bool = True) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _fail(where, f"should be a finite number, not {value!r:.40}")


def _bool(value: Any, where: str) -> None:
    if not isinstance(value, bool):
        raise _fail(where, f"should be true or false, not {value!r:.40}")


def _bools(value: Any, where: str) -> None:
    _list(value, where, _bool)


def _scalar(value: Any, where: str) -> None:
    if value is not None and not isinstance(value, (str, bool, int, float)):
        raise _fail(where, f"should be text, a number or null, not {type(value).__name__}")


def _one_of(value: Any, choices: tuple[Any, ...], where: str) -> None:
    if not isinstance(value, (str, type(None))) or value not in choices:
        raise _fail(where, f"is {value!r:.40}; expected one of {[c for c in choices if c is not None]}")


def _fields(d: dict[str, Any], where: str, **checks: Callable[[Any, str], Any]) -> None:
    for key, check in checks.items():
        if key not in d:
            raise _fail(f"{where}.{key}", "is missing")
        check(d[key], f"{where}.{key}")


def check_evidence(evidence: Any) -> None:
    """Raise :class:`SchemaError` unless ``evidence`` has the shape of :mod:`._schema`."""
    ev = _dict(evidence, "(the document)")
    if ev.get("schema") != SCHEMA:
        raise SchemaError(f"not an audit evidence document (schema {ev.get('schema')!r:.60}, expected {SCHEMA!r}).")
    version = ev.get("schema_version")
    if not isinstance(version, str) or version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise SchemaError(
            f"evidence schema version {version!r:.40} is not readable by this explain "
            f"(reads {SCHEMA_VERSION}); use the explain version that wrote it."
        )
    for key in ("report", "findings", "sections", "provenance"):
        if key not in ev:
            raise SchemaError(f"evidence lacks {key!r}.")
    _report(_dict(ev["report"], "report"))
    ids = set()
    for i, f in enumerate(_list(ev["findings"], "findings")):
        ids.add(_finding(f, f"findings[{i}]"))
    for i, s in enumerate(_list(ev["sections"], "sections")):
        _section(s, f"sections[{i}]", ids)
    _provenance(_dict(ev["provenance"], "provenance"))
    for key in ("card", "policy"):
        if key in ev:
            for k, v in _dict(ev[key], key).items():
                if key == "policy" and k in _POLICY_MAPPINGS and isinstance(v, dict):
                    for name, value in v.items():
                        _text(value, f"policy.{k}.{name}")  # Policy() below checks the rest
                elif not isinstance(v, list):
                    _scalar(v, f"{key}.{k}")
    if "policy" in ev:
        _policy(ev["policy"])
    for key in ("frameworks", "crosswalk", "glossary", "signoff"):
        if ev.get(key) is not None:
            _list(ev[key], key, _record)
    _consistent(ev["report"], ev["findings"], ev["sections"])


def _consistent(report: dict[str, Any], findings: list[dict[str, Any]], sections: list[dict[str, Any]]) -> None:
    """The judgements agree with the findings, as :func:`explain.audit` writes them: the verdict is
    the worst finding status (fail > warn > pass; pass when nothing is judged), the counts count
    the findings, and a section's status is the worst of its own findings (the summary's: of all).

    A report whose verdict says "pass" over a failing finding would be shown, and signed, as
    passing; it is refused whatever the reason (a hand edit, or a bug in whatever wrote it).
    """
    statuses = [str(f["status"]) for f in findings]
    judged = worst(s for s in statuses if s in ("pass", "warn", "fail")) if statuses else "pass"
    expected = "pass" if judged == "info" else judged
    if report["verdict"] != expected:
        bad = [(i, f) for i, f in enumerate(findings) if f["status"] == expected]
        because = (
            f"findings[{bad[0][0]}] ({str(bad[0][1]['id'])!r:.60}) is {expected!r}"
            if bad and expected != "pass"
            else "no finding is 'warn' or 'fail'"
        )
        raise SchemaError(
            f"the evidence contradicts itself: report.verdict is {report['verdict']!r}, but {because}; the "
            f"verdict is the worst finding status (fail > warn > pass), so it would be {expected!r}. {_FIX}."
        )
    counts = report.get("counts")
    if counts is None:
        raise _fail("report.counts", "is missing")
    found = {s: statuses.count(s) for s in STATUSES}
    unknown = sorted(set(counts) - set(STATUSES))
    if unknown:
        raise _fail("report.counts", f"names {unknown!r:.60}, which are not statuses; expected {list(STATUSES)}")
    wrong = {s: counts.get(s, 0) for s in STATUSES if counts.get(s, 0) != found[s]}
    if wrong:
        raise SchemaError(
            f"the evidence contradicts itself: report.counts says {wrong!r:.120} but the findings hold "
            f"{ {s: found[s] for s in wrong} }. {_FIX}."
        )
    for i, sec in enumerate(sections):
        own = statuses if sec["id"] == "summary" else [str(f["status"]) for f in findings if f["section"] == sec["id"]]
        if not own or sec.get("not_applicable") or sec["status"] == worst(own):
            continue
        raise SchemaError(
            f"the evidence contradicts itself: sections[{i}] ({str(sec['id'])!r:.40}) has status "
            f"{sec['status']!r}, but the worst of its findings is {worst(own)!r}. {_FIX}."
        )


def _policy(values: dict[str, Any]) -> None:
    """The thresholds the evidence records pass the checks of :class:`Policy` itself: a report
    judged against ``max_reasons=-1`` is not one :func:`explain.audit` could have written. Names
    Policy does not have are left to the scalar check above (older or hand-made evidence)."""
    from ..errors import InputError
    from ._policy import Policy

    known = {f.name for f in dataclasses.fields(Policy)}
    try:
        Policy(**{k: v for k, v in values.items() if k in known})
    except InputError as exc:  # its message names the field: "policy.max_reasons must be ..."
        raise SchemaError(f"evidence field {str(exc).rstrip('.')}; {_FIX}.") from None


def _record(value: Any, where: str) -> None:
    for k, v in _dict(value, where).items():
        if isinstance(v, list):
            _list(v, f"{where}.{k}", _text)
        else:
            _scalar(v, f"{where}.{k}")


def _report(r: dict[str, Any]) -> None:
    _fields(r, "report", id=_text, title=_text, generated_at=_text)
    _one_of(r.get("verdict"), STATUSES, "report.verdict")
    try:
        datetime.fromisoformat(r["generated_at"].replace("Z", "+00:00"))
    except ValueError as exc:
        raise _fail("report.generated_at", "is not an ISO 8601 date and time") from exc
    for key in ("version", "verdict_reason"):
        _scalar(r.get(key), f"report.{key}")
    for k, v in _dict(r.get("counts", {}), "report.counts").items():
        _number(v, f"report.counts.{k}", optional=False)


def _finding(f: Any, where: str) -> str:
    f = _dict(f, where)
    _fields(f, where, id=_text, section=_text, status=lambda v, w: _one_of(v, STATUSES, w))
    for key in ("title", "metric", "message"):
        _text(f.get(key, ""), f"{where}.{key}", optional=True)
    _one_of(f.get("comparison"), _COMPARISONS, f"{where}.comparison")
    _one_of(f.get("format", "float"), FORMATS, f"{where}.format")
    for key in ("threshold", "observed", "ci_low", "ci_high"):
        _number(f.get(key), f"{where}.{key}")
    # governance fields (schema 1.1); evidence of 1.0 has neither, and shows them as missing
    if f.get("severity") is not None:
        _one_of(f["severity"], SEVERITIES, f"{where}.severity")
    if f.get("owner") is not None:
        _text(f["owner"], f"{where}.owner")
        if not f["owner"].strip() or len(f["owner"]) > MAX_OWNER:
            raise _fail(f"{where}.owner", f"should be the name of who must remediate it, 1 to {MAX_OWNER} characters")
    return str(f["id"])


def _section(s: Any, where: str, finding_ids: set[str]) -> None:
    s = _dict(s, where)
    _fields(s, where, id=_text, title=_text, status=lambda v, w: _one_of(v, STATUSES, w))
    _text(s.get("summary"), f"{where}.summary", optional=True)
    _text(s.get("not_applicable"), f"{where}.not_applicable", optional=True)
    _list(s.get("requirements", []), f"{where}.requirements", _text)
    for i, block in enumerate(_list(s.get("blocks", []), f"{where}.blocks")):
        _block(block, f"{where}.blocks[{i}]", finding_ids)


def _block(b: Any, where: str, finding_ids: set[str]) -> None:
    b = _dict(b, where)
    kind = b.get("type")
    texts = {"text": ("text",), "list": (), "facts": (), "table": ("id", "caption"), "findings": (),
             "finding_index": (), "chart": ("id", "caption", "alt"), "notice": ("title", "text"),
             "highlighted_text": ("id", "caption", "legend")}  # fmt: skip
    if not isinstance(kind, str) or kind not in texts:
        raise _fail(f"{where}.type", f"is {kind!r:.40}; expected one of {list(texts)}")
    for key in texts[kind]:
        _fields(b, where, **{key: _text})
    if kind == "list":
        _fields(b, where, items=lambda v, w: _list(v, w, _text))
    elif kind == "facts":
        for i, row in enumerate(_list(b.get("rows"), f"{where}.rows")):
            row = _dict(row, f"{where}.rows[{i}]")
            _fields(row, f"{where}.rows[{i}]", label=_text, value=_scalar)
            _one_of(row.get("format", "text"), FORMATS, f"{where}.rows[{i}].format")
    elif kind == "table":
        _text(b.get("note"), f"{where}.note", optional=True)
        for i, col in enumerate(_list(b.get("columns"), f"{where}.columns")):
            _fields(_dict(col, f"{where}.columns[{i}]"), f"{where}.columns[{i}]", key=_text, label=_text)
            _one_of(col.get("format", "text"), FORMATS, f"{where}.columns[{i}].format")
        for i, row in enumerate(_list(b.get("rows"), f"{where}.rows")):
            for k, v in _dict(row, f"{where}.rows[{i}]").items():
                _scalar(v, f"{where}.rows[{i}].{k}")
                if isinstance(v, float) and not math.isfinite(v):
                    raise _fail(f"{where}.rows[{i}].{k}", "is not finite")
    elif kind in ("findings", "finding_index"):
        unknown = [i for i in _list(b.get("ids"), f"{where}.ids", _text) if i not in finding_ids]
        if unknown:
            raise _fail(f"{where}.ids", f"names findings that are not in the evidence: {unknown[:5]}")
    elif kind == "chart":
        _chart(_dict(b.get("chart"), f"{where}.chart"), f"{where}.chart")
    elif kind == "highlighted_text":
        _highlighted(b, where)


def _highlighted(b: dict[str, Any], where: str) -> None:
    """Pieces of text, a value (or null) each, and a positive scale."""
    tokens = _list(b.get("tokens"), f"{where}.tokens", _text)
    values = _list(b.get("values"), f"{where}.values", _number)
    if len(values) != len(tokens):
        raise _fail(f"{where}.values", f"has {len(values)} entries for {len(tokens)} tokens")
    _number(b.get("scale"), f"{where}.scale", optional=False)
    if not b["scale"] > 0:
        raise _fail(f"{where}.scale", f"is {b['scale']!r:.40}; it should be a positive number")


def _chart(c: dict[str, Any], where: str) -> None:
    def numbers(v: Any, w: str) -> None:
        _list(v, w, lambda x, wx: _number(x, wx, optional=False))

    if c.get("kind") == "bar":
        _fields(c, where, labels=lambda v, w: _list(v, w, _text), values=numbers, xlabel=_text)
        n = len(c["labels"])
        for key, check in (("values", numbers), ("errors", numbers), ("highlight", _bools)):
            value: Any = c.get(key)
            if value is None and key != "values":
                continue
            check(value, f"{where}.{key}")
            if len(value) != n:
                raise _fail(f"{where}.{key}", f"has {len(value)} entries for {n} labels")
        _number(c.get("reference"), f"{where}.reference")
    elif c.get("kind") == "line":
        _fields(c, where, xlabel=_text, ylabel=_text)
        for i, s in enumerate(_list(c.get("series"), f"{where}.series")):
            w = f"{where}.series[{i}]"
            _fields(_dict(s, w), w, name=_text, x=numbers, y=numbers)
            if len(s["x"]) != len(s["y"]):
                raise _fail(w, f"has {len(s['x'])} x values and {len(s['y'])} y values")
    else:
        raise _fail(f"{where}.kind", f"is {c.get('kind')!r:.40}; expected 'bar' or 'line'")


def _provenance(p: dict[str, Any]) -> None:
    model = _dict(p.get("model", {}), "provenance.model")
    for key in ("type", "sha256"):
        _text(model.get(key, ""), f"provenance.model.{key}")
    for i, d in enumerate(_list(p.get("datasets", []), "provenance.datasets")):
        d = _dict(d, f"provenance.datasets[{i}]")
        for key in ("rows", "columns"):
            _number(d.get(key), f"provenance.datasets[{i}].{key}")
        for key in ("name", "sha256"):
            _text(d.get(key, ""), f"provenance.datasets[{i}].{key}")
    for k, v in _dict(p.get("versions", {}), "provenance.versions").items():
        _text(v, f"provenance.versions.{k}")
