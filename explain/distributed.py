"""Explain rows on a Dask cluster: one call, the same numbers, nothing collected that need not be.

``Explainer.explain_local(ddf)`` with a dask DataFrame (or dask array) returns a
:class:`DistributedExplanation` at once: nothing runs until it is asked for. Each partition is
explained on a worker by the same :class:`~explain.Explainer` that explains a pandas DataFrame
(columns matched by name, the same checks, the same additivity guard), so the values are those of
explaining the same rows on one machine: the methods draw each row's randomness from its own
stream (keyed by ``random_state`` and the row's values), never from its position in a partition.
Tree, linear and glass-box values are identical bit for bit; the model-agnostic methods call the
model on batches of rows, and a matrix product of another shape can round differently, so their
values agree to about 1e-15 relative (a few units in the last place), as they do when one machine
explains a subset of the rows.

The explainer (model and background) is one task of the graph: a worker fetches it once, and every
partition it explains uses that copy, instead of shipping it with each task. Tree SHAP's compiled
engine keeps its threads on a worker, capped by the worker's own thread count.

Then:

- :meth:`DistributedExplanation.compute` gathers a :class:`~explain.LocalExplanation` (it must fit
  in the client's memory);
- :meth:`~DistributedExplanation.to_parquet` has the workers write one Parquet file per partition
  (values, base values, predictions, the partition's index as the row key) and the client the
  explanation's metadata and provenance beside them: nothing but row counts comes back;
- :meth:`~DistributedExplanation.to_global` reduces mean \\|attribution\\| and its spread on the
  cluster (Chan's pairwise update: equal to the single-machine result to rounding);
- :meth:`~DistributedExplanation.reasons` gives a dask DataFrame of principal reasons per row,
  for adverse-action notices at scale.

With a ``dask.distributed`` client active the work runs on its cluster, with a progress bar over
partitions and the dashboard link; without one, partitions are explained one after another in
this process. Install with ``pip install "explain[dask]"``.

Examples
--------
>>> import dask.dataframe as dd
>>> from sklearn.datasets import load_diabetes
>>> from sklearn.linear_model import LinearRegression
>>> import explain as ex
>>> X, y = load_diabetes(return_X_y=True, as_frame=True)
>>> model = LinearRegression().fit(X, y)
>>> explainer = ex.Explainer(model, background=X)
>>> lazy = explainer.explain_local(dd.from_pandas(X[:40], npartitions=4))
>>> lazy.npartitions
4
>>> local = lazy.compute()
>>> bool(abs(local.values - explainer.explain_local(X[:40]).values).max() == 0)
True
"""

from __future__ import annotations

import copy
import json
import math
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._provenance import data_fingerprint
from ._values import thaw
from .errors import InputError, require
from .explanation import GlobalExplanation, LocalExplanation

__all__ = [
    "DistributedExplanation",
    "active_client",
    "cluster_summary",
    "is_dask_collection",
    "run_tasks",
    "tree_reduce",
]

_FORMAT = "explain.DistributedExplanation.parquet"


def active_client() -> Any:
    """The ``dask.distributed`` client in use, or ``None`` (then the work runs in this process)."""
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:  # no client
        return None


def is_dask_collection(data: Any) -> bool:
    """``data`` is a dask DataFrame or dask array (told by its module, without importing dask)."""
    root = type(data).__module__.split(".")[0]
    return root in ("dask", "dask_expr") and hasattr(data, "to_delayed") and hasattr(data, "npartitions")


# --------------------------------------------------------------------------- on the workers


def _worker_threads() -> int | None:
    """The thread count of the dask worker running this task, or None outside a worker."""
    try:
        from distributed import get_worker

        return int(get_worker().state.nthreads)
    except (ImportError, ValueError, AttributeError):
        return None


def _explain_part(explainer: Any, part: Any, columns: Sequence[str] | None) -> LocalExplanation | None:
    """Explain one partition (``None`` when it has no rows)."""
    if len(part) == 0:
        return None
    if columns is not None and not isinstance(part, pd.DataFrame):  # a dask array block
        part = pd.DataFrame(np.asarray(part), columns=list(columns))
    local = copy.copy(explainer)
    threads = _worker_threads()
    if threads is not None:
        local.progress = False  # the client shows progress over partitions
        if local.n_jobs is None or local.n_jobs < 0 or local.n_jobs > threads:
            local.n_jobs = threads
    return local.explain_local(part)  # type: ignore[no-any-return]


