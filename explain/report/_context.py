"""The validated inputs of an audit and what every section shares: predictions, decisions and
the explanation of a sample of test rows, computed once."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._data import _not_a_table, check_column_types, checked_names
from .._model import ModelAdapter
from .._provenance import data_fingerprint, model_fingerprint, type_path
from ..errors import FeatureMismatchError, InputError, ModelError
from ..explanation import LocalExplanation
from ._evidence import canonical_json, sha256_hex
from ._policy import ModelCard, Policy

if TYPE_CHECKING:
    from ._context_dask import ClusterRun

__all__ = ["AuditContext", "build_context", "frame_sha256"]


def frame_sha256(frame: pd.DataFrame, y: Any = None) -> str:
    """SHA-256 of a data set in the canonical form of :func:`explain._provenance.data_fingerprint`
    (column names and kinds, then the values column by column), with the target as a last column."""
    data = frame.copy()
    if y is not None:
        data["<target>"] = np.asarray(y)
    kinds = tuple("numeric" if _is_numeric(data[c]) else "categorical" for c in data.columns)
    values = np.empty(data.shape, dtype=object)
    for j, c in enumerate(data.columns):
        col = data[c]
        values[:, j] = col.to_numpy(dtype=float, na_value=np.nan) if kinds[j] == "numeric" else col.to_numpy(object)
    return data_fingerprint(values, tuple(str(c) for c in data.columns), kinds)


def schema_sha256(frame: pd.DataFrame) -> str:
    """SHA-256 of the column names and dtypes, in order."""
    return sha256_hex(canonical_json([[str(c), str(t)] for c, t in frame.dtypes.items()]))


def _is_numeric(col: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype))


@dataclass
class AuditContext:
    """Everything the sections read. Frames are copies: the user's data is never modified."""

    model: Any
    adapter: ModelAdapter
    task: str  # "classification" (binary), "multiclass" or "regression"
    positive_class: str | None
    target_name: str | None
    X_train: pd.DataFrame  # the model's inputs
    # X_test and reference are dask DataFrames (lazy) when they were given as dask collections:
    # then only the sections over whole data sets read them (drift, by reductions on the cluster),
    # and the sections that read rows get rows_context(ctx), a sample gathered from the cluster
    X_test: pd.DataFrame
    reference: pd.DataFrame
    reference_given: bool
    # 1 = positive class (binary), the class's position in `classes` (multiclass), the target otherwise
    y_train: np.ndarray
    y_test: np.ndarray
    sensitive_test: pd.DataFrame | None
    sensitive_train: pd.DataFrame | None
    # one score per row: P(positive class) (binary), the prediction (regression); for a multiclass
    # model P(favourable class) when the policy declares one, else the probability of the class
    # predicted (the model's confidence in its decision); the probabilities are in proba_*
    scores_train: np.ndarray
    scores_test: np.ndarray
    scores_reference: np.ndarray
    policy: Policy
    card: ModelCard
    reason_codes: Mapping[str, Any] | None
    random_state: int
    log: Callable[[str], None]
    progress: bool | None
    datasets: list[dict[str, Any]] = field(default_factory=list)
    explanation: LocalExplanation | None = None
    sample: np.ndarray | None = None  # positions of the explained test rows
    stability_runs: list[LocalExplanation] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)  # results shared between sections
    cluster: ClusterRun | None = None  # dask input: what ran where, what was gathered (_context_dask)
    # multiclass only: the class labels (as text, in the model's order) and the probabilities (n, k)
    classes: tuple[str, ...] = ()
    proba_train: np.ndarray | None = None
    proba_test: np.ndarray | None = None
    proba_reference: np.ndarray | None = None

    @property
    def is_classifier(self) -> bool:
        """A binary or a multiclass classifier (its scores are probabilities)."""
        return self.task in ("classification", "multiclass")

    @property
    def is_multiclass(self) -> bool:
        return self.task == "multiclass"

    @property
    def favourable_index(self) -> int | None:
        """The position of the policy's ``favourable_class`` among a multiclass model's classes
        (checked in :func:`build_context`); ``None`` when none is declared, or for other models."""
        if not self.is_multiclass:
            return None
        return favourable_position(self.policy, self.classes)

    @property
    def predicted_test(self) -> np.ndarray:
        """A multiclass model's decision per test row: the position of the most probable class
        (as ``predict()``; the first of tied classes, as ``numpy.argmax``)."""
        if self.proba_test is None:
            raise RuntimeError("predicted_test is the decision of a multiclass model")  # pragma: no cover
        return np.argmax(self.proba_test, axis=1)

    @property
    def selected_test(self) -> np.ndarray:
        """The favourable decision per test row: score at or above the policy's
        ``decision_threshold`` (binary); the favourable class predicted (multiclass with a declared
        ``favourable_class``); a prediction at or above the policy's ``regression_threshold``
        (regression with one declared), else above the median (NYC LL144's rule for a continuous
        score). A multiclass model without a favourable class takes no single favourable decision:
        its sections read :attr:`predicted_test`, one class against the rest."""
        if self.is_multiclass:
            favourable = self.favourable_index
            if favourable is None:
                raise RuntimeError(  # pragma: no cover - the sections check favourable_index first
                    "a multiclass model without policy.favourable_class has no single favourable decision"
                )
            return self.predicted_test == favourable
        if self.is_classifier:
            return self.scores_test >= self.policy.decision_threshold
        cut = getattr(self.policy, "regression_threshold", None)
        if cut is not None:  # the predictions drive decisions, as in the robustness and local sections
            return self.scores_test >= float(cut)
        return self.scores_test > np.median(self.scores_test)

    @property
    def score_name(self) -> str:
        """``P(repaid = 1)`` for a classifier (the target's name when it has one), ``prediction``
        for a regressor; for a multiclass model the favourable class's probability, or
        ``P(predicted class)`` when no favourable class is declared."""
        if not self.is_classifier:
            return self.target_name or "prediction"
        if self.is_multiclass:
            favourable = self.favourable_index
            if favourable is None:
                return "P(predicted class)"
            return self.class_score_name(favourable)
        return f"P({self.target_name} = {self.positive_class})" if self.target_name else f"P({self.positive_class})"

    def class_score_name(self, index: int) -> str:
        """``P(cultivar = class_1)``: the probability of a multiclass model's class ``index``."""
        label = self.classes[index]
        return f"P({self.target_name} = {label})" if self.target_name else f"P({label})"

    def model_sha256(self) -> str:
        return model_fingerprint(self.model)

    def model_type(self) -> str:
        return type_path(self.model)


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


