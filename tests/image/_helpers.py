"""What the image tests share: an Explainer with image settings, and a model of colour images."""

from __future__ import annotations

from typing import Any

import numpy as np

import explain as ex
from explain._image import explain_images


def image_explainer(model: Any, **settings: Any) -> ex.Explainer:
    """The public Explainer, with its image settings (segmentation, method, method_params)."""
    return ex.Explainer(model, **settings)


def explain(model: Any, X: np.ndarray, **settings: Any) -> Any:
    """``Explainer(model, **settings).explain_local(X)``, checked to be what explain_images returns."""
    explainer = image_explainer(model, **settings)
    exp = explainer.explain_local(X)
    assert type(exp).__name__ == "ImageExplanation"
    return exp


def explain_directly(model: Any, X: Any, **settings: Any) -> Any:
    """explain_images itself, for inputs that explain_local sends elsewhere (not an image batch)."""
    return explain_images(image_explainer(model, **settings), X)


def redness(images: np.ndarray) -> np.ndarray:
    """A classifier of colour images: probability that the top half is redder than it is blue."""
    top = images[:, : images.shape[1] // 2].astype(float)
    score = (top[..., 0].mean(axis=(1, 2)) - top[..., 2].mean(axis=(1, 2))) / 20.0
    return 1.0 / (1.0 + np.exp(-score))
