"""The model adapter: one ``predict`` in a declared output space, whatever the model.

Supported: scikit-learn classifiers and regressors (including Pipelines with a
ColumnTransformer), LightGBM and XGBoost through their scikit-learn interfaces, LightGBM
Boosters, InterpretML's Explainable Boosting models, and plain callables with a declared task.

Output spaces
-------------
``"probability"``
    Classifiers' ``predict_proba``. Binary classifiers give one output, the positive class
    (``classes_[1]``); multiclass classifiers one output per class.
``"log_odds"``
    ``log(p / (1 - p))`` of the same probabilities. Where the model's own margin *is* the
    log-odds (logistic regression, gradient boosting with log-loss, binary LightGBM / XGBoost
    / EBM), the margin is used, so no precision is lost to rounding near 0 or 1. Elsewhere
    probabilities are clipped to ``[1e-15, 1 - 1e-15]`` first.
``"raw"``
    Regressors' ``predict``; classifiers' decision margin (``decision_function``, LightGBM's
    ``raw_score``, XGBoost's ``output_margin``). A classifier without a margin (a random forest)
    has no raw space.
``"margin"``
    The model's score before its link function: what boosted trees add up to. For classifiers
    it is the raw space; for regressors with a link (LightGBM / XGBoost objectives such as
    ``poisson``, ``tweedie``, ``gamma``, ``reg:logistic``; scikit-learn's HistGradientBoosting
    with ``loss="poisson"`` or ``"gamma"``) it is ``link(prediction)``, e.g. the log of the
    predicted count (read from the library's own raw score where it has one); for every other
    regressor it equals ``predict``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .errors import ModelError, ModelNotFittedError

OutputSpace = Literal["probability", "log_odds", "raw", "margin"]
Task = Literal["classification", "regression"]
ModelKind = Literal["sklearn", "lightgbm", "lightgbm_booster", "xgboost", "catboost", "ebm", "callable"]
OUTPUT_SPACES: tuple[str, ...] = ("probability", "log_odds", "raw", "margin")
_EPS = 1e-15

__all__ = ["OUTPUT_SPACES", "ModelAdapter", "OutputSpace", "Task"]


def _module_root(obj: Any) -> str:
    return type(obj).__module__.split(".")[0]


def _final_step(model: Any) -> tuple[Any, Any | None]:
    """Split an sklearn Pipeline into (final estimator, preprocessing prefix or None)."""
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline):
        final = model.steps[-1][1]
        if len(model.steps) == 1:
            return final, None
        return final, model[:-1]
    return model, None


def _kind_of(estimator: Any) -> ModelKind:
    root = _module_root(estimator)
    if root == "lightgbm":
        return "lightgbm_booster" if type(estimator).__name__ == "Booster" else "lightgbm"
    if root == "xgboost":
        if type(estimator).__name__ == "Booster":
            raise ModelError(
                "a raw xgboost.Booster needs DMatrix input, which cannot be explained column by "
                "column. Wrap it: use xgboost.XGBClassifier / XGBRegressor (e.g. fit through the "
                "scikit-learn interface, or set model._Booster = booster)."
            )
        return "xgboost"
    if root == "interpret":
        return "ebm"
    if root == "catboost":
        return "catboost"
    if hasattr(estimator, "fit") and (hasattr(estimator, "predict") or hasattr(estimator, "predict_proba")):
        return "sklearn"
    if callable(estimator):
        return "callable"
    raise ModelError(
        f"cannot explain an object of type {type(estimator).__name__}: it is neither a fitted "
        "estimator with predict / predict_proba nor a callable. Pass a fitted model, or a "
        "function f(X) -> predictions together with task='classification' or 'regression'."
    )


def _check_fitted(model: Any) -> None:
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    if _module_root(model) == "catboost" and hasattr(model, "is_fitted"):  # e.g. catboost.sum_models(...)
        if not model.is_fitted():
            raise ModelNotFittedError(
                f"this {type(model).__name__} is not fitted yet. Call model.fit(X_train, y_train) before explaining it."
            )
        return

    try:
        check_is_fitted(model)
    except NotFittedError as exc:
        raise ModelNotFittedError(
            f"this {type(model).__name__} is not fitted yet. Call model.fit(X_train, y_train) "
            "before explaining it."
        ) from exc
    except TypeError:  # not an sklearn estimator: nothing to check
        pass


def _margin_is_log_odds(estimator: Any, kind: ModelKind) -> bool:
    """Whether a binary classifier's decision margin equals the log-odds of predict_proba."""
    if kind in ("lightgbm", "lightgbm_booster"):
        # p = sigmoid(sigmoid_param * raw score), and a random forest averages its trees' raw scores
        params = (estimator if kind == "lightgbm_booster" else estimator.booster_).params
        boosting = str(params.get("boosting", params.get("boosting_type", params.get("boost", "gbdt"))))
        plain = float(params.get("sigmoid", 1.0)) == 1.0 and boosting not in ("rf", "random_forest")
        return plain and str(_lightgbm_objective(estimator)).startswith(("binary", "cross_entropy"))
    if kind == "xgboost":
        return str(estimator.get_params().get("objective") or "binary:logistic") == "binary:logistic"
    if kind == "ebm":
        return True
    if kind == "catboost":
        return _catboost_loss(estimator) in ("Logloss", "CrossEntropy")
    name = type(estimator).__name__
    log_odds_margins = (
        "LogisticRegression", "LogisticRegressionCV", "HistGradientBoostingClassifier", "AdditiveBoostingClassifier",
    )  # fmt: skip
    if name in log_odds_margins:
        return True
    if name == "GradientBoostingClassifier":
        return getattr(estimator, "loss", "log_loss") == "log_loss"
    if name == "SGDClassifier":
        return getattr(estimator, "loss", "") == "log_loss"
    return False


