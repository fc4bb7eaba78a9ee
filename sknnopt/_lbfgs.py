"""Full-batch L-BFGS (scipy.optimize) on the same flat theta and objective."""

import functools
import time
import warnings

import numpy as np
import scipy.optimize

from ._blas import blas_threads_for
from ._compat import check_optimize_result
from .callbacks import TrainingContext


def _blas_threads(func):
    """Run with the BLAS thread count chosen for full-batch products."""

    @functools.wraps(func)
    def wrapper(network, theta, X, *args, **kwargs):
        with blas_threads_for(network.layout.layer_units, X.shape[0]):
            return func(network, theta, X, *args, **kwargs)

    return wrapper


@_blas_threads
def fit_lbfgs(
    network,
    theta,
    X,
    Y,
    sample_weight,
    *,
    first_layer=0,
    max_iter=200,
    max_fun=15000,
    tol=1e-4,
    history=None,
    controllers=(),
):
    """Minimise the objective over ``theta[offset:]`` in place.

    Layers below ``first_layer`` are not part of the optimisation vector, so
    they stay bit-identical. Returns ``(n_iter, loss, stop_reason)``;
    ``history`` gets one record per L-BFGS iteration.
    """
    layout = network.layout
    offset = layout.offset(first_layer)
    grad = np.zeros_like(theta)
    trainable = theta[offset:]
    layer_slices = [layout.layer_slice(k) for k in range(first_layer, layout.n_layers)]
    last = {"loss": None, "norms": None, "t": time.perf_counter()}
    best = theta.copy()
    ctx = TrainingContext(theta)
    # the epoch-begin hook is optional; an iteration begins at its first evaluation
    begin_hooks = [c.on_epoch_begin for c in controllers if hasattr(c, "on_epoch_begin")]
    state = {"iter": 0, "begun": False, "stop": None}

    def fun(x):
        if not state["begun"]:
            state["begun"] = True
            last["t"] = time.perf_counter()
            for begin in begin_hooks:
                begin(ctx)  # theta still holds the previous iterate
        trainable[...] = x
        loss, g = network.loss_and_grad(theta, X, Y, sample_weight, None, grad, first_layer)
        last["loss"] = loss
        last["norms"] = [float(np.sqrt(np.dot(g[s], g[s]))) for s in layer_slices]
        return loss, g[offset:].astype(np.float64)

    def callback(intermediate_result):
        trainable[...] = intermediate_result.x
        ctx.epoch = state["iter"] + 1
        record = {
            "epoch": ctx.epoch,
            "loss": float(intermediate_result.fun),
            "learning_rate": None,
            "grad_norm": [float("nan")] * first_layer + list(last["norms"]),
            "time": time.perf_counter() - last["t"],
        }
        stop = None
        for controller in controllers:
            stop = controller.on_epoch_end(ctx, record) or stop
        if history is not None:
            history.append(record)
        best[...] = theta
        state["iter"], state["begun"] = ctx.epoch, False
        if stop:
            state["stop"] = stop
            raise StopIteration

    x0 = trainable.astype(np.float64)
    try:
        result = scipy.optimize.minimize(
            fun,
            x0,
            method="L-BFGS-B",
            jac=True,
            callback=callback,
            options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
        )
    except KeyboardInterrupt:
        # also when raised by a controller: that iteration is not completed
        np.copyto(theta, best)
        for controller in controllers:
            controller.on_train_end(ctx, "interrupted")
        warnings.warn(
            "Training interrupted by user: the weights of the last completed "
            "L-BFGS iteration are kept.",
            UserWarning,
        )
        loss = history.last("loss") if history is not None and len(history) else np.nan
        return state["iter"], loss, "interrupted"
    if state["stop"]:
        # stopped by a controller: not a convergence failure
        n_iter, stop_reason = state["iter"], state["stop"]
        np.copyto(theta, best)
        loss = float(history.last("loss")) if history is not None else float(result.fun)
    else:
        n_iter = check_optimize_result("lbfgs", result, max_iter)
        trainable[...] = result.x
        stop_reason = "max_iter" if result.status == 1 else "tol"
        loss = float(result.fun)
    for controller in controllers:
        controller.on_train_end(ctx, stop_reason)
    return n_iter, loss, stop_reason
