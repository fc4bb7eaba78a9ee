"""The main job: ``python -m sknnopt demo`` runs end to end."""

import subprocess
import sys

import pytest


@pytest.mark.slow
def test_demo_runs_and_saves_plot(tmp_path):
    plot = tmp_path / "curves.png"
    result = subprocess.run(
        [sys.executable, "-m", "sknnopt", "demo", "--plot", str(plot)],
        capture_output=True,
        text=True,
        timeout=300,
        env={"MPLBACKEND": "Agg", "PATH": "", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "sknnopt" in out and "scikit-learn" in out
    for technique in ("optimiser", "dropout", "gradient clipping", "early stopping",
                      "self-training"):
        assert technique in out
    assert plot.stat().st_size > 1000


def test_cli_rejects_unknown_command():
    result = subprocess.run(
        [sys.executable, "-m", "sknnopt", "train"], capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "invalid choice" in result.stderr
