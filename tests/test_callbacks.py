"""Training controllers, and scikit-learn's callback API (``sklearn.callback``)
on the estimators: epochs as subtasks, ProgressBar, ScoringMonitor, stopping,
interrupts and the fallback without ``sklearn.callback``."""

import pickle
import re
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from threadpoolctl import threadpool_limits

from sknnopt import MLPClassifier, MLPRegressor
from sknnopt._compat import HAS_SKLEARN_CALLBACKS
from sknnopt.callbacks import (
    MIN_ADAPTIVE_LR,
    PlateauMonitor,
    ProgressPrinter,
    SklearnCallbacks,
    TrainingContext,
    ValidationEvaluator,
)

if HAS_SKLEARN_CALLBACKS:
    import sklearn.callback as sklearn_callback

# the controllers are tested everywhere; scikit-learn's callbacks need >= 1.9
needs_sklearn_callbacks = pytest.mark.skipif(
    not HAS_SKLEARN_CALLBACKS, reason="sklearn.callback needs scikit-learn >= 1.9"
)


@pytest.fixture(scope="module", autouse=True)
def _one_blas_thread():
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _data():
    X, y = make_classification(240, 10, n_informative=5, n_classes=3, flip_y=0.1,
                               random_state=0)
    return train_test_split(X, y, test_size=0.3, random_state=0)


# ----------------------------------------------------------------------------
# controllers on their own


def _ctx(epoch, theta=None, lr=0.1):
    ctx = TrainingContext(np.zeros(3) if theta is None else theta)
    ctx.epoch, ctx.lr = epoch, lr
    return ctx


def test_validation_evaluator_fills_the_record_every_interval():
    calls = []
    evaluator = ValidationEvaluator(
        score=lambda theta: calls.append("score") or 0.5,
        loss=lambda theta: 2.0,
        interval=3,
    )
    filled = []
    for epoch in range(1, 10):
        record = {}
        assert evaluator.on_epoch_end(_ctx(epoch), record) is None
        if record:
            filled.append(epoch)
            assert record == {"val_score": 0.5, "val_loss": 2.0}
    assert filled == [3, 6, 9]
    assert len(calls) == 3


def _run_plateau(monitor, values, theta_of=None):
    """Feed ``values`` (None = no value) epoch by epoch; return (stop epoch, ctx)."""
    ctx = _ctx(0, theta=np.zeros(2))
    for epoch, value in enumerate(values, start=1):
        ctx.epoch = epoch
        ctx.theta[:] = epoch  # the parameters "are" the epoch number
        record = {} if value is None else {monitor.key: value}
        reason = monitor.on_epoch_end(ctx, record)
        if reason:
            return epoch, reason, ctx
    return None, None, ctx


def test_plateau_monitor_counts_epochs_and_stops_at_a_value():
    monitor = PlateauMonitor("val_score", higher_is_better=True, tol=0.01,
                             n_iter_no_change=2, reason="early_stopping", keep_best=True)
    # best 0.8 at epoch 2; 0.805 is better but not by more than tol
    values = [0.5, 0.8, 0.805, 0.7, 0.6, 0.9]
    stop, reason, ctx = _run_plateau(monitor, values)
    assert (stop, reason) == (5, "early_stopping")
    assert monitor.best_value == 0.805  # strictly best is kept, as sklearn
    monitor.on_train_end(ctx, "early_stopping")
    np.testing.assert_array_equal(ctx.theta, [3, 3])


def test_plateau_monitor_only_decides_at_evaluations():
    monitor = PlateauMonitor("val_loss", higher_is_better=False, tol=0.0,
                             n_iter_no_change=3, reason="early_stopping")
    # evaluations every 2 epochs; no improvement after epoch 2
    values = [None, 1.0, None, 1.5, None, 1.2, None, 1.1]
    stop, reason, _ = _run_plateau(monitor, values)
    assert (stop, reason) == (6, "early_stopping")


@pytest.mark.parametrize("stop_reason, restored", [
    ("early_stopping", True), ("max_iter", True), ("callback", True),
    ("interrupted", False), ("diverged", False),
])
def test_plateau_monitor_restores_the_best_only_when_training_ends_normally(
    stop_reason, restored
):
    monitor = PlateauMonitor("val_score", higher_is_better=True, tol=0.0,
                             n_iter_no_change=100, keep_best=True)
    _, _, ctx = _run_plateau(monitor, [0.1, 0.9, 0.3])
    monitor.on_train_end(ctx, stop_reason)
    np.testing.assert_array_equal(ctx.theta, [2, 2] if restored else [3, 3])


