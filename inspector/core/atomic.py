"""Atomic file writes for caches and outputs: write a hidden temp file beside the target,
then rename it over the target, so a crash never leaves a half-written file.

:func:`write_atomic` hands the writer an open binary file (caches); :func:`atomic_write`
hands it the temp file's path (writers such as polars' that take a path) and syncs the file
and its folder, for outputs a pipeline will read (filter files, manifests, applied data)."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np


def write_atomic(path: Path, write: Callable[[BinaryIO], object], *, fsync: bool = False) -> None:
    """Call ``write`` on a temp file beside ``path`` and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with tmp.open("wb") as f:
            write(f)
            if fsync:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def save_npz(path: Path, **arrays: np.ndarray) -> None:
    write_atomic(path, lambda f: np.savez(f, **arrays))  # type: ignore[arg-type]


def save_npy(path: Path, array: np.ndarray, *, fsync: bool = False) -> None:
    write_atomic(path, lambda f: np.save(f, array, allow_pickle=False), fsync=fsync)


def write_bytes(path: Path, data: bytes) -> None:
    write_atomic(path, lambda f: f.write(data))


def atomic_write(path: str | Path, write: Callable[[Path], Any]) -> None:
    """Call ``write(tmp)`` on a temp file beside ``path``, sync it, then rename it over."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
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
