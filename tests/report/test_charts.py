"""Charts of the report: SVG with real text, deterministic bytes, drawn from the spec alone."""

from __future__ import annotations

import re

import matplotlib
import pytest

from explain.errors import SchemaError
from explain.report import _schema as s
from explain.report._charts import chart_svg

BAR = s.bar_chart(
    ["female", "male $y$ <b>", "a very long feature name that has to wrap onto two lines at least"],
    [0.72, 1.0, 0.91],
    xlabel="Impact ratio ($)",
    reference=0.8,
    errors=[0.05, 0.02, 0.03],
    highlight=[True, False, False],
)
LINE = s.line_chart(
    [
        {"name": "test", "x": [0.1, 0.5, 0.9], "y": [0.12, 0.48, 0.93]},
        {"name": "train", "x": [0.1, 0.9], "y": [0.1, 0.9]},
    ],
    xlabel="Predicted",
    ylabel="Observed",
    diagonal=True,
)


def _texts(svg: bytes) -> list[str]:
    return [re.sub(r"<[^>]+>", "", t) for t in re.findall(r"<text\b[^>]*>(.*?)</text>", svg.decode(), re.S)]


def test_bar_chart_keeps_labels_as_text_and_literal():
    svg = chart_svg(BAR, salt="bar")
    texts = " ".join(_texts(svg))
    assert "female" in texts and "male $y$ &lt;b&gt;" in texts  # escaped for XML, not read as mathematics
    assert "Impact ratio ($)" in texts
    assert "DejaVu Sans" in svg.decode()
    assert "<path" in svg.decode() and "glyph" not in svg.decode()  # no text drawn as outlines
    assert "#d55e00" in svg.decode().lower()  # the highlighted bar, vermillion
    assert "hatch" in svg.decode().lower() or "pattern" in svg.decode().lower()  # and hatched, not colour only


def test_line_chart_has_a_legend_and_the_diagonal():
    texts = _texts(chart_svg(LINE, salt="line"))
    assert {"test", "train", "y = x", "Predicted", "Observed"} <= set(texts)


def test_bytes_are_identical_and_ignore_the_users_style():
    first = chart_svg(BAR, salt="bar")
    with matplotlib.rc_context({"lines.linewidth": 7, "font.size": 30, "axes.facecolor": "black"}):
        second = chart_svg(BAR, salt="bar")
    assert first == second
    assert b"Date" not in first and b"http://purl.org" not in first


def test_ids_carry_the_salt():
    svg = chart_svg(BAR, salt="fig 1").decode()
    ids = re.findall(r'\sid="([^"]+)"', svg)
    assert ids and all(i.startswith("c-fig-1-") for i in ids)
    for ref in re.findall(r'(?:href="#|url\(#)([^")]+)', svg):
        assert ref in ids


def test_bad_specs_are_schema_errors():
    with pytest.raises(SchemaError, match="Unknown chart kind 'pie'"):
        chart_svg({"kind": "pie"})
    with pytest.raises(SchemaError, match="3 labels but 2 values"):
        chart_svg({**BAR, "values": [1.0, 2.0]})
