"""The filter bar: a search box over the sample text (substring, or regex with ``.*``; case
with ``Aa``) and a condition over the dataset's columns (SQL-like, e.g. ``length(output) < 20``;
``inspector.core.data.expressions`` lists what it may hold: no files, URLs or subqueries).

It only collects the query and shows the outcome ("N of M rows match", or an inline error in
red); the window runs the query on the job runner.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QToolButton, QVBoxLayout, QWidget

from inspector.core.data.expressions import FUNCTIONS


def focus_on_clear(box: QLineEdit) -> None:
    """The clear button takes no focus on a real display: without this the keyboard stays
    where it was (the map), and keys typed "into the box" (`0`, `+`) run map shortcuts."""
    for button in box.findChildren(QToolButton):  # Qt's clear button (the only one)
        button.clicked.connect(lambda: box.setFocus(Qt.FocusReason.OtherFocusReason))


DEBOUNCE_MS = 350
ERROR_COLOUR = "#dc2626"


@dataclass(frozen=True)
class FilterQuery:
    text: str = ""
    regex: bool = False
    case: bool = False
    expr: str = ""

    @property
    def empty(self) -> bool:
        return not self.text and not self.expr.strip()


class FilterBar(QWidget):
    """Emits ``changed(FilterQuery)`` on Enter, on a toggle, or after a pause in typing."""

    changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("filter_bar")
        self.text_box = QLineEdit()
        self.text_box.setObjectName("filter_text")
        self.text_box.setPlaceholderText("Search the samples' text…")
        self.text_box.setClearButtonEnabled(True)
        self.text_box.setMinimumWidth(160)  # stays usable when features add widgets
        self.regex_button = self._toggle(".*", "Regular expression")
        self.case_button = self._toggle("Aa", "Match case")
        self.expr_box = QLineEdit()
        self.expr_box.setObjectName("filter_expr")
        self.expr_box.setPlaceholderText("Expression, e.g. length(output) < 20")
        self.expr_box.setClearButtonEnabled(True)
        for box in (self.text_box, self.expr_box):
            focus_on_clear(box)
        self.count_label = QLabel()
        self.count_label.setObjectName("filter_count")
        self.count_label.setMinimumWidth(150)
        self.count_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.error_label = QLabel()
        self.error_label.setObjectName("filter_error")
        self.error_label.setStyleSheet(f"color: {ERROR_COLOUR};")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()

        self._row = row = QHBoxLayout()
        row.setSpacing(4)
        row.addWidget(self.text_box, 3)
        row.addWidget(self.regex_button)
        row.addWidget(self.case_button)
        row.addSpacing(10)
        row.addWidget(self.expr_box, 2)
        row.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 4)
        layout.setSpacing(3)
        layout.addLayout(row)
        layout.addWidget(self.error_label)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._emit_if_new)
        self._last: FilterQuery | None = FilterQuery()
        self.text_box.textEdited.connect(self._timer.start)
        self.expr_box.textEdited.connect(self._timer.start)
        # The clear button changes the text without an edit signal.
        self.text_box.textChanged.connect(lambda t: t or self._timer.start())
        self.expr_box.textChanged.connect(lambda t: t or self._timer.start())
        self.text_box.returnPressed.connect(self.apply)
        self.expr_box.returnPressed.connect(self.apply)
        self.regex_button.toggled.connect(self.apply)
        self.case_button.toggled.connect(self.apply)

    def _toggle(self, text: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setCheckable(True)
        button.setAutoRaise(True)
        button.setFixedWidth(30)
        button.setStyleSheet(
            "QToolButton { font-family: monospace; font-weight: 600; }"
            "QToolButton:checked { background: #dbeafe; color: #1d4ed8; border-radius: 3px; }"
        )
        return button

    # -- the query --------------------------------------------------------------------------
    def add_widget(self, widget: QWidget) -> None:
        """Put a feature's widget (e.g. the decision filter) before the row count."""
        self._row.insertWidget(max(self._row.indexOf(self.count_label), 0), widget)

    def query(self) -> FilterQuery:
        return FilterQuery(
            self.text_box.text(),
            self.regex_button.isChecked(),
            self.case_button.isChecked(),
            self.expr_box.text().strip(),
        )

    def apply(self) -> None:
        """Run the query now (Enter, a toggle)."""
        self._timer.stop()
        self._last = self.query()
        self.changed.emit(self._last)

    def _emit_if_new(self) -> None:
        query = self.query()
        if query != self._last:
            self._last = query
            self.changed.emit(query)

    def set_query(self, query: FilterQuery, apply: bool = True) -> None:
        for w in (self.text_box, self.expr_box, self.regex_button, self.case_button):
            w.blockSignals(True)
        self.text_box.setText(query.text)
        self.expr_box.setText(query.expr)
        self.regex_button.setChecked(query.regex)
        self.case_button.setChecked(query.case)
        for w in (self.text_box, self.expr_box, self.regex_button, self.case_button):
            w.blockSignals(False)
        if apply:
            self.apply()
        else:
            self._last = query

    def clear(self) -> None:
        self.set_query(FilterQuery())

    def set_columns(self, columns: list[str]) -> None:
        """Name the columns an expression may use (tooltip)."""
        self.expr_box.setToolTip(
            "A condition over the columns, applied on Enter:\n"
            "  length(output) < 20\n  generator = 'gpt-4' AND length(instruction) > 200\n"
            "  output LIKE '%sorry%'   lower(tag) IN ('a', 'b')   score IS NULL\n\n"
            f"Columns: {', '.join(columns)}\n"
            f"{textwrap.fill('Functions: ' + ', '.join(FUNCTIONS), 72)}\n"
            "It sees only these columns: no SELECT, files or URLs."
        )

    # -- the outcome ------------------------------------------------------------------------
    def set_count(self, matched: int, total: int, filtered: bool) -> None:
        self.set_error("")
        if filtered:
            verb = "row matches" if matched == 1 else "rows match"
            self.count_label.setText(f"{matched:,} of {total:,} {verb}")
        else:
            self.count_label.setText(f"{total:,} row{'' if total == 1 else 's'}")

    def set_busy(self) -> None:
        self.count_label.setText("filtering…")

    def set_error(self, message: str) -> None:
        """Show what is wrong with the query under the bar (empty: hide it)."""
        self.error_label.setText(message)
        self.error_label.setVisible(bool(message))
        if message:
            self.count_label.setText("")
