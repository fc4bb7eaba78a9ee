"""Losses paired with their canonical output activation.

For every pair here the derivative of the per-sample loss with respect to the
output pre-activation is ``P - Y`` (softmax + cross-entropy, logistic + binary
cross-entropy, identity + squared error, exp + Poisson deviance), so the
output-layer delta is shared and only the value differs.
"""

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, xlogy


def _softmax(Z):
    # Shifting by the row maximum only prevents overflow (and rows of zeros);
    # when the whole array is far from both, exp(Z) / sum is as accurate and
    # the row-wise max of a narrow array costs more than the rest together.
    if Z.size:
        limit = _softmax_limit(Z)
        if not (Z.max() < limit and Z.min() > -limit):  # NaN takes the shift too
            Z -= Z.max(axis=1, keepdims=True)
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=1, keepdims=True)
    return Z


@functools.lru_cache(maxsize=64)
def _softmax_limit_of(dtype, n_columns):
    return math.log(float(np.finfo(dtype).max) / n_columns) - 2.0


def _softmax_limit(Z):
    """Largest |z| for which a row sum of exp(z) is finite and not subnormal."""
    return _softmax_limit_of(Z.dtype, Z.shape[1])


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


# The same losses summed over a batch, written into preallocated buffers
# ``work`` (arrays shaped like P) so a training step allocates nothing.
# Each gives the same elementwise values as its per-sample twin above.
@functools.lru_cache(maxsize=8)
def _eps(dtype):
    return float(np.finfo(dtype).eps)


def _weighted_sum(E, sample_weight):
    if sample_weight is None:
        return float(E.sum())
    return float(np.dot(sample_weight, E).sum())


def _log_loss_total(Y, P, sample_weight, work):
    E = work[0]
    eps = _eps(P.dtype)
    np.maximum(P, eps, out=E)
    np.minimum(E, 1 - eps, out=E)
    # Y log(p) equals xlogy(Y, p) here: p >= eps, so log(p) is finite
    np.log(E, out=E)
    if sample_weight is None and Y.flags.c_contiguous:
        return -float(np.vdot(Y, E))
    E *= Y
    return -_weighted_sum(E, sample_weight)


def _binary_log_loss_total(Y, P, sample_weight, work):
    E, F, G = work
    eps = np.finfo(P.dtype).eps
    np.clip(P, eps, 1 - eps, out=E)
    np.subtract(1, E, out=F)
    np.subtract(1, Y, out=G)
    xlogy(G, F, out=F)
    xlogy(Y, E, out=E)
    E += F
    return -_weighted_sum(E, sample_weight)


def _squared_error_total(Y, P, sample_weight, work):
    E = work[0]
    np.subtract(P, Y, out=E)
    E *= E
    return 0.5 * _weighted_sum(E, sample_weight)


def _poisson_total(Y, P, sample_weight, work):
    E = work[0]
    np.divide(Y, P, out=E)
    xlogy(Y, E, out=E)
    E -= Y
    E += P
    return _weighted_sum(E, sample_weight)


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
    total : callable or None
        ``total(Y, P, sample_weight, work)`` returns the (weighted) sum of the
        per-sample losses computed in the scratch arrays ``work``.
    n_work : int
        How many scratch arrays shaped like P ``total`` uses.
    """

    output: Callable
    per_sample: Callable
    output_name: str
    total: Callable = None
    n_work: int = 1

    def value(self, Y, P, sample_weight=None, work=None):
        """Return the (weighted) sum of the per-sample losses.

        ``work`` (``n_work`` scratch arrays shaped like P) avoids every allocation.
        """
        if work is not None and self.total is not None:
            return self.total(Y, P, sample_weight, work)
        losses = self.per_sample(Y, P)
        if sample_weight is None:
            return float(losses.sum())
        return float(np.dot(sample_weight, losses))


LOSSES = {
    "log_loss": Loss(_softmax, _log_loss, "softmax", _log_loss_total),
    "binary_log_loss": Loss(
        _logistic, _binary_log_loss, "logistic", _binary_log_loss_total, n_work=3
    ),
    "squared_error": Loss(_identity, _squared_error, "identity", _squared_error_total),
    "poisson": Loss(_exp, _poisson, "exp", _poisson_total),
}

OUTPUT_ACTIVATIONS = {loss.output_name: loss.output for loss in LOSSES.values()}
