"""Where every layer's weights and biases sit in one flat parameter buffer."""

import numpy as np


class Layout:
    """Interleaved layout ``[W0, b0, W1, b1, ...]`` of a dense network.

    Layer ``k`` maps ``layer_units[k]`` inputs to ``layer_units[k + 1]``
    outputs; ``W_k`` is stored row-major with shape ``(fan_in, fan_out)``.
    Interleaving keeps each layer contiguous, so a layer's gradient norm and
    the trainable suffix above a frozen prefix are plain slices.

    Parameters
    ----------
    layer_units : sequence of int
        Units per layer, input first and output last.
    """

    def __init__(self, layer_units):
        self.layer_units = tuple(int(u) for u in layer_units)
        self.n_layers = len(self.layer_units) - 1
        self.weight_slices = []
        self.bias_slices = []
        start = 0
        for fan_in, fan_out in zip(self.layer_units[:-1], self.layer_units[1:]):
            self.weight_slices.append(slice(start, start + fan_in * fan_out))
            start += fan_in * fan_out
            self.bias_slices.append(slice(start, start + fan_out))
            start += fan_out
        self.size = start

    def shape(self, k):
        """Return the shape ``(fan_in, fan_out)`` of layer ``k``'s weights."""
        return self.layer_units[k], self.layer_units[k + 1]

    def layer_slice(self, k):
        """Return the slice of theta holding layer ``k`` (weights then bias)."""
        return slice(self.weight_slices[k].start, self.bias_slices[k].stop)

    def offset(self, k):
        """Return where layer ``k`` starts; ``offset(n_layers)`` is the size."""
        return self.size if k >= self.n_layers else self.weight_slices[k].start

    def views(self, theta):
        """Return lists of per-layer weight and bias views into ``theta``."""
        coefs = [
            theta[s].reshape(self.shape(k)) for k, s in enumerate(self.weight_slices)
        ]
        intercepts = [theta[s] for s in self.bias_slices]
        return coefs, intercepts

    def weight_mask(self, start=0):
        """Return a boolean mask of ``theta[start:]`` that is True on weights."""
        mask = np.zeros(self.size, dtype=bool)
        for s in self.weight_slices:
            mask[s] = True
        return mask[start:]

    def __eq__(self, other):
        return isinstance(other, Layout) and self.layer_units == other.layer_units

    def __hash__(self):
        return hash(self.layer_units)

    def __repr__(self):
        return f"Layout({list(self.layer_units)})"
