"""Time explain's model-agnostic Shapley methods against shap and against the floor.

For ``exact_shap``, ``kernel_shap`` and ``permutation_shap``, on the same model, background and
rows in one run, it prints:

- **ours**: ``explain.Explainer(model, background, method=..., output="probability")`` on every
  row (default settings: kernel ``nsamples = 2d + 2048``, permutation ``max_evals =
  max(500, 2(2d + 1))``), end to end (validation, provenance and the final predictions included);
- **shap**: the shap explainer it stands for, with the same settings (``shap.explainers.Exact``
  and ``shap.PermutationExplainer`` with masker ``shap.maskers.Independent(background,
  max_samples=len(background))``; ``shap.KernelExplainer`` with ``l1_reg=False``), on the first
  ``ref rows`` rows when all of them would take too long: its time is then scaled to every row
  (shap explains row by row, so its time is linear in the rows);
- **floor**: the model alone, ``predict_proba`` on as many rows as our method scores (``(2^d - 2)
  N`` per row for exact, ``min(nsamples, 2^d - 2) N`` for kernel, ``2 P (M - 1) N`` for ``P``
  orderings for permutation, with ``N`` background rows, plus the background and the rows
  themselves), in one call. The rows mix the explained rows' values and the background's as
  coalitions do (a tree ensemble scores repeated rows faster). Above a million rows (100 000
  for the MLP, whose activations for more would not fit in memory) the call is timed on that
  many and scaled;
- the ratios, the peak memory of our call (``tracemalloc``: numpy's and Python's allocations,
  in a separate run), and the largest difference of values: to shap on the rows both explained,
  and for the sampled methods shap's own seed-to-seed difference on the same rows (seeds 0 and
  1), the scale of the sampling noise.

Models: a cheap one (logistic regression) and one that costs at least 10 us per row (an MLP,
two hidden layers of 512 units), fitted on ``make_classification`` data. Times are CPU
seconds of this process with OpenMP and BLAS limited to one thread (``n_jobs=1``): CPU time,
unlike wall time, does not count what other processes on a shared machine take. Ours and the
floor are timed in turn, ``--repeat`` rounds (one if ours takes over 20 s), and the best of
each is kept; shap is timed once. A last table gives wall times with ``n_jobs=2``.

Also measured in fresh processes: the first call of ``exact_shap`` and of shap's
ExactExplainer (which compiles numba functions on its first call).

Run ``python benchmarks/bench_shapley.py`` (about 10 minutes on 2 cores) or ``--quick``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from _common import cpu, cpu_name, load_average, peak_mb, version

import explain as ex

RANDOM_STATE = 0
FLOOR_BLOCK = {"cheap": 1_000_000, "costly": 100_000}  # rows timed in one call for the floor; more: scaled
LONG = 20.0  # CPU seconds: a case whose first timed run takes longer is not repeated


@dataclass(frozen=True)
class Case:
    model: str  # "cheap" or "costly"
    est: Any
    background: np.ndarray
    rows: np.ndarray

    @property
    def name(self) -> str:
        return "logistic regression" if self.model == "cheap" else "MLP 512-512"

    def f(self, Z: np.ndarray) -> np.ndarray:
        return self.est.predict_proba(Z)[:, 1]


@dataclass(frozen=True)
class Result:
    method: str
    case: Case
    ours: float
    ref: float  # scaled to every row
    ref_rows: int
    floor: float
    model_rows: int
    peak_mb: float
    diff: float
    noise: float | None



def make_case(model: str, d: int, n_rows: int, n_bg: int) -> Case:
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    X, y = make_classification(
        n_samples=3000 + n_rows, n_features=d, n_informative=min(d, 8), n_redundant=0, random_state=RANDOM_STATE
    )
    if model == "cheap":
        est: Any = LogisticRegression(max_iter=1000)
    else:
        est = MLPClassifier((512, 512), max_iter=20, random_state=RANDOM_STATE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the MLP stops before converging: its cost is the point
        est.fit(X[:3000], y[:3000])
    return Case(model, est, X[:n_bg], X[3000:])


def ours(case: Case, method: str, rows: np.ndarray, n_jobs: int | None = None) -> np.ndarray:
    explainer = ex.Explainer(
        case.est,
        background=case.background,
        method=method,
        output="probability",
        background_size=None,
        random_state=RANDOM_STATE,
        n_jobs=n_jobs,
    )
    return np.asarray(explainer.explain_local(rows).values)


def reference(case: Case, method: str, rows: np.ndarray, seed: int = RANDOM_STATE) -> np.ndarray:
    import shap

    d, n_bg = rows.shape[1], len(case.background)
    masker = shap.maskers.Independent(case.background, max_samples=n_bg)
    if method == "exact_shap":
        return np.asarray(shap.explainers.Exact(case.f, masker)(rows, silent=True).values)
    if method == "permutation_shap":
        explainer = shap.PermutationExplainer(case.f, masker, seed=seed)
        return np.asarray(explainer(rows, max_evals=max(500, 2 * (2 * d + 1)), silent=True).values)
    np.random.seed(seed)  # noqa: NPY002 - KernelExplainer samples from numpy's global RNG
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        explainer = shap.KernelExplainer(case.f, case.background)
        return np.asarray(explainer.shap_values(rows, nsamples=2 * d + 2048, l1_reg=False, silent=True))


def model_rows(method: str, n: int, d: int, n_bg: int) -> int:
    """Rows our method scores: the coalitions' background rows, the background, the rows."""
    if method == "exact_shap":
        per_row = (1 << d) - 2
    elif method == "kernel_shap":
        per_row = min(2 * d + 2048, (1 << d) - 2)
    else:
        orderings = max(500, 2 * (2 * d + 1)) // (2 * d + 1)
        per_row = 2 * orderings * (d - 1)
    return n * per_row * n_bg + n_bg + n


