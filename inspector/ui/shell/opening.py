"""Opening data in the main window: File ▸ Open, Open Folder, Recent, drag and drop, the
split of a DatasetDict, and the two steps of an open — the rows shown at once, then (for
content-hash ids) the ids computed in the background before ``datasetOpened`` fires.

:class:`DatasetOpener` is the window's collaborator for this: made with the window, it uses
the window's ``jobs``, ``model``, ``filter_bar``, ``facts``, ``actions`` and the row/status
methods, and sets the window's ``project``, ``pending``, ``target`` and ``open_options``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QMessageBox

from inspector.core.data.dataset import Dataset
from inspector.core.data.sources import split_rows
from inspector.core.errors import DataError
from inspector.core.jobs import Progress
from inspector.core.labels.reconcile import carry_labels
from inspector.core.project import Project, open_project
from inspector.ui.common.jobs import Job
from inspector.ui.common.sample_view import SampleView
from inspector.ui.data.filter_bar import FilterQuery
from inspector.ui.data.open_dialogs import BadLinesDialog, SplitDialog, data_error_text

if TYPE_CHECKING:
    from inspector.ui.shell.main_window import MainWindow

MAX_RECENT = 10
FILE_FILTER = (
    "Training data (*.jsonl *.ndjson *.json *.parquet *.csv *.tsv *.arrow *.feather *.ipc "
    "*.gz *.zst *.zstd);;All files (*)"
)


def _open_job(params: tuple[str, dict[str, Any]], progress: Progress) -> Project:
    path, opts = params
    # Content-hash ids come after the table is painted (see _opened and _identify_job).
    project = open_project(path, progress=progress, defer_ids=True, **opts)
    if progress.cancelled:  # superseded (another open, F5): nobody will take it, so close it
        project.close()
        progress.check()
    return project


def _identify_job(project: Project, progress: Progress) -> Dataset:
    """The ids, then the labels checked against them (one transaction, in this worker)."""
    dataset = project.dataset.identified(progress)
    progress.check()
    project.reconcile(dataset)
    return dataset


class DatasetOpener:
    """File ▸ Open and friends for one :class:`MainWindow` (see the module docstring)."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window

    # -- opening ----------------------------------------------------------------------------
    def choose_file(self) -> None:
        start = str(QSettings().value("open/last_dir", str(Path.home())))
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Open a training set", start, FILE_FILTER
        )
        if path:
            self.open_path(path)

    def choose_folder(self) -> None:
        start = str(QSettings().value("open/last_dir", str(Path.home())))
        path = QFileDialog.getExistingDirectory(self.window, "Open a folder of data files", start)
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path, **opts: Any) -> None:
        """Open a file, folder or glob in the background; ``opts`` go to ``open_project``.
        ``datasetOpened`` fires when it is shown; ``openFailed`` when it cannot be read."""
        path = str(path)
        QSettings().setValue("open/last_dir", str(Path(path).expanduser().parent))
        if opts.get("split") is None and self._ask_split(path, opts):
            return
        self.window.jobs.submit(
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
        dialog = SplitDialog(path, splits, remembered, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._split_chosen(path, opts, dialog.split()))
        self.window.split_dialog = dialog
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
        if self.window.target is not None:
            self._split_chosen(self.window.target, self.window.open_options, split)

    def _fill_split_menu(self) -> None:
        self.window.split_menu.clear()
        shown = self.window.shown_dataset()
        if shown is None:
            return
        for name in shown.sources.splits:
            action = self.window.split_menu.addAction(name)
            action.setCheckable(True)
            action.setChecked(name == shown.sources.split)
            action.triggered.connect(lambda _checked=False, n=name: self.switch_split(n))

    def reload(self) -> None:
        if self.window.target:
            self.open_path(self.window.target, **self.window.open_options)

    def _opened(self, project: Project, path: str, opts: dict[str, Any]) -> None:
        """Show the rows at once; the project becomes ``self.window.project`` (and ``datasetOpened``
        fires) when its ids are ready, which for content hashes is a background job."""
        self._close_projects()
        self.window.facts.show_stale(0)
        self.window._generation += 1
        self.window.target = path
        self.window.open_options = dict(opts)
        self._add_recent(path)
        self.window.filter_bar.set_query(FilterQuery(), apply=False)
        self.window.filter_bar.set_columns(project.dataset.user_columns)
        self.window.model.set_dataset(project.dataset)
        self.window._current_row = None
        self.window.setWindowTitle(f"{project.dataset.name} — Inspector")
        if project.dataset.ids_ready:
            self.window.project = project
        else:
            self.window.pending = project
            self.window._identify_job = self.window.jobs.submit(
                "identify",
                _identify_job,
                project,
                label="Identifying rows",
                on_done=lambda dataset: self._identified(project, dataset),
                on_error=lambda exc: self._identify_failed(project, exc),
            )
        self.window._show_count(project.dataset.height, filtered=False)
        self.window._update_status()
        self.window.actions.update_enabled()
        if project.dataset.height:
            self.window.set_current_row(int(self.window.model.view_rows()[0]))
        if self.window.project is project:
            self._labels_checked(project)
            self.window.datasetOpened.emit(project)

    def _identified(self, project: Project, dataset: Dataset) -> None:
        if self.window.pending is not project:
            return  # closed, or another dataset opened meanwhile
        self.window.pending = None
        project.dataset = dataset
        self.window.project = project
        with self.window.table.keeping_selection():  # (a sort by id changes order now)
            self.window.model.set_identified(dataset)
        self.window._update_status()
        self.window.actions.update_enabled()
        if self.window._current_row is not None:
            self.window.sample_view.show_row(dataset, self.window._current_row)  # its id, now known
        self._labels_checked(project)
        self.window.datasetOpened.emit(project)

    def _labels_checked(self, project: Project) -> None:
        """Say what checking the labels against the rows did; offer the labels made on an
        earlier version of the same data path (they are checked the same way)."""
        self.window.facts.show_stale(project.stale_labels)
        if project.reconciled is not None and project.reconciled.summary():
            self.window.statusBar().showMessage(f"Labels: {project.reconciled.summary()}", 15000)
        previous = project.previous
        if previous is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Labels from an earlier version",
            f"{previous.labels:,} labels were made on an earlier version of "
            f"{project.dataset.name}. Carry them over?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self.window,
        )
        box.setObjectName("carry_labels_box")
        box.setInformativeText(
            "Each label is checked against the current rows: a label whose row changed or went "
            f"away is set aside as stale, never exported.\n\nThey are in {previous.path}."
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda result: self._carry_answered(project, result))
        self.window.message_box = box
        box.open()

    def _carry_answered(self, project: Project, result: int) -> None:
        if self.window.project is not project or project.previous is None:
            return  # another dataset is open now
        if result != QMessageBox.StandardButton.Yes:
            project.decline_previous()
            return
        carry_labels(project.store, project.previous.path)
        project.previous = None
        self.reload()  # opened again: the carried labels are checked against the rows

    def _identify_failed(self, project: Project, exc: BaseException) -> None:
        if self.window.pending is not project:
            return
        self.close_dataset()
        from inspector.ui.shell.app import report_exception

        report_exception(type(exc), exc, exc.__traceback__, self.window)
        self.window.openFailed.emit(str(exc))

    def _job_finished(self, job: Job) -> None:
        # Cancel in the status bar while the ids are computed: the user gave up opening it.
        if job is self.window._identify_job and job.cancelled and self.window.pending is not None:
            self.close_dataset()

    def _close_projects(self) -> None:
        self.window._identify_job = None
        self.window.jobs.cancel("identify")
        if self.window.project is not None or self.window.pending is not None:
            self.window.datasetClosing.emit()
        for project in (self.window.project, self.window.pending):
            if project is not None:
                project.close()
        self.window.project = self.window.pending = None

    def _open_failed(self, exc: BaseException, path: str, opts: dict[str, Any]) -> None:
        if not isinstance(exc, DataError):
            from inspector.ui.shell.app import report_exception

            report_exception(type(exc), exc, exc.__traceback__, self.window)
            self.window.openFailed.emit(str(exc))
            return
        if exc.bad_records and not opts.get("skip_bad_lines"):
            dialog = BadLinesDialog(exc, path, self.window)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.accepted.connect(
                lambda: self.open_path(path, **{**opts, "skip_bad_lines": True})
            )
            self.window.bad_lines_dialog = dialog
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
                self.window,
            )
            box.setObjectName("open_error_box")
            box.setInformativeText(details)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.window.message_box = box
            box.open()
        self.window.openFailed.emit(exc.describe())

    def close_dataset(self) -> None:
        self.window.jobs.cancel("filter")
        self._close_projects()
        self.window._generation += 1
        self.window.target = None
        self.window.model.set_dataset(None)
        self.window._current_row = None
        self.window.sample_view.show_message(SampleView.PLACEHOLDER)
        self.window.filter_bar.set_query(FilterQuery(), apply=False)
        self.window.filter_bar.count_label.setText("")
        self.window.setWindowTitle("Inspector")
        self.window._update_status()
        self.window.actions.update_enabled()

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
        self.window.recent_menu.clear()
        items = self.recent_paths()
        for i, path in enumerate(items):
            action = self.window.recent_menu.addAction(f"&{(i + 1) % 10}  {path}")
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
        if not items:
            self.window.recent_menu.addAction("No recent datasets").setEnabled(False)
        else:
            self.window.recent_menu.addSeparator()
            self.window.recent_menu.addAction("Clear Recent", lambda: self._save_recent([]))

    # -- drag and drop ----------------------------------------------------------------------
    @staticmethod
    def _dropped_paths(event: QDragEnterEvent | QDropEvent) -> list[str]:
        mime = event.mimeData()
        if not mime.hasUrls():
            return []
        return [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]

    def drag_entered(self, event: QDragEnterEvent) -> None:
        if self._dropped_paths(event):
            event.acceptProposedAction()

    def dropped(self, event: QDropEvent) -> None:
        dropped = self._dropped_paths(event)
        if not dropped:
            return
        event.acceptProposedAction()
        if len(dropped) > 1:
            self.window.statusBar().showMessage(
                f"Opened the first of {len(dropped)} dropped items; drop a folder to open "
                "several files as one dataset",
                8000,
            )
        self.open_path(dropped[0])
