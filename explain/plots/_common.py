"""Helpers shared by the plots: axes, output selection, labels with units, value formatting."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from ..errors import InputError
from ._style import Style

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..explanation import GlobalExplanation, LocalExplanation

    Exp = TypeVar("Exp", LocalExplanation, GlobalExplanation)

__all__ = [
    "attribution_label",
    "check_explanation",
    "check_row",
    "decorate",
    "feature_labels",
    "fit_ylabel",
    "format_value",
    "importance_label",
    "label_bars",
    "new_axes",
    "normalized",
    "other_label",
    "output_quantity",
    "ranked",
    "resolve_style",
    "select_output",
    "set_row_labels",
    "short_names",
    "shorten",
    "signed",
    "space_quantity",
    "swarm_offsets",
    "value_colorbar",
]


def resolve_style(style: Style | None) -> Style:
    """The given style, or the default one."""
    if style is None:
        return Style()
    if not isinstance(style, Style):
        raise InputError(f"style={style!r}; pass an explain.plots.Style or None.")
    return style


def new_axes(ax: Axes | None, style: Style, n_rows: float = 0, labels: Sequence[str] = ()) -> Axes:
    """``ax`` itself, or the Axes of a new Figure tall enough for ``n_rows`` bars.

    The Figure is made with :class:`matplotlib.figure.Figure`, not pyplot, so nothing is
    registered globally and no window opens; display it in a notebook or ``savefig`` it. It
    grows wider with long row ``labels``, so the plot itself keeps its room.
    """
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    width, height = style.figsize
    longest = max((len(line) for label in labels for line in label.split("\n")), default=0)
    width += 0.055 * max(0, longest - 22) * style.tick_size / 8.5
    height = max(height, 1.2 + style.row_height * n_rows)
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig.add_subplot()


def select_output(exp: Exp, output: str | int | None) -> Exp:
    """The explanation of one output: the only one, or the one named (a class name or position)."""
    if output is None:
        if exp.n_outputs > 1:
            raise InputError(
                f"this explanation has {exp.n_outputs} outputs {list(exp.output_names)}; pass "
                f"output= with one of them (a name or its position), e.g. output={exp.output_names[-1]!r}."
            )
        return exp
    return exp.for_output(output)


def output_quantity(exp: LocalExplanation | GlobalExplanation) -> str:
    """What the numbers measure, with the output space and the class: "log-odds of class '1'"."""
    return space_quantity(exp.output_space, exp.output_names)


def space_quantity(space: str, output_names: Sequence[str]) -> str:
    """:func:`output_quantity` of outputs named ``output_names`` in the output space ``space``.

    Examples
    --------
    >>> space_quantity("probability", ["1"]), space_quantity("raw", ["prediction"])
    ("probability of class '1'", 'raw prediction')
    """
    one = len(output_names) == 1
    name = output_names[0] if one else "each class"
    target = f"class {name!r}" if one else name
    if space == "probability":
        return f"probability of {target}"
    if space == "log_odds":
        return f"log-odds of {target}"
    if space == "raw" and name == "prediction":
        return "raw prediction"
    if space == "raw":
        return f"raw score of {target}"
    return f"{space} of {name!r}"


def _is_shapley(method: str) -> bool:
    # ours are "<algorithm>_shap"; values read by LocalExplanation.from_shap: "shap[:<explainer>]"
    return method.endswith("_shap") or method == "shap" or method.startswith("shap:")


def attribution_label(exp: LocalExplanation, *, absolute: bool = False, feature: str | None = None) -> str:
    """Axis label of attributions: "SHAP value (log-odds of class '1')", "mean |contribution| (...)"."""
    noun = "SHAP value" if _is_shapley(exp.method) else "contribution"
    of = "" if feature is None else f" of {shorten(feature, 40)!r}"
    quantity = output_quantity(exp)
    if absolute:
        return f"mean |{noun}|{of} ({quantity})"
    if _is_shapley(exp.method):
        return f"{noun}{of} ({quantity})"
    return f"Contribution{of} to the {quantity}"


def importance_label(glob: GlobalExplanation) -> str:
    """Axis label of a global explanation's importances, by kind, with units."""
    quantity = output_quantity(glob)
    if glob.kind == "permutation":
        return f"Drop in {glob.output_names[0]} when the feature is shuffled"
    if glob.kind == "mean_abs_attribution":
        noun = "SHAP value" if _is_shapley(glob.method) else "contribution"
        return f"mean |{noun}| ({quantity})"
    if glob.kind == "partial_dependence_std":
        return f"Spread of partial dependence ({quantity})"
    return f"{glob.kind.replace('_', ' ').capitalize()} ({quantity})"


