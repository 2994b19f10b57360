"""The table by decision: a coloured marker on each decided row and a "decision" filter.

The marker is a delegate on the id column that reads the hub's decision codes, so a label
edit repaints only what is on screen. The filter narrows whatever the text/expression filter
shows (it re-applies each time that filter runs) and goes back to it on "any".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QRect
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox, QStyledItemDelegate

from inspector.core.labels import states
from inspector.ui.common.table_roles import DATASET_ROW_ROLE

if TYPE_CHECKING:
    from inspector.ui.common.host import Host
    from inspector.ui.review.labelling import LabelsHub, LabelUpdate

FILTERS = ("any", "none", "keep", "drop", "unsure")
MARK_WIDTH = 4


class DecisionDelegate(QStyledItemDelegate):
    """Draws the id cell, then a bar in the row's decision colour at its left edge."""

    def __init__(self, hub: LabelsHub, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.hub = hub

    def paint(self, painter, option, index) -> None:
        super().paint(painter, option, index)
        row = index.data(DATASET_ROW_ROLE)
        codes = self.hub.codes
        if row is None or not 0 <= row < len(codes):
            return
        decision = states.DECISION_OF_CODE.get(int(codes[row]))
        if decision is None:
            return
        r = option.rect
        painter.fillRect(
            QRect(r.left(), r.top() + 2, MARK_WIDTH, r.height() - 4),
            QColor(self.hub.colour(decision)),
        )


class DecisionFilter(QObject):
    """A "decision: any/none/keep/drop/unsure" box in the filter bar."""

    def __init__(self, window: Host, hub: LabelsHub) -> None:
        super().__init__(window.main_window())
        self.window = window
        self.hub = hub
        self._base: np.ndarray | None = None  # what the text/expression filter shows
        self._applying = False
        self.combo = QComboBox()
        self.combo.setObjectName("decision_filter")
        self.combo.setToolTip("Show only rows with this decision")
        for name in FILTERS:
            self.combo.addItem(f"decision: {name}", name)
        self.combo.currentIndexChanged.connect(self._changed)
        window.add_filter_widget(self.combo)
        window.filterApplied.connect(self._filter_ran)
        window.datasetOpened.connect(self._opened)
        window.datasetClosing.connect(lambda: self._opened(None))  # back to "any"

    @property
    def choice(self) -> str:
        return str(self.combo.currentData())

    def set_choice(self, name: str) -> None:
        self.combo.setCurrentIndex(FILTERS.index(name))

    def _opened(self, _project) -> None:
        self._base = None
        self.combo.blockSignals(True)
        self.combo.setCurrentIndex(0)
        self.combo.blockSignals(False)

    def _filter_ran(self, n: int) -> None:
        if self._applying or n < 0 or self.window.project is None:
            return  # (rows shown before their ids: no labels to filter by yet)
        self._base = self.window.base_rows()
        if self.choice != "any":
            self._apply()

    def _changed(self) -> None:
        if self.window.project is None:
            return
        if self.choice == "any":
            if self._base is None or self.window.filter_is_empty():
                self.window.apply_filter()  # no text filter: every row, at once
                return
            self._show(self._base)  # back to what the text filter found
            return
        if self._base is None:
            self._base = self.window.base_rows()
        self._apply()

    def _apply(self) -> None:
        assert self._base is not None
        choice = self.choice
        decision = None if choice == "none" else choice
        self._show(self.hub.rows_with(decision, self._base))

    def _show(self, rows: np.ndarray) -> None:
        self._applying = True
        try:
            self.window.set_view_rows(rows)
        finally:
            self._applying = False

    def labels_changed(self, _update: LabelUpdate) -> None:
        """Repaint the markers on screen (rows that no longer match stay until the filter
        runs again: a row must not vanish under the pointer)."""
        self.window.table.viewport().update()
