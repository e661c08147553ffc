"""Data quality of a training or test set: what a datasheet reports and a reviewer checks first.

:func:`data_quality` profiles every column (kind, missing values, distinct values, constant and
duplicated columns, outliers, likely leakage) and the data set as a whole (duplicate rows, class
balance of the target). The rules, each with its threshold as a parameter:

- **outliers**: Tukey's fences, the share of non-missing values outside
  ``[Q1 - 1.5 IQR, Q3 + 1.5 IQR]``; not computed (NaN) when the IQR is 0. Flagged above
  ``max_outlier_share`` (5 %). A normal variable has about 0.7 % outside; a skewed one (incomes)
  can exceed 5 % without an error in the data, so the flag asks for a look, not a fix.
- **likely leakage**: a feature that alone almost predicts the target. A one-feature decision tree
  (depth 2 for classification; depth 4 for regression, since a 4-leaf step function cannot reach
  R² 0.95 even on an exact copy of a uniform target) is scored out of fold with 5-fold
  cross-validation (stratified for classes; shuffled with ``random_state``, so deterministic):
  ROC AUC (one-vs-rest for several classes) or R². Flagged above ``leakage_threshold`` (0.95).
  Categorical columns are target-encoded inside each fold (sklearn's ``TargetEncoder``); numbers
  beyond the float32 range the tree computes in (1e300) are clipped to it, which keeps their order.
- **duplicated column**: the same values, row by row, as an earlier column (numbers compared as
  floats, so ``1`` equals ``1.0``; missing values equal each other).
- **class imbalance**: the smallest class under ``min_class_share`` (10 %) of the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..errors import InputError

__all__ = ["DataQuality", "data_quality"]

Task = Literal["auto", "classification", "regression"]


@dataclass(frozen=True, eq=False)
class DataQuality:
    """The profile returned by :func:`data_quality`.

    Attributes
    ----------
    n_rows, n_columns, duplicate_rows : int
        Shape, and rows identical to an earlier row (in ``X``).
    target : dict
        ``task``, ``missing``, and for classification ``class_counts``, ``minority_share`` and
        ``imbalanced``; empty without ``y``.
    params : dict
        The thresholds used.
    """

    _columns: pd.DataFrame
    n_rows: int
    n_columns: int
    duplicate_rows: int
    target: dict[str, Any]
    params: dict[str, Any]

    @property
    def columns(self) -> pd.DataFrame:
        """Per column: ``kind, dtype, missing, missing_share, n_unique, constant, duplicate_of,
        outlier_share, outliers, leakage_score, leaky`` (a copy)."""
        return self._columns.copy()

    @property
    def issues(self) -> pd.DataFrame:
        """One row per finding: ``column``, ``issue``, ``detail`` (empty for clean data)."""
        c, rows = self._columns, []
        for name, r in c.iterrows():
            if r["missing"]:
                rows.append((name, "missing values", f"{r['missing']} missing ({r['missing_share']:.1%})"))
            if r["constant"]:
                rows.append((name, "constant", f"{r['n_unique']} distinct value(s)"))
            if r["duplicate_of"]:
                rows.append((name, "duplicated column", f"same values as {r['duplicate_of']!r}"))
            if r["outliers"]:
                rows.append((name, "outliers", f"{r['outlier_share']:.1%} outside 1.5 IQR"))
            if r["leaky"]:
                score = "AUC" if self.target["task"] == "classification" else "R2"
                detail = f"alone predicts the target: out-of-fold {score} {r['leakage_score']:.3f}"
                rows.append((name, "likely leakage", detail))
        if self.duplicate_rows:
            rows.append(("", "duplicate rows", f"{self.duplicate_rows} rows repeat an earlier row"))
        if self.target.get("imbalanced"):
            share = self.target["minority_share"]
            rows.append(("<target>", "class imbalance", f"smallest class is {share:.1%} of rows"))
        return pd.DataFrame(rows, columns=["column", "issue", "detail"])

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values (NaN becomes ``None``), ready for the evidence JSON."""
        columns = self._columns.reset_index()
        return {
            "columns": columns.astype(object).where(columns.notna(), None).to_dict(orient="records"),
            "issues": self.issues.to_dict(orient="records"),
            "n_rows": self.n_rows,
            "n_columns": self.n_columns,
            "duplicate_rows": self.duplicate_rows,
            "target": self.target,
            "params": self.params,
        }


