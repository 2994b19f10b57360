"""The project store: one SQLite database (WAL) per dataset, in the user data directory keyed
by the dataset's fingerprint, or at a path the user gives (``--project``).

It holds the field mapping and settings and, from the labelling work on, labels and their
history, the labels set aside as stale when the data changed (:mod:`inspector.core.labels.reconcile`),
and the review sessions a user can resume. The schema is versioned; ``MIGRATIONS[i]`` takes
version ``i`` to ``i + 1``. Every write is committed before the call returns: a decision
survives a SIGKILL.

A store that is empty (0 bytes) or damaged is reported (:class:`StoreError`, naming the file)
and left untouched: it is never replaced by a new, empty project without the user's word.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from inspector.core import paths
from inspector.core.errors import DataError

MIGRATIONS: list[str] = [
    # 0 -> 1: settings and the files the project was made from
    """
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE dataset_files (
        path TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL,
        rows INTEGER NOT NULL, container TEXT, compression TEXT
    );
    """,
    # 1 -> 2: labels, the undo history of label commands, and junk-finder proposals
    # (inspector/core/labels/states.py, commands.py, filterfile.py). No semicolons inside comments.
    """
    CREATE TABLE labels (
        id TEXT PRIMARY KEY,
        decision TEXT CHECK (decision IN ('keep', 'drop', 'unsure')),
        tags TEXT, reason TEXT, note TEXT, group_id TEXT, representative_id TEXT,
        annotator TEXT, timestamp TEXT,
        source_file TEXT, row_index INTEGER, content_sha256 TEXT
    ) WITHOUT ROWID;
    CREATE INDEX labels_decision ON labels(decision);
    CREATE TABLE commands (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL, title TEXT NOT NULL, params TEXT,
        rows INTEGER NOT NULL, annotator TEXT, timestamp TEXT NOT NULL,
        undone INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE command_rows (
        seq INTEGER NOT NULL, id TEXT NOT NULL,
        b_decision TEXT, b_tags TEXT, b_reason TEXT, b_note TEXT, b_group_id TEXT,
        b_representative_id TEXT, b_annotator TEXT, b_timestamp TEXT,
        a_decision TEXT, a_tags TEXT, a_reason TEXT, a_note TEXT, a_group_id TEXT,
        a_representative_id TEXT, a_annotator TEXT, a_timestamp TEXT,
        PRIMARY KEY (seq, id)
    ) WITHOUT ROWID;
    CREATE TABLE proposals (
        id TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('remove', 'keep', 'flag')),
        reason TEXT, group_id TEXT, representative_id TEXT, similarity REAL, score REAL,
        source TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX proposals_id ON proposals(id);
    CREATE INDEX proposals_source ON proposals(source);
    """,
    # 2 -> 3: a label command keeps its rows (ids, states before and after) as one compressed
    # Arrow payload instead of a row each: bulk commands on 100k rows write half as much.
    # The decision index cost more on every bulk write than it saved on counts.
    """
    ALTER TABLE commands ADD COLUMN payload BLOB;
    DROP TABLE command_rows;
    DROP INDEX IF EXISTS labels_decision;
    """,
    # 3 -> 4: saved review sessions (inspector/core/labels/review_state.py): the queue's spec and
    # title, its exact ordered row ids as a compressed Arrow payload, and where the user was.
    # touched orders them by last use (a counter, not a clock: two saves in one millisecond).
    """
    CREATE TABLE review_sessions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        spec TEXT NOT NULL, title TEXT NOT NULL,
        grouped INTEGER NOT NULL DEFAULT 0,
        items INTEGER NOT NULL, rows INTEGER NOT NULL,
        position INTEGER NOT NULL DEFAULT 0, decided INTEGER NOT NULL DEFAULT 0,
        finished INTEGER NOT NULL DEFAULT 0,
        started TEXT NOT NULL, updated TEXT NOT NULL, touched INTEGER NOT NULL,
        payload BLOB NOT NULL
    );
    """,
    # 4 -> 5: labels follow their records when the data changes (inspector/core/labels/reconcile.py).
    # copies: how many identical records the data held when the label was last checked (a
    # content-hash id may move to another copy only when there was one and still is one).
    # stale_labels: labels whose record changed or went away, set aside (never exported),
    # with why and when, and brought back if their record comes back.
    """
    ALTER TABLE labels ADD COLUMN copies INTEGER;
    CREATE TABLE stale_labels (
        id TEXT NOT NULL,
        decision TEXT, tags TEXT, reason TEXT, note TEXT, group_id TEXT, representative_id TEXT,
        annotator TEXT, timestamp TEXT,
        source_file TEXT, row_index INTEGER, content_sha256 TEXT, copies INTEGER,
        why TEXT NOT NULL, since TEXT NOT NULL
    );
    CREATE INDEX stale_labels_id ON stale_labels(id);
    """,
]


class StoreError(DataError):
    """The project database cannot be used as it is (empty, damaged, disk full); the message
    names the file and what to do. Nothing in the file was changed."""


def store_error(exc: sqlite3.Error, path: str | Path, doing: str = "") -> StoreError:
    """A user-facing error for an SQLite failure on the store at ``path``."""
    text = str(exc)
    where = f" while {doing}" if doing else ""
    if "database or disk is full" in text or "disk I/O error" in text and "full" in text:
        return StoreError(
            f"disk full{where}: nothing was saved, the project is as it was before",
            file=path,
            hint="free some space on that disk and try again",
        )
    if isinstance(exc, sqlite3.OperationalError) and "locked" in text:
        return StoreError(
            f"the project is busy{where} ({text})",
            file=path,
            hint="another Inspector is writing to it; try again when it is done",
        )
    return StoreError(
        f"the project database is damaged or not a project{where} ({text}); it was left untouched",
        file=path,
        hint="restore it from a backup, or move it away to start a new project "
        "(its labels are lost then)",
    )


def default_project_path(fingerprint: str) -> Path:
    folder = paths.data_dir() / "projects"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{fingerprint[:24]}.sqlite"


class ProjectStore:
    """A dataset's durable state. Safe to use from one thread at a time per connection."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        _refuse_empty(self.path)
        conn = None
        try:
            conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
            # Read before writing anything: a file that is not a database, or one that is not
            # ours, is refused as it is (setting WAL mode would already change its header).
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master")]
            if version == 0 and tables:
                conn.close()
                raise StoreError(
                    f"not an Inspector project (it holds {', '.join(sorted(tables)[:5])}); "
                    "it was left untouched",
                    file=self.path,
                    hint="--project takes an Inspector project (.sqlite) or a path for a new one",
                )
            conn.execute("PRAGMA journal_mode=WAL")
        except sqlite3.DatabaseError as exc:  # e.g. --project names a data file or a folder
            if conn is not None:
                conn.close()
            raise StoreError(
                f"not a project database: {exc}",
                file=self.path,
                hint="--project takes an Inspector project (.sqlite) or a path for a new one",
            ) from exc
        self.conn = conn
        try:
            # FULL: the WAL is synced on every commit, so a decision is on disk when we return.
            self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.migrate()
            # Damage in the pages shows only when they are read: read the schema and the
            # settings now, so a damaged store is reported here and not mid-command.
            self.conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            self.conn.execute("SELECT count(*) FROM settings").fetchone()
        except sqlite3.Error as exc:
            conn.close()
            raise store_error(exc, self.path, "opening it") from exc
        except BaseException:
            conn.close()
            raise

    # -- schema -----------------------------------------------------------------------------
    @property
    def version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        with self._lock:
            current = self.version
            if current > len(MIGRATIONS):
                raise RuntimeError(
                    f"{self.path}: made by a newer Inspector (schema {current}, this one knows "
                    f"{len(MIGRATIONS)}); update Inspector"
                )
            for version in range(current, len(MIGRATIONS)):
                self.conn.execute("BEGIN IMMEDIATE")
                try:
                    for statement in _split_sql(MIGRATIONS[version]):
                        self.conn.execute(statement)
                    self.conn.execute(f"PRAGMA user_version={version + 1}")
                    self.conn.execute("COMMIT")
                except Exception:
                    self.conn.execute("ROLLBACK")
                    raise

    # -- settings ---------------------------------------------------------------------------
    def get(self, key: str, default: Any = None) -> Any:
        row = self.conn.execute("SELECT value FROM settings WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set(self, key: str, value: Any) -> None:
        with self._lock:
            self.conn.execute(
                "INSERT INTO settings(key, value) VALUES(?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                (key, json.dumps(value)),
            )

    def record_files(self, files: list[dict]) -> None:
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("DELETE FROM dataset_files")
            self.conn.executemany(
                "INSERT INTO dataset_files VALUES(?, ?, ?, ?, ?, ?)",
                [
                    (f["path"], f["size"], f["sha256"], f["rows"], f["container"], f["compression"])
                    for f in files
                ],
            )
            self.conn.execute("COMMIT")

    def files(self) -> list[dict]:
        cur = self.conn.execute("SELECT * FROM dataset_files")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]

    @contextlib.contextmanager
    def transaction(self, doing: str = "saving") -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT under the store's lock; on an error, everything is rolled
        back (unless SQLite already did: it does on a full disk). SQLite failures come out as
        :class:`StoreError` ("disk full", "damaged") naming the file. With
        ``synchronous=FULL`` the commit is on disk when the block exits."""
        with self._lock:
            conn = self.conn
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise store_error(exc, self.path, doing) from exc
                raise

    def close(self) -> None:
        with self._lock:  # not while another thread is inside a transaction
            self.conn.close()


def _refuse_empty(path: Path) -> None:
    """A 0-byte file where a project should be: a project that lost its contents (a full disk,
    a bad copy), not a new one. SQLite would quietly start an empty project in it."""
    try:
        size = path.stat().st_size
    except OSError:
        return  # not there: a new project
    if path.is_file() and size == 0:
        wal = path.with_name(path.name + "-wal")
        if wal.exists() and wal.stat().st_size > 0:
            return  # the pages are still in the write-ahead log: SQLite recovers them
        raise StoreError(
            "the project database is empty (0 bytes); it was left untouched",
            file=path,
            hint="restore it from a backup, or delete it to start a new, empty project",
        )


def _split_sql(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
