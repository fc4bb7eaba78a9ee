"""Tests of batch sizes and of the per-epoch batch stream."""

import numpy as np
import pytest
import scipy.sparse as sp

from sknnopt._batching import BatchStream, resolve_batch_size

N = 23


@pytest.mark.parametrize(
    "batch_size, n_samples, expected",
    [
        (1, 10, 1),
        (1, 1, 1),
        (7, 100, 7),
        (32, 32, 32),
        (500, 100, 100),  # clipped to the number of samples
        ("auto", 50, 50),
        ("auto", 200, 200),
        ("auto", 1000, 200),  # sklearn's min(200, n_samples)
        ("full", 1, 1),
        ("full", 1000, 1000),
    ],
)
def test_resolve_batch_size(batch_size, n_samples, expected):
    assert resolve_batch_size(batch_size, n_samples) == expected


def _data(fmt="dense", n=N):
    """X whose first column is the row index, so rows can be traced."""
    rng = np.random.default_rng(0)
    X = np.column_stack([np.arange(n, dtype=float), rng.normal(size=(n, 2))])
    X[::3, 2] = 0.0
    Y = np.column_stack([10.0 * np.arange(n), -np.arange(n, dtype=float)])
    w = np.arange(n) + 0.5
    if fmt == "csr":
        X = sp.csr_matrix(X)
    elif fmt == "csc":
        X = sp.csc_matrix(X)
    return X, Y, w


def _dense(Xb):
    return Xb.toarray() if sp.issparse(Xb) else Xb


def _collect(stream, X, Y, w):
    """Return the original row indices of one epoch, checking X, Y, w agree."""
    X_dense = _dense(X)
    order = []
    sizes = []
    for Xb, Yb, wb in stream.epoch():
        Xb = _dense(Xb)
        idx = Xb[:, 0].astype(int)
        np.testing.assert_array_equal(Xb, X_dense[idx])
        np.testing.assert_array_equal(Yb, Y[idx])
        if w is None:
            assert wb is None
        else:
            np.testing.assert_array_equal(wb, w[idx])
        order.extend(idx.tolist())
        sizes.append(len(idx))
    return order, sizes


@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("weighted", [True, False])
@pytest.mark.parametrize("batch_size", [1, 5, N])
def test_epoch_covers_every_row_once(fmt, shuffle, weighted, batch_size):
    X, Y, w = _data(fmt)
    w = w if weighted else None
    stream = BatchStream(X, Y, w, batch_size, shuffle, np.random.default_rng(1))
    for _ in range(2):
        order, sizes = _collect(stream, X, Y, w)
        assert sorted(order) == list(range(N))
        n_full, rest = divmod(N, batch_size)
        assert sizes == [batch_size] * n_full + ([rest] if rest else [])
        if not shuffle:
            assert order == list(range(N))


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_shuffle_changes_the_order_every_epoch(fmt):
    X, Y, w = _data(fmt)
    stream = BatchStream(X, Y, w, 4, True, np.random.default_rng(3))
    first, _ = _collect(stream, X, Y, w)
    second, _ = _collect(stream, X, Y, w)
    assert first != list(range(N))
    assert first != second


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_same_seed_same_order(fmt):
    X, Y, w = _data(fmt)
    orders = []
    for seed in (5, 5, 6):
        stream = BatchStream(X, Y, w, 4, True, np.random.default_rng(seed))
        orders.append([_collect(stream, X, Y, w)[0] for _ in range(3)])
    assert orders[0] == orders[1]
    assert orders[0] != orders[2]


def test_batches_are_contiguous_views_of_one_shuffled_buffer():
    X, Y, w = _data()
    X_before, Y_before, w_before = X.copy(), Y.copy(), w.copy()
    stream = BatchStream(X, Y, w, 4, True, np.random.default_rng(0))
    buffers = []
    for _ in range(2):
        batches = list(stream.epoch())
        Xbuf, Ybuf, wbuf = batches[0][0].base, batches[0][1].base, batches[0][2].base
        assert Xbuf is not None and Ybuf is not None and wbuf is not None
        for Xb, Yb, wb in batches:
            assert Xb.flags.c_contiguous
            assert np.shares_memory(Xb, Xbuf) and np.shares_memory(Yb, Ybuf)
            assert np.shares_memory(wb, wbuf)
            assert not np.shares_memory(Xb, X) and not np.shares_memory(Yb, Y)
        # consecutive batches are consecutive slices of the same buffer
        starts = [Xb.__array_interface__["data"][0] for Xb, _, _ in batches]
        step = 4 * X.shape[1] * X.itemsize
        assert np.all(np.diff(starts) == step)
        buffers.append((Xbuf, Ybuf, wbuf))
    # the buffers are allocated once and reused every epoch
    assert all(a is b for a, b in zip(*buffers))
    # the caller's data is never modified
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(Y, Y_before)
    np.testing.assert_array_equal(w, w_before)


