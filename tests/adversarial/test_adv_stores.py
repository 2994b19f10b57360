"""Project stores that are empty, damaged or on a full disk: reported and left untouched, never
replaced by a new empty project; and labels made on an earlier version of the data offered."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from inspector.cli import main
from inspector.core import store as store_module
from inspector.core.errors import DataError
from inspector.core.labels import states
from inspector.core.labels.labelbook import LabelBook
from inspector.core.project import open_project
from inspector.core.store import ProjectStore, default_project_path


def run(*argv: object) -> int:
    return main([str(a) for a in argv])


def write_data(path: Path, n: int = 6, edit: int | None = None) -> Path:
    rows = [{"id": f"s{i}", "prompt": f"q{i}", "response": f"a{i}"} for i in range(n)]
    if edit is not None:
        rows[edit]["response"] = "edited"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def labelled_project(tmp_path: Path, project: Path | None = None) -> tuple[Path, Path]:
    """A data file with s1 and s2 dropped, in ``project`` (default: the user data folder)."""
    data = write_data(tmp_path / "train.jsonl")
    ids = tmp_path / "ids.txt"
    ids.write_text("s1\ns2\n")
    extra = ["--project", project] if project else []
    assert run("label", data, *extra, "--ids-file", ids, "--decision", "drop") == 0
    pr = open_project(data, project_path=project)
    path = pr.store.path
    pr.close()
    return data, path


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("INSPECTOR_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.mark.parametrize("named", [True, False], ids=["--project", "default"])
def test_a_zero_byte_store_is_reported_and_left_alone(tmp_path, home, capsys, named):
    data, db = labelled_project(tmp_path, tmp_path / "p.sqlite" if named else None)
    db.write_bytes(b"")  # e.g. a copy that failed on a full disk
    extra = ["--project", db] if named else []
    out = tmp_path / "filter.parquet"
    capsys.readouterr()
    assert run("export", data, *extra, "--out", out) == 1
    err = capsys.readouterr().err
    assert str(db) in err and "empty (0 bytes)" in err and "left untouched" in err
    assert db.stat().st_size == 0 and not out.exists()
    with pytest.raises(DataError, match="empty"):
        ProjectStore(db)
    assert db.stat().st_size == 0


def damage_pages(db: Path) -> None:
    """Overwrite everything after the first page (the schema page survives)."""
    raw = bytearray(db.read_bytes())
    page = int.from_bytes(raw[16:18], "big")
    assert len(raw) > page
    raw[page:] = b"\xa5" * (len(raw) - page)
    db.write_bytes(bytes(raw))


def test_damaged_pages_give_a_clear_error_naming_the_file(tmp_path, capsys):
    data, db = labelled_project(tmp_path, tmp_path / "p.sqlite")
    damage_pages(db)
    before = digest(db)
    capsys.readouterr()
    assert run("info", data, "--project", db) == 1
    err = capsys.readouterr().err
    assert str(db) in err and "damaged" in err and "Traceback" not in err
    assert digest(db) == before
    with pytest.raises(DataError, match="damaged") as caught:
        ProjectStore(db)
    assert caught.value.file == str(db)
    assert digest(db) == before


def test_another_programs_database_is_refused_untouched(tmp_path):
    db = tmp_path / "odd.sqlite"
    with sqlite3.connect(db) as conn:  # a database, but not one of ours
        conn.execute("CREATE TABLE settings (x)")
    before = digest(db)
    with pytest.raises(DataError, match="not an Inspector project") as caught:
        ProjectStore(db)
    assert caught.value.file == str(db)
    assert digest(db) == before


def test_an_error_that_shows_only_in_a_migration_is_a_clear_error(tmp_path):
    db = tmp_path / "half.sqlite"
    ProjectStore(db).close()
    with sqlite3.connect(db) as conn:  # one of ours, one version back, half migrated
        conn.execute(f"PRAGMA user_version={len(store_module.MIGRATIONS) - 1}")
        conn.execute("ALTER TABLE stale_labels RENAME TO stale_labels_old")
    with pytest.raises(DataError, match="damaged or not a project") as caught:
        ProjectStore(db)
    assert caught.value.file == str(db) and "copies" in str(caught.value)
    with sqlite3.connect(db) as conn:  # the failed migration changed nothing
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(store_module.MIGRATIONS) - 1
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "stale_labels" not in names and "stale_labels_old" in names


def fill_disk(store: ProjectStore) -> None:
    """SQLite's own "database or disk is full": no page past the ones it has."""
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count={pages}")


