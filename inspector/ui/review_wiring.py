"""Put labelling into a main window: review sessions, bulk labels, undo/redo, filter files.

``install_review(window)`` adds, through the window's action table (STYLE §4):

- Review ▸ Start Review… / Resume Review, and the session's keys (decisions, tags, moving,
  undo, redo, show in context, leave, the key overlay) from ``labels.keymap``;
- Labels ▸ Label Selection as Keep/Drop/Unsure… (confirmed, one undo), Clear Decisions of
  Selection…, Label Set…;
- Edit ▸ Undo / Redo (sessions or not); File ▸ Export Filter List… / Import Filter…;
- a decision marker and a decision filter in the table, and "decision" as a map colour.

The session view takes the central area while a session runs (the docks, the map included,
stay beside it); Esc or Enter brings the table back.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMessageBox, QStackedWidget, QWidget

from inspector.core import labels as L
from inspector.core import queues as Q
from inspector.core.commands import Changes
from inspector.ui.review import (
    LabelsHub,
    LabelUpdate,
    ProposalLists,
    ReviewSession,
    proposal_lists,
    queue_title,
)
from inspector.ui.review_dialogs import (
    ExportDialog,
    ImportDialog,
    LabelSetDialog,
    QueueChoice,
    StartReviewDialog,
    confirm_bulk_box,
)
from inspector.ui.review_table import DecisionDelegate, DecisionFilter
from inspector.ui.review_view import ReviewView, key_table
from inspector.ui.table_model import ID_COL

if TYPE_CHECKING:
    from inspector.core.filterfile import ExportResult, ImportResult
    from inspector.ui.main_window import MainWindow

DEFAULT_RANDOM = 500
MAP_FOLLOW_MS = 60  # the map's ring follows the session once keys pause this long
MIN_TAG_ACTIONS = 9
NAV = [
    ("review.next", "&Next Sample", "next"),
    ("review.previous", "&Previous Sample", "previous"),
    ("review.undo", "&Undo in Session", "undo"),
    ("review.redo", "&Redo in Session", "redo"),
    ("review.show_in_context", "Show in &Context", "show_in_context"),
    ("review.leave", "&Leave Session", "leave"),
    ("review.help", "&Keys", "help"),
]
HINTS = [
    ("review.keep", "keep"),
    ("review.drop", "drop"),
    ("review.unsure", "unsure"),
    ("review.next", "next"),
    ("review.previous", "back"),
    ("review.undo", "undo"),
    ("review.show_in_context", "in context"),
    ("review.leave", "leave"),
    ("review.help", "all keys"),
]


def install_review(window: MainWindow) -> ReviewController:
    """Add labelling to ``window`` once (a second call returns the first one's controller)."""
    existing = getattr(window, "review", None)
    if isinstance(existing, ReviewController):
        return existing
    controller = ReviewController(window)
    window.review = controller  # type: ignore[attr-defined]
    return controller


class ReviewController(QObject):
    """Owns the labels hub, the session view and the labelling actions of one window."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.hub = LabelsHub(self)
        self.view = ReviewView(self.hub)
        self.view.on_key = self._on_key
        self.session: ReviewSession | None = None
        self.active = False
        self.last_export: ExportResult | None = None
        self.last_import: ImportResult | None = None
        # the dialogs last shown (tests reach them here)
        self.start_dialog: StartReviewDialog | None = None
        self.export_dialog: ExportDialog | None = None
        self.import_dialog: ImportDialog | None = None
        self.label_set_dialog: LabelSetDialog | None = None
        self.confirm_box: QMessageBox | None = None
        self._pending_queue: str | None = None
        self._map_hooked = False

        main = window.takeCentralWidget()
        self.stack = QStackedWidget()
        self.stack.setObjectName("central_stack")
        self.stack.addWidget(main)
        self.stack.addWidget(self.view)
        window.setCentralWidget(self.stack)
        self.main_page = main

        self.delegate = DecisionDelegate(self.hub, window.table)
        window.table.setItemDelegateForColumn(ID_COL, self.delegate)
        self.decision_filter = DecisionFilter(window, self.hub)

        self._map_timer = QTimer(self)
        self._map_timer.setSingleShot(True)
        self._map_timer.setInterval(MAP_FOLLOW_MS)
        self._map_timer.timeout.connect(self._follow_on_map)
        self._colour_timer = QTimer(self)
        self._colour_timer.setSingleShot(True)
        self._colour_timer.setInterval(300)
        self._colour_timer.timeout.connect(self._recolour_map)

        window.datasetOpened.connect(self._opened)
        self.hub.changed.connect(self._labels_changed)
        self.hub.reset.connect(self._labels_reset)
        window.help_overlay.installEventFilter(self)
        self._register_actions()
        window.actions["file.close"].triggered.connect(self._closed)
        self._hook_map()
        if window.project is not None:
            self._opened(window.project)

    # -- the project ---------------------------------------------------------------------------
    def _opened(self, project) -> None:
        self._stop_session()
        self.hub.open(project)
        self._hook_map()
        self.window.actions.update_enabled()
        if self._pending_queue:
            spec, self._pending_queue = self._pending_queue, None
            self.start_when_ready(spec)

    def _closed(self) -> None:
        self._stop_session()
        self.hub.close()
        self.window.actions.update_enabled()

    def _has_data(self) -> bool:
        return self.hub.is_open and self.window.project is not None

    def in_session(self) -> bool:
        return self.active and self.session is not None

    # -- actions -------------------------------------------------------------------------------
    def _register_actions(self) -> None:
        reg = self.window.actions
        has_data = self._has_data
        reg.register(
            "file.export_filter",
            "&Export Filter List…",
            self.show_export_dialog,
            keys=["Ctrl+Shift+E"],
            menu="File",
            enabled_when=has_data,
            tip="Write the decisions as a filter file (+ manifest.json) for a training pipeline",
        )
        reg.register(
            "file.import_filter",
            "&Import Filter…",
            self.show_import_dialog,
            menu="File",
            enabled_when=has_data,
            tip="Read a filter file, an id list or a NeMo Curator Parquet back",
        )
        file_menu = reg.menu("File")
        quit_action = reg["file.quit"]
        for id_ in ("file.export_filter", "file.import_filter"):
            file_menu.removeAction(reg[id_])
            file_menu.insertAction(quit_action, reg[id_])
        file_menu.insertSeparator(quit_action)
        sep = file_menu.insertSeparator(reg["file.export_filter"])
        sep.setObjectName("review_file_separator")

        reg.register("edit.undo", "&Undo", self.undo, keys=["Ctrl+Z"], menu="Edit",
                     enabled_when=has_data)  # fmt: skip
        reg.register("edit.redo", "&Redo", self.redo, keys=["Ctrl+Shift+Z"], menu="Edit",
                     enabled_when=has_data)  # fmt: skip
        edit_menu = reg.menu("Edit")
        first = edit_menu.actions()[0]
        for id_ in ("edit.undo", "edit.redo"):
            edit_menu.removeAction(reg[id_])
            edit_menu.insertAction(first, reg[id_])
        edit_menu.insertSeparator(first)
        edit_menu.aboutToShow.connect(self._name_undo)

        reg.register(
            "review.start",
            "&Start Review…",
            self.show_start_dialog,
            keys=["Ctrl+R"],
            menu="Review",
            enabled_when=has_data,
            tip="Review a list one sample at a time: all, unlabelled, random, a cluster, …",
        )
        reg.register(
            "review.resume",
            "&Resume Review",
            self.resume,
            menu="Review",
            enabled_when=lambda: self.session is not None and not self.active,
        )
        keymap = L.keymap(self.hub.label_set)
        in_session = self.in_session
        for i, decision in enumerate(L.DECISIONS):
            reg.register(
                f"review.{decision}",
                self.hub.label_set.decision(decision).title,
                lambda d=decision: self.decide(d),
                menu="Review",
                enabled_when=in_session,
                separator_before=i == 0,
            )
        self._tag_ids: list[str] = []
        self._ensure_tag_actions(keymap)
        for id_, title, method in NAV:
            reg.register(
                id_,
                title,
                getattr(self, method),
                menu="Review",
                enabled_when=in_session,
                separator_before=id_ == "review.next",
            )
        for decision in L.DECISIONS:
            reg.register(
                f"labels.{decision}_selection",
                f"Label Selection as {decision.title()}…",
                lambda d=decision: self.label_selection(d),
                menu="Labels",
                enabled_when=has_data,
            )
        reg.register(
            "labels.clear_selection",
            "Clear Decisions of Selection…",
            lambda: self.label_selection(None),
            menu="Labels",
            enabled_when=has_data,
        )
        reg.register(
            "labels.edit_set",
            "Label &Set…",
            self.show_label_set_dialog,
            menu="Labels",
            enabled_when=has_data,
            separator_before=True,
            tip="Names, keys and colours of the decisions and tags",
        )
        self._session_ids = [f"review.{d}" for d in L.DECISIONS] + [n[0] for n in NAV]
        for id_ in self._session_ids:
            self._bind(id_, keymap)
        self._move_session_actions()

    def _bind(self, id_: str, keymap: dict[str, tuple[str, ...]]) -> None:
        """Give a session action its keys: the user's, else the label set's.

        Registered without keys, then bound here: the registry would warn that ``J`` or
        ``?`` is taken twice, but session keys only act inside the session view."""
        reg = self.window.actions
        spec = reg.spec(id_)
        spec.default_keys = tuple(keymap.get(id_, ()))
        spec.action.setShortcuts([QKeySequence(k) for k in reg.keys(id_) if k])

    def _ensure_tag_actions(self, keymap: dict[str, tuple[str, ...]]) -> None:
        reg = self.window.actions
        tags = self.hub.label_set.tags
        for n in range(1, max(MIN_TAG_ACTIONS, len(tags)) + 1):
            id_ = f"review.tag.{n}"
            title = f"Tag {n}: {tags[n - 1].name}" if n <= len(tags) else f"Tag {n} (none)"
            if id_ in reg:
                spec = reg.spec(id_)
                spec.title = title
                spec.action.setText(title)
                self._bind(id_, keymap)
                continue
            reg.register(
                id_,
                title,
                lambda n=n: self.tag_key(n),
                menu="Review",
                enabled_when=self.in_session,
                separator_before=n == 1,
            )
            self._tag_ids.append(id_)
            self._bind(id_, keymap)

    def _move_session_actions(self) -> None:
        """Session keys act only where the session view has focus: elsewhere ``J``, ``?``
        and Backspace keep their window meaning."""
        reg = self.window.actions
        for id_ in self._session_ids + self._tag_ids:
            action = reg[id_]
            if action in QWidget.actions(self.window):  # ``window.actions`` is the registry
                self.window.removeAction(action)
                self.view.addAction(action)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

    def _refresh_keys(self) -> None:
        """The view's key table and hint line from the action table's current keys."""
        reg = self.window.actions
        ids = self._session_ids + self._tag_ids
        self.view.set_keys(key_table({i: reg.keys(i) for i in ids}), self._hints())

    def _hints(self) -> list[tuple[str, str]]:
        reg = self.window.actions

        def shown(id_: str) -> str:
            keys = reg.keys(id_)[: 2 if id_ in ("review.next", "review.previous") else 1]
            return "/".join(_pretty(k) for k in keys)

        groups = self.session is not None and self.session.is_groups
        out = []
        for id_, what in HINTS:
            if groups and id_ == "review.keep":
                what = "keep all"
            elif groups and id_ == "review.drop":
                what = "drop all"
            out.append((shown(id_), what))
        tag_keys = [reg.keys(i) for i in self._tag_ids[:9]]
        first, last = (tag_keys[0][:1], tag_keys[-1][:1]) if tag_keys else ([], [])
        if first and last:
            what = "keep this one, drop the rest" if groups else "tags"
            out.insert(3, (f"{first[0]}–{last[0]}", what))
        return out

    def _name_undo(self) -> None:
        reg = self.window.actions
        book = self.hub.book
        undo = book.undo_title if book is not None else None
        redo = book.redo_title if book is not None else None
        reg["edit.undo"].setText(f"&Undo {undo}" if undo else "&Undo")
        reg["edit.redo"].setText(f"&Redo {redo}" if redo else "&Redo")

    def _on_key(self, action_id: str) -> None:
        self.window.actions.trigger(action_id)

    # -- sessions ------------------------------------------------------------------------------
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
        if lists.group_count:
            choices.append(QueueChoice("dups", "Duplicate groups", lists.group_count))
        flags = lists.flag_counts()
        if flags:
            options = tuple((r, f"{r} ({k:,})") for r, k in flags.items())
            choices.append(QueueChoice("flag", "A quality flag", len(options), options))
        return choices

    def show_start_dialog(self) -> None:
        if not self._has_data():
            return
        dialog = StartReviewDialog(
            self.queue_choices(), min(DEFAULT_RANDOM, max(len(self.hub.codes), 1)), self.window
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._start_from_dialog(dialog.spec()))
        self.start_dialog = dialog
        dialog.open()

    def _start_from_dialog(self, spec: str | None) -> None:
        if spec:
            self.start(spec)

    def start(self, spec: str | Q.QueueSpec, *, seed: int | None = None) -> ReviewSession:
        """Start a session on a queue (``"unlabeled"``, ``"random:500"``, ``"dups"``, …) and
        show it. Raises ValueError naming what is missing (no clusters, no flags, …)."""
        if not self._has_data():
            raise ValueError("open a dataset first")
        spec = Q.parse_queue(spec) if isinstance(spec, str) else spec
        queue, lists = self.build_queue(spec, seed=seed)
        _, names = self._clusters()
        title = queue_title(spec, {str(k): v for k, v in names.items()})
        session = ReviewSession(self.hub, queue, title=title, lists=lists)
        self._stop_session()
        self.session = session
        session.moved.connect(self._session_moved)
        self.enter()
        return session

    def start_when_ready(self, spec: str) -> None:
        """Start once a dataset is open (and, for a cluster list, once the map has clusters):
        what ``inspector review PATH --queue …`` does."""
        if not self._has_data():
            self._pending_queue = spec
            return
        parsed = Q.parse_queue(spec)
        panel = getattr(self.window, "map_panel", None)
        if parsed.kind == "cluster" and self._clusters()[0] is None and panel is not None:
            self.window.statusBar().showMessage("Waiting for the map's clusters…", 10_000)

            def go() -> None:
                panel.view.clustersChanged.disconnect(go)
                self.start_when_ready(spec)

            panel.view.clustersChanged.connect(go)
            return
        try:
            self.start(parsed)
        except ValueError as exc:
            self._say(f"Cannot start the review: {exc}", warn=True)

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

    def enter(self) -> None:
        """Show the session (page, keys, focus)."""
        if self.session is None:
            return
        self.active = True
        self._refresh_keys()
        self.stack.setCurrentWidget(self.view)
        self.view.set_session(self.session)
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)
        self.window.actions.update_enabled()
        self._map_timer.start()

    def resume(self) -> None:
        self.enter()

    def leave(self, *, follow: bool = True) -> None:
        """Back to the table (the session can be resumed), on the sample last shown."""
        if not self.active:
            return
        self.active = False
        self.stack.setCurrentWidget(self.main_page)
        row = self.session.current_row() if self.session is not None else None
        if follow and row is not None:
            self.window.set_current_row(row)
        self.window.table.setFocus(Qt.FocusReason.OtherFocusReason)
        self.window.actions.update_enabled()

    def show_in_context(self) -> None:
        """Leave the session view with its sample current and selected in the table and on
        the map (clearing the filters if they hide it)."""
        row = self.session.current_row() if self.session is not None else None
        self.leave(follow=False)
        if row is None:
            return
        window = self.window
        if window.model.view_positions(np.array([row]))[0] < 0:
            if self.decision_filter.choice != "any":
                self.decision_filter.combo.blockSignals(True)
                self.decision_filter.set_choice("any")
                self.decision_filter.combo.blockSignals(False)
            window.filter_bar.clear()  # an empty query shows every row at once
        window.set_current_row(row)
        window.select_rows(np.array([row]))

    def _stop_session(self) -> None:
        if self.active:
            self.leave(follow=False)
        if self.session is not None:
            self.session.close()
            self.view.set_session(None)
            self.session = None

    # -- the session's keys --------------------------------------------------------------------
    def decide(self, decision: str) -> Changes | None:
        s = self.session
        if s is None:
            return None
        if s.is_groups and decision == "keep":
            return s.keep_all()
        return s.decide(decision)

    def tag_key(self, n: int) -> Changes | None:
        """``1``–``9``: toggle the n-th tag; in a duplicate group, keep member n."""
        s = self.session
        if s is None:
            return None
        if s.is_groups:
            return s.choose_keeper(n)
        tags = self.hub.label_set.tags
        return s.toggle_tag(tags[n - 1].name) if n <= len(tags) else None

    def next(self) -> None:
        if self.session is not None:
            self.session.next()

    def previous(self) -> None:
        if self.session is not None:
            self.session.previous()

    def help(self) -> None:
        self.window.help_overlay.toggle()

    def _session_moved(self) -> None:
        self._map_timer.start()

    # -- undo, redo ----------------------------------------------------------------------------
    def undo(self) -> Changes | None:
        """Undo the latest label edit (in a session: and go back to its sample)."""
        return self._step(undo=True)

    def redo(self) -> Changes | None:
        return self._step(undo=False)

    def _step(self, undo: bool) -> Changes | None:
        if not self.hub.is_open:
            return None
        with _busy():
            if self.in_session():
                assert self.session is not None
                changes = self.session.undo() if undo else self.session.redo()
            else:
                changes = self.hub.undo() if undo else self.hub.redo()
        verb = "Undid" if undo else "Redid"
        if changes is None:
            self._say(f"Nothing to {'undo' if undo else 'redo'}")
        elif not self.in_session():
            self._say(f"{verb} {changes.title}")
        return changes

    # -- bulk ----------------------------------------------------------------------------------
    def label_selection(self, decision: str | None, *, confirm: bool = True):
        """Label the selected rows (table or map) in one step, after a confirmation that
        shows the count and a few ids. Returns the box (``confirm``) or the Changes."""
        rows = self.window.selected_rows()
        if not self._has_data():
            return None
        if not len(rows):
            self._say("Select rows in the table or on the map first", warn=True)
            return None
        if not confirm:
            return self.bulk_decide(rows, decision)
        assert self.hub.book is not None
        ids = [self.hub.book.id_of(int(r)) for r in rows[:5]]
        box = confirm_bulk_box(len(rows), decision or "no decision", ids, self.window)
        box.accepted.connect(lambda: self.bulk_decide(rows, decision))
        self.confirm_box = box
        box.open()
        return box

    def bulk_decide(self, rows: np.ndarray, decision: str | None) -> Changes | None:
        with _busy():
            changes = self.hub.decide(rows, decision)
        if changes is not None:
            self._say(f"{changes.title} (Ctrl+Z to undo)" if changes.ids else "Nothing changed")
        return changes

    # -- filter files --------------------------------------------------------------------------
    def show_export_dialog(self) -> None:
        if not self._has_data():
            return
        last = str(QSettings().value("review/export_path", ""))
        start = last or str(Path.home() / "filter.parquet")
        dialog = ExportDialog(start, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.export_in_background(*dialog.values()))
        self.export_dialog = dialog
        dialog.open()

    def export_now(
        self, path: str | Path, fmt: str | None = None, include_proposals: bool = False
    ) -> ExportResult:
        """Write the filter file and its manifest (what the Export dialog runs)."""
        from inspector.cli.cmd_labels import MANIFEST_SETTINGS
        from inspector.core.filterfile import export_filter, load_proposals

        project = self.window.project
        if project is None:
            raise ValueError("open a dataset first")
        store = project.store
        extra = {k: store.get(key) for k, key in MANIFEST_SETTINGS.items()}
        if extra["embedding_model"] is None:
            extra["embedding_model"] = store.get("map_params")
        proposals = load_proposals(store) if include_proposals else None
        result = export_filter(
            project.dataset, store, path, format=fmt, proposals=proposals, **extra
        )
        self.last_export = result
        return result

    def export_in_background(self, path: str, fmt: str, include_proposals: bool) -> None:
        if not path:
            return
        QSettings().setValue("review/export_path", path)

        def run(params: Any, _progress: Any) -> ExportResult:
            return self.export_now(*params)

        def done(result: ExportResult) -> None:
            by = ", ".join(f"{v:,} {k}" for k, v in result.counts.get("by_action", {}).items())
            self._say(f"Wrote {result.rows:,} rows to {result.path}" + (f" ({by})" if by else ""))

        def failed(exc: BaseException) -> None:
            if not isinstance(exc, ValueError | OSError):
                raise exc
            self._error("Cannot export the filter list", exc)

        self.window.jobs.submit(
            "export_filter",
            run,
            (path, fmt, include_proposals),
            label="Exporting the filter list",
            on_done=done,
            on_error=failed,
        )

    def show_import_dialog(self) -> None:
        if not self._has_data():
            return
        start = str(Path(str(QSettings().value("review/export_path", Path.home()))).parent)
        dialog = ImportDialog(start, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._import_from_dialog(*dialog.values()))
        self.import_dialog = dialog
        dialog.open()

    def _import_from_dialog(self, path: str, as_: str, reason: str | None) -> None:
        if not path:
            return
        try:
            self.import_now(path, as_=as_, reason=reason)
        except (ValueError, OSError) as exc:
            self._error("Cannot import the filter", exc)

    def import_now(
        self, path: str | Path, *, as_: str = "decisions", reason: str | None = None
    ) -> ImportResult:
        """Read a filter file back as decisions (one undoable step) or proposals."""
        from inspector.core.filterfile import import_filter

        if self.hub.book is None:
            raise ValueError("open a dataset first")
        with _busy():
            result = import_filter(self.hub.book, path, as_=as_, reason=reason)
        self.hub.absorb(result.changes)
        self.last_import = result
        missing = f"; {result.not_found:,} ids not in this data" if result.not_found else ""
        what = "decisions" if as_ == "decisions" else "proposals"
        self._say(f"Imported {result.matched:,} {what} from {Path(path).name}{missing}")
        return result

    # -- the label set ---------------------------------------------------------------------------
    def show_label_set_dialog(self) -> None:
        dialog = LabelSetDialog(self.hub.label_set, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.set_label_set(dialog.label_set()))
        self.label_set_dialog = dialog
        dialog.open()

    def set_label_set(self, label_set: L.LabelSet) -> None:
        self.hub.set_label_set(label_set)

    def _labels_reset(self) -> None:
        reg = self.window.actions
        keymap = L.keymap(self.hub.label_set)
        for decision in L.DECISIONS:
            spec = reg.spec(f"review.{decision}")
            spec.title = self.hub.label_set.decision(decision).title
            spec.action.setText(spec.title)
            self._bind(spec.id, keymap)
        self._ensure_tag_actions(keymap)
        self._move_session_actions()
        self._refresh_keys()
        self.view.sample.row = None  # redraw on the next show
        if self.session is not None:
            self.view.show_marks()
        self.window.table.viewport().update()
        self._recolour_map()

    def _labels_changed(self, update: LabelUpdate) -> None:
        self.decision_filter.labels_changed(update)
        self._colour_timer.start()

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

    # -- small things ----------------------------------------------------------------------------
    def _say(self, text: str, *, warn: bool = False) -> None:
        self.window.statusBar().showMessage(text, 8000 if warn else 5000)

    def _error(self, title: str, exc: BaseException) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Warning, title, str(exc), QMessageBox.StandardButton.Ok, self.window
        )
        box.setObjectName("review_error_box")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.window.message_box = box
        box.open()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        # the key overlay closed over a session: the keys go back to the session
        if event.type() == QEvent.Type.Hide and self.active:
            QTimer.singleShot(0, lambda: self.active and self.view.setFocus())
        return False


PRETTY_KEYS = {"Right": "→", "Left": "←", "Backspace": "⌫", "Return": "↵", "Enter": "↵",
               "Space": "Space", "Esc": "Esc"}  # fmt: skip


def _pretty(key: str) -> str:
    text = QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)
    return PRETTY_KEYS.get(text, text)


class _busy:
    """A wait cursor around work that holds the window (a bulk edit, an import)."""

    def __enter__(self) -> None:
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)

    def __exit__(self, *exc: object) -> None:
        QGuiApplication.restoreOverrideCursor()


def build_window(*, with_map: bool = True) -> MainWindow:
    """A main window with the map (if that part is installed) and labelling."""
    from inspector.ui.main_window import MainWindow

    window = MainWindow()
    if with_map:
        try:
            from inspector.ui.map_wiring import install_map
        except ImportError:
            pass
        else:
            install_map(window)
    install_review(window)
    return window


def run_review(path: str, queue: str = "unlabeled", **open_opts: Any) -> int:
    """``inspector review PATH --queue …``: the window, opened straight into a session."""
    import signal

    from inspector.ui.app import install_excepthook, make_app, setup_logging

    app = make_app()
    setup_logging()
    install_excepthook()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    window = build_window()
    window.show()
    review: ReviewController = window.review  # type: ignore[attr-defined]
    review.start_when_ready(queue)
    opts = {k: v for k, v in open_opts.items() if v is not None}
    QTimer.singleShot(0, lambda: window.open_path(path, **opts))
    return int(app.exec())
