"""The audit PDF, read back: content, archival and accessibility markers, determinism.

The sample evidence is rendered once per module (any Typst warning fails the render); the tests
read that file with pypdf, pikepdf and pypdfium2.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
import warnings
from datetime import datetime
from pathlib import Path

import pytest

from explain.errors import MissingDependencyError
from explain.report._evidence import canonical_json, sha256_hex
from explain.report._view import build_view

from ._sample import MODEL_NAME, TIMESTAMP, sample_evidence

typst = pytest.importorskip("typst")
pikepdf = pytest.importorskip("pikepdf")
pypdf = pytest.importorskip("pypdf")
pdfium = pytest.importorskip("pypdfium2")

from explain.report._pdf import generator, render_pdf  # noqa: E402  (after the optional imports are known)


@pytest.fixture(scope="module")
def evidence():
    return sample_evidence()


@pytest.fixture(scope="module")
def view(evidence):
    return build_view(evidence)


@pytest.fixture(scope="module")
def rendered(evidence, tmp_path_factory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("pdf") / "audit.pdf"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a Typst warning (e.g. a font fallback) is a bug
        digest = render_pdf(evidence, path, timestamp=TIMESTAMP)
    return path, digest  # its time is measured by benchmarks/bench_audit.py, not asserted


@pytest.fixture(scope="module")
def pages(rendered) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(rendered[0]).pages]


def test_pdf_is_well_formed_and_returns_its_hash(rendered):
    path, digest = rendered
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    with pikepdf.open(path) as pdf:
        assert pdf.check_pdf_syntax() == []


def test_every_section_heading_in_order_with_page_footers(view, pages):
    assert "\nContents\n1 Document control" in pages[2]
    text = "\n".join(pages[:2] + pages[3:])  # without the contents page, which lists them too
    positions = [text.find("\n" + s["heading"] + "\n") for s in view["sections"]]
    assert all(p > 0 for p in positions), [
        s["heading"] for s, p in zip(view["sections"], positions, strict=True) if p < 0
    ]
    assert positions == sorted(positions)
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert "Report AUD-2026-0042" in page


def test_cover(pages, view):
    cover = pages[0]
    for expected in (view["title"], MODEL_NAME, "AUD-2026-0042", "2026-01-02", "VERDICT", "FAIL"):
        assert expected in cover
    for item in view["provenance"]:
        assert item["short"] in cover and item["sha256"] not in cover
    assert f"Evidence SHA-256 {view['evidence_sha256']}" in cover


def test_tables_show_the_numbers_of_the_view(view, pages):
    text = re.sub(r"\s+", " ", " ".join(pages))
    checked = 0
    for section in view["sections"]:
        for block in section["blocks"]:
            if block["type"] == "table":
                assert f"{block['label']}. {block['caption']}" in text
                numeric = [i for i, c in enumerate(block["columns"]) if c["kind"] == "number"]
                for row in block["rows"]:
                    for i in numeric:
                        assert row[i] in text, (block["id"], row[i])
                        checked += 1
            elif block["type"] == "findings":
                for row in block["rows"]:
                    for key in ("threshold", "observed", "ci", "status_label"):
                        assert row[key] in text, (row["id"], key, row[key])
                        checked += 1
    assert checked > 150
    assert "0.72 [0.61, 0.70] FAIL" in text  # a findings row reads in order


def test_the_long_table_repeats_its_header_on_the_next_page(pages):
    holding = [i for i, page in enumerate(pages) if "A-1047" in page or "A-1000" in page]
    assert len(holding) == 2 and holding[1] == holding[0] + 1
    for i in holding:
        assert "Decision Score Top reason Contribution Adverse" in pages[i]


def test_crosswalk_gives_the_page_of_each_section(view, pages):
    crosswalk = next(p for p in pages[3:] if "Appendix A. Regulation crosswalk" in p)
    text = re.sub(r"\s+", " ", crosswalk)
    found = 0
    for section in view["sections"]:
        label = f"{section['number']} {section['title']}, p. "
        if label in text:
            page = int(re.search(re.escape(label) + r"(\d+)", text).group(1))
            assert "\n" + section["heading"] + "\n" in "\n" + pages[page - 1], (section["id"], page)
            found += 1
    assert found >= 4


def test_attached_evidence_hashes_to_the_value_on_the_cover(rendered, evidence, pages):
    match = re.search(r"Evidence SHA-256\s+([0-9a-f]{64})", pages[0])
    assert match, pages[0]
    with pikepdf.open(rendered[0]) as pdf:
        attached = pdf.attachments["evidence.json"].get_file().read_bytes()
        (spec,) = pdf.Root.AF
        assert spec.AFRelationship == pikepdf.Name.Data
        assert str(spec.EF.F.Subtype) == "/application/json"
    assert attached == canonical_json(evidence)
    assert sha256_hex(attached) == match.group(1)
    assert json.loads(attached)["card"]["name"] == MODEL_NAME


def test_document_metadata(rendered, view, evidence):
    info = pypdf.PdfReader(rendered[0]).metadata
    assert info["/Title"] == view["title"]
    assert info["/Author"] == evidence["card"]["owner"]
    keywords = [k.strip() for k in info["/Keywords"].split(",")]
    assert f"evidence-sha256:{view['evidence_sha256']}" in keywords
    assert f"generator:{generator()}" in keywords
    assert info["/CreationDate"] == "D:20260102030405Z"


def _fonts(pdf):
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == pikepdf.Name.Font:
            yield obj


def _embedded(font) -> bool:
    if font.Subtype == pikepdf.Name.Type3:
        return True  # glyphs are drawn by content streams inside the PDF
    if font.Subtype == pikepdf.Name.Type0:
        return all(_embedded(descendant) for descendant in font.DescendantFonts)
    descriptor = font.get("/FontDescriptor")
    return descriptor is not None and any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def test_pdfa_and_pdfua_markers(rendered, view):
    with pikepdf.open(rendered[0]) as pdf:
        meta = pdf.open_metadata()
        assert meta.pdfa_status == "3B"
        assert meta.get("pdfaid:part") == "3" and meta.get("pdfaid:conformance") == "B"
        assert "pdfuaid:part" in str(pdf.Root.Metadata.read_bytes())
        root = pdf.Root
        assert len(root.OutputIntents) >= 1
        assert "/StructTreeRoot" in root
        assert root.MarkInfo.Marked
        assert str(root.Lang).startswith("en")
        assert root.ViewerPreferences.DisplayDocTitle
        assert "/Outlines" in root and abs(int(root.Outlines.Count)) >= len(view["sections"])
        fonts = list(_fonts(pdf))
        assert fonts and all(_embedded(font) for font in fonts)
        base_names = {str(font.get("/BaseFont", "")) for font in fonts}
        assert all("DejaVu" in name for name in base_names if name), base_names
        figures = [
            obj for obj in pdf.objects if isinstance(obj, pikepdf.Dictionary) and obj.get("/S") == pikepdf.Name.Figure
        ]
        assert len(figures) >= 3 and all("/Alt" in figure and str(figure.Alt) for figure in figures)
        alts = {str(figure.Alt) for figure in figures}
    evidence_alts = {b["alt"] for s in sample_evidence()["sections"] for b in s["blocks"] if b["type"] == "chart"}
    assert evidence_alts <= alts


def test_chart_text_is_real_text(pages):
    text = " ".join(pages)
    assert "Predicted probability" in text and "Impact ratio" in text
    assert "train $y$" in text  # a series name with dollars, shown as written


def test_pages_render_and_are_not_blank(rendered):
    document = pdfium.PdfDocument(str(rendered[0]))
    try:
        for index in range(len(document)):
            image = document[index].render(scale=0.5).to_pil().convert("L")
            low, high = image.getextrema()
            assert low < 100 < high  # some ink on a white page
            histogram = image.histogram()
            assert sum(histogram[:200]) > 500  # more than a footer
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            assert buffer.tell() > 0
    finally:
        document.close()


_SCRIPT = """
import sys
from explain.report._pdf import render_pdf
from tests.report._sample import TIMESTAMP, sample_evidence
print(render_pdf(sample_evidence(), sys.argv[1], timestamp=TIMESTAMP))
"""


def test_two_processes_write_identical_bytes(rendered, tmp_path):
    root = Path(__file__).resolve().parents[2]
    runs = [  # side by side: two fresh interpreters, each importing everything anew
        subprocess.Popen(
            [sys.executable, "-c", _SCRIPT, str(tmp_path / name)], cwd=root, stdout=subprocess.PIPE, text=True
        )
        for name in ("a.pdf", "b.pdf")
    ]
    digests = [run.communicate(timeout=300)[0].strip() for run in runs]
    assert [run.returncode for run in runs] == [0, 0]
    assert digests[0] == digests[1] == rendered[1]
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()


def test_timestamp_is_whole_seconds_utc(rendered, evidence, tmp_path):
    naive = datetime(2026, 1, 2, 3, 4, 5, 678)  # taken as UTC, microseconds dropped
    assert render_pdf(evidence, tmp_path / "n.pdf", timestamp=naive) == rendered[1]


def test_missing_typst_names_the_pdf_extra(monkeypatch, tmp_path, evidence):
    monkeypatch.setitem(sys.modules, "typst", None)
    with pytest.raises(MissingDependencyError, match=r"explain\[pdf\]"):
        render_pdf(evidence, tmp_path / "x.pdf", timestamp=TIMESTAMP)
