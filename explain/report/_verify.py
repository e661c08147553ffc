"""Check an audit PDF later: is the attached evidence the evidence the pages show?

:func:`verify_pdf` reads the PDF with ``pypdf`` (the ``pdf`` extra) and runs, in order:

``opens``
    The file is a PDF that ``pypdf`` can read.
``attachment``
    ``evidence.json`` is attached as a PDF/A-3 associated file with relationship ``Data``.
``canonical``
    Its bytes are canonical JSON: re-encoding the parsed document gives the same bytes, so the
    hash below is the hash of the evidence, not of one of its many spellings.
``cover_hash``
    Its SHA-256 equals the "Evidence SHA-256" printed on the cover.
``metadata_hash``
    Its SHA-256 equals the ``evidence-sha256:`` keyword of the document metadata.
``rerender``
    Rendering the attached evidence again, with the file's own timestamp, gives the file's bytes:
    the pages show exactly that evidence (an edited number, word or chart is found here). Needs
    the same ``explain`` and ``typst`` versions that wrote the file (the ``generator:`` keyword);
    otherwise the check is skipped, with the reason, and the others still run.

A check that cannot run because an earlier one failed is reported as skipped (``passed`` is
``None``). The file verifies (``ok``) when no check failed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

from explain.errors import ExplainError, require
from explain.report._evidence import canonical_json, sha256_hex

__all__ = ["Check", "VerifyResult", "verify_pdf"]

_ATTACHMENT = "evidence.json"
_COVER_HASH = re.compile(r"Evidence SHA-256\s*([0-9a-f]{64})")
_PDF_DATE = re.compile(r"D:(\d{14})(Z|[+-]\d{2}'?\d{2}'?)?")


class Check(NamedTuple):
    """One check: its name, ``True``/``False`` (passed/failed) or ``None`` (skipped), and why."""

    name: str
    passed: bool | None
    detail: str


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of :func:`verify_pdf`.

    Attributes
    ----------
    ok : bool
        No check failed (skipped checks do not count against it).
    checks : tuple of Check
        Every check in the order run, as ``(name, passed, detail)``.
    evidence_sha256 : str or None
        SHA-256 of the attached evidence bytes, if they were found.
    evidence : dict or None
        The attached evidence, if it was found and parsed.
    """

    ok: bool
    checks: tuple[Check, ...]
    evidence_sha256: str | None
    evidence: dict[str, Any] | None

    def failed(self) -> list[Check]:
        """The checks that failed."""
        return [c for c in self.checks if c.passed is False]


def _find_attachment(reader: Any) -> tuple[bytes | None, str]:
    """The attached evidence bytes (or ``None``) and what was found about its relationship."""
    root = reader.trailer["/Root"]
    tree = root.get("/Names", {}).get("/EmbeddedFiles")
    stack, found = [tree.get_object()] if tree is not None else [], None
    while stack and found is None:
        node = stack.pop()
        names = node.get("/Names", [])
        for key, spec in zip(names[::2], names[1::2], strict=True):
            if str(key) == _ATTACHMENT:
                found = spec.get_object()
        stack += [kid.get_object() for kid in node.get("/Kids", [])]
    if found is None:
        return None, f"no attached file named {_ATTACHMENT}"
    data = found["/EF"]["/F"].get_object().get_data()
    relationship = str(found.get("/AFRelationship", "none"))
    associated = any(spec.get_object() == found for spec in root.get("/AF", []))
    if relationship != "/Data" or not associated:
        where = "listed" if associated else "not listed"
        return data, f"relationship is {relationship} (expected /Data), {where} in the catalog's /AF"
    return data, ""


def _keywords(reader: Any) -> dict[str, str]:
    raw = str((reader.metadata or {}).get("/Keywords", ""))
    pairs = (k.strip().split(":", 1) for k in raw.split(","))
    return {p[0]: p[1] for p in pairs if len(p) == 2}


def _timestamp(reader: Any) -> datetime | None:
    match = _PDF_DATE.match(str((reader.metadata or {}).get("/CreationDate", "")))
    if not match:
        return None
    when = datetime.strptime(match.group(1), "%Y%m%d%H%M%S")
    offset = (match.group(2) or "Z").replace("'", "")
    if offset == "Z":
        return when.replace(tzinfo=timezone.utc)
    return datetime.strptime(match.group(1) + offset, "%Y%m%d%H%M%S%z").astimezone(timezone.utc)


