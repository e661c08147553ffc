"""Coalition games (explain.methods._coalitions) against brute-force definitions.

Shapley: the subset formula with factorial weights. Owen: the mean marginal contribution over
every ordering of the players in which each block of the hierarchy (at every level) is
contiguous -- a characterization independent of the sibling-block recursion the module uses.
"""

from __future__ import annotations

import itertools
from math import factorial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.cluster.hierarchy import linkage

from explain.errors import InputError, MethodError
from explain.methods._coalitions import (
    MAX_EXACT_PLAYERS,
    contiguous_hierarchy,
    exact_shapley,
    hierarchy_from_linkage,
    owen_plan,
    owen_values,
    shapley_plan,
)


def table_game(p: int, k: int, seed: int):
    """A game with an arbitrary value for each of the 2^p coalitions (k outputs)."""
    table = np.random.default_rng(seed).normal(size=(1 << p, k))
    weights = 1 << np.arange(p)

    def value(masks):
        return table[masks.astype(np.int64) @ weights]

    def v(subset):
        return table[sum(1 << i for i in subset)]

    return value, v


def brute_shapley(v, p):
    phi = np.zeros((p, len(v(()))))
    for i in range(p):
        others = [j for j in range(p) if j != i]
        for r in range(p):
            for s in itertools.combinations(others, r):
                w = factorial(r) * factorial(p - r - 1) / factorial(p)
                phi[i] += w * (v(tuple(sorted((*s, i)))) - v(s))
    return phi


def blocks_of(tree):
    """Every internal node's set of leaves."""
    if not isinstance(tree, tuple):
        return [], {tree}
    out, leaves = [], set()
    for child in tree:
        sub, lv = blocks_of(child)
        out += sub
        leaves |= lv
    return [*out, leaves], leaves


def brute_owen(v, tree, p):
    blocks = blocks_of(tree)[0]
    phi, count = np.zeros((p, len(v(())))), 0
    for order in itertools.permutations(range(p)):
        pos = {player: r for r, player in enumerate(order)}
        if any(max(pos[i] for i in b) - min(pos[i] for i in b) != len(b) - 1 for b in blocks):
            continue
        count += 1
        for r, player in enumerate(order):
            before = tuple(sorted(order[:r]))
            phi[player] += v(tuple(sorted((*before, player)))) - v(before)
    return phi / count


def random_tree(players, rng, max_arity=3):
    if len(players) == 1:
        return int(players[0])
    m = int(rng.integers(2, min(max_arity, len(players)) + 1))
    cuts = np.sort(rng.choice(np.arange(1, len(players)), size=m - 1, replace=False))
    return tuple(random_tree(part, rng, max_arity) for part in np.split(players, cuts))


@pytest.mark.parametrize("p", [1, 2, 3, 5, 7])
@pytest.mark.parametrize("seed", [0, 1])
def test_exact_shapley_equals_the_subset_formula(p, seed):
    value, v = table_game(p, 2, seed)
    phi, v0, v1 = exact_shapley(value, p, batch_size=7)
    np.testing.assert_allclose(phi, brute_shapley(v, p), atol=1e-12)
    np.testing.assert_allclose(v0, v(()))
    np.testing.assert_allclose(v1, v(tuple(range(p))))
    np.testing.assert_allclose(phi.sum(0), v1 - v0, atol=1e-12)


@pytest.mark.parametrize("seed", range(8))
def test_owen_values_equal_the_block_ordering_definition(seed):
    rng = np.random.default_rng(seed)
    p = int(rng.integers(2, 7))
    tree = random_tree(rng.permutation(p), rng, max_arity=2 + seed % 2)
    value, v = table_game(p, 2, seed)
    phi, v0, v1 = owen_values(value, tree, batch_size=5)
    np.testing.assert_allclose(phi, brute_owen(v, tree, p), atol=1e-12)
    np.testing.assert_allclose(phi.sum(0), v1 - v0, atol=1e-12)


def test_owen_is_shapley_for_a_flat_hierarchy_and_two_players():
    value, v = table_game(5, 1, 3)
    np.testing.assert_allclose(owen_values(value, (0, 1, 2, 3, 4))[0], brute_shapley(v, 5), atol=1e-12)
    value, v = table_game(2, 1, 4)
    np.testing.assert_allclose(owen_values(value, (1, 0))[0], brute_shapley(v, 2), atol=1e-12)


