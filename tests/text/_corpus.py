"""A small corpus written here (no download): short reviews with planted good and bad words."""

from __future__ import annotations

import itertools
import re
from math import factorial

import numpy as np

GOOD = ["great", "fun", "brilliant", "moving", "clever", "superb"]
BAD = ["dull", "boring", "awful", "weak", "clumsy", "tedious"]
NEUTRAL = ["film", "plot", "cast", "story", "acting", "music", "the", "a", "and", "but", "was", "really"]


def corpus(n: int = 300, seed: int = 0) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    docs, labels = [], []
    for _ in range(n):
        good, bad = rng.integers(0, 3), rng.integers(0, 3)
        words = list(rng.choice(GOOD, good)) + list(rng.choice(BAD, bad)) + list(rng.choice(NEUTRAL, 4))
        rng.shuffle(words)
        docs.append(" ".join(words).capitalize() + rng.choice([".", "!", ""]))
        labels.append(int(good - bad + rng.normal(0, 0.7) > 0))
    return docs, np.array(labels)


# short documents, every word distinct within a document (lime's bag of words = positions)
SHORT = [
    "A great film, but the plot was dull.",
    "Boring acting and weak music!",
    "Clever story; superb cast.",
    "The music was really moving",
    "Tedious, clumsy and awful plot but fun cast",
]


def masked(doc: str, keep: tuple[bool, ...], mask_token: str | None = None) -> str:
    """The documented masking, written independently: split into words (\\w+) and the rest;
    drop (or replace) the words not kept; keep every separator."""
    pieces = re.split(r"(\w+)", doc)  # even positions: separators, odd: words
    words = iter(keep)
    out = []
    for i, piece in enumerate(pieces):
        if i % 2 == 0 or next(words):
            out.append(piece)
        elif mask_token is not None:
            out.append(mask_token)
    return "".join(out)


def brute_shapley(value, p: int) -> np.ndarray:
    """Shapley values by the subset formula: value(tuple of kept flags) -> array (k,)."""
    cache = {}

    def v(subset: frozenset) -> np.ndarray:
        if subset not in cache:
            cache[subset] = np.asarray(value(tuple(i in subset for i in range(p))), dtype=float)
        return cache[subset]

    phi = np.zeros((p, len(v(frozenset()))))
    for i in range(p):
        others = [j for j in range(p) if j != i]
        for r in range(p):
            for s in itertools.combinations(others, r):
                w = factorial(r) * factorial(p - r - 1) / factorial(p)
                phi[i] += w * (v(frozenset((*s, i))) - v(frozenset(s)))
    return phi


def brute_owen(value, tree, p: int) -> np.ndarray:
    """Owen values as the mean marginal contribution over the orderings in which every block of
    ``tree`` (nested tuples) is contiguous."""

    def blocks(node):
        if not isinstance(node, tuple):
            return [], {node}
        out, leaves = [], set()
        for child in node:
            sub, lv = blocks(child)
            out += sub
            leaves |= lv
        return [*out, leaves], leaves

    all_blocks = blocks(tree)[0]
    cache = {}

    def v(subset: frozenset) -> np.ndarray:
        if subset not in cache:
            cache[subset] = np.asarray(value(tuple(i in subset for i in range(p))), dtype=float)
        return cache[subset]

    phi, count = np.zeros((p, len(v(frozenset())))), 0
    for order in itertools.permutations(range(p)):
        pos = {q: r for r, q in enumerate(order)}
        if any(max(pos[i] for i in b) - min(pos[i] for i in b) != len(b) - 1 for b in all_blocks):
            continue
        count += 1
        for r, q in enumerate(order):
            before = frozenset(order[:r])
            phi[q] += v(before | {q}) - v(before)
    return phi / count
