"""Tests of the hidden activations: values and derivatives from the output."""

import math

import numpy as np
import pytest

from sknnopt.activations import ACTIVATIONS, LEAKY_RELU_SLOPE


def _reference(name, z):
    """The activation's formula on one Python float."""
    if name == "identity":
        return z
    if name in ("logistic", "sigmoid"):
        return 1.0 / (1.0 + math.exp(-z))
    if name == "tanh":
        return (math.exp(z) - math.exp(-z)) / (math.exp(z) + math.exp(-z))
    if name == "relu":
        return z if z > 0 else 0.0
    if name == "leaky_relu":
        return z if z > 0 else 0.01 * z
    raise KeyError(f"no reference formula for activation {name!r}: add one")


def _points():
    """Pre-activations away from the kink at 0, both signs, a few magnitudes."""
    rng = np.random.default_rng(0)
    Z = rng.uniform(0.1, 3.0, size=(6, 5)) * rng.choice([-1.0, 1.0], size=(6, 5))
    Z[0, :3] = [-7.0, 7.0, 0.25]
    return Z


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_forward_matches_formula(name):
    Z = _points()
    expected = np.vectorize(lambda z: _reference(name, z))(Z)
    out = ACTIVATIONS[name].forward(Z.copy())
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_forward_is_in_place(name):
    Z = _points()
    buffer = Z.copy()
    out = ACTIVATIONS[name].forward(buffer)
    assert np.shares_memory(out, buffer)
    np.testing.assert_array_equal(buffer, out)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_derivative_from_output_matches_finite_differences(name):
    act = ACTIVATIONS[name]
    Z = _points()
    h = 1e-6
    numeric = (act.forward(Z + h) - act.forward(Z - h)) / (2 * h)
    A = act.forward(Z.copy())
    delta = np.random.default_rng(1).normal(size=Z.shape)
    result = act.derivative(A, delta.copy())
    np.testing.assert_allclose(result, delta * numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_derivative_is_in_place_and_leaves_output_alone(name):
    act = ACTIVATIONS[name]
    A = act.forward(_points())
    A_before = A.copy()
    delta = np.ones_like(A)
    out = act.derivative(A, delta)
    assert np.shares_memory(out, delta)
    np.testing.assert_array_equal(A, A_before)


def test_leaky_relu_slope():
    assert LEAKY_RELU_SLOPE == 0.01
    act = ACTIVATIONS["leaky_relu"]
    Z = np.array([[-3.0, -0.5, 0.5, 2.0]])
    np.testing.assert_allclose(act.forward(Z.copy()), [[-0.03, -0.005, 0.5, 2.0]])
    A = act.forward(Z.copy())
    np.testing.assert_allclose(act.derivative(A, np.ones_like(A)), [[0.01, 0.01, 1, 1]])


def test_relu_derivative_is_zero_where_inactive():
    act = ACTIVATIONS["relu"]
    A = act.forward(np.array([[-2.0, 0.0, 3.0]]))
    np.testing.assert_array_equal(act.derivative(A, np.full_like(A, 5.0)), [[0, 0, 5]])


def test_sigmoid_is_alias_of_logistic():
    assert ACTIVATIONS["sigmoid"] == ACTIVATIONS["logistic"]
    Z = _points()
    np.testing.assert_array_equal(
        ACTIVATIONS["sigmoid"].forward(Z.copy()), ACTIVATIONS["logistic"].forward(Z.copy())
    )


def test_sklearn_activations_are_registered():
    assert {"identity", "logistic", "tanh", "relu"} <= set(ACTIVATIONS)
    assert {"leaky_relu", "sigmoid"} <= set(ACTIVATIONS)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_float32_stays_float32(name):
    act = ACTIVATIONS[name]
    Z = _points().astype(np.float32)
    A = act.forward(Z)
    assert A.dtype == np.float32
    assert act.derivative(A, np.ones_like(A)).dtype == np.float32


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("work", ["none", "separate", "the activations"])
def test_derivative_with_scratch_space(name, work):
    # backpropagation hands over the activations themselves as scratch space
    act = ACTIVATIONS[name]
    A = act.forward(_points())
    delta = np.random.default_rng(2).normal(size=A.shape)
    expected = act.derivative(A.copy(), delta.copy())
    A_used = A.copy()
    scratch = {"none": None, "separate": np.empty_like(A), "the activations": A_used}[work]
    out = act.derivative(A_used, delta, scratch)
    assert out is delta
    np.testing.assert_allclose(out, expected, rtol=1e-15, atol=0)
    if work != "the activations":
        np.testing.assert_array_equal(A_used, A)  # A is only overwritten when asked
