"""Validation-grade content for scoring models, as credit-model validators expect it.

Two groups of blocks, each built from plain inputs so they can be checked on their own:

- the separation and rank ordering of a binary classifier's test scores
  (:func:`rank_ordering_blocks`): the Kolmogorov-Smirnov statistic, the Gini coefficient and a
  table of score deciles with a finding ``performance.rank_ordering``;
- the model's settings (:func:`hyperparameter_blocks`): the final estimator's hyperparameters,
  non-default ones marked, and one row per pipeline step.

Vocabulary: the positive class (``y == 1``) is the favourable outcome, a *good*; the other class
is a *bad*. A higher score means a more likely good, so the bad rate should rise from the
highest-scoring decile to the lowest.
"""

from __future__ import annotations

import inspect
import itertools
import math
from typing import Any

import numpy as np
from scipy import stats

from ._schema import column, facts, finding, paragraph, table

__all__ = [
    "INVERSION_Z",
    "N_DECILES",
    "final_estimator",
    "hyperparameter_blocks",
    "hyperparameters",
    "rank_ordering_blocks",
    "rank_ordering_finding",
    "score_deciles",
    "score_separation",
]

N_DECILES = 10
INVERSION_Z = 1.96
"""An inversion of the bad rate between neighbouring deciles is *within the sampling error* when
the two-proportion z statistic (pooled) of the two bad rates is at most this (5% two-sided)."""


def score_separation(y: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """KS statistic (with its p-value), ROC AUC and Gini of binary scores.

    KS is the largest distance between the score distributions (empirical CDFs) of goods and bads,
    which equals the largest ``|TPR - FPR|`` over thresholds; Gini is ``2 * AUC - 1``.

    >>> out = score_separation(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9]))
    >>> out["ks"], out["auc"], out["gini"]
    (1.0, 1.0, 1.0)
    """
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y).astype(bool)
    scores = np.asarray(scores, dtype=float)
    ks = stats.ks_2samp(scores[y], scores[~y])
    auc = float(roc_auc_score(y, scores))
    return {"ks": float(ks.statistic), "ks_pvalue": float(ks.pvalue), "auc": auc, "gini": 2 * auc - 1}


def score_deciles(y: np.ndarray, scores: np.ndarray, n_bins: int = N_DECILES) -> list[dict[str, Any]]:
    """Rows of ``n_bins`` groups of (nearly) equal row counts, highest scores first.

    Rows with the same score may fall in neighbouring groups (the groups are cut by rank, so their
    sizes differ by at most one). Per group: rows, score range, good and bad rate, the cumulative
    shares of all goods and all bads in this group and the ones above it, and whether the bad rate
    is at least the one of the group above (``monotone``; ``None`` for the first group, which has
    no group above: the report shows it as missing, not as a "yes" it never tested).

    >>> rows = score_deciles(np.array([1, 1, 0, 1, 0, 0]), np.arange(6.0)[::-1], n_bins=3)
    >>> [r["bad_rate"] for r in rows], rows[-1]["cum_bads"]
    ([0.0, 0.5, 1.0], 1.0)
    >>> [r["monotone"] for r in rows]
    [None, True, True]
    """
    y = np.asarray(y).astype(bool)
    scores = np.asarray(scores, dtype=float)
    order = np.argsort(-scores, kind="stable")
    goods, bads = max(int(y.sum()), 1), max(int((~y).sum()), 1)
    rows: list[dict[str, Any]] = []
    cum_good = cum_bad = 0
    for i, idx in enumerate(np.array_split(order, min(n_bins, len(order))), start=1):
        n, good = len(idx), int(y[idx].sum())
        cum_good, cum_bad = cum_good + good, cum_bad + n - good
        bad_rate = (n - good) / n
        rows.append(
            {
                "decile": i,
                "rows": n,
                "score_high": float(scores[idx].max()),
                "score_low": float(scores[idx].min()),
                "good_rate": good / n,
                "bad_rate": bad_rate,
                "cum_goods": cum_good / goods,
                "cum_bads": cum_bad / bads,
                "separation": cum_good / goods - cum_bad / bads,
                "monotone": bad_rate >= rows[-1]["bad_rate"] if rows else None,
            }
        )
    return rows


