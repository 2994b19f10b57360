"""Proposal files beside the store under damage: a missing, truncated or swapped file is a
clear error naming it, and a save that fails before its commit leaves the old proposals."""

from __future__ import annotations

import polars as pl
import pytest

from inspector.core.errors import DataError
from inspector.core.export import filterfile, proposal_files
from inspector.core.store import ProjectStore


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setattr(proposal_files, "SIDE_FILE_ROWS", 10)
    st = ProjectStore(tmp_path / "project.sqlite")
    filterfile.save_proposals(
        st, pl.DataFrame({"id": [f"r{i}" for i in range(20)], "action": ["remove"] * 20}), "junk"
    )
    yield st
    st.close()


def _file(store):
    return proposal_files.folder(store) / proposal_files.entries(store)["junk"]["file"]


def test_a_missing_file_is_named(store):
    path = _file(store)
    path.unlink()
    with pytest.raises(DataError, match="missing") as err:
        filterfile.load_proposals(store)
    assert str(path) in str(err.value)


def test_a_truncated_file_is_named(store):
    path = _file(store)
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(DataError, match="cannot be read") as err:
        filterfile.load_proposals(store)
    assert str(path) in str(err.value)


def test_a_file_swapped_for_other_rows_is_refused(store):
    path = _file(store)
    other = filterfile.load_proposals(store).head(5)
    other.write_parquet(path)
    with pytest.raises(DataError, match="not the 20 rows stored"):
        filterfile.load_proposals(store)


def test_a_save_that_fails_before_its_commit_keeps_the_old_proposals(store, monkeypatch):
    before = filterfile.load_proposals(store)

    def broken(*_a, **_k):
        raise RuntimeError("killed before the commit")

    monkeypatch.setattr(proposal_files, "point", broken)
    new = pl.DataFrame({"id": [f"n{i}" for i in range(30)], "action": ["flag"] * 30})
    with pytest.raises(RuntimeError, match="killed"):
        filterfile.save_proposals(store, new, "junk")
    monkeypatch.undo()
    monkeypatch.setattr(proposal_files, "SIDE_FILE_ROWS", 10)
    assert filterfile.load_proposals(store).equals(before)
    # the new file was written but never named: the next save removes it
    assert len(list(proposal_files.folder(store).glob("*.parquet"))) == 2
    filterfile.save_proposals(store, new, "junk")
    assert len(list(proposal_files.folder(store).glob("*.parquet"))) == 1
    assert filterfile.load_proposals(store)["id"].to_list() == new["id"].to_list()


def test_a_hostile_source_name_stays_inside_the_folder(store):
    frame = pl.DataFrame({"id": [f"h{i}" for i in range(12)], "action": ["remove"] * 12})
    filterfile.save_proposals(store, frame, "../../etc/passwd")
    name = proposal_files.entries(store)["../../etc/passwd"]["file"]
    assert "/" not in name and ".." not in name
    path = (proposal_files.folder(store) / name).resolve()
    assert path.is_file() and path.parent == proposal_files.folder(store).resolve()
    assert filterfile.load_proposals(store, ["../../etc/passwd"]).height == 12
