"""The :class:`Explainer`: one interface over every model and method."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Literal

import numpy as np

from ._data import (
    Codebook,
    Column,
    Schema,
    Table,
    checked_names,
    checked_random_state,
    infer_schema,
    missing_by_column,
    read_table,
)
from ._interactions import InteractionExplanation
from ._model import ModelAdapter, OutputSpace, Task
from ._provenance import Provenance, data_fingerprint, library_versions, model_fingerprint, type_path
from ._text import check_tokenizer, is_text_input, looks_like_documents
from .distributed import DistributedExplanation, is_dask_collection
from .errors import AdditivityError, FeatureMismatchError, InputError, MethodError, ModelError
from .explanation import GlobalExplanation, LocalExplanation
from .methods import GLOBAL_REGISTRY, REGISTRY, Job, MethodSpec, Unsupported, choose_auto
from .methods._checks import check_method_params
from .methods._global import GlobalJob, GlobalMethodSpec
from .methods.glassbox import effects as glassbox_effects

__all__ = ["Explainer"]

# methods whose cost does not grow with the background: they use every row given, whatever
# background_size (the user guide's table, section 4), and say why in params
_WHOLE_BACKGROUND = {
    "linear_shap": "linear_shap reads only the background's mean: every row given is used, at no cost",
}

Output = Literal["auto", "probability", "log_odds", "raw", "margin"]
# methods that explain text tokens or image regions only (tables have no hierarchy of players)
_MODALITY_METHODS = ("partition_shap",)


class Explainer:
    """Explain a fitted model's predictions, locally (per row) and globally.

    Tables, text and images go through the same Explainer: ``explain_local`` of a list of
    documents returns a :class:`~explain.text_explanation.TextExplanation` (see
    :mod:`explain._text` and :mod:`explain._text_explain`), of an image batch ``(n, h, w[, c])``
    an :class:`~explain.image_explanation.ImageExplanation` (see :mod:`explain._image`).

    Parameters
    ----------
    model : estimator or callable
        A fitted scikit-learn estimator or Pipeline, a LightGBM / XGBoost model, an
        InterpretML EBM, or a function ``f(X) -> predictions`` (then pass ``task``). For text:
        a Pipeline starting with a text vectorizer, or a function of a list of str.
    background : array-like or DataFrame, optional
        Reference rows that stand for "feature unknown" (typically a sample of the training
        data). Shapley values explain each prediction relative to the mean prediction over the
        background. Needed by every method except path-dependent ``tree_shap`` and ``glassbox``.
    method : str, default "auto"
        ``"tree_shap"``, ``"linear_shap"``, ``"exact_shap"``, ``"kernel_shap"``,
        ``"permutation_shap"``, ``"glassbox"``, or ``"auto"``: the exact and fastest method the
        model allows. The choice and the reasons are recorded in ``explanation.params["auto"]``.
        Text and images also take ``"partition_shap"`` (Owen values over a hierarchy of tokens or
        regions) and ``"exact_shap"``, ``"lime"`` (``"glassbox"``: linear text Pipelines).
    output : {"auto", "probability", "log_odds", "raw", "margin"}, default "auto"
        The output space explained. ``"auto"``: probability for classifiers (the positive class
        of a binary classifier; every class of a multiclass one), the prediction for regressors,
        except where the method can only explain the model's margin (path-dependent tree SHAP,
        glassbox; tree SHAP of a multiclass boosted model, or of a regressor whose objective has a
        link such as poisson), which is then recorded in ``params["output_note"]``.
        ``"margin"``: the model's score before its link function (for classifiers the same as
        ``"raw"``; for a poisson / gamma / tweedie regressor the log of its prediction).
    task : {"classification", "regression"}, optional
        Needed only for plain functions; checked against the model otherwise.
    feature_names : sequence of str, optional
        Column names for numpy input. DataFrames bring their own.
    class_names : sequence, optional
        Names of the classes, in the order of the model's ``classes_``.
    background_size : int or None, default 100
        The most background rows a method whose cost grows with the background uses: a larger
        background is sampled down to this many rows, without replacement, with ``random_state``
        (``params["background_rows"]``, ``"background_rows_given"``, ``"background_sampled"``).
        ``None`` keeps every row. Per method (user guide, section 4): ``linear_shap`` reads only
        the background's mean and uses every row whatever this setting; interventional
        ``tree_shap`` (time per explained row in proportion to the background rows in
        probability, a cost per call in log-odds; memory bounded), ``exact_shap``,
        ``kernel_shap``, ``permutation_shap`` (model calls in proportion) and ``lime`` sample.
    method_params : mapping, optional
        Settings of the chosen method, e.g. ``{"nsamples": 4096}`` for kernel_shap.
    random_state : int, numpy.random.RandomState or None, default 0
        Seed of every random step; the same seed gives the same explanation, byte for byte. What
        scikit-learn accepts: an integer from 0 to 2**32 - 1, a ``RandomState`` (one seed is drawn
        from a copy of it, so the caller's generator is not advanced; that seed is recorded in the
        provenance), or ``None`` (fresh randomness on every call, recorded as null). A numpy
        ``Generator``, a bool, a float or a string is refused when the Explainer is built.
    n_jobs : int or None, default None
        Workers (joblib, threads unless a ``joblib.parallel_config`` says otherwise) over chunks
        of rows, for the model-agnostic methods (``exact_shap``, ``kernel_shap``,
        ``permutation_shap``, ``lime``); for ``tree_shap``, whose compiled engine is parallel
        over every core by default, the most threads it may use. The reference engines
        (``engine="shap"`` or ``"lime"``) run in one worker. ``None`` means 1 (``tree_shap``:
        every core) unless a joblib context says otherwise; ``-1`` uses every core. The values do not
        depend on ``n_jobs``: the chunks are fixed by the data, and each row draws its
        randomness from its own stream (keyed by ``random_state`` and the row's values).
    progress : bool or None, default None
        Show a progress bar (tqdm, on stderr) over the chunks of rows. ``None``: only on an
        interactive terminal or in a Jupyter notebook, and only once the work has lasted a few
        seconds; ``False``: never; ``True``: always.
    tokenizer : callable, optional
        Text only: ``tokenizer(doc) -> list of str``, the tokens in the order they occur, each a
        piece of the document (the text between them is kept as separators). ``None``: words,
        runs of ``\\w`` characters. See :mod:`explain._text`.
    segmentation : optional
        Images only: the regions explained (a grid such as ``(4, 4)``, superpixels, or labels);
        see :mod:`explain._image`. Checked when the Explainer is built.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.ensemble import HistGradientBoostingClassifier
    >>> import explain as ex
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> model = HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)
    >>> explainer = ex.Explainer(model, background=X[:100])
    >>> local = explainer.explain_local(X[:3])
    >>> local.method, local.output_space, local.output_names
    ('tree_shap', 'probability', ('1',))
    >>> bool(local.additivity_error() < 1e-6)
    True
    """

    def __init__(
        self,
        model: Any,
        background: Any = None,
        *,
        method: str = "auto",
        output: Output = "auto",
        task: Task | None = None,
        feature_names: Sequence[str] | None = None,
        class_names: Sequence[Any] | None = None,
        background_size: int | None = 100,
        method_params: Mapping[str, Any] | None = None,
        random_state: int | np.random.RandomState | None = 0,
        n_jobs: int | None = None,
        progress: bool | None = None,
        tokenizer: Callable[[str], Sequence[str]] | None = None,
        segmentation: Any = None,
    ) -> None:
        self.model = model
        self.background = background
        self.method = method
        self.output = output
        self.task = task
        self.feature_names = feature_names
        self.class_names = class_names
        self.background_size = background_size
        self.method_params = method_params
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.progress = progress
        self.tokenizer = tokenizer
        self.segmentation = segmentation
        # settings are checked here, so that a typo fails at once and not after the data is read
        # (unlike a scikit-learn estimator, an Explainer is not cloned or grid-searched); they are
        # checked again on every call, in case an attribute was set since
        self._check_settings()

    def __repr__(self) -> str:
        return f"Explainer(model={type(self.model).__name__}, method={self.method!r}, output={self.output!r})"

    # ------------------------------------------------------------------ public

    def explain_local(self, X: Any) -> LocalExplanation:
        """Explain each row of ``X``: per-feature attributions of its prediction.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_features)
            Rows to explain, with the columns the model was fitted on (matched by name for
            pandas and polars DataFrames and pyarrow Tables, by position for arrays). Date, time
            and timedelta columns are refused: convert them to numbers (e.g. days) first.

            A dask DataFrame or dask array gives a lazy
            :class:`~explain.distributed.DistributedExplanation` instead: each partition is
            explained on the cluster, with the same values (``.compute()``, ``.to_parquet()``,
            ``.to_global()``, ``.reasons()``; see :mod:`explain.distributed`).

            A list, tuple, pandas Series or 1-D array of str is a batch of documents: the result
            is a :class:`~explain.text_explanation.TextExplanation` of their tokens. A numpy
            array ``(n, h, w)`` or ``(n, h, w, c)`` is a batch of images: the result is an
            :class:`~explain.image_explanation.ImageExplanation` of their regions.

        Returns
        -------
        LocalExplanation (TextExplanation for documents, ImageExplanation for images)
        """
        start = time.perf_counter()
        if self.method in GLOBAL_REGISTRY:
            raise MethodError(
                f"{self.method!r} is a global method: it explains the model as a whole, not rows. "
                "Call explain_global(X, y), or choose a local method for explain_local."
            )
        if is_text_input(X) or (looks_like_documents(X) and _reads_text(self)):  # the text reader names bad items
            from ._text_explain import explain_text

            return explain_text(self, X)  # type: ignore[return-value]
        if _image_batch(X):
            from ._image import explain_images

            return explain_images(self, X)  # type: ignore[return-value]
        if is_dask_collection(X):
            self._check_settings()
            return DistributedExplanation(self, X)  # type: ignore[return-value]
        _refuse_images_given_otherwise(self, X)
        job, bg_note = self._prepare(X)
        return self._explain_rows(job, bg_note, start, X)

    def _explain_rows(self, job: Job, bg_note: dict[str, Any], start: float, X: Any) -> LocalExplanation:
        """Run the local method on the prepared rows of ``job`` (``X``: the rows as given)."""
        spec, space, auto_note = self._choose(job)
        if bg_note.get("background_sampled") and spec.name in _WHOLE_BACKGROUND:
            job, bg_note = self._prepare(X, sample_background=False)
            bg_note["background_size_unused"] = _WHOLE_BACKGROUND[spec.name]
            space = spec.support(job)
        try:
            result = spec.run(job, space)
        except Unsupported as exc:  # found only once the work started: still a refusal, not a crash
            raise MethodError(f"method {spec.name!r} cannot explain this model: {exc}.") from None
        predictions = job.predict(job.X.encoded, space)
        if spec.additive:
            _check_additivity(job, spec, space, result, predictions)
        return self._wrap(job, spec, space, result, predictions, {**bg_note, **auto_note}, start)

    def explain_global(self, X: Any, y: Any = None, *, features: Sequence[str] | None = None) -> GlobalExplanation:
        """Explain the model as a whole: one importance per feature, and feature effects.

        With a global method (``"permutation_importance"``, ``"partial_dependence"``, ``"ale"``)
        that method runs on ``X`` (and ``y``); with any local method, ``X`` is explained row by row
        and the mean absolute attribution of each feature is returned (spread: its standard
        deviation).

        Parameters
        ----------
        X : array-like or DataFrame
            Rows the importance is measured on (a held-out set for permutation importance).
            A dask DataFrame or array is explained on the cluster, with the numbers of the
            same rows on one machine (see :mod:`explain._distributed_global`).
        y : array-like, optional
            The target, needed by ``permutation_importance``. Local methods do not use it, but
            a ``y`` that is given is checked all the same (1-D, one finite value per row of
            ``X``), so that a mismatched target is refused rather than ignored.
        features : sequence of str, optional
            Features to compute effects for (``partial_dependence``, ``ale``) or importances for
            (``permutation_importance``), each named once; all by default.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.ensemble import RandomForestRegressor
        >>> import explain as ex
        >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
        >>> model = RandomForestRegressor(n_estimators=20, random_state=0).fit(X, y)
        >>> glob = ex.Explainer(model, method="permutation_importance").explain_global(X, y)
        >>> glob.kind, glob.top(1)["feature"].item()
        ('permutation', 'bmi')
        """
        if is_text_input(X) or _image_batch(X) or (looks_like_documents(X) and _reads_text(self)):
            # tokens / grid regions: explain_local(X).to_global()
            return self._explain_global_text(X, y, features)
        if is_dask_collection(X):  # the model called on the cluster, never the table collected
            from ._distributed_global import explain_global_on_cluster

            return explain_global_on_cluster(self, X, y, features)
        if self.method not in GLOBAL_REGISTRY:
            if features is not None:
                raise MethodError(
                    f"features={features!r} chooses the features of a global method ('partial_dependence', "
                    f"'ale', 'permutation_importance'); method={self.method!r} explains every feature. Leave "
                    "features=None (and select from the result), or pass method='partial_dependence'."
                )
            start = time.perf_counter()
            job, bg_note = self._prepare(X)
            # unused by a local method, but checked by the same rules, so that a wrong y (the
            # target of other rows, NaN) is refused here as it would be by permutation_importance
            _read_target(y, job.X.n_rows)
            local = self._explain_rows(job, bg_note, start, X)
            glob = local.to_global()
            if local.method != "glassbox":
                return glob
            job, _ = self._prepare(X, need_background=False)
            effects = glassbox_effects(job, local.output_space)  # type: ignore[arg-type]
            return replace(glob, effects=effects)
        start = time.perf_counter()
        spec = GLOBAL_REGISTRY[self.method]
        job, _ = self._prepare(X, need_background=False)
        if job.X.n_rows < 2:  # the answer would be all zeros, which reads as "no feature matters"
            why = {
                "permutation_importance": "shuffling a column of one row changes nothing",
                "partial_dependence": "the grid of each feature is taken from X's values, so one row gives flat curves",
            }.get(spec.name, "it measures the model over many rows")
            raise InputError(
                f"{spec.name} needs at least 2 rows of X ({why}: every importance would be 0); X has "
                f"{job.X.n_rows}. Pass the rows of a held-out set."
            )
        names = job.X.schema.feature_names
        asked = checked_names(features, "features", unique=True)
        if asked is not None and not asked:
            raise InputError("features=[] names no feature; pass at least one feature, or None for all of them.")
        chosen = tuple(names) if asked is None else tuple(str(f) for f in asked)
        unknown = [f for f in chosen if f not in names]
        if unknown:
            raise FeatureMismatchError(f"features {unknown} are not columns of X; choose among {list(names)}.")
        target = _read_target(y, job.X.n_rows) if (spec.needs_y or y is not None) else None
        if spec.needs_y and target is None:
            raise InputError(f"{spec.name} measures the drop in score, so it needs the target: explain_global(X, y).")
        result = spec.run(GlobalJob(job, target, chosen))
        provenance = self._provenance(job, start)
        return GlobalExplanation(
            importances=result.importances,
            spread=result.spread,
            feature_names=chosen,
            output_names=result.output_names,
            output_space=result.output_space,
            kind=result.kind,
            method=spec.name,
            params={**result.params, "output_requested": self.output},
            provenance=provenance,
            effects=result.effects,
        )

    def explain_interactions(self, X: Any) -> InteractionExplanation:
        """SHAP interaction values of each row of ``X``: a ``(d, d)`` matrix per row (and output).

        ``values[r, i, j]`` is half the Shapley interaction index of features ``i`` and ``j``
        (shap's ``shap_interaction_values``); the diagonal holds the main effects. Each matrix is
        symmetric and sums, over its last axis, to the SHAP values :meth:`explain_local` returns
        (same method, same output space). Computed by ``tree_shap`` for tree models
        (path-dependent without background, equal to shap's TreeExplainer; interventional with
        it) and by ``exact_shap`` for any model with few features (enumeration over the
        background); ``method="auto"`` takes the first that applies. The values are checked
        (finite, symmetric, summing to the SHAP values, which add up to the prediction) before
        they are returned.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_features)
            Rows to explain, validated as in :meth:`explain_local`.

        Returns
        -------
        InteractionExplanation

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.ensemble import GradientBoostingRegressor
        >>> import explain as ex
        >>> X = np.random.default_rng(0).normal(size=(300, 3))
        >>> model = GradientBoostingRegressor(random_state=0).fit(X, X[:, 0] * X[:, 1] + X[:, 2])
        >>> inter = ex.Explainer(model, feature_names=["a", "b", "c"]).explain_interactions(X[:10])
        >>> inter.values.shape, inter.strongest("a")
        ((10, 3, 3), 'b')
        """
        from ._interaction_values import explain_interactions

        if is_text_input(X) or _image_batch(X):
            raise MethodError(
                "interaction values are computed for tables; for documents or images call explain_local(X), "
                "whose partition_shap values already credit spans of tokens (regions) as blocks."
            )
        return explain_interactions(self, X)

    def _explain_global_text(self, X: Any, y: Any, features: Sequence[str] | None) -> GlobalExplanation:
        """Token importance across documents: ``explain_local(docs).to_global()``."""
        if self.method in GLOBAL_REGISTRY:
            raise MethodError(
                f"{self.method!r} measures a table's columns; documents are explained token by token. Use "
                "explain_local(docs).to_global() (token importance across documents) with a local method."
            )
        if features is not None:
            raise MethodError(
                "features= chooses a table's columns; for documents, call explain_local(docs).to_global() and "
                "select tokens from its result."
            )
        local = self.explain_local(X)
        _read_target(y, local.n_rows)
        return local.to_global()  # type: ignore[no-any-return]

    def _check_settings(self) -> ModelAdapter:
        """Check every setting that needs no data (model, method and its settings, output, seeds,
        names, workers); return the model's adapter."""
        if not isinstance(self.method, str):
            raise MethodError(
                f"method={self.method!r} is not a method name; choose one of {['auto', *REGISTRY, *GLOBAL_REGISTRY]}."
            )
        if self.method != "auto" and self.method not in _MODALITY_METHODS:
            self._spec(self.method)
        check_tokenizer(self.tokenizer)
        if self.segmentation is not None:
            from ._image import check_segmentation

            check_segmentation(self.segmentation)
        if self.output != "auto" and self.output not in ("probability", "log_odds", "raw", "margin"):
            raise ModelError(
                f"output={self.output!r} is not known; use 'auto' or one of "
                "['probability', 'log_odds', 'raw', 'margin']."
            )
        checked_random_state(self.random_state)
        checked_names(self.feature_names, "feature_names")
        class_names = checked_names(
            self.class_names,
            "class_names",
            unique=True,
            repeat_fix="each class needs its own name (outputs are labelled by it); pass one distinct name "
            "per class, in the order of the model's classes_",
        )
        size = self.background_size
        if size is not None and (isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1):
            raise InputError(f"background_size={size!r}; pass a positive integer or None.")
        self._execution()
        self._method_params(any_input=True)
        model = ModelAdapter.from_model(self.model, task=self.task, class_names=class_names)
        self._requested_output(model)
        return model

    def _prepare(
        self, X: Any, *, need_background: bool = True, sample_background: bool = True
    ) -> tuple[Job, dict[str, Any]]:
        """Validate the model and data and encode them into a :class:`Job` (the background sampled
        down to ``background_size`` rows unless ``sample_background=False``)."""
        model = self._check_settings()
        self._refuse_modality_settings()
        schema = self._schema(model, X)
        x_table = read_table(X, schema, role="X")
        bg_table, bg_note = self._background(schema, sample_background) if need_background else (None, {})
        codebook = Codebook.fit(schema, [t for t in (bg_table, x_table) if t is not None])
        x_table = codebook.encode(x_table)
        bg_table = codebook.encode(bg_table) if bg_table is not None else None
        params = self._method_params()
        output = self._requested_output(model)
        seed = checked_random_state(self.random_state)
        job = Job(model, codebook, x_table, bg_table, output, seed, params, *self._execution())
        self._check_missing(job, x_table, "X")
        if bg_table is not None:
            self._check_missing(job, bg_table, "background")
        return job, bg_note

    # ------------------------------------------------------------------ steps

    def _schema(self, model: ModelAdapter, X: Any) -> Schema:
        role = "background" if self.background is not None else "X"
        reference = self.background if self.background is not None else X
        schema = infer_schema(reference, feature_names=checked_names(self.feature_names, "feature_names"), role=role)
        if model.feature_names is not None and schema.container != "numpy":
            # match by name, in the form the model stores names (LightGBM: spaces -> "_")
            by_key = {model.name_key(c.name): c for c in schema.columns}
            missing = [n for n in model.feature_names if n not in by_key]
            extra = [c.name for c in schema.columns if model.name_key(c.name) not in set(model.feature_names)]
            if missing or extra:
                raise FeatureMismatchError(
                    f"the columns of {role} differ from those the model was fitted on: missing "
                    f"{missing}, unexpected {extra}. Pass {role} with the columns the model was "
                    f"fitted on ({list(model.feature_names)[:8]}{'...' if len(model.feature_names) > 8 else ''})."
                )
            schema = Schema(tuple(by_key[n] for n in model.feature_names), schema.container)
        elif (
            model.feature_names is not None
            and self.feature_names is None
            and len(model.feature_names) == schema.n_features
        ):
            # numpy rows for a model fitted on a DataFrame: call it with its own column names
            renamed = zip(model.feature_names, schema.columns, strict=True)
            schema = Schema(tuple(Column(n, c.kind, c.dtype, c.categories) for n, c in renamed), "pandas")
        elif model.kind == "sklearn" and model.feature_names is None and model.n_features is not None:
            # a DataFrame for an estimator fitted on an array: call it with an array, as it was
            # fitted (scikit-learn warns on every call otherwise); columns keep their names here
            schema = Schema(schema.columns, "numpy")
        if model.n_features is not None and schema.n_features != model.n_features:
            raise FeatureMismatchError(
                f"{role} has {schema.n_features} columns but the model was fitted on {model.n_features}. "
                f"Pass {role} with the {model.n_features} columns the model was fitted on, in the same order."
            )
        return schema

    def _background(self, schema: Schema, sample: bool = True) -> tuple[Table | None, dict[str, Any]]:
        if self.background is None:
            return None, {}
        table = read_table(self.background, schema, role="background")
        n = table.n_rows
        size = self.background_size
        if size is None or n <= size or not sample:
            return table, {"background_rows": n}
        seed = checked_random_state(self.random_state)
        rows = np.sort(np.random.default_rng(seed).choice(n, size=int(size), replace=False))
        sampled = Table(schema, table.values[rows], table.encoded[rows])
        return sampled, {"background_rows": int(size), "background_rows_given": n, "background_sampled": True}

    def _execution(self) -> tuple[bool | None, int | None]:
        """The ``progress`` and ``n_jobs`` settings, checked."""
        if self.progress is not None and not isinstance(self.progress, (bool, np.bool_)):
            raise InputError(f"progress={self.progress!r}; pass True, False or None (show when the work is long).")
        n_jobs = self.n_jobs
        integer = isinstance(n_jobs, (int, np.integer)) and not isinstance(n_jobs, bool)
        if n_jobs is not None and (not integer or n_jobs == 0):
            raise InputError(f"n_jobs={n_jobs!r}; pass a positive number of workers, -1 for every core, or None.")
        progress = None if self.progress is None else bool(self.progress)
        return progress, None if n_jobs is None else int(n_jobs)

    def _requested_output(self, model: ModelAdapter) -> OutputSpace | None:
        if self.output == "auto":
            return None
        model.check_output(self.output)
        return self.output

    def _refuse_modality_settings(self) -> None:
        """Refuse, for a table, the settings that only text or images take."""
        if self.method in _MODALITY_METHODS:
            raise MethodError(
                f"method={self.method!r} explains text tokens or image regions over a hierarchy; a table is "
                f"explained with one of {['auto', *REGISTRY]} (exact_shap for a few features, permutation_shap "
                "or kernel_shap for many)."
            )
        for name in ("tokenizer", "segmentation"):
            if getattr(self, name) is not None:
                what = "documents (a list of str)" if name == "tokenizer" else "images (an array (n, h, w[, c]))"
                raise InputError(
                    f"{name}= was given, but X is a table; {name} applies to {what}. Leave {name}=None for tables."
                )

    def _method_params(self, any_input: bool = False) -> dict[str, Any]:
        """The method's settings, checked for a table; with ``any_input`` (before the data is
        seen) keys that a text or image method of the same name takes are accepted too."""
        if self.method_params is not None and not isinstance(self.method_params, Mapping):
            raise MethodError(
                f"method_params={self.method_params!r} is a {type(self.method_params).__name__}; pass a "
                "mapping (a dict) of the method's settings, e.g. method_params={'nsamples': 4096}."
            )
        params = dict(self.method_params or {})
        other = _modality_params(self.method) if any_input else set()
        if any_input and self.method in _MODALITY_METHODS:
            unknown = sorted(set(params) - other)
            if unknown:
                raise MethodError(
                    f"method_params {unknown} are not settings of {self.method}; its settings are {sorted(other)}."
                )
            return params
        if self.method != "auto":
            spec = self._spec(self.method)
            unknown = sorted(set(params) - set(spec.defaults) - other)
            if unknown:
                settings = (
                    _settings_by_input(spec.name, spec.defaults)
                    if any_input
                    else f"its settings are {sorted(spec.defaults) or 'none'}"
                )
                raise MethodError(f"method_params {unknown} are not settings of {spec.name}; {settings}.")
            # a key that an image or text method of this name takes too (lime's num_samples) is checked
            # once the input is known, with the defaults and ranges of that input
            check_method_params(spec.name, {k: v for k, v in params.items() if k in spec.defaults and k not in other})
            return params
        # "auto" picks the method later; a key that no method knows is still a typo
        specs: list[MethodSpec | GlobalMethodSpec] = [*REGISTRY.values(), *GLOBAL_REGISTRY.values()]
        known = {key for spec in specs for key in spec.defaults} | other
        unknown = sorted(set(params) - known)
        if unknown:
            raise MethodError(
                f"method_params {unknown} are not settings of any method that method='auto' can "
                f"choose; the settings are {sorted(known)}. Name a method to check its own settings."
            )
        return params

    @staticmethod
    def _spec(name: str) -> MethodSpec | GlobalMethodSpec:
        if not isinstance(name, str):
            raise MethodError(
                f"method={name!r} is not a method name; choose one of {['auto', *REGISTRY, *GLOBAL_REGISTRY]}."
            )
        if name in GLOBAL_REGISTRY:
            return GLOBAL_REGISTRY[name]
        if name not in REGISTRY:
            raise MethodError(f"unknown method {name!r}; choose one of {['auto', *REGISTRY, *GLOBAL_REGISTRY]}.")
        return REGISTRY[name]

    def _choose(self, job: Job) -> tuple[MethodSpec, OutputSpace, dict[str, Any]]:
        if not isinstance(self.method, str):
            raise MethodError(f"method must be a string, not {type(self.method).__name__}.")
        if self.method != "auto":
            spec = self._spec(self.method)
            assert isinstance(spec, MethodSpec)  # global methods never reach here
            try:
                return spec, spec.support(job), {}
            except Unsupported as exc:
                raise MethodError(
                    f"method {spec.name!r} cannot explain this model: {exc}. Pass method='auto' to "
                    "use the best method that can."
                ) from None
        try:
            spec, space, note = choose_auto(job)
        except Unsupported as exc:
            raise MethodError(f"no method can explain this model as configured ({exc}).") from None
        return spec, space, {"auto": note}

    def _check_missing(self, job: Job, table: Table, role: str) -> None:
        counts = missing_by_column(table)
        if not counts or job.model.allows_nan():
            return
        rows = np.flatnonzero(np.isnan(table.encoded).any(axis=1) | _object_missing(table))[:5]
        try:
            job.predict(table.encoded[rows], job.model.default_output())
        except Exception as exc:  # the model cannot take missing values
            raise InputError(
                f"{role} has missing values (count by column: {counts}) and the model cannot "
                f"take them ({type(exc).__name__}). Impute them, e.g. with a SimpleImputer inside "
                "the Pipeline, or drop those rows."
            ) from None

    def _provenance(self, job: Job, start: float) -> Provenance:
        schema = job.X.schema
        kinds = tuple(c.kind for c in schema.columns)
        bg = job.background
        return Provenance(
            model_fingerprint=model_fingerprint(job.model.model),
            data_fingerprint=data_fingerprint(job.X.values, schema.feature_names, kinds),
            background_fingerprint=None if bg is None else data_fingerprint(bg.values, schema.feature_names, kinds),
            random_state=checked_random_state(self.random_state),
            versions=library_versions(*_model_libraries(job.model)),
            elapsed_seconds=round(time.perf_counter() - start, 6),
            model_type=type_path(job.model.model),
        )

    def _wrap(
        self,
        job: Job,
        spec: MethodSpec,
        space: OutputSpace,
        result: Any,
        predictions: np.ndarray,
        notes: dict[str, Any],
        start: float,
    ) -> LocalExplanation:
        values, base = result.values, result.base_values
        k = values.shape[2]
        names = job.model.output_names(k)
        if k == 1:
            values, base, predictions = values[:, :, 0], base[:, 0], predictions[:, 0]
        schema = job.X.schema
        kinds = tuple(c.kind for c in schema.columns)
        provenance = self._provenance(job, start)
        params = {**dict(spec.defaults), **dict(job.params), **result.params, **notes}
        params["output_requested"] = self.output
        return LocalExplanation(
            values=values,
            base_values=base,
            data=job.X.values,
            predictions=predictions,
            feature_names=schema.feature_names,
            output_names=names,
            output_space=space,
            method=spec.name,
            params=params,
            provenance=provenance,
            feature_kinds=kinds,
            diagnostics={
                key: (value[:, 0] if k == 1 and value.ndim == 2 else value) for key, value in result.diagnostics.items()
            },
        )


