"""``Network.loss_and_grad`` against central finite differences, and the objective.

Every activation x loss pair is checked, with L2, sample weights (one of them
zero), a fixed dropout mask, a frozen prefix, sparse input and an explicit
normalizer. Everything is float64 so a relative error of 1e-6 is a real test.
"""

import math

import numpy as np
import pytest
import scipy.sparse as sp

from sknnopt._layout import Layout
from sknnopt._network import Network, predict
from sknnopt.activations import ACTIVATIONS
from sknnopt.losses import LOSSES

N_SAMPLES, N_FEATURES, HIDDEN, N_OUT = 6, 3, (4, 3), 3
RTOL = 1e-6


def make_targets(loss, rng, n, k):
    """Return targets valid for the loss, shape (n, k)."""
    if loss == "log_loss":
        return np.eye(k)[rng.integers(0, k, size=n)]
    if loss == "binary_log_loss":
        return rng.integers(0, 2, size=(n, k)).astype(float)
    if loss == "squared_error":
        return rng.normal(size=(n, k))
    if loss == "poisson":
        return rng.poisson(1.5, size=(n, k)).astype(float)
    raise KeyError(f"no targets for loss {loss!r}: add them")


def make_problem(activation, loss, alpha=0.0, dropout=None, seed=0, n=N_SAMPLES):
    rng = np.random.default_rng(seed)
    layout = Layout([N_FEATURES, *HIDDEN, N_OUT])
    net = Network(layout, activation, loss, alpha=alpha, dropout=dropout)
    theta = rng.normal(scale=0.6, size=layout.size)
    X = rng.normal(size=(n, N_FEATURES))
    Y = make_targets(loss, rng, n, N_OUT)
    return net, theta, X, Y


def numeric_grad(f, theta, start=0, h=1e-6):
    """Central differences of the scalar f() with respect to theta[start:]."""
    g = np.zeros_like(theta)
    for i in range(start, theta.size):
        old = theta[i]
        theta[i] = old + h
        fp = f()
        theta[i] = old - h
        fm = f()
        theta[i] = old
        g[i] = (fp - fm) / (2 * h)
    return g


def relative_error(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b))


def check_gradient(net, theta, X, Y, start=0, **kwargs):
    """Assert the analytic gradient matches finite differences; return J, grad."""
    theta_before = theta.copy()
    J, grad = net.loss_and_grad(theta, X, Y, **kwargs)
    np.testing.assert_array_equal(theta, theta_before)  # theta is not touched
    grad = grad.copy()
    fd_kwargs = {k: v for k, v in kwargs.items() if k != "grad"}
    num = numeric_grad(lambda: net.loss_and_grad(theta, X, Y, **fd_kwargs)[0], theta, start)
    assert np.linalg.norm(num[start:]) > 1e-3  # the check is not vacuous
    assert relative_error(grad[start:], num[start:]) < RTOL
    np.testing.assert_allclose(grad[start:], num[start:], rtol=1e-4, atol=1e-7)
    return J, grad


PAIRS = [(a, loss) for a in sorted(ACTIVATIONS) for loss in sorted(LOSSES)]


@pytest.mark.parametrize("activation, loss", PAIRS)
def test_gradient_plain(activation, loss):
    net, theta, X, Y = make_problem(activation, loss)
    check_gradient(net, theta, X, Y)


@pytest.mark.parametrize("activation, loss", PAIRS)
def test_gradient_with_l2(activation, loss):
    net, theta, X, Y = make_problem(activation, loss, alpha=0.7)
    check_gradient(net, theta, X, Y)


@pytest.mark.parametrize("activation, loss", PAIRS)
def test_gradient_with_sample_weights(activation, loss):
    net, theta, X, Y = make_problem(activation, loss, alpha=0.2)
    w = np.array([1.0, 0.0, 2.5, 0.3, 1.0, 4.0])
    check_gradient(net, theta, X, Y, sample_weight=w)