_LOG_LINK = ("poisson", "gamma", "tweedie", "count:poisson", "reg:gamma", "reg:tweedie", "survival:cox")
_LOGIT_LINK = ("reg:logistic", "cross_entropy", "xentropy")


def _catboost_loss(estimator: Any) -> str:
    loss = str(estimator.get_all_params().get("loss_function", ""))
    return loss.split(":")[0]


def _regression_link(estimator: Any, kind: ModelKind) -> str:
    """The link of a regressor: "log" for count / positive objectives, "logit" for probability
    regressors, "identity" otherwise."""
    if kind in ("lightgbm", "lightgbm_booster"):
        objective = _lightgbm_objective(estimator)
    elif kind == "xgboost":
        objective = str(estimator.get_params().get("objective") or "")
    elif kind == "catboost":
        return "log" if _catboost_loss(estimator) in ("Poisson", "Tweedie") else "identity"
    else:
        loss = getattr(estimator, "loss", "")
        family = getattr(estimator, "power", None)
        name = type(estimator).__name__
        if name in ("PoissonRegressor", "GammaRegressor") or (name == "TweedieRegressor" and family != 0):
            return "log" if getattr(estimator, "link", "auto") in ("auto", "log") else "identity"
        objective = str(loss) if isinstance(loss, str) else ""
    if objective in _LOG_LINK:
        return "log"
    if objective in _LOGIT_LINK:
        return "logit"
    return "identity"


def _lightgbm_objective(estimator: Any) -> str:
    booster = estimator if type(estimator).__name__ == "Booster" else estimator.booster_
    return str(booster.params.get("objective", ""))


