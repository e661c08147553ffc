"""lime against the ``lime`` package: the same fit on the same sample, the same sampling
distribution, and agreement on real data within lime's own seed-to-seed noise."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
from lime.lime_tabular import LimeTabularExplainer
from scipy.stats import ks_2samp, spearmanr
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import explain as ex
import explain.methods.lime as lime_method
from explain.errors import MethodError
from explain.methods import AUTO_ORDER
from explain.methods.lime import _draw, _fit_column, _fit_rows, _row_labels

SAMPLES = 2000


def _lime(model, background, rows, *, seed=0, n_jobs=None, **params):
    params = {"num_samples": SAMPLES, **params}
    explainer = ex.Explainer(
        model,
        background=background,
        method="lime",
        method_params=params,
        random_state=seed,
        background_size=None,
        n_jobs=n_jobs,
    )
    return explainer.explain_local(rows)


def _per_output(values: np.ndarray) -> np.ndarray:
    """``(n, d)`` or ``(n, d, k)`` attributions as one ``d``-vector per (row, output)."""
    return values if values.ndim == 2 else np.transpose(values, (0, 2, 1)).reshape(-1, values.shape[1])


def _top_k_jaccard(a: np.ndarray, b: np.ndarray, k: int) -> float:
    def top(v):
        return set(np.argsort(-np.abs(v), kind="stable")[:k])

    return float(np.mean([len(top(x) & top(y)) / len(top(x) | top(y)) for x, y in zip(a, b, strict=True)]))


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean([spearmanr(x, y)[0] for x, y in zip(a, b, strict=True)]))


# --------------------------------------------------------------------------- the same fit on lime's own sample


class _Recorder:
    """A prediction function that keeps what lime asks it to score."""

    def __init__(self, f: Callable[[np.ndarray], np.ndarray]) -> None:
        self.f, self.calls = f, []

    def __call__(self, z: np.ndarray) -> np.ndarray:
        self.calls.append(np.array(z))
        return self.f(z)


class _KeepFits:
    """Stands in for lime's LimeBase and keeps the (intercept, weights, score, local_pred) of every label."""

    def __init__(self, base: Any) -> None:
        self.base, self.fits = base, []

    def explain_instance_with_data(self, *args: Any, **kwargs: Any) -> Any:
        self.fits.append(self.base.explain_instance_with_data(*args, **kwargs))
        return self.fits[-1]


def _numeric_and_code_data():
    """Ten breast cancer columns and an integer-coded categorical column; a probability model."""
    X, y = load_breast_cancer(return_X_y=True)
    X = X[:, :10]
    code = np.random.default_rng(0).integers(0, 3, len(X)).astype(float)
    X = np.column_stack([X, code])
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    return X, model.predict_proba


@pytest.mark.parametrize("discretize", [True, False], ids=["quartiles", "continuous"])
def test_same_sample_gives_lime_s_fit(discretize):
    """On the very sample lime drew, our design, kernel, ridge and R^2 give lime's numbers."""
    X, f = _numeric_and_code_data()
    background, x = X[:300], X[450]
    d, categorical = X.shape[1], [X.shape[1] - 1]
    explainer = LimeTabularExplainer(
        background,
        mode="classification",
        categorical_features=categorical,
        discretize_continuous=discretize,
        feature_selection="none",
        random_state=3,
    )
    explainer.base = keep = _KeepFits(explainer.base)
    recorder = _Recorder(f)
    exp = explainer.explain_instance(x, recorder, labels=(0, 1), num_features=d, num_samples=SAMPLES)
    (sample,) = recorder.calls
    assert np.array_equal(sample[0], x)

    columns = [_fit_column(background[:, j], j in categorical, discretize) for j in range(d)]
    discrete = np.array([c.kind != "continuous" for c in columns])
    labels = _row_labels(columns, sample[1:]).T[None]
    row = _row_labels(columns, x[None])
    width = 0.75 * np.sqrt(d)
    fit = _fit_rows(labels, f(sample[1:])[None], row, f(x[None]), discrete, width)
    coef, intercept, r2, local = (part[0] for part in fit)
    for label in (0, 1):
        theirs = np.zeros(d)
        for j, w in exp.local_exp[label]:
            theirs[j] = w
        assert np.abs(coef[:, label] - theirs).max() < 1e-10
        assert abs(intercept[label] - exp.intercept[label]) < 1e-10
        assert abs(r2[label] - keep.fits[label][2]) < 1e-10
        assert abs(local[label] - keep.fits[label][3][0]) < 1e-10


