"""Semantic search in the real window: a typed query embedded with the map's model (the REAL
default model, distilled once per test session) finds its topic's rows first; "more like this"
finds the current sample's neighbours; hits are lit on the map and become the table's rows."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from test_map_panel import (  # the same three-topic data set (tests/ui is on sys.path)
    PER_TOPIC,
    mapped,  # noqa: F401 - fixture
    open_window,
    topic_rows,
    topics_file,  # noqa: F401 - fixture
)

from inspector.core.map.project_map import MapParams
from inspector.ui.map.search_panel import SEARCH_K

MODEL_TIMEOUT_MS = 600_000  # distilling the default model, once per session, on 2 cores


def wait_for_hits(qtbot, search, action) -> list[int]:
    with qtbot.waitSignal(search.searched, timeout=60_000):
        action()
    return search.result_rows()


@pytest.mark.slow
def test_a_typed_query_finds_its_topic_first_with_the_default_model(
    qtbot,
    make_window,
    topics_file,  # noqa: F811
) -> None:
    # Auto map is on: the map is computed with the default model as soon as the data opens.
    window, panel = open_window(qtbot, make_window, topics_file, auto=True)
    qtbot.waitUntil(lambda: window.jobs.current("map") is not None, timeout=5_000)
    qtbot.waitUntil(lambda: panel.result is not None, timeout=MODEL_TIMEOUT_MS)
    assert panel.params == MapParams(model="default", embed_field="prompt")
    assert panel.result.model_identity.startswith("m2v:default:")
    search = window.features.search

    cooking = set(topic_rows("cooking").tolist())
    hits = wait_for_hits(qtbot, search, lambda: search.search("baking bread and simmering soup"))
    assert len(hits) == SEARCH_K
    assert set(hits[:30]) <= cooking, hits[:30]
    scores = [float(search.results.topLevelItem(i).text(0)) for i in range(len(hits))]
    assert scores == sorted(scores, reverse=True)
    # Lit on the map, shown in the table, the best hit current.
    assert panel.view.highlight().tolist() == sorted(hits)
    assert sorted(window.view_rows().tolist()) == sorted(hits)
    assert window.current_row() == hits[0]
    assert "nearest to “baking bread and simmering soup” · default" in search.info.text()

    astronomy = set(topic_rows("astronomy").tolist())
    hits = wait_for_hits(qtbot, search, lambda: search.search("telescopes, planets and galaxies"))
    assert set(hits[:30]) <= astronomy


def test_more_like_this_finds_the_current_samples_neighbours(qtbot, mapped) -> None:  # noqa: F811
    window, panel = mapped
    search = window.features.search
    row = int(topic_rows("programming")[17])
    window.set_current_row(row)
    window.actions.update_enabled()
    assert window.actions["map.more_like_this"].isEnabled()
    hits = wait_for_hits(qtbot, search, lambda: window.actions.trigger("map.more_like_this"))
    assert row not in hits
    assert set(hits[: PER_TOPIC - 1]) == set(topic_rows("programming").tolist()) - {row}
    assert sorted(window.view_rows().tolist()) == sorted({*hits, row})
    assert window.current_row() == row  # the sample asked about stays in view and current
    assert panel.view.highlight().tolist() == sorted(hits)

    # Clicking a hit shows it; Clear brings every row back and unlights the map.
    second = search.results.topLevelItem(1)
    rect = search.results.visualItemRect(second)
    qtbot.mouseClick(search.results.viewport(), Qt.LeftButton, pos=rect.center())
    assert window.current_row() == hits[1]
    with qtbot.waitSignal(window.filterApplied, timeout=10_000):
        qtbot.mouseClick(search.clear_button, Qt.LeftButton)
    assert len(window.view_rows()) == 300
    assert panel.view.highlight().size == 0 and search.results.topLevelItemCount() == 0
    assert window.current_row() == hits[1]


def test_a_typed_query_on_a_vectors_map_says_why_not(qtbot, mapped) -> None:  # noqa: F811
    window, _ = mapped
    search = window.features.search
    shown: list[bool] = []
    window.docks["dock_search"].visibilityChanged.connect(shown.append)
    window.docks["dock_clusters"].raise_()  # the search tab behind the cluster list
    qtbot.wait(10)
    shown.clear()
    window.actions.trigger("map.search")  # Ctrl+K brings the search tab forward
    assert shown == [True]
    search.search("anything")
    assert "column “emb”" in search.info.text() and "More like this" in search.info.text()
    assert search.results.topLevelItemCount() == 0


def test_search_before_a_map_asks_for_one(qtbot, make_window, topics_file) -> None:  # noqa: F811
    window, _ = open_window(qtbot, make_window, topics_file)
    search = window.features.search
    search.search("bread")
    assert "compute it first" in search.info.text()
    assert len(window.view_rows()) == 300
