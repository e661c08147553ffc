"""Image models behind the :class:`~explain.Explainer`: batches of images explained over regions.

:meth:`Explainer.explain_local` hands a numpy array of shape ``(n, h, w)`` or ``(n, h, w, c)``
to :func:`explain_images`. Channels come last. Two layouts that would be read wrongly are
refused before the model is called: a 3-D array whose last axis is short (at most 4) and shorter
than its middle one, e.g. ``(54, 80, 3)``, which is one colour image without its batch axis as
likely as 54 grey images 3 pixels wide (pass one image as ``X[None]``, grey images with a channel
axis, ``X[..., None]``; an estimator whose ``n_features_in_`` is ``w * c`` settles it for grey
images), and a 4-D array ``(n, c, h, w)`` with at most 4 entries on axis 1 and more than 4 on the
last, channels first (pass ``X.transpose(0, 2, 3, 1)``). The Explainer's settings keep their meaning:

``model``
    A function of a batch of images ``(m, h, w[, c]) -> (m,)`` or ``(m, k)`` with ``task``
    declared (a classifier's function returns probabilities), or a scikit-learn estimator fitted
    on flattened images (``n_features_in_ == h * w * c``): the images are then flattened to call
    it (``params["model_input"]``).
``background``
    Optional images of the same shape; with the default fill their mean colour stands for a
    masked region. Every background image is used (its mean is cheap): ``background_size``
    does not apply to images.
``segmentation``
    The regions (the players): a grid, scikit-image superpixels or labels of your own; see
    :mod:`explain._image_segments`. The default is a 4 x 4 grid.
``method``
    ``"exact_shap"`` (Shapley values over every coalition of regions; at most ``max_regions``,
    16 by default), ``"partition_shap"`` (Owen values over a hierarchy of the regions),
    ``"lime"`` (lime's image estimator) or ``"auto"``: ``exact_shap`` when every image has at
    most ``max_regions`` regions and its ``2^r`` masked images hold at most ``2^28`` pixel values
    (``AUTO_EXACT_PIXELS``), ``partition_shap`` otherwise (``params["auto"]`` says why). See
    :mod:`explain._image_methods`.
``method_params``
    ``fill``: what a masked region shows. ``"mean"`` (default): the mean colour of the
    background images, one value per channel (0 without a background); ``"segment_mean"``:
    each region its own mean colour (lime's ``hide_color=None``); ``"blur"``: the image blurred
    (Gaussian, standard deviation 1/16 of its larger side); a number or one number per channel
    (lime's ``hide_color``). Also ``max_regions`` (exact_shap, auto), ``num_samples``
    (lime, 1000, at most 1 000 000 and at most 2^27 mask entries, samples x regions) and
    ``kernel_width`` (lime, 0.25).
``tokenizer``, ``feature_names``
    Settings of text and tables: refused for images (the players are regions, named
    ``region_0 ..``). A masked array is refused too (its mask would be ignored): fill it first.
``output``
    As for tables: probability for classifiers by default (the positive class of a binary one,
    every class of a multiclass one), the prediction for regressors.

Pixels are read as float64 (uint8 images too) and the model receives float64 images, each batch
an array of its own: a model that writes into its input changes neither ``X`` nor the
explanation's ``data``. Before
the explanation is returned its invariants are checked (shapes, finite values, and for
the Shapley methods additivity: ``base + sum(values) == prediction`` to a relative 1e-7); a
failure raises :class:`~explain.errors.AdditivityError` rather than returning a wrong number, naming
the model as the cause when it is (:func:`model_inconsistency`: a random model, or one whose output
for an image depends on the rest of its batch).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ._data import checked_names, checked_random_state
from ._image_methods import AUTO_DEFAULTS, IMAGE_METHODS, ImageResult, check_params, reference_images, run_image
from ._image_segments import Segmenter, tree_of
from ._image_segments import check_segmentation as _check_segmentation
from ._model import ModelAdapter, OutputSpace
from ._provenance import Provenance, library_versions, model_fingerprint, type_path
from .errors import AdditivityError, InputError, MethodError, ModelError

if TYPE_CHECKING:
    from .explainer import Explainer
    from .image_explanation import ImageExplanation

__all__ = ["check_segmentation", "explain_images", "image_hint", "is_image_batch", "model_inconsistency"]

# auto: exact_shap while its masked images of one image hold at most this many pixel values (2^16
# digits of 8 x 8 hold 4 million; of 54 x 80 x 3, 849 million: seconds per image for a cheap model)
AUTO_EXACT_PIXELS = 1 << 28
LIME_MASK_ENTRIES = 1 << 27  # lime's masks (samples x regions), drawn as int64: at most 1 GB


def is_image_batch(X: Any) -> bool:
    """Whether ``X`` is a batch of images: a numpy array ``(n, h, w)`` or ``(n, h, w, c)``.

    Examples
    --------
    >>> import numpy as np
    >>> is_image_batch(np.zeros((2, 8, 8))), is_image_batch(np.zeros((2, 64)))
    (True, False)
    """
    return isinstance(X, np.ndarray) and X.ndim in (3, 4)


def image_hint(explainer: Explainer, X: Any) -> str | None:
    """What to do, when ``X`` is not a batch of images but looks like images given another way:
    a list of image arrays, an array of 5 or more axes, one image ``(h, w)`` without its batch
    axis (a segmentation was given, or an estimator reads ``h * w`` features); ``None`` otherwise.
    For the Explainer, before it reads ``X`` as a table.

    Examples
    --------
    >>> import explain as ex
    >>> explainer = ex.Explainer(lambda b: b.sum(axis=(1, 2)), task="regression", segmentation=(2, 2))
    >>> print(image_hint(explainer, np.zeros((8, 8))))
    X of shape (8, 8) looks like one image without its batch axis ...
    >>> print(image_hint(explainer, [np.zeros((8, 8)), np.zeros((8, 8))]))
    X is a list of 2 image arrays; pass one numpy array of them, np.stack(X) (n, h, w) or (n, h, w, c).
    """
    stack = "(n, h, w) or (n, h, w, c)"
    if isinstance(X, (list, tuple)) and X and all(isinstance(x, np.ndarray) and x.ndim in (2, 3) for x in X):
        return f"X is a {type(X).__name__} of {len(X)} image arrays; pass one numpy array of them, np.stack(X) {stack}."
    if not isinstance(X, np.ndarray):
        return None
    if X.ndim >= 5:
        return (
            f"X of shape {X.shape} has {X.ndim} axes; images are {stack}: one batch axis, then height, width and "
            "channels (drop the extra axes, e.g. X[..., 0] for a trailing axis of 1, or reshape a batch of batches)."
        )
    features = getattr(explainer.model, "n_features_in_", None)
    if X.ndim == 2 and (explainer.segmentation is not None or (features == X.size and features != X.shape[1])):
        return (
            f"X of shape {X.shape} looks like one image without its batch axis (a table would have one row per "
            f"example); pass X[None] (shape {(1, *X.shape)}) to explain it as an image."
        )
    return None


def check_segmentation(spec: Any) -> None:
    """Raise :class:`~explain.errors.InputError` unless ``spec`` is a segmentation.

    Examples
    --------
    >>> check_segmentation((4, 4))
    >>> check_segmentation({"kind": "grid", "rows": 0, "cols": 4})
    Traceback (most recent call last):
    ...
    explain.errors.InputError: a grid of rows=0 x cols=4; pass two whole numbers >= 1, e.g. (4, 4).
    """
    _check_segmentation(spec)


def explain_images(explainer: Explainer, X: np.ndarray) -> ImageExplanation:
    """Explain each image of ``X`` over its regions, with the settings of ``explainer``.

    Examples
    --------
    >>> import numpy as np
    >>> import explain as ex
    >>> images = np.random.default_rng(0).uniform(size=(3, 8, 8))
    >>> exp = explain_images(ex.Explainer(lambda x: x[:, :4].sum(axis=(1, 2)), task="regression"), images)
    >>> exp.values.shape, round(float(exp.values[0, 8:].sum()), 12)  # the lower half does not count
    ((3, 16), 0.0)
    """
    from .image_explanation import ImageExplanation, check_additive

    start = time.perf_counter()
    _refuse_other_settings(explainer)
    images = _checked_images(X, "X")
    model = _model(explainer)
    _check_layout(images.shape, model)
    call, input_note = _predictor(model, images.shape[1:])
    space = _output(explainer, model)
    seed = checked_random_state(explainer.random_state)
    background = None if explainer.background is None else _checked_images(explainer.background, "background")
    if background is not None and background.shape[1:] != images.shape[1:]:
        one = " One background image: pass background[None]." if background.shape == images.shape[1:] else ""
        raise InputError(
            f"background images have shape {background.shape[1:]} but X's have {images.shape[1:]}; pass background "
            f"images of the same size and channels.{one}"
        )
    method = _method(explainer)
    params = check_params(method, dict(explainer.method_params or {}))
    segmenter = Segmenter.from_spec(getattr(explainer, "segmentation", None), seed)
    labels = segmenter.labels(X)  # the images as given: scikit-image reads uint8 and float pixels differently
    regions = labels.reshape(len(labels), -1).max(axis=1) + 1
    method, auto = _resolve(method, params, regions, int(np.prod(images.shape[1:])))
    params = {**IMAGE_METHODS[method], **{k: v for k, v in params.items() if k in IMAGE_METHODS[method]}}
    references, fill_note = reference_images(images, labels, params["fill"], background)

    def predict(batch: np.ndarray) -> np.ndarray:
        return model.predict(call(batch), space)

    trees, hierarchy = _hierarchies(segmenter, labels) if method == "partition_shap" else (None, {})
    # the model's own prediction, not a value of the game, first: its outputs are checked against the
    # class names before the long work. On a copy, as every batch the model gets is its own (masked
    # images are made for each call), so that a model that writes into its input spoils neither the
    # images reported nor the caller's X
    predictions = predict(images.copy())
    k = predictions.shape[1]
    names = _output_names(model, k, explainer.class_names)
    results = _run_all(explainer, method, images, references, labels, predict, params, trees, seed)
    values, base, diagnostics = _stack(results, int(regions.max()))
    if k == 1:
        values, base, predictions = values[:, :, 0], base[:, 0], predictions[:, 0]
        diagnostics = {key: v[:, 0] for key, v in diagnostics.items()}
    record = {
        **{key: v for key, v in params.items() if key != "fill"}, **fill_note, **input_note, **auto,
        "segmentation": segmenter.record(), "n_regions": regions.tolist(), "output_requested": explainer.output,
        "additive": method != "lime",
        **({} if background is None else {"background_images": len(background)}), **hierarchy,
    }  # fmt: skip
    exp = ImageExplanation(
        values=values, base_values=base, predictions=predictions, data=images, segments=labels,
        output_names=names, output_space=space, method=method, params=record,
        provenance=_provenance(model, images, background, seed, start), diagnostics=diagnostics,
    )  # fmt: skip
    _check(exp, results)
    if method != "lime":
        try:
            check_additive(
                exp, AdditivityError, "this is a bug in explain: please report it with the model and settings"
            )
        except AdditivityError as exc:
            # before blaming explain, the model: the same image twice, and after another image in a batch
            why = model_inconsistency(predict, np.concatenate([images[:1], references[:1]]), 1e-7)
            if why is None:
                raise
            raise AdditivityError(f"{method} region values do not add up to the predictions: {why}") from exc
    return exp


# --------------------------------------------------------------------------- inputs


def _refuse_other_settings(explainer: Explainer) -> None:
    """The settings of tables and text mean nothing for images: refused rather than ignored."""
    for name, instead in (
        ("tokenizer", "images are split into regions by segmentation= (a grid, superpixels or labels)"),
        ("feature_names", "an image's players are its regions, named region_0, region_1, ... (see segments)"),
    ):
        if getattr(explainer, name, None) is not None:
            raise InputError(f"{name}= was given, but X is a batch of images: {instead}. Leave {name}=None.")


def _checked_images(X: Any, role: str) -> np.ndarray:
    if isinstance(X, np.ma.MaskedArray):
        raise InputError(
            f"{role} is a masked array; its mask would be ignored (the model sees every pixel). Fill the masked "
            f"pixels first ({role}.filled(value)), or pass {role}.data to explain the pixels as they are."
        )
    if not isinstance(X, np.ndarray) or X.ndim not in (3, 4):
        shape = getattr(X, "shape", None)
        raise InputError(
            f"{role} of {'shape ' + str(shape) if shape is not None else type(X).__name__} is not a batch of images; "
            "pass a numpy array of shape (n, h, w) (grey) or (n, h, w, c) (c channels). One image: X[None]."
        )
    if X.dtype.kind not in "biuf":
        raise InputError(f"{role} has dtype {X.dtype}; pass images of numbers (uint8 or float pixels).")
    if min(X.shape) == 0:
        raise InputError(f"{role} of shape {X.shape} holds no pixels; pass at least one image of at least 1 x 1.")
    images = np.array(X, dtype=float)  # a copy of our own, read-only: what the explanation reports as data
    images.setflags(write=False)
    bad = ~np.isfinite(images)
    if bad.any():
        which = np.flatnonzero(bad.reshape(len(images), -1).any(axis=1))
        raise InputError(
            f"{role} has NaN or infinite pixels in images {which[:5].tolist()}{'...' if len(which) > 5 else ''}; "
            "the model cannot be explained on them. Fill or drop those images."
        )
    return images


def _check_layout(shape: tuple[int, ...], model: ModelAdapter) -> None:
    """Refuse the layouts that are read wrongly without a word: one colour image without its batch
    axis, ``(h, w, c)``, read as ``h`` grey images of ``w x c`` pixels; channels first ``(n, c, h, w)``.

    A 3-D array ``(a, b, c)`` whose last axis is short (at most 4) and shorter than its middle one
    is ambiguous, unless the model is an estimator whose ``n_features_in_`` says which it reads
    (``b * c``: grey images; ``a * b * c``: one image). A 4-D array ``(n, c, h, w)`` with at most
    4 entries on axis 1 and more than 4 on the last is channels first.
    """
    pixels = model.n_features if model.kind != "callable" else None
    if len(shape) == 3:
        a, b, c = shape
        one_image = f"one image of {a} x {b} pixels with {c} channel{'s' if c > 1 else ''}"
        fix = (
            f"One image: pass X[None] (shape {(1, a, b, c)}). Grey images of {b} x {c} pixels: pass them with "
            f"a channel axis, X[..., None] (shape {(a, b, c, 1)}, what a function model then receives)."
        )
        if pixels is not None and pixels == a * b * c != b * c:
            raise InputError(
                f"X of shape {shape} is read as {a} grey images of {b} x {c} pixels, but the "
                f"{type(model.estimator).__name__} reads {pixels} = {a} x {b} x {c} features: X is {one_image}. "
                f"Pass it with its batch axis: X[None] (shape {(1, a, b, c)})."
            )
        if c <= 4 and b > c and pixels != b * c:
            raise InputError(
                f"X of shape {shape} is ambiguous: {a} grey images of {b} x {c} pixels, or {one_image} without "
                f"its batch axis. {fix}"
            )
    elif len(shape) == 4 and shape[1] <= 4 < shape[3]:
        n, c, h, w = shape
        raise InputError(
            f"X of shape {shape} looks like {n} image{'s' if n != 1 else ''} with {c} channel{'s' if c > 1 else ''} "
            "first; images "
            f"are read channels last, (n, h, w, c). Pass X.transpose(0, 2, 3, 1) (shape {(n, h, w, c)}); a "
            "function model that reads channels first can transpose its batch back: "
            "lambda b: model(b.transpose(0, 3, 1, 2))."
        )


def _model(explainer: Explainer) -> ModelAdapter:
    names = checked_names(explainer.class_names, "class_names", unique=True)
    return ModelAdapter.from_model(explainer.model, task=explainer.task, class_names=names)


def _predictor(
    model: ModelAdapter, shape: tuple[int, ...]
) -> tuple[Callable[[np.ndarray], np.ndarray], dict[str, Any]]:
    """How a batch of images becomes the model's input: as it is (a function), or flattened."""
    if model.kind == "callable":
        return (lambda batch: batch), {"model_input": "images"}
    pixels = int(np.prod(shape))
    if model.n_features is not None and model.n_features != pixels:
        raise InputError(
            f"the {type(model.estimator).__name__} was fitted on {model.n_features} features, but the images have "
            f"{' x '.join(map(str, shape))} = {pixels} pixel values. An estimator reads flattened images "
            "(n_features_in_ == h * w * c): pass images of the size it was fitted on, or a function of image batches."
        )
    return (lambda batch: batch.reshape(len(batch), -1)), {"model_input": "flattened images (n, h*w*c)"}


