"""``permutation_shap``: shap's PermutationExplainer behind the common interface.

Shapley values estimated from random feature orderings (each with its reverse), exact in
expectation and always additive.
"""

from __future__ import annotations

import numpy as np

from .._model import OutputSpace
from .._progress import progress
from ._base import (
    Attribution,
    Job,
    MethodSpec,
    as_3d,
    free_output,
    legacy_numpy_seed,
    require_background,
    row_chunks,
)


def support(job: Job) -> OutputSpace:
    require_background(job, "permutation_shap")
    return free_output(job)


def run(job: Job, space: OutputSpace) -> Attribution:
    import shap

    background = require_background(job, "permutation_shap").encoded
    n, d = job.X.n_rows, job.n_features
    max_evals = job.params.get("max_evals", "auto")
    max_evals = max(500, 2 * (2 * d + 1)) if max_evals == "auto" else int(max_evals)

    def f(z: np.ndarray) -> np.ndarray:
        return job.predict(np.asarray(z, dtype=float), space)

    masker = shap.maskers.Independent(background, max_samples=background.shape[0])
    # shap seeds numpy's global RNG itself; the context puts the caller's state back
    with legacy_numpy_seed(job.random_state):
        explainer = shap.PermutationExplainer(f, masker, seed=job.random_state)
        # one random stream for all rows: chunks run in order, in one worker (n_jobs is not used)
        bounds = row_chunks(n)
        parts = [
            explainer(job.X.encoded[a:b], max_evals=max_evals, silent=True)
            for a, b in progress(bounds, total=len(bounds), setting=job.progress, desc="permutation_shap")
        ]
    values = as_3d(np.concatenate([np.asarray(p.values) for p in parts], axis=0), n, d)
    base = np.concatenate([np.asarray(p.base_values, dtype=float).reshape(len(p.values), -1) for p in parts])
    return Attribution(values, base, {"max_evals": max_evals})


METHOD = MethodSpec(
    name="permutation_shap",
    summary="Shapley values from sampled feature orderings (shap's PermutationExplainer)",
    support=support,
    run=run,
    exact=False,
    additive=True,
    needs_background=True,
    defaults={"max_evals": "auto"},
    random=True,
)
