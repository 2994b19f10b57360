"""Review sessions that survive a restart (a part of the review controller).

:class:`SessionKeeper` saves the window's session in the project
(:class:`inspector.core.labels.review_state.SessionLog`): its exact list of row ids when it starts,
its place on every move, "finished" once it reaches the end of the list. When a dataset
opens with an unfinished session, the Review dock offers it plainly ("Resume ‘Cluster 4’ —
37 of 120 decided"), and so does Labels ▸ Resume Review Session; resuming rebuilds the saved
list and goes to the first undecided sample at or after the saved place.
``inspector review PATH --resume`` does the same once the data is open.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inspector.core.labels import states
from inspector.core.labels.review_state import (
    RestoredSession,
    SavedSession,
    SessionLog,
    first_undecided,
)
from inspector.ui.review.labelling import ReviewSession, proposal_lists
from inspector.ui.review.review_files import busy_cursor

if TYPE_CHECKING:
    from inspector.core.project import Project
    from inspector.ui.review.review_wiring import ReviewController

log = logging.getLogger("inspector.ui")

RESUME_ID = "labels.resume_session"
PANEL_REFRESH_MS = 250  # the dock's progress follows the session once keys pause this long
# The place is written once keys pause this long (and at once when the list ends, the dataset
# closes or the window closes): a synced write on every key doubled the key-to-paint time,
# and decisions are durable on their own key press anyway.
SAVE_PLACE_MS = 400
MUTED = "#6b7280"


def resume_text(saved: SavedSession) -> str:
    """ "Resume ‘Cluster 4 · recipes’ — 37 of 120 decided"."""
    return f"Resume ‘{saved.title}’ — {saved.progress_text()}"


def decided_in(session: ReviewSession) -> int:
    """The session's samples that have a decision now."""
    progress = session.progress()
    return sum(progress[d] for d in states.DECISIONS)


class ReviewPanel(QWidget):
    """The Review dock: the unfinished session to resume, the recent ones, Start Review…"""

    resumeRequested = Signal(int)  # a saved session's id
    startRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("review_panel")
        self.status = QLabel("Open a dataset to review it.")
        self.status.setObjectName("review_panel_status")
        self.status.setWordWrap(True)
        self.resume_button = QPushButton()
        self.resume_button.setObjectName("resume_button")
        self.resume_button.setStyleSheet("text-align: left; padding: 6px 10px; font-weight: 600;")
        self.resume_button.clicked.connect(self._resume_offered)
        self.resume_button.hide()
        self.start_button = QPushButton("Start Review…")
        self.start_button.setObjectName("start_review_button")
        self.start_button.clicked.connect(self.startRequested)
        self.recent_label = QLabel("Recent sessions (double-click to resume)")
        self.recent_label.setStyleSheet(f"color: {MUTED};")
        self.recent = QListWidget()
        self.recent.setObjectName("recent_sessions")
        self.recent.itemActivated.connect(self._activated)
        self.recent.setMaximumHeight(self.fontMetrics().height() * 8)  # five, with room
        self.offer: SavedSession | None = None

        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.resume_button)
        layout.addWidget(self.start_button)
        layout.addWidget(self.recent_label)
        layout.addWidget(self.recent, 1)

    def show_sessions(
        self,
        sessions: list[SavedSession],
        offer: SavedSession | None,
        current: SavedSession | None,
        *,
        has_data: bool,
    ) -> None:
        """``offer``: the session to resume (none while it is on screen); ``current``: the
        session on screen."""
        self.offer = offer
        self.start_button.setEnabled(has_data)
        if not has_data:
            self.status.setText("Open a dataset to review it.")
        elif current is not None:
            self.status.setText(f"Reviewing ‘{current.title}’ — {current.progress_text()}.")
        elif offer is not None:
            self.status.setText("You have an unfinished review session:")
        else:
            self.status.setText(
                "Review a list one sample at a time; your place is saved as you go."
            )
        self.resume_button.setVisible(offer is not None)
        if offer is not None:
            self.resume_button.setText(resume_text(offer))
            self.resume_button.setToolTip(
                f"Go back to ‘{offer.title}’ at the first sample not yet decided "
                f"(last used {offer.updated[:16].replace('T', ' ')} UTC)"
            )
        self.recent.clear()
        for saved in sessions:
            done = " · finished" if saved.finished else ""
            item = QListWidgetItem(f"{saved.title} — {saved.progress_text()}{done}")
            item.setData(Qt.ItemDataRole.UserRole, saved.id)
            item.setToolTip(
                f"{saved.spec} · {saved.items:,} {'groups' if saved.grouped else 'samples'} · "
                f"started {saved.started[:16].replace('T', ' ')} UTC"
            )
            if saved.finished:
                item.setForeground(QColor(MUTED))
            self.recent.addItem(item)
        self.recent_label.setVisible(bool(sessions))
        self.recent.setVisible(bool(sessions))

    def _resume_offered(self) -> None:
        if self.offer is not None:
            self.resumeRequested.emit(self.offer.id)

    def _activated(self, item: QListWidgetItem) -> None:
        # after the list's own signal handling: resuming rebuilds the list (deletes the item)
        session_id = int(item.data(Qt.ItemDataRole.UserRole))
        QTimer.singleShot(0, lambda: self.resumeRequested.emit(session_id))


