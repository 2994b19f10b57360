"""Undo gzip and zstd compression a piece at a time, within caps.

A compressed file is input like any other: it may be cut short (a copy that stopped, a
download that failed) or built to expand without end (a "bomb": 3 MB of gzip that becomes
7 GB). A stream that ends before its last frame is an error, never a shorter dataset; the
output is measured as it grows, so a cap stops a bomb before memory fills, and a line longer
than its cap is refused as soon as it passes the cap.

Caps (:class:`ReadLimits`): the decompressed size, by default 100 times the compressed size
and at least 1 GB; one line of a line-based file, 64 MB. ``--max-decompressed-gb`` and
``--max-line-mb`` (or ``INSPECTOR_MAX_DECOMPRESSED_GB`` and ``INSPECTOR_MAX_LINE_MB``, which
the window reads) raise them. GB and MB are 10⁹ and 10⁶ bytes.
"""

from __future__ import annotations

import io
import os
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from inspector.core.errors import DataError, InputTooLarge

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
UTF8_BOM = b"\xef\xbb\xbf"

GB = 10**9
MB = 10**6
DEFAULT_RATIO = 100  # text compresses 3-10x (zstd -19 on repetitive text ~30x); gzip tops at ~1000x
DEFAULT_FLOOR = 1 * GB  # the ratio never refuses a file that expands to less than this
DEFAULT_MAX_LINE = 64 * MB
ENV_DECOMPRESSED = "INSPECTOR_MAX_DECOMPRESSED_GB"
ENV_LINE = "INSPECTOR_MAX_LINE_MB"
FLAG_DECOMPRESSED = "--max-decompressed-gb"
FLAG_LINE = "--max-line-mb"

_GZ_IN = 1 << 20  # compressed bytes per step (gzip's output per step is capped by max_length)
_OUT_STEP = 16 << 20  # the most output one step makes
# zstd has no output cap per call, and one input byte can expand up to ~32,768 times (an RLE
# block: 4 bytes for 128 KB), so each step feeds at most (room left under the cap) / 32,768
# bytes: the output never passes the cap by more than a step's worth. Far from the cap the
# steps are 32 KB, which costs no measurable time against bigger ones.
_ZSTD_EXPANSION = 1 << 15
_ZSTD_IN = (64, 32 << 10)


@dataclass(frozen=True)
class ReadLimits:
    """The caps that bound what reading one file may take."""

    max_decompressed_bytes: int | None = None  # None: DEFAULT_RATIO × compressed, ≥ the floor
    max_line_bytes: int | None = DEFAULT_MAX_LINE  # None: no cap on one line

    @classmethod
    def from_settings(
        cls,
        max_decompressed_gb: float | None = None,
        max_line_mb: float | None = None,
        env: Mapping[str, str] | None = None,
    ) -> ReadLimits:
        """The caps from flags, else from the environment, else the defaults."""
        env = os.environ if env is None else env
        gb = max_decompressed_gb if max_decompressed_gb is not None else _env(env, ENV_DECOMPRESSED)
        mb = max_line_mb if max_line_mb is not None else _env(env, ENV_LINE)
        for value, name in ((gb, FLAG_DECOMPRESSED), (mb, FLAG_LINE)):
            if value is not None and not value > 0:
                raise DataError(f"{name} must be a positive number, not {value}")
        return cls(
            None if gb is None else int(gb * GB),
            DEFAULT_MAX_LINE if mb is None else int(mb * MB),
        )

    def decompressed_cap(self, compressed: int) -> int:
        if self.max_decompressed_bytes is not None:
            return self.max_decompressed_bytes
        return max(DEFAULT_FLOOR, DEFAULT_RATIO * compressed)


