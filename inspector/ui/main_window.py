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
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QSettings, Qt, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from inspector.core import paths
from inspector.core.dataset import Dataset
from inspector.core.errors import DataError
from inspector.core.formats import FormatSpec
from inspector.core.jobs import Progress
from inspector.core.project import Project, open_project
from inspector.core.sources import split_rows
from inspector.ui.actions import ActionRegistry, HelpOverlay
from inspector.ui.command_palette import show_command_palette
from inspector.ui.filter_bar import FilterBar, FilterQuery
from inspector.ui.jobs import Job, JobRunner, JobStatus
from inspector.ui.keymap_dialog import show_keymap_dialog
from inspector.ui.open_dialogs import BadLinesDialog, FormatDialog, SplitDialog, data_error_text
from inspector.ui.sample_table import SampleTable
from inspector.ui.sample_view import SampleView
from inspector.ui.status_facts import StatusFacts
from inspector.ui.table_model import SampleTableModel

MAX_RECENT = 10
FILE_FILTER = (
    "Training data (*.jsonl *.ndjson *.json *.parquet *.csv *.tsv *.arrow *.feather *.ipc "
    "*.gz *.zst *.zstd);;All files (*)"
)


def _open_job(params: tuple[str, dict[str, Any]], progress: Progress) -> Project:
    path, opts = params
    # Content-hash ids come after the table is painted (see _opened and _identify_job).
    return open_project(path, progress=progress, defer_ids=True, **opts)


def _identify_job(dataset: Dataset, progress: Progress) -> Dataset:
    return dataset.identified(progress)


