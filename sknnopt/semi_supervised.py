"""Semi-supervised fits: self-training and autoencoder pretraining.

Unlabeled samples are marked ``-1`` (classifier) or NaN (regressor), as in
:mod:`sklearn.semi_supervised`, and only when ``semi_supervised`` is set.
Both procedures drive the estimator's own training (``_fit_unsafe``): a
self-training round is a warm-started fit on labeled + pseudo-labeled rows,
and the autoencoder is an :class:`~sknnopt.MLPRegressor` with the same hidden
layers fitted on ``(X, X)``.
"""

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_array, check_consistent_length, column_or_1d

from ._compat import _check_sample_weight, validate_data

UNLABELED = -1

# what a semi-supervised fit records; a later cold fit drops them so that they
# always describe the current model
FITTED_ATTRIBUTES = (
    "transduction_",
    "labeled_iter_",
    "n_pseudo_labeled_",
    "n_self_training_rounds_",
    "autoencoder_loss_curve_",
)


def clear_fitted_attributes(estimator):
    """Drop the attributes of an earlier semi-supervised fit."""
    for name in FITTED_ATTRIBUTES:
        estimator.__dict__.pop(name, None)


def check_partial_fit(estimator):
    """Raise a ValueError when ``semi_supervised`` is set: it is a procedure of fit.

    Called before partial_fit touches the estimator, so a refused call changes
    nothing.
    """
    if estimator.semi_supervised is not None:
        raise ValueError(
            f"semi_supervised={estimator.semi_supervised!r} is a procedure of fit; "
            "partial_fit trains on labeled samples only: set semi_supervised=None "
            "to use it."
        )


def _labeled_mask(estimator, y):
    """Return the boolean mask of labeled rows (y != -1, or y not NaN)."""
    if is_classifier(estimator):
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(
                "semi_supervised needs a 1-D target: multilabel and multi-output "
                "targets are not supported."
            )
        if y.dtype.kind in "US":
            # a list mixing strings and -1 becomes strings, where -1 is '-1'
            raise ValueError(
                "semi_supervised got string labels, which cannot hold the unlabeled "
                "marker -1: pass y as an object array (e.g. "
                "np.array(labels, dtype=object)) with the integer -1 for unlabeled "
                "samples."
            )
        # elementwise also for object arrays: strings are never the marker
        return np.asarray(y != UNLABELED, dtype=bool)
    y = np.asarray(y, dtype=float)
    finite_or_nan = np.isfinite(y) | np.isnan(y)
    if not np.all(finite_or_nan):
        raise ValueError("Input y contains infinity.")
    return ~np.isnan(y).any(axis=1) if y.ndim == 2 else ~np.isnan(y)


def _validate(estimator, X, y, sample_weight):
    """Validate X (recording n_features_in_) and y with its unlabeled marker."""
    X = validate_data(
        estimator,
        X,
        accept_sparse=["csr", "csc"],
        dtype=(np.float64, np.float32),
        reset=True,
    )
    if is_classifier(estimator):
        y = check_array(y, ensure_2d=False, dtype=None, ensure_all_finite=True)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
    else:
        y = check_array(y, ensure_2d=False, dtype=np.float64,
                        ensure_all_finite="allow-nan")
    check_consistent_length(X, y)
    if sample_weight is not None:
        sample_weight = _check_sample_weight(sample_weight, X)
    labeled = _labeled_mask(estimator, y)
    if not labeled.any():
        marker = "-1" if is_classifier(estimator) else "NaN"
        raise ValueError(
            f"semi_supervised={estimator.semi_supervised!r} needs at least one "
            f"labeled sample; every target is the unlabeled marker {marker}."
        )
    return X, y, sample_weight, labeled


def _rows(A, mask):
    return None if A is None else A[mask]


def fit_semi_supervised(estimator, X, y, sample_weight, fit_kwargs):
    """Fit ``estimator`` with its ``semi_supervised`` procedure; return it."""
    X, y, sample_weight, labeled = _validate(estimator, X, y, sample_weight)
    clear_fitted_attributes(estimator)
    # the inner fits and predictions see plain arrays: without the names for
    # now, so that they neither drop nor warn about them
    names = estimator.__dict__.pop("feature_names_in_", None)
    if estimator.semi_supervised == "autoencoder":
        _fit_autoencoder(estimator, X, y, sample_weight, labeled, fit_kwargs)
    else:
        _fit_self_training(estimator, X, y, sample_weight, labeled, fit_kwargs)
    # the inner fits saw plain arrays; keep the names of the user's X
    if names is not None:
        estimator.feature_names_in_ = names
    return estimator


