"""scikit-learn's estimator checks on both estimators in many configurations."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sknnopt import MLPClassifier, MLPRegressor
from sknnopt.initializers import INITIALIZERS
from sknnopt.schedules import SCHEDULES

SAMPLE_WEIGHT_EQUIVALENCE = (
    "check_sample_weight_equivalence_on_dense_data",
    "check_sample_weight_equivalence_on_sparse_data",
)

CONFIGS = [
    {},
    {"solver": "lbfgs"},
    {"solver": "sgd", "momentum": 0.9, "nesterovs_momentum": True},
    {"batch_size": 1, "max_iter": 20},
    {"batch_size": "full"},
    {"solver": "rmsprop"},
    {"solver": "adagrad", "learning_rate_init": 0.01},
    {"solver": "adamw", "weight_decay": 0.01},
    {"clip_norm": 1.0, "clip_value": 0.5},
    {"dropout": 0.2},
    {"hidden_layer_sizes": (32, 16), "dropout": [0.1, 0.3], "learning_rate_init": 0.01},
    {"activation": "leaky_relu"},
    {"activation": "tanh", "solver": "lbfgs"},
    {"activation": "sigmoid", "learning_rate_init": 0.01},
    # no hidden layer: a linear / logistic model trained by the same machinery
    {"hidden_layer_sizes": (), "learning_rate_init": 0.05},
    # zeros with hidden layers never breaks symmetry (that is its point); without
    # hidden layers it is the usual start of a linear model
    {"weight_init": "zeros", "hidden_layer_sizes": (), "learning_rate_init": 0.05},
]
CONFIGS += [
    {"weight_init": scheme}
    for scheme in INITIALIZERS
    if scheme not in ("auto", "zeros")
]
# plain SGD needs a larger step than Adam's default to learn in max_iter epochs
CONFIGS += [
    {"learning_rate": schedule, "solver": "sgd", "learning_rate_init": 0.05}
    for schedule in SCHEDULES
    if schedule != "constant"
]


def _estimators():
    for config in CONFIGS:
        for cls in (MLPClassifier, MLPRegressor):
            yield cls(**{"max_iter": 100, **config})


def _expected_failed(estimator):
    """Checks that fail for a stated reason (and only these)."""
    params = estimator.get_params()
    failures = {}
    if params["dropout"] not in (0, 0.0):
        reason = (
            "random dropout masks: weighting a row is not the same as repeating it"
        )
        failures.update(dict.fromkeys(SAMPLE_WEIGHT_EQUIVALENCE, reason))
    if params["batch_size"] == 1:
        reason = (
            "stochastic updates: a weighted row takes one step where repeated rows "
            "take several, so the trajectories differ (equal only in expectation)"
        )
        failures.update(dict.fromkeys(SAMPLE_WEIGHT_EQUIVALENCE, reason))
    return failures


@parametrize_with_checks(list(_estimators()), expected_failed_checks=_expected_failed)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
