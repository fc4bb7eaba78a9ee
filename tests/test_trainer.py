"""The training loop: controllers, early stopping, validation data, divergence,
interrupts, verbose output (SPEC sections 2, 3 and 5)."""

import re
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits

from sknnopt import MLPClassifier, MLPRegressor
from sknnopt._history import History
from sknnopt._layout import Layout
from sknnopt._network import Network
from sknnopt._trainer import DIVERGENCE_ADVICE, Plan, train
from sknnopt.initializers import initialize
from sknnopt.optimizers import OPTIMIZERS

ADVICE_WORDS = ("learning_rate_init", "clip_norm", "scale the inputs")


@pytest.fixture(scope="module", autouse=True)
def _one_blas_thread():
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


# ----------------------------------------------------------------------------
# the loop itself, driven directly with test controllers


def _setup(lr=0.05, growth=None, n=60):
    """Return (plan, theta, X, Y) of a small tanh regression trained by SGD.

    With ``growth`` the rate is multiplied by it every epoch (to diverge).
    """
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 4))
    Y = (X[:, :1] - 0.5 * X[:, 1:2]) + 0.1 * rng.normal(size=(n, 1))
    layout = Layout([4, 8, 1])
    network = Network(layout, "tanh", "squared_error", alpha=1e-4)
    theta = initialize(layout, np.empty(layout.size), rng, "auto", "tanh")
    optimizer = OPTIMIZERS["sgd"]({"momentum": 0.0, "nesterovs_momentum": False})

    def schedule(epoch, samples_seen):
        return lr * (growth**epoch if growth else 1.0)

    plan = Plan(
        network=network,
        optimizer=optimizer,
        state=optimizer.init(theta, layout.weight_mask(0)),
        schedule=schedule,
        batch_size=10,
        shuffle=True,
        rng=np.random.default_rng(1),
    )
    return plan, theta, X, Y


class Recorder:
    """Controller recording its hooks and the parameters at each epoch end.

    Raises ``raise_at`` (an exception class) at the end of epoch ``at``, or
    returns ``stop`` there.
    """

    def __init__(self, at=None, raise_at=None, stop=None):
        self.at, self.raise_at, self.stop = at, raise_at, stop
        self.events, self.thetas = [], []

    def on_epoch_begin(self, ctx):
        self.events.append("begin")

    def on_epoch_end(self, ctx, record):
        self.events.append("end")
        self.thetas.append(ctx.theta.copy())
        if ctx.epoch == self.at:
            if self.raise_at is not None:
                raise self.raise_at()
            return self.stop
        return None

    def on_train_end(self, ctx, stop_reason):
        self.events.append(f"train_end:{stop_reason}")


class EndOnly:
    """A controller without the optional epoch-begin hook."""

    def __init__(self):
        self.n = 0

    def on_epoch_end(self, ctx, record):
        self.n += 1

    def on_train_end(self, ctx, stop_reason):
        pass


def test_controllers_get_begin_end_and_one_train_end():
    plan, theta, X, Y = _setup()
    recorder, plain = Recorder(), EndOnly()
    history = History()
    outcome = train(plan, theta, X, Y, None, max_epochs=3,
                    controllers=[recorder, plain], history=history)
    assert recorder.events == ["begin", "end"] * 3 + ["train_end:max_iter"]
    assert plain.n == 3
    assert outcome.stop_reason == "max_iter" and outcome.n_epochs == 3
    assert len(history) == 3
    # the controller saw the parameters the loop ended with
    np.testing.assert_array_equal(recorder.thetas[-1], theta)


def test_a_stop_reason_returned_by_a_controller_ends_training():
    plan, theta, X, Y = _setup()
    recorder = Recorder(at=2, stop="callback")
    outcome = train(plan, theta, X, Y, None, max_epochs=10, controllers=[recorder],
                    history=History())
    assert outcome.stop_reason == "callback"
    assert outcome.n_epochs == 2
    assert recorder.events[-1] == "train_end:callback"


@pytest.mark.parametrize("k", [1, 3])
def test_interrupt_inside_a_controller_keeps_the_previous_epoch(k):
    plan, theta, X, Y = _setup()
    start = theta.copy()
    recorder = Recorder(at=k, raise_at=KeyboardInterrupt)
    history = History()
    with pytest.warns(UserWarning, match="interrupted"):
        outcome = train(plan, theta, X, Y, None, max_epochs=10, controllers=[recorder],
                        history=history)
    assert outcome.stop_reason == "interrupted"
    assert outcome.n_epochs == k - 1
    assert len(history) == k - 1
    expected = start if k == 1 else recorder.thetas[k - 2]
    np.testing.assert_array_equal(theta, expected)
    # epoch k's parameters differ: the restore did something
    assert not np.array_equal(recorder.thetas[k - 1], expected)
    assert recorder.events[-1] == "train_end:interrupted"


