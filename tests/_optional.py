"""Import of the optional test dependencies (skops, ONNX, Dask)."""

import importlib
import os

import pytest


def optional_import(module):
    """Import an optional test dependency: skipped where it is not installed,
    but required in CI (CI=true), which installs every extra."""
    if os.environ.get("CI"):
        return importlib.import_module(module)
    return pytest.importorskip(module)
