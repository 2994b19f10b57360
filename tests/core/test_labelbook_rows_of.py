"""Row positions of ids (undo, filter import, learned queues): the same answer by the index
for a few ids as by the join for many, unknown ids -1, and no Python dict of every id (at 10M
rows that dict took ~10 s and over a gigabyte when a review session started)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from inspector.core.labels import labelbook
from inspector.core.labels.labelbook import LabelBook
from inspector.core.project import open_project


@pytest.fixture
def book(tmp_path: Path):
    rows = [{"id": f"row-{i}", "text": f"sample {i}"} for i in range(3000)]
    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    project = open_project(data, project_path=tmp_path / "p.sqlite")
    yield LabelBook(project.store, project.dataset, annotator="t")
    project.close()


def _by_join(book: LabelBook, ids: list[str]) -> np.ndarray:
    return book.rows_of(ids * (5000 // max(len(ids), 1) + 1))[: len(ids)]


def test_few_ids_found_like_many(book: LabelBook) -> None:
    ids = ["row-7", "nope", "row-2999", "row-0", "row-7", ""]
    got = book.rows_of(ids)
    assert got.tolist() == [7, -1, 2999, 0, 7, -1]
    assert got.tolist() == _by_join(book, ids).tolist()
    assert book.row_of("row-42") == 42 and book.row_of("missing") is None
    assert book.rows_of([]).tolist() == []


def test_no_dict_of_every_id(book: LabelBook) -> None:
    book.rows_of(["row-1"])
    assert not any(isinstance(v, dict) and len(v) >= 3000 for v in vars(book).values())


def test_hash_collisions_are_told_apart(book: LabelBook, monkeypatch: pytest.MonkeyPatch) -> None:
    # every id hashes alike: the index must still compare the ids themselves
    monkeypatch.setattr(labelbook, "id_hashes", lambda ids: np.zeros(len(ids), dtype=np.uint64))
    fresh = LabelBook(book.store, book.dataset, annotator="t")
    assert fresh.rows_of(["row-5", "row-2000", "absent"]).tolist() == [5, 2000, -1]


def test_ids_hash_the_same_from_a_list_and_from_the_column() -> None:
    ids = ["a", "b", "ü", "row-1"]
    a = labelbook.id_hashes(pl.Series(ids, dtype=pl.String))
    b = labelbook.id_hashes(pl.Series(list(reversed(ids)), dtype=pl.String))[::-1]
    assert a.dtype == np.uint64 and np.array_equal(a, b)


def test_warm_builds_what_the_first_key_needs(book: LabelBook) -> None:
    fresh = LabelBook(book.store, book.dataset, annotator="t")
    fresh.warm()
    index, copies = fresh._index, fresh._copies
    assert index is not None and copies is not None and len(copies) == 3000
    fresh.decide([3], "keep")  # the first decision reuses them
    assert fresh._index is index and fresh._copies is copies
    assert fresh.rows_of(["row-3"]).tolist() == [3]
