"""Output paths are input too: an output never overwrites an input file, never lands inside
the dataset folder (where it would open as more rows next time), never matches the glob the
data was opened with, and never replaces the project database.

Paths are compared resolved (symlinks followed) and, where both exist, as the same file
(hard links). :func:`check_outputs` is called by export and apply in core, so the command
line and the window refuse the same paths.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inspector.core.data.dataset import Dataset
    from inspector.core.store import ProjectStore

GLOB_CHARS = "*?["


class OutputError(ValueError):
    """An output path that would overwrite or join the input; the message says why."""


def _resolved(path: str | Path) -> Path:
    return Path(os.path.abspath(Path(path).expanduser())).resolve()


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _is_glob(target: str) -> bool:
    return any(ch in target for ch in GLOB_CHARS) and not Path(target).exists()


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """``pattern`` (absolute, ``/``-separated) as glob.glob(recursive=True) matches it."""
    parts = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**/", i) and (i == 0 or pattern[i - 1] == "/"):
            parts.append("(?:[^/]*/)*")  # zero or more folders
            i += 3
            continue
        if pattern.startswith("**", i):
            parts.append(".*")
            i += 2
            continue
        if ch == "*":
            parts.append("[^/]*")
        elif ch == "?":
            parts.append("[^/]")
        elif ch == "[":
            end = pattern.find("]", i + 2)
            if end < 0:
                parts.append(re.escape(ch))
            else:
                body = pattern[i + 1 : end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                parts.append(f"[{body.replace(chr(92), chr(92) * 2)}]")
                i = end + 1
                continue
        else:
            parts.append(re.escape(ch))
        i += 1
    return re.compile("".join(parts) + r"\Z")


def _glob_matches(pattern: str, path: Path) -> bool:
    """Whether the glob ``pattern`` (as :func:`glob.glob` with ``recursive=True`` reads it)
    matches the file ``path``."""
    absolute = os.path.abspath(os.path.expanduser(pattern)).replace(os.sep, "/")
    # The fixed folder part of the pattern, resolved (it may be reached through a symlink).
    fixed = []
    rest = absolute.split("/")
    while rest and not any(ch in rest[0] for ch in GLOB_CHARS):
        fixed.append(rest.pop(0))
    base = Path("/".join(fixed) or "/").resolve().as_posix().rstrip("/")
    text = path.as_posix()
    if not text.startswith(base + "/"):
        return False
    if any(part.startswith(".") for part in text[len(base) + 1 :].split("/")):
        return False  # glob's wildcards skip hidden names (our temp files among them)
    return bool(_glob_regex(base + "/" + "/".join(rest)).match(text))


def check_outputs(
    dataset: Dataset,
    outputs: Iterable[str | Path],
    *,
    store: ProjectStore | None = None,
    what: str = "--out",
) -> None:
    """Raise :class:`OutputError` if an output overwrites or joins the dataset's input (or
    the project database). ``outputs`` are the paths about to be written: every file, and
    the new folder that holds them, if any."""
    inputs = [_resolved(f) for f in dataset.sources.files]
    target = str(dataset.target)
    target_dir = None
    if not _is_glob(target) and Path(target).expanduser().is_dir():
        target_dir = _resolved(target)
    databases = []
    if store is not None:
        db = _resolved(store.path)
        databases = [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]
    for out in outputs:
        given = Path(out)
        path = _resolved(given)
        for src in inputs:
            if path == src or _same_file(given, src):
                raise OutputError(
                    f"{what} {given}: is an input file ({src}); writing it would replace the "
                    "data. Choose a path outside the data"
                )
            if src.is_relative_to(path):
                raise OutputError(
                    f"{what} {given}: holds the input file {src}; choose a new path "
                    "outside the data"
                )
        if target_dir is not None and path.is_relative_to(target_dir):
            raise OutputError(
                f"{what} {given}: is inside the dataset folder {target_dir}; the next open "
                "would read it as more data. Choose a path outside that folder"
            )
        if _is_glob(target) and _glob_matches(target, path):
            raise OutputError(
                f"{what} {given}: matches the input pattern {target}; the next open would "
                "read it as more data. Choose a path or name the pattern does not match"
            )
        if path in databases:
            raise OutputError(f"{what} {given}: is the project database; choose another path")


def check_not_input(dataset: Dataset, path: str | Path, *, what: str = "the filter") -> None:
    """Raise :class:`OutputError` if ``path`` (a file read as a filter or id list) is one of
    the dataset's own files or a folder holding them."""
    given = Path(path)
    resolved = _resolved(given)
    for src in (_resolved(f) for f in dataset.sources.files):
        if resolved == src or _same_file(given, src):
            raise OutputError(
                f"{what} {given}: is an input file of the dataset ({src}); give the filter "
                "file exported from it (e.g. filter/filter.parquet)"
            )
        if given.is_dir() and src.is_relative_to(resolved):
            raise OutputError(
                f"{what} {given}: is a folder holding the dataset's input file {src}; give "
                "the filter file or the folder of filter shards"
            )