def _refuse_images_given_otherwise(explainer: Explainer, X: Any) -> None:
    """Images passed another way than (n, h, w[, c]) (a list of images, 5 axes, one image without
    its batch axis) are refused with the fix, rather than read as a table."""
    if isinstance(X, (list, tuple, np.ndarray)):
        from ._image import image_hint

        hint = image_hint(explainer, X)
        if hint is not None:
            raise InputError(hint)


def _settings_by_input(method: str, table: Any) -> str:
    """A method's settings for each kind of input it explains (the input is not known yet)."""
    from ._image_methods import IMAGE_METHODS
    from ._text_explain import TEXT_METHODS

    parts = [f"for tables {sorted(table) or 'none'}"]
    for what, methods in (("images", IMAGE_METHODS), ("text", TEXT_METHODS)):
        if method in methods:
            parts.append(f"for {what} {sorted(methods[method])}")
    return "its settings are " + "; ".join(parts)


def _image_batch(X: Any) -> bool:
    """Whether ``X`` is a batch of images (only a 3-D or 4-D numpy array can be: the image module
    is imported for those alone)."""
    if not (isinstance(X, np.ndarray) and X.ndim in (3, 4)):
        return False
    from ._image import is_image_batch

    return bool(is_image_batch(X))


def _reads_text(explainer: Explainer) -> bool:
    """Whether the model reads text: a tokenizer was given, or a Pipeline starts with a text
    vectorizer (then a single string is a document passed without its list)."""
    steps = getattr(explainer.model, "steps", None)
    first = steps[0][1] if steps else None
    return explainer.tokenizer is not None or hasattr(first, "build_analyzer")


