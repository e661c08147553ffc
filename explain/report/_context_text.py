"""The audit of a text model: which models and inputs are text, and the :class:`AuditContext`
the sections read, built from documents.

What is audited as text
-----------------------
A fitted binary classifier that reads documents:

- a scikit-learn ``Pipeline`` whose first step is a text vectorizer (``CountVectorizer``,
  ``TfidfVectorizer``, ``HashingVectorizer``: anything with ``build_analyzer``), given
  ``X_train`` / ``X_test`` as a pandas Series (or list) of documents, or as a DataFrame whose
  only column besides the ``sensitive_features`` named in it is the text;
- a ``Pipeline`` whose first step is a ``ColumnTransformer`` with one transformer, a text
  vectorizer (or a Pipeline starting with one) on one column named by a string, the remainder
  dropped, given DataFrames holding that column. Its explanations are computed on the same
  fitted steps reading the documents directly (checked to give the same scores).

Refused, with the reason: a ColumnTransformer that reads the text and other columns (the audit
explains one text column), a column given as a list (``["text"]``: the vectorizer would read
the column name), missing documents (pass ``""``), more than one candidate text column, a
regressor or a multiclass classifier (the text audit judges binary decisions), dask input.

The context holds the text as a one-column DataFrame (``X_train``, ``X_test``, ``reference``),
named as the user's column (``text`` for unnamed documents); ``ctx.extras["text"]`` holds the
:class:`TextInput` (the column, the model reading documents, the vectorizer).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._model import ModelAdapter
from ..errors import FeatureMismatchError, InputError, ModelError
from ._context import (
    AuditContext,
    _check_groups,
    _check_reason_codes,
    _sensitive,
    _target,
    checked_scores,
    dataset_records,
    model_targets,
)
from ._context_checks import check_rows
from ._policy import ModelCard, Policy

__all__ = [
    "TextInput",
    "build_text_context",
    "documents",
    "is_text_audit",
    "is_plain_function",
    "is_text_context",
    "plain_function_error",
    "score_documents",
    "text_input",
]

DEFAULT_COLUMN = "text"
#: scores of the model as given and of the same steps reading documents may differ by rounding only
SAME_SCORES = 1e-9


@dataclass(frozen=True)
class TextInput:
    """How the audited model reads text.

    ``column``: the text column of the context's frames. ``form``: ``"documents"`` (the model
    reads a list of documents) or ``"column"`` (a DataFrame with that column). ``reader``: a model
    that reads a list of documents (the model itself, or its fitted steps behind the
    ColumnTransformer), which the explanations explain. ``vectorizer``: its fitted vectorizer.
    """

    column: str
    form: str
    reader: Any
    vectorizer: Any

    @property
    def lowercase(self) -> bool:
        """Whether the vectorizer reads ``Python`` as ``python`` (scikit-learn's default)."""
        return bool(getattr(self.vectorizer, "lowercase", False))


def _is_vectorizer(step: Any) -> bool:
    return hasattr(step, "build_analyzer") and hasattr(step, "transform")


def _leading_vectorizer(step: Any) -> Any | None:
    """``step`` if it is a text vectorizer, or the first step of a Pipeline that starts with one."""
    if _is_vectorizer(step):
        return step
    steps = getattr(step, "steps", None)
    if steps and _is_vectorizer(steps[0][1]):
        return steps[0][1]
    return None


def _column_entries(transformer: Any) -> list[tuple[str, Any, Any]]:
    """The fitted ColumnTransformer's entries that read columns (dropped ones and an empty
    remainder left out)."""
    entries = getattr(transformer, "transformers_", None) or getattr(transformer, "transformers", [])
    out = []
    for name, est, cols in entries:
        empty = cols is None or (not isinstance(cols, str) and len(cols) == 0)
        if (isinstance(est, str) and est == "drop") or empty:
            continue
        out.append((str(name), est, cols))
    return out


def text_model(model: Any) -> tuple[str, str | None, Any, Any] | None:
    """How ``model`` reads text: ``(form, column, reader, vectorizer)``, or ``None`` when it is
    not a text model; a :class:`ModelError` for a text model the audit cannot take."""
    steps = getattr(model, "steps", None)
    if not steps:
        return None
    first = steps[0][1]
    if _is_vectorizer(first):
        return "documents", None, model, first
    if not hasattr(first, "transformers"):
        return None
    entries = _column_entries(first)
    texts = [(n, e, c) for n, e, c in entries if not isinstance(e, str) and _leading_vectorizer(e) is not None]
    if not texts:
        return None
    if len(entries) > 1:
        others = [f"{n} ({c if isinstance(c, str) else list(c)})" for n, e, c in entries if (n, e, c) not in texts]
        raise ModelError(
            f"the model's ColumnTransformer reads text and other columns ({', '.join(others)}); a text audit "
            "explains one text column. Audit a model that reads the text column only (its tokens are then the "
            "explained features), or audit the table without the text."
        )
    name, est, cols = texts[0]
    if not isinstance(cols, str):
        raise ModelError(
            f"the ColumnTransformer gives the vectorizer {name!r} the columns {list(cols)} as a list, so it reads "
            "the column names, not the documents. Name the text column as a string (e.g. ('text', "
            "TfidfVectorizer(), 'application')), refit, and audit again."
        )
    from sklearn.pipeline import Pipeline

    reader = Pipeline([(name, est), *steps[1:]])
    return "column", cols, reader, _leading_vectorizer(est)


def is_text_audit(model: Any, X_test: Any) -> bool:
    """Whether an audit of ``model`` on ``X_test`` is the audit of a text model: the model reads
    documents only (see the module docstring), or ``X_test`` is a batch of documents. Never
    raises. A model whose ColumnTransformer reads text and other columns is not a text model
    here: the tabular audit takes it as before (the text column one feature among others).

    Examples
    --------
    >>> from sklearn.feature_extraction.text import TfidfVectorizer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> model = make_pipeline(TfidfVectorizer(), LogisticRegression())
    >>> is_text_audit(model, pd.Series(["a b", "c d"])), is_text_audit(LogisticRegression(), [[1.0]])
    (True, False)
    """
    from .._text import is_text_input

    try:
        if text_model(model) is not None:
            return True
    except Exception:  # text with other columns, or an odd model: the tabular audit's checks speak about it
        return False
    if is_plain_function(model) and _holds_text(X_test):  # refused by build_text_context, saying what to do
        return True
    return bool(is_text_input(X_test))


def is_plain_function(model: Any) -> bool:
    """Whether ``model`` is a bare callable (no predict, predict_proba or Pipeline steps)."""
    return callable(model) and not any(hasattr(model, a) for a in ("predict", "predict_proba", "steps"))


def _holds_text(X: Any) -> bool:
    """Documents, or a DataFrame with a column of str."""
    from .._text import is_text_input

    if isinstance(X, pd.DataFrame):
        return bool(len(X)) and any(all(isinstance(v, str) for v in X[c].head(50)) for c in X.columns)
    return bool(is_text_input(X))


def plain_function_error(text: bool) -> ModelError:
    """What ``audit()`` says of a plain function given as the model (it has no ``task=``): wrap
    it in a classifier object. ``text``: the data are documents (else a table)."""
    data = (
        "pass X_train / X_test as pandas Series of documents with sensitive_features= as a DataFrame aligned with "
        "X_test"
        if text
        else "pass X_train / X_test as DataFrames with the columns the function reads"
    )
    wrap = (
        "Wrap the function in a scikit-learn-compatible classifier: a class with fit(X, y) setting classes_, "
        "predict_proba(X) calling your function on list(X), and predict"
        if text
        else "Wrap the function in a scikit-learn-compatible estimator: a classifier with fit(X, y) setting classes_, "
        "predict_proba(X) calling your function, and predict; or a regressor with fit(X, y) and predict(X)"
    )
    return ModelError(
        "audit() was given a plain function as the model; audit() takes a fitted model object (it has no task= and "
        f"reads the task, the classes and the probabilities from the model). {wrap}; fit it, and {data}. "
        "(explain.Explainer(fn, task=...) explains a plain function without an audit.)"
    )


def text_input(ctx: AuditContext) -> TextInput:
    """The :class:`TextInput` of a text audit's context."""
    found = ctx.extras.get("text")
    if not isinstance(found, TextInput):
        raise RuntimeError("not the context of a text audit")  # pragma: no cover
    return found


def is_text_context(ctx: AuditContext) -> bool:
    """Whether ``ctx`` was built by :func:`build_text_context`."""
    return isinstance(ctx.extras.get("text"), TextInput)


def documents(frame: pd.DataFrame, column: str) -> list[str]:
    """The documents of a context frame's text column, as a list of str."""
    return [str(v) for v in frame[column].tolist()]


def _text_frame(X: Any, name: str, column: str | None) -> pd.DataFrame:
    """``X`` as a DataFrame holding the text column (other columns kept for the sensitive ones)."""
    if isinstance(X, pd.DataFrame):
        frame = X.copy()
        frame.columns = [str(c) for c in frame.columns]
        return frame
    if isinstance(X, pd.Series):
        return X.to_frame(name=str(column or (X.name if X.name is not None else DEFAULT_COLUMN)))
    if isinstance(X, (list, tuple, np.ndarray)) and np.ndim(np.asarray(X, dtype=object)) == 1:
        return pd.DataFrame({column or DEFAULT_COLUMN: list(X)})
    raise InputError(
        f"{name} is a {type(X).__name__}; a text model is audited on a pandas Series or list of documents, or on a "
        "DataFrame holding the text column (and the sensitive columns)."
    )


def _text_column(frame: pd.DataFrame, given: str | None, sensitive_names: list[str], name: str) -> str:
    """The text column of ``frame``: the ColumnTransformer's, or the only non-sensitive column."""
    if given is not None:
        if given not in frame.columns:
            raise FeatureMismatchError(
                f"the model reads the text column {given!r}, which {name} lacks (columns: {list(frame.columns)}); "
                "pass the frame the model was fitted on."
            )
        return given
    absent = [c for c in sensitive_names if c not in frame.columns]
    if absent:
        raise FeatureMismatchError(
            f"sensitive_features {absent} {'is not a column' if len(absent) == 1 else 'are not columns'} of {name} "
            f"(columns: {list(frame.columns)}). Name columns of {name}, or pass the attributes as a DataFrame aligned "
            f"with {name}."
        )
    candidates = [c for c in frame.columns if c not in sensitive_names]
    if len(candidates) != 1:
        raise FeatureMismatchError(
            f"{name} has the columns {candidates} besides the sensitive features {sensitive_names}; a text model "
            "reads one column of documents. Pass X with the text column and the sensitive columns only (e.g. "
            "X[['application', 'gender']] with sensitive_features=['gender']), or the documents as a Series."
        )
    return str(candidates[0])


def _check_documents(frame: pd.DataFrame, column: str, name: str) -> None:
    values = frame[column]
    missing = np.flatnonzero(values.isna().to_numpy())
    if missing.size:
        raise InputError(
            f"the text column {column!r} of {name} has {missing.size} missing document(s) (rows "
            f"{missing[:5].tolist()}{'...' if missing.size > 5 else ''}); replace them with '' (an empty document, "
            "which the audit counts) or drop those rows (from y too)."
        )
    bad = [i for i, v in enumerate(values.tolist()) if not isinstance(v, str)]
    if bad:
        example = values.iloc[bad[0]]
        raise InputError(
            f"the text column {column!r} of {name} holds {len(bad)} value(s) that are not text (row {bad[0]}: "
            f"{type(example).__name__} {str(example)[:40]!r}); a document is a str: convert them (e.g. "
            f"X[{column!r}].astype(str)) or drop those rows."
        )


def _model_input(text: TextInput, docs: list[str]) -> Any:
    return docs if text.form == "documents" else pd.DataFrame({text.column: docs})


def score_documents(ctx: AuditContext, docs: list[str]) -> np.ndarray:
    """The model's score (P(positive class)) of each document, called as the model reads them."""
    text = text_input(ctx)
    out = ctx.adapter.predict(_model_input(text, docs), "probability")
    return checked_scores(ctx.adapter, out, "documents")


def _check_reader(text: TextInput, adapter: ModelAdapter, docs: list[str], scores: np.ndarray) -> None:
    """The steps behind a ColumnTransformer, reading documents, must score as the model does."""
    if text.form == "documents":
        return
    reader = ModelAdapter.from_model(text.reader)
    again = checked_scores(reader, reader.predict(docs, "probability"), "documents")
    gap = float(np.max(np.abs(again - scores))) if len(docs) else 0.0
    if gap > SAME_SCORES:
        raise ModelError(
            f"the model's steps behind its ColumnTransformer, reading the documents of {text.column!r} directly, "
            f"score differently from the model (up to {gap:.2g}); the audit explains tokens through them. Fit a "
            "Pipeline(vectorizer, ..., classifier) on the documents and audit it."
        )


def _check_task(adapter: ModelAdapter) -> None:
    classes = adapter.classes or ()
    if adapter.task != "classification" or len(classes) != 2:
        what = "a regressor" if adapter.task == "regression" else f"a classifier of {len(classes)} classes"
        raise ModelError(
            f"the audit of a text model judges the decisions of a binary classifier (e.g. invite or not); this "
            f"model is {what}. Audit a binary classifier of the documents (one class against the rest)."
        )


def build_text_context(
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
    """Validate the inputs of a text audit and score every data set once (see the module docstring).

    ``reason_codes`` maps tokens (as the vectorizer reads them, e.g. lower-cased) to a
    ReasonCode, a ``(code, statement)`` pair or a statement.
    """
    from ..distributed import is_dask_collection

    if any(is_dask_collection(v) for v in (X_train, y_train, X_test, y_test, reference, sensitive_features)):
        raise InputError(
            "the audit of a text model reads its documents in memory; pass pandas Series or DataFrames "
            "(compute() the dask collections first)."
        )
    if is_plain_function(model):
        raise plain_function_error(text=True)
    form = text_model(model)
    adapter = ModelAdapter.from_model(model)
    _check_task(adapter)
    given = form[1] if form is not None else None
    test_column = given or (str(X_test.name) if isinstance(X_test, pd.Series) and X_test.name is not None else None)
    train = _text_frame(X_train, "X_train", test_column)
    test = _text_frame(X_test, "X_test", test_column)
    sens_names = [s for s in sensitive_features] if isinstance(sensitive_features, (list, tuple)) else []
    column = _text_column(test, given, [str(s) for s in sens_names], "X_test")
    if column not in train.columns:
        raise FeatureMismatchError(f"X_train lacks the text column {column!r} of X_test; pass the same columns.")
    for name, frame in (("X_train", train), ("X_test", test)):
        check_rows(name, len(frame))
        _check_documents(frame, column, name)
    y_tr, y_te = _target(y_train, len(train), "y_train"), _target(y_test, len(test), "y_test")
    sens_test, sens_train, _ = _sensitive(sensitive_features, train, test)
    _check_groups(sens_test)
    ref_given = reference is not None
    ref = _text_frame(reference, "reference", column) if ref_given else train
    if ref_given:
        if column not in ref.columns:
            raise FeatureMismatchError(f"reference lacks the text column {column!r}; give it the columns of X_test.")
        check_rows("reference", len(ref))
        _check_documents(ref, column, "reference")
    if reason_codes is not None:
        _check_reason_codes(reason_codes, [str(k) for k in reason_codes] if isinstance(reason_codes, Mapping) else [])
    y_tr, y_te, positive, _space = model_targets(adapter, y_tr, y_te)
    reader, vectorizer = (form[2], form[3]) if form is not None else (model, None)
    text = TextInput(column, form[0] if form is not None else "documents", reader, vectorizer)

    def score(frame: pd.DataFrame, name: str) -> np.ndarray:
        docs = documents(frame, column)
        try:
            out = adapter.predict(_model_input(text, docs), "probability")
        except ModelError as exc:
            raise type(exc)(f"scoring {name}: {exc}") from exc
        return checked_scores(adapter, out, name)

    log("Scoring the training, test and reference documents")
    scores = {name: score(frame, name) for name, frame in (("X_train", train), ("X_test", test), ("reference", ref))}
    _check_reader(text, adapter, documents(test, column), scores["X_test"])
    ctx = AuditContext(
        model=model,
        adapter=adapter,
        task=adapter.task,
        positive_class=None if positive is None else str(positive),
        target_name=str(y_train.name) if getattr(y_train, "name", None) is not None else None,
        X_train=train[[column]].copy(),
        X_test=test[[column]].copy(),
        reference=ref[[column]].copy(),
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
    )
    ctx.extras["text"] = text
    ctx.datasets.extend(dataset_records(train, y_train, test, y_test, ref if ref_given else None))
    return ctx