def _output_names(model: ModelAdapter, k: int, class_names: Any) -> tuple[str, ...]:
    """The names of the model's ``k`` outputs; ``class_names`` of a function model must name them
    all (its classes are known only once it has answered)."""
    if class_names is not None and model.is_classifier:
        expected = k if k > 1 else 2  # one output: the probability of the positive of two classes
        if len(class_names) != expected:
            what = f"{k} class probabilities" if k > 1 else "one probability (the positive of two classes)"
            raise InputError(
                f"class_names has {len(class_names)} names, but the model returns {what} per image; pass "
                f"{expected} names, in the order of the model's outputs."
            )
    return model.output_names(k)


def _output(explainer: Explainer, model: ModelAdapter) -> OutputSpace:
    output = explainer.output
    if output == "auto":
        return model.default_output()
    if output not in ("probability", "log_odds", "raw", "margin"):
        raise ModelError(f"output={output!r} is not known; use 'auto' or one of ['probability', 'log_odds', 'raw'].")
    model.check_output(output)
    return output  # type: ignore[return-value]


def _method(explainer: Explainer) -> str:
    method = explainer.method
    if method != "auto" and method not in IMAGE_METHODS:
        raise MethodError(
            f"method={method!r} does not explain images; choose 'auto', "
            f"{', '.join(repr(m) for m in IMAGE_METHODS)} (images are explained over regions)."
        )
    return str(method)


