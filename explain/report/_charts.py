"""Draw the chart specs of the evidence as SVG, the same bytes for the HTML page and the PDF.

Text stays text (``svg.fonttype = "none"``), set in DejaVu Sans, the family the report ships
(matplotlib measures it with its own copy of the same font), so chart labels are searchable in
the PDF and selectable in the browser. Every rcParam starts from matplotlib's defaults, never
from the user's style, and ids are salted per chart: the same spec gives the same bytes on any
machine, and two charts inlined in one HTML page never share an element id.
"""

from __future__ import annotations

import io
import re
import textwrap
import warnings
from collections.abc import Mapping
from typing import Any

from explain.errors import SchemaError

__all__ = ["PALETTE", "WIDTH_INCHES", "chart_svg", "chart_svgs"]

FONT_FAMILY = "DejaVu Sans"
WIDTH_INCHES = 6.3
"""Charts are drawn at the width they are shown in the PDF (16 cm), so 8.5 pt text stays 8.5 pt."""

# Okabe and Ito's palette, distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
_BAR = "#0072B2"
_HIGHLIGHT = "#D55E00"  # flagged bars: vermillion *and* hatched, so colour is not the only cue
_LINESTYLES = ("-", "--", "-.", ":")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
_LABEL_WIDTH = 28


def _literal(text: str) -> str:
    """Show text as written: matplotlib reads ``$...$`` as mathematics."""
    return text.replace("$", r"\$")


def _label(text: str) -> str:
    """A tick label of at most two lines; the full text is in the chart's alt text and tables."""
    lines = textwrap.wrap(text, _LABEL_WIDTH) or [""]
    if len(lines) > 2:
        lines = [lines[0], lines[1][: _LABEL_WIDTH - 1] + "…"]
    return _literal("\n".join(lines))


def _style(ax: Any) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(True, axis="x", color="#d0d0d0", linewidth=0.6)
    ax.set_axisbelow(True)


def _draw_bar(fig: Any, spec: Mapping[str, Any]) -> None:
    labels = [str(x) for x in spec["labels"]]
    values = [float(v) for v in spec["values"]]
    highlight = spec.get("highlight") or [False] * len(values)
    for name in ("values", "errors", "highlight"):
        if spec.get(name) is not None and len(spec[name]) != len(labels):
            raise SchemaError(f"Bar chart: {len(labels)} labels but {len(spec[name])} {name}; give one per label.")
    ax = fig.add_subplot()
    positions = range(len(values))
    bars = ax.barh(
        positions,
        values,
        xerr=spec.get("errors"),
        color=[_HIGHLIGHT if h else _BAR for h in highlight],
        error_kw={"ecolor": "#333333", "elinewidth": 0.9, "capsize": 2.5},
        height=0.65,
    )
    for bar, flagged in zip(bars, highlight, strict=True):
        if flagged:
            bar.set_hatch("///")
            bar.set_edgecolor("white")
    ax.set_yticks(list(positions), labels=[_label(x) for x in labels])
    ax.invert_yaxis()
    if spec.get("reference") is not None:
        ax.axvline(float(spec["reference"]), color="#222222", linestyle="--", linewidth=1.1)
    ax.set_xlabel(_literal(str(spec.get("xlabel", ""))))
    _style(ax)
    ax.grid(False, axis="y")


def _draw_line(fig: Any, spec: Mapping[str, Any]) -> None:
    ax = fig.add_subplot()
    series = spec["series"]
    for i, s in enumerate(series):
        ax.plot(
            s["x"],
            s["y"],
            color=PALETTE[i % len(PALETTE)],
            linestyle=_LINESTYLES[i % len(_LINESTYLES)],
            marker=_MARKERS[i % len(_MARKERS)],
            markersize=3.5,
            linewidth=1.6,
            label=_literal(str(s["name"])),
        )
    if spec.get("diagonal"):
        xs = [v for s in series for v in s["x"]] + [v for s in series for v in s["y"]]
        low, high = (min(xs), max(xs)) if xs else (0.0, 1.0)
        ax.plot([low, high], [low, high], color="#777777", linestyle=":", linewidth=1.1, label="y = x")
    ax.set_xlabel(_literal(str(spec.get("xlabel", ""))))
    ax.set_ylabel(_literal(str(spec.get("ylabel", ""))))
    _style(ax)
    ax.grid(True, axis="y", color="#d0d0d0", linewidth=0.6)
    if len(series) > 1 or spec.get("diagonal"):
        ax.legend(frameon=False, loc="best")


