"""JSON of image explanations: the images and label arrays as compressed bytes, the rest as numbers.

Images and segmentations are large and regular: they are written as zlib-compressed
little-endian bytes in base64 (``{"dtype", "shape", "zlib_base64"}``), so an explanation of a
few photographs stays a file of a few hundred kilobytes and reloads bit for bit. Values, base
values and predictions are written as lists of numbers, like every other explanation.
No pickle: only numbers, text and bytes of fixed dtypes are read back.
"""

from __future__ import annotations

import base64
import zlib
from typing import Any

import numpy as np

from .errors import SchemaError

__all__ = ["array_from_json", "array_to_json"]

_DTYPES = ("<f8", "<i4")
_MAX_BYTES = 1 << 31  # 2 GB decompressed: more is a damaged (or hostile) file


def array_to_json(array: np.ndarray, dtype: str) -> dict[str, Any]:
    """``{"dtype", "shape", "zlib_base64"}`` of ``array`` cast to ``dtype`` (one of ``<f8``, ``<i4``)."""
    data = np.ascontiguousarray(array, dtype=np.dtype(dtype))
    packed = base64.b64encode(zlib.compress(data.tobytes(), 6)).decode("ascii")
    return {"dtype": dtype, "shape": list(data.shape), "zlib_base64": packed}


def array_from_json(obj: Any, name: str, ndims: tuple[int, ...]) -> np.ndarray:
    """The array :func:`array_to_json` wrote, or a :class:`SchemaError` saying what is wrong."""
    if not isinstance(obj, dict) or set(obj) != {"dtype", "shape", "zlib_base64"}:
        raise SchemaError(f"{name} should be an object with dtype, shape and zlib_base64.")
    dtype, shape, packed = obj["dtype"], obj["shape"], obj["zlib_base64"]
    if dtype not in _DTYPES:
        raise SchemaError(f"{name} has dtype {str(dtype)[:20]!r}; expected one of {list(_DTYPES)}.")
    if not isinstance(shape, list) or len(shape) not in ndims or not all(type(s) is int and s >= 0 for s in shape):
        raise SchemaError(f"{name} has shape {str(shape)[:60]}; expected {' or '.join(map(str, ndims))} sizes.")
    size = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
    if size > _MAX_BYTES or not isinstance(packed, str):
        raise SchemaError(f"{name} is too large or not text.")
    try:
        raw = zlib.decompressobj().decompress(base64.b64decode(packed, validate=True), size + 1)
    except (ValueError, zlib.error) as exc:
        raise SchemaError(f"{name} is not valid compressed data ({exc}).") from exc
    if len(raw) != size:
        raise SchemaError(f"{name} holds {len(raw)} bytes; its shape {shape} needs {size}.")
    return np.frombuffer(raw, dtype=np.dtype(dtype)).reshape(shape).copy()
