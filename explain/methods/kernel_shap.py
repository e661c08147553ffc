"""``kernel_shap``: KernelSHAP, a weighted linear regression over sampled coalitions.

The estimator is that of ``shap.KernelExplainer`` (``link="identity"``, ``l1_reg=False``), run
batched across rows:

- **Coalitions.** For each row, the features whose value differs from some background value
  (the others cannot matter: their Shapley value is 0) are the ``M`` players. Coalition sizes
  are weighted by the Shapley kernel; the sizes whose every coalition (with its complement) fits
  in the budget ``nsamples`` are enumerated, smallest first, and the rest of the budget is drawn
  at random, a coalition and its complement at a time, a repeated draw adding to the weight of
  its first occurrence, exactly as shap does. When ``nsamples >= 2^M - 2`` every coalition is
  enumerated and the values are exact.
- **Values.** ``v(S)`` is the mean prediction over the background with the features of ``S``
  taken from the row; the coalitions of many rows are scored in batched model calls.
- **Regression.** The weighted least squares fit of ``v(S) - v(empty)`` on the coalition
  indicators, constrained to add up to ``f(x) - v(empty)`` (one variable eliminated, as shap
  does), solved for many rows at once.

Each row draws from its own random stream, keyed by ``random_state`` and the row's values, so
its values do not depend on the other rows, on ``n_jobs`` or on how rows are chunked. The draws
are not shap's (shap draws one feature permutation per coalition from numpy's global
generator); the distribution of the estimate is the same, which the tests check against shap's
own seed-to-seed spread. ``engine="shap"`` calls ``shap.KernelExplainer`` itself, as a reference
(one random stream for all rows, in one worker); it also accepts shap's ``l1_reg`` options.
"""

from __future__ import annotations

import itertools
import warnings
from functools import lru_cache
from math import comb

import numpy as np

from .._model import OutputSpace
from .._progress import progress
from ..errors import MethodError
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
from ._batch import coalition_values, endpoints, row_streams, run_tasks, task_bounds

ENGINES = ("batched", "shap")


def default_nsamples(d: int) -> int:
    """shap's ``nsamples="auto"``."""
    return 2 * d + 2048


def n_coalitions(d: int, nsamples: int) -> int:
    """Coalitions scored per row (each costs a model row per background row)."""
    return min(nsamples, (1 << d) - 2) if d <= 62 else nsamples


def settings(job: Job) -> tuple[int, str, object]:
    """``nsamples``, ``engine`` and ``l1_reg``, checked."""
    nsamples = job.params.get("nsamples", "auto")
    engine = job.params.get("engine", "batched")
    l1_reg = job.params.get("l1_reg", False)
    if nsamples == "auto":
        nsamples = default_nsamples(job.n_features)
    if isinstance(nsamples, bool) or not isinstance(nsamples, (int, np.integer)) or nsamples < 1:
        raise MethodError(f"kernel_shap nsamples={nsamples!r}; pass a positive integer or 'auto' (2d + 2048).")
    if engine not in ENGINES:
        raise MethodError(f"kernel_shap engine={engine!r}; choose one of {list(ENGINES)}.")
    if engine == "batched" and l1_reg not in (False, 0):
        raise MethodError(
            f"kernel_shap l1_reg={l1_reg!r} selects features with shap's lasso, which only engine='shap' "
            "does; pass l1_reg=False (every feature) or engine='shap'."
        )
    return int(nsamples), engine, l1_reg


def support(job: Job) -> OutputSpace:
    require_background(job, "kernel_shap")
    return free_output(job)


def run(job: Job, space: OutputSpace) -> Attribution:
    nsamples, engine, l1_reg = settings(job)
    d = job.n_features
    values, base = _run_shap(job, space, nsamples, l1_reg) if engine == "shap" else _run_batched(job, space, nsamples)
    params = {"nsamples": nsamples, "engine": engine, "l1_reg": l1_reg, "exhaustive": nsamples >= (1 << d) - 2}
    return Attribution(values, base, params)


# --------------------------------------------------------------------------- the coalitions