def _height(spec: Mapping[str, Any]) -> float:
    if spec["kind"] == "bar":
        lines = sum(min(2, len(textwrap.wrap(str(x), _LABEL_WIDTH)) or 1) for x in spec["labels"])
        return min(9.0, 0.85 + 0.2 * lines + 0.12 * len(spec["labels"]))
    return 3.2


def chart_svg(spec: Mapping[str, Any], *, salt: str = "") -> bytes:
    """Draw one chart spec (``kind`` ``bar`` or ``line``, see :mod:`._schema`) as SVG bytes.

    Parameters
    ----------
    spec : mapping
        The ``chart`` of a chart block.
    salt : str
        Mixed into the SVG element ids (use the chart id): charts inlined in one page stay distinct.

    Returns
    -------
    bytes
        A standalone SVG document, identical for identical inputs.

    Raises
    ------
    SchemaError
        If the chart kind is unknown.
    """
    import matplotlib
    import matplotlib.style
    from matplotlib.figure import Figure

    draw = {"bar": _draw_bar, "line": _draw_line}.get(spec.get("kind", ""))
    if draw is None:
        raise SchemaError(f"Unknown chart kind {spec.get('kind')!r} in the evidence; expected 'bar' or 'line'.")
    # Start from matplotlib's defaults, not the user's style, then apply ours.
    with (
        matplotlib.style.context("default"),
        matplotlib.rc_context(
            {
                "svg.fonttype": "none",  # text stays text, set in the report's font by the viewer
                "svg.hashsalt": f"explain-report-{salt}",  # fixed ids, hence identical bytes
                "font.family": "sans-serif",
                "font.sans-serif": [FONT_FAMILY],
                "font.size": 8.5,
                "axes.labelsize": 8.5,
                "xtick.labelsize": 8,
                "ytick.labelsize": 8,
                "legend.fontsize": 8,
                "axes.edgecolor": "#555555",
                "hatch.linewidth": 0.8,
            }
        ),
        warnings.catch_warnings(),
    ):
        # A character the report's font lacks (a Han group name in an HTML chart) stays text in the
        # SVG and the browser draws it with its own fonts; matplotlib only warns while measuring
        # it. The PDF's charts never hold one: the PDF renderer replaces them first (._glyphs).
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)
        fig = Figure(figsize=(WIDTH_INCHES, _height(spec)), layout="constrained")
        draw(fig, spec)
        buffer = io.BytesIO()
        # No metadata block: no date (identical bytes), no creator URL (nothing that looks like a link).
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    return _prefix_ids(buffer.getvalue(), salt)


def _prefix_ids(svg: bytes, salt: str) -> bytes:
    """Put the chart's own prefix on every element id and reference to one.

    Matplotlib names groups ``axes_1``, ``patch_2`` ... in every figure; two charts inlined in one
    HTML page would share those ids.
    """
    prefix = "c-" + re.sub(r"[^A-Za-z0-9_-]", "-", salt) + "-" if salt else ""

    def retag(tag: re.Match[str]) -> str:  # inside tags only: chart text never holds a raw "<"
        return re.sub(r'(\sid="|href="#|url\(#)', rf"\g<1>{prefix}", tag.group(0))

    return re.sub(r"<[^<>]+>", retag, svg.decode("utf-8")).encode("utf-8")


def chart_svgs(evidence: Mapping[str, Any], view: Mapping[str, Any]) -> dict[str, bytes]:
    """SVG bytes of every chart, by the file name the view gives its chart block."""
    specs = [b for s in evidence.get("sections", []) for b in s.get("blocks", []) if b.get("type") == "chart"]
    blocks = [b for s in view["sections"] for b in s["blocks"] if b["type"] == "chart"]
    return {b["file"]: chart_svg(spec["chart"], salt=b["file"]) for spec, b in zip(specs, blocks, strict=True)}
