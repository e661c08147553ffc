"""Render the evidence as one self-contained HTML5 page.

The page is rendered from the same view as the PDF (:mod:`._view`), so it shows the same
strings. Nothing is fetched: the CSS is inline, the charts are inline SVG (:mod:`._charts`), no
fonts, scripts or images are linked. Every string from the evidence goes through
:func:`html.escape`. The evidence itself is embedded as canonical JSON in
``<script type="application/json" id="evidence">`` (each ``<`` written as ``\\u003c``, so no
string can close the element), and its SHA-256 is printed in the header: parse that element,
re-encode it canonically, hash it, and compare (``explain verify page.html`` does, and renders the
page again). ``<meta name="generator">`` names the versions the page depends on (:mod:`._renderer`).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from explain.report._charts import chart_svgs
from explain.report._evidence import canonical_json
from explain.report._renderer import HTML_LIBRARIES, check_recorded, format_generator, running
from explain.report._view import build_view

__all__ = ["render_html"]

_CSS = """
:root{--ink:#1b1f24;--muted:#5a6270;--rule:#d5d9df;--accent:#1f3a5f;--zebra:#f6f7f9;--head:#e9ecf0;
--pass-fg:#00573f;--pass-bg:#dcf1e9;--warn-fg:#7a4700;--warn-bg:#fcebc9;--fail-fg:#9a2c00;--fail-bg:#fadccf;
--info-fg:#00507d;--info-bg:#dbecf7;--not_applicable-fg:#4a4a4a;--not_applicable-bg:#e8e8e8}
*{box-sizing:border-box}
body{margin:0;color:var(--ink);background:#fff;font:15px/1.5 "DejaVu Sans","Segoe UI",Roboto,Helvetica,Arial,sans-serif}
.page{max-width:60rem;margin:0 auto;padding:2rem 1.5rem 4rem}
code,span.hash{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.8em;overflow-wrap:anywhere}
h1{color:var(--accent);font-size:2rem;line-height:1.2;margin:.2rem 0 .4rem}
h2{color:var(--accent);font-size:1.35rem;border-bottom:2px solid var(--accent);padding-bottom:.2rem;
margin:2.4rem 0 .8rem}
.kicker{color:var(--accent);font-weight:700;letter-spacing:.15em;text-transform:uppercase;font-size:.75rem;margin:0}
.model{font-size:1.1rem;margin:0 0 1rem}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:0 0 1.2rem}
dl.meta dt{color:var(--muted)} dl.meta dd{margin:0}
.verdict{border:2px solid;border-radius:6px;padding:1rem 1.2rem;margin:1rem 0}
.verdict .label{font-size:.75rem;font-weight:700;letter-spacing:.12em}
.verdict .word{display:block;font-size:2.6rem;font-weight:700;line-height:1.1}
.verdict p{margin:.3rem 0;color:var(--ink)}
.badge{display:inline-block;border:1px solid;border-radius:3px;padding:0 .35em;font-size:.72rem;font-weight:700;
line-height:1.5;white-space:nowrap;vertical-align:middle}
.counts .badge{margin-right:.4rem}
.provenance{border:1px solid var(--rule);border-radius:4px;padding:.8rem 1rem;margin:1.2rem 0}
.provenance h2{border:0;margin:0 0 .4rem;font-size:1rem}
.provenance p{margin:.5rem 0 0}
nav ol{list-style:none;padding:0;margin:0;columns:2;column-gap:2rem}
nav li{padding:.15rem 0;break-inside:avoid}
nav a{color:var(--ink);text-decoration:none} nav a:hover{text-decoration:underline}
.num{color:var(--accent);font-weight:700;margin-right:.4em}
.summary{border-left:4px solid;padding:.5rem .8rem;margin:0 0 1rem}
.summary .badge{margin-right:.5rem}
table{border-collapse:collapse;width:100%;margin:.4rem 0 1rem;font-size:.85rem}
caption{caption-side:top;text-align:left;font-weight:700;color:var(--accent);padding:.2rem 0}
th,td{padding:.3rem .5rem;text-align:left;vertical-align:top}
thead th{background:var(--head);border-bottom:1px solid #999}
tbody tr:nth-child(even){background:var(--zebra)} tbody tr:last-child td{border-bottom:1px solid #999}
td.number,th.number{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap;width:1%}
td.status,th.status{text-align:center;width:1%}
table.facts th{width:32%;background:var(--zebra);font-weight:700}
table.facts th,table.facts td{border-bottom:1px solid var(--rule)}
.metric{display:block;font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.75rem;color:var(--muted)}
.message{display:block;font-size:.78rem;color:var(--muted)}
tr:target td{background:#fff6d6}
.note{font-size:.8rem;color:var(--muted);margin:-.6rem 0 1rem}
figure{margin:1rem 0 1.4rem} figcaption{font-weight:700;color:var(--accent);font-size:.85rem;margin-bottom:.3rem}
figure svg{width:100%;height:auto;display:block}
.notice{border:1px solid var(--accent);background:#f3f6fa;border-radius:4px;padding:.7rem 1rem;margin:1rem 0;
white-space:pre-line}
.notice strong{display:block;color:var(--accent)}
.highlight .document{border:1px solid var(--rule);border-radius:4px;padding:.6rem .8rem;white-space:pre-wrap;
line-height:1.7} .highlight span{border-radius:2px;padding:0 1px} .highlight .neg{text-decoration:underline}
.highlight .legend{font-size:.78rem;color:var(--muted)} .highlight .legend span{color:#000;margin-right:.3rem}
.signoff{display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:1rem;margin:1rem 0}
.signoff div{border:1px solid var(--rule);border-radius:4px;padding:.7rem .9rem}
.signoff dl{display:grid;grid-template-columns:max-content 1fr;gap:.6rem .5rem;margin:.4rem 0 0}
.signoff dt{color:var(--muted)} .signoff dd{margin:0;min-height:1.4em;border-bottom:1px solid #777}
.signoff dd.filled{border-bottom:0}
footer{margin-top:3rem;border-top:1px solid var(--rule);padding-top:.6rem;color:var(--muted);font-size:.8rem}
@media print{
 @page{size:A4;margin:16mm 15mm}
 body{font-size:10.5pt} .page{max-width:none;padding:0}
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 header.cover{break-after:page} nav{break-after:page}
 h2{break-after:avoid} figure,.notice,.signoff div,tr,.summary{break-inside:avoid}
 thead{display:table-header-group} a{color:inherit;text-decoration:none}
}
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _anchor(section_id: str) -> str:
    return "sec-" + re.sub(r"[^A-Za-z0-9_-]", "-", section_id)


def _key(status: str) -> str:
    """The CSS name of a status (``pass`` ... ``not_applicable``)."""
    return re.sub(r"[^a-z_]", "", status) or "info"


def _status_style(status: str) -> str:
    key = _key(status)
    return f"color:var(--{key}-fg);background:var(--{key}-bg);border-color:var(--{key}-fg)"


def _badge(status: str, label: str) -> str:
    return f'<span class="badge" style="{_status_style(status)}">{_e(label)}</span>'


def _cell(value: str, kind: str, statuses: Mapping[str, str]) -> str:
    if kind == "status" and value in statuses:
        return _badge(statuses[value], value)
    if kind == "hash":
        return f'<span class="hash">{_e(value)}</span>'
    return _e(value)


def _table(b: Mapping[str, Any], statuses: Mapping[str, str]) -> str:
    cols = b["columns"]
    head = "".join(f'<th scope="col" class="{_e(c["kind"])}">{_e(c["label"])}</th>' for c in cols)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{_e(c["kind"])}">{_cell(v, c["kind"], statuses)}</td>' for v, c in zip(row, cols, strict=True)
        )
        + "</tr>"
        for row in b["rows"]
    )
    ident = f' id="tbl-{_e(re.sub(r"[^A-Za-z0-9_.-]", "-", b["id"]))}"' if b.get("id") else ""
    note = f'<p class="note">{_e(b["note"])}</p>' if b.get("note") else ""
    caption = f"<caption>{_e(b['label'])}. {_e(b['caption'])}</caption>"
    return f"<table{ident}>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}"


def _facts(b: Mapping[str, Any], statuses: Mapping[str, str]) -> str:
    rows = "".join(
        f'<tr><th scope="row">{_e(label)}</th><td>{_cell(value, kind, statuses)}</td></tr>'
        for label, value, kind in b["rows"]
    )
    return f'<table class="facts"><tbody>{rows}</tbody></table>'


def _findings(b: Mapping[str, Any]) -> str:
    """The section's findings in full; the row that first gives a finding has its anchor as id."""
    head = "".join(
        f'<th scope="col" class="{k}">{h}</th>'
        for h, k in [("Check", "text"), ("Threshold", "number"), ("Observed", "number"), ("Interval", "number"),
                     ("Status", "status"), ("Severity", "text")]
    )  # fmt: skip
    rows = []
    for f in b["rows"]:
        message = f'<span class="message">{_e(f["message"])}</span>' if f["message"] else ""
        ident = f' id="{_e(f["anchor"])}"' if f.get("anchor") else ""
        rows.append(
            f'<tr{ident} data-finding="{_e(f["id"])}"><td><strong>{_e(f["title"])}</strong>'
            f'<span class="metric">{_e(f["metric"])}</span><span class="message">Owner: {_e(f["owner"])}</span>'
            f"{message}</td>"
            f'<td class="number">{_e(f["threshold"])}</td><td class="number">{_e(f["observed"])}</td>'
            f'<td class="number">{_e(f["ci"])}</td>'
            f'<td class="status">{_badge(f["status"], f["status_label"])}</td><td>{_e(f["severity_label"])}</td></tr>'
        )
    return f'<table class="findings"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _finding_index(b: Mapping[str, Any]) -> str:
    """The executive summary's index: each row links to the finding in full (else its section)."""
    head = "".join(
        f'<th scope="col" class="{k}">{h}</th>'
        for h, k in [("Status", "status"), ("Severity", "text"), ("Owner", "text"), ("Finding", "text"),
                     ("Given in", "text")]
    )  # fmt: skip
    rows = []
    for f in b["rows"]:
        href = f["target"] or (_anchor(f["section_id"]) if f["section_id"] else None)
        title = f"<strong>{_e(f['title'])}</strong>"
        number = f"\u00a7\u00a0{_e(f['section_number'])} " if f["section_number"] else ""
        where = number + _e(f["section_title"])
        if href:
            title, where = f'<a href="#{_e(href)}">{title}</a>', f'<a href="#{_e(href)}">{where}</a>'
        rows.append(
            f'<tr data-finding="{_e(f["id"])}"><td class="status">{_badge(f["status"], f["status_label"])}</td>'
            f"<td>{_e(f['severity_label'])}</td><td>{_e(f['owner'])}</td><td>{title}</td><td>{where}</td></tr>"
        )
    return f'<table class="finding-index"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _svg_inline(svg: bytes) -> str:
    """The SVG element alone: no XML declaration or doctype inside an HTML page."""
    text = svg.decode("utf-8")
    return text[text.index("<svg") :]


def _chart(b: Mapping[str, Any], svgs: Mapping[str, bytes]) -> str:
    return (
        f'<figure id="fig-{_e(re.sub(r"[^A-Za-z0-9_.-]", "-", b["id"]))}">'
        f"<figcaption>{_e(b['label'])}. {_e(b['caption'])}</figcaption>"
        f'<div role="img" aria-label="{_e(b["alt"])}">{_svg_inline(svgs[b["file"]])}</div></figure>'
    )


def _highlighted(b: Mapping[str, Any]) -> str:
    """A document with its words on the colour of their contribution (the view's steps); the
    value is in each word's title, negative words are underlined; every text escaped."""
    words = []
    neg = ' class="neg"'
    for p in b["pieces"]:
        if p["level"] == 0 and not p["value"]:
            words.append(_e(p["text"]))
            continue
        style = f"background:{_e(p['color'])}" if p["color"] else ""
        cls = neg if p["level"] < 0 else ""
        words.append(f'<span{cls} style="{style}" title="{_e(p["value"])}">{_e(p["text"])}</span>')
    legend = "".join(
        f'<span{neg if s["level"] < 0 else ""} style="background:{_e(s["color"])}">{_e(s["label"])}</span>'
        for s in b["legend"]
    )
    return (
        f'<figure class="highlight" id="fig-{_e(re.sub(r"[^A-Za-z0-9_.-]", "-", b["id"]))}">'
        f"<figcaption>{_e(b['label'])}. {_e(b['caption'])}</figcaption>"
        f'<p class="document">{"".join(words)}</p>'
        f'<p class="legend">{_e(b["legend_text"])} {legend}</p></figure>'
    )


def _signoff(b: Mapping[str, Any]) -> str:
    def field(label: str, value: str) -> str:
        cls = ' class="filled"' if value else ""
        return f"<dt>{label}</dt><dd{cls}>{_e(value)}</dd>"

    people = "".join(
        f"<div><strong>{_e(p['role'])}</strong><dl>{field('Name', p['name'])}{field('Date', p['date'])}"
        f"{field('Signature', '')}</dl></div>"
        for p in b["rows"]
    )
    return f'<div class="signoff">{people}</div>'


def _crosswalk(b: Mapping[str, Any]) -> str:
    rows = []
    for r in b["rows"]:
        links = "<br>".join(
            f'<a href="#{_anchor(s["id"])}">{_e(s["number"])} {_e(s["title"])}</a>' for s in r["sections"]
        )
        status = f"<strong>{_e(r['status'])}</strong><br>{_e(r['note'])}" if r.get("status") else ""
        rows.append(
            f"<tr><td>{_e(r['framework'])}</td><td>{_e(r['reference'])}</td><td>{_e(r['text'])}</td>"
            f"<td>{links or 'Not covered'}</td><td>{status}</td></tr>"
        )
    cols = ("Framework", "Reference", "Requirement", "Answered in", "Status")
    head = "".join(f'<th scope="col">{h}</th>' for h in cols)
    summary = f"<p>{_e(b['summary'])}.</p>" if b.get("summary") else ""
    return f'{summary}<table class="crosswalk"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _block(b: Mapping[str, Any], statuses: Mapping[str, str], svgs: Mapping[str, bytes]) -> str:
    kind = b["type"]
    if kind == "text":
        return f"<p>{_e(b['text'])}</p>"
    if kind == "list":
        return "<ul>" + "".join(f"<li>{_e(item)}</li>" for item in b["items"]) + "</ul>"
    if kind == "notice":
        return f'<aside class="notice"><strong>{_e(b["title"])}</strong>{_e(b["text"])}</aside>'
    if kind == "chart":
        return _chart(b, svgs)
    if kind == "highlighted_text":
        return _highlighted(b)
    if kind in ("table", "facts"):
        return (_table if kind == "table" else _facts)(b, statuses)
    renderers = {"findings": _findings, "finding_index": _finding_index, "signoff": _signoff, "crosswalk": _crosswalk}
    return renderers[kind](b)


# What is true of an HTML page (unlike the PDF, it cannot carry a digital signature)
_UNSIGNED = (
    "An HTML page cannot be signed (only the PDF report can carry a signature). Check this page with "
    "<code>explain verify audit.html</code>; to tie it to this audit, record its evidence SHA-256 elsewhere "
    "when the report is made (e.g. in the CI log) and pass that value as <code>--evidence-sha256</code>."
)


def _section(s: Mapping[str, Any], statuses: Mapping[str, str], svgs: Mapping[str, bytes]) -> str:
    anchor, key = _anchor(s["id"]), _key(s["status"])
    number = s["heading"].removesuffix(s["title"]).strip()  # "3" or "Appendix A."
    parts = [
        f'<section id="{anchor}" aria-labelledby="h-{anchor}">',
        f'<h2 id="h-{anchor}"><span class="num">{_e(number)}</span>{_e(s["title"])}</h2>',
        f'<p class="summary" style="border-color:var(--{key}-fg);background:var(--{key}-bg)">'
        f"{_badge(s['status'], s['status_label'])}{_e(s['summary'])}</p>",
    ]
    if s["not_applicable"]:
        parts.append(f'<aside class="notice"><strong>Not applicable</strong>{_e(s["not_applicable"])}</aside>')
    parts += [_block(b, statuses, svgs) for b in s["blocks"]]
    if s["id"] == "signoff":  # the evidence speaks of signing the PDF; say what holds for this page
        parts.append(f'<aside class="notice"><strong>This HTML page</strong>{_UNSIGNED}</aside>')
    parts.append("</section>")
    return "\n".join(parts)


def _header(view: Mapping[str, Any]) -> str:
    rep, model = view["report"], view["model"]
    meta = "".join(
        f"<dt>{k}</dt><dd>{_e(v)}</dd>"
        for k, v in [("Report ID", rep["id"]), ("Report version", rep["version"]), ("Date", rep["date"]),
                     ("Generated", rep["generated"])]
    )  # fmt: skip
    counts = "".join(_badge(c["status"], f"{c['count']} {c['label']}") for c in rep["counts"])
    prov = "".join(
        f'<tr><td>{_e(p["label"])}</td><td>{_e(p["detail"])}</td><td><span class="hash" title="{_e(p["sha256"])}">'
        f"{_e(p['short'])}</span></td></tr>"
        for p in view["provenance"]
    )
    return f"""<header class="cover">
<p class="kicker">Model audit report</p>
<h1>{_e(view["title"])}</h1>
<p class="model">Model: {_e(model["name"])}, version {_e(model["version"])}</p>
<dl class="meta">{meta}</dl>
<div class="verdict" style="{_status_style(rep["verdict_status"])}"><span class="label">VERDICT</span>
<span class="word">{_e(rep["verdict"])}</span><p>{_e(rep["verdict_reason"])}</p><p class="counts">{counts}</p></div>
<section class="provenance" aria-labelledby="h-provenance-box"><h2 id="h-provenance-box">Provenance</h2>
<table><thead><tr><th scope="col">Item</th><th scope="col">Detail</th><th scope="col">SHA-256 (first 16)</th></tr>
</thead><tbody>{prov}</tbody></table>
<p><strong>Evidence SHA-256</strong> <code id="evidence-sha256">{_e(view["evidence_sha256"])}</code></p>
<p class="note">The evidence is embedded in this page (element <code>#evidence</code>) as canonical JSON; its SHA-256
must equal the value above. {_UNSIGNED}</p></section>
</header>"""


def _contents(view: Mapping[str, Any]) -> str:
    items = "".join(
        f'<li><a href="#{_anchor(s["id"])}"><span class="num">{_e(s["number"])}</span>{_e(s["title"])}</a> '
        f"{_badge(s['status'], s['status_label'])}</li>"
        for s in view["sections"]
    )
    return f'<nav aria-labelledby="h-contents"><h2 id="h-contents">Contents</h2><ol>{items}</ol></nav>'


def render_html(evidence: Mapping[str, Any], path: str | Path | None = None) -> str:
    """Render the audit as one self-contained HTML page; write it to ``path`` if given.

    Parameters
    ----------
    evidence : mapping
        The evidence document (schema ``explain.audit``).
    path : str, Path or None
        Where to write the page (UTF-8); ``None`` only returns it.

    Returns
    -------
    str
        The HTML page.

    Raises
    ------
    SchemaError
        If the evidence holds an unknown block type, chart kind or format.
    InputError
        If the evidence records other versions of ``explain`` or ``matplotlib`` than the ones
        installed: the page could not be verified against its evidence.
    """
    data = canonical_json(evidence).decode("utf-8")
    evidence = json.loads(data)  # show exactly what is embedded (floats rounded as in the JSON)
    check_recorded(evidence, HTML_LIBRARIES, "An HTML page")
    view = build_view(evidence)
    svgs = chart_svgs(evidence, view)
    statuses = {label: status for status, label in view["statuses"].items()}
    embedded = data.replace("<", "\\u003c")
    sections = "\n".join(_section(s, statuses, svgs) for s in view["sections"])
    rep = view["report"]
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="evidence-sha256" content="{_e(view["evidence_sha256"])}">
<meta name="generator" content="{_e(format_generator(running(HTML_LIBRARIES)))}">
<title>{_e(view["title"])} ({_e(rep["id"])})</title>
<style>{_CSS}</style>
</head>
<body>
<div class="page">
{_header(view)}
{_contents(view)}
<main>
{sections}
</main>
<footer>Report {_e(rep["id"])}, version {_e(rep["version"])}, {_e(rep["generated"])}. Evidence SHA-256
<code>{_e(view["evidence_sha256"])}</code>.</footer>
</div>
<script type="application/json" id="evidence">{embedded}</script>
</body>
</html>
"""
    if path is not None:
        Path(path).write_text(page, encoding="utf-8")
    return page
