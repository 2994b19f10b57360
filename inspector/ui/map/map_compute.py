"""Computing the map in the background and showing what the job hands over, step by step.

When a dataset opens, a map whose parameters the store remembers (``map_params``) is loaded
straight away — it comes from the caches — and otherwise computed automatically when the
"auto map" setting is on and the dataset is small enough; else the dock offers a "Compute map"
button. The job runs in a child process (:mod:`inspector.core.map.process`), so its numba code
never holds the window's GIL. The layout is drawn as soon as the job hands it over, cluster
colours and names when the clusters arrive, each step on its own turn of the event loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.random  # noqa: F401 - the map's spatial index needs it: load it now, not mid-job
from PySide6.QtCore import QSettings, QTimer

from inspector.core.errors import DataError
from inspector.core.jobs import Progress
from inspector.core.map.process import compute_map_isolated
from inspector.core.map.project_map import MapParams, compute_map
from inspector.ui.common.jobs import Job, describe_progress

if TYPE_CHECKING:
    from inspector.core.project import Project
    from inspector.ui.common.host import Host
    from inspector.ui.map.map_panel import MapPanel

log = logging.getLogger("inspector.ui")

JOB_KIND = "map"
# Compute in a child process (see map_process: the window keeps its GIL); False runs the job
# on the job runner's thread like any other.
ISOLATE = True
AUTO_MAP_SETTING = "map/auto"
AUTO_MAP_MAX_ROWS = 200_000
START_DELAY_MS = 250  # after a dataset opens, before its map job starts
AUTO_MAP_MIN_ROWS = 50  # a map of a handful of samples says nothing; Ctrl+M still makes one


def auto_map_enabled() -> bool:
    value = QSettings().value(AUTO_MAP_SETTING, True)
    return value in (True, "true", "1", 1)


class MapCompute:
    """The job half of :class:`~inspector.ui.map.map_panel.MapPanel`, made by the panel with
    itself and the host: opening and closing a dataset, computing its map and handing the
    results to the panel's drawing methods, one step per turn of the event loop."""

    def __init__(self, panel: MapPanel, host: Host) -> None:
        self.panel = panel
        self.host = host
        self._steps: list[tuple[Project, Callable[[], None]]] = []
        self._step_timer = QTimer(panel)
        self._step_timer.setSingleShot(True)
        self._step_timer.setInterval(0)
        self._step_timer.timeout.connect(self._run_step)
        self._given: Project | None = None  # a project whose map comes from an analysis folder

    def clear_steps(self) -> None:
        """Drop the steps not run yet (the map they were for is gone)."""
        self._steps.clear()

    def dataset_opened(self, project: Project) -> None:
        self.host.jobs.cancel(JOB_KIND)
        self.panel.project = project
        self.panel._clear_map()
        self.panel.setup_bar.fill_choices(project)
        self.panel._fill_colour_combo()
        saved = project.store.get("map_params")
        params = None
        if isinstance(saved, dict):
            try:
                params = MapParams(**saved)
            except TypeError:
                params = None
        if params is not None:
            # The project's own map wins over the last choice in the settings (QSettings,
            # shared by every dataset): reopening never changes the embedded text by itself.
            self.panel.set_params(params)
            self._compute_soon(project, params)  # cached: quick
        elif (
            auto_map_enabled() and AUTO_MAP_MIN_ROWS <= project.dataset.height <= AUTO_MAP_MAX_ROWS
        ):
            self._compute_soon(project, self.panel.chosen_params())
        else:
            self.panel._show_message(
                f"No map of {project.dataset.name} yet.\n\nChoose a model and the text to embed "
                "above, then Compute map (Ctrl+M)."
            )

    def _compute_soon(self, project: Project, params: MapParams) -> None:
        """Start the map once the window has drawn the new dataset: the job's first step
        (gathering the texts) shares polars' threads with the table's first paint."""
        self.panel._show_message("Computing the map…")

        def start() -> None:
            if (
                self.host.project is project
                and self._given is not project
                and self.host.jobs.current(JOB_KIND) is None
            ):
                self.compute(params)

        QTimer.singleShot(START_DELAY_MS, self.panel, start)  # dropped if the panel is gone

    def compute(self, params: MapParams | None = None) -> Job | None:
        """Compute (or load from the caches) the map of the open dataset in the background."""
        project = self.host.project
        if project is None:
            return None
        if project is not self.panel.project:
            self.panel.project = project
        params = params if isinstance(params, MapParams) else self.panel.chosen_params()
        if not params.vectors_column:
            # Written only when changed: a QSettings write costs tens of ms on a slow disk.
            settings = QSettings()
            for key, value in (
                ("map/model", params.model),
                ("map/embed_field", params.embed_field or "prompt"),
            ):
                if settings.value(key) != value:
                    settings.setValue(key, value)
        self.panel.params = params
        self.panel.show_map_params(params)
        if self.panel._xy_shown is None:
            self.panel._show_message("Computing the map…")
        self.panel.compute_button.setEnabled(False)

        def run(p: MapParams, progress: Progress) -> Any:
            if ISOLATE:
                return compute_map_isolated(project, p, progress)
            return compute_map(project, p, progress)

        return self.host.jobs.submit(
            JOB_KIND,
            run,
            params,
            label="Map",
            on_done=lambda result: self._done(project, params, result),
            on_error=lambda exc: self._failed(project, exc),
            on_partial=lambda name, value: self._partial(project, params, name, value),
        )

    def cancel(self) -> None:
        self.host.jobs.cancel(JOB_KIND)

    # -- a map made elsewhere (File ▸ Open Analysis: inspector.ui.shell.open_analysis) --------
    def expect_given(self, project: Project, text: str) -> None:
        """``project``'s map comes from elsewhere: none is computed for it unless asked."""
        self._given = project
        self.host.jobs.cancel(JOB_KIND)
        self.panel._show_message(text)

    def show_given(
        self, project: Project, xy: np.ndarray, coarse, names_coarse, fine, names_fine
    ) -> None:
        """Show a map made elsewhere (an analysis folder) as a finished job's is shown."""
        self.expect_given(project, "")
        self.clear_steps()
        self.panel._show_points(project, np.asarray(xy))
        self.panel._show_clusters(coarse, names_coarse, fine, names_fine)
        self.host.actions.update_enabled()

    def drop_given(self, text: str) -> None:
        """The map expected from elsewhere is not coming: say so (Compute map still works)."""
        self._given = None
        if self.panel._xy_shown is None:
            self.panel._show_message(text)
            self.panel.setup_bar.setVisible(True)

    def _on_job_progress(self, job: Job) -> None:
        if job.kind == JOB_KIND and self.panel.message.isVisibleTo(self.panel):
            self.panel.message.setText("Computing the map…\n\n" + describe_progress(job))

    def _on_job_finished(self, job: Job) -> None:
        if job.kind != JOB_KIND or self.host.jobs.current(JOB_KIND) is not None:
            return
        self.panel.compute_button.setEnabled(self.host.project is not None)
        if job.cancelled and self.panel.result is None:
            if self.panel._xy_shown is None:
                self.panel._show_message(
                    "The map was cancelled.\n\nCompute map (Ctrl+M) to start again."
                )
            else:
                self.panel.setup_bar.setVisible(True)

    def _partial(self, project: Project, params: MapParams, name: str, value: Any) -> None:
        """Show each stage's result as it arrives (the worker's arrays, never copied here)."""
        if name == "vectors":
            self._later(project, lambda: self._set_vectors(value, params))
        elif name == "knn":
            self._later(project, lambda: setattr(self.panel, "knn", value))
        elif name == "layout":
            self._later(project, lambda: self.panel._show_points(project, np.asarray(value)))
        elif name == "clusters":
            get = value.get

            def show() -> None:
                self.panel._show_clusters(
                    get("coarse"), get("names_coarse"), get("fine"), get("names_fine")
                )
                self.panel.set_cluster_details(get("details"))

            self._later(project, show)

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
        if project is self.host.project:
            step()
        if self._steps:
            self._step_timer.start()

    def _set_vectors(self, vectors: np.ndarray, params: MapParams) -> None:
        self.panel.vectors, self.panel.vectors_params = vectors, params

    def _finish(self, project: Project, params: MapParams, result: Any) -> None:
        self.panel._show_points(project, np.asarray(result.xy))
        self.panel._show_clusters(
            result.cluster_coarse, result.names_coarse, result.cluster_fine, result.names_fine
        )
        self.panel.set_cluster_details(getattr(result, "details", None))
        self.panel.result = result
        self.panel.params = params
        self.panel.vectors, self.panel.vectors_params = result.vectors, params
        self.panel.knn = (result.knn_indices, result.knn_sims)
        self.host.actions.update_enabled()
        self.panel.mapReady.emit(result)

    def _failed(self, project: Project, exc: BaseException) -> None:
        if project is not self.host.project:
            return
        if isinstance(exc, DataError):
            text = exc.describe()
        else:
            # Shown in the dock rather than a dialog: the window goes on without a map.
            log.error("the map job failed", exc_info=(type(exc), exc, exc.__traceback__))
            text = f"{type(exc).__name__}: {exc}"
        self.panel._show_message(f"Could not compute the map.\n\n{text}")
        self.panel.setup_bar.setVisible(True)

    def dataset_closed(self) -> None:
        self._given = None
        self.host.jobs.cancel(JOB_KIND)
        self.panel.project = None
        self.panel._clear_map()
        self.panel._show_message("Open a dataset to see its map.")
        self.host.actions.update_enabled()
