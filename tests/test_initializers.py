"""Tests of the weight initialisation schemes (SPEC section 2)."""

import math
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.preprocessing import StandardScaler

from sknnopt import MLPClassifier
from sknnopt._layout import Layout
from sknnopt.activations import ACTIVATIONS
from sknnopt.initializers import INITIALIZERS, initialize

FAN_IN, FAN_OUT = 400, 300


def expected_distribution(scheme, activation, fan_in=FAN_IN, fan_out=FAN_OUT):
    """(kind, parameter) from SPEC section 2: a uniform bound or a normal std."""
    if scheme == "auto":
        factor = 2.0 if activation in ("logistic", "sigmoid") else 6.0
        return "uniform", math.sqrt(factor / (fan_in + fan_out))
    table = {
        "glorot_uniform": ("uniform", math.sqrt(6 / (fan_in + fan_out))),
        "glorot_normal": ("normal", math.sqrt(2 / (fan_in + fan_out))),
        "he_uniform": ("uniform", math.sqrt(6 / fan_in)),
        "he_normal": ("normal", math.sqrt(2 / fan_in)),
        "lecun_normal": ("normal", math.sqrt(1 / fan_in)),
        "zeros": ("zeros", 0.0),
    }
    if scheme not in table:
        pytest.fail(f"add the expected distribution of weight_init={scheme!r} here")
    return table[scheme]


def _check_distribution(W, kind, param):
    if kind == "zeros":
        np.testing.assert_array_equal(W, 0.0)
        return
    assert abs(W.mean()) < 0.02 * param
    if kind == "uniform":
        bound = param
        assert np.abs(W).max() <= bound
        assert np.abs(W).max() > 0.99 * bound  # the whole range is used
        assert W.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    else:
        std = param
        assert W.std() == pytest.approx(std, rel=0.03)
        # not truncated: about 0.05% of 120000 draws fall beyond 3.5 std
        assert np.abs(W).max() > 3.5 * std


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic"])
@pytest.mark.parametrize("scheme", sorted(INITIALIZERS))
def test_distribution_on_a_wide_layer(scheme, activation):
    W = INITIALIZERS[scheme](np.random.default_rng(0), FAN_IN, FAN_OUT, activation)
    assert W.shape == (FAN_IN, FAN_OUT)
    _check_distribution(W, *expected_distribution(scheme, activation))


@pytest.mark.parametrize("scheme", sorted(INITIALIZERS))
def test_same_generator_state_same_weights(scheme):
    a = INITIALIZERS[scheme](np.random.default_rng(7), 20, 10, "relu")
    b = INITIALIZERS[scheme](np.random.default_rng(7), 20, 10, "relu")
    np.testing.assert_array_equal(a, b)
    if scheme != "zeros":
        c = INITIALIZERS[scheme](np.random.default_rng(8), 20, 10, "relu")
        assert not np.array_equal(a, c)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_auto_is_sklearns_rule(activation):
    factor = 2.0 if activation in ("logistic", "sigmoid") else 6.0
    W = INITIALIZERS["auto"](np.random.default_rng(0), FAN_IN, FAN_OUT, activation)
    bound = math.sqrt(factor / (FAN_IN + FAN_OUT))
    assert np.abs(W).max() <= bound
    assert np.abs(W).max() > 0.99 * bound


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
def test_auto_bound_matches_sklearns_own_init(activation):
    # sklearn draws from its own RandomState; compare the range it uses
    sk = SkMLPClassifier(activation=activation)
    sk._random_state = np.random.RandomState(0)
    sk_W, sk_b = sk._init_coef(FAN_IN, FAN_OUT, np.float64)
    ours = INITIALIZERS["auto"](np.random.default_rng(0), FAN_IN, FAN_OUT, activation)
    assert np.abs(ours).max() == pytest.approx(np.abs(sk_W).max(), rel=0.005)
    assert ours.std() == pytest.approx(sk_W.std(), rel=0.02)


@pytest.mark.parametrize("scheme", sorted(INITIALIZERS))
def test_initialize_fills_weights_and_zeroes_biases(scheme):
    layout = Layout([30, 20, 10, 4])
    theta = np.full(layout.size, np.nan)
    out = initialize(layout, theta, np.random.default_rng(0), scheme, "relu")
    assert out is theta
    coefs, intercepts = layout.views(theta)
    for k, (W, b) in enumerate(zip(coefs, intercepts)):
        np.testing.assert_array_equal(b, 0.0)
        assert np.all(np.isfinite(W))
        if scheme != "zeros":
            assert np.count_nonzero(W) == W.size
            # each layer uses its own fan-in / fan-out
            kind, param = expected_distribution(scheme, "relu", *layout.shape(k))
            if kind == "uniform":
                assert np.abs(W).max() <= param


def test_initialize_float32_buffer():
    layout = Layout([5, 4, 2])
    theta = np.full(layout.size, np.nan, dtype=np.float32)
    initialize(layout, theta, np.random.default_rng(0), "glorot_uniform", "relu")
    assert theta.dtype == np.float32 and np.all(np.isfinite(theta))


def _fit_iris(weight_init):
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    clf = MLPClassifier(
        hidden_layer_sizes=(6,),
        activation="logistic",
        weight_init=weight_init,
        solver="sgd",
        learning_rate_init=0.1,
        batch_size=10,  # unbalanced batches, so the output layer moves
        max_iter=5,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y)


def test_zeros_keeps_hidden_units_identical():
    clf = _fit_iris("zeros")
    W0, W1 = clf.coefs_
    # training moved the weights ...
    assert np.abs(W0).max() > 1e-6 and np.abs(W1).max() > 1e-6
    # ... but every hidden unit stays a copy of the first one
    np.testing.assert_allclose(W0, np.repeat(W0[:, :1], W0.shape[1], axis=1), rtol=1e-10)
    np.testing.assert_allclose(W1, np.repeat(W1[:1], W1.shape[0], axis=0), rtol=1e-10)
    np.testing.assert_allclose(clf.intercepts_[0], clf.intercepts_[0][0], rtol=1e-10)


def test_random_init_breaks_symmetry():
    W0 = _fit_iris("glorot_uniform").coefs_[0]
    assert not np.allclose(W0, W0[:, :1])