def _keys_of(part: Any) -> pd.Index:
    return part.index if isinstance(part, (pd.DataFrame, pd.Series)) else pd.RangeIndex(len(part))


def _value_columns(exp: LocalExplanation) -> dict[str, np.ndarray]:
    """Flat columns: ``value:<feature>`` (``value:<feature>:<output>`` for several outputs),
    ``base_value`` and ``prediction`` (``...:<output>``)."""
    columns: dict[str, np.ndarray] = {}
    multi = exp.is_multi_output
    outputs = exp.output_names if multi else (None,)
    for k, out in enumerate(outputs):
        suffix = "" if out is None else f":{out}"
        for j, feature in enumerate(exp.feature_names):
            columns[f"value:{feature}{suffix}"] = exp.values[:, j, k] if multi else exp.values[:, j]
        columns[f"base_value{suffix}"] = exp.base_values[:, k] if multi else exp.base_values
        columns[f"prediction{suffix}"] = exp.predictions[:, k] if multi else exp.predictions
    return columns


def _write_part(exp: LocalExplanation | None, part: Any, path: str, index: int) -> dict[str, Any]:
    """Write one partition's explanation as ``part-<index>.parquet``; return its row count."""
    if exp is None:
        return {"partition": index, "rows": 0, "file": None}
    pa: Any = require("pyarrow", extra="dask", purpose="Writing explanations to Parquet")
    pq: Any = require("pyarrow.parquet", extra="dask", purpose="Writing explanations to Parquet")
    frame = pd.DataFrame(_value_columns(exp), index=_keys_of(part))
    table = pa.Table.from_pandas(frame, preserve_index=True)
    meta = {"format": _FORMAT, "partition": index, "data_fingerprint": exp.provenance.data_fingerprint}
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), b"explain": json.dumps(meta).encode()})
    name = f"part-{index:05d}.parquet"
    pq.write_table(table, str(Path(path) / name))
    return {"partition": index, "rows": exp.n_rows, "file": name}


@dataclass(frozen=True)
class _Moments:
    """Count, mean and sum of squared deviations of |values| over rows (per feature and output)."""

    n: int
    mean: np.ndarray
    m2: np.ndarray

    @classmethod
    def of(cls, exp: LocalExplanation | None) -> _Moments | None:
        if exp is None:
            return None
        absolute = np.abs(exp.values)
        mean = absolute.mean(axis=0)
        return cls(exp.n_rows, mean, ((absolute - mean) ** 2).sum(axis=0))

    def merge(self, other: _Moments) -> _Moments:
        n = self.n + other.n
        delta = other.mean - self.mean
        mean = self.mean + delta * (other.n / n)
        return _Moments(n, mean, self.m2 + other.m2 + delta**2 * (self.n * other.n / n))


def _reasons_part(exp: LocalExplanation | None, part: Any, kwargs: dict[str, Any], meta: pd.DataFrame) -> pd.DataFrame:
    if exp is None:
        return meta
    frame = exp.reasons(**kwargs).to_frame()
    keys = _keys_of(part)
    frame.insert(0, "key", keys[frame["row"].to_numpy()])
    return frame.drop(columns="row").set_index("key")


# --------------------------------------------------------------------------- on the client


