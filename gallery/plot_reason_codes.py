"""Reason codes for a credit decision
===================================

When a lender declines an application, US Regulation B requires it to tell the applicant the
*principal reasons* (the commentary says more than four is rarely helpful). With Shapley values
the natural reasons are the features that pushed the predicted risk furthest up. This example
builds a small, generated credit dataset, fits a model of the probability of default, declines
applicants above a cut-off, and turns their explanations into reason codes, an adverse-action
style notice and a chart. It ends with the question every such system must answer: reasons
relative to *whom*?
"""

# %%
# Setup
# -----
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

import explain as ex

# ReasonCode pairs a code with the statement shown to the applicant; a plain
# ("R01", "statement") tuple works as well.
from explain import ReasonCode, plots

OUT = Path(os.environ.get("EXPLAIN_GALLERY_OUT") or tempfile.mkdtemp(prefix="explain-gallery-"))
OUT.mkdir(parents=True, exist_ok=True)
pd.set_option("display.width", 120)


def save(ax_or_fig, name):
    """Save the figure an Axes belongs to (or a Figure) as ``OUT/name.png``."""
    ax_or_fig.figure.savefig(OUT / f"{name}.png", dpi=100)
    print(f"wrote {OUT / name}.png")


# %%
# A generated credit dataset
# --------------------------
# 3000 applicants drawn with numpy from a fixed seed, so the true drivers of default are
# known: high utilization of revolving credit, late payments, high debt relative to income,
# recent credit inquiries and a short credit history raise the risk; income lowers it.
rng = np.random.default_rng(7)
n = 3000
income = np.round(rng.lognormal(np.log(52), 0.45, n), 1)  # thousand dollars a year
X = pd.DataFrame(
    {
        "income_k": income,
        "debt_to_income_pct": np.round(rng.beta(2.2, 5.0, n) * 80, 1),
        "utilization_pct": np.round(rng.beta(1.6, 2.8, n) * 100, 1),
        "late_payments_24m": rng.poisson(0.6, n).astype(float),
        "inquiries_6m": rng.poisson(1.1, n).astype(float),
        "history_years": np.round(rng.gamma(3.0, 3.5, n), 1),
    }
)
logit = (
    -3.1
    + 0.030 * (X["utilization_pct"] - 35)
    + 0.55 * X["late_payments_24m"]
    + 0.035 * (X["debt_to_income_pct"] - 22)
    + 0.30 * X["inquiries_6m"]
    - 0.07 * (X["history_years"] - 10)
    - 0.012 * (X["income_k"] - 52)
)
y = pd.Series((rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int), name="default")
print(X.describe().loc[["mean", "min", "max"]].round(1).to_string())
print(f"default rate: {y.mean():.3f}")

# %%
# A model of the probability of default
# -------------------------------------
# Credit models are often constrained to be monotone in each feature (more late payments can
# never lower the risk), which keeps the reasons consistent from one applicant to the next.
# HistGradientBoosting takes the constraints by column name: +1 increasing, -1 decreasing.
monotone = {
    "income_k": -1,
    "debt_to_income_pct": 1,
    "utilization_pct": 1,
    "late_payments_24m": 1,
    "inquiries_6m": 1,
    "history_years": -1,
}
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
model = HistGradientBoostingClassifier(
    max_iter=120, learning_rate=0.05, max_depth=3, monotonic_cst=monotone, random_state=0
).fit(X_train, y_train)
p_default = model.predict_proba(X_test)[:, 1]
print(f"test ROC AUC: {roc_auc_score(y_test, p_default):.3f}")

# %%
# The decision and its explanation
# --------------------------------
# Decline when the predicted probability of default exceeds the cut-off. The explanation is
# of P(default) (``class_names`` names the classes 0 and 1), relative to a background of all
# applicants in the training data.
CUTOFF = 0.25
declined = np.flatnonzero(p_default > CUTOFF)
print(f"declined {len(declined)} of {len(X_test)} test applicants ({len(declined) / len(X_test):.0%})")

explainer = ex.Explainer(model, background=X_train, class_names=["repaid", "default"], random_state=0)
local = explainer.explain_local(X_test)
print(local.output_names, local.output_space, f"base value {local.base_values[0]:.3f}")

