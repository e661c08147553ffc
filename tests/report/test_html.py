"""The HTML page: self-contained, escaped, complete, and carrying its own evidence."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from explain.report._evidence import canonical_json, sha256_hex
from explain.report._html import render_html
from explain.report._view import build_view

from ._sample import HOSTILE, MODEL_NAME, sample_evidence


class _Page(HTMLParser):
    """Collects tags with their attributes, the visible text, and the embedded evidence."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


@pytest.fixture(scope="module")
def evidence():
    return sample_evidence()


@pytest.fixture(scope="module")
def page(evidence, tmp_path_factory):
    path = tmp_path_factory.mktemp("html") / "audit.html"
    text = render_html(evidence, path)
    assert path.read_text(encoding="utf-8") == text
    parser = _Page()
    parser.feed(text)
    parser.close()
    return text, parser


def _visible(parser: _Page) -> str:
    return re.sub(r"\s+", " ", "".join(parser.text))


def test_page_is_self_contained(page):
    text, parser = page
    assert text.startswith("<!DOCTYPE html>")
    tags = [tag for tag, _ in parser.tags]
    assert "link" not in tags and "img" not in tags and "iframe" not in tags
    for tag, attrs in parser.tags:
        for name in ("src", "href", "xlink:href", "action", "data"):
            value = attrs.get(name)
            assert value is None or not re.match(r"\s*(https?:)?//", value), (tag, name, value)
        if tag == "a":
            assert attrs["href"].startswith("#")
    assert [attrs for tag, attrs in parser.tags if tag == "script"] == [{"type": "application/json", "id": "evidence"}]
    assert "@import" not in text and not re.search(r"url\((?!#)", text)  # only references inside the page
    assert "@media print" in text and "<style>" in text


def test_user_strings_are_escaped_and_shown_literally(page):
    text, parser = page
    assert "<script>alert(1)</script>" not in text  # nowhere as markup, not even inside the evidence JSON
    tags = {tag for tag, _ in parser.tags}
    assert "b" not in tags and "p>" not in tags
    visible = _visible(parser)
    assert HOSTILE in visible
    assert MODEL_NAME in visible
    assert "$y$" in text  # matplotlib did not read the label as mathematics


def test_embedded_evidence_round_trips_to_the_printed_hash(page, evidence):
    _, parser = page
    (embedded,) = parser.scripts
    assert "</" not in embedded
    parsed = json.loads(embedded)
    assert parsed == json.loads(canonical_json(evidence))
    digest = sha256_hex(canonical_json(parsed))
    assert digest == sha256_hex(canonical_json(evidence))
    assert f"Evidence SHA-256 {digest}" in _visible(parser)
    meta = next(attrs for tag, attrs in parser.tags if tag == "meta" and attrs.get("name") == "evidence-sha256")
    assert meta["content"] == digest


def test_every_section_title_status_and_number_is_shown(page, evidence):
    _, parser = page
    visible = _visible(parser)
    view = build_view(evidence)
    ids = {attrs.get("id") for _, attrs in parser.tags}
    for section in view["sections"]:
        assert section["title"] in visible
        assert f"sec-{section['id']}" in ids
        assert section["status_label"] in visible
    for tag, attrs in parser.tags:
        if tag == "a":
            assert attrs["href"][1:] in ids  # the contents and the crosswalk link to real anchors
    assert "Appendix A." in visible and "VERDICT" in visible and "FAIL" in visible


def test_tables_and_findings_show_the_view_strings(page, evidence):
    _, parser = page
    visible = _visible(parser)
    view = build_view(evidence)
    for section in view["sections"]:
        for block in section["blocks"]:
            if block["type"] == "table":
                assert f"{block['label']}. {block['caption']}" in visible
                for row in block["rows"]:
                    for cell in row:
                        assert cell in visible
            elif block["type"] == "findings":
                for row in block["rows"]:
                    for key in ("title", "threshold", "observed", "ci", "status_label", "message"):
                        assert row[key] in visible
    assert "\u2265 0.80" in visible and "[0.61, 0.70]" in visible


def test_charts_are_inline_svg_figures_with_alt_text(page, evidence):
    text, parser = page
    alts = [b["alt"] for s in evidence["sections"] for b in s["blocks"] if b["type"] == "chart"]
    labelled = [attrs for tag, attrs in parser.tags if tag == "div" and attrs.get("role") == "img"]
    assert [attrs["aria-label"] for attrs in labelled] == alts
    tags = [tag for tag, _ in parser.tags]
    assert tags.count("figure") == tags.count("figcaption") == tags.count("svg") == len(alts) == 3
    assert "<?xml" not in text and "<!DOCTYPE svg" not in text
    svg_ids = [attrs["id"] for tag, attrs in parser.tags if attrs.get("id") and tag not in ("section", "h2")]
    assert len(svg_ids) == len(set(svg_ids))  # charts inlined in one page never share an element id


