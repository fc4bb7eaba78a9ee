"""Transfer learning: ``pretrained_layers`` and ``frozen_layers`` (SPEC section 2)."""

import re
import warnings

import numpy as np
import pytest
from scipy.special import expit, softmax
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from threadpoolctl import threadpool_limits

from sknnopt import MLPClassifier, MLPRegressor
from sknnopt._layout import Layout
from sknnopt._network import Network
from sknnopt.optimizers import OPTIMIZERS

SOLVERS = list(OPTIMIZERS) + ["lbfgs"]


@pytest.fixture(scope="module", autouse=True)
def _one_blas_thread():
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(autouse=True)
def _quiet_convergence():
    # short budgets are the point of most tests here
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _data(n_samples=150, n_features=6, seed=0):
    return make_classification(
        n_samples, n_features, n_informative=4, n_redundant=0, n_classes=3,
        random_state=seed,
    )


@pytest.fixture(scope="module")
def source():
    """A fitted sknnopt classifier with hidden layers (7, 5) on 6 features."""
    X, y = _data(seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MLPClassifier(hidden_layer_sizes=(7, 5), max_iter=30, random_state=0).fit(X, y)


def _layers(est, n):
    """Return copies of the lowest ``n`` (coef, intercept) pairs of ``est``."""
    return [(est.coefs_[k].copy(), est.intercepts_[k].copy()) for k in range(n)]


def _assert_layers_equal(est, pairs):
    for k, (W, b) in enumerate(pairs):
        np.testing.assert_array_equal(est.coefs_[k], W, err_msg=f"coefs_[{k}]")
        np.testing.assert_array_equal(est.intercepts_[k], b, err_msg=f"intercepts_[{k}]")


def _hidden_activations(est, X):
    """Return sknnopt's hidden-layer outputs for X, computed by the training forward pass."""
    layout = Layout([est.coefs_[0].shape[0]] + [b.shape[0] for b in est.intercepts_])
    network = Network(layout, est.activation, "squared_error")  # the loss only sets the output
    theta = np.concatenate(
        [a.ravel() for W, b in zip(est.coefs_, est.intercepts_) for a in (W, b)]
    )
    return [A.copy() for A in network.forward(theta, X)["A"][:-1]]


# ----------------------------------------------------------------------------
# pretrained_layers: sources


@pytest.mark.parametrize("wrap", [False, True], ids=["bare", "FrozenEstimator"])
def test_pretrained_from_sknnopt_takes_all_hidden_layers_not_the_output(source, wrap):
    X, y = _data()
    y2 = (y == 0).astype(int)  # another task: a new output layer of another shape
    before = _layers(source, 3)
    clf = MLPClassifier(
        hidden_layer_sizes=(7, 5),
        pretrained_layers=FrozenEstimator(source) if wrap else source,
        frozen_layers=2,
        max_iter=3,
        random_state=0,
    ).fit(X, y2)
    _assert_layers_equal(clf, before[:2])
    assert clf.coefs_[2].shape == (5, 1)
    # the source is not modified
    _assert_layers_equal(source, before)


def test_pretrained_output_layer_is_not_copied_even_when_shapes_match(source):
    X, y = _data()
    clf = MLPClassifier(
        hidden_layer_sizes=(7, 5), pretrained_layers=source, frozen_layers=2, max_iter=1,
        learning_rate_init=1e-12, random_state=0,
    ).fit(X, y)
    assert clf.coefs_[2].shape == source.coefs_[2].shape
    assert not np.allclose(clf.coefs_[2], source.coefs_[2])
    np.testing.assert_allclose(clf.intercepts_[2], 0.0, atol=1e-9)


@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
def test_pretrained_from_sklearn_gives_sklearns_hidden_activations(activation):
    X, y = _data()
    sk = SkMLPClassifier(
        hidden_layer_sizes=(6, 4), activation=activation, max_iter=60, random_state=0
    ).fit(X, y)
    # sklearn's hidden activations, computed from its coefs_ with its activation
    f = {
        "relu": lambda z: np.maximum(z, 0),
        "tanh": np.tanh,
        "logistic": expit,
        "identity": lambda z: z,
    }[sk.activation]
    H_sk, A = [], X
    for W, b in zip(sk.coefs_[:-1], sk.intercepts_[:-1]):
        A = f(A @ W + b)
        H_sk.append(A)
    # the whole forward pass of sklearn agrees with that reading of it
    np.testing.assert_allclose(
        softmax(A @ sk.coefs_[-1] + sk.intercepts_[-1], axis=1), sk.predict_proba(X),
        rtol=1e-10, atol=1e-12,
    )

    clf = MLPClassifier(
        hidden_layer_sizes=(6, 4), activation=activation, pretrained_layers=sk,
        frozen_layers=2, max_iter=1, random_state=0,
    ).fit(X, y)
    H = _hidden_activations(clf, X)
    assert len(H) == 2
    for k in range(2):
        np.testing.assert_allclose(H[k], H_sk[k], rtol=1e-10, atol=1e-12, err_msg=f"layer {k}")

    # with sklearn's output layer on top, sknnopt predicts exactly like sklearn
    clf.coefs_[-1][...] = sk.coefs_[-1]
    clf.intercepts_[-1][...] = sk.intercepts_[-1]
    np.testing.assert_allclose(clf.predict_proba(X), sk.predict_proba(X), rtol=1e-10, atol=1e-12)


def test_pretrained_from_sklearn_regressor_into_a_classifier_and_a_regressor():
    X, yr = make_regression(120, 6, random_state=0)
    sk = SkMLPRegressor(hidden_layer_sizes=(5,), max_iter=50, random_state=0).fit(X, yr)
    pairs = _layers(sk, 1)
    y = (yr > 0).astype(int)
    for est, target in [(MLPClassifier, y), (MLPRegressor, yr)]:
        model = est(
            hidden_layer_sizes=(5, 3), pretrained_layers=FrozenEstimator(sk),
            frozen_layers=1, max_iter=3, random_state=0,
        ).fit(X, target)
        _assert_layers_equal(model, pairs)
    _assert_layers_equal(sk, pairs)


def test_pretrained_pairs_fewer_than_hidden_layers():
    X, y = _data()
    rng = np.random.default_rng(0)
    pairs = [(rng.normal(size=(6, 7)), rng.normal(size=7))]
    given = [(W.copy(), b.copy()) for W, b in pairs]
    clf = MLPClassifier(
        hidden_layer_sizes=(7, 5), pretrained_layers=pairs, max_iter=1,
        learning_rate_init=1e-12, random_state=0,
    ).fit(X, y)
    np.testing.assert_allclose(clf.coefs_[0], pairs[0][0], atol=1e-9)
    # the second hidden layer is initialised as usual: as without pretrained layers
    plain = MLPClassifier(
        hidden_layer_sizes=(7, 5), max_iter=1, learning_rate_init=1e-12, random_state=0
    ).fit(X, y)
    np.testing.assert_allclose(clf.coefs_[1], plain.coefs_[1], atol=1e-9)
    assert not np.allclose(clf.coefs_[0], plain.coefs_[0])
    # the given arrays are copied, never trained in place
    clf.set_params(warm_start=True, learning_rate_init=0.1, max_iter=5).fit(X, y)
    assert not np.allclose(clf.coefs_[0], pairs[0][0])
    for (W, b), (W0, b0) in zip(pairs, given):
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("kind", ["sknnopt", "FrozenEstimator", "pairs-of-views", "sklearn"])
def test_training_never_writes_into_the_source(source, kind, solver):
    X, y = _data()
    if kind == "sklearn":
        src = SkMLPClassifier(hidden_layer_sizes=(7, 5), max_iter=20, random_state=0).fit(X, y)
    else:
        src = clone(source).fit(*_data(seed=1))
    before = _layers(src, 3)
    pretrained = {
        "sknnopt": src,
        "FrozenEstimator": FrozenEstimator(src),
        "pairs-of-views": list(zip(src.coefs_[:2], src.intercepts_[:2])),
        "sklearn": src,
    }[kind]
    clf = MLPClassifier(
        hidden_layer_sizes=(7, 5), solver=solver, pretrained_layers=pretrained,
        max_iter=10, learning_rate_init=0.05, random_state=0,
    ).fit(X, y)
    for k in range(2):
        assert not np.shares_memory(clf.coefs_[k], src.coefs_[k])
        assert not np.array_equal(clf.coefs_[k], before[k][0])  # training moved them
    # more training in place, warm and incremental
    clf.set_params(warm_start=True).fit(X, y)
    if solver != "lbfgs":
        clf.partial_fit(X, y)
    _assert_layers_equal(src, before)


# ----------------------------------------------------------------------------
# pretrained_layers: errors


def test_more_pretrained_layers_than_hidden_layers_names_layer_and_shapes(source):
    X, y = _data()
    clf = MLPClassifier(hidden_layer_sizes=(7,), pretrained_layers=source)
    with pytest.raises(ValueError) as info:
        clf.fit(X, y)
    message = str(info.value)
    assert "layer 1" in message
    assert "(7, 5)" in message  # the extra pretrained layer
    assert "(6, 7)" in message  # the network's hidden layer
    assert not hasattr(clf, "coefs_")


@pytest.mark.parametrize(
    "sizes, n_features, layer, theirs, ours",
    [
        ((8, 5), 6, 0, "(6, 7)", "(6, 8)"),
        ((7, 4), 6, 1, "(7, 5)", "(7, 4)"),
        ((7, 5), 5, 0, "(6, 7)", "(5, 7)"),  # another number of input features
    ],
)
def test_shape_mismatch_names_layer_and_both_shapes(source, sizes, n_features, layer, theirs, ours):
    X, y = _data(n_features=6)
    X = X[:, :n_features]
    with pytest.raises(ValueError) as info:
        MLPClassifier(hidden_layer_sizes=sizes, pretrained_layers=source).fit(X, y)
    message = str(info.value)
    assert re.search(rf"\blayer {layer}\b", message)
    assert theirs in message and ours in message


def test_bias_shape_mismatch_is_caught():
    X, y = _data()
    pairs = [(np.zeros((6, 7)), np.zeros(8))]
    with pytest.raises(ValueError, match=r"layer 0.*\(8,\).*\(7,\)"):
        MLPClassifier(hidden_layer_sizes=(7,), pretrained_layers=pairs).fit(X, y)


def test_transposed_coef_of_the_right_size_is_caught():
    X, y = _data()
    pairs = [(np.zeros((7, 6)), np.zeros(7))]  # (fan_out, fan_in): same size, wrong shape
    with pytest.raises(ValueError, match=r"layer 0.*\(7, 6\).*\(6, 7\)"):
        MLPClassifier(hidden_layer_sizes=(7,), pretrained_layers=pairs).fit(X, y)


def test_failed_pretrained_fit_keeps_the_previous_model(source):
    X, y = _data()
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y)
    before = _layers(clf, 2)
    with pytest.raises(ValueError, match="layer 0"):
        clf.set_params(pretrained_layers=[(np.zeros((6, 3)), np.zeros(3))]).fit(X, y)
    _assert_layers_equal(clf, before)


