"""The sample table's columns and roles, and where a row lives on disk: what the table model
(:mod:`inspector.ui.data.table_model`) and the features that draw into the table or the
sample pane agree on."""

from __future__ import annotations

from PySide6.QtCore import Qt

from inspector.core.data.dataset import ROW, SOURCE, Dataset

ID_COL, PREVIEW_COL, LENGTH_COL, SOURCE_COL = range(4)
DATASET_ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # a cell's dataset row position
# Containers whose __row is a line number (shown 1-based, as editors count lines).
LINE_BASED = ("jsonl",)


def locator(dataset: Dataset, row: int) -> str:
    """Where a row lives on disk: ``train.jsonl:14`` (line, 1-based) or ``a.parquet#13``
    (row, 0-based, as Parquet and Arrow tools count)."""
    source = dataset.frame[SOURCE][row]
    index = int(dataset.frame[ROW][row])
    if source in {f.path for f in dataset.files if f.container in LINE_BASED}:
        return f"{source}:{index + 1}"
    return f"{source}#{index}"
