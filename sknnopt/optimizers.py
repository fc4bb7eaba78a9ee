"""First-order optimisers acting in place on a flat parameter vector.

Each optimiser is a small picklable class: ``init(theta, weight_mask)`` returns
its state (a dict of arrays), ``update(grad, state, theta, lr)`` moves
``theta`` in place by one step. State buffers are preallocated so a step
allocates nothing.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SGD:
    """Stochastic gradient descent with (Nesterov) momentum, as scikit-learn.

    v <- momentum * v - lr * g; the step is v, or momentum * v - lr * g with
    Nesterov. ``momentum=0`` is plain gradient descent.
    """

    momentum: float = 0.9
    nesterov: bool = True

    def init(self, theta, weight_mask=None):
        return {"velocity": np.zeros_like(theta), "tmp": np.empty_like(theta)}

    def update(self, grad, state, theta, lr):
        if self.momentum == 0:
            np.multiply(grad, -lr, out=state["tmp"])
            theta += state["tmp"]
            return
        v, tmp = state["velocity"], state["tmp"]
        np.multiply(grad, -lr, out=tmp)
        v *= self.momentum
        v += tmp
        if self.nesterov:
            # step = momentum * v_new - lr * g
            tmp += self.momentum * v
            theta += tmp
        else:
            theta += v


@dataclass(frozen=True)
class RMSProp:
    """RMSProp: s <- rho s + (1 - rho) g^2; step = -lr g / (sqrt(s) + eps)."""

    rho: float = 0.9
    epsilon: float = 1e-8

    def init(self, theta, weight_mask=None):
        return {"sq": np.zeros_like(theta), "tmp": np.empty_like(theta)}

    def update(self, grad, state, theta, lr):
        sq, tmp = state["sq"], state["tmp"]
        np.multiply(grad, grad, out=tmp)
        tmp *= 1.0 - self.rho
        sq *= self.rho
        sq += tmp
        np.sqrt(sq, out=tmp)
        tmp += self.epsilon
        np.divide(grad, tmp, out=tmp)
        tmp *= -lr
        theta += tmp


@dataclass(frozen=True)
class AdaGrad:
    """AdaGrad: G <- G + g^2; step = -lr g / (sqrt(G) + eps)."""

    epsilon: float = 1e-8

    def init(self, theta, weight_mask=None):
        return {"sum_sq": np.zeros_like(theta), "tmp": np.empty_like(theta)}

    def update(self, grad, state, theta, lr):
        G, tmp = state["sum_sq"], state["tmp"]
        np.multiply(grad, grad, out=tmp)
        G += tmp
        np.sqrt(G, out=tmp)
        tmp += self.epsilon
        np.divide(grad, tmp, out=tmp)
        tmp *= -lr
        theta += tmp


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
        return {
            "t": 0,
            "m": np.zeros_like(theta),
            "v": np.zeros_like(theta),
            "tmp": np.empty_like(theta),
        }

    def update(self, grad, state, theta, lr):
        state["t"] += 1
        t = state["t"]
        m, v, tmp = state["m"], state["v"], state["tmp"]
        m *= self.beta_1
        m += (1.0 - self.beta_1) * grad
        np.multiply(grad, grad, out=tmp)
        tmp *= 1.0 - self.beta_2
        v *= self.beta_2
        v += tmp
        # sqrt(v_hat) + eps, then the bias-corrected first moment on top
        np.sqrt(v, out=tmp)
        tmp *= 1.0 / np.sqrt(1.0 - self.beta_2**t)
        tmp += self.epsilon
        np.divide(m, tmp, out=tmp)
        tmp *= -lr / (1.0 - self.beta_1**t)
        theta += tmp


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

    def update(self, grad, state, theta, lr):
        super().update(grad, state, theta, lr)
        tmp = state["tmp"]
        np.multiply(theta, state["decay"], out=tmp)
        tmp *= -lr * self.weight_decay
        theta += tmp


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
