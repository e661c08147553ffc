"""The audit of data held in dask collections: the heavy steps on the cluster; vectors, a few
columns and a bounded sample of rows gathered.

:func:`explain.audit` comes here (through ``build_context``) when ``X_test``, ``y_test``, the
``reference``, ``y_train`` or the sensitive features is a dask collection: a dask DataFrame (a
dask array for ``X_test`` takes ``X_train``'s column names), a dask Series or array for a
target. ``X_train`` stays in memory: the audit reads it whole (the explanations' background, the
leakage check's cross-validated trees, the glass-box benchmark fitted on it), as the model was.

**On the workers**, one pass over each dask data set, the model sent once (one task of the graph
holds it): the model's score of every row; the in-memory audit's checks (date and mixed-type
columns, infinite values, numbers beyond float32 when the model fails, rows numbered over the
whole data set); the SHA-256 of each partition in the in-memory canonical form; missing values
per column. Drift runs on the cluster too (:mod:`explain.metrics.drift_dask`).

**Gathered** into this process: per data set the scores and the row keys (the index: n values
each); the targets; the sensitive columns only (those named, or the frame given); and for a
dask ``X_test`` a sample of rows (:mod:`._row_sample`): at most ``ROW_SAMPLE`` plus the first
``MISSING_ROWS`` (the robustness section's missing-value rows), the explained rows and the two
rows of lowest and highest score, whatever the size of the data.

**The sections.** Those over whole data sets read the gathered vectors and reductions, and give
the in-memory numbers exactly: performance, fairness (counts from the scores, the labels and the
sensitive columns), the data section's missing shares, drift (exact except a KS statistic that
needs a grid; see ``drift_dask``). The explanations are of the rows the in-memory audit explains
(the same positions, drawn with ``random_state`` from the row count), gathered, so the global and
local explanation sections are the in-memory ones. The sections that read rows (robustness under
noise and missing values, the glass-box benchmark, the model's inputs) read the row sample: with
at most ``ROW_SAMPLE`` test rows it holds every row and they equal the in-memory audit;
beyond, they are computed on the sample, which the evidence records (``provenance.cluster``) and
the data section states. For a regression model the decision cut of those sections (the median
score) is then the sample's.

**Fingerprints.** A dask data set's SHA-256 is computed per partition on the workers, in the
canonical form of :func:`~explain.report._context.frame_sha256`, and combined: the SHA-256 of the
canonical JSON ``{"scheme": "explain.partitioned-sha256/1", "columns": [...], "partitions":
[[rows, sha256], ...], "target": sha256 of the target column or null}``. It depends on the
partitioning (the same files give the same value) and differs from the in-memory fingerprint of
the same rows, which would need every value streamed through one process.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._model import ModelAdapter
from ..errors import FeatureMismatchError, InputError, ModelError
from . import _row_sample
from ._context import AuditContext
from ._context_checks import (
    _check_duplicates,
    _check_groups,
    _check_reason_codes,
    _frame,
    _model_columns,
    _sensitive,
    beyond_float32,
    check_rows,
    check_same_columns,
    float32_message,
)
from ._context_dask_data import (
    SCHEME,
    _aligned,
    _Data,
    _data,
    _dataset,
    _gather,
    _meta_checks,
    _Scan,
    _scanned,
    _sensitive_frame,
)
from ._context_targets import _target, audit_space, checked_scores, is_multiclass, model_targets
from ._policy import ModelCard, Policy
from ._row_sample import sample_positions, take_rows
from ._sections_robust import MISSING_ROWS

__all__ = ["ClusterRun", "build_cluster_context"]


@dataclass
class ClusterRun:
    """What an audit of dask data ran where and gathered; the rows it gathered."""

    record: dict[str, Any]  # provenance.cluster of the evidence
    missing_test: pd.Series | None = None  # share of missing values per model column, for a dask X_test
    rows: pd.DataFrame | None = None  # the gathered test rows (model columns, the collection's index)
    positions: np.ndarray | None = None  # their positions in X_test
    explain_positions: np.ndarray | None = None  # the rows the in-memory audit would explain
    gathered: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Inputs:
    """The audit's inputs, checked as far as can be without reading a dask collection's rows."""

    adapter: ModelAdapter
    train: pd.DataFrame
    test: _Data
    ref: _Data
    columns: list[str]  # the model's
    y_train: Any  # as given, a dask collection gathered
    sensitive: Any  # as given, a dask collection gathered
    gather: tuple[str, ...]  # columns of a dask X_test gathered for the sensitive features


def _inputs(X_train: Any, y_train: Any, X_test: Any, reference: Any, sensitive: Any, model: Any,
            progress: bool | None) -> _Inputs:  # fmt: skip
    """The in-memory audit's checks of the inputs, on the column names and dtypes of dask ones."""
    from ..distributed import is_dask_collection

    adapter = ModelAdapter.from_model(model)
    if is_dask_collection(X_train):
        raise InputError(
            "X_train is a dask collection; the audit reads the training data whole (the explanations' "
            "background, the leakage check's cross-validated trees, the glass-box benchmark fitted on it), so "
            "pass it in memory, e.g. X_train.compute() (the model was fitted on it in one process). X_test, "
            "y_test, the reference and the sensitive features may stay dask collections."
        )
    train = _frame(X_train, "X_train")
    test = _data(X_test, "X_test", "test", list(train.columns))
    check_same_columns(list(train.columns), [str(c) for c in test.frame.columns])
    _check_duplicates(train, "X_train")
    _check_duplicates(test.frame, "X_test")
    check_rows("X_train", len(train))
    y_tr = _gather(y_train, progress, "gathering y_train") if is_dask_collection(y_train) else y_train
    _target(y_tr, len(train), "y_train")
    sensitive, gather = _sensitive_frame(sensitive, test, progress)
    named = isinstance(sensitive, (list, tuple)) and all(isinstance(s, str) for s in sensitive)
    columns = _model_columns(adapter, test.frame, list(sensitive) if named else [])
    if reference is None:
        ref = _Data("reference", "train", train, False, len(train))
    else:
        ref = _data(reference, "reference", "reference", None)
        _check_duplicates(ref.frame, "reference")
        if not ref.lazy:
            check_rows(ref.name, ref.rows)
    lacking = [c for c in columns if c not in [str(c) for c in ref.frame.columns]]
    if lacking:
        raise FeatureMismatchError(f"reference lacks the model's columns {lacking}; give it the columns of X_test.")
    for data in (_Data("X_train", "train", train, False, len(train)), test, ref):
        _meta_checks(data, columns)
    return _Inputs(adapter, train, test, ref, columns, y_tr, sensitive, gather)


