"""The table model over a dataset, the sample HTML and the job runner — without the window."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from PySide6.QtCore import Qt

from inspector.core.data.dataset import LENGTH, open_dataset
from inspector.core.data.render import Block, Rendered
from inspector.ui.common.jobs import JobRunner, describe_progress
from inspector.ui.common.sample_view import (
    CHOSEN_MARK,
    CODE_BACKGROUND,
    MONO,
    REJECTED_MARK,
    sample_html,
    text_html,
)
from inspector.ui.data.table_model import (
    DATASET_ROW_ROLE,
    ID_COL,
    LENGTH_COL,
    PREVIEW_COL,
    SOURCE_COL,
    SampleTableModel,
)

DISPLAY = Qt.ItemDataRole.DisplayRole


@pytest.fixture
def dataset(alpaca_file: Path):
    return open_dataset(alpaca_file)


def cell(model: SampleTableModel, row: int, col: int) -> str:
    return model.data(model.index(row, col), DISPLAY)


def test_model_shows_every_row_with_id_preview_length_and_source(qapp, dataset):
    model = SampleTableModel()
    model.set_dataset(dataset)
    assert model.rowCount() == 6
    assert model.columnCount() == 4
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(4)]
    assert headers == ["id", "preview", "length", "source"]
    assert cell(model, 0, PREVIEW_COL) == "Name a colour of the sky"
    assert cell(model, 3, PREVIEW_COL) == "Translate to French good morning"
    # content-hash ids are shortened on screen; the full id is what the dataset holds
    full = str(dataset.ids[0])
    assert len(full) == 64 and cell(model, 0, ID_COL) == full[:12] + "…"
    assert cell(model, 0, LENGTH_COL) == f"{int(dataset.frame[LENGTH][0]):,}"
    assert cell(model, 4, SOURCE_COL) == "alpaca.jsonl:5"  # 1-based line in the file
    assert model.data(model.index(4, 0), DATASET_ROW_ROLE) == 4


def test_sort_by_length_reorders_the_view_not_the_data(qapp, dataset):
    model = SampleTableModel()
    model.set_dataset(dataset)
    lengths = dataset.frame[LENGTH].to_numpy()
    model.sort(LENGTH_COL, Qt.SortOrder.AscendingOrder)
    view = model.view_rows()
    assert list(lengths[view]) == sorted(lengths)
    assert cell(model, 0, PREVIEW_COL) == "What is 2+2?"  # output "4": the shortest
    model.sort(LENGTH_COL, Qt.SortOrder.DescendingOrder)
    assert list(lengths[model.view_rows()]) == sorted(lengths, reverse=True)
    # a filter result keeps the sort
    model.set_rows(np.array([0, 4, 5]))
    assert list(model.view_rows()) == [4, 0, 5]
    model.clear_sort()
    assert list(model.view_rows()) == [0, 4, 5]


def test_sort_by_id_and_source(qapp, dataset):
    model = SampleTableModel()
    model.set_dataset(dataset)
    model.sort(ID_COL, Qt.SortOrder.AscendingOrder)
    ids = [str(dataset.ids[int(r)]) for r in model.view_rows()]
    assert ids == sorted(ids)
    model.sort(SOURCE_COL, Qt.SortOrder.DescendingOrder)
    assert list(model.view_rows()) == [5, 4, 3, 2, 1, 0]
    model.sort(PREVIEW_COL)  # not sortable: the order stays
    assert list(model.view_rows()) == [5, 4, 3, 2, 1, 0]


def test_view_positions_map_dataset_rows_to_table_rows(qapp, dataset):
    model = SampleTableModel()
    model.set_dataset(dataset, rows=np.array([5, 2, 3]))
    assert list(model.view_positions(np.array([2, 0, 5, 99]))) == [1, -1, 0, -1]
    assert model.dataset_row(2) == 3


def test_reset_computes_no_previews_and_caches_what_is_shown(qapp, tmp_path):
    """At reset the model does numpy work only; a preview is computed when a cell is drawn."""
    n = 200_000
    frame = pl.DataFrame(
        {"id": np.arange(n).astype(str), "text": [f"sample {i} " * 3 for i in range(n)]}
    )
    frame.write_parquet(tmp_path / "big.parquet")
    dataset = open_dataset(tmp_path / "big.parquet")
    calls = []
    original = dataset.preview
    dataset.preview = lambda row, width=160: calls.append(row) or original(row, width)
    model = SampleTableModel()
    model.set_dataset(dataset)
    model.sort(LENGTH_COL, Qt.SortOrder.DescendingOrder)
    model.set_rows(np.arange(0, n, 2))
    assert model.rowCount() == n // 2
    assert calls == []
    first = cell(model, 0, PREVIEW_COL)
    assert first.startswith("sample ")
    cell(model, 0, PREVIEW_COL)
    assert len(calls) == 1  # the second read came from the cache


def test_sample_html_escapes_everything_and_draws_code(qapp):
    rendered = Rendered(
        "alpaca",
        blocks=[
            Block("instruction", "Explain <script>alert(1)</script> & co", "user"),
            Block("output", "Run:\n```python\nif a < b: print('x')\n```\nDone `x<y`.", "assistant"),
        ],
        extra={"note": "<b>bold?</b>", "score": 3},
    )
    html = sample_html(rendered, ident="id<1>", where="f.jsonl:3", length=42)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "id&lt;1&gt;" in html and "&lt;b&gt;bold?&lt;/b&gt;" in html
    assert f"bgcolor='{CODE_BACKGROUND}'" in html and f"font-family:{MONO}" in html
    assert "if a &lt; b: print(&#x27;x&#x27;)" in html
    assert "```" not in html  # the fence lines are drawn as a code box, not shown
    assert "INSTRUCTION" in html and "OUTPUT" in html and "OTHER COLUMNS" in html


def test_word_marks_survive_code_and_long_text(qapp):
    runs = [("keep ", False), ("changed", True), (" end", False)]
    html = text_html("keep changed end", runs, CHOSEN_MARK)
    assert f"<span style='background-color:{CHOSEN_MARK}'>changed</span>" in html
    long = "word " * 20_000
    assert "more characters not shown" in text_html(long)


def test_preference_html_marks_both_sides(qapp):
    rendered = Rendered(
        "preference",
        blocks=[Block("prompt", "Is the sky blue?", "user")],
        chosen=[Block("chosen", "Yes, the sky is blue today.", "assistant")],
        rejected=[Block("rejected", "No, the sky is green today.", "assistant")],
    )
    html = sample_html(rendered)
    assert f"<span style='background-color:{CHOSEN_MARK}'>blue</span>" in html
    assert f"<span style='background-color:{REJECTED_MARK}'>green</span>" in html
    assert "sky is" in html


def test_a_new_job_of_the_same_kind_cancels_the_old(qtbot):
    runner = JobRunner()
    release = threading.Event()
    results: list[str] = []

    def slow(_params, progress):
        release.wait(5)
        progress.check()
        return "old"

    first = runner.submit("open", slow, None, on_done=results.append)
    second = runner.submit("open", lambda _p, _pr: "new", None, on_done=results.append)
    assert first.cancelled and not second.cancelled
    release.set()
    qtbot.waitUntil(lambda: not runner.running(), timeout=5000)
    assert results == ["new"]
    runner.shutdown()


def test_job_errors_and_progress_come_back_on_the_main_thread(qtbot):
    runner = JobRunner()
    seen: dict[str, object] = {}
    main = threading.get_ident()

    def work(params, progress):
        progress.status("reading", total=4)
        for _ in range(4):
            progress.advance()
        progress.partial("half", params * 2)
        raise ValueError("bad value")

    def on_error(exc):
        seen["error"] = (str(exc), threading.get_ident() == main)

    runner.submit("k", work, 21, on_error=on_error, on_partial=lambda n, v: seen.setdefault(n, v))
    qtbot.waitUntil(lambda: "error" in seen, timeout=5000)
    assert seen == {"half": 42, "error": ("bad value", True)}
    runner.shutdown()


def test_progress_text_names_stage_count_and_rate(qapp):
    from inspector.core.jobs import Progress
    from inspector.ui.common.jobs import Job

    job = Job(1, "open", "Opening", Progress())
    job.progress.status("reading", total=100)
    job.progress.advance(50)
    text = describe_progress(job)
    assert text.startswith("reading 50/100") and "/s" in text and "left" in text


def test_the_last_progress_update_reaches_the_window_even_when_throttled(qtbot, monkeypatch):
    """An update inside the throttle interval is delivered later, not dropped: a job that
    reports 10/1,000 and then blocks is shown at 10, however the threads were scheduled."""
    import threading

    from inspector.ui.common import jobs

    monkeypatch.setattr(jobs, "UPDATE_INTERVAL_S", 3600.0)  # every update after the first
    runner = JobRunner()
    first_seen, release = threading.Event(), threading.Event()
    seen: list[int] = []

    def on_progress(job) -> None:
        seen.append(job.progress.done)
        first_seen.set()

    runner.progressed.connect(on_progress)

    def work(_params, progress):
        progress.status("embedding", total=1000)  # delivered at once
        first_seen.wait(10)
        progress.advance(10)  # within the interval: held back
        release.wait(10)
        return "done"

    runner.submit("embed", work)
    try:
        qtbot.waitUntil(lambda: 10 in seen, timeout=5000)
    finally:
        release.set()
        runner.shutdown()
    assert seen[0] == 0
