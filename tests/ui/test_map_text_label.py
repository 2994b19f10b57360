"""For plain text the map's text choice and toolbar speak of "the text", not of a prompt or a
response the data does not have (the toolbar said "Text: prompt" on a plain-text file)."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QSettings

from inspector.core.map.project_map import MapParams


def test_plain_text_offers_the_text(make_window, qtbot, tmp_path: Path) -> None:
    from inspector.ui.shell.features import install_map

    path = tmp_path / "notes.jsonl"
    path.write_text("".join(json.dumps({"text": f"note number {i}"}) + "\n" for i in range(12)))
    window = make_window()
    QSettings().setValue("map/auto", False)
    panel = install_map(window)
    with qtbot.waitSignal(window.datasetOpened, timeout=20_000):
        window.open_path(path, project_path=tmp_path / "p.sqlite")
    assert window.project.dataset.spec.kind == "text"
    labels = [panel.field_combo.itemText(i) for i in range(panel.field_combo.count())]
    assert "the text" in labels
    assert "prompt" not in labels and "response" not in labels
    panel.show_map_params(MapParams(embed_field="prompt"))
    assert panel.text_label.text() == "Text: the text"
