"""The comparison with the champion: the model in production that the audited model (the
challenger) would replace, scored on the same test rows.

What is compared, all on the rows of ``X_test`` (each model reads its own columns of it):

- **Performance**: the primary metrics of both models (ROC AUC, Brier score and accuracy at the
  policy's decision threshold for a binary classifier; R², RMSE and MAE for a regressor) and
  their differences, challenger minus champion, with **paired** percentile-bootstrap intervals:
  resample ``i`` is row ``i`` of ``np.random.default_rng(random_state).integers(0, n, size=(n_boot,
  n))`` (drawn in chunks of 100, the stream of :func:`explain.metrics.bootstrap_ci`), and both
  models are scored on the same resampled rows, so the interval of the difference accounts for
  the correlation of the two models' errors. A resample on which a metric is undefined (ROC AUC of
  one class) is left out for both models.
- **Fairness**: the measures the fairness section judges, per sensitive attribute (and their
  intersection): the lowest impact ratio and, for a classifier, the largest TPR or FPR gap.
- **Disagreement**: the share of rows whose decision differs, and the swap set: the rows the
  challenger approves and the champion declines (swap-in), and the reverse (swap-out), with the
  observed outcome rate of each. The decision is the fairness section's: a score at or above the
  policy threshold for a classifier, above the model's own median prediction for a regressor.
- **Rank correlation** of the two models' scores (Spearman, ``scipy.stats.spearmanr``).
- **Stability**: the PSI of the challenger's score distribution against the champion's on the same
  rows (:func:`explain.metrics.prediction_drift`, reference = the champion). The chi-square
  p-value of the drift section is not given: it assumes two independent samples, and these are
  the same rows scored twice.

Findings: ``champion.primary_metric`` fails when the challenger's primary metric (ROC AUC, or R²)
is significantly worse than the champion's (the upper bound of the paired interval of the
difference is below 0), warns when it is worse but not significantly, and passes otherwise;
``champion.disagreement`` and ``champion.score_psi`` are reported without a threshold (``info``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from sklearn import metrics as skm

from .. import metrics
from .._data import check_column_types
from .._model import ModelAdapter
from .._provenance import model_fingerprint, type_path
from ..errors import FeatureMismatchError, InputError, ModelError
from ..metrics.performance import _ROWS
from ._context import AuditContext, checked_scores
from ._regulations import requirements_for
from ._schema import SECTION_TITLES, column, facts, finding, findings_block, paragraph, section, table

__all__ = ["SECTION_ID", "Champion", "PairedBootstrap", "champion_section", "paired_bootstrap", "score_champion"]

SECTION_ID = "champion"
TITLE = "Comparison with the champion"
_CHUNK = 100

Built = tuple[dict[str, Any], list[dict[str, Any]]]


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
_METRICS: dict[str, tuple[str, Callable[..., float], bool, bool]] = {
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
    fn, rows = _METRICS[metric][1], _ROWS[metric]
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


def decisions(ctx: AuditContext, scores: np.ndarray) -> np.ndarray:
    """The favourable decision per row, as the fairness section takes it for the audited model."""
    if ctx.is_classifier:
        return np.asarray(scores >= ctx.policy.decision_threshold)
    return np.asarray(scores > np.median(scores))


def _none(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def _performance(ctx: AuditContext, champ: Champion) -> tuple[list[PairedBootstrap], dict[str, Any]]:
    p = ctx.policy
    names = ("roc_auc", "brier", "accuracy") if ctx.is_classifier else ("r2", "rmse", "mae")
    results = []
    for name in names:
        reads_decisions = _METRICS[name][3]
        a = decisions(ctx, ctx.scores_test) if reads_decisions else ctx.scores_test
        b = decisions(ctx, champ.scores) if reads_decisions else champ.scores
        results.append(
            paired_bootstrap(name, ctx.y_test, a, b, n_boot=p.n_bootstrap, random_state=ctx.random_state, alpha=p.alpha)
        )
    rows = []
    for r in results:
        label, _, greater, _ = _METRICS[r.metric]
        low, high = r.difference_ci
        better = "challenger" if (r.difference > 0) == greater else "champion"
        significant = bool(np.isfinite(low) and (low > 0 or high < 0))
        rows.append(
            {
                "metric": label,
                "challenger": _none(r.challenger),
                "champion": _none(r.champion),
                "difference": _none(r.difference),
                "ci_low": _none(low),
                "ci_high": _none(high),
                "better": "equal" if r.difference == 0 else better + (" (significant)" if significant else ""),
            }
        )
    block = table(
        "champion_performance",
        f"Challenger against champion on the same {len(ctx.y_test)} test rows: difference = challenger - champion, "
        f"{1 - p.alpha:.0%} paired bootstrap interval ({results[0].n_valid} of {p.n_bootstrap} resamples)",
        [
            column("metric", "Metric"),
            column("challenger", "Challenger", "float"),
            column("champion", "Champion", "float"),
            column("difference", "Difference", "float"),
            column("ci_low", "CI low", "float"),
            column("ci_high", "CI high", "float"),
            column("better", "Better"),
        ],
        rows,
        note="Lower is better for the Brier score, RMSE and MAE; higher for the others.",
    )
    return results, block


def _primary_finding(ctx: AuditContext, primary: PairedBootstrap, champ: Champion) -> dict[str, Any]:
    label = _METRICS[primary.metric][0]
    low, high = primary.difference_ci
    if not np.isfinite(high):
        status, verdict = "not_applicable", "no bootstrap resample gave the metric for both models"
    elif high < 0:
        status, verdict = "fail", "the challenger is significantly worse than the champion"
    elif primary.difference < 0:
        status, verdict = "warn", "the challenger is worse than the champion, but not significantly"
    else:
        status, verdict = "pass", "the challenger is at least as good as the champion"
    return finding(
        "champion.primary_metric",
        SECTION_ID,
        f"{label} against the champion",
        metric=f"{label} difference (challenger - champion)",
        observed=_none(primary.difference),
        threshold=0.0,
        comparison=">=",
        ci=(_none(low), _none(high)),
        status=status,  # type: ignore[arg-type]
        message=f"{label} {primary.challenger:.4f} (challenger) against {primary.champion:.4f} ({champ.name}): "
        f"difference {primary.difference:+.4f}, {1 - ctx.policy.alpha:.0%} paired interval "
        f"[{low:+.4f}, {high:+.4f}]; {verdict}.",
    )


def _worst_ratio(gm: Any, attr: str) -> tuple[float | None, str]:
    """The lowest impact ratio of ``attr`` among the groups compared, as the fairness section takes it."""
    by = gm.by_group.reset_index()
    rows = by[(by["attribute"] == attr) & ~by["suppressed"].astype(bool)]
    compared = rows[rows["impact_ratio"].notna() & ~rows["is_reference"].astype(bool)]
    if not len(compared):
        return None, "no two groups to compare"
    worst = compared.loc[compared["impact_ratio"].idxmin()]
    return float(worst["impact_ratio"]), f"group {worst['group']!s}"


def _fairness(ctx: AuditContext, champ: Champion) -> list[dict[str, Any]]:
    if ctx.sensitive_test is None:
        return [paragraph("No sensitive_features were given, so the models' fairness is not compared.")]
    p = ctx.policy
    y = ctx.y_test if ctx.is_classifier else None

    def groups(scores: np.ndarray) -> Any:
        chosen = decisions(ctx, scores).astype(int)
        return metrics.group_metrics(
            y,
            chosen,
            ctx.sensitive_test,
            y_score=scores,
            min_group_size=p.min_group_size,
            min_share=p.min_group_share,
            alpha=p.alpha,
        )

    models = {"challenger": groups(ctx.scores_test), "champion": groups(champ.scores)}
    rows = []
    for attr in models["challenger"].attributes:
        (ra, ga), (rb, gb) = (_worst_ratio(models[m], attr) for m in ("challenger", "champion"))
        rows.append(
            {
                "attribute": attr,
                "measure": f"lowest impact ratio (pass at >= {p.min_impact_ratio:g})",
                "challenger": ra,
                "champion": rb,
                "difference": None if ra is None or rb is None else ra - rb,
                "note": f"challenger: {ga}; champion: {gb}",
            }
        )
        if ctx.is_classifier:
            ea, eb = (_none(models[m].difference("equalized_odds", attribute=attr)) for m in ("challenger", "champion"))
            rows.append(
                {
                    "attribute": attr,
                    "measure": f"largest TPR or FPR gap (pass at <= {p.max_error_rate_gap:g})",
                    "challenger": ea,
                    "champion": eb,
                    "difference": None if ea is None or eb is None else ea - eb,
                    "note": "",
                }
            )
    return [
        table(
            "champion_fairness",
            "Fairness of both models per sensitive attribute (the fairness section's measures; difference = "
            "challenger - champion)",
            [
                column("attribute", "Attribute"),
                column("measure", "Measure"),
                column("challenger", "Challenger", "float"),
                column("champion", "Champion", "float"),
                column("difference", "Difference", "float"),
                column("note", "Note"),
            ],
            rows,
        )
    ]


def _swap_rows(ctx: AuditContext, mine: np.ndarray, theirs: np.ndarray) -> list[dict[str, Any]]:
    n, favourable = len(mine), "approved" if ctx.is_classifier else "above the median"
    other = "declined" if ctx.is_classifier else "not above it"
    rows = []
    for label, mask in (
        (f"{favourable} by the challenger, {other} by the champion (swap-in)", mine & ~theirs),
        (f"{other} by the challenger, {favourable} by the champion (swap-out)", ~mine & theirs),
        ("same decision by both", mine == theirs),
    ):
        k = int(mask.sum())
        outcome = float(ctx.y_test[mask].mean()) if k else None
        rows.append({"rows": label, "count": k, "share": k / n, "outcome": outcome})
    return rows


def _agreement(ctx: AuditContext, champ: Champion) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    mine, theirs = decisions(ctx, ctx.scores_test), decisions(ctx, champ.scores)
    disagreement = float(np.mean(mine != theirs))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant scores (a dummy champion): no correlation, shown as n/a
        rho = _none(float(stats.spearmanr(ctx.scores_test, champ.scores).statistic))
    drift = metrics.prediction_drift(champ.scores, ctx.scores_test)
    if ctx.is_classifier:
        outcome = (
            f"share {ctx.target_name} = {ctx.positive_class}" if ctx.target_name else f"share {ctx.positive_class}"
        )
    else:
        outcome = f"mean {ctx.target_name}" if ctx.target_name else "mean outcome"
    swap = _swap_rows(ctx, mine, theirs)
    blocks = [
        facts(
            [
                ("Decisions that differ (disagreement rate)", disagreement, "pct"),
                ("Rank correlation of the scores (Spearman)", rho, "float"),
                ("PSI of the challenger's scores against the champion's", drift["psi"], "float"),
                ("Reading of the PSI", drift["psi_flag"]),
                ("Mean score: challenger, champion", f"{drift['mean_current']:.4g}, {drift['mean_reference']:.4g}"),
            ]
        ),
        table(
            "champion_swap",
            "Swap set: the test rows whose decision the replacement changes, with their observed outcome",
            [
                column("rows", "Rows"),
                column("count", "N", "int"),
                column("share", "Share", "pct"),
                column("outcome", f"Observed {outcome}", "pct" if ctx.is_classifier else "float"),
            ],
            swap,
            note="Decision: "
            + (
                f"score at least {ctx.policy.decision_threshold:g}, the policy's threshold."
                if ctx.is_classifier
                else "prediction above the model's own median (NYC LL144), as in the fairness section."
            ),
        ),
    ]
    found = {"disagreement": disagreement, "spearman": rho, "psi": float(drift["psi"]), "flag": drift["psi_flag"]}
    return blocks, found


def champion_section(ctx: AuditContext, champ: Champion) -> Built:
    """The section comparing the audited model with ``champ`` and its findings."""
    ctx.log(f"Comparing with the champion ({champ.name}, {ctx.policy.n_bootstrap} paired resamples)")
    results, perf_block = _performance(ctx, champ)
    primary = _primary_finding(ctx, results[0], champ)
    agree_blocks, agree = _agreement(ctx, champ)
    found = [
        primary,
        finding(
            "champion.disagreement",
            SECTION_ID,
            "Decisions that change with the replacement",
            metric="share of test rows whose decision differs",
            observed=agree["disagreement"],
            format="pct",
            message=f"{agree['disagreement']:.1%} of the test rows get another decision from the challenger than "
            f"from {champ.name}; the swap set below shows which and their outcomes.",
        ),
        finding(
            "champion.score_psi",
            SECTION_ID,
            "Score distribution against the champion's",
            metric="PSI (challenger's scores against the champion's, same rows)",
            observed=agree["psi"],
            message=f"PSI {agree['psi']:.3f} ({agree['flag']}): how far the score "
            "distribution moves when the challenger replaces the champion; a cut-off or a downstream "
            "rule set on the champion's scores may need recalibration.",
        ),
    ]
    blocks = [
        paragraph(
            f"The audited model (the challenger) would replace {champ.name} (the champion). Both are scored on the "
            "same test rows, each reading its own columns of X_test; the differences are challenger minus champion, "
            "with paired bootstrap intervals (both models scored on the same resampled rows)."
        ),
        facts(
            [
                ("Champion", champ.name),
                ("Champion type", champ.type),
                ("Champion fingerprint (SHA-256)", champ.sha256, "hash"),
                ("Champion's columns", ", ".join(champ.columns)),
                ("Test rows", len(ctx.y_test), "int"),
                ("Bootstrap resamples (seed)", f"{ctx.policy.n_bootstrap} (random_state {ctx.random_state})"),
            ]
        ),
        perf_block,
        findings_block([f["id"] for f in found]),
        *agree_blocks,
        *_fairness(ctx, champ),
    ]
    summary = primary["message"].split(";")[-1].strip().rstrip(".").capitalize() + "."
    requirements = requirements_for(SECTION_ID) if SECTION_ID in SECTION_TITLES else ()
    built = section(
        SECTION_ID,
        SECTION_TITLES.get(SECTION_ID, TITLE),
        requirements=requirements,
        summary=summary,
        blocks=blocks,
        findings=found,
    )
    return built, found