def floor_rows(case: Case, total: int) -> np.ndarray:
    """Up to :data:`FLOOR_BLOCK` coalition-like rows: each column from an explained row or a
    background row, at random."""
    rng = np.random.default_rng(RANDOM_STATE)
    block = min(total, FLOOR_BLOCK[case.model])
    take = rng.random((block, case.rows.shape[1])) < 0.5
    rows = case.rows[rng.integers(0, len(case.rows), block)]
    return np.where(take, rows, case.background[rng.integers(0, len(case.background), block)])


def floor(case: Case, total: int, Z: np.ndarray | None = None) -> float:
    """CPU seconds of ``predict_proba`` on ``total`` rows: one call on ``Z`` (best of 3), scaled."""
    Z = floor_rows(case, total) if Z is None else Z
    best = min(cpu(lambda: case.est.predict_proba(Z))[0] for _ in range(3))
    return best * total / len(Z)



def measure(method: str, case: Case, ref_rows: int, noise_rows: int, repeat: int, timing: bool = True) -> Result:
    """Times (unless ``timing`` is False: then only the values are compared) and differences.

    The difference to shap is taken on the same rows as shap's own seed-to-seed difference (the
    first ``noise_rows``) for the sampled methods, on every reference row for exact_shap: a
    maximum over more rows is larger. Our values of a row do not depend on the other rows
    explained with it, so ``v_ours[:k]`` are the values of those rows whatever ``k``.
    """
    n, d = case.rows.shape
    ours(case, method, case.rows[:2])  # warm up (imports, caches)
    reference(case, method, case.rows[:1])  # warm up (shap compiles numba functions once)
    total = model_rows(method, n, d, len(case.background))
    ref_rows = min(ref_rows, n)
    t_ours = t_floor = peak = np.nan
    if timing:
        t_ours, t_floor, Z = np.inf, np.inf, floor_rows(case, total)
        for _ in range(repeat):  # ours and the floor in turn, so that both meet the same conditions
            t, v_ours = cpu(lambda: ours(case, method, case.rows))
            t_ours, t_floor = min(t_ours, t), min(t_floor, floor(case, total, Z))
            if t > LONG:
                break
        peak = peak_mb(lambda: ours(case, method, case.rows))
    else:
        v_ours = ours(case, method, case.rows[:ref_rows])
    t_ref, v_ref = cpu(lambda: reference(case, method, case.rows[:ref_rows]))
    v_ref = v_ref.reshape(ref_rows, d)
    v_ours = np.asarray(v_ours).reshape(-1, d)
    noise, compared = None, ref_rows
    if method != "exact_shap":
        other = reference(case, method, case.rows[:noise_rows], seed=RANDOM_STATE + 1).reshape(-1, d)
        noise, compared = float(np.abs(other - v_ref[:noise_rows]).max()), noise_rows
    diff = float(np.abs(v_ours[:compared] - v_ref[:compared]).max())
    return Result(method, case, t_ours, t_ref * n / ref_rows, ref_rows, t_floor, total, peak, diff, noise)