class SessionKeeper(QObject):
    """Saves the window's review sessions in the project and resumes them."""

    def __init__(self, controller: ReviewController) -> None:
        super().__init__(controller)
        self.controller = controller
        self.host = controller.host
        self._log: SessionLog | None = None
        self.offer: SavedSession | None = None  # the latest unfinished session, if any
        self.last_restored: RestoredSession | None = None
        self._tracked: tuple[ReviewSession, SessionLog] | None = None
        self._pending_resume = False

        self.panel = ReviewPanel()
        self.panel.resumeRequested.connect(self.resume)
        self.panel.startRequested.connect(controller.show_start_dialog)
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        self.dock = self.host.add_dock(self.panel, "Review", left)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(PANEL_REFRESH_MS)
        self._refresh_timer.timeout.connect(self.refresh)
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_PLACE_MS)
        self._save_timer.timeout.connect(self.save_place)
        self.host.main_window().installEventFilter(
            self
        )  # the place is saved before the window closes

        self.host.actions.register(
            RESUME_ID,
            "&Resume Review Session",
            self.resume,
            menu="Labels",
            enabled_when=self.can_resume,
            tip="Go back to the unfinished review session saved in this project",
        )
        labels_menu = self.host.actions.menu("Labels")
        action = self.host.actions[RESUME_ID]
        first = labels_menu.actions()[0]
        if first is not action:  # first in the menu, with a line under it
            labels_menu.removeAction(action)
            labels_menu.insertAction(first, action)
            labels_menu.insertSeparator(first)

        self.host.datasetOpened.connect(self._opened)
        self.host.datasetClosing.connect(self._closed)
        self.host.openFailed.connect(self._open_failed)
        controller.sessionShown.connect(self._shown)
        controller.stack.currentChanged.connect(self._view_changed)
        if self.host.project is not None and controller.hub.is_open:
            self._opened(self.host.project)
        else:
            self.refresh()

    # -- the project -------------------------------------------------------------------------
    @property
    def log(self) -> SessionLog | None:
        """The saved sessions of the project open in the window (None when none is)."""
        project = self.controller.hub.project
        if project is None:
            self._log = None
        elif self._log is None or self._log.store is not project.store:
            self._log = SessionLog(project.store)
        return self._log

    def _opened(self, project: Project) -> None:
        self.refresh()
        if self._pending_resume:
            self._pending_resume = False
            if self.resume() is None:
                self.controller._error(
                    "No review session to resume",
                    ValueError(
                        f"{project.dataset.name} has no unfinished review session. "
                        "Start one with Review ▸ Start Review… (Ctrl+R)."
                    ),
                )
        elif self.offer is not None:
            self.dock.show()
            self.dock.raise_()
            self.controller._say(f"Unfinished review: {resume_text(self.offer)}")

    def _view_changed(self, _index: int) -> None:
        self.save_place()  # leaving the session view: its place, before the list is shown
        self.refresh()

    def _closed(self) -> None:
        self.save_place()  # the store is still open: the place of the last keys goes in
        self._pending_resume = False
        self._tracked = None
        self.refresh()

    def _open_failed(self, _message: str) -> None:
        self._pending_resume = False

    def resume_when_ready(self) -> None:
        """Resume the latest unfinished session once a dataset is open (``--resume``)."""
        if self.controller._has_data():
            self.resume()
        else:
            self._pending_resume = True

    # -- saving --------------------------------------------------------------------------------
    def _shown(self, session: ReviewSession) -> None:
        """A session starts (saved now, with its list) or is resumed (already saved)."""
        book = self.controller.hub.book
        session_log = self.log
        if session_log is None or book is None:
            return
        try:
            if session.saved_id is None:
                ids = book.ids.gather(session.queue.rows)
                saved = session_log.save_new(
                    session.queue,
                    ids,
                    title=session.title,
                    position=session.index,
                    decided=decided_in(session),
                )
                session.saved_id = saved.id
        except sqlite3.Error:
            log.exception("cannot save the review session")
            return
        self.save_place()  # the session before this one, if its place is still to be written
        self._tracked = (session, session_log)
        session.moved.connect(functools.partial(self._moved, session))
        session.requeued.connect(functools.partial(self._requeued, session))
        self.save_place()

    def _requeued(self, session: ReviewSession) -> None:
        """The session's list changed (a learned list after a retrain): save the new list."""
        book = self.controller.hub.book
        if self._tracked is None or self._tracked[0] is not session or book is None:
            return
        session_log = self._tracked[1]
        if session.saved_id is None or session_log is not self.log:
            return
        try:
            session_log.replace_rows(
                session.saved_id, session.queue, book.ids.gather(session.queue.rows)
            )
        except sqlite3.Error:
            log.exception("cannot save the review session's new list")
            return
        self.save_place()

    def _moved(self, session: ReviewSession) -> None:
        if self._tracked is None or self._tracked[0] is not session:
            return  # not the window's session any more
        if session.done:
            self.save_place()
        else:
            self._save_timer.start()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if obj is self.host.main_window() and event.type() == QEvent.Type.Close:
            self.save_place()
        return False

    def save_place(self) -> None:
        """Write the tracked session's place now (and, at the end of the list, that it is
        finished)."""
        self._save_timer.stop()
        if self._tracked is None:
            return
        session, session_log = self._tracked
        if session.saved_id is None or session_log is not self.log:
            return  # a session of a project since closed
        try:
            if session.done:
                session_log.finish(session.saved_id, decided=decided_in(session))
            else:
                session_log.save_position(
                    session.saved_id, session.index, decided=decided_in(session)
                )
        except sqlite3.Error:  # e.g. the store closed under a late signal
            log.exception("cannot save the review session's place")
            return
        if session.done:
            self.refresh()
        else:
            self._refresh_timer.start()

    # -- resuming ------------------------------------------------------------------------------
    def can_resume(self) -> bool:
        """An unfinished session is saved and it is not the one on screen."""
        if self.offer is None or not self.controller._has_data():
            return False
        session = self.controller.session
        on_screen = self.controller.in_session() and session is not None
        return not (on_screen and session.saved_id == self.offer.id)  # type: ignore[union-attr]

    def resume(self, session_id: int | None = None) -> ReviewSession | None:
        """Resume a saved session (default: the latest unfinished one) at its first undecided
        sample at or after the saved place. Returns the session, or None when there is none."""
        ctrl = self.controller
        book = ctrl.hub.book
        session_log = self.log
        if session_log is None or book is None or not ctrl._has_data():
            return None
        saved = (
            session_log.latest_unfinished() if session_id is None else session_log.get(session_id)
        )
        if saved is None or saved.finished:
            what = "That review session is finished" if saved else "No review session to resume"
            ctrl._say(what, warn=True)
            return None
        current = ctrl.session
        if current is not None and current.saved_id == saved.id:
            ctrl.enter()  # it is still in memory, where it was left
            return current
        with busy_cursor():
            restored = session_log.restore(saved.id, book)
            lists = proposal_lists(book) if saved.spec.kind in ("dups", "flag") else None
            session = ReviewSession(ctrl.hub, restored.queue, title=saved.title, lists=lists)
        session.saved_id = saved.id
        session.index = first_undecided(restored.queue, ctrl.hub.codes, restored.position)
        self.last_restored = restored
        session_log.touch(saved.id)
        ctrl.show_session(session)
        where = (
            f"at {session.index + 1:,} of {len(session):,}" if not session.done else "at its end"
        )
        gone = (
            f" · {restored.missing:,} saved samples are no longer in the data and were left out"
            if restored.missing
            else ""
        )
        ctrl._say(f"Resumed ‘{saved.title}’ {where}{gone}", warn=bool(restored.missing))
        return session

    # -- showing -------------------------------------------------------------------------------
    def refresh(self) -> None:
        """The offer, the dock and the action from what the store holds now."""
        self._refresh_timer.stop()
        sessions: list[SavedSession] = []
        self.offer = None
        current: SavedSession | None = None
        session_log = self.log
        if session_log is not None:
            try:
                sessions = session_log.recent()
                self.offer = session_log.latest_unfinished()
            except sqlite3.Error:
                log.exception("cannot read the saved review sessions")
        session = self.controller.session
        if self.controller.in_session() and session is not None:
            current = next((s for s in sessions if s.id == session.saved_id), None)
        offer = self.offer
        if offer is not None and current is not None and offer.id == current.id:
            offer = None
        self.panel.show_sessions(sessions, offer, current, has_data=self.controller._has_data())
        self.host.actions.update_enabled()