def _env(env: Mapping[str, str], name: str) -> float | None:
    text = env.get(name, "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise DataError(f"{name}={text!r} is not a number (a size, e.g. {name}=8)") from None


def size_text(n: int) -> str:
    if n >= GB:
        return f"{n / GB:.3g} GB"
    return f"{n / MB:.3g} MB" if n >= MB else f"{n:,} bytes"


def compression_of(data: bytes) -> str | None:
    if data[:2] == GZIP_MAGIC:
        return "gz"
    if data[:4] == ZSTD_MAGIC:
        return "zst"
    return None


def has_lines(head: bytes) -> bool:
    """Whether content starting with ``head`` is a file of lines (not Parquet or Arrow, not a
    JSON array that may sit on one line): the line cap applies only to those."""
    if head[:4] in (b"PAR1", b"\xff\xff\xff\xff") or head[:6] == b"ARROW1":
        return False
    return head.removeprefix(UTF8_BOM).lstrip()[:1] != b"["


class LineCheck:
    """Finds the first line longer than ``cap`` in text fed a piece at a time.

    Each piece is looked at in windows of at most ``cap`` bytes: a line wholly inside a window
    is shorter than the cap, so only the first and last newline of each window matter (two
    ``find`` calls that return at once on ordinary text)."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.run = 0  # bytes since the last newline
        self.seen = 0  # bytes fed so far
        self.line_start = 0  # offset of the line being measured

    def feed(self, data: bytes, start: int = 0, end: int | None = None) -> int | None:
        """The offset (from the first byte fed) where a line past the cap starts, or None."""
        end = len(data) if end is None else end
        pos = start
        while pos < end:
            stop = min(end, pos + self.cap)
            first = data.find(b"\n", pos, stop)
            if first < 0:
                self.run += stop - pos
                if self.run > self.cap:
                    return self.line_start
            else:
                if self.run + first - pos > self.cap:
                    return self.line_start
                last = data.rfind(b"\n", first, stop)
                self.run = stop - last - 1
                self.line_start = self.seen + last + 1 - start
            self.seen += stop - pos
            pos = stop
        return None


def line_too_long(path: str | Path, line: int, cap: int) -> InputTooLarge:
    return InputTooLarge(
        f"the line is longer than {size_text(cap)}, the cap on one line",
        flag=FLAG_LINE,
        env=ENV_LINE,
        file=path,
        line=line,
    )


def check_lines(data: bytes, path: str | Path, limits: ReadLimits) -> None:
    """Refuse a line of ``data`` (text, not compressed) longer than the cap."""
    if limits.max_line_bytes is None or not has_lines(data[:16]):
        return
    at = LineCheck(limits.max_line_bytes).feed(data)
    if at is not None:
        raise line_too_long(path, data.count(b"\n", 0, at) + 1, limits.max_line_bytes)


def decompress(
    data: bytes, path: str | Path, limits: ReadLimits | None = None
) -> tuple[bytes, str | None]:
    """Undo gzip or zstd compression recognised by magic bytes; other data comes back as it
    is. Raises DataError naming ``path`` when the stream is truncated or corrupt, and
    InputTooLarge when the output passes the decompressed-size or line cap."""
    kind = compression_of(data)
    if kind is None:
        return data, None
    limits = ReadLimits.from_settings() if limits is None else limits
    cap = limits.decompressed_cap(len(data))
    line_cap = limits.max_line_bytes
    lines = LineCheck(line_cap) if line_cap is not None else None
    out = io.BytesIO()

    def room() -> int:  # bytes the output may still grow by (one past the cap trips it)
        return max(0, cap + 1 - out.tell())

    pieces = _gunzip(data, room) if kind == "gz" else _unzstd(data, room)
    try:
        for piece in pieces:
            out.write(piece)
            if out.tell() > cap:
                raise InputTooLarge(
                    f"decompresses to more than {size_text(cap)}, the cap "
                    + (
                        f"for {size_text(len(data))} of compressed data ({DEFAULT_RATIO} times "
                        f"its size, at least {size_text(DEFAULT_FLOOR)}): it looks like a "
                        "decompression bomb"
                        if limits.max_decompressed_bytes is None
                        else "on decompressed size"
                    ),
                    flag=FLAG_DECOMPRESSED,
                    env=ENV_DECOMPRESSED,
                    file=path,
                )
            if lines is not None:
                at = lines.feed(piece)
                if at is not None:
                    head = out.getbuffer()[:16].tobytes()
                    if not has_lines(head):
                        lines = None
                        continue
                    assert line_cap is not None
                    before = out.getbuffer()[:at].tobytes().count(b"\n")
                    raise line_too_long(path, before + 1, line_cap)
    except _Truncated as exc:
        raise DataError(
            f"cannot decompress: the {kind} stream ends early, after {size_text(out.tell())} "
            "of data; the file is truncated (cut off while being written or copied)",
            file=path,
            hint="copy or download the file again",
        ) from exc
    except (DataError, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - zlib.error, zstandard.ZstdError: corrupt data
        raise DataError(
            f"cannot decompress ({kind}): {exc}", file=path, hint="the file is corrupt"
        ) from exc
    return out.getvalue(), kind


class _Truncated(Exception):
    pass


def _gunzip(data: bytes, room: Callable[[], int]) -> Iterator[bytes]:
    """gzip members one after another (``cat a.gz b.gz`` and bgzip are valid), each step's
    output at most ``room()`` (and 16 MB); zero bytes after the last member (padding some
    tools add) are allowed."""
    view = memoryview(data)
    pos = 0
    while pos < len(data):
        member = zlib.decompressobj(wbits=31)
        while pos < len(data) and not member.eof:
            feed: bytes | memoryview = view[pos : pos + _GZ_IN]
            pos += len(feed)
            while True:
                step = min(_OUT_STEP, max(room(), 1 << 16))
                piece = member.decompress(feed, step)
                if piece:
                    yield piece
                feed = member.unconsumed_tail
                if member.eof or (not feed and len(piece) < step):
                    break
        if not member.eof:
            raise _Truncated
        pos -= len(member.unused_data)
        if data[pos : pos + 2] != GZIP_MAGIC and data.count(0, pos) == len(data) - pos:
            break  # zero padding (anything else fails as a member that is not gzip)


def _unzstd(data: bytes, room: Callable[[], int]) -> Iterator[bytes]:
    """zstd frames one after another, fed in steps small enough that one step's output
    stays within ``room()`` (give or take 2 MB)."""
    import zstandard

    decompressor = zstandard.ZstdDecompressor()
    view = memoryview(data)
    low, high = _ZSTD_IN
    pos = 0
    while pos < len(data):
        frame = decompressor.decompressobj()
        while pos < len(data) and not frame.eof:
            feed = view[pos : pos + min(high, max(low, room() // _ZSTD_EXPANSION))]
            pos += len(feed)
            piece = frame.decompress(feed)
            if piece:
                yield piece
        if not frame.eof:
            raise _Truncated
        pos -= len(frame.unused_data)
