"""The Shapley axioms, as properties over random games (hypothesis).

The games are random regression functions on a few features: linear terms, pairwise
interactions and a smooth non-linearity, ``f(z) = z @ w + sum_{i<j} B_ij z_i z_j + sin(z) @ u``.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import explain as ex

FAST = settings(max_examples=25, deadline=None)
COORD = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)
COEF = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)


class Game:
    """A random regression function of ``d`` features."""

    def __init__(self, w: np.ndarray, pairs: np.ndarray, u: np.ndarray) -> None:
        self.w, self.pairs, self.u = w, np.triu(pairs, 1), u

    def __call__(self, Z: np.ndarray) -> np.ndarray:
        Z = np.asarray(Z, dtype=float)
        return Z @ self.w + np.einsum("ni,ij,nj->n", Z, self.pairs, Z) + np.sin(Z) @ self.u


@st.composite
def problems(draw, min_d=2, max_d=5):
    """(game, x, background): a game, one row to explain and a few background rows."""
    d = draw(st.integers(min_d, max_d))
    m = draw(st.integers(1, 4))
    w = draw(hnp.arrays(float, d, elements=COEF))
    pairs = draw(hnp.arrays(float, (d, d), elements=COEF))
    u = draw(hnp.arrays(float, d, elements=COEF))
    x = draw(hnp.arrays(float, (1, d), elements=COORD))
    background = draw(hnp.arrays(float, (m, d), elements=COORD))
    return Game(w, pairs, u), x, background


def _phi(f, x, background, method="exact_shap"):
    return ex.Explainer(f, background=background, method=method, task="regression").explain_local(x)


def _tol(*arrays):
    return 1e-9 * (1.0 + max(float(np.abs(a).max()) for a in arrays))


def _dummy(game: Game, k: int) -> Game:
    w, pairs, u = game.w.copy(), game.pairs.copy(), game.u.copy()
    w[k] = u[k] = 0.0
    pairs[k, :] = pairs[:, k] = 0.0
    return Game(w, pairs, u)


# --------------------------------------------------------------------------- exact_shap


@FAST
@given(problems())
def test_efficiency(problem):
    game, x, background = problem
    local = _phi(game, x, background)
    prediction = game(x)[0]
    base = game(background).mean()
    assert abs(local.base_values[0] - base) < _tol(base)
    assert abs(local.base_values[0] + local.values[0].sum() - prediction) < _tol(prediction, local.values)


@FAST
@given(problems(), st.data())
def test_symmetry(problem, data):
    game, x, background = problem
    # make features 0 and 1 interchangeable in f, in the row and in every background row
    w, pairs, u = game.w.copy(), game.pairs + game.pairs.T, game.u.copy()
    w[1], u[1] = w[0], u[0]
    pairs[1, :], pairs[:, 1] = pairs[0, :], pairs[:, 0]
    pairs[0, 1] = pairs[1, 0] = data.draw(COEF)
    pairs[0, 0] = pairs[1, 1] = 0.0
    symmetric = Game(w, pairs, u)  # Game keeps the upper triangle, so interactions count once
    points = np.vstack([x, background])  # f is unchanged by swapping features 0 and 1
    swap = [1, 0, *range(2, x.shape[1])]
    np.testing.assert_allclose(symmetric(points), symmetric(points[:, swap]), rtol=1e-12, atol=1e-12)
    x, background = x.copy(), background.copy()
    x[:, 1] = x[:, 0]
    background[:, 1] = background[:, 0]
    values = _phi(symmetric, x, background).values[0]
    assert abs(values[0] - values[1]) < _tol(values)


@FAST
@given(problems(), st.data())
def test_dummy(problem, data):
    game, x, background = problem
    k = data.draw(st.integers(0, x.shape[1] - 1))
    values = _phi(_dummy(game, k), x, background).values[0]
    assert abs(values[k]) < _tol(values)


@FAST
@given(problems(min_d=2, max_d=4), problems(min_d=2, max_d=4), COEF, COEF)
def test_linearity(problem_f, problem_g, a, b):
    f, x, background = problem_f
    g = problem_g[0]
    d = x.shape[1]
    if len(g.w) != d:  # give g the same number of features as f
        g = Game(np.resize(g.w, d), np.resize(g.pairs, (d, d)), np.resize(g.u, d))
    phi_f = _phi(f, x, background).values[0]
    phi_g = _phi(g, x, background).values[0]
    phi_sum = _phi(lambda Z: a * f(Z) + b * g(Z), x, background).values[0]
    expected = a * phi_f + b * phi_g
    assert np.abs(phi_sum - expected).max() < _tol(phi_f, phi_g, phi_sum) * 10


# --------------------------------------------------------------------------- kernel_shap, every coalition


@FAST
@given(problems(max_d=4))
def test_kernel_efficiency(problem):
    game, x, background = problem
    local = _phi(game, x, background, method="kernel_shap")
    assert local.params["exhaustive"] is True
    prediction = game(x)[0]
    assert abs(local.base_values[0] + local.values[0].sum() - prediction) < 1e-7 * (1 + abs(prediction))


@FAST
@given(problems(max_d=4), st.data())
def test_kernel_dummy(problem, data):
    game, x, background = problem
    k = data.draw(st.integers(0, x.shape[1] - 1))
    local = _phi(_dummy(game, k), x, background, method="kernel_shap")
    assert local.params["exhaustive"] is True
    assert abs(local.values[0, k]) < 1e-7 * (1 + np.abs(local.values).max())


@FAST
@given(problems(max_d=4))
def test_kernel_with_every_coalition_equals_exact(problem):
    game, x, background = problem
    kernel = _phi(game, x, background, method="kernel_shap").values
    exact = _phi(game, x, background).values
    assert np.abs(kernel - exact).max() < 1e-7 * (1 + np.abs(exact).max())
