"""The audit report: one evidence document, rendered to PDF (and later HTML and JSON).

Private for now: the PDF pipeline is a spike (issue 5) and nothing here is public API yet.
"""
