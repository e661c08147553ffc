"""Time explain's image methods against shap's Partition explainer and lime's LimeImageExplainer.

Two cases, on data that ships with scikit-learn:

- **digits**: an MLP (one hidden layer of 32 units) fitted on 1 200 of scikit-learn's 8 x 8
  digits, explained on ``--images`` other digits.

  * ``partition_shap`` over a grid of one pixel per region (64 regions), masked pixels 0,
    against ``shap.Explainer(f, shap.maskers.Image(zeros), algorithm="partition")`` with enough
    ``max_evals`` to finish its tree (shap's Image masker halves the image along its longer side
    down to pixels, the hierarchy our grid uses, so the two compute the same Owen values:
    the largest difference is printed). shap explains one output per call of ``outputs``; it is
    given the predicted class only, while ours explains all 10 classes in the same time.
  * ``lime`` over a 4 x 4 grid, ``hide_color=0``, 1 000 samples, against lime's
    ``LimeImageExplainer().explain_instance(..., top_labels=None, labels=(predicted,))`` with the
    same segmentation and fill; agreement is the largest difference of region values, next to
    lime's own between seeds 0 and 1.

- **photo**: scikit-learn's ``china.jpg`` downscaled 4 times (107 x 160 x 3), a callable
  "model" (a logistic function of the top half's red minus blue), ``--images`` copies shifted
  by a few pixels, slic superpixels (``n_segments=50``).

  * ``lime`` (fill ``"segment_mean"``, lime's ``hide_color=None``) against LimeImageExplainer
    with the same labels, as above.
  * ``partition_shap`` over the superpixels against shap's Partition explainer over pixels and
    channels with its default ``max_evals=500``: different players (shap's are 51 360 pixel
    channels, of which it resolves the first few hundred blocks), so only times are compared,
    and the correlation of shap's values summed over our regions with ours.

Times are wall-clock seconds on one thread (``n_jobs=1``), the best of ``--repeat`` runs for
ours, one run for shap and lime (their first call compiles or warms up: a warm-up call on one
image is made first and not timed).

Run ``python benchmarks/bench_image.py`` (about a minute) or ``--quick``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import warnings
from datetime import date
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
from _common import best, cpu_name, load_average, version

import explain as ex
from explain._image import explain_images


def _explainer(model: Any, **settings: Any) -> ex.Explainer:
    image = {key: settings.pop(key) for key in ("method", "method_params", "segmentation") if key in settings}
    explainer = ex.Explainer(model, **settings)
    for key, value in image.items():  # the image settings, as the Explainer stores them
        setattr(explainer, key, value)
    return explainer


def _once(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _lime_runs(images: np.ndarray, fn: Any, labels: np.ndarray, hide: Any, targets: list[int], seed: int) -> np.ndarray:
    from lime.lime_image import LimeImageExplainer

    out = np.zeros((len(images), int(labels.max()) + 1))
    for i, image in enumerate(images):
        result = LimeImageExplainer(random_state=seed).explain_instance(
            image,
            fn,
            labels=(targets[i],),
            top_labels=None,
            hide_color=hide,
            num_samples=1000,
            segmentation_fn=lambda _, lab=labels[i]: lab,
            batch_size=1000,
        )
        for region, weight in result.local_exp[targets[i]]:
            out[i, region] = weight
    return out


def digits_case(n_images: int, repeat: int) -> list[tuple[str, str]]:
    import shap
    from sklearn.datasets import load_digits
    from sklearn.neural_network import MLPClassifier

    data = load_digits()
    images, y = data.images, data.target
    mlp = MLPClassifier(hidden_layer_sizes=(32,), max_iter=400, random_state=0).fit(
        images[:1200].reshape(1200, -1), y[:1200]
    )
    X = images[1200 : 1200 + n_images]
    targets = mlp.predict(X.reshape(len(X), -1)).tolist()
    rows = []

    ours_t, ours = best(
        lambda: explain_images(
            _explainer(mlp, method="partition_shap", segmentation=(8, 8), method_params={"fill": 0.0}), X
        ),
        repeat,
    )
    masker = shap.maskers.Image(np.zeros((8, 8, 1)), shape=(8, 8, 1))

    def top(batch: Any, label: int) -> np.ndarray:
        return mlp.predict_proba(np.asarray(batch).reshape(len(batch), -1))[:, [label]]

    def shap_all() -> list[np.ndarray]:
        out = []
        for i, image in enumerate(X):
            explainer = shap.Explainer(lambda b, label=targets[i]: top(b, label), masker, algorithm="partition")
            out.append(explainer(image[None, ..., None], max_evals=20_000, batch_size=2_000).values[0].reshape(64))
        return out

    shap.Explainer(lambda b: top(b, 0), masker, algorithm="partition")(X[:1, ..., None], max_evals=200)  # warm-up
    shap_t, theirs = _once(shap_all)
    gap = max(np.abs(ours.values[i, :, t] - theirs[i]).max() for i, t in enumerate(targets))
    rows.append(
        (
            "digits, partition_shap (64 pixels, all 10 classes) vs shap Partition (1 class)",
            f"{ours_t:.3f} s vs {shap_t:.2f} s: {shap_t / ours_t:.0f}x faster; max |diff| {gap:.1e}",
        )
    )

    def classifier_fn(batch: np.ndarray) -> np.ndarray:
        return mlp.predict_proba(batch[..., 0].reshape(len(batch), -1))

    ours_t, ours = best(lambda: explain_images(_explainer(mlp, method="lime", method_params={"fill": 0.0}), X), repeat)
    labels = ours.segments
    _lime_runs(X[:1], classifier_fn, labels, 0, targets, 1)  # warm-up
    lime_t, lime0 = _once(lambda: _lime_runs(X, classifier_fn, labels, 0, targets, 0))
    lime1 = _lime_runs(X, classifier_fn, labels, 0, targets, 1)
    mine = np.stack([ours.values[i, :, t] for i, t in enumerate(targets)])
    rows.append(
        (
            "digits, lime (4 x 4 grid, 1 000 samples) vs LimeImageExplainer",
            f"{ours_t:.3f} s vs {lime_t:.2f} s: {lime_t / ours_t:.0f}x faster; max |diff| to lime "
            f"{np.abs(mine - lime0).max():.3f}, lime seed 0 vs 1 {np.abs(lime1 - lime0).max():.3f}",
        )
    )
    return rows


def redness(images: np.ndarray) -> np.ndarray:
    top = np.asarray(images, dtype=float)[:, : images.shape[1] // 2]
    score = (top[..., 0].mean(axis=(1, 2)) - top[..., 2].mean(axis=(1, 2))) / 20.0
    return 1.0 / (1.0 + np.exp(-score))


def photo_case(n_images: int, repeat: int) -> list[tuple[str, str]]:
    import shap
    from sklearn.datasets import load_sample_image

    photo = load_sample_image("china.jpg")[::4, ::4].astype(float)
    X = np.stack([np.roll(photo, 3 * i, axis=1) for i in range(n_images)])
    segmentation = {"kind": "slic", "n_segments": 50}
    rows = []

    def classifier_fn(batch: np.ndarray) -> np.ndarray:
        p = redness(batch)
        return np.stack([1 - p, p], axis=1)

    ours_t, ours = best(
        lambda: explain_images(
            _explainer(
                redness,
                task="classification",
                method="lime",
                segmentation=segmentation,
                method_params={"fill": "segment_mean"},
            ),
            X,
        ),
        repeat,
    )
    labels, targets = ours.segments, [1] * len(X)
    _lime_runs(X[:1], classifier_fn, labels, None, targets, 1)  # warm-up
    lime_t, lime0 = _once(lambda: _lime_runs(X, classifier_fn, labels, None, targets, 0))
    lime1 = _lime_runs(X, classifier_fn, labels, None, targets, 1)
    width = lime0.shape[1]
    mine = ours.values[:, :width]
    rows.append(
        (
            f"photo {photo.shape}, lime ({ours.n_regions.min()}-{ours.n_regions.max()} slic regions) "
            "vs LimeImageExplainer",
            f"{ours_t:.3f} s vs {lime_t:.2f} s: {lime_t / ours_t:.1f}x faster; max |diff| to lime "
            f"{np.abs(mine - lime0).max():.2e}, lime seed 0 vs 1 {np.abs(lime1 - lime0).max():.2e}",
        )
    )

    ours_t, ours = best(
        lambda: explain_images(
            _explainer(redness, task="classification", method="partition_shap", segmentation=segmentation), X
        ),
        repeat,
    )
    masker = shap.maskers.Image(np.full(photo.shape, photo.reshape(-1, 3).mean(axis=0)), shape=photo.shape)
    explainer = shap.Explainer(lambda b: redness(np.asarray(b))[:, None], masker, algorithm="partition")
    explainer(X[:1], max_evals=100)  # warm-up
    shap_t, theirs = _once(lambda: explainer(X, max_evals=500, batch_size=500))
    corr = []
    for i in range(len(X)):
        pixel = theirs.values[i].reshape(photo.shape).sum(axis=-1)
        summed = np.bincount(ours.segments[i].ravel(), pixel.ravel(), int(ours.n_regions[i]))
        corr.append(np.corrcoef(summed, ours.values[i, : int(ours.n_regions[i])])[0, 1])
    rows.append(
        (
            "photo, partition_shap (slic regions, exact Owen) vs shap Partition (pixel channels, max_evals=500)",
            f"{ours_t:.3f} s vs {shap_t:.2f} s: {shap_t / ours_t:.1f}x; correlation of shap's values summed "
            f"over our regions with ours: {np.mean(corr):.2f} (different players)",
        )
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=10, help="images per case (default 10)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of ours, the best kept (default 3)")
    parser.add_argument("--quick", action="store_true", help="3 images, one run")
    args = parser.parse_args()
    n, repeat = (3, 1) if args.quick else (args.images, args.repeat)
    warnings.filterwarnings("ignore")
    print(f"# bench_image, {date.today()}: {cpu_name()}, {os.cpu_count()} CPUs, load {load_average()}")
    print(
        f"# Python {platform.python_version()}, explain {version('explain')}, shap {version('shap')}, "
        f"lime {version('lime')}, scikit-image {version('scikit-image')}; {n} images per case"
    )
    for name, result in [*digits_case(n, repeat), *photo_case(n, repeat)]:
        print(f"{name}\n    {result}")


if __name__ == "__main__":
    main()
