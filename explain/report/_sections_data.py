"""Sections about the data and the model's performance on it: the datasheet (hashes, missing
values, outliers, leakage, representativeness) and performance and generalization (train against
test with bootstrap intervals, calibration, results per group)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import metrics
from ..metrics.fairness import group_labels
from ..metrics.fairness_disclosure import DERIVABLE, suppressed_groups
from ._context import AuditContext
from ._schema import chart, column, facts, finding, findings_block, line_chart, paragraph, table
from ._sections_model import Built, _sec, constant_score, ranking_finding
from ._sections_multiclass import AUC_NAME, class_balance, multiclass_group, multiclass_performance, outcomes_per_class
from ._sections_validation import rank_ordering_blocks

__all__ = ["data_section", "performance_section"]


def data_section(ctx: AuditContext) -> Built:
    p = ctx.policy
    ctx.log("Profiling the data (missing values, outliers, leakage)")
    dq = metrics.data_quality(
        ctx.X_train,
        ctx.y_train,
        random_state=ctx.random_state,
        task="classification" if ctx.is_classifier else "regression",
    )
    cols = dq.columns
    run = ctx.cluster
    # a dask X_test: its missing counts were summed over the partitions on the cluster
    missing_test = run.missing_test if run is not None and run.missing_test is not None else ctx.X_test.isna().mean()
    found = []
    max_missing = float(max(cols["missing_share"].max(), missing_test.max()))
    found.append(
        finding(
            "data.missing",
            "data",
            "Missing values",
            metric="largest missing share of a column",
            observed=max_missing,
            threshold=p.max_missing_share,
            comparison="<=",
            format="pct",
            status="pass" if max_missing <= p.max_missing_share else "warn",
            message=f"At most {max_missing:.1%} of a column is missing (train or test).",
        )
    )
    leaky = [str(c) for c in cols.index[cols["leaky"].fillna(False).astype(bool)]]
    found.append(
        finding(
            "data.leakage",
            "data",
            "No feature alone predicts the target (leakage)",
            metric="leaky features",
            observed=len(leaky),
            threshold=0,
            comparison="<=",
            format="int",
            message=f"Likely leakage: {', '.join(leaky)}."
            if leaky
            else f"No single feature predicts the target out of fold above {dq.params.get('leakage_threshold', 0.95)}.",
        )
    )
    structural = [str(c) for c in cols.index[cols["constant"].astype(bool) | cols["duplicate_of"].astype(bool)]]
    found.append(
        finding(
            "data.structure",
            "data",
            "No constant or duplicated columns",
            metric="such columns",
            observed=len(structural),
            threshold=0,
            comparison="<=",
            format="int",
            status="pass" if not structural else "warn",
            message=f"Constant or duplicated: {', '.join(structural)}." if structural else "None found.",
        )
    )
    if ctx.is_multiclass:
        found.append(class_balance(ctx))
    elif ctx.is_classifier:
        share = float(min(ctx.y_train.mean(), 1 - ctx.y_train.mean()))
        found.append(
            finding(
                "data.balance",
                "data",
                "Class balance (training)",
                metric="minority class share",
                observed=share,
                format="pct",
                status="info",
                message=f"The minority class is {share:.1%} of the training rows.",
            )
        )
    datasets = [
        {**d, "role": {"train": "model fitting", "test": "evaluation", "reference": "drift baseline"}[d["name"]]}
        for d in ctx.datasets
    ]
    blocks: list[dict[str, Any]] = [
        table(
            "datasets",
            "Data sets (SHA-256 over column names, kinds and values, target included)",
            [
                column("name", "Data set"),
                column("role", "Role"),
                column("rows", "Rows", "int"),
                column("columns", "Columns", "int"),
                column("sha256", "SHA-256", "hash"),
            ],
            datasets,
        ),
        table(
            "columns",
            "Columns of the training data",
            [
                column("feature", "Feature"),
                column("kind", "Kind"),
                column("missing_train", "Missing (train)", "pct"),
                column("missing_test", "Missing (test)", "pct"),
                column("n_unique", "Distinct", "int"),
                column("outliers", "Outliers", "pct"),
                column("leakage", "Leakage score", "float"),
            ],
            [
                {
                    "feature": str(c),
                    "kind": r["kind"],
                    "missing_train": r["missing_share"],
                    "missing_test": float(missing_test.get(c, 0.0)),
                    "n_unique": int(r["n_unique"]),
                    "outliers": _none(r["outlier_share"]),
                    "leakage": _none(r["leakage_score"]),
                }
                for c, r in cols.iterrows()
            ],
            note="Outliers: share outside Tukey's fences (1.5 IQR). Leakage score: out-of-fold ROC AUC (R² for "
            "regression) of a one-feature tree; above 0.95 the feature alone almost predicts the target.",
        ),
    ]
    if ctx.is_multiclass:
        blocks.append(outcomes_per_class(ctx))
    elif ctx.is_classifier:
        blocks.append(
            table(
                "outcomes",
                "Outcomes per data set",
                [
                    column("data", "Data set"),
                    column("rows", "Rows", "int"),
                    column("positive", "Favourable", "int"),
                    column("rate", "Favourable rate", "pct"),
                ],
                [
                    {"data": n, "rows": len(y), "positive": int(y.sum()), "rate": float(y.mean())}
                    for n, y in (("train", ctx.y_train), ("test", ctx.y_test))
                ],
            )
        )
    blocks += _representativeness(ctx)
    blocks += _on_a_cluster(ctx)
    blocks.append(findings_block([f["id"] for f in found]))
    ctx.extras["data_quality"] = dq
    return _sec("data", "What the model learned from and was tested on, and how clean it is.", blocks, found)


def _on_a_cluster(ctx: AuditContext) -> list[dict[str, Any]]:
    """Where an audit of dask data ran, what came back from the cluster, and which numbers are not
    computed from every row (also in the evidence: provenance.cluster)."""
    from ..metrics.drift_dask import EXACT_VALUES

    run = ctx.cluster
    if run is None:
        return []
    r = run.record
    where = (
        f"on a dask.distributed cluster ({r['address']}; {r['workers']} workers, {r['threads']} threads), the "
        "model sent to each worker once"
        if r["scheduler"] == "dask.distributed"
        else "in this process, one partition after another (no dask.distributed client was active)"
    )
    data = ", ".join(f"{d['name']} ({d['rows']} rows in {d['partitions']} partitions)" for d in r["datasets"])
    ran = (
        f"Data held in dask collections: {data} were scored and counted {where}."
        if data
        else f"The dask collections given (targets or sensitive features) were computed {where} and gathered."
    )
    sample = r.get("row_sample")
    reading = (
        "robustness under noise and missing values, the glass-box benchmark, the model's inputs, and the fairness "
        "section's protected inputs and age rule"
    )
    if sample is None:
        rows = "The test data was in memory: the sections that read rows read all of it."
    elif sample["every_row"]:
        rows = f"The checks that read rows ({reading}) read all {sample['of']} test rows, gathered."
    else:
        rows = (
            f"The checks that read rows ({reading}) read a sample of {sample['rows']} of the {sample['of']} test "
            f"rows ({sample['rule']}); their numbers are the sample's."
        )
        if not ctx.is_classifier:
            rows += (
                " The favourable decision of a regression model is a score above the median: the robustness and "
                "local explanations sections take the sample's median."
            )
    return [
        paragraph(
            f"{ran} Performance, fairness, the missing shares and drift are computed from every row: the "
            "scores, the targets and the sensitive columns are gathered, the rest is counted per partition. A "
            f"Kolmogorov-Smirnov statistic of a feature with more than {EXACT_VALUES:,} distinct values in both data "
            "sets is compared on a grid (the drift table says so). The explanations are of the rows an in-memory audit "
            f"explains. {rows} Fingerprints of dask data sets are SHA-256 per partition, combined (the evidence's "
            "provenance.cluster.fingerprints): they depend on the partitioning, and differ from the same rows' in "
            "memory."
        ),
        table(
            "cluster_gathered",
            "What came back from the cluster",
            [column("name", "Data set"), column("what", "What"), column("count", "Values or rows", "int")],
            [dict(g) for g in run.gathered],
        ),
    ]


def _none(x: Any) -> Any:
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else float(x)


def _representativeness(ctx: AuditContext) -> list[dict[str, Any]]:
    sens = ctx.sensitive_test
    if sens is None:
        return [paragraph("No sensitive attributes were given, so representativeness by group is not shown.")]
    used = [c for c in sens.columns if c in ctx.X_test.columns]
    rows = []
    for attr in sens.columns:
        test = sens[attr].astype(object).where(sens[attr].notna(), "unknown").astype(str).value_counts()
        train = None
        if ctx.sensitive_train is not None:
            s = ctx.sensitive_train[attr]
            train = s.astype(object).where(s.notna(), "unknown").astype(str).value_counts()
        for group in sorted(set(test.index) | set(train.index if train is not None else [])):
            rows.append(
                {
                    "attribute": attr,
                    "group": group,
                    "train": None if train is None else int(train.get(group, 0)),
                    "train_share": None if train is None else float(train.get(group, 0) / train.sum()),
                    "test": int(test.get(group, 0)),
                    "test_share": float(test.get(group, 0) / test.sum()),
                }
            )
    note = (
        "The sensitive attributes are used only to test for bias (EU AI Act Art. 10(5)), not as model inputs."
        if not used
        else f"Sensitive attributes used as model inputs: {', '.join(used)}. Justify this (Regulation B forbids "
        "using most of them in credit decisions)."
    )
    return [
        table(
            "representativeness",
            "Groups in the training and test data",
            [
                column("attribute", "Attribute"),
                column("group", "Group"),
                column("train", "Train", "int"),
                column("train_share", "Train share", "pct"),
                column("test", "Test", "int"),
                column("test_share", "Test share", "pct"),
            ],
            rows,
        ),
        paragraph(note),
    ]


def _generalization_findings(ctx: AuditContext, gen: Any, name: str) -> list[dict[str, Any]]:
    """The test score against the declared minimum, and the train-test gap (overfitting)."""
    p = ctx.policy
    return [
        finding(
            "performance.test_score",
            "performance",
            f"Test {name} meets the declared minimum",
            metric=name,
            observed=gen.test.value,
            threshold=p.min_test_score,
            comparison=">=",
            ci=(gen.test.low, gen.test.high),
            warn_margin=p.score_margin,
            message=f"Test {name} {gen.test.value:.3f} (95% CI {gen.test.low:.3f} to {gen.test.high:.3f}, "
            f"{gen.test.n_boot} bootstrap resamples).".replace("95%", f"{1 - p.alpha:.0%}"),
        ),
        finding(
            "performance.gap",
            "performance",
            "Train-test gap (overfitting)",
            metric=f"train minus test {name}",
            observed=gen.gap,
            threshold=p.max_train_test_gap,
            comparison="<=",
            ci=(gen.gap_low, gen.gap_high),
            message=f"Diagnosis: {gen.diagnosis} (train {gen.train.value:.3f}, test {gen.test.value:.3f}).",
            status="fail" if gen.diagnosis == "overfitting" else "warn" if gen.diagnosis == "underfitting" else None,
        ),
    ]


def _generalization_table(ctx: AuditContext, gen: Any, name: str) -> dict[str, Any]:
    return table(
        "generalization",
        f"Train against test ({name}, {1 - ctx.policy.alpha:.0%} bootstrap intervals)",
        [
            column("data", "Data set"),
            column("value", name, "float"),
            column("low", "CI low", "float"),
            column("high", "CI high", "float"),
        ],
        [
            {"data": "train", "value": gen.train.value, "low": gen.train.low, "high": gen.train.high},
            {"data": "test", "value": gen.test.value, "low": gen.test.low, "high": gen.test.high},
            {"data": "gap (train - test)", "value": gen.gap, "low": gen.gap_low, "high": gen.gap_high},
        ],
    )


def _multiclass_performance_section(ctx: AuditContext) -> Built:
    """Performance of a multiclass model (:mod:`._sections_multiclass`): the macro one-vs-rest ROC
    AUC, train against test, per-class metrics, the confusion matrix and calibration per class."""
    ctx.log(f"Measuring performance per class ({ctx.policy.n_bootstrap} bootstrap resamples)")
    gen, blocks, found = multiclass_performance(ctx)
    ctx.extras["generalization"] = gen
    found = _generalization_findings(ctx, gen, AUC_NAME) + found
    blocks.insert(2, _generalization_table(ctx, gen, AUC_NAME))
    blocks += _disaggregated(ctx, None, AUC_NAME)
    blocks.append(findings_block([f["id"] for f in found]))
    accuracy = ctx.extras["multiclass_metrics"]["accuracy"].value
    summary = (
        f"Test {AUC_NAME} {gen.test.value:.3f}; train {gen.train.value:.3f}; diagnosis: {gen.diagnosis}; "
        f"accuracy {accuracy:.1%} over {len(ctx.classes)} classes."
    )
    return _sec("performance", summary, blocks, found)


def performance_section(ctx: AuditContext) -> Built:
    if ctx.is_multiclass:
        return _multiclass_performance_section(ctx)
    p = ctx.policy
    metric: Any = "roc_auc" if ctx.is_classifier else "r2"
    name = "ROC AUC" if ctx.is_classifier else "R²"
    ctx.log(f"Measuring performance ({p.n_bootstrap} bootstrap resamples)")
    gen = metrics.generalization(
        ctx.y_train,
        ctx.scores_train,
        ctx.y_test,
        ctx.scores_test,
        metric=metric,
        max_gap=p.max_train_test_gap,
        n_boot=p.n_bootstrap,
        random_state=ctx.random_state,
        alpha=p.alpha,
    )
    ctx.extras["generalization"] = gen
    found = _generalization_findings(ctx, gen, name)
    if constant_score(ctx.scores_test) is not None:
        found.append(ranking_finding(ctx, gen.test.value))
    blocks: list[dict[str, Any]] = [
        paragraph(
            f"{name} measures how well the scores rank outcomes ("
            + (
                "0.5 is chance, 1 is perfect; it does not depend on the threshold)."
                if ctx.is_classifier
                else "the share of the target's variance the model explains)."
            )
            + " Confidence intervals are percentile bootstrap intervals over the rows."
        ),
        _generalization_table(ctx, gen, name),
    ]
    if ctx.is_classifier:
        blocks += _threshold_blocks(ctx)
        cal = metrics.calibration(ctx.y_test, ctx.scores_test)
        ctx.extras["calibration"] = cal
        found.append(
            finding(
                "performance.calibration",
                "performance",
                "Probabilities are calibrated",
                metric="expected calibration error",
                observed=cal.ece,
                threshold=p.max_calibration_error,
                comparison="<=",
                status="pass" if cal.ece <= p.max_calibration_error else "warn",
                message=f"ECE {cal.ece:.3f}, Brier score {cal.brier:.3f} over {cal.n_bins} bins.",
            )
        )
        curve = line_chart(
            [{"name": "model", "x": list(cal.prob_pred), "y": list(cal.prob_true)}],
            xlabel="Mean predicted probability",
            ylabel="Observed frequency",
            diagonal=True,
        )
        alt = "Reliability curve of the test predictions: " + "; ".join(
            f"predicted {x:.2f}, observed {y:.2f}" for x, y in zip(cal.prob_pred, cal.prob_true, strict=True)
        )
        blocks.append(chart("calibration", "Calibration on the test data (the diagonal is perfect)", alt, curve))
        ranking_blocks, ranking_found = rank_ordering_blocks(ctx.y_test, ctx.scores_test)
        blocks += ranking_blocks
        found += ranking_found
    blocks += _disaggregated(ctx, metric, name)
    blocks.append(findings_block([f["id"] for f in found]))
    summary = f"Test {name} {gen.test.value:.3f}; train {gen.train.value:.3f}; diagnosis: {gen.diagnosis}."
    return _sec("performance", summary, blocks, found)


def _threshold_blocks(ctx: AuditContext) -> list[dict[str, Any]]:
    t = ctx.policy.decision_threshold
    pred, y = ctx.selected_test, ctx.y_test.astype(bool)
    tp, fp = int(np.sum(pred & y)), int(np.sum(pred & ~y))
    fn, tn = int(np.sum(~pred & y)), int(np.sum(~pred & ~y))
    return [
        paragraph(
            f"Decision threshold: a score of at least {t:g} gives the favourable decision (set by the policy; "
            "record the business rationale for it in the model card)."
        ),
        table(
            "confusion",
            f"Confusion matrix on the test data at threshold {t:g}",
            [
                column("actual", "Actual"),
                column("favourable", "Decided favourable", "int"),
                column("adverse", "Decided adverse", "int"),
            ],
            [
                {"actual": "favourable", "favourable": tp, "adverse": fn},
                {"actual": "adverse", "favourable": fp, "adverse": tn},
            ],
        ),
        facts(
            [
                ("Accuracy", (tp + tn) / len(y), "pct"),
                ("Precision", tp / max(tp + fp, 1), "pct"),
                ("Recall (true positive rate)", tp / max(tp + fn, 1), "pct"),
                ("False positive rate", fp / max(fp + tn, 1), "pct"),
                ("Favourable decisions", float(pred.mean()), "pct"),
            ]
        ),
    ]


def _disaggregated(ctx: AuditContext, metric: Any, name: str) -> list[dict[str, Any]]:
    sens = ctx.sensitive_test
    if sens is None:
        return []
    rows = []
    smallest = ctx.policy.min_group_size
    # the groups of the fairness section (an intersection is "unknown" when a part is missing),
    # and the same ones hidden: a group shown here but hidden there would undo the suppression
    labels = group_labels(sens, len(sens))
    hidden = suppressed_groups(labels, smallest)
    for attr in labels.columns:
        values = labels[attr].to_numpy()
        for group in sorted(set(values)):
            mask = values == group
            n = int(mask.sum())
            row: dict[str, Any] = {"attribute": attr, "group": group, "n": n, "score": None, "favourable": None}
            if group in hidden[attr]:
                # privacy: a small group's rates could identify people, and a larger one's would
                # give a smaller one's by subtraction; only the size is shown, as in the fairness section
                rows.append({**row, "note": f"fewer than {smallest} rows: suppressed" if n < smallest else DERIVABLE})
                continue
            if ctx.is_multiclass:
                rows.append({**row, **multiclass_group(ctx, mask), "note": ""})
                continue
            if not ctx.is_classifier or len(np.unique(ctx.y_test[mask])) == 2:
                row["score"] = metrics.bootstrap_ci(metric, ctx.y_test[mask], ctx.scores_test[mask], n_boot=1).value
            rows.append({**row, "favourable": float(ctx.selected_test[mask].mean()), "note": ""})
    columns = [
        column("attribute", "Attribute"),
        column("group", "Group"),
        column("n", "Rows", "int"),
        column("score", name, "float"),
        column("favourable", "Favourable", "pct"),
        column("note", "Note"),
    ]
    caption, undefined = f"Test {name} and favourable-decision rate per group", "one outcome only"
    if ctx.is_multiclass:
        columns.insert(4, column("accuracy", "Accuracy", "pct"))
        caption, undefined = f"Test {name}, accuracy and favourable-decision rate per group", "a class missing"
        for r in rows:
            r.setdefault("accuracy", None)
        if ctx.favourable_index is None:
            columns = [c for c in columns if c["key"] != "favourable"]
            caption = f"Test {name} and accuracy per group"
    return [
        table(
            "performance_by_group",
            caption,
            columns,
            rows,
            note=f"Groups under {smallest} rows show their size only (privacy), and so does the smallest other "
            f"group of an attribute while the groups hidden hold fewer than {smallest} rows together (otherwise "
            "the overall count minus the shown groups' would give a small group's); "
            f"{name} is not computed for a group with {undefined}.",
        )
    ]
