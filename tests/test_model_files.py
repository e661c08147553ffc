"""``explain audit --model``: every model file kind audits end to end, and no code from a pickle
runs without ``--trust-pickle`` (explain/_model_files.py)."""

from __future__ import annotations

import gzip
import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import explain as ex
from explain._model_files import load_model_file, looks_like_pickle, with_model_categories
from explain.cli import main
from explain.errors import MissingDependencyError, ModelError

FEATURES = ["x1", "x2", "x3"]


class _Payload:
    """Unpickling this creates the marker file: what a hostile model file would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (exec, (f"open({str(self.marker)!r}, 'w').close()",))


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Small data: 250 training and 150 test rows; a binary and a continuous target."""
    d = tmp_path_factory.mktemp("models")
    rng = np.random.default_rng(0)
    n = 400
    group = rng.choice(["a", "b"], n)
    X = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n) + (group == "a"), "x3": rng.normal(size=n)})
    targets = {
        "binary": (X["x1"] + X["x2"] + rng.normal(size=n) > 0.5).astype(int),
        "continuous": 2 * X["x1"] + X["x2"] + rng.normal(size=n),
    }
    color = rng.choice(["red", "green", "blue"], n)
    frames = {name: X.assign(group=group, y=y) for name, y in targets.items()}
    frames["categorical"] = X.assign(color=color, group=group, y=((X["x1"] + (color == "red")) > 0.5).astype(int))
    for name, frame in frames.items():
        frame[:250].to_csv(d / f"{name}_train.csv", index=False)
        frame[250:].to_csv(d / f"{name}_test.csv", index=False)
    (d / "policy.json").write_text(json.dumps({"explain_rows": 40, "n_bootstrap": 20, "stability_runs": 2}))
    return {"dir": d}


def _fit(task: str, data: dict[str, Path]) -> tuple[pd.DataFrame, pd.Series]:
    frame = pd.read_csv(data["dir"] / f"{task}_train.csv")
    if task == "categorical":  # fitted on a pandas categorical; the CSV the audit reads has text
        return frame[[*FEATURES, "color"]].astype({"color": "category"}), frame["y"]
    return frame[FEATURES], frame["y"]


def _audit(model: Path, data: dict[str, Path], task: str = "binary", *extra: str) -> list[str]:
    d = data["dir"]
    return [
        "audit", "--model", str(model), "--train", str(d / f"{task}_train.csv"),
        "--test", str(d / f"{task}_test.csv"), "--target", "y", "--sensitive", "group",
        "--policy", str(d / "policy.json"), "--out", str(model.with_suffix(".report.json")),
        "--date", "2026-01-01T00:00:00Z", "--quiet", *extra,
    ]  # fmt: skip


# --------------------------------------------------------------------------- no code without consent


@pytest.mark.parametrize(
    "name", ["model.joblib", "model.pkl", "model.txt", "model.json", "model.skops", "model.cbm", "model.bin"]
)
def test_a_pickle_runs_no_code_without_trust_pickle(name: str, data: dict[str, Path], tmp_path: Path, capsys) -> None:
    marker = tmp_path / "pwned"
    model = tmp_path / name
    model.write_bytes(pickle.dumps(_Payload(marker)))
    assert main(_audit(model, data)) == 2
    assert not marker.exists()  # the payload never ran
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert "pickle" in err and "--trust-pickle" in err and ".skops" in err


def test_a_compressed_joblib_file_is_refused_whatever_its_name(data: dict[str, Path], tmp_path: Path, capsys) -> None:
    marker = tmp_path / "pwned"
    model = tmp_path / "model.dat"
    model.write_bytes(gzip.compress(pickle.dumps(_Payload(marker))))
    assert main(_audit(model, data)) == 2
    assert not marker.exists()
    assert "--trust-pickle" in capsys.readouterr().err


def test_the_payload_is_real_it_runs_with_trust_pickle(data: dict[str, Path], tmp_path: Path, capsys) -> None:
    """The refusal tests above would notice: with the opt-in the same file runs its code."""
    marker = tmp_path / "pwned"
    model = tmp_path / "model.pkl"
    model.write_bytes(pickle.dumps(_Payload(marker)))
    assert main(_audit(model, data, "binary", "--trust-pickle")) == 2  # not a model, but it ran
    assert marker.exists()
    assert "model is None" in capsys.readouterr().err


