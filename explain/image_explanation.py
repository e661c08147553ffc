"""Explanations of image models: a value per region of each image, mapped back to pixels.

An :class:`ImageExplanation` is what :meth:`explain.Explainer.explain_local` returns for a batch
of images ``(n, h, w)`` or ``(n, h, w, c)``. Its parallel arrays slice together by image:
``values`` (one per region and output), ``base_values``, ``predictions``, ``data`` (the images)
and ``segments`` (each image's region labels ``0 .. r-1``, the players of the explanation).

Images may have different numbers of regions (superpixels): ``values`` has room for the most
regions of any image, and the regions an image does not have hold 0, so that
``base_values + values.sum(axis=1) == predictions`` holds for every image all the same
(:meth:`~ImageExplanation.additivity_error`); ``n_regions`` says how many each image has.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._model import OUTPUT_SPACES
from ._provenance import Provenance
from ._values import SCHEMA_VERSION, _Base, _frozen_array, _frozen_diagnostics, _index, freeze, thaw
from .errors import InputError, SchemaError

if TYPE_CHECKING:
    from ._global_explanation import GlobalExplanation

__all__ = ["ImageExplanation"]

SCHEMA = "explain.ImageExplanation"
KIND = "image_explanation"
ADDITIVE_METHODS = ("exact_shap", "partition_shap")


@dataclass(frozen=True, eq=False, repr=False)
class ImageExplanation(_Base):
    """Per-region attributions of images, for one or several model outputs.

    Attributes
    ----------
    values : ndarray, shape (n_images, max_regions) or (n_images, max_regions, n_outputs)
        Attribution of each region to each image's prediction, in ``output_space`` units; 0 for
        the regions an image does not have (beyond ``n_regions[i]``).
    base_values, predictions : ndarray, shape (n_images,) or (n_images, n_outputs)
        The model's output on the fully masked image and on the image itself. For the Shapley
        methods (``exact_shap``, ``partition_shap``) ``base_values + values.sum(axis=1) ==
        predictions``; for ``lime``, ``base_values`` is its regression's intercept.
    data : ndarray, shape (n_images, h, w) or (n_images, h, w, c)
        The images explained (float64).
    segments : ndarray of int, shape (n_images, h, w)
        Each image's regions, labelled ``0 .. n_regions[i] - 1``.
    output_names : tuple of str
    output_space : {"probability", "log_odds", "raw", "margin"}
    method : {"exact_shap", "partition_shap", "lime"}
    params : mapping
        Every setting that shaped the values: the segmentation (``params["segmentation"]``),
        the fill of masked regions, the hierarchy, how the model was called, why ``auto`` chose
        the method.
    provenance : Provenance
    diagnostics : mapping of str to ndarray
        Per-image quality of the explanation (lime: ``fidelity``, ``local_prediction``).

    Examples
    --------
    >>> import numpy as np
    >>> import explain as ex
    >>> from explain._image import explain_images
    >>> def brightness(images):  # a "model": mean of the top half of each image
    ...     return images[:, :4].mean(axis=(1, 2))
    >>> images = np.random.default_rng(0).uniform(size=(2, 8, 8))
    >>> exp = explain_images(ex.Explainer(brightness, task="regression"), images)
    >>> exp.method, exp.values.shape, exp.n_regions.tolist()
    ('exact_shap', (2, 16), [16, 16])
    >>> bool(exp.additivity_error() < 1e-12), exp.pixel_values(0).shape
    (True, (8, 8))
    """

    values: np.ndarray
    base_values: np.ndarray
    predictions: np.ndarray
    data: np.ndarray
    segments: np.ndarray
    output_names: tuple[str, ...]
    output_space: str
    method: str
    params: Mapping[str, Any] = field(default_factory=dict)
    provenance: Provenance = field(default_factory=lambda: Provenance("", "", None, None))
    diagnostics: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        values = _frozen_array(self.values)
        k = len(self.output_names)
        multi = values.ndim == 3
        if values.ndim not in (2, 3) or (multi and values.shape[2] != k) or (not multi and k != 1):
            raise InputError(f"values of shape {values.shape} do not match {k} output names.")
        n = values.shape[0]
        out_shape = (n, k) if multi else (n,)
        data = _frozen_array(self.data)
        segments = _frozen_array(self.segments, dtype=np.int64)
        if data.ndim not in (3, 4) or data.shape[0] != n:
            raise InputError(f"data of shape {data.shape} does not hold {n} images (n, h, w[, c]).")
        if segments.shape != data.shape[:3]:
            raise InputError(f"segments of shape {segments.shape} do not match images of shape {data.shape}.")
        regions = segments.reshape(n, -1).max(axis=1) + 1 if n and segments.size else np.zeros(n, dtype=int)
        if n and (segments.min() < 0 or regions.max() > values.shape[1]):
            raise InputError(f"segments label up to {int(regions.max())} regions; values have {values.shape[1]}.")
        if self.output_space not in OUTPUT_SPACES:
            raise InputError(f"output_space={self.output_space!r}; one of {list(OUTPUT_SPACES)}.")
        for name, value in (
            ("values", values), ("base_values", _frozen_array(np.broadcast_to(self.base_values, out_shape))),
            ("predictions", _frozen_array(np.reshape(self.predictions, out_shape))),
            ("data", data), ("segments", segments),
            ("output_names", tuple(str(o) for o in self.output_names)), ("params", freeze(self.params)),
            ("diagnostics", _frozen_diagnostics(self.diagnostics, n)),
        ):  # fmt: skip
            object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ shape and slicing

    @property
    def n_rows(self) -> int:
        return int(self.values.shape[0])

    def __len__(self) -> int:
        return self.n_rows

    @property
    def n_regions(self) -> np.ndarray:
        """The number of regions of each image."""
        if not self.n_rows:
            return np.zeros(0, dtype=int)
        return self.segments.reshape(self.n_rows, -1).max(axis=1) + 1

    @property
    def is_multi_output(self) -> bool:
        return self.values.ndim == 3

    @property
    def image_shape(self) -> tuple[int, ...]:
        """``(h, w)`` or ``(h, w, c)``."""
        return tuple(int(s) for s in self.data.shape[1:])

    @property
    def feature_names(self) -> tuple[str, ...]:  # type: ignore[override]
        """Names of the region slots: ``region_0 .. region_{max_regions - 1}``."""
        return tuple(f"region_{j}" for j in range(self.values.shape[1]))

    def __getitem__(self, rows: Any) -> ImageExplanation:
        """The explanation of some images: an int, a slice, a list of positions or a boolean mask."""
        if isinstance(rows, tuple):
            raise InputError("an image explanation is indexed by images only: exp[rows]; use for_output() for outputs.")
        index = _index(self.n_rows, rows)
        width = int(self.n_regions[index].max()) if len(index) else 0
        return self._replace(
            values=self.values[index][:, :width], base_values=self.base_values[index],
            predictions=self.predictions[index], data=self.data[index], segments=self.segments[index],
            diagnostics={key: v[index] for key, v in self.diagnostics.items()},
        )  # fmt: skip

    def for_output(self, output: str | int) -> ImageExplanation:
        """The explanation of one output (a class name, or its position)."""
        if not self.is_multi_output:
            self._output_index(output)  # the one output, by name or 0
            return self
        j = self._output_index(output)
        return self._replace(
            values=self.values[:, :, j], base_values=self.base_values[:, j], predictions=self.predictions[:, j],
            output_names=(self.output_names[j],),
            diagnostics={key: (v[:, j] if v.ndim == 2 else v) for key, v in self.diagnostics.items()},
        )  # fmt: skip

    def _replace(self, **changes: Any) -> ImageExplanation:
        fields = {
            "values": self.values, "base_values": self.base_values, "predictions": self.predictions,
            "data": self.data, "segments": self.segments, "output_names": self.output_names,
            "output_space": self.output_space, "method": self.method, "params": thaw(self.params),
            "provenance": self.provenance, "diagnostics": dict(self.diagnostics),
        }  # fmt: skip
        return ImageExplanation(**{**fields, **changes})

    # ------------------------------------------------------------------ checks and views

    def additivity_error(self) -> float:
        """Largest ``|base_value + sum(values) - prediction|`` over images and outputs."""
        if not self.n_rows:
            return 0.0
        return float(np.max(np.abs(self.base_values + self.values.sum(axis=1) - self.predictions)))

    def pixel_values(self, i: int = 0, output: str | int | None = None) -> np.ndarray:
        """Image ``i``'s region values mapped to its pixels: an ``(h, w)`` array where each pixel
        holds the value of its region (of ``output``; required when there are several).

        The whole value of a region is on every one of its pixels (not divided by its area).
        """
        row = int(_index(self.n_rows, i)[0])
        values = self.values[row]
        if self.is_multi_output:
            if output is None:
                raise InputError(
                    f"this explanation has {self.n_outputs} outputs {list(self.output_names)}; pass output= "
                    f"(a name or a position), e.g. output={self.output_names[-1]!r}."
                )
            values = values[:, self._output_index(output)]
        elif output is not None:
            self._output_index(output)
        return np.asarray(values[self.segments[row]])

    def to_frame(self) -> pd.DataFrame:
        """A long table: one row per image, region and output (``image``, ``region``, ``output``,
        ``pixels`` (the region's area), ``value``)."""
        records: list[tuple[int, int, str, int, float]] = []
        for i in range(self.n_rows):
            area = np.bincount(self.segments[i].ravel(), minlength=int(self.n_regions[i]))
            for j, name in enumerate(self.output_names):
                values = self.values[i, :, j] if self.is_multi_output else self.values[i]
                records.extend((i, r, name, int(area[r]), float(values[r])) for r in range(int(self.n_regions[i])))
        return pd.DataFrame(records, columns=["image", "region", "output", "pixels", "value"])

    def to_global(self) -> GlobalExplanation:
        """Mean absolute value of each region across the images, with its standard deviation.

        Only where a region is the same place in every image: a grid, or one label array given
        for all of them. Superpixels differ from image to image, so their regions cannot be
        averaged (an :class:`~explain.errors.InputError` says so).

        Examples
        --------
        >>> import numpy as np
        >>> import explain as ex
        >>> images = np.random.default_rng(0).uniform(size=(5, 8, 8))
        >>> local = ex.Explainer(lambda x: x[:, :2].sum(axis=(1, 2)), task="regression").explain_local(images)
        >>> glob = local.to_global()
        >>> glob.feature_names[:2], bool(glob.importances[4:].max() == 0)  # only the top row counts
        (('region_0', 'region_1'), True)
        """
        from .explanation import _mean_abs_global

        if not self.n_rows:
            raise InputError(
                "this explanation holds no images, so there is no mean value of a region to report; "
                "call to_global() on an explanation of at least one image."
            )
        if not (self.segments == self.segments[:1]).all():
            raise InputError(
                "the images have different regions (superpixels, or labels per image), so a region is not the same "
                "place in every image and its values cannot be averaged across images. Explain with a grid "
                "(segmentation=(4, 4)) or one label array for every image, or read each image's values."
            )
        return _mean_abs_global(self)

    # ------------------------------------------------------------------ serialization

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data with a schema name and version (read back by :func:`explain.load`)."""
        from ._image_json import array_to_json
        from ._io import floats_to_json

        return {
            "schema": SCHEMA,
            "kind": KIND,
            "schema_version": SCHEMA_VERSION,
            "values": floats_to_json(self.values),
            "base_values": floats_to_json(self.base_values),
            "predictions": floats_to_json(self.predictions),
            "data": array_to_json(self.data, "<f8"),
            "segments": array_to_json(self.segments, "<i4"),
            "output_names": list(self.output_names),
            "output_space": self.output_space,
            "method": self.method,
            "params": thaw(self.params),
            "provenance": self.provenance.to_dict(),
            "diagnostics": {k: floats_to_json(v) for k, v in sorted(self.diagnostics.items())},
        }

    @classmethod
    def from_dict(cls, d: Any) -> ImageExplanation:
        """The explanation :meth:`to_dict` wrote, checked; a :class:`~explain.errors.SchemaError` otherwise."""
        from ._image_json import array_from_json
        from ._io import _numbers  # the checks every saved explanation's numbers get

        if not isinstance(d, dict) or (d.get("schema") != SCHEMA and d.get("kind") != KIND):
            raise SchemaError(f"this is not a saved image explanation (schema {SCHEMA!r}).")
        missing = [key for key in ("values", "base_values", "predictions", "data", "segments", "output_names",
                                   "output_space", "method", "params", "provenance") if key not in d]  # fmt: skip
        if missing:
            raise SchemaError(f"the saved image explanation lacks {missing}; write it again with to_json().")
        if d.get("schema_version") != SCHEMA_VERSION:
            raise SchemaError(
                f"schema_version {d.get('schema_version')!r} is not supported; expected {SCHEMA_VERSION}."
            )
        names = d["output_names"]
        if not isinstance(names, list) or not names or not all(isinstance(x, str) for x in names):
            raise SchemaError("output_names should be a list of text.")
        if not isinstance(d["params"], dict) or not isinstance(d.get("diagnostics", {}), dict):
            raise SchemaError("params and diagnostics should be objects.")
        if not isinstance(d["method"], str):
            raise SchemaError("method should be text.")
        try:
            data = array_from_json(d["data"], "data", (3, 4))
            numbers = _empty_numbers(d, len(names)) if data.shape[0] == 0 else {
                "values": _numbers(d["values"], "values", ndims=(2, 3)),
                "base_values": _numbers(d["base_values"], "base_values", ndims=(1, 2)),
                "predictions": _numbers(d["predictions"], "predictions", ndims=(1, 2)),
                "diagnostics": {
                    key: _numbers(v, key, ndims=(1, 2), finite=False) for key, v in d.get("diagnostics", {}).items()
                },
            }  # fmt: skip
            exp = cls(
                **numbers, data=data, segments=array_from_json(d["segments"], "segments", (3,)),
                output_names=tuple(names), output_space=d["output_space"], method=d["method"], params=d["params"],
                provenance=Provenance.from_dict(d["provenance"]),
            )  # fmt: skip
        except (InputError, ValueError, TypeError) as exc:
            if isinstance(exc, SchemaError):
                raise
            raise SchemaError(f"the saved image explanation is damaged: {exc}") from exc
        if exp.method in ADDITIVE_METHODS and exp.n_rows:
            check_additive(exp, SchemaError, "the file's numbers were changed after they were computed")
        return exp

    # ------------------------------------------------------------------ display

    def __repr__(self) -> str:
        return (
            f"ImageExplanation(method={self.method!r}, images={self.n_rows}, image_shape={self.image_shape}, "
            f"regions={self.n_regions.tolist()[:8]}{'...' if self.n_rows > 8 else ''}, "
            f"outputs={list(self.output_names)}, output_space={self.output_space!r})"
        )

    def _repr_html_(self) -> str:
        from .plots.image import image_html

        return image_html(self)

    def plot(self, row: int = 0, **kwargs: Any) -> Any:
        """Draw image ``row`` with its region values as a heat map (:func:`explain.plots.image`).

        Examples
        --------
        >>> import numpy as np
        >>> import explain as ex
        >>> from explain._image import explain_images
        >>> images = np.random.default_rng(0).uniform(size=(1, 8, 8))
        >>> exp = explain_images(ex.Explainer(lambda x: x.sum(axis=(1, 2)), task="regression"), images)
        >>> exp.plot().get_title()
        'exact_shap\\nraw prediction: 31.59 (base 0)'
        """
        from .plots.image import image

        return image(self, row, **kwargs)


def _empty_numbers(d: dict[str, Any], k: int) -> dict[str, Any]:
    """The number arrays of a saved explanation of no images (``exp[[]]``): JSON's ``[]`` has lost
    their shapes, which the outputs give back (several outputs: a last axis of ``k``)."""
    arrays = [d["values"], d["base_values"], d["predictions"], *d.get("diagnostics", {}).values()]
    if any(array != [] for array in arrays):
        raise SchemaError("the saved image explanation holds no images but numbers for some; it is damaged.")
    outputs = (k,) if k > 1 else ()
    return {
        "values": np.zeros((0, 0, *outputs)), "base_values": np.zeros((0, *outputs)),
        "predictions": np.zeros((0, *outputs)),
        "diagnostics": {key: np.zeros((0, *outputs)) for key in d.get("diagnostics", {})},
    }  # fmt: skip


def check_additive(exp: ImageExplanation, error: type[Exception], why: str) -> None:
    """Raise ``error`` unless the values add up to the predictions (relative tolerance 1e-7)."""
    total = exp.base_values + exp.values.sum(axis=1)
    scale = 1.0 + np.abs(exp.predictions) + np.abs(exp.values).sum(axis=1)
    gap = np.abs(total - exp.predictions)
    if not (gap <= 1e-7 * scale).all():
        raise error(f"{exp.method} region values do not add up to the predictions (off by {gap.max():.3g}): {why}.")
