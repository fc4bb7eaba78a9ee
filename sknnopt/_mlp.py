"""MLPClassifier and MLPRegressor: target encoding, output decoding, predict."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import column_or_1d
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import check_is_fitted

from ._base import BaseMLP
from ._compat import (
    Interval,
    StrOptions,
    _check_partial_fit_first_call,
    _fit_context,
    validate_data,
)
from ._docstrings import fill as fill_docstring
from ._typing import ArrayLike, MatrixLike
from .semi_supervised import check_partial_fit


def _first_order(estimator):
    """partial_fit exists only for first-order solvers."""
    if estimator.solver == "lbfgs":
        raise AttributeError(
            "partial_fit is only available for first-order solvers; "
            "'lbfgs' is a full-batch solver."
        )
    return True


@fill_docstring
class MLPClassifier(ClassifierMixin, BaseMLP):
    """Multi-layer perceptron classifier with the deep-learning training toolbox.

    A drop-in superset of :class:`sklearn.neural_network.MLPClassifier`: every
    parameter of scikit-learn's estimator has the same name, meaning and
    default; ``weight_init`` and the parameters after ``max_fun`` are
    sknnopt's own. It minimises the cross-entropy (softmax output for
    multiclass, logistic outputs for binary and multilabel targets).

    Parameters
    ----------
%(shared_parameters)s
    semi_supervised : {'self_training', 'autoencoder'} or None, default=None
        How samples labeled ``-1`` take part in ``fit`` (only when set; with
        None, ``-1`` is an ordinary class). ``'self_training'``: rounds of
        pseudo-labelling predictions with probability at least
        ``self_training_threshold``; ``'autoencoder'``: the hidden layers are
        first trained to reconstruct all of X for ``pretrain_max_iter`` epochs.
    self_training_threshold : float, default=0.75
        Minimum predicted probability (inclusive) for a pseudo-label. Only
        used when ``semi_supervised='self_training'``.
    self_training_max_iter : int, default=10
        Maximum self-training rounds. Only used when
        ``semi_supervised='self_training'``.
    self_training_fine_tune : bool, default=True
        After the rounds, train once more on the true labels only. Only used
        when ``semi_supervised='self_training'``.
    pretrain_max_iter : int, default=50
        Epochs of autoencoder pretraining. Only used when
        ``semi_supervised='autoencoder'``.
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, multiplied into ``sample_weight`` (as in
        scikit-learn's linear models); ``'balanced'`` is refused by
        ``partial_fit``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
%(shared_attributes)s
    out_activation_ : str
        Output activation (``'softmax'`` or ``'logistic'``).
    transduction_ : ndarray of shape (n_samples,)
        Self-training only: the label used for each training sample, -1 for
        samples never labeled.
    labeled_iter_ : ndarray of shape (n_samples,)
        Self-training only: round in which each sample got its label (0 for
        the original labels, -1 never).
    n_pseudo_labeled_ : int
        Self-training only: number of pseudo-labeled samples.
    n_self_training_rounds_ : int
        Self-training only: rounds that added pseudo-labels (at most
        ``self_training_max_iter``).

    See Also
    --------
    MLPRegressor : The regressor with the same training toolbox.
    sklearn.neural_network.MLPClassifier : scikit-learn's estimator (see
        ``to_sklearn``).

    Notes
    -----
