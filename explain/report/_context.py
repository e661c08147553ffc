"""The validated inputs of an audit and what every section shares: predictions, decisions and
the explanation of a sample of test rows, computed once."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._data import check_column_types
from .._model import ModelAdapter
from .._provenance import data_fingerprint, model_fingerprint, type_path
from ..errors import FeatureMismatchError, ModelError
from ..explanation import LocalExplanation
from ._context_checks import (
    _beyond_float32,
    _check_duplicates,
    _check_finite,
    _check_groups,
    _check_reason_codes,
    _frame,
    _model_columns,
    _sensitive,
    check_rows,
    check_same_columns,
)
from ._context_targets import (
    _check_favourable,
    _target,
    checked_scores,
    favourable_position,
    is_multiclass,
    model_targets,
    multiclass_scores,
)
from ._evidence import canonical_json, sha256_hex
from ._policy import ModelCard, Policy

if TYPE_CHECKING:
    from ._context_dask import ClusterRun

__all__ = ["AuditContext", "build_context", "dataset_record", "frame_sha256"]


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


def dataset_record(role: str, frame: pd.DataFrame, y: Any = None) -> dict[str, Any]:
    """The evidence's record of a data set held in memory: its role (``train``, ``test``,
    ``reference``), its size, and the SHA-256 of its values (with the target ``y``) and of its schema."""
    return {
        "name": role,
        "rows": len(frame),
        "columns": frame.shape[1],
        "sha256": frame_sha256(frame, None if y is None else np.asarray(y)),
        "schema_sha256": schema_sha256(frame),
    }


def dataset_records(
    train: pd.DataFrame, y_train: Any, test: pd.DataFrame, y_test: Any, reference: pd.DataFrame | None = None
) -> list[dict[str, Any]]:
    """The records (:func:`dataset_record`) of the training and test data and, when one was
    given, the reference."""
    sets = [("train", train, y_train), ("test", test, y_test)]
    if reference is not None:
        sets.append(("reference", reference, None))
    return [dataset_record(role, frame, y) for role, frame, y in sets]


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
    from ._context_text import is_plain_function, plain_function_error

    if is_plain_function(model):  # audit() has no task=: say what it takes
        raise plain_function_error(text=False)
    adapter = ModelAdapter.from_model(model)
    train = _frame(X_train, "X_train")
    test = _frame(X_test, "X_test", columns=list(train.columns) if not isinstance(X_test, pd.DataFrame) else None)
    check_same_columns(list(train.columns), list(test.columns))
    for name, frame in (("X_train", train), ("X_test", test)):
        _check_duplicates(frame, name)
        check_rows(name, len(frame))
    y_tr, y_te = _target(y_train, len(train), "y_train"), _target(y_test, len(test), "y_test")
    sens_test, sens_train, sens_names = _sensitive(sensitive_features, train, test)
    _check_groups(sens_test)
    columns = _model_columns(adapter, test, sens_names)
    ref_given = reference is not None
    ref = _frame(reference, "reference") if ref_given else train
    if ref_given:
        _check_duplicates(ref, "reference")
        check_rows("reference", len(ref))
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
    ctx.datasets.extend(dataset_records(train, y_train, test, y_test, ref if ref_given else None))
    return ctx
