"""Command line: ``python -m sknnopt demo``."""

import argparse
import sys
import time
import warnings


def demo(argv=None):
    """Train sknnopt and scikit-learn's MLP on load_digits and compare them."""
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier as SklearnMLP
    from sklearn.preprocessing import StandardScaler

    from . import MLPClassifier

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y
    )
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    settings = dict(hidden_layer_sizes=(100,), max_iter=200, random_state=0)
    print("load_digits: 1347 training and 450 test samples, 64 features, 10 classes")
    print(f"settings: {settings} (adam, batch_size='auto', everything else default)\n")
    header = f"{'implementation':<28}{'test accuracy':>14}{'fit seconds':>13}{'epochs':>8}"
    print(header)
    print("-" * len(header))
    for name, cls in (("sknnopt.MLPClassifier", MLPClassifier),
                      ("sklearn MLPClassifier", SklearnMLP)):
        model = cls(**settings)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            start = time.perf_counter()
            model.fit(X_train, y_train)
            seconds = time.perf_counter() - start
        accuracy = model.score(X_test, y_test)
        print(f"{name:<28}{accuracy:>14.4f}{seconds:>13.3f}{model.n_iter_:>8d}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m sknnopt")
    parser.add_argument("command", choices=["demo"], help="what to run")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo()
    return 1


if __name__ == "__main__":
    sys.exit(main())
