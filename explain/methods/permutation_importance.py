"""``permutation_importance``: scikit-learn's permutation importance, in the user's columns.

The drop in the model's score when one column's values are shuffled, averaged over
``n_repeats`` shuffles (spread: their standard deviation). Computed by
:func:`sklearn.inspection.permutation_importance` on the model as given (a Pipeline takes the
original columns), so the numbers are scikit-learn's for the same ``random_state``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.metaestimators import available_if

from .._model import ModelAdapter
from ..errors import MethodError
from ._global import GlobalJob, GlobalMethodSpec, GlobalResult
from ._sklearn_view import sklearn_estimator


def default_scoring(model: ModelAdapter) -> str:
    return "accuracy" if model.is_classifier else "r2"


def check_settings(params: Mapping[str, Any]) -> None:
    """Refuse settings scikit-learn would refuse, in its own words but with the fix."""
    from sklearn.metrics import get_scorer_names

    n_repeats = params.get("n_repeats", SPEC.defaults["n_repeats"])
    if isinstance(n_repeats, (bool, np.bool_)) or not isinstance(n_repeats, (int, np.integer)) or n_repeats < 1:
        raise MethodError(
            f"permutation_importance n_repeats={n_repeats!r}; pass a whole number >= 1 of shuffles per "
            f"column (default {SPEC.defaults['n_repeats']})."
        )
    scoring = params.get("scoring")
    if scoring is not None and not callable(scoring) and scoring not in get_scorer_names():
        close = [name for name in get_scorer_names() if str(scoring)[:3].lower() in name][:5]
        raise MethodError(
            f"permutation_importance scoring={scoring!r} is not a scikit-learn scorer; pass None (accuracy "
            f"for classifiers, r2 for regressors), a callable scorer(model, X, y), or a name such as "
            f"'accuracy', 'roc_auc', 'neg_log_loss', 'r2'{' (close: ' + str(close) + ')' if close else ''}; "
            "sklearn.metrics.get_scorer_names() lists them all."
        )
    n_jobs = params.get("n_jobs")
    if n_jobs is not None and (isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0):
        raise MethodError(f"permutation_importance n_jobs={n_jobs!r}; pass a positive number of workers, -1, or None.")


# ------------------------------------------------------------------ scikit-learn's steps, one at a time
# (for a dask collection, explain._distributed_global runs them with the model called on the cluster)


def random_seed(random_state: int | None) -> int:
    """The one seed scikit-learn draws from ``random_state``; every column's shuffles start
    from a fresh ``RandomState`` of it."""
    from sklearn.utils import check_random_state

    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max + 1))


def permuted_columns(column: Any, seed: int, n_repeats: int) -> Iterator[Any]:
    """The column as scikit-learn shuffles it in each repeat: one index array shuffled again
    in every repeat, applied to the column as the previous repeat left it. ``column`` is a
    numpy array or a pandas Series (its index is dropped, as scikit-learn keeps the frame's)."""
    generator = np.random.RandomState(seed)
    order = np.arange(len(column))
    current = column.reset_index(drop=True) if hasattr(column, "iloc") else column
    for _ in range(n_repeats):
        generator.shuffle(order)
        current = current.iloc[order].reset_index(drop=True) if hasattr(current, "iloc") else current[order]
        yield current


def response_methods(estimator: Any, scorer: Any) -> tuple[str, ...]:
    """The methods of ``estimator`` the scorer will call: the first of its ``_response_method``
    the estimator has (as scikit-learn picks it); every prediction method the estimator has for
    a scorer that does not say (a plain callable)."""
    asked = getattr(scorer, "_response_method", None)
    if asked is None:
        return tuple(m for m in _PREDICTIONS if hasattr(estimator, m))
    for name in (asked,) if isinstance(asked, str) else tuple(asked):
        if hasattr(estimator, name):
            return (name,)
    raise MethodError(f"the scorer asks for {asked!r}, which {type(estimator).__name__} does not have.")


def recorded(estimator: Any, outputs: Mapping[str, np.ndarray]) -> Any:
    """An estimator that answers the scorer with outputs already computed (``outputs``: method
    name -> the model's output on every row), so a scorer runs here on outputs made elsewhere."""
    from sklearn.base import is_classifier

    if is_classifier(estimator):
        return _RecordedClassifier(dict(outputs), np.asarray(estimator.classes_))
    return _RecordedRegressor(dict(outputs))


def importances_of(baseline: float, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of ``baseline - scores`` over repeats (the last axis)."""
    drops = baseline - scores
    return np.mean(drops, axis=1), np.std(drops, axis=1)


_PREDICTIONS = ("predict", "predict_proba", "decision_function")


def _has(name: str) -> Any:
    return lambda self: name in self.outputs


class _Recorded(BaseEstimator):
    def __init__(self, outputs: dict[str, np.ndarray]) -> None:
        self.outputs = outputs

    def __sklearn_is_fitted__(self) -> bool:
        return True

    @available_if(_has("predict"))
    def predict(self, X: Any) -> np.ndarray:
        return self.outputs["predict"]


class _RecordedRegressor(RegressorMixin, _Recorded):
    pass


class _RecordedClassifier(ClassifierMixin, _Recorded):
    def __init__(self, outputs: dict[str, np.ndarray], classes: np.ndarray) -> None:
        self.outputs = outputs
        self.classes_ = classes

    @available_if(_has("predict_proba"))
    def predict_proba(self, X: Any) -> np.ndarray:
        return self.outputs["predict_proba"]

    @available_if(_has("decision_function"))
    def decision_function(self, X: Any) -> np.ndarray:
        return self.outputs["decision_function"]


def run(gjob: GlobalJob) -> GlobalResult:
    from sklearn.inspection import permutation_importance

    job = gjob.job
    if job.model.kind == "callable":
        raise MethodError(
            "permutation_importance needs an estimator with a score; wrap the function in a "
            "scikit-learn estimator, or use a Shapley method and to_global()."
        )
    check_settings(job.params)
    params = {**dict(SPEC.defaults), **dict(job.params)}
    scoring = params["scoring"] or default_scoring(job.model)
    try:
        result = permutation_importance(
            sklearn_estimator(job.model),
            job.model_input(job.X),
            gjob.y,
            scoring=scoring,
            n_repeats=int(params["n_repeats"]),
            random_state=job.random_state,
            n_jobs=params["n_jobs"],
        )
    except (ValueError, TypeError) as exc:  # scikit-learn's checks of the settings, the target or the model
        raise MethodError(
            f"scikit-learn's permutation_importance refused this call ({type(exc).__name__}: {exc}). Check "
            f"that y holds the target of X's rows in the model's own labels, and the settings "
            f"(scoring={scoring!r}, n_repeats={params['n_repeats']!r})."
        ) from exc
    params["scoring"] = scoring
    # every column is shuffled (the seeds of the columns follow from random_state in column
    # order); the features asked for are picked from the result
    names = job.X.schema.feature_names
    chosen = [names.index(f) for f in gjob.features]
    return GlobalResult(
        importances=result.importances_mean[chosen],
        spread=result.importances_std[chosen],
        kind="permutation",
        output_space="score",
        output_names=(scoring,),
        params=params,
    )


SPEC = GlobalMethodSpec(
    name="permutation_importance",
    summary="drop in score when a column is shuffled (sklearn.inspection.permutation_importance)",
    run=run,
    needs_y=True,
    defaults={"n_repeats": 5, "scoring": None, "n_jobs": None},
    random=True,
)