@dataclass(frozen=True)
class ModelAdapter:
    """A fitted model seen through one interface.

    Build it with :meth:`from_model`; call :meth:`predict` with the model's own input (a
    DataFrame or array in the columns it was fitted on) and an output space. Predictions are
    always 2-D, ``(n_rows, n_outputs)``.
    """

    model: Any
    kind: ModelKind
    task: Task
    classes: tuple[Any, ...] | None
    estimator: Any
    preprocessor: Any | None
    feature_names: tuple[str, ...] | None
    n_features: int | None

    @classmethod
    def from_model(
        cls,
        model: Any,
        *,
        task: Task | None = None,
        class_names: Sequence[Any] | None = None,
    ) -> ModelAdapter:
        """Inspect ``model``: check it is fitted, find its task, classes and features."""
        if model is None:
            raise ModelError("model is None. Pass a fitted model or a prediction function.")
        if task is not None and task not in ("classification", "regression"):
            raise ModelError(f"task={task!r} is not known; use 'classification' or 'regression'.")
        if task == "regression" and class_names is not None:
            raise ModelError(_REGRESSOR_CLASS_NAMES.format(class_names=list(class_names)))
        estimator, preprocessor = _final_step(model)
        kind = _kind_of(estimator)
        if kind == "callable" and estimator is model:
            if task is None:
                raise ModelError(
                    "a plain function was given as the model, so its task is unknown. Pass "
                    "task='classification' (the function returns probabilities) or "
                    "task='regression'."
                )
            classes = tuple(class_names) if class_names is not None else None
            return cls(model, "callable", task, classes, model, None, None, None)
        if kind != "lightgbm_booster":
            _check_fitted(model)
        found_task = _task_of(estimator, kind)
        if task is not None and found_task is not None and task != found_task:
            raise ModelError(
                f"task={task!r} was declared but the model is a {found_task} model. Leave task=None "
                "(it is only needed for plain functions) or pass the matching task."
            )
        task = task or found_task
        if task is None:
            raise ModelError(
                f"cannot tell whether {type(estimator).__name__} is a classifier or a regressor. "
                "Pass task='classification' or task='regression'."
            )
        classes = _classes_of(estimator, kind, task, class_names)
        names = getattr(model, "feature_names_in_", None)
        n_features = getattr(model, "n_features_in_", None)
        if kind == "catboost" and estimator is model:
            names = list(model.feature_names_ or [])
            n_features = len(names)
            if all(str(n) == str(i) for i, n in enumerate(names)):  # fitted on an array: positions only
                names = None
        if kind == "lightgbm_booster":
            names, n_features = model.feature_name(), model.num_feature()
            if all(n.startswith("Column_") for n in names):
                names = None
        return cls(
            model,
            kind,
            task,
            classes,
            estimator,
            preprocessor,
            tuple(str(n) for n in names) if names is not None else None,
            int(n_features) if n_features is not None else None,
        )

    # ------------------------------------------------------------------ outputs

    @property
    def is_classifier(self) -> bool:
        return self.task == "classification"

    def default_output(self) -> OutputSpace:
        return "probability" if self.is_classifier else "raw"

    def has_margin(self) -> bool:
        if not self.is_classifier:
            return True
        if self.kind == "callable":
            return False  # a function declared as a classifier returns probabilities only
        if self.kind in ("lightgbm", "lightgbm_booster", "xgboost", "catboost", "ebm"):
            return True
        return hasattr(self.model, "decision_function")

    def check_output(self, space: str) -> None:
        """Raise :class:`ModelError` if this model has no ``space`` output."""
        if space not in OUTPUT_SPACES:
            raise ModelError(f"output={space!r} is not known; use one of {list(OUTPUT_SPACES)}.")
        if not self.is_classifier and space not in ("raw", "margin"):
            raise ModelError(
                f"output={space!r} needs a classifier, but this is a regression model; use output='raw' "
                "(or 'margin', the score before the model's link function)."
            )
        if space in ("raw", "margin") and not self.has_margin():
            raise ModelError(
                f"{type(self.estimator).__name__} has no decision margin, so output={space!r} is not "
                "available; use output='probability' or 'log_odds'."
            )

    def output_names(self, n_outputs: int) -> tuple[str, ...]:
        """Names of the outputs: the positive class, every class, or 'prediction'."""
        if not self.is_classifier:
            return ("prediction",) if n_outputs == 1 else tuple(f"output_{i}" for i in range(n_outputs))
        classes = self.classes
        if classes is None:
            classes = ("negative", "positive") if n_outputs == 1 else tuple(f"class_{i}" for i in range(n_outputs))
        if n_outputs == 1:
            return (str(classes[-1]),)
        return tuple(str(c) for c in classes)

    # ------------------------------------------------------------------ prediction

    def predict(self, X: Any, space: OutputSpace) -> np.ndarray:
        """Predict ``X`` (the model's own input) in ``space``; always ``(n_rows, n_outputs)``."""
        if space == "probability":
            out = self._proba(X)
        elif space == "log_odds":
            if self._binary_margin_is_log_odds():
                out = self._margin(X)
            else:
                p = np.clip(self._proba(X), _EPS, 1 - _EPS)
                out = np.log(p) - np.log1p(-p)
        elif self.is_classifier:
            out = self._margin(X)
        elif space == "margin":
            out = self._regression_margin(X)
        else:
            out = self._call(self._regress, X)
        out = np.asarray(out, dtype=float)
        if out.ndim == 1:
            out = out[:, None]
        _check_predictions(out, _n_rows(X), space, self)
        return out

    def _checked_probabilities(self, p: np.ndarray) -> np.ndarray:
        """``p`` unchanged, or a :class:`ModelError` if a declared classifier's output is not a
        probability (checked before log-odds are taken, which would hide it)."""
        tolerance = 1e-9  # rounding of a probability computed as 1 - (1 - p)
        outside = (p < -tolerance) | (p > 1 + tolerance)
        if outside.any():
            bad = p[outside]
            raise ModelError(
                f"the model is a classifier but returned {int(outside.sum())} value(s) outside [0, 1] "
                f"(from {bad.min():.6g} to {bad.max():.6g}), which are not probabilities. "
                + (
                    "Return probabilities of the positive class (or one column per class), or pass "
                    "task='regression' to explain the scores as they are."
                    if self.kind == "callable"
                    else "Check the model's predict_proba."
                )
            )
        return p

    def _binary_margin_is_log_odds(self) -> bool:
        return (
            self.classes is not None
            and len(self.classes) == 2
            and self.kind != "callable"
            and _margin_is_log_odds(self.estimator, self.kind)
        )

    def _call(self, fn: Callable[[Any], Any], X: Any) -> np.ndarray:
        try:
            return np.asarray(fn(X), dtype=float)
        except Exception as exc:  # the model's own error, with context
            raise ModelError(
                f"the model raised {type(exc).__name__} when predicting: {exc}"
            ) from exc

    def _regress(self, X: Any) -> Any:
        return self.model(X) if self.kind == "callable" else self.model.predict(X)

    def _proba(self, X: Any) -> np.ndarray:
        if self.kind == "callable":
            p = self._checked_probabilities(self._call(self.model, X))
            if p.ndim == 2 and p.shape[1] == 2:
                p = p[:, 1]
            return p
        if self.kind == "lightgbm_booster":
            p = self._call(self.model.predict, X)
        else:
            if not hasattr(self.model, "predict_proba"):
                raise ModelError(
                    f"{type(self.estimator).__name__} has no predict_proba, so probabilities "
                    "cannot be explained; use output='raw' to explain its decision function."
                )
            p = self._call(self.model.predict_proba, X)
        p = self._checked_probabilities(p)
        if p.ndim == 2 and p.shape[1] == 2:
            return p[:, 1]
        return p

    def link(self) -> str:
        """How a regressor's prediction is made from its margin: ``"identity"``, ``"log"`` or ``"logit"``."""
        if self.is_classifier or self.kind == "callable":
            return "identity"
        return _regression_link(self.estimator, self.kind)

    def _regression_margin(self, X: Any) -> np.ndarray:
        if self.kind in ("lightgbm", "lightgbm_booster", "xgboost", "catboost"):
            return self._margin(X)
        link = self.link()
        prediction = self._call(self._regress, X)
        if link == "log":
            with np.errstate(divide="ignore"):
                return np.log(prediction)
        return prediction

    def _margin(self, X: Any) -> np.ndarray:
        if self.kind == "lightgbm":
            return self._call(lambda Z: self.model.predict(Z, raw_score=True), X)
        if self.kind == "lightgbm_booster":
            return self._call(lambda Z: self.model.predict(Z, raw_score=True), X)
        if self.kind == "xgboost":
            return self._call(lambda Z: self.model.predict(Z, output_margin=True), X)
        if self.kind == "catboost":
            return self._call(lambda Z: self.model.predict(Z, prediction_type="RawFormulaVal"), X)
        return self._call(self.model.decision_function, X)

    # ------------------------------------------------------------------ input

    def name_key(self, name: str) -> str:
        """The form in which this model stores the column ``name`` (to match data to the model).

        LightGBM replaces spaces in feature names with underscores when it stores them, so a
        model fitted on a column ``"mean area"`` reports ``"mean_area"`` in ``feature_names_in_``.
        """
        if self.kind in ("lightgbm", "lightgbm_booster"):
            return name.replace(" ", "_")
        return name

    def allows_nan(self) -> bool:
        """Whether the model is documented to accept missing values (sklearn tags)."""
        if self.kind in ("lightgbm", "lightgbm_booster", "xgboost", "catboost", "ebm"):
            return True
        if self.kind == "callable":
            return True
        from sklearn.utils import get_tags

        first = self.model.steps[0][1] if self.preprocessor is not None else self.model
        try:
            return bool(get_tags(first).input_tags.allow_nan)
        except (AttributeError, TypeError, ValueError):
            return False


