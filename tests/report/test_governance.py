"""Governance fields of the audit report: the policy's favourable class, and each finding's
severity and remediation owner (issue 15)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pypdf
import pytest
from sklearn.linear_model import LogisticRegression

from explain.errors import InputError, SchemaError
from explain.report import AuditReport, ModelCard, Policy, audit
from explain.report._governance import (
    SECTION_SEVERITY,
    UNASSIGNED,
    default_severity,
    match_key,
    rate_findings,
)
from explain.report._verify import verify_pdf
from explain.report._view import DASH, build_view

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# --------------------------------------------------------------------------- Policy.favourable_class


def test_favourable_class_defaults_to_none_and_stays_out_of_the_evidence() -> None:
    assert Policy().favourable_class is None
    assert "favourable_class" not in Policy().to_dict()  # evidence of older audits keeps its hash


@pytest.mark.parametrize("label", ["approved", 2, 0])
def test_favourable_class_round_trips_through_dict_json_and_toml(label: object, tmp_path: Path) -> None:
    policy = Policy(favourable_class=label)  # type: ignore[arg-type]
    assert Policy.from_dict(policy.to_dict()) == policy
    as_json = tmp_path / "policy.json"
    as_json.write_text(json.dumps(policy.to_dict()), encoding="utf-8")
    assert Policy.from_file(as_json).favourable_class == label
    as_toml = tmp_path / "policy.toml"
    as_toml.write_text(f"favourable_class = {json.dumps(label)}\n", encoding="utf-8")
    assert Policy.from_file(as_toml).favourable_class == label
    assert type(Policy.from_file(as_toml).favourable_class) is type(label)


def test_favourable_class_numpy_labels_become_plain_values() -> None:
    policy = Policy(favourable_class=np.int64(3))  # type: ignore[arg-type]
    assert policy.favourable_class == 3 and type(policy.favourable_class) is int
    assert type(Policy(favourable_class=np.str_("yes")).favourable_class) is str  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [True, 1.5, "", "  ", ["approved"], {"a": 1}])
def test_favourable_class_of_another_type_is_refused(bad: object) -> None:
    with pytest.raises(InputError, match=r"policy\.favourable_class"):
        Policy(favourable_class=bad)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- severity and owner: the rules


def _rate(found: list[tuple[str, str]], policy: Policy | None = None, owner: str = "") -> list[tuple[str, str]]:
    findings = [{"id": fid, "section": sec, "status": "fail"} for fid, sec in found]
    rated = rate_findings(findings, policy or Policy(), ModelCard(owner=owner))
    assert [f["id"] for f in rated] == [fid for fid, _ in found] and "severity" not in findings[0]  # not mutated
    return [(f["severity"], f["owner"]) for f in rated]


def test_defaults_follow_the_documented_table() -> None:
    found = [
        ("fairness.impact_ratio.sex", "fairness"),
        ("fairness.error_rates.sex", "fairness"),  # supplementary: a glob of the table refines the section
        ("fairness.protected_inputs", "fairness"),
        ("performance.test_score", "performance"),
        ("performance.calibration", "performance"),
        ("data.missing", "data"),
        ("data.leakage", "data"),  # an exact id of the table beats its section
        ("intended_use.card", "intended_use"),
        ("robustness.noise", "robustness"),
        ("global.additivity", "global_explanations"),
        ("local.codes", "local_explanations"),
        ("local.reason_stability", "local_explanations"),
        ("drift.features", "drift"),
        ("brand_new.check", "brand_new"),  # a section the table does not know: medium
    ]
    expected = ["high", "medium", "high", "high", "medium", "low", "high", "low", "medium", "medium", "high",
                "medium", "medium", "medium"]  # fmt: skip
    assert [s for s, _ in _rate(found)] == expected
    assert {o for _, o in _rate(found)} == {UNASSIGNED}
    assert {o for _, o in _rate(found, owner="Retail Credit Risk")} == {"Retail Credit Risk"}


def test_the_defaults_cover_every_finding_of_a_real_audit(audited) -> None:
    report, _ = audited
    for f in report.evidence["findings"]:
        assert f["severity"] == default_severity(f["id"], f["section"]) or f["section"] in OVERRIDDEN, f["id"]
        assert f["section"] in SECTION_SEVERITY, f["section"]  # no finding falls back to the unknown-section default


def test_the_most_specific_key_wins_exact_then_glob_inside_the_section_then_section_then_any_glob() -> None:
    sid = "fairness.impact_ratio.sex"
    keys = {sid: "low", "fairness": "medium", "fairness.*": "high", "fairness.impact_ratio.*": "high"}
    found = [(sid, "fairness"), ("fairness.impact_ratio.age", "fairness"), ("drift.features", "drift")]
    assert _rate(found, Policy(severity=keys, owners={sid: "A", "fairness": "B", "*": "C"})) == [
        ("low", "A"),  # the exact id
        ("high", "B"),  # a glob inside the section beats the section; '*' lies in no section: the section wins
        ("medium", "C"),  # no key for drift but the catch-all glob: its severity stays the default
    ]
    globs = {"fairness.*": "low", "fairness.impact_ratio.*": "high", "*": "medium"}
    assert _rate(found, Policy(severity=globs)) == [("high", UNASSIGNED), ("high", UNASSIGNED), ("medium", UNASSIGNED)]
    assert match_key(["fairness.?mpact*", "fairness.impact*"], sid, "fairness") == "fairness.impact*"  # more literal
    assert match_key(["*.sex", "fair*"], sid, "fairness") == "*.sex"  # a tie: alphabetical, not file order
    assert match_key(["fair*", "*.sex"], sid, "fairness") == "*.sex"
    assert match_key(["fairness", "fair*", "*.sex"], sid, "fairness") == "fairness"  # globs outside the section lose
    # the validator's case: a section owner and a team for the error rates
    owners = {"fairness": "Fair Lending", "fairness.error_rates.*": "Model Development"}
    rated = _rate([("fairness.error_rates.sex", "fairness"), (sid, "fairness")], Policy(owners=owners))
    assert [o for _, o in rated] == ["Model Development", "Fair Lending"]
    # global.additivity lies in global_explanations: 'global.*' is inside that section
    assert match_key(["global_explanations", "global.*"], "global.additivity", "global_explanations") == "global.*"


def test_a_key_that_matches_no_finding_is_refused_at_audit_time_naming_the_closest_ids() -> None:
    found = [
        ("fairness.impact_ratio.sex", "fairness"),
        ("fairness.error_rates.sex", "fairness"),
        ("data.missing", "data"),
    ]
    with pytest.raises(InputError, match=r"policy\.owners\['fairness\.impact_ratio\.sexx'\] matches no finding") as err:
        _rate(found, Policy(owners={"fairness.impact_ratio.sexx": "X"}))
    assert "'fairness.impact_ratio.sex'" in str(err.value)  # the closest id, by difflib
    with pytest.raises(InputError, match=r"policy\.severity\['data\.misisng'\]"):
        _rate(found, Policy(severity={"data.misisng": "high"}))
    with pytest.raises(InputError, match=r"policy\.owners\['\*\.age'\]"):
        _rate(found, Policy(owners={"*.age": "X"}))
    # a section id, and a key of a family the audit has no finding of (no champion given), are not checked
    ok = Policy(severity={"drift": "high", "champion.*": "low"}, owners={"performance": "Y", "fairness.*": "Z"})
    assert [o for _, o in _rate(found, ok)] == ["Z", "Z", UNASSIGNED]


def test_the_change_logs_findings_rated_apart_do_not_refuse_the_keys_of_the_others() -> None:
    """audit() rates the change log's findings after the others: a key that matched those is not
    refused for matching none of the change log's."""
    policy = Policy(owners={"*.sex": "Fair Lending", "fairness.*": "Z", "change_log.*": "Model Risk"})
    assert _rate([("change_log.status_changes", "change_log")], policy) == [("medium", "Model Risk")]
    with pytest.raises(InputError, match=r"policy\.owners\['change_log\.status_chnages'\]"):
        _rate([("change_log.status_changes", "change_log")], Policy(owners={"change_log.status_chnages": "X"}))


