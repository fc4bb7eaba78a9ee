"""The first-order training loop: batches, gradient, transforms, optimiser, records."""

import functools
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from ._batching import BatchStream
from ._blas import blas_threads_for
from .callbacks import TrainingContext
from .transforms import GradientTransform

DIVERGENCE_ADVICE = (
    "lower learning_rate_init, set clip_norm (e.g. clip_norm=1.0), "
    "or scale the inputs (e.g. StandardScaler)"
)


@dataclass
class Plan:
    """Everything the loop needs besides the data.

    ``schedule(epoch, samples_seen)`` returns the scheduled rate; the
    optimiser and its ``state`` act on ``theta[offset:]``, the layers from
    ``first_layer`` up. ``fresh_state()`` returns the optimiser's initial
    state (to restart it after a divergence); None re-initialises it from
    ``theta[offset:]`` without a weight mask.
    """

    network: Any
    optimizer: Any
    state: dict
    schedule: Callable
    batch_size: int
    shuffle: bool
    rng: np.random.Generator
    first_layer: int = 0
    transform: GradientTransform = GradientTransform()
    fresh_state: Callable | None = None


@dataclass
class Outcome:
    """What a call of :func:`train` did."""

    stop_reason: str
    n_epochs: int
    samples_seen: int
    loss: float
    lr_scale: float = 1.0


def _finite_outputs(network, theta, X, x_bound=None):
    """Return True if the network's outputs on X are all finite.

    A cheap bound (:func:`_surely_finite_outputs`, from ``x_bound`` or X) is
    tried first; the forward pass over X runs only when it proves nothing.
    """
    from ._network import outputs_finite

    if x_bound is None:
        x_bound = _feature_bound(X)
    if _surely_finite_outputs(network, theta, x_bound):
        return True
    coefs, intercepts = network.layout.views(theta)
    # in row blocks: no output array as large as the data is kept
    return outputs_finite(
        coefs, intercepts, X, network.activation_name, network.loss.output_name
    )


def _feature_bound(X):
    """Return max |X| per feature, shape (n_features,), as float64."""
    if sp.issparse(X):
        return np.asarray(abs(X).max(axis=0).toarray(), dtype=np.float64).ravel()
    # max(max, -min): no |X| copy of the data
    return np.maximum(X.max(axis=0), -X.min(axis=0)).astype(np.float64)


def _surely_finite_outputs(network, theta, x_bound):
    """Return True if a cheap bound proves the outputs on the data are finite.

    Pre-activations are bounded by |W|^T u + |b| layer by layer, from the
    per-feature bound ``x_bound``; every registered hidden activation obeys
    |f(z)| <= |z| + 1. False means "not proven", not "non-finite".
    """
    coefs, intercepts = network.layout.views(theta)
    finfo = np.finfo(theta.dtype)
    u = x_bound
    with np.errstate(over="ignore", invalid="ignore"):
        for k, (W, b) in enumerate(zip(coefs, intercepts)):
            if k:
                u = u + 1.0
            u = _abs_matvec(W, u) + np.abs(b)
            if not np.all(u < finfo.max):
                return False
    if network.loss.output_name == "exp":
        return bool(np.all(u < np.log(finfo.max)))
    return True


def _abs_matvec(W, u, rows=256):
    """Return |W|^T u in float64, without a |W| (or float64 W) copy of W."""
    out = np.zeros(W.shape[1])
    for start in range(0, W.shape[0], rows):
        out += np.abs(W[start : start + rows]).T @ u[start : start + rows]
    return out


def _finite_on_data(network, theta, X, x_bound):
    """Return True if the outputs on X are finite (bound first, forward if needed)."""
    return _finite_outputs(network, theta, X, x_bound)


