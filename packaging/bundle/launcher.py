"""The standalone bundle's ``inspector`` executable (PyInstaller one-dir): set up what a frozen
app needs, then run the ordinary command line, :func:`inspector.cli.main`.

- ``multiprocessing.freeze_support()`` first: the window's map runs in a child process
  (forkserver), which starts this same executable with multiprocessing's own arguments.
- Before the window starts, the Qt platform plugin's system libraries are checked
  (:mod:`inspector.ui.shell.platform_check`, which the window entry also runs). Qt itself
  aborts with a core dump when one is missing ("Could not load the Qt platform plugin xcb");
  here the user gets the library and the Debian package that provides it instead.
- numba compiles the text kernels and UMAP's code once per machine and caches it under the
  user's cache directory (numba's user-wide cache, keyed on this executable, which holds the
  bundled code); when that directory cannot be written, a fresh temporary one is used.
- ``INSPECTOR_PAINT_PROBE=FILE`` (benchmarks/bench_bundle.py, tests/packaging): write the
  time of the main table's first paint with rows to FILE, then quit (after
  ``INSPECTOR_PAINT_PROBE_LINGER_S`` seconds, default 0).

The same file runs from a source checkout too (``python packaging/bundle/launcher.py demo``),
which is how the benchmark times the wheel install through the same probe.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
from pathlib import Path

# Re-exported: the launcher's tests (tests/packaging/test_bundle_launcher.py) reach them here.
from inspector.ui.shell.platform_check import (  # noqa: F401
    QT_XCB_PACKAGES,
    missing_from_ldd,
    missing_libraries,
    missing_library_message,
    qt_dir,
    qt_platform_problem,
    window_problem,
)

# Subcommands that start the window; `inspector` alone or `inspector PATH` do too.
WINDOW_COMMANDS = {"open", "demo", "review"}


def opens_window(argv: list[str], commands: set[str]) -> bool:
    """Whether ``inspector ARGV`` starts the window (``commands``: every subcommand name)."""
    if not argv:
        return True
    first = argv[0]
    if first.startswith("-"):
        return False
    if first == "demo":
        return "--no-window" not in argv and not {"-h", "--help"} & set(argv)
    if first in WINDOW_COMMANDS:
        return not {"-h", "--help"} & set(argv)
    return first not in commands


def use_writable_numba_cache() -> None:
    """numba's user-wide cache must be writable, or every cached kernel fails to compile."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    target = Path(base) / "numba"
    try:
        target.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target):
            return
    except OSError:
        # numba's frozen-app cache follows XDG_CACHE_HOME (and so does Inspector's own cache,
        # unless INSPECTOR_HOME says otherwise: it could not be written either).
        os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="inspector-cache-")


def install_paint_probe(target: str) -> None:
    """Create the QApplication now with a filter that notes the first paint of a table with
    rows in the main window (on the demo: the data table), writing ``time.time()`` to
    ``target``, and quits then, or ``INSPECTOR_PAINT_PROBE_LINGER_S`` seconds later; the app
    entry reuses this instance."""
    import time

    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow, QTableView

    app = QApplication(sys.argv[:1])
    linger_s = float(os.environ.get("INSPECTOR_PAINT_PROBE_LINGER_S", "0") or 0)

    class PaintProbe(QObject):
        done = False

        def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
            if self.done or event.type() != QEvent.Type.Paint:
                return False
            view = obj.parent()
            if (
                isinstance(view, QTableView)
                and isinstance(view.window(), QMainWindow)  # the window's table, not a dialog's
                and view.model() is not None
                and view.model().rowCount() > 0
            ):
                self.done = True
                Path(target).write_text(f"{time.time():.6f}\n")
                QTimer.singleShot(int(linger_s * 1000), app.quit)
            return False

    probe = PaintProbe(app)
    app.installEventFilter(probe)


def main() -> int:
    multiprocessing.freeze_support()
    argv = sys.argv[1:]
    if getattr(sys, "frozen", False):
        use_writable_numba_cache()
        if not any(os.environ.get(k) for k in ("LC_ALL", "LC_CTYPE", "LANG")):
            os.environ["LC_CTYPE"] = "C.UTF-8"  # Qt warns and switches to it anyway
    from inspector.cli import build_parser
    from inspector.cli import main as cli_main

    parser = build_parser()
    commands = set(parser._subparsers._group_actions[0].choices) if parser._subparsers else set()
    if opens_window(argv, commands):
        problem = window_problem()  # asked once: the window entry gets the same answer
        if problem:
            print(problem, file=sys.stderr)
            return 3
        probe = os.environ.get("INSPECTOR_PAINT_PROBE")
        if probe:
            install_paint_probe(probe)
    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
