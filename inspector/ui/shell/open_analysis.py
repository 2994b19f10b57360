"""File ▸ Open Analysis… and ``inspector PATH --analysis DIR``: show a finished analysis
(``inspector analyze --out DIR``, local or Ray engine) over its dataset, nothing recomputed.

:class:`OpenAnalysisController` (installed by ``features.install_open_analysis``) reads and
checks the folder on the job runner (:func:`inspector.core.scale.open_analysis.open_analysis`),
then hands the map to the map dock (``MapCompute.show_given``: no map job runs for that
dataset) and the table to the Issues dock (``IssuesController.show_analysis``); the proposals
go into the project's store, so review sessions, labels and File ▸ Export work on top. A
folder made from other data is refused with a message naming it and what differs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from inspector.core.errors import DataError
from inspector.core.jobs import Progress
from inspector.core.scale import open_analysis as core

if TYPE_CHECKING:
    from inspector.core.project import Project
    from inspector.ui.shell.main_window import MainWindow

JOB_KIND = "open-analysis"
WAITING = "Reading the map from the analysis…"


class OpenAnalysisController(QObject):
    """Opens analysis folders in one window (see the module docstring)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.pending: Path | None = None  # a folder waiting for its dataset to open
        self.opened: core.OpenedAnalysis | None = None  # the analysis shown
        self.last_error: BaseException | None = None
        self.message_box: QMessageBox | None = None
        action = window.actions.register(
            "file.open_analysis",
            "Open &Analysis…",
            self.choose_folder,
            tip="Open the folder 'inspector analyze --out' wrote (local or Ray) over its data",
        )
        file_menu = window.actions.menu("File")
        after = [a for a in file_menu.actions() if a.objectName() == "file.open_folder"]
        at = file_menu.actions().index(after[0]) + 1 if after else 0
        rest = file_menu.actions()[at:]
        if rest:
            file_menu.insertAction(rest[0], action)
        else:
            file_menu.addAction(action)
        window.datasetOpened.connect(self._dataset_opened)
        window.datasetClosing.connect(self._closing)

    # -- asking ------------------------------------------------------------------------------
    def choose_folder(self) -> None:
        start = str(QSettings().value("open/last_analysis_dir", str(Path.home())))
        folder = QFileDialog.getExistingDirectory(
            self.window, "Open an analysis folder (inspector analyze --out)", start
        )
        if folder:
            self.open_folder(folder)

    def open_folder(self, folder: str | Path) -> None:
        """Open ``folder`` over the dataset shown; with none shown, over the data its
        manifest names (opened first)."""
        folder = Path(folder).expanduser()
        QSettings().setValue("open/last_analysis_dir", str(folder.parent))
        project = self.window.project
        if project is not None:
            self._load(project, folder)
            return
        if self.window.pending is not None:  # ids still being computed: when they are
            self.pending = folder
            return
        try:
            target = core.find_files(folder).manifest["dataset"].get("target")
        except DataError as exc:
            self._refused(folder, exc)
            return
        if not target or not Path(str(target)).expanduser().exists():
            self._refused(
                folder,
                DataError(
                    f"names the data {target!r}, which is not here",
                    file=folder / core.MANIFEST,
                    hint="open the data first (File ▸ Open), then the analysis",
                ),
            )
            return
        self.open_with(str(target), folder)

    def open_with(self, path: str, folder: str | Path, **opts: Any) -> None:
        """Open the data at ``path`` and then the analysis in ``folder`` over it."""
        self.pending = Path(folder).expanduser()
        self.window.open_path(path, **opts)

    # -- loading -----------------------------------------------------------------------------
    def _dataset_opened(self, project: Project) -> None:
        self.opened = None
        if self.pending is not None:
            folder, self.pending = self.pending, None
            self._load(project, folder)

    def _closing(self) -> None:
        self.window.jobs.cancel(JOB_KIND)
        self.opened = None

    def _load(self, project: Project, folder: Path) -> None:
        map_panel = self.window.features.map
        if map_panel is not None:
            map_panel.computer.expect_given(project, WAITING)
        from inspector.core.junk.project_junk import project_rules_path

        rules = project_rules_path(project)

        def work(_params: Any, progress: Progress) -> core.OpenedAnalysis:
            opened = core.open_analysis(project.dataset, folder, progress, rules_path=rules)
            progress.check()
            core.adopt_analysis(project, opened)
            opened.release_proposals()  # in the store now: read from there
            return opened

        self.window.jobs.submit(
            JOB_KIND,
            work,
            None,
            label=f"Opening the analysis {folder.name}",
            on_done=lambda opened: self._loaded(project, opened),
            on_error=lambda exc: self._failed(project, folder, exc),
        )

    def _loaded(self, project: Project, opened: core.OpenedAnalysis) -> None:
        if project is not self.window.project:
            return
        self.opened = opened
        features = self.window.features
        if features.map is not None:
            features.map.computer.show_given(
                project,
                opened.xy,
                opened.coarse,
                opened.names_coarse,
                opened.fine,
                opened.names_fine,
            )
        if features.issues is not None:
            features.issues.show_analysis(opened.table, opened.describe())
        self.window.statusBar().showMessage(opened.describe(), 15_000)
        self.window.actions.update_enabled()

    def _failed(self, project: Project, folder: Path, exc: BaseException) -> None:
        if project is not self.window.project:
            return
        map_panel = self.window.features.map
        if map_panel is not None:
            map_panel.computer.drop_given(
                f"The analysis {folder} was not opened.\n\nCompute map (Ctrl+M) to make a map."
            )
        if not isinstance(exc, DataError):
            from inspector.ui.shell.app import report_exception

            self.last_error = exc
            report_exception(type(exc), exc, exc.__traceback__, self.window)
            return
        self._refused(folder, exc)

    def _refused(self, folder: Path, exc: DataError) -> None:
        self.last_error = exc
        mismatch = isinstance(exc, core.AnalysisMismatch)
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Cannot open the analysis",
            f"{folder} was made from other data; it was not opened."
            if mismatch
            else f"{folder} cannot be opened as an analysis.",
            QMessageBox.StandardButton.Ok,
            self.window,
        )
        box.setObjectName("open_analysis_error_box")
        box.setInformativeText(exc.describe())
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.message_box = box
        box.open()
        self.window.statusBar().showMessage(f"Analysis not opened: {exc.describe()}", 15_000)