def test_unfitted_estimator_made_by_clone_names_frozen_estimator(source):
    X, y = _data()
    clf = MLPClassifier(hidden_layer_sizes=(7, 5), pretrained_layers=source, max_iter=2)
    clf.fit(X, y)  # fitted source: fine
    cloned = clone(clf)
    assert not hasattr(cloned.pretrained_layers, "coefs_")  # what clone makes of it
    with pytest.raises(ValueError, match="FrozenEstimator"):
        cloned.fit(X, y)
    for unfitted in [SkMLPClassifier(), FrozenEstimator(MLPClassifier())]:
        with pytest.raises(ValueError, match="unfitted.*FrozenEstimator"):
            MLPClassifier(pretrained_layers=unfitted).fit(X, y)


@pytest.mark.parametrize(
    "bad", [5, "relu", LogisticRegression().fit(*_data()), [(np.zeros((6, 7)),)]],
    ids=["int", "str", "not-an-MLP", "not-pairs"],
)
def test_invalid_sources_raise_value_error(bad):
    X, y = _data()
    with pytest.raises(ValueError, match="pretrained_layers|layer"):
        MLPClassifier(hidden_layer_sizes=(7,), pretrained_layers=bad).fit(X, y)


def test_a_fitted_non_mlp_is_not_called_unfitted():
    X, y = _data()
    with pytest.raises(ValueError, match="LogisticRegression") as info:
        MLPClassifier(pretrained_layers=LogisticRegression().fit(X, y)).fit(X, y)
    assert "unfitted" not in str(info.value)


