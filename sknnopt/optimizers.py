"""First-order optimisers acting in place on a flat parameter vector.

Each optimiser is a small picklable class: ``init(theta, weight_mask)`` returns
its state (a dict of arrays), ``update(grad, state, theta, lr)`` moves
``theta`` in place by one step. State buffers are preallocated so a step
allocates nothing. A state entry named ``"tmp"`` is scratch space: it carries
nothing from one step to the next. ``update(..., overwrite_grad=True)`` lets
the optimiser use ``grad`` as scratch (the training loop recomputes it every
step), which spares Adam a parameter-sized buffer.
"""

import math
from dataclasses import dataclass

import numpy as np

from ._blas import axpy

# Elementwise passes over long vectors run at cache speed only when the
# vectors fit in L2; a step is done in blocks of this many elements (measured
# on Adam with 535k float32 parameters: 1.14 ms unblocked, 0.84 ms in blocks
# of 65536; on 60k parameters one block is as fast as any split).
BLOCK = 65536


def _blocks(n):
    """Return slices covering range(n) in blocks of BLOCK elements."""
    if n <= 2 * BLOCK:
        return (slice(None),)
    return tuple(slice(i, min(i + BLOCK, n)) for i in range(0, n, BLOCK))


# Squares are taken with np.square, not np.multiply(g, g): the one-input loop
# is faster with the same rounding (59k float32 parameters: 5 vs 9 us into
# another vector, 4 vs 7 us in place; float64 10 vs 18 and 8 vs 9 us).

# A decaying moment is kept as ``scale * array``: its decay is then a scalar
# multiply and its update a single axpy pass (instead of a scaling pass and an
# axpy). The scale is folded back into the array before it falls below this,
# so the array never grows by more than 1/RESCALE_BELOW.
RESCALE_BELOW = 1e-4


def _decayed(state, key, factor):
    """Return the scale of ``state[key]`` multiplied by ``factor``."""
    return state.get(key + "_scale", 1.0) * factor


def _fold_scale(state, key, scale):
    """Store the scale of ``state[key]``, folding it into the array when small."""
    if scale < RESCALE_BELOW:
        state[key] *= scale
        scale = 1.0
    state[key + "_scale"] = scale


def _scratch(state, theta):
    """Return the state's scratch vector, made anew if a copy dropped it."""
    tmp = state.get("tmp")
    if tmp is None or tmp.shape != theta.shape or tmp.dtype != theta.dtype:
        tmp = state["tmp"] = np.empty_like(theta)
    return tmp


@dataclass(frozen=True)
class SGD:
    """Stochastic gradient descent with (Nesterov) momentum, as scikit-learn.

    v <- momentum * v - lr * g; the step is v, or momentum * v - lr * g with
    Nesterov. ``momentum=0`` is plain gradient descent.
    """

    momentum: float = 0.9
    nesterov: bool = True

    def init(self, theta, weight_mask=None):
        return {"velocity": np.zeros_like(theta)}

    def update(self, grad, state, theta, lr, overwrite_grad=False):
        lr = float(lr)
        if self.momentum == 0:
            axpy(-lr, grad, theta)
            return
        mu = float(self.momentum)
        # v = scale * V (see RESCALE_BELOW): v <- mu v - lr g is
        # scale <- mu scale, V <- V - (lr / scale) g
        scale = _decayed(state, "velocity", mu)
        V = state["velocity"]
        for b in _blocks(theta.shape[0]):
            Vb, gb, tb = V[b], grad[b], theta[b]
            axpy(-lr / scale, gb, Vb)
            if self.nesterov:
                # step = momentum * v_new - lr * g
                axpy(mu * scale, Vb, tb)
                axpy(-lr, gb, tb)
            else:
                axpy(scale, Vb, tb)
        _fold_scale(state, "velocity", scale)


@dataclass(frozen=True)
class RMSProp:
    """RMSProp: s <- rho s + (1 - rho) g^2; step = -lr g / (sqrt(s) + eps)."""

    rho: float = 0.9
    epsilon: float = 1e-8

    def init(self, theta, weight_mask=None):
        return {"sq": np.zeros_like(theta), "tmp": np.empty_like(theta)}

    def update(self, grad, state, theta, lr, overwrite_grad=False):
        sq, tmp = state["sq"], _scratch(state, theta)
        rho, eps, lr = float(self.rho), float(self.epsilon), float(lr)
        # s = scale * S (see RESCALE_BELOW):
        # g / (sqrt(s) + eps) = g / (sqrt(S) + eps / sqrt(scale)) / sqrt(scale)
        scale = _decayed(state, "sq", rho)
        root = math.sqrt(scale)
        for b in _blocks(theta.shape[0]):
            sb, tb, gb = sq[b], tmp[b], grad[b]
            np.square(gb, out=tb)
            axpy((1.0 - rho) / scale, tb, sb)
            np.sqrt(sb, out=tb)
            tb += eps / root
            np.divide(gb, tb, out=tb)
            axpy(-lr / root, tb, theta[b])
        _fold_scale(state, "sq", scale)


