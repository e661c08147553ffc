"""audit(..., previous=...): the change log against an earlier report.

Every finding of either report by id (new / resolved / status changed / unchanged) against a
hand-made diff of the two evidence documents; a changed policy threshold as a status change;
previous from a file and from an AuditReport; damaged and hostile files; finding ids stable
between runs; the PDF with both new sections, read back and verified.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import explain as ex
from explain.errors import InputError, SchemaError
from explain.report._changelog import compare_findings

FAST = {"explain_rows": 60, "n_bootstrap": 40, "stability_runs": 2}
STAMP, LATER = "2026-01-02T03:04:05Z", "2026-07-01T00:00:00Z"
FEATURES = ["income", "debt", "history"]


def _data(n: int = 1200, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["f", "m"], n, p=[0.45, 0.55])
    band = rng.choice(["<30", "30-50", ">50"], n)
    X = pd.DataFrame(
        {"income": rng.normal(0, 1, n) + 0.5 * (sex == "m"), "debt": rng.uniform(0, 1, n),
         "history": rng.integers(0, 300, n).astype(float)}
    )  # fmt: skip
    logit = 1.2 * X["income"].to_numpy() - 2.0 * X["debt"].to_numpy() + X["history"].to_numpy() / 150
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    X["sex"], X["age_band"] = sex, band
    return X, y


@pytest.fixture(scope="module")
def case() -> dict:
    X, y = _data()
    X_train, X_test, y_train, y_test = X[:700], X[700:].reset_index(drop=True), y[:700], y[700:]
    model = LogisticRegression(max_iter=500).fit(X_train[FEATURES], y_train)
    args = (model, X_train, y_train, X_test, y_test)
    old = ex.audit(*args, sensitive_features=["sex", "age_band"], policy={**FAST, "min_test_score": 0.5},
                   generated_at=STAMP)  # fmt: skip
    return {"args": args, "old": old, "model": model, "X_train": X_train, "y_train": y_train}


def _audit(case: dict, **kw) -> ex.AuditReport:
    kw.setdefault("sensitive_features", ["sex", "age_band"])
    kw.setdefault("policy", {**FAST, "min_test_score": 0.5})
    return ex.audit(*case["args"], generated_at=LATER, **kw)


def test_compare_findings_by_hand() -> None:
    before = [
        {"id": "a", "title": "A", "status": "warn", "observed": 0.7},
        {"id": "b", "title": "B", "status": "pass", "observed": 2},
        {"id": "d", "title": "D", "status": "pass", "observed": True},  # not a number: no value
    ]
    after = [
        {"id": "d", "title": "D", "status": "pass", "observed": 0.5},
        {"id": "a", "title": "A", "status": "pass", "observed": 0.9},
        {"id": "c", "title": "C", "status": "fail", "observed": None},
    ]
    rows = {r["id"]: r for r in compare_findings(before, after)}
    assert [r["id"] for r in compare_findings(before, after)] == ["a", "c", "b", "d"]
    assert rows["a"]["change"] == "status changed" and rows["a"]["difference"] == pytest.approx(0.2)
    assert rows["c"]["change"] == "new" and rows["c"]["status_before"] is None
    assert rows["b"]["change"] == "resolved" and rows["b"]["observed_after"] is None
    assert rows["d"]["change"] == "unchanged" and rows["d"]["observed_before"] is None


def test_a_changed_threshold_is_a_status_change_and_a_policy_change(case: dict) -> None:
    report = _audit(case, policy={**FAST, "min_test_score": 0.99}, previous=case["old"])
    log = report.table("change_log", "change_log_findings").set_index("id")
    assert log.loc["performance.test_score", "change"] == "status changed"
    assert log.loc["performance.test_score", ["status_before", "status_after"]].tolist() == ["pass", "fail"]
    inputs = report.table("change_log", "change_log_inputs").set_index("item")
    assert inputs.loc["Policy: min_test_score", ["before", "after", "changed"]].tolist() == ["0.5", "0.99", True]
    hashes = report.table("change_log", "change_log_fingerprints").set_index("item")
    assert hashes.loc["Configuration (policy, card, arguments)", "changed"]
    assert not hashes.loc["Model", "changed"] and not hashes.loc["Data: test", "changed"]
    assert hashes.loc["Model", "after"] == report.evidence["provenance"]["model"]["sha256"]
    found = report.findings.set_index("id").loc["change_log.status_changes"]
    assert found["status"] == "info" and found["observed"] == (log["change"] == "status changed").sum() >= 1


def test_every_finding_of_both_reports_against_a_hand_diff(case: dict) -> None:
    report = _audit(case, sensitive_features=["sex"], previous=case["old"])  # age_band dropped
    old = {f["id"]: f for f in case["old"].evidence["findings"]}
    new = {f["id"]: f for f in report.evidence["findings"] if f["section"] != "change_log"}
    log = report.table("change_log", "change_log_findings").set_index("id")
    assert set(log.index) == set(old) | set(new)
    for fid, row in log.iterrows():
        a, b = old.get(fid), new.get(fid)
        expected = "new" if a is None else "resolved" if b is None else (
            "unchanged" if a["status"] == b["status"] else "status changed")  # fmt: skip
        assert row["change"] == expected, fid
        if a and b and isinstance(a["observed"], (int, float)) and isinstance(b["observed"], (int, float)):
            assert row["difference"] == pytest.approx(b["observed"] - a["observed"])
    assert log.loc["fairness.impact_ratio.age_band", "change"] == "resolved"


def test_the_same_audit_again_changes_nothing_but_the_date(case: dict) -> None:
    report = ex.audit(*case["args"], sensitive_features=["sex", "age_band"], policy={**FAST, "min_test_score": 0.5},
                      generated_at=STAMP, previous=case["old"])  # fmt: skip
    log = report.table("change_log", "change_log_findings")
    assert set(log["change"]) == {"unchanged"} and (log["difference"].fillna(0) == 0).all()
    for name in ("change_log_inputs", "change_log_fingerprints"):
        inputs = report.table("change_log", name)
        assert not inputs["changed"].any(), inputs[inputs["changed"]]
    prov = report.evidence["provenance"]
    assert prov["previous"] == {
        "id": case["old"].evidence["report"]["id"],
        "generated_at": STAMP,
        "evidence_sha256": case["old"].evidence_sha256,
        "checked": "AuditReport object, not verified: it may have been read from an edited JSON file; a JSON file "
        "can be edited; pass the report's PDF (or compare the SHA-256 with the one recorded when it was made)",
    }
    assert f"previous=<AuditReport {case['old'].evidence['report']['id']}>" in prov["call"]
    # the previous report keys the id, not the configuration hash
    assert prov["config_sha256"] == case["old"].evidence["provenance"]["config_sha256"]
    assert report.evidence["report"]["id"] != case["old"].evidence["report"]["id"]


def test_previous_from_a_file_equals_previous_as_a_report(case: dict, tmp_path) -> None:
    path = case["old"].to_json(tmp_path / "old.json")
    from_file = _audit(case, previous=path)
    from_report = _audit(case, previous=case["old"])
    from_str = _audit(case, previous=str(path))
    assert from_file.evidence_sha256 == from_str.evidence_sha256
    # the same change log; only how the previous report was checked differs (a file, an object)
    for name in ("change_log_findings", "change_log_inputs", "change_log_fingerprints"):
        assert from_file.table("change_log", name).equals(from_report.table("change_log", name))
    checked = from_file.evidence["provenance"]["previous"]["checked"]
    assert checked.startswith("evidence JSON, not verified: a JSON file can be edited; pass the report's PDF")
    assert from_report.evidence["provenance"]["previous"]["checked"].startswith("AuditReport object, not verified")
    facts = from_file.section("change_log")["blocks"][0]["rows"]
    assert {r["label"]: r["value"] for r in facts}["Previous evidence SHA-256"] == case["old"].evidence_sha256


@pytest.mark.parametrize(
    "content",
    [b"\x00\x01garbage", b"[1, 2, 3]", b'{"schema": "explain.audit", "schema_version": "1.0"}', b"{" * 5000,
     b'{"a": NaN}'],
)  # fmt: skip
def test_a_garbage_previous_file_is_a_schema_error(case: dict, tmp_path, content: bytes) -> None:
    path = tmp_path / "previous.json"
    path.write_bytes(content)
    with pytest.raises(SchemaError):
        _audit(case, previous=path)


def test_a_hand_edited_or_missing_previous_file_is_a_schema_error(case: dict, tmp_path) -> None:
    ev = case["old"].evidence
    ev["findings"][0]["status"] = "excellent"
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(ev))
    with pytest.raises(SchemaError, match="status"):
        _audit(case, previous=path)
    with pytest.raises(SchemaError, match="no file"):
        _audit(case, previous=tmp_path / "none.json")
    with pytest.raises(InputError, match="AuditReport"):
        _audit(case, previous=42)


def test_hostile_values_of_a_previous_report_stay_short_plain_text(case: dict, tmp_path) -> None:
    ev = case["old"].evidence
    markup = "#set text(red) <script>alert(1)</script> $x$"
    ev["provenance"]["python"] = {"nested": [markup] * 100}  # not checked by the reader: read as text, cut
    ev["provenance"]["config_sha256"] = markup * 50
    ev["findings"][0]["title"] = markup
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(ev))
    report = _audit(case, previous=path)
    inputs = report.table("change_log", "change_log_inputs").set_index("item")
    hashes = report.table("change_log", "change_log_fingerprints").set_index("item")
    assert all(len(v) <= 200 for v in [*inputs["before"].dropna(), *hashes["before"].dropna()])
    assert inputs.loc["Python", "before"].startswith('{"nested"')
    assert hashes.loc["Configuration (policy, card, arguments)", "before"].startswith("#set text(red)")
    again = ex.AuditReport.from_json(report.to_json(tmp_path / "new.json"))  # the new report is valid evidence
    assert again.evidence_sha256 == report.evidence_sha256


def test_finding_ids_are_stable_between_runs(case: dict) -> None:
    ids = [f["id"] for f in case["old"].evidence["findings"]]
    assert len(ids) == len(set(ids))  # one finding per id: the change log matches them
    X_train, y_train = case["X_train"], case["y_train"]
    model, _, _, X_test, y_test = case["args"]
    other = ex.audit(model, X_train, y_train, X_test, y_test, sensitive_features=["age_band", "sex"],
                     policy=FAST, random_state=5, generated_at=LATER)  # fmt: skip
    # the intersection is named in the order the attributes were given; every other id is the same
    swap = {"sex & age_band": "age_band & sex"}
    renamed = {i.replace("sex & age_band", swap["sex & age_band"]) for i in ids}
    assert {f["id"] for f in other.evidence["findings"]} == renamed
    fairness = [i for i in ids if i.startswith("fairness.impact_ratio.")]
    assert sorted(fairness) == ["fairness.impact_ratio.age_band", "fairness.impact_ratio.sex",
                                "fairness.impact_ratio.sex & age_band"]  # fmt: skip
    # and the change log matches them: nothing new, nothing resolved
    again = ex.audit(model, X_train, y_train, X_test, y_test, sensitive_features=["age_band", "sex"], policy=FAST,
                     random_state=5, generated_at=LATER, previous=case["old"])  # fmt: skip
    log = again.table("change_log", "change_log_findings")
    assert not log["change"].isin(["new", "resolved"]).any(), log[log["change"].isin(["new", "resolved"])]
    assert "fairness.impact_ratio.age_band & sex" in set(log["id"])


def test_pdf_with_both_sections_reads_back_and_verifies(case: dict, tmp_path) -> None:
    pypdf = pytest.importorskip("pypdf")
    pytest.importorskip("typst")
    from explain.cli import main

    X_train, y_train = case["X_train"], case["y_train"]
    champion = LogisticRegression().fit(X_train[["debt", "history"]], y_train)
    report = _audit(case, previous=case["old"], champion=champion, champion_name="scorecard 1.3")
    pdf = report.to_pdf(tmp_path / "audit.pdf")
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages)
    flat = " ".join(text.split())
    assert "Comparison with the champion" in flat and "Change log against the previous report" in flat
    table = report.table("champion", "champion_performance").set_index("metric")
    for label in ("ROC AUC", "Brier score", "Accuracy at the decision threshold"):
        assert label in flat
    assert f"{table.loc['ROC AUC', 'challenger']:.4g}" in flat and f"{table.loc['ROC AUC', 'champion']:.4g}" in flat
    assert "swap-in" in flat and case["old"].evidence["report"]["id"] in flat
    assert main(["verify", str(pdf)]) == 0


def test_previous_as_a_verified_pdf_and_an_altered_one_refused(case: dict, tmp_path) -> None:
    # issue 15: a consistently hand-edited evidence JSON cannot be told from a real one; the PDF can
    pytest.importorskip("typst")
    from explain.report._verify import verify_pdf

    pdf = case["old"].to_pdf(tmp_path / "old.pdf")
    assert verify_pdf(pdf).ok
    report = _audit(case, previous=pdf)
    from_json = _audit(case, previous=case["old"].to_json(tmp_path / "old.json"))
    for name in ("change_log_findings", "change_log_inputs", "change_log_fingerprints"):
        assert report.table("change_log", name).equals(from_json.table("change_log", name))
    checked = report.evidence["provenance"]["previous"]["checked"]
    assert checked == "verified PDF (consistent, unsigned)"
    assert report.evidence["provenance"]["previous"]["evidence_sha256"] == case["old"].evidence_sha256
    facts = {r["label"]: r["value"] for r in report.section("change_log")["blocks"][0]["rows"]}
    assert facts["How the previous report was checked"] == checked
    assert "(verified PDF)" in report.section("change_log")["summary"]
    json_facts = {r["label"]: r["value"] for r in from_json.section("change_log")["blocks"][0]["rows"]}
    assert json_facts["How the previous report was checked"].startswith("evidence JSON, not verified")
    # one byte of a page changed: refused with the verdict of explain verify
    data = bytearray(pdf.read_bytes())
    at = data.index(b"/MediaBox")
    data[at + 1 : at + 9] = b"Mediabox"
    altered = tmp_path / "altered.pdf"
    altered.write_bytes(bytes(data))
    verdict = verify_pdf(altered)
    assert not verdict.ok
    with pytest.raises(InputError, match=f"does not verify \\({verdict.verdict}"):
        _audit(case, previous=altered)
