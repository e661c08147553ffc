"""The data sets of an audit of dask collections (:mod:`._context_dask`): each one scanned on the
workers, one task per partition (the model's scores, the in-memory audit's checks with rows
numbered over the whole data set, the partition's SHA-256 and missing counts), and what comes
back to this process (scores, row keys, targets, the sensitive columns), checked and
fingerprinted (``SCHEME``: the partitioned SHA-256 of :mod:`._context_dask`'s docstring)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._data import check_column_types
from .._model import ModelAdapter
from ..errors import FeatureMismatchError, InputError, ModelError
from ._context import dataset_record, frame_sha256, schema_sha256
from ._context_checks import _check_finite, _frame, beyond_float32, float32_message, infinite_message
from ._evidence import canonical_json, sha256_hex

SCHEME = "explain.partitioned-sha256/1"


# --------------------------------------------------------------------------- on the workers


@dataclass(frozen=True)
class _Scan:
    """What each partition's task needs (one task of the graph: a worker fetches it once)."""

    adapter: ModelAdapter
    columns: tuple[str, ...]
    space: str
    gather: tuple[str, ...]
    name: str


def _scan_part(job: _Scan, part: pd.DataFrame) -> dict[str, Any]:
    """Check, fingerprint and score one partition; its sensitive columns and missing counts."""
    from .._distributed_global import _worker_limits

    X = part[list(job.columns)]
    out: dict[str, Any] = {
        "rows": len(part),
        "index": part.index,
        "sha256": frame_sha256(part),
        "missing": X.isna().sum().to_numpy(),
        "gathered": part[list(job.gather)] if job.gather else None,
        "infinite": [],
        "float32": beyond_float32(X),
        "output": None,
        "error": None,
    }
    check_column_types(X, job.name)  # raised here, on the worker, as in memory
    for label in X.columns:
        if X[label].dtype.kind == "f":
            infinite = np.flatnonzero(np.isinf(X[label].to_numpy()))
            if infinite.size:
                out["infinite"].append((label, infinite[:5].tolist(), int(infinite.size)))
    if out["infinite"] or not len(part):
        return out
    try:
        with _worker_limits():
            out["output"] = np.asarray(job.adapter.predict(X, job.space))  # type: ignore[arg-type]
    except ModelError as exc:  # reported as in memory, with the rows numbered over the data set
        out["error"] = exc
    return out


# --------------------------------------------------------------------------- on the client


@dataclass
class _Data:
    """One data set: in memory, or a dask DataFrame scanned on the cluster."""

    name: str  # as in messages: "X_test", "reference"
    role: str  # as in the evidence: "test", "reference"
    frame: Any
    lazy: bool
    rows: int = 0
    output: np.ndarray | None = None
    index: pd.Index | None = None
    gathered: pd.DataFrame | None = None
    parts: list[list[Any]] = field(default_factory=list)  # rows and SHA-256 per partition
    missing: np.ndarray | None = None


def _data(X: Any, name: str, role: str, columns: list[str] | None) -> _Data:
    from ..distributed import is_dask_collection

    if not is_dask_collection(X):
        frame = _frame(X, name, columns=columns if not isinstance(X, pd.DataFrame) else None)
        return _Data(name, role, frame, lazy=False, rows=len(frame), index=frame.index)
    if not hasattr(X, "columns"):  # a dask array: rows of features
        import dask.dataframe as dd

        if len(X.shape) != 2:
            raise InputError(f"{name} is a dask array of shape {X.shape}; pass rows of features (2-D) or a DataFrame.")
        width = int(X.shape[1])
        X = dd.from_dask_array(X, columns=list(columns) if columns and len(columns) == width else None)
    names = [str(c) for c in X.columns]
    if names != list(X.columns):
        X = X.rename(columns=dict(zip(X.columns, names, strict=True)))
    return _Data(name, role, X, lazy=True)


