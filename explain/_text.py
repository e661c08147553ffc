"""Text input: detection, tokenization, masking, and batched model calls over documents.

Input
-----
A list or tuple of ``str``, a pandas Series of ``str``, or a 1-D numpy array of ``str`` (or of
``object`` holding only ``str``) is a batch of documents (:func:`is_text_input`). A single
string is refused (pass ``[doc]``), as is a 2-D array or a DataFrame (a table).

Tokenization
------------
A document is cut into *tokens* (the players whose contributions are measured) and the
*separators* between them, so that ``sep[0] + tok[0] + sep[1] + ... + tok[-1] + sep[-1]``
gives back the document exactly (:class:`Document`). By default (:func:`word_tokens`) a token
is a run of word characters (the regex ``\\w+``, as ``lime``'s ``split_expression=r"\\W+"``);
whitespace and punctuation are separators. A user tokenizer ``tokenizer(doc) -> list[str]``
returns the tokens in the order they occur in the document; each is found by searching the
document from the end of the previous one, and whatever lies between two tokens is a
separator. Tokens must be non-empty substrings of the document, in order (a tokenizer that
lower-cases or adds sub-word markers such as ``##`` breaks this and is refused, naming the
token not found).

Masking
-------
A masked token is *removed*: the document is rebuilt from the kept tokens and **every**
separator (what ``lime``'s ``LimeTextExplainer`` does with ``bow=True``). With
``mask_token="..."`` (method_params) a masked token is replaced by that text instead (shap's
Text masker; lime's ``bow=False`` uses ``"UNKWORDZ"``). The value of a coalition of tokens is
the model's prediction on the document with every other token masked. The reference (empty
coalition) is the document with every token masked: for the default word vectorizers its
separators read as the empty document, so the base value is the prediction of ``""``.

A background of documents is not used: a token of one document has no counterpart in another
(documents differ in length and in words), so "this token unknown" cannot be read as "this
token taken from a background document" as it is for a table's column. Removal is the
reference.

Model calls
-----------
The model is called with a list of ``str`` (a scikit-learn Pipeline starting with a text
vectorizer, or a callable declared with ``task=``), through :class:`~explain._model.ModelAdapter`,
in batches of at most ``batch_size`` documents across every explained document.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._model import ModelAdapter, OutputSpace
from .errors import InputError

__all__ = [
    "Document",
    "is_text_input",
    "looks_like_documents",
    "read_documents",
    "tokenize",
    "word_tokens",
]

WORD = re.compile(r"\w+")
#: strings scored per model call
BATCH_SIZE = 8192

Tokenizer = Callable[[str], Sequence[str]]


def is_text_input(X: Any) -> bool:
    """Whether ``X`` is a batch of documents: a non-empty list / tuple / pandas Series / 1-D
    numpy array whose items are all ``str``.

    Examples
    --------
    >>> is_text_input(["a cat", "a dog"]), is_text_input([[1.0, 2.0]]), is_text_input("a cat")
    (True, False, False)
    """
    if isinstance(X, (str, bytes)):
        return False
    if isinstance(X, np.ndarray):
        if X.ndim != 1 or X.size == 0:
            return False
        if X.dtype.kind == "U":
            return True
        return X.dtype == object and all(isinstance(v, str) for v in X)
    if type(X).__name__ == "Series" and type(X).__module__.startswith("pandas"):
        return len(X) > 0 and all(isinstance(v, str) for v in X)
    if isinstance(X, (list, tuple)):
        return len(X) > 0 and all(isinstance(v, str) for v in X)
    return False


def looks_like_documents(X: Any) -> bool:
    """Whether ``X`` is shaped as a batch of documents (one value per document), whatever its
    values: a string, a list or tuple of scalars (empty included), a 1-D array of str or
    objects, a pandas Series that is not numeric, or a DataFrame with one such column. A model
    that reads text sends such input to :func:`read_documents`, whose message names the bad
    value, rather than to the table reader.

    Examples
    --------
    >>> looks_like_documents(["a cat", None]), looks_like_documents([]), looks_like_documents([[1.0, 2.0]])
    (True, True, False)
    """
    if isinstance(X, (str, bytes)):
        return True
    if isinstance(X, (list, tuple)):
        return all(np.ndim(v) == 0 and not isinstance(v, dict) for v in X)
    if isinstance(X, np.ndarray):
        return X.ndim == 1 and (X.size == 0 or X.dtype.kind in "OUS")
    module = type(X).__module__
    if module.startswith("pandas") and type(X).__name__ == "Series":
        return not _numeric(X)
    if module.startswith("pandas") and type(X).__name__ == "DataFrame":
        return X.shape[1] == 1 and not _numeric(X.iloc[:, 0])
    return False


def _numeric(series: Any) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(series.dtype)) and not bool(series.isna().all())


def read_documents(X: Any, role: str = "X") -> list[str]:
    """The documents of ``X`` as a list of ``str`` (see :func:`is_text_input`), or an
    :class:`InputError` that names the value that is not a document and says what to pass.

    Examples
    --------
    >>> read_documents(("a cat", "a dog"))
    ['a cat', 'a dog']
    >>> read_documents(["a cat", 3])
    Traceback (most recent call last):
    ...
    explain.errors.InputError: X[1] is int 3, not a str; every document must be a str (convert with str() if ...
    """
    if isinstance(X, str):
        raise InputError(f"{role} is a single string; pass a list of documents, e.g. [{X[:30]!r}].")
    module = type(X).__module__
    if module.startswith("pandas") and type(X).__name__ == "DataFrame":
        name = X.columns[0] if X.shape[1] == 1 else None
        raise InputError(
            f"{role} is a DataFrame; a text model is explained on documents. Pass its text column as a Series"
            + (f": {role}[{name!r}]." if name is not None else ", e.g. X['text'].")
        )
    if not is_text_input(X):
        _refuse_documents(X, role)
    return [str(v) for v in (X.tolist() if hasattr(X, "tolist") else X)]


def _refuse_documents(X: Any, role: str) -> None:
    """The :class:`InputError` for a batch that is not every item a ``str``, naming the first bad item."""
    import pandas as pd

    if not looks_like_documents(X):
        raise InputError(
            f"{role} is not a batch of documents ({type(X).__name__}); pass a list, tuple, pandas Series or 1-D numpy "
            "array of str (every item a str: replace missing documents by '' or drop them)."
        )
    items = X.tolist() if hasattr(X, "tolist") else list(X)
    labels = list(X.index) if isinstance(X, pd.Series) else list(range(len(items)))
    if not items:
        raise InputError(f"{role} holds no documents; pass at least one, e.g. ['the text to explain'].")
    for label, v in zip(labels, items, strict=True):
        if isinstance(v, str):
            continue
        where = f"{role}[{label!r}]"
        if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
            raise InputError(
                f"{where} is {v!r}, a missing document; replace missing documents by '' (the empty document) or "
                "drop them."
            )
        if isinstance(v, (bytes, bytearray)):
            raise InputError(f"{where} is bytes ({bytes(v)[:30]!r}); decode the documents to str first, e.g. "
                             "b.decode('utf-8').")  # fmt: skip
        raise InputError(
            f"{where} is {type(v).__name__} {v!r}, not a str; every document must be a str (convert with str() "
            "if the value is meant as text)."
        )
    raise InputError(f"{role} is not a batch of documents; pass a list of str.")  # pragma: no cover


@dataclass(frozen=True)
class Document:
    """A document cut into tokens and the separators around them.

    ``separators`` has one more entry than ``tokens``: the text before the first token, between
    consecutive tokens, and after the last. ``text == separators[0] + tokens[0] + ... +
    tokens[-1] + separators[-1]``.

    Examples
    --------
    >>> doc = tokenize("Hi, there!")
    >>> doc.tokens, doc.separators
    (('Hi', 'there'), ('', ', ', '!'))
    >>> doc.masked(np.array([False, True]))
    ', there!'
    """

    tokens: tuple[str, ...]
    separators: tuple[str, ...]

    @property
    def text(self) -> str:
        return self.masked(np.ones(len(self.tokens), dtype=bool))

    def masked(self, keep: np.ndarray, mask_token: str | None = None) -> str:
        """The document with the tokens where ``keep`` is False removed (or replaced by
        ``mask_token``); every separator stays."""
        pieces = [self.separators[0]]
        for token, kept, sep in zip(self.tokens, keep, self.separators[1:], strict=True):
            if kept:
                pieces.append(token)
            elif mask_token is not None:
                pieces.append(mask_token)
            pieces.append(sep)
        return "".join(pieces)


def word_tokens(text: str) -> list[str]:
    """The default tokenizer: runs of word characters (``\\w+``).

    Examples
    --------
    >>> word_tokens("C++ and Python 3.12!")
    ['C', 'and', 'Python', '3', '12']
    """
    return WORD.findall(text)


def tokenize(text: str, tokenizer: Tokenizer | None = None) -> Document:
    """Cut ``text`` into a :class:`Document` with ``tokenizer`` (by default :func:`word_tokens`).

    Examples
    --------
    >>> tokenize("new york city", lambda s: ["new york", "city"]).tokens
    ('new york', 'city')
    """
    found = word_tokens(text) if tokenizer is None else tokenizer(text)
    if isinstance(found, str) or not all(isinstance(t, str) for t in found):
        raise InputError(
            f"the tokenizer returned {type(found).__name__} {str(found)[:60]!r}; it must return a list of str, "
            "the tokens in the order they occur in the document"
        )
    tokens, separators, at = [], [], 0
    for token in found:
        start = text.find(token, at) if token else -1
        if start < 0:
            raise InputError(
                f"the tokenizer returned the token {token!r}, which is not in the document after position {at} "
                f"({text[at : at + 40]!r}...). A tokenizer must return non-empty pieces of the document itself, in "
                "order (not lower-cased, no sub-word markers such as '##')."
            )
        separators.append(text[at:start])
        tokens.append(token)
        at = start + len(token)
    separators.append(text[at:])
    return Document(tuple(tokens), tuple(separators))


def check_tokenizer(tokenizer: Any) -> None:
    """Refuse a tokenizer that is not callable."""
    if tokenizer is not None and not callable(tokenizer):
        raise InputError(
            f"tokenizer={tokenizer!r} is not callable; pass a function str -> list of str (the tokens in "
            "order, each a piece of the document), or None for words (runs of \\w characters)."
        )


def check_mask_token(mask_token: Any) -> str | None:
    if mask_token is not None and not isinstance(mask_token, str):
        raise InputError(
            f"mask_token={mask_token!r}; pass None (a masked token is removed) or the text that replaces it."
        )
    return mask_token


def predict_texts(
    model: ModelAdapter, texts: Sequence[str], space: OutputSpace, batch_size: int = BATCH_SIZE
) -> np.ndarray:
    """The model's predictions ``(len(texts), k)`` in ``space``, ``batch_size`` texts per call."""
    parts = [model.predict(list(texts[i : i + batch_size]), space) for i in range(0, len(texts), batch_size)]
    if not parts:
        raise InputError("there are no documents to predict")
    return np.concatenate(parts, axis=0)


def masked_texts(doc: Document, masks: np.ndarray, mask_token: str | None = None) -> list[str]:
    """The document under each coalition (a row of ``masks``: True = token kept).

    Each token is glued to the separator after it, so that a coalition's text is the first
    separator and one of two pieces per token, joined.
    """
    if not doc.tokens:
        return [doc.text] * len(masks)
    after = doc.separators[1:]
    kept = np.array([t + s for t, s in zip(doc.tokens, after, strict=True)], dtype=object)
    gone = np.array([(mask_token or "") + s for s in after], dtype=object)
    head = doc.separators[0]
    pieces = np.where(np.asarray(masks, dtype=bool), kept, gone)
    return [head + "".join(row) for row in pieces.tolist()]
