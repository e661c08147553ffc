"""Global explanations of a dask collection: the model called on the cluster, the numbers of
scikit-learn.

``Explainer.explain_global(ddf, y)`` with a dask DataFrame or array comes here (see
:func:`explain_global_on_cluster`):

- ``permutation_importance``: scikit-learn's permutation importance, step by step. The baseline
  outputs of the model (those the scorer asks for) are computed on the workers and scored here;
  then, for each feature, its column is gathered here, shuffled exactly as
  :func:`sklearn.inspection.permutation_importance` shuffles it for the same ``random_state``
  (one seed drawn from it, a fresh ``RandomState`` of that seed per column, one index array
  shuffled again in every repeat), each partition is sent its slice of every repeat's shuffled
  column, the workers predict, and the outputs are scored here by the same scikit-learn scorer.
  The importances are scikit-learn's on the collected rows, to the last bit where the model
  predicts a row the same whatever rows come with it (tree models; see the tests).
- ``partial_dependence``: the feature's column is gathered to build scikit-learn's grid (the
  same rule: unique values for categorical or few-valued columns, else evenly spaced points
  between ``scipy.stats.mstats.mquantiles`` of the column); the workers predict their rows at
  every grid value and return per-partition sums, from which the average over all rows is
  formed here (scikit-learn's to rounding, about 1e-16 relative). The 10th-90th percentile band
  of the individual (ICE) curves needs every row's curve: they come back when ``rows x grid x
  outputs`` is at most :data:`ICE_VALUES_BUDGET` values (32 MB), and the band is then exact;
  otherwise it is computed on a sample of that many values' worth of rows, drawn without
  replacement with ``random_state`` and recorded in ``params["ice_band_rows"]``.
- any local method: ``explain_local(ddf).to_global()`` (mean \\|attribution\\| reduced on the
  cluster).

What comes to this process: the target (n values), one column at a time, and the model's
outputs of the current feature's repeats (``n x n_repeats x outputs``), or its per-partition
sums and bounded ICE curves; never the table. The workers hold the rows, as the model's input,
for the duration of the call (read once, released at the end). With no ``dask.distributed``
client active, the same steps run one partition after another in this process.

Examples
--------
>>> import dask.dataframe as dd
>>> from sklearn.datasets import load_diabetes
>>> from sklearn.inspection import permutation_importance
>>> from sklearn.linear_model import Ridge
>>> import explain as ex
>>> X, y = load_diabetes(return_X_y=True, as_frame=True)
>>> model = Ridge().fit(X, y)
>>> explainer = ex.Explainer(model, method="permutation_importance", random_state=0)
>>> glob = explainer.explain_global(dd.from_pandas(X, npartitions=3), dd.from_pandas(y, npartitions=3))
>>> ref = permutation_importance(model, X, y, n_repeats=5, random_state=0, scoring="r2")
>>> bool(abs(glob.importances - ref.importances_mean).max() < 1e-12), glob.params["partitions"]
(True, 3)
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ._data import Codebook, Schema, checked_names, read_table
from .distributed import (
    _checked_collection,
    _first_rows,
    _is_frame,
    _partitions,
    _worker_threads,
    active_client,
    is_dask_collection,
)
from .errors import FeatureMismatchError, InputError, MethodError, require
from .explanation import GlobalExplanation
from .methods import GLOBAL_REGISTRY
from .methods import partial_dependence as pdp
from .methods import permutation_importance as pimp
from .methods._base import Job, free_output
from .methods._global import GlobalJob, GlobalResult
from .methods._sklearn_view import sklearn_estimator

__all__ = ["ICE_VALUES_BUDGET", "explain_global_on_cluster"]

ICE_VALUES_BUDGET = 4_000_000
"""Most ICE values (rows x grid points x outputs) brought back per feature for the exact band."""


# --------------------------------------------------------------------------- on the workers


@dataclass(frozen=True)
class _Model:
    """What every task needs: the estimator scikit-learn is given, and how to build its input."""

    estimator: Any
    schema: Schema
    names: tuple[str, ...] | None  # column names of a dask array's blocks
    as_float: tuple[str, ...] = ()  # integer columns partial dependence casts to float


def _model_input(model: _Model, part: Any) -> Any:
    """A partition as the model's input (what ``Job.model_input`` builds on one machine)."""
    if len(part) == 0:
        return None
    if model.names is not None and not isinstance(part, pd.DataFrame):  # a dask array block
        part = pd.DataFrame(np.asarray(part), columns=list(model.names))
    table = read_table(part, model.schema, role="X")
    codebook = Codebook.fit(model.schema, [table])
    X = codebook.to_container(codebook.encode(table).encoded)
    return pdp.with_float_columns(X, list(model.as_float)) if model.as_float else X


