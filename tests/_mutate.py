"""Hostile variants of a saved JSON document, for fuzzing the loaders with hypothesis.

A mutation picks a node of the document (an object member, a list item or the root) and
replaces it, deletes it, duplicates it or wraps it; or edits the bytes of the file. Values JSON
cannot spell from Python (``1e400``, ``NaN``, 400-digit integers, 100 000 nested lists, lone
surrogates) go in as placeholders that are swapped for raw text after ``json.dumps``.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import strategies as st

RAW = {
    "@@inf@@": "1e400",
    "@@ninf@@": "-1e400",
    "@@nan@@": "NaN",
    "@@infinity@@": "Infinity",
    "@@bigint@@": "1" + "0" * 400,
    "@@hugeint@@": "9" * 5000,
    "@@deep@@": "[" * 100_000 + "]" * 100_000,
    "@@deepobj@@": '{"a":' * 3000 + "1" + "}" * 3000,
    "@@surrogate@@": '"\\ud800"',
}
HOSTILE = [
    *RAW,
    None, True, False, 0, -1, 1.5, -0.0, 2**63, 10**30, 1e308, -1e308, 5e-324, "", "x", "0.5", "numeric",
    [], {}, [[]], [1, "a"], [[1, 2], [3]], [[1.0, 2.0]], [None], {"a": 1}, [[[[[[1]]]]]], list(range(50)),
]  # fmt: skip


def _nodes(obj: Any, path: tuple = ()) -> list[tuple]:
    out = [path]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _nodes(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj[:6]):  # a few items of each list: the rest are alike
            out += _nodes(v, (*path, i))
    return out


def _apply(doc: Any, path: tuple, action: str, value: Any) -> Any:
    if not path:
        return value if action == "replace" else [doc] if action == "wrap" else doc
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if action == "replace":
        parent[key] = value
    elif action == "delete":
        del parent[key]
    elif action == "wrap":
        parent[key] = [parent[key]]
    elif action == "duplicate" and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[key]))
    elif action == "negate" and isinstance(parent[key], (int, float)) and not isinstance(parent[key], bool):
        parent[key] = -parent[key] * 1e300
    return doc


@st.composite
def mutated(draw: st.DrawFn, documents: list[Any]) -> bytes:
    """The bytes of a damaged copy of one of ``documents`` (one to three edits)."""
    doc = copy.deepcopy(draw(st.sampled_from(documents)))
    for _ in range(draw(st.integers(1, 3))):
        nodes = _nodes(doc)
        path = draw(st.sampled_from(nodes))
        action = draw(st.sampled_from(["replace", "replace", "replace", "delete", "wrap", "duplicate", "negate"]))
        doc = _apply(doc, path, action, copy.deepcopy(draw(st.sampled_from(HOSTILE))))
    text = json.dumps(doc)
    for placeholder, raw in RAW.items():
        text = text.replace(json.dumps(placeholder), raw)
    data = text.encode()
    if draw(st.booleans()) and draw(st.booleans()):  # a quarter: damage the bytes too
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        edit = draw(st.sampled_from(["truncate", "flip", "insert"]))
        if edit == "truncate":
            data = data[:at]
        elif edit == "flip":
            data = data[:at] + bytes([data[at] ^ (1 << draw(st.integers(0, 7)))]) + data[at + 1 :]
        else:
            data = data[:at] + draw(st.sampled_from([b"[", b"{", b'"', b"\xff", b"\x00", b"1e999"])) + data[at:]
    return data
