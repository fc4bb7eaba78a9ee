"""Fit time of sknnopt against scikit-learn's MLP, and against the matmul floor.

For each configuration below, in float32 and float64, the two implementations
are fitted alternately (the order flips every repeat) with the same
hyperparameters and exactly the same number of epochs (``tol=0`` and
``n_iter_no_change > max_iter``, so neither stops early). Reported per row:

- ``sknnopt s`` / ``sklearn s``: median fit seconds over the repeats, and
  ``ratio`` = sknnopt / sklearn (the targets of issue 6 are on this ratio);
- ``GFLOP/s``: 6 · n_samples · epochs · Σ H_{k-1}·H_k / sknnopt's fit time
  (2 flops per multiply-add, one forward and two backward products per layer);
- ``GEMM s``: the GEMM floor, the time of the matrix products one training
  run needs (per batch: ``A @ W`` and ``A_prev.T @ delta`` for every layer,
  ``delta @ W.T`` for every layer but the first, which no implementation
  computes), run with ``numpy.matmul`` into preallocated outputs on the same
  shapes and dtype, in the same run, with the faster of one BLAS thread and
  the default count; ``x floor`` = sknnopt's fit time / the GEMM floor;
- ``roofline``: sknnopt's share of the GEMM roofline, i.e. the rate of those
  products alone on these shapes: (GEMM flops / fit time) / (GEMM flops /
  GEMM floor) = GEMM floor / fit time = 1 / ``x floor``;
- ``peak MB``: peak of the memory traced by ``tracemalloc`` (NumPy reports its
  array allocations to it, for both libraries alike) during one extra,
  untimed fit, above what was allocated before the fit;
- the final training score (accuracy or R²) of each.

``--threads`` runs every configuration twice: with the default BLAS threads
(sknnopt then picks its own count inside ``fit``; scikit-learn uses the
default) and inside ``threadpool_limits(1)`` for both. A last table compares
``predict`` on 100 000 rows.

Usage::

    python benchmarks/bench_vs_sklearn.py            # all configs, 3 repeats
    python benchmarks/bench_vs_sklearn.py --quick    # A, B, D; 1 repeat (a smoke check)
    python benchmarks/bench_vs_sklearn.py --threads  # default and one BLAS thread
    python benchmarks/bench_vs_sklearn.py --configs B C --dtypes float32

Results go to ``benchmarks/results/bench_vs_sklearn-<time>.json`` (git-ignored).
"""

import argparse
import gc
import json
import os
import platform
import statistics
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn.datasets import load_digits, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SkClassifier
from sklearn.neural_network import MLPRegressor as SkRegressor
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info, threadpool_limits

import sknnopt
from sknnopt import MLPClassifier, MLPRegressor

RESULTS = Path(__file__).resolve().parent / "results"


def _digits():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _classification(n, d, n_classes, n_informative):
    def make():
        return make_classification(
            n_samples=n,
            n_features=d,
            n_informative=n_informative,
            n_classes=n_classes,
            random_state=0,
        )

    return make


def _regression():
    X, y = make_regression(n_samples=20000, n_features=100, noise=1.0, random_state=0)
    # standardised targets, so the score after 10 epochs means something
    return X, (y - y.mean()) / y.std()


# name: (data, task, hidden layers, solver parameters, batch size, epochs)
CONFIGS = {
    "A": (_digits, "clf", (100,), {"solver": "adam"}, 200, 200),
    "B": (_classification(20000, 100, 10, 20), "clf", (256, 128), {"solver": "adam"}, 64, 10),
    "C": (_classification(30000, 784, 10, 50), "clf", (512, 256), {"solver": "adam"}, 256, 5),
    "D": (
        _classification(2000, 20, 2, 2),
        "clf",
        (64,),
        {"solver": "sgd", "momentum": 0.9, "nesterovs_momentum": True},
        1,
        2,
    ),
    "E": (_regression, "reg", (256, 128), {"solver": "adam"}, 64, 10),
}

