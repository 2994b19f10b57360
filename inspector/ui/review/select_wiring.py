"""Labels ▸ Select Subset…: the subset builder in the window.

:class:`SelectController` (installed by the shell, ``inspector.ui.shell.features``) opens the
:class:`~inspector.ui.review.select_dialog.SelectSubsetDialog`. A preview lights the chosen rows
on the map and selects them in the table (so Review ▸ Start Review… on the selection, or
:meth:`SelectController.review_selection`, walks them as a queue); *Write…* asks where, then
writes the filter file, its manifest and the report with
:func:`inspector.core.select.project_select.write_selection` (``inspector apply`` then writes
the subset).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDialog, QFileDialog

from inspector.core.select.project_select import SelectResult, write_selection
from inspector.ui.review.select_dialog import SelectSubsetDialog

if TYPE_CHECKING:
    from inspector.ui.common.host import Host
    from inspector.ui.review.review_wiring import ReviewController


class SelectController(QObject):
    """One window's subset builder."""

    def __init__(self, host: Host, review: ReviewController) -> None:
        super().__init__(host.main_window())
        self.host = host
        self.review = review
        self.dialog: SelectSubsetDialog | None = None
        self.last: SelectResult | None = None
        host.actions.register(
            "labels.select_subset",
            "Select &Subset…",
            self.open_dialog,
            menu="Labels",
            enabled_when=lambda: host.project is not None,
            separator_before=True,
            tip="Pick N diverse, good rows (never a dropped or proposed-for-removal one) and "
            "write them as a filter file",
        )
        host.datasetClosing.connect(self._close_dialog)

    def open_dialog(self) -> SelectSubsetDialog | None:
        project = self.host.project
        if project is None:
            return None
        self._close_dialog()
        saved = project.store.get("map_params")  # the map's own vectors, when it used a column
        vectors = saved.get("vectors_column") if isinstance(saved, dict) else None
        dialog = SelectSubsetDialog(project, self.host.main_window(), vectors_column=vectors)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.previewed.connect(self._show_preview)
        dialog.finished.connect(lambda code: self._finished(dialog, code))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _show_preview(self, result: SelectResult) -> None:
        """Light the picked rows on the map and select them in the table."""
        self.last = result
        rows = result.rows
        self.host.select_rows(rows)
        panel = self.host.map_service()
        if panel is not None and panel.has_map():
            try:
                panel.set_selection(rows)
            except Exception:  # noqa: BLE001 - the map may hold another dataset's points
                pass
        self.host.statusBar().showMessage(
            f"{len(rows):,} rows selected for the subset (map and table); Review ▸ Start "
            "Review… on the selection walks them",
            15_000,
        )

    def review_selection(self):
        """A review session over the previewed subset (the table's selection)."""
        if self.last is None:
            return None
        self.host.select_rows(self.last.rows)
        return self.review.start("selection")

    def write(self, result: SelectResult, path: str | Path) -> dict:
        """The filter file, manifest and report for ``result`` at ``path``."""
        project = self.host.project
        if project is None:
            raise ValueError("open a dataset first")
        manifest = write_selection(project, result, path)
        self.host.statusBar().showMessage(
            f"Wrote the subset's filter file {path} ({len(result.rows):,} rows kept); "
            "`inspector apply` writes the subset",
            15_000,
        )
        return manifest

    def _finished(self, dialog: SelectSubsetDialog, code: int) -> None:
        if self.dialog is dialog:
            self.dialog = None
        result = dialog.result()
        if code != QDialog.DialogCode.Accepted or result is None:
            return
        path, _ = QFileDialog.getSaveFileName(
            self.host.main_window(),
            "Write the subset's filter file",
            "subset.parquet",
            "Filter files (*.parquet *.jsonl *.csv)",
        )
        if path:
            try:
                self.write(result, path)
            except (ValueError, OSError) as exc:
                self.host.statusBar().showMessage(f"Could not write the subset: {exc}", 15_000)

    def _close_dialog(self) -> None:
        if self.dialog is not None:
            self.dialog.close()
            self.dialog = None
