"""explain_local on a Dask cluster against one machine and against shap's Spark/Dask recipe.

A HistGradientBoosting classifier (``--trees`` trees, ``--features`` features) on
``make_classification`` data; ``--rows`` rows to explain, in ``--partitions`` partitions; an
interventional background of ``--background`` rows, log-odds (``output="raw"``, the space shap's
TreeExplainer explains with a background). Printed, wall seconds, in one run:

- **ours, one machine**: ``Explainer(model, background).explain_local(pandas_rows)``;
- **ours, cluster**: ``explain_local(dask_rows).compute()`` on a ``distributed.LocalCluster``
  (``--workers`` processes, ``--threads`` threads each), and ``.to_parquet(dir)`` (nothing
  gathered), after a warm-up that starts the workers and loads the compiled kernels;
- **shap recipe, cluster**: the pandas-UDF recipe of Databricks' shap-on-Spark write-up, on Dask:
  ``ddf.map_partitions`` calling ``shap.TreeExplainer(model, background).shap_values`` in each
  partition, on the same cluster, on ``--shap-rows`` rows then scaled to every row (shap is
  linear in the rows);
- **shap, one machine**, on the same ``--shap-rows`` rows, scaled.

And the largest difference between our cluster values and our one-machine values (0 expected)
and shap's, with each side's additivity error against the model's own margin (shap's reading
of HistGradientBoosting misses the margin by about 6e-3 on this model; ours by 1e-14).
On a 2-core machine a cluster of 2 processes cannot beat one
machine using both cores: the cluster rows show the overhead of distribution, and the ratios to
shap what the recipe a user would otherwise run costs.

    python benchmarks/bench_dask.py                       # 100 000 rows: about 2 minutes on 2 cores
    python benchmarks/bench_dask.py --rows 20000 --shap-rows 2000   # a smoke run
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from _common import cpu_name, load_average, version


def _wall(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--trees", type=int, default=100)
    parser.add_argument("--background", type=int, default=100)
    parser.add_argument("--shap-rows", type=int, default=5_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    import dask.dataframe as dd
    import shap
    from distributed import Client, LocalCluster
    from sklearn.datasets import make_classification
    from sklearn.ensemble import HistGradientBoostingClassifier

    import explain as ex

    X, y = make_classification(n_samples=args.rows + 5_000, n_features=args.features, n_informative=10, random_state=0)
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(args.features)])
    train, rows = frame.iloc[:5_000], frame.iloc[5_000:]
    model = HistGradientBoostingClassifier(max_iter=args.trees, random_state=0).fit(train, y[:5_000])
    background = train.iloc[: args.background]
    explainer = ex.Explainer(model, background=background, output="raw", method="tree_shap")
    explainer.explain_local(rows.iloc[:5])  # load the compiled kernels

    print(f"{cpu_name()}; load {load_average()}; explain {ex.__version__}, shap {version('shap')}, "
          f"dask {version('dask')}, distributed {version('distributed')}")  # fmt: skip
    print(f"{args.rows:,} rows x {args.features} features, {args.trees} trees, background {args.background}, "
          f"{args.partitions} partitions, cluster {args.workers} processes x {args.threads} threads")  # fmt: skip

    one_s, one = _wall(lambda: explainer.explain_local(rows))
    sample = rows.iloc[: args.shap_rows]
    tree = shap.TreeExplainer(model, background, feature_perturbation="interventional")
    shap_one_s, shap_values = _wall(lambda: tree.shap_values(sample, check_additivity=False))
    shap_one_s *= args.rows / len(sample)

    cluster = LocalCluster(
        n_workers=args.workers, threads_per_worker=args.threads, processes=True, dashboard_address=None
    )
    with Client(cluster) as client:
        ddf = dd.from_pandas(rows, npartitions=args.partitions)
        ddf = client.persist(ddf)  # the rows live on the workers, as they would on a real cluster
        explainer.explain_local(ddf.partitions[0]).compute()  # warm-up: workers load the kernels
        cluster_s, local = _wall(lambda: explainer.explain_local(ddf).compute())
        with tempfile.TemporaryDirectory() as tmp:
            parquet_s, _ = _wall(lambda: explainer.explain_local(ddf).to_parquet(f"{tmp}/out"))
        global_s, _ = _wall(lambda: explainer.explain_local(ddf).to_global())

        def recipe(part: pd.DataFrame) -> pd.DataFrame:
            values = shap.TreeExplainer(model, background, feature_perturbation="interventional").shap_values(
                part, check_additivity=False
            )
            return pd.DataFrame(values, columns=part.columns, index=part.index)

        small = dd.from_pandas(sample, npartitions=args.partitions)
        recipe(sample.iloc[:5])
        shap_cluster_s, _ = _wall(lambda: small.map_partitions(recipe, meta=sample.iloc[:0]).compute())
        shap_cluster_s *= args.rows / len(sample)
    cluster.close()

    diff_one = float(np.abs(local.values - one.values).max())
    diff_shap = float(np.abs(one.values[: len(sample)] - np.asarray(shap_values)).max())
    margin = model.decision_function(sample)
    shap_additivity = float(np.abs(tree.expected_value + np.asarray(shap_values).sum(axis=1) - margin).max())
    our_additivity = float(np.abs(one.base_values + one.values.sum(axis=1) - model.decision_function(rows)).max())
    print()
    print("| run | wall s | rows/s | shap recipe on the cluster / this |")
    print("| --- | --- | --- | --- |")
    for name, seconds in (
        ("ours, one machine (pandas)", one_s),
        ("ours, cluster, compute()", cluster_s),
        ("ours, cluster, to_parquet()", parquet_s),
        ("ours, cluster, to_global()", global_s),
        (f"shap recipe, cluster (scaled from {len(sample):,} rows)", shap_cluster_s),
        (f"shap, one machine (scaled from {len(sample):,} rows)", shap_one_s),
    ):
        print(f"| {name} | {seconds:.2f} | {args.rows / seconds:,.0f} | {shap_cluster_s / seconds:.1f}x |")
    print()
    print(f"max |cluster - one machine| = {diff_one:.1e}; max |ours - shap| = {diff_shap:.1e}")
    print(f"additivity (|base + sum - model's margin|, max): ours {our_additivity:.1e}, shap {shap_additivity:.1e}")


if __name__ == "__main__":
    main()
