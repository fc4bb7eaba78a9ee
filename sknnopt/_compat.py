"""The only importer of private scikit-learn API, with version shims."""

import sklearn
from sklearn.base import _fit_context
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
    validate_parameter_constraints,
)
from sklearn.utils.multiclass import _check_partial_fit_first_call
from sklearn.utils.optimize import _check_optimize_result
from sklearn.utils.validation import _check_sample_weight, validate_data

SKLEARN_VERSION = tuple(int(p) for p in sklearn.__version__.split(".")[:2] if p.isdigit())


class _NoCallbackContext:
    """Callback context of a fit without scikit-learn callbacks: every hook is a no-op."""

    def call_on_fit_task_begin(self, **kwargs):
        return self

    def call_on_fit_task_end(self, **kwargs):
        return False

    def subcontext(self, **kwargs):
        return self


class _CallbackSupportFallback:
    """Stand-in for ``sklearn.callback.CallbackSupportMixin`` (scikit-learn < 1.9).

    Estimators have no ``set_callbacks`` and fit without callbacks.
    """

    def _init_callback_context(self, task_name="fit", task_id=0, max_subtasks=0,
                               sequential_subtasks=True):
        return _NoCallbackContext()


try:  # scikit-learn >= 1.9
    from sklearn.callback import CallbackSupportMixin

    HAS_SKLEARN_CALLBACKS = True
except ImportError:
    CallbackSupportMixin = _CallbackSupportFallback
    HAS_SKLEARN_CALLBACKS = False


def sklearn_mlp_activations():
    """Return the names of the activations scikit-learn's MLPs can predict with."""
    from sklearn.neural_network._base import ACTIVATIONS

    return set(ACTIVATIONS)


def check_optimize_result(solver, result, max_iter):
    """Warn like scikit-learn when scipy's optimiser did not converge; return nit."""
    return _check_optimize_result(solver, result, max_iter)


__all__ = [
    "CallbackSupportMixin",
    "HAS_SKLEARN_CALLBACKS",
    "Interval",
    "InvalidParameterError",
    "Options",
    "StrOptions",
    "_check_partial_fit_first_call",
    "_check_sample_weight",
    "_fit_context",
    "check_optimize_result",
    "sklearn_mlp_activations",
    "validate_parameter_constraints",
    "validate_data",
    "SKLEARN_VERSION",
]