def fit_ylabel(label: str, max_chars: int = 45) -> str:
    """A long y-axis label on two lines, broken before its units in parentheses.

    Examples
    --------
    >>> fit_ylabel("SHAP value of 'petal width (cm)' (raw score of class 'versicolor')")
    "SHAP value of 'petal width (cm)'\\n(raw score of class 'versicolor')"
    """
    if len(label) <= max_chars or " (" not in label:
        return label
    head, _, units = label.rpartition(" (")
    return f"{head}\n({units}"


def shorten(name: str, max_chars: int) -> str:
    """``name``, or its start and end around an ellipsis when longer than ``max_chars``.

    Examples
    --------
    >>> shorten("worst concave points", 40)
    'worst concave points'
    >>> shorten("number of late payments in the last twenty-four months", 24)
    'number of la…four months'
    """
    if len(name) <= max_chars:
        return name
    head = math.ceil((max_chars - 1) / 2)
    tail = max_chars - 1 - head
    return name[:head] + "…" + (name[len(name) - tail :] if tail > 0 else "")


def short_names(names: Sequence[str], max_chars: int) -> list[str]:
    """Names shortened by :func:`shorten`, kept apart where shortening made two of them equal.

    Names that would collide show their start and the part where they differ.

    Examples
    --------
    >>> short_names(["late payments on card 1 in the last two years",
    ...              "late payments on card 2 in the last two years", "age"], 30)
    ['late payme…on card 1 in the l…', 'late payme…on card 2 in the l…', 'age']
    """
    short = [shorten(n, max_chars) for n in names]
    out = []
    for name, label in zip(names, short, strict=True):
        rivals = [n for n, t in zip(names, short, strict=True) if t == label and n != name]
        out.append(label if not rivals else _around_difference(name, rivals, max_chars))
    return out


def _around_difference(name: str, rivals: list[str], max_chars: int) -> str:
    """The start of ``name``, then a window that begins a little before it differs from ``rivals``."""
    differ = min(_shared_start(name, rival) for rival in rivals)
    head = max_chars // 3
    start = max(head, differ - 8)
    width = max_chars - head - 2
    window = name[start : start + width]
    return name[:head] + "…" + window + ("…" if start + width < len(name) else "")


def _shared_start(a: str, b: str) -> int:
    """How many leading characters ``a`` and ``b`` share."""
    n = 0
    for x, y in zip(a, b, strict=False):  # stop at the shorter one
        if x != y:
            break
        n += 1
    return n


