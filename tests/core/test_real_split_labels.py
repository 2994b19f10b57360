"""Labelling one split of a DatasetDict (or of a Hub snapshot with train/test files) and then
opening another: the other split's labels are no 'earlier version' of this one, so they are
not offered to carry over (the window asked 'Labels from an earlier version'); an earlier
version of the same split still is."""

from __future__ import annotations

import polars as pl

from inspector.core.project import open_project


def snapshot(root):
    (root / "data").mkdir(parents=True, exist_ok=True)
    pl.DataFrame({"text": [f"train row {i}" for i in range(20)]}).write_parquet(
        root / "data" / "train-00000-of-00001.parquet"
    )
    pl.DataFrame({"text": [f"test row {i}" for i in range(5)]}).write_parquet(
        root / "data" / "test-00000-of-00001.parquet"
    )
    return root


def label_some(project) -> None:
    from inspector.core.labels.labelbook import LabelBook

    book = LabelBook(project.store, project.dataset)
    book.decide([0, 1, 2], "drop")


def test_other_split_labels_are_not_an_earlier_version(tmp_path, monkeypatch):
    monkeypatch.setenv("INSPECTOR_HOME", str(tmp_path / "home"))
    root = snapshot(tmp_path / "snap")
    train = open_project(root)
    label_some(train)
    train.close()
    test = open_project(root, split="test")
    assert test.previous is None
    test.close()
    # an earlier version of the train split is still offered
    pl.DataFrame({"text": [f"train row {i}" for i in range(21)]}).write_parquet(
        root / "data" / "train-00000-of-00001.parquet"
    )
    again = open_project(root)
    assert again.previous is not None and again.previous.labels == 3
    again.close()
