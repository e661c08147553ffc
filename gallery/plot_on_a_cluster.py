"""Explaining a dask collection on a cluster
==========================================

The same calls as on a pandas DataFrame, given a dask DataFrame: ``explain_local`` returns a lazy
explanation whose partitions are explained on the workers (written to Parquet, reduced to a
global importance, or gathered), and ``explain_global`` runs permutation importance and partial
dependence with the model called on the workers, giving scikit-learn's numbers on the same rows.
Here the "cluster" is a small ``distributed.LocalCluster`` in this process; pass a ``Client`` of a
real cluster and nothing else changes.
"""

# %%
# Setup
# -----
import os
import tempfile
from pathlib import Path

import dask.dataframe as dd
import numpy as np
import pandas as pd
from distributed import Client, LocalCluster
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.inspection import permutation_importance
from sklearn.model_selection import train_test_split

import explain as ex
from explain import plots

OUT = Path(os.environ.get("EXPLAIN_GALLERY_OUT") or tempfile.mkdtemp(prefix="explain-gallery-"))
OUT.mkdir(parents=True, exist_ok=True)
pd.set_option("display.width", 120)


def save(ax_or_fig, name):
    """Save the figure an Axes belongs to (or a Figure) as ``OUT/name.png``."""
    ax_or_fig.figure.savefig(OUT / f"{name}.png", dpi=100)
    print(f"wrote {OUT / name}.png")


# %%
# A model, and the rows to explain as a dask DataFrame
# ----------------------------------------------------
# The index is the row key of everything written per row: set it to an application or customer ID.
X, y = load_breast_cancer(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.4, random_state=0)
model = HistGradientBoostingClassifier(max_iter=40, random_state=0).fit(X_train, y_train)
keys = pd.Index([f"app-{i:04d}" for i in range(len(X_test))], name="application_id")
rows = dd.from_pandas(X_test.set_index(keys), npartitions=4)
target = dd.from_pandas(pd.Series(y_test.to_numpy(), index=keys), npartitions=4)

# %%
# The cluster
# -----------
# Two workers of one thread each, as threads of this process (``processes=False``) to keep the
# example light; ``Client("tcp://scheduler:8786")`` connects to a real cluster instead. With no
# client at all, the same calls work partition after partition in this process.
cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
client = Client(cluster)
print(client)

# %%
# Local explanations, partition by partition
# -------------------------------------------
# Nothing runs until asked. ``to_parquet`` has the workers write one file per partition;
# ``to_global`` reduces mean |SHAP| on the cluster; ``compute`` gathers everything (only when
# it fits in memory) and equals explaining the rows at once.
explainer = ex.Explainer(model, background=X_train, random_state=0, progress=False)
lazy = explainer.explain_local(rows)
print(lazy)
record = lazy.to_parquet(OUT / "explanations", overwrite=True)
print(f"{record['rows']} rows in {len(record['files'])} files")
print(pd.read_parquet(OUT / "explanations").iloc[:3, :4].round(3).to_string())
shap_global = lazy.to_global()
same = np.abs(lazy.compute().values - explainer.explain_local(X_test).values).max()
print(f"largest difference from one machine: {same}")

# %%
# Permutation importance on the cluster
# -------------------------------------
# The workers predict; this process receives one column at a time and the model's outputs, and
# scores them with scikit-learn's scorer after the same shuffles scikit-learn makes.
settings = {"n_repeats": 5, "scoring": "roc_auc"}
perm = ex.Explainer(model, method="permutation_importance", method_params=settings, random_state=0)
permutation = perm.explain_global(rows, target)
reference = permutation_importance(model, X_test, y_test, n_repeats=5, random_state=0, scoring="roc_auc")
print("max |difference| from scikit-learn:", np.abs(permutation.importances - reference.importances_mean).max())

# %%
# Partial dependence on the cluster
# ---------------------------------
# The grid is scikit-learn's, built from the gathered column; the average is summed over
# partitions on the workers; the ICE band comes from every row's curve (or a seeded sample of
# rows, beyond a budget recorded in ``params``).
top = permutation.top(1)["feature"].item()
dependence = ex.Explainer(model, method="partial_dependence").explain_global(rows, features=[top])
print(top, dependence.params["ice_band_rows"], "rows in the ICE band")

# %%
# The results are ordinary explanations: plot them, save them, compare them.
save(plots.bar(shap_global, max_display=8), "cluster_mean_abs_shap")
save(plots.bar(permutation, max_display=8), "cluster_permutation_importance")
save(plots.effects(dependence, top, data=X_test), "cluster_partial_dependence")

client.close()
cluster.close()
