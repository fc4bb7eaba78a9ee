"""Tests of prediction in row blocks (``_network.predict``), threads or not."""

import numpy as np
import pytest
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from sknnopt._layout import Layout
from sknnopt._network import _block_rows, outputs_finite, predict
from sknnopt.activations import ACTIVATIONS
from sknnopt.initializers import initialize
from sknnopt.losses import OUTPUT_ACTIVATIONS


def _network(dtype=np.float64, units=(5, 40, 30, 3), seed=0):
    layout = Layout(units)
    theta = np.empty(layout.size, dtype=dtype)
    initialize(layout, theta, np.random.default_rng(seed), "glorot_uniform", "tanh")
    return layout.views(theta)


def _row_by_row(coefs, intercepts, X, activation, output):
    """The forward pass written out one row at a time."""
    rows = []
    for x in X:
        a = x
        for k, (W, b) in enumerate(zip(coefs, intercepts)):
            a = a @ W + b
            if k < len(coefs) - 1:
                a = ACTIVATIONS[activation].forward(a[None, :].copy())[0]
        rows.append(OUTPUT_ACTIVATIONS[output](a[None, :].copy())[0])
    return np.array(rows)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("output", sorted(OUTPUT_ACTIVATIONS))
def test_blocked_prediction_matches_the_formula(activation, output):
    coefs, intercepts = _network()
    rng = np.random.default_rng(1)
    n = 3 * _block_rows([5, 40, 30, 3], 8) + 17  # several blocks and a short one
    X = rng.normal(size=(n, 5))
    P = predict(coefs, intercepts, X, activation, output)
    assert P.shape == (n, 3) and P.dtype == np.float64
    sample = rng.choice(n, size=40, replace=False)
    expected = _row_by_row(coefs, intercepts, X[sample], activation, output)
    np.testing.assert_allclose(P[sample], expected, rtol=1e-10, atol=1e-12)


def test_threads_and_blocks_give_identical_predictions():
    coefs, intercepts = _network(np.float32)
    X = np.random.default_rng(2).normal(size=(50_000, 5)).astype(np.float32)
    P = predict(coefs, intercepts, X, "relu", "softmax")
    with threadpool_limits(limits=1, user_api="blas"):  # one thread, same blocks
        P1 = predict(coefs, intercepts, X, "relu", "softmax")
    np.testing.assert_array_equal(P, P1)
    assert P.dtype == np.float32


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input_predicts_like_dense(fmt):
    coefs, intercepts = _network()
    rng = np.random.default_rng(3)
    X = rng.normal(size=(20_000, 5)) * (rng.random((20_000, 5)) < 0.3)
    dense = predict(coefs, intercepts, X, "relu", "identity")
    sparse = predict(coefs, intercepts, sp.csr_matrix(X).asformat(fmt), "relu", "identity")
    np.testing.assert_allclose(sparse, dense, rtol=1e-12, atol=1e-12)


def test_outputs_finite_checks_every_block():
    coefs, intercepts = _network()
    X = np.random.default_rng(4).normal(size=(30_000, 5))
    assert outputs_finite(coefs, intercepts, X, "relu", "identity")
    X[-1, 0] = np.inf  # one row in the last block
    with np.errstate(invalid="ignore", over="ignore"):
        assert not outputs_finite(coefs, intercepts, X, "relu", "identity")


def test_float64_input_on_float32_weights_predicts_in_float64():
    coefs, intercepts = _network(np.float32)
    X = np.random.default_rng(5).normal(size=(10, 5))
    assert predict(coefs, intercepts, X, "relu", "identity").dtype == np.float64
