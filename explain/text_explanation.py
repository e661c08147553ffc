"""TextExplanation: per-token attributions of documents (ragged: each document its own tokens).

Made by :meth:`explain.Explainer.explain_local` on a list of documents. Like
:class:`~explain.explanation.LocalExplanation` it is a frozen value (read-only arrays, no
attribute can be set, every transformation returns a new object) carrying the method, its
parameters, the output space and the :class:`~explain._provenance.Provenance`, and it
round-trips through JSON (:func:`explain.load`, which never executes code).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from ._global_explanation import GlobalExplanation
from ._model import OUTPUT_SPACES
from ._provenance import Provenance
from ._values import SCHEMA_VERSION, _Base, _frozen_array, _frozen_diagnostics, _index, freeze, thaw
from .errors import InputError

if TYPE_CHECKING:
    from ._reasons import Reasons

__all__ = ["TextExplanation"]

KIND = "text_explanation"
SCHEMA = "explain.TextExplanation"
#: methods whose values add up to the prediction (checked on load as well)
ADDITIVE_METHODS = ("exact_shap", "partition_shap", "glassbox")


@dataclass(frozen=True, eq=False, repr=False)
class TextExplanation(_Base):
    """Per-token attributions of one or several model outputs, for each document.

    Attributes
    ----------
    tokens : tuple of tuple of str
        The tokens of each document (ragged), the players whose contributions are measured.
    separators : tuple of tuple of str
        Per document, the text around the tokens (one more than the tokens), so that
        ``separators[r][0] + tokens[r][0] + separators[r][1] + ...`` is the document.
    values : tuple of ndarray
        Per document, ``(n_tokens,)`` (one output) or ``(n_tokens, n_outputs)``.
    base_values, predictions : ndarray, shape (n_rows,) or (n_rows, n_outputs)
        The prediction with every token masked, and the model's prediction. For
        ``exact_shap``, ``partition_shap`` and ``glassbox``, ``base + sum(values) == prediction``.
    output_names : tuple of str
    output_space : {"probability", "log_odds", "raw", "margin"}
    method : str
    params : mapping
        Every setting that shaped the values: tokenizer, masking, why ``auto`` chose the method.
    provenance : Provenance
    diagnostics : mapping of str to ndarray
        Per-document diagnostics (lime: ``fidelity``, ``local_prediction``).

    Examples
    --------
    >>> from sklearn.feature_extraction.text import TfidfVectorizer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> import explain as ex
    >>> docs = ["great fun film", "dull boring film", "great cast", "boring plot"]
    >>> model = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(docs, [1, 0, 1, 0])
    >>> text = ex.Explainer(model, method="exact_shap").explain_local(["a great but boring film"])
    >>> text.tokens[0]
    ('a', 'great', 'but', 'boring', 'film')
    >>> bool(text.additivity_error() < 1e-9)
    True
    """

    tokens: tuple[tuple[str, ...], ...]
    separators: tuple[tuple[str, ...], ...]
    values: tuple[np.ndarray, ...]
    base_values: np.ndarray
    predictions: np.ndarray
    output_names: tuple[str, ...]
    output_space: str
    method: str
    params: Mapping[str, Any] = field(default_factory=dict)
    provenance: Provenance = field(default_factory=lambda: Provenance("", "", None, None))
    diagnostics: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        tokens = tuple(tuple(str(t) for t in row) for row in self.tokens)
        separators = tuple(tuple(str(s) for s in row) for row in self.separators)
        n, k = len(tokens), len(self.output_names)
        multi = k > 1
        if len(separators) != n or any(len(s) != len(t) + 1 for s, t in zip(separators, tokens, strict=True)):
            raise InputError("each document needs one more separator than tokens (the text around them).")
        if len(self.values) != n:
            raise InputError(f"{len(self.values)} rows of values for {n} documents.")
        values = []
        for r, (row, toks) in enumerate(zip(self.values, tokens, strict=True)):
            want = (len(toks), k) if multi else (len(toks),)
            given = np.asarray(row, dtype=float)
            if given.size != int(np.prod(want)):
                raise InputError(f"values of row {r} have shape {given.shape}; expected {want}.")
            array = _frozen_array(given.reshape(want))
            values.append(array)
        out_shape = (n, k) if multi else (n,)
        if self.output_space not in OUTPUT_SPACES:
            raise InputError(f"output_space={self.output_space!r}; use one of {list(OUTPUT_SPACES)}.")
        diagnostics = _frozen_diagnostics(self.diagnostics, n)
        fields: tuple[tuple[str, Any], ...] = (
            ("tokens", tokens), ("separators", separators), ("values", tuple(values)),
            ("base_values", _frozen_array(np.reshape(self.base_values, out_shape))),
            ("predictions", _frozen_array(np.reshape(self.predictions, out_shape))),
            ("output_names", tuple(str(o) for o in self.output_names)),
            ("params", freeze(self.params)), ("diagnostics", diagnostics),
        )  # fmt: skip
        for name, value in fields:
            object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ shape and slicing

    @property
    def n_rows(self) -> int:
        return len(self.tokens)

    @property
    def is_multi_output(self) -> bool:
        return self.n_outputs > 1

    @property
    def documents(self) -> tuple[str, ...]:
        """The documents explained, rebuilt from their tokens and separators."""
        return tuple(_join(t, s) for t, s in zip(self.tokens, self.separators, strict=True))

    def __len__(self) -> int:
        return self.n_rows

    def __getitem__(self, rows: Any) -> TextExplanation:
        """The documents at ``rows`` (an int, a slice, a list of positions or a boolean mask)."""
        idx = _index(self.n_rows, rows)
        return TextExplanation(
            tokens=tuple(self.tokens[i] for i in idx),
            separators=tuple(self.separators[i] for i in idx),
            values=tuple(self.values[i] for i in idx),
            base_values=self.base_values[idx],
            predictions=self.predictions[idx],
            output_names=self.output_names,
            output_space=self.output_space,
            method=self.method,
            params=thaw(self.params),
            provenance=self.provenance,
            diagnostics={key: value[idx] for key, value in self.diagnostics.items()},
        )

    def for_output(self, output: str | int) -> TextExplanation:
        """The explanation of one output (a class name, or its position)."""
        j = self._output_index(output)
        if not self.is_multi_output:
            return self
        return TextExplanation(
            tokens=self.tokens,
            separators=self.separators,
            values=tuple(v[:, j] for v in self.values),
            base_values=self.base_values[:, j],
            predictions=self.predictions[:, j],
            output_names=(self.output_names[j],),
            output_space=self.output_space,
            method=self.method,
            params=thaw(self.params),
            provenance=self.provenance,
            diagnostics={
                key: (value[:, j] if value.ndim == 2 and value.shape[1] == self.n_outputs else value)
                for key, value in self.diagnostics.items()
            },
        )

    # ------------------------------------------------------------------ checks and tables

    def additivity_error(self) -> float:
        """Largest ``|base_value + sum(values) - prediction|`` over documents and outputs (0 for
        an empty explanation)."""
        if not self.n_rows:
            return 0.0
        totals = np.array([v.sum(axis=0) for v in self.values]).reshape(self.predictions.shape)
        return float(np.max(np.abs(self.base_values + totals - self.predictions)))

    def to_frame(self) -> pd.DataFrame:
        """One line per token: ``row``, ``position``, ``token``, then ``value`` (one output) or one
        column per output name (several)."""
        rows = [(r, p, tok) for r, toks in enumerate(self.tokens) for p, tok in enumerate(toks)]
        frame = pd.DataFrame(rows, columns=["row", "position", "token"])
        stacked = np.concatenate([np.reshape(v, (len(v), self.n_outputs)) for v in self.values]) if rows else None
        if not self.is_multi_output:
            frame["value"] = stacked[:, 0] if stacked is not None else np.zeros(0)
        else:
            for j, name in enumerate(self.output_names):
                frame[name] = stacked[:, j] if stacked is not None else np.zeros(0)
        return frame

    def top(self, k: int = 5) -> pd.DataFrame:
        """The ``k`` tokens of each document with the largest absolute values, as a long table
        (``row``, ``output``, ``rank``, ``position``, ``token``, ``value``); ties by position.

        Examples
        --------
        >>> exp = TextExplanation(tokens=(("a", "b", "c"),), separators=(("", " ", " ", ""),),
        ...                       values=([0.1, -0.5, 0.2],), base_values=[0.0], predictions=[-0.2],
        ...                       output_names=("y",), output_space="raw", method="exact_shap")
        >>> exp.top(2)["token"].tolist()
        ['b', 'c']
        """
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise InputError(f"k={k!r}; pass a whole number >= 1.")
        records = []
        for j, output in enumerate(self.output_names):
            for r, (tokens, values) in enumerate(zip(self.tokens, self.values, strict=True)):
                column = np.reshape(values, (len(tokens), self.n_outputs))[:, j]
                order = np.argsort(-np.abs(column), kind="stable")[:k]
                for rank, p in enumerate(order, start=1):
                    records.append((r, output, rank, int(p), tokens[p], float(column[p])))
        return pd.DataFrame(records, columns=["row", "output", "rank", "position", "token", "value"])

    def to_global(self, *, min_count: int = 1, lowercase: bool = False) -> GlobalExplanation:
        """Token importance across documents: the mean absolute value of each distinct token over
        its occurrences, with its standard deviation as spread.

        Parameters
        ----------
        min_count : int, default 1
            Leave out tokens seen fewer times (a token seen once ranks by that one value: raise
            this to rank tokens that recur).
        lowercase : bool, default False
            Count ``Python`` and ``python`` as one token (as a lower-casing vectorizer reads them).

        Returns
        -------
        GlobalExplanation
            ``kind="mean_abs_token_attribution"``; one "feature" per distinct token, most important
            first; ``params["occurrences"]`` and ``params["documents"]`` count each token's
            occurrences and the documents it appears in.
        """
        if isinstance(min_count, bool) or not isinstance(min_count, (int, np.integer)) or min_count < 1:
            raise InputError(f"min_count={min_count!r}; pass a whole number >= 1.")
        groups: dict[str, list[np.ndarray]] = {}
        docs: dict[str, set[int]] = {}
        for r, (toks, vals) in enumerate(zip(self.tokens, self.values, strict=True)):
            for tok, v in zip(toks, np.reshape(vals, (len(toks), self.n_outputs)), strict=True):
                key = tok.lower() if lowercase else tok
                groups.setdefault(key, []).append(np.abs(v))
                docs.setdefault(key, set()).add(r)
        kept = {key: np.array(vals) for key, vals in groups.items() if len(vals) >= min_count}
        if not kept:
            raise InputError(
                f"no token occurs {min_count} times or more in these {self.n_rows} documents; lower min_count."
            )
        mean = {key: vals.mean(axis=0) for key, vals in kept.items()}
        order = sorted(kept, key=lambda key: (-float(mean[key].max()), key))
        importances = np.array([mean[key] for key in order])
        spread = np.array([kept[key].std(axis=0) for key in order])
        if not self.is_multi_output:
            importances, spread = importances[:, 0], spread[:, 0]
        params = {
            **thaw(self.params),
            "aggregation": "mean_abs over occurrences",
            "spread": "std_abs over occurrences",
            "n_rows": self.n_rows,
            "min_count": int(min_count),
            "lowercase": bool(lowercase),
            "occurrences": [len(kept[key]) for key in order],
            "documents": [len(docs[key]) for key in order],
        }
        return GlobalExplanation(
            importances=importances,
            spread=spread,
            feature_names=tuple(order),
            output_names=self.output_names,
            output_space=self.output_space,
            kind="mean_abs_token_attribution",
            method=self.method,
            params=params,
            provenance=self.provenance,
        )

    def reasons(
        self,
        k: int = 4,
        *,
        adverse: Literal["increase", "decrease"] = "decrease",
        threshold: float | None = None,
        min_contribution: float = 1e-9,
        output: str | int | None = None,
        lowercase: bool = False,
    ) -> Reasons:
        """Principal reasons for an adverse decision, as the words that pushed it there.

        A word is one reason however often it occurs in the document: its contribution is the
        sum of its occurrences' contributions ("excel excel excel" gives one reason, ``excel``,
        with the three values added), and ``value`` lists its positions.

        Note the default: ``adverse="decrease"``, since a text classifier explained in its
        positive class (the favourable outcome, e.g. "invite to interview") decides adversely
        when that class's score is low, as the audit reads it. Pass ``adverse="increase"`` when
        a higher score is adverse (a fraud or risk score).

        Parameters
        ----------
        k : int, default 4
            Most reasons per document.
        adverse : {"increase", "decrease"}, default "decrease"
        threshold : float, optional
            The decision cut-off; documents whose decision is not adverse get no reasons.
        min_contribution : float, default 1e-9
            A token must push toward the adverse side by more than this to be a reason.
        output : str or int, optional
            The output the decision is made on (required for several outputs).
        lowercase : bool, default False
            Count a word in any case as one word (cited in lower case), as a lower-casing
            vectorizer reads it.

        Returns
        -------
        Reasons
            ``.to_frame()``: row, rank, feature (the word), value (``"position p"`` or
            ``"positions p, q"``), contribution (summed over the word's occurrences), code,
            statement; ``.text()``.
        """
        from ._text_reasons import token_reasons

        return token_reasons(
            self,
            k=k,
            adverse=adverse,
            threshold=threshold,
            min_contribution=min_contribution,
            output=output,
            lowercase=lowercase,
        )

    # ------------------------------------------------------------------ serialization

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data with ``schema``, ``kind`` and ``schema_version`` (see :func:`explain.load`)."""
        from ._io import floats_to_json

        return {
            "schema": SCHEMA,
            "kind": KIND,
            "schema_version": SCHEMA_VERSION,
            "tokens": [list(t) for t in self.tokens],
            "separators": [list(s) for s in self.separators],
            "values": [floats_to_json(v) for v in self.values],
            "base_values": floats_to_json(self.base_values),
            "predictions": floats_to_json(self.predictions),
            "output_names": list(self.output_names),
            "output_space": self.output_space,
            "method": self.method,
            "params": thaw(self.params),
            "provenance": self.provenance.to_dict(),
            "diagnostics": {key: floats_to_json(v) for key, v in sorted(self.diagnostics.items())},
        }

    @classmethod
    def from_dict(cls, obj: Any) -> TextExplanation:
        """The explanation ``to_dict`` wrote, checked (shapes, numbers, additivity of the
        additive methods); a :class:`~explain.errors.SchemaError` says what is wrong."""
        from ._text_schema import read_text_explanation

        return read_text_explanation(cls, obj)

    # ------------------------------------------------------------------ display

    def __repr__(self) -> str:
        return (
            f"TextExplanation(method={self.method!r}, rows={self.n_rows}, tokens={sum(map(len, self.tokens))}, "
            f"outputs={list(self.output_names)}, output_space={self.output_space!r})"
        )

    def _repr_html_(self) -> str:
        from ._text_html import text_html

        return text_html(self)

    def plot(self, row: int = 0, **kwargs: Any) -> Any:
        """The text of document ``row`` with each token highlighted by its contribution (red
        pushes the output up, blue down); see :func:`explain.plots.text`. Returns a
        :class:`explain.plots.Plot`."""
        from .plots.text import text

        return text(self, row=row, **kwargs)


def _join(tokens: Sequence[str], separators: Sequence[str]) -> str:
    pieces = [separators[0]]
    for tok, sep in zip(tokens, separators[1:], strict=True):
        pieces += [tok, sep]
    return "".join(pieces)
