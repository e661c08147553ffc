"""Explanation objects: immutable values that slice, serialize and display.

A :class:`LocalExplanation` holds per-row, per-feature attributions as parallel arrays that
slice together (``values``, ``base_values``, ``data``, ``predictions``); a
:class:`GlobalExplanation` holds one importance per feature. Both carry everything needed to
reproduce and audit them: method, parameters, output space, names and :class:`Provenance`.

Arrays are read-only copies; every transformation returns a new object.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from . import _slicing
from ._global_explanation import GlobalExplanation
from ._model import OUTPUT_SPACES as OUTPUT_SPACES  # the output spaces are the adapter's; read here by _interop
from ._provenance import Provenance
from ._slicing import concat
from ._values import (
    SCHEMA_VERSION,
    _Base,
    _canonical_missing,
    _frozen_array,
    _frozen_diagnostics,
    _short,
    freeze,
    thaw,
)
from .errors import InputError

if TYPE_CHECKING:
    import shap

    from ._counterfactual_result import Counterfactuals
    from ._reasons import Reasons
    from .image_explanation import ImageExplanation

__all__ = ["GlobalExplanation", "LocalExplanation", "concat", "freeze", "thaw"]


@dataclass(frozen=True, eq=False, repr=False)
class LocalExplanation(_Base):
    """Per-row attributions of one or several model outputs.

    Attributes
    ----------
    values : ndarray, shape (n_rows, n_features) or (n_rows, n_features, n_outputs)
        Attribution of each feature to each row's prediction, in ``output_space`` units.
    base_values : ndarray, shape (n_rows,) or (n_rows, n_outputs)
        The prediction with no feature known (for Shapley methods: the mean prediction over the
        background data).
    data : ndarray, shape (n_rows, n_features)
        The rows explained, in the user's own values (object dtype if any column is categorical).
    predictions : ndarray, shape (n_rows,) or (n_rows, n_outputs)
        The model's prediction for each row, in ``output_space`` units. For Shapley methods
        ``base_values + values.sum(axis=1) == predictions`` (see :meth:`additivity_error`).
    feature_names, output_names : tuple of str
    output_space : {"probability", "log_odds", "raw"}
    method : str
        The registered method that computed the values (after ``"auto"`` was resolved).
    params : mapping
        Every parameter that shaped the values, including why ``auto`` chose the method.
    provenance : Provenance
        Fingerprints of the model and data, seed, library versions, time taken.
    remainder : ndarray, shape like ``predictions``, or None
        After a column selection (``local[:, ["age", "income"]]``): the summed attributions of
        the features left out, named in ``params["features_left_out"]``. ``None`` when every
        feature is here. With it a feature subset still adds up:
        ``base_values + values.sum(axis=1) + remainder == predictions``.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import LinearRegression
    >>> import explain as ex
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> model = LinearRegression().fit(X, y)
    >>> local = ex.Explainer(model, background=X).explain_local(X[:5])
    >>> local.method, local.values.shape
    ('linear_shap', (5, 10))
    >>> bool(local.additivity_error() < 1e-8)
    True
    """

    values: np.ndarray
    base_values: np.ndarray
    data: np.ndarray
    predictions: np.ndarray
    feature_names: tuple[str, ...]
    output_names: tuple[str, ...]
    output_space: str
    method: str
    params: Mapping[str, Any] = field(default_factory=dict)
    provenance: Provenance = field(default_factory=lambda: Provenance("", "", None, None))
    feature_kinds: tuple[str, ...] = ()
    diagnostics: Mapping[str, np.ndarray] = field(default_factory=dict)
    remainder: np.ndarray | None = None

    def __post_init__(self) -> None:
        values = _frozen_array(self.values)
        n = values.shape[0] if values.ndim else 0
        d = len(self.feature_names)
        multi = values.ndim == 3
        k = values.shape[2] if multi else 1
        if values.ndim not in (2, 3) or values.shape[1] != d:
            raise InputError(f"values of shape {values.shape} do not match {d} feature names.")
        if len(self.output_names) != k:
            raise InputError(f"{len(self.output_names)} output names for {k} outputs.")
        out_shape = (n, k) if multi else (n,)
        base = _frozen_array(np.broadcast_to(self.base_values, out_shape))
        preds = _frozen_array(np.reshape(self.predictions, out_shape))
        data = np.asarray(self.data)
        data = np.array(data, dtype=object if data.dtype == object else float)
        if data.shape != (n, d):
            raise InputError(f"data of shape {data.shape} does not match values of shape {values.shape}.")
        kinds = tuple(self.feature_kinds) or tuple(
            "categorical" if data.dtype == object else "numeric" for _ in self.feature_names
        )
        data = _frozen_array(_canonical_missing(data, kinds), dtype=data.dtype)
        for name, value in (
            ("values", values), ("base_values", base), ("predictions", preds), ("data", data),
            ("feature_names", tuple(str(f) for f in self.feature_names)),
            ("output_names", tuple(str(o) for o in self.output_names)),
            ("params", freeze(self.params)), ("feature_kinds", kinds),
            ("diagnostics", _frozen_diagnostics(self.diagnostics, n)),
            ("remainder", _slicing._frozen_remainder(self.remainder, out_shape)),
        ):  # fmt: skip
            object.__setattr__(self, name, value)
        _slicing._check_left_out(self)

    # ------------------------------------------------------------------ shape and slicing

    @property
    def n_rows(self) -> int:
        return int(self.values.shape[0])

    @property
    def is_multi_output(self) -> bool:
        return self.values.ndim == 3

    def __len__(self) -> int:
        return self.n_rows

    def __getitem__(self, key: Any) -> LocalExplanation:
        """Rows, features, or both: ``local[rows]``, ``local[rows, features]``.

        Rows are an int (a one-row explanation), a slice, a list of positions or a boolean mask
        (numpy, or a pandas Series read by position) of one entry per row. Features are a name,
        a position, a slice or a list of names or positions, in the order wanted. A third index
        picks one output, like :meth:`for_output`: ``local[:, :, "virginica"]``.

        A selection of features keeps the predictions and base values and sums the attributions
        of the features left out into :attr:`remainder` (named in
        ``params["features_left_out"]``), so the subset still adds up to the prediction and its
        waterfall shows them as "other features".

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import LinearRegression
        >>> import explain as ex
        >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
        >>> local = ex.Explainer(LinearRegression().fit(X, y), background=X[:50]).explain_local(X[:20])
        >>> part = local[X[:20]["sex"].to_numpy() > 0, ["bmi", "bp"]]
        >>> part.feature_names, part.params["features_left_out"][:3]
        (('bmi', 'bp'), ('age', 'sex', 's1'))
        >>> bool(part.additivity_error() < 1e-8)
        True
        """
        return _slicing.select(self, key)

    @property
    def features_left_out(self) -> tuple[str, ...]:
        """The features a column selection left out (their attributions sum to :attr:`remainder`)."""
        return tuple(self.params.get("features_left_out", ()))

    def for_output(self, output: str | int) -> LocalExplanation:
        """The explanation of one output (a class name, or its position)."""
        return _slicing.select_output(self, output)

    def cohorts(self, by: Any) -> dict[Any, LocalExplanation]:
        """The rows split into groups: ``{label: LocalExplanation}``, labels sorted.

        Parameters
        ----------
        by : str, array-like or boolean mask
            The name of a feature (its values in the explained data are the labels), one label
            per row (a numpy array, list or pandas Series, read by position), or a boolean mask
            (two cohorts, ``False`` and ``True``). Numbers sort by value, then text; rows whose
            label is missing form the cohort ``None``, last. Each cohort records its label in
            ``params["cohort"]``.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import LinearRegression
        >>> import explain as ex
        >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
        >>> local = ex.Explainer(LinearRegression().fit(X, y), background=X[:50]).explain_local(X[:20])
        >>> {label: len(part) for label, part in local.cohorts(X[:20]["sex"] > 0).items()}
        {False: 11, True: 9}
        """
        return _slicing.cohorts(self, by)

    # ------------------------------------------------------------------ checks and summaries

    def additivity_error(self) -> float:
        """Largest ``|base_value + sum(values) - prediction|`` over rows and outputs.

        For a selection of features the features left out count too, through
        :attr:`remainder`: the error is the one of the whole explanation, not the gap the
        selection leaves.
        """
        total = self.base_values + self.values.sum(axis=1)
        if self.remainder is not None:
            total = total + self.remainder
        return float(np.max(np.abs(total - self.predictions)))

    def to_frame(self) -> pd.DataFrame:
        """Attributions as a DataFrame: rows by features (columns (output, feature) if several)."""
        if not self.is_multi_output:
            return pd.DataFrame(np.array(self.values), columns=list(self.feature_names))
        columns = pd.MultiIndex.from_product([self.output_names, self.feature_names], names=["output", "feature"])
        flat = np.transpose(self.values, (0, 2, 1)).reshape(self.n_rows, -1)
        return pd.DataFrame(flat, columns=columns)

    def top(self, k: int = 5) -> pd.DataFrame:
        """The ``k`` largest attributions (by absolute value) of each row, as a long table.

        Ties are broken by feature order, so the table is the same on every run.
        """
        if k < 1:
            raise InputError(f"k={k}; pass k >= 1.")
        records = []
        for j, output in enumerate(self.output_names):
            vals = self.values[:, :, j] if self.is_multi_output else self.values
            order = np.argsort(-np.abs(vals), axis=1, kind="stable")[:, :k]
            for row in range(self.n_rows):
                for rank, f in enumerate(order[row], start=1):
                    records.append((row, output, rank, self.feature_names[f], self.data[row, f], vals[row, f]))
        return pd.DataFrame(records, columns=["row", "output", "rank", "feature", "feature_value", "attribution"])

    def to_global(self) -> GlobalExplanation:
        """Mean absolute attribution per feature, with its standard deviation across rows."""
        return _mean_abs_global(self)

    def reasons(
        self,
        k: int = 4,
        *,
        adverse: Literal["increase", "decrease"] = "increase",
        codes: Mapping[str, Any] | None = None,
        groups: Mapping[str, str] | None = None,
        threshold: float | None = None,
        min_contribution: float = 1e-9,
        output: str | int | None = None,
        counterfactuals: Counterfactuals | None = None,
        protected: Sequence[str] = (),
    ) -> Reasons:
        """Principal reasons for an adverse decision, per row (reason codes).

        The features pushing each prediction furthest toward the adverse side, relative to the
        explanation's background (the reference population: record which), at most ``k``.

        Parameters
        ----------
        k : int, default 4
            Most reasons per row (US Regulation B: more than four is rarely helpful).
        adverse : {"increase", "decrease"}
            Whether a higher prediction is adverse (probability of default) or a lower one
            (probability of approval).
        codes : mapping, optional
            Feature (or group) name to a :class:`~explain._reasons.ReasonCode`, a
            ``(code, statement)`` pair or a statement.
        groups : mapping, optional
            Feature name to group name; a group's attributions are summed and it counts once
            (e.g. one-hot columns of one variable).
        threshold : float, optional
            The decision cut-off; rows whose decision is not adverse get no reasons.
        min_contribution : float, default 1e-9
            A feature must push toward the adverse side by more than this to be a reason.
        output : str or int, optional
            The output the decision is made on (required for multi-output explanations).
        counterfactuals : Counterfactuals, optional
            What :func:`explain.counterfactuals` found for the same rows (same order): the text
            then says, under each adverse row's reasons, which changes would reverse the decision
            (GDPR Art. 22 read with CJEU C-203/22 asks for the logic involved in a way the person can
            act on). Counterfactuals of other rows are refused, and so are counterfactuals
            searched for another cut-off than ``threshold`` (one that would still leave the
            decision adverse).
        protected : sequence of str, optional
            Protected features (e.g. ``["sex", "age"]``): a reason citing one is flagged in the
            text and in a ``protected`` column of the table; Regulation B does not allow it as a
            reason for an adverse action. The audit flags them the same way.

        Returns
        -------
        Reasons
            ``.to_frame()`` (row, rank, feature, value, contribution, code, statement),
            ``.text()`` and ``.counterfactuals``.

        Examples
        --------
        >>> from sklearn.datasets import load_breast_cancer
        >>> from sklearn.linear_model import LogisticRegression
        >>> import explain as ex
        >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
        >>> X = X[["mean radius", "mean texture", "worst smoothness"]]
        >>> model = LogisticRegression(max_iter=1000).fit(X, y)
        >>> local = ex.Explainer(model, background=X).explain_local(X[:2])
        >>> reasons = local.reasons(k=2, adverse="decrease")
        >>> int(reasons.to_frame().groupby("row").size().max()) <= 2
        True
        """
        from ._reasons import principal_reasons

        if self.remainder is not None:
            # a principal reason must be ranked against every factor scored; the left-out
            # features may hold a larger one (Regulation B: the reasons actually scored)
            raise InputError(
                f"reasons() ranks a row's features against all the others, but this explanation holds only "
                f"{_short(self.feature_names)} (left out: {_short(self.features_left_out)}). Call reasons() on the "
                "explanation of every feature and filter its table."
            )
        return principal_reasons(
            self, k=k, adverse=adverse, codes=codes, groups=groups, threshold=threshold,
            min_contribution=min_contribution, output=output, counterfactuals=counterfactuals,
            protected=protected,
        )  # fmt: skip

    # ------------------------------------------------------------------ serialization

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data, with a schema name and version (see :func:`explain.load`)."""
        from ._io import data_to_json, floats_to_json

        return {
            "schema": "explain.LocalExplanation",
            "schema_version": SCHEMA_VERSION,
            "values": floats_to_json(self.values),
            "base_values": floats_to_json(self.base_values),
            "predictions": floats_to_json(self.predictions),
            "data": data_to_json(self.data, self.feature_kinds),
            "feature_names": list(self.feature_names),
            "feature_kinds": list(self.feature_kinds),
            "output_names": list(self.output_names),
            "output_space": self.output_space,
            "method": self.method,
            "params": thaw(self.params),
            "provenance": self.provenance.to_dict(),
            "diagnostics": {k: floats_to_json(v) for k, v in sorted(self.diagnostics.items())},
            # only after a column selection, so that every other explanation keeps its bytes
            **({} if self.remainder is None else {"remainder": floats_to_json(self.remainder)}),
        }

    # ------------------------------------------------------------------ shap and pandas

    def to_shap(self) -> shap.Explanation:
        """The explanation as a :class:`shap.Explanation`, for shap's plots and habits.

        ``values`` (n, d) or (n, d, k) as shap lays them out, ``base_values`` (n,) or (n, k),
        ``feature_names`` and ``output_names`` (one name, as shap gives a single output). shap
        colours and sorts by numbers, so a categorical column's ``data`` holds codes (its
        categories in sorted order; missing as NaN) and ``display_data`` the original values,
        which shap's plots print. A feature selection's :attr:`remainder` has no place in a
        ``shap.Explanation``: shap's waterfall of it stops short of the prediction, as for shap's
        own column slices; draw ``self.plot()`` for the "other features" bar.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import LinearRegression
        >>> import explain as ex
        >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
        >>> local = ex.Explainer(LinearRegression().fit(X, y), background=X[:50]).explain_local(X[:20])
        >>> sv = local.to_shap()
        >>> sv.values.shape, sv[:, "bmi"].values.shape, sv.feature_names[:2]
        ((20, 10), (20,), ['age', 'sex'])
        >>> LocalExplanation.from_shap(sv, output_space="raw").feature_names == local.feature_names
        True
        """
        from . import _interop

        return _interop.to_shap(self)

    @classmethod
    def from_shap(
        cls,
        sv: shap.Explanation,
        *,
        output_space: str,
        explainer: Any = None,
        output_names: Sequence[str] | None = None,
        feature_kinds: Sequence[str] | None = None,
    ) -> LocalExplanation:
        """A LocalExplanation of the attributions in a :class:`shap.Explanation`.

        shap records neither the model, nor the output space, nor the predictions: the
        result claims no model fingerprint, ``output_space`` is what you say it is, and the
        predictions are ``base_values + values.sum(axis=1)`` (what shap's waterfall draws).
        ``method`` is ``"shap"``, or ``"shap:<explainer>"`` when ``explainer`` (the shap
        explainer, or its name) is given; ``params["source"]`` is ``"shap.Explanation"``.

        Parameters
        ----------
        sv : shap.Explanation
            Values (n, d), (n, d, k) or one row (d,) / (d, k), with base values.
        output_space : {"probability", "log_odds", "raw", "margin"}
            The units of the values (a tree model's shap values are usually in its margin:
            log-odds for a binary classifier).
        explainer : shap explainer or str, optional
        output_names : list of str, optional
            By default shap's (``"prediction"`` for one unnamed output).
        feature_kinds : list of {"numeric", "categorical"}, optional
            By default a column is categorical if it holds text, or if shap's ``display_data``
            shows something other than ``data`` (category codes).

        Examples
        --------
        >>> import numpy as np, shap
        >>> sv = shap.Explanation(np.array([[0.5, -0.25]]), base_values=np.array([1.0]),
        ...                       data=np.array([[3.0, 4.0]]), feature_names=["a", "b"])
        >>> local = LocalExplanation.from_shap(sv, output_space="raw")
        >>> local.method, local.predictions.tolist(), local.provenance.model_fingerprint
        ('shap', [1.25], '')
        """
        from . import _interop

        return _interop.from_shap(
            sv, output_space=output_space, explainer=explainer, output_names=output_names,
            feature_kinds=feature_kinds,
        )  # fmt: skip

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        base_values: Any,
        output_space: str,
        data: Any = None,
        predictions: Any = None,
        output_names: Sequence[str] | None = None,
        method: str = "unknown",
    ) -> LocalExplanation:
        """A LocalExplanation of attributions in the layout :meth:`to_frame` writes.

        Parameters
        ----------
        frame : DataFrame
            One column per feature (one output), or columns ``(output, feature)`` (several);
            rows are matched by position, never by index.
        base_values : float or array-like
            The base value, for all rows or per row (and output).
        output_space : {"probability", "log_odds", "raw", "margin"}
        data : DataFrame or array-like, optional
            The rows explained: a DataFrame with the same columns (kinds are read from its
            dtypes), or an array (n, d). Missing if not given.
        predictions : array-like, optional
            By default ``base_values + values.sum(axis=1)``.
        output_names : list of str, optional
            For one output (``to_frame`` does not write its name); by default ``"prediction"``.
        method : str, default "unknown"
            The method that computed the values; a registered Shapley method's values must add
            up to the predictions.

        Examples
        --------
        >>> import pandas as pd
        >>> frame = pd.DataFrame({"age": [0.5, -0.2], "income": [1.0, 0.0]})
        >>> local = LocalExplanation.from_frame(frame, base_values=2.0, output_space="raw")
        >>> local.predictions.tolist(), local.to_frame().equals(frame)
        ([3.5, 1.8], True)
        """
        from . import _interop

        return _interop.from_frame(
            frame, base_values=base_values, output_space=output_space, data=data, predictions=predictions,
            output_names=output_names, method=method,
        )  # fmt: skip

    # ------------------------------------------------------------------ display

    def __repr__(self) -> str:
        shape = "x".join(str(s) for s in self.values.shape)
        return (
            f"LocalExplanation(method={self.method!r}, rows={self.n_rows}, features={self.n_features}, "
            f"outputs={list(self.output_names)}, output_space={self.output_space!r}, values={shape})"
        )

    def _repr_html_(self) -> str:
        from ._html import local_summary_html

        return local_summary_html(self)

    def plot(self, kind: str | None = None, **kwargs: Any) -> Any:
        """Draw the explanation with :mod:`explain.plots`; returns a :class:`explain.plots.Plot`
        (shown as its figure in a notebook; ``.ax`` is the matplotlib Axes, whose methods it also
        answers).

        Parameters
        ----------
        kind : {"waterfall", "bar", "beeswarm", "dependence", "reasons", "heatmap", "decision", "violin"}, optional
            By default a waterfall for one row and a beeswarm for several. ``"dependence"``
            draws ``feature=`` (by default the most important one).
        **kwargs
            Passed to the plot function, e.g. ``row=``, ``max_display=``, ``output=``, ``ax=``,
            ``style=``.

        Examples
        --------
        >>> from sklearn.datasets import load_diabetes
        >>> from sklearn.linear_model import LinearRegression
        >>> import explain as ex
        >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
        >>> local = ex.Explainer(LinearRegression().fit(X, y), background=X[:50]).explain_local(X[:20])
        >>> local[0].plot().get_xlabel()
        'Model output (raw prediction)'
        >>> local.plot("bar", max_display=5).get_xlabel()
        'mean |SHAP value| (raw prediction)'
        """
        from .plots._dispatch import plot_local

        return plot_local(self, kind, **kwargs)


def _mean_abs_global(exp: LocalExplanation | ImageExplanation) -> GlobalExplanation:
    """The mean absolute attribution of each feature (each region of an image) over the rows of
    ``exp``, with its standard deviation as spread: what ``to_global()`` of a local and of an image
    explanation return."""
    absolute = np.abs(exp.values)
    return GlobalExplanation(
        importances=absolute.mean(axis=0),
        spread=absolute.std(axis=0),
        feature_names=exp.feature_names,
        output_names=exp.output_names,
        output_space=exp.output_space,
        kind="mean_abs_attribution",
        method=exp.method,
        params={**thaw(exp.params), "aggregation": "mean_abs", "spread": "std_abs", "n_rows": exp.n_rows},
        provenance=exp.provenance,
    )
