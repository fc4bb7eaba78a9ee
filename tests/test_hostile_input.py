"""Hostile input, property-based (SPEC section 5).

Random shapes, dtypes, dense and sparse X, hyperparameter combinations and
poisoned data (NaN, inf, huge values, constant columns, one class, one sample,
empty arrays, wrong feature counts, unseen labels, non-numeric X). Every call
either succeeds or raises a ValueError / TypeError (NotFittedError and
InvalidParameterError are ValueErrors) with a message; nothing else escapes,
nothing hangs, a successful fit never predicts non-finite values on its
training data, and a failed fit or partial_fit leaves a fitted estimator as it
was.

The number of examples each property ran and what they found are printed at
the end of the module (and kept in ``EXAMPLES``).
"""

import collections
import contextlib
import copy
import signal
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.exceptions import NotFittedError
from threadpoolctl import threadpool_limits

from sknnopt import MLPClassifier, MLPRegressor
from sknnopt.activations import ACTIVATIONS
from sknnopt.initializers import INITIALIZERS
from sknnopt.optimizers import OPTIMIZERS
from sknnopt.schedules import SCHEDULES

ALLOWED = (ValueError, TypeError)  # NotFittedError, InvalidParameterError included
SOLVERS = sorted(OPTIMIZERS) + ["lbfgs"]
SETTINGS = settings(
    deadline=None,
    max_examples=120,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,  # CI runs the same examples every time
)
# seconds a single call may take before it counts as a hang
TIME_LIMIT = 20

# what each property saw: {test name: Counter of outcomes}
EXAMPLES = collections.defaultdict(collections.Counter)


@pytest.fixture(scope="module", autouse=True)
def _one_blas_thread_and_report(request):
    with threadpool_limits(limits=1, user_api="blas"):
        yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        for name, counts in sorted(EXAMPLES.items()):
            n_examples = counts.pop("examples", 0)
            summary = ", ".join(f"{k}: {v}" for k, v in counts.most_common())
            reporter.write_line(f"hostile input, {name}: {n_examples} examples; {summary}")


@pytest.fixture(autouse=True)
def _quiet_warnings():
    # hostile data makes convergence and overflow warnings by design
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


class Hang(Exception):
    """Raised when one call runs longer than TIME_LIMIT (not an allowed error)."""