def test_adaptive_plateau_cuts_the_rate_until_the_floor():
    monitor = PlateauMonitor("loss", higher_is_better=False, tol=0.0,
                             n_iter_no_change=1, adaptive=True)
    ctx = _ctx(0, lr=1e-3)
    cuts = 0
    for epoch in range(1, 100):
        ctx.epoch = epoch
        reason = monitor.on_epoch_end(ctx, {"loss": 1.0})
        ctx.lr = 1e-3 * ctx.lr_scale
        if reason:
            break
        cuts = round(np.log(1 / ctx.lr_scale) / np.log(5))
    assert reason == "tol"
    assert ctx.lr <= MIN_ADAPTIVE_LR < 1e-3 * 5 * ctx.lr_scale
    assert cuts == 5  # 1e-3 / 5**5 = 3.2e-7 is the first rate under 1e-6


def test_progress_printer_line(capsys):
    printer = ProgressPrinter()
    printer.on_epoch_end(None, {"epoch": 7, "loss": 0.25, "val_loss": 0.5,
                                "val_score": 0.75, "learning_rate": 0.01, "time": 0.5})
    printer.on_epoch_end(None, {"epoch": 8, "loss": 0.125, "learning_rate": None,
                                "time": 1.25})
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "Iteration 7, loss = 0.25000000, val_loss = 0.50000000, val_score = 0.750000, "
        "lr = 0.01, 0.500s",
        "Iteration 8, loss = 0.12500000, 1.250s",
    ]


class FakeTask:
    """A stand-in for sklearn's CallbackContext recording the hook calls."""

    def __init__(self, log, name="fit", stop_at=None):
        self.log, self.name, self.stop_at = log, name, stop_at
        self.n_children = 0

    def subcontext(self, task_name):
        child = FakeTask(self.log, f"{task_name}{self.n_children}", self.stop_at)
        self.n_children += 1
        return child

    def call_on_fit_task_begin(self, *, estimator, X, y, metadata,
                               reconstruction_attributes):
        self.log.append(("begin", self.name, reconstruction_attributes()["w"]))
        return self

    def call_on_fit_task_end(self, *, estimator, X=None, y=None, metadata=None,
                             reconstruction_attributes=None):
        attrs = None if reconstruction_attributes is None else reconstruction_attributes()
        self.log.append(("end", self.name, None if attrs is None else attrs["w"]))
        return self.name == self.stop_at


def test_sklearn_callbacks_controller_makes_one_subtask_per_epoch():
    log = []
    controller = SklearnCallbacks(
        FakeTask(log, stop_at="epoch2"), "estimator", "X", "y", None,
        lambda theta: {"w": float(theta[0])},
    )
    ctx = _ctx(0)
    reasons = []
    for epoch in range(1, 4):
        controller.on_epoch_begin(ctx)
        ctx.theta[0] = epoch  # the epoch's training
        ctx.epoch = epoch
        reasons.append(controller.on_epoch_end(ctx, {}))
    controller.on_epoch_begin(ctx)  # an epoch that never ends (an interrupt)
    controller.on_train_end(ctx, "interrupted")
    controller.on_train_end(ctx, "interrupted")  # nothing left to close
    assert reasons == [None, None, "callback"]
    assert log == [
        ("begin", "epoch0", 0.0), ("end", "epoch0", 1.0),
        ("begin", "epoch1", 1.0), ("end", "epoch1", 2.0),
        ("begin", "epoch2", 2.0), ("end", "epoch2", 3.0),
        ("begin", "epoch3", 3.0), ("end", "epoch3", None),
    ]


# ----------------------------------------------------------------------------
# scikit-learn callbacks on the estimators


