"""Forward and backward passes of a dense network on one flat parameter vector."""

import numpy as np
import scipy.sparse as sp

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


def predict(coefs, intercepts, X, activation, out_activation):
    """Return the network's output for X (n_samples, n_features).

    ``coefs`` and ``intercepts`` are per-layer lists; ``out_activation`` is the
    name of the output activation (``'softmax'``, ``'logistic'``, ...).
    """
    hidden = ACTIVATIONS[activation].forward
    A = X
    last = len(coefs) - 1
    for k, (W, b) in enumerate(zip(coefs, intercepts)):
        A = _dot(A, W)
        A += b
        if k < last:
            hidden(A)
    return OUTPUT_ACTIVATIONS[out_activation](A)


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
        self._views = (None, None)
        self._gviews = (None, None)
        self._scratch = None

    # -- buffers -----------------------------------------------------------
    def _workspace(self, n, dtype):
        """Return the scratch arrays of a forward/backward pass on n rows.

        Per layer: activations ``A``, deltas ``D``, unmasked activations ``F``
        (dropout layers only), dropout masks ``M`` and derivative scratch
        ``work``; ``loss`` (three arrays shaped like the output) for the loss
        value, ``ones`` (n,) for bias gradients, ``sw`` (n, 1) for weights.
        """
        key = (n, np.dtype(dtype))
        ws = self._buffers.get(key)
        if ws is None:
            units = self.layout.layer_units[1:]
            hidden = list(zip(units[:-1], self.dropout))
            ws = {
                "A": [np.empty((n, u), dtype=dtype) for u in units],
                "D": [np.empty((n, u), dtype=dtype) for u in units],
                # unmasked activations: the derivative needs f(Z) itself
                "F": [np.empty((n, u), dtype=dtype) if p > 0 else None for u, p in hidden],
                "M": [np.empty((n, u), dtype=dtype) if p > 0 else None for u, p in hidden],
                "work": [np.empty((n, u), dtype=dtype) for u, _ in hidden],
                "loss": [np.empty((n, units[-1]), dtype=dtype) for _ in range(3)],
                "ones": np.ones(n, dtype=dtype),
                "sw": np.empty((n, 1), dtype=dtype),
            }
            # keep at most the full-batch and the last-batch workspaces
            if len(self._buffers) >= 2:
                self._buffers.clear()
            self._buffers[key] = ws
        return ws

    def _layer_views(self, theta):
        cached_theta, views = self._views
        if cached_theta is not theta:
            views = self.layout.views(theta)
            self._views = (theta, views)
        return views

    def _grad_views(self, grad):
        cached_grad, views = self._gviews
        if cached_grad is not grad:
            views = self.layout.views(grad)
            self._gviews = (grad, views)
        return views

    def _l2_scratch(self, dtype):
        """Return a flat buffer as large as the largest weight matrix."""
        buf = self._scratch
        if buf is None or buf.dtype != dtype:
            size = max(a * b for a, b in zip(self.layout.layer_units[:-1],
                                             self.layout.layer_units[1:]))
            buf = self._scratch = np.empty(size, dtype=dtype)
        return buf

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
            for W in coefs:
                w = W.reshape(-1)
                penalty += float(np.dot(w, w))
        if normalizer <= 0:
            # a batch with zero total weight carries no information
            grad[self.layout.offset(first_layer):] = 0
            return 0.0, grad
        inv_s = 1.0 / normalizer
        J = (data_term + 0.5 * alpha * penalty) * inv_s

        gcoefs, gintercepts = self._grad_views(grad)
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
        acts, deltas, works = ws["A"], ws["D"], ws["work"]
        if alpha:
            scratch = self._l2_scratch(theta.dtype)
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
                W = coefs[k]
                tmp = scratch[: W.size].reshape(W.shape)
                np.multiply(W, l2, out=tmp)
                gW += tmp
            # the bias gradient is the column sum of delta, as a matrix-vector product
            np.matmul(ones, delta, out=gintercepts[k])
            if k > first_layer:
                prev = deltas[k - 1]
                np.matmul(delta, coefs[k].T, out=prev)
                mask = None if masks is None else masks[k - 1]
                if mask is not None:
                    prev *= mask
                    derivative(ws["F"][k - 1], prev, works[k - 1])
                else:
                    derivative(acts[k - 1], prev, works[k - 1])
                delta = prev
        return J, grad

    def data_loss(self, theta, X, Y, sample_weight=None):
        """Return the weighted mean data loss (no L2, no dropout) on X."""
        coefs, intercepts = self._layer_views(theta)
        P = predict(coefs, intercepts, X, self.activation_name, self.loss.output_name)
        total = self.loss.value(Y, P, sample_weight)
        s = X.shape[0] if sample_weight is None else float(sample_weight.sum())
        return total / s
