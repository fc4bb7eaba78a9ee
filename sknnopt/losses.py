"""Losses paired with their canonical output activation.

For every pair here the derivative of the per-sample loss with respect to the
output pre-activation is ``P - Y`` (softmax + cross-entropy, logistic + binary
cross-entropy, identity + squared error, exp + Poisson deviance), so the
output-layer delta is shared and only the value differs.
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import expit, xlogy


def _softmax(Z):
    Z -= Z.max(axis=1, keepdims=True)
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=1, keepdims=True)
    return Z


def _logistic(Z):
    return expit(Z, out=Z)


def _identity(Z):
    return Z


def _exp(Z):
    return np.exp(Z, out=Z)


def _clipped(P):
    eps = np.finfo(P.dtype).eps
    return np.clip(P, eps, 1 - eps)


def _log_loss(Y, P):
    return -xlogy(Y, _clipped(P)).sum(axis=1)


def _binary_log_loss(Y, P):
    P = _clipped(P)
    return -(xlogy(Y, P) + xlogy(1 - Y, 1 - P)).sum(axis=1)


def _squared_error(Y, P):
    return 0.5 * ((P - Y) ** 2).sum(axis=1)


def _poisson(Y, P):
    # half Poisson deviance; y log(y / p) is 0 at y = 0
    return (xlogy(Y, Y / P) - Y + P).sum(axis=1)


@dataclass(frozen=True)
class Loss:
    """A loss and its output activation.

    Parameters
    ----------
    output : callable
        ``output(Z)`` overwrites the output pre-activation with predictions.
    per_sample : callable
        ``per_sample(Y, P)`` returns the loss of each row, shape (n_samples,),
        summed over outputs.
    output_name : str
        Name of the output activation as scikit-learn spells it
        (``out_activation_``).
    """

    output: Callable
    per_sample: Callable
    output_name: str

    def value(self, Y, P, sample_weight=None):
        """Return the (weighted) sum of the per-sample losses."""
        losses = self.per_sample(Y, P)
        if sample_weight is None:
            return float(losses.sum())
        return float(np.dot(sample_weight, losses))


LOSSES = {
    "log_loss": Loss(_softmax, _log_loss, "softmax"),
    "binary_log_loss": Loss(_logistic, _binary_log_loss, "logistic"),
    "squared_error": Loss(_identity, _squared_error, "identity"),
    "poisson": Loss(_exp, _poisson, "exp"),
}

OUTPUT_ACTIVATIONS = {loss.output_name: loss.output for loss in LOSSES.values()}
