"""What a sample can be labelled with, and reading labels back from the project store.

A sample's label is a :class:`LabelState`: a decision (``keep``/``drop``/``unsure`` or none),
tags (user-defined names), the reason (the list it was reviewed from, e.g. ``manual``,
``semantic_duplicate``), a note, the duplicate group it was decided in, and who decided when.
Labels are keyed by the row id (``__id``) so they survive re-sorting; the locator
(``source_file``, ``row_index``) and ``content_sha256`` are stored alongside.

Labels are changed only through commands (:mod:`inspector.core.labels.commands`); this module reads.
The label set (names, keys, colours) is data: defaults in ``resources/labels.toml``, a
project's own copy in its settings.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from inspector.core import paths

if TYPE_CHECKING:
    from inspector.core.store import ProjectStore

DECISIONS: tuple[str, ...] = ("keep", "drop", "unsure")
ACTIONS: tuple[str, ...] = ("remove", "keep", "flag")
ACTION_OF_DECISION = {"drop": "remove", "keep": "keep", "unsure": "flag"}
DECISION_OF_ACTION = {v: k for k, v in ACTION_OF_DECISION.items()}
# Per-row decision codes for views (colouring, filtering): -1 means no decision.
NO_DECISION = -1
DECISION_CODES = {"keep": 0, "drop": 1, "unsure": 2}
DECISION_OF_CODE = {v: k for k, v in DECISION_CODES.items()}
MANUAL = "manual"
DUPLICATE = "duplicate"

LABEL_FIELDS = (
    "decision",
    "tags",
    "reason",
    "note",
    "group_id",
    "representative_id",
    "annotator",
    "timestamp",
)
LOCATOR_FIELDS = ("source_file", "row_index", "content_sha256")
_SQL_CHUNK = 900  # ids per "IN (...)" query; below SQLite's oldest variable limit


# -- who and when ---------------------------------------------------------------------------


def utc_now() -> str:
    """ISO 8601 UTC timestamp with milliseconds, e.g. ``2025-01-31T12:00:00.123Z``."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def annotator(store: ProjectStore | None = None) -> str:
    """The annotator recorded with decisions: the ``annotator`` setting, else the OS user."""
    if store is not None:
        name = store.get("annotator")
        if name:
            return str(name)
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "unknown"


# -- one row's label ------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelState:
    """A row's label. All-``None`` with no tags and no note means "no label"."""

    decision: str | None = None
    tags: tuple[str, ...] = ()
    reason: str | None = None
    note: str | None = None
    group_id: str | None = None
    representative_id: str | None = None
    annotator: str | None = None
    timestamp: str | None = None

    @property
    def empty(self) -> bool:
        return self.decision is None and not self.tags and not self.note

    def same_label(self, other: LabelState) -> bool:
        """Equal apart from who decided and when (a re-press of the same key changes nothing)."""
        return self.to_row()[:6] == other.to_row()[:6]

    def to_row(self) -> tuple:
        """The state as stored: tags as a JSON array text (``None`` when there are none)."""
        return (
            self.decision,
            encode_tags(self.tags),
            self.reason,
            self.note,
            self.group_id,
            self.representative_id,
            self.annotator,
            self.timestamp,
        )

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> LabelState:
        return cls(row[0], decode_tags(row[1]), *row[2:8])

    def with_(self, **changes: Any) -> LabelState:
        return replace(self, **changes)


EMPTY = LabelState()


@dataclass(frozen=True)
class RowLabel:
    """A labelled row as the store holds it: id, label, locator and content hash."""

    id: str
    state: LabelState
    source_file: str | None = None
    row_index: int | None = None
    content_sha256: str | None = None

    @property
    def decision(self) -> str | None:
        return self.state.decision

    @property
    def tags(self) -> tuple[str, ...]:
        return self.state.tags

    @property
    def note(self) -> str | None:
        return self.state.note


def encode_tags(tags: Iterable[str]) -> str | None:
    tags = list(tags)
    return json.dumps(tags, ensure_ascii=False) if tags else None


def decode_tags(text: str | None) -> tuple[str, ...]:
    return tuple(json.loads(text)) if text else ()


