"""The champion, the model in production the audited model would replace: validated against the
audited model, scored on the same test rows (in memory, or partition by partition on a cluster),
and the paired bootstrap both models' metrics are compared with.

:func:`paired_bootstrap`: resample ``i`` is row ``i`` of ``np.random.default_rng(random_state)
.integers(0, n, size=(n_boot, n))`` (drawn in chunks of 100, the stream of
:func:`explain.metrics.bootstrap_ci`), and both models are scored on the same resampled rows; the
intervals are percentile intervals. A resample on which the metric is undefined (ROC AUC of one
class) is left out for both models.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from .._data import check_column_types
from .._model import ModelAdapter
from .._provenance import model_fingerprint, type_path
from ..errors import FeatureMismatchError, InputError, ModelError
from ..metrics.performance import _ROWS
from ._context import AuditContext
from ._context_targets import checked_scores

__all__ = ["METRICS", "Champion", "PairedBootstrap", "decisions", "paired_bootstrap", "score_champion", "selected"]

_CHUNK = 100


@dataclass(frozen=True)
class Champion:
    """The champion model scored on the audit's test rows."""

    model: Any
    name: str
    type: str
    sha256: str
    columns: tuple[str, ...]
    scores: np.ndarray


@dataclass(frozen=True)
class PairedBootstrap:
    """One metric of two models on the same rows, with paired percentile-bootstrap intervals."""

    metric: str
    challenger: float
    champion: float
    difference: float  # challenger - champion
    challenger_ci: tuple[float, float]
    champion_ci: tuple[float, float]
    difference_ci: tuple[float, float]
    n_boot: int
    n_valid: int


# name -> (label, function of (y, score or decision), greater is better, reads decisions)
METRICS: dict[str, tuple[str, Callable[..., float], bool, bool]] = {
    "roc_auc": ("ROC AUC", skm.roc_auc_score, True, False),
    "brier": ("Brier score", skm.brier_score_loss, False, False),
    "accuracy": ("Accuracy at the decision threshold", skm.accuracy_score, True, True),
    "r2": ("R²", skm.r2_score, True, False),
    "rmse": ("RMSE", skm.root_mean_squared_error, False, False),
    "mae": ("MAE", skm.mean_absolute_error, False, False),
}


