"""Counterfactual explanations: every one returned reaches the desired outcome (checked here with
the model again), changes no immutable feature and stays within the allowed values; the search
finds them for most adverse credit decisions, sparse and diverse, byte for byte the same under a
seed; regression and multiclass goals; the result object; bad inputs."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from _mutate import mutated
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes, load_wine
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import explain as ex
from explain.datasets import credit_splits
from explain.errors import FeatureMismatchError, InputError, SchemaError

CUTOFF = 0.7  # the demo bank's: approve when P(repaid) >= 0.7
IMMUTABLE = ("age",)


@dataclasses.dataclass(frozen=True)
class Credit:
    model: Pipeline
    train: pd.DataFrame
    adverse: pd.DataFrame
    features: list[str]


@pytest.fixture(scope="module")
def credit() -> Credit:
    """A one-hot + gradient-boosting Pipeline on the shipped credit data; the first 60 applicants
    of 2024 it declines."""
    split = credit_splits()
    features = list(split.features)
    categorical = [c for c in features if str(split.X_train[c].dtype) in ("category", "object")]
    encode = ColumnTransformer(
        [("categories", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical)],
        remainder="passthrough",
    )
    gbm = HistGradientBoostingClassifier(max_iter=60, max_depth=3, learning_rate=0.1, random_state=0)
    model = Pipeline([("encode", encode), ("gbm", gbm)]).fit(split.X_train[features], split.y_train)
    test = split.X_test[features]
    declined = test[model.predict_proba(test)[:, 1] < CUTOFF]
    return Credit(model, split.X_train[features], declined.iloc[:60], features)


@pytest.fixture(scope="module")
def found(credit: Credit) -> ex.Counterfactuals:
    return ex.counterfactuals(
        credit.model, credit.adverse, data=credit.train, desired=1, threshold=CUTOFF, immutable=IMMUTABLE, k=3
    )


# --------------------------------------------------------------------------- credit decisions


def test_found_for_most_declined_applicants(found: ex.Counterfactuals):
    rate = found.found.mean()
    print(f"counterfactuals found for {rate:.1%} of {found.n_rows} declined applicants")
    assert rate >= 0.95
    assert all(note for note, has in zip(found.notes, found.found, strict=True) if not has)


def test_every_counterfactual_is_approved_by_the_model(credit: Credit, found: ex.Counterfactuals):
    rows = found.candidates()
    p = credit.model.predict_proba(rows[credit.features])[:, 1]
    assert (p >= CUTOFF).all()
    np.testing.assert_allclose(rows["prediction"], p)
    assert (rows["outcome"] == 1).all() and set(found.new_outcomes) == {1}
    assert (found.scores < CUTOFF).all() and set(found.outcomes) == {0}


def test_immutable_features_never_change(credit: Credit, found: ex.Counterfactuals):
    assert not set(found.to_frame()["feature"]) & set(IMMUTABLE)
    rows = found.candidates()
    original = credit.adverse.iloc[rows.index.get_level_values("row")]
    np.testing.assert_array_equal(rows["age"].to_numpy(), original["age"].to_numpy())


def test_new_values_are_observed_in_the_data(credit: Credit, found: ex.Counterfactuals):
    frame = found.to_frame()
    for feature, part in frame.groupby("feature"):
        seen = set(credit.train[feature].dropna().tolist())
        assert set(part["new_value"]) <= seen, feature
    bounds = found.params["ranges"]
    assert list(bounds["income"]) == [credit.train["income"].min(), credit.train["income"].max()]
    assert set(bounds["employment_type"]) == set(credit.train["employment_type"].dropna())


def test_counterfactuals_are_sparse_and_diverse(found: ex.Counterfactuals):
    frame = found.to_frame()
    changes = frame.groupby(["row", "counterfactual"]).size()
    print(f"mean changed features {changes.mean():.2f}; {len(changes)} counterfactuals")
    assert changes.mean() <= 2.0
    assert (found.changed().sum(1) >= 1).all()
    per_row = pd.Series(found.rows).value_counts()
    assert per_row.max() <= 3 and (per_row == 3).mean() >= 0.8
    for r in np.unique(found.rows):  # each alternative changes another set of features
        sets = [frozenset(np.flatnonzero(c)) for c in found.changed()[found.rows == r]]
        assert len(set(sets)) == len(sets)
    cost = found.params["scales"]
    assert set(cost) >= {"income", "debt_to_income"}


def test_closest_first_and_no_change_is_needless(credit: Credit, found: ex.Counterfactuals):
    """Undoing any one change of a counterfactual loses the approval (it was simplified)."""
    rows = found.candidates()[credit.features]
    changed = found.changed()
    for i in range(0, len(rows), 7):
        r = found.rows[i]
        for j in np.flatnonzero(changed[i]):
            undone = rows.iloc[[i]].copy()
            undone.iloc[0, j] = credit.adverse.iloc[r, j]
            if changed[i].sum() > 1:
                assert credit.model.predict_proba(undone)[0, 1] < CUTOFF
    first = found.counterfactual == 0
    assert (found.rows[first] == np.unique(found.rows)).all()


def test_same_seed_same_bytes_and_rows_do_not_depend_on_each_other(credit: Credit, found: ex.Counterfactuals):
    args = {"data": credit.train, "desired": 1, "threshold": CUTOFF, "immutable": IMMUTABLE}
    again = ex.counterfactuals(credit.model, credit.adverse, **args)
    assert again.to_json(timing=False) == found.to_json(timing=False)
    assert again.content_hash() == found.content_hash()
    some = [3, 11, 40]
    alone = ex.counterfactuals(credit.model, credit.adverse.iloc[some[::-1]], **args)
    for position, r in enumerate(some[::-1]):
        np.testing.assert_array_equal(
            alone.values[alone.rows == position].astype(object), found.values[found.rows == r].astype(object)
        )


def test_ranges_directions_and_max_changes(credit: Credit):
    rows = credit.adverse.iloc[:20]
    cf = ex.counterfactuals(
        credit.model,
        rows,
        data=credit.train,
        desired=1,
        threshold=CUTOFF,
        immutable=["age", "employment_type", "home_ownership"],
        ranges={"income": (None, 80_000), "loan_purpose": ["car", "education"]},
        increase_only=["employment_years"],
        decrease_only=["loan_amount"],
        max_changes=1,
    )
    frame = cf.to_frame()
    assert (cf.changed().sum(1) == 1).all()
    assert not set(frame["feature"]) & {"age", "employment_type", "home_ownership"}
    income = frame[frame.feature == "income"]["new_value"].astype(float)
    assert (income <= 80_000).all()
    assert set(frame[frame.feature == "loan_purpose"]["new_value"]) <= {"car", "education"}
    for feature, sign in (("employment_years", 1), ("loan_amount", -1)):
        part = frame[frame.feature == feature]
        assert (np.sign(part["new_value"].astype(float) - part["value"].astype(float)) == sign).all()
    assert cf.found.mean() >= 0.8


def test_rows_without_counterfactuals_say_why(credit: Credit):
    approved = credit.train[credit.model.predict_proba(credit.train)[:, 1] >= CUTOFF].iloc[:2]
    rows = pd.concat([credit.adverse.iloc[:1], approved])
    cf = ex.counterfactuals(credit.model, rows, data=credit.train, desired=1, threshold=CUTOFF, k=1)
    assert cf.found.tolist() == [True, False, False]
    assert "already" in cf.notes[1] and cf.notes[0] == ""
    assert "No counterfactual: the model already decides 1" in cf.text(1)
    stuck = ex.counterfactuals(
        credit.model, credit.adverse.iloc[:2], data=credit.train, desired=1, threshold=CUTOFF,
        immutable=[f for f in credit.features if f != "late_payments_2y"], decrease_only=["late_payments_2y"],
        ranges={"late_payments_2y": (credit.adverse["late_payments_2y"].iloc[:2].max(), None)},
    )  # fmt: skip
    assert not stuck.found.any()
    assert all("at its bound" in note for note in stuck.notes)


def test_text_frame_and_candidates(found: ex.Counterfactuals, credit: Credit):
    frame = found.to_frame()
    assert list(frame.columns) == ["row", "counterfactual", "feature", "value", "new_value"]
    rows = found.candidates()
    assert rows.index.names == ["row", "counterfactual"]
    assert list(rows.columns) == [*credit.features, "prediction", "outcome"]
    r = int(found.rows[0])
    sentence = found.text(r, outcome="the application would be approved")
    first = frame[(frame.row == r) & (frame.counterfactual == 0)]
    assert sentence.startswith(f"If {first['feature'].iloc[0]} were ")
    assert sentence.splitlines()[0].endswith(", the application would be approved.")
    assert all(line.startswith("Or, if ") for line in sentence.splitlines()[1:])
    assert " instead of " in sentence and "Row 0:" in found.text()
    assert "income were 52,000 instead of 41,000" in _income_sentence()


def _income_sentence() -> str:
    cf = ex.Counterfactuals(
        feature_names=("income", "debt"), feature_kinds=("numeric", "numeric"), data=np.array([[41_000.0, 0.45]]),
        scores=np.array([0.4]), outcomes=(0,), desired=(1,), rows=np.array([0]),
        values=np.array([[52_000.0, 0.2]]), new_scores=np.array([0.8]), new_outcomes=(1,), notes=("",),
        task="binary", score_name="P(1)",
    )  # fmt: skip
    text = cf.text(0, outcome="the application would be approved")
    assert (
        text
        == "If income were 52,000 instead of 41,000 and debt 0.2 instead of 0.45, the application would be approved."
    )
    return text


def test_result_is_read_only_and_round_trips(found: ex.Counterfactuals, tmp_path):
    with pytest.raises(dataclasses.FrozenInstanceError):
        found.k = 2  # type: ignore[misc]
    for array in (found.values, found.data, found.rows, found.scores, found.new_scores):
        with pytest.raises(ValueError):
            array[0] = array[0]
    with pytest.raises(TypeError):
        found.params["k"] = 1  # type: ignore[index]
    back = ex.Counterfactuals.from_dict(json.loads(found.to_json()))
    assert back.to_json() == found.to_json()
    path = tmp_path / "cf.json"
    found.to_json(path)
    assert ex.Counterfactuals.from_json(path).content_hash() == found.content_hash()
    assert ex.load(path).content_hash() == found.content_hash()  # the one loader reads them too
    prov = found.provenance
    assert prov.random_state == 0 and len(prov.model_fingerprint) == 64 and prov.background_fingerprint
    assert found.params["distance"].startswith("MAD-normalised L1") and found.params["model_calls"] > 0
    html = found._repr_html_()
    assert "<table>" in html and "Counterfactuals" in html


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d.pop("rows"),
        lambda d: d.update(schema="explain.LocalExplanation"),
        lambda d: d.update(schema_version=99),
        lambda d: d.update(rows=["0"] * len(d["rows"])),
        lambda d: d.update(rows=d["rows"][:-1]),
        lambda d: d.update(notes=["x"] * len(d["notes"])),
        lambda d: d.update(new_scores=["x"] * len(d["new_scores"])),
        lambda d: d["values"].update(n_rows=-1),
        lambda d: d.update(task="ranking"),
        lambda d: d.update(feature_kinds=["numeric"]),
        lambda d: d.update(provenance=[]),
        lambda d: d.update(values=d["data"], rows=list(range(d["data"]["n_rows"]))),
    ],
)
def test_bad_saved_counterfactuals_are_refused(found: ex.Counterfactuals, edit):
    d = json.loads(found.to_json())
    edit(d)
    with pytest.raises(SchemaError):
        ex.Counterfactuals.from_dict(d)


def _small_saved() -> list:
    rng = np.random.default_rng(5)
    X = pd.DataFrame({"x": rng.normal(size=300).round(2), "c": rng.choice(["a", "b"], 300)})
    y = (X["x"] + (X["c"] == "b") > 0.5).astype(int)
    model = make_pipeline(
        ColumnTransformer([("c", OneHotEncoder(), ["c"])], remainder="passthrough"), LogisticRegression()
    ).fit(X, y)
    rows = X[model.predict(X) == 0].iloc[:3]
    binary = ex.counterfactuals(model, rows, data=X, desired=1, k=2)
    none = ex.counterfactuals(model, rows, data=X, desired=1, k=1, immutable=["x", "c"])
    return [json.loads(binary.to_json()), json.loads(none.to_json())]


_SAVED = _small_saved()


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=mutated(_SAVED))
def test_damaged_files_load_as_valid_or_raise_schema_error(data, tmp_path_factory):
    path = tmp_path_factory.mktemp("cf") / "cf.json"
    path.write_bytes(data)
    try:
        loaded = ex.Counterfactuals.from_json(path)
    except SchemaError:
        with pytest.raises(SchemaError):  # explain.load refuses what from_json refuses
            ex.load(path)
        return
    assert ex.Counterfactuals.from_dict(json.loads(loaded.to_json())).to_json() == loaded.to_json()
    assert len(loaded.rows) == len(loaded.values) and loaded.found.shape == (loaded.n_rows,)


# --------------------------------------------------------------------------- other tasks and models


def test_regression_reaches_the_interval():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    model = HistGradientBoostingRegressor(max_iter=50, random_state=0).fit(X, y)
    high = X[model.predict(X) > 200].iloc[:15]
    cf = ex.counterfactuals(model, high, data=X, desired=(None, 150), immutable=["age", "sex"], k=2)
    assert cf.task == "regression" and cf.found.mean() >= 0.9
    new = model.predict(cf.candidates()[list(X.columns)])
    assert (new <= 150).all()
    np.testing.assert_allclose(cf.new_scores, new)
    assert "the prediction would be" in cf.text(int(cf.rows[0]))
    assert cf.desired[0] == (None, 150.0)


def test_multiclass_reaches_the_desired_class():
    X, y = load_wine(return_X_y=True, as_frame=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(X, y)
    rows = X[model.predict(X) == 0].iloc[:8]
    cf = ex.counterfactuals(model, rows, data=X, desired=2, k=2)
    assert cf.task == "multiclass" and cf.found.all()
    assert (model.predict(cf.candidates()[list(X.columns)]) == 2).all()
    flip = ex.counterfactuals(model, rows, data=X, desired="flip", k=1)
    assert (model.predict(flip.candidates()[list(X.columns)]) != 0).all()
    assert flip.desired[0] == "not 0" and flip.score_name == "P(own class)"


def test_lightgbm_with_category_columns():
    lightgbm = pytest.importorskip("lightgbm")
    rng = np.random.default_rng(0)
    n = 600
    X = pd.DataFrame(
        {"x": rng.normal(size=n), "c": pd.Categorical(rng.choice(["a", "b", "c"], n)), "z": rng.normal(size=n)}
    )
    y = ((X["x"] + (X["c"] == "b") * 1.5 + rng.normal(0, 0.3, n)) > 1).astype(int)
    model = lightgbm.LGBMClassifier(n_estimators=30, verbose=-1, random_state=0).fit(X, y)
    rows = X[model.predict(X) == 0].iloc[:10]
    cf = ex.counterfactuals(model, rows, data=X, desired=1, immutable=["z"])
    assert cf.found.mean() >= 0.9
    assert (model.predict(cf.candidates()[list(X.columns)].astype({"c": X["c"].dtype})) == 1).all()


def test_plain_function_and_numpy_rows():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))

    def f(Z):
        return 1 / (1 + np.exp(-(Z[:, 0] - Z[:, 1])))

    rows = X[f(X) < 0.5][:5]
    cf = ex.counterfactuals(f, rows, data=X, desired=1, task="classification", immutable=["x2"])
    assert cf.feature_names == ("x0", "x1", "x2") and cf.found.all()
    assert (f(cf.candidates()[["x0", "x1", "x2"]].to_numpy()) >= 0.5).all()


def test_genetic_search_finds_changes_no_pair_reaches():
    """Approved only when x0, x1 and x2 all exceed 1: single changes and pairs cannot reach it."""
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(500, 5)).round(2)

    def f(Z):
        return 1 / (1 + np.exp(-8 * (np.minimum(np.minimum(Z[:, 0], Z[:, 1]), Z[:, 2]) - 1)))

    rows = X[(X[:, :3] < 1).sum(1) == 3][:10]
    cf = ex.counterfactuals(f, rows, data=X, desired=1, task="classification", immutable=["x4"], k=2)
    assert cf.params["stages"]["genetic"] == 10 and cf.found.all()
    assert (cf.changed()[:, :3].all(1)).all() and not cf.changed()[:, 3:].any()  # nothing needless
    assert (f(cf.values.astype(float)) >= 0.5).all()
    again = ex.counterfactuals(f, rows, data=X, desired=1, task="classification", immutable=["x4"], k=2)
    assert again.content_hash() == cf.content_hash()


# --------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"immutable": ["agee"]}, FeatureMismatchError, "not a feature"),
        ({"immutable": "age"}, InputError, "string"),
        ({"desired": 5}, InputError, "not a class"),
        ({"desired": "1"}, InputError, "not a class"),
        ({"desired": (0, 1)}, InputError, "not a class"),
        ({"ranges": {"income": (0, 10**9)}}, InputError, "outside the values observed"),
        ({"ranges": {"income": (9e4, 1e4)}}, InputError, "low > high"),
        ({"ranges": {"loan_purpose": ["yacht"]}}, InputError, "not among the categories"),
        ({"ranges": {"loan_purpose": (1, 2)}}, InputError, "not among the categories"),
        ({"ranges": {"age": (20, 30)}, "immutable": ["age"]}, InputError, "immutable and also"),
        ({"ranges": {"nope": (1, 2)}}, FeatureMismatchError, "not a feature"),
        ({"ranges": [("income", 1)]}, InputError, "not a mapping"),
        ({"k": 0}, InputError, "k=0"),
        ({"k": 1.5}, InputError, "k=1.5"),
        ({"max_changes": 0}, InputError, "max_changes"),
        ({"threshold": 1.2}, InputError, "strictly between 0 and 1"),
        ({"increase_only": ["employment_type"]}, InputError, "categorical"),
        ({"increase_only": ["income"], "decrease_only": ["income"]}, InputError, "both"),
        ({"quantiles": (0.5, 0.2)}, InputError, "quantiles"),
        ({"diversity": -1}, InputError, "diversity"),
        ({"random_state": "seed"}, InputError, "random_state"),
        ({"data": None}, InputError, "data is None"),
    ],
)
def test_bad_inputs_name_the_fix(credit: Credit, kwargs, error, words):
    args = {"data": credit.train, "desired": 1, **kwargs}
    with pytest.raises(error, match=words):
        ex.counterfactuals(credit.model, credit.adverse.iloc[:2], **args)


def test_bad_rows_and_goals(credit: Credit):
    with pytest.raises(FeatureMismatchError, match="income"):
        ex.counterfactuals(credit.model, credit.adverse.drop(columns="income"), data=credit.train, desired=1)
    with pytest.raises(FeatureMismatchError, match="data does not have"):
        ex.counterfactuals(credit.model, credit.adverse, data=credit.train.drop(columns="income"), desired=1)
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    reg = LogisticRegression().fit(X, y > 150)
    holes = X.iloc[:3].copy()
    holes.iloc[0, 0] = np.nan
    with pytest.raises(InputError, match="missing values"):
        ex.counterfactuals(reg, holes, data=X, desired=True)
    regressor = HistGradientBoostingRegressor(max_iter=10).fit(X, y)
    for desired, words in (("flip", "regressor's goal"), ((None, None), "at least one bound"), ((3, 1), "low > high")):
        with pytest.raises(InputError, match=words):
            ex.counterfactuals(regressor, X.iloc[:2], data=X, desired=desired)
    with pytest.raises(InputError, match="regressor"):
        ex.counterfactuals(regressor, X.iloc[:2], data=X, desired=(0, 100), threshold=0.5)


# --------------------------------------------------------------------------- property


_PROPERTY_X = np.random.default_rng(3).normal(size=(200, 4)).round(2)
_PROPERTY_MODEL = LogisticRegression().fit(_PROPERTY_X, (_PROPERTY_X @ [1.0, -2.0, 0.5, 0.0] > 0).astype(int))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.integers(0, 199), min_size=1, max_size=4, unique=True),
    fixed=st.sets(st.sampled_from(["x0", "x1", "x2", "x3"]), max_size=2),
    k=st.integers(1, 3),
    max_changes=st.one_of(st.none(), st.integers(1, 3)),
    seed=st.integers(0, 2**32 - 1),
)
def test_property_every_returned_counterfactual_is_valid(rows, fixed, k, max_changes, seed):
    X = _PROPERTY_X
    cf = ex.counterfactuals(
        _PROPERTY_MODEL, X[rows], data=X, desired="flip", immutable=sorted(fixed), k=k,
        max_changes=max_changes, random_state=seed,
    )  # fmt: skip
    own = _PROPERTY_MODEL.predict(X[rows])
    if len(cf.rows):  # none found (e.g. the decisive feature fixed): the notes below say why
        new = _PROPERTY_MODEL.predict(cf.values.astype(float))
        assert (new != own[cf.rows]).all()
    changed = cf.changed()
    fixed_at = [int(f[1]) for f in fixed]
    assert not changed[:, fixed_at].any()
    assert (changed.sum(1) >= 1).all() and (max_changes is None or (changed.sum(1) <= max_changes).all())
    assert np.isin(cf.values[changed], X).all()
    assert (np.bincount(cf.rows, minlength=len(rows)) <= k).all()
    assert all(bool(note) != has for note, has in zip(cf.notes, cf.found, strict=True))
