"""Tests of the losses: per-sample values, weighting, and the shared delta P - Y."""

import math

import numpy as np
import pytest

from sknnopt.losses import LOSSES, OUTPUT_ACTIVATIONS

N, K = 6, 3


def make_targets(name, rng, n=N, k=K):
    """Return targets Y (n, k) valid for the loss."""
    if name == "log_loss":
        return np.eye(k)[rng.integers(0, k, size=n)]
    if name == "binary_log_loss":
        Y = rng.integers(0, 2, size=(n, k)).astype(float)
        Y[0] = [0.0, 1.0, 1.0][:k]
        return Y
    if name == "squared_error":
        return rng.normal(size=(n, k))
    if name == "poisson":
        Y = rng.poisson(2.0, size=(n, k)).astype(float)
        Y[0, 0] = 0.0  # y = 0 must give the limit y log y = 0
        return Y
    raise KeyError(f"no targets for loss {name!r}: add them")


def reference_predictions(name, Z):
    """The output activation of each loss, written out row by row."""
    P = np.empty_like(Z)
    for i, row in enumerate(Z):
        if name == "log_loss":
            e = [math.exp(z) for z in row]
            P[i] = [v / sum(e) for v in e]
        elif name == "binary_log_loss":
            P[i] = [1 / (1 + math.exp(-z)) for z in row]
        elif name == "squared_error":
            P[i] = row
        elif name == "poisson":
            P[i] = [math.exp(z) for z in row]
        else:
            raise KeyError(name)
    return P


def reference_loss(name, y, p):
    """The loss of one sample (lists of floats), summed over outputs."""
    if name == "log_loss":
        return -sum(yj * math.log(pj) for yj, pj in zip(y, p))
    if name == "binary_log_loss":
        return -sum(
            yj * math.log(pj) + (1 - yj) * math.log(1 - pj) for yj, pj in zip(y, p)
        )
    if name == "squared_error":
        return 0.5 * sum((pj - yj) ** 2 for yj, pj in zip(y, p))
    if name == "poisson":
        # half Poisson deviance y log(y/p) - y + p, with 0 log 0 = 0
        return sum(
            (yj * math.log(yj / pj) if yj > 0 else 0.0) - yj + pj for yj, pj in zip(y, p)
        )
    raise KeyError(name)


def _data(name, seed=0):
    rng = np.random.default_rng(seed)
    Z = rng.normal(scale=1.5, size=(N, K))
    return Z, make_targets(name, rng)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_output_activation(name):
    Z, _ = _data(name)
    loss = LOSSES[name]
    P = loss.output(Z.copy())
    np.testing.assert_allclose(P, reference_predictions(name, Z), rtol=1e-12)
    assert OUTPUT_ACTIVATIONS[loss.output_name] is loss.output


def test_output_names_are_sklearns():
    assert LOSSES["log_loss"].output_name == "softmax"
    assert LOSSES["binary_log_loss"].output_name == "logistic"
    assert LOSSES["squared_error"].output_name == "identity"
    assert LOSSES["poisson"].output_name == "exp"


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_per_sample_values_match_formula(name):
    Z, Y = _data(name)
    loss = LOSSES[name]
    P = reference_predictions(name, Z)
    expected = [reference_loss(name, list(Y[i]), list(P[i])) for i in range(N)]
    values = loss.per_sample(Y, P)
    assert values.shape == (N,)
    np.testing.assert_allclose(values, expected, rtol=1e-10)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_value_is_sum_and_weighted_sum(name):
    Z, Y = _data(name)
    loss = LOSSES[name]
    P = reference_predictions(name, Z)
    per = [reference_loss(name, list(Y[i]), list(P[i])) for i in range(N)]
    assert loss.value(Y, P) == pytest.approx(sum(per), rel=1e-10)
    w = np.array([0.5, 2.0, 0.0, 1.0, 3.0, 1.5])
    expected = sum(wi * li for wi, li in zip(w, per))
    assert loss.value(Y, P, w) == pytest.approx(expected, rel=1e-10)
    # a zero weight really removes the sample
    w2 = w.copy()
    w2[2] = 1.0
    assert loss.value(Y, P, w2) == pytest.approx(expected + per[2], rel=1e-10)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_gradient_wrt_pre_activation_is_p_minus_y(name):
    Z, Y = _data(name, seed=3)
    loss = LOSSES[name]
    P = loss.output(Z.copy())
    h = 1e-6
    numeric = np.empty_like(Z)
    for i in range(N):
        for j in range(K):
            Zp, Zm = Z.copy(), Z.copy()
            Zp[i, j] += h
            Zm[i, j] -= h
            fp = loss.value(Y, loss.output(Zp))
            fm = loss.value(Y, loss.output(Zm))
            numeric[i, j] = (fp - fm) / (2 * h)
    np.testing.assert_allclose(numeric, P - Y, rtol=1e-6, atol=1e-8)


def test_log_loss_of_perfect_prediction_is_finite_and_small():
    Y = np.eye(3)
    P = np.eye(3)  # log(0) would be -inf without clipping
    values = LOSSES["log_loss"].per_sample(Y, P)
    assert np.all(np.isfinite(values)) and np.all(values < 1e-10)
    values = LOSSES["binary_log_loss"].per_sample(Y, P)
    assert np.all(np.isfinite(values)) and np.all(values < 1e-10)


def test_softmax_is_stable_for_large_inputs():
    Z = np.array([[1000.0, 1001.0, 999.0]])
    P = LOSSES["log_loss"].output(Z.copy())
    e = np.exp([-1.0, 0.0, -2.0])
    np.testing.assert_allclose(P, [e / e.sum()], rtol=1e-12)


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_value_in_scratch_buffers_matches_the_per_sample_sum(name, dtype):
    Z, Y = _data(name, seed=5)
    loss = LOSSES[name]
    P = loss.output(Z.copy()).astype(dtype)
    Y = Y.astype(dtype)
    w = np.linspace(0.0, 2.0, N).astype(dtype)
    work = [np.empty_like(P) for _ in range(loss.n_work)]
    P_before, Y_before = P.copy(), Y.copy()
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    for weights in (None, w):
        assert loss.value(Y, P, weights, work) == pytest.approx(
            loss.value(Y, P, weights), rel=rtol
        )
    np.testing.assert_array_equal(P, P_before)
    np.testing.assert_array_equal(Y, Y_before)


def test_softmax_without_the_shift_matches_the_shifted_formula():
    rng = np.random.default_rng(0)
    for scale in (1.0, 30.0, 200.0):  # 200: the rows must be shifted
        Z = rng.normal(scale=scale, size=(7, 4))
        P = LOSSES["log_loss"].output(Z.copy())
        shifted = np.exp(Z - Z.max(axis=1, keepdims=True))
        np.testing.assert_allclose(P, shifted / shifted.sum(axis=1, keepdims=True), rtol=1e-12)
    Z32 = rng.normal(scale=40.0, size=(7, 4)).astype(np.float32)  # exp(z) overflows float32
    P32 = LOSSES["log_loss"].output(Z32.copy())
    assert P32.dtype == np.float32 and np.all(np.isfinite(P32))
    np.testing.assert_allclose(P32.sum(axis=1), 1.0, rtol=1e-6)
