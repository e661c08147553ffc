"""Time explain's Shapley methods against the shap explainers they replace or wrap.

On the same model, data and background in one run:

- ``exact_shap`` against ``shap.explainers.Exact`` (masker ``shap.maskers.Independent(background,
  max_samples=len(background))``, so both play the same interventional game over the whole
  background), on 10 features: diabetes regression with a GradientBoostingRegressor, and
  breast cancer restricted to its first 10 features with a HistGradientBoostingClassifier
  explained in probability space;
- ``kernel_shap`` against ``shap.KernelExplainer`` (same ``nsamples``, same seed), on breast
  cancer restricted to 8 and 12 features. For these rows the table also gives the largest
  distance to the exact values (explain's ``exact_shap``), which says how good the sampled
  estimate is.

shap's ExactExplainer compiles numba functions on its first call; that call is timed
separately, on one row, before anything else in the process uses shap's explainers. Every
other measurement comes after one warm-up row.

Times are CPU seconds of this process, the best of ``--repeat`` runs. Both sides spend most of
their time in the model's ``predict``; OpenMP (scikit-learn) and BLAS (numpy) are limited to one
thread so that cost is the same for both, and CPU time, unlike wall time, does not count what
other processes take from this one on a shared machine.

Run ``python benchmarks/bench_shapley.py`` (about two minutes of CPU time) or ``--quick``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

import explain as ex

RANDOM_STATE = 0


@dataclass(frozen=True)
class Case:
    """One model with its background and the rows to explain."""

    name: str
    model: Any
    f: Callable[[np.ndarray], np.ndarray]  # the single output explained, as shap sees it
    output: str
    background: np.ndarray
    rows: np.ndarray


@dataclass(frozen=True)
class Row:
    method: str
    case: str
    rows: int
    features: int
    ours: float
    reference: float
    max_diff: float
    max_diff_exact: float | None = None


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """CPU seconds of this process (all its threads) spent in ``fn``, and what it returned.

    CPU time rather than wall time: it does not count the time other processes on a shared
    machine take from this one, which wall time on a busy 2-core machine does many times over.
    """
    start = time.process_time()
    out = fn()
    return time.process_time() - start, out


def make_cases(n_rows: int, n_background: int) -> dict[str, Case]:
    """Fit the models; rows and background are held-out and training rows (numpy arrays)."""
    from sklearn.datasets import load_breast_cancer, load_diabetes
    from sklearn.ensemble import GradientBoostingRegressor, HistGradientBoostingClassifier
    from sklearn.model_selection import train_test_split

    cases = {}
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.3, random_state=RANDOM_STATE)
    reg = GradientBoostingRegressor(random_state=RANDOM_STATE).fit(X_train, y_train)
    cases["diabetes"] = Case("diabetes GBR", reg, reg.predict, "raw", X_train[:n_background], X_test[:n_rows])
    X, y = load_breast_cancer(return_X_y=True)
    for d in (8, 10, 12):
        X_train, X_test, y_train, _ = train_test_split(
            X[:, :d], y, test_size=0.3, random_state=RANDOM_STATE, stratify=y
        )
        clf = HistGradientBoostingClassifier(random_state=RANDOM_STATE).fit(X_train, y_train)

        def positive(z: np.ndarray, clf: Any = clf) -> np.ndarray:
            return clf.predict_proba(z)[:, 1]

        bg, rows = X_train[:n_background], X_test[:n_rows]
        name = f"breast cancer HGB (probability), {d} features"
        cases[f"cancer{d}"] = Case(name, clf, positive, "probability", bg, rows)
    return cases


def ours(case: Case, method: str, rows: np.ndarray) -> np.ndarray:
    explainer = ex.Explainer(
        case.model,
        background=case.background,
        method=method,
        output=case.output,  # type: ignore[arg-type]
        background_size=None,  # the whole background, as the reference uses it
        random_state=RANDOM_STATE,
    )
    return np.asarray(explainer.explain_local(rows).values)


def shap_exact(case: Case, rows: np.ndarray) -> np.ndarray:
    import shap

    masker = shap.maskers.Independent(case.background, max_samples=len(case.background))
    explainer = shap.explainers.Exact(case.f, masker)
    return np.asarray(explainer(rows, silent=True).values)


def shap_kernel(case: Case, rows: np.ndarray) -> np.ndarray:
    import shap

    d = rows.shape[1]
    np.random.seed(RANDOM_STATE)  # noqa: NPY002 - KernelExplainer samples from numpy's global RNG
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        explainer = shap.KernelExplainer(case.f, case.background)
        # l1_reg=False as explain uses it: shap's default, "num_features(10)", keeps only 10 features
        return np.asarray(explainer.shap_values(rows, nsamples=2 * d + 2048, l1_reg=False, silent=True))


def first_call(case: Case) -> tuple[float, float]:
    """shap's ExactExplainer on one row: the first call (numba compiles) and the next one."""
    first, _ = _timed(lambda: shap_exact(case, case.rows[:1]))
    later, _ = _timed(lambda: shap_exact(case, case.rows[:1]))
    return first, later


