"""Labels on a selection, and notes.

A curator's note on a sample (or on every row of a selection or duplicate group): ``N`` in a
review session, Labels ▸ Note on Selection… elsewhere. The note is one undoable command, saved
on OK like every other label, shown beside the decision and written to filter files.
:class:`SelectionLabels` is Labels ▸ Label Selection as…/Note on Selection…, a collaborator of
the review controller."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
)

from inspector.core.labels import states
from inspector.ui.common.buttons import Standard, dialog_buttons
from inspector.ui.review.review_dialogs import confirm_bulk_box
from inspector.ui.review.review_files import busy_cursor

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from inspector.core.labels.commands import Changes
    from inspector.ui.common.actions import ActionRegistry
    from inspector.ui.common.host import Host
    from inspector.ui.review.labelling import LabelsHub


class NoteDialog(QDialog):
    """The note text for ``rows``; an empty note clears it."""

    def __init__(self, rows: int, current: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("note_dialog")
        self.setWindowTitle("Note")
        what = "this sample" if rows == 1 else f"these {rows:,} samples"
        intro = QLabel(f"A note on {what}. It is exported with the decisions; empty clears it.")
        intro.setWordWrap(True)
        self.edit = QPlainTextEdit(current)
        self.edit.setObjectName("note_text")
        self.edit.setPlaceholderText("e.g. the answer cites a paper that does not exist")
        self.edit.setTabChangesFocus(True)
        buttons = dialog_buttons(self, Standard.Save)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):  # Return alone makes a new line
            QShortcut(QKeySequence(keys), self, activated=self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.edit, 1)
        layout.addWidget(buttons)
        self.resize(460, 220)
        self.edit.setFocus(Qt.FocusReason.OtherFocusReason)
        cursor = self.edit.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        self.edit.setTextCursor(cursor)

    def text(self) -> str | None:
        return self.edit.toPlainText().strip() or None


def ask_note(hub: LabelsHub, rows: np.ndarray, parent: QWidget, on_saved=None) -> NoteDialog | None:
    """Show the note dialog for dataset ``rows`` (prefilled when they share a note); Save
    applies it through the hub (so the views refresh) and calls ``on_saved(changes)``."""
    rows = np.asarray(rows, dtype=np.int64)
    if hub.book is None or not len(rows):
        return None
    notes = {hub.state(int(r)).note or "" for r in rows[:1000]}
    dialog = NoteDialog(len(rows), notes.pop() if len(notes) == 1 else "", parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def save() -> None:
        text = dialog.text()
        changes: Changes | None = hub.run(lambda book: book.set_note(rows, text))
        if on_saved is not None:
            on_saved(changes)

    dialog.accepted.connect(save)
    before = QApplication.focusWidget()  # the session view: its keys go on working after
    if before is not None:

        def give_back(_result: int) -> None:
            before.activateWindow()
            before.setFocus(Qt.FocusReason.OtherFocusReason)

        dialog.finished.connect(give_back)
    dialog.open()
    return dialog


class SelectionLabels:
    """Labelling outside a session, for :class:`~inspector.ui.review.review_wiring.ReviewController`:
    a decision or a note on the rows selected in the table or on the map."""

    def __init__(
        self,
        host: Host,
        hub: LabelsHub,
        *,
        has_data: Callable[[], bool],
        say: Callable[..., None],
    ) -> None:
        self.host = host
        self.hub = hub
        self._has_data = has_data
        self._say = say
        # the dialogs last shown (tests reach them here)
        self.confirm_box: QMessageBox | None = None
        self.note_dialog: NoteDialog | None = None

    def register_actions(self, reg: ActionRegistry, has_data: Callable[[], bool]) -> None:
        """Labels ▸ Label Selection as…, Note on Selection…, Clear Decisions of Selection…"""
        for decision in states.DECISIONS:
            reg.register(
                f"labels.{decision}_selection",
                f"Label Selection as {decision.title()}…",
                lambda d=decision: self.label_selection(d),
                menu="Labels",
                enabled_when=has_data,
            )
        reg.register(
            "labels.note_selection",
            "&Note on Selection…",
            self.note_selection,
            menu="Labels",
            enabled_when=has_data,
            tip="A note on the selected rows (or the sample shown), exported with the labels",
        )
        reg.register(
            "labels.clear_selection",
            "Clear Decisions of Selection…",
            lambda: self.label_selection(None),
            menu="Labels",
            enabled_when=has_data,
        )

    def label_selection(self, decision: str | None, *, confirm: bool = True):
        """Label the selected rows (table or map) in one step, after a confirmation that
        shows the count and a few ids. Returns the box (``confirm``) or the Changes."""
        rows = self.host.selected_rows()
        if not self._has_data():
            return None
        if not len(rows):
            self._say("Select rows in the table or on the map first", warn=True)
            return None
        if not confirm:
            return self.bulk_decide(rows, decision)
        assert self.hub.book is not None
        ids = [self.hub.book.id_of(int(r)) for r in rows[:5]]
        box = confirm_bulk_box(len(rows), decision or "no decision", ids, self.host.main_window())
        box.accepted.connect(lambda: self.bulk_decide(rows, decision))
        self.confirm_box = box
        box.open()
        return box

    def bulk_decide(self, rows: np.ndarray, decision: str | None) -> Changes | None:
        with busy_cursor():
            changes = self.hub.decide(rows, decision)
        if changes is not None:
            self._say(f"{changes.title} (Ctrl+Z to undo)" if changes.ids else "Nothing changed")
        return changes

    def note_selection(self) -> None:
        rows = self.host.selected_rows()
        if not len(rows) and self.host.current_row() is not None:
            rows = np.array([self.host.current_row()], dtype=np.int64)
        if self._has_data() and len(rows):
            self.note_dialog = ask_note(self.hub, rows, self.host.main_window(), self._noted)

    def _noted(self, changes: Changes | None) -> None:
        if changes is not None:
            self._say(f"{changes.title} (Ctrl+Z to undo)" if changes.ids else "Nothing changed")
