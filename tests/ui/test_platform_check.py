"""The wheel install's window entry (``inspector``, ``inspector PATH``, ``inspector demo`` ->
``run_app``) checks Qt's platform plugin before Qt starts: a desktop without one of the xcb
plugin's system libraries gets the library and the package to install, and no display gets a
plain sentence, instead of Qt's abort ("Could not load the Qt platform plugin xcb", core
dumped). The checks themselves (ldd, the fake plugin with a missing library) are tested in
tests/packaging/test_bundle_launcher.py, through the bundle launcher that reuses them.

The entry runs in a child process: in this one pytest-qt's QApplication already exists (and
a window that already has its QApplication is not checked again).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from inspector.ui.shell import platform_check

# A desktop without libxcb-cursor0: the probe of the xcb plugin's libraries says so.
MISSING_CURSOR = """
import sys
from inspector.ui.shell import platform_check
platform_check.missing_libraries = lambda binary, search=(): ["libxcb-cursor.so.0"]
from inspector.cli import main
sys.exit(main(sys.argv[1:]))
"""


def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "data.jsonl"
    path.write_text(json.dumps({"prompt": "hi", "response": "hello"}) + "\n", encoding="utf-8")
    return path


def entry(tmp_path: Path, code: str, args: list[str], **env_extra: str):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}
    }
    env.update(INSPECTOR_HOME=str(tmp_path / "home"), **env_extra)
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def test_a_missing_xcb_library_names_the_package_to_install(tmp_path):
    proc = entry(
        tmp_path, MISSING_CURSOR, [str(data_file(tmp_path))], DISPLAY=":0", QT_QPA_PLATFORM="xcb"
    )
    assert proc.returncode == 3, (proc.returncode, proc.stderr[-3000:])
    assert "libxcb-cursor.so.0" in proc.stderr
    assert "apt-get install libxcb-cursor0" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_no_display_is_a_message_not_a_core_dump(tmp_path):
    code = "import sys\nfrom inspector.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    proc = entry(tmp_path, code, ["open", str(data_file(tmp_path))], QT_QPA_PLATFORM="xcb")
    assert proc.returncode == 3, (proc.returncode, proc.stderr[-3000:])
    assert "Inspector cannot open its window" in proc.stderr
    assert "QT_QPA_PLATFORM=offscreen" in proc.stderr


def test_offscreen_needs_no_check(monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.delenv("DISPLAY", raising=False)
    assert platform_check.qt_platform_problem(platform_check.qt_dir()) is None


@pytest.mark.parametrize(
    ("missing", "package"),
    [
        (["libxcb-cursor.so.0"], "libxcb-cursor0"),
        (["libxkbcommon-x11.so.0", "libxcb-icccm.so.4"], "libxcb-icccm4 libxkbcommon-x11-0"),
    ],
)
def test_the_message_names_the_libraries_and_packages(missing, package):
    message = platform_check.missing_library_message(missing)
    assert all(name in message for name in missing)
    assert f"sudo apt-get install {package}" in message
