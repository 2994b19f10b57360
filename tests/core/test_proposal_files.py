"""Large proposal sets go to a Parquet file beside the store (export.proposal_files): stored,
read back in order, replaced and cleared with the store's own commits; small ones stay rows."""

from __future__ import annotations

import polars as pl
import pytest

from inspector.core.export import filterfile, proposal_files
from inspector.core.store import ProjectStore


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setattr(proposal_files, "SIDE_FILE_ROWS", 10)
    st = ProjectStore(tmp_path / "project.sqlite")
    yield st
    st.close()


def _proposals(n: int, prefix: str = "r") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": [f"{prefix}{i}" for i in range(n)],
            "action": ["remove" if i % 3 else "keep" for i in range(n)],
            "group_id": list(range(n)),
            "similarity": [i / n for i in range(n)],
        }
    )


def _rows_in_sqlite(store: ProjectStore, source: str) -> int:
    return store.conn.execute(
        "SELECT count(*) FROM proposals WHERE source=?", (source,)
    ).fetchone()[0]


def test_a_large_source_is_a_file_and_reads_back_in_order(store):
    big, small = _proposals(25), _proposals(4, "s")
    assert filterfile.save_proposals(store, big, source="junk") == 25
    assert filterfile.save_proposals(store, small, source="manual") == 4
    assert _rows_in_sqlite(store, "junk") == 0 and _rows_in_sqlite(store, "manual") == 4
    files = list(proposal_files.folder(store).glob("*.parquet"))
    assert [f.name for f in files] == [proposal_files.entries(store)["junk"]["file"]]

    junk = filterfile.load_proposals(store, ["junk"])
    assert junk.schema == pl.Schema(filterfile.PROPOSAL_SCHEMA)
    assert junk["id"].to_list() == big["id"].to_list()
    assert junk["similarity"].to_list() == big["similarity"].to_list()
    assert set(junk["source"]) == {"junk"}
    everything = filterfile.load_proposals(store)
    assert sorted(everything["id"].to_list()) == sorted(big["id"].to_list() + small["id"].to_list())
    assert filterfile.load_proposals(store, ["manual"])["id"].to_list() == small["id"].to_list()
    assert filterfile.load_proposals(store, []).height == 0


def test_replacing_and_clearing_remove_the_old_files(store):
    filterfile.save_proposals(store, _proposals(25), source="junk")
    first = proposal_files.entries(store)["junk"]["file"]
    filterfile.save_proposals(store, _proposals(30, "x"), source="junk")
    second = proposal_files.entries(store)["junk"]["file"]
    assert first != second
    names = [f.name for f in proposal_files.folder(store).glob("*.parquet")]
    assert names == [second]
    assert filterfile.load_proposals(store)["id"].to_list() == _proposals(30, "x")["id"].to_list()

    filterfile.save_proposals(store, _proposals(3, "y"), source="junk")  # small: rows again
    assert "junk" not in proposal_files.entries(store)
    assert list(proposal_files.folder(store).glob("*.parquet")) == []
    assert filterfile.load_proposals(store)["id"].to_list() == ["y0", "y1", "y2"]

    filterfile.save_proposals(store, _proposals(25), source="junk")
    filterfile.save_proposals(store, _proposals(25, "m"), source="minhash")
    filterfile.clear_proposals(store, "junk")
    assert set(filterfile.load_proposals(store)["source"]) == {"minhash"}
    filterfile.clear_proposals(store)
    assert filterfile.load_proposals(store).height == 0
    assert list(proposal_files.folder(store).glob("*.parquet")) == []


def test_a_store_reopened_reads_its_files(tmp_path, monkeypatch):
    monkeypatch.setattr(proposal_files, "SIDE_FILE_ROWS", 10)
    st = ProjectStore(tmp_path / "p.sqlite")
    filterfile.save_proposals(st, _proposals(40), source="junk")
    st.close()
    again = ProjectStore(tmp_path / "p.sqlite")
    try:
        assert filterfile.load_proposals(again)["id"].to_list() == _proposals(40)["id"].to_list()
    finally:
        again.close()


def test_two_large_sources_in_one_frame_each_get_a_file(store):
    both = pl.concat(
        [
            _proposals(12, "a").with_columns(source=pl.lit("exact")),
            _proposals(15, "b").with_columns(source=pl.lit("minhash")),
            _proposals(2, "c").with_columns(source=pl.lit("tiny")),
        ]
    )
    assert filterfile.save_proposals(store, both) == 29
    assert set(proposal_files.entries(store)) == {"exact", "minhash"}
    assert _rows_in_sqlite(store, "tiny") == 2
    back = filterfile.load_proposals(store)
    assert sorted(back["id"].to_list()) == sorted(both["id"].to_list())