def _column(model: _Model, X: Any, j: int) -> Any:
    if X is None:
        return None
    return X.iloc[:, j].reset_index(drop=True) if hasattr(X, "iloc") else X[:, j]


def _outputs(model: _Model, X: Any, methods: Sequence[str]) -> dict[str, np.ndarray] | None:
    if X is None:
        return None
    with _worker_limits():
        return _predict(model, X, methods)


def _predict(model: _Model, X: Any, methods: Sequence[str]) -> dict[str, np.ndarray]:
    return {name: np.asarray(getattr(model.estimator, name)(X)) for name in methods}


def _worker_limits() -> Any:
    """On a dask worker, the model's OpenMP / BLAS threads capped by the worker's own thread
    count (the worker runs that many tasks at once); elsewhere, no limit."""
    from threadpoolctl import threadpool_limits

    threads = _worker_threads()
    return threadpool_limits(limits=threads) if threads is not None else contextlib.nullcontext()


def _permuted_outputs(model: _Model, X: Any, j: int, methods: Sequence[str], columns: list[Any]) -> list[Any]:
    """The outputs with column ``j`` replaced by each repeat's slice (scikit-learn's assignment)."""
    if X is None:
        return []
    X = X.copy()
    out = []
    with _worker_limits():
        for values in columns:
            if hasattr(X, "iloc"):
                values = values.copy()
                values.index = X.index
                X[X.columns[j]] = values
            else:
                X[:, j] = values
            out.append(_predict(model, X, methods))
    return out


def _dependence(model: _Model, X: Any, j: int, grid: np.ndarray, method: str, rows: np.ndarray | None) -> Any:
    """Sums over the partition's rows of the response at each grid value ``(grid, k)``, and the
    individual curves ``(len(rows), grid, k)`` of the rows asked for."""
    if X is None:
        return None
    X = X.copy()
    sums, curves = [], []
    with _worker_limits():
        for value in grid:
            if hasattr(X, "iloc"):
                X.iloc[:, j] = value  # as scikit-learn's _safe_assign
            else:
                X[:, j] = value
            out = pdp.response(model.estimator, X, method)
            sums.append(out.sum(axis=0))
            if rows is not None:
                curves.append(out[rows])
    return np.array(sums), (np.stack(curves, axis=1) if rows is not None else None)


# --------------------------------------------------------------------------- on the client


