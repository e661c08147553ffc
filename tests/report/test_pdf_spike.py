"""The audit PDF pipeline (spike for issue 5): render a small evidence document and read it back.

Checks that the PDF is well formed, archival (PDF/A-3b markers) and accessible (PDF/UA-1
markers), that user text is never read as Typst markup, that the attached evidence hashes to the
value on the cover, and that two processes write the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import sys
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

import pytest

from explain.errors import MissingDependencyError
from explain.report._evidence import canonical_json, sha256_hex

typst = pytest.importorskip("typst")
pikepdf = pytest.importorskip("pikepdf")
pypdf = pytest.importorskip("pypdf")
pdfium = pytest.importorskip("pypdfium2")

from explain.report._pdf import render_pdf  # noqa: E402  (after the optional imports are known)

TIMESTAMP = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
MARKUP_NAME = "*bold* #set [x] $y$"
HEADINGS = ["Contents", "1. Summary", "2. Feature importance", "3. Evidence and reproducibility"]

EVIDENCE = {
    "schema_version": "0.1",
    "title": "Audit of a credit model",
    "model": {"name": "gbm_v2 <script>", "version": "1.2"},
    "summary": "Summary with markup characters that must stay text: #pagebreak() _x_ `y` @ref.",
    "importance": [
        {"feature": MARKUP_NAME, "value": 0.31, "spread": 0.02},
        {"feature": "income", "value": 0.2, "spread": 0.01},
        {"feature": "age", "value": 0.05, "spread": None},
    ],
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, float]:
    path = tmp_path_factory.mktemp("pdf") / "audit.pdf"
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a Typst warning (e.g. a font fallback) is a bug
        digest = render_pdf(EVIDENCE, path, timestamp=TIMESTAMP)
    return path, digest, time.perf_counter() - start


def _text(path: Path) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(path).pages]


def test_pdf_is_well_formed_and_returns_its_hash(rendered):
    path, digest, seconds = rendered
    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    with pikepdf.open(path) as pdf:
        assert pdf.check_pdf_syntax() == []
    assert len(pypdf.PdfReader(path).pages) == 2
    assert seconds < 10


def test_headings_and_user_text_appear_literally(rendered):
    text = "\n".join(_text(rendered[0]))
    for heading in HEADINGS:
        assert heading in text
    assert text.count(MARKUP_NAME) >= 2  # once in the table, once in the chart (SVG text)
    assert EVIDENCE["summary"] in text
    assert "gbm_v2 <script>" in text
    assert "Page 1 of 2" in text and "Page 2 of 2" in text


def test_attached_evidence_hashes_to_the_value_on_the_cover(rendered):
    cover = _text(rendered[0])[0]
    match = re.search(r"Evidence SHA-256\s+([0-9a-f]{64})", cover)
    assert match, cover
    with pikepdf.open(rendered[0]) as pdf:
        attached = pdf.attachments["evidence.json"].get_file().read_bytes()
        relationship = pdf.Root.AF[0].AFRelationship
    assert sha256_hex(attached) == match.group(1)
    assert attached == canonical_json(EVIDENCE)
    assert json.loads(attached)["importance"][0]["feature"] == MARKUP_NAME
    assert relationship == pikepdf.Name.Data


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


def test_pdfa_and_pdfua_markers(rendered):
    with pikepdf.open(rendered[0]) as pdf:
        assert pdf.open_metadata().pdfa_status == "3B"
        root = pdf.Root
        assert len(root.OutputIntents) >= 1
        assert "/StructTreeRoot" in root
        assert root.MarkInfo.Marked
        assert str(root.Lang).startswith("en")
        assert str(pdf.docinfo.get("/Title", pdf.open_metadata().get("dc:title"))) == EVIDENCE["title"]
        assert "/Outlines" in root and root.Outlines.Count != 0
        fonts = list(_fonts(pdf))
        assert fonts and all(_embedded(font) for font in fonts)
        base_names = {str(font.get("/BaseFont", "")) for font in fonts}
        assert any("DejaVuSans" in name for name in base_names), base_names
        figures = [
            obj for obj in pdf.objects if isinstance(obj, pikepdf.Dictionary) and obj.get("/S") == pikepdf.Name.Figure
        ]
        assert figures and all("/Alt" in figure and str(figure.Alt) for figure in figures)


def test_pages_render_and_are_not_blank(rendered):
    document = pdfium.PdfDocument(str(rendered[0]))
    try:
        for index in range(len(document)):
            image = document[index].render(scale=0.5).to_pil().convert("L")
            low, high = image.getextrema()
            assert low < 100 < high  # some ink on a white page
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            assert buffer.tell() > 0
    finally:
        document.close()


_SCRIPT = """
import sys
from datetime import datetime, timezone
from explain.report._pdf import render_pdf
from tests.report.test_pdf_spike import EVIDENCE, TIMESTAMP
print(render_pdf(EVIDENCE, sys.argv[1], timestamp=TIMESTAMP))
"""


def test_two_processes_write_identical_bytes(rendered, tmp_path):
    root = Path(__file__).resolve().parents[2]
    digests = []
    for name in ("a.pdf", "b.pdf"):
        out = subprocess.run(
            [sys.executable, "-c", _SCRIPT, str(tmp_path / name)], cwd=root, capture_output=True, text=True, check=True
        )
        digests.append(out.stdout.strip())
    assert digests[0] == digests[1] == rendered[1]
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()


def test_missing_typst_names_the_pdf_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "typst", None)
    with pytest.raises(MissingDependencyError, match=r"explain\[pdf\]"):
        render_pdf(EVIDENCE, tmp_path / "x.pdf", timestamp=TIMESTAMP)
