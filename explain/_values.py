"""What local and global explanations share: read-only values, JSON-ready params, names.

Private: the public classes live in :mod:`explain.explanation`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError

SCHEMA_VERSION = 1


def _frozen_array(a: Any, dtype: Any = float) -> np.ndarray:
    out = np.array(a, dtype=dtype, copy=True)
    out.setflags(write=False)
    # hand out a view of the read-only copy: numpy lets the owner of an array switch
    # ``writeable`` back on, but refuses it for a view whose base is read-only
    view = out.view()
    view.setflags(write=False)
    return view


def _canonical_missing(data: np.ndarray, kinds: tuple[str, ...]) -> np.ndarray:
    """Mark missing categorical values with ``None`` (NaN, pd.NA, NaT alike).

    One marker keeps a JSON round trip exact (JSON has one ``null``) and lets ``==``
    compare two explanations' data (NaN is not equal to itself).
    """
    if data.dtype != object or not data.size:
        return data
    out = data.copy()
    for j, kind in enumerate(kinds):
        if kind != "numeric":
            column = out[:, j]
            column[np.asarray(pd.isna(column), dtype=bool)] = None
    return out


def freeze(obj: Any) -> Any:
    """Deep read-only copy of JSON-like data (dicts become mappingproxies, lists tuples)."""
    if isinstance(obj, Mapping):
        return MappingProxyType({str(k): freeze(v) for k, v in obj.items()})
    if isinstance(obj, (list, tuple)):
        return tuple(freeze(v) for v in obj)
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def thaw(obj: Any) -> Any:
    """Inverse of :func:`freeze`: plain dicts and lists, ready for JSON."""
    if isinstance(obj, Mapping):
        return {k: thaw(v) for k, v in sorted(obj.items())}
    if isinstance(obj, (list, tuple)):
        return [thaw(v) for v in obj]
    return obj


def _index(n: int, rows: Any) -> np.ndarray:
    """Row positions for an int, slice, sequence of ints or boolean mask."""
    if isinstance(rows, (int, np.integer)):
        if not -n <= rows < n:
            raise IndexError(f"row {rows} is out of range for an explanation of {n} rows")
        return np.array([int(rows) % n])
    return np.arange(n)[rows]


def _frozen_diagnostics(diagnostics: Mapping[str, Any], n: int) -> Mapping[str, np.ndarray]:
    """Per-row diagnostics (e.g. LIME's local fidelity): read-only float arrays of n rows."""
    out = {}
    for key, value in diagnostics.items():
        array = _frozen_array(value)
        if array.ndim == 0 or array.shape[0] != n:
            raise InputError(f"diagnostic {key!r} of shape {array.shape} does not have one entry per row ({n}).")
        out[str(key)] = array
    return MappingProxyType(out)


class _Base:
    """Behaviour shared by local and global explanations (names, outputs, JSON)."""

    feature_names: tuple[str, ...]
    output_names: tuple[str, ...]
    params: Mapping[str, Any]

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    @property
    def n_outputs(self) -> int:
        return len(self.output_names)

    def _output_index(self, output: str | int) -> int:
        if isinstance(output, (int, np.integer)):
            if not 0 <= output < self.n_outputs:
                raise InputError(f"output index {output} is out of range; there are {self.n_outputs} outputs.")
            return int(output)
        names = list(self.output_names)
        if str(output) not in names:
            raise InputError(f"no output named {output!r}; the outputs are {names}.")
        return names.index(str(output))

    def _feature_index(self, feature: str | int) -> int:
        if isinstance(feature, (int, np.integer)):
            return int(feature)
        if feature not in self.feature_names:
            raise InputError(f"no feature named {feature!r}; the features are {list(self.feature_names)}.")
        return self.feature_names.index(feature)

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def to_json(self, path: str | Path | None = None, *, timing: bool = True) -> str:
        """Serialize to canonical JSON (sorted keys, exact floats); write it to ``path`` if given.

        ``timing=False`` leaves out ``provenance.elapsed_seconds``, the one field that differs
        between two runs, so that the same inputs give the same bytes (it reloads as 0.0).
        """
        d = self.to_dict()
        if not timing:
            d["provenance"].pop("elapsed_seconds", None)
        text = json.dumps(d, sort_keys=True, separators=(",", ":"), allow_nan=False)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON without the run time: equal for equal explanations."""
        d = self.to_dict()
        d["provenance"].pop("elapsed_seconds", None)
        text = json.dumps(d, sort_keys=True, separators=(",", ":"), allow_nan=False)
        return hashlib.sha256(text.encode()).hexdigest()
