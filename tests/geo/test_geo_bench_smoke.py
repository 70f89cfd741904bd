"""bench/bench_assign.py still runs (small and fast; no timing assertions here)."""

import importlib.util
import json
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_assign.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_assign", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_runs_and_prints_json_last(bench, capsys):
    result = bench.main(["--points", "20000", "--repeat", "1"])
    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    assert json.loads(last_line) == result
    assert result["points"] == 20000
    assert result["areas"] == 5
    assert result["index_pts_per_s"] > 0


def test_bench_fallback_splits_rijnsoever_midden(bench, monkeypatch):
    monkeypatch.setattr(bench, "DEFAULT_AREAS", Path("/nonexistent/areas.geojson"))
    areas, source = bench.load_areas(None)
    assert [key for key, _ in areas] == ["BU05370101", "BU05370102", "BU05370105", "BU05370106-O", "BU05370106-W"]
    assert "split" in source
    halves = [geometry for key, geometry in areas if key.startswith("BU05370106")]
    assert halves[0].intersection(halves[1]).area == 0
