"""The view: one formatting rule set, and the evidence turned into display strings generically."""

from __future__ import annotations

import copy
import json

import pytest

from explain.errors import SchemaError
from explain.report import _schema as s
from explain.report._evidence import canonical_json, sha256_hex
from explain.report._view import DASH, build_view, format_value

from ._sample import HOSTILE, MODEL_NAME, sample_evidence


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        (1234567, "int", "1,234,567"),
        (12.6, "int", "13"),
        (0.812345, "float", "0.8123"),
        (0.8, "float", "0.8"),
        (3.0, "float", "3"),
        (0.0, "float", "0"),
        (-0.5, "float", "-0.5"),
        (12345.678, "float", "12,346"),
        (0.00012345, "float", "0.0001234"),
        (1.2e-7, "float", "1.2e-07"),
        (0.5, "float2", "0.50"),
        (1234.567, "float2", "1,234.57"),
        (0.1234, "pct", "12.3%"),
        (1.0, "pct", "100.0%"),
        (0.0004, "pvalue", "< 0.001"),
        (0.001, "pvalue", "0.001"),
        (0.0321, "pvalue", "0.032"),
        ("ab" * 32, "hash", "ab" * 32),
        ("pass", "status", "PASS"),
        ("warn", "status", "WARN"),
        ("fail", "status", "FAIL"),
        ("info", "status", "INFO"),
        ("not_applicable", "status", "N/A"),
        (True, "bool", "yes"),
        (False, "bool", "no"),
        ("*bold* $y$", "text", "*bold* $y$"),
        (None, "int", "n/a"),
        (None, "text", "n/a"),
        ("12", "float", "12"),  # a non-number under a number format is shown as written
    ],
)
def test_format_value(value, fmt, expected):
    assert format_value(value, fmt) == expected


def test_format_value_missing_text_and_unknown_format():
    assert format_value(None, "pct", missing=DASH) == DASH
    with pytest.raises(SchemaError, match="Unknown format 'euros'"):
        format_value(1.0, "euros")


@pytest.fixture(scope="module")
def evidence():
    return sample_evidence()


@pytest.fixture(scope="module")
def view(evidence):
    return build_view(evidence)


