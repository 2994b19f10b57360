"""The map dock: computes a dataset's map in the background and keeps it in step with the
table and the sample pane.

``MapPanel`` owns the :class:`MapView`, the cluster list and the "Compute map" choices (model,
embedded text or a column of vectors). When a dataset opens, a map whose parameters the store
remembers (``map_params``) is loaded straight away — it comes from the caches — and otherwise
computed automatically when the "auto map" setting is on and the dataset is small enough;
else the dock offers a "Compute map" button. The job runs in a child process
(:mod:`inspector.ui.map_process`), so its numba code never holds the window's GIL. The layout
is drawn as soon as the job hands it over, cluster colours and names when the clusters
arrive, each step on its own turn of the event loop.

Colour-by lists the clusters, the length, the dataset's columns and whatever a feature adds
with :meth:`MapPanel.add_color_source` (e.g. labels or quality flags).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.random  # noqa: F401 - the map's spatial index needs it: load it now, not mid-job
import polars as pl
from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from inspector.core.errors import DataError
from inspector.core.jobs import Progress
from inspector.core.project_map import MapParams, compute_map
from inspector.ui.jobs import Job, describe_progress
from inspector.ui.map_colours import ColourSource, colour_choices, colouring
from inspector.ui.map_process import compute_map_isolated
from inspector.ui.map_view import ClusterListWidget, MapView

if TYPE_CHECKING:
    from inspector.core.project import Project
    from inspector.ui.main_window import MainWindow

log = logging.getLogger("inspector.ui")

JOB_KIND = "map"
# Compute in a child process (see map_process: the window keeps its GIL); False runs the job
# on the job runner's thread like any other.
ISOLATE = True
AUTO_MAP_SETTING = "map/auto"
AUTO_MAP_MAX_ROWS = 200_000
FIT_MARGIN_X, FIT_MARGIN_Y = 0.12, 0.05  # of the points' extent, for names at the edges
START_DELAY_MS = 250  # after a dataset opens, before its map job starts
AUTO_MAP_MIN_ROWS = 50  # a map of a handful of samples says nothing; Ctrl+M still makes one

BUILTIN_MODELS = (
    ("default", "static model2vec model distilled from all-MiniLM-L6-v2 (offline, fast)"),
    ("minilm", "all-MiniLM-L6-v2 sentence-transformers model (offline, slower)"),
)


def auto_map_enabled() -> bool:
    value = QSettings().value(AUTO_MAP_SETTING, True)
    return value in (True, "true", "1", 1)


def _finite_bounds(xy: np.ndarray) -> tuple[float, float, float, float] | None:
    ok = np.isfinite(xy).all(axis=1)
    if not ok.any():
        return None
    lo, hi = xy[ok].min(axis=0), xy[ok].max(axis=0)
    return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])


def _same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a is b or np.array_equal(np.asarray(a), np.asarray(b))


def _is_vector_column(dtype: pl.DataType) -> bool:
    return isinstance(dtype, pl.List | pl.Array) and dtype.inner.is_numeric()


class _ModelCombo(QComboBox):
    aboutToShowPopup = Signal()

    def showPopup(self) -> None:  # noqa: N802 - Qt override
        self.aboutToShowPopup.emit()
        super().showPopup()


class MapPanel(QWidget):
    """The map dock's widget; ``install_map`` puts it into the window and wires the keys."""

    mapReady = Signal(object)  # the MapResult, once the job is done
    mapCleared = Signal()

    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.setObjectName("map_panel")
        self.window = window
        self.result: Any = None  # the MapResult shown
        self.params: MapParams | None = None  # the params of the map shown or being made
        self.project: Project | None = None
        self._xy_shown: np.ndarray | None = None
        self._bounds: tuple[float, float, float, float] | None = None
        # The vectors and neighbours behind the map (search and "more like this" use them).
        self.vectors: np.ndarray | None = None
        self.knn: tuple[np.ndarray, np.ndarray] | None = None
        self.vectors_params: MapParams | None = None  # what made ``vectors``
        self._colour_sources: dict[str, ColourSource] = {}
        self._steps: list[tuple[Project, Callable[[], None]]] = []
        self._step_timer = QTimer(self)
        self._step_timer.setSingleShot(True)
        self._step_timer.setInterval(0)
        self._step_timer.timeout.connect(self._run_step)
        self._syncing = False
        self._cluster_list_shown = True

        self.view = MapView(handle_keys=False)  # keys come from the window's action table
        self.view.setObjectName("map_view")
        self.cluster_list = ClusterListWidget(self.view)
        self.cluster_list.setObjectName("cluster_list")
        self._build()

        self.view.selectionChanged.connect(self._on_map_selection)
        self.view.currentChanged.connect(self._on_map_current)
        window.datasetOpened.connect(self.dataset_opened)
        window.currentRowChanged.connect(self._on_window_current)
        window.selectionChanged.connect(self._on_window_selection)
        window.jobs.progressed.connect(self._on_job_progress)
        window.jobs.finished.connect(self._on_job_finished)
        self._show_message("Open a dataset to see its map.")

    # -- building ---------------------------------------------------------------------------
    def _build(self) -> None:
        self.model_combo = _ModelCombo()
        self.model_combo.aboutToShowPopup.connect(lambda: self._fill_models(self.project, True))
        self.model_combo.setObjectName("map_model")
        self.model_combo.setEditable(True)
        self.model_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.model_combo.setMinimumContentsLength(10)
        self.model_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.model_combo.setToolTip(
            "The embedding model: default (fast, offline), minilm (slower, better), a model "
            "folder or a Hugging Face name — or a column of vectors already in the data"
        )
        self.model_combo.currentIndexChanged.connect(self._model_changed)
        self.field_combo = QComboBox()
        self.field_combo.setObjectName("map_field")
        self.field_combo.setToolTip("Which text is embedded")
        self.compute_button = QPushButton("Compute map")
        self.compute_button.setObjectName("map_compute")
        self.compute_button.setDefault(True)
        self.compute_button.clicked.connect(self.compute)

        self.setup_bar = QWidget()
        setup = QHBoxLayout(self.setup_bar)
        setup.setContentsMargins(6, 4, 6, 2)
        setup.setSpacing(4)
        setup.addWidget(QLabel("Model"))
        setup.addWidget(self.model_combo, 2)
        setup.addSpacing(6)
        setup.addWidget(QLabel("Text"))
        setup.addWidget(self.field_combo, 1)
        setup.addSpacing(6)
        setup.addWidget(self.compute_button)

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

    # -- the model and text choices ---------------------------------------------------------
    def _fill_choices(self, project: Project) -> None:
        self._fill_models(project, scan=False)
        frame = project.dataset.frame
        self.field_combo.clear()
        for label, value in (("prompt", "prompt"), ("response", "response"), ("all", "all")):
            self.field_combo.addItem(label, value)
        for column in project.dataset.user_columns:
            dtype = frame.schema[column]
            if dtype == pl.String or (isinstance(dtype, pl.List) and not _is_vector_column(dtype)):
                self.field_combo.addItem(f"column “{column}”", column)
        settings = QSettings()
        self.set_params(
            MapParams(
                model=str(settings.value("map/model", "default")),
                embed_field=str(settings.value("map/embed_field", "prompt")),
            )
        )

    def _fill_models(self, project: Project | None, scan: bool) -> None:
        """The built-in models, those found in the models folder (``scan``: looking there takes
        a moment, so only when the list is opened) and the data's vector columns."""
        combo = self.model_combo
        text, data = combo.currentText(), combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        infos = []
        if scan:
            from inspector.core import models

            try:
                infos = models.list_models()
            except Exception:  # noqa: BLE001 - a broken model folder must not break the list
                log.exception("cannot list the models")
        for name, tip in BUILTIN_MODELS:
            combo.addItem(name, f"model:{name}")
            combo.setItemData(combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
        for info in infos:
            if combo.findData(f"model:{info.name}") < 0:
                combo.addItem(info.name, f"model:{info.name}")
                combo.setItemData(combo.count() - 1, info.description, Qt.ItemDataRole.ToolTipRole)
        if project is not None:
            frame = project.dataset.frame
            for column in project.dataset.user_columns:
                if _is_vector_column(frame.schema[column]):
                    combo.addItem(f"vectors in “{column}”", f"vectors:{column}")
        i = combo.findData(data) if data else -1
        if i >= 0:
            combo.setCurrentIndex(i)
        elif text:
            combo.setEditText(text)
        combo.blockSignals(False)

    def set_params(self, params: MapParams) -> None:
        """Show ``params`` in the model and text choices."""
        if params.vectors_column:
            i = self.model_combo.findData(f"vectors:{params.vectors_column}")
            if i < 0:
                self.model_combo.addItem(
                    f"vectors in “{params.vectors_column}”", f"vectors:{params.vectors_column}"
                )
                i = self.model_combo.count() - 1
            self.model_combo.setCurrentIndex(i)
        else:
            i = self.model_combo.findData(f"model:{params.model}")
            if i >= 0:
                self.model_combo.setCurrentIndex(i)
            else:
                self.model_combo.setEditText(params.model)
        j = self.field_combo.findData(params.embed_field or "prompt")
        self.field_combo.setCurrentIndex(max(j, 0))
        self._model_changed()

    def chosen_params(self) -> MapParams:
        """The params the choices describe now (a typed model name or path counts)."""
        text = self.model_combo.currentText().strip()
        column = self._chosen_vectors()
        if (
            column is not None
            and self.model_combo.itemText(self.model_combo.currentIndex()) == text
        ):
            return MapParams(vectors_column=column)
        field = self.field_combo.currentData() or "prompt"
        return MapParams(model=text or "default", embed_field=field)

    def _model_changed(self, *_args: object) -> None:
        self.field_combo.setEnabled(self._chosen_vectors() is None)

    def _chosen_vectors(self) -> str | None:
        data = str(self.model_combo.currentData() or "")
        return data[len("vectors:") :] if data.startswith("vectors:") else None

    # -- opening and computing --------------------------------------------------------------
    def dataset_opened(self, project: Project) -> None:
        self.window.jobs.cancel(JOB_KIND)
        self.project = project
        self._clear_map()
        self._fill_choices(project)
        self._fill_colour_combo()
        saved = project.store.get("map_params")
        params = None
        if isinstance(saved, dict):
            try:
                params = MapParams(**saved)
            except TypeError:
                params = None
        if params is not None:
            self.set_params(params)
            self._compute_soon(project, params)  # cached: quick
        elif (
            auto_map_enabled() and AUTO_MAP_MIN_ROWS <= project.dataset.height <= AUTO_MAP_MAX_ROWS
        ):
            self._compute_soon(project, self.chosen_params())
        else:
            self._show_message(
                f"No map of {project.dataset.name} yet.\n\nChoose a model and the text to embed "
                "above, then Compute map (Ctrl+M)."
            )

    def _compute_soon(self, project: Project, params: MapParams) -> None:
        """Start the map once the window has drawn the new dataset: the job's first step
        (gathering the texts) shares polars' threads with the table's first paint."""
        self._show_message("Computing the map…")

        def start() -> None:
            if self.window.project is project and self.window.jobs.current(JOB_KIND) is None:
                self.compute(params)

        QTimer.singleShot(START_DELAY_MS, self, start)  # dropped if the panel is gone

    def compute(self, params: MapParams | None = None) -> Job | None:
        """Compute (or load from the caches) the map of the open dataset in the background."""
        project = self.window.project
        if project is None:
            return None
        if project is not self.project:
            self.project = project
        params = params if isinstance(params, MapParams) else self.chosen_params()
        if not params.vectors_column:
            # Written only when changed: a QSettings write costs tens of ms on a slow disk.
            settings = QSettings()
            for key, value in (
                ("map/model", params.model),
                ("map/embed_field", params.embed_field or "prompt"),
            ):
                if settings.value(key) != value:
                    settings.setValue(key, value)
        self.params = params
        if self._xy_shown is None:
            self._show_message("Computing the map…")
        self.compute_button.setEnabled(False)

        def run(p: MapParams, progress: Progress) -> Any:
            if ISOLATE:
                return compute_map_isolated(project, p, progress)
            return compute_map(project, p, progress)

        return self.window.jobs.submit(
            JOB_KIND,
            run,
            params,
            label="Map",
            on_done=lambda result: self._done(project, params, result),
            on_error=lambda exc: self._failed(project, exc),
            on_partial=lambda name, value: self._partial(project, params, name, value),
        )

    def cancel(self) -> None:
        self.window.jobs.cancel(JOB_KIND)

    def _on_job_progress(self, job: Job) -> None:
        if job.kind == JOB_KIND and self.message.isVisibleTo(self):
            self.message.setText("Computing the map…\n\n" + describe_progress(job))

    def _on_job_finished(self, job: Job) -> None:
        if job.kind != JOB_KIND or self.window.jobs.current(JOB_KIND) is not None:
            return
        self.compute_button.setEnabled(self.window.project is not None)
        if job.cancelled and self.result is None:
            if self._xy_shown is None:
                self._show_message("The map was cancelled.\n\nCompute map (Ctrl+M) to start again.")
            else:
                self.setup_bar.setVisible(True)

    def _partial(self, project: Project, params: MapParams, name: str, value: Any) -> None:
        """Show each stage's result as it arrives (the worker's arrays, never copied here)."""
        if name == "vectors":
            self._later(project, lambda: self._set_vectors(value, params))
        elif name == "knn":
            self._later(project, lambda: setattr(self, "knn", value))
        elif name == "layout":
            self._later(project, lambda: self._show_points(project, np.asarray(value)))
        elif name == "clusters":
            get = value.get
            self._later(
                project,
                lambda: self._show_clusters(
                    get("coarse"), get("names_coarse"), get("fine"), get("names_fine")
                ),
            )

    def _done(self, project: Project, params: MapParams, result: Any) -> None:
        self._later(project, lambda: self._finish(project, params, result))

    def _later(self, project: Project, step: Callable[[], None]) -> None:
        """Run ``step`` on a later turn of the event loop, one step a turn and in order, so
        what the job hands over at once (a map from the caches) never freezes the window for
        the sum of the steps."""
        self._steps.append((project, step))
        if not self._step_timer.isActive():
            self._step_timer.start()

    def _run_step(self) -> None:
        if not self._steps:
            return
        project, step = self._steps.pop(0)
        if project is self.window.project:
            step()
        if self._steps:
            self._step_timer.start()

    def _set_vectors(self, vectors: np.ndarray, params: MapParams) -> None:
        self.vectors, self.vectors_params = vectors, params

    def _finish(self, project: Project, params: MapParams, result: Any) -> None:
        self._show_points(project, np.asarray(result.xy))
        self._show_clusters(
            result.cluster_coarse, result.names_coarse, result.cluster_fine, result.names_fine
        )
        self.result = result
        self.params = params
        self.vectors, self.vectors_params = result.vectors, params
        self.knn = (result.knn_indices, result.knn_sims)
        self.window.actions.update_enabled()
        self.mapReady.emit(result)

    def _failed(self, project: Project, exc: BaseException) -> None:
        if project is not self.window.project:
            return
        if isinstance(exc, DataError):
            text = exc.describe()
        else:
            # Shown in the dock rather than a dialog: the window goes on without a map.
            log.error("the map job failed", exc_info=(type(exc), exc, exc.__traceback__))
            text = f"{type(exc).__name__}: {exc}"
        self._show_message(f"Could not compute the map.\n\n{text}")
        self.setup_bar.setVisible(True)

    # -- drawing ----------------------------------------------------------------------------
    def _clear_map(self) -> None:
        self._steps.clear()
        self.result = None
        self._xy_shown = self._bounds = None
        self.vectors = self.knn = self.vectors_params = None
        self.view.set_points(np.empty((0, 2), np.float32))
        self.view.set_preview_provider(None)
        self.mapCleared.emit()

    def dataset_closed(self) -> None:
        self.window.jobs.cancel(JOB_KIND)
        self.project = None
        self._clear_map()
        self._show_message("Open a dataset to see its map.")
        self.window.actions.update_enabled()

    def _show_points(self, project: Project, xy: np.ndarray) -> None:
        if self._xy_shown is not None and (
            self._xy_shown is xy or np.array_equal(self._xy_shown, xy, equal_nan=True)
        ):
            return
        dataset = project.dataset
        self.view.set_points(xy, ids=dataset.ids)
        self._xy_shown = xy
        self._bounds = _finite_bounds(xy)
        self.fit_all()
        self.view.set_preview_provider(lambda row: dataset.preview(row, 600))
        self._syncing = True
        try:
            self.view.set_selection(self._map_selection(self.window.selected_rows()))
            current = self.window.current_row()
            self.view.set_current(-1 if current is None else current)
        finally:
            self._syncing = False
        self._show_map()
        self.apply_colour()
        self.window.actions.update_enabled()

    def fit_all(self) -> None:
        """Show every point, with room at the sides for the names of clusters at the edge
        (a name is centred on its cluster and would be cut off by a tight fit)."""
        if self._bounds is None:
            self.view.fit_all()
            return
        x0, y0, x1, y1 = self._bounds
        dx, dy = (x1 - x0) * FIT_MARGIN_X, (y1 - y0) * FIT_MARGIN_Y
        self.view.set_view_rect(x0 - dx, y0 - dy, x1 + dx, y1 + dy)

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
        project = self.window.project
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
        if kind == "continuous":
            self.view.set_color_continuous(data, title)
        elif kind == "categorical":
            self.view.set_color_categorical(data[0], data[1], title)
        else:
            self.view.set_color_uniform()
        self.update_legend()

    def update_legend(self, cluster_list_shown: bool | None = None) -> None:
        """The legend, unless it would repeat the cluster list beside the map: colouring by
        the coarse clusters while the list (whose dots are those colours) is in view.
        ``cluster_list_shown`` comes from its dock (a dock behind another tab still counts
        as visible to Qt)."""
        if cluster_list_shown is not None:
            self._cluster_list_shown = cluster_list_shown
        legend = self.view.legend()
        repeats = (
            self.colour_combo.currentData() == "cluster:coarse"
            and legend.kind() == "categorical"
            and self._cluster_list_shown
        )
        legend.setVisible(legend.kind() != "uniform" and not repeats)

    # -- keeping the map, the table and the sample pane together ---------------------------
    def _map_selection(self, rows: np.ndarray) -> np.ndarray:
        """What the map marks as selected for a table selection: a single row that is the
        current one is shown by the current ring alone (else every step through the table
        would dim the whole map)."""
        rows = np.asarray(rows, dtype=np.int64)
        if rows.size == 1 and rows[0] == self.window.current_row():
            return np.empty(0, np.int64)
        return rows

    def _on_map_selection(self, rows: np.ndarray) -> None:
        if self._syncing or self.window.project is None:
            return
        self._syncing = True
        try:
            self.window.select_rows(rows)
        finally:
            self._syncing = False

    def _on_map_current(self, row: int) -> None:
        if self.window.project is None or row < 0:
            return
        self._syncing = True
        try:
            self.window.set_current_row(row)
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
