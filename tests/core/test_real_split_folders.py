"""Folders as Hugging Face leaves them, with the split in the file names: a Hub snapshot
(``data/train-00000-of-00002.parquet``, ``data/test-…``), the ``datasets`` cache
(``<name>-train.arrow``, ``<name>-test.arrow`` and ``cache-<hash>.arrow`` from ``map()``),
``train.jsonl`` + ``validation.jsonl``. Opening the folder opens one split (train by default,
``--split`` another), never every split mixed into one set."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from inspector.core.data.dataset import open_dataset
from inspector.core.data.sources import find_sources, split_rows
from inspector.core.errors import DataError


def rows(tag: str, n: int) -> pl.DataFrame:
    return pl.DataFrame(
        {"prompt": [f"{tag} question {i}" for i in range(n)], "response": ["ok"] * n}
    )


def hub_snapshot(root: Path) -> Path:
    (root / "data").mkdir(parents=True)
    rows("train-a", 30).write_parquet(root / "data" / "train-00000-of-00002.parquet")
    rows("train-b", 20).write_parquet(root / "data" / "train-00001-of-00002.parquet")
    rows("test", 10).write_parquet(root / "data" / "test-00000-of-00001.parquet")
    (root / "README.md").write_text("---\nlicense: mit\n---\n# card\n")
    return root


def test_hub_snapshot_opens_train_and_lists_the_splits(tmp_path):
    root = hub_snapshot(tmp_path / "snap")
    ds = open_dataset(root)
    assert ds.height == 50
    assert set(ds.prompt().str.split(" ").list.first()) == {"train-a", "train-b"}
    assert ds.sources.splits == ("train", "test")
    assert ds.sources.split == "train"
    test = open_dataset(root, split="test")
    assert test.height == 10 and test.sources.split == "test"
    assert split_rows(root) == {"train": 50, "test": 10}


def test_datasets_cache_folder_leaves_out_map_caches_and_says_so(tmp_path):
    folder = tmp_path / "user___chat" / "default" / "0.0.0" / "0123abcd"
    folder.mkdir(parents=True)
    rows("train", 40).write_ipc_stream(folder / "chat-train.arrow")
    rows("test", 5).write_ipc_stream(folder / "chat-test.arrow")
    rows("train", 40).write_ipc_stream(folder / "cache-5f3a9e1b2c.arrow")
    (folder / "dataset_info.json").write_text(json.dumps({"description": ""}))
    src = find_sources(folder)
    assert [f.name for f in src.files] == ["chat-train.arrow"]
    assert src.left_out == (folder / "cache-5f3a9e1b2c.arrow",)
    assert open_dataset(folder).height == 40


@pytest.mark.parametrize("valid", ["validation", "valid", "dev", "val"])
def test_named_split_files(tmp_path, valid):
    for name, n in (("train", 12), (valid, 4)):
        lines = [json.dumps({"instruction": f"{name} {i}", "output": "x"}) for i in range(n)]
        (tmp_path / f"{name}.jsonl").write_text("\n".join(lines) + "\n")
    assert open_dataset(tmp_path).height == 12
    other = open_dataset(tmp_path, split="validation")
    assert other.height == 4


def test_folder_without_splits_still_opens_every_shard(tmp_path):
    rows("a", 5).write_parquet(tmp_path / "part-00000.parquet")
    rows("b", 6).write_parquet(tmp_path / "part-00001.parquet")
    ds = open_dataset(tmp_path)
    assert ds.height == 11 and ds.sources.splits == ()
    # one split alone is no choice to make
    one = tmp_path / "one"
    one.mkdir()
    rows("c", 3).write_parquet(one / "train-00000-of-00001.parquet")
    assert open_dataset(one).height == 3


def test_split_asked_of_a_folder_without_splits_is_refused(tmp_path):
    rows("a", 5).write_parquet(tmp_path / "part-00000.parquet")
    with pytest.raises(DataError) as err:
        open_dataset(tmp_path, split="test")
    assert str(tmp_path) in str(err.value) and "split" in str(err.value)
    with pytest.raises(DataError) as err:
        open_dataset(hub_snapshot(tmp_path / "snap"), split="nope")
    assert "train, test" in str(err.value)


def test_named_splits_beyond_train_test(tmp_path):
    # HuggingFaceH4/ultrafeedback_binarized: six splits, train_prefs/test_prefs/train_sft/...
    (tmp_path / "data").mkdir()
    for split, n in (("train_prefs", 9), ("test_prefs", 3), ("train_sft", 7), ("test_sft", 2)):
        rows(split, n).write_parquet(tmp_path / "data" / f"{split}-00000-of-00001.parquet")
    ds = open_dataset(tmp_path)
    assert set(ds.sources.splits) == {"train_prefs", "test_prefs", "train_sft", "test_sft"}
    assert ds.sources.splits[:2] == ("train_prefs", "train_sft")
    assert ds.sources.split == "train_prefs" and ds.height == 9
    assert open_dataset(tmp_path, split="test_sft").height == 2


def test_datasets_cache_with_named_splits(tmp_path):
    for split, n in (("train_prefs", 9), ("test_prefs", 3), ("train_sft", 7)):
        rows(split, n).write_ipc_stream(tmp_path / f"ultrafeedback_binarized-{split}.arrow")
    rows("x", 4).write_ipc_stream(
        tmp_path / "ultrafeedback_binarized-train_gen-00000-of-00002.arrow"
    )
    rows("x", 5).write_ipc_stream(
        tmp_path / "ultrafeedback_binarized-train_gen-00001-of-00002.arrow"
    )
    assert split_rows(tmp_path) == {
        "train_gen": 9,
        "train_prefs": 9,
        "train_sft": 7,
        "test_prefs": 3,
    }
    assert open_dataset(tmp_path, split="train_gen").height == 9