def test_disk_full_while_labelling_says_so_and_keeps_the_state(tmp_path):
    data = write_data(tmp_path / "train.jsonl", n=3000)
    pr = open_project(data, project_path=tmp_path / "p.sqlite")
    book = LabelBook(pr.store, pr.dataset)
    book.decide([0], "keep")
    fill_disk(pr.store)
    with pytest.raises(DataError, match="disk full") as caught:
        book.decide(list(range(1, 3000)), "drop", note="x" * 200)
    assert caught.value.file == str(pr.store.path)
    assert not pr.store.conn.in_transaction
    assert book.counts() == {"keep": 1, "drop": 0, "unsure": 0}
    assert [h.title for h in book.history()] == ["keep 1 row"] or len(book.history()) == 1
    pr.store.conn.execute("PRAGMA max_page_count=1073741823")  # space again
    assert len(book.decide(list(range(1, 3000)), "drop")) == 2999
    assert book.undo() is not None and book.counts()["drop"] == 0
    pr.close()


def test_disk_full_in_the_label_command(tmp_path, capsys, monkeypatch):
    data = write_data(tmp_path / "train.jsonl", n=3000)
    db = tmp_path / "p.sqlite"
    open_project(data, project_path=db).close()
    real_init = ProjectStore.__init__

    def full_init(self, path):
        real_init(self, path)
        fill_disk(self)

    monkeypatch.setattr(store_module.ProjectStore, "__init__", full_init)
    ids = tmp_path / "ids.txt"
    ids.write_text("".join(f"s{i}\n" for i in range(3000)))
    capsys.readouterr()
    assert run("label", data, "--project", db, "--ids-file", ids, "--decision", "drop") == 1
    err = capsys.readouterr().err
    assert "disk full" in err and str(db) in err and "Traceback" not in err
    monkeypatch.undo()
    pr = open_project(data, project_path=db)
    assert states.decision_counts(pr.store) == {"keep": 0, "drop": 0, "unsure": 0}
    pr.close()


def test_changed_data_offers_the_previous_versions_labels(tmp_path, home, capsys):
    data, old = labelled_project(tmp_path)  # default project, s1 and s2 dropped
    write_data(data, edit=2)  # the user fixed s2: a new fingerprint, a new default project
    capsys.readouterr()
    assert run("info", data, "--json") == 0
    captured = capsys.readouterr()
    assert str(old) in captured.err and "--carry-labels-from" in captured.err
    info = json.loads(captured.out)
    assert info["project"] != str(old) and info["stale_labels"] == 0

    out = tmp_path / "f.jsonl"
    assert run("export", data, "--carry-labels-from", old, "--out", out) == 0
    rows = [json.loads(t) for t in out.read_text().splitlines()]
    assert [(r["id"], r["action"]) for r in rows] == [("s1", "remove")]  # s2 changed: stale
    assert "1 stale label" in capsys.readouterr().err
    assert old.stat().st_size > 0  # the old project is left as it was
    new = default_project_path(open_project(data).dataset.fingerprint)
    with sqlite3.connect(new) as conn:
        assert conn.execute("SELECT id FROM stale_labels").fetchall() == [("s2",)]
    capsys.readouterr()
    assert run("info", data, "--json") == 0  # carried once: no more offers
    assert "--carry-labels-from" not in capsys.readouterr().err