@dataclass(frozen=True)
class AdaGrad:
    """AdaGrad: G <- G + g^2; step = -lr g / (sqrt(G) + eps)."""

    epsilon: float = 1e-8

    def init(self, theta, weight_mask=None):
        return {"sum_sq": np.zeros_like(theta), "tmp": np.empty_like(theta)}

    def update(self, grad, state, theta, lr, overwrite_grad=False):
        G, tmp = state["sum_sq"], _scratch(state, theta)
        eps, lr = float(self.epsilon), float(lr)
        for b in _blocks(theta.shape[0]):
            Gb, tb, gb = G[b], tmp[b], grad[b]
            np.square(gb, out=tb)
            Gb += tb
            np.sqrt(Gb, out=tb)
            tb += eps
            np.divide(gb, tb, out=tb)
            axpy(-lr, tb, theta[b])


@dataclass(frozen=True)
class Adam:
    """Adam (Kingma & Ba, 2015, Algorithm 1).

    m <- b1 m + (1 - b1) g; v <- b2 v + (1 - b2) g^2;
    step = -lr * m_hat / (sqrt(v_hat) + eps), with m_hat = m / (1 - b1^t),
    v_hat = v / (1 - b2^t).
    """

    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-8

    def init(self, theta, weight_mask=None):
        return {"t": 0, "m": np.zeros_like(theta), "v": np.zeros_like(theta)}

    def update(self, grad, state, theta, lr, overwrite_grad=False):
        state["t"] += 1
        t = state["t"]
        m, v = state["m"], state["v"]
        # once m is updated, g is only needed squared: with overwrite_grad the
        # gradient's own buffer holds g^2 and then the step
        tmp = grad if overwrite_grad else _scratch(state, theta)
        b1, b2 = float(self.beta_1), float(self.beta_2)
        # m_hat / (sqrt(v_hat) + eps) = m / (sqrt(v) + eps c2) * c2 / (1 - b1^t)
        # with c2 = sqrt(1 - b2^t): the bias corrections become two scalars.
        # Python floats throughout: a NumPy float64 scalar would turn every
        # float32 pass into a slower float64 loop with casts.
        # The moments are kept as m = sm * M and v = sv * V (see
        # RESCALE_BELOW), so each is updated by one axpy pass, and then
        # m / (sqrt(v) + e) = sm / sqrt(sv) * M / (sqrt(V) + e / sqrt(sv)).
        sm = _decayed(state, "m", b1)
        sv = _decayed(state, "v", b2)
        c2 = math.sqrt(1.0 - b2**t)
        root = math.sqrt(sv)
        step = -float(lr) * c2 / (1.0 - b1**t) * sm / root
        eps = float(self.epsilon) * c2 / root
        for b in _blocks(theta.shape[0]):
            mb, vb, tb, gb = m[b], v[b], tmp[b], grad[b]
            axpy((1.0 - b1) / sm, gb, mb)
            np.square(gb, out=tb)  # (tb may be gb itself)
            axpy((1.0 - b2) / sv, tb, vb)
            np.sqrt(vb, out=tb)
            tb += eps
            np.divide(mb, tb, out=tb)
            axpy(step, tb, theta[b])
        _fold_scale(state, "m", sm)
        _fold_scale(state, "v", sv)


@dataclass(frozen=True)
class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    After the Adam step, W <- W - lr * weight_decay * W on weights only.
    """

    weight_decay: float = 0.01

    def init(self, theta, weight_mask=None):
        state = super().init(theta)
        if weight_mask is None:
            weight_mask = np.ones(theta.shape, dtype=bool)
        state["decay"] = weight_mask.astype(theta.dtype)
        return state

    def update(self, grad, state, theta, lr, overwrite_grad=False):
        super().update(grad, state, theta, lr, overwrite_grad)
        tmp = grad if overwrite_grad else _scratch(state, theta)
        np.multiply(theta, state["decay"], out=tmp)
        axpy(-float(lr) * float(self.weight_decay), tmp, theta)


def _sgd(p):
    return SGD(momentum=p["momentum"], nesterov=p["nesterovs_momentum"])


def _rmsprop(p):
    return RMSProp(rho=p["rho"], epsilon=p["epsilon"])


def _adagrad(p):
    return AdaGrad(epsilon=p["epsilon"])


def _adam(p):
    return Adam(beta_1=p["beta_1"], beta_2=p["beta_2"], epsilon=p["epsilon"])


def _adamw(p):
    return AdamW(
        beta_1=p["beta_1"],
        beta_2=p["beta_2"],
        epsilon=p["epsilon"],
        weight_decay=p["weight_decay"],
    )


# solver name -> factory from the estimator's parameters
OPTIMIZERS = {
    "sgd": _sgd,
    "adam": _adam,
    "rmsprop": _rmsprop,
    "adagrad": _adagrad,
    "adamw": _adamw,
}