def _kind(col: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(col):
        return "boolean"
    if pd.api.types.is_numeric_dtype(col):
        return "numeric"
    if pd.api.types.is_datetime64_any_dtype(col):
        return "datetime"
    return "categorical"


def _outlier_share(col: pd.Series) -> float:
    values = col.dropna().to_numpy(float)
    if values.size == 0:
        return float("nan")
    q1, q3 = np.quantile(values, [0.25, 0.75])
    iqr = q3 - q1
    if iqr == 0:
        return float("nan")
    return float(np.mean((values < q1 - 1.5 * iqr) | (values > q3 + 1.5 * iqr)))


def _fingerprint(col: pd.Series, kind: str) -> bytes:
    if kind in ("numeric", "boolean"):
        values = col.astype(float)
    else:
        values = col.astype(object).where(col.notna(), None).astype(str)
    return pd.util.hash_pandas_object(values, index=False).to_numpy().tobytes()


def _task(y: pd.Series, task: Task) -> str:
    if task != "auto":
        return task
    if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
        return "classification"
    values = y.to_numpy(float)
    is_integer = bool(np.all(values == np.round(values)))
    # integer targets with many values (counts, amounts) are regression targets
    return "classification" if is_integer and y.nunique() <= 20 else "regression"


def _target_encoder(task: str, random_state: int) -> Any:
    """sklearn's TargetEncoder with seeded inner folds (scikit-learn 1.9 moved the seed to ``cv``)."""
    from sklearn.model_selection import KFold, StratifiedKFold
    from sklearn.preprocessing import TargetEncoder

    target_type = "continuous" if task == "regression" else "auto"
    if TargetEncoder().get_params()["random_state"] == "deprecated":
        splitter = KFold if task == "regression" else StratifiedKFold
        return TargetEncoder(target_type=target_type, cv=splitter(5, shuffle=True, random_state=random_state))
    return TargetEncoder(target_type=target_type, random_state=random_state)


def _leakage_score(col: pd.Series, kind: str, y: pd.Series, task: str, random_state: int) -> float:
    from sklearn.metrics import r2_score, roc_auc_score
    from sklearn.model_selection import KFold, StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    if task == "classification":
        n_splits = min(5, int(y.value_counts().min()))
        if n_splits < 2:
            return float("nan")
        cv: Any = StratifiedKFold(n_splits, shuffle=True, random_state=random_state)
        tree: Any = DecisionTreeClassifier(max_depth=2, random_state=random_state)
    else:
        cv = KFold(5, shuffle=True, random_state=random_state)
        tree = DecisionTreeRegressor(max_depth=4, random_state=random_state)
    if kind == "categorical":
        x = col.astype(object).to_numpy()[:, None]
        model = make_pipeline(_target_encoder(task, random_state), tree)
    else:
        # the tree computes in float32 and refuses values beyond its range (a 1e300 that float64
        # holds): clipped to that range they keep their order with every other value
        limit = float(np.finfo(np.float32).max)
        x, model = np.clip(col.to_numpy(float), -limit, limit)[:, None], tree
    if task == "regression":
        return float(r2_score(y, cross_val_predict(model, x, y, cv=cv)))
    proba = cross_val_predict(model, x, y, cv=cv, method="predict_proba")
    if proba.shape[1] == 2:
        return float(roc_auc_score(y, proba[:, 1]))
    return float(roc_auc_score(y, proba, multi_class="ovr"))


def _target(y: Any, n: int, task: Task, min_class_share: float) -> tuple[pd.Series, dict[str, Any]]:
    target = pd.Series(np.asarray(y)) if not isinstance(y, pd.Series) else y.reset_index(drop=True)
    if target.ndim != 1 or len(target) != n:
        raise InputError(f"y has {len(target)} values but X has {n} rows; pass one target value per row.")
    missing = int(target.isna().sum())
    if missing:
        raise InputError(f"y has {missing} missing values; drop those rows (or report them) before profiling.")
    kind = _task(target, task)
    info: dict[str, Any] = {"task": kind, "missing": missing}
    if kind == "classification":
        counts = target.value_counts().sort_index()
        info["class_counts"] = {str(k): int(v) for k, v in counts.items()}
        info["minority_share"] = float(counts.min() / n)
        info["imbalanced"] = bool(counts.min() / n < min_class_share)
    return target, info


def data_quality(
    X: Any,
    y: Any = None,
    *,
    task: Task = "auto",
    max_outlier_share: float = 0.05,
    leakage_threshold: float = 0.95,
    min_class_share: float = 0.1,
    random_state: int = 0,
) -> DataQuality:
    """Profile a data set: missing, constant, duplicated, outlying and leaky columns, class balance.

    Parameters
    ----------
    X : DataFrame or array-like of shape (n, d)
    y : array-like of shape (n,), optional
        The target; enables class balance and the leakage check.
    task : {"auto", "classification", "regression"}
        ``"auto"``: regression for non-integer numbers and for integers with more than 20 values.
    max_outlier_share, leakage_threshold, min_class_share : float
        Thresholds of the outlier, leakage and imbalance flags (see the module docstring).
    random_state : int, default 0
        Seed of the cross-validation folds of the leakage check.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from explain.metrics import data_quality
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    >>> y = (X["a"] + rng.normal(size=200) > 0).astype(int)
    >>> X["a_copy"], X["one"], X["leak"] = X["a"], 1.0, y + 0.01 * rng.normal(size=200)
    >>> data_quality(X, y).issues[["column", "issue"]]
       column              issue
    0  a_copy  duplicated column
    1     one           constant
    2    leak     likely leakage
    """
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    if frame.ndim != 2 or frame.shape[0] == 0 or frame.shape[1] == 0:
        raise InputError(f"X must be a non-empty table; got shape {frame.shape}.")
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    if frame.columns.duplicated().any():
        repeated = sorted(set(frame.columns[frame.columns.duplicated()]))
        raise InputError(f"X has repeated column names {repeated}; rename them.")
    n = len(frame)
    target, info = (None, {}) if y is None else _target(y, n, task, min_class_share)
    rows: dict[str, dict[str, Any]] = {}
    seen: dict[bytes, str] = {}
    for name in frame.columns:
        col, kind = frame[name], _kind(frame[name])
        n_unique = int(col.nunique(dropna=True))
        first = seen.setdefault(_fingerprint(col, kind), name)
        outliers = _outlier_share(col) if kind == "numeric" else float("nan")
        usable = target is not None and kind != "datetime" and n_unique > 1
        leak = _leakage_score(col, kind, target, info["task"], random_state) if usable else float("nan")
        rows[name] = {
            "kind": kind,
            "dtype": str(col.dtype),
            "missing": int(col.isna().sum()),
            "missing_share": float(col.isna().mean()),
            "n_unique": n_unique,
            "constant": n_unique <= 1,
            "duplicate_of": first if first != name else "",
            "outlier_share": outliers,
            "outliers": bool(outliers > max_outlier_share),
            "leakage_score": leak,
            "leaky": bool(leak > leakage_threshold),
        }
    columns = pd.DataFrame.from_dict(rows, orient="index")
    columns.index.name = "column"
    params = {
        "outlier_rule": "share outside [Q1 - 1.5 IQR, Q3 + 1.5 IQR]",
        "max_outlier_share": max_outlier_share,
        "leakage_rule": "one-feature decision tree, 5-fold out-of-fold ROC AUC (classification) or R2 (regression)",
        "leakage_threshold": leakage_threshold,
        "min_class_share": min_class_share,
        "random_state": random_state,
    }
    duplicate_rows = int(frame.duplicated().sum())
    return DataQuality(columns, n, frame.shape[1], duplicate_rows, info, params)
