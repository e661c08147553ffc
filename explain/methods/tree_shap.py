"""``tree_shap``: exact Shapley values of tree ensembles.

With background data the values are *interventional*: the value of a coalition is the mean
prediction over the background with the coalition's features set to the row's values, the game
every other Shapley method here plays. They are computed by our own compiled walk
(:mod:`explain.methods._tree_engine`), exact for the margin (and for the probability of an
averaging forest); for the probability of a boosted binary classifier, each background row's
values are rescaled to the change in probability, as shap defines it. shap's own
TreeExplainer stays available as ``method_params={"engine": "shap"}``; it disagrees with
brute-force enumeration on HistGradientBoosting models and deep trees (see the engine module).

Without background data the values are *path-dependent* (the trees' cover weights stand in for
the background) and only the model's margin is explained. They are computed by our own compiled
engine (:mod:`explain.methods._tree_path`: per-leaf subset tables after Yang's Fast TreeSHAP v2,
with the O(D^2)-per-leaf recursion for leaves whose table would not pay or not fit in memory;
``algorithm="v1"`` / ``"v2"`` force one); ``engine="shap"`` runs shap's TreeExplainer instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from .._model import OutputSpace
from ._base import Attribution, Job, MethodSpec, Unsupported, as_3d

_SKLEARN_TREES = {
    "DecisionTreeClassifier", "DecisionTreeRegressor", "ExtraTreeClassifier", "ExtraTreeRegressor",
    "RandomForestClassifier", "RandomForestRegressor", "ExtraTreesClassifier", "ExtraTreesRegressor",
    "GradientBoostingClassifier", "GradientBoostingRegressor",
    "HistGradientBoostingClassifier", "HistGradientBoostingRegressor",
}  # fmt: skip
_AVERAGING = {"DecisionTreeClassifier", "ExtraTreeClassifier", "RandomForestClassifier", "ExtraTreesClassifier"}


@contextmanager
def _threads(n_jobs: int | None) -> Iterator[None]:
    """The compiled engines' threads, capped by ``Explainer(n_jobs=...)`` (``None``: every core;
    negative as in joblib: ``-1`` every core, ``-2`` all but one)."""
    import numba

    previous = numba.get_num_threads()
    if n_jobs is not None:
        cores = int(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]
        numba.set_num_threads(max(1, min(cores, n_jobs if n_jobs > 0 else cores + 1 + n_jobs)))
    try:
        yield
    finally:
        numba.set_num_threads(previous)


def is_tree_model(job: Job) -> bool:
    name = type(job.model.estimator).__name__
    return name in _SKLEARN_TREES or job.model.kind in ("lightgbm", "lightgbm_booster", "xgboost")


def _n_classes(job: Job) -> int:
    return len(job.model.classes or ()) if job.model.is_classifier else 1


def _natural_margin(job: Job) -> OutputSpace:
    """What path-dependent tree SHAP explains: the trees' own output."""
    name = type(job.model.estimator).__name__
    if not job.model.is_classifier:
        return "raw"
    if name in _AVERAGING:
        return "probability"
    return "log_odds" if _n_classes(job) == 2 else "raw"


def support(job: Job) -> OutputSpace:
    if not is_tree_model(job):
        raise Unsupported(
            f"{type(job.model.estimator).__name__} is not a tree model tree_shap reads (scikit-learn trees, forests "
            "and gradient boosting, LightGBM, XGBoost)"
        )
    name = type(job.model.estimator).__name__
    if name == "GradientBoostingClassifier" and _n_classes(job) > 2 and job.params.get("engine") == "shap":
        raise Unsupported("shap reads GradientBoostingClassifier only for binary classification; use engine='explain'")
    job.column_map  # noqa: B018 - raises Unsupported if a Pipeline step mixes columns
    if job.model.preprocessor is None and any(c.kind == "categorical" for c in job.X.schema.columns):
        names = [c.name for c in job.X.schema.columns if c.kind == "categorical"]
        raise Unsupported(
            f"the trees split on categorical columns {names} directly, which tree_shap does not read; "
            "encode them in a Pipeline (e.g. OneHotEncoder / OrdinalEncoder) to use tree_shap"
        )
    if job.background is None:
        natural = _natural_margin(job)
        if job.output is not None and job.output != natural:
            raise Unsupported(
                f"without background data tree SHAP is path-dependent and explains the trees' own "
                f"output ({natural!r}); pass background= to explain {job.output!r}"
            )
        return natural
    space = job.default_output()
    job.model.check_output(space)
    if space == "probability" and _n_classes(job) > 2 and name not in _AVERAGING:
        raise Unsupported(
            "the probabilities of a multiclass boosted model are a softmax of all trees, which tree "
            "SHAP does not decompose; explain output='raw' (the margin) or use exact_shap / kernel_shap"
        )
    if space == "log_odds" and not (_n_classes(job) == 2 and _natural_margin(job) == "log_odds"):
        raise Unsupported("tree SHAP explains log-odds only for binary boosted models (whose margin is the log-odds)")
    if space == "raw" and job.model.is_classifier and name in _AVERAGING:
        raise Unsupported(f"{name} has no margin")
    return space


