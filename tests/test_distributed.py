"""explain_local on a real Dask cluster (``distributed.LocalCluster``, two worker processes):
the same numbers as one machine, columns by name, Parquet written by the workers, the global
reduction, and a worker killed mid-run."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import numpy as np
import pandas as pd
import pytest
from _cluster import local_client
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

import explain as ex
from explain.distributed import DistributedExplanation
from explain.errors import ExplainError, FeatureMismatchError, InputError

dd = pytest.importorskip("dask.dataframe")
da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    with local_client() as c:
        yield c


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X.iloc[:, :8]
    return X, y


@pytest.fixture(scope="module")
def gbm(cancer):
    X, y = cancer
    return HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(X, y)


def _same(a: ex.LocalExplanation, b: ex.LocalExplanation, rtol: float = 0.0) -> None:
    np.testing.assert_allclose(a.values, b.values, rtol=rtol, atol=rtol * 1e-3)
    np.testing.assert_allclose(a.base_values, b.base_values, rtol=rtol)
    np.testing.assert_allclose(a.predictions, b.predictions, rtol=rtol)
    np.testing.assert_array_equal(a.data, b.data)
    assert a.feature_names == b.feature_names and a.output_names == b.output_names
    assert (a.method, a.output_space) == (b.method, b.output_space)
    assert dict(a.params) == dict(b.params)
    assert a.provenance.data_fingerprint == b.provenance.data_fingerprint
    assert a.provenance.model_fingerprint == b.provenance.model_fingerprint


def test_without_a_client_partitions_run_here(cancer, gbm):
    # first in the file, before the cluster starts: with no distributed client, the partitions
    # are explained one after another in this process
    X, _ = cancer
    explainer = ex.Explainer(gbm, background=X[:100])
    got = explainer.explain_local(dd.from_pandas(X[:50], npartitions=3)).compute()
    _same(got, explainer.explain_local(X[:50]))


def test_tree_shap_on_the_cluster_equals_one_machine(client, cancer, gbm):
    X, _ = cancer
    explainer = ex.Explainer(gbm, background=X[:100])
    lazy = explainer.explain_local(dd.from_pandas(X, npartitions=6))
    assert isinstance(lazy, DistributedExplanation) and lazy.npartitions == 6
    _same(lazy.compute(), explainer.explain_local(X))


def test_a_random_method_gives_the_same_values_whatever_the_partitions(client, cancer):
    # kernel_shap draws each row's coalitions from a stream keyed by random_state and the row:
    # the partitioning cannot change which coalitions a row gets. It calls the model on batches
    # of rows, and BLAS rounds a product of another shape differently: the same to 1e-12 (a few
    # ulps), as when one machine explains a subset of the rows
    X, y = cancer
    model = LogisticRegression(max_iter=2000).fit(X, y)
    explainer = ex.Explainer(model, background=X[:20], method="kernel_shap", method_params={"nsamples": 200})
    rows = X[:30]
    one = explainer.explain_local(rows)
    for parts in (1, 4, 7):
        _same(explainer.explain_local(dd.from_pandas(rows, npartitions=parts)).compute(), one, rtol=1e-12)


def test_columns_are_matched_by_name_not_position(client, cancer, gbm):
    X, _ = cancer
    explainer = ex.Explainer(gbm, background=X[:100])
    shuffled = X[list(reversed(X.columns))]
    got = explainer.explain_local(dd.from_pandas(shuffled, npartitions=3)).compute()
    _same(got, explainer.explain_local(X))
    with pytest.raises(FeatureMismatchError, match="missing"):
        explainer.explain_local(dd.from_pandas(X.drop(columns=X.columns[0]), npartitions=2)).compute()


def test_a_dask_array_is_read_by_position_with_the_models_names(client, cancer, gbm):
    X, _ = cancer
    explainer = ex.Explainer(gbm, background=X[:100])
    arr = da.from_array(X.to_numpy(), chunks=(100, 4))  # column blocks are joined: rows stay whole
    got = explainer.explain_local(arr).compute()
    expected = explainer.explain_local(X)
    np.testing.assert_array_equal(got.values, expected.values)
    assert got.feature_names == expected.feature_names


def test_the_explainer_is_one_task_every_partition_shares(cancer, gbm):
    X, _ = cancer
    lazy = ex.Explainer(gbm, background=X[:100]).explain_local(dd.from_pandas(X, npartitions=4))
    graphs = [dict(task.dask) for task in lazy.to_delayed()]
    holding = [{k for k, v in g.items() if isinstance(getattr(v, "value", v), ex.Explainer)} for g in graphs]
    shared = set.intersection(*holding)
    assert len(shared) == 1 and all(h == shared for h in holding)  # one key, the same in every partition's graph


def test_parquet_is_written_per_partition_with_the_metadata_beside(client, cancer, gbm, tmp_path):
    X, _ = cancer
    keyed = X.set_index(pd.Index([f"app-{i:04d}" for i in range(len(X))], name="application_id"))
    explainer = ex.Explainer(gbm, background=X[:100])
    lazy = explainer.explain_local(dd.from_pandas(keyed, npartitions=3))
    record = lazy.to_parquet(tmp_path / "out")
    files = sorted(p.name for p in (tmp_path / "out").glob("part-*.parquet"))
    assert files == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    assert record["rows"] == len(X) and record["cluster"]["workers"] == 2
    meta = json.loads((tmp_path / "out" / "_explanation.json").read_text())
    assert meta["method"] == "tree_shap" and meta["feature_names"] == list(X.columns)
    frame = pd.read_parquet(tmp_path / "out")
    local = explainer.explain_local(X)
    assert list(frame.index) == list(keyed.index) and frame.index.name == "application_id"
    np.testing.assert_array_equal(frame[[f"value:{f}" for f in X.columns]].to_numpy(), local.values)
    np.testing.assert_array_equal(frame["prediction"].to_numpy(), local.predictions)
    np.testing.assert_array_equal(frame["base_value"].to_numpy(), local.base_values)
    with pytest.raises(InputError, match="not empty"):
        lazy.to_parquet(tmp_path / "out")


def test_the_global_reduction_on_the_cluster_equals_to_global(client, cancer, gbm):
    X, _ = cancer
    explainer = ex.Explainer(gbm, background=X[:100])
    got = explainer.explain_local(dd.from_pandas(X, npartitions=5)).to_global()
    expected = explainer.explain_local(X).to_global()
    np.testing.assert_allclose(got.importances, expected.importances, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got.spread, expected.spread, rtol=1e-9, atol=1e-12)
    assert got.params["n_rows"] == len(X) and got.feature_names == expected.feature_names


def test_reasons_per_partition_keyed_by_the_index(client, cancer, gbm):
    X, _ = cancer
    explainer = ex.Explainer(gbm, background=X[:100])
    reasons = explainer.explain_local(dd.from_pandas(X[:60], npartitions=3)).reasons(k=2, adverse="decrease")
    got = reasons.compute()
    expected = explainer.explain_local(X[:60]).reasons(k=2, adverse="decrease").to_frame()
    assert list(got.index) == list(X.index[expected["row"]])
    assert list(got["feature"]) == list(expected["feature"])


def test_a_worker_killed_mid_run_still_gives_the_complete_identical_result(client, cancer):
    X, y = cancer
    model = LogisticRegression(max_iter=2000).fit(X, y)
    explainer = ex.Explainer(model, background=X[:20], method="kernel_shap", method_params={"nsamples": 1000})
    rows = X[:48]
    expected = explainer.explain_local(rows)
    lazy = explainer.explain_local(dd.from_pandas(rows, npartitions=12))
    pids = client.run(os.getpid)  # worker address -> process id
    killed: list[str] = []

    def kill_one() -> None:  # SIGKILL a busy worker's process; its nanny starts a new one
        deadline = time.monotonic() + 60
        while not killed and time.monotonic() < deadline:
            busy = [w for w, tasks in client.processing().items() if tasks and w in pids]
            if busy:
                time.sleep(0.3)  # let it be mid-task
                os.kill(pids[busy[0]], signal.SIGKILL)
                killed.append(busy[0])
            time.sleep(0.05)

    thread = threading.Thread(target=kill_one, daemon=True)
    thread.start()
    got = lazy.compute()
    thread.join(timeout=30)
    assert killed, "no worker was killed: the test did not test a restart"
    _same(got, expected, rtol=1e-12)
    client.wait_for_workers(2, timeout=60)  # the nanny restarts it, for the other tests


def test_bad_collections_are_refused_with_the_fix(cancer, gbm):
    X, _ = cancer
    explainer = ex.Explainer(gbm, background=X[:100])
    with pytest.raises(InputError, match="2-D"):
        explainer.explain_local(da.zeros((4, 3, 2)))
    doubled = pd.concat([X.iloc[:, :2], X.iloc[:, :1]], axis=1)
    with pytest.raises(ExplainError):
        explainer.explain_local(dd.from_pandas(doubled, npartitions=2))
    empty = dd.from_pandas(X.iloc[:0], npartitions=1)
    with pytest.raises(InputError, match="no rows"):
        explainer.explain_local(empty).compute()
