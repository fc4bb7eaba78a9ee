"""Hidden-layer activations: an in-place forward and an in-place derivative.

Each derivative is written in terms of the activation's *output* ``A`` (not
the pre-activation), so the forward pass can overwrite ``Z`` in place and the
backward pass needs no extra buffer.
"""

from collections.abc import Callable
from dataclasses import dataclass

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
        ``derivative(A, delta, work=None)`` multiplies ``delta`` in place by
        ``f'(Z)``, computed from ``A = f(Z)``; ``work`` is an optional scratch
        array shaped like ``A``, which may be ``A`` itself (then A is
        overwritten): backpropagation passes the activations it no longer
        needs, so a step allocates nothing.
    """

    forward: Callable
    derivative: Callable


def _identity(Z):
    return Z


def _identity_derivative(A, delta, work=None):
    return delta


def _logistic(Z):
    return expit(Z, out=Z)


def _logistic_derivative(A, delta, work=None):
    if work is None:
        work = np.empty_like(A)
    # f' = A (1 - A); A is read before work (maybe A itself) is written
    delta *= A
    np.subtract(1, A, out=work)
    delta *= work
    return delta


def _tanh(Z):
    return np.tanh(Z, out=Z)


def _tanh_derivative(A, delta, work=None):
    if work is None:
        work = np.empty_like(A)
    # f' = 1 - A^2
    np.square(A, out=work)
    np.subtract(1, work, out=work)
    delta *= work
    return delta


def _relu(Z):
    return np.maximum(Z, 0, out=Z)


def _relu_derivative(A, delta, work=None):
    # a 0/1 factor and one multiply: ~10x faster than boolean-mask assignment
    # (delta[A <= 0] = 0), which gathers indices
    if work is None:
        work = np.empty_like(A)
    np.greater(A, 0, out=work)
    delta *= work
    return delta


def _leaky_relu(Z):
    # max(Z, s*Z) equals Z for Z > 0 and s*Z otherwise because 0 < s < 1
    return np.maximum(Z, LEAKY_RELU_SLOPE * Z, out=Z)


def _leaky_relu_derivative(A, delta, work=None):
    if work is None:
        work = np.empty_like(A)
    # f' = max(sign(A), s): exactly 1 where A > 0 and s elsewhere
    np.sign(A, out=work)
    np.maximum(work, LEAKY_RELU_SLOPE, out=work)
    delta *= work
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
