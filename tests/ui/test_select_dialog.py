"""The Select Subset dialog alone: a preview computed by the core before anything is written;
changed settings disable Write until previewed again."""

from __future__ import annotations

import json

import builders  # tests/builders.py
import pytest
from PySide6.QtCore import Qt

from inspector.core.project import open_project
from inspector.ui.review.select_dialog import SelectSubsetDialog


@pytest.fixture
def project(tmp_path):
    rows = builders.four_topic_rows(seed=2)
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    p = open_project(data, project_path=tmp_path / "p.sqlite")
    yield p
    p.close()


def test_preview_shows_the_cores_coverage_and_writes_nothing(qtbot, project, tmp_path):
    dialog = SelectSubsetDialog(project, vectors_column="vec")
    qtbot.addWidget(dialog)
    dialog.n.setValue(8)
    dialog.per.setCurrentText("instruction")
    assert not dialog.write_button.isEnabled()
    with qtbot.waitSignal(dialog.previewed) as signal:
        qtbot.mouseClick(dialog.preview_button, Qt.MouseButton.LeftButton)
    result = signal.args[0]
    prompts = project.dataset.frame["instruction"].gather(result.rows).to_list()
    assert len(prompts) == 8 and max(prompts.count(q) for q in prompts) <= 2  # ceil(8 / 6)
    assert dialog.result() is result and dialog.write_button.isEnabled()
    cells = {
        dialog.table.item(r, 0).text(): dialog.table.item(r, 2).text()
        for r in range(dialog.table.rowCount())
    }
    assert cells["clusters covered"] == str(result.report["clusters"]["after"])
    assert "8 of 40 rows" in dialog.summary.text()
    assert not [p for p in tmp_path.rglob("*") if p.suffix in (".parquet", ".json")]
    dialog.strategy.setCurrentText("diversity")  # the preview no longer applies
    assert not dialog.write_button.isEnabled() and dialog.result() is None


def test_a_bad_setting_is_said_in_the_dialog(qtbot, project):
    def refuse(_project, params):
        from inspector.core.errors import DataError

        raise DataError(f"--per {params.per}: no such column", hint="pick a column")

    dialog = SelectSubsetDialog(project, compute=refuse)
    qtbot.addWidget(dialog)
    dialog.preview()
    assert "no such column" in dialog.summary.text()
    assert not dialog.write_button.isEnabled()
