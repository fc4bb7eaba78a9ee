"""Training controllers: called at the end of every epoch, they may stop
training (by returning a stop reason) or cut the learning rate.

A controller has ``on_epoch_end(ctx, record)`` returning None or a stop
reason, and ``on_train_end(ctx, stop_reason)``, called once however training
ends (diverged and interrupted included). ``on_epoch_begin(ctx)`` is an
optional hook called before each epoch's first step (L-BFGS: before each
iteration's first evaluation). ``ctx`` is the trainer's
:class:`TrainingContext`; ``record`` is the epoch's history record, which a
controller may fill in (the validation entries).
"""

import numpy as np

# scikit-learn's 'adaptive' rate stops training once it falls to this value
MIN_ADAPTIVE_LR = 1e-6


class TrainingContext:
    """Mutable state the trainer shares with its controllers.

    Attributes
    ----------
    theta : ndarray
        The flat parameters (changed in place by the trainer).
    epoch : int
        Epochs completed in this call (1-based once the first one ends).
    lr_scale : float
        Factor on the scheduled rate, cut on plateaus by ``'adaptive'``.
    lr : float
        Rate used in the epoch that just ended.
    """

    def __init__(self, theta):
        self.theta = theta
        self.epoch = 0
        self.lr_scale = 1.0
        self.lr = None


class ValidationEvaluator:
    """Fill ``val_score`` and ``val_loss`` every ``interval`` epochs.

    Parameters
    ----------
    score : callable
        ``score(theta)`` -> validation score, higher is better.
    loss : callable
        ``loss(theta)`` -> validation data loss (no L2), lower is better.
    interval : int
    """

    def __init__(self, score, loss, interval=1):
        self.score, self.loss, self.interval = score, loss, interval

    def on_epoch_end(self, ctx, record):
        if ctx.epoch % self.interval == 0:
            record["val_score"] = float(self.score(ctx.theta))
            record["val_loss"] = float(self.loss(ctx.theta))
        return None

    def on_train_end(self, ctx, stop_reason):
        pass


class PlateauMonitor:
    """Stop (or, with ``adaptive``, divide the rate by 5) on a plateau.

    Watches one record entry at the epochs where it is present. Training
    stops at the first such epoch at which more than ``n_iter_no_change``
    epochs have passed since the last improvement; with an entry present
    every epoch this is scikit-learn's rule.

    Parameters
    ----------
    key : {'loss', 'val_loss', 'val_score'}
    higher_is_better : bool
        An improvement is ``> best + tol`` if True, ``< best - tol`` if False.
    tol : float
    n_iter_no_change : int or inf
    adaptive : bool
        Cut the rate instead of stopping until it falls to 1e-6.
    reason : str
        Stop reason to report ('tol' or 'early_stopping').
    keep_best : bool
        Snapshot the parameters at the best value (strictly better) and
        restore them when training ends (early stopping).
    best : float or None
        Best value so far (carried over from earlier calls).
    """

    def __init__(
        self,
        key,
        higher_is_better,
        tol,
        n_iter_no_change,
        adaptive=False,
        reason="tol",
        keep_best=False,
        best=None,
    ):
        self.key = key
        self.sign = 1.0 if higher_is_better else -1.0
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.adaptive = adaptive
        self.reason = reason
        self.keep_best = keep_best
        self.best = -np.inf if best is None else self.sign * best
        self.best_theta = None
        self.since_improvement = 0

    @property
    def best_value(self):
        return self.sign * self.best if np.isfinite(self.best) else None

    def on_epoch_end(self, ctx, record):
        # counted in epochs, evaluated or not, so the interval is honoured
        self.since_improvement += 1
        value = record.get(self.key)
        if value is None:
            return None
        signed = self.sign * value
        if signed > self.best + self.tol:
            self.since_improvement = 0
        if signed > self.best:
            self.best = signed
            if self.keep_best:
                if self.best_theta is None:
                    self.best_theta = ctx.theta.copy()
                else:
                    np.copyto(self.best_theta, ctx.theta)
        if self.since_improvement > self.n_iter_no_change:
            if self.adaptive and ctx.lr > MIN_ADAPTIVE_LR:
                ctx.lr_scale /= 5.0
                self.since_improvement = 0
                return None
            return self.reason
        return None

    def on_train_end(self, ctx, stop_reason):
        if self.keep_best and self.best_theta is not None and stop_reason in (
            "early_stopping",
            "max_iter",
            "callback",
        ):
            np.copyto(ctx.theta, self.best_theta)


class ProgressPrinter:
    """Print one line per epoch: loss, validation loss/score, rate, seconds."""

    def on_epoch_end(self, ctx, record):
        parts = [f"Iteration {record['epoch']}, loss = {record['loss']:.8f}"]
        if record.get("val_loss") is not None:
            parts.append(f"val_loss = {record['val_loss']:.8f}")
            parts.append(f"val_score = {record['val_score']:.6f}")
        if record.get("learning_rate") is not None:
            parts.append(f"lr = {record['learning_rate']:.3g}")
        parts.append(f"{record['time']:.3f}s")
        print(", ".join(parts))
        return None

    def on_train_end(self, ctx, stop_reason):
        pass


class SklearnCallbacks:
    """Report each epoch to scikit-learn callbacks as a subtask of the fit task.

    ``sklearn.callback.ProgressBar`` then advances once per epoch, and
    callbacks asking for a ``fitted_estimator`` (``ScoringMonitor``) get one
    predicting with the weights of that moment. A callback whose
    ``on_fit_task_end`` returns True stops training with reason
    ``'callback'``.

    Parameters
    ----------
    fit_context : sklearn.callback.CallbackContext
        The context of the estimator's fit task.
    estimator : estimator
        The estimator being fitted (passed to the hooks).
    X, y : arrays
        The training data of the epochs.
    metadata : dict or None
        ``{'sample_weight': ...}`` when the training samples are weighted.
    reconstruction_attributes : callable
        ``reconstruction_attributes(theta)`` -> dict of the fitted attributes
        of an estimator predicting with ``theta``; only called when a callback
        asks for a ``fitted_estimator``.
    task_name : str
    """

    def __init__(self, fit_context, estimator, X, y, metadata, reconstruction_attributes,
                 task_name="epoch"):
        self.fit_context = fit_context
        self.estimator = estimator
        self.X, self.y, self.metadata = X, y, metadata
        self.reconstruction_attributes = reconstruction_attributes
        self.task_name = task_name
        self._task = None

    def _hook_args(self, ctx):
        return dict(
            estimator=self.estimator,
            X=self.X,
            y=self.y,
            metadata=self.metadata,
            # evaluated lazily, and only if a callback wants a fitted estimator
            reconstruction_attributes=lambda: self.reconstruction_attributes(ctx.theta),
        )

    def on_epoch_begin(self, ctx):
        self._task = self.fit_context.subcontext(task_name=self.task_name)
        self._task.call_on_fit_task_begin(**self._hook_args(ctx))

    def on_epoch_end(self, ctx, record):
        task, self._task = self._task, None
        if task is not None and task.call_on_fit_task_end(**self._hook_args(ctx)):
            return "callback"
        return None

    def on_train_end(self, ctx, stop_reason):
        # an epoch begun but not completed (divergence, interrupt, the last
        # L-BFGS evaluations) ends as an empty task, so every begin has its end
        if self._task is not None:
            self._task.call_on_fit_task_end(estimator=self.estimator)
            self._task = None
