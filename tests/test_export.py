"""to_sklearn(): export to a fitted sklearn.neural_network estimator, and ONNX through it."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn.neural_network as sknn
from _optional import optional_import
from sklearn.datasets import make_classification, make_multilabel_classification, make_regression
from sklearn.exceptions import ConvergenceWarning, NotFittedError
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


def _classification(n_classes=3, dtype=np.float64):
    X, y = make_classification(
        120, 6, n_informative=4, n_redundant=0, n_classes=n_classes, random_state=0
    )
    return X.astype(dtype), y


def _regression(n_targets=1, dtype=np.float64):
    X, y = make_regression(100, 5, n_targets=n_targets, noise=1.0, random_state=0)
    return X.astype(dtype), y / 100


def _assert_same_predictions(mine, exported, X):
    if hasattr(mine, "classes_"):
        np.testing.assert_array_equal(exported.predict(X), mine.predict(X))
    else:
        np.testing.assert_allclose(exported.predict(X), mine.predict(X), rtol=1e-6,
                                   atol=1e-9)
    if hasattr(mine, "predict_proba"):
        np.testing.assert_allclose(
            exported.predict_proba(X), mine.predict_proba(X), rtol=1e-6, atol=1e-12
        )


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"activation": "sigmoid", "solver": "rmsprop", "batch_size": "full"},
        {"activation": "tanh", "solver": "lbfgs", "hidden_layer_sizes": (7, 5)},
        {"activation": "identity", "learning_rate": "cosine", "dropout": 0.2},
        {"hidden_layer_sizes": (), "solver": "adamw", "clip_norm": 1.0},
        {"early_stopping": True, "solver": "sgd", "learning_rate_init": 0.05},
    ],
)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_classifier_exports_with_identical_predictions(params, n_classes):
    X, y = _classification(n_classes)
    clf = MLPClassifier(**{"hidden_layer_sizes": (8,), "max_iter": 30, "random_state": 0,
                           **params}).fit(X, y)
    exported = clf.to_sklearn()
    assert type(exported) is sknn.MLPClassifier
    _assert_same_predictions(clf, exported, X)
    np.testing.assert_array_equal(exported.classes_, clf.classes_)
    assert exported.score(X, y) == clf.score(X, y)
    assert exported.n_layers_ == clf.n_layers_
    assert exported.out_activation_ == clf.out_activation_
    for W_exported, W in zip(exported.coefs_, clf.coefs_):
        np.testing.assert_array_equal(W_exported, W)
        assert not np.shares_memory(W_exported, W)


def test_exported_parameters_are_shared_ones_or_sklearn_defaults():
    X, y = _classification()
    clf = MLPClassifier(hidden_layer_sizes=(5,), activation="sigmoid", solver="rmsprop",
                        batch_size="full", learning_rate="cosine", alpha=0.01,
                        max_iter=5, random_state=3, dropout=0.1).fit(X, y)
    params = clf.to_sklearn().get_params()
    defaults = sknn.MLPClassifier().get_params()
    assert params["activation"] == "logistic"  # sknnopt's alias, by sklearn's name
    assert params["hidden_layer_sizes"] == (5,)
    assert params["alpha"] == 0.01 and params["max_iter"] == 5 and params["random_state"] == 3
    # values sklearn does not have are left at its defaults
    for name in ("solver", "batch_size", "learning_rate"):
        assert params[name] == defaults[name]
    assert set(params) == set(defaults)


def test_exported_model_is_independent_of_the_source():
    X, y = _classification()
    clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=5, random_state=0).fit(X, y)
    exported = clf.to_sklearn()
    before = exported.predict_proba(X)
    clf.partial_fit(X, y)
    np.testing.assert_array_equal(exported.predict_proba(X), before)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_multilabel_and_string_labels_export(solver):
    X, Y = make_multilabel_classification(80, 5, n_classes=3, random_state=0)
    clf = MLPClassifier(hidden_layer_sizes=(6,), solver=solver, max_iter=30,
                        random_state=0).fit(X, Y)
    _assert_same_predictions(clf, clf.to_sklearn(), X)

    X, y = _classification()
    labels = np.array(["ant", "bee", "cat"])[y]
    clf = MLPClassifier(hidden_layer_sizes=(6,), solver=solver, max_iter=30,
                        random_state=0).fit(X, labels)
    exported = clf.to_sklearn()
    _assert_same_predictions(clf, exported, X)
    assert list(exported.classes_) == ["ant", "bee", "cat"]


@pytest.mark.parametrize("loss", ["squared_error", "poisson"])
@pytest.mark.parametrize("n_targets", [1, 2])
def test_regressor_exports_with_identical_predictions(loss, n_targets):
    X, y = _regression(n_targets)
    if loss == "poisson":
        y = np.abs(y)
    reg = MLPRegressor(loss=loss, hidden_layer_sizes=(8, 4), activation="tanh",
                       solver="adagrad", learning_rate_init=0.01, max_iter=20,
                       random_state=0).fit(X, y)
    if loss == "poisson" and "loss" not in sknn.MLPRegressor().get_params():
        # scikit-learn < 1.7 has no Poisson loss, hence no exp output
        with pytest.raises(ValueError, match="exp"):
            reg.to_sklearn()
        return
    exported = reg.to_sklearn()
    assert type(exported) is sknn.MLPRegressor
    # scikit-learn < 1.7 has no loss parameter (squared error only)
    assert exported.get_params().get("loss", "squared_error") == loss
    _assert_same_predictions(reg, exported, X)
    assert exported.score(X, y) == pytest.approx(reg.score(X, y))


def test_float32_sparse_and_feature_names_carry_over():
    X, y = _classification(dtype=np.float32)
    clf = MLPClassifier(hidden_layer_sizes=(6,), max_iter=20, random_state=0).fit(X, y)
    exported = clf.to_sklearn()
    assert exported.coefs_[0].dtype == np.float32
    _assert_same_predictions(clf, exported, X)
    _assert_same_predictions(clf, exported, sp.csr_matrix(X))

    reg = MLPRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0).fit(X, y)
    assert not hasattr(reg.to_sklearn(), "feature_names_in_")
    # what validate_data stores for a data frame with string column names
    reg.feature_names_in_ = np.array([f"f{i}" for i in range(X.shape[1])], dtype=object)
    exported = reg.to_sklearn()
    np.testing.assert_array_equal(exported.feature_names_in_, reg.feature_names_in_)
    assert exported.n_features_in_ == 6


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_leaky_relu_cannot_be_exported(cls):
    X, y = _classification()
    est = cls(hidden_layer_sizes=(4,), activation="leaky_relu", max_iter=3).fit(X, y)
    with pytest.raises(ValueError, match="leaky_relu"):
        est.to_sklearn()


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_unfitted_estimator_cannot_be_exported(cls):
    with pytest.raises(NotFittedError):
        cls().to_sklearn()


# ----------------------------------------------------------------------------
# ONNX through skl2onnx, run by onnxruntime (the `onnx` extra)


def _onnx_session(exported, n_features, dtype=np.float32):
    skl2onnx = optional_import("skl2onnx")
    ort = optional_import("onnxruntime")
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    tensor = FloatTensorType if dtype == np.float32 else DoubleTensorType
    options = {id(exported): {"zipmap": False}} if hasattr(exported, "classes_") else None
    onx = skl2onnx.to_onnx(
        exported, initial_types=[("X", tensor([None, n_features]))], options=options
    )
    return ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "identity"])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_onnx_classifier_predicts_like_sknnopt(activation, n_classes):
    X, y = _classification(n_classes, dtype=np.float32)
    clf = MLPClassifier(hidden_layer_sizes=(8, 4), activation=activation, solver="rmsprop",
                        max_iter=30, random_state=0).fit(X, y)
    session = _onnx_session(clf.to_sklearn(), X.shape[1])
    labels, proba = session.run(None, {"X": X})
    np.testing.assert_allclose(proba, clf.predict_proba(X), rtol=1e-4, atol=1e-5)
    # labels agree except where two classes are tied to float32 rounding
    top2 = np.sort(clf.predict_proba(X), axis=1)[:, -2:]
    clear = (top2[:, 1] - top2[:, 0]) > 1e-4
    np.testing.assert_array_equal(labels[clear], clf.predict(X)[clear])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_onnx_regressor_predicts_like_sknnopt(dtype):
    X, y = _regression(2, dtype=dtype)
    reg = MLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=50,
                       random_state=0).fit(X, y)
    session = _onnx_session(reg.to_sklearn(), X.shape[1], dtype=dtype)
    (pred,) = session.run(None, {"X": X})
    rtol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(pred.reshape(-1, 2), reg.predict(X), rtol=rtol,
                               atol=rtol * np.abs(reg.predict(X)).max())
