"""The executive summary: the verdict, the findings that need attention and the report's scope."""

from __future__ import annotations

from typing import Any

from ._regulations import requirements_for
from ._schema import findings_block, paragraph, section

__all__ = ["summary_section"]


def summary_section(findings: list[dict[str, Any]], sections: list[dict[str, Any]], verdict: str) -> dict[str, Any]:
    flagged = [f for f in findings if f["status"] in ("fail", "warn")]
    not_applicable = [f"{s['title']}: {s['not_applicable']}" for s in sections if s["not_applicable"]]
    text = {
        "pass": "Every finding meets the policy.",
        "warn": "No finding fails the policy, but some need a reviewer's attention.",
        "fail": "At least one finding fails the policy: the model should not be put into use as it stands.",
    }[verdict]
    blocks = [
        paragraph(f"Verdict: {verdict.upper()}. {text}"),
        findings_block([f["id"] for f in findings]),
        paragraph(
            "Scope: every section applies" + (", except: " + "; ".join(not_applicable) if not_applicable else ".")
        ),
    ]
    return section(
        "summary",
        "Executive summary",
        requirements=requirements_for("summary"),
        summary=f"{len(flagged)} finding(s) need attention.",
        blocks=blocks,
        findings=findings,
    )
