"""Saving and loading: pickle, joblib and skops.io round-trips.

A loaded model predicts exactly as the saved one and, with a first-order
solver, ``partial_fit`` continues bit for bit where it stopped (the optimiser
state, schedule clock and plateau counters are saved too).
"""

import io
import pickle
import warnings

import joblib
import numpy as np
import pytest
from _optional import optional_import
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from threadpoolctl import threadpool_limits

from sknnopt import MLPClassifier, MLPRegressor

FIRST_ORDER = ["sgd", "adam", "rmsprop", "adagrad", "adamw"]


@pytest.fixture(scope="module", autouse=True)
def _one_blas_thread():
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _data(cls, dtype=np.float64):
    if cls is MLPClassifier:
        X, y = make_classification(90, 5, n_informative=3, n_redundant=0, n_classes=3,
                                   random_state=0)
    else:
        X, y = make_regression(90, 5, noise=1.0, random_state=0)
        y = y / 100
    return X.astype(dtype), y


def _pickle(est):
    return pickle.loads(pickle.dumps(est))


def _joblib(est):
    buffer = io.BytesIO()
    joblib.dump(est, buffer)
    buffer.seek(0)
    return joblib.load(buffer)


def _skops(est):
    sio = optional_import("skops.io")
    data = sio.dumps(est)
    untrusted = sio.get_untrusted_types(data=data)
    # SPEC: only sknnopt types need to be trusted
    assert untrusted and all(name.startswith("sknnopt.") for name in untrusted), untrusted
    return sio.loads(data, trusted=untrusted)


ROUND_TRIPS = {"pickle": _pickle, "joblib": _joblib, "skops": _skops}


def _predictions(est, X):
    method = "predict_proba" if hasattr(est, "predict_proba") else "predict"
    return getattr(est, method)(X)


def _assert_same_model(a, b, X):
    assert len(a.coefs_) == len(b.coefs_)
    for Wa, Wb, ba, bb in zip(a.coefs_, b.coefs_, a.intercepts_, b.intercepts_):
        np.testing.assert_array_equal(Wa, Wb)
        np.testing.assert_array_equal(ba, bb)
        assert Wa.dtype == Wb.dtype
    np.testing.assert_array_equal(_predictions(a, X), _predictions(b, X))
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    assert a.loss_curve_ == b.loss_curve_
    assert a.t_ == b.t_


@pytest.mark.parametrize("how", ROUND_TRIPS)
@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("solver", FIRST_ORDER)
def test_round_trip_then_partial_fit_continues_exactly(how, cls, solver):
    X, y = _data(cls)
    est = cls(hidden_layer_sizes=(6, 4), solver=solver, learning_rate="invscaling",
              batch_size=16, max_iter=3, random_state=0)
    est.fit(X, y)
    est.partial_fit(X[:50], y[:50])  # optimiser state and schedule clock in flight
    loaded = ROUND_TRIPS[how](est)
    assert type(loaded) is cls
    _assert_same_model(loaded, est, X)
    for _ in range(2):
        est.partial_fit(X, y)
        loaded.partial_fit(X, y)
    _assert_same_model(loaded, est, X)
    np.testing.assert_equal(loaded.history_["learning_rate"], est.history_["learning_rate"])


@pytest.mark.parametrize("how", ROUND_TRIPS)
@pytest.mark.parametrize(
    "params",
    [
        {"solver": "lbfgs"},
        {"early_stopping": True, "n_iter_no_change": 2},
        {"dropout": 0.3, "clip_value": (-0.5, 1.0), "clip_norm": 2.0},
        {"hidden_layer_sizes": (), "learning_rate": "adaptive"},
        {"frozen_layers": 1, "solver": "adamw"},
    ],
)
def test_round_trip_keeps_predictions_and_warm_start(how, params):
    X, y = _data(MLPClassifier)
    est = MLPClassifier(**{"hidden_layer_sizes": (6,), "max_iter": 8, "random_state": 0,
                           **params}).fit(X, y)
    loaded = ROUND_TRIPS[how](est)
    _assert_same_model(loaded, est, X)
    np.testing.assert_equal(loaded.history_, est.history_)  # NaN: frozen layers
    assert loaded.stop_reason_ == est.stop_reason_
    # a warm-started fit continues from the loaded weights as from the saved ones
    est.set_params(warm_start=True, max_iter=3)
    loaded.set_params(warm_start=True, max_iter=3)
    est.fit(X, y)
    loaded.fit(X, y)
    _assert_same_model(loaded, est, X)