def test_owen_differs_from_shapley_in_general_and_blocks_play_the_quotient_game():
    value, v = table_game(4, 1, 5)
    tree = ((0, 1), (2, 3))
    phi = owen_values(value, tree)[0]
    assert not np.allclose(phi, brute_shapley(v, 4), atol=1e-3)
    # the two blocks play a two-player game: each gets its Shapley value there
    left = 0.5 * (v((0, 1)) - v(()) + v((0, 1, 2, 3)) - v((2, 3)))
    np.testing.assert_allclose(phi[:2].sum(0), left, atol=1e-12)


def test_additive_games_give_each_player_its_own_value_under_any_hierarchy():
    own = np.array([1.5, -2.0, 0.25, 4.0, 0.0, 3.0])
    for tree in [contiguous_hierarchy(6), ((5, 0), (1, (2, 3, 4))), tuple(range(6))]:
        phi, v0, _ = owen_values(lambda m: m @ own + 7.0, tree)
        np.testing.assert_allclose(phi[:, 0], own, atol=1e-12)
        assert v0[0] == 7.0


def test_each_distinct_coalition_is_scored_once_and_the_count_is_quadratic():
    seen = []

    def value(masks):
        seen.append(masks.copy())
        assert len(masks) <= 64
        return masks.sum(axis=1)

    p = 64
    owen_values(value, contiguous_hierarchy(p), batch_size=64)
    rows = np.concatenate(seen)
    assert len({r.tobytes() for r in rows}) == len(rows)
    assert len(rows) <= 2 * p * p
    plan = owen_plan(contiguous_hierarchy(p))
    assert plan.masks[0].sum() == 0 and plan.masks[1].all()


def test_exact_shapley_refuses_too_many_players_naming_partition_shap():
    with pytest.raises(MethodError, match="partition_shap"):
        shapley_plan(MAX_EXACT_PLAYERS + 1)


def test_hierarchy_from_a_scipy_linkage():
    points = np.array([[0.0], [0.1], [5.0], [5.2], [9.0]])
    tree = hierarchy_from_linkage(linkage(points, "average"))
    assert sorted(blocks_of(tree)[1]) == [0, 1, 2, 3, 4]
    value, v = table_game(5, 1, 6)
    np.testing.assert_allclose(owen_values(value, linkage(points, "average"))[0], brute_owen(v, tree, 5), atol=1e-12)


@pytest.mark.parametrize("bad", [(0, 0), (0, 2), ((0,), 1), (0, "a"), (0, True)])
def test_bad_hierarchies_are_refused(bad):
    with pytest.raises(InputError):
        owen_plan(bad)


def test_bad_game_output_is_refused():
    with pytest.raises(InputError, match="one row per coalition"):
        exact_shapley(lambda m: np.zeros(3), 3)


@st.composite
def games(draw):
    p = draw(st.integers(2, 6))
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    return p, seed, random_tree(rng.permutation(p), rng)


@settings(max_examples=30, deadline=None)
@given(games(), st.floats(-3, 3), st.floats(-3, 3))
def test_linearity(game, a, b):
    p, seed, tree = game
    f, _ = table_game(p, 1, seed)
    g, _ = table_game(p, 1, seed + 1)
    for solve in (lambda val: exact_shapley(val, p)[0], lambda val: owen_values(val, tree)[0]):
        combined = solve(lambda m: a * f(m) + b * g(m))
        np.testing.assert_allclose(combined, a * solve(f) + b * solve(g), atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(games(), st.data())
def test_dummy_player_gets_zero(game, data):
    p, seed, tree = game
    dummy = data.draw(st.integers(0, p - 1))
    f, _ = table_game(p, 2, seed)

    def value(masks):
        masks = masks.copy()
        masks[:, dummy] = False  # the game ignores the dummy
        return f(masks)

    assert np.allclose(exact_shapley(value, p)[0][dummy], 0, atol=1e-12)
    assert np.allclose(owen_values(value, tree)[0][dummy], 0, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 6), st.integers(0, 2**31), st.data())
def test_symmetric_players_get_equal_values(p, seed, data):
    i, j = data.draw(st.lists(st.integers(0, p - 1), min_size=2, max_size=2, unique=True))
    f, _ = table_game(p, 1, seed)

    def value(masks):  # symmetric in i and j: average over swapping them
        swapped = masks.copy()
        swapped[:, [i, j]] = masks[:, [j, i]]
        return f(masks) + f(swapped)

    phi = exact_shapley(value, p)[0]
    np.testing.assert_allclose(phi[i], phi[j], atol=1e-12)
    # for Owen, symmetric players of the same block: i and j as siblings under a flat node
    rest = [q for q in range(p) if q not in (i, j)]
    tree = ((i, j), *rest) if rest else (i, j)
    phi = owen_values(value, tree)[0]
    np.testing.assert_allclose(phi[i], phi[j], atol=1e-12)