@pytest.mark.parametrize("activation, loss", PAIRS)
def test_gradient_with_fixed_dropout_mask(activation, loss):
    net, theta, X, Y = make_problem(activation, loss, alpha=0.1, dropout=[0.4, 0.3])
    masks = net.draw_masks(np.random.default_rng(42), N_SAMPLES, np.float64)
    # the draw dropped some units and kept others, in every layer
    for mask, p in zip(masks, [0.4, 0.3]):
        assert np.any(mask == 0) and np.any(mask != 0)
        np.testing.assert_allclose(mask[mask != 0], 1 / (1 - p))
    w = np.array([1.0, 2.0, 0.0, 1.0, 0.5, 1.0])
    J, _ = check_gradient(net, theta, X, Y, sample_weight=w, masks=masks)
    J_no_mask, _ = net.loss_and_grad(theta, X, Y, sample_weight=w)
    assert J != pytest.approx(J_no_mask, rel=1e-6)  # the mask was used


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
@pytest.mark.parametrize("first_layer", [1, 2])
def test_gradient_with_frozen_prefix(activation, loss, first_layer):
    net, theta, X, Y = make_problem(activation, loss, alpha=0.3)
    layout = net.layout
    start = layout.offset(first_layer)
    sentinel = np.full(layout.size, 123.0)
    _, full = net.loss_and_grad(theta, X, Y)
    J, _ = check_gradient(
        net, theta, X, Y, start=start, grad=sentinel, first_layer=first_layer
    )
    # the frozen prefix of the output buffer is left untouched ...
    np.testing.assert_array_equal(sentinel[:start], 123.0)
    # ... and the rest is the same as in a full backward pass
    np.testing.assert_allclose(sentinel[start:], full[start:], rtol=1e-12)
    J_full, _ = net.loss_and_grad(theta, X, Y)
    assert J == J_full


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_sparse_input_gives_the_dense_result(fmt, loss):
    net, theta, X, Y = make_problem("relu", loss, alpha=0.5)
    X[X < 0.3] = 0.0  # make it actually sparse
    Xs = sp.csr_matrix(X) if fmt == "csr" else sp.csc_matrix(X)
    assert Xs.nnz < X.size
    w = np.array([1.0, 0.0, 2.0, 1.0, 0.5, 3.0])
    J_dense, g_dense = net.loss_and_grad(theta, X, Y, sample_weight=w)
    g_dense = g_dense.copy()
    J_sparse, g_sparse = net.loss_and_grad(theta, Xs, Y, sample_weight=w)
    assert J_sparse == pytest.approx(J_dense, rel=1e-12)
    np.testing.assert_allclose(g_sparse, g_dense, rtol=1e-10, atol=1e-14)
    check_gradient(net, theta, Xs, Y, sample_weight=w)


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_normalizer(loss):
    net, theta, X, Y = make_problem("tanh", loss, alpha=0.4)
    w = np.array([1.0, 2.0, 0.0, 1.0, 0.5, 1.5])
    S = w.sum()
    J_default, g_default = net.loss_and_grad(theta, X, Y, sample_weight=w)
    g_default = g_default.copy()
    assert net.loss_and_grad(theta, X, Y, sample_weight=w, normalizer=S)[0] == pytest.approx(
        J_default, rel=1e-12
    )
    J, grad = check_gradient(net, theta, X, Y, sample_weight=w, normalizer=10.0)
    # J scales as 1 / normalizer, and so does the gradient
    assert J == pytest.approx(J_default * S / 10.0, rel=1e-12)
    np.testing.assert_allclose(grad, g_default * S / 10.0, rtol=1e-12)
    # without weights the default normalizer is the number of samples
    J_n = net.loss_and_grad(theta, X, Y)[0]
    assert net.loss_and_grad(theta, X, Y, normalizer=3.0)[0] == pytest.approx(
        J_n * N_SAMPLES / 3.0, rel=1e-12
    )


def _tanh_softmax_reference(W0, b0, W1, b1, X, Y, s, alpha):
    """J of a one-hidden-layer tanh / softmax net, written out with Python floats."""
    total = 0.0
    for x, y, si in zip(X, Y, s):
        h = [
            math.tanh(sum(x[i] * W0[i][j] for i in range(len(x))) + b0[j])
            for j in range(len(b0))
        ]
        z = [sum(h[i] * W1[i][j] for i in range(len(h))) + b1[j] for j in range(len(b1))]
        log_norm = math.log(sum(math.exp(v) for v in z))
        total += si * -sum(yj * (zj - log_norm) for yj, zj in zip(y, z))
    sq = sum(v * v for row in W0 for v in row) + sum(v * v for row in W1 for v in row)
    return (total + alpha / 2 * sq) / sum(s)