def _target(y: Any, n: int, name: str) -> np.ndarray:
    if y is None:
        raise InputError(f"{name} is None; an audit measures performance and needs the true outcomes.")
    values = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1 or len(values) != n:
        raise InputError(f"{name} has shape {values.shape}; it needs one value per row ({n} rows).")
    if pd.isna(pd.Series(values)).any():
        raise InputError(f"{name} has missing values; drop those rows (from X too) before the audit.")
    if values.dtype.kind == "f" and not np.isfinite(values).all():
        rows = np.flatnonzero(~np.isfinite(values))
        raise InputError(
            f"{name} holds infinite values (rows {rows[:5].tolist()}{'...' if len(rows) > 5 else ''}); drop those "
            "rows (from X too) before the audit."
        )
    return values


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


def _binary_target(y: np.ndarray, name: str, classes: Sequence[Any]) -> np.ndarray:
    """``y`` as 1 for the positive class (``classes[1]``), 0 for the other, or an InputError
    (see :func:`class_positions`)."""
    return (class_positions(y, name, classes) == 1).astype(int)


def class_positions(y: np.ndarray, name: str, classes: Sequence[Any]) -> np.ndarray:
    """The position of each label of ``y`` among the model's ``classes``, or an InputError.

    Labels are matched by value when both are numbers (``1.0`` is the class ``1``, as in
    scikit-learn), else as text. A target that is not the model's labels is refused with a short
    message: a few of its values, and for a continuous target (a regression target given to a
    classifier) how many distinct values it has, never the list of them all.
    """
    numeric = y.dtype.kind in "biuf" and all(
        isinstance(c, (int, float, np.integer, np.floating)) and not isinstance(c, bool) for c in classes
    )
    if numeric:
        values, labels = y.astype(float), np.asarray(classes, dtype=float)
    else:
        values, labels = y.astype(str), np.asarray([str(c) for c in classes])
    known = np.isin(values, labels)
    if known.all():
        positions = np.zeros(len(y), dtype=int)
        for i, label in enumerate(labels):
            positions[values == label] = i
        return positions
    unknown = np.unique(y[~known])
    spread = np.unique(np.linspace(0, len(unknown) - 1, min(5, len(unknown))).round().astype(int))  # lowest to highest
    shown = ", ".join(_label(v) for v in unknown[spread]) + (
        f" ({len(unknown) - len(spread)} more)" if len(unknown) > len(spread) else ""
    )
    n_distinct = len(np.unique(y))
    fractional = y.dtype.kind == "f" and bool(np.any(y[~known] != np.round(y[~known])))
    if fractional or n_distinct > 20:
        raise InputError(
            f"{name} looks continuous (a regression target?): it has {n_distinct} distinct values (e.g. "
            f"{shown}), but the model is a classifier with the classes {list(classes)}. Pass {name} as the "
            "class labels the model was fitted on (e.g. threshold the outcome the way the model's target "
            "was made), or audit a regressor for a continuous target."
        )
    raise InputError(
        f"{name} has values that are not classes of the model ({list(classes)}): {shown}. Pass {name} "
        "as the labels the model was fitted on (its classes_), in the same type and spelling."
    )


