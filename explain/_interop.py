"""shap and pandas interop of :class:`~explain.explanation.LocalExplanation`.

Private: the public entry points are :meth:`LocalExplanation.to_shap`,
:meth:`LocalExplanation.from_shap` and :meth:`LocalExplanation.from_frame`, which call the
functions here (their docstrings, with examples, stay on the methods). An explanation read
from elsewhere claims no model fingerprint, seed or versions, and a registered additive
method's values must add up to the predictions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._provenance import Provenance, data_fingerprint
from ._values import _short
from .errors import InputError
from .explanation import OUTPUT_SPACES, LocalExplanation

if TYPE_CHECKING:
    import shap

__all__ = ["from_frame", "from_shap", "to_shap"]


def to_shap(local: LocalExplanation) -> shap.Explanation:
    """``local`` as a :class:`shap.Explanation` (see :meth:`LocalExplanation.to_shap`)."""

    import shap

    categorical = [j for j, kind in enumerate(local.feature_kinds) if kind != "numeric"]
    numbers = np.full(local.data.shape, np.nan)
    for j in range(local.n_features):
        numbers[:, j] = _codes(local.data[:, j]) if j in categorical else local.data[:, j].astype(float)
    return shap.Explanation(
        values=np.array(local.values),
        base_values=np.array(local.base_values),
        data=numbers,
        display_data=np.array(local.data, dtype=object) if categorical else None,
        feature_names=list(local.feature_names),
        output_names=list(local.output_names) if local.is_multi_output else local.output_names[0],
        compute_time=local.provenance.elapsed_seconds,
    )


def from_shap(
    sv: shap.Explanation,
    *,
    output_space: str,
    explainer: Any = None,
    output_names: Sequence[str] | None = None,
    feature_kinds: Sequence[str] | None = None,
) -> LocalExplanation:
    """The attributions of ``sv`` (see :meth:`LocalExplanation.from_shap`)."""
    import shap

    if not isinstance(sv, shap.Explanation):
        raise InputError(
            f"from_shap() takes a shap.Explanation (what shap.Explainer(model)(X) returns), not "
            f"{type(sv).__name__}; a DataFrame of attributions is read by LocalExplanation.from_frame()."
        )
    _refuse_other_shapes(sv)
    values = _shap_values(sv)
    n, d = values.shape[:2]
    k = values.shape[2] if values.ndim == 3 else 1
    names = _given_names(sv.feature_names, d, "feature_names", default=[f"Feature {j}" for j in range(d)])
    shap_outputs = [sv.output_names] if isinstance(sv.output_names, str) else sv.output_names
    default_outputs = ["prediction"] if k == 1 else [f"Output {i}" for i in range(k)]
    outputs = _given_names(output_names if output_names is not None else shap_outputs, k, "output_names",
                           default=default_outputs)  # fmt: skip
    base = _checked_numbers(sv.base_values, "base_values", (n, k) if values.ndim == 3 else (n,))
    shown = sv.display_data if sv.display_data is not None else sv.data
    data, kinds = _external_data(shown, names, n, feature_kinds, codes=sv.data)
    if explainer is None:
        method = "shap"
    else:
        method = f"shap:{explainer if isinstance(explainer, str) else type(explainer).__name__}"
    params = {"source": "shap.Explanation", "predictions": "base_values + sum of values",
              **({} if shown is not None else {"data": "not given (missing)"})}  # fmt: skip
    elapsed = sv.compute_time if isinstance(sv.compute_time, (int, float)) and sv.compute_time >= 0 else 0.0
    return _external(values, base, None, data, names, kinds, outputs, output_space, method, params, elapsed)


def from_frame(
    frame: pd.DataFrame,
    *,
    base_values: Any,
    output_space: str,
    data: Any = None,
    predictions: Any = None,
    output_names: Sequence[str] | None = None,
    method: str = "unknown",
) -> LocalExplanation:
    """The attributions of ``frame`` (see :meth:`LocalExplanation.from_frame`)."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"from_frame() takes a pandas DataFrame like to_frame() writes, not {type(frame).__name__}.")
    values, names, framed_outputs = _frame_values(frame)
    n, k = values.shape[0], (values.shape[2] if values.ndim == 3 else 1)
    outputs = _given_names(output_names if output_names is not None else framed_outputs, k, "output_names",
                           default=["prediction"])  # fmt: skip
    shape = (n, k) if values.ndim == 3 else (n,)
    base = _checked_numbers(base_values, "base_values", shape)
    preds = None if predictions is None else _checked_numbers(predictions, "predictions", shape, one_for_all=False)
    table, kinds = _external_data(data, names, n, None)
    if not isinstance(method, str) or not method:
        raise InputError(f"method={method!r}; name the method that computed the values (text), or leave it.")
    params = {"source": "pandas.DataFrame",
              **({"predictions": "base_values + sum of values"} if preds is None else {}),
              **({"data": "not given (missing)"} if data is None else {})}  # fmt: skip
    return _external(values, base, preds, table, names, kinds, outputs, output_space, method, params, 0.0)


