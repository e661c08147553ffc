"""Explaining image models
========================

The same :class:`explain.Explainer` explains a model of images: pass a batch of images, an
array ``(n, h, w)`` (grey) or ``(n, h, w, c)`` (colour), to ``explain_local``. Each image is cut
into *regions* (a grid, or superpixels), and each region gets a share of the prediction: the
regions are the players of the game, and a region that is left out is *masked*, its pixels
replaced by a fill (the background images' mean colour by default). The result, an
:class:`~explain.image_explanation.ImageExplanation`, maps the region values back to pixels
and draws them over the image.

This example explains a small neural network on scikit-learn's 8 x 8 digits, then a function
of a colour photograph with superpixels.
"""

# %%
# Setup
# -----
import os
import tempfile
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits, load_sample_image
from sklearn.neural_network import MLPClassifier

import explain as ex

OUT = Path(os.environ.get("EXPLAIN_GALLERY_OUT") or tempfile.mkdtemp(prefix="explain-gallery-"))
OUT.mkdir(parents=True, exist_ok=True)


def save(plot, name):
    plot.figure.savefig(OUT / f"{name}.png", dpi=100)
    print(f"wrote {OUT / name}.png")


# %%
# A neural network on digits
# --------------------------
# scikit-learn estimators read flat rows, so the MLP is fitted on the 64 pixels of each image;
# the Explainer is given the images themselves and flattens them to call it (recorded in
# ``params["model_input"]``).
digits = load_digits()
images, y = digits.images, digits.target
model = MLPClassifier(hidden_layer_sizes=(32,), max_iter=400, random_state=0)
model.fit(images[:1200].reshape(1200, -1), y[:1200])
X = images[1200:1206]
print(f"test accuracy: {model.score(images[1200:].reshape(-1, 64), y[1200:]):.3f}")

# %%
# Exact Shapley values over a 4 x 4 grid
# --------------------------------------
# The default segmentation is a 4 x 4 grid: 16 regions, few enough for exact Shapley values
# (``method="auto"`` picks ``exact_shap`` and says why). Every class gets its own values; they
# add up, for each image and class, from the base value (the model on the masked image) to the
# predicted probability.
explainer = ex.Explainer(model, background=images[:100])
local = explainer.explain_local(X)
print(local)
print("auto:", local.params["auto"]["reason"])
print("fill:", local.params["fill"], local.params["fill_value"])
print("largest additivity error:", local.additivity_error())

predicted = str(model.predict(X[:1].reshape(1, -1))[0])
save(local.plot(0, output=predicted), "images_digit_grid")

# %%
# Owen values pixel by pixel
# --------------------------
# With one region per pixel (64 regions) exact Shapley values are out of reach (2^64
# coalitions). ``partition_shap`` computes Owen values over a hierarchy of the regions: the
# image is halved along its longer side, then each half, down to single pixels (shap's Image
# masker uses the same hierarchy, and its Partition explainer gives the same values). It costs
# about 2 r^2 model calls per image instead of 2^r.
pixels = ex.Explainer(model, background=images[:100], method="partition_shap", segmentation=(8, 8))
fine = pixels.explain_local(X)
print(fine.params["hierarchy"], "| additivity error:", fine.additivity_error())
save(fine.plot(0, output=predicted), "images_digit_pixels")

# %%
# LIME on the same grid
# ---------------------
# ``method="lime"`` fits lime's image surrogate: 1 000 random on/off patterns of the regions,
# weighted by their cosine distance to the image, and a ridge regression. It is the estimator
# of lime's own ``LimeImageExplainer``; its values are not Shapley values and need not add up.
lime = ex.Explainer(model, background=images[:100], method="lime").explain_local(X)
shapley = local.for_output(predicted).values[0]
surrogate = lime.for_output(predicted).values[0]
print("correlation of lime's region values with the Shapley values:", np.corrcoef(shapley, surrogate)[0, 1].round(2))
print("lime's local fit (weighted R^2):", lime.for_output(predicted).diagnostics["fidelity"][0].round(3))

# %%
# A colour photograph and superpixels
# -----------------------------------
# Any function of a batch of images can be explained once its task is declared. Here a toy
# "classifier" says how much redder than blue the top half of a photo is. The regions are
# superpixels from scikit-image (``slic``, the parameters checked against its signature); each
# image keeps its own label array, recorded in the explanation.
photo = load_sample_image("china.jpg")[::4, ::4]


def redness(batch):
    top = batch[:, : batch.shape[1] // 2].astype(float)
    return 1 / (1 + np.exp(-(top[..., 0].mean(axis=(1, 2)) - top[..., 2].mean(axis=(1, 2))) / 20))


colour = ex.Explainer(redness, task="classification", segmentation={"kind": "slic", "n_segments": 40})
seen = colour.explain_local(photo[None])
print(seen.method, "over", seen.n_regions[0], "superpixels; additivity error", seen.additivity_error())
save(seen.plot(0), "images_photo_superpixels")

# %%
# Saving and loading
# ------------------
# The explanation is saved as JSON, images and label arrays included (compressed), so a
# reloaded explanation draws the same picture without the model.
path = OUT / "digits_explanation.json"
local.to_json(path)
again = ex.load(path)
print(f"{path.stat().st_size / 1024:.0f} kB; same values:", bool((again.values == local.values).all()))