def run(job: Job, space: OutputSpace) -> Attribution:
    n = job.X.n_rows
    engine = job.params.get("engine", "explain")
    if engine not in ("explain", "shap"):
        raise Unsupported(f"engine={engine!r} is not known; use 'explain' or 'shap'")
    if engine == "shap":
        values, base, params = _shap(job, space)
    else:
        with _threads(job.n_jobs):
            if job.background is not None:
                values, base, params = _ours(job, space)
            else:
                values, base, params = _path_dependent(job)
    if job.model.is_classifier and _n_classes(job) == 2 and values.shape[2] == 2:
        values, base = values[:, :, 1:], base[1:]  # the positive class
    cmap = job.column_map
    values = cmap.collapse(values)
    params["summed_from_encoded_columns"] = not cmap.is_identity
    params.setdefault("engine", engine)
    return Attribution(values, np.broadcast_to(base, (n, values.shape[2])), params)


def _ours(job: Job, space: OutputSpace) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    from ._tree_engine import interventional_shap, read_forest
    from ._tree_masks import leaf_paths, mask_shap, mask_shap_logistic

    assert job.background is not None
    try:
        forest = read_forest(job.model.estimator)
    except Exception as exc:  # a model neither our readers nor shap's parser read: say so, do not guess
        raise Unsupported(f"the tree structure could not be read ({exc})") from exc
    logistic = space == "probability" and forest.tree_output == "log_odds"
    X_model = np.asarray(job.model_space(job.X), dtype=float)
    B_model = np.asarray(job.model_space(job.background), dtype=float)
    algorithm = job.params.get("algorithm", "auto")
    if algorithm not in ("auto", "walk", "masks"):
        raise Unsupported(f"algorithm={algorithm!r} is not known; use 'auto', 'walk' or 'masks'")
    # masks: per-leaf aggregation, exact, and faster than the per-pair walk on every model
    # measured (benchmarks/README.md); the walk remains for trees whose paths test > 62 features
    paths = leaf_paths(forest) if algorithm in ("auto", "masks") else None
    if paths is not None:
        algorithm = "masks"
        if logistic:
            values, base = mask_shap_logistic(forest, paths, X_model, B_model, progress=job.progress)
        else:
            values, base = mask_shap(forest, paths, X_model, B_model, progress=job.progress)
    else:
        algorithm = "walk"
        values, base = interventional_shap(forest, X_model, B_model, logistic=logistic)
    params = {
        "feature_perturbation": "interventional",
        "probability_rescaled_per_background_row": logistic,
        "algorithm": algorithm,
    }
    return values, base, params


def _path_dependent(job: Job) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    from ._tree_engine import read_forest
    from ._tree_path import path_dependent_shap, path_layout

    algorithm = job.params.get("algorithm", "auto")
    if algorithm not in ("auto", "v1", "v2"):
        raise Unsupported(
            f"algorithm={algorithm!r} is not known for path-dependent tree SHAP (no background data); "
            "use 'auto', 'v1' or 'v2' ('walk' and 'masks' are interventional: pass background=)"
        )
    try:
        forest = read_forest(job.model.estimator)
        layout = path_layout(forest)
        if layout is None:
            raise ValueError("a path tests more distinct features than a 64-bit mask holds")
    except Exception as exc:  # e.g. categorical splits: shap hands them to LightGBM's / XGBoost's own code
        values, base, params = _shap(job, _natural_margin(job))
        params.update(engine="shap", engine_fallback=f"explain's engine does not read these trees: {exc}")
        return values, base, params
    X_model = np.asarray(job.model_space(job.X), dtype=float)
    # a binary classifier whose trees hold both classes' values: explain the positive class alone
    positive = 1 if _n_classes(job) == 2 and forest.value.shape[2] == 2 else None
    values, base, facts = path_dependent_shap(
        forest, layout, X_model, algorithm=algorithm, output=positive, progress=job.progress
    )
    params = {"feature_perturbation": "tree_path_dependent", "model_output": "raw", **facts}
    return values, base, params


def _shap(job: Job, space: OutputSpace) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    import shap

    X_model = job.model_space(job.X)
    n = job.X.n_rows
    if job.background is None:
        explainer = shap.TreeExplainer(job.model.estimator, feature_perturbation="tree_path_dependent")
        params = {"feature_perturbation": "tree_path_dependent", "model_output": "raw"}
    else:
        model_output = "probability" if space == "probability" else "raw"
        explainer = shap.TreeExplainer(
            job.model.estimator,
            data=job.model_space(job.background),
            feature_perturbation="interventional",
            model_output=model_output,
        )
        params = {"feature_perturbation": "interventional", "model_output": model_output}
    raw = np.asarray(explainer.shap_values(X_model, check_additivity=False), dtype=float)
    values = as_3d(raw, n, len(job.column_map.source))
    base = np.atleast_1d(np.asarray(explainer.expected_value, dtype=float)).reshape(-1)
    return values, base, params


METHOD = MethodSpec(
    name="tree_shap",
    summary="exact Shapley values of tree ensembles: interventional, or path-dependent without background",
    support=support,
    run=run,
    exact=True,
    additive=True,
    needs_background=False,
    # algorithm, with background: "masks" (per-leaf mask aggregation) or "walk" (per pair); "auto"
    # uses masks wherever they apply. Without background (path-dependent): "v2" (per-leaf tables)
    # or "v1" (per-row recursion); "auto" tabulates the leaves where it pays and fits the memory
    # budget. All are exact; tests hold them equal.
    defaults={"engine": "explain", "algorithm": "auto"},
)
