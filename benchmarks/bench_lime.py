"""Time explain's batched LIME engine against the ``lime`` package, and against the floor.

On breast cancer (30 features; 300 training rows as background, held-out rows explained), at
the same ``num_samples`` in one run:

- **lime**: ``lime.lime_tabular.LimeTabularExplainer`` with its defaults, one
  ``explain_instance(row, model.predict_proba, num_features=30, num_samples=S)`` per row;
- **ours, shared**: ``explain.Explainer(model, method="lime")`` with the defaults (batched
  engine, one scored sample serves every row of the call);
- **ours, independent**: the batched engine with ``sample="independent"`` (a fresh sample per
  row, as lime draws, scored in large chunks);
- **floor**: the model alone, ``predict_proba`` on an array of ``rows x S`` rows (the number of
  perturbed rows lime scores, and the independent engine too). Its rows mix the background's
  values column by column, as perturbed rows do: a tree ensemble scores repeated copies of a few
  hundred rows faster than varied rows (its branches become predictable), which would make the
  floor too low.

for a fast model (logistic regression) and a slower one (HistGradientBoosting, 100 trees).
Times are CPU seconds of the benchmark process, the best of ``--repeat`` rounds after a one-row
warm-up, each round running every side in turn. OpenMP and BLAS are limited to one thread for
every side, so the comparison does not depend on how many cores happen to be free, and CPU
time, unlike wall time, does not count what other processes on a shared machine take.

Targets (issue 3): at least 5x faster than lime on a fast model, within 2x of the floor.

Run ``python benchmarks/bench_lime.py`` (about 20 seconds on 2 cores) or ``--quick``.
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
    name: str
    model: Any
    background: np.ndarray
    rows: np.ndarray


@dataclass(frozen=True)
class Timing:
    case: str
    rows: int
    features: int
    samples: int
    lime: float
    shared: float
    independent: float
    floor: float


def best_of(repeat: int, runs: dict[str, Callable[[], Any]]) -> dict[str, float]:
    """The shortest CPU time of each function over ``repeat`` rounds.

    CPU time of this process (one thread everywhere), which unlike wall time does not count what
    other processes take; each round calls every function once, in turn, so that all of them
    meet the same conditions (caches, frequency) when the machine is shared.
    """
    best = dict.fromkeys(runs, np.inf)
    for _ in range(repeat):
        for name, fn in runs.items():
            start = time.process_time()
            fn()
            best[name] = min(best[name], time.process_time() - start)
    return best


def make_cases(n_rows: int) -> list[Case]:
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.3, random_state=RANDOM_STATE, stratify=y)
    background, rows = X_train[:300], X_test[:n_rows]
    fast = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train)
    slow = HistGradientBoostingClassifier(max_iter=100, early_stopping=False, random_state=RANDOM_STATE)
    slow.fit(X_train, y_train)
    return [
        Case("logistic regression (fast)", fast, background, rows),
        Case("HistGradientBoosting, 100 trees (slower)", slow, background, rows),
    ]


def ours(case: Case, samples: int, sample: str) -> np.ndarray:
    explainer = ex.Explainer(
        case.model,
        background=case.background,
        method="lime",
        background_size=None,  # the whole background, as lime's training_data
        method_params={"num_samples": samples, "sample": sample},
        random_state=RANDOM_STATE,
    )
    return np.asarray(explainer.explain_local(case.rows).values)


def lime_package(case: Case, samples: int) -> list[Any]:
    from lime.lime_tabular import LimeTabularExplainer

    explainer = LimeTabularExplainer(case.background, random_state=RANDOM_STATE)
    d = case.rows.shape[1]
    return [
        explainer.explain_instance(row, case.model.predict_proba, num_features=d, num_samples=samples)
        for row in case.rows
    ]


def floor_rows(case: Case, samples: int) -> np.ndarray:
    """As many rows as lime scores, each column drawn from the background's values of that column."""
    rng = np.random.default_rng(RANDOM_STATE)
    n = case.rows.shape[0] * samples
    return np.column_stack([rng.choice(column, n) for column in case.background.T])


def measure(case: Case, samples: int, repeat: int) -> Timing:
    n, d = case.rows.shape
    one = Case(case.name, case.model, case.background, case.rows[:1])
    Z = floor_rows(case, samples)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lime warns about its own defaults on some inputs
        lime_package(one, samples), ours(one, samples, "shared"), ours(one, samples, "independent")  # warm up
        best = best_of(
            repeat,
            {
                "lime": lambda: lime_package(case, samples),
                "shared": lambda: ours(case, samples, "shared"),
                "independent": lambda: ours(case, samples, "independent"),
                "floor": lambda: case.model.predict_proba(Z),
            },
        )
    return Timing(case.name, n, d, samples, best["lime"], best["shared"], best["independent"], best["floor"])


def table(results: list[Timing]) -> str:
    columns = ("model", "engine", "CPU ms / row", "lime / ours", "ours / floor")
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for r in results:
        per_row = {k: 1000 * getattr(r, k) / r.rows for k in ("lime", "shared", "independent", "floor")}
        lines.append(f"| {r.case} | lime package | {per_row['lime']:.2f} | | |")
        for engine in ("shared", "independent"):
            lines.append(
                f"| {r.case} | ours, {engine} | {per_row[engine]:.2f} | {r.lime / getattr(r, engine):.1f}x "
                f"| {getattr(r, engine) / r.floor:.2f}x |"
            )
        lines.append(f"| {r.case} | floor ({r.rows} x {r.samples} rows) | {per_row['floor']:.2f} | | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20, help="rows explained per model (default: %(default)s)")
    parser.add_argument("--samples", type=int, default=5000, help="num_samples, lime's default: %(default)s")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measurement; the best is kept")
    parser.add_argument("--quick", action="store_true", help="5 rows, 1000 samples, 1 run: a smoke run")
    args = parser.parse_args(argv)
    n_rows, samples, repeat = (5, 1000, 1) if args.quick else (args.rows, args.samples, args.repeat)
    if min(n_rows, repeat) < 1 or samples < 2:
        parser.error("--rows and --repeat must be positive, --samples at least 2")

    from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

    print(f"explain {ex.__version__}, lime {_version('lime')}, scikit-learn {_version('scikit-learn')}, ", end="")
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, {date.today().isoformat()}")
    print(f"{n_rows} rows explained per model, num_samples={samples}, CPU time: best of {repeat} rounds")
    print(f"load average before: {_load()} (other processes share the machine)", flush=True)
    with threadpool_limits(limits=1):  # OpenMP and BLAS: one thread for every side
        results = []
        for case in make_cases(n_rows):
            print(f"... {case.name}", flush=True)
            results.append(measure(case, samples, repeat))
    print(f"load average after: {_load()}")
    print()
    print(table(results))
    return 0


def _load() -> str:
    try:
        return ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def _version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


if __name__ == "__main__":
    raise SystemExit(main())