def test_sample_has_lime_s_distribution():
    """Bin frequencies and values inside the bins: our sampler against lime's, feature by feature."""
    X, f = _numeric_and_code_data()
    background, d = X[:300], X.shape[1]
    explainer = LimeTabularExplainer(background, categorical_features=[d - 1], random_state=1)
    recorder = _Recorder(f)
    explainer.explain_instance(X[450], recorder, labels=(1,), num_samples=20_001)
    theirs = recorder.calls[0][1:]
    columns = [_fit_column(background[:, j], j == d - 1, True) for j in range(d)]
    _, ours = _draw(columns, np.random.default_rng(0), 20_000)
    for j in range(d):
        assert ks_2samp(ours[:, j], theirs[:, j]).pvalue > 1e-3, j
        assert ours[:, j].min() >= background[:, j].min() and ours[:, j].max() <= background[:, j].max()


def test_a_single_valued_bin_gives_its_value_where_lime_gives_zero():
    """The one deliberate difference: diabetes' two-valued 'sex' keeps its two values."""
    X, _ = load_diabetes(return_X_y=True)
    sex = X[:, 1]
    column = _fit_column(sex, False, True)
    _, values = _draw([column], np.random.default_rng(0), 2000)
    nearest = np.abs(values[:, :, None] - np.unique(sex)).argmin(axis=2)
    assert set(nearest.ravel()) == {0, 1}  # both values drawn ...
    assert np.abs(values - np.unique(sex)[nearest]).max() < 1e-9  # ... and nothing else (up to lime's 1e-11 std floor)
    recorder = _Recorder(lambda z: np.zeros(len(z)))
    LimeTabularExplainer(X, mode="regression", random_state=0).explain_instance(X[0], recorder, num_samples=2000)
    assert 0.0 in set(recorder.calls[0][1:, 1])  # lime's z-score of the lower bin, not one of its values


# --------------------------------------------------------------------------- agreement on real data


@dataclass(frozen=True)
class _Problem:
    model: Any
    background: Any
    rows: Any
    top: int  # top-k features compared: 5, or 2 of 4
    space: str


def _problem(name: str, request: pytest.FixtureRequest) -> _Problem:
    if name == "breast cancer (binary)":
        X, y = load_breast_cancer(return_X_y=True, as_frame=True)
        model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
        return _Problem(model, X.iloc[:300], X.iloc[400:420], 5, "probability")
    if name == "diabetes (regression)":
        X, y = load_diabetes(return_X_y=True, as_frame=True)
        model = HistGradientBoostingRegressor(max_iter=30, random_state=0).fit(X, y)
        return _Problem(model, X.iloc[:300], X.iloc[350:370], 5, "raw")
    if name == "iris (3 classes)":
        X, y = load_iris(return_X_y=True, as_frame=True)
        model = LogisticRegression(max_iter=1000).fit(X, y)
        return _Problem(model, X, X.iloc[::8], 2, "probability")
    data = request.getfixturevalue("mixed_data")  # numbers, strings and a pandas Categorical
    model = request.getfixturevalue("mixed_pipeline")
    return _Problem(model, data.X.iloc[:150], data.X.iloc[150:170], 2, "probability")


PROBLEMS = ["breast cancer (binary)", "diabetes (regression)", "iris (3 classes)", "mixed numeric/categorical"]


@pytest.fixture(scope="module", params=PROBLEMS)
def explained(request):
    p = _problem(request.param, request)
    runs = {
        "ours": _lime(p.model, p.background, p.rows, seed=0),
        "ours other seed": _lime(p.model, p.background, p.rows, seed=1),
        "independent": _lime(p.model, p.background, p.rows, seed=0, sample="independent"),
        "lime": _lime(p.model, p.background, p.rows, seed=0, engine="lime"),
        "lime other seed": _lime(p.model, p.background, p.rows, seed=1, engine="lime"),
    }
    return p, runs


def test_top_features_agree_with_lime_as_lime_agrees_with_itself(explained):
    p, runs = explained
    v = {name: _per_output(local.values) for name, local in runs.items()}
    lime_self = _top_k_jaccard(v["lime"], v["lime other seed"], p.top)
    for mode in ("ours", "independent"):
        assert _top_k_jaccard(v[mode], v["lime"], p.top) >= lime_self - 0.1, mode


