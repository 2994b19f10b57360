"""The window as a feature sees it: one typed :class:`Host` given to every feature's
constructor.

A feature (the map, review sessions, the Issues dock, …) uses only what is here: the open
project, the job runner, the action table, docks, the rows shown, current and selected, the
signals it listens to, the sample pane, and the services other features offer
(:mod:`inspector.ui.common.services`). Rows are always *dataset* row positions.
:class:`inspector.ui.shell.main_window.MainWindow` is the one implementation; the shell
composes the features (:mod:`inspector.ui.shell.features`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np
    from PySide6.QtCore import Qt, SignalInstance
    from PySide6.QtWidgets import (
        QDockWidget,
        QMainWindow,
        QMessageBox,
        QSplitter,
        QStatusBar,
        QTableView,
        QWidget,
    )

    from inspector.core.project import Project
    from inspector.ui.common.actions import ActionRegistry, HelpOverlay
    from inspector.ui.common.jobs import JobRunner
    from inspector.ui.common.sample_view import SampleView
    from inspector.ui.common.services import MapService, ReviewService


class Host(Protocol):
    """What a window feature may use. Signals: ``datasetOpened(project)``, ``datasetClosing()``
    (let go of the project now, its store still open), ``currentRowChanged(row)``,
    ``selectionChanged(rows)``, ``formatChanged(spec)``, ``filterApplied(n)`` (-1: the query
    has an error), ``openFailed(message)``."""

    @property
    def datasetOpened(self) -> SignalInstance: ...  # noqa: N802 - Qt signal names
    @property
    def datasetClosing(self) -> SignalInstance: ...  # noqa: N802
    @property
    def currentRowChanged(self) -> SignalInstance: ...  # noqa: N802
    @property
    def selectionChanged(self) -> SignalInstance: ...  # noqa: N802
    @property
    def formatChanged(self) -> SignalInstance: ...  # noqa: N802
    @property
    def filterApplied(self) -> SignalInstance: ...  # noqa: N802
    @property
    def openFailed(self) -> SignalInstance: ...  # noqa: N802

    # -- the project, jobs and actions ---------------------------------------------------------
    @property
    def project(self) -> Project | None:
        """The open project (None until a dataset is open and its rows have their ids)."""

    @property
    def jobs(self) -> JobRunner: ...
    @property
    def actions(self) -> ActionRegistry: ...
    @property
    def help_overlay(self) -> HelpOverlay: ...

    # -- rows: current, selected, shown ---------------------------------------------------------
    def current_row(self) -> int | None: ...
    def set_current_row(self, row: int) -> None: ...
    def selected_rows(self) -> np.ndarray: ...
    def select_rows(self, rows: np.ndarray) -> None: ...
    def view_rows(self) -> np.ndarray: ...
    def set_view_rows(self, rows: np.ndarray) -> None: ...
    def base_rows(self) -> np.ndarray:
        """The rows the text filter shows, before any narrowing by a feature."""

    def row_in_view(self, row: int) -> bool: ...
    def first_view_row(self) -> int | None: ...

    # -- the filter bar --------------------------------------------------------------------------
    def add_filter_widget(self, widget: QWidget) -> None:
        """Put ``widget`` in the filter bar, before the row count."""

    def filter_is_empty(self) -> bool: ...
    def apply_filter(self) -> None: ...
    def clear_filter(self) -> None: ...

    # -- places ----------------------------------------------------------------------------------
    @property
    def docks(self) -> dict[str, QDockWidget]: ...
    def add_dock(
        self,
        widget: QWidget,
        title: str,
        area: Qt.DockWidgetArea = ...,
        *,
        visible: bool = True,
    ) -> QDockWidget: ...
    def restore_dock_layout(self) -> None:
        """Put docks just added where the saved layout had them."""

    @property
    def table(self) -> QTableView: ...
    @property
    def sample_view(self) -> SampleView: ...
    @property
    def splitter(self) -> QSplitter: ...
    def statusBar(self) -> QStatusBar: ...  # noqa: N802 - Qt's name
    def main_window(self) -> QMainWindow:
        """The window itself, for what Qt does with a main window (dialog parent, central
        widget, dock layout)."""

    message_box: QMessageBox | None  # the message box last shown (tests reach it here)

    # -- other features' services ----------------------------------------------------------------
    def map_service(self) -> MapService | None:
        """The map, when one is installed."""

    def review_service(self) -> ReviewService | None:
        """Review sessions, when installed."""
