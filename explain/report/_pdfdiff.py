"""Compare two PDFs object by object: what does one show or carry that the other does not?

:mod:`._verify` renders a report again from its evidence and compares the bytes. When they are
not identical, the file may still hold the same document: re-saved by another tool (objects
renumbered, streams recompressed), or with incremental updates appended (a signature). This module
walks both object graphs with ``pypdf``, from the catalog and the document info, and compares
what they hold: dictionaries key by key, arrays item by item, streams by their decoded data,
numbers, names and strings by value. Object numbers and the file layout do not count.

A few differences are allowed, and reported apart (:attr:`Comparison.allowed`); which depends on
the ``mode``:

- always: the modification date, in the document info and in the XMP metadata (which is
  compared by what it states, not how it is spelled: :mod:`._xmp`; a changed title is a change);
- ``"signed"`` (the file holds signatures): what signing adds, the producer (document info and
  XMP), signature fields in ``/AcroForm`` that hold a signature with their widgets on the pages
  (a visible one is named: its appearance is the signer's, not the evidence's), and, added to the
  catalog, ``/Perms``, ``/DSS`` (validation data), ``/Extensions`` and ``/Version`` (the PAdES
  extension and PDF 2.0 that pyHanko declares);
- ``"after_signature"`` (what follows the last signature's revision): more signatures (a document
  timestamp), validation data (``/DSS``) and the extensions they declare, never the producer.

An unsigned file allows nothing else: a producer or ``/DSS`` written into it is a change.
Everything else is a change (:attr:`Comparison.changes`), named by where it is (``page 3
/Contents``, ``catalog /Names /EmbeddedFiles``), as is an encryption dictionary the other file
lacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

# pypdf is the ``pdf`` extra: this module is imported only by :mod:`._verify_pdf`, after it is required
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    ByteStringObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

from explain.report._xmp import XmpError, xmp_changes

_XMP_DATES = frozenset({"xmp:ModifyDate", "xmp:MetadataDate"})

__all__ = ["Comparison", "Mode", "compare_pdfs"]

Mode = Literal["unsigned", "signed", "after_signature"]

_STREAM_ENCODING = frozenset({"/Length", "/Filter", "/DecodeParms", "/DL"})
_DATES = frozenset({"/ModDate"})
_SIGNING_INFO = frozenset({"/ModDate", "/Producer"})
_SIGNING_CATALOG = {"/Perms": "signature permissions", "/DSS": "validation data",
                    "/Extensions": "the PAdES extension", "/Version": "the PDF version signing needs"}  # fmt: skip


def _join(where: str, part: str) -> str:
    """``where`` + ``part``, keeping the start and the last steps of a long path readable."""
    steps = f"{where} {part}".replace(" [", "[").split(" ")
    return " ".join(steps) if len(steps) <= 6 else " ".join([steps[0], "...", *steps[-4:]])


@dataclass(frozen=True)
class Comparison:
    """What differs between a file and a fresh rendering: changes, and what signing adds."""

    changes: tuple[str, ...]
    allowed: tuple[str, ...]


def _ref(obj: Any) -> tuple[int, int] | None:
    return (obj.idnum, obj.generation) if isinstance(obj, IndirectObject) else None


def _leaf(obj: Any) -> tuple[str, Any]:
    if isinstance(obj, (NumberObject, FloatObject)) and not isinstance(obj, BooleanObject):
        return ("number", float(obj))
    if isinstance(obj, TextStringObject):
        return ("string", str(obj))  # the text: a re-saving tool may re-encode it (PDFDocEncoding, UTF-16)
    if isinstance(obj, ByteStringObject):
        return ("string", bytes(obj))
    if isinstance(obj, NameObject):
        return ("name", str(obj))
    return (type(obj).__name__, obj if isinstance(obj, (bool, BooleanObject)) else None)


def _invisible(annot: Any) -> bool:
    """The widget draws nothing on the page: a zero-area rectangle, or the Hidden / NoView flag."""
    rect = annot.get("/Rect")
    if rect is None:
        return True
    try:
        x0, y0, x1, y1 = (float(v) for v in rect.get_object())
        flags = int(annot.get("/F", 0))
    except (TypeError, ValueError):
        return False
    return abs(x1 - x0) * abs(y1 - y0) == 0 or bool(flags & (2 | 32))


def _signature_widget(annot: Any) -> str | None:
    """What signing may add to a page: the widget of a signature field that holds a signature,
    ``"invisible"`` or ``"visible"``; ``None`` for anything else. An empty signature field could
    draw anything over the report (an "approved" stamp over the verdict) with nobody's signature
    behind it, so it does not count as signing; a filled one's appearance is covered by its
    signature, and a visible one is named in the verdict."""
    annot = annot.get_object()
    field = annot
    for _ in range(8):  # a widget's field type may sit on its parent field
        if field.get("/FT") == "/Sig":
            if annot.get("/Subtype") != "/Widget" or "/V" not in field:
                return None
            return "invisible" if _invisible(annot) else "visible"
        if "/Parent" not in field:
            return None
        field = field["/Parent"].get_object()
    return None


def _signature_fields_only(acroform: Any) -> bool:
    fields = acroform.get_object().get("/Fields", [])
    return all(_signature_widget(f) is not None for f in fields.get_object())


class _Walk:
    def __init__(self, pages: dict[int, int], limit: int, budget: int, mode: Mode) -> None:
        self.pages, self.limit, self.budget, self.mode = pages, limit, budget, mode
        self.changes: list[str] = []
        self.allowed: set[str] = set()
        self.stack: list[tuple[Any, Any, str]] = []
        self.seen: set[tuple[Any, Any]] = set()

    def run(self) -> None:
        while self.stack and len(self.changes) < self.limit:
            self.budget -= 1
            if self.budget < 0:
                self.changes.append("too many objects to compare them all")
                return
            self.step(*self.stack.pop())

    def step(self, new_raw: Any, old_raw: Any, where: str) -> None:
        refs = (_ref(new_raw), _ref(old_raw))
        if refs != (None, None):
            if refs in self.seen:
                return
            self.seen.add(refs)
            if refs[0] is not None and refs[0][0] in self.pages:
                where = f"page {self.pages[refs[0][0]] + 1}"
        new, old = new_raw.get_object(), old_raw.get_object()
        if isinstance(new, DictionaryObject) and isinstance(old, DictionaryObject):
            if isinstance(new, StreamObject) != isinstance(old, StreamObject):
                self.changes.append(f"{where}: a stream replaced by a dictionary, or the reverse")
                return
            if isinstance(new, StreamObject) and isinstance(old, StreamObject) and new.get_data() != old.get_data():
                self.changes.append(f"{where}: the stream's data")
                return
            self.dictionaries(new, old, where, isinstance(new, StreamObject))
        elif isinstance(new, ArrayObject) and isinstance(old, ArrayObject):
            if len(new) != len(old):
                self.changes.append(f"{where}: {len(old)} items became {len(new)}")
                return
            self.stack.extend((a, b, _join(where, f"[{i}]")) for i, (a, b) in enumerate(zip(new, old, strict=True)))
        elif _leaf(new) != _leaf(old):
            self.changes.append(f"{where}: {str(old)[:40]!r} became {str(new)[:40]!r}")

    def dictionaries(self, new: Any, old: Any, where: str, stream: bool) -> None:
        for key in sorted(set(new) | set(old)):
            if stream and key in _STREAM_ENCODING:
                continue
            if where == "document info" and key in self.info_allowed():
                if key not in new or key not in old or new[key] != old[key]:
                    what = "modification date" if key in _DATES else "producer"
                    self.allowed.add(f"the document info's {what} was set")
                continue
            if key in new and key in old:
                if where == "catalog" and key == "/Metadata":
                    self.metadata(new[key].get_object(), old[key].get_object())
                    continue
                if where == "catalog" and key == "/DSS" and self.mode != "unsigned":
                    self.allowed.add("the catalog's /DSS was updated (validation data)")
                    continue
                if where.startswith("page ") and key == "/Annots":
                    self.annotations(new[key].get_object(), old[key].get_object(), where)
                    continue
                # raw_get: pypdf's [] resolves references, and the walk needs them to know an object again
                self.stack.append((new.raw_get(key), old.raw_get(key), _join(where, key)))
            elif not self.allowed_difference(new, key, where):
                self.changes.append(f"{where}: {key} {'added' if key in new else 'removed'}")

    def info_allowed(self) -> frozenset[str]:
        return _SIGNING_INFO if self.mode == "signed" else _DATES

    def metadata(self, new: Any, old: Any) -> None:
        """The XMP packets state the same, besides what signing updates (:mod:`._xmp`)."""
        if not isinstance(new, StreamObject) or not isinstance(old, StreamObject):
            self.changes.append("catalog /Metadata: not a stream")
            return
        new_data, old_data = new.get_data(), old.get_data()
        if new_data == old_data:
            return
        try:
            changed, signing = xmp_changes(new_data, old_data)
        except XmpError as exc:
            self.changes.append(f"catalog /Metadata: {exc}")
            return
        if self.mode != "signed":
            changed += [name for name in signing if name.split("/")[0] not in _XMP_DATES]
            signing = [name for name in signing if name.split("/")[0] in _XMP_DATES]
        if changed:
            self.changes.append(f"catalog /Metadata: the XMP metadata's {', '.join(changed[:6])} changed")
        elif signing:
            self.allowed.add(f"the XMP metadata's {', '.join(signing)} {'was' if len(signing) == 1 else 'were'} set")
        else:
            self.allowed.add("the XMP metadata was written again, stating the same")

    def allowed_difference(self, new: Any, key: str, where: str) -> bool:
        if key not in new or self.mode == "unsigned":
            return False
        if where == "catalog" and key in _SIGNING_CATALOG:
            self.allowed.add(f"the catalog's {key} was added ({_SIGNING_CATALOG[key]})")
            return True
        if where == "catalog" and key == "/AcroForm" and _signature_fields_only(new[key]):
            self.allowed.add("signature fields were added")
            return True
        if where.startswith("page ") and key == "/Annots":
            self.annotations(new[key].get_object(), ArrayObject(), where)
            return True
        return False

    def annotations(self, new: Any, old: Any, where: str) -> None:
        def split(annots: Any) -> tuple[list[Any], list[str]]:
            kinds = [None if self.mode == "unsigned" else _signature_widget(a) for a in annots]
            return [a for a, k in zip(annots, kinds, strict=True) if k is None], [k for k in kinds if k]

        kept, signed = split(new)
        kept_old, signed_old = split(old)
        if signed.count("invisible") > signed_old.count("invisible"):
            self.allowed.add(f"a signature widget was added to {where}")
        if signed.count("visible") > signed_old.count("visible"):
            self.allowed.add(f"a visible signature appearance was added to {where}, drawn by its signer")
        if len(kept) != len(kept_old):
            what = "annotations" if self.mode == "unsigned" else "annotations besides filled signature fields"
            self.changes.append(f"{where} /Annots: {len(kept_old)} {what} became {len(kept)}")
            return
        self.stack.extend((a, b, f"{where} /Annots[{i}]") for i, (a, b) in enumerate(zip(kept, kept_old, strict=True)))


def compare_pdfs(new: Any, old: Any, *, mode: Mode = "unsigned", limit: int = 8, budget: int = 200_000) -> Comparison:
    """Compare two ``pypdf.PdfReader`` documents object by object (see the module docstring).

    Parameters
    ----------
    new, old : pypdf.PdfReader
        The file checked and the document it should hold (a fresh rendering, or the revision the
        last signature covers).
    mode : {"unsigned", "signed", "after_signature"}
        Which differences are allowed (see the module docstring).
    limit : int
        Stop after this many changes.
    budget : int
        Stop after comparing this many objects (reported as a change): a hostile file cannot make
        the walk run for ever.

    Returns
    -------
    Comparison
        Empty ``changes`` when both hold the same document.
    """
    pages = {p.indirect_reference.idnum: i for i, p in enumerate(new.pages) if p.indirect_reference is not None}
    walk = _Walk(pages, limit, budget, mode)
    if ("/Encrypt" in new.trailer) != ("/Encrypt" in old.trailer):
        how = "added" if "/Encrypt" in new.trailer else "removed"
        walk.changes.append(f"trailer: an encryption dictionary was {how} (passwords or permissions)")
    walk.stack.append((new.trailer.get("/Info", _null()), old.trailer.get("/Info", _null()), "document info"))
    walk.stack.append((new.trailer["/Root"], old.trailer["/Root"], "catalog"))
    walk.run()
    return Comparison(tuple(walk.changes), tuple(sorted(walk.allowed)))


def _null() -> Any:
    return DictionaryObject()
