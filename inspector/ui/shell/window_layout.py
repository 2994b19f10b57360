"""Where the window's docks go: the map-first default, the layout saved across runs, and
View ▸ Reset Layout.

The default puts the Map dock at the left over ~60% of the width and all the height but one
row, where the cluster list (with Search) and Issues/Review sit side by side; the filter bar,
the table and the sample pane form the column at the right (the window's central widget).
A layout saved by an older version (``LAYOUT_VERSION``) is ignored: it had the small map.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QDockWidget, QMainWindow, QSplitter

LAYOUT_VERSION = 2
DEFAULT_SIZE = (1600, 1000)  # at most; smaller screens get their available size
MAP_WIDTH_SHARE = 0.6  # of the window's width, on a first start and after Reset Layout
LOWER_ROW_HEIGHT = 230  # the cluster list / Review / Issues row under the map
TABLE_SHARE = 0.4  # of the column beside the map; the sample pane has the rest
LOWER_LEFT = ("dock_clusters", "dock_search")  # tabbed under the map, left
LOWER_RIGHT = ("dock_issues", "dock_review")  # tabbed under the map, right (first in front)


class WindowLayout:
    """The dock layout of ``window``: its ``docks`` (by object name) and the table/sample
    ``splitter``. The window calls :meth:`dock_added`, :meth:`restore`, :meth:`shown` and
    :meth:`save`; Reset Layout calls :meth:`apply_default`."""

    def __init__(
        self, window: QMainWindow, docks: dict[str, QDockWidget], splitter: QSplitter
    ) -> None:
        self.window = window
        self.docks = docks
        self.splitter = splitter
        self.state_restored = False
        self.first_start = False  # no saved layout: the default one is made when first shown
        self.default_shown = False  # shown in the default layout, not a saved one
        self.default_visible: dict[str, bool] = {}
        self._relayout = QTimer(window)
        self._relayout.setSingleShot(True)
        self._relayout.setInterval(0)
        self._relayout.timeout.connect(self.apply_default)

    def dock_added(self, name: str, dock: QDockWidget, visible: bool) -> None:
        self.default_visible[name] = visible
        if self.state_restored:
            self.window.restoreDockWidget(dock)
        dock.setVisible(visible)
        if self.default_shown:
            # Features installed after the window showed its default layout: lay it out again
            # with their docks in place (once, after the burst of add_dock calls).
            self._relayout.start()

    def restore(self) -> None:
        """Geometry, docks and splitter as saved by this version, else the default size (the
        default layout follows when the window is first shown)."""
        window = self.window
        settings = QSettings()
        state = settings.value("window/state")
        version = settings.value("window/layout_version")
        current = str(version) == str(LAYOUT_VERSION)
        geometry = settings.value("window/geometry")
        if not current or geometry is None or not window.restoreGeometry(geometry):
            window.resize(*self.default_size())
        self.first_start = not (
            current and state is not None and window.restoreState(state, LAYOUT_VERSION)
        )
        splitter = settings.value("window/splitter")
        if self.first_start or splitter is None or not self.splitter.restoreState(splitter):
            self.splitter.setSizes([400, 600])
        self.state_restored = True

    def has_saved_layout(self) -> bool:
        return not self.first_start

    def default_size(self) -> tuple[int, int]:
        screen = self.window.screen()
        w, h = DEFAULT_SIZE
        if screen is not None:
            avail = screen.availableGeometry()
            w, h = min(w, avail.width()), min(h, avail.height())
        return w, h

    def restore_docks(self) -> None:
        """Put docks added after the window was built where the saved layout had them."""
        state = QSettings().value("window/state")
        if self.state_restored and not self.first_start and state is not None:
            self.window.restoreState(state, LAYOUT_VERSION)

    def save(self) -> None:
        settings = QSettings()
        settings.setValue("window/geometry", self.window.saveGeometry())
        settings.setValue("window/state", self.window.saveState(LAYOUT_VERSION))
        settings.setValue("window/layout_version", LAYOUT_VERSION)
        settings.setValue("window/splitter", self.splitter.saveState())

    def shown(self) -> None:
        """The window is shown: a first start gets the default layout."""
        if self.first_start:
            self.first_start = False
            self.default_shown = True
            self.apply_default()

    def apply_default(self) -> None:
        """The map first (see the module doc). Docks the layout does not know go under the map
        too. Panels get their default visibility."""
        window = self.window
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        docks = self.docks
        for dock in docks.values():
            dock.setFloating(False)
        map_dock = docks["dock_map"]
        lower_left = [docks[n] for n in LOWER_LEFT if n in docks]
        lower_right = [docks[n] for n in LOWER_RIGHT if n in docks]
        known = {"dock_map", *LOWER_LEFT, *LOWER_RIGHT}
        lower_right += [d for n, d in docks.items() if n not in known]
        for dock in docks.values():
            window.removeDockWidget(dock)
        window.addDockWidget(left, map_dock)
        # Split first, tab after: a dock split off a tabbed one would join its tabs.
        if lower_left:
            window.addDockWidget(left, lower_left[0])
            window.splitDockWidget(map_dock, lower_left[0], Qt.Orientation.Vertical)
        if lower_right:
            window.addDockWidget(left, lower_right[0])
            first = lower_left[0] if lower_left else map_dock
            orientation = Qt.Orientation.Horizontal if lower_left else Qt.Orientation.Vertical
            window.splitDockWidget(first, lower_right[0], orientation)
        for group in (lower_left, lower_right):
            for other in group[1:]:
                window.tabifyDockWidget(group[0], other)
        for name, dock in docks.items():
            dock.setVisible(self.default_visible.get(name, True))
        for group in (lower_left, lower_right):
            if group:
                group[0].raise_()
        self._default_sizes()
        # Once laid out (sizes set before the first layout are overridden by it).
        QTimer.singleShot(0, window, self._default_sizes)

    def _default_sizes(self) -> None:
        window = self.window
        docks = self.docks
        width, height = window.width(), window.height()
        map_dock = docks["dock_map"]
        window.resizeDocks([map_dock], [int(width * MAP_WIDTH_SHARE)], Qt.Orientation.Horizontal)
        lower = [docks[n] for n in (*LOWER_LEFT, *LOWER_RIGHT) if n in docks]
        shown = [d for d in lower if d.isVisible()]
        if shown:
            rest = max(200, height - LOWER_ROW_HEIGHT - 80)
            window.resizeDocks(
                [map_dock, shown[0]], [rest, LOWER_ROW_HEIGHT], Qt.Orientation.Vertical
            )
        pair = [docks[n] for n in (LOWER_LEFT[0], LOWER_RIGHT[0]) if n in docks]
        if len(pair) == 2:
            half = int(width * MAP_WIDTH_SHARE / 2)
            window.resizeDocks(pair, [half, half], Qt.Orientation.Horizontal)
        total = sum(self.splitter.sizes()) or (height - 100)
        table = int(total * TABLE_SHARE)
        self.splitter.setSizes([table, total - table])
