"""A curator's note on a sample (or on every row of a selection or duplicate group): ``N`` in
a review session, Labels ▸ Note on Selection… elsewhere. The note is one undoable command,
saved on OK like every other label, shown beside the decision and written to filter files."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
)

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from inspector.core.commands import Changes
    from inspector.ui.review import LabelsHub


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
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
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
