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
    """Row positions for an int, slice, sequence of ints or boolean mask (numpy or pandas).

    A pandas Series counts by position, never by its index labels (``local[df.age > 30]`` with
    ``df`` the rows explained, in the same order). A mask must have one entry per row.
    """
    if isinstance(rows, (int, np.integer)) and not isinstance(rows, (bool, np.bool_)):
        if not -n <= rows < n:
            raise IndexError(f"row {rows} is out of range for an explanation of {n} rows")
        return np.array([int(rows) % n])
    if isinstance(rows, str):
        raise InputError(
            f"rows are chosen by position, not by name: for the feature {rows!r} write local[:, {rows!r}]."
        )
    if isinstance(rows, slice):
        return np.arange(n)[rows]
    key = np.asarray(rows.to_numpy() if isinstance(rows, (pd.Series, pd.Index)) else rows)
    if key.dtype == bool:
        if key.shape != (n,):
            raise IndexError(
                f"a boolean mask of shape {key.shape} for an explanation of {n} rows; pass one True/False per row."
            )
        return np.flatnonzero(key)
    if key.size == 0:
        return np.arange(0)
    if key.ndim != 1 or key.dtype.kind not in "iu":
        raise IndexError(
            f"rows {_short(rows)} are not row positions; pass an int, a slice, a list of ints or a boolean mask."
        )
    return np.arange(n)[key]


def _columns(names: tuple[str, ...], features: Any) -> np.ndarray:
    """Feature positions for a name, a position, a slice, a list of names or positions, or a mask.

    The order is the order asked for. An unknown name is refused with the names closest to it.
    """
    d = len(names)
    if isinstance(features, slice):
        positions = np.arange(d)[features]
    elif isinstance(features, (str, int, np.integer)) and not isinstance(features, (bool, np.bool_)):
        positions = np.array([_column(names, features)])
    else:
        items = features.to_numpy() if isinstance(features, (pd.Series, pd.Index)) else features
        key = np.asarray(items)
        if key.dtype == bool:
            if key.shape != (d,):
                raise IndexError(f"a boolean feature mask of shape {key.shape}; pass one True/False per feature ({d}).")
            positions = np.flatnonzero(key)
        elif key.ndim != 1:
            raise IndexError(f"features {_short(features)}: pass a name, a position, or a list of them.")
        else:
            positions = np.array([_column(names, f) for f in items], dtype=int)
    if not len(positions):
        raise InputError(f"the selection {_short(features)} holds no feature; select at least one.")
    if len(set(positions.tolist())) != len(positions):
        repeated = sorted({names[p] for p in positions if (positions == p).sum() > 1})
        raise InputError(f"the selection names {repeated} more than once; name each feature once.")
    return positions


def _column(names: tuple[str, ...], feature: Any) -> int:
    if isinstance(feature, (int, np.integer)) and not isinstance(feature, (bool, np.bool_)):
        if not -len(names) <= feature < len(names):
            raise IndexError(f"feature {feature} is out of range for an explanation of {len(names)} features")
        return int(feature) % len(names)
    if not isinstance(feature, str):
        raise IndexError(f"{feature!r} is neither a feature name nor a position.")
    if feature not in names:
        raise InputError(_unknown_feature(feature, names))
    return names.index(feature)


def _unknown_feature(feature: str, names: tuple[str, ...]) -> str:
    """The message for an unknown feature: "no feature named 'agee'; did you mean 'age'?"."""
    import difflib

    close = difflib.get_close_matches(feature, names, n=3, cutoff=0.6)
    if not close:  # names differing in case or by a prefix ("Age", "age_years") are close too
        close = [n for n in names if feature.lower() in n.lower() or n.lower() in feature.lower()][:3]
    if not close:
        return f"no feature named {feature!r}; the features are {_short(names)}."
    others = f" (or {', '.join(repr(c) for c in close[1:])})" if len(close) > 1 else ""
    return f"no feature named {feature!r}; did you mean {close[0]!r}?{others}"


def _short(obj: Any, limit: int = 8) -> str:
    items = list(obj) if isinstance(obj, (list, tuple)) else None
    if items is not None and len(items) > limit:
        return repr(items[:limit])[:-1] + f", ... ({len(items)} in all)]"
    text = repr(list(items) if items is not None else obj)
    return text if len(text) <= 200 else text[:197] + "..."


def _cohort_key(label: Any) -> tuple[int, float, str]:
    """Sort order of cohort labels: numbers (and booleans) by value, then text, missing last."""
    if _is_missing_label(label):
        return (2, 0.0, "")
    if isinstance(label, (bool, int, float, np.bool_, np.number)):
        return (0, float(label), "")
    return (1, 0.0, str(label))


def _is_missing_label(label: Any) -> bool:
    if label is None or label is pd.NA or label is pd.NaT:
        return True
    return isinstance(label, (float, np.floating)) and bool(np.isnan(label))


def _groups(labels: np.ndarray) -> dict[Any, np.ndarray]:
    """Row positions of each label, labels sorted (see :func:`_cohort_key`); missing labels
    (None, NaN) form one group keyed ``None``, last."""
    keys = [None if _is_missing_label(v) else (v.item() if isinstance(v, np.generic) else v) for v in labels]
    out: dict[Any, list[int]] = {}
    for row, key in enumerate(keys):
        out.setdefault(key, []).append(row)
    return {key: np.array(out[key]) for key in sorted(out, key=_cohort_key)}


def _frozen_diagnostics(diagnostics: Mapping[str, Any], n: int) -> Mapping[str, np.ndarray]:
    """Per-row diagnostics (e.g. LIME's local fidelity): read-only float arrays of n rows."""
    out = {}
    for key, value in diagnostics.items():
        array = _frozen_array(value)
        if array.ndim == 0 or array.shape[0] != n:
            raise InputError(f"diagnostic {key!r} of shape {array.shape} does not have one entry per row ({n}).")
        out[str(key)] = array
    return MappingProxyType(out)


def _from_saved(obj: dict[str, Any]) -> Any:
    """Rebuild an explanation from its ``to_dict()``: how explanations pickle and deep-copy."""
    from ._io import from_dict

    return from_dict(obj)


class Saved:
    """What every saved result shares (explanations, Counterfactuals): canonical JSON of its
    :meth:`to_dict`, a content hash, and pickling through that data."""

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def __reduce__(self) -> tuple[Any, tuple[dict[str, Any]]]:
        """Pickling (joblib, multiprocessing) and ``copy.deepcopy`` go through the same JSON-ready
        data as :func:`explain.load`, so a copy is checked like a loaded file (the read-only
        parameters cannot be pickled as they are)."""
        return _from_saved, (self.to_dict(),)

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
        """SHA-256 of the canonical JSON without the run time: equal for equal results."""
        return hashlib.sha256(self.to_json(timing=False).encode()).hexdigest()


class _Base(Saved):
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