def _resolve(method: str, params: dict[str, Any], regions: np.ndarray, size: int) -> tuple[str, dict[str, Any]]:
    """The method to run (``auto`` resolved, with its reason) and the refusals of sizes that
    cannot be run; ``size``: the pixel values of one image."""
    limit = int(params.get("max_regions", AUTO_DEFAULTS["max_regions"]))
    most = int(regions.max())
    if method == "exact_shap" and most > limit:
        raise MethodError(
            f"exact_shap scores all 2^regions masked images, and is limited to max_regions={limit} regions; an image "
            f"here has {most}. Use method='partition_shap' (Owen values, quadratic in the regions) or 'lime', a "
            "coarser segmentation (e.g. segmentation=(4, 4)), or raise max_regions (at most 20)."
        )
    if method == "lime" and int(params["num_samples"]) * most > LIME_MASK_ENTRIES:
        raise MethodError(
            f"lime num_samples={params['num_samples']} masks over {most} regions is "
            f"{int(params['num_samples']) * most:,} mask entries, more than {LIME_MASK_ENTRIES:,} (memory); pass "
            f"num_samples <= {LIME_MASK_ENTRIES // most:,} or a coarser segmentation."
        )
    if method != "auto":
        return method, {}
    work = (1 << most) * size  # pixel values of the masked images exact_shap would make, per image
    if most > limit:
        chosen = "partition_shap"
        reason = f"an image has {most} regions, more than max_regions={limit}: Owen values over a hierarchy of regions"
    elif work > AUTO_EXACT_PIXELS:
        chosen = "partition_shap"
        reason = (
            f"exact Shapley values over {most} regions would score 2^{most} masked images of {size:,} pixel values "
            f"each ({work:,} values per image, more than {AUTO_EXACT_PIXELS:,}): Owen values over a hierarchy of "
            "regions instead (about 2 r^2 masked images); pass method='exact_shap' for Shapley values"
        )
    else:
        chosen = "exact_shap"
        reason = f"every image has at most max_regions={limit} regions ({most}): exact Shapley values"
    return chosen, {"auto": {"chosen": chosen, "reason": reason}}


