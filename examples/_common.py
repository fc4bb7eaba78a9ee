"""Helpers shared by the example scripts (not an example itself).

``FAST`` is true when ``SKNNOPT_EXAMPLES_FAST=1``: the scripts then shrink
their work (fewer epochs and seeds) so the whole set runs in seconds, as a
smoke test. Figures go to ``examples/output/`` (git-ignored), or to the
folder named by ``SKNNOPT_EXAMPLES_OUTPUT`` (the tests use a temporary one).
"""

import os
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

FAST = os.environ.get("SKNNOPT_EXAMPLES_FAST", "") not in ("", "0")


def output_path(filename):
    """Return where to save ``filename``, creating the output folder."""
    folder = os.environ.get("SKNNOPT_EXAMPLES_OUTPUT")
    folder = Path(folder) if folder else Path(__file__).resolve().parent / "output"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / filename


def limit_blas_threads():
    """Run BLAS on one thread for the rest of the script.

    The matrices of these networks are small: measured on a busy 2-core
    machine, OpenBLAS threads made each fit 5-15 times slower than one thread.
    """
    return threadpool_limits(limits=1, user_api="blas")


def standardized_digits(test_size=0.25, random_state=0):
    """Return X_train, X_test, y_train, y_test of load_digits, standardized.

    A stratified split; the scaler is fitted on the training part only.
    """
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, stratify=y, random_state=random_state
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def mean_std(values, fmt=".3f"):
    """Return 'mean ± std' of ``values`` (population std; one value: no ±)."""
    values = np.asarray(values, dtype=float)
    if values.size == 1:
        return format(values[0], fmt)
    return f"{format(values.mean(), fmt)} ± {format(values.std(), fmt)}"


def print_table(header, rows):
    """Print ``rows`` (lists of str) under ``header`` in aligned plain columns."""
    table = [list(map(str, header))] + [list(map(str, row)) for row in rows]
    widths = [max(len(row[j]) for row in table) for j in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
             for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    print("\n".join(lines))
