"""File ▸ Export Filter List… and File ▸ Import Filter… (a collaborator of the review
controller).

The dialogs collect the choices; :meth:`FilterFileActions.export_now` and
:meth:`FilterFileActions.import_now` do the work, so tests run what the menus run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication

from inspector.ui.review.review_dialogs import ExportDialog, ImportDialog

if TYPE_CHECKING:
    from inspector.core.export.filter_import import ImportResult
    from inspector.core.export.filterfile import ExportResult
    from inspector.ui.common.host import Host
    from inspector.ui.review.labelling import LabelsHub


class busy_cursor:
    """A wait cursor around work that holds the window (a bulk edit, an import)."""

    def __enter__(self) -> None:
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)

    def __exit__(self, *exc: object) -> None:
        QGuiApplication.restoreOverrideCursor()


class FilterFileActions:
    """Export and import for :class:`~inspector.ui.review.review_wiring.ReviewController`:
    ``has_data`` says whether there are labels to work on, ``say`` puts a line in the status
    bar, ``error`` shows a failure."""

    def __init__(
        self,
        host: Host,
        hub: LabelsHub,
        *,
        has_data: Callable[[], bool],
        say: Callable[[str], None],
        error: Callable[[str, BaseException], None],
    ) -> None:
        self.host = host
        self.hub = hub
        self._has_data = has_data
        self._say = say
        self._error = error
        self.last_export: ExportResult | None = None
        self.last_import: ImportResult | None = None
        # the dialogs last shown (tests reach them here)
        self.export_dialog: ExportDialog | None = None
        self.import_dialog: ImportDialog | None = None

    # -- filter files --------------------------------------------------------------------------
    def show_export_dialog(self) -> None:
        if not self._has_data():
            return
        last = str(QSettings().value("review/export_path", ""))
        start = last or str(Path.home() / "filter.parquet")
        dialog = ExportDialog(start, self.host.main_window())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.export_in_background(*dialog.values()))
        self.export_dialog = dialog
        dialog.open()

    def export_now(
        self, path: str | Path, fmt: str | None = None, include_proposals: bool = False
    ) -> ExportResult:
        """Write the filter file and its manifest (what the Export dialog runs)."""
        from inspector.core.export.project_export import export_project

        project = self.host.project
        if project is None:
            raise ValueError("open a dataset first")
        result = export_project(project, path, format=fmt, include_proposals=include_proposals)
        self.last_export = result
        return result

    def export_in_background(self, path: str, fmt: str, include_proposals: bool) -> None:
        if not path:
            return
        QSettings().setValue("review/export_path", path)

        def run(params: Any, _progress: Any) -> ExportResult:
            return self.export_now(*params)

        def done(result: ExportResult) -> None:
            by = ", ".join(f"{v:,} {k}" for k, v in result.counts.get("by_action", {}).items())
            self._say(f"Wrote {result.rows:,} rows to {result.path}" + (f" ({by})" if by else ""))

        def failed(exc: BaseException) -> None:
            if not isinstance(exc, ValueError | OSError):
                raise exc
            self._error("Cannot export the filter list", exc)

        self.host.jobs.submit(
            "export_filter",
            run,
            (path, fmt, include_proposals),
            label="Exporting the filter list",
            on_done=done,
            on_error=failed,
        )

    def show_import_dialog(self) -> None:
        if not self._has_data():
            return
        start = str(Path(str(QSettings().value("review/export_path", Path.home()))).parent)
        dialog = ImportDialog(start, self.host.main_window())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._import_from_dialog(*dialog.values()))
        self.import_dialog = dialog
        dialog.open()

    def _import_from_dialog(self, path: str, as_: str, reason: str | None) -> None:
        if not path:
            return
        try:
            self.import_now(path, as_=as_, reason=reason)
        except (ValueError, OSError) as exc:
            self._error("Cannot import the filter", exc)

    def import_now(
        self, path: str | Path, *, as_: str = "decisions", reason: str | None = None
    ) -> ImportResult:
        """Read a filter file back as decisions (one undoable step) or proposals."""
        from inspector.core.export.filter_import import import_filter

        if self.hub.book is None:
            raise ValueError("open a dataset first")
        with busy_cursor():
            result = import_filter(self.hub.book, path, as_=as_, reason=reason)
        self.hub.absorb(result.changes)
        self.last_import = result
        missing = f"; {result.not_found:,} ids not in this data" if result.not_found else ""
        what = "decisions" if as_ == "decisions" else "proposals"
        self._say(f"Imported {result.matched:,} {what} from {Path(path).name}{missing}")
        return result
