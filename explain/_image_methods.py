"""The image explanation methods: a coalition game per image, solved three ways.

The players of an image are its regions (:mod:`explain._image_segments`). A coalition ``S`` of
regions is scored as the model's output on the image with every region outside ``S`` *masked*:
its pixels replaced by those of a reference image (the fill, see :func:`reference_images`).
The empty coalition is the reference itself (the base value), the full one the image (the
prediction).

``exact_shap``
    Shapley values, scoring all ``2^r`` coalitions (:func:`~explain.methods._coalitions.shapley_plan`);
    limited to ``max_regions`` regions (16 by default, at most 20).
``partition_shap``
    Owen values over a binary hierarchy of the regions (:func:`~explain.methods._coalitions.owen_plan`):
    about ``2 r^2`` coalitions for a balanced tree, exact for that hierarchy, as shap's Partition
    explainer computes them when it is given enough evaluations.
``lime``
    lime's image estimator (``lime.lime_image.LimeImageExplainer`` with its defaults): ``num_samples``
    binary region masks drawn uniformly (each region on with probability 1/2), the first one
    all on; weights ``sqrt(exp(-d^2 / kernel_width^2))`` with ``d`` the cosine distance of a mask
    to the all-on mask and ``kernel_width=0.25``; a weighted ridge regression (``alpha=1``, with
    intercept) of each output on the masks. Its coefficients are the values, its intercept the
    base value; lime's ``score`` (weighted R^2) and ``local_pred`` are kept as diagnostics. lime
    selects features first ('highest_weights'), but with its default ``num_features=100000`` that
    keeps every region, so the ridge is fitted on all of them, as here.

Model calls are batched: the masked images of many coalitions go to the model in one call of
at most :data:`CALL_PIXELS` pixel values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import InputError, MethodError
from .methods._coalitions import MAX_EXACT_PLAYERS, owen_plan, shapley_plan

__all__ = ["IMAGE_METHODS", "ImageResult", "check_params", "reference_images", "run_image"]

MAX_REGIONS = 16  # exact_shap's default limit: 2^16 = 65 536 masked images per image explained
MAX_LIME_SAMPLES = 1_000_000  # lime: masked images per image; more is a typo, not a sample (and memory)
CALL_PIXELS = 1 << 22  # pixel values per model call (32 MB of float64): bounds memory
FILLS = ("mean", "segment_mean", "blur")
BLUR_FRACTION = 1 / 16  # fill="blur": Gaussian blur of standard deviation 1/16 of the larger side

IMAGE_METHODS: dict[str, dict[str, Any]] = {
    "exact_shap": {"max_regions": MAX_REGIONS, "fill": "mean"},
    "partition_shap": {"fill": "mean"},
    "lime": {"num_samples": 1000, "kernel_width": 0.25, "fill": "mean"},
}
AUTO_DEFAULTS: dict[str, Any] = {"max_regions": MAX_REGIONS, "fill": "mean"}

Predict = Callable[[np.ndarray], np.ndarray]  # images (m, h, w[, c]) -> outputs (m, k)


@dataclass(frozen=True)
class ImageResult:
    """One image's explanation: values ``(r, k)``, base value and prediction ``(k,)``."""

    values: np.ndarray
    base: np.ndarray
    prediction: np.ndarray
    diagnostics: dict[str, np.ndarray] = field(default_factory=dict)


