"""What a review can start from, and the map beside it (a part of the review controller).

Lists: all rows, unlabelled rows, a random sample, a map cluster, the table/map selection,
the search or filter results, and the junk finders' duplicate groups and quality flags. The
map (when ``install_map`` put one in the window) offers "decision" as a colour and rings the
sample on screen during a session.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

import numpy as np

from inspector.core.labels import queues as Q
from inspector.core.labels import states as L
from inspector.ui.review.labelling import ProposalLists, proposal_lists
from inspector.ui.review.review_dialogs import QueueChoice

DUP_TITLES = {
    "exact_duplicate": "Exact duplicates",
    "minhash_duplicate": "Near-duplicates (MinHash)",
    "semantic_duplicate": "Semantic duplicates",
}

if TYPE_CHECKING:
    from inspector.ui.review.labelling import LabelsHub, ReviewSession
    from inspector.ui.shell.main_window import MainWindow


class QueueSources:
    """Queues and map hooks for :class:`~inspector.ui.review.review_wiring.ReviewController`."""

    window: MainWindow
    hub: LabelsHub
    session: ReviewSession | None
    active: bool
    _map_hooked: bool

    def queue_choices(self) -> list[QueueChoice]:
        """The lists a review can start from, with their sizes."""
        hub, window = self.hub, self.window
        n = len(hub.codes)
        choices = [
            QueueChoice("unlabeled", "Unlabelled samples", int(np.count_nonzero(hub.codes < 0))),
            QueueChoice("all", "All samples", n),
            QueueChoice("random", "A random sample of"),
        ]
        coarse, names = self._clusters()
        if coarse is not None:
            ids, counts = np.unique(coarse[coarse >= 0], return_counts=True)
            options = tuple(
                (str(c), f"{c} · {names.get(int(c), '')} ({k:,})".replace(" ·  (", " ("))
                for c, k in zip(ids.tolist(), counts.tolist())
            )
            if options:
                choices.append(QueueChoice("cluster", "A cluster", len(options), options))
        selected = window.selected_rows()
        if len(selected) > 1:
            choices.append(QueueChoice("selection", "The selection (table or map)", len(selected)))
        search = self._search_rows()
        if search is not None:
            choices.append(QueueChoice("search", "The search or filter results", len(search)))
        lists = self._lists()
        found = lists.group_list()
        if len(found):
            by_kind = [
                (kind, f"{DUP_TITLES[kind]} ({g:,})")
                for kind, (g, _rows) in found.counts().items()
                if g
            ]
            options = (("", f"All duplicate groups ({len(found):,})"), *by_kind)
            choices.append(QueueChoice("dups", "Duplicate groups", len(found), options))
        flags = lists.flag_counts()
        if flags:
            options = tuple((r, f"{r} ({k:,})") for r, k in flags.items())
            choices.append(QueueChoice("flag", "A quality flag", len(options), options))
        return choices

    def build_queue(
        self, spec: Q.QueueSpec, *, seed: int | None = None
    ) -> tuple[Q.Queue, ProposalLists | None]:
        hub = self.hub
        lists = self._lists() if spec.kind in ("dups", "flag") else None
        coarse, _ = self._clusters() if spec.kind == "cluster" else (None, {})
        search = self._search_rows() if spec.kind == "search" else None
        queue = Q.build_queue(
            spec,
            n_rows=len(hub.codes),
            decision_codes=hub.codes,
            cluster_codes=coarse,
            flags=lists.flags if lists is not None and lists.flags.height else None,
            groups=lists.groups if lists is not None and lists.groups.height else None,
            selection=self.window.selected_rows() if spec.kind == "selection" else None,
            search=search,
            seed=secrets.randbits(31) if seed is None else seed,
        )
        return queue, lists

    # -- the map -------------------------------------------------------------------------------
    def _hook_map(self) -> None:
        panel = getattr(self.window, "map_panel", None)
        if panel is None or self._map_hooked or not hasattr(panel, "add_color_source"):
            return
        names = {code: name for name, code in L.DECISION_CODES.items()}
        panel.add_color_source(
            "decision", lambda _project: (self.hub.codes.astype(np.int64), dict(names))
        )
        self._map_hooked = True

    def _clusters(self) -> tuple[np.ndarray | None, dict[int, str]]:
        panel = getattr(self.window, "map_panel", None)
        if panel is None or not panel.has_map():
            return None, {}
        coarse, names, _fine, _fnames = panel.view.cluster_labels()
        if coarse is None or len(coarse) != len(self.hub.codes):
            return None, {}
        return np.asarray(coarse), dict(names or {})

    def _search_rows(self) -> np.ndarray | None:
        """Semantic search hits on the map, else the rows the table filter shows."""
        panel = getattr(self.window, "map_panel", None)
        if panel is not None and panel.has_map():
            hits = panel.view.highlight()
            if len(hits):
                return np.asarray(hits, dtype=np.int64)
        shown = self.window.view_rows()
        if self.window.project is not None and len(shown) < self.window.project.dataset.height:
            return shown
        return None

    def _lists(self) -> ProposalLists:
        assert self.hub.book is not None
        return proposal_lists(self.hub.book)

    def _follow_on_map(self) -> None:
        panel = getattr(self.window, "map_panel", None)
        row = self.session.current_row() if self.session is not None else None
        if panel is None or row is None or not self.active or not panel.has_map():
            return
        panel.view.set_current(row, reveal=True)

    def _recolour_map(self) -> None:
        panel = getattr(self.window, "map_panel", None)
        if panel is None or not self._map_hooked or not panel.has_map():
            return
        if panel.colour_combo.currentData() == "source:decision":
            panel.refresh_colors()
