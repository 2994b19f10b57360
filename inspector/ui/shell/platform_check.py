"""Can Qt's platform plugin start here? Asked before the window's QApplication is made, because
Qt itself aborts with a core dump when it cannot ("Could not load the Qt platform plugin
xcb"); the user gets the missing library and the Debian package that provides it instead, or
a plain sentence when there is no display.

Used by the window entry (:func:`inspector.ui.shell.app.run_app`) and by the standalone
bundle's launcher (packaging/bundle/launcher.py). Only the xcb plugin (X11, and XWayland) is
checked: offscreen needs nothing more, and in a Wayland session Qt starts its wayland plugin.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

EXIT_NO_WINDOW = 3  # the exit status when the window cannot start here

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
    """Why Qt's platform plugin (in ``qt_dir``/plugins) would fail to start here, or ``None``."""
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith("xcb"):
        return None
    wayland = qt_dir / "plugins" / "platforms" / "libqwayland.so"
    if not platform and os.environ.get("WAYLAND_DISPLAY") and wayland.is_file():
        return None  # Qt tries its wayland plugin first (and xcb through XWayland after it)
    plugin = qt_dir / "plugins" / "platforms" / "libqxcb.so"
    if not plugin.is_file():
        return None
    # qt_dir.parent.parent: the bundle's _internal folder, where it keeps system libraries
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


def qt_dir() -> Path:
    """PySide6's Qt folder (lib/, plugins/), in a wheel install and in the bundle alike."""
    import PySide6

    return Path(PySide6.__file__).resolve().parent / "Qt"


@functools.cache
def window_problem() -> str | None:
    """:func:`qt_platform_problem` for this process's Qt, asked once (the bundle's launcher
    asks before the window entry does). Linux only: elsewhere Qt's own plugins apply."""
    if not sys.platform.startswith("linux"):
        return None
    return qt_platform_problem(qt_dir())


def exit_if_window_cannot_start() -> None:
    """Print why the window cannot start and exit with :data:`EXIT_NO_WINDOW`; nothing when
    it can, or when a QApplication already exists (Qt's plugin has started then)."""
    from PySide6.QtCore import QCoreApplication

    if QCoreApplication.instance() is not None:
        return
    problem = window_problem()
    if problem:
        print(problem, file=sys.stderr)
        raise SystemExit(EXIT_NO_WINDOW)