def test_a_typo_in_the_owners_fails_the_audit_and_names_the_finding() -> None:
    X, y = _data(n=500, seed=5)
    features = ["income", "debt", "history"]
    model = LogisticRegression(max_iter=500).fit(X[features][:350], y[:350])
    policy = {"explain_rows": 20, "n_bootstrap": 10, "owners": {"fairness.impact_ratio.sexx": "X"}}
    with pytest.raises(InputError, match=r"'fairness\.impact_ratio\.sex'"):
        audit(model, X[:350], y[:350], X[350:], y[350:], sensitive_features=["sex"], policy=policy)


def test_a_policy_override_beats_the_default_table() -> None:
    found = [("data.leakage", "data"), ("fairness.error_rates.sex", "fairness")]
    policy = Policy(severity={"data": "low", "fairness.*": "high"})
    assert [s for s, _ in _rate(found, policy)] == ["low", "high"]


@pytest.mark.parametrize(
    ("values", "match"),
    [
        ({"severity": {"drift": "critical"}}, r"policy\.severity\['drift'\] is 'critical'"),
        ({"severity": {"drift": "High"}}, r"policy\.severity\['drift'\]"),
        ({"severity": {"drift": 1}}, r"policy\.severity\['drift'\]"),
        ({"severity": "high"}, r"policy\.severity is a str"),
        ({"severity": {"fairnes.*": "high"}}, r"policy\.severity\['fairnes\.\*'\]: 'fairnes' is neither"),
        ({"owners": {"fairness": 7}}, r"policy\.owners\['fairness'\] is 7"),
        ({"owners": {"fairness": ""}}, r"policy\.owners\['fairness'\]"),
        ({"owners": {"fairness": "x" * 201}}, r"policy\.owners\['fairness'\] is 201 characters"),
        ({"owners": {3: "Risk"}}, r"policy\.owners has the key 3"),
        ({"owners": ["fairness", "Risk"]}, r"policy\.owners is a tuple"),
    ],
)
def test_bad_overrides_are_refused_naming_the_key(values: dict, match: str) -> None:
    with pytest.raises(InputError, match=match):
        Policy.from_dict(values)