# ratio targets of issue 6 (sknnopt / sklearn fit time): float32, float64
RATIO_TARGETS = {
    "A": (0.5, 0.6),
    "B": (0.5, 0.6),
    "C": (0.8, 0.8),
    "D": (0.35, 0.35),
    "E": (0.5, 0.6),
}
FLOOR_TARGET = {"B": 1.5, "C": 1.5, "E": 1.5}  # fit time / GEMM floor
ROOFLINE_TARGET = {("C", "float32"): 0.8}


def make_estimators(task, hidden, solver_params, batch_size, epochs):
    """Return (sknnopt, sklearn) estimators with identical hyperparameters."""
    params = dict(
        hidden_layer_sizes=hidden,
        batch_size=batch_size,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        shuffle=True,
        random_state=0,
        **solver_params,
    )
    if task == "clf":
        return MLPClassifier(**params), SkClassifier(**params)
    return MLPRegressor(**params), SkRegressor(**params)


def flops(n, layer_units, epochs):
    """The issue's count: 6 · n · epochs · Σ H_{k-1} H_k."""
    return 6.0 * n * epochs * sum(a * b for a, b in zip(layer_units[:-1], layer_units[1:]))


def gemm_epoch_seconds(n, layer_units, batch_size, dtype, rng):
    """Time the matrix products of one epoch (see the module docstring)."""
    X = rng.standard_normal((n, layer_units[0])).astype(dtype)
    Ws = [
        rng.standard_normal((a, b)).astype(dtype) * 0.1
        for a, b in zip(layer_units[:-1], layer_units[1:])
    ]
    gWs = [np.empty_like(W) for W in Ws]

    def buffers(m):
        # finite values: garbage could hold NaN or subnormals, which slow BLAS down
        return [rng.standard_normal((m, u)).astype(dtype) * 0.1 for u in layer_units[1:]]

    full = (buffers(batch_size), buffers(batch_size))
    rest = n % batch_size
    last = (buffers(rest), buffers(rest)) if rest else None
    L = len(Ws)
    t0 = time.perf_counter()
    for start in range(0, n, batch_size):
        Xb = X[start : start + batch_size]
        As, Ds = full if Xb.shape[0] == batch_size else last
        A = Xb
        for k in range(L):
            np.matmul(A, Ws[k], out=As[k])
            A = As[k]
        for k in range(L - 1, -1, -1):
            np.matmul((Xb if k == 0 else As[k - 1]).T, Ds[k], out=gWs[k])
            if k:
                np.matmul(Ds[k], Ws[k].T, out=Ds[k - 1])
    return time.perf_counter() - t0


def gemm_floor(n, layer_units, batch_size, epochs, dtype, rng, limits, max_rows=None):
    """Seconds of the training run's matmuls: the fastest of the thread ``limits``."""
    rows = n if max_rows is None else min(n, max_rows)
    scale = epochs * n / rows
    times = []
    for limit in limits:
        with threadpool_limits(limits=limit, user_api="blas"):
            times.append(gemm_epoch_seconds(rows, layer_units, batch_size, dtype, rng))
    return min(times) * scale


