"""verify_pdf: a good report verifies; each kind of tampering is caught by the check meant for it."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from explain.report._charts import chart_svgs
from explain.report._evidence import canonical_json, sha256_hex
from explain.report._view import build_view

from ._sample import TIMESTAMP, sample_evidence

pytest.importorskip("typst")
pikepdf = pytest.importorskip("pikepdf")
pypdf = pytest.importorskip("pypdf")

from explain.report import _pdf  # noqa: E402  (after the optional imports are known)
from explain.report._verify import VerifyResult, verify_pdf  # noqa: E402


@pytest.fixture(scope="module")
def evidence():
    return sample_evidence()


@pytest.fixture(scope="module")
def good(evidence, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("verify") / "good.pdf"
    _pdf.render_pdf(evidence, path, timestamp=TIMESTAMP)
    return path


def _copy(good: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(good, tmp_path / "copy.pdf"))


def _status(result: VerifyResult) -> dict[str, bool | None]:
    return {c.name: c.passed for c in result.checks}


def _detail(result: VerifyResult, name: str) -> str:
    return next(c.detail for c in result.checks if c.name == name)


def _replace_attachment(path: Path, data: bytes) -> None:
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        spec = pdf.Root.AF[0]
        spec.EF.F.write(data)
        pdf.save(path)


def test_a_good_report_verifies(good, evidence):
    result = verify_pdf(good)
    assert result.ok, result.checks
    assert _status(result) == dict.fromkeys(
        ["opens", "attachment", "canonical", "cover_hash", "metadata_hash", "rerender"], True
    )
    assert result.evidence == json.loads(canonical_json(evidence))
    assert result.evidence_sha256 == sha256_hex(canonical_json(evidence))
    assert "identical bytes" in _detail(result, "rerender")
    assert result.failed() == []
    name, passed, detail = result.checks[0]  # a check is a (name, passed, detail) tuple
    assert (name, passed, detail) == ("opens", True, "10 pages")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.ok = False  # type: ignore[misc]


def test_an_edited_attachment_no_longer_matches_the_cover(good, tmp_path, evidence):
    path = _copy(good, tmp_path)
    edited = json.loads(canonical_json(evidence))
    assert edited["findings"][5]["id"] == "fairness.impact_ratio.sex"
    edited["findings"][5]["observed"] = 0.82  # the failing impact ratio, quietly improved
    _replace_attachment(path, canonical_json(edited))
    result = verify_pdf(path)
    assert not result.ok
    status = _status(result)
    assert status["attachment"] and status["canonical"]
    assert status["cover_hash"] is False and status["metadata_hash"] is False and status["rerender"] is False
    assert f"the attached evidence hashes to {sha256_hex(canonical_json(edited))}" in _detail(result, "cover_hash")
    assert "differs from the attached evidence" in _detail(result, "rerender")


def test_a_re_encoded_attachment_is_not_canonical(good, tmp_path, evidence):
    path = _copy(good, tmp_path)
    _replace_attachment(path, json.dumps(json.loads(canonical_json(evidence)), indent=2).encode())
    result = verify_pdf(path)
    assert _status(result)["canonical"] is False and not result.ok
    assert "not canonical" in _detail(result, "canonical")
    assert _status(result)["rerender"] is None  # nothing canonical to render


def test_an_edited_visible_number_is_caught_by_rendering_again(good, tmp_path, evidence, monkeypatch):
    real = _pdf.build_view

    def tampered(ev):
        view = real(ev)
        table = next(b for s in view["sections"] for b in s["blocks"] if b.get("id") == "fairness.groups")
        table["rows"][0][3] = "0.92"  # the impact ratio shown on the page; the attachment still says 0.72
        return view

    path = tmp_path / "tampered.pdf"
    with monkeypatch.context() as patch:
        patch.setattr(_pdf, "build_view", tampered)
        _pdf.render_pdf(evidence, path, timestamp=TIMESTAMP)
    result = verify_pdf(path)
    status = _status(result)
    assert not result.ok
    assert status["attachment"] and status["canonical"] and status["cover_hash"] and status["metadata_hash"]
    assert status["rerender"] is False
    detail = _detail(result, "rerender")
    assert "do not show the attached evidence" in detail
    page = int(detail.split("page(s) ")[1].split(" ")[0])
    assert "0.92" in pypdf.PdfReader(path).pages[page - 1].extract_text()


def test_a_swapped_cover_hash_is_caught(good, tmp_path, evidence, monkeypatch):
    other = sha256_hex(b"another evidence document")
    real = _pdf._inputs
    path = tmp_path / "swapped.pdf"
    with monkeypatch.context() as patch:
        patch.setattr(_pdf, "_inputs", lambda data: {**real(data), "evidence-sha256": other})
        _pdf.render_pdf(evidence, path, timestamp=TIMESTAMP)
    result = verify_pdf(path)
    status = _status(result)
    assert not result.ok and status["attachment"] and status["canonical"]
    assert status["cover_hash"] is False
    assert _detail(result, "cover_hash").startswith(f"cover shows {other}, the attached evidence hashes to ")
    assert status["rerender"] is False


def test_another_generator_skips_rendering_again_with_the_reason(good, monkeypatch):
    monkeypatch.setattr(_pdf, "generator", lambda: "explain-9.9.9+typst-9.9.9")
    result = verify_pdf(good)
    assert result.ok
    assert _status(result)["rerender"] is None
    detail = _detail(result, "rerender")
    assert detail.startswith("skipped: the file was written by explain-") and "this is explain-9.9.9" in detail


def test_a_missing_attachment_fails_and_skips_the_rest(good, tmp_path):
    path = _copy(good, tmp_path)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        del pdf.attachments["evidence.json"]
        pdf.save(path)
    result = verify_pdf(path)
    status = _status(result)
    assert (status["opens"], status["attachment"]) == (True, False)
    assert [status[n] for n in ("canonical", "cover_hash", "metadata_hash", "rerender")] == [None] * 4
    assert "no attached file named evidence.json" in _detail(result, "attachment")
    assert result.evidence is None and not result.ok


def test_not_a_pdf(tmp_path):
    path = tmp_path / "x.pdf"
    path.write_bytes(b"%PDF-1.7\nnot really")
    result = verify_pdf(path)
    assert not result.ok and _status(result)["opens"] is False
    assert len(result.checks) == 6


def test_floats_beyond_the_canonical_precision_still_verify(evidence, tmp_path, monkeypatch):
    # Canonical JSON keeps 10 significant digits. The PDF must show and draw the attached, rounded
    # values: charts drawn from the caller's floats can differ from those drawn from the attachment.
    ev = json.loads(canonical_json(evidence))
    chart = next(b for sec in ev["sections"] for b in sec["blocks"] if b.get("id") == "fairness.ratios")
    chart["chart"]["values"][:3] = [0.9560342718892494, 0.9478274870593494, 0.05655136772680869]
    attached = json.loads(canonical_json(ev))
    assert chart_svgs(ev, build_view(ev)) != chart_svgs(attached, build_view(attached))  # beyond the precision
    drawn: dict[str, bytes] = {}
    real = _pdf._compile
    monkeypatch.setattr(
        _pdf, "_compile", lambda data, view, svgs, stamp: drawn.update(svgs) or real(data, view, svgs, stamp)
    )
    path = tmp_path / "floats.pdf"
    _pdf.render_pdf(ev, path, timestamp=TIMESTAMP)
    assert drawn == chart_svgs(attached, build_view(attached))
    monkeypatch.undo()
    result = verify_pdf(path)
    assert result.ok and _status(result)["rerender"] is True, result.checks