def _adam_plan():
    plan, theta, X, Y = _setup()
    plan.optimizer = OPTIMIZERS["adam"](
        {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8}
    )
    plan.state = plan.optimizer.init(theta)
    return plan, theta, X, Y


def _assert_same_state(state, expected):
    assert state.keys() == expected.keys()
    for key, value in expected.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(state[key], value)
        else:
            assert state[key] == value


@pytest.mark.parametrize("state_is_fresh", [True, False])
def test_an_interrupt_in_the_first_epoch_puts_the_starting_optimiser_state_back(
    state_is_fresh,
):
    plan, theta, X, Y = _adam_plan()
    if not state_is_fresh:  # a state in flight, as partial_fit continues it
        train(plan, theta, X, Y, None, max_epochs=2)
    start = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in plan.state.items()}
    state = plan.state
    with pytest.warns(UserWarning, match="interrupted"):
        train(plan, theta, X, Y, None, max_epochs=5, state_is_fresh=state_is_fresh,
              controllers=[Recorder(at=1, raise_at=KeyboardInterrupt)])
    assert plan.state is state  # updated in place: the estimator holds it
    _assert_same_state(plan.state, start)


def test_an_interrupt_after_completed_epochs_restarts_the_optimiser_state():
    plan, theta, X, Y = _adam_plan()
    fresh = plan.optimizer.init(theta)
    train(plan, theta, X, Y, None, max_epochs=2)  # the call starts from a state in flight
    with pytest.warns(UserWarning, match="interrupted"):
        outcome = train(plan, theta, X, Y, None, max_epochs=5,
                        controllers=[Recorder(at=3, raise_at=KeyboardInterrupt)])
    assert outcome.n_epochs == 2
    _assert_same_state(plan.state, fresh)


def test_divergence_keeps_the_last_finite_epoch_and_warns_with_advice():
    plan, theta, X, Y = _setup(lr=0.05, growth=10.0)
    recorder = Recorder()
    history = History()
    with pytest.warns(UserWarning, match="diverged") as record:
        outcome = train(plan, theta, X, Y, None, max_epochs=50, controllers=[recorder],
                        history=history)
    assert outcome.stop_reason == "diverged"
    assert 0 < outcome.n_epochs < 50
    assert len(history) == len(recorder.thetas) == outcome.n_epochs
    np.testing.assert_array_equal(theta, recorder.thetas[-1])
    assert np.isfinite(theta).all()
    message = str(record[0].message)
    assert DIVERGENCE_ADVICE in message
    # the diverging epoch began but never ended; train_end says why
    assert recorder.events[-2:] == ["begin", "train_end:diverged"]


def test_divergence_before_any_good_epoch_raises_with_advice():
    plan, theta, X, Y = _setup(lr=1e6)
    plan.batch_size = 1
    recorder = Recorder()
    with pytest.raises(ValueError, match="diverged") as excinfo:
        train(plan, theta, X * 100, Y, None, max_epochs=5, controllers=[recorder])
    assert all(word in str(excinfo.value) for word in ADVICE_WORDS)
    assert recorder.events == ["begin", "train_end:diverged"]


# ----------------------------------------------------------------------------
# early stopping through the estimator


def _noisy_task():
    """A task with 30% flipped labels: a wide network overfits it."""
    X, y = make_classification(300, 20, n_informative=5, flip_y=0.3, random_state=0)
    return train_test_split(X, y, test_size=0.4, random_state=0)


def _stop_epoch(values, epochs, n_iter_no_change, tol, higher_is_better=True):
    """Return (stop epoch, best epoch) by SPEC's rule, reimplemented independently."""
    sign = 1.0 if higher_is_better else -1.0
    best, best_epoch, last_improvement = -np.inf, None, 0
    for value, epoch in zip(values, epochs):
        if sign * value > best + tol:
            last_improvement = epoch
        if sign * value > best:
            best, best_epoch = sign * value, epoch
        if epoch - last_improvement > n_iter_no_change:
            return epoch, best_epoch
    return None, best_epoch