@pytest.mark.parametrize("how", ROUND_TRIPS)
def test_float32_model_round_trips_in_float32(how):
    X, y = _data(MLPRegressor, dtype=np.float32)
    est = MLPRegressor(hidden_layer_sizes=(5,), max_iter=4, random_state=0).fit(X, y)
    loaded = ROUND_TRIPS[how](est)
    assert loaded.coefs_[0].dtype == np.float32
    assert loaded.predict(X).dtype == np.float32
    est.partial_fit(X, y)
    loaded.partial_fit(X, y)
    _assert_same_model(loaded, est, X)


@pytest.mark.parametrize("how", ROUND_TRIPS)
def test_string_labels_and_partial_fit_classes_round_trip(how):
    X, y = _data(MLPClassifier)
    labels = np.array(["ant", "bee", "cat"])[y]
    est = MLPClassifier(hidden_layer_sizes=(5,), random_state=0)
    est.partial_fit(X[:30], labels[:30], classes=["ant", "bee", "cat"])
    loaded = ROUND_TRIPS[how](est)
    est.partial_fit(X, labels)
    loaded.partial_fit(X, labels)
    _assert_same_model(loaded, est, X)
    assert list(loaded.classes_) == ["ant", "bee", "cat"]


@pytest.mark.parametrize("how", ["pickle", "joblib"])
def test_unfitted_estimator_round_trips(how):
    est = MLPClassifier(hidden_layer_sizes=(3,), dropout=[0.1], clip_value=(-1, 1))
    loaded = ROUND_TRIPS[how](est)
    assert loaded.get_params() == est.get_params()


def test_skops_refuses_to_load_without_trusting_sknnopt_types():
    sio = optional_import("skops.io")
    X, y = _data(MLPClassifier)
    est = MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, y)
    data = sio.dumps(est)
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException, match="sknnopt"):
        sio.loads(data)


def _semi_supervised_data():
    X, y = _data(MLPClassifier)
    y = y.copy()
    y[::3] = -1
    return X, y


@pytest.mark.parametrize(
    "make",
    [
        lambda: MLPClassifier(random_state=np.random.RandomState(0)),
        lambda: MLPClassifier(
            pretrained_layers=FrozenEstimator(
                MLPClassifier(hidden_layer_sizes=(6,), max_iter=3, random_state=0).fit(
                    *_data(MLPClassifier)
                )
            ),
            frozen_layers=1,
        ),
        lambda: MLPClassifier(class_weight={0: 1.0, 1: 2.0, 2: 0.5}, dropout=[0.2],
                              clip_value=(-1.0, 1.0)),
        lambda: MLPClassifier(semi_supervised="self_training", self_training_max_iter=2),
        lambda: MLPRegressor(semi_supervised="autoencoder", pretrain_max_iter=3),
        lambda: MLPClassifier(early_stopping=True, early_stopping_metric="loss"),
    ],
    ids=["random_state_instance", "frozen_pretrained", "class_weight", "self_training",
         "autoencoder", "early_stopping_loss"],
)
def test_skops_trusts_only_sknnopt_types_in_every_configuration(make):
    est = make().set_params(hidden_layer_sizes=(6,), max_iter=3)
    X, y = _semi_supervised_data() if est.semi_supervised else _data(type(est))
    if isinstance(est, MLPRegressor) and est.semi_supervised:
        y = np.where(y == -1, np.nan, y)
    est.fit(X, y)
    loaded = _skops(est)  # asserts that only sknnopt types are untrusted
    _assert_same_model(loaded, est, X)