class DistributedExplanation:
    """A lazy explanation of a dask collection's rows, one partition per task.

    Made by :meth:`explain.Explainer.explain_local` for a dask DataFrame or array; see the module
    docstring. Nothing runs until :meth:`compute`, :meth:`to_parquet`, :meth:`to_global` or the
    result of :meth:`reasons` is computed.

    Attributes
    ----------
    npartitions : int
        Partitions of the collection (one task each).
    feature_names : tuple of str
        The columns explained.
    """

    def __init__(self, explainer: Any, collection: Any) -> None:
        dask: Any = require("dask", extra="dask", purpose="Explaining a dask collection")
        self._dask = dask
        self._explainer = explainer
        self._collection, self._columns = _checked_collection(collection, explainer)
        self.npartitions = int(self._collection.npartitions)
        self.feature_names = tuple(self._columns)
        # one task holds the explainer: each worker fetches it once for all its partitions
        self._explainer_task = dask.delayed(explainer, pure=True, traverse=False)
        self._parts = _partitions(self._collection)
        explain_part = dask.delayed(_explain_part, pure=True)
        columns = None if _is_frame(self._collection) else self._columns
        self._explained = [explain_part(self._explainer_task, part, columns) for part in self._parts]

    def __repr__(self) -> str:
        return (
            f"DistributedExplanation({self.npartitions} partitions, {len(self.feature_names)} features, "
            f"model={type(self._explainer.model).__name__}, method={self._explainer.method!r})"
        )

    # ------------------------------------------------------------------ results

    def to_delayed(self) -> list[Any]:
        """One ``dask.delayed`` :class:`~explain.LocalExplanation` per partition (``None`` for an
        empty partition), to compose with other dask work."""
        return list(self._explained)

    def compute(self, *, progress: bool | None = None) -> LocalExplanation:
        """Explain every partition and gather one :class:`~explain.LocalExplanation`, in the
        collection's row order (it must fit in this process's memory; see :meth:`to_parquet`).

        Parameters
        ----------
        progress : bool or None
            A progress bar over partitions (``None``: the explainer's setting).
        """
        start = time.perf_counter()
        parts = [p for p in self._run(self._explained, progress, "explaining partitions") if p is not None]
        if not parts:
            raise InputError("the dask collection has no rows to explain; pass a collection with at least one row.")
        return _combine(parts, time.perf_counter() - start)

    def to_parquet(self, path: str | Path, *, overwrite: bool = False, progress: bool | None = None) -> dict[str, Any]:
        """Write the explanation as a directory of Parquet files, one per partition, written by
        the workers; the client writes ``_explanation.json`` (method, parameters, names,
        provenance, the files and their row counts) beside them.

        Each file has the partition's index (the row key: set the dask index to your application
        or customer ID) and the columns ``value:<feature>``, ``base_value`` and ``prediction``
        (``...:<output>`` for several outputs). Read them back with ``pandas.read_parquet`` or
        ``dask.dataframe.read_parquet``.

        Parameters
        ----------
        path : str or Path
            A directory the workers can write to (shared storage on a real cluster); created if
            missing. One that already holds files is refused unless ``overwrite``.
        overwrite : bool, default False
            Replace the ``part-*.parquet`` files and ``_explanation.json`` already there.

        Returns
        -------
        dict
            What ``_explanation.json`` holds.
        """
        require("pyarrow", extra="dask", purpose="Writing explanations to Parquet")
        folder = Path(path)
        if folder.exists() and not folder.is_dir():
            raise InputError(f"{str(folder)!r} is a file; pass a directory for the Parquet files.")
        if folder.is_dir() and any(folder.iterdir()) and not overwrite:
            raise InputError(f"{str(folder)!r} is not empty; pass an empty directory, or overwrite=True.")
        folder.mkdir(parents=True, exist_ok=True)
        for old in (*folder.glob("part-*.parquet"), folder / "_explanation.json"):
            old.unlink(missing_ok=True)
        start = time.perf_counter()
        write = self._dask.delayed(_write_part, pure=False)
        tasks = [
            write(exp, part, str(folder), i)
            for i, (exp, part) in enumerate(zip(self._explained, self._parts, strict=True))
        ]
        written = self._run(tasks, progress, "writing partitions")
        head = self._first_explanation()
        record = {
            "format": _FORMAT,
            "format_version": 1,
            "rows": int(sum(w["rows"] for w in written)),
            "files": [w for w in written if w["file"] is not None],
            "feature_names": list(head.feature_names),
            "output_names": list(head.output_names),
            "output_space": head.output_space,
            "method": head.method,
            "params": thaw(head.params),
            "provenance": {
                **head.provenance.to_dict(),
                "data_fingerprint": None,
                "elapsed_seconds": round(time.perf_counter() - start, 6),
            },
            "cluster": self._cluster(),
        }
        text = json.dumps(record, sort_keys=True, indent=1, allow_nan=False, default=_plain)
        (folder / "_explanation.json").write_text(text + "\n", encoding="utf-8")
        return record

    def to_global(self, *, progress: bool | None = None) -> GlobalExplanation:
        """Mean absolute attribution per feature and its spread (standard deviation across rows),
        reduced on the cluster: only one small array per partition comes back."""
        moments = self._dask.delayed(_Moments.of, pure=True)
        found = [m for m in self._run([moments(e) for e in self._explained], progress, "reducing") if m is not None]
        if not found:
            raise InputError("the dask collection has no rows to explain; pass a collection with at least one row.")
        total = found[0]
        for m in found[1:]:
            total = total.merge(m)
        head = self._first_explanation()
        return GlobalExplanation(
            importances=total.mean,
            spread=np.sqrt(np.maximum(total.m2 / total.n, 0.0)),
            feature_names=head.feature_names,
            output_names=head.output_names,
            output_space=head.output_space,
            kind="mean_abs_attribution",
            method=head.method,
            params={
                **thaw(head.params),
                "aggregation": "mean_abs",
                "spread": "std_abs",
                "n_rows": total.n,
                "partitions": self.npartitions,
            },
            provenance=replace(head.provenance, data_fingerprint=""),
        )

    def reasons(self, k: int = 4, **kwargs: Any) -> Any:
        """Principal reasons per row, as a lazy dask DataFrame indexed by each row's key (the
        collection's index): the columns of :meth:`explain.LocalExplanation.reasons` ``.to_frame()``
        without ``row``. Arguments as for :meth:`~explain.LocalExplanation.reasons`.

        Write it with ``.to_parquet(...)`` or compute it; each partition's reasons are made on
        the worker that explained it.
        """
        dd: Any = require("dask.dataframe", extra="dask", purpose="Reasons of a dask collection")
        kwargs = {**kwargs, "k": k}
        sample = self._first_explanation()
        meta = sample.reasons(**kwargs).to_frame().iloc[:0]
        meta.insert(0, "key", pd.Index([], dtype=_keys_dtype(self._collection)))
        meta = meta.drop(columns="row").set_index("key")
        part = self._dask.delayed(_reasons_part, pure=True)
        frames = [part(exp, p, kwargs, meta) for exp, p in zip(self._explained, self._parts, strict=True)]
        return dd.from_delayed(frames, meta=meta, verify_meta=False)

    # ------------------------------------------------------------------ helpers

    def _first_explanation(self) -> LocalExplanation:
        """A one-row explanation made here, for the metadata every partition shares."""
        head = _first_rows(self._collection, self._columns)
        return self._explainer.explain_local(head)  # type: ignore[no-any-return]

    def _cluster(self) -> dict[str, Any]:
        client = active_client()
        if client is None:
            return {"scheduler": "local (no dask.distributed client)", "workers": 1}
        info = client.scheduler_info()
        workers = info.get("workers", {})
        return {
            "scheduler": str(info.get("address", "")),
            "workers": len(workers),
            "threads": int(sum(w.get("nthreads", 0) for w in workers.values())),
        }

    def _run(self, tasks: list[Any], setting: bool | None, desc: str) -> list[Any]:
        """Compute ``tasks`` (in order), with a progress bar over them."""
        return run_tasks(tasks, progress=self._explainer.progress if setting is None else setting, desc=desc)


