"""AuditReport.from_json is total: any file gives a report that writes again, or a SchemaError.

The sample evidence (every block type, both chart kinds) is damaged by hypothesis (see
``_mutate``); whatever loads must write its canonical JSON again, read back to the same
evidence, and have a view the HTML and PDF exporters can render.
"""

from __future__ import annotations

import json

import pytest
from _mutate import mutated
from hypothesis import HealthCheck, given, settings

from explain.errors import SchemaError
from explain.report import AuditReport
from explain.report._view import build_view

from ._sample import sample_evidence

_BAR = {"type": "chart", "id": "c", "caption": "", "alt": "a", "chart": {"kind": "bar", "labels": ["a"], "values": [],
                                                                       "xlabel": ""}}  # fmt: skip
FUZZ = settings(max_examples=120, deadline=None, database=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def evidence() -> list[dict]:
    return [json.loads(json.dumps(sample_evidence()))]


def test_the_sample_loads(evidence, tmp_path):
    path = tmp_path / "evidence.json"
    report = AuditReport(evidence[0])
    report.to_json(path)
    assert AuditReport.from_json(path).evidence_sha256 == report.evidence_sha256


def test_fuzzed_evidence_loads_as_a_valid_report_or_raises_schema_error(evidence, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    outcomes = {"loaded": 0, "refused": 0}

    @FUZZ
    @given(data=mutated(evidence))
    def check(data: bytes) -> None:
        path = folder / "evidence.json"
        path.write_bytes(data)
        try:
            report = AuditReport.from_json(path)
        except SchemaError:
            outcomes["refused"] += 1
            return
        outcomes["loaded"] += 1
        again = report.to_json(folder / "again.json")
        assert AuditReport.from_json(again).evidence_sha256 == report.evidence_sha256
        build_view(report.evidence)

    check()
    assert outcomes["loaded"] and outcomes["refused"]


@pytest.mark.parametrize(
    "edit, says",
    [
        (lambda ev: ev["sections"][0].update(blocks=[_BAR]), "entries for 1 labels"),
        (lambda ev: ev["findings"][0].update(observed="0.9"), "finite number"),
        (lambda ev: ev["report"].update(generated_at="yesterday"), "ISO 8601"),
        (lambda ev: ev["sections"][1].update(blocks=[{"type": "findings", "ids": ["nope"]}]), "not in the evidence"),
        (lambda ev: ev.update(sections={}), "should be a list"),
    ],
)
def test_damaged_fields_are_named(evidence, tmp_path, edit, says):
    ev = json.loads(json.dumps(evidence[0]))
    edit(ev)
    path = tmp_path / "evidence.json"
    path.write_text(json.dumps(ev))
    with pytest.raises(SchemaError, match=says):
        AuditReport.from_json(path)


@pytest.mark.parametrize("raw", [b"[" * 100_000, b"{}", b"null", b'{"schema": "explain.audit", "x": 1e400}', b"\xff"])
def test_files_that_are_not_evidence_are_refused(tmp_path, raw):
    path = tmp_path / "evidence.json"
    path.write_bytes(raw)
    with pytest.raises(SchemaError):
        AuditReport.from_json(path)


def _failing(ev):
    return next(i for i, f in enumerate(ev["findings"]) if f["status"] == "fail")


def _pass_everything(ev):
    """A verdict and counts forged to 'pass' over a failing finding (the counts still count it)."""
    ev["report"]["verdict"] = "pass"


def _fail_hidden_from_counts(ev):
    ev["report"]["counts"]["fail"] = 0
    ev["report"]["counts"]["pass"] += 1


def _no_failure_but_verdict_fail(ev):
    for f in ev["findings"]:
        if f["status"] == "fail":
            f["status"] = "pass"
    counts = ev["report"]["counts"]
    counts["pass"], counts["fail"] = counts["pass"] + counts["fail"], 0
    for s in ev["sections"]:
        if s["status"] == "fail":
            s["status"] = "warn" if s["id"] == "summary" else "pass"


def _section_status_forged(ev):
    ev["sections"][next(i for i, s in enumerate(ev["sections"]) if s["id"] == "fairness")]["status"] = "pass"


def _counts_missing(ev):
    del ev["report"]["counts"]


def _counts_unknown_status(ev):
    ev["report"]["counts"]["great"] = 1


@pytest.mark.parametrize(
    "edit, says",
    [
        (_pass_everything, r"report.verdict is 'pass', but findings\[\d+\] \('fairness.impact_ratio.sex'\) is 'fail'"),
        (_fail_hidden_from_counts,
         r"report.counts says \{'pass': 5, 'fail': 0\} but the findings hold \{'pass': 4, 'fail': 1\}"),
        (_no_failure_but_verdict_fail, r"report.verdict is 'fail', but .* so it would be 'warn'"),
        (_section_status_forged,
         r"sections\[\d+\] \('fairness'\) has status 'pass', but the worst of its findings is 'fail'"),
        (_counts_missing, r"report.counts is missing"),
        (_counts_unknown_status, r"report.counts names \['great'\]"),
    ],
    ids=["verdict_pass_over_a_failure", "counts_hide_a_failure", "verdict_fail_without_failure",
         "section_status_forged", "counts_missing", "counts_unknown_status"],
)  # fmt: skip
def test_evidence_that_contradicts_itself_is_refused(evidence, tmp_path, edit, says):
    """A loaded report keeps its own invariants: verdict = worst finding, counts = the findings."""
    ev = json.loads(json.dumps(evidence[0]))
    edit(ev)
    path = tmp_path / "evidence.json"
    path.write_text(json.dumps(ev))
    with pytest.raises(SchemaError, match=says) as info:
        AuditReport.from_json(path)
    assert "AuditReport.to_json() wrote" in str(info.value)


@pytest.mark.parametrize(
    "change, says",
    [
        ({"max_reasons": -1}, r"policy\.max_reasons=-1 is negative"),
        ({"min_explanation_stability": ""}, r"policy\.min_explanation_stability must be a number, got ''"),
        ({"explain_rows": 2.5}, r"policy\.explain_rows must be a whole number"),
        ({"alpha": 0}, r"policy\.alpha=0; a significance level"),
        ({"min_impact_ratio": 1.5}, r"policy\.min_impact_ratio must lie in \[0, 1\]"),
        ({"stability_runs": 1}, r"policy\.stability_runs must be >= 2"),
        ({"warn_psi": 0.5, "max_psi": 0.25}, r"policy\.warn_psi=0\.5 is above policy\.max_psi"),
    ],
)
def test_a_policy_that_policy_itself_refuses_is_refused(evidence, tmp_path, change, says):
    """The thresholds recorded in the evidence pass Policy's own checks (issue 12: max_reasons=-1 loaded)."""
    from explain.report import Policy

    ev = json.loads(json.dumps(evidence[0]))
    ev["policy"] = {**Policy().to_dict(), **change}
    path = tmp_path / "evidence.json"
    path.write_text(json.dumps(ev))
    with pytest.raises(SchemaError, match=says) as info:
        AuditReport.from_json(path)
    assert "AuditReport.to_json() wrote" in str(info.value)
    ev["policy"] = Policy().to_dict()  # as explain.audit writes it
    path.write_text(json.dumps(ev))
    assert AuditReport.from_json(path).evidence["policy"] == Policy().to_dict()


def _highlighted(**changes):
    from explain.report._schema import highlighted_text

    block = highlighted_text("d", "A document", ["a", " ", "b"], [0.5, None, -0.2], scale=0.5, legend="colours")
    block.update(changes)
    return block


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"tokens": "a b"}, r"tokens should be a list"),
        ({"tokens": ["a", 3, "b"]}, r"tokens\[1\] should be text"),
        ({"values": [0.5, None]}, r"values has 2 entries for 3 tokens"),
        ({"values": [0.5, None, "x"]}, r"values\[2\] should be a finite number"),
        ({"values": [0.5, None, True]}, r"values\[2\] should be a finite number"),
        ({"values": [0.5, None, {"a": 1}]}, r"values\[2\] should be a finite number"),
        ({"scale": 0}, r"scale is 0; it should be a positive number"),
        ({"scale": None}, r"scale should be a finite number"),
        ({"legend": None}, r"legend should be text"),
        ({"caption": ["x"]}, r"caption should be text"),
    ],
)
def test_hostile_highlighted_text_is_refused_by_name(evidence, tmp_path, changes, says):
    bad = json.loads(json.dumps(evidence[0]))
    bad["sections"][1]["blocks"].append(_highlighted(**changes))
    path = tmp_path / "evidence.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(SchemaError, match=r"sections\[1\]\.blocks\[\d+\]\." + says):
        AuditReport.from_json(path)


def test_fuzzed_evidence_with_highlighted_text_loads_or_is_refused(evidence, tmp_path_factory):
    from explain.report._html import render_html

    good = json.loads(json.dumps(evidence[0]))
    good["sections"][1]["blocks"].append(_highlighted())
    AuditReport(good)  # the block as written is valid
    folder = tmp_path_factory.mktemp("fuzz_highlight")
    outcomes = {"loaded": 0, "refused": 0}

    @FUZZ
    @given(data=mutated([good]))
    def check(data: bytes) -> None:
        path = folder / "evidence.json"
        path.write_bytes(data)
        try:
            report = AuditReport.from_json(path)
        except SchemaError:
            outcomes["refused"] += 1
            return
        outcomes["loaded"] += 1
        render_html(report.evidence)

    check()
    assert outcomes["loaded"] and outcomes["refused"]
