"""Smoke test of the example scripts, run in their fast mode."""

import os
import subprocess
import sys
from pathlib import Path

# the examples need matplotlib: a missing install must fail here, not skip
import matplotlib  # noqa: F401
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((ROOT / "examples").glob("plot_*.py"))


def test_examples_are_found():
    assert SCRIPTS, f"no examples/plot_*.py under {ROOT}"


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_example_runs(script, tmp_path):
    env = dict(
        os.environ,
        SKNNOPT_EXAMPLES_FAST="1",
        MPLBACKEND="Agg",
        SKNNOPT_EXAMPLES_OUTPUT=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), "the example printed nothing"
    figure = tmp_path / f"{script.stem}.png"
    assert figure.is_file() and figure.stat().st_size > 0, f"{figure.name} not written"