def test_looks_like_pickle_knows_protocols_and_joblib_compression() -> None:
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        assert looks_like_pickle(pickle.dumps({"a": 1}, protocol=protocol)[:16])
    assert looks_like_pickle(gzip.compress(b"x"))
    assert not looks_like_pickle(b"tree\nversion=v4\n")
    assert not looks_like_pickle(b'{"learner": {}}')
    assert not looks_like_pickle(b"PK\x03\x04")


# --------------------------------------------------------------------------- every kind audits end to end


def _skops_pipeline(d: dict[str, Path], task: str) -> tuple[Path, tuple[str, ...]]:
    sio = pytest.importorskip("skops.io")
    path = d["dir"] / "pipeline.skops"
    sio.dump(make_pipeline(StandardScaler(), LogisticRegression()).fit(*_fit(task, d)), path)
    return path, ()


def _skops_lightgbm(d: dict[str, Path], task: str) -> tuple[Path, tuple[str, ...]]:
    sio = pytest.importorskip("skops.io")
    lightgbm = pytest.importorskip("lightgbm")
    path = d["dir"] / "lgbm.skops"
    sio.dump(lightgbm.LGBMClassifier(n_estimators=5, num_leaves=4, verbose=-1).fit(*_fit(task, d)), path)
    return path, ("--trust-types", *sio.get_untrusted_types(file=path))


def _lightgbm_text(d: dict[str, Path], task: str) -> tuple[Path, tuple[str, ...]]:
    lightgbm = pytest.importorskip("lightgbm")
    kind = lightgbm.LGBMRegressor if task == "continuous" else lightgbm.LGBMClassifier
    path = d["dir"] / f"lightgbm_{task}.txt"
    kind(n_estimators=5, num_leaves=4, verbose=-1).fit(*_fit(task, d)).booster_.save_model(path)
    return path, ()


def _xgboost(d: dict[str, Path], task: str) -> tuple[Path, tuple[str, ...]]:
    xgboost = pytest.importorskip("xgboost")
    kind = xgboost.XGBRegressor if task == "continuous" else xgboost.XGBClassifier
    path = d["dir"] / (f"xgboost_{task}.ubj" if task == "continuous" else f"xgboost_{task}.json")
    kind(n_estimators=5, max_depth=2, n_jobs=1, enable_categorical=True).fit(*_fit(task, d)).save_model(path)
    return path, ()


def _catboost(d: dict[str, Path], task: str) -> tuple[Path, tuple[str, ...]]:
    catboost = pytest.importorskip("catboost")
    kind = catboost.CatBoostClassifier if task == "binary" else catboost.CatBoostRegressor
    path = d["dir"] / f"catboost_{task}.cbm"
    model = kind(iterations=5, depth=2, verbose=False, thread_count=1, allow_writing_files=False)
    model.fit(*_fit(task, d)).save_model(str(path))
    return path, ()


