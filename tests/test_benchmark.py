"""Smoke test of ``benchmarks/bench_vs_sklearn.py`` on tiny configurations.

No timing is asserted (these machines are noisy): the test checks that the
script runs end to end, fits both libraries for the same number of epochs,
and reports quantities that agree with each other.
"""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def bench(monkeypatch, tmp_path):
    spec = importlib.util.spec_from_file_location(
        "bench_vs_sklearn", ROOT / "benchmarks" / "bench_vs_sklearn.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def classification():
        return make_classification(n_samples=120, n_features=6, n_informative=4,
                                   n_classes=3, random_state=0)

    def regression():
        X, y = make_regression(n_samples=120, n_features=6, random_state=0)
        return X, y / y.std()

    tiny = {
        # the real configurations' names, so the targets look-ups work
        "B": (classification, "clf", (8,), {"solver": "adam"}, 16, 30),
        "D": (classification, "clf", (4,), {"solver": "sgd", "momentum": 0.9,
                                            "nesterovs_momentum": True}, 1, 2),
        "E": (regression, "reg", (8, 4), {"solver": "adam"}, 16, 30),
    }
    monkeypatch.setattr(module, "CONFIGS", tiny)
    monkeypatch.setattr(module, "RESULTS", tmp_path)
    return module


def test_benchmark_runs_and_reports_consistent_numbers(bench, tmp_path, capsys):
    bench.main(["--configs", "B", "D", "E", "--dtypes", "float32", "float64",
                "--repeats", "2", "--threads"])
    out = capsys.readouterr().out
    assert "predict on 100000 rows" in out
    (written,) = tmp_path.glob("bench_vs_sklearn-*.json")
    report = json.loads(written.read_text())
    fit = report["fit"]
    assert {(r["config"], r["dtype"], r["threads"]) for r in fit} == {
        (c, d, t) for c in "BDE" for d in ("float32", "float64") for t in ("dflt", "1")
    }
    for row in fit:
        assert len(row["sknnopt_all_s"]) == len(row["sklearn_all_s"]) == 2
        assert row["sknnopt_s"] == pytest.approx(np.median(row["sknnopt_all_s"]))
        assert row["ratio"] == pytest.approx(row["sknnopt_s"] / row["sklearn_s"])
        assert row["x_floor"] == pytest.approx(row["sknnopt_s"] / row["gemm_floor_s"])
        assert row["roofline"] == pytest.approx(1 / row["x_floor"])
        assert row["gemm_floor_s"] > 0 and row["gflops"] > 0
        assert row["sknnopt_peak_mb"] > 0 and row["sklearn_peak_mb"] > 0
        # both learned something on these easy problems (chance: 1/3, R² 0)
        assert row["sknnopt_score"] > 0.3 and row["sklearn_score"] > 0.3
        assert row["ratio_target"] == bench.RATIO_TARGETS[row["config"]][
            0 if row["dtype"] == "float32" else 1
        ]
    predict = report["predict"]
    assert len(predict) == 4
    # the exported scikit-learn model computes the same function
    assert all(r["same_labels"] == 1.0 for r in predict)


def test_benchmark_asserts_equal_epoch_counts(bench, monkeypatch):
    # a fit that stops early on one side is not comparable: the run must fail
    real = bench.make_estimators

    def one_side_stops_early(*args):
        ours, theirs = real(*args)
        return ours.set_params(max_iter=1), theirs

    monkeypatch.setattr(bench, "make_estimators", one_side_stops_early)
    with pytest.raises(AssertionError):
        bench.run_config("B", np.float64, 1, "dflt", np.random.default_rng(0))
