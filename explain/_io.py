"""Reading and writing explanations as JSON: data only, never code (no pickle).

Floats are written with Python's shortest round-trip representation, so a reloaded array is
bit-for-bit the one that was saved; NaN is written as ``null``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ._effects import FeatureEffect
from ._provenance import Provenance
from .errors import SchemaError

__all__ = ["load"]

_SUPPORTED_VERSIONS = (1,)


def floats_to_json(array: np.ndarray) -> Any:
    """Nested lists of floats, NaN as None."""
    a = np.asarray(array, dtype=float)
    obj = a.astype(object)
    obj[np.isnan(a)] = None
    return obj.tolist()


def floats_from_json(obj: Any, name: str = "array") -> np.ndarray:
    """Nested lists of numbers (None for NaN) back to floats; anything else is refused, since
    numpy would otherwise read a string such as ``"0.5"`` as a number."""
    raw = np.array(obj, dtype=object)
    ok = all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in raw.flat)
    if not ok:
        bad = next((v for v in raw.flat if not isinstance(v, (int, float, type(None))) or isinstance(v, bool)), obj)
        raise ValueError(f"{name} should hold numbers but holds {bad!r}")
    return np.array(obj, dtype=float)  # None -> nan


def _scalar(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return None if np.isnan(value) else value
    return str(value)


def data_to_json(data: np.ndarray, kinds: tuple[str, ...]) -> dict[str, Any]:
    """The explained rows, column by column (numeric columns as floats)."""
    columns = []
    for j, kind in enumerate(kinds):
        column = data[:, j]
        if kind == "numeric":
            columns.append(floats_to_json(column.astype(float)))
        else:
            columns.append([_scalar(v) for v in column])
    return {"n_rows": int(data.shape[0]), "columns": columns}


def data_from_json(obj: dict[str, Any], kinds: list[str]) -> np.ndarray:
    n = int(obj["n_rows"])
    columns = obj["columns"]
    if all(k == "numeric" for k in kinds):
        return np.array(columns, dtype=float).reshape(len(kinds), n).T.copy()
    out = np.empty((n, len(kinds)), dtype=object)
    for j, (kind, column) in enumerate(zip(kinds, columns, strict=True)):
        out[:, j] = np.array(column, dtype=float) if kind == "numeric" else column
    return out


def load(path: str | Path) -> Any:
    """Load an explanation saved with ``to_json``. Reads data only; never executes code.

    Examples
    --------
    >>> import explain as ex, tempfile, os
    >>> from sklearn.linear_model import LinearRegression
    >>> model = LinearRegression().fit([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]], [0.0, 1.0, 3.0])
    >>> local = ex.Explainer(model, background=[[0.0, 0.0], [1.0, 1.0]]).explain_local([[1.0, 2.0]])
    >>> path = os.path.join(tempfile.mkdtemp(), "local.json")
    >>> _ = local.to_json(path)
    >>> bool((ex.load(path).values == local.values).all())
    True
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SchemaError(f"no file at {str(path)!r}; pass the path a to_json() call wrote.") from exc
    except (OSError, UnicodeDecodeError) as exc:  # a directory, no permission, a binary file
        raise SchemaError(
            f"{str(path)!r} cannot be read as a saved explanation ({exc}); pass the path a "
            "to_json() call wrote."
        ) from exc
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaError(f"{str(path)!r} is not valid JSON ({exc}); was it written by to_json()?") from exc
    return from_dict(obj)


def from_dict(obj: Any) -> Any:
    """Build an explanation from the dict ``to_dict()`` made."""
    from .explanation import GlobalExplanation, LocalExplanation

    if not isinstance(obj, dict) or "schema" not in obj:
        raise SchemaError(
            "this JSON has no 'schema' field, so it is not a saved explanation; load() reads the "
            "files that LocalExplanation.to_json() and GlobalExplanation.to_json() write."
        )
    version = obj.get("schema_version")
    if version not in _SUPPORTED_VERSIONS:
        raise SchemaError(
            f"schema_version {version!r} is not supported by this version of explain "
            f"(supported: {list(_SUPPORTED_VERSIONS)}); upgrade explain to read it."
        )
    try:
        if obj["schema"] == "explain.LocalExplanation":
            return LocalExplanation(
                values=floats_from_json(obj["values"], "values"),
                base_values=floats_from_json(obj["base_values"], "base_values"),
                data=data_from_json(obj["data"], obj["feature_kinds"]),
                predictions=floats_from_json(obj["predictions"], "predictions"),
                feature_names=tuple(obj["feature_names"]),
                output_names=tuple(obj["output_names"]),
                output_space=obj["output_space"],
                method=obj["method"],
                params=obj["params"],
                provenance=Provenance.from_dict(obj["provenance"]),
                feature_kinds=tuple(obj["feature_kinds"]),
                diagnostics={k: floats_from_json(v, k) for k, v in obj.get("diagnostics", {}).items()},
            )
        if obj["schema"] == "explain.GlobalExplanation":
            return GlobalExplanation(
                importances=floats_from_json(obj["importances"], "importances"),
                spread=None if obj["spread"] is None else floats_from_json(obj["spread"], "spread"),
                feature_names=tuple(obj["feature_names"]),
                output_names=tuple(obj["output_names"]),
                output_space=obj["output_space"],
                kind=obj["kind"],
                method=obj["method"],
                params=obj["params"],
                provenance=Provenance.from_dict(obj["provenance"]),
                effects=tuple(FeatureEffect.from_dict(e) for e in obj.get("effects", [])),
            )
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise SchemaError(
            f"the saved explanation is incomplete or damaged: {exc!r}. Write it again with to_json(); "
            "do not edit the file by hand."
        ) from exc
    raise SchemaError(f"unknown schema {obj['schema']!r}; expected an explain explanation.")
