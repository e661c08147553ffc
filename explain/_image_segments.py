"""Regions of an image: the players of an image explanation, and their hierarchy.

A *segmentation* splits each image into regions, numbered ``0 .. r-1`` in a label array of the
image's height and width. It is given to the :class:`~explain.Explainer` as ``segmentation=``:

``None`` or ``"grid"``
    A 4 x 4 grid (the default): 16 regions, few enough for exact Shapley values.
``(rows, cols)`` or ``{"kind": "grid", "rows": 4, "cols": 4}``
    A grid of ``rows`` x ``cols`` cells of (nearly) equal size: row ``i`` of the image falls in
    grid row ``floor(i * rows / h)``; the cell in grid row ``a`` and column ``b`` is region
    ``a * cols + b``.
``"quickshift"``, ``"slic"``, ``"felzenszwalb"`` or ``{"kind": "slic", "n_segments": 30, ...}``
    Superpixels from scikit-image (the segmentation lime uses), each image on its own, with the
    function's own parameters (checked against its signature), on the images as given (uint8
    and float pixels are read on different scales by scikit-image, as by lime). Defaults: quickshift with lime's
    ``kernel_size=4, max_dist=200, ratio=0.2``; slic and felzenszwalb with scikit-image's. A
    grey image is turned to RGB first for quickshift (as lime does). quickshift is random: its
    seed (``rng``) is drawn from the Explainer's ``random_state`` unless given, and recorded.
an integer array ``(h, w)`` or ``(n, h, w)``
    Labels of your own: one array for every image, or one per image. Labels are renumbered
    ``0 .. r-1`` in increasing order.

The labels used are recorded in the explanation, per image, so that a reloaded explanation
maps its region values to pixels without segmenting again.

Hierarchy (for ``partition_shap``)
----------------------------------
Owen values need a binary tree over the regions. For a grid it is a balanced split: the block
of cells is cut in half along its longer side (rows on a tie), the first half the larger when the
side is odd (a side of 5 cells splits 3 + 2), and so on down to single cells. These are the
blocks of shap's ``Image`` masker, so that over a grid of one pixel per region the Owen values
are those of shap's ``PartitionExplainer``.
For superpixels and labels of your own, regions are merged by Ward's linkage of their centroids
(``scipy.cluster.hierarchy.linkage(centroids, "ward")``): nearby regions first. A tree is a
nested tuple of region numbers, e.g. ``((0, 1), (2, 3))``; it is recorded in the explanation's
``params["hierarchy"]`` when every image has the same regions (``None`` otherwise: each image's
tree is ``ward_tree(exp.segments[i])``), with ``params["hierarchy_rule"]``.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InputError, MissingDependencyError

__all__ = ["DEFAULT_SEGMENTATION", "Segmenter", "check_segmentation", "grid_tree", "ward_tree"]

DEFAULT_SEGMENTATION: dict[str, Any] = {"kind": "grid", "rows": 4, "cols": 4}
SUPERPIXELS = ("quickshift", "slic", "felzenszwalb")
SUPERPIXEL_DEFAULTS: dict[str, dict[str, Any]] = {
    "quickshift": {"kernel_size": 4, "max_dist": 200, "ratio": 0.2},  # lime's LimeImageExplainer
    "slic": {},
    "felzenszwalb": {},
}
MAX_REGIONS = 4096  # more regions than this is a segmentation mistake (a region per pixel of a photo)
_FIX = (
    "Pass segmentation=None (a 4 x 4 grid), (rows, cols), {'kind': 'grid', 'rows': r, 'cols': c}, "
    "'quickshift' / 'slic' / 'felzenszwalb' or {'kind': 'slic', 'n_segments': 30, ...}, or an integer "
    "label array of shape (h, w) or (n, h, w)."
)

Tree = Any  # a region number, or a pair of trees


def check_segmentation(spec: Any) -> None:
    """Raise :class:`~explain.errors.InputError` unless ``spec`` is a segmentation (see the module).

    Shapes are checked against the images later, when they are known.

    Examples
    --------
    >>> check_segmentation((2, 3))
    >>> check_segmentation({"kind": "slic", "n_segments": 20})
    >>> check_segmentation("watershed")
    Traceback (most recent call last):
    ...
    explain.errors.InputError: segmentation='watershed' is not known. Pass segmentation=None ...
    """
    normalize(spec)


def normalize(spec: Any) -> dict[str, Any] | np.ndarray:
    """The segmentation as a dict ``{"kind": ..., params}``, or as an integer label array."""
    if spec is None:
        return dict(DEFAULT_SEGMENTATION)
    if isinstance(spec, np.ndarray):
        return _labels_array(spec)
    if isinstance(spec, str):
        if spec == "grid":
            return dict(DEFAULT_SEGMENTATION)
        if spec in SUPERPIXELS:
            return {"kind": spec, **SUPERPIXEL_DEFAULTS[spec]}
        raise InputError(f"segmentation={spec!r} is not known. {_FIX}")
    if isinstance(spec, (tuple, list)) and len(spec) == 2 and all(_whole(v) for v in spec):
        return _grid(int(spec[0]), int(spec[1]))
    if isinstance(spec, (list, tuple)):
        return _labels_array(np.asarray(spec))
    if isinstance(spec, Mapping):
        return _from_mapping(spec)
    raise InputError(f"segmentation={spec!r} ({type(spec).__name__}) is not a segmentation. {_FIX}")


def _whole(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _grid(rows: Any, cols: Any) -> dict[str, Any]:
    if not (_whole(rows) and _whole(cols)) or rows < 1 or cols < 1:
        raise InputError(f"a grid of rows={rows!r} x cols={cols!r}; pass two whole numbers >= 1, e.g. (4, 4).")
    return {"kind": "grid", "rows": int(rows), "cols": int(cols)}


def _from_mapping(spec: Mapping[str, Any]) -> dict[str, Any]:
    params = dict(spec)
    kind = params.pop("kind", None)
    if kind == "grid":
        unknown = sorted(set(params) - {"rows", "cols"})
        if unknown:
            raise InputError(f"a grid segmentation takes 'rows' and 'cols'; {unknown} are not known.")
        return _grid(params.get("rows", 4), params.get("cols", 4))
    if kind not in SUPERPIXELS:
        raise InputError(
            f"segmentation kind={kind!r} is not known; choose 'grid' or one of {list(SUPERPIXELS)}. {_FIX}"
        )
    allowed = _parameters(kind)
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise InputError(
            f"{unknown} are not parameters of skimage.segmentation.{kind}; its parameters are {sorted(allowed)}."
        )
    for key, value in params.items():
        if not isinstance(value, (int, float, str, bool, type(None), np.number)):
            raise InputError(
                f"segmentation parameter {key}={value!r}: pass numbers, strings or booleans, so that the "
                "segmentation can be recorded in the explanation."
            )
        _check_superpixel_value(kind, key, value)
    return {"kind": kind, **SUPERPIXEL_DEFAULTS[kind], **{k: _plain(v) for k, v in params.items()}}


# the scikit-image parameters with a range, checked here so that a bad value is named in our words
# (slic with n_segments=-5 fails deep inside scikit-image with "float() argument ... not 'complex'")
_RANGES: dict[str, tuple[str, Any]] = {
    "n_segments": ("a whole number >= 1", lambda v: _whole(v) and v >= 1),
    "compactness": ("a positive number", lambda v: v > 0),
    "kernel_size": ("a positive number", lambda v: v > 0),
    "max_dist": ("a positive number", lambda v: v > 0),
    "scale": ("a positive number", lambda v: v > 0),
    "sigma": ("a number >= 0", lambda v: v >= 0),
    "min_size": ("a whole number >= 0", lambda v: _whole(v) and v >= 0),
    "ratio": ("a number from 0 to 1", lambda v: 0 <= v <= 1),
    "max_num_iter": ("a whole number >= 1", lambda v: _whole(v) and v >= 1),
}


def _check_superpixel_value(kind: str, key: str, value: Any) -> None:
    if key not in _RANGES:
        return
    rule, ok = _RANGES[key]
    number = isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, np.bool_))
    if not (number and np.isfinite(value) and ok(value)):
        raise InputError(f"segmentation {kind} {key}={value!r}; pass {rule}.")


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _parameters(kind: str) -> set[str]:
    function = _skimage_function(kind)
    skip = {"image", "mask", "channel_axis", "start_label"}
    return {name for name in inspect.signature(function).parameters if name not in skip}


def _skimage_function(kind: str) -> Any:
    try:
        from skimage import segmentation
    except ImportError as exc:  # pragma: no cover - lime depends on scikit-image
        raise MissingDependencyError(
            f"segmentation={kind!r} needs scikit-image: pip install 'explain[image]' (lime installs it too)."
        ) from exc
    return getattr(segmentation, kind)


def _seed_parameter(kind: str) -> str | None:
    """The name under which a scikit-image segmentation takes its seed (quickshift: ``rng``,
    ``random_seed`` in older versions), or None for a deterministic one."""
    if kind not in SUPERPIXELS:
        return None
    names = inspect.signature(_skimage_function(kind)).parameters
    return next((name for name in ("rng", "random_seed") if name in names), None)


def _labels_array(labels: np.ndarray) -> np.ndarray:
    if labels.dtype.kind not in "iu" and not (labels.dtype.kind == "b"):
        raise InputError(
            f"a segmentation array holds integer region labels; this one has dtype {labels.dtype}. "
            "Pass an integer array of shape (h, w) or (n, h, w)."
        )
    if labels.ndim not in (2, 3):
        raise InputError(f"a segmentation array of shape {labels.shape}; pass labels of shape (h, w) or (n, h, w).")
    return labels.astype(np.int64)


@dataclass(frozen=True)
class Segmenter:
    """A checked segmentation, ready to label images of one shape."""

    spec: dict[str, Any] | np.ndarray
    random_state: int | None

    @classmethod
    def from_spec(cls, spec: Any, random_state: int | None) -> Segmenter:
        """The checked segmentation; a random one (quickshift) gets its seed here, once, from
        ``random_state``, so that the seed recorded is the seed used."""
        checked = normalize(spec)
        if isinstance(checked, dict):
            seed_name = _seed_parameter(checked["kind"])
            if seed_name is not None and seed_name not in checked:
                checked[seed_name] = int(np.random.default_rng(random_state).integers(0, 1000))
        return cls(checked, random_state)

    @property
    def kind(self) -> str:
        return "labels" if isinstance(self.spec, np.ndarray) else str(self.spec["kind"])

    def record(self) -> dict[str, Any]:
        """The segmentation as JSON-ready data (the label arrays themselves are kept per image)."""
        if isinstance(self.spec, np.ndarray):
            return {"kind": "labels", "shared": self.spec.ndim == 2}
        return dict(self.spec)

    def labels(self, images: np.ndarray) -> np.ndarray:
        """Region labels ``(n, h, w)``, numbered ``0 .. r-1`` in each image."""
        n, h, w = images.shape[:3]
        if isinstance(self.spec, np.ndarray):
            return self._given(self.spec, n, h, w)
        if self.spec["kind"] == "grid":
            rows, cols = int(self.spec["rows"]), int(self.spec["cols"])
            if rows > h or cols > w:
                raise InputError(
                    f"a grid of {rows} x {cols} cells on images of {h} x {w} pixels would leave cells empty; "
                    f"pass at most ({h}, {w})."
                )
            cell = (np.arange(h)[:, None] * rows // h) * cols + np.arange(w)[None, :] * cols // w
            return np.broadcast_to(cell, (n, h, w)).copy()
        params = self.record()
        kind = params.pop("kind")
        function = _skimage_function(kind)
        return np.stack([_renumber(_superpixels(function, kind, image, params)) for image in images])

    def _given(self, spec: np.ndarray, n: int, h: int, w: int) -> np.ndarray:
        expected = (h, w) if spec.ndim == 2 else (n, h, w)
        if spec.shape != expected:
            raise InputError(
                f"the segmentation array has shape {spec.shape} but the images are {n} of {h} x {w} pixels; "
                f"pass labels of shape {(h, w)} (every image) or {(n, h, w)} (one per image)."
            )
        full = np.broadcast_to(spec, (n, h, w))
        return np.stack([_renumber(labels) for labels in full])


def _superpixels(function: Any, kind: str, image: np.ndarray, params: dict[str, Any]) -> np.ndarray:
    if kind == "quickshift":
        if image.ndim == 2 or image.shape[-1] == 1:
            from skimage.color import gray2rgb  # as lime does for grey images

            image = gray2rgb(image.reshape(image.shape[:2]))
        elif image.shape[-1] != 3:
            raise InputError(
                f"quickshift segments RGB images; these have {image.shape[-1]} channels. Use "
                "segmentation='slic' or 'felzenszwalb', or labels of your own."
            )
        return np.asarray(function(image, **params))
    channel_axis = None if image.ndim == 2 else -1
    try:
        return np.asarray(function(image, channel_axis=channel_axis, **params))
    except (ValueError, TypeError) as exc:
        raise InputError(f"skimage.segmentation.{kind} refused these images or parameters {params}: {exc}") from exc


def _renumber(labels: np.ndarray) -> np.ndarray:
    """Labels ``0 .. r-1`` in increasing order of the given ones."""
    _, inverse = np.unique(labels, return_inverse=True)
    out = inverse.reshape(labels.shape).astype(np.int64)
    if out.max() + 1 > MAX_REGIONS:
        raise InputError(
            f"the segmentation gives {out.max() + 1} regions, more than {MAX_REGIONS}: regions are the players "
            "of the explanation and so many cannot be explained. Use a coarser grid or fewer superpixels "
            "(e.g. {'kind': 'slic', 'n_segments': 50})."
        )
    return out


# --------------------------------------------------------------------------- hierarchies


def grid_tree(rows: int, cols: int) -> Tree:
    """The balanced binary tree over the cells of a grid: halve the longer side, rows on a tie,
    the larger half first when the side is odd (shap's ``Image`` masker splits so too).

    Examples
    --------
    >>> grid_tree(2, 2)
    ((0, 1), (2, 3))
    >>> grid_tree(1, 3)
    ((0, 1), 2)
    """

    def split(r0: int, r1: int, c0: int, c1: int) -> Tree:
        if r1 - r0 == 1 and c1 - c0 == 1:
            return r0 * cols + c0
        if r1 - r0 >= c1 - c0:
            mid = r0 + (r1 - r0 + 1) // 2  # the first half the larger of an odd side, as shap's masker
            return (split(r0, mid, c0, c1), split(mid, r1, c0, c1))
        mid = c0 + (c1 - c0 + 1) // 2
        return (split(r0, r1, c0, mid), split(r0, r1, mid, c1))

    return split(0, rows, 0, cols)


def ward_tree(labels: np.ndarray) -> Tree:
    """Regions merged by Ward's linkage of their centroids (``scipy.cluster.hierarchy``).

    Examples
    --------
    >>> ward_tree(np.array([[0, 0, 1, 1, 2]]))
    (0, (1, 2))
    """
    from scipy.cluster.hierarchy import linkage

    from .methods._coalitions import hierarchy_from_linkage

    r = int(labels.max()) + 1
    if r == 1:
        return 0
    rows, cols = np.indices(labels.shape)
    counts = np.bincount(labels.ravel(), minlength=r)
    centroids = np.stack(
        [np.bincount(labels.ravel(), rows.ravel(), r) / counts, np.bincount(labels.ravel(), cols.ravel(), r) / counts],
        axis=1,
    )
    return hierarchy_from_linkage(linkage(centroids, method="ward"))


def tree_of(segmenter: Segmenter, labels: np.ndarray) -> tuple[Tree, str]:
    """The hierarchy of one image's regions, and how it was made (recorded in params)."""
    spec = segmenter.spec
    if isinstance(spec, dict) and spec["kind"] == "grid":
        return grid_tree(int(spec["rows"]), int(spec["cols"])), "balanced split of the grid's rows and columns"
    return ward_tree(labels), "Ward linkage of region centroids (scipy.cluster.hierarchy)"
