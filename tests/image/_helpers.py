"""What the image tests share: an Explainer with image settings, and a model of colour images."""

from __future__ import annotations

from typing import Any

import numpy as np

import explain as ex
from explain._image import explain_images


def image_explainer(model: Any, **settings: Any) -> ex.Explainer:
    """An Explainer with image settings (method, method_params, segmentation) set as attributes,
    the way the Explainer stores them."""
    image_settings = {key: settings.pop(key) for key in ("method", "method_params", "segmentation") if key in settings}
    explainer = ex.Explainer(model, **settings)
    for key, value in image_settings.items():
        setattr(explainer, key, value)
    return explainer


def explain(model: Any, X: np.ndarray, **settings: Any) -> Any:
    return explain_images(image_explainer(model, **settings), X)


def redness(images: np.ndarray) -> np.ndarray:
    """A classifier of colour images: probability that the top half is redder than it is blue."""
    top = images[:, : images.shape[1] // 2].astype(float)
    score = (top[..., 0].mean(axis=(1, 2)) - top[..., 2].mean(axis=(1, 2))) / 20.0
    return 1.0 / (1.0 + np.exp(-score))