def test_objective_formula_on_tiny_case():
    W0 = [[0.5, -1.0, 0.2], [0.3, 0.8, -0.4]]
    b0 = [0.1, -0.2, 0.3]
    W1 = [[1.0, -0.5], [0.2, 0.4], [-0.7, 0.6]]
    b1 = [0.05, -0.3]
    X = [[1.0, 2.0], [-1.0, 0.5], [0.0, -2.0]]
    Y = [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]
    s = [2.0, 0.5, 1.0]
    alpha = 0.3
    layout = Layout([2, 3, 2])
    theta = np.concatenate([np.ravel(W0), b0, np.ravel(W1), b1])
    net = Network(layout, "tanh", "log_loss", alpha=alpha)
    J, _ = net.loss_and_grad(theta, np.array(X), np.array(Y), sample_weight=np.array(s))
    assert J == pytest.approx(_tanh_softmax_reference(W0, b0, W1, b1, X, Y, s, alpha), rel=1e-12)
    # no weights: S = n; alpha = 0: no penalty; biases are never penalised
    net0 = Network(layout, "tanh", "log_loss", alpha=0.0)
    J0, _ = net0.loss_and_grad(theta, np.array(X), np.array(Y))
    assert J0 == pytest.approx(_tanh_softmax_reference(W0, b0, W1, b1, X, Y, [1, 1, 1], 0.0))
    # the penalty part alone is alpha/2 * sum of squared weights / S, biases excluded
    data_only = _tanh_softmax_reference(W0, b0, W1, b1, X, Y, s, 0.0)
    sq_w = sum(v * v for row in W0 + W1 for v in row)
    assert J - data_only == pytest.approx(alpha / 2 * sq_w / sum(s), rel=1e-10)


def test_squared_error_objective_formula_multi_output():
    # J = (sum_i s_i * 1/2 sum_j (p_ij - y_ij)^2 + alpha/2 ||W||^2) / S, no hidden layer
    layout = Layout([2, 2])
    W = [[1.0, 2.0], [-1.0, 0.5]]
    b = [0.5, -0.5]
    theta = np.concatenate([np.ravel(W), b])
    X = np.array([[1.0, 1.0], [2.0, 0.0]])
    Y = np.array([[0.0, 1.0], [1.0, 1.0]])
    s = np.array([1.0, 3.0])
    alpha = 2.0
    net = Network(layout, "relu", "squared_error", alpha=alpha)
    J, grad = net.loss_and_grad(theta, X, Y, sample_weight=s)
    # p_0 = [1 - 1 + .5, 2 + .5 - .5] = [.5, 2]; p_1 = [2 + .5, 4 - .5] = [2.5, 3.5]
    loss_0 = 0.5 * ((0.5 - 0.0) ** 2 + (2.0 - 1.0) ** 2)
    loss_1 = 0.5 * ((2.5 - 1.0) ** 2 + (3.5 - 1.0) ** 2)
    sq_w = sum(v * v for row in W for v in row)
    expected = (1.0 * loss_0 + 3.0 * loss_1 + alpha / 2 * sq_w) / 4.0
    assert J == pytest.approx(expected, rel=1e-12)
    # bias gradient: sum_i s_i (p_i - y_i) / S
    expected_gb = [(1 * (0.5 - 0) + 3 * (2.5 - 1)) / 4, (1 * (2 - 1) + 3 * (3.5 - 1)) / 4]
    np.testing.assert_allclose(grad[layout.bias_slices[0]], expected_gb, rtol=1e-12)
    # weight gradient: (X^T diag(s) (P - Y) + alpha W) / S
    # s (P - Y) = [[.5, 1], [4.5, 7.5]]; X^T of that = [[9.5, 16], [.5, 1]]
    expected_gW = [[(9.5 + 2.0) / 4, (16.0 + 4.0) / 4], [(0.5 - 2.0) / 4, (1.0 + 1.0) / 4]]
    np.testing.assert_allclose(
        grad[layout.weight_slices[0]].reshape(2, 2), expected_gW, rtol=1e-12
    )