def test_overrides_round_trip_and_stay_out_of_the_evidence_when_unset(tmp_path: Path) -> None:
    assert "severity" not in Policy().to_dict() and "owners" not in Policy().to_dict()
    assert Policy(severity={}).severity is None
    policy = Policy(severity={"drift": "high", "fairness.*": "low"}, owners={"data": "Data Office"})
    assert Policy.from_dict(json.loads(json.dumps(policy.to_dict()))) == policy
    path = tmp_path / "policy.toml"
    path.write_text('severity = { "drift" = "high", "fairness.*" = "low" }\n[owners]\ndata = "Data Office"\n')
    assert Policy.from_file(path) == policy


def test_the_example_policy_loads_with_its_commented_overrides(tmp_path: Path) -> None:
    """examples/policy.toml shows severity and owners as commented keys; uncommented, they load."""
    text = (EXAMPLES / "policy.toml").read_text(encoding="utf-8")
    assert Policy.from_file(EXAMPLES / "policy.toml").severity is None
    keys = re.findall(r"^# ((?:severity|owners|favourable_class) = .+)$", text, flags=re.M)
    assert len(keys) == 3
    path = tmp_path / "policy.toml"
    path.write_text(text + "\n".join(keys) + "\n", encoding="utf-8")
    policy = Policy.from_file(path)
    assert policy.severity and policy.owners and policy.favourable_class == "approved"


# --------------------------------------------------------------------------- a real audit, exported

OVERRIDDEN = ("drift",)
OWNERS = {"fairness": "Fair Lending Compliance", "fairness.error_rates.*": "Model Development"}


