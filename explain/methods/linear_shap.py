"""``linear_shap``: closed-form interventional Shapley values of linear models.

For ``f(x) = b + w·x`` and background mean ``m``, the Shapley value of feature ``j`` is
``w_j (x_j - m_j)`` and the base value is ``f(m)``. Linear classifiers are linear in their
decision margin (the log-odds for logistic regression), not in probability.

Only the background's mean is read, so every background row given is used, whatever
``Explainer(background_size=...)``: a larger background costs one pass over it and nothing per
explained row (``params["background_rows"]`` is the number given).
"""

from __future__ import annotations

import numpy as np

from .._model import OutputSpace, _margin_is_log_odds
from ._base import Attribution, Job, MethodSpec, Unsupported, require_background


def is_linear_model(job: Job) -> bool:
    from sklearn.linear_model._base import LinearClassifierMixin, LinearModel

    est = job.model.estimator
    return isinstance(est, (LinearModel, LinearClassifierMixin)) and hasattr(est, "coef_")


def linear_space(job: Job) -> OutputSpace:
    """The output space a linear model is linear in, or Unsupported."""
    if not is_linear_model(job):
        raise Unsupported(f"{type(job.model.estimator).__name__} is not a scikit-learn linear model")
    job.column_map  # noqa: B018 - raises Unsupported if a Pipeline step mixes columns
    model = job.model
    if not model.is_classifier:
        space: OutputSpace = job.output or "raw"
        model.check_output(space)
        return space
    binary_log_odds = len(model.classes or ()) == 2 and _margin_is_log_odds(model.estimator, model.kind)
    space = job.output or ("log_odds" if binary_log_odds else "raw")
    if space == "probability":
        raise Unsupported(
            "a linear classifier is linear in its log-odds, not in probability; pass "
            "output='log_odds' (or 'raw'), or use exact_shap / kernel_shap for probabilities"
        )
    if space == "log_odds" and not binary_log_odds:
        raise Unsupported("the model's margin is not the log-odds of a binary classifier; use output='raw'")
    return space


def coefficients(job: Job) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients ``(d_model, k)`` and intercepts ``(k,)`` in the margin space."""
    est = job.model.estimator
    coef = np.atleast_2d(np.asarray(est.coef_, dtype=float))
    intercept = np.atleast_1d(np.asarray(getattr(est, "intercept_", 0.0), dtype=float))
    if coef.shape[0] != intercept.shape[0]:
        intercept = np.broadcast_to(intercept, (coef.shape[0],))
    return coef.T, intercept


def run(job: Job, space: OutputSpace) -> Attribution:
    background = require_background(job, "linear_shap")
    coef, intercept = coefficients(job)
    X_model = np.asarray(job.model_space(job.X), dtype=float)
    mean = np.asarray(job.model_space(background), dtype=float).mean(axis=0)
    values = (X_model - mean)[:, :, None] * coef[None, :, :]
    base = intercept + mean @ coef
    cmap = job.column_map
    n = job.X.n_rows
    params = {"summed_from_encoded_columns": not cmap.is_identity, "reference": "background_mean"}
    return Attribution(cmap.collapse(values), np.broadcast_to(base, (n, coef.shape[1])), params)


def support(job: Job) -> OutputSpace:
    require_background(job, "linear_shap")
    return linear_space(job)


METHOD = MethodSpec(
    name="linear_shap",
    summary="closed-form interventional Shapley values of linear models",
    support=support,
    run=run,
    exact=True,
    additive=True,
    needs_background=True,
)