# ----------------------------------------------------------------------------
# pretrained_layers through clone, GridSearchCV and cross-validation


def test_frozen_estimator_source_survives_clone_grid_search_and_cross_validation(source):
    X, y = _data()
    pairs = _layers(source, 2)
    frozen = FrozenEstimator(source)
    clf = MLPClassifier(
        hidden_layer_sizes=(7, 5), pretrained_layers=frozen, frozen_layers=2,
        max_iter=5, random_state=0,
    )
    assert clone(clf).pretrained_layers is frozen
    search = GridSearchCV(
        clf, {"learning_rate_init": [1e-3, 1e-2]}, cv=2, error_score="raise"
    ).fit(X, y)
    assert search.best_estimator_.pretrained_layers is frozen
    _assert_layers_equal(search.best_estimator_, pairs)
    result = cross_validate(clf, X, y, cv=3, return_estimator=True, error_score="raise")
    for est in result["estimator"]:
        _assert_layers_equal(est, pairs)
    _assert_layers_equal(source, pairs)


def test_bare_source_in_grid_search_raises_naming_frozen_estimator(source):
    X, y = _data()
    clf = MLPClassifier(hidden_layer_sizes=(7, 5), pretrained_layers=source, max_iter=2)
    search = GridSearchCV(clf, {"alpha": [1e-4, 1e-3]}, cv=2, error_score="raise")
    with pytest.raises(ValueError, match="FrozenEstimator"):
        search.fit(X, y)