class Recording:
    """A FitCallback recording hooks, with the fitted estimator's weights at each end.

    ``on_end`` is called with (context, fitted_estimator) at each epoch end; what
    it returns is the hook's answer (True stops).
    """

    def __init__(self, on_end=None):
        self.on_end = on_end
        self.events = []
        self.coefs = []  # weights at each epoch end
        self.torn_down = 0

    def setup(self, estimator, context):
        self.events.append(("setup", context.task_name))

    def teardown(self, estimator, context):
        self.torn_down += 1

    def on_fit_task_begin(self, estimator, context, *, X=None, y=None, metadata=None,
                          fitted_estimator=None):
        self.events.append(("begin", context.task_name))

    def on_fit_task_end(self, estimator, context, *, X=None, y=None, metadata=None,
                        fitted_estimator=None):
        self.events.append(("end", context.task_name))
        if context.task_name in ("epoch", "iteration") and fitted_estimator is not None:
            self.coefs.append([W.copy() for W in fitted_estimator.coefs_])
            self.last_fitted = fitted_estimator
            if self.on_end is not None:
                return self.on_end(context, fitted_estimator)
        return False


@needs_sklearn_callbacks
@pytest.mark.parametrize("solver, task", [("adam", "epoch"), ("lbfgs", "iteration")])
def test_a_fit_is_a_task_whose_subtasks_are_the_epochs(solver, task):
    X_train, X_val, y_train, y_val = _data()
    fitted_estimators = []
    callback = Recording(on_end=lambda ctx, fitted: fitted_estimators.append(fitted))
    clf = MLPClassifier(hidden_layer_sizes=(16,), solver=solver, max_iter=6,
                        random_state=0).set_callbacks(callback)
    clf.fit(X_train, y_train, X_val=X_val, y_val=y_val)
    n = clf.n_iter_
    assert n == 6
    assert callback.events[:2] == [("setup", "fit"), ("begin", "fit")]
    assert callback.events[2:-1] == [("begin", task), ("end", task)] * n
    assert callback.events[-1] == ("end", "fit")
    assert callback.torn_down == 1
    # each epoch's fitted estimator predicts with that epoch's weights, even
    # after the fit went on
    scores = [fitted.score(X_val, y_val) for fitted in fitted_estimators]
    assert scores == clf.history_["val_score"]
    for W, W_last in zip(clf.coefs_, callback.coefs[-1]):
        np.testing.assert_array_equal(W, W_last)
    assert not all(np.array_equal(a, b) for a, b in zip(callback.coefs[0], clf.coefs_))
    # ... and owns its weights: training it does not touch the estimator
    before = [W.copy() for W in clf.coefs_]
    callback.last_fitted.set_params(warm_start=True).fit(X_train, y_train)
    for W, W_before in zip(clf.coefs_, before):
        np.testing.assert_array_equal(W, W_before)
    # the machinery's state is gone after fit
    assert not hasattr(clf, "_callback_fit_ctx")


@needs_sklearn_callbacks
def test_partial_fit_is_a_task_of_one_epoch():
    X_train, _, y_train, _ = _data()
    callback = Recording()
    clf = MLPClassifier(hidden_layer_sizes=(8,), random_state=0).set_callbacks(callback)
    clf.partial_fit(X_train, y_train, classes=np.unique(y_train))
    clf.partial_fit(X_train, y_train)
    run = [("setup", "fit"), ("begin", "fit"), ("begin", "epoch"), ("end", "epoch"),
           ("end", "fit")]
    assert callback.events == run * 2


@needs_sklearn_callbacks
def test_callbacks_are_not_parameters_and_survive_clone_and_pickle():
    X_train, _, y_train, _ = _data()
    callback = Recording()
    clf = MLPRegressor(hidden_layer_sizes=(8,), max_iter=3).set_callbacks(callback)
    assert all(value is not callback for value in clf.get_params().values())
    assert clone(clf)._skl_callbacks == [callback]  # as sklearn's clone does
    clf.fit(X_train, y_train.astype(float))
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict(X_train), clf.predict(X_train))
    # pickling leaves the estimator whole (its flat buffer included)
    clf.set_params(warm_start=True).fit(X_train, y_train.astype(float))
    assert len(clf.loss_curve_) == 6
    with pytest.raises(TypeError):
        clf.set_callbacks(object())


@needs_sklearn_callbacks
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_a_callback_returning_true_stops_training(solver):
    X_train, X_val, y_train, y_val = _data()
    callback = Recording(on_end=lambda ctx, fitted: ctx.task_id == 2)
    clf = MLPClassifier(hidden_layer_sizes=(16,), solver=solver, max_iter=50,
                        random_state=0).set_callbacks(callback)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X_train, y_train)
    assert clf.stop_reason_ == "callback"
    assert clf.n_iter_ == 3 == len(clf.loss_curve_)
    for W, W_last in zip(clf.coefs_, callback.coefs[-1]):
        np.testing.assert_array_equal(W, W_last)


