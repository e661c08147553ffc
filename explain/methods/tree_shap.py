"""``tree_shap``: exact Shapley values of tree ensembles, through shap's TreeExplainer.

With background data the values are *interventional*: the value of a coalition is the mean
prediction over the background with the coalition's features set to the row's values. This is
the game every other Shapley method here plays, and it can explain probabilities. Without
background data the values are *path-dependent* (the trees' own cover weights stand in for the
background), and only the model's margin can be explained.
"""

from __future__ import annotations

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
        raise Unsupported(f"{type(job.model.estimator).__name__} is not a tree model shap can read")
    name = type(job.model.estimator).__name__
    if name == "GradientBoostingClassifier" and _n_classes(job) > 2:
        raise Unsupported("shap reads GradientBoostingClassifier only for binary classification")
    job.column_map  # noqa: B018 - raises Unsupported if a Pipeline step mixes columns
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
    if space == "probability" and name == "HistGradientBoostingClassifier" and _n_classes(job) > 2:
        raise Unsupported("shap cannot explain probabilities of a multiclass HistGradientBoostingClassifier")
    if space == "log_odds" and not (_n_classes(job) == 2 and _natural_margin(job) == "log_odds"):
        raise Unsupported("tree SHAP explains log-odds only for binary boosted models (whose margin is the log-odds)")
    if space == "raw" and job.model.is_classifier and name in _AVERAGING:
        raise Unsupported(f"{name} has no margin")
    return space


def run(job: Job, space: OutputSpace) -> Attribution:
    import shap

    X_model = job.model_space(job.X)
    n, d = job.X.n_rows, job.n_features
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
    cmap = job.column_map
    values = as_3d(raw, n, len(cmap.source))
    base = np.atleast_1d(np.asarray(explainer.expected_value, dtype=float)).reshape(-1)
    if job.model.is_classifier and _n_classes(job) == 2 and values.shape[2] == 2:
        values, base = values[:, :, 1:], base[1:]  # the positive class
    values = cmap.collapse(values)
    assert values.shape[:2] == (n, d)
    params["summed_from_encoded_columns"] = not cmap.is_identity
    return Attribution(values, np.broadcast_to(base, (n, values.shape[2])), params)


METHOD = MethodSpec(
    name="tree_shap",
    summary="exact Shapley values of tree ensembles (shap's TreeExplainer)",
    support=support,
    run=run,
    exact=True,
    additive=True,
    needs_background=False,
)
