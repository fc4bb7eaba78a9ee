"""How sknnopt calls BLAS: the thread count of products, and a one-pass axpy.

Threads: chosen per call from the sizes of the products.

A multi-threaded OpenBLAS product waits for all of its threads at the end.
When another process holds one of the cores, the waiting thread loses a
scheduler time slice (4-16 ms), far more than a small product takes on one
core. Measured on the 2-core development machine, ``numpy.matmul``, median
of 9 alternated runs (7 under load), speed of two threads over one,
float32 / float64 (one-thread time in brackets):

=========================  ============================  ============================
product (rows x in x out)  idle machine                  other jobs running
=========================  ============================  ============================
64 x 100 x 256 (config B)  0.90x / 1.27x (29 / 59 us)    0.91x / 0.00x (16 ms stalls)
256 x 100 x 256            1.19x / 1.39x (99 / 209 us)
1024 x 100 x 256           1.79x / 2.11x (0.4 / 0.9 ms)
256 x 784 x 512 (C)        1.88x / 1.85x (1.5 / 3.2 ms)  1.80x / 0.21x
4096 x 100 x 256           1.96x / 1.98x (1.6 / 3.6 ms)  0.44x / 1.00x
=========================  ============================  ============================

Two threads gain little on small products even on an idle machine and lose
up to 100x when the other core is busy, so training runs on one BLAS thread
unless its largest product (batch rows x fan-in x fan-out) has at least
``MIN_MACS_FOR_THREADS`` multiply-adds: from there two threads are ~1.6-2x
faster when a core is free, and a stall costs a fraction of an epoch, not
each of its steps. The choice depends on the shapes only, never on timing:
1 and 2 threads can round differently, and the same ``random_state`` must
give the same model.

Prediction on many rows instead splits the rows into blocks run by Python
threads on one BLAS thread each (NumPy releases the GIL in products and
ufuncs): a thread that loses its core delays one block, not every product,
the elementwise work runs in parallel too, and every block is computed the
same way whichever thread runs it.

An outer ``threadpoolctl.threadpool_limits`` is respected: when the BLAS
thread count differs from the process default (what it was when sknnopt was
imported), the caller has chosen it and it is left alone, and prediction uses
at most that many threads. (A limit equal to the default cannot be told apart
from no limit.)
"""

import os
from contextlib import contextmanager

import numpy as np
from scipy.linalg import blas
from threadpoolctl import ThreadpoolController

_AXPY = {np.dtype(np.float32): blas.saxpy, np.dtype(np.float64): blas.daxpy}


def axpy(a, x, y):
    """y += a * x in place on a 1-D vector, in one pass (BLAS axpy).

    ``a`` is a Python float. Falls back to NumPy for other dtypes or layouts.
    """
    f = _AXPY.get(y.dtype)
    if f is not None and y.flags.c_contiguous and y.ndim == 1 and y.size:
        out = f(x, y, a=a)
        if out is not y:  # f2py made a copy: keep the in-place contract
            y[...] = out
    else:
        y += a * x
    return y


# A product of at least this many multiply-adds may use the default threads.
MIN_MACS_FOR_THREADS = 2**24

_LIBS = ThreadpoolController().select(user_api="blas").lib_controllers


def _is_scipy_blas(lib):
    # SciPy's wheels bring their own OpenBLAS (``scipy.libs``), with its own
    # thread pool, which the optimisers' BLAS axpy calls use. Two pools busy
    # waiting on two cores starve each other: one epoch of config C took 4.6 s
    # with both at two threads, 0.6 s with SciPy's at one.
    path = os.path.normcase(lib.filepath or "")
    return "scipy.libs" in path or f"{os.sep}scipy{os.sep}" in path


_VECTOR_LIBS = [lib for lib in _LIBS if _is_scipy_blas(lib)]
_DEFAULTS = [lib.num_threads for lib in _LIBS]


def _blas_threads():
    """Return the largest thread count of the loaded BLAS libraries."""
    return max((lib.num_threads for lib in _LIBS), default=1)


def caller_limited():
    """Return True if an outer ``threadpool_limits`` changed the BLAS threads."""
    return [lib.num_threads for lib in _LIBS] != _DEFAULTS


def worker_threads(n_blocks):
    """Return how many Python threads may share ``n_blocks`` blocks of rows."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(n_blocks, _blas_threads(), cpus or 1))


@contextmanager
def _threads(libs, n):
    """Set ``libs`` to n threads for the block, then restore their counts."""
    old = [(lib, lib.num_threads) for lib in libs]
    try:
        for lib, count in old:
            if count != n:
                lib.set_num_threads(n)
        yield
    finally:
        for lib, count in old:
            if lib.num_threads != count:
                lib.set_num_threads(count)


@contextmanager
def one_blas_thread():
    """Run the block on one BLAS thread (unless the caller set a limit)."""
    if caller_limited():
        yield
        return
    with _threads(_LIBS, 1):
        yield


@contextmanager
def blas_threads_for(layer_units, n_rows):
    """Run the block with the thread count chosen for products of ``n_rows`` rows.

    ``layer_units`` are the network's units per layer, input first. Large
    products keep the default threads of NumPy's BLAS; SciPy's separate BLAS
    (vector operations only) gets one thread either way.
    """
    macs = n_rows * max(
        (a * b for a, b in zip(layer_units[:-1], layer_units[1:])), default=0
    )
    if caller_limited():
        yield
        return
    libs = _VECTOR_LIBS if macs >= MIN_MACS_FOR_THREADS else _LIBS
    with _threads(libs, 1):
        yield
