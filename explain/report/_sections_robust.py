"""Robustness and stability: decisions under small input noise, behaviour with missing values,
and the stability of explanations across seeds and background resamples."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import metrics
from ._context import AuditContext
from ._schema import column, facts, finding, findings_block, paragraph, table
from ._sections_explain import _decide, _explanation, _proba, _score, _std, regression_threshold
from ._sections_model import Built, _sec, constant_score

__all__ = ["robustness_section"]

NOISE_REPEATS = 5
MISSING_ROWS = 200
NOISE_ROWS = 2000


def _noisy(ctx: AuditContext, rows: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """``NOISE_REPEATS`` noisy copies of the test rows ``rows``, stacked (one model call)."""
    X = pd.concat([ctx.X_test.iloc[rows]] * NOISE_REPEATS, ignore_index=True)
    for c in X.columns:
        col = X[c]
        if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col.dtype):
            scale = ctx.policy.noise_scale * _spread(ctx.X_train[c].to_numpy(dtype=float))
            X[c] = col.to_numpy(dtype=float) + rng.normal(0.0, scale, len(col))
    return X


def _spread(values: np.ndarray) -> float:
    """Standard deviation of the values that are not missing (0 when none is), scaled first so that
    a huge value (1e300) does not overflow when squared."""
    values = values[~np.isnan(values)]
    if not len(values):
        return 0.0
    return float(_std(values[:, None])[0])


def robustness_section(ctx: AuditContext) -> Built:
    p = ctx.policy
    ctx.log("Testing prediction stability under noise and missing values")
    rng = np.random.default_rng(ctx.random_state)
    n = len(ctx.X_test)
    rows = np.arange(n) if n <= NOISE_ROWS else np.sort(rng.choice(n, NOISE_ROWS, replace=False))
    if ctx.is_multiclass:
        changed, moved = _class_changes(ctx, rows, _noisy(ctx, rows, rng))
    else:
        base_scores = ctx.scores_test[rows]
        scores = _score(ctx, _noisy(ctx, rows, rng)).reshape(NOISE_REPEATS, len(rows))
        changed = _decide(ctx, scores) != _decide(ctx, base_scores)[None, :]
        moved = np.abs(scores - base_scores[None, :])
    flips = [float(f) for f in changed.mean(axis=1)]
    changes = [float(c) for c in moved.mean(axis=1)]
    flip = float(np.mean(flips))
    score = "probability of the class predicted" if ctx.is_multiclass else "score"
    words = _wording(ctx)
    found = [
        finding(
            "robustness.noise",
            "robustness",
            words["title"],
            metric=words["metric"],
            observed=flip,
            threshold=p.max_flip_rate,
            comparison="<=",
            format="pct",
            status="pass" if flip <= p.max_flip_rate else "warn" if flip <= 2 * p.max_flip_rate else "fail",
            message=f"Gaussian noise of {p.noise_scale:g} standard deviations on every numeric "
            f"feature of {len(rows)} test rows, {NOISE_REPEATS} repeats: {flip:.2%} of {words['changed']} on "
            f"average; the {score} moves by "
            f"{np.mean(changes):.4f} on average.",
        )
    ]
    blocks: list[dict[str, Any]] = [
        paragraph(
            "Small, plausible errors in the inputs should not change decisions. Every numeric feature of every test "
            f"row gets independent Gaussian noise of {p.noise_scale:g} of its training standard deviation."
            + words["how"]
        ),
        facts(
            [
                ("Noise repeats", NOISE_REPEATS, "int"),
                *words["facts"],
                (f"{words['label']} (mean over repeats)", flip, "pct"),
                (f"{words['label']} (worst repeat)", max(flips), "pct"),
                (f"Mean absolute change of the {score}", float(np.mean(changes)), "float"),
            ]
        ),
    ]
    blocks += _missing_behaviour(ctx)
    runs = ctx.stability_runs or [_explanation(ctx)]
    summary = metrics.stability(runs, k=min(5, ctx.X_test.shape[1])) if len(runs) > 1 else None
    if summary is not None:
        compared = runs[0].n_rows * (len(runs) - 1)  # every run's rows against the first run's
        ranked = int(summary.loc[summary["metric"] == "spearman", "rows"].iloc[0])
        found.append(_stability_finding(ctx, summary, len(runs), compared))
    if summary is not None and found[-1]["observed"] is not None:
        blocks.append(
            table(
                "explanation_stability",
                "Explanation stability (every run compared with the first)",
                [
                    column("metric", "Measure"),
                    column("mean", "Mean", "float"),
                    column("median", "Median", "float"),
                    column("q10", "10th percentile", "float"),
                    column("min", "Worst row", "float"),
                ],
                [
                    {
                        "metric": {
                            "spearman": "rank correlation (Spearman)",
                            "top_k_jaccard": "top-k overlap (Jaccard)",
                        }[r["metric"]],
                        **{k: _number(r[k]) for k in ("mean", "median", "q10", "min")},
                    }
                    for _, r in summary.iterrows()
                ],
                note=None
                if ranked == compared
                else f"Rank correlation over {ranked} of {compared} rows: a row whose attributions are all equal "
                "(e.g. all zero) has no order to compare.",
            )
        )
    blocks += [
        paragraph(
            "Not tested here: adversarial (evasion) attacks, feedback loops and cybersecurity. Distribution shift is "
            "measured in the drift section. Record the organisation's own assessments of these in the model card's "
            "related documents."
        ),
        findings_block([f["id"] for f in found]),
    ]
    return _sec("robustness", f"{flip:.1%} of {words['changed']} under small input noise.", blocks, found)


def _wording(ctx: AuditContext) -> dict[str, Any]:
    """What a change under noise is, in words: a decision that changes, or, for a regressor that
    takes no decision (no ``regression_threshold``), a prediction that crosses the median test
    prediction, the cut ``_decide`` falls back to."""
    if ctx.is_classifier or regression_threshold(ctx) is not None:
        how = (
            " The decision of a multiclass model is its predicted class: a decision changes when another class "
            "becomes the most probable."
            if ctx.is_multiclass
            else ""
        )
        return {
            "title": "Decisions stable under small input noise",
            "metric": "share of decisions that change",
            "changed": "decisions change",
            "label": "Decisions changed",
            "how": how,
            "facts": [],
        }
    median = float(np.median(ctx.scores_test))
    return {
        "title": "Predictions stable around the median under small input noise",
        "metric": "share of rows whose prediction crosses the median prediction",
        "changed": f"rows' predictions cross the median test prediction ({median:.4g})",
        "label": "Rows crossing the median prediction",
        "how": " The regressor takes no decision (the policy sets no regression_threshold), so the cut is the "
        f"median prediction over the test rows ({median:.4g}): a row counts when its prediction is above the "
        "median before the noise and not after, or the reverse. Set regression_threshold to test the decisions.",
        "facts": [("Median test prediction (the cut)", median, "float")],
    }


def _class_changes(ctx: AuditContext, rows: np.ndarray, noisy: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """A multiclass model's decisions under noise: whether the predicted class of each noisy copy
    differs from the row's, and how far the probability of the row's predicted class moved;
    both (repeats, rows)."""
    assert ctx.proba_test is not None
    base = ctx.predicted_test[rows]
    proba = _proba(ctx, noisy).reshape(NOISE_REPEATS, len(rows), -1)
    at = np.arange(len(rows))
    moved = np.abs(proba[:, at, base] - ctx.proba_test[rows][at, base][None, :])
    return np.argmax(proba, axis=2) != base[None, :], moved


def _number(value: Any) -> float | None:
    """A float for the evidence, ``None`` for NaN (a statistic not defined on any row)."""
    return None if pd.isna(value) else float(value)


def _stability_finding(ctx: AuditContext, summary: pd.DataFrame, n_runs: int, compared: int) -> dict[str, Any]:
    """The rank correlation of the runs' attributions, row by row; not applicable when no row has
    an order (every attribution of a row equal: a model whose output does not depend on its inputs)."""
    spearman = summary[summary["metric"] == "spearman"].iloc[0]
    jaccard = summary[summary["metric"] == "top_k_jaccard"].iloc[0]
    constant = constant_score(ctx.scores_test) is not None
    # attributions of a constant model are zero up to rounding: their ranks are noise
    ranked, mean = int(spearman["rows"]), None if constant else _number(spearman["mean"])
    if mean is None:
        message = (
            "Not measured: the model gives every test row the same score, so its attributions are zero (up to rounding)"
            if constant
            else "Not measured: in every explained row all attributions are equal (e.g. all zero: the model's "
            "output does not depend on its inputs)"
        ) + ", and there is no ranking of features to compare between runs."
    else:
        ctx.extras["explanation_stability"] = mean
        left_out = f" over {ranked} of {compared} rows (the others' are all equal)" if ranked < compared else ""
        message = (
            f"{n_runs} runs with different seeds and background resamples; per-row Spearman correlation mean "
            f"{mean:.3f}{left_out} (worst row {spearman['min']:.3f}); top-{int(jaccard['k'])} feature sets overlap "
            f"(Jaccard) {jaccard['mean']:.3f} on average."
        )
    return finding(
        "robustness.explanations",
        "robustness",
        "Explanations stable across seeds and backgrounds",
        metric="mean rank correlation between runs",
        observed=mean,
        threshold=ctx.policy.min_explanation_stability,
        comparison=">=",
        message=message,
    )


def _missing_behaviour(ctx: AuditContext) -> list[dict[str, Any]]:
    rows = ctx.X_test.iloc[:MISSING_ROWS]
    base = ctx.scores_test[:MISSING_ROWS]
    if ctx.is_multiclass:  # the probability of each row's predicted class, with and without the value
        assert ctx.proba_test is not None
        predicted = ctx.predicted_test[:MISSING_ROWS]
        base = ctx.proba_test[:MISSING_ROWS][np.arange(len(rows)), predicted]
    copies = []
    for c in rows.columns:
        X = rows.copy()
        if isinstance(X[c].dtype, pd.CategoricalDtype):  # missing, and still a categorical
            X[c] = pd.Categorical([None] * len(X), dtype=X[c].dtype)
        else:
            X[c] = np.nan if pd.api.types.is_numeric_dtype(X[c].dtype) else None
        copies.append(X)
    try:
        if ctx.is_multiclass:
            proba = _proba(ctx, pd.concat(copies, ignore_index=True)).reshape(len(copies), len(rows), -1)
            scores = proba[:, np.arange(len(rows)), predicted]
        else:
            scores = _score(ctx, pd.concat(copies, ignore_index=True)).reshape(len(copies), len(rows))
    except Exception:  # the model refuses missing values somewhere: find the first column, report it
        return _refused(ctx, copies)
    effects: list[dict[str, Any]] = [
        {"feature": str(c), "change": float(np.mean(np.abs(scores[j] - base)))} for j, c in enumerate(rows.columns)
    ]
    effects.sort(key=lambda r: -float(r["change"]))
    what = "probability of the row's predicted class" if ctx.is_multiclass else "score"
    return [
        paragraph(
            f"Missing values: each feature in turn is set to missing on {len(rows)} test rows; the model accepts "
            f"them. The table shows the mean absolute change of the {what} (the largest first)."
        ),
        table(
            "missing_behaviour",
            f"{what[0].upper()}{what[1:]} change when one feature is missing",
            [
                column("feature", "Feature"),
                column("change", "Mean |change|" if ctx.is_multiclass else "Mean |score change|", "float"),
            ],
            effects[:10],
        ),
    ]


def _refused(ctx: AuditContext, copies: list[pd.DataFrame]) -> list[dict[str, Any]]:
    for X, c in zip(copies, ctx.X_test.columns, strict=True):
        try:
            _score(ctx, X)
        except Exception as exc:  # the model's own error: report it, it is the finding
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
            return [
                paragraph(
                    f"Missing values: the model refuses a missing {c!r} ({reason}). Inputs must be complete, or "
                    "imputed before scoring; document the imputation rule."
                )
            ]
    return [paragraph("Missing values: the model refuses rows with several missing values.")]
