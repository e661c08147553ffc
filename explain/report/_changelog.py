"""The change log against a previous audit report: every finding, and what changed in the inputs.

Findings are matched by id (ids name what they judge, e.g. ``fairness.impact_ratio.sex``, never a
position, so the same check has the same id in every run). Each finding of either report is:

- ``new``: in this report only;
- ``resolved``: in the previous report only (the check no longer runs, e.g. an attribute dropped);
- ``status changed``: in both, with another status (``warn`` -> ``pass``);
- ``unchanged``: in both with the same status (its observed value may still have moved: the table
  gives both values and the difference).

Then what the results depend on, before and after: the model's fingerprint, the data sets'
fingerprints and sizes, the configuration's SHA-256 and every policy threshold that differs, the
model card's name and version, the library versions, Python, the platform and the seed; and the
previous report's id, date, verdict and evidence SHA-256 (the value printed on its cover), and how
the previous report was checked: "verified PDF (consistent, unsigned / signed by ...)" when
``audit(previous=)`` was given its PDF, else "not verified" (an evidence JSON can be edited
consistently: status, counts and section status together).

The previous evidence is read by :meth:`AuditReport.from_json`, which checks every field its
exporters read; the fields read here beyond those (configuration hash, Python, seed) are taken
only when they are text or numbers, and long texts are cut, so a hostile file cannot put
anything but short plain values into this report.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ._evidence import canonical_json
from ._schema import column, facts, finding, findings_block, paragraph, table
from ._sections_model import Built, _sec

__all__ = ["SECTION_ID", "changelog_section", "compare_findings"]

SECTION_ID = "change_log"
NEW, RESOLVED, CHANGED, UNCHANGED = "new", "resolved", "status changed", "unchanged"
_ORDER = (CHANGED, NEW, RESOLVED, UNCHANGED)
_MAX_TEXT = 200


def _plain(value: Any) -> Any:
    """A value of the previous evidence as a short plain value: text, a number, a bool or None."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = value if isinstance(value, str) else canonical_json(value).decode()
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 3] + "..."


def _text(value: Any) -> str | None:
    plain = _plain(value)
    return None if plain is None else str(plain)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _key(fid: str) -> str:
    """The id matched on: an intersection of attributes (``fairness.impact_ratio.sex & age_band``)
    is named in the order the sensitive features were given, so its parts are matched sorted."""
    at = fid.find(" & ")
    if at < 0:
        return fid
    start = fid.rfind(".", 0, at) + 1
    return fid[:start] + " & ".join(sorted(fid[start:].split(" & ")))


def _by_id(findings: Any) -> dict[str, Mapping[str, Any]]:
    """Findings by matching key; a repeated id (not written by explain) is kept with ``#2``, ``#3`` appended."""
    out: dict[str, Mapping[str, Any]] = {}
    for f in findings or []:
        key, k = _key(str(f["id"])), 2
        while key in out:
            key, k = f"{_key(str(f['id']))}#{k}", k + 1
        out[key] = f
    return out


def compare_findings(before: Any, after: Any) -> list[dict[str, Any]]:
    """One row per finding id of either list: its change, statuses and observed values.

    Rows come in the order status changed, new, resolved, unchanged; within each, in the order
    of ``after`` (then of ``before``). Findings of an intersection of sensitive attributes match
    whatever the order of the attributes (``sex & age_band`` is ``age_band & sex``); the row
    shows the id of ``after``.

    Examples
    --------
    >>> old = [{"id": "a", "title": "A", "status": "warn", "observed": 0.7},
    ...        {"id": "b", "title": "B", "status": "pass", "observed": 1}]
    >>> new = [{"id": "a", "title": "A", "status": "pass", "observed": 0.9},
    ...        {"id": "c", "title": "C", "status": "fail", "observed": None}]
    >>> [(r["id"], r["change"], r["status_before"], r["status_after"]) for r in compare_findings(old, new)]
    [('a', 'status changed', 'warn', 'pass'), ('c', 'new', None, 'fail'), ('b', 'resolved', 'pass', None)]
    """
    old, now = _by_id(before), _by_id(after)
    rows = []
    for fid in [*now, *(k for k in old if k not in now)]:
        a, b = old.get(fid), now.get(fid)
        if a is None:
            change = NEW
        elif b is None:
            change = RESOLVED
        else:
            change = UNCHANGED if a["status"] == b["status"] else CHANGED
        x = None if a is None else _number(a.get("observed"))
        y = None if b is None else _number(b.get("observed"))
        rows.append(
            {
                "id": _text((b or a or {}).get("id")),
                "title": _text((b or a or {}).get("title")) or "",
                "change": change,
                "status_before": None if a is None else _text(a["status"]),
                "status_after": None if b is None else _text(b["status"]),
                "observed_before": x,
                "observed_after": y,
                "difference": None if x is None or y is None else y - x,
            }
        )
    return sorted(rows, key=lambda r: _ORDER.index(r["change"]))  # stable: keeps the order within a kind


def _row(item: str, before: Any, after: Any) -> dict[str, Any]:
    b, a = _text(before), _text(after)
    return {"item": item, "before": b, "after": a, "changed": b != a}


