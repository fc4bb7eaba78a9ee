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
    """Yield the batches of an epoch, reshuffled every epoch.

    Two ways to shuffle a dense X, with the same permutation and so the same
    batches:

    - ``per_batch=False``: X, Y and the weights are copied once per epoch in
      shuffled order into preallocated buffers (``np.take(..., out=)``), so
      every batch is a contiguous view of one buffer;
    - ``per_batch=True`` (what the training loop uses): each batch's rows are
      gathered into one reused batch-sized buffer (rows of the data itself
      when ``batch_size=1``). Extra memory is one batch instead of a second
      copy of the data, and each row is read when it is used, while in cache.

    Without shuffling, batches are views of the data. Sparse X is shuffled
    once per epoch (a CSR copy) either way. A yielded batch may be overwritten
    by the next one.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,) or None
    batch_size : int
    shuffle : bool
    rng : numpy.random.Generator
    per_batch : bool, default=False
    """

    def __init__(self, X, Y, sample_weight, batch_size, shuffle, rng, per_batch=False):
        self.X, self.Y, self.sample_weight = X, Y, sample_weight
        self.n = X.shape[0]
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.rng = rng
        self.per_batch = per_batch
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
        shuffle = self.shuffle and self.n > 1
        if shuffle and self.per_batch and not sp.issparse(self.X):
            yield from self._gathered(self.rng.permutation(self.n))
            return
        if shuffle:
            X, Y, w = self._shuffled()
        else:
            X, Y, w = self.X, self.Y, self.sample_weight
        if sp.issparse(X):
            X = X.tocsr()
        for start in range(0, self.n, self.batch_size):
            stop = min(start + self.batch_size, self.n)
            yield X[start:stop], Y[start:stop], None if w is None else w[start:stop]

    def _gathered(self, perm):
        """Yield the batches of ``perm``, gathered into one reused buffer."""
        X, Y, w = self.X, self.Y, self.sample_weight
        bs = self.batch_size
        if bs == 1 and X.flags.c_contiguous and Y.flags.c_contiguous:
            # a single row of C-ordered data is already a contiguous view
            for i in perm.tolist():
                yield X[i : i + 1], Y[i : i + 1], None if w is None else w[i : i + 1]
            return
        if self._bufs is None or self._bufs[0].shape[0] != bs:
            self._bufs = (
                np.empty((bs, X.shape[1]), dtype=X.dtype),
                np.empty((bs, Y.shape[1]), dtype=Y.dtype),
                None if w is None else np.empty(bs, dtype=w.dtype),
            )
        Xbuf, Ybuf, wbuf = self._bufs
        for start in range(0, self.n, bs):
            idx = perm[start : start + bs]
            m = idx.shape[0]
            Xb, Yb = Xbuf[:m], Ybuf[:m]
            # mode="clip" (the indices are valid) lets take write straight into out
            X.take(idx, axis=0, out=Xb, mode="clip")
            Y.take(idx, axis=0, out=Yb, mode="clip")
            wb = None
            if w is not None:
                wb = wbuf[:m]
                w.take(idx, out=wb, mode="clip")
            yield Xb, Yb, wb
