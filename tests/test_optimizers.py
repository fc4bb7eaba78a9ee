"""Optimiser steps on a 3-element vector against the textbook formulas.

The expected values are worked out element by element with plain Python
floats, from the update rules written out in each test.
"""

import math
import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sknnopt import MLPClassifier
from sknnopt._layout import Layout
from sknnopt.optimizers import OPTIMIZERS, SGD, AdaGrad, Adam, AdamW, RMSProp

THETA0 = [1.0, -2.0, 0.5]
G1 = [0.1, -0.3, 2.0]
G2 = [-0.2, 0.4, 1.0]
LR = 0.1

# what the estimator hands to the OPTIMIZERS factories (sklearn's defaults)
PARAMS = {
    "momentum": 0.9,
    "nesterovs_momentum": True,
    "rho": 0.9,
    "epsilon": 1e-8,
    "beta_1": 0.9,
    "beta_2": 0.999,
    "weight_decay": 0.01,
}


def run(optimizer, grads, lr=LR, theta0=THETA0, weight_mask=None):
    """Apply one update per gradient to a copy of theta0; return theta."""
    theta = np.array(theta0, dtype=float)
    state = optimizer.init(theta, weight_mask)
    for g in grads:
        optimizer.update(np.array(g, dtype=float), state, theta, lr)
    return theta


def test_sgd_plain():
    # momentum = 0: theta <- theta - lr * g
    theta = run(SGD(momentum=0.0, nesterov=False), [G1, G2])
    expected = [t - LR * a - LR * b for t, a, b in zip(THETA0, G1, G2)]
    np.testing.assert_allclose(theta, expected, rtol=1e-14)


def test_sgd_plain_ignores_nesterov_flag():
    theta = run(SGD(momentum=0.0, nesterov=True), [G1])
    np.testing.assert_allclose(theta, [t - LR * g for t, g in zip(THETA0, G1)], rtol=1e-14)


def test_sgd_momentum():
    # v <- mu v - lr g ; theta <- theta + v
    mu = 0.9
    theta = run(SGD(momentum=mu, nesterov=False), [G1, G2])
    expected = []
    for t, a, b in zip(THETA0, G1, G2):
        v = mu * 0.0 - LR * a
        t = t + v
        v = mu * v - LR * b
        t = t + v
        expected.append(t)
    # a hand-computed element, to pin the formula: 1 - .01 + (-.009 + .02)
    assert expected[0] == pytest.approx(1.0 - 0.01 + (0.9 * -0.01 + 0.02))
    np.testing.assert_allclose(theta, expected, rtol=1e-14)


def test_sgd_nesterov():
    # v <- mu v - lr g ; theta <- theta + mu v - lr g (sklearn's form)
    mu = 0.8
    theta = run(SGD(momentum=mu, nesterov=True), [G1, G2])
    expected = []
    for t, a, b in zip(THETA0, G1, G2):
        v = mu * 0.0 - LR * a
        t = t + mu * v - LR * a
        v = mu * v - LR * b
        t = t + mu * v - LR * b
        expected.append(t)
    np.testing.assert_allclose(theta, expected, rtol=1e-14)
    # and it differs from classical momentum
    assert not np.allclose(theta, run(SGD(momentum=mu, nesterov=False), [G1, G2]))


def test_rmsprop():
    # s <- rho s + (1 - rho) g^2 ; theta <- theta - lr g / (sqrt(s) + eps)
    rho, eps = 0.9, 1e-8
    theta = run(RMSProp(rho=rho, epsilon=eps), [G1, G2])
    expected = []
    for t, a, b in zip(THETA0, G1, G2):
        s = (1 - rho) * a * a
        t = t - LR * a / (math.sqrt(s) + eps)
        s = rho * s + (1 - rho) * b * b
        t = t - LR * b / (math.sqrt(s) + eps)
        expected.append(t)
    np.testing.assert_allclose(theta, expected, rtol=1e-12)


def test_rmsprop_epsilon_is_outside_the_square_root():
    # with g = 0 and s = 0 the step is 0 / (0 + eps) = 0; with a big eps the
    # first step is lr g / (sqrt(.1 g^2) + eps), not lr g / sqrt(.1 g^2 + eps)
    eps = 0.5
    theta = run(RMSProp(rho=0.9, epsilon=eps), [G1])
    expected = [t - LR * g / (math.sqrt(0.1 * g * g) + eps) for t, g in zip(THETA0, G1)]
    np.testing.assert_allclose(theta, expected, rtol=1e-12)


def test_adagrad():
    # G <- G + g^2 ; theta <- theta - lr g / (sqrt(G) + eps)
    eps = 1e-3
    theta = run(AdaGrad(epsilon=eps), [G1, G2])
    expected = []
    for t, a, b in zip(THETA0, G1, G2):
        acc = a * a
        t = t - LR * a / (math.sqrt(acc) + eps)
        acc = acc + b * b
        t = t - LR * b / (math.sqrt(acc) + eps)
        expected.append(t)
    np.testing.assert_allclose(theta, expected, rtol=1e-12)