def _codes(column: np.ndarray) -> np.ndarray:
    """A categorical column as numbers for shap: the position of each value among the sorted
    categories, NaN where missing. Sorted, not a pandas Categorical's declared order: an
    explanation keeps the rows' values, not the categories' dtype."""
    from ._data import _sort_key

    categories = sorted({v for v in column if v is not None}, key=_sort_key)
    position = {c: float(i) for i, c in enumerate(categories)}
    return np.array([np.nan if v is None else position[v] for v in column])


def _refuse_other_shapes(sv: Any) -> None:
    """Refuse the two shap.Explanation shapes that would otherwise be misread: a single column
    (``sv[:, "bmi"]``: the feature axis is gone, its name a string) and interaction values
    (``(n, d, d)`` values with one base value per row, read as ``d`` outputs otherwise)."""
    names, shape = sv.feature_names, np.shape(sv.values)
    if isinstance(names, str) and len(shape) in (1, 2):
        raise InputError(
            f"this shap.Explanation is the single column {names!r} (values of shape {shape}): sv[:, {names!r}] "
            f"drops the feature axis. Select columns with a list, sv[:, [{names!r}]], or pass the whole explanation."
        )
    # one row of them is (d, d) with 1-D data; n rows by n features with one base value for all are not
    square = (len(shape) == 3 or (len(shape) == 2 and np.ndim(sv.data) == 1)) and shape[-1] == shape[-2]
    if square and (names is None or len(names) == shape[-1]) and np.ndim(sv.base_values) == len(shape) - 2:
        raise InputError(
            f"the shap.Explanation's values of shape {shape} are SHAP interaction values (a (d, d) matrix per row, "
            "one base value per row), not attributions: from_shap() reads (n, d) or (n, d, k) values. Compute "
            "interaction values with Explainer.explain_interactions (an InteractionExplanation), or pass "
            "shap's explanation without interactions=True."
        )


def _shap_values(sv: Any) -> np.ndarray:
    """shap's values as (n, d) or (n, d, k), and whether they are one row (shap drops the row
    axis of ``sv[0]``: one output (d,), several (d, k))."""
    try:
        values = np.asarray(sv.values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"the shap.Explanation's values are not an array of numbers ({exc}).") from exc
    names = sv.feature_names
    one_row = values.ndim == 1 or (
        values.ndim == 2
        and (np.ndim(sv.data) == 1 if sv.data is not None
             else names is not None and len(names) == values.shape[0] != values.shape[1])
    )  # fmt: skip
    if one_row:
        values = values[None]
    if values.ndim not in (2, 3) or 0 in values.shape:
        raise InputError(
            f"the shap.Explanation's values have shape {np.shape(sv.values)}; from_shap() reads rows by features "
            "(n, d), rows by features by outputs (n, d, k), or one row of them."
        )
    bad = int((~np.isfinite(values)).sum())
    if bad:
        raise InputError(
            f"{bad} of the shap.Explanation's values are NaN or infinite; explanations hold numbers. Recompute "
            "them, or keep the rows that are finite: sv[np.isfinite(sv.values).all(axis=1)]."
        )
    return values


