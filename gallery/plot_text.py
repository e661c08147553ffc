"""Explaining a text model: which words moved a screening decision
=================================================================

A TF-IDF + logistic regression Pipeline reads job applications (the generated corpus that ships
with explain, ``explain.datasets.load_jobs``) and predicts whether the applicant is invited to
an interview. The same :class:`explain.Explainer` that explains tables explains documents:
pass a list of strings and get a :class:`~explain.text_explanation.TextExplanation`, one value
per token, in the model's output.

A token is a word (a run of letters or digits); a masked token is removed from the document;
the base value is the prediction with every word removed.
"""

# %%
# Setup
# -----
import os
import tempfile
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

import explain as ex
from explain.datasets import load_jobs

OUT = Path(os.environ.get("EXPLAIN_GALLERY_OUT") or tempfile.mkdtemp(prefix="explain-gallery-"))
OUT.mkdir(parents=True, exist_ok=True)

jobs = load_jobs()
texts, invited = jobs["application"].tolist(), jobs["invited"].to_numpy()
model = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000)).fit(texts[:2000], invited[:2000])
docs = texts[2000:2008]

# %%
# The model's own reading: glassbox
# ---------------------------------
# For a vectorizer + linear model, ``method="auto"`` picks ``glassbox``: each word gets the
# coefficient of its column times its tf-idf value in this document, in log-odds (the space the
# model is linear in). Exact and instant.
glass = ex.Explainer(model).explain_local(docs)
print(glass.method, glass.output_space, glass.params["output_note"])
print(glass[0].to_frame().sort_values("value").head(5).to_string(index=False))

# %%
# Shapley values of removing words, in probability
# ------------------------------------------------
# ``partition_shap`` computes Owen values over a hierarchy of contiguous spans of words (the
# document halved, each half halved...): every distinct coalition is scored once, in large
# batches, and the values add up to the probability.
owen = ex.Explainer(model, method="partition_shap").explain_local(docs)
print(owen.output_space, f"additivity error {owen.additivity_error():.1e}")
print(owen.reasons(k=3).text(0))

# %%
# The highlighted text
# --------------------
plot = owen.plot(row=0)
plot.savefig(OUT / "text_highlight.png", dpi=100)
print(f"wrote {OUT / 'text_highlight.png'}")

# %%
# LIME, as lime's LimeTextExplainer samples it
# --------------------------------------------
lime = ex.Explainer(model, method="lime", method_params={"num_samples": 1000}).explain_local(docs[:2])
print("lime fidelity (weighted R^2):", lime.diagnostics["fidelity"].round(3).tolist())

# %%
# Token importance across documents, and a saved explanation
# ----------------------------------------------------------
glob = owen.to_global(min_count=3, lowercase=True)
print(glob.top(8))
owen.to_json(OUT / "text_explanation.json")
again = ex.load(OUT / "text_explanation.json")
print(type(again).__name__, again.documents[0][:60] + "...")