def _same_label(a: Any, b: Any) -> bool:
    """Two class labels are the same when their text is, or when both are the same number."""
    if str(a) == str(b):
        return True
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return False


def favourable_position(policy: Policy, classes: Sequence[Any]) -> int | None:
    """The position of ``policy.favourable_class`` among ``classes`` (``None`` when none is
    declared), or an InputError naming the classes to choose from."""
    favourable = policy.favourable_class
    if favourable is None:
        return None
    for i, label in enumerate(classes):
        if _same_label(favourable, label):
            return i
    raise InputError(
        f"policy.favourable_class={favourable!r} is not a class of the model (its classes: "
        f"{[str(c) for c in classes]}); name the class of the favourable outcome (e.g. "
        f"favourable_class={str(classes[-1])!r}), or leave it out to audit every class's decision one "
        "against the rest."
    )


def _label(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    return repr(value.item() if isinstance(value, np.generic) else value)[:40]


def _check_classes(y: np.ndarray, name: str, classes: Sequence[Any]) -> None:
    """Refuse a target of one class: ROC AUC, calibration and error rates need both."""
    if len(np.unique(y)) < 2:
        only = classes[int(y[0])] if len(y) else None
        raise InputError(
            f"{name} has one class only ({only!r}); ROC AUC, calibration and error rates need both classes. "
            f"Pass a {name.replace('y_', '')} set with both classes (e.g. from a stratified split)."
        )


def _check_every_class(y: np.ndarray, name: str, classes: Sequence[Any]) -> None:
    """Refuse a multiclass target that lacks a class of the model: that class's recall and its
    one-vs-rest ROC AUC are not defined."""
    lacking = [str(c) for i, c in enumerate(classes) if not np.any(y == i)]
    if lacking:
        raise InputError(
            f"{name} has no row of the class(es) {lacking} of the model (classes: {[str(c) for c in classes]}); "
            "per-class recall and one-vs-rest ROC AUC need every class. Pass a "
            f"{name.replace('y_', '')} set with rows of every class (e.g. from a stratified split)."
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


def _check_squares(values: np.ndarray, name: str, error: type[Exception], fix: str) -> None:
    """Refuse regression targets or predictions so large that their squared errors, summed over the
    rows, overflow float64: R² and the error measures would be infinite or NaN."""
    limit = float(np.sqrt(np.finfo(float).max / (4 * max(len(values), 1))))
    big = np.flatnonzero(np.abs(values) > limit)
    if big.size:
        raise error(
            f"{name}: {values[big[0]]:.6g} at rows {big[:5].tolist()}{'...' if big.size > 5 else ''}; squared "
            f"errors of numbers beyond {limit:.2g} overflow float64 when summed over {len(values)} rows, so R² "
            f"and the error measures cannot be computed. {fix}"
        )


def _check_varies(y: np.ndarray, name: str) -> None:
    """Refuse a constant regression target, as a classification target of one class is refused:
    R² (the share of the target's variance explained) needs variance."""
    if len(y) and np.all(y == y[0]):
        raise InputError(
            f"{name} is constant (every value is {y[0]:.6g}); R² (the share of the target's variance the model "
            f"explains) is not defined without variance. Pass a {name.replace('y_', '')} "
            "set whose target varies."
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


def model_targets(
    adapter: ModelAdapter, y_tr: np.ndarray, y_te: np.ndarray, *, multiclass: bool = False
) -> tuple[np.ndarray, np.ndarray, Any, str]:
    """The targets as the audit reads them (1 for the positive class of a binary classifier, the
    class's position for a multiclass one, floats for regression), checked, the positive class
    (``None`` but for a binary classifier) and the output space the model is scored in. A
    classifier of more than two classes is refused unless ``multiclass`` (the in-memory audit)."""
    space = audit_space(adapter, multiclass=multiclass)
    if adapter.is_classifier:
        classes = adapter.classes or ()
        if len(classes) > 2:
            y_tr, y_te = class_positions(y_tr, "y_train", classes), class_positions(y_te, "y_test", classes)
            _check_every_class(y_tr, "y_train", classes)
            _check_every_class(y_te, "y_test", classes)
            return y_tr, y_te, None, space
        y_tr, y_te = _binary_target(y_tr, "y_train", classes), _binary_target(y_te, "y_test", classes)
        _check_classes(y_tr, "y_train", classes)
        _check_classes(y_te, "y_test", classes)
        return y_tr, y_te, classes[1], space
    try:
        y_tr, y_te = y_tr.astype(float), y_te.astype(float)
    except ValueError as exc:
        raise InputError("a regression audit needs numeric targets y_train and y_test.") from exc
    _check_varies(y_tr, "y_train")
    _check_varies(y_te, "y_test")
    for target, name in ((y_tr, "y_train"), (y_te, "y_test")):
        _check_squares(
            target, name, InputError, "Rescale the target (e.g. thousands instead of units) or drop those rows."
        )
    return y_tr, y_te, None, space


def audit_space(adapter: ModelAdapter, *, multiclass: bool = False) -> str:
    """The output space the audit scores the model in: probabilities for a classifier, the raw
    prediction for a regressor. A classifier of more than two classes is refused unless
    ``multiclass`` (the in-memory audit reads it; the other audits read one score per row)."""
    if not adapter.is_classifier:
        return "raw"
    classes = adapter.classes or ()
    if len(classes) != 2 and not (multiclass and len(classes) > 2):
        raise ModelError(
            f"the audit supports binary classifiers and regressors; this classifier has {len(classes)} classes "
            f"{list(classes)}. Audit one class against the rest (a binary model) instead."
        )
    return "probability"


def is_multiclass(adapter: ModelAdapter) -> bool:
    """A classifier of more than two classes."""
    return adapter.is_classifier and len(adapter.classes or ()) > 2


def checked_scores(adapter: ModelAdapter, out: np.ndarray, name: str) -> np.ndarray:
    """The score per row of the model's output (P(positive class) or the prediction), checked."""
    scores = out[:, -1] if adapter.is_classifier else out[:, 0]
    if not adapter.is_classifier:
        _check_squares(
            scores,
            f"the model's prediction for {name}",
            ModelError,
            "Check those rows (values the model was not fitted on), or rescale the target the model predicts.",
        )
    return scores


def multiclass_scores(proba: np.ndarray, favourable: int | None) -> np.ndarray:
    """A multiclass model's one score per row: P(favourable class) when the policy declares one,
    else the probability of the class predicted."""
    return proba[:, favourable] if favourable is not None else proba.max(axis=1)


def _check_favourable(adapter: ModelAdapter, policy: Policy) -> None:
    """Refuse a ``favourable_class`` that is not a class of a classifier (a binary model's
    favourable class is its positive class, ``classes_[1]``)."""
    if policy.favourable_class is None:
        return
    if not adapter.is_classifier:
        raise InputError(
            f"policy.favourable_class={policy.favourable_class!r}, but the model is a regressor: it has no "
            "classes. Declare the prediction at or above which the decision is favourable as "
            "policy.regression_threshold instead, and leave favourable_class out."
        )
    classes = adapter.classes or ()
    position = favourable_position(policy, classes)
    if len(classes) == 2 and position != 1:
        raise InputError(
            f"policy.favourable_class={policy.favourable_class!r} is the first class of a binary model; its audit "
            f"takes the second class ({classes[1]!r}, classes_[1], the probability predict_proba gives last) as the "
            "favourable outcome. Refit the model with the favourable outcome as the second class (e.g. y == "
            f"{classes[0]!r} as 1), or leave favourable_class out."
        )


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


def build_context(
    model: Any,
    X_train: Any,
    y_train: Any,
    X_test: Any,
    y_test: Any,
    *,
    sensitive_features: Any,
    reference: Any,
    reason_codes: Mapping[str, Any] | None,
    card: ModelCard,
    policy: Policy,
    random_state: int,
    log: Callable[[str], None],
    progress: bool | None,
) -> AuditContext:
    """Validate the inputs and predict every data set once."""
    from ..distributed import is_dask_collection
    from ._context_text import build_text_context, is_text_audit

    given = (X_train, y_train, X_test, y_test, reference, sensitive_features)
    special: Callable[..., AuditContext] | None = None
    if any(is_dask_collection(v) for v in given):
        from ._context_dask import build_cluster_context

        special = build_cluster_context
    elif is_text_audit(model, X_test):  # a model reading documents: explained by token
        special = build_text_context
    if special is not None:
        return special(
            model,
            X_train,
            y_train,
            X_test,
            y_test,
            sensitive_features=sensitive_features,
            reference=reference,
            reason_codes=reason_codes,
            card=card,
            policy=policy,
            random_state=random_state,
            log=log,
            progress=progress,
        )
    adapter = ModelAdapter.from_model(model)
    train = _frame(X_train, "X_train")
    test = _frame(X_test, "X_test", columns=list(train.columns) if not isinstance(X_test, pd.DataFrame) else None)
    check_same_columns(list(train.columns), list(test.columns))
    for name, frame in (("X_train", train), ("X_test", test)):
        _check_duplicates(frame, name)
        if len(frame) < 10:
            raise InputError(f"{name} has {len(frame)} rows; an audit needs at least 10 (and far more to mean much).")
    y_tr, y_te = _target(y_train, len(train), "y_train"), _target(y_test, len(test), "y_test")
    sens_test, sens_train, sens_names = _sensitive(sensitive_features, train, test)
    _check_groups(sens_test)
    columns = _model_columns(adapter, test, sens_names)
    ref_given = reference is not None
    ref = _frame(reference, "reference") if ref_given else train
    if ref_given:
        _check_duplicates(ref, "reference")
        if len(ref) < 10:
            raise InputError(
                f"reference has {len(ref)} rows; drift is measured against at least 10 (and far more to mean "
                "much). Pass a larger reference data set, or reference=None (the training data)."
            )
    lacking_ref = [c for c in columns if c not in ref.columns]
    if lacking_ref:
        raise FeatureMismatchError(f"reference lacks the model's columns {lacking_ref}; give it the columns of X_test.")
    for name, frame in (("X_train", train), ("X_test", test), ("reference", ref)):
        check_column_types(frame[columns], name)  # dates and mixed columns, before any model call
        _check_finite(frame[columns], name)
    _check_reason_codes(reason_codes, columns)
    multiclass = is_multiclass(adapter)
    y_tr, y_te, positive, space = model_targets(adapter, y_tr, y_te, multiclass=True)
    _check_favourable(adapter, policy)

    def score(frame: pd.DataFrame, name: str) -> np.ndarray:
        try:
            out = adapter.predict(frame[columns], space)  # type: ignore[arg-type]
        except ModelError as exc:
            raise type(exc)(f"scoring {name}: {exc}{_beyond_float32(frame[columns], name)}") from exc
        return np.asarray(out, dtype=float) if multiclass else checked_scores(adapter, out, name)

    log("Scoring the training, test and reference data")
    scores = {name: score(frame, name) for name, frame in (("X_train", train), ("X_test", test), ("reference", ref))}
    classes = tuple(str(c) for c in adapter.classes or ()) if multiclass else ()
    proba = dict(scores) if multiclass else {}
    if multiclass:
        favourable = favourable_position(policy, classes)
        scores = {name: multiclass_scores(p, favourable) for name, p in proba.items()}
    ctx = AuditContext(
        model=model,
        adapter=adapter,
        task="multiclass" if multiclass else adapter.task,
        positive_class=None if positive is None else str(positive),
        target_name=str(y_train.name) if getattr(y_train, "name", None) is not None else None,
        X_train=train[columns].copy(),
        X_test=test[columns].copy(),
        reference=ref[columns].copy(),
        reference_given=ref_given,
        y_train=y_tr,
        y_test=y_te,
        sensitive_test=sens_test,
        sensitive_train=sens_train,
        scores_train=scores["X_train"],
        scores_test=scores["X_test"],
        scores_reference=scores["reference"],
        policy=policy,
        card=card,
        reason_codes=reason_codes,
        random_state=random_state,
        log=log,
        progress=progress,
        classes=classes,
        proba_train=proba.get("X_train"),
        proba_test=proba.get("X_test"),
        proba_reference=proba.get("reference"),
    )
    for role, frame, y in (("train", train, y_train), ("test", test, y_test), ("reference", ref, None)):
        if role == "reference" and not ref_given:
            continue
        ctx.datasets.append(
            {
                "name": role,
                "rows": len(frame),
                "columns": frame.shape[1],
                "sha256": frame_sha256(frame, None if y is None else np.asarray(y)),
                "schema_sha256": schema_sha256(frame),
            }
        )
    return ctx
