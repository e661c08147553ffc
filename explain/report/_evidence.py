"""Canonical JSON for the evidence document: the one source of truth every exporter renders.

The same evidence must give the same bytes on every machine, because its SHA-256 is printed on
the report's cover and checked later. So keys are sorted, separators carry no spaces, text is
UTF-8, and floats are rounded to a fixed number of significant digits before they are written
(the last bits of a float can differ between BLAS builds; ten digits cannot, in practice).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

__all__ = ["FLOAT_DIGITS", "canonical_json", "sha256_hex"]

FLOAT_DIGITS = 10
"""Significant digits kept for every float in the evidence."""


def _format_float(x: float) -> str:
    if not math.isfinite(x):
        # JSON has no NaN or infinity; a missing number is ``None`` with a reason next to it.
        raise ValueError(f"Evidence must hold finite numbers only, got {x!r}. Use None for a missing value.")
    rounded = float(format(x, f".{FLOAT_DIGITS}g"))
    if not math.isfinite(rounded):
        rounded = x  # within rounding of the largest float: rounding would overflow to inf, which JSON lacks
    if rounded == 0.0:
        rounded = 0.0  # one zero: -0.0 and 0.0 are the same evidence
    return repr(rounded)  # shortest text that round-trips, e.g. "0.1", "3.0", "1e-05"


def _encode(obj: Any) -> str:
    if hasattr(obj, "item") and not isinstance(obj, (str, bytes)) and getattr(obj, "shape", None) == ():
        obj = obj.item()  # a NumPy scalar becomes the matching Python number
    if hasattr(obj, "tolist"):
        obj = obj.tolist()  # a NumPy array becomes nested lists
    if isinstance(obj, bool) or obj is None:
        return json.dumps(obj)
    if isinstance(obj, int):
        return str(obj)
    if isinstance(obj, float):
        return _format_float(obj)
    if isinstance(obj, str):
        return json.dumps(obj, ensure_ascii=False)
    if isinstance(obj, Mapping):
        for key in obj:
            if not isinstance(key, str):
                raise TypeError(f"Evidence keys must be strings, got {key!r} ({type(key).__name__}).")
        items = (f"{json.dumps(k, ensure_ascii=False)}:{_encode(obj[k])}" for k in sorted(obj))
        return "{" + ",".join(items) + "}"
    if isinstance(obj, (list, tuple)):
        return "[" + ",".join(_encode(v) for v in obj) + "]"
    raise TypeError(f"Evidence cannot hold {type(obj).__name__} values ({obj!r}); use numbers, text, lists or dicts.")


def canonical_json(obj: Any) -> bytes:
    """Encode evidence as canonical JSON bytes.

    Parameters
    ----------
    obj : dict, list, str, int, float, bool or None
        The evidence; NumPy scalars and arrays are accepted and written as plain numbers and lists.

    Returns
    -------
    bytes
        UTF-8 JSON with sorted keys, no insignificant whitespace and floats rounded to
        :data:`FLOAT_DIGITS` significant digits.

    Examples
    --------
    >>> canonical_json({"b": 1.0, "a": [0.1 + 0.2, -0.0, "é"]})
    b'{"a":[0.3,0.0,"\\xc3\\xa9"],"b":1.0}'
    """
    return _encode(obj).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    """Return the SHA-256 of ``data`` as 64 lowercase hex digits.

    Examples
    --------
    >>> sha256_hex(b"")[:16]
    'e3b0c44298fc1c14'
    """
    return hashlib.sha256(data).hexdigest()