def test_coefficients_rank_like_lime_s(explained):
    _, runs = explained
    v = {name: _per_output(local.values) for name, local in runs.items()}
    lime_self = _spearman(v["lime"], v["lime other seed"])
    assert lime_self > 0.8
    for mode in ("ours", "independent"):
        assert _spearman(v[mode], v["lime"]) > min(0.8, lime_self - 0.05), mode


def test_fidelity_is_lime_s_score(explained):
    _, runs = explained
    ours, lime = runs["ours"], runs["lime"]
    for local in (ours, lime):
        assert set(local.diagnostics) == {"fidelity", "local_prediction"}
        assert local.diagnostics["fidelity"].shape == local.base_values.shape
        assert (local.diagnostics["fidelity"] <= 1.0).all()
    assert abs(ours.diagnostics["fidelity"].mean() - lime.diagnostics["fidelity"].mean()) < 0.05
    # the surrogate's prediction at the row: its intercept plus every coefficient (the row is in all its bins)
    total = ours.base_values + ours.values.sum(axis=1)
    assert np.allclose(ours.diagnostics["local_prediction"], total, atol=1e-10)


def test_outputs_and_spaces(explained):
    p, runs = explained
    ours = runs["ours"]
    n, d = p.rows.shape
    k = len(ours.output_names)
    assert ours.values.shape == ((n, d) if k == 1 else (n, d, k))
    assert ours.output_space == p.space
    assert ours.params["engine"] == "batched" and ours.params["sample"] == "shared"
    assert runs["lime"].params["engine"] == "lime" and runs["lime"].params["sample"] == "independent"


# --------------------------------------------------------------------------- reproducibility and settings


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X.iloc[:, :8]
    return make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y), X


@pytest.mark.parametrize("params", [{}, {"sample": "independent"}, {"engine": "lime"}, {"discretize": False}], ids=str)
def test_same_seed_identical_other_seed_different(cancer, params):
    model, X = cancer
    first = _lime(model, X[:200], X[300:304], seed=5, num_samples=500, **params)
    again = _lime(model, X[:200], X[300:304], seed=5, num_samples=500, **params)
    other = _lime(model, X[:200], X[300:304], seed=6, num_samples=500, **params)
    assert np.array_equal(first.values, again.values)
    assert first.content_hash() == again.content_hash()
    assert not np.allclose(first.values, other.values)


def test_shapes_for_binary_multiclass_and_regression(cancer, iris_data, diabetes_linreg, diabetes_data):
    model, X = cancer
    binary = _lime(model, X[:100], X[300:303], num_samples=300)
    assert binary.values.shape == (3, 8) and binary.output_space == "probability"
    iris_model = LogisticRegression(max_iter=1000).fit(iris_data.X, iris_data.y)
    multi = _lime(iris_model, iris_data.X, iris_data.X[:3], num_samples=300)
    assert multi.values.shape == (3, 4, 3) and multi.diagnostics["fidelity"].shape == (3, 3)
    assert multi.output_names == ("setosa", "versicolor", "virginica")
    regression = _lime(diabetes_linreg, diabetes_data.X, diabetes_data.X[:3], num_samples=300)
    assert regression.values.shape == (3, 6) and regression.output_space == "raw"
    log_odds = ex.Explainer(model, background=X[:100], method="lime", output="log_odds").explain_local(X[300:302])
    assert log_odds.output_space == "log_odds"


def test_shared_sample_serves_every_row_with_its_own_design(cancer):
    """Rows in the same bins get the same fit whatever else is in the call; a fresh sample per
    row gives each row different sampling noise (the same row: the same sample)."""
    model, X = cancer
    rows = X.iloc[[300, 300, 301, 300]].copy()
    rows.iloc[3, 0] *= 1.0 + 1e-9  # another row, in the same bins (its own prediction is in its fit)
    shared = _lime(model, X[:200], rows, num_samples=500)
    independent = _lime(model, X[:200], rows, num_samples=500, sample="independent")
    assert np.array_equal(shared.values[0], shared.values[1])
    assert np.abs(shared.values[0] - shared.values[3]).max() < 1e-8
    assert np.array_equal(independent.values[0], independent.values[1])  # a row's stream is keyed by its values
    assert not np.array_equal(independent.values[0], independent.values[3])
    assert np.allclose(shared.values[0], independent.values[0], atol=0.1)