@needs_sklearn_callbacks
def test_a_callback_stop_with_early_stopping_restores_the_best_weights():
    # 30% flipped labels: the wide network overfits within 40 epochs
    X, y = make_classification(300, 20, n_informative=5, flip_y=0.3, random_state=0)
    X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.4, random_state=0)
    callback = Recording(on_end=lambda ctx, fitted: ctx.task_id == 39)
    clf = MLPClassifier(hidden_layer_sizes=(128,), learning_rate_init=0.01, max_iter=200,
                        early_stopping=True, n_iter_no_change=np.inf, random_state=0)
    clf.set_callbacks(callback).fit(X_train, y_train, X_val=X_val, y_val=y_val)
    assert clf.stop_reason_ == "callback" and clf.n_iter_ == 40
    assert clf.score(X_val, y_val) == clf.best_validation_score_ == max(
        clf.validation_scores_
    )
    # the best epoch is not the last one, so something was restored
    assert clf.validation_scores_[-1] < clf.best_validation_score_


@needs_sklearn_callbacks
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("k", [1, 4])
def test_an_interrupt_inside_a_callback_at_epoch_k_keeps_epoch_k_minus_1(solver, k):
    X_train, X_val, y_train, y_val = _data()

    def interrupt(ctx, fitted):
        if ctx.task_id == k - 1:  # epochs are subtasks 0, 1, ...
            raise KeyboardInterrupt

    callback = Recording(on_end=interrupt)
    clf = MLPClassifier(hidden_layer_sizes=(16,), solver=solver, max_iter=20,
                        random_state=0).set_callbacks(callback)
    with pytest.warns(UserWarning, match="interrupted"):
        clf.fit(X_train, y_train)
    assert clf.stop_reason_ == "interrupted"
    assert clf.n_iter_ == k - 1 == len(clf.loss_curve_)
    assert len(callback.coefs) == k  # the weights of epochs 1..k were seen
    if k > 1:
        expected = callback.coefs[k - 2]
    else:  # no epoch completed: the initial weights (those of a 0-epoch history)
        expected = [W.copy() for W in clf.coefs_]
        assert not np.array_equal(expected[0], callback.coefs[0][0])
    for W, W_expected in zip(clf.coefs_, expected):
        np.testing.assert_array_equal(W, W_expected)
    assert callback.torn_down == 1
    # usable: predicts, and trains on
    assert np.isfinite(clf.predict_proba(X_val)).all()
    clf.set_callbacks()
    clf.fit(X_train, y_train)
    assert clf.n_iter_ == 20 and clf.stop_reason_ in ("max_iter", "tol")


@needs_sklearn_callbacks
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_an_interrupted_warm_start_fit_loses_nothing(solver):
    X_train, X_val, y_train, y_val = _data()
    clf = MLPClassifier(hidden_layer_sizes=(16,), solver=solver, max_iter=10,
                        warm_start=True, random_state=0).fit(X_train, y_train)
    coefs = [W.copy() for W in clf.coefs_]
    score, n_history = clf.score(X_val, y_val), len(clf.loss_curve_)

    def interrupt(ctx, fitted):
        raise KeyboardInterrupt

    clf.set_callbacks(Recording(on_end=interrupt))
    with pytest.warns(UserWarning, match="interrupted"):
        clf.fit(X_train, y_train)
    for W, W_before in zip(clf.coefs_, coefs):
        np.testing.assert_array_equal(W, W_before)
    assert clf.score(X_val, y_val) == score
    assert len(clf.loss_curve_) == n_history


@needs_sklearn_callbacks
def test_an_error_inside_a_callback_restores_the_fit_and_tears_down():
    X_train, X_val, y_train, y_val = _data()
    clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=5, warm_start=True,
                        random_state=0).fit(X_train, y_train)
    coefs = [W.copy() for W in clf.coefs_]
    history = clf.history_

    def fail(ctx, fitted):
        if ctx.task_id == 2:
            raise RuntimeError("callback failure")

    callback = Recording(on_end=fail)
    clf.set_callbacks(callback)
    with pytest.raises(RuntimeError, match="callback failure"):
        clf.fit(X_train, y_train)
    assert callback.torn_down == 1
    for W, W_before in zip(clf.coefs_, coefs):
        np.testing.assert_array_equal(W, W_before)
    assert clf.history_ == history
    assert not hasattr(clf, "_callback_fit_ctx")


