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
from PySide6.QtWidgets import QMessageBox, QStackedWidget

from inspector.core.labels import queues, states
from inspector.core.labels.commands import Changes
from inspector.ui.common.table_roles import ID_COL
from inspector.ui.review.labelling import (
    LabelsHub,
    LabelUpdate,
    ReviewSession,
    queue_title,
)
from inspector.ui.review.review_actions import ReviewActions
from inspector.ui.review.review_dialogs import (
    LabelSetDialog,
    StartReviewDialog,
)
from inspector.ui.review.review_files import FilterFileActions, busy_cursor
from inspector.ui.review.review_notes import NoteDialog, SelectionLabels, ask_note
from inspector.ui.review.review_resume import SessionKeeper
from inspector.ui.review.review_sources import MapLink, QueueSources
from inspector.ui.review.review_table import DecisionDelegate, DecisionFilter
from inspector.ui.review.review_view import ReviewView

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from inspector.ui.common.host import Host

DEFAULT_RANDOM = 500
MAP_FOLLOW_MS = 60  # the map's ring follows the session once keys pause this long


class ReviewController(ReviewActions, QObject):
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

    def requeue_learned(self) -> bool:
        """After the quality model was retrained: an open learned list (``learn:uncertain``,
        ``learn:likely-drop``) takes the new model's order for the rows after the sample on
        screen, so the next labels are the ones the new model asks for."""
        session = self.session
        if session is None or session.queue.spec.kind != "learn" or session.done:
            return False
        try:
            queue, _ = self.sources.build_queue(session.queue.spec)
        except ValueError:  # the model is gone or no longer fits the rows: keep the list
            return False
        if not session.requeue(queue.rows):
            return False
        self._say(
            f"Quality model retrained: the rest of this list follows it ({len(session):,} in all)"
        )
        return True

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

    def decision_count(self, code: int) -> int:
        return self.hub.count(code)

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
