"""Text the report's fonts cannot draw (Han, Devanagari, ...): the PDF prints its code points and
verifies; the evidence, the JSON and the HTML keep the text as written."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

import explain as ex
from explain.report._glyphs import drawable, printable

GROUPS = ["北京", "मुंबई", "Zürich"]


def test_printable_keeps_what_the_fonts_draw() -> None:
    assert printable("Español, Français, Αθήνα, Москва") == "Español, Français, Αθήνα, Москва"
    assert printable("北京 (Beijing)") == "[U+5317][U+4EAC] (Beijing)"
    assert drawable({"北": ["上", 1, None, True]}) == {"[U+5317]": ["[U+4E0A]", 1, None, True]}


@pytest.fixture(scope="module")
def report() -> ex.report.AuditReport:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    y = (X["a"] + rng.normal(size=400) > 0).astype(int)
    X["city"] = rng.choice(GROUPS, 400)
    model = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X[["a", "b"]][:300], y[:300])
    policy = {"explain_rows": 40, "n_bootstrap": 20, "min_group_size": 10, "stability_runs": 2}
    return ex.audit(model, X[:300], y[:300], X[300:], y[300:], sensitive_features=["city"], policy=policy,
                    generated_at="2026-01-01T00:00:00Z")  # fmt: skip


def test_pdf_prints_code_points_and_verifies(report: ex.report.AuditReport, tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    pytest.importorskip("typst")
    from explain.report._verify import verify_pdf

    evidence = json.dumps(report.evidence, ensure_ascii=False)
    assert "北京" in evidence and "मुंबई" in evidence and "[U+" not in evidence  # the user's text, unchanged
    pdf = report.to_pdf(tmp_path / "audit.pdf")  # typst refused it before: no glyph for 北
    pages = " ".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages)
    assert "[U+5317][U+4EAC]" in pages and "北" not in pages
    assert "Zürich" in pages
    attached = pypdf.PdfReader(pdf).attachments["evidence.json"][0]
    assert attached == report.to_json(tmp_path / "evidence.json").read_bytes()  # the text as written
    assert verify_pdf(pdf).verdict == "verified"


def test_html_keeps_the_text_without_glyph_warnings(report: ex.report.AuditReport, tmp_path: Path) -> None:
    """The HTML's SVG charts keep the group names as text (the browser draws them with its own
    fonts), and matplotlib's missing-glyph warnings do not reach the user."""
    import re
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        page = report.to_html(tmp_path / "audit.html").read_text(encoding="utf-8")
    assert "[U+5317]" not in page
    svgs = re.findall(r"<svg.*?</svg>", page, flags=re.S)
    assert any("北京" in svg for svg in svgs)