def _data(n: int = 1400, seed: int = 3) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["f", "m"], n)
    X = pd.DataFrame(
        {
            "income": rng.lognormal(10, 0.4, n) * np.where(sex == "m", 1.4, 1.0),
            "debt": rng.uniform(0, 1, n),
            "history": rng.integers(0, 300, n).astype(float),
        }
    )
    logit = (np.log(X["income"]) - 10) / 0.3 - 2.0 * X["debt"] + X["history"] / 150
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    X["sex"] = sex
    return X, y


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> tuple[AuditReport, Path]:
    X, y = _data()
    features = ["income", "debt", "history"]
    model = LogisticRegression(max_iter=500).fit(X[features][:800], y[:800])
    report = audit(
        model,
        X[:800],
        y[:800],
        X[800:],
        y[800:],
        sensitive_features=["sex"],
        policy={
            "explain_rows": 60,
            "n_bootstrap": 30,
            "stability_runs": 2,
            "severity": {"drift": "high"},
            "owners": OWNERS,
        },
        card={"name": "governance-lr", "owner": "Retail Credit Risk"},
        generated_at="2026-01-02T03:04:05Z",
    )
    out = tmp_path_factory.mktemp("governance")
    report.to_json(out / "evidence.json")
    report.to_html(out / "audit.html")
    report.to_pdf(out / "audit.pdf")
    return report, out


def _flat(text: str) -> str:
    """Text as a PDF extractor gives it, compared without line breaks (nor the space after a hyphen
    at a line break)."""
    return " ".join(re.sub(r"-\n\s*", "-", text).split())


def _visible_html(page: str) -> str:
    body = re.sub(r"<script\b.*?</script>", "", page, flags=re.S)  # the embedded evidence is not shown
    return _flat(html.unescape(re.sub(r"<[^>]+>", " ", body)))


def test_every_finding_has_a_severity_and_an_owner(audited) -> None:
    report, _ = audited
    findings = report.evidence["findings"]
    assert report.evidence["schema_version"] == "1.1"
    for f in findings:
        expected = "high" if f["section"] == "drift" else default_severity(f["id"], f["section"])
        assert f["severity"] == expected, f["id"]
        owner = OWNERS[match_key(OWNERS, f["id"], f["section"])] if f["section"] == "fairness" else "Retail Credit Risk"
        assert f["owner"] == owner, f["id"]
    assert {f["owner"] for f in findings if f["id"].startswith("fairness.error_rates.")} == {"Model Development"}
    assert {f["owner"] for f in findings if f["id"].startswith("fairness.impact_ratio.")} == {"Fair Lending Compliance"}


def test_each_finding_is_given_once_in_the_pdf_and_in_the_html(audited) -> None:
    report, out = audited
    pdf = _flat(" ".join(page.extract_text() for page in pypdf.PdfReader(out / "audit.pdf").pages))
    page = _visible_html((out / "audit.html").read_text(encoding="utf-8"))
    findings = report.evidence["findings"]
    assert len(findings) >= 12 and {"fail", "warn"} & {f["status"] for f in findings}
    for f in findings:
        message = _flat(f["message"])
        assert message, f["id"]
        if len(message) > 20:  # a short message ("None found.") may be any other text too
            assert pdf.count(message) == 1, f["id"]
            assert page.count(message) == 1, f["id"]
        row = _flat(f"{f['title']} {f['metric']} · Owner: {f['owner']} {f['message']}")  # the finding in full
        assert pdf.count(row) == 1, f["id"]
        assert _flat(f"{f['title']} {f['metric']} Owner: {f['owner']} {f['message']}") in page, f["id"]


def _flagged(report: AuditReport) -> list[dict]:
    return [f for f in report.evidence["findings"] if f["status"] in ("fail", "warn")]