def _given_names(names: Any, count: int, what: str, default: list[str]) -> tuple[str, ...]:
    if names is None:
        return tuple(default)
    if isinstance(names, str) or len(names) != count:
        raise InputError(f"{what} {_short(names)} should name each of the {count} {what.split('_')[0]}s.")
    out = tuple(str(name) for name in names)
    if len(set(out)) != len(out):
        raise InputError(f"{what} {_short(out)} repeat a name; each must be distinct.")
    return out


def _checked_numbers(obj: Any, name: str, shape: tuple[int, ...], *, one_for_all: bool = True) -> np.ndarray:
    """Finite numbers of ``shape``: one per row (and output), or (``one_for_all``) one for all rows."""
    if obj is None:
        raise InputError(f"{name} are missing; an explanation needs them (one per row, or one for all).")
    try:
        array = np.asarray(obj, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} should be numbers, not {_short(obj)} ({exc}).") from exc
    if array.shape not in (((), shape[1:], (1, *shape[1:]), shape) if one_for_all else (shape,)):
        raise InputError(
            f"{name} of shape {array.shape} do not fit {shape[0]} rows"
            f"{f' and {shape[1]} outputs' if len(shape) == 2 else ''}: pass one per row {shape}"
            f"{', or one for all' if one_for_all else ''}."
        )
    if not np.isfinite(array).all():
        raise InputError(f"{name} hold NaN or infinite numbers; pass finite ones.")
    return np.array(np.broadcast_to(array, shape))


def _external_data(
    shown: Any, names: tuple[str, ...], n: int, kinds: Sequence[str] | None, *, codes: Any = None
) -> tuple[np.ndarray, tuple[str, ...]]:
    """The rows explained (from a DataFrame or an array; all missing if None) and their kinds."""
    from ._data import _column_kind

    d = len(names)
    if shown is None:
        return np.full((n, d), np.nan), ("numeric",) * d
    if isinstance(shown, pd.DataFrame):
        columns = [str(c) for c in shown.columns]
        missing, extra = [c for c in names if c not in columns], [c for c in columns if c not in names]
        if missing or extra or len(set(columns)) != len(columns) or len(shown) != n:
            raise InputError(
                f"data has {len(shown)} rows and columns {_short(columns)}; pass the {n} rows explained with "
                f"exactly the features {_short(names)} (missing: {_short(missing)}, extra: {_short(extra)})."
            )
        frame = shown.set_axis(columns, axis=1)
        table = [frame[name] for name in names]
    else:
        array = np.asarray(shown)
        if array.ndim == 1 and n == 1:
            array = array[None]
        if array.shape != (n, d):
            raise InputError(f"data of shape {array.shape}; pass the rows explained, {n} rows by {d} features.")
        table = [pd.Series(array[:, j]) for j in range(d)]
    found: tuple[str, ...] = tuple(_column_kind(column) for column in table)
    if codes is not None and codes is not shown:  # shap: display_data shows what data codes
        code_columns = np.asarray(codes, dtype=object)
        if code_columns.size != n * d:
            raise InputError(f"data of shape {code_columns.shape} and display_data of {n} rows by {d} features differ.")
        code_columns = code_columns.reshape(n, d)
        found = tuple("categorical" if _differs(table[j], code_columns[:, j]) else k for j, k in enumerate(found))
    if kinds is not None:
        if isinstance(kinds, str) or len(kinds) != d or not all(k in ("numeric", "categorical") for k in kinds):
            raise InputError(
                f"feature_kinds={_short(kinds)}; give 'numeric' or 'categorical' for each of the {d} features."
            )
        found = tuple(kinds)
    return _table_array(table, names, found), found


def _differs(shown: pd.Series, codes: np.ndarray) -> bool:
    try:
        return not np.array_equal(shown.to_numpy(dtype=float), codes.astype(float), equal_nan=True)
    except (TypeError, ValueError):
        return True


