"""Put labelling into a main window: review sessions, bulk labels, undo/redo, filter files.

:class:`ReviewController` (installed by the shell, ``inspector.ui.shell.features``) adds,
through the host's action table (STYLE §4):

- Review ▸ Start Review… / Resume Review, and the session's keys (decisions, tags, moving,
  undo, redo, show in context, leave, the key overlay) from ``labels.keymap``;
- sessions saved in the project and resumed after a restart (``review_resume``);
- Labels ▸ Label Selection as Keep/Drop/Unsure… (confirmed, one undo), Clear Decisions of
  Selection…, Label Set…;
- Edit ▸ Undo / Redo (sessions or not); File ▸ Export Filter List… / Import Filter…;
- a decision marker and a decision filter in the table, and "decision" as a map colour.

The session view takes the central area while a session runs (the docks, the map included,
stay beside it); Esc or Enter brings the table back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMessageBox, QStackedWidget, QWidget

from inspector.core.labels import queues, states
from inspector.core.labels.commands import Changes
from inspector.ui.common.table_roles import ID_COL
from inspector.ui.review.labelling import (
    LabelsHub,
    LabelUpdate,
    ReviewSession,
    queue_title,
)
from inspector.ui.review.review_dialogs import (
    LabelSetDialog,
    StartReviewDialog,
)
from inspector.ui.review.review_files import FilterFileActions, busy_cursor
from inspector.ui.review.review_notes import NoteDialog, SelectionLabels, ask_note
from inspector.ui.review.review_resume import SessionKeeper
from inspector.ui.review.review_sources import MapLink, QueueSources
from inspector.ui.review.review_table import DecisionDelegate, DecisionFilter
from inspector.ui.review.review_view import ReviewView, key_table

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from inspector.ui.common.host import Host

DEFAULT_RANDOM = 500
MAP_FOLLOW_MS = 60  # the map's ring follows the session once keys pause this long
MIN_TAG_ACTIONS = 9
NAV = [
    ("review.next", "&Next Sample", "next"),
    ("review.previous", "&Previous Sample", "previous"),
    ("review.undo", "&Undo in Session", "undo"),
    ("review.redo", "&Redo in Session", "redo"),
    ("review.show_in_context", "Show in &Context", "show_in_context"),
    ("review.note", "&Note on Sample…", "note"),
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
    ("review.note", "note"),
    ("review.leave", "leave"),
    ("review.help", "all keys"),
]


class ReviewController(QObject):
    """Owns the labels hub, the session view and the labelling actions of one window. Its
    collaborators: :class:`QueueSources` (what a review starts from), :class:`MapLink` (the map
    beside it), :class:`FilterFileActions` (export, import) and :class:`SelectionLabels`
    (labels and notes on the selection), each made here with what it uses."""

    sessionShown = Signal(object)  # ReviewSession, started or resumed, before it is shown

    def __init__(self, host: Host) -> None:
        super().__init__(host.main_window())
        self.host = host
        self.hub = LabelsHub(self)
        self.view = ReviewView(self.hub)
        self.view.on_key = self._on_key
        self.session: ReviewSession | None = None
        self.active = False
        self.sources = QueueSources(host, self.hub)
        self.map_link = MapLink(host, self.hub)
        self.files = FilterFileActions(
            host, self.hub, has_data=self._has_data, say=self._say, error=self._error
        )
        self.selection = SelectionLabels(host, self.hub, has_data=self._has_data, say=self._say)
        # the dialogs last shown (tests reach them here)
        self.start_dialog: StartReviewDialog | None = None
        self.label_set_dialog: LabelSetDialog | None = None
        self.note_dialog: NoteDialog | None = None
        self._pending_queue: str | None = None

        window = host.main_window()
        main = window.takeCentralWidget()
        self.stack = QStackedWidget()
        self.stack.setObjectName("central_stack")
        self.stack.addWidget(main)
        self.stack.addWidget(self.view)
        window.setCentralWidget(self.stack)
        self.main_page = main

        self.delegate = DecisionDelegate(self.hub, host.table)
        host.table.setItemDelegateForColumn(ID_COL, self.delegate)
        self.decision_filter = DecisionFilter(host, self.hub)

        self._map_timer = QTimer(self)
        self._map_timer.setSingleShot(True)
        self._map_timer.setInterval(MAP_FOLLOW_MS)
        self._map_timer.timeout.connect(self._follow_on_map)
        self._colour_timer = QTimer(self)
        self._colour_timer.setSingleShot(True)
        self._colour_timer.setInterval(300)
        self._colour_timer.timeout.connect(self.map_link.recolour)

        host.datasetOpened.connect(self._opened)
        self.hub.changed.connect(self._labels_changed)
        self.hub.reset.connect(self._labels_reset)
        host.help_overlay.installEventFilter(self)
        self._register_actions()
        # keys changed in Help ▸ Edit Keyboard Shortcuts… work in a session at once
        host.actions.keysChanged.connect(lambda _id: self._refresh_keys())
        host.datasetClosing.connect(self._closed)
        host.openFailed.connect(self._open_failed)
        self.map_link.hook()
        if host.project is not None:
            self._opened(host.project)
        self.resumer = SessionKeeper(self)  # saved sessions: the Review dock, Labels ▸ Resume

    # -- the project ---------------------------------------------------------------------------
    def _opened(self, project) -> None:
        self._stop_session()
        self.hub.open(project)
        self.map_link.hook()
        self.host.actions.update_enabled()
        if self._pending_queue:
            spec, self._pending_queue = self._pending_queue, None
            self.start_when_ready(spec)

    def _closed(self) -> None:
        self._pending_queue = None  # `review --queue` was for the dataset going away
        self._stop_session()
        self.hub.close()
        self.host.actions.update_enabled()

    def _open_failed(self, _message: str) -> None:
        self._pending_queue = None

    def _has_data(self) -> bool:
        return self.hub.is_open and self.host.project is not None

    def in_session(self) -> bool:
        return self.active and self.session is not None

    # -- actions -------------------------------------------------------------------------------
    def _register_actions(self) -> None:
        reg = self.host.actions
        has_data = self._has_data
        reg.register(
            "file.export_filter",
            "&Export Filter List…",
            self.files.show_export_dialog,
            keys=["Ctrl+Shift+E"],
            menu="File",
            enabled_when=has_data,
            tip="Write the decisions as a filter file (+ manifest.json) for a training pipeline",
        )
        reg.register(
            "file.import_filter",
            "&Import Filter…",
            self.files.show_import_dialog,
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
        keymap = states.keymap(self.hub.label_set)
        in_session = self.in_session
        for i, decision in enumerate(states.DECISIONS):
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
        self.selection.register_actions(reg, has_data)
        reg.register(
            "labels.edit_set",
            "Label &Set…",
            self.show_label_set_dialog,
            menu="Labels",
            enabled_when=has_data,
            separator_before=True,
            tip="Names, keys and colours of the decisions and tags",
        )
        self._session_ids = [f"review.{d}" for d in states.DECISIONS] + [n[0] for n in NAV]
        for id_ in self._session_ids:
            self._bind(id_, keymap)
        self._move_session_actions()

    def _bind(self, id_: str, keymap: dict[str, tuple[str, ...]]) -> None:
        """Give a session action its keys: the user's, else the label set's.

        Registered without keys, then bound here: the registry would warn that ``J`` or
        ``?`` is taken twice, but session keys only act inside the session view."""
        reg = self.host.actions
        spec = reg.spec(id_)
        spec.default_keys = tuple(keymap.get(id_, ()))
        spec.action.setShortcuts([QKeySequence(k) for k in reg.keys(id_) if k])

    def _ensure_tag_actions(self, keymap: dict[str, tuple[str, ...]]) -> None:
        reg = self.host.actions
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
        reg = self.host.actions
        for id_ in self._session_ids + self._tag_ids:
            action = reg[id_]
            window = self.host.main_window()
            if action in QWidget.actions(window):  # ``window.actions`` is the registry
                window.removeAction(action)
                self.view.addAction(action)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

    def _refresh_keys(self) -> None:
        """The view's key table and hint line from the action table's current keys."""
        reg = self.host.actions
        ids = self._session_ids + self._tag_ids
        self.view.set_keys(key_table({i: reg.keys(i) for i in ids}), self._hints())

    def _hints(self) -> list[tuple[str, str]]:
        reg = self.host.actions

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
        reg = self.host.actions
        book = self.hub.book
        undo = book.undo_title if book is not None else None
        redo = book.redo_title if book is not None else None
        reg["edit.undo"].setText(f"&Undo {undo}" if undo else "&Undo")
        reg["edit.redo"].setText(f"&Redo {redo}" if redo else "&Redo")

    def _on_key(self, action_id: str) -> None:
        self.host.actions.trigger(action_id)

    # -- sessions ------------------------------------------------------------------------------
    def show_start_dialog(self) -> None:
        if not self._has_data():
            return
        dialog = StartReviewDialog(
            self.sources.queue_choices(),
            min(DEFAULT_RANDOM, max(len(self.hub.codes), 1)),
            self.host.main_window(),
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._start_from_dialog(dialog.spec()))
        self.start_dialog = dialog
        dialog.open()

    def _start_from_dialog(self, spec: str | None) -> None:
        if spec:
            self.start(spec)

    def start(self, spec: str | queues.QueueSpec, *, seed: int | None = None) -> ReviewSession:
        """Start a session on a queue (``"unlabeled"``, ``"random:500"``, ``"dups"``, …) and
        show it. Raises ValueError naming what is missing (no clusters, no flags, …)."""
        if not self._has_data():
            raise ValueError("open a dataset first")
        spec = queues.parse_queue(spec) if isinstance(spec, str) else spec
        queue, lists = self.sources.build_queue(spec, seed=seed)
        _, names = self.sources.clusters()
        title = queue_title(spec, {str(k): v for k, v in names.items()})
        return self.show_session(ReviewSession(self.hub, queue, title=title, lists=lists))

    def show_session(self, session: ReviewSession) -> ReviewSession:
        """Make ``session`` the window's session (a new one, or one resumed) and show it."""
        self._stop_session()
        self.session = session
        session.moved.connect(self._session_moved)
        self.sessionShown.emit(session)
        self.enter()
        return session

    def start_when_ready(self, spec: str) -> None:
        """Start once a dataset is open (and, for a cluster list, once the map has clusters):
        what ``inspector review PATH --queue …`` does."""
        if not self._has_data():
            self._pending_queue = spec
            return
        parsed = queues.parse_queue(spec)
        panel = self.host.map_service()
        if parsed.kind == "cluster" and self.sources.clusters()[0] is None and panel is not None:
            self.host.statusBar().showMessage("Waiting for the map's clusters…", 10_000)
            clusters_changed = panel.clusters_changed

            def go() -> None:
                clusters_changed.disconnect(go)
                self.start_when_ready(spec)

            clusters_changed.connect(go)
            return
        try:
            self.start(parsed)
        except ValueError as exc:
            self._say(f"Cannot start the review: {exc}", warn=True)

    def resume_when_ready(self) -> None:
        """Resume the latest unfinished session once a dataset is open."""
        self.resumer.resume_when_ready()

    @property
    def labels_changed(self) -> SignalInstance:
        """The labels hub's ``changed`` (ReviewService: what a learn feature counts)."""
        return self.hub.changed

    def decision_codes(self) -> np.ndarray:
        return self.hub.codes

    def enter(self) -> None:
        """Show the session (page, keys, focus)."""
        if self.session is None:
            return
        self.active = True
        self._refresh_keys()
        self.stack.setCurrentWidget(self.view)
        self.view.set_session(self.session)
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)
        self.host.actions.update_enabled()
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
        window = self.host

        def in_view(r: int | None) -> bool:
            return r is not None and window.row_in_view(r)

        first = window.first_view_row()
        if follow and row is not None and in_view(row):
            window.set_current_row(int(row))
        elif not in_view(window.current_row()) and first is not None:
            # the filter hides the sample: the reader shows what the table shows
            window.set_current_row(first)
        elif not in_view(window.current_row()):
            window.sample_view.show_message("No rows match the filter.")
        window.table.setFocus(Qt.FocusReason.OtherFocusReason)
        self.host.actions.update_enabled()

    def show_in_context(self) -> None:
        """Leave the session view with its sample current and selected in the table and on
        the map (clearing the filters if they hide it)."""
        row = self.session.current_row() if self.session is not None else None
        self.leave(follow=False)
        if row is None:
            return
        window = self.host
        if not window.row_in_view(row):
            if self.decision_filter.choice != "any":
                self.decision_filter.combo.blockSignals(True)
                self.decision_filter.set_choice("any")
                self.decision_filter.combo.blockSignals(False)
            window.clear_filter()  # an empty query shows every row at once
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

    def note(self) -> None:
        """``N``: a note on the sample on screen (a duplicate group: on every member)."""
        if self.session is not None and not self.session.done:
            self.note_dialog = ask_note(
                self.hub, self.session.current_rows(), self.host.main_window()
            )

    def next(self) -> None:
        if self.session is not None:
            self.session.next()

    def previous(self) -> None:
        if self.session is not None:
            self.session.previous()

    def help(self) -> None:
        self.host.help_overlay.toggle()

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
        with busy_cursor():
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

    # -- the label set ---------------------------------------------------------------------------
    def show_label_set_dialog(self) -> None:
        dialog = LabelSetDialog(self.hub.label_set, self.host.main_window())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.set_label_set(dialog.label_set()))
        self.label_set_dialog = dialog
        dialog.open()

    def set_label_set(self, label_set: states.LabelSet) -> None:
        self.hub.set_label_set(label_set)

    def _labels_reset(self) -> None:
        reg = self.host.actions
        keymap = states.keymap(self.hub.label_set)
        for decision in states.DECISIONS:
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
        self.host.table.viewport().update()
        self.map_link.recolour()

    def _follow_on_map(self) -> None:
        row = self.session.current_row() if self.session is not None else None
        if row is not None and self.active:
            self.map_link.follow(row)

    def _labels_changed(self, update: LabelUpdate) -> None:
        self.decision_filter.labels_changed(update)
        self._colour_timer.start()

    # -- small things ----------------------------------------------------------------------------
    def _say(self, text: str, *, warn: bool = False) -> None:
        self.host.statusBar().showMessage(text, 8000 if warn else 5000)

    def _error(self, title: str, exc: BaseException) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            title,
            str(exc),
            QMessageBox.StandardButton.Ok,
            self.host.main_window(),
        )
        box.setObjectName("review_error_box")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.host.message_box = box
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
