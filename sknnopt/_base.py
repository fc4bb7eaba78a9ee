"""The estimator contract shared by MLPClassifier and MLPRegressor.

Validation, the flat parameter buffer behind ``coefs_`` / ``intercepts_``,
warm start, pretrained and frozen layers, the training plan, and the fitted
attributes live here; target encoding and prediction decoding live in
``_mlp.py``.
"""

import copy
import warnings
from abc import ABC, abstractmethod
from numbers import Integral, Real
from typing import TYPE_CHECKING

import numpy as np
from sklearn.base import BaseEstimator, is_classifier
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._batching import resolve_batch_size
from ._compat import (
    CallbackSupportMixin,
    Interval,
    Options,
    StrOptions,
    _check_sample_weight,
)
from ._history import History
from ._layout import Layout
from ._lbfgs import fit_lbfgs
from ._network import Network, predict
from ._trainer import DIVERGENCE_ADVICE, Plan, _copy_state, _finite_outputs, train
from .activations import ACTIVATIONS
from .callbacks import (
    PlateauMonitor,
    ProgressPrinter,
    SklearnCallbacks,
    ValidationEvaluator,
)
from .initializers import INITIALIZERS, initialize
from .optimizers import OPTIMIZERS
from .schedules import SCHEDULES
from .semi_supervised import (
    check_partial_fit,
    clear_fitted_attributes,
    fit_semi_supervised,
)
from .transforms import GradientTransform

if TYPE_CHECKING:
    from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
    from sklearn.neural_network import MLPRegressor as SklearnMLPRegressor

FIRST_ORDER_SOLVERS = tuple(OPTIMIZERS)

# state of scikit-learn's callback machinery during a fit: kept when a failed
# fit restores the estimator, so that the callbacks are still torn down
_CALLBACK_FIT_STATE = ("_callback_fit_ctx", "_skl_callbacks_to_teardown")


