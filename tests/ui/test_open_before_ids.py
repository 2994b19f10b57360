"""A dataset without an id column is shown before its content-hash ids are computed: the
table, sample pane and filter work at once, while everything that stores or matches ids
(labels, map, analysis) waits until the ids are there."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from inspector.ui.common.jobs import JobStatus
from inspector.ui.data.table_model import ID_COL, PREVIEW_COL
from inspector.ui.shell import opening
from inspector.ui.shell.features import install_map, install_review

ROWS = [
    {"instruction": "Name a colour of the sky", "output": "Blue."},
    {"instruction": "Translate to French good morning", "output": "Bonjour."},
    {"instruction": "Name a colour of grass", "output": "Green."},
]


def canonical_sha256(record: dict) -> str:
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def gated(monkeypatch):
    """Hold the id job until the test lets it go."""
    gate = threading.Event()
    real = opening._identify_job

    def held(dataset, progress):
        assert gate.wait(20), "the test never let the id job go"
        return real(dataset, progress)

    monkeypatch.setattr(opening, "_identify_job", held)
    yield gate
    gate.set()


def write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    return path


def test_rows_show_before_their_ids_and_labels_wait(qtbot, make_window, tmp_path, gated):
    window = make_window()
    install_map(window)
    install_review(window)
    opened: list[object] = []
    window.datasetOpened.connect(opened.append)
    window.open_path(write(tmp_path / "d.jsonl", ROWS), project_path=tmp_path / "p.sqlite")
    qtbot.waitUntil(lambda: window.model.rowCount() == 3, timeout=20_000)

    # the rows are there and readable; the ids are not yet
    model = window.model
    assert model.data(model.index(0, PREVIEW_COL)) == "Name a colour of the sky"
    assert model.data(model.index(0, ID_COL)) == "…"
    assert "Name a colour of the sky" in window.sample_view.toPlainText()
    assert "computing" in window.sample_view.toPlainText()
    assert window.project is None and window.pending is not None
    assert opened == []
    window.actions.update_enabled()
    for action in ("review.keep", "labels.drop_selection", "map.compute", "dataset.format"):
        assert not window.actions[action].isEnabled(), action
    assert window.actions["view.next"].isEnabled()
    assert "computing" in window.facts.labels["id"].text()

    # the filter works on the rows already
    with qtbot.waitSignal(window.filterApplied, timeout=10_000) as blocker:
        window.filter_bar.text_box.setText("colour")
        window.filter_bar.apply()
    assert blocker.args == [2]

    # the ids arrive: the project opens, the table and sample pane show them
    with qtbot.waitSignal(window.datasetOpened, timeout=20_000):
        gated.set()
    assert opened == [window.project] and window.pending is None
    expected = canonical_sha256(ROWS[0])
    assert window.project.dataset.ids[0] == expected
    assert model.rowCount() == 2  # the filter result is kept
    assert model.data(model.index(0, ID_COL)) == expected[:12] + "…"
    assert expected in window.sample_view.toPlainText()
    assert "computing" not in window.facts.labels["id"].text()
    window.actions.update_enabled()
    assert window.actions["labels.drop_selection"].isEnabled()
    assert window.actions["map.compute"].isEnabled()


def test_closing_while_ids_are_computed_drops_them(qtbot, make_window, tmp_path, gated):
    window = make_window()
    opened: list[object] = []
    window.datasetOpened.connect(opened.append)
    window.open_path(write(tmp_path / "d.jsonl", ROWS), project_path=tmp_path / "p.sqlite")
    qtbot.waitUntil(lambda: window.pending is not None, timeout=20_000)
    window.close_dataset()
    assert window.pending is None and window.model.rowCount() == 0
    gated.set()
    qtbot.wait(300)
    assert opened == [] and window.project is None and window.model.rowCount() == 0


def test_opening_another_file_while_ids_are_computed(qtbot, make_window, tmp_path, gated):
    window = make_window()
    first = write(tmp_path / "a.jsonl", ROWS)
    second = write(tmp_path / "b.jsonl", ROWS[:2])
    window.open_path(first, project_path=tmp_path / "a.sqlite")
    qtbot.waitUntil(lambda: window.pending is not None, timeout=20_000)
    pending_first = window.pending
    with qtbot.waitSignal(window.datasetOpened, timeout=20_000) as blocker:
        window.open_path(second, project_path=tmp_path / "b.sqlite")
        qtbot.waitUntil(lambda: window.pending is not pending_first, timeout=20_000)
        gated.set()
    assert blocker.args[0] is window.project
    assert window.project.dataset.height == 2 and window.model.rowCount() == 2


def test_a_dataset_with_an_id_column_opens_in_one_step(qtbot, make_window, tmp_path):
    rows = [{"id": f"r{i}", **r} for i, r in enumerate(ROWS)]
    window = make_window(write(tmp_path / "ids.jsonl", rows), project_path=tmp_path / "p.sqlite")
    assert window.pending is None
    assert window.project.dataset.ids.to_list() == ["r0", "r1", "r2"]
    assert window.model.data(window.model.index(0, ID_COL)) == "r0"


def test_cancel_in_the_status_bar_while_ids_are_computed_closes_it(
    qtbot, make_window, tmp_path, gated
):
    window = make_window()
    window.open_path(write(tmp_path / "d.jsonl", ROWS), project_path=tmp_path / "p.sqlite")
    qtbot.waitUntil(lambda: window.pending is not None, timeout=20_000)
    status = window.findChild(JobStatus)
    qtbot.waitUntil(status.isVisible, timeout=5_000)
    assert "Identifying rows" in status.label.text() or "identifying" in status.label.text()
    qtbot.mouseClick(status.cancel_button, Qt.MouseButton.LeftButton)
    gated.set()
    qtbot.waitUntil(lambda: window.pending is None, timeout=10_000)
    assert window.project is None and window.model.rowCount() == 0
    assert window.windowTitle() == "Inspector"


def test_features_let_go_of_the_old_dataset_while_the_new_ids_compute(
    qtbot, make_window, tmp_path, gated
):
    """Reload (or open another file) in the middle of a review session: the session ends at
    once (its place saved), no key reaches the closed store, the decision filter goes back
    to "any"; the rows of the new dataset are not filtered by the old one's decisions."""
    import numpy as np

    from inspector.core.labels.review_state import SessionLog

    rows = [{"instruction": f"q {i}", "output": f"a {i}"} for i in range(10)]
    window = make_window()
    review = install_review(window)
    data = write(tmp_path / "d.jsonl", rows)
    gated.set()
    with qtbot.waitSignal(window.datasetOpened, timeout=20_000):
        window.open_path(data, project_path=tmp_path / "p.sqlite")
    review.hub.decide(np.array([2, 5]), "drop")
    review.start("all")
    review.session.next()
    review.session.next()  # the place: the third sample, not yet written (keys pause first)
    review.decision_filter.set_choice("drop")
    gated.clear()
    window.reload()
    qtbot.waitUntil(lambda: window.pending is not None, timeout=20_000)
    window.actions.update_enabled()
    assert not review.in_session() and not window.actions["review.keep"].isEnabled()
    assert review.decision_filter.choice == "any"
    assert window.model.rowCount() == 10  # the new rows, all of them
    with qtbot.waitSignal(window.datasetOpened, timeout=20_000):
        gated.set()
    saved = SessionLog(window.project.store).latest_unfinished()
    assert saved is not None and saved.position == 2  # flushed before the store closed


