"""The sample table: a Qt model over the dataset's polars frame that computes only the rows
the view asks for.

The model shows a *view*: an int64 array of dataset row positions (a filter result, narrowed
by a feature's row mask such as the facets', put in sort order). Resetting, filtering and sorting are numpy operations on that array — no
per-row Python — so they stay fast at a million rows. Cells are computed when painted; the
one-line previews are kept in a small LRU cache.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import polars as pl
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFontDatabase

from inspector.core.data.dataset import ID, LENGTH, ROW, SOURCE, Dataset
from inspector.ui.common.table_roles import (  # noqa: F401 - the model's public names
    DATASET_ROW_ROLE,
    ID_COL,
    LENGTH_COL,
    LINE_BASED,
    PREVIEW_COL,
    SOURCE_COL,
    locator,
)

HEADERS = ("id", "preview", "length", "source")
SORTABLE = (ID_COL, LENGTH_COL, SOURCE_COL)
PREVIEW_CACHE_SIZE = 4096

_Index = QModelIndex | QPersistentModelIndex


class SampleTableModel(QAbstractTableModel):
    """Rows of a dataset, in the order of ``view_rows()``."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._dataset: Dataset | None = None
        self._base = np.zeros(0, dtype=np.int64)  # the filter's rows, before sorting
        self._mask: np.ndarray | None = None  # rows the facets let through (None: all)
        self._view = self._base  # what the table shows, in order
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._ids: pl.Series | None = None
        self._sources: pl.Series | None = None
        self._lines: np.ndarray | None = None
        self._lengths = np.zeros(0, dtype=np.int64)
        self._line_based: set[str] = set()
        self._ranks: dict[int, np.ndarray] = {}
        self._previews: OrderedDict[int, str] = OrderedDict()
        self._mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)

    # -- data the model shows ---------------------------------------------------------------
    @property
    def dataset(self) -> Dataset | None:
        return self._dataset

    def set_dataset(self, dataset: Dataset | None, rows: np.ndarray | None = None) -> None:
        """Show ``dataset`` (all rows unless ``rows`` is given), keeping the current sort."""
        self.beginResetModel()
        self._dataset = dataset
        self._previews.clear()
        self._ranks.clear()
        self._mask = None
        if dataset is None:
            self._ids = self._sources = self._lines = None
            self._lengths = np.zeros(0, dtype=np.int64)
            self._base = self._view = np.zeros(0, dtype=np.int64)
        else:
            frame = dataset.frame
            self._ids = frame[ID]
            self._sources = frame[SOURCE]
            self._lines = frame[ROW].to_numpy()
            self._lengths = frame[LENGTH].to_numpy()
            self._line_based = {f.path for f in dataset.files if f.container in LINE_BASED}
            self._base = (
                np.arange(dataset.height, dtype=np.int64)
                if rows is None
                else np.asarray(rows, dtype=np.int64)
            )
            self._view = self._sorted(self._base)
        self.endResetModel()

    def refresh_dataset(self, dataset: Dataset) -> None:
        """The same rows under another format (new previews and lengths), same view."""
        mask = self._mask
        self.set_dataset(dataset, self._base)
        if mask is not None and len(mask) == dataset.height:
            self.set_row_mask(mask)

    def set_row_mask(self, mask: np.ndarray | None) -> None:
        """Show only the filter's rows where ``mask`` (a bool per dataset row) is True: the
        facets' choice, on top of whatever the filter bar found. None: no narrowing."""
        if mask is not None:
            mask = np.asarray(mask, dtype=bool)
            height = 0 if self._dataset is None else self._dataset.height
            if mask.shape != (height,):
                raise ValueError(f"set_row_mask: {mask.shape} values for {height} rows")
        self.beginResetModel()
        self._mask = mask
        self._view = self._sorted(self._shown())
        self.endResetModel()

    def row_mask(self) -> np.ndarray | None:
        return self._mask

    def _shown(self) -> np.ndarray:
        """The filter's rows that the row mask lets through, in dataset order."""
        return self._base if self._mask is None else self._base[self._mask[self._base]]

    def set_identified(self, dataset: Dataset) -> None:
        """The same rows, now with their ids (computed after the table was first shown)."""
        if self._dataset is None or dataset.height != self._dataset.height:
            self.set_dataset(dataset)
            return
        self._dataset = dataset
        self._ids = dataset.frame[ID]
        self._ranks.pop(ID_COL, None)
        if self._sort is not None and self._sort[0] == ID_COL:
            self._reorder(self._sorted(self._shown()))
        if self._view.size:
            last = self.index(int(self._view.size) - 1, ID_COL)
            self.dataChanged.emit(self.index(0, ID_COL), last)

    def set_rows(self, rows: np.ndarray) -> None:
        """Show these dataset rows (e.g. a filter result), in the current sort order."""
        self.beginResetModel()
        self._base = np.asarray(rows, dtype=np.int64)
        self._view = self._sorted(self._shown())
        self.endResetModel()

    def view_rows(self) -> np.ndarray:
        """The dataset rows shown, top to bottom (a copy)."""
        return self._view.copy()

    def base_rows(self) -> np.ndarray:
        """The filter's rows, before sorting and before the row mask (a copy)."""
        return self._base.copy()

    def dataset_row(self, view_row: int) -> int:
        return int(self._view[view_row])

    def view_positions(self, rows: np.ndarray) -> np.ndarray:
        """The table positions of dataset ``rows`` (-1 where a row is not shown)."""
        rows = np.asarray(rows, dtype=np.int64)
        if self._dataset is None:
            return np.full(rows.shape, -1, dtype=np.int64)
        inverse = np.full(self._dataset.height, -1, dtype=np.int64)
        inverse[self._view] = np.arange(self._view.size, dtype=np.int64)
        ok = (rows >= 0) & (rows < self._dataset.height)
        out = np.full(rows.shape, -1, dtype=np.int64)
        out[ok] = inverse[rows[ok]]
        return out

    # -- sorting ----------------------------------------------------------------------------
    @property
    def sort_state(self) -> tuple[int, Qt.SortOrder] | None:
        return self._sort

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by id, length or source; other columns leave the order as it is."""
        if column not in SORTABLE:
            return
        self._sort = (column, order)
        self._reorder(self._sorted(self._shown()))

    def clear_sort(self) -> None:
        """Back to the order of the rows as given (dataset order for a filter)."""
        self._sort = None
        self._reorder(self._shown())

    def _reorder(self, view: np.ndarray) -> None:
        """Show the same rows in another order. The selection and the current row follow
        their dataset rows (Qt keeps them at the same table positions otherwise)."""
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        before = self._view
        self._view = view
        if old:
            rows = np.fromiter((i.row() for i in old), dtype=np.int64, count=len(old))
            moved = self.view_positions(before[rows]).tolist()
            new = [
                self.index(p, i.column()) if p >= 0 else QModelIndex() for p, i in zip(moved, old)
            ]
            self.changePersistentIndexList(old, new)
        self.layoutChanged.emit()

    def _sorted(self, rows: np.ndarray) -> np.ndarray:
        if self._sort is None or self._dataset is None or rows.size == 0:
            return rows
        column, order = self._sort
        key = self._sort_key(column)[rows].astype(np.int64)
        if order == Qt.SortOrder.DescendingOrder:
            key = -key
        return rows[np.argsort(key, kind="stable")]

    def _sort_key(self, column: int) -> np.ndarray:
        if column == LENGTH_COL:
            return self._lengths
        if column not in self._ranks:
            assert self._dataset is not None
            frame = self._dataset.frame
            by = [ID] if column == ID_COL else [SOURCE, ROW]
            order = frame.select(pl.arg_sort_by(by)).to_series().to_numpy()
            ranks = np.empty(order.size, dtype=np.int64)
            ranks[order] = np.arange(order.size, dtype=np.int64)
            self._ranks[column] = ranks
        return self._ranks[column]

    # -- Qt model interface -----------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else int(self._view.size)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            if section in SORTABLE:
                return "Click to sort (again to reverse, a third time for file order)"
            return None
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self._dataset is None:
            return None
        view_row = index.row()
        if view_row >= self._view.size:
            return None
        row = int(self._view[view_row])
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == PREVIEW_COL:
                return self.preview(row)
            if column == SOURCE_COL:
                return self._locator(row)
            return self._display(row, column)
        if role == DATASET_ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.TextAlignmentRole and column == LENGTH_COL:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and column == ID_COL:
            return self._mono
        if role == Qt.ItemDataRole.ForegroundRole and column in (ID_COL, SOURCE_COL):
            from PySide6.QtGui import QColor

            return QColor("#6b7280")
        return None

    def _display(self, row: int, column: int) -> str:
        if column == ID_COL:
            raw = self._ids[row]  # type: ignore[index]
            if raw is None:
                return "…"  # a content hash still being computed
            value = str(raw)
            # content hashes are 64 hex digits: the first 12 tell rows apart on screen
            if len(value) >= 64 and self._dataset and self._dataset.id_rule == "content_sha256":
                head, _, dup = value.partition("#")
                return head[:12] + "…" + (f"#{dup}" if dup else "")
            return value
        if column == PREVIEW_COL:
            return self.preview(row)
        if column == LENGTH_COL:
            return f"{int(self._lengths[row]):,}"
        return self._locator(row)

    def _locator(self, row: int) -> str:
        source = self._sources[row]  # type: ignore[index]
        index = int(self._lines[row])  # type: ignore[index]
        return f"{source}:{index + 1}" if source in self._line_based else f"{source}#{index}"

    def preview(self, row: int) -> str:
        """The one-line preview of dataset ``row`` (cached)."""
        cached = self._previews.get(row)
        if cached is not None:
            self._previews.move_to_end(row)
            return cached
        assert self._dataset is not None
        text = self._dataset.preview(row)
        self._previews[row] = text
        if len(self._previews) > PREVIEW_CACHE_SIZE:
            self._previews.popitem(last=False)
        return text

    # No flags() override: QAbstractTableModel's (selectable, enabled) is what the table needs,
    # and Qt asks for every selected cell's flags — 4M calls into Python when 1M rows are.
