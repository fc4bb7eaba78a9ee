"""Behaviour of MLPClassifier and MLPRegressor as estimators (SPEC sections 1-5)."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import softmax
from sklearn.datasets import (
    load_diabetes,
    load_digits,
    make_classification,
    make_multilabel_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.class_weight import compute_sample_weight
from threadpoolctl import threadpool_limits

from sknnopt import MLPClassifier, MLPRegressor

ESTIMATORS = [MLPClassifier, MLPRegressor]
FIRST_ORDER = ["sgd", "adam", "rmsprop", "adagrad", "adamw"]
HISTORY_KEYS = {"loss", "val_loss", "val_score", "learning_rate", "grad_norm", "time"}


@pytest.fixture(scope="module", autouse=True)
def _one_blas_thread():
    # the products here are tiny: BLAS threads cost far more than they save
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(autouse=True)
def _quiet_convergence():
    # short budgets are the point of most tests here
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


# ----------------------------------------------------------------------------
# data and an independent NumPy reference of the network and its objective


def _classification(n_samples=200, n_classes=3, **kwargs):
    X, y = make_classification(
        n_samples,
        8,
        n_informative=5,
        n_redundant=0,
        n_classes=n_classes,
        random_state=0,
        **kwargs,
    )
    return X, y


def _regression(n_samples=200, n_targets=1):
    X, y = make_regression(
        n_samples, 8, n_informative=5, n_targets=n_targets, noise=5.0, random_state=0
    )
    return X, y / y.std(axis=0)


def _data_for(cls):
    return _classification() if cls is MLPClassifier else _regression()


_HIDDEN_ACTIVATIONS = {"relu": lambda Z: np.maximum(Z, 0.0), "tanh": np.tanh}


def _hidden(coefs, intercepts, X, activation="relu"):
    """Network output before the output activation."""
    A = X
    for k, (W, b) in enumerate(zip(coefs, intercepts)):
        A = A @ W + b
        if k < len(coefs) - 1:
            A = _HIDDEN_ACTIVATIONS[activation](A)
    return A


def _squared_error_objective(coefs, intercepts, X, Y, alpha, activation="relu"):
    """SPEC objective: mean of 1/2 sum_outputs (P - Y)^2 + alpha/(2n) sum ||W||^2."""
    Y = Y.reshape(len(X), -1)
    P = _hidden(coefs, intercepts, X, activation)
    n = X.shape[0]
    data = 0.5 * ((P - Y) ** 2).sum() / n
    return data + alpha / (2 * n) * sum(float((W**2).sum()) for W in coefs)


def _numerical_gradient(coefs, intercepts, X, Y, alpha, activation, h=1e-6):
    params = [np.array(p, dtype=float) for p in list(coefs) + list(intercepts)]
    n_layers = len(coefs)
    grads = []
    for p in params:
        g = np.zeros_like(p)
        for i in np.ndindex(p.shape):
            old = p[i]
            p[i] = old + h
            up = _squared_error_objective(
                params[:n_layers], params[n_layers:], X, Y, alpha, activation
            )
            p[i] = old - h
            down = _squared_error_objective(
                params[:n_layers], params[n_layers:], X, Y, alpha, activation
            )
            p[i] = old
            g[i] = (up - down) / (2 * h)
        grads.append(g)
    return grads


# ----------------------------------------------------------------------------
# dtypes


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_float32_classifier_trains_and_predicts_in_float32(solver):
    X, y = _classification()
    clf = MLPClassifier(hidden_layer_sizes=(8,), solver=solver, max_iter=20, random_state=0)
    clf.fit(X.astype(np.float32), y)
    assert all(W.dtype == np.float32 for W in clf.coefs_)
    assert all(b.dtype == np.float32 for b in clf.intercepts_)
    proba = clf.predict_proba(X.astype(np.float32))
    assert proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert np.isfinite(clf.loss_)


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_float32_regressor_stays_float32_with_float64_targets(solver):
    X, y = _regression()
    assert y.dtype == np.float64
    reg = MLPRegressor(hidden_layer_sizes=(8,), solver=solver, max_iter=20, random_state=0)
    reg.fit(X.astype(np.float32), y)
    assert all(W.dtype == np.float32 for W in reg.coefs_)
    assert all(b.dtype == np.float32 for b in reg.intercepts_)
    assert reg.predict(X.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_float64_stays_float64(cls):
    X, y = _data_for(cls)
    est = cls(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y)
    assert all(W.dtype == np.float64 for W in est.coefs_)
    out = est.predict_proba(X) if cls is MLPClassifier else est.predict(X)
    assert out.dtype == np.float64


def test_float32_model_gives_close_results_to_float64():
    # same seed, same data: float32 is a precision change, not another model
    X, y = _regression()
    kwargs = dict(hidden_layer_sizes=(8,), max_iter=30, random_state=0, shuffle=False)
    r64 = MLPRegressor(**kwargs).fit(X, y)
    r32 = MLPRegressor(**kwargs).fit(X.astype(np.float32), y)
    np.testing.assert_allclose(r32.predict(X.astype(np.float32)), r64.predict(X), atol=1e-3)


# ----------------------------------------------------------------------------
# sparse input


@pytest.mark.parametrize("fmt", [sp.csr_matrix, sp.csc_matrix])
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_sparse_input_gives_the_same_model_as_dense(fmt, solver):
    X, y = _classification()
    X[np.abs(X) < 0.8] = 0.0  # make it actually sparse
    kwargs = dict(hidden_layer_sizes=(8,), solver=solver, max_iter=30, random_state=0)
    dense = MLPClassifier(**kwargs).fit(X, y)
    sparse = MLPClassifier(**kwargs).fit(fmt(X), y)
    for W_sparse, W_dense in zip(sparse.coefs_, dense.coefs_):
        np.testing.assert_allclose(W_sparse, W_dense, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(
        sparse.predict_proba(fmt(X)), dense.predict_proba(X), rtol=1e-9, atol=1e-10
    )
    np.testing.assert_array_equal(sparse.predict(fmt(X)), dense.predict(X))
    # a dense-trained model also accepts sparse input at predict time
    np.testing.assert_allclose(dense.predict_proba(fmt(X)), dense.predict_proba(X))


@pytest.mark.parametrize("fmt", [sp.csr_matrix, sp.csc_matrix])
def test_sparse_regressor_matches_dense(fmt):
    X, y = _regression()
    X[np.abs(X) < 0.8] = 0.0
    kwargs = dict(hidden_layer_sizes=(8,), max_iter=30, random_state=0)
    dense = MLPRegressor(**kwargs).fit(X, y)
    sparse = MLPRegressor(**kwargs).fit(fmt(X), y)
    np.testing.assert_allclose(sparse.predict(fmt(X)), dense.predict(X), rtol=1e-9, atol=1e-10)


# ----------------------------------------------------------------------------
# targets: multilabel, multi-output, strings, class weights


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_multilabel_classification(solver):
    X, Y = make_multilabel_classification(200, 8, n_classes=4, random_state=0)
    clf = MLPClassifier(hidden_layer_sizes=(16,), solver=solver, max_iter=200, random_state=0)
    clf.fit(X, Y)
    assert clf.out_activation_ == "logistic"
    assert clf.n_outputs_ == 4
    np.testing.assert_array_equal(clf.classes_, np.arange(4))
    pred = clf.predict(X)
    proba = clf.predict_proba(X)
    assert pred.shape == Y.shape
    assert proba.shape == Y.shape
    assert set(np.unique(pred)) <= {0, 1}
    assert np.all((proba >= 0) & (proba <= 1))
    # independent labels: rows are not a distribution over labels
    assert not np.allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(pred, (proba > 0.5).astype(pred.dtype))
    # each label is learned better than by always predicting its majority value
    majority = np.maximum(Y.mean(axis=0), 1 - Y.mean(axis=0))
    assert np.all((pred == Y).mean(axis=0) > majority)


def test_multi_output_regression_shapes_and_fit():
    X, Y = _regression(n_targets=3)
    reg = MLPRegressor(hidden_layer_sizes=(16,), solver="lbfgs", max_iter=300, random_state=0)
    reg.fit(X, Y)
    assert reg.n_outputs_ == 3
    assert reg.coefs_[-1].shape == (16, 3)
    assert reg.predict(X).shape == (200, 3)
    assert reg.predict(X[:1]).shape == (1, 3)
    assert reg.score(X, Y) > 0.9


def test_multi_output_lbfgs_minimises_the_spec_objective():
    """loss_ is 1/2 sum over outputs, and L-BFGS stops at a stationary point of it.

    A gradient that disagreed with the loss (sklearn's issue 8349: mean over
    outputs in the loss, sum in the gradient) would stop L-BFGS where the
    gradient of the SPEC objective is not zero; alpha is large so that the L2
    term weighs enough for any such mismatch to show. tanh keeps the objective
    smooth (L-BFGS stalls at relu kinks with a non-zero gradient).
    """
    X, Y = _regression(n_samples=120, n_targets=3)
    X = X[:, :5]
    alpha = 1.0
    common = dict(hidden_layer_sizes=(6,), activation="tanh", alpha=alpha, random_state=0)
    lbfgs = MLPRegressor(solver="lbfgs", tol=1e-8, max_iter=3000, **common).fit(X, Y)
    objective = _squared_error_objective(
        lbfgs.coefs_, lbfgs.intercepts_, X, Y, alpha, "tanh"
    )
    assert lbfgs.loss_ == pytest.approx(objective, rel=1e-10)

    grads = _numerical_gradient(lbfgs.coefs_, lbfgs.intercepts_, X, Y, alpha, "tanh")
    largest = max(np.abs(g).max() for g in grads)
    assert largest < 1e-4, largest

    adam = MLPRegressor(
        solver="adam", learning_rate_init=0.01, max_iter=300, **common
    ).fit(X, Y)
    adam_objective = _squared_error_objective(
        adam.coefs_, adam.intercepts_, X, Y, alpha, "tanh"
    )
    assert objective < adam_objective
    assert lbfgs.score(X, Y) >= adam.score(X, Y) - 0.01


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_string_class_labels(solver):
    X, y = _classification()
    names = np.array(["cat", "dog", "eel"])
    kwargs = dict(hidden_layer_sizes=(8,), solver=solver, max_iter=50, random_state=0)
    by_name = MLPClassifier(**kwargs).fit(X, names[y])
    by_code = MLPClassifier(**kwargs).fit(X, y)
    np.testing.assert_array_equal(by_name.classes_, names)
    np.testing.assert_array_equal(by_name.predict(X), names[by_code.predict(X)])
    np.testing.assert_allclose(by_name.predict_proba(X), by_code.predict_proba(X))
    assert by_name.score(X, names[y]) == by_code.score(X, y)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("class_weight", ["balanced", {0: 1.0, 1: 3.0, 2: 6.0}])
def test_class_weight_is_the_matching_sample_weight(solver, class_weight):
    X, y = _classification(weights=[0.7, 0.2, 0.1])
    kwargs = dict(hidden_layer_sizes=(8,), solver=solver, max_iter=40, random_state=0)
    weighted = MLPClassifier(class_weight=class_weight, **kwargs).fit(X, y)
    plain = MLPClassifier(**kwargs).fit(X, y)
    by_sample = MLPClassifier(**kwargs).fit(
        X, y, sample_weight=compute_sample_weight(class_weight, y)
    )
    for W_weighted, W_sample in zip(weighted.coefs_, by_sample.coefs_):
        np.testing.assert_allclose(W_weighted, W_sample, rtol=1e-10, atol=1e-12)
    assert not np.allclose(weighted.coefs_[0], plain.coefs_[0])


def test_class_weight_multiplies_sample_weight():
    X, y = _classification()
    class_weight = {0: 1.0, 1: 2.0, 2: 4.0}
    sample_weight = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    kwargs = dict(hidden_layer_sizes=(8,), max_iter=20, random_state=0)
    both = MLPClassifier(class_weight=class_weight, **kwargs).fit(X, y, sample_weight)
    product = MLPClassifier(**kwargs).fit(
        X, y, sample_weight * np.array([class_weight[c] for c in y])
    )
    np.testing.assert_allclose(both.coefs_[0], product.coefs_[0], rtol=1e-10, atol=1e-12)


def test_class_weight_dict_with_string_labels():
    X, y = _classification()
    names = np.array(["cat", "dog", "eel"])
    kwargs = dict(hidden_layer_sizes=(8,), max_iter=20, random_state=0)
    by_name = MLPClassifier(class_weight={"cat": 1.0, "dog": 3.0, "eel": 5.0}, **kwargs)
    by_code = MLPClassifier(class_weight={0: 1.0, 1: 3.0, 2: 5.0}, **kwargs)
    by_name.fit(X, names[y])
    by_code.fit(X, y)
    np.testing.assert_allclose(by_name.coefs_[0], by_code.coefs_[0])


# ----------------------------------------------------------------------------
# partial_fit


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_partial_fit_exists_only_for_first_order_solvers(cls):
    for solver in FIRST_ORDER:
        assert hasattr(cls(solver=solver), "partial_fit")
    est = cls(solver="lbfgs")
    assert not hasattr(est, "partial_fit")
    with pytest.raises(AttributeError):
        _ = est.partial_fit
    # it follows the parameter, as sklearn's available_if does
    est.set_params(solver="adam")
    assert hasattr(est, "partial_fit")


def test_partial_fit_classifier_needs_classes_on_first_call():
    X, y = _classification()
    with pytest.raises(ValueError, match="classes"):
        MLPClassifier(hidden_layer_sizes=(8,)).partial_fit(X, y)


def test_partial_fit_first_batch_may_miss_classes():
    X, y = _classification()
    clf = MLPClassifier(hidden_layer_sizes=(8,), random_state=0)
    clf.partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.predict_proba(X).shape == (len(X), 3)
    clf.partial_fit(X, y)  # the third class arrives later
    assert clf.t_ == (y < 2).sum() + len(y)


def test_partial_fit_regressor_first_call_needs_nothing_more():
    X, y = _regression()
    reg = MLPRegressor(hidden_layer_sizes=(8,), random_state=0).partial_fit(X, y)
    assert reg.n_iter_ == 1
    assert reg.t_ == len(y)
    assert reg.predict(X).shape == y.shape


def test_partial_fit_unknown_class_raises_and_keeps_the_model():
    X, y = _classification()
    clf = MLPClassifier(hidden_layer_sizes=(8,), random_state=0)
    clf.partial_fit(X, y, classes=[0, 1, 2])
    proba, t_, history = clf.predict_proba(X), clf.t_, clf.history_
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, np.where(y == 2, 7, y))
    np.testing.assert_array_equal(clf.predict_proba(X), proba)
    assert clf.t_ == t_
    assert clf.history_ == history
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y, classes=[0, 1])


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("solver", FIRST_ORDER)
def test_two_partial_fits_equal_two_epochs_of_fit(cls, solver):
    """Optimiser state and schedule continue across partial_fit calls.

    Without shuffling the two runs see the same batches; the 'step' schedule
    lowers the rate after every epoch, so a restarted schedule or optimiser
    state would make them differ.
    """
    X, y = _data_for(cls)
    kwargs = dict(
        hidden_layer_sizes=(8,), solver=solver, shuffle=False, batch_size=50,
        learning_rate="step", decay_steps=1, decay_rate=0.5, random_state=0,
    )
    extra = {"classes": np.unique(y)} if cls is MLPClassifier else {}
    incremental = cls(**kwargs)
    incremental.partial_fit(X, y, **extra)
    incremental.partial_fit(X, y)
    full = cls(max_iter=2, **kwargs).fit(X, y)
    for W_inc, W_full in zip(incremental.coefs_, full.coefs_):
        np.testing.assert_allclose(W_inc, W_full, rtol=1e-12, atol=1e-14)
    assert incremental.loss_curve_ == pytest.approx(full.loss_curve_, rel=1e-12)
    assert incremental.history_["learning_rate"] == full.history_["learning_rate"]
    assert incremental.t_ == full.t_ == 2 * len(y)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_warm_start_fit_resets_optimiser_state_unlike_partial_fit(solver):
    # the contrast that shows the previous test can fail: fit (also warm)
    # restarts the optimiser state and the schedule, partial_fit does not
    X, y = _classification()
    kwargs = dict(hidden_layer_sizes=(8,), solver=solver, shuffle=False, batch_size=50,
                  random_state=0)
    incremental = MLPClassifier(**kwargs)
    incremental.partial_fit(X, y, classes=[0, 1, 2])
    incremental.partial_fit(X, y)
    warm = MLPClassifier(warm_start=True, max_iter=1, **kwargs)
    warm.fit(X, y)
    warm.fit(X, y)
    assert not np.allclose(incremental.coefs_[0], warm.coefs_[0])


def test_partial_fit_after_fit_continues():
    X, y = _classification()
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=10, random_state=0).fit(X, y)
    n = len(clf.loss_curve_)
    clf.partial_fit(X, y)
    assert len(clf.loss_curve_) == n + 1
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]


# ----------------------------------------------------------------------------
# warm start


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_warm_start_continues_from_previous_weights(solver):
    X, y = _classification()
    kwargs = dict(hidden_layer_sizes=(8,), solver=solver, max_iter=30, random_state=0)
    clf = MLPClassifier(warm_start=True, **kwargs).fit(X, y)
    first = list(clf.loss_curve_)
    clf.fit(X, y)
    second = clf.loss_curve_[len(first):]
    assert clf.loss_curve_[: len(first)] == first
    assert len(second) == clf.n_iter_
    # the second fit starts where the first ended, not from a fresh start
    drop = first[0] - first[-1]
    assert drop > 0
    assert abs(second[0] - first[-1]) < 0.1 * drop
    cold = MLPClassifier(**kwargs).fit(X, y)
    assert cold.loss_curve_[0] == pytest.approx(first[0])


@pytest.mark.parametrize("new_sizes", [(9,), (8, 4), ()])
def test_warm_start_with_other_architecture_raises(new_sizes):
    X, y = _classification()
    clf = MLPClassifier(hidden_layer_sizes=(8,), warm_start=True, max_iter=5, random_state=0)
    clf.fit(X, y)
    proba = clf.predict_proba(X)
    clf.set_params(hidden_layer_sizes=new_sizes)
    with pytest.raises(ValueError, match="warm_start"):
        clf.fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), proba)


def test_warm_start_with_other_features_raises():
    X, y = _classification()
    clf = MLPClassifier(hidden_layer_sizes=(8,), warm_start=True, max_iter=5, random_state=0)
    clf.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.fit(X[:, :5], y)


def test_warm_start_with_other_classes_raises():
    X, y = _classification()
    clf = MLPClassifier(hidden_layer_sizes=(8,), warm_start=True, max_iter=5, random_state=0)
    clf.fit(X, y)
    with pytest.raises(ValueError, match="classes"):
        clf.fit(X[y < 2], y[y < 2])


# ----------------------------------------------------------------------------
# early stopping


def _overfitting_task():
    # few informative features, many noise features, 30% flipped labels
    X, y = make_classification(
        300, 20, n_informative=3, n_redundant=0, flip_y=0.3, random_state=0
    )
    return train_test_split(X, y, test_size=0.3, random_state=0)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_early_stopping_on_given_validation_set_restores_best_weights(solver):
    X_train, X_val, y_train, y_val = _overfitting_task()
    kwargs = dict(
        hidden_layer_sizes=(64,), solver=solver, learning_rate_init=0.01, max_iter=500,
        n_iter_no_change=10, random_state=0,
    )
    clf = MLPClassifier(early_stopping=True, **kwargs)
    clf.fit(X_train, y_train, X_val=X_val, y_val=y_val)

    assert clf.stop_reason_ == "early_stopping"
    assert clf.n_iter_ < 500
    assert len(clf.validation_scores_) == clf.n_iter_ == len(clf.loss_curve_)
    assert clf.history_["val_score"] == clf.validation_scores_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    best_epoch = int(np.argmax(clf.validation_scores_)) + 1  # first best (strict)
    # stopped once more than n_iter_no_change epochs passed without improvement
    assert clf.n_iter_ - best_epoch > 10
    # the restored weights are the best epoch's
    assert clf.score(X_val, y_val) == clf.best_validation_score_
    reference = MLPClassifier(early_stopping=False, **{**kwargs, "max_iter": best_epoch,
                                                       "n_iter_no_change": np.inf})
    reference.fit(X_train, y_train, X_val=X_val, y_val=y_val)
    for W, W_ref in zip(clf.coefs_, reference.coefs_):
        np.testing.assert_array_equal(W, W_ref)


def test_early_stopping_with_validation_fraction():
    X_train, _, y_train, _ = _overfitting_task()
    clf = MLPClassifier(
        hidden_layer_sizes=(64,), learning_rate_init=0.01, max_iter=500,
        early_stopping=True, validation_fraction=0.2, random_state=0,
    ).fit(X_train, y_train)
    assert clf.stop_reason_ == "early_stopping"
    assert clf.n_iter_ < 500
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.best_loss_ is None  # as sklearn, with early stopping
    # accuracies on a 20% split of 210 samples: multiples of 1/42
    n_correct = np.array(clf.validation_scores_) * 42
    np.testing.assert_allclose(n_correct, np.round(n_correct), atol=1e-9)


def test_early_stopping_regressor_on_validation_set():
    X, y = make_regression(200, 30, n_informative=3, noise=30.0, random_state=0)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.3, random_state=0)
    reg = MLPRegressor(
        hidden_layer_sizes=(64,), learning_rate_init=0.01, max_iter=1000,
        early_stopping=True, random_state=0,
    ).fit(X_train, y_train, X_val=X_val, y_val=y_val)
    assert reg.stop_reason_ == "early_stopping"
    assert len(reg.validation_scores_) == reg.n_iter_ < 1000
    assert reg.score(X_val, y_val) == pytest.approx(reg.best_validation_score_, rel=1e-12)


def test_early_stopping_on_validation_loss_restores_the_best_loss_weights():
    X, y = make_regression(200, 30, n_informative=3, noise=30.0, random_state=0)
    y = y / y.std()
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.3, random_state=0)
    reg = MLPRegressor(
        hidden_layer_sizes=(64,), learning_rate_init=0.01, max_iter=1000, alpha=1e-3,
        early_stopping=True, early_stopping_metric="loss", random_state=0,
    ).fit(X_train, y_train, X_val=X_val, y_val=y_val)
    assert reg.stop_reason_ == "early_stopping"
    val_losses = reg.history_["val_loss"]
    assert len(val_losses) == reg.n_iter_ < 1000
    # the restored weights are those of the lowest validation loss (no L2 term)
    restored_loss = 0.5 * np.mean((reg.predict(X_val) - y_val) ** 2)
    assert restored_loss == pytest.approx(min(val_losses), rel=1e-10)
    # best_validation_score_ stays a score (R^2), that of the restored model
    assert reg.best_validation_score_ == pytest.approx(reg.score(X_val, y_val), rel=1e-10)
    assert reg.best_validation_score_ in reg.validation_scores_


def test_validation_set_needs_both_parts():
    X, y = _classification()
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5)
    with pytest.raises(ValueError, match="X_val"):
        clf.fit(X, y, X_val=X)
    with pytest.raises(ValueError, match="X_val"):
        clf.fit(X, y, y_val=y)


# ----------------------------------------------------------------------------
# coefs_ / intercepts_ are the model; pickling


def _predict_proba_reference(coefs, intercepts, X):
    return softmax(_hidden(coefs, intercepts, X), axis=1)


@pytest.mark.parametrize("how", ["assign", "in_place"])
def test_edited_coefs_change_predictions(how):
    X, y = _classification()
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0).fit(X, y)
    before = clf.predict_proba(X)
    new_W0 = clf.coefs_[0] * -1.5 + 0.1
    new_b1 = clf.intercepts_[1] + 1.0
    if how == "assign":
        clf.coefs_ = [new_W0, clf.coefs_[1]]
        clf.intercepts_[1] = new_b1
    else:
        clf.coefs_[0][...] = new_W0
        clf.intercepts_[1] += 1.0
    after = clf.predict_proba(X)
    assert not np.allclose(after, before)
    expected = _predict_proba_reference([new_W0, clf.coefs_[1]],
                                        [clf.intercepts_[0], new_b1], X)
    np.testing.assert_allclose(after, expected, rtol=1e-12)


@pytest.mark.parametrize("how", ["assign", "in_place"])
@pytest.mark.parametrize("method", ["warm_start", "partial_fit"])
def test_training_continues_from_edited_weights(how, method):
    """With full batches the first epoch's loss is the objective at the start.

    So the loss recorded by a warm-start fit or a partial_fit after editing the
    weights must be the objective of the edited weights, computed independently.
    """
    X, y = _regression()
    alpha = 1e-2
    reg = MLPRegressor(hidden_layer_sizes=(8,), batch_size="full", alpha=alpha,
                       max_iter=10, random_state=0, warm_start=True).fit(X, y)
    rng = np.random.default_rng(1)
    new_coefs = [rng.normal(size=W.shape) for W in reg.coefs_]
    new_intercepts = [rng.normal(size=b.shape) for b in reg.intercepts_]
    if how == "assign":
        reg.coefs_ = new_coefs
        reg.intercepts_ = new_intercepts
    else:
        for W, new in zip(reg.coefs_ + reg.intercepts_, new_coefs + new_intercepts):
            W[...] = new
    expected = _squared_error_objective(new_coefs, new_intercepts, X, y, alpha)
    if method == "warm_start":
        reg.set_params(max_iter=1).fit(X, y)
    else:
        reg.partial_fit(X, y)
    assert reg.loss_curve_[-1] == pytest.approx(expected, rel=1e-10)
    # and training moved on from there
    assert not np.allclose(reg.coefs_[0], new_coefs[0])


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_pickle_round_trip(cls):
    X, y = _data_for(cls)
    est = cls(hidden_layer_sizes=(8,), max_iter=5, random_state=0, shuffle=False).fit(X, y)
    restored = pickle.loads(pickle.dumps(est))
    predict = "predict_proba" if cls is MLPClassifier else "predict"
    np.testing.assert_array_equal(getattr(restored, predict)(X), getattr(est, predict)(X))
    assert restored.history_ == est.history_
    # partial_fit after unpickling continues exactly as on the original
    restored.partial_fit(X, y)
    est.partial_fit(X, y)
    for W_restored, W in zip(restored.coefs_, est.coefs_):
        np.testing.assert_array_equal(W_restored, W)
    assert restored.loss_curve_ == est.loss_curve_


def test_in_place_edit_after_unpickling_is_used():
    X, y = _classification()
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0, shuffle=False)
    clf.fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    before = restored.predict_proba(X)
    restored.coefs_[0][...] *= 2.0
    clf.coefs_[0][...] *= 2.0
    assert not np.allclose(restored.predict_proba(X), before)
    restored.partial_fit(X, y)
    clf.partial_fit(X, y)
    np.testing.assert_array_equal(restored.coefs_[0], clf.coefs_[0])


# ----------------------------------------------------------------------------
# history_, stop_reason_


def _check_history(est):
    history = est.history_
    assert set(history) == HISTORY_KEYS
    lengths = {len(values) for values in history.values()}
    assert lengths == {len(est.loss_curve_)}
    assert history["loss"] == est.loss_curve_
    n_layers = est.n_layers_ - 1
    assert all(len(norms) == n_layers for norms in history["grad_norm"])
    assert all(t >= 0 for t in history["time"])


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_history_has_one_entry_per_epoch(cls, solver):
    X, y = _data_for(cls)
    est = cls(hidden_layer_sizes=(8, 4), solver=solver, max_iter=15, random_state=0)
    est.fit(X, y)
    _check_history(est)
    assert len(est.loss_curve_) == est.n_iter_
    assert est.history_["val_score"] == [None] * est.n_iter_
    assert est.validation_scores_ is None
    assert all(np.all(np.isfinite(norms)) and min(norms) > 0
               for norms in est.history_["grad_norm"])
    if solver == "lbfgs":
        assert est.loss_curve_[-1] == est.loss_
        assert est.history_["learning_rate"] == [None] * est.n_iter_
        # every L-BFGS iteration decreases the objective
        assert np.all(np.diff(est.loss_curve_) <= 0)
    else:
        assert est.history_["learning_rate"] == [est.learning_rate_init] * est.n_iter_


def test_history_validation_entries_follow_the_interval():
    X, y = _classification()
    X_train, X_val, y_train, y_val = train_test_split(X, y, random_state=0)
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=9, validation_interval=3,
                        random_state=0)
    clf.fit(X_train, y_train, X_val=X_val, y_val=y_val)
    _check_history(clf)
    evaluated = [i + 1 for i, s in enumerate(clf.history_["val_score"]) if s is not None]
    assert evaluated == [3, 6, 9]
    assert [i + 1 for i, v in enumerate(clf.history_["val_loss"]) if v is not None] == evaluated
    assert clf.validation_scores_ == [clf.history_["val_score"][i - 1] for i in evaluated]
    assert clf.validation_scores_[-1] == clf.score(X_val, y_val)


def test_history_accumulates_over_warm_start_and_partial_fit_and_restarts_cold():
    X, y = _classification()
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=4, warm_start=True, random_state=0)
    clf.fit(X, y)
    assert len(clf.loss_curve_) == 4
    clf.fit(X, y)
    assert len(clf.loss_curve_) == 8
    clf.partial_fit(X, y)
    clf.partial_fit(X, y)
    assert len(clf.loss_curve_) == 10
    _check_history(clf)
    clf.set_params(warm_start=False, max_iter=3)
    clf.fit(X, y)
    assert len(clf.loss_curve_) == 3
    _check_history(clf)


def test_lbfgs_history_accumulates_over_warm_start():
    X, y = _regression()
    reg = MLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=10,
                       warm_start=True, random_state=0)
    reg.fit(X, y)
    first = list(reg.loss_curve_)
    reg.fit(X, y)
    assert reg.loss_curve_[: len(first)] == first
    assert len(reg.loss_curve_) == len(first) + reg.n_iter_
    _check_history(reg)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_stop_reason_max_iter_and_tol(solver):
    X, y = _classification()
    short = MLPClassifier(hidden_layer_sizes=(8,), solver=solver, max_iter=3, random_state=0)
    with pytest.warns(ConvergenceWarning):
        short.fit(X, y)
    assert short.stop_reason_ == "max_iter"
    assert short.n_iter_ == 3
    converged = MLPClassifier(hidden_layer_sizes=(8,), solver=solver, max_iter=5000,
                              tol=1e-2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        converged.fit(X, y)
    assert converged.stop_reason_ == "tol"
    assert converged.n_iter_ < 5000


def test_no_hidden_layer_classifier_is_logistic_regression():
    # J = mean log-loss + alpha/(2n)||W||^2 is LogisticRegression's objective with C = 1/alpha
    X, y = _classification()
    for target in (y, (y == 0).astype(int)):
        clf = MLPClassifier(hidden_layer_sizes=(), solver="lbfgs", alpha=1.0, tol=1e-10,
                            max_iter=5000, random_state=0).fit(X, target)
        assert len(clf.coefs_) == 1 and clf.n_layers_ == 2
        assert clf.coefs_[0].shape[0] == X.shape[1]
        logistic = LogisticRegression(C=1.0, tol=1e-10, max_iter=5000).fit(X, target)
        np.testing.assert_allclose(clf.predict_proba(X), logistic.predict_proba(X), atol=1e-4)


def test_no_hidden_layer_regressor_is_ridge():
    # 2n * J = ||y - Xw - b||^2 + alpha ||w||^2, Ridge's objective
    X, y = _regression()
    reg = MLPRegressor(hidden_layer_sizes=(), solver="lbfgs", alpha=3.0, tol=1e-10,
                       max_iter=5000, random_state=0).fit(X, y)
    ridge = Ridge(alpha=3.0).fit(X, y)
    np.testing.assert_allclose(reg.coefs_[0].ravel(), ridge.coef_, atol=1e-4)
    np.testing.assert_allclose(reg.predict(X), ridge.predict(X), atol=1e-4)


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_no_hidden_layer_with_first_order_solver(cls):
    X, y = _data_for(cls)
    est = cls(hidden_layer_sizes=(), learning_rate_init=0.05, max_iter=50, random_state=0)
    est.fit(X, y)
    assert len(est.coefs_) == 1
    assert est.loss_curve_[-1] < est.loss_curve_[0]


# ----------------------------------------------------------------------------
# bad input and bad parameters


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("warm_start", [False, True])
def test_non_finite_X_raises_and_keeps_previous_fit(cls, bad, warm_start):
    X, y = _data_for(cls)
    est = cls(hidden_layer_sizes=(8,), max_iter=5, warm_start=warm_start, random_state=0)
    est.fit(X, y)
    predictions, coefs = est.predict(X), [W.copy() for W in est.coefs_]
    history, t_ = est.history_, est.t_
    X_bad = X.copy()
    X_bad[3, 2] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        est.fit(X_bad, y)
    np.testing.assert_array_equal(est.predict(X), predictions)
    for W, W_before in zip(est.coefs_, coefs):
        np.testing.assert_array_equal(W, W_before)
    assert est.history_ == history and est.t_ == t_


def test_non_finite_X_raises_before_any_training():
    X, y = _classification()
    X[0, 0] = np.nan
    clf = MLPClassifier(hidden_layer_sizes=(8,))
    with pytest.raises(ValueError):
        clf.fit(X, y)
    assert not hasattr(clf, "coefs_")
    assert not hasattr(clf, "loss_curve_")


@pytest.mark.parametrize(
    "params, name",
    [
        (dict(hidden_layer_sizes=(4, 4), dropout=[0.1, 0.2, 0.3]), "dropout"),
        (dict(hidden_layer_sizes=(4, 4), dropout=[0.1]), "dropout"),
        (dict(hidden_layer_sizes=(4, 4), dropout=[0.5, 1.0]), "dropout"),
        (dict(hidden_layer_sizes=(4,), dropout=[-0.1]), "dropout"),
        (dict(hidden_layer_sizes=(4,), dropout=1.0), "dropout"),
        (dict(hidden_layer_sizes=(4,), clip_value=(1.0, -1.0)), "clip_value"),
        (dict(hidden_layer_sizes=(4,), clip_value=(0.0, 1.0, 2.0)), "clip_value"),
        (dict(hidden_layer_sizes=(4,), frozen_layers=2), "frozen_layers"),
        (dict(hidden_layer_sizes=(), frozen_layers=1), "frozen_layers"),
        (dict(hidden_layer_sizes=(4, 4), dropout=0.2, solver="lbfgs"), "dropout"),
        (dict(hidden_layer_sizes=(4, 4), dropout=[0.0, 0.2], solver="lbfgs"), "dropout"),
        (dict(hidden_layer_sizes=(4, 0)), "hidden_layer_sizes"),
    ],
)
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_bad_extra_parameters_raise_value_error_naming_them(cls, params, name):
    X, y = _data_for(cls)
    est = cls(max_iter=2, **params)
    with pytest.raises(ValueError, match=name):
        est.fit(X, y)
    assert not hasattr(est, "coefs_")


@pytest.mark.parametrize(
    "name, value",
    [
        ("solver", "newton"),
        ("activation", "swish"),
        ("alpha", -1.0),
        ("batch_size", 0),
        ("batch_size", "half"),
        ("learning_rate", "linear"),
        ("learning_rate_init", 0.0),
        ("max_iter", 0),
        ("momentum", 1.5),
        ("validation_fraction", 1.0),
        ("n_iter_no_change", 0),
        ("weight_init", "orthogonal"),
        ("rho", 1.0),
        ("weight_decay", -0.1),
        ("decay_rate", 0.0),
        ("decay_steps", 0),
        ("clip_value", -1.0),
        ("clip_norm", 0.0),
        ("validation_interval", 0),
        ("early_stopping_metric", "auc"),
        ("frozen_layers", -1),
        ("hidden_layer_sizes", -3),
    ],
)
@pytest.mark.parametrize("cls", ESTIMATORS)
def test_invalid_constraint_values_raise_invalid_parameter_error(cls, name, value):
    X, y = _data_for(cls)
    est = cls(**{"max_iter": 2, name: value})
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        est.fit(X, y)


def test_estimator_specific_invalid_values():
    X, y = _classification()
    with pytest.raises(InvalidParameterError, match="'class_weight' parameter"):
        MLPClassifier(class_weight="auto").fit(X, y)
    with pytest.raises(InvalidParameterError, match="'loss' parameter"):
        MLPRegressor(loss="huber").fit(X, y.astype(float))


# ----------------------------------------------------------------------------
# divergence


def _unscaled_diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X * 1000.0, y  # features of order 100, targets of order 100


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("batch_size", ["auto", "full"])
def test_divergence_stops_with_advice(cls, batch_size):
    X, y = _unscaled_diabetes()
    if cls is MLPClassifier:
        y = (y > np.median(y)).astype(int)
    est = cls(hidden_layer_sizes=(16,), solver="sgd", learning_rate_init=1e6,
              batch_size=batch_size, max_iter=50, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            est.fit(X, y)
        except ValueError as exc:
            assert "learning_rate_init" in str(exc) and "clip_norm" in str(exc)
            assert not hasattr(est, "coefs_")
            return
    if est.stop_reason_ == "diverged":
        advice = [w for w in caught if issubclass(w.category, UserWarning)
                  and "learning_rate_init" in str(w.message)
                  and "clip_norm" in str(w.message)]
        assert advice, [str(w.message) for w in caught]
    # whether it diverged or not, a successful fit predicts finite values
    out = est.predict_proba(X) if cls is MLPClassifier else est.predict(X)
    assert np.all(np.isfinite(out))


@pytest.mark.parametrize("learning_rate_init", [1e2, 1e10, 1e40])
def test_divergence_keeps_the_last_epoch_with_finite_outputs(learning_rate_init):
    """SPEC 5: fit keeps the last epoch whose weights give finite outputs.

    One full-batch step of plain gradient descent from the initial weights
    ends with finite weights, so a 1-epoch fit succeeds; a longer fit that
    diverges later must then fall back to such an epoch instead of raising.
    """
    X, y = _unscaled_diabetes()
    kwargs = dict(hidden_layer_sizes=(16,), solver="sgd", momentum=0.0, batch_size="full",
                  learning_rate_init=learning_rate_init, random_state=0)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", UserWarning)
        one = MLPRegressor(max_iter=1, **kwargs).fit(X, y)
        assert np.all(np.isfinite(one.predict(X)))
        longer = MLPRegressor(max_iter=20, **kwargs).fit(X, y)
    assert longer.stop_reason_ in ("diverged", "max_iter", "tol")
    assert np.all(np.isfinite(longer.predict(X)))
    assert len(longer.loss_curve_) == longer.n_iter_ >= 1


@pytest.mark.parametrize("batch_size", ["auto", "full"])
def test_failed_warm_start_fit_keeps_previous_weights(batch_size):
    X, y = _unscaled_diabetes()
    X_scaled = (X - X.mean(axis=0)) / X.std(axis=0)
    reg = MLPRegressor(hidden_layer_sizes=(16,), solver="sgd", learning_rate_init=1e-3,
                       max_iter=20, warm_start=True, random_state=0).fit(X_scaled, y)
    coefs = [W.copy() for W in reg.coefs_]
    predictions = reg.predict(X_scaled)
    # the very first step overflows: no epoch of this fit has usable weights
    reg.set_params(learning_rate_init=1e300, batch_size=batch_size)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        try:
            reg.fit(X, y)
        except ValueError as exc:
            assert "learning_rate_init" in str(exc)
        else:
            assert reg.stop_reason_ == "diverged"
    for W, W_before in zip(reg.coefs_, coefs):
        np.testing.assert_array_equal(W, W_before)
    np.testing.assert_array_equal(reg.predict(X_scaled), predictions)


# ----------------------------------------------------------------------------
# determinism


@pytest.mark.parametrize(
    "params",
    [
        dict(solver="adam"),
        dict(solver="sgd"),
        dict(solver="lbfgs"),
        dict(solver="rmsprop", batch_size=16),
        dict(solver="adam", dropout=0.3),
        dict(solver="adam", early_stopping=True, max_iter=40),
    ],
    ids=["adam", "sgd", "lbfgs", "rmsprop", "dropout", "early_stopping"],
)
def test_same_random_state_gives_identical_models(params):
    X, y = _classification()
    kwargs = {"hidden_layer_sizes": (8,), "max_iter": 20, **params}
    first = MLPClassifier(random_state=42, **kwargs).fit(X, y)
    second = MLPClassifier(random_state=42, **kwargs).fit(X, y)
    for W_first, W_second in zip(first.coefs_ + first.intercepts_,
                                 second.coefs_ + second.intercepts_):
        np.testing.assert_array_equal(W_first, W_second)
    assert first.loss_curve_ == second.loss_curve_
    other = MLPClassifier(random_state=43, **kwargs).fit(X, y)
    assert not np.array_equal(first.coefs_[0], other.coefs_[0])


def test_random_state_instance_is_reproducible():
    X, y = _regression()
    kwargs = dict(hidden_layer_sizes=(8,), max_iter=10)
    a = MLPRegressor(random_state=np.random.RandomState(0), **kwargs).fit(X, y)
    b = MLPRegressor(random_state=np.random.RandomState(0), **kwargs).fit(X, y)
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])


def test_failed_first_partial_fit_leaves_classifier_unfitted():
    from sklearn.exceptions import NotFittedError

    clf = MLPClassifier()
    X = np.ones((4, 2))
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        clf.partial_fit(X, [0, 1, 0, 1], classes=[0, 1])
    assert not hasattr(clf, "classes_")
    with pytest.raises(NotFittedError):
        clf.predict(np.ones((2, 2)))


def test_x_val_routes_through_pipeline_and_grid_search():
    """X_val reaches the MLP transformed by the pipeline (metadata routing)."""
    import sklearn
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    X_train, X_val, y_train, y_val = train_test_split(X, y, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = MLPClassifier(hidden_layer_sizes=(16,), max_iter=5, random_state=0)
        mlp.set_fit_request(X_val=True, y_val=True)
        pipe = Pipeline([("scale", StandardScaler()), ("mlp", mlp)],
                        transform_input=["X_val"])
        pipe.fit(X_train, y_train, X_val=X_val, y_val=y_val)
        # the recorded score is that of the scaled X_val, not of the raw one
        assert pipe[-1].history_["val_score"][-1] == pytest.approx(pipe.score(X_val, y_val))
        raw = pipe[-1].score(X_val, y_val)
        assert raw != pytest.approx(pipe.score(X_val, y_val))

        search = GridSearchCV(pipe, {"mlp__alpha": [1e-4, 1e-1]}, cv=2)
        search.fit(X_train, y_train, X_val=X_val, y_val=y_val)
        best = search.best_estimator_
        assert best[-1].history_["val_score"][-1] == pytest.approx(best.score(X_val, y_val))
