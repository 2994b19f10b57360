"""Run a retraining (:func:`inspector.core.learn.retrain.run`) in a child process, so the
window's key presses never wait for it.

Why a process and not the job runner's thread: scikit-learn's fitting, the features of a
million rows and the embedding-cache look-up (a Python loop over every text) hold the GIL
for long stretches, and every key press and paint of the window needs it (measured by
``benchmarks/bench_learn.py --only keys``). A child process has its own GIL. This is what
:mod:`inspector.core.map.process` does for the map.

The parent writes what the job reads of the data to an Arrow file (the row ids and the
columns the prompt, answer and rejected sides are made of; the child maps it into memory)
and the label snapshot to ``.npy`` files; the child reopens nothing else: the embeddings come
from the project cache as in the thread. It trains, scores every row and saves into the
project's learn folder exactly as :func:`retrain.run` does (scores, then the model JSON that
names them, each atomically), then reports the saved model's path. Progress comes through a
pipe; Cancel ends the child, and whatever a killed child left beside the saved model (a temp
file, a scores file the model JSON does not name) is removed, so the old model and scores
stay whole. An error in the child comes back as the same exception type (``LearnError``,
``DataError``) with the same message. Plain Python: no Qt here.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from inspector.core import child
from inspector.core.atomic import TEMP_MARK
from inspector.core.data import formats
from inspector.core.data.dataset import ID, Dataset
from inspector.core.errors import DataError
from inspector.core.jobs import NULL_PROGRESS, Progress
from inspector.core.learn.model import LearnError
from inspector.core.learn.project_learn import MODEL
from inspector.core.learn.retrain import RetrainParams, RetrainResult

log = logging.getLogger("inspector.learn")

ERRORS: dict[str, type[DataError]] = {"LearnError": LearnError, "DataError": DataError}
SHM_BYTES_PER_ROW = 8 * 1024  # the hand-over's size, generously: two 1024-d float16 rows + texts
NICE = 19  # the child at the lowest CPU priority: a key press wins a busy core (bench_learn keys)
VECTORS = ("prompt_vectors", "answer_vectors", "signal_values", "lengths")  # the explainer's
# files the saved model may name; anything else of these shapes is a leftover
SAVED_GLOBS = {"scores": "scores-*.parquet", "signal_flags": "signals-*.parquet",
               "arrays": "quality_model-*.npz"}  # fmt: skip


ChildUnavailable = child.ChildUnavailable


class RetrainProcessDied(RuntimeError):
    """The child ended without a result (killed, out of memory, a crash in native code)."""


@dataclass
class IsolatedResult:
    """What the parent gets back: the run's bookkeeping (``retrain``: its ``result`` is None,
    the scores are on disk at ``retrain.path``) and, when asked for, the arrays the reader's
    explainer needs, mapped from files (float16 embeddings, signal values, lengths)."""

    retrain: RetrainResult
    signal_names: list[str] = field(default_factory=list)
    vectors: dict[str, np.ndarray] | None = None


def run_isolated(
    params: RetrainParams,
    progress: Progress = NULL_PROGRESS,
    *,
    want_vectors: bool = False,
    on_start: Callable[[int], None] | None = None,
) -> IsolatedResult:
    """:func:`inspector.core.learn.retrain.run` in a child process: same saved model and
    scores, same errors. ``want_vectors``: also bring back the embeddings, signal values and
    lengths the run used (for the explainer). ``on_start`` gets the child's process id.
    Raises :class:`ChildUnavailable` when no process can be started (run in-thread then)."""
    ds = params.dataset
    work = _work_folder(ds.height)
    try:
        progress.status("preparing the rows")
        _input_frame(ds).write_ipc(work / "input.arrow", compression="uncompressed")
        np.save(work / "rows.npy", np.asarray(params.rows, dtype=np.int64))
        np.save(work / "y.npy", np.asarray(params.y, dtype=np.int8))
        progress.check()
        meta = {
            "target": ds.target,
            "sources": ds.sources,
            "spec": ds.spec,
            "id_rule": ds.id_rule,
            "folder": str(params.folder),
            "generation": params.generation,
            "learn": params.learn,
            "want_vectors": want_vectors,
            "nice": NICE,
        }
        done = _run_child(work, meta, params.folder, progress, on_start)
        vectors = None
        if done["vectors"]:
            # mapped files stay readable after the folder is removed (POSIX)
            vectors = {name: np.load(work / f"{name}.npy", mmap_mode="r") for name in VECTORS}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = RetrainResult(
        params.generation, done["labels"], None, Path(done["path"]), done["report"]
    )
    return IsolatedResult(result, list(done["signal_names"]), vectors)


def _work_folder(rows: int) -> Path:
    """A fresh folder for the hand-over files: in shared memory (``/dev/shm``) when it has
    room, so that the child's writes never queue on the disk behind the key handler's fsync
    of a label (measured: keys of 150-270 ms while the child wrote 100 MB to /tmp); the
    mapped arrays live in memory either way (the explainer holds them)."""
    shm = Path("/dev/shm")
    need = rows * SHM_BYTES_PER_ROW
    try:
        if shm.is_dir() and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free > 2 * need:
            return Path(tempfile.mkdtemp(prefix="inspector-learn-", dir=shm))
    except OSError:
        pass
    return Path(tempfile.mkdtemp(prefix="inspector-learn-"))


def _input_frame(ds: Dataset) -> pl.DataFrame:
    """The ids and the columns the prompt, answer and rejected sides are read from."""
    exprs = [formats.prompt_expr(ds.spec), formats.response_expr(ds.spec)]
    rejected = formats.rejected_expr(ds.spec)
    if rejected is not None:
        exprs.append(rejected)
    columns = {ID}
    for expr in exprs:
        columns.update(expr.meta.root_names())
    return ds.frame.select([c for c in ds.frame.columns if c in columns])


def _context() -> Any:
    """forkserver where there is one (the map's server, see core/map/process.py), else spawn."""
    return child.context()


def _run_child(
    work: Path,
    meta: dict[str, Any],
    folder: Path,
    progress: Progress,
    on_start: Callable[[int], None] | None,
) -> dict[str, Any]:
    args = (str(work), meta, child.environment())
    proc, conn = child.start(_context(), _child_main, args, "inspector-learn")

    def tidy(ended: bool) -> None:
        if not ended and proc.pid is not None:
            tidy_after_kill(folder, proc.pid)

    if on_start is not None and proc.pid is not None:
        try:
            on_start(proc.pid)
        except BaseException:
            tidy(False)
            proc.kill()
            raise
    return child.pump(proc, conn, progress, what="learn", died=_died, errors=ERRORS, on_exit=tidy)


def _died(proc: Any) -> RetrainProcessDied:
    return RetrainProcessDied(
        f"the quality model's training process ended unexpectedly (exit code {proc.exitcode}); "
        "the saved model and scores are unchanged"
    )


def tidy_after_kill(folder: Path, pid: int) -> list[Path]:
    """Remove what a child ``pid`` that ended mid-save left in ``folder``: its temp files and
    the saved files (scores, signal flags, model arrays) the model JSON does not name. The
    JSON is written last, so the model it names is whole and stays. Returns what was removed."""
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    temp = re.compile(r"^\..+\." + re.escape(TEMP_MARK) + str(pid) + r"-[0-9a-f]+\.tmp$")
    named: set[str] = set()
    model = folder / MODEL
    if model.exists():
        try:
            meta = json.loads(model.read_text())
        except (OSError, ValueError):
            return removed  # a damaged model JSON is reported when it is read, not tidied
        named = {str(meta.get(key)) for key in SAVED_GLOBS}
    for path in sorted(folder.iterdir()):
        orphan = any(path.match(glob) for glob in SAVED_GLOBS.values()) and path.name not in named
        if temp.match(path.name) or orphan:
            try:
                path.unlink()
            except OSError:
                continue
            removed.append(path)
    return removed


# -- the child ---------------------------------------------------------------------------


def _child_main(conn: Any, work: str, meta: dict[str, Any], env: dict[str, str]) -> None:
    from inspector.core.learn import retrain

    os.environ.update(env)
    if hasattr(os, "nice"):  # POSIX; elsewhere the child keeps the window's priority
        try:
            os.nice(int(meta.get("nice", NICE)))
        except OSError:
            pass
    folder = Path(work)
    try:
        frame = pl.read_ipc(folder / "input.arrow")
        ds = Dataset(meta["target"], meta["sources"], [], frame, meta["spec"], meta["id_rule"])
        params = RetrainParams(
            ds,
            np.load(folder / "rows.npy"),
            np.load(folder / "y.npy"),
            Path(meta["folder"]),
            meta["generation"],
            meta["learn"],
        )
        progress = child.PipeProgress(conn)
        out = retrain.run(params, progress)
        learned = out.result
        assert learned is not None
        send_vectors = meta["want_vectors"] and learned.vectors is not None
        if send_vectors:
            assert learned.vectors is not None
            progress.status("handing over the embeddings")
            pv, rv = learned.vectors
            lengths = np.column_stack(
                [
                    ds.prompt().str.len_chars().fill_null(0).to_numpy(),
                    ds.response().str.len_chars().fill_null(0).to_numpy(),
                ]
            )
            arrays: tuple[np.ndarray, ...] = (
                np.asarray(pv, dtype=np.float16),
                np.asarray(rv, dtype=np.float16),
                np.asarray(learned.signals.values(), dtype=np.float32),
                lengths.astype(np.float32),
            )
            for name, array in zip(VECTORS, arrays, strict=True):
                np.save(folder / f"{name}.npy", array, allow_pickle=False)
        conn.send(
            (
                "done",
                {
                    "path": str(out.path),
                    "labels": out.labels,
                    "report": out.report,
                    "signal_names": list(learned.signals.signals),
                    "vectors": send_vectors,
                },
            )
        )
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which decides
        child.report_error(conn, exc, ERRORS)
        sys.exit(1)
    finally:
        conn.close()
