"""Errors a user can act on: each names the file, the line and the field where it can."""

from __future__ import annotations

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
