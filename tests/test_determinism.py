"""The same random_state and data give bit-identical weights and predictions,
across separate fits, a refit of the same estimator, and clones."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from sknnopt import MLPClassifier, MLPRegressor


@pytest.fixture(scope="module", autouse=True)
def _one_blas_thread():
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


CONFIGS = [
    {},
    {"solver": "sgd", "batch_size": 1, "max_iter": 3},
    {"solver": "lbfgs"},
    {"solver": "rmsprop", "dropout": 0.3, "hidden_layer_sizes": (8, 4)},
    {"solver": "adamw", "dropout": [0.2, 0.5], "hidden_layer_sizes": (8, 4),
     "clip_norm": 0.5},
    {"solver": "adagrad", "early_stopping": True, "validation_fraction": 0.2},
    {"early_stopping": True, "early_stopping_metric": "loss", "validation_interval": 2},
    {"weight_init": "he_normal", "learning_rate": "cosine", "batch_size": "full"},
    {"weight_init": "lecun_normal", "activation": "leaky_relu", "shuffle": True},
]


def _data(cls):
    if cls is MLPClassifier:
        X, y = make_classification(80, 6, n_informative=4, n_redundant=0, n_classes=3,
                                   random_state=0)
    else:
        X, y = make_regression(80, 6, noise=1.0, random_state=0)
        y = y / 100
    return X, y


def _state(est, X):
    """Everything that must agree bit for bit: weights, curves, outputs."""
    out = est.predict_proba(X) if hasattr(est, "predict_proba") else est.predict(X)
    return {
        "coefs": [W.copy() for W in est.coefs_],
        "intercepts": [b.copy() for b in est.intercepts_],
        "loss_curve": list(est.loss_curve_),
        "validation_scores": est.validation_scores_,
        "n_iter": est.n_iter_,
        "outputs": out,
        "predict": est.predict(X),
    }


def _assert_identical(a, b):
    assert a.keys() == b.keys()
    for key in ("loss_curve", "validation_scores", "n_iter", "outputs", "predict"):
        np.testing.assert_array_equal(a[key], b[key])
    for Wa, Wb in zip(a["coefs"] + a["intercepts"], b["coefs"] + b["intercepts"]):
        assert Wa.dtype == Wb.dtype
        np.testing.assert_array_equal(Wa, Wb)


@pytest.mark.parametrize("params", CONFIGS)
@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_same_seed_same_model_across_fit_refit_and_clone(cls, params):
    X, y = _data(cls)
    params = {"hidden_layer_sizes": (8,), "max_iter": 10, "random_state": 42, **params}
    first = cls(**params).fit(X, y)
    reference = _state(first, X)

    _assert_identical(_state(cls(**params).fit(X, y), X), reference)  # a new estimator
    _assert_identical(_state(first.fit(X, y), X), reference)  # refit of the same one
    _assert_identical(_state(clone(first).fit(X, y), X), reference)  # a clone


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_other_seed_gives_another_model(cls):
    X, y = _data(cls)
    a = cls(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y)
    b = cls(hidden_layer_sizes=(8,), max_iter=5, random_state=1).fit(X, y)
    assert not np.array_equal(a.coefs_[0], b.coefs_[0])


def test_random_state_instance_with_equal_state_gives_the_same_model():
    X, y = _data(MLPClassifier)
    params = {"hidden_layer_sizes": (8,), "max_iter": 5, "dropout": 0.2}
    a = MLPClassifier(random_state=np.random.RandomState(7), **params).fit(X, y)
    b = MLPClassifier(random_state=np.random.RandomState(7), **params).fit(X, y)
    _assert_identical(_state(a, X), _state(b, X))


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_partial_fit_sequences_are_reproducible(cls):
    X, y = _data(cls)
    kwargs = {"classes": np.unique(y)} if cls is MLPClassifier else {}

    def run():
        est = cls(hidden_layer_sizes=(8,), solver="adam", dropout=0.2, batch_size=10,
                  random_state=3)
        for start in range(0, 80, 20):
            est.partial_fit(X[start:start + 20], y[start:start + 20], **kwargs)
        return _state(est, X)

    _assert_identical(run(), run())


def test_self_training_is_reproducible():
    X, y = _data(MLPClassifier)
    y = y.copy()
    y[::3] = -1
    params = {"hidden_layer_sizes": (8,), "max_iter": 20, "random_state": 0,
              "semi_supervised": "self_training", "self_training_max_iter": 3}
    a = MLPClassifier(**params).fit(X, y)
    b = clone(a).fit(X, y)
    _assert_identical(_state(a, X), _state(b, X))
    np.testing.assert_array_equal(a.transduction_, b.transduction_)