def check_params(method: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The method's settings (defaults filled in), or a :class:`MethodError` naming the bad one."""
    defaults = AUTO_DEFAULTS if method == "auto" else IMAGE_METHODS[method]
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise MethodError(
            f"method_params {unknown} are not settings of {method} for images; its settings are {sorted(defaults)}."
        )
    out = {**defaults, **dict(params)}
    if "max_regions" in out:
        limit = out["max_regions"]
        if not _whole(limit) or not 1 <= limit <= MAX_EXACT_PLAYERS:
            raise MethodError(
                f"max_regions={limit!r}; pass a whole number of regions from 1 to {MAX_EXACT_PLAYERS} "
                f"(default {MAX_REGIONS}): exact_shap scores 2^regions masked images per image."
            )
    if "num_samples" in out and (not _whole(out["num_samples"]) or not 2 <= out["num_samples"] <= MAX_LIME_SAMPLES):
        raise MethodError(
            f"lime num_samples={out['num_samples']!r}; pass a whole number of masked images per image from 2 to "
            f"{MAX_LIME_SAMPLES:,} (lime's image default is 1000; each sample is a model call on a whole image)."
        )
    if "kernel_width" in out:
        width = out["kernel_width"]
        if isinstance(width, bool) or not isinstance(width, (int, float, np.number)) or not 0 < width < np.inf:
            raise MethodError(f"lime kernel_width={width!r}; pass a positive number (lime's image default is 0.25).")
    _check_fill(out["fill"])
    return out


def _whole(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _check_fill(fill: Any) -> None:
    if isinstance(fill, str):
        if fill not in FILLS:
            raise MethodError(
                f"fill={fill!r} is not known; pass 'mean' (the background's mean colour), 'segment_mean' "
                "(each region its own mean colour, lime's hide_color=None), 'blur' (the image blurred), a number "
                "or one number per channel."
            )
        return
    colour = np.asarray(fill, dtype=object)
    if colour.ndim > 1 or not all(
        isinstance(v, (int, float, np.number)) and not isinstance(v, bool) and np.isfinite(v) for v in colour.ravel()
    ):
        raise MethodError(f"fill={fill!r}; pass a finite number or one number per channel (lime's hide_color).")


# --------------------------------------------------------------------------- masking


def reference_images(
    images: np.ndarray, labels: np.ndarray, fill: Any, background: np.ndarray | None
) -> tuple[np.ndarray, dict[str, Any]]:
    """The image a masked region shows, one per image, and what was done (for ``params``).

    ``"mean"``: the mean colour (per channel) of the background images, or 0 without a
    background; ``"segment_mean"``: each region its own mean colour (lime's ``hide_color=None``);
    ``"blur"``: the image under a Gaussian blur of standard deviation 1/16 of its larger side
    (in pixels, each channel on its own; shap's Image masker offers a blur too); a number or one
    per channel: that colour (lime's ``hide_color``).
    """
    colour_shape = images.shape[3:]  # () for grey images, (c,) otherwise
    if isinstance(fill, str) and fill == "segment_mean":
        return _segment_means(images, labels), {"fill": "segment_mean"}
    if isinstance(fill, str) and fill == "blur":
        from scipy.ndimage import gaussian_filter

        sigma = max(images.shape[1:3]) * BLUR_FRACTION
        spatial = (0, sigma, sigma) + (0,) * len(colour_shape)
        return gaussian_filter(images, sigma=spatial, mode="nearest"), {"fill": "blur", "fill_sigma": sigma}
    if isinstance(fill, str):  # "mean"
        if background is None:
            colour = np.zeros(colour_shape)
            note = {"fill": "mean", "fill_value": colour.tolist(), "fill_note": "no background: masked regions are 0"}
        else:
            colour = background.mean(axis=(0, 1, 2))
            note = {"fill": "mean", "fill_value": colour.tolist()}
    else:
        given = np.asarray(fill, dtype=float)
        if given.ndim == 1 and given.shape != colour_shape:
            raise InputError(
                f"fill={fill!r} gives {given.size} channel values but the images have "
                f"{colour_shape[0] if colour_shape else 'no'} channels; pass one number, or one per channel."
            )
        colour = np.broadcast_to(given, colour_shape).astype(float)
        note = {"fill": "constant", "fill_value": colour.tolist()}
    return np.broadcast_to(colour, images.shape).copy(), note


def _segment_means(images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    out = np.empty_like(images)
    for i, (image, lab) in enumerate(zip(images, labels, strict=True)):
        flat = image.reshape(lab.size, -1)
        r = int(lab.max()) + 1
        counts = np.bincount(lab.ravel(), minlength=r)[:, None]
        sums = np.stack([np.bincount(lab.ravel(), flat[:, ch], r) for ch in range(flat.shape[1])], axis=1)
        out[i] = (sums / counts)[lab].reshape(image.shape)
    return out


def masked(image: np.ndarray, reference: np.ndarray, labels: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Images ``(m, h, w[, c])``: ``image`` where the region is in the coalition, ``reference`` elsewhere."""
    return _Masker(image, reference, labels)(masks)


class _Masker:
    """Masked images by one gather: pixel ``q`` of a masked image is row ``q`` of the image's
    pixels, or row ``h * w + q`` (the reference's) when its region is out of the coalition. Rows
    hold a pixel's channels together, so the gather copies whole pixels (three times faster
    than ``np.where`` with the channels broadcast)."""

    def __init__(self, image: np.ndarray, reference: np.ndarray, labels: np.ndarray) -> None:
        self.shape = image.shape
        pixels = labels.size
        self.source = np.concatenate([image.reshape(pixels, -1), reference.reshape(pixels, -1)])
        self.labels = labels.ravel()
        self.positions = np.arange(pixels, dtype=np.intp)

    def __call__(self, masks: np.ndarray) -> np.ndarray:
        offsets = np.where(masks, 0, len(self.positions))  # (m, r): where each region's pixels come from
        rows = offsets[:, self.labels] + self.positions
        return np.take(self.source, rows.ravel(), axis=0).reshape((len(masks), *self.shape))


def game(
    image: np.ndarray,
    reference: np.ndarray,
    labels: np.ndarray,
    predict: Predict,
    progress_setting: bool | None = False,
    desc: str = "",
) -> Callable[[Any], Any]:
    """``value(masks) -> (m, k)``: the model on the masked images, in calls of bounded size
    (with progress over the calls, per ``progress_setting``: see :func:`explain._progress.progress`)."""
    from ._progress import progress

    batch = max(1, CALL_PIXELS // image.size)
    masker = _Masker(image, reference, labels)

    def value(masks: np.ndarray) -> np.ndarray:
        masks = np.asarray(masks, dtype=bool)
        starts = range(0, len(masks), batch)
        calls = progress(starts, total=len(starts), setting=progress_setting, desc=desc)
        return np.concatenate([predict(masker(masks[a : a + batch])) for a in calls], axis=0)

    return value


# --------------------------------------------------------------------------- methods


def run_image(
    method: str,
    image: np.ndarray,
    reference: np.ndarray,
    labels: np.ndarray,
    predict: Predict,
    params: Mapping[str, Any],
    tree: Any = None,
    rng: np.random.Generator | None = None,
    progress_setting: bool | None = False,
) -> ImageResult:
    """Explain one image by ``method`` (``tree``: the hierarchy; ``rng``: lime's randomness;
    ``progress_setting``: progress over its model calls, for a long image explained alone)."""
    r = int(labels.max()) + 1
    value = game(image, reference, labels, predict, progress_setting, f"{method} (model calls)")
    if method == "lime":
        assert rng is not None
        return _lime(value, r, int(params["num_samples"]), float(params["kernel_width"]), rng)
    plan = shapley_plan(r) if method == "exact_shap" else owen_plan(tree if r > 1 else 0)
    phi, v_empty, v_full = plan.combine(value(plan.masks))
    return ImageResult(phi, v_empty, v_full)


def _lime(value: Callable[[Any], Any], r: int, num_samples: int, width: float, rng: np.random.Generator) -> ImageResult:
    masks = rng.integers(0, 2, size=(num_samples, r)).astype(bool)
    masks[0] = True  # lime: the first sample is the image itself
    y = np.asarray(value(masks), dtype=float)  # (num_samples, k)
    z = masks.astype(float)
    # cosine distance to the all-on mask: 1 - |z| / (sqrt(|z|) sqrt(r)); an all-off mask is at 1
    distance = 1.0 - np.sqrt(z.sum(axis=1) / r)
    weights = np.sqrt(np.exp(-(distance**2) / width**2))
    coef, intercept, score = _weighted_ridge(z, y, weights, alpha=1.0)
    local = intercept + coef.sum(axis=0)  # the ridge at the all-on mask (lime's local_pred)
    return ImageResult(coef, intercept, y[0], {"fidelity": score, "local_prediction": local})


def _weighted_ridge(
    z: np.ndarray, y: np.ndarray, w: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """sklearn's ``Ridge(alpha, fit_intercept=True).fit(z, y, sample_weight=w)`` in closed form:
    coefficients ``(r, k)``, intercepts ``(k,)`` and the weighted R^2 ``(k,)`` (its ``score``)."""
    total = w.sum()
    z_mean = w @ z / total
    y_mean = w @ y / total
    zc, yc = z - z_mean, y - y_mean
    gram = zc.T @ (zc * w[:, None]) + alpha * np.eye(z.shape[1])
    coef = np.linalg.solve(gram, zc.T @ (yc * w[:, None]))
    intercept = y_mean - z_mean @ coef
    residual = y - (z @ coef + intercept)
    ss_res = w @ residual**2
    ss_tot = w @ (y - y_mean) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(ss_tot > 0, 1.0 - ss_res / ss_tot, 1.0)
    return coef, intercept, score
