"""Errors a user can act on: each names the file, the line and the field where it can."""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BadRecord:
    """One record that could not be read (kept so the user can see what was skipped)."""

    file: str
    line: int  # 1-based; 0 when the container has no lines (Parquet, Arrow)
    message: str
    text: str = ""  # the first characters of the offending line

    def describe(self) -> str:
        where = f"{self.file}, line {self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class DataError(Exception):
    """Input that Inspector cannot read, with the place and a hint on how to fix it."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        hint: str | None = None,
        bad_records: list[BadRecord] | None = None,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.line = line
        self.field = field
        self.hint = hint
        self.bad_records = bad_records or []
        self.message = message
        super().__init__(self.describe())

    def describe(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.line:
            parts.append(f"line {self.line}")
        if self.field:
            parts.append(f"field '{self.field}'")
        where = ", ".join(parts)
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


def reraise_interrupt(exc: BaseException) -> None:
    """Raise ``exc`` again if it stops the program (Ctrl+C, exit); let the caller handle
    anything else. For ``except BaseException`` around polars and pyarrow, whose Rust panics
    arrive as ``PanicException``, a BaseException."""
    if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
        raise exc


class InputTooLarge(DataError):
    """Input past one of the caps that keep a hostile file from exhausting memory (the
    decompressed size, the length of one line). ``flag`` is the option that raises the cap."""

    def __init__(self, message: str, *, flag: str, env: str, **where) -> None:
        self.flag = flag
        self.env = env
        hint = f"if the data is real, raise the cap: {flag} N, or set {env}=N"
        super().__init__(message, hint=hint, **where)


_OS_ERRORS = {
    errno.EIO: "input/output error while reading: the disk, USB stick or network share may be "
    "failing (copy the file to another disk and open the copy)",
    errno.ENOSPC: "disk full",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOENT: "file not found",
    errno.EISDIR: "is a directory, not a data file",
    errno.ENAMETOOLONG: "the path is too long",
    errno.ELOOP: "too many levels of symbolic links",
    errno.ESTALE: "the network share dropped the file (stale file handle): open it again",
}


def os_error(exc: OSError, file: str | Path | None) -> DataError:
    """A DataError naming ``file`` for an operating-system error met while reading it."""
    words = _OS_ERRORS.get(exc.errno or 0)
    if words is None:
        name = errno.errorcode.get(exc.errno or 0, "")
        words = f"cannot read: {exc.strerror or exc}" + (f" ({name})" if name else "")
    return DataError(words, file=file if file is not None else exc.filename)
