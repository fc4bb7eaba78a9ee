"""
===========================================================
Semi-supervised learning on digits with 5% and 10% of labels
===========================================================

Of the digits training split (1347 images) only 5% or 10% keep their label; the
others are marked ``-1``. Does the unlabeled rest help? We compare, on the
same labeled subsets, the test accuracy of:

- **labeled only**: :class:`sknnopt.MLPClassifier` trained on the labeled rows;
- **self-training**: ``semi_supervised='self_training'`` (threshold 0.75, at
  most 10 rounds, each round continuing from the current weights, then a
  fine-tune on the true labels); also with ``self_training_fine_tune=False``;
- **autoencoder**: ``semi_supervised='autoencoder'`` (the hidden layer first
  learns to reconstruct all 1347 images for ``pretrain_max_iter=50`` epochs);
- **scikit-learn**: ``SelfTrainingClassifier(sklearn MLPClassifier)`` with the
  same hidden layer, solver, epochs, threshold 0.75 and 10 rounds (it refits
  from scratch each round, selects probabilities strictly above the threshold
  and does not fine-tune), with scikit-learn's MLP on the labeled rows alone as
  its own baseline.

Every network has one hidden layer of 64 ReLU units and is trained by Adam at
``learning_rate_init=0.01`` for at most ``max_iter=200`` epochs: enough for
the labeled-only networks (one full batch per epoch on 67 images) to stop on
their own (``tol``) rather than at ``max_iter`` (checked below), so that the
baselines are not under-trained. Each seed draws a different stratified labeled subset
and different initial weights, shared by all methods (paired comparison). The
scaler is fitted on all training images, labeled or not (unlabeled inputs are
available by assumption); the test split (450 images) is never used in
training.
"""

# %%
# Setup
# -----
import time
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
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.semi_supervised import SelfTrainingClassifier

from sknnopt import MLPClassifier

limit_blas_threads()
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X_train, X_test, y_train, y_test = standardized_digits()

FRACTIONS = [0.05, 0.10]
SEEDS = [0] if FAST else [0, 1, 2, 3, 4]
MAX_ITER = 10 if FAST else 200  # epochs of every network fit
PRETRAIN_MAX_ITER = 5 if FAST else 50
THRESHOLD, ROUNDS = 0.75, 10


def network(seed):
    """The settings every method shares."""
    return dict(hidden_layer_sizes=(64,), solver="adam", learning_rate_init=0.01,
                max_iter=MAX_ITER, random_state=seed)


METHODS = {
    "labeled only (sknnopt)": lambda seed: MLPClassifier(**network(seed)),
    "self-training (sknnopt)": lambda seed: MLPClassifier(
        semi_supervised="self_training", self_training_threshold=THRESHOLD,
        self_training_max_iter=ROUNDS, **network(seed)),
    "self-training, no fine-tune (sknnopt)": lambda seed: MLPClassifier(
        semi_supervised="self_training", self_training_threshold=THRESHOLD,
        self_training_max_iter=ROUNDS, self_training_fine_tune=False,
        **network(seed)),
    "autoencoder pretraining (sknnopt)": lambda seed: MLPClassifier(
        semi_supervised="autoencoder", pretrain_max_iter=PRETRAIN_MAX_ITER,
        **network(seed)),
    "labeled only (scikit-learn)": lambda seed: SkMLPClassifier(**network(seed)),
    "SelfTrainingClassifier (scikit-learn)": lambda seed: SelfTrainingClassifier(
        SkMLPClassifier(**network(seed)), threshold=THRESHOLD, max_iter=ROUNDS),
}
LABELED_ONLY = {"labeled only (sknnopt)", "labeled only (scikit-learn)"}


def pseudo_labels(model):
    """Return (number, accuracy) of the pseudo-labels, or None without any."""
    if not hasattr(model, "labeled_iter_"):
        return None
    pseudo = model.labeled_iter_ > 0
    if not pseudo.any():
        return 0, np.nan
    return int(pseudo.sum()), float(np.mean(model.transduction_[pseudo] == y_train[pseudo]))


# %%
# Training
# --------
results = {(f, m): [] for f in FRACTIONS for m in METHODS}
start = time.perf_counter()
for fraction in FRACTIONS:
    for seed in SEEDS:
        labeled, _ = train_test_split(
            np.arange(len(y_train)), train_size=fraction, stratify=y_train,
            random_state=seed,
        )
        y_semi = np.full_like(y_train, -1)
        y_semi[labeled] = y_train[labeled]
        for name, make in METHODS.items():
            model = make(seed)
            tic = time.perf_counter()
            if name in LABELED_ONLY:
                model.fit(X_train[labeled], y_train[labeled])
            else:
                model.fit(X_train, y_semi)
            results[fraction, name].append({
                "accuracy": model.score(X_test, y_test),
                "seconds": time.perf_counter() - tic,
                "pseudo": pseudo_labels(model),
                "epochs": model.n_iter_ if name in LABELED_ONLY else None,
            })
total_seconds = time.perf_counter() - start

