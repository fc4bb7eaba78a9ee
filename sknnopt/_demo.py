"""``python -m sknnopt demo``: sknnopt against scikit-learn, then a tour of the
techniques, each measured on load_digits in a few seconds."""

import time
import warnings

import numpy as np


def _digits(train_fraction=None, seed=0):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=seed, stratify=y
    )
    if train_fraction is not None:
        X_train, _, y_train, _ = train_test_split(
            X_train, y_train, train_size=train_fraction, random_state=seed,
            stratify=y_train,
        )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def _fit(model, X, y, **kwargs):
    start = time.perf_counter()
    model.fit(X, y, **kwargs)
    return time.perf_counter() - start


def _epochs_to(loss_curve, threshold):
    for epoch, loss in enumerate(loss_curve, start=1):
        if loss <= threshold:
            return str(epoch)
    return f">{len(loss_curve)}"


def compare_with_sklearn():
    """Return rows (name, accuracy, seconds, epochs, model) for both MLPs."""
    from sklearn.neural_network import MLPClassifier as SklearnMLP

    from . import MLPClassifier

    X_train, X_test, y_train, y_test = _digits()
    settings = dict(hidden_layer_sizes=(100,), max_iter=200, random_state=0)
    rows = []
    for name, cls in (("sknnopt", MLPClassifier), ("scikit-learn", SklearnMLP)):
        model = cls(**settings)
        seconds = _fit(model, X_train, y_train)
        rows.append((name, model.score(X_test, y_test), seconds, model.n_iter_, model))
    return rows, settings


def technique_tour():
    """Return rows (technique, parameter, baseline, with technique, measure)."""
    from . import MLPClassifier

    X_train, X_test, y_train, y_test = _digits()
    rows = []
    curves = {}

    # optimiser: epochs to a fixed training loss
    common = dict(hidden_layer_sizes=(64,), max_iter=60, tol=0.0,
                  n_iter_no_change=1000, random_state=0)
    sgd = MLPClassifier(solver="sgd", momentum=0.0, learning_rate_init=0.01, **common)
    adam = MLPClassifier(solver="adam", learning_rate_init=0.001, **common)
    _fit(sgd, X_train, y_train)
    _fit(adam, X_train, y_train)
    curves["SGD (lr 0.01)"] = sgd.loss_curve_
    curves["Adam (lr 0.001)"] = adam.loss_curve_
    rows.append(("optimiser", "solver='adam' (baseline 'sgd')",
                 _epochs_to(sgd.loss_curve_, 0.1), _epochs_to(adam.loss_curve_, 0.1),
                 "epochs to training loss 0.1"))

    # weight init: symmetry
    zeros = MLPClassifier(weight_init="zeros", **common)
    _fit(zeros, X_train, y_train)
    rows.append(("weight init", "weight_init='auto' (baseline 'zeros')",
                 f"{zeros.score(X_test, y_test):.3f}", f"{adam.score(X_test, y_test):.3f}",
                 "test accuracy"))

    # dropout: train-test gap with little data
    X_small, _, y_small, _ = _digits(train_fraction=0.2)
    gaps = []
    for rate in (0.0, 0.5):
        model = MLPClassifier(hidden_layer_sizes=(256, 256), dropout=rate, alpha=1e-5,
                              max_iter=60, tol=0.0, n_iter_no_change=1000,
                              random_state=0)
        _fit(model, X_small, y_small)
        gaps.append(model.score(X_small, y_small) - model.score(X_test, y_test))
    rows.append(("dropout", "dropout=0.5 (baseline 0)", f"{gaps[0]:.3f}", f"{gaps[1]:.3f}",
                 "train-test accuracy gap (20% of the data)"))

    # gradient clipping on a deep relu network with a large step
    deep = dict(hidden_layer_sizes=(64,) * 8, solver="sgd", learning_rate_init=0.2,
                momentum=0.9, nesterovs_momentum=False, max_iter=30, random_state=0)
    results = []
    for clip in (None, 1.0):
        model = MLPClassifier(clip_norm=clip, **deep)
        try:
            _fit(model, X_train, y_train)
            results.append(f"{model.stop_reason_}, acc {model.score(X_test, y_test):.3f}")
        except ValueError:
            results.append("diverged at once")
    rows.append(("gradient clipping", "clip_norm=1.0 (baseline None)", results[0], results[1],
                 "8 relu layers, SGD lr 0.2"))

    # early stopping on noisy labels
    rng = np.random.RandomState(0)
    noisy = y_train.copy()
    flip = rng.rand(noisy.size) < 0.3
    noisy[flip] = rng.randint(0, 10, flip.sum())
    outcomes = []
    for early in (False, True):
        model = MLPClassifier(hidden_layer_sizes=(128,), early_stopping=early,
                              max_iter=150, tol=0.0, n_iter_no_change=10,
                              random_state=0)
        _fit(model, X_train, noisy)
        outcomes.append(f"{model.n_iter_} ep, acc {model.score(X_test, y_test):.3f}")
    rows.append(("early stopping", "early_stopping=True (baseline False)", outcomes[0],
                 outcomes[1], "30% label noise: epochs, test accuracy"))

    # self-training with 10% of the labels
    partial = y_train.copy()
    partial[rng.rand(partial.size) > 0.1] = -1
    labeled = partial != -1
    base = MLPClassifier(hidden_layer_sizes=(64,), max_iter=100, random_state=0)
    _fit(base, X_train[labeled], partial[labeled])
    st = MLPClassifier(hidden_layer_sizes=(64,), max_iter=100, random_state=0,
                       semi_supervised="self_training", self_training_max_iter=5)
    _fit(st, X_train, partial)
    rows.append(("self-training", "semi_supervised='self_training' (baseline: labeled rows only)",
                 f"{base.score(X_test, y_test):.3f}", f"{st.score(X_test, y_test):.3f}",
                 "test accuracy, 10% labeled"))
    return rows, curves


