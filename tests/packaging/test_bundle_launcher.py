"""The bundle's launcher (packaging/bundle/launcher.py), without building the bundle: which
commands start the window, and the message a user gets when Qt's xcb platform plugin lacks a
system library (Qt itself aborts with a core dump)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = {"open", "info", "demo", "review", "map", "models", "analyze", "labels", "label"}


@pytest.fixture(scope="module")
def launcher():
    spec = importlib.util.spec_from_file_location(
        "inspector_bundle_launcher", ROOT / "packaging" / "bundle" / "launcher.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("argv", "window"),
    [
        ([], True),
        (["data.jsonl"], True),
        (["open", "data.jsonl"], True),
        (["demo"], True),
        (["demo", "--no-window"], False),
        (["review", "data.jsonl"], True),
        (["review", "--help"], False),
        (["info", "data.jsonl"], False),
        (["map", "data.jsonl", "--out", "m"], False),
        (["--version"], False),
    ],
)
def test_which_commands_start_the_window(launcher, argv, window):
    assert launcher.opens_window(argv, COMMANDS) is window


def test_ldd_lines_that_say_not_found(launcher):
    text = (
        "\tlinux-vdso.so.1 (0x00007ffd)\n"
        "\tlibxcb-cursor.so.0 => not found\n"
        "\tlibQt6Gui.so.6 => /opt/b/_internal/PySide6/Qt/lib/libQt6Gui.so.6 (0x00007f)\n"
        "\tlibxkbcommon-x11.so.0 => not found\n"
    )
    assert launcher.missing_from_ldd(text) == ["libxcb-cursor.so.0", "libxkbcommon-x11.so.0"]


def test_the_message_names_the_debian_packages(launcher):
    message = launcher.missing_library_message(["libxcb-cursor.so.0", "libxkbcommon-x11.so.0"])
    assert "libxcb-cursor.so.0" in message
    assert "apt-get install libxcb-cursor0 libxkbcommon-x11-0" in message
    unknown = launcher.missing_library_message(["libweird.so.3"])
    assert "libweird.so.3" in unknown and "apt-get" not in unknown


MISSING = "libinspector-test-absent.so.1"  # a soname no system has


def make_qt(tmp_path: Path, remove_dependency: bool) -> Path:
    """A Qt folder whose xcb plugin needs ``MISSING``; with ``remove_dependency`` that library
    is then deleted: what a desktop without (say) libxcb-cursor0 looks like to the loader."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to make a plugin with a missing library")
    libs = tmp_path / "Qt" / "lib"
    platforms = tmp_path / "Qt" / "plugins" / "platforms"
    libs.mkdir(parents=True)
    platforms.mkdir(parents=True)
    (tmp_path / "dep.c").write_text("int dep(void) { return 1; }\n")
    (tmp_path / "plugin.c").write_text("int dep(void);\nint plugin(void) { return dep(); }\n")
    dep = libs / MISSING
    for args in (
        [cc, "-shared", "-fPIC", f"-Wl,-soname,{MISSING}", "-o", dep, "dep.c"],
        [cc, "-shared", "-fPIC", "-o", platforms / "libqxcb.so", "plugin.c", dep],
    ):
        subprocess.run([str(a) for a in args], cwd=tmp_path, check=True, capture_output=True)
    if remove_dependency:
        dep.unlink()
    return tmp_path / "Qt"


def test_a_missing_xcb_library_is_named_before_qt_aborts(launcher, tmp_path, monkeypatch):
    monkeypatch.setitem(launcher.QT_XCB_PACKAGES, MISSING, "libinspector-test0")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    qt = make_qt(tmp_path, remove_dependency=True)
    problem = launcher.qt_platform_problem(qt)
    assert problem is not None
    assert MISSING in problem and "apt-get install libinspector-test0" in problem
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")  # no screen needed: nothing to check
    assert launcher.qt_platform_problem(qt) is None


def test_a_plugin_with_its_libraries_starts(launcher, tmp_path, monkeypatch):
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    assert launcher.qt_platform_problem(make_qt(tmp_path, remove_dependency=False)) is None


def test_no_display_is_said_plainly(launcher, tmp_path, monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    problem = launcher.qt_platform_problem(make_qt(tmp_path, remove_dependency=False))
    assert problem is not None and "no display" in problem and "offscreen" in problem


def test_a_wayland_session_does_not_need_the_xcb_libraries(launcher, tmp_path, monkeypatch):
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    qt = make_qt(tmp_path, remove_dependency=True)
    (qt / "plugins" / "platforms" / "libqwayland.so").write_bytes(b"")
    assert launcher.qt_platform_problem(qt) is None
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")  # asked for X11: its libraries must be there
    monkeypatch.setitem(launcher.QT_XCB_PACKAGES, MISSING, "libinspector-test0")
    problem = launcher.qt_platform_problem(qt)
    assert problem is not None and "libinspector-test0" in problem