def _quiet_overflow(func):
    """Silence NumPy overflow warnings: divergence is detected and reported."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with np.errstate(over="ignore", invalid="ignore"):
            return func(*args, **kwargs)

    return wrapper


def _blas_threads(func):
    """Run training with the BLAS thread count chosen for its batch products."""

    @functools.wraps(func)
    def wrapper(plan, *args, **kwargs):
        with blas_threads_for(plan.network.layout.layer_units, plan.batch_size):
            return func(plan, *args, **kwargs)

    return wrapper


@_blas_threads
@_quiet_overflow
def train(
    plan,
    theta,
    X,
    Y,
    sample_weight,
    *,
    max_epochs,
    epoch0=0,
    samples_seen=0,
    lr_scale=1.0,
    controllers=(),
    history=None,
    start_is_good=False,
    state_is_fresh=False,
):
    """Run up to ``max_epochs`` epochs of first-order training on ``theta``.

    Divergence (a non-finite loss or parameters) and ``KeyboardInterrupt``
    (also when raised by a controller) restore the parameters of the last good
    completed epoch. Raises ValueError if training diverges before any good
    epoch exists. Controllers get ``on_epoch_begin`` (if they have it) before
    each epoch, ``on_epoch_end`` after it and ``on_train_end`` once at the end.

    The optimiser state goes back with the parameters when no epoch of this
    call completed: to the state the call started from (a copy is kept
    unless ``state_is_fresh`` says it is the initial state). After one or
    more completed epochs it restarts from its initial state instead: the
    moments of the diverging steps would poison every later step
    (partial_fit), and keeping those of every completed epoch would hold two
    more parameter-sized copies through training than scikit-learn's MLP
    needs.
    """
    network = plan.network
    layout = network.layout
    first = plan.first_layer
    offset = layout.offset(first)
    grad = np.zeros_like(theta)
    trainable_theta = theta[offset:]
    layer_slices = [layout.layer_slice(k) for k in range(first, layout.n_layers)]
    n_layers = layout.n_layers
    n = X.shape[0]
    mean_weight = None if sample_weight is None else float(sample_weight.mean())
    total_weight = None if sample_weight is None else float(sample_weight.sum())
    stream = BatchStream(
        X, Y, sample_weight, plan.batch_size, plan.shuffle, plan.rng, per_batch=True
    )
    grad_layers = [grad[s] for s in layer_slices]
    ctx = TrainingContext(theta)
    ctx.lr_scale = lr_scale
    good = theta.copy()
    start_state = None if state_is_fresh else _copy_state(plan.state)
    have_good = start_is_good
    x_bound = _feature_bound(X)
    stop_reason = "max_iter"
    epoch_loss = np.nan
    # the epoch-begin hook is optional in the controller protocol
    begin_hooks = [c.on_epoch_begin for c in controllers if hasattr(c, "on_epoch_begin")]
    n_good, good_samples = 0, samples_seen
    try:
        for e in range(max_epochs):
            t_start = time.perf_counter()
            for begin in begin_hooks:
                begin(ctx)
            lr = plan.schedule(epoch0 + e, samples_seen) * ctx.lr_scale
            ctx.lr = lr
            total, norm_sum, steps = _run_epoch(
                plan, theta, grad, grad_layers, trainable_theta, stream, lr, mean_weight
            )
            # the schedule clock counts a row of weight w as w rows
            samples_seen += n if sample_weight is None else total_weight
            epoch_loss = total / n
            ctx.epoch = e + 1
            # the epoch's loss was computed before its last steps, so the
            # weights it ends with must give finite outputs on their own
            if not (
                np.isfinite(epoch_loss)
                and np.isfinite(theta).all()
                and _finite_on_data(network, theta, X, x_bound)
            ):
                stop_reason = "diverged"
                break
            norms = [float("nan")] * first + list(norm_sum / max(steps, 1))
            record = {
                "epoch": epoch0 + e + 1,
                "loss": float(epoch_loss),
                "learning_rate": float(lr),
                "grad_norm": norms[:n_layers],
                "time": time.perf_counter() - t_start,
            }
            stop = None
            for controller in controllers:
                reason = controller.on_epoch_end(ctx, record)
                stop = stop or reason
            if history is not None:
                history.append(record)
            np.copyto(good, theta)
            have_good = True
            n_good, good_samples = e + 1, samples_seen
            if stop:
                stop_reason = stop
                break
    except KeyboardInterrupt:
        # an interrupt inside a controller comes before the epoch's record: the
        # epoch counts as not completed, like one interrupted mid-way
        stop_reason = "interrupted"

    if stop_reason in ("diverged", "interrupted"):
        if have_good or stop_reason == "interrupted":
            # (interrupted before any epoch: the starting weights are kept)
            np.copyto(theta, good)
            _restart_state(plan, trainable_theta, start_state if n_good == 0 else None)
        for controller in controllers:
            controller.on_train_end(ctx, stop_reason)
        if stop_reason == "interrupted":
            warnings.warn(
                "Training interrupted by user: the weights of the last completed "
                "epoch are kept.",
                UserWarning,
            )
        elif not have_good:
            raise ValueError(
                "Training diverged (non-finite loss, weights or outputs) before any "
                f"epoch completed with finite values: {DIVERGENCE_ADVICE}."
            )
        else:
            warnings.warn(
                f"Training diverged at epoch {epoch0 + n_good + 1}; the weights of the "
                f"last finite epoch are kept. To avoid it, {DIVERGENCE_ADVICE}.",
                UserWarning,
            )
        return Outcome(
            stop_reason, n_good, good_samples, _last_loss(history), ctx.lr_scale
        )

    for controller in controllers:
        controller.on_train_end(ctx, stop_reason)
    return Outcome(stop_reason, ctx.epoch, samples_seen, float(epoch_loss), ctx.lr_scale)


def _run_epoch(plan, theta, grad, grad_layers, trainable_theta, stream, lr, mean_weight):
    """Run one epoch of steps; return (sum of loss x batch size, norm sums, steps).

    ``grad_layers`` are the per-layer views of ``grad`` whose L2 norms are
    summed over the steps (``grad_norm``); the trainable part of ``grad`` is
    the tail that ``trainable_theta`` matches. Everything a step needs is
    looked up once here: with ``batch_size=1`` a step is a few microseconds
    of NumPy calls, and Python overhead would dominate it.
    """
    network = plan.network
    loss_and_grad = network.loss_and_grad
    update, state = plan.optimizer.update, plan.state
    transform = plan.transform if plan.transform.active else None
    dropout = network.uses_dropout
    rng, dtype, first = plan.rng, theta.dtype, plan.first_layer
    trainable_grad = grad[grad.shape[0] - trainable_theta.shape[0] :]
    dot, sqrt = np.dot, math.sqrt
    norm_sum = [0.0] * len(grad_layers)
    layers = list(enumerate(grad_layers))
    total = 0.0
    steps = 0
    for Xb, Yb, wb in stream.epoch():
        nb = Xb.shape[0]
        masks = network.draw_masks(rng, nb, dtype, reuse=True) if dropout else None
        S = nb if wb is None else nb * mean_weight
        loss, _ = loss_and_grad(theta, Xb, Yb, wb, masks, grad, first, normalizer=S)
        total += loss * nb
        sq_total = 0.0
        for i, g in layers:
            sq = float(dot(g, g))
            norm_sum[i] += sqrt(sq)
            sq_total += sq
        steps += 1
        if transform is not None:
            transform(trainable_grad, norm=sqrt(sq_total))
        # the gradient is recomputed next step: the optimiser may use it as scratch
        update(trainable_grad, state, trainable_theta, lr, overwrite_grad=True)
    return total, np.array(norm_sum), steps


def _restart_state(plan, trainable_theta, start_state):
    """Put ``start_state`` back into ``plan.state``, or the initial state if None.

    The dict is updated in place: the estimator holds it.
    """
    if start_state is None:
        fresh = plan.fresh_state
        start_state = fresh() if fresh is not None else plan.optimizer.init(trainable_theta)
    else:
        start_state = _copy_state(start_state)
    plan.state.clear()
    plan.state.update(start_state)


def _copy_state(state, into=None):
    """Copy an optimiser state (dict of arrays and numbers) into ``into``, or anew.

    Scratch space (the entry ``"tmp"``, see ``optimizers``) is not copied.
    """
    if into is None:
        return {
            k: v.copy() if isinstance(v, np.ndarray) else v
            for k, v in state.items()
            if k != "tmp"
        }
    for key, value in state.items():
        if key == "tmp":
            continue
        if isinstance(value, np.ndarray):
            np.copyto(into[key], value)
        else:
            into[key] = value
    return into


def _last_loss(history):
    if history is None or len(history) == 0:
        return float("nan")
    return history.last("loss")
