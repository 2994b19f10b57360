"""The sample table view: fixed row heights (a million rows cost nothing to lay out), a
header that sorts by id, length or source, and selection expressed as *dataset* rows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from inspector.ui.data.table_model import (
    ID_COL,
    LENGTH_COL,
    PREVIEW_COL,
    SORTABLE,
    SOURCE_COL,
    SampleTableModel,
)

COLUMN_NAMES = {"id": ID_COL, "preview": PREVIEW_COL, "length": LENGTH_COL, "source": SOURCE_COL}


class _ElideLeft(QStyledItemDelegate):
    """``…/train-00003.jsonl:1204``: a long path keeps its end (file name and line) in view."""

    def initStyleOption(self, option: QStyleOptionViewItem, index) -> None:  # noqa: N802
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideLeft


class SampleTable(QTableView):
    """A table over a :class:`SampleTableModel` speaking in dataset rows."""

    currentDatasetRowChanged = Signal(int)
    selectedRowsChanged = Signal(object)  # np.ndarray of dataset rows

    def __init__(self, model: SampleTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sample_table")
        self.sample_model = model
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setShowGrid(False)
        self.setAlternatingRowColors(True)
        self.setCornerButtonEnabled(False)
        vh = self.verticalHeader()
        vh.hide()
        # Fixed row heights: the view never measures rows, so a million rows cost nothing.
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(self.fontMetrics().height() + 10)
        hh = self.horizontalHeader()
        hh.setHighlightSections(False)
        # The header asks the table's selection whether each column is wholly selected, which
        # Qt answers by visiting every selected row: 10 s a paint with 1M rows selected. Its
        # own (always empty) selection model answers at once; sorting is by click, not by it.
        hh.setSelectionModel(QItemSelectionModel(model, hh))
        hh.setSectionsClickable(True)
        hh.setSortIndicatorShown(True)
        hh.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        hh.setStretchLastSection(False)
        hh.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self._elide_left = _ElideLeft(self)
        self.setItemDelegateForColumn(SOURCE_COL, self._elide_left)
        for col, width in ((ID_COL, 150), (LENGTH_COL, 64), (SOURCE_COL, 150)):
            hh.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
            self.setColumnWidth(col, width)
        hh.setSectionResizeMode(PREVIEW_COL, QHeaderView.ResizeMode.Stretch)
        hh.sectionClicked.connect(self._on_header_clicked)
        # The rows of the last programmatic select_rows (None: ask the selection model).
        self._selected: np.ndarray | None = None
        self._selecting = False
        sel = self.selectionModel()
        sel.currentRowChanged.connect(self._on_current_changed)
        sel.selectionChanged.connect(self._on_selection_changed)
        model.modelReset.connect(self._forget_selection)
        model.layoutChanged.connect(self._forget_selection)

    # -- sorting ----------------------------------------------------------------------------
    def sort_by(self, column: str, descending: bool = False) -> None:
        """Sort by ``id``, ``length`` or ``source``; "" goes back to file order."""
        with self.keeping_selection():
            if not column:
                self.sample_model.clear_sort()
            else:
                order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
                self.sample_model.sort(COLUMN_NAMES[column], order)
        self._after_sort()

    def _on_header_clicked(self, column: int) -> None:
        # Click: ascending; again: descending; a third time: back to file order.
        state = self.sample_model.sort_state
        if column not in SORTABLE:
            return
        with self.keeping_selection():
            if state is None or state[0] != column:
                self.sample_model.sort(column, Qt.SortOrder.AscendingOrder)
            elif state[1] == Qt.SortOrder.AscendingOrder:
                self.sample_model.sort(column, Qt.SortOrder.DescendingOrder)
            else:
                self.sample_model.clear_sort()
        self._after_sort()

    @contextmanager
    def keeping_selection(self) -> Iterator[None]:
        """Re-order the rows inside this block; the same dataset rows stay selected and
        current. The selection is set aside first: through a re-layout Qt carries every
        selected cell as a persistent index (18 s to sort with 1M rows selected)."""
        rows = self.selected_rows()
        current = self.current_dataset_row()
        sel = self.selectionModel()
        sel.blockSignals(True)  # set aside, not changed: nobody needs to hear of it
        sel.clear()
        sel.blockSignals(False)
        try:
            yield
        finally:
            if rows.size:
                self.select_rows(rows)
            pos = -1 if current is None else int(self.sample_model.view_positions([current])[0])
            if pos >= 0:
                index = self.sample_model.index(pos, 0)
                sel.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)

    def _after_sort(self) -> None:
        state = self.sample_model.sort_state
        hh = self.horizontalHeader()
        if state is None:
            hh.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        else:
            hh.setSortIndicator(state[0], state[1])
        index = self.currentIndex()
        if index.isValid():
            self.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)

    # -- current row and selection ----------------------------------------------------------
    def _on_current_changed(self, current, _previous) -> None:
        if current.isValid():
            self.currentDatasetRowChanged.emit(self.sample_model.dataset_row(current.row()))

    def current_dataset_row(self) -> int | None:
        index = self.currentIndex()
        return self.sample_model.dataset_row(index.row()) if index.isValid() else None

    def set_current_dataset_row(self, row: int) -> bool:
        """Make dataset ``row`` current and selected; False if it is not in view."""
        pos = int(self.sample_model.view_positions(np.array([row]))[0])
        if pos < 0:
            return False
        index = self.sample_model.index(pos, 0)
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        self.selectionModel().setCurrentIndex(index, flags)
        self.scrollTo(index)
        return True

    def row_after(self, step: int) -> int | None:
        """The dataset row ``step`` places below (above, if negative) the current one."""
        n = self.sample_model.rowCount()
        if not n:
            return None
        index = self.currentIndex()
        pos = min(max((index.row() if index.isValid() else -1) + step, 0), n - 1)
        return self.sample_model.dataset_row(pos)

    def _forget_selection(self) -> None:
        self._selected = None

    def _on_selection_changed(self, *_args) -> None:
        if self._selecting:
            return
        self._selected = None
        self.selectedRowsChanged.emit(self.selected_rows())

    def selected_rows(self) -> np.ndarray:
        """The dataset rows selected (sorted, unique)."""
        if self._selected is not None:
            return self._selected.copy()
        view = self.sample_model.view_rows()
        parts = [view[r.top() : r.bottom() + 1] for r in self.selectionModel().selection()]
        if not parts:
            return np.zeros(0, dtype=np.int64)
        return np.unique(np.concatenate(parts))

    def select_rows(self, rows: np.ndarray) -> None:
        """Select these dataset rows (those not in view are left out); runs of neighbouring
        rows become one selection range.

        Qt keeps one range per run: ~100k scattered rows cost about a second. For a large
        scattered set, showing only those rows (``set_rows``) is the fast alternative.
        """
        model = self.sample_model
        pos = np.sort(model.view_positions(np.asarray(rows, dtype=np.int64)))
        pos = pos[pos >= 0]
        if pos.size:
            pos = pos[np.concatenate(([True], np.diff(pos) != 0))]
        selection = QItemSelection()
        last_col = model.columnCount() - 1
        if pos.size:
            breaks = np.flatnonzero(np.diff(pos) != 1)
            starts = np.concatenate(([pos[0]], pos[breaks + 1])).tolist()
            ends = np.concatenate((pos[breaks], [pos[-1]])).tolist()
            # createIndex, not index(): no bounds check calling back into Python per range
            make = model.createIndex
            for s, e in zip(starts, ends):
                selection.select(make(s, 0), make(e, last_col))
        sel = self.selectionModel()
        self._selecting = True
        try:
            # Clear, then select: ClearAndSelect diffs the old ranges against the new ones,
            # which takes seconds when a big range meets thousands of small ones.
            sel.clearSelection()
            sel.select(selection, QItemSelectionModel.SelectionFlag.Select)
            if pos.size:
                first = model.index(int(pos[0]), 0)
                sel.setCurrentIndex(first, QItemSelectionModel.SelectionFlag.NoUpdate)
                self.scrollTo(first)
        finally:
            self._selecting = False
        self._selected = np.sort(model.view_rows()[pos])
        self.selectedRowsChanged.emit(self._selected.copy())