@pytest.mark.parametrize("sample", ["shared", "independent"])
def test_values_do_not_depend_on_the_other_rows_chunks_or_n_jobs(cancer, monkeypatch, sample):
    from explain.methods import _batch

    model, X = cancer
    together = _lime(model, X[:200], X[300:310], num_samples=400, sample=sample)
    alone = _lime(model, X[:200], X[303:304], num_samples=400, sample=sample)
    assert np.abs(together.values[3] - alone.values[0]).max() < 1e-12
    monkeypatch.setattr(_batch, "MAX_TASK_ROWS", 1)
    monkeypatch.setattr(lime_method, "CHUNK_ELEMENTS", 8 * 150)  # one row per task, 150 perturbed rows per model call
    apart = _lime(model, X[:200], X[300:310], num_samples=400, sample=sample, n_jobs=2)
    assert np.abs(apart.values - together.values).max() < 1e-12


@pytest.mark.parametrize("sample", ["shared", "independent"])
def test_ridge_problems_solved_together_or_apart_give_the_same_fit(cancer, monkeypatch, sample):
    model, X = cancer
    together = _lime(model, X[:200], X[300:307], num_samples=400, sample=sample)
    monkeypatch.setattr(lime_method, "FIT_ELEMENTS", 1)  # one row per solve
    monkeypatch.setattr(lime_method, "CHUNK_ELEMENTS", 8 * 150)  # 150 perturbed rows per model call
    apart = _lime(model, X[:200], X[300:307], num_samples=400, sample=sample)
    assert np.abs(together.values - apart.values).max() < 1e-12
    assert np.abs(together.diagnostics["fidelity"] - apart.diagnostics["fidelity"]).max() < 1e-12


def test_kernel_width_and_settings_are_recorded(cancer):
    model, X = cancer
    default = _lime(model, X[:200], X[300:302], num_samples=300)
    assert default.params["kernel_width"] == pytest.approx(0.75 * np.sqrt(8))
    assert default.params["num_samples"] == 300 and default.params["discretize"] is True
    wide = _lime(model, X[:200], X[300:302], num_samples=300, kernel_width=100.0)
    assert wide.params["kernel_width"] == 100.0
    assert not np.allclose(wide.values, default.values)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"engine": "fast"}, "engine='fast'"),
        ({"sample": "some"}, "sample='some'"),
        ({"num_samples": 1}, "num_samples=1"),
        ({"kernel_width": -1.0}, "kernel_width=-1.0"),
        ({"discretize": "yes"}, "discretize='yes'"),
        ({"engine": "lime", "sample": "shared"}, "fresh sample for every row"),
    ],
)
def test_bad_settings_are_errors(cancer, params, message):
    model, X = cancer
    with pytest.raises(MethodError, match=message):
        _lime(model, X[:50], X[300:301], **params)


def test_missing_values_and_no_background_are_refused(cancer):
    model, X = cancer
    with pytest.raises(MethodError, match="background"):
        ex.Explainer(model, method="lime").explain_local(X[:2])
    holes = X[:50].copy()
    holes.iloc[0, 0] = np.nan
    from sklearn.ensemble import HistGradientBoostingClassifier

    nan_model = HistGradientBoostingClassifier(max_iter=5).fit(holes, np.arange(50) % 2)
    with pytest.raises(MethodError, match="missing values"):
        ex.Explainer(nan_model, background=holes, method="lime").explain_local(X[:2])


def test_not_chosen_by_auto():
    assert "lime" not in AUTO_ORDER


def test_user_data_unmodified_and_json_round_trip(tmp_path, mixed_data, mixed_pipeline):
    X_before = mixed_data.X.copy(deep=True)
    local = _lime(mixed_pipeline, mixed_data.X, mixed_data.X.iloc[:5], num_samples=500)
    pd.testing.assert_frame_equal(mixed_data.X, X_before)
    path = tmp_path / "lime.json"
    local.to_json(path)
    loaded = ex.load(path)
    assert set(loaded.diagnostics) == {"fidelity", "local_prediction"}
    for key, value in local.diagnostics.items():
        assert np.array_equal(loaded.diagnostics[key], value)
    assert loaded.to_json() == local.to_json()


def test_leaves_the_global_random_state_alone(cancer):
    model, X = cancer
    np.random.seed(123)  # noqa: NPY002 - the caller's own use of the legacy RNG
    before = np.random.get_state()  # noqa: NPY002
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for engine in ("batched", "lime"):
            _lime(model, X[:50], X[300:302], num_samples=200, engine=engine)
    after = np.random.get_state()  # noqa: NPY002
    assert np.array_equal(before[1], after[1]) and before[2:] == after[2:]
