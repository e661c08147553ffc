"""Conformance checks that every registered explanation method must pass.

:func:`check_method` is to explanation methods what scikit-learn's ``check_estimator`` is to
estimators: it runs one registered method over a handful of small standard problems (binary,
multiclass and regression models, and a DataFrame with a string column behind a Pipeline) and
checks the invariants every method promises, whatever its algorithm.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._io import load
from .errors import MethodError
from .explainer import Explainer, Output
from .explanation import LocalExplanation
from .methods import REGISTRY, MethodSpec, Unsupported

__all__ = ["check_method"]

_N_BACKGROUND = 20
_ROWS = slice(60, 64)  # the rows explained: not in the background
_ADDITIVITY_TOL = 1e-6


@dataclass(frozen=True)
class _Case:
    """One model on one problem, explained in one output space."""

    label: str
    n_outputs: int
    model: Any
    X: pd.DataFrame
    background: pd.DataFrame | None
    output: Output  # "auto" or an output space


def check_method(name: str, *, random_state: int = 0) -> None:
    """Check that a registered explanation method keeps the promises every method makes.

    The method is run on small generated problems (a binary, a multiclass and a regression
    model; a DataFrame with a string column behind a ``Pipeline``), with several models each
    (linear, a decision tree, a tree ensemble), wherever its ``support`` accepts them. Each
    explanation must have:

    - values of shape ``(n, d)`` for one output or ``(n, d, k)`` for several, base values and
      predictions of shape ``(n,)`` / ``(n, k)``, all finite;
    - predictions equal to the model's own in the explained output space;
    - ``base_values + values.sum(axis=1) == predictions`` if the method claims to be additive;
    - read-only arrays and a frozen object;
    - the same values when run twice with the same ``random_state`` (whatever the state of
      numpy's global random generator), which the method must leave as it found it;
    - an identical explanation after a JSON round trip (``to_json`` then ``explain.load``);
    - a ``to_global()`` of shape ``(d,)`` / ``(d, k)``, the mean absolute attribution;
    - the DataFrame's column names as ``feature_names`` and its original values (strings
      included) as ``data``;
    - every setting of the method recorded in ``params``;

    and the user's ``X`` and background must be left unmodified. Where ``support`` refuses a
    problem, the :class:`~explain.Explainer` must refuse it with a
    :class:`~explain.errors.MethodError`.

    Parameters
    ----------
    name : str
        A name in ``explain.methods.REGISTRY``.
    random_state : int, default 0
        Seed of the generated problems and of the method.

    Raises
    ------
    AssertionError
        If an invariant does not hold, or the method supports none of the problems. The message
        lists every failure, each with the problem, model and output space it occurred on.
    explain.errors.MethodError
        If ``name`` is not a registered method.

    Examples
    --------
    >>> from explain.testing import check_method
    >>> check_method("linear_shap")
    """
    if name not in REGISTRY:
        raise MethodError(f"unknown method {name!r}; registered methods are {sorted(REGISTRY)}.")
    spec = REGISTRY[name]
    failures: list[str] = []
    supported = 0
    for case in _cases(spec, random_state):
        try:
            ran = _check_case(spec, case, random_state)
        except AssertionError as exc:
            failures.append(f"{case.label}: {exc}")
            continue
        except Exception as exc:  # a crash is a failure like any other; report it and go on
            failures.append(f"{case.label}: raised {type(exc).__name__}: {exc}")
            continue
        supported += ran
    if failures:
        listed = "\n  - ".join(failures)
        raise AssertionError(f"check_method({name!r}) found {len(failures)} failure(s):\n  - {listed}")
    if supported == 0:
        raise AssertionError(f"check_method({name!r}): the method supports none of the standard problems.")


# --------------------------------------------------------------------------- one case


def _check_case(spec: MethodSpec, case: _Case, random_state: int) -> bool:
    """Run and check one case; False if the method does not support it."""
    X_before = case.X.copy(deep=True)
    bg_before = None if case.background is None else case.background.copy(deep=True)
    explainer = Explainer(
        case.model, background=case.background, method=spec.name, output=case.output, random_state=random_state
    )
    try:
        job, _ = explainer._prepare(case.X)  # the very Job explain_local would build
        spec.support(job)
    except Unsupported:
        try:
            explainer.explain_local(case.X)
        except MethodError:
            return False
        raise AssertionError("support() refused the model but the Explainer ran the method anyway") from None
    global_rng: Any = np.random.get_state()  # noqa: NPY002 - checking that the method leaves it alone
    local = explainer.explain_local(case.X)
    _check_rng_untouched(global_rng)
    _check_unmodified(case, X_before, bg_before)
    for check in _CHECKS:
        check(spec, case, local)
    # the same random_state must give the same values whatever the caller did to numpy's RNG
    np.random.seed(random_state + 1)  # noqa: NPY002
    try:
        again = explainer.explain_local(case.X)
    finally:
        np.random.set_state(global_rng)  # noqa: NPY002
    _check_same(local, again)
    return True


def _check_rng_untouched(before: Any) -> None:
    after: Any = np.random.get_state()  # noqa: NPY002
    same = before[0] == after[0] and np.array_equal(before[1], after[1]) and tuple(before[2:]) == tuple(after[2:])
    assert same, "the method changed the state of numpy's global random number generator"


def _check_shapes(spec: MethodSpec, case: _Case, local: LocalExplanation) -> None:
    n, d = case.X.shape
    k = case.n_outputs
    values_shape = (n, d) if k == 1 else (n, d, k)
    out_shape = (n,) if k == 1 else (n, k)
    assert local.method == spec.name, f"method is {local.method!r}, expected {spec.name!r}"
    assert local.values.shape == values_shape, f"values have shape {local.values.shape}, expected {values_shape}"
    assert local.base_values.shape == out_shape, (
        f"base_values have shape {local.base_values.shape}, expected {out_shape}"
    )
    assert local.predictions.shape == out_shape, (
        f"predictions have shape {local.predictions.shape}, expected {out_shape}"
    )
    assert len(local.output_names) == k, f"{len(local.output_names)} output names for {k} outputs"
    for field in ("values", "base_values", "predictions"):
        assert np.isfinite(getattr(local, field)).all(), f"{field} are not all finite"


def _check_predictions(spec: MethodSpec, case: _Case, local: LocalExplanation) -> None:
    expected = _model_output(case, local.output_space)
    expected = expected[:, 0] if case.n_outputs == 1 else expected
    err = float(np.max(np.abs(local.predictions - expected)))
    assert err <= 1e-6 * (1.0 + float(np.abs(expected).max())), (
        f"predictions differ from the model's own {local.output_space} output by {err:.3g}"
    )
    if spec.additive:
        scale = max(1.0, float(np.abs(local.predictions).max()))
        err = local.additivity_error()
        assert err <= _ADDITIVITY_TOL * scale, (
            f"the method claims to be additive but base_values + values.sum(axis=1) misses the predictions by {err:.3g}"
        )


def _check_frozen(spec: MethodSpec, case: _Case, local: LocalExplanation) -> None:
    for field in ("values", "base_values", "predictions", "data"):
        array = getattr(local, field)
        assert not array.flags.writeable, f"{field} is writeable"
        try:
            array.flat[0] = array.flat[0]
        except ValueError:
            pass
        else:
            raise AssertionError(f"{field} accepted an assignment")
    try:
        local.method = "changed"  # type: ignore[misc]
    except dataclasses.FrozenInstanceError:
        pass
    else:
        raise AssertionError("the explanation accepted an attribute assignment")


def _check_names_and_data(spec: MethodSpec, case: _Case, local: LocalExplanation) -> None:
    X = case.X
    assert local.feature_names == tuple(X.columns), (
        f"feature_names {local.feature_names} differ from the DataFrame's columns {tuple(X.columns)}"
    )
    for j, column in enumerate(X.columns):
        given, held = X[column].to_numpy(), local.data[:, j]
        if X[column].dtype.kind in "biuf":
            same = np.array_equal(np.asarray(held, dtype=float), given.astype(float))
        else:
            same = list(held) == list(given)
        assert same, f"data[:, {j}] does not hold the values of column {column!r}"
    missing = sorted(set(spec.defaults) - set(local.params))
    assert not missing, f"the method's settings {missing} are not recorded in params"


def _check_json(spec: MethodSpec, case: _Case, local: LocalExplanation) -> None:
    text = local.to_json()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "local.json"
        path.write_text(text, encoding="utf-8")
        loaded = load(path)
    assert isinstance(loaded, LocalExplanation), f"explain.load returned a {type(loaded).__name__}"
    for field in ("values", "base_values", "predictions"):
        assert np.array_equal(getattr(loaded, field), getattr(local, field)), f"{field} changed in a JSON round trip"
    assert list(map(list, loaded.data)) == list(map(list, local.data)), "data changed in a JSON round trip"
    for field in ("feature_names", "output_names", "output_space", "method"):
        assert getattr(loaded, field) == getattr(local, field), f"{field} changed in a JSON round trip"
    assert loaded.to_json() == text, "the JSON of the reloaded explanation differs from the original"


def _check_global(spec: MethodSpec, case: _Case, local: LocalExplanation) -> None:
    glob = local.to_global()
    d, k = case.X.shape[1], case.n_outputs
    shape = (d,) if k == 1 else (d, k)
    assert glob.importances.shape == shape, (
        f"to_global() importances have shape {glob.importances.shape}, expected {shape}"
    )
    assert np.allclose(glob.importances, np.abs(local.values).mean(axis=0), rtol=0, atol=1e-12), (
        "to_global() importances are not the mean absolute attributions"
    )
    assert glob.feature_names == local.feature_names, "to_global() changed the feature names"


_CHECKS: tuple[Callable[[MethodSpec, _Case, LocalExplanation], None], ...] = (
    _check_shapes,
    _check_predictions,
    _check_frozen,
    _check_names_and_data,
    _check_json,
    _check_global,
)


def _check_unmodified(case: _Case, X_before: pd.DataFrame, bg_before: pd.DataFrame | None) -> None:
    try:
        pd.testing.assert_frame_equal(case.X, X_before)
        if bg_before is not None:
            pd.testing.assert_frame_equal(case.background, bg_before)
    except AssertionError as exc:
        raise AssertionError(f"the user's input was modified: {exc}") from None


def _check_same(first: LocalExplanation, second: LocalExplanation) -> None:
    for field in ("values", "base_values", "predictions"):
        assert np.array_equal(getattr(first, field), getattr(second, field)), (
            f"two runs with the same random_state gave different {field}"
        )
    assert first.content_hash() == second.content_hash(), "two runs with the same random_state differ"


def _model_output(case: _Case, space: str) -> np.ndarray:
    """The model's own predictions in ``space``, read straight from the model, ``(n, k)``."""
    model, X = case.model, case.X
    if space == "probability":
        out = model.predict_proba(X)
    elif space == "log_odds":
        p = np.clip(model.predict_proba(X), 1e-15, 1 - 1e-15)
        out = np.log(p) - np.log1p(-p)
    elif hasattr(model, "decision_function"):
        out = model.decision_function(X)
    else:
        out = model.predict(X)
    out = np.asarray(out, dtype=float)
    if out.ndim == 2 and out.shape[1] == 2:  # binary: the positive class
        out = out[:, 1]
    return out.reshape(len(X), -1)


