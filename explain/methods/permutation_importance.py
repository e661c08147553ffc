"""``permutation_importance``: scikit-learn's permutation importance, in the user's columns.

The drop in the model's score when one column's values are shuffled, averaged over
``n_repeats`` shuffles (spread: their standard deviation). Computed by
:func:`sklearn.inspection.permutation_importance` on the model as given (a Pipeline takes the
original columns), so the numbers are scikit-learn's for the same ``random_state``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

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
