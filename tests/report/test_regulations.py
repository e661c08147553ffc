"""The regulation crosswalk data: consistent ids, every section answers something, no silent gaps."""

from __future__ import annotations

import json

import pytest

from explain.errors import InputError
from explain.report._evidence import canonical_json
from explain.report._regulations import (
    CROSSWALK_STATUSES,
    FRAMEWORKS,
    REQUIREMENTS,
    Framework,
    Requirement,
    crosswalk,
    crosswalk_counts,
    crosswalk_summary,
    frameworks,
    requirements_for,
)
from explain.report._schema import SECTION_TITLES

WITHOUT_REQUIREMENTS = {"crosswalk", "glossary"}


def test_ids_are_unique():
    ids = [r.id for r in REQUIREMENTS]
    assert len(ids) == len(set(ids))
    framework_ids = [f.id for f in FRAMEWORKS]
    assert len(framework_ids) == len(set(framework_ids))


def test_every_requirement_cites_a_known_framework_and_known_sections():
    known = {f.id for f in FRAMEWORKS}
    for r in REQUIREMENTS:
        assert r.framework in known, r.id
        assert r.id.startswith(f"{r.framework}-"), r.id
        assert r.sections or (r.gap and r.by), r.id  # no section can answer it: say what and who
        assert bool(r.gap) == bool(r.by), r.id
        assert len(set(r.sections)) == len(r.sections), r.id
        assert set(r.sections) <= set(SECTION_TITLES), r.id
        assert r.reference and r.text.endswith("."), r.id


def test_requirements_are_grouped_in_framework_order():
    order = [f.id for f in FRAMEWORKS]
    positions = [order.index(r.framework) for r in REQUIREMENTS]
    assert positions == sorted(positions)
    assert {r.framework for r in REQUIREMENTS} == set(order)  # every framework is cited


@pytest.mark.parametrize("section_id", [s for s in SECTION_TITLES if s not in WITHOUT_REQUIREMENTS])
def test_every_section_answers_a_requirement(section_id):
    assert requirements_for(section_id)


def test_requirements_for_agrees_with_the_table():
    for section_id in SECTION_TITLES:
        assert requirements_for(section_id) == tuple(r.id for r in REQUIREMENTS if section_id in r.sections)
    assert requirements_for("crosswalk") == ()


def test_the_checklist_rows_are_mapped():
    by_id = {r.id: r for r in REQUIREMENTS}
    expected = {
        "AIA-AnnexIV-2g": {"document_control", "performance", "fairness", "provenance", "signoff"},
        "RegB-1002.9b2": {"local_explanations"},
        "RegB-SuppI-9b2-5": {"local_explanations"},
        "LL144-5-301": {"fairness"},
        "UGESP-1607.4D": {"fairness"},
        "GDPR-C-203-22": {"global_explanations", "local_explanations"},
        "MRM-VI-documentation": {"design", "limitations", "provenance", "glossary"},
        "AIA-AnnexIV-7": {"standards"},
    }
    for rid, sections in expected.items():
        assert set(by_id[rid].sections) == sections, rid


def test_crosswalk_covers_every_requirement_in_report_order():
    report = list(SECTION_TITLES)
    rows = crosswalk(report)
    assert [row["id"] for row in rows] == [r.id for r in REQUIREMENTS]
    for row, r in zip(rows, REQUIREMENTS, strict=True):
        assert row["sections"] == [s for s in report if s in r.sections]
        assert row["framework"] == r.framework and row["text"] == r.text
    assert all(row["sections"] or row["status"] == "not addressed by this report" for row in rows)


def test_crosswalk_shows_gaps_and_follows_the_given_order():
    rows = {row["id"]: row for row in crosswalk(["signoff", "document_control"])}
    assert len(rows) == len(REQUIREMENTS)
    assert rows["AIA-AnnexIV-2g"]["sections"] == ["signoff", "document_control"]
    assert rows["DS-1"]["sections"] == []
    assert all(row["sections"] == [] for row in crosswalk([]))