def _adam_by_hand(theta0, grads, lr, b1, b2, eps):
    """Kingma & Ba, Algorithm 1, element by element."""
    out = []
    for i, t in enumerate(theta0):
        m = v = 0.0
        for step, g in enumerate(grads, start=1):
            g = g[i]
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            m_hat = m / (1 - b1**step)
            v_hat = v / (1 - b2**step)
            t = t - lr * m_hat / (math.sqrt(v_hat) + eps)
        out.append(t)
    return out


def test_adam_two_steps_with_bias_correction():
    b1, b2, eps = 0.9, 0.999, 1e-8
    theta = run(Adam(beta_1=b1, beta_2=b2, epsilon=eps), [G1, G2])
    np.testing.assert_allclose(theta, _adam_by_hand(THETA0, [G1, G2], LR, b1, b2, eps), rtol=1e-12)


def test_adam_first_step_is_lr_times_sign():
    # with bias correction m_hat = g and v_hat = g^2 after one step, so the
    # step is lr * g / (|g| + eps): about lr in every coordinate
    theta = run(Adam(epsilon=1e-12), [G1])
    np.testing.assert_allclose(theta, [1.0 - 0.1, -2.0 + 0.1, 0.5 - 0.1], rtol=1e-9)


def test_adam_epsilon_is_outside_the_square_root():
    eps = 0.3
    theta = run(Adam(beta_1=0.5, beta_2=0.8, epsilon=eps), [G1, G2])
    np.testing.assert_allclose(
        theta, _adam_by_hand(THETA0, [G1, G2], LR, 0.5, 0.8, eps), rtol=1e-12
    )


def test_adamw_decays_only_weights_after_the_adam_step():
    # SPEC: after the Adam step, W <- W - lr * weight_decay * W on weights only
    b1, b2, eps, wd = 0.9, 0.999, 1e-8, 0.5
    mask = np.array([True, False, True])  # the middle entry is a bias
    adamw = AdamW(beta_1=b1, beta_2=b2, epsilon=eps, weight_decay=wd)
    theta = run(adamw, [G1, G2], weight_mask=mask)
    expected = []
    for i, t in enumerate(THETA0):
        m = v = 0.0
        for step, g in enumerate([G1[i], G2[i]], start=1):
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            t = t - LR * (m / (1 - b1**step)) / (math.sqrt(v / (1 - b2**step)) + eps)
            if mask[i]:
                t = t - LR * wd * t
        expected.append(t)
    np.testing.assert_allclose(theta, expected, rtol=1e-12)
    # the bias entry moved exactly as with Adam
    adam = run(Adam(beta_1=b1, beta_2=b2, epsilon=eps), [G1, G2])
    assert theta[1] == pytest.approx(adam[1], rel=1e-14)
    assert abs(theta[0]) < abs(adam[0]) and abs(theta[2]) < abs(adam[2])


def test_adamw_without_mask_decays_everything_and_zero_decay_is_adam():
    wd = 0.2
    theta = run(AdamW(weight_decay=wd), [G1])
    adam = run(Adam(), [G1])
    np.testing.assert_allclose(theta, [a - LR * wd * a for a in adam], rtol=1e-12)
    np.testing.assert_allclose(run(AdamW(weight_decay=0.0), [G1, G2]), run(Adam(), [G1, G2]))


def test_adamw_mask_from_layout_spares_biases():
    layout = Layout([2, 2, 1])
    theta0 = np.linspace(-1, 1, layout.size)
    grads = [np.zeros(layout.size)]
    mask = layout.weight_mask()
    theta = run(AdamW(weight_decay=0.1), grads, lr=0.5, theta0=theta0, weight_mask=mask)
    # zero gradient: Adam does not move; the decay scales weights by 1 - lr * wd
    np.testing.assert_allclose(theta[mask], theta0[mask] * (1 - 0.5 * 0.1), rtol=1e-14)
    np.testing.assert_array_equal(theta[~mask], theta0[~mask])


@pytest.mark.parametrize("solver", sorted(OPTIMIZERS))
def test_factory_reads_estimator_parameters(solver):
    optimizer = OPTIMIZERS[solver](PARAMS)
    expected = {
        "sgd": SGD(momentum=0.9, nesterov=True),
        "rmsprop": RMSProp(rho=0.9, epsilon=1e-8),
        "adagrad": AdaGrad(epsilon=1e-8),
        "adam": Adam(beta_1=0.9, beta_2=0.999, epsilon=1e-8),
        "adamw": AdamW(beta_1=0.9, beta_2=0.999, epsilon=1e-8, weight_decay=0.01),
    }
    if solver not in expected:
        pytest.fail(f"add the expected optimiser of solver={solver!r} here")
    assert optimizer == expected[solver]
    assert type(optimizer) is type(expected[solver])


