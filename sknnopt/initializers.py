"""Weight initialisation schemes.

Each scheme draws a ``(fan_in, fan_out)`` weight matrix from a
``numpy.random.Generator``; biases always start at zero.
"""

import numpy as np


def glorot_uniform(rng, fan_in, fan_out, activation):
    """U[-b, b] with b = sqrt(6 / (fan_in + fan_out)) (Glorot & Bengio, 2010)."""
    bound = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-bound, bound, (fan_in, fan_out))


def glorot_normal(rng, fan_in, fan_out, activation):
    """N(0, 2 / (fan_in + fan_out)) (Xavier normal)."""
    return rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), (fan_in, fan_out))


def he_uniform(rng, fan_in, fan_out, activation):
    """U[-b, b] with b = sqrt(6 / fan_in) (He et al., 2015)."""
    bound = np.sqrt(6.0 / fan_in)
    return rng.uniform(-bound, bound, (fan_in, fan_out))


def he_normal(rng, fan_in, fan_out, activation):
    """N(0, 2 / fan_in) (He et al., 2015)."""
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), (fan_in, fan_out))


def lecun_normal(rng, fan_in, fan_out, activation):
    """N(0, 1 / fan_in), not truncated (LeCun et al., 1998)."""
    return rng.normal(0.0, np.sqrt(1.0 / fan_in), (fan_in, fan_out))


def zeros(rng, fan_in, fan_out, activation):
    """All zeros: every hidden unit stays identical (symmetry is never broken)."""
    return np.zeros((fan_in, fan_out))


def auto(rng, fan_in, fan_out, activation):
    """scikit-learn's rule: Glorot uniform, with factor 2 instead of 6 for logistic."""
    factor = 2.0 if activation in ("logistic", "sigmoid") else 6.0
    bound = np.sqrt(factor / (fan_in + fan_out))
    return rng.uniform(-bound, bound, (fan_in, fan_out))


INITIALIZERS = {
    "auto": auto,
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "lecun_normal": lecun_normal,
    "zeros": zeros,
}


def initialize(layout, theta, rng, scheme, activation):
    """Fill the flat ``theta`` in place: weights by ``scheme``, biases zero."""
    init = INITIALIZERS[scheme]
    coefs, intercepts = layout.views(theta)
    for k, W in enumerate(coefs):
        W[...] = init(rng, *layout.shape(k), activation)
        intercepts[k][...] = 0
    return theta
