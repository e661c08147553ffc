"""``glassbox``: the model's own exact decomposition of its prediction.

- Linear models: ``coef_j * x_j`` in the margin space, base value the intercept (reference:
  zero, not the background mean as in ``linear_shap``).
- Decision trees: the change in the node value at each split along the row's decision path,
  credited to the split's feature (Saabas); base value the root's value (the training mean).
- Additive models (InterpretML's Explainable Boosting Machines, and the additive boosted
  models of :mod:`explain.glassbox`): each term's score, one table lookup per term; base value
  the intercept. Binary classifiers are explained in log-odds, regressors and multiclass margins
  in raw space. A term of two features (a pair) is split between them:

  * EBM: by the features' Shapley values in the game the term plays against the training data,
    which the EBM carries as the weight of each of its cells (see :mod:`._ebm_pairs`). Its
    terms are centred on the same data, so the whole decomposition is then the interventional
    Shapley values with the training data as background: ``exact_shap`` with that background
    gives the same numbers (params: ``pair_terms="shapley_vs_training_data"``).
  * explain.glassbox models, which keep no training weights: equally
    (``pair_terms="split_equally"``), a convention that gives a feature half of a term even
    where the term does not move with it.

Each decomposition adds up to the prediction exactly. Only the linear case with a centred
background and the EBM (against its training data) coincide with Shapley values; the params say
which decomposition was used (``pair_terms="none"``: the model has no pair terms).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from .._data import Table
from .._effects import FeatureEffect
from .._model import OutputSpace
from ._base import Attribution, Job, MethodSpec, Unsupported
from ._ebm_pairs import carries_training_weights, shapley_term_values
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
        values, base, pair_terms = _additive_terms(job.model.estimator, X_model, cmap.source.shape[0])
        params = {"decomposition": "additive_terms", "pair_terms": pair_terms}
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


def _term_scores(model: object, X: object) -> np.ndarray:
    """``model.eval_terms(X)`` as ``(n, n_terms, n_outputs)``."""
    scores = np.asarray(model.eval_terms(X), dtype=np.float64)  # type: ignore[attr-defined]
    return scores[:, :, None] if scores.ndim == 2 else scores


def _additive_terms(model: object, X: object, d: int) -> tuple[np.ndarray, np.ndarray, str]:
    """Each term's score, a pair's split between its features; the base value; the pairs' rule.

    A term of several features is split by their Shapley values against the training data when
    the model carries its training weights (an EBM, see :mod:`._ebm_pairs`), else equally.
    """
    scores = _term_scores(model, X)
    base = np.atleast_1d(np.asarray(model.intercept_, dtype=np.float64))  # type: ignore[attr-defined]
    terms = [tuple(int(f) for f in features) for features in model.term_features_]  # type: ignore[attr-defined]
    values = np.zeros((scores.shape[0], d, scores.shape[2]))
    for t, features in enumerate(terms):
        if len(features) == 1:
            values[:, features[0]] += scores[:, t]
    shared = [t for t, features in enumerate(terms) if len(features) > 1]
    if not shared:
        return values, base, "none"
    if not carries_training_weights(model):
        for t in shared:
            for f in terms[t]:
                values[:, f] += scores[:, t] / len(terms[t])
        return values, base, "split_equally"
    split, means = shapley_term_values(model, X, scores, shared)
    for t, term_values in zip(shared, split, strict=True):
        for a, f in enumerate(terms[t]):
            values[:, f] += term_values[:, a]
    return values, base + means.sum(axis=0), "shapley_vs_training_data"


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
    """The model's own terms on grids of their features' values (shape functions; coefficient lines).

    For a linear model, a feature's attribution depends on that feature's value alone, so its
    effect is exact: the attribution of rows that differ only in that feature. For an additive
    model, every feature gets its main term (its shape function), whether or not it also takes
    part in a pair, and every pair term its own table over both features' grids (a
    ``"pair_shape_function"``): the model's terms themselves, not their split among features.
    """
    kind = _kind(job)
    if kind == "tree":
        return ()
    if kind == "additive":
        return _additive_effects(job)
    out = []
    for j, column in enumerate(job.X.schema.columns):
        table = _grid_table(job, {j: _grid_codes(job.X.encoded[:, j], column.kind == "categorical")})
        values = run(replace(job, X=table), space).values[:, j, :]
        out.append(_effect(column.name, "coefficient", tuple(table.values[:, j]), values))
    return tuple(out)


def _additive_effects(job: Job) -> tuple[FeatureEffect, ...]:
    """One effect per feature with a term of its own, then one per pair of features with a term."""
    model = job.model.estimator
    source, schema = job.column_map.source, job.X.schema
    owned: dict[tuple[int, ...], list[int]] = {}  # the user's features a term depends on -> its terms
    for t, features in enumerate(model.term_features_):  # type: ignore[attr-defined]
        owner = tuple(sorted({int(source[f]) for f in features if source[f] >= 0}))
        owned.setdefault(owner, []).append(t)
    grids = {
        j: _grid_codes(job.X.encoded[:, j], column.kind == "categorical") for j, column in enumerate(schema.columns)
    }
    singles = sorted(owner for owner in owned if len(owner) == 1)
    pairs = [owner for owner in owned if len(owner) == 2]  # in the model's order of terms
    out = []
    for owner in singles + pairs:
        table = _grid_table(job, {j: grids[j] for j in owner})
        scores = _term_scores(model, job.model_space(table))[:, owned[owner]].sum(axis=1)
        if len(owner) == 1:
            (j,) = owner
            out.append(_effect(schema.columns[j].name, "shape_function", tuple(table.values[:, j]), scores))
            continue
        a, b = owner
        na, nb = len(grids[a]), len(grids[b])
        labels = (tuple(table.values[::nb, a]), tuple(table.values[:nb, b]))
        names = (schema.columns[a].name, schema.columns[b].name)
        out.append(_effect(names, "pair_shape_function", labels, scores.reshape(na, nb, -1)))
    return tuple(out)


def _grid_table(job: Job, grids: dict[int, np.ndarray]) -> Table:
    """The first row of X with the columns in ``grids`` set to every combination of their grid
    values (the first column varying slowest); a term of those columns reads nothing else."""
    mesh = np.meshgrid(*grids.values(), indexing="ij")
    rows = np.repeat(job.X.encoded[:1], mesh[0].size, axis=0)
    for j, values in zip(grids, mesh, strict=True):
        rows[:, j] = values.ravel()
    return Table(job.X.schema, job.codebook.decode(rows), rows)


def _effect(feature: str | tuple[str, str], kind: str, grid: tuple[Any, ...], values: np.ndarray) -> FeatureEffect:
    """An effect of one output as a table without the outputs' axis."""
    return FeatureEffect(
        feature=feature, kind=kind, grid=grid, average=values[..., 0] if values.shape[-1] == 1 else values
    )