def test_unknown_section_is_an_input_error():
    with pytest.raises(InputError, match="unknown section ids"):
        crosswalk(["summary", "fairnes"])
    with pytest.raises(ValueError, match="fairnes"):
        requirements_for("fairnes")


def test_plain_values_for_the_evidence():
    evidence = {"frameworks": frameworks(), "crosswalk": crosswalk(list(SECTION_TITLES))}
    assert json.loads(canonical_json(evidence)) == evidence
    assert [f["id"] for f in evidence["frameworks"]] == [f.id for f in FRAMEWORKS]


def test_status_notes_from_the_checklist():
    notes = {f.id: f for f in FRAMEWORKS}
    assert "2 Dec 2027" in notes["AIA"].note
    assert "2022-03" in notes["RegB"].note and "1002.9(b)(2)" in notes["RegB"].note
    assert "SR 26-2" in notes["MRM"].note and "17 Apr 2026" in notes["MRM"].note
    assert "C-203/22" in notes["GDPR"].citation


def test_records_are_frozen():
    with pytest.raises(AttributeError):
        REQUIREMENTS[0].text = "x"  # type: ignore[misc]
    assert isinstance(FRAMEWORKS[0], Framework) and isinstance(REQUIREMENTS[0], Requirement)


# The sections and findings of `explain demo` (all sections apply; finding ids and statuses as it
# computes them), so the status tests run without fitting a model.
DEMO_FINDINGS = {
    "intended_use.card": "pass",
    "design.glassbox_gain": "warn",
    "data.missing": "pass",
    "data.leakage": "pass",
    "data.structure": "pass",
    "data.balance": "info",
    "performance.test_score": "pass",
    "performance.gap": "pass",
    "performance.calibration": "pass",
    "robustness.noise": "pass",
    "robustness.explanations": "pass",
    "global.additivity": "pass",
    "global.glassbox_agreement": "info",
    "local.codes": "pass",
    "local.reason_stability": "warn",
    "local.protected_reasons": "pass",
    "fairness.impact_ratio.sex": "fail",
    "fairness.error_rates.sex": "pass",
    "fairness.impact_ratio.age_band": "fail",
    "fairness.error_rates.age_band": "warn",
    "fairness.protected_inputs": "pass",
    "fairness.age_rule": "pass",
    "drift.features": "fail",
    "drift.prediction": "pass",
}
NOT_ADDRESSED = "not addressed by this report"


def _demo(not_applicable=None, findings=None):
    not_applicable = not_applicable or {}
    findings = DEMO_FINDINGS if findings is None else findings
    sections = [{"id": s, "not_applicable": not_applicable.get(s)} for s in SECTION_TITLES]
    return crosswalk(sections, [{"id": k, "status": v} for k, v in findings.items()])


def _by_id(rows):
    return {row["id"]: row for row in rows}


def test_demo_has_every_status_and_the_counts_add_up():
    rows = _demo()
    counts = crosswalk_counts(rows)
    assert list(counts) == list(CROSSWALK_STATUSES)
    assert all(n > 0 for n in counts.values()), counts
    assert sum(counts.values()) == len(REQUIREMENTS)
    summary = crosswalk_summary(rows)
    assert summary == ", ".join(f"{counts[s]} {s}" for s in CROSSWALK_STATUSES)
    assert f"{counts['addressed']} addressed, " in summary
    assert {row["status"] for row in rows} == set(CROSSWALK_STATUSES)


def test_each_status_says_why_and_who():
    for row in _demo():
        assert row["note"].endswith("."), row["id"]
        if row["status"] == "addressed":
            assert row["sections"] and not row["responsible"], row["id"]
            assert row["note"].startswith("Answered in "), row["id"]
        elif row["status"] == "partially addressed":
            assert row["sections"] and row["responsible"], row["id"]
            assert row["note"].startswith(("Missing: ", "Not covered by this report: ")), row["id"]
        else:
            assert not row["sections"] and not row["findings"] and row["responsible"], row["id"]


def test_addressed_lists_the_sections_and_findings_it_rests_on():
    row = _by_id(_demo())["UGESP-1607.4D"]
    assert row["status"] == "addressed"
    assert row["sections"] == ["fairness"]
    assert row["findings"] == ["fairness.impact_ratio.sex", "fairness.impact_ratio.age_band"]
    assert "Fairness" in row["note"] and "fairness.impact_ratio.sex" in row["note"]