def normalise_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Strip names, drop empties and repeats, keep the order given."""
    seen: dict[str, None] = {}
    for t in tags:
        name = str(t).strip()
        if name:
            seen.setdefault(name, None)
    return tuple(seen)


def check_decision(decision: str | None) -> str | None:
    if decision is not None and decision not in DECISIONS:
        raise ValueError(f"unknown decision '{decision}': use one of {', '.join(DECISIONS)}")
    return decision


# -- reading the store -----------------------------------------------------------------------

_STATE_COLUMNS = ", ".join(LABEL_FIELDS)


def read_states(store: ProjectStore, ids: Sequence[str]) -> dict[str, LabelState]:
    """The stored label of each id that has a row in ``labels`` (including cleared ones)."""
    out: dict[str, LabelState] = {}
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), _SQL_CHUNK):
        chunk = unique[start : start + _SQL_CHUNK]
        marks = ",".join("?" * len(chunk))
        for row in store.conn.execute(
            f"SELECT id, {_STATE_COLUMNS} FROM labels WHERE id IN ({marks})", chunk
        ):
            out[row[0]] = LabelState.from_row(row[1:])
    return out


STATE_SCHEMA: dict[str, pl.DataType] = {
    name: pl.String() for name in LABEL_FIELDS
}  # tags as JSON text


def states_frame(states: Sequence[LabelState]) -> pl.DataFrame:
    """States as stored, one row each (columns ``LABEL_FIELDS``, tags as JSON text)."""
    return pl.DataFrame([s.to_row() for s in states], schema=STATE_SCHEMA, orient="row")


def read_state_frame(store: ProjectStore, ids: pl.Series) -> pl.DataFrame:
    """The stored state of each id, in the order given: ``id``, ``existed`` (the id has a
    row in ``labels``) and ``LABEL_FIELDS`` (all null where it has none)."""
    wanted = ids.cast(pl.String).unique().to_list()
    found: list[tuple] = []
    for start in range(0, len(wanted), _SQL_CHUNK):
        chunk = wanted[start : start + _SQL_CHUNK]
        marks = ",".join("?" * len(chunk))
        found.extend(
            store.conn.execute(
                f"SELECT id, {_STATE_COLUMNS} FROM labels WHERE id IN ({marks})", chunk
            ).fetchall()
        )
    stored = pl.DataFrame(
        found, schema={"id": pl.String, **STATE_SCHEMA}, orient="row"
    ).with_columns(pl.lit(True).alias("existed"))
    frame = pl.DataFrame({"id": ids.cast(pl.String)}).join(
        stored, on="id", how="left", maintain_order="left"
    )
    return frame.with_columns(pl.col("existed").fill_null(False)).select(
        "id", "existed", *LABEL_FIELDS
    )


def row_label(store: ProjectStore, row_id: str) -> RowLabel | None:
    """One row's label, or ``None`` when it has none (never labelled, or cleared)."""
    row = store.conn.execute(
        f"SELECT {_STATE_COLUMNS}, source_file, row_index, content_sha256 FROM labels WHERE id=?",
        (row_id,),
    ).fetchone()
    if row is None:
        return None
    state = LabelState.from_row(row[:8])
    if state.empty:
        return None
    return RowLabel(row_id, state, row[8], row[9], row[10])


LABELS_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.String(),
    "decision": pl.String(),
    "tags": pl.List(pl.String()),
    "reason": pl.String(),
    "note": pl.String(),
    "group_id": pl.String(),
    "representative_id": pl.String(),
    "annotator": pl.String(),
    "timestamp": pl.String(),
    "source_file": pl.String(),
    "row_index": pl.Int64(),
    "content_sha256": pl.String(),
}


def labels_frame(store: ProjectStore) -> pl.DataFrame:
    """Every labelled row (decision, tags or note set) as a frame, tags as a list column."""
    cur = store.conn.execute(
        f"SELECT id, {_STATE_COLUMNS}, source_file, row_index, content_sha256 FROM labels "
        "WHERE decision IS NOT NULL OR tags IS NOT NULL OR note IS NOT NULL"
    )
    raw = {**LABELS_SCHEMA, "tags": pl.String()}
    frame = pl.DataFrame(cur.fetchall(), schema=raw, orient="row")
    return frame.with_columns(
        pl.col("tags").str.json_decode(pl.List(pl.String)).fill_null(pl.lit([], pl.List(pl.String)))
    )


def decision_counts(store: ProjectStore) -> dict[str, int]:
    """Rows per decision over the whole project: ``{"keep": n, "drop": n, "unsure": n}``."""
    counts = dict.fromkeys(DECISIONS, 0)
    for decision, n in store.conn.execute(
        "SELECT decision, count(*) FROM labels WHERE decision IS NOT NULL GROUP BY decision"
    ):
        counts[decision] = n
    return counts


def decision_codes(store: ProjectStore, ids: pl.Series) -> np.ndarray:
    """int8 code per dataset row (``ids`` in row order): -1 none, 0 keep, 1 drop, 2 unsure."""
    rows = store.conn.execute(
        "SELECT id, decision FROM labels WHERE decision IS NOT NULL"
    ).fetchall()
    codes = np.full(len(ids), NO_DECISION, dtype=np.int8)
    if not rows:
        return codes
    decided = pl.DataFrame(
        {
            "id": [r[0] for r in rows],
            "code": [DECISION_CODES[r[1]] for r in rows],
        },
        schema={"id": pl.String, "code": pl.Int8},
    )
    joined = (
        pl.DataFrame({"id": ids.cast(pl.String)})
        .with_row_index("row")
        .join(decided, on="id", how="inner")
    )
    codes[joined["row"].to_numpy()] = joined["code"].to_numpy()
    return codes