def model_inconsistency(predict: Callable[[np.ndarray], np.ndarray], rows: np.ndarray, rtol: float) -> str | None:
    """Why the model's outputs cannot be explained, if they are not a function of each input
    alone: ``rows[0]`` called twice (a random model), and called after ``rows[1]`` in a batch of
    two (a model that depends on its batch); ``None`` when they agree to ``rtol`` (relative).

    Shared with the table path's additivity check: a values-do-not-add-up error blames explain
    only once the model has been seen to give one output per input.

    Examples
    --------
    >>> rows = np.array([[1.0, 2.0], [3.0, 5.0]])
    >>> model_inconsistency(lambda b: b.sum(axis=1), rows, 1e-7) is None
    True
    >>> print(model_inconsistency(lambda b: b.sum(axis=1) - b.sum(axis=1).mean(), rows, 1e-7))
    the model's output for an input depends on the other inputs of its batch ...
    """

    def gap(a: np.ndarray, b: np.ndarray) -> float:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        return float(np.max(np.abs(a - b) / (1.0 + np.abs(a)), initial=0.0))

    alone = predict(rows[:1].copy())
    again = gap(alone, predict(rows[:1].copy()))
    if again > rtol:
        return (
            f"the model gives different outputs for the same input on two calls (relative difference {again:.3g}): "
            "it is not deterministic (a random model, or dropout left on at inference?). Explanations compare the "
            "model's outputs on many masked inputs and need one output per input: fix its seed or put it in "
            "evaluation mode. This is not a bug in explain."
        )
    if len(rows) < 2:
        return None
    batched = gap(alone, predict(np.concatenate([rows[1:2], rows[:1]]))[1:])
    if batched > rtol:
        return (
            f"the model's output for an input depends on the other inputs of its batch (relative difference "
            f"{batched:.3g} between the input alone and after another in a batch of two). Explanations call the model "
            "on batches of masked inputs, so its output for one input must not depend on the rest (batch "
            "normalization in training mode? scaling by the batch?): make it batch-independent, or call it one "
            "input at a time in your function. This is not a bug in explain."
        )
    return None


