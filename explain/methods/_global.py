"""Global-only methods: what they receive and return.

A global method explains the model as a whole (one number per feature, optional effects), so it
may need the target ``y`` (permutation importance) and returns no per-row values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._effects import FeatureEffect
from ._base import Job

__all__ = ["GlobalJob", "GlobalMethodSpec", "GlobalResult"]


@dataclass(frozen=True)
class GlobalJob:
    """A validated global request: the local :class:`Job` parts, the target, the features."""

    job: Job
    y: np.ndarray | None
    features: tuple[str, ...]


@dataclass(frozen=True)
class GlobalResult:
    importances: np.ndarray  # (d,) or (d, k)
    spread: np.ndarray | None
    kind: str
    output_space: str
    output_names: tuple[str, ...]
    effects: tuple[FeatureEffect, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GlobalMethodSpec:
    name: str
    summary: str
    run: Callable[[GlobalJob], GlobalResult]
    needs_y: bool
    defaults: Mapping[str, Any] = field(default_factory=dict)
    random: bool = False
