"""Tokenization and masking: the documented contract, by property."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explain._text import is_text_input, masked_texts, tokenize

from ._corpus import masked


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_tokens_and_separators_give_back_the_document(text):
    doc = tokenize(text)
    assert doc.text == text
    assert list(doc.tokens) == re.findall(r"\w+", text)
    assert len(doc.separators) == len(doc.tokens) + 1
    assert all(not re.search(r"\w", s) for s in doc.separators)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.data())
def test_masking_removes_exactly_the_tokens_left_out(text, data):
    doc = tokenize(text)
    p = len(doc.tokens)
    keep = tuple(data.draw(st.lists(st.booleans(), min_size=p, max_size=p)))
    got = masked_texts(doc, np.array([keep], dtype=bool).reshape(1, p))[0]
    assert got == masked(text, keep)
    replaced = masked_texts(doc, np.array([keep], dtype=bool).reshape(1, p), "[MASK]")[0]
    assert replaced == masked(text, keep, "[MASK]")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="ab ,", min_size=1, max_size=4), max_size=6), st.text(alphabet=" ,", max_size=3))
def test_a_user_tokenizer_keeps_what_lies_between_its_tokens(pieces, glue):
    text = glue.join(pieces)
    doc = tokenize(text, lambda s: [p for p in pieces if p])
    assert doc.text == text and doc.tokens == tuple(p for p in pieces if p)


def test_what_counts_as_documents():
    assert is_text_input(["a"]) and is_text_input(pd.Series(["a", "b"])) and is_text_input(np.array(["a"]))
    assert not is_text_input([]) and not is_text_input("a") and not is_text_input(["a", 1])
    assert not is_text_input(np.array([["a"]])) and not is_text_input(pd.DataFrame({"t": ["a"]}))
    assert not is_text_input(pd.Series(["a", None]))


BAD_DOCUMENTS = [
    (["python", None], r"X\[1\] is None, a missing document; replace missing documents by ''"),
    ([], r"X holds no documents"),
    (["a", 3], r"X\[1\] is int 3, not a str"),
    ([b"a"], r"X\[0\] is bytes .*decode"),
    (np.array(["python", None], dtype=object), r"X\[1\] is None, a missing document"),
    (pd.Series(["python", np.nan], index=[10, 20]), r"X\[20\] is nan, a missing document"),
    (pd.Series(["python", None], dtype="string"), r"X\[1\] is <NA>, a missing document"),
    (pd.DataFrame({"application": ["python sql"]}), r"Pass its text column as a Series: X\['application'\]"),
]


@pytest.mark.parametrize(("X", "message"), BAD_DOCUMENTS)
def test_bad_documents_for_a_text_model_are_named(X, message):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    import explain as ex
    from explain.errors import InputError

    from ._corpus import corpus

    docs, y = corpus()
    model = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(docs, y)
    for method in ("auto", "exact_shap"):
        with pytest.raises(InputError, match=message):
            ex.Explainer(model, method=method).explain_local(X)
    with pytest.raises(InputError, match=message):
        ex.Explainer(model).explain_global(X)