def refuse_multiclass(adapter: ModelAdapter) -> None:
    """A multiclass model is audited in memory only: its probabilities per class, the per-class
    metrics and the one-vs-rest fairness are not yet computed from dask collections."""
    if is_multiclass(adapter):
        raise ModelError(
            f"the audit of dask collections supports binary classifiers and regressors; this classifier has "
            f"{len(adapter.classes or ())} classes {list(adapter.classes or ())}. Audit a multiclass model on data "
            "in memory: pass X_test, y_test (and the reference) as pandas or numpy, e.g. X_test.compute(), or a "
            "sample of the rows."
        )


def build_cluster_context(
    model: Any,
    X_train: Any,
    y_train: Any,
    X_test: Any,
    y_test: Any,
    *,
    sensitive_features: Any,
    reference: Any,
    reason_codes: Mapping[str, Any] | None,
    card: ModelCard,
    policy: Policy,
    random_state: int,
    log: Callable[[str], None],
    progress: bool | None,
) -> AuditContext:
    """``build_context`` for dask collections: validate, score on the cluster, gather the vectors
    and the row sample (see the module docstring)."""
    from ..distributed import is_dask_collection

    got = _inputs(X_train, y_train, X_test, reference, sensitive_features, model, progress)
    adapter, train, test, ref, columns = got.adapter, got.train, got.test, got.ref, got.columns
    refuse_multiclass(adapter)
    _check_reason_codes(reason_codes, columns)
    space = audit_space(adapter)
    training = _Data("X_train", "train", train, False, len(train))
    log("Scoring the training data here, the test and reference data on the cluster")
    scores_train = _scores(training, adapter, columns, space)
    for data, extra in ((test, got.gather), (ref, ())):
        if data.lazy:
            _scanned(data, _Scan(adapter, tuple(columns), space, extra, data.name), progress)
            check_rows(data.name, data.rows)
    y_te_given = _gather(y_test, progress, "gathering y_test") if is_dask_collection(y_test) else y_test
    y_te = _target(y_te_given, test.rows, "y_test")
    _aligned(y_te_given, y_test, test.index, "y_test", "X_test")
    sens_test, sens_train, _ = _sensitive(got.sensitive, train, test.gathered if test.lazy else test.frame)
    _check_groups(sens_test)
    y_tr, y_te, positive, space = model_targets(adapter, _target(got.y_train, len(train), "y_train"), y_te)
    ctx = AuditContext(
        model=model,
        adapter=adapter,
        task=adapter.task,
        positive_class=None if positive is None else str(positive),
        target_name=str(y_train.name) if getattr(y_train, "name", None) is not None else None,
        X_train=train[columns].copy(),
        X_test=test.frame[columns] if test.lazy else test.frame[columns].copy(),
        reference=ref.frame[columns] if ref.lazy else ref.frame[columns].copy(),
        reference_given=reference is not None,
        y_train=y_tr,
        y_test=y_te,
        sensitive_test=sens_test,
        sensitive_train=sens_train,
        scores_train=scores_train,
        scores_test=_scores(test, adapter, columns, space),
        scores_reference=scores_train if reference is None else _scores(ref, adapter, columns, space),
        policy=policy,
        card=card,
        reason_codes=reason_codes,
        random_state=random_state,
        log=log,
        progress=progress,
    )
    ctx.datasets += [_dataset(training, got.y_train), _dataset(test, y_te_given)]
    if reference is not None:
        ctx.datasets.append(_dataset(ref, None))
    ctx.cluster = _run(ctx, test, ref if ref.lazy else None, got.gather, (y_train, y_test, sensitive_features))
    return ctx


