"""The main window: a filter bar over the sample table and the sample pane, docks for the map
and later panels, and a status bar with the dataset's facts and the running job.

For later features:

- ``window.project`` (None until a dataset is open); signals ``datasetOpened(project)``,
  ``currentRowChanged(row)``, ``selectionChanged(rows)``, ``formatChanged(spec)``,
  ``filterApplied(n)`` — rows are always *dataset* row positions.
- ``select_rows(rows)``, ``set_current_row(row)``, ``selected_rows()``, ``current_row()``,
  ``view_rows()``, ``set_view_rows(rows)``.
- ``add_dock(widget, title, area)``: a dock whose place is remembered; "Map" replaces the
  placeholder.
- ``actions.register(id, title, callback, keys=[...], menu="...", enabled_when=...)``.
- ``jobs.submit(kind, fn, params, on_done=...)`` for long work.

Features get the window as their :class:`inspector.ui.common.host.Host` and are registered in
``window.features`` (:mod:`inspector.ui.shell.features`). Opening (File ▸ Open, Recent, drag
and drop, splits, the ids computed after the table is shown) is the window's collaborator
:class:`inspector.ui.shell.opening.DatasetOpener`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from inspector.core import paths
from inspector.core.data.formats import FormatSpec
from inspector.core.jobs import Progress
from inspector.core.project import Project
from inspector.ui.common.actions import ActionRegistry, HelpOverlay
from inspector.ui.common.jobs import Job, JobRunner, JobStatus
from inspector.ui.common.sample_view import SampleView, install_reader_actions
from inspector.ui.data.filter_bar import FilterBar, FilterQuery
from inspector.ui.data.open_dialogs import BadLinesDialog, FormatDialog, SplitDialog
from inspector.ui.data.sample_table import SampleTable
from inspector.ui.data.table_model import SampleTableModel
from inspector.ui.shell.command_palette import show_command_palette
from inspector.ui.shell.features import Features
from inspector.ui.shell.keymap_dialog import show_keymap_dialog
from inspector.ui.shell.opening import DatasetOpener
from inspector.ui.shell.status_facts import StatusFacts
from inspector.ui.shell.window_layout import WindowLayout

if TYPE_CHECKING:
    from inspector.core.data.dataset import Dataset
    from inspector.ui.common.services import MapService, ReviewService


class MainWindow(QMainWindow):
    datasetOpened = Signal(object)  # Project
    # the dataset shown is about to go (closed, reopened, replaced): features let go of it now,
    # while its store is still open (a new one may be shown before its datasetOpened)
    datasetClosing = Signal()
    currentRowChanged = Signal(int)  # dataset row
    selectionChanged = Signal(object)  # np.ndarray of dataset rows
    formatChanged = Signal(object)  # FormatSpec
    filterApplied = Signal(int)  # rows shown after a filter; -1 when the query has an error
    openFailed = Signal(str)
    # The action table (STYLE §4) takes QWidget.actions()'s name: features and tests call
    # ``window.actions.register(…)``; Qt's own list is QWidget.actions(window).
    actions: ActionRegistry  # type: ignore[assignment]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("main_window")
        self.setWindowTitle("Inspector")
        self.setAcceptDrops(True)
        self.project: Project | None = None  # set once the rows have their ids
        # opened and shown in the table, its content-hash ids still being computed
        self.pending: Project | None = None
        self._identify_job: Job | None = None
        self._generation = 0  # bumped whenever the rows shown are replaced
        self.target: str | None = None
        self.open_options: dict[str, Any] = {}
        self.features = Features()  # what the shell installed: map, review, issues, …
        self.opener = DatasetOpener(self)
        self.jobs = JobRunner(self)
        self.jobs.finished.connect(self.opener._job_finished)
        self.actions = ActionRegistry(self)
        self.docks: dict[str, QDockWidget] = {}
        self._current_row: int | None = None
        # the dialogs last shown (tests and later features reach them here)
        self.bad_lines_dialog: BadLinesDialog | None = None
        self.format_dialog: FormatDialog | None = None
        self.split_dialog: SplitDialog | None = None
        self.message_box: QMessageBox | None = None

        self.filter_bar = FilterBar()
        self.filter_bar.changed.connect(self._run_filter)
        self.model = SampleTableModel(self)
        self._filtered = False  # whether the filter bar's query narrows the rows
        self.model.modelReset.connect(self._count_after_reset)
        self.table = SampleTable(self.model)
        self.table.currentDatasetRowChanged.connect(self._on_table_current)
        self.table.selectedRowsChanged.connect(self.selectionChanged)
        self.sample_view = SampleView()
        self.sample_view.setAcceptDrops(False)
        self.filter_bar.changed.connect(  # the reader marks the filter's text matches
            lambda q: self.sample_view.set_match(q.text, regex=q.regex, case=q.case)
        )
        # The map is the big view; the table sits over the sample in the column beside it.
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("table_sample_splitter")
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.sample_view)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 4)
        self.splitter.setStretchFactor(1, 6)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.layout_keeper = WindowLayout(self, self.docks, self.splitter)
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
        )

        self._make_status_bar()
        self._register_actions()
        self._map_placeholder = self._placeholder(
            "No map yet.\nThe map of the samples appears here."
        )
        self.add_dock(self._map_placeholder, "Map", Qt.DockWidgetArea.LeftDockWidgetArea)
        self.help_overlay = HelpOverlay(self.actions, self)
        self.layout_keeper.restore()
        self._update_status()
        self.actions.update_enabled()

    # -- building ---------------------------------------------------------------------------
    def _make_status_bar(self) -> None:
        bar = self.statusBar()
        self.job_status = JobStatus(self.jobs)
        bar.addWidget(self.job_status)
        self.facts = StatusFacts(bar)
        self.status_labels = self.facts.labels

    @staticmethod
    def _placeholder(text: str) -> QLabel:
        label = QLabel(text)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        label.setStyleSheet("color: #9ca3af; padding: 24px;")
        label.setMinimumWidth(160)
        return label

    def _register_actions(self) -> None:
        reg = self.actions
        has_data = self._has_data
        reg.register(
            "file.open",
            "&Open…",
            self.choose_file,
            keys=["Ctrl+O"],
            menu="File",
            tip="Open a data file: JSONL, JSON, Parquet, CSV/TSV, Arrow (.gz/.zst too)",
        )
        reg.register(
            "file.open_folder",
            "Open &Folder…",
            self.choose_folder,
            menu="File",
            tip="Open a folder of shards or a Hugging Face save_to_disk folder",
        )
        self.recent_menu = QMenu("Open &Recent", self)
        self.recent_menu.setObjectName("menu_recent")
        self.recent_menu.aboutToShow.connect(self.opener._fill_recent_menu)
        reg.menu("File").addMenu(self.recent_menu)
        self.split_menu = QMenu("&Split", self)
        self.split_menu.setObjectName("menu_split")
        self.split_menu.aboutToShow.connect(self.opener._fill_split_menu)
        reg.register(
            "file.reload",
            "Re&load",
            self.reload,
            menu="File",
            enabled_when=has_data,
            separator_before=True,
        )
        reg.register(
            "file.close",
            "&Close Dataset",
            self.close_dataset,
            menu="File",
            enabled_when=lambda: self.shown_dataset() is not None,
        )
        reg.register("file.quit", "&Quit", self.close, menu="File", separator_before=True)
        reg.register("edit.find", "&Find in Text", self.focus_search, menu="Edit")
        reg.register("edit.expression", "Filter by &Expression", self.focus_expression, menu="Edit")
        reg.register("edit.clear_filter", "C&lear Filter", self.filter_bar.clear, menu="Edit")
        reg.register(
            "view.next",
            "&Next Sample",
            lambda: self.move_current(1),
            menu="View",
            enabled_when=has_data,
        )
        reg.register(
            "view.previous",
            "&Previous Sample",
            lambda: self.move_current(-1),
            menu="View",
            enabled_when=has_data,
        )
        reg.register(
            "view.focus_table",
            "Go to &Table",
            self.table.setFocus,
            menu="View",
            separator_before=True,
        )
        reg.register("view.focus_sample", "Go to &Sample", self.sample_view.setFocus, menu="View")
        install_reader_actions(self.sample_view, reg)  # View ▸ Raw Text
        self.panels_menu = reg.menu("View").addMenu("Pa&nels")
        reg.register("view.reset_layout", "Reset &Layout", self.reset_layout, menu="View")
        reg.register(
            "dataset.format",
            "&Format and Fields…",
            self.edit_format,
            menu="Dataset",
            enabled_when=lambda: self.project is not None,
            tip="Choose the format and which column plays which role (remembered)",
        )
        reg.menu("Dataset").addMenu(self.split_menu)  # a DatasetDict's splits
        reg.register(
            "help.keys", "&Keyboard Shortcuts", lambda: self.help_overlay.toggle(), menu="Help"
        )
        reg.register("help.command_palette", "&Command Palette", lambda: show_command_palette(self),
                     keys=["Ctrl+Shift+P"], menu="Help")  # fmt: skip
        reg.register("help.edit_keys", "&Edit Keyboard Shortcuts…",
                     lambda: show_keymap_dialog(self), menu="Help")  # fmt: skip
        reg.register("help.log", "Open &Log Folder", self.open_log_folder, menu="Help")
        reg.register("help.about", "&About Inspector", self.about, menu="Help")

    def _has_data(self) -> bool:
        return self.shown_dataset() is not None

    # -- docks and layout -------------------------------------------------------------------
    def add_dock(
        self,
        widget: QWidget,
        title: str,
        area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea,
        *,
        visible: bool = True,
    ) -> QDockWidget:
        """Put ``widget`` in a dock titled ``title`` (its place is remembered across runs).
        A dock with that title already there (e.g. the Map placeholder) gets the new widget."""
        name = "dock_" + re.sub(r"\W+", "_", title.lower()).strip("_")
        dock = self.docks.get(name)
        if dock is not None:
            old = dock.widget()
            dock.setWidget(widget)
            if old is not None and old is not widget:
                old.deleteLater()
            return dock
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks[name] = dock
        self.panels_menu.addAction(dock.toggleViewAction())
        self.layout_keeper.dock_added(name, dock, visible)
        return dock

    def has_saved_layout(self) -> bool:
        """Whether the window came back in a layout saved by this version (else it makes the
        default one when first shown)."""
        return self.layout_keeper.has_saved_layout()

    def default_size(self) -> tuple[int, int]:
        return self.layout_keeper.default_size()

    def restore_dock_layout(self) -> None:
        """Put docks added after the window was built where the saved layout had them."""
        self.layout_keeper.restore_docks()

    def save_layout(self) -> None:
        self.layout_keeper.save()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.layout_keeper.shown()

    def reset_layout(self) -> None:
        """View ▸ Reset Layout: the map-first default (:mod:`inspector.ui.shell.window_layout`)."""
        self.layout_keeper.apply_default()

    def apply_default_layout(self) -> None:
        self.layout_keeper.apply_default()

    # -- filter and sort --------------------------------------------------------------------
    def _run_filter(self, query: FilterQuery) -> None:
        dataset = self.shown_dataset()
        if dataset is None:
            return
        generation = self._generation
        if query.empty:
            self.jobs.cancel("filter")
            self._show_rows(np.arange(dataset.height, dtype=np.int64), filtered=False)
            return
        self.filter_bar.set_busy()

        def match(q: FilterQuery, _progress: Progress) -> np.ndarray:
            return dataset.match(q.text, regex=q.regex, case=q.case, expr=q.expr)

        def done(rows: np.ndarray) -> None:
            if self._generation == generation:  # the same rows, under the same format
                self._show_rows(rows, filtered=True)

        def failed(exc: BaseException) -> None:
            if not isinstance(exc, ValueError):
                raise exc
            lines = [ln for ln in str(exc).splitlines() if ln.strip()]
            self.filter_bar.set_error(" ".join(lines[:2])[:400])
            self.filterApplied.emit(-1)

        self.jobs.submit("filter", match, query, label="Filtering", on_done=done, on_error=failed)

    def _show_rows(self, rows: np.ndarray, filtered: bool) -> None:
        current = self._current_row
        self.model.set_rows(rows)
        self._show_count(len(rows), filtered)
        if current is not None and self.model.view_positions(np.array([current]))[0] >= 0:
            self.set_current_row(current)
        elif self.model.rowCount():  # (the rows a row mask leaves, not the filter's)
            self.set_current_row(int(self.model.view_rows()[0]))
        else:
            self._current_row = None
            self.sample_view.show_message("No rows match the filter.")
        self.filterApplied.emit(len(rows))

    def _show_count(self, n: int, filtered: bool) -> None:
        self._filtered = filtered
        shown = self.shown_dataset()
        total = shown.height if shown is not None else 0
        if self.model.row_mask() is not None:  # the facets narrow the filter's rows further
            n, filtered = self.model.rowCount(), True
        self.filter_bar.set_count(n, total, filtered)

    def _count_after_reset(self) -> None:
        """The table's rows changed under the filter (the facets' row mask): recount."""
        if self.shown_dataset() is not None:
            self._show_count(self.model.rowCount(), self._filtered)

    def sort_by(self, column: str, descending: bool = False) -> None:
        """Sort the table by ``id``, ``length`` or ``source`` ("" for file order)."""
        self.table.sort_by(column, descending)

    # -- current row and selection ----------------------------------------------------------
    def current_row(self) -> int | None:
        """The dataset row shown in the sample pane."""
        return self._current_row

    def set_current_row(self, row: int) -> None:
        """Show dataset ``row``: select it in the table if it is in view, and fill the sample
        pane either way."""
        shown = self.shown_dataset()
        if shown is None or not 0 <= row < shown.height:
            return
        if self.table.set_current_dataset_row(row) and self._current_row == row:
            return
        self._show_sample(row)

    def move_current(self, step: int) -> None:
        row = self.table.row_after(step)
        if row is not None:
            self.set_current_row(row)

    def _on_table_current(self, row: int) -> None:
        if self.shown_dataset() is not None and row != self._current_row:
            self._show_sample(row)

    def _show_sample(self, row: int) -> None:
        shown = self.shown_dataset()
        assert shown is not None
        self._current_row = row
        self.sample_view.show_row(shown, row)
        self.currentRowChanged.emit(row)

    def selected_rows(self) -> np.ndarray:
        """The dataset rows selected in the table (sorted, unique)."""
        return self.table.selected_rows()

    def select_rows(self, rows: np.ndarray) -> None:
        """Select these dataset rows in the table (rows filtered out are left out)."""
        self.table.select_rows(rows)

    def view_rows(self) -> np.ndarray:
        """The dataset rows the table shows, top to bottom."""
        return self.model.view_rows()

    def set_view_rows(self, rows: np.ndarray) -> None:
        """Show only these dataset rows (until the filter changes), in the current sort."""
        self._show_rows(np.asarray(rows, dtype=np.int64), filtered=True)

    def base_rows(self) -> np.ndarray:
        """The rows the text filter shows, before a feature narrowed them."""
        return self.model.base_rows()

    def row_in_view(self, row: int) -> bool:
        """Whether the table shows dataset ``row`` (the filter may hide it)."""
        return bool(self.model.view_positions(np.array([row]))[0] >= 0)

    def first_view_row(self) -> int | None:
        return self.model.dataset_row(0) if self.model.rowCount() > 0 else None

    # -- the filter bar, for features ---------------------------------------------------------
    def add_filter_widget(self, widget: QWidget) -> None:
        """Put ``widget`` in the filter bar, before the row count."""
        self.filter_bar.add_widget(widget)

    def filter_is_empty(self) -> bool:
        return self.filter_bar.query().empty

    def apply_filter(self) -> None:
        self.filter_bar.apply()

    def clear_filter(self) -> None:
        self.filter_bar.clear()

    # -- the host, for features ----------------------------------------------------------------
    def main_window(self) -> QMainWindow:
        return self

    def map_service(self) -> MapService | None:
        return self.features.map

    def review_service(self) -> ReviewService | None:
        return self.features.review

    # -- opening (the work is the opener's) -----------------------------------------------------
    def choose_file(self) -> None:
        self.opener.choose_file()

    def choose_folder(self) -> None:
        self.opener.choose_folder()

    def open_path(self, path: str | Path, **opts: Any) -> None:
        """Open a file, folder or glob in the background; ``opts`` go to ``open_project``.
        ``datasetOpened`` fires when it is shown; ``openFailed`` when it cannot be read."""
        self.opener.open_path(path, **opts)

    def switch_split(self, split: str) -> None:
        """Open another split of the DatasetDict shown."""
        self.opener.switch_split(split)

    def reload(self) -> None:
        self.opener.reload()

    def close_dataset(self) -> None:
        self.opener.close_dataset()

    def recent_paths(self) -> list[str]:
        return self.opener.recent_paths()

    def shown_dataset(self) -> Dataset | None:
        """The dataset in the table: the project's, or one whose ids are being computed."""
        if self.project is not None:
            return self.project.dataset
        return self.pending.dataset if self.pending is not None else None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        self.opener.drag_entered(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        self.opener.dropped(event)

    # -- format -----------------------------------------------------------------------------
    def edit_format(self) -> None:
        if self.project is None:
            return
        dataset = self.project.dataset
        dialog = FormatDialog(dataset.spec, dataset.frame.schema, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.apply_spec(dialog.spec()))
        self.format_dialog = dialog
        dialog.open()

    def apply_spec(self, spec: FormatSpec | None) -> None:
        """Use another format/mapping now and remember it for this dataset."""
        if self.project is None or spec is None:
            return
        self.project.set_spec(spec)
        self._generation += 1
        current = self._current_row
        self.model.refresh_dataset(self.project.dataset)
        self._update_status()
        if current is not None:
            self._current_row = None
            self.set_current_row(current)
        self.formatChanged.emit(spec)
        self._run_filter(self.filter_bar.query())  # the searched text fields changed

    # -- status -----------------------------------------------------------------------------
    def _update_status(self) -> None:
        shown = self.shown_dataset()
        self.facts.show(shown)
        self.split_menu.menuAction().setEnabled(bool(shown is not None and shown.sources.splits))

    # -- focus, help ------------------------------------------------------------------------
    def focus_search(self) -> None:
        self.filter_bar.text_box.setFocus()
        self.filter_bar.text_box.selectAll()

    def focus_expression(self) -> None:
        self.filter_bar.expr_box.setFocus()
        self.filter_bar.expr_box.selectAll()

    def open_log_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(paths.log_dir())))

    def about(self) -> None:
        from inspector import __version__

        box = QMessageBox(
            QMessageBox.Icon.Information,
            "About Inspector",
            f"Inspector {__version__}\n\nLook at an LLM training set, see it as a "
            "map, and throw out what should not be trained on.",
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.message_box = box
        box.open()

    # -- closing ----------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.save_layout()
        self.jobs.shutdown()
        for project in (self.project, self.pending):
            if project is not None:
                project.close()
        self.project = self.pending = None
        super().closeEvent(event)