def _scanned(data: _Data, job: _Scan, progress: bool | None) -> None:
    """Run the scan of a dask data set; raise the in-memory audit's errors with rows numbered over
    the whole data set."""
    import dask

    from ..distributed import run_tasks

    shared = dask.delayed(job, pure=True, traverse=False)
    step = dask.delayed(_scan_part, pure=True)
    parts = run_tasks([step(shared, p) for p in data.frame.to_delayed()], progress=progress, desc=f"scoring {job.name}")
    starts = np.concatenate([[0], np.cumsum([p["rows"] for p in parts])]).astype(int)

    def rows_of(key: str, label: str) -> tuple[list[tuple[Any, ...]], list[int], int]:
        """What the partitions found in one column (infinite values, numbers beyond float32), with
        their first rows numbered over the whole data set, and how many there are."""
        found = [(int(o), f) for o, p in zip(starts[:-1], parts, strict=True) for f in p[key] if f[0] == label]
        rows = [o + r for o, f in found for r in f[-2]][:5]
        return [f for _, f in found], rows, sum(f[-1] for _, f in found)

    for label in job.columns:
        _, rows, count = rows_of("infinite", label)
        if count:
            raise InputError(infinite_message(label, rows, count, job.name))
    failed = next((p["error"] for p in parts if p["error"] is not None), None)
    if failed is not None:
        hint = ""
        for label in job.columns:
            found, rows, count = rows_of("float32", label)
            if found:
                hint = float32_message(label, found[0][1], rows, count, job.name)
                break
        raise type(failed)(f"scoring {job.name}: {failed}{hint}") from failed
    data.rows = int(starts[-1])
    data.output = np.concatenate([p["output"] for p in parts if p["output"] is not None]) if data.rows else None
    data.index = parts[0]["index"].append([p["index"] for p in parts[1:]]) if parts else pd.Index([])
    gathered = [p["gathered"] for p in parts if p["gathered"] is not None]
    data.gathered = pd.concat(gathered) if gathered else pd.DataFrame(index=data.index)
    data.parts = [[int(p["rows"]), str(p["sha256"])] for p in parts]
    data.missing = np.sum([p["missing"] for p in parts], axis=0)


def _gather(collection: Any, progress: bool | None, desc: str) -> Any:
    """A dask collection computed here: a target, or the sensitive attributes (never the table)."""
    from ..distributed import run_tasks

    if hasattr(collection, "to_delayed") and hasattr(collection, "divisions"):  # DataFrame or Series
        return pd.concat(run_tasks(list(collection.to_delayed()), progress=progress, desc=desc))
    return run_tasks([collection], progress=progress, desc=desc)[0]


def _aligned(y: Any, given: Any, index: pd.Index | None, name: str, X_name: str) -> None:
    """A target given as a dask Series must have X's row keys, in X's order."""
    from ..distributed import is_dask_collection

    if not is_dask_collection(given) or not isinstance(y, (pd.Series, pd.DataFrame)) or index is None:
        return
    if len(y) == len(index) and not y.index.equals(index):
        at = int(np.flatnonzero(np.asarray(y.index != index))[0])
        raise InputError(
            f"{name} is not aligned with {X_name}: row {at} has the key {index[at]!r} in {X_name} and "
            f"{y.index[at]!r} in {name}. Take both from one dask DataFrame (e.g. X = ddf[features], "
            f"y = ddf['target']), with the same partitions."
        )


def _partitioned_sha256(data: _Data, y: Any) -> str:
    target = None if y is None else frame_sha256(pd.DataFrame({"<target>": np.asarray(y)}))
    columns = [str(c) for c in data.frame.columns]
    return sha256_hex(
        canonical_json({"scheme": SCHEME, "columns": columns, "partitions": data.parts, "target": target})
    )


def _dataset(data: _Data, y: Any) -> dict[str, Any]:
    if not data.lazy:
        return dataset_record(data.role, data.frame, y)
    return {
        "name": data.role,
        "rows": data.rows,
        "columns": len(data.frame.columns),
        "sha256": _partitioned_sha256(data, y),
        "schema_sha256": schema_sha256(data.frame),
    }


def _meta_checks(data: _Data, columns: list[str]) -> None:
    """Date columns (from the dtypes; each partition's values are checked on its worker), or the
    in-memory checks of a data set in memory."""
    if data.lazy:
        empty = pd.DataFrame({c: pd.Series([], dtype=t) for c, t in data.frame[columns].dtypes.items()})
        check_column_types(empty, data.name)
        return
    check_column_types(data.frame[columns], data.name)
    _check_finite(data.frame[columns], data.name)


def _sensitive_frame(sensitive: Any, test: _Data, progress: bool | None) -> tuple[Any, tuple[str, ...]]:
    """The sensitive features with a dask collection gathered, and the columns of a dask X_test to
    gather for them: those named, or those of a frame given that X_test has too (compared)."""
    from ..distributed import is_dask_collection

    if is_dask_collection(sensitive):
        sensitive = _gather(sensitive, progress, "gathering the sensitive features")
        if isinstance(sensitive, pd.Series):
            sensitive = sensitive.to_frame()
    if not test.lazy or sensitive is None:
        return sensitive, ()
    columns = [str(c) for c in test.frame.columns]
    if isinstance(sensitive, (list, tuple)) and all(isinstance(s, str) for s in sensitive):
        missing = [s for s in sensitive if s not in columns]
        if missing:
            raise FeatureMismatchError(
                f"sensitive_features {missing} are not columns of X_test (columns: {columns}). "
                "Name columns of X_test, or pass the attributes as a DataFrame aligned with X_test."
            )
        return sensitive, tuple(dict.fromkeys(sensitive))
    if isinstance(sensitive, (str, bytes)):
        return sensitive, ()  # refused by _sensitive, as in memory
    names = pd.DataFrame(dict(sensitive)) if isinstance(sensitive, Mapping) else pd.DataFrame(sensitive)
    return sensitive, tuple(str(c) for c in names.columns if str(c) in columns)
