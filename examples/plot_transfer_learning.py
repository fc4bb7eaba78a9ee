"""
==============================================
Transfer learning with few labels on the target
==============================================

A network trained on a *source* task lends its hidden layers to a network for
a *target* task with few labels (``pretrained_layers``). Three ways to train
the target network are compared:

(a) **scratch**: the target network alone, randomly initialised;
(b) **frozen**: the source network's hidden layers, frozen
    (``frozen_layers`` = all hidden layers), under a new output layer;
(c) **fine-tuned**: (b), then every layer trained further at a tenth of the
    learning rate, as in the documented workflow
    ``set_params(frozen_layers=0, warm_start=True, learning_rate_init=...)``.

with 10, 30 and 100 labeled samples per class on the target task, on two
task pairs:

* **digits 0-4 -> digits 5-9**: the source network is trained on every
  training image of the digits 0-4; the target task is to tell the digits
  5-9 apart; test images of 5-9 that no network saw during training.
* **a synthetic pair** in which source and target share a nonlinear
  representation that the raw inputs do not expose: a fixed random two-layer
  map ``h(x) = tanh(tanh(x W1) W2)`` from 20 Gaussian inputs to 8 features;
  the source labels (10 classes) are the argmax of one random linear readout
  of ``h``, the target labels (5 classes) the argmax of another. How much a
  linear model gains from seeing ``h(x)`` instead of ``x`` is printed, to show
  that the raw inputs indeed hide the representation.

Every network has two hidden layers of 64 ReLU units and trains with Adam at
scikit-learn's defaults (``learning_rate_init=0.001``, ``alpha=1e-4``,
``batch_size='auto'``), the same for all three methods and both pairs. Every
phase (source, scratch, frozen, fine-tuning) runs until scikit-learn's stop on
a training-loss plateau (``tol=1e-4`` over 10 epochs); the cap of 2000 epochs
is only a safety net, and the script prints how many runs reached it. (A
first run capped every phase at 300 epochs: the frozen networks, which train
only their 64 x 5 output layer with one Adam step per epoch at 10 labels per
class, were then stopped at a training loss near 0.5, so that run measured
the cap, not the method.) Each of the 5 seeds redraws the labeled subset and
the initial weights of the source and target networks. Accuracies are
mean ± standard deviation over the seeds; the differences to scratch are
paired by seed.
"""