# --------------------------------------------------------------------------- the problems


def _cases(spec: MethodSpec, seed: int) -> Iterator[_Case]:
    """Every (problem, model, output) the method is checked on, models fitted."""
    problems = _problems(seed)
    agnostic = _reads_predictions_only(spec, seed)
    seen: set[str] = set()
    for problem, label, model, output in _models(seed):
        if agnostic and problem in seen and output == "auto":
            # the method sees nothing of a model but its predictions: one model per problem
            # (and per output space) is enough, and more would only test scikit-learn
            continue
        seen.add(problem)
        X, y, k = problems[problem]
        model.fit(X, y)
        rows = X.iloc[_ROWS].reset_index(drop=True)
        background = X.iloc[:_N_BACKGROUND].reset_index(drop=True)
        name = f"{problem} / {label} (output={output})"
        yield _Case(name, k, model, rows, background, output)
        if not spec.needs_background:
            yield _Case(f"{name} without background", k, model, rows, None, output)


def _problems(seed: int) -> dict[str, tuple[pd.DataFrame, np.ndarray, int]]:
    """Small generated data sets: (X, y, number of outputs explained)."""
    from sklearn.datasets import make_classification, make_regression

    def frame(X: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])

    shape = {"n_features": 4, "n_informative": 3, "random_state": seed}
    Xb, yb = make_classification(n_samples=80, n_redundant=0, **shape)
    Xm, ym = make_classification(n_samples=90, n_redundant=0, n_classes=3, n_clusters_per_class=1, **shape)
    Xr, yr = make_regression(n_samples=80, noise=5.0, **shape)
    return {
        "binary": (frame(Xb), yb, 1),
        "multiclass": (frame(Xm), ym, 3),
        "regression": (frame(Xr), yr, 1),
        "string column": _mixed_frame(seed),
    }