def _print_table(header, rows):
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(f"{h:<{w}}" for h, w in zip(header, widths))
    print(line)
    print("-" * len(line))
    for row in rows:
        print("  ".join(f"{str(c):<{w}}" for c, w in zip(row, widths)))


def run(plot=None):
    """Print the comparison and the tour; save learning curves to ``plot``."""
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    if plot is not None:
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError as exc:
            raise SystemExit(
                "--plot needs matplotlib: pip install 'sknnopt[examples]'"
            ) from exc
    start = time.perf_counter()
    # small matrices: one BLAS thread is faster than two on small machines
    with warnings.catch_warnings(), threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)
        rows, settings = compare_with_sklearn()
        print("load_digits (1347 train / 450 test, 64 features, 10 classes), "
              f"both with {settings}")
        _print_table(("implementation", "test accuracy", "fit seconds", "epochs"),
                     [(n, f"{a:.4f}", f"{s:.2f}", e) for n, a, s, e, _ in rows])
        print("\nThe techniques, one knob at a time (load_digits, random_state=0):")
        tour, curves = technique_tour()
        _print_table(("technique", "parameter", "baseline", "with the technique", "measure"), tour)
    print(f"\n(total {time.perf_counter() - start:.1f} s; numbers from one seed: "
          "see examples/ for means over seeds)")
    if plot is not None:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        for name, _, _, _, model in rows:
            axes[0].plot(model.loss_curve_, label=name)
        axes[0].set(title="sknnopt vs scikit-learn: training loss", xlabel="epoch",
                    ylabel="loss", yscale="log")
        for name, curve in curves.items():
            axes[1].plot(curve, label=name)
        axes[1].set(title="SGD vs Adam", xlabel="epoch", yscale="log")
        for ax in axes:
            ax.legend()
        fig.tight_layout()
        fig.savefig(plot, dpi=100)
        print(f"learning curves saved to {plot}")
    return 0