# ----------------------------------------------------------------------------
# warm_start takes precedence over pretrained_layers


def test_warm_start_takes_precedence_over_pretrained_layers(source):
    X, y = _data()
    clf = MLPClassifier(hidden_layer_sizes=(7, 5), max_iter=5, random_state=0).fit(X, y)
    own = _layers(clf, 2)
    # warm: the pretrained values are not used, the fit continues from its own
    clf.set_params(warm_start=True, pretrained_layers=source, frozen_layers=2).fit(X, y)
    _assert_layers_equal(clf, own)
    # cold: the weights are re-initialised, so the pretrained values are used
    clf.set_params(warm_start=False).fit(X, y)
    _assert_layers_equal(clf, _layers(source, 2))


def test_partial_fit_uses_pretrained_layers_only_on_its_first_call(source):
    X, y = _data()
    clf = MLPClassifier(hidden_layer_sizes=(7, 5), pretrained_layers=source, frozen_layers=2)
    clf.partial_fit(X, y, classes=np.unique(y))
    _assert_layers_equal(clf, _layers(source, 2))
    clf.set_params(frozen_layers=0).partial_fit(X, y)
    moved = _layers(clf, 2)
    assert not np.array_equal(moved[0][0], source.coefs_[0])
    other = [(W + 1.0, b + 1.0) for W, b in _layers(source, 2)]
    clf.set_params(pretrained_layers=other, frozen_layers=2).partial_fit(X, y)
    _assert_layers_equal(clf, moved)


# ----------------------------------------------------------------------------
# frozen_layers


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("frozen", [1, 2])
def test_frozen_layers_are_bit_identical_after_fit(source, solver, frozen):
    X, y = _data()
    pairs = _layers(source, 2)
    clf = MLPClassifier(
        hidden_layer_sizes=(7, 5), solver=solver, pretrained_layers=source,
        frozen_layers=frozen, alpha=0.1, weight_decay=0.5, learning_rate_init=0.05,
        max_iter=15, batch_size=32, random_state=0,
    ).fit(X, y)
    # the L2 term, AdamW's decoupled decay and momentum all leave them alone
    _assert_layers_equal(clf, pairs[:frozen])
    # while the layers above did train
    for k in range(frozen, 2):
        assert not np.array_equal(clf.coefs_[k], pairs[k][0]), f"layer {k} did not train"
    assert clf.n_iter_ > 1


