"""Run the map job (``compute_map``) in a child process, so the window never waits for it.

Why a process and not the job runner's thread: UMAP's and HDBSCAN's numba code, numba's own
compiler and parts of numpy hold the GIL for hundreds of milliseconds at a time (measured by
``benchmarks/bench_ui_responsiveness.py``: 0.9 s freezes at 20k rows), and every Python slot
and paint of the window needs the GIL. A child process has its own.

The parent writes the texts (and a vector column, if that is what is mapped) to an Arrow
file, the child runs :func:`inspector.core.map.mapping.build_map` on them and reports progress and
the layout and clusters through a pipe as they exist; the big arrays of the result (vectors,
neighbours) come back as ``.npy`` files mapped into memory, so nothing big is copied while
the GIL is held. Cancel ends the child (the caches write atomically, so nothing is lost that
was finished). Plain Python: no Qt here.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import polars as pl

from inspector.core import child
from inspector.core.errors import DataError
from inspector.core.jobs import Progress
from inspector.core.map.mapping import MapResult, build_map
from inspector.core.map.project_map import MapParams, compute_map, name_texts, vectors_from_column

log = logging.getLogger("inspector.ui")

TEXT = "__text"
NAME_TEXT = "__name_text"  # the texts that name the clusters, when not the embedded ones
PARTIALS = ("layout", "clusters")  # small; vectors and neighbours come as files
BIG = ("vectors", "knn_indices", "knn_sims")


def compute_map_isolated(
    project: Any, params: MapParams, progress: Progress, *, remember: bool = True
) -> Any:
    """:func:`inspector.core.map.project_map.compute_map` with the work in a child process.

    Same result (a ``MapResult``) and the same side effect (the params remembered in the
    project's store, unless ``remember`` is False); progress, partial results and cancel work as for any job.
    """
    dataset = project.dataset
    folder = Path(tempfile.mkdtemp(prefix="inspector-map-"))
    try:
        progress.status("preparing the texts")
        if params.vectors_column:
            if params.vectors_column not in dataset.frame.columns:
                raise DataError(
                    f"no column '{params.vectors_column}' for --vectors",
                    field=params.vectors_column,
                    hint=f"columns are {', '.join(dataset.user_columns)}",
                )
            frame = pl.DataFrame(
                [dataset.prompt().alias(TEXT), dataset.frame[params.vectors_column]]
            )
        else:
            try:
                texts = dataset.embed_texts(params.embed_field)
            except ValueError as exc:
                raise DataError(str(exc)) from exc
            frame = pl.DataFrame([texts.alias(TEXT)])
        naming = name_texts(project, params)
        if naming is not None:
            frame = frame.with_columns(pl.Series(NAME_TEXT, naming, dtype=pl.String))
        frame.write_ipc(folder / "input.arrow", compression="uncompressed")
        del frame
        progress.check()
        try:
            done = _run_child(folder, params, progress)
        except ChildUnavailable:
            log.warning("no map process; computing the map in the window's process", exc_info=True)
            return compute_map(project, params, progress, remember=remember)
        arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r") for name in BIG}
    finally:
        # Mapped files stay readable after they are unlinked (POSIX); elsewhere the folder
        # is left to the system's temporary-file cleanup.
        shutil.rmtree(folder, ignore_errors=True)
    result = MapResult(
        vectors=arrays["vectors"],
        knn_indices=arrays["knn_indices"],
        knn_sims=arrays["knn_sims"],
        xy=done["xy"],
        cluster_coarse=done["cluster_coarse"],
        cluster_fine=done["cluster_fine"],
        names_coarse=done["names_coarse"],
        names_fine=done["names_fine"],
        model_identity=done["model_identity"],
        timings=done["timings"],
        details=done.get("details"),
    )
    if remember:
        project.store.set("map_params", params.to_json())
    return result


ChildUnavailable = child.ChildUnavailable


def _context() -> mp.context.SpawnContext | mp.context.ForkServerContext:
    """The fork server (this module preloaded in it), else spawn: see :func:`child.context`."""
    return child.context([__name__])


def start_helper() -> None:
    """Start the fork server now (call when the window opens, while it is small and idle),
    so the first map does not wait for it."""
    if "forkserver" in mp.get_all_start_methods():
        _context()
        from multiprocessing import forkserver

        try:
            forkserver.ensure_running()
        except (OSError, RuntimeError, ValueError):
            log.warning("cannot start the map's fork server", exc_info=True)


def _run_child(folder: Path, params: MapParams, progress: Progress) -> dict:
    args = (str(folder), params.model, params.vectors_column, child.environment())
    proc, conn = child.start(_context(), _child_main, args, "inspector-map")
    return child.pump(proc, conn, progress, what="map", died=_died)


def _died(proc: Any) -> RuntimeError:
    return RuntimeError(f"the map process ended unexpectedly (exit code {proc.exitcode})")


# -- the child ---------------------------------------------------------------------------


def _child_main(
    conn: Any, folder: str, model: str, vectors_column: str | None, env: dict[str, str]
) -> None:
    os.environ.update(env)
    try:
        frame = pl.read_ipc(Path(folder) / "input.arrow")
        texts = frame[TEXT].to_list()
        naming = frame[NAME_TEXT].to_list() if NAME_TEXT in frame.columns else None
        vectors = None
        if vectors_column:
            shim = SimpleNamespace(
                dataset=SimpleNamespace(frame=frame, user_columns=[vectors_column])
            )
            vectors = vectors_from_column(shim, vectors_column)  # type: ignore[arg-type]
        del frame
        result = build_map(
            texts,
            model=model,
            progress=child.PipeProgress(conn, PARTIALS),
            vectors=vectors,
            name_texts=naming,
        )
        for name in BIG:
            np.save(Path(folder) / f"{name}.npy", np.ascontiguousarray(getattr(result, name)))
        conn.send(
            (
                "done",
                {
                    "xy": result.xy,
                    "cluster_coarse": result.cluster_coarse,
                    "cluster_fine": result.cluster_fine,
                    "names_coarse": result.names_coarse,
                    "names_fine": result.names_fine,
                    "model_identity": result.model_identity,
                    "timings": result.timings,
                    "details": result.details,
                },
            )
        )
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which decides
        child.report_error(conn, exc)
        sys.exit(1)
    finally:
        conn.close()