def test_the_summary_indexes_what_needs_attention_and_limitations_only_count_it(audited) -> None:
    report, _ = audited
    summary = report.section("summary")
    (index,) = [b for b in summary["blocks"] if b["type"] == "finding_index"]
    flagged = _flagged(report)
    rank = {"fail": 0, "warn": 1, "high": 0, "medium": 1, "low": 2}
    order = sorted(flagged, key=lambda f: (rank[f["status"]], rank[f["severity"]]))
    assert index["ids"] == [f["id"] for f in order]
    assert not [b for b in summary["blocks"] if b["type"] == "findings"]  # no finding in full here
    limitations = report.section("limitations")
    text = json.dumps(limitations)
    assert f"{len(flagged)} finding(s) need attention" in text
    for f in report.evidence["findings"]:
        assert f["message"] not in text
    shown = [i for s in report.evidence["sections"] for b in s["blocks"] if b["type"] == "findings" for i in b["ids"]]
    assert sorted(shown) == sorted(f["id"] for f in report.evidence["findings"])  # each in one section's table


def test_summary_links_in_the_pdf_point_to_the_findings(audited) -> None:
    report, out = audited
    reader = pypdf.PdfReader(out / "audit.pdf")
    numbers = {page.indirect_reference.idnum: i for i, page in enumerate(reader.pages)}
    texts = [_flat(page.extract_text()) for page in reader.pages]
    start = next(i for i, t in enumerate(texts) if "Executive summary" in t and "Given in" in t)
    end = next(i for i, t in enumerate(texts) if i >= start and "Scope: every section applies" in t)
    flagged = {f["title"]: f for f in _flagged(report)}
    reached = set()
    links = [a.get_object() for page in reader.pages[start : end + 1] for a in page.get("/Annots") or []]
    assert len(links) == 2 * len(flagged)  # the title and the section of each
    for annot in links:
        annot = annot.get_object()
        if annot.get("/Subtype") != "/Link":
            continue
        dest = annot.get("/Dest")
        if dest is None:
            dest = annot["/A"]["/D"]
        if isinstance(dest, str):  # a named destination (the contents links the sections by name)
            dest = reader.named_destinations[dest]
            target = reader.get_destination_page_number(dest)
        else:
            target = numbers[dest[0].idnum]
        reached.add(target)
        assert 0 <= target < len(reader.pages)
    # every flagged finding is given in full on a page a summary link reaches, and nowhere else
    for f in flagged.values():
        holding = [i for i, t in enumerate(texts) if _flat(f["message"]) in t]
        assert len(holding) == 1 and holding[0] in reached, f["id"]


def test_summary_links_in_the_html_point_to_the_findings(audited) -> None:
    report, out = audited
    page = (out / "audit.html").read_text(encoding="utf-8")
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    index = page[page.index('<table class="finding-index">') :]
    index = index[: index.index("</table>")]
    links = re.findall(r'href="#([^"]+)"', index)
    flagged = _flagged(report)
    assert len(links) == 2 * len(flagged)  # the title and the section of each
    for target in links:
        assert target in ids
        row = re.search(rf'<tr id="{re.escape(target)}" data-finding="([^"]+)"', page)
        assert row, target
    by_id = {f["id"]: f for f in flagged}
    for f in flagged:
        row = re.search(rf'<tr id="([^"]+)" data-finding="{re.escape(html.escape(f["id"]))}"', page)
        assert row and f'href="#{row.group(1)}"' in index
        assert html.escape(by_id[f["id"]]["owner"]) in index


def test_the_dataframe_and_the_exports_show_severity_and_owner(audited) -> None:
    report, out = audited
    pdf = _flat(" ".join(page.extract_text() for page in pypdf.PdfReader(out / "audit.pdf").pages))
    page = _visible_html((out / "audit.html").read_text(encoding="utf-8"))
    view = build_view(report.evidence)
    rows = [r for s in view["sections"] for b in s["blocks"] if b["type"] == "findings" for r in b["rows"]]
    assert len(rows) == len(report.evidence["findings"])
    for row in rows:  # a row reads: ... interval, status, severity; the owner under the title
        assert f"{row['ci']} {row['status_label']} {row['severity_label']}" in pdf, row["id"]
        assert f"{row['ci']} {row['status_label']} {row['severity_label']}" in page, row["id"]
        assert f"{row['metric']} · Owner: {row['owner']}" in pdf, row["id"]
    frame = report.findings
    assert frame.set_index("id")[["severity", "owner"]].to_dict("index") == {
        f["id"]: {"severity": f["severity"], "owner": f["owner"]} for f in report.evidence["findings"]
    }


