"""Export a fitted sknnopt estimator as a fitted ``sklearn.neural_network`` one.

The exported model has the same layers, weights, activations and classes and
predicts identically; it serves deployment paths that know only scikit-learn's
MLP (skl2onnx's ONNX converter, for one). Hyperparameters scikit-learn lacks
are left at its defaults: they shape training, not prediction.
"""

import copy

import numpy as np
from sklearn.base import is_classifier
from sklearn.neural_network import MLPClassifier as SKMLPClassifier
from sklearn.neural_network import MLPRegressor as SKMLPRegressor
from sklearn.utils.validation import check_is_fitted

from ._compat import (
    InvalidParameterError,
    sklearn_mlp_activations,
    validate_parameter_constraints,
)

# sknnopt's hidden activations under scikit-learn's names
_ACTIVATION_NAMES = {
    "identity": "identity",
    "logistic": "logistic",
    "sigmoid": "logistic",
    "tanh": "tanh",
    "relu": "relu",
}

# fitted attributes copied as they are (when present)
_FITTED_ATTRIBUTES = (
    "n_features_in_",
    "feature_names_in_",
    "n_layers_",
    "n_outputs_",
    "out_activation_",
    "n_iter_",
    "t_",
    "loss_",
    "best_loss_",
    "loss_curve_",
    "validation_scores_",
    "best_validation_score_",
)


def to_sklearn(estimator):
    """Return a fitted scikit-learn MLP predicting like the fitted ``estimator``.

    Raises NotFittedError if ``estimator`` is not fitted, and ValueError for an
    activation (or output activation) that scikit-learn does not have.
    """
    check_is_fitted(estimator)
    activation = _ACTIVATION_NAMES.get(estimator.activation)
    if activation is None:
        raise ValueError(
            f"activation={estimator.activation!r} has no counterpart in "
            "sklearn.neural_network (which has 'identity', 'logistic', 'tanh' and "
            "'relu'): the model cannot be exported with to_sklearn()."
        )
    if estimator.out_activation_ not in sklearn_mlp_activations():
        raise ValueError(
            f"the output activation {estimator.out_activation_!r} (loss="
            f"{getattr(estimator, 'loss', None)!r}) is not supported by this version "
            "of scikit-learn's MLP: the model cannot be exported."
        )
    target_cls = SKMLPClassifier if is_classifier(estimator) else SKMLPRegressor
    own_params = estimator.get_params(deep=False)
    own_params["activation"] = activation
    params = {}
    for name in target_cls().get_params(deep=False):
        if name not in own_params:
            continue
        value = own_params[name]
        try:
            validate_parameter_constraints(
                {name: target_cls._parameter_constraints[name]},
                {name: value},
                caller_name=target_cls.__name__,
            )
        except InvalidParameterError:
            continue  # a value only sknnopt has (e.g. solver='rmsprop'): default
        params[name] = copy.deepcopy(value)
    exported = target_cls(**params)

    exported.coefs_ = [np.array(W, copy=True) for W in estimator.coefs_]
    exported.intercepts_ = [np.array(b, copy=True) for b in estimator.intercepts_]
    for name in _FITTED_ATTRIBUTES:
        if hasattr(estimator, name):
            setattr(exported, name, copy.deepcopy(getattr(estimator, name)))
    if is_classifier(estimator):
        exported._label_binarizer = copy.deepcopy(estimator._label_binarizer)
        exported.classes_ = exported._label_binarizer.classes_
    return exported