def _modality_params(method: str) -> set[str]:
    """The settings a text or image method called ``method`` takes (every such method's for "auto")."""
    from ._image_methods import IMAGE_METHODS
    from ._text_explain import TEXT_METHODS

    tables: list[dict[str, Any]] = [TEXT_METHODS, IMAGE_METHODS]
    if method == "auto":
        return {key for table in tables for defaults in table.values() for key in defaults} | {"max_regions"}
    return {key for table in tables for key in table.get(method, {})}


def _check_additivity(job: Job, spec: MethodSpec, space: str, result: Any, predictions: np.ndarray) -> None:
    """Raise :class:`AdditivityError` unless every row's base value plus its attributions gives
    the model's own prediction, within the rounding of the model's arithmetic.

    A method that claims additivity (every Shapley method) must hold it on every row; a miss
    beyond rounding means the method misread the model, and the numbers must not be returned.
    XGBoost computes in float32 (relative tolerance 1e-5), every other model in float64 (1e-7, far
    above rounding and far below any misread tree, which is off by 1e-3 or more).
    """
    values, base = np.asarray(result.values, dtype=float), np.asarray(result.base_values, dtype=float)
    if values.shape[:2] != (job.X.n_rows, job.n_features) or predictions.shape != base.shape:
        raise AdditivityError(
            f"{spec.name} returned values of shape {values.shape} and base values of shape {base.shape} for "
            f"{job.X.n_rows} rows, {job.n_features} features and predictions of shape {predictions.shape}. "
            "This is a bug in explain: please report it with the model type and method."
        )
    total = base + values.sum(axis=1)
    finite = np.isfinite(predictions)
    if not np.isfinite(values).all() or not np.array_equal(np.isfinite(total), finite):
        raise AdditivityError(
            f"{spec.name} returned non-finite attributions for this {type(job.model.estimator).__name__}. "
            "This is a bug in explain (or the model predicts infinite values): please report it."
        )
    scale = 1.0 + np.abs(predictions[finite]) + np.abs(values).sum(axis=1)[finite]
    rtol = 1e-5 if job.model.kind == "xgboost" else 1e-7
    gap = np.abs(total[finite] - predictions[finite])
    if gap.size and np.any(gap > rtol * scale):
        worst = int(np.argmax(gap / scale))
        from ._image import model_inconsistency  # before blaming explain, the model: one output per row?

        other = job.background.encoded[:1] if job.background is not None else job.X.encoded[1:2]
        rows = np.concatenate([job.X.encoded[:1], other])  # a row, and one to share its batch (if any)
        why = model_inconsistency(lambda batch: job.predict(batch, space), rows, rtol)  # type: ignore[arg-type]
        if why is not None:
            raise AdditivityError(
                f"{spec.name} attributions of this {type(job.model.estimator).__name__} ({space}) do not add up to "
                f"the model's own prediction (off by up to {gap.max():.3g}); they are not returned: {why}"
            )
        raise AdditivityError(
            f"{spec.name} attributions of this {type(job.model.estimator).__name__} ({space}) do not add up to "
            f"the model's own prediction: off by up to {gap.max():.3g} (row {worst}); they are not returned. "
            f"This is a bug in explain: please report it with the model's type and parameters "
            f"({spec.name}, params {dict(result.params)}). Meanwhile method='exact_shap' or 'kernel_shap' "
            "explains the model from its predictions alone."
        )


