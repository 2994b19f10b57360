"""`inspector analyze --only duplicates` in a fresh process, as a curator runs it: the heavy
libraries that dedup does not need (the layout's umap, sklearn, PyTorch, the hub client, rich,
Qt) are never imported, and the files are written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import builders  # tests/builders.py: the planted rows
import polars as pl

from inspector.core.map.models import prepare_default

HEAVY = (
    "umap",
    "sklearn",
    "torch",
    "sentence_transformers",
    "transformers",
    "huggingface_hub",
    "pynndescent",
    "rich",
    "PySide6",
    "pyqtgraph",
)

DRIVER = """
import json, sys
from inspector.cli import main
code = main(sys.argv[2:])
with open(sys.argv[1], "w", encoding="utf-8") as f:
    json.dump({"code": code, "modules": sorted(sys.modules)}, f)
"""


def run_fresh(tmp_path: Path, *args: str) -> dict:
    """Run the CLI in a new interpreter with empty caches (stdout and stderr are pipes, not a
    terminal) and return its exit code and every module it imported."""
    report = tmp_path / "modules.json"
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER, "utf-8")
    models = prepare_default().parent  # the session's default model, distilled once
    env = {
        **os.environ,
        "INSPECTOR_HOME": str(tmp_path / "home"),
        "INSPECTOR_MODEL_DIR": str(models),
    }
    done = subprocess.run(
        [sys.executable, str(driver), str(report), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return {**json.loads(report.read_text("utf-8")), "stdout": done.stdout}


def test_dedup_only_imports_none_of_the_heavy_libraries(tmp_path):
    data = builders.write_jsonl(tmp_path / "train.jsonl", builders.planted_rows())
    out = tmp_path / "out"
    result = run_fresh(
        tmp_path,
        "analyze", str(data), "--project", str(tmp_path / "p.sqlite"), "--out", str(out),
        "--only", "duplicates", "--dedup-on", "output",
    )  # fmt: skip
    assert result["code"] == 0
    loaded = {m.split(".")[0] for m in result["modules"]}
    assert sorted(loaded & set(HEAVY)) == []
    assert "model2vec" in loaded and "tokenizers" in loaded  # the default model did run
    filt = pl.read_parquet(out / "proposed_filter.parquet")
    reasons = dict(zip(filt["id"], filt["reason"], strict=True))
    assert reasons["s30"] == "exact_duplicate" and reasons["s31"] == "minhash_duplicate"
    assert json.loads((out / "run.json").read_text())["only"] == ["duplicates"]
    # the summary still names the finders, as a plain table when stdout is not a terminal
    assert "exact_duplicate" in result["stdout"] and "minhash_duplicate" in result["stdout"]
