"""Reading JSON that someone else wrote: plain data or a :class:`~explain.errors.SchemaError`.

A saved explanation or audit evidence may come from anywhere, so the reader bounds what it
accepts before anything else looks at it: a file size, a nesting depth (deep nesting would end
in a ``RecursionError`` in the parser or in any code that walks the result), finite numbers only
(``NaN``, ``Infinity`` and overflowing literals such as ``1e400`` are refused: the writers never
produce them), integers of at most :data:`MAX_INT_DIGITS` digits, and valid UTF-8.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .errors import SchemaError

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_INT_DIGITS", "parse_json", "read_json"]

MAX_BYTES = 1 << 30
"""Largest file read (1 GiB): a million rows of twenty features take about 400 MB."""
MAX_DEPTH = 64
"""Deepest nesting of lists and objects (explanations need 6, reports 8)."""
MAX_INT_DIGITS = 40
"""Longest integer literal (a 128-bit seed has 39 digits)."""


def read_json(path: str | Path, what: str, fix: str) -> Any:
    """The parsed content of the file at ``path``; ``what`` names it and ``fix`` says what to
    pass instead, in the errors."""
    try:
        p = Path(path)
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise SchemaError(f"{str(path)!r} is {size:,} bytes, more than a {what} can be ({MAX_BYTES:,}); {fix}.")
        raw = p.read_bytes()
    except FileNotFoundError as exc:
        raise SchemaError(f"no file at {str(path)!r}; {fix}.") from exc
    except (OSError, TypeError, ValueError) as exc:  # a directory, no permission, a bad path
        raise SchemaError(f"{str(path)!r} cannot be read as a {what} ({exc}); {fix}.") from exc
    return parse_json(raw, f"{str(path)!r}", what, fix)


def parse_json(raw: bytes | str, source: str, what: str, fix: str) -> Any:
    """Parse ``raw`` with the limits of the module docstring."""
    if len(raw) > MAX_BYTES:
        raise SchemaError(f"{source} is larger than a {what} can be ({MAX_BYTES:,} bytes); {fix}.")
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        obj = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float, parse_int=_bounded_int)
    except SchemaError as exc:
        raise SchemaError(f"{source} is not a {what}: {exc} {fix[0].upper()}{fix[1:]}.") from exc
    except RecursionError as exc:
        raise SchemaError(f"{source} is nested more deeply than a {what} can be; {fix}.") from exc
    except (UnicodeError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise SchemaError(f"{source} cannot be read: it is not valid JSON ({exc}); {fix}.") from exc
    _check_depth(obj, source, what, fix)
    return obj


def _refuse_constant(name: str) -> Any:
    raise SchemaError(f"it holds {name}, which JSON does not allow (a missing number is null).")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise SchemaError(f"the number {text[:40]} is too large for a float.")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise SchemaError(f"an integer of {len(text)} digits is larger than any value it can hold.")
    return int(text)


def _check_depth(obj: Any, source: str, what: str, fix: str) -> None:
    """Nesting within :data:`MAX_DEPTH`, and text that is Unicode (JSON escapes can spell a lone
    surrogate, which no UTF-8 writer accepts). Iterative: no recursion on hostile input."""
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise SchemaError(f"{source} is nested more than {MAX_DEPTH} levels deep, unlike any {what}; {fix}.")
        if isinstance(node, dict):
            _check_text(node.keys(), source, what, fix)
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            _check_text(node, source, what, fix)
            stack.extend((v, depth + 1) for v in node if isinstance(v, (dict, list)))
        elif isinstance(node, str):
            _check_text([node], source, what, fix)


def _check_text(items: Any, source: str, what: str, fix: str) -> None:
    for item in items:
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise SchemaError(f"{source} holds text that is not valid Unicode ({exc.reason}); {fix}.") from exc
