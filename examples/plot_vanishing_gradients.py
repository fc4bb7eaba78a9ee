"""
=====================================================
Vanishing gradients: logistic, tanh and ReLU networks
=====================================================

The course's claim: in a deep network of logistic (sigmoid) units the
gradient shrinks as it is propagated back towards the input, because the
logistic derivative is at most 1/4, so the first layers barely learn; ReLU
(derivative 1 on its active side) keeps them learning.

Networks of 8 hidden layers of 32 units are trained on the standardized
digits with each activation, with scikit-learn's default initialisation
(``weight_init='auto'``: Glorot-uniform, scaled down for the logistic) and the
same optimiser and budget. ``history_['grad_norm']`` gives, for every epoch
and every layer, the L2 norm of that layer's gradient (weights and biases)
averaged over the epoch's steps. We report the ratio of the first layer's
norm to the output layer's, averaged over the first epochs, and the test
accuracy after the fixed budget, over 3 seeds. Two controls: a logistic
network with a single hidden layer (is it the depth or the activation?) and
the deep logistic network trained with Adam, whose per-weight step sizes do
not depend on the gradient's scale.
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
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning

from sknnopt import MLPClassifier

limit_blas_threads()
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X_train, X_test, y_train, y_test = standardized_digits()

DEEP = (32,) * 8
MAX_ITER = 5 if FAST else 50  # the fixed budget, in epochs
FIRST_EPOCHS = 2 if FAST else 5  # the norms are averaged over these
SEEDS = [0] if FAST else [0, 1, 2]
SGD = dict(solver="sgd", learning_rate_init=0.05)  # momentum 0.9, Nesterov

HIDDEN_FUNCTIONS = {"logistic": expit, "tanh": np.tanh, "relu": lambda Z: np.maximum(Z, 0)}


def hidden_spread(clf, X):
    """Return, per hidden layer, the std over samples of its units, averaged over units.

    How much a layer's output still depends on the input image.
    """
    f = HIDDEN_FUNCTIONS[clf.activation]
    A, spread = X, []
    for W, b in zip(clf.coefs_[:-1], clf.intercepts_[:-1]):
        A = f(A @ W + b)
        spread.append(A.std(axis=0).mean())
    return np.array(spread)


RUNS = {
    "logistic, 8 layers": dict(activation="logistic", hidden_layer_sizes=DEEP, **SGD),
    "tanh, 8 layers": dict(activation="tanh", hidden_layer_sizes=DEEP, **SGD),
    "relu, 8 layers": dict(activation="relu", hidden_layer_sizes=DEEP, **SGD),
    "logistic, 1 layer": dict(activation="logistic", hidden_layer_sizes=(32,), **SGD),
    "logistic, 8 layers, adam": dict(activation="logistic", hidden_layer_sizes=DEEP,
                                     solver="adam", learning_rate_init=1e-3),
}

# %%
# Training
# --------
results = {name: [] for name in RUNS}
for name, params in RUNS.items():
    for seed in SEEDS:
        clf = MLPClassifier(max_iter=MAX_ITER, n_iter_no_change=MAX_ITER,
                            random_state=seed, **params).fit(X_train, y_train)
        norms = np.asarray(clf.history_["grad_norm"])  # (epochs, layers)
        early = norms[:FIRST_EPOCHS].mean(axis=0)
        results[name].append(
            {
                "early_norms": early,
                "ratio": early[0] / early[-1],
                "first_layer_curve": norms[:, 0],
                "loss_curve": np.asarray(clf.loss_curve_),
                "test_accuracy": clf.score(X_test, y_test),
                "train_accuracy": clf.score(X_train, y_train),
                "hidden_spread": hidden_spread(clf, X_test),
            }
        )

# %%
# Results
# -------
print(
    f"load_digits, standardized; {X_train.shape[0]} training / {X_test.shape[0]} "
    f"test images; sgd: learning_rate_init=0.05, momentum 0.9; adam: 1e-3; "
    f"{MAX_ITER} epochs; gradient norms averaged over the first {FIRST_EPOCHS} "
    f"epochs; mean ± std over seeds {SEEDS}"
)
rows = []
for name, runs in results.items():
    first = [r["early_norms"][0] for r in runs]
    last = [r["early_norms"][-1] for r in runs]
    ratio = np.array([r["ratio"] for r in runs])
    rows.append(
        [
            name,
            mean_std(first, ".2e"),
            mean_std(last, ".2e"),
            mean_std(ratio, ".2e"),
            mean_std([r["loss_curve"][-1] for r in runs], ".3f"),
            mean_std([r["train_accuracy"] for r in runs], ".3f"),
            mean_std([r["test_accuracy"] for r in runs], ".3f"),
        ]
    )
print_table(
    [
        "network",
        "|grad| first layer",
        "|grad| output layer",
        "first / output",
        "final training loss",
        "train accuracy",
        f"test accuracy after {MAX_ITER} epochs",
    ],
    rows,
)

print("\nper-layer gradient norm, first epochs, seed 0 (layer 1 = input side):")
deep = [name for name in RUNS if "8 layers" in name]
print_table(
    ["layer"] + deep,
    [
        [k + 1] + [f"{results[name][0]['early_norms'][k]:.2e}" for name in deep]
        for k in range(len(DEEP) + 1)
    ],
)

print("\nper-layer spread of the hidden units over the test images after training,"
      " seed 0 (std over images, mean over units):")
print_table(
    ["hidden layer"] + deep,
    [
        [k + 1] + [f"{results[name][0]['hidden_spread'][k]:.2e}" for name in deep]
        for k in range(len(DEEP))
    ],
)

# %%
# Per-layer gradient norms
# ------------------------
# Left: the norm of each layer's gradient over the first epochs (seed 0), on
# a log scale; layer 9 is the output layer. Right: the training loss.
fig, (ax_norm, ax_loss) = plt.subplots(1, 2, figsize=(11, 4))
layers = np.arange(1, len(DEEP) + 2)
for name in deep:
    style = "--" if "adam" in name else "-"  # it lies on the logistic SGD curve
    ax_norm.plot(layers, results[name][0]["early_norms"], style, marker="o", label=name)
    ax_loss.plot(np.arange(1, MAX_ITER + 1), results[name][0]["loss_curve"], style,
                 label=name)
ax_norm.set_yscale("log")
ax_norm.set_xticks(layers)
ax_norm.set_xlabel("layer (1 = input side, 9 = output)")
ax_norm.set_ylabel(f"gradient L2 norm, mean of first {FIRST_EPOCHS} epochs")
ax_norm.set_title("per-layer gradient norms")
ax_norm.legend(fontsize=8)
ax_loss.set_xlabel("epoch")
ax_loss.set_ylabel("training loss")
ax_loss.set_title("training loss")
ax_loss.legend(fontsize=8)
fig.tight_layout()
fig.savefig(output_path("plot_vanishing_gradients.png"), dpi=100)

# %%
# What we measured
# ----------------
# (Numbers of the full run, not of ``SKNNOPT_EXAMPLES_FAST=1``.)
# The claim holds, and strongly. In the deep logistic network the gradient
# norm fell by a factor of 5 to 8 per layer from the output layer down to
# layer 3, flattening near 2e-6 in the first layers: the first layer's
# gradient was (9.5 ± 0.5)e-06 times the output layer's. With tanh the ratio
# was 1.50 ± 0.07 and with ReLU 0.77 ± 0.21: no vanishing at all, every
# layer's norm within a factor of about two of the others'.
#
# The consequence is more drastic than "the first layers learn slowly": the
# deep logistic network did not learn at all. Its training loss stayed at
# ln(10) = 2.303 and its test accuracy at chance (0.101 ± 0.001), while the
# tanh and ReLU networks of the same shape fitted the training set and
# reached 0.954 ± 0.003 and 0.947 ± 0.009 test accuracy in the same 50
# epochs. Two controls locate the cause. A logistic network with a single
# hidden layer learned (0.964 ± 0.006), so it is the depth, not the logistic
# unit alone. And Adam, whose steps do not shrink with the gradient, did not
# rescue the deep logistic network (loss 2.303, chance accuracy; in a side
# check outside this script it was still at 2.303 after 400 epochs, with
# Adam and with SGD).
#
# The last table shows why no optimiser helps: the signal vanishes on the way
# forward too. How much a hidden unit's output varies from image to image
# shrank about 7-fold per logistic layer (0.15 in layer 1, 1.7e-07 in layer
# 8), so the output barely depends on the image; with tanh and ReLU it stayed
# of order 1. The small initial weights of the logistic rule (Glorot-uniform
# scaled by sqrt(1/3), as scikit-learn's) times a derivative of at most 1/4
# shrink the backward and the forward signal alike.
