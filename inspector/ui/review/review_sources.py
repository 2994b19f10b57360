"""What a review can start from (:class:`QueueSources`), and the map beside it
(:class:`MapLink`): two collaborators of the review controller.

Lists: all rows, unlabelled rows, a random sample, a map cluster, the table/map selection,
the search or filter results, the junk finders' duplicate groups and quality flags, and the
learned model's lists (likely drop, most uncertain). The map (when the host has one) offers
"decision" as a colour and rings the sample on screen during a session.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

import numpy as np

from inspector.core.labels import queues, states
from inspector.ui.review.labelling import ProposalLists, proposal_lists
from inspector.ui.review.review_dialogs import QueueChoice

DUP_TITLES = {
    "exact_duplicate": "Exact duplicates",
    "minhash_duplicate": "Near-duplicates (MinHash)",
    "semantic_duplicate": "Semantic duplicates",
}

if TYPE_CHECKING:
    from inspector.ui.common.host import Host
    from inspector.ui.review.labelling import LabelsHub


class QueueSources:
    """The lists a review of ``hub``'s labels can start from, in the host's window."""

    def __init__(self, host: Host, hub: LabelsHub) -> None:
        self.host = host
        self.hub = hub

    def queue_choices(self) -> list[QueueChoice]:
        """The lists a review can start from, with their sizes."""
        hub, window = self.hub, self.host
        n = len(hub.codes)
        choices = [
            QueueChoice("unlabeled", "Unlabelled samples", int(np.count_nonzero(hub.codes < 0))),
            QueueChoice("all", "All samples", n),
            QueueChoice("random", "A random sample of"),
        ]
        coarse, names = self.clusters()
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
        choices.append(self._learned_choice())
        return choices

    def _learned_choice(self) -> QueueChoice:
        """The learned model's lists (``learn:likely-drop``, ``learn:uncertain``) with the rows
        each queue holds: rows without a decision that the model scored, likely drop those
        under the cut. Without a saved model the choice is offered disabled, saying why."""
        p = self._keep_probability()
        if p is None or len(p) != len(self.hub.codes):
            return QueueChoice("learn", "A learned list (no quality model yet)", 0)
        open_rows = (self.hub.codes == states.NO_DECISION) & ~np.isnan(p)
        drop = int(np.count_nonzero(open_rows & (p < queues.LEARN_CUT)))
        unsure = int(np.count_nonzero(open_rows))
        options = (
            ("likely-drop", f"Likely drop (learned, p < {queues.LEARN_CUT:g}) ({drop:,})"),
            ("uncertain", f"Most uncertain (learned), least sure first ({unsure:,})"),
        )
        return QueueChoice("learn", "A learned list", len(options), options)

    def build_queue(
        self, spec: queues.QueueSpec, *, seed: int | None = None
    ) -> tuple[queues.Queue, ProposalLists | None]:
        hub = self.hub
        lists = self._lists() if spec.kind in ("dups", "flag") else None
        coarse, _ = self.clusters() if spec.kind in ("cluster", "learn") else (None, {})
        search = self._search_rows() if spec.kind == "search" else None
        queue = queues.build_queue(
            spec,
            n_rows=len(hub.codes),
            decision_codes=hub.codes,
            cluster_codes=coarse,
            flags=lists.flags if lists is not None and lists.flags.height else None,
            groups=lists.groups if lists is not None and lists.groups.height else None,
            selection=self.host.selected_rows() if spec.kind == "selection" else None,
            search=search,
            seed=secrets.randbits(31) if seed is None else seed,
            keep_probability=self._keep_probability() if spec.kind == "learn" else None,
            learned_head=self._learned_head() if spec.kind == "learn" else None,
        )
        return queue, lists

    def _keep_probability(self) -> np.ndarray | None:
        """The saved learned score of each row (None: no model yet), read when a learn
        queue is built: a retrain in the background has replaced the file when it finished."""
        from inspector.core.learn.project_learn import learned_keep_probability

        project = self.host.project
        return None if project is None else learned_keep_probability(project)

    def _learned_head(self) -> np.ndarray | None:
        """The rows learn:uncertain starts with, as the saved model's run picked them."""
        from inspector.core.learn.project_learn import learned_review_head

        project = self.host.project
        return None if project is None else learned_review_head(project)

    def clusters(self) -> tuple[np.ndarray | None, dict[int, str]]:
        """The map's coarse cluster of each row and the clusters' names (None: no map)."""
        panel = self.host.map_service()
        if panel is None or not panel.has_map():
            return None, {}
        coarse, names, _fine, _fnames = panel.cluster_labels()
        if coarse is None or len(coarse) != len(self.hub.codes):
            return None, {}
        return np.asarray(coarse), dict(names or {})

    def _search_rows(self) -> np.ndarray | None:
        """Semantic search hits on the map, else the rows the table filter shows."""
        panel = self.host.map_service()
        if panel is not None and panel.has_map():
            hits = panel.highlight()
            if len(hits):
                return np.asarray(hits, dtype=np.int64)
        shown = self.host.view_rows()
        if self.host.project is not None and len(shown) < self.host.project.dataset.height:
            return shown
        return None

    def _lists(self) -> ProposalLists:
        assert self.hub.book is not None
        return proposal_lists(self.hub.book)


class MapLink:
    """The map beside a review: "decision" as a colour, and the ring on the session's sample."""

    def __init__(self, host: Host, hub: LabelsHub) -> None:
        self.host = host
        self.hub = hub
        self.hooked = False

    def hook(self) -> None:
        """Offer "decision" as a map colour (once the host has a map)."""
        panel = self.host.map_service()
        if panel is None or self.hooked:
            return
        names = {code: name for name, code in states.DECISION_CODES.items()}
        panel.add_color_source(
            "decision", lambda _project: (self.hub.codes.astype(np.int64), dict(names))
        )
        self.hooked = True

    def follow(self, row: int) -> None:
        """Ring ``row`` on the map and bring it into view."""
        panel = self.host.map_service()
        if panel is not None and panel.has_map():
            panel.set_current(row, reveal=True)

    def recolour(self) -> None:
        """Redraw the decision colours (when the map is coloured by them)."""
        panel = self.host.map_service()
        if panel is None or not self.hooked or not panel.has_map():
            return
        if panel.colour_key() == "source:decision":
            panel.refresh_colors()