def test_the_demo_like_pdf_verifies(audited) -> None:
    _, out = audited
    result = verify_pdf(out / "audit.pdf")
    assert result.verdict == "verified" and result.exit_code == 0, result.checks


# --------------------------------------------------------------------------- older evidence (schema 1.0)


def test_evidence_without_severity_and_owner_still_loads_and_renders(audited, tmp_path: Path) -> None:
    report, _ = audited
    old = report.evidence
    old["schema_version"] = "1.0"
    for f in old["findings"]:
        del f["severity"], f["owner"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old), encoding="utf-8")
    loaded = AuditReport.from_json(path)
    view = build_view(loaded.evidence)
    rows = [r for s in view["sections"] for b in s["blocks"] if b["type"] in ("findings", "finding_index")
            for r in b["rows"]]  # fmt: skip
    assert rows and {(r["severity_label"], r["owner"]) for r in rows} == {(DASH, DASH)}
    page = _visible_html(loaded.to_html(tmp_path / "old.html").read_text(encoding="utf-8"))
    assert f"Owner: {DASH}" in page
    loaded.to_pdf(tmp_path / "old.pdf")
    pdf = _flat(" ".join(p.extract_text() for p in pypdf.PdfReader(tmp_path / "old.pdf").pages))
    assert f"Owner: {DASH}" in pdf and f"FAIL {DASH}" in pdf


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda f: f.update(severity="critical"), r"findings\[0\]\.severity"),
        (lambda f: f.update(severity=3), r"findings\[0\]\.severity"),
        (lambda f: f.update(owner=5), r"findings\[0\]\.owner should be text"),
        (lambda f: f.update(owner=""), r"findings\[0\]\.owner"),
        (lambda f: f.update(owner="x" * 201), r"findings\[0\]\.owner"),
    ],
)
def test_bad_governance_fields_are_refused(audited, tmp_path: Path, edit, match: str) -> None:
    report, _ = audited
    bad = report.evidence
    edit(bad["findings"][0])
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(SchemaError, match=match):
        AuditReport.from_json(path)


def test_a_finding_index_naming_no_finding_is_refused(audited, tmp_path: Path) -> None:
    report, _ = audited
    bad = report.evidence
    bad["sections"][1]["blocks"].append({"type": "finding_index", "ids": ["no.such.finding"]})
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(SchemaError, match="not in the evidence"):
        AuditReport.from_json(path)


def _overflow(path: Path, margin: float = 62.36) -> list[tuple[int, str]]:
    """The characters of each page set right of the right margin (2.2 cm), read with pdfium."""
    pdfium = pytest.importorskip("pypdfium2")
    out = []
    pdf = pdfium.PdfDocument(str(path))
    for i in range(len(pdf)):
        page = pdf[i]
        text = page.get_textpage()
        right = page.get_width() - margin + 1.5
        over = "".join(text.get_text_range(k, 1) for k in range(text.count_chars()) if text.get_charbox(k)[2] > right)
        if over.strip():
            out.append((i + 1, over))
    pdf.close()
    return out


def test_a_long_dotted_name_wraps_inside_the_page(audited, tmp_path: Path) -> None:
    """A class path longer than a line (the design section's algorithm) breaks after a dot
    instead of running off the page; its text is unchanged."""
    report, out = audited
    assert _overflow(out / "audit.pdf") == []
    name = "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier" + ".tail" * 4
    evidence = report.evidence
    design = next(s for s in evidence["sections"] if s["id"] == "design")
    design["blocks"].insert(0, {"type": "facts", "rows": [{"label": "Algorithm", "value": name, "format": "text"}]})
    path = tmp_path / "long.pdf"
    AuditReport(evidence).to_pdf(path)
    assert _overflow(path) == []
    text = "".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    assert name in re.sub(r"\s+", "", text)
