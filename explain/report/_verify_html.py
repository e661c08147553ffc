"""The checks of an audit HTML page (what they mean: :mod:`._verify`).

The page embeds its evidence as canonical JSON in ``<script type="application/json"
id="evidence">`` (every ``<`` escaped, so the first ``</script>`` ends it) and shows its SHA-256 in
``<meta name="evidence-sha256">`` and in the header. The page is a function of the evidence and
the versions in ``<meta name="generator">``, so rendering the evidence again must give the same
text; the first line that differs is named. An HTML page cannot carry a signature: for
authenticity, sign the PDF, or compare the evidence SHA-256 with one recorded elsewhere.
"""

from __future__ import annotations

import html
import re

from explain.errors import ExplainError
from explain.report._evidence import canonical_json, sha256_hex
from explain.report._renderer import HTML_LIBRARIES
from explain.report._verify import Check, Found, evidence_checks, hash_check, renderer_check

__all__ = ["NAMES", "html_checks"]

NAMES = ("opens", "report", "attachment", "canonical", "cover_hash", "metadata_hash", "renderer", "rerender",
         "signature")  # fmt: skip
_EMBEDDED = re.compile(r'<script type="application/json" id="evidence">(.*?)</script>', re.DOTALL)
_META = re.compile(r'<meta name="(evidence-sha256|generator)" content="([^"]*)">')
_HEADER_HASH = re.compile(r'<code id="evidence-sha256">([0-9a-f]{64})</code>')


def _endings(page: str) -> str:
    """The line endings ``page`` uses other than the LF the renderer writes ("" if none)."""
    crlf, cr = page.count("\r\n"), page.count("\r") - page.count("\r\n")
    kinds = [name for name, n in (("CRLF", crlf), ("CR", cr)) if n]
    return " and ".join(kinds)


def _first_difference(page: str, fresh: str) -> str:
    """Where ``page`` differs from the page its evidence renders to, in words; a change of the
    line endings alone (git's core.autocrlf, a Windows editor) is named as such. It is still a
    change: the verdict is "altered" whatever was changed."""
    endings = _endings(page)
    if endings and page.replace("\r\n", "\n").replace("\r", "\n") == fresh:
        total, changed = fresh.count("\n"), page.count("\r")
        which = "the line endings were" if changed >= total else f"{changed:,} of its {total:,} line endings were"
        cause = "as git's core.autocrlf or a Windows editor does" if endings == "CRLF" else "as some editors do"
        return (
            f"{which} changed from LF to {endings} ({cause}); nothing else differs. This is not the file "
            "that was generated: keep the original, or restore LF line endings (in git, mark the report as "
            "binary, e.g. '*.html -text' in .gitattributes, and check it out again), then verify again"
        )
    if page.rstrip("\r\n") == fresh.rstrip("\n"):
        return "only the newline at the end of the file differs from the page the evidence renders to"
    lines, expected = page.splitlines(), fresh.splitlines()
    pairs = enumerate(zip(lines, expected, strict=False))
    n = next((i for i, (a, b) in pairs if a != b), min(len(lines), len(expected)))
    section = re.findall(r'<section id="([^"]+)"', "\n".join(expected[: n + 1]))
    where = f" (in section {section[-1]!r})" if section else ""
    also = f"; its line endings were changed from LF to {endings} too" if endings else ""
    if n == min(len(lines), len(expected)):  # every line of the shorter one matches
        extent = "ends" if len(lines) < len(expected) else "goes on"
        return (
            f"the page {extent} after line {n}{where}, where the page the evidence renders to has "
            f"{len(expected)} lines{also}"
        )
    return f"line {n + 1}{where} differs from the page the evidence renders to{also}"


def _rerender(text: str, evidence: dict[str, object]) -> Check:
    from explain.report._html import render_html

    try:
        fresh = render_html(evidence)
    except (ExplainError, KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        return Check("rerender", False, f"the embedded evidence cannot be rendered: {type(exc).__name__}: {exc}")
    if fresh == text:
        return Check("rerender", True, "rendering the embedded evidence again gives the identical page")
    return Check("rerender", False, f"modified after generation: {_first_difference(text, fresh)}")


def html_checks(data: bytes, *, require_signature: bool) -> Found:
    """Run the checks of :mod:`._verify` on the bytes of an HTML page."""
    found = Found([])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        found.checks.append(Check("opens", False, f"the page is not UTF-8 text: {exc}"))
        return found
    found.checks.append(Check("opens", True, f"HTML page, {len(data):,} bytes"))
    meta = dict(_META.findall(text))
    embedded = _EMBEDDED.findall(text)
    if not embedded and "evidence-sha256" not in meta:
        found.checks.append(Check("report", False, "not an explain audit report: no embedded evidence"))
        return found
    found.checks.append(Check("report", True, "explain report page"))
    if len(embedded) != 1:
        found.checks.append(Check("attachment", False, f"{len(embedded)} embedded evidence elements (expected 1)"))
        return found
    found.checks.append(Check("attachment", True, f"embedded evidence, {len(embedded[0]):,} characters"))
    raw = embedded[0].encode("utf-8")
    evidence = evidence_checks(raw, found, escape=True)
    # the hash is of the canonical JSON itself, without the page's escape of "<"
    digest = sha256_hex(canonical_json(evidence) if evidence is not None else raw)
    header = _HEADER_HASH.search(text)
    found.checks.append(hash_check("cover_hash", "page header", header.group(1) if header else None, digest))
    found.checks.append(hash_check("metadata_hash", "evidence-sha256 meta tag", meta.get("evidence-sha256"), digest))
    if evidence is not None:
        found.checks.append(renderer_check(html.unescape(meta.get("generator", "")) or None, evidence, HTML_LIBRARIES))
        if found.checks[-1].passed:
            found.checks.append(_rerender(text, evidence))
    if require_signature:
        found.checks.append(Check("signature", False, "an HTML page cannot carry a signature, and one was required"))
    else:
        found.checks.append(Check("signature", True, "none: an HTML page carries no signature"))
    return Found(found.checks, evidence, digest, kind="html")
