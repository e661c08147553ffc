"""``partial_dependence``: scikit-learn's partial dependence and ICE curves, as feature effects.

For each feature, :func:`sklearn.inspection.partial_dependence` (``kind="both"``) gives the
average prediction with the feature set to each grid value (partial dependence) and each row's
own curve (ICE). The effect keeps the average and the 10th-90th percentile band of the ICE
curves. The importance of a feature is the standard deviation of its partial-dependence curve
over the grid (Greenwell, Boehmke and McCarthy, 2018): flat curves matter little.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._effects import FeatureEffect
from .._model import OutputSpace
from ..errors import MethodError
from ._base import free_output
from ._global import GlobalJob, GlobalMethodSpec, GlobalResult
from ._sklearn_view import sklearn_estimator

_RESPONSE = {"probability": "predict_proba", "log_odds": "decision_function", "raw": "decision_function"}


def _response_method(gjob: GlobalJob, space: OutputSpace) -> str:
    model = gjob.job.model
    if not model.is_classifier:
        return "auto"  # sklearn's name for a regressor's predict
    if space == "log_odds" and not model._binary_margin_is_log_odds():
        raise MethodError(
            "partial_dependence explains log-odds only where the model's margin is the log-odds "
            "(binary logistic models); use output='probability' or 'raw'."
        )
    return _RESPONSE[space]


def check_settings(params: Mapping[str, Any]) -> None:
    """Refuse a grid or percentiles that scikit-learn would refuse, with the fix."""
    resolution = params.get("grid_resolution", SPEC.defaults["grid_resolution"])
    if isinstance(resolution, (bool, np.bool_)) or not isinstance(resolution, (int, np.integer)) or resolution < 2:
        raise MethodError(
            f"partial_dependence grid_resolution={resolution!r}; pass a whole number >= 2 of grid points "
            f"per feature (default {SPEC.defaults['grid_resolution']})."
        )
    percentiles = params.get("percentiles", SPEC.defaults["percentiles"])
    fix = "pass two numbers 0 <= low < high <= 1 bounding the grid, e.g. (0.05, 0.95) (the default)"
    try:
        low, high = (float(p) for p in percentiles)
    except (TypeError, ValueError):
        raise MethodError(f"partial_dependence percentiles={percentiles!r}; {fix}.") from None
    if not 0 <= low < high <= 1:
        raise MethodError(f"partial_dependence percentiles={percentiles!r}; {fix}.")


def _np_dtype(dtype: str) -> np.dtype:
    try:
        return np.dtype(dtype)
    except TypeError:  # pandas extension dtypes such as "Int64"
        return np.dtype("int64") if dtype.lower().startswith(("int", "uint", "bool")) else np.dtype(float)


def _with_float_columns(X: Any, names: list[str]) -> Any:
    if isinstance(X, np.ndarray):
        return X.astype(float) if X.dtype != object else X
    if hasattr(X, "with_columns"):  # polars
        import polars as pl

        return X.with_columns([pl.col(n).cast(pl.Float64) for n in names])
    return X.astype(dict.fromkeys(names, "float64"))


def run(gjob: GlobalJob) -> GlobalResult:
    from sklearn.inspection import partial_dependence

    job = gjob.job
    if job.model.kind == "callable":
        raise MethodError("partial_dependence needs a fitted estimator; a plain function cannot be passed to sklearn.")
    check_settings(job.params)
    space = free_output(job)
    params: dict[str, Any] = {**dict(SPEC.defaults), **dict(job.params)}
    X_model = job.model_input(job.X)
    schema = job.X.schema
    # scikit-learn refuses integer columns (its grid would be rounded); on our copy of the
    # rows they become float64, which is the conversion its error message asks for
    as_float = [c.name for c in schema.columns if c.kind == "numeric" and _np_dtype(c.dtype).kind in "iub"]
    if as_float:
        X_model = _with_float_columns(X_model, as_float)
    params["integer_columns_as_float"] = as_float
    categorical = [c.name for c in schema.columns if c.kind == "categorical"]
    use_names = schema.container != "numpy"
    effects, importances = [], []
    for name in gjob.features:
        j = schema.feature_names.index(name)
        try:
            result = partial_dependence(
                sklearn_estimator(job.model),
                X_model,
                [name if use_names else j],
                kind="both",
                grid_resolution=int(params["grid_resolution"]),
                percentiles=tuple(params["percentiles"]),
                response_method=_response_method(gjob, space),
                categorical_features=(categorical or None) if use_names else None,
            )
        except (ValueError, TypeError) as exc:  # scikit-learn's own checks of the grid and the column
            raise MethodError(
                f"scikit-learn's partial_dependence refused feature {name!r} ({type(exc).__name__}: {exc}). "
                f"Check the settings (grid_resolution={params['grid_resolution']!r}, percentiles="
                f"{params['percentiles']!r}): a column with fewer distinct values than the percentiles "
                "span needs wider percentiles, e.g. (0, 1)."
            ) from exc
        average = np.asarray(result["average"], dtype=float).T  # (grid, k)
        ice = np.asarray(result["individual"], dtype=float)  # (k, n, grid)
        lower = np.percentile(ice, 10, axis=1).T
        upper = np.percentile(ice, 90, axis=1).T
        squeeze = average.shape[1] == 1
        effects.append(
            FeatureEffect(
                feature=name,
                kind="partial_dependence",
                grid=tuple(result["grid_values"][0]),
                average=average[:, 0] if squeeze else average,
                lower=lower[:, 0] if squeeze else lower,
                upper=upper[:, 0] if squeeze else upper,
            )
        )
        importances.append(average.std(axis=0))
    imp = np.array(importances)
    k = imp.shape[1]
    return GlobalResult(
        importances=imp[:, 0] if k == 1 else imp,
        spread=None,
        kind="partial_dependence_std",
        output_space=space,
        output_names=job.model.output_names(k),
        effects=tuple(effects),
        params={**params, "response_method": _response_method(gjob, space), "ice_band": [10, 90]},
    )


SPEC = GlobalMethodSpec(
    name="partial_dependence",
    summary="partial dependence with ICE bands (sklearn.inspection.partial_dependence)",
    run=run,
    needs_y=False,
    defaults={"grid_resolution": 50, "percentiles": (0.05, 0.95)},
)