def test_early_stopping_stops_an_overfitting_network_at_its_best_epoch():
    X_train, X_val, y_train, y_val = _noisy_task()
    kwargs = dict(hidden_layer_sizes=(128,), learning_rate_init=0.01, max_iter=150,
                  random_state=0)
    # trained to max_iter, the network gets worse on the validation set
    full = MLPClassifier(n_iter_no_change=np.inf, **kwargs).fit(
        X_train, y_train, X_val=X_val, y_val=y_val
    )
    assert full.n_iter_ == 150
    assert full.history_["val_score"][-1] < max(full.history_["val_score"])

    clf = MLPClassifier(early_stopping=True, n_iter_no_change=5, **kwargs)
    clf.fit(X_train, y_train, X_val=X_val, y_val=y_val)
    assert clf.stop_reason_ == "early_stopping"
    assert clf.n_iter_ < 150
    # the restored weights give the best recorded validation score
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.score(X_val, y_val) == clf.best_validation_score_
    assert clf.score(X_val, y_val) > full.score(X_val, y_val)
    stop, best = _stop_epoch(clf.validation_scores_, range(1, clf.n_iter_ + 1), 5, clf.tol)
    assert stop == clf.n_iter_
    # the same run up to the best epoch has the same weights
    reference = MLPClassifier(n_iter_no_change=np.inf, **{**kwargs, "max_iter": best})
    reference.fit(X_train, y_train)
    for W, W_ref in zip(clf.coefs_, reference.coefs_):
        np.testing.assert_array_equal(W, W_ref)


@pytest.mark.parametrize("interval, patience", [(3, 4), (4, 10)])
def test_validation_interval_is_honoured(interval, patience):
    X_train, X_val, y_train, y_val = _noisy_task()
    clf = MLPClassifier(
        hidden_layer_sizes=(128,), learning_rate_init=0.01, max_iter=300,
        early_stopping=True, validation_interval=interval, n_iter_no_change=patience,
        random_state=0,
    ).fit(X_train, y_train, X_val=X_val, y_val=y_val)
    assert clf.stop_reason_ == "early_stopping"
    history = clf.history_
    evaluated = [i + 1 for i, s in enumerate(history["val_score"]) if s is not None]
    assert evaluated == list(range(interval, clf.n_iter_ + 1, interval))
    assert [i + 1 for i, v in enumerate(history["val_loss"]) if v is not None] == evaluated
    # training stops only at an evaluation, by the rule counted in epochs
    assert clf.n_iter_ % interval == 0
    assert len(history["loss"]) == clf.n_iter_
    stop, best = _stop_epoch(clf.validation_scores_, evaluated, patience, clf.tol)
    assert stop == clf.n_iter_
    assert clf.score(X_val, y_val) == history["val_score"][best - 1]
    assert clf.best_validation_score_ == history["val_score"][best - 1]


def test_early_stopping_metric_loss_watches_the_validation_loss():
    X_train, X_val, y_train, y_val = _noisy_task()
    clf = MLPClassifier(
        hidden_layer_sizes=(128,), learning_rate_init=0.01, max_iter=300, alpha=1e-3,
        early_stopping=True, early_stopping_metric="loss", n_iter_no_change=5,
        random_state=0,
    ).fit(X_train, y_train, X_val=X_val, y_val=y_val)
    assert clf.stop_reason_ == "early_stopping"
    val_loss = clf.history_["val_loss"]
    stop, best = _stop_epoch(val_loss, range(1, clf.n_iter_ + 1), 5, clf.tol,
                             higher_is_better=False)
    assert stop == clf.n_iter_
    # the score would have stopped elsewhere (else this test proves nothing)
    by_score, _ = _stop_epoch(clf.history_["val_score"], range(1, clf.n_iter_ + 1), 5,
                              clf.tol)
    assert by_score != clf.n_iter_
    # restored: the weights of the lowest validation loss (data term only)
    restored = log_loss(y_val, clf.predict_proba(X_val))
    assert restored == pytest.approx(min(val_loss), rel=1e-9)
    assert restored == pytest.approx(val_loss[best - 1], rel=1e-9)


# ----------------------------------------------------------------------------
# explicit validation data


