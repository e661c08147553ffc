"""Time ``explain.audit`` on a 10 000-row, 30-feature gradient-boosting model, and the exports.

The target (issue 5): the audit finishes within 60 s on 2 cores. Printed: the time of the audit
(all sections; each section's share is in the step log with ``--steps``), of each exporter
(JSON, HTML, PDF), of the PDF layout alone (Typst compiling the prepared template), and the
peak resident memory of the process (tracemalloc would slow the audit several times).

Run: ``python benchmarks/bench_audit.py`` (``--rows``, ``--features`` to change the size).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.ensemble import HistGradientBoostingClassifier

import explain as ex


def _data(rows: int, features: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame, np.ndarray]:
    X, y = make_classification(
        n_samples=2 * rows, n_features=features, n_informative=features // 2, random_state=seed, flip_y=0.05
    )
    frame = pd.DataFrame(X, columns=[f"x{j:02d}" for j in range(features)])
    rng = np.random.default_rng(seed)
    # a sensitive attribute related to one informative feature, so the fairness section has work
    frame["group"] = np.where(frame["x00"] + rng.normal(size=len(frame)) > 0, "a", "b")
    frame["band"] = rng.choice(["young", "middle", "old"], len(frame))
    return frame[:rows], y[:rows], frame[rows:], y[rows:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--features", type=int, default=30)
    parser.add_argument("--steps", action="store_true", help="print the audit's step log")
    args = parser.parse_args()
    X_train, y_train, X_test, y_test = _data(args.rows, args.features)
    features = [c for c in X_train.columns if c.startswith("x")]
    model = HistGradientBoostingClassifier(random_state=0).fit(X_train[features], y_train)
    print(f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, Python "
          f"{platform.python_version()}")  # fmt: skip
    print(f"data: {args.rows} training and {args.rows} test rows, {args.features} features; HistGradientBoosting")

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    report = ex.audit(model, X_train, y_train, X_test, y_test, sensitive_features=["group", "band"],
                      generated_at="2026-01-01T00:00:00Z", progress=args.steps)  # fmt: skip
    audit_s = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(
        f"audit:        {audit_s:6.1f} s   (target: 60 s)   peak RSS {peak / 1024:.0f} MiB "
        f"(before the audit: {rss_before / 1024:.0f} MiB)"
    )
    print(f"              verdict {report.verdict}, {len(report.findings)} findings")

    with tempfile.TemporaryDirectory() as tmp:
        for name, export in (("json", report.to_json), ("html", report.to_html), ("pdf", report.to_pdf)):
            start = time.perf_counter()
            path = export(Path(tmp) / f"audit.{name}")
            print(f"to_{name}:{'':<6}{time.perf_counter() - start:6.2f} s   {path.stat().st_size / 1024:8.0f} KiB")
    charts, layout = _layout_only(report.evidence, datetime(2026, 1, 1, tzinfo=timezone.utc))
    print(f"PDF parts:    charts (SVG) {charts:.2f} s, layout alone (Typst compile) {layout:.2f} s")


def _layout_only(evidence: dict, stamp: datetime) -> tuple[float, float]:
    """Time the chart drawing and Typst's compile separately, from the same evidence."""
    import json

    from explain.report._charts import chart_svgs
    from explain.report._evidence import canonical_json
    from explain.report._pdf import _compile
    from explain.report._view import build_view

    data = canonical_json(evidence)
    attached = json.loads(data)
    view = build_view(attached)
    start = time.perf_counter()
    svgs = chart_svgs(attached, view)
    charts = time.perf_counter() - start
    start = time.perf_counter()
    _compile(data, view, svgs, stamp)
    return charts, time.perf_counter() - start


if __name__ == "__main__":
    main()
