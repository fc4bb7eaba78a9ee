"""Semi-supervised fits: self-training and autoencoder pretraining (SPEC section 4)."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from sknnopt import MLPClassifier, MLPRegressor

N_SAMPLES, N_LABELED = 300, 60


@pytest.fixture(scope="module", autouse=True)
def _one_blas_thread():
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(autouse=True)
def _quiet_convergence():
    # small max_iter on purpose: these tests are about the procedure, not convergence
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _data(n_classes=3):
    """Return X, the true y, and y with all but N_LABELED labels replaced by -1."""
    X, y = make_classification(
        n_samples=N_SAMPLES, n_features=10, n_informative=6, n_classes=n_classes,
        class_sep=1.5, random_state=0,
    )
    y_semi = y.copy()
    y_semi[np.random.default_rng(0).permutation(N_SAMPLES)[N_LABELED:]] = -1
    return X, y, y_semi


def _classifier(**params):
    defaults = dict(
        hidden_layer_sizes=(16,), max_iter=60, learning_rate_init=0.01,
        semi_supervised="self_training", random_state=0,
    )
    return MLPClassifier(**{**defaults, **params})


class RecordingClassifier(MLPClassifier):
    """Records every predict_proba call made during fit: (X, probabilities)."""

    def predict_proba(self, X):
        proba = super().predict_proba(X)
        self.__dict__.setdefault("proba_calls", []).append(
            (np.array(X, copy=True), proba.copy())
        )
        return proba


class ScriptedClassifier(MLPClassifier):
    """A classifier whose predict_proba is scripted by the test (class attribute
    ``script(X, classes) -> proba``), to probe the self-training rules exactly."""

    script = None

    def predict_proba(self, X):
        self.__dict__.setdefault("n_proba_calls", 0)
        self.n_proba_calls += 1
        return type(self).script(np.asarray(X), self.classes_)


# ---------------------------------------------------------------------------
# self-training: the fitted attributes
def test_self_training_attributes_are_consistent():
    X, y, y_semi = _data()
    clf = _classifier().fit(X, y_semi)
    labeled = y_semi != -1
    li, tr = clf.labeled_iter_, clf.transduction_

    assert li.shape == tr.shape == (N_SAMPLES,)
    assert list(clf.classes_) == [0, 1, 2]  # -1 is the marker, not a class
    np.testing.assert_array_equal(tr[labeled], y_semi[labeled])
    np.testing.assert_array_equal(li[labeled], 0)
    np.testing.assert_array_equal(tr == -1, li == -1)
    pseudo = li > 0
    assert not np.any(labeled & (li != 0))
    assert np.all((li[~labeled] == -1) | ((li[~labeled] >= 1)
                  & (li[~labeled] <= clf.self_training_max_iter)))
    assert clf.n_pseudo_labeled_ == pseudo.sum() > 0
    assert set(tr[pseudo]) <= set(clf.classes_)
    assert clf.n_self_training_rounds_ == li.max()
    # the pseudo-labels are mostly right on this easy problem (not a rule, a sanity check)
    assert accuracy_score(y[pseudo], tr[pseudo]) > 0.7


@pytest.mark.parametrize(
    "threshold, max_iter", [(0.75, 10), (0.99, 10), (0.9, 2)]
)
def test_every_pseudo_label_had_threshold_probability_when_assigned(threshold, max_iter):
    X, _, y_semi = _data()
    clf = RecordingClassifier(
        hidden_layer_sizes=(16,), max_iter=60, learning_rate_init=0.01,
        semi_supervised="self_training", self_training_threshold=threshold,
        self_training_max_iter=max_iter, random_state=0,
    ).fit(X, y_semi)
    calls = clf.proba_calls
    li, tr = clf.labeled_iter_, clf.transduction_
    unlabeled = y_semi == -1
    n_rounds = clf.n_self_training_rounds_
    assert n_rounds == li.max() and clf.n_pseudo_labeled_ > 0

    for round_ in range(1, len(calls) + 1):
        X_seen, proba = calls[round_ - 1]
        # the rows still unlabeled when the round began, in their original order
        pending = np.flatnonzero(unlabeled & ((li == -1) | (li >= round_)))
        np.testing.assert_array_equal(X_seen, X[pending])
        confident = proba.max(axis=1) >= threshold
        np.testing.assert_array_equal(pending[confident], np.flatnonzero(li == round_))
        np.testing.assert_array_equal(
            tr[pending[confident]], clf.classes_[proba[confident].argmax(axis=1)]
        )

    # why it stopped: a round without a confident row, every row labeled, or max_iter
    if len(calls) == n_rounds + 1:
        assert not np.any(calls[-1][1].max(axis=1) >= threshold)
        assert n_rounds < max_iter
    else:
        assert len(calls) == n_rounds
        assert n_rounds == max_iter or not np.any(li == -1)
    assert n_rounds <= max_iter


def test_threshold_is_inclusive():
    """Rows predicted with probability exactly the threshold are pseudo-labeled;
    the next float below it is not."""
    X, _, y_semi = _data(n_classes=2)
    flag = np.arange(N_SAMPLES) % 2 == 0
    X = np.column_stack([X, flag.astype(float)])
    threshold = 0.8

    def script(X_round, classes):
        p = np.where(X_round[:, -1] > 0, threshold, np.nextafter(threshold, 0))
        return np.column_stack([1 - p, p])

    ScriptedClassifier.script = staticmethod(script)
    clf = ScriptedClassifier(
        hidden_layer_sizes=(4,), max_iter=5, semi_supervised="self_training",
        self_training_threshold=threshold, random_state=0,
    ).fit(X, y_semi)
    unlabeled = y_semi == -1
    np.testing.assert_array_equal(clf.labeled_iter_ == 1, unlabeled & flag)
    np.testing.assert_array_equal(clf.labeled_iter_ == -1, unlabeled & ~flag)
    np.testing.assert_array_equal(clf.transduction_[unlabeled & flag], clf.classes_[1])
    # round 2 finds no row at the threshold and stops
    assert clf.n_proba_calls == 2 and clf.n_self_training_rounds_ == 1


def test_stops_when_no_sample_is_added():
    X, _, y_semi = _data()
    labeled = y_semi != -1
    ScriptedClassifier.script = staticmethod(
        lambda X_round, classes: np.full((len(X_round), len(classes)), 1 / len(classes))
    )
    params = dict(hidden_layer_sizes=(8,), max_iter=30, random_state=0)
    clf = ScriptedClassifier(semi_supervised="self_training", **params).fit(X, y_semi)
    assert clf.n_proba_calls == 1
    assert clf.n_self_training_rounds_ == 0 and clf.n_pseudo_labeled_ == 0
    np.testing.assert_array_equal(clf.transduction_, y_semi)
    np.testing.assert_array_equal(clf.labeled_iter_, np.where(labeled, 0, -1))
    # nothing was added, so the model is the labeled-only fit (no fine-tune either)
    plain = MLPClassifier(**params).fit(X[labeled], y_semi[labeled])
    for W, W_plain in zip(clf.coefs_ + clf.intercepts_, plain.coefs_ + plain.intercepts_):
        np.testing.assert_array_equal(W, W_plain)


@pytest.mark.parametrize("max_iter", [0, 1, 4])
def test_at_most_self_training_max_iter_rounds(max_iter):
    """A script that is confident about exactly one row per round never runs out
    of rows: the rounds stop at self_training_max_iter."""
    X, _, y_semi = _data()

    def script(X_round, classes):
        proba = np.full((len(X_round), len(classes)), 1 / len(classes))
        proba[0] = [1.0] + [0.0] * (len(classes) - 1)
        return proba

    ScriptedClassifier.script = staticmethod(script)
    clf = ScriptedClassifier(
        hidden_layer_sizes=(4,), max_iter=5, semi_supervised="self_training",
        self_training_max_iter=max_iter, random_state=0,
    ).fit(X, y_semi)
    unlabeled = np.flatnonzero(y_semi == -1)
    assert getattr(clf, "n_proba_calls", 0) == max_iter
    assert clf.n_self_training_rounds_ == max_iter == clf.n_pseudo_labeled_
    # round r labels the first row still unlabeled
    np.testing.assert_array_equal(clf.labeled_iter_[unlabeled[:max_iter]],
                                  np.arange(1, max_iter + 1))
    np.testing.assert_array_equal(clf.labeled_iter_[unlabeled[max_iter:]], -1)
    np.testing.assert_array_equal(clf.transduction_[unlabeled[:max_iter]], clf.classes_[0])


def _objective(clf, X, y, alpha):
    """Mean log-loss plus the L2 term alpha / (2n) * sum ||W||^2, computed here."""
    l2 = sum(float((W**2).sum()) for W in clf.coefs_)
    return log_loss(y, clf.predict_proba(X), labels=clf.classes_) + alpha / (2 * len(y)) * l2


def test_fine_tune_false_ends_trained_on_labeled_and_pseudo_labeled():
    """With L-BFGS, ``loss_`` is the objective at the final weights: it tells on
    which rows the last training pass ran."""
    X, _, y_semi = _data()
    alpha = 1e-3
    fits = {
        fine_tune: _classifier(
            solver="lbfgs", max_iter=30, alpha=alpha, self_training_fine_tune=fine_tune
        ).fit(X, y_semi)
        for fine_tune in (False, True)
    }
    no_ft, ft = fits[False], fits[True]
    # same rounds (same seed), then one more pass for fine_tune=True
    np.testing.assert_array_equal(no_ft.transduction_, ft.transduction_)
    assert no_ft.n_pseudo_labeled_ > 0
    assert len(ft.loss_curve_) > len(no_ft.loss_curve_)
    np.testing.assert_allclose(ft.loss_curve_[:len(no_ft.loss_curve_)], no_ft.loss_curve_)

    train = no_ft.labeled_iter_ >= 0
    labeled = y_semi != -1
    assert no_ft.loss_ == pytest.approx(
        _objective(no_ft, X[train], no_ft.transduction_[train], alpha), rel=1e-6
    )
    assert ft.loss_ == pytest.approx(
        _objective(ft, X[labeled], y_semi[labeled], alpha), rel=1e-6
    )
    assert not np.allclose(no_ft.predict_proba(X), ft.predict_proba(X))


# ---------------------------------------------------------------------------
# markers and errors
def test_minus_one_is_an_ordinary_class_without_semi_supervised():
    X, _, y_semi = _data()
    clf = _classifier(semi_supervised=None).fit(X, y_semi)
    assert list(clf.classes_) == [-1, 0, 1, 2]
    assert clf.predict_proba(X).shape == (N_SAMPLES, 4)
    assert not hasattr(clf, "transduction_")


def test_nan_targets_without_semi_supervised_raise():
    X, y = make_regression(n_samples=50, n_features=4, random_state=0)
    y[::3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        MLPRegressor(max_iter=5).fit(X, y)
    # NaN is no marker for the classifier
    with pytest.raises(ValueError, match="NaN"):
        MLPClassifier(max_iter=5, semi_supervised="self_training").fit(X, y)


@pytest.mark.parametrize(
    "make, marker",
    [
        (lambda: _classifier(), -1),
        (lambda: _classifier(semi_supervised="autoencoder"), -1),
        (lambda: MLPRegressor(max_iter=5, semi_supervised="autoencoder"), np.nan),
    ],
)
def test_no_labeled_sample_raises_and_keeps_the_previous_fit(make, marker):
    X, y, _ = _data()
    est = make().fit(X, y)
    coefs = [W.copy() for W in est.coefs_]
    with pytest.raises(ValueError, match="at least one labeled sample"):
        est.fit(X, np.full(N_SAMPLES, marker))
    for W, W_before in zip(est.coefs_, coefs):
        np.testing.assert_array_equal(W, W_before)
    with pytest.raises(ValueError, match="at least one labeled sample"):
        clone(est).fit(X, np.full(N_SAMPLES, marker))


def test_string_labels_need_an_object_array():
    X, y, y_semi = _data()
    names = np.array(["ant", "bee", "cat"])
    y_obj = names[y].astype(object)
    y_obj[y_semi == -1] = -1  # the integer marker
    clf = _classifier().fit(X, y_obj)
    assert list(clf.classes_) == ["ant", "bee", "cat"]
    assert set(clf.transduction_[clf.labeled_iter_ > 0]) <= set(names)
    np.testing.assert_array_equal(clf.transduction_[clf.labeled_iter_ == -1], -1)
    # a list mixing strings and -1 turns -1 into the string '-1': refuse it
    with pytest.raises(ValueError, match="object array"):
        _classifier().fit(X, list(y_obj))


def test_regressor_rejects_self_training():
    X, y = make_regression(n_samples=30, n_features=3, random_state=0)
    with pytest.raises(InvalidParameterError, match="semi_supervised"):
        MLPRegressor(semi_supervised="self_training").fit(X, y)


@pytest.mark.parametrize("semi_supervised", ["self_training", "autoencoder"])
def test_partial_fit_with_semi_supervised_raises_and_changes_nothing(semi_supervised):
    X, y, y_semi = _data()
    clf = _classifier(semi_supervised=semi_supervised)
    with pytest.raises(ValueError, match="partial_fit"):
        clf.partial_fit(X, y_semi, classes=[0, 1, 2])
    with pytest.raises(NotFittedError):  # the refused call left no trace
        check_is_fitted(clf)
    clf.set_params(semi_supervised=None).partial_fit(X, y, classes=[0, 1, 2])
    coefs = [W.copy() for W in clf.coefs_]
    with pytest.raises(ValueError, match="partial_fit"):
        clf.set_params(semi_supervised=semi_supervised).partial_fit(X, y)
    for W, W_before in zip(clf.coefs_, coefs):
        np.testing.assert_array_equal(W, W_before)

    X_r, y_r = make_regression(n_samples=40, n_features=3, random_state=0)
    with pytest.raises(ValueError, match="partial_fit"):
        MLPRegressor(semi_supervised="autoencoder").partial_fit(X_r, y_r)


def test_attributes_of_an_earlier_semi_supervised_fit_are_dropped():
    X, y, y_semi = _data()
    clf = _classifier().fit(X, y_semi)
    assert hasattr(clf, "transduction_")
    clf.set_params(semi_supervised="autoencoder", pretrain_max_iter=3).fit(X, y_semi)
    assert hasattr(clf, "autoencoder_loss_curve_") and not hasattr(clf, "transduction_")
    clf.set_params(semi_supervised=None).fit(X, y)
    assert not hasattr(clf, "autoencoder_loss_curve_")


# ---------------------------------------------------------------------------
# autoencoder pretraining
def test_regressor_autoencoder_uses_the_unlabeled_rows():
    X, y = make_regression(n_samples=200, n_features=8, n_informative=5, random_state=0)
    y_semi = y.copy()
    y_semi[40:] = np.nan
    labeled = ~np.isnan(y_semi)
    # frozen_layers=1 keeps the first layer as it comes out of pretraining
    params = dict(hidden_layer_sizes=(6,), max_iter=20, pretrain_max_iter=30,
                  frozen_layers=1, random_state=0)
    reg = MLPRegressor(semi_supervised="autoencoder", **params).fit(X, y_semi)
    only_labeled = MLPRegressor(semi_supervised="autoencoder", **params).fit(
        X[labeled], y_semi[labeled]
    )
    plain_init = MLPRegressor(**params).fit(X[labeled], y_semi[labeled])

    curve = reg.autoencoder_loss_curve_
    assert len(curve) == 30
    assert curve[-1] < 0.9 * curve[0]
    assert np.all(np.diff(curve) < 0)  # full-data Adam on a smooth loss: steadily down
    assert not np.allclose(reg.coefs_[0], plain_init.coefs_[0])
    # the unlabeled rows changed what the first layer learned
    assert not np.allclose(reg.coefs_[0], only_labeled.coefs_[0])
    # the supervised pass ran on the labeled rows only
    assert reg.t_ == reg.n_iter_ * labeled.sum()
    assert np.isfinite(reg.predict(X)).all()


def test_classifier_autoencoder():
    X, y, y_semi = _data()
    clf = _classifier(semi_supervised="autoencoder", pretrain_max_iter=20).fit(X, y_semi)
    assert list(clf.classes_) == [0, 1, 2]
    assert len(clf.autoencoder_loss_curve_) == 20
    assert clf.autoencoder_loss_curve_[-1] < clf.autoencoder_loss_curve_[0]
    assert clf.t_ == clf.n_iter_ * N_LABELED
    assert not hasattr(clf, "transduction_")
    assert clf.score(X, y) > 0.6  # chance is 1/3
    # nothing to pretrain without hidden layers
    linear = _classifier(semi_supervised="autoencoder", hidden_layer_sizes=()).fit(X, y_semi)
    assert linear.autoencoder_loss_curve_ == []


def test_autoencoder_gives_way_to_warm_start():
    X, y, y_semi = _data()
    clf = _classifier(semi_supervised="autoencoder", pretrain_max_iter=5,
                      max_iter=3).fit(X, y_semi)
    n_epochs = len(clf.loss_curve_)
    clf.set_params(warm_start=True).fit(X, y_semi)
    # continued from the fitted weights (history grows), no second pretraining
    assert len(clf.loss_curve_) == n_epochs + 3
    assert clf.autoencoder_loss_curve_ == []


# ---------------------------------------------------------------------------
# in scikit-learn's tools
def labeled_accuracy(estimator, X, y):
    """Accuracy on the labeled rows only: the unlabeled rows (-1) carry no answer."""
    labeled = np.asarray(y) != -1
    return accuracy_score(np.asarray(y)[labeled], estimator.predict(X[labeled]))


def test_pipeline_scaler_sees_all_rows():
    X, _, y_semi = _data()
    X = X * 10 + 3
    pipe = make_pipeline(StandardScaler(), _classifier()).fit(X, y_semi)
    scaler, clf = pipe[0], pipe[-1]
    assert scaler.n_samples_seen_ == N_SAMPLES
    np.testing.assert_allclose(scaler.mean_, X.mean(axis=0))
    assert clf.transduction_.shape == (N_SAMPLES,)
    assert clf.n_pseudo_labeled_ > 0


def test_grid_search_with_a_labeled_only_scorer():
    X, y, y_semi = _data()
    pipe = make_pipeline(StandardScaler(), _classifier(max_iter=30))
    fitted = clone(pipe).fit(X, y_semi)
    # the scorer is accuracy on the labeled rows; the default one also counts
    # every unlabeled row as a miss (-1 is never predicted)
    labeled = y_semi != -1
    assert labeled_accuracy(fitted, X, y_semi) == accuracy_score(
        y_semi[labeled], fitted.predict(X[labeled])
    )
    assert fitted.score(X, y_semi) < 0.5 * labeled_accuracy(fitted, X, y_semi)

    search = GridSearchCV(
        pipe,
        {"mlpclassifier__self_training_threshold": [0.7, 0.95]},
        scoring=labeled_accuracy,
        cv=3,
        error_score="raise",
    ).fit(X, y_semi)
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores)) and np.all(scores > 0.6)  # chance is 1/3
    assert search.best_estimator_[-1].transduction_.shape == (N_SAMPLES,)


def test_sparse_X_gives_the_dense_result():
    X, _, y_semi = _data()
    X[np.abs(X) < 0.5] = 0.0
    dense = _classifier().fit(X, y_semi)
    for fmt in (sp.csr_matrix, sp.csc_matrix):
        sparse = _classifier().fit(fmt(X), y_semi)
        np.testing.assert_array_equal(sparse.transduction_, dense.transduction_)
        np.testing.assert_array_equal(sparse.labeled_iter_, dense.labeled_iter_)
        np.testing.assert_allclose(sparse.predict_proba(X), dense.predict_proba(X),
                                   atol=1e-8)
    ae = _classifier(semi_supervised="autoencoder", pretrain_max_iter=5).fit(
        sp.csr_matrix(X), y_semi
    )
    assert len(ae.autoencoder_loss_curve_) == 5


@pytest.mark.parametrize("mode", ["self_training", "autoencoder"])
def test_dataframe_feature_names_survive_semi_supervised_fit(mode):
    import pandas as pd  # a test dependency: never skipped
    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.randn(60, 3), columns=["a", "b", "c"])
    y = (X["a"] > 0).astype(int).to_numpy().copy()
    y[::3] = -1
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # e.g. "X has feature names ..."
        warnings.simplefilter("ignore", ConvergenceWarning)  # (a UserWarning too)
        model = MLPClassifier(hidden_layer_sizes=(5,), max_iter=20, semi_supervised=mode,
                              random_state=0).fit(X, y)
        assert list(model.feature_names_in_) == ["a", "b", "c"]
        assert model.predict(X).shape == (60,)