def format_value(value: Any, kind: str = "numeric") -> str:
    """A feature's value as a person reads it: labels as they are, numbers to 4 significant digits.

    Examples
    --------
    >>> format_value(70.0), format_value(0.012345), format_value("rome", "categorical")
    ('70', '0.01235', 'rome')
    >>> format_value(None, "categorical"), format_value(float("nan"))
    ('missing', 'missing')
    """
    if value is None or (isinstance(value, (float, np.floating)) and math.isnan(value)):
        return "missing"
    if kind != "numeric" or isinstance(value, (str, bool, np.bool_)):
        return str(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return f"{number:.4g}"


def feature_labels(names: Sequence[str], values: Sequence[Any], kinds: Sequence[str], style: Style) -> list[str]:
    """Bars' labels: "name = value", long names shortened (and kept distinct)."""
    short = short_names(names, style.max_label_chars)
    return [f"{n} = {shorten(format_value(v, k), 20)}" for n, v, k in zip(short, values, kinds, strict=True)]


def signed(value: float) -> str:
    """A contribution with its sign, negatives with a true minus sign (U+2212), as on the axes.

    Examples
    --------
    >>> signed(0.1234), signed(-4.561) == "\u22124.56"
    ('+0.123', True)
    """
    return f"{value:+.3g}".replace("-", "\u2212")


def other_label(n: int) -> str:
    """Label of the aggregated row: "other 1 feature", "other 41 features"."""
    return f"other {n} feature{'s' if n != 1 else ''}"


def ranked(scores: np.ndarray, max_display: int, *, signed: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the rows to show (largest ``|score|`` first) and of the rest.

    At most ``max_display`` rows are drawn in all: when there are more features, the last row
    is "other N features", so ``max_display - 1`` features are shown one by one. Ties are
    broken by feature order, so the plot is the same on every run. ``signed=True`` ranks by
    the score itself (importances, where a negative one means "less than nothing", as in
    :meth:`GlobalExplanation.top`).
    """
    if not isinstance(max_display, (int, np.integer)) or max_display < 1:
        raise InputError(f"max_display={max_display!r}; pass a whole number >= 1.")
    scores = np.asarray(scores, dtype=float)
    order = np.argsort(-(scores if signed else np.abs(scores)), kind="stable")
    if len(order) <= max_display:
        return order, order[:0]
    keep = max(max_display - 1, 1)
    return order[:keep], order[keep:]


def decorate(
    ax: Axes,
    style: Style,
    *,
    xlabel: str | None = None,
    ylabel: str | None = None,
    title: str | None = None,
) -> Axes:
    """Labels and fonts of the style; the top and right frame lines removed."""
    if xlabel is not None:
        ax.set_xlabel(xlabel, fontsize=style.font_size)
    if ylabel is not None:
        ax.set_ylabel(ylabel, fontsize=style.font_size)
    if title is not None:
        ax.set_title(title, fontsize=style.title_size)
    ax.tick_params(labelsize=style.tick_size)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax


def set_row_labels(ax: Axes, labels: Sequence[str], style: Style) -> None:
    """Feature rows top to bottom: the first label is drawn at the top."""
    n = len(labels)
    ax.set_yticks(np.arange(n), labels=list(labels)[::-1], fontsize=style.tick_size)
    ax.set_ylim(-0.6, n - 0.4)


def check_explanation(exp: Any, plot: str, *, local: bool) -> None:
    """Raise :class:`InputError` unless ``exp`` is what ``plot`` draws: a LocalExplanation
    (``local=True``) or a GlobalExplanation (``local=False``)."""
    from ..explanation import GlobalExplanation, LocalExplanation

    if isinstance(exp, LocalExplanation if local else GlobalExplanation):
        return
    given = type(exp).__name__
    if local and isinstance(exp, GlobalExplanation):
        fix = (
            "it draws the attributions of rows: pass explainer.explain_local(X); a GlobalExplanation is "
            "drawn by explain.plots.bar (or glob.plot())"
        )
    elif not local and isinstance(exp, LocalExplanation):
        fix = (
            "it draws feature effects: pass explainer.explain_global(X) with method='partial_dependence' "
            "(or a glass box); a LocalExplanation is drawn by waterfall, beeswarm or dependence"
        )
    else:
        call = "explain_local" if local else "explain_global"
        fix = f"pass a {'Local' if local else 'Global'}Explanation (explainer.{call}(X))"
    raise InputError(f"{plot} was given a {given}; {fix}.")


def check_row(exp: LocalExplanation, row: int) -> int:
    """A valid row position (negative counts from the end), or a clear error."""
    if not isinstance(row, (int, np.integer)) or not -exp.n_rows <= row < exp.n_rows:
        raise InputError(f"row={row!r}; this explanation has {exp.n_rows} rows (0 to {exp.n_rows - 1}).")
    return int(row) % exp.n_rows


def swarm_offsets(x: np.ndarray, *, width: float = 0.4, n_bins: int = 80) -> np.ndarray:
    """Deterministic offsets that spread points with close ``x`` apart (a beeswarm, no randomness).

    Points are binned along ``x``; within a bin they take turns above and below the centre line,
    in their original order, and the layers are scaled to stay within ``±width``.

    Examples
    --------
    >>> swarm_offsets(np.array([0.0, 0.0, 0.0, 1.0]), width=0.4).tolist()
    [0.0, 0.1, -0.1, 0.0]
    """
    x = np.asarray(x, dtype=float)
    n = len(x)
    if n == 0:
        return np.zeros(0)
    finite = np.isfinite(x)
    low = np.min(x[finite]) if finite.any() else 0.0
    span = (np.max(x[finite]) - low) if finite.any() else 0.0
    scaled = (x - low) / span * n_bins if span > 0 else np.zeros(n)
    bins = np.where(finite, np.floor(np.nan_to_num(scaled)), -1).astype(np.int64)
    order = np.lexsort((np.arange(n), bins))
    sorted_bins = bins[order]
    first = np.searchsorted(sorted_bins, sorted_bins, side="left")
    rank = np.arange(n) - first
    layer = (rank + 1) // 2 * np.where(rank % 2 == 1, 1.0, -1.0)
    step = min(0.1, width / max(float(np.max(np.abs(layer))), 1.0))
    offsets = np.empty(n)
    offsets[order] = layer * step
    return offsets + 0.0  # no negative zeros in the output


def normalized(column: np.ndarray) -> np.ndarray:
    """A numeric column mapped to [0, 1] between its 5th and 95th percentiles (NaN stays NaN).

    Percentiles rather than the extremes keep one outlier from washing out every other colour.
    """
    x = np.asarray(column, dtype=float)
    finite = x[np.isfinite(x)]
    if not len(finite):
        return x
    low, high = np.percentile(finite, [5, 95])
    if high <= low:
        low, high = finite.min(), finite.max()
    if high <= low:
        return np.where(np.isfinite(x), 0.5, np.nan)
    return np.clip((x - low) / (high - low), 0.0, 1.0)


def value_colorbar(ax: Axes, style: Style, label: str = "feature value") -> Any:
    """A slim low-to-high colorbar beside ``ax``, ticked "low" and "high"."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    mappable = ScalarMappable(norm=Normalize(0.0, 1.0), cmap=style.value_cmap())
    bar = ax.figure.colorbar(mappable, ax=ax, ticks=[0.0, 1.0], aspect=40, pad=0.015, fraction=0.04)
    bar.ax.set_yticklabels(["low", "high"], fontsize=style.tick_size)
    bar.set_label(label, fontsize=style.font_size, labelpad=-4)
    bar.outline.set_visible(False)
    return bar


def label_bars(
    ax: Axes, y: np.ndarray, starts: np.ndarray, widths: np.ndarray, texts: Sequence[str], style: Style
) -> None:
    """Each bar's number: inside it (white) when the bar is long enough, else just past its end."""
    starts, widths = np.asarray(starts, dtype=float), np.asarray(widths, dtype=float)
    edges = np.concatenate([starts, starts + widths])
    span = float(np.ptp(edges)) if len(edges) else 0.0
    for yi, start, w, text in zip(y, starts, widths, texts, strict=True):
        if span > 0 and abs(w) >= 0.18 * span:
            ax.text(start + w / 2, yi, text, ha="center", va="center", color="white", fontsize=style.tick_size)
            continue
        ax.annotate(
            text, xy=(start + w, yi), xytext=(3 if w >= 0 else -3, 0), textcoords="offset points",
            ha="left" if w >= 0 else "right", va="center", fontsize=style.tick_size,
        )  # fmt: skip
