"""Auditing a resume-screening text model
======================================

Most automated employment decision tools read résumés as text, and NYC Local Law 144 asks for a
bias audit of them. This example fits a TF-IDF + logistic regression screening model on the job
applications shipped with ``explain`` (generated, with known driving phrases and a planted bias:
the historical decisions penalised the word "women's", as the screening tool Amazon abandoned in
2018 did), explains its decisions word by word, audits it, and checks that the audit finds the
planted bias: the words that stand for gender and carry weight in the model.

``explain.audit`` sees that the model reads documents (a Pipeline that starts with a text
vectorizer, here given the application column) and audits it word by word: the same call as for a
table.
"""

# %%
# Setup
# -----
import os
import tempfile
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

import explain as ex
from explain.datasets import JOBS_EFFECTS, jobs_splits

OUT = Path(os.environ.get("EXPLAIN_GALLERY_OUT") or tempfile.mkdtemp(prefix="explain-gallery-"))
OUT.mkdir(parents=True, exist_ok=True)
pd.set_option("display.width", 140)
pd.set_option("display.max_colwidth", 70)

# %%
# The applications and the model
# ------------------------------
# 2 000 applications train the model, 1 000 test it. ``gender`` and ``age_band`` are in the
# frames for the bias audit; the model reads the text column only.
data = jobs_splits()
model = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=2000))
model.fit(data.X_train[data.text], data.y_train)

# %%
# One decision, word by word
# --------------------------
# For a vectorizer and a linear model the explanation is the model's own arithmetic (``glassbox``):
# each word gets its coefficient times its TF-IDF value, and the words add up to the log-odds.
texts = data.X_test[data.text]
rejected = model.predict_proba(texts)[:, 1] < 0.5
document = texts[rejected & texts.str.contains("women's")].iloc[:1].tolist()
print(document[0])
local = ex.Explainer(model).explain_local(document)
print(local, f"additivity error {local.additivity_error():.1e}")
print(local.reasons(k=4).to_frame()[["rank", "feature", "contribution"]])
local.plot(0).savefig(OUT / "audit_text_document.png", dpi=100)
print(f"wrote {OUT / 'audit_text_document.png'}")

# %%
# The audit
# ---------
# The company invites an applicant when P(invited) is at least 0.5. Reason statements can be
# given per word, as a reason-code dictionary is given per feature of a table.
card = ex.ModelCard(
    name="application screening (TF-IDF + logistic regression)",
    version="0.1",
    owner="Talent acquisition (example)",
    intended_use="Rank job applications for a first interview; a recruiter reviews every decision.",
)
report = ex.audit(
    model,
    data.X_train,
    data.y_train,
    data.X_test,
    data.y_test,
    sensitive_features=list(data.sensitive),
    reason_codes={"python": ("S01", "Python experience is a core requirement")},
    card=card,
    policy=ex.Policy(decision_threshold=0.5, explain_rows=500),
    random_state=0,
    generated_at="2026-01-15T09:00:00Z",  # pinned: the same inputs give the same files
)
print(report)
findings = report.findings
print(findings.loc[findings["status"].isin(["fail", "warn"]), ["id", "observed", "threshold", "status"]])

# %%
# Words that stand for gender
# ---------------------------
# Every document holding "women" (from "women's chess club", "women's rowing team", ...) is a
# woman's: its concentration in the group is 1. The pronouns are as concentrated, but the model
# gives them almost no weight; "women" and the clubs only women name carry weight, against them.
proxies = report.table("fairness", "proxy_tokens")
print(proxies[["token", "attribute", "group", "documents", "concentration", "mean", "weight", "flag"]])

# %%
# The planted effects against what the model learned
# ---------------------------------------------------
# The datasheet gives the true effect of each phrase on the log-odds of an invitation; the
# audit's token table gives the model's mean contribution where the word occurs. The signs
# agree, including the planted penalty on "women's" (read by the vectorizer as "women").
tokens = report.table("global_explanations", "token_importance").set_index("token")
planted = {phrase.split()[0].replace("'s", ""): effect for phrase, effect in JOBS_EFFECTS.items()}
rows = [(word, effect, tokens["mean"].get(word)) for word, effect in planted.items() if word in tokens.index]
compare = pd.DataFrame(rows, columns=["word", "planted effect", "model's mean contribution"])
print(compare)

fig = Figure(figsize=(6, 3), layout="constrained")
ax = fig.add_subplot()
top = tokens.head(15).iloc[::-1]
colours = ["#b2182b" if flag else "#3b6ea5" for flag in top["flag"]]
ax.barh(top.index, top["influence"], color=colours)
ax.set_xlabel("influence: mean |contribution| per document (log-odds)")
ax.set_title("Most influential words (red: proxies of a protected attribute)", fontsize=9)
fig.savefig(OUT / "audit_text_tokens.png", dpi=100)
print(f"wrote {OUT / 'audit_text_tokens.png'}")

# %%
# The report
# ----------
print("wrote", report.to_html(OUT / "audit_text.html"))
print("wrote", report.to_json(OUT / "evidence_text.json"))
try:
    print("wrote", report.to_pdf(OUT / "audit_text.pdf"))
except ex.errors.MissingDependencyError as exc:
    print(f"no PDF: {exc}")
