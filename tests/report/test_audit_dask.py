"""explain.audit of dask collections on a real cluster (``distributed.LocalCluster``, two worker
processes): the evidence of the same data in memory, the cluster recorded, only vectors, the
sensitive columns and a bounded row sample gathered, and bad dask input refused."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from _cluster import local_client
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.tree import DecisionTreeClassifier

import explain as ex
import explain.report._row_sample as row_sample
from explain.datasets import credit_splits
from explain.errors import FeatureMismatchError, InputError, ModelError
from explain.report import AuditReport

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

POLICY = {"explain_rows": 60, "n_bootstrap": 20, "stability_runs": 2}
STAMP = "2026-01-01T00:00:00Z"
# findings of the sections that read the row sample when it is not every test row
ON_THE_SAMPLE = {"design.glassbox_gain", "robustness.noise", "fairness.age_rule", "fairness.protected_inputs"}


def test_without_a_client_partitions_run_here(credit, memory):
    # first in the file, before the cluster starts: with no distributed client, the partitions are
    # scored and counted one after another in this process, to the same evidence
    d, _, columns = credit
    report = _audit(credit, dd.from_pandas(d.X_test[columns], npartitions=2), d.y_test, d.X_train[columns])
    record = report.evidence["provenance"]["cluster"]
    assert record["scheduler"].startswith("none") and record["datasets"][0]["partitions"] == 2
    assert _without_fingerprints(report.evidence, memory.evidence) == memory.evidence


@pytest.fixture(scope="module")
def client():
    with local_client() as c:
        yield c


@pytest.fixture(scope="module")
def credit():
    d = credit_splits()
    model = HistGradientBoostingClassifier(max_iter=30, random_state=0, categorical_features="from_dtype")
    model.fit(d.X_train[list(d.features)], d.y_train)
    return d, model, [*d.features, *d.sensitive]


def _audit(credit, X_test, y_test, reference):
    d, model, columns = credit
    return ex.audit(
        model,
        d.X_train[columns],
        d.y_train,
        X_test,
        y_test,
        sensitive_features=list(d.sensitive),
        reference=reference,
        policy=POLICY,
        generated_at=STAMP,
    )


@pytest.fixture(scope="module")
def memory(credit):
    d, _, columns = credit
    return _audit(credit, d.X_test[columns], d.y_test, d.X_train[columns])


class _Gathered:
    """What the client gathers from the cluster: the rows of every table of model columns (the
    sample of rows), the columns of the narrower tables, and the largest array."""

    def __init__(self) -> None:
        self.table_rows = 0
        self.narrow: set[tuple[str, ...]] = set()
        self.longest = 0

    def walk(self, value: object) -> None:
        if isinstance(value, pd.DataFrame):
            if value.shape[1] > 2:
                self.table_rows += len(value)
            else:
                self.narrow.add(tuple(value.columns))
        elif isinstance(value, (pd.Series, pd.Index, np.ndarray)):
            self.longest = max(self.longest, len(value) if np.ndim(value) else 1)
        elif isinstance(value, dict):
            for v in value.values():
                self.walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                self.walk(v)
        elif hasattr(value, "__dict__"):
            self.walk(vars(value))


@pytest.fixture(scope="module")
def on_cluster(client, credit):
    """X_test and y_test as dask collections, the reference in memory; everything gathered recorded."""
    d, _, columns = credit
    seen = _Gathered()
    gather = distributed.Client.gather

    def recording(self, futures, *args, **kwargs):
        result = gather(self, futures, *args, **kwargs)
        seen.walk(result)
        return result

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(distributed.Client, "gather", recording)
        report = _audit(
            credit,
            dd.from_pandas(d.X_test[columns], npartitions=3),
            dd.from_pandas(d.y_test, npartitions=3),
            d.X_train[columns],
        )
    return report, seen


def _without_fingerprints(dask_ev: dict, memory_ev: dict) -> dict:
    """The dask evidence with its data-set fingerprints and report id replaced by the in-memory
    ones, and without what only a cluster audit records (provenance.cluster, the data section's
    paragraph and table about the cluster)."""
    text = json.dumps(dask_ev)
    datasets = zip(dask_ev["provenance"]["datasets"], memory_ev["provenance"]["datasets"], strict=True)
    pairs = [(a["sha256"], b["sha256"]) for a, b in datasets]
    pairs.append((dask_ev["report"]["id"], memory_ev["report"]["id"]))
    for ours, theirs in pairs:
        text = text.replace(ours, theirs).replace(ours[:12], theirs[:12])
    ev = json.loads(text)
    del ev["provenance"]["cluster"]
    data = next(s for s in ev["sections"] if s["id"] == "data")
    data["blocks"] = [
        b
        for b in data["blocks"]
        if b.get("id") != "cluster_gathered" and "dask collections" not in str(b.get("text", ""))
    ]
    return ev


def test_dask_test_data_gives_the_in_memory_evidence(on_cluster, memory):
    report, _ = on_cluster
    assert report.verdict == memory.verdict
    got, expected = _without_fingerprints(report.evidence, memory.evidence), memory.evidence
    for ours, theirs in zip(got["sections"], expected["sections"], strict=True):
        assert ours == theirs, ours["id"]
    assert got == expected


def test_the_cluster_is_recorded(on_cluster, tmp_path):
    report, _ = on_cluster
    record = report.evidence["provenance"]["cluster"]
    assert record["scheduler"] == "dask.distributed" and record["address"] == "tcp, this machine"
    assert (record["workers"], record["threads"]) == (2, 2)
    assert record["datasets"] == [{"name": "test", "partitions": 3, "rows": 2000}]
    assert record["row_sample"]["every_row"] and record["drift_on_a_grid"] == []
    shown = report.table("data", "cluster_gathered")
    assert "the sensitive columns sex, age_band" in set(shown["what"])
    test = next(d for d in report.evidence["provenance"]["datasets"] if d["name"] == "test")
    assert test["rows"] == 2000 and len(test["sha256"]) == 64
    # the evidence stays readable: JSON round trip through the validating reader
    assert AuditReport.from_json(report.to_json(tmp_path / "audit.json")).evidence_sha256 == report.evidence_sha256


def test_a_large_test_set_reads_a_bounded_sample(client, credit, memory, monkeypatch):
    # with fewer rows allowed in the sample than the test set has, the row sections read a sample:
    # only it comes back as rows; everything computed from every row stays the in-memory number
    d, _, columns = credit
    monkeypatch.setattr(row_sample, "ROW_SAMPLE", 300)
    seen = _Gathered()
    gather = distributed.Client.gather

    def recording(self, futures, *args, **kwargs):
        result = gather(self, futures, *args, **kwargs)
        seen.walk(result)
        return result

    monkeypatch.setattr(distributed.Client, "gather", recording)
    report = _audit(
        credit,
        dd.from_pandas(d.X_test[columns], npartitions=4),
        d.y_test,
        dd.from_pandas(d.X_train[columns], npartitions=2),
    )
    sample = report.evidence["provenance"]["cluster"]["row_sample"]
    assert not sample["every_row"] and sample["of"] == 2000
    assert 300 <= sample["rows"] <= 300 + 200 + POLICY["explain_rows"] + 2
    assert seen.table_rows == sample["rows"]  # the only rows gathered are the sample's
    assert seen.narrow <= {("sex", "age_band")}
    ours = {f["id"]: f for f in report.evidence["findings"]}
    theirs = {f["id"]: f for f in memory.evidence["findings"]}
    assert set(ours) == set(theirs)
    for key in set(theirs) - ON_THE_SAMPLE:
        assert ours[key] == theirs[key], key
    for section in ("performance", "drift", "global_explanations", "local_explanations"):
        assert report.section(section) == memory.section(section), section
    for attr in ("sex", "age_band"):
        pd.testing.assert_frame_equal(report.table("fairness", f"fairness_{attr}"),
                                      memory.table("fairness", f"fairness_{attr}"))  # fmt: skip


def test_only_vectors_columns_and_rows_are_gathered(on_cluster):
    report, seen = on_cluster
    # every test row is in the sample here (2 000 rows): the table rows gathered are its rows,
    # and the rest is vectors (scores, keys, target, the two sensitive columns) and counts
    assert seen.table_rows == report.evidence["provenance"]["cluster"]["row_sample"]["rows"] == 2000
    assert seen.narrow == {("sex", "age_band")}  # each partition's sensitive columns
    # scores, row keys, the target per partition; counts at the reference's distinct values (drift)
    assert seen.longest <= 4000


def test_bad_dask_input_is_refused(client, credit):
    d, model, columns = credit
    X = dd.from_pandas(d.X_test[columns], npartitions=3)
    y = dd.from_pandas(d.y_test, npartitions=3)
    with pytest.raises(FeatureMismatchError, match="lacks"):
        _audit(credit, X.drop(columns="income"), y, None)
    with pytest.raises(FeatureMismatchError, match="not columns of X_test"):
        ex.audit(model, d.X_train[columns], d.y_train, X, y, sensitive_features=["race"], policy=POLICY)
    with pytest.raises(InputError, match="not aligned with X_test"):
        _audit(credit, X, dd.from_pandas(d.y_test.reset_index(drop=True), npartitions=3), None)
    with pytest.raises(InputError, match="one value per row"):
        _audit(credit, X, dd.from_pandas(d.y_test.iloc[:-5], npartitions=3), None)
    with pytest.raises(InputError, match="X_train is a dask collection"):
        ex.audit(model, dd.from_pandas(d.X_train[columns], npartitions=2), d.y_train, X, y, policy=POLICY)
    broken = d.X_test[columns].copy()
    broken["debt_to_income"] = broken["debt_to_income"].astype(float)
    broken.iloc[1500, broken.columns.get_loc("debt_to_income")] = np.inf
    with pytest.raises(InputError, match=r"'debt_to_income' of X_test holds infinite values \(rows \[1500\]\)"):
        _audit(credit, dd.from_pandas(broken, npartitions=3), y, None)
    # a model that computes in float32 fails on 1e300 on a worker: its error, the row numbered in X_test
    numeric = [c for c in d.features if d.X_train[c].dtype.kind in "if"]
    tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(d.X_train[numeric], d.y_train)
    broken.iloc[1500, broken.columns.get_loc("debt_to_income")] = 1e300
    with pytest.raises(
        ModelError, match=r"scoring X_test: .*'debt_to_income' of X_test holds 1e\+300 \(rows \[1500\]\)"
    ):
        ex.audit(tree, d.X_train[numeric], d.y_train, dd.from_pandas(broken[numeric], npartitions=3), y, policy=POLICY)
