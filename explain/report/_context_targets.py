"""The targets and classes of an audit: the true outcomes checked and read as the audit reads them
(1 for a binary classifier's positive class, the class's position for a multiclass one, floats for
a regressor), the output space the model is scored in, one score per row, and the policy's
favourable class. Shared by the in-memory, cluster and text audits (:mod:`._context`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._model import ModelAdapter
from ..errors import InputError, ModelError
from ._policy import Policy

__all__ = [
    "audit_space",
    "checked_scores",
    "class_positions",
    "favourable_position",
    "is_multiclass",
    "model_targets",
    "multiclass_scores",
]


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
