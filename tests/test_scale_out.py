"""Hyperparameter search in parallel: loky processes and a Dask cluster find the
same best parameters (and scores) as the sequential search."""

import logging
import warnings

import joblib
import numpy as np
import pytest
from _optional import optional_import
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

from sknnopt import MLPClassifier

GRID = {"alpha": [1e-4, 3.0], "solver": ["lbfgs", "rmsprop"]}


def _search(n_jobs):
    X, y = make_classification(120, 6, n_informative=4, n_redundant=0, random_state=0)
    search = GridSearchCV(
        MLPClassifier(hidden_layer_sizes=(8,), max_iter=40, random_state=0,
                      learning_rate_init=0.01),
        GRID,
        cv=3,
        n_jobs=n_jobs,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return search.fit(X, y)


@pytest.fixture(scope="module")
def sequential():
    return _search(n_jobs=None)


def _assert_same_search(search, sequential):
    assert search.best_params_ == sequential.best_params_
    # every candidate trains the same model wherever it runs
    np.testing.assert_array_equal(
        search.cv_results_["mean_test_score"], sequential.cv_results_["mean_test_score"]
    )


@pytest.mark.slow
def test_grid_search_with_loky_processes(sequential):
    with joblib.parallel_backend("loky"):
        search = _search(n_jobs=2)
    _assert_same_search(search, sequential)


@pytest.mark.slow
@pytest.mark.parametrize("processes", [False, True])
def test_grid_search_on_a_local_dask_cluster(sequential, processes):
    # the `distributed` extra; CI installs it
    distributed = optional_import("distributed")
    with warnings.catch_warnings():
        # a local cluster may warn about ports and memory limits on small machines
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(
            n_workers=2 if processes else 1,
            threads_per_worker=1 if processes else 2,
            processes=processes,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        )
    with cluster, distributed.Client(cluster) as client:
        with distributed.get_task_stream(client) as tasks, joblib.parallel_backend("dask"):
            search = _search(n_jobs=-1)
        assert sum(client.nthreads().values()) == 2
    # the fits really ran on the cluster
    assert len(tasks.data) >= len(search.cv_results_["params"])
    _assert_same_search(search, sequential)