def _read_target(y: Any, n_rows: int) -> np.ndarray | None:
    """The target as a 1-D array with one finite entry per row of X."""
    if y is None:
        return None
    target = np.asarray(y.to_numpy() if hasattr(y, "to_numpy") else y)
    if target.ndim != 1:
        raise InputError(f"y has shape {target.shape}; pass a 1-D target with one value per row of X.")
    if len(target) != n_rows:
        raise InputError(f"y has {len(target)} values but X has {n_rows} rows; pass the target of these rows.")
    if target.dtype.kind == "f" and not np.isfinite(target).all():
        raise InputError("y holds NaN or infinite values; drop those rows from X and y.")
    if target.dtype == object:
        import pandas as pd

        missing = np.flatnonzero(np.asarray(pd.isna(target)))
        if missing.size:
            raise InputError(
                f"y holds {missing.size} missing values (None / NA, first at row {int(missing[0])}); "
                "drop those rows from X and y."
            )
    return target


def _object_missing(table: Table) -> np.ndarray:
    if table.values.dtype != object:
        return np.zeros(table.n_rows, dtype=bool)
    import pandas as pd

    return np.asarray(pd.isna(pd.DataFrame(table.values)).any(axis=1))


def _model_libraries(model: ModelAdapter) -> tuple[str, ...]:
    libraries = {
        "lightgbm": ("lightgbm",),
        "lightgbm_booster": ("lightgbm",),
        "xgboost": ("xgboost",),
        "catboost": ("catboost",),
        "ebm": ("interpret-core",),
    }
    return libraries.get(model.kind, ())