def best_of(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """The shortest of ``repeat`` timed calls (the one least disturbed by other processes)."""
    runs = [_timed(fn) for _ in range(repeat)]
    return min(t for t, _ in runs), runs[0][1]


def compare(method: str, case: Case, repeat: int) -> Row:
    reference = shap_exact if method == "exact_shap" else shap_kernel
    ours(case, method, case.rows[:1]), reference(case, case.rows[:1])  # warm up both
    t_ours, v_ours = best_of(repeat, lambda: ours(case, method, case.rows))
    t_ref, v_ref = best_of(repeat, lambda: reference(case, case.rows))
    v_ref = np.asarray(v_ref).reshape(v_ours.shape)
    exact_diff = None
    if method == "kernel_shap":
        exact_diff = float(np.max(np.abs(v_ours - ours(case, "exact_shap", case.rows))))
    n, d = case.rows.shape
    return Row(method, case.name, n, d, t_ours, t_ref, float(np.max(np.abs(v_ours - v_ref))), exact_diff)


def table(rows: list[Row]) -> str:
    columns = ("method", "case", "rows", "features", "ours (CPU s)", "reference (CPU s)", "ratio (ref/ours)",
               "max abs diff", "kernel: max abs diff to exact")  # fmt: skip
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in rows:
        reference = "shap.ExactExplainer" if r.method == "exact_shap" else "shap.KernelExplainer"
        exact = "" if r.max_diff_exact is None else f"{r.max_diff_exact:.1e}"
        lines.append(
            f"| {r.method} vs {reference} | {r.case} | {r.rows} | {r.features} | {r.ours:.2f} | {r.reference:.2f} "
            f"| {r.reference / r.ours:.2f} | {r.max_diff:.1e} | {exact} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20, help="rows explained per case (default: %(default)s)")
    parser.add_argument("--background", type=int, default=50, help="background rows (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=2, help="timed runs per measurement; the best is kept")
    parser.add_argument("--quick", action="store_true", help="5 rows, 20 background rows, 1 run: a smoke run")
    args = parser.parse_args(argv)
    n_rows, n_background, repeat = (5, 20, 1) if args.quick else (args.rows, args.background, args.repeat)
    if min(n_rows, n_background, repeat) < 1:
        parser.error("--rows, --background and --repeat must be positive")

    from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

    print(f"explain {ex.__version__}, shap {_version('shap')}, scikit-learn {_version('scikit-learn')}, ", end="")
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, {date.today().isoformat()}")
    print(f"{n_rows} rows explained per case, {n_background} background rows, best of {repeat} runs")
    cases = make_cases(n_rows, n_background)
    import shap  # noqa: F401 - loads the libraries whose thread pools are limited next

    # threadpoolctl limits only libraries already loaded: the imports above load scikit-learn's
    # OpenMP and numpy's BLAS. One thread each makes the model's cost the same for both sides,
    # and keeps idle pool threads from spinning on CPU time that would be counted.
    print("OpenMP and BLAS limited to 1 thread", flush=True)
    with threadpool_limits(limits=1):
        results = run(cases, repeat)
    print()
    print(table(results))
    return 0


def _version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def run(cases: dict[str, Case], repeat: int) -> list[Row]:
    first, later = first_call(cases["diabetes"])  # before anything else calls shap's Exact
    print(f"shap ExactExplainer, 1 row, 10 features: first call {first:.2f} CPU s (numba compiles), next {later:.3f}")
    results = []
    plan = [
        ("exact_shap", "diabetes"),
        ("exact_shap", "cancer10"),
        ("kernel_shap", "cancer8"),
        ("kernel_shap", "cancer12"),
    ]
    for method, key in plan:
        print(f"... {method} on {cases[key].name}", flush=True)
        results.append(compare(method, cases[key], repeat))
    return results


if __name__ == "__main__":
    raise SystemExit(main())