def _interval(values: np.ndarray, alpha: float) -> tuple[float, float]:
    low, high = np.quantile(values, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def paired_bootstrap(
    metric: str,
    y: np.ndarray,
    challenger: np.ndarray,
    champion: np.ndarray,
    *,
    n_boot: int,
    random_state: int,
    alpha: float = 0.05,
) -> PairedBootstrap:
    """``metric`` of both models and their difference, on the same bootstrap resamples of the rows.

    Parameters
    ----------
    metric : {"roc_auc", "brier", "accuracy", "r2", "rmse", "mae"}
        ``accuracy`` takes decisions (0 / 1), the others scores or predictions.
    y, challenger, champion : arrays of shape (n,)
        The targets (1 for the positive class) and each model's scores on the same rows.
    n_boot, random_state, alpha
        Resamples, their seed, and 1 - the confidence of the percentile intervals.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0, 0, 1, 1] * 25)
    >>> good, poor = y * 0.6 + 0.2, np.tile([0.3, 0.6, 0.4, 0.5], 25)
    >>> result = paired_bootstrap("roc_auc", y, good, poor, n_boot=200, random_state=0)
    >>> result.challenger, result.champion, result.difference_ci[0] > 0
    (1.0, 0.5, True)
    """
    fn, rows = METRICS[metric][1], _ROWS[metric]
    y = np.asarray(y, dtype=float)
    a, b = np.asarray(challenger, dtype=float), np.asarray(champion, dtype=float)
    value_a, value_b = float(fn(y, a)), float(fn(y, b))
    rng, n = np.random.default_rng(random_state), len(y)
    boot_a, boot_b = np.full(n_boot, np.nan), np.full(n_boot, np.nan)
    for start in range(0, n_boot, _CHUNK):
        idx = rng.integers(0, n, size=(min(_CHUNK, n_boot - start), n))  # the same rows for both models
        boot_a[start : start + len(idx)] = rows(y[idx], a[idx])
        boot_b[start : start + len(idx)] = rows(y[idx], b[idx])
    valid = ~(np.isnan(boot_a) | np.isnan(boot_b))
    if not valid.any():
        nan = (float("nan"), float("nan"))
        return PairedBootstrap(metric, value_a, value_b, value_a - value_b, nan, nan, nan, n_boot, 0)
    return PairedBootstrap(
        metric,
        value_a,
        value_b,
        value_a - value_b,
        _interval(boot_a[valid], alpha),
        _interval(boot_b[valid], alpha),
        _interval(boot_a[valid] - boot_b[valid], alpha),
        n_boot,
        int(valid.sum()),
    )


def _champion_columns(adapter: ModelAdapter, frame: Any, ctx: AuditContext) -> list[str]:
    """The champion's input columns, picked by name from the X_test the user passed."""
    if adapter.feature_names is None:
        challenger = list(ctx.X_test.columns)
        if adapter.n_features not in (None, len(challenger)):
            raise FeatureMismatchError(
                f"the champion was fitted without column names on {adapter.n_features} features, so its columns "
                f"cannot be found in X_test; the challenger reads {len(challenger)}. Refit the champion on a "
                "DataFrame (its feature_names_in_ name its columns), or wrap it in a Pipeline that selects them."
            )
        return challenger  # fitted on an array of the challenger's columns, in the same order
    wanted = list(adapter.feature_names)
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise FeatureMismatchError(
            f"the champion was fitted on columns {missing} that X_test lacks (X_test has {list(frame.columns)}). "
            "Pass an X_test holding the columns of both models: each model reads its own columns of it."
        )
    return wanted


def _check_same_task(adapter: ModelAdapter, ctx: AuditContext) -> None:
    if ctx.task == "multiclass":
        raise InputError(
            f"champion= compares binary classifiers and regressors; the audited model is a multiclass classifier "
            f"(classes {list(ctx.adapter.classes or ())}). Audit the two models separately and compare their "
            "per-class tables, or compare one class against the rest (binary models)."
        )
    if adapter.task != ctx.task:
        raise ModelError(
            f"the champion is a {adapter.task} model and the audited model a {ctx.task} model; a champion is "
            "the model this one would replace, so it must do the same task. Pass the production model of the "
            "same task, or leave champion=None."
        )
    if not ctx.is_classifier:
        return
    mine, theirs = tuple(ctx.adapter.classes or ()), tuple(adapter.classes or ())
    if len(mine) != 2 or len(theirs) != 2:
        raise InputError(
            f"champion= compares binary classifiers and regressors; the models have the classes {list(mine)} "
            f"(audited) and {list(theirs)} (champion). Compare one class against the rest (binary models) instead."
        )
    if [str(c) for c in mine] != [str(c) for c in theirs]:
        raise ModelError(
            f"the champion's classes {list(theirs)} differ from the audited model's {list(mine)} (same labels in "
            "the same order: the second is the positive class). Refit the champion on the same labels, or relabel "
            "its target to match."
        )


def _score_part(adapter: ModelAdapter, columns: tuple[str, ...], space: str, part: pd.DataFrame) -> np.ndarray:
    """The champion's output on one partition of a dask X_test, on its worker."""
    from .._distributed_global import _worker_limits

    X = part[list(columns)]
    check_column_types(X, "X_test")
    if not len(X):
        return np.empty((0, 2 if adapter.is_classifier else 1))
    with _worker_limits():
        return np.asarray(adapter.predict(X, space))  # type: ignore[arg-type]


def _score_on_cluster(adapter: ModelAdapter, X_test: Any, columns: list[str], space: str, ctx: AuditContext) -> Any:
    """Score a dask X_test partition by partition (in the order the audit's own scan read them, so
    row i is the audited model's row i); the model is sent once, as one task of the graph."""
    import dask

    from ..distributed import run_tasks

    empty = pd.DataFrame({c: pd.Series([], dtype=t) for c, t in X_test[columns].dtypes.items()})
    check_column_types(empty, "X_test")  # date columns, from the dtypes, before any task runs
    shared = dask.delayed(adapter, pure=True, traverse=False)
    step = dask.delayed(_score_part, pure=True)
    tasks = [step(shared, tuple(columns), space, p) for p in X_test.to_delayed()]
    parts = run_tasks(tasks, progress=ctx.progress, desc="scoring X_test with the champion")
    out = np.concatenate(parts) if parts else np.empty((0, 1))
    if len(out) != len(ctx.y_test):
        raise InputError(
            f"the champion scored {len(out)} rows of X_test and the audited model {len(ctx.y_test)}; the dask "
            "X_test changed between the two passes. Persist it first (X_test = X_test.persist())."
        )
    return out


def score_champion(model: Any, X_test: Any, ctx: AuditContext, *, name: str) -> Champion:
    """Validate the champion against the audited model and score it on ``X_test`` (the frame the
    user passed: every column, each model taking its own). ``X_test`` may be a dask DataFrame:
    the champion then scores it on the cluster, partition by partition, and only its scores come
    back.

    Raises
    ------
    ModelError
        The champion is not fitted, does another task, or has other classes.
    InputError
        A multiclass classifier (the comparison is for binary classifiers and regressors).
    FeatureMismatchError
        ``X_test`` lacks a column the champion was fitted on.
    """
    adapter = ModelAdapter.from_model(model)
    _check_same_task(adapter, ctx)
    columns = _champion_columns(adapter, X_test, ctx)
    space = "probability" if ctx.is_classifier else "raw"
    from ..distributed import is_dask_collection

    try:
        if is_dask_collection(X_test):
            out = _score_on_cluster(adapter, X_test, columns, space, ctx)
        else:
            check_column_types(X_test[columns], "X_test")
            out = adapter.predict(X_test[columns], space)  # type: ignore[arg-type]
    except ModelError as exc:
        raise type(exc)(f"scoring X_test with the champion: {exc}") from exc
    scores = checked_scores(adapter, out, "X_test (champion)")
    if not np.isfinite(scores).all():
        bad = np.flatnonzero(~np.isfinite(scores))
        raise ModelError(
            f"the champion's scores of X_test are not finite at rows {bad[:5].tolist()}; check those rows "
            "(values the champion was not fitted on) or the champion model."
        )
    return Champion(model, name, type_path(model), model_fingerprint(model), tuple(columns), scores)


def selected(ctx: AuditContext, scores: np.ndarray) -> np.ndarray:
    """The rows selected, as the fairness section counts them for the audited model
    (``AuditContext.selected_test``): a score at or above the decision threshold (classifier); a
    prediction at or above ``regression_threshold`` when the policy declares one, else above the
    model's own median prediction (regressor)."""
    if ctx.is_classifier:
        return np.asarray(scores >= ctx.policy.decision_threshold)
    cut = ctx.policy.regression_threshold
    if cut is not None:
        return np.asarray(scores >= cut)
    return np.asarray(scores > np.median(scores))


def decisions(ctx: AuditContext, scores: np.ndarray) -> np.ndarray:
    """The favourable decision per row: the same rows as :func:`selected`."""
    return selected(ctx, scores)