def _n_rows(X: Any) -> int | None:
    """Rows of the model's input (array, DataFrame, polars frame), or None for another object."""
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) >= 1:
        return int(shape[0])
    try:
        return len(X)
    except TypeError:
        return None


def _check_predictions(out: np.ndarray, n_rows: int | None, space: str, model: ModelAdapter) -> None:
    """Raise :class:`ModelError` unless ``out`` holds one finite prediction per input row.

    Every prediction an explanation is built from passes here, so the check stays cheap: one
    comparison of shapes and one pass of ``isfinite`` over an array the model just made.
    """
    name = "the function" if model.kind == "callable" else f"the {type(model.estimator).__name__}"
    if out.ndim != 2 or (n_rows is not None and out.shape[0] != n_rows):
        count = f"{out.shape[0]} predictions" if out.ndim >= 1 else f"predictions of shape {out.shape}"
        raise ModelError(
            f"{name} returned {count} (shape {out.shape}) for {n_rows} rows. A model must return one "
            "prediction per row: an array of shape (n_rows,) or (n_rows, n_outputs)."
        )
    finite = np.isfinite(out)
    if not finite.all():
        rows = np.flatnonzero(~finite.all(axis=1))
        what = "NaN" if np.isnan(out).any() else "infinite values"
        raise ModelError(
            f"{name} returned {what} in output space {space!r} for {len(rows)} of {out.shape[0]} rows "
            f"(rows {rows[:5].tolist()}{'...' if len(rows) > 5 else ''} of this call). Explanations need "
            "finite predictions: check the rows (values the model was not fitted on) and the model."
        )