def test_what_the_report_says_it_did_not_test_is_never_addressed():
    rows = _by_id(_demo())
    untested = ("cybersecurity", "adversarial", "declaration of conformity", "feedback loop", "log events", "the logs")
    for row in rows.values():
        if any(word in row["text"].lower() for word in untested):
            assert row["status"] != "addressed", row["id"]
    for rid in ("AIA-15-5", "AIA-AnnexIV-2h", "AIA-AnnexIV-8", "AIA-12", "AIA-13-3f", "AIA-14", "AIA-72"):
        assert rows[rid]["status"] == NOT_ADDRESSED, rid
    assert "security assessment" in rows["AIA-AnnexIV-2h"]["responsible"]
    assert "conformity" in rows["AIA-AnnexIV-8"]["responsible"]
    assert rows["AIA-13-3b-ii"]["status"] == "partially addressed"
    assert "cybersecurity" in rows["AIA-13-3b-ii"]["note"]
    assert rows["AIA-15-4"]["status"] == "partially addressed" and "feedback loops" in rows["AIA-15-4"]["note"]


def test_a_section_that_does_not_apply_answers_nothing():
    reason = "no sensitive_features were given"
    findings = {k: v for k, v in DEMO_FINDINGS.items() if not k.startswith("fairness.")}
    rows = _demo({"fairness": reason}, findings)
    touched = [r for r in REQUIREMENTS if "fairness" in r.sections]
    assert touched
    for r in touched:
        row = _by_id(rows)[r.id]
        assert row["status"] != "addressed", r.id
        assert "fairness" not in row["sections"], r.id
        assert reason in row["note"], r.id
        expected = NOT_ADDRESSED if r.sections == ("fairness",) else "partially addressed"
        assert row["status"] == expected, r.id
        assert "re-running the audit" in row["responsible"], r.id
    assert crosswalk_counts(rows)["addressed"] < crosswalk_counts(_demo())["addressed"]


def test_a_finding_that_does_not_apply_or_is_missing_makes_it_partial():
    rows = _by_id(_demo(findings=DEMO_FINDINGS | {"fairness.age_rule": "not_applicable"}))
    assert rows["RegB-1002.6b2"]["status"] == "partially addressed"
    assert "finding fairness.age_rule was not applicable" in rows["RegB-1002.6b2"]["note"]
    missing = {k: v for k, v in DEMO_FINDINGS.items() if k != "local.codes"}
    row = _by_id(_demo(findings=missing))["RegB-1002.9b2"]
    assert row["status"] == "partially addressed" and "local.codes was not computed" in row["note"]


def test_a_section_missing_from_the_report_is_named():
    rows = _by_id(crosswalk([{"id": "summary", "not_applicable": None}, {"id": "performance"}], []))
    assert rows["AIA-13-3b-ii"]["status"] == "partially addressed"
    assert "Robustness" in rows["AIA-13-3b-ii"]["note"]
    assert rows["DS-2"]["status"] == NOT_ADDRESSED and "not in the report" in rows["DS-2"]["note"]


def test_bare_section_ids_say_the_findings_were_not_checked():
    rows = _by_id(crosswalk(list(SECTION_TITLES)))
    assert rows["UGESP-1607.4D"]["status"] == "addressed"
    assert "not checked" in rows["UGESP-1607.4D"]["note"]
    assert "not checked" not in rows["AIA-13-3a"]["note"]


def test_demo_rows_are_plain_values_for_the_evidence():
    rows = _demo()
    assert json.loads(canonical_json(rows)) == rows
    for row in rows:
        assert all(isinstance(v, str) or all(isinstance(x, str) for x in v) for v in row.values())


