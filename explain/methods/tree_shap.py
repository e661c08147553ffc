"""``tree_shap``: exact Shapley values of tree ensembles.

With background data the values are *interventional*: the value of a coalition is the mean
prediction over the background with the coalition's features set to the row's values, the game
every other Shapley method here plays. They are computed by our own compiled walk
(:mod:`explain.methods._tree_engine`), exact for the margin (and for the probability of an
averaging forest); for the probability of a boosted binary classifier, each background row's
values are rescaled to the change in probability, as shap defines it. shap's own
TreeExplainer stays available as ``method_params={"engine": "shap"}``; it disagrees with
brute-force enumeration on HistGradientBoosting models and deep trees (see the engine module).
Interventional values hold at most ``MASK_BYTES`` (256 MB) of working memory beyond the rows,
the background and the result, for any number of rows and background rows, in probability as
in the margin (:mod:`explain.methods._tree_masks`); their time grows with the background
(per row in probability), which ``Explainer(background_size=...)`` samples.

Without background data the values are *path-dependent* (the trees' cover weights stand in for
the background) and only the model's margin is explained. They are computed by our own compiled
engine (:mod:`explain.methods._tree_path`: per-leaf subset tables after Yang's Fast TreeSHAP v2,
with the O(D^2)-per-leaf recursion for leaves whose table would not pay or not fit in memory;
``algorithm="v1"`` / ``"v2"`` force one); ``engine="shap"`` runs shap's TreeExplainer instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import numpy as np

from .._model import OutputSpace
from ._base import Attribution, Job, MethodSpec, Unsupported, as_3d
from ._tree_engine import Forest

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
    return name in _SKLEARN_TREES or job.model.kind in ("lightgbm", "lightgbm_booster", "xgboost", "catboost")


def _n_classes(job: Job) -> int:
    return len(job.model.classes or ()) if job.model.is_classifier else 1


def forest_of(job: Job) -> Forest:
    """The model's trees, read once per job; :class:`Unsupported` with the reason if they cannot be."""
    if "forest" not in job.scratch:
        from ._tree_engine import read_forest

        try:
            job.scratch["forest"] = read_forest(job.model.estimator)
        except Exception as exc:  # a model our readers refuse (NotReadable) or cannot parse: say so
            job.scratch["forest"] = Unsupported(f"the trees of this {type(job.model.estimator).__name__} cannot be "
                                                f"read exactly: {exc}")  # fmt: skip
    found = job.scratch["forest"]
    if isinstance(found, Unsupported):
        raise found
    return found  # type: ignore[no-any-return]


def _as_log_odds(job: Job, forest: Forest) -> Forest:
    """A binary classifier fitted with a two-class softmax (LightGBM ``multiclass``, XGBoost
    ``multi:softprob``, CatBoost ``MultiClass`` on 0/1 labels) predicts ``p1 = sigmoid(F1 - F0)``:
    its log-odds are the difference of the two classes' trees, itself a sum of trees."""
    if forest.link != "softmax" or _n_classes(job) != 2 or forest.value.shape[2] != 2:
        return forest
    value = np.ascontiguousarray(forest.value[:, :, 1:] - forest.value[:, :, :1])
    base = forest.base_offset[1:] - forest.base_offset[:1]
    return replace(forest, value=value, base_offset=base, link="logit", tree_output="log_odds")


def _margin_space(job: Job, forest: Forest) -> OutputSpace:
    """The space the summed trees are in: what path-dependent tree SHAP explains."""
    if forest.tree_output == "probability":  # an averaging forest of classifiers
        return "probability"
    if job.model.is_classifier:
        return "log_odds" if _n_classes(job) == 2 and forest.link == "logit" else "raw"
    return "raw" if forest.link == "identity" else "margin"


def _default_space(job: Job, forest: Forest) -> OutputSpace:
    """``output="auto"`` with background: probability where tree SHAP gives it, else the margin."""
    binary_logistic = forest.link == "logit" and _n_classes(job) == 2
    if job.model.is_classifier and (forest.tree_output == "probability" or binary_logistic):
        return "probability"
    return _margin_space(job, forest)