%(callback_notes)s

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sknnopt import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier(hidden_layer_sizes=(20,), solver="lbfgs",
    ...                     random_state=0).fit(X, y)
    >>> round(clf.score(X, y), 2) >= 0.95
    True
    >>> clf.stop_reason_ in ("tol", "max_iter")
    True
    >>> len(clf.history_["loss"]) == clf.n_iter_
    True
    """

    _parameter_constraints: dict = {
        **BaseMLP._parameter_constraints,
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "semi_supervised": [StrOptions({"self_training", "autoencoder"}), None],
        "self_training_threshold": [Interval(Real, 0, 1, closed="both")],
        "self_training_max_iter": [Interval(Integral, 0, None, closed="left")],
        "self_training_fine_tune": ["boolean"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        weight_init="auto",
        rho=0.9,
        weight_decay=0.01,
        decay_rate=0.9,
        decay_steps=10,
        dropout=0.0,
        clip_value=None,
        clip_norm=None,
        validation_interval=1,
        early_stopping_metric="score",
        pretrained_layers=None,
        frozen_layers=0,
        semi_supervised=None,
        self_training_threshold=0.75,
        self_training_max_iter=10,
        self_training_fine_tune=True,
        pretrain_max_iter=50,
        class_weight=None,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            loss="log_loss",
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            weight_init=weight_init,
            rho=rho,
            weight_decay=weight_decay,
            decay_rate=decay_rate,
            decay_steps=decay_steps,
            dropout=dropout,
            clip_value=clip_value,
            clip_norm=clip_norm,
            validation_interval=validation_interval,
            early_stopping_metric=early_stopping_metric,
            pretrained_layers=pretrained_layers,
            frozen_layers=frozen_layers,
            semi_supervised=semi_supervised,
            pretrain_max_iter=pretrain_max_iter,
        )
        self.self_training_threshold = self_training_threshold
        self.self_training_max_iter = self_training_max_iter
        self.self_training_fine_tune = self_training_fine_tune
        self.class_weight = class_weight

    # -- targets -----------------------------------------------------------
    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        return X, y

    def _encode_targets(self, y, first_pass, incremental, dtype):
        if first_pass and not incremental:
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if not incremental:  # a warm-started fit
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as "
                        f"in the previous call to fit. Previously got {self.classes_}, "
                        f"`y` has {classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    f"`y` has classes not in `self.classes_`. `self.classes_` has "
                    f"{self.classes_}. 'y' has {classes}."
                )
        # 0/1 indicators as uint8, not in ``dtype``: the network reads them
        # without an upcast (P - Y stays in the weights' dtype), and they take
        # a quarter (float32) or an eighth (float64) of the memory
        return self._label_binarizer.transform(y).astype(np.uint8, copy=False)

    def _loss_name(self):
        if self._label_binarizer.y_type_ == "multiclass":
            return "log_loss"
        return "binary_log_loss"

    def _extra_sample_weight(self, y, sample_weight):
        if self.class_weight is None:
            return sample_weight
        weights = compute_sample_weight(self.class_weight, y)
        return weights if sample_weight is None else weights * sample_weight

    def _decode(self, P):
        if self.n_outputs_ == 1:
            P = P.ravel()
        return self._label_binarizer.inverse_transform(P)

    def _score_output(self, P, y, sample_weight):
        return accuracy_score(y, self._decode(P), sample_weight=sample_weight)

    # -- public API --------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X: MatrixLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        *,
        X_val: MatrixLike | None = None,
        y_val: ArrayLike | None = None,
        sample_weight_val: ArrayLike | None = None,
    ) -> MLPClassifier:
        """Fit the model to X and y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels (a label-indicator matrix for multilabel).
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample.
        X_val, y_val : array-like, default=None
            Validation data, used instead of the ``validation_fraction`` split
            for early stopping and to fill the validation history.
        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Weights of the validation samples.

        Returns
        -------
        self : MLPClassifier
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False, X_val=X_val,
                         y_val=y_val, sample_weight_val=sample_weight_val)

    @available_if(_first_order)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(
        self,
        X: MatrixLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        classes: ArrayLike | None = None,
    ) -> MLPClassifier:
        """Run one epoch over X and y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample.
        classes : array-like of shape (n_classes,), default=None
            All classes; required on the first call.

        Returns
        -------
        self : MLPClassifier
            The updated estimator.
        """
        # before the first-call bookkeeping, so that a refused call changes nothing
        check_partial_fit(self)
        if self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: the class "
                "frequencies of a single batch are not those of the data set; pass "
                "a dict of class weights instead."
            )
        saved = dict(self.__dict__)
        try:
            if _check_partial_fit_first_call(self, classes):
                self._label_binarizer = LabelBinarizer()
                if type_of_target(y).startswith("multilabel"):
                    self._label_binarizer.fit(y)
                else:
                    self._label_binarizer.fit(classes)
            return self._fit(X, y, sample_weight, incremental=True)
        except BaseException:
            # a failed first call must not leave classes_ on an unfitted model
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise

    def predict(self, X: MatrixLike) -> np.ndarray:
        """Predict class labels for X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Predicted classes.
        """
        check_is_fitted(self)
        return self._decode(self._forward(X))

    def predict_proba(self, X: MatrixLike) -> np.ndarray:
        """Return class probabilities for X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns ordered as ``classes_``.
        """
        check_is_fitted(self)
        P = self._forward(X)
        if self.n_outputs_ == 1:
            P = P.ravel()
        if P.ndim == 1:
            return np.vstack([1 - P, P]).T
        return P

    def predict_log_proba(self, X: MatrixLike) -> np.ndarray:
        """Return the log of the class probabilities for X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``.
        """
        proba = self.predict_proba(X)
        return np.log(proba, out=proba)

    def score(
        self, X: MatrixLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> float:
        """Return the mean accuracy on X and y (subset accuracy for multilabel).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Test samples.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample.

        Returns
        -------
        score : float
            Mean accuracy of ``self.predict(X)`` against ``y``.
        """
        return super().score(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


@fill_docstring
class MLPRegressor(RegressorMixin, BaseMLP):
    """Multi-layer perceptron regressor with the deep-learning training toolbox.

    A drop-in superset of :class:`sklearn.neural_network.MLPRegressor`: every
    parameter of scikit-learn's estimator has the same name, meaning and
    default; ``weight_init`` and the parameters after ``max_fun`` are
    sknnopt's own.

    Parameters
    ----------
    loss : {'squared_error', 'poisson'}, default='squared_error'
        Half squared error summed over outputs (identity output; for one
        output, scikit-learn's loss), or half Poisson deviance (exp output,
        non-negative targets).
%(shared_parameters)s
%(semi_supervised_regressor)s

    Attributes
    ----------
%(shared_attributes)s
    out_activation_ : str
        Output activation (``'identity'`` or ``'exp'``).

    See Also
    --------
    MLPClassifier : The classifier with the same training toolbox.
    sklearn.neural_network.MLPRegressor : scikit-learn's estimator (see
        ``to_sklearn``).

    Notes
    -----
%(callback_notes)s

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sknnopt import MLPRegressor
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=1.0,
    ...                        random_state=0)
    >>> reg = MLPRegressor(hidden_layer_sizes=(32,), solver="lbfgs",
    ...                    max_iter=500, random_state=0).fit(X, y)
    >>> round(reg.score(X, y), 2) >= 0.95
    True
    """

    _parameter_constraints: dict = {
        **BaseMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
        "semi_supervised": [StrOptions({"autoencoder"}), None],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        weight_init="auto",
        rho=0.9,
        weight_decay=0.01,
        decay_rate=0.9,
        decay_steps=10,
        dropout=0.0,
        clip_value=None,
        clip_norm=None,
        validation_interval=1,
        early_stopping_metric="score",
        pretrained_layers=None,
        frozen_layers=0,
        semi_supervised=None,
        pretrain_max_iter=50,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            loss=loss,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            weight_init=weight_init,
            rho=rho,
            weight_decay=weight_decay,
            decay_rate=decay_rate,
            decay_steps=decay_steps,
            dropout=dropout,
            clip_value=clip_value,
            clip_norm=clip_norm,
            validation_interval=validation_interval,
            early_stopping_metric=early_stopping_metric,
            pretrained_layers=pretrained_layers,
            frozen_layers=frozen_layers,
            semi_supervised=semi_supervised,
            pretrain_max_iter=pretrain_max_iter,
        )

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            y_numeric=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, y

    def _encode_targets(self, y, first_pass, incremental, dtype):
        Y = np.asarray(y, dtype=dtype)
        if Y.ndim == 1:
            Y = Y.reshape(-1, 1)
        if self.loss == "poisson" and np.any(Y < 0):
            raise ValueError("loss='poisson' requires non-negative targets y.")
        return Y

    def _loss_name(self):
        return self.loss

    def _score_output(self, P, y, sample_weight):
        if P.shape[1] == 1:
            P = P.ravel()
        return r2_score(y, P, sample_weight=sample_weight)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(
        self,
        X: MatrixLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        *,
        X_val: MatrixLike | None = None,
        y_val: ArrayLike | None = None,
        sample_weight_val: ArrayLike | None = None,
    ) -> MLPRegressor:
        """Fit the model to X and y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample.
        X_val, y_val : array-like, default=None
            Validation data, used instead of the ``validation_fraction`` split.
        sample_weight_val : array-like of shape (n_val_samples,), default=None
            Weights of the validation samples.

        Returns
        -------
        self : MLPRegressor
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False, X_val=X_val,
                         y_val=y_val, sample_weight_val=sample_weight_val)

    @available_if(_first_order)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(
        self, X: MatrixLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> MLPRegressor:
        """Run one epoch over X and y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample.

        Returns
        -------
        self : MLPRegressor
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X: MatrixLike) -> np.ndarray:
        """Predict targets for X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions.
        """
        check_is_fitted(self)
        P = self._forward(X)
        if P.shape[1] == 1:
            return P.ravel()
        return P

    def score(
        self, X: MatrixLike, y: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> float:
        """Return the coefficient of determination R^2 of the predictions.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Test samples.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample.

        Returns
        -------
        score : float
            R^2 of ``self.predict(X)`` against ``y``.
        """
        return super().score(X, y, sample_weight=sample_weight)
