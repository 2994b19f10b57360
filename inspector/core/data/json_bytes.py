"""Scanning raw JSON bytes without parsing them: where the lines are, which are blank, how
deep the brackets nest (outside strings), turning values nested too deep into JSON text, and
the short messages and previews a bad line is reported with. Vectorised with numpy, so the
readers (:mod:`inspector.core.data.readers`) can check a large file before parsing it."""

from __future__ import annotations

import json
import re

import numpy as np

_ALL_BUT_OPENS = bytes(b for b in range(256) if b not in b"{[\n")


def line_starts(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Start and end offsets of every line (end excludes the newline)."""
    newlines = positions(np.frombuffer(data, dtype=np.uint8), (10,))
    starts = np.concatenate(([0], newlines + 1)).astype(np.int64)
    ends = np.concatenate((newlines, [len(data)])).astype(np.int64)
    if starts[-1] >= len(data):  # trailing newline: no last line
        starts, ends = starts[:-1], ends[:-1]
    return starts, ends


def nonblank_lines(data: bytes) -> np.ndarray:
    """0-based numbers of the lines that hold something other than whitespace."""
    starts, ends = line_starts(data)
    lengths = ends - starts
    keep = lengths > 0
    # Lines of only '\r' or spaces are rare; check the short ones individually.
    short = np.flatnonzero(keep & (lengths <= 2))
    for i in short:
        if not data[starts[i] : ends[i]].strip():
            keep[i] = False
    return np.flatnonzero(keep)


def positions(arr: np.ndarray, values: tuple[int, ...], chunk: int = 1 << 26) -> np.ndarray:
    """Offsets of the bytes equal to any of ``values`` (in chunks, to bound temporaries)."""
    found = []
    for lo in range(0, arr.size, chunk):
        part = arr[lo : lo + chunk]
        mask = part == values[0]
        for v in values[1:]:
            mask |= part == v
        found.append(np.flatnonzero(mask) + lo)
    return np.concatenate(found) if found else np.zeros(0, np.int64)


def opens_per_line(data: bytes) -> list[bytes]:
    """Each line's opening brackets (one cheap pass); one more entry than newlines."""
    return data.translate(None, _ALL_BUT_OPENS).split(b"\n")


def nests_deeper(data: bytes, limit: int, opens: list[bytes] | None = None) -> bool:
    """Whether some line of ``data`` nests JSON containers deeper than ``limit``.

    A line with at most ``limit`` opening brackets cannot, so only the others are parsed
    for their structure (usually none). ``opens``: ``opens_per_line(data)`` if known."""
    opens = opens_per_line(data) if opens is None else opens
    if max(map(len, opens)) <= limit:
        return False
    starts, ends = line_starts(data)
    for line, found in enumerate(opens):
        if len(found) > limit:
            depth = bracket_depths(data[starts[line] : ends[line]])[1]
            if depth.size and int(depth.max()) > limit:
                return True
    return False


def bracket_depths(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Offsets of the brackets outside strings in JSON text, and the depth after each."""
    arr = np.frombuffer(raw, dtype=np.uint8)
    quotes = np.flatnonzero(arr == ord('"'))
    # A quote is escaped when an odd number of backslashes precede it.
    escaped = np.zeros(quotes.size, dtype=bool)
    pending = np.flatnonzero(quotes > 0)
    back = 1
    while pending.size:
        before = quotes[pending] - back
        pending = pending[(before >= 0) & (arr[np.maximum(before, 0)] == ord("\\"))]
        escaped[pending] ^= True
        back += 1
        pending = pending[quotes[pending] - back >= 0]
    quotes = quotes[~escaped]
    brackets = positions(arr, (ord("{"), ord("["), ord("}"), ord("]")))
    brackets = brackets[np.searchsorted(quotes, brackets) % 2 == 0]
    opening = (arr[brackets] == ord("{")) | (arr[brackets] == ord("["))
    return brackets, np.cumsum(np.where(opening, 1, -1))


def stringify_deep(raw: bytes, level: int, limit: int) -> bytes:
    """``raw`` with every value that opens at nesting ``level`` and goes deeper than ``limit``
    replaced by its JSON text as a string, so that no parser has to recurse into it."""
    pos, depth = bracket_depths(raw)
    if not depth.size or int(depth.max()) <= limit:
        return raw
    opening = np.flatnonzero((depth == level) & (np.diff(depth, prepend=0) > 0))
    if not opening.size:
        return raw
    deepest = np.maximum.reduceat(depth, opening)
    closing = np.flatnonzero(depth == level - 1)
    parts: list[bytes] = []
    last = 0
    for i in opening[deepest > limit].tolist():
        after = np.searchsorted(closing, i)
        end = int(pos[closing[after]]) + 1 if after < closing.size else len(raw)
        start = int(pos[i])
        if start < last:
            continue
        text = raw[start:end].decode("utf-8", "replace")
        parts += [raw[last:start], json.dumps(text, ensure_ascii=False).encode()]
        last = end
    parts.append(raw[last:])
    return b"".join(parts)


def json_message(exc: Exception) -> str:
    """orjson says "line 1 column 7 (char 6)" of the one line it saw: keep only the column."""

    text = re.sub(r":? ?line 1 column (\d+) \(char \d+\)", r" at column \1", str(exc))
    return f"invalid JSON: {text}"


def preview(raw: bytes) -> str:
    return raw[:120].decode("utf-8", "replace")


def error_pos(message: str) -> int:

    m = re.search(r"char (\d+)", message)
    return int(m.group(1)) if m else 0
