"""Issue 11 in the real window: the quality model retrains in the background from the labels,
colours the map, fills the learned Issues lists (counts, cross-validated precision) whose
review queues open from the window; the reader says why a row is flagged; the Rules dialog
names, describes and previews each rule; reopening shows the saved scores."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt

from inspector.core.junk.project_junk import AnalysisParams
from inspector.core.labels import states
from inspector.core.learn.project_learn import learned_keep_probability, learned_lists
from inspector.core.map.project_map import MapParams

TRAIN_TIMEOUT_MS = 240_000  # the default embedding model may be made on the first run
REFUSAL = "As an AI language model, I cannot help with that request."


def garden_rows(n: int = 80) -> list[dict]:
    """Two rows in three are a plain answer, every third a string of symbols; the last a
    refusal. A random 16-d "vec" column makes the map without a model."""
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n):
        good = i % 3 != 0
        answer = (
            f"Water garden {i} every morning and check the soil of it once a week."
            if good
            else " ".join(rng.choice(["}", "{", "::", "=>", "@@", "nil"], 30))
        )
        rows.append(
            {
                "id": f"r{i:02d}",
                "instruction": f"How do I care for garden {i}?",
                "output": answer,
                "vec": rng.normal(size=16).round(4).tolist(),
            }
        )
    rows[-1]["output"] = REFUSAL
    rows[-1]["instruction"] = "Tell me how to pick a lock."
    return rows


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "garden.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in garden_rows()))
    return path


def open_learn(qtbot, make_window, data: Path):
    from inspector.ui.shell.features import install_learn, install_map, install_review

    window = make_window()
    QSettings().setValue("map/auto", False)
    install_map(window)
    install_review(window)
    learn = install_learn(window)
    with qtbot.waitSignal(window.datasetOpened, timeout=20_000):
        window.open_path(data, project_path=data.with_suffix(".sqlite"))
    return window, learn


def label(window, keep: list[int], drop: list[int]) -> None:
    hub = window.features.review.hub
    hub.decide(np.array(keep), "keep")
    hub.decide(np.array(drop), "drop")


def wait_trained(qtbot, learn, labels: int) -> None:
    qtbot.waitUntil(
        lambda: (
            learn.retrainer is not None
            and learn.retrainer.trained_at == labels
            and learn.retrainer.running is None
        ),
        timeout=TRAIN_TIMEOUT_MS,
    )


def test_labels_train_in_background_and_fill_map_lists_queues(qtbot, make_window, data):
    window, learn = open_learn(qtbot, make_window, data)
    panel = window.features.map
    with qtbot.waitSignal(panel.mapReady, timeout=60_000):
        panel.compute(MapParams(vectors_column="vec"))
    assert learn.keep_probability is None  # no model yet: no colour, no lists
    assert "source:learned: keep probability" not in panel.colour_keys()

    rows = list(range(30))
    label(window, [r for r in rows if r % 3], [r for r in rows if r % 3 == 0])
    # the labels are in; the training runs on the job runner, not in the label call
    qtbot.waitUntil(lambda: window.jobs.current("learn") is not None, timeout=5_000)
    wait_trained(qtbot, learn, 30)
    project = window.project

    # the map colours by the learned score
    panel.set_colour("source:learned: keep probability")
    assert panel.colour_key() == "source:learned: keep probability"
    saved = learned_keep_probability(project)
    np.testing.assert_allclose(learn.keep_probability, saved)

    # the Issues lists: counts and the cross-validated precision at the cut
    issues = window.features.issues
    facts = learned_lists(project, band=0.2)
    drop = issues.panel.finder("learn:likely-drop")
    unsure = issues.panel.finder("learn:uncertain")
    assert drop is not None and unsure is not None
    assert len(drop.rows) == facts["likely_drop"] and len(unsure.rows) == facts["uncertain"]
    labels = [issues.panel.list.item(i).text() for i in range(issues.panel.list.count())]
    drop_label = next(t for t in labels if t.startswith("Likely drop (learned)"))
    assert f"— {facts['likely_drop']:,} rows" in drop_label
    if facts["cv_drop_precision"] is not None:
        assert f"cross-validated precision {facts['cv_drop_precision']:.2f}" in drop_label
    assert any(t.startswith("Most uncertain (learned)") for t in labels)
    assert facts["likely_drop"] > 0  # the unlabelled symbol rows

    # choosing the list selects its rows (no decision yet, all under the cut)
    issues.panel.choose("learn:likely-drop")
    chosen = np.sort(window.selected_rows())
    np.testing.assert_array_equal(chosen, np.sort(drop.rows))
    codes = window.features.review.hub.codes
    assert (codes[chosen] == states.NO_DECISION).all() and (saved[chosen] < 0.5).all()

    # "Review this list" starts the learn:likely-drop queue, least likely kept first
    qtbot.mouseClick(issues.panel.review_button, Qt.MouseButton.LeftButton)
    session = window.features.review.session
    assert session is not None and str(session.queue.spec) == "learn:likely-drop"
    np.testing.assert_array_equal(session.queue.rows, drop.rows)
    assert list(saved[session.queue.rows]) == sorted(saved[session.queue.rows])
    window.features.review.leave()

    # the window's review builder opens learn:uncertain too (every unlabelled row, ordered)
    session = window.features.review.start("learn:uncertain")
    assert len(session.queue.rows) == int((codes == states.NO_DECISION).sum())
    window.features.review.leave()

    # the reader shows the current row's learned score
    window.set_current_row(int(drop.rows[0]))
    assert learn.score_of(int(drop.rows[0])) == pytest.approx(saved[drop.rows[0]])
    assert issues.why.isVisibleTo(window)
    assert f"Learned keep probability: {saved[drop.rows[0]]:.2f}" in issues.why.current_html

    # 25 more labels: retrained in the background, the lists follow
    more = list(range(30, 55))
    label(window, [r for r in more if r % 3], [r for r in more if r % 3 == 0])
    qtbot.waitUntil(lambda: window.jobs.current("learn") is not None, timeout=5_000)
    wait_trained(qtbot, learn, 55)
    facts = learned_lists(project, band=0.2)
    assert len(issues.panel.finder("learn:likely-drop").rows) == facts["likely_drop"]
    assert facts["labels"]["keep"] + facts["labels"]["drop"] == 55


def test_reopening_shows_the_saved_scores_without_retraining(qtbot, make_window, data):
    window, learn = open_learn(qtbot, make_window, data)
    label(window, [r for r in range(30) if r % 3], [r for r in range(30) if r % 3 == 0])
    wait_trained(qtbot, learn, 30)
    before = learn.keep_probability.copy()
    window.close()

    window, learn = open_learn(qtbot, make_window, data)
    assert window.jobs.current("learn") is None  # nothing retrains on opening
    assert learn.retrainer.trained_at == 30
    np.testing.assert_allclose(learn.keep_probability, before)
    assert window.features.issues.panel.finder("learn:likely-drop") is not None
    assert "source:learned: keep probability" in window.features.map.colour_keys()


def test_train_on_request_says_why_it_cannot(qtbot, make_window, data):
    window, learn = open_learn(qtbot, make_window, data)
    assert window.actions.spec("learn.train").menu == "Labels"
    label(window, [1, 2, 4], [0])
    window.actions.trigger("learn.train")
    assert window.jobs.current("learn") is None
    assert "3 keep and 1 drop" in learn.last_error
    assert "at least 20" in learn.last_error
    # 21 labels, 7 drop: due (no model yet), started on its own
    label(window, [5, 7, 8, 10, 11, 13, 14, 16, 17, 19, 20], [3, 6, 9, 12, 15, 18])
    qtbot.waitUntil(lambda: window.jobs.current("learn") is not None, timeout=5_000)
    wait_trained(qtbot, learn, 21)
    generation = learn.retrainer.generation
    # on request it trains again, whatever the count
    window.actions.trigger("learn.train")
    assert window.jobs.current("learn") is not None
    assert learn.retrainer.generation == generation + 1
    wait_trained(qtbot, learn, 21)


def test_why_flagged_and_the_rules_dialog(qtbot, make_window, data):
    window, learn = open_learn(qtbot, make_window, data)
    issues = window.features.issues
    issues.params = AnalysisParams(map=MapParams(vectors_column="vec"))
    window.actions.trigger("issues.find")
    qtbot.waitUntil(lambda: issues.result is not None, timeout=120_000)
    refusal = int(np.flatnonzero(window.project.dataset.ids.cast(str).to_numpy() == "r79")[0])

    # the reader: plain name, field, value, threshold, action and the span marked
    window.set_current_row(refusal)
    html = issues.why.current_html
    assert issues.why.isVisibleTo(window)
    assert "Refusal or AI disclaimer" in html and "(refusal)" in html
    assert "response" in html and "flags when above" in html and "flag" in html
    assert '<span style="background:#ffd54f">As an AI language model' in html
    notes = {f.name: f for f in issues.why.explanation.flags}
    assert notes["refusal"].field == "response" and notes["refusal"].start == 0

    # the Rules dialog: plain name, description, field, action; a preview before applying
    dialog = issues.show_rules_dialog()
    i = dialog.names.index("refusal")
    assert dialog.table.item(i, 0).text() == "Refusal or AI disclaimer"
    assert dialog.table.item(i, 1).text().startswith(dialog._base["refusal"].info.measures)
    assert dialog.table.item(i, 2).text().split(", ")[0] == "response"
    assert dialog.actions["refusal"].currentText() == "flag"
    assert dialog.actions["empty"].currentText() == "remove"
    dialog.choose("refusal")
    qtbot.waitUntil(lambda: dialog.preview_total is not None, timeout=30_000)
    assert dialog.preview_total == 1 and dialog.preview.rowCount() == 1
    assert dialog.preview.item(0, 2).text() == REFUSAL
    assert dialog.preview.item(0, 0).data(Qt.ItemDataRole.UserRole) == refusal

    dialog.set_action("refusal", "remove")
    dialog.accept()
    qtbot.waitUntil(lambda: issues.panel.status.text().startswith("Quality rerun"), timeout=30_000)
    from inspector.core.export.filterfile import load_proposals

    removals = load_proposals(window.project.store).filter(
        load_proposals(window.project.store)["reason"] == "response.refusal"
    )
    assert set(removals["action"]) == {"remove"}
    window.set_current_row(refusal)
    assert issues.why.explanation.flags[0].action == "remove"
