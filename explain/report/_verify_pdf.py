"""The checks of an audit PDF (what they mean: :mod:`._verify`).

Every read of the file goes through ``pypdf`` (and pyHanko for signatures), inside a guard: a
damaged or hostile file gives a failed check with the reason, never an exception. The guard
catches broadly on purpose: this is the trust boundary, and a parser of hostile bytes can raise
anything (``KeyError``, ``RecursionError``, ``zlib.error``...).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from explain.errors import ExplainError, MissingDependencyError, require
from explain.report._evidence import sha256_hex
from explain.report._renderer import PDF_LIBRARIES
from explain.report._verify import Check, Found, evidence_checks, hash_check, renderer_check

__all__ = ["NAMES", "pdf_checks"]

NAMES = ("opens", "report", "attachment", "canonical", "cover_hash", "metadata_hash", "renderer", "rerender",
         "signature")  # fmt: skip
_ATTACHMENT = "evidence.json"
_COVER_HASH = re.compile(r"Evidence SHA-256\s*([0-9a-f]{64})")
_PDF_DATE = re.compile(r"D:(\d{14})(Z|[+-]\d{2}'?\d{2}'?)?")
_MAX_NODES = 10_000


def _why(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def _name_tree(root: Any) -> tuple[list[Any], str]:
    """Every file specification named ``evidence.json`` in the EmbeddedFiles name tree, and any problem."""
    names = root.get("/Names")
    tree = names.get_object().get("/EmbeddedFiles") if names is not None else None
    if tree is None:
        return [], ""
    found: list[Any] = []
    stack: list[Any] = [tree]
    seen: set[int | None] = set()
    while stack:
        ref = stack.pop()
        key = getattr(ref, "idnum", None)
        if key in seen or len(seen) > _MAX_NODES:
            return found, "the EmbeddedFiles name tree loops or is too large"
        if key is not None:
            seen.add(key)
        node = ref.get_object()
        pairs = node.get("/Names", [])
        if len(pairs) % 2:
            return found, f"the EmbeddedFiles /Names array has an odd length ({len(pairs)}): it is malformed"
        found += [spec.get_object() for key_, spec in zip(pairs[::2], pairs[1::2], strict=True)
                  if str(key_) == _ATTACHMENT]  # fmt: skip
        stack += list(node.get("/Kids", []))
    return found, ""


def _attachment(reader: Any, found: Found) -> bytes | None:
    root = reader.trailer["/Root"]
    specs, problem = _name_tree(root)
    if problem or len(specs) != 1:
        count = f"{len(specs)} files named {_ATTACHMENT}" if specs else f"no attached file named {_ATTACHMENT}"
        found.checks.append(Check("attachment", False, problem or count))
        return None
    spec = specs[0]
    ef = spec.get("/EF")
    if ef is None or "/F" not in ef.get_object():
        found.checks.append(Check("attachment", False, f"the file specification of {_ATTACHMENT} has no /EF /F"))
        return None
    data = ef.get_object()["/F"].get_object().get_data()
    relationship = str(spec.get("/AFRelationship", "none"))
    associated = any(s.get_object() == spec for s in root.get("/AF", []))
    if relationship != "/Data" or not associated:
        # say only what is wrong: the relationship, the catalog's /AF, or both
        shown = relationship.lstrip("/") if relationship != "none" else "missing"
        if relationship == "/Data":
            detail = "relationship Data, but not listed in the catalog's /AF (an associated file must be)"
        else:
            where = "listed in the catalog's /AF" if associated else "and not listed in the catalog's /AF either"
            detail = f"relationship {shown}, where an evidence file is Data ({where})"
        found.checks.append(Check("attachment", False, detail))
        return data
    found.checks.append(Check("attachment", True, f"{_ATTACHMENT}, {len(data):,} bytes, relationship Data"))
    return data


def _keywords(reader: Any) -> dict[str, str]:
    raw = str((reader.metadata or {}).get("/Keywords", ""))
    pairs = (k.strip().split(":", 1) for k in raw.split(","))
    return {p[0]: p[1] for p in pairs if len(p) == 2}


def _timestamp(evidence: dict[str, Any], reader: Any) -> tuple[datetime | None, str]:
    """The date to render with: the evidence's ``generated_at`` (hashed), else the file's creation date."""
    from explain.report._pdf import pdf_timestamp

    stamp = (evidence.get("report") or {}).get("generated_at")
    if isinstance(stamp, str):
        try:
            return pdf_timestamp(datetime.fromisoformat(stamp.replace("Z", "+00:00"))), "the evidence's generated_at"
        except ValueError:
            pass
    match = _PDF_DATE.match(str((reader.metadata or {}).get("/CreationDate", "")))
    if not match:
        return None, ""
    offset = (match.group(2) or "Z").replace("'", "").replace("Z", "+0000")
    when = datetime.strptime(match.group(1) + offset, "%Y%m%d%H%M%S%z").astimezone(timezone.utc)
    return when, "the file's creation date (the evidence records none)"


def _text_diff(reader: Any, fresh: Any) -> str:
    try:
        pages = [p.extract_text() for p in reader.pages]
        expected = [p.extract_text() for p in fresh.pages]
    except Exception as exc:  # the file's pages cannot be read: say so, the verdict stands
        return f"; its page text cannot be read ({_why(exc)})"
    if len(pages) != len(expected):
        return f"; it has {len(pages)} pages, the evidence renders to {len(expected)}"
    differing = [str(i + 1) for i, (a, b) in enumerate(zip(pages, expected, strict=True)) if a != b]
    return f"; the text of page(s) {', '.join(differing)} differs from the evidence" if differing else ""


def _last_signed_revision_end(reader: Any, size: int) -> int | None:
    """Where the revision the last signature covers ends (its ``/ByteRange``), or ``None`` when
    no signature field holds a signature. A byte range that is not four numbers inside the file
    counts as covering nothing (the signature check then fails on it)."""
    from explain.report._signature import signature_fields

    ends: list[int] = []
    for node in signature_fields(reader):
        span = node["/V"].get_object().get("/ByteRange")
        try:
            a, b, c, d = (int(v) for v in span.get_object())
        except (AttributeError, TypeError, ValueError):
            ends.append(0)
            continue
        ends.append(c + d if 0 <= a <= b <= c and c + d <= size else 0)
    return max(ends) if ends else None


def _rerender(data: bytes, reader: Any, evidence: dict[str, Any], pypdf: Any) -> Check:
    from explain.report._pdf import render_pdf_bytes
    from explain.report._pdfdiff import compare_pdfs

    stamp, source = _timestamp(evidence, reader)
    if stamp is None:
        return Check("rerender", False, "neither the evidence nor the file gives a date to render the file with")
    try:
        fresh = render_pdf_bytes(evidence, timestamp=stamp)
    except MissingDependencyError as exc:
        return Check("rerender", None, str(exc))
    except (ExplainError, KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        return Check("rerender", False, f"the attached evidence cannot be rendered: {_why(exc)}")
    if fresh == data:
        return Check("rerender", True, f"rendering the evidence again (dated from {source}) gives identical bytes")
    fresh_reader = pypdf.PdfReader(io.BytesIO(fresh))
    try:
        signed_end = _last_signed_revision_end(reader, len(data))
        comparison = compare_pdfs(reader, fresh_reader, mode="unsigned" if signed_end is None else "signed")
        after = None
        if not comparison.changes and signed_end is not None and signed_end < len(data):
            # what follows the last signature's revision may only add signatures and validation data
            after = compare_pdfs(reader, pypdf.PdfReader(io.BytesIO(data[:signed_end])), mode="after_signature")
    except Exception as exc:  # hostile objects: the file is not what the evidence renders to
        return Check("rerender", False, f"modified after generation: its objects cannot be read ({_why(exc)})")
    if comparison.changes:
        changed = "; ".join(comparison.changes[:5])
        return Check("rerender", False, f"modified after generation: {changed}{_text_diff(reader, fresh_reader)}")
    if after is not None and after.changes:
        changed = "; ".join(after.changes[:5])
        return Check("rerender", False, f"modified after the last signature: {changed}")
    how = (f"the generated file followed by incremental updates ({len(data) - len(fresh):,} bytes)"
           if data.startswith(fresh) else "re-saved: other file layout, same objects")  # fmt: skip
    extra = f"; {', '.join(comparison.allowed)}" if comparison.allowed else ""
    return Check("rerender", True, f"the same document as the evidence rendered again, {how}{extra}")


def _signature(data: bytes, reader: Any, trust: Sequence[str | Path], required: bool) -> tuple[Check, tuple[Any, ...]]:
    from explain.report._signature import has_signatures, read_signatures

    try:
        signed = has_signatures(reader)
    except Exception as exc:
        return Check("signature", False, f"the form fields cannot be read: {_why(exc)}"), ()
    if not signed:
        if required:
            return Check("signature", False, "the file is not signed, and a signature was required"), ()
        return Check("signature", True, "none: the file is not signed"), ()
    try:
        signatures = read_signatures(data, trust)
    except MissingDependencyError as exc:
        return Check("signature", None, f"the file is signed; {exc}"), ()
    except ExplainError:
        raise  # an unreadable trust certificate: the caller's mistake, not the file's
    except Exception as exc:
        return Check("signature", False, f"the signatures cannot be read: {_why(exc)}"), ()
    if not signatures:
        return Check("signature", False, "a signature field holds no signature pyHanko can read"), ()
    bad = [s.detail for s in signatures if not s.ok]
    return Check("signature", not bad, "; ".join(bad or [s.detail for s in signatures])), signatures


def _evidence_part(reader: Any, found: Found) -> tuple[dict[str, Any] | None, str | None]:
    data = _attachment(reader, found)
    if data is None:
        return None, None
    digest = sha256_hex(data)
    evidence = evidence_checks(data, found)
    try:
        cover = _COVER_HASH.search(reader.pages[0].extract_text() if len(reader.pages) else "")
    except Exception as exc:
        found.checks.append(Check("cover_hash", False, f"the cover's text cannot be read: {_why(exc)}"))
        cover = None
    else:
        found.checks.append(hash_check("cover_hash", "cover", cover.group(1) if cover else None, digest))
    keyword = _keywords(reader).get("evidence-sha256")
    found.checks.append(hash_check("metadata_hash", "metadata keywords", keyword, digest))
    return evidence, digest


def pdf_checks(data: bytes, *, trust: Sequence[str | Path], require_signature: bool) -> Found:
    """Run the checks of :mod:`._verify` on the bytes of a PDF."""
    pypdf: Any = require("pypdf", extra="pdf", purpose="Verifying an audit PDF")
    found = Found([])
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        pages = len(reader.pages)
        keywords = _keywords(reader)
        reader.trailer["/Root"].get_object()
    except Exception as exc:
        found.checks.append(Check("opens", False, f"the file cannot be read as a PDF: {_why(exc)}"))
        return found
    found.checks.append(Check("opens", True, f"{pages} pages"))
    markers = [k for k in ("evidence-sha256", "generator") if k in keywords]
    try:
        evidence, digest = _evidence_part(reader, found)
    except Exception as exc:
        found.checks.append(Check("attachment", False, f"the attachments cannot be read: {_why(exc)}"))
        evidence, digest = None, None
    attached = any(c.name == "attachment" and "no attached file" not in c.detail for c in found.checks)
    if not markers and not attached:
        return Found([found.checks[0], Check("report", False, "not an explain audit report: no evidence.json "
                                             "attached and no explain keywords in the metadata")])  # fmt: skip
    found.checks.insert(1, Check("report", True, f"explain report (keywords: {', '.join(markers) or 'none'})"))
    if evidence is not None:
        found.checks.append(renderer_check(keywords.get("generator"), evidence, PDF_LIBRARIES))
        if found.checks[-1].passed:
            found.checks.append(_rerender(data, reader, evidence, pypdf))
    check, signatures = _signature(data, reader, trust, require_signature)
    found.checks.append(check)
    return Found(found.checks, evidence, digest, signatures)