@pytest.mark.parametrize("solver", SOLVERS)
def test_frozen_random_layers_keep_their_initial_values(solver):
    # without pretrained values the frozen layers keep their random initial draw
    X, y = _data()
    params = {
        "hidden_layer_sizes": (6, 5), "solver": solver, "frozen_layers": 1,
        "learning_rate_init": 0.05, "alpha": 0.1, "random_state": 3,
    }
    short = MLPClassifier(max_iter=1, **params).fit(X, y)
    long = MLPClassifier(max_iter=20, **params).fit(X, y)
    assert long.n_iter_ > 1
    np.testing.assert_array_equal(short.coefs_[0], long.coefs_[0])
    np.testing.assert_array_equal(short.intercepts_[0], long.intercepts_[0])
    assert not np.array_equal(short.coefs_[1], long.coefs_[1])


@pytest.mark.parametrize("solver", list(OPTIMIZERS))
def test_frozen_layers_are_bit_identical_after_partial_fit(source, solver):
    X, y = _data()
    pairs = _layers(source, 2)
    clf = MLPClassifier(
        hidden_layer_sizes=(7, 5), solver=solver, pretrained_layers=source,
        frozen_layers=1, alpha=0.1, learning_rate_init=0.05, random_state=0,
    )
    for _ in range(4):
        clf.partial_fit(X, y, classes=np.unique(y))
    _assert_layers_equal(clf, pairs[:1])
    assert not np.array_equal(clf.coefs_[1], pairs[1][0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_frozen_layers_with_float32_early_stopping_and_clipping(source, dtype):
    X, y = _data()
    X = X.astype(dtype)
    clf = MLPClassifier(
        hidden_layer_sizes=(7, 5), pretrained_layers=source, frozen_layers=2,
        early_stopping=True, n_iter_no_change=2, clip_norm=0.01, dropout=0.2,
        max_iter=30, random_state=0,
    ).fit(X, y)
    assert clf.coefs_[0].dtype == dtype
    _assert_layers_equal(clf, [(W.astype(dtype), b.astype(dtype)) for W, b in _layers(source, 2)])


def test_frozen_regressor_all_solvers_quickly():
    X, y = make_regression(100, 5, random_state=0)
    y = y / y.std()
    for solver in SOLVERS:
        reg = MLPRegressor(
            hidden_layer_sizes=(6,), solver=solver, frozen_layers=1, max_iter=5,
            random_state=0, alpha=1.0,
        )
        if solver == "lbfgs":
            reg.fit(X, y)
        else:
            reg.partial_fit(X, y)
        W0 = reg.coefs_[0].copy()
        reg.set_params(warm_start=True, max_iter=10).fit(X, y)
        np.testing.assert_array_equal(reg.coefs_[0], W0, err_msg=solver)


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("frozen", [1, 2])
def test_backprop_stops_at_the_first_trainable_layer(monkeypatch, source, solver, frozen):
    calls = []
    original = Network.loss_and_grad

    def spy(self, theta, X, Y, sample_weight=None, masks=None, grad=None, first_layer=0,
            normalizer=None):
        if grad is not None:
            grad[: self.layout.offset(first_layer)] = np.nan  # must stay untouched
        J, g = original(self, theta, X, Y, sample_weight, masks, grad, first_layer, normalizer)
        offset = self.layout.offset(first_layer)
        calls.append((first_layer, bool(np.isnan(g[:offset]).all()), np.isfinite(g[offset:]).all()))
        g[:offset] = 0  # the caller never reads it
        return J, g

    monkeypatch.setattr(Network, "loss_and_grad", spy)
    X, y = _data()
    MLPClassifier(
        hidden_layer_sizes=(7, 5), solver=solver, pretrained_layers=source,
        frozen_layers=frozen, max_iter=3, random_state=0,
    ).fit(X, y)
    assert calls
    assert all(first == frozen for first, _, _ in calls)
    assert all(untouched and finite for _, untouched, finite in calls)


def test_backprop_into_frozen_layers_would_be_noticed():
    # the spy above relies on this: with first_layer=0 the whole buffer is written
    X, y = _data()
    layout = Layout([6, 4, 3])
    net = Network(layout, "relu", "log_loss")
    theta = np.random.default_rng(0).normal(size=layout.size)
    Y = np.eye(3)[y]
    g = np.full(layout.size, np.nan)
    net.loss_and_grad(theta, X, Y, grad=g, first_layer=0)
    assert np.isfinite(g).all()
    g[:] = np.nan
    net.loss_and_grad(theta, X, Y, grad=g, first_layer=1)
    assert np.isnan(g[: layout.offset(1)]).all() and np.isfinite(g[layout.offset(1):]).all()


@pytest.mark.parametrize(
    "sizes, frozen", [((7,), 2), ((), 1), ((4, 4), 3)]
)
def test_frozen_layers_larger_than_hidden_layers_raises(sizes, frozen):
    X, y = _data()
    clf = MLPClassifier(hidden_layer_sizes=sizes, frozen_layers=frozen)
    with pytest.raises(ValueError, match="frozen_layers"):
        clf.fit(X, y)
    with pytest.raises(ValueError, match="frozen_layers"):
        clf.partial_fit(X, y, classes=np.unique(y))


def test_frozen_layers_equal_to_hidden_layers_is_allowed():
    X, y = _data()
    clf = MLPClassifier(hidden_layer_sizes=(4, 4), frozen_layers=2, max_iter=2).fit(X, y)
    norms = np.asarray(clf.history_["grad_norm"][0], dtype=float)
    assert np.isnan(norms[:2]).all() and np.isfinite(norms[2])


# ----------------------------------------------------------------------------
# the fine-tuning workflow


@pytest.mark.parametrize("solver", SOLVERS)
def test_fine_tuning_workflow(source, solver):
    X, y = _data()
    pairs = _layers(source, 2)
    clf = MLPClassifier(
        hidden_layer_sizes=(7, 5), solver=solver, pretrained_layers=FrozenEstimator(source),
        frozen_layers=2, max_iter=20, learning_rate_init=0.01, random_state=0,
    ).fit(X, y)
    _assert_layers_equal(clf, pairs)
    top = clf.coefs_[2].copy()
    n_history = len(clf.history_["loss"])
    clf.set_params(frozen_layers=0, warm_start=True, learning_rate_init=0.001).fit(X, y)
    # every layer now trains, starting from where the frozen phase ended
    for k in range(3):
        assert not np.array_equal(clf.coefs_[k], pairs[k][0] if k < 2 else top)
    assert len(clf.history_["loss"]) > n_history
    if solver != "lbfgs":
        assert clf.history_["learning_rate"][-1] == pytest.approx(0.001)
    _assert_layers_equal(source, pairs)


@pytest.mark.parametrize("solver", list(OPTIMIZERS))
def test_fine_tuning_with_partial_fit_recreates_the_optimizer_state(source, solver):
    X, y = _data()
    clf = MLPClassifier(
        hidden_layer_sizes=(7, 5), solver=solver, pretrained_layers=source, frozen_layers=2,
        random_state=0,
    )
    clf.partial_fit(X, y, classes=np.unique(y))
    clf.partial_fit(X, y)
    top = clf.coefs_[2].copy()
    # unfreezing: the state must now cover every layer (a stale one could not broadcast)
    clf.set_params(frozen_layers=0, learning_rate_init=1e-3).partial_fit(X, y)
    assert not np.array_equal(clf.coefs_[0], source.coefs_[0])
    assert not np.array_equal(clf.coefs_[2], top)
    # and freezing again shrinks it back
    W0 = clf.coefs_[0].copy()
    clf.set_params(frozen_layers=1).partial_fit(X, y)
    np.testing.assert_array_equal(clf.coefs_[0], W0)


def test_fine_tuning_continues_from_the_frozen_phase(source):
    # fine-tuning from frozen features continues the top layer: its first
    # fine-tuning loss is close to the last frozen-phase loss, not a restart
    X, y = _data()
    clf = MLPClassifier(
        hidden_layer_sizes=(7, 5), pretrained_layers=source, frozen_layers=2,
        max_iter=60, learning_rate_init=0.01, random_state=0,
    ).fit(X, y)
    frozen_loss = clf.loss_curve_[-1]
    scratch_loss = MLPClassifier(
        hidden_layer_sizes=(7, 5), max_iter=1, random_state=0
    ).fit(X, y).loss_curve_[0]
    clf.set_params(frozen_layers=0, warm_start=True, learning_rate_init=1e-4, max_iter=1).fit(X, y)
    assert abs(clf.loss_curve_[-1] - frozen_loss) < 0.25 * abs(scratch_loss - frozen_loss)