def test_rendering_is_deterministic_and_path_is_optional(page, evidence):
    assert render_html(evidence) == page[0]


def test_the_page_says_it_is_checked_with_verify_and_a_recorded_hash_not_signed(page):
    """Only a PDF can carry a signature: the page says how an HTML report is checked instead."""
    text, parser = page
    visible = " ".join(_visible(parser).split())
    says = (
        "An HTML page cannot be signed (only the PDF report can carry a signature). Check this page with explain "
        "verify audit.html; to tie it to this audit, record its evidence SHA-256 elsewhere when the report is made "
        "(e.g. in the CI log) and pass that value as --evidence-sha256."
    )
    assert visible.count(says) == 2  # under the evidence hash, and in the sign-off section
    signoff = text[text.index('<section id="sec-signoff"') :]
    assert says.split(".")[0] in " ".join(re.sub(r"<[^>]+>", "", signoff[: signoff.index("</section>")]).split())
    assert "explain sign " not in visible and "sign it" not in visible


@pytest.mark.parametrize(
    "change, says",
    [
        (lambda t: t.replace("\n", "\r\n"), "the line endings were changed from LF to CRLF (as git's core.autocrlf"),
        (lambda t: t.replace("\n", "\r\n", 3), "3 of its "),
        (lambda t: t.replace("\n", "\r"), "the line endings were changed from LF to CR ("),
        (lambda t: t.rstrip("\n"), "only the newline at the end of the file differs"),
    ],
    ids=["crlf", "some_crlf", "cr", "final_newline"],
)
def test_a_page_whose_line_endings_were_changed_is_altered_and_says_so(page, tmp_path, capsys, change, says):
    """Line endings changed (git autocrlf): a changed file, exit 1, and the check says what changed."""
    from explain.cli import main
    from explain.report._verify import verify_report

    path = tmp_path / "audit.html"
    path.write_bytes(change(page[0]).encode("utf-8"))
    result = verify_report(path)
    assert result.verdict == "altered" and result.exit_code == 1
    rerender = next(c for c in result.checks if c.name == "rerender")
    assert rerender.passed is False and says in rerender.detail, rerender.detail
    assert [c.name for c in result.checks if c.passed is False] == ["rerender"]  # the evidence is intact
    if "LF to" in says:
        assert "nothing else differs" in rerender.detail and "'*.html -text'" in rerender.detail
    assert main(["verify", str(path)]) == 1
    assert f"NOT VERIFIED (exit 1): altered (rerender): modified after generation: {says}" in capsys.readouterr().out


def test_a_page_with_changed_line_endings_and_an_edit_names_the_edit(page, tmp_path):
    from explain.report._verify import verify_report

    path = tmp_path / "audit.html"
    path.write_bytes(page[0].replace("0.72", "0.92", 1).replace("\n", "\r\n").encode("utf-8"))
    detail = next(c for c in verify_report(path).checks if c.name == "rerender").detail
    assert "differs from the page the evidence renders to; its line endings were changed from LF to CRLF too" in detail
    assert "nothing else differs" not in detail


def test_highlighted_text_is_escaped_coloured_and_underlined_when_negative(evidence):
    import copy

    from explain.report import _schema as s
    from explain.report._view import HIGHLIGHT_COLORS

    extended = copy.deepcopy(evidence)
    tokens = ["<script>alert(1)</script>", " & ", "python", " ", HOSTILE]
    block = s.highlighted_text("doc", "A <i>document</i>", tokens, [-0.9, None, 0.3, None, 0.0], scale=1.0,
                               legend="<b>legend</b>")  # fmt: skip
    extended["sections"][1]["blocks"].append(block)
    text = render_html(extended)
    parser = _Page()
    parser.feed(text)
    assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<i>document" not in text and "<b>legend" not in text
    spans = [a for tag, a in parser.tags if tag == "span" and "title" in a and "background" in (a.get("style") or "")]
    assert [a["title"] for a in spans] == ["-0.9", "0.3"]
    assert any(tag == "span" and a.get("title") == "0" and a.get("style") == "" for tag, a in parser.tags)
    assert spans[0]["class"] == "neg" and spans[0]["style"] == f"background:{HIGHLIGHT_COLORS[-4]}"
    assert spans[1].get("class") is None and spans[1]["style"] == f"background:{HIGHLIGHT_COLORS[2]}"
    visible = _visible(parser)
    assert "<script>alert(1)</script> & python" in visible
    assert HOSTILE in visible or HOSTILE.split()[0] in visible