class _Session:
    """The collection's partitions held on the cluster as the model's input, and a way to run
    tasks over them: on the active ``dask.distributed`` client, else one by one here."""

    def __init__(self, collection: Any, head_job: Job, names: Sequence[str], as_float: list[str]) -> None:
        dask: Any = require("dask", extra="dask", purpose="Explaining a dask collection")
        self._dask = dask
        self.client = active_client()
        schema = head_job.X.schema
        model = _Model(
            sklearn_estimator(head_job.model), schema, None if _is_frame(collection) else tuple(names), tuple(as_float)
        )
        delayed = dask.delayed
        if self.client is None:
            self.model: Any = delayed(model, pure=True, traverse=False)
        else:  # sent once; every task of every pass uses the workers' copy
            self.model = self.client.scatter(model, hash=False)
        prepare = delayed(_model_input, pure=False)
        self.held: list[Any] = [prepare(self.model, part) for part in _partitions(collection)]
        if self.client is not None:  # read once, kept on the workers until close()
            self.held = self.client.compute(self.held)
        self.npartitions = len(self.held)

    def map(self, work: Callable[..., Any], *per_part: Sequence[Any], shared: Sequence[Any] = ()) -> list[Any]:
        """``work(model, X_p, *shared, *args_p)`` for every partition ``p``, in order."""
        call = self._dask.delayed(work, pure=False)
        parts = zip(self.held, *per_part, strict=True) if per_part else ((x,) for x in self.held)
        tasks = [call(self.model, x, *shared, *args) for x, *args in parts]
        if self.client is None:
            return list(self._dask.compute(*tasks, scheduler="sync"))
        return list(self.client.gather(self.client.compute(tasks)))

    def send(self, values: list[Any]) -> list[Any]:
        """Values for each partition: scattered to the workers (not through the scheduler)."""
        return values if self.client is None else self.client.scatter(values, hash=False)

    def announce(self, shown: bool | None, desc: str) -> None:
        link = getattr(self.client, "dashboard_link", None)
        if shown and self.client is not None and link:
            print(f"explain: {desc} on {self.client.scheduler.address}; dashboard {link}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.client is not None:
            self.client.cancel([*self.held, self.model])


def explain_global_on_cluster(explainer: Any, X: Any, y: Any, features: Sequence[str] | None) -> GlobalExplanation:
    """:meth:`explain.Explainer.explain_global` of a dask DataFrame or array ``X`` (see the
    module docstring); ``y`` a dask Series or array, or an array of one value per row."""
    start = time.perf_counter()
    if explainer.method not in GLOBAL_REGISTRY:
        return _local_to_global(explainer, X, y, features)
    spec = GLOBAL_REGISTRY[explainer.method]
    if spec.name not in _ON_CLUSTER:
        raise MethodError(
            f"{spec.name} takes rows in memory, not a dask collection; pass X.compute() (if it fits), or "
            f"use {sorted(_ON_CLUSTER)} or a local method, which run on the cluster."
        )
    collection, names = _checked_collection(X, explainer)
    job, _ = explainer._prepare(_first_rows(collection, names), need_background=False)
    gjob = GlobalJob(job, None, _chosen(job, features))
    _check_before_reading(gjob, spec.name, y)
    as_float = pdp.float_columns(job.X.schema) if spec.name == "partial_dependence" else []
    session = _Session(collection, job, names, as_float)
    try:
        result, n_rows = _ON_CLUSTER[spec.name](session, gjob, y, explainer.progress)
    finally:
        session.close()
    chosen = gjob.features
    provenance = replace(explainer._provenance(job, start), data_fingerprint="")
    return GlobalExplanation(
        importances=result.importances,
        spread=result.spread,
        feature_names=chosen,
        output_names=result.output_names,
        output_space=result.output_space,
        kind=result.kind,
        method=spec.name,
        params={
            **result.params,
            "output_requested": explainer.output,
            "n_rows": n_rows,
            "partitions": session.npartitions,
        },
        provenance=provenance,
        effects=result.effects,
    )


def _check_before_reading(gjob: GlobalJob, name: str, y: Any) -> None:
    """Every refusal that needs no data, before the rows are read."""
    job = gjob.job
    if job.X.schema.container == "polars":
        raise InputError("the background is a polars DataFrame; pass it as pandas to explain a dask collection.")
    if job.model.kind == "callable":
        raise MethodError(f"{name} needs a fitted estimator; a plain function cannot be passed to sklearn.")
    if name == "permutation_importance":
        pimp.check_settings(job.params)
        if y is None:
            raise InputError(
                "permutation_importance measures the drop in score, so it needs the target: explain_global(X, y)."
            )
    else:
        pdp.check_settings(job.params)
        pdp.response_method(gjob, free_output(job))


def _local_to_global(explainer: Any, X: Any, y: Any, features: Sequence[str] | None) -> GlobalExplanation:
    if features is not None:
        raise MethodError(
            f"features={features!r} chooses the features of a global method ('partial_dependence', "
            f"'permutation_importance'); method={explainer.method!r} explains every feature. Leave "
            "features=None (and select from the result), or pass method='partial_dependence'."
        )
    target = _computed(y)
    glob: GlobalExplanation = explainer.explain_local(X).to_global()
    _target(target, int(glob.params["n_rows"]))  # unused, but checked as on one machine
    return glob


def _chosen(job: Job, features: Sequence[str] | None) -> tuple[str, ...]:
    names = job.X.schema.feature_names
    asked = checked_names(features, "features", unique=True)
    if asked is not None and not asked:
        raise InputError("features=[] names no feature; pass at least one feature, or None for all of them.")
    chosen = tuple(names) if asked is None else tuple(str(f) for f in asked)
    unknown = [f for f in chosen if f not in names]
    if unknown:
        raise FeatureMismatchError(f"features {unknown} are not columns of X; choose among {list(names)}.")
    return chosen


def _computed(y: Any) -> Any:
    """A dask target gathered here (n values, in the collection's row order)."""
    return y.compute() if is_dask_collection(y) else y


def _target(y: Any, n_rows: int) -> np.ndarray | None:
    from .explainer import _read_target

    return _read_target(_computed(y), n_rows)


def _rows(column: Any, lo: int, hi: int) -> Any:
    return column.iloc[lo:hi] if isinstance(column, pd.Series) else column[lo:hi]


def _bounds(lengths: Sequence[int]) -> list[tuple[int, int]]:
    ends = np.cumsum(lengths)
    return [(int(e - n), int(e)) for n, e in zip(lengths, ends, strict=True)]


def _gather_column(session: _Session, j: int) -> tuple[Any, list[int]]:
    parts = session.map(_column, shared=(j,))
    lengths = [0 if p is None else len(p) for p in parts]
    found = [p for p in parts if p is not None]
    if not found:
        raise InputError("the dask collection has no rows to explain; pass a collection with at least one row.")
    joined = pd.concat(found, ignore_index=True) if isinstance(found[0], pd.Series) else np.concatenate(found)
    return joined, lengths


def _permutation_importance(session: _Session, gjob: GlobalJob, y: Any, shown: bool | None) -> tuple[GlobalResult, int]:
    from sklearn.metrics import check_scoring

    from ._progress import progress

    job = gjob.job
    params = {**dict(pimp.SPEC.defaults), **dict(job.params)}
    scoring = params["scoring"] or pimp.default_scoring(job.model)
    n_repeats = int(params["n_repeats"])
    estimator = sklearn_estimator(job.model)
    scorer = check_scoring(estimator, scoring=scoring)
    methods = pimp.response_methods(estimator, scorer)
    baseline = session.map(_outputs, shared=(methods,))
    lengths = [0 if o is None else len(next(iter(o.values()))) for o in baseline]
    n = int(sum(lengths))
    if n == 0:
        raise InputError("the dask collection has no rows to explain; pass a collection with at least one row.")
    target = _target(y, n)
    assert target is not None  # y was given
    score = _scorer(scorer, estimator, target, scoring, n_repeats)
    base = score([o for o in baseline if o is not None])
    seed = pimp.random_seed(job.random_state)
    scores = np.empty((len(gjob.features), n_repeats))
    names = job.X.schema.feature_names
    session.announce(shown, "permutation importance")
    for f, name in enumerate(progress(gjob.features, total=len(gjob.features), setting=shown, desc="features")):
        j = names.index(name)
        column, _ = _gather_column(session, j)
        shuffled = list(pimp.permuted_columns(column, seed, n_repeats))
        slices = session.send([[_rows(c, lo, hi) for c in shuffled] for lo, hi in _bounds(lengths)])
        del column, shuffled
        outs = [o for o in session.map(_permuted_outputs, slices, shared=(j, methods)) if o]
        for r in range(n_repeats):
            scores[f, r] = score([o[r] for o in outs])
    mean, std = pimp.importances_of(base, scores)
    params["scoring"] = scoring
    result = GlobalResult(mean, std, "permutation", "score", (scoring,), params=params)
    return result, n


def _scorer(scorer: Any, estimator: Any, y: np.ndarray, scoring: Any, n_repeats: int) -> Callable[[list[Any]], float]:
    """Score the model's outputs over every row (one dict per partition, in order) with the
    scorer scikit-learn would use, here."""
    placeholder = np.empty((len(y), 0))  # the outputs are recorded: the scorer's X is not read

    def score(parts: list[dict[str, np.ndarray]]) -> float:
        outputs = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
        try:
            return float(scorer(pimp.recorded(estimator, outputs), placeholder, y))
        except (ValueError, TypeError) as exc:  # the scorer's checks of the target and outputs
            raise MethodError(
                f"scikit-learn's scorer refused this call ({type(exc).__name__}: {exc}). Check that y holds "
                f"the target of X's rows in the model's own labels, and the settings (scoring={scoring!r}, "
                f"n_repeats={n_repeats!r})."
            ) from exc

    return score


def _partial_dependence(session: _Session, gjob: GlobalJob, y: Any, shown: bool | None) -> tuple[GlobalResult, int]:
    from ._progress import progress

    job = gjob.job
    space = free_output(job)
    method = pdp.response_method(gjob, space)
    params: dict[str, Any] = {**dict(pdp.SPEC.defaults), **dict(job.params)}
    schema = job.X.schema
    as_float = pdp.float_columns(schema)
    categorical = set(pdp.categorical_columns(schema))
    head = job.model_input(job.X)
    head = pdp.with_float_columns(head, as_float) if as_float else head
    k = pdp.response(sklearn_estimator(job.model), head, method).shape[1]
    effects, importances, band_rows = [], [], {}
    session.announce(shown, "partial dependence")
    n = 0
    for name in progress(gjob.features, total=len(gjob.features), setting=shown, desc="features"):
        j = schema.feature_names.index(name)
        column, lengths = _gather_column(session, j)
        if n == 0:
            n = int(sum(lengths))
            _target(y, n)  # unused, but checked as on one machine
        grid = pdp.grid_of(column, name in categorical, int(params["grid_resolution"]), tuple(params["percentiles"]))
        del column
        rows = _band_rows(n, len(grid) * k, job.random_state)
        band_rows[name] = len(rows)
        picked = [rows[(rows >= lo) & (rows < hi)] - lo for lo, hi in _bounds(lengths)]
        parts = [p for p in session.map(_dependence, picked, shared=(j, grid, method)) if p is not None]
        average = np.sum([s for s, _ in parts], axis=0) / n  # (grid, k)
        curves = np.concatenate([c for _, c in parts], axis=0)  # (rows, grid, k)
        lower, upper = (np.percentile(curves, q, axis=0) for q in pdp.ICE_BAND)
        declared = schema.columns[j].categories if name in categorical else None  # the user's order, as in memory
        effects.append(pdp.effect_of(name, grid, average, lower, upper, declared))
        importances.append(average.std(axis=0))
    imp = np.array(importances)
    params.update(
        integer_columns_as_float=as_float,
        response_method=method,
        ice_band=list(pdp.ICE_BAND),
        ice_band_rows=band_rows,
        ice_band_budget=ICE_VALUES_BUDGET,
    )
    result = GlobalResult(
        importances=imp[:, 0] if k == 1 else imp,
        spread=None,
        kind="partial_dependence_std",
        output_space=space,
        output_names=job.model.output_names(k),
        effects=tuple(effects),
        params=params,
    )
    return result, n


def _band_rows(n: int, per_row: int, random_state: int | None) -> np.ndarray:
    """The rows whose ICE curves make the band: all of them within the budget, else a sample
    drawn without replacement with ``random_state`` (the same rows for every feature of a size)."""
    size = max(1, ICE_VALUES_BUDGET // max(per_row, 1))
    if n <= size:
        return np.arange(n)
    return np.sort(np.random.default_rng(random_state).choice(n, size=size, replace=False))


_ON_CLUSTER: dict[str, Callable[[_Session, GlobalJob, Any, bool | None], tuple[GlobalResult, int]]] = {
    "permutation_importance": _permutation_importance,
    "partial_dependence": _partial_dependence,
}