def table(results: list[Result]) -> str:
    columns = ("method", "model", "us/model row", "rows", "d", "N", "model rows", "ours s", "shap s (rows timed)",
               "floor s", "ours/floor", "shap/ours", "peak MB", "max abs diff to shap",
               "shap seed-to-seed")  # fmt: skip
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in results:
        n, d = r.case.rows.shape
        scaled = "" if r.ref_rows == n else f", {r.ref_rows} rows scaled"
        noise = "" if r.noise is None else f"{r.noise:.1e}"
        lines.append(
            f"| {r.method} | {r.case.name} | {1e6 * r.floor / r.model_rows:.2f} | {n} | {d} | {len(r.case.background)} "
            f"| {r.model_rows:.2e} | {r.ours:.2f} "
            f"| {r.ref:.2f}{scaled} | {r.floor:.2f} | {r.ours / r.floor:.2f} | {r.ref / r.ours:.1f} "
            f"| {r.peak_mb:.0f} | {r.diff:.1e} | {noise} |"
        )
    return "\n".join(lines)


FIRST_CALL = """
import json, sys, time
import numpy as np
t0 = time.perf_counter()
sys.path.insert(0, {here!r})
from bench_shapley import make_case, ours, reference, floor, model_rows
case = make_case("cheap", {d}, {n}, {n_bg})
which = {which!r}
if which == "shap":
    import shap  # imported before the clock starts, as explain is
explainer = ours if which == "ours" else reference
call = lambda: explainer(case, "exact_shap", case.rows)  # noqa: E731
times = []
for _ in range(2):
    start = time.perf_counter(); call(); times.append(time.perf_counter() - start)
print(json.dumps({{"first": times[0], "second": times[1],
                   "floor": floor(case, model_rows("exact_shap", {n}, {d}, {n_bg}))}}))
"""


def first_calls(d: int, n: int, n_bg: int) -> str:
    """Wall seconds of the first and second exact call in fresh processes (ours, then shap)."""
    here = os.path.dirname(os.path.abspath(__file__))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    out = []
    for which in ("ours", "shap"):
        code = FIRST_CALL.format(here=here, d=d, n=n, n_bg=n_bg, which=which)
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
        t = json.loads(done.stdout.strip().splitlines()[-1])
        name = "exact_shap" if which == "ours" else "shap ExactExplainer"
        out.append(
            f"{name:20s} fresh process, {n} rows x {d} features, {n_bg} background rows: first call "
            f"{t['first']:.2f} s, second {t['second']:.2f} s, floor {t['floor']:.2f} s "
            f"(first call - floor = {t['first'] - t['floor']:+.2f} s)"
        )
    return "\n".join(out)


def parallel(case: Case, method: str) -> str:
    """Wall seconds with n_jobs=1 and n_jobs=2 (threads), and whether the values are identical."""
    walls, values = [], []
    for n_jobs in (1, 2):
        start = time.perf_counter()
        values.append(ours(case, method, case.rows, n_jobs=n_jobs))
        walls.append(time.perf_counter() - start)
    same = "identical" if np.array_equal(values[0], values[1]) else "DIFFERENT"
    n, d = case.rows.shape
    return (
        f"| {method} | {case.name} | {n} | {d} | {walls[0]:.2f} | {walls[1]:.2f} | {walls[0] / walls[1]:.2f} | {same} |"
    )