def _rerender(path: Path, reader: Any, evidence: dict[str, Any], pypdf: Any) -> Check:
    from explain.errors import MissingDependencyError

    try:
        from explain.report._pdf import generator, render_pdf_bytes

        current = generator()
    except MissingDependencyError as exc:
        return Check("rerender", None, f"skipped: {exc}")
    written = _keywords(reader).get("generator")
    if written != current:
        return Check("rerender", None, f"skipped: the file was written by {written}, this is {current}")
    stamp = _timestamp(reader)
    if stamp is None:
        return Check("rerender", False, "the document has no creation date to render it again with")
    try:
        again = render_pdf_bytes(evidence, timestamp=stamp)
    except (ExplainError, KeyError, TypeError, ValueError) as exc:
        return Check("rerender", False, f"the attached evidence cannot be rendered: {exc}")
    if again == path.read_bytes():
        return Check("rerender", True, f"rendering the attached evidence again gives identical bytes ({current})")
    import io

    fresh = pypdf.PdfReader(io.BytesIO(again))
    pages = [p.extract_text() for p in reader.pages]
    expected = [p.extract_text() for p in fresh.pages]
    differing = [str(i + 1) for i, (a, b) in enumerate(zip(pages, expected, strict=False)) if a != b]
    where = (
        f"the text of page(s) {', '.join(differing)} differs from the attached evidence"
        if differing or len(pages) != len(expected)
        else "the text is the same but the bytes differ (layout, images or structure were changed)"
    )
    return Check("rerender", False, f"the pages do not show the attached evidence: {where}")


def verify_pdf(path: str | Path) -> VerifyResult:
    """Check that an audit PDF carries its evidence and shows exactly that evidence.

    Parameters
    ----------
    path : str or Path
        The PDF written by :func:`explain.report._pdf.render_pdf`.

    Returns
    -------
    VerifyResult
        ``ok``, the checks run (see the module docstring), and the attached evidence.

    Raises
    ------
    MissingDependencyError
        If ``pypdf`` (the ``pdf`` extra) is not installed.
    """
    pypdf: Any = require("pypdf", extra="pdf", purpose="Verifying an audit PDF")
    path = Path(path)
    checks: list[Check] = []

    def done(digest: str | None = None, evidence: dict[str, Any] | None = None) -> VerifyResult:
        names = ("opens", "attachment", "canonical", "cover_hash", "metadata_hash", "rerender")
        ran = {c.name for c in checks}
        checks.extend(Check(n, None, "skipped: an earlier check failed") for n in names if n not in ran)
        return VerifyResult(all(c.passed is not False for c in checks), tuple(checks), digest, evidence)

    try:
        reader = pypdf.PdfReader(path)
        pages = len(reader.pages)
    except (OSError, pypdf.errors.PyPdfError, ValueError, KeyError) as exc:
        checks.append(Check("opens", False, f"{path} cannot be read as a PDF: {exc}"))
        return done()
    checks.append(Check("opens", True, f"{pages} pages"))
    data, problem = _find_attachment(reader)
    if data is None:
        checks.append(Check("attachment", False, problem))
        return done()
    checks.append(Check("attachment", not problem, problem or f"{_ATTACHMENT}, {len(data):,} bytes, relationship Data"))
    digest = sha256_hex(data)
    try:
        evidence = json.loads(data)
        canonical = canonical_json(evidence) == data
        detail = "canonical JSON" if canonical else "valid JSON, but not canonical: it was edited or re-encoded"
    except (ValueError, TypeError) as exc:
        evidence, canonical, detail = None, False, f"not valid JSON: {exc}"
    checks.append(Check("canonical", canonical, detail))
    cover = _COVER_HASH.search(reader.pages[0].extract_text() if pages else "")
    if cover is None:
        checks.append(Check("cover_hash", False, "no Evidence SHA-256 found on the cover"))
    else:
        same = cover.group(1) == digest
        detail = f"cover shows {cover.group(1)}" + ("" if same else f", the attached evidence hashes to {digest}")
        checks.append(Check("cover_hash", same, detail))
    keyword = _keywords(reader).get("evidence-sha256")
    same = keyword == digest
    if keyword is None:
        detail = "no evidence-sha256 keyword in the document metadata"
    else:
        detail = f"keywords show {keyword}" + ("" if same else f", the attached evidence hashes to {digest}")
    checks.append(Check("metadata_hash", same, detail))
    if isinstance(evidence, dict) and canonical:
        checks.append(_rerender(path, reader, evidence, pypdf))
    return done(digest, evidence if isinstance(evidence, dict) else None)
