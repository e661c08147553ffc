"""The executive summary: the verdict, the findings that need attention and the report's scope.

Each finding is given in full once, in the findings table of its own section. The summary only
indexes the findings that need attention (failures, then warnings; the more severe first), with
their severity, owner and a link to that section, so a reader sees what must be done and by whom
without reading each finding three times.
"""

from __future__ import annotations

from typing import Any

from ._regulations import requirements_for
from ._schema import SEVERITIES, finding_index, paragraph, section

__all__ = ["attention_order", "severity_counts", "summary_section"]

_STATUS_ORDER = {"fail": 0, "warn": 1}


def attention_order(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The findings that need attention (``fail``, ``warn``): failures first, then by severity
    (high first; a finding without one last), then in reading order.

    >>> found = [{"id": "a", "status": "warn", "severity": "high"}, {"id": "b", "status": "pass"},
    ...          {"id": "c", "status": "fail", "severity": "low"}, {"id": "d", "status": "warn", "severity": "low"},
    ...          {"id": "e", "status": "warn"}]
    >>> [f["id"] for f in attention_order(found)]
    ['c', 'a', 'd', 'e']
    """
    flagged = [(i, f) for i, f in enumerate(findings) if f["status"] in _STATUS_ORDER]
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    flagged.sort(key=lambda p: (_STATUS_ORDER[p[1]["status"]], rank.get(str(p[1].get("severity")), len(rank)), p[0]))
    return [f for _, f in flagged]


def severity_counts(findings: list[dict[str, Any]]) -> str:
    """``"2 high, 1 low"``: how many findings of each severity (those without one left out).

    >>> severity_counts([{"severity": "low"}, {"severity": "high"}, {"severity": "high"}, {}])
    '2 high, 1 low'
    """
    counts = [(s, sum(f.get("severity") == s for f in findings)) for s in SEVERITIES]
    return ", ".join(f"{n} {s}" for s, n in counts if n)


def summary_section(findings: list[dict[str, Any]], sections: list[dict[str, Any]], verdict: str) -> dict[str, Any]:
    flagged = attention_order(findings)
    not_applicable = [f"{s['title']}: {s['not_applicable']}" for s in sections if s["not_applicable"]]
    text = {
        "pass": "Every finding meets the policy.",
        "warn": "No finding fails the policy, but some need a reviewer's attention.",
        "fail": "At least one finding fails the policy: the model should not be put into use as it stands.",
    }[verdict]
    index = (
        [
            paragraph(
                "The findings that need attention, failures first and the more severe first. Severity is the impact "
                "if a finding is not remediated; the owner is who must remediate it (the policy's assignments, else "
                "the model owner of the model card). Each finding is given in full (metric, threshold, observed "
                "value, interval and detail) once, in its section, which the last column links to."
            ),
            finding_index([f["id"] for f in flagged]),
        ]
        if flagged
        else [paragraph("No finding needs attention. Every finding is given in full in its section.")]
    )
    blocks = [
        paragraph(f"Verdict: {verdict.upper()}. {text}"),
        *index,
        paragraph(
            "Scope: every section applies" + (", except: " + "; ".join(not_applicable) if not_applicable else ".")
        ),
    ]
    severities = severity_counts(flagged)
    return section(
        "summary",
        "Executive summary",
        requirements=requirements_for("summary"),
        summary=f"{len(flagged)} finding(s) need attention" + (f" ({severities} severity)." if severities else "."),
        blocks=blocks,
        findings=findings,
    )