@needs_sklearn_callbacks
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_scoring_monitor_records_the_score_of_every_epoch(solver):
    X_train, _, y_train, _ = _data()
    monitor = sklearn_callback.ScoringMonitor(scoring="accuracy")
    clf = MLPClassifier(hidden_layer_sizes=(16,), solver=solver, max_iter=8,
                        random_state=0).set_callbacks(monitor)
    # the training set as validation set: history holds the same scores,
    # computed by another path
    clf.fit(X_train, y_train, X_val=X_train, y_val=y_train)
    rows = monitor.get_logs().data
    per_epoch = [row["accuracy"] for row in rows if row["task_name"] != "fit"]
    assert len(per_epoch) == clf.n_iter_ == 8
    np.testing.assert_allclose(per_epoch, clf.history_["val_score"], rtol=0, atol=1e-12)
    assert len(set(per_epoch)) > 1


@needs_sklearn_callbacks
def test_progress_bar_and_scoring_monitor_inside_grid_search(capsys):
    pytest.importorskip("rich")
    X_train, _, y_train, _ = _data()
    monitor = sklearn_callback.ScoringMonitor(scoring="accuracy")
    max_iter, n_candidates, cv = 4, 2, 2
    estimator = MLPClassifier(hidden_layer_sizes=(8,), max_iter=max_iter, random_state=0)
    search = GridSearchCV(estimator.set_callbacks(monitor), {"alpha": [1e-4, 1e-1]}, cv=cv)
    search.set_callbacks(sklearn_callback.ProgressBar(max_propagation_depth=None))
    search.fit(X_train, y_train)

    out = capsys.readouterr().out
    assert re.search(r"GridSearchCV - fit", out)
    # the bars of the network's fits, nested in the search's
    assert len(re.findall(r"\| MLPClassifier - fit", out)) == n_candidates * cv + 1
    assert re.search(r"100%", out)
    assert not re.search(r"\b[0-9]{1,2}%", out)

    rows = monitor.get_logs().data
    epochs = [row for row in rows if row["task_name"] == "epoch"]
    n_fits = n_candidates * cv + 1  # with the refit
    assert len(epochs) == n_fits * max_iter
    assert all(0 <= row["accuracy"] <= 1 for row in epochs)
    # the refit, nested less deeply than the cross-validation fits: its last
    # epoch is the best estimator
    depth = min(len(row["task_id_path"]) for row in epochs)
    refit = [row for row in epochs if len(row["task_id_path"]) == depth]
    assert len(refit) == max_iter
    refit_last = max(refit, key=lambda row: row["task_id"])
    assert refit_last["accuracy"] == search.best_estimator_.score(X_train, y_train)


def test_without_sklearn_callback_the_estimators_still_work():
    # before scikit-learn 1.9 there is no sklearn.callback; on a newer one,
    # hide it from sknnopt's import to simulate that
    hide = textwrap.dedent("""
        import sknnopt  # loads every scikit-learn module sknnopt needs
        for name in [m for m in sys.modules if m.split(".")[0] == "sknnopt"]:
            del sys.modules[name]
        real = sys.modules["sklearn.callback"]
        sys.modules["sklearn.callback"] = None  # import fails, as before 1.9
        from sknnopt import MLPClassifier
        sys.modules["sklearn.callback"] = real
    """) if HAS_SKLEARN_CALLBACKS else ""
    script = "import sys\n" + hide + textwrap.dedent("""
        import warnings
        import numpy as np
        from sknnopt import MLPClassifier, _compat
        assert not _compat.HAS_SKLEARN_CALLBACKS
        assert not hasattr(MLPClassifier(), "set_callbacks")
        warnings.simplefilter("ignore")
        rng = np.random.default_rng(0)
        X = rng.normal(size=(60, 3))
        y = (X[:, 0] > 0).astype(int)
        for solver in ("adam", "lbfgs"):
            clf = MLPClassifier((5,), solver=solver, max_iter=5, random_state=0)
            clf.fit(X, y, X_val=X, y_val=y)
            assert clf.n_iter_ == 5 and len(clf.history_["loss"]) == 5
        clf = MLPClassifier((5,), max_iter=5, random_state=0)
        clf.partial_fit(X, y, classes=[0, 1])
        print("ok", clf.predict(X[:2]).shape)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")