# --------------------------------------------------------------------------- shared by cluster work


def run_tasks(tasks: Sequence[Any], *, progress: bool | None, desc: str) -> list[Any]:
    """Compute dask ``tasks`` and return their results in order: on the active client's cluster
    (a progress bar over tasks, the dashboard link), else one after another in this process."""
    import dask

    from ._progress import progress as bar

    client = active_client()
    if client is None:
        shown = bar(list(tasks), total=len(tasks), setting=progress, desc=desc)
        return [dask.compute(t, scheduler="sync")[0] for t in shown]
    from distributed import as_completed

    futures = client.compute(list(tasks))
    link = getattr(client, "dashboard_link", None)
    if progress and link:
        print(f"explain: {desc} on {client.scheduler.address}; dashboard {link}", file=sys.stderr, flush=True)
    for _ in bar(as_completed(futures), total=len(futures), setting=progress, desc=desc):
        pass
    return list(client.gather(futures))


def tree_reduce(parts: Sequence[Any], merge: Callable[[list[Any]], Any], *, fan_in: int = 8) -> Any:
    """One dask task whose result is ``merge`` applied over ``parts`` (dask delayed objects) in a
    tree of at most ``fan_in`` inputs per task, so that no task holds every partition's result.
    ``merge`` takes a list of results and must be a module-level function (it is pickled)."""
    import dask

    step = dask.delayed(merge, pure=True)
    level = list(parts)
    if not level:
        raise InputError("nothing to reduce: the dask collection has no partitions.")
    while len(level) > 1:
        level = [step(level[i : i + fan_in]) for i in range(0, len(level), fan_in)]
    return level[0] if len(parts) > 1 else step(level)