def _task_of(estimator: Any, kind: ModelKind) -> Task | None:
    if kind == "lightgbm_booster":
        objective = _lightgbm_objective(estimator)
        if objective.startswith(("binary", "multiclass", "softmax", "cross_entropy")):
            return "classification"
        return "regression" if objective else None
    from sklearn.base import is_classifier, is_regressor

    if is_classifier(estimator):
        return "classification"
    if is_regressor(estimator):
        return "regression"
    return None


_REGRESSOR_CLASS_NAMES = (
    "class_names={class_names} were given, but the model is a regressor: it has no classes to name (its "
    "output is named 'prediction'). Leave class_names=None, or pass a classifier."
)


def _classes_of(
    estimator: Any, kind: ModelKind, task: Task, class_names: Sequence[Any] | None
) -> tuple[Any, ...] | None:
    if task != "classification":
        if class_names is not None:  # ignoring them would hide a mix-up of models
            raise ModelError(_REGRESSOR_CLASS_NAMES.format(class_names=list(class_names)))
        return None
    classes = getattr(estimator, "classes_", None)
    if kind == "lightgbm_booster":
        k = int(estimator.params.get("num_class", 1))
        classes = np.arange(max(k, 2))
    if class_names is not None:
        if classes is not None and len(class_names) != len(classes):
            raise ModelError(
                f"{len(class_names)} class_names were given but the model has {len(classes)} classes "
                f"{list(classes)}. Pass one name per class, in the order of the model's classes_."
            )
        return tuple(class_names)
    return tuple(c.item() if hasattr(c, "item") else c for c in classes) if classes is not None else None