def queue_progress(codes: np.ndarray, rows: np.ndarray, position: int = 0) -> dict[str, int]:
    """Counts for a session's progress line ("37 / 1,204 · 12 drop · 25 keep").

    ``codes`` from :func:`decision_codes` (kept current with ``Changes.update_codes``),
    ``rows`` the queue, ``position`` the 0-based index of the sample on screen.
    """
    sub = codes[np.asarray(rows, dtype=np.int64)] if len(rows) else codes[:0]
    out = {"position": position + 1 if len(rows) else 0, "total": len(rows)}
    for name, code in DECISION_CODES.items():
        out[name] = int(np.count_nonzero(sub == code))
    out["decided"] = out["keep"] + out["drop"] + out["unsure"]
    out["undecided"] = out["total"] - out["decided"]
    return out


# -- the label set ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionStyle:
    name: str  # keep | drop | unsure (fixed)
    title: str
    key: str
    colour: str


@dataclass(frozen=True)
class TagStyle:
    name: str
    key: str | None
    colour: str


@dataclass(frozen=True)
class LabelSet:
    """Decisions' titles/keys/colours and the user's tags, as the label-set editor edits it."""

    decisions: tuple[DecisionStyle, ...]
    tags: tuple[TagStyle, ...] = ()
    nav_keys: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def decision(self, name: str) -> DecisionStyle:
        for d in self.decisions:
            if d.name == name:
                return d
        raise KeyError(name)

    def tag(self, name: str) -> TagStyle:
        for t in self.tags:
            if t.name == name:
                return t
        raise KeyError(name)

    @property
    def tag_names(self) -> list[str]:
        return [t.name for t in self.tags]

    def to_json(self) -> dict:
        return {
            "decisions": {
                d.name: {"title": d.title, "key": d.key, "colour": d.colour} for d in self.decisions
            },
            "tags": [{"name": t.name, "key": t.key, "colour": t.colour} for t in self.tags],
            "keys": {k: list(v) for k, v in self.nav_keys.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> LabelSet:
        decisions_in = data.get("decisions", {})
        decisions = []
        for name in DECISIONS:
            d = decisions_in.get(name, {})
            decisions.append(
                DecisionStyle(
                    name, d.get("title", name.title()), d.get("key", ""), d.get("colour", "#888")
                )
            )
        tags = tuple(
            TagStyle(str(t["name"]), t.get("key") or None, t.get("colour", "#888"))
            for t in data.get("tags", [])
        )
        names = [t.name for t in tags]
        if len(set(names)) != len(names):
            raise ValueError("label set: tag names must be unique")
        keys = {k: tuple(v) for k, v in data.get("keys", {}).items()}
        return cls(tuple(decisions), tags, keys)

    def with_tags(self, tags: Sequence[TagStyle]) -> LabelSet:
        return replace(self, tags=tuple(tags))


def default_label_set() -> LabelSet:
    """The label set in ``resources/labels.toml``."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]

    path = paths.resources_dir() / "labels.toml"
    with open(path, "rb") as fh:
        return LabelSet.from_json(tomllib.load(fh))


def load_label_set(store: ProjectStore) -> LabelSet:
    """The project's label set, or the default one if it was never edited."""
    saved = store.get("label_set")
    return LabelSet.from_json(saved) if saved else default_label_set()


def save_label_set(store: ProjectStore, label_set: LabelSet) -> None:
    """Store the edited label set in the project (committed before returning).

    Renaming a tag here does not rename it on rows already tagged.
    """
    store.set("label_set", label_set.to_json())


def keymap(
    label_set: LabelSet, overrides: Mapping[str, Sequence[str]] | None = None
) -> dict[str, tuple[str, ...]]:
    """Action id -> keys, for menus, shortcuts and the ``?`` overlay.

    Actions: ``review.keep``/``review.drop``/``review.unsure``, ``review.tag.<n>`` (the
    n-th tag of the label set, 1-based), and the session keys from ``[keys]``
    (``review.next``, ``review.previous``, ``review.undo``, ``review.redo``,
    ``review.show_in_context``, ``review.leave``, ``review.help``). ``overrides`` (user
    settings) replace an action's keys. Key names are Qt's portable text ("Ctrl+Shift+Z").
    """
    table: dict[str, tuple[str, ...]] = {}
    for d in label_set.decisions:
        table[f"review.{d.name}"] = (d.key,) if d.key else ()
    for i, t in enumerate(label_set.tags, start=1):
        table[f"review.tag.{i}"] = (t.key,) if t.key else ()
    table.update({k: tuple(v) for k, v in label_set.nav_keys.items()})
    if label_set.nav_keys:  # a project's saved set may predate a session key: use the default
        for action, default in default_label_set().nav_keys.items():
            table.setdefault(action, tuple(default))
    for action, keys in (overrides or {}).items():
        table[action] = tuple(keys)
    return table


def tag_for_action(label_set: LabelSet, action: str) -> str | None:
    """The tag name a ``review.tag.<n>`` action toggles (``None`` past the last tag)."""
    prefix = "review.tag."
    if not action.startswith(prefix) or not action[len(prefix) :].isdigit():
        return None
    n = int(action[len(prefix) :])
    return label_set.tags[n - 1].name if 1 <= n <= len(label_set.tags) else None