def _table_array(table: list[pd.Series], names: tuple[str, ...], kinds: tuple[str, ...]) -> np.ndarray:
    """Columns as one array: floats if every column is numeric, else objects (numbers as floats)."""
    out = np.empty((len(table[0]), len(table)), dtype=object)
    for j, (column, kind) in enumerate(zip(table, kinds, strict=True)):
        if kind == "categorical":
            out[:, j] = column.to_numpy(dtype=object)
            continue
        try:
            out[:, j] = pd.to_numeric(column).to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise InputError(
                f"the data column {names[j]!r} holds values that are not numbers ({exc}); mark it 'categorical'."
            ) from exc
    return out.astype(float) if all(k == "numeric" for k in kinds) else out


def _frame_values(frame: pd.DataFrame) -> tuple[np.ndarray, tuple[str, ...], list[str] | None]:
    """A to_frame() table's attributions as (n, d) or (n, d, k), its features and outputs."""
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise InputError(f"the frame has shape {frame.shape}; pass at least one row and one feature.")
    columns = frame.columns
    outputs = None
    if isinstance(columns, pd.MultiIndex):
        pairs = [(str(o), str(f)) for o, f in columns] if columns.nlevels == 2 else []
        outputs = list(dict.fromkeys(o for o, _ in pairs))
        features = list(dict.fromkeys(f for _, f in pairs))
        if not pairs or pairs != [(o, f) for o in outputs for f in features]:
            raise InputError(
                "a frame of several outputs has columns (output, feature), every feature under every output in the "
                f"same order, as to_frame() writes them; these columns are {_short(list(columns))}."
            )
    else:
        features = [str(c) for c in columns]
        if len(set(features)) != len(features):
            raise InputError(f"the frame repeats a column name among {_short(features)}; name each feature once.")
    kinds = pd.api.types
    bad = [str(c) for c in columns if not kinds.is_numeric_dtype(frame[c]) or kinds.is_bool_dtype(frame[c])]
    if bad:
        raise InputError(f"the frame's columns {_short(bad)} are not numbers; attributions are numbers.")
    numbers = frame.to_numpy(dtype=float, na_value=np.nan)
    if not np.isfinite(numbers).all():
        bad = [str(c) for c, ok in zip(columns, np.isfinite(numbers).all(axis=0), strict=True) if not ok]
        raise InputError(f"the frame's columns {_short(bad)} hold NaN or infinite attributions; pass finite numbers.")
    if outputs is None:
        return numbers, tuple(features), None
    n, k, d = len(frame), len(outputs), len(features)
    return numbers.reshape(n, k, d).transpose(0, 2, 1), tuple(features), outputs


def _external(
    values: np.ndarray, base: np.ndarray, predictions: np.ndarray | None, data: np.ndarray,
    names: tuple[str, ...], kinds: tuple[str, ...], outputs: tuple[str, ...], output_space: str,
    method: str, params: dict[str, Any], elapsed: float,
) -> LocalExplanation:  # fmt: skip
    """An explanation computed elsewhere: no model fingerprint, no seed, no versions claimed."""
    if output_space not in OUTPUT_SPACES:
        raise InputError(
            f"output_space={output_space!r}; say which units the values are in: one of {list(OUTPUT_SPACES)}."
        )
    local = LocalExplanation(
        values=values,
        base_values=base,
        data=data,
        predictions=base + values.sum(axis=1) if predictions is None else predictions,
        feature_names=names,
        output_names=outputs,
        output_space=output_space,
        method=method,
        params=params,
        provenance=Provenance("", data_fingerprint(data, names, kinds), None, None, {}, float(elapsed), ""),
        feature_kinds=kinds,
    )
    _check_claimed_additivity(local)
    return local


def _check_claimed_additivity(local: LocalExplanation) -> None:
    """A method registered as additive must add up, or the explanation would not load again."""
    from .methods import REGISTRY

    spec = REGISTRY.get(local.method)
    if spec is None or not spec.additive:
        return
    total = local.base_values + local.values.sum(axis=1)
    scale = 1.0 + np.abs(local.predictions) + np.abs(local.values).sum(axis=1)
    gap = np.abs(total - local.predictions)
    if not (gap <= 1e-5 * scale).all():
        raise InputError(
            f"method={local.method!r} computes values that add up to the predictions, but these miss them by up to "
            f"{float(gap.max()):.3g}; pass the predictions they explain, leave predictions out, or name another method."
        )
