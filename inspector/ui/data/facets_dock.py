"""The Facets dock: a chart per chosen column that filters the table and the map.

Categories (model, source, cluster, decision, flags) are bar charts, numbers (length, scores)
histograms. Each chart shows the rows its bars hold among what the other filters let through
(blue) over the count among all rows (grey): the cross-filter convention of
:mod:`inspector.core.data.facets`. Click a bar to keep only its rows (Ctrl or Shift adds or
removes a value), drag across a histogram to keep a range; each chart has a clear button and
the dock a "Clear all". The facets' filters narrow the filter bar's rows (AND): the table
shows the rows both let through (a row mask on its model) and the map greys out the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inspector.core.data.dataset import LENGTH
from inspector.core.data.facets import (
    FacetSet,
    Filter,
    default_facets,
    facet_frame_columns,
    flag_lists,
)
from inspector.ui.data.facets_chart import MUTED_COLOUR, FacetChart
from inspector.ui.data.table_model import SampleTableModel

if TYPE_CHECKING:
    from inspector.core.project import Project
    from inspector.ui.common.host import Host

ANALYSIS_JOB = "facets-analysis"
# the Issues dock's runs rewrite the flags; the quality model's ("learn") the learned scores
ISSUES_JOBS = ("issues", "issues-preview", "learn")


def score_facets(project: Project) -> dict[str, pl.Series]:
    """The facets the last Issues run and the saved quality model give: flags, outlier score,
    duplicate similarity (removed rows' similarity to their keeper) and keep probability."""
    from inspector.core.junk.project_junk import load_analysis
    from inspector.core.learn.project_learn import learned_keep_probability

    out: dict[str, pl.Series] = {}
    table = load_analysis(project)
    n = project.dataset.height
    if table is not None and table.height == n:
        out["flags"] = flag_lists(table)
        if "outlier_score" in table.columns:
            out["outlier score"] = table["outlier_score"].cast(pl.Float64)
        if "dup_similarity" in table.columns:
            out["duplicate similarity"] = table["dup_similarity"].cast(pl.Float64)
    keep = learned_keep_probability(project)
    if keep is not None and len(keep) == n:
        out["keep probability"] = pl.Series(keep, dtype=pl.Float64).fill_nan(None)
    return out


LABEL_DEBOUNCE_MS = 250


class FacetsDock(QWidget):
    """The Facets dock and its chip in the filter bar; built by
    :func:`inspector.ui.shell.features.install_facets`."""

    changed = Signal(object)  # the FacetUpdate after each recount

    def __init__(self, host: Host) -> None:
        super().__init__()
        self.setObjectName("facets_dock")
        self.host = host
        self.facets: FacetSet | None = None
        self.names: list[str] = []  # the facets shown, in order
        self.filters: dict[str, Filter] = {}
        self.charts: dict[str, FacetChart] = {}
        self.last_update: Any = None  # the last FacetUpdate
        self._project: Project | None = None
        self._build()
        self._labels_timer = QTimer(self)
        self._labels_timer.setSingleShot(True)
        self._labels_timer.setInterval(LABEL_DEBOUNCE_MS)
        self._labels_timer.timeout.connect(self._decisions_changed)
        self._hooked_services = False

        host.add_dock(self, "Facets", Qt.DockWidgetArea.RightDockWidgetArea)
        host.add_filter_widget(self.chip)
        host.datasetOpened.connect(self.dataset_opened)
        host.datasetClosing.connect(self.dataset_closed)
        host.filterApplied.connect(self._filter_ran)
        host.formatChanged.connect(self._format_changed)
        host.jobs.finished.connect(self._job_finished)
        host.actions.register(
            "facets.clear",
            "Clear &Facets",
            self.clear_all,
            menu="Edit",
            enabled_when=lambda: bool(self.filters),
            tip="Stop filtering by the Facets dock's charts",
        )

    # -- building ----------------------------------------------------------------------------------
    def _build(self) -> None:
        self.columns_button = QToolButton()
        self.columns_button.setObjectName("facets_columns")
        self.columns_button.setText("Columns…")
        self.columns_button.setToolTip("Choose the columns shown as charts")
        self.columns_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.columns_menu = QMenu(self.columns_button)
        self.columns_menu.aboutToShow.connect(self._fill_columns_menu)
        self.columns_button.setMenu(self.columns_menu)
        self.clear_button = QToolButton()
        self.clear_button.setObjectName("facets_clear_all")
        self.clear_button.setText("Clear all")
        self.clear_button.setAutoRaise(True)
        self.clear_button.clicked.connect(self.clear_all)
        self.count_label = QLabel("Open a dataset.")
        self.count_label.setObjectName("facets_count")
        self.count_label.setStyleSheet(f"color: {MUTED_COLOUR.name()};")
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 4, 6, 2)
        bar.addWidget(self.columns_button)
        bar.addWidget(self.count_label, 1)
        bar.addWidget(self.clear_button)
        self.charts_box = QWidget()
        self.charts_layout = QVBoxLayout(self.charts_box)
        self.charts_layout.setContentsMargins(0, 0, 0, 0)
        self.charts_layout.setSpacing(4)
        self.charts_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.charts_box)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(scroll, 1)

        # In the filter bar: how many rows the facets leave, and a way out.
        self.chip = QWidget()
        self.chip.setObjectName("facets_chip")
        self.chip_label = QLabel()
        self.chip_label.setStyleSheet("color: #c2410c;")
        chip_clear = QToolButton()
        chip_clear.setText("✕")
        chip_clear.setAutoRaise(True)
        chip_clear.setToolTip("Clear the facets' filters")
        chip_clear.clicked.connect(self.clear_all)
        chip_layout = QHBoxLayout(self.chip)
        chip_layout.setContentsMargins(6, 0, 0, 0)
        chip_layout.setSpacing(0)
        chip_layout.addWidget(self.chip_label)
        chip_layout.addWidget(chip_clear)
        self.chip.setVisible(False)

    # -- the dataset -------------------------------------------------------------------------------
    def dataset_opened(self, project: Project) -> None:
        self._hook_services()
        self._project = project
        dataset = project.dataset
        frame = dataset.frame
        columns = facet_frame_columns(
            frame.select(dataset.user_columns),
            length=frame[LENGTH],
            clusters=self._clusters(),
            decisions=self._decisions(dataset.height),
        )
        self.facets = FacetSet(pl.DataFrame(list(columns.values())))
        self.filters = {}
        self.set_facets(default_facets(self.facets.frame))
        self._load_analysis(project)

    def dataset_closed(self) -> None:
        self.host.jobs.cancel(ANALYSIS_JOB)
        self._project = None
        self.facets = None
        self.filters = {}
        self.last_update = None
        self._set_model_mask(None)
        for chart in list(self.charts.values()):
            chart.deleteLater()
        self.charts = {}
        self.names = []
        self.chip.setVisible(False)
        self.count_label.setText("Open a dataset.")

    def _hook_services(self) -> None:
        if self._hooked_services:
            return
        self._hooked_services = True
        map_ = self.host.map_service()
        if map_ is not None:
            map_.clusters_changed.connect(self._clusters_changed)
        review = self.host.review_service()
        if review is not None:
            review.labels_changed.connect(lambda _u: self._labels_timer.start())

    def _clusters(self) -> tuple[np.ndarray | None, dict[int, str] | None] | None:
        map_ = self.host.map_service()
        if map_ is None:
            return None
        coarse, names, _fine, _names_fine = map_.cluster_labels()
        return None if coarse is None else (np.asarray(coarse), dict(names or {}))

    def _decisions(self, n: int) -> np.ndarray | None:
        review = self.host.review_service()
        if review is None:
            return None
        codes = review.decision_codes()
        return codes if len(codes) == n else None

    def _set_derived(self, name: str, series: pl.Series | None) -> None:
        if self.facets is None or series is None or len(series) != self.facets.height:
            return
        fresh = name not in self.facets.columns
        self.facets.set_column(series.rename(name))
        if fresh and name in ("cluster", "decision", "flags") and name not in self.names:
            self.names.append(name)  # a default facet that just became available
            self._sync_charts()
        if name in self.filters and name not in self.names:
            self.filters.pop(name)
        self.recount(filters_changed=name in self.filters)

    def _clusters_changed(self) -> None:
        clusters = self._clusters()
        if clusters is None or self.facets is None:
            return
        cols = facet_frame_columns(pl.DataFrame(height=self.facets.height), clusters=clusters)
        self._set_derived("cluster", cols.get("cluster"))

    def _decisions_changed(self) -> None:
        if self.facets is None:
            return
        decisions = self._decisions(self.facets.height)
        cols = facet_frame_columns(pl.DataFrame(height=self.facets.height), decisions=decisions)
        self._set_derived("decision", cols.get("decision"))

    def _format_changed(self, _spec: object) -> None:
        project = self.host.project
        if project is not None and self.facets is not None:
            self._set_derived("length", project.dataset.frame[LENGTH])

    def _load_analysis(self, project: Project) -> None:
        """The flags and outlier scores of the last Issues run, read in the background."""

        def load(p: Project, _progress: Any) -> dict[str, pl.Series]:
            return score_facets(p)

        def done(columns: dict[str, pl.Series]) -> None:
            if project is not self._project:
                return
            for name, series in columns.items():
                self._set_derived(name, series)

        self.host.jobs.submit(ANALYSIS_JOB, load, project, label="Reading issues", on_done=done,
                              on_error=lambda _exc: None)  # fmt: skip

    def _job_finished(self, job: Any) -> None:
        if job.kind in ISSUES_JOBS and self._project is not None:
            project = self._project
            QTimer.singleShot(0, self, lambda: self._load_analysis(project))

    # -- choosing facets ---------------------------------------------------------------------------
    def available(self) -> list[str]:
        return [] if self.facets is None else self.facets.columns

    def set_facets(self, names: list[str]) -> None:
        """Show charts for ``names`` (columns of the facet frame), in this order."""
        if self.facets is None:
            return
        known = set(self.facets.columns)
        self.names = [n for n in names if n in known]
        dropped = [n for n in self.filters if n not in self.names]
        for name in dropped:
            self.filters.pop(name)
        self._sync_charts()
        self.recount(filters_changed=bool(dropped))

    def _fill_columns_menu(self) -> None:
        menu = self.columns_menu
        menu.clear()
        for name in self.available():
            action = menu.addAction(name)
            action.setCheckable(True)
            action.setChecked(name in self.names)
            action.toggled.connect(lambda on, n=name: self._toggle_facet(n, on))

    def _toggle_facet(self, name: str, on: bool) -> None:
        names = [n for n in self.names if n != name] + ([name] if on else [])
        self.set_facets(names)

    def _sync_charts(self) -> None:
        for name in list(self.charts):
            if name not in self.names:
                self.charts.pop(name).deleteLater()
        for i, name in enumerate(self.names):
            chart = self.charts.get(name)
            if chart is None:
                chart = self.charts[name] = FacetChart(name)
                chart.chosen.connect(self.choose)
            self.charts_layout.insertWidget(i, chart)

    # -- filtering ---------------------------------------------------------------------------------
    def choose(self, name: str, chosen: Filter | None) -> None:
        """Filter by ``chosen`` on facet ``name`` (None: stop filtering by it)."""
        if chosen is None:
            if self.filters.pop(name, None) is None:
                return
        else:
            self.filters[name] = chosen
        self.recount(filters_changed=True)

    def clear_all(self) -> None:
        if self.filters:
            self.filters = {}
            self.recount(filters_changed=True)

    def _filter_ran(self, n: int) -> None:
        if n >= 0 and self.facets is not None:
            self.recount()

    def _base(self) -> np.ndarray | None:
        """The filter bar's rows (None: every row)."""
        if self.facets is None or self.host.filter_is_empty():
            return None
        rows = self.host.base_rows()
        return None if rows.size == self.facets.height else rows

    def recount(self, *, filters_changed: bool = False) -> None:
        """Count again (after the filter bar ran, a column or a filter changed); when the
        facets' filters changed, narrow the table to the rows they let through."""
        if self.facets is None:
            return
        try:
            update = self.facets.update(self.names, self.filters, self._base())
        except (KeyError, ValueError):  # a filter left from a column that changed kind
            self.filters = {k: v for k, v in self.filters.items() if k in self.facets.columns}
            self.filters = {k: v for k, v in self.filters.items() if self._fits(k, v)}
            update = self.facets.update(self.names, self.filters, self._base())
        self.last_update = update
        for name, counts in update.counts.items():
            self.charts[name].set_counts(counts)
        if filters_changed:
            self._set_model_mask(update.filter_mask if self.filters else None)
        total = self.facets.height
        self.count_label.setText(
            f"{update.matched:,} of {total:,} rows" if self.filters else f"{total:,} rows"
        )
        # short: the filter bar's count already says how many rows the table shows
        self.chip_label.setText("facets")
        self.chip.setToolTip(f"{update.matched:,} rows pass the facets; ✕ clears them")
        self.chip.setVisible(bool(self.filters))
        self.clear_button.setEnabled(bool(self.filters))
        self.host.actions.update_enabled()
        self.changed.emit(update)

    def _fits(self, name: str, chosen: Filter) -> bool:
        assert self.facets is not None
        try:
            self.facets.facet(name).mask(chosen)
        except ValueError:
            return False
        return True

    def _set_model_mask(self, mask: np.ndarray | None) -> None:
        model = self.host.table.model()
        if not isinstance(model, SampleTableModel) or model.dataset is None:
            return
        if mask is not None and len(mask) != model.dataset.height:
            return
        model.set_row_mask(mask)
        current = self.host.current_row()
        if current is None or not self.host.row_in_view(current):
            first = self.host.first_view_row()
            if first is not None:
                self.host.set_current_row(first)
            else:
                self.host.sample_view.show_message("No rows match the filters.")
