"""Run core jobs (``fn(params, progress) -> result``) off the main thread.

Workers never touch UI objects: a job reports through a Qt-free :class:`Progress`, and the
runner carries progress, partial results, results and errors back to the main thread with
queued signals. A new job of the same kind cancels the old one (its result is dropped).
The status bar widget :class:`JobStatus` shows the running job with rows/s, time left and
a Cancel button.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from inspector.core.jobs import Cancelled, Progress

# How often a worker may post a progress update (the main thread need not see every row).
UPDATE_INTERVAL_S = 0.1
# An update held back by that throttle is delivered by the main thread this much later, so
# the last state a job reported is always shown (a job that reports 10/1,000 and then blocks
# shows 10, not whatever the previous post said).
FLUSH_MS = 100


@dataclass
class Job:
    """One submitted job. ``cancel()`` asks it to stop at its next progress step."""

    id: int
    kind: str
    label: str
    progress: Progress
    on_done: Callable[[Any], None] | None = None
    on_error: Callable[[BaseException], None] | None = None
    on_partial: Callable[[str, Any], None] | None = None
    started: float = field(default_factory=time.monotonic)
    finished: bool = False
    unsent: bool = False  # a progress update held back by the throttle (set by the worker)

    def cancel(self) -> None:
        self.progress.cancel()

    @property
    def cancelled(self) -> bool:
        return self.progress.cancelled


class _Bridge(QObject):
    """Lives on the main thread; workers emit its signals, Qt queues them across."""

    done = Signal(int, object)
    failed = Signal(int, object)
    partial = Signal(int, str, object)
    progressed = Signal(int)


class JobRunner(QObject):
    """A small pool of worker threads for core jobs, one live job per kind."""

    started = Signal(object)  # Job
    progressed = Signal(object)  # Job (throttled)
    finished = Signal(object)  # Job, whether it succeeded, failed or was cancelled
    idle = Signal()

    def __init__(self, parent: QObject | None = None, max_threads: int = 2) -> None:
        super().__init__(parent)
        # A plain executor rather than QThreadPool.start(callable), which mis-counts
        # references in PySide6 6.x. Two threads: a long job (embedding) must not hold up a
        # quick one (a filter).
        self._pool = concurrent.futures.ThreadPoolExecutor(max_threads, "inspector-job")
        self._futures: set[concurrent.futures.Future] = set()
        self._ids = itertools.count(1)
        self._jobs: dict[int, Job] = {}
        self._current: dict[str, Job] = {}
        self._bridge = _Bridge()
        queued = Qt.ConnectionType.QueuedConnection
        self._bridge.done.connect(self._on_done, queued)
        self._bridge.failed.connect(self._on_failed, queued)
        self._bridge.partial.connect(self._on_partial, queued)
        self._bridge.progressed.connect(self._on_progressed, queued)
        self._flush_timer = QTimer(self)
        self._flush_timer.setInterval(FLUSH_MS)
        self._flush_timer.timeout.connect(self._flush)
        self._closed = False

    # -- public -----------------------------------------------------------------------------
    def submit(
        self,
        kind: str,
        fn: Callable[[Any, Progress], Any],
        params: Any = None,
        *,
        label: str = "",
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_partial: Callable[[str, Any], None] | None = None,
    ) -> Job:
        """Start ``fn(params, progress)`` on a worker; callbacks run on the main thread.

        A running job of the same ``kind`` is cancelled first; its callbacks never run.
        """
        if self._closed:
            raise RuntimeError("the job runner is shut down")
        old = self._current.get(kind)
        if old is not None:
            old.cancel()
        job_id = next(self._ids)
        bridge = self._bridge
        last = [0.0]
        holder: list[Job] = []

        def on_update(_p: Progress) -> None:  # worker thread
            now = time.monotonic()
            if now - last[0] >= UPDATE_INTERVAL_S:
                last[0] = now
                holder[0].unsent = False
                bridge.progressed.emit(job_id)
            else:
                holder[0].unsent = True  # the main thread's flush delivers it

        def on_partial_(name: str, value: Any) -> None:  # worker thread
            bridge.partial.emit(job_id, name, value)

        progress = Progress(on_update=on_update, on_partial=on_partial_)
        job = Job(job_id, kind, label or kind, progress, on_done, on_error, on_partial)
        holder.append(job)
        self._jobs[job_id] = job
        self._current[kind] = job
        if not self._flush_timer.isActive():
            self._flush_timer.start()

        def work() -> None:  # worker thread: only the progress object and the bridge
            try:
                if progress.cancelled:
                    raise Cancelled(kind)
                result = fn(params, progress)
            except BaseException as exc:  # noqa: BLE001 - handed to the main thread
                bridge.failed.emit(job_id, exc)
            else:
                bridge.done.emit(job_id, result)

        self.started.emit(job)
        future = self._pool.submit(work)
        self._futures.add(future)
        future.add_done_callback(self._futures.discard)
        return job

    def current(self, kind: str) -> Job | None:
        return self._current.get(kind)

    def running(self) -> list[Job]:
        return [j for j in self._jobs.values() if not j.finished]

    def cancel(self, kind: str | None = None) -> None:
        """Cancel the job of ``kind`` (or every job)."""
        for job in self.running():
            if kind is None or job.kind == kind:
                job.cancel()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the workers are idle (tests, shutdown). Queued results still need the
        event loop to be delivered."""
        _, pending = concurrent.futures.wait(list(self._futures), timeout_s)
        return not pending

    def shutdown(self, timeout_s: float = 10.0) -> None:
        """Cancel everything and wait for the workers; later results are dropped."""
        self._closed = True
        self._flush_timer.stop()
        self.cancel()
        self.wait(timeout_s)
        self._pool.shutdown(wait=False, cancel_futures=True)
        for job in self._jobs.values():
            job.finished = True
        self._jobs.clear()
        self._current.clear()

    # -- main thread ------------------------------------------------------------------------
    def _flush(self) -> None:
        """Deliver the progress updates the throttle held back."""
        for job in list(self._jobs.values()):
            if job.unsent and not job.cancelled:
                job.unsent = False
                self.progressed.emit(job)
        if not self._jobs:
            self._flush_timer.stop()

    def _finish(self, job_id: int) -> Job | None:
        job = self._jobs.pop(job_id, None)
        if job is None:
            return None
        if job.unsent and not job.cancelled:  # the final state, before the end
            job.unsent = False
            self.progressed.emit(job)
        job.finished = True
        if self._current.get(job.kind) is job:
            del self._current[job.kind]
        self.finished.emit(job)
        if not self._jobs:
            self._flush_timer.stop()
            self.idle.emit()
        return job

    @Slot(int, object)
    def _on_done(self, job_id: int, result: Any) -> None:
        job = self._finish(job_id)
        if job is None or job.cancelled or self._closed:
            return
        if job.on_done is not None:
            job.on_done(result)

    @Slot(int, object)
    def _on_failed(self, job_id: int, exc: BaseException) -> None:
        job = self._finish(job_id)
        if job is None or self._closed or job.cancelled or isinstance(exc, Cancelled):
            return
        if job.on_error is not None:
            job.on_error(exc)
        else:
            raise exc

    @Slot(int, str, object)
    def _on_partial(self, job_id: int, name: str, value: Any) -> None:
        job = self._jobs.get(job_id)
        if job is None or job.cancelled or self._closed or job.on_partial is None:
            return
        job.on_partial(name, value)

    @Slot(int)
    def _on_progressed(self, job_id: int) -> None:
        job = self._jobs.get(job_id)
        if job is not None and not job.cancelled:
            self.progressed.emit(job)