def test_a_selection_made_while_ids_compute_survives_their_arrival(
    qtbot, make_window, tmp_path, gated
):
    import numpy as np

    rows = [{"instruction": f"colour {i}", "output": f"x {i}"} for i in range(10)]
    window = make_window()
    window.open_path(write(tmp_path / "d.jsonl", rows), project_path=tmp_path / "p.sqlite")
    qtbot.waitUntil(lambda: window.pending is not None, timeout=20_000)
    window.sort_by("id")  # every id is still "…": the order changes when they arrive
    window.set_current_row(3)
    window.select_rows(np.array([3, 4]))
    with qtbot.waitSignal(window.datasetOpened, timeout=20_000):
        gated.set()
    assert window.selected_rows().tolist() == [3, 4]
    assert window.table.current_dataset_row() == 3 and window.current_row() == 3
    assert "colour 3" in window.sample_view.toPlainText()


def test_an_open_superseded_while_reading_closes_its_store(tmp_path, monkeypatch):
    from inspector.core import project as project_module
    from inspector.core.jobs import Cancelled, Progress

    def cancel_when_read(p: Progress) -> None:  # as a second open does to the first
        if p.stage == "detecting format":
            p.cancel()

    closed: list[object] = []
    real_close = project_module.Project.close

    def tracking_close(self) -> None:
        closed.append(self)
        real_close(self)

    monkeypatch.setattr(project_module.Project, "close", tracking_close)
    params = (str(write(tmp_path / "d.jsonl", ROWS)), {"project_path": tmp_path / "p.sqlite"})
    with pytest.raises(Cancelled):
        opening._open_job(params, Progress(cancel_when_read))
    assert len(closed) == 1  # its store, which no window would ever have closed
