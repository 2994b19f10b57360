"""The project store: one SQLite database (WAL) per dataset, versioned with migrations,
kept in the user data directory (never beside the data) or where ``--project`` says."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from inspector.core import paths
from inspector.core.errors import DataError
from inspector.core.project import open_project
from inspector.core.store import MIGRATIONS, ProjectStore, default_project_path


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path


def tables(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def tree(folder: Path) -> dict[str, tuple[int, float]]:
    """Every file under ``folder`` with its size and modification time."""
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime)
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh Inspector home (data, cache, logs) for this test."""
    monkeypatch.setenv("INSPECTOR_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def test_wal_mode(tmp_path):
    store = ProjectStore(tmp_path / "p.sqlite")
    try:
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        store.close()


def test_migrations_run_to_the_latest_version(tmp_path):
    db = tmp_path / "p.sqlite"
    store = ProjectStore(db)
    assert store.version == len(MIGRATIONS) >= 1
    store.close()
    assert {"settings", "dataset_files"} <= tables(db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_an_old_store_is_migrated_and_keeps_its_data(tmp_path):
    db = tmp_path / "old.sqlite"
    with sqlite3.connect(db) as conn:  # a store at schema version 1, made earlier
        conn.executescript(MIGRATIONS[0])
        conn.execute("INSERT INTO settings VALUES('format', ?)", (json.dumps({"kind": "text"}),))
        conn.execute("PRAGMA user_version=1")
    store = ProjectStore(db)
    try:
        assert store.version == len(MIGRATIONS)
        assert store.get("format") == {"kind": "text"}
    finally:
        store.close()


def test_reopening_does_not_migrate_again(tmp_path):
    db = tmp_path / "p.sqlite"
    ProjectStore(db).close()
    store = ProjectStore(db)  # would fail on CREATE TABLE if the migrations ran twice
    try:
        assert store.version == len(MIGRATIONS)
    finally:
        store.close()


def test_a_store_from_a_newer_inspector_is_refused(tmp_path):
    db = tmp_path / "new.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
    with pytest.raises(RuntimeError, match="newer Inspector"):
        ProjectStore(db)


def test_a_file_that_is_not_a_database_is_refused_and_left_alone(tmp_path):
    data = write_jsonl(tmp_path / "d.jsonl", [{"text": "a"}])
    before = data.read_bytes()
    with pytest.raises(DataError, match="not a project database") as err:
        ProjectStore(data)
    assert err.value.file == str(data)
    assert data.read_bytes() == before


def test_a_folder_is_not_a_database(tmp_path):
    with pytest.raises(DataError, match="not a project database"):
        ProjectStore(tmp_path)


def test_settings_and_files_round_trip(tmp_path):
    db = tmp_path / "p.sqlite"
    store = ProjectStore(db)
    store.set("format", {"kind": "alpaca", "fields": {"output": "response"}})
    store.set("format", {"kind": "text", "fields": {"text": "body"}})  # replaced, not added
    store.record_files([{"path": "a.jsonl", "size": 10, "sha256": "ab", "rows": 2,
                         "container": "jsonl", "compression": None}])  # fmt: skip
    store.close()
    again = ProjectStore(db)
    try:
        assert again.get("format") == {"kind": "text", "fields": {"text": "body"}}
        assert again.get("missing", 42) == 42
        assert again.files() == [{"path": "a.jsonl", "size": 10, "sha256": "ab", "rows": 2,
                                  "container": "jsonl", "compression": None}]  # fmt: skip
    finally:
        again.close()


def test_a_write_is_on_disk_when_the_call_returns(tmp_path):
    db = tmp_path / "p.sqlite"
    store = ProjectStore(db)
    try:
        store.set("decision", "keep")
        with sqlite3.connect(db) as other:  # another connection sees it at once
            row = other.execute("SELECT value FROM settings WHERE key='decision'").fetchone()
        assert json.loads(row[0]) == "keep"
    finally:
        store.close()


def test_project_path_option_is_respected(tmp_path, home):
    data = write_jsonl(tmp_path / "data" / "d.jsonl", [{"text": "a"}])
    wanted = tmp_path / "elsewhere" / "deep" / "mine.sqlite"
    project = open_project(data, project_path=wanted)
    try:
        assert project.store.path == wanted
        assert project.store.get("target") == str(data)
        assert project.store.get("id_rule") == "content_sha256"
        assert [f["path"] for f in project.store.files()] == ["d.jsonl"]
    finally:
        project.close()
    assert wanted.is_file()
    assert not (home / "data" / "projects").exists() or not any(
        (home / "data" / "projects").iterdir()
    )


def test_default_store_lives_in_the_user_data_directory(tmp_path, home):
    data = write_jsonl(tmp_path / "data" / "d.jsonl", [{"text": "a"}])
    project = open_project(data)
    try:
        path = project.store.path
        assert path == default_project_path(project.dataset.fingerprint)
        assert path.parent == paths.data_dir() / "projects"
        assert path.is_relative_to(home)
    finally:
        project.close()


def test_the_same_data_reopens_the_same_store_and_changed_data_a_new_one(tmp_path, home):
    data = write_jsonl(tmp_path / "d.jsonl", [{"text": "a"}])
    first = open_project(data)
    first.store.set("note", "remember me")
    first_path = first.store.path
    first.close()
    second = open_project(data)
    assert second.store.path == first_path and second.store.get("note") == "remember me"
    second.close()
    write_jsonl(data, [{"text": "a"}, {"text": "b"}])
    third = open_project(data)
    assert third.store.path != first_path and third.store.get("note") is None
    third.close()


def test_works_when_the_dataset_folder_is_read_only(tmp_path, home):
    """The store is kept outside the dataset folder and nothing is written into it.

    Tests run as root here, where a 0o555 folder is still writable: the mode alone proves
    nothing, so the folder's contents are compared before and after as well."""
    folder = tmp_path / "readonly"
    data = write_jsonl(folder / "d.jsonl", [{"text": "a"}, {"text": "b"}])
    before = tree(folder)
    folder.chmod(0o555)
    data.chmod(0o444)
    try:
        project = open_project(folder)
        try:
            assert project.dataset.height == 2
            project.store.set("format", project.dataset.spec.to_json())
            assert not project.store.path.resolve().is_relative_to(folder.resolve())
            assert project.store.path.is_file()
        finally:
            project.close()
        assert tree(folder) == before
        assert stat.S_IMODE(folder.stat().st_mode) == 0o555
    finally:
        folder.chmod(0o755)
        data.chmod(0o644)


def test_data_dir_override(tmp_path, monkeypatch):
    monkeypatch.setenv("INSPECTOR_HOME", str(tmp_path / "portable"))
    assert paths.data_dir() == tmp_path / "portable" / "data"
    assert paths.data_dir().is_dir()
    assert os.path.commonpath([paths.log_dir(), tmp_path]) == str(tmp_path)