def peak_memory_mb(estimator, X, y):
    """Peak traced allocation (MB) of one fit above what existed before it."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        estimator.fit(X, y)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return (peak - base) / 2**20


def timed_fit(estimator, X, y):
    gc.collect()
    t0 = time.perf_counter()
    estimator.fit(X, y)
    return time.perf_counter() - t0


def run_config(name, dtype, repeats, threads, rng):
    data, task, hidden, solver_params, batch_size, epochs = CONFIGS[name]
    X, y = data()
    X = np.ascontiguousarray(X, dtype=dtype)
    n = X.shape[0]
    n_out = len(np.unique(y)) if task == "clf" else 1
    if task == "clf" and n_out == 2:
        n_out = 1
    layer_units = [X.shape[1], *hidden, n_out]
    limit = 1 if threads == "1" else None
    times = {"sknnopt": [], "sklearn": []}
    floors = []
    fitted = {}
    # D's floor is all Python call overhead: time a slice of the epoch
    max_rows = 500 if batch_size == 1 else None
    with threadpool_limits(limits=limit, user_api="blas"):
        for r in range(repeats):
            order = ("sknnopt", "sklearn") if r % 2 == 0 else ("sklearn", "sknnopt")
            for impl in order:
                ours, theirs = make_estimators(task, hidden, solver_params, batch_size, epochs)
                est = ours if impl == "sknnopt" else theirs
                times[impl].append(timed_fit(est, X, y))
                fitted[impl] = est
            floors.append(
                gemm_floor(n, layer_units, batch_size, epochs, dtype, rng,
                           (1,) if limit == 1 else (1, None), max_rows)
            )
        peaks = {}
        for impl in ("sknnopt", "sklearn"):
            ours, theirs = make_estimators(task, hidden, solver_params, batch_size, epochs)
            peaks[impl] = peak_memory_mb(ours if impl == "sknnopt" else theirs, X, y)
    scores = {impl: float(est.score(X, y)) for impl, est in fitted.items()}
    n_iter = {impl: int(est.n_iter_) for impl, est in fitted.items()}
    assert n_iter["sknnopt"] == n_iter["sklearn"] == epochs, n_iter
    t_ours = statistics.median(times["sknnopt"])
    t_theirs = statistics.median(times["sklearn"])
    floor = statistics.median(floors)
    gflop = flops(n, layer_units, epochs) / 1e9
    dt = np.dtype(dtype).name
    row = {
        "config": name,
        "dtype": dt,
        "threads": threads,
        "layer_units": layer_units,
        "batch_size": batch_size,
        "epochs": epochs,
        "sknnopt_s": t_ours,
        "sklearn_s": t_theirs,
        "sknnopt_all_s": times["sknnopt"],
        "sklearn_all_s": times["sklearn"],
        "ratio": t_ours / t_theirs,
        "ratio_target": RATIO_TARGETS[name][0 if dt == "float32" else 1],
        "gflops": gflop / t_ours,
        "sklearn_gflops": gflop / t_theirs,
        "gemm_floor_s": floor,
        "x_floor": t_ours / floor,
        "floor_target": FLOOR_TARGET.get(name),
        "roofline": floor / t_ours,
        "roofline_target": ROOFLINE_TARGET.get((name, dt)),
        "sknnopt_peak_mb": peaks["sknnopt"],
        "sklearn_peak_mb": peaks["sklearn"],
        "sknnopt_score": scores["sknnopt"],
        "sklearn_score": scores["sklearn"],
    }
    row["meets_targets"] = bool(
        row["ratio"] <= row["ratio_target"]
        and (row["floor_target"] is None or row["x_floor"] <= row["floor_target"])
        and (row["roofline_target"] is None or row["roofline"] >= row["roofline_target"])
        and row["sknnopt_peak_mb"] <= row["sklearn_peak_mb"]
    )
    return row


def run_predict(dtype, repeats, threads, n_rows=100_000):
    """Median predict seconds on n_rows rows of a fitted config-B network.

    scikit-learn predicts with the same weights: the sknnopt model exported by
    ``to_sklearn()``, so both compute the same function.
    """
    data, task, hidden, solver_params, batch_size, _ = CONFIGS["B"]
    X, y = data()
    X = np.ascontiguousarray(X, dtype=dtype)
    ours, _ = make_estimators(task, hidden, solver_params, batch_size, 2)
    ours.fit(X, y)
    theirs = ours.to_sklearn()
    big = np.ascontiguousarray(np.tile(X, (n_rows // X.shape[0] + 1, 1))[:n_rows])
    limit = 1 if threads == "1" else None
    times = {"sknnopt": [], "sklearn": []}
    with threadpool_limits(limits=limit, user_api="blas"):
        for r in range(max(repeats, 3)):
            order = ("sknnopt", "sklearn") if r % 2 == 0 else ("sklearn", "sknnopt")
            for impl in order:
                est = ours if impl == "sknnopt" else theirs
                gc.collect()
                t0 = time.perf_counter()
                est.predict(big)
                times[impl].append(time.perf_counter() - t0)
    agree = float(np.mean(ours.predict(big) == theirs.predict(big)))
    t_ours, t_theirs = statistics.median(times["sknnopt"]), statistics.median(times["sklearn"])
    return {
        "dtype": np.dtype(dtype).name,
        "threads": threads,
        "rows": n_rows,
        "sknnopt_s": t_ours,
        "sklearn_s": t_theirs,
        "ratio": t_ours / t_theirs,
        "same_labels": agree,
    }


def print_header():
    header = (
        f"{'cfg':<3} {'dtype':<7} {'thr':<4} {'sknnopt s':>9} {'sklearn s':>9} "
        f"{'ratio':>6} {'target':>6} {'GFLOP/s':>8} {'GEMM s':>7} {'x floor':>7} "
        f"{'roofline':>8} {'peak MB':>15} {'train score':>15} ok"
    )
    print(header)
    print("-" * len(header))


def print_row(r):
    print(
        f"{r['config']:<3} {r['dtype']:<7} {r['threads']:<4} {r['sknnopt_s']:9.3f} "
        f"{r['sklearn_s']:9.3f} {r['ratio']:6.2f} {r['ratio_target']:6.2f} "
        f"{r['gflops']:8.1f} {r['gemm_floor_s']:7.3f} {r['x_floor']:7.2f} "
        f"{r['roofline']:8.0%} "
        f"{r['sknnopt_peak_mb']:7.1f}/{r['sklearn_peak_mb']:<7.1f} "
        f"{r['sknnopt_score']:.3f}/{r['sklearn_score']:<9.3f} "
        f"{'yes' if r['meets_targets'] else 'NO'}",
        flush=True,
    )


def print_predict(rows):
    print(f"\npredict on {rows[0]['rows']} rows (config-B network, same weights)")
    print(f"{'dtype':<7} {'thr':<4} {'sknnopt s':>9} {'sklearn s':>9} {'ratio':>6} same labels")
    for r in rows:
        print(
            f"{r['dtype']:<7} {r['threads']:<4} {r['sknnopt_s']:9.4f} "
            f"{r['sklearn_s']:9.4f} {r['ratio']:6.2f} {r['same_labels']:.4f}"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="A, B, D, one repeat")
    parser.add_argument("--threads", action="store_true",
                        help="also run everything inside threadpool_limits(1)")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--configs", nargs="+", choices=sorted(CONFIGS), default=None)
    parser.add_argument("--dtypes", nargs="+", choices=["float32", "float64"],
                        default=["float32", "float64"])
    parser.add_argument("--no-predict", action="store_true")
    args = parser.parse_args(argv)

    configs = args.configs or (["A", "B", "D"] if args.quick else sorted(CONFIGS))
    repeats = args.repeats or (1 if args.quick else 3)
    thread_modes = ["dflt", "1"] if args.threads else ["dflt"]
    rng = np.random.default_rng(0)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    blas = [
        {k: i.get(k) for k in ("internal_api", "num_threads", "version", "architecture")}
        for i in threadpool_info()
        if i["user_api"] == "blas"
    ]
    print(
        f"sknnopt {sknnopt.__version__}, scikit-learn {sklearn.__version__}, "
        f"numpy {np.__version__}, {os.cpu_count()} CPUs, BLAS {blas[:1]}, "
        f"load average {os.getloadavg()[0]:.2f}; median of {repeats} repeat(s)\n",
        flush=True,
    )
    rows = []
    print_header()
    for threads in thread_modes:
        for name in configs:
            for dtype in args.dtypes:
                row = run_config(name, np.dtype(dtype).type, repeats, threads, rng)
                rows.append(row)
                print_row(row)
    predict_rows = []
    if not args.no_predict:
        for threads in thread_modes:
            for dtype in args.dtypes:
                predict_rows.append(run_predict(np.dtype(dtype).type, repeats, threads))
        print_predict(predict_rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = RESULTS / f"bench_vs_sklearn-{stamp}.json"
    meta = {
        "sknnopt": sknnopt.__version__,
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "blas": blas,
        "load_average_end": os.getloadavg(),
        "repeats": repeats,
    }
    out.write_text(json.dumps({"meta": meta, "fit": rows, "predict": predict_rows}, indent=2))
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
