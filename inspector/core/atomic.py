"""Atomic file writes for caches and outputs: write a hidden temp file beside the target,
then rename it over the target, so a crash never leaves a half-written file.

:func:`write_atomic` hands the writer an open binary file (caches); :func:`atomic_write`
hands it the temp file's path (writers such as polars' that take a path) and syncs the file
and its folder, for outputs a pipeline will read (filter files, manifests, applied data).

Temp names carry :data:`TEMP_MARK` and the writing process's id
(``.NAME.inspector-tmp-PID-RAND.tmp``), so :func:`clean_stale_temps` can remove what a killed
run left behind without touching anyone else's files. Temp files are created with the user's
umask (the file renamed into place keeps it). A full disk becomes :class:`DiskFull`."""

from __future__ import annotations

import errno
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

TEMP_MARK = "inspector-tmp-"
RUN_STARTED = time.time()  # temp files older than this run, of a process gone, are stale
_TEMP_RE = re.compile(r"^\..+\." + re.escape(TEMP_MARK) + r"(\d+)-[0-9a-f]+\.tmp$")
_STALE_WITHOUT_PID_S = 24 * 3600  # where a process cannot be asked whether it runs (Windows)


class DiskFull(ValueError):
    """The disk filled up while writing; nothing was replaced."""


def is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return True
    text = str(exc)  # polars and pyarrow wrap the OS error in their own exceptions
    return "No space left on device" in text or "os error 28" in text


def disk_full(path: str | Path, exc: BaseException) -> DiskFull:
    """The error to raise for ``exc`` when it was a full disk while writing ``path``."""
    folder = Path(path).parent
    try:
        free = f"{shutil.disk_usage(folder).free / 1e6:,.1f} MB free there now"
    except OSError:
        free = "free space unknown"
    return DiskFull(
        f"disk full while writing {path} ({free}); nothing was replaced and the earlier "
        "files are as they were. Free some space or choose another disk, then run it again"
    )


def temp_path(path: Path) -> Path:
    """A fresh hidden temp name beside ``path``, recognisable by :func:`clean_stale_temps`."""
    return path.with_name(f".{path.name}.{TEMP_MARK}{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")


def _process_gone(pid: int) -> bool:
    if os.name != "posix":  # os.kill(pid, 0) would end the process on Windows
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, owned by someone else
        return False
    return False


def clean_stale_temps(folder: Path) -> list[Path]:
    """Remove temp files and folders that a killed run of ours left in ``folder``: named with
    :data:`TEMP_MARK`, older than this run, and written by a process that no longer runs
    (or, where that cannot be told, older than a day). Returns what was removed."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP_RE.match(entry.name)
        if match is None:
            continue
        pid = int(match.group(1))
        try:
            mtime = entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        if pid == os.getpid() or mtime >= RUN_STARTED:
            continue
        if not _process_gone(pid) and mtime > time.time() - _STALE_WITHOUT_PID_S:
            continue
        path = Path(entry.path)
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed


def write_atomic(path: Path, write: Callable[[BinaryIO], object], *, fsync: bool = False) -> None:
    """Call ``write`` on an open temp file beside ``path`` and rename it into place (caches:
    synced only with ``fsync``). The same mechanism as :func:`atomic_write`."""

    def to_file(tmp: Path) -> None:
        with tmp.open("wb") as f:
            write(f)

    atomic_write(path, to_file, sync=fsync)


def save_npz(path: Path, **arrays: np.ndarray) -> None:
    write_atomic(path, lambda f: np.savez(f, **arrays))  # type: ignore[arg-type]


def save_npy(path: Path, array: np.ndarray, *, fsync: bool = False) -> None:
    write_atomic(path, lambda f: np.save(f, array, allow_pickle=False), fsync=fsync)


def write_bytes(path: Path, data: bytes) -> None:
    write_atomic(path, lambda f: f.write(data))


def atomic_write(path: str | Path, write: Callable[[Path], Any], *, sync: bool = True) -> None:
    """Call ``write(tmp)`` on a temp file beside ``path``, sync it, then rename it over: the
    one way Inspector writes a file (outputs, caches, the demo). Stale temp files of killed
    runs in that folder are removed first; a full disk raises :class:`DiskFull` with ``path``
    unchanged. ``sync=False`` (caches, rebuilt if lost) skips the fsyncs and the clean-up."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if sync:
        clean_stale_temps(path.parent)
    tmp = temp_path(path)
    # Created with mode 0o666 less the umask (tempfile.mkstemp would make it 0600).
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        write(tmp)
        if sync:
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if is_disk_full(exc):
            raise disk_full(path, exc) from exc
        raise
    if sync:
        fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # not possible on every platform (Windows)
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