KINDS = {
    "skops-pipeline": (_skops_pipeline, "binary", "sklearn.pipeline.Pipeline"),
    "skops-lightgbm-trusted": (_skops_lightgbm, "binary", "lightgbm.sklearn.LGBMClassifier"),
    "lightgbm-txt-classifier": (_lightgbm_text, "binary", "lightgbm.basic.Booster"),
    "lightgbm-txt-regressor": (_lightgbm_text, "continuous", "lightgbm.basic.Booster"),
    "xgboost-json-classifier": (_xgboost, "binary", "xgboost.sklearn.XGBClassifier"),
    "xgboost-ubj-regressor": (_xgboost, "continuous", "xgboost.sklearn.XGBRegressor"),
    "catboost-cbm-classifier": (_catboost, "binary", "catboost.core.CatBoostClassifier"),
    "lightgbm-txt-categorical": (_lightgbm_text, "categorical", "lightgbm.basic.Booster"),
    "xgboost-json-categorical": (_xgboost, "categorical", "xgboost.sklearn.XGBClassifier"),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_model_file_kind_audits_end_to_end(kind: str, data: dict[str, Path], capsys) -> None:
    save, task, model_type = KINDS[kind]
    path, extra = save(data, task)
    code = main(_audit(path, data, task, *extra))
    out = capsys.readouterr()
    assert code in (0, 1), out.err  # a verdict, not an error
    report = ex.AuditReport.from_json(path.with_suffix(".report.json"))
    assert report.evidence["provenance"]["model"]["type"] == model_type
    assert f"Verdict: {report.verdict.upper()}" in out.out
    text = json.dumps(report.evidence)
    assert '"effect_x1"' in text or '"effect_x2"' in text  # the partial-dependence step ran


# --------------------------------------------------------------------------- the loader's messages


def test_untrusted_skops_types_are_listed_with_the_flag_to_trust_them(data: dict[str, Path]) -> None:
    path, extra = _skops_lightgbm(data, "binary")
    with pytest.raises(ModelError, match="--trust-types") as exc:
        load_model_file(path)
    for name in extra[1:]:
        assert name in str(exc.value)
    assert type(load_model_file(path, trusted_types=extra[1:])).__name__ == "LGBMClassifier"


def test_xgboost_task_comes_from_the_objective_in_the_file(data: dict[str, Path], tmp_path: Path) -> None:
    xgboost = pytest.importorskip("xgboost")
    X, y = _fit("binary", data)
    labels = y + (X["x1"] > 1)  # three classes
    booster = xgboost.train({"objective": "multi:softprob", "num_class": 3}, xgboost.DMatrix(X, label=labels), 3)
    booster.save_model(tmp_path / "multi.json")  # saved without the scikit-learn wrapper
    model = load_model_file(tmp_path / "multi.json")
    assert type(model).__name__ == "XGBClassifier" and list(model.classes_) == [0, 1, 2]
    ranker = xgboost.train({"objective": "rank:pairwise"}, xgboost.DMatrix(X, label=y), 2)
    ranker.save_model(tmp_path / "rank.ubj")
    with pytest.raises(ModelError, match="rank:pairwise"):
        load_model_file(tmp_path / "rank.ubj")


def test_a_lightgbm_json_dump_says_to_save_text(data: dict[str, Path], tmp_path: Path) -> None:
    lightgbm = pytest.importorskip("lightgbm")
    model = lightgbm.LGBMClassifier(n_estimators=2, verbose=-1).fit(*_fit("binary", data))
    (tmp_path / "dump.json").write_text(json.dumps(model.booster_.dump_model()))
    with pytest.raises(ModelError, match=r"save_model\('model.txt'\)"):
        load_model_file(tmp_path / "dump.json")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("model.txt", b"tree\nnot a model\n", "LightGBM"),
        ("model.json", b'{"a": 1}', "not an XGBoost model"),
        ("model.json", b"{broken", "as JSON"),
        ("model.ubj", b"\x00\x01", "XGBoost"),
        ("model.cbm", b"CBM1 broken", "CatBoost"),
        ("model.skops", b"PK\x03\x04 broken", "skops"),
        ("model.onnx", b"\x08\x07", "unknown model format"),
    ],
)
def test_unreadable_files_are_model_errors_naming_the_format(name: str, content: bytes, message: str, tmp_path) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(ModelError, match=message):
        load_model_file(tmp_path / name)


def test_a_missing_library_names_its_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "model.cbm").write_bytes(b"CBM1")
    monkeypatch.setitem(__import__("sys").modules, "catboost", None)  # import catboost now fails
    with pytest.raises(MissingDependencyError, match=r"explain\[catboost\]"):
        load_model_file(tmp_path / "model.cbm")


def test_model_categories_come_from_the_file(data: dict[str, Path]) -> None:
    path, _ = _lightgbm_text(data, "categorical")
    model = load_model_file(path)
    frame = pd.DataFrame({"x1": [0.0, 1.0], "x2": [0.0, 0.0], "x3": [0.0, 0.0], "color": ["red", "purple"]})
    out = with_model_categories(model, frame)
    assert list(out["color"].cat.categories) == ["blue", "green", "red"]  # as recorded when fitted
    assert out["color"].isna().tolist() == [False, True]  # a colour the model never saw is missing
    assert frame["color"].dtype == object or str(frame["color"].dtype).startswith(("str", "string"))  # input kept