def _datasets(prov: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    out = {}
    for d in prov.get("datasets") or []:
        if isinstance(d, Mapping):
            out[str(_text(d.get("name")))] = d
    return out


def _input_rows(
    previous: Mapping[str, Any], current: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """What the results depend on, before and after: the fingerprints, then the other settings."""
    pp, cp = previous.get("provenance") or {}, current["provenance"]
    pm, cm = pp.get("model") or {}, cp["model"]
    hashes = [_row("Model", pm.get("sha256"), cm["sha256"])]
    rows = [_row("Model type", pm.get("type"), cm["type"])]
    old_data, new_data = _datasets(pp), _datasets(cp)
    for name in [*new_data, *(n for n in old_data if n not in new_data)]:
        a, b = old_data.get(name, {}), new_data.get(name, {})
        hashes.append(_row(f"Data: {name}", a.get("sha256"), b.get("sha256")))
        rows.append(_row(f"Data {name}: rows x columns", _shape(a), _shape(b)))
    hashes.append(_row("Configuration (policy, card, arguments)", pp.get("config_sha256"), cp["config_sha256"]))
    pc, cc = previous.get("card") or {}, current["card"]
    rows += [
        _row("Model card: name", pc.get("name"), cc["name"]),
        _row("Model card: version", pc.get("version"), cc["version"]),
    ]
    old_policy, new_policy = previous.get("policy") or {}, current["policy"]
    for key in [*new_policy, *(k for k in old_policy if k not in new_policy)]:
        row = _row(f"Policy: {key}", old_policy.get(key), new_policy.get(key))
        if row["changed"]:
            rows.append(row)
    old_v, new_v = pp.get("versions") or {}, cp.get("versions") or {}
    for lib in sorted(set(old_v) | set(new_v)):
        rows.append(_row(f"Version: {lib}", old_v.get(lib), new_v.get(lib)))
    for key, label in (("python", "Python"), ("platform", "Platform"), ("random_state", "random_state")):
        rows.append(_row(label, pp.get(key), cp.get(key)))
    return hashes, rows


def _shape(d: Mapping[str, Any]) -> str | None:
    if not d:
        return None
    return f"{_text(d.get('rows'))} x {_text(d.get('columns'))}"


def changelog_section(
    previous: Mapping[str, Any], previous_sha256: str, current: Mapping[str, Any], *, checked: str | None = None
) -> Built:
    """The change-log section and its one finding (``info``: how many findings changed status).

    Parameters
    ----------
    previous : mapping
        The previous report's evidence (checked by :meth:`AuditReport.from_json`, or an AuditReport's).
    previous_sha256 : str
        The previous evidence's SHA-256 (printed on its cover).
    current : mapping
        This report's ``report`` (id, verdict), ``findings``, ``policy``, ``card`` and ``provenance``.
    checked : str, optional
        How the previous report was checked (``"verified PDF (consistent, unsigned)"``, ``"evidence
        JSON, not verified: ..."``), stated in the section; default: not stated.
    """
    # this report's values as its JSON will hold them (canonical JSON rounds numbers, and the
    # previous report was read from its JSON): an unchanged value differs by 0, not by rounding
    now = json.loads(canonical_json(list(current["findings"])))
    rows = compare_findings(previous.get("findings"), now)
    counts = {kind: sum(r["change"] == kind for r in rows) for kind in _ORDER}
    pr = previous.get("report") or {}
    said = ", ".join(f"{n} {kind}" for kind, n in counts.items())
    found = [
        finding(
            "change_log.status_changes",
            SECTION_ID,
            "Findings whose status changed since the previous report",
            metric="findings with another status than in the previous report",
            observed=counts[CHANGED],
            format="int",
            message=f"Against report {_text(pr.get('id'))} of {_text(pr.get('generated_at'))}: {said}.",
        )
    ]
    hashes, inputs = _input_rows(previous, current)
    changed = [r["item"] + (" SHA-256" if r in hashes else "") for r in hashes + inputs if r["changed"]]
    blocks = [
        facts(
            [
                ("Previous report", _text(pr.get("id"))),
                ("Previous report generated (UTC)", _text(pr.get("generated_at"))),
                ("Previous evidence SHA-256", previous_sha256, "hash"),
                ("How the previous report was checked", checked or "not stated"),
                ("Verdict: previous, this report", f"{_text(pr.get('verdict'))}, {current['report']['verdict']}"),
                ("Findings", said),
            ]
        ),
        findings_block([f["id"] for f in found]),
        table(
            "change_log_findings",
            "Every finding of either report, matched by id: its status and observed value before and after",
            [
                column("id", "Finding"),
                column("change", "Change"),
                column("status_before", "Before", "status"),
                column("status_after", "After", "status"),
                column("observed_before", "Observed before", "float"),
                column("observed_after", "Observed after", "float"),
                column("difference", "Difference", "float"),
            ],
            rows,
            note="new: only in this report; resolved: only in the previous one. Difference = after - before.",
        ),
        paragraph(
            "What the results depend on, before and after: "
            + ("nothing changed." if not changed else f"{len(changed)} item(s) changed: {'; '.join(changed)}.")
        ),
        table(
            "change_log_fingerprints",
            "SHA-256 fingerprints of the model, the data and the configuration, in the previous report and this one",
            [
                column("item", "Fingerprint of"),
                column("before", "Previous", "hash"),
                column("after", "This report", "hash"),
                column("changed", "Changed", "bool"),
            ],
            hashes,
        ),
        table(
            "change_log_inputs",
            "Model, data, configuration and environment of the previous report and of this one",
            [
                column("item", "Item"),
                column("before", "Previous"),
                column("after", "This report"),
                column("changed", "Changed", "bool"),
            ],
            inputs,
            note="Policy thresholds are listed when they changed only.",
        ),
    ]
    how = (checked or "check not stated").split(":")[0].split(" (")[0]  # "verified PDF", "evidence JSON, not verified"
    summary = f"Against report {_text(pr.get('id'))} ({how}): {said}."
    return _sec(SECTION_ID, summary, blocks, found)