def _strings_only(node, where="view"):
    """Every leaf of the view is display text (or a flag / missing marker), never a number."""
    if isinstance(node, dict):
        for key, value in node.items():
            _strings_only(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _strings_only(value, f"{where}[{i}]")
    else:
        assert node is None or isinstance(node, (str, bool)), f"{where} = {node!r}"


def test_view_is_json_text_and_leaves_the_evidence_alone(evidence, view):
    before = copy.deepcopy(evidence)
    again = build_view(evidence)
    assert evidence == before
    assert again == view
    _strings_only(view)
    json.dumps(view)


def test_cover_fields(evidence, view):
    assert view["evidence_sha256"] == sha256_hex(canonical_json(evidence))
    assert view["title"] == evidence["report"]["title"]
    assert view["model"] == {"name": MODEL_NAME, "version": "2.1.0", "owner": evidence["card"]["owner"]}
    report = view["report"]
    assert (report["verdict"], report["verdict_status"]) == ("FAIL", "fail")
    assert (report["date"], report["generated"]) == ("2026-01-02", "2026-01-02 03:04:05 UTC")
    assert {c["status"]: c["count"] for c in report["counts"]} == {
        k: str(v) for k, v in evidence["report"]["counts"].items()
    }
    model, train, _ = view["provenance"]
    assert model["sha256"] == evidence["provenance"]["model"]["sha256"]
    assert model["short"] == model["sha256"][:16]
    assert (train["label"], train["detail"]) == ("Data: train", "25,432 rows \u00d7 14 columns")


def test_sections_are_numbered_and_appendices_lettered(evidence, view):
    numbers = [sec["number"] for sec in view["sections"]]
    assert numbers == [str(i) for i in range(1, 16)] + ["A", "B", "C"]
    headings = [sec["heading"] for sec in view["sections"]]
    assert headings[0] == "1 Document control"
    assert headings[-3:] == [
        "Appendix A. Regulation crosswalk",
        "Appendix B. Reproducibility and provenance",
        "Appendix C. Glossary",
    ]
    drift = next(sec for sec in view["sections"] if sec["id"] == "drift")
    assert (drift["status_label"], drift["not_applicable"]) == ("N/A", evidence["sections"][10]["not_applicable"])


def _blocks(view, kind):
    return [b for sec in view["sections"] for b in sec["blocks"] if b["type"] == kind]


def test_findings_rows_are_formatted_with_their_format(view):
    rows = {r["id"]: r for b in _blocks(view, "findings") for r in b["rows"]}
    ratio = rows["fairness.impact_ratio.sex"]
    assert (ratio["threshold"], ratio["observed"], ratio["ci"]) == ("\u2265 0.80", "0.72", "[0.61, 0.70]")
    assert (ratio["status"], ratio["status_label"]) == ("fail", "FAIL")
    assert HOSTILE in ratio["message"]
    auc = rows["performance.roc_auc"]
    assert (auc["threshold"], auc["observed"], auc["ci"]) == ("\u2265 0.75", "0.8123", "[0.7912, 0.8311]")
    assert rows["performance.gap"]["threshold"] == "\u2264 0.05"
    assert rows["local.stability"]["observed"] == "86.0%"
    assert (rows["fairness.fisher.sex"]["threshold"], rows["fairness.fisher.sex"]["observed"]) == (DASH, "< 0.001")
    assert (rows["drift.psi"]["observed"], rows["drift.psi"]["status_label"]) == (DASH, "N/A")


def test_tables_become_string_cells_and_are_numbered(view):
    tables = _blocks(view, "table")
    assert [t["label"] for t in tables] == [f"Table {i}" for i in range(1, len(tables) + 1)]
    groups = next(t for t in tables if t["id"] == "fairness.groups")
    assert [c["kind"] for c in groups["columns"]] == ["text", "number", "number", "number", "number", "text"]
    assert groups["rows"][0] == ["female", "12,034", "31.2%", "0.72", "< 0.001", "yes"]
    assert groups["rows"][2] == [HOSTILE, "87", DASH, DASH, "0.512", "no"]
    charts = _blocks(view, "chart")
    assert [(c["label"], c["file"]) for c in charts] == [(f"Figure {i}", f"chart-{i}.svg") for i in (1, 2, 3)]


def test_facts_carry_their_kind(view):
    data = next(sec for sec in view["sections"] if sec["id"] == "data")
    rows = {label: (value, kind) for label, value, kind in data["blocks"][0]["rows"]}
    assert rows["Rows (train)"] == ("25,432", "number")
    assert rows["Missing share"] == ("1.3%", "number")
    assert rows["Train SHA-256"][1] == "hash" and len(rows["Train SHA-256"][0]) == 64
    assert rows["Window end"] == ("n/a", "text")


def test_generated_blocks(evidence, view):
    by_id = {sec["id"]: sec for sec in view["sections"]}
    signoff = by_id["signoff"]["blocks"][0]
    assert signoff["type"] == "signoff"
    assert signoff["rows"][0] == {"role": "Model owner", "name": "Ana M\u00fcller", "date": "2026-01-05"}
    assert signoff["rows"][1] == {"role": "Independent validator", "name": "", "date": ""}
    assert by_id["provenance"]["blocks"][0]["rows"] == [["Evidence SHA-256", view["evidence_sha256"], "hash"]]
    crosswalk = by_id["crosswalk"]["blocks"][0]
    answered = {r["id"]: [x["id"] for x in r["sections"]] for r in crosswalk["rows"]}
    assert answered["REQ.summary"] == ["summary"]  # from the section's own requirements
    assert answered["AIA.IV.2g"] == ["performance", "signoff"]  # listed by the requirement
    assert crosswalk["rows"][1]["sections"][0] == {"id": "performance", "number": "6", "title": "Performance and "
                                                   "generalization"}  # fmt: skip
    no_signoff = dict(evidence, signoff=[])
    assert next(x for x in build_view(no_signoff)["sections"] if x["id"] == "signoff")["blocks"][0]["type"] == "text"


def test_bad_evidence_is_a_schema_error(evidence):
    bad = copy.deepcopy(evidence)
    bad["sections"][1]["blocks"].append({"type": "video", "src": "x"})
    with pytest.raises(SchemaError, match="Unknown block type 'video'"):
        build_view(bad)
    bad = copy.deepcopy(evidence)
    bad["sections"][1]["blocks"].append(s.findings_block(["no.such.finding"]))
    with pytest.raises(SchemaError, match=r"no\.such\.finding"):
        build_view(bad)


def _governed(evidence):
    """The sample evidence as schema 1.1 writes it: findings with severity and owner, the summary
    an index of the flagged ones; ``performance.gap`` left out of every findings table."""
    ev = copy.deepcopy(evidence)
    for f in ev["findings"]:
        f["severity"], f["owner"] = ("high" if f["section"] == "fairness" else "low"), "Credit Risk"
    flagged = [f["id"] for f in ev["findings"] if f["status"] in ("fail", "warn")] + ["performance.gap"]
    for sec in ev["sections"]:
        for b in sec["blocks"]:
            if b["type"] == "findings":
                b["ids"] = [i for i in b["ids"] if i != "performance.gap"]
        if sec["id"] == "summary":
            sec["blocks"] = [b for b in sec["blocks"] if b["type"] != "findings"] + [s.finding_index(flagged)]
    return ev, flagged


def test_each_finding_is_anchored_once_and_the_index_points_at_it(evidence):
    ev, flagged = _governed(evidence)
    view = build_view(ev)
    rows = [r for b in _blocks(view, "findings") for r in b["rows"]]
    anchors = [r["anchor"] for r in rows if r["anchor"]]
    assert len(anchors) == len(set(anchors)) == len({r["id"] for r in rows})  # one per finding given in full
    by_anchor = {r["anchor"]: r for r in rows if r["anchor"]}
    (index,) = _blocks(view, "finding_index")
    assert [r["id"] for r in index["rows"]] == flagged
    numbers = {sec["id"]: sec["number"] for sec in view["sections"]}
    for r in index["rows"]:
        assert r["severity_label"] in ("High", "Low") and r["owner"] == "Credit Risk"
        assert (r["section_id"], r["section_number"]) == (r["section"], numbers[r["section"]])
        if r["id"] == "performance.gap":  # given in no table: the index points at its section
            assert r["target"] is None
        else:
            assert by_anchor[r["target"]]["id"] == r["id"]


def test_old_evidence_shows_findings_twice_but_anchors_the_first(evidence):
    """1.0 evidence (the sample) lists every finding in the summary and in its section: the first
    row carries the anchor, and the missing severity and owner are dashes."""
    view = build_view(evidence)
    rows = [r for b in _blocks(view, "findings") for r in b["rows"]]
    first = {}
    for r in rows:
        first.setdefault(r["id"], r)
        assert (r["severity_label"], r["owner"]) == (DASH, DASH)
    assert all((r["anchor"] is not None) == (first[r["id"]] is r) for r in rows)
    assert len(rows) > len(first)


def test_finding_anchors_are_distinct_even_when_ids_differ_only_in_punctuation(evidence):
    ev = copy.deepcopy(evidence)
    twin = dict(ev["findings"][0], id=ev["findings"][0]["id"] + "&")
    clash = dict(ev["findings"][0], id=ev["findings"][0]["id"] + "-")  # both made safe as "...-"
    ev["findings"] += [twin, clash]
    ev["sections"][2]["blocks"].append(s.findings_block([twin["id"], clash["id"]]))
    rows = [r for b in _blocks(build_view(ev), "findings") for r in b["rows"] if r["anchor"]]
    assert len({r["anchor"] for r in rows}) == len(rows)


HOSTILE_WORD = "<b>*x*</b> #set $y$"


def _with_highlight(evidence, values=(0.5, None, -0.05, None, -1.0, None, 0.26)):
    out = copy.deepcopy(evidence)
    tokens = ["python", " and ", "excel", ", ", HOSTILE_WORD, " ", "sql"]
    block = s.highlighted_text("doc_1", "A document", tokens, list(values), scale=1.0, legend="blue: up")
    out["sections"][1]["blocks"].append(block)
    return out, block


def test_highlighted_text_becomes_coloured_pieces_with_a_legend(evidence):
    from explain.report._view import HIGHLIGHT_COLORS

    extended, block = _with_highlight(evidence)
    view = build_view(extended)
    shown = next(b for b in _blocks(view, "highlighted_text") if b["id"] == "doc_1")
    assert "".join(p["text"] for p in shown["pieces"]) == "".join(block["tokens"])
    # by hand: four steps of |value| / scale on each side, 0 for the text between words
    assert [p["level"] for p in shown["pieces"]] == [2, 0, -1, 0, -4, 0, 2]
    assert [p["color"] for p in shown["pieces"]] == [HIGHLIGHT_COLORS.get(lv, "") for lv in (2, 0, -1, 0, -4, 0, 2)]
    assert [p["value"] for p in shown["pieces"]] == ["0.5", "", "-0.05", "", "-1", "", "0.26"]
    assert [x["level"] for x in shown["legend"]] == [-4, -3, -2, -1, 1, 2, 3, 4]
    assert shown["legend"][4]["label"] == "up to +0.25" and shown["legend"][7]["label"] == "+0.75 to +1"
    assert shown["legend_text"] == "blue: up"
    # numbered as a figure after the sample's charts, whose SVG files keep their names
    charts = _blocks(view, "chart")
    before = sum(1 for sec in extended["sections"][:2] for b in sec["blocks"] if b["type"] == "chart")
    assert shown["label"] == f"Figure {before + 1}"
    later = [c["label"] for sec in view["sections"][2:] for c in sec["blocks"] if c["type"] == "chart"]
    assert later == [f"Figure {before + 2 + i}" for i in range(len(later))]
    assert [c["file"] for c in charts] == [c["file"] for c in _blocks(build_view(evidence), "chart")]
    assert evidence == sample_evidence()  # the evidence is left alone


def test_highlight_levels_by_hand():
    from explain.report._view import highlight_level

    rng = __import__("numpy").random.default_rng(0)
    for v in rng.normal(0, 1, 200):
        expected = 0 if v == 0 else int((1 if v > 0 else -1) * min(4, max(1, -(-abs(v) * 4 // 2.0))))
        assert highlight_level(float(v), 2.0) == expected
    assert highlight_level(None, 1.0) == 0 and highlight_level(0.3, 0.0) == 0