@pytest.mark.parametrize("solver", sorted(OPTIMIZERS))
def test_step_descends_updates_in_place_and_pickles(solver):
    optimizer = OPTIMIZERS[solver](PARAMS)
    assert pickle.loads(pickle.dumps(optimizer)) == optimizer
    full = np.array([5.0, 5.0, *THETA0])
    theta = full[2:]  # a trainable suffix, as with frozen layers
    state = optimizer.init(theta, np.ones(3, dtype=bool))
    state = pickle.loads(pickle.dumps(state))
    g = np.array(G1)
    g_before = g.copy()
    for _ in range(3):
        optimizer.update(g, state, theta, 1e-3)
    np.testing.assert_array_equal(g, g_before)  # the gradient is not modified
    np.testing.assert_array_equal(full[:2], 5.0)  # the frozen prefix is not
    # every coordinate moved against its gradient, in the parent buffer too
    assert np.all(np.sign(full[2:] - np.array(THETA0)) == -np.sign(g))


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("solver", sorted(OPTIMIZERS))
def test_each_solver_reduces_training_loss(solver, iris):
    X, y = iris
    clf = MLPClassifier(
        solver=solver,
        hidden_layer_sizes=(10,),
        learning_rate_init=0.01,
        batch_size=32,
        max_iter=8,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    assert len(clf.loss_curve_) == 8
    assert clf.loss_curve_[-1] < 0.9 * clf.loss_curve_[0]


@pytest.mark.parametrize("solver", sorted(OPTIMIZERS))
def test_overwrite_grad_gives_the_same_step(solver):
    # the training loop lets the optimiser use the gradient as scratch space
    optimizer = OPTIMIZERS[solver](PARAMS)
    rng = np.random.default_rng(0)
    theta0 = rng.normal(size=300_000)  # large enough to be updated in blocks
    mask = rng.random(theta0.size) < 0.9
    grads = [rng.normal(size=theta0.size) for _ in range(3)]
    thetas = []
    for overwrite in (False, True):
        theta = theta0.copy()
        state = optimizer.init(theta, mask)
        for g in grads:
            optimizer.update(g.copy(), state, theta, 1e-2, overwrite_grad=overwrite)
        thetas.append(theta)
    np.testing.assert_allclose(thetas[1], thetas[0], rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("solver", sorted(OPTIMIZERS))
def test_a_state_copied_without_its_scratch_space_still_works(solver):
    from sknnopt._trainer import _copy_state

    optimizer = OPTIMIZERS[solver](PARAMS)
    theta = np.array(THETA0)
    state = optimizer.init(theta, np.ones(3, dtype=bool))
    optimizer.update(np.array(G1), state, theta, LR)
    copied = _copy_state(state)
    assert "tmp" not in copied
    other = theta.copy()
    optimizer.update(np.array(G2), state, theta, LR)
    optimizer.update(np.array(G2), copied, other, LR)
    np.testing.assert_array_equal(other, theta)


def _textbook(solver, theta, grads, lr):
    """The update rules written plainly (no scaled moments, no blocks)."""
    theta = theta.copy()
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    for t, g in enumerate(grads, start=1):
        if solver == "sgd":  # Nesterov, momentum 0.9
            m = 0.9 * m - lr * g
            theta += 0.9 * m - lr * g
        elif solver == "rmsprop":
            v = 0.9 * v + 0.1 * g**2
            theta -= lr * g / (np.sqrt(v) + 1e-8)
        elif solver == "adagrad":
            v = v + g**2
            theta -= lr * g / (np.sqrt(v) + 1e-8)
        else:
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g**2
            m_hat, v_hat = m / (1 - 0.9**t), v / (1 - 0.999**t)
            theta -= lr * m_hat / (np.sqrt(v_hat) + 1e-8)
            if solver == "adamw":
                theta -= lr * 0.01 * theta
    return theta


@pytest.mark.parametrize("solver", sorted(OPTIMIZERS))
def test_long_runs_follow_the_textbook_rules(solver):
    # hundreds of steps: the scaled moments are folded back several times
    rng = np.random.default_rng(0)
    theta0 = rng.normal(size=50)
    grads = [rng.normal(scale=10.0 ** rng.uniform(-3, 1), size=50) for _ in range(400)]
    optimizer = OPTIMIZERS[solver](PARAMS)
    theta = theta0.copy()
    state = optimizer.init(theta, np.ones(50, dtype=bool))
    for g in grads:
        optimizer.update(g.copy(), state, theta, 1e-3, overwrite_grad=True)
    np.testing.assert_allclose(theta, _textbook(solver, theta0, grads, 1e-3), rtol=1e-9)
