"""Measuring helpers shared by the benchmark scripts (run them as scripts: this directory is on
``sys.path`` then)."""

from __future__ import annotations

import os
import platform
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

__all__ = ["best", "cpu", "cpu_name", "load_average", "peak_mb", "version"]


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The shortest wall-clock time (seconds) of ``repeat`` calls of ``fn()``, and the last call's result."""
    shortest, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        shortest = min(shortest, time.perf_counter() - start)
    return shortest, out


def cpu(fn: Callable[[], Any]) -> tuple[float, Any]:
    """CPU seconds of the process while ``fn()`` runs, and its result."""
    start = time.process_time()
    out = fn()
    return time.process_time() - start, out


def peak_mb(fn: Callable[[], Any]) -> float:
    """Peak of the memory Python and numpy allocate while ``fn()`` runs (tracemalloc), in MiB."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            return next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"


def load_average() -> str:
    try:
        return ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def version(name: str) -> str:
    from importlib.metadata import version as installed

    return installed(name)