def _scores(data: _Data, adapter: ModelAdapter, columns: list[str], space: str) -> np.ndarray:
    """The model's score per row: scored here for data in memory, else the scan's outputs."""
    if data.lazy:
        return checked_scores(adapter, np.asarray(data.output), data.name)
    try:
        out = adapter.predict(data.frame[columns], space)  # type: ignore[arg-type]
    except ModelError as exc:
        hint = "".join(float32_message(*found, data.name) for found in beyond_float32(data.frame[columns])[:1])
        raise type(exc)(f"scoring {data.name}: {exc}{hint}") from exc
    return checked_scores(adapter, out, data.name)


def _run(
    ctx: AuditContext, test: _Data, ref: _Data | None, gather: tuple[str, ...], given: tuple[Any, ...]
) -> ClusterRun:
    """What ran where and what was gathered; the row sample of a dask X_test."""
    from ..distributed import cluster_summary, is_dask_collection

    columns = list(ctx.X_train.columns)
    lazy = [d for d in (test, ref) if d is not None and d.lazy]
    gathered = [
        {"name": d.role, "what": "the model's score and the row key of every row", "count": d.rows} for d in lazy
    ]
    y_train, y_test, sensitive = given
    for y, name, role, values in ((y_train, "y_train", "train", ctx.y_train), (y_test, "y_test", "test", ctx.y_test)):
        if is_dask_collection(y):
            gathered.append({"name": role, "what": f"the target ({name})", "count": len(values)})
    if gather:
        what = f"the sensitive columns {', '.join(gather)}"
        gathered.append({"name": "test", "what": what, "count": test.rows * len(gather)})
    if is_dask_collection(sensitive) and ctx.sensitive_test is not None:
        what = f"the sensitive features given ({', '.join(map(str, ctx.sensitive_test.columns))})"
        gathered.append({"name": "test", "what": what, "count": int(ctx.sensitive_test.size)})
    run = ClusterRun(record={}, gathered=gathered)
    sample, bound = None, _row_sample.ROW_SAMPLE
    if test.lazy:
        run.positions, run.explain_positions = sample_positions(ctx, test.rows)
        ctx.log(f"Gathering {len(run.positions)} of the {test.rows} test rows for the sections that read rows")
        lengths = [rows for rows, _ in test.parts]
        run.rows = take_rows(test.frame[columns], lengths, run.positions, ctx.progress)
        run.missing_test = pd.Series(np.asarray(test.missing) / test.rows, index=columns)
        what = f"rows for the sections that read rows ({len(columns)} model columns)"
        gathered.append({"name": "test", "what": what, "count": len(run.rows)})
        sample = {
            "rows": len(run.rows),
            "of": test.rows,
            "every_row": len(run.rows) == test.rows,
            "rule": f"every row up to {bound} test rows; beyond, {bound} drawn with random_state (the "
            f"robustness section's draw), the first {MISSING_ROWS}, the explained rows and the rows of lowest and "
            "highest score",
        }
    run.record = {
        **cluster_summary(),
        "datasets": [{"name": d.role, "partitions": len(d.parts), "rows": d.rows} for d in lazy],
        "gathered": gathered,
        "row_sample": sample,
        "fingerprints": f"{SCHEME}: the SHA-256 of the canonical JSON of the scheme, the column names, each "
        "partition's rows and SHA-256 (in the in-memory canonical form, computed on its worker) and the target's",
    }
    return run
