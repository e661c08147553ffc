"""The public surface is explain.__all__, pinned here (STYLE: one curated public API)."""

import explain


def test_public_names_are_pinned():
    assert sorted(explain.__all__) == [
        "AuditReport",
        "Counterfactuals",
        "Explainer",
        "GlobalExplanation",
        "ImageExplanation",
        "InteractionExplanation",
        "LocalExplanation",
        "ModelCard",
        "Policy",
        "ReasonCode",
        "TextExplanation",
        "audit",
        "compare",
        "concat",
        "counterfactuals",
        "errors",
        "load",
        "metrics",
        "plots",
    ]
    for name in explain.__all__:
        assert getattr(explain, name) is not None
