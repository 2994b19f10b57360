"""Background jobs as plain functions: ``run(params, progress) -> result``.

A job reports through a :class:`Progress`; it never touches UI objects. The UI turns
progress into a progress bar with Cancel, the CLI into a terminal bar.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any


class Cancelled(Exception):
    """Raised inside a job when its progress object was cancelled."""


class Progress:
    """Qt-free progress and cancel state shared between a job and whoever runs it.

    Subclass or pass callbacks to observe it; the default does nothing but keep state.
    """

    def __init__(
        self,
        on_update: Callable[[Progress], None] | None = None,
        on_partial: Callable[[str, Any], None] | None = None,
    ) -> None:
        self._cancel = threading.Event()
        self._on_update = on_update
        self._on_partial = on_partial
        self.stage = ""
        self.done = 0
        self.total: int | None = None
        self.message = ""
        self.started = time.monotonic()
        self._stage_started = self.started

    # -- called by the job -------------------------------------------------
    def status(self, stage: str, total: int | None = None, message: str = "") -> None:
        """Start a new stage (e.g. "embedding") with an optional total count."""
        self.stage = stage
        self.total = total
        self.done = 0
        self.message = message
        self._stage_started = time.monotonic()
        self._notify()

    def advance(self, n: int = 1) -> None:
        """Count ``n`` more units of the current stage done; raises Cancelled if cancelled."""
        self.done += n
        self._notify()
        self.check()

    def partial(self, name: str, value: Any) -> None:
        """Hand over a partial result (e.g. the layout) as soon as it exists."""
        if self._on_partial is not None:
            self._on_partial(name, value)

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled(self.stage or "job")

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    # -- called by the runner ----------------------------------------------
    def cancel(self) -> None:
        self._cancel.set()

    @property
    def rate(self) -> float:
        """Units per second in the current stage."""
        elapsed = time.monotonic() - self._stage_started
        return self.done / elapsed if elapsed > 0 else 0.0

    @property
    def eta_seconds(self) -> float | None:
        if not self.total or self.rate <= 0:
            return None
        return max(0.0, (self.total - self.done) / self.rate)

    def _notify(self) -> None:
        if self._on_update is not None:
            self._on_update(self)


NULL_PROGRESS = Progress()


class StageClock(Progress):
    """A Progress that hands everything on to ``inner`` and adds up the wall seconds spent
    in each stage (from one ``status`` call to the next): where a job's time went."""

    def __init__(self, inner: Progress) -> None:
        super().__init__()
        self.inner = inner
        self.seconds: dict[str, float] = {}
        self._current: str | None = None
        self._since = time.perf_counter()

    def status(self, stage: str, total: int | None = None, message: str = "") -> None:
        if stage != self._current:
            self._lap()
            self._current = stage
        super().status(stage, total, message)
        self.inner.status(stage, total, message)

    def advance(self, n: int = 1) -> None:
        self.done += n
        self.inner.advance(n)

    def partial(self, name: str, value: Any) -> None:
        self.inner.partial(name, value)

    def check(self) -> None:
        self.inner.check()

    @property
    def cancelled(self) -> bool:
        return self.inner.cancelled

    def cancel(self) -> None:
        self.inner.cancel()

    def stop(self) -> dict[str, float]:
        """Close the current stage; the seconds per stage, in the order they started."""
        self._lap()
        self._current = None
        return dict(self.seconds)

    def _lap(self) -> None:
        now = time.perf_counter()
        if self._current is not None:
            self.seconds[self._current] = self.seconds.get(self._current, 0.0) + now - self._since
        self._since = now