# The local section's blocks (type and table id) as the audit builds them: with decisions (a binary
# classifier, a regressor with regression_threshold), a multiclass model with a favourable class,
# and without a declared decision (a regressor without a threshold: drivers; a multiclass model
# without a favourable class: reasons per class). tests/report/test_audit_without_decisions.py
# checks these against real audits.
LOCAL_BLOCKS = {
    "binary": [("text", ""), ("table", "reason_codes"), ("table", "adverse_decisions"), ("table", "what_if"),
               ("notice", ""), ("text", ""), ("findings", "")],
    "binary, nothing adverse": [("text", ""), ("table", "reason_codes"), ("table", "adverse_decisions"),
                                ("table", "what_if"), ("text", ""), ("findings", "")],
    "multiclass, favourable class": [("text", ""), ("table", "reason_codes"), ("table", "class_reasons"),
                                     ("table", "what_if"), ("notice", ""), ("text", ""), ("findings", "")],
    "regressor, no threshold": [("text", ""), ("table", "reason_codes"), ("table", "prediction_drivers"),
                                ("findings", "")],
    "multiclass, no favourable class": [("text", ""), ("table", "reason_codes"), ("table", "class_reasons"),
                                        ("text", ""), ("findings", "")],
}  # fmt: skip
DECISION_REQUIREMENTS = (
    "RegB-1002.9a2", "RegB-1002.9b2", "RegB-SuppI-9b2-1", "RegB-SuppI-9b2-2", "RegB-SuppI-9b2-4",
    "RegB-SuppI-9b2-5", "RegB-CFPB-2022-03", "RegB-CFPB-2023-03", "RegB-FCRA-615a",
)  # fmt: skip


def _with_local(kind):
    blocks = [{"type": t, "id": i} if i else {"type": t} for t, i in LOCAL_BLOCKS[kind]]
    sections = [
        {"id": s, "not_applicable": None, **({"blocks": blocks} if s == "local_explanations" else {})}
        for s in SECTION_TITLES
    ]
    return _by_id(crosswalk(sections, [{"id": k, "status": v} for k, v in DEMO_FINDINGS.items()]))


def test_the_adverse_action_requirements_are_the_decision_ones():
    assert tuple(r.id for r in REQUIREMENTS if r.decisions) == DECISION_REQUIREMENTS
    assert all(r.sections == ("local_explanations",) for r in REQUIREMENTS if r.decisions)


@pytest.mark.parametrize("kind", ["binary", "multiclass, favourable class"])
def test_declared_decisions_answer_the_adverse_action_requirements(kind):
    rows, plain = _with_local(kind), _by_id(_demo())
    assert {rid: rows[rid] for rid in rows} == plain  # the same as when the blocks are not read
    assert rows["RegB-1002.9b2"]["status"] == "addressed"
    assert rows["RegB-1002.9a2"]["status"] == "partially addressed"


@pytest.mark.parametrize("kind", ["regressor, no threshold", "multiclass, no favourable class"])
def test_no_declared_decision_addresses_no_adverse_action_requirement(kind):
    rows, plain = _with_local(kind), _by_id(_demo())
    for rid in DECISION_REQUIREMENTS:
        row = rows[rid]
        assert row["status"] == NOT_ADDRESSED, rid
        assert row["sections"] == [] and row["findings"] == [], rid
        assert row["note"].startswith("Not answered: no decision was declared"), rid
        assert "Policy.regression_threshold" in row["responsible"], rid
        assert "Policy.favourable_class" in row["responsible"], rid
    assert "the creditor" in rows["RegB-1002.9a2"]["responsible"]
    assert "renders a sample" not in rows["RegB-1002.9a2"]["note"]
    others = [r.id for r in REQUIREMENTS if not r.decisions]
    assert all(rows[rid] == plain[rid] for rid in others)  # the local section still answers the rest
    before, after = crosswalk_counts(plain.values()), crosswalk_counts(rows.values())
    assert after[NOT_ADDRESSED] - before[NOT_ADDRESSED] == len(DECISION_REQUIREMENTS)


def test_declared_decisions_without_an_adverse_one_are_partial():
    rows = _with_local("binary, nothing adverse")
    for rid in DECISION_REQUIREMENTS:
        assert rows[rid]["status"] == "partially addressed", rid
        assert "no explained decision was adverse" in rows[rid]["note"], rid
