"""Full-batch L-BFGS (scipy.optimize) on the same flat theta and objective."""

import time
import warnings

import numpy as np
import scipy.optimize

from ._compat import check_optimize_result


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

    def fun(x):
        trainable[...] = x
        loss, g = network.loss_and_grad(theta, X, Y, sample_weight, None, grad, first_layer)
        last["loss"] = loss
        last["norms"] = [float(np.sqrt(np.dot(g[s], g[s]))) for s in layer_slices]
        return loss, g[offset:].astype(np.float64)

    n_calls = {"iter": 0}

    def callback(intermediate_result):
        n_calls["iter"] += 1
        now = time.perf_counter()
        record = {
            "epoch": n_calls["iter"],
            "loss": float(intermediate_result.fun),
            "learning_rate": None,
            "grad_norm": [float("nan")] * first_layer + list(last["norms"]),
            "time": now - last["t"],
        }
        last["t"] = now
        for controller in controllers:
            controller.on_epoch_end(None, record)
        if history is not None:
            history.append(record)
        best[offset:] = intermediate_result.x

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
        np.copyto(theta, best)
        warnings.warn(
            "Training interrupted by user: the weights of the last completed "
            "L-BFGS iteration are kept.",
            UserWarning,
        )
        loss = history.last("loss") if history is not None and len(history) else np.nan
        return n_calls["iter"], loss, "interrupted"
    n_iter = check_optimize_result("lbfgs", result, max_iter)
    trainable[...] = result.x
    stop_reason = "max_iter" if result.status == 1 else "tol"
    return n_iter, float(result.fun), stop_reason
