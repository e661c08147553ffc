"""The ``explain demo`` job: train a small model, explain it, and write what a reviewer reads.

Everything here is deterministic: the split, the model and the explanation take
``random_state=0``, and the JSON files are written without the run time
(``to_json(..., timing=False)``), so two runs write the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .explainer import Explainer
from .explanation import GlobalExplanation, LocalExplanation

__all__ = ["DemoData", "DemoResult", "describe", "load_data", "render_summary", "run_demo", "train_model"]

RANDOM_STATE = 0
N_TEST = 200
N_EXAMPLES = 3
N_REASONS = 4
N_TOP_FEATURES = 10
LOCAL_FILE = "local_explanation.json"
GLOBAL_FILE = "global_explanation.json"
SUMMARY_FILE = "summary.md"


@dataclass(frozen=True)
class DemoData:
    """The breast-cancer data, split into training and test rows."""

    X_train: pd.DataFrame
    X_test: pd.DataFrame
    y_train: pd.Series
    y_test: pd.Series
    target_names: tuple[str, ...]


@dataclass(frozen=True)
class DemoResult:
    """What :func:`run_demo` made: the model, its explanations and the files written."""

    data: DemoData
    model: Any
    accuracy: float
    local: LocalExplanation
    global_: GlobalExplanation
    local_path: Path
    global_path: Path
    summary_path: Path

    @property
    def paths(self) -> tuple[Path, Path, Path]:
        return self.local_path, self.global_path, self.summary_path


def load_data(n_test: int = N_TEST, random_state: int = RANDOM_STATE) -> DemoData:
    """Load scikit-learn's bundled breast-cancer data and split it, stratified by class.

    Parameters
    ----------
    n_test : int, default 200
        Number of test rows; the other rows are the training rows.
    random_state : int, default 0
        Seed of the split.

    Returns
    -------
    DemoData

    Examples
    --------
    >>> data = load_data()
    >>> data.X_train.shape, data.X_test.shape, data.target_names
    ((369, 30), (200, 30), ('malignant', 'benign'))
    """
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split

    bunch = load_breast_cancer(as_frame=True)
    X, y = bunch.data, bunch.target
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=n_test, random_state=random_state, stratify=y)
    return DemoData(X_train, X_test, y_train, y_test, tuple(str(t) for t in bunch.target_names))


def train_model(X_train: pd.DataFrame, y_train: pd.Series, random_state: int = RANDOM_STATE) -> Any:
    """Fit a ``HistGradientBoostingClassifier`` with default settings and a fixed seed.

    Parameters
    ----------
    X_train : DataFrame of shape (n_rows, n_features)
    y_train : Series of shape (n_rows,)
    random_state : int, default 0

    Returns
    -------
    HistGradientBoostingClassifier
        The fitted model.

    Examples
    --------
    >>> data = load_data()
    >>> model = train_model(data.X_train[:60], data.y_train[:60])
    >>> model.classes_.tolist()
    [0, 1]
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

    # One OpenMP thread: on a few hundred rows threads cost more than they save (on a busy
    # machine OpenMP's waiting threads can make this fit take seconds instead of milliseconds),
    # and the fitted model records its thread count (``_bin_mapper.n_threads``), which enters
    # the model fingerprint: one thread gives the same fingerprint on every machine.
    with threadpool_limits(limits=1, user_api="openmp"):
        return HistGradientBoostingClassifier(random_state=random_state).fit(X_train, y_train)