# --------------------------------------------------------------------------- running


def _run_all(
    explainer: Explainer,
    method: str,
    images: np.ndarray,
    references: np.ndarray,
    labels: np.ndarray,
    predict: Callable[[np.ndarray], np.ndarray],
    params: dict[str, Any],
    trees: list[Any] | None,
    seed: int | None,
) -> list[ImageResult]:
    """Explain every image, over ``n_jobs`` threads (the images are independent; each image's
    randomness comes from its own stream, keyed by the seed and its pixels)."""
    from ._progress import progress
    from .methods._batch import call_entropy, row_generators

    generators = row_generators(call_entropy(seed), images.reshape(len(images), -1)) if method == "lime" else None

    def one(i: int) -> ImageResult:
        tree = None if trees is None else trees[i]
        rng = None if generators is None else generators[i]
        # one image: progress over its model calls (2^16 masked photos take long); several: over the images
        inner = setting if len(images) == 1 else False
        return run_image(method, images[i], references[i], labels[i], predict, params, tree, rng, inner)

    n_jobs = explainer.n_jobs
    setting = explainer.progress
    if n_jobs is None or n_jobs == 1 or len(images) < 2:
        return [one(i) for i in progress(range(len(images)), total=len(images), setting=setting, desc=method)]
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=n_jobs, prefer="threads", return_as="generator")
    return list(progress(parallel(delayed(one)(i) for i in range(len(images))), total=len(images), setting=setting,
                         desc=method))  # fmt: skip


