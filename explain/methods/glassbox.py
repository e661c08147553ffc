"""``glassbox``: the model's own exact decomposition of its prediction.

- Linear models: ``coef_j * x_j`` in the margin space, base value the intercept (reference:
  zero, not the background mean as in ``linear_shap``).
- Decision trees: the change in the node value at each split along the row's decision path,
  credited to the split's feature (Saabas); base value the root's value (the training mean).
- Additive models (InterpretML's Explainable Boosting Machines, and the additive boosted
  models of :mod:`explain.glassbox`): each term's score, one table lookup per term; a pairwise
  term's score is split equally between its two features; base value the intercept. Binary
  classifiers are explained in log-odds, regressors and multiclass margins in raw space.

Each decomposition adds up to the prediction exactly. Only the linear case with a centred
background coincides with Shapley values; the params say which decomposition was used.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .._data import Table
from .._effects import FeatureEffect
from .._model import OutputSpace
from ._base import Attribution, Job, MethodSpec, Unsupported
from .linear_shap import coefficients, is_linear_model, linear_space

_TREES = ("DecisionTreeClassifier", "DecisionTreeRegressor", "ExtraTreeClassifier", "ExtraTreeRegressor")


def is_additive_model(estimator: object) -> bool:
    """Whether ``estimator`` is an additive model that evaluates its own terms: InterpretML's
    EBM and :mod:`explain.glassbox`'s models share ``eval_terms(X)``, ``term_features_`` and
    ``intercept_``."""
    return all(hasattr(estimator, name) for name in ("eval_terms", "term_features_", "intercept_"))


def _kind(job: Job) -> str:
    if job.model.kind == "ebm" or is_additive_model(job.model.estimator):
        return "additive"
    if is_linear_model(job):
        return "linear"
    if type(job.model.estimator).__name__ in _TREES:
        return "tree"
    raise Unsupported(
        f"{type(job.model.estimator).__name__} has no built-in decomposition; glassbox explains "
        "linear models, single decision trees, Explainable Boosting Machines and explain.glassbox's "
        "additive models"
    )


def support(job: Job) -> OutputSpace:
    kind = _kind(job)
    if kind == "linear":
        return linear_space(job)
    job.column_map  # noqa: B018 - raises Unsupported if a Pipeline step mixes columns
    model = job.model
    if kind == "tree":
        natural: OutputSpace = "probability" if model.is_classifier else "raw"
    else:
        natural = "log_odds" if model.is_classifier and len(model.classes or ()) == 2 else "raw"
    if job.output is not None and job.output != natural:
        raise Unsupported(f"the {kind} model's own decomposition is in {natural!r}, not {job.output!r}")
    return natural


def run(job: Job, space: OutputSpace) -> Attribution:
    kind = _kind(job)
    cmap = job.column_map
    X_model = job.model_space(job.X)
    if kind == "linear":
        coef, intercept = coefficients(job)
        values = np.asarray(X_model, dtype=float)[:, :, None] * coef[None]
        base = intercept
        params: dict[str, object] = {"decomposition": "coefficient_times_value", "reference": "zero"}
    elif kind == "tree":
        values, base = _tree_paths(job.model.estimator, X_model)
        params = {"decomposition": "decision_path", "reference": "root_node"}
    else:
        values, base = _additive_terms(job.model.estimator, X_model, job.n_features)
        params = {"decomposition": "additive_terms", "pair_terms": "split_equally"}
    values = cmap.collapse(values)
    params["summed_from_encoded_columns"] = not cmap.is_identity
    n = job.X.n_rows
    return Attribution(values, np.broadcast_to(base, (n, values.shape[2])), params)


def _tree_paths(tree_model: object, X: object) -> tuple[np.ndarray, np.ndarray]:
    """Saabas contributions: value change at each split, credited to the split feature."""
    tree = tree_model.tree_  # type: ignore[attr-defined]
    value = tree.value[:, :, :]  # (nodes, n_outputs, n_classes)
    value = value[:, 0, :] if value.shape[1] == 1 else value[:, :, 0]
    if hasattr(tree_model, "classes_"):
        value = value / value.sum(axis=1, keepdims=True)  # fractions, whatever sklearn stored
        if value.shape[1] == 2:
            value = value[:, 1:]
    parent = np.full(tree.node_count, -1)
    for side in (tree.children_left, tree.children_right):
        has = side >= 0
        parent[side[has]] = np.flatnonzero(has)
    n_model = tree_model.n_features_in_  # type: ignore[attr-defined]
    delta = np.zeros((tree.node_count, n_model, value.shape[1]))
    child = np.flatnonzero(parent >= 0)
    delta[child, tree.feature[parent[child]]] = value[child] - value[parent[child]]
    path = tree_model.decision_path(X)  # type: ignore[attr-defined]  # sparse (n, nodes)
    values = np.asarray(path @ delta.reshape(tree.node_count, -1)).reshape(-1, n_model, value.shape[1])
    return values, value[0]


def _additive_terms(model: object, X: object, d: int) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(model.eval_terms(X), dtype=np.float64)  # type: ignore[attr-defined]
    if scores.ndim == 2:
        scores = scores[:, :, None]
    values = np.zeros((scores.shape[0], d, scores.shape[2]))
    for t, features in enumerate(model.term_features_):  # type: ignore[attr-defined]
        for f in features:
            values[:, f] += scores[:, t] / len(features)
    return values, np.atleast_1d(np.asarray(model.intercept_, dtype=np.float64))  # type: ignore[attr-defined]


METHOD = MethodSpec(
    name="glassbox",
    summary="the model's own exact decomposition (linear terms, tree paths, additive terms)",
    support=support,
    run=run,
    exact=True,
    additive=True,
    needs_background=False,
)


GRID_POINTS = 50


def _grid_codes(column: np.ndarray, categorical: bool) -> np.ndarray:
    """Grid of one encoded column: every category, or up to GRID_POINTS quantiles."""
    present = np.unique(column[~np.isnan(column)])
    if categorical or len(present) <= GRID_POINTS:
        return present
    return np.unique(np.quantile(present, np.linspace(0.0, 1.0, GRID_POINTS)))


def effects(job: Job, space: OutputSpace) -> tuple[FeatureEffect, ...]:
    """Each feature's own term on a grid of its values (shape functions; coefficient lines).

    For a linear or additive model, a feature's attribution depends on that feature's value
    alone, so the effect is exact: the attribution of rows that differ only in that feature.
    Features in a pairwise term depend on their partner too and get no effect here.
    """
    kind = _kind(job)
    if kind == "tree":
        return ()
    paired: set[int] = set()
    if kind == "additive":
        for features in job.model.estimator.term_features_:  # type: ignore[attr-defined]
            if len(features) > 1:
                paired.update(int(f) for f in features)
    schema, base_row = job.X.schema, job.X.encoded[0]
    out = []
    for j, column in enumerate(schema.columns):
        if j in paired:
            continue
        grid = _grid_codes(job.X.encoded[:, j], column.kind == "categorical")
        rows = np.repeat(base_row[None, :], len(grid), axis=0)
        rows[:, j] = grid
        table = Table(schema, job.codebook.decode(rows), rows)
        values = run(replace(job, X=table), space).values[:, j, :]
        labels = table.values[:, j]
        out.append(
            FeatureEffect(
                feature=column.name,
                kind="coefficient" if kind == "linear" else "shape_function",
                grid=tuple(labels),
                average=values[:, 0] if values.shape[1] == 1 else values,
            )
        )
    return tuple(out)
