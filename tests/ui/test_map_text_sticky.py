"""The embedded text of a project's map stays what the user chose: reopening the project, a
different last choice in the settings, or a run for Find issues never change it."""

from __future__ import annotations

from pathlib import Path

from conftest import write_jsonl
from PySide6.QtCore import QSettings

from inspector.core.data.demo import make_demo_rows
from inspector.core.junk.project_junk import AnalysisParams, analysis_map_params, run_analysis
from inspector.core.map.process import compute_map_isolated
from inspector.core.map.project_map import MapParams

MAP_TIMEOUT_MS = 180_000  # the first UMAP of a session compiles its numba code


def open_window(qtbot, make_window, path: Path):
    """The real window with the map installed and ``path`` open (its store beside it)."""
    from inspector.ui.shell.features import install_map

    window = make_window()
    panel = install_map(window)
    with qtbot.waitSignal(window.datasetOpened, timeout=20_000):
        window.open_path(path, project_path=path.with_suffix(".project.sqlite"))
    return window, panel


def test_reopen_keeps_the_embedded_text(make_window, qtbot, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "demo.jsonl", make_demo_rows(40))  # < auto map's minimum
    window, panel = open_window(qtbot, make_window, path)
    i = panel.field_combo.findData("response")
    assert i >= 0
    panel.field_combo.setCurrentIndex(i)
    with qtbot.waitSignal(panel.mapReady, timeout=MAP_TIMEOUT_MS):
        panel.compute()
    assert window.project.store.get("map_params")["embed_field"] == "response"
    assert panel.text_label.text() == "Text: response"
    assert panel.text_label.isVisibleTo(panel)  # on the map's toolbar, with the map shown

    # Find issues (dedup on prompt and response embeds "all", in the map's child process as
    # the window runs it) leaves the map's choice alone.
    analysis = AnalysisParams(map=MapParams(model="default"), save=False, out_dir=str(tmp_path))
    assert analysis_map_params(analysis).embed_field == "all"
    run_analysis(window.project, analysis, map_runner=compute_map_isolated)
    assert window.project.store.get("map_params")["embed_field"] == "response"
    # The last choice in the settings is for whatever dataset was mapped last.
    QSettings().setValue("map/embed_field", "all")
    window.close()

    again, panel = open_window(qtbot, make_window, path)
    assert panel.field_combo.currentData() == "response"
    assert panel.text_label.text() == "Text: response"
    assert panel.chosen_params().embed_field == "response"
    with qtbot.waitSignal(panel.mapReady, timeout=MAP_TIMEOUT_MS):
        pass  # the saved map loads from the caches by itself
    assert again.project.store.get("map_params")["embed_field"] == "response"
    assert panel.text_label.text() == "Text: response"