def _hierarchies(segmenter: Segmenter, labels: np.ndarray) -> tuple[list[Any], dict[str, Any]]:
    """partition_shap's tree of each image, checked for size before any model call, and what is
    recorded: the rule, and the tree itself (nested pairs of region numbers) when every image
    has the same regions (a grid, or one label array for all)."""
    from .methods._coalitions import MAX_MASK_ENTRIES, MAX_OWEN_COALITIONS

    shared = bool((labels == labels[:1]).all())
    first, rule = tree_of(segmenter, labels[0])
    trees = [first] * len(labels) if shared else [tree_of(segmenter, lab)[0] for lab in labels]
    for i, tree in enumerate(trees if not shared else trees[:1]):
        r = int(labels[i].max()) + 1
        limit = min(MAX_OWEN_COALITIONS, MAX_MASK_ENTRIES // r)
        if _owen_size(tree) > limit:
            raise MethodError(
                f"partition_shap over the {r} regions of image {i} would score more than {limit:,} masked images "
                "of it (Owen values need about 2 r^2 for a balanced hierarchy, more for a deep one). Use a coarser "
                "segmentation (e.g. segmentation=(16, 16) or {'kind': 'slic', 'n_segments': 100}) or method='lime'."
            )
    if not shared:
        return trees, {"hierarchy": None, "hierarchy_rule": f"{rule}, per image (their regions differ)"}
    return trees, {"hierarchy": first if _depth(first) <= 200 else None, "hierarchy_rule": rule}


def _owen_size(tree: Any, depth: int = 0) -> int:
    """The coalitions the Owen value over a binary ``tree`` scores (before duplicates are merged):
    2 per context of each leaf, a leaf at depth d having 2^d contexts."""
    if not isinstance(tree, tuple):
        return 2 << depth
    return sum(_owen_size(child, depth + 1) for child in tree)


def _depth(tree: Any) -> int:
    return 0 if not isinstance(tree, tuple) else 1 + max(_depth(child) for child in tree)


def _stack(results: list[ImageResult], width: int) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Values ``(n, width, k)`` (0 for the regions an image does not have), base values ``(n, k)``
    and diagnostics of the images' results."""
    k = results[0].values.shape[1]
    values = np.zeros((len(results), width, k))
    for i, res in enumerate(results):
        values[i, : res.values.shape[0]] = res.values
    base = np.stack([res.base for res in results])
    diagnostics = {key: np.stack([res.diagnostics[key] for res in results]) for key in results[0].diagnostics}
    return values, base, diagnostics


def _check(exp: ImageExplanation, results: list[ImageResult]) -> None:
    """Shapes and finiteness, before anything is returned."""
    for i, res in enumerate(results):
        r = int(exp.n_regions[i])
        if res.values.shape[0] != r or not np.isfinite(res.values).all() or not np.isfinite(res.base).all():
            raise AdditivityError(
                f"{exp.method} returned values of shape {res.values.shape} for image {i} of {r} regions, "
                f"finite: {bool(np.isfinite(res.values).all())}. This is a bug in explain: please report it."
            )


def _provenance(
    model: ModelAdapter, images: np.ndarray, background: np.ndarray | None, seed: int | None, start: float
) -> Provenance:
    return Provenance(
        model_fingerprint=model_fingerprint(model.model),
        data_fingerprint=_images_fingerprint(images),
        background_fingerprint=None if background is None else _images_fingerprint(background),
        random_state=seed,
        versions=library_versions("scikit-image", "lime"),
        elapsed_seconds=round(time.perf_counter() - start, 6),
        model_type=type_path(model.model),
    )


def _images_fingerprint(images: np.ndarray) -> str:
    """SHA-256 of the shape and the float64 little-endian pixels."""
    import hashlib

    digest = hashlib.sha256(repr(images.shape).encode())
    digest.update(np.ascontiguousarray(images, dtype="<f8").tobytes())
    return digest.hexdigest()
