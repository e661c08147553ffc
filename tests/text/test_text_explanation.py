"""TextExplanation: frozen, sliceable, tables, JSON, token importance, reasons, HTML and plot."""

from __future__ import annotations

import dataclasses
import itertools
import json

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

import explain as ex
from explain.errors import InputError, SchemaError
from explain.plots import Plot
from explain.text_explanation import TextExplanation

from ._corpus import SHORT, corpus


@pytest.fixture(scope="module")
def exp():
    docs, y = corpus()
    model = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(docs, y)
    return ex.Explainer(model, method="exact_shap").explain_local([*SHORT, "great great film <b>&</b>"])


def test_frozen_values(exp):
    with pytest.raises(dataclasses.FrozenInstanceError):
        exp.method = "other"  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        exp.values[0][0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        exp.base_values[0] = 1.0
    with pytest.raises(TypeError):
        exp.params["method"] = "x"  # type: ignore[index]


def test_rows_slice_together(exp):
    one = exp[1]
    assert len(one) == 1 and one.tokens[0] == exp.tokens[1] and one.predictions[0] == exp.predictions[1]
    some = exp[[0, 2]]
    assert some.documents == (SHORT[0], SHORT[2])
    masked = exp[np.array([True, False, False, False, False, True])]
    assert masked.n_rows == 2 and masked.additivity_error() < 1e-12
    with pytest.raises(IndexError):
        exp[10]


def test_to_frame_has_one_line_per_token(exp):
    frame = exp.to_frame()
    assert list(frame.columns) == ["row", "position", "token", "value"]
    assert len(frame) == sum(len(t) for t in exp.tokens)
    first = frame[frame["row"] == 0]
    assert tuple(first["token"]) == exp.tokens[0]
    np.testing.assert_array_equal(first["value"].to_numpy(), exp.values[0])


def test_json_round_trip_and_damaged_files(exp, tmp_path):
    path = tmp_path / "text.json"
    exp.to_json(path)
    saved = json.loads(path.read_text())
    assert saved["kind"] == "text_explanation" and saved["schema_version"] == 1
    back = ex.load(path)
    assert back.to_json() == exp.to_json() and back.documents == exp.documents
    assert back.provenance == exp.provenance
    changed = dict(saved, values=[[v + 0.1 for v in row] for row in saved["values"]])
    path.write_text(json.dumps(changed))
    with pytest.raises(SchemaError, match="do not add up"):
        ex.load(path)
    for key, value in (("separators", saved["separators"][:-1]), ("values", [["x"]] * 6), ("tokens", "abc")):
        path.write_text(json.dumps(dict(saved, **{key: value})))
        with pytest.raises(SchemaError):
            ex.load(path)
    path.write_text(json.dumps({k: v for k, v in saved.items() if k != "predictions"}))
    with pytest.raises(SchemaError, match="predictions"):
        ex.load(path)


def test_to_global_is_mean_absolute_value_per_token_with_counts(exp):
    glob = exp.to_global()
    assert glob.kind == "mean_abs_token_attribution"
    frame = exp.to_frame()
    by_token = frame.assign(abs=frame["value"].abs()).groupby("token")["abs"]
    for name, importance, count in zip(glob.feature_names, glob.importances, glob.params["occurrences"], strict=True):
        assert importance == pytest.approx(by_token.mean()[name])
        assert count == by_token.size()[name]
    assert list(glob.importances) == sorted(glob.importances, reverse=True)
    assert glob.params["occurrences"][glob.feature_names.index("great")] == 3
    assert glob.params["documents"][glob.feature_names.index("great")] == 2
    assert set(exp.to_global(min_count=2).feature_names) == set(by_token.size()[by_token.size() >= 2].index)
    assert "a" in exp.to_global(lowercase=True).feature_names and "A" not in exp.to_global(lowercase=True).feature_names
    with pytest.raises(InputError, match="min_count"):
        exp.to_global(min_count=50)


def test_reasons_cite_the_tokens_that_lowered_the_score(exp):
    reasons = exp.reasons(k=2)
    frame = reasons.to_frame()
    for r in range(exp.n_rows):
        values = np.asarray(exp.values[r])
        expected = [exp.tokens[r][p] for p in np.argsort(values, kind="stable") if values[p] < -1e-9][:2]
        assert list(frame[frame["row"] == r]["feature"]) == expected
    assert "dull" in reasons.text(0)
    up = exp.reasons(k=1, adverse="increase").to_frame()
    assert (up["contribution"] > 0).all()
    cut = exp.reasons(threshold=float(np.median(exp.predictions))).to_frame()
    assert set(cut["row"]) <= set(np.flatnonzero(exp.predictions < np.median(exp.predictions)))
    with pytest.raises(InputError, match="adverse"):
        exp.reasons(adverse="down")  # type: ignore[arg-type]


def test_a_repeated_word_is_one_reason_with_its_occurrences_summed():
    docs, y = corpus()
    model = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(docs, y)
    text = ["dull film dull boring Dull dull"]
    exp = ex.Explainer(model, method="exact_shap").explain_local(text)
    frame = exp.reasons(k=4).to_frame()
    by_word = pd.DataFrame({"word": exp.tokens[0], "value": exp.values[0]}).groupby("word", sort=False)["value"]
    totals = by_word.sum()
    expected = totals[totals < -1e-9].sort_values(kind="stable")
    assert list(frame["feature"]) == list(expected.index) and len(frame) == len(set(frame["feature"]))
    np.testing.assert_allclose(frame["contribution"], expected.to_numpy(), atol=1e-12)
    assert frame.set_index("feature").loc["dull", "value"] == "positions 0, 2, 5"
    lower = exp.reasons(k=4, lowercase=True).to_frame().set_index("feature")
    assert "Dull" not in lower.index
    assert lower.loc["dull", "contribution"] == pytest.approx(totals["dull"] + totals["Dull"])


def test_html_highlights_every_token_and_escapes_the_text(exp):
    page = exp._repr_html_()
    assert page.count("border-radius:3px") == sum(len(t) for t in exp.tokens)
    assert "<b>&amp;" not in page and "&lt;" in page  # the document's own "<b>&</b>" is text, not markup
    import html
    import re

    shown = html.unescape(re.sub(r"<[^>]+>", "", page))
    for doc in exp.documents:
        assert doc in shown
    assert "raises" in page and "lowers" in page


def test_plot_draws_one_box_per_token_coloured_by_sign(exp):
    from matplotlib.colors import to_rgba

    plot = exp.plot(row=0)
    assert isinstance(plot, Plot)
    boxes = sorted(plot.patches, key=lambda p: int(p.get_gid().split("-")[1]))
    assert len(boxes) == len(exp.tokens[0])
    style_pos, style_neg = to_rgba("#D55E00"), to_rgba("#0072B2")
    for box, value in zip(boxes, exp.values[0], strict=True):
        red, _, blue, _ = box.get_facecolor()
        if value > 1e-9:
            assert red > blue
        elif value < -1e-9:
            assert blue > red
    assert style_pos != style_neg
    assert plot._repr_png_()[:4] == b"\x89PNG"
    assert "contribution to the probability" in plot.figure.axes[-1].get_xlabel()
    with pytest.raises(InputError, match="row"):
        exp.plot(row=99)


def _drawn_texts(plot):
    return [t.get_text() for t in plot.figure.axes[0].texts]


def test_plot_colour_bar_labels_do_not_overlap(exp):
    for row in range(exp.n_rows):
        plot = exp.plot(row=row)
        figure = plot.figure
        figure.canvas.draw()
        bar = figure.axes[-1]
        labels = [t for t in bar.get_xticklabels() if t.get_text()]
        assert len(labels) == 5
        boxes = sorted((t.get_window_extent() for t in labels), key=lambda b: b.x0)
        assert all(a.x1 < b.x0 for a, b in itertools.pairwise(boxes)), [t.get_text() for t in labels]
        scale = np.abs(exp.values[row]).max()
        np.testing.assert_allclose(bar.get_xticks(), np.linspace(-scale, scale, 5))


def test_plot_title_says_the_position_and_quotes_the_document(exp):
    title = exp[2].plot().figure.axes[0].get_title(loc="left")
    assert title.startswith("Document at position 0 (exact_shap)") and '"Clever story; superb cast."' in title
    assert exp.plot(row=2, title="Review 2").figure.axes[0].get_title(loc="left") == "Review 2"


def test_plot_writes_characters_its_font_lacks_as_code_points_without_warnings():
    import warnings

    docs, y = corpus()
    model = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(docs, y)
    text = "great \u4e2d\u6587 film \U0001f389 $x^2$ caf\u00e9"
    exp = ex.Explainer(model, method="exact_shap").explain_local([text])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plot = exp.plot()
        plot.figure.canvas.draw()
    drawn = "".join(_drawn_texts(plot))
    assert "[U+4E2D][U+6587]" in drawn and "[U+1F389]" in drawn and "caf\u00e9" in drawn
    assert "$x^2$" in drawn and not any(t.get_parse_math() for t in plot.figure.axes[0].texts)
    assert len(plot.patches) == len(exp.tokens[0])


def test_constructor_checks_shapes():
    with pytest.raises(InputError, match="separator"):
        TextExplanation(tokens=(("a",),), separators=(("",),), values=(np.zeros(1),), base_values=[0.0],
                        predictions=[0.0], output_names=("y",), output_space="raw", method="lime")  # fmt: skip
    with pytest.raises(InputError, match="shape"):
        TextExplanation(tokens=(("a",),), separators=(("", ""),), values=(np.zeros(2),), base_values=[0.0],
                        predictions=[0.0], output_names=("y",), output_space="raw", method="lime")  # fmt: skip


def test_top_lists_the_largest_absolute_values_per_document(exp):
    top = exp.top(3)
    for r in range(exp.n_rows):
        part = top[top["row"] == r]
        values = np.asarray(exp.values[r])
        assert list(part["position"]) == list(np.argsort(-np.abs(values), kind="stable")[:3])
        assert list(part["token"]) == [exp.tokens[r][p] for p in part["position"]]
    with pytest.raises(InputError, match="k="):
        exp.top(0)


def test_compare_two_text_explanations_token_by_token():
    from scipy.stats import spearmanr

    docs, y = corpus()
    model = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(docs, y)
    exact = ex.Explainer(model, method="exact_shap").explain_local(SHORT)
    lime = ex.Explainer(model, method="lime", method_params={"num_samples": 300}).explain_local(SHORT)
    table = ex.compare(exact, lime, k=3).set_index("metric")
    rho = [spearmanr(a, b).statistic for a, b in zip(exact.values, lime.values, strict=True)]
    top = [
        len(set(np.argsort(-np.abs(a))[:3]) & set(np.argsort(-np.abs(b))[:3]))
        / len(set(np.argsort(-np.abs(a))[:3]) | set(np.argsort(-np.abs(b))[:3]))
        for a, b in zip(exact.values, lime.values, strict=True)
    ]
    signs = [np.mean(np.sign(a) == np.sign(b)) for a, b in zip(exact.values, lime.values, strict=True)]
    assert table.loc["spearman", "mean"] == pytest.approx(np.mean(rho))
    assert table.loc["top_k_jaccard", "mean"] == pytest.approx(np.mean(top))
    assert table.loc["sign_agreement", "min"] == pytest.approx(np.min(signs))
    assert table.loc["spearman", "a"] == "exact_shap" and table.loc["spearman", "b"] == "lime"
    assert ex.compare(exact, exact).set_index("metric").loc["spearman", "min"] == pytest.approx(1.0)


def test_compare_refuses_what_it_does_not_take():
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge

    docs, y = corpus()
    model = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(docs, y)
    exact = ex.Explainer(model, method="exact_shap").explain_local(SHORT)
    with pytest.raises(InputError, match="not of the same documents"):
        ex.compare(exact, ex.Explainer(model, method="exact_shap").explain_local(SHORT[::-1]))
    split = ex.Explainer(model, method="exact_shap", tokenizer=str.split).explain_local(SHORT)
    with pytest.raises(InputError, match="same tokenizer"):
        ex.compare(exact, split)
    X, t = load_diabetes(return_X_y=True)
    table = ex.Explainer(Ridge().fit(X, t), background=X[:20]).explain_local(X[:3])
    with pytest.raises(InputError, match="two TextExplanations of the same documents and tokens; got TextExplanation"):
        ex.compare(exact, table)
