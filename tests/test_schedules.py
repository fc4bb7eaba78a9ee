"""Tests of the learning-rate schedules and of their use by the estimators."""

import math
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sknnopt import MLPClassifier
from sknnopt.schedules import SCHEDULES

P = {
    "learning_rate_init": 0.1,
    "power_t": 0.5,
    "decay_rate": 0.5,
    "decay_steps": 3,
    "max_iter": 10,
}


def by_hand(name, epoch, samples_seen, p):
    """SPEC section 2, written out independently of the module."""
    lr0 = p["learning_rate_init"]
    if name in ("constant", "adaptive"):
        return lr0
    if name == "invscaling":
        return lr0 / (samples_seen + 1) ** p["power_t"]
    if name == "exponential":
        return lr0 * p["decay_rate"] ** (epoch / p["decay_steps"])
    if name == "step":
        return lr0 * p["decay_rate"] ** math.floor(epoch / p["decay_steps"])
    if name == "cosine":
        return lr0 * 0.5 * (1 + math.cos(math.pi * epoch / p["max_iter"]))
    pytest.fail(f"add the formula of learning_rate={name!r} here")


def test_sklearn_schedules_are_registered():
    assert {"constant", "invscaling", "adaptive"} <= set(SCHEDULES)
    assert {"exponential", "step", "cosine"} <= set(SCHEDULES)


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_first_epoch_runs_at_learning_rate_init(name):
    assert SCHEDULES[name](0, 0, P) == pytest.approx(0.1, rel=1e-15)


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_never_increases(name):
    rates = [SCHEDULES[name](e, 50 * e, P) for e in range(P["max_iter"] + 1)]
    assert all(b <= a + 1e-15 for a, b in zip(rates, rates[1:]))
    assert all(r >= 0 for r in rates)


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_matches_formula(name):
    for epoch in range(P["max_iter"] + 1):
        samples_seen = 37 * epoch
        assert SCHEDULES[name](epoch, samples_seen, P) == pytest.approx(
            by_hand(name, epoch, samples_seen, P), rel=1e-12, abs=1e-18
        )


def test_constant():
    assert SCHEDULES["constant"](7, 1000, P) == 0.1
    assert SCHEDULES["adaptive"](7, 1000, P) == 0.1


def test_invscaling_uses_samples_seen():
    assert SCHEDULES["invscaling"](0, 0, P) == pytest.approx(0.1)
    assert SCHEDULES["invscaling"](1, 99, P) == pytest.approx(0.01)
    assert SCHEDULES["invscaling"](5, 99, P) == pytest.approx(0.01)  # not the epoch
    assert SCHEDULES["invscaling"](1, 3, {**P, "power_t": 1.0}) == pytest.approx(0.025)


def test_exponential():
    assert SCHEDULES["exponential"](3, 0, P) == pytest.approx(0.05)
    assert SCHEDULES["exponential"](6, 0, P) == pytest.approx(0.025)
    assert SCHEDULES["exponential"](1, 0, P) == pytest.approx(0.1 * 0.5 ** (1 / 3))


def test_step():
    rates = [SCHEDULES["step"](e, 0, P) for e in range(8)]
    np.testing.assert_allclose(rates, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025])


def test_cosine():
    cosine = SCHEDULES["cosine"]
    assert cosine(0, 0, P) == pytest.approx(0.1, rel=1e-15)
    assert cosine(5, 0, P) == pytest.approx(0.05)
    assert cosine(10, 0, P) == pytest.approx(0.0, abs=1e-18)  # epoch == max_iter
    assert cosine(2, 0, P) == pytest.approx(0.1 * 0.5 * (1 + math.cos(math.pi / 5)))
    # past max_iter (partial_fit keeps counting) it stays at 0, it does not rise again
    assert cosine(15, 0, P) == pytest.approx(0.0, abs=1e-18)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _fit(iris, **params):
    X, y = iris
    clf = MLPClassifier(
        hidden_layer_sizes=(5,),
        learning_rate_init=0.01,
        tol=0.0,
        n_iter_no_change=100,
        random_state=0,
        **params,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return clf.fit(X, y)


def test_step_schedule_recorded_in_history(iris):
    clf = _fit(iris, learning_rate="step", decay_steps=2, decay_rate=0.5, max_iter=6)
    np.testing.assert_allclose(
        clf.history_["learning_rate"], [0.01, 0.01, 0.005, 0.005, 0.0025, 0.0025]
    )


@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_every_schedule_recorded_in_history(iris, name, solver):
    max_iter, n = 6, iris[0].shape[0]
    clf = _fit(
        iris,
        solver=solver,
        learning_rate=name,
        decay_steps=2,
        decay_rate=0.7,
        power_t=0.25,
        max_iter=max_iter,
    )
    p = {"learning_rate_init": 0.01, "power_t": 0.25, "decay_rate": 0.7,
         "decay_steps": 2, "max_iter": max_iter}
    expected = [by_hand(name, e, e * n, p) for e in range(max_iter)]
    assert clf.n_iter_ == max_iter
    np.testing.assert_allclose(clf.history_["learning_rate"], expected, rtol=1e-12)


def test_schedule_restarts_at_every_fit(iris):
    X, y = iris
    clf = _fit(iris, learning_rate="step", decay_steps=1, decay_rate=0.5, max_iter=3,
               warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    # the history accumulates across warm-start fits; the schedule restarts
    np.testing.assert_allclose(
        clf.history_["learning_rate"], [0.01, 0.005, 0.0025, 0.01, 0.005, 0.0025]
    )


def test_schedule_continues_across_partial_fit(iris):
    X, y = iris
    clf = MLPClassifier(
        hidden_layer_sizes=(5,),
        learning_rate="step",
        decay_steps=1,
        decay_rate=0.5,
        learning_rate_init=0.01,
        random_state=0,
    )
    for _ in range(3):
        clf.partial_fit(X, y, classes=np.unique(y))
    np.testing.assert_allclose(clf.history_["learning_rate"], [0.01, 0.005, 0.0025])