def _inversion_z(upper: dict[str, Any], lower: dict[str, Any]) -> float:
    """Pooled two-proportion z statistic of the drop in bad rate from ``upper`` to ``lower``."""
    n1, n2 = upper["rows"], lower["rows"]
    pooled = (upper["bad_rate"] * n1 + lower["bad_rate"] * n2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    drop = upper["bad_rate"] - lower["bad_rate"]
    return math.inf if se == 0 else drop / se


def rank_ordering_finding(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """``performance.rank_ordering``: pass when the bad rate never falls from one decile to the
    next lower-scoring one, or falls once within the sampling error (z <= :data:`INVERSION_Z`);
    warn otherwise. ``observed`` is the number of inversions."""
    inverted = [(upper, lower) for upper, lower in itertools.pairwise(rows) if not lower["monotone"]]
    zs = [_inversion_z(upper, lower) for upper, lower in inverted]
    tolerated = len(inverted) == 1 and zs[0] <= INVERSION_Z
    where = "; ".join(
        f"decile {lower['decile']} ({lower['bad_rate']:.1%}) below decile {upper['decile']} "
        f"({upper['bad_rate']:.1%}), z = {z:.2f}"
        for (upper, lower), z in zip(inverted, zs, strict=True)
    )
    if not inverted:
        message = f"The bad rate never falls from the highest-scoring to the lowest-scoring of {len(rows)} deciles."
    elif tolerated:
        message = f"One inversion of the bad rate, within the sampling error (z <= {INVERSION_Z}): {where}."
    else:
        message = (
            f"The bad rate is not monotone across the score deciles: {where}. The scores do not rank risk "
            f"consistently (tolerated: one inversion with z <= {INVERSION_Z})."
        )
    return finding(
        "performance.rank_ordering",
        "performance",
        "Score deciles rank-order the bad rate",
        metric="inversions of the bad rate across deciles",
        observed=len(inverted),
        threshold=0,
        comparison="<=",
        format="int",
        status="pass" if not inverted or tolerated else "warn",
        message=message,
    )


def _not_ranked(n: int) -> dict[str, Any]:
    return finding(
        "performance.rank_ordering",
        "performance",
        "Score deciles rank-order the bad rate",
        metric="inversions of the bad rate across deciles",
        observed=None,
        format="int",
        message=f"Every one of the {n} test rows has the same score: there are no deciles to rank.",
    )


def rank_ordering_blocks(y: np.ndarray, scores: np.ndarray) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The KS / Gini facts, the decile table and the rank-ordering finding of binary test scores."""
    sep = score_separation(y, scores)
    rows = score_deciles(y, scores)
    scores = np.asarray(scores, dtype=float)
    if len(scores) and np.all(scores == scores[0]):
        # deciles of tied scores would be cut by row order: their bad rates say nothing of the model
        found = [_not_ranked(len(scores))]
        rows = []
    else:
        found = [rank_ordering_finding(rows)]
    blocks = [
        paragraph(
            "Separation and rank ordering (credit-validation measures). KS is the largest distance between "
            "the score distributions of goods (the favourable class) and bads, equal to the largest "
            "|TPR - FPR| over thresholds; Gini = 2 AUC - 1. The deciles hold equal numbers of test rows, "
            "highest scores first; the bad rate should rise from each decile to the next."
        ),
        facts(
            [
                ("Kolmogorov-Smirnov statistic (test)", sep["ks"], "float"),
                ("KS p-value (two-sample test)", sep["ks_pvalue"], "pvalue"),
                ("Gini coefficient (test)", sep["gini"], "float"),
            ]
        ),
        table(
            "score_deciles",
            "Rank ordering: test rows by score decile, highest scores first",
            [
                column("decile", "Decile", "int"),
                column("rows", "Rows", "int"),
                column("score_high", "Score from", "float"),
                column("score_low", "Score to", "float"),
                column("good_rate", "Good rate", "pct"),
                column("bad_rate", "Bad rate", "pct"),
                column("cum_goods", "Goods captured (cum.)", "pct"),
                column("cum_bads", "Bads captured (cum.)", "pct"),
                column("separation", "Goods - bads (cum.)", "pct"),
                column("monotone", "Bad rate ≥ decile above", "bool"),
            ],
            rows,
            note=f"Tolerance: one inversion of the bad rate is accepted when it is within the sampling error "
            f"(pooled two-proportion z ≤ {INVERSION_Z}). Rows with equal scores may fall in neighbouring deciles.",
        ),
    ]
    return blocks, found


def _short(value: Any, limit: int = 60) -> str:
    """A parameter value as short text: an estimator by its class, a function by its name."""
    if value is None:
        return "None"
    if hasattr(value, "get_params"):
        text = type(value).__name__
    elif inspect.isfunction(value) or inspect.isbuiltin(value) or inspect.isclass(value):
        text = value.__name__
    elif isinstance(value, float):
        text = f"{value:.6g}"
    elif isinstance(value, str):
        text = value
    elif isinstance(value, (list, tuple)) and value and all(_is_named_step(v) for v in value):
        # a ColumnTransformer's transformers, a FeatureUnion's or a stacking model's estimators
        text = "[" + ", ".join(f"{v[0]}: {_short(v[1])}" for v in value) + "]"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_named_step(value: Any) -> bool:
    return isinstance(value, tuple) and len(value) >= 2 and isinstance(value[0], str)


_UNDECLARED = object()


def _declared_defaults(estimator: Any) -> dict[str, Any]:
    """Defaults declared by ``__init__`` along the class hierarchy, the most derived first: XGBoost's
    classifier passes ``**kwargs`` to its base class, which declares them."""
    defaults: dict[str, Any] = {}
    for cls in type(estimator).__mro__:
        init = cls.__dict__.get("__init__")
        if init is None or cls is object:
            continue
        try:
            parameters = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            continue
        for p in parameters:
            if p.default is not inspect.Parameter.empty:
                defaults.setdefault(p.name, p.default)
    return defaults


def _same(value: Any, default: Any) -> bool:
    # repr, as scikit-learn's own "changed parameters" display does: arrays and objects compare
    # without raising, and NaN equals NaN
    if isinstance(value, float) and isinstance(default, float) and math.isnan(value) and math.isnan(default):
        return True
    return repr(value) == repr(default)


def hyperparameters(estimator: Any) -> list[dict[str, Any]]:
    """Rows of ``estimator.get_params(deep=False)``: parameter, value and default as short text, and
    whether the value differs from the default.

    The default is the one declared by the class's ``__init__`` (or a base class's). A parameter without a declared
    default (a ``**kwargs`` parameter of LightGBM, XGBoost or CatBoost) counts as default when it is
    ``None`` (how XGBoost reports a parameter left unset) and as set otherwise.
    """
    get = getattr(estimator, "get_params", None)
    if get is None:
        return []
    defaults = _declared_defaults(estimator)
    rows = []
    for name, value in sorted(get(deep=False).items()):
        default = defaults.get(name, _UNDECLARED)
        changed = value is not None if default is _UNDECLARED else not _same(value, default)
        rows.append(
            {
                "parameter": name,
                "value": _short(value),
                "default": "not declared" if default is _UNDECLARED else _short(default),
                "changed": changed,
            }
        )
    return rows


def _steps(model: Any) -> list[tuple[str, Any]]:
    steps = getattr(model, "steps", None)
    if isinstance(steps, list) and steps and all(isinstance(s, tuple) and len(s) == 2 for s in steps):
        return [(str(name), est) for name, est in steps]
    return []


def final_estimator(model: Any) -> Any:
    """The last step of a pipeline, else the model itself."""
    steps = _steps(model)
    return steps[-1][1] if steps else model


def hyperparameter_blocks(model: Any) -> list[dict[str, Any]]:
    """The final estimator's hyperparameters as a table and, for a pipeline, one row per step."""
    estimator = final_estimator(model)
    if not hasattr(estimator, "get_params"):
        kind = "a function" if callable(estimator) else f"a {type(estimator).__name__}"
        return [paragraph(f"The model is {kind}: no hyperparameters (it does not expose get_params).")]
    rows = hyperparameters(estimator)
    blocks = [
        table(
            "hyperparameters",
            f"Hyperparameters of the final estimator ({type(estimator).__name__})",
            [
                column("parameter", "Parameter"),
                column("value", "Value"),
                column("default", "Default"),
                column("changed", "Non-default", "bool"),
            ],
            rows,
            note=f"{sum(r['changed'] for r in rows)} of {len(rows)} parameters differ from the class's defaults "
            "(get_params(deep=False)).",
        )
    ]
    steps = _steps(model)
    if steps:
        step_rows = []
        for name, est in steps:
            changed = [r for r in hyperparameters(est) if r["changed"]]
            step_rows.append(
                {
                    "step": name,
                    "class": type(est).__name__ if est not in (None, "passthrough") else str(est),
                    "parameters": ", ".join(f"{r['parameter']}={r['value']}" for r in changed) or "defaults",
                }
            )
        blocks.append(
            table(
                "pipeline_steps",
                f"Pipeline steps ({type(model).__name__}, in order)",
                [column("step", "Step"), column("class", "Class"), column("parameters", "Non-default parameters")],
                step_rows,
            )
        )
    return blocks