def _fit_autoencoder(estimator, X, y, sample_weight, labeled, fit_kwargs):
    """Pretrain the hidden layers to reconstruct X, then fit on labeled rows."""
    from ._mlp import MLPRegressor

    if estimator.pretrained_layers is not None:
        raise ValueError(
            "semi_supervised='autoencoder' initialises the hidden layers itself; "
            "it cannot be combined with pretrained_layers."
        )
    hidden = estimator._hidden_sizes()
    pairs = []
    # warm start takes precedence over pretraining, as over pretrained_layers
    continues = estimator.warm_start and hasattr(estimator, "coefs_")
    estimator.autoencoder_loss_curve_ = []
    if hidden and not continues:
        target = X.toarray() if sp.issparse(X) else X
        autoencoder = MLPRegressor(
            hidden_layer_sizes=hidden,
            activation=estimator.activation,
            solver=estimator.solver,
            alpha=estimator.alpha,
            batch_size=estimator.batch_size,
            learning_rate=estimator.learning_rate,
            learning_rate_init=estimator.learning_rate_init,
            power_t=estimator.power_t,
            decay_rate=estimator.decay_rate,
            decay_steps=estimator.decay_steps,
            max_iter=estimator.pretrain_max_iter,
            shuffle=estimator.shuffle,
            random_state=estimator.random_state,
            tol=0.0,
            n_iter_no_change=estimator.pretrain_max_iter + 1,
            momentum=estimator.momentum,
            nesterovs_momentum=estimator.nesterovs_momentum,
            beta_1=estimator.beta_1,
            beta_2=estimator.beta_2,
            epsilon=estimator.epsilon,
            weight_init=estimator.weight_init,
            rho=estimator.rho,
            weight_decay=estimator.weight_decay,
            dropout=estimator.dropout,
            clip_value=estimator.clip_value,
            clip_norm=estimator.clip_norm,
            max_fun=estimator.max_fun,
            verbose=estimator.verbose,
        )
        with warnings.catch_warnings():
            # a fixed pretraining budget is the point, not convergence
            warnings.simplefilter("ignore", ConvergenceWarning)
            autoencoder.fit(X, target, sample_weight=sample_weight)
        pairs = [
            (W.copy(), b.copy())
            for W, b in zip(autoencoder.coefs_[:-1], autoencoder.intercepts_[:-1])
        ]
        estimator.autoencoder_loss_curve_ = list(autoencoder.loss_curve_)
    estimator._fit_unsafe(
        X[labeled], y[labeled], _rows(sample_weight, labeled), incremental=False,
        pretrained=pairs, **fit_kwargs,
    )


def _fit_self_training(estimator, X, y, sample_weight, labeled, fit_kwargs):
    """Rounds of pseudo-labelling confident predictions, then a fine-tune."""
    estimator._fit_unsafe(
        X[labeled], y[labeled], _rows(sample_weight, labeled), incremental=False,
        **fit_kwargs,
    )
    # rows never labeled keep their -1 marker; string labels need an object array
    transduction = np.array(y, dtype=object if y.dtype.kind in "US" else y.dtype)
    labeled_iter = np.where(labeled, 0, -1)
    classes = estimator.classes_
    rounds = 0
    for round_ in range(1, estimator.self_training_max_iter + 1):
        candidates = np.flatnonzero(labeled_iter == -1)
        if candidates.size == 0:
            break
        proba = estimator.predict_proba(X[candidates])
        confidence = proba.max(axis=1)
        chosen = confidence >= estimator.self_training_threshold
        if not chosen.any():
            break
        rows = candidates[chosen]
        transduction[rows] = classes[proba[chosen].argmax(axis=1)]
        labeled_iter[rows] = round_
        rounds = round_
        train = labeled_iter >= 0
        estimator._fit_unsafe(
            X[train], transduction[train], _rows(sample_weight, train),
            incremental=False, warm=True, **fit_kwargs,
        )
    if estimator.self_training_fine_tune and rounds > 0:
        estimator._fit_unsafe(
            X[labeled], y[labeled], _rows(sample_weight, labeled), incremental=False,
            warm=True, **fit_kwargs,
        )
    estimator.transduction_ = transduction
    estimator.labeled_iter_ = labeled_iter
    estimator.n_pseudo_labeled_ = int((labeled_iter > 0).sum())
    estimator.n_self_training_rounds_ = rounds
