"""The regulation crosswalk data: consistent ids, every section answers something, no silent gaps."""

from __future__ import annotations

import json

import pytest

from explain.errors import InputError
from explain.report._evidence import canonical_json
from explain.report._regulations import (
    FRAMEWORKS,
    REQUIREMENTS,
    Framework,
    Requirement,
    crosswalk,
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
        assert r.sections, r.id
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
    assert all(row["sections"] for row in rows)


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