def cluster_summary() -> dict[str, Any]:
    """Where dask work runs, for a record a reviewer reads: the scheduler's kind, its workers and
    threads. The scheduler's address is reduced to its protocol and whether it is this machine
    (an address names infrastructure, and its port changes from run to run)."""
    client = active_client()
    if client is None:
        return {"scheduler": "none: partitions one after another in this process", "workers": 1, "threads": 1}
    info = client.scheduler_info()
    workers = info.get("workers", {})
    return {
        "scheduler": "dask.distributed",
        "address": _address_kind(str(info.get("address", ""))),
        "workers": len(workers),
        "threads": int(sum(w.get("nthreads", 0) for w in workers.values())),
    }


def _address_kind(address: str) -> str:
    protocol, _, rest = address.partition("://")
    host = rest.rsplit(":", 1)[0].strip("[]")
    local = host in ("localhost", "::1") or host.startswith("127.") or protocol == "inproc"
    return f"{protocol or 'unknown'}, {'this machine' if local else 'another host'}"


# --------------------------------------------------------------------------- checks and glue


def _plain(value: Any) -> Any:
    """JSON for the numpy scalars and arrays parameters may hold."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON")


def _is_frame(collection: Any) -> bool:
    return hasattr(collection, "columns") and hasattr(collection, "dtypes")


def _checked_collection(collection: Any, explainer: Any) -> tuple[Any, tuple[str, ...]]:
    """The collection (a dask array with one block of columns) and its column names."""
    if _is_frame(collection):
        names = [str(c) for c in collection.columns]
        if len(set(names)) != len(names):
            repeated = sorted({n for n in names if names.count(n) > 1})
            raise InputError(f"the dask DataFrame has columns {repeated} more than once; give each column once.")
        return collection, tuple(names)
    shape: tuple[Any, ...] = tuple(getattr(collection, "shape", ()))
    if len(shape) != 2:
        raise InputError(f"a dask array of shape {shape} is not rows of features; pass a 2-D dask array or DataFrame.")
    if isinstance(shape[1], float) and math.isnan(shape[1]):
        raise InputError("the dask array's number of columns is unknown; call .compute_chunk_sizes() first.")
    given = explainer.feature_names or _model_names(explainer)
    names = [str(n) for n in given] if given is not None else [f"x{j}" for j in range(int(shape[1]))]
    if len(collection.chunks[1]) != 1:
        collection = collection.rechunk({1: -1})  # every block holds whole rows
    return collection, tuple(str(n) for n in names)


def _model_names(explainer: Any) -> list[str] | None:
    names = getattr(explainer.model, "feature_names_in_", None)
    return None if names is None else [str(n) for n in names]


def _partitions(collection: Any) -> list[Any]:
    blocks = collection.to_delayed()
    return list(np.asarray(blocks, dtype=object).ravel()) if not _is_frame(collection) else list(blocks)


def _first_rows(collection: Any, columns: Sequence[str]) -> Any:
    """The first row of the collection (looking partition by partition past empty ones)."""
    if not _is_frame(collection):
        head = collection[:1].compute()
        if len(head) == 0:
            raise InputError("the dask collection has no rows to explain; pass a collection with at least one row.")
        return pd.DataFrame(np.asarray(head), columns=list(columns))
    for i in range(collection.npartitions):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # dask's "insufficient elements for head"
            head = collection.get_partition(i).head(1, npartitions=1)
        if len(head):
            return head
    raise InputError("the dask collection has no rows to explain; pass a collection with at least one row.")


def _keys_dtype(collection: Any) -> Any:
    return collection.index.dtype if _is_frame(collection) else np.dtype("int64")


def _combine(parts: list[LocalExplanation], elapsed: float) -> LocalExplanation:
    """The partitions' explanations as one, in order: the same object explaining all rows at once
    would give (values, base values, predictions, data, parameters), with the data fingerprint of
    every row and the time the whole run took."""
    head = parts[0]
    keys = set(head.diagnostics)

    def stack(get: Callable[[LocalExplanation], np.ndarray]) -> np.ndarray:
        return np.concatenate([get(p) for p in parts], axis=0)

    data = stack(lambda p: p.data)
    provenance = replace(
        head.provenance,
        data_fingerprint=data_fingerprint(data, head.feature_names, head.feature_kinds),
        elapsed_seconds=round(elapsed, 6),
    )
    return replace(
        head,
        values=stack(lambda p: p.values),
        base_values=stack(lambda p: p.base_values),
        predictions=stack(lambda p: p.predictions),
        data=data,
        provenance=provenance,
        diagnostics={key: stack(lambda p, key=key: p.diagnostics[key]) for key in sorted(keys)},  # type: ignore[misc]
    )
