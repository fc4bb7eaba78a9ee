"""Learning-rate schedules: functions of the epoch (counted from 0).

Every schedule has the signature ``schedule(epoch, samples_seen, p)`` where
``p`` is a mapping of the estimator's parameters (``learning_rate_init``,
``power_t``, ``decay_rate``, ``decay_steps``, ``max_iter``) and returns the
rate for that epoch. ``'adaptive'`` is constant here; its cuts on a plateau are
made by the plateau controller in ``callbacks.py``.
"""

import math


def constant(epoch, samples_seen, p):
    """lr = learning_rate_init."""
    return p["learning_rate_init"]


def invscaling(epoch, samples_seen, p):
    """lr = learning_rate_init / (t + 1)^power_t, t = samples seen (scikit-learn)."""
    return p["learning_rate_init"] / (samples_seen + 1) ** p["power_t"]


def exponential(epoch, samples_seen, p):
    """lr = learning_rate_init * decay_rate^(epoch / decay_steps)."""
    return p["learning_rate_init"] * p["decay_rate"] ** (epoch / p["decay_steps"])


def step(epoch, samples_seen, p):
    """lr = learning_rate_init * decay_rate^floor(epoch / decay_steps)."""
    return p["learning_rate_init"] * p["decay_rate"] ** (epoch // p["decay_steps"])


def cosine(epoch, samples_seen, p):
    """lr = learning_rate_init * (1 + cos(pi * epoch / max_iter)) / 2."""
    frac = min(epoch / p["max_iter"], 1.0)
    return p["learning_rate_init"] * 0.5 * (1.0 + math.cos(math.pi * frac))


SCHEDULES = {
    "constant": constant,
    "invscaling": invscaling,
    "adaptive": constant,
    "exponential": exponential,
    "step": step,
    "cosine": cosine,
}
