"""Forward and backward passes of a dense network on one flat parameter vector."""

import itertools
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp

from ._blas import axpy, blas_threads_for, one_blas_thread, worker_threads
from .activations import ACTIVATIONS
from .losses import LOSSES, OUTPUT_ACTIVATIONS


def _dot(A, W, out=None):
    """Return ``A @ W`` into ``out`` when possible; ``A`` may be sparse."""
    if sp.issparse(A):
        result = A @ W
        if out is None:
            return np.asarray(result)
        out[...] = result
        return out
    return np.matmul(A, W, out=out)


# Rows per block of a large prediction: the widest layer's activations of a
# block take about this many bytes, so they stay in the core's L2 cache.
PREDICT_BLOCK_BYTES = 2**20


def _block_rows(units, itemsize):
    return max(64, PREDICT_BLOCK_BYTES // (max(units[1:]) * itemsize))


def _forward_block(coefs, intercepts, X, hidden, output, bufs, out):
    """Write the network's output for the rows X into ``out`` (buffers reused)."""
    A = X
    last = len(coefs) - 1
    for k, (W, b) in enumerate(zip(coefs, intercepts)):
        Z = out if k == last else bufs[k][: X.shape[0]]
        if sp.issparse(A):
            Z[...] = A @ W
        else:
            np.matmul(A, W, out=Z)
        Z += b
        if k < last:
            hidden(Z)
        A = Z
    output(out)
    return out


def _map_blocks(coefs, intercepts, X, activation, out_activation, consume, out=None):
    """Run the forward pass over X in row blocks; ``consume(start, P)`` gets each.

    ``out`` (n_samples, n_outputs) receives the outputs if given. Blocks are
    shared by up to as many Python threads as BLAS may use (see ``_blas``),
    each on one BLAS thread with its own buffers.
    """
    hidden = ACTIVATIONS[activation].forward
    output = OUTPUT_ACTIVATIONS[out_activation]
    dtype = np.result_type(X.dtype, *(np.asarray(W).dtype for W in coefs))
    units = [X.shape[1]] + [np.shape(W)[1] for W in coefs]
    n = X.shape[0]
    rows = _block_rows(units, dtype.itemsize)
    if sp.issparse(X) and X.format != "csr":
        X = X.tocsr()
    starts = list(range(0, n, rows))
    errors = np.geterr()

    def work(claim):
        bufs = [np.empty((rows, u), dtype=dtype) for u in units[1:-1]]
        scratch = None if out is not None else np.empty((rows, units[-1]), dtype=dtype)
        with np.errstate(**errors):
            for i in claim:
                start = starts[i]
                stop = min(start + rows, n)
                P = out[start:stop] if out is not None else scratch[: stop - start]
                _forward_block(coefs, intercepts, X[start:stop], hidden, output, bufs, P)
                consume(start, P)

    workers = worker_threads(len(starts))
    with one_blas_thread():
        if workers == 1:
            work(range(len(starts)))
            return
        # blocks are claimed one at a time, so a thread that loses its core
        # holds back one block, not a fixed share of them
        counter = itertools.count()
        stop = []

        def claim():
            while not stop and (i := next(counter)) < len(starts):
                yield i

        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(work, claim()) for _ in range(workers)]
            try:
                for future in futures:
                    future.result()
            except BaseException:  # an error, or KeyboardInterrupt: claim no more
                stop.append(True)
                raise


def predict(coefs, intercepts, X, activation, out_activation):
    """Return the network's output for X (n_samples, n_features).

    ``coefs`` and ``intercepts`` are per-layer lists; ``out_activation`` is the
    name of the output activation (``'softmax'``, ``'logistic'``, ...). Large
    X is processed in row blocks, in parallel (see :func:`_map_blocks`).
    """
    dtype = np.result_type(X.dtype, *(np.asarray(W).dtype for W in coefs))
    units = [X.shape[1]] + [np.shape(W)[1] for W in coefs]
    n = X.shape[0]
    if n <= _block_rows(units, dtype.itemsize):
        out = np.empty((n, units[-1]), dtype=dtype)
        bufs = [np.empty((n, u), dtype=dtype) for u in units[1:-1]]
        with blas_threads_for(units, n):
            return _forward_block(
                coefs, intercepts, X, ACTIVATIONS[activation].forward,
                OUTPUT_ACTIVATIONS[out_activation], bufs, out,
            )
    out = np.empty((n, units[-1]), dtype=dtype)
    _map_blocks(coefs, intercepts, X, activation, out_activation, lambda i, P: None, out)
    return out


def outputs_finite(coefs, intercepts, X, activation, out_activation):
    """Return True if the network's outputs on X are all finite (no full output kept)."""
    finite = []
    _map_blocks(
        coefs, intercepts, X, activation, out_activation,
        lambda start, P: finite.append(bool(np.isfinite(P).all())),
    )
    return all(finite)