def test_x_val_is_used_instead_of_a_split():
    X_train, X_val, y_train, y_val = _noisy_task()
    clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=12, validation_fraction=0.5,
                        random_state=0)
    clf.fit(X_train, y_train, X_val=X_val, y_val=y_val)
    # every training row was used (no rows held out) ...
    assert clf.t_ == 12 * X_train.shape[0]
    # ... and the recorded score is that of X_val with the final weights
    assert clf.history_["val_score"][-1] == clf.score(X_val, y_val)
    assert clf.history_["val_loss"][-1] == pytest.approx(
        log_loss(y_val, clf.predict_proba(X_val)), rel=1e-9
    )
    early = MLPClassifier(hidden_layer_sizes=(16,), max_iter=12, validation_fraction=0.5,
                          early_stopping=True, n_iter_no_change=np.inf, random_state=0)
    early.fit(X_train, y_train, X_val=X_val, y_val=y_val)
    assert early.t_ == early.n_iter_ * X_train.shape[0]
    assert max(early.validation_scores_) == early.score(X_val, y_val)


def test_sample_weight_val_weighs_the_validation_score():
    X_train, X_val, y_train, y_val = _noisy_task()
    weights = np.where(y_val == 1, 5.0, 1.0)
    clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=5, random_state=0)
    clf.fit(X_train, y_train, X_val=X_val, y_val=y_val, sample_weight_val=weights)
    assert clf.history_["val_score"][-1] == clf.score(X_val, y_val, sample_weight=weights)
    assert clf.history_["val_score"][-1] != clf.score(X_val, y_val)


@pytest.mark.parametrize("given", ["X_val", "y_val"])
def test_half_a_validation_set_raises(given):
    X_train, X_val, y_train, y_val = _noisy_task()
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=3)
    kwargs = {"X_val": X_val} if given == "X_val" else {"y_val": y_val}
    with pytest.raises(ValueError, match="X_val and y_val"):
        clf.fit(X_train, y_train, **kwargs)
    assert not hasattr(clf, "coefs_")


def test_lbfgs_records_the_validation_set_too():
    X_train, X_val, y_train, y_val = _noisy_task()
    clf = MLPClassifier(hidden_layer_sizes=(16,), solver="lbfgs", max_iter=10,
                        random_state=0).fit(X_train, y_train, X_val=X_val, y_val=y_val)
    assert len(clf.history_["val_score"]) == clf.n_iter_
    assert clf.history_["val_score"][-1] == clf.score(X_val, y_val)
    assert clf.validation_scores_ == clf.history_["val_score"]


# ----------------------------------------------------------------------------
# divergence and failures


def test_divergence_with_a_huge_rate_raises_with_advice_and_keeps_nothing():
    X_train, _, y_train, _ = _noisy_task()
    clf = MLPRegressor(hidden_layer_sizes=(16,), solver="sgd", batch_size=1,
                       learning_rate_init=1e6, max_iter=5, random_state=0)
    with pytest.raises(ValueError, match="diverged") as excinfo:
        clf.fit(X_train, y_train.astype(float))
    assert all(word in str(excinfo.value) for word in ADVICE_WORDS)
    assert not hasattr(clf, "coefs_")


def test_divergence_after_good_epochs_keeps_the_last_good_weights():
    X_train, _, y_train, _ = _noisy_task()
    y_train = y_train.astype(float)
    kwargs = dict(hidden_layer_sizes=(32,), solver="sgd", learning_rate="exponential",
                  decay_rate=10.0, decay_steps=1, learning_rate_init=1e-3, max_iter=50,
                  random_state=0)
    reg = MLPRegressor(**kwargs)
    with pytest.warns(UserWarning, match="diverged") as record:
        reg.fit(X_train, y_train)
    assert reg.stop_reason_ == "diverged"
    assert all(word in str(record[0].message) for word in ADVICE_WORDS)
    assert 0 < reg.n_iter_ < 50
    assert len(reg.loss_curve_) == reg.n_iter_
    assert np.isfinite(reg.loss_curve_).all()
    assert np.isfinite(reg.predict(X_train)).all()
    # the kept weights are those of the last good epoch of the same run
    reference = MLPRegressor(**{**kwargs, "max_iter": reg.n_iter_})
    reference.fit(X_train, y_train)
    for W, W_ref in zip(reg.coefs_, reference.coefs_):
        np.testing.assert_array_equal(W, W_ref)


