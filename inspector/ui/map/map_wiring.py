"""Put the map into a main window: the Map, Clusters and Search docks and their actions.

The shell calls :func:`build_map` once per window (``inspector.ui.shell.features.install_map``)
and registers what it returns. The map greys out the rows the table does not show (the filter
bar's text/regex/SQL, the facets, a decision filter, a finder's list): :class:`FilterDimming`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QSettings, Qt, QTimer

from inspector.core.map.process import start_helper
from inspector.ui.map.map_compute import AUTO_MAP_SETTING, auto_map_enabled
from inspector.ui.map.map_panel import MapPanel
from inspector.ui.map.search_panel import SearchPanel

if TYPE_CHECKING:
    from inspector.ui.common.host import Host


def build_map(host: Host) -> tuple[MapPanel, SearchPanel]:
    """Add the map (replacing the placeholder), the cluster list and semantic search to the
    host's window, with their actions in a "Map" menu."""
    left = Qt.DockWidgetArea.LeftDockWidgetArea
    panel = MapPanel(host)
    search = SearchPanel(host, panel)
    host.add_dock(panel, "Map", left)
    clusters_dock = host.add_dock(panel.cluster_list, "Clusters", left)
    search_dock = host.add_dock(search, "Search", left)
    # The window lays the docks out (its map-first default, or the saved layout).
    host.restore_dock_layout()
    search.wantsFocus.connect(lambda: (search_dock.show(), search_dock.raise_()))
    clusters_dock.visibilityChanged.connect(panel.update_legend)
    host.datasetClosing.connect(panel.dataset_closed)
    FilterDimming(host, panel)  # a child of the panel: lives as long as it
    _register_actions(host, panel, search)
    QTimer.singleShot(0, start_helper)  # the map's process server, while the window is small
    return panel, search


class FilterDimming(QObject):
    """Keeps the map's grey-out in step with the rows the table shows: whenever the table's
    rows change (its model resets) or a map arrives, the rows not shown are dimmed."""

    def __init__(self, host: Host, panel: MapPanel) -> None:
        super().__init__(panel)
        self.setObjectName("map_filter_dimming")
        self.host = host
        self.panel = panel
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)  # one update per burst of resets
        self._timer.timeout.connect(self.update)
        model = host.table.model()
        if model is not None:
            model.modelReset.connect(self._timer.start)
        panel.mapReady.connect(lambda _result: self._timer.start())

    def update(self) -> None:
        self._timer.stop()
        project = self.host.project
        view = self.panel.view
        if project is None or not self.panel.has_map():
            return
        n = project.dataset.height
        if view.point_count() != n:
            return  # the map of another dataset, or of a partial result
        rows = self.host.view_rows()
        mask = None
        if rows.size < n:
            mask = np.zeros(n, dtype=bool)
            mask[rows] = True
        view.set_dim_mask(mask)


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