def _first_rows(ws, n):
    """Return the workspace ``ws`` cut to its first n rows (views)."""
    out = {}
    for key, value in ws.items():
        if isinstance(value, list):
            out[key] = [None if a is None else a[:n] for a in value]
        else:
            out[key] = value[:n]
    return out


class Network:
    """Objective and gradient of an MLP whose parameters live in one vector.

    Parameters
    ----------
    layout : Layout
        Where each layer sits in theta.
    activation : str
        Key of ``ACTIVATIONS`` for the hidden layers.
    loss : str
        Key of ``LOSSES``; fixes the output activation.
    alpha : float
        L2 strength; the objective adds ``alpha / (2 S) * sum ||W||^2``.
    dropout : sequence of float or None
        Drop probability per hidden layer (inverted dropout), or None.
    """

    def __init__(self, layout, activation, loss, alpha=0.0, dropout=None):
        self.layout = layout
        self.activation_name = activation
        self.activation = ACTIVATIONS[activation]
        self.loss = LOSSES[loss]
        self.alpha = float(alpha)
        n_hidden = layout.n_layers - 1
        rates = [0.0] * n_hidden if dropout is None else [float(p) for p in dropout]
        self.dropout = rates
        self.uses_dropout = any(p > 0 for p in rates)
        self._buffers = {}
        self._full = (0, None)
        self._views = (None, None)
        self._gviews = (None, None)
        self._flat = (None, None)

    # -- buffers -----------------------------------------------------------
    def _workspace(self, n, dtype):
        """Return the scratch arrays of a forward/backward pass on n rows.

        Per layer: activations ``A``, deltas ``D``, unmasked activations ``F``
        and dropout masks ``M`` (dropout layers only); ``loss`` (arrays shaped
        like the output) for the loss value, ``ones`` (n,) for bias
        gradients, ``sw`` (n, 1) for sample weights. They are allocated once
        for the largest n seen; smaller batches (an epoch's last one) get the
        first n rows of the same arrays.
        """
        dtype = np.dtype(dtype)
        ws = self._buffers.get((n, dtype))
        if ws is None:
            rows, full = self._full
            if full is None or rows < n or full["ones"].dtype != dtype:
                rows, full = n, self._allocate(n, dtype)
                self._full = (rows, full)
                self._buffers.clear()
            ws = full if rows == n else _first_rows(full, n)
            if len(self._buffers) >= 4:
                self._buffers.clear()
            self._buffers[(n, dtype)] = ws
        return ws

    def _allocate(self, n, dtype):
        units = self.layout.layer_units[1:]
        hidden = list(zip(units[:-1], self.dropout))
        return {
            "A": [np.empty((n, u), dtype=dtype) for u in units],
            "D": [np.empty((n, u), dtype=dtype) for u in units],
            # unmasked activations: the derivative needs f(Z) itself
            "F": [np.empty((n, u), dtype=dtype) if p > 0 else None for u, p in hidden],
            "M": [np.empty((n, u), dtype=dtype) if p > 0 else None for u, p in hidden],
            "loss": [np.empty((n, units[-1]), dtype=dtype) for _ in range(self.loss.n_work)],
            "ones": np.ones(n, dtype=dtype),
            "sw": np.empty((n, 1), dtype=dtype),
        }

    def _layer_views(self, theta):
        cached_theta, views = self._views
        if cached_theta is not theta:
            views = self.layout.views(theta)
            self._views = (theta, views)
        return views

    def _grad_views(self, grad):
        """Return per-layer views of ``grad``: weights, biases, flat weights."""
        cached_grad, views = self._gviews
        if cached_grad is not grad:
            coefs, intercepts = self.layout.views(grad)
            views = (coefs, intercepts, [grad[s] for s in self.layout.weight_slices])
            self._gviews = (grad, views)
        return views

    def _flat_weights(self, theta):
        """Return the 1-D weight views of ``theta``, one per layer (cached)."""
        cached_theta, views = self._flat
        if cached_theta is not theta:
            views = [theta[s] for s in self.layout.weight_slices]
            self._flat = (theta, views)
        return views

    def draw_masks(self, rng, n, dtype, reuse=False):
        """Return inverted-dropout masks (0 or 1/(1-p)) per hidden layer, or None.

        With ``reuse``, the masks are drawn into the workspace for n rows and
        are overwritten by the next draw of the same size (the training loop);
        the draws are the same either way.
        """
        if not self.uses_dropout:
            return None
        buffers = self._workspace(n, dtype)["M"] if reuse else None
        draw_dtype = np.float32 if dtype == np.float32 else np.float64
        masks = []
        for k, (u, p) in enumerate(zip(self.layout.layer_units[1:-1], self.dropout)):
            if p <= 0:
                masks.append(None)
                continue
            if buffers is not None and buffers[k].dtype == draw_dtype:
                mask = rng.random(dtype=draw_dtype, out=buffers[k])
            else:
                mask = rng.random((n, u), dtype=draw_dtype)
            # 1.0 where kept, 0.0 where dropped, then the inverted scale
            np.greater_equal(mask, p, out=mask)
            mask *= 1.0 / (1.0 - p)
            masks.append(mask.astype(dtype, copy=False))
        return masks

    # -- objective ---------------------------------------------------------
    def forward(self, theta, X, masks=None):
        """Return the list of layer outputs for X, output last (buffers reused)."""
        coefs, intercepts = self._layer_views(theta)
        ws = self._workspace(X.shape[0], theta.dtype)
        outs = ws["A"]
        hidden = self.activation.forward
        A = X
        last = self.layout.n_layers - 1
        for k in range(last + 1):
            out = outs[k]
            if k or not sp.issparse(A):
                np.matmul(A, coefs[k], out=out)
            else:
                _dot(A, coefs[k], out=out)
            out += intercepts[k]
            if k < last:
                hidden(out)
                mask = None if masks is None else masks[k]
                if mask is not None:
                    np.copyto(ws["F"][k], out)
                    out *= mask
            else:
                self.loss.output(out)
            A = out
        return ws

    def loss_and_grad(
        self,
        theta,
        X,
        Y,
        sample_weight=None,
        masks=None,
        grad=None,
        first_layer=0,
        normalizer=None,
    ):
        """Return the objective J and its gradient as one flat vector.

        J = (sum_i s_i loss_i + alpha/2 * sum_k ||W_k||^2) / S.

        Parameters
        ----------
        theta : ndarray of shape (n_params,)
        X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        Y : ndarray of shape (n_samples, n_outputs)
        sample_weight : ndarray of shape (n_samples,) or None
        masks : list of ndarray or None
            Dropout masks from :meth:`draw_masks` (fixed masks make the
            objective deterministic, e.g. for gradient checks).
        grad : ndarray of shape (n_params,) or None
            Output buffer. Layers below ``first_layer`` are left untouched.
        first_layer : int
            Backpropagation stops at this layer (frozen layers below).
        normalizer : float or None
            S; defaults to the sum of the sample weights (n without weights).
        """
        if grad is None:
            grad = np.zeros_like(theta)
        coefs, intercepts = self._layer_views(theta)
        ws = self.forward(theta, X, masks)
        n = X.shape[0]
        P = ws["A"][-1]
        if normalizer is None:
            normalizer = n if sample_weight is None else float(sample_weight.sum())
        data_term = self.loss.value(Y, P, sample_weight, ws["loss"])
        alpha = self.alpha
        penalty = 0.0
        if alpha:
            flat = self._flat_weights(theta)
            for w in flat:
                penalty += float(np.dot(w, w))
        if normalizer <= 0:
            # a batch with zero total weight carries no information
            grad[self.layout.offset(first_layer):] = 0
            return 0.0, grad
        inv_s = 1.0 / normalizer
        J = (data_term + 0.5 * alpha * penalty) * inv_s

        gcoefs, gintercepts, gflat = self._grad_views(grad)
        # 1/S is folded into the output delta, so every gradient below
        # comes out scaled with no extra pass
        delta = ws["D"][-1]
        np.subtract(P, Y, out=delta)
        if sample_weight is None:
            delta *= inv_s
        else:
            sw = ws["sw"]
            np.multiply(sample_weight[:, None], inv_s, out=sw)
            delta *= sw
        ones = ws["ones"]
        acts, deltas = ws["A"], ws["D"]
        l2 = alpha * inv_s
        derivative = self.activation.derivative
        for k in range(self.layout.n_layers - 1, first_layer - 1, -1):
            A_prev = X if k == 0 else acts[k - 1]
            gW = gcoefs[k]
            if sp.issparse(A_prev):
                gW[...] = A_prev.T @ delta
            else:
                np.matmul(A_prev.T, delta, out=gW)
            if alpha:
                axpy(l2, flat[k], gflat[k])
            # the bias gradient is the column sum of delta, as a matrix-vector product
            np.matmul(ones, delta, out=gintercepts[k])
            if k > first_layer:
                prev = deltas[k - 1]
                np.matmul(delta, coefs[k].T, out=prev)
                mask = None if masks is None else masks[k - 1]
                # the activations below are used for the last time here: they
                # serve as the derivative's scratch space
                if mask is not None:
                    prev *= mask
                    derivative(ws["F"][k - 1], prev, ws["F"][k - 1])
                else:
                    derivative(acts[k - 1], prev, acts[k - 1])
                delta = prev
        return J, grad

    def data_loss(self, theta, X, Y, sample_weight=None):
        """Return the weighted mean data loss (no L2, no dropout) on X."""
        coefs, intercepts = self._layer_views(theta)
        P = predict(coefs, intercepts, X, self.activation_name, self.loss.output_name)
        total = self.loss.value(Y, P, sample_weight)
        s = X.shape[0] if sample_weight is None else float(sample_weight.sum())
        return total / s
