"""The test rows an audit of a dask ``X_test`` gathers, and the contexts of the sections that
read rows (see :mod:`._context_dask`): every test row up to :data:`ROW_SAMPLE`; beyond, a sample
of :data:`ROW_SAMPLE` rows drawn with ``random_state`` (the draw of the robustness section's rows
in memory), with the first ``MISSING_ROWS`` (its missing-value rows and the example input), the
rows the in-memory audit explains and the rows of lowest and highest score. For data in memory,
every function here gives the in-memory audit's behaviour."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from ._context import AuditContext
from ._sections_robust import MISSING_ROWS, NOISE_ROWS

__all__ = [
    "ROW_SAMPLE",
    "cluster_record",
    "explain_rows",
    "fairness_context",
    "rows_context",
    "sample_positions",
    "take_rows",
]

ROW_SAMPLE = NOISE_ROWS
"""Test rows gathered for the sections that read rows (beyond those always gathered)."""


def _take_part(part: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    return part.iloc[positions]


def sample_positions(ctx: AuditContext, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The test rows to gather (sorted positions), and among them the rows the in-memory audit
    explains (drawn as ``explain_sample`` draws them, from the row count and ``random_state``)."""
    p = ctx.policy
    explained = np.arange(n)
    if n > p.explain_rows:
        explained = np.sort(np.random.default_rng(ctx.random_state).choice(n, p.explain_rows, replace=False))
    sample = np.arange(n)
    if n > ROW_SAMPLE:  # the rows the robustness section draws in memory (when ROW_SAMPLE is NOISE_ROWS)
        sample = np.sort(np.random.default_rng(ctx.random_state).choice(n, ROW_SAMPLE, replace=False))
    scores = ctx.scores_test
    # the first rows (missing-value behaviour, the example input) and the lowest and highest score,
    # so that the sample's scores are constant only if every row's are
    extremes = [int(np.argmin(scores)), int(np.argmax(scores))] if n else []
    rows = np.unique(np.concatenate([np.arange(min(n, MISSING_ROWS)), sample, explained, extremes])).astype(int)
    return rows, explained


def take_rows(frame: Any, lengths: list[int], positions: np.ndarray, progress: bool | None) -> pd.DataFrame:
    """The rows at ``positions`` of a dask DataFrame whose partitions hold ``lengths`` rows,
    gathered from the partitions that hold them."""
    import dask

    from ..distributed import run_tasks

    offsets = np.concatenate([[0], np.cumsum(lengths)])
    take = dask.delayed(_take_part, pure=True)
    tasks = []
    for k, part in enumerate(frame.to_delayed()):
        local = positions[(positions >= offsets[k]) & (positions < offsets[k + 1])] - offsets[k]
        if len(local):
            tasks.append(take(part, local))
    rows = pd.concat(run_tasks(tasks, progress=progress, desc="gathering the row sample"))
    for c, dtype in frame.dtypes.items():  # partitions with other categories concatenate to object
        known = isinstance(dtype, pd.CategoricalDtype) and dtype.categories is not None
        if rows[c].dtype != dtype and known and "__UNKNOWN_CATEGORIES__" not in list(dtype.categories):
            rows[c] = rows[c].astype(dtype)
    return rows


def rows_context(ctx: AuditContext) -> AuditContext:
    """The context of the sections that read rows: ``ctx`` itself for a test set in memory; for a
    dask X_test, the gathered rows with their scores, targets and sensitive values."""
    run = ctx.cluster
    if run is None or run.rows is None or run.positions is None:
        return ctx
    at = run.positions
    sensitive = None if ctx.sensitive_test is None else ctx.sensitive_test.iloc[at]
    proba = None if ctx.proba_test is None else ctx.proba_test[at]
    return replace(
        ctx,
        X_test=run.rows,
        y_test=ctx.y_test[at],
        scores_test=ctx.scores_test[at],
        proba_test=proba,
        sensitive_test=sensitive,
    )


def fairness_context(ctx: AuditContext, rows: AuditContext) -> AuditContext:
    """The fairness section's context: every test row's scores, labels and sensitive values (the
    group counts and rates), and for its checks that read model inputs (protected inputs and
    proxies, the age rule) the rows of ``rows``, on which the protected inputs are found first
    (with those rows' sensitive values; the sections share the result)."""
    if rows is ctx:
        return ctx
    from ._sections_protected import protected_features

    protected_features(rows)
    return replace(ctx, X_test=rows.X_test)


def explain_rows(ctx: AuditContext, rows: AuditContext) -> None:
    """``explain_sample``, and for a dask X_test the rows the in-memory audit explains: the same
    positions, drawn as ``explain_sample`` draws them (a model explained by a sampling method explains fewer, a
    subsample drawn with the same generator), from the gathered rows."""
    from ._sections_explain import SAMPLED, _explainer, explain_sample

    run = ctx.cluster
    if rows is ctx or run is None or run.positions is None or run.explain_positions is None:
        explain_sample(ctx)
        return
    p, n = ctx.policy, len(ctx.scores_test)
    chosen = run.explain_positions
    if len(chosen) > p.explain_rows_sampled:
        rng = np.random.default_rng(ctx.random_state)
        if n > p.explain_rows:
            rng.choice(n, p.explain_rows, replace=False)  # the draw of the explained rows, as in memory
        first = np.searchsorted(run.positions, chosen[:1])
        probe = _explainer(rows, 0).explain_local(rows.X_test.iloc[first])
        if probe.method in SAMPLED:
            chosen = chosen[np.sort(rng.choice(len(chosen), p.explain_rows_sampled, replace=False))]
    at = np.searchsorted(run.positions, chosen)
    only = replace(rows, X_test=rows.X_test.iloc[at], y_test=rows.y_test[at], scores_test=rows.scores_test[at],
                   sensitive_test=None if rows.sensitive_test is None else rows.sensitive_test.iloc[at])  # fmt: skip
    explain_sample(only)  # every row of `only`: there are at most as many as it explains
    if only.sample is None or not np.array_equal(only.sample, np.arange(len(at))):
        raise RuntimeError("the explained rows differ from the in-memory audit's")  # pragma: no cover
    for target, sample in ((rows, at), (ctx, chosen)):
        target.sample, target.explanation, target.stability_runs = sample, only.explanation, only.stability_runs


def cluster_record(ctx: AuditContext) -> dict[str, Any] | None:
    """``provenance.cluster`` of the evidence: what ran where, what was gathered, and what is not
    the in-memory number (drift statistics on a grid, sections on a row sample)."""
    if ctx.cluster is None:
        return None
    record = dict(ctx.cluster.record)
    table = ctx.extras.get("drift")
    if table is not None and "statistic_exact" in table:
        record["drift_on_a_grid"] = [str(f) for f in table.index[~table["statistic_exact"].astype(bool)]]
    return record