def test_without_shuffle_batches_are_views_of_the_data():
    X, Y, w = _data()
    stream = BatchStream(X, Y, w, 5, False, np.random.default_rng(0))
    for Xb, Yb, _ in stream.epoch():
        assert np.shares_memory(Xb, X) and np.shares_memory(Yb, Y)


def test_fortran_ordered_input_gives_c_contiguous_batches():
    X, Y, w = _data()
    Xf = np.asfortranarray(X)
    stream = BatchStream(Xf, Y, None, 4, True, np.random.default_rng(0))
    order, _ = _collect(stream, Xf, Y, None)
    assert sorted(order) == list(range(N))
    assert all(Xb.flags.c_contiguous for Xb, _, _ in stream.epoch())


def test_sparse_batches_are_csr():
    X, Y, w = _data("csc")
    for shuffle in (True, False):
        stream = BatchStream(X, Y, w, 6, shuffle, np.random.default_rng(0))
        assert all(sp.issparse(Xb) and Xb.format == "csr" for Xb, _, _ in stream.epoch())


def test_single_sample():
    X, Y, w = _data(n=1)
    stream = BatchStream(X, Y, w, 1, True, np.random.default_rng(0))
    batches = list(stream.epoch())
    assert len(batches) == 1
    np.testing.assert_array_equal(batches[0][0], X)


# -- per_batch=True: the training loop's gather into one reused buffer ---------


@pytest.mark.parametrize("weighted", [True, False])
@pytest.mark.parametrize("batch_size", [1, 4, 5, N])
def test_per_batch_gathers_the_same_batches_as_the_shuffled_copy(weighted, batch_size):
    X, Y, w = _data()
    w = w if weighted else None
    copied = BatchStream(X, Y, w, batch_size, True, np.random.default_rng(7))
    gathered = BatchStream(X, Y, w, batch_size, True, np.random.default_rng(7), per_batch=True)
    for _ in range(2):
        for (Xa, Ya, wa), (Xb, Yb, wb) in zip(copied.epoch(), gathered.epoch(), strict=True):
            np.testing.assert_array_equal(Xa, Xb)
            np.testing.assert_array_equal(Ya, Yb)
            if w is None:
                assert wb is None
            else:
                np.testing.assert_array_equal(wa, wb)


def test_per_batch_reuses_one_batch_sized_buffer():
    X, Y, w = _data()
    X_before = X.copy()
    stream = BatchStream(X, Y, w, 4, True, np.random.default_rng(0), per_batch=True)
    bases = set()
    for _ in range(2):
        for Xb, Yb, _wb in stream.epoch():
            assert Xb.flags.c_contiguous and Xb.shape[0] <= 4
            assert not np.shares_memory(Xb, X) and not np.shares_memory(Yb, Y)
            bases.add(Xb.ctypes.data)  # every batch starts at the buffer's first row
    assert len(bases) == 1
    np.testing.assert_array_equal(X, X_before)


@pytest.mark.parametrize("order", ["C", "F"])
def test_per_batch_stochastic_mode_covers_every_row(order):
    X, Y, w = _data()
    X = np.asarray(X, order=order)
    stream = BatchStream(X, Y, w, 1, True, np.random.default_rng(2), per_batch=True)
    order_seen, sizes = _collect(stream, X, Y, w)
    assert sorted(order_seen) == list(range(N)) and set(sizes) == {1}


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_per_batch_with_sparse_input_shuffles_a_copy(fmt):
    X, Y, w = _data(fmt)
    stream = BatchStream(X, Y, w, 5, True, np.random.default_rng(4), per_batch=True)
    order_seen, _ = _collect(stream, X, Y, w)
    assert sorted(order_seen) == list(range(N))