def support(job: Job) -> OutputSpace:
    if not is_tree_model(job):
        raise Unsupported(
            f"{type(job.model.estimator).__name__} is not a tree model tree_shap reads (scikit-learn trees, forests "
            "and gradient boosting, LightGBM, XGBoost, CatBoost)"
        )
    engine = job.params.get("engine", "explain")
    if engine not in ("explain", "shap"):
        raise Unsupported(f"engine={engine!r} is not known; use 'explain' or 'shap'")
    name = type(job.model.estimator).__name__
    if name == "GradientBoostingClassifier" and _n_classes(job) > 2 and engine == "shap":
        raise Unsupported("shap reads GradientBoostingClassifier only for binary classification; use engine='explain'")
    job.column_map  # noqa: B018 - raises Unsupported if a Pipeline step mixes columns
    forest = _as_log_odds(job, forest_of(job))
    if engine == "shap" and forest.has_categorical:
        raise Unsupported("shap's TreeExplainer does not read these categorical splits; use engine='explain'")
    _check_rows(job, forest)
    _check_algorithm(job, forest)
    natural = _margin_space(job, forest)
    if job.background is None:
        # the trees' own sum, up to a constant factor: the log-odds of a binary boosted model are
        # (a multiple of) its margin, and a regressor without a link predicts its margin
        allowed = {natural, "raw", "margin"} if natural in ("log_odds", "raw") else {natural}
        if job.output is not None and job.output not in allowed:
            raise Unsupported(
                f"without background data tree SHAP is path-dependent and explains the trees' own "
                f"output ({natural!r}); pass background= to explain {job.output!r}"
            )
        return job.output or natural
    space = job.output or _default_space(job, forest)
    job.model.check_output(space)
    multiclass = job.model.is_classifier and _n_classes(job) > 2 and forest.tree_output != "probability"
    if space == "probability" and multiclass:
        raise Unsupported(
            "the probabilities of a multiclass boosted model are a softmax of every class's trees, which tree "
            "SHAP does not decompose; explain output='raw' (the class margins, in seconds), or the probabilities "
            "with exact_shap (up to 15 features) or kernel_shap"
        )
    if space == "probability" and forest.tree_output != "probability" and forest.link != "logit":
        raise Unsupported(f"the trees of this {name} are not turned into probabilities by a logistic link")
    if space == "log_odds" and natural != "log_odds":
        raise Unsupported("tree SHAP explains log-odds only for binary boosted models (whose margin is the log-odds)")
    if space == "raw" and job.model.is_classifier and forest.tree_output == "probability":
        raise Unsupported(f"{name} has no margin")
    if not job.model.is_classifier and forest.link != "identity" and space == "raw":
        raise Unsupported(
            f"the model predicts {_LINKS.get(forest.link, 'a link function')} of its summed trees, which tree SHAP "
            "does not decompose; explain output='margin' (the trees' sum, which tree SHAP explains exactly), or "
            "the prediction with exact_shap (up to 15 features) or kernel_shap"
        )
    return space


_LINKS = {"log": "the exponential", "logit": "the logistic function", "softmax": "the softmax"}


def _check_rows(job: Job, forest: Forest) -> None:
    """The model's input must reach the trees as the library would read it: try one row."""
    probe = job.X if job.background is None else job.background
    try:
        rows = forest.rows(job.model_space(_first_row(probe)))
    except Exception as exc:  # a Pipeline output or dtype the trees' input adapter does not read
        raise Unsupported(f"the rows cannot be read the way the trees read them ({type(exc).__name__}: {exc})") from exc
    width = len(job.column_map.source)
    used = forest.feature[forest.left >= 0]
    if rows.shape[1] != width or (used.size and int(used.max()) >= width):
        raise Unsupported(f"the trees read features the {width} model input columns do not hold")


def _check_algorithm(job: Job, forest: Forest) -> None:
    """The ``algorithm`` setting exists for this kind of tree SHAP, and the trees fit its engine."""
    algorithm = job.params.get("algorithm", "auto")
    if job.background is not None:
        if algorithm not in ("auto", "walk", "masks"):
            raise Unsupported(
                f"algorithm={algorithm!r} is not known for interventional tree SHAP (with background data); use "
                "'auto', 'walk' or 'masks' ('v1' and 'v2' are path-dependent: leave background=None)"
            )
        return
    if algorithm not in ("auto", "v1", "v2"):
        raise Unsupported(
            f"algorithm={algorithm!r} is not known for path-dependent tree SHAP (no background data); "
            "use 'auto', 'v1' or 'v2' ('walk' and 'masks' are interventional: pass background=)"
        )
    if job.params.get("engine", "explain") == "explain":
        from ._tree_path import path_layout

        try:
            layout = path_layout(forest)
        except ValueError as exc:  # e.g. split nodes without training cover
            raise Unsupported(f"path-dependent tree SHAP needs the trees' training cover: {exc}") from exc
        if layout is None:
            raise Unsupported(
                "a path of these trees tests more than 62 distinct features, more than the path-dependent engine "
                "holds; pass background= for interventional values"
            )
        job.scratch["layout"] = (forest, layout)