# %%
# Results
# -------
# Test accuracy, mean ± std over the seeds; then, per method, the paired
# difference to the labeled-only network of the same library.
n_labeled = {f: int(round(f * len(y_train))) for f in FRACTIONS}
print(
    f"load_digits: {len(y_train)} training images "
    f"({', '.join(f'{n_labeled[f]} labeled' for f in FRACTIONS)}), "
    f"{len(y_test)} test images; hidden_layer_sizes=(64,), relu, adam, lr=0.01, "
    f"max_iter={MAX_ITER}, threshold={THRESHOLD}, {ROUNDS} rounds, "
    f"pretrain_max_iter={PRETRAIN_MAX_ITER}; seeds {SEEDS}"
)


def accuracies(fraction, name):
    return np.array([r["accuracy"] for r in results[fraction, name]])


def baseline_of(name):
    return ("labeled only (scikit-learn)" if "scikit-learn" in name
            else "labeled only (sknnopt)")


rows = []
for name in METHODS:
    row = [name]
    for fraction in FRACTIONS:
        acc = accuracies(fraction, name)
        row.append(mean_std(acc))
        if name in LABELED_ONLY:
            row.append("")
        else:
            diff = acc - accuracies(fraction, baseline_of(name))
            row.append(f"{diff.mean():+.3f} ± {diff.std():.3f}")
    rows.append(row)
header = ["method"]
for fraction in FRACTIONS:
    header += [f"test acc., {fraction:.0%} labels", "vs labeled only"]
print_table(header, rows)

# %%
# Pseudo-labels and fit time
# --------------------------
print()
rows = []
for name in METHODS:
    row = [name]
    for fraction in FRACTIONS:
        runs = results[fraction, name]
        pseudo = [r["pseudo"] for r in runs if r["pseudo"] is not None]
        if pseudo:
            row.append(f"{np.mean([p[0] for p in pseudo]):.0f} "
                       f"({np.nanmean([p[1] for p in pseudo]):.3f})")
        else:
            row.append("-")
        row.append(f"{np.mean([r['seconds'] for r in runs]):.2f}")
    rows.append(row)
header = ["method"]
for fraction in FRACTIONS:
    header += [f"pseudo-labels (their accuracy), {fraction:.0%}", "fit seconds"]
print_table(header, rows)
epochs = [r["epochs"] for (_, name), runs in results.items() if name in LABELED_ONLY
          for r in runs]
print(f"\nlabeled-only fits that stopped before max_iter={MAX_ITER}: "
      f"{sum(e < MAX_ITER for e in epochs)} of {len(epochs)} "
      f"(epochs: {min(epochs)} to {max(epochs)})")
print(f"total training time: {total_seconds:.1f} s")

# %%
# Test accuracy by method
# -----------------------
# Bars: mean over seeds (error bars: std); dots: the individual seeds.
fig, ax = plt.subplots(figsize=(12, 4.5))
width = 0.8 / len(METHODS)
x = np.arange(len(FRACTIONS))
for k, name in enumerate(METHODS):
    values = np.array([accuracies(f, name) for f in FRACTIONS])
    pos = x - 0.4 + width * (k + 0.5)
    ax.bar(pos, values.mean(axis=1), width=width, yerr=values.std(axis=1),
           capsize=3, label=name)
    for j in range(len(FRACTIONS)):
        ax.plot(np.full(values.shape[1], pos[j]), values[j], "k.", markersize=3)
ax.set_xticks(x, [f"{f:.0%} labeled ({n_labeled[f]} images)" for f in FRACTIONS])
lowest = min(min(r["accuracy"] for r in runs) for runs in results.values())
ax.set_ylim(max(0.0, lowest - 0.05), 1.0)
ax.set_ylabel("test accuracy")
ax.set_title("load_digits with few labels: semi-supervised methods")
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
fig.tight_layout()
fig.savefig(output_path("plot_semi_supervised.png"), dpi=100)

# %%
# Conclusion
# ----------
# Derived from the numbers above: a method "helps" (or "hurts") when its paired
# difference to the labeled-only network of its library has the same sign for
# every seed; otherwise there is no consistent effect.


def verdict(diff):
    if len(diff) < 2:
        return f"{diff.mean():+.3f} (one seed: no verdict)"
    if np.all(diff > 0):
        return f"helps ({diff.mean():+.3f}, better for all {len(diff)} seeds)"
    if np.all(diff < 0):
        return f"hurts ({diff.mean():+.3f}, worse for all {len(diff)} seeds)"
    wins = int(np.sum(diff > 0))
    return f"no consistent effect ({diff.mean():+.3f}, better for {wins} of {len(diff)} seeds)"


print("\nconclusion (paired over seeds, vs the labeled-only network of the same library):")
for fraction in FRACTIONS:
    for name in METHODS:
        if name in LABELED_ONLY:
            continue
        diff = accuracies(fraction, name) - accuracies(fraction, baseline_of(name))
        print(f"  {fraction:.0%} labels, {name}: {verdict(diff)}")
    diff = (accuracies(fraction, "self-training (sknnopt)")
            - accuracies(fraction, "SelfTrainingClassifier (scikit-learn)"))
    print(f"  {fraction:.0%} labels, sknnopt self-training minus scikit-learn's "
          f"SelfTrainingClassifier: {diff.mean():+.3f} ± {diff.std():.3f}")
