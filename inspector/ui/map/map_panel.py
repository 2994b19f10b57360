"""The map dock: shows a dataset's map and keeps it in step with the table and the sample pane.

``MapPanel`` owns the :class:`MapView`, the cluster list, the "Compute map" choices
(:mod:`inspector.ui.map.map_setup_bar`) and the colour-by choice. Computing the map and taking in
what the job hands over is :mod:`inspector.ui.map.map_compute`.

Colour-by lists the clusters, the length, the dataset's columns and whatever a feature adds
with :meth:`MapPanel.add_color_source` (e.g. labels or quality flags).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inspector.core.map.project_map import MapParams
from inspector.ui.map.map_colours import ColourSource, colour_choices, colouring
from inspector.ui.map.map_compute import MapCompute
from inspector.ui.map.map_setup_bar import MapSetupBar
from inspector.ui.map.map_view import ClusterListWidget, MapView

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from inspector.core.map.cluster_details import ClusterDetails
    from inspector.core.project import Project
    from inspector.ui.common.host import Host
    from inspector.ui.common.jobs import Job

log = logging.getLogger("inspector.ui")

LEGEND_SETTING = "map/legend"


def _setting_bool(key: str, default: bool) -> bool:
    value = QSettings().value(key, default)
    return value if isinstance(value, bool) else str(value).lower() in ("true", "1")


def _same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a is b or np.array_equal(np.asarray(a), np.asarray(b))


class MapPanel(QWidget):
    """The map dock's widget; ``install_map`` puts it into the window and wires the keys."""

    mapReady = Signal(object)  # the MapResult, once the job is done
    mapCleared = Signal()

    def __init__(self, host: Host) -> None:
        super().__init__()
        self.setObjectName("map_panel")
        self.host = host
        self.result: Any = None  # the MapResult shown
        self.params: MapParams | None = None  # the params of the map shown or being made
        self.project: Project | None = None
        self._xy_shown: np.ndarray | None = None
        # The vectors and neighbours behind the map (search and "more like this" use them).
        self.vectors: np.ndarray | None = None
        self.knn: tuple[np.ndarray, np.ndarray] | None = None
        self.vectors_params: MapParams | None = None  # what made ``vectors``
        self._colour_sources: dict[str, ColourSource] = {}
        self.computer = MapCompute(self, host)
        self._syncing = False
        self._cluster_list_shown = True
        self.details: ClusterDetails | None = None  # representatives, weak members

        self.view = MapView(handle_keys=False)  # keys come from the window's action table
        self.view.setObjectName("map_view")
        self.cluster_list = ClusterListWidget(self.view)
        self.cluster_list.setObjectName("cluster_list")
        self.cluster_list.sampleClicked.connect(self._on_sample_clicked)
        self._build()

        self.view.selectionChanged.connect(self._on_map_selection)
        self.view.currentChanged.connect(self._on_map_current)
        host.datasetOpened.connect(self.dataset_opened)
        host.currentRowChanged.connect(self._on_window_current)
        host.selectionChanged.connect(self._on_window_selection)
        host.jobs.progressed.connect(self.computer._on_job_progress)
        host.jobs.finished.connect(self.computer._on_job_finished)
        self.legend_action = host.actions.register(
            "view.legend",
            "Map &Legend",
            lambda: self._legend_toggled(self.legend_action.isChecked()),
            menu="View",
            tip="Show the colours' legend beside the map (never over it)",
        )
        self.legend_action.setCheckable(True)
        self.legend_action.setChecked(_setting_bool(LEGEND_SETTING, True))
        self._show_message("Open a dataset to see its map.")

    # -- building ---------------------------------------------------------------------------
    def _build(self) -> None:
        self.setup_bar = MapSetupBar()
        self.model_combo = self.setup_bar.model_combo
        self.field_combo = self.setup_bar.field_combo
        self.compute_button = self.setup_bar.compute_button
        self.model_combo.aboutToShowPopup.connect(
            lambda: self.setup_bar.fill_models(self.project, True)
        )
        self.compute_button.clicked.connect(self.compute)

        self.colour_combo = QComboBox()
        self.colour_combo.setObjectName("map_colour")
        self.colour_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.colour_combo.currentIndexChanged.connect(lambda _i: self.apply_colour())
        self.settings_button = QToolButton()
        self.settings_button.setObjectName("map_settings")
        self.settings_button.setText("Model…")
        self.settings_button.setToolTip("Choose the model and text the map is made from")
        self.settings_button.setCheckable(True)
        self.settings_button.setAutoRaise(True)
        self.settings_button.toggled.connect(self.setup_bar.setVisible)
        self.colour_bar = QWidget()
        bar = QHBoxLayout(self.colour_bar)
        bar.setContentsMargins(6, 4, 6, 2)
        bar.setSpacing(4)
        bar.addWidget(QLabel("Colour by"))
        bar.addWidget(self.colour_combo)
        bar.addStretch(1)
        # What the map shows is made from: visible whenever the map is (the setup bar is not).
        self.text_label = QLabel()
        self.text_label.setObjectName("map_text")
        self.text_label.setToolTip("The text the map embeds (change it with Model…)")
        bar.addWidget(self.text_label)
        bar.addWidget(self.settings_button)

        # The message lies over the map rather than in its place: the map widget is shown (and
        # has paid for its first layout) long before points arrive, so drawing them is quick.
        self.message = QLabel(self.view)
        self.message.setObjectName("map_message")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setAutoFillBackground(True)
        self.message.setStyleSheet("#map_message { color: #6b7280; padding: 24px; }")
        self.view.installEventFilter(self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.setup_bar)
        layout.addWidget(self.colour_bar)
        layout.addWidget(self.view, 1)
        self._fill_colour_combo()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if obj is self.view and event.type() == QEvent.Type.Resize:
            self.message.setGeometry(self.view.rect())
        return super().eventFilter(obj, event)

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setGeometry(self.view.rect())
        self.message.show()
        self.message.raise_()
        self.colour_bar.setVisible(False)
        self.setup_bar.setVisible(self.project is not None)
        self.compute_button.setEnabled(self.project is not None)

    def _show_map(self) -> None:
        self.message.hide()
        self.colour_bar.setVisible(True)
        self.setup_bar.setVisible(self.settings_button.isChecked())

    # -- computing (the work is :class:`MapCompute`'s) -------------------------------------------
    def dataset_opened(self, project: Project) -> None:
        self.computer.dataset_opened(project)

    def dataset_closed(self) -> None:
        self.computer.dataset_closed()

    def compute(self, params: MapParams | None = None) -> Job | None:
        """Compute (or load from the caches) the map of the open dataset in the background."""
        return self.computer.compute(params)

    def cancel(self) -> None:
        self.computer.cancel()

    # -- the model and text choices ---------------------------------------------------------
    def set_params(self, params: MapParams) -> None:
        """Show ``params`` in the model and text choices."""
        self.setup_bar.set_params(params)
        self.show_map_params(params)

    def show_map_params(self, params: MapParams) -> None:
        """Say on the map's toolbar what the map is made from ("Text: prompt")."""
        if params.vectors_column:
            self.text_label.setText(f"Vectors: {params.vectors_column}")
        else:
            field = params.embed_field or "prompt"
            self.text_label.setText(f"Text: {self.setup_bar.field_label(field)}")

    def chosen_params(self) -> MapParams:
        """The params the choices describe now (a typed model name or path counts)."""
        return self.setup_bar.chosen_params()

    # -- drawing ----------------------------------------------------------------------------
    def _clear_map(self) -> None:
        self.computer.clear_steps()
        self.result = None
        self._xy_shown = None
        self.vectors = self.knn = self.vectors_params = None
        self.details = None
        self.cluster_list.set_details(None, None)
        self.view.set_points(np.empty((0, 2), np.float32))
        self.view.set_preview_provider(None)
        self.mapCleared.emit()

    def _show_points(self, project: Project, xy: np.ndarray) -> None:
        if self._xy_shown is not None and (
            self._xy_shown is xy or np.array_equal(self._xy_shown, xy, equal_nan=True)
        ):
            return
        dataset = project.dataset
        self.view.set_points(xy, ids=dataset.ids)
        self._xy_shown = xy
        self.fit_all()
        self.view.set_preview_provider(lambda row: dataset.preview(row, 600))
        self._syncing = True
        try:
            self.view.set_selection(self._map_selection(self.host.selected_rows()))
            current = self.host.current_row()
            self.view.set_current(-1 if current is None else current)
        finally:
            self._syncing = False
        self._show_map()
        self.apply_colour()
        self.host.actions.update_enabled()

    def fit_all(self) -> None:
        """Frame the bulk of the points (see :meth:`MapView.fit_all`)."""
        self.view.fit_all()

    def _show_clusters(self, coarse, names_coarse, fine, names_fine) -> None:
        if self._xy_shown is None or (coarse is None and fine is None):
            return
        n = len(self._xy_shown)
        if (coarse is not None and len(coarse) != n) or (fine is not None and len(fine) != n):
            return
        shown = self.view.cluster_labels()
        if (
            _same(shown[0], coarse)
            and _same(shown[2], fine)
            and (shown[1] == dict(names_coarse or {}) and shown[3] == dict(names_fine or {}))
        ):
            return  # the partial result already showed them
        self.view.set_cluster_labels(
            None if coarse is None else np.asarray(coarse),
            dict(names_coarse or {}),
            None if fine is None else np.asarray(fine),
            dict(names_fine or {}),
        )
        self.apply_colour()

    def set_cluster_details(self, details: ClusterDetails | None) -> None:
        """Show each cluster's representative samples in the cluster list and draw the rows
        that were reassigned from noise fainter on the map (None: no details)."""
        n = len(self._xy_shown) if self._xy_shown is not None else 0
        low = None if details is None else np.asarray(details.low_confidence, dtype=bool)
        if low is not None and len(low) != n:
            low = None  # made for another map: the representatives may still be read
        self.details = details
        project = self.host.project
        dataset = project.dataset if project is not None else None
        preview = None if dataset is None else (lambda row: dataset.preview(row, 200))
        self.cluster_list.set_details(None if details is None else details.representatives, preview)
        self.view.set_low_confidence(low)

    def _on_sample_clicked(self, row: int) -> None:
        if self.host.project is not None and 0 <= row < self.host.project.dataset.height:
            self.host.set_current_row(row)

    # -- colour -----------------------------------------------------------------------------
    def add_color_source(self, name: str, fn: ColourSource) -> None:
        """Offer "colour by ``name``": ``fn(project)`` gives a value per dataset row (see
        :data:`ColourValues`). Call :meth:`refresh_colors` when its values change."""
        self._colour_sources[name] = fn
        self._fill_colour_combo()

    def refresh_colors(self) -> None:
        self.apply_colour()

    def colour_keys(self) -> list[str]:
        return [self.colour_combo.itemData(i) for i in range(self.colour_combo.count())]

    def set_colour(self, key: str) -> None:
        """Colour by ``key``: "cluster:coarse", "cluster:fine", "length", "column:NAME" or
        "source:NAME" (a source added with :meth:`add_color_source`)."""
        i = self.colour_combo.findData(key)
        if i < 0:
            raise ValueError(f"no colouring {key!r}; choose one of {self.colour_keys()}")
        self.colour_combo.setCurrentIndex(i)
        self.apply_colour()

    def _fill_colour_combo(self) -> None:
        current = self.colour_combo.currentData()
        combo = self.colour_combo
        combo.blockSignals(True)
        combo.clear()
        for choice in colour_choices(self.project, list(self._colour_sources)):
            if choice is None:
                combo.insertSeparator(combo.count())
            else:
                combo.addItem(*choice)
        i = combo.findData(current) if current else 0
        combo.setCurrentIndex(max(i, 0))
        combo.blockSignals(False)

    def apply_colour(self) -> None:
        """Colour the points by the colour-by choice (uniform until its values exist)."""
        project = self.host.project
        xy = self._xy_shown
        if project is None or xy is None or len(xy) != project.dataset.height:
            return
        key = str(self.colour_combo.currentData() or "cluster:coarse")
        kind, data, title = colouring(
            key,
            project,
            self.view.cluster_labels(),
            self._colour_sources,
            self.colour_combo.currentText(),
        )
        if kind in ("continuous", "continuous_log"):
            self.view.set_color_continuous(data, title, log=kind == "continuous_log")
        elif kind == "categorical":
            self.view.set_color_categorical(data[0], data[1], title)
        else:
            self.view.set_color_uniform()
        self.update_legend()

    def _legend_toggled(self, on: bool) -> None:
        QSettings().setValue(LEGEND_SETTING, bool(on))
        self.update_legend()

    def update_legend(self, cluster_list_shown: bool | None = None) -> None:
        """The legend beside the map when View ▸ Map Legend is on, unless it would repeat the
        cluster list: colouring by the coarse clusters while the list (whose dots are those
        colours) is in view. ``cluster_list_shown`` comes from its dock (a dock behind
        another tab still counts as visible to Qt)."""
        if cluster_list_shown is not None:
            self._cluster_list_shown = cluster_list_shown
        legend = self.view.legend()
        repeats = (
            self.colour_combo.currentData() == "cluster:coarse"
            and legend.kind() == "categorical"
            and self._cluster_list_shown
        )
        legend.set_enabled(self.legend_action.isChecked() and not repeats)

    # -- keeping the map, the table and the sample pane together ---------------------------
    def _map_selection(self, rows: np.ndarray) -> np.ndarray:
        """What the map marks as selected for a table selection: a single row that is the
        current one is shown by the current ring alone (else every step through the table
        would dim the whole map)."""
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size == 1 and rows[0] == self.host.current_row():
            return np.empty(0, np.int64)
        return rows

    def _on_map_selection(self, rows: np.ndarray) -> None:
        if self._syncing or self.host.project is None:
            return
        self._syncing = True
        try:
            self.host.select_rows(rows)
        finally:
            self._syncing = False

    def _on_map_current(self, row: int) -> None:
        if self.host.project is None or row < 0:
            return
        self._syncing = True
        try:
            self.host.set_current_row(row)
        finally:
            self._syncing = False

    def _on_window_current(self, row: int) -> None:
        if self._xy_shown is None:
            return
        self.view.set_current(row, reveal=not self._syncing)
        selection = self.view.selection()
        if not self._syncing and selection.size == 1 and selection[0] == row:
            # The table selects the row it steps to: the ring shows it without dimming the rest.
            self.view.set_selection(np.empty(0, np.int64))

    def _on_window_selection(self, rows: np.ndarray) -> None:
        if self._xy_shown is None or self._syncing:
            return
        self.view.set_selection(self._map_selection(rows))

    def has_map(self) -> bool:
        return self._xy_shown is not None

    # -- the map as a service to other features (inspector.ui.common.services.MapService) ------
    @property
    def clusters_changed(self) -> SignalInstance:
        return self.view.clustersChanged

    def colour_key(self) -> str | None:
        key = self.colour_combo.currentData()
        return None if key is None else str(key)

    def cluster_labels(self) -> tuple[Any, Any, Any, Any]:
        return self.view.cluster_labels()

    def highlight(self) -> np.ndarray:
        return self.view.highlight()

    def set_current(self, row: int, *, reveal: bool = False) -> None:
        self.view.set_current(row, reveal=reveal)

    def set_selection(self, rows: np.ndarray) -> None:
        self.view.set_selection(rows)