def describe_progress(job: Job) -> str:
    """``reading 3/10 · 1,204 rows/s · 5 s left`` for the status bar."""
    p = job.progress
    parts = [p.stage or job.label]
    if p.total:
        parts[0] += f" {p.done:,}/{p.total:,}"
        if p.done and p.rate:
            parts.append(f"{p.rate:,.0f}/s")
        eta = p.eta_seconds
        if eta is not None and p.done:
            parts.append(_duration(eta) + " left")
    if p.message:
        parts.append(p.message)
    return " · ".join(parts)


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds // 60:.0f} min {seconds % 60:.0f} s"
    return f"{seconds // 3600:.0f} h {seconds % 3600 // 60:.0f} min"


class JobStatus(QWidget):
    """Status-bar widget: the latest running job's stage, a progress bar and Cancel."""

    def __init__(self, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self._job: Job | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setFixedWidth(160)
        self.bar.setMaximumHeight(14)
        self.bar.setTextVisible(False)
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setAutoRaise(True)
        self.cancel_button.clicked.connect(self._cancel)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        runner.started.connect(self._show)
        runner.progressed.connect(self._update)
        runner.finished.connect(self._finished)
        self.hide()

    def _show(self, job: Job) -> None:
        self._job = job
        self._update(job)
        self.show()

    def _update(self, job: Job) -> None:
        if job is not self._job:
            return
        p = job.progress
        if p.total and p.total > 1:
            self.bar.setRange(0, p.total)
            self.bar.setValue(min(p.done, p.total))
        else:
            self.bar.setRange(0, 0)  # busy: a single read has no steps to count
        self.label.setText(describe_progress(job))

    def _finished(self, job: Job) -> None:
        if job is not self._job:
            return
        rest = self.runner.running()
        if rest:
            self._show(rest[-1])
        else:
            self._job = None
            self.hide()

    def _cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self.label.setText(f"{self._job.label}: cancelling…")
