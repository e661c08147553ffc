"""``permutation_importance``: scikit-learn's permutation importance, in the user's columns.

The drop in the model's score when one column's values are shuffled, averaged over
``n_repeats`` shuffles (spread: their standard deviation). Computed by
:func:`sklearn.inspection.permutation_importance` on the model as given (a Pipeline takes the
original columns), so the numbers are scikit-learn's for the same ``random_state``.
"""

from __future__ import annotations

from .._model import ModelAdapter
from ..errors import MethodError
from ._global import GlobalJob, GlobalMethodSpec, GlobalResult
from ._sklearn_view import sklearn_estimator


def default_scoring(model: ModelAdapter) -> str:
    return "accuracy" if model.is_classifier else "r2"


def run(gjob: GlobalJob) -> GlobalResult:
    from sklearn.inspection import permutation_importance

    job = gjob.job
    if job.model.kind == "callable":
        raise MethodError(
            "permutation_importance needs an estimator with a score; wrap the function in a "
            "scikit-learn estimator, or use a Shapley method and to_global()."
        )
    params = {**dict(SPEC.defaults), **dict(job.params)}
    scoring = params["scoring"] or default_scoring(job.model)
    result = permutation_importance(
        sklearn_estimator(job.model),
        job.model_input(job.X),
        gjob.y,
        scoring=scoring,
        n_repeats=int(params["n_repeats"]),
        random_state=job.random_state,
        n_jobs=params["n_jobs"],
    )
    params["scoring"] = scoring
    return GlobalResult(
        importances=result.importances_mean,
        spread=result.importances_std,
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
