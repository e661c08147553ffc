"""Time explain's text methods against shap's Partition explainer and lime's LimeTextExplainer.

The data: the job applications that ship with explain (``explain.datasets.load_jobs``, about 45
words each), a TF-IDF + logistic regression Pipeline fitted on 2 000 of them, ``--docs`` others
explained (probability of an invitation).

- **partition_shap** (Owen values over a hierarchy of contiguous token spans, every coalition of
  every document scored in batches of 8 192 texts) against
  ``shap.PartitionExplainer(f, shap.maskers.Text(r"\\W+"))``:

  * with shap's own hierarchy (``method_params={"hierarchy": masker.clustering}``) and shap
    given ``max_evals`` large enough to expand every node: the same Owen values (shap replaces a
    masked word by ``...``, which the vectorizer ignores, so the games are equal); the largest
    difference is printed;
  * shap with its default ``max_evals=500`` (which stops before the tree is expanded on these
    documents), for time only, with the rank correlation of its values with ours;
  * our default hierarchy (halves), against shap's exact values: same totals, rank correlation.

- **lime** (lime's text estimator, 1 000 samples per document, one batch of model calls for
  many documents) against ``LimeTextExplainer(bow=False, mask_string="")`` (positions as players,
  masked words removed: our game) with ``feature_selection="none"``: time, and agreement as the
  mean correlation of the values of ours (seed 0) with lime's (seed 0), next to lime's own
  between seeds 0 and 1.

Times are wall-clock seconds on one thread, the best of ``--repeat`` runs for ours, one run for
shap and lime (after a warm-up call on one document).

Run ``python benchmarks/bench_text.py`` (about a minute) or ``--quick``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from datetime import date
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
from _common import best


def _model_and_docs(n_docs: int) -> tuple[Any, list[str]]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from explain.datasets import load_jobs

    jobs = load_jobs()
    texts, y = jobs["application"].tolist(), jobs["invited"].to_numpy()
    model = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000)).fit(texts[:2000], y[:2000])
    docs = [t for t in texts[2000:] if t.strip()][:n_docs]
    return model, docs


def _rank(a: np.ndarray, b: np.ndarray) -> float:
    from scipy import stats

    return float(stats.spearmanr(a, b).statistic)


def bench_partition(model: Any, docs: list[str], repeat: int) -> None:
    import shap

    import explain as ex

    masker = shap.maskers.Text(r"\W+")
    f = lambda x: model.predict_proba(list(x))[:, 1]  # noqa: E731
    ours_t, ours = best(lambda: ex.Explainer(model, method="partition_shap").explain_local(docs), repeat)
    given = ex.Explainer(model, method="partition_shap", method_params={"hierarchy": masker.clustering})
    given_t, same = best(lambda: given.explain_local(docs), repeat)
    explainer = shap.PartitionExplainer(f, masker)
    explainer(docs[:1], max_evals=100_000)  # warm-up
    start = time.perf_counter()
    exact = explainer(docs, max_evals=100_000)
    exact_t = time.perf_counter() - start
    start = time.perf_counter()
    budget = explainer(docs, max_evals=500)
    budget_t = time.perf_counter() - start
    diff = max(float(np.max(np.abs(same.values[r] - exact.values[r]))) for r in range(len(docs)))
    totals = max(abs(float(ours.values[r].sum() - exact.values[r].sum())) for r in range(len(docs)))
    rank_default = np.mean([_rank(ours.values[r], exact.values[r]) for r in range(len(docs))])
    rank_budget = np.mean([_rank(budget.values[r], exact.values[r]) for r in range(len(docs))])
    tokens = sum(len(t) for t in ours.tokens) / len(docs)
    print(f"\npartition_shap, {len(docs)} documents of {tokens:.1f} tokens on average")
    print(f"  ours, balanced spans           {ours_t:8.3f} s  ({ours.params['coalitions_scored']} texts scored)")
    print(f"  ours, shap's hierarchy         {given_t:8.3f} s  ({same.params['coalitions_scored']} texts scored)")
    print(f"  shap, max_evals=100000 (exact) {exact_t:8.3f} s  ratio shap/ours {exact_t / given_t:6.1f}x")
    print(f"  shap, max_evals=500 (default)  {budget_t:8.3f} s  ratio shap/ours {budget_t / given_t:6.1f}x")
    print(f"  same hierarchy: largest |ours - shap exact| = {diff:.2e}")
    print(f"  balanced spans vs shap exact: largest total difference {totals:.2e}, mean Spearman {rank_default:.3f}")
    print(f"  shap max_evals=500 vs shap exact: mean Spearman {rank_budget:.3f}")


def _lime_package(model: Any, doc: str, seed: int, samples: int) -> np.ndarray:
    from lime.lime_text import LimeTextExplainer

    explainer = LimeTextExplainer(bow=False, mask_string="", random_state=seed, feature_selection="none")
    n = len(explainer_words(doc))
    exp = explainer.explain_instance(doc, model.predict_proba, labels=(1,), num_features=n, num_samples=samples)
    values = np.zeros(n)
    for j, w in exp.as_map()[1]:
        values[j] = w
    return values


def explainer_words(doc: str) -> list[str]:
    import re

    return re.findall(r"\w+", doc)


def bench_lime(model: Any, docs: list[str], repeat: int, samples: int) -> None:
    import explain as ex

    explainer = ex.Explainer(model, method="lime", method_params={"num_samples": samples}, random_state=0)
    ours_t, ours = best(lambda: explainer.explain_local(docs), repeat)
    _lime_package(model, docs[0], 0, samples)  # warm-up
    start = time.perf_counter()
    lime0 = [_lime_package(model, d, 0, samples) for d in docs]
    lime_t = time.perf_counter() - start
    lime1 = [_lime_package(model, d, 1, samples) for d in docs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours_vs = np.mean([np.corrcoef(ours.values[r], lime0[r])[0, 1] for r in range(len(docs))])
        seeds = np.mean([np.corrcoef(lime1[r], lime0[r])[0, 1] for r in range(len(docs))])
    print(f"\nlime, {len(docs)} documents, {samples} samples each")
    print(f"  ours                           {ours_t:8.3f} s")
    print(f"  LimeTextExplainer              {lime_t:8.3f} s  ratio lime/ours {lime_t / ours_t:6.1f}x")
    print(f"  mean correlation ours vs lime (seed 0): {ours_vs:.3f}; lime seed 0 vs seed 1: {seeds:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20, help="documents explained (default 20)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of ours; the best is kept (default 3)")
    parser.add_argument("--samples", type=int, default=1000, help="lime samples per document (default 1000)")
    parser.add_argument("--quick", action="store_true", help="5 documents, one run")
    args = parser.parse_args()
    n_docs, repeat = (5, 1) if args.quick else (args.docs, args.repeat)
    import lime
    import shap
    import sklearn

    print(f"bench_text {date.today()}  python {platform.python_version()}  shap {shap.__version__}  "
          f"lime {getattr(lime, '__version__', '?')}  scikit-learn {sklearn.__version__}")  # fmt: skip
    model, docs = _model_and_docs(n_docs)
    bench_partition(model, docs, repeat)
    bench_lime(model, docs, repeat, args.samples)


if __name__ == "__main__":
    main()