def run_demo(
    out_dir: str | Path = "explain-demo",
    *,
    log: Callable[[str], None] = print,
) -> DemoResult:
    """Train, explain and write ``local_explanation.json``, ``global_explanation.json`` and
    ``summary.md`` into ``out_dir`` (created if needed; files there are overwritten).

    Parameters
    ----------
    out_dir : str or Path, default "explain-demo"
        Output directory.
    log : callable, default print
        Receives one line per step, to show progress.

    Returns
    -------
    DemoResult

    Examples
    --------
    The full run takes a few seconds.

    >>> import tempfile
    >>> result = run_demo(tempfile.mkdtemp(), log=lambda line: None)
    >>> result.local.method, result.local.output_space
    ('tree_shap', 'probability')
    """
    out = Path(out_dir)
    log(f"[1/5] Loading scikit-learn's breast-cancer data ({N_TEST} test rows, stratified split)")
    data = load_data()
    log(f"[2/5] Training HistGradientBoostingClassifier(random_state={RANDOM_STATE}) on {len(data.X_train)} rows")
    model = train_model(data.X_train, data.y_train)
    accuracy = float(np.mean(model.predict(data.X_test) == data.y_test.to_numpy()))
    log(f"[3/5] Explaining {len(data.X_test)} test rows (method='auto')")
    explainer = Explainer(model, background=data.X_train, random_state=RANDOM_STATE)
    local = explainer.explain_local(data.X_test)
    # explain_global(X) would explain the same rows a second time; to_global() aggregates these
    global_ = local.to_global()
    log(f"[4/5] Writing explanations to {out}")
    out.mkdir(parents=True, exist_ok=True)
    local_path, global_path, summary_path = out / LOCAL_FILE, out / GLOBAL_FILE, out / SUMMARY_FILE
    # without the run time, so that two runs write the same bytes
    local.to_json(local_path, timing=False)
    global_.to_json(global_path, timing=False)
    log(f"[5/5] Writing {summary_path}")
    result = DemoResult(data, model, accuracy, local, global_, local_path, global_path, summary_path)
    summary_path.write_text(render_summary(result), encoding="utf-8")
    return result


# --------------------------------------------------------------------------- summary.md


def render_summary(result: DemoResult) -> str:
    """The Markdown summary of a demo run. It does not depend on timing, so it is the same on
    every run with the same libraries."""
    sections = [
        _header(result),
        _method_section(result.local, result.data.target_names[1]),
        _importance_section(result.global_),
        _reasons_section(result),
        _provenance_section(result.local),
    ]
    return "\n\n".join(sections) + "\n"


def _header(result: DemoResult) -> str:
    data, local = result.data, result.local
    n_test = len(data.y_test)
    correct = round(result.accuracy * n_test)
    return (
        "# explain demo: a breast-cancer classifier, explained\n\n"
        f"- Model: `{local.provenance.model_type}` (default settings, `random_state={RANDOM_STATE}`)\n"
        f"- Data: scikit-learn's bundled breast-cancer data, {local.n_features} numeric features; "
        f"{len(data.y_train)} training rows, {n_test} test rows (stratified split, `random_state={RANDOM_STATE}`)\n"
        f"- Classes: 0 = {data.target_names[0]}, 1 = {data.target_names[1]}\n"
        f"- Test accuracy: {result.accuracy:.3f} ({correct} of {n_test} rows)"
    )


def _method_section(local: LocalExplanation, class_label: str) -> str:
    from .methods import AUTO_ORDER, REGISTRY

    auto = local.params.get("auto", {})
    chosen = auto.get("chosen", local.method)
    skipped = dict(auto.get("skipped", {}))
    summary = REGISTRY[local.method].summary if local.method in REGISTRY else local.method
    order = ", ".join(f"`{m}`" for m in AUTO_ORDER)
    if not auto:
        why = f"`{local.method}` was asked for by name."
    elif skipped:
        why = (
            f'`method="auto"` tries {order} in that order (exact methods first) and takes the first '
            f"that supports the model; it skipped the methods below and chose `{chosen}`."
        )
    else:
        why = (
            f'`method="auto"` tries {order} in that order (exact methods first) and takes the first '
            f"that supports the model: `{chosen}` supports it, so nothing was skipped."
        )
    lines = [
        "## Method",
        "",
        f"- Method: `{local.method}`: {summary}",
        f"- Why: {why}",
    ]
    lines += [f"  - skipped `{name}`: {reason}" for name, reason in skipped.items()]
    lines += [
        f"- Output space: `{local.output_space}` of class `{local.output_names[0]}` ({class_label}). Each row's "
        "attributions add up to its prediction minus the base value (the mean prediction over the background rows).",
        f"- Background: {_background_note(local.params)}",
        f"- Additivity error, max |base + sum(attributions) - prediction| over {local.n_rows} rows: "
        f"{local.additivity_error():.1e}",
    ]
    return "\n".join(lines)


