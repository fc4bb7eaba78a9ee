"""Index streams for stochastic, mini-batch and full-batch gradient descent."""

import numpy as np
import scipy.sparse as sp


def resolve_batch_size(batch_size, n_samples):
    """Return the number of rows per batch for 'auto', 'full' or an int."""
    if batch_size == "auto":
        return min(200, n_samples)
    if batch_size == "full":
        return n_samples
    return int(min(max(batch_size, 1), n_samples))


class BatchStream:
    """Yield contiguous batches of a freshly shuffled copy of the data.

    Shuffling copies X, Y and the weights once per epoch into preallocated
    buffers (``np.take(..., out=)``), so every batch is a cheap view instead
    of a fancy-indexed copy.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,) or None
    batch_size : int
    shuffle : bool
    rng : numpy.random.Generator
    """

    def __init__(self, X, Y, sample_weight, batch_size, shuffle, rng):
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.n = X.shape[0]
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.rng = rng
        self._bufs = None

    def _shuffled(self):
        perm = self.rng.permutation(self.n)
        if sp.issparse(self.X):
            return self.X[perm], self.Y[perm], (
                None if self.sample_weight is None else self.sample_weight[perm]
            )
        if self._bufs is None:
            self._bufs = (
                np.empty_like(self.X, order="C"),
                np.empty_like(self.Y),
                None if self.sample_weight is None else np.empty_like(self.sample_weight),
            )
        Xs, Ys, ws = self._bufs
        np.take(self.X, perm, axis=0, out=Xs)
        np.take(self.Y, perm, axis=0, out=Ys)
        if ws is not None:
            np.take(self.sample_weight, perm, out=ws)
        return Xs, Ys, ws

    def epoch(self):
        """Yield ``(X_batch, Y_batch, weight_batch)`` covering every row once."""
        if self.shuffle and self.n > 1:
            X, Y, w = self._shuffled()
        else:
            X, Y, w = self.X, self.Y, self.sample_weight
        if sp.issparse(X):
            X = X.tocsr()
        for start in range(0, self.n, self.batch_size):
            stop = min(start + self.batch_size, self.n)
            yield X[start:stop], Y[start:stop], None if w is None else w[start:stop]
