"""The input checks of an audit before any model call: the data sets as frames, their columns
(duplicates, the model's columns, X_train's columns in X_test), infinite values and numbers beyond
float32, the sensitive attributes and their groups, the reason codes. Shared by the in-memory,
cluster and text audits (:mod:`._context`); every refusal is an :mod:`explain.errors` exception
saying what to do."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._data import _not_a_table, checked_names
from .._model import ModelAdapter
from ..errors import FeatureMismatchError, InputError

__all__ = ["beyond_float32", "check_rows", "check_same_columns", "float32_message", "infinite_message"]


def _frame(X: Any, name: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        frame = X.copy()
        # features are named by text everywhere in the report (as in explanations): a frame made
        # from an array has the column names 0, 1, ...
        frame.columns = [str(c) for c in frame.columns]
        return frame
    problem = _not_a_table(X, name)
    if problem:
        raise InputError(problem)
    if hasattr(X, "to_pandas"):  # polars, pyarrow: columns by name
        return X.to_pandas()
    try:
        array = np.asarray(X)
    except Exception as exc:  # pragma: no cover - numpy refuses very odd inputs only
        raise InputError(f"{name} must be a DataFrame or a 2-D array; got {type(X).__name__}.") from exc
    if array.ndim != 2:
        raise InputError(f"{name} must be 2-D (rows x features); got shape {array.shape}.")
    names = list(columns) if columns is not None else [f"x{j}" for j in range(array.shape[1])]
    return pd.DataFrame(array, columns=names)


def _check_finite(frame: pd.DataFrame, name: str) -> None:
    """Refuse infinite values in the model's columns, as the Explainer does, before any model call
    (a model refuses them with its own words, or predicts from them)."""
    for label in frame.columns:
        column = frame[label]
        if column.dtype.kind != "f":
            continue
        infinite = np.flatnonzero(np.isinf(column.to_numpy()))
        if infinite.size:
            raise InputError(infinite_message(label, infinite[:5].tolist(), infinite.size, name))


def infinite_message(label: Any, rows: list[int], count: int, name: str) -> str:
    """Why a column with infinite values (at ``rows``, the first five of ``count``) is refused."""
    return (
        f"column {str(label)!r} of {name} holds infinite values (rows {rows}{'...' if count > 5 else ''}). "
        "Replace them with finite numbers or NaN."
    )


def _sensitive(
    sensitive: Any, X_train: pd.DataFrame, X_test: pd.DataFrame
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, list[str]]:
    """Sensitive attributes of the test rows (and of the training rows when they are columns)."""
    if sensitive is None:
        return None, None, []
    if isinstance(sensitive, (str, bytes)):
        checked_names(sensitive, "sensitive_features")  # refused: a list of names is expected
    if isinstance(sensitive, (list, tuple)) and all(isinstance(s, str) for s in sensitive):
        names = list(sensitive)
        missing = [s for s in names if s not in X_test.columns]
        if missing:
            raise FeatureMismatchError(
                f"sensitive_features {missing} are not columns of X_test (columns: {list(X_test.columns)}). "
                "Name columns of X_test, or pass the attributes as a DataFrame aligned with X_test."
            )
        train = X_train[names].copy() if all(s in X_train.columns for s in names) else None
        return X_test[names].copy(), train, names
    frame = pd.DataFrame(dict(sensitive)) if isinstance(sensitive, Mapping) else pd.DataFrame(sensitive)
    if len(frame) != len(X_test):
        raise InputError(f"sensitive_features has {len(frame)} rows; it must align with X_test ({len(X_test)} rows).")
    frame.columns = [str(c) for c in frame.columns]
    frame = frame.reset_index(drop=True)
    for name in frame.columns:
        # the report would call it a model input ("sensitive attributes used as model inputs")
        if name in X_test.columns and not frame[name].equals(X_test[name].reset_index(drop=True)):
            raise InputError(
                f"sensitive_features has a column {name!r}, the name of a column of X_test with other values; "
                f"rename it (e.g. {name + '_group'!r}), or pass sensitive_features=[{name!r}] to use X_test's column."
            )
    return frame, None, []


def _check_groups(sensitive: pd.DataFrame | None) -> None:
    """Refuse a sensitive feature with fewer than two groups: there is nothing to compare."""
    if sensitive is None:
        return
    fix = "pass a feature with at least two groups, or leave it out of sensitive_features"
    for name in sensitive.columns:
        groups = pd.unique(sensitive[name].dropna())
        if len(groups) == 0:
            raise InputError(f"sensitive feature {name!r} has no group in X_test (every value is missing); {fix}.")
        if len(groups) == 1:
            raise InputError(
                f"sensitive feature {name!r} has one group ({groups[0]!r}) in X_test, so a fairness audit has "
                f"nothing to compare; {fix}."
            )


def _beyond_float32(frame: pd.DataFrame, name: str) -> str:
    """A hint for a model that failed on numbers beyond the float32 range (1e300), in which tree
    libraries compute; empty when there are none."""
    for label, value, rows, count in beyond_float32(frame):
        return float32_message(label, value, rows, count, name)
    return ""


def beyond_float32(frame: pd.DataFrame) -> list[tuple[Any, Any, list[int], int]]:
    """Columns with numbers beyond the float32 range: the label, the first such value, the first
    five rows and how many."""
    limit, found = float(np.finfo(np.float32).max), []
    for label in frame.columns:
        column = frame[label]
        if column.dtype.kind not in "iuf":
            continue
        big = np.flatnonzero(np.abs(column.to_numpy(dtype=float)) > limit)
        if big.size:
            found.append((label, column.iloc[big[0]], big[:5].tolist(), int(big.size)))
    return found


def float32_message(label: Any, value: Any, rows: list[int], count: int, name: str) -> str:
    limit = float(np.finfo(np.float32).max)
    return (
        f" Column {str(label)!r} of {name} holds {value:.6g} (rows {rows}"
        f"{'...' if count > 5 else ''}), beyond the float32 range (+-{limit:.2g}) in which many models "
        "compute (scikit-learn trees, LightGBM, XGBoost); rescale the feature or replace those values."
    )


def _check_reason_codes(codes: Any, columns: Sequence[str]) -> None:
    """Refuse reason codes that are not a mapping of the model's features to a ReasonCode, a
    ``(code, statement)`` pair or a statement."""
    if codes is None:
        return
    fix = (
        "pass a dict of feature name to a ReasonCode, a (code, statement) pair or a statement, e.g. "
        "{'income': ('R01', 'Income too low')}"
    )
    if not isinstance(codes, Mapping):
        raise InputError(f"reason_codes is a {type(codes).__name__}; {fix}.")
    unknown = sorted(str(k) for k in codes if k not in columns)
    if unknown:
        raise InputError(f"reason_codes names {unknown}, which are not features of the model ({list(columns)}); {fix}.")
    for name, entry in codes.items():
        pair = isinstance(entry, (tuple, list)) and len(entry) == 2 and all(isinstance(v, str) for v in entry)
        if not (isinstance(entry, str) or pair or (hasattr(entry, "code") and hasattr(entry, "statement"))):
            raise InputError(f"reason_codes[{name!r}] is {entry!r}; {fix}.")


def check_rows(name: str, rows: int) -> None:
    """Refuse a data set of fewer than 10 rows (``name`` as in the messages: ``X_train``,
    ``X_test`` or ``reference``, against which drift is measured)."""
    if rows >= 10:
        return
    if name == "reference":
        raise InputError(
            f"reference has {rows} rows; drift is measured against at least 10 (and far more to mean "
            "much). Pass a larger reference data set, or reference=None (the training data)."
        )
    raise InputError(f"{name} has {rows} rows; an audit needs at least 10 (and far more to mean much).")


def _check_duplicates(frame: pd.DataFrame, name: str) -> None:
    dupes = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
    if dupes:
        raise FeatureMismatchError(f"{name} has duplicate column names {dupes}; rename them.")


def _model_columns(adapter: ModelAdapter, X: pd.DataFrame, sensitive_names: list[str]) -> list[str]:
    if adapter.feature_names is not None:
        wanted = list(adapter.feature_names)
        missing = [c for c in wanted if c not in X.columns]
        if missing:
            raise FeatureMismatchError(f"the model was fitted on columns {missing} that X_test lacks; add them.")
        return wanted
    return [c for c in X.columns if c not in sensitive_names]


def check_same_columns(train: list[str], test: list[str]) -> None:
    """Refuse an X_test whose columns are not X_train's, in the same order."""
    if train == test:
        return
    extra, lacking = sorted(set(test) - set(train)), sorted(set(train) - set(test))
    if not (extra or lacking):
        raise FeatureMismatchError(
            "X_train and X_test have the same columns in a different order; reorder X_test like X_train."
        )
    differ = [f"lacks {lacking} (add them)"] if lacking else []
    if extra:
        differ.append(
            f"has the extra columns {extra} (drop them; a sensitive attribute that is not a column of "
            "X_train is passed as sensitive_features=DataFrame aligned with X_test)"
        )
    raise FeatureMismatchError(
        f"X_train and X_test must have the same columns in the same order; X_test {' and '.join(differ)}."
    )
