"""The standalone bundle's ``inspector`` executable (PyInstaller one-dir): set up what a frozen
app needs, then run the ordinary command line, :func:`inspector.cli.main`.

- ``multiprocessing.freeze_support()`` first: the window's map runs in a child process
  (forkserver), which starts this same executable with multiprocessing's own arguments.
- Before the window starts, the Qt platform plugin's system libraries are checked. Qt itself
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
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

# sonames Qt's xcb platform plugin needs that a desktop may lack -> the Debian package
QT_XCB_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libSM.so.6": "libsm6",
    "libICE.so.6": "libice6",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libGLX.so.0": "libglx0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
}
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


def missing_libraries(binary: Path, search: Sequence[Path] = ()) -> list[str]:
    """The sonames ``binary`` needs that the dynamic loader cannot find (``ldd``), with
    ``search`` folders where the bundle keeps its own libraries."""
    ldd = shutil.which("ldd") or ("/usr/bin/ldd" if Path("/usr/bin/ldd").exists() else None)
    if ldd is None:
        return _missing_by_dlopen(binary)
    env = dict(os.environ)
    env["LD_LIBRARY_PATH"] = os.pathsep.join(
        [str(p) for p in search] + [env.get("LD_LIBRARY_PATH", "")]
    ).strip(os.pathsep)
    try:
        out = subprocess.run(
            [ldd, str(binary)], capture_output=True, text=True, env=env, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return missing_from_ldd(out)


def missing_from_ldd(text: str) -> list[str]:
    """``libfoo.so.1 => not found`` lines of ``ldd`` output, as sonames."""
    return [
        line.split("=>")[0].strip()
        for line in text.splitlines()
        if "=>" in line and line.split("=>")[1].strip() == "not found"
    ]


def _missing_by_dlopen(binary: Path) -> list[str]:
    import ctypes

    try:
        ctypes.CDLL(str(binary))
    except OSError as exc:
        name = str(exc).split(":")[0].strip()
        return [name] if name.endswith(tuple(f".so.{n}" for n in range(10))) else [str(exc)]
    return []


def missing_library_message(missing: list[str], plugin: str = "xcb") -> str:
    """What the user reads when the window cannot start: the libraries and the packages."""
    packages = sorted({QT_XCB_PACKAGES[m] for m in missing if m in QT_XCB_PACKAGES})
    lines = [
        f"Inspector cannot open its window: Qt's '{plugin}' platform plugin needs "
        f"{', '.join(missing)}, which this system does not have.",
    ]
    if packages:
        lines.append(f"Install it (Debian, Ubuntu): sudo apt-get install {' '.join(packages)}")
    else:
        lines.append("Install the package that provides it with your system's package manager.")
    lines.append(
        "The command-line tools (inspector info, map, analyze, ...) work without it; "
        "QT_QPA_PLATFORM=offscreen runs the window without a screen."
    )
    return "\n".join(lines)


def qt_platform_problem(qt_dir: Path) -> str | None:
    """Why Qt's platform plugin would fail to start here, or ``None``. Only the xcb plugin
    (X11, and XWayland) is checked: offscreen needs nothing more, and in a Wayland session Qt
    starts with its wayland plugin."""
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith("xcb"):
        return None
    wayland = qt_dir / "plugins" / "platforms" / "libqwayland.so"
    if not platform and os.environ.get("WAYLAND_DISPLAY") and wayland.is_file():
        return None  # Qt tries its wayland plugin first (and xcb through XWayland after it)
    plugin = qt_dir / "plugins" / "platforms" / "libqxcb.so"
    if not plugin.is_file():
        return None
    missing = missing_libraries(plugin, [qt_dir / "lib", qt_dir.parent.parent])
    if missing:
        return missing_library_message(missing)
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        return (
            "Inspector cannot open its window: there is no display (DISPLAY is not set).\n"
            "Run it from a desktop session, or set QT_QPA_PLATFORM=offscreen to run the window "
            "without a screen; the command-line tools (inspector info, map, ...) need neither."
        )
    return None


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


def bundle_root() -> Path:
    return Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent))


def qt_dir() -> Path:
    if getattr(sys, "frozen", False):
        return bundle_root() / "PySide6" / "Qt"
    import PySide6

    return Path(PySide6.__file__).parent / "Qt"


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
        problem = qt_platform_problem(qt_dir())
        if problem:
            print(problem, file=sys.stderr)
            return 3
        probe = os.environ.get("INSPECTOR_PAINT_PROBE")
        if probe:
            install_paint_probe(probe)
    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
