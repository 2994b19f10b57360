"""The features installed in a main window, in one typed registry, and how the shell puts them
in.

Each feature package builds its feature from the window as a
:class:`~inspector.ui.common.host.Host`; the functions here build it once, register it in
``window.features`` and return it (a second call returns the first one). A feature that needs
another asks the host for a service (``host.map_service()``), which the window answers from
this registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inspector.ui.data.facets_dock import FacetsDock
    from inspector.ui.junk.issues_wiring import IssuesController
    from inspector.ui.junk.learn_wiring import LearnController
    from inspector.ui.map.map_panel import MapPanel
    from inspector.ui.map.search_panel import SearchPanel
    from inspector.ui.review.compare_wiring import CompareController
    from inspector.ui.review.review_wiring import ReviewController
    from inspector.ui.review.select_wiring import SelectController
    from inspector.ui.shell.command_palette import CommandPalette
    from inspector.ui.shell.keymap_dialog import KeymapDialog
    from inspector.ui.shell.main_window import MainWindow
    from inspector.ui.shell.open_analysis import OpenAnalysisController


@dataclass
class Features:
    """What the shell installed in one window (None: not installed, or not made yet)."""

    map: MapPanel | None = None
    search: SearchPanel | None = None
    review: ReviewController | None = None
    compare: CompareController | None = None
    select: SelectController | None = None
    issues: IssuesController | None = None
    learn: LearnController | None = None  # made with the Issues dock (its lists live there)
    facets: FacetsDock | None = None
    command_palette: CommandPalette | None = None  # made on first use
    keymap_dialog: KeymapDialog | None = None  # while open
    open_analysis: OpenAnalysisController | None = None  # File ▸ Open Analysis…


def install_map(window: MainWindow) -> MapPanel:
    """The Map, Clusters and Search docks and the Map menu."""
    from inspector.ui.map.map_wiring import build_map

    features = window.features
    if features.map is None:
        features.map, features.search = build_map(window)
    return features.map


def install_review(window: MainWindow) -> ReviewController:
    """Review sessions, labels, undo/redo and filter files."""
    from inspector.ui.review.review_wiring import ReviewController

    features = window.features
    if features.review is None:
        features.review = ReviewController(window)
    return features.review


def install_compare(window: MainWindow) -> CompareController:
    """Review ▸ Compare Answers…: several answers to a prompt side by side."""
    from inspector.ui.review.compare_wiring import CompareController

    features = window.features
    if features.compare is None:
        features.compare = CompareController(window, install_review(window))
    return features.compare


def install_select(window: MainWindow) -> SelectController:
    """Labels ▸ Select Subset…: the best N rows, previewed on the map, written as a filter."""
    from inspector.ui.review.select_wiring import SelectController

    features = window.features
    if features.select is None:
        features.select = SelectController(window, install_review(window))
    return features.select


def install_issues(window: MainWindow) -> IssuesController:
    """The Issues dock: the junk finders."""
    from inspector.ui.junk.issues_wiring import IssuesController

    features = window.features
    if features.issues is None:
        features.issues = IssuesController(window)
    return features.issues


def install_learn(window: MainWindow) -> LearnController:
    """The learned quality model (Labels ▸ Train Quality Model, background retraining), made
    with the Issues dock, which shows its lists and scores."""
    features = window.features
    if features.learn is None:
        features.learn = install_issues(window).learn
    return features.learn


def install_open_analysis(window: MainWindow) -> OpenAnalysisController:
    """File ▸ Open Analysis…: a finished ``inspector analyze --out`` folder over its data,
    shown in the map and the Issues dock (install those first)."""
    from inspector.ui.shell.open_analysis import OpenAnalysisController

    features = window.features
    if features.open_analysis is None:
        features.open_analysis = OpenAnalysisController(window)
    return features.open_analysis


def install_facets(window: MainWindow) -> FacetsDock:
    """The Facets dock: charts per column that filter the table (and so dim the map)."""
    from inspector.ui.data.facets_dock import FacetsDock

    features = window.features
    if features.facets is None:
        features.facets = FacetsDock(window)
    return features.facets


def install_all(window: MainWindow) -> MainWindow:
    """Every feature, in the order their services are needed: map, review, issues, learn."""
    install_map(window)
    install_review(window)
    install_compare(window)
    install_select(window)
    install_issues(window)
    install_learn(window)
    install_facets(window)
    install_open_analysis(window)
    return window
