"""What an XMP metadata packet says, independent of how it is written.

A PDF's XMP packet (the catalog's ``/Metadata``) holds the title, author, keywords and dates that
viewers show. Tools that sign a PDF write it again in another RDF/XML form (properties as
attributes instead of elements, ``rdf:parseType="Resource"`` instead of a nested
``rdf:Description``) and update its modification date and producer. :func:`xmp_properties` reads a
packet into what it states: a sorted tuple of ``(path, value)`` pairs, where a path is the
properties (and array positions, and language tags) from the packet's root to a value. Two packets
that state the same things give the same tuple, whatever their spelling.

:func:`xmp_changes` compares two packets and names the properties that differ, leaving out those a
signing tool updates (:data:`SIGNING_PROPERTIES`). A packet that declares a DTD or entities is
refused (XML entity expansion is an attack, and XMP never needs one), as is one over
:data:`MAX_BYTES` or one that is not XML: it states nothing that can be compared, so any change to
it counts.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter

__all__ = ["MAX_BYTES", "SIGNING_PROPERTIES", "XmpError", "xmp_changes", "xmp_properties"]

MAX_BYTES = 4_000_000
_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_XML = "{http://www.w3.org/XML/1998/namespace}"
_CONTAINERS = frozenset({_RDF + "Seq", _RDF + "Bag", _RDF + "Alt"})
_SYNTAX_ATTRIBUTES = frozenset({_RDF + "about", _RDF + "parseType", _RDF + "ID", _RDF + "nodeID", _XML + "lang"})
_PREFIXES = {
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://ns.adobe.com/xap/1.0/": "xmp",
    "http://ns.adobe.com/pdf/1.3/": "pdf",
    "http://ns.adobe.com/xap/1.0/mm/": "xmpMM",
    "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#": "stEvt",
    "http://www.aiim.org/pdfa/ns/id/": "pdfaid",
    "http://www.aiim.org/pdfua/ns/id/": "pdfuaid",
    "http://ns.adobe.com/xap/1.0/t/pg/": "xmpTPg",
    "http://www.aiim.org/pdfa/ns/extension/": "pdfaExtension",
    "http://www.aiim.org/pdfa/ns/schema#": "pdfaSchema",
    "http://www.aiim.org/pdfa/ns/property#": "pdfaProperty",
}
SIGNING_PROPERTIES = frozenset({"xmp:ModifyDate", "xmp:MetadataDate", "pdf:Producer"})
"""What a signing tool updates in the XMP packet: the modification dates and the producer."""
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_MAX_DEPTH = 64

Path = tuple[str, ...]


class XmpError(ValueError):
    """The packet cannot be read as XMP (not XML, a DTD, too large or too deep)."""


def _name(tag: str) -> str:
    """``{http://purl.org/dc/elements/1.1/}title`` -> ``dc:title`` (the namespace itself when unknown)."""
    if tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
        return f"{_PREFIXES.get(uri, uri)}:{local}"
    return tag


def _node(element: ET.Element, path: Path, out: list[tuple[Path, str]], depth: int) -> None:
    """The properties of a node element (``rdf:Description``, a typed node, or a property element
    with ``rdf:parseType="Resource"`` or abbreviated properties): its attributes and children."""
    if depth > _MAX_DEPTH:
        raise XmpError("the XMP packet is nested too deeply")
    for attribute, value in sorted(element.attrib.items()):
        if attribute not in _SYNTAX_ATTRIBUTES:
            out.append(((*path, _name(attribute)), value))
    for child in element:
        _property(child, (*path, _name(child.tag)), out, depth + 1)


def _property(element: ET.Element, path: Path, out: list[tuple[Path, str]], depth: int) -> None:
    """The value of a property element (or an ``rdf:li``) at ``path``."""
    if depth > _MAX_DEPTH:
        raise XmpError("the XMP packet is nested too deeply")
    lang = element.get(_XML + "lang")
    if lang is not None:
        path = (*path, f"@{lang}")
    resource = element.get(_RDF + "resource")
    children = list(element)
    if resource is not None:
        out.append((path, resource))
    elif element.get(_RDF + "parseType") == "Resource":
        _node(element, path, out, depth)
    elif children:
        for child in children:
            if child.tag in _CONTAINERS:
                items = [li for li in child if li.tag == _RDF + "li"]
                out.append(((*path, _name(child.tag)), str(len(items))))
                for i, item in enumerate(items):
                    _property(item, (*path, f"[{i}]"), out, depth + 1)
            else:  # a nested rdf:Description, or a typed node: a structure
                _node(child, path, out, depth + 1)
    elif any(a not in _SYNTAX_ATTRIBUTES for a in element.attrib):
        _node(element, path, out, depth)  # a structure written as attributes of the property
    else:
        out.append((path, element.text or ""))


def xmp_properties(packet: bytes) -> tuple[tuple[Path, str], ...]:
    """What an XMP packet states: sorted ``(path, value)`` pairs.

    Raises
    ------
    XmpError
        If the packet is too large, declares a DTD or entities, or is not XML.

    Examples
    --------
    >>> a = b'''<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
    ... <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/"><pdf:Producer>Typst</pdf:Producer>
    ... </rdf:Description></rdf:RDF></x:xmpmeta>'''
    >>> b = b'''<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
    ... <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/" pdf:Producer="Typst"/></rdf:RDF>
    ... </x:xmpmeta>'''
    >>> xmp_properties(a) == xmp_properties(b) == ((("pdf:Producer",), "Typst"),)
    True
    """
    if len(packet) > MAX_BYTES:
        raise XmpError(f"the XMP packet has {len(packet):,} bytes (at most {MAX_BYTES:,} are read)")
    if _DTD.search(packet):
        raise XmpError("the XMP packet declares a DTD or entities, which XMP never needs")
    try:
        root = ET.fromstring(packet)
    except (ET.ParseError, ValueError) as exc:
        raise XmpError(f"the XMP packet is not XML: {exc}") from None
    rdf = root if root.tag == _RDF + "RDF" else root.find(_RDF + "RDF")
    if rdf is None:
        raise XmpError("the XMP packet has no rdf:RDF element")
    out: list[tuple[Path, str]] = []
    for description in rdf:
        _node(description, (), out, 0)
    return tuple(sorted(out))


def xmp_changes(new: bytes, old: bytes) -> tuple[list[str], list[str]]:
    """The properties whose values differ between two packets: those besides
    :data:`SIGNING_PROPERTIES`, and those among them.

    Raises
    ------
    XmpError
        If either packet cannot be read (see :func:`xmp_properties`).
    """
    ours, theirs = Counter(xmp_properties(new)), Counter(xmp_properties(old))
    differing = (ours - theirs) + (theirs - ours)
    named = sorted({"/".join(p for p in path if not p.startswith(("[", "@", "rdf:"))) for path, _ in differing})
    signing = [n for n in named if n.split("/")[0] in SIGNING_PROPERTIES]
    return [n for n in named if n.split("/")[0] not in SIGNING_PROPERTIES], signing