@lru_cache(maxsize=64)
def _plan(m: int, nsamples: int) -> tuple[np.ndarray, np.ndarray, int, np.ndarray, float]:
    """What shap's sampler does before drawing, for ``m`` players and a budget ``nsamples``.

    Returns the enumerated coalitions ``(F, m)`` and their weights, the number of sizes left to
    draw from (``num_full``: the first size drawn is ``num_full + 1``), the probabilities of the
    sizes left, and the kernel weight left for the drawn coalitions.
    """
    nsamples = min(nsamples, (1 << m) - 2) if m <= 62 else nsamples
    n_sizes, n_paired = (m - 1 + 1) // 2, (m - 1) // 2  # ceil((m-1)/2), floor((m-1)/2)
    weight_vector = np.array([(m - 1.0) / (i * (m - i)) for i in range(1, n_sizes + 1)])
    weight_vector[:n_paired] *= 2
    weight_vector /= weight_vector.sum()
    remaining = weight_vector.copy()
    left, num_full = nsamples, 0
    blocks: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    for size in range(1, n_sizes + 1):
        count = comb(m, size) * (2 if size <= n_paired else 1)
        if left * remaining[size - 1] / count < 1.0 - 1e-8:
            break
        num_full += 1
        left -= count
        if remaining[size - 1] < 1.0:
            remaining /= 1 - remaining[size - 1]
        w = weight_vector[size - 1] / comb(m, size) / (2 if size <= n_paired else 1)
        members = np.array(list(itertools.combinations(range(m), size)), dtype=np.intp)
        block = np.zeros((len(members), m), dtype=bool)
        np.put_along_axis(block, members, True, axis=1)
        if size <= n_paired:  # each coalition followed by its complement
            block = np.stack([block, ~block], axis=1).reshape(-1, m)
        blocks.append(block)
        weights.append(np.full(len(block), w))
    fixed = np.concatenate(blocks) if blocks else np.zeros((0, m), dtype=bool)
    fixed_w = np.concatenate(weights) if weights else np.zeros(0)
    probs = weight_vector.copy()
    probs[:n_paired] /= 2  # a paired draw gives two coalitions
    probs = probs[num_full:]
    probs = probs / probs.sum() if probs.size else probs
    for array in (fixed, fixed_w, probs):
        array.setflags(write=False)
    return fixed, fixed_w, num_full, probs, float(weight_vector[num_full:].sum())


