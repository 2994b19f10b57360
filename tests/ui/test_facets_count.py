"""The filter bar's row count says how many rows the table shows once the facets narrow it
(it said the whole set's count while the table showed a tenth of it)."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QSettings

from inspector.core.data.facets import Categories


def test_the_count_follows_the_facets(qtbot, make_window, tmp_path: Path) -> None:
    from inspector.ui.shell.features import install_facets

    path = tmp_path / "m.jsonl"
    rows = [{"instruction": f"q {i}", "output": f"a {i}", "model": "ab"[i % 2]} for i in range(20)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    window = make_window()
    QSettings().setValue("map/auto", False)
    dock = install_facets(window)
    with qtbot.waitSignal(window.datasetOpened, timeout=20_000):
        window.open_path(path, project_path=tmp_path / "p.sqlite")
    label = window.filter_bar.count_label
    qtbot.waitUntil(lambda: "model" in dock.charts, timeout=20_000)
    assert label.text() == "20 rows"
    dock.choose("model", Categories({"a"}))
    qtbot.waitUntil(lambda: window.model.rowCount() == 10, timeout=10_000)
    assert label.text() == "10 of 20 rows match"
    dock.clear_all()
    qtbot.waitUntil(lambda: window.model.rowCount() == 20, timeout=10_000)
    assert label.text() == "20 rows"