def _models(seed: int) -> list[tuple[str, str, Any, Output]]:
    """(problem, label, unfitted model, output): a linear model first, then trees."""
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    def one_hot(estimator: Any) -> Any:
        encoder = make_column_transformer((OneHotEncoder(handle_unknown="ignore"), ["city"]), remainder="passthrough")
        return make_pipeline(encoder, estimator)

    small = {"max_depth": 3, "random_state": seed}
    boost = {"n_estimators": 10, "max_depth": 2, "random_state": seed}
    return [
        ("binary", "logistic regression", LogisticRegression(), "auto"),
        ("binary", "logistic regression", LogisticRegression(), "log_odds"),
        ("binary", "decision tree", DecisionTreeClassifier(**small), "auto"),
        ("binary", "gradient boosting", GradientBoostingClassifier(**boost), "auto"),
        ("multiclass", "logistic regression", LogisticRegression(), "auto"),
        ("multiclass", "decision tree", DecisionTreeClassifier(**small), "auto"),
        ("multiclass", "random forest", RandomForestClassifier(n_estimators=5, **small), "auto"),
        ("regression", "ridge", Ridge(), "auto"),
        ("regression", "decision tree", DecisionTreeRegressor(**small), "auto"),
        ("regression", "gradient boosting", GradientBoostingRegressor(**boost), "auto"),
        ("string column", "one-hot ridge pipeline", one_hot(Ridge()), "auto"),
        ("string column", "one-hot tree pipeline", one_hot(DecisionTreeRegressor(**small)), "auto"),
    ]


def _reads_predictions_only(spec: MethodSpec, seed: int) -> bool:
    """Whether the method explains a plain function, i.e. is model-agnostic."""
    X = pd.DataFrame(np.random.default_rng(seed).normal(size=(6, 3)), columns=["a", "b", "c"])
    explainer = Explainer(lambda Z: np.asarray(Z, dtype=float).sum(axis=1), background=X[2:], task="regression")
    try:
        job, _ = explainer._prepare(X[:2])
        spec.support(job)
    except Unsupported:
        return False
    return True


def _mixed_frame(seed: int) -> tuple[pd.DataFrame, np.ndarray, int]:
    """Numbers and a string column (object dtype), with a regression target."""
    rng = np.random.default_rng(seed)
    n = 80
    X = pd.DataFrame({"age": rng.normal(40.0, 10.0, n), "income": rng.gamma(2.0, 1.5, n)})
    X["city"] = pd.Series(rng.choice(["oslo", "paris", "rome"], n), dtype=object)
    X["tenure"] = rng.integers(0, 20, n).astype(float)
    y = 0.1 * X["age"] + X["income"] + 2.0 * (X["city"] == "rome") + rng.normal(0.0, 0.5, n)
    return X, y.to_numpy(), 1
