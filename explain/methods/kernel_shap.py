"""``kernel_shap``: shap's KernelExplainer behind the common interface.

KernelSHAP fits a weighted linear regression over sampled coalitions. When ``nsamples`` covers
every coalition (``2^d - 2`` or fewer), shap enumerates them all and the values are exact.
"""

from __future__ import annotations

import warnings

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
    require_background(job, "kernel_shap")
    return free_output(job)


def run(job: Job, space: OutputSpace) -> Attribution:
    import shap

    background = require_background(job, "kernel_shap").encoded
    n, d = job.X.n_rows, job.n_features
    nsamples = job.params.get("nsamples", "auto")
    nsamples = 2 * d + 2048 if nsamples == "auto" else int(nsamples)
    l1_reg = job.params.get("l1_reg", False)

    def f(z: np.ndarray) -> np.ndarray:
        return job.predict(np.asarray(z, dtype=float), space)

    with legacy_numpy_seed(job.random_state), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        explainer = shap.KernelExplainer(f, background, link="identity")
        # shap draws the rows' samples in sequence from one stream: chunks run in order, in one
        # worker (n_jobs is not used), and give the values of a single call
        bounds = row_chunks(n)
        parts = [
            np.asarray(explainer.shap_values(job.X.encoded[a:b], nsamples=nsamples, l1_reg=l1_reg, silent=True))
            for a, b in progress(bounds, total=len(bounds), setting=job.progress, desc="kernel_shap")
        ]
    values = as_3d(np.concatenate(parts, axis=0), n, d)
    base = np.atleast_1d(np.asarray(explainer.expected_value, dtype=float)).reshape(-1)
    params = {"nsamples": nsamples, "l1_reg": l1_reg, "exhaustive": nsamples >= (1 << d) - 2}
    return Attribution(values, np.broadcast_to(base, (n, values.shape[2])), params)


METHOD = MethodSpec(
    name="kernel_shap",
    summary="KernelSHAP weighted regression over sampled coalitions (shap's KernelExplainer)",
    support=support,
    run=run,
    exact=False,
    additive=True,
    needs_background=True,
    defaults={"nsamples": "auto", "l1_reg": False},
    random=True,
)
