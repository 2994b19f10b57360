"""Put the map into a main window: the Map, Clusters and Search docks and their actions.

The shell calls :func:`build_map` once per window (``inspector.ui.shell.features.install_map``)
and registers what it returns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt, QTimer

from inspector.core.map.process import start_helper
from inspector.ui.map.map_compute import AUTO_MAP_SETTING, auto_map_enabled
from inspector.ui.map.map_panel import MapPanel
from inspector.ui.map.search_panel import SearchPanel

if TYPE_CHECKING:
    from inspector.ui.common.host import Host

# On a first start (later the saved layout wins): the map's share of the window's width, the
# cluster list's height under it, and the table's share of what is left beside the sample.
MAP_WIDTH_SHARE = 0.39
CLUSTERS_HEIGHT = 190
TABLE_SHARE = 0.57


def build_map(host: Host) -> tuple[MapPanel, SearchPanel]:
    """Add the map (replacing the placeholder), the cluster list and semantic search to the
    host's window, with their actions in a "Map" menu."""
    left = Qt.DockWidgetArea.LeftDockWidgetArea
    window = host.main_window()
    panel = MapPanel(host)
    search = SearchPanel(host, panel)
    map_dock = host.add_dock(panel, "Map", left)
    clusters_dock = host.add_dock(panel.cluster_list, "Clusters", left)
    search_dock = host.add_dock(search, "Search", left)
    first_start = QSettings().value("window/state") is None
    if first_start:
        window.splitDockWidget(map_dock, clusters_dock, Qt.Orientation.Vertical)
        window.tabifyDockWidget(clusters_dock, search_dock)
        clusters_dock.raise_()
        # After the window's own first-start sizes (it runs in the constructor).
        QTimer.singleShot(0, window, lambda: _first_sizes(host))
    else:
        host.restore_dock_layout()  # the saved places of the docks just added
    search.wantsFocus.connect(lambda: (search_dock.show(), search_dock.raise_()))
    clusters_dock.visibilityChanged.connect(panel.update_legend)
    host.datasetClosing.connect(panel.dataset_closed)
    _register_actions(host, panel, search)
    QTimer.singleShot(0, start_helper)  # the map's process server, while the window is small
    return panel, search


def _first_sizes(host: Host) -> None:
    window = host.main_window()
    docks = host.docks
    if "dock_map" not in docks:
        return
    width = int(window.width() * MAP_WIDTH_SHARE)
    window.resizeDocks([docks["dock_map"]], [width], Qt.Orientation.Horizontal)
    rest = max(200, window.height() - CLUSTERS_HEIGHT - 120)
    window.resizeDocks(
        [docks["dock_map"], docks["dock_clusters"]],
        [rest, CLUSTERS_HEIGHT],
        Qt.Orientation.Vertical,
    )
    QTimer.singleShot(0, window, lambda: _split_central(host, 0))


def _split_central(host: Host, tries: int) -> None:
    """Give the table its share beside the sample pane once the splitter is laid out (sizes
    set before that are overridden by the window's first layout)."""
    splitter = host.splitter
    if not splitter.isVisible() or splitter.width() < 100:
        if tries < 40:
            QTimer.singleShot(25, splitter, lambda: _split_central(host, tries + 1))
        return
    total = sum(splitter.sizes())
    splitter.setSizes([int(total * TABLE_SHARE), total - int(total * TABLE_SHARE)])


def _register_actions(host: Host, panel: MapPanel, search: SearchPanel) -> None:
    reg = host.actions
    has_data = lambda: host.project is not None  # noqa: E731 - the rows and their ids
    has_map = panel.has_map
    reg.register(
        "map.compute",
        "&Compute Map",
        panel.compute,
        keys=["Ctrl+M"],
        menu="Map",
        enabled_when=has_data,
        tip="Embed, lay out and cluster the samples with the chosen model (cached)",
    )
    auto = reg.register(
        "map.auto",
        "Compute Maps &Automatically",
        lambda: QSettings().setValue(AUTO_MAP_SETTING, reg["map.auto"].isChecked()),
        menu="Map",
        tip="Compute the map when a dataset of up to 200,000 rows opens",
    )
    auto.setCheckable(True)
    auto.setChecked(auto_map_enabled())
    reg.register(
        "map.zoom_in",
        "Zoom &In",
        panel.view.zoom_in,
        keys=["+", "="],
        menu="Map",
        enabled_when=has_map,
        separator_before=True,
    )
    reg.register("map.zoom_out", "Zoom &Out", panel.view.zoom_out, keys=["-"], menu="Map",
                 enabled_when=has_map)  # fmt: skip
    reg.register("map.fit_all", "&Fit All", panel.fit_all, keys=["0"], menu="Map",
                 enabled_when=has_map)  # fmt: skip
    reg.register(
        "map.frame_selection",
        "Frame &Selection",
        panel.view.frame_selection,
        keys=["."],
        menu="Map",
        enabled_when=has_map,
    )
    reg.register(
        "map.search",
        "Semantic &Search…",
        search.focus_query,
        keys=["Ctrl+K"],
        menu="Map",
        enabled_when=has_data,
        separator_before=True,
        tip="Find the samples nearest in meaning to a typed query",
    )
    reg.register(
        "map.more_like_this",
        "More &Like This",
        search.more_like_this,
        keys=["Ctrl+L"],
        menu="Map",
        enabled_when=lambda: has_map() and host.current_row() is not None,
        tip="The samples nearest in meaning to the current one",
    )
    reg.register(
        "map.clear_search", "Clear Searc&h", search.clear, menu="Map", enabled_when=has_data
    )
