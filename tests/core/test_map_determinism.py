"""The same file, model, embedded text and settings give the same map in two processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from inspector.core.data.demo import make_demo_rows
from inspector.core.paths import models_dir

ROWS = 3000  # enough for a kNN graph of many components (where UMAP's spectral init varied)


def _map_in_fresh_process(data: Path, home: Path, out: Path, extra: list[str]) -> pl.DataFrame:
    env = dict(os.environ)
    env["INSPECTOR_HOME"] = str(home)  # no cache shared between the two runs
    env["INSPECTOR_MODEL_DIR"] = str(models_dir())  # the same distilled model for both
    env.pop("PYTHONHASHSEED", None)  # each process hashes strings its own way
    cmd = [sys.executable, "-m", "inspector", "map", str(data), "--out", str(out)]
    cmd += ["--project", str(home / "project.db"), *extra]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return pl.read_parquet(out / "map.parquet")


def _assert_same_map(a: pl.DataFrame, b: pl.DataFrame) -> None:
    assert a["id"].to_list() == b["id"].to_list()
    assert np.allclose(a["x"].to_numpy(), b["x"].to_numpy(), rtol=0, atol=1e-5)
    assert np.allclose(a["y"].to_numpy(), b["y"].to_numpy(), rtol=0, atol=1e-5)
    for column in ("cluster", "cluster_fine", "cluster_label", "cluster_fine_label"):
        assert a[column].to_list() == b[column].to_list(), column
    assert a["cluster"].max() >= 1  # the demo really splits into regions with names
    assert any(a["cluster_label"].to_list())


@pytest.mark.parametrize("extra", [[], ["--embed-field", "all"]], ids=["prompt", "all"])
def test_demo_maps_the_same_in_two_processes(tmp_path: Path, extra: list[str]) -> None:
    data = tmp_path / "demo.jsonl"
    rows = make_demo_rows(ROWS)
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    first = _map_in_fresh_process(data, tmp_path / "home1", tmp_path / "out1", extra)
    second = _map_in_fresh_process(data, tmp_path / "home2", tmp_path / "out2", extra)
    _assert_same_map(first, second)


def test_vectors_column_maps_the_same_in_two_processes(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(6, 24))
    rows = []
    for i, row in enumerate(make_demo_rows(600)):
        vec = centres[i % 6] + 0.3 * rng.normal(size=24)
        rows.append({**row, "emb": [float(x) for x in vec]})
    data = tmp_path / "vectors.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    extra = ["--vectors", "emb"]
    first = _map_in_fresh_process(data, tmp_path / "home1", tmp_path / "out1", extra)
    second = _map_in_fresh_process(data, tmp_path / "home2", tmp_path / "out2", extra)
    _assert_same_map(first, second)
