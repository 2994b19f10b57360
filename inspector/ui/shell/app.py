"""Starting the window: the QApplication, settings, the log file and the safety net.

Unexpected exceptions anywhere in the window go to :func:`report_exception`: written to
``inspector.log`` (rotating) in the user log directory and shown in a dialog with the
details; the window keeps running.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import traceback
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QSettings, Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from inspector.core import paths
from inspector.ui.shell.platform_check import exit_if_window_cannot_start

if TYPE_CHECKING:
    from inspector.ui.shell.main_window import MainWindow

ORGANISATION = "Inspector"
APPLICATION = "Inspector"
LOG_FILE = "inspector.log"
log = logging.getLogger("inspector")


_none_shielded = False


def shield_none_refcount() -> None:
    """Work around PySide6 6.12's abi3 wheels on Python < 3.12: every call that returns None
    drops a reference to ``None`` without taking one (``label.setText`` x 5,000 aborts the
    process with "deallocating None"). From 3.12 ``None`` is immortal and this is a no-op;
    before that, give it references it can never run out of."""
    global _none_shielded
    if sys.version_info >= (3, 12) or _none_shielded:
        return
    import ctypes

    ctypes.c_ssize_t.from_address(id(None)).value += 1 << 40  # ob_refcnt is the first field
    _none_shielded = True


def configure_settings() -> None:
    """Name the app for QSettings; with ``INSPECTOR_HOME`` set (tests, portable installs) the
    settings live in an INI file under it instead of the user's real settings."""
    QCoreApplication.setOrganizationName(ORGANISATION)
    QCoreApplication.setApplicationName(APPLICATION)
    home = os.environ.get("INSPECTOR_HOME")
    if home:
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(
            QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(Path(home) / "settings")
        )


def log_path() -> Path:
    return paths.log_dir() / LOG_FILE


def setup_logging() -> Path:
    """Log to ``inspector.log`` in the user log directory (1 MB, 3 old files kept)."""
    path = log_path()
    for handler in log.handlers:
        if isinstance(handler, RotatingFileHandler) and Path(handler.baseFilename) == path:
            return path
    handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return path


class ExceptionDialog(QMessageBox):
    """ "Something went wrong" with the message, a details section and where the log is."""

    def __init__(self, exc: BaseException, details: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("exception_dialog")
        self.setIcon(QMessageBox.Icon.Critical)
        self.setWindowTitle("Inspector ran into a problem")
        message = str(exc) or type(exc).__name__
        self.setText(f"Something went wrong: {type(exc).__name__}: {message[:500]}")
        self.setInformativeText(
            "Inspector keeps running, but what you were doing may not have finished.\n"
            f"The details were written to {log_path()}."
        )
        self.setDetailedText(details)
        self.setStandardButtons(QMessageBox.StandardButton.Close)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)


_dialog: ExceptionDialog | None = None


def report_exception(
    exc_type: type[BaseException],
    exc: BaseException,
    tb: TracebackType | None,
    parent: QWidget | None = None,
) -> ExceptionDialog | None:
    """Log an unexpected exception and show it in a dialog (one at a time: a burst of the same
    failure goes to the log, not into a stack of dialogs)."""
    global _dialog
    details = "".join(traceback.format_exception(exc_type, exc, tb))
    try:
        setup_logging()
        log.error("unexpected error\n%s", details)
    except OSError:  # an unwritable log directory must not hide the dialog
        pass
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        sys.stderr.write(details)
        return None
    if _dialog is not None:
        try:
            if _dialog.isVisible():
                return None
        except RuntimeError:  # deleted on close
            pass
    parent = parent or app.activeWindow() or _main_window(app)
    _dialog = ExceptionDialog(exc, details, parent)
    _dialog.open()
    return _dialog


def _main_window(app: QApplication) -> QWidget | None:
    from inspector.ui.shell.main_window import MainWindow

    for w in app.topLevelWidgets():
        if isinstance(w, MainWindow) and w.isVisible():
            return w
    return None


def _excepthook(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        QApplication.quit()
        return
    report_exception(exc_type, exc, tb)


def install_excepthook() -> None:
    """Route uncaught exceptions (slots, event handlers) to :func:`report_exception`."""
    sys.excepthook = _excepthook


def app_icon() -> QIcon:
    """The app's icon, ``resources/icon.svg`` (an empty icon if the file is missing)."""
    try:
        return QIcon(str(paths.resources_dir() / "icon.svg"))
    except FileNotFoundError:
        return QIcon()


# How often Python hands the GIL between threads in the window's process (default 5 ms).
# A key press releases the GIL several times (the label's SQLite write, the paint); with a
# background job holding it (retraining the quality model) each release cost up to 5 ms:
# bench_learn --only keys at 100k rows, key p95 while training 153 ms at 5 ms, 44 ms at 0.5 ms,
# with no slower training (bench_learn_keys.json).
UI_SWITCH_INTERVAL_S = 0.0005


def make_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication (made once), named for the settings, with a consistent style."""
    shield_none_refcount()
    sys.setswitchinterval(UI_SWITCH_INTERVAL_S)
    configure_settings()
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationDisplayName("Inspector")
    app.setWindowIcon(app_icon())
    app.setDesktopFileName("inspector")  # matches packaging/inspector.desktop (taskbar icon)
    if sys.platform.startswith("linux"):
        app.setStyle("Fusion")  # the same look on every desktop
    return app


def build_window() -> MainWindow:
    """The main window with every feature installed: map, review sessions, issues."""
    from inspector.ui.shell.features import install_all
    from inspector.ui.shell.main_window import MainWindow

    window = install_all(MainWindow())
    docks = window.docks
    if QSettings().value("window/state") is None and {"dock_review", "dock_issues"} <= set(docks):
        # First start: Review and Issues share one place under the map, Issues in front (the
        # Review tab comes forward by itself when there is a session to resume).
        window.tabifyDockWidget(docks["dock_review"], docks["dock_issues"])
        docks["dock_issues"].raise_()
    return window


def run_app(
    path: str | None = None,
    *,
    review_queue: str | None = None,
    resume_review: bool = False,
    analysis: str | None = None,
    **open_opts: Any,
) -> int:
    """Show the window (opening ``path`` if given) and run until it closes.

    ``review_queue`` (e.g. ``unlabeled``) starts a review session on that list once the data
    is open; ``resume_review`` resumes the latest unfinished one instead. ``analysis`` (a
    folder ``inspector analyze --out`` wrote) is shown over the data, checked against it first
    (without ``path``: the data its manifest names). ``open_opts`` go to
    :func:`inspector.core.project.open_project`
    (``skip_bad_lines``, ``kind``, ``fields``, ``id_column``, ``split``, ``project_path``).
    """
    exit_if_window_cannot_start()  # Qt would abort: name the missing library or display
    app = make_app()
    setup_logging()
    install_excepthook()
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl+C in the terminal ends the app
    window = build_window()
    window.show()
    review = window.review_service()
    if review is not None and resume_review:
        review.resume_when_ready()
    elif review is not None and review_queue:
        review.start_when_ready(review_queue)
    opts = {k: v for k, v in open_opts.items() if v is not None}
    opener = window.features.open_analysis
    if analysis and opener is not None:
        if path:
            QTimer.singleShot(0, lambda: opener.open_with(path, analysis, **opts))
        else:
            QTimer.singleShot(0, lambda: opener.open_folder(analysis))
    elif path:
        QTimer.singleShot(0, lambda: window.open_path(path, **opts))
    log.info("started")
    return int(app.exec())