class MainWindow(QMainWindow):
    datasetOpened = Signal(object)  # Project
    currentRowChanged = Signal(int)  # dataset row
    selectionChanged = Signal(object)  # np.ndarray of dataset rows
    formatChanged = Signal(object)  # FormatSpec
    filterApplied = Signal(int)  # rows shown after a filter; -1 when the query has an error
    openFailed = Signal(str)

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
        self.jobs = JobRunner(self)
        self.jobs.finished.connect(self._job_finished)
        self.actions = ActionRegistry(self)
        self.docks: dict[str, QDockWidget] = {}
        self._current_row: int | None = None
        self._state_restored = False
        # the dialogs last shown (tests and later features reach them here)
        self.bad_lines_dialog: BadLinesDialog | None = None
        self.format_dialog: FormatDialog | None = None
        self.split_dialog: SplitDialog | None = None
        self.message_box: QMessageBox | None = None

        self.filter_bar = FilterBar()
        self.filter_bar.changed.connect(self._run_filter)
        self.model = SampleTableModel(self)
        self.table = SampleTable(self.model)
        self.table.currentDatasetRowChanged.connect(self._on_table_current)
        self.table.selectedRowsChanged.connect(self.selectionChanged)
        self.sample_view = SampleView()
        self.sample_view.setAcceptDrops(False)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("table_sample_splitter")
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.sample_view)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 5)
        self.splitter.setStretchFactor(1, 6)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
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
        self._restore_layout()
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
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        reg.menu("File").addMenu(self.recent_menu)
        self.split_menu = QMenu("&Split", self)
        self.split_menu.setObjectName("menu_split")
        self.split_menu.aboutToShow.connect(self._fill_split_menu)
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
        if self._state_restored:
            self.restoreDockWidget(dock)
        dock.setVisible(visible)
        return dock

    def _restore_layout(self) -> None:
        settings = QSettings()
        geometry = settings.value("window/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1440, 880)
            self.resizeDocks([self.docks["dock_map"]], [230], Qt.Orientation.Horizontal)
        state = settings.value("window/state")
        if state is not None:
            self.restoreState(state)
        splitter = settings.value("window/splitter")
        if splitter is None or not self.splitter.restoreState(splitter):
            self.splitter.setSizes([600, 600])
        self._state_restored = True

    def save_layout(self) -> None:
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        settings.setValue("window/splitter", self.splitter.saveState())

    def reset_layout(self) -> None:
        for dock in self.docks.values():
            dock.setFloating(False)
            dock.show()
        self.splitter.setSizes([600, 600])

    # -- opening ----------------------------------------------------------------------------
    def choose_file(self) -> None:
        start = str(QSettings().value("open/last_dir", str(Path.home())))
        path, _ = QFileDialog.getOpenFileName(self, "Open a training set", start, FILE_FILTER)
        if path:
            self.open_path(path)

    def choose_folder(self) -> None:
        start = str(QSettings().value("open/last_dir", str(Path.home())))
        path = QFileDialog.getExistingDirectory(self, "Open a folder of data files", start)
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path, **opts: Any) -> None:
        """Open a file, folder or glob in the background; ``opts`` go to ``open_project``.
        ``datasetOpened`` fires when it is shown; ``openFailed`` when it cannot be read."""
        path = str(path)
        QSettings().setValue("open/last_dir", str(Path(path).expanduser().parent))
        if opts.get("split") is None and self._ask_split(path, opts):
            return
        self.jobs.submit(
            "open",
            _open_job,
            (path, opts),
            label=f"Opening {Path(path).name}",
            on_done=lambda project: self._opened(project, path, opts),
            on_error=lambda exc: self._open_failed(exc, path, opts),
        )

    # -- splits of a DatasetDict -----------------------------------------------------------
    def _ask_split(self, path: str, opts: dict[str, Any]) -> bool:
        """A DatasetDict folder with several splits: ask which to open (True if asking)."""
        folder = Path(path).expanduser()
        if not folder.is_dir():
            return False
        try:
            splits = split_rows(folder)
        except DataError:
            return False  # opening it reports the problem
        if len(splits) < 2:
            return False
        remembered = self._remembered_splits().get(str(folder.resolve()))
        dialog = SplitDialog(path, splits, remembered, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._split_chosen(path, opts, dialog.split()))
        self.split_dialog = dialog
        dialog.open()
        return True

    @staticmethod
    def _remembered_splits() -> dict[str, str]:
        try:
            value = json.loads(str(QSettings().value("open/splits", "{}")))
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def _split_chosen(self, path: str, opts: dict[str, Any], split: str) -> None:
        remembered = self._remembered_splits()
        remembered[str(Path(path).expanduser().resolve())] = split
        QSettings().setValue("open/splits", json.dumps(remembered))
        self.open_path(path, **{**opts, "split": split})

    def switch_split(self, split: str) -> None:
        """Open another split of the DatasetDict shown."""
        if self.target is not None:
            self._split_chosen(self.target, self.open_options, split)

    def _fill_split_menu(self) -> None:
        self.split_menu.clear()
        shown = self.shown_dataset()
        if shown is None:
            return
        for name in shown.sources.splits:
            action = self.split_menu.addAction(name)
            action.setCheckable(True)
            action.setChecked(name == shown.sources.split)
            action.triggered.connect(lambda _checked=False, n=name: self.switch_split(n))

    def reload(self) -> None:
        if self.target:
            self.open_path(self.target, **self.open_options)

    def _opened(self, project: Project, path: str, opts: dict[str, Any]) -> None:
        """Show the rows at once; the project becomes ``self.project`` (and ``datasetOpened``
        fires) when its ids are ready, which for content hashes is a background job."""
        self._close_projects()
        self._generation += 1
        self.target = path
        self.open_options = dict(opts)
        self._add_recent(path)
        self.filter_bar.set_query(FilterQuery(), apply=False)
        self.filter_bar.set_columns(project.dataset.user_columns)
        self.model.set_dataset(project.dataset)
        self._current_row = None
        self.setWindowTitle(f"{project.dataset.name} — Inspector")
        if project.dataset.ids_ready:
            self.project = project
        else:
            self.pending = project
            self._identify_job = self.jobs.submit(
                "identify",
                _identify_job,
                project.dataset,
                label="Identifying rows",
                on_done=lambda dataset: self._identified(project, dataset),
                on_error=lambda exc: self._identify_failed(project, exc),
            )
        self._show_count(project.dataset.height, filtered=False)
        self._update_status()
        self.actions.update_enabled()
        if project.dataset.height:
            self.set_current_row(int(self.model.view_rows()[0]))
        if self.project is project:
            self.datasetOpened.emit(project)

    def _identified(self, project: Project, dataset: Dataset) -> None:
        if self.pending is not project:
            return  # closed, or another dataset opened meanwhile
        self.pending = None
        project.dataset = dataset
        self.project = project
        self.model.set_identified(dataset)
        self._update_status()
        self.actions.update_enabled()
        if self._current_row is not None:
            self.sample_view.show_row(dataset, self._current_row)  # its id, now known
        self.datasetOpened.emit(project)

    def _identify_failed(self, project: Project, exc: BaseException) -> None:
        if self.pending is not project:
            return
        self.close_dataset()
        from inspector.ui.app import report_exception

        report_exception(type(exc), exc, exc.__traceback__, self)
        self.openFailed.emit(str(exc))

    def shown_dataset(self) -> Dataset | None:
        """The dataset in the table: the project's, or one whose ids are being computed."""
        if self.project is not None:
            return self.project.dataset
        return self.pending.dataset if self.pending is not None else None

    def _job_finished(self, job: Job) -> None:
        # Cancel in the status bar while the ids are computed: the user gave up opening it.
        if job is self._identify_job and job.cancelled and self.pending is not None:
            self.close_dataset()

    def _close_projects(self) -> None:
        self._identify_job = None
        self.jobs.cancel("identify")
        for project in (self.project, self.pending):
            if project is not None:
                project.close()
        self.project = self.pending = None

    def _open_failed(self, exc: BaseException, path: str, opts: dict[str, Any]) -> None:
        if not isinstance(exc, DataError):
            from inspector.ui.app import report_exception

            report_exception(type(exc), exc, exc.__traceback__, self)
            self.openFailed.emit(str(exc))
            return
        if exc.bad_records and not opts.get("skip_bad_lines"):
            dialog = BadLinesDialog(exc, path, self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.accepted.connect(
                lambda: self.open_path(path, **{**opts, "skip_bad_lines": True})
            )
            self.bad_lines_dialog = dialog
            dialog.open()
        else:
            if not Path(path).expanduser().exists() and "*" not in path:
                self._remove_recent(path)
            headline, details = data_error_text(exc)
            box = QMessageBox(
                QMessageBox.Icon.Warning,
                "Cannot open the data",
                headline,
                QMessageBox.StandardButton.Ok,
                self,
            )
            box.setObjectName("open_error_box")
            box.setInformativeText(details)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.message_box = box
            box.open()
        self.openFailed.emit(exc.describe())

    def close_dataset(self) -> None:
        self.jobs.cancel("filter")
        self._close_projects()
        self._generation += 1
        self.target = None
        self.model.set_dataset(None)
        self._current_row = None
        self.sample_view.show_message(SampleView.PLACEHOLDER)
        self.filter_bar.set_query(FilterQuery(), apply=False)
        self.filter_bar.count_label.setText("")
        self.setWindowTitle("Inspector")
        self._update_status()
        self.actions.update_enabled()

    # -- recent files -----------------------------------------------------------------------
    def recent_paths(self) -> list[str]:
        try:
            value = json.loads(str(QSettings().value("recent/paths", "[]")))
        except json.JSONDecodeError:
            return []
        return [str(p) for p in value] if isinstance(value, list) else []

    def _save_recent(self, items: list[str]) -> None:
        QSettings().setValue("recent/paths", json.dumps(items[:MAX_RECENT]))

    def _add_recent(self, path: str) -> None:
        items = [p for p in self.recent_paths() if p != path]
        self._save_recent([path, *items])

    def _remove_recent(self, path: str) -> None:
        self._save_recent([p for p in self.recent_paths() if p != path])

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        items = self.recent_paths()
        for i, path in enumerate(items):
            action = self.recent_menu.addAction(f"&{(i + 1) % 10}  {path}")
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
        if not items:
            self.recent_menu.addAction("No recent datasets").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear Recent", lambda: self._save_recent([]))

    # -- drag and drop ----------------------------------------------------------------------
    @staticmethod
    def _dropped_paths(event: QDragEnterEvent | QDropEvent) -> list[str]:
        mime = event.mimeData()
        if not mime.hasUrls():
            return []
        return [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if self._dropped_paths(event):
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        dropped = self._dropped_paths(event)
        if not dropped:
            return
        event.acceptProposedAction()
        if len(dropped) > 1:
            self.statusBar().showMessage(
                f"Opened the first of {len(dropped)} dropped items; drop a folder to open "
                "several files as one dataset",
                8000,
            )
        self.open_path(dropped[0])

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
        elif len(rows):
            self.set_current_row(int(self.model.view_rows()[0]))
        else:
            self._current_row = None
            self.sample_view.show_message("No rows match the filter.")
        self.filterApplied.emit(len(rows))

    def _show_count(self, n: int, filtered: bool) -> None:
        shown = self.shown_dataset()
        total = shown.height if shown is not None else 0
        self.filter_bar.set_count(n, total, filtered)

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
