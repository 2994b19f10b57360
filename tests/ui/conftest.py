"""UI test fixtures: ``make_window`` builds the real main window (and opens a file if asked),
closes it at the end, and fails the test if it left top-level widgets behind — like napari's
``make_napari_viewer``.

Settings are isolated: ``INSPECTOR_HOME`` (set by tests/conftest.py) holds an INI settings
file, cleared before each window is made.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from inspector.ui.shell.app import configure_settings, shield_none_refcount

shield_none_refcount()  # PySide6 6.12 abi3 on Python 3.11: see app.shield_none_refcount
configure_settings()

OPEN_TIMEOUT_MS = 20_000


@pytest.fixture
def make_window(qtbot, qapp) -> Iterator[Callable[..., object]]:
    from PySide6.QtCore import QCoreApplication, QEvent, QSettings
    from PySide6.QtWidgets import QApplication

    from inspector.ui.shell.main_window import MainWindow

    QSettings().clear()
    before = set(QApplication.topLevelWidgets())
    made: list[MainWindow] = []

    def make(path: str | Path | None = None, *, show: bool = True, **open_opts) -> MainWindow:
        window = MainWindow()
        made.append(window)
        if show:
            window.show()
            qtbot.waitExposed(window)
        if path is not None:
            with qtbot.waitSignal(window.datasetOpened, timeout=OPEN_TIMEOUT_MS):
                window.open_path(path, **open_opts)
        return window

    yield make

    for window in made:
        window.close()
        window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QCoreApplication.processEvents()
    # Qt's own tooltip label is a shared top-level that outlives any window.
    leaked = [
        w
        for w in QApplication.topLevelWidgets()
        if w not in before and w.objectName() != "qtooltip_label"
    ]
    if leaked:
        names = ", ".join(f"{type(w).__name__}({w.objectName()!r})" for w in leaked)
        for w in leaked:
            w.close()
            w.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        pytest.fail(f"the test left top-level widgets behind: {names}")


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return path


@pytest.fixture
def alpaca_file(tmp_path: Path) -> Path:
    """Six Alpaca rows with known texts and lengths."""
    rows = [
        {"instruction": "Name a colour of the sky", "input": "", "output": "Blue."},
        {"instruction": "Write a haiku about autumn", "input": "", "output": "Leaves fall " * 12},
        {
            "instruction": "Print hello in Python",
            "input": "",
            "output": "Use this:\n```python\nprint('hello')\n```\nThat prints <hello>.",
        },
        {"instruction": "Translate to French", "input": "good morning", "output": "Bonjour"},
        {"instruction": "Summarise the plot of Hamlet", "input": "", "output": "x" * 300},
        {"instruction": "What is 2+2?", "input": "", "output": "4"},
    ]
    return write_jsonl(tmp_path / "alpaca.jsonl", rows)


@pytest.fixture
def open_review(qtbot, make_window, tmp_path):
    """A window with labelling installed and ``path`` open, its project in ``tmp_path`` (the
    same project each time: a second window reopens the first one's labels and sessions)."""
    from inspector.ui.shell.features import install_review

    def make(path: Path):
        window = make_window()
        review = install_review(window)
        with qtbot.waitSignal(window.datasetOpened, timeout=OPEN_TIMEOUT_MS):
            window.open_path(path, project_path=tmp_path / "project.sqlite")
        return window, review

    return make