def _first_row(table: Any) -> Any:
    from .._data import Table

    return Table(table.schema, table.values[:1], table.encoded[:1])


def run(job: Job, space: OutputSpace) -> Attribution:
    n = job.X.n_rows
    engine = job.params.get("engine", "explain")
    if engine == "shap":
        values, base, params = _shap(job, space)
    else:
        forest = forest_of(job)
        if space in ("log_odds", "probability"):
            forest = _as_log_odds(job, forest)
        scaled = space in ("log_odds", "probability") if job.model.is_classifier else space == "raw"
        if scaled and forest.log_odds_scale != 1.0:
            # the model's link acts on a multiple of the trees' sum (its raw score): 2F for the
            # exponential loss, LightGBM's sigmoid parameter, 1 / iterations for its random forests
            scale = forest.log_odds_scale
            forest = replace(forest, value=forest.value * scale, base_offset=forest.base_offset * scale)
        with _threads(job.n_jobs):
            if job.background is not None:
                values, base, params = _ours(job, forest, space)
            else:
                values, base, params = _path_dependent(job, forest, space)
        params["link"] = forest.link
        if forest.log_odds_scale != 1.0:
            params["log_odds_scale"] = forest.log_odds_scale
    if job.model.is_classifier and _n_classes(job) == 2 and values.shape[2] == 2 and space == "probability":
        values, base = values[:, :, 1:], base[1:]  # the positive class of an averaging forest
    if job.output is None and space in ("raw", "margin") and job.model.default_output() != space:
        params["output_note"] = _MARGIN_NOTE[space]
    cmap = job.column_map
    values = cmap.collapse(values)
    params["summed_from_encoded_columns"] = not cmap.is_identity
    params.setdefault("engine", engine)
    return Attribution(values, np.broadcast_to(base, (n, values.shape[2])), params)


_MARGIN_NOTE = {
    "raw": (
        "output='auto' explained the class margins (the summed trees of each class, before the softmax): tree "
        "SHAP decomposes them exactly and fast, but not the softmax probabilities; for those pass "
        "output='probability' with method='exact_shap' (up to 15 features) or 'kernel_shap'"
    ),
    "margin": (
        "output='auto' explained the margin (the summed trees, before the model's link function turns them into "
        "its prediction): tree SHAP decomposes it exactly; for the prediction itself pass output='raw' with "
        "method='exact_shap' (up to 15 features) or 'kernel_shap'"
    ),
}


def _ours(job: Job, forest: Forest, space: OutputSpace) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    from ._tree_engine import interventional_shap
    from ._tree_masks import leaf_paths, mask_shap, mask_shap_logistic

    assert job.background is not None
    logistic = space == "probability" and forest.tree_output == "log_odds"
    X_model = forest.rows(job.model_space(job.X))
    B_model = forest.rows(job.model_space(job.background))
    algorithm = job.params.get("algorithm", "auto")
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
    params: dict[str, Any] = {"feature_perturbation": "interventional", "algorithm": algorithm}
    params["probability_rescaled_per_background_row"] = logistic
    if logistic:
        params["probability_definition"] = PROBABILITY_DEFINITION
    return values, base, params


PROBABILITY_DEFINITION = (
    "per background row b, the row's log-odds attributions against b are rescaled so that they add up to "
    "sigmoid(F(x)) - sigmoid(F(b)), then averaged over the background (shap's TreeExplainer definition); "
    "this is not the Shapley value of the probability game v(S) = mean_b sigmoid(F(x_S, b_notS)), which "
    "method='exact_shap' computes (up to 15 features)"
)


def _path_dependent(job: Job, forest: Forest, space: OutputSpace) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    from ._tree_path import path_dependent_shap, path_layout

    algorithm = job.params.get("algorithm", "auto")
    made_for, layout = job.scratch.get("layout", (None, None))
    if made_for is not forest:  # the trees were rescaled (exponential loss, LightGBM's sigmoid): lay them out again
        layout = path_layout(forest)
    assert layout is not None  # support() checked that the trees fit the engine
    X_model = forest.rows(job.model_space(job.X))
    # the probability of a binary averaging forest, whose trees hold both classes' values: the
    # positive class alone (a two-class softmax explained in its raw margins keeps both)
    positive = 1 if _n_classes(job) == 2 and forest.value.shape[2] == 2 and space == "probability" else None
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
