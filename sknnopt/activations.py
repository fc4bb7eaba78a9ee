"""Hidden-layer activations: an in-place forward and an in-place derivative.

Each derivative is written in terms of the activation's *output* ``A`` (not
the pre-activation), so the forward pass can overwrite ``Z`` in place and the
backward pass needs no extra buffer.
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import expit

LEAKY_RELU_SLOPE = 0.01


@dataclass(frozen=True)
class Activation:
    """A hidden activation.

    Parameters
    ----------
    forward : callable
        ``forward(Z)`` overwrites ``Z`` (n_samples, n_units) with ``f(Z)``.
    derivative : callable
        ``derivative(A, delta)`` multiplies ``delta`` in place by ``f'(Z)``,
        computed from ``A = f(Z)``.
    """

    forward: Callable
    derivative: Callable


def _identity(Z):
    return Z


def _identity_derivative(A, delta):
    return delta


def _logistic(Z):
    return expit(Z, out=Z)


def _logistic_derivative(A, delta):
    delta *= A
    delta *= 1 - A
    return delta


def _tanh(Z):
    return np.tanh(Z, out=Z)


def _tanh_derivative(A, delta):
    delta *= 1 - A**2
    return delta


def _relu(Z):
    return np.maximum(Z, 0, out=Z)


def _relu_derivative(A, delta):
    delta[A <= 0] = 0
    return delta


def _leaky_relu(Z):
    # max(Z, s*Z) equals Z for Z > 0 and s*Z otherwise because 0 < s < 1
    return np.maximum(Z, LEAKY_RELU_SLOPE * Z, out=Z)


def _leaky_relu_derivative(A, delta):
    delta[A <= 0] *= LEAKY_RELU_SLOPE
    return delta


_LOGISTIC = Activation(_logistic, _logistic_derivative)

ACTIVATIONS = {
    "identity": Activation(_identity, _identity_derivative),
    "logistic": _LOGISTIC,
    "sigmoid": _LOGISTIC,
    "tanh": Activation(_tanh, _tanh_derivative),
    "relu": Activation(_relu, _relu_derivative),
    "leaky_relu": Activation(_leaky_relu, _leaky_relu_derivative),
}
