"""sknnopt against scikit-learn's MLP with matched settings on small real data.

For every case both libraries get the same hyperparameters, the same
standardized train/test split and the same three seeds; sknnopt's mean test
score (accuracy, or R^2 for diabetes) must be within ``TOLERANCE`` of
scikit-learn's or better. The measured numbers are printed as a table at the
end of the run (``dataset, solver, sknnopt, sklearn``).
"""

import functools
import warnings

import numpy as np
import pytest
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from sknnopt import MLPClassifier, MLPRegressor

SEEDS = (0, 1, 2)
TOLERANCE = 0.02

# loader, is_regression, minimum mean score that makes a setting meaningful
DATASETS = {
    "digits": (datasets.load_digits, False, 0.9),
    "breast_cancer": (datasets.load_breast_cancer, False, 0.9),
    "wine": (datasets.load_wine, False, 0.9),
    # targets as given (unscaled); small R^2 values are normal on this split
    "diabetes": (datasets.load_diabetes, True, 0.1),
}

_slow = pytest.mark.slow
CASES = [
    pytest.param("digits", dict(solver="adam", hidden_layer_sizes=(50,), max_iter=100),
                 marks=_slow, id="digits-adam"),
    pytest.param("digits", dict(solver="sgd", hidden_layer_sizes=(50,),
                                learning_rate_init=0.01, batch_size=64, max_iter=100),
                 marks=_slow, id="digits-sgd"),
    pytest.param("digits", dict(solver="lbfgs", hidden_layer_sizes=(50,), max_iter=200),
                 marks=_slow, id="digits-lbfgs"),
    pytest.param("breast_cancer", dict(solver="adam", hidden_layer_sizes=(30,), max_iter=200),
                 id="breast_cancer-adam"),
    pytest.param("breast_cancer", dict(solver="sgd", hidden_layer_sizes=(30,),
                                       learning_rate_init=0.01, max_iter=200),
                 id="breast_cancer-sgd"),
    pytest.param("breast_cancer", dict(solver="lbfgs", hidden_layer_sizes=(30,),
                                       alpha=1e-3, max_iter=200),
                 id="breast_cancer-lbfgs"),
    pytest.param("wine", dict(solver="adam", hidden_layer_sizes=(30,), max_iter=300),
                 id="wine-adam"),
    pytest.param("wine", dict(solver="sgd", hidden_layer_sizes=(30,),
                              learning_rate_init=0.01, batch_size=32, max_iter=300),
                 id="wine-sgd"),
    pytest.param("wine", dict(solver="lbfgs", hidden_layer_sizes=(30,), max_iter=200),
                 id="wine-lbfgs"),
    pytest.param("diabetes", dict(solver="lbfgs", hidden_layer_sizes=(10,), alpha=10.0,
                                  max_iter=100),
                 id="diabetes-lbfgs"),
    pytest.param("diabetes", dict(solver="adam", hidden_layer_sizes=(10,), alpha=1.0,
                                  learning_rate_init=0.05, max_iter=300),
                 id="diabetes-adam"),
]

_RESULTS = []


@pytest.fixture(scope="module", autouse=True)
def _one_blas_thread():
    # the products here are tiny: BLAS threads cost far more than they save
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(scope="module", autouse=True)
def _parity_table(request):
    """Print the measured numbers once the module's tests have run."""
    yield
    if not _RESULTS:
        return
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    lines = [f"{'dataset':<14} {'solver':<7} {'sknnopt':>8} {'sklearn':>8} {'diff':>7}"]
    for name, solver, ours, theirs in _RESULTS:
        lines.append(
            f"{name:<14} {solver:<7} {ours:>8.4f} {theirs:>8.4f} {ours - theirs:>+7.4f}"
        )
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if reporter is None or capture is None:  # pragma: no cover - no terminal
        print("\n".join(lines))
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_sep("-", "sknnopt vs scikit-learn, mean test score over 3 seeds")
        for line in lines:
            reporter.write_line(line)


@functools.cache
def _split(name):
    loader, regression, _ = DATASETS[name]
    X, y = loader(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=None if regression else y
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def _mean_score(estimator_class, params, name):
    X_train, X_test, y_train, y_test = _split(name)
    scores = []
    for seed in SEEDS:
        with warnings.catch_warnings():
            # matched short budgets: neither library is expected to converge fully
            warnings.simplefilter("ignore", ConvergenceWarning)
            est = estimator_class(random_state=seed, **params).fit(X_train, y_train)
        scores.append(est.score(X_test, y_test))
    return float(np.mean(scores))


@pytest.mark.parametrize("name, params", CASES)
def test_score_matches_sklearn(name, params):
    _, regression, floor = DATASETS[name]
    ours_class, theirs_class = (
        (MLPRegressor, SkMLPRegressor) if regression else (MLPClassifier, SkMLPClassifier)
    )
    ours = _mean_score(ours_class, params, name)
    theirs = _mean_score(theirs_class, params, name)
    _RESULTS.append((name, params["solver"], ours, theirs))

    assert ours >= theirs - TOLERANCE, (
        f"{name}/{params['solver']}: sknnopt {ours:.4f} vs scikit-learn {theirs:.4f}"
    )
    # the setting must be one where a working MLP does well, so the
    # comparison says something
    assert ours >= floor, f"{name}/{params['solver']}: sknnopt scores only {ours:.4f}"


def test_same_objective_as_sklearn_at_the_same_weights():
    """Given sklearn's fitted weights, one more L-BFGS step sees sklearn's loss.

    With identical weights both libraries evaluate the same objective
    (mean log-loss + alpha / (2n) ||W||^2), so sknnopt's first L-BFGS
    iteration from sklearn's optimum cannot end above sklearn's final loss.
    """
    X_train, _, y_train, _ = _split("wine")
    params = dict(solver="lbfgs", hidden_layer_sizes=(8,), alpha=1e-2, max_iter=50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = SkMLPClassifier(random_state=0, **params).fit(X_train, y_train)
        ours = MLPClassifier(random_state=0, warm_start=True, **params).fit(X_train, y_train)
    ours.coefs_ = [W.copy() for W in theirs.coefs_]
    ours.intercepts_ = [b.copy() for b in theirs.intercepts_]
    np.testing.assert_allclose(
        ours.predict_proba(X_train), theirs.predict_proba(X_train), rtol=1e-12, atol=1e-14
    )
    ours.set_params(max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.fit(X_train, y_train)
    assert ours.loss_ <= theirs.loss_ * (1 + 1e-9)
    # and it is close to it: sklearn stopped near a minimum of the same objective
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=0.05)
