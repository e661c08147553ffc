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

from .._data import Schema
from .._effects import FeatureEffect
from .._model import OutputSpace
from ..errors import MethodError
from ._base import free_output
from ._global import GlobalJob, GlobalMethodSpec, GlobalResult
from ._sklearn_view import sklearn_estimator

ICE_BAND = (10, 90)  # percentiles of the individual curves drawn around the average

_RESPONSE = {"probability": "predict_proba", "log_odds": "decision_function", "raw": "decision_function"}


def response_method(gjob: GlobalJob, space: OutputSpace) -> str:
    """scikit-learn's ``response_method`` for the output space explained."""
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


def float_columns(schema: Schema) -> list[str]:
    """The integer (and bool) numeric columns: scikit-learn refuses them (its grid would be
    rounded), so the model is called with them as float64, the conversion its error asks for."""
    return [c.name for c in schema.columns if c.kind == "numeric" and _np_dtype(c.dtype).kind in "iub"]


def categorical_columns(schema: Schema) -> list[str]:
    """The columns scikit-learn is told are categorical (their grid: every category). Only
    named columns can be told; an array's columns are all numeric to scikit-learn."""
    return [c.name for c in schema.columns if c.kind == "categorical"] if schema.container != "numpy" else []


def grid_of(column: Any, categorical: bool, grid_resolution: int, percentiles: tuple[float, float]) -> np.ndarray:
    """The grid scikit-learn's ``partial_dependence`` builds for one column (its
    ``_grid_from_X``): the column's unique values if it is categorical or has fewer than
    ``grid_resolution`` of them, else ``grid_resolution`` evenly spaced points between the
    column's ``percentiles`` (``scipy.stats.mstats.mquantiles``, as scikit-learn computes them)."""
    from scipy.stats.mstats import mquantiles

    try:
        uniques = np.unique(column)
    except TypeError as exc:  # NaN among text categories cannot be sorted
        raise MethodError(
            f"the column holds values that cannot be sorted together ({exc}); fill its missing values "
            "with a category of their own before asking for its partial dependence."
        ) from None
    if categorical or uniques.shape[0] < grid_resolution:
        return uniques
    low, high = mquantiles(column, prob=percentiles, axis=0)
    if np.allclose(low, high):
        raise MethodError(
            f"the percentiles {tuple(percentiles)} of the column are too close to each other to build a "
            "grid; pass wider percentiles, e.g. method_params={'percentiles': (0, 1)}."
        )
    return np.linspace(low, high, num=grid_resolution, endpoint=True)


def response(estimator: Any, X: Any, method: str) -> np.ndarray:
    """The model's output that scikit-learn's partial dependence averages, as ``(n, k)``: a
    regressor's ``predict``; a classifier's ``predict_proba`` (the positive class of a binary
    one) or ``decision_function`` (``method="auto"``: the first of the two it has)."""
    from sklearn.base import is_classifier

    if not is_classifier(estimator):
        out = np.asarray(estimator.predict(X))
    else:
        if method == "auto":
            method = "predict_proba" if hasattr(estimator, "predict_proba") else "decision_function"
        out = np.asarray(getattr(estimator, method)(X))
        if method == "predict_proba" and out.ndim == 2 and out.shape[1] == 2:
            out = out[:, 1]  # scikit-learn's positive class: classes_[-1]
    return out.reshape(len(out), -1)


def declared_order(grid: Any, categories: Any) -> np.ndarray:
    """The positions of ``grid`` (scikit-learn's sorted categories) in the order the user declared
    them (a pandas Categorical's categories, ordered or not); values not declared keep their
    place after them. No declared categories: the grid's own order."""
    if not categories:
        return np.arange(len(grid))
    rank = {c: i for i, c in enumerate(categories)}
    ranked = [(rank.get(_plain(g), len(rank)), i) for i, g in enumerate(grid)]
    return np.array([i for _, i in sorted(ranked)], dtype=np.intp)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def effect_of(
    name: str, grid: Any, average: np.ndarray, lower: np.ndarray, upper: np.ndarray, categories: Any = None
) -> FeatureEffect:
    """The feature's effect from its ``(grid, k)`` average and ICE band (squeezed for one output);
    a categorical grid is put in the order of the ``categories`` the user declared, if any."""
    order = declared_order(grid, categories)
    grid, average, lower, upper = [grid[i] for i in order], average[order], lower[order], upper[order]
    squeeze = average.shape[1] == 1
    return FeatureEffect(
        feature=name,
        kind="partial_dependence",
        grid=tuple(grid),
        average=average[:, 0] if squeeze else average,
        lower=lower[:, 0] if squeeze else lower,
        upper=upper[:, 0] if squeeze else upper,
    )


def with_float_columns(X: Any, names: list[str]) -> Any:
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
    as_float = float_columns(schema)
    if as_float:
        X_model = with_float_columns(X_model, as_float)
    params["integer_columns_as_float"] = as_float
    categorical = categorical_columns(schema)
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
                response_method=response_method(gjob, space),
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
        lower = np.percentile(ice, ICE_BAND[0], axis=1).T
        upper = np.percentile(ice, ICE_BAND[1], axis=1).T
        declared = schema.columns[j].categories if name in categorical else None
        effects.append(effect_of(name, result["grid_values"][0], average, lower, upper, declared))
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
        params={**params, "response_method": response_method(gjob, space), "ice_band": list(ICE_BAND)},
    )


SPEC = GlobalMethodSpec(
    name="partial_dependence",
    summary="partial dependence with ICE bands (sklearn.inspection.partial_dependence)",
    run=run,
    needs_y=False,
    defaults={"grid_resolution": 50, "percentiles": (0.05, 0.95)},
)
