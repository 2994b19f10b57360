"""The review session's reader follows View ▸ Raw Text like the main reader."""

from __future__ import annotations

import json

from PySide6.QtCore import QSettings

from inspector.core.data.dataset import open_dataset
from inspector.ui.common.sample_view import RAW_SETTING, SampleView
from inspector.ui.review.review_view import show_sample


def test_review_reader_shows_raw_text_when_raw_is_on(tmp_path, qtbot):
    path = tmp_path / "a.jsonl"
    row = {"instruction": "Say it", "output": "# Title\n\nSome **bold words** here."}
    path.write_text(json.dumps(row) + "\n")
    dataset = open_dataset(path)
    view = SampleView()
    qtbot.addWidget(view)
    view.set_raw(True)
    try:
        show_sample(view, dataset, 0)
        assert "**bold words**" in view.toPlainText()
        view.set_raw(False)
        show_sample(view, dataset, 0)
        assert "**bold words**" not in view.toPlainText()
        assert "bold words" in view.toPlainText()
    finally:
        QSettings().remove(RAW_SETTING)
