"""Review queues: which rows a session walks through, and in what order.

Pure functions over arrays: each returns row positions (int64, in review order) or, for
duplicate groups, a list of such arrays. They know nothing of windows or the store; the
caller passes what the queue is made from (decision codes, cluster codes, flags, groups).

Queue names as the CLI takes them (``--queue``): ``all``, ``unlabeled``, ``random:N``,
``cluster:ID``, ``flag:RULE``, ``dups`` (``dups:exact``, ``dups:minhash``,
``dups:semantic``: one finder's groups), ``learn:uncertain`` and ``learn:likely-drop`` (from
the saved quality model's scores: ``inspector learn``); the UI adds ``search`` and
``selection``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from inspector.core.junk.group_lists import kind_name as dup_kind
from inspector.core.labels.states import NO_DECISION

if TYPE_CHECKING:
    from inspector.core.data.dataset import Dataset

KINDS = ("all", "unlabeled", "random", "cluster", "flag", "dups", "learn", "search", "selection")
LEARN_LISTS = ("uncertain", "likely-drop")
LEARN_CUT = 0.5  # learn:likely-drop: rows whose keep_probability is below this
NO_MODEL = (
    "no learned quality model yet: label some rows keep/drop (at least 20, 5 of each), then "
    "run `inspector learn PATH --out DIR` (or retrain in the window)"
)


@dataclass(frozen=True)
class QueueSpec:
    kind: str
    arg: str | None = None

    def __str__(self) -> str:
        return self.kind if self.arg is None else f"{self.kind}:{self.arg}"


@dataclass(frozen=True)
class Queue:
    """Rows to review in order; ``groups`` is set for duplicate-group queues."""

    spec: QueueSpec
    rows: np.ndarray
    groups: list[np.ndarray] | None = None
    group_ids: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return str(self.spec)

    def __len__(self) -> int:
        return len(self.groups) if self.groups is not None else len(self.rows)


def parse_queue(text: str) -> QueueSpec:
    """``"random:500"`` → QueueSpec("random", "500"), checking the argument."""
    kind, _, arg = text.strip().partition(":")
    kind = kind.strip().lower()
    if kind == "unlabelled":
        kind = "unlabeled"
    if kind not in KINDS:
        raise ValueError(
            f"unknown queue '{text}': use all, unlabeled, random:N, cluster:ID, flag:RULE, dups, "
            "learn:uncertain or learn:likely-drop"
        )
    if kind == "random":
        if not arg.strip().isdigit() or int(arg) <= 0:
            raise ValueError(f"queue '{text}': random needs a sample size, e.g. random:500")
    if kind in ("cluster", "flag") and not arg.strip():
        example = "cluster:3" if kind == "cluster" else "flag:empty_response"
        raise ValueError(f"queue '{text}': {kind} needs a name, e.g. {example}")
    if kind == "learn":
        arg = arg.strip().lower().replace("_", "-")
        if arg not in LEARN_LISTS:
            raise ValueError(f"queue '{text}': use learn:uncertain or learn:likely-drop")
    if kind == "dups" and arg.strip():
        try:
            arg = dup_kind(arg)
        except ValueError as exc:
            raise ValueError(f"queue '{text}': {exc}") from None
    return QueueSpec(kind, arg.strip() or None)


# -- builders ---------------------------------------------------------------------------------


def all_rows(n_rows: int) -> np.ndarray:
    return np.arange(n_rows, dtype=np.int64)


def unlabeled_rows(codes: np.ndarray, among: np.ndarray | None = None) -> np.ndarray:
    """Rows without a decision (``codes`` from ``labels.decision_codes``), in order."""
    codes = np.asarray(codes)
    if among is None:
        return np.flatnonzero(codes == NO_DECISION).astype(np.int64)
    among = np.asarray(among, dtype=np.int64)
    return among[codes[among] == NO_DECISION]


def random_rows(
    n_rows: int, k: int, *, seed: int = 0, among: np.ndarray | None = None
) -> np.ndarray:
    """A seeded random sample of ``k`` rows (all of them if fewer), in sampled order."""
    pool = all_rows(n_rows) if among is None else np.asarray(among, dtype=np.int64)
    rng = np.random.default_rng(seed)
    k = min(int(k), len(pool))
    return pool[rng.choice(len(pool), size=k, replace=False)] if k else pool[:0]


def cluster_rows(cluster_codes: np.ndarray, cluster_id: int | str) -> np.ndarray:
    """Rows whose cluster code equals ``cluster_id`` (HDBSCAN's -1 is "noise")."""
    codes = np.asarray(cluster_codes)
    try:
        wanted = int(cluster_id)
    except ValueError as exc:
        raise ValueError(f"cluster '{cluster_id}' is not a cluster number") from exc
    return np.flatnonzero(codes == wanted).astype(np.int64)


def flagged_rows(
    flags: Mapping[str, Any] | pl.DataFrame | np.ndarray, rule: str | None, n_rows: int
) -> np.ndarray:
    """Rows a quality rule flagged.

    ``flags`` is one of: a boolean mask (one rule); ``{rule: mask or row positions}``;
    a wide frame with a boolean column per rule (one row per dataset row); or a long junk
    table with columns ``rule`` and ``row``.
    """
    if isinstance(flags, np.ndarray):
        return _mask_or_rows(flags, n_rows, rule or "flag")
    if isinstance(flags, pl.DataFrame):
        if {"rule", "row"} <= set(flags.columns):
            hit = flags.filter(pl.col("rule") == rule)["row"] if rule else flags["row"]
            return np.unique(hit.cast(pl.Int64).to_numpy())
        if rule is None or rule not in flags.columns:
            raise ValueError(f"no quality rule '{rule}'; rules are {', '.join(flags.columns)}")
        return _mask_or_rows(flags[rule].fill_null(False).to_numpy(), n_rows, rule)
    if rule is None or rule not in flags:
        raise ValueError(f"no quality rule '{rule}'; rules are {', '.join(map(str, flags))}")
    return _mask_or_rows(np.asarray(flags[rule]), n_rows, rule)


def duplicate_groups(
    groups: np.ndarray | pl.DataFrame, *, min_size: int = 2, kind: str | None = None
) -> tuple[list[np.ndarray], list[str]]:
    """Duplicate groups, largest first (then by first row), members in row order.

    ``groups`` is a group code per row (-1: in no group) or a frame with columns
    ``group_id`` and ``row`` (and optionally ``kept`` and ``kind``: see
    :func:`inspector.core.junk.duplicates.list_groups`, the one place groups are counted).
    ``kind`` keeps only the groups of that finder. Returns (groups, group ids).
    """
    from inspector.core.junk.group_lists import list_groups

    if isinstance(groups, pl.DataFrame):
        found = list_groups(
            groups["group_id"].cast(pl.String),
            groups["row"].cast(pl.Int64).to_numpy(),
            kept=groups["kept"].fill_null(False).to_numpy() if "kept" in groups.columns else None,
            kind=groups["kind"] if "kind" in groups.columns else None,
            min_size=min_size,
        )
    else:
        found = list_groups(np.asarray(groups), min_size=min_size)
    found = found.of_kind(kind)
    return found.members, found.group_ids


def learned_rows(
    which: str,
    keep_probability: np.ndarray,
    decision_codes: np.ndarray | None = None,
    groups: np.ndarray | None = None,
    cut: float = LEARN_CUT,
    head: np.ndarray | None = None,
) -> np.ndarray:
    """Rows without a decision from the learned scores (NaN: not scored, skipped).

    ``uncertain``: ``head`` first (the rows the learn job picked for uncertainty spread over
    the features: ``learn.project_learn.learned_review_head``), then keep_probability nearest
    0.5 first (active learning; see ``learn.model.uncertain_queue``). ``likely-drop``: rows
    under ``cut``, least likely kept first."""
    from inspector.core.learn.model import likely_drop_queue, uncertain_queue

    p = np.asarray(keep_probability, dtype=np.float64)
    skip = np.isnan(p)
    if decision_codes is not None:
        skip |= np.asarray(decision_codes) != NO_DECISION
    p = np.where(np.isnan(p), 1.0, p)
    if which == "uncertain":
        g = np.zeros(len(p), dtype=np.int64) if groups is None else np.asarray(groups)
        return uncertain_queue(p, skip, g, first=head)
    if which == "likely-drop":
        return likely_drop_queue(p, skip, cut)
    raise ValueError(f"no learned list '{which}'; use {' or '.join(LEARN_LISTS)}")


def search_rows(dataset: Dataset, text: str = "", **kw: Any) -> np.ndarray:
    """Rows matching a search (``Dataset.match``: text, regex, case, expr)."""
    return dataset.match(text, **kw).astype(np.int64)


def selection_rows(selection: Sequence[int] | np.ndarray) -> np.ndarray:
    """A map or table selection: unique rows, in the order selected."""
    arr = np.asarray(selection, dtype=np.int64).ravel()
    if len(arr) < 2:
        return arr
    _, first = np.unique(arr, return_index=True)
    return arr[np.sort(first)]


def build_queue(
    spec: QueueSpec | str,
    *,
    n_rows: int,
    decision_codes: np.ndarray | None = None,
    cluster_codes: np.ndarray | None = None,
    flags: Any = None,
    groups: np.ndarray | pl.DataFrame | None = None,
    selection: Sequence[int] | np.ndarray | None = None,
    search: np.ndarray | None = None,
    seed: int = 0,
    keep_probability: np.ndarray | None = None,
    learned_head: np.ndarray | None = None,
) -> Queue:
    """Build a queue by name from what it needs; says clearly what is missing.
    ``keep_probability``: the learned scores per row (``core.learn.project_learn.
    learned_keep_probability``), for the ``learn:`` lists; ``learned_head``: the rows
    ``learn:uncertain`` starts with (``learned_review_head``)."""
    if isinstance(spec, str):
        spec = parse_queue(spec)

    def need(value: Any, what: str) -> Any:
        if value is None:
            raise ValueError(f"queue {spec}: {what}")
        return value

    kind = spec.kind
    if kind == "all":
        return Queue(spec, all_rows(n_rows))
    if kind == "unlabeled":
        codes = decision_codes if decision_codes is not None else np.full(n_rows, NO_DECISION)
        return Queue(spec, unlabeled_rows(codes))
    if kind == "random":
        return Queue(spec, random_rows(n_rows, int(spec.arg or 0), seed=seed))
    if kind == "cluster":
        codes = need(cluster_codes, "no clusters yet; build the map first")
        return Queue(spec, cluster_rows(codes, spec.arg or ""))
    if kind == "flag":
        return Queue(
            spec,
            flagged_rows(need(flags, "no quality flags yet; run analyze first"), spec.arg, n_rows),
        )
    if kind == "dups":
        finder = dup_kind(spec.arg) if spec.arg else None
        found = need(groups, "no duplicate groups yet; run analyze first")
        members, ids = duplicate_groups(found, kind=finder)
        rows = np.concatenate(members) if members else np.zeros(0, np.int64)
        return Queue(spec, rows, members, ids)
    if kind == "learn":
        p = need(keep_probability, NO_MODEL)
        if len(p) != n_rows:
            raise ValueError(f"queue {spec}: {len(p):,} learned scores for {n_rows:,} rows")
        rows = learned_rows(spec.arg or "", p, decision_codes, cluster_codes, head=learned_head)
        return Queue(spec, rows)
    if kind == "search":
        return Queue(spec, np.asarray(need(search, "no search results"), dtype=np.int64))
    return Queue(spec, selection_rows(need(selection, "nothing selected")))


def requeue_rest(queue: Queue, keep: int, rows: np.ndarray) -> Queue:
    """``queue`` with its first ``keep`` rows as they are and the rest replaced by ``rows``
    in their order, less the rows among the first ``keep`` (each row once): an open learned
    list takes the order of a model retrained while it was being reviewed. Not for
    duplicate-group queues."""
    if queue.groups is not None:
        raise ValueError(f"queue {queue.spec}: a list of groups is not requeued")
    keep = min(max(int(keep), 0), len(queue.rows))
    head = np.asarray(queue.rows[:keep], dtype=np.int64)
    rest = np.asarray(rows, dtype=np.int64)
    if len(head) and len(rest):
        rest = rest[~np.isin(rest, head)]
    _, first = np.unique(rest, return_index=True)
    if len(first) < len(rest):
        rest = rest[np.sort(first)]
    return replace(queue, rows=np.concatenate([head, rest]))


def _mask_or_rows(values: np.ndarray, n_rows: int, rule: str) -> np.ndarray:
    values = np.asarray(values)
    if values.dtype == bool:
        if len(values) != n_rows:
            raise ValueError(f"flag '{rule}': mask has {len(values)} rows, the data {n_rows}")
        return np.flatnonzero(values).astype(np.int64)
    return np.unique(values.astype(np.int64))
