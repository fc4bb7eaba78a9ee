"""Gradient transforms applied to the trainable part of the flat gradient.

Freezing is realised by slicing: the trainer hands only ``grad[offset:]``
(the layers above the frozen prefix) to these transforms and to the
optimiser, so frozen entries neither move nor inflate the clipping norm.
"""

from dataclasses import dataclass

import numpy as np


def clip_by_value(grad, low, high):
    """Clip every component of ``grad`` into [low, high] in place."""
    return np.clip(grad, low, high, out=grad)


def clip_by_global_norm(grad, max_norm, norm=None):
    """Rescale ``grad`` in place so its L2 norm is at most ``max_norm``.

    Returns the norm before clipping. One norm over the whole vector, one
    scale, so the direction of the step is kept.
    """
    if norm is None:
        norm = float(np.sqrt(np.dot(grad, grad)))
    if norm > max_norm:
        grad *= max_norm / norm
    return norm


@dataclass(frozen=True)
class GradientTransform:
    """Clip by value, then by global norm (either may be off).

    Parameters
    ----------
    clip_value : tuple (low, high) or None
    clip_norm : float or None
    """

    clip_value: tuple = None
    clip_norm: float = None

    @property
    def active(self):
        return self.clip_value is not None or self.clip_norm is not None

    def __call__(self, grad, norm=None):
        """Transform ``grad`` in place; ``norm`` is its L2 norm if known."""
        if self.clip_value is not None:
            clip_by_value(grad, *self.clip_value)
            norm = None  # value clipping changed the norm
        if self.clip_norm is not None:
            clip_by_global_norm(grad, self.clip_norm, norm)
        return grad