def design(m: int, nsamples: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One row's coalitions ``(S, m)`` and kernel weights ``(S,)``, as shap's KernelExplainer
    builds them (enumerated sizes, then random draws with their complements)."""
    fixed, fixed_w, num_full, probs, weight_left = _plan(m, nsamples)
    budget = (min(nsamples, (1 << m) - 2) if m <= 62 else nsamples) - len(fixed)
    if budget <= 0 or not probs.size:
        return fixed, fixed_w
    n_paired = (m - 1) // 2
    drawn, counts = _draw_coalitions(m, budget, num_full, probs, n_paired, rng)
    counts = counts * (weight_left / counts.sum())
    return np.concatenate([fixed, drawn]), np.concatenate([fixed_w, counts])


def _draw_coalitions(
    m: int, budget: int, num_full: int, probs: np.ndarray, n_paired: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draw coalitions until ``budget`` distinct ones (complements included) are found, or
    ``4 * budget`` draws are made, as shap does; a repeat adds 1 to the count of its first
    occurrence (and of that one's complement). Returns the coalitions and their counts."""
    limit, batch = 4 * budget, max(16, budget // 2 + budget // 8)  # most draws bring a complement
    sizes_all: list[np.ndarray] = []
    masks_all: list[np.ndarray] = []
    while True:  # in batches, until the budget is met: the draws are used in order, as shap's
        k = min(batch, limit - sum(len(s) for s in sizes_all))
        sizes = num_full + 1 + rng.choice(len(probs), size=k, p=probs)
        keys = rng.random((k, m))
        threshold = np.take_along_axis(np.sort(keys, axis=1), (sizes - 1)[:, None], axis=1)
        sizes_all.append(sizes)
        masks_all.append(keys <= threshold)  # a uniformly random subset of each size
        masks, paired = np.concatenate(masks_all), np.concatenate(sizes_all) <= n_paired
        stop, first, is_new, met = _scan(masks, paired, budget)
        if met or len(masks) >= limit:
            return _assemble(masks[: stop + 1], paired[: stop + 1], first[: stop + 1], is_new[: stop + 1], budget)


def _scan(masks: np.ndarray, paired: np.ndarray, budget: int) -> tuple[int, np.ndarray, np.ndarray, bool]:
    """Index of the last draw used, each draw's first occurrence, whether it is new, and
    whether the draws meet the budget (new draws and their complements)."""
    packed = np.packbits(masks, axis=1)
    keys: np.ndarray
    if packed.shape[1] <= 8:  # one 64-bit key per coalition: sorts fast
        words = np.zeros((len(masks), 8), dtype=np.uint8)
        words[:, : packed.shape[1]] = packed
        keys = words.view(np.uint64).ravel()
    else:
        keys = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, index, inverse = np.unique(keys, return_index=True, return_inverse=True)
    first = index[inverse.ravel()]
    is_new = first == np.arange(len(masks))
    reached = np.flatnonzero(np.cumsum(is_new * (1 + paired)) >= budget)
    if reached.size:
        return int(reached[0]), first, is_new, True
    return len(masks) - 1, first, is_new, False


def _assemble(
    masks: np.ndarray, paired: np.ndarray, first: np.ndarray, is_new: np.ndarray, budget: int
) -> tuple[np.ndarray, np.ndarray]:
    """The coalitions in shap's order (each new draw, then its complement if paired) and their
    counts (1 + the number of repeats of the draw)."""
    repeats = np.bincount(first[~is_new], minlength=len(masks)).astype(float)
    new = np.flatnonzero(is_new)
    count = 1.0 + repeats[new]
    with_pair = paired[new]
    out_masks = np.concatenate([masks[new][:, None, :], ~masks[new][:, None, :]], axis=1)
    out_counts = np.stack([count, count], axis=1)
    keep = np.stack([np.ones(len(new), dtype=bool), with_pair], axis=1).ravel()
    out_masks, out_counts = out_masks.reshape(-1, masks.shape[1])[keep], out_counts.ravel()[keep]
    return out_masks[:budget], out_counts[:budget]  # the last complement may not fit


# --------------------------------------------------------------------------- the batched engine


def _run_batched(job: Job, space: OutputSpace, nsamples: int) -> tuple[np.ndarray, np.ndarray]:
    background, x, fnull, fx, entropy = endpoints(job, space, "kernel_shap")
    n, d = x.shape

    def work(start: int, stop: int) -> tuple[np.ndarray]:
        rows = x[start:stop]
        vary, generators = row_streams(rows, background, entropy)
        designs = []
        for r in range(stop - start):  # one design per row, from the row's own stream
            players = np.flatnonzero(vary[r])
            masks, weights = design(len(players), nsamples, generators[r]) if len(players) > 1 else (None, None)
            designs.append((players, masks, weights))
        sizes = [0 if masks is None else len(masks) for _, masks, _ in designs]
        owner = np.repeat(np.arange(len(designs)), sizes)
        full = np.zeros((len(owner), d), dtype=bool)  # the coalitions over all d features
        for (players, masks, _), at, size in zip(designs, np.cumsum([0, *sizes]), sizes, strict=False):
            if size:
                full[at : at + size, players] = masks
        v = coalition_values(job, space, rows, owner, full, background)
        return (_solve(designs, v, fx[start:stop] - fnull, fnull, d),)

    bounds = task_bounds(n, n_coalitions(d, nsamples) * background.shape[0], d)
    (values,) = run_tasks(job, work, bounds, desc="kernel_shap")
    return values, np.broadcast_to(fnull, (n, fnull.shape[0])).copy()


def _solve(
    designs: list[tuple[np.ndarray, np.ndarray | None, np.ndarray | None]],
    v: np.ndarray,
    total: np.ndarray,
    fnull: np.ndarray,
    d: int,
) -> np.ndarray:
    """Each row's constrained weighted least squares (shap's ``solve``): ``(r, d, k)``.

    Rows with the same number of players are solved together; their designs are padded with
    zero-weight coalitions to the same length.
    """
    r, k = len(designs), total.shape[1]
    phi = np.zeros((r, d, k))
    offsets = np.cumsum([0] + [0 if w is None else len(w) for _, _, w in designs])
    for i, (players, _, _) in enumerate(designs):
        if len(players) == 1:  # a single player takes the whole difference
            phi[i, players[0]] = total[i]
    by_m: dict[int, list[int]] = {}
    for i, (players, masks, _) in enumerate(designs):
        if masks is not None:
            by_m.setdefault(len(players), []).append(i)
    for m, group in by_m.items():
        longest = max(len(designs[i][2]) for i in group)  # type: ignore[arg-type]
        X = np.zeros((len(group), longest, m))
        W = np.zeros((len(group), longest))
        Y = np.zeros((len(group), longest, k))
        for g, i in enumerate(group):
            s = offsets[i + 1] - offsets[i]
            X[g, :s], W[g, :s], Y[g, :s] = designs[i][1], designs[i][2], v[offsets[i] : offsets[i + 1]] - fnull
        t = total[group]  # (g, k)
        y2 = Y - X[:, :, -1:] * t[:, None, :]
        E = X[:, :, :-1] - X[:, :, -1:]
        WEt = np.ascontiguousarray((E * W[:, :, None]).transpose(0, 2, 1))  # contiguous: matmul uses BLAS
        A = np.matmul(WEt, E)
        B = np.matmul(WEt, y2)
        try:
            w = np.linalg.solve(A, B)
        except np.linalg.LinAlgError:  # too few coalitions for a unique fit: least squares, as shap
            root = np.sqrt(W)[:, :, None]
            w = np.stack([np.linalg.lstsq(root[g] * E[g], root[g] * y2[g], rcond=None)[0] for g in range(len(group))])
        for g, i in enumerate(group):
            players = designs[i][0]
            phi[i, players[:-1]] = w[g]
            phi[i, players[-1]] = t[g] - w[g].sum(axis=0)
    return phi


# --------------------------------------------------------------------------- shap itself


def _run_shap(job: Job, space: OutputSpace, nsamples: int, l1_reg: object) -> tuple[np.ndarray, np.ndarray]:
    import shap

    background = require_background(job, "kernel_shap").encoded
    n, d = job.X.n_rows, job.n_features

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
    return values, np.broadcast_to(base, (n, values.shape[2])).copy()


METHOD = MethodSpec(
    name="kernel_shap",
    summary="KernelSHAP: weighted regression over sampled coalitions (shap's estimator, batched)",
    support=support,
    run=run,
    exact=False,
    additive=True,
    needs_background=True,
    defaults={"nsamples": "auto", "engine": "batched", "l1_reg": False},
    random=True,
)
