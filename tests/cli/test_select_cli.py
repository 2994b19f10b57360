"""`inspector select` on a small file the test writes: the filter, the report, apply writes
the subset, the same rows in two processes, refusals."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from inspector.cli import main


def write_rows(path: Path, n: int = 48) -> Path:
    rng = np.random.default_rng(1)
    centres = np.eye(6)[rng.integers(0, 6, size=n)] * 4
    rows = [
        {
            "id": f"q{i:03d}",
            "instruction": f"prompt {i % 12}",
            "output": f"answer number {i} " + "text " * (i % 5 + 1),
            "vec": (centres[i] + rng.normal(scale=0.3, size=6)).round(5).tolist(),
        }
        for i in range(n)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path


@pytest.fixture
def data(tmp_path) -> Path:
    return write_rows(tmp_path / "train.jsonl")


def select(tmp_path: Path, data: Path, out: Path, *extra: str) -> int:
    args = ["select", str(data), "--project", str(tmp_path / "p.sqlite"), "--out", str(out)]
    return main([*args, "--vectors", "vec", *extra])


def test_select_writes_a_filter_apply_turns_into_the_subset(tmp_path, data, capsys):
    out = tmp_path / "sel" / "subset.parquet"
    assert select(tmp_path, data, out, "--n", "10", "--per", "instruction") == 0
    printed = capsys.readouterr().out
    assert "clusters covered" in printed and "selected 10 of 48" in printed
    filt = pl.read_parquet(out)
    assert filt.height == 48 and (filt["action"] == "keep").sum() == 10
    kept = filt.filter(pl.col("action") == "keep")
    assert set(kept["reason"]) == {"selected"}
    report = json.loads((out.parent / "subset.parquet.report.json").read_text())
    assert report["selected"] == 10 and report["per_cap"] == 1
    assert (out.parent / "manifest.json").is_file()
    written = tmp_path / "subset"
    args = ["apply", str(data), "--project", str(tmp_path / "p.sqlite")]
    assert main([*args, "--filter", str(out), "--out", str(written)]) == 0
    lines = (written / "train.jsonl").read_text().splitlines()
    got = [json.loads(line)["id"] for line in lines]
    assert sorted(got) == sorted(kept["id"].to_list())
    prompts = [json.loads(line)["instruction"] for line in lines]
    assert len(set(prompts)) == len(prompts)  # --per instruction: one answer per prompt


def test_the_same_rows_in_two_processes(tmp_path, data):
    picked = []
    for run in range(2):
        out = tmp_path / f"run{run}" / "subset.parquet"
        cmd = [sys.executable, "-m", "inspector", "select", str(data), "--vectors", "vec"]
        cmd += ["--project", str(tmp_path / f"p{run}.sqlite"), "--out", str(out), "--n", "7"]
        subprocess.run(cmd, check=True, capture_output=True)
        filt = pl.read_parquet(out)
        picked.append(sorted(filt.filter(pl.col("action") == "keep")["id"].to_list()))
    assert picked[0] == picked[1] and len(picked[0]) == 7


def test_refusals_name_what_to_fix(tmp_path, data, capsys):
    assert select(tmp_path, data, tmp_path / "s.parquet", "--n", "0") != 0
    assert "--n" in capsys.readouterr().err
    assert select(tmp_path, data, tmp_path / "s.parquet", "--n", "3", "--per", "nope") != 0
    assert "nope" in capsys.readouterr().err
    assert select(tmp_path, data, data, "--n", "3") != 0  # never over the input
    assert json.loads(data.read_text().splitlines()[0])["id"] == "q000"
