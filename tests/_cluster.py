"""The local Dask cluster the distributed tests run on: two worker processes of one thread."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest


@contextmanager
def local_client() -> Iterator[Any]:
    """A ``distributed.Client`` on a fresh ``LocalCluster`` (closed on exit); skips without dask."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    )
    try:
        with distributed.Client(cluster) as client:
            yield client
    finally:
        cluster.close()
