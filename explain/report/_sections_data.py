"""The data section: the datasheet (hashes, missing values, outliers, leakage, representativeness).
The performance section, which once lived here too, is in :mod:`._sections_performance`
(``performance_section`` is still importable from here)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import metrics
from ._context import AuditContext
from ._schema import column, finding, findings_block, paragraph, table
from ._sections_model import Built, _sec
from ._sections_multiclass import class_balance, outcomes_per_class
from ._sections_performance import performance_section

__all__ = ["balance_finding", "data_section", "datasets_table", "outcomes_table", "performance_section"]


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
        found.append(balance_finding(ctx))
    blocks: list[dict[str, Any]] = [
        datasets_table(ctx),
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
        blocks.append(outcomes_table(ctx))
    blocks += _representativeness(ctx)
    blocks += _on_a_cluster(ctx)
    blocks.append(findings_block([f["id"] for f in found]))
    ctx.extras["data_quality"] = dq
    return _sec("data", "What the model learned from and was tested on, and how clean it is.", blocks, found)


def balance_finding(ctx: AuditContext, unit: str = "rows") -> dict[str, Any]:
    """The finding ``data.balance`` of a binary classifier: the minority class's share of the
    training ``unit`` (rows, documents)."""
    share = float(min(ctx.y_train.mean(), 1 - ctx.y_train.mean()))
    return finding(
        "data.balance",
        "data",
        "Class balance (training)",
        metric="minority class share",
        observed=share,
        format="pct",
        status="info",
        message=f"The minority class is {share:.1%} of the training {unit}.",
    )


def outcomes_table(ctx: AuditContext, unit: str = "Rows") -> dict[str, Any]:
    """The table ``outcomes`` of a binary classifier: per data set, its ``unit`` (rows,
    documents), the favourable outcomes and their rate."""
    return table(
        "outcomes",
        "Outcomes per data set",
        [
            column("data", "Data set"),
            column("rows", unit, "int"),
            column("positive", "Favourable", "int"),
            column("rate", "Favourable rate", "pct"),
        ],
        [
            {"data": n, "rows": len(y), "positive": int(y.sum()), "rate": float(y.mean())}
            for n, y in (("train", ctx.y_train), ("test", ctx.y_test))
        ],
    )


def datasets_table(ctx: AuditContext) -> dict[str, Any]:
    """The table ``datasets``: each data set's name, role, rows, columns and SHA-256 (``ctx.datasets``)."""
    role = {"train": "model fitting", "test": "evaluation", "reference": "drift baseline"}
    return table(
        "datasets",
        "Data sets (SHA-256 over column names, kinds and values, target included)",
        [
            column("name", "Data set"),
            column("role", "Role"),
            column("rows", "Rows", "int"),
            column("columns", "Columns", "int"),
            column("sha256", "SHA-256", "hash"),
        ],
        [{**d, "role": role[d["name"]]} for d in ctx.datasets],
    )


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
