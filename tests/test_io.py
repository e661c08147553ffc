"""explain.load is total: any file gives a valid explanation that saves again, or a SchemaError.

Real saved explanations (local and global, one and several outputs, categorical data, LIME
diagnostics, partial-dependence effects) are damaged by hypothesis (see ``_mutate``) and loaded.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from _mutate import mutated
from hypothesis import HealthCheck, given, settings
from sklearn.linear_model import LinearRegression, LogisticRegression

import explain as ex
from explain._io import from_dict
from explain._jsonfile import MAX_DEPTH
from explain.errors import SchemaError
from explain.explanation import GlobalExplanation, LocalExplanation

FUZZ = settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def saved(cancer_data, diabetes_data) -> list[dict]:
    X, y = diabetes_data.X.iloc[:, :3], diabetes_data.y
    regression = ex.Explainer(LinearRegression().fit(X, y), background=X[:20])
    frame = cancer_data.X.iloc[:, :3].copy()
    frame["band"] = np.where(frame.iloc[:, 0] > 14, "high", None)
    classifier = LogisticRegression(max_iter=500).fit(cancer_data.X.iloc[:, :3], cancer_data.y)
    local = ex.Explainer(classifier, background=cancer_data.X.iloc[:20, :3]).explain_local(
        cancer_data.rows.iloc[:2, :3]
    )
    categorical = LocalExplanation(
        values=np.ones((2, 2)), base_values=0.5, data=np.array([[1.5, "a"], [np.nan, None]], dtype=object),
        predictions=np.array([2.5, 2.5]), feature_names=("x", "c"), output_names=("y",), output_space="raw",
        method="linear_shap", feature_kinds=("numeric", "categorical"),
    )  # fmt: skip
    multi = LocalExplanation(
        values=np.arange(12.0).reshape(2, 3, 2), base_values=np.zeros((2, 2)),
        data=np.zeros((2, 3)), predictions=np.arange(12.0).reshape(2, 3, 2).sum(1),
        feature_names=("a", "b", "c"), output_names=("no", "yes"), output_space="probability", method="exact_shap",
    )  # fmt: skip
    explanations = [
        regression.explain_local(X[:3]),
        local,
        categorical,
        multi,
        multi.to_global(),
        ex.Explainer(LinearRegression().fit(X, y), background=X[:20], method="lime", random_state=0).explain_local(
            X[:2]
        ),
        ex.Explainer(LinearRegression().fit(X, y), background=X[:20], method="partial_dependence").explain_global(
            X[:30], y[:30]
        ),
    ]
    return [e.to_dict() for e in explanations]


def _check_invariants(loaded) -> None:
    """What a loaded explanation promises: consistent shapes and names, finite numbers, a JSON
    that loads back to the same content, and additivity when its method claims it."""
    assert isinstance(loaded, (LocalExplanation, GlobalExplanation))
    assert len(set(loaded.feature_names)) == loaded.n_features > 0
    text = loaded.to_json()
    assert from_dict(json.loads(text)).content_hash() == loaded.content_hash()
    if isinstance(loaded, LocalExplanation):
        k = loaded.n_outputs
        assert loaded.values.shape[:2] == (loaded.n_rows, loaded.n_features)
        assert loaded.values.shape[2:] == ((k,) if loaded.is_multi_output else ())
        assert loaded.base_values.shape == loaded.predictions.shape == loaded.values.shape[:1] + loaded.values.shape[2:]
        assert loaded.data.shape == (loaded.n_rows, loaded.n_features)
        assert np.isfinite(loaded.values).all() and np.isfinite(loaded.predictions).all()
        assert np.isfinite(loaded.additivity_error())
        from explain.methods import REGISTRY

        if loaded.method in REGISTRY and REGISTRY[loaded.method].additive:
            assert loaded.additivity_error() <= 1e-5 * (
                1 + np.abs(loaded.predictions).max() + np.abs(loaded.values).sum(1).max()
            )
    else:
        assert loaded.importances.shape[0] == loaded.n_features and np.isfinite(loaded.importances).all()
        for effect in loaded.effects:
            assert effect.feature in loaded.feature_names and effect.average.shape[0] == len(effect.grid)


def test_the_corpus_loads_and_round_trips(saved, tmp_path):
    for i, d in enumerate(saved):
        path = tmp_path / f"{i}.json"
        path.write_text(json.dumps(d))
        loaded = ex.load(path)
        _check_invariants(loaded)
        assert loaded.to_dict() == d


def test_fuzzed_files_load_as_valid_explanations_or_raise_schema_error(saved, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    outcomes = {"loaded": 0, "refused": 0}

    @FUZZ
    @given(data=mutated(saved))
    def check(data: bytes) -> None:
        path = folder / "explanation.json"
        path.write_bytes(data)
        try:
            loaded = ex.load(path)
        except SchemaError:
            outcomes["refused"] += 1
            return
        outcomes["loaded"] += 1
        _check_invariants(loaded)

    check()
    assert outcomes["loaded"] and outcomes["refused"]  # both kinds of file were tried


@pytest.mark.parametrize(
    "text, says",
    [
        ('{"schema": "explain.LocalExplanation", "schema_version": 1, "values": [[1e400]]}', "too large"),
        ('{"schema": "explain.LocalExplanation", "schema_version": 1, "values": [[NaN]]}', "NaN"),
        ('{"schema": "explain.LocalExplanation", "schema_version": 1, "values": [[' + "9" * 400 + "]]}", "digits"),
        ("[" * 100_000 + "]" * 100_000, "nested"),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "nested"),
        ('{"schema": "explain.LocalExplanation", "schema_version": 1, "method": "\\ud800"}', "Unicode"),
        ('{"schema": "explain.LocalExplanation", "schema_version": true}', "schema_version"),
        ("\xff\xfe", "JSON"),
    ],
)
def test_hostile_files_are_refused_with_the_reason(tmp_path, text, says):
    path = tmp_path / "bad.json"
    path.write_bytes(text.encode("utf-8", "surrogateescape") if text != "\xff\xfe" else b"\xff\xfe")
    with pytest.raises(SchemaError, match=says):
        ex.load(path)


def test_changed_numbers_that_break_additivity_are_refused(saved, tmp_path):
    d = json.loads(json.dumps(saved[0]))
    d["values"][0][0] += 1.0
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(d))
    with pytest.raises(SchemaError, match="do not add up"):
        ex.load(path)


def test_a_huge_row_count_is_refused_before_any_allocation(saved, tmp_path):
    d = json.loads(json.dumps(saved[2]))
    d["data"]["n_rows"] = 10**15
    path = tmp_path / "rows.json"
    path.write_text(json.dumps(d))
    with pytest.raises(SchemaError, match="n_rows"):
        ex.load(path)


@pytest.fixture(scope="module")
def saved_interactions(diabetes_data) -> list[dict]:
    from sklearn.ensemble import GradientBoostingRegressor

    X, y = diabetes_data.X.iloc[:, :3], diabetes_data.y
    model = GradientBoostingRegressor(n_estimators=10, max_depth=2, random_state=0).fit(X, y)
    return [ex.Explainer(model).explain_interactions(X[:3]).to_dict()]


def test_fuzzed_interaction_files_load_as_valid_explanations_or_raise_schema_error(
    saved_interactions, tmp_path_factory
):
    from explain import InteractionExplanation
    from explain._interactions import SYMMETRY_RTOL

    folder = tmp_path_factory.mktemp("fuzz_interactions")
    outcomes = {"loaded": 0, "refused": 0}

    @FUZZ
    @given(data=mutated(saved_interactions))
    def check(data: bytes) -> None:
        path = folder / "interactions.json"
        path.write_bytes(data)
        try:
            loaded = ex.load(path)
        except SchemaError:
            outcomes["refused"] += 1
            return
        outcomes["loaded"] += 1
        assert isinstance(loaded, InteractionExplanation)
        n, d = loaded.values.shape[:2]
        assert loaded.values.shape[2] == d == len(loaded.feature_names) and loaded.data.shape == (n, d)
        assert np.isfinite(loaded.values).all()
        # symmetric up to the rounding the class allows (a file may differ from symmetry by 5e-324)
        gap = np.abs(loaded.values - np.swapaxes(loaded.values, 1, 2)).max(axis=(1, 2))
        assert (gap <= SYMMETRY_RTOL * (1.0 + np.abs(loaded.values).sum(axis=(1, 2)))).all()
        assert from_dict(json.loads(loaded.to_json())).to_json(timing=False) == loaded.to_json(timing=False)

    check()
    assert outcomes["loaded"] and outcomes["refused"]
