"""The only importer of private scikit-learn API, with version shims."""

import sklearn
from sklearn.base import _fit_context
from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
)
from sklearn.utils.multiclass import _check_partial_fit_first_call
from sklearn.utils.optimize import _check_optimize_result
from sklearn.utils.validation import _check_sample_weight, validate_data

SKLEARN_VERSION = tuple(int(p) for p in sklearn.__version__.split(".")[:2] if p.isdigit())


def check_optimize_result(solver, result, max_iter):
    """Warn like scikit-learn when scipy's optimiser did not converge; return nit."""
    return _check_optimize_result(solver, result, max_iter)


__all__ = [
    "Interval",
    "InvalidParameterError",
    "Options",
    "StrOptions",
    "_check_partial_fit_first_call",
    "_check_sample_weight",
    "_fit_context",
    "check_optimize_result",
    "validate_data",
    "SKLEARN_VERSION",
]
