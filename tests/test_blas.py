"""Tests of the BLAS thread choice: from the product sizes, under a caller's limit."""

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from sknnopt import MLPClassifier
from sknnopt._blas import (
    _LIBS,
    _VECTOR_LIBS,
    MIN_MACS_FOR_THREADS,
    blas_threads_for,
    caller_limited,
    one_blas_thread,
    worker_threads,
)


def _counts():
    return [lib.num_threads for lib in _LIBS]


def _blas_counts():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_small_products_run_on_one_thread_and_the_counts_come_back():
    before = _counts()
    with blas_threads_for([100, 256, 128, 10], 64):
        assert all(n == 1 for n in _counts())
    assert _counts() == before


def test_large_products_keep_numpys_threads_but_not_scipys():
    before = _counts()
    rows = MIN_MACS_FOR_THREADS // (784 * 512) + 1
    with blas_threads_for([784, 512, 10], rows):
        for lib, n in zip(_LIBS, before):
            assert lib.num_threads == (1 if lib in _VECTOR_LIBS else n)
    assert _counts() == before


@pytest.mark.parametrize("limit", [1, 3])
def test_a_limit_set_by_the_caller_is_left_alone(limit):
    with threadpool_limits(limits=limit, user_api="blas"):
        inside = _counts()
        if not caller_limited():
            pytest.skip("the limit equals the default thread count")
        with blas_threads_for([100, 256, 10], 64), one_blas_thread():
            assert _counts() == inside
        assert worker_threads(100) <= max(inside)


def test_one_thread_limit_means_one_prediction_thread():
    with threadpool_limits(limits=1, user_api="blas"):
        assert worker_threads(100) == 1


def test_fit_and_predict_leave_the_thread_counts_as_they_found_them():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 8))
    y = (X[:, 0] > 0).astype(int)
    before = _blas_counts()
    clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=3, random_state=0)
    with pytest.warns(Warning):
        clf.fit(X, y)
    clf.predict(np.tile(X, (40, 1)))
    assert _blas_counts() == before
    with threadpool_limits(limits=1, user_api="blas"):
        limited = _blas_counts()
        clf.predict(np.tile(X, (40, 1)))
        assert _blas_counts() == limited


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_axpy_adds_in_place(dtype):
    from sknnopt._blas import axpy

    rng = np.random.default_rng(0)
    parent = rng.integers(-5, 5, size=12).astype(dtype)
    y = parent[2:]  # a view, as the trainable suffix of theta
    x = rng.integers(-5, 5, size=10).astype(dtype)
    expected = y + 3 * x
    out = axpy(3.0 if dtype != np.int64 else 3, x, y)
    assert out is y and np.shares_memory(y, parent)
    np.testing.assert_allclose(parent[2:], expected, rtol=1e-6)