def test_zero_total_weight_gives_zero_loss_and_gradient():
    net, theta, X, Y = make_problem("tanh", "log_loss", alpha=0.5)
    J, grad = net.loss_and_grad(theta, X, Y, sample_weight=np.zeros(N_SAMPLES))
    assert J == 0.0
    np.testing.assert_array_equal(grad, 0.0)


def test_workspace_reuse_across_batch_sizes():
    net, theta, X, Y = make_problem("relu", "log_loss", alpha=0.1, n=8)
    J8, g8 = net.loss_and_grad(theta, X, Y)
    g8 = g8.copy()
    J3, g3 = net.loss_and_grad(theta, X[:3], Y[:3])
    g3 = g3.copy()
    net.loss_and_grad(theta, X[:5], Y[:5])
    J8b, g8b = net.loss_and_grad(theta, X, Y)
    J3b, g3b = net.loss_and_grad(theta, X[:3], Y[:3])
    assert J8 == J8b and J3 == J3b
    np.testing.assert_array_equal(g8, g8b)
    np.testing.assert_array_equal(g3, g3b)
    # and a fresh network agrees (no state leaks from the cached buffers)
    fresh = Network(net.layout, "relu", "log_loss", alpha=0.1)
    assert fresh.loss_and_grad(theta, X[:3], Y[:3])[0] == J3


def test_grad_buffer_is_filled_in_place():
    net, theta, X, Y = make_problem("tanh", "squared_error")
    buf = np.empty_like(theta)
    _, grad = net.loss_and_grad(theta, X, Y, grad=buf)
    assert grad is buf
    np.testing.assert_allclose(buf, net.loss_and_grad(theta, X, Y)[1], rtol=1e-14)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_forward_output_matches_predict(activation, loss):
    net, theta, X, Y = make_problem(activation, loss)
    coefs, intercepts = net.layout.views(theta)
    P = predict(coefs, intercepts, X, activation, LOSSES[loss].output_name)
    ws = net.forward(theta, X)
    np.testing.assert_allclose(ws["A"][-1], P, rtol=1e-13)
    # data_loss is the mean data term: no L2, unweighted mean over samples
    expected = LOSSES[loss].per_sample(Y, P).mean()
    assert net.data_loss(theta, X, Y) == pytest.approx(expected, rel=1e-12)


def test_draw_masks_rates_and_scale():
    layout = Layout([3, 200, 300, 2])
    net = Network(layout, "relu", "log_loss", dropout=[0.25, 0.0])
    masks = net.draw_masks(np.random.default_rng(0), 100, np.float64)
    assert masks[1] is None  # p = 0: no mask
    mask = masks[0]
    assert mask.shape == (100, 200) and mask.dtype == np.float64
    assert set(np.unique(mask)) == {0.0, 1 / 0.75}
    assert abs((mask == 0).mean() - 0.25) < 0.01
    # same seed, same masks; float32 requested, float32 returned
    again = net.draw_masks(np.random.default_rng(0), 100, np.float64)
    np.testing.assert_array_equal(mask, again[0])
    assert net.draw_masks(np.random.default_rng(0), 10, np.float32)[0].dtype == np.float32
    no_dropout = Network(layout, "relu", "log_loss")
    assert no_dropout.draw_masks(np.random.default_rng(0), 5, np.float64) is None


def test_float32_matches_float64():
    net, theta, X, Y = make_problem("tanh", "log_loss", alpha=0.2)
    w = np.array([1.0, 2.0, 0.0, 1.0, 0.5, 1.5])
    J64, g64 = net.loss_and_grad(theta, X, Y, sample_weight=w)
    g64 = g64.copy()
    f32 = [a.astype(np.float32) for a in (theta, X, Y, w)]
    J32, g32 = net.loss_and_grad(f32[0], f32[1], f32[2], sample_weight=f32[3])
    assert g32.dtype == np.float32
    assert J32 == pytest.approx(J64, rel=1e-5)
    np.testing.assert_allclose(g32, g64, rtol=1e-3, atol=1e-5)