class BaseMLP(CallbackSupportMixin, BaseEstimator, ABC):
    """Base class of the sknnopt multi-layer perceptrons; do not use directly.

    With scikit-learn >= 1.9, ``set_callbacks`` (``sklearn.callback``) makes
    a fit a task whose subtasks are the epochs (L-BFGS: its iterations).
    """

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "solver": [StrOptions(set(OPTIMIZERS) | {"lbfgs"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto", "full"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [StrOptions(set(SCHEDULES))],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "weight_init": [StrOptions(set(INITIALIZERS))],
        "rho": [Interval(Real, 0, 1, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "decay_rate": [Interval(Real, 0, None, closed="neither")],
        "decay_steps": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
        "clip_value": [None, Interval(Real, 0, None, closed="neither"), "array-like"],
        "clip_norm": [None, Interval(Real, 0, None, closed="neither")],
        "validation_interval": [Interval(Integral, 1, None, closed="left")],
        "early_stopping_metric": [StrOptions({"score", "loss"})],
        "pretrained_layers": "no_validation",
        "frozen_layers": [Interval(Integral, 0, None, closed="left")],
        "pretrain_max_iter": [Interval(Integral, 1, None, closed="left")],
    }

    @abstractmethod
    def __init__(
        self,
        hidden_layer_sizes,
        activation,
        solver,
        alpha,
        batch_size,
        learning_rate,
        learning_rate_init,
        power_t,
        max_iter,
        loss,
        shuffle,
        random_state,
        tol,
        verbose,
        warm_start,
        momentum,
        nesterovs_momentum,
        early_stopping,
        validation_fraction,
        beta_1,
        beta_2,
        epsilon,
        n_iter_no_change,
        max_fun,
        weight_init,
        rho,
        weight_decay,
        decay_rate,
        decay_steps,
        dropout,
        clip_value,
        clip_norm,
        validation_interval,
        early_stopping_metric,
        pretrained_layers,
        frozen_layers,
        semi_supervised,
        pretrain_max_iter,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.loss = loss
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.weight_init = weight_init
        self.rho = rho
        self.weight_decay = weight_decay
        self.decay_rate = decay_rate
        self.decay_steps = decay_steps
        self.dropout = dropout
        self.clip_value = clip_value
        self.clip_norm = clip_norm
        self.validation_interval = validation_interval
        self.early_stopping_metric = early_stopping_metric
        self.pretrained_layers = pretrained_layers
        self.frozen_layers = frozen_layers
        self.semi_supervised = semi_supervised
        self.pretrain_max_iter = pretrain_max_iter

    # ------------------------------------------------------------------
    # hooks of the subclasses
    @abstractmethod
    def _validate_input(self, X, y, incremental, reset):
        """Return validated X and y."""

    @abstractmethod
    def _encode_targets(self, y, first_pass, incremental, dtype):
        """Return Y of shape (n_samples, n_outputs) in ``dtype`` (or uint8 0/1)."""

    @abstractmethod
    def _loss_name(self):
        """Return the key of LOSSES the network trains with."""

    @abstractmethod
    def _score_output(self, P, y, sample_weight):
        """Return the score (accuracy or R^2) of network outputs P against y."""

    def _extra_sample_weight(self, y, sample_weight):
        """Return sample weights combined with class weights (classifier)."""
        return sample_weight

    # ------------------------------------------------------------------
    # parameters the constraint system cannot express
    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        if not hasattr(sizes, "__iter__"):
            sizes = [sizes]
        sizes = list(sizes)
        try:
            valid = all(int(s) == s and s > 0 for s in sizes)
        except (TypeError, ValueError):  # e.g. nested lists or strings
            valid = False
        if not valid:
            raise ValueError(
                f"hidden_layer_sizes must be positive integers, got {self.hidden_layer_sizes!r}."
            )
        return [int(s) for s in sizes]

    def _dropout_rates(self, n_hidden):
        rates = self.dropout
        if np.ndim(rates) == 0:
            return [float(rates)] * n_hidden
        rates = np.asarray(rates, dtype=float)
        if rates.ndim != 1 or rates.shape[0] != n_hidden:
            raise ValueError(
                f"dropout must be a float or have one rate per hidden layer "
                f"({n_hidden}), got {self.dropout!r}."
            )
        if np.any((rates < 0) | (rates >= 1)) or not np.all(np.isfinite(rates)):
            raise ValueError(f"every dropout rate must be in [0, 1), got {self.dropout!r}.")
        return [float(p) for p in rates]

    def _clip_range(self):
        c = self.clip_value
        if c is None:
            return None
        if np.ndim(c) == 0:
            return (-float(c), float(c))
        c = np.asarray(c, dtype=float)
        if c.shape != (2,) or not np.all(np.isfinite(c)):
            raise ValueError(
                f"clip_value must be a positive float or a (min, max) pair, got "
                f"{self.clip_value!r}."
            )
        if c[0] > c[1]:
            raise ValueError(f"clip_value must have min <= max, got {self.clip_value!r}.")
        return (float(c[0]), float(c[1]))

    def _check_extra_params(self, n_hidden):
        rates = self._dropout_rates(n_hidden)
        if self.solver == "lbfgs" and any(p > 0 for p in rates):
            raise ValueError(
                "dropout > 0 makes the objective random and cannot be used with "
                "solver='lbfgs'; use a first-order solver (e.g. 'adam')."
            )
        if self.frozen_layers > n_hidden:
            raise ValueError(
                f"frozen_layers={self.frozen_layers} is larger than the number of "
                f"hidden layers ({n_hidden})."
            )
        self._clip_range()
        return rates

    # ------------------------------------------------------------------
    # randomness
    def _make_rng(self):
        """Return the one generator of a fit, derived from random_state."""
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        return np.random.default_rng(seed)

    # ------------------------------------------------------------------
    # the flat parameter buffer behind coefs_ / intercepts_
    def __getstate__(self):
        # a copy: Python >= 3.11 hands back the live __dict__ (so pickling, or
        # copy.copy by a callback, would strip _theta from the estimator itself)
        state = dict(super().__getstate__())
        # views do not survive pickling: coefs_ and intercepts_ carry the values
        state.pop("_theta", None)
        return state

    def _link_views(self):
        self.coefs_, self.intercepts_ = self._layout.views(self._theta)

    def _sync_theta(self, layout, dtype):
        """Make ``_theta`` hold the current coefs_/intercepts_ and re-link views.

        Users may assign new lists or arrays (as in scikit-learn), and views
        are lost by pickling; the flat buffer is rebuilt from what is there.
        """
        coefs, intercepts = list(self.coefs_), list(self.intercepts_)
        if len(coefs) != layout.n_layers or len(intercepts) != layout.n_layers:
            raise ValueError(
                f"The fitted network has {len(coefs)} layers but the parameters ask "
                f"for {layout.n_layers} (hidden_layer_sizes={self.hidden_layer_sizes!r});"
                " warm_start and partial_fit need the same architecture."
            )
        for k in range(layout.n_layers):
            if np.shape(coefs[k]) != layout.shape(k) or np.shape(intercepts[k]) != (
                layout.shape(k)[1],
            ):
                raise ValueError(
                    f"Layer {k} has coefs_ of shape {np.shape(coefs[k])} and "
                    f"intercepts_ of shape {np.shape(intercepts[k])}, expected "
                    f"{layout.shape(k)} and ({layout.shape(k)[1]},): warm_start and "
                    "partial_fit need the same architecture and number of features."
                )
        theta = getattr(self, "_theta", None)
        if theta is None or theta.dtype != dtype or getattr(self, "_layout", None) != layout:
            theta = np.empty(layout.size, dtype=dtype)
            self._theta, self._layout = theta, layout
            own_W, own_b = [None] * layout.n_layers, [None] * layout.n_layers
        else:
            own_W, own_b = layout.views(theta)
        views_W, views_b = layout.views(theta)
        for k in range(layout.n_layers):
            if coefs[k] is not own_W[k] or not _is_view_of(coefs[k], theta):
                views_W[k][...] = coefs[k]
            if intercepts[k] is not own_b[k] or not _is_view_of(intercepts[k], theta):
                views_b[k][...] = intercepts[k]
        self._link_views()

    def _pretrained_pairs(self):
        """Return the (coef, intercept) pairs of ``pretrained_layers``."""
        source = self.pretrained_layers
        if source is None:
            return []
        if hasattr(source, "get_params") or hasattr(source, "fit"):
            estimator = source.estimator if isinstance(source, FrozenEstimator) else source
            name = type(estimator).__name__
            if not hasattr(estimator, "coefs_"):
                try:
                    check_is_fitted(estimator)
                except NotFittedError:
                    raise ValueError(
                        f"pretrained_layers is an unfitted {name}. clone (and so "
                        "GridSearchCV and cross-validation) makes an unfitted copy of "
                        "an estimator parameter: pass a fitted MLP wrapped in "
                        "sklearn.frozen.FrozenEstimator, which clone keeps fitted."
                    ) from None
                raise ValueError(
                    "pretrained_layers must be a multi-layer perceptron (sknnopt or "
                    f"sklearn.neural_network) or (coef, intercept) pairs, got {name}."
                )
            # all hidden layers, not the output layer (it belongs to the source task)
            return [
                (np.asarray(W), np.asarray(b))
                for W, b in zip(estimator.coefs_[:-1], estimator.intercepts_[:-1])
            ]
        try:
            pairs = [(np.asarray(W), np.asarray(b)) for W, b in source]
        except (TypeError, ValueError) as exc:
            raise ValueError(
                "pretrained_layers must be a fitted MLP or a sequence of "
                f"(coef, intercept) pairs, got {type(source).__name__}."
            ) from exc
        return pairs

    def _initialize(self, layout, dtype, rng, pretrained=None):
        """Allocate and initialise the flat parameters and the fit's records.

        ``pretrained`` (pairs of arrays) replaces ``pretrained_layers`` when given.
        """
        theta = np.empty(layout.size, dtype=dtype)
        initialize(layout, theta, rng, self.weight_init, self.activation)
        coefs, intercepts = layout.views(theta)
        pairs = self._pretrained_pairs() if pretrained is None else pretrained
        n_hidden = layout.n_layers - 1
        if len(pairs) > n_hidden:
            W, b = pairs[n_hidden]
            raise ValueError(
                f"pretrained_layers has {len(pairs)} layers but the network has only "
                f"{n_hidden} hidden layers: pretrained layer {n_hidden} (coef shape "
                f"{np.shape(W)}, intercept shape {np.shape(b)}) has no hidden layer "
                f"to go to; the network's hidden layers have coef shapes "
                f"{[coefs[k].shape for k in range(n_hidden)]}."
            )
        for k, (W, b) in enumerate(pairs):
            if W.shape != coefs[k].shape or b.shape != intercepts[k].shape:
                raise ValueError(
                    f"pretrained layer {k} has coef shape {W.shape} and intercept shape "
                    f"{b.shape}, but layer {k} of this network needs {coefs[k].shape} "
                    f"and {intercepts[k].shape}."
                )
            try:
                finite = np.isfinite(W).all() and np.isfinite(b).all()
            except TypeError:  # not numbers
                finite = False
            if not finite:
                raise ValueError(
                    f"pretrained layer {k} must hold finite numbers (no NaN or infinity); "
                    f"got coef dtype {W.dtype} and intercept dtype {b.dtype}."
                )
            coefs[k][...] = W
            intercepts[k][...] = b
        self._theta, self._layout = theta, layout
        self._link_views()
        self._history = History()
        self.t_ = 0
        self._optimizer_state = None
        self._plateau = None

    # ------------------------------------------------------------------
    # fitting
    def _fit(self, X, y, sample_weight=None, incremental=False, X_val=None, y_val=None,
             sample_weight_val=None):
        """Fit (semi-supervised when asked), restoring the estimator if anything fails."""
        saved = dict(self.__dict__)
        theta = getattr(self, "_theta", None)
        saved_theta = None if theta is None else theta.copy()
        saved_training = _save_training_state(self)
        validation = dict(X_val=X_val, y_val=y_val, sample_weight_val=sample_weight_val)
        try:
            # the fit task: its subtasks are the epochs (unknown in number when
            # semi-supervised rounds each train); its hooks see the user's data,
            # except with unlabeled markers that a scorer cannot take
            fit_ctx = self._init_callback_context(
                max_subtasks=None if self.semi_supervised else
                1 if incremental else self.max_iter
            )
            task_data = {} if self.semi_supervised else dict(
                X=X, y=y,
                metadata=None if sample_weight is None else {"sample_weight": sample_weight},
            )
            fit_ctx.call_on_fit_task_begin(estimator=self, **task_data)
            if self.semi_supervised is None:
                if not incremental:
                    clear_fitted_attributes(self)
                self._fit_unsafe(X, y, sample_weight, incremental, **validation)
            elif incremental:
                check_partial_fit(self)
            else:
                fit_semi_supervised(self, X, y, sample_weight, validation)
            fit_ctx.call_on_fit_task_end(
                estimator=self, reconstruction_attributes={}, **task_data
            )
            return self
        except BaseException:
            live = {k: self.__dict__[k] for k in _CALLBACK_FIT_STATE if k in self.__dict__}
            self.__dict__.clear()
            self.__dict__.update(saved)
            self.__dict__.update(live)
            if saved_theta is not None:
                np.copyto(self._theta, saved_theta)
            _restore_training_state(self, saved_training)
            raise

    def _epoch_tasks(self, X, y, sample_weight):
        """Return the controllers reporting epochs to scikit-learn callbacks (0 or 1)."""
        if not getattr(self, "_skl_callbacks", None):
            return []
        return [
            SklearnCallbacks(
                self._callback_fit_ctx,
                self,
                X,
                y,
                None if sample_weight is None else {"sample_weight": sample_weight},
                self._reconstruction_attributes,
                task_name="iteration" if self.solver == "lbfgs" else "epoch",
            )
        ]

    def _reconstruction_attributes(self, theta):
        """Return the attributes that make a copy of self predict with ``theta``.

        The copy gets its own flat buffer, so training it cannot touch self.
        """
        theta = theta.copy()
        coefs, intercepts = self._layout.views(theta)
        return {"_theta": theta, "coefs_": coefs, "intercepts_": intercepts}

    def _prepare_validation(self, X_val, y_val, sample_weight_val, dtype):
        if (X_val is None) != (y_val is None):
            raise ValueError("X_val and y_val must be given together.")
        if X_val is None:
            if sample_weight_val is not None:
                raise ValueError("sample_weight_val needs X_val and y_val.")
            return None
        X_val, y_val = self._validate_input(X_val, y_val, incremental=True, reset=False)
        X_val = X_val.astype(dtype, copy=False)
        Y_val = self._encode_targets(y_val, first_pass=False, incremental=True, dtype=dtype)
        if sample_weight_val is not None:
            sample_weight_val = _check_sample_weight(sample_weight_val, X_val, dtype=dtype)
            if np.any(sample_weight_val < 0):
                raise ValueError("Negative values in sample_weight_val are not allowed.")
        return X_val, Y_val, y_val, sample_weight_val

    def _split_validation(self, X, Y, y, sample_weight, rng):
        stratify = y if (is_classifier(self) and Y.shape[1] == 1) else None
        seed = int(rng.integers(np.iinfo(np.int32).max))
        arrays = [X, Y, y] + ([] if sample_weight is None else [sample_weight])
        parts = train_test_split(
            *arrays,
            random_state=seed,
            test_size=self.validation_fraction,
            stratify=stratify,
        )
        train_parts, val_parts = parts[0::2], parts[1::2]
        if val_parts[0].shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        if sample_weight is None:
            train_parts.append(None)
            val_parts.append(None)
        return train_parts, val_parts

    def _fit_unsafe(self, X, y, sample_weight, incremental, X_val=None, y_val=None,
                    sample_weight_val=None, pretrained=None, warm=False):
        """One fit or partial_fit; ``warm`` forces a warm start, ``pretrained``
        overrides ``pretrained_layers`` (both for semi-supervised rounds)."""
        hidden = self._hidden_sizes()
        rates = self._check_extra_params(len(hidden))
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        continues = self.warm_start or warm or incremental
        first_pass = not hasattr(self, "coefs_") or not continues
        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        if not first_pass:
            X = X.astype(self._theta_dtype(), copy=False)
        dtype = X.dtype
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=dtype)
            if np.any(sample_weight < 0):
                raise ValueError("Negative values in sample_weight are not allowed.")
            if not np.any(sample_weight > 0):
                raise ValueError("Sample weights must contain at least one non-zero number.")
        sample_weight = self._extra_sample_weight(y, sample_weight)
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=dtype)
        Y = self._encode_targets(y, first_pass, incremental, dtype)
        validation = self._prepare_validation(X_val, y_val, sample_weight_val, dtype)

        layout = Layout([X.shape[1]] + hidden + [Y.shape[1]])
        rng = self._make_rng()
        if first_pass:
            self._initialize(layout, dtype, rng, pretrained)
        else:
            self._sync_theta(layout, dtype)
        self.n_outputs_ = Y.shape[1]
        self.n_layers_ = layout.n_layers + 1
        loss_name = self._loss_name()
        network = Network(layout, self.activation, loss_name, self.alpha, rates)
        self.out_activation_ = network.loss.output_name

        if self.solver == "lbfgs":
            tasks = self._epoch_tasks(X, y, sample_weight)
            self._fit_lbfgs(network, X, Y, sample_weight, validation, tasks)
        else:
            if validation is None and self.early_stopping:
                (X, Y, y, sample_weight), val = self._split_validation(
                    X, Y, y, sample_weight, rng
                )
                validation = (val[0], val[1], val[2], val[3])
            tasks = self._epoch_tasks(X, y, sample_weight)
            self._fit_first_order(
                network, X, Y, sample_weight, validation, incremental, first_pass, rng,
                tasks,
            )
        if not _finite_outputs(network, self._theta, X):
            raise ValueError(
                "The fitted network gives non-finite outputs on its training data: "
                f"{DIVERGENCE_ADVICE}."
            )
        self._link_views()
        return self

    def _theta_dtype(self):
        theta = getattr(self, "_theta", None)
        if theta is not None:
            return theta.dtype
        return np.asarray(self.coefs_[0]).dtype

    def _fit_lbfgs(self, network, X, Y, sample_weight, validation=None, tasks=()):
        history = self._history
        controllers = []
        if validation is not None:
            controllers.append(self._validation_evaluator(network, validation))
        if self.verbose:
            controllers.append(ProgressPrinter())
        controllers.extend(tasks)
        n_before = len(history)
        n_iter, loss, reason = fit_lbfgs(
            network,
            self._theta,
            X,
            Y,
            sample_weight,
            first_layer=self.frozen_layers,
            max_iter=self.max_iter,
            max_fun=self.max_fun,
            tol=self.tol,
            history=history,
            controllers=controllers,
        )
        # (interrupted before the first iteration ends: no loss, starting weights)
        finite_loss = np.isfinite(loss) or (reason == "interrupted" and len(history) == n_before)
        if not (finite_loss and np.isfinite(self._theta).all()):
            raise ValueError(
                "L-BFGS produced non-finite parameter weights or loss: scale the "
                "inputs (e.g. StandardScaler) or increase alpha."
            )
        self.n_iter_ = n_iter
        self.loss_ = loss
        self.t_ += X.shape[0] * max(len(history) - n_before, 0)
        self.stop_reason_ = reason
        self._set_history_attributes(early_stopping=False)

    def _schedule_params(self):
        return {
            "learning_rate_init": self.learning_rate_init,
            "power_t": self.power_t,
            "decay_rate": self.decay_rate,
            "decay_steps": self.decay_steps,
            "max_iter": self.max_iter,
        }

    def _optimizer_params(self):
        return {
            "momentum": self.momentum,
            "nesterovs_momentum": self.nesterovs_momentum,
            "rho": self.rho,
            "epsilon": self.epsilon,
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "weight_decay": self.weight_decay,
        }

    def _fit_first_order(
        self, network, X, Y, sample_weight, validation, incremental, first_pass, rng,
        tasks=(),
    ):
        layout = network.layout
        offset = layout.offset(self.frozen_layers)
        optimizer = OPTIMIZERS[self.solver](self._optimizer_params())
        key = (self.solver, offset, layout.size, self._theta.dtype.str)
        state = getattr(self, "_optimizer_state", None)

        def fresh_state():
            return optimizer.init(self._theta[offset:], layout.weight_mask(offset))

        state_is_fresh = (
            not incremental or state is None or getattr(self, "_optimizer_key", None) != key
        )
        if state_is_fresh:
            state = fresh_state()
            self._optimizer_state, self._optimizer_key = state, key
        if not incremental or first_pass:
            # schedules restart at every fit and continue across partial_fit
            # (a first partial_fit call starts them too)
            self._schedule_epoch, self._schedule_samples = 0, 0
            self._lr_scale = 1.0
        schedule_fn = SCHEDULES[self.learning_rate]
        params = self._schedule_params()

        def schedule(epoch, samples_seen):
            return schedule_fn(epoch, samples_seen, params)

        clip = self._clip_range()
        plan = Plan(
            network=network,
            optimizer=optimizer,
            state=state,
            schedule=schedule,
            batch_size=self._batch_size(X.shape[0]),
            shuffle=self.shuffle,
            rng=rng,
            first_layer=self.frozen_layers,
            transform=GradientTransform(clip_value=clip, clip_norm=self.clip_norm),
            fresh_state=fresh_state,
        )
        controllers = []
        early_stopping = self.early_stopping and validation is not None
        if validation is not None:
            controllers.append(self._validation_evaluator(network, validation))
        adaptive = self.learning_rate == "adaptive"
        if early_stopping:
            by_score = self.early_stopping_metric == "score"
            plateau = PlateauMonitor(
                "val_score" if by_score else "val_loss",
                higher_is_better=by_score,
                tol=self.tol,
                n_iter_no_change=self.n_iter_no_change,
                adaptive=adaptive,
                reason="early_stopping",
                keep_best=True,
            )
        elif incremental and getattr(self, "_plateau", None) is not None:
            plateau = self._plateau
        else:
            plateau = PlateauMonitor(
                "loss",
                higher_is_better=False,
                tol=self.tol,
                n_iter_no_change=self.n_iter_no_change,
                adaptive=adaptive,
                reason="tol",
            )
        controllers.append(plateau)
        if self.verbose:
            controllers.append(ProgressPrinter())
        controllers.extend(tasks)

        outcome = train(
            plan,
            self._theta,
            X,
            Y,
            sample_weight,
            max_epochs=1 if incremental else self.max_iter,
            epoch0=self._schedule_epoch,
            samples_seen=self._schedule_samples,
            lr_scale=self._lr_scale,
            controllers=controllers,
            history=self._history,
            start_is_good=not first_pass,
            state_is_fresh=state_is_fresh,
        )
        self._lr_scale = outcome.lr_scale
        self._plateau = None if early_stopping else plateau
        self.n_iter_ = outcome.n_epochs
        self.t_ += outcome.n_epochs * X.shape[0]
        self._schedule_epoch += outcome.n_epochs
        self._schedule_samples = outcome.samples_seen
        self.loss_ = outcome.loss
        self.stop_reason_ = outcome.stop_reason
        self._set_history_attributes(early_stopping, plateau if early_stopping else None)
        if outcome.stop_reason == "max_iter" and not incremental:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached "
                "and the optimization hasn't converged yet.",
                ConvergenceWarning,
            )

    def _validation_evaluator(self, network, validation):
        Xv, Yv, yv, wv = validation
        return ValidationEvaluator(
            score=lambda theta: self._validation_score(network, theta, Xv, yv, wv),
            loss=lambda theta: network.data_loss(theta, Xv, Yv, wv),
            interval=self.validation_interval,
        )

    def _batch_size(self, n_samples):
        if isinstance(self.batch_size, Integral) and self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is going "
                "to be clipped"
            )
        return resolve_batch_size(self.batch_size, n_samples)

    def _validation_score(self, network, theta, X, y, sample_weight):
        coefs, intercepts = network.layout.views(theta)
        P = predict(coefs, intercepts, X, self.activation, network.loss.output_name)
        if not np.isfinite(P).all():
            return np.nan
        return self._score_output(P, y, sample_weight)

    def _set_history_attributes(self, early_stopping, plateau=None):
        history = self._history
        self.history_ = history.as_dict()
        self.loss_curve_ = history.loss_curve
        scores = history.validation_scores
        if early_stopping:
            self.validation_scores_ = scores
            if plateau is not None and plateau.key == "val_loss":
                # a score, as sklearn's: that of the restored best-loss evaluation
                n = len(history)
                best = [
                    self.history_["val_score"][i]
                    for i in range(n - self.n_iter_, n)
                    if self.history_["val_loss"][i] == plateau.best_value
                ]
                self.best_validation_score_ = best[0] if best else None
            else:
                self.best_validation_score_ = plateau.best_value if plateau else max(scores)
            self.best_loss_ = None
        else:
            self.validation_scores_ = scores
            self.best_validation_score_ = None if scores is None else float(np.nanmax(scores))
            losses = [v for v in self.loss_curve_ if v is not None and np.isfinite(v)]
            self.best_loss_ = min(losses) if losses else None

    # ------------------------------------------------------------------
    # prediction
    def _forward(self, X, check_input=True):
        """Return the network output for X (validated unless told not to)."""
        check_is_fitted(self)
        if check_input:
            from ._compat import validate_data

            X = validate_data(
                self,
                X,
                accept_sparse=["csr", "csc"],
                dtype=(np.float64, np.float32),
                reset=False,
            )
        return predict(self.coefs_, self.intercepts_, X, self.activation, self.out_activation_)

    def to_sklearn(self) -> "SklearnMLPClassifier | SklearnMLPRegressor":
        """Return a fitted ``sklearn.neural_network`` estimator predicting identically.

        The exported model has the same layers, weights, activation, output
        activation and classes (for deployment, or ONNX export through
        skl2onnx). Hyperparameters scikit-learn lacks are left at its defaults.

        Returns
        -------
        estimator : sklearn.neural_network.MLPClassifier or MLPRegressor
            A fitted copy; later changes to this estimator do not affect it.

        Raises
        ------
        NotFittedError
            If this estimator is not fitted.
        ValueError
            If scikit-learn has no counterpart of the activation (``'leaky_relu'``).
        """
        from ._export import to_sklearn

        return to_sklearn(self)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _save_training_state(est):
    """Copy what training changes in place besides theta (``_fit`` restores it).

    A shallow copy of ``__dict__`` keeps the same history, optimiser state and
    plateau counters, which a failed call may already have changed.
    """
    history = est.__dict__.get("_history")
    state = est.__dict__.get("_optimizer_state")
    return {
        "history": history,
        "n_records": None if history is None else len(history),
        "optimizer_state": None if state is None else _copy_state(state),
        "plateau": copy.deepcopy(est.__dict__.get("_plateau")),
    }


def _restore_training_state(est, saved):
    """Undo what a failed call did to the state saved by _save_training_state."""
    if saved["history"] is not None:
        saved["history"].truncate(saved["n_records"])
    if "_optimizer_state" in est.__dict__:
        est._optimizer_state = saved["optimizer_state"]
    if "_plateau" in est.__dict__:
        est._plateau = saved["plateau"]


def _is_view_of(array, base):
    return isinstance(array, np.ndarray) and np.shares_memory(array, base)
