"""Input normalization and validation.

Everything the user hands us (numpy arrays, pandas or polars DataFrames, lists) is read here
into one canonical form, and every bad input becomes an :class:`~explain.errors.InputError`
that names the problem and the fix. Nothing the user passed in is ever modified: every
transformation below works on a copy.

Three small types carry the data through the library:

``Schema``
    The columns the model expects (names, numeric or categorical, original dtype) and the
    container the model is called with (numpy, pandas or polars).
``Table``
    Rows read against a schema: the user's values in schema column order (``values``, for the
    explanation's ``data``) and a float matrix (``encoded``) in which categorical values are
    replaced by integer codes, so that every method can mix rows with plain numpy.
``Codebook``
    The categories of each categorical column, shared by the background and the explained rows
    of one call, which turns codes back into the user's values when the model is called.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Literal

import numpy as np
import pandas as pd

from .errors import FeatureMismatchError, InputError

FeatureKind = Literal["numeric", "categorical"]
Container = Literal["numpy", "pandas", "polars"]

__all__ = [
    "Codebook",
    "Column",
    "Schema",
    "Table",
    "check_column_types",
    "checked_names",
    "checked_random_state",
    "infer_schema",
    "read_table",
]


@dataclass(frozen=True)
class Column:
    """One input column: its name, kind, and how to rebuild its original dtype."""

    name: str
    kind: FeatureKind
    dtype: str
    categories: tuple[Any, ...] | None = None  # declared categories of a pandas Categorical
    label: Any = None  # the DataFrame's own column label when it is not the string ``name`` (e.g. 0)


@dataclass(frozen=True)
class Schema:
    """The columns a model expects, in order, and the container it is called with."""

    columns: tuple[Column, ...]
    container: Container

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def n_features(self) -> int:
        return len(self.columns)

    def to_dict(self) -> dict[str, Any]:
        return {
            "container": self.container,
            "columns": [{"name": c.name, "kind": c.kind, "dtype": c.dtype} for c in self.columns],
        }


@dataclass(frozen=True)
class Table:
    """Rows read against a :class:`Schema`.

    ``values`` holds the user's values in schema order (float when every column is numeric,
    object otherwise); ``encoded`` is the float matrix methods work on.
    """

    schema: Schema
    values: np.ndarray
    encoded: np.ndarray

    def __post_init__(self) -> None:
        # read-only, so that no method can change the rows it reports in an explanation
        for name in ("values", "encoded"):
            array = np.array(getattr(self, name), copy=True)
            array.setflags(write=False)
            object.__setattr__(self, name, array)

    @property
    def n_rows(self) -> int:
        return int(self.values.shape[0])


# --------------------------------------------------------------------------- settings


def checked_random_state(value: Any, what: str = "random_state") -> int | None:
    """The integer seed ``value`` stands for, or None: what scikit-learn's ``check_random_state``
    accepts, so that every random step can be repeated and the seed recorded in JSON.

    ``None``, an integer from 0 to 2**32 - 1 (numpy's seeds), or a ``numpy.random.RandomState``,
    from a copy of which one seed is drawn: the user's generator is not advanced, and the same
    state gives the same explanation. A ``numpy.random.Generator`` is refused, as scikit-learn
    refuses it.

    Examples
    --------
    >>> checked_random_state(7), checked_random_state(None)
    (7, None)
    """
    if value is None:
        return None
    if isinstance(value, np.random.RandomState):
        return int(copy.deepcopy(value).randint(0, 2**32 - 1, dtype=np.int64))
    if isinstance(value, np.random.Generator):
        raise InputError(
            f"{what} is a numpy Generator, which scikit-learn does not accept and an explanation cannot "
            f"record; pass an integer seed, e.g. {what}=0 (or {what}=int(rng.integers(2**32)))."
        )
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise InputError(
            f"{what}={value!r} is not an integer seed; pass an integer from 0 to 2**32 - 1, a "
            "numpy RandomState, or None."
        )
    if not 0 <= value < 2**32:
        raise InputError(f"{what}={value!r} is out of range; pass an integer seed from 0 to 2**32 - 1, or None.")
    return int(value)


def checked_names(
    value: Any, what: str, *, unique: bool = False, repeat_fix: str | None = None
) -> tuple[Any, ...] | None:
    """``value`` as a tuple of names; a string (which would be read letter by letter) is refused.

    With ``unique``, a name given twice is refused too (names are compared as text, the form in
    which they label outputs and columns: ``1`` and ``"1"`` are the same name); the message ends
    with ``repeat_fix``, by default the list without its repeats.

    Examples
    --------
    >>> checked_names(["a", "b"], "features", unique=True)
    ('a', 'b')
    >>> checked_names(["a", "b", "a"], "f", unique=True)
    Traceback (most recent call last):
    ...
    explain.errors.InputError: f=['a', 'b', 'a'] names 'a' more than once; name each one once: f=['a', 'b'].
    """
    if value is None:
        return None
    if isinstance(value, (str, bytes)):
        raise InputError(
            f"{what}={value!r} is a string, where a list of names is expected (a string would be read "
            f"letter by letter); pass {what}=[{value!r}]."
        )
    try:
        names = tuple(value)
    except TypeError:
        raise InputError(f"{what}={value!r} is not a list; pass a list of names.") from None
    if unique:
        _check_distinct(names, what, repeat_fix)
    return names


def _check_distinct(names: tuple[Any, ...], what: str, fix: str | None) -> None:
    seen: dict[str, Any] = {}
    repeated: list[Any] = []
    for name in names:
        key = str(name)
        if key in seen and all(str(r) != key for r in repeated):
            repeated.append(name)
        seen.setdefault(key, name)
    if not repeated:
        return
    shown = ", ".join(repr(r) for r in repeated[:8]) + (" ..." if len(repeated) > 8 else "")
    once = list(seen.values())
    listed = repr(list(names)) if len(names) <= 12 else f"[... {len(names)} names]"
    if fix is None:
        fix = "name each one once: " + (f"{what}={once!r}" if len(once) <= 12 else f"{what} without the repeats")
    raise InputError(f"{what}={listed} names {shown} more than once; {fix}.")


# --------------------------------------------------------------------------- reading input


def _is_polars(data: Any) -> bool:
    return type(data).__module__.split(".")[0] == "polars"


def _foreign_frame(data: Any, role: str) -> Any:
    """A pyarrow or dask table as a pandas DataFrame (so that columns are matched by name, never
    by position); anything else unchanged."""
    root = type(data).__module__.split(".")[0]
    if root == "pyarrow":
        if not hasattr(data, "column_names") or not hasattr(data, "to_pandas"):
            raise InputError(
                f"{role} is a pyarrow {type(data).__name__}, not a table of rows. Pass a pyarrow Table "
                "(e.g. pa.table({...})) or a pandas DataFrame."
            )
        names = [str(n) for n in data.column_names]
        _check_unique(names, role)  # to_pandas would keep only one of two equal names
        return data.to_pandas()
    if root == "dask" and hasattr(data, "compute"):
        # explained in memory: columns of a dask DataFrame by name, a dask array by position
        return data.compute()
    return data


def _not_a_table(data: Any, role: str) -> str | None:
    """Why ``data`` is not rows of values (a path, records, a dict, one value), or None."""
    fix = "pass a 2-D array or DataFrame of rows"
    if isinstance(data, (str, bytes)):
        reader = "pd.read_parquet" if str(data).lower().endswith(".parquet") else "pd.read_csv"
        return f"{role} is a string ({data!r}), not data; {fix}, e.g. {role} = {reader}({data!r})."
    if isinstance(data, PurePath):
        reader = "pd.read_parquet" if data.suffix.lower() == ".parquet" else "pd.read_csv"
        return f"{role} is a path ({str(data)!r}), not data; {fix}, e.g. {role} = {reader}({str(data)!r})."
    if isinstance(data, Mapping):
        return f"{role} is a dict; {fix}: pd.DataFrame({role}) for a dict of columns."
    if isinstance(data, (list, tuple)) and data and all(isinstance(r, Mapping) for r in data):
        return f"{role} is a list of dicts (records); {fix}: pd.DataFrame({role}) reads records by column name."
    return None


def _as_frame_or_array(data: Any, role: str) -> pd.DataFrame | np.ndarray:
    """Turn any accepted container into a pandas DataFrame (a copy) or a 2-D numpy array."""
    if data is None:
        raise InputError(f"{role} is None. Pass a 2-D array or DataFrame of rows.")
    problem = _not_a_table(data, role)
    if problem:
        raise InputError(problem)
    data = _foreign_frame(data, role)
    if _is_polars(data):
        if not hasattr(data, "to_pandas") or not hasattr(data, "columns"):
            raise InputError(f"{role} is a polars {type(data).__name__}; pass a polars DataFrame.")
        frame = pd.DataFrame({name: data[name].to_numpy() for name in data.columns})
        check_column_types(frame, role, mixed=False)
        return frame
    if isinstance(data, pd.Series):
        raise InputError(
            f"{role} is a pandas Series (1-D). Pass a DataFrame: use series.to_frame().T for "
            "a single row, or series.to_frame() for a single feature."
        )
    if isinstance(data, pd.DataFrame):
        check_column_types(data, role, mixed=False)
        return data.copy(deep=True)
    if hasattr(data, "toarray") and hasattr(data, "nnz"):
        raise InputError(
            f"{role} is a sparse matrix. Explanations are computed on dense rows: pass "
            "X.toarray() (for a small number of rows), or put the sparse encoding inside a "
            "Pipeline so that the raw columns can be explained."
        )
    try:
        array = np.array(data, copy=True)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"{role} could not be read as an array ({exc}). Pass rows that all have the same number of "
            "values (a 2-D array or a DataFrame)."
        ) from exc
    if array.ndim == 0:
        raise InputError(
            f"{role} is a {type(data).__name__}, not rows of values; pass a 2-D array or DataFrame of rows."
        )
    if array.ndim == 1:
        raise InputError(
            f"{role} is 1-D with shape {array.shape}; a 2-D array is expected. Use "
            "X.reshape(1, -1) for a single row, or X.reshape(-1, 1) for a single feature."
        )
    if array.ndim != 2:
        raise InputError(f"{role} has {array.ndim} dimensions (shape {array.shape}); pass a 2-D array.")
    check_column_types(array, role, mixed=False)  # mixed columns: see _checked_values
    return array


_TEMPORAL = {
    "datetime64": "datetime",
    "datetime": "datetime",
    "date": "date",
    "time": "time-of-day",
    "timedelta64": "timedelta",
    "timedelta": "timedelta",
    "period": "period",
}


def _type_problem(values: pd.Series | np.ndarray, mixed: bool = True) -> str | None:
    """``"datetime"``, ``"timedelta"``, ``"period"``... or (if ``mixed``) ``"mixed"`` for a column
    explain cannot read as numbers or as categories; None for a column it can."""
    dtype = values.dtype
    if isinstance(dtype, pd.PeriodDtype):
        return "period"
    if isinstance(dtype, pd.DatetimeTZDtype) or getattr(dtype, "kind", "") == "M":
        return "datetime"
    if getattr(dtype, "kind", "") == "m":
        return "timedelta"
    if dtype == np.dtype(object):
        inferred = pd.api.types.infer_dtype(values, skipna=True)  # one pass in C
        if inferred in _TEMPORAL:
            return _TEMPORAL[inferred]
        if mixed and inferred in ("mixed", "mixed-integer"):
            return "mixed"
    return None


def _type_message(label: str, role: str, problem: str, values: Any) -> str:
    examples: dict[str, str] = {}  # the first value of each type
    for v in values[:1000]:
        if not pd.isna(v):
            examples.setdefault(type(v).__name__, f"{type(v).__name__} {v!r}")
    shown = ", ".join(list(examples.values())[:4])
    where = f"column {label} of {role}"
    if problem == "mixed":
        return (
            f"{where} holds mixed types ({shown}); a column must hold one type. Convert it "
            f"to one type: .astype(str) for categories, or pd.to_numeric(...) for numbers (in the "
            "model's training data too)."
        )
    if problem == "timedelta":
        fix = "e.g. to a number of days with X[c].dt.total_seconds() / 86400"
    elif problem == "period":
        fix = "e.g. to a number with X[c].dt.year or X[c].dt.month, or to days with X[c].dt.start_time"
    else:
        fix = "e.g. to a number of days since a reference date with (X[c] - pd.Timestamp('2020-01-01')).dt.days"
    return (
        f"{where} holds {problem} values ({shown}), which explain does not read as numbers (they would "
        f"be counted in nanoseconds). Convert the column {fix}, or declare it categorical with "
        ".astype('category'), in the data the model is fitted on too."
    )


def check_column_types(data: pd.DataFrame | np.ndarray, role: str, *, mixed: bool = True) -> None:
    """Raise :class:`InputError` for a date, time, timedelta or period column, or (if ``mixed``) a
    column that mixes types (strings and numbers): explain reads a column as numbers or as
    categories, and would read neither correctly."""
    if isinstance(data, pd.DataFrame):
        for position, label in enumerate(data.columns):
            column = data.iloc[:, position]
            problem = _type_problem(column, mixed)
            if problem:
                raise InputError(_type_message(repr(str(label)), role, problem, column.to_numpy(dtype=object)))
        return
    if data.dtype.kind in "Mm" or data.dtype == np.dtype(object):
        for j in range(data.shape[1]):
            problem = _type_problem(data[:, j], mixed)
            if problem:
                raise InputError(_type_message(str(j), role, problem, data[:, j].astype(object)))


def _column_kind(values: np.ndarray | pd.Series) -> FeatureKind:
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    # pandas calls every object dtype a string dtype; object columns are read value by value below
    if dtype != np.dtype(object) and pd.api.types.is_string_dtype(dtype):
        return "categorical"
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    # object columns: numeric only if every non-missing value is a real number
    for value in values:
        if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
            continue
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
            return "categorical"
    return "numeric"


def infer_schema(data: Any, *, feature_names: Sequence[str] | None = None, role: str = "X") -> Schema:
    """Read the columns of ``data`` (names, kinds, dtypes) into a :class:`Schema`.

    Examples
    --------
    >>> import pandas as pd
    >>> schema = infer_schema(pd.DataFrame({"age": [30, 40], "job": ["a", "b"]}))
    >>> [(c.name, c.kind) for c in schema.columns]
    [('age', 'numeric'), ('job', 'categorical')]
    """
    container: Container = "polars" if _is_polars(data) else "numpy"
    frame = _as_frame_or_array(data, role)
    _check_not_empty(frame, role)
    if isinstance(frame, pd.DataFrame):
        container = "polars" if container == "polars" else "pandas"
        names = _frame_names(frame, role)
        labels = list(frame.columns)
        frame.columns = list(names)  # our copy only: labels such as 0, 1 of pd.DataFrame(array)
        if feature_names is not None and tuple(feature_names) != names:
            raise FeatureMismatchError(
                f"feature_names {list(feature_names)} differ from the columns of {role} "
                f"{list(names)}. Leave feature_names=None to use the DataFrame's columns."
            )
        pairs = zip(names, labels, strict=True)
        columns = tuple(_column_from_series(name, frame[name], label) for name, label in pairs)
        return Schema(columns, container)
    if feature_names is None:
        names = tuple(f"x{j}" for j in range(frame.shape[1]))
    else:
        names = tuple(str(n) for n in feature_names)
        if len(names) != frame.shape[1]:
            raise FeatureMismatchError(
                f"{len(names)} feature_names were given but {role} has {frame.shape[1]} columns. "
                "Pass one name per column, in column order."
            )
        _check_unique(names, role)
    columns = tuple(Column(name, _column_kind(frame[:, j]), str(frame.dtype)) for j, name in enumerate(names))
    return Schema(columns, "numpy")


def _column_from_series(name: str, series: pd.Series, label: Any = None) -> Column:
    kind = _column_kind(series)
    categories = None
    if isinstance(series.dtype, pd.CategoricalDtype):
        categories = tuple(series.dtype.categories)
    return Column(name, kind, str(series.dtype), categories, None if label == name else label)


def _frame_names(frame: pd.DataFrame, role: str) -> tuple[str, ...]:
    names = tuple(str(c) for c in frame.columns)
    _check_unique(names, role)
    return names


def _check_unique(names: Sequence[str], role: str) -> None:
    seen: set[str] = set()
    dupes = sorted({n for n in names if n in seen or seen.add(n)})  # type: ignore[func-returns-value]
    if dupes:
        raise FeatureMismatchError(f"{role} has duplicate column names {dupes}; rename them.")


def _check_not_empty(frame: pd.DataFrame | np.ndarray, role: str) -> None:
    if frame.shape[0] == 0:
        raise InputError(f"{role} has no rows; pass at least one row.")
    if frame.shape[1] == 0:
        raise InputError(f"{role} has no columns; pass at least one feature.")


def read_table(data: Any, schema: Schema, codebook: Codebook | None = None, *, role: str = "X") -> Table:
    """Read ``data`` against ``schema``: match columns by name, check values, encode.

    DataFrame columns are matched by name and reordered to the schema's order; numpy arrays
    are taken positionally and must have the schema's number of columns. Infinite values are
    rejected; missing values are kept (whether the model can take them is checked by the model
    adapter). Without a ``codebook`` the table is not yet encoded (``encoded`` holds NaN for
    categorical columns); see :meth:`Codebook.encode`.
    """
    frame = _as_frame_or_array(data, role)
    _check_not_empty(frame, role)
    if isinstance(frame, pd.DataFrame):
        values = _values_from_frame(frame, schema, role)
    else:
        if frame.shape[1] != schema.n_features:
            raise FeatureMismatchError(
                f"{role} has {frame.shape[1]} columns but the model expects {schema.n_features} "
                f"({_short_list(schema.feature_names)}). Pass the same columns the model was "
                "fitted on, in the same order, or pass a DataFrame so that columns are matched by name."
            )
        values = frame.astype(object) if frame.dtype.kind not in "biuf" else frame.astype(float)
    values = _checked_values(values, schema, role)
    table = Table(schema, values, _numeric_part(values, schema))
    return table if codebook is None else codebook.encode(table)


def _values_from_frame(frame: pd.DataFrame, schema: Schema, role: str) -> np.ndarray:
    names = _frame_names(frame, role)
    frame.columns = list(names)  # our copy only
    expected = schema.feature_names
    missing = [n for n in expected if n not in frame.columns]
    extra = [n for n in names if n not in set(expected)]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing column(s) {_short_list(missing)}")
        if extra:
            parts.append(f"unexpected column(s) {_short_list(extra)}")
        raise FeatureMismatchError(
            f"{role} does not have the columns the model expects: {'; '.join(parts)}. "
            f"Expected {_short_list(expected)}. Select the model's columns, e.g. "
            f"X[{list(expected)[:3]}...], or drop the extra ones (a target or ID column)."
        )
    ordered = frame[list(expected)]
    if all(c.kind == "numeric" for c in schema.columns):
        try:
            return ordered.to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError):
            pass  # a column is not numeric: _checked_values names it
    return ordered.to_numpy(dtype=object)


def _short_list(names: Sequence[str], limit: int = 8) -> str:
    names = list(names)
    shown = ", ".join(repr(n) for n in names[:limit])
    if len(names) > limit:
        return f"[{shown}, ...] ({len(names)} in all)"
    return f"[{shown}]"


def _checked_values(values: np.ndarray, schema: Schema, role: str) -> np.ndarray:
    """Check numeric columns hold finite numbers (or NaN); return values in canonical form."""
    all_numeric = all(c.kind == "numeric" for c in schema.columns)
    out = values.astype(float) if (all_numeric and values.dtype != object) else values.astype(object)
    for j, column in enumerate(schema.columns):
        if column.kind != "numeric":
            # a number among the strings of a categorical column (or the reverse) would be a
            # category of its own, and most encoders refuse it
            if out.dtype == object and _type_problem(out[:, j]) == "mixed":
                raise InputError(_type_message(repr(column.name), role, "mixed", out[:, j]))
            continue
        try:
            numbers = (
                np.asarray([np.nan if v is None or v is pd.NA else v for v in out[:, j]], dtype=float)
                if out.dtype == object
                else out[:, j]
            )
        except (TypeError, ValueError):
            bad = next(v for v in out[:, j] if not _is_number(v))
            raise InputError(
                f"column {column.name!r} of {role} should be numeric but holds {bad!r}. "
                "Convert it to numbers, or declare it categorical (pandas 'category' dtype) "
                "in the background data too."
            ) from None
        if np.isinf(numbers).any():
            rows = np.flatnonzero(np.isinf(numbers))
            raise InputError(
                f"column {column.name!r} of {role} holds infinite values (rows {rows[:5].tolist()}"
                f"{'...' if len(rows) > 5 else ''}). Replace them with finite numbers or NaN."
            )
        if out.dtype == object:
            out[:, j] = numbers
    if all_numeric:
        out = out.astype(float)
    return out


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _numeric_part(values: np.ndarray, schema: Schema) -> np.ndarray:
    encoded = np.full(values.shape, np.nan)
    for j, column in enumerate(schema.columns):
        if column.kind == "numeric":
            encoded[:, j] = values[:, j].astype(float)
    return encoded


def missing_by_column(table: Table) -> dict[str, int]:
    """Count missing values per column (numeric NaN or a missing category)."""
    counts = {}
    for j, column in enumerate(table.schema.columns):
        col = table.values[:, j]
        n = int(pd.isna(col).sum()) if col.dtype == object else int(np.isnan(col.astype(float)).sum())
        if n:
            counts[column.name] = n
    return counts


# --------------------------------------------------------------------------- categorical codes


def _sort_key(value: Any) -> tuple[str, str]:
    return (type(value).__name__, str(value))


@dataclass(frozen=True)
class Codebook:
    """Categories of each categorical column; encodes values as codes and decodes them back."""

    schema: Schema
    categories: tuple[tuple[Any, ...] | None, ...]
    # what a missing value of each column is given back as: None if the user's data marked
    # every missing value of that column with None, else NaN (pandas' marker, and the one
    # scikit-learn's imputers look for by default); the model then sees what the user passed
    missing: tuple[Any, ...] = ()

    @classmethod
    def fit(cls, schema: Schema, tables: Sequence[Table]) -> Codebook:
        """Collect the categories seen in ``tables`` (declared pandas categories first)."""
        cats: list[tuple[Any, ...] | None] = []
        markers: list[Any] = []
        for j, column in enumerate(schema.columns):
            markers.append(np.nan)
            if column.kind == "numeric":
                cats.append(None)
                continue
            known = list(column.categories or ())
            seen = set(known)
            missing_seen: list[Any] = []
            for table in tables:
                new = {v for v in table.values[:, j] if not pd.isna(v) and v not in seen}
                known.extend(sorted(new, key=_sort_key))
                seen.update(new)
                missing_seen.extend(v for v in table.values[:, j] if pd.isna(v))
            if missing_seen and all(v is None for v in missing_seen):
                markers[j] = None
            cats.append(tuple(known))
        return cls(schema, tuple(cats), tuple(markers))

    def encode(self, table: Table) -> Table:
        encoded = table.encoded.copy()
        for j, cats in enumerate(self.categories):
            if cats is None:
                continue
            lookup = {v: i for i, v in enumerate(cats)}
            encoded[:, j] = [np.nan if pd.isna(v) else lookup[v] for v in table.values[:, j]]
        return Table(table.schema, table.values, encoded)

    def decode(self, encoded: np.ndarray) -> np.ndarray:
        """Codes back to the user's values: a float array if all numeric, else object."""
        if all(c is None for c in self.categories):
            return encoded
        out = encoded.astype(object)
        for j, cats in enumerate(self.categories):
            if cats is None:
                continue
            codes = encoded[:, j]
            missing = np.isnan(codes)
            marker = self.missing[j] if self.missing else np.nan
            lookup = np.asarray((*cats, marker), dtype=object)
            out[:, j] = lookup[np.where(missing, len(cats), codes).astype(np.intp)]
        return out

    def to_container(self, encoded: np.ndarray) -> Any:
        """Build the model's input (array or DataFrame, original dtypes) from encoded rows."""
        values = self.decode(encoded)
        schema = self.schema
        if schema.container == "numpy":
            if values.dtype != object:
                return values.astype(np.result_type(*[_numpy_dtype(c.dtype) for c in schema.columns]))
            return values
        data = {c.name: _restore_dtype(values[:, j], c, self.categories[j]) for j, c in enumerate(schema.columns)}
        frame = pd.DataFrame(data, columns=list(schema.feature_names))
        if any(c.label is not None for c in schema.columns):  # the model gets the user's own labels
            frame.columns = [c.name if c.label is None else c.label for c in schema.columns]
        if schema.container == "polars":
            import polars as pl

            return pl.from_pandas(frame)
        return frame


def _numpy_dtype(dtype: str) -> np.dtype:
    """The numpy dtype of a numeric column; float for pandas extension dtypes ("Int64", "boolean")."""
    try:
        return np.dtype(dtype)
    except TypeError:
        return np.dtype(float)


def _restore_dtype(column_values: np.ndarray, column: Column, categories: tuple[Any, ...] | None) -> Any:
    if column.categories is not None:
        # every category of the call, declared ones first (their codes unchanged): a value of X
        # that the background's dtype did not declare must reach the model, not become NaN
        return pd.Categorical(column_values, categories=list(categories or column.categories))
    if column.kind == "categorical":
        if column.dtype == "object":
            # a Series keeps the object dtype: pandas >= 3 would infer "str" from a bare array
            return pd.Series(column_values, dtype=object)
        try:
            return pd.array(column_values, dtype=column.dtype)
        except (TypeError, ValueError):
            return column_values
    numbers = column_values.astype(float)
    try:
        dtype = np.dtype(column.dtype) if column.dtype != "object" else np.dtype(float)
    except TypeError:  # a pandas extension dtype such as "Int64" or "boolean"
        missing = np.isnan(numbers)
        return pd.array([None if m else v for m, v in zip(missing, numbers, strict=True)], dtype=column.dtype)
    if dtype.kind in "biu" and np.isnan(numbers).any():
        return numbers  # integers with a missing value stay float, as pandas would
    return numbers.astype(dtype)
