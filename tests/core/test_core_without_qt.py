"""The core and the headless CLI work with Qt absent: a child process where importing
PySide6, shiboken6 or pyqtgraph fails imports every core module, opens a dataset, labels a
row, writes a filter file and runs ``inspector info`` (napari runs its core tests with no Qt
installed; this is the same check without a second environment)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

CHILD = textwrap.dedent(
    """
    import importlib, pkgutil, sys

    BLOCKED = ("PySide6", "shiboken6", "pyqtgraph")

    class NoQt:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{name} is blocked in this test")
            return None

    sys.meta_path.insert(0, NoQt())

    import inspector.core
    for module in pkgutil.iter_modules(inspector.core.__path__):
        importlib.import_module(f"inspector.core.{module.name}")

    from inspector.cli import main
    from inspector.core.export.filterfile import export_filter
    from inspector.core.labels.labelbook import LabelBook
    from inspector.core.project import open_project

    data, out = sys.argv[1], sys.argv[2]
    project = open_project(data, project_path=out + "/p.sqlite")
    book = LabelBook(project.store, project.dataset)
    book.decide([1], "drop")
    export_filter(project.dataset, project.store, out + "/filter.jsonl", format="jsonl")
    project.close()
    assert main(["info", data, "--json"]) == 0
    loaded = [m for m in sys.modules if m.split(".")[0] in BLOCKED]
    assert not loaded, loaded
    """
)


def test_core_and_cli_run_without_qt(tmp_path: Path):
    data = tmp_path / "d.jsonl"
    rows = [{"instruction": f"Question {i}?", "output": f"Answer {i}."} for i in range(4)]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(data), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    info = json.loads(proc.stdout[proc.stdout.index("{") :])
    assert info["rows"] == 4
    lines = (tmp_path / "filter.jsonl").read_text("utf-8").splitlines()
    removed = [json.loads(line) for line in lines if json.loads(line)["action"] == "remove"]
    assert [r["row_index"] for r in removed] == [1]