# %%
# Reason codes
# ------------
# Each feature gets a code and the statement an applicant reads. ``reasons`` keeps, for each
# declined row, the (at most) four features that pushed P(default) up the most; approved rows
# (at or below the threshold) get none.
codes = {
    "utilization_pct": ReasonCode("R01", "Proportion of balances to credit limits is too high"),
    "late_payments_24m": ReasonCode("R02", "Delinquency on accounts in the last 24 months"),
    "debt_to_income_pct": ReasonCode("R03", "Debt obligations are too high relative to income"),
    "inquiries_6m": ReasonCode("R04", "Too many recent inquiries for credit"),
    "history_years": ReasonCode("R05", "Length of credit history is too short"),
    "income_k": ReasonCode("R06", "Income is insufficient for the amount of credit requested"),
}
reasons = local.reasons(k=4, adverse="increase", threshold=CUTOFF, codes=codes)
few = declined[:3]
table = reasons.to_frame()
print(table[table["row"].isin(few)].round(3).to_string(index=False))

# %%
# ``text()`` gives the reasons of one row as sentences, with the numbers behind them, for the
# file; the applicant's notice keeps only the statements. (A real notice must hold more than
# this: the lender's details, the ECOA notice, and so on. This is only the reasons part.)
print(reasons.text(int(few[0])))


def adverse_action_notice(reasons, row):
    """The part of an adverse-action notice that states the principal reasons."""
    part = reasons.to_frame().query("row == @row")
    lines = [f"  {rank}. {statement} ({code})" for rank, statement, code in part[["rank", "statement", "code"]].values]
    return "\n".join(
        [
            "Statement of principal reasons for adverse action",
            "Your application for credit was declined. The principal reasons for our decision are:",
            *lines,
        ]
    )


print(adverse_action_notice(reasons, int(few[0])))

# %%
# The chart of one decision
# -------------------------
# One bar per reason, the strongest on top; its length is how far that reason raised
# P(default) above the average applicant's.
ax = plots.reasons(local, row=int(few[0]), k=4, adverse="increase", codes=codes)
save(ax, "reason_codes")

# %%
# Reasons relative to whom?
# -------------------------
# A Shapley value compares the applicant with the background. Against *all applicants* the
# question is "why is your risk higher than average?". Regulation B's commentary also allows
# comparing with applicants *at or just above the passing score*: "why were you declined when
# they were approved?". Same model, same applicants, another background: the reasons can
# change order, and reasons that set an applicant apart from the average may not set them apart
# from the nearly-declined.
p_train = model.predict_proba(X_train)[:, 1]
near_cutoff = X_train[(p_train > CUTOFF - 0.06) & (p_train <= CUTOFF)]
print(f"{len(near_cutoff)} training applicants approved just below the cut-off")
local_near = ex.Explainer(
    model, background=near_cutoff, class_names=["repaid", "default"], random_state=0
).explain_local(X_test.iloc[declined])
near = local_near.reasons(k=4, adverse="increase", threshold=CUTOFF, codes=codes).to_frame()
same_first = same_set = 0
for i, row in enumerate(declined):
    everyone = table.query("row == @row")["code"].tolist()
    marginal = near.query("row == @i")["code"].tolist()
    same_first += everyone[:1] == marginal[:1]
    same_set += sorted(everyone) == sorted(marginal)
    if i < 3:
        print(f"applicant {row}: vs all applicants {everyone}; vs applicants near the cut-off {marginal}")
print(
    f"over {len(declined)} declined applicants: same first reason {same_first / len(declined):.0%}, "
    f"same set of reasons {same_set / len(declined):.0%}"
)

ax = plots.reasons(local_near, row=0, k=4, adverse="increase", codes=codes)
save(ax, "reason_codes_near_cutoff")

# %%
# Whichever reference you choose, record it: it is part of the explanation. Here it is
# fingerprinted in ``provenance.background_fingerprint``, and the params say how many
# background rows were used.
print(local.params["background_rows"], local.provenance.background_fingerprint[:16])
print(local_near.params["background_rows"], local_near.provenance.background_fingerprint[:16])