@contextlib.contextmanager
def _time_limit(seconds=TIME_LIMIT):
    if not hasattr(signal, "SIGALRM"):  # not on Windows
        yield
        return

    def on_alarm(signum, frame):
        raise Hang(f"call took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _event(name):
    """Record a hypothesis event (inside a property; a no-op elsewhere)."""
    from hypothesis.control import currently_in_test_context

    if currently_in_test_context():
        event(name)


def _attempt(counter, label, func, *args, **kwargs):
    """Call func; return (True, result) or (False, the allowed exception)."""
    try:
        with _time_limit(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = func(*args, **kwargs)
    except ALLOWED as exc:
        message = str(exc).strip()
        assert message, f"{type(exc).__name__} without a message"
        kind = f"{label} rejected ({type(exc).__name__}: {_gist(message)})"
        counter[kind] += 1
        _event(kind)
        return False, exc
    counter[f"{label} ok"] += 1
    _event(f"{label} ok")
    return True, result


def _gist(message):
    """A short class of an error message, for the statistics."""
    for key in ("NaN", "infinity", "feature", "sample", "class", "label", "Unknown label",
                "diverged", "non-finite", "parameter", "dropout", "clip_value",
                "partial_fit", "weight", "validation", "string", "numeric", "2D"):
        if key.lower() in message.lower():
            return key
    return message[:40]


# ----------------------------------------------------------------------------
# strategies


@st.composite
def hyperparameters(draw, cls, hostile=True):
    """Hyperparameter combinations; with ``hostile``, invalid ones too (lbfgs with
    dropout, clip min > max, odd values of any parameter)."""
    hidden = draw(st.sampled_from([(3,), (), (4, 2)]))
    params = {
        "hidden_layer_sizes": hidden,
        "activation": draw(st.sampled_from(sorted(ACTIVATIONS))),
        "solver": draw(st.sampled_from(SOLVERS)),
        "batch_size": draw(st.sampled_from(["auto", "full", 1, 3, 1000])),
        "learning_rate": draw(st.sampled_from(sorted(SCHEDULES))),
        "learning_rate_init": draw(st.sampled_from([1e-3, 0.1, 10.0, 1e8])),
        "alpha": draw(st.sampled_from([1e-4, 0.0, 100.0])),
        "dropout": draw(st.sampled_from([0.0, 0.0, 0.5, 0.95])),
        "clip_value": draw(st.sampled_from(
            [None, None, 1e-3, 5.0, (-0.5, 2.0)] + ([(1.0, -1.0)] if hostile else [])
        )),
        "clip_norm": draw(st.sampled_from([None, None, 1e-8, 1.0])),
        "early_stopping": draw(st.booleans()),
        "validation_fraction": draw(st.sampled_from([0.1, 0.5])),
        "n_iter_no_change": draw(st.sampled_from([1, 10])),
        "max_iter": draw(st.integers(1, 4)),
        "max_fun": 50,
        "random_state": draw(st.integers(0, 3)),
    }
    if cls is MLPClassifier:
        params["class_weight"] = draw(st.sampled_from([None, None, "balanced", {0: 2.0}]))
        params["semi_supervised"] = draw(
            st.sampled_from([None] * 4 + ["self_training", "autoencoder"])
        )
        params["self_training_max_iter"] = 2
    else:
        params["loss"] = draw(st.sampled_from(["squared_error", "squared_error", "poisson"]))
        params["semi_supervised"] = draw(st.sampled_from([None] * 5 + ["autoencoder"]))
    params["pretrain_max_iter"] = 2
    if draw(st.integers(0, 3)) == 0:
        params.update(
            frozen_layers=draw(st.integers(0, 2 if hostile else len(hidden))),
            validation_interval=draw(st.sampled_from([1, 2])),
            early_stopping_metric=draw(st.sampled_from(["score", "loss"])),
            weight_init=draw(st.sampled_from(sorted(INITIALIZERS))),
            momentum=draw(st.sampled_from([0.0, 0.9, 1.0])),
            shuffle=draw(st.booleans()),
        )
    if not hostile and params["solver"] == "lbfgs":
        params["dropout"] = 0.0
    if hostile and draw(st.integers(0, 3)) == 0:  # one odd value, valid or not
        name, value = draw(st.sampled_from(ODD_VALUES))
        params[name] = value
    return params


# (parameter, value): edge values the constraints may or may not accept
ODD_VALUES = [
    ("hidden_layer_sizes", (0,)), ("hidden_layer_sizes", (-1,)), ("hidden_layer_sizes", [2.5]),
    ("hidden_layer_sizes", "abc"), ("hidden_layer_sizes", 3), ("hidden_layer_sizes", [[2]]),
    ("hidden_layer_sizes", np.array([2, 2])), ("hidden_layer_sizes", (True,)),
    ("dropout", [0.5]), ("dropout", [0.1, 0.2, 0.3]), ("dropout", np.nan), ("dropout", 1.0),
    ("dropout", [[0.1]]), ("dropout", "0.1"), ("dropout", -0.1),
    ("clip_value", np.nan), ("clip_value", (np.nan, 1.0)), ("clip_value", (0.0, 0.0)),
    ("clip_value", (1, 2, 3)), ("clip_value", np.inf), ("clip_value", "big"),
    ("clip_norm", np.inf), ("clip_norm", np.nan), ("clip_norm", 0.0),
    ("learning_rate_init", np.inf), ("learning_rate_init", np.nan),
    ("alpha", np.inf), ("alpha", np.nan), ("alpha", 1e308),
    ("momentum", np.nan), ("beta_1", 0.999999), ("beta_2", np.nan), ("epsilon", 1e-300),
    ("epsilon", np.inf), ("tol", np.nan), ("tol", np.inf), ("batch_size", 0),
    ("batch_size", 2.5), ("batch_size", True), ("max_iter", 0), ("max_iter", np.inf),
    ("validation_fraction", 1.0), ("validation_fraction", 0.0), ("validation_fraction", 0.99),
    ("n_iter_no_change", np.inf), ("n_iter_no_change", 0), ("decay_rate", 0.0),
    ("decay_rate", 1e10), ("decay_steps", 0), ("power_t", 50.0), ("rho", 1.0),
    ("weight_decay", 1e10), ("frozen_layers", 5), ("frozen_layers", -1),
    ("validation_interval", 0), ("activation", "softmax"), ("solver", "newton"),
    ("random_state", -1), ("random_state", 2**40), ("verbose", 2),
    ("pretrained_layers", [(np.ones((2, 3)), np.zeros(3))]),
    ("pretrained_layers", [(np.ones((2, 3)), np.zeros(4))]), ("pretrained_layers", 5),
    ("pretrained_layers", [(np.full((4, 3), np.nan), np.zeros(3))]),
    ("self_training_threshold", 0.0), ("pretrain_max_iter", 0), ("warm_start", "yes"),
]


# finite poisons first: they make valid (if extreme) data
POISONS = ["clean"] * 6 + ["huge", "tiny", "constant_column", "all_zero", "max_float"]
NON_FINITE_POISONS = ["nan", "inf", "-inf"]


@st.composite
def feature_matrices(draw, n_samples, n_features, hostile=True):
    """X of any dtype (float64/32, ints, bool), dense or sparse, maybe poisoned."""
    X = draw(
        arrays(
            np.float64,
            (n_samples, n_features),
            elements=st.floats(-1e3, 1e3, allow_nan=False, width=32),
        )
    )
    poison = draw(st.sampled_from(POISONS + (NON_FINITE_POISONS if hostile else [])))
    if X.size and poison != "clean":
        i = draw(st.integers(0, n_samples - 1))
        j = draw(st.integers(0, n_features - 1))
        value = {
            "nan": np.nan, "inf": np.inf, "-inf": -np.inf, "huge": 1e300, "tiny": 1e-300,
            "max_float": np.finfo(np.float64).max,
        }.get(poison)
        if poison == "constant_column":
            X[:, j] = 7.0
        elif poison == "all_zero":
            X[:] = 0.0
        else:
            X[i, j] = value
    event(f"X poison: {poison}")
    dtype = draw(st.sampled_from([np.float64, np.float32, np.int64, np.int32, np.uint8, bool]))
    if dtype is not np.float64 and np.isfinite(X).all():
        with np.errstate(all="ignore"):
            X = X.astype(dtype)  # float32: 1e300 becomes inf; ints wrap around
    layout = draw(st.sampled_from(["dense", "dense", "csr", "csc", "fortran", "list"]))
    if layout == "csr":
        return sp.csr_matrix(X)
    if layout == "csc":
        return sp.csc_matrix(X)
    if layout == "fortran":
        return np.asfortranarray(X)
    if layout == "list":
        return X.tolist()
    return X


@st.composite
def targets(draw, cls, n_samples, hostile=True):
    if cls is MLPClassifier:
        kind = draw(st.sampled_from(
            ["int", "int", "str", "single_class", "float_labels", "multilabel", "bool"]
            + (["nan", "continuous", "object_mixed"] if hostile else [])
        ))
        event(f"y kind: {kind}")
        if kind == "multilabel":
            return draw(arrays(np.int64, (n_samples, 3), elements=st.integers(0, 1)))
        labels = draw(st.lists(st.integers(0, 2), min_size=n_samples, max_size=n_samples))
        y = np.array(labels, dtype=np.int64)
        if kind == "str":
            return np.array(["a", "b", "c"])[y] if n_samples else np.array([], dtype=str)
        if kind == "single_class":
            return np.zeros(n_samples, dtype=np.int64)
        if kind == "float_labels":
            return y.astype(float) / 2
        if kind == "nan":
            y = y.astype(float)
            y[:1] = np.nan
            return y
        if kind == "continuous":
            return y + np.linspace(0.1, 0.9, n_samples)
        if kind == "bool":
            return y.astype(bool)
        if kind == "object_mixed":
            return np.array([1 if v else "one" for v in y], dtype=object)
        return y
    kind = draw(st.sampled_from(
        ["float", "float", "int", "huge", "two_outputs", "constant"]
        + (["nan", "inf", "negative"] if hostile else [])
    ))
    event(f"y kind: {kind}")
    y = draw(arrays(np.float64, (n_samples,), elements=st.floats(-100, 100, width=32)))
    if kind == "int":
        return y.astype(np.int64)
    if kind in ("nan", "inf", "huge") and n_samples:
        y[0] = {"nan": np.nan, "inf": np.inf, "huge": 1e300}[kind]
    if kind == "negative":
        return -np.abs(y) - 1
    if kind == "two_outputs":
        return np.column_stack([y, y**2])
    if kind == "constant":
        return np.full(n_samples, 3.0)
    return np.abs(y)


@st.composite
def sample_weights(draw, n_samples, hostile=True):
    kind = draw(st.sampled_from(["none", "none", "none", "ones", "random"] + (
        ["zeros", "negative", "nan", "wrong_length"] if hostile else [])))
    event(f"sample_weight: {kind}")
    if kind == "none":
        return None
    if kind == "ones":
        return np.ones(n_samples)
    if kind == "random":
        return draw(arrays(np.float64, (n_samples,), elements=st.floats(0, 10)))
    if kind == "zeros":
        return np.zeros(n_samples)
    if kind == "negative":
        return -np.ones(n_samples)
    if kind == "nan":
        return np.full(n_samples, np.nan)
    return np.ones(n_samples + 1)


@st.composite
def problems(draw, hostile=True):
    """(estimator class, hyperparameters, X, y, sample_weight).

    Without ``hostile``, every input is valid if extreme (huge or tiny values,
    constant columns, one class, tiny data sets): most fits should succeed, so
    what they predict is put to the test.
    """
    cls = draw(st.sampled_from([MLPClassifier, MLPRegressor]))
    sizes = [12, 30, 5, 3, 2, 1] + ([0] if hostile else [])
    n_samples = draw(st.sampled_from(sizes))
    n_features = draw(st.sampled_from([2, 1, 4] + ([0] if hostile else [])))
    X = draw(feature_matrices(n_samples, n_features, hostile))
    y = draw(targets(cls, n_samples, hostile))
    if hostile and draw(st.integers(0, 9)) == 0:  # y of another length
        y = y[:-1] if len(y) else np.zeros(2)
    params = draw(hyperparameters(cls, hostile))
    return cls, params, X, y, draw(sample_weights(n_samples, hostile))


# ----------------------------------------------------------------------------
# checks


def _n_rows(X):
    return X.shape[0] if hasattr(X, "shape") else len(X)


def _assert_sane_predictions(est, X):
    """A fitted estimator predicts finite values (and valid labels) on X."""
    if isinstance(est, MLPClassifier):
        proba = est.predict_proba(X)
        assert np.isfinite(proba).all(), "non-finite predict_proba after a successful fit"
        assert proba.shape == (_n_rows(X), len(est.classes_)) or proba.ndim == 2
        labels = est.predict(X)
        if labels.ndim == 1:
            assert np.isin(labels, est.classes_).all()
    else:
        pred = est.predict(X)
        assert np.isfinite(pred).all(), "non-finite prediction after a successful fit"


def _snapshot(est, X_ref):
    """What a failed call must not change."""
    out = est.predict_proba(X_ref) if isinstance(est, MLPClassifier) else est.predict(X_ref)
    return {
        "outputs": out,
        "coefs": [W.copy() for W in est.coefs_] + [b.copy() for b in est.intercepts_],
        "attributes": {
            name: getattr(est, name)
            for name in ("n_features_in_", "n_outputs_", "n_layers_", "t_", "n_iter_",
                         "out_activation_", "stop_reason_")
        },
        "loss_curve": list(est.loss_curve_),
        "classes": getattr(est, "classes_", None),
    }


def _assert_unchanged(before, after, ignore=()):
    np.testing.assert_array_equal(after["outputs"], before["outputs"])
    assert len(after["coefs"]) == len(before["coefs"])
    for a, b in zip(after["coefs"], before["coefs"]):
        np.testing.assert_array_equal(a, b)
    for name, value in before["attributes"].items():
        if name not in ignore:
            assert after["attributes"][name] == value, name
    np.testing.assert_array_equal(after["loss_curve"], before["loss_curve"])
    np.testing.assert_array_equal(after["classes"], before["classes"])


# what a call that diverged before completing an epoch reports (and nothing else)
DIVERGED_CHANGES = ("n_iter_", "stop_reason_")


def _fitted_reference(cls, params, n_features=2):
    """A clean fitted estimator with the given hyperparameters (where they are valid)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, n_features))
    y = (X[:, 0] > 0).astype(int) if cls is MLPClassifier else np.abs(X[:, 0])
    params = {**params, "max_iter": 3}
    est = cls(**params)
    ok, _ = _attempt(collections.Counter(), "reference", est.fit, X, y)
    if not ok:  # an invalid combination: fall back to defaults with the same solver
        est = cls(solver=params["solver"], hidden_layer_sizes=(3,), max_iter=3,
                  random_state=0).fit(X, y)
    return est, X, y


# ----------------------------------------------------------------------------
# properties


@SETTINGS
@given(problem=problems())
def test_fit_succeeds_or_raises_a_clear_error(problem):
    _check_fit(problem, EXAMPLES["fit, hostile"])


@settings(SETTINGS, max_examples=200)
@given(problem=problems(hostile=False))
def test_fit_on_extreme_valid_data_predicts_finite_values(problem):
    _check_fit(problem, EXAMPLES["fit, extreme but valid"])


@settings(SETTINGS, max_examples=80)
@given(
    cls=st.sampled_from([MLPClassifier, MLPRegressor]),
    early_stopping=st.booleans(),
    n_val=st.sampled_from([5, 1, 2, 0]),
    n_features=st.sampled_from([3, 2]),
    data=st.data(),
)
def test_fit_with_a_hostile_validation_set(cls, early_stopping, n_val, n_features, data):
    counter = EXAMPLES["fit with X_val, y_val"]
    counter["examples"] += 1
    X, y = _clean(cls)
    X_val = data.draw(feature_matrices(n_val, n_features), "X_val")
    y_val = data.draw(targets(cls, n_val), "y_val")
    weights = data.draw(sample_weights(n_val), "sample_weight_val")
    est = cls(hidden_layer_sizes=(3,), max_iter=3, early_stopping=early_stopping,
              random_state=0)
    ok, _ = _attempt(counter, "fit", est.fit, X, y, X_val=X_val, y_val=y_val,
                     sample_weight_val=weights)
    if ok:
        _assert_sane_predictions(est, X)
        assert len(est.history_["val_loss"]) == len(est.loss_curve_)


def _check_fit(problem, counter):
    cls, params, X, y, sample_weight = problem
    counter["examples"] += 1
    est = cls(**params)
    ok, _ = _attempt(counter, "fit", est.fit, X, y, sample_weight=sample_weight)
    if ok:
        _assert_sane_predictions(est, X)
        # the estimator answers every method without surprises
        _attempt(counter, "score", est.score, X, y)


@SETTINGS
@given(problem=problems(), warm_start=st.booleans(), data=st.data())
def test_failed_fit_or_partial_fit_keeps_the_fitted_model(problem, warm_start, data):
    cls, params, X, y, sample_weight = problem
    counter = EXAMPLES["refit"]
    counter["examples"] += 1
    est, X_ref, y_ref = _fitted_reference(cls, params)
    est.set_params(warm_start=warm_start)
    untouched = copy.deepcopy(est)
    before = _snapshot(est, X_ref)
    use_partial = hasattr(est, "partial_fit") and data.draw(st.booleans(), "partial_fit")
    if use_partial:
        ok, _ = _attempt(counter, "partial_fit", est.partial_fit, X, y,
                         sample_weight=sample_weight)
    else:
        ok, _ = _attempt(counter, "refit", est.fit, X, y, sample_weight=sample_weight)
    if ok:
        _assert_sane_predictions(est, X)
        if not (use_partial and est.stop_reason_ == "diverged" and est.n_iter_ == 0):
            return
        # a partial_fit that diverged in its only epoch kept the weights it
        # started from, and must keep the optimiser state too
        counter["partial_fit diverged at once"] += 1
    _assert_unchanged(before, _snapshot(est, X_ref), ignore=DIVERGED_CHANGES)
    # training goes on exactly as if the failed call had never happened
    _continue_identically(est, untouched, X_ref, y_ref)


@settings(SETTINGS, max_examples=40)
@given(
    cls=st.sampled_from([MLPClassifier, MLPRegressor]),
    solver=st.sampled_from(sorted(OPTIMIZERS)),
    activation=st.sampled_from(["relu", "identity", "tanh"]),
    scale=st.sampled_from([1e10, 1e100, 1e300]),
    n_poisoned=st.integers(1, 40),
)
def test_diverging_partial_fit_keeps_a_usable_model(cls, solver, activation, scale,
                                                    n_poisoned):
    counter = EXAMPLES["diverging partial_fit"]
    counter["examples"] += 1
    est, X_ref, y_ref = _fitted_reference(
        cls, {"solver": solver, "activation": activation, "hidden_layer_sizes": (5,),
              "random_state": 0, "learning_rate_init": 0.01}
    )
    untouched = copy.deepcopy(est)
    X_bad = X_ref.copy()
    X_bad[:n_poisoned] *= scale
    before = _snapshot(est, X_ref)
    ok, _ = _attempt(counter, "partial_fit", est.partial_fit, X_bad, y_ref)
    if ok:
        _assert_sane_predictions(est, X_bad)
        counter[f"stop_reason {est.stop_reason_}"] += 1
        if est.stop_reason_ != "diverged" or est.n_iter_ != 0:
            return
    _assert_unchanged(before, _snapshot(est, X_ref), ignore=DIVERGED_CHANGES)
    _continue_identically(est, untouched, X_ref, y_ref)


@pytest.mark.parametrize(
    "solver, method",
    [("adam", "partial_fit"), ("sgd", "partial_fit"), ("adam", "warm_fit"),
     ("lbfgs", "warm_fit")],
)
def test_failure_after_training_restores_history_and_optimiser_state(
    monkeypatch, solver, method
):
    # a call that trains and only then fails (here: the final check that the
    # outputs on the training data are finite) must undo the epochs it ran
    import sknnopt._base

    est, X, y = _fitted_reference(MLPRegressor, {"solver": solver, "random_state": 0,
                                                 "hidden_layer_sizes": (4,)})
    est.set_params(warm_start=True)
    untouched = copy.deepcopy(est)
    before = _snapshot(est, X)
    with monkeypatch.context() as patch:
        patch.setattr(sknnopt._base, "_finite_outputs", lambda *args: False)
        with pytest.raises(ValueError, match="non-finite outputs"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if method == "partial_fit":
                est.partial_fit(X, y)
            else:
                est.fit(X, y)
    _assert_unchanged(before, _snapshot(est, X))
    assert len(est._history) == len(untouched._history)
    _continue_identically(est, untouched, X, y)


def _continue_identically(est, untouched, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        incremental = (hasattr(est, "partial_fit") and not est.early_stopping
                       and est.semi_supervised is None
                       and getattr(est, "class_weight", None) != "balanced")
        if incremental:
            est.partial_fit(X, y)
            untouched.partial_fit(X, y)
        else:
            est.set_params(warm_start=True)
            untouched.set_params(warm_start=True)
            est.fit(X, y)
            untouched.fit(X, y)
    _assert_unchanged(_snapshot(untouched, X), _snapshot(est, X))
    np.testing.assert_equal(est.history_["loss"], untouched.history_["loss"])
    _assert_sane_predictions(est, X)


@SETTINGS
@given(
    cls=st.sampled_from([MLPClassifier, MLPRegressor]),
    solver=st.sampled_from(SOLVERS),
    n_samples=st.sampled_from([0, 1, 4]),
    n_features=st.sampled_from([0, 1, 2, 3, 5]),
    data=st.data(),
)
def test_predict_on_hostile_input(cls, solver, n_samples, n_features, data):
    counter = EXAMPLES["predict"]
    counter["examples"] += 1
    est, X_ref, _ = _fitted_reference(cls, {"solver": solver, "hidden_layer_sizes": (3,),
                                            "random_state": 0})
    X = data.draw(feature_matrices(n_samples, n_features), "X")
    methods = ["predict", "score"] + (["predict_proba", "predict_log_proba"]
                                      if cls is MLPClassifier else [])
    for method in methods:
        args = (X, np.zeros(_n_rows(X))) if method == "score" else (X,)
        ok, result = _attempt(counter, method, getattr(est, method), *args)
        if not ok:
            continue
        assert n_features == 2, "predicted with the wrong number of features"
        if method == "predict_proba":
            finite_X = np.isfinite(np.asarray(sp.csr_matrix(X).toarray() if sp.issparse(X)
                                              else X, dtype=float)).all()
            assert not finite_X or not np.isnan(result).any(), "NaN probabilities"


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("method", ["predict", "score", "to_sklearn"])
def test_unfitted_estimator_raises_not_fitted(cls, method):
    X = np.zeros((3, 2))
    args = () if method == "to_sklearn" else ((X, np.zeros(3)) if method == "score" else (X,))
    with pytest.raises(NotFittedError, match="not fitted"):
        getattr(cls(), method)(*args)


@SETTINGS
@given(
    new_labels=st.lists(st.sampled_from([0, 1, 2, 3, 7, -1]), min_size=1, max_size=8),
    solver=st.sampled_from(sorted(OPTIMIZERS)),
    first_call_classes=st.sampled_from([None, [0, 1], [0, 1, 2]]),
)
def test_partial_fit_with_unseen_labels(new_labels, solver, first_call_classes):
    counter = EXAMPLES["partial_fit labels"]
    counter["examples"] += 1
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    y = np.arange(20) % 2
    est = MLPClassifier(hidden_layer_sizes=(3,), solver=solver, random_state=0)
    ok, exc = _attempt(counter, "first partial_fit", est.partial_fit, X, y,
                       classes=first_call_classes)
    if first_call_classes is None:
        assert not ok and "classes" in str(exc)
        return
    assert ok
    before = _snapshot(est, X)
    X_new = rng.normal(size=(len(new_labels), 3))
    ok, exc = _attempt(counter, "partial_fit", est.partial_fit, X_new, np.array(new_labels))
    unseen = set(new_labels) - set(first_call_classes)
    assert ok == (not unseen)
    if unseen:
        assert "classes" in str(exc)
        _assert_unchanged(before, _snapshot(est, X))


# ----------------------------------------------------------------------------
# one problem at a time: the message names it


def _clean(cls, n=20, d=3):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(n, d))
    y = np.arange(n) % 2 if cls is MLPClassifier else X[:, 0]
    return X, y


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize(
    "poison, match",
    [
        (np.nan, "NaN"),
        (np.inf, "infinity"),
        (-np.inf, "infinity"),
    ],
)
@pytest.mark.parametrize("sparse", [False, True])
def test_non_finite_X_is_named(cls, poison, match, sparse):
    X, y = _clean(cls)
    X[3, 1] = poison
    with pytest.raises(ValueError, match=match):
        cls(max_iter=2).fit(sp.csr_matrix(X) if sparse else X, y)


@pytest.mark.parametrize(
    "X, match",
    [
        (np.zeros((0, 3)), "0 sample"),
        (np.zeros((5, 0)), "0 feature"),
        (np.zeros(5), "2D array"),
        (np.array([["a", "b"]] * 4), "string|float"),
        (np.array([[{"a": 1}, 2.0]] * 4, dtype=object), "float|dict|real number"),
        (np.array([[1.0, None]] * 4, dtype=object), "NaN|float|None"),
        (np.ones((4, 2), dtype=complex), "Complex"),
        (np.ones((4, 2, 2)), "dim 3"),
    ],
)
@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_malformed_X_is_named(cls, X, match):
    y = np.arange(X.shape[0]) % 2
    with pytest.raises(ALLOWED, match=match):
        cls(max_iter=2).fit(X, y)


def test_float32_overflow_is_named():
    X, y = _clean(MLPRegressor)
    X[0, 0] = 1e300
    with pytest.raises(ValueError, match="infinity|too large"):
        MLPRegressor(max_iter=2).fit(X.astype(np.float32), y)


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_wrong_feature_count_at_predict_is_named(cls):
    X, y = _clean(cls)
    est = cls(hidden_layer_sizes=(3,), max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        est.predict(X[:, :2])


@pytest.mark.parametrize("solver", SOLVERS)
def test_single_class_predicts_that_class(solver):
    # as scikit-learn's MLP: one class is a degenerate but valid problem
    X, _ = _clean(MLPClassifier)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = MLPClassifier(hidden_layer_sizes=(3,), solver=solver, max_iter=2)
        clf.fit(X, np.full(len(X), "only"))
    assert list(clf.classes_) == ["only"]
    assert (clf.predict(X) == "only").all()
    _assert_sane_predictions(clf, X)


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_one_sample(cls):
    X, y = _clean(cls, n=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            est = cls(hidden_layer_sizes=(3,), max_iter=2).fit(X, y)
        except ValueError as exc:
            assert "class" in str(exc) or "sample" in str(exc)
        else:
            _assert_sane_predictions(est, X)
        with pytest.raises(ValueError, match="validation|sample"):
            cls(hidden_layer_sizes=(3,), max_iter=2, early_stopping=True).fit(X, y)


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_huge_inputs_either_train_or_report_divergence(cls):
    X, y = _clean(cls)
    X = X * 1e300
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = cls(hidden_layer_sizes=(3,), max_iter=3, random_state=0).fit(X, y)
    except ValueError as exc:
        assert "learning_rate_init" in str(exc) or "scale the inputs" in str(exc)
    else:
        _assert_sane_predictions(est, X)


@pytest.mark.parametrize("bad", ["nan", "inf", "huge"])
def test_regression_targets_non_finite_are_named(bad):
    X, y = _clean(MLPRegressor)
    y = y.copy()
    y[0] = {"nan": np.nan, "inf": np.inf, "huge": 1e300}[bad]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if bad == "huge":
            try:
                est = MLPRegressor(max_iter=2).fit(X, y)
            except ValueError as exc:
                assert "learning_rate_init" in str(exc) or "non-finite" in str(exc)
            else:
                _assert_sane_predictions(est, X)
            return
        with pytest.raises(ValueError, match="NaN|infinity"):
            MLPRegressor(max_iter=2).fit(X, y)


@pytest.mark.parametrize("sizes", [(0,), (-1,), [2.5], [[2]], ["a"], (3, None)])
def test_bad_hidden_layer_sizes_are_named(sizes):
    X, y = _clean(MLPClassifier)
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        MLPClassifier(hidden_layer_sizes=sizes, max_iter=2).fit(X, y)


@pytest.mark.parametrize("bad", [np.nan, np.inf, "w"])
def test_non_finite_pretrained_layers_are_named(bad):
    X, y = _clean(MLPClassifier)
    W = np.zeros((3, 4), dtype=object if isinstance(bad, str) else float)
    W[0, 0] = bad
    with pytest.raises(ValueError, match="pretrained layer 0"):
        MLPClassifier(hidden_layer_sizes=(4,), pretrained_layers=[(W, np.zeros(4))],
                      max_iter=2).fit(X, y)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"sample_weight_val": np.ones(4)}, "sample_weight_val needs X_val"),
        ({"X_val": np.zeros((4, 3)), "y_val": np.ones(4), "sample_weight_val": -np.ones(4)},
         "Negative values in sample_weight_val"),
        ({"X_val": np.zeros((4, 3))}, "X_val and y_val"),
        ({"X_val": np.zeros((4, 2)), "y_val": np.ones(4)}, "features"),
    ],
)
@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_bad_validation_sets_are_named(cls, kwargs, match):
    X, y = _clean(cls)
    with pytest.raises(ValueError, match=match):
        cls(hidden_layer_sizes=(3,), max_iter=2).fit(X, y, **kwargs)