def _background_note(params: Any) -> str:
    rows = params.get("background_rows")
    if rows is None:
        return "none"
    given = params.get("background_rows_given")
    if given is None:
        return f"{rows} training rows"
    return f"{rows} rows drawn without replacement from {given} training rows (`random_state={RANDOM_STATE}`)"


def _importance_section(global_: GlobalExplanation) -> str:
    top = global_.top(N_TOP_FEATURES)
    rows = [(int(r.rank), r.feature, f"{r.importance:.4f}", f"{r.spread:.4f}") for r in top.itertuples()]
    title = (
        f"## Top {len(rows)} features, by mean |attribution| over {global_.params.get('n_rows', '?')} test rows "
        f"({global_.output_space} units)"
    )
    return title + "\n\n" + _table(("rank", "feature", "mean abs attribution", "std"), rows)


def _example_rows(predictions: np.ndarray) -> list[tuple[int, str]]:
    """Three rows worth reading: the most confident of each class, and the least certain."""
    picks = [
        (int(np.argmin(predictions)), "the model's most confident 'malignant'"),
        (int(np.argmin(np.abs(predictions - 0.5))), "the model's least certain row"),
        (int(np.argmax(predictions)), "the model's most confident 'benign'"),
    ]
    return picks[:N_EXAMPLES]


def _reasons_section(result: DemoResult) -> str:
    local, data = result.local, result.data
    parts = [
        f"## Principal reasons for {N_EXAMPLES} example rows",
        "",
        f"The features that push a prediction furthest toward malignant (the adverse outcome: a lower "
        f"probability of benign), at most {N_REASONS} per row, relative to the background rows: "
        f'`local[row].reasons(k={N_REASONS}, adverse="decrease")`. Contributions are in probability.',
    ]
    for row, why in _example_rows(np.asarray(local.predictions)):
        actual = data.target_names[int(data.y_test.iloc[row])]
        reasons = local[row].reasons(k=N_REASONS, adverse="decrease").to_frame()
        rows = [
            (int(r.rank), r.feature, f"{float(r.value):.4g}", f"{r.contribution:+.4g}") for r in reasons.itertuples()
        ]
        header = ("rank", "feature", "value", "contribution")
        table = _table(header, rows) if rows else "No feature pushes this row toward malignant."
        parts += [
            "",
            f"### Test row {row} (dataset index {data.X_test.index[row]}): {why}",
            "",
            f"Predicted probability of benign {local.predictions[row]:.4f} "
            f"(base value {local.base_values[row]:.4f}); actual class: {actual}.",
            "",
            table,
        ]
    return "\n".join(parts)


def _provenance_section(local: LocalExplanation) -> str:
    p = local.provenance
    versions = ", ".join(f"{k} {v}" for k, v in sorted(p.versions.items()))
    return "\n".join(
        [
            "## Provenance",
            "",
            f"- Model fingerprint (SHA-256): `{p.model_fingerprint}`",
            f"- Test data fingerprint (SHA-256): `{p.data_fingerprint}`",
            f"- Background fingerprint (SHA-256): `{p.background_fingerprint}`",
            f"- Local explanation content hash (SHA-256, without run time): `{local.content_hash()}`",
            f"- random_state: {p.random_state}",
            f"- Versions: {versions}",
            f"- Files: `{LOCAL_FILE}`, `{GLOBAL_FILE}` (reload with `explain.load(path)`)",
        ]
    )


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table.

    >>> print(_table(("a", "b"), [(1, "x")]))
    | a | b |
    | --- | --- |
    | 1 | x |
    """
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def describe(result: DemoResult) -> str:
    """A few lines for the terminal: what was found and where it was written."""
    local = result.local
    top = ", ".join(result.global_.top(3)["feature"])
    lines = [
        "",
        f"Model: HistGradientBoostingClassifier, test accuracy {result.accuracy:.3f}",
        f"Method: {local.method} ({local.output_space} of class {local.output_names[0]}), "
        f"{local.n_rows} rows, additivity error {local.additivity_error():.1e}",
        f"Most important features: {top}",
        "Wrote:",
        *(f"  {path}" for path in result.paths),
    ]
    return "\n".join(lines)
