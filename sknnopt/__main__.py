"""Command line: ``python -m sknnopt demo [--plot FILE]``."""

import argparse
import sys


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m sknnopt",
        description="sknnopt vs scikit-learn on load_digits, and a measured tour "
        "of the training techniques.",
    )
    parser.add_argument("command", choices=["demo"], help="what to run")
    parser.add_argument("--plot", metavar="FILE",
                        help="save a figure of the learning curves (needs matplotlib)")
    args = parser.parse_args(argv)
    from ._demo import run

    return run(plot=args.plot)


if __name__ == "__main__":
    sys.exit(main())