@pytest.mark.parametrize("solver, decay_rate", [("sgd", 10.0), ("adam", 1e30)])
def test_divergence_after_good_epochs_restarts_the_optimiser_state(solver, decay_rate):
    # the moments of the diverging epoch are dropped, not kept: the state is
    # the initial one
    X_train, _, y_train, _ = _noisy_task()
    y_train = y_train.astype(float)
    reg = MLPRegressor(hidden_layer_sizes=(32,), solver=solver, learning_rate="exponential",
                       decay_rate=decay_rate, decay_steps=1, learning_rate_init=1e-3,
                       max_iter=50, random_state=0)
    with pytest.warns(UserWarning, match="diverged"):
        reg.fit(X_train, y_train)
    assert reg.stop_reason_ == "diverged" and reg.n_iter_ > 0
    fresh = OPTIMIZERS[solver](reg._optimizer_params()).init(reg._theta)
    _assert_same_state(reg._optimizer_state, fresh)


def test_diverging_warm_start_keeps_the_previous_weights():
    X_train, X_val, y_train, y_val = _noisy_task()
    reg = MLPRegressor(hidden_layer_sizes=(16,), solver="sgd", max_iter=20,
                       warm_start=True, random_state=0).fit(X_train, y_train.astype(float))
    coefs = [W.copy() for W in reg.coefs_]
    score = reg.score(X_val, y_val)
    reg.set_params(learning_rate_init=1e6, batch_size=1)
    with pytest.warns(UserWarning, match="diverged"):
        reg.fit(X_train, y_train.astype(float))
    assert reg.stop_reason_ == "diverged"
    for W, W_before in zip(reg.coefs_, coefs):
        np.testing.assert_array_equal(W, W_before)
    assert reg.score(X_val, y_val) == score


def test_a_failing_warm_start_fit_restores_everything():
    X_train, _, y_train, _ = _noisy_task()
    clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=5, warm_start=True,
                        random_state=0).fit(X_train, y_train)
    before = {
        "coefs": [W.copy() for W in clf.coefs_],
        "history": clf.history_,
        "n_iter": clf.n_iter_,
        "t": clf.t_,
    }
    # a bad validation set is found only after the training data were validated
    with pytest.raises(ValueError):
        clf.fit(X_train, y_train, X_val=X_train[:, :3], y_val=y_train)
    for W, W_before in zip(clf.coefs_, before["coefs"]):
        np.testing.assert_array_equal(W, W_before)
    assert clf.history_ == before["history"]
    assert (clf.n_iter_, clf.t_) == (before["n_iter"], before["t"])
    # and the estimator continues from there
    clf.fit(X_train, y_train)
    assert len(clf.loss_curve_) == 10


# ----------------------------------------------------------------------------
# verbose

LINE = re.compile(
    r"^Iteration (\d+), loss = ([0-9.e+-]+)"
    r"(?:, val_loss = ([0-9.e+-]+), val_score = ([0-9.e+-]+))?"
    r"(?:, lr = ([0-9.e+-]+))?, ([0-9.]+)s$"
)


def test_verbose_prints_one_line_per_epoch_with_the_fields(capsys):
    X_train, X_val, y_train, y_val = _noisy_task()
    clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=6, validation_interval=2,
                        verbose=True, random_state=0)
    clf.fit(X_train, y_train, X_val=X_val, y_val=y_val)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert len(lines) == 6
    history = clf.history_
    for epoch, line in enumerate(lines, start=1):
        match = LINE.match(line)
        assert match, line
        number, loss, val_loss, val_score, lr, seconds = match.groups()
        assert int(number) == epoch
        assert float(loss) == pytest.approx(history["loss"][epoch - 1], abs=1e-8)
        assert float(lr) == pytest.approx(clf.learning_rate_init)
        assert float(seconds) >= 0
        if epoch % 2 == 0:
            assert float(val_loss) == pytest.approx(history["val_loss"][epoch - 1], abs=1e-8)
            assert float(val_score) == pytest.approx(history["val_score"][epoch - 1],
                                                     abs=1e-6)
        else:
            assert val_loss is None and val_score is None


def test_verbose_lbfgs_prints_one_line_per_iteration(capsys):
    X_train, _, y_train, _ = _noisy_task()
    clf = MLPClassifier(hidden_layer_sizes=(16,), solver="lbfgs", max_iter=7,
                        verbose=True, random_state=0).fit(X_train, y_train)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert len(lines) == clf.n_iter_ == 7
    for epoch, line in enumerate(lines, start=1):
        match = LINE.match(line)
        assert match and int(match.group(1)) == epoch, line
        assert float(match.group(2)) == pytest.approx(clf.loss_curve_[epoch - 1], abs=1e-8)