def plan(quick: bool) -> list[tuple[str, str, int, int, int, int]]:
    """(method, model, d, rows, background rows, reference rows)."""
    if quick:
        return [
            ("exact_shap", "cheap", 10, 100, 50, 100),
            ("exact_shap", "costly", 8, 5, 20, 5),
            ("kernel_shap", "cheap", 20, 100, 50, 10),
            ("kernel_shap", "costly", 20, 3, 20, 3),
            ("permutation_shap", "cheap", 20, 100, 50, 20),
            ("permutation_shap", "costly", 20, 5, 20, 5),
        ]
    return [
        ("exact_shap", "cheap", 8, 1000, 50, 1000),
        ("exact_shap", "cheap", 8, 10000, 50, 1000),
        ("exact_shap", "cheap", 10, 1000, 50, 1000),
        ("exact_shap", "cheap", 12, 1000, 50, 200),
        ("exact_shap", "costly", 8, 20, 20, 20),
        ("exact_shap", "costly", 10, 10, 20, 10),
        ("exact_shap", "costly", 12, 5, 20, 5),
        ("kernel_shap", "cheap", 20, 1000, 50, 50),
        ("kernel_shap", "cheap", 20, 10000, 50, 50),
        ("kernel_shap", "cheap", 50, 1000, 50, 20),
        ("kernel_shap", "costly", 20, 10, 20, 10),
        ("kernel_shap", "costly", 50, 10, 20, 10),
        ("permutation_shap", "cheap", 20, 1000, 50, 100),
        ("permutation_shap", "cheap", 20, 10000, 50, 100),
        ("permutation_shap", "cheap", 50, 1000, 50, 50),
        ("permutation_shap", "costly", 20, 20, 20, 20),
        ("permutation_shap", "costly", 50, 20, 20, 20),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of about a minute")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of ours and the floor; the best is kept")
    parser.add_argument("--methods", nargs="+", default=["exact_shap", "kernel_shap", "permutation_shap"])
    parser.add_argument("--values-only", action="store_true", help="compare the values with shap's, time nothing")
    args = parser.parse_args(argv)

    from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

    print(f"explain {ex.__version__}, shap {version('shap')}, scikit-learn {version('scikit-learn')}, ", end="")
    print(f"numpy {np.__version__}, python {platform.python_version()}, {os.cpu_count()} CPUs ({cpu_name()}), ", end="")
    print(date.today().isoformat())
    print(f"load average before: {load_average()}", flush=True)
    if not args.values_only:
        print(first_calls(10, 20 if args.quick else 100, 50), flush=True)
    import shap  # noqa: F401 - loads the libraries whose thread pools are limited next

    results, walls = [], []
    cases: dict[tuple[str, int, int, int], Case] = {}
    with threadpool_limits(limits=1):
        for method, model, d, n, n_bg, ref_rows in plan(args.quick):
            if method not in args.methods:
                continue
            key = (model, d, n, n_bg)
            if key not in cases:
                cases[key] = make_case(model, d, n, n_bg)
            case = cases[key]
            print(f"... {method}, {case.name}, {n} rows x {d} features, {n_bg} background rows", flush=True)
            results.append(measure(method, case, ref_rows, min(ref_rows, 10), args.repeat, not args.values_only))
            print(table(results[-1:]).splitlines()[-1], flush=True)
        for method in () if args.values_only else args.methods:
            d = 10 if method == "exact_shap" else 20
            walls.append(parallel(cases.get(("cheap", d, 1000, 50)) or make_case("cheap", d, 100, 50), method))
    print(f"load average after: {load_average()}")
    print()
    print(table(results))
    print()
    print("| method | model | rows | d | wall s, n_jobs=1 | wall s, n_jobs=2 | speed-up | values |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(walls))
    return 0





if __name__ == "__main__":
    raise SystemExit(main())