# %%
# Setup
# -----
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _common import (
    FAST,
    limit_blas_threads,
    mean_std,
    output_path,
    print_table,
    standardized_digits,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from sknnopt import MLPClassifier

limit_blas_threads()
warnings.filterwarnings("ignore", category=ConvergenceWarning)

HIDDEN = (64, 64)
MAX_ITER = 15 if FAST else 2000
SEEDS = [0] if FAST else [0, 1, 2, 3, 4]
N_PER_CLASS = [10, 30, 100]
LEARNING_RATE = 1e-3
FINE_TUNE_RATE = LEARNING_RATE / 10
METHODS = ["scratch", "frozen", "fine-tuned"]


def make_mlp(seed, **params):
    return MLPClassifier(
        hidden_layer_sizes=HIDDEN,
        learning_rate_init=LEARNING_RATE,
        max_iter=MAX_ITER,
        random_state=seed,
        **params,
    )


def per_class_subset(y, n, rng):
    """Return indices of ``n`` randomly chosen samples of every class of y."""
    return np.concatenate(
        [rng.choice(np.flatnonzero(y == c), n, replace=False) for c in np.unique(y)]
    )


# %%
# The two task pairs
# ------------------
# Digits: the scaler of ``standardized_digits`` is fitted on the training
# split of all ten digits (no labels involved).
X_train, X_test, y_train, y_test = standardized_digits()
source_digits = y_train < 5
target_train, target_test = y_train >= 5, y_test >= 5
digits = {
    "X_source": X_train[source_digits],
    "y_source": y_train[source_digits],
    "X_source_test": X_test[y_test < 5],
    "y_source_test": y_test[y_test < 5],
    "X_pool": X_train[target_train],
    "y_pool": y_train[target_train],
    "X_test": X_test[target_test],
    "y_test": y_test[target_test],
}

# Synthetic: the map and both readouts are drawn once, from a fixed generator.
task_rng = np.random.default_rng(12345)
D, WIDTH, K = 20, 32, 8
W1 = task_rng.normal(0, 2 / np.sqrt(D), (D, WIDTH))
W2 = task_rng.normal(0, 2 / np.sqrt(WIDTH), (WIDTH, K))
A_source = task_rng.normal(size=(K, 10))
A_target = task_rng.normal(size=(K, 5))


def feature_map(X):
    return np.tanh(np.tanh(X @ W1) @ W2)


H_center = feature_map(task_rng.normal(size=(20000, D))).mean(axis=0)


def synthetic(n, readout):
    X = task_rng.normal(size=(n, D))
    H = feature_map(X) - H_center
    return X, (H @ readout).argmax(axis=1), H


n_source = 1000 if FAST else 5000
X_s, y_s, _ = synthetic(n_source, A_source)
X_s_test, y_s_test, _ = synthetic(2000, A_source)
X_pool, y_pool, H_pool = synthetic(20000, A_target)
X_t_test, y_t_test, H_t_test = synthetic(2000, A_target)
synthetic_pair = {
    "X_source": X_s,
    "y_source": y_s,
    "X_source_test": X_s_test,
    "y_source_test": y_s_test,
    "X_pool": X_pool,
    "y_pool": y_pool,
    "X_test": X_t_test,
    "y_test": y_t_test,
}
PAIRS = {"digits 0-4 -> 5-9": digits, "synthetic shared h(x)": synthetic_pair}

for name, pair in PAIRS.items():
    counts = np.bincount(pair["y_pool"])
    counts = counts[counts > 0]
    print(
        f"{name}: source {pair['X_source'].shape[0]} samples, "
        f"{np.unique(pair['y_source']).size} classes; target pool {counts.size} classes "
        f"({counts.min()}-{counts.max()} samples per class); "
        f"target test {pair['X_test'].shape[0]} samples"
    )

# how much the representation is hidden in the raw inputs: a linear model on
# x versus on h(x), 100 labeled target samples per class
idx = per_class_subset(y_pool, 100, np.random.default_rng(0))
linear = {}
for label, (train, test) in {
    "raw x": (X_pool, X_t_test),
    "h(x)": (H_pool, H_t_test),
}.items():
    model = LogisticRegression(max_iter=1000).fit(train[idx], y_pool[idx])
    linear[label] = model.score(test, y_t_test)
print(
    "synthetic target, logistic regression on 100 samples per class: test accuracy "
    f"{linear['raw x']:.3f} on raw x, {linear['h(x)']:.3f} on the shared h(x)\n"
)

# %%
# Training
# --------
# One source network per seed and pair; then, for every label budget, the
# three target networks. (c) continues from (b) with every layer trainable.
results = {
    (name, n, method): [] for name in PAIRS for n in N_PER_CLASS for method in METHODS
}
fine_tune_epochs = {(name, n): [] for name in PAIRS for n in N_PER_CLASS}
source_accuracy = {name: [] for name in PAIRS}
stop_reasons = []
for name, pair in PAIRS.items():
    for seed in SEEDS:
        source = make_mlp(seed).fit(pair["X_source"], pair["y_source"])
        stop_reasons.append(source.stop_reason_)
        source_accuracy[name].append(source.score(pair["X_source_test"], pair["y_source_test"]))
        rng = np.random.default_rng(1000 + seed)
        for n in N_PER_CLASS:
            idx = per_class_subset(pair["y_pool"], n, rng)
            X, y = pair["X_pool"][idx], pair["y_pool"][idx]
            X_te, y_te = pair["X_test"], pair["y_test"]

            scratch = make_mlp(seed).fit(X, y)
            results[name, n, "scratch"].append(scratch.score(X_te, y_te))
            stop_reasons.append(scratch.stop_reason_)

            transfer = make_mlp(seed, pretrained_layers=source, frozen_layers=len(HIDDEN))
            transfer.fit(X, y)
            results[name, n, "frozen"].append(transfer.score(X_te, y_te))
            stop_reasons.append(transfer.stop_reason_)

            transfer.set_params(
                frozen_layers=0, warm_start=True, learning_rate_init=FINE_TUNE_RATE
            ).fit(X, y)
            results[name, n, "fine-tuned"].append(transfer.score(X_te, y_te))
            fine_tune_epochs[name, n].append(transfer.n_iter_)
            stop_reasons.append(transfer.stop_reason_)

# %%
# Results
# -------
# Test accuracy on the target task; the last two columns are the paired
# differences to training from scratch (same seed, same labeled samples).
print(
    f"hidden_layer_sizes={HIDDEN}, relu, adam, lr={LEARNING_RATE} "
    f"(fine-tuning {FINE_TUNE_RATE:g}), at most {MAX_ITER} epochs per phase, "
    f"seeds {SEEDS}; {stop_reasons.count('max_iter')} of {len(stop_reasons)} "
    "training phases reached the epoch cap"
)


def paired(name, n, method):
    return np.subtract(results[name, n, method], results[name, n, "scratch"])


for name in PAIRS:
    print(
        f"\n{name} (source network's test accuracy on the source task: "
        f"{mean_std(source_accuracy[name])})"
    )
    rows = []
    for n in N_PER_CLASS:
        rows.append(
            [n]
            + [mean_std(results[name, n, m]) for m in METHODS]
            + [
                f"{paired(name, n, m).mean():+.3f} ± {paired(name, n, m).std():.3f}"
                for m in ("frozen", "fine-tuned")
            ]
            + [f"{np.mean(fine_tune_epochs[name, n]):.0f}"]
        )
    print_table(
        [
            "labeled/class",
            "(a) scratch",
            "(b) frozen",
            "(c) fine-tuned",
            "(b) - (a)",
            "(c) - (a)",
            "fine-tune epochs",
        ],
        rows,
    )

# %%
# What the numbers say
# --------------------
# Generated from the measurements above: a difference counts as real when
# its mean is more than twice its standard error over the seeds.


def verdict(diff):
    if len(diff) < 2:
        return "one seed, no verdict"
    se = diff.std(ddof=1) / np.sqrt(len(diff))
    if diff.mean() > 2 * se:
        return "helps"
    if diff.mean() < -2 * se:
        return "hurts"
    return "no clear difference"


print("\nConclusion (derived from the table):")
helped_on = []
for name in PAIRS:
    for m in ("frozen", "fine-tuned"):
        by_verdict = {}
        for n in N_PER_CLASS:
            by_verdict.setdefault(verdict(paired(name, n, m)), []).append(f"{n}/class")
        parts = [f"{v} at {', '.join(ns)}" for v, ns in by_verdict.items()]
        print(f"- {name}, {m} vs scratch: " + "; ".join(parts))
        if "helps" in by_verdict:
            helped_on.append(f"{name} ({m}: {', '.join(by_verdict['helps'])})")
    gains = [
        max(paired(name, n, m).mean() for m in ("frozen", "fine-tuned"))
        for n in N_PER_CLASS
    ]
    print(
        "  best transfer method minus scratch: "
        + ", ".join(f"{g:+.3f} at {n}/class" for g, n in zip(gains, N_PER_CLASS))
    )
    best = {
        n: max(METHODS, key=lambda m: np.mean(results[name, n, m])) for n in N_PER_CLASS
    }
    print(
        "  highest mean accuracy: "
        + ", ".join(f"{best[n]} at {n}/class" for n in N_PER_CLASS)
    )
if helped_on:
    print("Transfer helped clearly only on: " + "; ".join(helped_on) + ".")
else:
    print("Transfer did not clearly help anywhere in these runs.")

# %%
# Figure
# ------
# Test accuracy against the number of labels per class (error bars: std
# over the seeds).
fig, axes = plt.subplots(1, len(PAIRS), figsize=(11, 4))
for ax, name in zip(axes, PAIRS):
    for i, m in enumerate(METHODS):
        values = np.array([results[name, n, m] for n in N_PER_CLASS])
        x = np.array(N_PER_CLASS) * (1 + 0.04 * (i - 1))  # side by side
        ax.errorbar(x, values.mean(axis=1), yerr=values.std(axis=1), marker="o",
                    capsize=3, label=m)
    ax.set_xscale("log")
    ax.set_xticks(N_PER_CLASS, [str(n) for n in N_PER_CLASS])
    ax.set_xlabel("labeled samples per class (target task)")
    ax.set_ylabel("test accuracy")
    ax.set_title(name)
    ax.legend()
fig.tight_layout()
fig.savefig(output_path("plot_transfer_learning.png"), dpi=100)
