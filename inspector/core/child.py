"""Running a long job in a child process that reports through a pipe (the map, a retraining).

Why a process: numba, scikit-learn and parts of numpy hold the GIL for long stretches, and
every key press and paint of the window needs it; a child has its own. Both sides of the
protocol live here so each job only says what it computes:

- the parent: :func:`start` (a child from the fork server, else spawned; never a plain fork of
  the window's threaded self) and :func:`pump`, which relays the child's progress, partial
  results and errors to the caller's :class:`~inspector.core.jobs.Progress`, honours Cancel
  by ending the child, and returns what the child sent with ``done``;
- the child: :class:`PipeProgress` and :func:`report_error`.

Messages: ``("progress", stage, done, total, text)``, ``("partial", name, value)``,
``("error", type name, fields, traceback)``, ``("done", payload)``. An error comes back as the
same exception type when the caller names it in ``errors`` (a ``DataError`` keeps its file,
line, field and hint), else as ``RuntimeError``. Plain Python: no Qt here.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import time
import traceback
from collections.abc import Callable, Iterable
from typing import Any

from inspector.core.errors import DataError
from inspector.core.jobs import Progress

log = logging.getLogger("inspector.child")

POLL_S = 0.05
SEND_EVERY_S = 0.05  # the child reports progress at most this often (stage changes at once)
ENV_PREFIXES = ("INSPECTOR_", "HF_", "TRANSFORMERS_", "SENTENCE_TRANSFORMERS_", "XDG_")


class ChildUnavailable(RuntimeError):
    """No child process could be started here; the caller runs the job in its own process."""


def context(preload: Iterable[str] = ()) -> mp.context.SpawnContext | mp.context.ForkServerContext:
    """forkserver where there is one: children forked from a small single-threaded server (quick
    to start; ``preload`` names modules it loads once), elsewhere spawn. Plain fork would copy
    the window's threads' locks (Qt, polars' pool, numba's) in whatever state they are in."""
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        if preload:
            ctx.set_forkserver_preload(list(preload))
        return ctx
    return mp.get_context("spawn")


def environment() -> dict[str, str]:
    """The variables that say where caches and models are: a fork server started earlier and
    its children must still follow the parent's current ones."""
    return {k: v for k, v in os.environ.items() if k.startswith(ENV_PREFIXES)}


def start(
    ctx: mp.context.BaseContext, target: Callable[..., None], args: tuple, name: str
) -> tuple[Any, Any]:
    """Start ``target(conn, *args)`` in a child; returns (process, the parent's end of the
    pipe). Raises :class:`ChildUnavailable` when no process can be started."""
    ours, theirs = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=target, args=(theirs, *args), name=name)  # type: ignore[attr-defined]
    try:
        proc.start()
    except (OSError, RuntimeError, ValueError) as exc:  # no fork server, an unguarded __main__
        ours.close()
        theirs.close()
        raise ChildUnavailable(str(exc)) from exc
    theirs.close()
    return proc, ours


def pump(
    proc: Any,
    conn: Any,
    progress: Progress,
    *,
    what: str,
    died: Callable[[Any], BaseException],
    errors: dict[str, type[DataError]] | None = None,
    on_exit: Callable[[bool], None] | None = None,
) -> Any:
    """Relay the child's messages until it sends ``done`` (returns its payload) or an error
    (raised as described in the module docstring). ``died(proc)`` makes the error for a child
    that ended without a word; ``on_exit(ended_by_itself)`` runs last, after a cancelled or
    dead child was ended, e.g. to tidy what a killed child left."""
    known: dict[str, type[DataError]] = {"DataError": DataError, **(errors or {})}
    ended = False
    try:
        while True:
            progress.check()
            if not conn.poll(POLL_S):
                if not proc.is_alive() and not conn.poll():
                    raise died(proc)
                continue
            try:
                message = conn.recv()
            except EOFError:
                proc.join(1)
                raise died(proc) from None
            kind = message[0]
            if kind == "progress":
                _, stage, done, total, text = message
                if (stage, total, text) != (progress.stage, progress.total, progress.message):
                    progress.status(stage, total, text)
                if done > progress.done:
                    progress.advance(done - progress.done)
            elif kind == "partial":
                progress.partial(message[1], message[2])
            elif kind == "error":
                _, name, fields, details = message
                log.info("the %s process failed:\n%s", what, details)
                ended = True
                proc.join(5)
                if name in known:
                    raise known[name](fields.pop("message"), **fields)
                raise RuntimeError(f"{name}: {fields['message']}")
            elif kind == "done":
                ended = True
                proc.join(5)
                return message[1]
    finally:
        if proc.is_alive():
            proc.terminate()
            proc.join(2)
            if proc.is_alive():
                proc.kill()
                proc.join(1)
        conn.close()
        if on_exit is not None:
            on_exit(ended)


# -- the child's side --------------------------------------------------------------------


class PipeProgress(Progress):
    """Progress that goes down the pipe: stage changes at once, counts every 50 ms; partial
    results named in ``partials`` (small ones: big arrays go as files)."""

    def __init__(self, conn: Any, partials: Iterable[str] = ()) -> None:
        super().__init__(on_update=self._update, on_partial=self._send_partial)
        self._conn = conn
        self._partials = frozenset(partials)
        self._sent: tuple = ()
        self._last = 0.0

    def _update(self, p: Progress) -> None:
        head = (p.stage, p.total, p.message)
        now = time.monotonic()
        if head != self._sent or now - self._last >= SEND_EVERY_S:
            self._sent, self._last = head, now
            self._conn.send(("progress", p.stage, p.done, p.total, p.message))

    def _send_partial(self, name: str, value: Any) -> None:
        if name in self._partials:
            self._conn.send(("partial", name, value))


def report_error(conn: Any, exc: BaseException, known: Iterable[str] = ()) -> None:
    """Send ``exc`` to the parent: its type name when the parent knows it (``known``, and
    ``DataError`` for any subclass of it), with a DataError's file, line, field and hint."""
    name = type(exc).__name__
    if isinstance(exc, DataError) and name not in set(known):
        name = "DataError"  # a subclass the parent does not know: its message survives
    if isinstance(exc, DataError):
        fields = {"message": exc.message, "file": exc.file, "line": exc.line,
                  "field": exc.field, "hint": exc.hint}  # fmt: skip
    else:
        fields = {"message": str(exc)}
    try:
        conn.send(("error", name, fields, traceback.format_exc()))
    except (OSError, ValueError):
        pass
